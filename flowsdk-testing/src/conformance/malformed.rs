//! Malformed packets and protocol errors: the broker must close the connection (after a
//! DISCONNECT with a failure reason code, if it sends one), or refuse the CONNECT.

use flowsdk_codec::PropertyId;

use super::prelude::*;
use super::shared::expect_filter_refused;

cases! { V5;
    "malformed.surrogate_code_point_in_a_string_closes"
        ["MQTT-1.5.4-1", "MQTT-4.13.1-1"] => surrogate;
    "malformed.null_character_in_a_topic_name_closes"
        ["MQTT-1.5.4-2", "MQTT-4.13.1-1"] => null_in_topic;
    "malformed.null_character_in_a_topic_filter_is_refused"
        ["MQTT-4.7.3-2"] => null_in_filter;
    "malformed.non_minimal_remaining_length_closes"
        ["MQTT-1.5.5-1", "MQTT-4.13.1-1"] => non_minimal_length;
    "malformed.invalid_utf8_in_a_user_property_closes"
        ["MQTT-1.5.7-1", "MQTT-4.13.1-1"] => bad_user_property;
    "malformed.reserved_fixed_header_flags_close"
        ["MQTT-2.1.3-1", "MQTT-4.13.1-1"] => reserved_flags;
    "malformed.missing_property_length_closes"
        ["MQTT-2.2.2-1", "MQTT-4.13.1-1"] => missing_property_length;
    "malformed.connect_reserved_flag_is_refused"
        ["MQTT-3.1.2-3", "MQTT-3.1.4-1", "MQTT-3.14.0-1"] => connect_reserved_flag;
    "malformed.connect_will_flag_without_will_fields_is_refused"
        ["MQTT-3.1.2-9", "MQTT-3.1.4-1"] => will_flag_without_will;
    "malformed.connect_will_qos_without_will_flag_is_refused"
        ["MQTT-3.1.2-11", "MQTT-3.1.4-1"] => will_qos_without_will;
    "malformed.connect_will_qos_3_is_refused"
        ["MQTT-3.1.2-12", "MQTT-3.1.4-1"] => will_qos_3;
    "malformed.connect_will_retain_without_will_flag_is_refused"
        ["MQTT-3.1.2-13", "MQTT-3.1.4-1"] => will_retain_without_will;
    "malformed.connect_user_name_without_flag_is_refused"
        ["MQTT-3.1.2-16", "MQTT-3.1.4-1"] => user_name_without_flag;
    "malformed.connect_user_name_flag_without_user_name_is_refused"
        ["MQTT-3.1.2-17", "MQTT-3.1.4-1"] => user_name_flag_without_user_name;
    "malformed.connect_password_without_flag_is_refused"
        ["MQTT-3.1.2-18", "MQTT-3.1.4-1"] => password_without_flag;
    "malformed.connect_password_flag_without_password_is_refused"
        ["MQTT-3.1.2-19", "MQTT-3.1.4-1"] => password_flag_without_password;
    "malformed.connect_payload_out_of_order_is_refused"
        ["MQTT-3.1.3-1", "MQTT-3.1.4-1"] => payload_out_of_order;
    "malformed.connect_without_client_id_is_refused"
        ["MQTT-3.1.3-3", "MQTT-3.1.4-1", "MQTT-3.14.0-1"] => without_client_id;
    "malformed.connect_client_id_invalid_utf8_is_refused"
        ["MQTT-3.1.3-4", "MQTT-3.1.4-1"] => client_id_invalid_utf8;
    "malformed.connect_will_topic_invalid_utf8_is_refused"
        ["MQTT-3.1.3-11", "MQTT-3.1.4-1"] => will_topic_invalid_utf8;
    "malformed.connect_user_name_invalid_utf8_is_refused"
        ["MQTT-3.1.3-12", "MQTT-3.1.4-1"] => user_name_invalid_utf8;
    "malformed.qos0_publish_with_dup_closes"
        ["MQTT-3.3.1-2", "MQTT-4.13.1-1"] => qos0_dup;
    "malformed.publish_qos_3_closes"
        ["MQTT-3.3.1-4", "MQTT-4.13.1-1"] => qos3;
    "malformed.publish_topic_invalid_utf8_closes"
        ["MQTT-3.3.2-1", "MQTT-4.13.1-1"] => topic_invalid_utf8;
    "malformed.publish_topic_with_multi_level_wildcard_closes"
        ["MQTT-3.3.2-2", "MQTT-4.13.1-1"] => topic_with_hash;
    "malformed.publish_topic_with_single_level_wildcard_closes"
        ["MQTT-4.7.0-1", "MQTT-3.3.2-2", "MQTT-4.13.1-1"] => topic_with_plus;
    "malformed.publish_empty_topic_without_alias_closes"
        ["MQTT-4.7.3-1", "MQTT-4.13.1-1"] => empty_topic;
    "malformed.response_topic_invalid_utf8_closes"
        ["MQTT-3.3.2-13", "MQTT-4.13.1-1"] => response_topic_invalid_utf8;
    "malformed.response_topic_with_wildcard_closes"
        ["MQTT-3.3.2-14", "MQTT-4.13.1-1"] => response_topic_with_wildcard;
    "malformed.content_type_invalid_utf8_closes"
        ["MQTT-3.3.2-19", "MQTT-4.13.1-1"] => content_type_invalid_utf8;
    "malformed.pubrel_with_wrong_flags_closes"
        ["MQTT-3.6.1-1", "MQTT-4.13.1-1"] => pubrel_flags;
    "malformed.subscribe_with_wrong_flags_closes"
        ["MQTT-3.8.1-1", "MQTT-4.13.1-1"] => subscribe_flags;
    "malformed.subscribe_filter_invalid_utf8_closes"
        ["MQTT-3.8.3-1", "MQTT-4.13.1-1"] => subscribe_filter_invalid_utf8;
    "malformed.subscribe_without_filters_closes"
        ["MQTT-3.8.3-2", "MQTT-4.13.1-1"] => subscribe_without_filters;
    "malformed.subscribe_reserved_option_bits_close"
        ["MQTT-3.8.3-5", "MQTT-4.13.1-1"] => subscribe_reserved_bits;
    "malformed.unsubscribe_with_wrong_flags_closes"
        ["MQTT-3.10.1-1", "MQTT-4.13.1-1"] => unsubscribe_flags;
    "malformed.unsubscribe_filter_invalid_utf8_closes"
        ["MQTT-3.10.3-1", "MQTT-4.13.1-1"] => unsubscribe_filter_invalid_utf8;
    "malformed.unsubscribe_without_filters_closes"
        ["MQTT-3.10.3-2", "MQTT-4.13.1-1"] => unsubscribe_without_filters;
    "malformed.disconnect_with_reserved_flags_is_not_a_normal_disconnect"
        ["MQTT-3.14.1-1"] => disconnect_flags;
    "malformed.auth_with_reserved_flags_closes"
        ["MQTT-3.15.1-1", "MQTT-4.13.1-1"] => auth_flags;
    "malformed.multi_level_wildcard_not_last_is_refused"
        ["MQTT-4.7.1-1"] => hash_not_last;
    "malformed.single_level_wildcard_not_a_whole_level_is_refused"
        ["MQTT-4.7.1-2"] => plus_not_whole_level;
}

/// Connects, sends `bytes`, and expects the close.
async fn after_connect(cx: &CaseContext, bytes: Bytes, what: &str) -> Check {
    let (mut p, _) = cx.client().await?;
    p.send_raw(&bytes, what).await?;
    p.expect_protocol_close(what).await
}

/// Sends `bytes` as the first packet and expects the CONNECT refused.
async fn as_connect(cx: &CaseContext, connect: RawPacketBuilder, what: &str) -> Check {
    let mut p = cx.dial().await?;
    p.set_version(ProtocolVersion::V5);
    p.send_raw(&connect.client_id(cx.client_id()).build(), what)
        .await?;
    p.expect_connect_refused(what).await.map(drop)
}

/// A PUBLISH preset on `topic` bytes.
fn publish_on(topic: impl AsRef<[u8]>) -> RawPacketBuilder {
    RawPacketBuilder::publish(topic, QoS::AtMostOnce).payload(b"x")
}

fn with_suffix(cx: &CaseContext, suffix: &[u8]) -> Vec<u8> {
    let mut t = cx.topic("").into_bytes();
    t.extend_from_slice(suffix);
    t
}

async fn surrogate(cx: CaseContext) -> Check {
    // U+D800 encoded as UTF-8 would be: ED A0 80.
    let t = with_suffix(&cx, b"a\xED\xA0\x80");
    after_connect(
        &cx,
        publish_on(t).build(),
        "a topic holding the surrogate U+D800",
    )
    .await
}

async fn null_in_topic(cx: CaseContext) -> Check {
    let t = with_suffix(&cx, b"a\0b");
    after_connect(&cx, publish_on(t).build(), "a topic holding U+0000").await
}

async fn null_in_filter(cx: CaseContext) -> Check {
    let (mut p, _) = cx.client().await?;
    expect_filter_refused(
        &mut p,
        &with_suffix(&cx, b"a\0b"),
        "a topic filter holding U+0000",
    )
    .await
}

async fn non_minimal_length(cx: CaseContext) -> Check {
    // Remaining length 0 written in two bytes: 80 00.
    let bytes = RawPacketBuilder::pingreq()
        .remaining_length_overlong(2)
        .build();
    after_connect(
        &cx,
        bytes,
        "a PINGREQ whose remaining length 0 takes two bytes",
    )
    .await
}

async fn bad_user_property(cx: CaseContext) -> Check {
    let props = RawProperties::new()
        .utf8_pair(PropertyId::UserProperty.as_u8(), b"\xFF\xFEname", b"value")
        .build();
    let bytes = publish_on(cx.topic("t")).properties(&props).build();
    after_connect(&cx, bytes, "a User Property name that is not UTF-8").await
}

async fn reserved_flags(cx: CaseContext) -> Check {
    let bytes = RawPacketBuilder::pingreq().flags(0x01).build();
    after_connect(&cx, bytes, "a PINGREQ with flags 0001").await
}

async fn missing_property_length(cx: CaseContext) -> Check {
    // The filter's length then reads as the property length and the filter runs past the end.
    let bytes = RawPacketBuilder::subscribe(cx.topic("t"), QoS::AtMostOnce)
        .remove_field("properties")
        .build();
    after_connect(&cx, bytes, "a SUBSCRIBE without its property length").await
}

async fn connect_reserved_flag(cx: CaseContext) -> Check {
    as_connect(
        &cx,
        RawPacketBuilder::connect_v5().connect_flags(0x03),
        "a CONNECT with the reserved flag set",
    )
    .await
}

async fn will_flag_without_will(cx: CaseContext) -> Check {
    as_connect(
        &cx,
        RawPacketBuilder::connect_v5().connect_flags(0x06),
        "Will Flag = 1 without will fields",
    )
    .await
}

async fn will_qos_without_will(cx: CaseContext) -> Check {
    as_connect(
        &cx,
        RawPacketBuilder::connect_v5().connect_flags(0x0A),
        "Will QoS 1 with Will Flag = 0",
    )
    .await
}

async fn will_qos_3(cx: CaseContext) -> Check {
    let c = RawPacketBuilder::connect_v5()
        .connect_flags(0x1E)
        .will(b"", cx.topic("will"), b"x");
    as_connect(&cx, c, "Will QoS 3").await
}

async fn will_retain_without_will(cx: CaseContext) -> Check {
    as_connect(
        &cx,
        RawPacketBuilder::connect_v5().connect_flags(0x22),
        "Will Retain = 1 with Will Flag = 0",
    )
    .await
}

async fn user_name_without_flag(cx: CaseContext) -> Check {
    let c = RawPacketBuilder::connect_v5()
        .connect_flags(0x02)
        .username("user");
    as_connect(&cx, c, "a User Name with User Name Flag = 0").await
}

async fn user_name_flag_without_user_name(cx: CaseContext) -> Check {
    as_connect(
        &cx,
        RawPacketBuilder::connect_v5().connect_flags(0x82),
        "User Name Flag = 1 without a User Name",
    )
    .await
}

async fn password_without_flag(cx: CaseContext) -> Check {
    let c = RawPacketBuilder::connect_v5()
        .connect_flags(0x82)
        .username("user")
        .password(b"secret");
    as_connect(&cx, c, "a Password with Password Flag = 0").await
}

async fn password_flag_without_password(cx: CaseContext) -> Check {
    let c = RawPacketBuilder::connect_v5()
        .connect_flags(0xC2)
        .username("user");
    as_connect(&cx, c, "Password Flag = 1 without a Password").await
}

async fn payload_out_of_order(cx: CaseContext) -> Check {
    // User Name before the will fields: read in order, the will topic's length is 373.
    let c = RawPacketBuilder::connect_v5()
        .connect_flags(0x86)
        .username("u")
        .will(b"", "t", b"p");
    as_connect(&cx, c, "a User Name before the will fields").await
}

async fn without_client_id(cx: CaseContext) -> Check {
    let mut p = cx.dial().await?;
    p.set_version(ProtocolVersion::V5);
    let bytes = RawPacketBuilder::connect_v5()
        .remove_field("client_id")
        .build();
    p.send_raw(&bytes, "a CONNECT without Client Identifier")
        .await?;
    p.expect_connect_refused("a CONNECT without Client Identifier")
        .await
        .map(drop)
}

async fn client_id_invalid_utf8(cx: CaseContext) -> Check {
    let mut p = cx.dial().await?;
    p.set_version(ProtocolVersion::V5);
    let bytes = RawPacketBuilder::connect_v5()
        .client_id(b"fc\xFF\xFE")
        .build();
    p.send_raw(&bytes, "a Client Identifier that is not UTF-8")
        .await?;
    p.expect_connect_refused("a Client Identifier that is not UTF-8")
        .await
        .map(drop)
}

async fn will_topic_invalid_utf8(cx: CaseContext) -> Check {
    let c = RawPacketBuilder::connect_v5()
        .connect_flags(0x06)
        .will(b"", b"will/\xC3\x28", b"x");
    as_connect(&cx, c, "a Will Topic that is not UTF-8").await
}

async fn user_name_invalid_utf8(cx: CaseContext) -> Check {
    let c = RawPacketBuilder::connect_v5()
        .connect_flags(0x82)
        .username(b"u\xC3\x28");
    as_connect(&cx, c, "a User Name that is not UTF-8").await
}

async fn qos0_dup(cx: CaseContext) -> Check {
    let bytes = publish_on(cx.topic("t")).flags(0x08).build();
    after_connect(&cx, bytes, "a QoS 0 PUBLISH with DUP = 1").await
}

async fn qos3(cx: CaseContext) -> Check {
    let bytes = RawPacketBuilder::publish(cx.topic("t"), QoS::AtLeastOnce)
        .flags(0x06)
        .payload(b"x")
        .build();
    after_connect(&cx, bytes, "a PUBLISH with QoS 3").await
}

async fn topic_invalid_utf8(cx: CaseContext) -> Check {
    let bytes = publish_on(with_suffix(&cx, b"\xC3\x28")).build();
    after_connect(&cx, bytes, "a Topic Name that is not UTF-8").await
}

async fn topic_with_hash(cx: CaseContext) -> Check {
    after_connect(
        &cx,
        publish_on(cx.topic("a/#")).build(),
        "a Topic Name holding #",
    )
    .await
}

async fn topic_with_plus(cx: CaseContext) -> Check {
    after_connect(
        &cx,
        publish_on(cx.topic("+/a")).build(),
        "a Topic Name holding +",
    )
    .await
}

async fn empty_topic(cx: CaseContext) -> Check {
    after_connect(
        &cx,
        publish_on("").build(),
        "an empty Topic Name without Topic Alias",
    )
    .await
}

async fn response_topic_invalid_utf8(cx: CaseContext) -> Check {
    let props = RawProperties::new()
        .utf8(PropertyId::ResponseTopic.as_u8(), b"reply/\xFF")
        .build();
    let bytes = publish_on(cx.topic("t")).properties(&props).build();
    after_connect(&cx, bytes, "a Response Topic that is not UTF-8").await
}

async fn response_topic_with_wildcard(cx: CaseContext) -> Check {
    let props = RawProperties::new()
        .utf8(PropertyId::ResponseTopic.as_u8(), cx.topic("reply/+"))
        .build();
    let bytes = publish_on(cx.topic("t")).properties(&props).build();
    after_connect(&cx, bytes, "a Response Topic holding +").await
}

async fn content_type_invalid_utf8(cx: CaseContext) -> Check {
    let props = RawProperties::new()
        .utf8(PropertyId::ContentType.as_u8(), b"text/\xC3\x28")
        .build();
    let bytes = publish_on(cx.topic("t")).properties(&props).build();
    after_connect(&cx, bytes, "a Content Type that is not UTF-8").await
}

async fn pubrel_flags(cx: CaseContext) -> Check {
    after_connect(
        &cx,
        RawPacketBuilder::pubrel(1).flags(0x00).build(),
        "a PUBREL with flags 0000",
    )
    .await
}

async fn subscribe_flags(cx: CaseContext) -> Check {
    let bytes = RawPacketBuilder::subscribe(cx.topic("t"), QoS::AtMostOnce)
        .flags(0x00)
        .build();
    after_connect(&cx, bytes, "a SUBSCRIBE with flags 0000").await
}

async fn subscribe_filter_invalid_utf8(cx: CaseContext) -> Check {
    let bytes = RawPacketBuilder::subscribe(with_suffix(&cx, b"\xFF"), QoS::AtMostOnce).build();
    after_connect(&cx, bytes, "a SUBSCRIBE filter that is not UTF-8").await
}

async fn subscribe_without_filters(cx: CaseContext) -> Check {
    let bytes = RawPacketBuilder::subscribe(cx.topic("t"), QoS::AtMostOnce)
        .remove_field("topic_filter")
        .remove_field("subscription_options")
        .build();
    after_connect(&cx, bytes, "a SUBSCRIBE without any filter").await
}

async fn subscribe_reserved_bits(cx: CaseContext) -> Check {
    let bytes = RawPacketBuilder::subscribe(cx.topic("t"), QoS::AtMostOnce)
        .subscription_options(0x80)
        .build();
    after_connect(&cx, bytes, "Subscription Options with reserved bit 7 set").await
}

async fn unsubscribe_flags(cx: CaseContext) -> Check {
    let bytes = RawPacketBuilder::unsubscribe(cx.topic("t"))
        .flags(0x00)
        .build();
    after_connect(&cx, bytes, "an UNSUBSCRIBE with flags 0000").await
}

async fn unsubscribe_filter_invalid_utf8(cx: CaseContext) -> Check {
    let bytes = RawPacketBuilder::unsubscribe(with_suffix(&cx, b"\xFF")).build();
    after_connect(&cx, bytes, "an UNSUBSCRIBE filter that is not UTF-8").await
}

async fn unsubscribe_without_filters(cx: CaseContext) -> Check {
    let bytes = RawPacketBuilder::unsubscribe(cx.topic("t"))
        .remove_field("topic_filter")
        .build();
    after_connect(&cx, bytes, "an UNSUBSCRIBE without any filter").await
}

async fn disconnect_flags(cx: CaseContext) -> Check {
    let t = cx.topic("will");
    let (mut w, _) = cx.client().await?;
    w.subscribe(&t, QoS::AtLeastOnce).await?;
    let mut c = cx.connect_packet(&cx.client_id())?;
    c.will = Some(Will::new(topic(&t)?, Bytes::from_static(b"gone")));
    let (mut a, _) = cx.connect(c).await?;
    let bytes = RawPacketBuilder::disconnect().flags(0x01).build();
    a.send_raw(&bytes, "a DISCONNECT with flags 0001").await?;
    a.expect_protocol_close("a DISCONNECT with flags 0001")
        .await?;
    // Malformed, so not a normal disconnection: the will must go out.
    let m = w
        .expect_message("the will: a malformed DISCONNECT does not discard it")
        .await?;
    ensure(m.payload.as_ref() == b"gone", "the will", || {
        describe(&Packet::Publish(m.clone()))
    })
}

async fn auth_flags(cx: CaseContext) -> Check {
    after_connect(
        &cx,
        RawPacketBuilder::auth().flags(0x01).build(),
        "an AUTH with flags 0001",
    )
    .await
}

async fn hash_not_last(cx: CaseContext) -> Check {
    let (mut p, _) = cx.client().await?;
    expect_filter_refused(&mut p, cx.topic("a/#/b").as_bytes(), "the filter a/#/b").await?;
    let (mut p, _) = cx.client().await?;
    expect_filter_refused(&mut p, cx.topic("a#").as_bytes(), "the filter a#").await
}

async fn plus_not_whole_level(cx: CaseContext) -> Check {
    let (mut p, _) = cx.client().await?;
    expect_filter_refused(&mut p, cx.topic("a+/b").as_bytes(), "the filter a+/b").await?;
    let (mut p, _) = cx.client().await?;
    expect_filter_refused(&mut p, cx.topic("a/b+").as_bytes(), "the filter a/b+").await
}
