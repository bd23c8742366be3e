//! The launcher's WebSocket listener with the raw client over `ws://`.

use std::time::Duration;

use flowsdk_codec::ReasonCode;
use flowsdk_testing::{Mosquitto, RawPacketBuilder, RawTestClient};
use flowsdk_transport::TransportConfig;

use super::support::within;

#[tokio::test]
async fn the_raw_client_speaks_to_mosquitto_over_websocket() {
    let Some(broker) = within("starting", Mosquitto::builder().websockets(true).start())
        .await
        .unwrap()
    else {
        return;
    };
    let Some(address) = broker.ws_address() else {
        return;
    };
    assert!(address.starts_with("ws://127.0.0.1:"));
    let mut client = within(
        "connecting",
        RawTestClient::connect(address, TransportConfig::default()),
    )
    .await
    .unwrap();
    let ack = within("CONNACK", client.connect_v5("raw-ws"))
        .await
        .unwrap();
    assert_eq!(ack.reason_code, ReasonCode::Success);
    // A malformed packet over WebSocket closes the connection as over TCP.
    client
        .send_raw(
            &RawPacketBuilder::pingreq()
                .remaining_length_overlong(5)
                .build(),
        )
        .await
        .unwrap();
    let closed = within("close", client.expect_closed(Duration::from_secs(5)))
        .await
        .unwrap();
    println!("mosquitto closed the WebSocket connection: {closed:?}");
}
