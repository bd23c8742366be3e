//! Auto-reconnect while the broker goes away and comes back on the same port, with a publisher
//! that keeps publishing: nothing acknowledged is lost, QoS 2 is not duplicated, the session
//! is resumed when the broker kept it and rebuilt when it did not.

use std::collections::{BTreeSet, HashMap};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use flowsdk_client::proto::Ticket;
use flowsdk_client::{SubscribeCommand, TokioAsyncMqttClient};
use flowsdk_codec::ReasonCode;

use super::support::{client, eventually, mosquitto, mosquitto_with, unique, Recorder, STEP};

/// Publishes `0, 1, 2, ...` on `topic` with fire-and-forget QoS 1 every few milliseconds
/// until `stop`; returns the ticket of each number. `accepted` counts them as they go.
fn keep_publishing(
    c: TokioAsyncMqttClient,
    topic: String,
    stop: Arc<AtomicBool>,
    accepted: Arc<AtomicUsize>,
) -> tokio::task::JoinHandle<Vec<Ticket>> {
    tokio::spawn(async move {
        let mut tickets = Vec::new();
        while !stop.load(Ordering::Relaxed) {
            let i = tickets.len();
            tickets.push(c.publish(&topic, i.to_string(), 1, false).await.unwrap());
            accepted.store(tickets.len(), Ordering::Relaxed);
            // Bursts of ten keep messages in flight most of the time.
            if tickets.len() % 10 == 0 {
                tokio::time::sleep(Duration::from_millis(5)).await;
            }
        }
        tickets
    })
}

/// Publishes `0, 1, 2, ...` on `topic` with `publish_sync` at QoS 2, one after the other,
/// until `stop`; returns the numbers acknowledged (PUBCOMP) and how many were tried.
fn keep_publishing_sync_qos2(
    c: TokioAsyncMqttClient,
    topic: String,
    stop: Arc<AtomicBool>,
) -> tokio::task::JoinHandle<(Vec<usize>, usize)> {
    tokio::spawn(async move {
        let mut acked = Vec::new();
        let mut tried = 0;
        while !stop.load(Ordering::Relaxed) {
            // A timeout while the broker is away does not withdraw the message: it is still
            // sent, it just is not known to be acknowledged.
            if c.publish_sync(&topic, tried.to_string(), 2, false)
                .await
                .is_ok()
            {
                acked.push(tried);
            }
            tried += 1;
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
        (acked, tried)
    })
}

/// The numbers received on `topic`, in arrival order.
fn numbers(seen: &Recorder, topic: &str) -> Vec<usize> {
    seen.seen()
        .payloads_on(topic)
        .iter()
        .map(|p| p.parse().unwrap())
        .collect()
}

/// The first arrival of each number must come in publication order (resent duplicates may
/// follow) [MQTT-4.6.0-6].
fn assert_first_arrivals_in_order(received: &[usize], what: &str) {
    let mut first = Vec::new();
    let mut seen = BTreeSet::new();
    for &n in received {
        if seen.insert(n) {
            first.push(n);
        }
    }
    assert!(
        first.windows(2).all(|w| w[0] < w[1]),
        "{what}: out of order: {first:?}"
    );
}

/// Waits until every ticket has its `on_published`, all successful; returns them by ticket
/// with the number of connections seen when each came.
async fn all_acknowledged(seen: &Recorder, tickets: &[Ticket]) -> HashMap<Ticket, usize> {
    eventually("every publish acknowledged", || {
        let s = seen.seen();
        let done: HashMap<Ticket, usize> = s
            .published
            .iter()
            .zip(&s.published_after_connects)
            .map(|(p, at)| (p.ticket, *at))
            .collect();
        tickets.iter().all(|t| done.contains_key(t)).then_some(done)
    })
    .await;
    let s = seen.seen();
    assert!(
        s.published.iter().all(|p| p.is_success()),
        "{:?}",
        s.published.iter().find(|p| !p.is_success())
    );
    assert!(s.dropped.is_empty(), "{:?}", s.dropped);
    s.published
        .iter()
        .zip(&s.published_after_connects)
        .map(|(p, at)| (p.ticket, *at))
        .collect()
}

#[tokio::test]
async fn a_broker_restart_with_persistence_resumes_sessions_and_loses_nothing_acknowledged() {
    let Some(mut broker) = mosquitto_with(|b| b.persistence(true)).await else {
        return;
    };
    let topic = unique("persist");
    let (q1, q2) = (format!("{topic}/q1"), format!("{topic}/q2"));
    // Clean Start 0 from the first connection: Mosquitto 2.0 saves to its database only
    // sessions that began with Clean Start 0, whatever their Session Expiry Interval.
    let resumable = |o: flowsdk_client::MqttClientOptionsBuilder| {
        o.clean_start(false)
            .session_expiry_interval(300)
            .keep_alive(5)
    };
    let (sub, received) = client(&broker.tcp_address(), resumable, |c| c).await;
    sub.connect_sync().await.unwrap();
    sub.subscribe_sync(&q1, 1).await.unwrap();
    sub.subscribe_sync(&q2, 2).await.unwrap();

    let (publisher, seen) = client(&broker.tcp_address(), resumable, |c| c).await;
    publisher.connect_sync().await.unwrap();
    let stop = Arc::new(AtomicBool::new(false));
    let accepted = Arc::new(AtomicUsize::new(0));
    let qos1 = keep_publishing(
        publisher.clone(),
        q1.clone(),
        stop.clone(),
        accepted.clone(),
    );
    let qos2 = keep_publishing_sync_qos2(publisher.clone(), q2.clone(), stop.clone());

    received
        .until("traffic before the restart", |s| {
            s.payloads_on(&q1).len() >= 20
        })
        .await;
    // A clean shutdown: Mosquitto saves its database, sessions and queued messages.
    broker.stop().await;
    seen.until("the publisher to notice", |s| !s.disconnected.is_empty())
        .await;
    received
        .until("the subscriber to notice", |s| !s.disconnected.is_empty())
        .await;
    // Messages published while the broker is away wait in the client's buffer.
    let offline_from = accepted.load(Ordering::Relaxed);
    eventually("messages buffered while offline", || {
        (accepted.load(Ordering::Relaxed) >= offline_from + 20).then_some(())
    })
    .await;
    assert!(!publisher.is_connected());
    broker.restart().await.unwrap();
    seen.until("the publisher to reconnect", |s| s.connected.len() == 2)
        .await;
    received
        .until("the subscriber to reconnect", |s| s.connected.len() == 2)
        .await;
    let online_from = accepted.load(Ordering::Relaxed);
    eventually("messages after the reconnection", || {
        (accepted.load(Ordering::Relaxed) >= online_from + 20).then_some(())
    })
    .await;
    stop.store(true, Ordering::Relaxed);
    let tickets = tokio::time::timeout(STEP, qos1).await.unwrap().unwrap();
    let (qos2_acked, qos2_tried) = tokio::time::timeout(STEP * 2, qos2).await.unwrap().unwrap();

    for (who, events) in [("publisher", &seen), ("subscriber", &received)] {
        let s = events.seen();
        assert!(!s.reconnecting.is_empty(), "{who}: no on_reconnecting");
        // The broker kept the session [MQTT-3.2.2-2]...
        assert!(
            s.connected[1].session_present,
            "{who}: {:?}\n{}",
            s.connected,
            broker.log()
        );
        // ...so nothing had to be rebuilt.
        assert!(s.session_lost.is_empty(), "{who}: {:?}", s.session_lost);
    }

    // Every QoS 1 message was acknowledged in the end, and each reached the subscriber,
    // first arrivals in order (DUP resends may repeat some) [MQTT-4.4.0-1].
    all_acknowledged(&seen, &tickets).await;
    let want: BTreeSet<usize> = (0..tickets.len()).collect();
    eventually("every QoS 1 message at the subscriber", || {
        let got: BTreeSet<usize> = numbers(&received, &q1).into_iter().collect();
        want.is_subset(&got).then_some(())
    })
    .await;
    assert_first_arrivals_in_order(&numbers(&received, &q1), "QoS 1");

    // QoS 2: every acknowledged message arrived, none twice [MQTT-4.3.3-10].
    eventually("every acknowledged QoS 2 message at the subscriber", || {
        let got: BTreeSet<usize> = numbers(&received, &q2).into_iter().collect();
        qos2_acked.iter().all(|n| got.contains(n)).then_some(())
    })
    .await;
    // Let the last QoS 2 flows finish, then look for duplicates.
    eventually("every QoS 2 message at the subscriber", || {
        let got: BTreeSet<usize> = numbers(&received, &q2).into_iter().collect();
        (got.len() == qos2_tried).then_some(())
    })
    .await;
    let q2_numbers = numbers(&received, &q2);
    let distinct: BTreeSet<usize> = q2_numbers.iter().copied().collect();
    assert_eq!(
        distinct.len(),
        q2_numbers.len(),
        "QoS 2 duplicated: {q2_numbers:?}"
    );
    assert_first_arrivals_in_order(&q2_numbers, "QoS 2");
    println!(
        "restart with persistence: {} QoS 1 and {qos2_tried} QoS 2 ({} acknowledged by \
         publish_sync) messages, {} resent after reconnecting",
        tickets.len(),
        qos2_acked.len(),
        seen.seen().connected[1].resent
    );
}

#[tokio::test]
async fn a_killed_broker_without_persistence_loses_the_session_and_subscriptions_are_restored() {
    let Some(mut broker) = mosquitto().await else {
        return;
    };
    let topic = unique("crash");
    let data = format!("{topic}/data");
    // The client asks to resume (session expiry above 0), but the restarted broker has no
    // session: the client must rebuild it.
    let (c, seen) = client(
        &broker.tcp_address(),
        |o| o.session_expiry_interval(300).keep_alive(5),
        |c| c,
    )
    .await;
    c.connect_sync().await.unwrap();
    let cmd = SubscribeCommand::builder()
        .add_topic(format!("{topic}/#"), 1)
        .with_subscription_id(5)
        .build()
        .unwrap();
    c.subscribe_with_command_sync(cmd).await.unwrap();

    let stop = Arc::new(AtomicBool::new(false));
    let accepted = Arc::new(AtomicUsize::new(0));
    let publishing = keep_publishing(c.clone(), data.clone(), stop.clone(), accepted.clone());
    seen.until("traffic before the crash", |s| {
        s.payloads_on(&data).len() >= 20
    })
    .await;
    // Freeze the broker first (SIGSTOP) so that messages are in flight, unacknowledged, when
    // it crashes.
    let pid = broker.pid().unwrap().to_string();
    let frozen = std::process::Command::new("kill")
        .args(["-STOP", &pid])
        .status()
        .is_ok_and(|s| s.success());
    if frozen {
        // A full window with messages waiting behind it: the broker acknowledges nothing
        // more (acknowledgements it sent before freezing have arrived by then).
        eventually("a full inflight window", || {
            let stats = c.stats();
            (stats.inflight == stats.window && stats.queued >= 10).then_some(())
        })
        .await;
    }
    broker.kill();
    seen.until("the client to notice", |s| !s.disconnected.is_empty())
        .await;
    let offline_from = accepted.load(Ordering::Relaxed);
    eventually("messages buffered while offline", || {
        (accepted.load(Ordering::Relaxed) >= offline_from + 20).then_some(())
    })
    .await;
    broker.restart().await.unwrap();
    seen.until("the reconnection", |s| s.connected.len() == 2)
        .await;
    let online_from = accepted.load(Ordering::Relaxed);
    eventually("messages after the reconnection", || {
        (accepted.load(Ordering::Relaxed) >= online_from + 20).then_some(())
    })
    .await;
    stop.store(true, Ordering::Relaxed);
    let tickets = tokio::time::timeout(STEP, publishing)
        .await
        .unwrap()
        .unwrap();

    {
        let s = seen.seen();
        assert!(!s.reconnecting.is_empty());
        // No session on the broker [MQTT-3.2.2-3]...
        assert!(!s.connected[1].session_present);
        // ...so the client restored its one subscription.
        assert_eq!(s.session_lost.len(), 1, "{:?}", s.session_lost);
        assert_eq!(s.session_lost[0].1, 1);
        if frozen {
            // What was in flight at the crash is sent again as new messages.
            assert!(
                s.session_lost[0].0 >= 5,
                "{:?} disconnected {:?} connected {} reconnect_failed {:?} published {} at {:?}",
                s.session_lost,
                s.disconnected,
                s.connected.len(),
                s.reconnect_failed,
                s.published.len(),
                s.published_after_connects
            );
        }
        assert_eq!(s.subscribed.len(), 2);
        assert_eq!(s.subscribed[1].reason_codes, [ReasonCode::GrantedQoS1]);
    }

    // Every message the client accepted was acknowledged in the end: those in flight at the
    // crash were sent again as new messages, the buffered ones after them.
    let acked_at = all_acknowledged(&seen, &tickets).await;
    // The restored subscription was in place before any message of the new connection (the
    // SUBSCRIBE goes first), so every message acknowledged on it came back, with the
    // restored subscription identifier.
    let after: Vec<usize> = tickets
        .iter()
        .enumerate()
        .filter(|(_, t)| acked_at[t] >= 2)
        .map(|(i, _)| i)
        .collect();
    assert!(!after.is_empty());
    eventually("every message acknowledged after the reconnection", || {
        let got: BTreeSet<usize> = numbers(&seen, &data).into_iter().collect();
        after.iter().all(|n| got.contains(n)).then_some(())
    })
    .await;
    let received = numbers(&seen, &data);
    assert_first_arrivals_in_order(&received, "QoS 1");
    let s = seen.seen();
    let restored = s
        .messages
        .iter()
        .filter(|m| m.topic.as_str() == data)
        .last()
        .unwrap();
    assert_eq!(
        restored
            .properties
            .subscription_identifiers()
            .collect::<Vec<_>>(),
        [5]
    );
    // Acknowledged before the crash but never delivered: lost with the broker's memory, not
    // by the client.
    let got: BTreeSet<usize> = received.iter().copied().collect();
    let lost_by_broker = (0..tickets.len()).filter(|n| !got.contains(n)).count();
    println!(
        "crash without persistence: {} messages, {} requeued after the crash, \
         {lost_by_broker} acknowledged before the crash and lost by the broker",
        tickets.len(),
        s.session_lost[0].0
    );
}

// ---- refused connections ----

/// Mosquitto that lets in only `alice` / `secret`, or `None` when Mosquitto (or
/// `mosquitto_passwd`) is not installed.
async fn mosquitto_with_password() -> Option<(flowsdk_testing::Mosquitto, std::path::PathBuf)> {
    let file = std::env::temp_dir().join(format!("{}.passwd", unique("flowsdk")));
    let made = std::process::Command::new("mosquitto_passwd")
        .args(["-b", "-c"])
        .arg(&file)
        .args(["alice", "secret"])
        .output();
    if !made.is_ok_and(|o| o.status.success()) {
        println!("skipped: mosquitto_passwd is not installed");
        return None;
    }
    let broker = mosquitto_with(|b| {
        b.config_line("allow_anonymous false")
            .config_line(format!("password_file {}", file.display()))
    })
    .await?;
    Some((broker, file))
}

/// A client of [`mosquitto_with_password`] as `alice` with a wrong password, not connected.
async fn client_with_wrong_password(
    config: impl FnOnce(
        flowsdk_client::tokio_async_client::TokioAsyncClientConfigBuilder,
    ) -> flowsdk_client::tokio_async_client::TokioAsyncClientConfigBuilder,
) -> Option<(
    flowsdk_testing::Mosquitto,
    std::path::PathBuf,
    TokioAsyncMqttClient,
    Recorder,
)> {
    let (broker, file) = mosquitto_with_password().await?;
    let (c, seen) = client(
        &broker.tcp_address(),
        |o| o.username("alice").password("wrong"),
        config,
    )
    .await;
    Some((broker, file, c, seen))
}

fn is_bad_credentials(code: ReasonCode) -> bool {
    matches!(
        code,
        ReasonCode::BadUserNameOrPassword | ReasonCode::NotAuthorized
    )
}

#[tokio::test]
async fn a_refusal_for_bad_credentials_stops_the_reconnect_loop() {
    // [MQTT-3.2.2-6]: the broker answers a refused CONNECT with CONNACK 0x86 / 0x87 and closes.
    // Trying the same password again cannot help: the client stops instead of knocking forever.
    let Some((_broker, file, c, seen)) = client_with_wrong_password(|c| c).await else {
        return;
    };
    match c.connect_sync().await {
        Err(flowsdk_client::ClientError::ConnectRefused { reason_code, .. }) => {
            assert!(is_bad_credentials(reason_code), "{reason_code:?}")
        }
        other => panic!("expected a refusal, got {other:?}"),
    }
    seen.until("StoppedReconnecting", |s| {
        s.errors
            .iter()
            .any(|e| matches!(e, flowsdk_client::ClientError::StoppedReconnecting { reason_code } if is_bad_credentials(*reason_code)))
    })
    .await;
    // Ten times the first backoff delay (50 ms): a client still retrying would have tried.
    tokio::time::sleep(Duration::from_millis(500)).await;
    {
        let s = seen.seen();
        assert!(s.reconnecting.is_empty(), "{:?}", s.reconnecting);
        assert_eq!(s.connect_failed.len(), 1);
    }
    // New credentials and `connect` start again.
    c.set_credentials(Some("alice"), Some(b"secret")).unwrap();
    c.connect_sync().await.unwrap();
    let _ = std::fs::remove_file(file);
}

#[tokio::test]
async fn with_reconnect_after_refusal_the_client_retries_and_takes_new_credentials() {
    let Some((_broker, file, c, seen)) =
        client_with_wrong_password(|c| c.reconnect_after_refusal(true)).await
    else {
        return;
    };
    c.connect().await.unwrap();
    // Each refused try is reported to `on_connect_failed`, each new one to `on_reconnecting`.
    seen.until("two retries", |s| {
        s.connect_failed.len() >= 3 && s.reconnecting.len() >= 2
    })
    .await;
    assert!(seen.seen().connected.is_empty());
    // A rotated password is picked up by the next try of the running loop.
    c.set_credentials(Some("alice"), Some(b"secret")).unwrap();
    seen.until("connected", |s| !s.connected.is_empty()).await;
    assert!(c.stats().connected);
    assert!(!seen
        .seen()
        .errors
        .iter()
        .any(|e| matches!(e, flowsdk_client::ClientError::StoppedReconnecting { .. })));
    let _ = std::fs::remove_file(file);
}

/// Rotates the credentials from inside `on_connect_failed`, as an application holding a
/// refreshed token would.
#[derive(Debug)]
struct Rotate {
    client: Arc<std::sync::OnceLock<TokioAsyncMqttClient>>,
    refusals: Arc<AtomicUsize>,
    connected: Arc<AtomicBool>,
    stopped: Arc<AtomicBool>,
}

impl flowsdk_client::tokio_async_client::TokioMqttEventHandler for Rotate {
    fn on_connect_failed(&mut self, _error: &flowsdk_client::ClientError) {
        self.refusals.fetch_add(1, Ordering::SeqCst);
        if let Some(c) = self.client.get() {
            c.set_credentials(Some("alice"), Some(b"secret")).unwrap();
        }
    }
    fn on_connected(&mut self, _result: &flowsdk_client::tokio_async_client::ConnectResult) {
        self.connected.store(true, Ordering::SeqCst);
    }
    fn on_error(&mut self, error: &flowsdk_client::ClientError) {
        if matches!(
            error,
            flowsdk_client::ClientError::StoppedReconnecting { .. }
        ) {
            self.stopped.store(true, Ordering::SeqCst);
        }
    }
}

#[tokio::test]
async fn new_credentials_set_in_the_failure_callback_are_tried_at_once() {
    let Some((broker, file)) = mosquitto_with_password().await else {
        return;
    };
    let slot = Arc::new(std::sync::OnceLock::new());
    let (refusals, connected, stopped) = (
        Arc::new(AtomicUsize::new(0)),
        Arc::new(AtomicBool::new(false)),
        Arc::new(AtomicBool::new(false)),
    );
    let handler = Rotate {
        client: slot.clone(),
        refusals: refusals.clone(),
        connected: connected.clone(),
        stopped: stopped.clone(),
    };
    let options = flowsdk_client::MqttClientOptions::builder()
        .peer(broker.tcp_address())
        .client_id(unique("rotate"))
        .username("alice")
        .password("expired")
        .build()
        .unwrap();
    let config = flowsdk_client::TokioAsyncClientConfig::builder()
        .local_timeouts()
        .reconnect_delay_initial(Duration::from_millis(50))
        .build()
        .unwrap();
    let c = TokioAsyncMqttClient::new(options, Box::new(handler), config)
        .await
        .unwrap();
    slot.set(c.clone()).unwrap();
    c.connect().await.unwrap();
    eventually("connected with the rotated password", || {
        connected.load(Ordering::SeqCst).then_some(())
    })
    .await;
    assert_eq!(refusals.load(Ordering::SeqCst), 1);
    assert!(!stopped.load(Ordering::SeqCst));
    let _ = std::fs::remove_file(file);
}
