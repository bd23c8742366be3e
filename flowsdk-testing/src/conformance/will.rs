//! Will messages: when they are published, kept or dropped, and how.

use super::prelude::*;
use super::session::session_connect;

cases! { V5;
    "will.published_when_the_connection_drops"
        ["MQTT-3.1.2-7", "MQTT-3.1.2-8", "MQTT-3.1.2-14"] => published_on_abrupt_close;
    "will.dropped_after_disconnect_0x00"
        ["MQTT-3.1.2-10", "MQTT-3.14.4-3"] => dropped_after_normal_disconnect;
    "will.published_after_disconnect_0x04"
        ["MQTT-3.1.2-8"] => published_after_disconnect_with_will;
    "will.retained_will_is_retained"
        ["MQTT-3.1.2-15"] => retained_will;
    "will.delay_postpones_the_will"
        ["MQTT-3.1.2-8"] => delay_postpones;
    "will.reconnect_within_the_delay_cancels_the_will"
        ["MQTT-3.1.3-9"] => reconnect_cancels;
    "will.session_end_before_the_delay_publishes_the_will"
        ["MQTT-3.1.2-8"] => session_end_publishes;
    "will.user_properties_keep_their_order"
        ["MQTT-3.1.3-10"] => user_properties_order;
    "will.qos_above_maximum_is_refused"
        ["MQTT-3.2.2-12"] => qos_above_maximum;
    "will.retain_without_retain_support_is_refused"
        ["MQTT-3.2.2-13"] => retain_unsupported;
}

/// A will on `t` with `payload` at QoS 1.
fn will_on(t: &str, payload: &[u8]) -> Check<Will> {
    let mut w = Will::new(topic(t)?, Bytes::copy_from_slice(payload));
    w.qos = QoS::AtLeastOnce;
    Ok(w)
}

/// A watcher subscribed to `t` with Retain As Published (so the will's RETAIN flag shows).
async fn watcher(cx: &CaseContext, t: &str) -> Check<Probe> {
    let (mut w, _) = cx.client().await?;
    w.subscribe_granted(t, rap(QoS::AtLeastOnce)).await?;
    Ok(w)
}

async fn published_on_abrupt_close(cx: CaseContext) -> Check {
    let t = cx.topic("will");
    let mut w = watcher(&cx, &t).await?;
    let mut c = cx.connect_packet(&cx.client_id())?;
    c.will = Some(will_on(&t, b"gone")?);
    let (a, _) = cx.connect(c).await?;
    a.drop_abruptly().await;
    let m = w
        .expect_message("the will after the connection dropped")
        .await?;
    ensure(
        m.topic.as_str() == t && m.payload.as_ref() == b"gone" && !m.retain,
        "the will, not retained (Will Retain = 0)",
        || describe(&Packet::Publish(m.clone())),
    )?;
    // Not retained: a new subscriber gets nothing.
    let (mut late, _) = cx.client().await?;
    late.subscribe(&t, QoS::AtLeastOnce).await?;
    late.expect_nothing("no retained will for a later subscriber")
        .await
}

async fn dropped_after_normal_disconnect(cx: CaseContext) -> Check {
    let t = cx.topic("will");
    let mut w = watcher(&cx, &t).await?;
    let mut c = cx.connect_packet(&cx.client_id())?;
    c.will = Some(will_on(&t, b"gone")?);
    let (a, _) = cx.connect(c).await?;
    a.disconnect().await?;
    w.expect_nothing_for(cx.quiet() * 2, "no will after DISCONNECT 0x00")
        .await
}

async fn published_after_disconnect_with_will(cx: CaseContext) -> Check {
    let t = cx.topic("will");
    let mut w = watcher(&cx, &t).await?;
    let mut c = cx.connect_packet(&cx.client_id())?;
    c.will = Some(will_on(&t, b"gone")?);
    let (a, _) = cx.connect(c).await?;
    a.disconnect_with(ReasonCode::DisconnectWithWillMessage)
        .await?;
    let m = w.expect_message("the will after DISCONNECT 0x04").await?;
    ensure(m.payload.as_ref() == b"gone", "the will", || {
        describe(&Packet::Publish(m.clone()))
    })
}

async fn retained_will(cx: CaseContext) -> Check {
    let t = cx.topic("will");
    let mut c = cx.connect_packet(&cx.client_id())?;
    let mut will = will_on(&t, b"gone")?;
    will.retain = true;
    c.will = Some(will);
    let (a, ack) = cx.connect(c).await?;
    require_retain(&ack)?;
    cx.remember_retained(&t);
    a.drop_abruptly().await;
    // Give the broker a moment to publish the will before subscribing.
    pause(cx.quiet()).await;
    let (mut late, _) = cx.client().await?;
    late.subscribe(&t, QoS::AtLeastOnce).await?;
    let m = late.expect_message("the retained will").await?;
    ensure(
        m.retain && m.payload.as_ref() == b"gone",
        "the will as a retained message (RETAIN = 1)",
        || describe(&Packet::Publish(m.clone())),
    )
}

/// Connects a will client with Will Delay Interval `delay` and Session Expiry `expiry`.
async fn delayed_will_client(
    cx: &CaseContext,
    id: &str,
    t: &str,
    delay: u32,
    expiry: u32,
) -> Check<Probe> {
    let mut c = session_connect(cx, id, true, expiry)?;
    let mut will = will_on(t, b"late")?;
    will.properties.set_will_delay_interval(Some(delay));
    c.will = Some(will);
    Ok(cx.connect(c).await?.0)
}

async fn delay_postpones(cx: CaseContext) -> Check {
    let t = cx.topic("will");
    let mut w = watcher(&cx, &t).await?;
    let id = cx.client_id();
    let a = delayed_will_client(&cx, &id, &t, 2, 30).await?;
    a.drop_abruptly().await;
    w.expect_nothing_for(
        Duration::from_millis(1200),
        "no will before the 2 s Will Delay Interval",
    )
    .await?;
    let m = w.expect_message("the will once the delay elapsed").await?;
    ensure(m.payload.as_ref() == b"late", "the will", || {
        describe(&Packet::Publish(m.clone()))
    })?;
    // Clean the session up.
    let (s, _) = cx.connect(session_connect(&cx, &id, true, 0)?).await?;
    s.disconnect().await
}

async fn reconnect_cancels(cx: CaseContext) -> Check {
    let t = cx.topic("will");
    let mut w = watcher(&cx, &t).await?;
    let id = cx.client_id();
    let a = delayed_will_client(&cx, &id, &t, 2, 30).await?;
    a.drop_abruptly().await;
    pause(Duration::from_millis(200)).await;
    let (s, _) = cx.connect(session_connect(&cx, &id, false, 30)?).await?;
    w.expect_nothing_for(
        Duration::from_millis(2500),
        "no will: the session reconnected within the Will Delay Interval",
    )
    .await?;
    s.disconnect().await
}

async fn session_end_publishes(cx: CaseContext) -> Check {
    let t = cx.topic("will");
    let mut w = watcher(&cx, &t).await?;
    let id = cx.client_id();
    // The session ends after 1 s, long before the 60 s delay: the will goes then.
    let a = delayed_will_client(&cx, &id, &t, 60, 1).await?;
    a.drop_abruptly().await;
    let m = w
        .expect_message("the will when the session ended (1 s)")
        .await?;
    ensure(m.payload.as_ref() == b"late", "the will", || {
        describe(&Packet::Publish(m.clone()))
    })
}

async fn user_properties_order(cx: CaseContext) -> Check {
    let t = cx.topic("will");
    let mut w = watcher(&cx, &t).await?;
    let mut c = cx.connect_packet(&cx.client_id())?;
    let mut will = will_on(&t, b"gone")?;
    let pairs = [("k", "1"), ("j", "2"), ("k", "3"), ("a", "4")];
    for (k, v) in pairs {
        will.properties
            .push_user_property(k, v)
            .map_err(|e| Outcome::error(e.to_string()))?;
    }
    c.will = Some(will);
    let (a, _) = cx.connect(c).await?;
    a.drop_abruptly().await;
    let m = w.expect_message("the will").await?;
    let got: Vec<(&str, &str)> = m.properties.user_properties().collect();
    ensure(
        got == pairs,
        &format!("the will's User Properties in order {pairs:?}"),
        || format!("{got:?}"),
    )
}

async fn qos_above_maximum(cx: CaseContext) -> Check {
    let (_probe, ack) = cx.client().await?;
    let max = max_qos(&ack);
    require(
        max != QoS::ExactlyOnce,
        "the broker supports QoS 2, so every Will QoS is within its capability",
    )?;
    let mut c = cx.connect_packet(&cx.client_id())?;
    let mut will = will_on(&cx.topic("will"), b"x")?;
    will.qos = QoS::ExactlyOnce;
    c.will = Some(will);
    let mut probe = cx.dial().await?;
    probe.set_version(ProtocolVersion::V5);
    probe.send(&Packet::Connect(Box::new(c))).await?;
    probe
        .expect_connect_refused("a Will QoS above Maximum QoS")
        .await
        .map(drop)
}

async fn retain_unsupported(cx: CaseContext) -> Check {
    let (_probe, ack) = cx.client().await?;
    require(
        ack.properties.retain_available() == Some(false),
        "the broker supports retained messages",
    )?;
    let mut c = cx.connect_packet(&cx.client_id())?;
    let mut will = will_on(&cx.topic("will"), b"x")?;
    will.retain = true;
    c.will = Some(will);
    let mut probe = cx.dial().await?;
    probe.set_version(ProtocolVersion::V5);
    probe.send(&Packet::Connect(Box::new(c))).await?;
    probe
        .expect_connect_refused("Will Retain = 1 without retain support")
        .await
        .map(drop)
}
