//! Keep-alive connections to upstreams: one stack of idle connections per
//! upstream, built on hyper's own HTTP/1 connection API.
//!
//! Why not hyper-util's pooled client: it hashes the pool key with SipHash
//! several times per request and spawns a task per request to notice when the
//! connection is free again, which cost about a fifth of a proxied request's
//! instructions. Here a connection goes back to its stack when the response
//! body it carried is dropped after its last byte, and the stack is found by
//! the upstream's authority in a map that is read-locked, not written, on the
//! request path.
//!
//! What hyper-util did that is kept: a request that a reused connection turned
//! down before writing it (the upstream had closed it while idle) is sent again
//! on another connection; idle connections are dropped after
//! [`IDLE_TIMEOUT`] (looked over by [`Client::sweep`], which the listener
//! calls now and then); the connect timeout covers resolution and TCP connect;
//! protocol upgrades (WebSocket) work.

use super::body::Body;
use bytes::Bytes;
use http::uri::{Authority, Uri};
use http::{HeaderValue, Request, Response, header};
use hyper::body::{Body as _, Frame, Incoming, SizeHint};
use hyper::client::conn::http1::{self, SendRequest};
use hyper_util::rt::TokioIo;
use rustc_hash::FxHashMap;
use std::pin::Pin;
use std::sync::{Arc, Mutex, RwLock};
use std::task::{Context, Poll};
use std::time::{Duration, Instant};
use tokio::net::TcpStream;

/// An idle connection older than this is closed rather than reused.
pub const IDLE_TIMEOUT: Duration = Duration::from_secs(90);
/// Idle connections kept per upstream at most; more are closed.
pub const MAX_IDLE_PER_UPSTREAM: usize = 1024;

/// Sends requests to upstreams over pooled HTTP/1.1 connections. Cheap to clone.
#[derive(Clone)]
pub struct Client {
    shared: Arc<Shared>,
}

impl std::fmt::Debug for Client {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Client")
            .field("connect_timeout", &self.shared.connect_timeout)
            .finish_non_exhaustive()
    }
}

struct Shared {
    connect_timeout: Duration,
    upstreams: RwLock<FxHashMap<Authority, Arc<Upstream>>>,
}

/// One upstream's idle connections, the most recently used on top.
struct Upstream {
    authority: Authority,
    idle: Mutex<Vec<Idle>>,
}

struct Idle {
    sender: SendRequest<Body>,
    since: Instant,
}

impl Idle {
    /// Open, and not idle for longer than [`IDLE_TIMEOUT`].
    fn may_serve(&self) -> bool {
        !self.sender.is_closed() && self.since.elapsed() < IDLE_TIMEOUT
    }
}

/// Why a request got no response.
#[derive(Debug)]
pub enum SendError {
    /// No connection could be made: nothing was sent.
    Connect(String),
    /// The exchange failed after the request may have been sent.
    Broken(String),
}

impl std::fmt::Display for SendError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Connect(e) | Self::Broken(e) => f.write_str(e),
        }
    }
}

impl Client {
    /// A client whose new connections must be made within `connect_timeout`.
    pub fn new(connect_timeout: Duration) -> Self {
        Self {
            shared: Arc::new(Shared {
                connect_timeout,
                upstreams: RwLock::default(),
            }),
        }
    }

    /// Lets go of the idle connections that may no longer serve (closed by
    /// their upstream, or idle longer than [`IDLE_TIMEOUT`]): their
    /// connection tasks end and close them.
    pub fn sweep(&self) {
        let upstreams = self
            .shared
            .upstreams
            .read()
            .unwrap_or_else(|p| p.into_inner());
        for upstream in upstreams.values() {
            upstream.sweep();
        }
    }

    /// Sends `req`, whose URI must be absolute (`http://host:port/path`), and
    /// waits for the response head; the body streams on.
    pub async fn request(&self, mut req: Request<Body>) -> Result<Response<PooledBody>, SendError> {
        let authority = req
            .uri()
            .authority()
            .cloned()
            .ok_or_else(|| SendError::Broken(format!("`{}` names no upstream", req.uri())))?;
        // On the wire the target is origin-form (`/path?query`).
        let target = req.uri().path_and_query().cloned();
        *req.uri_mut() = target.map_or_else(|| Uri::from_static("/"), Uri::from);
        if !req.headers().contains_key(header::HOST) {
            let host = HeaderValue::from_str(authority.as_str())
                .map_err(|e| SendError::Broken(e.to_string()))?;
            req.headers_mut().insert(header::HOST, host);
        }
        let upstream = self.upstream(&authority);
        loop {
            let (mut sender, reused) = match upstream.checkout() {
                Some(sender) => (sender, true),
                None => (self.connect(&upstream).await?, false),
            };
            if let Err(e) = sender.ready().await {
                if reused {
                    continue; // closed while idle; nothing was sent
                }
                return Err(SendError::Broken(chain(&e)));
            }
            match sender.try_send_request(req).await {
                Ok(res) => {
                    // A switched connection belongs to the tunnel, not the pool.
                    let back = (res.status() != http::StatusCode::SWITCHING_PROTOCOLS)
                        .then_some((upstream, sender));
                    return Ok(res.map(|body| PooledBody {
                        inner: body,
                        finished: false,
                        back,
                    }));
                }
                Err(mut e) => match e.take_message() {
                    // Turned down unwritten by a connection that had gone stale.
                    Some(unsent) if reused => req = unsent,
                    _ => return Err(SendError::Broken(chain(&e.into_error()))),
                },
            }
        }
    }

    /// The stack of `authority`, made on first use.
    fn upstream(&self, authority: &Authority) -> Arc<Upstream> {
        let known = self
            .shared
            .upstreams
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .get(authority)
            .cloned();
        known.unwrap_or_else(|| {
            let mut all = self
                .shared
                .upstreams
                .write()
                .unwrap_or_else(|p| p.into_inner());
            all.entry(authority.clone())
                .or_insert_with(|| {
                    Arc::new(Upstream {
                        authority: authority.clone(),
                        idle: Mutex::default(),
                    })
                })
                .clone()
        })
    }

    async fn connect(&self, upstream: &Upstream) -> Result<SendRequest<Body>, SendError> {
        let limit = self.shared.connect_timeout;
        let stream = tokio::time::timeout(limit, TcpStream::connect(upstream.authority.as_str()))
            .await
            .map_err(|_| {
                SendError::Connect(format!("no connection within {} ms", limit.as_millis()))
            })?
            .map_err(|e| SendError::Connect(format!("tcp connect error: {e}")))?;
        let _ = stream.set_nodelay(true);
        let (sender, connection) = http1::Builder::new()
            .handshake(TokioIo::new(stream))
            .await
            .map_err(|e| SendError::Connect(chain(&e)))?;
        let authority = upstream.authority.clone();
        tokio::spawn(async move {
            if let Err(e) = connection.with_upgrades().await {
                tracing::debug!(upstream = %authority, error = %e, "upstream connection ended");
            }
        });
        Ok(sender)
    }
}

impl Upstream {
    /// The most recently used idle connection that may still serve.
    fn checkout(&self) -> Option<SendRequest<Body>> {
        let mut idle = self.idle.lock().unwrap_or_else(|p| p.into_inner());
        while let Some(kept) = idle.pop() {
            if kept.may_serve() {
                return Some(kept.sender);
            }
        }
        None
    }

    fn sweep(&self) {
        let mut idle = self.idle.lock().unwrap_or_else(|p| p.into_inner());
        idle.retain(Idle::may_serve);
    }

    fn checkin(&self, sender: SendRequest<Body>) {
        if sender.is_closed() {
            return;
        }
        let mut idle = self.idle.lock().unwrap_or_else(|p| p.into_inner());
        if idle.len() < MAX_IDLE_PER_UPSTREAM {
            idle.push(Idle {
                sender,
                since: Instant::now(),
            });
        }
    }
}

/// A response body from a pooled connection: once it has been read to the
/// end and dropped, its connection serves the next request.
pub struct PooledBody {
    inner: Incoming,
    finished: bool,
    back: Option<(Arc<Upstream>, SendRequest<Body>)>,
}

impl hyper::body::Body for PooledBody {
    type Data = Bytes;
    type Error = hyper::Error;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, hyper::Error>>> {
        let frame = Pin::new(&mut self.inner).poll_frame(cx);
        if let Poll::Ready(None) = frame {
            self.finished = true;
        }
        frame
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.inner.size_hint()
    }
}

impl Drop for PooledBody {
    fn drop(&mut self) {
        // A body dropped half-read leaves its connection mid-message: it closes.
        if let Some((upstream, sender)) = self.back.take()
            && (self.finished || self.inner.is_end_stream())
        {
            upstream.checkin(sender);
        }
    }
}

fn chain(e: &dyn std::error::Error) -> String {
    let mut text = e.to_string();
    let mut cause = e.source();
    while let Some(c) = cause {
        text.push_str(": ");
        text.push_str(&c.to_string());
        cause = c.source();
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;
    use http_body_util::BodyExt;
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    use tokio::net::TcpListener;

    fn idle_count(client: &Client) -> usize {
        let upstreams = client.shared.upstreams.read().unwrap();
        upstreams
            .values()
            .map(|u| u.idle.lock().unwrap().len())
            .sum()
    }

    /// Answers one request on each of `count` connections and keeps them
    /// open; the returned sockets close them when dropped.
    async fn upstream_keeping(
        listener: &TcpListener,
        client: &Client,
        count: usize,
    ) -> Vec<TcpStream> {
        let url = format!("http://{}/", listener.local_addr().unwrap());
        let mut sockets = Vec::new();
        // All requests first, so each takes a connection of its own.
        let mut pending = Vec::new();
        for _ in 0..count {
            let client = client.clone();
            let req = Request::get(&url)
                .body(crate::proxy::body::empty())
                .unwrap();
            pending.push(tokio::spawn(async move { client.request(req).await }));
        }
        for _ in 0..count {
            let (mut socket, _) = listener.accept().await.unwrap();
            let mut head = Vec::new();
            while !head.ends_with(b"\r\n\r\n") {
                let mut byte = [0u8; 1];
                socket.read_exact(&mut byte).await.unwrap();
                head.push(byte[0]);
            }
            socket
                .write_all(b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\nok")
                .await
                .unwrap();
            sockets.push(socket);
        }
        for res in pending {
            let body = res
                .await
                .unwrap()
                .unwrap()
                .into_body()
                .collect()
                .await
                .unwrap();
            assert_eq!(&body.to_bytes()[..], b"ok");
        }
        sockets
    }

    #[tokio::test]
    async fn a_sweep_lets_go_of_idle_connections_that_can_no_longer_serve() {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let client = Client::new(Duration::from_secs(5));
        let mut sockets = upstream_keeping(&listener, &client, 3).await;
        assert_eq!(idle_count(&client), 3);

        // One has waited longer than the idle timeout.
        let long_ago = Instant::now().checked_sub(IDLE_TIMEOUT).unwrap();
        {
            let upstreams = client.shared.upstreams.read().unwrap();
            let upstream = upstreams.values().next().unwrap();
            upstream.idle.lock().unwrap()[0].since = long_ago;
        }
        client.sweep();
        assert_eq!(idle_count(&client), 2);

        // The upstream closes all of them; the sweep lets go of each once its
        // connection task has seen the close.
        sockets.clear();
        for _ in 0..200 {
            client.sweep();
            if idle_count(&client) == 0 {
                break;
            }
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
        assert_eq!(idle_count(&client), 0);
    }
}
