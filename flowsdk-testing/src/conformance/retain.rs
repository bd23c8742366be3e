//! Retained messages: replacing, clearing, keeping.

use super::prelude::*;

cases! { V5;
    "retain.retained_message_replaces_the_previous_one_with_its_qos"
        ["MQTT-3.3.1-5"] => replaces_with_qos;
    "retain.empty_retained_payload_is_forwarded_and_clears"
        ["MQTT-3.3.1-6", "MQTT-3.3.1-7"] => empty_payload_clears;
    "retain.non_retained_publish_leaves_the_retained_message"
        ["MQTT-3.3.1-8"] => non_retained_leaves_it;
}

/// A connected publisher, or not applicable when the broker has no retained messages.
async fn publisher(cx: &CaseContext) -> Check<Probe> {
    let (p, ack) = cx.client().await?;
    require_retain(&ack)?;
    Ok(p)
}

/// A new subscriber's retained messages on `t` (subscribed at QoS 2, or the broker's max).
pub(super) async fn retained_for_new_subscriber(cx: &CaseContext, t: &str) -> Check<Vec<Publish>> {
    let (mut s, ack) = cx.client().await?;
    s.subscribe(t, max_qos(&ack)).await?;
    let got = s.drain_messages().await?;
    s.disconnect().await?;
    Ok(got)
}

fn summary(ps: &[Publish]) -> String {
    let items: Vec<String> = ps
        .iter()
        .map(|p| describe(&Packet::Publish(p.clone())))
        .collect();
    format!("[{}]", items.join("; "))
}

async fn replaces_with_qos(cx: CaseContext) -> Check {
    let t = cx.topic("r");
    let mut p = publisher(&cx).await?;
    p.publish(retained(&t, b"first", QoS::AtLeastOnce)?).await?;
    p.publish(retained(&t, b"second", QoS::AtMostOnce)?).await?;
    let got = retained_for_new_subscriber(&cx, &t).await?;
    ensure(
        got.len() == 1
            && got[0].payload.as_ref() == b"second"
            && got[0].qos == QoS::AtMostOnce
            && got[0].retain,
        "only the second retained message, at its QoS 0, RETAIN = 1",
        || summary(&got),
    )?;
    p.publish(retained(&t, b"third", QoS::AtLeastOnce)?).await?;
    let got = retained_for_new_subscriber(&cx, &t).await?;
    ensure(
        got.len() == 1 && got[0].payload.as_ref() == b"third" && got[0].qos == QoS::AtLeastOnce,
        "only the third retained message, at its QoS 1",
        || summary(&got),
    )
}

async fn empty_payload_clears(cx: CaseContext) -> Check {
    let t = cx.topic("r");
    let mut p = publisher(&cx).await?;
    p.publish(retained(&t, b"keep", QoS::AtLeastOnce)?).await?;
    let (mut s, _) = cx.client().await?;
    s.subscribe(&t, QoS::AtLeastOnce).await?;
    s.expect_message("the retained message").await?;
    p.publish(retained(&t, b"", QoS::AtLeastOnce)?).await?;
    let m = s
        .expect_message("the empty retained PUBLISH, forwarded")
        .await?;
    ensure(
        m.payload.is_empty(),
        "the empty PUBLISH forwarded to the existing subscriber",
        || describe(&Packet::Publish(m.clone())),
    )?;
    let got = retained_for_new_subscriber(&cx, &t).await?;
    ensure(
        got.is_empty(),
        "no retained message (cleared, and the empty one not stored)",
        || summary(&got),
    )
}

async fn non_retained_leaves_it(cx: CaseContext) -> Check {
    let t = cx.topic("r");
    let mut p = publisher(&cx).await?;
    p.publish(retained(&t, b"kept", QoS::AtLeastOnce)?).await?;
    p.publish(message(&t, b"live", QoS::AtLeastOnce)?).await?;
    p.publish(message(&t, b"", QoS::AtLeastOnce)?).await?;
    let got = retained_for_new_subscriber(&cx, &t).await?;
    ensure(
        got.len() == 1 && got[0].payload.as_ref() == b"kept",
        "the retained message unchanged by PUBLISHes with RETAIN = 0",
        || summary(&got),
    )
}
