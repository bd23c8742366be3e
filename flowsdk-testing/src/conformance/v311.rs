//! MQTT 3.1.1 cases (`--v3`): the rules a 3.1.1 client can observe of a server.

use super::prelude::*;

cases! { V311;
    "v311.valid_connect_is_accepted"
        ["MQTT-3.1.4-4 (3.1.1)", "MQTT-3.1.3-5 (3.1.1)", "MQTT-3.2.0-1 (3.1.1)", "MQTT-3.2.2-1 (3.1.1)"] => valid_connect;
    "v311.second_connect_disconnects"
        ["MQTT-3.1.0-2 (3.1.1)", "MQTT-4.8.0-1 (3.1.1)"] => second_connect;
    "v311.unsupported_protocol_level_gets_return_code_1"
        ["MQTT-3.1.2-2 (3.1.1)"] => unsupported_level;
    "v311.connect_reserved_flag_disconnects_without_connack"
        ["MQTT-3.1.2-3 (3.1.1)", "MQTT-3.1.4-1 (3.1.1)"] => reserved_flag;
    "v311.clean_session_0_resumes_and_queues"
        ["MQTT-3.1.2-4 (3.1.1)", "MQTT-3.1.2-5 (3.1.1)", "MQTT-3.2.2-2 (3.1.1)", "MQTT-3.1.3-2 (3.1.1)", "MQTT-4.1.0-1 (3.1.1)"] => resumes;
    "v311.clean_session_1_discards_the_session"
        ["MQTT-3.1.2-6 (3.1.1)", "MQTT-3.1.4-3 (3.1.1)"] => clean_discards;
    "v311.clean_session_0_without_state_has_no_session_present"
        ["MQTT-3.2.2-3 (3.1.1)"] => no_state;
    "v311.retained_messages_outlive_the_session"
        ["MQTT-3.1.2-7 (3.1.1)", "MQTT-3.3.1-5 (3.1.1)", "MQTT-3.3.1-6 (3.1.1)", "MQTT-3.3.1-8 (3.1.1)"] => retained_outlive;
    "v311.live_delivery_clears_retain"
        ["MQTT-3.3.1-9 (3.1.1)"] => live_clears_retain;
    "v311.empty_retained_payload_clears"
        ["MQTT-3.3.1-7 (3.1.1)", "MQTT-3.3.1-10 (3.1.1)", "MQTT-3.3.1-11 (3.1.1)"] => empty_retained_clears;
    "v311.non_retained_publish_leaves_the_retained_message"
        ["MQTT-3.3.1-12 (3.1.1)"] => non_retained_keeps;
    "v311.will_published_when_the_connection_drops"
        ["MQTT-3.1.2-8 (3.1.1)", "MQTT-3.1.2-16 (3.1.1)"] => will_on_drop;
    "v311.will_dropped_after_disconnect"
        ["MQTT-3.1.2-10 (3.1.1)", "MQTT-3.14.4-3 (3.1.1)"] => will_dropped;
    "v311.retained_will_is_retained"
        ["MQTT-3.1.2-17 (3.1.1)"] => retained_will;
    "v311.no_will_without_will_flag"
        ["MQTT-3.1.2-12 (3.1.1)"] => no_will;
    "v311.silent_connection_is_closed"
        ["MQTT-3.1.2-24 (3.1.1)"] => keep_alive;
    "v311.empty_client_id_with_clean_session_0_is_rejected"
        ["MQTT-3.1.3-8 (3.1.1)", "MQTT-3.2.2-4 (3.1.1)", "MQTT-3.2.2-5 (3.1.1)", "MQTT-3.1.4-5 (3.1.1)"] => empty_id_rejected;
    "v311.empty_client_id_with_clean_session_1_is_assigned"
        ["MQTT-3.1.3-6 (3.1.1)"] => empty_id_assigned;
    "v311.takeover_disconnects_the_existing_client"
        ["MQTT-3.1.4-2 (3.1.1)"] => takeover;
    "v311.publish_qos_3_closes"
        ["MQTT-3.3.1-4 (3.1.1)", "MQTT-4.8.0-1 (3.1.1)"] => qos3;
    "v311.pubrel_with_wrong_flags_closes"
        ["MQTT-3.6.1-1 (3.1.1)", "MQTT-2.2.2-2 (3.1.1)"] => pubrel_flags;
    "v311.subscribe_with_wrong_flags_closes"
        ["MQTT-3.8.1-1 (3.1.1)", "MQTT-2.2.2-2 (3.1.1)"] => subscribe_flags;
    "v311.unsubscribe_with_wrong_flags_closes"
        ["MQTT-3.10.1-1 (3.1.1)", "MQTT-2.2.2-2 (3.1.1)"] => unsubscribe_flags;
    "v311.subscribe_reserved_bits_close"
        ["MQTT-3.8.3-4 (3.1.1)"] => subscribe_reserved_bits;
    "v311.disconnect_reserved_flags_close"
        ["MQTT-3.14.1-1 (3.1.1)"] => disconnect_flags;
    "v311.suback_has_a_return_code_per_filter_in_order"
        ["MQTT-3.8.4-1 (3.1.1)", "MQTT-3.8.4-2 (3.1.1)", "MQTT-2.3.1-7 (3.1.1)", "MQTT-3.8.4-4 (3.1.1)", "MQTT-3.8.4-5 (3.1.1)", "MQTT-3.9.3-1 (3.1.1)", "MQTT-3.9.3-2 (3.1.1)"] => suback;
    "v311.unsuback_is_sent_even_when_nothing_was_removed"
        ["MQTT-3.10.4-4 (3.1.1)", "MQTT-3.10.4-5 (3.1.1)", "MQTT-2.3.1-7 (3.1.1)"] => unsuback;
    "v311.pingreq_gets_pingresp"
        ["MQTT-3.12.4-1 (3.1.1)"] => ping;
    "v311.qos1_flow"
        ["MQTT-2.3.1-6 (3.1.1)", "MQTT-3.3.4-1 (3.1.1)", "MQTT-4.3.2-2 (3.1.1)"] => qos1;
    "v311.qos2_flow_delivers_once"
        ["MQTT-4.3.3-2 (3.1.1)", "MQTT-2.3.1-6 (3.1.1)"] => qos2;
    "v311.delivered_qos_is_the_lower_of_published_and_granted"
        ["MQTT-3.8.4-6 (3.1.1)"] => delivered_qos;
    "v311.unacknowledged_qos1_is_resent_with_dup"
        ["MQTT-3.3.1-1 (3.1.1)", "MQTT-4.4.0-1 (3.1.1)"] => resent_with_dup;
    "v311.leading_wildcards_do_not_match_dollar_topics"
        ["MQTT-4.7.2-1 (3.1.1)"] => dollar_topics;
    "v311.messages_are_forwarded_in_order"
        ["MQTT-4.6.0-5 (3.1.1)", "MQTT-4.6.0-6 (3.1.1)"] => ordered;
}

fn connect_v311(cx: &CaseContext, id: &str, clean: bool) -> Check<flowsdk_codec::Connect> {
    let mut c = cx.connect_packet_v311(id)?;
    c.clean_start = clean;
    Ok(c)
}

async fn client(cx: &CaseContext) -> Check<Probe> {
    cx.client_v311().await
}

async fn raw_after_connect(cx: &CaseContext, bytes: Bytes, what: &str) -> Check {
    let mut p = client(cx).await?;
    p.send_raw(&bytes, what).await?;
    match p
        .expect_close(&format!("the connection closed after {what}"))
        .await?
    {
        None => Ok(()),
        Some(d) => Err(Outcome::fail(
            "the close",
            format!("DISCONNECT {}", d.reason_code),
        )),
    }
}

async fn valid_connect(cx: CaseContext) -> Check {
    let id = format!("{:0<23}", cx.client_id());
    let (_, ack) = cx.connect(connect_v311(&cx, &id, true)?).await?;
    ensure(
        !ack.session_present,
        "Session Present 0 with CleanSession = 1",
        || "Session Present 1".into(),
    )
}

async fn second_connect(cx: CaseContext) -> Check {
    let id = cx.client_id();
    let (mut p, _) = cx.connect(connect_v311(&cx, &id, true)?).await?;
    p.send(&Packet::Connect(Box::new(connect_v311(&cx, &id, true)?)))
        .await?;
    p.expect_close("the connection closed after a second CONNECT")
        .await
        .map(drop)
}

async fn unsupported_level(cx: CaseContext) -> Check {
    let mut p = cx.dial().await?;
    p.set_version(ProtocolVersion::V311);
    let bytes = RawPacketBuilder::connect_v311()
        .client_id(cx.client_id())
        .protocol_level(6)
        .build();
    p.send_raw(&bytes, "CONNECT with protocol level 6").await?;
    let packet = p.recv("CONNACK with return code 0x01").await?;
    ensure(
        matches!(&packet, Packet::ConnAck(a) if a.reason_code == ReasonCode::UnsupportedProtocolVersion),
        "CONNACK with return code 0x01 (unacceptable protocol version)",
        || describe(&packet),
    )?;
    p.expect_close("the connection closed after the CONNACK")
        .await
        .map(drop)
}

async fn reserved_flag(cx: CaseContext) -> Check {
    let mut p = cx.dial().await?;
    p.set_version(ProtocolVersion::V311);
    let bytes = RawPacketBuilder::connect_v311()
        .client_id(cx.client_id())
        .connect_flags(0x03)
        .build();
    p.send_raw(&bytes, "CONNECT with the reserved flag set")
        .await?;
    p.expect_close("the connection closed without a CONNACK")
        .await
        .map(drop)
}

async fn resumes(cx: CaseContext) -> Check {
    let id = cx.client_id();
    let t = cx.topic("t");
    let (mut s, _) = cx.connect(connect_v311(&cx, &id, false)?).await?;
    s.subscribe(&t, QoS::AtLeastOnce).await?;
    s.disconnect().await?;
    let mut p = client(&cx).await?;
    p.publish(message(&t, b"while away", QoS::AtLeastOnce)?)
        .await?;
    let (mut s, ack) = cx.connect(connect_v311(&cx, &id, false)?).await?;
    ensure(
        ack.session_present,
        "Session Present 1 when resuming",
        || "Session Present 0".into(),
    )?;
    let m = s.expect_message("the message queued while away").await?;
    ensure(
        m.payload.as_ref() == b"while away",
        "the queued message",
        || describe(&Packet::Publish(m.clone())),
    )?;
    // End the session.
    s.disconnect().await?;
    let (s, _) = cx.connect(connect_v311(&cx, &id, true)?).await?;
    s.disconnect().await
}

async fn clean_discards(cx: CaseContext) -> Check {
    let id = cx.client_id();
    let t = cx.topic("t");
    let (mut s, _) = cx.connect(connect_v311(&cx, &id, false)?).await?;
    s.subscribe(&t, QoS::AtLeastOnce).await?;
    s.disconnect().await?;
    let (mut s, ack) = cx.connect(connect_v311(&cx, &id, true)?).await?;
    ensure(
        !ack.session_present,
        "Session Present 0 with CleanSession = 1",
        || "Session Present 1".into(),
    )?;
    let mut p = client(&cx).await?;
    p.publish(message(&t, b"x", QoS::AtLeastOnce)?).await?;
    s.expect_nothing("no message: the old subscription was discarded")
        .await?;
    s.disconnect().await?;
    let (s, ack) = cx.connect(connect_v311(&cx, &id, false)?).await?;
    ensure(
        !ack.session_present,
        "Session Present 0: a CleanSession = 1 session ends with its connection",
        || "Session Present 1".into(),
    )?;
    s.disconnect().await?;
    let (s, _) = cx.connect(connect_v311(&cx, &id, true)?).await?;
    s.disconnect().await
}

async fn no_state(cx: CaseContext) -> Check {
    let id = cx.client_id();
    let (s, ack) = cx.connect(connect_v311(&cx, &id, false)?).await?;
    ensure(
        !ack.session_present,
        "Session Present 0 without stored state",
        || "Session Present 1".into(),
    )?;
    s.disconnect().await?;
    let (s, _) = cx.connect(connect_v311(&cx, &id, true)?).await?;
    s.disconnect().await
}

async fn retained_for_new(cx: &CaseContext, t: &str) -> Check<Vec<Publish>> {
    let mut s = client(cx).await?;
    s.subscribe(t, QoS::AtLeastOnce).await?;
    let got = s.drain_messages().await?;
    s.disconnect().await?;
    Ok(got)
}

async fn retained_outlive(cx: CaseContext) -> Check {
    let t = cx.topic("r");
    let mut p = client(&cx).await?;
    p.publish(retained(&t, b"kept", QoS::AtLeastOnce)?).await?;
    p.disconnect().await?;
    let got = retained_for_new(&cx, &t).await?;
    ensure(
        got.len() == 1
            && got[0].payload.as_ref() == b"kept"
            && got[0].retain
            && got[0].qos == QoS::AtLeastOnce,
        "the retained message, RETAIN = 1, at its QoS 1, after its publisher's session ended",
        || {
            format!(
                "{:?}",
                got.iter()
                    .map(|m| describe(&Packet::Publish(m.clone())))
                    .collect::<Vec<_>>()
            )
        },
    )
}

async fn live_clears_retain(cx: CaseContext) -> Check {
    let t = cx.topic("r");
    let mut s = client(&cx).await?;
    s.subscribe(&t, QoS::AtLeastOnce).await?;
    let mut p = client(&cx).await?;
    p.publish(retained(&t, b"live", QoS::AtLeastOnce)?).await?;
    let m = s.expect_message("the live message").await?;
    ensure(
        !m.retain,
        "RETAIN = 0 on an established subscription",
        || describe(&Packet::Publish(m.clone())),
    )
}

async fn empty_retained_clears(cx: CaseContext) -> Check {
    let t = cx.topic("r");
    let mut p = client(&cx).await?;
    p.publish(retained(&t, b"one", QoS::AtLeastOnce)?).await?;
    // A retained QoS 0 message replaces it.
    p.publish(retained(&t, b"two", QoS::AtMostOnce)?).await?;
    let got = retained_for_new(&cx, &t).await?;
    ensure(
        got.len() == 1 && got[0].payload.as_ref() == b"two",
        "only the QoS 0 retained message that replaced the first",
        || format!("{} messages", got.len()),
    )?;
    let mut s = client(&cx).await?;
    s.subscribe(&t, QoS::AtLeastOnce).await?;
    s.expect_message("the retained message").await?;
    p.publish(retained(&t, b"", QoS::AtLeastOnce)?).await?;
    let m = s
        .expect_message("the empty retained PUBLISH, forwarded")
        .await?;
    ensure(m.payload.is_empty(), "the empty PUBLISH forwarded", || {
        describe(&Packet::Publish(m.clone()))
    })?;
    let got = retained_for_new(&cx, &t).await?;
    ensure(
        got.is_empty(),
        "no retained message after the empty one",
        || format!("{} messages", got.len()),
    )
}

async fn non_retained_keeps(cx: CaseContext) -> Check {
    let t = cx.topic("r");
    let mut p = client(&cx).await?;
    p.publish(retained(&t, b"kept", QoS::AtLeastOnce)?).await?;
    p.publish(message(&t, b"live", QoS::AtLeastOnce)?).await?;
    let got = retained_for_new(&cx, &t).await?;
    ensure(
        got.len() == 1 && got[0].payload.as_ref() == b"kept",
        "the retained message unchanged",
        || format!("{} messages", got.len()),
    )
}

async fn will_client(cx: &CaseContext, t: &str, retain: bool) -> Check<Probe> {
    let mut c = connect_v311(cx, &cx.client_id(), true)?;
    let mut w = Will::new(topic(t)?, Bytes::from_static(b"gone"));
    w.qos = QoS::AtLeastOnce;
    w.retain = retain;
    c.will = Some(w);
    Ok(cx.connect(c).await?.0)
}

async fn will_on_drop(cx: CaseContext) -> Check {
    let t = cx.topic("will");
    let mut w = client(&cx).await?;
    w.subscribe(&t, QoS::AtLeastOnce).await?;
    let a = will_client(&cx, &t, false).await?;
    a.drop_abruptly().await;
    let m = w.expect_message("the will").await?;
    ensure(m.payload.as_ref() == b"gone", "the will", || {
        describe(&Packet::Publish(m.clone()))
    })?;
    let got = retained_for_new(&cx, &t).await?;
    ensure(
        got.is_empty(),
        "the will not retained (Will Retain = 0)",
        || format!("{} retained", got.len()),
    )
}

async fn will_dropped(cx: CaseContext) -> Check {
    let t = cx.topic("will");
    let mut w = client(&cx).await?;
    w.subscribe(&t, QoS::AtLeastOnce).await?;
    let a = will_client(&cx, &t, false).await?;
    a.disconnect().await?;
    w.expect_nothing_for(cx.quiet() * 2, "no will after DISCONNECT")
        .await
}

async fn retained_will(cx: CaseContext) -> Check {
    let t = cx.topic("will");
    let a = will_client(&cx, &t, true).await?;
    cx.remember_retained(&t);
    a.drop_abruptly().await;
    pause(cx.quiet()).await;
    let got = retained_for_new(&cx, &t).await?;
    ensure(
        got.len() == 1 && got[0].retain && got[0].payload.as_ref() == b"gone",
        "the will as a retained message",
        || format!("{} messages", got.len()),
    )
}

async fn no_will(cx: CaseContext) -> Check {
    let mut w = client(&cx).await?;
    w.subscribe(&cx.topic("#"), QoS::AtLeastOnce).await?;
    let a = client(&cx).await?;
    a.drop_abruptly().await;
    w.expect_nothing_for(cx.quiet() * 2, "no message: the client had no will")
        .await
}

async fn keep_alive(cx: CaseContext) -> Check {
    super::keep_alive::staggered_silent_connections(&cx, |cx| {
        connect_v311(cx, &cx.client_id(), true)
    })
    .await
}

async fn empty_id_rejected(cx: CaseContext) -> Check {
    let (mut p, ack) = cx.open(connect_v311(&cx, "", false)?).await?;
    ensure(
        ack.reason_code == ReasonCode::ClientIdentifierNotValid && !ack.session_present,
        "CONNACK return code 0x02 (identifier rejected), Session Present 0",
        || describe(&Packet::ConnAck(ack.clone())),
    )?;
    // After the refusal the broker must ignore the rest: no SUBACK.
    let bytes = RawPacketBuilder::subscribe(cx.topic("t"), QoS::AtMostOnce)
        .without_properties()
        .build();
    let _ = p.send_raw(&bytes, "SUBSCRIBE after the refusal").await;
    p.expect_close("the connection closed, the SUBSCRIBE ignored")
        .await
        .map(drop)
}

async fn empty_id_assigned(cx: CaseContext) -> Check {
    let (p, ack) = cx.open(connect_v311(&cx, "", true)?).await?;
    if ack.reason_code == ReasonCode::ClientIdentifierNotValid {
        return Err(Outcome::not_applicable(
            "the broker does not allow empty client identifiers",
        ));
    }
    ensure(
        ack.reason_code == ReasonCode::Success,
        "CONNACK 0x00",
        || ack.reason_code.to_string(),
    )?;
    p.disconnect().await
}

async fn takeover(cx: CaseContext) -> Check {
    let id = cx.client_id();
    let (mut old, _) = cx.connect(connect_v311(&cx, &id, true)?).await?;
    let (_new, _) = cx.connect(connect_v311(&cx, &id, true)?).await?;
    old.expect_close("the existing client disconnected")
        .await
        .map(drop)
}

async fn qos3(cx: CaseContext) -> Check {
    let bytes = RawPacketBuilder::publish(cx.topic("t"), QoS::AtLeastOnce)
        .without_properties()
        .flags(0x06)
        .payload(b"x")
        .build();
    raw_after_connect(&cx, bytes, "a PUBLISH with QoS 3").await
}

async fn pubrel_flags(cx: CaseContext) -> Check {
    let bytes = RawPacketBuilder::pubrel(1)
        .remove_field("reason_code")
        .without_properties()
        .flags(0)
        .build();
    raw_after_connect(&cx, bytes, "a PUBREL with flags 0000").await
}

async fn subscribe_flags(cx: CaseContext) -> Check {
    let bytes = RawPacketBuilder::subscribe(cx.topic("t"), QoS::AtMostOnce)
        .without_properties()
        .flags(0)
        .build();
    raw_after_connect(&cx, bytes, "a SUBSCRIBE with flags 0000").await
}

async fn unsubscribe_flags(cx: CaseContext) -> Check {
    let bytes = RawPacketBuilder::unsubscribe(cx.topic("t"))
        .without_properties()
        .flags(0)
        .build();
    raw_after_connect(&cx, bytes, "an UNSUBSCRIBE with flags 0000").await
}

async fn subscribe_reserved_bits(cx: CaseContext) -> Check {
    let bytes = RawPacketBuilder::subscribe(cx.topic("t"), QoS::AtMostOnce)
        .without_properties()
        .subscription_options(0x04)
        .build();
    raw_after_connect(&cx, bytes, "a SUBSCRIBE with a reserved QoS byte bit set").await
}

async fn disconnect_flags(cx: CaseContext) -> Check {
    let t = cx.topic("will");
    let mut w = client(&cx).await?;
    w.subscribe(&t, QoS::AtLeastOnce).await?;
    let mut a = will_client(&cx, &t, false).await?;
    a.send_raw(&[0xE1, 0x00], "a DISCONNECT with flags 0001")
        .await?;
    a.expect_close("the connection closed").await?;
    // Not a valid DISCONNECT, so the will stays and goes out.
    w.expect_message("the will: the malformed DISCONNECT did not discard it")
        .await
        .map(drop)
}

async fn suback(cx: CaseContext) -> Check {
    let mut s = client(&cx).await?;
    s.set_next_packet_id(0x3131);
    let asked = [QoS::ExactlyOnce, QoS::AtMostOnce, QoS::AtLeastOnce];
    let subs = asked
        .iter()
        .enumerate()
        .map(|(i, q)| Ok(Subscription::new(filter(&cx.topic(&format!("f{i}")))?, *q)))
        .collect::<Check<Vec<_>>>()?;
    let ack = s.subscribe_with(subs, Properties::new()).await?;
    let want: Vec<ReasonCode> = asked.iter().map(|q| granted_code(*q)).collect();
    ensure(
        ack.reason_codes == want,
        &format!("one SUBACK with {} in order", codes_list(&want)),
        || codes_list(&ack.reason_codes),
    )
}

async fn unsuback(cx: CaseContext) -> Check {
    let mut s = client(&cx).await?;
    s.set_next_packet_id(0x2727);
    s.unsubscribe(&[&cx.topic("never")]).await.map(drop)
}

async fn ping(cx: CaseContext) -> Check {
    client(&cx).await?.ping().await
}

async fn qos1(cx: CaseContext) -> Check {
    let t = cx.topic("t");
    let mut s = client(&cx).await?;
    s.subscribe(&t, QoS::AtLeastOnce).await?;
    let mut p = client(&cx).await?;
    for payload in [b"a", b"b"] {
        let mut m = message(&t, payload, QoS::AtLeastOnce)?;
        m.packet_id = Some(pid(0x0707));
        p.publish(m).await?;
    }
    let got = s.drain_messages().await?;
    ensure(
        got.len() == 2,
        "both messages published with the reused packet id",
        || format!("{} messages", got.len()),
    )
}

async fn qos2(cx: CaseContext) -> Check {
    let t = cx.topic("t");
    let mut s = client(&cx).await?;
    s.subscribe(&t, QoS::ExactlyOnce).await?;
    let mut p = client(&cx).await?;
    let mut m = message(&t, b"once", QoS::ExactlyOnce)?;
    m.packet_id = Some(pid(5));
    p.send(&Packet::Publish(m.clone())).await?;
    for round in ["PUBREC", "PUBREC for the duplicate"] {
        let rec = p.recv(round).await?;
        ensure(
            matches!(&rec, Packet::PubRec(r) if r.packet_id == pid(5)),
            "PUBREC for id 5",
            || describe(&rec),
        )?;
        if round == "PUBREC" {
            m.dup = true;
            p.send(&Packet::Publish(m.clone())).await?;
        }
    }
    p.send(&Packet::PubRel(PubRel::new(pid(5)))).await?;
    let comp = p.recv("PUBCOMP").await?;
    ensure(
        matches!(&comp, Packet::PubComp(c) if c.packet_id == pid(5)),
        "PUBCOMP for id 5",
        || describe(&comp),
    )?;
    let got = s.drain_messages().await?;
    ensure(got.len() == 1, "exactly one delivery", || {
        format!("{} deliveries", got.len())
    })
}

async fn delivered_qos(cx: CaseContext) -> Check {
    let t = cx.topic("t");
    let mut s = client(&cx).await?;
    s.subscribe(&t, QoS::AtLeastOnce).await?;
    let mut p = client(&cx).await?;
    p.publish(message(&t, b"x", QoS::ExactlyOnce)?).await?;
    let m = s.expect_message("the message").await?;
    ensure(
        m.qos == QoS::AtLeastOnce,
        "QoS 1 (granted) for a QoS 2 message",
        || describe(&Packet::Publish(m.clone())),
    )
}

async fn resent_with_dup(cx: CaseContext) -> Check {
    let id = cx.client_id();
    let t = cx.topic("t");
    let (mut s, _) = cx.connect(connect_v311(&cx, &id, false)?).await?;
    s.subscribe(&t, QoS::AtLeastOnce).await?;
    let mut p = client(&cx).await?;
    p.publish(message(&t, b"m", QoS::AtLeastOnce)?).await?;
    let first = s.expect_publish("the message").await?;
    s.drop_abruptly().await;
    let (mut s, _) = cx.connect(connect_v311(&cx, &id, false)?).await?;
    let again = s.expect_publish("the unacknowledged message again").await?;
    ensure(
        again.dup && again.packet_id == first.packet_id,
        "the same PUBLISH with DUP = 1",
        || describe(&Packet::Publish(again.clone())),
    )?;
    s.ack(&again).await?;
    s.disconnect().await?;
    let (s, _) = cx.connect(connect_v311(&cx, &id, true)?).await?;
    s.disconnect().await
}

async fn dollar_topics(cx: CaseContext) -> Check {
    let mut all = client(&cx).await?;
    all.subscribe("#", QoS::AtMostOnce).await?;
    // Whatever is retained on the broker arrives now; only $-topics matter.
    let mut got = all.drain_messages().await?;
    let dollar = format!("${}/d", cx.prefix());
    let mut p = client(&cx).await?;
    p.publish(message(&dollar, b"d", QoS::AtMostOnce)?).await?;
    got.extend(all.drain_messages().await?);
    let leaked: Vec<String> = got
        .iter()
        .filter(|m| m.topic.as_str().starts_with('$'))
        .map(|m| m.topic.as_str().to_string())
        .collect();
    ensure(leaked.is_empty(), "no $-topic delivered to #", || {
        format!("{leaked:?}")
    })
}

async fn ordered(cx: CaseContext) -> Check {
    let t = cx.topic("t");
    let mut s = client(&cx).await?;
    s.subscribe(&t, QoS::AtLeastOnce).await?;
    let mut p = client(&cx).await?;
    for i in 0..10u8 {
        p.publish(message(&t, &[b'0' + i], QoS::AtLeastOnce)?)
            .await?;
    }
    let got: Vec<u8> = s
        .drain_messages()
        .await?
        .iter()
        .map(|m| m.payload.first().copied().unwrap_or(0))
        .collect();
    ensure(got == b"0123456789", "ten messages in order", || {
        String::from_utf8_lossy(&got).into_owned()
    })
}
