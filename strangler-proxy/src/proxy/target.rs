//! The path stage's outcome on the data plane: the request goes on with
//! the path the route was matched on ([`crate::routes::path`]), or is
//! refused before anything else reads it.

use super::Proxy;
use super::body::{self, Body};
use crate::metrics::ClientError;
use crate::routes::path::PathError;
use http::{Request, Response, StatusCode};
use std::time::Instant;

/// What became of the request's path before matching
/// ([`crate::routes::path`]).
pub(crate) enum Target {
    /// It was normal: matched and forwarded as the client sent it.
    AsSent,
    /// Matched, and to be forwarded, in this normal form.
    Normalized(String),
    /// Refused: the client gets a `400`.
    Refused(PathError),
}

/// Puts `path` in place of the request's path, its query kept.
#[allow(clippy::result_large_err)]
pub(super) fn set_path(req: &mut Request<Body>, path: &str) -> Result<(), Response<Body>> {
    let target = match req.uri().query() {
        Some(query) => format!("{path}?{query}"),
        None => path.to_owned(),
    };
    let mut parts = req.uri().clone().into_parts();
    parts.path_and_query = Some(target.parse().map_err(|e: http::uri::InvalidUri| {
        body::problem(StatusCode::BAD_REQUEST, "bad-path", &e.to_string())
    })?);
    *req.uri_mut() = http::Uri::from_parts(parts)
        .map_err(|e| body::problem(StatusCode::BAD_REQUEST, "bad-path", &e.to_string()))?;
    Ok(())
}

impl Proxy {
    /// Counts and logs a request whose path was refused, and answers it.
    pub(super) fn refused_path(&self, res: Response<Body>, started: Instant) -> Response<Body> {
        self.stats.metrics().client_error(ClientError::BadPath);
        tracing::debug!(
            latency_ms = started.elapsed().as_millis(),
            status = res.status().as_u16(),
            "path refused"
        );
        res
    }
}
