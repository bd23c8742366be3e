//! MQTT over WebSocket (MQTT 5.0 section 6, RFC 6455): the upgrade on either side, and an
//! adapter that turns the WebSocket back into the byte stream the packet codec reads.
//!
//! MQTT packets travel in binary frames [MQTT-6.0.0-1], and frame boundaries mean nothing to
//! MQTT: a frame may hold part of a packet or several packets [MQTT-6.0.0-2]. So every write
//! becomes one binary frame (split at [`WsConfig::max_frame_size`]), and reads concatenate the
//! payloads of the binary frames as they arrive. The client offers the subprotocol `mqtt`
//! [MQTT-6.0.0-3] and insists the server selects it [MQTT-6.0.0-4].
//!
//! WebSocket has no half-close: after a Close frame, RFC 6455 section 5.5.1 allows no more data
//! in that direction, and the peer answers with its own Close. Shutting down the connection
//! sends Close; reading the peer's Close ends the stream, and writing after it fails.

use std::io;
use std::pin::Pin;
use std::task::{ready, Context, Poll};

use bytes::{Buf, Bytes, BytesMut};
use futures_util::{Sink, Stream};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::error::{CapacityError, ProtocolError, SubProtocolError};
use tokio_tungstenite::tungstenite::handshake::server::{ErrorResponse, Request, Response};
use tokio_tungstenite::tungstenite::http::header::{HeaderName, HeaderValue};
use tokio_tungstenite::tungstenite::http::{header, StatusCode};
use tokio_tungstenite::tungstenite::protocol::frame::coding::CloseCode;
use tokio_tungstenite::tungstenite::protocol::{CloseFrame, WebSocketConfig};
use tokio_tungstenite::tungstenite::{Error as WsError, Message};
use tokio_tungstenite::WebSocketStream;

use crate::connection::BoxStream;
use crate::{Address, Phase, TransportError};

/// The WebSocket subprotocol MQTT uses [MQTT-6.0.0-3].
const SUBPROTOCOL: &str = "mqtt";

/// The request path a listener serves when neither its address nor [`WsConfig::path`] names one.
const DEFAULT_PATH: &str = "/mqtt";

/// How much of a refused handshake's response body goes into the error message.
const BODY_EXCERPT: usize = 200;

/// Request headers the WebSocket handshake writes itself; [`WsConfig::header`] refuses them.
const RESERVED_HEADERS: [&str; 6] = [
    "host",
    "connection",
    "upgrade",
    "sec-websocket-version",
    "sec-websocket-key",
    "sec-websocket-protocol",
];

/// WebSocket settings for `ws://` and `wss://`, on the dialing and on the listening side.
///
/// Set it with [`TransportConfigBuilder::ws`](crate::TransportConfigBuilder::ws) or
/// [`ListenerConfigBuilder::ws`](crate::ListenerConfigBuilder::ws).
///
/// On the wire (MQTT 5.0 section 6): the dialer offers the subprotocol `mqtt` and refuses a
/// server that does not select it [MQTT-6.0.0-3, MQTT-6.0.0-4]; a listener answers HTTP 404 for
/// another path and 400 for a client offering subprotocols without `mqtt`. Packets go in binary
/// frames [MQTT-6.0.0-1]; frame boundaries mean nothing, a packet may span frames and a frame
/// may hold several [MQTT-6.0.0-2]. A text frame fails the read (the peer gets Close 1003). Ping
/// is answered with Pong. WebSocket has no half-close: [`MqttConnection::shutdown`] sends Close,
/// reading the peer's Close ends the stream (`Ok(None)`), and sending after it is an error in
/// phase `Write`.
///
/// [`MqttConnection::shutdown`]: crate::MqttConnection::shutdown
///
/// ```
/// use flowsdk_transport::{ListenerConfig, TransportConfig, WsConfig};
/// let dialer = TransportConfig::builder()
///     .ws(WsConfig::default().header("Authorization", "Bearer 0123")?)
///     .build();
/// let listener = ListenerConfig::builder()
///     .ws(WsConfig::default().path("/mqtt").require_mqtt_subprotocol(true))
///     .build();
/// # Ok::<(), flowsdk_transport::TransportError>(())
/// ```
#[derive(Clone, Debug)]
pub struct WsConfig {
    path: Option<String>,
    require_mqtt_subprotocol: bool,
    max_frame_size: usize,
    max_message_size: usize,
    headers: Vec<(HeaderName, HeaderValue)>,
}

impl Default for WsConfig {
    fn default() -> Self {
        WsConfig {
            path: None,
            require_mqtt_subprotocol: false,
            max_frame_size: 16 << 20,
            max_message_size: 64 << 20,
            headers: Vec::new(),
        }
    }
}

impl WsConfig {
    /// The default settings, as stated on each setter.
    pub fn new() -> Self {
        WsConfig::default()
    }

    /// The request path a listener serves (it answers any other path with HTTP 404), starting
    /// with `/`. Default: the path of the address the listener binds, which is `/mqtt` when the
    /// address names none; [`Listener::local_address`](crate::Listener::local_address) reports
    /// the path served. A dialer ignores this setting and requests the path of the address it
    /// dials.
    #[must_use]
    pub fn path(mut self, path: impl Into<String>) -> Self {
        self.path = Some(path.into());
        self
    }

    /// Whether a listener refuses clients that offer no subprotocol at all. A client that offers
    /// subprotocols without `mqtt` is always refused [MQTT-6.0.0-3]. Default: `false` (a client
    /// that offers none is accepted and answered without a subprotocol).
    #[must_use]
    pub fn require_mqtt_subprotocol(mut self, require: bool) -> Self {
        self.require_mqtt_subprotocol = require;
        self
    }

    /// Largest frame payload accepted from the peer, and largest this side sends: a longer write
    /// goes out in several binary frames, which MQTT allows [MQTT-6.0.0-2]. A larger incoming
    /// frame fails the read. Default: 16 MiB; values below 1 are taken as 1.
    #[must_use]
    pub fn max_frame_size(mut self, max: usize) -> Self {
        self.max_frame_size = max.max(1);
        self
    }

    /// Largest message accepted from a peer that fragments messages into continuation frames
    /// (a message is reassembled in memory before it is read). Default: 64 MiB; values below 1
    /// are taken as 1.
    #[must_use]
    pub fn max_message_size(mut self, max: usize) -> Self {
        self.max_message_size = max.max(1);
        self
    }

    /// Adds a header to the upgrade request a dialer sends (e.g. `Authorization`, `Origin`).
    /// Listeners ignore it.
    ///
    /// # Errors
    /// [`TransportError::Config`] when `name` or `value` is not a valid HTTP header name or
    /// value, or when `name` is one the handshake writes itself (`Host`, `Connection`,
    /// `Upgrade`, `Sec-WebSocket-Version`, `Sec-WebSocket-Key`, `Sec-WebSocket-Protocol`).
    pub fn header(mut self, name: &str, value: &str) -> Result<Self, TransportError> {
        let header_name = HeaderName::from_bytes(name.as_bytes()).map_err(|_| {
            TransportError::Config(format!(
                "WebSocket header name {name:?} is not a valid HTTP header name"
            ))
        })?;
        if RESERVED_HEADERS.contains(&header_name.as_str()) {
            return Err(TransportError::Config(format!(
                "WebSocket header {name:?} is written by the handshake itself and cannot be set"
            )));
        }
        let header_value = HeaderValue::from_str(value).map_err(|_| {
            TransportError::Config(format!(
                "the value of WebSocket header {name:?} is not a valid HTTP header value"
            ))
        })?;
        self.headers.push((header_name, header_value));
        Ok(self)
    }

    /// The extra request headers, in the order added.
    pub fn headers(&self) -> impl Iterator<Item = (&str, &[u8])> {
        self.headers
            .iter()
            .map(|(name, value)| (name.as_str(), value.as_bytes()))
    }

    fn tungstenite(&self) -> WebSocketConfig {
        WebSocketConfig::default()
            .max_frame_size(Some(self.max_frame_size))
            .max_message_size(Some(self.max_message_size))
    }

    fn served_path(&self) -> &str {
        self.path.as_deref().unwrap_or(DEFAULT_PATH)
    }
}

/// Settles the path a `ws`/`wss` listener serves: the [`WsConfig::path`] when set (and the
/// listener's address then names it), otherwise the path of the address.
pub(crate) fn resolve_listener_path(
    mut config: crate::ListenerConfig,
    address: Address,
) -> (crate::ListenerConfig, Address) {
    match &config.ws.path {
        Some(path) if path != address.path() => {
            let address = Address::new(address.scheme(), address.host(), address.port(), path);
            (config, address)
        }
        Some(_) => (config, address),
        None => {
            config.ws.path = Some(address.path().to_owned());
            (config, address)
        }
    }
}

fn protocol_error(address: &Address, message: String) -> TransportError {
    TransportError::Protocol {
        address: address.to_string(),
        phase: Phase::WebSocketUpgrade,
        message,
    }
}

/// Maps a failed handshake to the transport error, naming what went wrong in HTTP terms.
fn upgrade_error(address: &Address, error: WsError) -> TransportError {
    let message = match error {
        WsError::Io(source) => return TransportError::io(address, Phase::WebSocketUpgrade, source),
        WsError::Http(response) => {
            let body = response
                .body()
                .as_deref()
                .map(|b| String::from_utf8_lossy(&b[..b.len().min(BODY_EXCERPT)]).into_owned())
                .unwrap_or_default();
            let body = body.trim();
            let mut message = format!(
                "server answered HTTP {} instead of 101 Switching Protocols",
                response.status()
            );
            if !body.is_empty() {
                message.push_str(": ");
                message.push_str(body);
            }
            message
        }
        WsError::Protocol(ProtocolError::SecWebSocketSubProtocolError(e)) => match e {
            SubProtocolError::NoSubProtocol | SubProtocolError::InvalidSubProtocol => format!(
                "server did not select the WebSocket subprotocol {SUBPROTOCOL:?} [MQTT-6.0.0-4] ({e})"
            ),
            e => format!("WebSocket subprotocol negotiation failed: {e}"),
        },
        e => format!("WebSocket handshake failed: {e}"),
    };
    protocol_error(address, message)
}

/// Upgrades `stream` as a client: requests the path of `address`, offers the `mqtt`
/// subprotocol and checks the server selected it.
pub(crate) async fn client_handshake(
    stream: BoxStream,
    address: &Address,
    config: &WsConfig,
) -> Result<BoxStream, TransportError> {
    let uri = address.to_string();
    let mut request = uri.as_str().into_client_request().map_err(|e| {
        protocol_error(
            address,
            format!("cannot make an upgrade request for {uri}: {e}"),
        )
    })?;
    let headers = request.headers_mut();
    headers.insert(
        header::SEC_WEBSOCKET_PROTOCOL,
        HeaderValue::from_static(SUBPROTOCOL),
    );
    for (name, value) in &config.headers {
        headers.append(name.clone(), value.clone());
    }
    let (ws, response) =
        tokio_tungstenite::client_async_with_config(request, stream, Some(config.tungstenite()))
            .await
            .map_err(|e| upgrade_error(address, e))?;
    // tungstenite checks the server chose one of the offered subprotocols; `mqtt` is the only
    // one offered, but say so here rather than lean on that.
    match response.headers().get(header::SEC_WEBSOCKET_PROTOCOL) {
        Some(selected) if selected == SUBPROTOCOL => {}
        selected => {
            return Err(protocol_error(
                address,
                format!(
                    "server selected the WebSocket subprotocol {selected:?}, not {SUBPROTOCOL:?} \
                     [MQTT-6.0.0-4]"
                ),
            ))
        }
    }
    Ok(Box::new(WsStream::new(ws, config)))
}

/// Whether the server accepts an upgrade request, and then whether it selects `mqtt`; or why it
/// refuses, as the HTTP status and the explanation.
fn check_request(request: &Request, config: &WsConfig) -> Result<bool, (StatusCode, String)> {
    let path = request.uri().path();
    let served = config.served_path();
    if path != served {
        return Err((
            StatusCode::NOT_FOUND,
            format!("request path {path:?} is not the MQTT endpoint {served:?}"),
        ));
    }
    let offered = offered_subprotocols(request);
    if offered.iter().any(|p| p == SUBPROTOCOL) {
        return Ok(true);
    }
    if offered.is_empty() && !config.require_mqtt_subprotocol {
        return Ok(false);
    }
    Err((
        StatusCode::BAD_REQUEST,
        format!(
            "MQTT over WebSocket needs the subprotocol {SUBPROTOCOL:?} [MQTT-6.0.0-3]; the \
             client offered {offered:?}"
        ),
    ))
}

/// The subprotocols a request offers, from every `Sec-WebSocket-Protocol` header.
fn offered_subprotocols(request: &Request) -> Vec<String> {
    request
        .headers()
        .get_all(header::SEC_WEBSOCKET_PROTOCOL)
        .iter()
        .flat_map(|value| {
            String::from_utf8_lossy(value.as_bytes())
                .split(',')
                .map(|p| p.trim().to_owned())
                .collect::<Vec<_>>()
        })
        .filter(|p| !p.is_empty())
        .collect()
}

/// Accepts the upgrade as a server: checks the path, selects the `mqtt` subprotocol, and
/// answers 404 or 400 with the reason when it refuses.
pub(crate) async fn server_handshake(
    stream: BoxStream,
    peer: &Address,
    config: &WsConfig,
) -> Result<BoxStream, TransportError> {
    let mut refusal = None;
    // The error type is tungstenite's (the HTTP response to send), not ours to shrink.
    #[allow(clippy::result_large_err)]
    let callback = |request: &Request, mut response: Response| match check_request(request, config)
    {
        Ok(select_mqtt) => {
            if select_mqtt {
                response.headers_mut().insert(
                    header::SEC_WEBSOCKET_PROTOCOL,
                    HeaderValue::from_static(SUBPROTOCOL),
                );
            }
            Ok(response)
        }
        Err((status, reason)) => {
            let mut refused = ErrorResponse::new(Some(reason.clone()));
            *refused.status_mut() = status;
            refused.headers_mut().insert(
                header::CONTENT_TYPE,
                HeaderValue::from_static("text/plain; charset=utf-8"),
            );
            refusal = Some(reason);
            Err(refused)
        }
    };
    let result = tokio_tungstenite::accept_hdr_async_with_config(
        stream,
        callback,
        Some(config.tungstenite()),
    )
    .await;
    match (result, refusal) {
        (Ok(ws), _) => Ok(Box::new(WsStream::new(ws, config))),
        (Err(_), Some(reason)) => Err(protocol_error(
            peer,
            format!("refused the WebSocket upgrade: {reason}"),
        )),
        (Err(e), None) => Err(upgrade_error(peer, e)),
    }
}

/// Where reading stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum ReadState {
    Open,
    /// The peer sent Close; tungstenite queued the Close in answer, which goes out before the
    /// read reports the end.
    Closing,
    /// The peer sent Close, or the connection ended: reads return 0.
    Closed,
    /// A read failed; the WebSocket is unusable and every further read fails.
    Failed,
}

/// A WebSocket as a byte stream: writes become binary frames, reads concatenate binary frames.
struct WsStream {
    inner: WebSocketStream<BoxStream>,
    /// The unread rest of the last binary frame.
    pending: Bytes,
    max_frame_size: usize,
    read: ReadState,
}

impl WsStream {
    fn new(inner: WebSocketStream<BoxStream>, config: &WsConfig) -> Self {
        WsStream {
            inner,
            pending: Bytes::new(),
            max_frame_size: config.max_frame_size,
            read: ReadState::Open,
        }
    }

    /// Refuses a text frame [MQTT-6.0.0-1]: tells the peer with Close 1003 (unsupported data),
    /// as far as the socket takes it now, and fails the read. The owner then drops the
    /// connection, which closes it as the rule requires.
    fn refuse_text(&mut self, cx: &mut Context<'_>) -> io::Error {
        let close = Message::Close(Some(CloseFrame {
            code: CloseCode::Unsupported,
            reason: "MQTT needs binary frames [MQTT-6.0.0-1]".into(),
        }));
        if Pin::new(&mut self.inner).start_send(close).is_ok() {
            // Best effort: the read fails either way, and a pending flush finishes on a later
            // write or not at all.
            let _ = Pin::new(&mut self.inner).poll_flush(cx);
        }
        io::Error::new(
            io::ErrorKind::InvalidData,
            "WebSocket text frame received; MQTT travels in binary frames only [MQTT-6.0.0-1]",
        )
    }
}

fn read_error(error: WsError) -> io::Error {
    match error {
        WsError::Io(e) => e,
        WsError::Capacity(e @ CapacityError::MessageTooLong { .. }) => io::Error::new(
            io::ErrorKind::InvalidData,
            format!("WebSocket frame or message over the limit (WsConfig::max_frame_size, max_message_size): {e}"),
        ),
        e => io::Error::new(io::ErrorKind::InvalidData, format!("WebSocket: {e}")),
    }
}

fn write_error(error: WsError) -> io::Error {
    match error {
        WsError::Io(e) => e,
        WsError::Protocol(ProtocolError::SendAfterClosing) | WsError::AlreadyClosed => {
            io::Error::new(
                io::ErrorKind::BrokenPipe,
                "the WebSocket is closing (a Close frame was sent or received); no data may \
                 follow [RFC 6455 5.5.1]",
            )
        }
        WsError::ConnectionClosed => io::Error::new(
            io::ErrorKind::BrokenPipe,
            "the WebSocket connection is closed",
        ),
        e => io::Error::other(format!("WebSocket: {e}")),
    }
}

impl AsyncRead for WsStream {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let this = &mut *self;
        if buf.remaining() == 0 {
            return Poll::Ready(Ok(()));
        }
        loop {
            if !this.pending.is_empty() {
                let n = this.pending.len().min(buf.remaining());
                buf.put_slice(&this.pending[..n]);
                this.pending.advance(n);
                return Poll::Ready(Ok(()));
            }
            match this.read {
                ReadState::Open => {}
                ReadState::Closing => {
                    // Whether or not the answer makes it out, the stream has ended.
                    let _ = ready!(Pin::new(&mut this.inner).poll_flush(cx));
                    this.read = ReadState::Closed;
                    return Poll::Ready(Ok(()));
                }
                ReadState::Closed => return Poll::Ready(Ok(())),
                ReadState::Failed => {
                    return Poll::Ready(Err(io::Error::new(
                        io::ErrorKind::InvalidData,
                        "the WebSocket failed earlier and cannot be read",
                    )))
                }
            }
            // Ping is answered by tungstenite itself (the Pong goes out during this read or
            // the next write); Pong needs nothing.
            match ready!(Pin::new(&mut this.inner).poll_next(cx)) {
                Some(Ok(Message::Binary(data))) => this.pending = data,
                Some(Ok(Message::Ping(_) | Message::Pong(_) | Message::Frame(_))) => {}
                Some(Ok(Message::Close(_))) => this.read = ReadState::Closing,
                None => this.read = ReadState::Closed,
                Some(Ok(Message::Text(_))) => {
                    this.read = ReadState::Failed;
                    return Poll::Ready(Err(this.refuse_text(cx)));
                }
                // The peer closed TCP without the closing handshake: like a TCP FIN, a clean end
                // between packets; the connection reports one in the middle of a packet.
                Some(Err(
                    WsError::Protocol(ProtocolError::ResetWithoutClosingHandshake)
                    | WsError::ConnectionClosed
                    | WsError::AlreadyClosed,
                )) => this.read = ReadState::Closed,
                Some(Err(e)) => {
                    this.read = ReadState::Failed;
                    return Poll::Ready(Err(read_error(e)));
                }
            }
        }
    }
}

impl AsyncWrite for WsStream {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        if buf.is_empty() {
            return Poll::Ready(Ok(0));
        }
        let this = &mut *self;
        ready!(Pin::new(&mut this.inner).poll_ready(cx)).map_err(write_error)?;
        let n = buf.len().min(this.max_frame_size);
        Pin::new(&mut this.inner)
            .start_send(Message::Binary(Bytes::copy_from_slice(&buf[..n])))
            .map_err(write_error)?;
        Poll::Ready(Ok(n))
    }

    // A vectored write (headers and a large payload, see `flowsdk_codec::Frames`) becomes one
    // message, as a contiguous one does: the message is a copy either way.
    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        let total: usize = bufs.iter().map(|b| b.len()).sum();
        if total == 0 {
            return Poll::Ready(Ok(0));
        }
        let this = &mut *self;
        ready!(Pin::new(&mut this.inner).poll_ready(cx)).map_err(write_error)?;
        let n = total.min(this.max_frame_size);
        let mut message = BytesMut::with_capacity(n);
        for b in bufs {
            let take = b.len().min(n - message.len());
            message.extend_from_slice(&b[..take]);
            if message.len() == n {
                break;
            }
        }
        Pin::new(&mut this.inner)
            .start_send(Message::Binary(message.freeze()))
            .map_err(write_error)?;
        Poll::Ready(Ok(n))
    }

    fn is_write_vectored(&self) -> bool {
        true
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner)
            .poll_flush(cx)
            .map_err(write_error)
    }

    /// Sends Close and flushes. The TCP connection stays open for the peer's Close in answer;
    /// dropping the stream closes it.
    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        match ready!(Pin::new(&mut self.inner).poll_close(cx)) {
            Ok(())
            | Err(
                WsError::ConnectionClosed
                | WsError::AlreadyClosed
                | WsError::Protocol(ProtocolError::SendAfterClosing),
            ) => Poll::Ready(Ok(())),
            Err(e) => Poll::Ready(Err(write_error(e))),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn request(path: &str, protocols: &[&str]) -> Request {
        let mut builder = Request::builder().uri(path);
        for p in protocols {
            builder = builder.header(header::SEC_WEBSOCKET_PROTOCOL, *p);
        }
        builder.body(()).unwrap()
    }

    #[test]
    fn a_request_offering_mqtt_on_the_served_path_is_accepted() {
        let config = WsConfig::default();
        assert!(check_request(&request("/mqtt", &["mqtt"]), &config).is_ok());
        assert!(check_request(&request("/mqtt", &["chat, mqtt"]), &config).is_ok());
        assert!(check_request(&request("/mqtt", &["chat", "mqtt"]), &config).is_ok());
        assert!(check_request(&request("/mqtt?x=1", &["mqtt"]), &config).is_ok());
    }

    #[test]
    fn another_path_is_not_found() {
        let (status, reason) =
            check_request(&request("/other", &["mqtt"]), &WsConfig::default()).unwrap_err();
        assert_eq!(status, StatusCode::NOT_FOUND);
        assert!(reason.contains("\"/other\""), "{reason}");
        let config = WsConfig::default().path("/broker");
        assert!(check_request(&request("/broker", &["mqtt"]), &config).is_ok());
    }

    #[test]
    fn subprotocols_without_mqtt_are_refused() {
        // [MQTT-6.0.0-3]
        let (status, reason) =
            check_request(&request("/mqtt", &["chat, mqttv3.1"]), &WsConfig::default())
                .unwrap_err();
        assert_eq!(status, StatusCode::BAD_REQUEST);
        assert!(
            reason.contains("MQTT-6.0.0-3") && reason.contains("chat"),
            "{reason}"
        );
    }

    #[test]
    fn no_subprotocol_is_accepted_unless_required() {
        assert!(check_request(&request("/mqtt", &[]), &WsConfig::default()).is_ok());
        let strict = WsConfig::default().require_mqtt_subprotocol(true);
        assert!(check_request(&request("/mqtt", &[]), &strict).is_err());
    }

    #[test]
    fn headers_the_handshake_writes_cannot_be_set() {
        for name in ["Host", "sec-websocket-protocol", "Upgrade"] {
            assert!(
                matches!(
                    WsConfig::default().header(name, "x"),
                    Err(TransportError::Config(_))
                ),
                "{name}"
            );
        }
        assert!(WsConfig::default().header("bad name", "x").is_err());
        assert!(WsConfig::default().header("Origin", "bad\nvalue").is_err());
        let config = WsConfig::default().header("Origin", "https://a").unwrap();
        assert_eq!(
            config.headers().collect::<Vec<_>>(),
            [("origin", &b"https://a"[..])]
        );
    }

    #[test]
    fn a_listener_serves_its_address_path_unless_the_config_names_one() {
        let address: Address = "ws://127.0.0.1:0/custom".parse().unwrap();
        let (config, resolved) =
            resolve_listener_path(crate::ListenerConfig::default(), address.clone());
        assert_eq!(config.ws.served_path(), "/custom");
        assert_eq!(resolved, address);

        let config = crate::ListenerConfig::builder()
            .ws(WsConfig::default().path("/broker"))
            .build();
        let (config, resolved) = resolve_listener_path(config, address);
        assert_eq!(config.ws.served_path(), "/broker");
        assert_eq!(resolved.path(), "/broker");
    }
}
