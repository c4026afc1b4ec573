//! The embedded default transport: POST each event to every subscriber's
//! inbox. Delivered means every subscriber answered 2xx; a subscriber that
//! already had the event dedupes it, so retrying the whole list is safe.

use super::PublishError;
use crate::outbox::StoredEvent;
use crate::trace_context::{TRACEPARENT, TRACESTATE};
use std::time::Duration;

/// The header naming the event on an inbox POST (the inbox checks it matches
/// the body's `event_id`).
pub const IDEMPOTENCY_KEY: &str = "Idempotency-Key";

/// Subscribers' inboxes and a client to reach them.
pub struct HttpTransport {
    client: reqwest::Client,
    subscribers: Vec<String>,
}

impl HttpTransport {
    /// A transport to `subscribers`, each answer within `timeout`.
    pub fn new(subscribers: Vec<String>, timeout: Duration) -> Result<Self, PublishError> {
        let client = reqwest::Client::builder()
            .timeout(timeout)
            .build()
            .map_err(|e| PublishError::Setup(e.to_string()))?;
        Ok(Self {
            client,
            subscribers,
        })
    }

    /// Delivers `event` to every subscriber, stopping at the first refusal.
    pub async fn publish(&self, event: &StoredEvent) -> Result<(), PublishError> {
        let body = event
            .envelope()
            .map_err(|e| PublishError::Unpublishable(e.to_string()))?;
        for url in &self.subscribers {
            let mut req = self
                .client
                .post(url)
                .header(IDEMPOTENCY_KEY, &event.event_id)
                .json(&body);
            if let Some(trace) = event.trace() {
                req = req.header(TRACEPARENT, &trace.traceparent);
                if let Some(state) = &trace.tracestate {
                    req = req.header(TRACESTATE, state);
                }
            }
            let res = req.send().await.map_err(|e| PublishError::Transport {
                to: url.clone(),
                error: e.to_string(),
            })?;
            let status = res.status();
            if !status.is_success() {
                let text = res.text().await.unwrap_or_default();
                return Err(PublishError::Transport {
                    to: url.clone(),
                    error: format!("answered {status}: {}", excerpt(&text)),
                });
            }
        }
        Ok(())
    }
}

/// The start of a refusal's body, for the log.
fn excerpt(text: &str) -> &str {
    let end = text.char_indices().nth(300).map_or(text.len(), |(i, _)| i);
    &text[..end]
}
