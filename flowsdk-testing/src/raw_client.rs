//! `RawTestClient`: one connection for scripted exchanges, valid bytes or not.

use std::io::ErrorKind;
use std::time::Duration;

use flowsdk_codec::{
    ConnAck, Connect, Disconnect, MqttString, Packet, ProtocolVersion, ReasonCode,
};
use flowsdk_transport::{
    IntoAddress, MqttConnection, PeerInfo, Transport, TransportConfig, TransportError,
};
use tokio::time::Instant;

use crate::RawClientError;

/// How long [`RawTestClient::connect_v5`] and [`RawTestClient::connect_v311`] wait for the
/// CONNACK unless [`RawTestClient::set_step_timeout`] says otherwise.
pub const DEFAULT_STEP_TIMEOUT: Duration = Duration::from_secs(10);

/// How the peer ended the connection, as seen by [`RawTestClient::expect_closed`].
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum PeerClosed {
    /// The peer closed the connection (TCP FIN, TLS close, WebSocket close) without sending a
    /// DISCONNECT first.
    WithoutDisconnect,
    /// The connection was reset (TCP RST) without a DISCONNECT first; a broker that closes
    /// while unread bytes are pending produces this.
    Reset,
    /// The peer sent this DISCONNECT, then closed (or reset) the connection.
    AfterDisconnect(Disconnect),
}

impl PeerClosed {
    /// The DISCONNECT the peer sent before closing, if any.
    pub fn disconnect(&self) -> Option<&Disconnect> {
        match self {
            PeerClosed::AfterDisconnect(d) => Some(d),
            _ => None,
        }
    }

    /// The reason code of that DISCONNECT, if any.
    pub fn reason_code(&self) -> Option<ReasonCode> {
        self.disconnect().map(|d| d.reason_code)
    }
}

/// What one read produced, before it is turned into the step's result.
// Short-lived, moved once per read: boxing the packet would cost an allocation per packet.
#[allow(clippy::large_enum_variant)]
enum Received {
    Packet(Packet),
    Closed { reset: bool },
}

/// A direct MQTT connection for scripted exchanges in tests: it sends whatever bytes or packets
/// the script says, when it says, and reports every reply, close and decode failure as a value.
///
/// Unlike a real client it keeps no session: no keep-alive, no acknowledgements, no retries.
/// It works over every transport flowsdk-transport dials (`mqtt://`, `ws://` with feature `ws`,
/// `mqtts://` with feature `tls`, ...), and decodes what it receives strictly with
/// flowsdk-codec, so a peer's malformed packet comes back as [`RawClientError::Decode`].
///
/// Every wait takes a timeout, so a script never hangs.
///
/// ```no_run
/// use std::time::Duration;
/// use flowsdk_codec::ReasonCode;
/// use flowsdk_testing::{RawPacketBuilder, RawTestClient};
/// use flowsdk_transport::TransportConfig;
///
/// # async fn run() -> Result<(), flowsdk_testing::RawClientError> {
/// let mut client = RawTestClient::connect("127.0.0.1:1883", TransportConfig::default()).await?;
/// let connack = client.connect_v5("probe").await?;
/// assert_eq!(connack.reason_code, ReasonCode::Success);
///
/// // A PINGREQ with a five-byte remaining length: the broker must close [MQTT-1.5.5-1].
/// client.send_raw(&RawPacketBuilder::pingreq().remaining_length_overlong(5).build()).await?;
/// let closed = client.expect_closed(Duration::from_secs(5)).await?;
/// println!("closed: {closed:?}");
/// # Ok(()) }
/// ```
#[derive(Debug)]
pub struct RawTestClient {
    conn: MqttConnection,
    step_timeout: Duration,
}

impl RawTestClient {
    /// Dials `address` with `config` (any transport the build includes).
    ///
    /// # Errors
    /// [`RawClientError::Transport`] when the connection cannot be established.
    pub async fn connect(
        address: impl IntoAddress,
        config: TransportConfig,
    ) -> Result<RawTestClient, RawClientError> {
        let conn = Transport::new(config)
            .connect(address)
            .await
            .map_err(RawClientError::Transport)?;
        Ok(RawTestClient::from_connection(conn))
    }

    /// Wraps an established connection (e.g. one a test listener accepted, to script the
    /// server side).
    pub fn from_connection(conn: MqttConnection) -> RawTestClient {
        RawTestClient {
            conn,
            step_timeout: DEFAULT_STEP_TIMEOUT,
        }
    }

    /// The underlying connection.
    pub fn connection(&self) -> &MqttConnection {
        &self.conn
    }

    /// The underlying connection, e.g. to change its maximum packet sizes.
    pub fn connection_mut(&mut self) -> &mut MqttConnection {
        &mut self.conn
    }

    /// Gives the connection back.
    pub fn into_connection(self) -> MqttConnection {
        self.conn
    }

    /// Who is at the other end.
    pub fn peer(&self) -> &PeerInfo {
        self.conn.peer()
    }

    /// The protocol version packets are encoded and decoded with.
    pub fn version(&self) -> ProtocolVersion {
        self.conn.version()
    }

    /// Sets the protocol version packets are encoded and decoded with (the CONNECT helpers
    /// set it themselves).
    pub fn set_version(&mut self, version: ProtocolVersion) {
        self.conn.set_version(version);
    }

    /// How long the CONNECT helpers wait for the CONNACK. Default: [`DEFAULT_STEP_TIMEOUT`].
    pub fn set_step_timeout(&mut self, timeout: Duration) {
        self.step_timeout = timeout;
    }

    /// Writes `bytes` as they are, valid MQTT or not.
    ///
    /// # Errors
    /// [`RawClientError::Closed`] when the peer has already closed or reset the connection,
    /// [`RawClientError::Transport`] for other write failures and the write timeout.
    pub async fn send_raw(&mut self, bytes: &[u8]) -> Result<(), RawClientError> {
        self.conn.enqueue_raw(bytes);
        self.conn.flush().await.map_err(write_error)
    }

    /// Encodes `packet` with the connection's version and writes it. The codec refuses to
    /// encode invalid packets; build those with [`RawPacketBuilder`](crate::RawPacketBuilder)
    /// and [`RawTestClient::send_raw`].
    ///
    /// # Errors
    /// As [`RawTestClient::send_raw`]; [`RawClientError::Encode`] when the packet breaks a
    /// rule (nothing is sent then).
    pub async fn send(&mut self, packet: &Packet) -> Result<(), RawClientError> {
        self.conn.enqueue(packet).map_err(|e| match e {
            TransportError::Codec { source, .. } => RawClientError::Encode(source),
            other => RawClientError::Transport(other),
        })?;
        self.conn.flush().await.map_err(write_error)
    }

    /// Waits up to `timeout` for the next packet.
    ///
    /// # Errors
    /// [`RawClientError::Timeout`], [`RawClientError::Closed`] when the peer closes or resets
    /// the connection, [`RawClientError::Decode`] when it sends bytes the codec rejects,
    /// [`RawClientError::Transport`] for other read failures.
    pub async fn recv(&mut self, timeout: Duration) -> Result<Packet, RawClientError> {
        match self.read_within(timeout).await? {
            Received::Packet(packet) => Ok(packet),
            Received::Closed { .. } => Err(RawClientError::Closed),
        }
    }

    /// Checks that no packet arrives for `duration` (and the connection stays open).
    ///
    /// # Errors
    /// [`RawClientError::UnexpectedPacket`] with the packet that arrived,
    /// [`RawClientError::Closed`], [`RawClientError::Decode`] or
    /// [`RawClientError::Transport`].
    pub async fn expect_no_packet(&mut self, duration: Duration) -> Result<(), RawClientError> {
        match self.read_within(duration).await {
            Err(RawClientError::Timeout { .. }) => Ok(()),
            Err(e) => Err(e),
            Ok(Received::Packet(packet)) => Err(RawClientError::UnexpectedPacket {
                expected: "no packet",
                packet: Box::new(packet),
            }),
            Ok(Received::Closed { .. }) => Err(RawClientError::Closed),
        }
    }

    /// Waits up to `timeout` for the peer to close the connection, and reports whether it sent
    /// a DISCONNECT first (and which) or closed or reset the connection without one.
    ///
    /// # Errors
    /// [`RawClientError::Timeout`] when the connection is still open at the deadline (even
    /// after a DISCONNECT), [`RawClientError::UnexpectedPacket`] when a packet other than
    /// DISCONNECT arrives, [`RawClientError::Decode`] or [`RawClientError::Transport`].
    pub async fn expect_closed(&mut self, timeout: Duration) -> Result<PeerClosed, RawClientError> {
        let deadline = Instant::now() + timeout;
        let mut disconnect = None;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match self.read_within(left).await {
                Err(RawClientError::Timeout { .. }) => {
                    return Err(RawClientError::Timeout { after: timeout })
                }
                Err(e) => return Err(e),
                Ok(Received::Packet(Packet::Disconnect(d))) if disconnect.is_none() => {
                    disconnect = Some(d);
                }
                Ok(Received::Packet(packet)) => {
                    return Err(RawClientError::UnexpectedPacket {
                        expected: "the connection to close",
                        packet: Box::new(packet),
                    })
                }
                Ok(Received::Closed { reset }) => {
                    return Ok(match (disconnect, reset) {
                        (Some(d), _) => PeerClosed::AfterDisconnect(d),
                        (None, true) => PeerClosed::Reset,
                        (None, false) => PeerClosed::WithoutDisconnect,
                    })
                }
            }
        }
    }

    /// Sends `connect` (the connection switches to its protocol version) and waits for the
    /// CONNACK, whatever its reason code.
    ///
    /// # Errors
    /// [`RawClientError::UnexpectedPacket`] when something other than CONNACK arrives, or any
    /// error of [`RawTestClient::send`] and [`RawTestClient::recv`] (with the step timeout).
    pub async fn connect_with(&mut self, connect: Connect) -> Result<ConnAck, RawClientError> {
        self.set_version(connect.protocol_version);
        self.send(&Packet::Connect(Box::new(connect))).await?;
        match self.recv(self.step_timeout).await? {
            Packet::ConnAck(ack) => Ok(ack),
            other => Err(RawClientError::UnexpectedPacket {
                expected: "CONNACK",
                packet: Box::new(other),
            }),
        }
    }

    /// Sends an MQTT 5.0 CONNECT as `client_id` (Clean Start, keep alive 60 s, no properties)
    /// and returns the CONNACK.
    ///
    /// # Errors
    /// [`RawClientError::Encode`] for a client identifier that is not a valid MQTT string;
    /// otherwise as [`RawTestClient::connect_with`].
    pub async fn connect_v5(&mut self, client_id: &str) -> Result<ConnAck, RawClientError> {
        self.connect_with(new_connect(client_id, ProtocolVersion::V5)?)
            .await
    }

    /// As [`RawTestClient::connect_v5`], in MQTT 3.1.1.
    ///
    /// # Errors
    /// As [`RawTestClient::connect_v5`].
    pub async fn connect_v311(&mut self, client_id: &str) -> Result<ConnAck, RawClientError> {
        self.connect_with(new_connect(client_id, ProtocolVersion::V311)?)
            .await
    }

    /// Writes what is queued and closes the sending direction; the peer sees the connection
    /// end without a DISCONNECT.
    ///
    /// # Errors
    /// As [`RawTestClient::send_raw`].
    pub async fn shutdown(&mut self) -> Result<(), RawClientError> {
        self.conn.shutdown().await.map_err(write_error)
    }

    /// One read under `timeout`, with closes and resets told apart from failures.
    async fn read_within(&mut self, timeout: Duration) -> Result<Received, RawClientError> {
        // `read_packet` is cancel-safe: bytes read before the timeout stay buffered.
        let result = match tokio::time::timeout(timeout, self.conn.read_packet()).await {
            Ok(result) => result,
            Err(_) => return Err(RawClientError::Timeout { after: timeout }),
        };
        match result {
            Ok(Some(packet)) => Ok(Received::Packet(packet)),
            Ok(None) => Ok(Received::Closed { reset: false }),
            Err(TransportError::Codec { source, .. }) => Err(RawClientError::Decode(source)),
            Err(e) => match close_kind(&e) {
                Some(reset) => Ok(Received::Closed { reset }),
                None => Err(RawClientError::Transport(e)),
            },
        }
    }
}

fn new_connect(client_id: &str, version: ProtocolVersion) -> Result<Connect, RawClientError> {
    let id = MqttString::new(client_id).map_err(RawClientError::Encode)?;
    let mut connect = Connect::new(id);
    connect.protocol_version = version;
    Ok(connect)
}

/// `Some(reset)` when `e` means the peer closed (`false`) or reset (`true`) the connection.
fn close_kind(e: &TransportError) -> Option<bool> {
    match e {
        TransportError::Io { source, .. } => match source.kind() {
            ErrorKind::ConnectionReset | ErrorKind::ConnectionAborted | ErrorKind::BrokenPipe => {
                Some(true)
            }
            ErrorKind::UnexpectedEof => Some(false),
            _ => None,
        },
        // A WebSocket peer that drops the TCP connection without the closing handshake.
        TransportError::Protocol { message, .. }
            if message.contains("without closing handshake") =>
        {
            Some(true)
        }
        _ => None,
    }
}

fn write_error(e: TransportError) -> RawClientError {
    match close_kind(&e) {
        Some(_) => RawClientError::Closed,
        None => RawClientError::Transport(e),
    }
}
