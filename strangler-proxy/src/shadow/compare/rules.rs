//! Per-route comparison rules: the serde shape operators write, and the
//! validated form the engine runs (every pattern parsed, every regex compiled).

use std::collections::BTreeMap;

use regex::Regex;
use serde::{Deserialize, Serialize};

use super::noise::NoiseThresholds;
use super::pattern::{JsonPath, Pattern, PatternError};
use super::redact::{RedactConfig, Redactor};

/// The rules of one route as written in a settings file. Every field is
/// optional; the defaults compare status, no header, the whole body by
/// position, exactly, with the built-in redaction.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct RulesConfig {
    /// Header names to compare (case-insensitive). Default: none, since most
    /// headers (`date`, `server`, tracing ids) differ by nature.
    pub headers: Vec<String>,
    /// Patterns whose differences are ignored, e.g. `$.crt`, `$.items[*].upd`,
    /// `$..trk`. A pattern also covers everything under the place it names.
    pub ignore: Vec<String>,
    /// A difference at `pattern` is ignored when both values match `regex`
    /// (e.g. two timestamps of the same shape).
    pub ignore_values: Vec<IgnoreValueConfig>,
    /// Arrays matched by a key field instead of by position, e.g.
    /// `"$.items" = "sku"`. Default: by position.
    pub array_keys: BTreeMap<String, String>,
    /// How far two numbers may be apart and still be equal.
    pub numeric_tolerance: NumericTolerance,
    /// What is redacted before any value leaves the engine.
    pub redact: RedactConfig,
    /// When a field counts as noise (needs secondary legacy calls).
    pub noise: NoiseThresholds,
}

/// One `ignore_values` entry.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct IgnoreValueConfig {
    /// Where (a pattern, like `ignore`).
    pub pattern: String,
    /// Both values, as text (strings unquoted, other JSON as written), must
    /// match (unanchored, as `regex` searches: anchor with `^…$` for a full match).
    pub regex: String,
}

/// Numeric tolerance: two numbers are equal when
/// `|a - b| <= absolute` or `|a - b| <= relative * max(|a|, |b|)`.
/// Both default to 0 (exact; `1` and `1.0` are still equal).
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct NumericTolerance {
    /// Largest absolute gap accepted, in the field's own unit.
    pub absolute: f64,
    /// Largest gap accepted as a share of the larger magnitude (0.01 = 1 %).
    pub relative: f64,
}

impl NumericTolerance {
    /// True when `a` and `b` are equal within this tolerance.
    pub fn accepts(&self, a: f64, b: f64) -> bool {
        let gap = (a - b).abs();
        gap == 0.0 || gap <= self.absolute || gap <= self.relative * a.abs().max(b.abs())
    }
}

/// A rule that cannot be used, naming the offending entry.
#[derive(Debug, thiserror::Error)]
pub enum RuleError {
    /// A pattern did not parse.
    #[error("{field}: bad pattern `{pattern}`: {source}")]
    Pattern {
        /// Which entry, e.g. `ignore[2]`.
        field: String,
        /// The pattern as written.
        pattern: String,
        /// What is wrong with it.
        source: PatternError,
    },
    /// A regular expression did not compile.
    #[error("{field}: bad regex `{regex}`: {source}")]
    Regex {
        /// Which entry, e.g. `ignore_values[0].regex`.
        field: String,
        /// The regex as written.
        regex: String,
        /// What is wrong with it.
        source: Box<regex::Error>,
    },
    /// A number outside its range.
    #[error("{field}: {value} is out of range: {expected}")]
    Range {
        /// Which setting.
        field: &'static str,
        /// The value given.
        value: f64,
        /// What is accepted.
        expected: &'static str,
    },
    /// An empty name where a name is needed.
    #[error("{field}: must not be empty")]
    Empty {
        /// Which entry.
        field: String,
    },
}

pub(crate) fn parse_pattern(field: String, pattern: &str) -> Result<Pattern, RuleError> {
    Pattern::parse(pattern).map_err(|source| RuleError::Pattern {
        field,
        pattern: pattern.to_owned(),
        source,
    })
}

/// Compiles `regex`; a failure names `field`.
pub(crate) fn compile_regex(field: String, regex: &str) -> Result<Regex, RuleError> {
    Regex::new(regex).map_err(|source| RuleError::Regex {
        field,
        regex: regex.to_owned(),
        source: Box::new(source),
    })
}

/// Validated rules for one route; build with [`Rules::new`] or deserialize
/// (deserializing validates too). Serializes as the [`RulesConfig`] it was
/// built from.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(try_from = "RulesConfig", into = "RulesConfig")]
pub struct Rules {
    config: RulesConfig,
    headers: Vec<String>,
    ignore: Vec<Pattern>,
    ignore_values: Vec<(Pattern, Regex)>,
    array_keys: Vec<(Pattern, String)>,
    redactor: Redactor,
}

impl Rules {
    /// Checks every pattern, regex and threshold; the error names the entry.
    pub fn new(config: RulesConfig) -> Result<Self, RuleError> {
        let mut headers = Vec::new();
        for (i, name) in config.headers.iter().enumerate() {
            if name.trim().is_empty() {
                return Err(RuleError::Empty {
                    field: format!("headers[{i}]"),
                });
            }
            headers.push(name.trim().to_ascii_lowercase());
        }
        let ignore = config
            .ignore
            .iter()
            .enumerate()
            .map(|(i, p)| parse_pattern(format!("ignore[{i}]"), p))
            .collect::<Result<_, _>>()?;
        let mut ignore_values = Vec::new();
        for (i, entry) in config.ignore_values.iter().enumerate() {
            let pattern = parse_pattern(format!("ignore_values[{i}].pattern"), &entry.pattern)?;
            let regex = compile_regex(format!("ignore_values[{i}].regex"), &entry.regex)?;
            ignore_values.push((pattern, regex));
        }
        let mut array_keys = Vec::new();
        for (pattern, key) in &config.array_keys {
            if key.is_empty() {
                return Err(RuleError::Empty {
                    field: format!("array_keys.\"{pattern}\""),
                });
            }
            let parsed = parse_pattern(format!("array_keys.\"{pattern}\""), pattern)?;
            array_keys.push((parsed, key.clone()));
        }
        check_tolerance(&config.numeric_tolerance)?;
        config.noise.validate()?;
        let redactor = Redactor::new(&config.redact)?;
        Ok(Self {
            config,
            headers,
            ignore,
            ignore_values,
            array_keys,
            redactor,
        })
    }

    /// The configuration these rules were built from.
    pub fn config(&self) -> &RulesConfig {
        &self.config
    }

    /// Lower-case names of the headers to compare.
    pub fn headers(&self) -> &[String] {
        &self.headers
    }

    /// The redactor every reported value goes through.
    pub fn redactor(&self) -> &Redactor {
        &self.redactor
    }

    /// The numeric tolerance.
    pub fn tolerance(&self) -> NumericTolerance {
        self.config.numeric_tolerance
    }

    /// The noise thresholds.
    pub fn noise_thresholds(&self) -> NoiseThresholds {
        self.config.noise
    }

    /// The key field of the array at `path`, when one is configured.
    pub fn array_key(&self, path: &JsonPath) -> Option<&str> {
        self.array_keys
            .iter()
            .find(|(pattern, _)| pattern.matches(path))
            .map(|(_, key)| key.as_str())
    }

    /// True when an `ignore` pattern covers `path`.
    pub fn is_ignored(&self, path: &JsonPath) -> bool {
        self.ignore.iter().any(|pattern| pattern.covers(path))
    }

    /// True when an `ignore_values` entry covers `path` and both texts match it.
    pub fn ignores_values(&self, path: &JsonPath, primary: &str, candidate: &str) -> bool {
        self.ignore_values.iter().any(|(pattern, regex)| {
            pattern.covers(path) && regex.is_match(primary) && regex.is_match(candidate)
        })
    }
}

impl From<Rules> for RulesConfig {
    fn from(rules: Rules) -> Self {
        rules.config
    }
}

impl TryFrom<RulesConfig> for Rules {
    type Error = RuleError;

    fn try_from(config: RulesConfig) -> Result<Self, Self::Error> {
        Self::new(config)
    }
}

fn check_tolerance(tolerance: &NumericTolerance) -> Result<(), RuleError> {
    let checks = [
        ("numeric_tolerance.absolute", tolerance.absolute),
        ("numeric_tolerance.relative", tolerance.relative),
    ];
    for (field, value) in checks {
        if !value.is_finite() || value < 0.0 {
            return Err(RuleError::Range {
                field,
                value,
                expected: "a finite number >= 0",
            });
        }
    }
    Ok(())
}
