//! Correlation ids: `X-Correlation-ID` is taken from the client when it is valid
//! (1–128 characters of `A-Z a-z 0-9 . _ : -`), generated otherwise, kept in the
//! request's extensions, put on the request's root span (so every log line of the
//! request carries it) and echoed on the response.
//!
//! Wrap order matters: [`middleware`] must run before `TracingLogger`, i.e. be
//! `.wrap`ped after it.

use crate::problem::Problem;
use crate::trace_context::{self, TRACEPARENT, TRACESTATE, trace_id_of};
use actix_web::body::MessageBody;
use actix_web::dev::{Payload, ServiceRequest, ServiceResponse};
use actix_web::http::header::{HeaderName, HeaderValue};
use actix_web::middleware::Next;
use actix_web::{Error, FromRequest, HttpMessage, HttpRequest};
use std::future::{Ready, ready};
use std::time::Instant;
use tracing::Span;
use tracing_actix_web::{DefaultRootSpanBuilder, RootSpanBuilder};

/// The header name, lower-case as HTTP/2 wants it.
pub const HEADER: &str = "x-correlation-id";
const MAX_LEN: usize = 128;

/// A validated correlation id.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CorrelationId(String);

impl CorrelationId {
    /// Accepts a client-supplied id, or says why not.
    pub fn parse(raw: &str) -> Result<Self, String> {
        if raw.is_empty() || raw.len() > MAX_LEN {
            return Err(format!(
                "{HEADER} must be 1 to {MAX_LEN} characters long, got {}",
                raw.len()
            ));
        }
        if let Some(bad) = raw
            .chars()
            .find(|c| !(c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | ':' | '-')))
        {
            return Err(format!(
                "{HEADER} may contain only letters, digits and . _ : - (found {bad:?})"
            ));
        }
        Ok(Self(raw.to_owned()))
    }

    /// A fresh id (UUID v4, simple form).
    pub fn generate() -> Self {
        Self(random_uuid().simple().to_string())
    }

    /// A fresh id like [`CorrelationId::generate`], written into `buf`
    /// without allocating (for a proxy's request path).
    pub fn generate_into(buf: &mut [u8; 32]) -> &str {
        random_uuid().simple().encode_lower(buf)
    }

    /// The id as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A UUID v4 from the thread's CSPRNG (ChaCha, seeded from the OS), not
/// `Uuid::new_v4`, which makes one `getrandom` system call per id.
fn random_uuid() -> uuid::Uuid {
    uuid::Builder::from_random_bytes(rand::random()).into_uuid()
}

impl std::fmt::Display for CorrelationId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// Handlers can take the request's id as an argument.
impl FromRequest for CorrelationId {
    type Error = Error;
    type Future = Ready<Result<Self, Error>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let id = req
            .extensions()
            .get::<CorrelationId>()
            .cloned()
            .unwrap_or_else(CorrelationId::generate);
        ready(Ok(id))
    }
}

/// Validates or generates the id, stores it, and echoes it on the response. An
/// invalid client id is refused with 400 rather than silently replaced, so a
/// client never searches logs for an id we did not use.
pub async fn middleware(
    req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, Error> {
    let id = match req.headers().get(HEADER) {
        None => CorrelationId::generate(),
        Some(value) => {
            let raw = value
                .to_str()
                .map_err(|_| Problem::bad_request(format!("{HEADER} is not visible ASCII")))?;
            CorrelationId::parse(raw).map_err(Problem::bad_request)?
        }
    };
    req.extensions_mut().insert(id.clone());
    let mut res = next.call(req).await?;
    if let Ok(value) = HeaderValue::from_str(id.as_str()) {
        res.headers_mut()
            .insert(HeaderName::from_static(HEADER), value);
    }
    Ok(res)
}

/// `TracingLogger` root span with the correlation id and the trace id as
/// fields. The span continues the trace of the request's `traceparent` (and
/// `tracestate`); a missing or invalid one starts a new trace, never an error.
pub struct CorrelatedRootSpan;

impl RootSpanBuilder for CorrelatedRootSpan {
    fn on_request_start(request: &ServiceRequest) -> Span {
        let id = request
            .extensions()
            .get::<CorrelationId>()
            .map(|c| c.0.clone())
            .unwrap_or_default();
        // The macro declares an empty `trace_id` field; it is filled below.
        let span = tracing_actix_web::root_span!(request, correlation_id = %id);
        let headers = request.headers();
        if let Some(traceparent) = headers.get(TRACEPARENT).and_then(|v| v.to_str().ok()) {
            let tracestate = headers.get(TRACESTATE).and_then(|v| v.to_str().ok());
            trace_context::adopt(&span, traceparent, tracestate);
        }
        if let Some(trace_id) = trace_id_of(&span) {
            span.record("trace_id", trace_id);
        }
        request.extensions_mut().insert(Started(Instant::now()));
        span
    }

    /// Also logs one `served` line per answered request, with its status and
    /// latency, inside the request's span (so with its ids and route).
    fn on_request_end<B: MessageBody>(span: Span, outcome: &Result<ServiceResponse<B>, Error>) {
        if let Ok(res) = outcome {
            let latency_ms = res
                .request()
                .extensions()
                .get::<Started>()
                .map(|s| u64::try_from(s.0.elapsed().as_millis()).unwrap_or(u64::MAX));
            span.in_scope(|| {
                tracing::info!(status = res.status().as_u16(), latency_ms, "served");
            });
        }
        DefaultRootSpanBuilder::on_request_end(span, outcome);
    }
}

/// When the request's root span started.
struct Started(Instant);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_sensible_ids_and_refuses_others() {
        assert!(CorrelationId::parse("req-42.a_b:c").is_ok());
        assert!(CorrelationId::parse("").is_err());
        assert!(CorrelationId::parse(&"a".repeat(129)).is_err());
        assert!(CorrelationId::parse("has space").is_err());
        assert!(CorrelationId::parse("newline\n").is_err());
        assert_eq!(CorrelationId::generate().as_str().len(), 32);
    }
}
