//! The client-features document (the JSON an Unleash server serves at
//! `/api/client/features`, and the format of the flags file): parsing with the JSON
//! path of any error, and the stricter checks applied to a hand-edited file.

use super::FlagsError;
use std::collections::HashSet;
use unleash_types::client_features::{ClientFeatures, Strategy};

/// The strategies the Unleash client evaluates by itself. A file naming any other
/// strategy is refused: the client would silently answer `false` for it.
pub const KNOWN_STRATEGIES: [&str; 8] = [
    "default",
    "userWithId",
    "gradualRolloutUserId",
    "gradualRolloutSessionId",
    "gradualRolloutRandom",
    "flexibleRollout",
    "remoteAddress",
    "applicationHostname",
];

/// Parses a document as served by an Unleash server (shape only).
pub(crate) fn parse(bytes: &[u8], origin: &str) -> Result<ClientFeatures, FlagsError> {
    let mut de = serde_json::Deserializer::from_slice(bytes);
    serde_path_to_error::deserialize(&mut de).map_err(|err| {
        let path = err.path().to_string();
        let inner = err.into_inner();
        let reason = if path == "." || path.is_empty() {
            inner.to_string()
        } else {
            format!("at {path}: {inner}")
        };
        invalid(origin, reason)
    })
}

/// Parses a hand-edited file: shape, then unique names, known strategies and
/// percentages within 0..=100.
pub(crate) fn parse_strict(bytes: &[u8], origin: &str) -> Result<ClientFeatures, FlagsError> {
    let doc = parse(bytes, origin)?;
    check(&doc).map_err(|reason| invalid(origin, reason))?;
    Ok(doc)
}

fn invalid(origin: &str, reason: String) -> FlagsError {
    FlagsError::Invalid {
        origin: origin.to_owned(),
        reason,
    }
}

fn check(doc: &ClientFeatures) -> Result<(), String> {
    let mut seen = HashSet::new();
    for (i, feature) in doc.features.iter().enumerate() {
        if feature.name.trim().is_empty() {
            return Err(format!("features[{i}]: a flag needs a non-empty name"));
        }
        if !seen.insert(feature.name.as_str()) {
            return Err(format!(
                "features[{i}]: flag {:?} appears twice",
                feature.name
            ));
        }
        for (j, strategy) in feature.strategies.iter().flatten().enumerate() {
            check_strategy(strategy).map_err(|reason| {
                format!(
                    "features[{i}] ({:?}).strategies[{j}] ({:?}): {reason}",
                    feature.name, strategy.name
                )
            })?;
        }
    }
    Ok(())
}

fn check_strategy(strategy: &Strategy) -> Result<(), String> {
    let name = strategy.name.as_str();
    if !KNOWN_STRATEGIES.contains(&name) {
        return Err(format!(
            "unknown strategy; use one of {}",
            KNOWN_STRATEGIES.join(", ")
        ));
    }
    let percent_key = match name {
        "flexibleRollout" => Some("rollout"),
        "gradualRolloutUserId" | "gradualRolloutSessionId" | "gradualRolloutRandom" => {
            Some("percentage")
        }
        _ => None,
    };
    if let Some(key) = percent_key {
        let value = strategy
            .parameters
            .as_ref()
            .and_then(|params| params.get(key))
            .ok_or_else(|| format!("parameter {key:?} is missing (a percentage 0..=100)"))?;
        match value.trim().parse::<u8>() {
            Ok(percent) if percent <= 100 => {}
            _ => {
                return Err(format!(
                    "parameter {key:?} is {value:?}; it must be a whole number from 0 to 100"
                ));
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn reason(json: &str) -> String {
        match parse_strict(json.as_bytes(), "test.json") {
            Err(FlagsError::Invalid { reason, .. }) => reason,
            other => panic!("expected Invalid, got {other:?}"),
        }
    }

    #[test]
    fn accepts_a_plain_document() {
        let doc = parse_strict(
            br#"{"version":1,"features":[{"name":"a","enabled":true,"strategies":[
                {"name":"flexibleRollout","parameters":{"rollout":"25","stickiness":"userId","groupId":"a"}}]}]}"#,
            "t",
        )
        .unwrap();
        assert_eq!(doc.features.len(), 1);
    }

    #[test]
    fn names_the_path_of_a_shape_error() {
        let r = reason(r#"{"version":1,"features":[{"name":"a","enabled":"yes"}]}"#);
        assert!(r.contains("features[0].enabled"), "{r}");
    }

    #[test]
    fn refuses_unknown_strategies_and_bad_percentages() {
        let r = reason(
            r#"{"version":1,"features":[{"name":"a","enabled":true,"strategies":[{"name":"magic"}]}]}"#,
        );
        assert!(r.contains("unknown strategy") && r.contains("magic"), "{r}");
        let r = reason(
            r#"{"version":1,"features":[{"name":"a","enabled":true,"strategies":[
                {"name":"flexibleRollout","parameters":{"rollout":"140"}}]}]}"#,
        );
        assert!(r.contains("\"rollout\"") && r.contains("140"), "{r}");
        let r = reason(
            r#"{"version":1,"features":[{"name":"a","enabled":true,"strategies":[
                {"name":"flexibleRollout","parameters":{"rollout":25}}]}]}"#,
        );
        assert!(r.contains("parameters.rollout"), "{r}");
    }

    #[test]
    fn refuses_duplicate_names() {
        let r = reason(
            r#"{"version":1,"features":[{"name":"a","enabled":true},{"name":"a","enabled":false}]}"#,
        );
        assert!(r.contains("appears twice"), "{r}");
    }
}
