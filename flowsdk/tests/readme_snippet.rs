//! The client snippet FlowSDK's documentation promises, compiled and run as written (with a
//! `?` after each validating `build()`) against a Mosquitto started here. Skipped, with a
//! printed line, where Mosquitto is not installed.

use flowsdk::mqtt_client::tokio_async_client::{
    TokioAsyncClientConfig, TokioAsyncMqttClient, TokioMqttEventHandler,
};
use flowsdk::mqtt_client::{MqttClientOptions, SubscribeCommand};
use flowsdk_testing::Mosquitto;

#[derive(Debug)]
struct MyEventHandler {
    received: std::sync::Arc<std::sync::atomic::AtomicUsize>,
}

impl MyEventHandler {
    fn new() -> Self {
        MyEventHandler {
            received: Default::default(),
        }
    }
}

impl TokioMqttEventHandler for MyEventHandler {
    fn on_message_received(&mut self, _message: &flowsdk::codec::Publish) {
        self.received
            .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    }
}

#[tokio::test]
async fn the_documented_client_snippet_runs_as_written() -> Result<(), Box<dyn std::error::Error>> {
    let Some(broker) = Mosquitto::builder().start().await? else {
        return Ok(());
    };
    let peer = broker.tcp_address();
    let handler = MyEventHandler::new();
    let received = handler.received.clone();

    // The snippet, with the broker's address for "mqtt.example.com:1883".
    let options = MqttClientOptions::builder()
        .peer(peer.as_str())
        .client_id("my_client")
        .clean_start(true)
        .keep_alive(60)
        .build()?;
    let config = TokioAsyncClientConfig::builder()
        .auto_reconnect(true)
        .internet_timeouts()
        .receive_maximum(100)
        .build()?;
    let client = TokioAsyncMqttClient::new(options, Box::new(handler), config).await?;
    client.connect_sync().await?;
    client.subscribe_sync("sensors/#", 1).await?;
    client
        .publish_sync("sensors/temp", b"23.5", 1, false)
        .await?;
    let cmd = SubscribeCommand::builder()
        .add_topic("sensors/+/temp", 1)
        .with_no_local(true)
        .with_retain_handling(2)
        .with_subscription_id(42)
        .build()?;
    client.subscribe_with_command_sync(cmd).await?;

    // What it did: the message published to sensors/temp came back through sensors/#.
    let deadline = tokio::time::Instant::now() + std::time::Duration::from_secs(10);
    while received.load(std::sync::atomic::Ordering::Relaxed) == 0 {
        assert!(
            tokio::time::Instant::now() < deadline,
            "no message came back"
        );
        tokio::time::sleep(std::time::Duration::from_millis(10)).await;
    }
    client.disconnect_sync().await?;
    Ok(())
}
