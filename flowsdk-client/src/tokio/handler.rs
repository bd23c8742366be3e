//! [`TokioMqttEventHandler`]: callbacks for everything the client reports.

use std::time::Duration;

use flowsdk_codec::{PacketId, Properties, Publish, ReasonCode, TopicName};

use crate::error::ClientError;
use crate::proto::{ConnectOutcome, DisconnectCause, DropReason, PublishOutcome, SubscribeOutcome};

/// The outcome of a connection: CONNACK's session present flag, the broker's limits, the
/// client id in use and how many unfinished packets were resent.
pub type ConnectResult = ConnectOutcome;
/// The outcome of a publish: the broker's reason code and ack properties.
pub type PublishResult = PublishOutcome;
/// A SUBACK: one reason code (granted QoS or failure) per filter.
pub type SubscribeResult = SubscribeOutcome;
/// An UNSUBACK: one reason code per filter.
pub type UnsubscribeResult = SubscribeOutcome;

/// A PINGRESP, with the round-trip time.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PingResult {
    /// From PINGREQ handed to the connection to PINGRESP received.
    pub round_trip: Duration,
}

/// Callbacks for every event of a [`TokioAsyncMqttClient`](super::TokioAsyncMqttClient).
///
/// Every method has an empty default, so a handler implements only what it needs. The
/// callbacks run on the client's driver task, one at a time and in the order things
/// happened; a slow callback slows reading from the broker (which is then TCP back-pressure,
/// never a lost message). Hand long work to another task.
///
/// For one callback, [`on_published`](Self::on_published) runs for every finished publish
/// and [`on_puback`](Self::on_puback) / [`on_pubcomp`](Self::on_pubcomp) additionally for
/// QoS 1 / QoS 2.
///
/// # Examples
/// ```
/// use flowsdk_client::TokioMqttEventHandler;
/// use flowsdk_codec::Publish;
///
/// #[derive(Debug, Default)]
/// struct Printer { received: usize }
///
/// impl TokioMqttEventHandler for Printer {
///     fn on_message_received(&mut self, message: &Publish) {
///         self.received += 1;
///         println!("{}: {} bytes", message.topic.as_str(), message.payload.len());
///     }
/// }
/// ```
pub trait TokioMqttEventHandler: Send + 'static {
    /// CONNACK with success.
    fn on_connected(&mut self, result: &ConnectResult) {
        let _ = result;
    }

    /// A connection attempt failed (dial error, CONNACK refusal, timeout).
    fn on_connect_failed(&mut self, error: &ClientError) {
        let _ = error;
    }

    /// The connection ended; `cause` says why (DISCONNECT from the broker with its reason
    /// code and Server Reference, keep-alive timeout, network error, our own disconnect).
    fn on_disconnected(&mut self, cause: &DisconnectCause) {
        let _ = cause;
    }

    /// A message arrived.
    fn on_message_received(&mut self, message: &Publish) {
        let _ = message;
    }

    /// A publish finished: QoS 0 written, QoS 1 acknowledged, QoS 2 completed (or refused).
    fn on_published(&mut self, result: &PublishResult) {
        let _ = result;
    }

    /// A QoS 1 PUBACK.
    fn on_puback(&mut self, result: &PublishResult) {
        let _ = result;
    }

    /// A QoS 2 PUBREC (the PUBREL is sent at once).
    fn on_pubrec(&mut self, packet_id: PacketId, reason_code: ReasonCode) {
        let _ = (packet_id, reason_code);
    }

    /// A QoS 2 PUBCOMP.
    fn on_pubcomp(&mut self, result: &PublishResult) {
        let _ = result;
    }

    /// A SUBACK (also for subscriptions restored after the broker lost the session).
    fn on_subscribed(&mut self, result: &SubscribeResult) {
        let _ = result;
    }

    /// An UNSUBACK.
    fn on_unsubscribed(&mut self, result: &UnsubscribeResult) {
        let _ = result;
    }

    /// A PINGRESP for a ping the application asked for.
    fn on_ping_response(&mut self, result: &PingResult) {
        let _ = result;
    }

    /// The client will try to reconnect after `delay` (attempt counts from 1). To change the
    /// broker or the credentials of that try, call
    /// [`TokioAsyncMqttClient::set_peer`](super::TokioAsyncMqttClient::set_peer) or
    /// [`set_credentials`](super::TokioAsyncMqttClient::set_credentials) on a clone of the
    /// client.
    fn on_reconnecting(&mut self, attempt: u32, delay: Duration) {
        let _ = (attempt, delay);
    }

    /// Reconnect attempt `attempt` failed.
    fn on_reconnect_failed(&mut self, attempt: u32, error: &ClientError) {
        let _ = (attempt, error);
    }

    /// An accepted message was dropped before it was sent (buffer overflow policy, expiry,
    /// shutdown), or an incoming message was dropped because a message stream was full.
    fn on_message_dropped(&mut self, topic: &TopicName, reason: DroppedMessage) {
        let _ = (topic, reason);
    }

    /// The broker had no session for us: `requeued` unfinished messages are sent again as
    /// new ones and `resubscribed` SUBSCRIBE packets restore the subscriptions.
    fn on_session_lost(&mut self, requeued: usize, resubscribed: usize) {
        let _ = (requeued, resubscribed);
    }

    /// An AUTH from the broker during enhanced authentication or re-authentication.
    fn on_auth(&mut self, reason_code: ReasonCode, properties: &Properties) {
        let _ = (reason_code, properties);
    }

    /// An error not tied to a waiting operation (a broker protocol violation, a refused
    /// buffered message, a store failure).
    fn on_error(&mut self, error: &ClientError) {
        let _ = error;
    }
}

/// Why a message was dropped.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum DroppedMessage {
    /// An outgoing message, before it was sent.
    Outgoing(DropReason),
    /// An incoming message, because the message stream of its subscription was full.
    StreamFull,
}

/// A handler that does nothing, for clients that use `*_sync` calls and streams only.
#[derive(Clone, Copy, Debug, Default)]
pub struct NoopHandler;

impl TokioMqttEventHandler for NoopHandler {}
