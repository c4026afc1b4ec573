//! The `strangler` binary: operator mistakes are one clear line on stderr and
//! a non-zero exit; `check` prints the table it would serve.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::PathBuf;
use std::process::{Command, Output};

const TOKEN: &str = "cli-test-token-0123456789";

fn dir() -> PathBuf {
    let dir = std::env::temp_dir().join(format!(
        "strangler-cli-{}-{}",
        std::process::id(),
        rand_suffix()
    ));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn rand_suffix() -> u128 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_nanos()
}

fn strangler(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_strangler"))
        .args(args)
        .env("STRANGLER__ADMIN__TOKEN", TOKEN)
        .output()
        .unwrap()
}

fn one_line_error(out: &Output, needle: &str) {
    assert!(!out.status.success(), "expected a failure");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(stderr.lines().count(), 1, "one line: {stderr}");
    assert!(stderr.contains(needle), "{stderr:?} lacks {needle:?}");
}

const FLAGS: &str = r#"{"version": 2, "features": [{"name": "payments.new", "enabled": false, "strategies": [{"name": "default"}]}]}"#;

const ROUTES: &str = r#"
[[routes]]
name = "payments"
patterns = ["/api/v1/payments/{id}"]
new = "http://127.0.0.1:9001"
translator = "payments"
[routes.flags]
new = "payments.new"
"#;

#[test]
fn flags_commands_edit_the_file_and_name_mistakes() {
    let dir = dir();
    let flags = dir.join("flags.json");
    std::fs::write(&flags, FLAGS).unwrap();
    let file = flags.to_str().unwrap();

    let out = strangler(&["flags", "--file", file, "enable", "payments.new"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let list = String::from_utf8(strangler(&["flags", "--file", file, "list"]).stdout).unwrap();
    assert!(
        list.lines()
            .any(|l| l.starts_with("payments.new") && l.contains(" on ")),
        "{list}"
    );

    one_line_error(
        &strangler(&["flags", "--file", file, "enable", "no.such.flag"]),
        "no.such.flag",
    );
    one_line_error(
        &strangler(&["flags", "--file", file, "rollout", "payments.new", "140"]),
        "140",
    );
    one_line_error(
        &strangler(&[
            "flags",
            "--file",
            dir.join("missing.json").to_str().unwrap(),
            "list",
        ]),
        "missing.json",
    );
    let _ = std::fs::remove_dir_all(dir);
}

#[test]
fn flags_create_adds_a_flag_that_then_decides() {
    let dir = dir();
    let flags = dir.join("new-flags.json");
    let file = flags.to_str().unwrap();
    let run = |args: &[&str]| {
        let out = strangler(&[&["flags", "--file", file][..], args].concat());
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout).unwrap()
    };

    // No file yet: the first create starts one.
    let out = run(&["create", "payments.canary", "--rollout", "10"]);
    assert_eq!(
        out.trim(),
        "payments.canary: off (flexibleRollout 10% stickiness userId group payments.canary)"
    );
    let out = run(&["create", "payments.new"]);
    assert_eq!(out.trim(), "payments.new: off (default)");
    run(&["enable", "payments.canary"]);
    let list = run(&["list"]);
    assert!(
        list.lines()
            .any(|l| l.starts_with("payments.canary") && l.contains(" on ")),
        "{list}"
    );
    let doc: serde_json::Value = serde_json::from_slice(&std::fs::read(&flags).unwrap()).unwrap();
    let canary = &doc["features"][0];
    assert_eq!(canary["name"], "payments.canary");
    assert_eq!(canary["strategies"][0]["name"], "flexibleRollout");
    assert_eq!(canary["strategies"][0]["parameters"]["rollout"], "10");
    assert_eq!(
        canary["strategies"][0]["parameters"]["stickiness"],
        "userId"
    );
    assert_eq!(doc["features"][1]["strategies"][0]["name"], "default");

    one_line_error(
        &strangler(&["flags", "--file", file, "create", "payments.new"]),
        "flag \"payments.new\" exists already",
    );
    one_line_error(
        &strangler(&["flags", "--file", file, "create", "x", "--rollout", "101"]),
        "101",
    );
    one_line_error(
        &strangler(&["flags", "--file", file, "create", " "]),
        "invalid flag name",
    );
    let _ = std::fs::remove_dir_all(dir);
}

#[test]
fn check_prints_the_table_or_names_the_bad_route() {
    let dir = dir();
    let config = dir.join("strangler.toml");
    std::fs::write(&config, ROUTES).unwrap();
    let out = strangler(&["--config", config.to_str().unwrap(), "check"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let stdout = String::from_utf8(out.stdout).unwrap();
    assert!(
        stdout.contains("payments") && stdout.contains("ok: 1 routes"),
        "{stdout}"
    );

    std::fs::write(
        &config,
        ROUTES.replace("translator = \"payments\"", "translator = \"paymints\""),
    )
    .unwrap();
    one_line_error(
        &strangler(&["--config", config.to_str().unwrap(), "check"]),
        "route `payments`: unknown translator `paymints`",
    );
    std::fs::write(
        &config,
        ROUTES.replace("/api/v1/payments/{id}", "api/v1/{id"),
    )
    .unwrap();
    one_line_error(
        &strangler(&["--config", config.to_str().unwrap(), "check"]),
        "route `payments`",
    );
    std::fs::write(
        &config,
        ROUTES.replace(
            "[routes.flags]",
            "record_param = \"payment\"\n[routes.flags]",
        ),
    )
    .unwrap();
    one_line_error(
        &strangler(&["--config", config.to_str().unwrap(), "check"]),
        "route `payments`: record_param `payment` is not a parameter of any pattern",
    );
    std::fs::write(
        &config,
        ROUTES.replace("[routes.flags]", "record_param = \"id\"\n[routes.flags]"),
    )
    .unwrap();
    let out = strangler(&["--config", config.to_str().unwrap(), "check"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    std::fs::write(&config, format!("{ROUTES}\n[proxy]\ncodec = \"nope\"\n")).unwrap();
    one_line_error(
        &strangler(&["--config", config.to_str().unwrap(), "check"]),
        "unknown variant `nope`, expected `own` or `hyper`",
    );
    std::fs::write(
        &config,
        ROUTES.replace(
            "translator = \"payments\"",
            "translator = \"payments\"\nhost = \"kept\"",
        ),
    )
    .unwrap();
    one_line_error(
        &strangler(&["--config", config.to_str().unwrap(), "check"]),
        "unknown variant `kept`, expected `rewrite` or `keep`",
    );
    std::fs::write(&config, "[proxy]\nlisten = \"nowhere\"\n").unwrap();
    one_line_error(
        &strangler(&["--config", config.to_str().unwrap(), "check"]),
        "proxy.listen",
    );

    // No token configured at all: the key is named.
    let out = Command::new(env!("CARGO_BIN_EXE_strangler"))
        .args(["check"])
        .env_remove("STRANGLER__ADMIN__TOKEN")
        .output()
        .unwrap();
    one_line_error(&out, "admin.token");
    let _ = std::fs::remove_dir_all(dir);
}

/// `strangler check` with one admin setting changed through the environment.
fn check_with(key: &str, value: &str) -> Output {
    check_with_all(&[(key, value)])
}

/// `strangler check` of the example configuration with `env` set.
fn check_with_all(env: &[(&str, &str)]) -> Output {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_strangler"));
    cmd.current_dir(concat!(env!("CARGO_MANIFEST_DIR"), "/.."))
        .args(["--config", "strangler-proxy/config/example.toml", "check"])
        .env("STRANGLER__ADMIN__TOKEN", TOKEN);
    for (key, value) in env {
        cmd.env(key, value);
    }
    cmd.output().unwrap()
}

#[test]
fn a_weak_token_or_an_exposed_admin_listener_is_refused() {
    let spaces = " ".repeat(16);
    for (token, says) in [
        ("short-token", "at least 16 characters"),
        (spaces.as_str(), "visible ASCII"),
        ("token-with-a\u{1b}-control-char", "visible ASCII"),
        ("abababababababababab", "fewer than 8 different characters"),
    ] {
        one_line_error(&check_with("STRANGLER__ADMIN__TOKEN", token), says);
    }
    one_line_error(
        &check_with("STRANGLER__ADMIN__LISTEN", "0.0.0.0:8001"),
        "admin.allow_remote",
    );
    for loopback in ["127.0.0.1:8001", "[::1]:8001"] {
        let out = check_with("STRANGLER__ADMIN__LISTEN", loopback);
        assert!(
            out.status.success(),
            "{loopback}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    let out = check_with_all(&[
        ("STRANGLER__ADMIN__LISTEN", "0.0.0.0:8001"),
        ("STRANGLER__ADMIN__ALLOW_REMOTE", "true"),
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn admin_commands_say_when_no_proxy_runs() {
    let out = Command::new(env!("CARGO_BIN_EXE_strangler"))
        .args(["routes"])
        .env("STRANGLER__ADMIN__TOKEN", TOKEN)
        .env("STRANGLER__ADMIN__LISTEN", "127.0.0.1:9")
        .output()
        .unwrap();
    one_line_error(&out, "is `strangler serve` running?");
}

#[test]
fn the_example_configuration_checks() {
    let root = concat!(env!("CARGO_MANIFEST_DIR"), "/..");
    let out = Command::new(env!("CARGO_BIN_EXE_strangler"))
        .current_dir(root)
        .args(["--config", "strangler-proxy/config/example.toml", "check"])
        .env("STRANGLER__ADMIN__TOKEN", TOKEN)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let flags = Command::new(env!("CARGO_BIN_EXE_strangler"))
        .current_dir(root)
        .args([
            "--config",
            "strangler-proxy/config/example.toml",
            "flags",
            "list",
        ])
        .env("STRANGLER__ADMIN__TOKEN", TOKEN)
        .output()
        .unwrap();
    let listed = String::from_utf8(flags.stdout).unwrap();
    assert!(listed.contains("payments.canary"), "{listed}");
}
