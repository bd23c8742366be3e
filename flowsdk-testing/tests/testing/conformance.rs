//! The conformance suite: its cases are well-formed data, and it runs to the end against a
//! real Mosquitto with no harness errors (failures are findings about Mosquitto).

use std::collections::{BTreeSet, HashSet};
use std::time::Duration;

use flowsdk_codec::ProtocolVersion;
use flowsdk_testing::conformance::{
    cases, coverage, coverage_of, statements, RunConfig, Runner, V311_SUFFIX,
};
use flowsdk_testing::Mosquitto;

#[test]
fn every_case_names_statements_that_exist() {
    let v5: HashSet<&str> = statements(ProtocolVersion::V5)
        .iter()
        .map(|s| s.id)
        .collect();
    let v311: HashSet<&str> = statements(ProtocolVersion::V311)
        .iter()
        .map(|s| s.id)
        .collect();
    let mut names = HashSet::new();
    for case in cases() {
        assert!(!case.ids.is_empty(), "{} checks no statement", case.name);
        assert!(
            names.insert(case.name),
            "two cases are called {}",
            case.name
        );
        for id in case.ids {
            match case.version {
                ProtocolVersion::V311 => {
                    let bare = id.strip_suffix(V311_SUFFIX).unwrap_or_else(|| {
                        panic!(
                            "{}: 3.1.1 id {id} lacks the {V311_SUFFIX:?} suffix",
                            case.name
                        )
                    });
                    assert!(
                        v311.contains(bare),
                        "{}: {id} is not in mqtt311-normative.tsv",
                        case.name
                    );
                }
                _ => assert!(
                    v5.contains(id),
                    "{}: {id} is not in mqtt5-normative.tsv",
                    case.name
                ),
            }
        }
    }
}

#[test]
fn the_suite_covers_at_least_150_server_observable_v5_statements() {
    let c = coverage();
    assert!(
        c.unknown.is_empty(),
        "ids that are not server-observable: {:?}",
        c.unknown
    );
    let distinct: BTreeSet<&str> = cases()
        .iter()
        .filter(|c| c.version == ProtocolVersion::V5)
        .flat_map(|c| c.ids.iter().copied())
        .collect();
    assert_eq!(distinct.len(), c.covered.len());
    assert!(c.covered.len() >= 150, "{c}");
    println!("{}", c.to_string().lines().next().unwrap_or_default());

    let v3 = coverage_of(ProtocolVersion::V311);
    assert!(v3.unknown.is_empty(), "{:?}", v3.unknown);
    assert!(v3.covered.len() >= 20, "{v3}");
}

#[tokio::test]
async fn the_suite_runs_against_mosquitto_without_harness_errors() {
    let Some(broker) = Mosquitto::builder()
        .config_line("max_keepalive 60")
        .start()
        .await
        .expect("mosquitto starts")
    else {
        return;
    };
    let run = async {
        let mut errors = Vec::new();
        for version in [ProtocolVersion::V5, ProtocolVersion::V311] {
            let runner = Runner::new(RunConfig::new(broker.tcp_address()).version(version));
            let report = runner
                .run_all(|n, total, r| println!("[{n}/{total}] {}", r.line()))
                .await;
            assert_eq!(report.results.len(), runner.cases().len());
            println!("{version}: {}", report.summary());
            errors.extend(
                report
                    .results
                    .iter()
                    .filter(|r| r.outcome.is_error())
                    .map(|r| r.line()),
            );
        }
        errors
    };
    // About a minute for both versions against a local Mosquitto; the bound leaves room for
    // a loaded machine.
    let errors = tokio::time::timeout(Duration::from_secs(300), run)
        .await
        .expect("the suite finished within 5 minutes");
    assert!(
        errors.is_empty(),
        "harness errors:\n{}\nmosquitto's log:\n{}",
        errors.join("\n"),
        broker.log()
    );
}
