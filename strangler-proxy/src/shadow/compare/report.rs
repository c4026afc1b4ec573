//! Grouping comparisons for reports: by `(route, pattern)`, with counts per
//! kind and a few redacted examples each (the request that caused it, and
//! which side said what).

use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::engine::{TEXT_PREVIEW_CHARS, bounded};
use super::redact::Redactor;
use super::types::{Comparison, DifferenceKind, Observed, Section, Verdict};

/// Examples kept per group unless told otherwise.
pub const DEFAULT_EXAMPLES_PER_GROUP: usize = 3;

/// The client's request as the shadow stage saw it (before redaction).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RequestSample {
    /// HTTP method.
    pub method: String,
    /// Path and query, e.g. `/api/v1/orders?page=2`.
    pub target: String,
    /// Request headers in arrival order.
    pub headers: Vec<(String, String)>,
    /// Request body.
    pub body: Vec<u8>,
}

/// A request with everything sensitive redacted: safe to store and show.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RedactedRequest {
    /// HTTP method.
    pub method: String,
    /// Path and query, sensitive parameters redacted.
    pub target: String,
    /// Headers, sensitive ones redacted.
    pub headers: Vec<(String, String)>,
    /// The body (JSON redacted field by field, other bodies as redacted
    /// text preview, either cut to `MAX_VALUE_BYTES`); `None` when empty.
    pub body: Option<Value>,
}

impl RedactedRequest {
    /// Redacts `request` with `redactor`.
    pub fn new(request: &RequestSample, redactor: &Redactor) -> Self {
        let body = (!request.body.is_empty())
            .then(|| bounded(redactor.body(&request.body, TEXT_PREVIEW_CHARS)));
        Self {
            method: request.method.clone(),
            target: redactor.target(&request.target),
            headers: redactor.headers(&request.headers),
            body,
        }
    }
}

/// One example of a difference, labelled by side.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Example {
    /// The request that produced it (redacted).
    pub request: RedactedRequest,
    /// The concrete place, e.g. `$.items[3].amt`.
    pub path: String,
    /// How it counted.
    pub kind: DifferenceKind,
    /// What the legacy monolith (primary) said (redacted).
    pub legacy_primary: Observed,
    /// What the new service said, through the ACL (candidate, redacted).
    pub new_candidate: Observed,
}

/// All differences seen on one route at one pattern.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Group {
    /// The route (as the route table names it).
    pub route: String,
    /// The field pattern, e.g. `$.items[*].amt`, `status`, `headers.etag`.
    pub pattern: String,
    /// Status, header or body.
    pub section: Section,
    /// Differences counted as mismatches.
    pub mismatched: u64,
    /// Differences silenced by an ignore rule.
    pub ignored: u64,
    /// Differences on a noisy field.
    pub noise: u64,
    /// Up to the report's limit, mismatches first.
    pub examples: Vec<Example>,
}

/// Verdict counts of one route.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct RouteCounts {
    /// The route.
    pub route: String,
    /// Comparisons with no difference.
    pub matched: u64,
    /// Comparisons with at least one mismatch.
    pub mismatched: u64,
    /// Comparisons with only ignored differences.
    pub ignored_only: u64,
    /// Comparisons with noise and perhaps ignored differences, no mismatch.
    pub noise_only: u64,
}

/// Comparisons grouped by `(route, pattern)`; plain data, serde-friendly.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Report {
    /// Examples kept per group.
    pub examples_per_group: usize,
    /// Verdict counts per route, sorted by route.
    pub routes: Vec<RouteCounts>,
    /// Groups sorted by route, then pattern.
    pub groups: Vec<Group>,
}

impl Default for Report {
    fn default() -> Self {
        Self::new(DEFAULT_EXAMPLES_PER_GROUP)
    }
}

impl Report {
    /// An empty report keeping `examples_per_group` examples per group.
    pub fn new(examples_per_group: usize) -> Self {
        Self {
            examples_per_group,
            routes: Vec::new(),
            groups: Vec::new(),
        }
    }

    /// Adds one comparison made on `route` for `request`; the request is
    /// redacted with `redactor` (the route's) before it is kept.
    pub fn record(
        &mut self,
        route: &str,
        request: &RequestSample,
        redactor: &Redactor,
        comparison: &Comparison,
    ) {
        let counts = self.route_counts(route);
        match comparison.verdict() {
            Verdict::Match => counts.matched += 1,
            Verdict::Mismatch => counts.mismatched += 1,
            Verdict::IgnoredOnly => counts.ignored_only += 1,
            Verdict::NoiseOnly => counts.noise_only += 1,
        }
        let mut redacted: Option<RedactedRequest> = None;
        let limit = self.examples_per_group;
        for difference in &comparison.differences {
            let group = self.group(route, &difference.pattern, difference.section);
            match difference.kind {
                DifferenceKind::Mismatch => group.mismatched += 1,
                DifferenceKind::Ignored => group.ignored += 1,
                DifferenceKind::Noise => group.noise += 1,
            }
            let room = group.examples.len() < limit;
            // A mismatch may replace a kept example of a milder kind, so the
            // examples show what matters most.
            let replace = !room && difference.kind == DifferenceKind::Mismatch;
            let slot = replace
                .then(|| {
                    group
                        .examples
                        .iter()
                        .rposition(|e| e.kind != DifferenceKind::Mismatch)
                })
                .flatten();
            if !room && slot.is_none() {
                continue;
            }
            let request = redacted
                .get_or_insert_with(|| RedactedRequest::new(request, redactor))
                .clone();
            let example = Example {
                request,
                path: difference.path.clone(),
                kind: difference.kind,
                legacy_primary: difference.primary.clone(),
                new_candidate: difference.candidate.clone(),
            };
            match slot {
                Some(i) => group.examples[i] = example,
                None => group.examples.push(example),
            }
        }
    }

    /// The group for `(route, pattern)`, if any difference was recorded there.
    pub fn find(&self, route: &str, pattern: &str) -> Option<&Group> {
        self.groups
            .iter()
            .find(|g| g.route == route && g.pattern == pattern)
    }

    fn route_counts(&mut self, route: &str) -> &mut RouteCounts {
        let at = match self
            .routes
            .binary_search_by(|r| r.route.as_str().cmp(route))
        {
            Ok(at) => at,
            Err(at) => {
                self.routes.insert(
                    at,
                    RouteCounts {
                        route: route.to_owned(),
                        ..RouteCounts::default()
                    },
                );
                at
            }
        };
        &mut self.routes[at]
    }

    fn group(&mut self, route: &str, pattern: &str, section: Section) -> &mut Group {
        let key = |g: &Group| (g.route.as_str(), g.pattern.as_str()).cmp(&(route, pattern));
        let at = match self.groups.binary_search_by(key) {
            Ok(at) => at,
            Err(at) => {
                let group = Group {
                    route: route.to_owned(),
                    pattern: pattern.to_owned(),
                    section,
                    mismatched: 0,
                    ignored: 0,
                    noise: 0,
                    examples: Vec::new(),
                };
                self.groups.insert(at, group);
                at
            }
        };
        &mut self.groups[at]
    }
}
