//! MQTT over QUIC with quinn: one bidirectional stream per connection, TLS 1.3 from the same
//! rustls settings as `mqtts://`.
//!
//! The client opens the stream; QUIC makes a stream known to the peer only with its first
//! bytes, so the server's side of the stream is accepted lazily: [`QuicIncoming::establish`]
//! returns after the handshake, and the server's first read (or write) waits for the client's
//! first bytes, which for MQTT is the CONNECT packet.

use std::fmt;
use std::future::Future;
use std::io;
use std::net::{Ipv4Addr, Ipv6Addr, SocketAddr, ToSocketAddrs};
use std::pin::Pin;
use std::sync::Arc;
use std::task::{ready, Context, Poll};
use std::time::Duration;

use bytes::Bytes;
use quinn::crypto::rustls::{HandshakeData, QuicClientConfig, QuicServerConfig};
use quinn::{ConnectionError, RecvStream, SendStream, VarInt};
use rustls::pki_types::CertificateDer;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::sync::oneshot;

use crate::connection::{MqttConnection, PeerInfo};
use crate::dial::Deadline;
use crate::tls::TlsClientConfig;
use crate::{Address, ListenerConfig, Phase, Scheme, TransportConfig, TransportError};

/// QUIC settings, shared by the dialing and the listening side.
///
/// ```
/// use std::time::Duration;
/// use flowsdk_transport::{QuicConfig, TransportConfig};
/// let quic = QuicConfig::builder()
///     .keep_alive_interval(Some(Duration::from_secs(5)))
///     .idle_timeout(Some(Duration::from_secs(20)))
///     .build()?;
/// let config = TransportConfig::builder().quic(quic).build();
/// # Ok::<(), flowsdk_transport::TransportError>(())
/// ```
#[derive(Clone, Debug)]
pub struct QuicConfig {
    keep_alive_interval: Option<Duration>,
    idle_timeout: Option<Duration>,
    zero_rtt: bool,
    alpn_protocols: Vec<Vec<u8>>,
}

impl Default for QuicConfig {
    fn default() -> Self {
        QuicConfig {
            keep_alive_interval: Some(Duration::from_secs(10)),
            idle_timeout: Some(Duration::from_secs(30)),
            zero_rtt: false,
            alpn_protocols: vec![b"mqtt".to_vec()],
        }
    }
}

impl QuicConfig {
    /// A builder with the defaults stated on each setter.
    pub fn builder() -> QuicConfigBuilder {
        QuicConfigBuilder {
            config: QuicConfig::default(),
        }
    }

    /// How often an idle connection sends a QUIC PING; `None` sends none.
    pub fn keep_alive_interval(&self) -> Option<Duration> {
        self.keep_alive_interval
    }

    /// How long a connection may go without hearing from the peer before it is closed;
    /// `None` for never.
    pub fn idle_timeout(&self) -> Option<Duration> {
        self.idle_timeout
    }

    /// Whether 0-RTT is enabled.
    pub fn zero_rtt(&self) -> bool {
        self.zero_rtt
    }

    /// The ALPN protocols offered (client) or accepted (server), most preferred first.
    pub fn alpn_protocols(&self) -> &[Vec<u8>] {
        &self.alpn_protocols
    }

    fn transport_config(&self) -> Result<Arc<quinn::TransportConfig>, TransportError> {
        let mut transport = quinn::TransportConfig::default();
        transport.keep_alive_interval(self.keep_alive_interval);
        transport.max_idle_timeout(idle_timeout(self.idle_timeout)?);
        Ok(Arc::new(transport))
    }
}

fn idle_timeout(timeout: Option<Duration>) -> Result<Option<quinn::IdleTimeout>, TransportError> {
    timeout
        .map(quinn::IdleTimeout::try_from)
        .transpose()
        .map_err(|_| {
            TransportError::Config(format!(
                "QUIC idle timeout {timeout:?} is too long (at most 2^62 ms); use None for never"
            ))
        })
}

/// Builds a [`QuicConfig`].
#[derive(Clone, Debug)]
#[must_use]
pub struct QuicConfigBuilder {
    config: QuicConfig,
}

impl QuicConfigBuilder {
    /// How often an idle connection sends a QUIC PING, which keeps NAT bindings and the idle
    /// timeout from closing a quiet MQTT connection; `None` sends none. Must be shorter than
    /// the idle timeout. Default: 10 s.
    pub fn keep_alive_interval(mut self, interval: Option<Duration>) -> Self {
        self.config.keep_alive_interval = interval;
        self
    }

    /// How long a connection may go without hearing from the peer before QUIC closes it (the
    /// smaller of both sides' values applies; it also bounds an unanswered handshake).
    /// `None` for never. Default: 30 s.
    pub fn idle_timeout(mut self, timeout: Option<Duration>) -> Self {
        self.config.idle_timeout = timeout;
        self
    }

    /// 0-RTT: a client that connected to the same server before sends its first bytes (the
    /// CONNECT) with the handshake, saving a round trip; a server accepts such early data.
    /// Early data can be replayed by an attacker, and is sent before the server's certificate
    /// is confirmed (the peer's certificates are then not in [`PeerInfo`]); if the server
    /// rejects it, the first read or write fails and the caller reconnects. Default: off.
    pub fn zero_rtt(mut self, enabled: bool) -> Self {
        self.config.zero_rtt = enabled;
        self
    }

    /// ALPN protocols (QUIC requires at least one): offered by a client, most preferred first,
    /// or accepted by a server. They replace the TLS configuration's list on `quic://`.
    /// Default: `["mqtt"]`.
    pub fn alpn_protocols<I, P>(mut self, protocols: I) -> Self
    where
        I: IntoIterator<Item = P>,
        P: AsRef<[u8]>,
    {
        self.config.alpn_protocols = protocols.into_iter().map(|p| p.as_ref().to_vec()).collect();
        self
    }

    /// The configuration.
    ///
    /// # Errors
    /// [`TransportError::Config`] when the ALPN list is empty or a protocol is empty or over
    /// 255 bytes, when the keep-alive interval is zero or not shorter than the idle timeout,
    /// or when the idle timeout is zero (use `None`) or over 2^62 ms.
    pub fn build(self) -> Result<QuicConfig, TransportError> {
        let c = self.config;
        let error = |m: String| Err(TransportError::Config(m));
        if c.alpn_protocols.is_empty() {
            return error("QUIC needs at least one ALPN protocol".to_owned());
        }
        if let Some(p) = c
            .alpn_protocols
            .iter()
            .find(|p| p.is_empty() || p.len() > 255)
        {
            return error(format!(
                "ALPN protocol {:?} must be 1 to 255 bytes long",
                String::from_utf8_lossy(p)
            ));
        }
        if c.idle_timeout == Some(Duration::ZERO) {
            return error("QUIC idle timeout of zero: use None for no idle timeout".to_owned());
        }
        idle_timeout(c.idle_timeout)?;
        match (c.keep_alive_interval, c.idle_timeout) {
            (Some(Duration::ZERO), _) => {
                return error("QUIC keep-alive interval of zero: use None for none".to_owned())
            }
            (Some(keep_alive), Some(idle)) if keep_alive >= idle => {
                return error(format!(
                    "QUIC keep-alive interval {keep_alive:?} must be shorter than the idle \
                     timeout {idle:?}, or the connection closes before the first PING"
                ))
            }
            _ => {}
        }
        Ok(c)
    }
}

/// Dials `quic://`: resolves, runs the QUIC handshake and opens the bidirectional stream, all
/// before the deadline.
pub(crate) async fn connect(
    address: Address,
    deadline: &Deadline,
    config: &TransportConfig,
) -> Result<MqttConnection, TransportError> {
    let quic = &config.quic;
    let tls = match &config.tls {
        Some(tls) => tls.clone(),
        None => TlsClientConfig::platform_default()?,
    };
    let server_name = tls.server_name().unwrap_or(address.host()).to_owned();
    let mut crypto = (**tls.rustls_config()).clone();
    // The clone shares the session cache with `tls`, so a later connection can resume (0-RTT).
    crypto.alpn_protocols = quic.alpn_protocols.clone();
    crypto.enable_early_data = quic.zero_rtt;
    let crypto = QuicClientConfig::try_from(Arc::new(crypto)).map_err(|e| {
        TransportError::Config(format!(
            "{address}: the TLS configuration cannot be used for QUIC: {e}"
        ))
    })?;
    let mut client = quinn::ClientConfig::new(Arc::new(crypto));
    client.transport_config(quic.transport_config()?);

    let remote = deadline
        .run(Phase::Dns, async {
            tokio::net::lookup_host(address.host_port())
                .await
                .map_err(|e| TransportError::io(&address, Phase::Dns, e))?
                .next()
                .ok_or_else(|| TransportError::NoAddress {
                    address: address.to_string(),
                })
        })
        .await?;
    let unspecified: SocketAddr = if remote.is_ipv6() {
        (Ipv6Addr::UNSPECIFIED, 0).into()
    } else {
        (Ipv4Addr::UNSPECIFIED, 0).into()
    };
    let endpoint = quinn::Endpoint::client(unspecified)
        .map_err(|e| TransportError::io(&address, Phase::QuicHandshake, e))?;
    let connecting = endpoint
        .connect_with(client, remote, &server_name)
        .map_err(|e| match e {
            quinn::ConnectError::InvalidServerName(name) => TransportError::Config(format!(
                "{address}: {name:?} is not a valid TLS server name"
            )),
            e => protocol(&address, Phase::QuicHandshake, e),
        })?;
    let lost = |e| connection_error(&address, Phase::QuicHandshake, e, quic.idle_timeout);
    let (connection, send, recv) = deadline
        .run(Phase::QuicHandshake, async {
            let connection = if quic.zero_rtt {
                match connecting.into_0rtt() {
                    // Whether the server accepts the early data shows on the stream: if it
                    // does not, the first read or write fails (see QuicConfigBuilder::zero_rtt).
                    Ok((connection, _accepted)) => connection,
                    Err(connecting) => connecting.await.map_err(lost)?,
                }
            } else {
                connecting.await.map_err(lost)?
            };
            let (send, recv) = connection.open_bi().await.map_err(lost)?;
            Ok((connection, send, recv))
        })
        .await?;
    let local = endpoint
        .local_addr()
        .ok()
        .map(|a| Address::from_socket_addr(Scheme::Quic, a));
    let peer =
        PeerInfo::new(address, local).with_tls(peer_certificates(&connection), alpn(&connection));
    Ok(MqttConnection::new(
        Box::new(QuicStream::open(send, recv)),
        peer,
        &config.settings,
    ))
}

fn peer_certificates(connection: &quinn::Connection) -> Vec<Bytes> {
    connection
        .peer_identity()
        .and_then(|identity| identity.downcast::<Vec<CertificateDer<'static>>>().ok())
        .map(|chain| crate::tls::certificate_chain(Some(&chain)))
        .unwrap_or_default()
}

fn alpn(connection: &quinn::Connection) -> Option<Bytes> {
    connection
        .handshake_data()?
        .downcast::<HandshakeData>()
        .ok()?
        .protocol
        .map(Bytes::from)
}

fn protocol(address: &Address, phase: Phase, error: impl fmt::Display) -> TransportError {
    TransportError::Protocol {
        address: address.to_string(),
        phase,
        message: error.to_string(),
    }
}

/// A QUIC connection failure as a [`TransportError`]: `Tls` when TLS refused (locally or by
/// the peer's alert), `Timeout` when the idle timeout expired, `Protocol` otherwise.
fn connection_error(
    address: &Address,
    phase: Phase,
    error: ConnectionError,
    idle_timeout: Option<Duration>,
) -> TransportError {
    if let Some(message) = tls_failure(&error) {
        return TransportError::Tls {
            address: address.to_string(),
            phase,
            message,
        };
    }
    match (error, idle_timeout) {
        (ConnectionError::TimedOut, Some(after)) => TransportError::timeout(address, phase, after),
        (error, _) => protocol(address, phase, error),
    }
}

/// The message of a connection closed by a TLS failure (QUIC error codes 0x100 to 0x1ff carry
/// the TLS alert), naming the alert.
fn tls_failure(error: &ConnectionError) -> Option<String> {
    let code = u64::from(match error {
        ConnectionError::TransportError(e) => e.code,
        ConnectionError::ConnectionClosed(close) => close.error_code,
        _ => return None,
    });
    if !(0x100..0x200).contains(&code) {
        return None;
    }
    let alert = rustls::AlertDescription::from((code & 0xff) as u8);
    Some(format!("{error} (TLS alert {alert:?})"))
}

/// For [`crate::tls::failure_message`]: a stream error caused by a TLS failure.
pub(crate) fn tls_failure_message(error: &(dyn std::error::Error + 'static)) -> Option<String> {
    let lost = if let Some(e) = error.downcast_ref::<ConnectionError>() {
        e
    } else if let Some(quinn::ReadError::ConnectionLost(e)) = error.downcast_ref() {
        e
    } else if let Some(quinn::WriteError::ConnectionLost(e)) = error.downcast_ref() {
        e
    } else if let Some(quinn::StoppedError::ConnectionLost(e)) = error.downcast_ref() {
        e
    } else {
        return None;
    };
    tls_failure(lost)
}

/// A bound QUIC endpoint accepting connections.
#[derive(Debug)]
pub(crate) struct QuicListener {
    endpoint: quinn::Endpoint,
}

impl QuicListener {
    /// Binds a UDP socket at `address` and accepts QUIC connections with the listener's TLS
    /// and QUIC settings; returns the address actually bound.
    pub(crate) fn bind(
        address: &Address,
        config: &ListenerConfig,
    ) -> Result<(QuicListener, Address), TransportError> {
        let tls = config.tls.as_ref().ok_or_else(|| {
            TransportError::Config(format!(
                "{address}: a QUIC listener needs ListenerConfig::builder().tls(..)"
            ))
        })?;
        let quic = &config.quic;
        let mut crypto = (**tls.rustls_config()).clone();
        crypto.alpn_protocols = quic.alpn_protocols.clone();
        // QUIC allows only "no early data" or "unlimited" (RFC 9001, 4.6.1).
        crypto.max_early_data_size = if quic.zero_rtt { u32::MAX } else { 0 };
        let crypto = QuicServerConfig::try_from(Arc::new(crypto)).map_err(|e| {
            TransportError::Config(format!(
                "{address}: the TLS configuration cannot be used for QUIC: {e}"
            ))
        })?;
        let mut server = quinn::ServerConfig::with_crypto(Arc::new(crypto));
        server.transport_config(quic.transport_config()?);
        let socket_address = address
            .host_port()
            .to_socket_addrs()
            .map_err(|e| TransportError::io(address, Phase::Bind, e))?
            .next()
            .ok_or_else(|| TransportError::NoAddress {
                address: address.to_string(),
            })?;
        let endpoint = quinn::Endpoint::server(server, socket_address)
            .map_err(|e| TransportError::io(address, Phase::Bind, e))?;
        let bound = endpoint
            .local_addr()
            .map_err(|e| TransportError::io(address, Phase::Bind, e))?;
        Ok((
            QuicListener { endpoint },
            Address::from_socket_addr(Scheme::Quic, bound),
        ))
    }

    /// Waits for the next connection attempt; the handshake runs in
    /// [`QuicIncoming::establish`].
    pub(crate) async fn accept(&self, local: &Address) -> Result<QuicIncoming, TransportError> {
        let incoming = self
            .endpoint
            .accept()
            .await
            .ok_or_else(|| protocol(local, Phase::Accept, "the QUIC endpoint is closed"))?;
        Ok(QuicIncoming {
            peer: Address::from_socket_addr(Scheme::Quic, incoming.remote_address()),
            incoming: Box::new(incoming),
            local: local.clone(),
        })
    }
}

impl Drop for QuicListener {
    // Connections already accepted live on; new ones are refused rather than left unanswered
    // until their handshake times out.
    fn drop(&mut self) {
        self.endpoint.set_server_config(None);
    }
}

/// A QUIC connection attempt, before its handshake.
pub(crate) struct QuicIncoming {
    // Boxed: quinn's Incoming is large, and Listener::accept moves it around.
    incoming: Box<quinn::Incoming>,
    peer: Address,
    local: Address,
}

impl fmt::Debug for QuicIncoming {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("QuicIncoming")
            .field("peer", &self.peer)
            .field("local", &self.local)
            .finish()
    }
}

impl QuicIncoming {
    pub(crate) fn peer_address(&self) -> Address {
        self.peer.clone()
    }

    /// Runs the handshake within the handshake timeout. The client's stream is accepted when
    /// its first bytes arrive (see the module documentation).
    pub(crate) async fn establish(
        self,
        config: &ListenerConfig,
    ) -> Result<MqttConnection, TransportError> {
        let QuicIncoming {
            incoming,
            peer,
            local,
        } = self;
        let idle = config.quic.idle_timeout;
        let deadline = Deadline::new(config.handshake_timeout, &peer);
        let connection = deadline
            .run(Phase::QuicHandshake, async {
                let lost = |e| connection_error(&peer, Phase::QuicHandshake, e, idle);
                incoming.accept().map_err(lost)?.await.map_err(lost)
            })
            .await?;
        let info = PeerInfo::new(peer, Some(local))
            .with_tls(peer_certificates(&connection), alpn(&connection));
        Ok(MqttConnection::new(
            Box::new(QuicStream::accept(connection)),
            info,
            &config.settings,
        ))
    }
}

/// One direction of the stream: open, awaited from the accepting task, or failed.
enum Half<T> {
    Open(T),
    Waiting(oneshot::Receiver<Result<T, ConnectionError>>),
    Failed(ConnectionError),
}

impl<T> Half<T> {
    fn poll_open(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<&mut T>> {
        if let Half::Waiting(rx) = self {
            *self = match ready!(Pin::new(rx).poll(cx)) {
                Ok(Ok(stream)) => Half::Open(stream),
                Ok(Err(e)) => Half::Failed(e),
                // The accepting task ends only by sending, or when this stream is dropped.
                Err(_) => Half::Failed(ConnectionError::LocallyClosed),
            };
        }
        Poll::Ready(match self {
            Half::Open(stream) => Ok(stream),
            Half::Failed(e) => Err(io::Error::new(io::ErrorKind::NotConnected, e.clone())),
            Half::Waiting(_) => Err(io::Error::other("QUIC stream is still being accepted")),
        })
    }
}

type Stopped = Pin<Box<dyn Future<Output = Result<Option<VarInt>, quinn::StoppedError>> + Send>>;

enum Shutdown {
    NotStarted,
    Finishing(Stopped),
    Done,
}

/// A QUIC bidirectional stream as one byte stream.
///
/// On the server the two halves arrive from a task waiting for the client's stream, each over
/// its own channel, so a reading and a writing task (after `into_split`) are both woken.
struct QuicStream {
    send: Half<SendStream>,
    recv: Half<RecvStream>,
    shutdown: Shutdown,
    accepting: Option<tokio::task::AbortHandle>,
}

impl QuicStream {
    fn open(send: SendStream, recv: RecvStream) -> Self {
        QuicStream {
            send: Half::Open(send),
            recv: Half::Open(recv),
            shutdown: Shutdown::NotStarted,
            accepting: None,
        }
    }

    fn accept(connection: quinn::Connection) -> Self {
        let (send_tx, send_rx) = oneshot::channel();
        let (recv_tx, recv_rx) = oneshot::channel();
        let task = tokio::spawn(async move {
            // A receiver gone means the stream was dropped: nothing is waiting any more.
            match connection.accept_bi().await {
                Ok((send, recv)) => {
                    let _ = send_tx.send(Ok(send));
                    let _ = recv_tx.send(Ok(recv));
                }
                Err(e) => {
                    let _ = send_tx.send(Err(e.clone()));
                    let _ = recv_tx.send(Err(e));
                }
            }
        });
        QuicStream {
            send: Half::Waiting(send_rx),
            recv: Half::Waiting(recv_rx),
            shutdown: Shutdown::NotStarted,
            accepting: Some(task.abort_handle()),
        }
    }
}

impl Drop for QuicStream {
    fn drop(&mut self) {
        // The accepting task holds the connection open; without it the connection closes once
        // the streams are gone.
        if let Some(task) = &self.accepting {
            task.abort();
        }
    }
}

impl AsyncRead for QuicStream {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let recv = ready!(self.get_mut().recv.poll_open(cx))?;
        Pin::new(recv).poll_read(cx, buf)
    }
}

impl AsyncWrite for QuicStream {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        let send = ready!(self.get_mut().send.poll_open(cx))?;
        AsyncWrite::poll_write(Pin::new(send), cx, buf)
    }

    fn poll_flush(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        // quinn sends written data without being asked; there is no buffer to flush here.
        Poll::Ready(Ok(()))
    }

    /// Finishes the stream and waits until the peer has acknowledged all data, so that
    /// dropping the connection afterwards (which closes it at once) loses nothing.
    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        loop {
            match &mut this.shutdown {
                Shutdown::NotStarted => {
                    let send = ready!(this.send.poll_open(cx))?;
                    // An error means finished or reset already: nothing more to finish.
                    let _ = send.finish();
                    this.shutdown = Shutdown::Finishing(Box::pin(send.stopped()));
                }
                Shutdown::Finishing(stopped) => {
                    let result = ready!(stopped.as_mut().poll(cx));
                    this.shutdown = Shutdown::Done;
                    return Poll::Ready(match result {
                        // Acknowledged, or the peer stopped reading: either way, done.
                        Ok(_) => Ok(()),
                        // The peer closed the connection after reading, or we did.
                        Err(quinn::StoppedError::ConnectionLost(
                            ConnectionError::ApplicationClosed(close),
                        )) if close.error_code == VarInt::from_u32(0) => Ok(()),
                        Err(quinn::StoppedError::ConnectionLost(
                            ConnectionError::LocallyClosed,
                        )) => Ok(()),
                        Err(e) => Err(e.into()),
                    });
                }
                Shutdown::Done => return Poll::Ready(Ok(())),
            }
        }
    }
}
