//! MQTT over QUIC (`quic://`): the same client, a different peer scheme. Needs the `quic`
//! feature.
//!
//! **QUIC needs a QUIC-capable broker** (EMQX 5 with its QUIC listener, NanoMQ, or FlowSDK's
//! embedded broker once it lands; its end-to-end test joins with it). Mosquitto does not speak
//! QUIC: against it, or against nothing, the example waits for the connect timeout (5 s) and
//! exits with a message saying no QUIC broker answered.
//!
//! - `MQTT_BROKER`: `host:port` or `quic://host:port` (default `localhost:14567`).
//! - `MQTT_CA_FILE` (optional): the PEM CA that signed the broker's certificate (QUIC always
//!   runs TLS 1.3); without it, the platform's roots are trusted.
//! - `MQTT_TLS_SERVER_NAME` (optional): the name the certificate is checked against.
//!
//! ```sh
//! MQTT_BROKER=broker.example:14567 MQTT_CA_FILE=ca.pem \
//!     cargo run -p flowsdk --example tokio_async_mqtt_quic_example --features quic
//! ```

use std::time::Duration;

use flowsdk::mqtt_client::tokio_async_client::TokioAsyncMqttClient;
use flowsdk::mqtt_client::{ClientError, MqttClientOptions, TokioAsyncClientConfig};
use flowsdk::transport::{QuicConfig, TlsClientConfig, TransportConfig};

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let broker = std::env::var("MQTT_BROKER").unwrap_or_else(|_| "localhost:14567".to_string());
    let peer = if broker.contains("://") {
        broker
    } else {
        format!("quic://{broker}")
    };

    // QUIC's TLS settings are the same TlsClientConfig as mqtts://.
    let mut tls = TlsClientConfig::builder();
    if let Ok(path) = std::env::var("MQTT_CA_FILE") {
        tls = tls.root_certificates_pem_file(path);
    }
    if let Ok(name) = std::env::var("MQTT_TLS_SERVER_NAME") {
        tls = tls.server_name(name);
    }
    let transport = TransportConfig::builder()
        .tls(tls.build()?)
        // QUIC PINGs keep NAT bindings open; the idle timeout also bounds the handshake.
        .quic(
            QuicConfig::builder()
                .keep_alive_interval(Some(Duration::from_secs(10)))
                .idle_timeout(Some(Duration::from_secs(30)))
                .build()?,
        )
        .build();

    let client_id = format!("flowsdk-quic-{}", std::process::id());
    let options = MqttClientOptions::builder()
        .peer(&peer)
        .client_id(&client_id)
        .transport(transport)
        .build()?;
    let config = TokioAsyncClientConfig::builder()
        .local_timeouts() // connect 5 s: an unanswered QUIC handshake ends here
        .auto_reconnect(false)
        .build()?;
    let client = TokioAsyncMqttClient::without_handler(options, config).await?;

    println!("connecting to {peer} over QUIC");
    match client.connect_sync().await {
        Ok(connected) => println!(
            "connected over QUIC as {} (session present {})",
            connected.client_id, connected.session_present
        ),
        Err(e) => {
            let why = match &e {
                ClientError::Timeout { after, .. } => format!("nothing answered within {after:?}"),
                other => other.to_string(),
            };
            eprintln!("no QUIC-capable MQTT broker answered at {peer}: {why}");
            eprintln!("QUIC needs a broker with a QUIC listener; set MQTT_BROKER to one");
            std::process::exit(1);
        }
    }

    let topic = format!("flowsdk/examples/{client_id}/quic");
    let suback = client.subscribe_sync(&topic, 1).await?;
    println!("subscribed to {topic}: {:?}", suback.reason_codes);
    let puback = client
        .publish_sync(&topic, "sent over QUIC", 1, false)
        .await?;
    println!("published at QoS 1: {:?}", puback.reason_code);
    let pong = client.ping_sync().await?;
    println!("PINGRESP after {:?}", pong.round_trip);
    client.disconnect_sync().await?;
    println!("disconnected");
    Ok(())
}
