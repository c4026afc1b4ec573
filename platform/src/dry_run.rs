//! Dry runs: a write request with `X-Strangler-Dry-Run: 1` (or `true`) runs
//! in full, inside a transaction that is rolled back at the end, so the
//! response is exactly what the real request would have answered while
//! nothing is kept: no row, no outbox event (the outbox is written in the
//! same transaction), no idempotency key. The strangler proxy uses this to
//! shadow state-changing requests against a new service.
//!
//! How a handler uses it: take [`DryRun`] as an extractor, run its write with
//! [`Db::write_or_rollback`](crate::db::Db::write_or_rollback)`(dry_run.enabled(), ..)`,
//! and pass the response through [`DryRun::mark`], which adds
//! `X-Strangler-Dry-Run: rolled-back` so the caller can tell. A handler must
//! not perform an external side effect (a call to another service, a mail)
//! when `enabled()` is true.
//!
//! `0`, `false` or no header mean a normal request; any other value is a 400.

use crate::problem::Problem;
use actix_web::dev::Payload;
use actix_web::http::header::{HeaderName, HeaderValue};
use actix_web::{FromRequest, HttpRequest, HttpResponse};
use std::future::{Ready, ready};

/// The request header that asks for a dry run (and the response header that
/// confirms one).
pub const HEADER: &str = "X-Strangler-Dry-Run";

/// The value of [`HEADER`] on a response whose effects were rolled back.
pub const ROLLED_BACK: &str = "rolled-back";

/// Whether this request is a dry run (extractor).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct DryRun(bool);

impl DryRun {
    /// A dry run (`true`) or a real request.
    pub fn new(enabled: bool) -> Self {
        Self(enabled)
    }

    /// True when the request's effects must be rolled back.
    pub fn enabled(self) -> bool {
        self.0
    }

    /// Reads the header value: `1`/`true` → dry run; `0`/`false` → not.
    pub fn parse(value: &str) -> Result<Self, Problem> {
        match value.trim().to_ascii_lowercase().as_str() {
            "1" | "true" => Ok(Self(true)),
            "0" | "false" => Ok(Self(false)),
            other => Err(Problem::bad_request(format!(
                "{HEADER} must be 1, true, 0 or false, not `{other}`"
            ))
            .with("header", HEADER)),
        }
    }

    /// Adds `X-Strangler-Dry-Run: rolled-back` to the response of a dry run;
    /// leaves a real response alone.
    pub fn mark(self, mut response: HttpResponse) -> HttpResponse {
        if self.0 {
            response.headers_mut().insert(
                HeaderName::from_static("x-strangler-dry-run"),
                HeaderValue::from_static(ROLLED_BACK),
            );
        }
        response
    }
}

impl FromRequest for DryRun {
    type Error = Problem;
    type Future = Ready<Result<Self, Problem>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        ready(match req.headers().get(HEADER) {
            None => Ok(Self(false)),
            Some(v) => match v.to_str() {
                Ok(s) => Self::parse(s),
                Err(_) => Err(Problem::bad_request(format!("{HEADER} must be ASCII"))),
            },
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use actix_web::test::TestRequest;

    #[actix_web::test]
    async fn reads_the_header() {
        let req = TestRequest::default().to_http_request();
        assert!(!DryRun::extract(&req).await.unwrap().enabled());
        for (value, expected) in [("1", true), ("true", true), ("0", false), ("FALSE", false)] {
            let req = TestRequest::default()
                .insert_header((HEADER, value))
                .to_http_request();
            assert_eq!(DryRun::extract(&req).await.unwrap().enabled(), expected);
        }
        let req = TestRequest::default()
            .insert_header((HEADER, "yes please"))
            .to_http_request();
        let err = DryRun::extract(&req).await.unwrap_err();
        assert_eq!(err.status().as_u16(), 400);
    }

    #[test]
    fn marks_only_dry_runs() {
        let marked = DryRun::new(true).mark(HttpResponse::Ok().finish());
        assert_eq!(marked.headers().get(HEADER).unwrap(), ROLLED_BACK);
        let real = DryRun::new(false).mark(HttpResponse::Ok().finish());
        assert!(real.headers().get(HEADER).is_none());
    }
}
