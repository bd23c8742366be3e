//! `MosquittoBuilder`: which listeners and options a test broker gets.

use std::time::Duration;

use super::Mosquitto;
use crate::MosquittoError;

/// Options of a [`Mosquitto`] test broker, made with [`Mosquitto::builder`].
///
/// Every broker has a plain TCP listener on 127.0.0.1; the rest is opt-in. Anonymous clients
/// are allowed.
#[derive(Clone, Debug)]
#[must_use]
pub struct MosquittoBuilder {
    pub(super) websockets: bool,
    pub(super) tls: bool,
    pub(super) require_client_certificate: bool,
    pub(super) persistence: bool,
    pub(super) config_lines: Vec<String>,
    pub(super) startup_timeout: Duration,
}

impl Default for MosquittoBuilder {
    fn default() -> Self {
        MosquittoBuilder {
            websockets: false,
            tls: false,
            require_client_certificate: false,
            persistence: false,
            config_lines: Vec::new(),
            startup_timeout: Duration::from_secs(10),
        }
    }
}

impl MosquittoBuilder {
    /// Adds a WebSocket listener (`ws://`, and `wss://` together with
    /// [`MosquittoBuilder::tls`]). Default: off.
    ///
    /// A mosquitto built without WebSocket support refuses the option; the broker then starts
    /// without it and [`Mosquitto::ws_address`] returns `None` after printing a skip line.
    pub fn websockets(mut self, enabled: bool) -> Self {
        self.websockets = enabled;
        self
    }

    /// Adds a TLS listener (`mqtts://`, and `wss://` with [`MosquittoBuilder::websockets`])
    /// with a freshly generated [`Pki`](crate::Pki): the server certificate is for 127.0.0.1
    /// and localhost, signed by the PKI's CA ([`Mosquitto::pki`]). Default: off.
    pub fn tls(mut self, enabled: bool) -> Self {
        self.tls = enabled;
        self
    }

    /// Makes the TLS listeners require a client certificate signed by the PKI's CA
    /// ([`Pki::client`](crate::Pki::client)); implies [`MosquittoBuilder::tls`]. Default: off
    /// (no client certificate is asked for).
    pub fn require_client_certificate(mut self, required: bool) -> Self {
        self.require_client_certificate = required;
        if required {
            self.tls = true;
        }
        self
    }

    /// Keeps sessions and retained messages in a database file in the broker's directory, so
    /// they survive [`Mosquitto::restart`] after a graceful [`Mosquitto::stop`] (an abrupt
    /// [`Mosquitto::kill`] loses what was not saved yet; add `autosave_interval 1` with
    /// [`MosquittoBuilder::config_line`] to save often). Default: off.
    pub fn persistence(mut self, enabled: bool) -> Self {
        self.persistence = enabled;
        self
    }

    /// Adds a line to mosquitto.conf, in the general section before the listeners, e.g.
    /// `max_inflight_messages 1000`, `max_queued_messages 0`, `max_packet_size 1024`,
    /// `max_keepalive 10`. Written as given, unchecked; a line mosquitto refuses makes
    /// [`MosquittoBuilder::start`] fail with the broker's log.
    pub fn config_line(mut self, line: impl Into<String>) -> Self {
        self.config_lines.push(line.into());
        self
    }

    /// How long the broker has to open every port, at start and at each restart. Default:
    /// 10 s.
    pub fn startup_timeout(mut self, timeout: Duration) -> Self {
        self.startup_timeout = timeout;
        self
    }

    /// Starts the broker and waits until every listener accepts TCP connections.
    ///
    /// Returns `Ok(None)`, after printing `skipped: mosquitto not installed`, when the
    /// `mosquitto` binary is neither at `/usr/sbin/mosquitto` nor on `PATH`: the calling test
    /// should then return early and pass.
    ///
    /// Ports are picked free on 127.0.0.1 just before starting; as another process could take
    /// one in between, a failed start is retried (three attempts, fresh ports each time).
    ///
    /// # Errors
    /// [`MosquittoError::Start`] with the broker's log when it does not come up,
    /// [`MosquittoError::Io`] when the directory, configuration or certificates cannot be
    /// written, [`MosquittoError::Pki`] when the certificates cannot be generated.
    pub async fn start(self) -> Result<Option<Mosquitto>, MosquittoError> {
        Mosquitto::launch(self).await
    }
}
