//! `Case`: one conformance check, as data tagged with the statements it asserts.

use std::fmt;
use std::future::Future;
use std::pin::Pin;

use flowsdk_codec::ProtocolVersion;

use super::{CaseContext, Outcome};

/// The future a [`Case`] returns: it resolves to the case's [`Outcome`].
pub type CaseFuture = Pin<Box<dyn Future<Output = Outcome> + Send + 'static>>;

/// One conformance case: the normative statements it asserts, a name, the protocol version it
/// speaks, and the function that runs it against a broker.
///
/// Cases are data ([`cases`](super::cases) lists them all); each opens its own connections
/// through the [`CaseContext`] it is given, with client identifiers and topics unique to the
/// run and the case, so cases do not interfere and nothing leaks between runs.
#[derive(Clone, Copy)]
pub struct Case {
    /// The normative statement ids the case asserts, e.g. `MQTT-3.1.0-2`; MQTT 3.1.1 ids are
    /// written `MQTT-3.1.2-24 (3.1.1)` as they can name a different rule in 5.0.
    pub ids: &'static [&'static str],
    /// A unique name, `area.what_is_checked`, e.g. `connect.second_connect_is_a_protocol_error`.
    pub name: &'static str,
    /// The protocol version the case speaks (the runner runs 5.0 cases by default, 3.1.1
    /// cases with `--v3`).
    pub version: ProtocolVersion,
    /// Runs the case.
    pub run: fn(CaseContext) -> CaseFuture,
}

impl Case {
    /// The ids as the runner prints them: `[MQTT-3.1.0-2, MQTT-3.2.0-2]`.
    pub fn id_list(&self) -> String {
        format!("[{}]", self.ids.join(", "))
    }

    /// The area the case belongs to: its name up to the first `.`.
    pub fn area(&self) -> &'static str {
        self.name.split('.').next().unwrap_or(self.name)
    }
}

impl fmt::Debug for Case {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Case")
            .field("name", &self.name)
            .field("ids", &self.ids)
            .field("version", &self.version)
            .finish_non_exhaustive()
    }
}
