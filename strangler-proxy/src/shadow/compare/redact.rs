//! Redaction: nothing sensitive leaves the engine. Every value put in a
//! [`Difference`](super::Difference) or a report example goes through a
//! [`Redactor`] first, as do sampled requests (headers, query and body).
//!
//! Three nets, from blunt to fine:
//! 1. **Field names** (JSON keys, header names, query parameters): compared
//!    lower-cased with `-` and `_` removed. Built in (switch off with
//!    `builtin_fields = false`): exactly `pan`, `cvv`, `cvc`, `pin`, `ssn`,
//!    `tok`, `eml` (the legacy card token and e-mail fields); or ending in
//!    `authorization`, `cookie`, `password`, `passwd`, `secret`, `token`,
//!    `apikey`, `cardnumber`, `email`, `iban`. Add exact names with `fields`.
//!    The whole value (even an object) becomes `"[redacted]"`; `null` and
//!    booleans stay, since they say whether the field was set, not what it is.
//! 2. **Paths**: `paths` patterns (like `$.bill.ln1`) redact whatever they cover.
//! 3. **Value detectors** inside any remaining string (and large integers):
//!    `card_numbers` (13–19 digits, spaces or dashes allowed, Luhn-valid),
//!    `emails`, `tokens` (`Bearer …`/`Basic …` credentials, JWTs, `tok_…`
//!    card tokens). All three on by default (`detect`).

use regex::{Captures, Regex};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::sync::LazyLock;

use super::pattern::{JsonPath, Pattern, Segment};
use super::rules::{RuleError, parse_pattern};

/// What stands in for a redacted value.
pub const REDACTED: &str = "[redacted]";

/// Value detectors that can be switched on per route.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Detector {
    /// Luhn-valid card numbers (PANs).
    CardNumbers,
    /// E-mail addresses (also `%40`-encoded in query strings).
    Emails,
    /// Bearer/Basic credentials, JWTs, `tok_…` card tokens.
    Tokens,
}

/// The `redact` section of a route's rules.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct RedactConfig {
    /// Apply the built-in list of sensitive field names (default true).
    pub builtin_fields: bool,
    /// More field names to redact (exact, after normalising case, `-`, `_`).
    pub fields: Vec<String>,
    /// Patterns whose values are redacted whatever their name.
    pub paths: Vec<String>,
    /// Value detectors (default: all three).
    pub detect: Vec<Detector>,
}

impl Default for RedactConfig {
    fn default() -> Self {
        Self {
            builtin_fields: true,
            fields: Vec::new(),
            paths: Vec::new(),
            detect: vec![Detector::CardNumbers, Detector::Emails, Detector::Tokens],
        }
    }
}

const EXACT: &[&str] = &["pan", "cvv", "cvc", "pin", "ssn", "tok", "eml"];
const SUFFIXES: &[&str] = &[
    "authorization",
    "cookie",
    "password",
    "passwd",
    "secret",
    "token",
    "apikey",
    "cardnumber",
    "email",
    "iban",
];

// The detectors never change: each is compiled once per process, the first
// time a redactor looks for it, and shared by every route's redactor (a
// `Regex` serves many threads, each with its own match cache). Compiled, the
// three hold about half a megabyte, which a proxy that never compares a
// response (no route in shadow mode) should not carry.
const CARD_NUMBERS: &str = r"\b\d(?:[ -]?\d){12,18}\b";
const EMAILS: &str = r"[A-Za-z0-9._%+-]+(?:@|%40)[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}";
const TOKENS: &str = r"(?i:\b(?:bearer|basic)\s+[A-Za-z0-9._~+/=-]+)|\beyJ[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*|\btok_[A-Za-z0-9_]+";

/// A detector's program; `None` only if its constant pattern stopped
/// compiling (a test holds that it does), and then text it would scan is
/// redacted whole rather than let through.
type Compiled = LazyLock<Option<Regex>>;
static CARD_NUMBERS_RE: Compiled = LazyLock::new(|| Regex::new(CARD_NUMBERS).ok());
static EMAILS_RE: Compiled = LazyLock::new(|| Regex::new(EMAILS).ok());
static TOKENS_RE: Compiled = LazyLock::new(|| Regex::new(TOKENS).ok());

/// Compiled redaction rules.
#[derive(Debug, Clone)]
pub struct Redactor {
    builtin_fields: bool,
    fields: Vec<String>,
    paths: Vec<Pattern>,
    card: bool,
    email: bool,
    tokens: bool,
}

fn normalise(name: &str) -> String {
    name.chars()
        .filter(|c| *c != '-' && *c != '_')
        .flat_map(char::to_lowercase)
        .collect()
}

impl Redactor {
    /// Compiles a `redact` section.
    pub fn new(config: &RedactConfig) -> Result<Self, RuleError> {
        let paths = config
            .paths
            .iter()
            .enumerate()
            .map(|(i, p)| parse_pattern(format!("redact.paths[{i}]"), p))
            .collect::<Result<_, _>>()?;
        let on = |d| config.detect.contains(&d);
        Ok(Self {
            builtin_fields: config.builtin_fields,
            fields: config.fields.iter().map(|f| normalise(f)).collect(),
            paths,
            card: on(Detector::CardNumbers),
            email: on(Detector::Emails),
            tokens: on(Detector::Tokens),
        })
    }

    /// True when a field, header or parameter of this name is always redacted.
    pub fn is_sensitive_name(&self, name: &str) -> bool {
        let n = normalise(name);
        let builtin = self.builtin_fields
            && (EXACT.contains(&n.as_str()) || SUFFIXES.iter().any(|s| n.ends_with(s)));
        builtin || self.fields.contains(&n)
    }

    /// Redacts detected card numbers, e-mails and tokens inside free text.
    pub fn text(&self, text: &str) -> String {
        let mut out = text.to_owned();
        for (on, compiled, label) in [
            (self.tokens, &TOKENS_RE, "[redacted token]"),
            (self.email, &EMAILS_RE, "[redacted email]"),
        ] {
            if on {
                let Some(re) = compiled.as_ref() else {
                    return REDACTED.to_owned();
                };
                out = re.replace_all(&out, label).into_owned();
            }
        }
        if self.card {
            let Some(re) = CARD_NUMBERS_RE.as_ref() else {
                return REDACTED.to_owned();
            };
            out = re
                .replace_all(&out, |caps: &Captures<'_>| {
                    if luhn(&caps[0]) {
                        "[redacted card]".to_owned()
                    } else {
                        caps[0].to_owned()
                    }
                })
                .into_owned();
        }
        out
    }

    /// Redacts a whole JSON document.
    pub fn value(&self, value: &Value) -> Value {
        self.value_at(&JsonPath::root(), value)
    }

    /// Redacts `value`, found at `path` (every key on the path and the
    /// `paths` patterns count).
    pub fn value_at(&self, path: &JsonPath, value: &Value) -> Value {
        // Any key on the way counts: a difference deep inside `token: {..}`
        // is as secret as the whole object would have been.
        let named = path.segments().iter().any(|segment| match segment {
            Segment::Key(key) => self.is_sensitive_name(key),
            Segment::Index(_) => false,
        });
        if named || self.paths.iter().any(|p| p.covers(path)) {
            return match value {
                Value::Null | Value::Bool(_) => value.clone(),
                _ => Value::String(REDACTED.to_owned()),
            };
        }
        match value {
            Value::String(s) => Value::String(self.text(s)),
            Value::Number(n) if self.card && n.is_u64() && luhn(&n.to_string()) => {
                Value::String("[redacted card]".to_owned())
            }
            Value::Array(items) => Value::Array(
                items
                    .iter()
                    .enumerate()
                    .map(|(i, v)| self.value_at(&path.child(Segment::Index(i)), v))
                    .collect(),
            ),
            Value::Object(map) => Value::Object(
                map.iter()
                    .map(|(k, v)| {
                        (
                            k.clone(),
                            self.value_at(&path.child(Segment::Key(k.clone())), v),
                        )
                    })
                    .collect(),
            ),
            _ => value.clone(),
        }
    }

    /// Redacts one header value given its name.
    pub fn header(&self, name: &str, value: &str) -> String {
        if self.is_sensitive_name(name) {
            REDACTED.to_owned()
        } else {
            self.text(value)
        }
    }

    /// Redacts a list of headers.
    pub fn headers(&self, headers: &[(String, String)]) -> Vec<(String, String)> {
        headers
            .iter()
            .map(|(n, v)| (n.clone(), self.header(n, v)))
            .collect()
    }

    /// Redacts a request target (`/path?query`): sensitive parameter values
    /// are replaced, then detectors run over the whole target.
    pub fn target(&self, target: &str) -> String {
        match target.split_once('?') {
            Some((path, query)) => self.text(&format!("{path}?{}", self.form(query))),
            None => self.text(target),
        }
    }

    /// Replaces the values of sensitive parameters in `k=v&k=v` text.
    fn form(&self, query: &str) -> String {
        query
            .split('&')
            .map(|pair| match pair.split_once('=') {
                Some((k, _)) if self.is_sensitive_name(k) => format!("{k}={REDACTED}"),
                _ => pair.to_owned(),
            })
            .collect::<Vec<_>>()
            .join("&")
    }

    /// Redacts a body: JSON documents value by value, anything else as text
    /// (lossily decoded, cut to `max_chars` characters).
    pub fn body(&self, body: &[u8], max_chars: usize) -> Value {
        if let Ok(json) = serde_json::from_slice::<Value>(body) {
            return self.value(&json);
        }
        let text = String::from_utf8_lossy(body);
        // A form body (`a=1&b=2`, no spaces) has its sensitive fields
        // redacted by name before it is cut, like a query string.
        let form = text.contains('=') && !text.chars().any(char::is_whitespace);
        let text = if form {
            self.form(&text)
        } else {
            text.into_owned()
        };
        Value::String(self.text(&text.chars().take(max_chars).collect::<String>()))
    }
}

/// Luhn check over the digits of `candidate` (13 to 19 of them).
fn luhn(candidate: &str) -> bool {
    let digits: Vec<u32> = candidate.chars().filter_map(|c| c.to_digit(10)).collect();
    if !(13..=19).contains(&digits.len()) {
        return false;
    }
    let sum: u32 = digits
        .iter()
        .rev()
        .enumerate()
        .map(|(i, d)| {
            if i % 2 == 1 {
                if d * 2 > 9 { d * 2 - 9 } else { d * 2 }
            } else {
                *d
            }
        })
        .sum();
    sum.is_multiple_of(10)
}

#[cfg(test)]
mod tests {
    /// A detector that stopped compiling would redact every text it scans
    /// whole; the other tests would then fail on their labels, this one says why.
    #[test]
    fn every_detector_compiles() {
        for (name, compiled) in [
            ("card_numbers", &super::CARD_NUMBERS_RE),
            ("emails", &super::EMAILS_RE),
            ("tokens", &super::TOKENS_RE),
        ] {
            assert!(compiled.is_some(), "{name} does not compile");
        }
    }
}
