//! The driver task: moves packets between the network and the session, runs timers and
//! callbacks, reconnects. Nothing here decides protocol behaviour; the session does.

use std::sync::Arc;
use std::time::{Duration, Instant};

use flowsdk_codec::{Packet, Publish, ReasonCode};
use flowsdk_transport::{MqttConnection, Transport, TransportError};
use futures_util::FutureExt;

use crate::error::ClientError;
use crate::proto::{Event, State};

use super::client::random_u64;
use super::handler::{DroppedMessage, PingResult, TokioMqttEventHandler};
use super::shared::{now, Inner, Waiter, Want};

/// Stop taking packets from the session once this much is waiting to be written: the rest
/// stays in the session's bounded buffer, where limits and policies apply.
const HIGH_WATER: usize = 256 * 1024;

/// How long a closing connection may take to write its last packets (a DISCONNECT).
const CLOSE_FLUSH: Duration = Duration::from_secs(2);

/// Packets handled per wake-up when the broker's data is already buffered.
const READ_BATCH: usize = 64;

/// A deadline that never comes, for a timer with nothing to wait for.
fn far_future() -> tokio::time::Instant {
    tokio::time::Instant::now() + Duration::from_secs(86_400 * 365)
}

pub(crate) struct Driver {
    inner: Arc<Inner>,
    handler: Box<dyn TokioMqttEventHandler>,
    transport: Transport,
    /// Packets taken from the session under the lock, encoded outside it.
    batch: Vec<Packet>,
    /// Handler calls collected under the lock, made outside it.
    calls: Vec<Event>,
    dropped_incoming: Vec<flowsdk_codec::TopicName>,
    /// Results of the application's pings, in the order of their `PingResponse` in `calls`.
    ping_results: std::collections::VecDeque<PingResult>,
    /// The reason code of a CONNACK refusal on the current connection attempt.
    refused: Option<ReasonCode>,
}

/// How a connection ended, for the reconnect decision.
struct Ended {
    /// CONNACK success was received on it.
    was_connected: bool,
}

impl Driver {
    pub(crate) fn new(inner: Arc<Inner>, handler: Box<dyn TokioMqttEventHandler>) -> Self {
        Driver {
            // The client's connect timeout (its presets) bounds dialing and handshakes.
            transport: Transport::new(
                inner
                    .options
                    .transport()
                    .clone()
                    .with_connect_timeout(Some(inner.config.timeouts.connect)),
            ),
            inner,
            handler,
            batch: Vec::new(),
            calls: Vec::new(),
            dropped_incoming: Vec::new(),
            ping_results: std::collections::VecDeque::new(),
            refused: None,
        }
    }

    fn want(&self) -> Want {
        self.inner.lock().want
    }

    pub(crate) async fn run(mut self) {
        loop {
            self.dispatch();
            match self.want() {
                Want::Shutdown => break,
                Want::Connected => self.keep_connected().await,
                Want::Idle => {
                    self.resolve_disconnect_waiters();
                    self.idle(None).await;
                }
            }
        }
        self.shutdown();
    }

    /// Waits for a command, a session timer (buffered message expiry) or `until`.
    async fn idle(&mut self, until: Option<Instant>) {
        let timer = self.inner.lock().session.poll_timeout();
        let wake_at = match (timer, until) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        };
        tokio::select! {
            _ = self.inner.wake.notified() => {}
            _ = sleep_until(wake_at) => {
                self.inner.lock().session.handle_timeout(now());
            }
        }
        self.dispatch();
    }

    /// Connects, and reconnects with backoff while the application wants a connection.
    async fn keep_connected(&mut self) {
        let mut attempt: u32 = 0;
        loop {
            let (peer, generation) = {
                let s = self.inner.lock();
                (s.peer.clone(), s.dial_generation)
            };
            self.refused = None;
            tracing::debug!(%peer, attempt, "dialing");
            let limit = self.inner.config.timeouts.connect;
            let dialed = match tokio::time::timeout(limit, self.transport.connect(&peer)).await {
                Ok(result) => result.map_err(ClientError::from),
                Err(_) => Err(ClientError::Timeout {
                    operation: crate::error::Operation::Connect,
                    after: limit,
                }),
            };
            let failure = match dialed {
                Ok(conn) => {
                    let ended = self.run_connection(conn).await;
                    if ended.was_connected {
                        attempt = 0;
                    }
                    None
                }
                Err(e) => Some(e),
            };
            if let Some(error) = failure {
                tracing::debug!(%error, "connection attempt failed");
                self.fail_connect_waiters(&error);
                if attempt == 0 {
                    self.handler.on_connect_failed(&error);
                } else {
                    self.handler.on_reconnect_failed(attempt, &error);
                }
            }
            self.save_session();
            if self.want() != Want::Connected {
                return;
            }
            if !self.inner.config.auto_reconnect {
                self.inner.lock().want = Want::Idle;
                return;
            }
            if let Some(reason_code) = self.refused.take() {
                let changed = self.inner.lock().dial_generation != generation;
                if is_final_refusal(reason_code)
                    && !self.inner.config.reconnect_after_refusal
                    && !changed
                {
                    tracing::warn!(
                        ?reason_code,
                        "connection refused for good: stopped reconnecting"
                    );
                    self.handler
                        .on_error(&ClientError::StoppedReconnecting { reason_code });
                    self.inner.lock().want = Want::Idle;
                    return;
                }
            }
            attempt += 1;
            if let Some(max) = self.inner.config.max_reconnect_attempts {
                if attempt > max {
                    tracing::warn!(max, "giving up reconnecting");
                    self.handler
                        .on_error(&ClientError::GaveUpReconnecting { attempts: max });
                    self.inner.lock().want = Want::Idle;
                    return;
                }
            }
            let random = (random_u64() >> 11) as f64 / (1u64 << 53) as f64;
            let delay = self.inner.config.backoff.delay(attempt, random);
            tracing::debug!(attempt, ?delay, "reconnecting");
            self.handler.on_reconnecting(attempt, delay);
            let deadline = now() + delay;
            while now() < deadline && self.want() == Want::Connected {
                self.idle(Some(deadline)).await;
            }
            if self.want() != Want::Connected {
                return;
            }
        }
    }

    /// Runs one network connection from CONNECT to close.
    async fn run_connection(&mut self, mut conn: MqttConnection) -> Ended {
        let version = self.inner.options.protocol_version();
        conn.set_version(version);
        if let Some(max) = self.inner.options.maximum_packet_size() {
            conn.set_max_incoming_packet_size(max);
        }
        let (mut rd, mut wr) = conn.into_split();
        self.inner.lock().session.start_connect(now());
        let mut was_connected = false;
        let mut applied_limit = false;
        // One timer for the connection, moved when the session's next deadline moves
        // (rarely: the keep-alive deadline is not pushed by every packet).
        let sleep = tokio::time::sleep_until(far_future());
        tokio::pin!(sleep);
        let mut armed: Option<Instant> = None;
        // One registration with the wake-up signal, renewed only when it fires (a fresh one per
        // turn of the loop would lock the signal's waiter list twice per turn).
        let inner = self.inner.clone();
        let woken = inner.wake.notified();
        tokio::pin!(woken);
        loop {
            // Output first: whatever the last input produced.
            let (closing, timer) = {
                let mut s = self.inner.lock();
                let t = now();
                if s.want == Want::Shutdown {
                    // Success with no properties is always a valid DISCONNECT.
                    let _ = s.session.disconnect(
                        t,
                        flowsdk_codec::ReasonCode::Success,
                        Default::default(),
                    );
                }
                let queued = s.session.queued_len();
                let mut budget = HIGH_WATER.saturating_sub(wr.queued_bytes());
                while budget > 0 {
                    match s.session.poll_packet(t) {
                        Some(p) => {
                            budget = budget.saturating_sub(approx_len(&p));
                            self.batch.push(p);
                        }
                        None => break,
                    }
                }
                let left = s.session.queued_len();
                if left < queued && left <= self.inner.config.buffer_capacity / 2 {
                    // Publishers waiting for buffer room (OverflowPolicy::Wait) try again once
                    // half of it is free: they refill it in one go instead of waking for every
                    // message that leaves.
                    self.inner.room.notify_waiters();
                }
                if !applied_limit && s.session.is_connected() {
                    applied_limit = true;
                    if let Some(max) = s.session.server_limits().maximum_packet_size {
                        wr.set_max_outgoing_packet_size(max);
                    }
                }
                (
                    s.session.state() == State::Disconnected,
                    s.session.poll_timeout(),
                )
            };
            for p in self.batch.drain(..) {
                if let Err(e) = wr.enqueue(&p) {
                    // The session checks limits before producing a packet; this is a guard.
                    tracing::error!(error = %e, "packet could not be encoded");
                    self.handler.on_error(&ClientError::from(e));
                }
            }
            was_connected |= self.dispatch();
            if closing {
                let _ = tokio::time::timeout(CLOSE_FLUSH, wr.shutdown()).await;
                return Ended { was_connected };
            }
            if timer != armed {
                armed = timer;
                let at = timer.map_or_else(far_future, tokio::time::Instant::from_std);
                sleep.as_mut().reset(at);
            }
            tokio::select! {
                biased;
                read = rd.read_packet() => {
                    let mut s = self.inner.lock();
                    let t = now();
                    let mut next = Some(read);
                    let mut handled = 0;
                    // Packets already buffered are handled in the same pass, under one lock.
                    while let Some(read) = next.take() {
                        match read {
                            Ok(Some(p)) => s.session.handle_packet(t, p),
                            Ok(None) => {
                                s.session.handle_connection_lost(t, "closed by the broker");
                                break;
                            }
                            Err(TransportError::Codec { source, .. }) => {
                                s.session.handle_decode_error(t, source);
                                break;
                            }
                            Err(e) => {
                                s.session.handle_connection_lost(t, e.to_string());
                                break;
                            }
                        }
                        handled += 1;
                        if handled == READ_BATCH || s.session.state() == State::Disconnected {
                            break;
                        }
                        // `read_packet` is cancel-safe: a packet not yet whole stays buffered,
                        // and one taken here is handled by the next turn of this loop.
                        next = rd.read_packet().now_or_never();
                    }
                }
                written = wr.flush(), if wr.queued_bytes() > 0 => {
                    if let Err(e) = written {
                        self.inner.lock().session.handle_connection_lost(now(), e.to_string());
                    }
                }
                _ = &mut woken => woken.set(inner.wake.notified()),
                _ = &mut sleep => {
                    // An elapsed sleep stays ready: park it until the next deadline is known.
                    armed = None;
                    sleep.as_mut().reset(far_future());
                    self.inner.lock().session.handle_timeout(now());
                }
            }
        }
    }

    /// Drains the session's events: resolves waiters and routes messages under the lock,
    /// then runs the handler's callbacks outside it. Returns whether a CONNACK success was
    /// among them.
    fn dispatch(&mut self) -> bool {
        let mut connected = false;
        {
            let mut guard = self.inner.lock();
            let s = &mut *guard;
            while let Some(event) = s.session.poll_event() {
                match &event {
                    Event::Connected(c) => {
                        connected = true;
                        s.last_connect = Some(c.clone());
                        for w in s.connect_waiters.drain(..) {
                            let _ = w.send(Ok(c.clone()));
                        }
                    }
                    Event::ConnectFailed(e) => {
                        if let ClientError::ConnectRefused { reason_code, .. } = e {
                            self.refused = Some(*reason_code);
                        }
                        for w in s.connect_waiters.drain(..) {
                            let _ = w.send(Err(e.clone()));
                        }
                    }
                    Event::Published(_) if s.waiters.is_empty() => {}
                    Event::Published(o) => {
                        if let Some(Waiter::Publish(w)) = s.waiters.remove(&o.ticket) {
                            let result = if o.reason_code.is_success() {
                                Ok(o.clone())
                            } else {
                                Err(refused(
                                    crate::error::Operation::Publish,
                                    o.reason_code,
                                    &o.properties,
                                ))
                            };
                            let _ = w.send(result);
                        }
                    }
                    Event::Subscribed(o) | Event::Unsubscribed(o) => {
                        let (op, w) = match s.waiters.remove(&o.ticket) {
                            Some(Waiter::Subscribe(w)) => {
                                (crate::error::Operation::Subscribe, Some(w))
                            }
                            Some(Waiter::Unsubscribe(w)) => {
                                (crate::error::Operation::Unsubscribe, Some(w))
                            }
                            _ => (crate::error::Operation::Subscribe, None),
                        };
                        if let Some(w) = w {
                            let result = match o.reason_codes.iter().find(|r| !r.is_success()) {
                                None => Ok(o.clone()),
                                Some(code) => Err(refused(op, *code, &o.properties)),
                            };
                            let _ = w.send(result);
                        }
                    }
                    Event::PingResponse { ticket: Some(t) } => {
                        // `ping` and `ping_sync` both register a waiter (with the send time);
                        // one that timed out is gone and is not reported.
                        let Some(Waiter::Ping(w, sent)) = s.waiters.remove(t) else {
                            continue;
                        };
                        let result = PingResult {
                            round_trip: now().saturating_duration_since(sent),
                        };
                        let _ = w.send(Ok(result));
                        self.ping_results.push_back(result);
                    }
                    Event::Reauthenticated { ticket } => {
                        if let Some(Waiter::Auth(w)) = s.waiters.remove(ticket) {
                            let _ = w.send(Ok(()));
                        }
                    }
                    Event::Dropped { ticket, reason, .. } => {
                        if let Some(w) = s.waiters.remove(ticket) {
                            fail(w, ClientError::Dropped { reason: *reason });
                        }
                    }
                    Event::OperationFailed { ticket, error } => {
                        if let Some(w) = s.waiters.remove(ticket) {
                            fail(w, error.clone());
                        }
                    }
                    // A response to our own request is not an application message.
                    Event::Message(p) if route(s, p, &mut self.dropped_incoming) => continue,
                    _ => {}
                }
                self.calls.push(event);
            }
            if !s.session.is_connected() && s.want != Want::Connected {
                for w in s.connect_waiters.drain(..) {
                    let _ = w.send(Err(ClientError::NotConnected));
                }
            }
        }
        for topic in self.dropped_incoming.drain(..) {
            self.handler
                .on_message_dropped(&topic, DroppedMessage::StreamFull);
        }
        let calls = std::mem::take(&mut self.calls);
        for event in &calls {
            self.call(event);
        }
        self.calls = calls;
        self.calls.clear();
        connected
    }

    fn call(&mut self, event: &Event) {
        let h = &mut self.handler;
        match event {
            Event::Connected(c) => h.on_connected(c),
            Event::ConnectFailed(e) => h.on_connect_failed(e),
            Event::Disconnected(cause) => h.on_disconnected(cause),
            Event::Message(p) => h.on_message_received(p),
            Event::Published(o) => {
                h.on_published(o);
                match o.qos {
                    flowsdk_codec::QoS::AtLeastOnce => h.on_puback(o),
                    flowsdk_codec::QoS::ExactlyOnce => h.on_pubcomp(o),
                    flowsdk_codec::QoS::AtMostOnce => {}
                }
            }
            Event::PubRec {
                packet_id,
                reason_code,
                ..
            } => h.on_pubrec(*packet_id, *reason_code),
            Event::Subscribed(o) | Event::SubscriptionRestored(o) => h.on_subscribed(o),
            Event::Unsubscribed(o) => h.on_unsubscribed(o),
            Event::PingResponse { ticket: Some(_) } => {
                if let Some(result) = self.ping_results.pop_front() {
                    h.on_ping_response(&result);
                }
            }
            Event::PingResponse { ticket: None } => {}
            Event::Auth {
                reason_code,
                properties,
            } => h.on_auth(*reason_code, properties),
            Event::Dropped { topic, reason, .. } => {
                h.on_message_dropped(topic, DroppedMessage::Outgoing(*reason))
            }
            Event::OperationFailed { error, .. } => h.on_error(error),
            Event::SessionLost {
                requeued,
                resubscribed,
            } => h.on_session_lost(*requeued, *resubscribed),
            Event::Reauthenticated { .. } => {}
        }
    }

    fn fail_connect_waiters(&mut self, error: &ClientError) {
        let mut s = self.inner.lock();
        for w in s.connect_waiters.drain(..) {
            let _ = w.send(Err(error.clone()));
        }
    }

    fn resolve_disconnect_waiters(&mut self) {
        let mut s = self.inner.lock();
        for w in s.disconnect_waiters.drain(..) {
            let _ = w.send(Ok(()));
        }
    }

    fn save_session(&mut self) {
        let Some(store) = self.inner.config.session_store.clone() else {
            return;
        };
        let state = self.inner.lock().session.snapshot();
        // Saved under the configured id, which is what the next client loads by; the state
        // carries the broker-assigned id, if any, for the reconnect.
        if let Err(e) = store.save(self.inner.options.client_id(), &state) {
            self.handler.on_error(&e);
        }
    }

    /// Every handle is gone: the connection was closed by `run_connection` (the session is
    /// disconnected); save the session, or report buffered messages as dropped.
    fn shutdown(&mut self) {
        if self.inner.config.session_store.is_some() {
            self.save_session();
        } else {
            self.inner.lock().session.drain_queue();
        }
        self.dispatch();
        let mut s = self.inner.lock();
        for (_, w) in s.waiters.drain() {
            fail(w, ClientError::Closed);
        }
        for w in s.disconnect_waiters.drain(..) {
            let _ = w.send(Ok(()));
        }
        s.streams.clear();
        s.requests.clear();
        drop(s);
        // Publishers waiting for buffer room see the shutdown.
        self.inner.room.notify_waiters();
        tracing::debug!("client shut down");
    }
}

/// A CONNACK refusal that another try with the same peer and credentials cannot fix. The
/// 3.1.1 return codes 1, 2, 4 and 5 decode to 0x84, 0x85, 0x86 and 0x87.
fn is_final_refusal(code: ReasonCode) -> bool {
    matches!(
        code,
        ReasonCode::UnsupportedProtocolVersion
            | ReasonCode::ClientIdentifierNotValid
            | ReasonCode::BadUserNameOrPassword
            | ReasonCode::NotAuthorized
            | ReasonCode::Banned
            | ReasonCode::BadAuthenticationMethod
    )
}

fn refused(
    operation: crate::error::Operation,
    reason_code: flowsdk_codec::ReasonCode,
    properties: &flowsdk_codec::Properties,
) -> ClientError {
    ClientError::Refused {
        operation,
        reason_code,
        reason_string: properties.reason_string().map(|s| s.as_str().to_string()),
    }
}

fn fail(waiter: Waiter, error: ClientError) {
    match waiter {
        Waiter::Publish(w) => drop(w.send(Err(error))),
        Waiter::Subscribe(w) | Waiter::Unsubscribe(w) => drop(w.send(Err(error))),
        Waiter::Ping(w, _) => drop(w.send(Err(error))),
        Waiter::Auth(w) => drop(w.send(Err(error))),
    }
}

/// Routes an incoming message to a waiting request (returns `true`: consumed) or to the
/// message streams whose filters match it.
fn route(
    s: &mut super::shared::Shared,
    p: &Publish,
    dropped: &mut Vec<flowsdk_codec::TopicName>,
) -> bool {
    if !s.requests.is_empty() {
        if let Some(c) = p.properties.correlation_data() {
            if s.response_topic.as_deref() == Some(p.topic.as_str()) {
                if let Some(tx) = s.requests.remove(&c) {
                    let _ = tx.send(p.clone());
                    return true;
                }
            }
        }
    }
    if s.streams.is_empty() {
        return false;
    }
    s.streams.retain(|route| {
        if !route.filters.iter().any(|f| f.matches(&p.topic)) {
            return !route.tx.is_closed();
        }
        match route.tx.try_send(p.clone()) {
            Ok(()) => true,
            Err(tokio::sync::mpsc::error::TrySendError::Full(_)) => {
                dropped.push(p.topic.clone());
                true
            }
            Err(tokio::sync::mpsc::error::TrySendError::Closed(_)) => false,
        }
    });
    false
}

/// A cheap upper estimate of a packet's size, for the write high-water mark.
fn approx_len(p: &Packet) -> usize {
    match p {
        Packet::Publish(p) => 16 + p.topic.len() + p.payload.len() + p.properties.len() * 16,
        _ => 32,
    }
}

async fn sleep_until(at: Option<Instant>) {
    match at {
        Some(at) => tokio::time::sleep_until(tokio::time::Instant::from_std(at)).await,
        None => std::future::pending().await,
    }
}
