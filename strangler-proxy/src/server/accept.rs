//! Accepting under overload, degrading instead of spinning: a failed accept
//! (out of file descriptors: EMFILE, ENFILE; out of memory) waits before
//! the next try, 10 ms doubling to 1 s and back to nothing after a success,
//! its log line rate-limited; and past `proxy.max_connections` open client
//! connections a new one is accepted only to be told `503` problem+json with
//! `Retry-After: 1` and closed, so the client knows it was refused rather
//! than left hanging, and the connections already open keep being served.

use crate::metrics::ProxyMetrics;
use std::sync::Arc;
use std::time::Duration;
use tokio::io::AsyncWriteExt;
use tokio::net::TcpStream;
use tokio::sync::{OwnedSemaphorePermit, Semaphore};

/// The first wait after a failed accept.
pub const FIRST_WAIT: Duration = Duration::from_millis(10);
/// The longest wait.
pub const LONGEST_WAIT: Duration = Duration::from_secs(1);

/// How long to wait after failed accepts.
#[derive(Debug, Default)]
pub struct Backoff {
    next: Option<Duration>,
}

impl Backoff {
    /// An accept failed: how long to wait before the next.
    pub fn failed(&mut self) -> Duration {
        let wait = self.next.unwrap_or(FIRST_WAIT);
        self.next = Some((wait * 2).min(LONGEST_WAIT));
        wait
    }

    /// An accept succeeded: the next failure waits the least again.
    pub fn succeeded(&mut self) {
        self.next = None;
    }
}

/// The open client connections, at most `proxy.max_connections`.
#[derive(Clone)]
pub struct Limit {
    open: Arc<Semaphore>,
    metrics: ProxyMetrics,
}

/// How long the refusal may take to write before the connection is dropped.
const REFUSAL_WRITE: Duration = Duration::from_secs(1);

impl Limit {
    /// At most `max` open connections.
    pub fn new(max: usize, metrics: ProxyMetrics) -> Self {
        Self {
            open: Arc::new(Semaphore::new(max)),
            metrics,
        }
    }

    /// A place for one more connection (held for its life), or `None`: the
    /// connection is refused (see [`refuse`]).
    pub fn admit(&self) -> Option<OwnedSemaphorePermit> {
        self.open.clone().try_acquire_owned().ok()
    }

    /// Tells `stream` it is refused and closes it, off the accept loop.
    pub fn refuse(&self, mut stream: TcpStream) {
        self.metrics.connection_refused();
        crate::limited!(
            warn,
            "connection refused: proxy.max_connections open already"
        );
        tokio::spawn(async move {
            let body = serde_json::json!({
                "type": "urn:strangler-kit:problem:too-many-connections",
                "title": "Service Unavailable",
                "status": 503,
                "detail": "the proxy has as many client connections open as it may (proxy.max_connections); try again shortly",
            })
            .to_string();
            let answer = format!(
                "HTTP/1.1 503 Service Unavailable\r\ncontent-type: application/problem+json\r\n\
                 retry-after: 1\r\nconnection: close\r\ncontent-length: {}\r\n\r\n{body}",
                body.len()
            );
            let write = async {
                stream.write_all(answer.as_bytes()).await?;
                stream.shutdown().await
            };
            let _ = tokio::time::timeout(REFUSAL_WRITE, write).await;
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn failed_accepts_wait_doubling_to_a_second_and_success_resets() {
        let mut backoff = Backoff::default();
        let waits: Vec<u64> = (0..10)
            .map(|_| backoff.failed().as_millis() as u64)
            .collect();
        assert_eq!(waits, [10, 20, 40, 80, 160, 320, 640, 1000, 1000, 1000]);
        backoff.succeeded();
        assert_eq!(backoff.failed(), FIRST_WAIT);
    }
}
