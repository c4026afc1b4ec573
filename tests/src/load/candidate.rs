//! A candidate in front of the real payment service, with a behaviour the
//! test switches at run time: faithful (forwards as is), planting
//! differences on chosen fields of chosen answers (what the shadow report
//! must catch, all of them and nothing else), or failing (what the watchdog
//! must roll back from). The proxy's route points at it instead of the
//! service.

use actix_web::{App, HttpRequest, HttpResponse, HttpServer, web};
use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet};
use std::sync::{Arc, Mutex};

/// What the candidate does with the next requests.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Behaviour {
    /// Forward, answer as the service did.
    Faithful,
    /// Forward, then change the planted fields of the chosen answers.
    Plant,
    /// Answer 503 without forwarding (nothing happens in the service).
    Fail,
}

/// One planted difference: a field of the v2 payment, and the legacy field
/// (the shadow report's pattern) it shows up in once translated.
#[derive(Debug, Clone)]
pub struct Plant {
    /// JSON pointer into the v2 payment, e.g. `/amount/amount`.
    pub pointer: &'static str,
    /// The report's pattern for it, e.g. `$.amt`.
    pub legacy: &'static str,
}

/// Which answers get planted: `GET /v2/payments/by-legacy-id/{id}` for a
/// chosen `id` (the ACL also looks a payment up this way before a refund:
/// choose payments that are only read).
const PLANTED_PATH: &str = "/v2/payments/by-legacy-id/";

/// The header the proxy marks a shadowed write with.
const DRY_RUN: &str = "x-strangler-dry-run";

struct State {
    upstream: String,
    client: reqwest::Client,
    plants: Vec<Plant>,
    chosen: Mutex<BTreeSet<i64>>,
    behaviour: Mutex<Behaviour>,
    /// Planted answers per legacy pattern.
    planted: Mutex<BTreeMap<&'static str, u64>>,
    /// Dry-run writes answered (the shadow copies of writes).
    dry_runs: Mutex<u64>,
}

/// The running candidate.
pub struct Candidate {
    state: Arc<State>,
    url: String,
    _server: actix_web::dev::ServerHandle,
}

impl Candidate {
    /// Starts on 127.0.0.1:0 in front of `upstream`, faithful; while
    /// planting, `plants` apply to the [chosen](Self::choose) payments.
    pub fn start(upstream: &str, plants: Vec<Plant>) -> std::io::Result<Self> {
        let state = Arc::new(State {
            upstream: upstream.trim_end_matches('/').to_owned(),
            client: reqwest::Client::new(),
            plants,
            chosen: Mutex::new(BTreeSet::new()),
            behaviour: Mutex::new(Behaviour::Faithful),
            planted: Mutex::new(BTreeMap::new()),
            dry_runs: Mutex::new(0),
        });
        let data = web::Data::from(state.clone());
        let server = HttpServer::new(move || {
            App::new()
                .app_data(data.clone())
                .app_data(web::PayloadConfig::new(16 * 1024 * 1024))
                .default_service(web::to(forward))
        })
        .workers(2)
        .disable_signals()
        .bind(("127.0.0.1", 0))?;
        let port = server.addrs()[0].port();
        let server = server.run();
        let handle = server.handle();
        tokio::spawn(server);
        Ok(Self {
            state,
            url: format!("http://127.0.0.1:{port}"),
            _server: handle,
        })
    }

    /// Where the proxy should send the new side's requests.
    pub fn url(&self) -> &str {
        &self.url
    }

    /// Switches the behaviour for the next requests.
    pub fn set(&self, behaviour: Behaviour) {
        *lock(&self.state.behaviour) = behaviour;
    }

    /// The payments (legacy ids) whose reads get the plants.
    pub fn choose(&self, payments: impl IntoIterator<Item = i64>) {
        lock(&self.state.chosen).extend(payments);
    }

    /// How many answers were planted, per legacy pattern.
    pub fn planted(&self) -> BTreeMap<&'static str, u64> {
        lock(&self.state.planted).clone()
    }

    /// How many dry-run writes (shadowed writes) the service answered
    /// through the candidate.
    pub fn dry_runs(&self) -> u64 {
        *lock(&self.state.dry_runs)
    }
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

async fn forward(state: web::Data<State>, req: HttpRequest, body: web::Bytes) -> HttpResponse {
    let behaviour = *lock(&state.behaviour);
    if behaviour == Behaviour::Fail {
        return HttpResponse::ServiceUnavailable()
            .content_type("application/problem+json")
            .body(r#"{"title":"failing on purpose","status":503,"detail":"the load test's candidate is set to fail"}"#);
    }
    let path = req.uri().path_and_query().map_or("/", |p| p.as_str());
    let method = reqwest::Method::from_bytes(req.method().as_str().as_bytes())
        .unwrap_or(reqwest::Method::GET);
    let mut upstream = state
        .client
        .request(method, format!("{}{path}", state.upstream))
        .body(body.to_vec());
    for (name, value) in req.headers() {
        if !matches!(name.as_str(), "host" | "content-length" | "connection") {
            upstream = upstream.header(name.as_str(), value.as_bytes());
        }
    }
    let answer = match upstream.send().await {
        Ok(answer) => answer,
        Err(e) => {
            return HttpResponse::BadGateway().body(format!("the payment service: {e}"));
        }
    };
    let status = actix_web::http::StatusCode::from_u16(answer.status().as_u16())
        .unwrap_or(actix_web::http::StatusCode::BAD_GATEWAY);
    let mut response = HttpResponse::build(status);
    for (name, value) in answer.headers() {
        if !matches!(
            name.as_str(),
            "content-length" | "connection" | "transfer-encoding"
        ) {
            response.insert_header((name.as_str(), value.as_bytes()));
        }
    }
    let bytes = answer.bytes().await.unwrap_or_default();
    if req.method() != actix_web::http::Method::GET && req.headers().contains_key(DRY_RUN) {
        *lock(&state.dry_runs) += 1;
    }
    let chosen = behaviour == Behaviour::Plant
        && req.method() == actix_web::http::Method::GET
        && status.is_success()
        && planted_id(req.uri().path()).is_some_and(|id| lock(&state.chosen).contains(&id));
    if !chosen {
        return response.body(bytes);
    }
    match serde_json::from_slice::<Value>(&bytes) {
        Ok(mut payment) => {
            let mut planted = lock(&state.planted);
            for plant in &state.plants {
                if let Some(field) = payment.pointer_mut(plant.pointer) {
                    *field = changed(field);
                    *planted.entry(plant.legacy).or_default() += 1;
                }
            }
            response.body(payment.to_string())
        }
        Err(_) => response.body(bytes),
    }
}

/// The legacy id of a planted path.
fn planted_id(path: &str) -> Option<i64> {
    path.strip_prefix(PLANTED_PATH)?.parse().ok()
}

/// A value that differs from `v` and still translates: a decimal amount one
/// minor unit more, a string with a suffix, a number plus one.
fn changed(v: &Value) -> Value {
    match v {
        Value::String(s) => match s.split_once('.') {
            Some((units, minor)) if s.parse::<f64>().is_ok() => {
                let scale = 10_i64.pow(minor.len() as u32);
                let minor_units = units.parse::<i64>().unwrap_or(0) * scale
                    + minor.parse::<i64>().unwrap_or(0)
                    + 1;
                Value::String(format!(
                    "{}.{:0width$}",
                    minor_units / scale,
                    minor_units % scale,
                    width = minor.len()
                ))
            }
            _ => Value::String(format!("{s}-planted")),
        },
        Value::Number(n) => Value::from(n.as_i64().unwrap_or(0) + 1),
        other => other.clone(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn a_planted_amount_is_one_minor_unit_more() {
        assert_eq!(changed(&json!("19.99")), json!("20.00"));
        assert_eq!(changed(&json!("0.05")), json!("0.06"));
        assert_eq!(changed(&json!("card")), json!("card-planted"));
        assert_eq!(changed(&json!(7)), json!(8));
    }

    #[test]
    fn only_payment_reads_by_legacy_id_are_planted() {
        assert_eq!(planted_id("/v2/payments/by-legacy-id/42"), Some(42));
        assert_eq!(planted_id("/v2/payments/by-legacy-id/42/refunds"), None);
        assert_eq!(planted_id("/v2/payments/42"), None);
    }
}
