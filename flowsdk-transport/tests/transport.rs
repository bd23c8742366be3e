//! Integration tests of flowsdk-transport: every transport over real sockets on 127.0.0.1
//! (or a temporary Unix socket path), one test binary with a module per transport.

mod transport {
    pub mod support;

    mod address;
    mod mosquitto;
    #[cfg(feature = "quic")]
    mod quic;
    mod tcp;
    mod timeouts;
    #[cfg(feature = "tls")]
    mod tls;
    #[cfg(unix)]
    mod unix;
    #[cfg(feature = "ws")]
    mod ws;
}
