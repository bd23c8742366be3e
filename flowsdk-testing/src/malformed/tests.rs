//! Every case breaks the rule it names and only it: flowsdk-codec rejects the bytes with an
//! error naming that rule (or, for rules a decoder cannot see, accepts them), and decodes the
//! twin.

use std::collections::HashSet;

use flowsdk_codec::{
    ConnAck, Disconnect, Packet, PacketId, ProtocolVersion, PubAck, ReasonCode, SubAck,
};

use super::{
    CodecVerdict, MalformedCase, MalformedPacketGenerator, Notice, ObservedReaction, ServerReaction,
};

fn decode(
    version: ProtocolVersion,
    bytes: &bytes::Bytes,
) -> Result<Packet, flowsdk_codec::CodecError> {
    Packet::decode(version, bytes.clone())
}

#[test]
fn there_are_at_least_forty_uniquely_named_cases() {
    let all = MalformedPacketGenerator::all();
    assert!(all.len() >= 40, "only {} cases", all.len());
    let mut names = HashSet::new();
    for case in &all {
        assert!(names.insert(case.name), "duplicate name {}", case.name);
        assert!(
            case.name
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_'),
            "{} is not snake_case",
            case.name
        );
        assert!(
            case.normative.starts_with("MQTT-") || case.normative.starts_with('§'),
            "{}: normative {:?} is neither an id nor a section",
            case.name,
            case.normative
        );
        assert!(!case.description.is_empty());
        assert_ne!(case.bytes, case.valid_twin, "{}", case.name);
    }
}

#[test]
fn every_case_is_rejected_by_the_codec_for_the_rule_it_names() {
    let mut failures = Vec::new();
    for case in MalformedPacketGenerator::all() {
        let got = decode(case.version, &case.bytes);
        match &case.codec {
            CodecVerdict::Rejects(expected) => {
                if got.as_ref().err() != Some(expected) {
                    failures.push(format!(
                        "{}: expected Err({expected:?}), got {got:?}",
                        case.name
                    ));
                    continue;
                }
                // The codec names the very rule the bytes isolate.
                match expected.normative_id() {
                    Some(id) if id != case.normative => failures.push(format!(
                        "{}: the codec names {id}, the case {}",
                        case.name, case.normative
                    )),
                    None if case.normative.starts_with("MQTT-") => failures.push(format!(
                        "{}: the codec names no rule for {} ({expected:?})",
                        case.name, case.normative
                    )),
                    _ => {}
                }
            }
            CodecVerdict::Accepts => {
                if let Err(e) = got {
                    failures.push(format!(
                        "{}: claims the codec cannot see the rule, but it rejects: {e:?}",
                        case.name
                    ));
                }
            }
        }
    }
    assert!(failures.is_empty(), "\n{}", failures.join("\n"));
}

#[test]
fn every_valid_twin_decodes() {
    let failures: Vec<String> = MalformedPacketGenerator::all()
        .into_iter()
        .filter_map(|case| {
            decode(case.version, &case.valid_twin)
                .err()
                .map(|e| format!("{}: twin rejected: {e:?}", case.name))
        })
        .collect();
    assert!(failures.is_empty(), "\n{}", failures.join("\n"));
}

#[test]
fn first_packets_and_later_packets_are_of_the_right_kind() {
    for case in MalformedPacketGenerator::all() {
        let twin = decode(case.version, &case.valid_twin).unwrap();
        if case.needs_connect {
            // Sent after CONNACK: the twin is not a first packet...
            assert!(
                !matches!(twin, Packet::Connect(_)),
                "{}: a twin after CONNECT is a CONNECT",
                case.name
            );
        } else {
            // ...and a first packet's twin is a CONNECT, or the case is about the first packet.
            assert!(
                matches!(twin, Packet::Connect(_)),
                "{}: the twin of a first packet is not a CONNECT",
                case.name
            );
        }
    }
}

#[test]
fn expected_reactions_fit_the_version_and_the_codecs_reason_code() {
    for case in MalformedPacketGenerator::all() {
        let notice = match case.expected {
            ServerReaction::Close { notice } => notice,
            ServerReaction::DisconnectWith(code) => Some(Notice::Disconnect(code)),
            ServerReaction::ConnAckWith(code) => Some(Notice::ConnAck(code)),
            ServerReaction::MayReject(_) => continue,
        };
        match notice {
            // A server sends DISCONNECT only in 5.0 and only after CONNACK [MQTT-3.14.0-1].
            Some(Notice::Disconnect(_)) => {
                assert!(
                    case.version == ProtocolVersion::V5 && case.needs_connect,
                    "{}: DISCONNECT not possible here",
                    case.name
                );
            }
            // A CONNACK answers the first CONNECT, and nothing else.
            Some(Notice::ConnAck(_)) => {
                assert!(!case.needs_connect, "{}: CONNACK after CONNACK", case.name);
                assert!(
                    matches!(
                        decode(case.version, &case.valid_twin),
                        Ok(Packet::Connect(_))
                    ),
                    "{}: CONNACK for a packet that is not a CONNECT",
                    case.name
                );
            }
            None => {}
        }
        // Where the codec sees the rule, the broker and this catalogue agree on the code.
        if let (Some(error), Some(notice)) = (case.codec_error(), notice) {
            assert_eq!(
                error.reason_code(),
                Some(notice.reason_code()),
                "{}: the codec's reason code differs from the expected notice {notice}",
                case.name
            );
        }
    }
}

#[test]
fn lookups_by_name_and_version() {
    let all = MalformedPacketGenerator::all();
    for case in &all {
        assert_eq!(
            MalformedPacketGenerator::by_name(case.name).as_ref(),
            Some(case)
        );
    }
    assert_eq!(MalformedPacketGenerator::by_name("no_such_case"), None);
    let v5 = MalformedPacketGenerator::for_version(ProtocolVersion::V5);
    let v311 = MalformedPacketGenerator::for_version(ProtocolVersion::V311);
    assert!(v5.iter().all(|c| c.version == ProtocolVersion::V5));
    assert!(v311.iter().all(|c| c.version == ProtocolVersion::V311));
    assert!(v311.len() >= 10, "only {} 3.1.1 cases", v311.len());
    assert_eq!(v5.len() + v311.len(), all.len());
}

#[test]
fn the_requested_violations_are_all_covered() {
    let names: HashSet<&str> = MalformedPacketGenerator::all()
        .iter()
        .map(|c: &MalformedCase| c.name)
        .collect();
    for name in [
        "remaining_length_five_bytes",
        "remaining_length_longer_than_fields",
        "remaining_length_shorter_than_fields",
        "reserved_flags_pubrel",
        "reserved_flags_subscribe",
        "reserved_flags_unsubscribe",
        "publish_qos_3",
        "publish_dup_with_qos_0",
        "publish_topic_invalid_utf8",
        "publish_topic_null_character",
        "publish_topic_surrogate",
        "publish_topic_wildcard_plus",
        "subscribe_filter_hash_not_last",
        "subscribe_filter_plus_in_level",
        "subscribe_filter_hash_first_level",
        "publish_empty_topic_without_alias",
        "publish_topic_alias_zero",
        "publish_duplicate_property",
        "publish_property_not_allowed",
        "publish_unknown_property",
        "publish_packet_id_zero",
        "subscribe_empty",
        "unsubscribe_empty",
        "subscribe_options_reserved_bits",
        "subscribe_retain_handling_3",
        "connect_protocol_name_wrong",
        "connect_reserved_flag",
        "connect_will_qos_without_will_flag",
        "connect_will_retain_without_will_flag",
        "connect_password_without_username_v311",
        "connect_protocol_level_unknown",
        "second_connect",
        "publish_before_connect",
        "publish_payload_format_mismatch",
        "connect_receive_maximum_zero",
        "connect_maximum_packet_size_zero",
        "subscribe_subscription_identifier_zero",
        "subscribe_shared_no_local",
    ] {
        assert!(names.contains(name), "missing {name}");
    }
}

#[test]
fn reactions_are_judged_as_the_specification_allows() {
    let malformed = ReasonCode::MalformedPacket;
    let close = ServerReaction::Close {
        notice: Some(Notice::Disconnect(malformed)),
    };
    let closed = |notice| ObservedReaction::Closed { notice };
    assert!(close.is_met_by(&closed(None)));
    assert!(close.is_met_by(&closed(Some(Notice::Disconnect(malformed)))));
    assert!(!close.is_met_by(&closed(Some(Notice::Disconnect(ReasonCode::ProtocolError)))));
    assert!(!close.is_met_by(&ObservedReaction::Silent));
    let suback = SubAck::new(PacketId::new(1).unwrap(), vec![ReasonCode::GrantedQoS1]);
    assert!(!close.is_met_by(&ObservedReaction::Replied(Box::new(Packet::SubAck(suback)))));

    let bare = ServerReaction::Close { notice: None };
    assert!(bare.is_met_by(&closed(None)));
    assert!(!bare.is_met_by(&closed(Some(Notice::Disconnect(malformed)))));

    let must = ServerReaction::ConnAckWith(ReasonCode::UnsupportedProtocolVersion);
    assert!(!must.is_met_by(&closed(None)));
    assert!(must.is_met_by(&closed(Some(Notice::ConnAck(
        ReasonCode::UnsupportedProtocolVersion
    )))));
    let must = ServerReaction::DisconnectWith(ReasonCode::TopicAliasInvalid);
    assert!(must.is_met_by(&closed(Some(Notice::Disconnect(
        ReasonCode::TopicAliasInvalid
    )))));
    assert!(
        !must.is_met_by(&ObservedReaction::Replied(Box::new(Packet::Disconnect(
            Disconnect::new(ReasonCode::TopicAliasInvalid)
        ))))
    );

    let may = ServerReaction::MayReject(ReasonCode::PayloadFormatInvalid);
    assert!(may.is_met_by(&ObservedReaction::Silent));
    assert!(may.is_met_by(&closed(None)));
    assert!(may.is_met_by(&closed(Some(Notice::Disconnect(
        ReasonCode::PayloadFormatInvalid
    )))));
    assert!(!may.is_met_by(&closed(Some(Notice::Disconnect(malformed)))));
    let mut puback = PubAck::new(PacketId::new(1).unwrap());
    puback.reason_code = ReasonCode::PayloadFormatInvalid;
    assert!(may.is_met_by(&ObservedReaction::Replied(Box::new(Packet::PubAck(puback)))));
    assert!(
        !may.is_met_by(&ObservedReaction::Replied(Box::new(Packet::ConnAck(
            ConnAck::new(ReasonCode::Success)
        ))))
    );
}

#[test]
fn reactions_print_readably() {
    let close = ServerReaction::Close {
        notice: Some(Notice::Disconnect(ReasonCode::MalformedPacket)),
    };
    assert_eq!(close.to_string(), "close (DISCONNECT 0x81 allowed)");
    assert_eq!(
        ObservedReaction::Closed {
            notice: Some(Notice::ConnAck(ReasonCode::UnsupportedProtocolVersion))
        }
        .to_string(),
        "CONNACK 0x84, closed"
    );
    assert_eq!(ObservedReaction::Silent.to_string(), "no reaction, open");
}
