//! Sending a request to an upstream over pooled keep-alive connections, with
//! the connect timeout on the connector and the exchange timeout around the
//! call. Errors say where they came from and whether the request may be
//! repeated elsewhere (Pingora's error shape).

use super::blame::Received;
use super::body::{self, Body};
use super::pool::SendError;
pub use super::pool::{Client, IDLE_TIMEOUT, MAX_IDLE_PER_UPSTREAM, PooledBody};
use http::{Request, Response, StatusCode};
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
