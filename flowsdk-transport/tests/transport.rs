//! Integration tests of flowsdk-transport: every transport over real sockets on 127.0.0.1
//! (or a temporary Unix socket path), one test binary with a module per transport.

mod transport {
    pub mod support;

    mod address;
    mod tcp;
    mod timeouts;
    #[cfg(unix)]
    mod unix;
}
