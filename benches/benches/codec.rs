//! flowsdk-codec against rumqttc's MQTT 5.0 codec, the same workloads in the same run.
//!
//! Each case is one criterion group with two functions, `flowsdk` and `rumqttc`, so criterion
//! prints them side by side; a table of both and their ratio follows at the end.
//!
//! - `publish_encode_<size>`: a QoS 1 PUBLISH with a 16-byte topic into a reused `BytesMut`,
//!   cleared each iteration.
//! - `publish_encode_64KiB_frames`: the 64 KiB PUBLISH queued in a `Frames` for a vectored
//!   write, as `flowsdk-transport` sends it (the payload referenced, not copied); rumqttc's side
//!   is its encode, as above.
//! - `publish_decode_<size>`: the same frame taken off a `BytesMut` by each library's framing
//!   decoder (`MqttDecoder::decode` / `Packet::read`), producing a whole packet value. Inputs
//!   are fresh copies of the frame made outside the timed part, 64 per batch, for both.
//! - `mixed_encode` / `mixed_decode`: CONNECT with properties, SUBSCRIBE with three filters,
//!   PUBLISH with user properties, content type, message expiry and topic alias; encoded one
//!   after the other into one buffer, and decoded packet by packet from the concatenation.
//!
//! After criterion, an interleaved pass runs both sides of each case in turn, so that a change
//! in the machine's load hits both sides alike, together with, where a case has them, a floor
//! (PUBLISH: the buffer work no codec can skip) and a bound (PUBLISH encode: a writer that
//! checks nothing; mixed decode: the same packets without property blocks), see
//! `report::Interleaved`. A case counts as met only when criterion's ratio and the interleaved
//! one both reach the target.
//!
//! Before anything is timed, both libraries encode every workload and the bytes are compared,
//! and each decodes the frames back to the packet it started from: the two sides do the same
//! work, byte for byte. rumqttc checks less: it keeps a PUBLISH topic as raw bytes (no UTF-8,
//! U+0000 or wildcard check), does not check topic filters, duplicate properties or property
//! values, nor DUP at QoS 0; flowsdk-codec checks every rule, on both paths.
//!
//! `cargo bench -p flowsdk-benches` (criterion options after `--`, e.g.
//! `-- --warm-up-time 1 --measurement-time 3`, or a filter such as `-- mixed`).

use std::hint::black_box;
use std::time::{Duration, Instant, SystemTime};

use bytes::{Buf, BufMut, BytesMut};
use criterion::{Criterion, Throughput};
use flowsdk_benches::report::{self, Case, Direction, Interleaved, Targets, FLOWSDK, RUMQTTC};
use flowsdk_benches::workload::{self, FilterSpec, MAX_PACKET_SIZE, VERSION};
use flowsdk_codec::{FixedHeader, Frames, MqttDecoder, Packet, Properties, DEFAULT_ZERO_COPY_MIN};
use rumqttc::v5::mqttbytes::v5 as rumqtt;
use rumqttc::v5::mqttbytes::QoS as RumqttQoS;

/// Decode inputs are fresh copies made outside the clock, 64 at a time: enough that the two
/// clock reads per batch cost under a nanosecond per packet, few enough that inputs and outputs
/// stay in cache and no page is faulted in while the clock runs.
const DECODE_BATCH: usize = 64;

/// Iterations per turn in the interleaved pass.
const ROUND: u64 = 64;

// Benchmarks must read the clock; the workspace forbids it elsewhere (sans-IO code takes
// `now` as an argument).
#[allow(clippy::disallowed_methods)]
fn now() -> Instant {
    Instant::now()
}

/// One side of a case: runs `iters` iterations and returns the time they took. Inputs are
/// prepared, and outputs dropped, outside the clock. Criterion drives it through `iter_custom`;
/// the interleaved pass calls both sides of a case in turn.
type Side<'a> = Box<dyn FnMut(u64) -> Duration + 'a>;

/// A case, its two sides, and its floor and bound where it has them (see [`Interleaved`]).
struct Bench<'a> {
    case: Case,
    flowsdk: Side<'a>,
    rumqttc: Side<'a>,
    floor: Option<Side<'a>>,
    bound: Option<Side<'a>>,
}

/// Encoding into a reused buffer, cleared each iteration.
fn encode_side<'a>(capacity: usize, mut encode: impl FnMut(&mut BytesMut) + 'a) -> Side<'a> {
    let mut out = BytesMut::with_capacity(capacity);
    Box::new(move |iters| {
        let start = now();
        for _ in 0..iters {
            out.clear();
            encode(&mut out);
            black_box(&out);
        }
        start.elapsed()
    })
}

/// Decoding fresh copies of `input`, [`DECODE_BATCH`] per clock reading; whatever `decode`
/// returns is kept until the clock has stopped.
fn decode_side<'a, T: 'a>(
    input: &'a BytesMut,
    mut decode: impl FnMut(&mut BytesMut) -> T + 'a,
) -> Side<'a> {
    let mut inputs = Vec::with_capacity(DECODE_BATCH);
    let mut outputs = Vec::with_capacity(DECODE_BATCH);
    Box::new(move |iters| {
        let mut total = Duration::ZERO;
        let mut left = iters;
        while left > 0 {
            let n = left.min(DECODE_BATCH as u64);
            inputs.extend((0..n).map(|_| input.clone()));
            let start = now();
            for buf in inputs.iter_mut() {
                outputs.push(decode(buf));
            }
            total += start.elapsed();
            black_box(&outputs);
            outputs.clear();
            inputs.clear();
            left -= n;
        }
        total
    })
}

fn rumqtt_qos(qos: u8) -> RumqttQoS {
    match qos {
        0 => RumqttQoS::AtMostOnce,
        1 => RumqttQoS::AtLeastOnce,
        _ => RumqttQoS::ExactlyOnce,
    }
}

/// [`workload::publish`], built with rumqttc's types.
fn rumqtt_publish(payload_len: usize) -> rumqtt::Publish {
    let mut publish = rumqtt::Publish::new(
        workload::TOPIC,
        RumqttQoS::AtLeastOnce,
        workload::payload(payload_len),
        None,
    );
    publish.pkid = workload::PUBLISH_PACKET_ID;
    publish
}

fn rumqtt_filter(spec: &FilterSpec) -> rumqtt::Filter {
    rumqtt::Filter {
        path: spec.filter.to_owned(),
        qos: rumqtt_qos(spec.qos),
        nolocal: spec.no_local,
        preserve_retain: spec.retain_as_published,
        retain_forward_rule: match spec.retain_handling {
            0 => rumqtt::RetainForwardRule::OnEverySubscribe,
            1 => rumqtt::RetainForwardRule::OnNewSubscribe,
            _ => rumqtt::RetainForwardRule::Never,
        },
    }
}

/// [`workload::mixed`], built with rumqttc's types.
fn rumqtt_mixed() -> [rumqtt::Packet; 3] {
    let connect = rumqtt::Connect {
        keep_alive: workload::KEEP_ALIVE,
        client_id: workload::CLIENT_ID.to_owned(),
        clean_start: true,
        properties: Some(rumqtt::ConnectProperties {
            session_expiry_interval: Some(workload::SESSION_EXPIRY),
            receive_maximum: Some(workload::RECEIVE_MAXIMUM),
            max_packet_size: Some(MAX_PACKET_SIZE),
            topic_alias_max: Some(workload::TOPIC_ALIAS_MAXIMUM),
            user_properties: vec![(
                workload::CONNECT_USER_PROPERTY.0.to_owned(),
                workload::CONNECT_USER_PROPERTY.1.to_owned(),
            )],
            ..rumqtt::ConnectProperties::new()
        }),
    };
    let subscribe = rumqtt::Subscribe {
        pkid: workload::SUBSCRIBE_PACKET_ID,
        filters: workload::FILTERS.iter().map(rumqtt_filter).collect(),
        properties: Some(rumqtt::SubscribeProperties {
            id: Some(workload::SUBSCRIPTION_ID as usize),
            user_properties: Vec::new(),
        }),
    };
    let mut publish = rumqtt::Publish::new(
        workload::TOPIC,
        RumqttQoS::AtLeastOnce,
        workload::payload(workload::MIXED_PAYLOAD_LEN),
        Some(rumqtt::PublishProperties {
            message_expiry_interval: Some(workload::MESSAGE_EXPIRY),
            topic_alias: Some(workload::TOPIC_ALIAS),
            user_properties: workload::PUBLISH_USER_PROPERTIES
                .iter()
                .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
                .collect(),
            content_type: Some(workload::CONTENT_TYPE.to_owned()),
            ..Default::default()
        }),
    );
    publish.pkid = workload::MIXED_PUBLISH_PACKET_ID;
    [
        rumqtt::Packet::Connect(connect, None, None),
        rumqtt::Packet::Subscribe(subscribe),
        rumqtt::Packet::Publish(publish),
    ]
}

fn flowsdk_encode(packets: &[Packet]) -> BytesMut {
    let mut out = BytesMut::new();
    for p in packets {
        p.encode(VERSION, &mut out).expect("workload encodes");
    }
    out
}

fn rumqtt_encode(packets: &[rumqtt::Packet]) -> BytesMut {
    let mut out = BytesMut::new();
    for p in packets {
        p.write(&mut out, None).expect("workload encodes");
    }
    out
}

/// Both libraries must turn the workload into the same bytes and read those bytes back into
/// the packets they started from; otherwise the comparison would not be of equal work.
fn check_equivalent(name: &str, ours: &[Packet], theirs: &[rumqtt::Packet]) -> BytesMut {
    let wire = flowsdk_encode(ours);
    assert_eq!(
        wire,
        rumqtt_encode(theirs),
        "{name}: the two codecs encode the workload differently"
    );
    let mut buf = wire.clone();
    let mut decoder = MqttDecoder::new(VERSION).with_max_packet_size(MAX_PACKET_SIZE);
    for p in ours {
        assert_eq!(decoder.decode(&mut buf).expect("decodes").as_ref(), Some(p));
    }
    let mut buf = wire.clone();
    for p in theirs {
        assert_eq!(
            &rumqtt::Packet::read(&mut buf, Some(MAX_PACKET_SIZE)).expect("decodes"),
            p
        );
    }
    wire
}

fn publish_benches(workloads: &[PublishWorkload]) -> Vec<Bench<'_>> {
    let mut benches = Vec::new();
    for w in workloads {
        let frame = &w.frame;
        let bytes = frame.len() as u64;
        // Where the floor's zero-copy handles start and end.
        let header = FixedHeader::peek(frame, MAX_PACKET_SIZE)
            .expect("valid frame")
            .expect("whole fixed header");
        let topic_start = header.header_len + 2;
        let topic_end = topic_start + workload::TOPIC.len();
        let payload_start = topic_end + 2 + 1; // packet identifier, empty property block
        let len = frame.len();

        benches.push(Bench {
            case: Case {
                group: format!("publish_encode_{}", w.label),
                direction: Direction::Encode,
                bytes,
            },
            flowsdk: encode_side(len, |out| {
                black_box(&w.ours)
                    .encode(VERSION, out)
                    .expect("workload encodes")
            }),
            rumqttc: encode_side(len, |out| {
                black_box(&w.theirs).write(out).expect("workload encodes");
            }),
            floor: Some(encode_side(len, |out| {
                out.extend_from_slice(black_box(frame))
            })),
            bound: Some(unchecked_bound(w)),
        });
        if w.ours.payload.len() >= DEFAULT_ZERO_COPY_MIN {
            benches.push(frames_bench(w));
        }
        let mut decoder = MqttDecoder::new(VERSION).with_max_packet_size(MAX_PACKET_SIZE);
        benches.push(Bench {
            case: Case {
                group: format!("publish_decode_{}", w.label),
                direction: Direction::Decode,
                bytes,
            },
            flowsdk: decode_side(frame, move |buf| decoder.decode(buf)),
            rumqttc: decode_side(frame, |buf| {
                rumqtt::Packet::read(buf, Some(MAX_PACKET_SIZE))
            }),
            floor: Some(decode_side(frame, move |buf| {
                let mut payload = buf.split_to(len).freeze();
                let topic = payload.slice(topic_start..topic_end);
                payload.advance(payload_start);
                (topic, payload)
            })),
            bound: None,
        });
    }
    benches
}

/// The same PUBLISH queued for a vectored write with `Frames`, as `flowsdk-transport` sends it:
/// the payload is referenced, not copied. rumqttc has no such path, so its side is its encode.
/// No floor: the copy the contiguous floor times is what this path does not do.
fn frames_bench(w: &PublishWorkload) -> Bench<'_> {
    let packet = Packet::from(w.ours.clone());
    let mut frames = Frames::new();
    frames
        .push(&packet, VERSION, MAX_PACKET_SIZE)
        .expect("workload encodes");
    let mut queued = vec![0u8; frames.remaining()];
    frames.copy_to_slice(&mut queued);
    assert_eq!(queued, w.frame, "Frames holds other bytes than the frame");
    let len = w.frame.len();
    Bench {
        case: Case {
            group: format!("publish_encode_{}_frames", w.label),
            direction: Direction::Encode,
            bytes: len as u64,
        },
        flowsdk: Box::new(move |iters| {
            let start = now();
            for _ in 0..iters {
                frames.clear();
                frames
                    .push(black_box(&packet), VERSION, MAX_PACKET_SIZE)
                    .expect("workload encodes");
                black_box(&frames);
            }
            start.elapsed()
        }),
        rumqttc: encode_side(len, |out| {
            black_box(&w.theirs).write(out).expect("workload encodes");
        }),
        floor: None,
        bound: None,
    }
}

/// The PUBLISH workload written with no checks at all: the same four buffer writes flowsdk's
/// encoder makes (fixed header with the topic's length, topic, packet identifier with the empty
/// property block, payload) after one `reserve`, with nothing checked or measured beforehand.
/// It is how fast flowsdk's encode would be if checking the packet cost nothing; the frame it
/// writes is compared with the real one first. (Assembling everything before the payload on
/// the stack first, for two writes, measured slower.)
fn unchecked_bound(w: &PublishWorkload) -> Side<'_> {
    fn write(first: u8, topic: &[u8], id: u16, payload: &[u8], out: &mut BytesMut) {
        let body = 2 + topic.len() + 2 + 1 + payload.len();
        let mut head = [first, 0, 0, 0, 0, 0, 0];
        let mut at = 1;
        let mut rest = body;
        loop {
            let byte = (rest & 0x7F) as u8;
            rest >>= 7;
            head[at] = if rest > 0 { byte | 0x80 } else { byte };
            at += 1;
            if rest == 0 {
                break;
            }
        }
        head[at..at + 2].copy_from_slice(&(topic.len() as u16).to_be_bytes());
        out.reserve(at + body);
        out.put_slice(&head[..at + 2]);
        out.put_slice(topic);
        let [hi, lo] = id.to_be_bytes();
        out.put_slice(&[hi, lo, 0]);
        out.put_slice(payload);
    }
    let topic = workload::TOPIC.as_bytes();
    let first = w.frame[0];
    let payload = w.ours.payload.clone();
    let mut check = BytesMut::new();
    write(
        first,
        topic,
        workload::PUBLISH_PACKET_ID,
        &payload,
        &mut check,
    );
    assert_eq!(check, w.frame, "the unchecked writer writes other bytes");
    encode_side(w.frame.len(), move |out| {
        write(
            black_box(first),
            black_box(topic),
            black_box(workload::PUBLISH_PACKET_ID),
            black_box(&payload),
            out,
        )
    })
}

fn mixed_benches(w: &MixedWorkload) -> Vec<Bench<'_>> {
    let bytes = w.stream.len() as u64;
    vec![
        Bench {
            case: Case {
                group: "mixed_encode".to_owned(),
                direction: Direction::Encode,
                bytes,
            },
            flowsdk: encode_side(w.stream.len(), |out| {
                for p in black_box(&w.ours) {
                    p.encode(VERSION, out).expect("workload encodes");
                }
            }),
            rumqttc: encode_side(w.stream.len(), |out| {
                for p in black_box(&w.theirs) {
                    p.write(out, None).expect("workload encodes");
                }
            }),
            floor: None,
            bound: None,
        },
        Bench {
            case: Case {
                group: "mixed_decode".to_owned(),
                direction: Direction::Decode,
                bytes,
            },
            flowsdk: decode_side(&w.stream, |buf| {
                // A new connection's decoder: it follows the version the CONNECT declares.
                let mut decoder = MqttDecoder::new(VERSION).with_max_packet_size(MAX_PACKET_SIZE);
                let packets: [_; 3] = std::array::from_fn(|_| decoder.decode(buf));
                packets
            }),
            rumqttc: decode_side(&w.stream, |buf| {
                let packets: [_; 3] =
                    std::array::from_fn(|_| rumqtt::Packet::read(buf, Some(MAX_PACKET_SIZE)));
                packets
            }),
            floor: None,
            // The same decoder on the same packets without their property blocks: what the
            // case would take if property blocks cost nothing to decode and check.
            bound: Some(decode_side(&w.without_properties, |buf| {
                let mut decoder = MqttDecoder::new(VERSION).with_max_packet_size(MAX_PACKET_SIZE);
                let packets: [_; 3] = std::array::from_fn(|_| decoder.decode(buf));
                packets
            })),
        },
    ]
}

struct PublishWorkload {
    label: &'static str,
    ours: flowsdk_codec::Publish,
    theirs: rumqtt::Publish,
    frame: BytesMut,
}

struct MixedWorkload {
    ours: [Packet; 3],
    theirs: [rumqtt::Packet; 3],
    stream: BytesMut,
    /// The same three packets with empty property blocks, encoded.
    without_properties: BytesMut,
}

fn run_criterion(c: &mut Criterion, bench: &mut Bench<'_>) {
    let mut g = c.benchmark_group(&bench.case.group);
    g.throughput(Throughput::Bytes(bench.case.bytes));
    g.bench_function(FLOWSDK, |b| b.iter_custom(|iters| (bench.flowsdk)(iters)));
    g.bench_function(RUMQTTC, |b| b.iter_custom(|iters| (bench.rumqttc)(iters)));
    g.finish();
}

/// Both sides of a case (and its floor) in alternation, [`ROUND`] iterations per turn, for
/// about 0.4 s: drift in the machine's load (other builds on a 2-core machine) then hits all of
/// them alike, which criterion, measuring one function after the other, cannot promise. See
/// [`Interleaved`] for the statistic.
fn interleave(bench: &mut Bench<'_>) -> Interleaved {
    let per_iter = |d: Duration| d.as_secs_f64() * 1e9 / ROUND as f64;
    let (mut ours, mut theirs) = (Vec::new(), Vec::new());
    let (mut floor, mut bound) = (Vec::new(), Vec::new());
    let mut turn = |bench: &mut Bench<'_>, keep: bool| {
        let (o, t) = ((bench.flowsdk)(ROUND), (bench.rumqttc)(ROUND));
        let f = bench.floor.as_mut().map(|floor| floor(ROUND));
        let b = bench.bound.as_mut().map(|bound| bound(ROUND));
        if keep {
            ours.push(per_iter(o));
            theirs.push(per_iter(t));
            floor.extend(f.map(per_iter));
            bound.extend(b.map(per_iter));
        }
    };
    for _ in 0..4 {
        turn(bench, false); // warm-up
    }
    let deadline = now() + Duration::from_millis(400);
    let mut rounds = 0;
    while rounds < 20_000 && (rounds < 50 || now() < deadline) {
        turn(bench, true);
        rounds += 1;
    }
    let floor = if floor.is_empty() {
        None
    } else {
        Some(floor.as_mut_slice())
    };
    let interleaved = Interleaved::from_samples(&mut ours, &mut theirs, floor);
    if bound.is_empty() {
        interleaved
    } else {
        interleaved.with_bound(&mut bound)
    }
}

fn print_summary(benches: &mut [Bench<'_>], since: SystemTime) {
    let dir = report::criterion_dir();
    let cases: Vec<Case> = benches.iter().map(|b| b.case.clone()).collect();
    let mut rows = report::collect(&dir, &cases, Some(since));
    if rows.is_empty() {
        // Test mode (`cargo test --benches`, `-- --test`), `--list`, or a filter that left
        // no pair: nothing was measured.
        println!(
            "codec bench: no results measured in this run under {}",
            dir.display()
        );
        return;
    }
    println!(
        "\ninterleaved pass: both sides of each case in turn, {ROUND} iterations a turn, \
         lower decile of the turns"
    );
    for row in &mut rows {
        if let Some(bench) = benches.iter_mut().find(|b| b.case == row.case) {
            row.interleaved = Some(interleave(bench));
        }
    }
    let targets = Targets::default();
    let table = report::table(&rows, targets);
    let line = report::summary_line(&rows, targets);
    println!("\nflowsdk-codec vs rumqttc v5 codec (speed-up = rumqttc time / flowsdk time)\n");
    println!("{table}\n{line}");
    let file = dir.join("codec-summary.md");
    if let Err(e) = std::fs::write(&file, format!("{table}\n{line}\n")) {
        eprintln!("could not write {}: {e}", file.display());
    }
}

fn main() {
    let since = SystemTime::now();
    // Short defaults keep a full run under three minutes; `--warm-up-time` and
    // `--measurement-time` on the command line override them.
    let mut c = Criterion::default()
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(3))
        .configure_from_args();

    let publishes: Vec<PublishWorkload> = workload::PUBLISH_PAYLOADS
        .iter()
        .map(|&(len, label)| {
            let ours = workload::publish(len).expect("workload is valid");
            let theirs = rumqtt_publish(len);
            let frame = check_equivalent(
                label,
                &[ours.clone().into()],
                &[rumqtt::Packet::Publish(theirs.clone())],
            );
            PublishWorkload {
                label,
                ours,
                theirs,
                frame,
            }
        })
        .collect();
    let mixed = {
        let ours = workload::mixed().expect("workload is valid");
        let theirs = rumqtt_mixed();
        let stream = check_equivalent("mixed", &ours, &theirs);
        let mut bare = ours.clone();
        for p in &mut bare {
            match p {
                Packet::Connect(c) => c.properties = Properties::new(),
                Packet::Subscribe(s) => s.properties = Properties::new(),
                Packet::Publish(p) => p.properties = Properties::new(),
                other => unreachable!("the mixed workload has no {other:?}"),
            }
        }
        let without_properties = flowsdk_encode(&bare);
        MixedWorkload {
            ours,
            theirs,
            stream,
            without_properties,
        }
    };

    let mut benches = publish_benches(&publishes);
    benches.extend(mixed_benches(&mixed));
    for bench in &mut benches {
        run_criterion(&mut c, bench);
    }
    c.final_summary();
    print_summary(&mut benches, since);
}
