//! # flowsdk-transport
//!
//! One abstraction over the byte streams MQTT runs on — TCP, Unix domain sockets, TLS (feature
//! `tls`), QUIC (feature `quic`) and WebSocket (feature `ws`) — for dialing ([`Transport`]) and
//! listening ([`Listener`]). Either side yields an [`MqttConnection`]: packets in, packets out,
//! decoded incrementally with `flowsdk-codec` and written in batches.
//!
//! Addresses are the strings users write ([`Address`]): `mqtt://host:1883`,
//! `mqtts://host:8883`, `quic://host:14567`, `ws://host:8083/mqtt`, `wss://…`,
//! `unix:///run/app.sock`, or plain `host:port` for TCP.
//!
//! Every failure is a [`TransportError`] naming the address and the [`Phase`] (DNS, TCP
//! connect, TLS handshake, QUIC handshake, WebSocket upgrade, read, write); every wait is
//! bounded by a timeout you can set ([`TransportConfig`], [`ListenerConfig`]).
//!
//! ```
//! use flowsdk_codec::Packet;
//! use flowsdk_transport::{Listener, ListenerConfig, Transport, TransportConfig};
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), flowsdk_transport::TransportError> {
//! let listener = Listener::bind("mqtt://127.0.0.1:0", ListenerConfig::default()).await?;
//! let address = listener.local_address().clone();
//! let server = tokio::spawn(async move {
//!     let mut conn = listener.accept().await?.establish().await?;
//!     let ping = conn.read_packet().await?;
//!     conn.send(&Packet::PingResp).await?;
//!     Ok::<_, flowsdk_transport::TransportError>(ping)
//! });
//!
//! let mut client = Transport::new(TransportConfig::default()).connect(address).await?;
//! client.send(&Packet::PingReq).await?;
//! assert_eq!(client.read_packet().await?, Some(Packet::PingResp));
//! assert_eq!(server.await.unwrap()?, Some(Packet::PingReq));
//! # Ok(()) }
//! ```

#![forbid(unsafe_code)]
#![deny(missing_docs)]
#![warn(missing_debug_implementations, unreachable_pub, rust_2018_idioms)]
#![cfg_attr(not(test), deny(clippy::unwrap_used))]
#![cfg_attr(docsrs, feature(doc_cfg))]

mod address;
mod config;
mod connection;
mod dial;
mod error;
mod listen;
#[cfg(feature = "quic")]
mod quic;
#[cfg(feature = "tls")]
mod tls;
#[cfg(feature = "ws")]
mod ws;

pub use address::{Address, IntoAddress, Scheme};
pub use config::{ListenerConfig, ListenerConfigBuilder, TransportConfig, TransportConfigBuilder};
pub use connection::{MqttConnection, MqttReadHalf, MqttWriteHalf, PeerInfo};
pub use dial::{connect, Transport};
pub use error::{Phase, TransportError};
pub use listen::{Incoming, Listener};
#[cfg(feature = "quic")]
#[cfg_attr(docsrs, doc(cfg(feature = "quic")))]
pub use quic::{QuicConfig, QuicConfigBuilder};
/// The rustls crate this build uses, for [`TlsClientConfig::from_rustls`] and
/// [`TlsServerConfig::from_rustls`].
#[cfg(feature = "tls")]
#[cfg_attr(docsrs, doc(cfg(feature = "tls")))]
pub use rustls;
#[cfg(feature = "tls")]
#[cfg_attr(docsrs, doc(cfg(feature = "tls")))]
pub use tls::{
    ClientAuth, TlsClientConfig, TlsClientConfigBuilder, TlsServerConfig, TlsServerConfigBuilder,
};
#[cfg(feature = "ws")]
#[cfg_attr(docsrs, doc(cfg(feature = "ws")))]
pub use ws::WsConfig;
