//! `MqttConnection`: a byte stream framed into MQTT packets, with batched writes.

use std::sync::Arc;
use std::time::Duration;

use bytes::{Bytes, BytesMut};
use flowsdk_codec::{Frames, MqttDecoder, Packet, ProtocolVersion, MAX_PACKET_SIZE};
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt, ReadHalf, WriteHalf};

use crate::error::with_timeout;
use crate::{Address, Phase, TransportError};

/// Any byte stream a transport yields: TCP, Unix, TLS, a QUIC stream pair, a WebSocket adapter.
pub(crate) trait AsyncStream: AsyncRead + AsyncWrite + Unpin + Send + 'static {}
impl<T: AsyncRead + AsyncWrite + Unpin + Send + 'static> AsyncStream for T {}

pub(crate) type BoxStream = Box<dyn AsyncStream>;

/// How much receive buffer to add when it is full.
const READ_CHUNK: usize = 8 * 1024;

/// Who is at the other end of a connection.
#[derive(Clone, Debug)]
pub struct PeerInfo {
    address: Address,
    local_address: Option<Address>,
    certificates: Vec<Bytes>,
    alpn: Option<Bytes>,
}

impl PeerInfo {
    pub(crate) fn new(address: Address, local_address: Option<Address>) -> Self {
        PeerInfo {
            address,
            local_address,
            certificates: Vec::new(),
            alpn: None,
        }
    }

    #[cfg_attr(not(any(feature = "tls", feature = "quic")), allow(dead_code))]
    pub(crate) fn with_tls(mut self, certificates: Vec<Bytes>, alpn: Option<Bytes>) -> Self {
        self.certificates = certificates;
        self.alpn = alpn;
        self
    }

    /// The peer's address: the address dialed, or the remote address of an accepted connection.
    pub fn address(&self) -> &Address {
        &self.address
    }

    /// This side's address, where the transport has one.
    pub fn local_address(&self) -> Option<&Address> {
        self.local_address.as_ref()
    }

    /// The certificate chain the peer presented (DER, end entity first); empty without TLS or
    /// when the peer sent none. A server authenticates mTLS clients with it.
    pub fn certificates(&self) -> &[Bytes] {
        &self.certificates
    }

    /// The ALPN protocol agreed in the TLS or QUIC handshake.
    pub fn alpn(&self) -> Option<&[u8]> {
        self.alpn.as_deref()
    }
}

/// Settings of an established connection.
#[derive(Clone, Copy, Debug)]
pub(crate) struct ConnectionSettings {
    pub(crate) version: ProtocolVersion,
    pub(crate) max_incoming_packet_size: u32,
    pub(crate) max_outgoing_packet_size: u32,
    pub(crate) read_timeout: Option<Duration>,
    pub(crate) write_timeout: Option<Duration>,
}

impl Default for ConnectionSettings {
    fn default() -> Self {
        ConnectionSettings {
            version: ProtocolVersion::V5,
            max_incoming_packet_size: MAX_PACKET_SIZE,
            max_outgoing_packet_size: MAX_PACKET_SIZE,
            read_timeout: None,
            write_timeout: Some(Duration::from_secs(30)),
        }
    }
}

/// The receive side: a buffer and the incremental decoder.
#[derive(Debug)]
struct Inbound {
    buf: BytesMut,
    decoder: MqttDecoder,
    timeout: Option<Duration>,
}

impl Inbound {
    fn new(s: &ConnectionSettings) -> Self {
        Inbound {
            buf: BytesMut::with_capacity(READ_CHUNK),
            decoder: MqttDecoder::new(s.version).with_max_packet_size(s.max_incoming_packet_size),
            timeout: s.read_timeout,
        }
    }

    /// Cancel-safe: bytes read stay in `buf`, and a packet is only taken off once whole.
    async fn read_packet<R: AsyncRead + Unpin>(
        &mut self,
        io: &mut R,
        peer: &Address,
    ) -> Result<Option<Packet>, TransportError> {
        loop {
            if let Some(packet) =
                self.decoder
                    .decode(&mut self.buf)
                    .map_err(|source| TransportError::Codec {
                        address: peer.to_string(),
                        source,
                    })?
            {
                return Ok(Some(packet));
            }
            if self.buf.capacity() == self.buf.len() {
                self.buf.reserve(READ_CHUNK);
            }
            let n = with_timeout(self.timeout, peer, Phase::Read, async {
                io.read_buf(&mut self.buf)
                    .await
                    .map_err(|e| TransportError::io(peer, Phase::Read, e))
            })
            .await?;
            if n == 0 {
                return if self.buf.is_empty() {
                    Ok(None)
                } else {
                    Err(TransportError::ClosedMidPacket {
                        address: peer.to_string(),
                        buffered: self.buf.len(),
                    })
                };
            }
        }
    }
}

/// The send side: packets are encoded into one queue and written together, with large
/// PUBLISH payloads sent from where they are (see [`Frames`]).
#[derive(Debug)]
struct Outbound {
    buf: Frames,
    version: ProtocolVersion,
    max_packet_size: u32,
    timeout: Option<Duration>,
}

impl Outbound {
    fn new(s: &ConnectionSettings) -> Self {
        Outbound {
            buf: Frames::new(),
            version: s.version,
            max_packet_size: s.max_outgoing_packet_size,
            timeout: s.write_timeout,
        }
    }

    fn enqueue(&mut self, packet: &Packet, peer: &Address) -> Result<usize, TransportError> {
        let version = match packet {
            Packet::Connect(c) => c.protocol_version,
            _ => self.version,
        };
        self.buf
            .push(packet, version, self.max_packet_size)
            .map_err(|source| TransportError::Codec {
                address: peer.to_string(),
                source,
            })
    }

    async fn flush<W: AsyncWrite + Unpin>(
        &mut self,
        io: &mut W,
        peer: &Address,
    ) -> Result<(), TransportError> {
        let buf = &mut self.buf;
        with_timeout(self.timeout, peer, Phase::Write, async {
            // One write for everything queued: many small packets, few system calls; a
            // vectored one where the stream supports it, so that large payloads go out
            // without being copied.
            io.write_all_buf(buf)
                .await
                .map_err(|e| TransportError::io(peer, Phase::Write, e))?;
            io.flush()
                .await
                .map_err(|e| TransportError::io(peer, Phase::Write, e))
        })
        .await
    }
}

/// An established connection that carries MQTT packets.
///
/// Reading decodes incrementally ([`MqttConnection::read_packet`] is cancel-safe, so it can sit
/// in a `tokio::select!`). Writing is batched: [`MqttConnection::enqueue`] encodes a packet into
/// the write buffer, [`MqttConnection::flush`] writes everything queued at once, and
/// [`MqttConnection::send`] does both.
///
/// After it reads a CONNECT, the connection adopts the protocol version the CONNECT declares,
/// for reading and writing.
pub struct MqttConnection {
    io: BoxStream,
    inbound: Inbound,
    outbound: Outbound,
    peer: Arc<PeerInfo>,
}

impl std::fmt::Debug for MqttConnection {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MqttConnection")
            .field("peer", &self.peer.address)
            .field("version", &self.outbound.version)
            .field("buffered_in", &self.inbound.buf.len())
            .field("queued_out", &self.outbound.buf.len())
            .finish()
    }
}

impl MqttConnection {
    pub(crate) fn new(io: BoxStream, peer: PeerInfo, settings: &ConnectionSettings) -> Self {
        MqttConnection {
            io,
            inbound: Inbound::new(settings),
            outbound: Outbound::new(settings),
            peer: Arc::new(peer),
        }
    }

    /// Who is at the other end.
    pub fn peer(&self) -> &PeerInfo {
        &self.peer
    }

    /// The protocol version used to encode and decode.
    pub fn version(&self) -> ProtocolVersion {
        self.outbound.version
    }

    /// Sets the protocol version (a client sets it before sending CONNECT; a server's
    /// connection adopts the version of the CONNECT it reads).
    pub fn set_version(&mut self, version: ProtocolVersion) {
        self.outbound.version = version;
        self.inbound.decoder.set_version(version);
    }

    /// Refuses incoming packets larger than `max` bytes ([`TransportError::Codec`] with
    /// `PacketTooLarge`), checked from the fixed header before the body is buffered.
    pub fn set_max_incoming_packet_size(&mut self, max: u32) {
        self.inbound.decoder.set_max_packet_size(max);
    }

    /// Refuses to send packets larger than `max` bytes (the peer's Maximum Packet Size).
    pub fn set_max_outgoing_packet_size(&mut self, max: u32) {
        self.outbound.max_packet_size = max;
    }

    /// Reads the next packet. `Ok(None)` means the peer closed the connection cleanly, between
    /// packets.
    ///
    /// # Errors
    /// [`TransportError::Codec`] when the peer sends an invalid packet (its
    /// [`TransportError::reason_code`] is what to answer with), [`TransportError::ClosedMidPacket`],
    /// [`TransportError::Io`], or [`TransportError::Timeout`] with the read timeout.
    pub async fn read_packet(&mut self) -> Result<Option<Packet>, TransportError> {
        let packet = self
            .inbound
            .read_packet(&mut self.io, &self.peer.address)
            .await?;
        if let Some(Packet::Connect(c)) = &packet {
            self.outbound.version = c.protocol_version;
        }
        Ok(packet)
    }

    /// Encodes `packet` into the write buffer without writing; returns its size.
    ///
    /// # Errors
    /// [`TransportError::Codec`] when the packet breaks a rule or exceeds the outgoing maximum
    /// packet size; nothing is queued then.
    pub fn enqueue(&mut self, packet: &Packet) -> Result<usize, TransportError> {
        self.outbound.enqueue(packet, &self.peer.address)
    }

    /// Queues raw bytes as they are, for test tools that must send what the codec refuses.
    pub fn enqueue_raw(&mut self, bytes: &[u8]) {
        self.outbound.buf.push_raw(bytes);
    }

    /// Bytes queued and not yet written.
    pub fn queued_bytes(&self) -> usize {
        self.outbound.buf.len()
    }

    /// Writes everything queued.
    ///
    /// # Errors
    /// [`TransportError::Io`], or [`TransportError::Timeout`] with the write timeout.
    pub async fn flush(&mut self) -> Result<(), TransportError> {
        self.outbound.flush(&mut self.io, &self.peer.address).await
    }

    /// Queues `packet` and writes everything queued.
    ///
    /// # Errors
    /// As [`MqttConnection::enqueue`] and [`MqttConnection::flush`].
    pub async fn send(&mut self, packet: &Packet) -> Result<(), TransportError> {
        self.enqueue(packet)?;
        self.flush().await
    }

    /// Writes what is queued, then closes the sending direction (TCP FIN, TLS close_notify,
    /// WebSocket close, QUIC stream finish).
    ///
    /// # Errors
    /// As [`MqttConnection::flush`].
    pub async fn shutdown(&mut self) -> Result<(), TransportError> {
        self.flush().await?;
        self.io
            .shutdown()
            .await
            .map_err(|e| TransportError::io(&self.peer.address, Phase::Write, e))
    }

    /// Splits into a reading and a writing half that can be used from different tasks.
    ///
    /// The halves do not share the version: after reading a CONNECT, a server sets the
    /// writer's version with [`MqttWriteHalf::set_version`].
    pub fn into_split(self) -> (MqttReadHalf, MqttWriteHalf) {
        let (r, w) = tokio::io::split(self.io);
        (
            MqttReadHalf {
                io: r,
                inbound: self.inbound,
                peer: self.peer.clone(),
            },
            MqttWriteHalf {
                io: w,
                outbound: self.outbound,
                peer: self.peer,
            },
        )
    }
}

/// The reading half of a split [`MqttConnection`].
pub struct MqttReadHalf {
    io: ReadHalf<BoxStream>,
    inbound: Inbound,
    peer: Arc<PeerInfo>,
}

impl std::fmt::Debug for MqttReadHalf {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MqttReadHalf")
            .field("peer", &self.peer.address)
            .finish()
    }
}

impl MqttReadHalf {
    /// As [`MqttConnection::read_packet`].
    ///
    /// # Errors
    /// As [`MqttConnection::read_packet`].
    pub async fn read_packet(&mut self) -> Result<Option<Packet>, TransportError> {
        self.inbound
            .read_packet(&mut self.io, &self.peer.address)
            .await
    }

    /// As [`MqttConnection::set_version`], for reading.
    pub fn set_version(&mut self, version: ProtocolVersion) {
        self.inbound.decoder.set_version(version);
    }

    /// The protocol version used to decode.
    pub fn version(&self) -> ProtocolVersion {
        self.inbound.decoder.version()
    }

    /// As [`MqttConnection::set_max_incoming_packet_size`].
    pub fn set_max_incoming_packet_size(&mut self, max: u32) {
        self.inbound.decoder.set_max_packet_size(max);
    }

    /// Who is at the other end.
    pub fn peer(&self) -> &PeerInfo {
        &self.peer
    }
}

/// The writing half of a split [`MqttConnection`].
pub struct MqttWriteHalf {
    io: WriteHalf<BoxStream>,
    outbound: Outbound,
    peer: Arc<PeerInfo>,
}

impl std::fmt::Debug for MqttWriteHalf {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MqttWriteHalf")
            .field("peer", &self.peer.address)
            .finish()
    }
}

impl MqttWriteHalf {
    /// As [`MqttConnection::enqueue`].
    ///
    /// # Errors
    /// As [`MqttConnection::enqueue`].
    pub fn enqueue(&mut self, packet: &Packet) -> Result<usize, TransportError> {
        self.outbound.enqueue(packet, &self.peer.address)
    }

    /// As [`MqttConnection::enqueue_raw`].
    pub fn enqueue_raw(&mut self, bytes: &[u8]) {
        self.outbound.buf.push_raw(bytes);
    }

    /// Bytes queued and not yet written.
    pub fn queued_bytes(&self) -> usize {
        self.outbound.buf.len()
    }

    /// As [`MqttConnection::flush`].
    ///
    /// # Errors
    /// As [`MqttConnection::flush`].
    pub async fn flush(&mut self) -> Result<(), TransportError> {
        self.outbound.flush(&mut self.io, &self.peer.address).await
    }

    /// As [`MqttConnection::send`].
    ///
    /// # Errors
    /// As [`MqttConnection::send`].
    pub async fn send(&mut self, packet: &Packet) -> Result<(), TransportError> {
        self.enqueue(packet)?;
        self.flush().await
    }

    /// As [`MqttConnection::shutdown`].
    ///
    /// # Errors
    /// As [`MqttConnection::flush`].
    pub async fn shutdown(&mut self) -> Result<(), TransportError> {
        self.flush().await?;
        self.io
            .shutdown()
            .await
            .map_err(|e| TransportError::io(&self.peer.address, Phase::Write, e))
    }

    /// As [`MqttConnection::set_version`], for writing.
    pub fn set_version(&mut self, version: ProtocolVersion) {
        self.outbound.version = version;
    }

    /// As [`MqttConnection::set_max_outgoing_packet_size`].
    pub fn set_max_outgoing_packet_size(&mut self, max: u32) {
        self.outbound.max_packet_size = max;
    }

    /// Who is at the other end.
    pub fn peer(&self) -> &PeerInfo {
        &self.peer
    }
}
