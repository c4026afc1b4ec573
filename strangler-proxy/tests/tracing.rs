//! Trace context and logs across two real processes: the `strangler` binary
//! (exporting as `strangler`) in front of a platform-based actix app in this
//! process (exporting as `legacy-app`), both to one OTLP receiver. The
//! client's trace id is kept, the app's request span is a child of the
//! proxy's span, the proxy's spans are flushed when it stops on SIGTERM, and
//! neither process logs the client's credentials or the admin token. (One test
//! binary: it owns the global subscriber.)

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use support::proxy::TestProxy;

use actix_web::{HttpResponse, HttpServer, web};
use platform::settings::{LogFormat, TelemetrySettings};
use platform::testing::captured_logs::CapturedLogs;
use platform::testing::otlp::OtlpReceiver;
use serde_json::Value;
use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

const CLIENT_TRACE: &str = "4bf92f3577b34da6a3ce929d0e0e4736";
const CLIENT_SPAN: &str = "00f067aa0ba902b7";
const BEARER: &str = "bearer-s3cr3t-7f3a";
const COOKIE: &str = "c00kie-s3cr3t-91b2";
const ADMIN_TOKEN: &str = "admin-s3cr3t-token-0123456789";

async fn payment(path: web::Path<u32>) -> HttpResponse {
    tracing::info!(payment = *path, "payment read");
    HttpResponse::Ok().json(serde_json::json!({"id": *path, "st": "C"}))
}

/// Starts `strangler` on `config`; returns it, its address, and its log lines.
fn start_proxy(
    config: &std::path::Path,
    otlp: &str,
) -> (std::process::Child, String, Arc<Mutex<Vec<String>>>) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_strangler"))
        .args(["--config", &config.display().to_string(), "serve"])
        .env("STRANGLER__TELEMETRY__FORMAT", "json")
        .env("STRANGLER__TELEMETRY__OTLP_ENDPOINT", otlp)
        .env_remove("RUST_LOG")
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let lines = Arc::new(Mutex::new(Vec::new()));
    let (addr_tx, addr_rx) = std::sync::mpsc::channel();
    let stdout = child.stdout.take().unwrap();
    let kept = lines.clone();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            if let Ok(v) = serde_json::from_str::<Value>(&line)
                && v["fields"]["message"] == "strangler proxy listening"
            {
                let _ = addr_tx.send(v["fields"]["proxy_addr"].as_str().unwrap().to_owned());
            }
            kept.lock().unwrap().push(line);
        }
    });
    let addr = addr_rx
        .recv_timeout(Duration::from_secs(60))
        .expect("the proxy logs its address");
    (child, addr, lines)
}

fn stop(child: &mut std::process::Child) {
    let status = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    let deadline = Instant::now() + Duration::from_secs(30);
    while child.try_wait().unwrap().is_none() {
        if Instant::now() > deadline {
            child.kill().unwrap();
            panic!("the proxy did not stop within 30 s of SIGTERM");
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

#[actix_web::test]
async fn one_trace_from_client_through_proxy_to_app_and_no_secrets_logged() {
    let receiver = OtlpReceiver::start();
    let app_logs = CapturedLogs::default();
    let writer = app_logs.clone();
    let telemetry = platform::telemetry::init_with_writer(
        &TelemetrySettings {
            format: LogFormat::Json,
            filter: "info".into(),
            otlp_endpoint: receiver.endpoint().into(),
            service_name: "legacy-app".into(),
        },
        move || writer.clone(),
    )
    .unwrap();

    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let app_addr = listener.local_addr().unwrap();
    let metrics = platform::metrics::Metrics::new().unwrap();
    let server = HttpServer::new(move || {
        platform::server::base_app(1024, metrics.clone())
            .route("/api/v1/payments/{id}", web::get().to(payment))
    })
    .workers(1)
    .disable_signals()
    .listen(listener)
    .unwrap()
    .run();
    let app = server.handle();
    actix_web::rt::spawn(server);

    let files = TestProxy::builder()
        .legacy(app_addr)
        .token(ADMIN_TOKEN)
        .toml(
            r#"
[[routes]]
name = "payments"
patterns = ["/api/v1/payments/{id}"]
"#,
        )
        .write();
    let (mut proxy, proxy_addr, proxy_logs) = start_proxy(&files.config, receiver.endpoint());

    let res = reqwest::Client::new()
        .get(format!("http://{proxy_addr}/api/v1/payments/7"))
        .header("traceparent", format!("00-{CLIENT_TRACE}-{CLIENT_SPAN}-01"))
        .header("authorization", format!("Bearer {BEARER}"))
        .header("cookie", format!("session={COOKIE}"))
        .header("x-correlation-id", "traced-request-1")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    stop(&mut proxy);

    let spans = receiver.wait_for(
        Duration::from_secs(20),
        || telemetry.flush(),
        |spans| {
            spans.iter().any(|s| s.service == "strangler")
                && spans.iter().any(|s| s.service == "legacy-app")
        },
    );
    let proxy_span = spans.iter().find(|s| s.service == "strangler").unwrap();
    let app_span = spans
        .iter()
        .find(|s| {
            s.service == "legacy-app" && s.parent_span_id.as_deref() == Some(&proxy_span.span_id)
        })
        .unwrap_or_else(|| panic!("no app span under the proxy's span: {spans:#?}"));
    assert_eq!(proxy_span.trace_id, CLIENT_TRACE, "{proxy_span:?}");
    assert_eq!(proxy_span.parent_span_id.as_deref(), Some(CLIENT_SPAN));
    assert_eq!(app_span.trace_id, CLIENT_TRACE);

    let proxy_logs = proxy_logs.lock().unwrap().join("\n");
    let app_logs = app_logs.text();
    for secret in [BEARER, COOKIE, ADMIN_TOKEN] {
        assert!(
            !proxy_logs.contains(secret),
            "proxy logged {secret}: {proxy_logs}"
        );
        assert!(
            !app_logs.contains(secret),
            "app logged {secret}: {app_logs}"
        );
    }
    let proxied: Value = proxy_logs
        .lines()
        .filter_map(|l| serde_json::from_str::<Value>(l).ok())
        .find(|v| v["fields"]["message"] == "proxied")
        .unwrap_or_else(|| panic!("no proxied line: {proxy_logs}"));
    let fields = &proxied["fields"];
    assert_eq!(fields["correlation_id"], "traced-request-1", "{proxied}");
    assert_eq!(fields["trace_id"], CLIENT_TRACE, "{proxied}");
    assert_eq!(
        (
            &fields["route"],
            &fields["mode"],
            &fields["backend"],
            &fields["status"]
        ),
        (
            &Value::from("payments"),
            &Value::from("legacy"),
            &Value::from("legacy"),
            &Value::from(200)
        ),
        "{proxied}"
    );
    assert!(fields["latency_ms"].is_u64(), "{proxied}");
    let read: Value = app_logs
        .lines()
        .filter_map(|l| serde_json::from_str::<Value>(l).ok())
        .find(|v| v["fields"]["message"] == "payment read")
        .unwrap_or_else(|| panic!("the app did not log: {app_logs}"));
    assert_eq!(read["span"]["trace_id"], CLIENT_TRACE, "{read}");
    assert_eq!(read["span"]["correlation_id"], "traced-request-1", "{read}");

    app.stop(false).await;
}
