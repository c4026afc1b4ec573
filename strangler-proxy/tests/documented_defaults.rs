//! `docs/proxy.md` quotes the embedded defaults verbatim and `docs/configuration.md`
//! explains each watchdog setting; these keep them true.

#![allow(clippy::expect_used)]

#[test]
fn proxy_doc_quotes_the_embedded_defaults() {
    let doc = include_str!("../../docs/proxy.md");
    assert!(
        doc.contains(strangler_proxy::settings::DEFAULTS.trim_end()),
        "docs/proxy.md must quote strangler-proxy/config/default.toml verbatim"
    );
}

/// Every key of the embedded `[watchdog]` section has its row in
/// `docs/configuration.md`.
#[test]
fn configuration_doc_explains_every_watchdog_setting() {
    let doc = include_str!("../../docs/configuration.md");
    let section = strangler_proxy::settings::DEFAULTS
        .split("\n[watchdog]")
        .nth(1)
        .and_then(|rest| rest.split("\n[").next())
        .expect("the defaults have a [watchdog] section");
    let keys: Vec<&str> = section
        .lines()
        .filter_map(|line| line.split_once(" = ").map(|(key, _)| key.trim()))
        .collect();
    assert!(keys.contains(&"max_not_found_excess"), "{keys:?}");
    for key in keys {
        assert!(
            doc.contains(&format!("| `watchdog.{key}` |")),
            "docs/configuration.md has no row for `watchdog.{key}`"
        );
    }
}
