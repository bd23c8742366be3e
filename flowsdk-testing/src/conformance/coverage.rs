//! Which normative statements the suite asserts, against the statement lists it embeds.

use std::collections::BTreeSet;
use std::fmt;

use flowsdk_codec::ProtocolVersion;

use super::cases;

/// The MQTT 5.0 normative statements: id, section, applies_to, testable_over_wire, summary.
const MQTT5_TSV: &str = include_str!("../../data/mqtt5-normative.tsv");
/// The MQTT 3.1.1 normative statements, same columns.
const MQTT311_TSV: &str = include_str!("../../data/mqtt311-normative.tsv");

/// The suffix 3.1.1 ids carry in cases: `MQTT-3.1.2-24 (3.1.1)`.
pub const V311_SUFFIX: &str = " (3.1.1)";

/// One normative statement of the specification.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Statement {
    /// The id, e.g. `MQTT-3.1.0-2` (3.1.1 statements without the `(3.1.1)` suffix).
    pub id: &'static str,
    /// The section it is in, e.g. `3.1.2 CONNECT Variable Header`.
    pub section: &'static str,
    /// Who it binds: `server`, `client`, `both` or `codec`.
    pub applies_to: &'static str,
    /// Whether it can be checked by watching the wire.
    pub testable_over_wire: bool,
    /// A one-line summary.
    pub summary: &'static str,
}

impl Statement {
    /// `true` when a client can observe the statement of a server: it binds the server (or
    /// both sides, or the codec, whose rules a server enforces on what it receives) and is
    /// testable over the wire.
    pub fn is_server_observable(&self) -> bool {
        self.testable_over_wire && matches!(self.applies_to, "server" | "both" | "codec")
    }
}

/// The statements of `version`'s specification, in file order.
pub fn statements(version: ProtocolVersion) -> Vec<Statement> {
    let text = match version {
        ProtocolVersion::V311 => MQTT311_TSV,
        _ => MQTT5_TSV,
    };
    text.lines()
        .skip(1)
        .filter_map(|line| {
            let mut cols = line.split('\t');
            let id = cols.next()?.trim();
            let section = cols.next()?.trim();
            let applies_to = cols.next()?.trim();
            let testable = cols.next()?.trim();
            let summary = cols.next().unwrap_or("").trim();
            (!id.is_empty()).then_some(Statement {
                id,
                section,
                applies_to,
                testable_over_wire: testable == "yes",
                summary,
            })
        })
        .collect()
}

/// How much of a specification's server-observable statements the suite asserts.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Coverage {
    /// The protocol version.
    pub version: ProtocolVersion,
    /// Server-observable statement ids some case asserts, in specification order.
    pub covered: Vec<&'static str>,
    /// Server-observable statements no case asserts.
    pub uncovered: Vec<Statement>,
    /// The number of server-observable statements.
    pub total: usize,
    /// Ids cases claim that are not in the statement list (a typo, or a statement a client
    /// cannot observe); empty in a correct suite.
    pub unknown: Vec<&'static str>,
}

impl fmt::Display for Coverage {
    /// `covered X of Y server-observable statements`, then one line per uncovered statement.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "covered {} of {} server-observable statements",
            self.covered.len(),
            self.total
        )?;
        if !self.uncovered.is_empty() {
            writeln!(f, "uncovered:")?;
            for s in &self.uncovered {
                writeln!(f, "  {} ({}): {}", s.id, s.applies_to, s.summary)?;
            }
        }
        for id in &self.unknown {
            writeln!(f, "unknown id in a case: {id}")?;
        }
        Ok(())
    }
}

/// The MQTT 5.0 coverage: which server-observable statements of the embedded
/// `mqtt5-normative.tsv` the 5.0 cases assert.
pub fn coverage() -> Coverage {
    coverage_of(ProtocolVersion::V5)
}

/// The coverage of `version`'s cases over that version's statement list.
pub fn coverage_of(version: ProtocolVersion) -> Coverage {
    let all = statements(version);
    let claimed: BTreeSet<&'static str> = cases()
        .iter()
        .filter(|c| c.version == version)
        .flat_map(|c| c.ids.iter().copied())
        .collect();
    let bare = |id: &'static str| id.strip_suffix(V311_SUFFIX).unwrap_or(id);
    let observable: Vec<Statement> = all
        .iter()
        .copied()
        .filter(Statement::is_server_observable)
        .collect();
    let claimed_bare: BTreeSet<&'static str> = claimed.iter().map(|id| bare(id)).collect();
    let covered = observable
        .iter()
        .filter(|s| claimed_bare.contains(s.id))
        .map(|s| s.id)
        .collect();
    let uncovered = observable
        .iter()
        .filter(|s| !claimed_bare.contains(s.id))
        .copied()
        .collect();
    let unknown = claimed
        .iter()
        .copied()
        .filter(|id| !observable.iter().any(|s| s.id == bare(id)))
        .collect();
    Coverage {
        version,
        covered,
        uncovered,
        total: observable.len(),
        unknown,
    }
}

/// Sorts ids in specification order: `MQTT-3.1.2-10` after `MQTT-3.1.2-9`.
pub(crate) fn id_sort_key(id: &str) -> Vec<u32> {
    id.split(|c: char| !c.is_ascii_digit())
        .filter(|s| !s.is_empty())
        .map(|s| s.parse().unwrap_or(u32::MAX))
        .collect()
}
