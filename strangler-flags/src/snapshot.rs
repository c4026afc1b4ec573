//! What the admin API and `strangler status` show about the flags: each flag, on or
//! off, its strategies in one readable line each, and where the flags come from.

use chrono::{DateTime, Utc};
use serde::Serialize;
use unleash_types::client_features::{ClientFeature, ClientFeatures, Strategy};

/// The flags as currently loaded.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct FlagsSnapshot {
    /// Where the flags come from.
    pub source: SourceInfo,
    /// When the current state was loaded (`None` before the first good load).
    pub loaded_at: Option<DateTime<Utc>>,
    /// The last error, if the current state is not from the latest attempt.
    pub last_error: Option<String>,
    /// Every flag, sorted by name.
    pub flags: Vec<FlagSummary>,
}

/// Where the flags come from.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum SourceInfo {
    /// A local client-features file, watched for changes.
    File {
        /// The file's path.
        path: String,
    },
    /// An Unleash server, polled.
    Server {
        /// The API URL (never the token).
        url: String,
        /// The poll interval in milliseconds.
        interval_ms: u64,
    },
}

/// One flag.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct FlagSummary {
    /// The flag's name.
    pub name: String,
    /// Whether the flag is on at all (its strategies decide for whom).
    pub enabled: bool,
    /// One line per strategy, e.g. `flexibleRollout 25% stickiness userId group payments`.
    pub strategies: Vec<String>,
}

pub(crate) fn summarize(doc: &ClientFeatures) -> Vec<FlagSummary> {
    let mut flags: Vec<FlagSummary> = doc.features.iter().map(summarize_one).collect();
    flags.sort_by(|a, b| a.name.cmp(&b.name));
    flags
}

pub(crate) fn summarize_one(feature: &ClientFeature) -> FlagSummary {
    FlagSummary {
        name: feature.name.clone(),
        enabled: feature.enabled,
        strategies: feature.strategies.iter().flatten().map(describe).collect(),
    }
}

/// One readable line for a strategy.
pub fn describe(strategy: &Strategy) -> String {
    let param = |key: &str| {
        strategy
            .parameters
            .as_ref()
            .and_then(|params| params.get(key))
            .map(String::as_str)
    };
    let count = |key: &str| {
        param(key).map_or(0, |list| {
            list.split(',')
                .filter(|item| !item.trim().is_empty())
                .count()
        })
    };
    let mut line = match strategy.name.as_str() {
        "flexibleRollout" => {
            let mut line = format!(
                "flexibleRollout {}% stickiness {}",
                param("rollout").unwrap_or("0"),
                param("stickiness").unwrap_or("default")
            );
            if let Some(group) = param("groupId") {
                line.push_str(" group ");
                line.push_str(group);
            }
            line
        }
        name @ ("gradualRolloutUserId" | "gradualRolloutSessionId" | "gradualRolloutRandom") => {
            format!("{name} {}%", param("percentage").unwrap_or("0"))
        }
        "userWithId" => format!("userWithId {} user(s)", count("userIds")),
        "remoteAddress" => format!("remoteAddress {} address(es)", count("IPs")),
        "applicationHostname" => {
            format!("applicationHostname {}", param("hostNames").unwrap_or(""))
        }
        other => other.to_owned(),
    };
    let constraints = strategy.constraints.as_ref().map_or(0, Vec::len);
    if constraints > 0 {
        line.push_str(&format!(" ({constraints} constraint(s))"));
    }
    line
}

#[cfg(test)]
mod tests {
    use super::*;

    fn strategy(json: &str) -> Strategy {
        serde_json::from_str(json).unwrap()
    }

    #[test]
    fn serializes_for_the_admin_api() {
        let snapshot = FlagsSnapshot {
            source: SourceInfo::Server {
                url: "http://unleash:4242/api".into(),
                interval_ms: 1000,
            },
            loaded_at: None,
            last_error: Some("boom".into()),
            flags: vec![FlagSummary {
                name: "payments.canary".into(),
                enabled: true,
                strategies: vec!["default".into()],
            }],
        };
        assert_eq!(
            serde_json::to_value(&snapshot).unwrap(),
            serde_json::json!({
                "source": { "kind": "server", "url": "http://unleash:4242/api", "interval_ms": 1000 },
                "loaded_at": null,
                "last_error": "boom",
                "flags": [{ "name": "payments.canary", "enabled": true, "strategies": ["default"] }]
            })
        );
        let file = SourceInfo::File {
            path: "flags.json".into(),
        };
        assert_eq!(
            serde_json::to_value(&file).unwrap(),
            serde_json::json!({ "kind": "file", "path": "flags.json" })
        );
    }

    #[test]
    fn describes_the_strategies_we_route_with() {
        let s = strategy(
            r#"{"name":"flexibleRollout","parameters":{"rollout":"25","stickiness":"userId","groupId":"payments"}}"#,
        );
        assert_eq!(
            describe(&s),
            "flexibleRollout 25% stickiness userId group payments"
        );
        let s = strategy(
            r#"{"name":"userWithId","parameters":{"userIds":"a, b,c"},"constraints":[
                {"contextName":"route","operator":"IN","values":["x"]}]}"#,
        );
        assert_eq!(describe(&s), "userWithId 3 user(s) (1 constraint(s))");
        assert_eq!(describe(&strategy(r#"{"name":"default"}"#)), "default");
    }
}
