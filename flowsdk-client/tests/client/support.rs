//! Shared pieces of the integration tests: a broker, clients, and an event recorder.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use flowsdk_client::proto::DisconnectCause;
use flowsdk_client::tokio_async_client::{
    ConnectResult, PublishResult, SubscribeResult, TokioMqttEventHandler,
};
use flowsdk_client::{
    ClientError, MqttClientOptions, MqttClientOptionsBuilder, TokioAsyncClientConfig,
    TokioAsyncClientConfigBuilder, TokioAsyncMqttClient,
};
use flowsdk_codec::Publish;
use flowsdk_testing::Mosquitto;

/// Upper bound for anything a test waits for.
pub const STEP: Duration = Duration::from_secs(10);

/// Mosquitto with a TCP listener (and whatever `configure` adds), or `None` when it is not
/// installed (the skip line is printed by the launcher).
pub async fn mosquitto_with(
    configure: impl FnOnce(flowsdk_testing::MosquittoBuilder) -> flowsdk_testing::MosquittoBuilder,
) -> Option<Mosquitto> {
    configure(Mosquitto::builder())
        .start()
        .await
        .expect("mosquitto starts")
}

pub async fn mosquitto() -> Option<Mosquitto> {
    mosquitto_with(|b| b).await
}

/// A unique client id / topic prefix for this test process.
pub fn unique(name: &str) -> String {
    use std::sync::atomic::{AtomicUsize, Ordering};
    static N: AtomicUsize = AtomicUsize::new(0);
    format!(
        "{name}-{}-{}",
        std::process::id(),
        N.fetch_add(1, Ordering::Relaxed)
    )
}

/// What a [`Recorder`] saw.
#[derive(Debug, Default)]
pub struct Seen {
    pub connected: Vec<ConnectResult>,
    pub disconnected: Vec<DisconnectCause>,
    pub messages: Vec<Publish>,
    pub published: Vec<PublishResult>,
    pub subscribed: Vec<SubscribeResult>,
    pub reconnecting: Vec<u32>,
    pub connect_failed: Vec<ClientError>,
    pub session_lost: Vec<(usize, usize)>,
}

/// An event handler that records everything, readable from the test.
#[derive(Clone, Debug, Default)]
pub struct Recorder(pub Arc<Mutex<Seen>>);

impl Recorder {
    pub fn seen(&self) -> std::sync::MutexGuard<'_, Seen> {
        self.0.lock().unwrap()
    }

    /// Waits until `check` holds for what was seen, or fails after [`STEP`].
    pub async fn until(&self, what: &str, check: impl Fn(&Seen) -> bool) {
        let deadline = tokio::time::Instant::now() + STEP;
        while !check(&self.seen()) {
            assert!(
                tokio::time::Instant::now() < deadline,
                "timed out waiting for {what}: {:#?}",
                self.seen()
            );
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    }
}

impl TokioMqttEventHandler for Recorder {
    fn on_connected(&mut self, result: &ConnectResult) {
        self.seen().connected.push(result.clone());
    }
    fn on_connect_failed(&mut self, error: &ClientError) {
        self.seen().connect_failed.push(error.clone());
    }
    fn on_disconnected(&mut self, cause: &DisconnectCause) {
        self.seen().disconnected.push(cause.clone());
    }
    fn on_message_received(&mut self, message: &Publish) {
        self.seen().messages.push(message.clone());
    }
    fn on_published(&mut self, result: &PublishResult) {
        self.seen().published.push(result.clone());
    }
    fn on_subscribed(&mut self, result: &SubscribeResult) {
        self.seen().subscribed.push(result.clone());
    }
    fn on_reconnecting(&mut self, attempt: u32, _delay: Duration) {
        self.seen().reconnecting.push(attempt);
    }
    fn on_session_lost(&mut self, requeued: usize, resubscribed: usize) {
        self.seen().session_lost.push((requeued, resubscribed));
    }
}

/// A client of `peer` with a [`Recorder`], local timeouts and fast reconnects.
pub async fn client(
    peer: &str,
    options: impl FnOnce(MqttClientOptionsBuilder) -> MqttClientOptionsBuilder,
    config: impl FnOnce(TokioAsyncClientConfigBuilder) -> TokioAsyncClientConfigBuilder,
) -> (TokioAsyncMqttClient, Recorder) {
    let options = options(
        MqttClientOptions::builder()
            .peer(peer)
            .client_id(unique("c")),
    )
    .build()
    .unwrap();
    let config = config(
        TokioAsyncClientConfig::builder()
            .local_timeouts()
            .reconnect_delay_initial(Duration::from_millis(50))
            .reconnect_delay_max(Duration::from_millis(500)),
    )
    .build()
    .unwrap();
    let recorder = Recorder::default();
    let client = TokioAsyncMqttClient::new(options, Box::new(recorder.clone()), config)
        .await
        .unwrap();
    (client, recorder)
}
