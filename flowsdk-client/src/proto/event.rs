//! What the session reports: [`Event`] and the outcomes of operations.

use flowsdk_codec::{PacketId, Properties, Publish, QoS, ReasonCode, TopicName};

use crate::error::ClientError;

/// Identifies one operation handed to the session, so that its outcome can be matched to
/// whoever waits for it. Unique for the life of a session.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Ticket(pub(crate) u64);

impl Ticket {
    /// The ticket's number.
    pub fn get(self) -> u64 {
        self.0
    }
}

/// What the broker granted and allows on this connection, from CONNACK.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ServerLimits {
    /// Receive Maximum: QoS 1/2 messages we may have unacknowledged (default 65,535).
    pub receive_maximum: u16,
    /// Maximum QoS the broker accepts (default QoS 2).
    pub maximum_qos: QoS,
    /// Whether retained messages are supported (default yes).
    pub retain_available: bool,
    /// Maximum Packet Size the broker accepts (default: no limit beyond the protocol's).
    pub maximum_packet_size: Option<u32>,
    /// Topic Alias Maximum: aliases we may use (default 0: none).
    pub topic_alias_maximum: u16,
    /// Whether wildcard subscriptions are supported (default yes).
    pub wildcard_subscription_available: bool,
    /// Whether subscription identifiers are supported (default yes).
    pub subscription_identifiers_available: bool,
    /// Whether shared subscriptions are supported (default yes).
    pub shared_subscription_available: bool,
    /// The keep-alive in force: the broker's Server Keep Alive, or ours.
    pub keep_alive: std::time::Duration,
    /// The Session Expiry Interval the broker set, if it changed ours.
    pub session_expiry_interval: Option<u32>,
}

impl Default for ServerLimits {
    fn default() -> Self {
        ServerLimits {
            receive_maximum: u16::MAX,
            maximum_qos: QoS::ExactlyOnce,
            retain_available: true,
            maximum_packet_size: None,
            topic_alias_maximum: 0,
            wildcard_subscription_available: true,
            subscription_identifiers_available: true,
            shared_subscription_available: true,
            keep_alive: std::time::Duration::ZERO,
            session_expiry_interval: None,
        }
    }
}

/// A successful CONNACK.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ConnectOutcome {
    /// Whether the broker resumed a session.
    pub session_present: bool,
    /// The CONNACK reason code (Success).
    pub reason_code: ReasonCode,
    /// The client id in use: the one we sent, or the broker's Assigned Client Identifier.
    pub client_id: String,
    /// What the broker allows.
    pub server: ServerLimits,
    /// The CONNACK properties as received (Response Information, Reason String, ...).
    pub properties: Properties,
    /// Unacknowledged PUBLISH and PUBREL packets resent on this connection [MQTT-4.4.0-1].
    pub resent: usize,
}

/// The end of a PUBLISH: QoS 0 written, QoS 1 PUBACK, QoS 2 PUBCOMP (or a failing PUBREC).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PublishOutcome {
    /// The operation.
    pub ticket: Ticket,
    /// The packet identifier used (QoS 1 and 2).
    pub packet_id: Option<PacketId>,
    /// The QoS.
    pub qos: QoS,
    /// The broker's reason code (Success for QoS 0).
    pub reason_code: ReasonCode,
    /// The acknowledgement's properties (Reason String, User Properties).
    pub properties: Properties,
}

impl PublishOutcome {
    /// Whether the broker accepted the message (reason code below 0x80).
    pub fn is_success(&self) -> bool {
        self.reason_code.is_success()
    }
}

/// A SUBACK (or UNSUBACK): one reason code per topic filter, in order.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SubscribeOutcome {
    /// The operation.
    pub ticket: Ticket,
    /// The packet identifier used.
    pub packet_id: PacketId,
    /// One reason code per filter: the granted QoS, or a failure.
    pub reason_codes: Vec<ReasonCode>,
    /// The acknowledgement's properties.
    pub properties: Properties,
}

impl SubscribeOutcome {
    /// Whether every filter succeeded (every reason code below 0x80).
    pub fn is_success(&self) -> bool {
        self.reason_codes.iter().all(|r| r.is_success())
    }
}

/// Why an accepted message was dropped before it was sent.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum DropReason {
    /// The buffer was full and its policy dropped the oldest message.
    OverflowDropOldest,
    /// The buffer was full and its policy dropped the newest message.
    OverflowDropNewest,
    /// Its Message Expiry Interval ran out while it waited in the buffer.
    Expired,
    /// The client shut down with the message still buffered.
    Shutdown,
}

impl std::fmt::Display for DropReason {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            DropReason::OverflowDropOldest => "buffer full, oldest message dropped",
            DropReason::OverflowDropNewest => "buffer full, newest message dropped",
            DropReason::Expired => "message expiry interval ran out in the buffer",
            DropReason::Shutdown => "client shut down with the message buffered",
        })
    }
}

/// Why a connection ended.
#[derive(Clone, Debug)]
#[non_exhaustive]
pub enum DisconnectCause {
    /// The broker sent DISCONNECT with this reason code (and properties: Reason String,
    /// Server Reference for 0x9C / 0x9D).
    ByServer {
        /// The reason code.
        reason_code: ReasonCode,
        /// The DISCONNECT properties.
        properties: Properties,
    },
    /// We sent DISCONNECT with this reason code because the application asked.
    ByClient {
        /// The reason code.
        reason_code: ReasonCode,
    },
    /// The broker broke the protocol; we sent DISCONNECT with the error's reason code.
    ProtocolViolation(ClientError),
    /// No PINGRESP in time.
    KeepAliveTimeout,
    /// No CONNACK in time.
    ConnAckTimeout,
    /// The network connection closed or failed.
    ConnectionLost(String),
}

impl DisconnectCause {
    /// The reason code on the wire, if one was sent or received.
    pub fn reason_code(&self) -> Option<ReasonCode> {
        match self {
            DisconnectCause::ByServer { reason_code, .. }
            | DisconnectCause::ByClient { reason_code } => Some(*reason_code),
            DisconnectCause::ProtocolViolation(e) => e.reason_code(),
            DisconnectCause::KeepAliveTimeout => Some(ReasonCode::KeepAliveTimeout),
            _ => None,
        }
    }

    /// The Server Reference the broker sent with 0x9C Use another server / 0x9D Server moved.
    pub fn server_reference(&self) -> Option<String> {
        match self {
            DisconnectCause::ByServer { properties, .. } => properties
                .server_reference()
                .map(|s| s.as_str().to_string()),
            _ => None,
        }
    }
}

/// Everything the session reports, drained with [`Session::poll_event`](super::Session::poll_event).
#[derive(Clone, Debug)]
#[non_exhaustive]
pub enum Event {
    /// CONNACK with success.
    Connected(ConnectOutcome),
    /// The connection attempt failed: CONNACK with a failure code, no CONNACK in time, or an
    /// authentication failure. The link is to be closed.
    ConnectFailed(ClientError),
    /// The connection ended.
    Disconnected(DisconnectCause),
    /// A message from the broker (topic alias already resolved).
    Message(Publish),
    /// A PUBLISH we sent is finished.
    Published(PublishOutcome),
    /// A QoS 2 PUBLISH we sent got its PUBREC (the PUBREL is on its way).
    PubRec {
        /// The operation.
        ticket: Ticket,
        /// The packet identifier.
        packet_id: PacketId,
        /// The PUBREC reason code.
        reason_code: ReasonCode,
    },
    /// A SUBACK.
    Subscribed(SubscribeOutcome),
    /// A SUBACK for a subscription restored after the broker lost the session.
    SubscriptionRestored(SubscribeOutcome),
    /// An UNSUBACK.
    Unsubscribed(SubscribeOutcome),
    /// A PINGRESP; `ticket` is `None` for the session's own keep-alive pings.
    PingResponse {
        /// The operation, for pings the application asked for.
        ticket: Option<Ticket>,
    },
    /// An AUTH from the broker (5.0 enhanced authentication), after the authenticator ran.
    Auth {
        /// The AUTH reason code.
        reason_code: ReasonCode,
        /// The AUTH properties.
        properties: Properties,
    },
    /// Re-authentication finished (AUTH Success).
    Reauthenticated {
        /// The operation.
        ticket: Ticket,
    },
    /// An accepted message was dropped before being sent.
    Dropped {
        /// The operation.
        ticket: Ticket,
        /// The message's topic.
        topic: TopicName,
        /// Why.
        reason: DropReason,
    },
    /// An accepted operation failed locally later (e.g. a buffered message above the
    /// Maximum QoS the broker announced on connecting, or a ping lost with the connection).
    OperationFailed {
        /// The operation.
        ticket: Ticket,
        /// Why.
        error: ClientError,
    },
    /// The broker did not resume our session (Session Present 0): unacknowledged messages
    /// were queued again as new messages and subscriptions are being restored.
    SessionLost {
        /// Messages queued again.
        requeued: usize,
        /// SUBSCRIBE packets sent to restore subscriptions.
        resubscribed: usize,
    },
}
