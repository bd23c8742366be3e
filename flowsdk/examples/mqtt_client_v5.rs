//! The blocking `MqttClient`, for code without an async runtime: connect, subscribe, publish
//! at QoS 0, 1 and 2, read the messages back with `recv_message`, unsubscribe, disconnect.
//!
//! Every call blocks until the broker answers (CONNACK, SUBACK, PUBACK/PUBCOMP, ...) or the
//! configured timeout runs out. The client runs a one-thread tokio runtime of its own.
//!
//! Run against a broker (default `localhost:1883`):
//!
//! ```sh
//! MQTT_BROKER=localhost:1883 cargo run -p flowsdk --example mqtt_client_v5
//! ```

use std::time::Duration;

use flowsdk::mqtt_client::{MqttClient, MqttClientOptions, TokioAsyncClientConfig};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let broker = std::env::var("MQTT_BROKER").unwrap_or_else(|_| "localhost:1883".to_string());
    let client_id = format!("flowsdk-blocking-{}", std::process::id());
    // A topic of our own, so that other clients of the broker do not interfere.
    let topic = format!("flowsdk/examples/{client_id}");

    // What CONNECT carries: where the broker is, who we are, how often to ping.
    let options = MqttClientOptions::builder()
        .peer(&broker)
        .client_id(&client_id)
        .clean_start(true)
        .keep_alive(30)
        .build()?;
    // How the client behaves: loopback timeouts (connect 5 s, operations 3 s), and no
    // reconnecting, so that a missing broker ends the example at once.
    let config = TokioAsyncClientConfig::builder()
        .local_timeouts()
        .auto_reconnect(false)
        .build()?;
    let client = MqttClient::new(options, config)?;

    println!("connecting to {broker} as {client_id}");
    let connected = match client.connect() {
        Ok(c) => c,
        Err(e) => {
            eprintln!("could not connect to {broker}: {e}");
            eprintln!("start a broker (e.g. `mosquitto -p 1883`) or set MQTT_BROKER=host:port");
            std::process::exit(1);
        }
    };
    println!(
        "connected: session present {}, broker's receive maximum {}, maximum QoS {:?}",
        connected.session_present, connected.server.receive_maximum, connected.server.maximum_qos
    );

    // SUBSCRIBE and wait for the SUBACK; its reason code is the QoS the broker granted.
    let filter = format!("{topic}/#");
    let suback = client.subscribe(&filter, 2)?;
    println!("subscribed to {filter}: {:?}", suback.reason_codes);

    // One message at each QoS; each call returns once the QoS's acknowledgement arrived
    // (QoS 0: written, QoS 1: PUBACK, QoS 2: PUBCOMP).
    for qos in 0..=2u8 {
        let done = client.publish(
            &format!("{topic}/qos{qos}"),
            format!("hello at QoS {qos}"),
            qos,
            false,
        )?;
        println!(
            "published at QoS {qos}: packet id {:?}, reason {:?}",
            done.packet_id.map(|id| id.get()),
            done.reason_code
        );
    }

    // Read the three messages back from our subscription (up to 2 s each).
    let mut received = 0;
    while received < 3 {
        match client.recv_message(Duration::from_secs(2))? {
            Some(message) => {
                received += 1;
                println!(
                    "received on {} (QoS {:?}): {}",
                    message.topic.as_str(),
                    message.qos,
                    String::from_utf8_lossy(&message.payload)
                );
            }
            None => {
                eprintln!("no message within 2 s; {received} of 3 received");
                break;
            }
        }
    }

    let pong = client.ping()?;
    println!("PINGRESP after {:?}", pong.round_trip);

    let unsuback = client.unsubscribe(&filter)?;
    println!("unsubscribed from {filter}: {:?}", unsuback.reason_codes);

    client.disconnect()?;
    println!("disconnected");
    if received < 3 {
        std::process::exit(1);
    }
    Ok(())
}
