//! # flowsdk-testing
//!
//! Tools for testing MQTT implementations — FlowSDK's own client and broker, and any other.
//!
//! **For tests only. This crate writes invalid bytes on purpose**: it exists to send what a
//! correct MQTT implementation never sends (malformed lengths, reserved flags, invalid UTF-8,
//! forbidden property values) and to check that the receiver refuses it as the specification
//! says. Do not use it to talk to production systems.
//!
//! - [`RawPacketBuilder`] builds any packet field by field, including invalid values, starting
//!   from a valid packet of each type ([`RawPacketBuilder::connect_v5`],
//!   [`RawPacketBuilder::publish`], ...) or from scratch; [`RawProperties`] writes property
//!   blocks the same way.
//! - [`RawTestClient`] is a direct connection over any flowsdk-transport transport for scripted
//!   exchanges: send raw bytes or packets, receive with timeouts, expect the peer to close
//!   ([`PeerClosed`] says whether a DISCONNECT came first).
//! - [`Mosquitto`] starts a Mosquitto broker for a test on free ports of 127.0.0.1 (TCP,
//!   WebSocket, TLS with a generated [`Pki`], client certificates), restarts it on the same
//!   ports, and cleans up on drop; where Mosquitto is not installed it prints
//!   `skipped: mosquitto not installed` and the test passes.
//! - [`MalformedPacketGenerator`] lists named protocol violations ([`MalformedCase`]): the
//!   violating bytes, a valid twin, the rule's normative id, what flowsdk-codec makes of them
//!   and the [`ServerReaction`] the specification requires.
//! - [`FaultProxy`] sits between a client and a broker and delays, throttles, drops,
//!   blackholes or corrupts the traffic on command, through a cloneable [`FaultHandle`].
//! - [`conformance`] is the MQTT conformance suite: cases tagged with the normative statements
//!   they assert, run against any broker by [`conformance::Runner`] or the `mqtt-conformance`
//!   binary.
//!
//! ```
//! use flowsdk_codec::{CodecError, ProtocolVersion};
//! use flowsdk_testing::RawPacketBuilder;
//!
//! // A CONNECT whose reserved flag bit is set [MQTT-3.1.2-3].
//! let bytes = RawPacketBuilder::connect_v5().connect_flags(0x03);
//! assert_eq!(bytes.decode(ProtocolVersion::V5), Err(CodecError::ReservedConnectFlag));
//! ```
//!
//! Features: `tls` (the raw client over `mqtts://`, TLS configurations from the [`Pki`]) and
//! `ws` (the raw client over `ws://`), forwarded to flowsdk-transport. The Mosquitto launcher
//! configures TLS and WebSocket listeners without either feature: the broker does the TLS.

#![forbid(unsafe_code)]
#![warn(
    missing_docs,
    missing_debug_implementations,
    unreachable_pub,
    rust_2018_idioms
)]
#![cfg_attr(not(test), deny(clippy::unwrap_used))]
#![cfg_attr(docsrs, feature(doc_cfg))]

pub mod conformance;
mod error;
mod fault_proxy;
mod malformed;
mod mosquitto;
mod packet_builder;
mod pki;
mod raw_client;

pub use error::{FaultProxyError, MosquittoError, PkiError, RawClientError};
pub use fault_proxy::{Direction, FaultHandle, FaultProxy, ProxyStats};
pub use malformed::{
    CodecVerdict, MalformedCase, MalformedPacketGenerator, Notice, ObservedReaction, ServerReaction,
};
pub use mosquitto::{Mosquitto, MosquittoBuilder};
pub use packet_builder::{Field, RawPacketBuilder, RawProperties, RemainingLength};
pub use pki::{Ca, Leaf, Pki};
pub use raw_client::{PeerClosed, RawTestClient, DEFAULT_STEP_TIMEOUT};
