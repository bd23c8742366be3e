//! MQTT over TLS (`mqtts://`): trust a CA from a file, connect, subscribe, publish one
//! message to ourselves, disconnect. Needs the `tls` feature.
//!
//! - `MQTT_BROKER`: the TLS listener, `host:port` or `mqtts://host:port` (default
//!   `localhost:8883`).
//! - `MQTT_CA_FILE`: a PEM file with the CA certificate(s) that signed the broker's
//!   certificate. Without it, the operating system's root certificates are trusted.
//! - `MQTT_TLS_SERVER_NAME` (optional): the name the broker's certificate is checked against,
//!   when it differs from the host in `MQTT_BROKER` (e.g. connecting by IP address).
//!
//! ```sh
//! MQTT_BROKER=localhost:8883 MQTT_CA_FILE=ca.pem \
//!     cargo run -p flowsdk --example tls_client --features tls
//! ```

use flowsdk::mqtt_client::tokio_async_client::TokioAsyncMqttClient;
use flowsdk::mqtt_client::{MqttClientOptions, SubscribeCommand, TokioAsyncClientConfig};
use flowsdk::transport::{TlsClientConfig, TransportConfig};

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let broker = std::env::var("MQTT_BROKER").unwrap_or_else(|_| "localhost:8883".to_string());
    // A bare host:port means plain TCP to the client; say TLS explicitly.
    let peer = if broker.contains("://") {
        broker
    } else {
        format!("mqtts://{broker}")
    };

    // Whom to trust. Files are read (and their PEM checked) by build(), so a wrong path
    // fails here with the path in the message, not later in the handshake.
    let mut tls = TlsClientConfig::builder();
    match std::env::var("MQTT_CA_FILE") {
        Ok(path) => {
            println!("trusting the CA certificates in {path}");
            tls = tls.root_certificates_pem_file(path);
        }
        Err(_) => println!("MQTT_CA_FILE not set: trusting the platform's root certificates"),
    }
    if let Ok(name) = std::env::var("MQTT_TLS_SERVER_NAME") {
        tls = tls.server_name(name);
    }
    let tls = tls.build()?;

    let client_id = format!("flowsdk-tls-{}", std::process::id());
    let options = MqttClientOptions::builder()
        .peer(&peer)
        .client_id(&client_id)
        .transport(TransportConfig::builder().tls(tls).build())
        .build()?;
    let config = TokioAsyncClientConfig::builder()
        .local_timeouts()
        .auto_reconnect(false)
        .build()?;
    let client = TokioAsyncMqttClient::without_handler(options, config).await?;

    println!("connecting to {peer}");
    let connected = match client.connect_sync().await {
        Ok(c) => c,
        Err(e) => {
            // Certificate problems arrive here as a transport error naming the phase
            // (TLS handshake) and rustls's reason (UnknownIssuer, NotValidForName, ...).
            eprintln!("TLS connection to {peer} failed: {e}");
            std::process::exit(1);
        }
    };
    println!(
        "connected over TLS as {} (session present {})",
        connected.client_id, connected.session_present
    );

    // A round trip through the encrypted connection: subscribe as a stream, publish, read.
    let topic = format!("flowsdk/examples/{client_id}/tls");
    let (suback, mut messages) = client
        .subscribe_stream(SubscribeCommand::single(&topic, 1)?)
        .await?;
    println!("subscribed to {topic}: {:?}", suback.reason_codes);
    let puback = client
        .publish_sync(&topic, "sent over TLS", 1, false)
        .await?;
    println!("published at QoS 1: {:?}", puback.reason_code);
    match tokio::time::timeout(std::time::Duration::from_secs(3), messages.recv()).await {
        Ok(Some(m)) => println!(
            "received on {}: {}",
            m.topic.as_str(),
            String::from_utf8_lossy(&m.payload)
        ),
        _ => {
            eprintln!("the message did not come back within 3 s");
            std::process::exit(1);
        }
    }

    client.disconnect_sync().await?;
    println!("disconnected");
    Ok(())
}
