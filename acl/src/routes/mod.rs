//! The built-in route groups of the reference monolith, each a table of
//! legacy routes and the function that starts each one's [`Exchange`].

mod flow;
pub mod inventory;
pub mod invoices;
mod order_sagas;
pub mod orders;
pub mod payments;
pub mod shipments;

use crate::error::{Side, TranslateError};
use crate::exchange::{Exchange, RouteTranslator};
use crate::http::{Method, Request};
use crate::reply::CORRELATION_HEADER;
use crate::value::LegacyClock;
use serde::Serialize;
use serde::de::DeserializeOwned;
use std::fmt;

/// The upstream name of the payment service's `/v2`.
pub const PAYMENT: &str = "payment";
/// The upstream name of the fulfillment service's `/v2`.
pub const FULFILLMENT: &str = "fulfillment";

/// The header that makes a v2 create safe to repeat.
pub const IDEMPOTENCY_KEY: &str = "Idempotency-Key";

/// Every header of a legacy request the route translators read: a caller may
/// copy only these into the [`Request`] it starts an exchange with (the proxy
/// does, so a translated request copies three headers, not all of them).
/// The exchange tests run each exchange with and without the other headers.
pub const LEGACY_HEADERS_READ: &[&str] = &[CORRELATION_HEADER, IDEMPOTENCY_KEY, CONTENT_TYPE];

const CONTENT_TYPE: &str = "Content-Type";

/// Every header of a v2 response the exchanges read (see
/// [`LEGACY_HEADERS_READ`]).
pub const V2_HEADERS_READ: &[&str] = &[CORRELATION_HEADER];

/// What every route handler may use.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Ctx {
    pub clock: LegacyClock,
}

/// Starts a route's exchange from the path parameters and the request.
type Start = fn(&Ctx, &[&str], &Request) -> Result<Exchange, TranslateError>;

/// One legacy route: method, path pattern (`*` matches one segment), handler.
pub(crate) struct Route {
    pub method: Method,
    pub pattern: &'static str,
    pub start: Start,
}

/// A route group as a table of routes.
pub(crate) struct Table {
    pub group: &'static str,
    pub service: &'static str,
    pub ctx: Ctx,
    pub routes: &'static [Route],
}

impl fmt::Debug for Table {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let routes: Vec<_> = self
            .routes
            .iter()
            .map(|r| format!("{} {}", r.method, r.pattern))
            .collect();
        f.debug_struct("Table")
            .field("group", &self.group)
            .field("routes", &routes)
            .finish()
    }
}

/// The segments of `path` matched against `pattern`'s `*`s.
///
/// Walks both strings byte by byte: the start of every translated request
/// tries the group's routes in turn, and splitting each pattern and the path
/// into segments cost more than the rest of the match.
fn capture<'p>(pattern: &str, path: &'p str) -> Option<Vec<&'p str>> {
    let (pat, got) = (pattern.as_bytes(), path.as_bytes());
    let mut params = Vec::new();
    let (mut i, mut j) = (0, 0);
    while i < pat.len() {
        let whole_segment_star = pat[i] == b'*'
            && (i == 0 || pat[i - 1] == b'/')
            && pat.get(i + 1).is_none_or(|&b| b == b'/');
        if whole_segment_star {
            let end = got[j..]
                .iter()
                .position(|&b| b == b'/')
                .map_or(got.len(), |k| j + k);
            if end == j {
                return None;
            }
            // `j` and `end` sit at a `/` or an end of `path`: char boundaries.
            params.push(&path[j..end]);
            j = end;
        } else {
            if got.get(j) != Some(&pat[i]) {
                return None;
            }
            j += 1;
        }
        i += 1;
    }
    (j == got.len()).then_some(params)
}

impl RouteTranslator for Table {
    fn group(&self) -> &str {
        self.group
    }

    fn service(&self) -> &str {
        self.service
    }

    fn handles(&self, method: Method, path: &str) -> bool {
        self.routes
            .iter()
            .any(|r| r.method == method && capture(r.pattern, path).is_some())
    }

    fn start(&self, request: &Request) -> Result<Exchange, TranslateError> {
        for route in self.routes.iter().filter(|r| r.method == request.method) {
            if let Some(params) = capture(route.pattern, &request.path) {
                return (route.start)(&self.ctx, &params, request);
            }
        }
        if self
            .routes
            .iter()
            .any(|r| capture(r.pattern, &request.path).is_some())
        {
            return Err(TranslateError::MethodNotAllowed {
                method: request.method.to_string(),
                path: crate::error::clip(&request.path),
            });
        }
        Err(TranslateError::NoRoute {
            group: self.group.to_owned(),
            method: request.method.to_string(),
            path: crate::error::clip(&request.path),
        })
    }
}

/// A v2 request carrying the legacy request's correlation id.
pub(crate) fn v2_request(method: Method, target: impl Into<String>, legacy: &Request) -> Request {
    let mut req = Request::with_target(method, target).with_header("Accept", "application/json");
    if let Some(id) = legacy.headers.get(CORRELATION_HEADER) {
        req.headers.set(CORRELATION_HEADER, id);
    }
    req
}

/// A v2 write with a JSON body and an idempotency key: the legacy client's
/// own `Idempotency-Key` if it sent one, else a fresh one per legacy request
/// (so the proxy's retries of *this* request are deduplicated, while two
/// identical legacy requests stay two operations, as they were).
pub(crate) fn v2_write<T: Serialize>(
    method: Method,
    target: &str,
    legacy: &Request,
    idempotency_key: &str,
    body: &T,
) -> Result<Request, TranslateError> {
    let bytes = serde_json::to_vec(body).map_err(|e| TranslateError::NotJson {
        side: Side::V2,
        message: e.to_string(),
    })?;
    Ok(v2_request(method, target, legacy)
        .with_header("Content-Type", "application/json")
        .with_header(IDEMPOTENCY_KEY, idempotency_key)
        .with_body(bytes))
}

/// The idempotency key for a legacy write (see [`v2_write`]).
pub(crate) fn idempotency_key(legacy: &Request) -> String {
    legacy
        .headers
        .get(IDEMPOTENCY_KEY)
        .map(str::to_owned)
        .unwrap_or_else(|| uuid::Uuid::new_v4().to_string())
}

/// Reads a legacy request body, sent as JSON (`application/json` or an
/// `application/*+json` type, parameters allowed) as the monolith demands.
pub(crate) fn legacy_body<T: DeserializeOwned>(legacy: &Request) -> Result<T, TranslateError> {
    let found = legacy.headers.get(CONTENT_TYPE).unwrap_or("");
    let essence = found
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase();
    let json = essence == "application/json"
        || (essence.starts_with("application/") && essence.ends_with("+json"));
    if !json {
        return Err(TranslateError::MediaType {
            found: crate::error::clip(found),
        });
    }
    TranslateError::read_json(Side::Legacy, &legacy.body)
}

/// The `i`-th path parameter as a legacy id named `name`.
pub(crate) fn id_param(
    params: &[&str],
    i: usize,
    name: &'static str,
) -> Result<i64, TranslateError> {
    let raw = params.get(i).copied().unwrap_or("");
    crate::value::ids::parse_segment(name, raw)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn patterns_capture_one_segment_per_star() {
        assert_eq!(
            capture("/api/v1/payments/*", "/api/v1/payments/12"),
            Some(vec!["12"])
        );
        assert_eq!(capture("/api/v1/payments/*", "/api/v1/payments/"), None);
        assert_eq!(capture("/api/v1/payments/*", "/api/v1/payments/1/x"), None);
        assert_eq!(
            capture("/api/v1/orders/*/payments", "/api/v1/orders/9/payments"),
            Some(vec!["9"])
        );
        assert_eq!(capture("/a/*", "/a/1/"), None);
        assert_eq!(capture("/a/x*", "/a/x*"), Some(vec![]));
        assert_eq!(capture("/a/x*", "/a/xy"), None);
    }

    /// What `capture` computes, the plain way: segment by segment.
    fn capture_by_segments<'p>(pattern: &str, path: &'p str) -> Option<Vec<&'p str>> {
        let (mut pat, mut got) = (pattern.split('/'), path.split('/'));
        let mut params = Vec::new();
        loop {
            match (pat.next(), got.next()) {
                (None, None) => return Some(params),
                (Some("*"), Some(seg)) if !seg.is_empty() => params.push(seg),
                (Some(p), Some(seg)) if p == seg => {}
                _ => return None,
            }
        }
    }

    proptest::proptest! {
        #[test]
        fn capture_agrees_with_matching_segment_by_segment(
            pattern in "[/*a]{0,8}",
            path in "[/*aé]{0,8}",
        ) {
            proptest::prop_assert_eq!(
                capture(&pattern, &path),
                capture_by_segments(&pattern, &path)
            );
        }

        #[test]
        fn capture_takes_every_star_of_a_real_route(
            ids in proptest::collection::vec("[a-z0-9é-]{1,8}", 1..3),
            trailing in "(/[a-z]{1,6})?",
        ) {
            let pattern = format!("/api/v1/{}{trailing}", vec!["*"; ids.len()].join("/x/"));
            let path = format!("/api/v1/{}{trailing}", ids.join("/x/"));
            let want: Vec<&str> = ids.iter().map(String::as_str).collect();
            proptest::prop_assert_eq!(capture(&pattern, &path), Some(want));
        }
    }
}
