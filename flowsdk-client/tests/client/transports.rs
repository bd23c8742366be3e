//! Every operation of the tokio client, in its `*_sync` and fire-and-forget forms, against
//! Mosquitto over TCP, TLS (feature `tls`) and WebSocket (feature `ws`).

use flowsdk_client::proto::DisconnectCause;
use flowsdk_codec::{QoS, ReasonCode};
#[cfg(feature = "tls")]
use flowsdk_testing::Mosquitto;
use flowsdk_transport::TransportConfig;

use super::support::{client, connected, eventually, mosquitto, mosquitto_with, unique, STEP};

/// A payload that is not text and crosses several TCP segments / WebSocket frames / TLS
/// records.
fn big_payload(len: usize) -> Vec<u8> {
    (0..len).map(|i| (i % 251) as u8).collect()
}

/// Runs every operation once in both forms against the broker at `peer`.
async fn exercise(peer: &str, transport: Option<TransportConfig>) {
    let (c, seen) = client(
        peer,
        |o| match transport {
            Some(t) => o.transport(t),
            None => o,
        },
        // 64 KiB through TLS and WebSocket on a loaded machine: generous.
        |c| c.operation_timeout(STEP),
    )
    .await;

    // ---- *_sync forms ----
    let connected = c.connect_sync().await.unwrap();
    assert_eq!(connected.reason_code, ReasonCode::Success);
    // Clean start: no session [MQTT-3.2.2-2].
    assert!(!connected.session_present);
    assert!(c.is_connected());
    // Connecting again while connected answers with the same CONNACK.
    let again = c.connect_sync().await.unwrap();
    assert_eq!(again.client_id, connected.client_id);
    seen.until("on_connected", |s| s.connected.len() == 1).await;

    let topic = unique("ops");
    let sub = c
        .subscribe_sync(&format!("{topic}/sync/#"), 2)
        .await
        .unwrap();
    assert_eq!(sub.reason_codes, [ReasonCode::GrantedQoS2]);

    let mut expected = Vec::new();
    for qos in 0..=2u8 {
        let payload = big_payload(64 * 1024 + usize::from(qos));
        let done = c
            .publish_sync(&format!("{topic}/sync/{qos}"), payload.clone(), qos, false)
            .await
            .unwrap_or_else(|e| panic!("QoS {qos}: {e:?}; {:?}", c.stats()));
        assert!(done.is_success(), "{done:?}");
        assert_eq!(done.qos, QoS::from_u8(qos).unwrap());
        // QoS 0 has no packet identifier, QoS 1 and 2 have one [MQTT-2.2.1-2].
        assert_eq!(done.packet_id.is_some(), qos > 0);
        expected.push((format!("{topic}/sync/{qos}"), payload, qos));
    }
    seen.until("three messages of the sync publishes", |s| {
        s.messages.len() >= 3
    })
    .await;
    {
        let s = seen.seen();
        assert_eq!(s.messages.len(), 3);
        for (m, (t, payload, qos)) in s.messages.iter().zip(&expected) {
            assert_eq!(m.topic.as_str(), t);
            assert_eq!(m.payload.as_ref(), payload.as_slice());
            assert_eq!(m.qos, QoS::from_u8(*qos).unwrap());
            assert!(!m.dup);
        }
    }

    let pong = c.ping_sync().await.unwrap();
    assert!(pong.round_trip < STEP);

    let unsub = c
        .unsubscribe_sync(&format!("{topic}/sync/#"))
        .await
        .unwrap();
    assert_eq!(unsub.reason_codes, [ReasonCode::Success]);
    // Unsubscribing what is not subscribed is answered 0x11, a success code.
    let none = c.unsubscribe_sync(&format!("{topic}/none")).await.unwrap();
    assert_eq!(none.reason_codes, [ReasonCode::NoSubscriptionExisted]);

    // ---- fire-and-forget forms, observed through the handler ----
    c.subscribe(&format!("{topic}/ff/#"), 2).await.unwrap();
    seen.until("on_subscribed", |s| s.subscribed.len() == 2)
        .await;
    assert_eq!(
        seen.seen().subscribed[1].reason_codes,
        [ReasonCode::GrantedQoS2]
    );
    let before = seen.seen().published.len();
    let mut tickets = Vec::new();
    for qos in 0..=2u8 {
        tickets.push(
            c.publish(
                &format!("{topic}/ff/{qos}"),
                format!("ff {qos}"),
                qos,
                false,
            )
            .await
            .unwrap(),
        );
    }
    // Published after the unsubscribe: must not arrive (checked below, once later
    // messages have).
    c.publish(&format!("{topic}/sync/late"), "late", 1, false)
        .await
        .unwrap();
    seen.until("on_published for the three", |s| {
        tickets
            .iter()
            .all(|t| s.published[before..].iter().any(|p| p.ticket == *t))
    })
    .await;
    assert!(seen.seen().published[before..]
        .iter()
        .all(|p| p.is_success()));
    seen.until("the three fire-and-forget messages", |s| {
        s.messages.len() >= 6
    })
    .await;
    {
        let s = seen.seen();
        for qos in 0..=2u8 {
            assert_eq!(
                s.payloads_on(&format!("{topic}/ff/{qos}")),
                [format!("ff {qos}")]
            );
        }
    }
    // The handler hears of every ping the application asked for, `ping_sync`'s included.
    assert_eq!(seen.seen().pings.len(), 1);
    c.ping().await.unwrap();
    seen.until("on_ping_response", |s| s.pings.len() == 2).await;
    // Both `unsubscribe_sync` calls above reached the handler too.
    assert_eq!(seen.seen().unsubscribed.len(), 2);
    c.unsubscribe(&format!("{topic}/ff/#")).await.unwrap();
    seen.until("on_unsubscribed", |s| s.unsubscribed.len() == 3)
        .await;
    assert_eq!(
        seen.seen().unsubscribed[2].reason_codes,
        [ReasonCode::Success]
    );
    assert!(
        seen.seen()
            .messages
            .iter()
            .all(|m| !m.topic.as_str().ends_with("/late")),
        "a message of an unsubscribed filter arrived"
    );

    // ---- disconnect, connect (fire-and-forget), disconnect_sync ----
    c.disconnect().await.unwrap();
    seen.until("on_disconnected", |s| s.disconnected.len() == 1)
        .await;
    assert!(matches!(
        seen.seen().disconnected[0],
        DisconnectCause::ByClient {
            reason_code: ReasonCode::Success
        }
    ));
    assert!(!c.is_connected());
    // Not connected: ping is refused locally.
    assert!(matches!(
        c.ping_sync().await,
        Err(flowsdk_client::ClientError::NotConnected)
    ));
    c.connect().await.unwrap();
    seen.until("second on_connected", |s| s.connected.len() == 2)
        .await;
    c.ping_sync().await.unwrap();
    c.disconnect_sync().await.unwrap();
    assert!(!c.is_connected());
    assert_eq!(seen.seen().disconnected.len(), 2);
    assert!(seen.seen().errors.is_empty(), "{:?}", seen.seen().errors);
}

#[tokio::test]
async fn every_operation_over_tcp() {
    let Some(broker) = mosquitto().await else {
        return;
    };
    exercise(&broker.tcp_address(), None).await;
}

#[cfg(feature = "tls")]
fn tls_transport(broker: &Mosquitto) -> TransportConfig {
    let mut tls = flowsdk_transport::TlsClientConfig::builder()
        .root_certificates_pem(broker.ca_pem().unwrap());
    if broker.requires_client_certificate() {
        let (chain, key) = broker.client_identity_pem().unwrap();
        tls = tls.client_certificate_pem(chain, key);
    }
    TransportConfig::builder().tls(tls.build().unwrap()).build()
}

#[cfg(feature = "tls")]
#[tokio::test]
async fn every_operation_over_tls() {
    let Some(broker) = mosquitto_with(|b| b.tls(true)).await else {
        return;
    };
    exercise(&broker.tls_address().unwrap(), Some(tls_transport(&broker))).await;
}

#[cfg(feature = "tls")]
#[tokio::test]
async fn every_operation_over_mutual_tls() {
    let Some(broker) = mosquitto_with(|b| b.require_client_certificate(true)).await else {
        return;
    };
    exercise(&broker.tls_address().unwrap(), Some(tls_transport(&broker))).await;
}

#[cfg(feature = "tls")]
#[tokio::test]
async fn tls_without_the_broker_ca_fails_to_connect() {
    let Some(broker) = mosquitto_with(|b| b.tls(true)).await else {
        return;
    };
    let (c, seen) = client(
        &broker.tls_address().unwrap(),
        |o| {
            // Trusts an unrelated CA only.
            let other = flowsdk_testing::Pki::new().unwrap();
            let tls = flowsdk_transport::TlsClientConfig::builder()
                .root_certificates_pem(other.ca_pem())
                .build()
                .unwrap();
            o.transport(TransportConfig::builder().tls(tls).build())
        },
        |c| c.auto_reconnect(false),
    )
    .await;
    let err = c.connect_sync().await.unwrap_err();
    assert!(
        matches!(err, flowsdk_client::ClientError::Transport(_)),
        "{err:?}"
    );
    seen.until("on_connect_failed", |s| !s.connect_failed.is_empty())
        .await;
    assert!(seen.seen().connected.is_empty());
}

#[cfg(feature = "ws")]
#[tokio::test]
async fn every_operation_over_websocket() {
    let Some(broker) = mosquitto_with(|b| b.websockets(true)).await else {
        return;
    };
    let Some(ws) = broker.ws_address() else {
        return;
    };
    exercise(&ws, None).await;
}

#[cfg(all(feature = "ws", feature = "tls"))]
#[tokio::test]
async fn every_operation_over_secure_websocket() {
    let Some(broker) = mosquitto_with(|b| b.websockets(true).tls(true)).await else {
        return;
    };
    let Some(wss) = broker.wss_address() else {
        return;
    };
    exercise(&wss, Some(tls_transport(&broker))).await;
}

/// Messages of several transports meet on one broker: a TCP publisher reaches a subscriber
/// on each other listener.
#[tokio::test]
async fn listeners_share_one_broker() {
    let Some(broker) = mosquitto_with(|b| b.websockets(cfg!(feature = "ws"))).await else {
        return;
    };
    let topic = unique("mix");
    let (sub, seen) = connected(&broker).await;
    sub.subscribe_sync(&topic, 1).await.unwrap();
    #[cfg(feature = "ws")]
    let peer = broker.ws_address().unwrap_or_else(|| broker.tcp_address());
    #[cfg(not(feature = "ws"))]
    let peer = broker.tcp_address();
    let (publisher, _) = client(&peer, |o| o, |c| c).await;
    publisher.connect_sync().await.unwrap();
    publisher
        .publish_sync(&topic, "across", 1, false)
        .await
        .unwrap();
    let got = eventually("the message", || seen.seen().messages.first().cloned()).await;
    assert_eq!(got.payload, "across");
}
