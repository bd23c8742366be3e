use std::time::Duration;

use flowsdk_transport::{
    Listener, ListenerConfig, Phase, Transport, TransportConfig, TransportError,
};
use tokio::time::Instant;

use super::support::connect_pair;

#[tokio::test]
async fn a_peer_that_sends_nothing_triggers_the_read_timeout_in_the_stated_time() {
    let listener = Listener::bind("127.0.0.1:0", ListenerConfig::default())
        .await
        .unwrap();
    let limit = Duration::from_millis(300);
    let transport = Transport::new(TransportConfig::builder().read_timeout(Some(limit)).build());
    let (_server, mut client) = connect_pair(&listener, &transport).await;
    let started = Instant::now();
    let err = client.read_packet().await.unwrap_err();
    let took = started.elapsed();
    match &err {
        TransportError::Timeout {
            phase: Phase::Read,
            after,
            ..
        } => assert_eq!(*after, limit),
        other => panic!("{other:?}"),
    }
    assert!(
        took >= limit && took < limit + Duration::from_secs(5),
        "timed out after {took:?}"
    );
    assert!(
        err.to_string().contains("read timed out after 300ms"),
        "{err}"
    );
}

#[tokio::test]
async fn connecting_to_a_closed_port_fails_fast_in_the_tcp_connect_phase() {
    // Bind, learn the port, close: nothing listens there any more.
    let port = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    let err = flowsdk_transport::connect(format!("127.0.0.1:{port}").as_str())
        .await
        .unwrap_err();
    assert_eq!(err.phase(), Some(Phase::TcpConnect), "{err}");
    assert!(
        err.to_string()
            .contains(&format!("mqtt://127.0.0.1:{port}")),
        "{err}"
    );
}
