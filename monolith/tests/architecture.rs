//! The module rule of DESIGN.md: a bounded context reaches another only through
//! its `port`. Visibility already stops most breaches (`store` and `domain` are
//! private); this test also catches the ones visibility allows, such as calling
//! another module's `pub(crate) http` handlers, and a module made `pub` by
//! mistake.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::Path;

const MODULES: &[&str] = &["customers", "fulfillment", "payments"];

fn sources(dir: &Path, out: &mut Vec<(String, String)>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            sources(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push((
                path.display().to_string(),
                std::fs::read_to_string(&path).unwrap(),
            ));
        }
    }
}

/// `crate::<other>::<room>` uses in `text` whose room is not `port`.
fn breaches(text: &str, own: &str) -> Vec<String> {
    let mut found = Vec::new();
    for other in MODULES.iter().filter(|m| **m != own) {
        let needle = format!("crate::{other}::");
        for (at, _) in text.match_indices(&needle) {
            let room: String = text[at + needle.len()..]
                .chars()
                .take_while(|c| c.is_alphanumeric() || *c == '_')
                .collect();
            if room != "port" {
                found.push(format!("{needle}{room}"));
            }
        }
        // A grouped import (`crate::{payments::store, ..}`) is checked the same way.
        for (at, _) in text.match_indices("crate::{") {
            let group: String = text[at..].chars().take_while(|c| *c != '}').collect();
            let prefix = format!("{other}::");
            for (i, _) in group.match_indices(&prefix) {
                let room: String = group[i + prefix.len()..]
                    .chars()
                    .take_while(|c| c.is_alphanumeric() || *c == '_')
                    .collect();
                if room != "port" {
                    found.push(format!("crate::{{{other}::{room}}}"));
                }
            }
        }
    }
    found
}

#[test]
fn modules_meet_only_through_ports() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut violations = Vec::new();
    for module in MODULES {
        let mut files = Vec::new();
        sources(&root.join(module), &mut files);
        assert!(!files.is_empty(), "module {module} has no sources");
        for (file, text) in files {
            for breach in breaches(&text, module) {
                violations.push(format!("{file}: {breach}"));
            }
        }
    }
    assert!(
        violations.is_empty(),
        "modules reach past each other's ports:\n{}",
        violations.join("\n")
    );
}

#[test]
fn module_internals_are_not_public() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    for module in MODULES {
        let text = std::fs::read_to_string(root.join(module).join("mod.rs")).unwrap();
        for line in text
            .lines()
            .map(str::trim)
            .filter(|l| l.starts_with("pub mod ") || l.starts_with("pub use "))
        {
            assert_eq!(
                line, "pub mod port;",
                "{module}/mod.rs exposes more than its port: `{line}`"
            );
        }
    }
}

#[test]
fn the_checker_catches_a_breach() {
    assert_eq!(
        breaches("use crate::payments::store::refund;", "fulfillment"),
        vec!["crate::payments::store"]
    );
    assert_eq!(
        breaches(
            "use crate::{payments::http, customers::port};",
            "fulfillment"
        ),
        vec!["crate::{payments::http}"]
    );
    assert!(breaches("use crate::payments::port::PaymentsPort;", "fulfillment").is_empty());
    assert!(breaches("use crate::fulfillment::store;", "fulfillment").is_empty());
}
