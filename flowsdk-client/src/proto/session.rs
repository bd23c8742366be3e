//! [`Session`]: the MQTT client session as a state machine, without I/O.

use std::collections::{HashMap, HashSet, VecDeque};
use std::time::{Duration, Instant};

use bytes::{Bytes, BytesMut};
use flowsdk_codec::{
    Auth, CodecError, ConnAck, Disconnect, MqttDecoder, MqttString, Packet, PacketId, PacketType,
    Properties, Property, ProtocolVersion, PubAck, PubComp, PubRec, PubRel, Publish, QoS,
    ReasonCode, SubAck, Subscribe, Subscription, TopicFilter, UnsubAck, Unsubscribe,
};

use crate::command::{PublishCommand, SubscribeCommand, UnsubscribeCommand};
use crate::error::{ClientError, Operation};
use crate::options::MqttClientOptions;

use super::auth::Authenticator;
use super::event::{
    ConnectOutcome, DisconnectCause, DropReason, Event, PublishOutcome, ServerLimits,
    SubscribeOutcome, Ticket,
};
use super::queue::{OutgoingQueue, OverflowPolicy, Queued};
use super::state::{SessionState, StoredPublish, StoredSubscription};
use super::timer::{Timer, TimerTable};
use super::topic_alias::{AliasError, AliasUse, IncomingAliases, TopicAliasMap};

/// Packet identifiers in use. Identifiers are small integers handed out in sequence, so a
/// multiplicative hash spreads them well at a fraction of SipHash's cost.
type IdSet = HashSet<u16, std::hash::BuildHasherDefault<IdHasher>>;

#[derive(Default)]
struct IdHasher(u64);

impl std::hash::Hasher for IdHasher {
    fn write(&mut self, bytes: &[u8]) {
        for b in bytes {
            self.0 = (self.0 << 8 | u64::from(*b)).wrapping_mul(0x9e37_79b9_7f4a_7c15);
        }
    }

    fn write_u16(&mut self, n: u16) {
        self.0 = u64::from(n).wrapping_mul(0x9e37_79b9_7f4a_7c15);
    }

    fn finish(&self) -> u64 {
        self.0
    }
}

/// Where the session is in its life.
///
/// ```text
///            start_connect            CONNACK success
/// Disconnected ──────────► Connecting ───────────────► Connected
///      ▲                       │                           │
///      └───────────────────────┴───────────────────────────┘
///   CONNACK failure / timeout / DISCONNECT / protocol violation /
///   keep-alive timeout / connection lost / disconnect()
/// ```
///
/// In `Disconnected` the driver closes the network connection once it has written what
/// [`Session::poll_packet`] still returns (a DISCONNECT, at most).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum State {
    /// No connection (or one being closed).
    Disconnected,
    /// CONNECT sent, waiting for CONNACK (possibly through an AUTH exchange).
    Connecting,
    /// CONNACK received with success.
    Connected,
}

/// Default of [`SessionConfig::with_ack_coalescing`]: acknowledgements sent together.
pub const DEFAULT_ACK_BATCH: u16 = 8;
/// Default of [`SessionConfig::with_ack_coalescing`]: the longest an acknowledgement waits.
pub const DEFAULT_ACK_DELAY: Duration = Duration::from_millis(1);

/// Flushes on delay in a row, each answered at once by the broker, that shrink the batch.
const ACK_STALLS: u8 = 3;
/// Full batches after which a shrunk batch grows by one.
const ACK_GROWTH: u32 = 64;

/// The session's settings: the connection options plus the client-side limits.
#[derive(Clone, Debug)]
pub struct SessionConfig {
    options: MqttClientOptions,
    connack_timeout: Duration,
    ping_timeout: Duration,
    max_inflight: u16,
    window_refill: Option<u16>,
    ack_batch: u16,
    ack_delay: Duration,
    manual_acks: bool,
    buffer_capacity: usize,
    overflow: OverflowPolicy,
    offline_buffering: bool,
    auto_topic_alias: bool,
}

impl SessionConfig {
    /// Settings for `options` with the defaults: CONNACK timeout 30 s, ping timeout 10 s,
    /// inflight limited only by the broker's Receive Maximum, a buffer of 10,000 messages that
    /// refuses when full, offline buffering on, automatic topic aliases on.
    pub fn new(options: MqttClientOptions) -> Self {
        SessionConfig {
            options,
            connack_timeout: Duration::from_secs(30),
            ping_timeout: Duration::from_secs(10),
            max_inflight: u16::MAX,
            window_refill: None,
            ack_batch: DEFAULT_ACK_BATCH,
            ack_delay: DEFAULT_ACK_DELAY,
            manual_acks: false,
            buffer_capacity: 10_000,
            overflow: OverflowPolicy::Reject,
            offline_buffering: true,
            auto_topic_alias: true,
        }
    }

    /// How long to wait for CONNACK after sending CONNECT.
    #[must_use]
    pub fn with_connack_timeout(mut self, timeout: Duration) -> Self {
        self.connack_timeout = timeout;
        self
    }

    /// How long to wait for PINGRESP before declaring the connection dead.
    #[must_use]
    pub fn with_ping_timeout(mut self, timeout: Duration) -> Self {
        self.ping_timeout = timeout;
        self
    }

    /// The most QoS 1/2 messages in flight; the window is the smaller of this and the
    /// broker's Receive Maximum [MQTT-3.3.4-7]. Zero is taken as one.
    #[must_use]
    pub fn with_max_inflight(mut self, max: u16) -> Self {
        self.max_inflight = max.max(1);
        self
    }

    /// How many slots of a full inflight window must be free before queued messages go out
    /// again. Once the window has filled, sending one message per acknowledgement would cost
    /// a write per message; waiting until `refill` slots are free sends them together, as TCP
    /// avoids the silly-window syndrome. While the window is not full, messages go out at
    /// once. `None` (the default) is one sixteenth of the window, at least 1 and at most 64;
    /// values are capped at the window, and zero is taken as one.
    #[must_use]
    pub fn with_window_refill(mut self, refill: Option<u16>) -> Self {
        self.window_refill = refill.map(|r| r.max(1));
        self
    }

    /// Acknowledgement coalescing: the acknowledgements of incoming messages (PUBACK, PUBREC,
    /// PUBCOMP; and PUBREL for our QoS 2 messages while many are in flight in a large window)
    /// wait until `batch` of them are due, until another packet goes out (they go
    /// first), or until the first of them has waited `delay`, and then leave in one write.
    /// Under a steady stream of incoming QoS 1/2 messages this cuts the writes for them by up
    /// to `batch` times; the messages themselves are delivered at once. They keep their order
    /// [MQTT-4.6.0-2] [MQTT-4.6.0-3].
    ///
    /// The batch is also kept at most half of our Receive Maximum, so that the broker always
    /// has room to send. A broker may hold fewer messages in flight than our Receive Maximum
    /// allows (Mosquitto's `max_inflight_messages`); when it evidently waited for our
    /// acknowledgements (three times in a row, its next message arrived within `delay` of a
    /// flush on delay), the batch shrinks to half of what the last flush sent, so that it
    /// does not wait again. After every 64 full batches it grows by one again, up to `batch`
    /// (a lull in the traffic can look like a stall). A new connection starts from `batch`;
    /// [`Session::ack_batch`] tells the batch in force.
    ///
    /// Defaults: [`DEFAULT_ACK_BATCH`] (8) and [`DEFAULT_ACK_DELAY`] (1 ms). A batch of 0 or 1,
    /// or a zero delay, sends every acknowledgement at once.
    #[must_use]
    pub fn with_ack_coalescing(mut self, batch: u16, delay: Duration) -> Self {
        self.ack_batch = batch;
        self.ack_delay = delay;
        self
    }

    /// Manual acknowledgements: incoming QoS 1/2 messages are delivered, and their PUBACK /
    /// PUBREC waits until the application calls [`Session::ack`] for them. Acknowledgements
    /// given out of order are held and sent in the order the messages arrived
    /// [MQTT-4.6.0-2] [MQTT-4.6.0-3]. Withholding them is back-pressure: the broker sends no
    /// more than our Receive Maximum of unacknowledged messages [MQTT-3.3.4-9]. Default off.
    #[must_use]
    pub fn with_manual_acks(mut self, on: bool) -> Self {
        self.manual_acks = on;
        self
    }

    /// The outgoing buffer: how many accepted messages may wait to be sent, and what happens
    /// when it is full.
    #[must_use]
    pub fn with_buffer(mut self, capacity: usize, overflow: OverflowPolicy) -> Self {
        self.buffer_capacity = capacity;
        self.overflow = overflow;
        self
    }

    /// Whether messages published while disconnected are buffered (`true`) or refused with
    /// [`ClientError::NotConnected`].
    #[must_use]
    pub fn with_offline_buffering(mut self, on: bool) -> Self {
        self.offline_buffering = on;
        self
    }

    /// Whether the session assigns topic aliases itself when the broker allows them.
    #[must_use]
    pub fn with_auto_topic_alias(mut self, on: bool) -> Self {
        self.auto_topic_alias = on;
        self
    }

    /// The connection options.
    pub fn options(&self) -> &MqttClientOptions {
        &self.options
    }
}

/// An outgoing QoS 1/2 PUBLISH not yet finished.
#[derive(Debug)]
struct OutEntry {
    id: PacketId,
    ticket: Ticket,
    /// As first sent: no alias, DUP clear.
    publish: Publish,
    /// PUBREC received and PUBREL sent (QoS 2): only PUBCOMP is awaited.
    released: bool,
    /// The PUBREC's reason code, reported if the session is lost before PUBCOMP.
    rec_reason: ReasonCode,
}

/// A SUBSCRIBE or UNSUBSCRIBE waiting to be sent or acknowledged.
#[derive(Clone, Debug)]
enum Control {
    Subscribe {
        ticket: Ticket,
        cmd: SubscribeCommand,
        restore: bool,
    },
    Unsubscribe {
        ticket: Ticket,
        cmd: UnsubscribeCommand,
    },
}

/// The MQTT client session: packet identifiers, QoS 1/2 flows both ways, the inflight
/// window, the outgoing buffer, topic aliases, keep-alive, session resume and enhanced
/// authentication, with no I/O, no clock and no runtime.
///
/// Four kinds of methods, as in quinn-proto's `Connection`:
/// - getters ([`Session::state`], [`Session::inflight_len`], ...);
/// - `handle_*`: input from the network and the clock ([`Session::handle_packet`],
///   [`Session::handle_timeout`], [`Session::handle_connection_lost`]);
/// - commands from the application ([`Session::publish`], [`Session::subscribe`], ...);
/// - `poll_*`: output, drained until `None` after every input ([`Session::poll_packet`],
///   [`Session::poll_event`], [`Session::poll_timeout`]).
///
/// Every input takes `now`; nothing here reads a clock, so tests run on virtual time.
///
/// # Examples
/// ```
/// use std::time::{Duration, Instant};
/// use flowsdk_client::proto::{Event, Session, SessionConfig};
/// use flowsdk_client::MqttClientOptions;
/// use flowsdk_codec::{ConnAck, Packet, ReasonCode};
///
/// let options = MqttClientOptions::builder().client_id("c1").build()?;
/// let mut session = Session::new(SessionConfig::new(options));
/// let now = Instant::now();
/// session.start_connect(now);
/// assert!(matches!(session.poll_packet(now), Some(Packet::Connect(_))));
/// session.handle_packet(now, Packet::ConnAck(ConnAck::new(ReasonCode::Success)));
/// assert!(matches!(session.poll_event(), Some(Event::Connected(_))));
/// // Nothing is sent for the keep-alive interval, so the next wake-up is a PINGREQ.
/// assert_eq!(session.poll_timeout(), Some(now + Duration::from_secs(60)));
/// # Ok::<(), flowsdk_client::ClientError>(())
/// ```
pub struct Session {
    config: SessionConfig,
    version: ProtocolVersion,
    state: State,
    /// The client id in use (the broker may assign one).
    client_id: String,
    /// Whether CONNECT of the current attempt had Clean Start.
    sent_clean_start: bool,
    /// Whether a CONNACK was ever received (or state restored): reconnects may resume.
    has_session: bool,
    server: ServerLimits,
    keep_alive: Duration,
    /// When the last packet was handed out on this connection (keep-alive counts from it).
    last_sent: Option<Instant>,
    out: VecDeque<Packet>,
    /// Acknowledgements of incoming messages held for coalescing, in order.
    acks: VecDeque<Packet>,
    /// How many held acknowledgements make a batch on this connection.
    ack_limit: usize,
    /// The held acknowledgements are due (their delay ran out).
    ack_flush_due: bool,
    /// After a flush on delay: how many acknowledgements went, and when; the next incoming
    /// message tells whether the broker was waiting for them.
    ack_probe: Option<(usize, Instant)>,
    /// Flushes on delay in a row after which the broker sent again at once.
    ack_stalls: u8,
    /// Full batches sent since the batch last changed.
    ack_full_batches: u32,
    events: VecDeque<Event>,
    timers: TimerTable,
    next_ticket: u64,
    next_id: u16,
    ids_in_use: IdSet,
    inflight: VecDeque<OutEntry>,
    /// A refill of the inflight window is under way: it goes on until the window is full.
    refilling: bool,
    queue: OutgoingQueue,
    control: VecDeque<Control>,
    awaiting_ack: HashMap<u16, Control>,
    pings: VecDeque<Option<Ticket>>,
    incoming_qos2: HashSet<PacketId>,
    /// Manual acknowledgements: incoming QoS 1 (index 0) and QoS 2 (index 1) messages not yet
    /// acknowledged on the wire, in arrival order, each with the application's reason code
    /// once it acknowledged.
    manual: [VecDeque<(PacketId, Option<ReasonCode>)>; 2],
    subscriptions: Vec<StoredSubscription>,
    aliases_out: TopicAliasMap,
    aliases_in: IncomingAliases,
    authenticator: Option<Box<dyn Authenticator>>,
    reauth: Option<Ticket>,
    decoder: MqttDecoder,
}

impl std::fmt::Debug for Session {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Session")
            .field("client_id", &self.client_id)
            .field("state", &self.state)
            .field("inflight", &self.inflight.len())
            .field("queued", &self.queue.len())
            .finish_non_exhaustive()
    }
}

impl Session {
    /// A disconnected session.
    pub fn new(config: SessionConfig) -> Self {
        let queue = OutgoingQueue::new(config.buffer_capacity, config.overflow);
        let version = config.options.version;
        let max_in = config
            .options
            .maximum_packet_size
            .unwrap_or(flowsdk_codec::MAX_PACKET_SIZE);
        Session {
            version,
            client_id: config.options.client_id.clone(),
            config,
            state: State::Disconnected,
            sent_clean_start: true,
            has_session: false,
            server: ServerLimits::default(),
            keep_alive: Duration::ZERO,
            last_sent: None,
            out: VecDeque::new(),
            acks: VecDeque::new(),
            ack_limit: 1,
            ack_flush_due: false,
            ack_probe: None,
            ack_stalls: 0,
            ack_full_batches: 0,
            events: VecDeque::new(),
            timers: TimerTable::default(),
            next_ticket: 1,
            next_id: 1,
            ids_in_use: IdSet::default(),
            inflight: VecDeque::new(),
            refilling: true,
            queue,
            control: VecDeque::new(),
            awaiting_ack: HashMap::new(),
            pings: VecDeque::new(),
            incoming_qos2: HashSet::new(),
            manual: [VecDeque::new(), VecDeque::new()],
            subscriptions: Vec::new(),
            aliases_out: TopicAliasMap::default(),
            aliases_in: IncomingAliases::default(),
            authenticator: None,
            reauth: None,
            decoder: MqttDecoder::new(version).with_max_packet_size(max_in),
        }
    }

    /// Sets the authenticator for enhanced authentication; needs the `auth_method` option.
    pub fn set_authenticator(&mut self, authenticator: Box<dyn Authenticator>) {
        self.authenticator = Some(authenticator);
    }

    /// Acknowledges an incoming QoS 1 or 2 message under manual acknowledgement
    /// ([`SessionConfig::with_manual_acks`]): PUBACK (QoS 1) or PUBREC (QoS 2) with
    /// `reason_code`, sent once every message that arrived before it is acknowledged too
    /// [MQTT-4.6.0-2] [MQTT-4.6.0-3]. A failure code (0x80 and above, 5.0 only) ends that
    /// message's flow [MQTT-4.4.0-2]: on QoS 2 no PUBREL follows, and the identifier names a
    /// new message next time [MQTT-4.3.3-9]. QoS 0 messages need nothing. Acknowledgements
    /// given while disconnected are sent after the next CONNACK.
    ///
    /// Messages are told apart by packet identifier, which the broker does not reuse until
    /// the acknowledgement. After a lost connection the broker sends unacknowledged QoS 1
    /// messages again; acknowledging the earlier delivery is then refused, the new one is
    /// acknowledged as it comes. QoS 2 messages stay owed across reconnects.
    ///
    /// # Errors
    /// [`ClientError::InvalidOption`]: manual acknowledgement is off, no message with this
    /// QoS and identifier waits for one, or `reason_code` is not a PUBACK / PUBREC reason
    /// code (or not Success on 3.1.1).
    pub fn ack(
        &mut self,
        now: Instant,
        qos: QoS,
        packet_id: PacketId,
        reason_code: ReasonCode,
    ) -> Result<(), ClientError> {
        if !self.config.manual_acks {
            return Err(ClientError::invalid(
                "manual_acks",
                "off: messages are acknowledged automatically",
            ));
        }
        let (lane, packet_type) = match qos {
            QoS::AtMostOnce => return Ok(()),
            QoS::AtLeastOnce => (0, PacketType::PubAck),
            QoS::ExactlyOnce => (1, PacketType::PubRec),
        };
        let allowed = match self.version {
            ProtocolVersion::V5 => reason_code.is_allowed_in(packet_type),
            ProtocolVersion::V311 => reason_code == ReasonCode::Success,
        };
        if !allowed {
            return Err(ClientError::invalid(
                "reason_code",
                format!("{reason_code:?} is not a {packet_type:?} reason code here"),
            ));
        }
        let Some(entry) = self.manual[lane]
            .iter_mut()
            .find(|(id, r)| *id == packet_id && r.is_none())
        else {
            return Err(ClientError::invalid(
                "packet_id",
                format!(
                    "no QoS {} message with packet identifier {} waits for an acknowledgement",
                    qos.as_u8(),
                    packet_id.get()
                ),
            ));
        };
        entry.1 = Some(reason_code);
        self.release_manual(now);
        Ok(())
    }

    /// Sends the acknowledgements the application gave, from the front of each lane, in
    /// arrival order.
    fn release_manual(&mut self, now: Instant) {
        if self.state != State::Connected {
            return;
        }
        for lane in 0..2 {
            while let Some(&(id, Some(reason))) = self.manual[lane].front() {
                self.manual[lane].pop_front();
                let ack = if lane == 0 {
                    Packet::PubAck(PubAck::with_reason(id, reason))
                } else {
                    if !reason.is_success() {
                        self.incoming_qos2.remove(&id);
                    }
                    Packet::PubRec(PubRec::with_reason(id, reason))
                };
                self.push_ack(now, ack);
            }
        }
    }

    /// Incoming QoS 1/2 messages delivered and not yet acknowledged under manual
    /// acknowledgement.
    pub fn unacknowledged_len(&self) -> usize {
        self.manual[0].len() + self.manual[1].len()
    }

    /// Replaces the user name and password sent in the next CONNECT (a rotated token, say);
    /// the current connection is not affected.
    ///
    /// # Errors
    /// [`ClientError::InvalidOption`] for a user name that is not valid MQTT UTF-8, or a
    /// password without a user name in 3.1.1 [MQTT-3.1.2-22 (3.1.1)].
    pub fn set_credentials(
        &mut self,
        username: Option<String>,
        password: Option<Bytes>,
    ) -> Result<(), ClientError> {
        if let Some(u) = &username {
            MqttString::new(u.clone())
                .map_err(|e| ClientError::invalid("username", e.to_string()))?;
        }
        if self.version == ProtocolVersion::V311 && password.is_some() && username.is_none() {
            return Err(ClientError::invalid(
                "password",
                "3.1.1 needs a user name with a password [MQTT-3.1.2-22 (3.1.1)]",
            ));
        }
        self.config.options.username = username;
        self.config.options.password = password;
        Ok(())
    }

    // ---- getters ----

    /// Where the session is.
    pub fn state(&self) -> State {
        self.state
    }

    /// Whether CONNACK arrived and the connection is up.
    pub fn is_connected(&self) -> bool {
        self.state == State::Connected
    }

    /// The client id in use (after CONNACK, the broker's assigned one if it gave one).
    pub fn client_id(&self) -> &str {
        &self.client_id
    }

    /// The protocol version.
    pub fn protocol_version(&self) -> ProtocolVersion {
        self.version
    }

    /// The settings.
    pub fn config(&self) -> &SessionConfig {
        &self.config
    }

    /// What the broker allows (defaults until the first CONNACK).
    pub fn server_limits(&self) -> &ServerLimits {
        &self.server
    }

    /// QoS 1/2 messages sent and not finished.
    pub fn inflight_len(&self) -> usize {
        self.inflight.len()
    }

    /// The inflight window in force: the smaller of our limit and the broker's Receive
    /// Maximum.
    pub fn window(&self) -> usize {
        usize::from(self.config.max_inflight.min(self.server.receive_maximum))
    }

    /// How many slots of a full window must be free before messages go out again (see
    /// [`SessionConfig::with_window_refill`]).
    pub fn window_refill(&self) -> usize {
        let window = self.window();
        match self.config.window_refill {
            Some(r) => usize::from(r).min(window),
            None => (window / 16).clamp(1, 64),
        }
    }

    /// How many acknowledgements of incoming messages make a batch on this connection (see
    /// [`SessionConfig::with_ack_coalescing`]); 1 when each goes at once.
    pub fn ack_batch(&self) -> usize {
        self.ack_limit
    }

    /// Whether a QoS 1/2 message may enter the inflight window now.
    fn window_open(&mut self) -> bool {
        let window = self.window();
        let inflight = self.inflight.len();
        if inflight >= window {
            self.refilling = false;
            return false;
        }
        if !self.refilling && (inflight == 0 || window - inflight >= self.window_refill()) {
            self.refilling = true;
        }
        self.refilling
    }

    /// Messages accepted and waiting to be sent.
    pub fn queued_len(&self) -> usize {
        self.queue.len()
    }

    /// Whether the outgoing buffer is at capacity, so that a new message meets the overflow
    /// policy.
    pub fn is_buffer_full(&self) -> bool {
        self.queue.is_full()
    }

    /// The outgoing buffer's overflow policy.
    pub fn overflow_policy(&self) -> OverflowPolicy {
        self.queue.policy()
    }

    /// QoS 2 messages received and not yet released by the broker's PUBREL.
    pub fn incoming_qos2_len(&self) -> usize {
        self.incoming_qos2.len()
    }

    /// Subscriptions the broker acknowledged (restored if the broker loses the session).
    pub fn subscriptions(&self) -> impl Iterator<Item = &TopicFilter> {
        self.subscriptions.iter().map(|s| &s.subscription.filter)
    }

    /// Outgoing topic aliases mapped on this connection.
    pub fn topic_aliases_in_use(&self) -> usize {
        self.aliases_out.len()
    }

    // ---- commands ----

    fn ticket(&mut self) -> Ticket {
        let t = Ticket(self.next_ticket);
        self.next_ticket += 1;
        t
    }

    /// Starts a connection attempt on a fresh network connection: queues CONNECT and arms
    /// the CONNACK timer.
    ///
    /// The first attempt uses the `clean_start` option; later attempts resume the session
    /// (Clean Start 0) when it can outlive a connection: a Session Expiry Interval above 0 in
    /// 5.0, clean session off in 3.1.1.
    pub fn start_connect(&mut self, now: Instant) {
        self.out.clear();
        self.reset_acks();
        self.pings.clear();
        let opts = &self.config.options;
        let resumable = match self.version {
            ProtocolVersion::V5 => opts.session_expiry_interval.unwrap_or(0) > 0,
            ProtocolVersion::V311 => !opts.clean_start,
        };
        let clean_start = if self.has_session && resumable {
            false
        } else {
            opts.clean_start
        };
        let auth_data = self.authenticator.as_mut().and_then(|a| a.initial_data());
        let mut connect = opts.connect_packet(clean_start, auth_data);
        if let Ok(id) = MqttString::new(self.client_id.clone()) {
            connect.client_id = id;
        }
        self.sent_clean_start = clean_start;
        self.state = State::Connecting;
        self.timers.clear();
        self.timers
            .set(Timer::ConnAck, now + self.config.connack_timeout);
        self.rearm_expiry();
        tracing::debug!(clean_start, client_id = %self.client_id, "sending CONNECT");
        self.out.push_back(Packet::Connect(Box::new(connect)));
    }

    fn check_publish(&self, cmd: &PublishCommand) -> Result<(), ClientError> {
        if self.version == ProtocolVersion::V311 && !cmd.properties.is_empty() {
            return Err(ClientError::NeedsV5 {
                what: "PUBLISH properties",
            });
        }
        if self.state == State::Disconnected && !self.config.offline_buffering {
            return Err(ClientError::NotConnected);
        }
        if self.state == State::Connected {
            self.check_limits(cmd)?;
        }
        Ok(())
    }

    /// Checks `cmd` against what the broker announced in CONNACK.
    fn check_limits(&self, cmd: &PublishCommand) -> Result<(), ClientError> {
        if cmd.qos > self.server.maximum_qos {
            return Err(ClientError::QosNotSupported {
                requested: cmd.qos,
                maximum: self.server.maximum_qos,
            });
        }
        if cmd.retain && !self.server.retain_available {
            return Err(ClientError::RetainNotSupported);
        }
        if let Some(alias) = cmd.properties.topic_alias() {
            if alias > self.server.topic_alias_maximum {
                return Err(ClientError::invalid(
                    "topic_alias",
                    format!(
                        "{alias} is above the broker's Topic Alias Maximum {} [MQTT-3.3.2-9]",
                        self.server.topic_alias_maximum
                    ),
                ));
            }
        }
        if let Some(max) = self.server.maximum_packet_size {
            // The largest form: with a packet identifier and without a topic alias.
            let id = PacketId::new(1).filter(|_| cmd.qos != QoS::AtMostOnce);
            let size = Packet::Publish(self.publish_packet(cmd, id)).encoded_len(self.version)?;
            if size > max as usize {
                return Err(ClientError::PacketTooLarge { size, max });
            }
        }
        Ok(())
    }

    fn publish_packet(&self, cmd: &PublishCommand, id: Option<PacketId>) -> Publish {
        Publish {
            dup: false,
            qos: cmd.qos,
            retain: cmd.retain,
            topic: cmd.topic.clone(),
            packet_id: id,
            properties: cmd.properties.clone(),
            payload: cmd.payload.clone(),
        }
    }

    /// Accepts a message for sending; its outcome arrives as [`Event::Published`] (QoS 0: when
    /// handed out by [`Session::poll_packet`]; QoS 1: PUBACK; QoS 2: PUBCOMP) with the
    /// returned ticket, or as [`Event::Dropped`] / [`Event::OperationFailed`].
    ///
    /// Messages wait in the outgoing buffer while disconnected or while the inflight window
    /// is full; they leave it in order, high priority first.
    ///
    /// # Errors
    /// [`ClientError::BufferFull`] (policy Reject), [`ClientError::NotConnected`] (offline
    /// buffering off), [`ClientError::QosNotSupported`], [`ClientError::RetainNotSupported`],
    /// [`ClientError::PacketTooLarge`] against the broker's CONNACK limits,
    /// [`ClientError::NeedsV5`] for properties on a 3.1.1 session.
    pub fn publish(&mut self, now: Instant, cmd: PublishCommand) -> Result<Ticket, ClientError> {
        self.check_publish(&cmd)?;
        let ticket = self.ticket();
        let queued = Queued {
            ticket,
            cmd,
            queued_at: now,
        };
        if let Some((dropped, reason)) = self.queue.push(queued)? {
            tracing::warn!(topic = %dropped.cmd.topic.as_str(), %reason, "message dropped");
            self.events.push_back(Event::Dropped {
                ticket: dropped.ticket,
                topic: dropped.cmd.topic,
                reason,
            });
        }
        self.rearm_expiry();
        Ok(ticket)
    }

    /// Queues a SUBSCRIBE; its SUBACK arrives as [`Event::Subscribed`]. While disconnected it
    /// waits and is sent after the next CONNACK.
    ///
    /// # Errors
    /// [`ClientError::NeedsV5`] for subscription options or properties on a 3.1.1 session;
    /// [`ClientError::BufferFull`] when the buffer's capacity of operations is reached.
    pub fn subscribe(
        &mut self,
        _now: Instant,
        cmd: SubscribeCommand,
    ) -> Result<Ticket, ClientError> {
        if self.version == ProtocolVersion::V311
            && (!cmd.properties.is_empty()
                || cmd.subscriptions.iter().any(|s| {
                    s.options.no_local
                        || s.options.retain_as_published
                        || s.options.retain_handling != Default::default()
                }))
        {
            return Err(ClientError::NeedsV5 {
                what: "subscription options and properties",
            });
        }
        self.check_control_room()?;
        let ticket = self.ticket();
        self.control.push_back(Control::Subscribe {
            ticket,
            cmd,
            restore: false,
        });
        Ok(ticket)
    }

    /// Queues an UNSUBSCRIBE; its UNSUBACK arrives as [`Event::Unsubscribed`].
    ///
    /// # Errors
    /// As [`Session::subscribe`].
    pub fn unsubscribe(
        &mut self,
        _now: Instant,
        cmd: UnsubscribeCommand,
    ) -> Result<Ticket, ClientError> {
        if self.version == ProtocolVersion::V311 && !cmd.properties.is_empty() {
            return Err(ClientError::NeedsV5 {
                what: "UNSUBSCRIBE properties",
            });
        }
        self.check_control_room()?;
        let ticket = self.ticket();
        self.control.push_back(Control::Unsubscribe { ticket, cmd });
        Ok(ticket)
    }

    fn check_control_room(&self) -> Result<(), ClientError> {
        if self.control.len() + self.awaiting_ack.len() >= self.queue.capacity().max(1) {
            return Err(ClientError::BufferFull {
                capacity: self.queue.capacity(),
            });
        }
        Ok(())
    }

    /// Sends PINGREQ now; the PINGRESP arrives as [`Event::PingResponse`] with the ticket.
    ///
    /// # Errors
    /// [`ClientError::NotConnected`] unless connected.
    pub fn ping(&mut self, now: Instant) -> Result<Ticket, ClientError> {
        if self.state != State::Connected {
            return Err(ClientError::NotConnected);
        }
        let ticket = self.ticket();
        self.send_ping(now, Some(ticket));
        Ok(ticket)
    }

    fn send_ping(&mut self, now: Instant, ticket: Option<Ticket>) {
        self.out.push_back(Packet::PingReq);
        self.pings.push_back(ticket);
        if self.timers.get(Timer::PingResp).is_none() {
            self.timers
                .set(Timer::PingResp, now + self.config.ping_timeout);
        }
    }

    /// Ends the connection with DISCONNECT `reason_code` (5.0; 3.1.1 has no reason code).
    /// 0x04 *Disconnect with Will Message* asks the broker to publish the will.
    /// Unfinished messages stay in the session for the next connection. Does nothing when
    /// already disconnected.
    ///
    /// # Errors
    /// [`ClientError::InvalidOption`] for a reason code DISCONNECT cannot carry or properties
    /// it does not allow (e.g. a Server Reference); nothing is sent then.
    pub fn disconnect(
        &mut self,
        now: Instant,
        reason_code: ReasonCode,
        properties: Properties,
    ) -> Result<(), ClientError> {
        let _ = now;
        if !reason_code.is_allowed_in(PacketType::Disconnect) {
            return Err(ClientError::invalid(
                "reason_code",
                format!("{reason_code:?} is not a DISCONNECT reason code [MQTT-3.14.2-1]"),
            ));
        }
        properties
            .validate(Some(PacketType::Disconnect))
            .map_err(|e| ClientError::invalid("properties", e.to_string()))?;
        if self.state == State::Disconnected {
            return Ok(());
        }
        // Held acknowledgements go before DISCONNECT, so that the broker does not send those
        // messages again.
        let acks = std::mem::take(&mut self.acks);
        self.close(DisconnectCause::ByClient { reason_code });
        self.out.extend(acks);
        let mut d = Disconnect::new(self.wire_reason(reason_code));
        if self.version == ProtocolVersion::V5 {
            d.properties = properties;
        }
        self.out.push_back(Packet::Disconnect(d));
        Ok(())
    }

    /// Starts re-authentication (AUTH 0x19 with the original method [MQTT-4.12.1-1]); the
    /// result arrives as [`Event::Reauthenticated`] or a disconnect.
    ///
    /// # Errors
    /// [`ClientError::NeedsV5`] on 3.1.1, [`ClientError::InvalidOption`] without an
    /// `auth_method`, [`ClientError::NotConnected`] unless connected.
    pub fn reauthenticate(&mut self, _now: Instant) -> Result<Ticket, ClientError> {
        if self.version != ProtocolVersion::V5 {
            return Err(ClientError::NeedsV5 { what: "AUTH" });
        }
        let Some(method) = self.config.options.auth_method.clone() else {
            return Err(ClientError::invalid(
                "auth_method",
                "re-authentication needs the auth_method option [MQTT-4.12.0-7]",
            ));
        };
        if self.state != State::Connected {
            return Err(ClientError::NotConnected);
        }
        let data = self.authenticator.as_mut().and_then(|a| a.initial_data());
        self.out
            .push_back(self.auth_packet(ReasonCode::ReAuthenticate, &method, data));
        let ticket = self.ticket();
        self.reauth = Some(ticket);
        Ok(ticket)
    }

    fn auth_packet(&self, reason_code: ReasonCode, method: &str, data: Option<Bytes>) -> Packet {
        let mut auth = Auth::new(reason_code);
        if let Ok(m) = MqttString::new(method.to_string()) {
            auth.properties.push(Property::AuthenticationMethod(m));
        }
        if let Some(d) = data {
            auth.properties.push(Property::AuthenticationData(d));
        }
        Packet::Auth(auth)
    }

    // ---- input ----

    /// Feeds bytes read from the network; complete packets are handled, a partial one waits
    /// in `input`. A malformed packet makes the session disconnect with its reason code.
    pub fn handle_bytes(&mut self, now: Instant, input: &mut BytesMut) {
        loop {
            match self.decoder.decode(input) {
                Ok(Some(packet)) => self.handle_packet(now, packet),
                Ok(None) => return,
                Err(e) => {
                    self.handle_decode_error(now, e);
                    input.clear();
                    return;
                }
            }
        }
    }

    /// Reports a packet from the broker that could not be decoded: the session sends
    /// DISCONNECT with the error's reason code (0x81 Malformed Packet, 0x82 Protocol Error,
    /// 0x95 Packet too large) and closes.
    pub fn handle_decode_error(&mut self, now: Instant, error: CodecError) {
        // Some codec errors carry a code only CONNACK can send (0x84 for a CONNECT of an
        // unknown level, say): a DISCONNECT says Malformed Packet then.
        let reason = error
            .reason_code()
            .filter(|r| r.is_allowed_in(PacketType::Disconnect))
            .unwrap_or(ReasonCode::MalformedPacket);
        let normative = error.normative_id();
        self.violation(
            now,
            reason,
            format!("invalid packet from the broker: {error}"),
            normative,
        );
    }

    /// Reports that the network connection closed or failed.
    pub fn handle_connection_lost(&mut self, _now: Instant, detail: impl Into<String>) {
        if self.state != State::Disconnected {
            self.close(DisconnectCause::ConnectionLost(detail.into()));
        }
    }

    /// Handles a packet from the broker.
    pub fn handle_packet(&mut self, now: Instant, packet: Packet) {
        tracing::trace!(packet = packet.packet_type().name(), "received");
        match self.state {
            State::Disconnected => {}
            State::Connecting => match packet {
                Packet::ConnAck(c) => self.on_connack(now, c),
                Packet::Auth(a) => self.on_auth(now, a),
                Packet::Disconnect(d) => self.on_disconnect(d),
                other => self.violation(
                    now,
                    ReasonCode::ProtocolError,
                    format!("{} before CONNACK", other.packet_type().name()),
                    Some("MQTT-3.2.0-1"),
                ),
            },
            State::Connected => match packet {
                Packet::Publish(p) => self.on_publish(now, p),
                Packet::PubAck(a) => self.on_puback(now, a),
                Packet::PubRec(r) => self.on_pubrec(now, r),
                Packet::PubRel(r) => self.on_pubrel(now, r),
                Packet::PubComp(c) => self.on_pubcomp(now, c),
                Packet::SubAck(s) => self.on_suback(now, s),
                Packet::UnsubAck(u) => self.on_unsuback(now, u),
                Packet::PingResp => self.on_pingresp(),
                Packet::Disconnect(d) => self.on_disconnect(d),
                Packet::Auth(a) => self.on_auth(now, a),
                Packet::ConnAck(_) => self.violation(
                    now,
                    ReasonCode::ProtocolError,
                    "a second CONNACK".into(),
                    Some("MQTT-3.2.0-2"),
                ),
                other => self.violation(
                    now,
                    ReasonCode::ProtocolError,
                    format!("{} sent by a server", other.packet_type().name()),
                    None,
                ),
            },
        }
    }

    /// Handles the timers due at `now` (see [`Session::poll_timeout`]).
    pub fn handle_timeout(&mut self, now: Instant) {
        if self.timers.expire(Timer::ConnAck, now) && self.state == State::Connecting {
            tracing::debug!("no CONNACK in time");
            self.close(DisconnectCause::ConnAckTimeout);
        }
        if self.timers.expire(Timer::PingResp, now) && self.state == State::Connected {
            tracing::warn!(timeout = ?self.config.ping_timeout, "no PINGRESP: connection dead");
            self.close(DisconnectCause::KeepAliveTimeout);
        }
        if self.timers.expire(Timer::KeepAlive, now) && self.state == State::Connected {
            // The timer is armed once per interval, not moved by every packet; when it fires
            // early (something was sent since), it is armed again for the real deadline.
            let due = self.last_sent.map_or(now, |t| t + self.keep_alive);
            if now < due {
                self.timers.set(Timer::KeepAlive, due);
            } else if self.timers.get(Timer::PingResp).is_none() {
                self.send_ping(now, None);
            }
        }
        if self.timers.expire(Timer::AckFlush, now) && !self.acks.is_empty() {
            self.ack_flush_due = true;
            self.ack_probe = Some((self.acks.len(), now));
        }
        if self.timers.expire(Timer::Expiry, now) {
            for q in self.queue.take_expired(now) {
                self.drop_queued(q, DropReason::Expired);
            }
            self.rearm_expiry();
        }
    }

    // ---- output ----

    /// The next packet to write, or `None` when there is nothing to send now. Call after every
    /// input until `None`; then write and flush. Acknowledgements and control packets go
    /// before new messages, which leave the buffer only while the inflight window has room
    /// [MQTT-3.3.4-8].
    pub fn poll_packet(&mut self, now: Instant) -> Option<Packet> {
        if !self.acks.is_empty() {
            self.release_acks(now);
        }
        let packet = match self.out.pop_front() {
            Some(p) => p,
            None => self.next_control().or_else(|| self.next_publish(now))?,
        };
        if self.keep_alive > Duration::ZERO && self.state == State::Connected {
            self.last_sent = Some(now);
            if self.timers.get(Timer::KeepAlive).is_none() {
                self.timers.set(Timer::KeepAlive, now + self.keep_alive);
            }
        }
        Some(packet)
    }

    /// Moves the held acknowledgements to the front of the output when they are due: a full
    /// batch, their delay ran out, or another packet goes out now.
    fn release_acks(&mut self, now: Instant) {
        let mut release = self.ack_flush_due || self.acks.len() >= self.ack_limit;
        if !release {
            // Something else goes out now: the acknowledgements go with it, first.
            let next = self
                .out
                .pop_front()
                .or_else(|| self.next_control())
                .or_else(|| self.next_publish(now));
            if let Some(p) = next {
                self.out.push_front(p);
                release = true;
            }
        }
        if !release {
            return;
        }
        if !self.ack_flush_due && self.acks.len() >= self.ack_limit {
            self.ack_stalls = 0;
            self.grow_ack_batch();
        }
        self.ack_flush_due = false;
        self.timers.stop(Timer::AckFlush);
        while let Some(ack) = self.acks.pop_back() {
            self.out.push_front(ack);
        }
    }

    /// The configured batch, within half of our Receive Maximum; 1 when coalescing is off.
    fn ack_batch_max(&self) -> usize {
        if self.config.ack_delay.is_zero() {
            return 1;
        }
        let ours = usize::from(self.config.options.receive_maximum.unwrap_or(u16::MAX));
        usize::from(self.config.ack_batch).min(ours / 2).max(1)
    }

    /// Queues the acknowledgement of an incoming message: held for coalescing, or straight
    /// to the output when batches are of one.
    fn push_ack(&mut self, now: Instant, ack: Packet) {
        if self.ack_limit <= 1 {
            self.out.push_back(ack);
            self.grow_ack_batch();
            return;
        }
        if self.acks.is_empty() {
            self.timers
                .set(Timer::AckFlush, now + self.config.ack_delay);
        }
        self.acks.push_back(ack);
    }

    /// A full batch went out: after [`ACK_GROWTH`] of them the batch grows by one, up to
    /// the configured one (it may have shrunk on a lull that only looked like a stall).
    fn grow_ack_batch(&mut self) {
        self.ack_full_batches += 1;
        if self.ack_full_batches >= ACK_GROWTH && self.ack_limit < self.ack_batch_max() {
            self.ack_limit += 1;
            self.ack_full_batches = 0;
        }
    }

    /// An incoming QoS 1/2 message within one delay after a flush on delay means that the
    /// broker was waiting for those acknowledgements (it holds no more than that many
    /// messages in flight), or that messages came slower than a batch per delay. Three in a
    /// row, and batches shrink to half of what the last flush sent.
    fn probe_ack_stall(&mut self, now: Instant) {
        let Some((sent, at)) = self.ack_probe.take() else {
            return;
        };
        if now.saturating_duration_since(at) > self.config.ack_delay {
            self.ack_stalls = 0;
            return;
        }
        self.ack_stalls += 1;
        if self.ack_stalls < ACK_STALLS {
            return;
        }
        self.ack_stalls = 0;
        let limit = (sent / 2).max(1);
        if limit < self.ack_limit {
            tracing::debug!(
                sent,
                limit,
                "broker waited for acknowledgements: smaller batches"
            );
            self.ack_limit = limit;
            self.ack_full_batches = 0;
        }
    }

    /// Drops held acknowledgements with the connection they were for.
    fn reset_acks(&mut self) {
        self.acks.clear();
        self.ack_flush_due = false;
        self.ack_probe = None;
        self.ack_stalls = 0;
        self.ack_full_batches = 0;
        self.ack_limit = self.ack_batch_max();
    }

    /// Encodes every packet [`Session::poll_packet`] has into `out`; `Ok(true)` if any was.
    ///
    /// # Errors
    /// [`ClientError::Codec`] if a packet cannot be encoded (the session does not produce
    /// such packets; this is a guard).
    pub fn poll_transmit(&mut self, now: Instant, out: &mut BytesMut) -> Result<bool, ClientError> {
        let mut any = false;
        while let Some(p) = self.poll_packet(now) {
            let version = match &p {
                Packet::Connect(c) => c.protocol_version,
                _ => self.version,
            };
            p.encode(version, out)?;
            any = true;
        }
        Ok(any)
    }

    /// The next event, or `None`.
    pub fn poll_event(&mut self) -> Option<Event> {
        self.events.pop_front()
    }

    /// Whether [`Session::poll_event`] has something.
    pub fn has_events(&self) -> bool {
        !self.events.is_empty()
    }

    /// When [`Session::handle_timeout`] is next due, if any timer is armed.
    pub fn poll_timeout(&self) -> Option<Instant> {
        self.timers.next()
    }

    fn next_control(&mut self) -> Option<Packet> {
        if self.state != State::Connected {
            return None;
        }
        let control = self.control.pop_front()?;
        let id = match self.alloc_id() {
            Ok(id) => id,
            Err(_) => {
                // Every identifier is taken by messages in flight: try again after an ack.
                self.control.push_front(control);
                return None;
            }
        };
        let packet = match &control {
            Control::Subscribe { cmd, .. } => {
                let mut s = Subscribe::new(id, cmd.subscriptions.clone());
                s.properties = cmd.properties.clone();
                Packet::Subscribe(s)
            }
            Control::Unsubscribe { cmd, .. } => {
                let mut u = Unsubscribe::new(id, cmd.filters.clone());
                u.properties = cmd.properties.clone();
                Packet::Unsubscribe(u)
            }
        };
        self.awaiting_ack.insert(id.get(), control);
        Some(packet)
    }

    fn next_publish(&mut self, now: Instant) -> Option<Packet> {
        if self.state != State::Connected {
            return None;
        }
        loop {
            let head = self.queue.peek()?;
            if head.cmd.qos != QoS::AtMostOnce && !self.window_open() {
                return None;
            }
            let q = self.queue.pop()?;
            if q.expires_at().is_some_and(|at| at <= now) {
                self.drop_queued(q, DropReason::Expired);
                continue;
            }
            if let Err(error) = self.check_limits(&q.cmd) {
                self.events.push_back(Event::OperationFailed {
                    ticket: q.ticket,
                    error,
                });
                continue;
            }
            let id = if q.cmd.qos == QoS::AtMostOnce {
                None
            } else {
                match self.alloc_id() {
                    Ok(id) => Some(id),
                    Err(_) => {
                        self.queue.requeue_front(vec![q]);
                        return None;
                    }
                }
            };
            let Queued {
                ticket,
                cmd,
                queued_at,
            } = q;
            let mut publish = Publish {
                dup: false,
                qos: cmd.qos,
                retain: cmd.retain,
                topic: cmd.topic,
                packet_id: id,
                properties: cmd.properties,
                payload: cmd.payload,
            };
            // The time spent in the buffer counts against the message's expiry.
            if let Some(secs) = publish.properties.message_expiry_interval() {
                let waited = now.saturating_duration_since(queued_at).as_secs();
                let left = u64::from(secs).saturating_sub(waited).max(1);
                publish
                    .properties
                    .set_message_expiry_interval(Some(u32::try_from(left).unwrap_or(secs)));
            }
            // A new alias adds three bytes; where that would break the broker's Maximum
            // Packet Size the topic goes without one [MQTT-3.2.2-15].
            let alias_room = match self.server.maximum_packet_size {
                None => true,
                Some(max) => publish
                    .encoded_len(self.version)
                    .is_ok_and(|n| n + 3 <= max as usize),
            };
            let Some(id) = id else {
                self.events.push_back(Event::Published(PublishOutcome {
                    ticket,
                    packet_id: None,
                    qos: QoS::AtMostOnce,
                    reason_code: ReasonCode::Success,
                    properties: Properties::new(),
                }));
                return Some(Packet::Publish(self.apply_alias(publish, alias_room)));
            };
            let wire = self.apply_alias(publish.clone(), alias_room);
            // Kept as first sent: a resend on another connection carries no alias.
            if publish.properties.topic_alias().is_some() {
                publish.properties.set_topic_alias(None);
            }
            self.inflight.push_back(OutEntry {
                id,
                ticket,
                publish,
                released: false,
                rec_reason: ReasonCode::Success,
            });
            return Some(Packet::Publish(wire));
        }
    }

    /// Replaces the topic by an alias where one is mapped, assigning one where the broker
    /// allows it [MQTT-3.2.2-17] [MQTT-3.2.2-18].
    fn apply_alias(&mut self, mut p: Publish, room: bool) -> Publish {
        let explicit = p.properties.topic_alias();
        let use_ = match explicit {
            Some(alias) => self.aliases_out.assign_explicit(alias, &p.topic),
            None if self.config.auto_topic_alias && room => self.aliases_out.assign(&p.topic),
            // Without room the full topic goes alone; a mapping stays valid for later.
            None => AliasUse::None,
        };
        match use_ {
            AliasUse::None => {}
            AliasUse::Set(alias) => {
                if explicit.is_none() {
                    p.properties.push(Property::TopicAlias(alias));
                }
            }
            AliasUse::Reuse(alias) => {
                if explicit.is_none() {
                    p.properties.push(Property::TopicAlias(alias));
                }
                p.topic = flowsdk_codec::TopicName::empty();
            }
        }
        p
    }

    fn alloc_id(&mut self) -> Result<PacketId, ClientError> {
        for _ in 0..=u16::MAX {
            let candidate = self.next_id;
            self.next_id = self.next_id.checked_add(1).unwrap_or(1);
            if candidate != 0 && self.ids_in_use.insert(candidate) {
                if let Some(id) = PacketId::new(candidate) {
                    return Ok(id);
                }
            }
        }
        Err(ClientError::PacketIdsExhausted)
    }

    fn free_id(&mut self, id: PacketId) {
        self.ids_in_use.remove(&id.get());
    }

    fn drop_queued(&mut self, q: Queued, reason: DropReason) {
        tracing::warn!(topic = %q.cmd.topic.as_str(), %reason, "message dropped");
        self.events.push_back(Event::Dropped {
            ticket: q.ticket,
            topic: q.cmd.topic,
            reason,
        });
    }

    fn rearm_expiry(&mut self) {
        match self.queue.next_expiry() {
            Some(at) => self.timers.set(Timer::Expiry, at),
            None => self.timers.stop(Timer::Expiry),
        }
    }

    /// Ends the current connection: state, timers, what was waiting on it.
    fn close(&mut self, cause: DisconnectCause) {
        let was = self.state;
        self.state = State::Disconnected;
        self.out.clear();
        self.reset_acks();
        // The broker sends unacknowledged QoS 1 messages again on a resumed session, and they
        // are delivered again; QoS 2 ones stay owed (their identifiers are session state).
        self.manual[0].clear();
        self.timers.clear();
        self.rearm_expiry();
        self.aliases_out.reset(0);
        self.aliases_in.reset(0);
        for ticket in self.pings.drain(..).flatten() {
            self.events.push_back(Event::OperationFailed {
                ticket,
                error: ClientError::ConnectionLost {
                    operation: Operation::Ping,
                    reason: cause.reason_code(),
                },
            });
        }
        if let Some(ticket) = self.reauth.take() {
            self.events.push_back(Event::OperationFailed {
                ticket,
                error: ClientError::ConnectionLost {
                    operation: Operation::Auth,
                    reason: cause.reason_code(),
                },
            });
        }
        // SUBSCRIBE/UNSUBSCRIBE without their ack are sent again on the next connection.
        let mut unacked: Vec<(u16, Control)> = self.awaiting_ack.drain().collect();
        unacked.sort_by_key(|(id, _)| *id);
        for (id, control) in unacked.into_iter().rev() {
            self.ids_in_use.remove(&id);
            self.control.push_front(control);
        }
        tracing::debug!(?cause, "connection ended");
        match was {
            State::Connecting => {
                let error = match &cause {
                    DisconnectCause::ConnAckTimeout => ClientError::Timeout {
                        operation: Operation::Connect,
                        after: self.config.connack_timeout,
                    },
                    DisconnectCause::ProtocolViolation(e) => e.clone(),
                    DisconnectCause::ByServer {
                        reason_code,
                        properties,
                    } => ClientError::ConnectRefused {
                        reason_code: *reason_code,
                        reason_string: properties.reason_string().map(|s| s.as_str().to_string()),
                        server_reference: properties
                            .server_reference()
                            .map(|s| s.as_str().to_string()),
                    },
                    DisconnectCause::ByClient { reason_code } => ClientError::ConnectionLost {
                        operation: Operation::Connect,
                        reason: Some(*reason_code),
                    },
                    DisconnectCause::KeepAliveTimeout | DisconnectCause::ConnectionLost(_) => {
                        ClientError::ConnectionLost {
                            operation: Operation::Connect,
                            reason: None,
                        }
                    }
                };
                self.events.push_back(Event::ConnectFailed(error));
            }
            State::Connected => self.events.push_back(Event::Disconnected(cause)),
            State::Disconnected => {}
        }
    }

    /// The broker broke the protocol: DISCONNECT with `reason_code` (5.0) and close.
    fn violation(
        &mut self,
        _now: Instant,
        reason_code: ReasonCode,
        detail: String,
        normative: Option<&'static str>,
    ) {
        if self.state == State::Disconnected {
            return;
        }
        tracing::warn!(?reason_code, %detail, "broker protocol violation");
        let error = ClientError::ProtocolViolation {
            reason_code,
            detail,
            normative,
        };
        self.close(DisconnectCause::ProtocolViolation(error));
        if self.version == ProtocolVersion::V5 {
            self.out
                .push_back(Packet::Disconnect(Disconnect::new(reason_code)));
        }
    }

    fn on_connack(&mut self, now: Instant, c: ConnAck) {
        if !c.reason_code.is_success() {
            let properties = c.properties;
            self.state = State::Disconnected;
            self.timers.clear();
            self.rearm_expiry();
            self.events
                .push_back(Event::ConnectFailed(ClientError::ConnectRefused {
                    reason_code: c.reason_code,
                    reason_string: properties.reason_string().map(|s| s.as_str().to_string()),
                    server_reference: properties
                        .server_reference()
                        .map(|s| s.as_str().to_string()),
                }));
            return;
        }
        if c.session_present && self.sent_clean_start {
            self.violation(
                now,
                ReasonCode::ProtocolError,
                "Session Present 1 in answer to Clean Start 1".into(),
                Some("MQTT-3.2.2-4"),
            );
            return;
        }
        let p = &c.properties;
        let opts = &self.config.options;
        let keep_alive = match p.server_keep_alive() {
            // [MQTT-3.1.2-21]
            Some(secs) => Duration::from_secs(u64::from(secs)),
            None => opts.keep_alive,
        };
        self.server = ServerLimits {
            receive_maximum: p.receive_maximum().unwrap_or(u16::MAX),
            maximum_qos: p.maximum_qos().unwrap_or(QoS::ExactlyOnce),
            retain_available: p.retain_available().unwrap_or(true),
            maximum_packet_size: p.maximum_packet_size(),
            topic_alias_maximum: p.topic_alias_maximum().unwrap_or(0),
            wildcard_subscription_available: p.wildcard_subscription_available().unwrap_or(true),
            subscription_identifiers_available: p
                .subscription_identifier_available()
                .unwrap_or(true),
            shared_subscription_available: p.shared_subscription_available().unwrap_or(true),
            keep_alive,
            session_expiry_interval: p.session_expiry_interval(),
        };
        if let Some(id) = p.assigned_client_identifier() {
            self.client_id = id.as_str().to_string();
        }
        if let Some(a) = self.authenticator.as_mut() {
            if let Err(e) = a.succeeded(p) {
                self.violation(
                    now,
                    ReasonCode::NotAuthorized,
                    format!("authenticator refused the broker's final data: {e}"),
                    None,
                );
                return;
            }
        }
        self.keep_alive = keep_alive;
        self.state = State::Connected;
        self.timers.stop(Timer::ConnAck);
        if keep_alive > Duration::ZERO {
            self.last_sent = Some(now);
            self.timers.set(Timer::KeepAlive, now + keep_alive);
        }
        self.aliases_out.reset(self.server.topic_alias_maximum);
        self.aliases_in
            .reset(self.config.options.topic_alias_maximum.unwrap_or(0));
        let had_state = self.has_session;
        self.has_session = true;
        let mut resent = 0;
        if c.session_present {
            // [MQTT-4.4.0-1]: resend unacknowledged PUBLISH (DUP) and PUBREL, in order.
            let max = self.server.maximum_packet_size;
            let mut kept = VecDeque::with_capacity(self.inflight.len());
            for e in std::mem::take(&mut self.inflight) {
                let packet = if e.released {
                    Packet::PubRel(PubRel::new(e.id))
                } else {
                    let mut p = e.publish.clone();
                    p.dup = true;
                    Packet::Publish(p)
                };
                // The broker may announce a smaller Maximum Packet Size than the connection
                // the message was first sent on: it cannot be sent again [MQTT-3.2.2-15].
                if let Some(max) = max {
                    let size = packet.encoded_len(self.version).unwrap_or(usize::MAX);
                    if size > max as usize {
                        self.free_id(e.id);
                        self.events.push_back(Event::OperationFailed {
                            ticket: e.ticket,
                            error: ClientError::PacketTooLarge { size, max },
                        });
                        continue;
                    }
                }
                self.out.push_back(packet);
                kept.push_back(e);
                resent += 1;
            }
            self.inflight = kept;
        } else if had_state {
            self.session_lost(now);
        }
        // QoS 2 acknowledgements the application gave while disconnected.
        self.release_manual(now);
        tracing::debug!(session_present = c.session_present, resent, "connected");
        self.events.push_back(Event::Connected(ConnectOutcome {
            session_present: c.session_present,
            reason_code: c.reason_code,
            client_id: self.client_id.clone(),
            server: self.server.clone(),
            properties: c.properties,
            resent,
        }));
    }

    /// The broker has no session for us [MQTT-3.2.2-5]: its half of every flow is gone.
    /// Messages it never acknowledged are sent again as new messages; QoS 2 messages it
    /// acknowledged with PUBREC are reported finished; subscriptions are restored.
    fn session_lost(&mut self, now: Instant) {
        let mut requeue = Vec::new();
        for e in std::mem::take(&mut self.inflight) {
            self.ids_in_use.remove(&e.id.get());
            if e.released {
                self.events.push_back(Event::Published(PublishOutcome {
                    ticket: e.ticket,
                    packet_id: Some(e.id),
                    qos: e.publish.qos,
                    reason_code: e.rec_reason,
                    properties: Properties::new(),
                }));
            } else {
                requeue.push(Queued {
                    ticket: e.ticket,
                    queued_at: now,
                    cmd: PublishCommand {
                        topic: e.publish.topic,
                        payload: e.publish.payload,
                        qos: e.publish.qos,
                        retain: e.publish.retain,
                        properties: e.publish.properties,
                        priority: crate::command::Priority::High,
                    },
                });
            }
        }
        let requeued = requeue.len();
        self.queue.requeue_front(requeue);
        self.incoming_qos2.clear();
        self.manual[1].clear();
        // Restore subscriptions: one SUBSCRIBE per subscription identifier.
        let mut groups: Vec<(Option<u32>, Vec<Subscription>)> = Vec::new();
        for s in &self.subscriptions {
            match groups.iter_mut().find(|(id, _)| *id == s.subscription_id) {
                Some((_, subs)) => subs.push(s.subscription.clone()),
                None => groups.push((s.subscription_id, vec![s.subscription.clone()])),
            }
        }
        let resubscribed = groups.len();
        for (id, subscriptions) in groups.into_iter().rev() {
            let mut properties = Properties::new();
            if let Some(id) = id {
                properties.push(Property::SubscriptionIdentifier(id));
            }
            let ticket = self.ticket();
            self.control.push_front(Control::Subscribe {
                ticket,
                cmd: SubscribeCommand {
                    subscriptions,
                    properties,
                },
                restore: true,
            });
        }
        tracing::warn!(requeued, resubscribed, "broker lost the session");
        if requeued > 0 || resubscribed > 0 {
            self.events.push_back(Event::SessionLost {
                requeued,
                resubscribed,
            });
        }
    }

    fn on_publish(&mut self, now: Instant, mut p: Publish) {
        if let Some(alias) = p.properties.topic_alias() {
            match self.aliases_in.resolve(&p.topic, alias) {
                Ok(topic) => {
                    p.topic = topic;
                    p.properties.set_topic_alias(None);
                }
                Err(AliasError::OutOfRange(a)) => {
                    return self.violation(
                        now,
                        ReasonCode::TopicAliasInvalid,
                        format!(
                            "topic alias {a} outside 1..={}",
                            self.config.options.topic_alias_maximum.unwrap_or(0)
                        ),
                        Some("MQTT-3.3.2-10"),
                    );
                }
                Err(AliasError::Unknown(a)) => {
                    return self.violation(
                        now,
                        ReasonCode::ProtocolError,
                        format!("empty topic with unmapped topic alias {a}"),
                        None,
                    );
                }
            }
        } else if p.topic.is_empty() {
            return self.violation(
                now,
                ReasonCode::ProtocolError,
                "PUBLISH with an empty topic and no topic alias".into(),
                Some("MQTT-3.3.2-1"),
            );
        }
        match (p.qos, p.packet_id) {
            (QoS::AtMostOnce, _) => self.events.push_back(Event::Message(p)),
            (QoS::AtLeastOnce, Some(id)) => {
                // [MQTT-4.5.0-2] [MQTT-4.6.0-2]: acknowledged in the order received.
                self.probe_ack_stall(now);
                if self.config.manual_acks {
                    self.manual[0].push_back((id, None));
                } else {
                    self.push_ack(now, Packet::PubAck(PubAck::new(id)));
                }
                self.events.push_back(Event::Message(p));
            }
            (QoS::ExactlyOnce, Some(id)) => {
                self.probe_ack_stall(now);
                if self.incoming_qos2.contains(&id) {
                    // [MQTT-4.3.3-10]: a repeat before PUBREL is acknowledged, not delivered;
                    // under manual acknowledgement, once the application has acknowledged it.
                    if !self.manual[1].iter().any(|(m, _)| *m == id) {
                        self.push_ack(now, Packet::PubRec(PubRec::new(id)));
                    }
                    return;
                }
                let max = usize::from(self.config.options.receive_maximum.unwrap_or(u16::MAX));
                if self.incoming_qos2.len() >= max {
                    return self.violation(
                        now,
                        ReasonCode::ReceiveMaximumExceeded,
                        format!("more than Receive Maximum {max} QoS 2 messages unacknowledged"),
                        None,
                    );
                }
                self.incoming_qos2.insert(id);
                if self.config.manual_acks {
                    self.manual[1].push_back((id, None));
                } else {
                    self.push_ack(now, Packet::PubRec(PubRec::new(id)));
                }
                self.events.push_back(Event::Message(p));
            }
            // The codec refuses QoS 1/2 without an identifier.
            (_, None) => self.violation(
                now,
                ReasonCode::MalformedPacket,
                "QoS 1/2 PUBLISH without packet identifier".into(),
                Some("MQTT-2.2.1-2"),
            ),
        }
    }

    /// `reason` as this version can send it: 3.1.1 acknowledgements and DISCONNECT carry no
    /// reason code.
    fn wire_reason(&self, reason: ReasonCode) -> ReasonCode {
        match self.version {
            ProtocolVersion::V5 => reason,
            ProtocolVersion::V311 => ReasonCode::Success,
        }
    }

    fn find(&self, id: PacketId) -> Option<usize> {
        self.inflight.iter().position(|e| e.id == id)
    }

    fn on_puback(&mut self, now: Instant, a: PubAck) {
        let Some(i) = self
            .find(a.packet_id)
            .filter(|&i| self.inflight[i].publish.qos == QoS::AtLeastOnce)
        else {
            return self.violation(
                now,
                ReasonCode::ProtocolError,
                format!(
                    "PUBACK for packet id {} with no QoS 1 PUBLISH in flight",
                    a.packet_id.get()
                ),
                None,
            );
        };
        if let Some(e) = self.inflight.remove(i) {
            self.free_id(e.id);
            tracing::trace!(packet_id = e.id.get(), "PUBACK");
            self.events.push_back(Event::Published(PublishOutcome {
                ticket: e.ticket,
                packet_id: Some(e.id),
                qos: QoS::AtLeastOnce,
                reason_code: a.reason_code,
                properties: a.properties,
            }));
        }
    }

    fn on_pubrec(&mut self, now: Instant, r: PubRec) {
        let Some(i) = self.find(r.packet_id) else {
            // Not an error during recovery (section 3.6.2.1): answer 0x92.
            let reason = self.wire_reason(ReasonCode::PacketIdentifierNotFound);
            self.out
                .push_back(Packet::PubRel(PubRel::with_reason(r.packet_id, reason)));
            return;
        };
        if self.inflight[i].publish.qos != QoS::ExactlyOnce {
            return self.violation(
                now,
                ReasonCode::ProtocolError,
                format!("PUBREC for QoS 1 packet id {}", r.packet_id.get()),
                None,
            );
        }
        if !r.reason_code.is_success() {
            // [MQTT-4.4.0-2]: finished, not retransmitted.
            if let Some(e) = self.inflight.remove(i) {
                self.free_id(e.id);
                self.events.push_back(Event::Published(PublishOutcome {
                    ticket: e.ticket,
                    packet_id: Some(e.id),
                    qos: QoS::ExactlyOnce,
                    reason_code: r.reason_code,
                    properties: r.properties,
                }));
            }
            return;
        }
        let e = &mut self.inflight[i];
        let first = !e.released;
        // A PUBREL can be lost with the connection: the entry stays until PUBCOMP so that
        // the resend after reconnect completes the flow instead of publishing again.
        e.released = true;
        e.rec_reason = r.reason_code;
        let (id, ticket) = (e.id, e.ticket);
        // [MQTT-4.3.3-4] [MQTT-4.6.0-4]: in the order of the PUBRECs, which the held
        // acknowledgements keep. The message keeps its slot of the window until PUBCOMP, so
        // PUBRELs are held only under load: while at least twice a batch of messages is in
        // flight and fewer than a batch of PUBRELs (a sixteenth of the window at most) wait,
        // the PUBRECs still to come keep the flow going. In a small window (Mosquitto's
        // default of 20) holding them costs more time than it saves writes: measured. A lone
        // QoS 2 publish finishes without delay.
        let rel = Packet::PubRel(PubRel::new(id));
        let batch = self.ack_limit.min(self.window() / 16);
        let held = self
            .acks
            .iter()
            .filter(|p| matches!(p, Packet::PubRel(_)))
            .count();
        if batch > 1 && self.inflight.len() >= 2 * batch && held + 1 < batch {
            self.push_ack(now, rel);
        } else {
            self.out.push_back(rel);
        }
        if first {
            self.events.push_back(Event::PubRec {
                ticket,
                packet_id: id,
                reason_code: r.reason_code,
            });
        }
    }

    fn on_pubrel(&mut self, now: Instant, r: PubRel) {
        let reason = if self.incoming_qos2.remove(&r.packet_id) {
            ReasonCode::Success
        } else {
            self.wire_reason(ReasonCode::PacketIdentifierNotFound)
        };
        // [MQTT-4.3.3-11]
        self.push_ack(
            now,
            Packet::PubComp(PubComp::with_reason(r.packet_id, reason)),
        );
    }

    fn on_pubcomp(&mut self, now: Instant, c: PubComp) {
        let Some(i) = self
            .find(c.packet_id)
            .filter(|&i| self.inflight[i].released)
        else {
            return self.violation(
                now,
                ReasonCode::ProtocolError,
                format!(
                    "PUBCOMP for packet id {} with no PUBREL sent",
                    c.packet_id.get()
                ),
                None,
            );
        };
        if let Some(e) = self.inflight.remove(i) {
            self.free_id(e.id);
            self.events.push_back(Event::Published(PublishOutcome {
                ticket: e.ticket,
                packet_id: Some(e.id),
                qos: QoS::ExactlyOnce,
                reason_code: c.reason_code,
                properties: c.properties,
            }));
        }
    }

    fn on_suback(&mut self, now: Instant, s: SubAck) {
        let Some(Control::Subscribe {
            ticket,
            cmd,
            restore,
        }) = self.awaiting_ack.get(&s.packet_id.get()).cloned()
        else {
            return self.violation(
                now,
                ReasonCode::ProtocolError,
                format!(
                    "SUBACK for packet id {} with no SUBSCRIBE pending",
                    s.packet_id.get()
                ),
                None,
            );
        };
        if s.reason_codes.len() != cmd.subscriptions.len() {
            return self.violation(
                now,
                ReasonCode::ProtocolError,
                format!(
                    "SUBACK with {} reason codes for {} topic filters",
                    s.reason_codes.len(),
                    cmd.subscriptions.len()
                ),
                Some("MQTT-3.9.3-1"),
            );
        }
        self.awaiting_ack.remove(&s.packet_id.get());
        self.free_id(s.packet_id);
        let subscription_id = cmd.subscription_id();
        for (sub, code) in cmd.subscriptions.into_iter().zip(&s.reason_codes) {
            if code.is_success() {
                match self
                    .subscriptions
                    .iter_mut()
                    .find(|x| x.subscription.filter == sub.filter)
                {
                    Some(existing) => {
                        existing.subscription = sub;
                        existing.subscription_id = subscription_id;
                    }
                    None => self.subscriptions.push(StoredSubscription {
                        subscription: sub,
                        subscription_id,
                    }),
                }
            }
        }
        let outcome = SubscribeOutcome {
            ticket,
            packet_id: s.packet_id,
            reason_codes: s.reason_codes,
            properties: s.properties,
        };
        self.events.push_back(if restore {
            Event::SubscriptionRestored(outcome)
        } else {
            Event::Subscribed(outcome)
        });
    }

    fn on_unsuback(&mut self, now: Instant, u: UnsubAck) {
        let Some(Control::Unsubscribe { ticket, cmd }) =
            self.awaiting_ack.get(&u.packet_id.get()).cloned()
        else {
            return self.violation(
                now,
                ReasonCode::ProtocolError,
                format!(
                    "UNSUBACK for packet id {} with no UNSUBSCRIBE pending",
                    u.packet_id.get()
                ),
                None,
            );
        };
        // 3.1.1's UNSUBACK has no reason codes: every filter is gone.
        let codes = if self.version == ProtocolVersion::V311 {
            vec![ReasonCode::Success; cmd.filters.len()]
        } else {
            u.reason_codes
        };
        if codes.len() != cmd.filters.len() {
            return self.violation(
                now,
                ReasonCode::ProtocolError,
                format!(
                    "UNSUBACK with {} reason codes for {} topic filters",
                    codes.len(),
                    cmd.filters.len()
                ),
                Some("MQTT-3.11.3-1"),
            );
        }
        self.awaiting_ack.remove(&u.packet_id.get());
        self.free_id(u.packet_id);
        for (filter, code) in cmd.filters.iter().zip(&codes) {
            if code.is_success() {
                self.subscriptions
                    .retain(|s| &s.subscription.filter != filter);
            }
        }
        self.events.push_back(Event::Unsubscribed(SubscribeOutcome {
            ticket,
            packet_id: u.packet_id,
            reason_codes: codes,
            properties: u.properties,
        }));
    }

    fn on_pingresp(&mut self) {
        if let Some(ticket) = self.pings.pop_front() {
            self.events.push_back(Event::PingResponse { ticket });
        }
        // With another PINGREQ outstanding, the deadline of the first one stands.
        if self.pings.is_empty() {
            self.timers.stop(Timer::PingResp);
        }
    }

    fn on_disconnect(&mut self, d: Disconnect) {
        self.close(DisconnectCause::ByServer {
            reason_code: d.reason_code,
            properties: d.properties,
        });
    }

    fn on_auth(&mut self, now: Instant, a: Auth) {
        let Some(method) = self.config.options.auth_method.clone() else {
            return self.violation(
                now,
                ReasonCode::ProtocolError,
                "AUTH without an Authentication Method in CONNECT".into(),
                Some("MQTT-4.12.0-7"),
            );
        };
        let same_method = a
            .properties
            .authentication_method()
            .is_some_and(|m| m.as_str() == method);
        if !same_method {
            return self.violation(
                now,
                ReasonCode::ProtocolError,
                "AUTH with another Authentication Method".into(),
                Some("MQTT-4.12.0-5"),
            );
        }
        match a.reason_code {
            ReasonCode::ContinueAuthentication => {
                let data = a.properties.authentication_data();
                let answer = match self.authenticator.as_mut() {
                    Some(auth) => auth.challenge(data.as_ref(), &a.properties),
                    None => Err("no authenticator set for the challenge".to_string()),
                };
                match answer {
                    Ok(data) => {
                        // [MQTT-4.12.0-3]
                        let packet =
                            self.auth_packet(ReasonCode::ContinueAuthentication, &method, data);
                        self.out.push_back(packet);
                        self.events.push_back(Event::Auth {
                            reason_code: a.reason_code,
                            properties: a.properties,
                        });
                    }
                    Err(e) => {
                        let error = ClientError::Auth(e);
                        if self.state == State::Connecting {
                            self.close(DisconnectCause::ProtocolViolation(error));
                        } else {
                            self.close(DisconnectCause::ByClient {
                                reason_code: ReasonCode::NotAuthorized,
                            });
                        }
                        if self.version == ProtocolVersion::V5 {
                            self.out.push_back(Packet::Disconnect(Disconnect::new(
                                ReasonCode::NotAuthorized,
                            )));
                        }
                    }
                }
            }
            ReasonCode::Success if self.state == State::Connected => {
                if let Some(auth) = self.authenticator.as_mut() {
                    if let Err(e) = auth.succeeded(&a.properties) {
                        return self.violation(
                            now,
                            ReasonCode::NotAuthorized,
                            format!("authenticator refused the broker's final data: {e}"),
                            None,
                        );
                    }
                }
                self.events.push_back(Event::Auth {
                    reason_code: a.reason_code,
                    properties: a.properties,
                });
                if let Some(ticket) = self.reauth.take() {
                    self.events.push_back(Event::Reauthenticated { ticket });
                }
            }
            other => self.violation(
                now,
                ReasonCode::ProtocolError,
                format!("AUTH with reason {other:?} from the server"),
                None,
            ),
        }
    }

    // ---- persistence ----

    /// A copy of the session state that must survive the process: unfinished outgoing
    /// messages, incoming QoS 2 identifiers, buffered messages and subscriptions.
    pub fn snapshot(&self) -> SessionState {
        SessionState {
            client_id: self.client_id.clone(),
            inflight: self
                .inflight
                .iter()
                .map(|e| StoredPublish {
                    packet_id: e.id,
                    publish: e.publish.clone(),
                    released: e.released,
                })
                .collect(),
            incoming_qos2: {
                let mut ids: Vec<PacketId> = self.incoming_qos2.iter().copied().collect();
                ids.sort();
                ids
            },
            queued: self.queue.snapshot(),
            subscriptions: self.subscriptions.clone(),
        }
    }

    /// Restores a state saved by [`Session::snapshot`] into a disconnected session: the next
    /// connection resumes it (Clean Start 0 where the session can outlive a connection) and
    /// resends what is unfinished. Restored operations have fresh tickets that nobody waits on.
    ///
    /// # Errors
    /// [`ClientError::InvalidOption`] if the session is not disconnected or the state repeats
    /// a packet identifier.
    pub fn restore(&mut self, now: Instant, state: SessionState) -> Result<(), ClientError> {
        if self.state != State::Disconnected {
            return Err(ClientError::invalid(
                "restore",
                "the session must be disconnected",
            ));
        }
        if !state.client_id.is_empty() {
            self.client_id = state.client_id;
        }
        for s in state.inflight {
            if !self.ids_in_use.insert(s.packet_id.get()) {
                return Err(ClientError::invalid(
                    "restore",
                    format!("packet id {} appears twice", s.packet_id.get()),
                ));
            }
            let ticket = self.ticket();
            self.inflight.push_back(OutEntry {
                id: s.packet_id,
                ticket,
                publish: s.publish,
                released: s.released,
                rec_reason: ReasonCode::Success,
            });
        }
        self.incoming_qos2.extend(state.incoming_qos2);
        let queued: Vec<Queued> = state
            .queued
            .into_iter()
            .map(|cmd| Queued {
                ticket: self.ticket(),
                cmd,
                queued_at: now,
            })
            .collect();
        self.queue.requeue_front(queued);
        self.subscriptions = state.subscriptions;
        self.has_session = true;
        self.rearm_expiry();
        Ok(())
    }

    /// Drops every buffered message, reporting each as [`Event::Dropped`] with
    /// [`DropReason::Shutdown`]; for a client that shuts down without a session store.
    pub fn drain_queue(&mut self) {
        for q in self.queue.drain() {
            self.drop_queued(q, DropReason::Shutdown);
        }
        self.timers.stop(Timer::Expiry);
    }
}
