use flowsdk_codec::{Packet, ProtocolVersion};
use flowsdk_transport::{
    connect, Listener, ListenerConfig, Transport, TransportConfig, TransportError,
};

use super::support::{connect_pair, exchange_both_ways};

#[tokio::test]
async fn tcp_carries_thousands_of_mixed_packets_both_ways_unchanged() {
    let listener = Listener::bind("mqtt://127.0.0.1:0", ListenerConfig::default())
        .await
        .unwrap();
    let (server, client) = connect_pair(&listener, &Transport::default()).await;
    assert_eq!(client.peer().address(), listener.local_address());
    exchange_both_ways(server, client, 3000).await;
}

#[tokio::test]
async fn a_bare_host_and_port_means_tcp() {
    let listener = Listener::bind("127.0.0.1:0", ListenerConfig::default())
        .await
        .unwrap();
    let address = format!("127.0.0.1:{}", listener.local_address().port());
    let server = tokio::spawn(async move {
        let mut conn = listener.accept().await?.establish().await?;
        conn.read_packet().await
    });
    let mut client = connect(address.as_str()).await.unwrap();
    client.send(&Packet::PingReq).await.unwrap();
    assert_eq!(server.await.unwrap().unwrap(), Some(Packet::PingReq));
}

#[tokio::test]
async fn a_packet_over_the_incoming_limit_is_refused_from_its_fixed_header() {
    let config = ListenerConfig::builder()
        .max_incoming_packet_size(1024)
        .build();
    let listener = Listener::bind("127.0.0.1:0", config).await.unwrap();
    let address = listener.local_address().clone();
    let server = tokio::spawn(async move {
        let mut conn = listener.accept().await?.establish().await?;
        conn.read_packet().await
    });
    let mut client = connect(address).await.unwrap();
    // Only the fixed header of a 1 MiB PUBLISH: the server must refuse without waiting for the body.
    client.enqueue_raw(&[0x30, 0x80, 0x80, 0x40]);
    client.flush().await.unwrap();
    let err = tokio::time::timeout(super::support::STEP, server)
        .await
        .unwrap()
        .unwrap()
        .unwrap_err();
    assert_eq!(
        err.reason_code(),
        Some(flowsdk_codec::ReasonCode::PacketTooLarge),
        "{err}"
    );
}

#[tokio::test]
async fn a_packet_over_the_outgoing_limit_is_refused_and_nothing_is_queued() {
    let listener = Listener::bind("127.0.0.1:0", ListenerConfig::default())
        .await
        .unwrap();
    let transport = Transport::new(
        TransportConfig::builder()
            .max_outgoing_packet_size(64)
            .build(),
    );
    let (_server, mut client) = connect_pair(&listener, &transport).await;
    let big =
        flowsdk_codec::Publish::new(flowsdk_codec::TopicName::new("t").unwrap(), vec![0u8; 100]);
    match client.enqueue(&Packet::Publish(big)) {
        Err(TransportError::Codec {
            source: flowsdk_codec::CodecError::PacketTooLarge { max: 64, .. },
            ..
        }) => {}
        other => panic!("{other:?}"),
    }
    assert_eq!(client.queued_bytes(), 0);
}

#[tokio::test]
async fn garbage_from_the_peer_is_a_codec_error_with_the_reason_code_to_answer() {
    let listener = Listener::bind("127.0.0.1:0", ListenerConfig::default())
        .await
        .unwrap();
    let (mut server, mut client) = connect_pair(&listener, &Transport::default()).await;
    client.enqueue_raw(&[0x36, 0x03, 0x00, 0x01, b'a']); // PUBLISH with QoS 3 [MQTT-3.3.1-4]
    client.flush().await.unwrap();
    let err = server.read_packet().await.unwrap_err();
    assert_eq!(
        err.reason_code(),
        Some(flowsdk_codec::ReasonCode::MalformedPacket),
        "{err}"
    );
}

#[tokio::test]
async fn a_peer_closing_mid_packet_is_reported_not_taken_for_a_clean_close() {
    let listener = Listener::bind("127.0.0.1:0", ListenerConfig::default())
        .await
        .unwrap();
    let (mut server, mut client) = connect_pair(&listener, &Transport::default()).await;
    client.enqueue_raw(&[0x30, 0x0A, 0x00, 0x01]);
    client.shutdown().await.unwrap();
    match server.read_packet().await {
        Err(TransportError::ClosedMidPacket { buffered: 4, .. }) => {}
        other => panic!("{other:?}"),
    }
}

#[tokio::test]
async fn a_server_connection_adopts_the_version_of_the_connect_it_reads() {
    let listener = Listener::bind("127.0.0.1:0", ListenerConfig::default())
        .await
        .unwrap();
    let (mut server, mut client) = connect_pair(&listener, &Transport::default()).await;
    let mut connect = flowsdk_codec::Connect::new(flowsdk_codec::MqttString::new("c").unwrap());
    connect.protocol_version = ProtocolVersion::V311;
    client.set_version(ProtocolVersion::V311);
    client
        .send(&Packet::Connect(Box::new(connect)))
        .await
        .unwrap();
    assert!(matches!(
        server.read_packet().await.unwrap(),
        Some(Packet::Connect(_))
    ));
    assert_eq!(server.version(), ProtocolVersion::V311);
    server
        .send(&Packet::ConnAck(flowsdk_codec::ConnAck::default()))
        .await
        .unwrap();
    // A 3.1.1 CONNACK is 4 bytes; the client, set to 3.1.1, decodes it.
    assert!(matches!(
        client.read_packet().await.unwrap(),
        Some(Packet::ConnAck(_))
    ));
}
