//! The codec at work: builds one packet of every kind, encodes it as MQTT 5.0 and 3.1.1,
//! streams the bytes through the incremental decoder one byte at a time, then feeds it
//! malformed packets and prints the error and the reason code a peer would answer with.
//!
//! Run: `cargo run -p flowsdk --example codec_demo`

use bytes::{Bytes, BytesMut};
use flowsdk::codec::{
    Auth, CodecError, ConnAck, Connect, Disconnect, MqttDecoder, MqttString, Packet, PacketId,
    ProtocolVersion, PubAck, PubComp, PubRec, PubRel, Publish, QoS, ReasonCode, SubAck, Subscribe,
    Subscription, TopicFilter, TopicName, UnsubAck, Unsubscribe, Will,
};

fn packets(version: ProtocolVersion) -> Result<Vec<Packet>, CodecError> {
    let v5 = version == ProtocolVersion::V5;
    let id = PacketId::new(42).expect("42 is not zero");

    let mut connect = Connect::new(MqttString::new("demo-client")?);
    connect.protocol_version = version;
    connect.username = Some(MqttString::new("user")?);
    connect.password = Some(Bytes::from_static(b"secret"));
    let mut will = Will::new(TopicName::new("demo/status")?, &b"offline"[..]);
    will.qos = QoS::AtLeastOnce;
    if v5 {
        connect.properties.set_session_expiry_interval(Some(300));
        will.properties.set_will_delay_interval(Some(5));
    }
    connect.will = Some(will);

    let mut connack = ConnAck::new(ReasonCode::Success);
    let mut publish = Publish::new(TopicName::new("demo/temperature")?, &b"21.5"[..]);
    publish.qos = QoS::ExactlyOnce;
    publish.packet_id = Some(id);
    let mut subscribe = Subscribe::new(
        id,
        vec![
            Subscription::new(TopicFilter::new("demo/+")?, QoS::AtLeastOnce),
            Subscription::new(TopicFilter::new("$share/workers/jobs/#")?, QoS::ExactlyOnce),
        ],
    );
    let mut unsuback = UnsubAck::new(id, vec![]);
    if v5 {
        connack.properties.set_topic_alias_maximum(Some(10));
        publish.properties.set_message_expiry_interval(Some(60));
        publish.properties.push_user_property("unit", "celsius")?;
        subscribe
            .properties
            .push(flowsdk::codec::Property::SubscriptionIdentifier(7));
        unsuback.reason_codes = vec![ReasonCode::Success];
    }

    let mut all = vec![
        Packet::Connect(Box::new(connect)),
        Packet::ConnAck(connack),
        Packet::Publish(publish),
        Packet::PubAck(PubAck::new(id)),
        Packet::PubRec(PubRec::new(id)),
        Packet::PubRel(PubRel::new(id)),
        Packet::PubComp(PubComp::new(id)),
        Packet::Subscribe(subscribe),
        Packet::SubAck(SubAck::new(
            id,
            vec![ReasonCode::GrantedQoS1, ReasonCode::GrantedQoS2],
        )),
        Packet::Unsubscribe(Unsubscribe::new(id, vec![TopicFilter::new("demo/+")?])),
        Packet::UnsubAck(unsuback),
        Packet::PingReq,
        Packet::PingResp,
        Packet::Disconnect(Disconnect::default()),
    ];
    if v5 {
        all.push(Packet::Auth(Auth::new(ReasonCode::ContinueAuthentication)));
    }
    Ok(all)
}

fn hex(bytes: &[u8]) -> String {
    let shown: Vec<String> = bytes.iter().take(24).map(|b| format!("{b:02x}")).collect();
    let more = if bytes.len() > 24 { " …" } else { "" };
    format!("{}{more}", shown.join(" "))
}

fn main() -> Result<(), CodecError> {
    let mut round_trips = 0;
    for version in [ProtocolVersion::V5, ProtocolVersion::V311] {
        println!("== {version}");
        let packets = packets(version)?;
        let mut wire = BytesMut::new();
        for p in &packets {
            let before = wire.len();
            p.encode(version, &mut wire)?;
            println!(
                "  {:<12} {:>3} bytes  {}",
                p.packet_type().name(),
                wire.len() - before,
                hex(&wire[before..])
            );
        }
        // Feed the whole stream one byte at a time: the decoder waits for each packet to be whole.
        let mut decoder = MqttDecoder::new(version);
        let mut rx = BytesMut::new();
        let mut decoded = Vec::new();
        for byte in wire.iter() {
            rx.extend_from_slice(&[*byte]);
            while let Some(p) = decoder.decode(&mut rx)? {
                decoded.push(p);
            }
        }
        assert_eq!(
            decoded, packets,
            "decoded stream differs from what was encoded"
        );
        round_trips += decoded.len();
        println!(
            "  {} packets, {} bytes, decoded byte by byte: identical",
            decoded.len(),
            wire.len()
        );
    }

    println!("== malformed input");
    let cases: [(&str, &[u8]); 5] = [
        ("PUBLISH with QoS 3", b"\x36\x05\x00\x01a\x00\x01"),
        ("PUBLISH topic with wildcard", b"\x30\x06\x00\x03a/#\x00"),
        (
            "SUBSCRIBE with reserved flags 0000",
            b"\x80\x08\x00\x01\x00\x00\x02a/\x00",
        ),
        ("remaining length of 5 bytes", b"\x30\xff\xff\xff\xff\x7f"),
        ("string with U+0000", b"\x30\x06\x00\x03a\x00b\x00"),
    ];
    let mut refused = 0;
    for (name, bytes) in cases {
        let mut rx = BytesMut::from(bytes);
        match MqttDecoder::new(ProtocolVersion::V5).decode(&mut rx) {
            Err(e) => {
                refused += 1;
                let code = e.reason_code().map_or("none".to_owned(), |c| c.to_string());
                println!(
                    "  {name:<36} -> {e}\n  {:<36}    answer: DISCONNECT {code}",
                    ""
                );
            }
            Ok(p) => println!("  {name:<36} -> unexpectedly accepted: {p:?}"),
        }
    }
    println!(
        "codec demo: {round_trips} packets round-tripped, {refused}/{} malformed inputs refused",
        cases.len()
    );
    Ok(())
}
