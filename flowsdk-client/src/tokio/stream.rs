//! [`MessageStream`]: the messages of one subscription as a `Stream`.

use std::pin::Pin;
use std::task::{Context, Poll};

use flowsdk_codec::Publish;
use tokio::sync::mpsc;

/// The messages matching one subscription's filters, for code that prefers streams to
/// callbacks. Returned by
/// [`TokioAsyncMqttClient::subscribe_stream`](super::TokioAsyncMqttClient::subscribe_stream).
///
/// The stream is bounded (the client's `stream_capacity`); when it is full, a new message is
/// dropped and reported to the event handler's `on_message_dropped`, never blocking the
/// client. It ends when the client shuts down; dropping it stops the routing (the broker
/// subscription stays until unsubscribed).
#[derive(Debug)]
pub struct MessageStream {
    rx: mpsc::Receiver<Publish>,
}

impl MessageStream {
    pub(crate) fn new(rx: mpsc::Receiver<Publish>) -> Self {
        MessageStream { rx }
    }

    /// The next message; `None` once the client has shut down.
    pub async fn recv(&mut self) -> Option<Publish> {
        self.rx.recv().await
    }

    /// A message already waiting, without waiting.
    pub fn try_recv(&mut self) -> Option<Publish> {
        self.rx.try_recv().ok()
    }
}

impl futures_util::Stream for MessageStream {
    type Item = Publish;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Publish>> {
        self.rx.poll_recv(cx)
    }
}
