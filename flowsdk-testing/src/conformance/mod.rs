//! The MQTT conformance suite: cases, each tagged with the normative statements it asserts,
//! that check a broker over the wire with [`RawTestClient`](crate::RawTestClient).
//!
//! The suite runs against any broker (`mqtt-conformance --broker host:port`, or [`Runner`]
//! from a test). Every case opens its own connections with client identifiers and topics
//! unique to the run and the case, and clears the retained messages it creates; cases run one
//! at a time, each under a time limit. A case ends in an [`Outcome`]:
//!
//! - `Pass`: the broker did what every statement the case lists requires;
//! - `Fail { expected, seen }`: a finding about the broker;
//! - `NotApplicable { why }`: the broker declined an optional feature the case needs (its
//!   CONNACK says Shared Subscription Available = 0, Maximum QoS 1, no AUTH method...);
//! - `Error { what }`: the harness or the network failed.
//!
//! Areas, one file each: connect, session, will, retain, qos, topics, subscribe, shared,
//! subscription options, subscription identifiers, properties, topic alias, flow control,
//! packet size, expiry, keep alive, malformed packets, auth; and a smaller MQTT 3.1.1 set.
//! [`coverage`] says which statements of the embedded `mqtt5-normative.tsv` the suite
//! asserts.
//!
//! ```
//! use flowsdk_testing::conformance::{cases, coverage};
//!
//! assert!(cases().iter().all(|c| !c.ids.is_empty()));
//! let c = coverage();
//! println!("covered {} of {}", c.covered.len(), c.total);
//! ```

mod case;
mod context;
mod coverage;
mod outcome;
mod packets;
mod prelude;
mod probe;
mod report;
mod runner;

use flowsdk_codec::ProtocolVersion;

pub use case::{Case, CaseFuture};
pub use context::{CaseContext, Timing};
pub use coverage::{coverage, coverage_of, statements, Coverage, Statement, V311_SUFFIX};
pub use outcome::{Check, Outcome};
pub use report::{Report, Summary};
pub use runner::{CaseResult, RunConfig, Runner, DEFAULT_CASE_TIMEOUT};

/// Declares an area's `CASES`: `"name" [ids] => async_fn;` where `async_fn(CaseContext)`
/// returns a [`Check`] (`Ok` is a pass).
macro_rules! cases {
    ($version:ident; $( $name:literal [$($id:literal),+ $(,)?] => $f:ident; )*) => {
        pub(super) const CASES: &[$crate::conformance::Case] = &[
            $(
                $crate::conformance::Case {
                    ids: &[$($id),+],
                    name: $name,
                    version: flowsdk_codec::ProtocolVersion::$version,
                    run: |cx| Box::pin(async move {
                        $crate::conformance::outcome::finish($f(cx).await)
                    }),
                },
            )*
        ];
    };
}

mod auth;
mod connect;
mod expiry;
mod flow_control;
mod keep_alive;
mod malformed;
mod packet_size;
mod properties;
mod qos;
mod retain;
mod session;
mod shared;
mod subscribe;
mod subscription_identifiers;
mod subscription_options;
mod topic_alias;
mod topics;
mod v311;
mod will;

/// Every case of the suite, 5.0 and 3.1.1, in run order (grouped by area).
pub fn cases() -> &'static [Case] {
    static ALL: std::sync::OnceLock<Vec<Case>> = std::sync::OnceLock::new();
    ALL.get_or_init(|| {
        [
            connect::CASES,
            session::CASES,
            will::CASES,
            retain::CASES,
            qos::CASES,
            topics::CASES,
            subscribe::CASES,
            shared::CASES,
            subscription_options::CASES,
            subscription_identifiers::CASES,
            properties::CASES,
            topic_alias::CASES,
            flow_control::CASES,
            packet_size::CASES,
            expiry::CASES,
            keep_alive::CASES,
            malformed::CASES,
            auth::CASES,
            v311::CASES,
        ]
        .concat()
    })
}

/// The cases of one protocol version.
pub fn cases_for(version: ProtocolVersion) -> impl Iterator<Item = &'static Case> {
    cases().iter().filter(move |c| c.version == version)
}
