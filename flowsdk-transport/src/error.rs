//! The transport crate's error type.

use std::time::Duration;

use flowsdk_codec::{CodecError, ReasonCode};

/// The step of establishing or using a connection at which something failed.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Phase {
    /// Resolving the host name.
    Dns,
    /// Opening the TCP connection (or connecting the Unix socket).
    TcpConnect,
    /// The TLS handshake.
    TlsHandshake,
    /// The QUIC handshake, or opening / accepting the stream.
    QuicHandshake,
    /// The WebSocket upgrade.
    WebSocketUpgrade,
    /// Binding a listener.
    Bind,
    /// Accepting a connection.
    Accept,
    /// Reading from an established connection.
    Read,
    /// Writing to an established connection.
    Write,
}

impl std::fmt::Display for Phase {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Phase::Dns => "DNS resolution",
            Phase::TcpConnect => "TCP connect",
            Phase::TlsHandshake => "TLS handshake",
            Phase::QuicHandshake => "QUIC handshake",
            Phase::WebSocketUpgrade => "WebSocket upgrade",
            Phase::Bind => "bind",
            Phase::Accept => "accept",
            Phase::Read => "read",
            Phase::Write => "write",
        })
    }
}

/// Why a transport operation failed. Each variant names the address and the phase.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum TransportError {
    /// The address string could not be understood.
    #[error("invalid address {address:?}: {reason}")]
    InvalidAddress {
        /// The address as given.
        address: String,
        /// What is wrong with it.
        reason: &'static str,
    },
    /// The address needs a transport this build does not include.
    #[error("{address}: the {scheme} transport needs the crate feature `{feature}`")]
    FeatureDisabled {
        /// The address.
        address: String,
        /// The scheme.
        scheme: &'static str,
        /// The cargo feature that enables it.
        feature: &'static str,
    },
    /// A phase did not complete in time.
    #[error("{address}: {phase} timed out after {after:?}")]
    Timeout {
        /// The address.
        address: String,
        /// The phase that timed out.
        phase: Phase,
        /// The timeout in force.
        after: Duration,
    },
    /// The host name resolved to no address.
    #[error("{address}: DNS resolution found no address")]
    NoAddress {
        /// The address.
        address: String,
    },
    /// An I/O error.
    #[error("{address}: {phase} failed: {source}")]
    Io {
        /// The address.
        address: String,
        /// The phase.
        phase: Phase,
        /// The error.
        #[source]
        source: std::io::Error,
    },
    /// TLS failed (bad certificate, unknown issuer, no shared protocol, client certificate
    /// required or refused, ...): in the TLS or QUIC handshake, or on an established connection
    /// when the peer's alert arrives later (with TLS 1.3 a client whose certificate the server
    /// refuses learns it on its first read, in phase `Read`).
    #[error("{address}: {phase} failed: {message}")]
    Tls {
        /// The address.
        address: String,
        /// The phase.
        phase: Phase,
        /// What rustls (or the peer's alert) said.
        message: String,
    },
    /// A WebSocket or QUIC protocol failure other than plain I/O.
    #[error("{address}: {phase} failed: {message}")]
    Protocol {
        /// The address.
        address: String,
        /// The phase.
        phase: Phase,
        /// What went wrong.
        message: String,
    },
    /// The configuration is not usable (e.g. a PEM file without a key).
    #[error("invalid configuration: {0}")]
    Config(String),
    /// The peer sent bytes that are not a valid MQTT packet, or a packet was refused for
    /// encoding (too large for the peer, or breaking a rule).
    #[error("{address}: {source}")]
    Codec {
        /// The address.
        address: String,
        /// The codec's error.
        #[source]
        source: CodecError,
    },
    /// The peer closed the connection in the middle of a packet.
    #[error("{address}: connection closed in the middle of a packet ({buffered} bytes buffered)")]
    ClosedMidPacket {
        /// The address.
        address: String,
        /// Bytes of the incomplete packet already received.
        buffered: usize,
    },
}

impl TransportError {
    /// The reason code to send the peer before closing, where the error is the peer's fault
    /// (a malformed or too large packet).
    pub fn reason_code(&self) -> Option<ReasonCode> {
        match self {
            TransportError::Codec { source, .. } => source.reason_code(),
            _ => None,
        }
    }

    /// The phase at which the error happened, where one applies.
    pub fn phase(&self) -> Option<Phase> {
        match self {
            TransportError::Timeout { phase, .. }
            | TransportError::Io { phase, .. }
            | TransportError::Tls { phase, .. }
            | TransportError::Protocol { phase, .. } => Some(*phase),
            TransportError::NoAddress { .. } => Some(Phase::Dns),
            TransportError::Codec { .. } | TransportError::ClosedMidPacket { .. } => {
                Some(Phase::Read)
            }
            _ => None,
        }
    }

    /// `true` for a timeout.
    pub fn is_timeout(&self) -> bool {
        matches!(self, TransportError::Timeout { .. })
    }

    pub(crate) fn io(
        address: &impl std::fmt::Display,
        phase: Phase,
        source: std::io::Error,
    ) -> Self {
        // rustls and quinn report TLS failures through io::Error; name them as such.
        #[cfg(feature = "tls")]
        if let Some(message) = crate::tls::failure_message(&source) {
            return TransportError::Tls {
                address: address.to_string(),
                phase,
                message,
            };
        }
        TransportError::Io {
            address: address.to_string(),
            phase,
            source,
        }
    }

    pub(crate) fn timeout(address: &impl std::fmt::Display, phase: Phase, after: Duration) -> Self {
        TransportError::Timeout {
            address: address.to_string(),
            phase,
            after,
        }
    }
}

/// Runs `fut` under an optional timeout, mapping expiry to [`TransportError::Timeout`].
pub(crate) async fn with_timeout<T>(
    limit: Option<Duration>,
    address: &impl std::fmt::Display,
    phase: Phase,
    fut: impl std::future::Future<Output = Result<T, TransportError>>,
) -> Result<T, TransportError> {
    match limit {
        Some(after) => match tokio::time::timeout(after, fut).await {
            Ok(result) => result,
            Err(_) => Err(TransportError::timeout(address, phase, after)),
        },
        None => fut.await,
    }
}
