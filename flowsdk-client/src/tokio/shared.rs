//! The state the client handles and the driver share: the session and who waits for what.
//!
//! One `std::sync::Mutex`, never held across an `.await`: a handle locks it to hand the
//! session a command (so local refusals come back at once, without a round trip to the
//! driver), the driver locks it to feed packets and drain output.

use std::collections::HashMap;
use std::sync::{Mutex, MutexGuard};
use std::time::Instant;

use bytes::Bytes;
use flowsdk_codec::{Publish, TopicFilter};
use tokio::sync::{mpsc, oneshot, Notify};

use crate::error::ClientError;
use crate::options::MqttClientOptions;
use crate::proto::{Session, Ticket};

use super::config::TokioAsyncClientConfig;
use super::handler::{ConnectResult, PingResult, PublishResult, SubscribeResult};

/// What the application wants of the connection.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Want {
    /// Stay disconnected (initially, and after `disconnect`).
    Idle,
    /// Be connected, reconnecting as configured.
    Connected,
    /// Every handle is gone: disconnect, save the session, stop.
    Shutdown,
}

pub(crate) type Reply<T> = oneshot::Sender<Result<T, ClientError>>;

/// Someone waiting for the outcome of a ticket.
#[derive(Debug)]
pub(crate) enum Waiter {
    Publish(Reply<PublishResult>),
    Subscribe(Reply<SubscribeResult>),
    Unsubscribe(Reply<SubscribeResult>),
    Ping(Reply<PingResult>, Instant),
    Auth(Reply<()>),
}

/// Incoming messages matching `filters` go to `tx`.
#[derive(Debug)]
pub(crate) struct StreamRoute {
    pub(crate) filters: Vec<TopicFilter>,
    pub(crate) tx: mpsc::Sender<Publish>,
}

#[derive(Debug)]
pub(crate) struct Shared {
    pub(crate) session: Session,
    pub(crate) want: Want,
    pub(crate) waiters: HashMap<Ticket, Waiter>,
    pub(crate) connect_waiters: Vec<Reply<ConnectResult>>,
    pub(crate) disconnect_waiters: Vec<Reply<()>>,
    pub(crate) streams: Vec<StreamRoute>,
    pub(crate) requests: HashMap<Bytes, oneshot::Sender<Publish>>,
    pub(crate) response_topic: Option<String>,
    pub(crate) last_connect: Option<ConnectResult>,
    pub(crate) next_correlation: u64,
    /// Where the next dial goes (the `peer` option, or what `set_peer` set since).
    pub(crate) peer: flowsdk_transport::Address,
    /// Counts `set_peer` and `set_credentials` calls: a refused connection attempt is worth
    /// repeating when either changed since it was made.
    pub(crate) dial_generation: u64,
}

/// Shared between every handle and the driver.
#[derive(Debug)]
pub(crate) struct Inner {
    pub(crate) shared: Mutex<Shared>,
    /// Wakes the driver: a command was given or the wanted state changed.
    pub(crate) wake: Notify,
    /// Wakes publishers waiting for buffer room ([`OverflowPolicy::Wait`]): the driver took
    /// messages out of the buffer, or the client shut down.
    ///
    /// [`OverflowPolicy::Wait`]: crate::OverflowPolicy::Wait
    pub(crate) room: Notify,
    pub(crate) config: TokioAsyncClientConfig,
    pub(crate) options: MqttClientOptions,
}

impl Inner {
    pub(crate) fn lock(&self) -> MutexGuard<'_, Shared> {
        // Nothing holding this lock can panic half-way through an update that matters more
        // than the process: a poisoned lock is used as it is.
        self.shared
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

/// The current time, from tokio's clock so that tests can pause it.
pub(crate) fn now() -> Instant {
    tokio::time::Instant::now().into_std()
}
