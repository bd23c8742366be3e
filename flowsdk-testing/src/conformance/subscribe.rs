//! SUBSCRIBE and UNSUBSCRIBE: acknowledgements, replacement, order, overlap.

use super::prelude::*;

cases! { V5;
    "subscribe.suback_echoes_the_packet_id"
        ["MQTT-2.2.1-6", "MQTT-3.8.4-1", "MQTT-3.8.4-2", "MQTT-3.8.4-7", "MQTT-3.9.3-2"] => suback_echoes;
    "subscribe.several_filters_get_one_suback_in_order"
        ["MQTT-3.8.4-5", "MQTT-3.8.4-6", "MQTT-3.9.3-1"] => several_filters;
    "subscribe.identical_filter_replaces_the_subscription"
        ["MQTT-3.8.4-3"] => replaces;
    "subscribe.replacing_with_retain_handling_0_resends_retained"
        ["MQTT-3.8.4-4"] => replacing_resends_retained;
    "subscribe.delivered_qos_is_the_lower_of_published_and_granted"
        ["MQTT-3.8.4-8"] => delivered_qos;
    "subscribe.overlapping_subscriptions_deliver_at_the_highest_qos"
        ["MQTT-3.3.4-2"] => overlapping_qos;
    "unsubscribe.unsuback_is_sent_even_when_nothing_was_removed"
        ["MQTT-2.2.1-6", "MQTT-3.10.4-4", "MQTT-3.10.4-5", "MQTT-3.11.3-2"] => unsuback_always;
    "unsubscribe.filters_are_compared_byte_for_byte"
        ["MQTT-3.10.4-1", "MQTT-3.10.4-2"] => byte_for_byte;
    "unsubscribe.several_filters_get_one_unsuback_in_order"
        ["MQTT-3.10.4-6", "MQTT-3.11.3-1", "MQTT-3.11.3-2"] => several_unsubscribe;
    "unsubscribe.started_qos2_delivery_is_completed"
        ["MQTT-3.10.4-3"] => started_delivery_completes;
}

async fn suback_echoes(cx: CaseContext) -> Check {
    let (mut s, _) = cx.client().await?;
    s.set_next_packet_id(0x4242);
    let ack = s
        .subscribe_options(&cx.topic("t"), SubscriptionOptions::new(QoS::AtLeastOnce))
        .await?;
    ensure(
        ack.reason_codes.len() == 1
            && ack
                .reason_codes
                .iter()
                .all(|c| c.is_allowed_in(PacketType::SubAck))
            && matches!(
                ack.reason_codes[0],
                ReasonCode::GrantedQoS1 | ReasonCode::Success
            ) | is_failure(ack.reason_codes[0]),
        "one SUBACK reason code: the granted QoS (at most 1) or a failure",
        || codes_list(&ack.reason_codes),
    )
}

async fn several_filters(cx: CaseContext) -> Check {
    let (mut s, ack) = cx.client().await?;
    let max = max_qos(&ack);
    let asked = [QoS::ExactlyOnce, QoS::AtMostOnce, QoS::AtLeastOnce];
    let subs = asked
        .iter()
        .enumerate()
        .map(|(i, q)| Ok(Subscription::new(filter(&cx.topic(&format!("f{i}")))?, *q)))
        .collect::<Check<Vec<_>>>()?;
    let suback = s.subscribe_with(subs, Properties::new()).await?;
    let want: Vec<ReasonCode> = asked.iter().map(|q| granted_code((*q).min(max))).collect();
    ensure(
        suback.reason_codes == want,
        &format!("one SUBACK with {} in filter order", codes_list(&want)),
        || codes_list(&suback.reason_codes),
    )?;
    let (mut p, _) = cx.client().await?;
    for i in 0..3 {
        p.publish(message(&cx.topic(&format!("f{i}")), b"x", QoS::AtMostOnce)?)
            .await?;
    }
    let got = s.drain_messages().await?;
    ensure(
        got.len() == 3,
        "a message on each of the three subscriptions",
        || format!("{} messages", got.len()),
    )
}

async fn replaces(cx: CaseContext) -> Check {
    let t = cx.topic("t");
    let (mut s, _) = cx.client().await?;
    s.subscribe(&t, QoS::AtMostOnce).await?;
    s.subscribe(&t, QoS::AtLeastOnce).await?;
    let (mut p, _) = cx.client().await?;
    p.publish(message(&t, b"x", QoS::AtLeastOnce)?).await?;
    let got = s.drain_messages().await?;
    ensure(
        got.len() == 1 && got[0].qos == QoS::AtLeastOnce,
        "one copy, at the new subscription's QoS 1",
        || format!("{:?}", got.iter().map(|m| m.qos).collect::<Vec<_>>()),
    )
}

async fn replacing_resends_retained(cx: CaseContext) -> Check {
    let t = cx.topic("t");
    let (mut p, ack) = cx.client().await?;
    require_retain(&ack)?;
    p.publish(retained(&t, b"kept", QoS::AtLeastOnce)?).await?;
    let (mut s, _) = cx.client().await?;
    s.subscribe(&t, QoS::AtLeastOnce).await?;
    s.expect_message("the retained message").await?;
    s.subscribe(&t, QoS::AtLeastOnce).await?;
    let m = s
        .expect_message("the retained message again after re-subscribing")
        .await?;
    ensure(
        m.payload.as_ref() == b"kept",
        "the retained message",
        || describe(&Packet::Publish(m.clone())),
    )?;
    p.publish(message(&t, b"live", QoS::AtLeastOnce)?).await?;
    let m = s.expect_message("live messages still flow").await?;
    ensure(m.payload.as_ref() == b"live", "the live message", || {
        describe(&Packet::Publish(m.clone()))
    })
}

async fn delivered_qos(cx: CaseContext) -> Check {
    let t = cx.topic("t");
    let (mut s, ack) = cx.client().await?;
    require_qos(&ack, QoS::ExactlyOnce)?;
    s.subscribe(&t, QoS::AtLeastOnce).await?;
    let (mut p, _) = cx.client().await?;
    for (sent, want) in [
        (QoS::ExactlyOnce, QoS::AtLeastOnce),
        (QoS::AtMostOnce, QoS::AtMostOnce),
        (QoS::AtLeastOnce, QoS::AtLeastOnce),
    ] {
        p.publish(message(&t, b"x", sent)?).await?;
        let m = s.expect_message("the message").await?;
        ensure(
            m.qos == want,
            &format!(
                "QoS {} for a QoS {} message on a QoS 1 subscription",
                want.as_u8(),
                sent.as_u8()
            ),
            || describe(&Packet::Publish(m.clone())),
        )?;
    }
    Ok(())
}

async fn overlapping_qos(cx: CaseContext) -> Check {
    let t = cx.topic("o/a");
    let (mut s, ack) = cx.client().await?;
    require_wildcards(&ack)?;
    require_qos(&ack, QoS::ExactlyOnce)?;
    s.subscribe(&cx.topic("o/#"), QoS::AtMostOnce).await?;
    s.subscribe(&t, QoS::ExactlyOnce).await?;
    let (mut p, _) = cx.client().await?;
    p.publish(message(&t, b"x", QoS::ExactlyOnce)?).await?;
    let got = s.drain_messages().await?;
    ensure(
        got.iter().any(|m| m.qos == QoS::ExactlyOnce),
        "a delivery at QoS 2, the highest of the matching subscriptions",
        || format!("{:?}", got.iter().map(|m| m.qos).collect::<Vec<_>>()),
    )
}

async fn unsuback_always(cx: CaseContext) -> Check {
    let (mut s, _) = cx.client().await?;
    s.set_next_packet_id(0x5151);
    let ack = s.unsubscribe(&[&cx.topic("never")]).await?;
    ensure(
        ack.reason_codes.len() == 1
            && matches!(
                ack.reason_codes[0],
                ReasonCode::Success | ReasonCode::NoSubscriptionExisted
            )
            && ack.reason_codes[0].is_allowed_in(PacketType::UnsubAck),
        "UNSUBACK with 0x11 (No subscription existed) or 0x00",
        || codes_list(&ack.reason_codes),
    )
}

async fn byte_for_byte(cx: CaseContext) -> Check {
    let t = cx.topic("x/y");
    let (mut s, ack) = cx.client().await?;
    require_wildcards(&ack)?;
    s.subscribe(&cx.topic("x/+"), QoS::AtMostOnce).await?;
    let (mut p, _) = cx.client().await?;
    // Filters that match the same topics but are not the same string remove nothing.
    let ack = s.unsubscribe(&[&cx.topic("x/#"), &t]).await?;
    ensure(
        ack.reason_codes
            .iter()
            .all(|c| *c == ReasonCode::NoSubscriptionExisted),
        "UNSUBACK [0x11, 0x11]: x/# and x/y are not the subscribed x/+",
        || codes_list(&ack.reason_codes),
    )?;
    p.publish(message(&t, b"still", QoS::AtMostOnce)?).await?;
    s.expect_message("the message: x/+ is still subscribed")
        .await?;
    let ack = s.unsubscribe(&[&cx.topic("x/+")]).await?;
    ensure(
        ack.reason_codes == [ReasonCode::Success],
        "UNSUBACK [0x00] for the exact filter",
        || codes_list(&ack.reason_codes),
    )?;
    p.publish(message(&t, b"gone", QoS::AtMostOnce)?).await?;
    s.expect_nothing("no message after UNSUBSCRIBE").await
}

async fn several_unsubscribe(cx: CaseContext) -> Check {
    let (mut s, _) = cx.client().await?;
    s.subscribe(&cx.topic("a"), QoS::AtMostOnce).await?;
    s.subscribe(&cx.topic("c"), QoS::AtMostOnce).await?;
    let ack = s
        .unsubscribe(&[&cx.topic("a"), &cx.topic("b"), &cx.topic("c")])
        .await?;
    let want = [
        ReasonCode::Success,
        ReasonCode::NoSubscriptionExisted,
        ReasonCode::Success,
    ];
    ensure(
        ack.reason_codes == want,
        "one UNSUBACK [0x00, 0x11, 0x00] in filter order",
        || codes_list(&ack.reason_codes),
    )?;
    let (mut p, _) = cx.client().await?;
    p.publish(message(&cx.topic("a"), b"x", QoS::AtMostOnce)?)
        .await?;
    p.publish(message(&cx.topic("c"), b"x", QoS::AtMostOnce)?)
        .await?;
    s.expect_nothing("no messages: both subscriptions removed")
        .await
}

async fn started_delivery_completes(cx: CaseContext) -> Check {
    let t = cx.topic("t");
    let (mut s, ack) = cx.client().await?;
    require_qos(&ack, QoS::ExactlyOnce)?;
    s.subscribe(&t, QoS::ExactlyOnce).await?;
    let (mut p, _) = cx.client().await?;
    p.publish(message(&t, b"x", QoS::ExactlyOnce)?).await?;
    let m = s.expect_publish("the QoS 2 delivery").await?;
    let Some(id) = m.packet_id else {
        return Err(Outcome::fail("a packet id", "none"));
    };
    s.unsubscribe(&[&t]).await?;
    s.send(&Packet::PubRec(PubRec::new(id))).await?;
    s.expect_pubrel(id).await?;
    s.send(&Packet::PubComp(PubComp::new(id))).await?;
    Ok(())
}
