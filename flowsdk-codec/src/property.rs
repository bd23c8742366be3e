//! MQTT 5.0 properties (section 2.2.2): identifiers, values, and the set each packet allows.

use bytes::{BufMut, Bytes, BytesMut};

use crate::wire::{check_binary, put_str, put_vbi, variable_byte_integer_len, Reader};
use crate::{CodecError, MqttString, PacketType, QoS, TopicName};

macro_rules! property_ids {
    ($( $(#[$doc:meta])* $name:ident = $value:literal, $text:literal; )*) => {
        /// A property identifier (section 2.2.2.2).
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
        #[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
        #[repr(u8)]
        pub enum PropertyId {
            $( $(#[$doc])* $name = $value, )*
        }

        impl PropertyId {
            /// The specification's name, e.g. `"Topic Alias"`.
            pub fn name(self) -> &'static str {
                match self { $( PropertyId::$name => $text, )* }
            }

            /// The identifier for a wire value.
            ///
            /// # Errors
            /// [`CodecError::UnknownPropertyId`] for values the specification does not define.
            pub fn from_u32(id: u32) -> Result<Self, CodecError> {
                match id {
                    $( $value => Ok(PropertyId::$name), )*
                    id => Err(CodecError::UnknownPropertyId { id }),
                }
            }

            /// Every property identifier, in numeric order.
            pub fn all() -> &'static [PropertyId] {
                &[ $( PropertyId::$name, )* ]
            }
        }
    };
}

property_ids! {
    /// 0x01 Payload Format Indicator (PUBLISH, will).
    PayloadFormatIndicator = 0x01, "Payload Format Indicator";
    /// 0x02 Message Expiry Interval (PUBLISH, will).
    MessageExpiryInterval = 0x02, "Message Expiry Interval";
    /// 0x03 Content Type (PUBLISH, will).
    ContentType = 0x03, "Content Type";
    /// 0x08 Response Topic (PUBLISH, will).
    ResponseTopic = 0x08, "Response Topic";
    /// 0x09 Correlation Data (PUBLISH, will).
    CorrelationData = 0x09, "Correlation Data";
    /// 0x0B Subscription Identifier (PUBLISH, SUBSCRIBE).
    SubscriptionIdentifier = 0x0B, "Subscription Identifier";
    /// 0x11 Session Expiry Interval (CONNECT, CONNACK, DISCONNECT).
    SessionExpiryInterval = 0x11, "Session Expiry Interval";
    /// 0x12 Assigned Client Identifier (CONNACK).
    AssignedClientIdentifier = 0x12, "Assigned Client Identifier";
    /// 0x13 Server Keep Alive (CONNACK).
    ServerKeepAlive = 0x13, "Server Keep Alive";
    /// 0x15 Authentication Method (CONNECT, CONNACK, AUTH).
    AuthenticationMethod = 0x15, "Authentication Method";
    /// 0x16 Authentication Data (CONNECT, CONNACK, AUTH).
    AuthenticationData = 0x16, "Authentication Data";
    /// 0x17 Request Problem Information (CONNECT).
    RequestProblemInformation = 0x17, "Request Problem Information";
    /// 0x18 Will Delay Interval (will).
    WillDelayInterval = 0x18, "Will Delay Interval";
    /// 0x19 Request Response Information (CONNECT).
    RequestResponseInformation = 0x19, "Request Response Information";
    /// 0x1A Response Information (CONNACK).
    ResponseInformation = 0x1A, "Response Information";
    /// 0x1C Server Reference (CONNACK, DISCONNECT).
    ServerReference = 0x1C, "Server Reference";
    /// 0x1F Reason String (acknowledgements, CONNACK, DISCONNECT, AUTH).
    ReasonString = 0x1F, "Reason String";
    /// 0x21 Receive Maximum (CONNECT, CONNACK).
    ReceiveMaximum = 0x21, "Receive Maximum";
    /// 0x22 Topic Alias Maximum (CONNECT, CONNACK).
    TopicAliasMaximum = 0x22, "Topic Alias Maximum";
    /// 0x23 Topic Alias (PUBLISH).
    TopicAlias = 0x23, "Topic Alias";
    /// 0x24 Maximum QoS (CONNACK).
    MaximumQoS = 0x24, "Maximum QoS";
    /// 0x25 Retain Available (CONNACK).
    RetainAvailable = 0x25, "Retain Available";
    /// 0x26 User Property (every packet that has properties).
    UserProperty = 0x26, "User Property";
    /// 0x27 Maximum Packet Size (CONNECT, CONNACK).
    MaximumPacketSize = 0x27, "Maximum Packet Size";
    /// 0x28 Wildcard Subscription Available (CONNACK).
    WildcardSubscriptionAvailable = 0x28, "Wildcard Subscription Available";
    /// 0x29 Subscription Identifier Available (CONNACK).
    SubscriptionIdentifierAvailable = 0x29, "Subscription Identifier Available";
    /// 0x2A Shared Subscription Available (CONNACK).
    SharedSubscriptionAvailable = 0x2A, "Shared Subscription Available";
}

impl PropertyId {
    /// The wire value.
    pub fn as_u8(self) -> u8 {
        self as u8
    }

    const fn bit(self) -> u64 {
        1u64 << (self as u8)
    }

    /// Where the properties appear: `Some(packet)` for a packet, `None` for will properties.
    /// `true` when this property is allowed there (section 2.2.2.2).
    pub fn is_allowed_in(self, scope: Option<PacketType>) -> bool {
        allowed_mask(scope) & self.bit() != 0
    }

    /// `true` when the property may appear more than once in `scope`: User Property anywhere,
    /// Subscription Identifier in PUBLISH (one per matching subscription).
    pub fn may_repeat_in(self, scope: Option<PacketType>) -> bool {
        match self {
            PropertyId::UserProperty => true,
            PropertyId::SubscriptionIdentifier => scope == Some(PacketType::Publish),
            _ => false,
        }
    }
}

impl std::fmt::Display for PropertyId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} (0x{:02X})", self.name(), *self as u8)
    }
}

const fn mask(ids: &[PropertyId]) -> u64 {
    let mut m = 0;
    let mut i = 0;
    while i < ids.len() {
        m |= ids[i].bit();
        i += 1;
    }
    m
}

use PropertyId as P;

const CONNECT_MASK: u64 = mask(&[
    P::SessionExpiryInterval,
    P::ReceiveMaximum,
    P::MaximumPacketSize,
    P::TopicAliasMaximum,
    P::RequestResponseInformation,
    P::RequestProblemInformation,
    P::UserProperty,
    P::AuthenticationMethod,
    P::AuthenticationData,
]);
const WILL_MASK: u64 = mask(&[
    P::WillDelayInterval,
    P::PayloadFormatIndicator,
    P::MessageExpiryInterval,
    P::ContentType,
    P::ResponseTopic,
    P::CorrelationData,
    P::UserProperty,
]);
const CONNACK_MASK: u64 = mask(&[
    P::SessionExpiryInterval,
    P::ReceiveMaximum,
    P::MaximumQoS,
    P::RetainAvailable,
    P::MaximumPacketSize,
    P::AssignedClientIdentifier,
    P::TopicAliasMaximum,
    P::ReasonString,
    P::UserProperty,
    P::WildcardSubscriptionAvailable,
    P::SubscriptionIdentifierAvailable,
    P::SharedSubscriptionAvailable,
    P::ServerKeepAlive,
    P::ResponseInformation,
    P::ServerReference,
    P::AuthenticationMethod,
    P::AuthenticationData,
]);
const PUBLISH_MASK: u64 = mask(&[
    P::PayloadFormatIndicator,
    P::MessageExpiryInterval,
    P::TopicAlias,
    P::ResponseTopic,
    P::CorrelationData,
    P::UserProperty,
    P::SubscriptionIdentifier,
    P::ContentType,
]);
const ACK_MASK: u64 = mask(&[P::ReasonString, P::UserProperty]);
const SUBSCRIBE_MASK: u64 = mask(&[P::SubscriptionIdentifier, P::UserProperty]);
const UNSUBSCRIBE_MASK: u64 = mask(&[P::UserProperty]);
const DISCONNECT_MASK: u64 = mask(&[
    P::SessionExpiryInterval,
    P::ReasonString,
    P::UserProperty,
    P::ServerReference,
]);
const AUTH_MASK: u64 = mask(&[
    P::AuthenticationMethod,
    P::AuthenticationData,
    P::ReasonString,
    P::UserProperty,
]);

#[inline(always)]
fn allowed_mask(scope: Option<PacketType>) -> u64 {
    use PacketType::*;
    match scope {
        None => WILL_MASK,
        Some(Connect) => CONNECT_MASK,
        Some(ConnAck) => CONNACK_MASK,
        Some(Publish) => PUBLISH_MASK,
        Some(PubAck | PubRec | PubRel | PubComp | SubAck | UnsubAck) => ACK_MASK,
        Some(Subscribe) => SUBSCRIBE_MASK,
        Some(Unsubscribe) => UNSUBSCRIBE_MASK,
        Some(Disconnect) => DISCONNECT_MASK,
        Some(Auth) => AUTH_MASK,
        Some(PingReq | PingResp) => 0,
    }
}

/// The Payload Format Indicator's values (section 3.3.2.3.2).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub enum PayloadFormat {
    /// 0: unspecified bytes.
    Unspecified,
    /// 1: UTF-8 encoded character data.
    Utf8,
}

/// One property with its value. Each variant is named after its [`PropertyId`].
///
/// String and binary values are slices of the decoded packet, not copies.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[allow(missing_docs)] // each variant is documented on its PropertyId
pub enum Property {
    PayloadFormatIndicator(PayloadFormat),
    MessageExpiryInterval(u32),
    ContentType(MqttString),
    ResponseTopic(TopicName),
    CorrelationData(Bytes),
    /// 1 to 268,435,455; 0 is a Protocol Error.
    SubscriptionIdentifier(u32),
    SessionExpiryInterval(u32),
    AssignedClientIdentifier(MqttString),
    ServerKeepAlive(u16),
    AuthenticationMethod(MqttString),
    AuthenticationData(Bytes),
    RequestProblemInformation(bool),
    WillDelayInterval(u32),
    RequestResponseInformation(bool),
    ResponseInformation(MqttString),
    ServerReference(MqttString),
    ReasonString(MqttString),
    /// 1 to 65,535; 0 is a Protocol Error.
    ReceiveMaximum(u16),
    TopicAliasMaximum(u16),
    /// 1 to 65,535; 0 is a Protocol Error [MQTT-3.3.2-8].
    TopicAlias(u16),
    /// QoS 0 or 1; a server that supports QoS 2 omits the property.
    MaximumQoS(QoS),
    RetainAvailable(bool),
    /// A name/value pair; may repeat, and order is kept [MQTT-3.3.2-18].
    UserProperty(MqttString, MqttString),
    /// 1 to 268,435,455 (the wire allows up to 2^32-1); 0 is a Protocol Error.
    MaximumPacketSize(u32),
    WildcardSubscriptionAvailable(bool),
    SubscriptionIdentifierAvailable(bool),
    SharedSubscriptionAvailable(bool),
}

impl Property {
    /// This property's identifier.
    #[inline(always)]
    pub fn id(&self) -> PropertyId {
        use Property::*;
        match self {
            PayloadFormatIndicator(_) => P::PayloadFormatIndicator,
            MessageExpiryInterval(_) => P::MessageExpiryInterval,
            ContentType(_) => P::ContentType,
            ResponseTopic(_) => P::ResponseTopic,
            CorrelationData(_) => P::CorrelationData,
            SubscriptionIdentifier(_) => P::SubscriptionIdentifier,
            SessionExpiryInterval(_) => P::SessionExpiryInterval,
            AssignedClientIdentifier(_) => P::AssignedClientIdentifier,
            ServerKeepAlive(_) => P::ServerKeepAlive,
            AuthenticationMethod(_) => P::AuthenticationMethod,
            AuthenticationData(_) => P::AuthenticationData,
            RequestProblemInformation(_) => P::RequestProblemInformation,
            WillDelayInterval(_) => P::WillDelayInterval,
            RequestResponseInformation(_) => P::RequestResponseInformation,
            ResponseInformation(_) => P::ResponseInformation,
            ServerReference(_) => P::ServerReference,
            ReasonString(_) => P::ReasonString,
            ReceiveMaximum(_) => P::ReceiveMaximum,
            TopicAliasMaximum(_) => P::TopicAliasMaximum,
            TopicAlias(_) => P::TopicAlias,
            MaximumQoS(_) => P::MaximumQoS,
            RetainAvailable(_) => P::RetainAvailable,
            UserProperty(..) => P::UserProperty,
            MaximumPacketSize(_) => P::MaximumPacketSize,
            WildcardSubscriptionAvailable(_) => P::WildcardSubscriptionAvailable,
            SubscriptionIdentifierAvailable(_) => P::SubscriptionIdentifierAvailable,
            SharedSubscriptionAvailable(_) => P::SharedSubscriptionAvailable,
        }
    }

    /// Checks the value rules that the types alone do not enforce.
    #[inline(always)]
    fn check_value(&self) -> Result<(), CodecError> {
        use Property::*;
        let bad = |value: u32| {
            Err(CodecError::InvalidPropertyValue {
                property: self.id(),
                value,
            })
        };
        match *self {
            SubscriptionIdentifier(v) if v == 0 || v > crate::wire::MAX_VARIABLE_BYTE_INTEGER => {
                bad(v)
            }
            ReceiveMaximum(0) | TopicAlias(0) => bad(0),
            MaximumPacketSize(0) => bad(0),
            MaximumQoS(QoS::ExactlyOnce) => bad(2),
            // A Response Topic is a topic name, so not empty [MQTT-4.7.3-1]; decoding checks
            // this through `TopicName`, encoding must too.
            ResponseTopic(ref topic) if topic.is_empty() => Err(CodecError::EmptyTopicName),
            _ => Ok(()),
        }
    }

    /// Encoded size: identifier plus value.
    #[inline(always)]
    fn encoded_len(&self) -> Result<usize, CodecError> {
        use Property::*;
        Ok(1 + match self {
            PayloadFormatIndicator(_)
            | RequestProblemInformation(_)
            | RequestResponseInformation(_)
            | MaximumQoS(_)
            | RetainAvailable(_)
            | WildcardSubscriptionAvailable(_)
            | SubscriptionIdentifierAvailable(_)
            | SharedSubscriptionAvailable(_) => 1,
            ServerKeepAlive(_) | ReceiveMaximum(_) | TopicAliasMaximum(_) | TopicAlias(_) => 2,
            MessageExpiryInterval(_)
            | SessionExpiryInterval(_)
            | WillDelayInterval(_)
            | MaximumPacketSize(_) => 4,
            SubscriptionIdentifier(v) => variable_byte_integer_len(*v as usize),
            ContentType(s)
            | AssignedClientIdentifier(s)
            | AuthenticationMethod(s)
            | ResponseInformation(s)
            | ServerReference(s)
            | ReasonString(s) => 2 + s.len(),
            ResponseTopic(t) => 2 + t.len(),
            CorrelationData(b) => check_binary(b, "Correlation Data")?,
            AuthenticationData(b) => check_binary(b, "Authentication Data")?,
            UserProperty(k, v) => 4 + k.len() + v.len(),
        })
    }

    // Each arm writes the identifier together with the fixed-size part of the value: every
    // write into a `BytesMut` checks capacity and moves the length, so fewer is faster.
    #[inline(always)]
    fn encode(&self, out: &mut BytesMut) {
        use Property::*;
        let id = self.id() as u8;
        let with_str = |s: &[u8], out: &mut BytesMut| {
            let [h, l] = (s.len() as u16).to_be_bytes();
            out.put_slice(&[id, h, l]);
            out.put_slice(s);
        };
        match self {
            PayloadFormatIndicator(f) => out.put_slice(&[
                id,
                match f {
                    PayloadFormat::Unspecified => 0,
                    PayloadFormat::Utf8 => 1,
                },
            ]),
            RequestProblemInformation(b)
            | RequestResponseInformation(b)
            | RetainAvailable(b)
            | WildcardSubscriptionAvailable(b)
            | SubscriptionIdentifierAvailable(b)
            | SharedSubscriptionAvailable(b) => out.put_slice(&[id, u8::from(*b)]),
            MaximumQoS(q) => out.put_slice(&[id, q.as_u8()]),
            ServerKeepAlive(v) | ReceiveMaximum(v) | TopicAliasMaximum(v) | TopicAlias(v) => {
                let [a, b] = v.to_be_bytes();
                out.put_slice(&[id, a, b]);
            }
            MessageExpiryInterval(v)
            | SessionExpiryInterval(v)
            | WillDelayInterval(v)
            | MaximumPacketSize(v) => {
                let [a, b, c, d] = v.to_be_bytes();
                out.put_slice(&[id, a, b, c, d]);
            }
            SubscriptionIdentifier(v) => {
                out.put_u8(id);
                put_vbi(*v, out);
            }
            ContentType(s)
            | AssignedClientIdentifier(s)
            | ResponseInformation(s)
            | AuthenticationMethod(s)
            | ServerReference(s)
            | ReasonString(s) => with_str(s.as_bytes(), out),
            ResponseTopic(t) => with_str(t.as_mqtt_str().as_bytes(), out),
            CorrelationData(b) | AuthenticationData(b) => with_str(b, out),
            UserProperty(k, v) => {
                with_str(k.as_bytes(), out);
                put_str(v, out);
            }
        }
    }

    fn decode(r: &mut Reader) -> Result<Property, CodecError> {
        let id = PropertyId::from_u32(r.vbi("property identifier")?)?;
        Property::decode_value(id, r)
    }

    /// Checks the next property as [`Property::decode`] does, with the same errors, and steps
    /// over it without making a value: strings and binary data are checked in place, so no
    /// handle on the buffer is taken. Returns the identifier.
    #[inline]
    fn check_encoded(r: &mut Reader) -> Result<PropertyId, CodecError> {
        let id = PropertyId::from_u32(r.vbi("property identifier")?)?;
        let name = id.name();
        match id {
            P::UserProperty => {
                r.skip_string(name)?;
                r.skip_string(name)?;
            }
            P::ContentType
            | P::AssignedClientIdentifier
            | P::AuthenticationMethod
            | P::ResponseInformation
            | P::ServerReference
            | P::ReasonString => r.skip_string(name)?,
            P::CorrelationData | P::AuthenticationData => r.skip_binary(name)?,
            // Numbers and flags make no handle; a Response Topic takes the topic checks.
            _ => {
                Property::decode_value(id, r)?;
            }
        }
        Ok(id)
    }

    // Always inlined: in `check_encoded` only the number and flag arms remain, and the value
    // they make is dropped at once, so no `Property` is built there.
    #[inline(always)]
    fn decode_value(id: PropertyId, r: &mut Reader) -> Result<Property, CodecError> {
        use Property::*;
        let name = id.name();
        let flag = |r: &mut Reader| -> Result<bool, CodecError> {
            match r.u8(name)? {
                0 => Ok(false),
                1 => Ok(true),
                v => Err(CodecError::InvalidPropertyValue {
                    property: id,
                    value: u32::from(v),
                }),
            }
        };
        let property = match id {
            P::PayloadFormatIndicator => PayloadFormatIndicator(if flag(r)? {
                PayloadFormat::Utf8
            } else {
                PayloadFormat::Unspecified
            }),
            P::MessageExpiryInterval => MessageExpiryInterval(r.u32(name)?),
            P::ContentType => ContentType(r.string(name)?),
            P::ResponseTopic => ResponseTopic(
                TopicName::try_from_string(r.string(name)?).map_err(|e| match e {
                    CodecError::WildcardInTopicName { topic } => {
                        CodecError::WildcardInResponseTopic { topic }
                    }
                    other => other,
                })?,
            ),
            P::CorrelationData => CorrelationData(r.binary(name)?),
            P::SubscriptionIdentifier => SubscriptionIdentifier(r.vbi(name)?),
            P::SessionExpiryInterval => SessionExpiryInterval(r.u32(name)?),
            P::AssignedClientIdentifier => AssignedClientIdentifier(r.string(name)?),
            P::ServerKeepAlive => ServerKeepAlive(r.u16(name)?),
            P::AuthenticationMethod => AuthenticationMethod(r.string(name)?),
            P::AuthenticationData => AuthenticationData(r.binary(name)?),
            P::RequestProblemInformation => RequestProblemInformation(flag(r)?),
            P::WillDelayInterval => WillDelayInterval(r.u32(name)?),
            P::RequestResponseInformation => RequestResponseInformation(flag(r)?),
            P::ResponseInformation => ResponseInformation(r.string(name)?),
            P::ServerReference => ServerReference(r.string(name)?),
            P::ReasonString => ReasonString(r.string(name)?),
            P::ReceiveMaximum => ReceiveMaximum(r.u16(name)?),
            P::TopicAliasMaximum => TopicAliasMaximum(r.u16(name)?),
            P::TopicAlias => TopicAlias(r.u16(name)?),
            P::MaximumQoS => MaximumQoS(if flag(r)? {
                QoS::AtLeastOnce
            } else {
                QoS::AtMostOnce
            }),
            P::RetainAvailable => RetainAvailable(flag(r)?),
            P::UserProperty => UserProperty(r.string(name)?, r.string(name)?),
            P::MaximumPacketSize => MaximumPacketSize(r.u32(name)?),
            P::WildcardSubscriptionAvailable => WildcardSubscriptionAvailable(flag(r)?),
            P::SubscriptionIdentifierAvailable => SubscriptionIdentifierAvailable(flag(r)?),
            P::SharedSubscriptionAvailable => SharedSubscriptionAvailable(flag(r)?),
        };
        property.check_value()?;
        Ok(property)
    }
}

/// The properties of one packet (or of a will), in wire order.
///
/// A list rather than a struct of options: it is what the wire carries, it keeps the order of
/// repeated User Properties [MQTT-3.3.2-18], and an empty list costs no allocation. Typed
/// getters and setters cover the common properties.
///
/// A decoded block is kept as it arrived: every property was checked when the packet was
/// decoded, and the block's bytes stay a slice of the received buffer, so decoding makes no
/// list and no handle per string, and encoding the block again (a packet forwarded unchanged)
/// is one copy. Reading it ([`Properties::iter`], the getters) parses the values on the way,
/// as slices of the same buffer; changing it turns it into a list first.
///
/// ```
/// use flowsdk_codec::{Properties, Property};
/// let mut props = Properties::new();
/// props.set_message_expiry_interval(Some(60));
/// props.push_user_property("unit", "celsius").unwrap();
/// assert_eq!(props.message_expiry_interval(), Some(60));
/// assert_eq!(props.user_properties().next().unwrap(), ("unit", "celsius"));
/// ```
#[derive(Clone)]
#[cfg_attr(
    feature = "serde",
    derive(serde::Serialize, serde::Deserialize),
    serde(from = "Vec<Property>", into = "Vec<Property>")
)]
pub struct Properties {
    repr: Repr,
    summary: Summary,
}

/// How a [`Properties`] holds its properties.
#[derive(Clone)]
enum Repr {
    /// Values, as built or changed in memory.
    List(Vec<Property>),
    /// A decoded block: its bytes without the length prefix, every property checked.
    Encoded(Bytes),
}

/// What encoding needs to know about the list, kept up to date as it changes, so that checking
/// a block before encoding it is a few mask tests rather than a second walk over the list.
#[derive(Clone, Copy, Debug, Default)]
struct Summary {
    /// Encoded size of all properties (identifier and value), saturating (a block can be at
    /// most 268,435,455 bytes, so saturation only ever means too large).
    len: u32,
    /// One bit per property identifier present.
    seen: u64,
    /// One bit per identifier present more than once.
    repeated: u64,
    /// Some value breaks its own rule; the full check names it when encoding.
    invalid: bool,
}

impl Summary {
    const EMPTY: Summary = Summary {
        len: 0,
        seen: 0,
        repeated: 0,
        invalid: false,
    };

    fn add(&mut self, p: &Property) {
        let bit = p.id().bit();
        self.repeated |= self.seen & bit;
        self.seen |= bit;
        match p.encoded_len() {
            Ok(n) => {
                self.len = self
                    .len
                    .saturating_add(u32::try_from(n).unwrap_or(u32::MAX))
            }
            Err(_) => self.invalid = true,
        }
        self.invalid |= p.check_value().is_err();
    }

    fn of(items: &[Property]) -> Summary {
        let mut summary = Summary::EMPTY;
        for p in items {
            summary.add(p);
        }
        summary
    }
}

impl PartialEq for Properties {
    fn eq(&self, other: &Self) -> bool {
        match (&self.repr, &other.repr) {
            // Strict decoding admits one encoding per list (shortest integers, no padding), so
            // two decoded blocks hold the same properties exactly when their bytes are equal.
            (Repr::Encoded(a), Repr::Encoded(b)) => a == b,
            (Repr::List(a), Repr::List(b)) => a == b,
            _ => self.iter().eq(other.iter()),
        }
    }
}

impl Eq for Properties {}

impl std::hash::Hash for Properties {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        // The same for both forms of one list, as equality requires.
        state.write_usize(self.len());
        for p in self.iter() {
            p.hash(state);
        }
    }
}

impl std::fmt::Debug for Properties {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_list().entries(self.iter()).finish()
    }
}

impl Default for Properties {
    fn default() -> Self {
        Properties::new()
    }
}

impl From<Properties> for Vec<Property> {
    fn from(mut p: Properties) -> Self {
        p.take_list()
    }
}

macro_rules! getters_setters {
    ($( $get:ident, $set:ident, $variant:ident, $ty:ty; )*) => {
        $(
            #[doc = concat!("The `", stringify!($variant), "` property, if present.")]
            pub fn $get(&self) -> Option<$ty> {
                self.iter().find_map(|p| match p {
                    Property::$variant(v) => Some(v),
                    _ => None,
                })
            }

            #[doc = concat!("Replaces (or with `None` removes) the `", stringify!($variant), "` property.")]
            pub fn $set(&mut self, value: Option<$ty>) {
                self.replace(PropertyId::$variant, value.map(Property::$variant));
            }
        )*
    };
}

impl Properties {
    /// An empty property list; does not allocate.
    pub const fn new() -> Self {
        Properties {
            repr: Repr::List(Vec::new()),
            summary: Summary::EMPTY,
        }
    }

    /// `true` when there are no properties.
    #[inline]
    pub fn is_empty(&self) -> bool {
        // Every property present sets its identifier's bit.
        self.summary.seen == 0
    }

    /// Number of properties (each User Property counts once).
    pub fn len(&self) -> usize {
        match &self.repr {
            Repr::List(items) => items.len(),
            Repr::Encoded(block) => raw_entries(block).count(),
        }
    }

    /// The properties in order, as values (strings and binary data are slices of the buffer
    /// the packet was decoded from, not copies).
    pub fn iter(&self) -> PropertiesIter<'_> {
        match &self.repr {
            Repr::List(items) => PropertiesIter {
                inner: IterInner::List(items.iter()),
            },
            Repr::Encoded(block) => PropertiesIter::encoded(block.clone()),
        }
    }

    /// The list, taken out (a decoded block parsed into one); `self` is left empty until the
    /// caller puts a list back with [`Properties::put_list`].
    fn take_list(&mut self) -> Vec<Property> {
        match std::mem::replace(&mut self.repr, Repr::List(Vec::new())) {
            Repr::List(items) => items,
            Repr::Encoded(block) => PropertiesIter::encoded(block).collect(),
        }
    }

    fn put_list(&mut self, items: Vec<Property>) {
        self.repr = Repr::List(items);
    }

    /// Appends a property. Rules (allowed in which packet, duplicates) are checked at encode time.
    pub fn push(&mut self, property: Property) {
        let mut items = self.take_list();
        self.summary.add(&property);
        items.push(property);
        self.put_list(items);
    }

    /// Appends a property, returning `self` (for building).
    #[must_use]
    pub fn with(mut self, property: Property) -> Self {
        self.push(property);
        self
    }

    /// Keeps only the properties for which `keep` returns `true` (a broker drops Topic Alias
    /// and Subscription Identifiers before forwarding, for example).
    pub fn retain(&mut self, keep: impl FnMut(&Property) -> bool) {
        let mut items = self.take_list();
        items.retain(keep);
        self.summary = Summary::of(&items);
        self.put_list(items);
    }

    /// The first property with identifier `id`.
    pub fn get(&self, id: PropertyId) -> Option<Property> {
        if self.summary.seen & id.bit() == 0 {
            return None;
        }
        self.iter().find(|p| p.id() == id)
    }

    /// Removes every property with identifier `id`, then appends `property` if given.
    pub fn replace(&mut self, id: PropertyId, property: Option<Property>) {
        if self.summary.seen & id.bit() != 0 {
            self.retain(|p| p.id() != id);
        }
        if let Some(p) = property {
            self.push(p);
        }
    }

    /// Appends a User Property.
    ///
    /// # Errors
    /// When `name` or `value` is not a valid MQTT string [MQTT-1.5.7-1].
    pub fn push_user_property(
        &mut self,
        name: impl Into<String>,
        value: impl Into<String>,
    ) -> Result<(), CodecError> {
        self.push(Property::UserProperty(
            MqttString::new(name)?,
            MqttString::new(value)?,
        ));
        Ok(())
    }

    /// The User Properties in order, as `(name, value)`.
    pub fn user_properties(&self) -> impl Iterator<Item = (&str, &str)> {
        let (list, block): (&[Property], &[u8]) = match &self.repr {
            Repr::List(items) => (items, &[]),
            Repr::Encoded(block) => (&[], block),
        };
        let listed = list.iter().filter_map(|p| match p {
            Property::UserProperty(k, v) => Some((k.as_str(), v.as_str())),
            _ => None,
        });
        // In a decoded block, read in place: two strings, each a length and its bytes, checked
        // when the packet was decoded.
        let encoded = raw_entries(block).filter_map(|(id, value)| {
            if id != PropertyId::UserProperty {
                return None;
            }
            let (name, rest) = split_string(value)?;
            let (value, _) = split_string(rest)?;
            Some((name, value))
        });
        listed.chain(encoded)
    }

    /// The Subscription Identifiers in order (a PUBLISH carries one per matching subscription).
    pub fn subscription_identifiers(&self) -> impl Iterator<Item = u32> + '_ {
        self.iter().filter_map(|p| match p {
            Property::SubscriptionIdentifier(v) => Some(v),
            _ => None,
        })
    }

    getters_setters! {
        payload_format_indicator, set_payload_format_indicator, PayloadFormatIndicator, PayloadFormat;
        message_expiry_interval, set_message_expiry_interval, MessageExpiryInterval, u32;
        content_type, set_content_type, ContentType, MqttString;
        response_topic, set_response_topic, ResponseTopic, TopicName;
        correlation_data, set_correlation_data, CorrelationData, Bytes;
        session_expiry_interval, set_session_expiry_interval, SessionExpiryInterval, u32;
        assigned_client_identifier, set_assigned_client_identifier, AssignedClientIdentifier, MqttString;
        server_keep_alive, set_server_keep_alive, ServerKeepAlive, u16;
        authentication_method, set_authentication_method, AuthenticationMethod, MqttString;
        authentication_data, set_authentication_data, AuthenticationData, Bytes;
        request_problem_information, set_request_problem_information, RequestProblemInformation, bool;
        will_delay_interval, set_will_delay_interval, WillDelayInterval, u32;
        request_response_information, set_request_response_information, RequestResponseInformation, bool;
        response_information, set_response_information, ResponseInformation, MqttString;
        server_reference, set_server_reference, ServerReference, MqttString;
        reason_string, set_reason_string, ReasonString, MqttString;
        receive_maximum, set_receive_maximum, ReceiveMaximum, u16;
        topic_alias_maximum, set_topic_alias_maximum, TopicAliasMaximum, u16;
        topic_alias, set_topic_alias, TopicAlias, u16;
        maximum_qos, set_maximum_qos, MaximumQoS, QoS;
        retain_available, set_retain_available, RetainAvailable, bool;
        maximum_packet_size, set_maximum_packet_size, MaximumPacketSize, u32;
        wildcard_subscription_available, set_wildcard_subscription_available, WildcardSubscriptionAvailable, bool;
        subscription_identifier_available, set_subscription_identifier_available, SubscriptionIdentifierAvailable, bool;
        shared_subscription_available, set_shared_subscription_available, SharedSubscriptionAvailable, bool;
    }

    /// Checks every rule for properties in `scope` (`Some(packet)`, or `None` for will
    /// properties): each allowed there, no forbidden duplicates, every value in range,
    /// Authentication Data only with an Authentication Method.
    ///
    /// # Errors
    /// [`CodecError::PropertyNotAllowed`], [`CodecError::DuplicateProperty`],
    /// [`CodecError::InvalidPropertyValue`], [`CodecError::AuthDataWithoutMethod`].
    pub fn validate(&self, scope: Option<PacketType>) -> Result<(), CodecError> {
        let mut seen = 0u64;
        for p in self.iter() {
            check_one(&p, scope, &mut seen)?;
        }
        check_auth_pair(seen)
    }

    /// The encoded size of the property block without its length prefix, after checking it
    /// as [`Properties::validate`] does.
    #[inline]
    pub(crate) fn checked_len(&self, scope: Option<PacketType>) -> Result<usize, CodecError> {
        let s = &self.summary;
        let may_repeat = P::UserProperty.bit()
            | if scope == Some(PacketType::Publish) {
                P::SubscriptionIdentifier.bit()
            } else {
                0
            };
        if s.seen & !allowed_mask(scope) == 0
            && s.repeated & !may_repeat == 0
            && !s.invalid
            && check_auth_pair(s.seen).is_ok()
            && s.len <= crate::wire::MAX_VARIABLE_BYTE_INTEGER
        {
            return Ok(s.len as usize);
        }
        // Something is off: walk the list to name the first property at fault.
        self.checked_len_in_full(scope)
    }

    fn checked_len_in_full(&self, scope: Option<PacketType>) -> Result<usize, CodecError> {
        let mut seen = 0u64;
        let mut len = 0usize;
        for p in self.iter() {
            check_one(&p, scope, &mut seen)?;
            len += p.encoded_len()?;
        }
        check_auth_pair(seen)?;
        if len > crate::wire::MAX_VARIABLE_BYTE_INTEGER as usize {
            return Err(CodecError::VariableByteIntegerTooLarge { value: len });
        }
        Ok(len)
    }

    /// Writes the length prefix and properties. `len` is the value `checked_len` returned.
    pub(crate) fn encode_block(&self, len: usize, out: &mut BytesMut) {
        put_vbi(len as u32, out);
        match &self.repr {
            Repr::List(items) => {
                for p in items {
                    p.encode(out);
                }
            }
            Repr::Encoded(block) => out.put_slice(block),
        }
    }

    /// Reads a property block (length prefix then properties) and checks it for `scope`.
    #[inline]
    pub(crate) fn decode_block(
        r: &mut Reader,
        scope: Option<PacketType>,
    ) -> Result<Properties, CodecError> {
        // Most packets carry no properties: that case stays inline in the packet's decoder.
        let len = r.vbi("property length")? as usize;
        if len == 0 {
            return Ok(Properties::new());
        }
        Properties::decode_items(r, len, scope)
    }

    fn decode_items(
        r: &mut Reader,
        len: usize,
        scope: Option<PacketType>,
    ) -> Result<Properties, CodecError> {
        let start = r.position();
        let (seen, repeated) = r.within(len, "properties", |sub| {
            let allowed = allowed_mask(scope);
            let mut seen = 0u64;
            let mut repeated = 0u64;
            while sub.has_remaining() {
                // Checked in place, as `Property::decode` would check it; nothing is made.
                let id = Property::check_encoded(sub)?;
                let bit = id.bit();
                if allowed & bit == 0 || seen & bit != 0 {
                    // Not allowed here, or repeated: `check_placement` says which, and whether
                    // the repetition is allowed.
                    repeated |= seen & bit;
                    check_placement(id, scope, &mut seen)?;
                }
                seen |= bit;
            }
            Ok((seen, repeated))
        })?;
        check_auth_pair(seen)?;
        // Every value was checked, and strict decoding admits only shortest encodings, so the
        // block's length is the properties' encoded length.
        let summary = Summary {
            len: u32::try_from(len).unwrap_or(u32::MAX),
            seen,
            repeated,
            invalid: false,
        };
        Ok(Properties {
            repr: Repr::Encoded(r.since(start)),
            summary,
        })
    }

    /// Decodes a property block (Variable Byte Integer length, then the properties) that
    /// must fill `bytes` exactly, for properties in `scope` (`None` for will properties).
    ///
    /// # Errors
    /// Any property rule, as [`Properties::validate`], or a malformed block.
    pub fn decode(bytes: Bytes, scope: Option<PacketType>) -> Result<Properties, CodecError> {
        let mut r = Reader::new(bytes, scope.unwrap_or(PacketType::Connect));
        let props = Properties::decode_block(&mut r, scope)?;
        r.finish()?;
        Ok(props)
    }

    /// Encodes the block (length prefix and properties) after checking it for `scope`.
    ///
    /// # Errors
    /// As [`Properties::validate`].
    pub fn encode(&self, scope: Option<PacketType>, out: &mut BytesMut) -> Result<(), CodecError> {
        let len = self.checked_len(scope)?;
        out.reserve(4 + len);
        self.encode_block(len, out);
        Ok(())
    }
}

#[inline(always)]
fn check_one(p: &Property, scope: Option<PacketType>, seen: &mut u64) -> Result<(), CodecError> {
    check_placement(p.id(), scope, seen)?;
    p.check_value()
}

/// Allowed in `scope`, and not a forbidden repetition of a property in `seen`.
#[inline(always)]
fn check_placement(
    id: PropertyId,
    scope: Option<PacketType>,
    seen: &mut u64,
) -> Result<(), CodecError> {
    if allowed_mask(scope) & id.bit() == 0 {
        return Err(CodecError::PropertyNotAllowed {
            property: id,
            packet: scope,
        });
    }
    if *seen & id.bit() != 0 && !id.may_repeat_in(scope) {
        return Err(CodecError::DuplicateProperty { property: id });
    }
    *seen |= id.bit();
    Ok(())
}

fn check_auth_pair(seen: u64) -> Result<(), CodecError> {
    if seen & P::AuthenticationData.bit() != 0 && seen & P::AuthenticationMethod.bit() == 0 {
        return Err(CodecError::AuthDataWithoutMethod);
    }
    Ok(())
}

impl From<Vec<Property>> for Properties {
    fn from(items: Vec<Property>) -> Self {
        let summary = Summary::of(&items);
        Properties {
            repr: Repr::List(items),
            summary,
        }
    }
}

impl FromIterator<Property> for Properties {
    fn from_iter<I: IntoIterator<Item = Property>>(iter: I) -> Self {
        Properties::from(iter.into_iter().collect::<Vec<_>>())
    }
}

impl IntoIterator for Properties {
    type Item = Property;
    type IntoIter = std::vec::IntoIter<Property>;
    fn into_iter(mut self) -> Self::IntoIter {
        self.take_list().into_iter()
    }
}

impl<'a> IntoIterator for &'a Properties {
    type Item = Property;
    type IntoIter = PropertiesIter<'a>;
    fn into_iter(self) -> Self::IntoIter {
        self.iter()
    }
}

/// The properties of a [`Properties`] in order, as values: see [`Properties::iter`].
pub struct PropertiesIter<'a> {
    inner: IterInner<'a>,
}

impl PropertiesIter<'_> {
    /// Parses a checked block as it is read.
    fn encoded(block: Bytes) -> Self {
        PropertiesIter {
            inner: IterInner::Encoded(Reader::new(block, PacketType::Connect)),
        }
    }
}

enum IterInner<'a> {
    List(std::slice::Iter<'a, Property>),
    /// A decoded block, parsed as it is read.
    Encoded(Reader),
}

impl Iterator for PropertiesIter<'_> {
    type Item = Property;

    fn next(&mut self) -> Option<Property> {
        match &mut self.inner {
            IterInner::List(items) => items.next().cloned(),
            IterInner::Encoded(r) => {
                if !r.has_remaining() {
                    return None;
                }
                // The block was checked when it was decoded, so this reads every property; an
                // error would end the iteration rather than panic.
                let p = Property::decode(r).ok();
                if p.is_none() {
                    self.inner = IterInner::List([].iter());
                }
                p
            }
        }
    }
}

impl std::fmt::Debug for PropertiesIter<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PropertiesIter").finish_non_exhaustive()
    }
}

/// The properties of a checked block in place: identifier and the bytes of the value (for a
/// string, its length prefix too; for a User Property, both strings). Stops at anything it
/// cannot read, which a checked block does not hold.
fn raw_entries(block: &[u8]) -> impl Iterator<Item = (PropertyId, &[u8])> + '_ {
    let mut rest = block;
    std::iter::from_fn(move || {
        let (&first, after) = rest.split_first()?;
        // Every identifier is below 128: one byte.
        let id = PropertyId::from_u32(u32::from(first)).ok()?;
        let string = |b: &[u8]| -> Option<usize> {
            let len = u16::from_be_bytes([*b.first()?, *b.get(1)?]);
            Some(2 + usize::from(len))
        };
        let len = match id {
            P::PayloadFormatIndicator
            | P::RequestProblemInformation
            | P::RequestResponseInformation
            | P::MaximumQoS
            | P::RetainAvailable
            | P::WildcardSubscriptionAvailable
            | P::SubscriptionIdentifierAvailable
            | P::SharedSubscriptionAvailable => 1,
            P::ServerKeepAlive | P::ReceiveMaximum | P::TopicAliasMaximum | P::TopicAlias => 2,
            P::MessageExpiryInterval
            | P::SessionExpiryInterval
            | P::WillDelayInterval
            | P::MaximumPacketSize => 4,
            P::SubscriptionIdentifier => after.iter().position(|b| b & 0x80 == 0)? + 1,
            P::UserProperty => {
                let name = string(after)?;
                name + string(after.get(name..)?)?
            }
            _ => string(after)?,
        };
        if len > after.len() {
            return None;
        }
        let (value, next) = after.split_at(len);
        rest = next;
        Some((id, value))
    })
}

/// A checked string field in place: the string, and what follows it.
fn split_string(field: &[u8]) -> Option<(&str, &[u8])> {
    let len = usize::from(u16::from_be_bytes([*field.first()?, *field.get(1)?]));
    let bytes = field.get(2..2 + len)?;
    Some((std::str::from_utf8(bytes).ok()?, &field[2 + len..]))
}

#[cfg(test)]
mod summary_tests {
    use super::*;

    fn samples() -> Vec<Property> {
        let s = |v: &str| MqttString::new(v).unwrap();
        vec![
            Property::UserProperty(s("k"), s("v")),
            Property::UserProperty(s("k"), s("w")),
            Property::SubscriptionIdentifier(7),
            Property::SubscriptionIdentifier(0),
            Property::TopicAlias(0),
            Property::TopicAlias(3),
            Property::MessageExpiryInterval(60),
            Property::ContentType(s("text/plain")),
            Property::ResponseTopic(TopicName::empty()),
            Property::AuthenticationData(Bytes::from_static(b"x")),
            Property::AuthenticationMethod(s("m")),
            Property::ReceiveMaximum(0),
            Property::SessionExpiryInterval(1),
            Property::CorrelationData(Bytes::from(vec![0u8; 70_000])),
            Property::ReasonString(s("why")),
        ]
    }

    #[test]
    fn the_summary_check_agrees_with_the_full_walk_for_every_list_and_scope() {
        let samples = samples();
        let scopes: Vec<Option<PacketType>> = std::iter::once(None)
            .chain((1..=15).map(|n| PacketType::from_nibble(n).ok()))
            .collect();
        // Every list of up to three samples, in order, built three ways.
        let n = samples.len();
        let mut lists = vec![vec![]];
        for a in 0..n {
            lists.push(vec![a]);
            for b in 0..n {
                lists.push(vec![a, b]);
                for c in (0..n).step_by(4) {
                    lists.push(vec![a, b, c]);
                }
            }
        }
        for list in lists {
            let items: Vec<Property> = list.iter().map(|&i| samples[i].clone()).collect();
            let mut pushed = Properties::new();
            for p in &items {
                pushed.push(p.clone());
            }
            let mut retained = Properties::from(items.clone()).with(Property::TopicAliasMaximum(1));
            retained.retain(|p| p.id() != PropertyId::TopicAliasMaximum);
            for props in [Properties::from(items.clone()), pushed, retained] {
                for &scope in &scopes {
                    assert_eq!(
                        props.checked_len(scope),
                        props.checked_len_in_full(scope),
                        "{items:?} in {scope:?}"
                    );
                }
            }
        }
    }
}

#[cfg(test)]
mod representation_tests {
    use super::*;
    use crate::{Packet, Publish};

    #[test]
    fn packets_stay_small() {
        let word = std::mem::size_of::<usize>();
        // A `Packet` is as large as its largest variant; `Connect` is boxed so that this is
        // `Publish`: two `Bytes` handles, the properties (a list or a decoded block, in the
        // space of one `Bytes`, and a summary) and a few flags.
        assert!(std::mem::size_of::<Properties>() <= 7 * word);
        assert!(std::mem::size_of::<Packet>() <= std::mem::size_of::<Publish>() + word);
        assert!(std::mem::size_of::<Publish>() <= 16 * word);
    }

    #[test]
    fn a_list_emptied_by_any_edit_equals_the_empty_list() {
        let mut props = Properties::new().with(Property::TopicAlias(3));
        assert!(!props.is_empty());
        props.retain(|_| false);
        assert!(props.is_empty() && props.iter().next().is_none());
        assert_eq!(props, Properties::new());
        props.set_topic_alias(Some(4));
        props.set_topic_alias(None);
        assert!(props.is_empty() && props.iter().next().is_none());
        assert!(Properties::from(Vec::new()).is_empty());
        assert_eq!(
            Properties::new().checked_len(Some(PacketType::Publish)),
            Ok(0)
        );
    }
}

#[cfg(test)]
mod encoded_block_tests {
    use super::*;

    /// One property of every kind, each valid in a CONNACK or a PUBLISH, with strings that
    /// are not all ASCII.
    fn every_kind() -> Vec<Property> {
        let s = |v: &str| MqttString::new(v).unwrap();
        vec![
            Property::PayloadFormatIndicator(PayloadFormat::Utf8),
            Property::MessageExpiryInterval(60),
            Property::ContentType(s("text/plain; charset=\u{fc}tf-8")),
            Property::ResponseTopic(TopicName::new("reply/\u{e9}").unwrap()),
            Property::CorrelationData(Bytes::from_static(&[0, 1, 2, 0xFF])),
            Property::SubscriptionIdentifier(268_435_455),
            Property::SubscriptionIdentifier(1),
            Property::SessionExpiryInterval(u32::MAX),
            Property::AssignedClientIdentifier(s("client-7")),
            Property::ServerKeepAlive(30),
            Property::AuthenticationMethod(s("SCRAM-SHA-1")),
            Property::AuthenticationData(Bytes::new()),
            Property::RequestProblemInformation(true),
            Property::WillDelayInterval(5),
            Property::RequestResponseInformation(false),
            Property::ResponseInformation(s("")),
            Property::ServerReference(s("other:1883")),
            Property::ReasonString(s("because")),
            Property::ReceiveMaximum(10),
            Property::TopicAliasMaximum(65_535),
            Property::TopicAlias(2),
            Property::MaximumQoS(QoS::AtLeastOnce),
            Property::RetainAvailable(true),
            Property::UserProperty(s("k\u{1F600}"), s("")),
            Property::UserProperty(s("k"), s("v2")),
            Property::MaximumPacketSize(1024),
            Property::WildcardSubscriptionAvailable(false),
            Property::SubscriptionIdentifierAvailable(true),
            Property::SharedSubscriptionAvailable(true),
        ]
    }

    /// `items` encoded, then decoded without a scope check, as a decoder keeps it.
    fn decoded(items: &[Property]) -> Properties {
        let list = Properties::from(items.to_vec());
        // No packet allows every identifier, so the length is the summary's, unchecked.
        let len = list.summary.len as usize;
        let mut out = BytesMut::new();
        list.encode_block(len, &mut out);
        let mut r = Reader::new(out.freeze(), PacketType::Publish);
        let len = r.vbi("property length").unwrap() as usize;
        // Check each property in place, as the decoder does, but leave out where it may
        // appear; the summary is the list's.
        let start = r.position();
        r.within(len, "properties", |sub| {
            while sub.has_remaining() {
                Property::check_encoded(sub)?;
            }
            Ok(())
        })
        .unwrap();
        Properties {
            repr: Repr::Encoded(r.since(start)),
            summary: list.summary,
        }
    }

    #[test]
    fn a_decoded_block_reads_as_the_list_it_was_made_from() {
        let items = every_kind();
        let list = Properties::from(items.clone());
        let block = decoded(&items);
        assert!(matches!(block.repr, Repr::Encoded(_)));
        assert_eq!(block.iter().collect::<Vec<_>>(), items);
        assert_eq!(block.len(), items.len());
        assert_eq!(block, list);
        assert_eq!(list, block);
        assert_eq!(format!("{block:?}"), format!("{list:?}"));
        use std::hash::BuildHasher;
        let state = std::hash::RandomState::new();
        assert_eq!(state.hash_one(&block), state.hash_one(&list));
        assert_eq!(
            block.user_properties().collect::<Vec<_>>(),
            list.user_properties().collect::<Vec<_>>()
        );
        assert_eq!(block.user_properties().count(), 2);
        assert_eq!(
            block.subscription_identifiers().collect::<Vec<_>>(),
            vec![268_435_455, 1]
        );
        for id in PropertyId::all() {
            assert_eq!(block.get(*id), list.get(*id), "{id:?}");
        }
        assert_eq!(block.content_type(), list.content_type());
        assert_eq!(block.maximum_packet_size(), Some(1024));
        assert_eq!(Vec::from(block.clone()), items);
        assert_eq!(block.clone().into_iter().collect::<Vec<_>>(), items);
        // Written again, the block is the same bytes as the list.
        for scope in [None, Some(PacketType::Publish), Some(PacketType::ConnAck)] {
            assert_eq!(
                block.checked_len(scope),
                list.checked_len(scope),
                "{scope:?}"
            );
        }
        let (mut a, mut b) = (BytesMut::new(), BytesMut::new());
        block.encode_block(block.summary.len as usize, &mut a);
        list.encode_block(list.summary.len as usize, &mut b);
        assert_eq!(a, b);
    }

    #[test]
    fn changing_a_decoded_block_makes_it_a_list() {
        let items = every_kind();
        let mut block = decoded(&items);
        block.set_topic_alias(Some(9));
        assert!(matches!(block.repr, Repr::List(_)));
        let mut expected: Vec<Property> = items
            .iter()
            .filter(|p| p.id() != PropertyId::TopicAlias)
            .cloned()
            .collect();
        expected.push(Property::TopicAlias(9));
        assert_eq!(block, Properties::from(expected.clone()));
        assert_eq!(block.summary.len, Properties::from(expected).summary.len);
        let mut block = decoded(&items);
        block.retain(|p| p.id() == PropertyId::UserProperty);
        assert_eq!(block.len(), 2);
        assert!(!decoded(&items).is_empty());
        assert!(decoded(&[]).is_empty());
    }

    #[test]
    fn checking_in_place_agrees_with_decoding_on_any_bytes() {
        // Every identifier byte, followed by value bytes that reach each rule: short reads,
        // zero and out-of-range numbers, flags above 1, string lengths past the end, invalid
        // UTF-8, U+0000, wildcards in a Response Topic, and long variable byte integers.
        let tails: Vec<Vec<u8>> = vec![
            vec![],
            vec![0],
            vec![1],
            vec![2],
            vec![0, 0],
            vec![0, 1],
            vec![0, 0, 0, 0],
            vec![0, 0, 0, 1],
            vec![0x80, 0x80, 0x80, 0x80, 0x01],
            vec![0xFF, 0xFF, 0xFF, 0x7F],
            vec![0x80, 0x00],
            vec![0, 1, b'a', 0, 1, b'b'],
            vec![0, 1, b'a', 0, 5, b'b'],
            vec![0, 2, 0xC3, 0x28],
            vec![0, 2, b'a', 0],
            vec![0, 3, b'a', b'/', b'+'],
            vec![0, 1, b'#'],
            vec![0, 3, 0xE2, 0x82, 0xAC, 0, 1, 0x80],
            vec![0, 9, b'a'],
        ];
        let mut ids: Vec<u8> = (0..=0x30).collect();
        ids.extend([0x7F, 0x80, 0xFF]);
        for &id in &ids {
            for tail in &tails {
                let bytes = Bytes::from([&[id][..], tail].concat());
                let mut a = Reader::new(bytes.clone(), PacketType::Publish);
                let mut b = Reader::new(bytes.clone(), PacketType::Publish);
                let checked = Property::check_encoded(&mut a);
                let decoded = Property::decode(&mut b).map(|p| p.id());
                assert_eq!(checked, decoded, "{bytes:?}");
                if checked.is_ok() {
                    assert_eq!(a.position(), b.position(), "{bytes:?}");
                }
            }
        }
    }
}
