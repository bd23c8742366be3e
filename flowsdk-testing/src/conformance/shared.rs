//! Shared subscriptions: one member per message, granted QoS, what happens on failure.

use super::prelude::*;
use super::session::session_connect;

cases! { V5;
    "shared.member_granted_qos_is_honoured"
        ["MQTT-4.8.2-3"] => granted_qos;
    "shared.rejected_message_is_not_given_to_another_member"
        ["MQTT-4.8.2-6"] => rejected_not_redistributed;
    "shared.interrupted_qos2_delivery_resumes_on_the_same_member"
        ["MQTT-4.8.2-4"] => qos2_resumes_on_same_member;
    "shared.message_of_an_ended_session_is_not_given_to_another_member"
        ["MQTT-4.8.2-5"] => ended_session;
    "shared.no_local_on_a_shared_subscription_is_a_protocol_error"
        ["MQTT-3.8.3-4", "MQTT-4.13.1-1"] => no_local_is_protocol_error;
    "shared.share_name_must_be_present"
        ["MQTT-4.8.2-1"] => share_name_present;
    "shared.share_name_must_not_hold_wildcards"
        ["MQTT-4.8.2-2"] => share_name_without_wildcards;
}

/// `$share/<group>/<t>`.
fn shared_filter(cx: &CaseContext, t: &str) -> String {
    format!("$share/g{}/{}", cx.client_id(), t)
}

/// Two members of one share group on `t` at `qos`, each made by `connect` (a client id), and
/// whether the broker supports shared subscriptions.
async fn members(
    cx: &CaseContext,
    f: &str,
    qos: QoS,
    expiry: u32,
) -> Check<(Vec<(String, Probe)>, ConnAck)> {
    let mut out = Vec::new();
    let mut first_ack = None;
    for _ in 0..2 {
        let id = cx.client_id();
        let (mut m, ack) = cx.connect(session_connect(cx, &id, true, expiry)?).await?;
        require_shared(&ack)?;
        require_qos(&ack, qos)?;
        m.subscribe(f, qos).await?;
        out.push((id, m));
        first_ack.get_or_insert(ack);
    }
    let ack = first_ack.ok_or_else(|| Outcome::error("no member connected"))?;
    Ok((out, ack))
}

/// Waits on each member in turn for the one delivery; returns the index of the member that
/// got it, and the message.
async fn receiving_member(ms: &mut [(String, Probe)]) -> Check<(usize, Publish)> {
    for (i, (_, m)) in ms.iter_mut().enumerate() {
        if let Ok(Packet::Publish(p)) = m.recv_result(Duration::from_millis(1500)).await {
            return Ok((i, p));
        }
    }
    Err(Outcome::fail(
        "the message at one member of the share group",
        "nothing",
    ))
}

async fn granted_qos(cx: CaseContext) -> Check {
    let t = cx.topic("t");
    let f = shared_filter(&cx, &t);
    let (mut ms, _) = members(&cx, &f, QoS::AtMostOnce, 0).await?;
    let (mut p, _) = cx.client().await?;
    for _ in 0..2 {
        p.publish(message(&t, b"x", QoS::AtLeastOnce)?).await?;
    }
    let mut got = Vec::new();
    for (_, m) in ms.iter_mut() {
        got.extend(m.drain_messages().await?);
    }
    ensure(
        got.len() == 2 && got.iter().all(|m| m.qos == QoS::AtMostOnce),
        "two deliveries, each at the member's granted QoS 0",
        || format!("{:?}", got.iter().map(|m| m.qos).collect::<Vec<_>>()),
    )
}

async fn rejected_not_redistributed(cx: CaseContext) -> Check {
    let t = cx.topic("t");
    let f = shared_filter(&cx, &t);
    let (mut ms, _) = members(&cx, &f, QoS::AtLeastOnce, 0).await?;
    let (mut p, _) = cx.client().await?;
    p.publish(message(&t, b"x", QoS::AtLeastOnce)?).await?;
    let (i, m) = receiving_member(&mut ms).await?;
    let Some(id) = m.packet_id else {
        return Err(Outcome::fail("a packet id", "none"));
    };
    ms[i]
        .1
        .send(&Packet::PubAck(PubAck::with_reason(
            id,
            ReasonCode::UnspecifiedError,
        )))
        .await?;
    for (j, (_, other)) in ms.iter_mut().enumerate() {
        if j != i {
            other
                .expect_nothing_for(
                    Duration::from_secs(1),
                    "the message rejected with PUBACK 0x80 not sent to another member",
                )
                .await?;
        }
    }
    Ok(())
}

async fn qos2_resumes_on_same_member(cx: CaseContext) -> Check {
    let t = cx.topic("t");
    let f = shared_filter(&cx, &t);
    let (mut ms, _) = members(&cx, &f, QoS::ExactlyOnce, 30).await?;
    let (mut p, _) = cx.client().await?;
    p.publish(message(&t, b"x", QoS::ExactlyOnce)?).await?;
    let (i, first) = receiving_member(&mut ms).await?;
    let (id, member) = ms.remove(i);
    member.drop_abruptly().await;
    for (_, other) in ms.iter_mut() {
        other
            .expect_nothing_for(
                Duration::from_secs(1),
                "the message not sent to another member",
            )
            .await?;
    }
    let (mut again, _) = cx.connect(session_connect(&cx, &id, false, 30)?).await?;
    let m = again
        .expect_publish("the interrupted QoS 2 message, on the same member")
        .await?;
    ensure(
        m.packet_id == first.packet_id && m.dup,
        "the same PUBLISH (same packet id, DUP = 1)",
        || describe(&Packet::Publish(m.clone())),
    )?;
    again.ack(&m).await?;
    again.disconnect().await
}

async fn ended_session(cx: CaseContext) -> Check {
    let t = cx.topic("t");
    let f = shared_filter(&cx, &t);
    // Session Expiry 0: the session ends with the connection.
    let (mut ms, _) = members(&cx, &f, QoS::AtLeastOnce, 0).await?;
    let (mut p, _) = cx.client().await?;
    p.publish(message(&t, b"x", QoS::AtLeastOnce)?).await?;
    let (i, _) = receiving_member(&mut ms).await?;
    let (_, member) = ms.remove(i);
    member.drop_abruptly().await;
    for (_, other) in ms.iter_mut() {
        other
            .expect_nothing_for(
                Duration::from_secs(1),
                "the unacknowledged message of the ended session not sent to another member",
            )
            .await?;
    }
    Ok(())
}

async fn no_local_is_protocol_error(cx: CaseContext) -> Check {
    let (mut s, ack) = cx.client().await?;
    require_shared(&ack)?;
    let f = shared_filter(&cx, &cx.topic("t"));
    let bytes = RawPacketBuilder::subscribe(f, QoS::AtMostOnce)
        .subscription_options(0x04)
        .build();
    s.send_raw(&bytes, "SUBSCRIBE with No Local on a shared subscription")
        .await?;
    s.expect_protocol_close("No Local = 1 on a shared subscription")
        .await
}

/// SUBSCRIBE to `f`: the broker must refuse it, with a SUBACK failure code or by closing.
pub(super) async fn expect_filter_refused(probe: &mut Probe, f: &[u8], what: &str) -> Check {
    let bytes = RawPacketBuilder::subscribe(f, QoS::AtMostOnce).build();
    probe.send_raw(&bytes, what).await?;
    let expected = format!("a SUBACK failure code, or the connection closed, for {what}");
    match probe.recv_result(Duration::from_secs(3)).await {
        Ok(Packet::SubAck(ack)) => ensure(
            ack.reason_codes.len() == 1 && is_failure(ack.reason_codes[0]),
            &expected,
            || codes_list(&ack.reason_codes),
        ),
        Ok(Packet::Disconnect(d)) => {
            ensure(is_failure(d.reason_code), &expected, || {
                format!("DISCONNECT {}", d.reason_code)
            })?;
            probe.expect_close(&expected).await.map(drop)
        }
        Ok(other) => Err(Outcome::fail(expected, describe(&other))),
        Err(crate::RawClientError::Closed) => Ok(()),
        Err(e) => Err(Outcome::fail(expected, e.to_string())),
    }
}

async fn share_name_present(cx: CaseContext) -> Check {
    let (_, ack) = cx.client().await?;
    require_shared(&ack)?;
    for f in [format!("$share//{}", cx.topic("t")), "$share/g".to_string()] {
        let (mut s, _) = cx.client().await?;
        expect_filter_refused(&mut s, f.as_bytes(), &format!("the filter {f:?}")).await?;
    }
    Ok(())
}

async fn share_name_without_wildcards(cx: CaseContext) -> Check {
    let (_, ack) = cx.client().await?;
    require_shared(&ack)?;
    for f in [
        format!("$share/g+/{}", cx.topic("t")),
        format!("$share/g#/{}", cx.topic("t")),
    ] {
        let (mut s, _) = cx.client().await?;
        expect_filter_refused(&mut s, f.as_bytes(), &format!("the filter {f:?}")).await?;
    }
    Ok(())
}
