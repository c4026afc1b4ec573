//! `compare`: status, configured headers, then the body (as JSON when both
//! sides are JSON, else as bytes); every difference classified and redacted.

use std::collections::BTreeSet;

use serde_json::Value;

use super::json_diff::{RawDifference, diff};
use super::noise::NoiseModel;
use super::rules::Rules;
use super::types::{Comparison, Difference, DifferenceKind, Observed, Response, Section};

/// How much of a non-JSON body an example shows (characters, after decoding).
pub const TEXT_PREVIEW_CHARS: usize = 200;

/// Largest value (as compact JSON, in bytes) kept whole in a difference or a
/// request example; a larger one (say a whole document that changed type)
/// becomes a string: the start of its redacted JSON and its full size, so
/// one odd response cannot bloat the store.
pub const MAX_VALUE_BYTES: usize = 4096;

/// Applies [`MAX_VALUE_BYTES`] to an already redacted value.
pub(crate) fn bounded(value: Value) -> Value {
    let json = value.to_string();
    if json.len() <= MAX_VALUE_BYTES {
        return value;
    }
    let preview: String = json.chars().take(TEXT_PREVIEW_CHARS).collect();
    Value::String(format!("{preview}… ({} bytes of JSON in all)", json.len()))
}

/// Compares the primary (legacy) response with the candidate (new service,
/// translated back by the ACL) under `rules`. Pure and total: any input gives
/// a [`Comparison`], never a panic.
pub fn compare(primary: &Response, candidate: &Response, rules: &Rules) -> Comparison {
    let mut differences = Vec::new();
    if primary.status != candidate.status {
        differences.push(Difference {
            section: Section::Status,
            path: "status".to_owned(),
            pattern: "status".to_owned(),
            primary: Observed::Present(Value::from(primary.status)),
            candidate: Observed::Present(Value::from(candidate.status)),
            kind: DifferenceKind::Mismatch,
        });
    }
    for name in rules.headers() {
        let (p, c) = (primary.header(name), candidate.header(name));
        if p != c {
            let observed = |v: Option<String>| match v {
                Some(v) => Observed::Present(Value::String(rules.redactor().header(name, &v))),
                None => Observed::Missing,
            };
            differences.push(Difference {
                section: Section::Header,
                path: format!("headers.{name}"),
                pattern: format!("headers.{name}"),
                primary: observed(p),
                candidate: observed(c),
                kind: DifferenceKind::Mismatch,
            });
        }
    }
    compare_bodies(&primary.body, &candidate.body, rules, &mut differences);
    Comparison { differences }
}

/// [`compare`], then Diffy's noise filter: the model counts this comparison
/// (and learns from `secondary`, the monolith's second answer, when given),
/// then a mismatch becomes [`DifferenceKind::Noise`] when its pattern is
/// noise in `model` under the route's [`NoiseThresholds`](super::NoiseThresholds),
/// or differed between `primary` and `secondary` on this very request.
pub fn compare_with_noise(
    primary: &Response,
    secondary: Option<&Response>,
    candidate: &Response,
    rules: &Rules,
    model: &mut NoiseModel,
) -> Comparison {
    let this_time: BTreeSet<String> = match secondary {
        Some(secondary) => model.observe(primary, secondary, rules),
        None => BTreeSet::new(),
    };
    let mut comparison = compare(primary, candidate, rules);
    model.count_candidate(&comparison);
    let thresholds = rules.noise_thresholds();
    for difference in &mut comparison.differences {
        let noisy = this_time.contains(&difference.pattern)
            || model.is_noise(&difference.pattern, &thresholds);
        if difference.kind == DifferenceKind::Mismatch && noisy {
            difference.kind = DifferenceKind::Noise;
        }
    }
    comparison
}

fn parse_json(body: &[u8]) -> Option<Value> {
    if body.iter().all(u8::is_ascii_whitespace) {
        return None;
    }
    serde_json::from_slice(body).ok()
}

fn compare_bodies(primary: &[u8], candidate: &[u8], rules: &Rules, out: &mut Vec<Difference>) {
    match (parse_json(primary), parse_json(candidate)) {
        (Some(p), Some(c)) => {
            for raw in diff(&p, &c, rules) {
                out.push(classify(raw, rules));
            }
        }
        _ if primary != candidate => {
            let redactor = rules.redactor();
            out.push(Difference {
                section: Section::Body,
                path: "body".to_owned(),
                pattern: "body".to_owned(),
                primary: Observed::Present(redactor.body(primary, TEXT_PREVIEW_CHARS)),
                candidate: Observed::Present(redactor.body(candidate, TEXT_PREVIEW_CHARS)),
                kind: DifferenceKind::Mismatch,
            });
        }
        _ => {}
    }
}

/// The text an `ignore_values` regex sees: strings without quotes, anything
/// else as compact JSON.
fn as_text(value: &Value) -> String {
    match value {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

fn classify(raw: RawDifference<'_>, rules: &Rules) -> Difference {
    let ignored = rules.is_ignored(&raw.path)
        || match (raw.primary, raw.candidate) {
            (Some(p), Some(c)) => rules.ignores_values(&raw.path, &as_text(p), &as_text(c)),
            _ => false,
        };
    let redactor = rules.redactor();
    let observed = |v: Option<&Value>| match v {
        Some(v) => Observed::Present(bounded(redactor.value_at(&raw.path, v))),
        None => Observed::Missing,
    };
    Difference {
        section: Section::Body,
        path: raw.path.to_string(),
        pattern: raw.path.generalised(),
        primary: observed(raw.primary),
        candidate: observed(raw.candidate),
        kind: if ignored {
            DifferenceKind::Ignored
        } else {
            DifferenceKind::Mismatch
        },
    }
}
