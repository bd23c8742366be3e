//! [`PublishCommand`], [`SubscribeCommand`], [`UnsubscribeCommand`]: operations with every
//! MQTT 5.0 option, built and validated before they reach the session.

use std::time::Duration;

use bytes::Bytes;
use flowsdk_codec::{
    MqttString, PayloadFormat, Properties, Property, PropertyId, QoS, RetainHandling, Subscription,
    SubscriptionOptions, TopicFilter, TopicName,
};

use crate::error::ClientError;

/// Largest Subscription Identifier (a variable byte integer).
const MAX_SUBSCRIPTION_ID: u32 = 268_435_455;

/// A QoS given as [`QoS`] or as its number (`publish_sync(.., 1, ..)`).
pub trait IntoQoS {
    /// The QoS.
    ///
    /// # Errors
    /// [`ClientError::InvalidOption`] for a number other than 0, 1 or 2.
    fn into_qos(self) -> Result<QoS, ClientError>;
}

impl IntoQoS for QoS {
    fn into_qos(self) -> Result<QoS, ClientError> {
        Ok(self)
    }
}

macro_rules! qos_number {
    ($($t:ty),*) => {$(
        impl IntoQoS for $t {
            fn into_qos(self) -> Result<QoS, ClientError> {
                match self {
                    0 => Ok(QoS::AtMostOnce),
                    1 => Ok(QoS::AtLeastOnce),
                    2 => Ok(QoS::ExactlyOnce),
                    other => Err(ClientError::invalid("qos", format!("{other} is not 0, 1 or 2"))),
                }
            }
        }
    )*};
}
qos_number!(u8, i32, u32);

/// Which outgoing lane a message takes: [`Priority::High`] messages are sent before any queued
/// [`Priority::Normal`] message (both lanes keep their own order).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum Priority {
    /// The default lane.
    #[default]
    Normal,
    /// Sent ahead of queued normal traffic.
    High,
}

/// A message to publish, with every PUBLISH option.
///
/// # Examples
/// ```
/// use flowsdk_client::{PublishCommand, Priority};
/// use std::time::Duration;
///
/// let cmd = PublishCommand::builder("alarms/door", "open")
///     .qos(1)
///     .retain(true)
///     .with_message_expiry(Duration::from_secs(60))
///     .with_content_type("text/plain")
///     .with_user_property("site", "lab")
///     .priority(Priority::High)
///     .build()?;
/// assert_eq!(cmd.topic(), "alarms/door");
/// # Ok::<(), flowsdk_client::ClientError>(())
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PublishCommand {
    pub(crate) topic: TopicName,
    pub(crate) payload: Bytes,
    pub(crate) qos: QoS,
    pub(crate) retain: bool,
    pub(crate) properties: Properties,
    pub(crate) priority: Priority,
}

impl PublishCommand {
    /// A builder for a message of `payload` on `topic`, QoS 0, not retained.
    pub fn builder(topic: impl Into<String>, payload: impl Into<Payload>) -> PublishCommandBuilder {
        PublishCommandBuilder {
            topic: topic.into(),
            payload: payload.into().0,
            qos: Ok(QoS::AtMostOnce),
            retain: false,
            properties: Properties::new(),
            priority: Priority::Normal,
            error: None,
        }
    }

    /// A message without properties.
    ///
    /// # Errors
    /// [`ClientError::InvalidOption`] for an invalid topic name or QoS.
    pub fn new(
        topic: impl Into<String>,
        payload: impl Into<Payload>,
        qos: impl IntoQoS,
        retain: bool,
    ) -> Result<Self, ClientError> {
        let mut b = PublishCommand::builder(topic, payload).retain(retain);
        b.qos = qos.into_qos();
        b.build()
    }

    /// The topic name.
    pub fn topic(&self) -> &str {
        self.topic.as_str()
    }

    /// The payload.
    pub fn payload(&self) -> &Bytes {
        &self.payload
    }

    /// The QoS.
    pub fn qos(&self) -> QoS {
        self.qos
    }

    /// Whether the broker retains the message.
    pub fn retain(&self) -> bool {
        self.retain
    }

    /// The PUBLISH properties.
    pub fn properties(&self) -> &Properties {
        &self.properties
    }

    /// The outgoing lane.
    pub fn priority(&self) -> Priority {
        self.priority
    }
}

/// A payload given as bytes, a string or a byte array (copied once into [`Bytes`], except
/// [`Bytes`] itself, `Vec<u8>` and `String`, which are moved).
#[derive(Clone, Debug)]
pub struct Payload(pub(crate) Bytes);

impl From<Bytes> for Payload {
    fn from(b: Bytes) -> Self {
        Payload(b)
    }
}
impl From<Vec<u8>> for Payload {
    fn from(b: Vec<u8>) -> Self {
        Payload(Bytes::from(b))
    }
}
impl From<String> for Payload {
    fn from(s: String) -> Self {
        Payload(Bytes::from(s))
    }
}
impl From<&str> for Payload {
    fn from(s: &str) -> Self {
        Payload(Bytes::copy_from_slice(s.as_bytes()))
    }
}
impl From<&[u8]> for Payload {
    fn from(b: &[u8]) -> Self {
        Payload(Bytes::copy_from_slice(b))
    }
}
impl<const N: usize> From<&[u8; N]> for Payload {
    fn from(b: &[u8; N]) -> Self {
        Payload(Bytes::copy_from_slice(b))
    }
}
impl From<&Vec<u8>> for Payload {
    fn from(b: &Vec<u8>) -> Self {
        Payload(Bytes::copy_from_slice(b))
    }
}

/// Builds a [`PublishCommand`]; errors surface in [`build`](Self::build).
#[derive(Debug)]
#[must_use]
pub struct PublishCommandBuilder {
    topic: String,
    payload: Bytes,
    qos: Result<QoS, ClientError>,
    retain: bool,
    properties: Properties,
    priority: Priority,
    error: Option<ClientError>,
}

impl PublishCommandBuilder {
    fn fail(&mut self, error: ClientError) {
        if self.error.is_none() {
            self.error = Some(error);
        }
    }

    fn string(&mut self, option: &'static str, s: impl Into<String>) -> Option<MqttString> {
        match MqttString::new(s.into()) {
            Ok(s) => Some(s),
            Err(e) => {
                self.fail(ClientError::invalid(option, e.to_string()));
                None
            }
        }
    }

    /// The QoS (0, 1, 2 or [`QoS`]). Default 0.
    pub fn qos(mut self, qos: impl IntoQoS) -> Self {
        self.qos = qos.into_qos();
        self
    }

    /// Whether the broker retains the message. Default `false`.
    pub fn retain(mut self, retain: bool) -> Self {
        self.retain = retain;
        self
    }

    /// The outgoing lane. Default [`Priority::Normal`].
    pub fn priority(mut self, priority: Priority) -> Self {
        self.priority = priority;
        self
    }

    /// Message Expiry Interval (5.0): the broker drops the message if undelivered after this
    /// long (whole seconds). Default none.
    pub fn with_message_expiry(mut self, expiry: Duration) -> Self {
        let secs = u32::try_from(expiry.as_secs()).unwrap_or(u32::MAX);
        self.properties.replace(
            PropertyId::MessageExpiryInterval,
            Some(Property::MessageExpiryInterval(secs)),
        );
        self
    }

    /// Content Type (5.0), e.g. a MIME type. Default none.
    pub fn with_content_type(mut self, content_type: impl Into<String>) -> Self {
        if let Some(s) = self.string("content_type", content_type) {
            self.properties
                .replace(PropertyId::ContentType, Some(Property::ContentType(s)));
        }
        self
    }

    /// Response Topic (5.0) for request/response. Default none.
    pub fn with_response_topic(mut self, topic: impl Into<String>) -> Self {
        match TopicName::new(topic.into()) {
            Ok(t) => self
                .properties
                .replace(PropertyId::ResponseTopic, Some(Property::ResponseTopic(t))),
            Err(e) => self.fail(ClientError::invalid("response_topic", e.to_string())),
        }
        self
    }

    /// Correlation Data (5.0) for request/response. Default none.
    pub fn with_correlation_data(mut self, data: impl AsRef<[u8]>) -> Self {
        self.properties.replace(
            PropertyId::CorrelationData,
            Some(Property::CorrelationData(Bytes::copy_from_slice(
                data.as_ref(),
            ))),
        );
        self
    }

    /// Payload Format Indicator (5.0): `true` when the payload is UTF-8 text. Default none.
    pub fn with_payload_format_indicator(mut self, utf8: bool) -> Self {
        let format = if utf8 {
            PayloadFormat::Utf8
        } else {
            PayloadFormat::Unspecified
        };
        self.properties.replace(
            PropertyId::PayloadFormatIndicator,
            Some(Property::PayloadFormatIndicator(format)),
        );
        self
    }

    /// A user property (5.0); may repeat, order is kept. Default none.
    pub fn with_user_property(mut self, key: impl Into<String>, value: impl Into<String>) -> Self {
        if let (Some(k), Some(v)) = (
            self.string("user_property", key),
            self.string("user_property", value),
        ) {
            self.properties.push(Property::UserProperty(k, v));
        }
        self
    }

    /// An explicit Topic Alias (5.0). Default none: the client assigns aliases itself when
    /// the broker allows them. An explicit alias must be within the broker's Topic Alias
    /// Maximum [MQTT-3.3.2-9] or the publish is refused.
    pub fn with_topic_alias(mut self, alias: u16) -> Self {
        if alias == 0 {
            self.fail(ClientError::invalid(
                "topic_alias",
                "0 is not a topic alias [MQTT-3.3.2-8]",
            ));
        } else {
            self.properties
                .replace(PropertyId::TopicAlias, Some(Property::TopicAlias(alias)));
        }
        self
    }

    /// Adds any PUBLISH property (5.0). A Subscription Identifier is refused: only the broker
    /// sends it [MQTT-3.3.4-6].
    pub fn with_property(mut self, property: Property) -> Self {
        self.properties.push(property);
        self
    }

    /// Validates and builds the command.
    ///
    /// # Errors
    /// [`ClientError::InvalidOption`] naming the first invalid option: topic name (empty,
    /// wildcards [MQTT-3.3.2-2], invalid UTF-8), QoS, a property not allowed in PUBLISH or a
    /// Subscription Identifier [MQTT-3.3.4-6].
    pub fn build(self) -> Result<PublishCommand, ClientError> {
        if let Some(e) = self.error {
            return Err(e);
        }
        let qos = self.qos?;
        let topic =
            TopicName::new(self.topic).map_err(|e| ClientError::invalid("topic", e.to_string()))?;
        if self
            .properties
            .get(PropertyId::SubscriptionIdentifier)
            .is_some()
        {
            return Err(ClientError::invalid(
                "properties",
                "a client's PUBLISH must not carry a Subscription Identifier [MQTT-3.3.4-6]",
            ));
        }
        self.properties
            .validate(Some(flowsdk_codec::PacketType::Publish))
            .map_err(|e| ClientError::invalid("properties", e.to_string()))?;
        Ok(PublishCommand {
            topic,
            payload: self.payload,
            qos,
            retain: self.retain,
            properties: self.properties,
            priority: self.priority,
        })
    }
}

/// A SUBSCRIBE with one or more topic filters and every subscription option.
///
/// `with_no_local`, `with_retain_as_published` and `with_retain_handling` apply to the topic
/// added last; `with_subscription_id` and `with_user_property` to the whole packet.
///
/// # Examples
/// ```
/// use flowsdk_client::SubscribeCommand;
///
/// let cmd = SubscribeCommand::builder()
///     .add_topic("sensors/+/temp", 1)
///     .with_no_local(true)
///     .with_retain_handling(2)
///     .add_topic("alarms/#", 2)
///     .with_subscription_id(42)
///     .build()?;
/// assert_eq!(cmd.subscriptions().len(), 2);
/// # Ok::<(), flowsdk_client::ClientError>(())
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SubscribeCommand {
    pub(crate) subscriptions: Vec<Subscription>,
    pub(crate) properties: Properties,
}

impl SubscribeCommand {
    /// A builder with no topics yet.
    pub fn builder() -> SubscribeCommandBuilder {
        SubscribeCommandBuilder::default()
    }

    /// One filter at `qos` with default options.
    ///
    /// # Errors
    /// As [`SubscribeCommandBuilder::build`].
    pub fn single(filter: impl Into<String>, qos: impl IntoQoS) -> Result<Self, ClientError> {
        SubscribeCommand::builder().add_topic(filter, qos).build()
    }

    /// The subscriptions, in order.
    pub fn subscriptions(&self) -> &[Subscription] {
        &self.subscriptions
    }

    /// The SUBSCRIBE properties.
    pub fn properties(&self) -> &Properties {
        &self.properties
    }

    /// The Subscription Identifier, if set.
    pub fn subscription_id(&self) -> Option<u32> {
        self.properties.subscription_identifiers().next()
    }
}

/// Builds a [`SubscribeCommand`]; errors surface in [`build`](Self::build).
#[derive(Debug, Default)]
#[must_use]
pub struct SubscribeCommandBuilder {
    topics: Vec<(String, Result<QoS, ClientError>, SubscriptionOptions)>,
    properties: Properties,
    error: Option<ClientError>,
}

impl SubscribeCommandBuilder {
    fn fail(&mut self, error: ClientError) {
        if self.error.is_none() {
            self.error = Some(error);
        }
    }

    fn last(&mut self, option: &'static str) -> Option<&mut SubscriptionOptions> {
        if self.topics.is_empty() {
            self.fail(ClientError::invalid(
                option,
                "applies to the topic added last: call add_topic first",
            ));
        }
        self.topics.last_mut().map(|(_, _, o)| o)
    }

    /// Adds a topic filter at `qos` with default options (no local off, retain as published
    /// off, retain handling 0: send retained messages).
    pub fn add_topic(mut self, filter: impl Into<String>, qos: impl IntoQoS) -> Self {
        self.topics.push((
            filter.into(),
            qos.into_qos(),
            SubscriptionOptions::new(QoS::AtMostOnce),
        ));
        self
    }

    /// Adds a topic filter with every option.
    pub fn add_topic_with_options(
        self,
        filter: impl Into<String>,
        qos: impl IntoQoS,
        no_local: bool,
        retain_as_published: bool,
        retain_handling: u8,
    ) -> Self {
        self.add_topic(filter, qos)
            .with_no_local(no_local)
            .with_retain_as_published(retain_as_published)
            .with_retain_handling(retain_handling)
    }

    /// No Local for the last topic: the broker does not send back our own messages.
    pub fn with_no_local(mut self, no_local: bool) -> Self {
        if let Some(o) = self.last("no_local") {
            o.no_local = no_local;
        }
        self
    }

    /// Retain As Published for the last topic: forwarded messages keep their RETAIN flag.
    pub fn with_retain_as_published(mut self, retain_as_published: bool) -> Self {
        if let Some(o) = self.last("retain_as_published") {
            o.retain_as_published = retain_as_published;
        }
        self
    }

    /// Retain Handling for the last topic: 0 send retained messages at subscribe, 1 only if
    /// the subscription is new, 2 never.
    pub fn with_retain_handling(mut self, retain_handling: u8) -> Self {
        let handling = match retain_handling {
            0 => Some(RetainHandling::SendAtSubscribe),
            1 => Some(RetainHandling::SendAtSubscribeIfNew),
            2 => Some(RetainHandling::DoNotSend),
            other => {
                self.fail(ClientError::invalid(
                    "retain_handling",
                    format!("{other} is not 0, 1 or 2"),
                ));
                None
            }
        };
        if let Some(h) = handling {
            if let Some(o) = self.last("retain_handling") {
                o.retain_handling = h;
            }
        }
        self
    }

    /// The Subscription Identifier (5.0, 1 to 268,435,455): messages delivered through these
    /// subscriptions carry it.
    pub fn with_subscription_id(mut self, id: u32) -> Self {
        if id == 0 || id > MAX_SUBSCRIPTION_ID {
            self.fail(ClientError::invalid(
                "subscription_id",
                format!("{id} is outside 1..={MAX_SUBSCRIPTION_ID}"),
            ));
        } else {
            self.properties.replace(
                PropertyId::SubscriptionIdentifier,
                Some(Property::SubscriptionIdentifier(id)),
            );
        }
        self
    }

    /// A user property (5.0).
    pub fn with_user_property(mut self, key: impl Into<String>, value: impl Into<String>) -> Self {
        match (MqttString::new(key.into()), MqttString::new(value.into())) {
            (Ok(k), Ok(v)) => self.properties.push(Property::UserProperty(k, v)),
            (Err(e), _) | (_, Err(e)) => {
                self.fail(ClientError::invalid("user_property", e.to_string()))
            }
        }
        self
    }

    /// Validates and builds the command.
    ///
    /// # Errors
    /// [`ClientError::InvalidOption`]: no topic (an empty SUBSCRIBE is a protocol error
    /// [MQTT-3.8.3-2]), an invalid filter (`a/#/b`, `a+` [MQTT-4.7.1-1]), QoS or option.
    pub fn build(self) -> Result<SubscribeCommand, ClientError> {
        if let Some(e) = self.error {
            return Err(e);
        }
        if self.topics.is_empty() {
            return Err(ClientError::invalid(
                "topics",
                "a SUBSCRIBE needs at least one topic filter [MQTT-3.8.3-2]",
            ));
        }
        let mut subscriptions = Vec::with_capacity(self.topics.len());
        for (filter, qos, mut options) in self.topics {
            let filter = TopicFilter::new(filter)
                .map_err(|e| ClientError::invalid("topic", e.to_string()))?;
            options.qos = qos?;
            subscriptions.push(Subscription { filter, options });
        }
        Ok(SubscribeCommand {
            subscriptions,
            properties: self.properties,
        })
    }
}

/// An UNSUBSCRIBE of one or more topic filters.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UnsubscribeCommand {
    pub(crate) filters: Vec<TopicFilter>,
    pub(crate) properties: Properties,
}

impl UnsubscribeCommand {
    /// Unsubscribes from `filters`.
    ///
    /// # Errors
    /// [`ClientError::InvalidOption`] for no filter [MQTT-3.10.3-2] or an invalid one.
    pub fn new<I, S>(filters: I) -> Result<Self, ClientError>
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        let filters = filters
            .into_iter()
            .map(|f| {
                TopicFilter::new(f.into()).map_err(|e| ClientError::invalid("topic", e.to_string()))
            })
            .collect::<Result<Vec<_>, _>>()?;
        if filters.is_empty() {
            return Err(ClientError::invalid(
                "topics",
                "an UNSUBSCRIBE needs at least one topic filter [MQTT-3.10.3-2]",
            ));
        }
        Ok(UnsubscribeCommand {
            filters,
            properties: Properties::new(),
        })
    }

    /// Adds a user property (5.0).
    ///
    /// # Errors
    /// [`ClientError::InvalidOption`] for a string that is not valid MQTT UTF-8.
    pub fn with_user_property(
        mut self,
        key: impl Into<String>,
        value: impl Into<String>,
    ) -> Result<Self, ClientError> {
        let k = MqttString::new(key.into())
            .map_err(|e| ClientError::invalid("user_property", e.to_string()))?;
        let v = MqttString::new(value.into())
            .map_err(|e| ClientError::invalid("user_property", e.to_string()))?;
        self.properties.push(Property::UserProperty(k, v));
        Ok(self)
    }

    /// The filters, in order.
    pub fn filters(&self) -> &[TopicFilter] {
        &self.filters
    }
}
