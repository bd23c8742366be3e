//! Subscription options: No Local, Retain Handling, Retain As Published.

use super::prelude::*;

cases! { V5;
    "subscription_options.no_local_suppresses_own_messages"
        ["MQTT-3.8.3-3"] => no_local;
    "subscription_options.retain_handling_0_sends_retained_at_every_subscribe"
        ["MQTT-3.3.1-9"] => retain_handling_0;
    "subscription_options.retain_handling_1_sends_retained_only_for_a_new_subscription"
        ["MQTT-3.3.1-10"] => retain_handling_1;
    "subscription_options.retain_handling_2_sends_no_retained"
        ["MQTT-3.3.1-11"] => retain_handling_2;
    "subscription_options.retain_as_published_0_clears_retain"
        ["MQTT-3.3.1-12"] => retain_as_published_0;
    "subscription_options.retain_as_published_1_keeps_retain"
        ["MQTT-3.3.1-13"] => retain_as_published_1;
}

async fn no_local(cx: CaseContext) -> Check {
    let t = cx.topic("t");
    let (mut a, _) = cx.client().await?;
    let opts = SubscriptionOptions {
        no_local: true,
        ..SubscriptionOptions::new(QoS::AtLeastOnce)
    };
    a.subscribe_granted(&t, opts).await?;
    let (mut b, _) = cx.client().await?;
    b.subscribe(&t, QoS::AtLeastOnce).await?;
    a.publish(message(&t, b"own", QoS::AtLeastOnce)?).await?;
    b.expect_message("the message at the other subscriber")
        .await?;
    a.expect_nothing("no copy of its own message (No Local = 1)")
        .await
}

/// A retained message on a fresh topic, and the topic.
async fn with_retained(cx: &CaseContext) -> Check<String> {
    let t = cx.topic("r");
    let (mut p, ack) = cx.client().await?;
    require_retain(&ack)?;
    p.publish(retained(&t, b"kept", QoS::AtLeastOnce)?).await?;
    p.disconnect().await?;
    Ok(t)
}

fn handling(h: RetainHandling) -> SubscriptionOptions {
    SubscriptionOptions {
        retain_handling: h,
        ..SubscriptionOptions::new(QoS::AtLeastOnce)
    }
}

async fn retain_handling_0(cx: CaseContext) -> Check {
    let t = with_retained(&cx).await?;
    let (mut s, _) = cx.client().await?;
    for round in ["first", "repeated"] {
        s.subscribe_granted(&t, handling(RetainHandling::SendAtSubscribe))
            .await?;
        let m = s
            .expect_message(&format!("the retained message at the {round} SUBSCRIBE"))
            .await?;
        ensure(
            m.retain && m.payload.as_ref() == b"kept",
            "the retained message with RETAIN = 1",
            || describe(&Packet::Publish(m.clone())),
        )?;
    }
    Ok(())
}

async fn retain_handling_1(cx: CaseContext) -> Check {
    let t = with_retained(&cx).await?;
    let (mut s, _) = cx.client().await?;
    s.subscribe_granted(&t, handling(RetainHandling::SendAtSubscribeIfNew))
        .await?;
    s.expect_message("the retained message for the new subscription")
        .await?;
    s.subscribe_granted(&t, handling(RetainHandling::SendAtSubscribeIfNew))
        .await?;
    s.expect_nothing("no retained message: the subscription already existed")
        .await
}

async fn retain_handling_2(cx: CaseContext) -> Check {
    let t = with_retained(&cx).await?;
    let (mut s, _) = cx.client().await?;
    s.subscribe_granted(&t, handling(RetainHandling::DoNotSend))
        .await?;
    s.expect_nothing("no retained message (Retain Handling 2)")
        .await
}

async fn retain_as_published_0(cx: CaseContext) -> Check {
    let t = cx.topic("r");
    let (mut p, ack) = cx.client().await?;
    require_retain(&ack)?;
    let (mut s, _) = cx.client().await?;
    s.subscribe(&t, QoS::AtLeastOnce).await?;
    p.publish(retained(&t, b"live", QoS::AtLeastOnce)?).await?;
    let m = s.expect_message("the retained PUBLISH, live").await?;
    ensure(
        !m.retain,
        "RETAIN = 0 on a live delivery (Retain As Published = 0)",
        || describe(&Packet::Publish(m.clone())),
    )
}

async fn retain_as_published_1(cx: CaseContext) -> Check {
    let t = cx.topic("r");
    let (mut p, ack) = cx.client().await?;
    require_retain(&ack)?;
    let (mut s, _) = cx.client().await?;
    s.subscribe_granted(&t, rap(QoS::AtLeastOnce)).await?;
    p.publish(retained(&t, b"retained", QoS::AtLeastOnce)?)
        .await?;
    let m = s.expect_message("the retained PUBLISH, live").await?;
    ensure(
        m.retain,
        "RETAIN = 1 as published (Retain As Published = 1)",
        || describe(&Packet::Publish(m.clone())),
    )?;
    p.publish(message(&t, b"plain", QoS::AtLeastOnce)?).await?;
    let m = s.expect_message("the plain PUBLISH").await?;
    ensure(!m.retain, "RETAIN = 0 as published", || {
        describe(&Packet::Publish(m.clone()))
    })
}
