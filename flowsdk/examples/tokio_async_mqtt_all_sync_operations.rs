//! Every `*_sync` operation of the tokio client, each printed with its result: connect,
//! subscribe (simple and with a command), publish at QoS 0, 1 and 2 (and with a command),
//! unsubscribe, ping, request/response, re-authentication (refused locally here), disconnect.
//!
//! A `*_sync` call waits for the broker's acknowledgement (CONNACK, SUBACK, PUBACK, PUBCOMP,
//! UNSUBACK, PINGRESP) or the configured timeout and returns the reason codes; a failure
//! reason code (0x80 and above) is an `Err(ClientError::Refused { .. })`.
//!
//! ```sh
//! MQTT_BROKER=localhost:1883 cargo run -p flowsdk --example tokio_async_mqtt_all_sync_operations
//! ```

use std::time::Duration;

use flowsdk::mqtt_client::tokio_async_client::{TokioAsyncClientConfig, TokioAsyncMqttClient};
use flowsdk::mqtt_client::{MqttClientOptions, PublishCommand, SubscribeCommand};

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let broker = std::env::var("MQTT_BROKER").unwrap_or_else(|_| "localhost:1883".to_string());
    let client_id = format!("flowsdk-sync-{}", std::process::id());
    let base = format!("flowsdk/examples/{client_id}");

    let options = MqttClientOptions::builder()
        .peer(&broker)
        .client_id(&client_id)
        .build()?;
    let config = TokioAsyncClientConfig::builder()
        .local_timeouts() // connect 5 s, operations 3 s, ping 2 s, default 5 s
        .auto_reconnect(false)
        .build()?;
    // No event handler: everything here is read from the *_sync results.
    let client = TokioAsyncMqttClient::without_handler(options, config).await?;

    // connect_sync -> ConnectResult (CONNACK's session present flag and the broker's limits).
    let connected = match client.connect_sync().await {
        Ok(c) => c,
        Err(e) => {
            eprintln!("connect_sync to {broker} failed: {e}");
            std::process::exit(1);
        }
    };
    println!(
        "connect_sync        -> {:?}, session present {}, client id {}",
        connected.reason_code, connected.session_present, connected.client_id
    );

    // subscribe_sync -> SubscribeResult: one reason code (the granted QoS) per filter.
    let r = client.subscribe_sync(&format!("{base}/data/#"), 2).await?;
    println!("subscribe_sync      -> {:?}", r.reason_codes);

    // subscribe_with_command_sync: several filters and 5.0 options in one SUBSCRIBE.
    let cmd = SubscribeCommand::builder()
        .add_topic(format!("{base}/a"), 0)
        .add_topic(format!("{base}/b"), 1)
        .with_no_local(true)
        .with_subscription_id(12)
        .build()?;
    let r = client.subscribe_with_command_sync(cmd).await?;
    println!("subscribe_with_command_sync -> {:?}", r.reason_codes);

    // publish_sync at each QoS -> PublishResult: QoS 0 when written, QoS 1 at PUBACK,
    // QoS 2 at PUBCOMP.
    for qos in 0..=2u8 {
        let r = client
            .publish_sync(
                &format!("{base}/data/{qos}"),
                format!("qos {qos}"),
                qos,
                false,
            )
            .await?;
        println!(
            "publish_sync QoS {qos}  -> {:?}, packet id {:?}",
            r.reason_code,
            r.packet_id.map(|id| id.get())
        );
    }
    let cmd = PublishCommand::builder(format!("{base}/data/cmd"), "with properties")
        .qos(1)
        .with_message_expiry(Duration::from_secs(30))
        .with_user_property("k", "v")
        .build()?;
    let r = client.publish_with_command_sync(cmd).await?;
    println!("publish_with_command_sync -> {:?}", r.reason_code);

    // unsubscribe_sync -> UnsubscribeResult: 0x00 Success, or 0x11 No subscription existed
    // (a success code, so not an error).
    let r = client.unsubscribe_sync(&format!("{base}/data/#")).await?;
    println!("unsubscribe_sync    -> {:?}", r.reason_codes);
    let r = client.unsubscribe_sync(&format!("{base}/never")).await?;
    println!("unsubscribe_sync (not subscribed) -> {:?}", r.reason_codes);

    // ping_sync -> PingResult with the round trip.
    let r = client.ping_sync().await?;
    println!("ping_sync           -> round trip {:?}", r.round_trip);

    // request -> the response message. A responder (here a clone of the same client, which
    // shares the connection) answers requests with `respond`, which echoes the Correlation
    // Data to the request's Response Topic.
    let service = format!("{base}/service/echo");
    let (_, mut requests) = client
        .subscribe_stream(SubscribeCommand::single(&service, 1)?)
        .await?;
    let responder = client.clone();
    tokio::spawn(async move {
        while let Some(request) = requests.recv().await {
            let answer = format!("echo: {}", String::from_utf8_lossy(&request.payload));
            if let Err(e) = responder.respond(&request, answer).await {
                eprintln!("respond failed: {e}");
            }
        }
    });
    let response = client
        .request(&service, "ping?", Duration::from_secs(3))
        .await?;
    println!(
        "request             -> response on {}: {}",
        response.topic.as_str(),
        String::from_utf8_lossy(&response.payload)
    );

    // auth_sync re-authenticates (AUTH 0x19); without an auth_method it is refused locally.
    match client.auth_sync().await {
        Ok(()) => println!("auth_sync           -> re-authenticated"),
        Err(e) => println!("auth_sync           -> refused locally: {e}"),
    }

    // disconnect_sync -> () once the connection is closed.
    client.disconnect_sync().await?;
    println!(
        "disconnect_sync     -> done, connected: {}",
        client.is_connected()
    );
    Ok(())
}
