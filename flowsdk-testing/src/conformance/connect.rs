//! CONNECT and CONNACK: acceptance, refusal, the order of packets, takeover.

use bytes::BytesMut;
use flowsdk_codec::Subscribe;

use super::prelude::*;
use crate::RawClientError;

cases! { V5;
    "connect.valid_connect_is_accepted"
        ["MQTT-3.1.4-5", "MQTT-3.1.3-5", "MQTT-3.2.2-1", "MQTT-3.2.2-8"] => valid_connect_is_accepted;
    "connect.second_connect_is_a_protocol_error"
        ["MQTT-3.1.0-2", "MQTT-3.2.0-2", "MQTT-4.13.1-1"] => second_connect_is_a_protocol_error;
    "connect.connack_comes_before_any_other_packet"
        ["MQTT-3.2.0-1"] => connack_comes_first;
    "connect.wrong_protocol_name_is_refused"
        ["MQTT-3.1.2-1", "MQTT-3.1.4-1", "MQTT-3.14.0-1"] => wrong_protocol_name_is_refused;
    "connect.unsupported_protocol_level_is_refused"
        ["MQTT-3.1.2-2", "MQTT-3.1.4-6"] => unsupported_protocol_level_is_refused;
    "connect.empty_client_id_gets_a_unique_assigned_identifier"
        ["MQTT-3.1.3-6", "MQTT-3.2.2-16"] => empty_client_id_is_assigned;
    "connect.assigned_identifier_names_the_session"
        ["MQTT-3.1.3-7"] => assigned_identifier_names_the_session;
    "connect.rejected_client_id_gets_a_failure_connack_and_close"
        ["MQTT-3.1.3-8"] => rejected_client_id_closes;
    "connect.takeover_disconnects_the_existing_connection"
        ["MQTT-3.1.4-3", "MQTT-3.14.2-1", "MQTT-3.14.2-2", "MQTT-3.14.4-1", "MQTT-3.14.4-2"] => takeover;
    "connect.no_response_information_unless_requested"
        ["MQTT-3.1.2-28"] => no_response_information_unless_requested;
    "connect.no_reason_strings_when_problem_information_is_off"
        ["MQTT-3.1.2-29"] => no_problem_information;
    "connect.maximum_qos_is_advertised_and_every_subscription_qos_accepted"
        ["MQTT-3.2.2-9", "MQTT-3.2.2-10"] => maximum_qos;
}

async fn valid_connect_is_accepted(cx: CaseContext) -> Check {
    // 23 letters and digits: the longest identifier every server must accept.
    let id = format!("{:0<23}", cx.client_id());
    let (_probe, ack) = cx.connect(cx.connect_packet(&id)?).await?;
    // The strict decoder has already checked the reserved acknowledge flags [MQTT-3.2.2-1].
    ensure(
        ack.reason_code.is_allowed_in(PacketType::ConnAck),
        "a CONNACK reason code defined for CONNACK",
        || ack.reason_code.to_string(),
    )
}

async fn second_connect_is_a_protocol_error(cx: CaseContext) -> Check {
    let id = cx.client_id();
    let (mut probe, _) = cx.connect(cx.connect_packet(&id)?).await?;
    probe
        .send(&Packet::Connect(Box::new(cx.connect_packet(&id)?)))
        .await?;
    // A second CONNACK would arrive before the close and fail `expect_close`.
    probe.expect_protocol_close("a second CONNECT").await
}

async fn connack_comes_first(cx: CaseContext) -> Check {
    let id = cx.client_id();
    let mut bytes = BytesMut::new();
    let subscribe = Subscribe::new(
        pid(1),
        vec![Subscription::new(filter(&cx.topic("t"))?, QoS::AtMostOnce)],
    );
    for p in [
        Packet::Connect(Box::new(cx.connect_packet(&id)?)),
        Packet::Subscribe(subscribe),
        Packet::PingReq,
    ] {
        p.encode(ProtocolVersion::V5, &mut bytes)
            .map_err(|e| Outcome::error(format!("encoding: {e}")))?;
    }
    let mut probe = cx.dial().await?;
    probe.set_version(ProtocolVersion::V5);
    probe
        .send_raw(&bytes, "CONNECT, SUBSCRIBE and PINGREQ in one write")
        .await?;
    let first = probe.recv("CONNACK first").await?;
    ensure(
        matches!(&first, Packet::ConnAck(a) if a.reason_code == ReasonCode::Success),
        "a successful CONNACK before any other packet",
        || describe(&first),
    )?;
    let second = probe.recv("SUBACK").await?;
    ensure(
        matches!(second, Packet::SubAck(_)),
        "SUBACK after the CONNACK",
        || describe(&second),
    )?;
    let third = probe.recv("PINGRESP").await?;
    ensure(
        third == Packet::PingResp,
        "PINGRESP after the SUBACK",
        || describe(&third),
    )
}

async fn wrong_protocol_name_is_refused(cx: CaseContext) -> Check {
    let mut probe = cx.dial().await?;
    let bytes = RawPacketBuilder::connect_v5()
        .client_id(cx.client_id())
        .protocol_name("MQTX")
        .build();
    probe
        .send_raw(&bytes, "CONNECT with protocol name \"MQTX\"")
        .await?;
    probe
        .expect_connect_refused("a CONNECT with protocol name \"MQTX\"")
        .await
        .map(drop)
}

async fn unsupported_protocol_level_is_refused(cx: CaseContext) -> Check {
    let mut probe = cx.dial().await?;
    // Level 6, then a SUBSCRIBE in the same write: after refusing the CONNECT the broker must
    // process nothing else [MQTT-3.1.4-6].
    let mut bytes = RawPacketBuilder::connect_v5()
        .client_id(cx.client_id())
        .protocol_level(6)
        .build()
        .to_vec();
    bytes.extend_from_slice(&RawPacketBuilder::subscribe(cx.topic("t"), QoS::AtMostOnce).build());
    probe
        .send_raw(&bytes, "CONNECT with protocol level 6")
        .await?;
    let expected = "the connection closed (after a CONNACK 0x84, if any) and no SUBACK";
    let mut seen_connack = false;
    loop {
        match probe.recv_result(cx.wait()).await {
            Err(RawClientError::Closed) => return Ok(()),
            // The broker does not know how to encode a CONNACK for an unknown level; one in
            // the 3.1.1 layout (return code 0x01) does not decode as 5.0. Either is allowed.
            Err(RawClientError::Decode(_)) if !seen_connack => seen_connack = true,
            Ok(Packet::ConnAck(ack)) if !seen_connack && is_failure(ack.reason_code) => {
                seen_connack = true;
            }
            Ok(other) => return Err(Outcome::fail(expected, describe(&other))),
            Err(RawClientError::Timeout { after }) => {
                return Err(Outcome::fail(
                    expected,
                    format!("the connection still open after {after:?}"),
                ))
            }
            Err(e) => return Err(Outcome::fail(expected, e.to_string())),
        }
    }
}

async fn empty_client_id_is_assigned(cx: CaseContext) -> Check {
    let mut assigned = Vec::new();
    let mut probes = Vec::new();
    for _ in 0..2 {
        let (probe, ack) = cx.open(cx.connect_packet("")?).await?;
        if ack.reason_code == ReasonCode::ClientIdentifierNotValid {
            return Err(Outcome::not_applicable(
                "the broker does not accept empty client identifiers (CONNACK 0x85)",
            ));
        }
        ensure(
            ack.reason_code == ReasonCode::Success,
            "CONNACK 0x00 or 0x85 for an empty client identifier",
            || ack.reason_code.to_string(),
        )?;
        let Some(id) = ack.properties.assigned_client_identifier() else {
            return Err(Outcome::fail(
                "an Assigned Client Identifier in the CONNACK",
                "none",
            ));
        };
        assigned.push(id.as_str().to_string());
        probes.push(probe);
    }
    ensure(
        assigned[0] != assigned[1],
        "two different assigned identifiers for two connections",
        || format!("{assigned:?}"),
    )
}

async fn assigned_identifier_names_the_session(cx: CaseContext) -> Check {
    let mut first = cx.connect_packet("")?;
    first.properties.set_session_expiry_interval(Some(30));
    let (mut probe, ack) = cx.open(first).await?;
    if ack.reason_code == ReasonCode::ClientIdentifierNotValid {
        return Err(Outcome::not_applicable(
            "the broker does not accept empty client identifiers (CONNACK 0x85)",
        ));
    }
    let Some(id) = ack.properties.assigned_client_identifier() else {
        return Err(Outcome::fail(
            "an Assigned Client Identifier in the CONNACK",
            describe(&Packet::ConnAck(ack)),
        ));
    };
    probe.subscribe(&cx.topic("t"), QoS::AtLeastOnce).await?;
    probe.disconnect().await?;
    let mut again = cx.connect_packet(id.as_str())?;
    again.clean_start = false;
    let (probe, ack) = cx.connect(again).await?;
    ensure(
        ack.session_present,
        "Session Present = 1 when reconnecting with the assigned identifier",
        || "Session Present = 0".to_string(),
    )?;
    probe.disconnect().await
}

async fn rejected_client_id_closes(cx: CaseContext) -> Check {
    // An empty identifier with Clean Start = 0 is the one a 5.0 server most often rejects.
    let mut connect = cx.connect_packet("")?;
    connect.clean_start = false;
    let mut probe = cx.dial().await?;
    probe.set_version(ProtocolVersion::V5);
    probe.send(&Packet::Connect(Box::new(connect))).await?;
    let packet = probe.recv("a CONNACK").await?;
    let Packet::ConnAck(ack) = packet else {
        return Err(Outcome::fail("a CONNACK", describe(&packet)));
    };
    if ack.reason_code == ReasonCode::Success {
        return Err(Outcome::not_applicable(
            "the broker accepted an empty client identifier with Clean Start = 0 (allowed)",
        ));
    }
    ensure(
        is_failure(ack.reason_code) && !ack.session_present,
        "a failure CONNACK (0x85) with Session Present 0",
        || describe(&Packet::ConnAck(ack.clone())),
    )?;
    match probe
        .expect_close("the connection closed after a rejected client identifier")
        .await?
    {
        None => Ok(()),
        Some(d) => Err(Outcome::fail(
            "no DISCONNECT after a failure CONNACK",
            format!("DISCONNECT {}", d.reason_code),
        )),
    }
}

async fn takeover(cx: CaseContext) -> Check {
    let id = cx.client_id();
    let (mut old, _) = cx.connect(cx.connect_packet(&id)?).await?;
    let (_new, _) = cx.connect(cx.connect_packet(&id)?).await?;
    let expected = "DISCONNECT 0x8E (Session taken over), then the close";
    let disconnect = old.expect_close(expected).await?;
    let Some(d) = disconnect else {
        return Err(Outcome::fail(expected, "a close without DISCONNECT"));
    };
    ensure(
        d.reason_code == ReasonCode::SessionTakenOver
            && d.reason_code.is_allowed_in(PacketType::Disconnect),
        expected,
        || format!("DISCONNECT {}", d.reason_code),
    )?;
    ensure(
        d.properties.session_expiry_interval().is_none(),
        "no Session Expiry Interval in a server's DISCONNECT",
        || format!("{:?}", d.properties.session_expiry_interval()),
    )
}

async fn no_response_information_unless_requested(cx: CaseContext) -> Check {
    for explicit in [false, true] {
        let mut connect = cx.connect_packet(&cx.client_id())?;
        if explicit {
            connect
                .properties
                .set_request_response_information(Some(false));
        }
        let (_probe, ack) = cx.connect(connect).await?;
        ensure(
            ack.properties.response_information().is_none(),
            "no Response Information when Request Response Information is 0 or absent",
            || format!("{:?}", ack.properties.response_information()),
        )?;
    }
    Ok(())
}

async fn no_problem_information(cx: CaseContext) -> Check {
    let mut connect = cx.connect_packet(&cx.client_id())?;
    connect
        .properties
        .set_request_problem_information(Some(false));
    let (mut probe, _) = cx.connect(connect).await?;
    let quiet =
        |p: &Properties| p.reason_string().is_none() && p.user_properties().next().is_none();
    // UNSUBACK 0x11 and a PUBACK for a message nobody receives are where a Reason String
    // would appear.
    let unsuback = probe.unsubscribe(&[&cx.topic("none")]).await?;
    ensure(
        quiet(&unsuback.properties),
        "no Reason String or User Property in UNSUBACK",
        || describe(&Packet::UnsubAck(unsuback.clone())),
    )?;
    let suback = probe
        .subscribe_options(&cx.topic("a/#"), SubscriptionOptions::new(QoS::AtMostOnce))
        .await?;
    ensure(
        quiet(&suback.properties),
        "no Reason String or User Property in SUBACK",
        || format!("{:?}", suback.properties),
    )?;
    let id = probe.next_packet_id();
    let mut p = message(&cx.topic("nobody"), b"x", QoS::AtLeastOnce)?;
    p.packet_id = Some(id);
    probe.send(&Packet::Publish(p)).await?;
    match probe.recv("PUBACK").await? {
        Packet::PubAck(ack) => ensure(
            quiet(&ack.properties),
            "no Reason String or User Property in PUBACK",
            || format!("{:?}", ack.properties),
        ),
        other => Err(Outcome::fail("PUBACK", describe(&other))),
    }
}

async fn maximum_qos(cx: CaseContext) -> Check {
    let (mut probe, ack) = cx.client().await?;
    let max = max_qos(&ack);
    ensure(
        max != QoS::ExactlyOnce || ack.properties.maximum_qos().is_none(),
        "Maximum QoS absent (2) or 0/1",
        || format!("{:?}", ack.properties.maximum_qos()),
    )?;
    let subs = [QoS::AtMostOnce, QoS::AtLeastOnce, QoS::ExactlyOnce]
        .into_iter()
        .enumerate()
        .map(|(i, q)| Ok(Subscription::new(filter(&cx.topic(&format!("q{i}")))?, q)))
        .collect::<Check<Vec<_>>>()?;
    let suback = probe.subscribe_with(subs, Properties::new()).await?;
    let want: Vec<ReasonCode> = [QoS::AtMostOnce, QoS::AtLeastOnce, QoS::ExactlyOnce]
        .into_iter()
        .map(|q| granted_code(q.min(max)))
        .collect();
    ensure(
        suback.reason_codes == want,
        &format!(
            "SUBACK {} (each request granted, at most Maximum QoS)",
            codes_list(&want)
        ),
        || codes_list(&suback.reason_codes),
    )?;
    // The highest QoS the broker advertises works.
    probe
        .publish(message(&cx.topic("not-subscribed"), b"x", max)?)
        .await
}
