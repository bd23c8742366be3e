//! `CaseContext`: what a case knows about the broker and the run, and how it connects.

use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use flowsdk_codec::{ConnAck, Connect, MqttString, ProtocolVersion, ReasonCode};
use flowsdk_transport::TransportConfig;

use super::probe::Probe;
use super::{Check, Outcome};
use crate::RawTestClient;

/// The keep alive the cases' CONNECTs ask for unless a case says otherwise: long enough that
/// no case sees a keep-alive close it did not ask for, as the raw client never pings.
pub(crate) const CASE_KEEP_ALIVE: u16 = 60;

/// How long cases wait, set once per run.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Timing {
    /// How long a case waits for a packet the broker must send (a CONNACK, a delivery, the
    /// connection to close). Default: 3 s.
    pub wait: Duration,
    /// How long a case watches for a packet the broker must not send. Default: 500 ms.
    pub quiet: Duration,
}

impl Default for Timing {
    fn default() -> Self {
        Timing {
            wait: Duration::from_secs(3),
            quiet: Duration::from_millis(500),
        }
    }
}

#[derive(Debug)]
struct Target {
    address: String,
    transport: TransportConfig,
    timing: Timing,
}

/// What a running [`Case`](super::Case) is given: the broker's address and transport, the
/// run's timing, and names unique to this run and case (client identifiers, a topic prefix).
///
/// Retained messages a case publishes through its connections are remembered here, and the
/// runner clears them when the case ends, whatever its outcome.
#[derive(Clone, Debug)]
pub struct CaseContext {
    target: Arc<Target>,
    /// `<run><case number>`: the stem of client identifiers, letters and digits only.
    tag: String,
    /// `flowsdk-conformance/<run>/<case number>`: the root of every topic the case uses.
    prefix: String,
    next_client: Arc<AtomicU32>,
    retained: Arc<Mutex<Vec<String>>>,
}

impl CaseContext {
    /// A context for case number `case` of run `run` (a short string of letters and digits).
    pub(crate) fn new(
        address: &str,
        transport: TransportConfig,
        timing: Timing,
        run: &str,
        case: usize,
    ) -> CaseContext {
        CaseContext {
            target: Arc::new(Target {
                address: address.to_string(),
                transport,
                timing,
            }),
            tag: format!("{run}{case:03}"),
            prefix: format!("flowsdk-conformance/{run}/{case:03}"),
            next_client: Arc::new(AtomicU32::new(0)),
            retained: Arc::new(Mutex::new(Vec::new())),
        }
    }

    /// The broker's address.
    pub fn address(&self) -> &str {
        &self.target.address
    }

    /// The run's timing.
    pub fn timing(&self) -> Timing {
        self.target.timing
    }

    /// How long to wait for a packet the broker must send.
    pub(crate) fn wait(&self) -> Duration {
        self.target.timing.wait
    }

    /// How long to watch for a packet the broker must not send.
    pub(crate) fn quiet(&self) -> Duration {
        self.target.timing.quiet
    }

    /// The topic `suffix` under this case's prefix.
    pub fn topic(&self, suffix: &str) -> String {
        format!("{}/{suffix}", self.prefix)
    }

    /// This case's topic prefix (no trailing `/`).
    pub fn prefix(&self) -> &str {
        &self.prefix
    }

    /// A client identifier no other case or run uses: at most 23 letters and digits, which
    /// every server must accept [MQTT-3.1.3-5].
    pub fn client_id(&self) -> String {
        let n = self.next_client.fetch_add(1, Ordering::Relaxed);
        format!("fc{}{n:02}", self.tag)
    }

    /// Remembers a topic that now holds a retained message, for the runner to clear.
    pub(crate) fn remember_retained(&self, topic: &str) {
        remember(&self.retained, topic);
    }

    /// The retained topics remembered so far, emptied.
    pub(crate) fn take_retained(&self) -> Vec<String> {
        std::mem::take(&mut *self.retained.lock().unwrap_or_else(PoisonError::into_inner))
    }

    /// Opens a connection without sending anything.
    pub(crate) async fn dial(&self) -> Check<Probe> {
        let client = RawTestClient::connect(self.address(), self.target.transport.clone())
            .await
            .map_err(|e| Outcome::error(format!("connecting to {}: {e}", self.address())))?;
        Ok(Probe::new(
            client,
            self.target.timing,
            Arc::clone(&self.retained),
        ))
    }

    /// An MQTT 5.0 CONNECT for `client_id`: Clean Start, keep alive 60 s, no properties.
    pub(crate) fn connect_packet(&self, client_id: &str) -> Check<Connect> {
        let id = MqttString::new(client_id)
            .map_err(|e| Outcome::error(format!("client id {client_id:?}: {e}")))?;
        let mut connect = Connect::new(id);
        connect.protocol_version = ProtocolVersion::V5;
        connect.clean_start = true;
        connect.keep_alive = CASE_KEEP_ALIVE;
        Ok(connect)
    }

    /// As [`CaseContext::connect_packet`], in MQTT 3.1.1.
    pub(crate) fn connect_packet_v311(&self, client_id: &str) -> Check<Connect> {
        let mut connect = self.connect_packet(client_id)?;
        connect.protocol_version = ProtocolVersion::V311;
        Ok(connect)
    }

    /// Dials and sends `connect`; returns the connection and the CONNACK, whatever its code.
    pub(crate) async fn open(&self, connect: Connect) -> Check<(Probe, ConnAck)> {
        let mut probe = self.dial().await?;
        let ack = probe.connect(connect).await?;
        Ok((probe, ack))
    }

    /// Dials and sends `connect`; fails the case unless the CONNACK accepts it.
    pub(crate) async fn connect(&self, connect: Connect) -> Check<(Probe, ConnAck)> {
        let (probe, ack) = self.open(connect).await?;
        if ack.reason_code != ReasonCode::Success {
            return Err(Outcome::fail(
                "CONNACK 0x00 (Success) for a valid CONNECT",
                format!("CONNACK {}", ack.reason_code),
            ));
        }
        Ok((probe, ack))
    }

    /// A connected MQTT 5.0 client with a fresh identifier and default options, and its
    /// CONNACK.
    pub(crate) async fn client(&self) -> Check<(Probe, ConnAck)> {
        let id = self.client_id();
        self.connect(self.connect_packet(&id)?).await
    }

    /// A connected MQTT 3.1.1 client with a fresh identifier (Clean Session).
    pub(crate) async fn client_v311(&self) -> Check<Probe> {
        let id = self.client_id();
        Ok(self.connect(self.connect_packet_v311(&id)?).await?.0)
    }
}

pub(crate) fn remember(list: &Mutex<Vec<String>>, topic: &str) {
    let mut list = list.lock().unwrap_or_else(PoisonError::into_inner);
    if !list.iter().any(|t| t == topic) {
        list.push(topic.to_string());
    }
}
