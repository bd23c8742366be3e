//! Every `MalformedPacketGenerator` case sent to a real Mosquitto (skipped where it is not
//! installed), with what the broker did next to what the specification requires.
//!
//! Mosquitto's deviations are findings, printed in the table, not failures: the test asserts
//! only that every case ran to a conclusion within bounded time.

use std::time::Duration;

use flowsdk_codec::{CodecError, Packet, ProtocolVersion, ReasonCode};
use flowsdk_testing::{
    MalformedCase, MalformedPacketGenerator, Mosquitto, Notice, ObservedReaction, RawClientError,
    RawTestClient, ServerReaction,
};
use flowsdk_transport::TransportConfig;
use tokio::task::JoinSet;

/// How long the broker has to react before "no reaction" is recorded.
const WINDOW: Duration = Duration::from_secs(2);
/// Upper bound for one case, connection and CONNECT included.
const CASE_LIMIT: Duration = Duration::from_secs(20);

/// Sends `case` on a fresh connection and observes the broker.
async fn run_case(
    address: String,
    case: &MalformedCase,
    n: usize,
) -> Result<ObservedReaction, String> {
    let mut client = RawTestClient::connect(address, TransportConfig::default())
        .await
        .map_err(|e| format!("connect: {e}"))?;
    client.set_step_timeout(Duration::from_secs(5));
    if case.needs_connect {
        let id = format!("malformed-{n}");
        let ack = match case.version {
            ProtocolVersion::V311 => client.connect_v311(&id).await,
            _ => client.connect_v5(&id).await,
        }
        .map_err(|e| format!("valid CONNECT: {e}"))?;
        if ack.reason_code != ReasonCode::Success {
            return Err(format!("valid CONNECT refused: {:?}", ack.reason_code));
        }
    } else if matches!(
        case.codec_error(),
        Some(CodecError::UnsupportedProtocolVersion { .. })
    ) {
        // A server that does not know the version answers in the 3.1.1 layout (return code 1).
        client.set_version(ProtocolVersion::V311);
    } else {
        client.set_version(case.version);
    }
    match client.send_raw(&case.bytes).await {
        Ok(()) => {}
        Err(RawClientError::Closed) => return Ok(ObservedReaction::Closed { notice: None }),
        Err(e) => return Err(format!("send: {e}")),
    }
    Ok(observe(&mut client).await)
}

async fn observe(client: &mut RawTestClient) -> ObservedReaction {
    let first = match client.recv(WINDOW).await {
        Ok(packet) => packet,
        Err(RawClientError::Timeout { .. }) => return ObservedReaction::Silent,
        Err(RawClientError::Decode(e)) => return ObservedReaction::InvalidReply(e),
        // Closed, or reset/broken mid-packet: the connection is gone either way.
        Err(_) => return ObservedReaction::Closed { notice: None },
    };
    let notice = match &first {
        Packet::Disconnect(d) => Notice::Disconnect(d.reason_code),
        Packet::ConnAck(a) if !a.reason_code.is_success() => Notice::ConnAck(a.reason_code),
        _ => return ObservedReaction::Replied(Box::new(first)),
    };
    match client.expect_closed(WINDOW).await {
        Ok(_) | Err(RawClientError::Closed) => ObservedReaction::Closed {
            notice: Some(notice),
        },
        Err(_) => ObservedReaction::Replied(Box::new(first)),
    }
}

/// The server closed as required, after a notice of the right kind with another reason code.
fn closed_with_another_code(case: &MalformedCase, observed: &ObservedReaction) -> bool {
    let ServerReaction::Close {
        notice: Some(allowed),
    } = case.expected
    else {
        return false;
    };
    matches!(
        (allowed, observed),
        (
            Notice::Disconnect(_),
            ObservedReaction::Closed {
                notice: Some(Notice::Disconnect(_))
            }
        ) | (
            Notice::ConnAck(_),
            ObservedReaction::Closed {
                notice: Some(Notice::ConnAck(_))
            }
        )
    )
}

#[tokio::test]
async fn every_case_against_mosquitto() {
    let Some(broker) = Mosquitto::builder().start().await.unwrap() else {
        return;
    };
    let cases = MalformedPacketGenerator::all();
    let mut runs = JoinSet::new();
    for (n, case) in cases.iter().cloned().enumerate() {
        let address = broker.tcp_address();
        runs.spawn(async move {
            let outcome = tokio::time::timeout(CASE_LIMIT, run_case(address, &case, n)).await;
            (n, outcome)
        });
    }
    let mut outcomes: Vec<Option<_>> = (0..cases.len()).map(|_| None).collect();
    while let Some(joined) = runs.join_next().await {
        let (n, outcome) = joined.expect("a case panicked");
        outcomes[n] = Some(outcome);
    }

    let mut unfinished = Vec::new();
    let mut deviations = 0;
    let mut other_codes = 0;
    println!(
        "\n{:<50} {:<22} {:<34} {:<34} verdict",
        "case", "rule", "required", "mosquitto"
    );
    for (case, outcome) in cases.iter().zip(outcomes) {
        let (seen, verdict) = match outcome {
            None | Some(Err(_)) => {
                unfinished.push(case.name);
                ("did not finish".to_owned(), "UNFINISHED")
            }
            Some(Ok(Err(e))) => (format!("error: {e}"), "ERROR"),
            Some(Ok(Ok(observed))) => {
                let verdict = if case.expected.is_met_by(&observed) {
                    "ok"
                } else if closed_with_another_code(case, &observed) {
                    other_codes += 1;
                    "closed, other code"
                } else {
                    deviations += 1;
                    "DEVIATION"
                };
                (observed.to_string(), verdict)
            }
        };
        println!(
            "{:<50} {:<22} {:<34} {:<34} {verdict}",
            case.name,
            case.normative,
            case.expected.to_string(),
            seen
        );
    }
    println!(
        "{} cases: {deviations} deviations (not closed as required), {other_codes} closed as \
         required with another reason code",
        cases.len(),
    );
    assert!(
        unfinished.is_empty(),
        "cases without a conclusion within {CASE_LIMIT:?}: {unfinished:?}"
    );
}
