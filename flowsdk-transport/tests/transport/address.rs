use flowsdk_transport::{connect, Listener, ListenerConfig, Scheme, TransportError};

#[tokio::test]
async fn a_scheme_this_build_lacks_is_refused_with_the_feature_to_enable() {
    for (address, feature) in [
        ("mqtts://127.0.0.1:1", "tls"),
        ("ws://127.0.0.1:1/mqtt", "ws"),
        ("quic://127.0.0.1:1", "quic"),
    ] {
        let enabled = match feature {
            "tls" => cfg!(feature = "tls"),
            "ws" => cfg!(feature = "ws"),
            _ => cfg!(feature = "quic"),
        };
        if enabled {
            continue;
        }
        match connect(address).await {
            Err(TransportError::FeatureDisabled { feature: f, .. }) => assert_eq!(f, feature),
            other => panic!("{address}: {other:?}"),
        }
    }
}

#[tokio::test]
async fn binding_port_zero_reports_the_port_the_system_chose() {
    let listener = Listener::bind("mqtt://127.0.0.1:0", ListenerConfig::default())
        .await
        .unwrap();
    let a = listener.local_address();
    assert_eq!(a.scheme(), Scheme::Tcp);
    assert_eq!(a.host(), "127.0.0.1");
    assert_ne!(a.port(), 0);
}

#[tokio::test]
async fn an_unparsable_address_is_an_error_not_a_panic() {
    assert!(matches!(
        connect("mqtt://[::1").await,
        Err(TransportError::InvalidAddress { .. })
    ));
}
