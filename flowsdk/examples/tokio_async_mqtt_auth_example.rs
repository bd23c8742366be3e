//! Authentication: user name and password in CONNECT, then MQTT 5.0 enhanced authentication
//! (section 4.12) with an `Authenticator` and an `auth_method`.
//!
//! Enhanced authentication needs a broker that knows the method. **A stock Mosquitto (no auth
//! plugin) refuses it with CONNACK 0x8C Bad authentication method**: that is the expected
//! outcome here, and the example says so and exits 0. A broker with a matching plugin
//! would send AUTH 0x18 challenges, answered by the authenticator below, then CONNACK Success.
//!
//! - `MQTT_BROKER` (default `localhost:1883`)
//! - `MQTT_USERNAME` / `MQTT_PASSWORD` (default `demo-user` / `demo-password`; a broker without
//!   a password file accepts any)
//! - `MQTT_AUTH_METHOD` (default `FLOWSDK-DEMO`)
//!
//! ```sh
//! MQTT_BROKER=localhost:1883 cargo run -p flowsdk --example tokio_async_mqtt_auth_example
//! ```

use bytes::Bytes;
use flowsdk::codec::{Properties, ReasonCode};
use flowsdk::mqtt_client::proto::Authenticator;
use flowsdk::mqtt_client::tokio_async_client::{
    TokioAsyncClientConfig, TokioAsyncMqttClient, TokioMqttEventHandler,
};
use flowsdk::mqtt_client::{ClientError, MqttClientOptions};

/// A toy challenge-response scheme: the first data is a greeting, and each broker
/// challenge is answered with its bytes reversed. A real one would be SCRAM, Kerberos, or
/// a token exchange.
#[derive(Debug)]
struct ReverseChallenge;

impl Authenticator for ReverseChallenge {
    /// Sent in CONNECT as Authentication Data (and in AUTH 0x19 on re-authentication).
    fn initial_data(&mut self) -> Option<Bytes> {
        Some(Bytes::from_static(b"hello from flowsdk"))
    }

    /// Called for each AUTH 0x18 Continue authentication from the broker; the answer goes
    /// back in the client's AUTH 0x18. An Err ends the attempt with 0x87 Not authorized.
    fn challenge(
        &mut self,
        data: Option<&Bytes>,
        _properties: &Properties,
    ) -> Result<Option<Bytes>, String> {
        let mut answer = data.ok_or("the challenge carried no data")?.to_vec();
        answer.reverse();
        println!("[auth] answering a {} byte challenge", answer.len());
        Ok(Some(answer.into()))
    }

    /// The broker accepted (CONNACK Success or AUTH Success); final data could be checked here.
    fn succeeded(&mut self, _properties: &Properties) -> Result<(), String> {
        println!("[auth] the broker accepted the authentication");
        Ok(())
    }
}

/// Prints AUTH packets as they arrive.
#[derive(Debug)]
struct AuthPrinter;

impl TokioMqttEventHandler for AuthPrinter {
    fn on_auth(&mut self, reason_code: ReasonCode, _properties: &Properties) {
        println!("[handler] AUTH from the broker: {reason_code:?}");
    }
}

fn env(name: &str, default: &str) -> String {
    std::env::var(name).unwrap_or_else(|_| default.to_string())
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let broker = env("MQTT_BROKER", "localhost:1883");
    let pid = std::process::id();
    // No reconnecting: one attempt each, so that a refusal is final.
    let config = || {
        TokioAsyncClientConfig::builder()
            .local_timeouts()
            .auto_reconnect(false)
            .build()
    };

    // ---- 1. User name and password (CONNECT's own fields; 3.1.1 and 5.0). ----
    let username = env("MQTT_USERNAME", "demo-user");
    let options = MqttClientOptions::builder()
        .peer(&broker)
        .client_id(format!("flowsdk-auth-password-{pid}"))
        .credentials(&username, env("MQTT_PASSWORD", "demo-password"))
        .build()?;
    let client = TokioAsyncMqttClient::without_handler(options, config()?).await?;
    println!("1. user name and password: connecting to {broker} as user {username:?}");
    match client.connect_sync().await {
        Ok(c) => {
            println!("   accepted: CONNACK {:?}", c.reason_code);
            client.disconnect_sync().await?;
        }
        Err(ClientError::ConnectRefused { reason_code, .. }) => {
            // 0x86 Bad user name or password, 0x87 Not authorized.
            println!("   refused by the broker: {reason_code:?}");
        }
        Err(e) => {
            eprintln!("   could not connect to {broker}: {e}");
            std::process::exit(1);
        }
    }

    // ---- 2. Enhanced authentication: an Authentication Method and an Authenticator. ----
    let method = env("MQTT_AUTH_METHOD", "FLOWSDK-DEMO");
    let options = MqttClientOptions::builder()
        .peer(&broker)
        .client_id(format!("flowsdk-auth-enhanced-{pid}"))
        .auth_method(&method) // CONNECT carries it; every AUTH repeats it [MQTT-4.12.1-1]
        .build()?;
    // with_authenticator refuses options without an auth_method.
    let client = TokioAsyncMqttClient::with_authenticator(
        options,
        Box::new(AuthPrinter),
        config()?,
        Box::new(ReverseChallenge),
    )
    .await?;
    println!("\n2. enhanced authentication: connecting with method {method:?}");
    match client.connect_sync().await {
        Ok(c) => {
            println!("   authenticated: CONNACK {:?}", c.reason_code);
            // Re-authentication on the live connection (AUTH 0x19), waiting for AUTH Success.
            match client.auth_sync().await {
                Ok(()) => println!("   re-authenticated"),
                Err(e) => println!("   re-authentication failed: {e}"),
            }
            client.disconnect_sync().await?;
        }
        Err(ClientError::ConnectRefused {
            reason_code: ReasonCode::BadAuthenticationMethod,
            ..
        }) => {
            println!(
                "   refused with CONNACK 0x{:02X} Bad authentication method: the broker does \
                 not support {method:?}.",
                ReasonCode::BadAuthenticationMethod.as_u8()
            );
            println!(
                "   This is the expected result against a broker without an enhanced-auth \
                 plugin (e.g. a stock Mosquitto)."
            );
        }
        Err(ClientError::ConnectRefused { reason_code, .. }) => {
            println!(
                "   refused with CONNACK 0x{:02X} {reason_code:?}",
                reason_code.as_u8()
            );
        }
        Err(e) => {
            eprintln!("   could not connect to {broker}: {e}");
            std::process::exit(1);
        }
    }
    Ok(())
}
