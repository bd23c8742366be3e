//! The fault settings every connection reads, and the counters it updates.

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use tokio::sync::watch;

/// A direction of traffic through a [`FaultProxy`](crate::FaultProxy), or both.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Direction {
    /// From the client (the side that connects to the proxy) to the broker (upstream).
    ClientToBroker,
    /// From the broker back to the client.
    BrokerToClient,
    /// Both directions.
    Both,
}

impl Direction {
    fn includes(self, one: OneWay) -> bool {
        matches!(
            (self, one),
            (Direction::Both, _)
                | (Direction::ClientToBroker, OneWay::ClientToBroker)
                | (Direction::BrokerToClient, OneWay::BrokerToClient)
        )
    }
}

/// One of the two streams of a proxied connection.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum OneWay {
    ClientToBroker,
    BrokerToClient,
}

/// The faults of one direction.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(super) struct DirectionFaults {
    /// Each chunk waits this long before it is written.
    pub(super) delay: Option<Duration>,
    /// At most this many bytes per second (at least 1).
    pub(super) throttle: Option<u64>,
    /// `(setting, n)`: close the connection once `n` bytes have been forwarded after the
    /// connection noticed setting number `setting`.
    pub(super) drop_after: Option<(u64, u64)>,
    /// Stream offsets whose byte is flipped (XOR 0xFF).
    pub(super) corrupt: Vec<u64>,
}

/// Everything the accept loop and the connections watch.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(super) struct Faults {
    pub(super) client_to_broker: DirectionFaults,
    pub(super) broker_to_client: DirectionFaults,
    /// Nothing is read or written in either direction; sockets stay open.
    pub(super) blackhole: bool,
    /// The listening socket is closed: connection attempts are refused.
    pub(super) refuse: bool,
    /// Incremented by `drop_now`: connections opened before close.
    pub(super) kill_epoch: u64,
    /// Incremented by each `drop_after`, so connections tell a new setting from an old one.
    pub(super) settings: u64,
    /// The proxy is shutting down.
    pub(super) shutdown: bool,
}

impl Faults {
    pub(super) fn direction(&self, one: OneWay) -> &DirectionFaults {
        match one {
            OneWay::ClientToBroker => &self.client_to_broker,
            OneWay::BrokerToClient => &self.broker_to_client,
        }
    }

    fn each_mut(&mut self, direction: Direction, mut f: impl FnMut(&mut DirectionFaults)) {
        if direction.includes(OneWay::ClientToBroker) {
            f(&mut self.client_to_broker);
        }
        if direction.includes(OneWay::BrokerToClient) {
            f(&mut self.broker_to_client);
        }
    }
}

/// Traffic counters of a [`FaultProxy`](crate::FaultProxy), as returned by
/// [`FaultHandle::stats`].
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct ProxyStats {
    /// Bytes written to the broker, over all connections.
    pub client_to_broker: u64,
    /// Bytes written to clients, over all connections.
    pub broker_to_client: u64,
    /// Connections accepted from clients.
    pub connections_accepted: u64,
    /// Connections currently forwarded (accepted, upstream connected, not yet closed).
    pub connections_open: u64,
}

#[derive(Debug, Default)]
pub(super) struct Counters {
    client_to_broker: AtomicU64,
    broker_to_client: AtomicU64,
    accepted: AtomicU64,
    open: AtomicU64,
}

impl Counters {
    pub(super) fn forwarded(&self, one: OneWay, bytes: usize) {
        let counter = match one {
            OneWay::ClientToBroker => &self.client_to_broker,
            OneWay::BrokerToClient => &self.broker_to_client,
        };
        counter.fetch_add(bytes as u64, Ordering::Relaxed);
    }

    pub(super) fn accepted(&self) {
        self.accepted.fetch_add(1, Ordering::Relaxed);
    }

    /// Counts a connection as open until the guard drops.
    pub(super) fn open(&self) -> OpenGuard<'_> {
        self.open.fetch_add(1, Ordering::Relaxed);
        OpenGuard(&self.open)
    }

    fn snapshot(&self) -> ProxyStats {
        ProxyStats {
            client_to_broker: self.client_to_broker.load(Ordering::Relaxed),
            broker_to_client: self.broker_to_client.load(Ordering::Relaxed),
            connections_accepted: self.accepted.load(Ordering::Relaxed),
            connections_open: self.open.load(Ordering::Relaxed),
        }
    }
}

pub(super) struct OpenGuard<'a>(&'a AtomicU64);

impl Drop for OpenGuard<'_> {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::Relaxed);
    }
}

/// State shared by the proxy, its handles and its connection tasks.
#[derive(Debug)]
pub(super) struct Shared {
    pub(super) faults: watch::Sender<Faults>,
    pub(super) counters: Counters,
}

impl Shared {
    pub(super) fn new() -> Shared {
        Shared {
            faults: watch::Sender::new(Faults::default()),
            counters: Counters::default(),
        }
    }
}

/// Changes a running [`FaultProxy`](crate::FaultProxy)'s faults; cheap to clone, usable from
/// any task. Every change applies at once to the connections already open and to those that
/// open later.
///
/// Faults of different kinds combine (a delay and a throttle, a corruption and a drop); setting
/// a fault of the same kind again replaces it, except [`FaultHandle::corrupt_byte`], which adds
/// an offset. [`FaultHandle::reset`] clears everything.
#[derive(Clone, Debug)]
pub struct FaultHandle {
    pub(super) shared: std::sync::Arc<Shared>,
}

impl FaultHandle {
    fn modify(&self, f: impl FnOnce(&mut Faults)) {
        self.shared.faults.send_modify(f);
    }

    /// Holds every chunk of data read in `direction` for `delay` before writing it. Chunks are
    /// forwarded in order, so delays add up when data arrives faster than one chunk per
    /// `delay`. `Duration::ZERO` removes the delay.
    pub fn delay(&self, direction: Direction, delay: Duration) {
        let delay = (!delay.is_zero()).then_some(delay);
        self.modify(|f| f.each_mut(direction, |d| d.delay = delay));
    }

    /// Forwards at most `bytes_per_sec` bytes per second in `direction` (in slices of about a
    /// twentieth of a second's worth). 0 is taken as 1.
    pub fn throttle(&self, direction: Direction, bytes_per_sec: u64) {
        let rate = bytes_per_sec.max(1);
        self.modify(|f| f.each_mut(direction, |d| d.throttle = Some(rate)));
    }

    /// Closes a connection (both sides) once `bytes` more bytes have gone through it in
    /// `direction`, counted from now for open connections and from their start for new ones:
    /// the first `bytes` bytes are forwarded, the rest of that chunk is not. 0 closes the open
    /// connections at once and new ones as soon as they are established.
    pub fn drop_after(&self, direction: Direction, bytes: u64) {
        self.modify(|f| {
            f.settings += 1;
            let setting = f.settings;
            f.each_mut(direction, |d| d.drop_after = Some((setting, bytes)));
        });
    }

    /// Closes every open connection now (both sides, no more data forwarded). Connections
    /// accepted afterwards are not affected.
    pub fn drop_now(&self) {
        self.modify(|f| f.kill_epoch += 1);
    }

    /// Stops forwarding in both directions while keeping every socket open: a dead link, as
    /// after a network partition. Data is neither read nor discarded, so TCP buffers fill and
    /// a close by either peer is not passed on; [`FaultHandle::reset`] resumes forwarding of
    /// what was held.
    pub fn blackhole(&self) {
        self.modify(|f| f.blackhole = true);
    }

    /// Flips (XOR 0xFF) the byte at stream `offset` in `direction` (0 is the first byte the
    /// client or the broker sends on a connection), on every connection that has not yet
    /// forwarded that offset. Calls accumulate.
    pub fn corrupt_byte(&self, direction: Direction, offset: u64) {
        self.modify(|f| f.each_mut(direction, |d| d.corrupt.push(offset)));
    }

    /// Refuses new connections (`true`: the listening socket is closed, so connection attempts
    /// fail, and connections waiting to be accepted are reset) or accepts them again (`false`:
    /// the proxy listens again on the same address). Open connections are not affected.
    pub fn refuse_connections(&self, refuse: bool) {
        self.modify(|f| f.refuse = refuse);
    }

    /// Back to a transparent proxy: no delay, throttle, drop, corruption or blackhole, and
    /// connections accepted.
    pub fn reset(&self) {
        self.modify(|f| {
            f.client_to_broker = DirectionFaults::default();
            f.broker_to_client = DirectionFaults::default();
            f.blackhole = false;
            f.refuse = false;
        });
    }

    /// The traffic counters so far.
    pub fn stats(&self) -> ProxyStats {
        self.shared.counters.snapshot()
    }
}
