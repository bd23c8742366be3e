//! `FaultProxy`: a TCP proxy between a client and a broker that delays, throttles, drops,
//! blackholes and corrupts traffic on command.

mod connection;
mod faults;

use std::future::pending;
use std::io;
use std::net::{Ipv4Addr, SocketAddr};
use std::sync::Arc;
use std::time::Duration;

use tokio::net::{TcpListener, TcpStream, ToSocketAddrs};
use tokio::task::{JoinHandle, JoinSet};

pub use faults::{Direction, FaultHandle, ProxyStats};

use crate::FaultProxyError;
use faults::Shared;

/// How long the proxy waits before binding its address again when it cannot (after
/// [`FaultHandle::refuse_connections`]`(false)`), or before accepting again after an error.
const RETRY: Duration = Duration::from_millis(20);

/// A fault-injecting TCP proxy for tests: it listens on `127.0.0.1` (a free port), forwards
/// each connection to an upstream address, and applies faults that a [`FaultHandle`] changes
/// at run time, per direction ([`Direction::ClientToBroker`], [`Direction::BrokerToClient`]):
///
/// | fault | effect |
/// | --- | --- |
/// | [`delay`](FaultHandle::delay) | each chunk waits before it is forwarded |
/// | [`throttle`](FaultHandle::throttle) | at most so many bytes per second |
/// | [`drop_after`](FaultHandle::drop_after) | both sides closed after N more bytes |
/// | [`drop_now`](FaultHandle::drop_now) | every open connection closed at once |
/// | [`blackhole`](FaultHandle::blackhole) | nothing forwarded, sockets kept open (a dead link) |
/// | [`corrupt_byte`](FaultHandle::corrupt_byte) | the byte at a stream offset flipped |
/// | [`refuse_connections`](FaultHandle::refuse_connections) | connection attempts refused |
/// | [`reset`](FaultHandle::reset) | back to a transparent proxy |
///
/// Faults apply to open connections and to new ones. [`FaultHandle::stats`] counts the bytes
/// forwarded each way and the connections accepted. Dropping the proxy, or
/// [`FaultProxy::shutdown`], closes the listener and every connection.
///
/// ```no_run
/// use std::time::Duration;
/// use flowsdk_testing::{Direction, FaultProxy, RawTestClient};
/// use flowsdk_transport::TransportConfig;
///
/// # async fn run() -> Result<(), Box<dyn std::error::Error>> {
/// let proxy = FaultProxy::start("127.0.0.1:1883").await?;
/// let mut client =
///     RawTestClient::connect(proxy.addr().to_string(), TransportConfig::default()).await?;
/// client.connect_v5("through-the-proxy").await?;
///
/// let faults = proxy.handle();
/// faults.delay(Direction::BrokerToClient, Duration::from_millis(500));
/// faults.blackhole(); // the link goes dead; the client's socket stays open
/// assert!(client.recv(Duration::from_secs(1)).await.unwrap_err().is_timeout());
/// faults.reset();
/// proxy.shutdown().await;
/// # Ok(()) }
/// ```
#[derive(Debug)]
pub struct FaultProxy {
    addr: SocketAddr,
    upstream: SocketAddr,
    handle: FaultHandle,
    task: Option<JoinHandle<()>>,
}

impl FaultProxy {
    /// Listens on `127.0.0.1:0` and forwards every connection to `upstream` (resolved once,
    /// now; its first address is used).
    ///
    /// # Errors
    /// [`FaultProxyError::Resolve`] when `upstream` does not resolve to an address,
    /// [`FaultProxyError::Bind`] when the listening socket cannot be opened.
    pub async fn start(upstream: impl ToSocketAddrs) -> Result<FaultProxy, FaultProxyError> {
        let upstream = tokio::net::lookup_host(upstream)
            .await
            .map_err(|source| FaultProxyError::Resolve { source })?
            .next()
            .ok_or_else(|| FaultProxyError::Resolve {
                source: io::Error::new(io::ErrorKind::NotFound, "no address"),
            })?;
        let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, 0))
            .await
            .map_err(|source| FaultProxyError::Bind { source })?;
        let addr = listener
            .local_addr()
            .map_err(|source| FaultProxyError::Bind { source })?;
        let shared = Arc::new(Shared::new());
        let task = tokio::spawn(accept_loop(listener, addr, upstream, Arc::clone(&shared)));
        Ok(FaultProxy {
            addr,
            upstream,
            handle: FaultHandle { shared },
            task: Some(task),
        })
    }

    /// The address clients connect to (`127.0.0.1:port`).
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// The address connections are forwarded to.
    pub fn upstream(&self) -> SocketAddr {
        self.upstream
    }

    /// A handle to change the faults, from any task; it outlives the proxy harmlessly.
    pub fn handle(&self) -> FaultHandle {
        self.handle.clone()
    }

    /// The traffic counters so far (as [`FaultHandle::stats`]).
    pub fn stats(&self) -> ProxyStats {
        self.handle.stats()
    }

    /// Stops listening, closes every connection, and waits until all of it is done.
    pub async fn shutdown(mut self) {
        self.handle.shared.faults.send_modify(|f| f.shutdown = true);
        if let Some(task) = self.task.take() {
            // The accept loop ends on its own at the shutdown flag; a panic in it has nothing
            // left to clean up.
            let _ = task.await;
        }
    }
}

impl Drop for FaultProxy {
    fn drop(&mut self) {
        self.handle.shared.faults.send_modify(|f| f.shutdown = true);
        if let Some(task) = self.task.take() {
            // Aborting the accept loop drops its JoinSet, which aborts every connection.
            task.abort();
        }
    }
}

/// Accepts connections (unless refusing), and runs each in `connections` until shutdown.
async fn accept_loop(
    listener: TcpListener,
    addr: SocketAddr,
    upstream: SocketAddr,
    shared: Arc<Shared>,
) {
    let mut faults = shared.faults.subscribe();
    let mut listener = Some(listener);
    let mut connections = JoinSet::new();
    loop {
        let (refuse, shutdown) = {
            let f = faults.borrow_and_update();
            (f.refuse, f.shutdown)
        };
        if shutdown {
            break;
        }
        if refuse {
            listener = None;
        } else if listener.is_none() {
            match TcpListener::bind(addr).await {
                Ok(bound) => listener = Some(bound),
                Err(_) => {
                    tokio::select! {
                        _ = tokio::time::sleep(RETRY) => {}
                        changed = faults.changed() => if changed.is_err() { break },
                    }
                    continue;
                }
            }
        }
        tokio::select! {
            accepted = accept(listener.as_ref()) => match accepted {
                Ok(client) => {
                    shared.counters.accepted();
                    connections.spawn(connection::run(client, upstream, Arc::clone(&shared)));
                }
                // E.g. out of file descriptors: try again shortly rather than spin.
                Err(_) => tokio::time::sleep(RETRY).await,
            },
            changed = faults.changed() => if changed.is_err() { break },
            Some(_) = connections.join_next(), if !connections.is_empty() => {}
        }
    }
    drop(listener);
    connections.shutdown().await;
}

async fn accept(listener: Option<&TcpListener>) -> io::Result<TcpStream> {
    match listener {
        Some(listener) => listener.accept().await.map(|(stream, _)| stream),
        None => pending().await,
    }
}
