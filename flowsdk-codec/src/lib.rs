//! # flowsdk-codec
//!
//! A strict, zero-copy codec for every MQTT control packet of MQTT 5.0 and 3.1.1.
//!
//! - **One model, two versions.** [`Packet`] and its fifteen packet types serve protocol level
//!   5 and 4; the [`ProtocolVersion`] is chosen when encoding or decoding.
//! - **Zero copy.** Decoding takes [`bytes::Bytes`] and hands out slices of it for topics,
//!   payloads, strings and binary properties. Encoding into [`Frames`] leaves large PUBLISH
//!   payloads where they are, for a vectored write.
//! - **Incremental.** [`MqttDecoder`] takes a stream split at any byte and returns `Ok(None)`
//!   until a packet is whole; the announced size is checked against the maximum packet size
//!   from the fixed header, before the body is buffered.
//! - **Strict.** Every rule of the specification that a codec can check is checked on decode
//!   and on encode, and each [`CodecError`] names the rule, the value, the normative statement
//!   and the [`ReasonCode`] to answer with ([`CodecError::reason_code`]).
//! - **Small.** Depends on `bytes` only; `serde` and `tokio-codec` are optional features.
//!
//! ```
//! use bytes::{Bytes, BytesMut};
//! use flowsdk_codec::{MqttDecoder, Packet, PacketId, ProtocolVersion, Publish, QoS, TopicName};
//!
//! let mut publish = Publish::new(TopicName::new("sensors/7/temp")?, Bytes::from_static(b"21.5"));
//! publish.qos = QoS::AtLeastOnce;
//! publish.packet_id = PacketId::new(1);
//! publish.properties.push_user_property("unit", "celsius")?;
//!
//! let mut wire = BytesMut::new();
//! publish.encode(ProtocolVersion::V5, &mut wire)?;
//!
//! // Bytes arrive in two pieces: the decoder waits for the rest.
//! let mut rx = BytesMut::from(&wire[..5]);
//! let mut decoder = MqttDecoder::new(ProtocolVersion::V5);
//! assert_eq!(decoder.decode(&mut rx)?, None);
//! rx.extend_from_slice(&wire[5..]);
//! assert_eq!(decoder.decode(&mut rx)?, Some(Packet::Publish(publish)));
//! # Ok::<(), flowsdk_codec::CodecError>(())
//! ```
//!
//! Features:
//! - `serde`: `Serialize`/`Deserialize` for packets and their parts (validated on the way in).
//! - `tokio-codec`: [`MqttCodec`], a `tokio_util::codec` `Decoder`/`Encoder`.

#![forbid(unsafe_code)]
#![deny(missing_docs)]
#![warn(missing_debug_implementations, unreachable_pub, rust_2018_idioms)]
#![cfg_attr(not(test), deny(clippy::unwrap_used))]
#![cfg_attr(docsrs, feature(doc_cfg))]

mod decoder;
mod error;
mod frames;
mod packet;
mod property;
mod reason_code;
mod string;
mod topic;
mod types;
mod wire;

#[cfg(feature = "tokio-codec")]
#[cfg_attr(docsrs, doc(cfg(feature = "tokio-codec")))]
mod tokio_codec;

pub use decoder::MqttDecoder;
pub use error::CodecError;
pub use frames::{Frames, DEFAULT_ZERO_COPY_MIN};
pub use packet::{
    Auth, ConnAck, Connect, Disconnect, FixedHeader, Packet, PubAck, PubComp, PubRec, PubRel,
    Publish, RetainHandling, SubAck, Subscribe, Subscription, SubscriptionOptions, UnsubAck,
    Unsubscribe, Will,
};
pub use property::{PayloadFormat, Properties, PropertiesIter, Property, PropertyId};
pub use reason_code::ReasonCode;
pub use string::{MqttString, MAX_FIELD_LEN};
pub use topic::{topic_matches, SharedSubscription, TopicFilter, TopicName};
pub use types::{PacketId, PacketType, ProtocolVersion, QoS};
pub use wire::{
    decode_variable_byte_integer, encode_variable_byte_integer, MAX_VARIABLE_BYTE_INTEGER,
};

#[cfg(feature = "tokio-codec")]
pub use tokio_codec::{MqttCodec, MqttCodecError};

/// The largest packet MQTT can express: a 1-byte type, a 4-byte remaining length and
/// 268,435,455 bytes after them.
pub const MAX_PACKET_SIZE: u32 = 1 + 4 + MAX_VARIABLE_BYTE_INTEGER;
