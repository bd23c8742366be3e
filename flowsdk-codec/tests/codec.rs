//! flowsdk-codec's integration tests: one binary, one submodule per concern.
//!
//! - `spec`: the specification's tables (allowed properties, reason codes), written out here so
//!   the codec's own tables are checked against them rather than trusted.
//! - `strategies`: proptest generators for every valid packet of MQTT 5.0 and 3.1.1.
//! - `support`: helpers to build hand-written frames and assert exact errors.
//! - `known_answers`: exact bytes from the specification's examples.
//! - `round_trip`: encode → decode symmetry and `encoded_len` for every packet type and version.
//! - `decoder`: the incremental decoder under arbitrary splits and size limits.
//! - `robustness`: arbitrary and corrupted bytes never panic and never decode to a lie.
//! - `validation`: one test per normative rule, named as a sentence, citing the rule id.
//! - `features`: the `serde` and `tokio-codec` features.

mod codec {
    pub(crate) mod spec;
    pub(crate) mod strategies;
    pub(crate) mod support;

    mod decoder;
    mod features;
    mod known_answers;
    mod robustness;
    mod round_trip;
    mod validation;
}
