//! Sending a request to an upstream over pooled keep-alive connections, with
//! the connect timeout on the connector and the exchange timeout around the
//! call. Errors say where they came from and whether the request may be
//! repeated elsewhere (Pingora's error shape).

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
        Ok(Ok(res)) => Ok(res),
        Ok(Err(SendError::Connect(e))) => Err(UpstreamError::Connect(e)),
        Ok(Err(SendError::Broken(e))) => Err(UpstreamError::Broken(e)),
    }
}
