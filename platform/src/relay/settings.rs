//! The `[events]` section every service has: how its outbox is relayed and,
//! for a consumer, where its NATS inbox reads from.

use crate::settings::{InvalidSetting, Validate};
use serde::{Deserialize, Serialize};
use std::time::Duration;

/// How a service's events leave it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Transport {
    /// POST each event to every subscriber's `/inbox` (the embedded default).
    Http,
    /// Publish to NATS JetStream; consumers read a durable pull consumer.
    Nats,
    /// No relay: events wait in the outbox.
    Off,
}

/// `[events]`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EventsSettings {
    /// `http`, `nats` or `off`.
    #[serde(deserialize_with = "crate::settings::named")]
    pub transport: Transport,
    /// `http`: the inbox URLs each event is POSTed to (all must answer 2xx).
    pub subscribers: Vec<String>,
    /// `nats`: the server, `host:port` or `nats://host:port`.
    pub nats_url: String,
    /// `nats`: the JetStream stream, created at start when missing.
    pub stream: String,
    /// `nats`: events go to `<subject_prefix>.<event_type>`; the stream holds
    /// `<subject_prefix>.>`.
    pub subject_prefix: String,
    /// `nats`: this service's durable consumer name (when it consumes events).
    pub consumer: String,
    /// How often the relay looks for new events when idle.
    pub poll_interval_ms: u64,
    /// Events read and published per round.
    pub batch_size: i64,
    /// The longest wait between retries while a transport fails.
    pub max_backoff_ms: u64,
    /// How long one publish (or one subscriber's answer) may take.
    pub publish_timeout_ms: u64,
}

impl EventsSettings {
    /// How events actually leave: `off` also for `http` without subscribers
    /// (no relay runs then, and events wait in the outbox).
    pub fn relay_transport(&self) -> Transport {
        match self.transport {
            Transport::Http if self.subscribers.is_empty() => Transport::Off,
            other => other,
        }
    }

    /// `poll_interval_ms` as a duration.
    pub fn poll_interval(&self) -> Duration {
        Duration::from_millis(self.poll_interval_ms)
    }

    /// `max_backoff_ms` as a duration.
    pub fn max_backoff(&self) -> Duration {
        Duration::from_millis(self.max_backoff_ms)
    }

    /// `publish_timeout_ms` as a duration.
    pub fn publish_timeout(&self) -> Duration {
        Duration::from_millis(self.publish_timeout_ms)
    }

    /// The subject an event type is published on.
    pub fn subject(&self, event_type: &str) -> String {
        format!("{}.{event_type}", self.subject_prefix)
    }
}

/// A name NATS accepts for a stream or consumer (no dots, spaces or wildcards).
fn nats_name(key: &str, value: &str) -> Result<(), InvalidSetting> {
    let ok = !value.is_empty()
        && value.len() <= 64
        && value
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-');
    if ok {
        Ok(())
    } else {
        Err(InvalidSetting::new(
            key,
            format!("`{value}` must be 1 to 64 of A-Z a-z 0-9 _ -"),
        ))
    }
}

impl Validate for EventsSettings {
    fn validate(&self) -> Result<(), InvalidSetting> {
        for url in &self.subscribers {
            match reqwest::Url::parse(url) {
                Ok(u) if matches!(u.scheme(), "http" | "https") && u.has_host() => {}
                _ => {
                    return Err(InvalidSetting::new(
                        "events.subscribers",
                        format!(
                            "`{url}` is not an http(s) URL such as http://127.0.0.1:8083/inbox"
                        ),
                    ));
                }
            }
        }
        if self.nats_url.trim().is_empty() {
            return Err(InvalidSetting::new(
                "events.nats_url",
                "must name a server such as 127.0.0.1:4222",
            ));
        }
        nats_name("events.stream", &self.stream)?;
        nats_name("events.consumer", &self.consumer)?;
        let prefix_ok = !self.subject_prefix.is_empty()
            && self.subject_prefix.split('.').all(|token| {
                !token.is_empty()
                    && token
                        .bytes()
                        .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
            });
        if !prefix_ok {
            return Err(InvalidSetting::new(
                "events.subject_prefix",
                format!(
                    "`{}` must be dot-separated tokens of A-Z a-z 0-9 _ - (no wildcards)",
                    self.subject_prefix
                ),
            ));
        }
        if self.poll_interval_ms == 0 || self.poll_interval_ms > 60_000 {
            return Err(InvalidSetting::new(
                "events.poll_interval_ms",
                "must be 1 to 60000",
            ));
        }
        if !(1..=1000).contains(&self.batch_size) {
            return Err(InvalidSetting::new(
                "events.batch_size",
                "must be 1 to 1000",
            ));
        }
        if self.max_backoff_ms < self.poll_interval_ms {
            return Err(InvalidSetting::new(
                "events.max_backoff_ms",
                "must be at least events.poll_interval_ms",
            ));
        }
        if self.publish_timeout_ms == 0 {
            return Err(InvalidSetting::new(
                "events.publish_timeout_ms",
                "must be at least 1",
            ));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SAMPLE: &str = r#"
[events]
transport = "http"
subscribers = ["http://127.0.0.1:8083/inbox"]
nats_url = "127.0.0.1:4222"
stream = "EVENTS"
subject_prefix = "events"
consumer = "payment"
poll_interval_ms = 500
batch_size = 100
max_backoff_ms = 30000
publish_timeout_ms = 5000
"#;

    #[derive(Debug, Deserialize)]
    struct Sample {
        events: EventsSettings,
    }

    impl Validate for Sample {
        fn validate(&self) -> Result<(), InvalidSetting> {
            self.events.validate()
        }
    }

    fn load(toml: &str) -> Result<Sample, String> {
        crate::settings::load::<Sample>(toml, None, "PLATFORM_EVENTS_TEST_NONE")
            .map_err(|e| e.to_string())
    }

    #[test]
    fn the_sample_is_valid() {
        let s = load(SAMPLE).unwrap();
        assert_eq!(s.events.transport, Transport::Http);
        assert_eq!(
            s.events.subject("payment.refunded"),
            "events.payment.refunded"
        );
    }

    #[test]
    fn bad_values_name_their_key() {
        for (from, to, key) in [
            (
                "\"http://127.0.0.1:8083/inbox\"",
                "\"ftp://x\"",
                "events.subscribers",
            ),
            ("stream = \"EVENTS\"", "stream = \"a.b\"", "events.stream"),
            (
                "consumer = \"payment\"",
                "consumer = \"\"",
                "events.consumer",
            ),
            (
                "prefix = \"events\"",
                "prefix = \"events.>\"",
                "events.subject_prefix",
            ),
            ("batch_size = 100", "batch_size = 0", "events.batch_size"),
            (
                "poll_interval_ms = 500",
                "poll_interval_ms = 0",
                "events.poll_interval_ms",
            ),
            (
                "max_backoff_ms = 30000",
                "max_backoff_ms = 10",
                "events.max_backoff_ms",
            ),
            (
                "nats_url = \"127.0.0.1:4222\"",
                "nats_url = \" \"",
                "events.nats_url",
            ),
        ] {
            let err = load(&SAMPLE.replace(from, to)).unwrap_err();
            assert!(err.contains(&format!("`{key}`")), "{from} → {to}: {err}");
        }
        let err = load(&SAMPLE.replace("\"http\"", "\"kafka\"")).unwrap_err();
        assert!(
            err.contains("transport") && err.contains("expected one of `http`, `nats`, `off`"),
            "{err}"
        );
    }
}
