//! Sending a request to an upstream over pooled keep-alive connections, with
//! the connect timeout on the connector and the exchange timeout around the
//! call; and the data plane's two ways of forwarding a client's request
//! (`Proxy::pass`, streamed; `Proxy::send_buffered`, buffered and retried).
//! Errors say where they came from and whether the request may be
//! repeated elsewhere (Pingora's error shape).

use super::blame::{self, Received};
use super::body::{self, Body};
use super::pool::SendError;
pub use super::pool::{Client, IDLE_TIMEOUT, MAX_IDLE_PER_UPSTREAM, PooledBody};
use super::{Proxy, headers, upgrade};
use crate::resilience::retry::{Retries, Sender};
use crate::routes::Route;
use crate::settings::HostPolicy;
use crate::upstream::Upstream;
use bytes::Bytes;
use http::{Request, Response, StatusCode};
use std::net::SocketAddr;
use std::sync::atomic::AtomicU64;
use std::time::Duration;

/// Builds the client every route shares.
pub fn client(connect_timeout: Duration) -> Client {
    Client::new(connect_timeout)
}

/// Why an upstream did not answer.
#[derive(Debug)]
pub enum UpstreamError {
    /// No connection could be made: nothing was sent, a repeat elsewhere is safe.
    Connect(String),
    /// No answer in time: the upstream may have acted on the request.
    Timeout(Duration),
    /// The connection failed mid-exchange: the upstream may have acted.
    Broken(String),
}

impl UpstreamError {
    /// Whether the request certainly never reached the upstream's application.
    pub fn nothing_sent(&self) -> bool {
        matches!(self, Self::Connect(_))
    }

    /// The client's answer when no other backend can serve: 502 or 504.
    pub fn response(&self, upstream: &str) -> Response<Body> {
        match self {
            Self::Connect(e) => body::problem(
                StatusCode::BAD_GATEWAY,
                "upstream-unreachable",
                &format!("the upstream {upstream} cannot be reached: {e}"),
            ),
            Self::Timeout(after) => body::problem(
                StatusCode::GATEWAY_TIMEOUT,
                "upstream-timeout",
                &format!(
                    "the upstream {upstream} did not answer within {} ms",
                    after.as_millis()
                ),
            ),
            Self::Broken(e) => body::problem(
                StatusCode::BAD_GATEWAY,
                "upstream-failed",
                &format!("the upstream {upstream} failed mid-exchange: {e}"),
            ),
        }
    }
}

impl std::fmt::Display for UpstreamError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Connect(e) => write!(f, "connect: {e}"),
            Self::Timeout(after) => write!(f, "timeout after {} ms", after.as_millis()),
            Self::Broken(e) => write!(f, "broken: {e}"),
        }
    }
}

/// Sends `req` and waits for the response head (the body streams on).
pub async fn send(
    client: &Client,
    req: Request<Body>,
    timeout: Duration,
) -> Result<Response<PooledBody>, UpstreamError> {
    match tokio::time::timeout(timeout, client.request(req)).await {
        Err(_) => Err(UpstreamError::Timeout(timeout)),
        Ok(sent) => sent.map_err(UpstreamError::from),
    }
}

/// [`send`] for a request whose body streams as the client sends it
/// (`received` watches it): the upstream's `timeout` runs from the body's
/// last byte, never while the client is still sending (the body timeout
/// bounds that), so a slow client never makes an upstream look slow.
pub async fn send_streaming(
    client: &Client,
    req: Request<Body>,
    timeout: Duration,
    received: &Received,
) -> Result<Response<PooledBody>, UpstreamError> {
    let request = client.request(req);
    tokio::pin!(request);
    let start = tokio::time::Instant::now();
    loop {
        let from = received
            .last_byte()
            .map_or(start, |at| tokio::time::Instant::from_std(at).max(start));
        match tokio::time::timeout_at(from + timeout, request.as_mut()).await {
            Ok(sent) => return sent.map_err(UpstreamError::from),
            // Still sending, or a byte came meanwhile: the clock restarts.
            Err(_) if !received.ended() && !received.broken() => {}
            Err(_) if received.last_byte().map(tokio::time::Instant::from_std) > Some(from) => {}
            Err(_) => return Err(UpstreamError::Timeout(timeout)),
        }
    }
}

impl From<SendError> for UpstreamError {
    fn from(e: SendError) -> Self {
        match e {
            SendError::Connect(e) => Self::Connect(e),
            SendError::Broken(e) => Self::Broken(e),
        }
    }
}

impl Proxy {
    /// Streams `req` to `upstream` and the answer back (WebSocket upgrades too).
    pub(super) async fn pass(
        &self,
        mut req: Request<Body>,
        upstream: &Upstream,
        host: HostPolicy,
        peer: SocketAddr,
        timeout: Duration,
    ) -> Response<Body> {
        let client_upgrade =
            headers::is_upgrade(req.headers()).then(|| hyper::upgrade::on(&mut req));
        let received = blame::watched(&req);
        let (mut parts, body) = req.into_parts();
        headers::to_upstream(&mut parts.headers, peer.ip(), upstream, host);
        match upstream.uri(parts.uri.path_and_query()) {
            Ok(uri) => parts.uri = uri,
            Err(e) => {
                return body::problem(
                    StatusCode::BAD_REQUEST,
                    "bad-target",
                    &format!("bad request target: {e}"),
                );
            }
        }
        let req = Request::from_parts(parts, body);
        let sent = match received.as_deref() {
            Some(received) => send_streaming(&self.client, req, timeout, received).await,
            None => send(&self.client, req, timeout).await,
        };
        match sent {
            Ok(mut res) => {
                let switching = res.status() == StatusCode::SWITCHING_PROTOCOLS;
                if let (true, Some(client_upgrade)) = (switching, client_upgrade) {
                    upgrade::tunnel(client_upgrade, hyper::upgrade::on(&mut res));
                }
                let (mut parts, incoming) = res.into_parts();
                headers::to_client(&mut parts.headers, switching);
                Response::from_parts(parts, body::stream(incoming))
            }
            Err(e) if received.as_deref().is_some_and(blame::Received::broken) => {
                blame::broken_body(received.as_deref(), e)
            }
            Err(e) => {
                self.upstream_error(&e);
                crate::limited!(warn, upstream = %upstream, error = %e, "upstream failed");
                e.response(&upstream.to_string())
            }
        }
    }

    /// Sends a buffered request to `upstream` (retrying a refused connection
    /// as `route` says); `Err` when it failed or answered 5xx.
    pub(super) async fn send_buffered(
        &self,
        parts: &http::request::Parts,
        bytes: &Bytes,
        upstream: &Upstream,
        route: &Route,
        peer: SocketAddr,
        retries: Option<&AtomicU64>,
    ) -> Result<Response<Body>, (Response<Body>, String)> {
        let uri = upstream.uri(parts.uri.path_and_query()).map_err(|e| {
            (
                body::problem(StatusCode::BAD_REQUEST, "bad-target", &e.to_string()),
                e.to_string(),
            )
        })?;
        let build = || {
            let mut headers = parts.headers.clone();
            headers::to_upstream(&mut headers, peer.ip(), upstream, route.host);
            let mut req = Request::new(body::full(bytes.clone()));
            (*req.method_mut(), *req.uri_mut(), *req.headers_mut()) =
                (parts.method.clone(), uri.clone(), headers);
            Ok(req)
        };
        let sender = Sender {
            client: &self.client,
            retries: Retries {
                policy: &route.retry,
                counted: retries,
            },
        };
        match sender.send(route.timeout, build).await {
            Ok(res) => {
                let (mut parts, incoming) = res.into_parts();
                headers::to_client(&mut parts.headers, false);
                let res = Response::from_parts(parts, body::stream(incoming));
                if res.status().is_server_error() {
                    let status = res.status().as_u16();
                    return Err((res, format!("answered {status}")));
                }
                Ok(res)
            }
            Err(e) => {
                self.upstream_error(&e);
                Err((e.response(&upstream.to_string()), e.to_string()))
            }
        }
    }
}
