//! The Mosquitto launcher: options reach the broker, restart keeps the ports, drop cleans up.

use std::time::Duration;

use flowsdk_codec::{Connect, MqttString, Packet, ProtocolVersion, ReasonCode};
use flowsdk_testing::{Mosquitto, RawClientError, RawTestClient};
use flowsdk_transport::TransportConfig;

use super::support::within;

const CLOSE: Duration = Duration::from_secs(5);

async fn connected(address: String, client_id: &str) -> RawTestClient {
    let mut client = within(
        "connecting",
        RawTestClient::connect(address, TransportConfig::default()),
    )
    .await
    .unwrap();
    let ack = within("CONNACK", client.connect_v5(client_id))
        .await
        .unwrap();
    assert_eq!(ack.reason_code, ReasonCode::Success);
    client
}

#[tokio::test]
async fn is_installed_agrees_with_start() {
    let started = within("starting", Mosquitto::builder().start())
        .await
        .unwrap();
    assert_eq!(started.is_some(), Mosquitto::is_installed());
}

#[tokio::test]
async fn a_broker_listens_on_127_0_0_1_and_cleans_up_on_drop() {
    let Some(mut broker) = within("starting", Mosquitto::builder().start())
        .await
        .unwrap()
    else {
        return;
    };
    assert!(broker.tcp_address().starts_with("127.0.0.1:"));
    assert_eq!(broker.ws_address(), None);
    assert_eq!(broker.tls_address(), None);
    assert!(broker.pki().is_none());
    assert!(broker.is_running());
    assert!(broker.pid().is_some());
    let dir = broker.dir().to_path_buf();
    assert!(dir.join("mosquitto.conf").is_file());
    drop(broker);
    assert!(!dir.exists(), "{} was not removed", dir.display());
}

#[tokio::test]
async fn config_lines_reach_the_broker() {
    // Mosquitto tells a v5 client that asks for more than max_keepalive the keep alive to use.
    let Some(broker) = within(
        "starting",
        Mosquitto::builder()
            .config_line("max_keepalive 10")
            .config_line("max_inflight_messages 1000")
            .config_line("max_queued_messages 0")
            .start(),
    )
    .await
    .unwrap() else {
        return;
    };
    let mut client = within(
        "connecting",
        RawTestClient::connect(broker.tcp_address(), TransportConfig::default()),
    )
    .await
    .unwrap();
    let ack = within("CONNACK", client.connect_v5("raw-keepalive"))
        .await
        .unwrap();
    assert_eq!(ack.properties.server_keep_alive(), Some(10));
}

#[tokio::test]
async fn a_bad_config_line_fails_with_the_log() {
    if !Mosquitto::is_installed() {
        println!("skipped: mosquitto not installed");
        return;
    }
    let err = within(
        "starting",
        Mosquitto::builder()
            .config_line("no_such_option 1")
            .startup_timeout(Duration::from_secs(3))
            .start(),
    )
    .await
    .unwrap_err();
    let text = err.to_string();
    assert!(text.contains("no_such_option"), "{text}");
}

#[tokio::test]
async fn kill_drops_clients_and_restart_comes_back_on_the_same_port() {
    let Some(mut broker) = within("starting", Mosquitto::builder().start())
        .await
        .unwrap()
    else {
        return;
    };
    let address = broker.tcp_address();
    let mut client = connected(address.clone(), "raw-restart").await;

    broker.kill();
    assert!(!broker.is_running());
    let closed = within("close", client.expect_closed(CLOSE)).await.unwrap();
    assert!(
        closed.disconnect().is_none(),
        "a killed broker sends nothing"
    );
    let refused = RawTestClient::connect(address.clone(), TransportConfig::default()).await;
    assert!(
        matches!(refused, Err(RawClientError::Transport(_))),
        "{refused:?}"
    );

    within("restarting", broker.restart()).await.unwrap();
    assert_eq!(broker.tcp_address(), address);
    connected(address.clone(), "raw-restart").await;

    // Restarting a running broker works as well (it is killed first).
    within("restarting", broker.restart()).await.unwrap();
    assert_eq!(broker.tcp_address(), address);
    connected(address, "raw-restart").await;
}

#[tokio::test]
async fn a_persistent_session_survives_a_graceful_restart() {
    let Some(mut broker) = within("starting", Mosquitto::builder().persistence(true).start())
        .await
        .unwrap()
    else {
        return;
    };
    let mut connect = Connect::new(MqttString::new("raw-persistent").unwrap());
    connect.clean_start = false;
    connect.properties.set_session_expiry_interval(Some(300));
    let mut client = within(
        "connecting",
        RawTestClient::connect(broker.tcp_address(), TransportConfig::default()),
    )
    .await
    .unwrap();
    let ack = within("CONNACK", client.connect_with(connect.clone()))
        .await
        .unwrap();
    assert!(!ack.session_present);
    drop(client);

    within("stopping", broker.stop()).await;
    within("restarting", broker.restart()).await.unwrap();

    let mut client = within(
        "connecting",
        RawTestClient::connect(broker.tcp_address(), TransportConfig::default()),
    )
    .await
    .unwrap();
    let ack = within("CONNACK", client.connect_with(connect))
        .await
        .unwrap();
    assert!(
        ack.session_present,
        "the session was not restored; log:\n{}",
        broker.log()
    );
    assert_eq!(client.version(), ProtocolVersion::V5);
    client.send(&Packet::PingReq).await.unwrap();
    assert_eq!(client.recv(CLOSE).await.unwrap(), Packet::PingResp);
}
