//! QoS 0, 1 and 2 flows, in both directions: identifiers, acknowledgements, DUP, order.

use std::collections::HashSet;

use super::prelude::*;

cases! { V5;
    "qos.qos0_needs_no_answer_and_is_delivered_without_packet_id"
        ["MQTT-3.3.4-1", "MQTT-2.2.1-2", "MQTT-3.3.1-2", "MQTT-4.3.1-1"] => qos0;
    "qos.qos1_puback_carries_the_publish_packet_id"
        ["MQTT-3.3.4-1", "MQTT-2.2.1-5", "MQTT-4.3.2-4", "MQTT-3.4.2-1"] => qos1_inbound;
    "qos.qos1_deliveries_use_unused_non_zero_packet_ids"
        ["MQTT-2.2.1-4", "MQTT-4.3.2-1", "MQTT-4.3.2-2"] => qos1_outbound_ids;
    "qos.qos1_packet_id_reused_after_puback_is_a_new_message"
        ["MQTT-4.3.2-5"] => qos1_reuse;
    "qos.qos2_pubrec_and_pubcomp_carry_the_publish_packet_id"
        ["MQTT-3.3.4-1", "MQTT-2.2.1-5", "MQTT-4.3.3-8", "MQTT-4.3.3-11", "MQTT-3.5.2-1", "MQTT-3.7.2-1"] => qos2_inbound;
    "qos.qos2_duplicate_before_pubrel_is_not_delivered_again"
        ["MQTT-4.3.3-10"] => qos2_duplicate;
    "qos.qos2_packet_id_reused_after_pubcomp_is_a_new_message"
        ["MQTT-4.3.3-12"] => qos2_reuse;
    "qos.qos2_deliveries_follow_the_sender_flow"
        ["MQTT-2.2.1-4", "MQTT-4.3.3-1", "MQTT-4.3.3-2", "MQTT-4.3.3-4", "MQTT-3.6.2-1"] => qos2_outbound;
    "qos.forwarded_dup_flag_is_the_brokers_own"
        ["MQTT-3.3.1-3"] => forwarded_dup;
    "qos.messages_are_forwarded_in_order"
        ["MQTT-4.6.0-5", "MQTT-4.6.0-6"] => ordered;
    "qos.every_matching_subscriber_gets_the_message"
        ["MQTT-4.5.0-1"] => every_subscriber;
}

async fn qos0(cx: CaseContext) -> Check {
    let t = cx.topic("t");
    let (mut s, _) = cx.client().await?;
    s.subscribe(&t, QoS::AtLeastOnce).await?;
    let (mut p, _) = cx.client().await?;
    p.publish(message(&t, b"zero", QoS::AtMostOnce)?).await?;
    p.expect_nothing("no answer to a QoS 0 PUBLISH").await?;
    let m = s.expect_publish("the QoS 0 message").await?;
    ensure(
        m.qos == QoS::AtMostOnce
            && !m.dup
            && m.packet_id.is_none()
            && m.payload.as_ref() == b"zero",
        "QoS 0, DUP = 0, no packet id, the payload intact",
        || describe(&Packet::Publish(m.clone())),
    )
}

async fn qos1_inbound(cx: CaseContext) -> Check {
    let (mut p, _) = cx.client().await?;
    let mut m = message(&cx.topic("t"), b"one", QoS::AtLeastOnce)?;
    m.packet_id = Some(pid(0x1234));
    p.send(&Packet::Publish(m)).await?;
    let packet = p.recv("PUBACK for packet id 0x1234").await?;
    ensure(
        matches!(&packet, Packet::PubAck(a)
            if a.packet_id == pid(0x1234) && a.reason_code.is_allowed_in(PacketType::PubAck)
                && !is_failure(a.reason_code)),
        "PUBACK, packet id 4660, a success reason code defined for PUBACK",
        || describe(&packet),
    )
}

async fn qos1_outbound_ids(cx: CaseContext) -> Check {
    let t = cx.topic("t");
    let (mut s, _) = cx.client().await?;
    s.subscribe(&t, QoS::AtLeastOnce).await?;
    let (mut p, _) = cx.client().await?;
    for i in 0..3u8 {
        p.publish(message(&t, &[b'0' + i], QoS::AtLeastOnce)?)
            .await?;
    }
    // None acknowledged yet: every id is in use, so all three must differ.
    let mut ids = HashSet::new();
    let mut got = Vec::new();
    for _ in 0..3 {
        let m = s.expect_publish("three QoS 1 deliveries").await?;
        ensure(
            m.qos == QoS::AtLeastOnce && !m.dup,
            "QoS 1 with DUP = 0 on first delivery",
            || describe(&Packet::Publish(m.clone())),
        )?;
        let Some(id) = m.packet_id else {
            return Err(Outcome::fail("a packet id", "none"));
        };
        ids.insert(id);
        got.push(m);
    }
    ensure(
        ids.len() == 3,
        "three different packet ids for three unacknowledged messages",
        || format!("{:?}", got.iter().map(|m| m.packet_id).collect::<Vec<_>>()),
    )?;
    for m in &got {
        s.ack(m).await?;
    }
    Ok(())
}

async fn qos1_reuse(cx: CaseContext) -> Check {
    let t = cx.topic("t");
    let (mut s, _) = cx.client().await?;
    s.subscribe(&t, QoS::AtLeastOnce).await?;
    let (mut p, _) = cx.client().await?;
    let mut a = message(&t, b"a", QoS::AtLeastOnce)?;
    a.packet_id = Some(pid(7));
    p.publish(a).await?;
    let mut b = message(&t, b"b", QoS::AtLeastOnce)?;
    b.packet_id = Some(pid(7));
    b.dup = true;
    p.publish(b).await?;
    let first = s.expect_message("message a").await?;
    let second = s
        .expect_message("message b, a new message with the reused id")
        .await?;
    ensure(
        first.payload.as_ref() == b"a" && second.payload.as_ref() == b"b",
        "both messages, a then b",
        || format!("{:?} then {:?}", first.payload, second.payload),
    )
}

async fn qos2_inbound(cx: CaseContext) -> Check {
    let (mut p, ack) = cx.client().await?;
    require_qos(&ack, QoS::ExactlyOnce)?;
    let mut m = message(&cx.topic("t"), b"two", QoS::ExactlyOnce)?;
    m.packet_id = Some(pid(0x2345));
    p.send(&Packet::Publish(m)).await?;
    let packet = p.recv("PUBREC for packet id 0x2345").await?;
    ensure(
        matches!(&packet, Packet::PubRec(a)
            if a.packet_id == pid(0x2345) && a.reason_code.is_allowed_in(PacketType::PubRec)
                && !is_failure(a.reason_code)),
        "PUBREC, packet id 9029, a success reason code defined for PUBREC",
        || describe(&packet),
    )?;
    p.send(&Packet::PubRel(PubRel::new(pid(0x2345)))).await?;
    let packet = p.recv("PUBCOMP for packet id 0x2345").await?;
    ensure(
        matches!(&packet, Packet::PubComp(a)
            if a.packet_id == pid(0x2345) && a.reason_code.is_allowed_in(PacketType::PubComp)),
        "PUBCOMP, packet id 9029, a reason code defined for PUBCOMP",
        || describe(&packet),
    )
}

async fn qos2_duplicate(cx: CaseContext) -> Check {
    let t = cx.topic("t");
    let (mut s, ack) = cx.client().await?;
    require_qos(&ack, QoS::ExactlyOnce)?;
    s.subscribe(&t, QoS::ExactlyOnce).await?;
    let (mut p, _) = cx.client().await?;
    let mut m = message(&t, b"once", QoS::ExactlyOnce)?;
    m.packet_id = Some(pid(9));
    p.send(&Packet::Publish(m.clone())).await?;
    let rec = p.recv("PUBREC").await?;
    ensure(
        matches!(&rec, Packet::PubRec(r) if r.packet_id == pid(9)),
        "PUBREC for id 9",
        || describe(&rec),
    )?;
    m.dup = true;
    p.send(&Packet::Publish(m)).await?;
    let rec = p.recv("PUBREC again for the duplicate").await?;
    ensure(
        matches!(&rec, Packet::PubRec(r) if r.packet_id == pid(9)),
        "PUBREC for the duplicate, id 9",
        || describe(&rec),
    )?;
    p.send(&Packet::PubRel(PubRel::new(pid(9)))).await?;
    let comp = p.recv("PUBCOMP").await?;
    ensure(
        matches!(&comp, Packet::PubComp(c) if c.packet_id == pid(9)),
        "PUBCOMP for id 9",
        || describe(&comp),
    )?;
    let got = s.drain_messages().await?;
    ensure(
        got.len() == 1,
        "exactly one delivery of the QoS 2 message",
        || format!("{} deliveries", got.len()),
    )
}

async fn qos2_reuse(cx: CaseContext) -> Check {
    let t = cx.topic("t");
    let (mut s, ack) = cx.client().await?;
    require_qos(&ack, QoS::ExactlyOnce)?;
    s.subscribe(&t, QoS::AtLeastOnce).await?;
    let (mut p, _) = cx.client().await?;
    for payload in [b"a", b"b"] {
        let mut m = message(&t, payload, QoS::ExactlyOnce)?;
        m.packet_id = Some(pid(9));
        p.publish(m).await?;
    }
    let got = s.drain_messages().await?;
    let payloads: Vec<&[u8]> = got.iter().map(|m| m.payload.as_ref()).collect();
    ensure(
        payloads == [b"a".as_slice(), b"b".as_slice()],
        "both messages (a, then b with the reused id)",
        || format!("{payloads:?}"),
    )
}

async fn qos2_outbound(cx: CaseContext) -> Check {
    let t = cx.topic("t");
    let (mut s, ack) = cx.client().await?;
    require_qos(&ack, QoS::ExactlyOnce)?;
    s.subscribe(&t, QoS::ExactlyOnce).await?;
    let (mut p, _) = cx.client().await?;
    p.publish(message(&t, b"1", QoS::ExactlyOnce)?).await?;
    p.publish(message(&t, b"2", QoS::ExactlyOnce)?).await?;
    let a = s.expect_publish("the first QoS 2 delivery").await?;
    let b = s.expect_publish("the second QoS 2 delivery").await?;
    for m in [&a, &b] {
        ensure(
            m.qos == QoS::ExactlyOnce && !m.dup && m.packet_id.is_some(),
            "QoS 2, DUP = 0, with a packet id",
            || describe(&Packet::Publish(m.clone())),
        )?;
    }
    ensure(
        a.packet_id != b.packet_id,
        "different packet ids for two unacknowledged messages",
        || format!("{:?} and {:?}", a.packet_id, b.packet_id),
    )?;
    for m in [&a, &b] {
        let Some(id) = m.packet_id else { continue };
        s.send(&Packet::PubRec(PubRec::new(id))).await?;
        let rel = s.expect_pubrel(id).await?;
        ensure(
            rel.reason_code.is_allowed_in(PacketType::PubRel),
            "a PUBREL reason code defined for PUBREL",
            || rel.reason_code.to_string(),
        )?;
        s.send(&Packet::PubComp(PubComp::new(id))).await?;
    }
    Ok(())
}

async fn forwarded_dup(cx: CaseContext) -> Check {
    let t = cx.topic("t");
    let (mut s, _) = cx.client().await?;
    s.subscribe(&t, QoS::AtLeastOnce).await?;
    let (mut p, _) = cx.client().await?;
    let mut m = message(&t, b"dup", QoS::AtLeastOnce)?;
    m.dup = true;
    p.publish(m).await?;
    let got = s.expect_message("the message").await?;
    ensure(
        !got.dup,
        "DUP = 0 on the broker's first transmission, whatever the publisher's DUP",
        || describe(&Packet::Publish(got.clone())),
    )
}

async fn ordered(cx: CaseContext) -> Check {
    let t = cx.topic("t");
    let (mut s, _) = cx.client().await?;
    s.subscribe(&t, QoS::AtLeastOnce).await?;
    let (mut p, _) = cx.client().await?;
    let want: Vec<Vec<u8>> = (0..10).map(|i| format!("m{i}").into_bytes()).collect();
    for qos in [QoS::AtLeastOnce, QoS::AtMostOnce] {
        for payload in &want {
            p.publish(message(&t, payload, qos)?).await?;
        }
        let got = s.drain_messages().await?;
        let got: Vec<Vec<u8>> = got.iter().map(|m| m.payload.to_vec()).collect();
        ensure(
            got == want,
            &format!("ten QoS {} messages in publication order", qos.as_u8()),
            || {
                format!(
                    "{:?}",
                    got.iter()
                        .map(|g| String::from_utf8_lossy(g).into_owned())
                        .collect::<Vec<_>>()
                )
            },
        )?;
    }
    Ok(())
}

async fn every_subscriber(cx: CaseContext) -> Check {
    let t = cx.topic("t");
    let (mut a, _) = cx.client().await?;
    a.subscribe(&t, QoS::AtLeastOnce).await?;
    let (mut b, _) = cx.client().await?;
    b.subscribe(&cx.topic("+"), QoS::AtMostOnce).await?;
    let (mut p, _) = cx.client().await?;
    p.publish(message(&t, b"all", QoS::AtLeastOnce)?).await?;
    a.expect_message("the message at the first subscriber")
        .await?;
    b.expect_message("the message at the wildcard subscriber")
        .await?;
    Ok(())
}
