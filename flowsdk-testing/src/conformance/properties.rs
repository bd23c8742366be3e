//! PUBLISH properties the broker forwards unchanged.

use super::prelude::*;

cases! { V5;
    "properties.payload_format_indicator_is_forwarded"
        ["MQTT-3.3.2-4"] => payload_format;
    "properties.response_topic_and_correlation_data_are_forwarded"
        ["MQTT-3.3.2-15", "MQTT-3.3.2-16"] => response_topic;
    "properties.user_properties_are_forwarded_in_order"
        ["MQTT-3.3.2-17", "MQTT-3.3.2-18"] => user_properties;
    "properties.content_type_is_forwarded"
        ["MQTT-3.3.2-20"] => content_type;
}

/// Publishes `p` (QoS 1) to a fresh topic and returns what a subscriber receives.
async fn round_trip(cx: &CaseContext, mut p: Publish) -> Check<Publish> {
    let t = cx.topic("p");
    p.topic = topic(&t)?;
    p.qos = QoS::AtLeastOnce;
    let (mut s, _) = cx.client().await?;
    s.subscribe(&t, QoS::AtLeastOnce).await?;
    let (mut sender, _) = cx.client().await?;
    sender.publish(p).await?;
    s.expect_message("the message").await
}

async fn payload_format(cx: CaseContext) -> Check {
    let mut p = message(&cx.topic("p"), "text ✓".as_bytes(), QoS::AtLeastOnce)?;
    p.properties
        .set_payload_format_indicator(Some(PayloadFormat::Utf8));
    let m = round_trip(&cx, p).await?;
    ensure(
        m.properties.payload_format_indicator() == Some(PayloadFormat::Utf8),
        "Payload Format Indicator 1 forwarded",
        || format!("{:?}", m.properties.payload_format_indicator()),
    )
}

async fn response_topic(cx: CaseContext) -> Check {
    let mut p = message(&cx.topic("p"), b"req", QoS::AtLeastOnce)?;
    let reply = cx.topic("reply/to");
    p.properties.set_response_topic(Some(topic(&reply)?));
    let data = Bytes::from_static(&[0, 1, 2, 0xFF, b'c']);
    p.properties.set_correlation_data(Some(data.clone()));
    let m = round_trip(&cx, p).await?;
    ensure(
        m.properties.response_topic().as_ref().map(|t| t.as_str()) == Some(reply.as_str())
            && m.properties.correlation_data() == Some(data),
        "Response Topic and Correlation Data forwarded unchanged",
        || format!("{:?}", m.properties),
    )
}

async fn user_properties(cx: CaseContext) -> Check {
    let mut p = message(&cx.topic("p"), b"u", QoS::AtLeastOnce)?;
    let pairs = [("b", "1"), ("a", "2"), ("b", "3"), ("z", ""), ("a", "2")];
    for (k, v) in pairs {
        p.properties
            .push_user_property(k, v)
            .map_err(|e| Outcome::error(e.to_string()))?;
    }
    let m = round_trip(&cx, p).await?;
    let got: Vec<(&str, &str)> = m.properties.user_properties().collect();
    ensure(
        got == pairs,
        &format!("every User Property, in order: {pairs:?}"),
        || format!("{got:?}"),
    )
}

async fn content_type(cx: CaseContext) -> Check {
    let mut p = message(&cx.topic("p"), b"{}", QoS::AtLeastOnce)?;
    let ct = flowsdk_codec::MqttString::new("application/json; charset=utf-8")
        .map_err(|e| Outcome::error(e.to_string()))?;
    p.properties.set_content_type(Some(ct.clone()));
    let m = round_trip(&cx, p).await?;
    ensure(
        m.properties.content_type() == Some(ct),
        "Content Type forwarded unchanged",
        || format!("{:?}", m.properties.content_type()),
    )
}
