//! The real binary: starts on embedded defaults (a SQLite file it creates),
//! answers, and on SIGTERM stops gracefully with exit code 0, exporting its
//! spans (as `monolith`) to the OTLP endpoint one variable turns on.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

#[test]
fn starts_on_defaults_and_stops_on_sigterm() {
    let dir = std::env::temp_dir().join(format!("monolith-shutdown-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let otlp = platform::testing::otlp::OtlpReceiver::start();
    let mut child = Command::new(env!("CARGO_BIN_EXE_monolith"))
        .current_dir(&dir)
        .env("MONOLITH__SERVER__PORT", "0")
        .env("MONOLITH__TELEMETRY__FORMAT", "json")
        .env("MONOLITH__TELEMETRY__OTLP_ENDPOINT", otlp.endpoint())
        .env_remove("RUST_LOG")
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let port = lines
        .by_ref()
        .map_while(Result::ok)
        .find_map(|l| {
            let v: serde_json::Value = serde_json::from_str(&l).ok()?;
            (v["fields"]["message"] == "monolith listening")
                .then(|| v["fields"]["port"].as_u64())?
        })
        .expect("the monolith logs its port");
    assert!(
        dir.join("data/monolith.db").exists(),
        "the SQLite file is created on first start"
    );

    let health = reqwest::blocking::Client::new()
        .get(format!("http://127.0.0.1:{port}/healthz"))
        .header(
            "traceparent",
            "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
        )
        .send()
        .unwrap();
    assert!(health.status().is_success());

    let status = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    let deadline = Instant::now() + Duration::from_secs(30);
    let exit = loop {
        if let Some(exit) = child.try_wait().unwrap() {
            break exit;
        }
        if Instant::now() > deadline {
            child.kill().unwrap();
            panic!("the monolith did not stop within 30 s of SIGTERM");
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    let rest: Vec<String> = lines.map_while(Result::ok).collect();
    assert!(exit.success(), "{exit:?}");
    assert!(
        rest.iter().any(|l| l.contains("monolith stopped")),
        "{rest:?}"
    );
    // Buffered spans are exported before the process exits.
    let spans = otlp.spans();
    assert!(
        spans.iter().any(|s| s.service == "monolith"
            && s.trace_id == "4bf92f3577b34da6a3ce929d0e0e4736"
            && s.parent_span_id.as_deref() == Some("00f067aa0ba902b7")
            && s.attributes.get("http.route").and_then(|r| r.as_str()) == Some("/healthz")),
        "{spans:#?}"
    );
    let _ = std::fs::remove_dir_all(&dir);
}
