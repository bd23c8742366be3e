//! Every public decoding function of flowsdk-codec on arbitrary bytes; see
//! `flowsdk_fuzz::fuzz_parser_funs` for what is checked.

#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| flowsdk_fuzz::fuzz_parser_funs(data));
