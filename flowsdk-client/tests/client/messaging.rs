//! MQTT 5.0 messaging features through Mosquitto: retained messages, subscription options,
//! subscription identifiers, shared subscriptions, request/response, message streams, topic
//! aliases, the inflight window, and the 3.1.1 protocol.

use std::collections::BTreeSet;
use std::time::Duration;

use flowsdk_client::tokio_async_client::DroppedMessage;
use flowsdk_client::{ClientError, Operation, SubscribeCommand, TokioAsyncMqttClient};
use flowsdk_codec::{QoS, ReasonCode};

use super::support::{
    client, connected, eventually, mosquitto, mosquitto_with, unique, Cutter, Recorder, STEP,
};

/// Publishes a marker on `topic` from `c` (subscribed to it) and waits until it comes back:
/// everything the broker queued for `c` before the marker has then arrived.
async fn settle(c: &TokioAsyncMqttClient, seen: &Recorder, topic: &str) {
    let marker = unique("marker");
    c.publish_sync(topic, marker.clone(), 1, false)
        .await
        .unwrap();
    seen.until("the marker", |s| {
        s.messages.iter().any(|m| m.payload == marker.as_str())
    })
    .await;
}

// ---- retained messages ----

#[tokio::test]
async fn a_new_subscriber_receives_the_latest_retained_message() {
    let Some(broker) = mosquitto().await else {
        return;
    };
    let topic = unique("retained");
    let (publisher, _) = connected(&broker).await;
    publisher
        .publish_sync(&topic, "first", 1, true)
        .await
        .unwrap();
    // A retained PUBLISH replaces the topic's retained message [MQTT-3.3.1-5].
    publisher
        .publish_sync(&topic, "second", 1, true)
        .await
        .unwrap();

    let (sub, seen) = connected(&broker).await;
    let marker_topic = unique("marker");
    sub.subscribe_sync(&marker_topic, 1).await.unwrap();
    sub.subscribe_sync(&topic, 1).await.unwrap();
    settle(&sub, &seen, &marker_topic).await;
    let s = seen.seen();
    // Retain handling 0: retained messages are sent at subscribe [MQTT-3.3.1-9], with RETAIN 1.
    let retained: Vec<_> = s
        .messages
        .iter()
        .filter(|m| m.topic.as_str() == topic)
        .collect();
    assert_eq!(retained.len(), 1, "{retained:?}");
    assert_eq!(retained[0].payload, "second");
    assert!(retained[0].retain);
}

#[tokio::test]
async fn retain_handling_controls_what_a_subscribe_receives() {
    let Some(broker) = mosquitto().await else {
        return;
    };
    let topic = unique("rh");
    let (publisher, _) = connected(&broker).await;
    publisher
        .publish_sync(&topic, "kept", 1, true)
        .await
        .unwrap();

    let (sub, seen) = connected(&broker).await;
    let marker_topic = unique("marker");
    sub.subscribe_sync(&marker_topic, 1).await.unwrap();
    let with = |handling: u8| {
        SubscribeCommand::builder()
            .add_topic(&topic, 1)
            .with_retain_handling(handling)
            .build()
            .unwrap()
    };
    let retained = |seen: &Recorder| {
        seen.seen()
            .messages
            .iter()
            .filter(|m| m.topic.as_str() == topic)
            .count()
    };

    // Retain handling 2: no retained message at subscribe [MQTT-3.3.1-11].
    sub.subscribe_with_command_sync(with(2)).await.unwrap();
    settle(&sub, &seen, &marker_topic).await;
    assert_eq!(retained(&seen), 0);

    // Retain handling 1 on an existing subscription: still none [MQTT-3.3.1-10].
    sub.subscribe_with_command_sync(with(1)).await.unwrap();
    settle(&sub, &seen, &marker_topic).await;
    assert_eq!(retained(&seen), 0);

    // Retain handling 0 on the same filter replaces the subscription and sends the retained
    // message again [MQTT-3.8.4-4].
    sub.subscribe_with_command_sync(with(0)).await.unwrap();
    settle(&sub, &seen, &marker_topic).await;
    assert_eq!(retained(&seen), 1);

    // Retain handling 1 on a new subscription (after unsubscribing): sent [MQTT-3.3.1-10].
    sub.unsubscribe_sync(&topic).await.unwrap();
    sub.subscribe_with_command_sync(with(1)).await.unwrap();
    settle(&sub, &seen, &marker_topic).await;
    assert_eq!(retained(&seen), 2);
}

#[tokio::test]
async fn an_empty_retained_message_clears_the_topic() {
    let Some(broker) = mosquitto().await else {
        return;
    };
    let topic = unique("clear");
    let (publisher, _) = connected(&broker).await;
    publisher
        .publish_sync(&topic, "stale", 1, true)
        .await
        .unwrap();

    // A subscriber already there receives the empty retained PUBLISH like any other
    // [MQTT-3.3.1-6].
    let (early, early_seen) = connected(&broker).await;
    early.subscribe_sync(&topic, 1).await.unwrap();
    early_seen
        .until("the retained message", |s| s.messages.len() == 1)
        .await;
    publisher.publish_sync(&topic, "", 1, true).await.unwrap();
    early_seen
        .until("the empty message", |s| s.messages.len() == 2)
        .await;
    assert!(early_seen.seen().messages[1].payload.is_empty());

    // A new subscriber receives nothing: the retained message is gone and the empty one was
    // not stored [MQTT-3.3.1-6] [MQTT-3.3.1-7].
    let (late, late_seen) = connected(&broker).await;
    let marker_topic = unique("marker");
    late.subscribe_sync(&marker_topic, 1).await.unwrap();
    late.subscribe_sync(&topic, 1).await.unwrap();
    settle(&late, &late_seen, &marker_topic).await;
    assert_eq!(late_seen.seen().payloads_on(&topic), Vec::<String>::new());
}

#[tokio::test]
async fn retain_as_published_keeps_the_retain_flag() {
    let Some(broker) = mosquitto().await else {
        return;
    };
    let topic = unique("rap");
    let (c, seen) = connected(&broker).await;
    let cmd = SubscribeCommand::builder()
        .add_topic(format!("{topic}/kept"), 1)
        .with_retain_as_published(true)
        .add_topic(format!("{topic}/cleared"), 1)
        .build()
        .unwrap();
    c.subscribe_with_command_sync(cmd).await.unwrap();
    c.publish_sync(&format!("{topic}/kept"), "a", 1, true)
        .await
        .unwrap();
    c.publish_sync(&format!("{topic}/cleared"), "b", 1, true)
        .await
        .unwrap();
    seen.until("both", |s| s.messages.len() == 2).await;
    for m in &seen.seen().messages {
        if m.topic.as_str().ends_with("/kept") {
            // [MQTT-3.3.1-13]
            assert!(m.retain);
        } else {
            // [MQTT-3.3.1-12]
            assert!(!m.retain);
        }
    }
    // Leave no retained messages behind for other tests on the same broker.
    c.publish_sync(&format!("{topic}/kept"), "", 1, true)
        .await
        .unwrap();
    c.publish_sync(&format!("{topic}/cleared"), "", 1, true)
        .await
        .unwrap();
}

// ---- subscription options and identifiers ----

#[tokio::test]
async fn no_local_subscriptions_do_not_receive_their_own_messages() {
    let Some(broker) = mosquitto().await else {
        return;
    };
    let topic = unique("nolocal");
    let (c, seen) = connected(&broker).await;
    let cmd = SubscribeCommand::builder()
        .add_topic(&topic, 1)
        .with_no_local(true)
        .build()
        .unwrap();
    c.subscribe_with_command_sync(cmd).await.unwrap();
    // Without No Local, the client's own messages come back: the control.
    let control = unique("control");
    c.subscribe_sync(&control, 1).await.unwrap();
    c.publish_sync(&topic, "own", 1, false).await.unwrap();
    c.publish_sync(&control, "own control", 1, false)
        .await
        .unwrap();

    let (other, _) = connected(&broker).await;
    other.publish_sync(&topic, "other", 1, false).await.unwrap();
    seen.until("the other client's message and the control", |s| {
        s.payloads_on(&topic) == ["other"] && s.payloads_on(&control) == ["own control"]
    })
    .await;
    // [MQTT-3.8.3-3]: "own" never arrived (it would have come before "other").
    assert_eq!(seen.seen().payloads_on(&topic), ["other"]);
}

#[tokio::test]
async fn delivered_messages_carry_their_subscription_identifiers() {
    let Some(broker) = mosquitto().await else {
        return;
    };
    let topic = unique("subid");
    let (c, seen) = client(&broker.tcp_address(), |o| o, |c| c).await;
    let connected = c.connect_sync().await.unwrap();
    assert!(connected.server.subscription_identifiers_available);
    let wide = SubscribeCommand::builder()
        .add_topic(format!("{topic}/#"), 1)
        .with_subscription_id(42)
        .build()
        .unwrap();
    c.subscribe_with_command_sync(wide).await.unwrap();
    let narrow = SubscribeCommand::builder()
        .add_topic(format!("{topic}/a"), 1)
        .with_subscription_id(7)
        .build()
        .unwrap();
    c.subscribe_with_command_sync(narrow).await.unwrap();

    c.publish_sync(&format!("{topic}/b"), "b", 1, false)
        .await
        .unwrap();
    c.publish_sync(&format!("{topic}/a"), "a", 1, false)
        .await
        .unwrap();
    // "b" matches one subscription; "a" both, in one copy or two.
    seen.until("the messages", |s| {
        s.payloads_on(&format!("{topic}/b")).len() == 1
            && s.messages
                .iter()
                .filter(|m| m.topic.as_str() == format!("{topic}/a"))
                .flat_map(|m| m.properties.subscription_identifiers())
                .collect::<BTreeSet<_>>()
                == BTreeSet::from([7, 42])
    })
    .await;
    let s = seen.seen();
    for m in &s.messages {
        let ids: Vec<u32> = m.properties.subscription_identifiers().collect();
        if m.topic.as_str().ends_with("/b") {
            assert_eq!(ids, [42]);
        } else {
            // [MQTT-3.3.4-3] [MQTT-3.3.4-4] [MQTT-3.3.4-5]
            assert!(!ids.is_empty() && ids.iter().all(|i| [7, 42].contains(i)));
        }
    }
}

#[tokio::test]
async fn a_shared_subscription_delivers_each_message_to_one_member() {
    let Some(broker) = mosquitto().await else {
        return;
    };
    let topic = unique("shared");
    let group = format!("$share/g/{topic}");
    let marker_topic = unique("marker");
    let mut members = Vec::new();
    for _ in 0..2 {
        let (m, seen) = client(&broker.tcp_address(), |o| o, |c| c).await;
        let connected = m.connect_sync().await.unwrap();
        assert!(connected.server.shared_subscription_available);
        m.subscribe_sync(&group, 1).await.unwrap();
        m.subscribe_sync(&marker_topic, 1).await.unwrap();
        members.push((m, seen));
    }
    let (publisher, published) = connected(&broker).await;
    const N: usize = 40;
    for i in 0..N {
        publisher
            .publish(&topic, format!("{i}"), 1, false)
            .await
            .unwrap();
    }
    published
        .until("every PUBACK", |s| s.published.len() == N)
        .await;
    let total = |members: &[(TokioAsyncMqttClient, Recorder)]| {
        members
            .iter()
            .map(|(_, s)| s.seen().payloads_on(&topic).len())
            .sum::<usize>()
    };
    eventually("N messages across the group", || {
        (total(&members) >= N).then_some(())
    })
    .await;
    // A marker after the last message: any duplicate would have arrived before it.
    publisher
        .publish_sync(&marker_topic, "end", 1, false)
        .await
        .unwrap();
    for (_, seen) in &members {
        seen.until("the marker", |s| s.payloads_on(&marker_topic) == ["end"])
            .await;
    }
    let mut all: Vec<usize> = Vec::new();
    for (_, seen) in &members {
        all.extend(
            seen.seen()
                .payloads_on(&topic)
                .iter()
                .map(|p| p.parse::<usize>().unwrap()),
        );
    }
    all.sort_unstable();
    // Each message to exactly one member of the group (section 4.8.2).
    assert_eq!(all, (0..N).collect::<Vec<_>>());
    // Mosquitto hands them out in turn, so both members got some.
    for (_, seen) in &members {
        assert!(!seen.seen().payloads_on(&topic).is_empty());
    }
}

// ---- request / response ----

#[tokio::test]
async fn requests_are_answered_through_the_response_topic() {
    let Some(broker) = mosquitto().await else {
        return;
    };
    let service = unique("svc");
    let (responder, _) = connected(&broker).await;
    let (_, mut requests) = responder
        .subscribe_stream(SubscribeCommand::single(&service, 1).unwrap())
        .await
        .unwrap();
    let answering = {
        let responder = responder.clone();
        tokio::spawn(async move {
            while let Some(request) = requests.recv().await {
                assert!(request.properties.response_topic().is_some());
                assert!(request.properties.correlation_data().is_some());
                let answer = format!("re: {}", String::from_utf8_lossy(&request.payload));
                responder.respond(&request, answer).await.unwrap();
            }
        })
    };

    let (requester, seen) = connected(&broker).await;
    let one = requester.request(&service, "one", STEP).await.unwrap();
    assert_eq!(one.payload, "re: one");
    assert!(one.properties.correlation_data().is_some());
    // Concurrent requests each get their own answer (correlation data tells them apart).
    let (a, b, c) = tokio::join!(
        requester.request(&service, "a", STEP),
        requester.request(&service, "b", STEP),
        requester.request(&service, "c", STEP),
    );
    assert_eq!(a.unwrap().payload, "re: a");
    assert_eq!(b.unwrap().payload, "re: b");
    assert_eq!(c.unwrap().payload, "re: c");
    // Responses are not application messages.
    assert!(seen.seen().messages.is_empty());

    // Nobody answers on another topic: the request times out.
    let err = requester
        .request(&unique("nobody"), "?", Duration::from_millis(300))
        .await
        .unwrap_err();
    assert!(
        matches!(
            err,
            ClientError::Timeout {
                operation: Operation::Request,
                ..
            }
        ),
        "{err:?}"
    );

    // A message without a Response Topic cannot be answered.
    let plain = flowsdk_codec::Publish::new(flowsdk_codec::TopicName::new("t").unwrap(), "x");
    assert!(matches!(
        responder.respond(&plain, "no").await,
        Err(ClientError::InvalidOption { .. })
    ));
    drop(responder);
    answering.abort();
}

// ---- message streams ----

#[tokio::test]
async fn message_streams_route_by_filter_and_end_with_the_client() {
    let Some(broker) = mosquitto().await else {
        return;
    };
    let topic = unique("streams");
    let (c, seen) = connected(&broker).await;
    let (_, mut a) = c
        .subscribe_stream(SubscribeCommand::single(format!("{topic}/a/#"), 1).unwrap())
        .await
        .unwrap();
    let (_, mut b) = c
        .subscribe_stream(SubscribeCommand::single(format!("{topic}/b/#"), 2).unwrap())
        .await
        .unwrap();
    for i in 0..5 {
        c.publish(&format!("{topic}/a/{i}"), format!("a{i}"), 1, false)
            .await
            .unwrap();
        c.publish(&format!("{topic}/b/{i}"), format!("b{i}"), 2, false)
            .await
            .unwrap();
    }
    for i in 0..5 {
        let m = tokio::time::timeout(STEP, a.recv()).await.unwrap().unwrap();
        assert_eq!(m.payload, format!("a{i}"));
        let m = tokio::time::timeout(STEP, b.recv()).await.unwrap().unwrap();
        assert_eq!(m.payload, format!("b{i}"));
        assert_eq!(m.qos, QoS::ExactlyOnce);
    }
    assert!(a.try_recv().is_none());
    assert!(b.try_recv().is_none());
    // The handler receives them too.
    seen.until("ten messages in the handler", |s| s.messages.len() == 10)
        .await;

    // After unsubscribing, the stream gets nothing more (the control stream still does).
    c.unsubscribe_sync(&format!("{topic}/a/#")).await.unwrap();
    c.publish_sync(&format!("{topic}/a/late"), "late", 1, false)
        .await
        .unwrap();
    c.publish_sync(&format!("{topic}/b/end"), "end", 1, false)
        .await
        .unwrap();
    let m = tokio::time::timeout(STEP, b.recv()).await.unwrap().unwrap();
    assert_eq!(m.payload, "end");
    assert!(a.try_recv().is_none());

    // The streams end when the client shuts down.
    c.disconnect_sync().await.unwrap();
    drop(c);
    assert!(tokio::time::timeout(STEP, b.recv())
        .await
        .unwrap()
        .is_none());
    assert!(tokio::time::timeout(STEP, a.recv())
        .await
        .unwrap()
        .is_none());
}

#[tokio::test]
async fn a_full_stream_drops_messages_and_reports_them() {
    let Some(broker) = mosquitto().await else {
        return;
    };
    let topic = unique("full");
    let (c, seen) = client(&broker.tcp_address(), |o| o, |c| c.stream_capacity(2)).await;
    c.connect_sync().await.unwrap();
    let (_, mut stream) = c
        .subscribe_stream(SubscribeCommand::single(&topic, 1).unwrap())
        .await
        .unwrap();
    for i in 0..5 {
        c.publish_sync(&topic, format!("{i}"), 1, false)
            .await
            .unwrap();
    }
    seen.until("five messages in the handler", |s| s.messages.len() == 5)
        .await;
    seen.until("three drops", |s| s.dropped.len() == 3).await;
    assert!(seen
        .seen()
        .dropped
        .iter()
        .all(|(t, r)| t.as_str() == topic && *r == DroppedMessage::StreamFull));
    assert_eq!(stream.recv().await.unwrap().payload, "0");
    assert_eq!(stream.recv().await.unwrap().payload, "1");
    assert!(stream.try_recv().is_none());
}

// ---- topic aliases ----

#[tokio::test]
async fn topic_aliases_shrink_what_is_sent_and_keep_topics_intact() {
    let Some(broker) = mosquitto_with(|b| b.config_line("max_topic_alias 10")).await else {
        return;
    };
    let cutter = Cutter::start(&broker.tcp_address()).await;
    let long = |i: usize| format!("{}/{i:02}/{}", unique("alias"), "x".repeat(200));
    let topics: Vec<String> = (0..15).map(long).collect();

    let (sub, seen) = connected(&broker).await;
    for t in &topics {
        sub.subscribe_sync(t, 1).await.unwrap();
    }

    // One topic, 50 times: with an alias the topic is sent once [MQTT-3.2.2-17].
    let (c, _) = client(&cutter.address(), |o| o, |c| c).await;
    let connected = c.connect_sync().await.unwrap();
    assert_eq!(connected.server.topic_alias_maximum, 10);
    let start = cutter.client_to_broker_bytes();
    for i in 0..50 {
        c.publish_sync(&topics[0], format!("{i}"), 1, false)
            .await
            .unwrap();
    }
    let aliased = cutter.client_to_broker_bytes() - start;
    assert!(
        aliased < 50 * 200 / 2,
        "{aliased} bytes for 50 messages: aliases not used"
    );

    // 15 topics round robin with 10 aliases: mappings are replaced (LRU) and every message
    // still arrives under its own topic [MQTT-3.3.2-9].
    for round in 0..3 {
        for t in &topics {
            c.publish(t, format!("{round}"), 1, false).await.unwrap();
        }
    }
    seen.until("every message", |s| s.messages.len() == 50 + 45)
        .await;
    {
        let s = seen.seen();
        assert_eq!(s.payloads_on(&topics[0]).len(), 50 + 3);
        for t in &topics[1..] {
            assert_eq!(s.payloads_on(t), ["0", "1", "2"], "{t}");
        }
    }

    // Without automatic aliases the topic goes out every time: the control.
    let (plain, _) = client(&cutter.address(), |o| o, |c| c.auto_topic_alias(false)).await;
    plain.connect_sync().await.unwrap();
    let start = cutter.client_to_broker_bytes();
    for i in 0..50 {
        plain
            .publish_sync(&topics[0], format!("{i}"), 1, false)
            .await
            .unwrap();
    }
    assert!(cutter.client_to_broker_bytes() - start > 50 * 200);
}

// ---- inflight window ----

#[tokio::test]
async fn the_inflight_window_holds_and_every_message_is_acknowledged() {
    let Some(broker) = mosquitto().await else {
        return;
    };
    let topic = unique("window");
    let (sub, seen) = connected(&broker).await;
    sub.subscribe_sync(&topic, 1).await.unwrap();

    let (c, published) = client(&broker.tcp_address(), |o| o, |c| c.receive_maximum(5)).await;
    c.connect_sync().await.unwrap();
    assert_eq!(c.stats().window, 5);
    const N: usize = 200;
    for i in 0..N {
        c.publish(&topic, format!("{i}"), 1, false).await.unwrap();
    }
    // Never more than 5 unacknowledged [MQTT-3.3.4-7].
    eventually("every PUBACK", || {
        let stats = c.stats();
        assert!(stats.inflight <= 5, "{stats:?}");
        (published.seen().published.len() == N).then_some(())
    })
    .await;
    assert!(published.seen().published.iter().all(|p| p.is_success()));
    seen.until("every message", |s| s.messages.len() == N).await;
    let expected: Vec<String> = (0..N).map(|i| i.to_string()).collect();
    // One publisher, one topic: in order [MQTT-4.6.0-6].
    assert_eq!(seen.seen().payloads_on(&topic), expected);
}

#[tokio::test]
async fn the_broker_receive_maximum_limits_the_window() {
    let Some(broker) = mosquitto_with(|b| b.config_line("max_inflight_messages 3")).await else {
        return;
    };
    let (c, published) = client(&broker.tcp_address(), |o| o, |c| c).await;
    let connected = c.connect_sync().await.unwrap();
    assert_eq!(connected.server.receive_maximum, 3);
    assert_eq!(c.stats().window, 3);
    let topic = unique("brokerwindow");
    for i in 0..50 {
        c.publish(&topic, format!("{i}"), 2, false).await.unwrap();
    }
    eventually("every PUBCOMP", || {
        assert!(c.stats().inflight <= 3);
        (published.seen().published.len() == 50).then_some(())
    })
    .await;
    assert!(published.seen().published.iter().all(|p| p.is_success()));
}

// ---- MQTT 3.1.1 ----

#[tokio::test]
async fn mqtt_3_1_1_round_trip() {
    let Some(broker) = mosquitto().await else {
        return;
    };
    let topic = unique("v311");
    let (c, seen) = client(&broker.tcp_address(), |o| o.mqtt_version(4), |c| c).await;
    let connected = c.connect_sync().await.unwrap();
    assert!(!connected.session_present);
    let sub = c.subscribe_sync(&format!("{topic}/#"), 2).await.unwrap();
    assert_eq!(sub.reason_codes, [ReasonCode::GrantedQoS2]);
    for qos in 0..=2u8 {
        let done = c
            .publish_sync(&format!("{topic}/{qos}"), format!("v311 {qos}"), qos, false)
            .await
            .unwrap();
        assert!(done.is_success());
    }
    seen.until("three messages", |s| s.messages.len() == 3)
        .await;
    for (qos, m) in seen.seen().messages.iter().enumerate() {
        assert_eq!(m.payload, format!("v311 {qos}"));
        assert_eq!(m.qos, QoS::from_u8(qos as u8).unwrap());
        assert!(m.properties.is_empty());
    }
    c.ping_sync().await.unwrap();
    // 3.1.1's UNSUBACK has no reason codes; the client reports Success.
    let unsub = c.unsubscribe_sync(&format!("{topic}/#")).await.unwrap();
    assert_eq!(unsub.reason_codes, [ReasonCode::Success]);
    // 5.0-only features are refused locally.
    assert!(matches!(
        c.request(&topic, "x", STEP).await,
        Err(ClientError::NeedsV5 { .. })
    ));
    let no_local = SubscribeCommand::builder()
        .add_topic(&topic, 1)
        .with_no_local(true)
        .build()
        .unwrap();
    assert!(matches!(
        c.subscribe_with_command_sync(no_local).await,
        Err(ClientError::NeedsV5 { .. })
    ));
    c.disconnect_sync().await.unwrap();
}

#[tokio::test]
async fn mqtt_3_1_1_session_resumes_with_clean_session_off() {
    let Some(broker) = mosquitto().await else {
        return;
    };
    let topic = unique("v311s");
    let id = unique("v311-persistent");
    let (c, seen) = client(
        &broker.tcp_address(),
        |o| o.mqtt_version(4).client_id(&id).clean_start(false),
        |c| c,
    )
    .await;
    c.connect_sync().await.unwrap();
    c.subscribe_sync(&topic, 1).await.unwrap();
    c.disconnect_sync().await.unwrap();

    let (publisher, _) = client(&broker.tcp_address(), |o| o.mqtt_version(4), |c| c).await;
    publisher.connect_sync().await.unwrap();
    publisher
        .publish_sync(&topic, "while away", 1, false)
        .await
        .unwrap();

    // [MQTT-3.2.2-2 (3.1.1)]: the session is resumed, the queued message delivered.
    let again = c.connect_sync().await.unwrap();
    assert!(again.session_present);
    seen.until("the queued message", |s| {
        s.payloads_on(&topic) == ["while away"]
    })
    .await;
    assert_eq!(c.client_id(), id);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_burst_of_thousands_of_messages_arrives_complete_and_in_order() {
    // Enough messages that the broker's packets queue up in the subscriber's read buffer, so
    // that the driver handles many per wake-up; and a publisher held back by a small buffer
    // with OverflowPolicy::Wait. [MQTT-4.6.0-6] (in order, one publisher, QoS 1)
    let Some(broker) = mosquitto().await else {
        return;
    };
    const N: usize = 5_000;
    let topic = unique("burst");
    let (sub, _) = connected(&broker).await;
    let (_, mut stream) = sub
        .subscribe_stream(SubscribeCommand::single(&topic, 1).unwrap())
        .await
        .unwrap();
    let (publisher, _) = client(
        &broker.tcp_address(),
        |o| o,
        |c| {
            c.offline_buffer(64, flowsdk_client::OverflowPolicy::Wait)
                .stream_capacity(N)
        },
    )
    .await;
    publisher.connect_sync().await.unwrap();
    let sender = {
        let (publisher, topic) = (publisher.clone(), topic.clone());
        tokio::spawn(async move {
            for i in 0..N {
                publisher
                    .publish(&topic, format!("{i}"), 1, false)
                    .await
                    .unwrap();
            }
        })
    };
    for i in 0..N {
        let m = tokio::time::timeout(STEP, stream.recv())
            .await
            .unwrap_or_else(|_| panic!("message {i} of {N} did not arrive"))
            .unwrap();
        assert_eq!(m.payload, format!("{i}"));
    }
    sender.await.unwrap();
}
