//! Flow control: the client's Receive Maximum bounds the broker's unacknowledged deliveries.

use super::prelude::*;

cases! { V5;
    "flow_control.receive_maximum_bounds_unacknowledged_deliveries"
        ["MQTT-3.3.4-9", "MQTT-4.9.0-1", "MQTT-4.9.0-2"] => receive_maximum;
    "flow_control.exhausted_quota_does_not_hold_back_other_packets"
        ["MQTT-3.3.4-10", "MQTT-4.9.0-3"] => other_packets_flow;
}

/// A subscriber with Receive Maximum 2 on `t`, and a publisher that sent it five QoS 1
/// messages.
async fn saturated(cx: &CaseContext, t: &str) -> Check<Probe> {
    let mut c = cx.connect_packet(&cx.client_id())?;
    c.properties.set_receive_maximum(Some(2));
    let (mut s, _) = cx.connect(c).await?;
    s.subscribe(t, QoS::AtLeastOnce).await?;
    let (mut p, _) = cx.client().await?;
    for i in 0..5u8 {
        p.publish(message(t, &[b'0' + i], QoS::AtLeastOnce)?)
            .await?;
    }
    Ok(s)
}

async fn receive_maximum(cx: CaseContext) -> Check {
    let t = cx.topic("t");
    let mut s = saturated(&cx, &t).await?;
    let a = s.expect_publish("the first delivery").await?;
    let b = s.expect_publish("the second delivery").await?;
    s.expect_nothing("nothing more while two deliveries are unacknowledged (Receive Maximum 2)")
        .await?;
    let mut got = vec![a.clone(), b];
    s.ack(&a).await?;
    let c = s
        .expect_publish("the third delivery, once one was acknowledged")
        .await?;
    s.expect_nothing("nothing more: two unacknowledged again")
        .await?;
    got.push(c);
    for m in &got[1..] {
        s.ack(m).await?;
    }
    got.extend(s.drain_messages().await?);
    let payloads: Vec<u8> = got
        .iter()
        .map(|m| m.payload.first().copied().unwrap_or(0))
        .collect();
    ensure(
        payloads == b"01234",
        "all five messages, in order, two at a time",
        || String::from_utf8_lossy(&payloads).into_owned(),
    )
}

async fn other_packets_flow(cx: CaseContext) -> Check {
    let t = cx.topic("t");
    let mut s = saturated(&cx, &t).await?;
    let a = s.expect_publish("the first delivery").await?;
    let b = s.expect_publish("the second delivery").await?;
    // The quota is used up: PINGRESP, SUBACK and UNSUBACK must still come.
    s.ping().await?;
    s.subscribe(&cx.topic("other"), QoS::AtMostOnce).await?;
    s.unsubscribe(&[&cx.topic("other")]).await?;
    s.ack(&a).await?;
    s.ack(&b).await?;
    Ok(())
}
