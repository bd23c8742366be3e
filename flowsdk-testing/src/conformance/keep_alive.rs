//! Keep alive: the broker closes silent connections, and answers PINGREQ.

use flowsdk_codec::Connect;
use tokio::time::Instant;

use super::prelude::*;

cases! { V5;
    "keep_alive.silent_connections_are_closed_after_one_and_a_half_keep_alives"
        ["MQTT-3.1.2-22", "MQTT-3.2.2-22"] => silent_connections_closed;
    "keep_alive.pingreq_gets_pingresp_and_keeps_the_connection"
        ["MQTT-3.12.4-1"] => pings;
}

/// Slack on top of 1.5 x keep alive: a broker may count time in whole seconds.
const SLACK: Duration = Duration::from_secs(1);

/// How many silent connections are watched, and how far apart they start. Staggering them
/// over more than a few seconds shows a broker that only sweeps for silent connections now
/// and then: at most one of them can fall just after a sweep.
const CONNECTIONS: u32 = 3;
const STAGGER: Duration = Duration::from_millis(1700);

/// Opens staggered silent connections with keep alive 1 s (CONNECTs made by `make`) and
/// checks each is closed within 1.5 x keep alive (plus [`SLACK`]) of its CONNECT, and the
/// first not before its keep alive has elapsed.
pub(super) async fn staggered_silent_connections(
    cx: &CaseContext,
    make: impl Fn(&CaseContext) -> Check<Connect>,
) -> Check {
    let mut watchers = Vec::new();
    for i in 1..=CONNECTIONS {
        if i > 1 {
            pause(STAGGER).await;
        }
        let mut c = make(cx)?;
        c.keep_alive = 1;
        let started = Instant::now();
        let (probe, ack) = cx.connect(c).await?;
        let keep_alive = ack.properties.server_keep_alive().unwrap_or(1);
        require(
            (1..=2).contains(&keep_alive),
            &format!(
                "the broker imposes a Server Keep Alive of {keep_alive} s, too long to wait for"
            ),
        )?;
        // Each connection is watched from now on, concurrently with the next ones.
        watchers.push(tokio::spawn(watch(probe, i, started, keep_alive)));
    }
    for watcher in watchers {
        watcher
            .await
            .map_err(|e| Outcome::error(format!("a keep-alive watcher failed: {e}")))??;
    }
    Ok(())
}

/// Waits for connection `i` to be closed within 1.5 x `keep_alive` (plus [`SLACK`]) of
/// `started`, and not before `keep_alive` has elapsed.
async fn watch(mut probe: Probe, i: u32, started: Instant, keep_alive: u16) -> Check {
    let limit = Duration::from_millis(u64::from(keep_alive) * 1500);
    let left = (started + limit + SLACK).saturating_duration_since(Instant::now());
    let expected = format!(
        "silent connection {i} of {CONNECTIONS} closed within 1.5 x keep alive ({limit:?}, plus {SLACK:?})"
    );
    probe.expect_close_within(left, &expected).await?;
    let after = started.elapsed();
    ensure(
        after >= Duration::from_millis(u64::from(keep_alive) * 1000 - 100),
        &format!("the connection kept open for the whole keep alive ({keep_alive} s)"),
        || format!("closed after {after:?}"),
    )
}

async fn silent_connections_closed(cx: CaseContext) -> Check {
    staggered_silent_connections(&cx, |cx| cx.connect_packet(&cx.client_id())).await
}

async fn pings(cx: CaseContext) -> Check {
    let mut c = cx.connect_packet(&cx.client_id())?;
    c.keep_alive = 1;
    let (mut probe, ack) = cx.connect(c).await?;
    require(
        ack.properties.server_keep_alive().is_none_or(|k| k >= 1),
        "the broker imposes a Server Keep Alive of 0",
    )?;
    for _ in 0..5 {
        probe.ping().await?;
        pause(Duration::from_millis(500)).await;
    }
    probe.ping().await
}
