//! Shared by the tests: time limits.

use std::future::Future;
use std::time::Duration;

/// Upper bound for any single test step: tests end on their own even when something hangs.
pub const STEP: Duration = Duration::from_secs(30);

/// Runs `fut` under [`STEP`], failing the test with `what` when it does not finish.
pub async fn within<T>(what: &str, fut: impl Future<Output = T>) -> T {
    tokio::time::timeout(STEP, fut)
        .await
        .unwrap_or_else(|_| panic!("{what} did not finish within {STEP:?}"))
}
