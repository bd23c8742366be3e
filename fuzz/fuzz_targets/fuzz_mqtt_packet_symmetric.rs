//! decode -> encode -> decode symmetry of MQTT packets in both versions; see
//! `flowsdk_fuzz::fuzz_mqtt_packet_symmetric` for what is checked.

#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| flowsdk_fuzz::fuzz_mqtt_packet_symmetric(data));
