//! # flowsdk-benches
//!
//! Criterion benchmarks for FlowSDK. The codec benchmark (`benches/codec.rs`) runs the same
//! workloads on `flowsdk-codec` and on rumqttc's MQTT 5.0 codec in one run, then prints a
//! table of both codecs' times and their ratio per case. The transport benchmark
//! (`benches/transport.rs`) measures packets per second through each `flowsdk-transport`
//! transport over loopback against raw TCP, and reads its results back with [`report`] too.
//!
//! This library holds what the benchmark targets share and what can be tested without running
//! them: the workloads ([`workload`]) and the summary read back from criterion's output
//! ([`report`]).
//!
//! ```text
//! cargo bench -p flowsdk-benches
//! ```

#![forbid(unsafe_code)]
#![warn(
    missing_docs,
    missing_debug_implementations,
    unreachable_pub,
    rust_2018_idioms
)]
#![cfg_attr(not(test), deny(clippy::unwrap_used))]

pub mod report;
pub mod workload;
