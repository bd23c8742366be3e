//! The side-by-side summary printed after criterion has run.
//!
//! Criterion writes each benchmark's estimates to
//! `<target>/criterion/<group>/<function>/new/estimates.json`. This module reads them back for
//! every case, pairs the `flowsdk` and `rumqttc` functions of a group, and renders a table with
//! both times, throughputs and the speed-up, ending in one summary line that says whether each
//! direction met its target.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::time::SystemTime;

/// The function name FlowSDK's side of a group is benchmarked under.
pub const FLOWSDK: &str = "flowsdk";
/// The function name rumqttc's side of a group is benchmarked under.
pub const RUMQTTC: &str = "rumqttc";

/// Whether a case decodes or encodes; each direction has its own target.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Direction {
    /// Bytes to packet values.
    Decode,
    /// Packet values to bytes.
    Encode,
}

impl Direction {
    fn name(self) -> &'static str {
        match self {
            Direction::Decode => "decode",
            Direction::Encode => "encode",
        }
    }
}

/// One benchmark group: the same workload run by both codecs.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Case {
    /// The criterion group name, also its directory under `criterion/`; use only
    /// `[A-Za-z0-9_-]` so that criterion does not rewrite it.
    pub group: String,
    /// Decode or encode.
    pub direction: Direction,
    /// Bytes processed per iteration (the wire size of the workload).
    pub bytes: u64,
}

/// The speed-up FlowSDK must show over rumqttc in each direction.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Targets {
    /// Minimum `rumqttc time / flowsdk time` for decode cases.
    pub decode: f64,
    /// Minimum `rumqttc time / flowsdk time` for encode cases.
    pub encode: f64,
}

impl Default for Targets {
    /// Decode 2x, encode 1.5x.
    fn default() -> Self {
        Targets {
            decode: 2.0,
            encode: 1.5,
        }
    }
}

impl Targets {
    fn for_direction(&self, direction: Direction) -> f64 {
        match direction {
            Direction::Decode => self.decode,
            Direction::Encode => self.encode,
        }
    }
}

/// Criterion's estimate of the time one iteration takes, in nanoseconds.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Estimate {
    /// The point estimate criterion prints as `time:` (the slope when it has one, else the
    /// mean).
    pub ns: f64,
    /// Lower bound of its confidence interval.
    pub lower_ns: f64,
    /// Upper bound of its confidence interval.
    pub upper_ns: f64,
}

/// Where criterion writes its results: `$CRITERION_HOME`, else `criterion/` in the target
/// directory (`$CARGO_TARGET_DIR`, else the one `cargo metadata` names), else
/// `target/criterion` — the same search criterion itself makes.
pub fn criterion_dir() -> PathBuf {
    if let Some(home) = std::env::var_os("CRITERION_HOME") {
        return PathBuf::from(home);
    }
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .or_else(cargo_metadata_target_dir)
        .unwrap_or_else(|| PathBuf::from("target"));
    target.join("criterion")
}

fn cargo_metadata_target_dir() -> Option<PathBuf> {
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let output = std::process::Command::new(cargo)
        .args(["metadata", "--format-version", "1", "--no-deps"])
        .output()
        .ok()?;
    let metadata: serde_json::Value = serde_json::from_slice(&output.stdout).ok()?;
    metadata["target_directory"].as_str().map(PathBuf::from)
}

/// Parses an `estimates.json` written by criterion.
pub fn parse_estimates(json: &str) -> Option<Estimate> {
    let v: serde_json::Value = serde_json::from_str(json).ok()?;
    let typical = if v["slope"].is_object() {
        &v["slope"]
    } else {
        &v["mean"]
    };
    Some(Estimate {
        ns: typical["point_estimate"].as_f64()?,
        lower_ns: typical["confidence_interval"]["lower_bound"].as_f64()?,
        upper_ns: typical["confidence_interval"]["upper_bound"].as_f64()?,
    })
}

/// Reads the estimate of `group`/`function` under `dir`, ignoring a result older than `since`
/// (left by an earlier run that measured cases this one skipped).
pub fn read_estimate(
    dir: &Path,
    group: &str,
    function: &str,
    since: Option<SystemTime>,
) -> Option<Estimate> {
    let path = dir
        .join(group)
        .join(function)
        .join("new")
        .join("estimates.json");
    if let Some(since) = since {
        let modified = std::fs::metadata(&path).ok()?.modified().ok()?;
        if modified < since {
            return None;
        }
    }
    parse_estimates(&std::fs::read_to_string(&path).ok()?)
}

/// Both sides of a case timed in alternation, and its floor where it has one: the lower decile
/// of each side's per-iteration times, one sample per turn. Other load on the machine only ever
/// slows a turn down, so the fast turns are the ones that measured the code rather than the
/// neighbours; the decile, not the minimum, keeps one lucky turn from deciding.
///
/// A floor is the buffer work no codec can skip and still give the same result: copying the
/// finished frame into the output buffer once (encode), or splitting the frame off the input
/// and taking zero-copy handles on its topic and payload (decode). No parsing, no checks.
///
/// A bound is what flowsdk's way of doing the case would take if the work the target would
/// have to do away with cost nothing: for PUBLISH encode, a writer that checks nothing and
/// writes the same bytes from the packet's parts in the fewest safe buffer writes; for the
/// mixed decode, flowsdk's decoder on the same packets without their property blocks.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Interleaved {
    /// FlowSDK's time per iteration, nanoseconds.
    pub flowsdk_ns: f64,
    /// rumqttc's time per iteration, nanoseconds.
    pub rumqttc_ns: f64,
    /// The floor's time per iteration, nanoseconds, for cases that have one.
    pub floor_ns: Option<f64>,
    /// The bound's time per iteration, nanoseconds, for cases that have one.
    pub bound_ns: Option<f64>,
    /// Turns each side had.
    pub rounds: usize,
}

impl Interleaved {
    /// The lower deciles of per-iteration times, one sample per turn and side.
    ///
    /// # Panics
    /// When a sample list is empty or contains NaN.
    pub fn from_samples(
        flowsdk: &mut [f64],
        rumqttc: &mut [f64],
        floor: Option<&mut [f64]>,
    ) -> Interleaved {
        Interleaved {
            flowsdk_ns: lower_decile(flowsdk),
            rumqttc_ns: lower_decile(rumqttc),
            floor_ns: floor.map(lower_decile),
            bound_ns: None,
            rounds: flowsdk.len().min(rumqttc.len()),
        }
    }

    /// The same, with the bound's samples.
    ///
    /// # Panics
    /// As [`Interleaved::from_samples`].
    pub fn with_bound(mut self, bound: &mut [f64]) -> Interleaved {
        self.bound_ns = Some(lower_decile(bound));
        self
    }

    /// `rumqttc / flowsdk`.
    pub fn speedup(&self) -> f64 {
        self.rumqttc_ns / self.flowsdk_ns
    }

    /// The largest speed-up any codec could show: `rumqttc / floor`.
    pub fn max_speedup(&self) -> Option<f64> {
        self.floor_ns.map(|floor| self.rumqttc_ns / floor)
    }

    /// The speed-up flowsdk would show if the work the bound leaves out cost nothing:
    /// `rumqttc / bound`.
    pub fn bound_speedup(&self) -> Option<f64> {
        self.bound_ns.map(|bound| self.rumqttc_ns / bound)
    }
}

fn lower_decile(samples: &mut [f64]) -> f64 {
    samples.sort_by(|a, b| a.partial_cmp(b).expect("no NaN among timings"));
    samples[samples.len() / 10]
}

/// One case measured on both codecs.
#[derive(Clone, Debug, PartialEq)]
pub struct Row {
    /// The case.
    pub case: Case,
    /// FlowSDK's time.
    pub flowsdk: Estimate,
    /// rumqttc's time.
    pub rumqttc: Estimate,
    /// The interleaved pass over the same case, when it ran.
    pub interleaved: Option<Interleaved>,
}

impl Row {
    /// How many times faster FlowSDK is: `rumqttc time / flowsdk time`, which is also the
    /// ratio of their throughputs.
    pub fn speedup(&self) -> f64 {
        self.rumqttc.ns / self.flowsdk.ns
    }

    /// The speed-up a verdict rests on: the lower of criterion's and the interleaved pass's,
    /// so that a case counts as met only when both measurements say so.
    pub fn verdict_speedup(&self) -> f64 {
        match self.interleaved {
            Some(i) => self.speedup().min(i.speedup()),
            None => self.speedup(),
        }
    }

    /// The largest speed-up any codec could show, from the interleaved pass.
    pub fn max_speedup(&self) -> Option<f64> {
        self.interleaved.and_then(|i| i.max_speedup())
    }

    /// `true` when even the floor is slower than the target asks: the target cannot be met by
    /// any codec producing the same result.
    pub fn target_below_floor(&self, targets: Targets) -> bool {
        self.max_speedup()
            .is_some_and(|max| max < targets.for_direction(self.case.direction))
    }

    /// `true` when even the bound is slower than the target asks: flowsdk would miss the
    /// target with the left-out work (checks, property blocks) costing nothing.
    pub fn target_beyond_bound(&self, targets: Targets) -> bool {
        self.interleaved
            .and_then(|i| i.bound_speedup())
            .is_some_and(|b| b < targets.for_direction(self.case.direction))
    }
}

/// The rows of `cases` whose both sides have a result in `dir` no older than `since`.
pub fn collect(dir: &Path, cases: &[Case], since: Option<SystemTime>) -> Vec<Row> {
    cases
        .iter()
        .filter_map(|case| {
            Some(Row {
                case: case.clone(),
                flowsdk: read_estimate(dir, &case.group, FLOWSDK, since)?,
                rumqttc: read_estimate(dir, &case.group, RUMQTTC, since)?,
                interleaved: None,
            })
        })
        .collect()
}

fn format_time(ns: f64) -> String {
    if ns < 1e3 {
        format!("{ns:.1} ns")
    } else if ns < 1e6 {
        format!("{:.2} µs", ns / 1e3)
    } else {
        format!("{:.2} ms", ns / 1e6)
    }
}

fn format_throughput(bytes: u64, ns: f64) -> String {
    let per_second = bytes as f64 / (ns / 1e9);
    const MIB: f64 = 1024.0 * 1024.0;
    if per_second >= 1024.0 * MIB {
        format!("{:.2} GiB/s", per_second / (1024.0 * MIB))
    } else {
        format!("{:.1} MiB/s", per_second / MIB)
    }
}

/// The markdown table of `rows`, one line per case: criterion's estimates, then the
/// interleaved pass, then the verdict.
pub fn table(rows: &[Row], targets: Targets) -> String {
    let mut out = String::new();
    out.push_str(
        "| case | bytes | flowsdk | rumqttc | flowsdk thrpt | rumqttc thrpt | speed-up \
         | interleaved flowsdk | interleaved rumqttc | floor | interleaved speed-up \
         | max speed-up | bound speed-up | target |\n",
    );
    out.push_str(
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- |\n",
    );
    let dash = || "-".to_owned();
    for row in rows {
        let target = targets.for_direction(row.case.direction);
        let verdict = if row.verdict_speedup() >= target {
            "met"
        } else if row.target_below_floor(targets) {
            "missed, below floor"
        } else if row.target_beyond_bound(targets) {
            "missed, beyond bound"
        } else {
            "MISSED"
        };
        let i = row.interleaved;
        let _ = writeln!(
            out,
            "| {} | {} | {} | {} | {} | {} | {:.2}x | {} | {} | {} | {} | {} | {} | {:.1}x {} |",
            row.case.group,
            row.case.bytes,
            format_time(row.flowsdk.ns),
            format_time(row.rumqttc.ns),
            format_throughput(row.case.bytes, row.flowsdk.ns),
            format_throughput(row.case.bytes, row.rumqttc.ns),
            row.speedup(),
            i.map_or_else(dash, |i| format_time(i.flowsdk_ns)),
            i.map_or_else(dash, |i| format_time(i.rumqttc_ns)),
            i.and_then(|i| i.floor_ns).map_or_else(dash, format_time),
            i.map_or_else(dash, |i| format!("{:.2}x", i.speedup())),
            row.max_speedup().map_or_else(dash, |m| format!("{m:.2}x")),
            i.and_then(|i| i.bound_speedup())
                .map_or_else(dash, |b| format!("{b:.2}x")),
            target,
            verdict,
        );
    }
    out
}

/// The one-line verdict: the speed-up range per direction, the targets, and `met` or the
/// cases that missed.
pub fn summary_line(rows: &[Row], targets: Targets) -> String {
    let mut parts = Vec::new();
    for direction in [Direction::Decode, Direction::Encode] {
        let speedups: Vec<f64> = rows
            .iter()
            .filter(|r| r.case.direction == direction)
            .map(Row::verdict_speedup)
            .collect();
        if speedups.is_empty() {
            continue;
        }
        let min = speedups.iter().copied().fold(f64::INFINITY, f64::min);
        let max = speedups.iter().copied().fold(f64::NEG_INFINITY, f64::max);
        parts.push(format!("{} {min:.2}x-{max:.2}x", direction.name()));
    }
    let missed: Vec<&Row> = rows
        .iter()
        .filter(|r| r.verdict_speedup() < targets.for_direction(r.case.direction))
        .collect();
    let verdict = if missed.is_empty() {
        "met".to_owned()
    } else {
        let list: Vec<String> = missed
            .iter()
            .map(|r| format!("{} {:.2}x", r.case.group, r.verdict_speedup()))
            .collect();
        let below = missed
            .iter()
            .filter(|r| r.target_below_floor(targets))
            .count();
        let beyond = missed
            .iter()
            .filter(|r| !r.target_below_floor(targets) && r.target_beyond_bound(targets))
            .count();
        let mut verdict = format!("missed: {}", list.join(", "));
        let mut notes = Vec::new();
        if below > 0 {
            notes.push(format!(
                "{below} of them ask for less time than the floor any codec needs"
            ));
        }
        if beyond > 0 {
            notes.push(format!(
                "{beyond} more for less than flowsdk would take with the bound's work free"
            ));
        }
        if !notes.is_empty() {
            let _ = write!(verdict, " ({})", notes.join("; "));
        }
        verdict
    };
    format!(
        "codec bench: {} rumqttc (targets {}x / {}x): {verdict}",
        parts.join(", "),
        targets.decode,
        targets.encode,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    const ESTIMATES: &str = r#"{"mean":{"confidence_interval":{"confidence_level":0.95,"lower_bound":95.0,"upper_bound":105.0},"point_estimate":100.0,"standard_error":1.0},"median":{"confidence_interval":{"confidence_level":0.95,"lower_bound":90.0,"upper_bound":99.0},"point_estimate":98.0,"standard_error":1.0},"median_abs_dev":{"confidence_interval":{"confidence_level":0.95,"lower_bound":1.0,"upper_bound":2.0},"point_estimate":1.5,"standard_error":0.1},"slope":null,"std_dev":{"confidence_interval":{"confidence_level":0.95,"lower_bound":1.0,"upper_bound":2.0},"point_estimate":1.5,"standard_error":0.1}}"#;

    fn row(direction: Direction, flowsdk: f64, rumqttc: f64) -> Row {
        let est = |ns| Estimate {
            ns,
            lower_ns: ns,
            upper_ns: ns,
        };
        Row {
            case: Case {
                group: format!("{}_case_{flowsdk}", direction.name()),
                direction,
                bytes: 1024,
            },
            flowsdk: est(flowsdk),
            rumqttc: est(rumqttc),
            interleaved: None,
        }
    }

    #[test]
    fn the_mean_is_used_when_there_is_no_slope() {
        let e = parse_estimates(ESTIMATES).unwrap();
        assert_eq!((e.ns, e.lower_ns, e.upper_ns), (100.0, 95.0, 105.0));
    }

    #[test]
    fn the_slope_is_used_when_criterion_measured_one() {
        let json = ESTIMATES.replace(
            r#""slope":null"#,
            r#""slope":{"confidence_interval":{"confidence_level":0.95,"lower_bound":40.0,"upper_bound":60.0},"point_estimate":50.0,"standard_error":1.0}"#,
        );
        assert_eq!(parse_estimates(&json).unwrap().ns, 50.0);
    }

    #[test]
    fn results_older_than_the_run_are_ignored() {
        let dir = std::env::temp_dir().join(format!("flowsdk-report-{}", std::process::id()));
        for f in [FLOWSDK, RUMQTTC] {
            let d = dir.join("g").join(f).join("new");
            std::fs::create_dir_all(&d).unwrap();
            std::fs::write(d.join("estimates.json"), ESTIMATES).unwrap();
        }
        let case = Case {
            group: "g".into(),
            direction: Direction::Decode,
            bytes: 10,
        };
        assert_eq!(collect(&dir, std::slice::from_ref(&case), None).len(), 1);
        let later = SystemTime::now() + std::time::Duration::from_secs(3600);
        assert!(collect(&dir, &[case], Some(later)).is_empty());
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn the_summary_gives_ranges_and_names_the_cases_that_missed() {
        let rows = [
            row(Direction::Decode, 10.0, 30.0),
            row(Direction::Decode, 10.0, 25.0),
            row(Direction::Encode, 10.0, 12.0),
        ];
        let line = summary_line(&rows, Targets::default());
        assert_eq!(
            line,
            "codec bench: decode 2.50x-3.00x, encode 1.20x-1.20x rumqttc (targets 2x / 1.5x): \
             missed: encode_case_10 1.20x"
        );
        assert!(summary_line(&rows[..2], Targets::default()).ends_with(": met"));
    }

    #[test]
    fn the_table_has_a_line_per_case_with_times_and_throughput() {
        let t = table(
            &[row(Direction::Encode, 1_000.0, 2_000.0)],
            Targets::default(),
        );
        let line = t.lines().nth(2).unwrap();
        assert_eq!(
            line,
            "| encode_case_1000 | 1024 | 1.00 µs | 2.00 µs | 976.6 MiB/s | 488.3 MiB/s | 2.00x | - | - | - | - | - | - | 1.5x met |"
        );
    }

    #[test]
    fn a_case_is_met_only_when_both_measurements_say_so() {
        let mut r = row(Direction::Decode, 10.0, 25.0);
        // Ten turns each: the lower decile is the second fastest.
        let mut f = [30.0, 10.0, 11.0, 12.0, 13.0, 14.0, 15.0, 16.0, 17.0, 18.0];
        let mut g = [15.0, 16.0, 40.0, 17.0, 18.0, 19.0, 20.0, 21.0, 22.0, 23.0];
        r.interleaved = Some(Interleaved::from_samples(&mut f, &mut g, None));
        assert_eq!(r.interleaved.unwrap().rounds, 10);
        assert!((r.verdict_speedup() - 16.0 / 11.0).abs() < 1e-9);
        let line = summary_line(&[r], Targets::default());
        assert!(line.contains("missed: decode_case_10 1.45x"), "{line}");
    }

    #[test]
    fn a_target_faster_than_the_floor_is_reported_as_such() {
        let mut r = row(Direction::Encode, 10.0, 12.0);
        r.interleaved = Some(Interleaved::from_samples(
            &mut [10.0],
            &mut [12.0],
            Some(&mut [11.0]),
        ));
        assert!(r.target_below_floor(Targets::default()));
        let line = summary_line(&[r.clone()], Targets::default());
        assert!(line.ends_with("(1 of them ask for less time than the floor any codec needs)"));
        let t = table(&[r], Targets::default());
        assert!(
            t.contains(
                "| 10.0 ns | 12.0 ns | 11.0 ns | 1.20x | 1.09x | - | 1.5x missed, below floor |"
            ),
            "{t}"
        );
    }

    #[test]
    fn a_target_beyond_the_bound_is_reported_as_such() {
        // rumqttc 12 ns, the bound 10 ns: 1.2x even with the left-out work free.
        let mut r = row(Direction::Encode, 11.0, 12.0);
        r.interleaved =
            Some(Interleaved::from_samples(&mut [11.0], &mut [12.0], None).with_bound(&mut [10.0]));
        assert!(!r.target_below_floor(Targets::default()));
        assert!(r.target_beyond_bound(Targets::default()));
        let line = summary_line(&[r.clone()], Targets::default());
        assert!(
            line.ends_with("(1 more for less than flowsdk would take with the bound's work free)"),
            "{line}"
        );
        let t = table(&[r], Targets::default());
        assert!(
            t.contains("| 1.09x | - | 1.20x | 1.5x missed, beyond bound |"),
            "{t}"
        );
        // A bound fast enough leaves the verdict as it was.
        let mut r = row(Direction::Encode, 11.0, 12.0);
        r.interleaved =
            Some(Interleaved::from_samples(&mut [11.0], &mut [12.0], None).with_bound(&mut [4.0]));
        assert!(!r.target_beyond_bound(Targets::default()));
        assert!(table(&[r], Targets::default()).contains("| 3.00x | 1.5x MISSED |"));
    }
}
