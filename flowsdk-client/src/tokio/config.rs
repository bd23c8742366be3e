//! [`TokioAsyncClientConfig`]: how the tokio client behaves (reconnect, buffering, timeouts),
//! as opposed to what it asks of the broker ([`MqttClientOptions`](crate::MqttClientOptions)).

use std::sync::Arc;
use std::time::Duration;

use crate::error::ClientError;
use crate::proto::OverflowPolicy;
use crate::store::SessionStore;

/// Timeouts of the tokio client.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Timeouts {
    /// Dial, handshakes and CONNACK together.
    pub connect: Duration,
    /// A `*_sync` publish, subscribe, unsubscribe or re-authentication waiting for its ack.
    pub operation: Duration,
    /// A PINGREQ waiting for its PINGRESP (keep-alive and `ping_sync`); past it the
    /// connection is considered dead.
    pub ping: Duration,
    /// Everything else: `disconnect_sync`, `request` without its own timeout.
    pub default: Duration,
}

impl Timeouts {
    /// Loopback or one LAN: connect 5 s, operation 3 s, ping 2 s, default 5 s.
    pub const LOCAL: Timeouts = Timeouts::secs(5, 3, 2, 5);
    /// Across the internet: connect 30 s, operation 10 s, ping 5 s, default 30 s.
    pub const INTERNET: Timeouts = Timeouts::secs(30, 10, 5, 30);
    /// High-latency links: connect 120 s, operation 60 s, ping 30 s, default 120 s.
    pub const SATELLITE: Timeouts = Timeouts::secs(120, 60, 30, 120);

    const fn secs(connect: u64, operation: u64, ping: u64, default: u64) -> Timeouts {
        Timeouts {
            connect: Duration::from_secs(connect),
            operation: Duration::from_secs(operation),
            ping: Duration::from_secs(ping),
            default: Duration::from_secs(default),
        }
    }
}

/// Reconnect backoff: the n-th retry waits `initial * multiplier^(n-1)`, capped at `max`,
/// scaled by a random factor in `1 ± jitter`.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Backoff {
    /// The first delay.
    pub initial: Duration,
    /// The largest delay.
    pub max: Duration,
    /// Growth per attempt (at least 1).
    pub multiplier: f64,
    /// Random spread, 0 to 1 (0.2: ±20 %), so that many clients do not retry in step.
    pub jitter: f64,
}

impl Backoff {
    /// The delay before retry number `attempt` (1-based) with `random` in `[0, 1)`.
    pub fn delay(&self, attempt: u32, random: f64) -> Duration {
        let exp = i32::try_from(attempt.saturating_sub(1)).unwrap_or(i32::MAX);
        let base = self.initial.as_secs_f64() * self.multiplier.max(1.0).powi(exp);
        let capped = base.min(self.max.as_secs_f64());
        let spread = 1.0 + self.jitter.clamp(0.0, 1.0) * (2.0 * random - 1.0);
        Duration::from_secs_f64((capped * spread).max(0.0)).min(self.max)
    }
}

impl Default for Backoff {
    fn default() -> Self {
        Backoff {
            initial: Duration::from_millis(500),
            max: Duration::from_secs(30),
            multiplier: 2.0,
            jitter: 0.2,
        }
    }
}

/// How the tokio client behaves: reconnect policy, buffering, timeouts, limits.
///
/// # Examples
/// ```
/// use flowsdk_client::TokioAsyncClientConfig;
/// use flowsdk_client::OverflowPolicy;
///
/// let config = TokioAsyncClientConfig::builder()
///     .auto_reconnect(true)
///     .internet_timeouts()
///     .operation_timeout(std::time::Duration::from_secs(20)) // one timeout alone
///     .receive_maximum(100)
///     .offline_buffer(5_000, OverflowPolicy::DropOldest)
///     .build()?;
/// assert_eq!(config.timeouts().connect.as_secs(), 30);
/// # Ok::<(), flowsdk_client::ClientError>(())
/// ```
#[derive(Clone, Debug)]
pub struct TokioAsyncClientConfig {
    pub(crate) auto_reconnect: bool,
    pub(crate) backoff: Backoff,
    pub(crate) max_reconnect_attempts: Option<u32>,
    pub(crate) reconnect_after_refusal: bool,
    pub(crate) buffer_capacity: usize,
    pub(crate) overflow: OverflowPolicy,
    pub(crate) offline_buffering: bool,
    pub(crate) timeouts: Timeouts,
    pub(crate) max_inflight: u16,
    pub(crate) window_refill: Option<u16>,
    pub(crate) ack_batch: u16,
    pub(crate) ack_delay: Duration,
    pub(crate) manual_acks: bool,
    pub(crate) stream_capacity: usize,
    pub(crate) priority_lanes: bool,
    pub(crate) auto_topic_alias: bool,
    pub(crate) session_store: Option<Arc<dyn SessionStore>>,
}

impl TokioAsyncClientConfig {
    /// A builder with the defaults of each setter.
    pub fn builder() -> TokioAsyncClientConfigBuilder {
        TokioAsyncClientConfigBuilder {
            config: TokioAsyncClientConfig::default(),
        }
    }

    /// The timeouts in force.
    pub fn timeouts(&self) -> Timeouts {
        self.timeouts
    }

    /// Whether the client reconnects after losing the connection.
    pub fn auto_reconnect(&self) -> bool {
        self.auto_reconnect
    }

    /// The reconnect backoff.
    pub fn backoff(&self) -> Backoff {
        self.backoff
    }
}

impl Default for TokioAsyncClientConfig {
    fn default() -> Self {
        TokioAsyncClientConfig {
            auto_reconnect: true,
            backoff: Backoff::default(),
            max_reconnect_attempts: None,
            reconnect_after_refusal: false,
            buffer_capacity: 10_000,
            overflow: OverflowPolicy::Reject,
            offline_buffering: true,
            timeouts: Timeouts::INTERNET,
            max_inflight: u16::MAX,
            window_refill: None,
            ack_batch: crate::proto::DEFAULT_ACK_BATCH,
            ack_delay: crate::proto::DEFAULT_ACK_DELAY,
            manual_acks: false,
            stream_capacity: 1024,
            priority_lanes: true,
            auto_topic_alias: true,
            session_store: None,
        }
    }
}

/// Builds a [`TokioAsyncClientConfig`].
#[derive(Debug)]
#[must_use]
pub struct TokioAsyncClientConfigBuilder {
    config: TokioAsyncClientConfig,
}

impl TokioAsyncClientConfigBuilder {
    /// Reconnect after the connection is lost, with backoff. Default `true`.
    pub fn auto_reconnect(mut self, on: bool) -> Self {
        self.config.auto_reconnect = on;
        self
    }

    /// The first reconnect delay. Default 500 ms.
    pub fn reconnect_delay_initial(mut self, delay: Duration) -> Self {
        self.config.backoff.initial = delay;
        self
    }

    /// The largest reconnect delay. Default 30 s.
    pub fn reconnect_delay_max(mut self, delay: Duration) -> Self {
        self.config.backoff.max = delay;
        self
    }

    /// Delay growth per attempt. Default 2.0.
    pub fn backoff_multiplier(mut self, multiplier: f64) -> Self {
        self.config.backoff.multiplier = multiplier;
        self
    }

    /// Random spread of each delay, 0 to 1. Default 0.2 (±20 %).
    pub fn backoff_jitter(mut self, jitter: f64) -> Self {
        self.config.backoff.jitter = jitter;
        self
    }

    /// Give up after this many failed reconnects in a row. Default: never give up.
    pub fn max_reconnect_attempts(mut self, attempts: u32) -> Self {
        self.config.max_reconnect_attempts = Some(attempts);
        self
    }

    /// Whether auto-reconnect goes on after the broker refused a connection for a reason that
    /// trying again cannot fix: 0x84 *Unsupported Protocol Version*, 0x85 *Client Identifier
    /// not valid*, 0x86 *Bad User Name or Password*, 0x87 *Not authorized*, 0x8A *Banned*,
    /// 0x8C *Bad authentication method* (and their 3.1.1 return codes 1, 2, 4, 5).
    ///
    /// Default `false`: after such a refusal the client stops reconnecting and reports
    /// [`ClientError::StoppedReconnecting`](crate::ClientError::StoppedReconnecting) to
    /// `on_error`, instead of knocking with the same credentials forever; `connect` starts
    /// again. If `set_credentials` or `set_peer` is called before the client decides (in the
    /// `on_connect_failed` / `on_reconnect_failed` callback), it tries again with them. Other
    /// refusals (0x88 *Server unavailable*, 0x89 *Server busy*, 0x97 *Quota exceeded*,
    /// 0x9C / 0x9D redirection, ...) are retried with backoff either way.
    pub fn reconnect_after_refusal(mut self, on: bool) -> Self {
        self.config.reconnect_after_refusal = on;
        self
    }

    /// The outgoing buffer: messages accepted and not yet sent (while disconnected, or while
    /// the inflight window is full), and what happens when it is full. Default 10,000
    /// messages, [`OverflowPolicy::Reject`].
    pub fn offline_buffer(mut self, capacity: usize, overflow: OverflowPolicy) -> Self {
        self.config.buffer_capacity = capacity;
        self.config.overflow = overflow;
        self
    }

    /// Buffer capacity alone (see [`offline_buffer`](Self::offline_buffer)).
    pub fn offline_buffer_capacity(mut self, capacity: usize) -> Self {
        self.config.buffer_capacity = capacity;
        self
    }

    /// Overflow policy alone (see [`offline_buffer`](Self::offline_buffer)).
    pub fn overflow_policy(mut self, overflow: OverflowPolicy) -> Self {
        self.config.overflow = overflow;
        self
    }

    /// Whether messages published while disconnected are buffered; off, they are refused
    /// with [`ClientError::NotConnected`]. Default `true`.
    pub fn buffer_while_offline(mut self, on: bool) -> Self {
        self.config.offline_buffering = on;
        self
    }

    /// Timeouts for loopback or a LAN: connect 5 s, operation 3 s, ping 2 s, default 5 s.
    pub fn local_timeouts(mut self) -> Self {
        self.config.timeouts = Timeouts::LOCAL;
        self
    }

    /// Timeouts for the internet (the default): connect 30 s, operation 10 s, ping 5 s,
    /// default 30 s.
    pub fn internet_timeouts(mut self) -> Self {
        self.config.timeouts = Timeouts::INTERNET;
        self
    }

    /// Timeouts for satellite links: connect 120 s, operation 60 s, ping 30 s, default 120 s.
    pub fn satellite_timeouts(mut self) -> Self {
        self.config.timeouts = Timeouts::SATELLITE;
        self
    }

    /// Connect timeout alone: dial, handshakes and CONNACK.
    pub fn connect_timeout(mut self, timeout: Duration) -> Self {
        self.config.timeouts.connect = timeout;
        self
    }

    /// Operation timeout alone: how long `*_sync` operations wait for their ack.
    pub fn operation_timeout(mut self, timeout: Duration) -> Self {
        self.config.timeouts.operation = timeout;
        self
    }

    /// Ping timeout alone: how long a PINGREQ may stay unanswered.
    pub fn ping_timeout(mut self, timeout: Duration) -> Self {
        self.config.timeouts.ping = timeout;
        self
    }

    /// Default timeout alone.
    pub fn default_timeout(mut self, timeout: Duration) -> Self {
        self.config.timeouts.default = timeout;
        self
    }

    /// The most QoS 1/2 messages this client keeps unacknowledged; the window is the smaller
    /// of this and the broker's Receive Maximum [MQTT-3.3.4-7]. Default 65,535 (the broker
    /// decides). Zero is refused by [`build`](Self::build).
    pub fn receive_maximum(mut self, max: u16) -> Self {
        self.config.max_inflight = max;
        self
    }

    /// Same as [`receive_maximum`](Self::receive_maximum), by the name other clients use.
    pub fn max_inflight(self, max: u16) -> Self {
        self.receive_maximum(max)
    }

    /// How many slots of a full inflight window must be free before queued messages go out
    /// again, together in one write (see [`SessionConfig::with_window_refill`]). Default:
    /// one sixteenth of the window, at least 1 and at most 64. `1` sends a message as soon
    /// as any slot frees. While the window is not full, messages are sent at once.
    ///
    /// [`SessionConfig::with_window_refill`]: crate::proto::SessionConfig::with_window_refill
    pub fn window_refill(mut self, slots: u16) -> Self {
        self.config.window_refill = Some(slots);
        self
    }

    /// Acknowledgement coalescing for incoming QoS 1/2 messages: their PUBACK, PUBREC and
    /// PUBCOMP wait until `batch` of them are due, another packet goes out, or the first has
    /// waited `delay`, then leave in one write (see
    /// [`SessionConfig::with_ack_coalescing`]). Messages are delivered at once either way.
    /// Default 8 and 1 ms; `ack_coalescing(1, Duration::ZERO)` acknowledges each message at
    /// once.
    ///
    /// [`SessionConfig::with_ack_coalescing`]: crate::proto::SessionConfig::with_ack_coalescing
    pub fn ack_coalescing(mut self, batch: u16, delay: Duration) -> Self {
        self.config.ack_batch = batch;
        self.config.ack_delay = delay;
        self
    }

    /// Manual acknowledgement: incoming QoS 1/2 messages are delivered as usual, and their
    /// PUBACK / PUBREC waits until the application calls
    /// [`TokioAsyncMqttClient::ack`](crate::TokioAsyncMqttClient::ack) (or `ack_with_reason`)
    /// for each, after processing it. Acknowledgements given out of order are sent in arrival
    /// order [MQTT-4.6.0-2] [MQTT-4.6.0-3]. Withholding them is back-pressure: the broker
    /// sends no more than `MqttClientOptionsBuilder::receive_maximum` unacknowledged QoS 1/2
    /// messages [MQTT-3.3.4-9]. Default `false` (acknowledged on receipt).
    pub fn manual_acks(mut self, on: bool) -> Self {
        self.config.manual_acks = on;
        self
    }

    /// Capacity of each message stream; a full stream drops the message and reports it to
    /// the event handler. Default 1,024.
    pub fn stream_capacity(mut self, capacity: usize) -> Self {
        self.config.stream_capacity = capacity;
        self
    }

    /// Whether [`Priority::High`](crate::Priority::High) messages overtake queued normal
    /// ones. Default `true`; off, every message keeps publication order.
    pub fn priority_lanes(mut self, on: bool) -> Self {
        self.config.priority_lanes = on;
        self
    }

    /// Whether the client assigns topic aliases itself when the broker allows them. Default
    /// `true`.
    pub fn auto_topic_alias(mut self, on: bool) -> Self {
        self.config.auto_topic_alias = on;
        self
    }

    /// Where the session state is kept between connections and client instances. Default
    /// none (kept in the client only).
    pub fn session_store(mut self, store: Arc<dyn SessionStore>) -> Self {
        self.config.session_store = Some(store);
        self
    }

    /// Validates and builds the configuration.
    ///
    /// # Errors
    /// [`ClientError::InvalidOption`]: receive maximum 0, a zero timeout, a zero buffer or
    /// stream capacity, jitter outside 0..=1, multiplier below 1, initial delay above max.
    pub fn build(self) -> Result<TokioAsyncClientConfig, ClientError> {
        let c = &self.config;
        if c.max_inflight == 0 {
            return Err(ClientError::invalid(
                "receive_maximum",
                "0: nothing could ever be sent",
            ));
        }
        for (name, t) in [
            ("connect_timeout", c.timeouts.connect),
            ("operation_timeout", c.timeouts.operation),
            ("ping_timeout", c.timeouts.ping),
            ("default_timeout", c.timeouts.default),
        ] {
            if t.is_zero() {
                return Err(ClientError::invalid(name, "must be above zero"));
            }
        }
        if c.buffer_capacity == 0 {
            return Err(ClientError::invalid(
                "offline_buffer",
                "capacity 0; use buffer_while_offline(false) to refuse instead",
            ));
        }
        if c.stream_capacity == 0 {
            return Err(ClientError::invalid(
                "stream_capacity",
                "must be above zero",
            ));
        }
        if !(0.0..=1.0).contains(&c.backoff.jitter) {
            return Err(ClientError::invalid(
                "backoff_jitter",
                format!("{} is outside 0..=1", c.backoff.jitter),
            ));
        }
        if c.backoff.multiplier.is_nan() || c.backoff.multiplier < 1.0 {
            return Err(ClientError::invalid(
                "backoff_multiplier",
                format!("{} is below 1", c.backoff.multiplier),
            ));
        }
        if c.backoff.initial > c.backoff.max {
            return Err(ClientError::invalid(
                "reconnect_delay_initial",
                "is above reconnect_delay_max",
            ));
        }
        Ok(self.config)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_grows_caps_and_spreads() {
        let b = Backoff {
            initial: Duration::from_millis(100),
            max: Duration::from_secs(1),
            multiplier: 2.0,
            jitter: 0.5,
        };
        assert_eq!(b.delay(1, 0.5), Duration::from_millis(100));
        assert_eq!(b.delay(3, 0.5), Duration::from_millis(400));
        assert_eq!(b.delay(10, 0.5), Duration::from_secs(1));
        assert_eq!(b.delay(1, 0.0), Duration::from_millis(50));
        assert!(b.delay(1, 0.999) > Duration::from_millis(149));
    }

    #[test]
    fn presets_match_the_documented_values() {
        let local = TokioAsyncClientConfig::builder()
            .local_timeouts()
            .build()
            .unwrap();
        assert_eq!(local.timeouts(), Timeouts::secs(5, 3, 2, 5));
        let sat = TokioAsyncClientConfig::builder()
            .satellite_timeouts()
            .ping_timeout(Duration::from_secs(7))
            .build()
            .unwrap();
        assert_eq!(sat.timeouts(), Timeouts::secs(120, 60, 7, 120));
        assert!(TokioAsyncClientConfig::builder()
            .receive_maximum(0)
            .build()
            .is_err());
    }
}
