//! Reads one side's `GET /sync/status` (served by `platform::sync::status`).

use super::reading::{Direction, Measured};
use platform::sync::status::{PATH, SyncStatus};

/// Asks `upstream` (a base URL) how far `direction` is behind for data
/// context `context` (a side that syncs several counts only that one's
/// changes); any failure is a [`Measured::Unknown`] that says what went
/// wrong.
pub(super) async fn read(
    client: &reqwest::Client,
    upstream: &str,
    context: &str,
    timeout: std::time::Duration,
    direction: Direction,
) -> Measured {
    match fetch(client, upstream, context, timeout).await {
        Ok(status) if status.origin != direction.origin() => Measured::Unknown {
            error: format!(
                "{upstream} reports the changes of `{}`, not of `{}`: is the route's {} upstream the right side?",
                status.origin,
                direction.origin(),
                direction.origin()
            ),
        },
        Ok(status) => Measured::Known {
            pending: status.pending,
            lag_seconds: status.oldest_pending_age_seconds,
            relay: status.relay,
        },
        Err(error) => Measured::Unknown { error },
    }
}

async fn fetch(
    client: &reqwest::Client,
    upstream: &str,
    context: &str,
    timeout: std::time::Duration,
) -> Result<SyncStatus, String> {
    let url = format!("{upstream}{PATH}");
    let res = client
        .get(&url)
        .query(&[("context", context)])
        .timeout(timeout)
        .send()
        .await
        .map_err(|e| format!("{url} does not answer: {}", without_url(&e)))?;
    let status = res.status();
    if !status.is_success() {
        // A problem's detail says why (an unknown data context names the known ones).
        let detail = res
            .json::<serde_json::Value>()
            .await
            .ok()
            .and_then(|p| p["detail"].as_str().map(|d| format!(": {d}")))
            .unwrap_or_default();
        return Err(format!("{url} answered {status}{detail}"));
    }
    res.json::<SyncStatus>()
        .await
        .map_err(|e| format!("{url} answered no sync status: {}", without_url(&e)))
}

/// reqwest's message without the URL it repeats (ours says it already), and
/// with its cause, which says what actually failed (refused, timed out).
fn without_url(e: &reqwest::Error) -> String {
    let mut text = if e.is_timeout() {
        "timed out".to_owned()
    } else if e.is_connect() {
        "cannot connect".to_owned()
    } else {
        e.to_string()
    };
    if let Some(cause) = std::error::Error::source(e).and_then(std::error::Error::source) {
        text = format!("{text} ({cause})");
    }
    text
}
