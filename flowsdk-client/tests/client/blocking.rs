//! The blocking `MqttClient` against Mosquitto, from a plain (non-async) test.

use std::time::Duration;

use flowsdk_client::{MqttClient, MqttClientOptions, TokioAsyncClientConfig};
use flowsdk_testing::Mosquitto;

use super::support::unique;

#[test]
fn the_blocking_client_round_trips_and_survives_an_unsubscribed_stream() {
    let rt = tokio::runtime::Runtime::new().unwrap();
    let Some(broker) = rt.block_on(Mosquitto::builder().start()).unwrap() else {
        return;
    };
    let options = MqttClientOptions::builder()
        .peer(broker.tcp_address())
        .client_id(unique("blocking"))
        .build()
        .unwrap();
    let config = TokioAsyncClientConfig::builder()
        .local_timeouts()
        .build()
        .unwrap();
    let client = MqttClient::new(options, config).unwrap();
    client.connect().unwrap();
    let a = unique("a");
    let b = unique("b");
    client.subscribe(&a, 1).unwrap();
    client.subscribe(&b, 1).unwrap();
    client.unsubscribe(&a).unwrap();
    // Nothing pending: a timeout is `Ok(None)`, not an error from the finished stream of `a`.
    assert!(client
        .recv_message(Duration::from_millis(200))
        .unwrap()
        .is_none());
    let done = client.publish(&b, "for b", 1, false).unwrap();
    assert!(done.is_success());
    let m = client
        .recv_message(Duration::from_secs(10))
        .unwrap()
        .expect("the message on b");
    assert_eq!(m.topic.as_str(), b);
    assert_eq!(m.payload, "for b");
    client.disconnect().unwrap();
}
