//! Message expiry, and the QoS 2 flows it must not cut short.

use super::prelude::*;
use super::retain::retained_for_new_subscriber;
use super::session::session_connect;

cases! { V5;
    "expiry.expired_message_is_not_delivered_and_the_rest_is_counted_down"
        ["MQTT-3.3.2-5", "MQTT-3.3.2-6"] => expired_not_delivered;
    "expiry.expired_retained_message_is_not_delivered"
        ["MQTT-3.3.2-5"] => expired_retained;
    "expiry.qos2_exchange_completes_after_the_message_expired"
        ["MQTT-4.3.3-13"] => qos2_completes_after_expiry;
    "expiry.sent_qos2_message_is_not_expired"
        ["MQTT-4.3.3-7"] => sent_qos2_not_expired;
}

fn expiring(t: &str, payload: &[u8], qos: QoS, seconds: u32) -> Check<Publish> {
    let mut p = message(t, payload, qos)?;
    p.properties.set_message_expiry_interval(Some(seconds));
    Ok(p)
}

async fn expired_not_delivered(cx: CaseContext) -> Check {
    let t = cx.topic("t");
    let id = cx.client_id();
    let (mut s, _) = cx.connect(session_connect(&cx, &id, true, 30)?).await?;
    s.subscribe(&t, QoS::AtLeastOnce).await?;
    s.disconnect().await?;
    let (mut p, _) = cx.client().await?;
    p.publish(expiring(&t, b"short", QoS::AtLeastOnce, 1)?)
        .await?;
    p.publish(expiring(&t, b"long", QoS::AtLeastOnce, 60)?)
        .await?;
    pause(Duration::from_millis(2200)).await;
    let (mut s, _) = cx.connect(session_connect(&cx, &id, false, 30)?).await?;
    let got = s.drain_messages().await?;
    let payloads: Vec<&[u8]> = got.iter().map(|m| m.payload.as_ref()).collect();
    ensure(
        payloads == [b"long".as_slice()],
        "only the message whose 60 s expiry had not passed",
        || format!("{payloads:?}"),
    )?;
    let left = got[0].properties.message_expiry_interval();
    ensure(
        left.is_some_and(|l| l <= 58),
        "Message Expiry Interval at most 58 (60 minus the 2 s spent waiting)",
        || format!("{left:?}"),
    )?;
    s.disconnect().await
}

async fn expired_retained(cx: CaseContext) -> Check {
    let t = cx.topic("t");
    let (mut p, ack) = cx.client().await?;
    require_retain(&ack)?;
    let mut m = expiring(&t, b"short", QoS::AtLeastOnce, 1)?;
    m.retain = true;
    p.publish(m).await?;
    pause(Duration::from_millis(2200)).await;
    let got = retained_for_new_subscriber(&cx, &t).await?;
    ensure(
        got.is_empty(),
        "no retained message once its 1 s expiry passed",
        || format!("{} messages", got.len()),
    )
}

async fn qos2_completes_after_expiry(cx: CaseContext) -> Check {
    let (mut p, ack) = cx.client().await?;
    require_qos(&ack, QoS::ExactlyOnce)?;
    let mut m = expiring(&cx.topic("t"), b"x", QoS::ExactlyOnce, 1)?;
    m.packet_id = Some(pid(3));
    p.send(&Packet::Publish(m)).await?;
    let rec = p.recv("PUBREC").await?;
    ensure(
        matches!(&rec, Packet::PubRec(r) if r.packet_id == pid(3)),
        "PUBREC for id 3",
        || describe(&rec),
    )?;
    pause(Duration::from_millis(1600)).await;
    p.send(&Packet::PubRel(PubRel::new(pid(3)))).await?;
    let comp = p.recv("PUBCOMP although the message expired").await?;
    ensure(
        matches!(&comp, Packet::PubComp(c) if c.packet_id == pid(3)),
        "PUBCOMP for id 3",
        || describe(&comp),
    )
}

async fn sent_qos2_not_expired(cx: CaseContext) -> Check {
    let t = cx.topic("t");
    let id = cx.client_id();
    let (mut s, ack) = cx.connect(session_connect(&cx, &id, true, 30)?).await?;
    require_qos(&ack, QoS::ExactlyOnce)?;
    s.subscribe(&t, QoS::ExactlyOnce).await?;
    let (mut p, _) = cx.client().await?;
    p.publish(expiring(&t, b"x", QoS::ExactlyOnce, 1)?).await?;
    let first = s.expect_publish("the QoS 2 delivery").await?;
    s.drop_abruptly().await;
    // Well past the 1 s expiry, even for a broker that counts in whole seconds.
    pause(Duration::from_millis(2200)).await;
    let (mut s, _) = cx.connect(session_connect(&cx, &id, false, 30)?).await?;
    let again = s
        .expect_publish("the sent QoS 2 PUBLISH again, although its expiry passed")
        .await?;
    ensure(
        again.packet_id == first.packet_id,
        "the same PUBLISH (same packet id)",
        || describe(&Packet::Publish(again.clone())),
    )?;
    s.ack(&again).await?;
    s.disconnect().await
}
