//! The client session state machine driven by a script read from arbitrary bytes; see
//! `flowsdk_fuzz::fuzz_client_session` for what is checked.

#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| flowsdk_fuzz::fuzz_client_session(data));
