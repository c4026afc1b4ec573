//! `fulfillment sagas list|show <id>`: the operators' view of the order sagas
//! of a running service, read from its `GET /v2/sagas` and
//! `GET /v2/sagas/{id}` (`--url`, by default the service's default listen
//! address). `list` prints one line per saga (newest first; `--status`,
//! `--limit` as the API takes them), `show` one saga with its failure, its
//! order and its history; `--json` prints the service's JSON instead. Any error is one
//! line on stderr and a non-zero exit.

use clap::{Args, Subcommand};
use fulfillment_api::{Saga, SagaEvent, SagaStatus};
use platform::table::table;
use reqwest::StatusCode;
use serde_json::Value;
use std::time::Duration;
use uuid::Uuid;

/// The service's default listen address (`[server]` in the settings).
pub const DEFAULT_URL: &str = "http://127.0.0.1:8083";

/// How long the CLI waits for the service.
const TIMEOUT: Duration = Duration::from_secs(10);

/// The longest `last error` a list line shows; `show` shows all of it.
const ERROR_WIDTH: usize = 60;

/// `fulfillment sagas …`.
#[derive(Debug, Args)]
pub struct SagasArgs {
    /// The fulfillment service to ask.
    #[arg(long, global = true, default_value = DEFAULT_URL, env = "FULFILLMENT_URL")]
    pub url: String,
    /// Print the service's JSON instead of a table.
    #[arg(long, global = true)]
    pub json: bool,
    /// `list` or `show`.
    #[command(subcommand)]
    pub command: SagasCommand,
}

/// What to show.
#[derive(Debug, Subcommand)]
pub enum SagasCommand {
    /// The newest sagas, one line each.
    List {
        /// Only sagas in this status: running, compensating, completed,
        /// compensated or failed.
        #[arg(long, value_parser = status)]
        status: Option<SagaStatus>,
        /// How many, 1 to 100.
        #[arg(long, default_value_t = 20)]
        limit: u32,
    },
    /// One saga: where it stands, what failed it, its order, its history.
    Show {
        /// The saga's id (a UUID, as `list` shows it).
        id: String,
    },
}

/// Runs the command; what to print on stdout, or the one-line error.
pub async fn run(args: &SagasArgs) -> Result<String, String> {
    let api = Api::new(&args.url)?;
    match &args.command {
        SagasCommand::List { status, limit } => {
            if !(1..=100).contains(limit) {
                return Err(format!("--limit must be 1 to 100, got {limit}"));
            }
            let mut path = format!("/v2/sagas?limit={limit}");
            if let Some(status) = status {
                path.push_str(&format!("&status={}", status.as_str()));
            }
            let body = api.get(&path).await?;
            if args.json {
                return pretty(&body);
            }
            let sagas: Vec<Saga> = decode(&api, body)?;
            Ok(list_table(&sagas))
        }
        SagasCommand::Show { id } => {
            let id = Uuid::parse_str(id.trim())
                .map_err(|_| format!("saga id `{id}` is not a UUID (as `sagas list` shows it)"))?;
            let body = api.get(&format!("/v2/sagas/{id}")).await.map_err(|e| {
                if e.starts_with("404") {
                    format!("no saga {id} at {}", api.base)
                } else {
                    e
                }
            })?;
            if args.json {
                return pretty(&body);
            }
            let saga: Saga = decode(&api, body)?;
            Ok(show_table(&saga))
        }
    }
}

/// A saga status as the API names it.
fn status(raw: &str) -> Result<SagaStatus, String> {
    serde_json::from_value(Value::String(raw.to_owned())).map_err(|_| {
        format!(
            "`{raw}` is not a saga status: running, compensating, completed, compensated or failed"
        )
    })
}

/// The service at `base`.
struct Api {
    client: reqwest::Client,
    base: String,
}

impl Api {
    fn new(url: &str) -> Result<Self, String> {
        let base = url.trim_end_matches('/').to_owned();
        if !(base.starts_with("http://") || base.starts_with("https://")) {
            return Err(format!("--url `{url}` is not an http(s) URL"));
        }
        let client = reqwest::Client::builder()
            .timeout(TIMEOUT)
            .build()
            .map_err(|e| format!("cannot make an HTTP client: {e}"))?;
        Ok(Self { client, base })
    }

    /// The JSON at `path`; an error answer is `"<status> <detail>"`.
    async fn get(&self, path: &str) -> Result<Value, String> {
        let unreachable = |e: reqwest::Error| {
            let why = if e.is_timeout() {
                "no answer in time"
            } else {
                "connection failed"
            };
            format!(
                "cannot reach the fulfillment service at {} ({why})",
                self.base
            )
        };
        let res = self
            .client
            .get(format!("{}{path}", self.base))
            .send()
            .await
            .map_err(unreachable)?;
        let status = res.status();
        let text = res.text().await.map_err(unreachable)?;
        let body: Option<Value> = serde_json::from_str(&text).ok();
        if status == StatusCode::OK
            && let Some(body) = body
        {
            return Ok(body);
        }
        let detail = body
            .as_ref()
            .and_then(|b| b["detail"].as_str())
            .map_or_else(|| one_line(&text, 200), str::to_owned);
        Err(format!(
            "{} from {}{path}: {detail}",
            status.as_u16(),
            self.base
        ))
    }
}

fn decode<T: serde::de::DeserializeOwned>(api: &Api, body: Value) -> Result<T, String> {
    serde_json::from_value(body).map_err(|e| {
        format!(
            "{} answered something that is not the fulfillment service's sagas API: {e}",
            api.base
        )
    })
}

fn pretty(body: &Value) -> Result<String, String> {
    serde_json::to_string_pretty(body)
        .map(|s| s + "\n")
        .map_err(|e| e.to_string())
}

/// `text` on one line, cut to `max` characters.
fn one_line(text: &str, max: usize) -> String {
    let flat = text.split_whitespace().collect::<Vec<_>>().join(" ");
    if flat.chars().count() <= max {
        return flat;
    }
    let cut: String = flat.chars().take(max.saturating_sub(1)).collect();
    format!("{cut}…")
}

fn or_dash<T: ToString>(value: Option<T>) -> String {
    value.map_or_else(|| "-".to_owned(), |v| v.to_string())
}

/// The order as operators know it: its legacy id, else its UUID.
fn order_of(saga: &Saga) -> String {
    match (&saga.order, saga.order_id) {
        (Some(order), _) => order.legacy_id.to_string(),
        (None, Some(id)) => id.to_string(),
        (None, None) => "-".to_owned(),
    }
}

fn time(at: Option<chrono::DateTime<chrono::Utc>>) -> String {
    or_dash(at.map(|t| t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)))
}

/// One line per saga.
pub fn list_table(sagas: &[Saga]) -> String {
    if sagas.is_empty() {
        return "no sagas\n".to_owned();
    }
    let rows: Vec<Vec<String>> = sagas
        .iter()
        .map(|s| {
            vec![
                s.id.to_string(),
                s.kind.as_str().to_owned(),
                order_of(s),
                s.step.clone(),
                s.status.as_str().to_owned(),
                s.attempts.to_string(),
                time(s.next_attempt_at),
                or_dash(s.last_error.as_deref().map(|e| one_line(e, ERROR_WIDTH))),
            ]
        })
        .collect();
    table(
        &[
            "ID",
            "KIND",
            "ORDER",
            "STEP",
            "STATUS",
            "ATTEMPTS",
            "NEXT ATTEMPT",
            "LAST ERROR",
        ],
        &rows,
    )
}

/// One saga, field by field, then its order, then its history.
pub fn show_table(saga: &Saga) -> String {
    let mut out = fields_table(saga);
    out.push('\n');
    out.push_str(&history_table(saga.history.as_deref().unwrap_or_default()));
    out
}

/// Each start, move and failed try, oldest first.
fn history_table(history: &[SagaEvent]) -> String {
    let rows: Vec<Vec<String>> = history
        .iter()
        .map(|e| {
            let what = match &e.to_step {
                Some(to) => format!("{} → {to}", e.step),
                None => format!("{} failed, retried", e.step),
            };
            vec![
                time(Some(e.at)),
                what,
                e.status.as_str().to_owned(),
                or_dash(e.error.as_deref().map(|err| one_line(err, 200))),
            ]
        })
        .collect();
    table(&["AT", "HISTORY", "STATUS", "ERROR"], &rows)
}

fn fields_table(saga: &Saga) -> String {
    let failure = saga.failure.as_ref().map(|f| {
        let status = f["status"]
            .as_u64()
            .map_or_else(String::new, |s| format!("{s} "));
        let detail = f["detail"]
            .as_str()
            .map_or_else(|| f.to_string(), str::to_owned);
        format!("{status}{}", one_line(&detail, 500))
    });
    let payment = saga.payment_id.map(|id| match saga.payment_legacy_id {
        Some(legacy) => format!("{id} (legacy {legacy})"),
        None => id.to_string(),
    });
    let mut rows = vec![
        ("saga", saga.id.to_string()),
        ("kind", saga.kind.as_str().to_owned()),
        ("status", saga.status.as_str().to_owned()),
        ("step", saga.step.clone()),
        ("attempts", saga.attempts.to_string()),
        ("next attempt", time(saga.next_attempt_at)),
        (
            "last error",
            or_dash(saga.last_error.as_deref().map(|e| one_line(e, 500))),
        ),
        ("failure", or_dash(failure)),
        (
            "payment",
            or_dash(payment.or(saga.payment_legacy_id.map(|l| format!("legacy {l}")))),
        ),
        ("started", time(Some(saga.created_at))),
        ("last moved", time(Some(saga.updated_at))),
    ];
    match &saga.order {
        Some(order) => rows.extend([
            (
                "order",
                format!("{} (legacy {})", order.id, order.legacy_id),
            ),
            ("order state", order.state.as_str().to_owned()),
            ("order total", order.total.to_string()),
            ("order payment", or_dash(order.payment_legacy_id)),
            ("order invoice", or_dash(order.invoice_legacy_id)),
        ]),
        None => rows.push(("order", or_dash(saga.order_id))),
    }
    let rows: Vec<Vec<String>> = rows
        .into_iter()
        .map(|(k, v)| vec![k.to_owned(), v])
        .collect();
    table(&["FIELD", "VALUE"], &rows)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_default_url_is_the_default_listen_address() {
        let defaults = crate::settings::load(None).unwrap();
        let listen = format!("http://{}:{}", defaults.server.host, defaults.server.port);
        assert_eq!(DEFAULT_URL, listen);
    }

    #[test]
    fn a_status_is_read_by_its_wire_name() {
        assert_eq!(status("compensating"), Ok(SagaStatus::Compensating));
        let err = status("stuck").unwrap_err();
        assert!(err.contains("`stuck`") && err.contains("running"), "{err}");
    }

    #[test]
    fn long_errors_are_cut_to_one_line() {
        assert_eq!(one_line("a\n  b", 10), "a b");
        assert_eq!(one_line("abcdefghijkl", 5), "abcd…");
    }
}
