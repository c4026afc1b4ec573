//! The real `strangler` binary: a backfill killed with SIGKILL in the
//! middle resumes from its checkpoint and every record lands exactly once;
//! `strangler verify` exits by the result and records it with the admin API
//! (a recording stub here), or says in one line that it could not.

use crate::support::{Sides, count, start_fulfillment};
use platform::testing::TestBackend;
use std::io::{Read, Write};
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

platform::both_backends!(
    a_killed_backfill_resumes_and_every_record_lands_once,
    a_killed_fulfillment_backfill_resumes_and_verify_passes
);

/// The `strangler` binary, built if needed (a test binary of this crate
/// cannot name another package's binary, so it asks cargo for it).
pub(crate) fn strangler() -> PathBuf {
    let status = Command::new(env!("CARGO"))
        .args(["build", "-q", "-p", "strangler-proxy", "--bin", "strangler"])
        .status()
        .unwrap();
    assert!(status.success());
    let exe = std::env::current_exe().unwrap();
    exe.parent().unwrap().parent().unwrap().join("strangler")
}

/// An admin API stand-in on 127.0.0.1:0 that records one request.
fn recording_stub() -> (String, std::sync::mpsc::Receiver<String>) {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap().to_string();
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let (mut stream, _) = listener.accept().unwrap();
        stream
            .set_read_timeout(Some(Duration::from_secs(10)))
            .unwrap();
        let mut buf = Vec::new();
        let mut chunk = [0u8; 4096];
        loop {
            let n = stream.read(&mut chunk).unwrap();
            buf.extend_from_slice(&chunk[..n]);
            let text = String::from_utf8_lossy(&buf).to_string();
            if let Some(at) = text.find("\r\n\r\n") {
                let len = text
                    .lines()
                    .find_map(|l| {
                        l.to_ascii_lowercase()
                            .strip_prefix("content-length:")
                            .map(|v| v.trim().parse::<usize>().unwrap())
                    })
                    .unwrap_or(0);
                if buf.len() >= at + 4 + len || n == 0 {
                    break;
                }
            }
        }
        stream.write_all(b"HTTP/1.1 201 Created\r\ncontent-type: application/json\r\ncontent-length: 2\r\n\r\n{}").unwrap();
        tx.send(String::from_utf8_lossy(&buf).to_string()).unwrap();
    });
    (addr, rx)
}

async fn a_killed_backfill_resumes_and_every_record_lands_once(backend: TestBackend) {
    let sides = Sides::start(backend).await;
    sides.generate(12).await;
    let bin = strangler();
    let state = sides.dir.join("state");
    let args = |extra: &[&str]| {
        let mut a = vec![
            "backfill",
            "payments",
            "--from-api",
            &sides.monolith,
            "--to",
            &sides.payment,
            "--batch-size",
            "2",
            "--state-dir",
        ];
        a.push(state.to_str().unwrap());
        a.extend_from_slice(extra);
        a.into_iter().map(String::from).collect::<Vec<_>>()
    };
    let mut child = Command::new(&bin)
        .args(args(&["--rate", "4"]))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let checkpoint = state.join("payments.checkpoint.json");
    let deadline = Instant::now() + Duration::from_secs(30);
    while !(checkpoint.exists() && sides.payment_count("payments").await >= 4) {
        assert!(Instant::now() < deadline, "the backfill never got going");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    child.kill().unwrap(); // SIGKILL
    child.wait().unwrap();
    let moved = sides.payment_count("payments").await;
    assert!(
        moved < 12,
        "the kill must land mid-run, {moved} of 12 were already there"
    );

    let out = Command::new(&bin).args(args(&[])).output().unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{stdout} {}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(stdout.contains("0 dead letters"), "{stdout}");
    assert_eq!(sides.payment_count("payments").await, 12);
    assert_eq!(sides.payment_count("invoices").await, 12);
    // Exactly once: one stream per payment, one open event per stream.
    assert_eq!(
        sides
            .payment_count("payment_events WHERE event_type = 'payment.authorized'")
            .await,
        12
    );

    let (admin, recorded) = recording_stub();
    let config = sides.dir.join("strangler.toml");
    std::fs::write(
        &config,
        format!("[admin]\nlisten = \"{admin}\"\ntoken = \"data-test-admin-token-0123456789\"\n"),
    )
    .unwrap();
    let verify = Command::new(&bin)
        .args([
            "--config",
            config.to_str().unwrap(),
            "verify",
            "payments",
            "--from-api",
            &sides.monolith,
            "--to",
            &sides.payment,
            "--json",
        ])
        .output()
        .unwrap();
    assert!(
        verify.status.success(),
        "{}",
        String::from_utf8_lossy(&verify.stderr)
    );
    let result: serde_json::Value = serde_json::from_slice(&verify.stdout).unwrap();
    assert_eq!(
        (
            result["context"].as_str(),
            result["missing_in_new"].as_u64()
        ),
        (Some("payments"), Some(0))
    );
    let request = recorded.recv_timeout(Duration::from_secs(10)).unwrap();
    assert!(request.starts_with("POST /admin/verify-runs "), "{request}");
    assert!(
        request
            .to_ascii_lowercase()
            .contains("authorization: bearer data-test-admin-token-0123456789")
    );
    let body: serde_json::Value =
        serde_json::from_str(request.split("\r\n\r\n").nth(1).unwrap()).unwrap();
    assert_eq!(body, result);

    // Nobody listening: said in one line, and the exit still follows the result.
    sides
        .sql(
            &sides.payment_db,
            "DELETE FROM refunds",
            payment::migrations(),
        )
        .await;
    let dead = Command::new(&bin)
        .args([
            "--config",
            config.to_str().unwrap(),
            "verify",
            "payments",
            "--from-api",
            &sides.monolith,
            "--to",
            &sides.payment,
        ])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&dead.stderr);
    assert_eq!(dead.status.code(), Some(1), "{stderr}");
    assert_eq!(
        stderr
            .lines()
            .filter(|l| l.starts_with("verify result not recorded: "))
            .count(),
        1,
        "{stderr}"
    );
    assert!(String::from_utf8_lossy(&dead.stdout).contains("missing in new"));
}

async fn a_killed_fulfillment_backfill_resumes_and_verify_passes(backend: TestBackend) {
    let sides = Sides::start(backend).await;
    sides.generate(12).await;
    sides.generate_fulfillment().await;
    let (service, service_db) = start_fulfillment(backend).await;
    let orders = || count(&service_db, fulfillment::migrations(), "orders");
    let bin = strangler();
    let state = sides.dir.join("state");
    let args = |command: &str, extra: &[&str]| {
        let mut a = vec![command, "fulfillment", "--from-db", sides.monolith_db.url()];
        a.extend_from_slice(&["--to", &service, "--batch-size", "2", "--state-dir"]);
        a.push(state.to_str().unwrap());
        a.extend_from_slice(extra);
        a.into_iter().map(String::from).collect::<Vec<_>>()
    };
    let mut child = Command::new(&bin)
        .args(args("backfill", &["--rate", "4"]))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(30);
    while orders().await < 4 {
        assert!(Instant::now() < deadline, "the backfill never got going");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    child.kill().unwrap(); // SIGKILL
    child.wait().unwrap();
    let moved = orders().await;
    assert!(
        moved < 13,
        "the kill must land mid-run, {moved} of 13 were already there"
    );
    let checkpoint = std::fs::read_to_string(state.join("fulfillment.checkpoint.json")).unwrap();
    assert!(
        checkpoint.contains("\"stock item\": \"odd_sku.1\""),
        "{checkpoint}"
    );

    let out = Command::new(&bin)
        .args(args("backfill", &[]))
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{stdout} {}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(stdout.contains("0 dead letters"), "{stdout}");
    assert_eq!(orders().await, 13);
    // Exactly once: a record imported twice would reserve its stock twice,
    // and verify compares every item's reserved units with the monolith's.
    let verify = Command::new(&bin)
        .args(args("verify", &["--json", "--no-record"]))
        .output()
        .unwrap();
    let result: serde_json::Value = serde_json::from_slice(&verify.stdout).unwrap();
    assert!(verify.status.success(), "{result}");
    assert_eq!(
        (
            result["context"].as_str(),
            result["differing_records"].as_u64()
        ),
        (Some("fulfillment"), Some(0))
    );
}
