//! Serving a legacy request from a v2 service through the ACL: the legacy
//! request (buffered) starts an exchange, each v2 call goes to the new
//! upstream, and the final answer is the legacy response. A failure of the new
//! side is returned as [`NewSideFailure`] so the caller can fall back. How a
//! call travels is the caller's [`Transport`]: hyper's pooled client, or on
//! the own codec the client connection's own link.

use super::CORRELATION_NAME;
use super::body::{self, Body};
use super::forward::{self, Client, UpstreamError};
use super::trace::{TRACEPARENT_NAME, TRACESTATE_NAME};
use crate::resilience::retry::{self, Retries};
use crate::upstream::Upstream;
use acl::{RouteTranslator, Step, TranslateError};
use bytes::Bytes;
use http::uri::PathAndQuery;
use http::{HeaderName, HeaderValue, Request, Response, StatusCode};
use std::sync::LazyLock;
use std::time::Duration;
use tokio::time::Instant;

/// Why the new side could not serve (the caller may fall back to legacy).
#[derive(Debug)]
pub enum NewSideFailure {
    /// The upstream did not answer.
    Upstream(UpstreamError),
    /// It answered 5xx.
    ServerError(u16),
    /// Its answer has no legacy translation.
    Untranslatable(TranslateError),
}

impl std::fmt::Display for NewSideFailure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Upstream(e) => write!(f, "{e}"),
            Self::ServerError(status) => write!(f, "answered {status}"),
            Self::Untranslatable(e) => write!(f, "answer not translatable: {e}"),
        }
    }
}

/// What the translator made of the request.
pub enum Outcome {
    /// The new side's answer, in the legacy shape.
    Answer(acl::Response),
    /// The client's mistake (input the translator cannot read), refused
    /// exactly as the monolith would refuse it; the new side was not asked.
    Refused(acl::Response),
    /// The group does not translate this request (it spans services, or no
    /// route of the translator matches): the monolith must serve it.
    NotTranslated(TranslateError),
    /// The new side failed.
    Failed(NewSideFailure),
}

/// How the v2 calls of an exchange reach the new upstream: hyper's pooled
/// client ([`Pooled`]), or the own codec's connection of the client
/// (`crate::server`), which writes and reads them from the client's task.
pub trait Transport {
    /// One attempt at `call`, within `timeout`: the answer with its body.
    fn call(
        &mut self,
        call: &V2Call<'_>,
        timeout: Duration,
    ) -> impl Future<Output = Result<acl::Response, UpstreamError>> + Send;
}

/// One v2 call of an exchange.
pub struct V2Call<'a> {
    /// Where it goes.
    pub new: &'a Upstream,
    /// The ACL's request.
    pub request: &'a acl::Request,
    /// The headers forwarded for the client's request ([`forwarded_extras`]).
    pub extra: &'a [(HeaderName, HeaderValue)],
}

impl V2Call<'_> {
    /// The ACL's header lines to send: all but those the forwarded headers
    /// replace (it puts the correlation id on its v2 requests too, and a
    /// service expects one value).
    pub fn own_headers(&self) -> impl Iterator<Item = (&str, &str)> {
        let replaced = |name: &str| {
            self.extra
                .iter()
                .any(|(n, _)| name.eq_ignore_ascii_case(n.as_str()))
        };
        self.request
            .headers
            .iter()
            .filter(move |(name, _)| !replaced(name))
    }

    /// Whether it may be sent twice (as [`retry::idempotent`] decides).
    pub fn repeatable(&self) -> bool {
        retry::idempotent_method(self.request.method.as_str())
            || self.request.headers.get("idempotency-key").is_some()
    }
}

/// Runs the exchange for `legacy` against `new` within `timeout`, its calls
/// going out over `transport`, refused connections retried as `retries` says.
pub async fn serve(
    transport: &mut impl Transport,
    retries: Retries<'_>,
    translator: &dyn RouteTranslator,
    legacy: &acl::Request,
    new: &Upstream,
    timeout: Duration,
    extra: &[(HeaderName, HeaderValue)],
) -> Outcome {
    let mut exchange = match translator.start(legacy) {
        Ok(exchange) => exchange,
        Err(e @ TranslateError::NoRoute { .. }) => {
            return Outcome::NotTranslated(e);
        }
        Err(e) if e.legacy_status() < 500 => {
            return Outcome::Refused(acl::error_to_legacy(&e, legacy));
        }
        Err(e) => return Outcome::Answer(acl::error_to_legacy(&e, legacy)),
    };
    let deadline = Instant::now() + timeout;
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        let call = V2Call {
            new,
            request: exchange.request(),
            extra,
        };
        let mut attempts = retries.attempts(left, call.repeatable());
        let v2 = loop {
            let e = match transport.call(&call, attempts.left()).await {
                Ok(v2) => break v2,
                Err(e) => e,
            };
            if !attempts.wait_for_another(&e).await {
                return Outcome::Failed(NewSideFailure::Upstream(e));
            }
        };
        if v2.status >= 500 {
            return Outcome::Failed(NewSideFailure::ServerError(v2.status));
        }
        match exchange.respond(&v2) {
            Ok(Step::Call(next)) => exchange = next,
            Ok(Step::Reply(answer)) => return Outcome::Answer(answer),
            Err(e) => return Outcome::Failed(NewSideFailure::Untranslatable(e)),
        }
    }
}

/// v2 answers are small JSON documents; a body past this is not one.
pub const MAX_V2_BODY: usize = 16 * 1024 * 1024;

/// Why a v2 answer over [`MAX_V2_BODY`] is not read.
pub const V2_BODY_TOO_LARGE: &str = "v2 body over 16 MiB";

/// The v2 calls made with hyper's pooled client.
pub struct Pooled<'a>(pub &'a Client);

impl Transport for Pooled<'_> {
    async fn call(
        &mut self,
        call: &V2Call<'_>,
        timeout: Duration,
    ) -> Result<acl::Response, UpstreamError> {
        let res = forward::send(self.0, http_request(call)?, timeout).await?;
        let status = res.status().as_u16();
        let headers = copy_headers(res.headers(), &V2_HEADERS_READ);
        let bytes = body::read(res.into_body(), MAX_V2_BODY)
            .await
            .map_err(|e| {
                UpstreamError::Broken(match e {
                    body::ReadError::TooLarge => V2_BODY_TOO_LARGE.into(),
                    body::ReadError::Broken(e) => e.to_string(),
                })
            })?;
        Ok(acl::Response {
            status,
            headers,
            body: bytes.to_vec(),
        })
    }
}

/// The ACL's v2 request as an HTTP request, with the forwarded headers.
fn http_request(call: &V2Call<'_>) -> Result<Request<Body>, UpstreamError> {
    let broken = |e: &dyn std::fmt::Display| UpstreamError::Broken(e.to_string());
    let v2 = call.request;
    let path = PathAndQuery::from_maybe_shared(Bytes::from(v2.target()))
        .map_err(|e| broken(&format_args!("bad v2 target `{}`: {e}", v2.target())))?;
    let uri = call.new.uri(Some(&path)).map_err(|e| broken(&e))?;
    let method = http::Method::from_bytes(v2.method.as_str().as_bytes()).map_err(|e| broken(&e))?;
    let mut headers =
        http::HeaderMap::with_capacity(v2.headers.iter().count() + call.extra.len() + 1);
    for (name, value) in call.own_headers() {
        headers.append(
            header_name(name).map_err(|e| broken(&e))?,
            HeaderValue::from_str(value).map_err(|e| broken(&e))?,
        );
    }
    for (name, value) in call.extra {
        headers.append(name, value.clone());
    }
    headers.insert(http::header::HOST, call.new.host().clone());
    let mut req = Request::new(body::full(v2.body.clone()));
    (*req.method_mut(), *req.uri_mut(), *req.headers_mut()) = (method, uri, headers);
    Ok(req)
}

/// An ACL response as an HTTP response.
pub fn to_http(res: acl::Response) -> Response<Body> {
    let mut out = Response::new(body::full(res.body));
    *out.status_mut() = StatusCode::from_u16(res.status).unwrap_or(StatusCode::BAD_GATEWAY);
    for (name, value) in res.headers.iter() {
        if let (Ok(n), Ok(v)) = (header_name(name), HeaderValue::from_str(value)) {
            out.headers_mut().append(n, v);
        }
    }
    out
}

/// An ACL message's header name as an `http` one; the correlation id's,
/// which the ACL copies onto most messages, without parsing (and allocating)
/// it again.
fn header_name(name: &str) -> Result<HeaderName, http::header::InvalidHeaderName> {
    if name.eq_ignore_ascii_case(CORRELATION_NAME.as_str()) {
        return Ok(CORRELATION_NAME);
    }
    HeaderName::from_bytes(name.as_bytes())
}

/// A buffered HTTP request as the ACL's description of it.
pub fn to_acl(parts: &http::request::Parts, body: &Bytes) -> Option<acl::Request> {
    let method = acl::Method::parse(parts.method.as_str())?;
    Some(acl::Request {
        method,
        path: parts.uri.path().to_owned(),
        query: parts.uri.query().unwrap_or("").to_owned(),
        headers: copy_headers(&parts.headers, &LEGACY_HEADERS_READ),
        body: body.to_vec(),
    })
}

/// The headers the ACL reads ([`acl::routes::LEGACY_HEADERS_READ`],
/// [`acl::routes::V2_HEADERS_READ`]), parsed once: a `&str` name is parsed
/// (and lower-cased) again on every lookup.
static LEGACY_HEADERS_READ: LazyLock<Vec<HeaderName>> =
    LazyLock::new(|| parsed(acl::routes::LEGACY_HEADERS_READ));
static V2_HEADERS_READ: LazyLock<Vec<HeaderName>> =
    LazyLock::new(|| parsed(acl::routes::V2_HEADERS_READ));

fn parsed(names: &[&str]) -> Vec<HeaderName> {
    names
        .iter()
        .filter_map(|name| HeaderName::from_bytes(name.as_bytes()).ok())
        .collect()
}

/// The headers the ACL reads, as text: copying only those spares an owned
/// name and value per header the translators never look at.
fn copy_headers(headers: &http::HeaderMap, read: &'static [HeaderName]) -> acl::Headers {
    read.iter()
        .flat_map(|name| headers.get_all(name).iter().map(move |v| (name, v)))
        .filter_map(|(name, v)| Some((name.as_str(), v.to_str().ok()?)))
        .collect()
}

/// The headers that travel with every v2 call made for a request (and with
/// its shadow copy): its correlation id and W3C trace context, every line of
/// it (a `tracestate` list may come split over several).
pub fn forwarded_extras(headers: &http::HeaderMap) -> Vec<(HeaderName, HeaderValue)> {
    let mut extras = Vec::with_capacity(3);
    for name in [CORRELATION_NAME, TRACEPARENT_NAME] {
        if let Some(value) = headers.get(&name) {
            extras.push((name, value.clone()));
        }
    }
    let tracestate = headers.get_all(TRACESTATE_NAME).iter();
    extras.extend(tracestate.map(|value| (TRACESTATE_NAME, value.clone())));
    extras
}
