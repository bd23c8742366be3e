//! `Transport`: the dialing side.

use std::sync::Arc;
use std::time::Duration;

use tokio::net::TcpStream;
use tokio::time::Instant;

use crate::connection::{BoxStream, MqttConnection, PeerInfo};
use crate::{Address, IntoAddress, Phase, Scheme, TransportConfig, TransportError};

/// One deadline for the whole of establishing a connection; the error names the phase that was
/// in progress when it passed.
#[derive(Debug)]
pub(crate) struct Deadline {
    at: Option<Instant>,
    limit: Option<Duration>,
    address: String,
}

impl Deadline {
    pub(crate) fn new(limit: Option<Duration>, address: &Address) -> Self {
        Deadline {
            at: limit.map(|l| Instant::now() + l),
            limit,
            address: address.to_string(),
        }
    }

    /// Runs one phase of connection set-up before the deadline.
    pub(crate) async fn run<T>(
        &self,
        phase: Phase,
        fut: impl std::future::Future<Output = Result<T, TransportError>>,
    ) -> Result<T, TransportError> {
        match (self.at, self.limit) {
            (Some(at), Some(after)) => match tokio::time::timeout_at(at, fut).await {
                Ok(result) => result,
                Err(_) => Err(TransportError::Timeout {
                    address: self.address.clone(),
                    phase,
                    after,
                }),
            },
            _ => fut.await,
        }
    }
}

/// Dials MQTT connections over any transport this build includes.
///
/// Cheap to clone; clones share the configuration.
///
/// ```no_run
/// use flowsdk_transport::{Transport, TransportConfig};
/// # async fn run() -> Result<(), flowsdk_transport::TransportError> {
/// let transport = Transport::new(TransportConfig::default());
/// let mut conn = transport.connect("mqtt://127.0.0.1:1883").await?;
/// # Ok(()) }
/// ```
#[derive(Clone, Debug, Default)]
pub struct Transport {
    config: Arc<TransportConfig>,
}

impl Transport {
    /// A transport with `config`.
    pub fn new(config: TransportConfig) -> Self {
        Transport {
            config: Arc::new(config),
        }
    }

    /// The configuration.
    pub fn config(&self) -> &TransportConfig {
        &self.config
    }

    /// Connects to `address` (see [`Address`] for the forms accepted) and returns the
    /// established connection, all within the connect timeout.
    ///
    /// # Errors
    /// [`TransportError::InvalidAddress`], [`TransportError::FeatureDisabled`] for a scheme this
    /// build lacks, [`TransportError::Timeout`] naming the phase in progress, or the phase's
    /// own failure ([`TransportError::Io`], [`TransportError::Tls`], [`TransportError::Protocol`]).
    pub async fn connect<A>(&self, address: A) -> Result<MqttConnection, TransportError>
    where
        A: IntoAddress,
    {
        let address = address.into_address()?;
        require_features(&address)?;
        let config = &*self.config;
        let deadline = Deadline::new(config.connect_timeout, &address);
        match address.scheme() {
            Scheme::Tcp => {
                let tcp = tcp_connect(&address, &deadline, config.tcp_nodelay).await?;
                let peer = PeerInfo::new(address.clone(), local_of(&tcp));
                Ok(MqttConnection::new(Box::new(tcp), peer, &config.settings))
            }
            Scheme::Unix => unix_connect(&address, &deadline, config).await,
            Scheme::Tls | Scheme::Ws | Scheme::Wss => {
                stacked_connect(address, &deadline, config).await
            }
            Scheme::Quic => quic_connect(address, &deadline, config).await,
        }
    }
}

/// Connects to `address` with the default configuration.
///
/// # Errors
/// As [`Transport::connect`].
pub async fn connect<A>(address: A) -> Result<MqttConnection, TransportError>
where
    A: IntoAddress,
{
    Transport::default().connect(address).await
}

fn local_of(tcp: &TcpStream) -> Option<Address> {
    tcp.local_addr().ok().map(Address::tcp)
}

/// Resolves `address` and connects to the first resolved address that answers.
pub(crate) async fn tcp_connect(
    address: &Address,
    deadline: &Deadline,
    nodelay: bool,
) -> Result<TcpStream, TransportError> {
    let host_port = address.host_port();
    let resolved: Vec<std::net::SocketAddr> = deadline
        .run(Phase::Dns, async {
            tokio::net::lookup_host(&host_port)
                .await
                .map(Iterator::collect)
                .map_err(|e| TransportError::io(address, Phase::Dns, e))
        })
        .await?;
    let mut last = None;
    for addr in resolved {
        match deadline
            .run(Phase::TcpConnect, async {
                TcpStream::connect(addr)
                    .await
                    .map_err(|e| TransportError::io(address, Phase::TcpConnect, e))
            })
            .await
        {
            Ok(tcp) => {
                tcp.set_nodelay(nodelay)
                    .map_err(|e| TransportError::io(address, Phase::TcpConnect, e))?;
                return Ok(tcp);
            }
            Err(e @ TransportError::Timeout { .. }) => return Err(e),
            Err(e) => last = Some(e),
        }
    }
    Err(last.unwrap_or_else(|| TransportError::NoAddress {
        address: address.to_string(),
    }))
}

#[cfg(unix)]
async fn unix_connect(
    address: &Address,
    deadline: &Deadline,
    config: &TransportConfig,
) -> Result<MqttConnection, TransportError> {
    let stream = deadline
        .run(Phase::TcpConnect, async {
            tokio::net::UnixStream::connect(address.path())
                .await
                .map_err(|e| TransportError::io(address, Phase::TcpConnect, e))
        })
        .await?;
    let peer = PeerInfo::new(address.clone(), None);
    Ok(MqttConnection::new(
        Box::new(stream),
        peer,
        &config.settings,
    ))
}

#[cfg(not(unix))]
async fn unix_connect(
    address: &Address,
    _deadline: &Deadline,
    _config: &TransportConfig,
) -> Result<MqttConnection, TransportError> {
    Err(TransportError::InvalidAddress {
        address: address.to_string(),
        reason: "Unix domain sockets are not available on this platform",
    })
}

/// TCP, then TLS for `mqtts`/`wss`, then the WebSocket upgrade for `ws`/`wss`.
async fn stacked_connect(
    address: Address,
    deadline: &Deadline,
    config: &TransportConfig,
) -> Result<MqttConnection, TransportError> {
    let scheme = address.scheme();
    let tcp = tcp_connect(&address, deadline, config.tcp_nodelay).await?;
    #[allow(unused_mut)] // changed only by the tls and ws layers
    let mut peer = PeerInfo::new(address.clone(), local_of(&tcp));
    #[allow(unused_mut)]
    let mut stream: BoxStream = Box::new(tcp);
    if matches!(scheme, Scheme::Tls | Scheme::Wss) {
        #[cfg(feature = "tls")]
        {
            let (tls, certificates, alpn) =
                crate::tls::connect_stream(stream, &address, config, deadline).await?;
            stream = tls;
            peer = peer.with_tls(certificates, alpn);
        }
    }
    if matches!(scheme, Scheme::Ws | Scheme::Wss) {
        #[cfg(feature = "ws")]
        {
            stream = deadline
                .run(
                    Phase::WebSocketUpgrade,
                    crate::ws::client_handshake(stream, &address, &config.ws),
                )
                .await?;
        }
    }
    Ok(MqttConnection::new(stream, peer, &config.settings))
}

#[cfg(feature = "quic")]
async fn quic_connect(
    address: Address,
    deadline: &Deadline,
    config: &TransportConfig,
) -> Result<MqttConnection, TransportError> {
    crate::quic::connect(address, deadline, config).await
}

#[cfg(not(feature = "quic"))]
async fn quic_connect(
    address: Address,
    _deadline: &Deadline,
    _config: &TransportConfig,
) -> Result<MqttConnection, TransportError> {
    require_features(&address)
        .map(|()| unreachable!("require_features refuses quic:// without the quic feature"))
}

/// Refuses, before any I/O, an address whose transport this build does not include.
pub(crate) fn require_features(address: &Address) -> Result<(), TransportError> {
    let missing = match address.scheme() {
        Scheme::Tls if !cfg!(feature = "tls") => "tls",
        Scheme::Wss if !cfg!(feature = "tls") => "tls",
        Scheme::Ws | Scheme::Wss if !cfg!(feature = "ws") => "ws",
        Scheme::Quic if !cfg!(feature = "quic") => "quic",
        _ => return Ok(()),
    };
    Err(TransportError::FeatureDisabled {
        address: address.to_string(),
        scheme: address.scheme().as_str(),
        feature: missing,
    })
}
