//! `Runner`: runs the cases one after another against a broker, each under a time limit.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use flowsdk_codec::{ProtocolVersion, QoS};
use flowsdk_transport::TransportConfig;
use tokio::time::Instant;

use super::packets::retained;
use super::report::Report;
use super::{cases, Case, CaseContext, Outcome, Timing};

/// The default time limit of one case.
pub const DEFAULT_CASE_TIMEOUT: Duration = Duration::from_secs(10);

/// What to run and how: the broker, the protocol version, a name filter, the time limits.
#[derive(Clone, Debug)]
#[must_use]
pub struct RunConfig {
    address: String,
    transport: TransportConfig,
    version: ProtocolVersion,
    filter: Option<String>,
    case_timeout: Duration,
    timing: Timing,
}

impl RunConfig {
    /// Runs the MQTT 5.0 cases against the broker at `address` (`host:port` is TCP; any
    /// address flowsdk-transport dials works with a matching [`RunConfig::transport`]).
    pub fn new(address: impl Into<String>) -> RunConfig {
        RunConfig {
            address: address.into(),
            transport: TransportConfig::default(),
            version: ProtocolVersion::V5,
            filter: None,
            case_timeout: DEFAULT_CASE_TIMEOUT,
            timing: Timing::default(),
        }
    }

    /// The transport configuration connections use (TLS, WebSocket...). Default: plain.
    pub fn transport(mut self, transport: TransportConfig) -> RunConfig {
        self.transport = transport;
        self
    }

    /// Which cases run: the 5.0 cases ([`ProtocolVersion::V5`], the default) or the 3.1.1
    /// cases ([`ProtocolVersion::V311`]).
    pub fn version(mut self, version: ProtocolVersion) -> RunConfig {
        self.version = version;
        self
    }

    /// Runs only the cases whose name or one of whose ids contains `filter`. Default: all.
    pub fn filter(mut self, filter: Option<String>) -> RunConfig {
        self.filter = filter;
        self
    }

    /// The time limit of each case; a case that exceeds it ends as [`Outcome::Error`].
    /// Default: [`DEFAULT_CASE_TIMEOUT`] (10 s).
    pub fn case_timeout(mut self, timeout: Duration) -> RunConfig {
        self.case_timeout = timeout;
        self
    }

    /// How long cases wait for packets. Default: [`Timing::default`].
    pub fn timing(mut self, timing: Timing) -> RunConfig {
        self.timing = timing;
        self
    }

    /// The broker's address.
    pub fn address(&self) -> &str {
        &self.address
    }
}

/// The outcome of one case.
#[derive(Clone, Debug)]
pub struct CaseResult {
    /// The case.
    pub case: &'static Case,
    /// What it concluded.
    pub outcome: Outcome,
    /// How long it took.
    pub elapsed: Duration,
}

impl CaseResult {
    /// The line the runner prints: `PASS name [ids]`, `FAIL name [ids]: expected …, seen …`,
    /// `SKIP name [ids]: why` or `ERROR name [ids]: what`.
    pub fn line(&self) -> String {
        let head = format!(
            "{} {} {}",
            self.outcome.label(),
            self.case.name,
            self.case.id_list()
        );
        match &self.outcome {
            Outcome::Pass => head,
            Outcome::Fail { expected, seen } => format!("{head}: expected {expected}, seen {seen}"),
            Outcome::NotApplicable { why } => format!("{head}: {why}"),
            Outcome::Error { what } => format!("{head}: {what}"),
        }
    }
}

/// Runs conformance cases against one broker, sequentially.
///
/// ```no_run
/// use flowsdk_testing::conformance::{RunConfig, Runner};
///
/// # async fn run() {
/// let runner = Runner::new(RunConfig::new("127.0.0.1:1883"));
/// let report = runner
///     .run_all(|n, total, result| println!("[{n}/{total}] {}", result.line()))
///     .await;
/// println!("{}", report.summary());
/// # }
/// ```
#[derive(Debug)]
pub struct Runner {
    config: RunConfig,
    run_id: String,
}

impl Runner {
    /// A runner with a fresh run identifier: client identifiers and topics of this run differ
    /// from every other run's, so retained messages or sessions left by an earlier run
    /// cannot leak into this one.
    pub fn new(config: RunConfig) -> Runner {
        Runner {
            config,
            run_id: fresh_run_id(),
        }
    }

    /// This run's identifier (six letters and digits), part of every client id and topic.
    pub fn run_id(&self) -> &str {
        &self.run_id
    }

    /// The cases this configuration selects, in suite order.
    pub fn cases(&self) -> Vec<&'static Case> {
        cases()
            .iter()
            .filter(|c| c.version == self.config.version)
            .filter(|c| match &self.config.filter {
                None => true,
                Some(f) => {
                    c.name.contains(f.as_str()) || c.ids.iter().any(|id| id.contains(f.as_str()))
                }
            })
            .collect()
    }

    /// Runs one case (`number` makes its names unique within the run) under the case time
    /// limit, then clears the retained messages it left.
    pub async fn run_case(&self, number: usize, case: &'static Case) -> CaseResult {
        let cx = CaseContext::new(
            &self.config.address,
            self.config.transport.clone(),
            self.config.timing,
            &self.run_id,
            number,
        );
        let started = Instant::now();
        let outcome =
            match tokio::time::timeout(self.config.case_timeout, (case.run)(cx.clone())).await {
                Ok(outcome) => outcome,
                Err(_) => Outcome::error(format!(
                    "the case did not finish within {:?}",
                    self.config.case_timeout
                )),
            };
        let elapsed = started.elapsed();
        clear_retained(&cx, case.version).await;
        CaseResult {
            case,
            outcome,
            elapsed,
        }
    }

    /// Runs every selected case in order, calling `on_result(number, total, result)` after
    /// each (numbers start at 1), and returns the report.
    pub async fn run_all(&self, mut on_result: impl FnMut(usize, usize, &CaseResult)) -> Report {
        let cases = self.cases();
        let total = cases.len();
        let mut results = Vec::with_capacity(total);
        for (i, case) in cases.into_iter().enumerate() {
            let result = self.run_case(i + 1, case).await;
            on_result(i + 1, total, &result);
            results.push(result);
        }
        Report::new(results)
    }
}

/// Publishes an empty retained message to every topic the case left a retained message on.
/// Best effort: a broker that cannot be reached any more keeps them, under this run's unique
/// prefix where no later run looks.
async fn clear_retained(cx: &CaseContext, version: ProtocolVersion) {
    let topics = cx.take_retained();
    if topics.is_empty() {
        return;
    }
    let connected = match version {
        ProtocolVersion::V311 => cx.client_v311().await,
        _ => cx.client().await.map(|(probe, _)| probe),
    };
    let Ok(mut probe) = connected else { return };
    for t in &topics {
        if let Ok(p) = retained(t, b"", QoS::AtMostOnce) {
            if probe.publish(p).await.is_err() {
                return;
            }
        }
    }
    let _ = probe.disconnect().await;
}

/// Six base-36 digits from the clock and the process id.
fn fresh_run_id() -> String {
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or_default();
    let mut n = (nanos ^ (u128::from(std::process::id()) << 40)) % 36u128.pow(6);
    let mut out = [b'0'; 6];
    for slot in out.iter_mut().rev() {
        let digit = (n % 36) as u8;
        *slot = if digit < 10 {
            b'0' + digit
        } else {
            b'a' + digit - 10
        };
        n /= 36;
    }
    String::from_utf8_lossy(&out).into_owned()
}
