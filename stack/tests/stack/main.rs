//! The `stack` binary as a user runs it: on free ports in a temporary
//! folder, started, driven over HTTP, one part killed, one stopped and
//! started from a second terminal, then stopped.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod running;
mod unleash;

use running::{RunningStack, free_base};
use std::time::Duration;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_stack_serves_restarts_a_killed_part_holds_a_stopped_one_and_stops_every_part() {
    let mut stack = RunningStack::start(&[]);
    stack.wait_for("ready; Ctrl-C stops everything", Duration::from_secs(600));
    let proxy = stack.url(0);
    let http = reqwest::Client::new();

    // The legacy API answers through the proxy.
    let created: serde_json::Value = http
        .post(format!("{proxy}/api/v1/customers"))
        .json(&serde_json::json!({"nm": "Ada", "eml": "ada@example.com",
            "bill": {"nm": "Ada", "ln1": "1 Lane", "city": "London", "zip": "N1", "ctry": "GB"}}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let id = created["id"].as_i64().unwrap();
    let read: serde_json::Value = http
        .get(format!("{proxy}/api/v1/customers/{id}"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(read["nm"], "Ada", "{read}");

    // A part killed outright is started again and becomes healthy.
    let payment = stack.pid_of("payment");
    running::signal(payment, rustix::process::Signal::KILL);
    stack.wait_for(
        "payment was killed by signal 9; restarting it",
        Duration::from_secs(30),
    );
    stack.wait_for("payment is healthy again", Duration::from_secs(60));
    let ready = http
        .get(format!("{}/readyz", stack.url(82)))
        .send()
        .await
        .unwrap();
    assert!(ready.status().is_success());
    assert_ne!(stack.pid_of("payment"), payment);

    // One stopped from another terminal stays down until started again.
    let stop = stack.command(&["stop", "payment"]);
    assert!(stop.status.success(), "{stop:?}");
    let said = String::from_utf8_lossy(&stop.stdout);
    assert!(said.starts_with("payment stopped; the stack keeps it stopped"));
    stack.wait_for("payment stopped on request", Duration::from_secs(5));
    let readyz = format!("{}/readyz", stack.url(82));
    assert!(
        reqwest::get(&readyz).await.is_err(),
        "payment still answers"
    );
    let again = stack.command(&["start", "payment"]);
    assert!(again.status.success(), "{again:?}");
    assert!(reqwest::get(&readyz).await.unwrap().status().is_success());
    let refused = stack.command(&["start", "payment"]);
    assert!(!refused.status.success());

    // `stack sync on` lets the monolith's relay deliver: the monolith
    // restarts on the rewritten settings; a second time changes nothing.
    let sync = stack.command(&["sync", "on"]);
    assert!(sync.status.success(), "{sync:?}");
    let said = String::from_utf8_lossy(&sync.stdout);
    assert!(said.starts_with("sync on: the monolith delivers"), "{said}");
    let again = stack.command(&["sync", "on"]);
    let said = String::from_utf8_lossy(&again.stdout);
    assert!(said.starts_with("sync is already on"), "{said}");

    // SIGTERM stops the supervisor and every part it started.
    let pids = stack.all_pids();
    assert_eq!(
        pids.len(),
        7,
        "four parts, one restart, one start, one restart for sync: {pids:?}"
    );
    let status = stack.terminate(Duration::from_secs(90));
    assert!(status.success(), "{status}");
    for pid in pids {
        assert!(!running::alive(pid), "pid {pid} still runs");
    }
    assert!(stack.lines().iter().any(|l| l.ends_with("stack | stopped")));
}

#[test]
fn a_busy_port_stops_the_stack_with_one_line_naming_it() {
    let base = free_base();
    let held = std::net::TcpListener::bind(("127.0.0.1", base + 80)).unwrap();
    let output = running::command(base, std::path::Path::new("."))
        .output()
        .unwrap();
    drop(held);
    assert_eq!(output.status.code(), Some(2));
    let stdout = String::from_utf8(output.stdout).unwrap();
    assert_eq!(
        stdout.trim_end(),
        format!(
            "      stack | error: port {} (monolith) is in use: stop what listens there, \
             or move the whole stack with --base-port",
            base + 80
        )
    );
}

#[test]
fn a_part_that_cannot_start_stops_the_stack() {
    let mut stack = RunningStack::start(&[("MONOLITH__LEGACY__TIMEZONE", "Nowhere/City")]);
    let status = stack.wait_exit(Duration::from_secs(600));
    assert_eq!(status.code(), Some(1));
    let lines = stack.lines();
    let said = |needle: &str| lines.iter().any(|l| l.contains(needle));
    assert!(
        said("monolith | monolith: invalid setting `legacy.timezone`"),
        "{lines:#?}"
    );
    assert!(said("monolith exited with status 2 before it was healthy"));
    assert!(said("error: the stack did not start"));
    assert!(
        !said("started fulfillment"),
        "nothing starts after a failed part"
    );
}

#[test]
fn sync_without_a_stack_says_where_to_start_one() {
    let dir = std::env::temp_dir().join(format!("stack-sync-{}", uuid::Uuid::new_v4().simple()));
    let output = running::command(free_base(), &dir)
        .args(["sync", "on"])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(1));
    let stderr = String::from_utf8(output.stderr).unwrap();
    assert!(
        stderr.contains("start the stack in this folder first"),
        "{stderr}"
    );
}

#[test]
fn unleash_without_postgres_is_refused_by_the_command_line() {
    let output = running::command(free_base(), std::path::Path::new("."))
        .arg("--unleash")
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8(output.stderr).unwrap();
    assert!(stderr.contains("--postgres <URL>"), "{stderr}");
}
