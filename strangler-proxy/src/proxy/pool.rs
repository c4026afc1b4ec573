//! Keep-alive connections to upstreams: one stack of idle connections per
//! upstream, each connection driven by the request it carries ([`super::h1`]).
//!
//! Why not hyper-util's pooled client: it hashes the pool key with SipHash
//! several times per request and spawns a task per request to notice when the
//! connection is free again; hyper's own connections cross tasks for every
//! message. Here a connection goes back to its stack as soon as the response
//! body it carried has been read to its end, and the stack is found by the
//! upstream's authority in a map that is read-locked, not written, on the
//! request path.
//!
//! A reused connection may have been closed by the upstream while idle. A
//! request that can be repeated (a safe method, no body) is sent again on
//! another connection when that happens; any other request first checks that
//! its connection has not been closed. Idle connections are dropped after
//! [`IDLE_TIMEOUT`]; the connect timeout covers resolution and TCP connect;
//! protocol switches (WebSocket) hand the connection to the tunnel
//! ([`Switched`]).

use super::body::{self, Body};
use super::h1::decode::{BodyDecoder, Decoded, Head};
use super::h1::{Conn, ExchangeError};
use bytes::{Bytes, BytesMut};
use http::uri::{Authority, Uri};
use http::{HeaderValue, Method, Request, Response, StatusCode, header};
use hyper::body::{Frame, SizeHint};
use rustc_hash::FxHashMap;
use std::io;
use std::pin::Pin;
use std::sync::{Arc, Mutex, RwLock};
use std::task::{Context, Poll, ready};
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
    conn: Conn,
    since: Instant,
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

    /// Sends `req`, whose URI must be absolute (`http://host:port/path`), and
    /// waits for the response head; the body streams on.
    pub async fn request(&self, req: Request<Body>) -> Result<Response<PooledBody>, SendError> {
        let (mut parts, body) = req.into_parts();
        let authority = parts
            .uri
            .authority()
            .cloned()
            .ok_or_else(|| SendError::Broken(format!("`{}` names no upstream", parts.uri)))?;
        // On the wire the target is origin-form (`/path?query`).
        let target = parts.uri.path_and_query().cloned();
        parts.uri = target.map_or_else(|| Uri::from_static("/"), Uri::from);
        if !parts.headers.contains_key(header::HOST) {
            let host = HeaderValue::from_str(authority.as_str())
                .map_err(|e| SendError::Broken(e.to_string()))?;
            parts.headers.insert(header::HOST, host);
        }
        let upstream = self.upstream(&authority);
        // Sent again on a fresh connection if a kept one turns out closed.
        let repeatable = hyper::body::Body::is_end_stream(&body) && is_safe(&parts.method);
        let mut body = Some(body);
        loop {
            let (mut conn, reused) = match upstream.checkout(!repeatable) {
                Some(conn) => (conn, true),
                None => (self.connect(&upstream).await?, false),
            };
            let sending = body.take().unwrap_or_else(body::empty);
            match conn.send(&parts, sending).await {
                Ok(head) => return Ok(respond(head, conn, upstream)),
                Err(ExchangeError::NoResponse(_)) if reused && repeatable => {}
                Err(e) => return Err(SendError::Broken(e.to_string())),
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

    async fn connect(&self, upstream: &Upstream) -> Result<Conn, SendError> {
        let limit = self.shared.connect_timeout;
        let stream = tokio::time::timeout(limit, TcpStream::connect(upstream.authority.as_str()))
            .await
            .map_err(|_| {
                SendError::Connect(format!("no connection within {} ms", limit.as_millis()))
            })?
            .map_err(|e| SendError::Connect(format!("tcp connect error: {e}")))?;
        let _ = stream.set_nodelay(true);
        Ok(Conn::new(stream))
    }
}

/// Methods whose requests may be sent twice (RFC 9110 §9.2.1).
fn is_safe(method: &Method) -> bool {
    matches!(
        *method,
        Method::GET | Method::HEAD | Method::OPTIONS | Method::TRACE
    )
}

/// The response for a head read on `conn`: the body reads on from `conn`,
/// which goes back to `upstream` once the body is complete.
fn respond(head: Head, conn: Conn, upstream: Arc<Upstream>) -> Response<PooledBody> {
    let Head {
        mut parts,
        framing,
        keep_alive,
    } = head;
    if parts.status == StatusCode::SWITCHING_PROTOCOLS {
        // The connection now belongs to the tunnel, not the pool.
        parts
            .extensions
            .insert(Switched(Arc::new(Mutex::new(Some(conn)))));
        let body = PooledBody {
            conn: None,
            decoder: BodyDecoder::new(super::h1::decode::Framing::Empty),
            keep_alive: false,
            back: None,
        };
        return Response::from_parts(parts, body);
    }
    let mut body = PooledBody {
        conn: Some(conn),
        decoder: BodyDecoder::new(framing),
        keep_alive,
        back: Some(upstream),
    };
    if body.decoder.is_done() {
        body.release();
    }
    Response::from_parts(parts, body)
}

impl Upstream {
    /// The most recently used idle connection that may still serve; with
    /// `probe`, one the upstream is not known to have closed.
    fn checkout(&self, probe: bool) -> Option<Conn> {
        let mut idle = self.idle.lock().unwrap_or_else(|p| p.into_inner());
        while let Some(Idle { conn, since }) = idle.pop() {
            if since.elapsed() < IDLE_TIMEOUT && !(probe && conn.is_stale()) {
                return Some(conn);
            }
        }
        None
    }

    fn checkin(&self, conn: Conn) {
        let mut idle = self.idle.lock().unwrap_or_else(|p| p.into_inner());
        if idle.len() < MAX_IDLE_PER_UPSTREAM {
            idle.push(Idle {
                conn,
                since: Instant::now(),
            });
        }
    }
}

/// The upstream's side of a protocol switch (a 101 response's extension):
/// its socket and the bytes it already sent past the response head.
#[derive(Clone)]
pub struct Switched(Arc<Mutex<Option<Conn>>>);

impl Switched {
    /// The connection, once (`None` if already taken).
    pub fn take(&self) -> Option<(TcpStream, BytesMut)> {
        let conn = self.0.lock().unwrap_or_else(|p| p.into_inner()).take();
        conn.map(Conn::into_parts)
    }
}

/// A response body read from a pooled connection: once it has been read to
/// its end, the connection serves the next request. Dropped before, the
/// connection is mid-message and closes.
pub struct PooledBody {
    conn: Option<Conn>,
    decoder: BodyDecoder,
    keep_alive: bool,
    back: Option<Arc<Upstream>>,
}

impl PooledBody {
    /// The body is complete: its connection goes back to its stack if the
    /// upstream keeps it open and sent nothing past the body.
    fn release(&mut self) {
        if let (Some(conn), Some(upstream)) = (self.conn.take(), self.back.take())
            && self.keep_alive
            && conn.read.is_empty()
        {
            upstream.checkin(conn);
        }
    }
}

impl hyper::body::Body for PooledBody {
    type Data = Bytes;
    type Error = io::Error;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, io::Error>>> {
        let this = &mut *self;
        loop {
            let Some(conn) = this.conn.as_mut() else {
                return Poll::Ready(None);
            };
            let decoded = this.decoder.decode(&mut conn.read);
            match decoded {
                Ok(Decoded::Data(data)) => {
                    if this.decoder.is_done() {
                        this.release();
                    }
                    return Poll::Ready(Some(Ok(Frame::data(data))));
                }
                Ok(Decoded::Done) => {
                    this.release();
                    return Poll::Ready(None);
                }
                Ok(Decoded::NeedMore) => {}
                Err(e) => {
                    this.conn = None;
                    return Poll::Ready(Some(Err(io::Error::other(e))));
                }
            }
            let filled = ready!(conn.poll_fill(cx));
            match filled {
                Ok(0) => {
                    if let Err(e) = this.decoder.eof() {
                        this.conn = None;
                        return Poll::Ready(Some(Err(io::Error::other(e))));
                    }
                }
                Ok(_) => {}
                Err(e) => {
                    this.conn = None;
                    return Poll::Ready(Some(Err(e)));
                }
            }
        }
    }

    fn is_end_stream(&self) -> bool {
        self.decoder.is_done()
    }

    fn size_hint(&self) -> SizeHint {
        self.decoder
            .remaining()
            .map_or_else(SizeHint::default, SizeHint::with_exact)
    }
}
