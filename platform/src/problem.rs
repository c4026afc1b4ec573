//! One error type for every HTTP API of the kit, rendered as
//! `application/problem+json` (RFC 9457). Handlers return `Result<_, Problem>`;
//! extractor failures, unknown routes and bare framework errors are mapped here
//! too (see [`crate::server`]), so a client never sees an empty or HTML error.

use actix_web::http::StatusCode;
use actix_web::http::header::CONTENT_TYPE;
use actix_web::{HttpResponse, ResponseError};
use serde_json::{Map, Value, json};

/// The media type of every error body.
pub const MEDIA_TYPE: &str = "application/problem+json";

/// An RFC 9457 problem: what went wrong, for the client to read.
#[derive(Debug, Clone, thiserror::Error)]
#[error("{status} {slug}: {detail}")]
pub struct Problem {
    status: StatusCode,
    slug: &'static str,
    detail: String,
    extensions: Map<String, Value>,
    /// Seconds after which a retry may succeed (`Retry-After`).
    retry_after: Option<u32>,
}

impl Problem {
    /// A problem with an explicit status, a stable machine-readable slug (the
    /// last part of its `type`) and a human-readable detail.
    pub fn new(status: StatusCode, slug: &'static str, detail: impl Into<String>) -> Self {
        Self {
            status,
            slug,
            detail: detail.into(),
            extensions: Map::new(),
            retry_after: None,
        }
    }

    /// 400: the request could not be read (syntax, bad header, bad query).
    pub fn bad_request(detail: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, "bad-request", detail)
    }

    /// 404: the thing named does not exist.
    pub fn not_found(detail: impl Into<String>) -> Self {
        Self::new(StatusCode::NOT_FOUND, "not-found", detail)
    }

    /// 409: the request is valid but conflicts with the current state.
    pub fn conflict(detail: impl Into<String>) -> Self {
        Self::new(StatusCode::CONFLICT, "conflict", detail)
    }

    /// 422: the request was read but its content breaks a rule.
    pub fn unprocessable(detail: impl Into<String>) -> Self {
        Self::new(StatusCode::UNPROCESSABLE_ENTITY, "invalid-request", detail)
    }

    /// 413: the body is larger than the configured limit.
    pub fn payload_too_large(limit: usize) -> Self {
        Self::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "payload-too-large",
            format!("request body is larger than the limit of {limit} bytes"),
        )
    }

    /// 503: a dependency (the database) cannot be reached right now.
    pub fn unavailable(detail: impl Into<String>) -> Self {
        Self::new(StatusCode::SERVICE_UNAVAILABLE, "unavailable", detail)
    }

    /// 500: our fault. The cause is logged here; the client gets no internals.
    pub fn internal(cause: &dyn std::fmt::Display) -> Self {
        tracing::error!(error = %cause, "internal error");
        Self::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "internal",
            "the server failed to handle the request; it has been logged",
        )
    }

    /// Adds an extension member (RFC 9457 §3.2), e.g. the offending field.
    pub fn with(mut self, key: &str, value: impl Into<Value>) -> Self {
        self.extensions.insert(key.to_owned(), value.into());
        self
    }

    /// Tells the client to retry after `seconds` (the `Retry-After` header):
    /// for a refusal that passes by itself.
    pub fn retry_after(mut self, seconds: u32) -> Self {
        self.retry_after = Some(seconds);
        self
    }

    /// The HTTP status.
    pub fn status(&self) -> StatusCode {
        self.status
    }

    /// The human-readable explanation.
    pub fn detail(&self) -> &str {
        &self.detail
    }

    /// The problem as its JSON document. The RFC 9457 members always win over
    /// an extension of the same name.
    pub fn to_json(&self) -> Value {
        let mut map = self.extensions.clone();
        map.insert(
            "type".into(),
            json!(format!("urn:strangler-kit:problem:{}", self.slug)),
        );
        map.insert(
            "title".into(),
            json!(self.status.canonical_reason().unwrap_or("Error")),
        );
        map.insert("status".into(), json!(self.status.as_u16()));
        map.insert("detail".into(), json!(self.detail));
        Value::Object(map)
    }
}

impl ResponseError for Problem {
    fn status_code(&self) -> StatusCode {
        self.status
    }

    fn error_response(&self) -> HttpResponse {
        let mut res = HttpResponse::build(self.status);
        res.insert_header((CONTENT_TYPE, MEDIA_TYPE));
        if let Some(seconds) = self.retry_after {
            res.insert_header((actix_web::http::header::RETRY_AFTER, seconds));
        }
        res.body(self.to_json().to_string())
    }
}

impl From<diesel::result::Error> for Problem {
    fn from(err: diesel::result::Error) -> Self {
        match err {
            diesel::result::Error::NotFound => Problem::not_found("no such record"),
            other => Problem::internal(&other),
        }
    }
}

impl From<crate::db::DbError> for Problem {
    fn from(err: crate::db::DbError) -> Self {
        match err {
            crate::db::DbError::Unavailable(e) => {
                tracing::warn!(error = %e, "database unavailable");
                Problem::unavailable("the database cannot be reached right now; retry later")
            }
            crate::db::DbError::Query(e) => e.into(),
            other => Problem::internal(&other),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_rfc9457_members_and_extensions() {
        let body = Problem::unprocessable("amt must not be negative")
            .with("field", "amt")
            .to_json();
        assert_eq!(body["status"], 422);
        assert_eq!(body["title"], "Unprocessable Entity");
        assert_eq!(body["detail"], "amt must not be negative");
        assert_eq!(body["field"], "amt");
        assert_eq!(body["type"], "urn:strangler-kit:problem:invalid-request");
    }

    #[test]
    fn extensions_cannot_replace_standard_members() {
        let body = Problem::conflict("no")
            .with("status", "captured")
            .with("detail", "x")
            .to_json();
        assert_eq!(body["status"], 409);
        assert_eq!(body["detail"], "no");
    }

    #[test]
    fn a_refusal_that_passes_says_when_to_retry() {
        let res = Problem::unavailable("held").retry_after(1).error_response();
        assert_eq!(res.status(), StatusCode::SERVICE_UNAVAILABLE);
        assert_eq!(
            res.headers()
                .get(actix_web::http::header::RETRY_AFTER)
                .unwrap(),
            "1"
        );
        let plain = Problem::unavailable("down").error_response();
        assert!(
            !plain
                .headers()
                .contains_key(actix_web::http::header::RETRY_AFTER)
        );
    }

    #[test]
    fn not_found_maps_from_diesel() {
        let p: Problem = diesel::result::Error::NotFound.into();
        assert_eq!(p.status(), StatusCode::NOT_FOUND);
    }
}
