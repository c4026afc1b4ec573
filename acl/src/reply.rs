//! Building legacy responses: JSON bodies, and v2 problems (or any v2 error
//! status) rewritten as legacy problems with the same status and a detail in
//! the legacy vocabulary (`amount` → `amt`).

use crate::error::{Side, TranslateError};
use crate::http::{Request, Response};
use crate::legacy::{PROBLEM_MEDIA_TYPE, Problem};
use serde::Serialize;
use serde::de::DeserializeOwned;
use v2_common::ProblemDoc;

/// The correlation header, copied from v2 responses to legacy ones and from
/// legacy requests to v2 requests.
pub const CORRELATION_HEADER: &str = "X-Correlation-ID";

/// v2 field names and their legacy names, for rewriting problem details.
pub type Renames = &'static [(&'static str, &'static str)];

/// What a v2 response turned out to be.
pub(crate) enum Outcome<V> {
    /// An expected success status with its body.
    Ok(u16, V),
    /// An error status, already rewritten as the legacy answer.
    Failed(Response),
}

/// Reads a v2 response: a status in `ok` with a `V` body, or an error
/// status (≥ 400) rewritten with `renames`; any other status is an error.
pub(crate) fn read<V: DeserializeOwned>(
    endpoint: &'static str,
    v2: &Response,
    ok: &[u16],
    renames: Renames,
) -> Result<Outcome<V>, TranslateError> {
    if ok.contains(&v2.status) {
        let body = TranslateError::read_json::<V>(Side::V2, &v2.body)?;
        return Ok(Outcome::Ok(v2.status, body));
    }
    if v2.status >= 400 {
        return Ok(Outcome::Failed(problem_to_legacy(v2, renames)));
    }
    Err(TranslateError::UnexpectedStatus {
        endpoint,
        status: v2.status,
    })
}

/// A legacy JSON response, carrying the v2 response's correlation id.
pub(crate) fn json<T: Serialize>(
    status: u16,
    body: &T,
    v2: &Response,
) -> Result<Response, TranslateError> {
    // Room for a typical legacy record at once (`to_vec` starts at 128
    // bytes and copies the body as it grows).
    let mut bytes = Vec::with_capacity(512);
    serde_json::to_writer(&mut bytes, body).map_err(|e| TranslateError::NotJson {
        side: Side::Legacy,
        message: e.to_string(),
    })?;
    Ok(with_correlation(
        Response::new(status).with_header("Content-Type", "application/json"),
        v2,
    )
    .with_body(bytes))
}

fn with_correlation(mut out: Response, v2: &Response) -> Response {
    if let Some(id) = v2.headers.get(CORRELATION_HEADER) {
        out.headers.set(CORRELATION_HEADER, id);
    }
    out
}

/// A v2 error response → the legacy problem: same status, the v2 `type`
/// and `title`, and the detail with v2 field names replaced by legacy ones.
/// A body that is not a problem document still gives a legacy problem (with
/// a detail saying so), never a pass-through of a foreign shape.
pub fn problem_to_legacy(v2: &Response, renames: Renames) -> Response {
    let title = reason_phrase(v2.status);
    let problem = match serde_json::from_slice::<ProblemDoc>(&v2.body) {
        Ok(doc) => Problem {
            kind: doc.kind,
            title: doc.title,
            status: v2.status,
            detail: rename_fields(&doc.detail, renames),
        },
        Err(_) => Problem {
            kind: format!("urn:strangler-kit:problem:upstream-{}", v2.status),
            title: title.to_owned(),
            status: v2.status,
            detail: format!(
                "the service answered {} without a problem document",
                v2.status
            ),
        },
    };
    problem_response(&problem, v2)
}

/// The legacy problem for a request the layer refused (see
/// [`TranslateError::legacy_status`]): what the proxy answers when
/// [`crate::RouteTranslator::start`] fails on a client's mistake.
pub fn error_to_legacy(err: &TranslateError, request: &Request) -> Response {
    let status = err.legacy_status();
    let slug = match status {
        400 => "bad-request",
        404 => "not-found",
        405 => "method-not-allowed",
        415 => "unsupported-media-type",
        501 => "not-implemented",
        502 => "bad-gateway",
        _ => "invalid-request",
    };
    let echo = Response::new(status).with_body(Vec::new());
    let mut out = own_problem(status, slug, err.to_string(), &echo);
    if let Some(id) = request.headers.get(CORRELATION_HEADER) {
        out.headers.set(CORRELATION_HEADER, id);
    }
    out
}

/// A legacy problem the layer answers itself (not a v2 problem passed on),
/// carrying `v2`'s correlation id.
pub(crate) fn own_problem(status: u16, slug: &str, detail: String, v2: &Response) -> Response {
    let problem = Problem {
        kind: format!("urn:strangler-kit:problem:{slug}"),
        title: reason_phrase(status).to_owned(),
        status,
        detail,
    };
    problem_response(&problem, v2)
}

fn problem_response(problem: &Problem, v2: &Response) -> Response {
    // A struct of four plain fields always serialises.
    let body = serde_json::to_vec(problem).unwrap_or_default();
    with_correlation(
        Response::new(problem.status).with_header("Content-Type", PROBLEM_MEDIA_TYPE),
        v2,
    )
    .with_body(body)
}

/// Replaces whole-word occurrences of v2 field names with legacy ones.
pub fn rename_fields(detail: &str, renames: Renames) -> String {
    let mut out = detail.to_owned();
    for (v2, legacy) in renames {
        out = replace_word(&out, v2, legacy);
    }
    out
}

fn replace_word(text: &str, word: &str, with: &str) -> String {
    let is_word = |c: char| c.is_alphanumeric() || c == '_';
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(at) = rest.find(word) {
        let before = rest[..at].chars().next_back();
        let after = rest[at + word.len()..].chars().next();
        let whole = !before.is_some_and(is_word) && !after.is_some_and(is_word);
        out.push_str(&rest[..at]);
        out.push_str(if whole { with } else { word });
        rest = &rest[at + word.len()..];
    }
    out.push_str(rest);
    out
}

fn reason_phrase(status: u16) -> &'static str {
    match status {
        400 => "Bad Request",
        402 => "Payment Required",
        404 => "Not Found",
        405 => "Method Not Allowed",
        409 => "Conflict",
        413 => "Payload Too Large",
        415 => "Unsupported Media Type",
        422 => "Unprocessable Entity",
        500 => "Internal Server Error",
        501 => "Not Implemented",
        502 => "Bad Gateway",
        503 => "Service Unavailable",
        504 => "Gateway Timeout",
        _ => "Error",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renames_whole_words_only() {
        let r: Renames = &[("amount", "amt"), ("reason", "rsn")];
        assert_eq!(
            rename_fields("amount 5.00 exceeds refundable_amount; reason empty", r),
            "amt 5.00 exceeds refundable_amount; rsn empty"
        );
    }

    #[test]
    fn a_v2_problem_keeps_its_status_and_speaks_legacy() {
        let v2 = Response::new(409)
            .with_header(CORRELATION_HEADER, "c-1")
            .with_body(
                br#"{"type":"urn:strangler-kit:problem:conflict","title":"Conflict",
                "status":409,"detail":"amount exceeds what is refundable","field":"amount"}"#
                    .to_vec(),
            );
        let out = problem_to_legacy(&v2, &[("amount", "amt")]);
        assert_eq!(out.status, 409);
        assert_eq!(out.headers.get("content-type"), Some(PROBLEM_MEDIA_TYPE));
        assert_eq!(out.headers.get(CORRELATION_HEADER), Some("c-1"));
        let doc: Problem = serde_json::from_slice(&out.body).unwrap();
        assert_eq!(doc.detail, "amt exceeds what is refundable");
    }

    #[test]
    fn a_foreign_error_body_still_becomes_a_legacy_problem() {
        let out = problem_to_legacy(&Response::new(503).with_body(b"<html>".to_vec()), &[]);
        let doc: Problem = serde_json::from_slice(&out.body).unwrap();
        assert_eq!((doc.status, out.status), (503, 503));
    }
}
