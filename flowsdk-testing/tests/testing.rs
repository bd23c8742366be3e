//! Integration tests of flowsdk-testing: the raw client and the Mosquitto launcher against a
//! real Mosquitto (skipped, passing, where it is not installed), one binary with a module per
//! tool.

mod testing {
    pub mod support;

    mod conformance;
    mod fault_proxy;
    mod malformed;
    mod mosquitto;
    mod raw_client;
    #[cfg(feature = "tls")]
    mod tls;
    #[cfg(feature = "ws")]
    mod ws;
}
