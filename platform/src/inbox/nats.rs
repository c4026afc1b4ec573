//! The NATS door of the [`Inbox`]: a durable JetStream pull consumer (named
//! `events.consumer`) on the events the inbox handles. A message is acked
//! after the inbox transaction committed, nak'ed (redelivered after a pause)
//! when it failed, and terminated only when it can never be read (not an
//! envelope). One message is in flight at a time (`max_ack_pending = 1`), so
//! events are applied in the order they were published.
//!
//! Connection trouble is retried with the relay's back-off; the durable
//! consumer remembers where it was, and the client library asks again for
//! messages once it reconnected.

use super::Inbox;
use crate::outbox::Envelope;
use crate::relay::EventsSettings;
use crate::relay::nats::connect;
use crate::trace_context::{TRACEPARENT, TRACESTATE, TraceContext};
use async_nats::jetstream::consumer::{AckPolicy, Consumer as Durable, DeliverPolicy, pull};
use async_nats::jetstream::{AckKind, Message};
use futures_util::StreamExt;
use std::time::Duration;
use tokio::sync::watch;
use tokio::task::JoinHandle;

/// How long the server waits for the ack of a delivered message before it
/// delivers it again. A broker killed before it stored an ack comes back
/// thinking the message is still in hand, and with one in flight at a time
/// nothing else flows until this passes: short, since applying an event is
/// one short transaction, and a second delivery is only a duplicate the
/// inbox skips.
pub(crate) const ACK_WAIT: Duration = Duration::from_secs(5);

/// A running consumer.
pub struct Consumer {
    stop: watch::Sender<bool>,
    task: JoinHandle<()>,
}

impl Consumer {
    /// Starts consuming; `None` when the inbox handles no event type.
    pub fn spawn(inbox: Inbox, settings: &EventsSettings) -> Option<Self> {
        let types: Vec<String> = inbox.event_types().map(str::to_owned).collect();
        // One type: the server filters; several: everything under the prefix,
        // the inbox ignores what it has no handler for.
        let filter = match types.as_slice() {
            [] => return None,
            [only] => settings.subject(only),
            _ => format!("{}.>", settings.subject_prefix),
        };
        let (stop, stopped) = watch::channel(false);
        let task = tokio::spawn(run(inbox, settings.clone(), filter, stopped));
        Some(Self { stop, task })
    }

    /// Stops after the message in hand and waits for it.
    pub async fn stop(self) {
        let _ = self.stop.send(true);
        let _ = self.task.await;
    }
}

async fn run(
    inbox: Inbox,
    settings: EventsSettings,
    filter: String,
    mut stopped: watch::Receiver<bool>,
) {
    let mut backoff = settings.poll_interval();
    tracing::info!(consumer = %settings.consumer, filter = %filter, "NATS inbox consumer started");
    loop {
        let outcome = tokio::select! {
            _ = stopped.changed() => break,
            outcome = consume(&inbox, &settings, &filter, &mut backoff) => outcome,
        };
        if let Err(e) = outcome {
            tracing::warn!(error = %e, retry_in_ms = backoff.as_millis() as u64, "NATS inbox consumer");
        }
        tokio::select! {
            _ = stopped.changed() => break,
            _ = tokio::time::sleep(backoff) => {}
        }
        backoff = (backoff * 2).min(settings.max_backoff());
    }
    tracing::info!(consumer = %settings.consumer, "NATS inbox consumer stopped");
}

/// Reads messages until the connection or the stream fails. Cancelling it
/// (on stop) between two messages is safe: an unacked one comes again.
async fn consume(
    inbox: &Inbox,
    settings: &EventsSettings,
    filter: &str,
    backoff: &mut Duration,
) -> Result<(), String> {
    let (_js, stream) = connect(settings).await?;
    // Create or update: a durable consumer made by an older release keeps
    // its position but takes this config (a shorter `ack_wait` above all);
    // merely getting it would keep the old settings for good.
    let consumer: Durable<pull::Config> = stream
        .create_consumer(pull::Config {
            durable_name: Some(settings.consumer.clone()),
            filter_subject: filter.to_owned(),
            ack_policy: AckPolicy::Explicit,
            deliver_policy: DeliverPolicy::All,
            max_ack_pending: 1,
            ack_wait: ACK_WAIT,
            ..Default::default()
        })
        .await
        .map_err(|e| {
            format!(
                "cannot create or update the consumer {}: {e}",
                settings.consumer
            )
        })?;
    let mut messages = consumer
        .messages()
        .await
        .map_err(|e| format!("cannot read from the consumer {}: {e}", settings.consumer))?;
    *backoff = settings.poll_interval();
    while let Some(message) = messages.next().await {
        let message = message.map_err(|e| format!("reading messages: {e}"))?;
        handle(inbox, settings, message).await;
    }
    Err("the message stream ended".into())
}

async fn handle(inbox: &Inbox, settings: &EventsSettings, message: Message) {
    let envelope: Envelope = match serde_json::from_slice(&message.payload) {
        Ok(e) => e,
        Err(e) => {
            tracing::error!(
                subject = %message.subject,
                error = %e,
                payload = %String::from_utf8_lossy(&message.payload),
                "not an event envelope: terminated, never redelivered"
            );
            ack(&message, AckKind::Term).await;
            return;
        }
    };
    let header = |name: &str| {
        message
            .headers
            .as_ref()
            .and_then(|h| h.get(name))
            .map(|v| v.as_str().to_owned())
    };
    let trace = header(TRACEPARENT)
        .and_then(|parent| TraceContext::parse(&parent, header(TRACESTATE).as_deref()));
    match inbox.receive(envelope, trace).await {
        Ok(_) => ack(&message, AckKind::Ack).await,
        Err(_) => ack(&message, AckKind::Nak(Some(settings.poll_interval()))).await,
    }
}

async fn ack(message: &Message, kind: AckKind) {
    if let Err(e) = message.ack_with(kind).await {
        // Not acked means redelivered after ack_wait; the inbox dedupes it.
        tracing::warn!(error = %e, "cannot acknowledge a NATS message");
    }
}
