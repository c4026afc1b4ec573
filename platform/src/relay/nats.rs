//! The production transport: NATS JetStream. Each event is published on
//! `<subject_prefix>.<event_type>` with `Nats-Msg-Id` = its event id (the
//! stream drops a repeat inside its duplicate window) and the trace context
//! as `traceparent`/`tracestate` headers; it counts as delivered once the
//! stream acknowledged it.

use super::PublishError;
use super::settings::EventsSettings;
use crate::outbox::StoredEvent;
use crate::trace_context::{TRACEPARENT, TRACESTATE};
use async_nats::jetstream::{self, stream};
use std::time::Duration;

/// The JetStream header that dedupes publishes of the same message.
pub const MSG_ID: &str = "Nats-Msg-Id";

/// Connects to the server in `settings` and ensures its stream exists
/// (holding `<subject_prefix>.>`); the same for producers and consumers.
pub async fn connect(
    settings: &EventsSettings,
) -> Result<(jetstream::Context, jetstream::stream::Stream), String> {
    let timeout = settings.publish_timeout();
    let client = async_nats::ConnectOptions::new()
        .connection_timeout(timeout)
        .request_timeout(Some(timeout))
        .connect(settings.nats_url.as_str())
        .await
        .map_err(|e| format!("cannot connect to NATS at {}: {e}", settings.nats_url))?;
    let js = jetstream::new(client);
    let stream = js
        .get_or_create_stream(stream::Config {
            name: settings.stream.clone(),
            subjects: vec![format!("{}.>", settings.subject_prefix)],
            duplicate_window: Duration::from_secs(120),
            ..Default::default()
        })
        .await
        .map_err(|e| format!("cannot ensure the stream {}: {e}", settings.stream))?;
    Ok((js, stream))
}

/// A JetStream context, connected on first use and kept while it works.
pub struct NatsTransport {
    settings: EventsSettings,
    js: Option<jetstream::Context>,
}

impl NatsTransport {
    /// Not yet connected: the first publish connects and ensures the stream.
    pub fn new(settings: EventsSettings) -> Self {
        Self { settings, js: None }
    }

    async fn context(&mut self) -> Result<jetstream::Context, PublishError> {
        if let Some(js) = &self.js {
            return Ok(js.clone());
        }
        let (js, _stream) = connect(&self.settings)
            .await
            .map_err(|error| self.transport_error(error))?;
        self.js = Some(js.clone());
        Ok(js)
    }

    fn transport_error(&self, error: String) -> PublishError {
        PublishError::Transport {
            to: self.settings.nats_url.clone(),
            error,
        }
    }

    /// Publishes `event` and waits for the stream's acknowledgement.
    pub async fn publish(&mut self, event: &StoredEvent) -> Result<(), PublishError> {
        let body = event
            .envelope()
            .and_then(|e| serde_json::to_vec(&e))
            .map_err(|e| PublishError::Unpublishable(e.to_string()))?;
        let mut headers = async_nats::HeaderMap::new();
        headers.insert(MSG_ID, event.event_id.as_str());
        if let Some(trace) = event.trace() {
            headers.insert(TRACEPARENT, trace.traceparent.as_str());
            if let Some(state) = &trace.tracestate {
                headers.insert(TRACESTATE, state.as_str());
            }
        }
        let js = self.context().await?;
        let subject = self.settings.subject(&event.event_type);
        let published = async {
            js.publish_with_headers(subject, headers, body.into())
                .await
                .map_err(|e| e.to_string())?
                .await
                .map_err(|e| e.to_string())
        };
        match tokio::time::timeout(self.settings.publish_timeout(), published).await {
            Ok(Ok(_ack)) => Ok(()),
            Ok(Err(e)) => Err(self.transport_error(format!("publish not acknowledged: {e}"))),
            Err(_) => Err(self.transport_error("publish not acknowledged in time".into())),
        }
    }
}
