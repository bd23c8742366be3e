use std::sync::Arc;
use std::time::Duration;

use flowsdk_codec::Packet;
use flowsdk_transport::{
    rustls, ClientAuth, Listener, ListenerConfig, MqttConnection, Phase, Scheme, TlsClientConfig,
    TlsClientConfigBuilder, TlsServerConfig, Transport, TransportConfig, TransportError,
};
use tokio::time::Instant;

use super::support::{connect_pair, exchange_both_ways, STEP};
use flowsdk_testing::{Ca, Pki};

fn server_config(pki: &Pki, auth: ClientAuth) -> TlsServerConfig {
    let builder = TlsServerConfig::builder()
        .certificate_chain_der([pki.server().cert_der()], pki.server().key_der());
    let builder = match auth {
        ClientAuth::None => builder,
        auth => builder
            .client_auth(auth)
            .client_root_certificate_der(pki.ca().der()),
    };
    builder.build().unwrap()
}

fn trusting(pki: &Pki) -> TlsClientConfigBuilder {
    TlsClientConfig::builder().root_certificate_der(pki.ca().der())
}

async fn listener(tls: TlsServerConfig) -> Listener {
    Listener::bind(
        "mqtts://127.0.0.1:0",
        ListenerConfig::builder().tls(tls).build(),
    )
    .await
    .unwrap()
}

fn transport(tls: TlsClientConfig) -> Transport {
    Transport::new(TransportConfig::builder().tls(tls).build())
}

/// Accepts one connection while `transport` dials; both results as they come.
async fn attempt(
    listener: &Listener,
    transport: &Transport,
) -> (
    Result<MqttConnection, TransportError>,
    Result<MqttConnection, TransportError>,
) {
    let address = listener.local_address().clone();
    tokio::time::timeout(STEP, async {
        tokio::join!(
            async { listener.accept().await?.establish().await },
            transport.connect(address)
        )
    })
    .await
    .expect("attempt finished in time")
}

fn tls_message(err: &TransportError, phase: Phase) -> String {
    match err {
        TransportError::Tls {
            phase: p, message, ..
        } if *p == phase => message.clone(),
        other => panic!("expected a TLS error in phase {phase:?}, got {other:?}"),
    }
}

#[tokio::test]
async fn tls_carries_thousands_of_mixed_packets_both_ways_unchanged() {
    let pki = Pki::new().unwrap();
    let listener = listener(server_config(&pki, ClientAuth::None)).await;
    assert_eq!(listener.local_address().scheme(), Scheme::Tls);
    let client = transport(trusting(&pki).build().unwrap());
    let (server, client) = connect_pair(&listener, &client).await;
    // The client sees the server's chain; the server sees no client certificate.
    assert_eq!(
        client.peer().certificates(),
        std::slice::from_ref(&pki.server().cert_der().to_vec())
    );
    assert!(server.peer().certificates().is_empty());
    assert_eq!(client.peer().alpn(), None);
    exchange_both_ways(server, client, 3000).await;
}

#[tokio::test]
async fn mtls_with_a_ca_signed_client_certificate_is_accepted_and_the_server_sees_its_chain() {
    let pki = Pki::new().unwrap();
    let listener = listener(server_config(&pki, ClientAuth::Required)).await;
    let tls = trusting(&pki)
        .client_certificate_der(pki.client().chain_der().to_vec(), pki.client().key_der())
        .build()
        .unwrap();
    let (mut server, mut client) = connect_pair(&listener, &transport(tls)).await;
    assert_eq!(server.peer().certificates(), pki.client().chain_der());
    client.send(&Packet::PingReq).await.unwrap();
    assert_eq!(server.read_packet().await.unwrap(), Some(Packet::PingReq));
    server.send(&Packet::PingResp).await.unwrap();
    assert_eq!(client.read_packet().await.unwrap(), Some(Packet::PingResp));
}

#[tokio::test]
async fn a_client_certificate_from_an_unrelated_ca_is_refused_on_both_sides() {
    let pki = Pki::new().unwrap();
    let tls = TlsClientConfig::builder()
        .root_certificate_der(pki.ca().der())
        .client_certificate_pem(pki.stranger().cert_pem(), pki.stranger().key_pem())
        .build()
        .unwrap();
    assert_client_refused_with(pki, tls, "UnknownIssuer", "UnknownCA").await;
}

/// The server refuses the client's certificate in its establish(). With TLS 1.3 the client has
/// finished its side of the handshake before the server checks the certificate, so its connect
/// succeeds and the refusal (the server's alert) arrives on its first read, as a TLS error.
async fn assert_client_refused_with(
    pki: Pki,
    client_tls: TlsClientConfig,
    server_says: &str,
    alert: &str,
) {
    let listener = listener(server_config(&pki, ClientAuth::Required)).await;
    let address = listener.local_address().clone();
    let transport = transport(client_tls);
    let (server, client) = tokio::time::timeout(STEP, async {
        tokio::join!(
            async { listener.accept().await?.establish().await },
            async {
                let mut conn = transport.connect(address).await?;
                conn.read_packet().await
            }
        )
    })
    .await
    .unwrap();
    let server_err = server.unwrap_err();
    assert!(
        tls_message(&server_err, Phase::TlsHandshake).contains(server_says),
        "{server_err}"
    );
    let client_err = client.unwrap_err();
    assert!(
        tls_message(&client_err, Phase::Read).contains(alert),
        "{client_err}"
    );
}

#[tokio::test]
async fn a_client_without_certificate_is_refused_when_one_is_required() {
    let pki = Pki::new().unwrap();
    let tls = trusting(&pki).build().unwrap();
    assert_client_refused_with(pki, tls, "peer sent no certificates", "CertificateRequired").await;
}

#[tokio::test]
async fn optional_client_auth_accepts_clients_with_and_without_certificate() {
    let pki = Pki::new().unwrap();
    let listener = listener(server_config(&pki, ClientAuth::Optional)).await;
    let anonymous = transport(trusting(&pki).build().unwrap());
    let (server, _client) = connect_pair(&listener, &anonymous).await;
    assert!(server.peer().certificates().is_empty());
    let known = transport(
        trusting(&pki)
            .client_certificate_der([pki.client().cert_der()], pki.client().key_der())
            .build()
            .unwrap(),
    );
    let (server, _client) = connect_pair(&listener, &known).await;
    assert_eq!(
        server.peer().certificates(),
        std::slice::from_ref(&pki.client().cert_der().to_vec())
    );
}

#[tokio::test]
async fn a_server_certificate_the_client_does_not_trust_fails_naming_the_issuer_problem() {
    let pki = Pki::new().unwrap();
    let listener = listener(server_config(&pki, ClientAuth::None)).await;
    let other_ca = Ca::new("Some other CA").unwrap();
    let tls = TlsClientConfig::builder()
        .root_certificates_pem(other_ca.pem())
        .build()
        .unwrap();
    let (server, client) = attempt(&listener, &transport(tls)).await;
    let err = client.unwrap_err();
    let message = tls_message(&err, Phase::TlsHandshake);
    assert!(
        message.contains("invalid peer certificate: UnknownIssuer"),
        "{err}"
    );
    assert!(
        err.to_string().starts_with(&format!(
            "{}: TLS handshake failed: ",
            listener.local_address()
        )),
        "{err}"
    );
    // The client's alert reaches the server.
    let err = server.unwrap_err();
    assert!(
        tls_message(&err, Phase::TlsHandshake).contains("UnknownCA"),
        "{err}"
    );
}

#[tokio::test]
async fn the_server_name_can_differ_from_the_host_dialed() {
    let pki = Pki::new().unwrap();
    let only_localhost = pki.ca().server(&["localhost"]).unwrap();
    let tls = TlsServerConfig::builder()
        .certificate_chain_pem(only_localhost.cert_pem(), only_localhost.key_pem())
        .build()
        .unwrap();
    let listener = listener(tls).await;
    // Dialing 127.0.0.1 checks the certificate against that IP address: not in it.
    let (_, client) = attempt(&listener, &transport(trusting(&pki).build().unwrap())).await;
    let err = client.unwrap_err();
    assert!(
        tls_message(&err, Phase::TlsHandshake).contains("not valid for name"),
        "{err}"
    );
    // With the name the certificate carries, it is accepted.
    let named = trusting(&pki).server_name("localhost").build().unwrap();
    assert_eq!(named.server_name(), Some("localhost"));
    let (_server, client) = connect_pair(&listener, &transport(named)).await;
    assert_eq!(
        client.peer().certificates(),
        std::slice::from_ref(&only_localhost.cert_der().to_vec())
    );
}

#[tokio::test]
async fn alpn_is_agreed_and_visible_on_both_sides() {
    let pki = Pki::new().unwrap();
    let tls = TlsServerConfig::builder()
        .certificate_chain_der([pki.server().cert_der()], pki.server().key_der())
        .alpn_protocols(["mqtt"])
        .build()
        .unwrap();
    let listener = listener(tls).await;
    let client_tls = trusting(&pki)
        .alpn_protocols(["x-other", "mqtt"])
        .build()
        .unwrap();
    let (server, client) = connect_pair(&listener, &transport(client_tls)).await;
    assert_eq!(server.peer().alpn(), Some(&b"mqtt"[..]));
    assert_eq!(client.peer().alpn(), Some(&b"mqtt"[..]));

    // A client offering none of the server's protocols is refused in the handshake.
    let (server, client) = attempt(
        &listener,
        &transport(trusting(&pki).alpn_protocols(["x-other"]).build().unwrap()),
    )
    .await;
    let err = server.unwrap_err();
    assert!(
        tls_message(&err, Phase::TlsHandshake).contains("peer doesn't support any known protocol"),
        "{err}"
    );
    let err = client.unwrap_err();
    assert!(
        tls_message(&err, Phase::TlsHandshake).contains("NoApplicationProtocol"),
        "{err}"
    );
}

#[tokio::test]
async fn a_server_that_never_answers_the_handshake_triggers_the_connect_timeout() {
    let pki = Pki::new().unwrap();
    // Accepted by the kernel (in the backlog), never read from or written to.
    let silent = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = silent.local_addr().unwrap().port();
    let limit = Duration::from_millis(300);
    let transport = Transport::new(
        TransportConfig::builder()
            .connect_timeout(limit)
            .tls(trusting(&pki).build().unwrap())
            .build(),
    );
    let err = super::support::expect_connect_timeout(
        &transport,
        format!("mqtts://127.0.0.1:{port}"),
        Phase::TlsHandshake,
        limit,
    )
    .await;
    assert!(
        err.to_string()
            .contains("TLS handshake timed out after 300ms"),
        "{err}"
    );
}

#[tokio::test]
async fn a_client_that_never_starts_the_handshake_triggers_the_servers_handshake_timeout() {
    let pki = Pki::new().unwrap();
    let limit = Duration::from_millis(300);
    let listener = Listener::bind(
        "mqtts://127.0.0.1:0",
        ListenerConfig::builder()
            .tls(server_config(&pki, ClientAuth::None))
            .handshake_timeout(limit)
            .build(),
    )
    .await
    .unwrap();
    let _silent = tokio::net::TcpStream::connect(listener.local_address().host_port())
        .await
        .unwrap();
    let incoming = listener.accept().await.unwrap();
    let started = Instant::now();
    let err = incoming.establish().await.unwrap_err();
    let took = started.elapsed();
    assert!(
        matches!(
            err,
            TransportError::Timeout {
                phase: Phase::TlsHandshake,
                ..
            }
        ),
        "{err:?}"
    );
    assert!(took >= limit && took < limit + Duration::from_secs(5));
}

#[tokio::test]
async fn configurations_from_pem_files_work_end_to_end() {
    let pki = Pki::new().unwrap();
    let dir = std::env::temp_dir().join(format!("flowsdk-tls-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = |name: &str, text: &str| {
        let path = dir.join(name);
        std::fs::write(&path, text).unwrap();
        path
    };
    let ca = file("ca.pem", &pki.ca().pem());
    let server_cert = file("server.pem", pki.server().cert_pem());
    let server_key = file("server.key", pki.server().key_pem());
    // Certificate and key in one file, as many tools write them.
    let client_both = file(
        "client.pem",
        &format!("{}{}", pki.client().cert_pem(), pki.client().key_pem()),
    );
    let server_tls = TlsServerConfig::builder()
        .certificate_chain_pem_file(&server_cert, &server_key)
        .client_auth(ClientAuth::Required)
        .client_root_certificates_pem_file(&ca)
        .build()
        .unwrap();
    let client_tls = TlsClientConfig::builder()
        .root_certificates_pem_file(&ca)
        .client_certificate_pem_file(&client_both, &client_both)
        .build()
        .unwrap();
    std::fs::remove_dir_all(&dir).unwrap();
    let listener = listener(server_tls).await;
    let (mut server, mut client) = connect_pair(&listener, &transport(client_tls)).await;
    assert_eq!(
        server.peer().certificates(),
        std::slice::from_ref(&pki.client().cert_der().to_vec())
    );
    client.send(&Packet::PingReq).await.unwrap();
    assert_eq!(server.read_packet().await.unwrap(), Some(Packet::PingReq));
}

#[tokio::test]
async fn hand_made_rustls_configurations_can_be_used_as_they_are() {
    let pki = Pki::new().unwrap();
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let server = rustls::ServerConfig::builder_with_provider(provider.clone())
        .with_protocol_versions(&[&rustls::version::TLS13])
        .unwrap()
        .with_no_client_auth()
        .with_single_cert(
            vec![pki.server().cert_der().to_vec().into()],
            rustls::pki_types::PrivateKeyDer::try_from(pki.server().key_der().to_vec()).unwrap(),
        )
        .unwrap();
    let mut roots = rustls::RootCertStore::empty();
    roots.add(pki.ca().der().into()).unwrap();
    let client = rustls::ClientConfig::builder_with_provider(provider)
        .with_protocol_versions(&[&rustls::version::TLS13])
        .unwrap()
        .with_root_certificates(roots)
        .with_no_client_auth();
    let server_tls = TlsServerConfig::from_rustls(Arc::new(server));
    assert_eq!(server_tls.client_auth(), None);
    let listener = listener(server_tls).await;
    let client_tls = TlsClientConfig::from_rustls(Arc::new(client)).with_server_name("localhost");
    let (mut server, mut client) = connect_pair(&listener, &transport(client_tls)).await;
    client.send(&Packet::PingReq).await.unwrap();
    assert_eq!(server.read_packet().await.unwrap(), Some(Packet::PingReq));
}

#[test]
fn configuration_mistakes_are_config_errors_naming_the_problem() {
    let pki = Pki::new().unwrap();
    let config_error = |r: Result<_, TransportError>, needle: &str| match r {
        Err(TransportError::Config(message)) => {
            assert!(message.contains(needle), "{message:?} lacks {needle:?}")
        }
        Err(other) => panic!("{other:?}"),
        Ok(_) => panic!("accepted; expected an error about {needle:?}"),
    };
    config_error(
        TlsServerConfig::builder().build().map(drop),
        "no certificate",
    );
    config_error(
        TlsServerConfig::builder()
            .certificate_chain_pem(pki.server().cert_pem(), pki.server().cert_pem())
            .build()
            .map(drop),
        "no PRIVATE KEY",
    );
    config_error(
        TlsServerConfig::builder()
            .certificate_chain_pem(pki.server().cert_pem(), pki.client().key_pem())
            .build()
            .map(drop),
        "server certificate",
    );
    config_error(
        TlsServerConfig::builder()
            .certificate_chain_pem(pki.server().cert_pem(), pki.server().key_pem())
            .client_auth(ClientAuth::Required)
            .build()
            .map(drop),
        "needs client roots",
    );
    config_error(
        TlsServerConfig::builder()
            .certificate_chain_pem(pki.server().cert_pem(), pki.server().key_pem())
            .client_root_certificate_der(pki.ca().der())
            .build()
            .map(drop),
        "client_auth is None",
    );
    config_error(
        TlsClientConfig::builder()
            .root_certificates_pem_file("/nonexistent/flowsdk/ca.pem")
            .build()
            .map(drop),
        "/nonexistent/flowsdk/ca.pem",
    );
    config_error(
        TlsClientConfig::builder()
            .root_certificates_pem("not PEM at all")
            .build()
            .map(drop),
        "no CERTIFICATE",
    );
    config_error(
        TlsClientConfig::builder()
            .platform_roots(false)
            .build()
            .map(drop),
        "no root certificate",
    );
    config_error(
        trusting(&pki).alpn_protocols([""]).build().map(drop),
        "1 to 255 bytes",
    );
}

#[tokio::test]
async fn a_tls_listener_without_tls_settings_is_a_config_error() {
    match Listener::bind("mqtts://127.0.0.1:0", ListenerConfig::default()).await {
        Err(TransportError::Config(message)) => assert!(message.contains("tls(..)"), "{message}"),
        other => panic!("{other:?}"),
    }
}
