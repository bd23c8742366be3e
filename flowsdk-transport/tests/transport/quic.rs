use std::time::Duration;

use flowsdk_codec::Packet;
use flowsdk_transport::{
    ClientAuth, Listener, ListenerConfig, MqttConnection, Phase, QuicConfig, Scheme,
    TlsClientConfig, TlsServerConfig, Transport, TransportConfig, TransportError,
};

use super::support::{connect_pair, exchange_both_ways, STEP};
use flowsdk_testing::{Ca, Pki};

fn server_tls(pki: &Pki, auth: ClientAuth) -> TlsServerConfig {
    let builder = TlsServerConfig::builder()
        .certificate_chain_der([pki.server().cert_der()], pki.server().key_der());
    match auth {
        ClientAuth::None => builder,
        auth => builder
            .client_auth(auth)
            .client_root_certificate_der(pki.ca().der()),
    }
    .build()
    .unwrap()
}

async fn listener(tls: TlsServerConfig, quic: QuicConfig) -> Listener {
    Listener::bind(
        "quic://127.0.0.1:0",
        ListenerConfig::builder().tls(tls).quic(quic).build(),
    )
    .await
    .unwrap()
}

fn transport(tls: TlsClientConfig, quic: QuicConfig) -> Transport {
    Transport::new(TransportConfig::builder().tls(tls).quic(quic).build())
}

fn trusting(pki: &Pki) -> TlsClientConfig {
    TlsClientConfig::builder()
        .root_certificate_der(pki.ca().der())
        .build()
        .unwrap()
}

fn tls_message(err: &TransportError, phase: Phase) -> String {
    match err {
        TransportError::Tls {
            phase: p, message, ..
        } if *p == phase => message.clone(),
        other => panic!("expected a TLS error in phase {phase:?}, got {other:?}"),
    }
}

/// One ping each way: proves the stream works and that the server accepted it.
async fn ping_both_ways(server: &mut MqttConnection, client: &mut MqttConnection) {
    tokio::time::timeout(STEP, async {
        client.send(&Packet::PingReq).await.unwrap();
        assert_eq!(server.read_packet().await.unwrap(), Some(Packet::PingReq));
        server.send(&Packet::PingResp).await.unwrap();
        assert_eq!(client.read_packet().await.unwrap(), Some(Packet::PingResp));
    })
    .await
    .expect("pings exchanged in time");
}

#[tokio::test]
async fn quic_carries_thousands_of_mixed_packets_both_ways_unchanged_with_alpn_mqtt() {
    let pki = Pki::new().unwrap();
    let listener = listener(server_tls(&pki, ClientAuth::None), QuicConfig::default()).await;
    let local = listener.local_address();
    assert_eq!((local.scheme(), local.host()), (Scheme::Quic, "127.0.0.1"));
    assert_ne!(local.port(), 0);
    let (server, client) =
        connect_pair(&listener, &transport(trusting(&pki), QuicConfig::default())).await;
    assert_eq!(server.peer().alpn(), Some(&b"mqtt"[..]));
    assert_eq!(client.peer().alpn(), Some(&b"mqtt"[..]));
    assert_eq!(
        client.peer().certificates(),
        std::slice::from_ref(&pki.server().cert_der().to_vec())
    );
    assert!(server.peer().certificates().is_empty());
    exchange_both_ways(server, client, 3000).await;
}

#[tokio::test]
async fn a_udp_peer_that_never_answers_triggers_the_quic_handshake_timeout() {
    let pki = Pki::new().unwrap();
    // Receives the client's Initial packets and never reads or answers them.
    let silent = std::net::UdpSocket::bind("127.0.0.1:0").unwrap();
    let port = silent.local_addr().unwrap().port();
    let limit = Duration::from_millis(300);
    let transport = Transport::new(
        TransportConfig::builder()
            .connect_timeout(limit)
            .tls(trusting(&pki))
            .build(),
    );
    let err = super::support::expect_connect_timeout(
        &transport,
        format!("quic://127.0.0.1:{port}"),
        Phase::QuicHandshake,
        limit,
    )
    .await;
    assert!(
        err.to_string().contains(&format!(
            "quic://127.0.0.1:{port}: QUIC handshake timed out"
        )),
        "{err}"
    );
}

#[tokio::test]
async fn mtls_over_quic_accepts_a_ca_signed_client_and_the_server_sees_its_chain() {
    let pki = Pki::new().unwrap();
    let listener = listener(
        server_tls(&pki, ClientAuth::Required),
        QuicConfig::default(),
    )
    .await;
    let tls = TlsClientConfig::builder()
        .root_certificates_pem(pki.ca().pem())
        .client_certificate_der(pki.client().chain_der().to_vec(), pki.client().key_der())
        .build()
        .unwrap();
    let (mut server, mut client) =
        connect_pair(&listener, &transport(tls, QuicConfig::default())).await;
    assert_eq!(server.peer().certificates(), pki.client().chain_der());
    ping_both_ways(&mut server, &mut client).await;
}

/// The server's establish() refuses the client's certificate. As over TCP with TLS 1.3, the
/// client's handshake is complete before the server checks it: its connect succeeds, and it
/// learns of the refusal from the server's CONNECTION_CLOSE (carrying the TLS alert and the
/// server's reason) as a TLS error on its next stream operation: in practice the first read,
/// since quinn buffers the write; the write only fails when the close has already arrived.
async fn assert_quic_client_refused(
    pki: Pki,
    tls: TlsClientConfig,
    server_says: &str,
    alert: &str,
) {
    let listener = listener(
        server_tls(&pki, ClientAuth::Required),
        QuicConfig::default(),
    )
    .await;
    let address = listener.local_address().clone();
    let transport = transport(tls, QuicConfig::default());
    let (server, client) = tokio::time::timeout(STEP, async {
        tokio::join!(
            async { listener.accept().await?.establish().await },
            async {
                let mut conn = transport.connect(address).await?;
                conn.send(&Packet::PingReq).await?;
                conn.read_packet().await
            }
        )
    })
    .await
    .expect("attempt finished in time");
    let err = server.unwrap_err();
    assert!(
        tls_message(&err, Phase::QuicHandshake).contains(server_says),
        "{err}"
    );
    let err = client.unwrap_err();
    let phase = err.phase().unwrap();
    assert!(
        matches!(phase, Phase::Read | Phase::Write),
        "client error in phase {phase:?}: {err}"
    );
    assert!(tls_message(&err, phase).contains(alert), "{err}");
}

#[tokio::test]
async fn mtls_over_quic_refuses_a_client_certificate_from_an_unrelated_ca() {
    let pki = Pki::new().unwrap();
    let tls = TlsClientConfig::builder()
        .root_certificate_der(pki.ca().der())
        .client_certificate_pem(pki.stranger().cert_pem(), pki.stranger().key_pem())
        .build()
        .unwrap();
    assert_quic_client_refused(pki, tls, "UnknownIssuer", "UnknownCA").await;
}

#[tokio::test]
async fn mtls_over_quic_refuses_a_client_without_certificate() {
    let pki = Pki::new().unwrap();
    let tls = trusting(&pki);
    assert_quic_client_refused(pki, tls, "no certificates", "CertificateRequired").await;
}

#[tokio::test]
async fn a_quic_server_certificate_the_client_does_not_trust_fails_the_handshake() {
    let pki = Pki::new().unwrap();
    let listener = listener(server_tls(&pki, ClientAuth::None), QuicConfig::default()).await;
    let address = listener.local_address().clone();
    let untrusting = TlsClientConfig::builder()
        .root_certificate_der(Ca::new("Some other CA").unwrap().der())
        .build()
        .unwrap();
    let transport = transport(untrusting, QuicConfig::default());
    let (server, client) = tokio::time::timeout(STEP, async {
        tokio::join!(
            async { listener.accept().await?.establish().await },
            transport.connect(address)
        )
    })
    .await
    .unwrap();
    let err = client.unwrap_err();
    assert!(
        tls_message(&err, Phase::QuicHandshake).contains("invalid peer certificate: UnknownIssuer"),
        "{err}"
    );
    let err = server.unwrap_err();
    assert!(
        tls_message(&err, Phase::QuicHandshake).contains("UnknownCA"),
        "{err}"
    );
}

#[tokio::test]
async fn a_client_offering_another_alpn_protocol_is_refused() {
    let pki = Pki::new().unwrap();
    let listener = listener(server_tls(&pki, ClientAuth::None), QuicConfig::default()).await;
    let address = listener.local_address().clone();
    let other = QuicConfig::builder()
        .alpn_protocols(["x-other"])
        .build()
        .unwrap();
    let transport = transport(trusting(&pki), other);
    let (server, client) = tokio::time::timeout(STEP, async {
        tokio::join!(
            async { listener.accept().await?.establish().await },
            transport.connect(address)
        )
    })
    .await
    .unwrap();
    let err = server.unwrap_err();
    assert!(
        tls_message(&err, Phase::QuicHandshake).contains("peer doesn't support any known protocol"),
        "{err}"
    );
    let err = client.unwrap_err();
    assert!(
        tls_message(&err, Phase::QuicHandshake).contains("NoApplicationProtocol"),
        "{err}"
    );
}

#[tokio::test]
async fn a_second_connection_with_zero_rtt_enabled_resumes_and_carries_packets() {
    let pki = Pki::new().unwrap();
    let zero_rtt = QuicConfig::builder().zero_rtt(true).build().unwrap();
    let listener = listener(server_tls(&pki, ClientAuth::None), zero_rtt.clone()).await;
    // One transport: both connections share its TLS session cache.
    let transport = transport(trusting(&pki), zero_rtt);
    for _ in 0..2 {
        let (mut server, mut client) = connect_pair(&listener, &transport).await;
        ping_both_ways(&mut server, &mut client).await;
        client.shutdown().await.unwrap();
        assert_eq!(server.read_packet().await.unwrap(), None);
    }
}

#[tokio::test]
async fn a_quic_listener_without_tls_settings_is_a_config_error() {
    match Listener::bind("quic://127.0.0.1:0", ListenerConfig::default()).await {
        Err(TransportError::Config(message)) => assert!(message.contains("tls(..)"), "{message}"),
        other => panic!("{other:?}"),
    }
}

#[test]
fn quic_settings_are_checked_when_built() {
    let config = QuicConfig::default();
    assert_eq!(config.alpn_protocols(), [b"mqtt".to_vec()]);
    assert_eq!(config.idle_timeout(), Some(Duration::from_secs(30)));
    assert_eq!(config.keep_alive_interval(), Some(Duration::from_secs(10)));
    assert!(!config.zero_rtt());
    for (builder, needle) in [
        (
            QuicConfig::builder().alpn_protocols(Vec::<&str>::new()),
            "at least one ALPN",
        ),
        (
            QuicConfig::builder()
                .keep_alive_interval(Some(Duration::from_secs(30)))
                .idle_timeout(Some(Duration::from_secs(30))),
            "shorter than the idle timeout",
        ),
        (
            QuicConfig::builder().idle_timeout(Some(Duration::ZERO)),
            "use None",
        ),
    ] {
        match builder.build() {
            Err(TransportError::Config(message)) => {
                assert!(message.contains(needle), "{message:?} lacks {needle:?}")
            }
            other => panic!("{other:?}"),
        }
    }
}
