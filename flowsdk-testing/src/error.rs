//! The crate's error types: one per tool, each `#[non_exhaustive]`.

use std::path::PathBuf;
use std::time::Duration;

use flowsdk_codec::{CodecError, Packet};
use flowsdk_transport::TransportError;

/// Why a [`RawTestClient`](crate::RawTestClient) step failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum RawClientError {
    /// Nothing arrived (or the connection did not close) within the time allowed.
    #[error("nothing arrived within {after:?}")]
    Timeout {
        /// The time allowed.
        after: Duration,
    },
    /// The peer closed the connection (cleanly, or with a reset).
    #[error("the peer closed the connection")]
    Closed,
    /// The peer sent bytes flowsdk-codec rejects; the connection cannot be framed any further.
    #[error("the peer sent an invalid packet: {0}")]
    Decode(#[source] CodecError),
    /// [`RawTestClient::send`](crate::RawTestClient::send) was given a packet the codec
    /// refuses to encode; build invalid packets with
    /// [`RawPacketBuilder`](crate::RawPacketBuilder) and send them with
    /// [`RawTestClient::send_raw`](crate::RawTestClient::send_raw).
    #[error("the codec refuses to encode the packet: {0}")]
    Encode(#[source] CodecError),
    /// A packet arrived where the step expected another, or none.
    #[error("expected {expected}, got {packet:?}")]
    UnexpectedPacket {
        /// What the step expected.
        expected: &'static str,
        /// What arrived.
        packet: Box<Packet>,
    },
    /// The transport failed: connecting, writing or reading (a write or read timeout, an I/O
    /// or TLS error, the peer closing in the middle of a packet).
    #[error(transparent)]
    Transport(TransportError),
}

impl RawClientError {
    /// `true` for [`RawClientError::Timeout`].
    pub fn is_timeout(&self) -> bool {
        matches!(self, RawClientError::Timeout { .. })
    }
}

/// Why a [`Pki`](crate::Pki) could not be generated.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum PkiError {
    /// rcgen refused a parameter or failed to generate a key or signature.
    #[error("generating the {what} failed: {source}")]
    Generate {
        /// The certificate or key being made.
        what: &'static str,
        /// rcgen's error.
        #[source]
        source: rcgen::Error,
    },
}

/// Why a [`Mosquitto`](crate::Mosquitto) broker could not be started or restarted.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum MosquittoError {
    /// Writing the configuration, certificates or log, or running the binary, failed.
    #[error("{action} {path}: {source}")]
    Io {
        /// What was being done.
        action: &'static str,
        /// The file or binary concerned.
        path: PathBuf,
        /// The error.
        #[source]
        source: std::io::Error,
    },
    /// The broker did not come up: it exited, or a port did not accept in time, on every
    /// attempt.
    #[error(
        "mosquitto did not start after {attempts} attempts: {reason}\nmosquitto's log:\n{log}"
    )]
    Start {
        /// How many times it was started.
        attempts: usize,
        /// The last failure (exit status, or the port that did not accept).
        reason: String,
        /// The broker's log of the last attempt.
        log: String,
    },
    /// The test PKI for the TLS listeners could not be generated.
    #[error(transparent)]
    Pki(#[from] PkiError),
}

/// Why a [`FaultProxy`](crate::FaultProxy) could not be started.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum FaultProxyError {
    /// The upstream address did not resolve to any socket address.
    #[error("resolving the upstream address failed: {source}")]
    Resolve {
        /// The resolver's error.
        #[source]
        source: std::io::Error,
    },
    /// The listening socket on 127.0.0.1 could not be opened.
    #[error("binding the proxy's listening socket failed: {source}")]
    Bind {
        /// The error.
        #[source]
        source: std::io::Error,
    },
}
