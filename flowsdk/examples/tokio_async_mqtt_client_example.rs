//! The tokio client: an event handler for callbacks, fire-and-forget calls (return when the
//! operation is accepted; the outcome arrives as a callback), `*_sync` calls (wait for the
//! broker's acknowledgement), and a `Stream` of the messages of one subscription.
//!
//! ```sh
//! MQTT_BROKER=localhost:1883 cargo run -p flowsdk --example tokio_async_mqtt_client_example
//! ```

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use flowsdk::codec::Publish;
use flowsdk::mqtt_client::proto::DisconnectCause;
use flowsdk::mqtt_client::tokio_async_client::{
    ConnectResult, DroppedMessage, PublishResult, SubscribeResult, TokioAsyncClientConfig,
    TokioAsyncMqttClient, TokioMqttEventHandler,
};
use flowsdk::mqtt_client::{MqttClientOptions, Priority, PublishCommand, SubscribeCommand};
use tokio::sync::Notify;

/// Prints every callback and counts the messages, waking `main` on each one.
///
/// Callbacks run on the client's driver task, one at a time, in the order things happened:
/// keep them short and hand long work to another task.
#[derive(Debug)]
struct Printer {
    received: Arc<AtomicUsize>,
    arrived: Arc<Notify>,
}

impl TokioMqttEventHandler for Printer {
    fn on_connected(&mut self, result: &ConnectResult) {
        println!(
            "[handler] connected as {} (session present {})",
            result.client_id, result.session_present
        );
    }

    fn on_disconnected(&mut self, cause: &DisconnectCause) {
        println!("[handler] disconnected: {cause:?}");
    }

    fn on_message_received(&mut self, message: &Publish) {
        println!(
            "[handler] message on {}: {}",
            message.topic.as_str(),
            String::from_utf8_lossy(&message.payload)
        );
        self.received.fetch_add(1, Ordering::SeqCst);
        self.arrived.notify_one();
    }

    fn on_published(&mut self, result: &PublishResult) {
        println!(
            "[handler] publish finished: QoS {:?}, packet id {:?}, {:?}",
            result.qos,
            result.packet_id.map(|id| id.get()),
            result.reason_code
        );
    }

    fn on_subscribed(&mut self, result: &SubscribeResult) {
        println!("[handler] SUBACK {:?}", result.reason_codes);
    }

    fn on_reconnecting(&mut self, attempt: u32, delay: Duration) {
        println!("[handler] reconnect attempt {attempt} in {delay:?}");
    }

    fn on_message_dropped(&mut self, topic: &flowsdk::codec::TopicName, reason: DroppedMessage) {
        println!(
            "[handler] dropped a message on {}: {reason:?}",
            topic.as_str()
        );
    }
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let broker = std::env::var("MQTT_BROKER").unwrap_or_else(|_| "localhost:1883".to_string());
    let client_id = format!("flowsdk-async-{}", std::process::id());
    let base = format!("flowsdk/examples/{client_id}");

    let options = MqttClientOptions::builder()
        .peer(&broker)
        .client_id(&client_id)
        .keep_alive(30)
        .build()?;
    let config = TokioAsyncClientConfig::builder()
        .local_timeouts()
        .auto_reconnect(false) // a missing broker ends the example instead of retrying
        .build()?;
    let received = Arc::new(AtomicUsize::new(0));
    let arrived = Arc::new(Notify::new());
    let handler = Printer {
        received: received.clone(),
        arrived: arrived.clone(),
    };
    // new() spawns the driver task; nothing is sent until connect.
    let client = TokioAsyncMqttClient::new(options, Box::new(handler), config).await?;

    // connect_sync waits for the CONNACK (connect() would return at once and report
    // through on_connected / on_connect_failed).
    if let Err(e) = client.connect_sync().await {
        eprintln!("could not connect to {broker}: {e}");
        std::process::exit(1);
    }

    // ---- Fire-and-forget: each call returns a Ticket as soon as the session accepted it.
    // The SUBSCRIBE goes out before the PUBLISHes (control packets first), so the broker
    // sends the messages back to us.
    let ticket = client.subscribe(&format!("{base}/events/#"), 1).await?;
    println!("subscribe accepted (ticket {})", ticket.get());
    for i in 0..3 {
        let ticket = client
            .publish(
                &format!("{base}/events/{i}"),
                format!("event {i}"),
                1,
                false,
            )
            .await?;
        println!("publish {i} accepted (ticket {})", ticket.get());
    }
    // Wait (at most 3 s) until the handler has seen the three messages.
    let waited = tokio::time::timeout(Duration::from_secs(3), async {
        while received.load(Ordering::SeqCst) < 3 {
            arrived.notified().await;
        }
    })
    .await;
    if waited.is_err() {
        eprintln!(
            "only {} of 3 messages arrived",
            received.load(Ordering::SeqCst)
        );
        std::process::exit(1);
    }

    // ---- Sync: wait for the broker's acknowledgement and get its reason codes.
    let suback = client.subscribe_sync(&format!("{base}/status"), 2).await?;
    println!("subscribe_sync: {:?}", suback.reason_codes);
    let done = client
        .publish_sync(&format!("{base}/status"), "online", 2, false)
        .await?;
    println!(
        "publish_sync at QoS 2 finished with PUBCOMP: {:?}",
        done.reason_code
    );

    // A PublishCommand carries every 5.0 option; High priority overtakes queued messages.
    let cmd = PublishCommand::builder(format!("{base}/status"), "urgent")
        .qos(1)
        .priority(Priority::High)
        .with_content_type("text/plain")
        .with_user_property("origin", "example")
        .build()?;
    let done = client.publish_with_command_sync(cmd).await?;
    println!("publish_with_command_sync: {:?}", done.reason_code);

    // ---- A stream: the messages of one subscription, for code that prefers streams.
    let (suback, mut stream) = client
        .subscribe_stream(SubscribeCommand::single(format!("{base}/stream/+"), 1)?)
        .await?;
    println!("subscribe_stream: {:?}", suback.reason_codes);
    for i in 0..5 {
        client
            .publish(
                &format!("{base}/stream/{i}"),
                format!("reading {i}"),
                1,
                false,
            )
            .await?;
    }
    for _ in 0..5 {
        match tokio::time::timeout(Duration::from_secs(3), stream.recv()).await {
            Ok(Some(m)) => println!(
                "[stream] {}: {}",
                m.topic.as_str(),
                String::from_utf8_lossy(&m.payload)
            ),
            _ => {
                eprintln!("the stream did not deliver within 3 s");
                std::process::exit(1);
            }
        }
    }

    let stats = client.stats();
    println!(
        "stats: connected {}, inflight {}, queued {}, window {}",
        stats.connected, stats.inflight, stats.queued, stats.window
    );

    client.disconnect_sync().await?;
    println!(
        "disconnected; {} messages seen by the handler",
        received.load(Ordering::SeqCst)
    );
    Ok(())
}
