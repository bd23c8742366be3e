//! The launcher's TLS listeners with clients built from its PKI.

use std::time::Duration;

use flowsdk_codec::ReasonCode;
use flowsdk_testing::{Mosquitto, Pki, RawTestClient};
use flowsdk_transport::TransportConfig;

use super::support::within;

fn config(tls: flowsdk_transport::TlsClientConfig) -> TransportConfig {
    TransportConfig::builder().tls(tls).build()
}

#[tokio::test]
async fn a_tls_listener_accepts_a_client_that_trusts_the_pki() {
    let Some(broker) = within("starting", Mosquitto::builder().tls(true).start())
        .await
        .unwrap()
    else {
        return;
    };
    let address = broker.tls_address().expect("a TLS listener");
    assert!(address.starts_with("mqtts://127.0.0.1:"));
    let tls = broker.client_tls_config().unwrap();
    let mut client = within("connecting", RawTestClient::connect(address, config(tls)))
        .await
        .unwrap();
    assert!(!client.peer().certificates().is_empty());
    let ack = within("CONNACK", client.connect_v5("raw-tls"))
        .await
        .unwrap();
    assert_eq!(ack.reason_code, ReasonCode::Success);
}

#[tokio::test]
async fn a_tls_listener_is_not_trusted_with_another_ca() {
    let Some(broker) = within("starting", Mosquitto::builder().tls(true).start())
        .await
        .unwrap()
    else {
        return;
    };
    let other = Pki::new().unwrap().client_tls_config(None).unwrap();
    let result = within(
        "connecting",
        RawTestClient::connect(broker.tls_address().unwrap(), config(other)),
    )
    .await;
    assert!(result.is_err(), "a foreign CA was accepted");
}

#[tokio::test]
async fn client_certificates_are_required_when_asked_for() {
    let Some(broker) = within(
        "starting",
        Mosquitto::builder()
            .require_client_certificate(true)
            .start(),
    )
    .await
    .unwrap() else {
        return;
    };
    let pki = broker.pki().unwrap();
    let address = broker.tls_address().unwrap();

    // With the client certificate the PKI made: accepted.
    let tls = broker.client_tls_config().unwrap();
    let mut client = within(
        "connecting",
        RawTestClient::connect(address.clone(), config(tls)),
    )
    .await
    .unwrap();
    let ack = within("CONNACK", client.connect_v5("raw-mtls"))
        .await
        .unwrap();
    assert_eq!(ack.reason_code, ReasonCode::Success);

    // Without one, or with a stranger's: refused, at the handshake or at the first read.
    for identity in [None, Some(pki.stranger())] {
        let tls = pki.client_tls_config(identity).unwrap();
        let refused = async {
            let mut client = RawTestClient::connect(address.clone(), config(tls)).await?;
            client.set_step_timeout(Duration::from_secs(5));
            client.connect_v5("raw-mtls-refused").await
        };
        let result = within("refusal", refused).await;
        assert!(result.is_err(), "{identity:?} was accepted: {result:?}");
    }
}

#[cfg(feature = "ws")]
#[tokio::test]
async fn a_secure_websocket_listener_accepts_a_client_that_trusts_the_pki() {
    let Some(broker) = within(
        "starting",
        Mosquitto::builder().tls(true).websockets(true).start(),
    )
    .await
    .unwrap() else {
        return;
    };
    let Some(address) = broker.wss_address() else {
        return;
    };
    let tls = broker.client_tls_config().unwrap();
    let mut client = within("connecting", RawTestClient::connect(address, config(tls)))
        .await
        .unwrap();
    let ack = within("CONNACK", client.connect_v5("raw-wss"))
        .await
        .unwrap();
    assert_eq!(ack.reason_code, ReasonCode::Success);
}
