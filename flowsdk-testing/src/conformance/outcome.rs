//! `Outcome`: what one conformance case concluded about the broker.

use std::fmt;

/// What one [`Case`](super::Case) concluded about the broker under test.
///
/// `Fail` is a finding about the broker; `Error` is a problem of the harness or the network
/// (the broker could not be reached, a case did not finish in time, the harness built a packet
/// its own codec refuses) and says nothing about conformance.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Outcome {
    /// The broker did what every checked statement requires.
    Pass,
    /// The broker broke a checked statement.
    Fail {
        /// What the statement requires, as observed on the wire.
        expected: String,
        /// What the broker did instead.
        seen: String,
    },
    /// The case does not apply: the broker declined an optional feature the case needs (its
    /// CONNACK says so, or it refused the feature in a way the specification allows).
    NotApplicable {
        /// Why the case does not apply.
        why: String,
    },
    /// The harness or the network failed; the case says nothing about the broker.
    Error {
        /// What went wrong.
        what: String,
    },
}

impl Outcome {
    /// A [`Outcome::Fail`].
    pub fn fail(expected: impl Into<String>, seen: impl Into<String>) -> Outcome {
        Outcome::Fail {
            expected: expected.into(),
            seen: seen.into(),
        }
    }

    /// A [`Outcome::NotApplicable`].
    pub fn not_applicable(why: impl Into<String>) -> Outcome {
        Outcome::NotApplicable { why: why.into() }
    }

    /// An [`Outcome::Error`].
    pub fn error(what: impl Into<String>) -> Outcome {
        Outcome::Error { what: what.into() }
    }

    /// `true` for [`Outcome::Pass`].
    pub fn is_pass(&self) -> bool {
        matches!(self, Outcome::Pass)
    }

    /// `true` for [`Outcome::Fail`].
    pub fn is_fail(&self) -> bool {
        matches!(self, Outcome::Fail { .. })
    }

    /// `true` for [`Outcome::NotApplicable`].
    pub fn is_not_applicable(&self) -> bool {
        matches!(self, Outcome::NotApplicable { .. })
    }

    /// `true` for [`Outcome::Error`].
    pub fn is_error(&self) -> bool {
        matches!(self, Outcome::Error { .. })
    }

    /// The word the runner prints first on a case's line: `PASS`, `FAIL`, `SKIP` or `ERROR`.
    pub fn label(&self) -> &'static str {
        match self {
            Outcome::Pass => "PASS",
            Outcome::Fail { .. } => "FAIL",
            Outcome::NotApplicable { .. } => "SKIP",
            Outcome::Error { .. } => "ERROR",
        }
    }
}

impl fmt::Display for Outcome {
    /// `pass`, `fail: expected …, seen …`, `skip: …` or `error: …`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Outcome::Pass => f.write_str("pass"),
            Outcome::Fail { expected, seen } => write!(f, "fail: expected {expected}, seen {seen}"),
            Outcome::NotApplicable { why } => write!(f, "skip: {why}"),
            Outcome::Error { what } => write!(f, "error: {what}"),
        }
    }
}

/// The result of a step inside a case: `Err` carries the outcome that ends the case early
/// (a failure, "not applicable", or a harness error), so steps chain with `?`.
pub type Check<T = ()> = Result<T, Outcome>;

/// Turns a case body's result into its outcome: `Ok` is a pass.
pub(crate) fn finish(result: Check) -> Outcome {
    match result {
        Ok(()) => Outcome::Pass,
        Err(outcome) => outcome,
    }
}

/// Fails the case with `expected`/`seen` unless `condition` holds.
pub(crate) fn ensure(condition: bool, expected: &str, seen: impl FnOnce() -> String) -> Check {
    if condition {
        Ok(())
    } else {
        Err(Outcome::fail(expected, seen()))
    }
}
