//! Topic aliases, both directions.

use super::prelude::*;

cases! { V5;
    "topic_alias.broker_accepts_aliases_up_to_its_maximum"
        ["MQTT-3.3.2-12"] => accepts_up_to_maximum;
    "topic_alias.alias_0_is_a_protocol_error"
        ["MQTT-3.3.2-8", "MQTT-4.13.1-1"] => alias_zero;
    "topic_alias.aliases_do_not_outlive_the_connection"
        ["MQTT-3.3.2-7"] => per_connection;
    "topic_alias.broker_aliases_stay_within_the_client_maximum"
        ["MQTT-3.1.2-26", "MQTT-3.3.2-11", "MQTT-3.3.2-8"] => within_client_maximum;
    "topic_alias.no_broker_aliases_without_a_client_maximum"
        ["MQTT-3.1.2-27"] => none_without_maximum;
}

/// A PUBLISH to `t` (empty for alias-only) carrying Topic Alias `alias`.
fn aliased(t: &str, alias: u16, payload: &[u8]) -> Check<Publish> {
    let mut p = if t.is_empty() {
        Publish::new(
            flowsdk_codec::TopicName::empty(),
            Bytes::copy_from_slice(payload),
        )
    } else {
        message(t, payload, QoS::AtMostOnce)?
    };
    p.qos = QoS::AtLeastOnce;
    p.properties.set_topic_alias(Some(alias));
    Ok(p)
}

async fn accepts_up_to_maximum(cx: CaseContext) -> Check {
    let t = cx.topic("t");
    let (mut p, ack) = cx.client().await?;
    let max = require_topic_aliases(&ack)?;
    let (mut s, _) = cx.client().await?;
    s.subscribe(&t, QoS::AtLeastOnce).await?;
    for alias in [1, max] {
        p.publish(aliased(&t, alias, b"set")?).await?;
        p.publish(aliased("", alias, b"use")?).await?;
        for want in [b"set".as_slice(), b"use".as_slice()] {
            let m = s.expect_message("the aliased message").await?;
            ensure(
                m.topic.as_str() == t && m.payload.as_ref() == want,
                &format!("the message sent with Topic Alias {alias}, on its full topic"),
                || describe(&Packet::Publish(m.clone())),
            )?;
        }
    }
    Ok(())
}

async fn alias_zero(cx: CaseContext) -> Check {
    let (mut p, _) = cx.client().await?;
    let props = RawProperties::new()
        .two_byte_integer(flowsdk_codec::PropertyId::TopicAlias.as_u8(), 0)
        .build();
    let bytes = RawPacketBuilder::publish(cx.topic("t"), QoS::AtMostOnce)
        .properties(&props)
        .payload(b"x")
        .build();
    p.send_raw(&bytes, "PUBLISH with Topic Alias 0").await?;
    p.expect_protocol_close("a Topic Alias of 0").await
}

async fn per_connection(cx: CaseContext) -> Check {
    let t = cx.topic("t");
    let (mut p, ack) = cx.client().await?;
    require_topic_aliases(&ack)?;
    p.publish(aliased(&t, 1, b"set")?).await?;
    p.disconnect().await?;
    let (mut p, _) = cx.client().await?;
    // Alias 1 means nothing on this connection: a PUBLISH with only the alias is an error.
    let mut m = aliased("", 1, b"use")?;
    m.qos = QoS::AtMostOnce;
    p.send(&Packet::Publish(m)).await?;
    p.expect_protocol_close("a Topic Alias set on an earlier connection")
        .await
}

/// Connects a subscriber with `maximum` (None: no Topic Alias Maximum), has it receive three
/// messages on each of three topics, and returns them.
async fn deliveries(cx: &CaseContext, maximum: Option<u16>) -> Check<Vec<Publish>> {
    let mut c = cx.connect_packet(&cx.client_id())?;
    c.properties.set_topic_alias_maximum(maximum);
    let (mut s, _) = cx.connect(c).await?;
    let long = "a-long-level-name-worth-an-alias";
    for i in 0..3 {
        s.subscribe(&cx.topic(&format!("{long}/{i}")), QoS::AtMostOnce)
            .await?;
    }
    let (mut p, _) = cx.client().await?;
    for _ in 0..3 {
        for i in 0..3 {
            p.publish(message(
                &cx.topic(&format!("{long}/{i}")),
                b"x",
                QoS::AtMostOnce,
            )?)
            .await?;
        }
    }
    let got = s.drain_messages().await?;
    ensure(got.len() == 9, "nine deliveries", || {
        format!("{}", got.len())
    })?;
    Ok(got)
}

async fn within_client_maximum(cx: CaseContext) -> Check {
    let got = deliveries(&cx, Some(2)).await?;
    let aliases: Vec<u16> = got
        .iter()
        .filter_map(|m| m.properties.topic_alias())
        .collect();
    ensure(
        aliases.iter().all(|a| (1..=2).contains(a)),
        "Topic Aliases, if any, between 1 and the client's maximum 2",
        || format!("{aliases:?}"),
    )
}

async fn none_without_maximum(cx: CaseContext) -> Check {
    let got = deliveries(&cx, None).await?;
    let aliases: Vec<u16> = got
        .iter()
        .filter_map(|m| m.properties.topic_alias())
        .collect();
    ensure(
        aliases.is_empty(),
        "no Topic Alias when the client sent no Topic Alias Maximum",
        || format!("{aliases:?}"),
    )
}
