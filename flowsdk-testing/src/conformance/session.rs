//! Sessions: Clean Start, Session Present, session expiry, resending on resume.

use super::prelude::*;

cases! { V5;
    "session.clean_start_1_discards_the_session"
        ["MQTT-3.1.2-4", "MQTT-3.1.4-4", "MQTT-3.2.2-2"] => clean_start_discards;
    "session.clean_start_0_resumes_the_session"
        ["MQTT-3.1.2-5", "MQTT-3.1.2-23", "MQTT-3.2.2-3", "MQTT-3.1.3-2"] => clean_start_0_resumes;
    "session.clean_start_0_without_a_session_creates_one"
        ["MQTT-3.1.2-6", "MQTT-3.2.2-3"] => clean_start_0_creates;
    "session.expired_session_is_discarded"
        ["MQTT-4.1.0-2"] => expired_session_is_discarded;
    "session.unacknowledged_qos1_is_resent_with_dup_on_resume"
        ["MQTT-3.3.1-1", "MQTT-4.4.0-1", "MQTT-4.3.2-3"] => qos1_resent_on_resume;
    "session.unacknowledged_qos2_publish_is_resent_on_resume"
        ["MQTT-3.3.1-1", "MQTT-4.4.0-1", "MQTT-4.3.3-3"] => qos2_publish_resent_on_resume;
    "session.unacknowledged_pubrel_is_resent_on_resume"
        ["MQTT-4.4.0-1", "MQTT-4.3.3-5", "MQTT-4.3.3-6"] => pubrel_resent_on_resume;
}

/// Session expiry the cases ask for: long enough to reconnect, short enough to clean up.
const EXPIRY: u32 = 30;

/// A CONNECT for `id` with Clean Start `clean` and Session Expiry Interval `expiry`.
pub(super) fn session_connect(
    cx: &CaseContext,
    id: &str,
    clean: bool,
    expiry: u32,
) -> Check<flowsdk_codec::Connect> {
    let mut c = cx.connect_packet(id)?;
    c.clean_start = clean;
    if expiry > 0 {
        c.properties.set_session_expiry_interval(Some(expiry));
    }
    Ok(c)
}

async fn clean_start_discards(cx: CaseContext) -> Check {
    let id = cx.client_id();
    let t = cx.topic("t");
    let (mut s, _) = cx
        .connect(session_connect(&cx, &id, false, EXPIRY)?)
        .await?;
    s.subscribe(&t, QoS::AtLeastOnce).await?;
    s.disconnect().await?;
    let (mut s, ack) = cx.connect(session_connect(&cx, &id, true, EXPIRY)?).await?;
    ensure(
        !ack.session_present,
        "Session Present = 0 for Clean Start = 1",
        || "Session Present = 1".into(),
    )?;
    let (mut p, _) = cx.client().await?;
    p.publish(message(&t, b"after", QoS::AtLeastOnce)?).await?;
    s.expect_nothing("no message: Clean Start = 1 discarded the subscription")
        .await?;
    s.disconnect().await
}

async fn clean_start_0_resumes(cx: CaseContext) -> Check {
    let id = cx.client_id();
    let t = cx.topic("t");
    let (mut s, _) = cx.connect(session_connect(&cx, &id, true, EXPIRY)?).await?;
    s.subscribe(&t, QoS::AtLeastOnce).await?;
    s.disconnect().await?;
    // Published while the subscriber is away: kept in its session.
    let (mut p, _) = cx.client().await?;
    p.publish(message(&t, b"while away", QoS::AtLeastOnce)?)
        .await?;
    let (mut s, ack) = cx
        .connect(session_connect(&cx, &id, false, EXPIRY)?)
        .await?;
    ensure(
        ack.session_present,
        "Session Present = 1 when resuming a session",
        || "Session Present = 0".into(),
    )?;
    let m = s.expect_message("the message queued while away").await?;
    ensure(
        m.payload.as_ref() == b"while away",
        "the message queued while away",
        || describe(&Packet::Publish(m.clone())),
    )?;
    p.publish(message(&t, b"live", QoS::AtLeastOnce)?).await?;
    let m = s
        .expect_message("a message on the resumed subscription")
        .await?;
    ensure(
        m.payload.as_ref() == b"live",
        "the live message on the resumed subscription",
        || describe(&Packet::Publish(m.clone())),
    )?;
    s.disconnect().await
}

async fn clean_start_0_creates(cx: CaseContext) -> Check {
    let id = cx.client_id();
    let (mut s, ack) = cx
        .connect(session_connect(&cx, &id, false, EXPIRY)?)
        .await?;
    ensure(
        !ack.session_present,
        "Session Present = 0 when no session existed",
        || "Session Present = 1".into(),
    )?;
    s.subscribe(&cx.topic("t"), QoS::AtMostOnce).await?;
    s.disconnect().await?;
    let (s, ack) = cx
        .connect(session_connect(&cx, &id, false, EXPIRY)?)
        .await?;
    ensure(
        ack.session_present,
        "Session Present = 1: the session created by the first connection exists",
        || "Session Present = 0".into(),
    )?;
    s.disconnect().await
}

async fn expired_session_is_discarded(cx: CaseContext) -> Check {
    let id = cx.client_id();
    let (mut s, _) = cx.connect(session_connect(&cx, &id, true, 1)?).await?;
    s.subscribe(&cx.topic("t"), QoS::AtMostOnce).await?;
    s.disconnect().await?;
    pause(Duration::from_millis(2500)).await;
    let (s, ack) = cx.connect(session_connect(&cx, &id, false, 0)?).await?;
    ensure(
        !ack.session_present,
        "Session Present = 0 after the Session Expiry Interval (1 s) elapsed",
        || "Session Present = 1".into(),
    )?;
    s.disconnect().await
}

/// A subscriber with a session at `qos` on `t`, and a publisher that has sent it one message.
async fn subscriber_with_delivery(
    cx: &CaseContext,
    id: &str,
    t: &str,
    qos: QoS,
) -> Check<(Probe, Publish)> {
    let (mut s, ack) = cx.connect(session_connect(cx, id, true, EXPIRY)?).await?;
    require_qos(&ack, qos)?;
    s.subscribe(t, qos).await?;
    let (mut p, _) = cx.client().await?;
    p.publish(message(t, b"m", qos)?).await?;
    let first = s.expect_publish("the message").await?;
    ensure(
        !first.dup && first.qos == qos,
        &format!("first delivery at QoS {} with DUP = 0", qos.as_u8()),
        || describe(&Packet::Publish(first.clone())),
    )?;
    Ok((s, first))
}

async fn qos1_resent_on_resume(cx: CaseContext) -> Check {
    let id = cx.client_id();
    let t = cx.topic("t");
    let (s, first) = subscriber_with_delivery(&cx, &id, &t, QoS::AtLeastOnce).await?;
    s.drop_abruptly().await;
    let (mut s, _) = cx
        .connect(session_connect(&cx, &id, false, EXPIRY)?)
        .await?;
    let again = s.expect_publish("the unacknowledged PUBLISH again").await?;
    ensure(
        again.dup && again.packet_id == first.packet_id && again.payload == first.payload,
        "the same PUBLISH, same packet id, DUP = 1",
        || describe(&Packet::Publish(again.clone())),
    )?;
    s.ack(&again).await?;
    s.disconnect().await
}

async fn qos2_publish_resent_on_resume(cx: CaseContext) -> Check {
    let id = cx.client_id();
    let t = cx.topic("t");
    let (s, first) = subscriber_with_delivery(&cx, &id, &t, QoS::ExactlyOnce).await?;
    s.drop_abruptly().await;
    let (mut s, _) = cx
        .connect(session_connect(&cx, &id, false, EXPIRY)?)
        .await?;
    let again = s
        .expect_publish("the PUBLISH not yet answered by PUBREC, again")
        .await?;
    ensure(
        again.dup && again.packet_id == first.packet_id && again.qos == QoS::ExactlyOnce,
        "the same QoS 2 PUBLISH, same packet id, DUP = 1",
        || describe(&Packet::Publish(again.clone())),
    )?;
    s.ack(&again).await?;
    s.disconnect().await
}

async fn pubrel_resent_on_resume(cx: CaseContext) -> Check {
    let id = cx.client_id();
    let t = cx.topic("t");
    let (mut s, first) = subscriber_with_delivery(&cx, &id, &t, QoS::ExactlyOnce).await?;
    let Some(packet_id) = first.packet_id else {
        return Err(Outcome::fail("a packet id on a QoS 2 PUBLISH", "none"));
    };
    s.send(&Packet::PubRec(PubRec::new(packet_id))).await?;
    s.expect_pubrel(packet_id).await?;
    // No PUBCOMP: the broker must keep the PUBREL and send it again on resume.
    s.drop_abruptly().await;
    let (mut s, _) = cx
        .connect(session_connect(&cx, &id, false, EXPIRY)?)
        .await?;
    let packet = s.recv("the PUBREL again").await?;
    ensure(
        matches!(&packet, Packet::PubRel(r) if r.packet_id == packet_id),
        &format!("PUBREL for packet id {packet_id} (and not the PUBLISH)"),
        || describe(&packet),
    )?;
    s.send(&Packet::PubComp(PubComp::new(packet_id))).await?;
    s.expect_nothing("nothing more: the QoS 2 flow is complete")
        .await?;
    s.disconnect().await
}
