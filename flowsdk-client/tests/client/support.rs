//! Shared pieces of the integration tests: a broker, clients, and an event recorder.

use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use flowsdk_client::proto::DisconnectCause;
use flowsdk_client::tokio_async_client::{
    ConnectResult, DroppedMessage, PingResult, PublishResult, SubscribeResult,
    TokioMqttEventHandler, UnsubscribeResult,
};
use flowsdk_client::{
    ClientError, MqttClientOptions, MqttClientOptionsBuilder, TokioAsyncClientConfig,
    TokioAsyncClientConfigBuilder, TokioAsyncMqttClient,
};
use flowsdk_codec::{Publish, TopicName};
use flowsdk_testing::Mosquitto;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::watch;

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
    pub unsubscribed: Vec<UnsubscribeResult>,
    pub pings: Vec<PingResult>,
    pub dropped: Vec<(TopicName, DroppedMessage)>,
    pub errors: Vec<ClientError>,
    pub reconnect_failed: Vec<u32>,
    /// For each entry of `published`: how many `on_connected` had been seen when it came.
    pub published_after_connects: Vec<usize>,
}

impl Seen {
    /// The payloads of the messages received on `topic`, as text, in arrival order.
    pub fn payloads_on(&self, topic: &str) -> Vec<String> {
        self.messages
            .iter()
            .filter(|m| m.topic.as_str() == topic)
            .map(|m| String::from_utf8_lossy(&m.payload).into_owned())
            .collect()
    }
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
        let mut s = self.seen();
        let connects = s.connected.len();
        s.published.push(result.clone());
        s.published_after_connects.push(connects);
    }
    fn on_unsubscribed(&mut self, result: &UnsubscribeResult) {
        self.seen().unsubscribed.push(result.clone());
    }
    fn on_ping_response(&mut self, result: &PingResult) {
        self.seen().pings.push(*result);
    }
    fn on_message_dropped(&mut self, topic: &TopicName, reason: DroppedMessage) {
        self.seen().dropped.push((topic.clone(), reason));
    }
    fn on_error(&mut self, error: &ClientError) {
        self.seen().errors.push(error.clone());
    }
    fn on_reconnect_failed(&mut self, attempt: u32, _error: &ClientError) {
        self.seen().reconnect_failed.push(attempt);
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

/// A connected client of `broker`'s TCP listener with a [`Recorder`] and the defaults of
/// [`client`].
pub async fn connected(broker: &Mosquitto) -> (TokioAsyncMqttClient, Recorder) {
    let (c, seen) = client(&broker.tcp_address(), |o| o, |c| c).await;
    c.connect_sync().await.unwrap();
    (c, seen)
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

/// Runs `f` until it returns `Some`, polling every 10 ms, or fails after [`STEP`].
pub async fn eventually<T>(what: &str, mut f: impl FnMut() -> Option<T>) -> T {
    let deadline = tokio::time::Instant::now() + STEP;
    loop {
        if let Some(v) = f() {
            return v;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "timed out waiting for {what}"
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

/// A TCP forwarder on 127.0.0.1 whose connections can be cut at once, without DISCONNECT:
/// what a client's network failure looks like to the broker. New connections keep being
/// forwarded after a cut.
#[derive(Debug)]
pub struct Cutter {
    addr: SocketAddr,
    cut: watch::Sender<u64>,
    up_bytes: Arc<AtomicU64>,
    task: tokio::task::JoinHandle<()>,
}

impl Cutter {
    /// Forwards to `upstream` (`host:port`).
    pub async fn start(upstream: &str) -> Cutter {
        let upstream: SocketAddr = upstream.parse().unwrap();
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let (cut, _) = watch::channel(0u64);
        let up_bytes = Arc::new(AtomicU64::new(0));
        let task = {
            let cut = cut.clone();
            let up_bytes = up_bytes.clone();
            tokio::spawn(async move {
                while let Ok((client, _)) = listener.accept().await {
                    let Ok(broker) = TcpStream::connect(upstream).await else {
                        continue;
                    };
                    let mut rx = cut.subscribe();
                    let up_bytes = up_bytes.clone();
                    tokio::spawn(async move {
                        let (mut cr, mut cw) = client.into_split();
                        let (mut br, mut bw) = broker.into_split();
                        let up = pump(&mut cr, &mut bw, Some(&up_bytes));
                        let down = pump(&mut br, &mut cw, None);
                        tokio::select! {
                            _ = async { tokio::join!(up, down) } => {}
                            _ = rx.changed() => {}
                        }
                        // Both sockets are dropped here: the broker sees the connection end
                        // without a DISCONNECT.
                    });
                }
            })
        };
        Cutter {
            addr,
            cut,
            up_bytes,
            task,
        }
    }

    /// The address clients dial, `127.0.0.1:port`.
    pub fn address(&self) -> String {
        self.addr.to_string()
    }

    /// Closes every open connection now (both sides, no DISCONNECT).
    pub fn cut(&self) {
        self.cut.send_modify(|n| *n += 1);
    }

    /// Bytes forwarded from clients to the broker so far.
    pub fn client_to_broker_bytes(&self) -> u64 {
        self.up_bytes.load(Ordering::Relaxed)
    }
}

impl Drop for Cutter {
    fn drop(&mut self) {
        self.cut();
        self.task.abort();
    }
}

async fn pump(
    from: &mut tokio::net::tcp::OwnedReadHalf,
    to: &mut tokio::net::tcp::OwnedWriteHalf,
    count: Option<&AtomicU64>,
) {
    let mut buf = vec![0u8; 16 * 1024];
    loop {
        match from.read(&mut buf).await {
            Ok(0) | Err(_) => break,
            Ok(n) => {
                if to.write_all(&buf[..n]).await.is_err() {
                    break;
                }
                if let Some(c) = count {
                    c.fetch_add(n as u64, Ordering::Relaxed);
                }
            }
        }
    }
    let _ = to.shutdown().await;
}
