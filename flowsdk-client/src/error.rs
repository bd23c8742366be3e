//! [`ClientError`]: every way a client operation can fail, with the MQTT reason code where the
//! broker or the spec gives one.

use std::sync::Arc;
use std::time::Duration;

use flowsdk_codec::{CodecError, QoS, ReasonCode};
use flowsdk_transport::TransportError;

/// The operation an error or outcome belongs to, for messages and timeouts.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Operation {
    /// CONNECT and its CONNACK (and any AUTH exchange in between).
    Connect,
    /// PUBLISH and its PUBACK / PUBREC+PUBCOMP.
    Publish,
    /// SUBSCRIBE and its SUBACK.
    Subscribe,
    /// UNSUBSCRIBE and its UNSUBACK.
    Unsubscribe,
    /// PINGREQ and its PINGRESP.
    Ping,
    /// DISCONNECT.
    Disconnect,
    /// AUTH (re-authentication).
    Auth,
    /// A request published with a response topic, waiting for its response.
    Request,
}

impl Operation {
    /// The operation's name in the spec's words.
    pub fn name(self) -> &'static str {
        match self {
            Operation::Connect => "CONNECT",
            Operation::Publish => "PUBLISH",
            Operation::Subscribe => "SUBSCRIBE",
            Operation::Unsubscribe => "UNSUBSCRIBE",
            Operation::Ping => "PINGREQ",
            Operation::Disconnect => "DISCONNECT",
            Operation::Auth => "AUTH",
            Operation::Request => "request",
        }
    }
}

impl std::fmt::Display for Operation {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

/// Why a client operation failed.
///
/// Local refusals ([`ClientError::BufferFull`], [`ClientError::QosNotSupported`], ...) are
/// returned before anything is sent; [`ClientError::Refused`] and
/// [`ClientError::ConnectRefused`] carry the broker's reason code; a broker that breaks the
/// protocol is reported as [`ClientError::ProtocolViolation`] with the reason code the client
/// disconnected with.
#[derive(Clone, Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ClientError {
    /// An option or command failed validation when it was built.
    #[error("invalid {option}: {reason}")]
    InvalidOption {
        /// The option's name, as its builder method is called.
        option: &'static str,
        /// What is wrong with the value.
        reason: String,
    },
    /// A packet could not be encoded or a received one decoded.
    #[error(transparent)]
    Codec(#[from] CodecError),
    /// The network connection failed (DNS, connect, handshake, read, write). Shared, because
    /// one failure may answer several waiting operations.
    #[error(transparent)]
    Transport(Arc<TransportError>),
    /// The client is not connected and offline buffering is off (or does not apply to this
    /// operation).
    #[error("not connected to the broker")]
    NotConnected,
    /// The offline/outgoing buffer is full and its overflow policy is to refuse.
    #[error("outgoing buffer full ({capacity} messages); the message was not accepted")]
    BufferFull {
        /// The buffer's capacity in messages.
        capacity: usize,
    },
    /// The message was accepted, then dropped before it was sent (buffer overflow policy,
    /// session lost with buffering off, or expiry).
    #[error("message dropped before it was sent: {reason}")]
    Dropped {
        /// Why it was dropped.
        reason: crate::proto::DropReason,
    },
    /// The broker's CONNACK Maximum QoS is below the QoS asked for [MQTT-3.2.2-11].
    #[error("QoS {requested:?} is above the broker's Maximum QoS {maximum:?} [MQTT-3.2.2-11]")]
    QosNotSupported {
        /// The QoS of the refused message.
        requested: QoS,
        /// The broker's maximum.
        maximum: QoS,
    },
    /// The broker said Retain Available = 0 and the message has RETAIN set [MQTT-3.2.2-14].
    #[error("the broker does not support retained messages [MQTT-3.2.2-14]")]
    RetainNotSupported,
    /// The packet is larger than the broker's Maximum Packet Size [MQTT-3.2.2-15].
    #[error(
        "packet of {size} bytes exceeds the broker's maximum packet size {max} [MQTT-3.2.2-15]"
    )]
    PacketTooLarge {
        /// The encoded size.
        size: usize,
        /// The broker's maximum.
        max: u32,
    },
    /// All 65,535 packet identifiers are in use [MQTT-2.2.1-3].
    #[error("no free packet identifier: all 65535 are in use [MQTT-2.2.1-3]")]
    PacketIdsExhausted,
    /// No answer within the operation's timeout.
    #[error("{operation} timed out after {after:?}")]
    Timeout {
        /// What was waited for.
        operation: Operation,
        /// How long.
        after: Duration,
    },
    /// The broker refused the connection (CONNACK reason code 0x80 or above).
    #[error("broker refused the connection: {reason_code:?}{}{}", reason_string.as_deref().map(|s| format!(" ({s})")).unwrap_or_default(), server_reference.as_deref().map(|s| format!(", use server {s}")).unwrap_or_default())]
    ConnectRefused {
        /// The CONNACK reason code.
        reason_code: ReasonCode,
        /// The broker's Reason String, if any.
        reason_string: Option<String>,
        /// The Server Reference (with 0x9C Use another server / 0x9D Server moved).
        server_reference: Option<String>,
    },
    /// The broker answered an operation with a failure reason code (0x80 or above).
    #[error("broker refused {operation}: {reason_code:?}{}", reason_string.as_deref().map(|s| format!(" ({s})")).unwrap_or_default())]
    Refused {
        /// The refused operation.
        operation: Operation,
        /// The reason code (for SUBSCRIBE/UNSUBSCRIBE, the first failing one).
        reason_code: ReasonCode,
        /// The broker's Reason String, if any.
        reason_string: Option<String>,
    },
    /// The broker broke the protocol; the client disconnected with `reason_code`.
    #[error("broker protocol violation: {detail} ({reason_code:?}){}", normative.map(|n| format!(" [{n}]")).unwrap_or_default())]
    ProtocolViolation {
        /// The reason code the client sent in its DISCONNECT (0x81 malformed, 0x82 protocol
        /// error, 0x93, 0x94, 0x95 ...).
        reason_code: ReasonCode,
        /// What the broker did.
        detail: String,
        /// The normative statement broken, where one applies.
        normative: Option<&'static str>,
    },
    /// The connection ended before the operation completed.
    #[error("connection lost before {operation} completed{}", reason.map(|r| format!(": {r:?}")).unwrap_or_default())]
    ConnectionLost {
        /// The interrupted operation.
        operation: Operation,
        /// The broker's DISCONNECT reason code, if it sent one.
        reason: Option<ReasonCode>,
    },
    /// No PINGRESP arrived within the ping timeout; the connection was closed.
    #[error("no PINGRESP within {after:?}: connection considered dead")]
    KeepAliveTimeout {
        /// The ping timeout.
        after: Duration,
    },
    /// The user's authenticator refused or failed an AUTH step.
    #[error("authentication failed: {0}")]
    Auth(String),
    /// The operation needs MQTT 5.0 (AUTH, properties that 3.1.1 lacks).
    #[error("{what} needs MQTT 5.0")]
    NeedsV5 {
        /// What was asked for.
        what: &'static str,
    },
    /// Auto-reconnect gave up after the configured number of failed attempts in a row; the
    /// client stays disconnected until `connect` is called again.
    #[error("gave up reconnecting after {attempts} failed attempts")]
    GaveUpReconnecting {
        /// The `max_reconnect_attempts` setting.
        attempts: u32,
    },
    /// Auto-reconnect stopped because the broker refused the connection for a reason that
    /// another try with the same peer and credentials cannot fix (see
    /// [`TokioAsyncClientConfigBuilder::reconnect_after_refusal`](crate::tokio_async_client::TokioAsyncClientConfigBuilder::reconnect_after_refusal));
    /// the client stays disconnected until `connect` is called again.
    #[error("stopped reconnecting: the broker refused the connection with {reason_code:?}")]
    StoppedReconnecting {
        /// The CONNACK reason code of the refusal.
        reason_code: ReasonCode,
    },
    /// The client was shut down (every handle dropped, or `disconnect` without reconnect).
    #[error("the client has shut down")]
    Closed,
}

impl ClientError {
    /// The MQTT reason code this error carries, if any: the broker's for refusals, the
    /// client's DISCONNECT reason for protocol violations, the codec's for packet errors.
    pub fn reason_code(&self) -> Option<ReasonCode> {
        match self {
            ClientError::Codec(e) => e.reason_code(),
            ClientError::Transport(e) => e.reason_code(),
            ClientError::ConnectRefused { reason_code, .. }
            | ClientError::Refused { reason_code, .. }
            | ClientError::ProtocolViolation { reason_code, .. }
            | ClientError::StoppedReconnecting { reason_code } => Some(*reason_code),
            ClientError::ConnectionLost { reason, .. } => *reason,
            ClientError::PacketTooLarge { .. } => Some(ReasonCode::PacketTooLarge),
            ClientError::QosNotSupported { .. } => Some(ReasonCode::QoSNotSupported),
            ClientError::RetainNotSupported => Some(ReasonCode::RetainNotSupported),
            _ => None,
        }
    }

    /// Whether the error is a timeout waiting for the broker.
    pub fn is_timeout(&self) -> bool {
        matches!(self, ClientError::Timeout { .. })
            || matches!(self, ClientError::Transport(e) if e.is_timeout())
    }

    pub(crate) fn invalid(option: &'static str, reason: impl Into<String>) -> Self {
        ClientError::InvalidOption {
            option,
            reason: reason.into(),
        }
    }
}

impl From<TransportError> for ClientError {
    fn from(e: TransportError) -> Self {
        ClientError::Transport(Arc::new(e))
    }
}
