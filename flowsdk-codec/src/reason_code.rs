//! MQTT 5.0 reason codes (section 2.4) and the 3.1.1 return codes mapped onto them.

use crate::PacketType;

macro_rules! reason_codes {
    ($( $(#[$doc:meta])* $name:ident = $value:literal, $text:literal; )*) => {
        /// An MQTT 5.0 reason code (section 2.4 of the specification).
        ///
        /// The table is closed: decoding rejects values the specification does not define.
        /// `0x00` is one variant, [`ReasonCode::Success`], which the specification also calls
        /// *Normal disconnection* (DISCONNECT) and *Granted QoS 0* (SUBACK); see
        /// [`ReasonCode::NORMAL_DISCONNECTION`] and [`ReasonCode::GRANTED_QOS_0`].
        ///
        /// 3.1.1 packets carry fewer codes: [`ConnAck`](crate::ConnAck) return codes 1 to 5 and
        /// the SUBACK failure code `0x80` map to the 5.0 codes with the same meaning, so one
        /// model serves both versions.
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
        #[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
        #[repr(u8)]
        pub enum ReasonCode {
            $( $(#[$doc])* $name = $value, )*
        }

        impl ReasonCode {
            /// The specification's name for this code, e.g. `"Packet Identifier in use"`.
            pub fn name(self) -> &'static str {
                match self { $( ReasonCode::$name => $text, )* }
            }
        }

        impl TryFrom<u8> for ReasonCode {
            type Error = u8;
            /// Converts a wire value, returning it back when the specification defines no such code.
            fn try_from(value: u8) -> Result<Self, u8> {
                match value {
                    $( $value => Ok(ReasonCode::$name), )*
                    other => Err(other),
                }
            }
        }

        /// Every reason code, in numeric order.
        pub(crate) const ALL_REASON_CODES: &[ReasonCode] = &[ $( ReasonCode::$name, )* ];
    };
}

reason_codes! {
    /// 0x00: Success; also *Normal disconnection* and *Granted QoS 0*.
    Success = 0x00, "Success";
    /// 0x01: Granted QoS 1 (SUBACK).
    GrantedQoS1 = 0x01, "Granted QoS 1";
    /// 0x02: Granted QoS 2 (SUBACK).
    GrantedQoS2 = 0x02, "Granted QoS 2";
    /// 0x04: Disconnect with Will Message (DISCONNECT from a client).
    DisconnectWithWillMessage = 0x04, "Disconnect with Will Message";
    /// 0x10: No matching subscribers (PUBACK, PUBREC).
    NoMatchingSubscribers = 0x10, "No matching subscribers";
    /// 0x11: No subscription existed (UNSUBACK).
    NoSubscriptionExisted = 0x11, "No subscription existed";
    /// 0x18: Continue authentication (AUTH).
    ContinueAuthentication = 0x18, "Continue authentication";
    /// 0x19: Re-authenticate (AUTH).
    ReAuthenticate = 0x19, "Re-authenticate";
    /// 0x80: Unspecified error.
    UnspecifiedError = 0x80, "Unspecified error";
    /// 0x81: Malformed Packet.
    MalformedPacket = 0x81, "Malformed Packet";
    /// 0x82: Protocol Error.
    ProtocolError = 0x82, "Protocol Error";
    /// 0x83: Implementation specific error.
    ImplementationSpecificError = 0x83, "Implementation specific error";
    /// 0x84: Unsupported Protocol Version (CONNACK).
    UnsupportedProtocolVersion = 0x84, "Unsupported Protocol Version";
    /// 0x85: Client Identifier not valid (CONNACK).
    ClientIdentifierNotValid = 0x85, "Client Identifier not valid";
    /// 0x86: Bad User Name or Password (CONNACK).
    BadUserNameOrPassword = 0x86, "Bad User Name or Password";
    /// 0x87: Not authorized.
    NotAuthorized = 0x87, "Not authorized";
    /// 0x88: Server unavailable (CONNACK).
    ServerUnavailable = 0x88, "Server unavailable";
    /// 0x89: Server busy.
    ServerBusy = 0x89, "Server busy";
    /// 0x8A: Banned (CONNACK).
    Banned = 0x8A, "Banned";
    /// 0x8B: Server shutting down (DISCONNECT).
    ServerShuttingDown = 0x8B, "Server shutting down";
    /// 0x8C: Bad authentication method.
    BadAuthenticationMethod = 0x8C, "Bad authentication method";
    /// 0x8D: Keep Alive timeout (DISCONNECT).
    KeepAliveTimeout = 0x8D, "Keep Alive timeout";
    /// 0x8E: Session taken over (DISCONNECT).
    SessionTakenOver = 0x8E, "Session taken over";
    /// 0x8F: Topic Filter invalid.
    TopicFilterInvalid = 0x8F, "Topic Filter invalid";
    /// 0x90: Topic Name invalid.
    TopicNameInvalid = 0x90, "Topic Name invalid";
    /// 0x91: Packet Identifier in use.
    PacketIdentifierInUse = 0x91, "Packet Identifier in use";
    /// 0x92: Packet Identifier not found (PUBREL, PUBCOMP).
    PacketIdentifierNotFound = 0x92, "Packet Identifier not found";
    /// 0x93: Receive Maximum exceeded (DISCONNECT).
    ReceiveMaximumExceeded = 0x93, "Receive Maximum exceeded";
    /// 0x94: Topic Alias invalid (DISCONNECT).
    TopicAliasInvalid = 0x94, "Topic Alias invalid";
    /// 0x95: Packet too large.
    PacketTooLarge = 0x95, "Packet too large";
    /// 0x96: Message rate too high (DISCONNECT).
    MessageRateTooHigh = 0x96, "Message rate too high";
    /// 0x97: Quota exceeded.
    QuotaExceeded = 0x97, "Quota exceeded";
    /// 0x98: Administrative action (DISCONNECT).
    AdministrativeAction = 0x98, "Administrative action";
    /// 0x99: Payload format invalid.
    PayloadFormatInvalid = 0x99, "Payload format invalid";
    /// 0x9A: Retain not supported.
    RetainNotSupported = 0x9A, "Retain not supported";
    /// 0x9B: QoS not supported.
    QoSNotSupported = 0x9B, "QoS not supported";
    /// 0x9C: Use another server.
    UseAnotherServer = 0x9C, "Use another server";
    /// 0x9D: Server moved.
    ServerMoved = 0x9D, "Server moved";
    /// 0x9E: Shared Subscriptions not supported.
    SharedSubscriptionsNotSupported = 0x9E, "Shared Subscriptions not supported";
    /// 0x9F: Connection rate exceeded.
    ConnectionRateExceeded = 0x9F, "Connection rate exceeded";
    /// 0xA0: Maximum connect time (DISCONNECT).
    MaximumConnectTime = 0xA0, "Maximum connect time";
    /// 0xA1: Subscription Identifiers not supported.
    SubscriptionIdentifiersNotSupported = 0xA1, "Subscription Identifiers not supported";
    /// 0xA2: Wildcard Subscriptions not supported.
    WildcardSubscriptionsNotSupported = 0xA2, "Wildcard Subscriptions not supported";
}

use ReasonCode::*;

const CONNACK_CODES: &[ReasonCode] = &[
    Success,
    UnspecifiedError,
    MalformedPacket,
    ProtocolError,
    ImplementationSpecificError,
    UnsupportedProtocolVersion,
    ClientIdentifierNotValid,
    BadUserNameOrPassword,
    NotAuthorized,
    ServerUnavailable,
    ServerBusy,
    Banned,
    BadAuthenticationMethod,
    TopicNameInvalid,
    PacketTooLarge,
    QuotaExceeded,
    PayloadFormatInvalid,
    RetainNotSupported,
    QoSNotSupported,
    UseAnotherServer,
    ServerMoved,
    ConnectionRateExceeded,
];
const PUBACK_CODES: &[ReasonCode] = &[
    Success,
    NoMatchingSubscribers,
    UnspecifiedError,
    ImplementationSpecificError,
    NotAuthorized,
    TopicNameInvalid,
    PacketIdentifierInUse,
    QuotaExceeded,
    PayloadFormatInvalid,
];
const PUBREL_CODES: &[ReasonCode] = &[Success, PacketIdentifierNotFound];
const SUBACK_CODES: &[ReasonCode] = &[
    Success,
    GrantedQoS1,
    GrantedQoS2,
    UnspecifiedError,
    ImplementationSpecificError,
    NotAuthorized,
    TopicFilterInvalid,
    PacketIdentifierInUse,
    QuotaExceeded,
    SharedSubscriptionsNotSupported,
    SubscriptionIdentifiersNotSupported,
    WildcardSubscriptionsNotSupported,
];
const UNSUBACK_CODES: &[ReasonCode] = &[
    Success,
    NoSubscriptionExisted,
    UnspecifiedError,
    ImplementationSpecificError,
    NotAuthorized,
    TopicFilterInvalid,
    PacketIdentifierInUse,
];
const DISCONNECT_CODES: &[ReasonCode] = &[
    Success,
    DisconnectWithWillMessage,
    UnspecifiedError,
    MalformedPacket,
    ProtocolError,
    ImplementationSpecificError,
    NotAuthorized,
    ServerBusy,
    ServerShuttingDown,
    KeepAliveTimeout,
    SessionTakenOver,
    TopicFilterInvalid,
    TopicNameInvalid,
    ReceiveMaximumExceeded,
    TopicAliasInvalid,
    PacketTooLarge,
    MessageRateTooHigh,
    QuotaExceeded,
    AdministrativeAction,
    PayloadFormatInvalid,
    RetainNotSupported,
    QoSNotSupported,
    UseAnotherServer,
    ServerMoved,
    SharedSubscriptionsNotSupported,
    ConnectionRateExceeded,
    MaximumConnectTime,
    SubscriptionIdentifiersNotSupported,
    WildcardSubscriptionsNotSupported,
];
const AUTH_CODES: &[ReasonCode] = &[Success, ContinueAuthentication, ReAuthenticate];

impl ReasonCode {
    /// Normal disconnection (DISCONNECT), the same value as [`ReasonCode::Success`].
    pub const NORMAL_DISCONNECTION: ReasonCode = ReasonCode::Success;
    /// Granted QoS 0 (SUBACK), the same value as [`ReasonCode::Success`].
    pub const GRANTED_QOS_0: ReasonCode = ReasonCode::Success;

    /// The wire value.
    pub fn as_u8(self) -> u8 {
        self as u8
    }

    /// `true` for codes below 0x80, which report success; `false` for failures.
    pub fn is_success(self) -> bool {
        (self as u8) < 0x80
    }

    /// The reason codes the specification allows in a packet of type `packet`
    /// (empty for packets that carry none).
    pub fn allowed_in(packet: PacketType) -> &'static [ReasonCode] {
        match packet {
            PacketType::ConnAck => CONNACK_CODES,
            PacketType::PubAck | PacketType::PubRec => PUBACK_CODES,
            PacketType::PubRel | PacketType::PubComp => PUBREL_CODES,
            PacketType::SubAck => SUBACK_CODES,
            PacketType::UnsubAck => UNSUBACK_CODES,
            PacketType::Disconnect => DISCONNECT_CODES,
            PacketType::Auth => AUTH_CODES,
            _ => &[],
        }
    }

    /// `true` when the specification allows this code in a packet of type `packet`.
    pub fn is_allowed_in(self, packet: PacketType) -> bool {
        Self::allowed_in(packet).contains(&self)
    }

    /// The 3.1.1 CONNACK return code for this reason code, if 3.1.1 has one.
    pub fn to_v311_connack(self) -> Option<u8> {
        Some(match self {
            Success => 0,
            UnsupportedProtocolVersion => 1,
            ClientIdentifierNotValid => 2,
            ServerUnavailable => 3,
            BadUserNameOrPassword => 4,
            NotAuthorized => 5,
            _ => return None,
        })
    }

    /// The reason code for a 3.1.1 CONNACK return code (0 to 5).
    pub fn from_v311_connack(code: u8) -> Option<ReasonCode> {
        Some(match code {
            0 => Success,
            1 => UnsupportedProtocolVersion,
            2 => ClientIdentifierNotValid,
            3 => ServerUnavailable,
            4 => BadUserNameOrPassword,
            5 => NotAuthorized,
            _ => return None,
        })
    }

    /// The 3.1.1 SUBACK return code for this reason code, if 3.1.1 has one
    /// (0, 1, 2 for the granted QoS, 0x80 for any failure the 5.0 codes distinguish).
    pub fn to_v311_suback(self) -> Option<u8> {
        match self {
            Success => Some(0),
            GrantedQoS1 => Some(1),
            GrantedQoS2 => Some(2),
            code if !code.is_success() => Some(0x80),
            _ => None,
        }
    }

    /// The reason code for a 3.1.1 SUBACK return code (0, 1, 2 or 0x80).
    pub fn from_v311_suback(code: u8) -> Option<ReasonCode> {
        Some(match code {
            0 => Success,
            1 => GrantedQoS1,
            2 => GrantedQoS2,
            0x80 => UnspecifiedError,
            _ => return None,
        })
    }

    /// Every reason code the specification defines, in numeric order.
    pub fn all() -> &'static [ReasonCode] {
        ALL_REASON_CODES
    }
}

impl Default for ReasonCode {
    /// [`ReasonCode::Success`].
    fn default() -> Self {
        ReasonCode::Success
    }
}

impl std::fmt::Display for ReasonCode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} (0x{:02X})", self.name(), *self as u8)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_defined_value_converts_back_and_undefined_values_are_rejected() {
        for v in 0..=255u8 {
            match ReasonCode::try_from(v) {
                Ok(code) => assert_eq!(code.as_u8(), v),
                Err(back) => assert_eq!(back, v),
            }
        }
        assert_eq!(ReasonCode::all().len(), 43);
        assert_eq!(ReasonCode::try_from(0x03), Err(0x03));
    }

    #[test]
    fn v311_connack_codes_map_both_ways() {
        for code in 0..=5 {
            let rc = ReasonCode::from_v311_connack(code).unwrap();
            assert_eq!(rc.to_v311_connack(), Some(code));
        }
        assert_eq!(ReasonCode::from_v311_connack(6), None);
        assert_eq!(ReasonCode::Banned.to_v311_connack(), None);
    }
}
