//! Interoperability with Mosquitto, when it is installed: our dialers against a real broker
//! started for each test on free ports of 127.0.0.1, over TCP, WebSocket and (with `tls`) TLS.
//!
//! Where the `mosquitto` binary is absent, each test prints `skipped: mosquitto not installed`
//! and passes.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use flowsdk_codec::{ConnAck, Connect, MqttString, Packet, ProtocolVersion, ReasonCode};
use flowsdk_transport::{MqttConnection, Transport};
use tokio::time::{timeout, Instant};

use super::support::STEP;

/// How long a started broker has to open all its ports.
const STARTUP: Duration = Duration::from_secs(10);

/// Attempts to start, each on fresh ports (another process may take a port between our
/// picking it and mosquitto binding it).
const START_ATTEMPTS: usize = 3;

/// The mosquitto binary: Debian's path, or the first on `PATH`.
fn mosquitto_binary() -> Option<PathBuf> {
    let debian = PathBuf::from("/usr/sbin/mosquitto");
    if debian.is_file() {
        return Some(debian);
    }
    std::env::var_os("PATH").and_then(|paths| {
        std::env::split_paths(&paths)
            .map(|dir| dir.join("mosquitto"))
            .find(|candidate| candidate.is_file())
    })
}

/// A port on 127.0.0.1 that was free a moment ago: bind port 0, read it, let it go.
fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("an ephemeral port on 127.0.0.1")
        .port()
}

/// Which listeners to configure.
#[derive(Clone, Copy)]
struct Wanted {
    websockets: bool,
}

/// A mosquitto process with its configuration directory; killed and removed on drop.
pub struct Mosquitto {
    child: Child,
    dir: PathBuf,
    tcp: u16,
    #[cfg_attr(not(feature = "ws"), allow(dead_code))]
    ws: Option<u16>,
    #[cfg(feature = "tls")]
    tls: TlsListeners,
}

#[cfg(feature = "tls")]
struct TlsListeners {
    mqtts: u16,
    wss: Option<u16>,
    ca_pem: String,
}

impl Drop for Mosquitto {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

impl Mosquitto {
    /// Starts mosquitto with a TCP listener, a WebSocket listener and, with `tls`, TLS and
    /// secure WebSocket listeners, and waits until every port accepts. `None` (after printing
    /// the skip line) where mosquitto is not installed.
    pub async fn start() -> Option<Mosquitto> {
        let Some(binary) = mosquitto_binary() else {
            println!("skipped: mosquitto not installed");
            return None;
        };
        let mut wanted = Wanted {
            websockets: cfg!(feature = "ws"),
        };
        let mut failures = Vec::new();
        for _ in 0..START_ATTEMPTS {
            match Mosquitto::try_start(&binary, wanted).await {
                Ok(broker) => return Some(broker),
                Err(log) => {
                    // A build without WebSocket support refuses `protocol websockets`: go on
                    // without it, and let the WebSocket tests say they were skipped.
                    if wanted.websockets && log.to_ascii_lowercase().contains("websockets") {
                        wanted.websockets = false;
                    }
                    failures.push(log);
                }
            }
        }
        panic!("mosquitto did not start in {START_ATTEMPTS} attempts:\n{failures:#?}");
    }

    async fn try_start(binary: &Path, wanted: Wanted) -> Result<Mosquitto, String> {
        static INSTANCE: AtomicUsize = AtomicUsize::new(0);
        let dir = std::env::temp_dir().join(format!(
            "flowsdk-mosquitto-{}-{}",
            std::process::id(),
            INSTANCE.fetch_add(1, Ordering::Relaxed)
        ));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).expect("a temporary directory");

        let tcp = free_port();
        let ws = wanted.websockets.then(free_port);
        let mut config = format!(
            "per_listener_settings false\nallow_anonymous true\npersistence false\n\
             log_dest stderr\nlog_type error\nlog_type warning\nlog_type notice\n\
             listener {tcp} 127.0.0.1\n"
        );
        if let Some(ws) = ws {
            config.push_str(&format!("listener {ws} 127.0.0.1\nprotocol websockets\n"));
        }
        #[cfg(feature = "tls")]
        let tls = {
            let pki = super::pki::Pki::new();
            let write = |name: &str, text: &str| {
                let path = dir.join(name);
                std::fs::write(&path, text).expect("a certificate file written");
                path.display().to_string()
            };
            let cafile = write("ca.pem", &pki.ca.pem());
            let certfile = write("server.pem", &pki.server.cert_pem);
            let keyfile = write("server.key", &pki.server.key_pem);
            let files = format!("cafile {cafile}\ncertfile {certfile}\nkeyfile {keyfile}\n");
            let mqtts = free_port();
            config.push_str(&format!("listener {mqtts} 127.0.0.1\n{files}"));
            let wss = ws.map(|_| free_port());
            if let Some(wss) = wss {
                config.push_str(&format!(
                    "listener {wss} 127.0.0.1\nprotocol websockets\n{files}"
                ));
            }
            TlsListeners {
                mqtts,
                wss,
                ca_pem: pki.ca.pem(),
            }
        };
        let config_path = dir.join("mosquitto.conf");
        std::fs::write(&config_path, config).expect("the configuration written");
        // The log goes to a file we open, so a broker that dropped privileges can still write it.
        let log_path = dir.join("mosquitto.log");
        let log = std::fs::File::create(&log_path).expect("a log file");
        let child = Command::new(binary)
            .arg("-c")
            .arg(&config_path)
            .stdin(Stdio::null())
            .stdout(log.try_clone().expect("a second log handle"))
            .stderr(log)
            .spawn()
            .map_err(|e| format!("cannot run {}: {e}", binary.display()))?;
        let mut broker = Mosquitto {
            child,
            dir,
            tcp,
            ws,
            #[cfg(feature = "tls")]
            tls,
        };
        let mut ports = vec![tcp];
        ports.extend(ws);
        #[cfg(feature = "tls")]
        {
            ports.push(broker.tls.mqtts);
            ports.extend(broker.tls.wss);
        }
        match broker.wait_until_ports_accept(&ports).await {
            Ok(()) => Ok(broker),
            Err(why) => {
                let _ = broker.child.kill();
                let _ = broker.child.wait();
                let log = std::fs::read_to_string(&log_path).unwrap_or_default();
                Err(format!("{why}; mosquitto's log:\n{log}"))
            }
        }
    }

    /// Polls every port until it accepts a TCP connection, within [`STARTUP`]; fails early when
    /// the process exits.
    async fn wait_until_ports_accept(&mut self, ports: &[u16]) -> Result<(), String> {
        let deadline = Instant::now() + STARTUP;
        for &port in ports {
            loop {
                if let Ok(Some(status)) = self.child.try_wait() {
                    return Err(format!("mosquitto exited with {status}"));
                }
                if tokio::net::TcpStream::connect(("127.0.0.1", port))
                    .await
                    .is_ok()
                {
                    break;
                }
                if Instant::now() >= deadline {
                    return Err(format!("port {port} did not accept within {STARTUP:?}"));
                }
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
        }
        Ok(())
    }

    fn tcp_address(&self) -> String {
        format!("mqtt://127.0.0.1:{}", self.tcp)
    }

    /// The WebSocket address, or `None` after printing why the test is skipped.
    #[cfg(feature = "ws")]
    fn ws_address(&self) -> Option<String> {
        match self.ws {
            Some(port) => Some(format!("ws://127.0.0.1:{port}/mqtt")),
            None => {
                println!("skipped: this mosquitto does not support websockets");
                None
            }
        }
    }
}

fn connect_packet(client_id: &str, version: ProtocolVersion) -> Packet {
    let mut connect = Connect::new(MqttString::new(client_id).unwrap());
    connect.protocol_version = version;
    Packet::Connect(connect)
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
    let Some(broker) = Mosquitto::start().await else {
        return;
    };
    let mut conn = dial(&Transport::default(), &broker.tcp_address()).await;
    let ack = handshake(&mut conn, "flowsdk-tcp-v5", ProtocolVersion::V5).await;
    assert_eq!(ack.reason_code, ReasonCode::Success);
}

#[tokio::test]
async fn mosquitto_accepts_a_3_1_1_connect_over_tcp() {
    let Some(broker) = Mosquitto::start().await else {
        return;
    };
    let mut conn = dial(&Transport::default(), &broker.tcp_address()).await;
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
    use super::{dial, handshake, Mosquitto};

    #[tokio::test]
    async fn mosquitto_accepts_a_v5_connect_over_websocket() {
        let Some(broker) = Mosquitto::start().await else {
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
        let Some(broker) = Mosquitto::start().await else {
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
    use flowsdk_transport::{TlsClientConfig, Transport, TransportConfig};

    use super::{dial, handshake, Mosquitto};

    /// A dialer that trusts only the test CA that signed mosquitto's certificate.
    fn trusting(broker: &Mosquitto) -> Transport {
        let tls = TlsClientConfig::builder()
            .root_certificates_pem(broker.tls.ca_pem.clone())
            .platform_roots(false)
            .build()
            .unwrap();
        Transport::new(TransportConfig::builder().tls(tls).build())
    }

    #[tokio::test]
    async fn mosquitto_accepts_a_v5_connect_over_tls() {
        let Some(broker) = Mosquitto::start().await else {
            return;
        };
        let address = format!("mqtts://127.0.0.1:{}", broker.tls.mqtts);
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
        let Some(broker) = Mosquitto::start().await else {
            return;
        };
        let Some(port) = broker.tls.wss else {
            println!("skipped: this mosquitto does not support websockets");
            return;
        };
        let address = format!("wss://127.0.0.1:{port}/mqtt");
        let mut conn = dial(&trusting(&broker), &address).await;
        let ack = handshake(&mut conn, "flowsdk-wss-loopback", ProtocolVersion::V5).await;
        assert_eq!(ack.reason_code, ReasonCode::Success);
        super::websocket::publish_loops_back(&mut conn).await;
    }
}
