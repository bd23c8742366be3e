//! Topic matching: wildcards, `$`-topics, no normalisation, strings kept as they are.

use super::prelude::*;

cases! { V5;
    "topics.wildcard_filters_get_exactly_the_matching_topics"
        ["MQTT-3.3.2-3", "MQTT-4.5.0-1"] => wildcard_matching;
    "topics.leading_wildcards_do_not_match_dollar_topics"
        ["MQTT-4.7.2-1"] => dollar_topics;
    "topics.matching_uses_topics_as_they_are"
        ["MQTT-4.7.3-4"] => no_normalisation;
    "topics.byte_order_mark_in_a_topic_is_kept"
        ["MQTT-1.5.4-3"] => bom_is_kept;
}

async fn wildcard_matching(cx: CaseContext) -> Check {
    let (mut s, ack) = cx.client().await?;
    require_wildcards(&ack)?;
    s.subscribe(&cx.topic("a/+/c"), QoS::AtMostOnce).await?;
    s.subscribe(&cx.topic("b/#"), QoS::AtMostOnce).await?;
    let (mut p, _) = cx.client().await?;
    let sent = [
        "a/x/c", "a/x/y/c", "a//c", "a/c", "b", "b/1", "b/1/2", "bb/1", "a/x/cc",
    ];
    let matching = ["a/x/c", "a//c", "b", "b/1", "b/1/2"];
    for t in sent {
        p.publish(message(&cx.topic(t), t.as_bytes(), QoS::AtMostOnce)?)
            .await?;
    }
    let got = s.drain_messages().await?;
    let mut got: Vec<String> = got.iter().map(|m| m.topic.as_str().to_string()).collect();
    got.sort();
    let mut want: Vec<String> = matching.iter().map(|t| cx.topic(t)).collect();
    want.sort();
    ensure(
        got == want,
        &format!("exactly the topics matching a/+/c and b/#: {matching:?}"),
        || format!("{got:?}"),
    )
}

async fn dollar_topics(cx: CaseContext) -> Check {
    let (mut all, ack) = cx.client().await?;
    require_wildcards(&ack)?;
    // Leading wildcards; Retain Handling 2 keeps whatever is retained on the broker away.
    let none = SubscriptionOptions {
        retain_handling: RetainHandling::DoNotSend,
        ..SubscriptionOptions::new(QoS::AtMostOnce)
    };
    all.subscribe_granted("#", none).await?;
    let rest = cx.prefix().split_once('/').map(|(_, r)| r).unwrap_or("");
    all.subscribe_granted(&format!("+/{rest}/d"), none).await?;
    let dollar = format!("${}/d", cx.prefix());
    let (mut exact, _) = cx.client().await?;
    let ack = exact
        .subscribe_options(&dollar, SubscriptionOptions::new(QoS::AtMostOnce))
        .await?;
    require(
        ack.reason_codes.first().is_some_and(|c| !is_failure(*c)),
        "the broker refuses subscriptions to $-topics of clients",
    )?;
    let (mut p, _) = cx.client().await?;
    p.publish(message(&dollar, b"dollar", QoS::AtMostOnce)?)
        .await?;
    let delivered = exact.drain_messages().await?;
    require(
        !delivered.is_empty(),
        "the broker does not deliver client publications to $-topics",
    )?;
    let got = all.drain_messages().await?;
    let leaked: Vec<String> = got
        .iter()
        .filter(|m| m.topic.as_str().starts_with('$'))
        .map(|m| m.topic.as_str().to_string())
        .collect();
    ensure(
        leaked.is_empty(),
        "no $-topic delivered to # or +/... subscriptions",
        || format!("{leaked:?}"),
    )
}

async fn no_normalisation(cx: CaseContext) -> Check {
    let (mut s, _) = cx.client().await?;
    // "é" precomposed; its decomposed form must not match.
    let exact = cx.topic("Caf\u{e9}/Abc");
    s.subscribe(&exact, QoS::AtMostOnce).await?;
    let (mut p, _) = cx.client().await?;
    for t in [
        cx.topic("caf\u{e9}/abc"),
        cx.topic("Cafe\u{301}/Abc"),
        cx.topic("Caf\u{e9}/Abc "),
        cx.topic("Caf\u{e9}//Abc"),
        exact.clone(),
    ] {
        p.publish(message(&t, t.as_bytes(), QoS::AtMostOnce)?)
            .await?;
    }
    let got = s.drain_messages().await?;
    let topics: Vec<&str> = got.iter().map(|m| m.topic.as_str()).collect();
    ensure(
        topics == [exact.as_str()],
        "only the byte-identical topic",
        || format!("{topics:?}"),
    )
}

async fn bom_is_kept(cx: CaseContext) -> Check {
    let t = cx.topic("\u{feff}bom");
    let (mut s, _) = cx.client().await?;
    s.subscribe(&t, QoS::AtMostOnce).await?;
    let (mut p, _) = cx.client().await?;
    p.publish(message(&t, b"bom", QoS::AtMostOnce)?).await?;
    let m = s
        .expect_message("the message on the topic with U+FEFF")
        .await?;
    ensure(
        m.topic.as_str() == t,
        "the topic with its EF BB BF bytes kept",
        || format!("{:?}", m.topic.as_str()),
    )
}
