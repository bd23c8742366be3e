//! The tokio driver around [`proto::Session`](crate::proto::Session): the
//! [`TokioAsyncMqttClient`] handle, its configuration, callbacks and message streams.

mod client;
mod config;
mod driver;
mod handler;
mod shared;
mod stream;

pub use client::{ClientStats, TokioAsyncMqttClient};
pub use config::{Backoff, Timeouts, TokioAsyncClientConfig, TokioAsyncClientConfigBuilder};
pub use handler::{
    ConnectResult, DroppedMessage, NoopHandler, PingResult, PublishResult, SubscribeResult,
    TokioMqttEventHandler, UnsubscribeResult,
};
pub use stream::MessageStream;
