//! flowsdk-client tests: `proto` scenarios on virtual time, and the tokio client against
//! Mosquitto (started by the tests when installed; skipped with a printed line otherwise).

mod client {
    mod acks;
    mod blocking;
    mod messaging;
    mod mosquitto;
    mod offline;
    mod proto;
    mod reconnect;
    mod support;
    mod transports;
    mod will;
}
