//! `mqtt-conformance`: runs the flowsdk-testing conformance suite against a broker.
//!
//! ```text
//! mqtt-conformance --broker 127.0.0.1:1883 [--v3] [--filter NAME] [--timeout SECS]
//! ```
//!
//! Exit status: 0 when no case failed, 1 when a case failed or errored, 2 for a usage error
//! or an unreachable broker.

#![forbid(unsafe_code)]
#![cfg_attr(not(test), deny(clippy::unwrap_used))]

mod args;

use std::io::Write;
use std::process::ExitCode;

use flowsdk_codec::ProtocolVersion;
use flowsdk_testing::conformance::{cases_for, coverage_of, RunConfig, Runner};
use flowsdk_transport::{Transport, TransportConfig};

use args::{Args, USAGE};

fn main() -> ExitCode {
    let args = match Args::parse(std::env::args().skip(1)) {
        Ok(args) => args,
        Err(e) => {
            eprintln!("mqtt-conformance: {e}\n\n{USAGE}");
            return ExitCode::from(2);
        }
    };
    if args.help {
        println!("{USAGE}");
        return ExitCode::SUCCESS;
    }
    let version = if args.v3 {
        ProtocolVersion::V311
    } else {
        ProtocolVersion::V5
    };
    if args.coverage {
        // A closed pipe (`| head`) ends the output quietly.
        let _ = write!(std::io::stdout(), "{}", coverage_of(version));
        return ExitCode::SUCCESS;
    }
    if args.list {
        for case in cases_for(version) {
            let selected = args
                .filter
                .as_deref()
                .is_none_or(|f| case.name.contains(f) || case.ids.iter().any(|id| id.contains(f)));
            if selected {
                println!("{} {}", case.name, case.id_list());
            }
        }
        return ExitCode::SUCCESS;
    }
    let Some(broker) = args.broker.clone() else {
        eprintln!("mqtt-conformance: --broker is required\n\n{USAGE}");
        return ExitCode::from(2);
    };
    let runtime = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("mqtt-conformance: cannot start the runtime: {e}");
            return ExitCode::from(2);
        }
    };
    runtime.block_on(run(args, broker, version))
}

async fn run(args: Args, broker: String, version: ProtocolVersion) -> ExitCode {
    // One connection first, so an unreachable broker is one clear error, not 160 of them.
    if let Err(e) = Transport::new(TransportConfig::default())
        .connect(broker.as_str())
        .await
    {
        eprintln!("mqtt-conformance: cannot reach the broker: {e}");
        return ExitCode::from(2);
    }
    let config = RunConfig::new(broker)
        .version(version)
        .filter(args.filter.clone())
        .case_timeout(args.timeout);
    let runner = Runner::new(config);
    println!(
        "mqtt-conformance: {version} cases against {} (run {})",
        args.broker.as_deref().unwrap_or_default(),
        runner.run_id()
    );
    let report = runner
        .run_all(|n, total, result| {
            println!("[{n}/{total}] {}", result.line());
            let _ = std::io::stdout().flush();
        })
        .await;
    let summary = report.summary();
    if let Some(path) = &args.markdown {
        let table = report.markdown("result");
        if let Err(e) = std::fs::write(path, table) {
            eprintln!("mqtt-conformance: writing {path}: {e}");
        }
    }
    if summary.errors > 0 {
        println!(
            "({} of the failures are harness or network errors, listed as ERROR)",
            summary.errors
        );
    }
    println!("{summary}");
    if summary.failed > 0 {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    }
}
