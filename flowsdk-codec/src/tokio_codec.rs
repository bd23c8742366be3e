//! `MqttCodec`: `tokio_util::codec` framing for MQTT (feature `tokio-codec`).

use bytes::BytesMut;

use crate::{CodecError, MqttDecoder, Packet, ProtocolVersion, MAX_PACKET_SIZE};

/// A `tokio_util::codec::{Decoder, Encoder}` for MQTT packets, for use with `Framed`.
///
/// Decoding enforces `max_incoming_packet_size`, encoding refuses packets larger than
/// `max_outgoing_packet_size` (the peer's Maximum Packet Size) [MQTT-3.1.2-24].
#[derive(Clone, Copy, Debug)]
pub struct MqttCodec {
    decoder: MqttDecoder,
    max_outgoing_packet_size: u32,
}

/// The error of [`MqttCodec`]: I/O from the underlying stream, or a codec rule.
#[derive(Debug)]
#[non_exhaustive]
pub enum MqttCodecError {
    /// The stream failed.
    Io(std::io::Error),
    /// A packet broke a rule.
    Codec(CodecError),
}

impl std::fmt::Display for MqttCodecError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            MqttCodecError::Io(e) => write!(f, "I/O error: {e}"),
            MqttCodecError::Codec(e) => e.fmt(f),
        }
    }
}

impl std::error::Error for MqttCodecError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            MqttCodecError::Io(e) => Some(e),
            MqttCodecError::Codec(e) => Some(e),
        }
    }
}

impl From<std::io::Error> for MqttCodecError {
    fn from(e: std::io::Error) -> Self {
        MqttCodecError::Io(e)
    }
}

impl From<CodecError> for MqttCodecError {
    fn from(e: CodecError) -> Self {
        MqttCodecError::Codec(e)
    }
}

impl MqttCodec {
    /// A codec for `version` with the protocol's maximum packet size both ways.
    pub fn new(version: ProtocolVersion) -> Self {
        MqttCodec {
            decoder: MqttDecoder::new(version),
            max_outgoing_packet_size: MAX_PACKET_SIZE,
        }
    }

    /// Sets the largest packet accepted from the peer.
    #[must_use]
    pub fn with_max_incoming_packet_size(mut self, max: u32) -> Self {
        self.decoder.set_max_packet_size(max);
        self
    }

    /// Sets the largest packet sent to the peer.
    #[must_use]
    pub fn with_max_outgoing_packet_size(mut self, max: u32) -> Self {
        self.max_outgoing_packet_size = max;
        self
    }

    /// The protocol version in use.
    pub fn version(&self) -> ProtocolVersion {
        self.decoder.version()
    }

    /// Changes the protocol version.
    pub fn set_version(&mut self, version: ProtocolVersion) {
        self.decoder.set_version(version);
    }
}

impl tokio_util::codec::Decoder for MqttCodec {
    type Item = Packet;
    type Error = MqttCodecError;

    fn decode(&mut self, src: &mut BytesMut) -> Result<Option<Packet>, MqttCodecError> {
        Ok(self.decoder.decode(src)?)
    }
}

impl tokio_util::codec::Encoder<Packet> for MqttCodec {
    type Error = MqttCodecError;

    fn encode(&mut self, item: Packet, dst: &mut BytesMut) -> Result<(), MqttCodecError> {
        self.encode(&item, dst)
    }
}

impl tokio_util::codec::Encoder<&Packet> for MqttCodec {
    type Error = MqttCodecError;

    fn encode(&mut self, item: &Packet, dst: &mut BytesMut) -> Result<(), MqttCodecError> {
        let version = match item {
            Packet::Connect(c) => c.protocol_version,
            _ => self.decoder.version(),
        };
        item.encode_limited(version, self.max_outgoing_packet_size, dst)?;
        Ok(())
    }
}
