//! Packets per second through each `flowsdk-transport` transport over loopback, next to the
//! ceiling: raw `tokio::net::TcpStream` moving the same bytes.
//!
//! Each case is one connection, set up once before timing: a listener on the loopback address
//! (or a Unix socket in the temp directory), dialed with [`Transport`], accepted and
//! established. The client side sends, the server side receives. One timed iteration is one
//! batch of [`N`] QoS 0 PUBLISH packets (16-byte topic `sensors/0042/tmp`, 64 B or 1 KiB
//! payload, MQTT 5.0):
//!
//! - the sender task encodes each packet into the connection's write buffer (`enqueue`) and
//!   flushes every [`FLUSH_EVERY`] packets and once at the end;
//! - the receiver task reads (`read_packet`, decoding each packet) until it has all [`N`];
//! - the clock runs from before both tasks are spawned until the receiver has the last packet.
//!
//! `raw_tcp` is the ceiling: a plain `TcpStream` pair (`TCP_NODELAY` set, as the transport sets
//! it) where the sender writes the same frames, pre-encoded into one buffer, in chunks of
//! [`FLUSH_EVERY`] frames, and the receiver only counts bytes until all have arrived. No
//! encoding, no decoding, no framing.
//!
//! TLS and QUIC use a CA and a server certificate for 127.0.0.1 made with rcgen at start-up;
//! the handshake happens during set-up, never inside the timed part.
//!
//! After criterion, a table of packets per second and the ratio to `raw_tcp` of the same
//! payload size is printed and written to `<criterion dir>/transport-summary.md`.
//!
//! `cargo bench -p flowsdk-benches --bench transport` (criterion options after `--`).

use std::fmt::Write as _;
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use bytes::BytesMut;
use criterion::{Criterion, Throughput};
use flowsdk_benches::report;
use flowsdk_benches::workload::{self, TOPIC, VERSION};
use flowsdk_codec::{Packet, Publish, TopicName};
use flowsdk_transport::{
    Listener, ListenerConfig, MqttReadHalf, MqttWriteHalf, QuicConfig, TlsClientConfig,
    TlsServerConfig, Transport, TransportConfig,
};
use rcgen::{
    BasicConstraints, CertificateParams, DnType, ExtendedKeyUsagePurpose, IsCa, Issuer, KeyPair,
    KeyUsagePurpose,
};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::tcp::{OwnedReadHalf, OwnedWriteHalf};
use tokio::net::{TcpListener, TcpStream};
use tokio::runtime::Runtime;
use tokio::time::Instant;

/// Packets per timed batch.
const N: usize = 10_000;
/// The sender flushes after this many packets (and at the end of the batch).
const FLUSH_EVERY: usize = 64;
/// Payload sizes, with the label each case is named by.
const SIZES: [(usize, &str); 2] = [(64, "64B"), (1024, "1KiB")];
/// The ceiling every transport is compared with.
const RAW_TCP: &str = "raw_tcp";
/// Every case, in table order.
const TRANSPORTS: [&str; 6] = [RAW_TCP, "tcp", "unix", "tls", "quic", "ws"];

/// The QoS 0 PUBLISH of a case.
fn publish(payload_len: usize) -> Packet {
    Packet::Publish(Publish::new(
        TopicName::new(TOPIC).expect("valid topic"),
        workload::payload(payload_len),
    ))
}

/// The wire size of one frame.
fn frame_len(packet: &Packet) -> usize {
    packet.encoded_len(VERSION).expect("valid packet")
}

/// A CA and a server certificate for 127.0.0.1 and localhost signed by it: (CA DER, server
/// certificate DER, server key DER).
fn certificates() -> (Vec<u8>, Vec<u8>, Vec<u8>) {
    let mut ca_params = CertificateParams::new(Vec::new()).expect("no names is valid");
    ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    ca_params
        .distinguished_name
        .push(DnType::CommonName, "flowsdk bench CA");
    ca_params.key_usages = vec![
        KeyUsagePurpose::KeyCertSign,
        KeyUsagePurpose::CrlSign,
        KeyUsagePurpose::DigitalSignature,
    ];
    let ca_key = KeyPair::generate().expect("key generated");
    let ca_cert = ca_params.self_signed(&ca_key).expect("CA self-signed");
    let issuer = Issuer::new(ca_params, ca_key);

    let names = vec!["127.0.0.1".to_owned(), "localhost".to_owned()];
    let mut params = CertificateParams::new(names).expect("valid names");
    params
        .distinguished_name
        .push(DnType::CommonName, "127.0.0.1");
    params.use_authority_key_identifier_extension = true;
    params.key_usages = vec![KeyUsagePurpose::DigitalSignature];
    params.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
    let key = KeyPair::generate().expect("key generated");
    let cert = params.signed_by(&key, &issuer).expect("server signed");
    (
        ca_cert.der().to_vec(),
        cert.der().to_vec(),
        key.serialize_der(),
    )
}

/// One established connection, both ends, and whatever must outlive it.
enum Pair {
    /// A `flowsdk-transport` connection: client writes, server reads.
    Mqtt {
        reader: Option<MqttReadHalf>,
        writer: Option<MqttWriteHalf>,
        /// The listener and the dialer (a QUIC endpoint lives in each), kept until the end.
        _endpoints: Box<(Listener, Transport)>,
    },
    /// The ceiling: plain TCP.
    Raw {
        reader: Option<OwnedReadHalf>,
        writer: Option<OwnedWriteHalf>,
    },
}

async fn mqtt_pair(listener: Listener, transport: Transport) -> Pair {
    let address = listener.local_address().clone();
    let (server, client) = tokio::join!(
        async { listener.accept().await?.establish().await },
        transport.connect(address)
    );
    let (reader, _) = server.expect("server side established").into_split();
    let (_, writer) = client.expect("client side established").into_split();
    Pair::Mqtt {
        reader: Some(reader),
        writer: Some(writer),
        _endpoints: Box::new((listener, transport)),
    }
}

async fn raw_pair() -> Pair {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bound");
    let address = listener.local_addr().expect("local address");
    let (server, client) = tokio::join!(listener.accept(), TcpStream::connect(address));
    let (server, _) = server.expect("accepted");
    let client = client.expect("connected");
    server.set_nodelay(true).expect("nodelay");
    client.set_nodelay(true).expect("nodelay");
    let (reader, _) = server.into_split();
    let (_, writer) = client.into_split();
    Pair::Raw {
        reader: Some(reader),
        writer: Some(writer),
    }
}

fn unix_path() -> String {
    let path = std::env::temp_dir().join(format!("flowsdk-bench-{}.sock", std::process::id()));
    let _ = std::fs::remove_file(&path);
    path.to_string_lossy().into_owned()
}

/// Connects the pair for `name`.
async fn connect(name: &str, certs: &(Vec<u8>, Vec<u8>, Vec<u8>)) -> Pair {
    let (ca, cert, key) = certs;
    let server_tls = || {
        TlsServerConfig::builder()
            .certificate_chain_der([cert.clone()], key.clone())
            .build()
            .expect("server TLS config")
    };
    let client_tls = || {
        TlsClientConfig::builder()
            .root_certificate_der(ca.clone())
            .build()
            .expect("client TLS config")
    };
    let bind = |address: String, config: ListenerConfig| async move {
        Listener::bind(address, config).await.expect("bound")
    };
    match name {
        RAW_TCP => raw_pair().await,
        "tcp" => {
            let listener = bind("mqtt://127.0.0.1:0".into(), ListenerConfig::default()).await;
            mqtt_pair(listener, Transport::default()).await
        }
        "unix" => {
            let listener = bind(format!("unix://{}", unix_path()), ListenerConfig::default()).await;
            mqtt_pair(listener, Transport::default()).await
        }
        "tls" => {
            let config = ListenerConfig::builder().tls(server_tls()).build();
            let listener = bind("mqtts://127.0.0.1:0".into(), config).await;
            let transport = Transport::new(TransportConfig::builder().tls(client_tls()).build());
            mqtt_pair(listener, transport).await
        }
        "quic" => {
            let config = ListenerConfig::builder()
                .tls(server_tls())
                .quic(QuicConfig::default())
                .build();
            let listener = bind("quic://127.0.0.1:0".into(), config).await;
            let transport = Transport::new(
                TransportConfig::builder()
                    .tls(client_tls())
                    .quic(QuicConfig::default())
                    .build(),
            );
            mqtt_pair(listener, transport).await
        }
        "ws" => {
            let listener = bind("ws://127.0.0.1:0".into(), ListenerConfig::default()).await;
            mqtt_pair(listener, Transport::default()).await
        }
        other => unreachable!("unknown transport {other}"),
    }
}

impl Pair {
    /// Moves one batch of [`N`] packets from client to server; the time until the receiver
    /// has the last of them.
    async fn batch(&mut self, packet: &Packet, raw: &Arc<Vec<u8>>) -> Duration {
        match self {
            Pair::Mqtt { reader, writer, .. } => {
                let mut r = reader.take().expect("reader in place");
                let mut w = writer.take().expect("writer in place");
                let packet = packet.clone();
                let start = Instant::now();
                let send = tokio::spawn(async move {
                    for i in 1..=N {
                        w.enqueue(&packet).expect("enqueued");
                        if i % FLUSH_EVERY == 0 {
                            w.flush().await.expect("flushed");
                        }
                    }
                    w.flush().await.expect("flushed");
                    w
                });
                let receive = tokio::spawn(async move {
                    let mut got = 0;
                    while got < N {
                        match r.read_packet().await.expect("read") {
                            Some(Packet::Publish(p)) => {
                                std::hint::black_box(&p);
                                got += 1;
                            }
                            other => panic!("expected PUBLISH, got {other:?}"),
                        }
                    }
                    r
                });
                let r = receive.await.expect("receiver finished");
                let elapsed = start.elapsed();
                let w = send.await.expect("sender finished");
                *reader = Some(r);
                *writer = Some(w);
                elapsed
            }
            Pair::Raw { reader, writer } => {
                let mut r = reader.take().expect("reader in place");
                let mut w = writer.take().expect("writer in place");
                let chunk = raw.len() / N * FLUSH_EVERY;
                let bytes = Arc::clone(raw);
                let total = raw.len();
                let start = Instant::now();
                let send = tokio::spawn(async move {
                    for part in bytes.chunks(chunk) {
                        w.write_all(part).await.expect("written");
                    }
                    w
                });
                let receive = tokio::spawn(async move {
                    let mut buf = vec![0u8; 64 * 1024];
                    let mut got = 0;
                    while got < total {
                        let n = r.read(&mut buf).await.expect("read");
                        assert!(n > 0, "peer closed after {got} of {total} bytes");
                        got += n;
                    }
                    r
                });
                let r = receive.await.expect("receiver finished");
                let elapsed = start.elapsed();
                let w = send.await.expect("sender finished");
                *reader = Some(r);
                *writer = Some(w);
                elapsed
            }
        }
    }
}

fn group_name(label: &str) -> String {
    format!("transport_{label}")
}

fn format_time(ns: f64) -> String {
    if ns < 1e6 {
        format!("{:.1} µs", ns / 1e3)
    } else {
        format!("{:.2} ms", ns / 1e6)
    }
}

fn format_rate(per_second: f64) -> String {
    if per_second >= 1e6 {
        format!("{:.2} M", per_second / 1e6)
    } else {
        format!("{:.0} k", per_second / 1e3)
    }
}

/// The table of this run's results and the one closing line.
fn print_summary(since: SystemTime, frames: &[usize]) {
    let dir = report::criterion_dir();
    let mut table = String::from(
        "| transport | payload | frame bytes | time per 10,000 packets | packets/s | MiB/s | vs raw TCP |\n\
         | --- | --- | ---: | ---: | ---: | ---: | ---: |\n",
    );
    let mut parts = Vec::new();
    let mut rows = 0;
    for (&(_, label), &frame) in SIZES.iter().zip(frames) {
        let group = group_name(label);
        let raw = report::read_estimate(&dir, &group, RAW_TCP, Some(since));
        let mut ratios = Vec::new();
        for name in TRANSPORTS {
            let Some(est) = report::read_estimate(&dir, &group, name, Some(since)) else {
                continue;
            };
            rows += 1;
            let per_second = N as f64 / (est.ns / 1e9);
            let mib = per_second * frame as f64 / (1024.0 * 1024.0);
            let ratio = raw.map(|raw| raw.ns / est.ns);
            if name != RAW_TCP {
                if let Some(ratio) = ratio {
                    ratios.push(format!("{name} {ratio:.2}x"));
                }
            }
            let _ = writeln!(
                table,
                "| {name} | {label} | {frame} | {} | {} | {mib:.1} | {} |",
                format_time(est.ns),
                format_rate(per_second),
                ratio.map_or_else(|| "-".to_owned(), |r| format!("{r:.2}x")),
            );
        }
        if !ratios.is_empty() {
            parts.push(format!("{label}: {}", ratios.join(", ")));
        }
    }
    if rows == 0 {
        // Test mode (`-- --test`), `--list`, or a filter that matched nothing.
        println!(
            "transport bench: no results measured in this run under {}",
            dir.display()
        );
        return;
    }
    let line = format!(
        "transport bench: packets/s of {N}-packet QoS 0 PUBLISH batches over loopback, \
         as a share of raw TCP's: {}",
        if parts.is_empty() {
            "no raw TCP result to compare with".to_owned()
        } else {
            parts.join("; ")
        }
    );
    println!("\nflowsdk-transport over loopback (vs raw TCP = raw TCP time / transport time)\n");
    println!("{table}\n{line}");
    let file = dir.join("transport-summary.md");
    if let Err(e) = std::fs::write(&file, format!("{table}\n{line}\n")) {
        eprintln!("could not write {}: {e}", file.display());
    }
}

fn main() {
    let since = SystemTime::now();
    // Twelve functions at about 7 s each keep the run near two minutes; command-line options
    // override these.
    let mut c = Criterion::default()
        .sample_size(10)
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(5))
        .configure_from_args();

    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("tokio runtime");
    let certs = certificates();

    let mut frames = Vec::new();
    for (len, label) in SIZES {
        let packet = publish(len);
        let frame = frame_len(&packet);
        frames.push(frame);
        let mut one = BytesMut::new();
        packet.encode(VERSION, &mut one).expect("encoded");
        let raw: Arc<Vec<u8>> = Arc::new(one.repeat(N));

        let mut group = c.benchmark_group(group_name(label));
        group.throughput(Throughput::Elements(N as u64));
        for name in TRANSPORTS {
            let mut pair = rt.block_on(connect(name, &certs));
            group.bench_function(name, |b| {
                b.iter_custom(|iters| run(&rt, &mut pair, &packet, &raw, iters))
            });
        }
        group.finish();
    }
    c.final_summary();
    print_summary(since, &frames);
}

fn run(rt: &Runtime, pair: &mut Pair, packet: &Packet, raw: &Arc<Vec<u8>>, iters: u64) -> Duration {
    (0..iters)
        .map(|_| rt.block_on(pair.batch(packet, raw)))
        .sum()
}
