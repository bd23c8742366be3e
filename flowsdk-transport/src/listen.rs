//! `Listener`: the accepting side.

use std::sync::Arc;

use tokio::net::{TcpListener, TcpStream};

use crate::connection::{BoxStream, MqttConnection, PeerInfo};
use crate::dial::Deadline;
use crate::{Address, IntoAddress, ListenerConfig, Phase, Scheme, TransportError};

/// Accepts MQTT connections on one address.
///
/// [`Listener::accept`] returns as soon as a connection arrives; the TLS, QUIC or WebSocket
/// handshake runs in [`Incoming::establish`], so a server can spawn it and go on accepting:
///
/// ```
/// use flowsdk_transport::{Listener, ListenerConfig};
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), flowsdk_transport::TransportError> {
/// let listener = Listener::bind("127.0.0.1:0", ListenerConfig::default()).await?;
/// let address = listener.local_address().clone(); // the port the system chose
/// tokio::spawn(async move {
///     while let Ok(incoming) = listener.accept().await {
///         tokio::spawn(async move {
///             let mut conn = incoming.establish().await?;
///             while let Some(packet) = conn.read_packet().await? {
///                 println!("{packet:?}");
///             }
///             Ok::<_, flowsdk_transport::TransportError>(())
///         });
///     }
/// });
/// let mut client = flowsdk_transport::connect(address).await?;
/// client.send(&flowsdk_codec::Packet::PingReq).await?;
/// # Ok(()) }
/// ```
#[derive(Debug)]
pub struct Listener {
    inner: ListenerInner,
    local: Address,
    config: Arc<ListenerConfig>,
}

/// What an accepted TCP connection goes through before it carries MQTT.
#[derive(Clone, Debug, Default)]
struct Layers {
    #[cfg(feature = "tls")]
    tls: Option<crate::tls::TlsAcceptor>,
    #[cfg(feature = "ws")]
    ws: bool,
}

#[derive(Debug)]
enum ListenerInner {
    Tcp(TcpListener, Layers),
    #[cfg(unix)]
    // The file is held for its Drop, which removes the socket path.
    Unix(tokio::net::UnixListener, #[allow(dead_code)] UnixSocketFile),
    #[cfg(feature = "quic")]
    Quic(crate::quic::QuicListener),
}

/// Removes the socket file when the listener goes away.
#[cfg(unix)]
#[derive(Debug)]
struct UnixSocketFile(std::path::PathBuf);

#[cfg(unix)]
impl Drop for UnixSocketFile {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.0);
    }
}

impl Listener {
    /// Binds `address`. Port 0 asks the system for a free port; [`Listener::local_address`]
    /// tells which. `mqtts://`, `wss://` and `quic://` need TLS settings in `config`.
    ///
    /// # Errors
    /// [`TransportError::InvalidAddress`], [`TransportError::FeatureDisabled`],
    /// [`TransportError::Config`] (e.g. TLS settings missing), [`TransportError::Io`] in phase
    /// `Bind`.
    pub async fn bind<A>(address: A, config: ListenerConfig) -> Result<Listener, TransportError>
    where
        A: IntoAddress,
    {
        let address = address.into_address()?;
        crate::dial::require_features(&address)?;
        // A WebSocket listener serves one request path; make the address it reports name it.
        #[cfg(feature = "ws")]
        let (config, address) = if matches!(address.scheme(), Scheme::Ws | Scheme::Wss) {
            crate::ws::resolve_listener_path(config, address)
        } else {
            (config, address)
        };
        let config = Arc::new(config);
        let scheme = address.scheme();
        let (inner, local) = match scheme {
            Scheme::Unix => bind_unix(&address)?,
            Scheme::Quic => bind_quic(&address, &config)?,
            Scheme::Tcp | Scheme::Tls | Scheme::Ws | Scheme::Wss => {
                #[allow(unused_mut)]
                let mut layers = Layers::default();
                if matches!(scheme, Scheme::Tls | Scheme::Wss) {
                    #[cfg(feature = "tls")]
                    {
                        let tls = config.tls.as_ref().ok_or_else(|| {
                            TransportError::Config(format!(
                                "{address}: a TLS listener needs ListenerConfig::builder().tls(..)"
                            ))
                        })?;
                        layers.tls = Some(crate::tls::TlsAcceptor::new(tls)?);
                    }
                }
                if matches!(scheme, Scheme::Ws | Scheme::Wss) {
                    #[cfg(feature = "ws")]
                    {
                        layers.ws = true;
                    }
                }
                let tcp = TcpListener::bind(address.host_port())
                    .await
                    .map_err(|e| TransportError::io(&address, Phase::Bind, e))?;
                let bound = tcp
                    .local_addr()
                    .map_err(|e| TransportError::io(&address, Phase::Bind, e))?;
                let local =
                    Address::new(scheme, bound.ip().to_string(), bound.port(), address.path());
                (ListenerInner::Tcp(tcp, layers), local)
            }
        };
        Ok(Listener {
            inner,
            local,
            config,
        })
    }

    /// The address actually bound, with the port the system chose for port 0. Dial it to reach
    /// this listener.
    pub fn local_address(&self) -> &Address {
        &self.local
    }

    /// Waits for the next connection. The handshake is not done yet: call
    /// [`Incoming::establish`] (in a spawned task, so one slow peer does not hold up the rest).
    ///
    /// # Errors
    /// [`TransportError::Io`] in phase `Accept` (e.g. out of file descriptors).
    pub async fn accept(&self) -> Result<Incoming, TransportError> {
        let config = self.config.clone();
        let inner = match &self.inner {
            ListenerInner::Tcp(tcp, layers) => {
                let (stream, remote) = tcp
                    .accept()
                    .await
                    .map_err(|e| TransportError::io(&self.local, Phase::Accept, e))?;
                let peer = Address::from_socket_addr(self.local.scheme(), remote);
                IncomingInner::Tcp {
                    stream,
                    peer,
                    layers: layers.clone(),
                }
            }
            #[cfg(unix)]
            ListenerInner::Unix(unix, _) => {
                let (stream, _) = unix
                    .accept()
                    .await
                    .map_err(|e| TransportError::io(&self.local, Phase::Accept, e))?;
                IncomingInner::Unix {
                    stream,
                    peer: self.local.clone(),
                }
            }
            #[cfg(feature = "quic")]
            ListenerInner::Quic(quic) => IncomingInner::Quic(quic.accept(&self.local).await?),
        };
        Ok(Incoming {
            inner,
            local: self.local.clone(),
            config,
        })
    }
}

#[cfg(unix)]
fn bind_unix(address: &Address) -> Result<(ListenerInner, Address), TransportError> {
    let path = std::path::PathBuf::from(address.path());
    let unix = tokio::net::UnixListener::bind(&path)
        .map_err(|e| TransportError::io(address, Phase::Bind, e))?;
    Ok((
        ListenerInner::Unix(unix, UnixSocketFile(path)),
        address.clone(),
    ))
}

#[cfg(not(unix))]
fn bind_unix(address: &Address) -> Result<(ListenerInner, Address), TransportError> {
    Err(TransportError::InvalidAddress {
        address: address.to_string(),
        reason: "Unix domain sockets are not available on this platform",
    })
}

#[cfg(feature = "quic")]
fn bind_quic(
    address: &Address,
    config: &ListenerConfig,
) -> Result<(ListenerInner, Address), TransportError> {
    let (listener, local) = crate::quic::QuicListener::bind(address, config)?;
    Ok((ListenerInner::Quic(listener), local))
}

#[cfg(not(feature = "quic"))]
fn bind_quic(
    address: &Address,
    _config: &ListenerConfig,
) -> Result<(ListenerInner, Address), TransportError> {
    crate::dial::require_features(address)
        .map(|()| unreachable!("require_features refuses quic:// without the quic feature"))
}

/// A connection accepted by a [`Listener`], before its handshake.
#[derive(Debug)]
pub struct Incoming {
    inner: IncomingInner,
    local: Address,
    config: Arc<ListenerConfig>,
}

#[derive(Debug)]
enum IncomingInner {
    Tcp {
        stream: TcpStream,
        peer: Address,
        layers: Layers,
    },
    #[cfg(unix)]
    Unix {
        stream: tokio::net::UnixStream,
        peer: Address,
    },
    #[cfg(feature = "quic")]
    Quic(crate::quic::QuicIncoming),
}

impl Incoming {
    /// The remote address (for Unix sockets, the listener's path).
    pub fn peer_address(&self) -> Address {
        match &self.inner {
            IncomingInner::Tcp { peer, .. } => peer.clone(),
            #[cfg(unix)]
            IncomingInner::Unix { peer, .. } => peer.clone(),
            #[cfg(feature = "quic")]
            IncomingInner::Quic(q) => q.peer_address(),
        }
    }

    /// Runs the handshake (TLS, QUIC, WebSocket upgrade) within the listener's handshake
    /// timeout and returns the connection.
    ///
    /// # Errors
    /// [`TransportError::Timeout`] naming the phase, or the phase's failure: for example
    /// [`TransportError::Tls`] when an mTLS client presents no or an untrusted certificate.
    pub async fn establish(self) -> Result<MqttConnection, TransportError> {
        let config = &*self.config;
        match self.inner {
            IncomingInner::Tcp {
                stream,
                peer,
                layers,
            } => {
                stream
                    .set_nodelay(config.tcp_nodelay)
                    .map_err(|e| TransportError::io(&peer, Phase::Accept, e))?;
                let deadline = Deadline::new(config.handshake_timeout, &peer);
                #[allow(unused_mut)]
                let mut info = PeerInfo::new(peer.clone(), Some(self.local.clone()));
                #[allow(unused_mut)]
                let mut io: BoxStream = Box::new(stream);
                #[cfg(feature = "tls")]
                if let Some(tls) = &layers.tls {
                    let (stream, certificates, alpn) = deadline
                        .run(Phase::TlsHandshake, tls.accept(io, &peer))
                        .await?;
                    io = stream;
                    info = info.with_tls(certificates, alpn);
                }
                #[cfg(feature = "ws")]
                if layers.ws {
                    io = deadline
                        .run(
                            Phase::WebSocketUpgrade,
                            crate::ws::server_handshake(io, &peer, &config.ws),
                        )
                        .await?;
                }
                let _ = (&layers, &deadline);
                Ok(MqttConnection::new(io, info, &config.settings))
            }
            #[cfg(unix)]
            IncomingInner::Unix { stream, peer } => {
                let info = PeerInfo::new(peer, Some(self.local.clone()));
                Ok(MqttConnection::new(
                    Box::new(stream),
                    info,
                    &config.settings,
                ))
            }
            #[cfg(feature = "quic")]
            IncomingInner::Quic(q) => q.establish(config).await,
        }
    }
}
