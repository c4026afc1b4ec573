//! The engine's inputs and outputs: plain data, serde-friendly, no I/O.

use serde::{Deserialize, Serialize};
use serde_json::Value;

/// One HTTP response as the shadow stage captured it (the candidate's already
/// translated back to the legacy shape by the ACL).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Response {
    /// Status code.
    pub status: u16,
    /// Header names and values in arrival order; names compare case-insensitively.
    pub headers: Vec<(String, String)>,
    /// Body bytes (compared as JSON when both sides parse as JSON).
    pub body: Vec<u8>,
}

impl Response {
    /// A response with a JSON body and a JSON content type.
    pub fn json(status: u16, body: &Value) -> Self {
        Self {
            status,
            headers: vec![("content-type".to_owned(), "application/json".to_owned())],
            body: body.to_string().into_bytes(),
        }
    }

    /// All values of header `name` (case-insensitive), joined by `, ` as
    /// HTTP allows for repeated headers; `None` when absent.
    pub fn header(&self, name: &str) -> Option<String> {
        let values: Vec<&str> = self
            .headers
            .iter()
            .filter(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
            .collect();
        (!values.is_empty()).then(|| values.join(", "))
    }
}

/// What one side showed at a place: a (redacted) value, or nothing at all.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "state", content = "value", rename_all = "snake_case")]
pub enum Observed {
    /// The side had this value (already redacted).
    Present(Value),
    /// The side lacked the field, header or array element.
    Missing,
}

impl Observed {
    /// The value, `None` when missing (the shape the shadow store keeps).
    pub fn value(&self) -> Option<&Value> {
        match self {
            Self::Present(value) => Some(value),
            Self::Missing => None,
        }
    }
}

/// Which part of the response a difference is in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Section {
    /// The status code (path and pattern `status`).
    Status,
    /// A configured header (path and pattern `headers.<lower-case name>`).
    Header,
    /// The body: a JSON path such as `$.items[3].amt`, or `body` when the
    /// bodies were compared as bytes.
    Body,
}

/// How a difference counts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DifferenceKind {
    /// A real disagreement between the monolith and the new service.
    Mismatch,
    /// Silenced by an `ignore` or `ignore_values` rule: counted apart; a
    /// result with nothing else counts as a match in reports and the gate.
    Ignored,
    /// On a field the monolith itself does not answer the same twice (see the noise model).
    Noise,
}

/// One place where primary (legacy) and candidate (new, via the ACL) disagree.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Difference {
    /// Where: status, a header, or the body.
    pub section: Section,
    /// The concrete place, e.g. `$.items[3].amt`, `status`, `headers.etag`.
    pub path: String,
    /// The place with array indices generalised, e.g. `$.items[*].amt`:
    /// the key mismatches are grouped and noise is learnt by.
    pub pattern: String,
    /// What the legacy monolith (primary) said, redacted.
    pub primary: Observed,
    /// What the new service (candidate, translated by the ACL) said, redacted.
    pub candidate: Observed,
    /// How it counts.
    pub kind: DifferenceKind,
}

/// The overall outcome of one comparison.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Verdict {
    /// No difference at all.
    Match,
    /// At least one difference counted as a mismatch.
    Mismatch,
    /// No mismatch and no noise, but at least one difference silenced by an
    /// ignore rule: counted apart (as GitHub's Scientist counts ignored
    /// mismatches), and as a match by the match rate and the gate: the
    /// operator said those fields do not matter. Serialized `ignored`, as the
    /// shadow store names it.
    #[serde(rename = "ignored")]
    IgnoredOnly,
    /// No mismatch, at least one difference on a noisy field (ignored ones
    /// may come with it). Serialized `noise`, as the shadow store names it.
    #[serde(rename = "noise")]
    NoiseOnly,
}

/// The result of comparing one primary response with one candidate response.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Comparison {
    /// Every difference found, in a stable order (status, headers, body).
    pub differences: Vec<Difference>,
}

impl Comparison {
    /// The overall outcome.
    pub fn verdict(&self) -> Verdict {
        let has = |kind| self.differences.iter().any(|d| d.kind == kind);
        if has(DifferenceKind::Mismatch) {
            Verdict::Mismatch
        } else if has(DifferenceKind::Noise) {
            Verdict::NoiseOnly
        } else if has(DifferenceKind::Ignored) {
            Verdict::IgnoredOnly
        } else {
            Verdict::Match
        }
    }

    /// How many differences are of `kind`.
    pub fn count(&self, kind: DifferenceKind) -> usize {
        self.differences.iter().filter(|d| d.kind == kind).count()
    }

    /// The differences of `kind`.
    pub fn of_kind(&self, kind: DifferenceKind) -> impl Iterator<Item = &Difference> {
        self.differences.iter().filter(move |d| d.kind == kind)
    }
}
