//! The optional features: `serde` (validated deserialization) and `tokio-codec` (`MqttCodec`).

#[cfg(feature = "serde")]
mod serde_feature {
    use bytes::Bytes;
    use flowsdk_codec::{
        Connect, Packet, Property, Publish, QoS, ReasonCode, SubAck, Subscribe, Subscription,
        TopicFilter, TopicName, Will,
    };
    use proptest::prelude::*;

    use crate::codec::strategies::{any_packet, version};
    use crate::codec::support::{pid, string};

    fn json_round_trip(packet: &Packet) -> Packet {
        let json = serde_json::to_string(packet).expect("serializes");
        serde_json::from_str(&json).unwrap_or_else(|e| panic!("{json} does not deserialize: {e}"))
    }

    #[test]
    fn packets_survive_a_json_round_trip() {
        let mut publish = Publish::new(
            TopicName::new("sensors/7/temp").expect("valid"),
            Bytes::from_static(b"21.5"),
        );
        publish.qos = QoS::ExactlyOnce;
        publish.packet_id = Some(pid(9));
        publish.properties.set_message_expiry_interval(Some(30));
        publish
            .properties
            .push_user_property("unit", "celsius")
            .expect("valid");
        publish.properties.push(Property::SubscriptionIdentifier(3));

        let mut connect = Connect::new(string("sensor-7"));
        let mut will = Will::new(TopicName::new("status").expect("valid"), "offline");
        will.retain = true;
        connect.will = Some(will);
        connect.password = Some(Bytes::from_static(&[0, 1, 2, 255]));

        let subscribe = Subscribe::new(
            pid(2),
            vec![Subscription::new(
                TopicFilter::new("$share/g/sensors/#").expect("valid"),
                QoS::AtLeastOnce,
            )],
        );
        let suback = SubAck::new(pid(2), vec![ReasonCode::GrantedQoS1]);

        for packet in [
            Packet::from(publish),
            connect.into(),
            subscribe.into(),
            suback.into(),
            Packet::PingReq,
        ] {
            assert_eq!(json_round_trip(&packet), packet);
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(128))]

        #[test]
        fn any_valid_packet_survives_a_json_round_trip(
            packet in version().prop_flat_map(any_packet),
        ) {
            prop_assert_eq!(json_round_trip(&packet), packet);
        }
    }

    /// The JSON of a valid PUBLISH with its topic replaced.
    fn publish_json_with_topic(topic: &str) -> serde_json::Value {
        let publish = Publish::new(TopicName::new("ok").expect("valid"), Bytes::new());
        let mut json = serde_json::to_value(Packet::from(publish)).expect("serializes");
        json["Publish"]["topic"] = serde_json::Value::from(topic);
        json
    }

    #[test]
    fn deserializing_an_invalid_topic_name_is_an_error() {
        // [MQTT-3.3.2-2] [MQTT-1.5.4-2]: the rules hold on the way in too.
        assert!(serde_json::from_value::<Packet>(publish_json_with_topic("ok/too")).is_ok());
        for bad in ["a/+", "a/#", "nul\u{0}"] {
            let result = serde_json::from_value::<Packet>(publish_json_with_topic(bad));
            assert!(result.is_err(), "{bad:?} was accepted: {result:?}");
        }
        assert!(serde_json::from_str::<TopicName>("\"a/+\"").is_err());
        assert!(serde_json::from_str::<TopicFilter>("\"a/#/b\"").is_err());
        assert!(serde_json::from_str::<TopicFilter>("\"$share//a\"").is_err());
        assert!(serde_json::from_str::<flowsdk_codec::MqttString>("\"\\u0000\"").is_err());
        assert!(serde_json::from_str::<flowsdk_codec::PacketId>("0").is_err());
    }

    #[test]
    fn empty_topic_name_deserializes_as_the_alias_placeholder_and_still_needs_an_alias() {
        // Section 3.3.2.3.4: every TopicName serializes, so `TopicName::empty()` comes back;
        // the packet rule (an empty topic needs a Topic Alias) is then checked on encode.
        assert_eq!(
            serde_json::from_str::<TopicName>("\"\"").expect("deserializes"),
            TopicName::empty()
        );
        let packet: Packet =
            serde_json::from_value(publish_json_with_topic("")).expect("deserializes");
        let mut out = bytes::BytesMut::new();
        assert_eq!(
            packet.encode(flowsdk_codec::ProtocolVersion::V5, &mut out),
            Err(flowsdk_codec::CodecError::EmptyTopicWithoutAlias)
        );
    }
}

#[cfg(feature = "tokio-codec")]
mod tokio_codec_feature {
    use bytes::{Bytes, BytesMut};
    use flowsdk_codec::{
        CodecError, Connect, MqttCodec, MqttCodecError, Packet, Publish, TopicName,
    };
    use futures::{SinkExt, StreamExt};
    use proptest::prelude::*;
    use tokio_util::codec::{Decoder, Encoder, FramedRead, FramedWrite};

    use crate::codec::strategies::packet_stream;
    use crate::codec::support::{string, V311, V5};

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(128))]

        #[test]
        fn mqtt_codec_round_trips_any_stream_through_the_tokio_traits(
            (version, packets) in packet_stream(),
        ) {
            let mut codec = MqttCodec::new(version);
            let mut wire = BytesMut::new();
            for packet in &packets {
                Encoder::<&Packet>::encode(&mut codec, packet, &mut wire)?;
            }
            let mut decoded = Vec::new();
            while let Some(packet) = Decoder::decode(&mut codec, &mut wire)? {
                decoded.push(packet);
            }
            prop_assert!(wire.is_empty());
            prop_assert_eq!(decoded, packets);
        }
    }

    #[test]
    fn framed_write_and_framed_read_carry_packets_over_a_byte_stream() {
        let publish = Publish::new(
            TopicName::new("a/b").expect("valid"),
            Bytes::from_static(b"hello"),
        );
        let packets = vec![
            Packet::from(Connect::new(string("c"))),
            Packet::from(publish),
            Packet::PingReq,
        ];
        let mut sink = FramedWrite::new(Vec::new(), MqttCodec::new(V5));
        futures::executor::block_on(async {
            for packet in packets.clone() {
                sink.send(packet).await.expect("encodes");
            }
        });
        let bytes = sink.into_inner();
        let stream = FramedRead::new(&bytes[..], MqttCodec::new(V5));
        let read: Vec<Packet> =
            futures::executor::block_on(stream.map(|r| r.expect("decodes")).collect::<Vec<_>>());
        assert_eq!(read, packets);
    }

    #[test]
    fn mqtt_codec_refuses_incoming_packets_over_its_maximum() {
        // [MQTT-3.2.2-15] [MQTT-3.1.2-24]: checked from the fixed header.
        let mut codec = MqttCodec::new(V5).with_max_incoming_packet_size(16);
        let mut buf = BytesMut::from(&[0x30, 0x7F][..]);
        match Decoder::decode(&mut codec, &mut buf) {
            Err(MqttCodecError::Codec(e)) => {
                assert_eq!(e, CodecError::PacketTooLarge { size: 129, max: 16 });
            }
            other => panic!("expected PacketTooLarge, got {other:?}"),
        }
    }

    #[test]
    fn mqtt_codec_refuses_outgoing_packets_over_the_peer_maximum_and_writes_nothing() {
        // [MQTT-3.1.2-24] [MQTT-3.2.2-15]
        let publish = Packet::from(Publish::new(
            TopicName::new("t").expect("valid"),
            Bytes::from(vec![0u8; 100]),
        ));
        let size = publish.encoded_len(V311).expect("valid");
        let mut codec = MqttCodec::new(V311).with_max_outgoing_packet_size(size as u32 - 1);
        let mut out = BytesMut::new();
        match Encoder::<&Packet>::encode(&mut codec, &publish, &mut out) {
            Err(MqttCodecError::Codec(e)) => assert_eq!(
                e,
                CodecError::PacketTooLarge {
                    size,
                    max: size as u32 - 1
                }
            ),
            other => panic!("expected PacketTooLarge, got {other:?}"),
        }
        assert!(out.is_empty());
        let mut exact = MqttCodec::new(V311).with_max_outgoing_packet_size(size as u32);
        Encoder::<Packet>::encode(&mut exact, publish, &mut out).expect("fits exactly");
        assert_eq!(out.len(), size);
    }

    #[test]
    fn mqtt_codec_follows_the_version_of_the_connect_it_decodes() {
        let mut connect = Connect::new(string("c"));
        connect.protocol_version = V311;
        let mut codec = MqttCodec::new(V5);
        let mut wire = BytesMut::new();
        Encoder::<&Packet>::encode(&mut codec, &Packet::from(connect.clone()), &mut wire)
            .expect("encodes as the version the CONNECT names");
        assert_eq!(wire[8], 4, "protocol level");
        assert_eq!(
            Decoder::decode(&mut codec, &mut wire).expect("decodes"),
            Some(Packet::Connect(Box::new(connect)))
        );
        assert_eq!(codec.version(), V311);
    }
}
