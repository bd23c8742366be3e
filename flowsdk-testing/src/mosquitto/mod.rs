//! `Mosquitto`: a real broker process for a test, on free ports of 127.0.0.1.

mod builder;
mod config;

use std::fs::{File, OpenOptions};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use tokio::time::Instant;

pub use builder::MosquittoBuilder;
use config::{find_binary, ConfigPlan, Ports, TlsFiles};

use crate::{MosquittoError, Pki};

/// Attempts of a first start, each on fresh ports.
const START_ATTEMPTS: usize = 3;

/// How long [`Mosquitto::restart`] keeps trying to bind the same ports at least (a port may
/// linger after the old process dies).
const MIN_RESTART_WINDOW: Duration = Duration::from_secs(5);

/// How often readiness is polled.
const POLL: Duration = Duration::from_millis(20);

/// How long [`Mosquitto::stop`] waits for a graceful exit before killing.
const STOP_GRACE: Duration = Duration::from_secs(5);

/// A Mosquitto broker process started for a test, with its own directory (configuration,
/// certificates, log, persistence) under the system's temporary directory.
///
/// Listeners bind 127.0.0.1 on ports picked free at start and kept for the broker's life, so
/// [`Mosquitto::restart`] comes back on the same addresses (what reconnect tests need). On drop
/// the process is killed and the directory removed.
///
/// ```
/// use flowsdk_codec::ReasonCode;
/// use flowsdk_testing::{Mosquitto, RawTestClient};
/// use flowsdk_transport::TransportConfig;
///
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
/// let Some(broker) = Mosquitto::builder()
///     .config_line("max_inflight_messages 1000")
///     .start()
///     .await?
/// else {
///     return Ok(()); // mosquitto is not installed: skipped
/// };
/// let mut client = RawTestClient::connect(broker.tcp_address(), TransportConfig::default()).await?;
/// assert_eq!(client.connect_v5("doc-test").await?.reason_code, ReasonCode::Success);
/// # Ok(()) }
/// ```
#[derive(Debug)]
pub struct Mosquitto {
    binary: PathBuf,
    child: Option<Child>,
    dir: PathBuf,
    config_path: PathBuf,
    log_path: PathBuf,
    ports: Ports,
    pki: Option<Pki>,
    require_client_certificate: bool,
    websockets_requested: bool,
    startup_timeout: Duration,
}

impl Drop for Mosquitto {
    fn drop(&mut self) {
        self.kill();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// What a failed attempt to bring the broker up tells us.
struct NotReady {
    reason: String,
    exited: bool,
}

fn io_error(action: &'static str, path: &Path) -> impl FnOnce(std::io::Error) -> MosquittoError {
    let path = path.to_path_buf();
    move |source| MosquittoError::Io {
        action,
        path,
        source,
    }
}

impl Mosquitto {
    /// A builder for a broker with a TCP listener and the options you choose.
    pub fn builder() -> MosquittoBuilder {
        MosquittoBuilder::default()
    }

    /// `true` when a `mosquitto` binary is at `/usr/sbin/mosquitto` or on `PATH`.
    pub fn is_installed() -> bool {
        find_binary().is_some()
    }

    /// The `mosquitto` binary the launcher would run, if installed.
    pub fn binary() -> Option<PathBuf> {
        find_binary()
    }

    async fn launch(options: MosquittoBuilder) -> Result<Option<Mosquitto>, MosquittoError> {
        let Some(binary) = find_binary() else {
            println!("skipped: mosquitto not installed");
            return Ok(None);
        };
        let mut websockets = options.websockets;
        let mut last = None;
        for _ in 0..START_ATTEMPTS {
            let mut broker = Mosquitto::prepare(&binary, &options, websockets)?;
            match broker.spawn_and_wait(options.startup_timeout).await? {
                Ok(()) => return Ok(Some(broker)),
                Err(not_ready) => {
                    let log = broker.log();
                    // A build without WebSocket support refuses `protocol websockets`: go on
                    // without it; `ws_address` then says the test is skipped.
                    if websockets && log.to_ascii_lowercase().contains("websockets") {
                        websockets = false;
                    }
                    last = Some((not_ready.reason, log));
                }
            }
        }
        let (reason, log) = last.unwrap_or_default();
        Err(MosquittoError::Start {
            attempts: START_ATTEMPTS,
            reason,
            log,
        })
    }

    /// Makes the directory, picks ports, writes certificates and the configuration.
    fn prepare(
        binary: &Path,
        options: &MosquittoBuilder,
        websockets: bool,
    ) -> Result<Mosquitto, MosquittoError> {
        static INSTANCE: AtomicUsize = AtomicUsize::new(0);
        let dir = std::env::temp_dir().join(format!(
            "flowsdk-mosquitto-{}-{}",
            std::process::id(),
            INSTANCE.fetch_add(1, Ordering::Relaxed)
        ));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).map_err(io_error("creating", &dir))?;
        // From here on, drop cleans the directory up even when a later step fails.
        let mut broker = Mosquitto {
            binary: binary.to_path_buf(),
            child: None,
            config_path: dir.join("mosquitto.conf"),
            log_path: dir.join("mosquitto.log"),
            dir,
            ports: Ports::pick(websockets, options.tls)
                .map_err(io_error("picking a port on", Path::new("127.0.0.1")))?,
            pki: None,
            require_client_certificate: options.require_client_certificate,
            websockets_requested: options.websockets,
            startup_timeout: options.startup_timeout,
        };
        if options.persistence {
            // Run as root, mosquitto drops privileges to the `mosquitto` user, which must still
            // be able to write its database here.
            #[cfg(unix)]
            {
                use std::os::unix::fs::PermissionsExt;
                std::fs::set_permissions(&broker.dir, std::fs::Permissions::from_mode(0o777))
                    .map_err(io_error("opening up", &broker.dir))?;
            }
        }
        let tls = if options.tls {
            let pki = Pki::new()?;
            let write = |name: &str, text: &str| -> Result<PathBuf, MosquittoError> {
                let path = broker.dir.join(name);
                std::fs::write(&path, text).map_err(io_error("writing", &path))?;
                Ok(path)
            };
            let files = TlsFiles {
                cafile: write("ca.pem", &pki.ca_pem())?,
                certfile: write("server.pem", pki.server().chain_pem())?,
                keyfile: write("server.key", pki.server().key_pem())?,
                require_certificate: options.require_client_certificate,
            };
            broker.pki = Some(pki);
            Some(files)
        } else {
            None
        };
        let text = ConfigPlan {
            ports: broker.ports,
            tls: tls.as_ref(),
            persistence_dir: options.persistence.then_some(broker.dir.as_path()),
            extra_lines: &options.config_lines,
        }
        .render();
        std::fs::write(&broker.config_path, text)
            .map_err(io_error("writing", &broker.config_path))?;
        Ok(broker)
    }

    /// Runs the binary on the configuration and waits until every port accepts; the inner
    /// error says why it did not come up.
    async fn spawn_and_wait(
        &mut self,
        timeout: Duration,
    ) -> Result<Result<(), NotReady>, MosquittoError> {
        // The log goes to a file we open, so a broker that dropped privileges can still write
        // it; appended, so a restart keeps the earlier runs' lines (skipped when checking).
        let earlier = self.log().len();
        let log = OpenOptions::new()
            .create(true)
            .append(true)
            .open(&self.log_path)
            .map_err(io_error("opening", &self.log_path))?;
        let log_err = log
            .try_clone()
            .map_err(io_error("opening", &self.log_path))?;
        let child = Command::new(&self.binary)
            .arg("-c")
            .arg(&self.config_path)
            .stdin(Stdio::null())
            .stdout(Stdio::from(log))
            .stderr(Stdio::from(log_err))
            .spawn()
            .map_err(io_error("running", &self.binary))?;
        self.child = Some(child);
        let result = self.wait_until_ports_accept(timeout, earlier).await;
        if result.is_err() {
            self.kill();
        }
        Ok(result)
    }

    /// Polls every port until it accepts a TCP connection and the broker's log (after its
    /// first `earlier` bytes, written by earlier runs) says it is running, within `timeout`;
    /// fails early when the process exits or a port was taken.
    async fn wait_until_ports_accept(
        &mut self,
        timeout: Duration,
        earlier: usize,
    ) -> Result<(), NotReady> {
        let deadline = Instant::now() + timeout;
        let ports: Vec<u16> = self.ports.all().collect();
        for port in ports {
            loop {
                if let Some(status) = self.exit_status() {
                    return Err(NotReady {
                        reason: format!("mosquitto exited with {status}"),
                        exited: true,
                    });
                }
                if tokio::net::TcpStream::connect(("127.0.0.1", port))
                    .await
                    .is_ok()
                {
                    break;
                }
                if Instant::now() >= deadline {
                    return Err(NotReady {
                        reason: format!("port {port} did not accept within {timeout:?}"),
                        exited: false,
                    });
                }
                tokio::time::sleep(POLL).await;
            }
        }
        // A port that accepts may belong to another test's broker that took it between our
        // picking it and our broker binding it (ours then fails with "Address already in
        // use"): ready means our own broker says it is running.
        loop {
            if let Some(status) = self.exit_status() {
                return Err(NotReady {
                    reason: format!("mosquitto exited with {status}"),
                    exited: true,
                });
            }
            let log = self.log();
            let ours = log.get(earlier..).unwrap_or_default();
            if ours.contains("Address already in use") {
                // The process is exiting; a restart on the same ports may try again.
                return Err(NotReady {
                    reason: "a port was taken by another process".into(),
                    exited: true,
                });
            }
            if ours.contains(" running") {
                return Ok(());
            }
            if Instant::now() >= deadline {
                return Err(NotReady {
                    reason: format!("mosquitto did not report running within {timeout:?}"),
                    exited: false,
                });
            }
            tokio::time::sleep(POLL).await;
        }
    }

    fn exit_status(&mut self) -> Option<std::process::ExitStatus> {
        self.child
            .as_mut()
            .and_then(|c| c.try_wait().ok().flatten())
    }

    /// `true` while the broker process runs.
    pub fn is_running(&mut self) -> bool {
        self.child.is_some() && self.exit_status().is_none()
    }

    /// The process id, while the broker runs.
    pub fn pid(&self) -> Option<u32> {
        self.child.as_ref().map(Child::id)
    }

    /// Kills the broker abruptly (SIGKILL): connections drop without DISCONNECT and nothing
    /// is saved, like a crash or a power cut. Does nothing when it is not running.
    pub fn kill(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    /// Stops the broker gracefully (SIGTERM, as `kill -TERM`): mosquitto closes its
    /// connections and saves its persistence database. Falls back to [`Mosquitto::kill`] when
    /// it has not exited within 5 s or the signal cannot be sent.
    pub async fn stop(&mut self) {
        let Some(child) = self.child.as_mut() else {
            return;
        };
        let signalled = Command::new("kill")
            .arg("-TERM")
            .arg(child.id().to_string())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .is_ok_and(|s| s.success());
        if signalled {
            let deadline = Instant::now() + STOP_GRACE;
            while Instant::now() < deadline {
                if let Ok(Some(_)) = child.try_wait() {
                    self.child = None;
                    return;
                }
                tokio::time::sleep(POLL).await;
            }
        }
        self.kill();
    }

    /// Starts the broker again with the same configuration on the same ports (stopping it
    /// abruptly first if it still runs), and waits until every port accepts.
    ///
    /// A port may stay unavailable for a moment after the old process dies, so a broker that
    /// exits because it cannot bind is started again until the startup timeout (at least
    /// 5 s) runs out.
    ///
    /// # Errors
    /// [`MosquittoError::Start`] with the log when the broker does not come up in time,
    /// [`MosquittoError::Io`] when the binary cannot be run.
    pub async fn restart(&mut self) -> Result<(), MosquittoError> {
        self.kill();
        let window = self.startup_timeout.max(MIN_RESTART_WINDOW);
        let deadline = Instant::now() + window;
        let mut attempts = 0;
        loop {
            attempts += 1;
            let left = deadline.saturating_duration_since(Instant::now());
            match self.spawn_and_wait(left).await? {
                Ok(()) => return Ok(()),
                Err(not_ready) if not_ready.exited && Instant::now() < deadline => {
                    tokio::time::sleep(Duration::from_millis(100)).await;
                }
                Err(not_ready) => {
                    return Err(MosquittoError::Start {
                        attempts,
                        reason: not_ready.reason,
                        log: self.log(),
                    })
                }
            }
        }
    }

    /// The TCP listener's port.
    pub fn tcp_port(&self) -> u16 {
        self.ports.tcp
    }

    /// The TCP listener's address, `127.0.0.1:port` (plain `host:port` is TCP to
    /// flowsdk-transport).
    pub fn tcp_address(&self) -> String {
        format!("127.0.0.1:{}", self.ports.tcp)
    }

    /// The WebSocket listener's address, `ws://127.0.0.1:port/mqtt`; `None` when
    /// [`MosquittoBuilder::websockets`] was off, or (after printing
    /// `skipped: this mosquitto does not support websockets`) when this mosquitto lacks
    /// WebSocket support.
    pub fn ws_address(&self) -> Option<String> {
        self.ports
            .ws
            .map(|port| format!("ws://127.0.0.1:{port}/mqtt"))
            .or_else(|| self.websockets_missing())
    }

    /// The TLS listener's address, `mqtts://127.0.0.1:port`; `None` without
    /// [`MosquittoBuilder::tls`].
    pub fn tls_address(&self) -> Option<String> {
        self.ports
            .tls
            .map(|port| format!("mqtts://127.0.0.1:{port}"))
    }

    /// The secure WebSocket listener's address, `wss://127.0.0.1:port/mqtt`; `None` unless
    /// both [`MosquittoBuilder::websockets`] and [`MosquittoBuilder::tls`] were on (and this
    /// mosquitto supports WebSocket).
    pub fn wss_address(&self) -> Option<String> {
        self.ports
            .wss
            .map(|port| format!("wss://127.0.0.1:{port}/mqtt"))
            .or_else(|| self.pki.as_ref().and_then(|_| self.websockets_missing()))
    }

    /// Prints why a WebSocket test is skipped, when WebSocket was asked for and this
    /// mosquitto lacks it.
    fn websockets_missing(&self) -> Option<String> {
        if self.websockets_requested {
            println!("skipped: this mosquitto does not support websockets");
        }
        None
    }

    /// The PKI behind the TLS listeners: the CA to trust ([`Pki::ca_pem`]) and the client
    /// certificates ([`Pki::client`], [`Pki::stranger`]); `None` without
    /// [`MosquittoBuilder::tls`].
    pub fn pki(&self) -> Option<&Pki> {
        self.pki.as_ref()
    }

    /// The CA certificate (PEM) that signed the broker's certificate.
    pub fn ca_pem(&self) -> Option<String> {
        self.pki.as_ref().map(Pki::ca_pem)
    }

    /// A client identity the broker accepts, as PEM `(certificate chain, private key)`.
    pub fn client_identity_pem(&self) -> Option<(&str, &str)> {
        self.pki
            .as_ref()
            .map(|p| (p.client().chain_pem(), p.client().key_pem()))
    }

    /// `true` when the TLS listeners require a client certificate.
    pub fn requires_client_certificate(&self) -> bool {
        self.require_client_certificate
    }

    /// A client TLS configuration for this broker: trusts only its CA, and presents the
    /// client certificate when the broker requires one.
    ///
    /// # Errors
    /// [`TransportError::Config`](flowsdk_transport::TransportError::Config) as
    /// [`Pki::client_tls_config`]; also when the broker has no TLS listener.
    #[cfg(feature = "tls")]
    #[cfg_attr(docsrs, doc(cfg(feature = "tls")))]
    pub fn client_tls_config(
        &self,
    ) -> Result<flowsdk_transport::TlsClientConfig, flowsdk_transport::TransportError> {
        let pki = self.pki.as_ref().ok_or_else(|| {
            flowsdk_transport::TransportError::Config(
                "this mosquitto was started without TLS listeners".to_string(),
            )
        })?;
        let identity = self.require_client_certificate.then(|| pki.client());
        pki.client_tls_config(identity)
    }

    /// The broker's directory (configuration, certificates, log, persistence database).
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// The broker's log so far (errors, warnings, notices and information of every run), for assertions
    /// and failure messages.
    pub fn log(&self) -> String {
        let mut text = String::new();
        if let Ok(mut file) = File::open(&self.log_path) {
            let _ = std::io::Read::read_to_string(&mut file, &mut text);
        }
        text
    }
}
