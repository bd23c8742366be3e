//! The command line: a small hand-written parser.

use std::time::Duration;

/// What the command line asks for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Args {
    pub(crate) broker: Option<String>,
    pub(crate) v3: bool,
    pub(crate) filter: Option<String>,
    pub(crate) list: bool,
    pub(crate) coverage: bool,
    pub(crate) markdown: Option<String>,
    pub(crate) timeout: Duration,
    pub(crate) help: bool,
}

/// Why the command line was refused.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub(crate) enum ArgsError {
    #[error("{flag} needs a value")]
    MissingValue { flag: String },
    #[error("--timeout takes a whole number of seconds above 0, not {value:?}")]
    BadTimeout { value: String },
    #[error("unknown argument {arg:?}")]
    Unknown { arg: String },
    #[error("--broker host:port is required to run the suite")]
    NoBroker,
}

pub(crate) const USAGE: &str = "\
usage: mqtt-conformance --broker host:port [--v3] [--filter NAME] [--timeout SECS] [--markdown FILE]
       mqtt-conformance --list [--v3] [--filter NAME]
       mqtt-conformance --coverage [--v3]

Runs the MQTT conformance suite against a broker, one case at a time.

  --broker host:port  the broker (mqtt://, ws://... as flowsdk-transport dials; plain host:port is TCP)
  --v3                run the MQTT 3.1.1 cases instead of the 5.0 cases
  --filter NAME       only the cases whose name or one of whose ids contains NAME
  --timeout SECS      time limit of each case (default 10)
  --markdown FILE     also write a Markdown table, one row per statement id, to FILE
  --list              print each case's name and the ids it checks, and exit
  --coverage          print which server-observable statements the suite covers, and exit

Each case prints PASS, FAIL (expected ..., seen ...), SKIP (the broker declined an optional
feature) or ERROR (a harness or network failure). The last line is
`N passed, M failed, K skipped` (errors count as failed).
Exit status: 0 when nothing failed, 1 when a case failed or errored, 2 for a usage error.";

impl Args {
    /// Parses the arguments after the program name.
    pub(crate) fn parse(args: impl IntoIterator<Item = String>) -> Result<Args, ArgsError> {
        let mut out = Args {
            broker: None,
            v3: false,
            filter: None,
            list: false,
            coverage: false,
            markdown: None,
            timeout: flowsdk_testing::conformance::DEFAULT_CASE_TIMEOUT,
            help: false,
        };
        let mut args = args.into_iter();
        while let Some(arg) = args.next() {
            let (flag, inline) = match arg.split_once('=') {
                Some((f, v)) if f.starts_with("--") => (f.to_string(), Some(v.to_string())),
                _ => (arg.clone(), None),
            };
            let mut value = |flag: &str| {
                inline
                    .clone()
                    .or_else(|| args.next())
                    .ok_or_else(|| ArgsError::MissingValue {
                        flag: flag.to_string(),
                    })
            };
            match flag.as_str() {
                "--broker" => out.broker = Some(value("--broker")?),
                "--filter" => out.filter = Some(value("--filter")?),
                "--markdown" => out.markdown = Some(value("--markdown")?),
                "--timeout" => {
                    let v = value("--timeout")?;
                    let secs: u64 = v
                        .parse()
                        .ok()
                        .filter(|s| *s > 0)
                        .ok_or(ArgsError::BadTimeout { value: v })?;
                    out.timeout = Duration::from_secs(secs);
                }
                "--v3" => out.v3 = true,
                "--list" => out.list = true,
                "--coverage" => out.coverage = true,
                "-h" | "--help" => out.help = true,
                _ => return Err(ArgsError::Unknown { arg }),
            }
        }
        if out.broker.is_none() && !(out.list || out.coverage || out.help) {
            return Err(ArgsError::NoBroker);
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(s: &str) -> Result<Args, ArgsError> {
        Args::parse(s.split_whitespace().map(String::from))
    }

    #[test]
    fn every_option_is_read() {
        let a = parse("--broker 127.0.0.1:1883 --v3 --filter will --timeout 5 --markdown out.md")
            .unwrap();
        assert_eq!(a.broker.as_deref(), Some("127.0.0.1:1883"));
        assert!(a.v3);
        assert_eq!(a.filter.as_deref(), Some("will"));
        assert_eq!(a.timeout, Duration::from_secs(5));
        assert_eq!(a.markdown.as_deref(), Some("out.md"));
        assert_eq!(
            parse("--broker=h:1 --filter=x").unwrap().filter.as_deref(),
            Some("x")
        );
    }

    #[test]
    fn mistakes_are_named() {
        assert_eq!(parse(""), Err(ArgsError::NoBroker));
        assert!(parse("--list").is_ok());
        assert_eq!(
            parse("--broker"),
            Err(ArgsError::MissingValue {
                flag: "--broker".into()
            })
        );
        assert_eq!(
            parse("--broker h:1 --timeout 0"),
            Err(ArgsError::BadTimeout { value: "0".into() })
        );
        assert_eq!(
            parse("--bogus"),
            Err(ArgsError::Unknown {
                arg: "--bogus".into()
            })
        );
    }
}
