//! The two builders: `MqttClientOptions::builder()` (what CONNECT asks of the broker) and
//! `TokioAsyncClientConfig::builder()` (how the client behaves: timeouts, reconnect, buffer).
//! Prints what was built, shows a validation error, then connects once with the options to
//! show what the broker granted.
//!
//! ```sh
//! MQTT_BROKER=localhost:1883 cargo run -p flowsdk --example mqtt_client_builder_example
//! ```

use std::time::Duration;

use flowsdk::codec::{MqttString, Property};
use flowsdk::mqtt_client::tokio_async_client::TokioAsyncMqttClient;
use flowsdk::mqtt_client::{
    MqttClientOptions, OverflowPolicy, Priority, PublishCommand, SubscribeCommand,
    TokioAsyncClientConfig,
};

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let broker = std::env::var("MQTT_BROKER").unwrap_or_else(|_| "localhost:1883".to_string());
    let client_id = format!("flowsdk-builder-{}", std::process::id());

    // ---- MqttClientOptions: every setter states its default; build() validates. ----
    let options = MqttClientOptions::builder()
        .peer(&broker) // default localhost:1883; also mqtt://, mqtts://, ws://, quic://...
        .client_id(&client_id) // default empty: the broker assigns one
        .clean_start(true) // default true
        .keep_alive(Duration::from_secs(30)) // default 60 s; whole seconds work too: 30
        .credentials("demo-user", "demo-password") // default none
        // The will: published by the broker if we vanish without DISCONNECT, after a delay.
        .will(
            format!("flowsdk/examples/{client_id}/status"),
            "offline",
            1,
            true,
        )
        .will_delay_interval(10) // seconds; default: at once
        .will_property(Property::ContentType(MqttString::new("text/plain")?)) // any will property
        .session_expiry_interval(300) // the broker keeps our session 5 min; default 0
        .receive_maximum(32) // at most 32 unacknowledged QoS 1/2 messages towards us
        .maximum_packet_size(256 * 1024) // larger packets from the broker are refused
        .topic_alias_maximum(16) // the broker may use 16 topic aliases towards us
        .request_response_information(true)
        .request_problem_information(true)
        .user_property("app", "builder-example")
        .user_property("site", "lab-1")
        .build()?;

    println!("== MqttClientOptions ==");
    println!("peer                    {}", options.peer());
    println!("protocol                {:?}", options.protocol_version());
    println!("client id               {}", options.client_id());
    println!("clean start             {}", options.clean_start());
    println!("keep alive              {:?}", options.keep_alive());
    println!(
        "session expiry          {:?} s",
        options.session_expiry_interval()
    );
    println!("receive maximum         {:?}", options.receive_maximum());
    println!(
        "maximum packet size     {:?}",
        options.maximum_packet_size()
    );
    println!(
        "topic alias maximum     {:?}",
        options.topic_alias_maximum()
    );
    if let Some(will) = options.will() {
        println!(
            "will                    {} = {:?} (QoS {:?}, retain {}, delay {:?} s)",
            will.topic.as_str(),
            String::from_utf8_lossy(&will.payload),
            will.qos,
            will.retain,
            will.properties.will_delay_interval()
        );
    }
    // The CONNECT packet these options produce, with its 5.0 properties.
    let connect = options.connect_packet(options.clean_start(), None);
    println!("CONNECT properties:");
    for p in connect.properties.iter() {
        println!("  {p:?}");
    }

    // Validation happens in build(), naming the option and the rule.
    match MqttClientOptions::builder().receive_maximum(0).build() {
        Ok(_) => println!("unexpected: receive_maximum(0) was accepted"),
        Err(e) => println!("receive_maximum(0) -> error: {e}"),
    }
    match MqttClientOptions::builder()
        .mqtt_version(4)
        .session_expiry_interval(60)
        .build()
    {
        Ok(_) => println!("unexpected: a 5.0 option was accepted on 3.1.1"),
        Err(e) => println!("session expiry on 3.1.1 -> error: {e}"),
    }

    // ---- TokioAsyncClientConfig: presets, then any single value overridden. ----
    println!("\n== TokioAsyncClientConfig presets (connect / operation / ping / default) ==");
    for (name, config) in [
        (
            "local",
            TokioAsyncClientConfig::builder().local_timeouts().build()?,
        ),
        (
            "internet",
            TokioAsyncClientConfig::builder()
                .internet_timeouts()
                .build()?,
        ),
        (
            "satellite",
            TokioAsyncClientConfig::builder()
                .satellite_timeouts()
                .build()?,
        ),
    ] {
        let t = config.timeouts();
        println!(
            "{name:<10} {:>5?} / {:>4?} / {:>4?} / {:>5?}",
            t.connect, t.operation, t.ping, t.default
        );
    }

    let config = TokioAsyncClientConfig::builder()
        .internet_timeouts()
        .operation_timeout(Duration::from_secs(20)) // one timeout alone
        .auto_reconnect(true)
        .reconnect_delay_initial(Duration::from_millis(200))
        .reconnect_delay_max(Duration::from_secs(10))
        .backoff_multiplier(2.0)
        .backoff_jitter(0.1)
        .max_reconnect_attempts(20)
        .offline_buffer(5_000, OverflowPolicy::DropOldest)
        .receive_maximum(100) // our own cap on messages in flight
        .stream_capacity(256)
        .build()?;
    let t = config.timeouts();
    println!(
        "internet + operation 20 s: {:?} / {:?} / {:?} / {:?}",
        t.connect, t.operation, t.ping, t.default
    );
    let b = config.backoff();
    println!(
        "reconnect {}, backoff {:?} .. {:?} x{} ±{}%",
        config.auto_reconnect(),
        b.initial,
        b.max,
        b.multiplier,
        b.jitter * 100.0
    );
    for attempt in 1..=6 {
        // The delay before each retry, without jitter (random = 0.5 is the midpoint).
        print!("{:?} ", b.delay(attempt, 0.5));
    }
    println!("(delays of the first six retries)");
    match TokioAsyncClientConfig::builder()
        .backoff_jitter(1.5)
        .build()
    {
        Ok(_) => println!("unexpected: jitter 1.5 was accepted"),
        Err(e) => println!("backoff_jitter(1.5) -> error: {e}"),
    }

    // ---- Command builders: every PUBLISH / SUBSCRIBE option. ----
    let publish = PublishCommand::builder(format!("flowsdk/examples/{client_id}/cmd"), "21.5")
        .qos(1)
        .retain(false)
        .priority(Priority::High)
        .with_message_expiry(Duration::from_secs(60))
        .with_content_type("text/plain")
        .with_payload_format_indicator(true)
        .with_user_property("unit", "celsius")
        .build()?;
    println!(
        "\nPublishCommand: {} QoS {:?} priority {:?}, {} properties",
        publish.topic(),
        publish.qos(),
        publish.priority(),
        publish.properties().len()
    );
    let subscribe = SubscribeCommand::builder()
        .add_topic(format!("flowsdk/examples/{client_id}/+"), 1)
        .with_no_local(true)
        .with_retain_handling(2)
        .add_topic(format!("flowsdk/examples/{client_id}/alarms/#"), 2)
        .with_subscription_id(7)
        .build()?;
    println!(
        "SubscribeCommand: {} filters, subscription id {:?}",
        subscribe.subscriptions().len(),
        subscribe.subscription_id()
    );
    match PublishCommand::builder("sensors/+/temp", "x").build() {
        Ok(_) => println!("unexpected: a wildcard topic name was accepted"),
        Err(e) => println!("publish to sensors/+/temp -> error: {e}"),
    }

    // ---- The options in use: connect once and show what the broker granted. ----
    let config = TokioAsyncClientConfig::builder()
        .local_timeouts()
        .auto_reconnect(false)
        .build()?;
    let client = TokioAsyncMqttClient::without_handler(options, config).await?;
    println!("\nconnecting to {broker} with these options");
    match client.connect_sync().await {
        Ok(c) => {
            let s = &c.server;
            println!(
                "CONNACK {:?}: keep alive {:?}, receive maximum {}, maximum QoS {:?}, \
                 topic alias maximum {}, retain available {}, session expiry {:?}",
                c.reason_code,
                s.keep_alive,
                s.receive_maximum,
                s.maximum_qos,
                s.topic_alias_maximum,
                s.retain_available,
                s.session_expiry_interval
            );
            if let Some(info) = c.properties.response_information() {
                println!("response information: {}", info.as_str());
            }
            client.publish_with_command_sync(publish).await?;
            // A normal DISCONNECT: the broker discards the will.
            client.disconnect_sync().await?;
            println!("disconnected (the will was discarded)");
        }
        Err(e) => {
            eprintln!("could not connect to {broker}: {e}");
            std::process::exit(1);
        }
    }
    Ok(())
}
