//! Interoperability with Mosquitto, when it is installed: our dialers against a real broker
//! started for each test on free ports of 127.0.0.1, over TCP, WebSocket and (with `tls`) TLS.
//!
//! Where the `mosquitto` binary is absent, each test prints `skipped: mosquitto not installed`
//! and passes.

use flowsdk_codec::{ConnAck, Connect, MqttString, Packet, ProtocolVersion, ReasonCode};
use flowsdk_testing::Mosquitto;
use flowsdk_transport::{MqttConnection, Transport};
use tokio::time::timeout;

use super::support::STEP;

/// Starts mosquitto (flowsdk-testing's launcher) with a TCP listener, a WebSocket listener
/// with `ws` and TLS and secure WebSocket listeners with `tls`, and waits until every port
/// accepts. `None` (after the launcher printed the skip line) where mosquitto is not installed.
async fn start() -> Option<Mosquitto> {
    Mosquitto::builder()
        .websockets(cfg!(feature = "ws"))
        .tls(cfg!(feature = "tls"))
        .start()
        .await
        .unwrap_or_else(|e| panic!("mosquitto did not start: {e}"))
}

/// The TCP listener's address with the `mqtt://` scheme.
fn tcp_address(broker: &Mosquitto) -> String {
    format!("mqtt://127.0.0.1:{}", broker.tcp_port())
}

fn connect_packet(client_id: &str, version: ProtocolVersion) -> Packet {
    let mut connect = Connect::new(MqttString::new(client_id).unwrap());
    connect.protocol_version = version;
    Packet::Connect(Box::new(connect))
}

/// Sends CONNECT as `client_id` in `version` and returns the broker's CONNACK.
async fn handshake(
    conn: &mut MqttConnection,
    client_id: &str,
    version: ProtocolVersion,
) -> ConnAck {
    conn.set_version(version);
    conn.send(&connect_packet(client_id, version))
        .await
        .unwrap();
    match timeout(STEP, conn.read_packet()).await.unwrap().unwrap() {
        Some(Packet::ConnAck(ack)) => ack,
        other => panic!("expected CONNACK, got {other:?}"),
    }
}

async fn dial(transport: &Transport, address: &str) -> MqttConnection {
    timeout(STEP, transport.connect(address))
        .await
        .unwrap()
        .unwrap_or_else(|e| panic!("{address}: {e}"))
}

#[tokio::test]
async fn mosquitto_accepts_a_v5_connect_over_tcp() {
    let Some(broker) = start().await else {
        return;
    };
    let mut conn = dial(&Transport::default(), &tcp_address(&broker)).await;
    let ack = handshake(&mut conn, "flowsdk-tcp-v5", ProtocolVersion::V5).await;
    assert_eq!(ack.reason_code, ReasonCode::Success);
}

#[tokio::test]
async fn mosquitto_accepts_a_3_1_1_connect_over_tcp() {
    let Some(broker) = start().await else {
        return;
    };
    let mut conn = dial(&Transport::default(), &tcp_address(&broker)).await;
    let ack = handshake(&mut conn, "flowsdk-tcp-v311", ProtocolVersion::V311).await;
    assert_eq!(ack.reason_code, ReasonCode::Success);
}

#[cfg(feature = "ws")]
mod websocket {
    use bytes::Bytes;
    use flowsdk_codec::{
        Packet, PacketId, ProtocolVersion, Publish, QoS, ReasonCode, Subscribe, Subscription,
        TopicFilter, TopicName,
    };
    use flowsdk_transport::{MqttConnection, Transport};
    use tokio::time::timeout;

    use super::super::support::STEP;
    use super::{dial, handshake, start};

    #[tokio::test]
    async fn mosquitto_accepts_a_v5_connect_over_websocket() {
        let Some(broker) = start().await else {
            return;
        };
        let Some(address) = broker.ws_address() else {
            return;
        };
        let mut conn = dial(&Transport::default(), &address).await;
        let ack = handshake(&mut conn, "flowsdk-ws-v5", ProtocolVersion::V5).await;
        assert_eq!(ack.reason_code, ReasonCode::Success);
    }

    /// Payload sizes of the loop-back: empty to 64 KiB. Mosquitto 2.0.11's WebSocket listener
    /// sends large messages slowly (about 100 ms per 4 KiB here, via libwebsockets), so the
    /// large ones are few.
    const SIZES: [usize; 9] = [0, 1, 100, 1000, 4000, 16_000, 0, 100, 64 * 1024];

    /// Subscribes to a topic, then publishes to it with payloads of every size in [`SIZES`];
    /// every message comes back through the broker, in order, unchanged.
    pub(super) async fn publish_loops_back(conn: &mut MqttConnection) {
        let topic = "flowsdk/loopback";
        conn.send(&Packet::Subscribe(Subscribe::new(
            PacketId::new(1).unwrap(),
            vec![Subscription::new(
                TopicFilter::new(topic).unwrap(),
                QoS::AtLeastOnce,
            )],
        )))
        .await
        .unwrap();
        match timeout(STEP, conn.read_packet()).await.unwrap().unwrap() {
            Some(Packet::SubAck(ack)) => {
                assert_eq!(ack.reason_codes, [ReasonCode::GrantedQoS1]);
            }
            other => panic!("expected SUBACK, got {other:?}"),
        }
        for (i, size) in (0u16..).zip(SIZES) {
            let payload: Bytes = (0..size).map(|j| (j + usize::from(i)) as u8).collect();
            let mut publish = Publish::new(TopicName::new(topic).unwrap(), payload.clone());
            publish.qos = QoS::AtLeastOnce;
            publish.packet_id = PacketId::new(i + 2);
            conn.send(&Packet::Publish(publish)).await.unwrap();
            // The PUBACK for our PUBLISH and the broker's PUBLISH to us, in either order.
            let (mut acked, mut delivered) = (false, false);
            while !(acked && delivered) {
                match timeout(STEP, conn.read_packet()).await.unwrap().unwrap() {
                    Some(Packet::PubAck(ack)) if ack.packet_id == PacketId::new(i + 2).unwrap() => {
                        acked = true;
                    }
                    Some(Packet::Publish(got)) => {
                        assert_eq!(got.topic.as_str(), topic);
                        assert_eq!(got.payload, payload, "message {i} changed on the way");
                        if let Some(id) = got.packet_id {
                            conn.send(&Packet::PubAck(flowsdk_codec::PubAck::new(id)))
                                .await
                                .unwrap();
                        }
                        delivered = true;
                    }
                    other => panic!("unexpected {other:?}"),
                }
            }
        }
    }

    #[tokio::test]
    async fn a_publish_loops_back_through_mosquitto_over_websocket() {
        let Some(broker) = start().await else {
            return;
        };
        let Some(address) = broker.ws_address() else {
            return;
        };
        let mut conn = dial(&Transport::default(), &address).await;
        let ack = handshake(&mut conn, "flowsdk-ws-loopback", ProtocolVersion::V5).await;
        assert_eq!(ack.reason_code, ReasonCode::Success);
        publish_loops_back(&mut conn).await;
        conn.send(&Packet::Disconnect(flowsdk_codec::Disconnect::new(
            ReasonCode::Success,
        )))
        .await
        .unwrap();
        conn.shutdown().await.unwrap();
    }
}

#[cfg(feature = "tls")]
mod tls {
    use flowsdk_codec::{ProtocolVersion, ReasonCode};
    use flowsdk_testing::Mosquitto;
    use flowsdk_transport::{TlsClientConfig, Transport, TransportConfig};

    use super::{dial, handshake, start};

    /// A dialer that trusts only the test CA that signed mosquitto's certificate.
    fn trusting(broker: &Mosquitto) -> Transport {
        let tls = TlsClientConfig::builder()
            .root_certificates_pem(broker.ca_pem().expect("TLS listeners"))
            .platform_roots(false)
            .build()
            .unwrap();
        Transport::new(TransportConfig::builder().tls(tls).build())
    }

    #[tokio::test]
    async fn mosquitto_accepts_a_v5_connect_over_tls() {
        let Some(broker) = start().await else {
            return;
        };
        let address = broker.tls_address().expect("a TLS listener");
        let mut conn = dial(&trusting(&broker), &address).await;
        let ack = handshake(&mut conn, "flowsdk-tls-v5", ProtocolVersion::V5).await;
        assert_eq!(ack.reason_code, ReasonCode::Success);
        assert!(
            !conn.peer().certificates().is_empty(),
            "mosquitto's chain is visible"
        );
    }

    #[cfg(feature = "ws")]
    #[tokio::test]
    async fn a_publish_loops_back_through_mosquitto_over_secure_websocket() {
        let Some(broker) = start().await else {
            return;
        };
        let Some(address) = broker.wss_address() else {
            return;
        };
        let mut conn = dial(&trusting(&broker), &address).await;
        let ack = handshake(&mut conn, "flowsdk-wss-loopback", ProtocolVersion::V5).await;
        assert_eq!(ack.reason_code, ReasonCode::Success);
        super::websocket::publish_loops_back(&mut conn).await;
    }
}
