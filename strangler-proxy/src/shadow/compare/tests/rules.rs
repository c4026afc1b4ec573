//! Rules: defaults, validation, and errors that name the bad entry.

use serde_json::json;

use super::super::{NoiseThresholds, Rules, RulesConfig};

fn error(config: serde_json::Value) -> String {
    let config: RulesConfig = serde_json::from_value(config).unwrap();
    Rules::new(config).unwrap_err().to_string()
}

#[test]
fn defaults_are_as_documented() {
    let rules = Rules::new(RulesConfig::default()).unwrap();
    assert!(rules.headers().is_empty());
    assert_eq!(rules.tolerance().absolute, 0.0);
    assert_eq!(rules.tolerance().relative, 0.0);
    let noise: NoiseThresholds = rules.noise_thresholds();
    assert_eq!((noise.relative, noise.absolute), (0.01, 3));
    assert_eq!(
        (noise.excess_relative, noise.excess_absolute),
        (0.2, 0.0003)
    );
    assert!(rules.redactor().is_sensitive_name("Authorization"));
}

#[test]
fn bad_patterns_are_named() {
    let e = error(json!({"ignore": ["$.crt", "$.items[x]"]}));
    assert!(e.starts_with("ignore[1]: bad pattern `$.items[x]`"), "{e}");
    assert!(e.contains("character 8"), "{e}");
    let e = error(json!({"array_keys": {"items": "sku"}}));
    assert!(e.starts_with("array_keys.\"items\": bad pattern"), "{e}");
    assert!(e.contains("starts with `$`"), "{e}");
    let e = error(json!({"redact": {"paths": ["$..", "$.ok"]}}));
    assert!(e.starts_with("redact.paths[0]"), "{e}");
}

#[test]
fn bad_regexes_are_named() {
    let e = error(json!({"ignore_values": [{"pattern": "$.upd", "regex": "([0-9]"}]}));
    assert!(
        e.starts_with("ignore_values[0].regex: bad regex `([0-9]`"),
        "{e}"
    );
}

#[test]
fn bad_numbers_and_names_are_refused() {
    let e = error(json!({"numeric_tolerance": {"relative": -0.1}}));
    assert!(
        e.starts_with("numeric_tolerance.relative: -0.1 is out of range"),
        "{e}"
    );
    let e = error(json!({"noise": {"relative": 1.5}}));
    assert!(e.starts_with("noise.relative"), "{e}");
    let e = error(json!({"noise": {"excess_absolute": 2.0}}));
    assert!(e.starts_with("noise.excess_absolute"), "{e}");
    let e = error(json!({"noise": {"absolute": 0}}));
    assert!(e.starts_with("noise.absolute"), "{e}");
    let e = error(json!({"headers": ["etag", " "]}));
    assert_eq!(e, "headers[1]: must not be empty");
    let e = error(json!({"array_keys": {"$.items": ""}}));
    assert!(e.contains("must not be empty"), "{e}");
}

#[test]
fn unknown_settings_are_refused_and_deserializing_validates() {
    let unknown = serde_json::from_value::<RulesConfig>(json!({"ignores": ["$.crt"]}));
    assert!(
        unknown
            .unwrap_err()
            .to_string()
            .contains("unknown field `ignores`")
    );
    let nested = serde_json::from_value::<RulesConfig>(json!({"numeric_tolerance": {"abs": 1}}));
    assert!(nested.is_err());
    let invalid = serde_json::from_value::<Rules>(json!({"ignore": ["crt"]}));
    assert!(invalid.unwrap_err().to_string().contains("ignore[0]"));
    let valid = serde_json::from_value::<Rules>(json!({"ignore": ["$.crt"]})).unwrap();
    assert_eq!(valid.config().ignore, ["$.crt"]);
    let echoed = serde_json::to_value(&valid).unwrap();
    assert_eq!(echoed["ignore"], json!(["$.crt"]));
    assert_eq!(echoed["noise"]["absolute"], json!(3));
}
