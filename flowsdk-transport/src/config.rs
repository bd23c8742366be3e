//! Configuration of the dialing and listening sides.

use std::time::Duration;

use flowsdk_codec::ProtocolVersion;

use crate::connection::ConnectionSettings;

macro_rules! common_setters {
    () => {
        /// The MQTT version packets are encoded and decoded with. Default: 5.0. (A server's
        /// connection adopts the version of the CONNECT it reads.)
        pub fn protocol_version(mut self, version: ProtocolVersion) -> Self {
            self.settings.version = version;
            self
        }

        /// Largest packet accepted from the peer, checked from the fixed header before the
        /// body is buffered. Default: 268,435,460 (the protocol's maximum).
        pub fn max_incoming_packet_size(mut self, max: u32) -> Self {
            self.settings.max_incoming_packet_size = max;
            self
        }

        /// Largest packet sent to the peer. Default: the protocol's maximum.
        pub fn max_outgoing_packet_size(mut self, max: u32) -> Self {
            self.settings.max_outgoing_packet_size = max;
            self
        }

        /// How long a read may wait for bytes before [`TransportError::Timeout`](crate::TransportError::Timeout)
        /// in phase `Read`. Default: none (MQTT keep-alive watches idle connections).
        pub fn read_timeout(mut self, timeout: Option<Duration>) -> Self {
            self.settings.read_timeout = timeout;
            self
        }

        /// How long a flush may take before a `Write` timeout (a peer that stops reading).
        /// Default: 30 s.
        pub fn write_timeout(mut self, timeout: Option<Duration>) -> Self {
            self.settings.write_timeout = timeout;
            self
        }

        /// Sets `TCP_NODELAY` on TCP-based connections. Default: `true` (MQTT packets are
        /// small and latency matters; writes are batched by the connection instead).
        pub fn tcp_nodelay(mut self, nodelay: bool) -> Self {
            self.tcp_nodelay = nodelay;
            self
        }
    };
}

/// How [`Transport`](crate::Transport) dials.
///
/// ```
/// use std::time::Duration;
/// use flowsdk_transport::TransportConfig;
/// let config = TransportConfig::builder()
///     .connect_timeout(Duration::from_secs(5))
///     .tcp_nodelay(true)
///     .build();
/// assert_eq!(config.connect_timeout(), Some(Duration::from_secs(5)));
/// ```
#[derive(Clone, Debug)]
pub struct TransportConfig {
    pub(crate) connect_timeout: Option<Duration>,
    pub(crate) tcp_nodelay: bool,
    pub(crate) settings: ConnectionSettings,
    #[cfg(feature = "tls")]
    pub(crate) tls: Option<crate::tls::TlsClientConfig>,
    #[cfg(feature = "quic")]
    pub(crate) quic: crate::quic::QuicConfig,
    #[cfg(feature = "ws")]
    pub(crate) ws: crate::ws::WsConfig,
}

impl Default for TransportConfig {
    fn default() -> Self {
        TransportConfigBuilder::default().build()
    }
}

impl TransportConfig {
    /// A builder with the defaults stated on each setter.
    pub fn builder() -> TransportConfigBuilder {
        TransportConfigBuilder::default()
    }

    /// The time allowed to establish a connection: DNS, TCP connect, and the TLS, QUIC or
    /// WebSocket handshake together.
    pub fn connect_timeout(&self) -> Option<Duration> {
        self.connect_timeout
    }

    /// The same configuration with another connect timeout (`None`: no limit); for a caller
    /// that owns the timeout policy, such as the client's timeout presets.
    #[must_use]
    pub fn with_connect_timeout(mut self, timeout: Option<Duration>) -> Self {
        self.connect_timeout = timeout;
        self
    }
}

/// Builds a [`TransportConfig`].
#[derive(Clone, Debug)]
#[must_use]
pub struct TransportConfigBuilder {
    connect_timeout: Option<Duration>,
    tcp_nodelay: bool,
    settings: ConnectionSettings,
    #[cfg(feature = "tls")]
    tls: Option<crate::tls::TlsClientConfig>,
    #[cfg(feature = "quic")]
    quic: crate::quic::QuicConfig,
    #[cfg(feature = "ws")]
    ws: crate::ws::WsConfig,
}

impl Default for TransportConfigBuilder {
    fn default() -> Self {
        TransportConfigBuilder {
            connect_timeout: Some(Duration::from_secs(10)),
            tcp_nodelay: true,
            settings: ConnectionSettings::default(),
            #[cfg(feature = "tls")]
            tls: None,
            #[cfg(feature = "quic")]
            quic: crate::quic::QuicConfig::default(),
            #[cfg(feature = "ws")]
            ws: crate::ws::WsConfig::default(),
        }
    }
}

impl TransportConfigBuilder {
    /// Time allowed to establish a connection (DNS, TCP, TLS/QUIC/WebSocket handshakes, all
    /// together); on expiry the error names the phase in progress. Default: 10 s.
    pub fn connect_timeout(mut self, timeout: impl Into<Option<Duration>>) -> Self {
        self.connect_timeout = timeout.into();
        self
    }

    common_setters!();

    /// TLS settings for `mqtts://` and `wss://` (and the TLS layer of `quic://`). Default: the
    /// platform's root certificates, no client certificate.
    #[cfg(feature = "tls")]
    #[cfg_attr(docsrs, doc(cfg(feature = "tls")))]
    pub fn tls(mut self, tls: crate::tls::TlsClientConfig) -> Self {
        self.tls = Some(tls);
        self
    }

    /// QUIC settings for `quic://`.
    #[cfg(feature = "quic")]
    #[cfg_attr(docsrs, doc(cfg(feature = "quic")))]
    pub fn quic(mut self, quic: crate::quic::QuicConfig) -> Self {
        self.quic = quic;
        self
    }

    /// WebSocket settings for `ws://` and `wss://`.
    #[cfg(feature = "ws")]
    #[cfg_attr(docsrs, doc(cfg(feature = "ws")))]
    pub fn ws(mut self, ws: crate::ws::WsConfig) -> Self {
        self.ws = ws;
        self
    }

    /// The configuration.
    pub fn build(self) -> TransportConfig {
        TransportConfig {
            connect_timeout: self.connect_timeout,
            tcp_nodelay: self.tcp_nodelay,
            settings: self.settings,
            #[cfg(feature = "tls")]
            tls: self.tls,
            #[cfg(feature = "quic")]
            quic: self.quic,
            #[cfg(feature = "ws")]
            ws: self.ws,
        }
    }
}

/// How a [`Listener`](crate::Listener) accepts.
#[derive(Clone, Debug)]
pub struct ListenerConfig {
    pub(crate) handshake_timeout: Option<Duration>,
    pub(crate) tcp_nodelay: bool,
    pub(crate) settings: ConnectionSettings,
    #[cfg(feature = "tls")]
    pub(crate) tls: Option<crate::tls::TlsServerConfig>,
    #[cfg(feature = "quic")]
    pub(crate) quic: crate::quic::QuicConfig,
    #[cfg(feature = "ws")]
    pub(crate) ws: crate::ws::WsConfig,
}

impl Default for ListenerConfig {
    fn default() -> Self {
        ListenerConfigBuilder::default().build()
    }
}

impl ListenerConfig {
    /// A builder with the defaults stated on each setter.
    pub fn builder() -> ListenerConfigBuilder {
        ListenerConfigBuilder::default()
    }
}

/// Builds a [`ListenerConfig`].
#[derive(Clone, Debug)]
#[must_use]
pub struct ListenerConfigBuilder {
    handshake_timeout: Option<Duration>,
    tcp_nodelay: bool,
    settings: ConnectionSettings,
    #[cfg(feature = "tls")]
    tls: Option<crate::tls::TlsServerConfig>,
    #[cfg(feature = "quic")]
    quic: crate::quic::QuicConfig,
    #[cfg(feature = "ws")]
    ws: crate::ws::WsConfig,
}

impl Default for ListenerConfigBuilder {
    fn default() -> Self {
        ListenerConfigBuilder {
            handshake_timeout: Some(Duration::from_secs(10)),
            tcp_nodelay: true,
            settings: ConnectionSettings::default(),
            #[cfg(feature = "tls")]
            tls: None,
            #[cfg(feature = "quic")]
            quic: crate::quic::QuicConfig::default(),
            #[cfg(feature = "ws")]
            ws: crate::ws::WsConfig::default(),
        }
    }
}

impl ListenerConfigBuilder {
    /// Time an accepted connection has to complete its TLS, QUIC or WebSocket handshake
    /// ([`Incoming::establish`](crate::Incoming::establish)). Default: 10 s.
    pub fn handshake_timeout(mut self, timeout: impl Into<Option<Duration>>) -> Self {
        self.handshake_timeout = timeout.into();
        self
    }

    common_setters!();

    /// TLS settings: required for `mqtts://`, `wss://` and `quic://` listeners.
    #[cfg(feature = "tls")]
    #[cfg_attr(docsrs, doc(cfg(feature = "tls")))]
    pub fn tls(mut self, tls: crate::tls::TlsServerConfig) -> Self {
        self.tls = Some(tls);
        self
    }

    /// QUIC settings for `quic://` listeners.
    #[cfg(feature = "quic")]
    #[cfg_attr(docsrs, doc(cfg(feature = "quic")))]
    pub fn quic(mut self, quic: crate::quic::QuicConfig) -> Self {
        self.quic = quic;
        self
    }

    /// WebSocket settings for `ws://` and `wss://` listeners.
    #[cfg(feature = "ws")]
    #[cfg_attr(docsrs, doc(cfg(feature = "ws")))]
    pub fn ws(mut self, ws: crate::ws::WsConfig) -> Self {
        self.ws = ws;
        self
    }

    /// The configuration.
    pub fn build(self) -> ListenerConfig {
        ListenerConfig {
            handshake_timeout: self.handshake_timeout,
            tcp_nodelay: self.tcp_nodelay,
            settings: self.settings,
            #[cfg(feature = "tls")]
            tls: self.tls,
            #[cfg(feature = "quic")]
            quic: self.quic,
            #[cfg(feature = "ws")]
            ws: self.ws,
        }
    }
}
