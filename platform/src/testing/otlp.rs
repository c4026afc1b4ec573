//! An OTLP/HTTP trace receiver for tests: a real HTTP server on 127.0.0.1:0
//! that accepts `POST /v1/traces` with OTLP/JSON bodies (what
//! [`crate::telemetry`] exports) and keeps the spans, so a test can check who
//! exported what under which trace. It runs on a thread of its own and stops
//! when dropped.

use actix_web::http::header::CONTENT_TYPE;
use actix_web::{App, HttpRequest, HttpResponse, HttpServer, web};
use serde_json::{Map, Value};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// One received span (ids as lower-case hex, as OTLP/JSON carries them).
#[derive(Debug, Clone, PartialEq)]
pub struct ReceivedSpan {
    /// 32 hex digits.
    pub trace_id: String,
    /// 16 hex digits.
    pub span_id: String,
    /// The parent's span id; `None` for a root span.
    pub parent_span_id: Option<String>,
    /// The span's name.
    pub name: String,
    /// The exporting process's `service.name` resource attribute.
    pub service: String,
    /// The span's attributes, each as its OTLP/JSON value (`"GET"`, `"200"`, `true`).
    pub attributes: Map<String, Value>,
}

type Spans = Arc<Mutex<Vec<ReceivedSpan>>>;

/// The running receiver.
pub struct OtlpReceiver {
    endpoint: String,
    spans: Spans,
    server: actix_web::dev::ServerHandle,
}

impl OtlpReceiver {
    /// Starts the receiver on a free loopback port.
    pub fn start() -> Self {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind 127.0.0.1:0");
        let endpoint = format!("http://{}", listener.local_addr().expect("local address"));
        let spans = Spans::default();
        let (handle_tx, handle_rx) = std::sync::mpsc::channel();
        let kept = spans.clone();
        std::thread::Builder::new()
            .name("otlp-receiver".into())
            .spawn(move || {
                actix_web::rt::System::new().block_on(async move {
                    let server = HttpServer::new(move || {
                        App::new()
                            .app_data(web::Data::new(kept.clone()))
                            .app_data(web::PayloadConfig::new(64 * 1024 * 1024))
                            .route("/v1/traces", web::post().to(receive))
                    })
                    .workers(1)
                    .disable_signals()
                    .listen(listener)
                    .expect("listen")
                    .run();
                    let _ = handle_tx.send(server.handle());
                    let _ = server.await;
                });
            })
            .expect("spawn the receiver thread");
        let server = handle_rx.recv().expect("the receiver started");
        Self {
            endpoint,
            spans,
            server,
        }
    }

    /// The base URL to give as `telemetry.otlp_endpoint`.
    pub fn endpoint(&self) -> &str {
        &self.endpoint
    }

    /// Every span received so far.
    pub fn spans(&self) -> Vec<ReceivedSpan> {
        self.spans.lock().unwrap_or_else(|p| p.into_inner()).clone()
    }

    /// Polls (calling `flush` between looks) until the received spans satisfy
    /// `done`, and returns them; panics after `within`.
    pub fn wait_for(
        &self,
        within: Duration,
        mut flush: impl FnMut(),
        done: impl Fn(&[ReceivedSpan]) -> bool,
    ) -> Vec<ReceivedSpan> {
        let deadline = Instant::now() + within;
        loop {
            flush();
            let spans = self.spans();
            if done(&spans) {
                return spans;
            }
            assert!(
                Instant::now() < deadline,
                "the expected spans did not arrive within {within:?}; received: {spans:#?}"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

impl Drop for OtlpReceiver {
    fn drop(&mut self) {
        // The stop command is sent at once; nothing needs to wait for it.
        drop(self.server.stop(false));
    }
}

async fn receive(req: HttpRequest, body: web::Bytes, spans: web::Data<Spans>) -> HttpResponse {
    let json = req
        .headers()
        .get(CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/json"));
    if !json {
        return HttpResponse::UnsupportedMediaType().body("only OTLP/JSON is accepted");
    }
    let request: Value = match serde_json::from_slice(&body) {
        Ok(v) => v,
        Err(e) => return HttpResponse::BadRequest().body(format!("not JSON: {e}")),
    };
    let received = parse(&request);
    spans
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .extend(received);
    HttpResponse::Ok().json(serde_json::json!({}))
}

/// The spans of an `ExportTraceServiceRequest` in OTLP/JSON.
fn parse(request: &Value) -> Vec<ReceivedSpan> {
    let mut out = Vec::new();
    for resource_spans in array(&request["resourceSpans"]) {
        let resource = attributes(&resource_spans["resource"]["attributes"]);
        let service = resource
            .get("service.name")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_owned();
        for scope_spans in array(&resource_spans["scopeSpans"]) {
            for span in array(&scope_spans["spans"]) {
                let text = |key: &str| span[key].as_str().unwrap_or_default().to_owned();
                let parent = text("parentSpanId");
                out.push(ReceivedSpan {
                    trace_id: text("traceId"),
                    span_id: text("spanId"),
                    parent_span_id: (!parent.is_empty()).then_some(parent),
                    name: text("name"),
                    service: service.clone(),
                    attributes: attributes(&span["attributes"]),
                });
            }
        }
    }
    out
}

fn array(value: &Value) -> &[Value] {
    value.as_array().map_or(&[], Vec::as_slice)
}

/// `[{"key": k, "value": {"stringValue": v}}]` as `{k: v}`.
fn attributes(list: &Value) -> Map<String, Value> {
    array(list)
        .iter()
        .filter_map(|kv| {
            let key = kv["key"].as_str()?.to_owned();
            let value = kv["value"].as_object()?.values().next()?.clone();
            Some((key, value))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn otlp_json_spans_are_read_with_their_service() {
        let request = serde_json::json!({"resourceSpans": [{
            "resource": {"attributes": [{"key": "service.name", "value": {"stringValue": "payment"}}]},
            "scopeSpans": [{"scope": {"name": "strangler-kit"}, "spans": [
                {"traceId": "4bf92f3577b34da6a3ce929d0e0e4736", "spanId": "00f067aa0ba902b7",
                 "parentSpanId": "", "name": "HTTP request",
                 "attributes": [{"key": "http.status_code", "value": {"intValue": "200"}}]},
                {"traceId": "4bf92f3577b34da6a3ce929d0e0e4736", "spanId": "1111111111111111",
                 "parentSpanId": "00f067aa0ba902b7", "name": "child"}
            ]}]
        }]});
        let spans = parse(&request);
        assert_eq!(spans.len(), 2);
        assert_eq!(spans[0].service, "payment");
        assert_eq!(spans[0].parent_span_id, None);
        assert_eq!(spans[0].attributes["http.status_code"], "200");
        assert_eq!(spans[1].parent_span_id.as_deref(), Some("00f067aa0ba902b7"));
    }
}
