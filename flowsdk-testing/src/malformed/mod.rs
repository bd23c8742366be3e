//! `MalformedPacketGenerator`: named protocol violations, each with the bytes that break one
//! rule, a twin that respects it, and what the specification requires a server to do.

mod cases;
mod reaction;
#[cfg(test)]
mod tests;

use bytes::Bytes;
use flowsdk_codec::{CodecError, ProtocolVersion};

pub use reaction::{Notice, ObservedReaction, ServerReaction};

/// One protocol violation a client can commit: the packet that commits it, the same packet
/// with that one rule respected, and what the specification requires of a server receiving it.
///
/// Every case is built with [`RawPacketBuilder`](crate::RawPacketBuilder). The list comes from
/// [`MalformedPacketGenerator`]; its unit tests check, for every case, that flowsdk-codec
/// rejects [`MalformedCase::bytes`] with an error naming [`MalformedCase::normative`] (or that
/// the rule is one a decoder cannot see, [`CodecVerdict::Accepts`]) and decodes
/// [`MalformedCase::valid_twin`].
///
/// ```
/// use flowsdk_codec::{Packet, ProtocolVersion};
/// use flowsdk_testing::MalformedPacketGenerator;
///
/// let case = MalformedPacketGenerator::by_name("publish_qos_3").unwrap();
/// assert_eq!(case.normative, "MQTT-3.3.1-4");
/// let error = Packet::decode(case.version, case.bytes.clone()).unwrap_err();
/// assert_eq!(error.normative_id(), Some("MQTT-3.3.1-4"));
/// assert!(Packet::decode(case.version, case.valid_twin.clone()).is_ok());
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct MalformedCase {
    /// A unique snake_case name, e.g. `publish_topic_wildcard_plus`.
    pub name: &'static str,
    /// The rule broken: a conformance statement id in flowsdk-codec's spelling (`MQTT-3.3.2-2`,
    /// `MQTT-3.1.2-22 (3.1.1)` for a 3.1.1-only statement), or, for rules the specification
    /// states without an id, the section that states them (`§3.8.3.1`).
    pub normative: &'static str,
    /// The protocol version the bytes are written in (and decoded with).
    pub version: ProtocolVersion,
    /// What is wrong, in one sentence.
    pub description: &'static str,
    /// The violating packet.
    pub bytes: Bytes,
    /// Bytes that respect the rule in the same place of the exchange: for rules about a packet,
    /// the same packet with only the offending field corrected; for rules about the order of
    /// packets (a second CONNECT, a packet before CONNECT), the packet that belongs there.
    pub valid_twin: Bytes,
    /// `true` when the bytes must be sent after a successful CONNECT/CONNACK exchange in
    /// [`MalformedCase::version`] (a bad PUBLISH); `false` when they are the first bytes on
    /// the connection (a bad CONNECT, a packet before CONNECT).
    pub needs_connect: bool,
    /// What flowsdk-codec makes of [`MalformedCase::bytes`].
    pub codec: CodecVerdict,
    /// What the specification requires of a server that receives the bytes.
    pub expected: ServerReaction,
}

impl MalformedCase {
    /// `true` when a strict decoder sees the violation in the packet alone: flowsdk-codec
    /// rejects the bytes ([`CodecVerdict::Rejects`]).
    pub fn codec_detects(&self) -> bool {
        matches!(self.codec, CodecVerdict::Rejects(_))
    }

    /// The error flowsdk-codec rejects the bytes with, if it does.
    pub fn codec_error(&self) -> Option<&CodecError> {
        match &self.codec {
            CodecVerdict::Rejects(e) => Some(e),
            CodecVerdict::Accepts => None,
        }
    }
}

/// What flowsdk-codec's strict decoding makes of a case's bytes.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum CodecVerdict {
    /// Decoding fails with exactly this error.
    Rejects(CodecError),
    /// The bytes are a well-formed packet: the rule is about the exchange (a second CONNECT,
    /// a packet before CONNECT, a client sending what only a server may) or about content
    /// the codec does not interpret (a payload that does not match its format indicator).
    Accepts,
}

/// The catalogue of [`MalformedCase`]s: at least one case for every rule a receiver can check
/// on a single packet (lengths, fixed-header flags, UTF-8, topics and filters, properties,
/// packet identifiers, subscription options, CONNECT fields), plus the ordering rules of the
/// connection, for MQTT 5.0 and 3.1.1.
///
/// ```
/// use flowsdk_codec::ProtocolVersion;
/// use flowsdk_testing::MalformedPacketGenerator;
///
/// let all = MalformedPacketGenerator::all();
/// assert!(all.len() >= 40);
/// let v311 = MalformedPacketGenerator::for_version(ProtocolVersion::V311);
/// assert!(v311.iter().all(|c| c.version == ProtocolVersion::V311));
/// ```
#[derive(Clone, Copy, Debug, Default)]
#[non_exhaustive]
pub struct MalformedPacketGenerator;

impl MalformedPacketGenerator {
    /// Every case, in a stable order (grouped by packet type).
    pub fn all() -> Vec<MalformedCase> {
        cases::all()
    }

    /// The case called `name`, if there is one.
    pub fn by_name(name: &str) -> Option<MalformedCase> {
        cases::all().into_iter().find(|c| c.name == name)
    }

    /// The cases written in `version`.
    pub fn for_version(version: ProtocolVersion) -> Vec<MalformedCase> {
        cases::all()
            .into_iter()
            .filter(|c| c.version == version)
            .collect()
    }
}
