//! [`TokioAsyncMqttClient`]: the handle applications hold.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use flowsdk_codec::{Properties, Publish, ReasonCode, TopicFilter};
use tokio::sync::{mpsc, oneshot, Notify};
use tracing::Instrument;

use crate::command::{
    IntoQoS, Payload, Priority, PublishCommand, SubscribeCommand, UnsubscribeCommand,
};
use crate::error::{ClientError, Operation};
use crate::options::MqttClientOptions;
use crate::proto::{Authenticator, OverflowPolicy, Session, SessionConfig, Ticket};

use super::config::TokioAsyncClientConfig;
use super::driver::Driver;
use super::handler::{
    ConnectResult, NoopHandler, PingResult, PublishResult, SubscribeResult, TokioMqttEventHandler,
    UnsubscribeResult,
};
use super::shared::{now, Inner, Shared, StreamRoute, Waiter, Want};
use super::stream::MessageStream;

/// Signals shutdown to the driver when the last handle is dropped.
#[derive(Debug)]
struct Alive(Arc<Inner>);

impl Drop for Alive {
    fn drop(&mut self) {
        self.0.lock().want = Want::Shutdown;
        self.0.wake.notify_one();
    }
}

/// Counters of the client, read at any time.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct ClientStats {
    /// Whether CONNACK arrived and the connection is up.
    pub connected: bool,
    /// QoS 1/2 messages sent and not finished.
    pub inflight: usize,
    /// Messages accepted and waiting to be sent.
    pub queued: usize,
    /// The inflight window in force.
    pub window: usize,
    /// How many acknowledgements of incoming messages are sent together on this connection
    /// (1: each at once); see
    /// [`TokioAsyncClientConfigBuilder::ack_coalescing`](crate::tokio_async_client::TokioAsyncClientConfigBuilder::ack_coalescing).
    pub ack_batch: usize,
    /// Incoming QoS 1/2 messages delivered and not yet acknowledged by the application
    /// (manual acknowledgement only).
    pub unacknowledged: usize,
}

/// The MQTT client for tokio: a cloneable handle over one connection, driven by a task the
/// constructor spawns (there is no event loop to poll).
///
/// Every operation comes in two forms: fire-and-forget (`publish`, `subscribe`, ...) hands the
/// operation to the session and returns at once, failing only on local refusal (buffer full,
/// QoS or size above the broker's limits, not connected with buffering off); `*_sync` waits
/// for the broker's acknowledgement or the configured timeout.
///
/// Clones share the connection; when the last one is dropped the client disconnects
/// normally, saves its session to the configured store and stops.
///
/// # Examples
/// ```no_run
/// use flowsdk_client::{MqttClientOptions, TokioAsyncClientConfig, TokioAsyncMqttClient, SubscribeCommand};
/// use flowsdk_client::tokio_async_client::TokioMqttEventHandler;
///
/// #[derive(Debug)]
/// struct MyEventHandler;
/// impl TokioMqttEventHandler for MyEventHandler {}
///
/// # async fn run() -> Result<(), flowsdk_client::ClientError> {
/// let options = MqttClientOptions::builder()
///     .peer("mqtt.example.com:1883").client_id("my_client").clean_start(true).keep_alive(60)
///     .build()?;
/// let config = TokioAsyncClientConfig::builder()
///     .auto_reconnect(true).internet_timeouts().receive_maximum(100).build()?;
/// let client = TokioAsyncMqttClient::new(options, Box::new(MyEventHandler), config).await?;
/// client.connect_sync().await?;
/// client.subscribe_sync("sensors/#", 1).await?;
/// client.publish_sync("sensors/temp", b"23.5", 1, false).await?;
/// let cmd = SubscribeCommand::builder()
///     .add_topic("sensors/+/temp", 1).with_no_local(true).with_retain_handling(2)
///     .with_subscription_id(42).build()?;
/// client.subscribe_with_command_sync(cmd).await?;
/// # Ok(()) }
/// ```
#[derive(Clone, Debug)]
pub struct TokioAsyncMqttClient {
    inner: Arc<Inner>,
    _alive: Arc<Alive>,
}

impl TokioAsyncMqttClient {
    /// Creates the client and spawns its driver; it does not connect until
    /// [`connect`](Self::connect) or [`connect_sync`](Self::connect_sync).
    ///
    /// With a session store configured, the saved session of the client id is restored.
    ///
    /// # Errors
    /// [`ClientError::InvalidOption`] if a store holds an invalid state; the store's own
    /// errors.
    ///
    /// # Panics
    /// Outside a tokio runtime (the driver is spawned with `tokio::spawn`).
    pub async fn new(
        options: MqttClientOptions,
        handler: Box<dyn TokioMqttEventHandler>,
        config: TokioAsyncClientConfig,
    ) -> Result<Self, ClientError> {
        Self::build(options, handler, config, None)
    }

    /// As [`new`](Self::new), with an [`Authenticator`] for MQTT 5.0 enhanced authentication
    /// (the options must name the `auth_method`).
    ///
    /// # Errors
    /// As [`new`](Self::new); [`ClientError::InvalidOption`] without an `auth_method`.
    pub async fn with_authenticator(
        options: MqttClientOptions,
        handler: Box<dyn TokioMqttEventHandler>,
        config: TokioAsyncClientConfig,
        authenticator: Box<dyn Authenticator>,
    ) -> Result<Self, ClientError> {
        if options.auth_method().is_none() {
            return Err(ClientError::invalid(
                "auth_method",
                "an authenticator needs the auth_method option",
            ));
        }
        Self::build(options, handler, config, Some(authenticator))
    }

    /// A client without callbacks, for code that uses `*_sync` calls and streams only.
    ///
    /// # Errors
    /// As [`new`](Self::new).
    pub async fn without_handler(
        options: MqttClientOptions,
        config: TokioAsyncClientConfig,
    ) -> Result<Self, ClientError> {
        Self::build(options, Box::new(NoopHandler), config, None)
    }

    fn build(
        options: MqttClientOptions,
        handler: Box<dyn TokioMqttEventHandler>,
        config: TokioAsyncClientConfig,
        authenticator: Option<Box<dyn Authenticator>>,
    ) -> Result<Self, ClientError> {
        let session_config = SessionConfig::new(options.clone())
            .with_connack_timeout(config.timeouts.connect)
            .with_ping_timeout(config.timeouts.ping)
            .with_max_inflight(config.max_inflight)
            .with_window_refill(config.window_refill)
            .with_ack_coalescing(config.ack_batch, config.ack_delay)
            .with_manual_acks(config.manual_acks)
            .with_buffer(config.buffer_capacity, config.overflow)
            .with_offline_buffering(config.offline_buffering)
            .with_auto_topic_alias(config.auto_topic_alias);
        let mut session = Session::new(session_config);
        if let Some(a) = authenticator {
            session.set_authenticator(a);
        }
        if let Some(store) = &config.session_store {
            if let Some(state) = store.load(options.client_id())? {
                if !state.is_empty() {
                    session.restore(now(), state)?;
                }
            }
        }
        let inner = Arc::new(Inner {
            shared: std::sync::Mutex::new(Shared {
                session,
                want: Want::Idle,
                waiters: HashMap::new(),
                connect_waiters: Vec::new(),
                disconnect_waiters: Vec::new(),
                streams: Vec::new(),
                requests: HashMap::new(),
                response_topic: None,
                last_connect: None,
                next_correlation: 0,
                peer: options.peer().clone(),
                dial_generation: 0,
            }),
            wake: Notify::new(),
            room: Notify::new(),
            config,
            options,
        });
        let span = tracing::info_span!(
            "mqtt_client",
            client_id = %inner.options.client_id(),
            peer = %inner.options.peer()
        );
        let driver = Driver::new(inner.clone(), handler);
        tokio::spawn(driver.run().instrument(span));
        Ok(TokioAsyncMqttClient {
            _alive: Arc::new(Alive(inner.clone())),
            inner,
        })
    }

    fn wake(&self) {
        self.inner.wake.notify_one();
    }

    async fn wait<T>(
        &self,
        rx: oneshot::Receiver<Result<T, ClientError>>,
        operation: Operation,
        after: Duration,
        ticket: Option<Ticket>,
    ) -> Result<T, ClientError> {
        match tokio::time::timeout(after, rx).await {
            Ok(Ok(result)) => result,
            Ok(Err(_)) => Err(ClientError::Closed),
            Err(_) => {
                if let Some(t) = ticket {
                    self.inner.lock().waiters.remove(&t);
                }
                Err(ClientError::Timeout { operation, after })
            }
        }
    }

    // ---- connection ----

    /// Starts connecting (and, with auto-reconnect, keeps the connection up); returns at
    /// once. The outcome arrives as `on_connected` / `on_connect_failed`.
    ///
    /// # Errors
    /// [`ClientError::Closed`] after shutdown.
    pub async fn connect(&self) -> Result<(), ClientError> {
        {
            let mut s = self.inner.lock();
            if s.want == Want::Shutdown {
                return Err(ClientError::Closed);
            }
            s.want = Want::Connected;
        }
        self.wake();
        Ok(())
    }

    /// Connects and waits for CONNACK (within the connect timeout); returns at once if
    /// already connected.
    ///
    /// # Errors
    /// [`ClientError::ConnectRefused`] with the CONNACK reason code,
    /// [`ClientError::Transport`] for network failures, [`ClientError::Timeout`].
    pub async fn connect_sync(&self) -> Result<ConnectResult, ClientError> {
        let (tx, rx) = oneshot::channel();
        {
            let mut s = self.inner.lock();
            if s.want == Want::Shutdown {
                return Err(ClientError::Closed);
            }
            if s.session.is_connected() {
                if let Some(c) = &s.last_connect {
                    return Ok(c.clone());
                }
            }
            s.want = Want::Connected;
            s.connect_waiters.push(tx);
        }
        self.wake();
        let after = self.inner.config.timeouts.connect;
        self.wait(rx, Operation::Connect, after, None).await
    }

    /// Disconnects normally (DISCONNECT 0x00: the broker discards the will) and stays
    /// disconnected; returns at once.
    ///
    /// # Errors
    /// [`ClientError::Closed`] after shutdown.
    pub async fn disconnect(&self) -> Result<(), ClientError> {
        self.disconnect_with(ReasonCode::Success, Properties::new())
            .await
    }

    /// Disconnects with `reason_code` (0x04 *Disconnect with Will Message* asks the broker to
    /// publish the will) and DISCONNECT `properties` (e.g. Session Expiry Interval); returns
    /// at once.
    ///
    /// # Errors
    /// [`ClientError::Closed`] after shutdown; [`ClientError::InvalidOption`] for a reason
    /// code or property DISCONNECT cannot carry.
    pub async fn disconnect_with(
        &self,
        reason_code: ReasonCode,
        properties: Properties,
    ) -> Result<(), ClientError> {
        {
            let mut s = self.inner.lock();
            if s.want == Want::Shutdown {
                return Err(ClientError::Closed);
            }
            s.session.disconnect(now(), reason_code, properties)?;
            s.want = Want::Idle;
        }
        self.wake();
        Ok(())
    }

    /// Disconnects normally and waits until the connection is closed (within the default
    /// timeout).
    ///
    /// # Errors
    /// [`ClientError::Timeout`], [`ClientError::Closed`].
    pub async fn disconnect_sync(&self) -> Result<(), ClientError> {
        let (tx, rx) = oneshot::channel();
        {
            let mut s = self.inner.lock();
            if s.want == Want::Shutdown {
                return Err(ClientError::Closed);
            }
            s.session
                .disconnect(now(), ReasonCode::Success, Properties::new())?;
            s.want = Want::Idle;
            s.disconnect_waiters.push(tx);
        }
        self.wake();
        let after = self.inner.config.timeouts.default;
        self.wait(rx, Operation::Disconnect, after, None).await
    }

    /// Whether the client is connected (CONNACK received).
    pub fn is_connected(&self) -> bool {
        self.inner.lock().session.is_connected()
    }

    /// The client's counters.
    pub fn stats(&self) -> ClientStats {
        let s = self.inner.lock();
        ClientStats {
            connected: s.session.is_connected(),
            inflight: s.session.inflight_len(),
            queued: s.session.queued_len(),
            window: s.session.window(),
            ack_batch: s.session.ack_batch(),
            unacknowledged: s.session.unacknowledged_len(),
        }
    }

    /// Changes the broker the next connection attempt dials (after a 0x9C *Use another
    /// server* / 0x9D *Server moved* redirection, or to fail over); the current connection is
    /// not affected. Accepts what the `peer` option accepts.
    ///
    /// # Errors
    /// [`ClientError::InvalidOption`] for an address that does not parse.
    pub fn set_peer(&self, peer: &str) -> Result<(), ClientError> {
        let address: flowsdk_transport::Address = peer
            .parse()
            .map_err(|e| ClientError::invalid("peer", format!("{peer:?}: {e}")))?;
        let mut s = self.inner.lock();
        s.peer = address;
        s.dial_generation += 1;
        Ok(())
    }

    /// The broker the next connection attempt dials.
    pub fn peer(&self) -> String {
        self.inner.lock().peer.to_string()
    }

    /// Replaces the user name and password of the next CONNECT (a rotated token, say); the
    /// current connection is not affected.
    ///
    /// # Errors
    /// As [`Session::set_credentials`].
    pub fn set_credentials(
        &self,
        username: Option<&str>,
        password: Option<&[u8]>,
    ) -> Result<(), ClientError> {
        let mut s = self.inner.lock();
        s.session.set_credentials(
            username.map(str::to_string),
            password.map(bytes::Bytes::copy_from_slice),
        )?;
        s.dial_generation += 1;
        Ok(())
    }

    /// The client id in use (the broker's assigned one after connecting, if it assigned one).
    pub fn client_id(&self) -> String {
        self.inner.lock().session.client_id().to_string()
    }

    // ---- publish ----

    async fn accept_publish(
        &self,
        mut cmd: PublishCommand,
        mut waiter: Option<oneshot::Sender<Result<PublishResult, ClientError>>>,
    ) -> Result<Ticket, ClientError> {
        if !self.inner.config.priority_lanes {
            cmd.priority = Priority::Normal;
        }
        let mut deadline = None;
        loop {
            // Registered before looking at the buffer, so that room made in between is seen.
            let room = self.inner.room.notified();
            tokio::pin!(room);
            room.as_mut().enable();
            {
                let mut s = self.inner.lock();
                if s.want == Want::Shutdown {
                    return Err(ClientError::Closed);
                }
                let wait = s.session.overflow_policy() == OverflowPolicy::Wait
                    && s.session.is_buffer_full();
                if !wait {
                    // A driver with messages already waiting takes this one with them when it
                    // next drains the buffer (after the write, ack or CONNACK it waits for):
                    // waking it for every message would cost a thread wake-up each.
                    let idle = s.session.queued_len() == 0;
                    let ticket = s.session.publish(now(), cmd)?;
                    if let Some(w) = waiter.take() {
                        s.waiters.insert(ticket, Waiter::Publish(w));
                    }
                    let wake = idle || s.session.has_events();
                    drop(s);
                    if wake {
                        self.wake();
                    }
                    return Ok(ticket);
                }
            }
            // OverflowPolicy::Wait with a full buffer: back-pressure, up to the operation
            // timeout.
            self.wake();
            let until = *deadline.get_or_insert_with(|| {
                tokio::time::Instant::now() + self.inner.config.timeouts.operation
            });
            if tokio::time::timeout_at(until, room).await.is_err() {
                return Err(ClientError::BufferFull {
                    capacity: self.inner.config.buffer_capacity,
                });
            }
        }
    }

    /// Publishes `payload` on `topic`; returns when the message is accepted (sent, or
    /// buffered). The outcome arrives as `on_published`.
    ///
    /// # Errors
    /// Local refusals: [`ClientError::InvalidOption`] (topic, QoS),
    /// [`ClientError::BufferFull`], [`ClientError::NotConnected`] (buffering off),
    /// [`ClientError::QosNotSupported`], [`ClientError::RetainNotSupported`],
    /// [`ClientError::PacketTooLarge`].
    pub async fn publish(
        &self,
        topic: &str,
        payload: impl Into<Payload>,
        qos: impl IntoQoS,
        retain: bool,
    ) -> Result<Ticket, ClientError> {
        self.accept_publish(PublishCommand::new(topic, payload, qos, retain)?, None)
            .await
    }

    /// Publishes a [`PublishCommand`] (every 5.0 option); returns when accepted.
    ///
    /// # Errors
    /// As [`publish`](Self::publish).
    pub async fn publish_with_command(&self, cmd: PublishCommand) -> Result<Ticket, ClientError> {
        self.accept_publish(cmd, None).await
    }

    /// Publishes and waits for the acknowledgement: QoS 0 returns once the packet is
    /// written, QoS 1 at PUBACK, QoS 2 at PUBCOMP, within the operation timeout.
    ///
    /// # Errors
    /// As [`publish`](Self::publish); [`ClientError::Refused`] with the broker's reason code
    /// (0x80 or above); [`ClientError::Timeout`]; [`ClientError::Dropped`] if the buffer's
    /// overflow policy or the message's expiry dropped it before it was sent.
    pub async fn publish_sync(
        &self,
        topic: &str,
        payload: impl Into<Payload>,
        qos: impl IntoQoS,
        retain: bool,
    ) -> Result<PublishResult, ClientError> {
        self.publish_with_command_sync(PublishCommand::new(topic, payload, qos, retain)?)
            .await
    }

    /// [`publish_sync`](Self::publish_sync) for a [`PublishCommand`].
    ///
    /// # Errors
    /// As [`publish_sync`](Self::publish_sync).
    pub async fn publish_with_command_sync(
        &self,
        cmd: PublishCommand,
    ) -> Result<PublishResult, ClientError> {
        let (tx, rx) = oneshot::channel();
        let ticket = self.accept_publish(cmd, Some(tx)).await?;
        let after = self.inner.config.timeouts.operation;
        self.wait(rx, Operation::Publish, after, Some(ticket)).await
    }

    // ---- subscribe ----

    fn accept_subscribe(
        &self,
        cmd: SubscribeCommand,
        waiter: Option<oneshot::Sender<Result<SubscribeResult, ClientError>>>,
    ) -> Result<Ticket, ClientError> {
        let ticket = {
            let mut s = self.inner.lock();
            if s.want == Want::Shutdown {
                return Err(ClientError::Closed);
            }
            let ticket = s.session.subscribe(now(), cmd)?;
            if let Some(w) = waiter {
                s.waiters.insert(ticket, Waiter::Subscribe(w));
            }
            ticket
        };
        self.wake();
        Ok(ticket)
    }

    /// Subscribes to `filter` at `qos`; returns at once (the SUBACK arrives as
    /// `on_subscribed`). While disconnected, the SUBSCRIBE is sent after connecting.
    ///
    /// # Errors
    /// [`ClientError::InvalidOption`] for an invalid filter or QoS; [`ClientError::BufferFull`].
    pub async fn subscribe(&self, filter: &str, qos: impl IntoQoS) -> Result<Ticket, ClientError> {
        self.accept_subscribe(SubscribeCommand::single(filter, qos)?, None)
    }

    /// Subscribes with a [`SubscribeCommand`]; returns at once.
    ///
    /// # Errors
    /// As [`subscribe`](Self::subscribe).
    pub async fn subscribe_with_command(
        &self,
        cmd: SubscribeCommand,
    ) -> Result<Ticket, ClientError> {
        self.accept_subscribe(cmd, None)
    }

    /// Subscribes and waits for the SUBACK (within the operation timeout).
    ///
    /// # Errors
    /// As [`subscribe`](Self::subscribe); [`ClientError::Refused`] with the first failing
    /// reason code when the broker refused a filter (the others stay granted);
    /// [`ClientError::Timeout`].
    pub async fn subscribe_sync(
        &self,
        filter: &str,
        qos: impl IntoQoS,
    ) -> Result<SubscribeResult, ClientError> {
        self.subscribe_with_command_sync(SubscribeCommand::single(filter, qos)?)
            .await
    }

    /// [`subscribe_sync`](Self::subscribe_sync) for a [`SubscribeCommand`].
    ///
    /// # Errors
    /// As [`subscribe_sync`](Self::subscribe_sync).
    pub async fn subscribe_with_command_sync(
        &self,
        cmd: SubscribeCommand,
    ) -> Result<SubscribeResult, ClientError> {
        let (tx, rx) = oneshot::channel();
        let ticket = self.accept_subscribe(cmd, Some(tx))?;
        let after = self.inner.config.timeouts.operation;
        self.wait(rx, Operation::Subscribe, after, Some(ticket))
            .await
    }

    /// Subscribes and returns the messages matching the command's filters as a
    /// [`MessageStream`] (they also reach the event handler). The stream is registered before
    /// the SUBSCRIBE is sent, so retained messages arrive on it.
    ///
    /// # Errors
    /// As [`subscribe_sync`](Self::subscribe_sync).
    pub async fn subscribe_stream(
        &self,
        cmd: SubscribeCommand,
    ) -> Result<(SubscribeResult, MessageStream), ClientError> {
        let (tx, rx) = mpsc::channel(self.inner.config.stream_capacity);
        let filters: Vec<TopicFilter> =
            cmd.subscriptions.iter().map(|s| s.filter.clone()).collect();
        self.inner.lock().streams.push(StreamRoute { filters, tx });
        let result = self.subscribe_with_command_sync(cmd).await?;
        Ok((result, MessageStream::new(rx)))
    }

    // ---- unsubscribe ----

    fn accept_unsubscribe(
        &self,
        cmd: UnsubscribeCommand,
        waiter: Option<oneshot::Sender<Result<UnsubscribeResult, ClientError>>>,
    ) -> Result<Ticket, ClientError> {
        let ticket = {
            let mut s = self.inner.lock();
            if s.want == Want::Shutdown {
                return Err(ClientError::Closed);
            }
            let filters = cmd.filters.clone();
            let ticket = s.session.unsubscribe(now(), cmd)?;
            // Messages of these filters no longer go to streams, whichever form was used.
            for route in &mut s.streams {
                route.filters.retain(|f| !filters.contains(f));
            }
            s.streams.retain(|r| !r.filters.is_empty());
            if let Some(w) = waiter {
                s.waiters.insert(ticket, Waiter::Unsubscribe(w));
            }
            ticket
        };
        self.wake();
        Ok(ticket)
    }

    /// Unsubscribes from `filter`; returns at once.
    ///
    /// # Errors
    /// [`ClientError::InvalidOption`] for an invalid filter; [`ClientError::BufferFull`].
    pub async fn unsubscribe(&self, filter: &str) -> Result<Ticket, ClientError> {
        self.accept_unsubscribe(UnsubscribeCommand::new([filter])?, None)
    }

    /// Unsubscribes with an [`UnsubscribeCommand`]; returns at once.
    ///
    /// # Errors
    /// As [`unsubscribe`](Self::unsubscribe).
    pub async fn unsubscribe_with_command(
        &self,
        cmd: UnsubscribeCommand,
    ) -> Result<Ticket, ClientError> {
        self.accept_unsubscribe(cmd, None)
    }

    /// Unsubscribes and waits for the UNSUBACK.
    ///
    /// # Errors
    /// As [`unsubscribe`](Self::unsubscribe); [`ClientError::Refused`] (e.g. 0x11 No
    /// subscription existed is a success code and is returned in the result, not refused);
    /// [`ClientError::Timeout`].
    pub async fn unsubscribe_sync(&self, filter: &str) -> Result<UnsubscribeResult, ClientError> {
        self.unsubscribe_with_command_sync(UnsubscribeCommand::new([filter])?)
            .await
    }

    /// [`unsubscribe_sync`](Self::unsubscribe_sync) for an [`UnsubscribeCommand`].
    ///
    /// # Errors
    /// As [`unsubscribe_sync`](Self::unsubscribe_sync).
    pub async fn unsubscribe_with_command_sync(
        &self,
        cmd: UnsubscribeCommand,
    ) -> Result<UnsubscribeResult, ClientError> {
        let (tx, rx) = oneshot::channel();
        let ticket = self.accept_unsubscribe(cmd, Some(tx))?;
        let after = self.inner.config.timeouts.operation;
        self.wait(rx, Operation::Unsubscribe, after, Some(ticket))
            .await
    }

    // ---- manual acknowledgements ----

    /// Acknowledges an incoming message under manual acknowledgement
    /// ([`TokioAsyncClientConfigBuilder::manual_acks`]): its PUBACK (QoS 1) or PUBREC (QoS 2)
    /// is sent once every message that arrived before it is acknowledged too, in arrival
    /// order [MQTT-4.6.0-2] [MQTT-4.6.0-3], whatever order the acknowledgements are given in.
    /// QoS 0 messages need nothing. Returns at once.
    ///
    /// # Errors
    /// [`ClientError::InvalidOption`] when manual acknowledgement is off, or this message
    /// waits for no acknowledgement (already acknowledged, or delivered on a connection that
    /// has since been lost: the broker sends it again).
    ///
    /// [`TokioAsyncClientConfigBuilder::manual_acks`]: crate::tokio_async_client::TokioAsyncClientConfigBuilder::manual_acks
    pub fn ack(&self, message: &flowsdk_codec::Publish) -> Result<(), ClientError> {
        self.ack_with_reason(message, flowsdk_codec::ReasonCode::Success)
    }

    /// As [`ack`](Self::ack), with a reason code: a failure (0x80 and above, MQTT 5.0 only:
    /// 0x80 *Unspecified error*, 0x83 *Implementation specific error*, 0x87 *Not authorized*,
    /// 0x90 *Topic Name invalid*, 0x97 *Quota exceeded*, 0x99 *Payload format invalid*) tells
    /// the broker the message was not accepted; it is not sent again [MQTT-4.4.0-2].
    ///
    /// # Errors
    /// As [`ack`](Self::ack), and [`ClientError::InvalidOption`] for a code that is not a
    /// PUBACK / PUBREC reason code (or not Success on 3.1.1).
    pub fn ack_with_reason(
        &self,
        message: &flowsdk_codec::Publish,
        reason_code: flowsdk_codec::ReasonCode,
    ) -> Result<(), ClientError> {
        let Some(packet_id) = message.packet_id else {
            return Ok(());
        };
        self.inner
            .lock()
            .session
            .ack(now(), message.qos, packet_id, reason_code)?;
        self.wake();
        Ok(())
    }

    // ---- ping, auth ----

    /// Sends PINGREQ; returns at once (the PINGRESP arrives as `on_ping_response`).
    ///
    /// # Errors
    /// [`ClientError::NotConnected`].
    pub async fn ping(&self) -> Result<Ticket, ClientError> {
        let ticket = {
            let mut s = self.inner.lock();
            let ticket = s.session.ping(now())?;
            // Nobody waits on the reply; the waiter keeps the send time for the round trip
            // that `on_ping_response` reports.
            let (tx, _) = oneshot::channel();
            s.waiters.insert(ticket, Waiter::Ping(tx, now()));
            ticket
        };
        self.wake();
        Ok(ticket)
    }

    /// Sends PINGREQ and waits for PINGRESP (within the ping timeout).
    ///
    /// # Errors
    /// [`ClientError::NotConnected`], [`ClientError::Timeout`].
    pub async fn ping_sync(&self) -> Result<PingResult, ClientError> {
        let (tx, rx) = oneshot::channel();
        let ticket = {
            let mut s = self.inner.lock();
            let ticket = s.session.ping(now())?;
            s.waiters.insert(ticket, Waiter::Ping(tx, now()));
            ticket
        };
        self.wake();
        let after = self.inner.config.timeouts.ping;
        self.wait(rx, Operation::Ping, after, Some(ticket)).await
    }

    /// Starts re-authentication (AUTH 0x19, 5.0); returns at once.
    ///
    /// # Errors
    /// [`ClientError::NeedsV5`], [`ClientError::InvalidOption`] without an `auth_method`,
    /// [`ClientError::NotConnected`].
    pub async fn auth(&self) -> Result<Ticket, ClientError> {
        let ticket = self.inner.lock().session.reauthenticate(now())?;
        self.wake();
        Ok(ticket)
    }

    /// Re-authenticates and waits for the broker's AUTH Success (within the operation
    /// timeout).
    ///
    /// # Errors
    /// As [`auth`](Self::auth); [`ClientError::Timeout`]; [`ClientError::ConnectionLost`]
    /// when the broker refuses by disconnecting.
    pub async fn auth_sync(&self) -> Result<(), ClientError> {
        let (tx, rx) = oneshot::channel();
        let ticket = {
            let mut s = self.inner.lock();
            let ticket = s.session.reauthenticate(now())?;
            s.waiters.insert(ticket, Waiter::Auth(tx));
            ticket
        };
        self.wake();
        let after = self.inner.config.timeouts.operation;
        self.wait(rx, Operation::Auth, after, Some(ticket)).await
    }

    // ---- request / response ----

    /// Publishes a request on `topic` and waits up to `timeout` for its response: the client
    /// subscribes once to its own response topic, sets Response Topic and a unique
    /// Correlation Data on the request (QoS 1), and returns the first message on the
    /// response topic carrying that correlation data (5.0).
    ///
    /// # Errors
    /// [`ClientError::NeedsV5`] on 3.1.1; the errors of `subscribe_sync` and `publish_sync`;
    /// [`ClientError::Timeout`] with [`Operation::Request`] when no response arrives.
    pub async fn request(
        &self,
        topic: &str,
        payload: impl Into<Payload>,
        timeout: Duration,
    ) -> Result<Publish, ClientError> {
        if self.inner.options.protocol_version() != flowsdk_codec::ProtocolVersion::V5 {
            return Err(ClientError::NeedsV5 {
                what: "request/response",
            });
        }
        let response_topic = self.response_topic().await?;
        let (tx, rx) = oneshot::channel();
        let correlation = {
            let mut s = self.inner.lock();
            s.next_correlation += 1;
            let mut c = Vec::with_capacity(16);
            c.extend_from_slice(&s.next_correlation.to_be_bytes());
            c.extend_from_slice(&random_u64().to_be_bytes());
            let c = Bytes::from(c);
            s.requests.insert(c.clone(), tx);
            c
        };
        let cmd = PublishCommand::builder(topic, payload)
            .qos(1)
            .with_response_topic(response_topic)
            .with_correlation_data(&correlation)
            .build();
        let outcome = match cmd {
            Ok(cmd) => self.publish_with_command_sync(cmd).await.map(|_| ()),
            Err(e) => Err(e),
        };
        if let Err(e) = outcome {
            self.inner.lock().requests.remove(&correlation);
            return Err(e);
        }
        match tokio::time::timeout(timeout, rx).await {
            Ok(Ok(response)) => Ok(response),
            Ok(Err(_)) => Err(ClientError::Closed),
            Err(_) => {
                self.inner.lock().requests.remove(&correlation);
                Err(ClientError::Timeout {
                    operation: Operation::Request,
                    after: timeout,
                })
            }
        }
    }

    async fn response_topic(&self) -> Result<String, ClientError> {
        if let Some(t) = self.inner.lock().response_topic.clone() {
            return Ok(t);
        }
        let client_id = self.client_id();
        let id = if client_id.is_empty() {
            format!("anon-{:016x}", random_u64())
        } else {
            client_id
        };
        let topic = format!("flowsdk/responses/{id}");
        self.subscribe_sync(&topic, 1).await?;
        self.inner.lock().response_topic = Some(topic.clone());
        Ok(topic)
    }

    /// Answers `request` (a message carrying a Response Topic) with `payload` on its response
    /// topic, echoing its Correlation Data, at QoS 1; returns when accepted.
    ///
    /// # Errors
    /// [`ClientError::InvalidOption`] when `request` has no Response Topic; as
    /// [`publish`](Self::publish).
    pub async fn respond(
        &self,
        request: &Publish,
        payload: impl Into<Payload>,
    ) -> Result<Ticket, ClientError> {
        let Some(topic) = request.properties.response_topic() else {
            return Err(ClientError::invalid(
                "request",
                "the message has no Response Topic",
            ));
        };
        let mut b = PublishCommand::builder(topic.as_str(), payload).qos(1);
        if let Some(c) = request.properties.correlation_data() {
            b = b.with_correlation_data(&c);
        }
        self.accept_publish(b.build()?, None).await
    }
}

/// A random number for correlation data and backoff jitter, from the standard library's
/// randomly seeded hasher (no extra dependency; not for cryptography).
pub(crate) fn random_u64() -> u64 {
    use std::hash::{BuildHasher, Hasher};
    let mut h = std::collections::hash_map::RandomState::new().build_hasher();
    h.write_u64(0x9e37_79b9_7f4a_7c15);
    h.finish()
}
