//! [`MqttClient`]: the blocking client, for code without an async runtime.

use std::time::Duration;

use flowsdk_codec::Publish;
use futures_util::future::select_all;

use crate::command::{IntoQoS, Payload, PublishCommand, SubscribeCommand};
use crate::error::ClientError;
use crate::options::MqttClientOptions;
use crate::tokio::{
    ConnectResult, MessageStream, PingResult, PublishResult, SubscribeResult,
    TokioAsyncClientConfig, TokioAsyncMqttClient, UnsubscribeResult,
};

/// A blocking MQTT client: the same session and driver as [`TokioAsyncMqttClient`], on a
/// small runtime of its own (one worker thread), with methods that block until the broker
/// answers.
///
/// Incoming messages are read with [`MqttClient::recv_message`] from the subscriptions made
/// with [`MqttClient::subscribe`].
///
/// # Examples
/// ```no_run
/// use flowsdk_client::{MqttClient, MqttClientOptions, TokioAsyncClientConfig};
/// use std::time::Duration;
///
/// let options = MqttClientOptions::builder().peer("localhost:1883").client_id("blocking-1").build()?;
/// let client = MqttClient::new(options, TokioAsyncClientConfig::default())?;
/// client.connect()?;
/// client.subscribe("sensors/#", 1)?;
/// client.publish("sensors/temp", b"21.5", 1, false)?;
/// if let Some(message) = client.recv_message(Duration::from_secs(1))? {
///     println!("{}: {:?}", message.topic.as_str(), message.payload);
/// }
/// client.disconnect()?;
/// # Ok::<(), flowsdk_client::ClientError>(())
/// ```
#[derive(Debug)]
pub struct MqttClient {
    // Declared before the runtime so it is dropped (and the driver told to stop) first.
    client: TokioAsyncMqttClient,
    messages: std::sync::Mutex<Vec<MessageStream>>,
    runtime: tokio::runtime::Runtime,
}

impl MqttClient {
    /// Creates the client and its runtime; does not connect.
    ///
    /// # Errors
    /// [`ClientError::Transport`] wrapping the I/O error if the runtime cannot start; as
    /// [`TokioAsyncMqttClient::new`].
    pub fn new(
        options: MqttClientOptions,
        config: TokioAsyncClientConfig,
    ) -> Result<Self, ClientError> {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .thread_name("flowsdk-mqtt")
            .enable_all()
            .build()
            .map_err(|e| ClientError::invalid("runtime", e.to_string()))?;
        let client = runtime.block_on(TokioAsyncMqttClient::without_handler(options, config))?;
        Ok(MqttClient {
            client,
            messages: std::sync::Mutex::new(Vec::new()),
            runtime,
        })
    }

    /// The asynchronous client underneath, for use from async code.
    pub fn async_client(&self) -> &TokioAsyncMqttClient {
        &self.client
    }

    /// Connects and waits for CONNACK.
    ///
    /// # Errors
    /// As [`TokioAsyncMqttClient::connect_sync`].
    pub fn connect(&self) -> Result<ConnectResult, ClientError> {
        self.runtime.block_on(self.client.connect_sync())
    }

    /// Publishes and waits for the acknowledgement of its QoS.
    ///
    /// # Errors
    /// As [`TokioAsyncMqttClient::publish_sync`].
    pub fn publish(
        &self,
        topic: &str,
        payload: impl Into<Payload>,
        qos: impl IntoQoS,
        retain: bool,
    ) -> Result<PublishResult, ClientError> {
        self.runtime
            .block_on(self.client.publish_sync(topic, payload, qos, retain))
    }

    /// Publishes a [`PublishCommand`] and waits for its acknowledgement.
    ///
    /// # Errors
    /// As [`TokioAsyncMqttClient::publish_with_command_sync`].
    pub fn publish_with_command(&self, cmd: PublishCommand) -> Result<PublishResult, ClientError> {
        self.runtime
            .block_on(self.client.publish_with_command_sync(cmd))
    }

    /// Subscribes, waits for the SUBACK, and routes matching messages to
    /// [`recv_message`](Self::recv_message).
    ///
    /// # Errors
    /// As [`TokioAsyncMqttClient::subscribe_sync`].
    pub fn subscribe(
        &self,
        filter: &str,
        qos: impl IntoQoS,
    ) -> Result<SubscribeResult, ClientError> {
        self.subscribe_with_command(SubscribeCommand::single(filter, qos)?)
    }

    /// Subscribes with a [`SubscribeCommand`]; as [`subscribe`](Self::subscribe).
    ///
    /// # Errors
    /// As [`TokioAsyncMqttClient::subscribe_stream`].
    pub fn subscribe_with_command(
        &self,
        cmd: SubscribeCommand,
    ) -> Result<SubscribeResult, ClientError> {
        let (result, stream) = self.runtime.block_on(self.client.subscribe_stream(cmd))?;
        self.streams().push(stream);
        Ok(result)
    }

    /// Unsubscribes and waits for the UNSUBACK.
    ///
    /// # Errors
    /// As [`TokioAsyncMqttClient::unsubscribe_sync`].
    pub fn unsubscribe(&self, filter: &str) -> Result<UnsubscribeResult, ClientError> {
        self.runtime.block_on(self.client.unsubscribe_sync(filter))
    }

    /// Acknowledges a received message under manual acknowledgement.
    ///
    /// # Errors
    /// As [`TokioAsyncMqttClient::ack`].
    pub fn ack(&self, message: &Publish) -> Result<(), ClientError> {
        self.client.ack(message)
    }

    /// Pings and waits for PINGRESP.
    ///
    /// # Errors
    /// As [`TokioAsyncMqttClient::ping_sync`].
    pub fn ping(&self) -> Result<PingResult, ClientError> {
        self.runtime.block_on(self.client.ping_sync())
    }

    /// Publishes a request and waits for its response (5.0).
    ///
    /// # Errors
    /// As [`TokioAsyncMqttClient::request`].
    pub fn request(
        &self,
        topic: &str,
        payload: impl Into<Payload>,
        timeout: Duration,
    ) -> Result<Publish, ClientError> {
        self.runtime
            .block_on(self.client.request(topic, payload, timeout))
    }

    fn streams(&self) -> std::sync::MutexGuard<'_, Vec<MessageStream>> {
        self.messages
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// The next message of any subscription, waiting up to `timeout`; `Ok(None)` when none
    /// arrived in time. Calls from several threads take turns.
    ///
    /// # Errors
    /// [`ClientError::InvalidOption`] without any subscription; [`ClientError::Closed`] when
    /// the client has shut down.
    pub fn recv_message(&self, timeout: Duration) -> Result<Option<Publish>, ClientError> {
        let mut streams = self.streams();
        if streams.is_empty() {
            return Err(ClientError::invalid(
                "subscribe",
                "no subscription to receive from",
            ));
        }
        let deadline = tokio::time::Instant::now() + timeout;
        self.runtime.block_on(async {
            loop {
                for s in streams.iter_mut() {
                    if let Some(m) = s.try_recv() {
                        return Ok(Some(m));
                    }
                }
                let first = {
                    let next = streams.iter_mut().map(|s| Box::pin(s.recv()));
                    match tokio::time::timeout_at(deadline, select_all(next)).await {
                        Ok((message, index, _)) => Ok((message, index)),
                        Err(elapsed) => Err(elapsed),
                    }
                };
                match first {
                    Ok((Some(m), _)) => return Ok(Some(m)),
                    // That stream's subscription is gone (unsubscribed, or the client shut
                    // down): drop it and keep waiting on the others.
                    Ok((None, index)) => {
                        streams.remove(index);
                        if streams.is_empty() {
                            return Err(ClientError::Closed);
                        }
                    }
                    Err(_) => return Ok(None),
                }
            }
        })
    }

    /// Disconnects normally and waits until the connection is closed.
    ///
    /// # Errors
    /// As [`TokioAsyncMqttClient::disconnect_sync`].
    pub fn disconnect(&self) -> Result<(), ClientError> {
        self.runtime.block_on(self.client.disconnect_sync())
    }
}
