//! MQTT over WebSocket (MQTT 5.0 section 6): our dialer against our listener, and a raw
//! tokio-tungstenite peer where the frames themselves are the point.

use std::time::Duration;

use bytes::{Bytes, BytesMut};
use flowsdk_codec::{
    Packet, PacketId, ProtocolVersion, Publish, QoS, Subscribe, Subscription, TopicFilter,
    TopicName,
};
use flowsdk_transport::{
    Listener, ListenerConfig, MqttConnection, Phase, Transport, TransportConfig, TransportError,
    WsConfig,
};
use futures_util::{SinkExt, StreamExt};
use tokio::net::TcpStream;
use tokio::time::{timeout, Instant};
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::handshake::server::{Request, Response};
use tokio_tungstenite::tungstenite::http::HeaderValue;
use tokio_tungstenite::tungstenite::protocol::frame::coding::{CloseCode, Data, OpCode};
use tokio_tungstenite::tungstenite::protocol::frame::Frame;
use tokio_tungstenite::tungstenite::{Error as WsError, Message};
use tokio_tungstenite::WebSocketStream;

use super::support::{connect_pair, mixed_packets, wire_size, STEP};

async fn ws_listener(config: ListenerConfig) -> Listener {
    Listener::bind("ws://127.0.0.1:0", config).await.unwrap()
}

fn encode(packet: &Packet) -> Vec<u8> {
    let mut buf = BytesMut::new();
    packet.encode(ProtocolVersion::V5, &mut buf).unwrap();
    buf.to_vec()
}

fn publish(payload_len: usize) -> Packet {
    let mut p = Publish::new(
        TopicName::new("ws/frames").unwrap(),
        (0..payload_len).map(|i| i as u8).collect::<Vec<u8>>(),
    );
    p.qos = QoS::AtLeastOnce;
    p.packet_id = PacketId::new(7);
    Packet::Publish(p)
}

/// A raw WebSocket client for `address`, offering `subprotocols` (none when empty).
async fn raw_client(
    address: &str,
    subprotocols: &str,
) -> Result<
    (
        WebSocketStream<TcpStream>,
        tokio_tungstenite::tungstenite::handshake::client::Response,
    ),
    WsError,
> {
    let uri: tokio_tungstenite::tungstenite::http::Uri = address.parse().unwrap();
    let tcp = TcpStream::connect(format!(
        "{}:{}",
        uri.host().unwrap(),
        uri.port_u16().unwrap()
    ))
    .await
    .unwrap();
    let mut request = address.into_client_request().unwrap();
    if !subprotocols.is_empty() {
        request.headers_mut().insert(
            "Sec-WebSocket-Protocol",
            HeaderValue::from_str(subprotocols).unwrap(),
        );
    }
    tokio_tungstenite::client_async(request, tcp).await
}

/// The listener's side of one raw client connecting with the `mqtt` subprotocol.
async fn raw_pair(listener: &Listener) -> (MqttConnection, WebSocketStream<TcpStream>) {
    let address = listener.local_address().to_string();
    let (server, client) = timeout(STEP, async {
        tokio::join!(
            async { listener.accept().await?.establish().await },
            raw_client(&address, "mqtt")
        )
    })
    .await
    .unwrap();
    let (client, response) = client.unwrap();
    assert_eq!(
        response.headers().get("Sec-WebSocket-Protocol").unwrap(),
        "mqtt",
        "the server selects the mqtt subprotocol [MQTT-6.0.0-4]"
    );
    (server.unwrap(), client)
}

/// WebSocket has no half-close (a Close frame ends both directions), so each side sends its
/// packets without shutting down, reads exactly as many as the other sent, and only then closes.
async fn exchange_then_close(a: MqttConnection, b: MqttConnection, n: usize) {
    let to_b = mixed_packets(n, 0x9E37_79B9);
    let to_a = mixed_packets(n, 0x7F4A_7C15);
    let (mut ar, mut aw) = a.into_split();
    let (mut br, mut bw) = b.into_split();
    async fn send(
        w: &mut flowsdk_transport::MqttWriteHalf,
        packets: &[Packet],
    ) -> Result<(), TransportError> {
        for (i, p) in packets.iter().enumerate() {
            w.enqueue(p)?;
            if i % 7 == 6 {
                w.flush().await?;
            }
        }
        w.flush().await
    }
    async fn receive(
        r: &mut flowsdk_transport::MqttReadHalf,
        n: usize,
    ) -> Result<Vec<Packet>, TransportError> {
        let mut got = Vec::with_capacity(n);
        while got.len() < n {
            match r.read_packet().await? {
                Some(p) => got.push(p),
                None => break,
            }
        }
        Ok(got)
    }
    let (sa, sb, ra, rb) = timeout(STEP, async {
        tokio::join!(
            send(&mut aw, &to_b),
            send(&mut bw, &to_a),
            receive(&mut ar, n),
            receive(&mut br, n)
        )
    })
    .await
    .expect("exchange finished in time");
    sa.expect("a sent");
    sb.expect("b sent");
    let (ra, rb) = (ra.expect("a received"), rb.expect("b received"));
    assert_eq!((ra.len(), rb.len()), (n, n));
    assert!(ra == to_a, "a received different packets than b sent");
    assert!(rb == to_b, "b received different packets than a sent");
    assert_eq!(wire_size(&rb), wire_size(&to_b));

    // a closes; b reads the end, and its own Close answers a, whose read then ends too.
    timeout(STEP, async {
        aw.shutdown().await.expect("a sent Close");
        assert_eq!(br.read_packet().await.unwrap(), None);
        bw.shutdown()
            .await
            .expect("b's Close was already on its way");
        assert_eq!(ar.read_packet().await.unwrap(), None);
    })
    .await
    .expect("closed in time");
}

#[tokio::test]
async fn websocket_carries_thousands_of_mixed_packets_both_ways_unchanged() {
    let listener = ws_listener(ListenerConfig::default()).await;
    assert_eq!(listener.local_address().path(), "/mqtt");
    let (server, client) = connect_pair(&listener, &Transport::default()).await;
    assert_eq!(client.peer().address(), listener.local_address());
    exchange_then_close(server, client, 3000).await;
}

#[tokio::test]
async fn small_frames_carry_large_packets_both_ways_unchanged() {
    // Every write is split into 512-byte frames, and each side accepts no larger: packets of
    // up to 64 KiB cross hundreds of frames [MQTT-6.0.0-2].
    let ws = WsConfig::default().max_frame_size(512);
    let listener = ws_listener(ListenerConfig::builder().ws(ws.clone()).build()).await;
    let transport = Transport::new(TransportConfig::builder().ws(ws).build());
    let (server, client) = connect_pair(&listener, &transport).await;
    exchange_then_close(server, client, 300).await;
}

#[tokio::test]
async fn a_packet_may_span_frames_and_a_frame_may_hold_several_packets() {
    // [MQTT-6.0.0-2]
    let listener = ws_listener(ListenerConfig::default()).await;
    let (mut server, mut raw) = raw_pair(&listener).await;
    let big = publish(300);
    let bytes = encode(&big);
    let (a, rest) = bytes.split_at(5);
    let (b, c) = rest.split_at(200);
    for part in [a, b, c] {
        raw.send(Message::Binary(Bytes::copy_from_slice(part)))
            .await
            .unwrap();
    }
    let subscribe = Packet::Subscribe(Subscribe::new(
        PacketId::new(9).unwrap(),
        vec![Subscription::new(
            TopicFilter::new("ws/+").unwrap(),
            QoS::AtMostOnce,
        )],
    ));
    let mut two = encode(&Packet::PingReq);
    two.extend_from_slice(&encode(&subscribe));
    raw.send(Message::Binary(two.into())).await.unwrap();
    // One message in two fragments (a binary frame without FIN, then a continuation frame).
    let fragmented = encode(&publish(40));
    let (head, tail) = fragmented.split_at(10);
    raw.send(Message::Frame(Frame::message(
        head.to_vec(),
        OpCode::Data(Data::Binary),
        false,
    )))
    .await
    .unwrap();
    raw.send(Message::Frame(Frame::message(
        tail.to_vec(),
        OpCode::Data(Data::Continue),
        true,
    )))
    .await
    .unwrap();

    let mut got = Vec::new();
    for _ in 0..4 {
        got.push(
            timeout(STEP, server.read_packet())
                .await
                .unwrap()
                .unwrap()
                .unwrap(),
        );
    }
    assert_eq!(got, [big, Packet::PingReq, subscribe, publish(40)]);
}

#[tokio::test]
async fn writes_go_out_as_binary_frames_no_larger_than_the_limit() {
    // [MQTT-6.0.0-1]
    let config = ListenerConfig::builder()
        .ws(WsConfig::default().max_frame_size(64))
        .build();
    let listener = ws_listener(config).await;
    let (mut server, mut raw) = raw_pair(&listener).await;
    let big = publish(1000);
    server.send(&big).await.unwrap();
    let expected = encode(&big);
    let mut received = Vec::new();
    let mut frames = 0;
    while received.len() < expected.len() {
        match timeout(STEP, raw.next()).await.unwrap().unwrap().unwrap() {
            Message::Binary(data) => {
                assert!(data.len() <= 64, "a frame of {} bytes", data.len());
                received.extend_from_slice(&data);
                frames += 1;
            }
            other => panic!("expected a binary frame, got {other:?}"),
        }
    }
    assert_eq!(received, expected);
    assert_eq!(frames, expected.len().div_ceil(64));
}

#[tokio::test]
async fn a_publish_sent_without_copying_its_payload_is_still_one_message() {
    // The payload is over `flowsdk_codec::DEFAULT_ZERO_COPY_MIN`, so the connection queues it
    // as a chunk of its own and writes headers and payload with one vectored write: that
    // still makes one binary message, as a contiguous write of the same bytes does.
    let listener = ws_listener(ListenerConfig::default()).await;
    let (mut server, mut raw) = raw_pair(&listener).await;
    let big = publish(100_000);
    server.send(&big).await.unwrap();
    match timeout(STEP, raw.next()).await.unwrap().unwrap().unwrap() {
        Message::Binary(data) => assert_eq!(&data[..], &encode(&big)[..]),
        other => panic!("expected a binary frame, got {other:?}"),
    }
    // And under a frame limit, messages as large as the limit allows, in order [MQTT-6.0.0-1].
    let config = ListenerConfig::builder()
        .ws(WsConfig::default().max_frame_size(4096))
        .build();
    let listener = ws_listener(config).await;
    let (mut server, mut raw) = raw_pair(&listener).await;
    server.send(&big).await.unwrap();
    let expected = encode(&big);
    let mut received = Vec::new();
    while received.len() < expected.len() {
        match timeout(STEP, raw.next()).await.unwrap().unwrap().unwrap() {
            Message::Binary(data) => {
                let left = expected.len() - received.len();
                assert_eq!(data.len(), left.min(4096));
                received.extend_from_slice(&data);
            }
            other => panic!("expected a binary frame, got {other:?}"),
        }
    }
    assert_eq!(received, expected);
}

#[tokio::test]
async fn ping_is_answered_with_pong_between_packets() {
    let listener = ws_listener(ListenerConfig::default()).await;
    let (mut server, mut raw) = raw_pair(&listener).await;
    raw.send(Message::Ping(Bytes::from_static(b"are you there")))
        .await
        .unwrap();
    raw.send(Message::Binary(encode(&Packet::PingReq).into()))
        .await
        .unwrap();
    assert_eq!(
        timeout(STEP, server.read_packet()).await.unwrap().unwrap(),
        Some(Packet::PingReq)
    );
    server.send(&Packet::PingResp).await.unwrap();
    let mut pong = false;
    loop {
        match timeout(STEP, raw.next()).await.unwrap().unwrap().unwrap() {
            Message::Pong(data) => {
                assert_eq!(&data[..], b"are you there");
                pong = true;
            }
            Message::Binary(data) => {
                assert_eq!(&data[..], &encode(&Packet::PingResp)[..]);
                break;
            }
            other => panic!("{other:?}"),
        }
    }
    assert!(pong, "the ping was answered before the next data");
}

#[tokio::test]
async fn a_text_frame_fails_the_read_and_the_peer_gets_close_1003() {
    // [MQTT-6.0.0-1]
    let listener = ws_listener(ListenerConfig::default()).await;
    let (mut server, mut raw) = raw_pair(&listener).await;
    raw.send(Message::text("CONNECT")).await.unwrap();
    let err = timeout(STEP, server.read_packet())
        .await
        .unwrap()
        .unwrap_err();
    assert_eq!(err.phase(), Some(Phase::Read), "{err}");
    assert!(
        err.to_string().contains("text frame") && err.to_string().contains("MQTT-6.0.0-1"),
        "{err}"
    );
    match timeout(STEP, raw.next()).await.unwrap() {
        Some(Ok(Message::Close(Some(frame)))) => assert_eq!(frame.code, CloseCode::Unsupported),
        other => panic!("expected Close 1003, got {other:?}"),
    }
    // The connection stays failed: no later read passes the text frame by.
    assert!(server.read_packet().await.is_err());
}

#[tokio::test]
async fn a_close_frame_ends_the_stream_and_nothing_may_be_sent_after_it() {
    let listener = ws_listener(ListenerConfig::default()).await;
    let (mut server, mut raw) = raw_pair(&listener).await;
    raw.send(Message::Binary(encode(&Packet::PingReq).into()))
        .await
        .unwrap();
    raw.close(None).await.unwrap();
    assert_eq!(server.read_packet().await.unwrap(), Some(Packet::PingReq));
    assert_eq!(server.read_packet().await.unwrap(), None);
    let err = server.send(&Packet::PingResp).await.unwrap_err();
    assert_eq!(err.phase(), Some(Phase::Write), "{err}");
    // The raw client got the server's Close in answer, and the end of TCP once the server
    // drops the connection (RFC 6455 7.1.1: the server closes TCP first).
    drop(server);
    let rest: Vec<_> = timeout(STEP, raw.collect::<Vec<_>>()).await.unwrap();
    assert!(
        rest.iter()
            .all(|m| matches!(m, Ok(Message::Close(_)) | Err(WsError::ConnectionClosed))),
        "{rest:?}"
    );
}

#[tokio::test]
async fn a_clean_shutdown_sends_close() {
    let listener = ws_listener(ListenerConfig::default()).await;
    let (mut server, mut raw) = raw_pair(&listener).await;
    server.enqueue(&Packet::PingResp).unwrap();
    server.shutdown().await.unwrap();
    assert_eq!(
        timeout(STEP, raw.next()).await.unwrap().unwrap().unwrap(),
        Message::Binary(encode(&Packet::PingResp).into())
    );
    assert!(matches!(
        timeout(STEP, raw.next()).await.unwrap(),
        Some(Ok(Message::Close(_)))
    ));
}

#[tokio::test]
async fn a_frame_over_the_limit_fails_the_read() {
    let config = ListenerConfig::builder()
        .ws(WsConfig::default().max_frame_size(1024))
        .build();
    let listener = ws_listener(config).await;
    let (mut server, mut raw) = raw_pair(&listener).await;
    raw.send(Message::Binary(encode(&publish(2000)).into()))
        .await
        .unwrap();
    let err = timeout(STEP, server.read_packet())
        .await
        .unwrap()
        .unwrap_err();
    assert_eq!(err.phase(), Some(Phase::Read), "{err}");
    assert!(err.to_string().contains("max_frame_size"), "{err}");
}

#[tokio::test]
async fn a_wrong_path_is_refused_with_http_404() {
    let listener = ws_listener(ListenerConfig::default()).await;
    let port = listener.local_address().port();
    let (server, client) = timeout(STEP, async {
        tokio::join!(
            async { listener.accept().await?.establish().await },
            flowsdk_transport::connect(format!("ws://127.0.0.1:{port}/wrong"))
        )
    })
    .await
    .unwrap();
    let err = client.unwrap_err();
    match &err {
        TransportError::Protocol {
            phase: Phase::WebSocketUpgrade,
            message,
            ..
        } => assert!(
            message.contains("HTTP 404") && message.contains("\"/wrong\""),
            "{message}"
        ),
        other => panic!("{other:?}"),
    }
    let err = server.unwrap_err();
    assert_eq!(err.phase(), Some(Phase::WebSocketUpgrade), "{err}");
    assert!(err.to_string().contains("\"/wrong\""), "{err}");
}

#[tokio::test]
async fn a_client_offering_subprotocols_without_mqtt_is_refused() {
    // [MQTT-6.0.0-3]
    let listener = ws_listener(ListenerConfig::default()).await;
    let address = listener.local_address().to_string();
    let (server, client) = timeout(STEP, async {
        tokio::join!(
            async { listener.accept().await?.establish().await },
            raw_client(&address, "chat, mqttv3.1")
        )
    })
    .await
    .unwrap();
    match client {
        Err(WsError::Http(response)) => {
            assert_eq!(response.status(), 400);
            let body = String::from_utf8_lossy(response.body().as_deref().unwrap_or_default())
                .into_owned();
            assert!(body.contains("MQTT-6.0.0-3"), "{body}");
        }
        other => panic!("{other:?}"),
    }
    let err = server.unwrap_err();
    assert_eq!(err.phase(), Some(Phase::WebSocketUpgrade), "{err}");
    assert!(
        err.to_string().contains("chat") && err.to_string().contains("MQTT-6.0.0-3"),
        "{err}"
    );
}

#[tokio::test]
async fn a_client_offering_no_subprotocol_is_refused_only_when_required() {
    let listener = ws_listener(ListenerConfig::default()).await;
    let address = listener.local_address().to_string();
    let (server, client) = tokio::join!(
        async { listener.accept().await?.establish().await },
        raw_client(&address, "")
    );
    server.unwrap();
    let (_, response) = client.unwrap();
    assert!(response.headers().get("Sec-WebSocket-Protocol").is_none());

    let strict = ListenerConfig::builder()
        .ws(WsConfig::default().require_mqtt_subprotocol(true))
        .build();
    let listener = ws_listener(strict).await;
    let address = listener.local_address().to_string();
    let (server, client) = tokio::join!(
        async { listener.accept().await?.establish().await },
        raw_client(&address, "")
    );
    assert!(server.is_err());
    assert!(matches!(client, Err(WsError::Http(r)) if r.status() == 400));
}

/// A raw WebSocket server on 127.0.0.1 that answers one upgrade with `subprotocol` (or none)
/// and reports the request's `Authorization` header.
async fn raw_server(
    subprotocol: Option<&'static str>,
) -> (u16, tokio::task::JoinHandle<Option<String>>) {
    let tcp = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = tcp.local_addr().unwrap().port();
    let task = tokio::spawn(async move {
        let (stream, _) = tcp.accept().await.unwrap();
        let mut authorization = None;
        #[allow(clippy::result_large_err)] // tungstenite's callback type
        let callback = |request: &Request, mut response: Response| {
            authorization = request
                .headers()
                .get("Authorization")
                .map(|v| v.to_str().unwrap().to_owned());
            if let Some(p) = subprotocol {
                response
                    .headers_mut()
                    .insert("Sec-WebSocket-Protocol", HeaderValue::from_static(p));
            }
            Ok(response)
        };
        let ws = tokio_tungstenite::accept_hdr_async(stream, callback).await;
        // Keep the connection open until the client is done with it.
        if let Ok(mut ws) = ws {
            while let Some(Ok(_)) = ws.next().await {}
        }
        authorization
    });
    (port, task)
}

#[tokio::test]
async fn the_dialer_sends_configured_headers_and_accepts_the_mqtt_subprotocol() {
    let (port, server) = raw_server(Some("mqtt")).await;
    let transport = Transport::new(
        TransportConfig::builder()
            .ws(WsConfig::default()
                .header("Authorization", "Bearer 0123")
                .unwrap())
            .build(),
    );
    let mut conn = timeout(
        STEP,
        transport.connect(format!("ws://127.0.0.1:{port}/mqtt")),
    )
    .await
    .unwrap()
    .unwrap();
    conn.shutdown().await.unwrap();
    drop(conn);
    let authorization = timeout(STEP, server).await.unwrap().unwrap();
    assert_eq!(authorization.as_deref(), Some("Bearer 0123"));
}

#[tokio::test]
async fn a_server_that_does_not_select_mqtt_is_refused() {
    // [MQTT-6.0.0-4]
    let (port, _server) = raw_server(None).await;
    let err = timeout(
        STEP,
        flowsdk_transport::connect(format!("ws://127.0.0.1:{port}/mqtt")),
    )
    .await
    .unwrap()
    .unwrap_err();
    match &err {
        TransportError::Protocol {
            phase: Phase::WebSocketUpgrade,
            message,
            ..
        } => assert!(message.contains("MQTT-6.0.0-4"), "{message}"),
        other => panic!("{other:?}"),
    }
}

#[tokio::test]
async fn a_server_that_never_answers_the_upgrade_times_out_in_the_upgrade_phase() {
    // Accepts TCP, then stays silent.
    let tcp = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = tcp.local_addr().unwrap().port();
    let silent = tokio::spawn(async move {
        let (stream, _) = tcp.accept().await.unwrap();
        tokio::time::sleep(STEP).await;
        drop(stream);
    });
    let limit = Duration::from_millis(300);
    let transport = Transport::new(TransportConfig::builder().connect_timeout(limit).build());
    let err = super::support::expect_connect_timeout(
        &transport,
        format!("ws://127.0.0.1:{port}/mqtt"),
        Phase::WebSocketUpgrade,
        limit,
    )
    .await;
    assert!(
        err.to_string().contains("WebSocket upgrade timed out"),
        "{err}"
    );
    silent.abort();
}

#[tokio::test]
async fn a_client_that_never_sends_the_upgrade_times_out_on_the_listener() {
    let limit = Duration::from_millis(300);
    let listener = ws_listener(ListenerConfig::builder().handshake_timeout(limit).build()).await;
    let port = listener.local_address().port();
    let _silent = TcpStream::connect(("127.0.0.1", port)).await.unwrap();
    let incoming = timeout(STEP, listener.accept()).await.unwrap().unwrap();
    let started = Instant::now();
    let err = incoming.establish().await.unwrap_err();
    let took = started.elapsed();
    assert!(
        matches!(
            err,
            TransportError::Timeout {
                phase: Phase::WebSocketUpgrade,
                ..
            }
        ),
        "{err:?}"
    );
    assert!(
        took >= limit && took < limit + Duration::from_secs(5),
        "timed out after {took:?}"
    );
}

#[tokio::test]
async fn a_listener_serves_the_path_of_its_address_or_of_its_config() {
    let listener = Listener::bind("ws://127.0.0.1:0/custom", ListenerConfig::default())
        .await
        .unwrap();
    assert_eq!(listener.local_address().path(), "/custom");
    let (mut server, mut client) = connect_pair(&listener, &Transport::default()).await;
    client.send(&Packet::PingReq).await.unwrap();
    assert_eq!(server.read_packet().await.unwrap(), Some(Packet::PingReq));

    let config = ListenerConfig::builder()
        .ws(WsConfig::default().path("/broker"))
        .build();
    let listener = Listener::bind("ws://127.0.0.1:0", config).await.unwrap();
    assert_eq!(listener.local_address().path(), "/broker");
    let (mut server, mut client) = connect_pair(&listener, &Transport::default()).await;
    client.send(&Packet::PingReq).await.unwrap();
    assert_eq!(server.read_packet().await.unwrap(), Some(Packet::PingReq));
}

#[cfg(feature = "tls")]
#[tokio::test]
async fn secure_websocket_stacks_tls_beneath_and_carries_packets_both_ways_unchanged() {
    use flowsdk_transport::{TlsClientConfig, TlsServerConfig};

    let pki = flowsdk_testing::Pki::new().unwrap();
    let tls = TlsServerConfig::builder()
        .certificate_chain_der([pki.server().cert_der()], pki.server().key_der())
        .build()
        .unwrap();
    let listener = Listener::bind(
        "wss://127.0.0.1:0/secure",
        ListenerConfig::builder().tls(tls).build(),
    )
    .await
    .unwrap();
    assert_eq!(
        listener.local_address().to_string().split("://").next(),
        Some("wss")
    );
    let transport = Transport::new(
        TransportConfig::builder()
            .tls(
                TlsClientConfig::builder()
                    .root_certificate_der(pki.ca().der())
                    .build()
                    .unwrap(),
            )
            .build(),
    );
    let (server, client) = connect_pair(&listener, &transport).await;
    assert!(!client.peer().certificates().is_empty());
    exchange_then_close(server, client, 1000).await;
}
