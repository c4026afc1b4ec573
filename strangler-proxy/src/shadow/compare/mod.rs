//! The comparison engine of shadow traffic: given the monolith's answer
//! (primary) and the new service's answer translated back to the legacy shape
//! by the ACL (candidate), say where they differ, how each difference counts,
//! and never let a sensitive value out. Pure: no I/O, no clock, no global
//! state; mirroring the request and storing the results belong to the other
//! `shadow` modules, not here.
//!
//! ```
//! use serde_json::json;
//! use strangler_proxy::shadow::compare::{
//!     DifferenceKind, Observed, Response, Rules, RulesConfig, Verdict, compare,
//! };
//!
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let config: RulesConfig = serde_json::from_value(json!({
//!     "ignore": ["$.upd"],
//!     "array_keys": {"$.lines": "sku"},
//! }))?;
//! let rules = Rules::new(config)?;
//! let legacy = Response::json(200, &json!({
//!     "id": 41, "eml": "ada@example.com", "upd": "10:00",
//!     "lines": [{"sku": "A", "amt": 999}, {"sku": "B", "amt": 1598}],
//! }));
//! let new = Response::json(200, &json!({
//!     "id": 41, "eml": "eve@example.com", "upd": "10:01",
//!     "lines": [{"sku": "B", "amt": 1598}, {"sku": "A", "amt": 998}],
//! }));
//! let comparison = compare(&legacy, &new, &rules);
//! assert_eq!(comparison.verdict(), Verdict::Mismatch);
//! let found: Vec<(&str, &str, DifferenceKind)> = comparison
//!     .differences
//!     .iter()
//!     .map(|d| (d.path.as_str(), d.pattern.as_str(), d.kind))
//!     .collect();
//! assert_eq!(found, [
//!     ("$.eml", "$.eml", DifferenceKind::Mismatch),
//!     ("$.lines[0].amt", "$.lines[*].amt", DifferenceKind::Mismatch),
//!     ("$.upd", "$.upd", DifferenceKind::Ignored),
//! ]);
//! // Values leave the engine redacted.
//! assert_eq!(comparison.differences[0].primary, Observed::Present(json!("[redacted]")));
//! # Ok(())
//! # }
//! ```
//!
//! # What is compared ([`compare`])
//!
//! 1. The **status** code (`status`).
//! 2. The **headers** named in [`RulesConfig::headers`] (`headers.<name>`,
//!    case-insensitive, repeated headers joined by `, `). None by default.
//! 3. The **body**: field by field when both bodies parse as JSON, byte for
//!    byte otherwise (empty bodies are not JSON). Paths look like
//!    `$.items[3].amt`; the grouping pattern replaces indices with `[*]`
//!    (`$.items[*].amt`). A field present on one side only is a difference
//!    whose other side is [`Observed::Missing`]. Numbers compare by value
//!    (`1` = `1.0`). Arrays compare by position unless
//!    [`RulesConfig::array_keys`] names a key field for them: then elements
//!    pair by that key and reordering is not a difference.
//!
//! # Rules ([`RulesConfig`] → [`Rules::new`]), per route, with defaults
//!
//! | setting | default | meaning |
//! |---|---|---|
//! | `headers` | `[]` | header names to compare |
//! | `ignore` | `[]` | patterns (`$.crt`, `$.items[*].upd`, `$..trk`) whose differences are [`DifferenceKind::Ignored`]; a pattern covers everything under it |
//! | `ignore_values` | `[]` | `{ pattern, regex }`: ignored when both values (strings unquoted) match |
//! | `array_keys` | `{}` | `"$.items" = "sku"`: pair elements by key |
//! | `numeric_tolerance.absolute` | `0` | equal if `|a - b| <= absolute` |
//! | `numeric_tolerance.relative` | `0` | or if `|a - b| <= relative * max(|a|, |b|)` |
//! | `redact` | built-in names + all detectors | see [`redact`](self::Redactor) |
//! | `noise.relative` | `0.01` | see [`NoiseThresholds`] |
//! | `noise.absolute` | `3` | see [`NoiseThresholds`] |
//! | `noise.excess_relative` | `0.2` | see [`NoiseThresholds`] (Diffy's 20 %) |
//! | `noise.excess_absolute` | `0.0003` | see [`NoiseThresholds`] (Diffy's 0.03 %) |
//!
//! Unknown settings are refused, and [`Rules::new`] (also run when `Rules` is
//! deserialized) checks every pattern, regex and number, naming the entry in
//! its error: ``ignore[1]: bad pattern `$.items[x]`: expected `[*]`,
//! `[<index>]` or `['name']` at character 8``.
//!
//! Pattern syntax: `$` then `.name`, `['any name']`, `.*` (any member),
//! `[3]`, `[*]` (any element), and `..` (any depth) before any of these.
//!
//! # How differences count
//!
//! Each [`Difference`] is a [`DifferenceKind::Mismatch`], an
//! [`Ignored`](DifferenceKind::Ignored) one (silenced by a rule: counted
//! apart, **never** as a match) or [`Noise`](DifferenceKind::Noise) (see
//! below). The [`Verdict`] is `Match` only when there is no difference at
//! all; otherwise `Mismatch` if any mismatch, else `NoiseOnly` if any noise,
//! else `IgnoredOnly` (the shadow store's `mismatch`, `noise`, `ignored`).
//!
//! # Noise ([`NoiseModel`], [`compare_with_noise`])
//!
//! Optionally the shadow stage asks the monolith twice (primary and
//! secondary). Fields on which the monolith disagrees with itself are noise
//! for the route: their differences with the candidate are reported apart,
//! not counted as mismatches. The model keeps plain counters (legacy pairs
//! seen and, per pattern, how many differed; comparisons with the candidate
//! and, per pattern, how many differed), persists with serde and merges
//! across instances. A pattern is noisy once it differed in at least
//! `noise.absolute` pairs and in at least a `noise.relative` share of pairs;
//! its differences are noise unless the candidate differs there clearly more
//! often than the monolith does with itself (Diffy's relative and absolute
//! thresholds on the gap between the two rates).
//!
//! # Redaction ([`Redactor`])
//!
//! Every value in a difference and every sampled request (target, headers,
//! body) is redacted before it leaves the engine: built-in sensitive names
//! (`authorization`, `cookie`, `*token`, `*email`, `eml`, `tok`, `pan`, …),
//! configured names and paths, and detectors for card numbers (Luhn-checked),
//! e-mail addresses and tokens inside any string.
//!
//! Values larger than [`MAX_VALUE_BYTES`] of JSON (a whole document that
//! changed type, a huge request body) are cut to a preview after redaction.
//!
//! # Reports ([`Report`])
//!
//! Comparisons are grouped by `(route, pattern)` with counts per kind and a
//! few examples each: the redacted request, the path, and what the legacy
//! primary and the new candidate said, labelled `legacy_primary` and
//! `new_candidate`.
//!
//! # What we took from whom
//!
//! - **Twitter's Diffy**: primary/secondary/candidate, and noise as the
//!   differences between two calls to the known-good system; counters per
//!   endpoint and field; flattened field paths to group by; relative and
//!   absolute thresholds on the gap between the candidate's difference
//!   rate and the monolith's own, with Diffy's defaults (`threshold.relative`
//!   20 %, `threshold.absolute` 0.03 %), plus a minimum count and share before
//!   a field is called noisy at all (see [`NoiseThresholds`]);
//!   missing versus extra fields as differences of their own.
//! - **GitHub's Scientist**: the control (legacy) always answers the client;
//!   results are `matched`, `mismatched` or `ignored`, and an ignored
//!   mismatch is not a match; values are cleaned (here: redacted) before
//!   they are published.
//! - **Envoy** (request mirroring): the shadow copy is fire-and-forget and
//!   its outcome never touches the client's response; hence an engine that
//!   is total (no error path, no panic) and runs off the request path.

mod engine;
mod json_diff;
mod noise;
mod pattern;
mod redact;
mod report;
mod rules;
mod types;

#[cfg(test)]
mod tests;

pub use engine::{MAX_VALUE_BYTES, TEXT_PREVIEW_CHARS, compare, compare_with_noise};
pub use noise::{NoiseModel, NoiseThresholds};
pub use pattern::{JsonPath, Pattern, PatternError, Segment};
pub use redact::{Detector, REDACTED, RedactConfig, Redactor};
pub use report::{
    DEFAULT_EXAMPLES_PER_GROUP, Example, Group, RedactedRequest, Report, RequestSample, RouteCounts,
};
pub use rules::{IgnoreValueConfig, NumericTolerance, RuleError, Rules, RulesConfig};
pub use types::{Comparison, Difference, DifferenceKind, Observed, Response, Section, Verdict};
