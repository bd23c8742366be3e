//! [`MqttClientOptions`]: what the client asks of the broker in CONNECT, and where the broker is.

use std::time::Duration;

use bytes::Bytes;
use flowsdk_codec::{
    Connect, MqttString, Properties, Property, ProtocolVersion, TopicName, Will, MAX_PACKET_SIZE,
};
use flowsdk_transport::{Address, TransportConfig};

use crate::error::ClientError;

/// A duration given either as a [`Duration`] or as whole seconds (`keep_alive(60)`).
pub trait IntoDuration {
    /// The duration; integers are seconds, negative integers zero.
    fn into_duration(self) -> Duration;
}

impl IntoDuration for Duration {
    fn into_duration(self) -> Duration {
        self
    }
}

macro_rules! seconds {
    ($($t:ty),*) => {$(
        impl IntoDuration for $t {
            #[allow(clippy::cast_sign_loss, trivial_numeric_casts)]
            fn into_duration(self) -> Duration {
                Duration::from_secs(if self < 0 as $t { 0 } else { self as u64 })
            }
        }
    )*};
}
seconds!(u16, u32, u64, i32, i64);

/// The connection options: the broker's address and everything CONNECT carries.
///
/// Built with [`MqttClientOptions::builder`]; fields are private so that new options are not
/// breaking changes.
///
/// # Examples
/// ```
/// use flowsdk_client::MqttClientOptions;
///
/// let options = MqttClientOptions::builder()
///     .peer("127.0.0.1:1883")
///     .client_id("sensor-7")
///     .clean_start(true)
///     .keep_alive(30)
///     .session_expiry_interval(3600)
///     .build()?;
/// assert_eq!(options.client_id(), "sensor-7");
/// # Ok::<(), flowsdk_client::ClientError>(())
/// ```
#[derive(Clone, Debug)]
pub struct MqttClientOptions {
    pub(crate) peer: Address,
    pub(crate) transport: TransportConfig,
    pub(crate) version: ProtocolVersion,
    pub(crate) client_id: String,
    pub(crate) clean_start: bool,
    pub(crate) keep_alive: Duration,
    pub(crate) username: Option<String>,
    pub(crate) password: Option<Bytes>,
    pub(crate) will: Option<Will>,
    pub(crate) session_expiry_interval: Option<u32>,
    pub(crate) receive_maximum: Option<u16>,
    pub(crate) maximum_packet_size: Option<u32>,
    pub(crate) topic_alias_maximum: Option<u16>,
    pub(crate) request_response_information: Option<bool>,
    pub(crate) request_problem_information: Option<bool>,
    pub(crate) user_properties: Vec<(String, String)>,
    pub(crate) auth_method: Option<String>,
    pub(crate) auth_data: Option<Bytes>,
}

impl MqttClientOptions {
    /// A builder with every default: peer `localhost:1883`, MQTT 5.0, empty client id (the
    /// broker assigns one), clean start, keep alive 60 s.
    pub fn builder() -> MqttClientOptionsBuilder {
        MqttClientOptionsBuilder::default()
    }

    /// The broker's address.
    pub fn peer(&self) -> &Address {
        &self.peer
    }

    /// The transport settings (TLS, QUIC, WebSocket, socket timeouts).
    pub fn transport(&self) -> &TransportConfig {
        &self.transport
    }

    /// The protocol version.
    pub fn protocol_version(&self) -> ProtocolVersion {
        self.version
    }

    /// The client identifier asked for (empty: the broker assigns one).
    pub fn client_id(&self) -> &str {
        &self.client_id
    }

    /// Whether the first connection starts a new session.
    pub fn clean_start(&self) -> bool {
        self.clean_start
    }

    /// The keep-alive interval asked for (zero: off).
    pub fn keep_alive(&self) -> Duration {
        self.keep_alive
    }

    /// The Session Expiry Interval in seconds (5.0), if set.
    pub fn session_expiry_interval(&self) -> Option<u32> {
        self.session_expiry_interval
    }

    /// The Receive Maximum announced to the broker (5.0): at most this many QoS 1/2
    /// messages unacknowledged towards the client. `None` means the protocol default 65,535.
    pub fn receive_maximum(&self) -> Option<u16> {
        self.receive_maximum
    }

    /// The Maximum Packet Size announced to the broker (5.0), if set.
    pub fn maximum_packet_size(&self) -> Option<u32> {
        self.maximum_packet_size
    }

    /// The Topic Alias Maximum announced to the broker (5.0): aliases it may use towards us.
    pub fn topic_alias_maximum(&self) -> Option<u16> {
        self.topic_alias_maximum
    }

    /// The Authentication Method for enhanced authentication (5.0), if set.
    pub fn auth_method(&self) -> Option<&str> {
        self.auth_method.as_deref()
    }

    /// The will message, if set.
    pub fn will(&self) -> Option<&Will> {
        self.will.as_ref()
    }

    /// The CONNECT packet these options describe, with `clean_start` as given (the first
    /// connection uses [`MqttClientOptions::clean_start`]; reconnects may resume the session)
    /// and `auth_data` as the first Authentication Data.
    pub fn connect_packet(&self, clean_start: bool, auth_data: Option<Bytes>) -> Connect {
        // The builder validated the client id, so this conversion cannot fail.
        let client_id = MqttString::new(self.client_id.clone()).unwrap_or_default();
        let mut connect = Connect::new(client_id);
        connect.protocol_version = self.version;
        connect.clean_start = clean_start;
        connect.keep_alive = u16::try_from(self.keep_alive.as_secs()).unwrap_or(u16::MAX);
        connect.username = self
            .username
            .as_ref()
            .and_then(|u| MqttString::new(u.clone()).ok());
        connect.password = self.password.clone();
        connect.will = self.will.clone();
        if self.version == ProtocolVersion::V5 {
            let p = &mut connect.properties;
            if let Some(v) = self.session_expiry_interval {
                p.push(Property::SessionExpiryInterval(v));
            }
            if let Some(v) = self.receive_maximum {
                p.push(Property::ReceiveMaximum(v));
            }
            if let Some(v) = self.maximum_packet_size {
                p.push(Property::MaximumPacketSize(v));
            }
            if let Some(v) = self.topic_alias_maximum {
                p.push(Property::TopicAliasMaximum(v));
            }
            if let Some(v) = self.request_response_information {
                p.push(Property::RequestResponseInformation(v));
            }
            if let Some(v) = self.request_problem_information {
                p.push(Property::RequestProblemInformation(v));
            }
            for (k, v) in &self.user_properties {
                if let (Ok(k), Ok(v)) = (MqttString::new(k.clone()), MqttString::new(v.clone())) {
                    p.push(Property::UserProperty(k, v));
                }
            }
            if let Some(m) = &self.auth_method {
                if let Ok(m) = MqttString::new(m.clone()) {
                    p.push(Property::AuthenticationMethod(m));
                }
                if let Some(d) = auth_data.or_else(|| self.auth_data.clone()) {
                    p.push(Property::AuthenticationData(d));
                }
            }
        }
        connect
    }
}

/// Builds [`MqttClientOptions`]; every setter states its default, [`build`] validates.
///
/// [`build`]: MqttClientOptionsBuilder::build
#[derive(Debug)]
#[must_use]
pub struct MqttClientOptionsBuilder {
    peer: String,
    transport: Option<TransportConfig>,
    version: ProtocolVersion,
    invalid_version: Option<u8>,
    client_id: String,
    clean_start: bool,
    keep_alive: Duration,
    username: Option<String>,
    password: Option<Bytes>,
    will: Option<(String, Bytes, u8, bool)>,
    will_properties: Properties,
    session_expiry_interval: Option<u32>,
    receive_maximum: Option<u16>,
    maximum_packet_size: Option<u32>,
    topic_alias_maximum: Option<u16>,
    request_response_information: Option<bool>,
    request_problem_information: Option<bool>,
    user_properties: Vec<(String, String)>,
    auth_method: Option<String>,
    auth_data: Option<Bytes>,
}

impl Default for MqttClientOptionsBuilder {
    fn default() -> Self {
        MqttClientOptionsBuilder {
            peer: "localhost:1883".into(),
            transport: None,
            version: ProtocolVersion::V5,
            invalid_version: None,
            client_id: String::new(),
            clean_start: true,
            keep_alive: Duration::from_secs(60),
            username: None,
            password: None,
            will: None,
            will_properties: Properties::new(),
            session_expiry_interval: None,
            receive_maximum: None,
            maximum_packet_size: None,
            topic_alias_maximum: None,
            request_response_information: None,
            request_problem_information: None,
            user_properties: Vec::new(),
            auth_method: None,
            auth_data: None,
        }
    }
}

impl MqttClientOptionsBuilder {
    /// The broker's address: `host:port`, or a URL `mqtt://`, `mqtts://`, `ws://`, `wss://`,
    /// `quic://`, `unix://path`. Default `localhost:1883`.
    pub fn peer(mut self, peer: impl Into<String>) -> Self {
        self.peer = peer.into();
        self
    }

    /// Transport settings: TLS roots and identity, QUIC, WebSocket path, socket timeouts.
    /// Default: [`TransportConfig::default`] (its connect timeout is replaced by the client
    /// configuration's connect timeout).
    pub fn transport(mut self, transport: TransportConfig) -> Self {
        self.transport = Some(transport);
        self
    }

    /// The protocol version. Default MQTT 5.0.
    pub fn protocol_version(mut self, version: ProtocolVersion) -> Self {
        self.version = version;
        self
    }

    /// The protocol version by its level byte: 5 for MQTT 5.0, 4 for 3.1.1. Any other level is
    /// refused by [`build`](Self::build).
    pub fn mqtt_version(mut self, level: u8) -> Self {
        self.version = match level {
            4 => ProtocolVersion::V311,
            5 => ProtocolVersion::V5,
            _ => {
                self.invalid_version = Some(level);
                self.version
            }
        };
        self
    }

    /// The client identifier. Default empty: the broker assigns one (5.0, reported in the
    /// connected event), which 3.1.1 allows only with clean start.
    pub fn client_id(mut self, client_id: impl Into<String>) -> Self {
        self.client_id = client_id.into();
        self
    }

    /// Whether the first connection discards any session the broker holds. Default `true`.
    pub fn clean_start(mut self, clean_start: bool) -> Self {
        self.clean_start = clean_start;
        self
    }

    /// The keep-alive interval (seconds or a [`Duration`]); zero turns keep-alive off.
    /// Default 60 s. The broker's Server Keep Alive replaces it [MQTT-3.1.2-21].
    pub fn keep_alive(mut self, keep_alive: impl IntoDuration) -> Self {
        self.keep_alive = keep_alive.into_duration();
        self
    }

    /// User name and password. Default none.
    pub fn credentials(mut self, username: impl Into<String>, password: impl AsRef<[u8]>) -> Self {
        self.username = Some(username.into());
        self.password = Some(Bytes::copy_from_slice(password.as_ref()));
        self
    }

    /// User name alone. Default none.
    pub fn username(mut self, username: impl Into<String>) -> Self {
        self.username = Some(username.into());
        self
    }

    /// Password alone. Default none.
    pub fn password(mut self, password: impl AsRef<[u8]>) -> Self {
        self.password = Some(Bytes::copy_from_slice(password.as_ref()));
        self
    }

    /// The will message the broker publishes if the connection ends without a normal
    /// DISCONNECT. Default none.
    pub fn will(
        mut self,
        topic: impl Into<String>,
        payload: impl AsRef<[u8]>,
        qos: u8,
        retain: bool,
    ) -> Self {
        self.will = Some((
            topic.into(),
            Bytes::copy_from_slice(payload.as_ref()),
            qos,
            retain,
        ));
        self
    }

    /// The Will Delay Interval (5.0): how long the broker waits before publishing the will.
    /// Default none (publish at once).
    pub fn will_delay_interval(mut self, delay: impl IntoDuration) -> Self {
        let secs = u32::try_from(delay.into_duration().as_secs()).unwrap_or(u32::MAX);
        self.will_properties.replace(
            flowsdk_codec::PropertyId::WillDelayInterval,
            Some(Property::WillDelayInterval(secs)),
        );
        self
    }

    /// Adds a will property (5.0): message expiry, content type, response topic, correlation
    /// data, payload format, user properties.
    pub fn will_property(mut self, property: Property) -> Self {
        self.will_properties.push(property);
        self
    }

    /// The Session Expiry Interval (5.0): how long the broker keeps the session after the
    /// connection ends. Default none (0: the session ends with the connection).
    pub fn session_expiry_interval(mut self, interval: impl IntoDuration) -> Self {
        self.session_expiry_interval =
            Some(u32::try_from(interval.into_duration().as_secs()).unwrap_or(u32::MAX));
        self
    }

    /// The Receive Maximum (5.0): how many QoS 1/2 messages the broker may send us without
    /// acknowledgement. Default none (65,535). Zero is refused by [`build`](Self::build).
    pub fn receive_maximum(mut self, max: u16) -> Self {
        self.receive_maximum = Some(max);
        self
    }

    /// The Maximum Packet Size (5.0) we accept; larger incoming packets are refused with
    /// 0x95 Packet too large. Default none (no limit beyond the protocol's).
    pub fn maximum_packet_size(mut self, max: u32) -> Self {
        self.maximum_packet_size = Some(max);
        self
    }

    /// The Topic Alias Maximum (5.0): how many topic aliases the broker may use towards us.
    /// Default none (0: the broker sends full topic names).
    pub fn topic_alias_maximum(mut self, max: u16) -> Self {
        self.topic_alias_maximum = Some(max);
        self
    }

    /// Asks the broker for Response Information in CONNACK (5.0). Default not asked.
    pub fn request_response_information(mut self, request: bool) -> Self {
        self.request_response_information = Some(request);
        self
    }

    /// Whether the broker may send Reason Strings and User Properties on failures (5.0).
    /// Default not stated (the broker's default: yes).
    pub fn request_problem_information(mut self, request: bool) -> Self {
        self.request_problem_information = Some(request);
        self
    }

    /// Adds a user property to CONNECT (5.0).
    pub fn user_property(mut self, key: impl Into<String>, value: impl Into<String>) -> Self {
        self.user_properties.push((key.into(), value.into()));
        self
    }

    /// The Authentication Method for enhanced authentication (5.0). Default none.
    pub fn auth_method(mut self, method: impl Into<String>) -> Self {
        self.auth_method = Some(method.into());
        self
    }

    /// The initial Authentication Data (5.0), sent with the method. Default none; an
    /// authenticator's initial data takes precedence.
    pub fn auth_data(mut self, data: impl AsRef<[u8]>) -> Self {
        self.auth_data = Some(Bytes::copy_from_slice(data.as_ref()));
        self
    }

    /// Validates and builds the options.
    ///
    /// # Errors
    /// [`ClientError::InvalidOption`] naming the option: an unparsable peer, an invalid
    /// client id, topic or user property string, receive maximum or maximum packet size 0,
    /// keep alive above 65,535 s, a will QoS above 2, 5.0-only options with 3.1.1, or an empty
    /// client id without clean start in 3.1.1 [MQTT-3.1.3-8 (3.1.1)].
    pub fn build(self) -> Result<MqttClientOptions, ClientError> {
        if let Some(level) = self.invalid_version {
            return Err(ClientError::invalid(
                "mqtt_version",
                format!("level {level}: use 5 (MQTT 5.0) or 4 (3.1.1)"),
            ));
        }
        let peer: Address = self
            .peer
            .parse()
            .map_err(|e| ClientError::invalid("peer", format!("{:?}: {e}", self.peer)))?;
        MqttString::new(self.client_id.clone())
            .map_err(|e| ClientError::invalid("client_id", e.to_string()))?;
        if self.keep_alive.as_secs() > u64::from(u16::MAX) {
            return Err(ClientError::invalid(
                "keep_alive",
                format!("{:?} is above 65535 s", self.keep_alive),
            ));
        }
        if self.receive_maximum == Some(0) {
            return Err(ClientError::invalid(
                "receive_maximum",
                "0 is a protocol error; use 1 to 65535 (section 3.1.2.11.3)",
            ));
        }
        if let Some(max) = self.maximum_packet_size {
            if max == 0 || max > MAX_PACKET_SIZE {
                return Err(ClientError::invalid(
                    "maximum_packet_size",
                    format!("{max} is outside 1..={MAX_PACKET_SIZE}"),
                ));
            }
        }
        let v311 = self.version == ProtocolVersion::V311;
        if v311 {
            let v5_only = [
                (
                    "session_expiry_interval",
                    self.session_expiry_interval.is_some(),
                ),
                ("receive_maximum", self.receive_maximum.is_some()),
                ("maximum_packet_size", self.maximum_packet_size.is_some()),
                ("topic_alias_maximum", self.topic_alias_maximum.is_some()),
                ("auth_method", self.auth_method.is_some()),
                ("user_property", !self.user_properties.is_empty()),
                ("will_property", !self.will_properties.is_empty()),
            ];
            if let Some((name, _)) = v5_only.iter().find(|(_, set)| *set) {
                return Err(ClientError::invalid(
                    name,
                    "needs MQTT 5.0; the protocol version is 3.1.1",
                ));
            }
            if self.client_id.is_empty() && !self.clean_start {
                return Err(ClientError::invalid(
                    "client_id",
                    "an empty client id needs clean start in 3.1.1 [MQTT-3.1.3-8 (3.1.1)]",
                ));
            }
        }
        for (k, v) in &self.user_properties {
            MqttString::new(k.clone())
                .and_then(|_| MqttString::new(v.clone()))
                .map_err(|e| ClientError::invalid("user_property", e.to_string()))?;
        }
        let will = match self.will {
            None => None,
            Some((topic, payload, qos, retain)) => {
                let topic = TopicName::new(topic)
                    .map_err(|e| ClientError::invalid("will", e.to_string()))?;
                let qos = flowsdk_codec::QoS::from_u8(qos)
                    .map_err(|e| ClientError::invalid("will", e.to_string()))?;
                let mut will = Will::new(topic, payload);
                will.qos = qos;
                will.retain = retain;
                will.properties = self.will_properties;
                will.properties
                    .validate(None)
                    .map_err(|e| ClientError::invalid("will_property", e.to_string()))?;
                Some(will)
            }
        };
        Ok(MqttClientOptions {
            peer,
            transport: self.transport.unwrap_or_default(),
            version: self.version,
            client_id: self.client_id,
            clean_start: self.clean_start,
            keep_alive: self.keep_alive,
            username: self.username,
            password: self.password,
            will,
            session_expiry_interval: self.session_expiry_interval,
            receive_maximum: self.receive_maximum,
            maximum_packet_size: self.maximum_packet_size,
            topic_alias_maximum: self.topic_alias_maximum,
            request_response_information: self.request_response_information,
            request_problem_information: self.request_problem_information,
            user_properties: self.user_properties,
            auth_method: self.auth_method,
            auth_data: self.auth_data,
        })
    }
}
