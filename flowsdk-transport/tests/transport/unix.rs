use flowsdk_codec::Packet;
use flowsdk_transport::{Address, Listener, ListenerConfig, Scheme, Transport};

use super::support::{connect_pair, exchange_both_ways};

fn socket_path(name: &str) -> String {
    let dir = std::env::temp_dir().join(format!("flowsdk-transport-{}-{name}", std::process::id()));
    let _ = std::fs::remove_file(&dir);
    dir.to_string_lossy().into_owned()
}

#[tokio::test]
async fn unix_sockets_carry_thousands_of_mixed_packets_both_ways_unchanged() {
    let path = socket_path("exchange");
    let listener = Listener::bind(format!("unix://{path}"), ListenerConfig::default())
        .await
        .unwrap();
    assert_eq!(listener.local_address().scheme(), Scheme::Unix);
    let (server, client) = connect_pair(&listener, &Transport::default()).await;
    exchange_both_ways(server, client, 3000).await;
}

#[tokio::test]
async fn the_socket_file_is_removed_when_the_listener_is_dropped() {
    let path = socket_path("cleanup");
    let listener = Listener::bind(Address::unix(path.clone()), ListenerConfig::default())
        .await
        .unwrap();
    assert!(std::path::Path::new(&path).exists());
    let (mut server, mut client) = connect_pair(&listener, &Transport::default()).await;
    client.send(&Packet::PingReq).await.unwrap();
    assert_eq!(server.read_packet().await.unwrap(), Some(Packet::PingReq));
    drop(listener);
    assert!(!std::path::Path::new(&path).exists());
}
