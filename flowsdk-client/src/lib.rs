//! The FlowSDK MQTT client: complete MQTT 5.0 and 3.1.1, predictable under failure.
//!
//! Two layers:
//! - [`proto`]: the session as a pure state machine (packet identifiers, QoS 1/2 flows,
//!   inflight window, outgoing buffer, topic aliases, keep-alive, session resume, enhanced
//!   authentication). No I/O, no clock; testable on virtual time.
//! - [`tokio_async_client`]: `TokioAsyncMqttClient`, a thin driver that moves packets between a [`flowsdk_transport`] connection and the
//!   session, with fire-and-forget and wait-for-acknowledgement (`*_sync`) operations,
//!   callbacks, message streams, request/response and auto-reconnect. [`MqttClient`] is the
//!   blocking form for code without an async runtime.
//!
//! Options are built with [`MqttClientOptions::builder`], operations with
//! [`PublishCommand::builder`] and [`SubscribeCommand::builder`].
#![forbid(unsafe_code)]
#![deny(missing_docs)]
#![warn(missing_debug_implementations, unreachable_pub, rust_2018_idioms)]
#![cfg_attr(not(test), deny(clippy::unwrap_used))]
#![cfg_attr(docsrs, feature(doc_cfg))]

mod blocking;
mod command;
mod error;
mod options;
pub mod proto;
mod store;
mod tokio;

pub use blocking::MqttClient;
pub use command::{
    IntoQoS, Payload, Priority, PublishCommand, PublishCommandBuilder, SubscribeCommand,
    SubscribeCommandBuilder, UnsubscribeCommand,
};
pub use error::{ClientError, Operation};
pub use options::{IntoDuration, MqttClientOptions, MqttClientOptionsBuilder};
pub use proto::OverflowPolicy;
pub use store::{MemoryStore, SessionStore};

/// The tokio client, under the path FlowSDK users know
/// (`flowsdk::mqtt_client::tokio_async_client`).
pub mod tokio_async_client {
    pub use crate::command::{PublishCommand, SubscribeCommand, UnsubscribeCommand};
    pub use crate::tokio::{
        Backoff, ClientStats, ConnectResult, DroppedMessage, MessageStream, NoopHandler,
        PingResult, PublishResult, SubscribeResult, Timeouts, TokioAsyncClientConfig,
        TokioAsyncClientConfigBuilder, TokioAsyncMqttClient, TokioMqttEventHandler,
        UnsubscribeResult,
    };
}

pub use tokio_async_client::{
    TokioAsyncClientConfig, TokioAsyncClientConfigBuilder, TokioAsyncMqttClient,
    TokioMqttEventHandler,
};
