//! The official Unleash client specification (npm `@unleash/client-specification`)
//! run through our own evaluation path: each suite's `state` is written as a flags
//! file, loaded by `Flags::from_file` (strict checks included) and every case asked
//! through `Flags::is_enabled_in`. Needs scripts/setup-unleash.
//!
//! Included: every suite of on/off cases for the strategies, constraints, segments
//! and dependencies the proxy can meet. Excluded, with why:
//! - `08-variants`, `16-strategy-variants` and the `variantTests` of other suites:
//!   the proxy asks on/off only, never for a variant;
//! - `19-delta-api-hydration`, `20-delta-api-events`: their `state` is a stream of
//!   delta events, not a client-features document; we fetch full documents.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use support::{unleash_files, unleash_tools};

use chrono::{DateTime, Utc};
use serde::Deserialize;
use std::collections::HashMap;
use std::net::IpAddr;
use strangler_proxy::flags::{EvalEnv, FlagContext, Flags};
use unleash_files::TempDir;

/// The suites we run; a suite missing from the package fails the test.
const SUITES: [&str; 18] = [
    "01-simple-examples.json",
    "02-user-with-id-strategy.json",
    "03-gradual-rollout-user-id-strategy.json",
    "04-gradual-rollout-session-id-strategy.json",
    "05-gradual-rollout-random-strategy.json",
    "06-remote-address-strategy.json",
    "07-multiple-strategies.json",
    "09-strategy-constraints.json",
    "10-flexible-rollout-strategy.json",
    "11-strategy-constraints-edge-cases.json",
    "12-custom-stickiness.json",
    "13-constraint-operators.json",
    "14-constraint-semver-operators.json",
    "15-global-constraints.json",
    "17-dependent-features.json",
    "18-utf8-flag-names.json",
    "21-regex-constraint-operators.json",
    "22-cidr-constraint-operators.json",
];
const EXCLUDED: [&str; 4] = [
    "08-variants.json",
    "16-strategy-variants.json",
    "19-delta-api-hydration.json",
    "20-delta-api-events.json",
];

#[derive(Deserialize)]
struct Suite {
    state: serde_json::Value,
    #[serde(default)]
    tests: Vec<Case>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Case {
    description: String,
    context: SpecContext,
    toggle_name: String,
    expected_result: bool,
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct SpecContext {
    user_id: Option<String>,
    session_id: Option<String>,
    remote_address: Option<IpAddr>,
    #[serde(default)]
    properties: HashMap<String, Option<String>>,
    #[serde(default)]
    app_name: String,
    #[serde(default)]
    environment: String,
    current_time: Option<DateTime<Utc>>,
}

impl SpecContext {
    fn flag_context(&self) -> FlagContext {
        FlagContext {
            user_id: self.user_id.clone(),
            session_id: self.session_id.clone(),
            remote_address: self.remote_address,
            properties: self
                .properties
                .iter()
                .filter_map(|(k, v)| Some((k.clone(), v.clone()?)))
                .collect(),
        }
    }

    fn env(&self) -> EvalEnv<'_> {
        EvalEnv {
            app_name: &self.app_name,
            environment: &self.environment,
            current_time: self.current_time,
        }
    }
}

fn spec_dir() -> std::path::PathBuf {
    unleash_tools::npm_package("@unleash/client-specification").join("specifications")
}

#[test]
fn every_published_suite_is_either_run_or_excluded_on_purpose() {
    let index: Vec<String> =
        serde_json::from_slice(&std::fs::read(spec_dir().join("index.json")).unwrap()).unwrap();
    for name in &index {
        assert!(
            SUITES.contains(&name.as_str()) || EXCLUDED.contains(&name.as_str()),
            "new suite {name} in the specification: run it or exclude it with a reason"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_client_specification_passes_through_our_evaluation_path() {
    let dir = TempDir::new();
    let mut failures = Vec::new();
    let mut ran = 0;
    for name in SUITES {
        let bytes = std::fs::read(spec_dir().join(name)).unwrap();
        let suite: Suite = serde_json::from_slice(&bytes).unwrap();
        let path = dir.write_json(name, &suite.state);
        let flags = match Flags::from_file(&path).await {
            Ok(flags) => flags,
            Err(err) => {
                failures.push(format!("{name}: state refused: {err}"));
                continue;
            }
        };
        for case in &suite.tests {
            ran += 1;
            let got = flags.is_enabled_in(
                &case.toggle_name,
                &case.context.flag_context(),
                &case.context.env(),
            );
            if got != case.expected_result {
                failures.push(format!(
                    "{name}: {} ({}): expected {}, got {got}",
                    case.description, case.toggle_name, case.expected_result
                ));
            }
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {ran} cases failed:\n{}",
        failures.len(),
        failures.join("\n")
    );
    assert!(ran > 200, "only {ran} cases ran");
}
