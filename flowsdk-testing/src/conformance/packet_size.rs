//! The client's Maximum Packet Size: the broker sends nothing larger, dropping messages and
//! leaving out Reason Strings and User Properties to fit.

use super::prelude::*;

cases! { V5;
    "packet_size.oversized_message_is_dropped"
        ["MQTT-3.1.2-24", "MQTT-3.1.2-25"] => oversized_dropped;
    "packet_size.connack_fits_the_client_maximum"
        ["MQTT-3.2.2-19", "MQTT-3.2.2-20"] => connack_fits;
    "packet_size.publish_acknowledgements_fit_the_client_maximum"
        ["MQTT-3.4.2-2", "MQTT-3.4.2-3", "MQTT-3.5.2-2", "MQTT-3.5.2-3", "MQTT-3.6.2-2",
         "MQTT-3.6.2-3", "MQTT-3.7.2-2", "MQTT-3.7.2-3"] => publish_acks_fit;
    "packet_size.subscribe_acknowledgements_fit_the_client_maximum"
        ["MQTT-3.9.2-1", "MQTT-3.9.2-2", "MQTT-3.11.2-1", "MQTT-3.11.2-2"] => subscribe_acks_fit;
    "packet_size.disconnect_fits_the_client_maximum"
        ["MQTT-3.14.2-3", "MQTT-3.14.2-4"] => disconnect_fits;
}

/// A limit small enough that any Reason String or User Property risks exceeding it, and
/// large enough for every packet these cases need.
const SMALL: u32 = 64;

/// Fails when `packet` exceeds `max` while carrying a Reason String or User Properties (the
/// broker should have left them out), or exceeds `max` at all when `strict`.
fn fits(packet: &Packet, max: u32, strict: bool) -> Check {
    let size = wire_size(packet, ProtocolVersion::V5)?;
    if size <= max as usize {
        return Ok(());
    }
    let props = match packet {
        Packet::ConnAck(p) => &p.properties,
        Packet::PubAck(p) => &p.properties,
        Packet::PubRec(p) => &p.properties,
        Packet::PubRel(p) => &p.properties,
        Packet::PubComp(p) => &p.properties,
        Packet::SubAck(p) => &p.properties,
        Packet::UnsubAck(p) => &p.properties,
        Packet::Disconnect(p) => &p.properties,
        _ => {
            return Err(Outcome::fail(
                format!("packets of at most {max} bytes"),
                format!("{} of {size} bytes", describe(packet)),
            ))
        }
    };
    let optional = props.reason_string().is_some() || props.user_properties().next().is_some();
    ensure(
        !optional && !strict,
        &format!("packets of at most {max} bytes (Reason String and User Properties left out)"),
        || format!("{} of {size} bytes: {props:?}", describe(packet)),
    )
}

/// A client with Maximum Packet Size `max`.
async fn limited(cx: &CaseContext, id: &str, max: u32) -> Check<(Probe, ConnAck)> {
    let mut c = cx.connect_packet(id)?;
    c.properties.set_maximum_packet_size(Some(max));
    cx.connect(c).await
}

async fn oversized_dropped(cx: CaseContext) -> Check {
    let t = cx.topic("t");
    let (mut s, _) = limited(&cx, &cx.client_id(), 200).await?;
    s.subscribe(&t, QoS::AtLeastOnce).await?;
    let (mut p, _) = cx.client().await?;
    p.publish(message(&t, &payload_of(400), QoS::AtLeastOnce)?)
        .await?;
    p.publish(message(&t, b"small", QoS::AtLeastOnce)?).await?;
    let m = s
        .expect_message("the small message (the large one dropped)")
        .await?;
    ensure(
        m.payload.as_ref() == b"small",
        "only the message that fits 200 bytes",
        || describe(&Packet::Publish(m.clone())),
    )?;
    // Treated as delivered: not queued, nothing more arrives, the connection stays.
    s.expect_nothing("nothing more: the large message was dropped")
        .await?;
    s.ping().await
}

async fn connack_fits(cx: CaseContext) -> Check {
    let (_, ack) = limited(&cx, &cx.client_id(), 16).await?;
    fits(&Packet::ConnAck(ack), 16, false)?;
    // A refusal is where a broker likes to explain itself.
    let mut c = cx.connect_packet(&cx.client_id())?;
    c.properties.set_maximum_packet_size(Some(16));
    c.properties.set_authentication_method(Some(
        flowsdk_codec::MqttString::new("flowsdk-no-such-method")
            .map_err(|e| Outcome::error(e.to_string()))?,
    ));
    let (_, ack) = cx.open(c).await?;
    fits(&Packet::ConnAck(ack), 16, false)
}

async fn publish_acks_fit(cx: CaseContext) -> Check {
    let t = cx.topic("t");
    let (mut c, ack) = limited(&cx, &cx.client_id(), SMALL).await?;
    require_qos(&ack, QoS::ExactlyOnce)?;
    c.subscribe(&t, QoS::ExactlyOnce).await?;
    // Inbound: PUBACK and PUBREC/PUBCOMP, to a topic nobody else reads (0x10 is likely).
    for qos in [QoS::AtLeastOnce, QoS::ExactlyOnce] {
        let id = c.next_packet_id();
        let mut m = message(&cx.topic("nobody"), b"x", qos)?;
        m.packet_id = Some(id);
        c.send(&Packet::Publish(m)).await?;
        let answer = c.recv("the acknowledgement").await?;
        fits(&answer, SMALL, true)?;
        if qos == QoS::ExactlyOnce {
            c.send(&Packet::PubRel(PubRel::new(id))).await?;
            let answer = c.recv("PUBCOMP").await?;
            fits(&answer, SMALL, true)?;
        }
    }
    // Outbound: the PUBREL the broker sends on a QoS 2 delivery.
    let (mut p, _) = cx.client().await?;
    p.publish(message(&t, b"x", QoS::ExactlyOnce)?).await?;
    let m = c.expect_publish("the QoS 2 delivery").await?;
    fits(&Packet::Publish(m.clone()), SMALL, true)?;
    let Some(id) = m.packet_id else {
        return Err(Outcome::fail("a packet id", "none"));
    };
    c.send(&Packet::PubRec(PubRec::new(id))).await?;
    let rel = c.expect_pubrel(id).await?;
    fits(&Packet::PubRel(rel), SMALL, true)?;
    c.send(&Packet::PubComp(PubComp::new(id))).await
}

async fn subscribe_acks_fit(cx: CaseContext) -> Check {
    let (mut c, _) = limited(&cx, &cx.client_id(), SMALL).await?;
    let ack = c
        .subscribe_options(&cx.topic("t"), SubscriptionOptions::new(QoS::AtLeastOnce))
        .await?;
    fits(&Packet::SubAck(ack), SMALL, true)?;
    let ack = c.unsubscribe(&[&cx.topic("never-subscribed")]).await?;
    fits(&Packet::UnsubAck(ack), SMALL, true)
}

async fn disconnect_fits(cx: CaseContext) -> Check {
    let id = cx.client_id();
    let (mut old, _) = limited(&cx, &id, 16).await?;
    let (_new, _) = cx.connect(cx.connect_packet(&id)?).await?;
    match old
        .expect_close("the old connection closed after a takeover")
        .await?
    {
        Some(d) => fits(&Packet::Disconnect(d), 16, true),
        None => Err(Outcome::not_applicable(
            "the broker sent no DISCONNECT on takeover, so its size cannot be checked",
        )),
    }
}
