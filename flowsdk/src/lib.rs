//! # FlowSDK
//!
//! Predictable MQTT messaging for apps: every limit, timeout, drop and retry is explicit and
//! surfaced as a typed error or event.
//!
//! This facade re-exports the FlowSDK crates:
//!
//! | module | crate | what it is |
//! | --- | --- | --- |
//! | [`codec`] (also [`mqtt_serde`]) | `flowsdk-codec` | every MQTT 5.0 / 3.1.1 packet: strict, zero-copy encode and decode |
//! | [`transport`] | `flowsdk-transport` | TCP and Unix sockets; TLS (feature `tls`), QUIC (`quic`), WebSocket (`ws`); dial and listen |
//! | [`client`] (also [`mqtt_client`]) | `flowsdk-client` | the MQTT client: sans-IO session core, `TokioAsyncMqttClient`, blocking `MqttClient` |
//! | [`testing`] (feature `protocol-testing`) | `flowsdk-testing` | raw packets, malformed packets, conformance suite, fault proxy, Mosquitto launcher: **for tests only** |
//!
//! The middleware/broker and gRPC crates join as they land, each behind its feature (`grpc`,
//! `persist`).
//!
//! ```
//! use flowsdk::codec::{Packet, ProtocolVersion, Publish, TopicName};
//!
//! let publish = Publish::new(TopicName::new("hello/world")?, &b"hi"[..]);
//! let mut buf = bytes::BytesMut::new();
//! Packet::from(publish).encode(ProtocolVersion::V5, &mut buf)?;
//! assert_eq!(&buf[..], b"\x30\x10\x00\x0bhello/world\x00hi");
//! # Ok::<(), flowsdk::codec::CodecError>(())
//! ```

#![forbid(unsafe_code)]
#![deny(missing_docs)]
#![warn(missing_debug_implementations, unreachable_pub, rust_2018_idioms)]
#![cfg_attr(docsrs, feature(doc_cfg))]

pub use flowsdk_codec as codec;
pub use flowsdk_transport as transport;

/// The codec under the name earlier FlowSDK releases used; the same crate as [`codec`].
pub use flowsdk_codec as mqtt_serde;

pub use flowsdk_client as client;
/// The client under the name earlier FlowSDK releases used; the same crate as [`client`].
pub use flowsdk_client as mqtt_client;

/// Test tools that write invalid bytes on purpose: for tests only, never for production code.
#[cfg(feature = "protocol-testing")]
#[cfg_attr(docsrs, doc(cfg(feature = "protocol-testing")))]
pub use flowsdk_testing as testing;
