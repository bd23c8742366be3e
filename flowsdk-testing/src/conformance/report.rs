//! `Report`: the results of a run, its summary line and a Markdown table per statement.

use std::collections::BTreeMap;
use std::fmt;

use super::coverage::id_sort_key;
use super::runner::CaseResult;
use super::Outcome;

/// Counts of a run's outcomes.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Summary {
    /// Cases that passed.
    pub passed: usize,
    /// Cases that failed, harness errors included.
    pub failed: usize,
    /// Cases that did not apply to the broker.
    pub skipped: usize,
    /// Of the failed cases, those that ended in a harness or network error.
    pub errors: usize,
}

impl fmt::Display for Summary {
    /// `N passed, M failed, K skipped`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} passed, {} failed, {} skipped",
            self.passed, self.failed, self.skipped
        )
    }
}

/// The results of a run, in the order the cases ran.
#[derive(Clone, Debug, Default)]
pub struct Report {
    /// One result per case.
    pub results: Vec<CaseResult>,
}

impl Report {
    /// A report over `results`.
    pub fn new(results: Vec<CaseResult>) -> Report {
        Report { results }
    }

    /// The counts; [`Outcome::Error`] counts as failed (and in [`Summary::errors`]).
    pub fn summary(&self) -> Summary {
        let mut s = Summary::default();
        for r in &self.results {
            match r.outcome {
                Outcome::Pass => s.passed += 1,
                Outcome::NotApplicable { .. } => s.skipped += 1,
                Outcome::Error { .. } => {
                    s.failed += 1;
                    s.errors += 1;
                }
                _ => s.failed += 1,
            }
        }
        s
    }

    /// A Markdown table with one row per statement id the run checked, in specification
    /// order: `| id | case(s) | <result_heading> |`. A statement passes when every case
    /// checking it passed (cases that did not apply aside), fails with each failing case's
    /// detail, and is skipped when no case checking it applied.
    pub fn markdown(&self, result_heading: &str) -> String {
        let mut by_id: BTreeMap<(Vec<u32>, &str), Vec<&CaseResult>> = BTreeMap::new();
        for r in &self.results {
            for id in r.case.ids {
                by_id.entry((id_sort_key(id), id)).or_default().push(r);
            }
        }
        let mut out = format!("| id | case(s) | {result_heading} |\n| --- | --- | --- |\n");
        for ((_, id), results) in by_id {
            let names: Vec<String> = results
                .iter()
                .map(|r| format!("`{}`", r.case.name))
                .collect();
            let cell = statement_result(&results);
            out.push_str(&format!(
                "| {id} | {} | {} |\n",
                names.join("<br>"),
                escape(&cell)
            ));
        }
        out
    }
}

fn statement_result(results: &[&CaseResult]) -> String {
    let bad: Vec<String> = results
        .iter()
        .filter(|r| r.outcome.is_fail() || r.outcome.is_error())
        .map(|r| match &r.outcome {
            Outcome::Fail { expected, seen } => {
                format!("`{}`: expected {expected}, seen {seen}", r.case.name)
            }
            other => format!("`{}`: {other}", r.case.name),
        })
        .collect();
    if !bad.is_empty() {
        let word = if results.iter().any(|r| r.outcome.is_fail()) {
            "**fail**"
        } else {
            "error"
        };
        return format!("{word}: {}", bad.join("; "));
    }
    if results.iter().any(|r| r.outcome.is_pass()) {
        return "pass".to_string();
    }
    let why: Vec<String> = results
        .iter()
        .filter_map(|r| match &r.outcome {
            Outcome::NotApplicable { why } => Some(why.clone()),
            _ => None,
        })
        .collect();
    format!("skip: {}", why.join("; "))
}

fn escape(cell: &str) -> String {
    cell.replace('|', "\\|").replace('\n', " ")
}
