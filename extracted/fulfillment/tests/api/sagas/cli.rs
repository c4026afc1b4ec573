//! `fulfillment sagas list|show`: the real binary against a service on port
//! 0 (with the real payment service behind it), as an operator runs it.

use super::support::{place_body, world};
use platform::testing::TestBackend;
use serde_json::Value;
use std::process::{Command, Output};

/// Runs the binary with `args`; its exit, stdout and stderr.
async fn fulfillment(args: &[&str]) -> (bool, String, String) {
    let args: Vec<String> = args.iter().map(|a| (*a).to_owned()).collect();
    let out: Output = tokio::task::spawn_blocking(move || {
        Command::new(env!("CARGO_BIN_EXE_fulfillment"))
            .args(&args)
            .env_remove("FULFILLMENT_URL")
            .output()
            .unwrap()
    })
    .await
    .unwrap();
    (
        out.status.success(),
        String::from_utf8(out.stdout).unwrap(),
        String::from_utf8(out.stderr).unwrap(),
    )
}

async fn operators_list_and_show_sagas_from_the_command_line(backend: TestBackend) {
    let w = world(backend, 5000).await;
    let url = w.app.address.clone();
    let paid = w.start_expecting(&place_body(1, Some("tok_ok")), 201).await;
    let declined = w
        .start_expecting(&place_body(1, Some("tok_declined")), 402)
        .await;
    let (paid_id, declined_id) = (
        paid["id"].as_str().unwrap(),
        declined["saga_id"].as_str().unwrap(),
    );

    let (ok, out, err) = fulfillment(&["sagas", "list", "--url", &url]).await;
    assert!(ok, "{err}");
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(lines.len(), 3, "a header and two sagas:\n{out}");
    for column in [
        "ID",
        "KIND",
        "ORDER",
        "STEP",
        "STATUS",
        "ATTEMPTS",
        "NEXT ATTEMPT",
        "LAST ERROR",
    ] {
        assert!(lines[0].contains(column), "{column} in {}", lines[0]);
    }
    let line = |id: &str| *lines.iter().find(|l| l.starts_with(id)).unwrap();
    let legacy = paid["order"]["legacy_id"].to_string();
    let words: Vec<&str> = line(paid_id).split_whitespace().collect();
    assert_eq!(
        words[1..6],
        ["place_order", legacy.as_str(), "done", "completed", "0"]
    );
    assert!(line(declined_id).contains("compensated"), "{out}");

    let (ok, out, _) =
        fulfillment(&["sagas", "list", "--url", &url, "--status", "compensated"]).await;
    assert!(ok);
    assert_eq!(out.lines().count(), 2, "only the compensated one:\n{out}");
    assert!(out.contains(declined_id) && !out.contains(paid_id), "{out}");

    let (ok, out, _) = fulfillment(&["sagas", "show", declined_id, "--url", &url]).await;
    assert!(ok);
    let field = |name: &str| {
        out.lines()
            .find_map(|l| l.strip_prefix(name).filter(|rest| rest.starts_with("  ")))
            .map(str::trim)
            .unwrap_or_else(|| panic!("no {name} in\n{out}"))
            .to_owned()
    };
    assert_eq!(field("status"), "compensated");
    assert!(field("failure").starts_with("402 "), "{out}");
    assert!(field("failure").contains("declined"), "{out}");
    assert_eq!(field("order state"), "cancelled");
    let history: Vec<&str> = out
        .lines()
        .skip_while(|l| !l.starts_with("AT "))
        .skip(1)
        .collect();
    let moves: Vec<String> = history
        .iter()
        .map(|l| {
            l.split_whitespace()
                .skip(1)
                .take(3)
                .collect::<Vec<_>>()
                .join(" ")
        })
        .collect();
    assert_eq!(
        moves,
        [
            "started → reserve_stock",
            "reserve_stock → charge_payment",
            "charge_payment → settle_payment",
            "settle_payment → release_stock",
            "release_stock → done",
        ],
        "{out}"
    );
    assert!(
        history[2].contains("declined"),
        "the failure that turned it: {out}"
    );

    let (ok, out, _) = fulfillment(&["sagas", "show", paid_id, "--json", "--url", &url]).await;
    assert!(ok);
    let shown: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(
        shown,
        w.saga(paid_id).await,
        "--json prints what the API answers"
    );
    let (ok, out, _) = fulfillment(&["sagas", "list", "--json", "--url", &url]).await;
    assert!(ok);
    let listed: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(listed.as_array().map(Vec::len), Some(2));
}

async fn command_line_errors_are_one_line_and_fail(backend: TestBackend) {
    let w = world(backend, 5000).await;
    let url = w.app.address.clone();
    let unknown = uuid::Uuid::now_v7().to_string();
    let (ok, out, err) = fulfillment(&["sagas", "show", &unknown, "--url", &url]).await;
    assert!(!ok && out.is_empty());
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(err.contains(&unknown) && err.contains("no saga"), "{err}");

    // A port nobody listens on any more.
    let gone = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        format!("http://{}", listener.local_addr().unwrap())
    };
    let (ok, _, err) = fulfillment(&["sagas", "list", "--url", &gone]).await;
    assert!(!ok);
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(err.contains(&gone) && err.contains("cannot reach"), "{err}");

    for (args, says) in [
        (
            vec!["sagas", "show", "not-a-uuid", "--url", &url],
            "not a UUID",
        ),
        (
            vec!["sagas", "list", "--status", "stuck", "--url", &url],
            "`stuck` is not a saga status",
        ),
        (
            vec!["sagas", "list", "--limit", "0", "--url", &url],
            "1 to 100",
        ),
    ] {
        let (ok, _, err) = fulfillment(&args).await;
        assert!(!ok, "{args:?}");
        assert_eq!(err.lines().count(), 1, "{args:?}: {err}");
        assert!(err.contains(says), "{args:?}: {err}");
    }
}

platform::both_backends!(
    operators_list_and_show_sagas_from_the_command_line,
    command_line_errors_are_one_line_and_fail,
);
