//! The relay: a plain request the monolith serves alone (see
//! [`crate::proxy::relay`]) goes from the client connection's task straight
//! to the upstream and its answer straight back, as `bench-floor` does: the
//! head's lines rewritten as they are written (the data plane's header rules
//! in their raw form), the response body passed on in the framing it came
//! in, no `HeaderMap`, no `Request`, no hyper connection task and no channel
//! between the two sides.
//!
//! Each client connection keeps the upstream connection it last used (its
//! `link`), so the connections to an upstream stay as many as the clients
//! using them and requests of different clients reach the upstream together.
//! A link goes back to a shared idle stack when its client closes or moves
//! to another upstream. A link the upstream closed while idle is noticed
//! before it is used when the runtime has seen the close; otherwise a
//! request safe to repeat is sent again once on a new connection.

use super::conn::answer;
use super::framing::{BadFraming, ChunkedScanner, Framing, response_framing};
use super::h1::{self, Exchange, Head, MAX_HEADERS, Outgoing};
use crate::proxy::Proxy;
use crate::proxy::forward::UpstreamError;
use crate::proxy::headers::raw::{Override, write_client_fields, write_upstream_fields};
use crate::proxy::relay::{RelayPlan, Relayed, text};
use crate::proxy::{CORRELATION_NAME, trace};
use bytes::BytesMut;
use http::uri::Authority;
use rustc_hash::FxHashMap;
use std::mem::MaybeUninit;
use std::net::SocketAddr;
use std::sync::Mutex;
use std::time::{Duration, Instant};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// An idle upstream connection older than this is closed rather than reused
/// (as the data plane's pool).
const IDLE_TIMEOUT: Duration = Duration::from_secs(90);
/// Idle connections kept per upstream at most.
const MAX_IDLE: usize = 1024;
/// An upstream response head larger than this is refused (as hyper's client).
const MAX_RESPONSE_HEAD: usize = 64 * 1024;
/// Read size for upstream connections.
const READ_SIZE: usize = 8 * 1024;
/// Header lines most requests stay within.
const FEW: usize = 16;
/// Body bytes gathered before they are written to the client.
const GATHER: usize = 64 * 1024;

/// A connection to an upstream, with what was read from it.
pub(super) struct Link {
    authority: Authority,
    stream: TcpStream,
    buf: BytesMut,
}

/// Idle upstream connections, per upstream, the most recently used on top.
#[derive(Default)]
pub(super) struct Idle {
    stacks: Mutex<FxHashMap<Authority, Vec<(TcpStream, Instant)>>>,
}

impl Idle {
    fn take(&self, authority: &Authority) -> Option<TcpStream> {
        let mut stacks = self.stacks.lock().unwrap_or_else(|p| p.into_inner());
        let stack = stacks.get_mut(authority)?;
        while let Some((stream, since)) = stack.pop() {
            if since.elapsed() < IDLE_TIMEOUT && open(&stream) {
                return Some(stream);
            }
        }
        None
    }

    /// Keeps `link` for another client (its buffer is dropped: it is empty).
    pub(super) fn put(&self, link: Link) {
        let mut stacks = self.stacks.lock().unwrap_or_else(|p| p.into_inner());
        let stack = stacks.entry(link.authority).or_default();
        if stack.len() < MAX_IDLE {
            stack.push((link.stream, Instant::now()));
        }
    }
}

/// Whether an idle connection still looks usable: nothing arrived on it (an
/// upstream closing it sends its end, which the runtime then knows of; no
/// system call is made unless it does).
fn open(stream: &TcpStream) -> bool {
    let mut byte = [0u8; 1];
    matches!(stream.try_read(&mut byte), Err(e) if e.kind() == std::io::ErrorKind::WouldBlock)
}

/// The connection's state the relay works with.
pub(super) struct Conn<'a> {
    pub client: &'a mut TcpStream,
    /// The client's read buffer (a pipelined request may arrive meanwhile).
    pub buf: &'a mut BytesMut,
    pub out: &'a mut Outgoing,
    /// The upstream request being written (kept per connection for its
    /// allocation).
    pub request: &'a mut Vec<u8>,
    pub link: &'a mut Option<Link>,
    pub idle: &'a Idle,
    pub peer: SocketAddr,
}

/// What the response must honour of its request and plan.
struct Answering<'a> {
    plan: &'a RelayPlan,
    proxy: &'a Proxy,
    exchange: &'a Exchange,
    close: bool,
}

/// Relays `head` as `plan` says. `Ok(true)` when the client connection may
/// serve another request; `Err` when it must close.
pub(super) async fn serve(
    conn: Conn<'_>,
    proxy: &Proxy,
    head: Head,
    plan: RelayPlan,
    close: bool,
) -> std::io::Result<bool> {
    let Conn {
        client,
        buf,
        out,
        request,
        link,
        idle,
        peer,
    } = conn;
    let upstream = plan.upstream();
    let [client_trace, client_id, user, idempotency_key] = head.first_values([
        trace::TRACEPARENT_NAME.as_str(),
        CORRELATION_NAME.as_str(),
        proxy.identity_user().as_str(),
        "idempotency-key",
    ]);
    // The trace and correlation id it goes on with, as the data plane does.
    let (traceparent, new_trace) = trace::propagated(client_trace);
    let client_id = client_id.and_then(text);
    let mut generated = [0u8; 32];
    let correlation = match client_id {
        Some(id) => id,
        None => platform::correlation::CorrelationId::generate_into(&mut generated),
    };
    let mut overrides = [
        Override {
            name: &trace::TRACEPARENT_NAME,
            value: Some(&traceparent),
        },
        Override {
            name: &trace::TRACESTATE_NAME,
            value: None,
        },
        Override {
            name: &CORRELATION_NAME,
            value: Some(correlation.as_bytes()),
        },
    ];
    let overrides = match (new_trace, client_id.is_some()) {
        (true, false) => &overrides[..],
        (true, true) => &overrides[..2],
        (false, false) => {
            overrides.swap(1, 2);
            &overrides[..2]
        }
        (false, true) => &overrides[..1],
    };
    request.clear();
    request.extend_from_slice(head.method.as_str().as_bytes());
    request.push(b' ');
    request.extend_from_slice(head.target());
    request.extend_from_slice(b" HTTP/1.1\r\n");
    // Room for the head's lines; a small array for the usual few.
    let (mut few, mut many);
    let lines: &mut [httparse::Header<'_>] = if head.count() <= FEW {
        few = [httparse::EMPTY_HEADER; FEW];
        &mut few
    } else {
        many = [httparse::EMPTY_HEADER; MAX_HEADERS];
        &mut many
    };
    write_upstream_fields(
        request,
        head.fields(lines),
        overrides,
        peer.ip(),
        upstream,
        plan.host(),
    );
    request.extend_from_slice(b"\r\n");

    // Safe to send twice: a safe method, or an idempotency key the upstream
    // honours (as the data plane's fallback decides).
    let replayable = idempotency_key.is_some()
        || matches!(
            head.method,
            http::Method::GET | http::Method::HEAD | http::Method::OPTIONS
        );
    let current = link.take().filter(|l| &l.authority == upstream.authority());
    if let Some(other) = link.take() {
        idle.put(other);
    }
    let answering = Answering {
        plan: &plan,
        proxy,
        exchange: &head.exchange,
        close,
    };
    let timeout = plan.timeout(proxy);
    let exchanged = {
        let exchanged = std::pin::pin!(async {
            let sent = exchange(
                current,
                idle,
                upstream.authority(),
                proxy.connect_timeout(),
                request,
                replayable,
                |res: &httparse::Response<'_, '_>, len| {
                    response_head(res, len, &answering, out.head())
                },
            );
            tokio::time::timeout(timeout, sent)
                .await
                .unwrap_or(Err(UpstreamError::Timeout(timeout)))
        });
        // A client that goes away meanwhile drops the exchange (and its link).
        let Some(exchanged) = answer(client, buf, exchanged).await else {
            return Err(std::io::ErrorKind::ConnectionAborted.into());
        };
        exchanged
    };
    let log = |status| {
        proxy.relayed(
            &plan,
            Relayed {
                status,
                method: head.method.as_str(),
                path: head.uri.path(),
                correlation_id: correlation,
                // Ours: hex digits.
                trace_id: std::str::from_utf8(&traceparent[3..35]).unwrap_or_default(),
                user: user.and_then(text),
            },
        )
    };
    let (mut up, response) = match exchanged {
        Ok(exchanged) => exchanged,
        Err(e) => {
            tracing::warn!(upstream = %upstream, error = %e, "upstream failed");
            let mut res = e.response(&upstream.to_string());
            proxy.label_relayed(&plan, &mut res);
            let status = res.status().as_u16();
            let written = h1::write(client, out, res, &head.exchange, close).await;
            log(status);
            return written.map(|()| !close);
        }
    };
    let relayed = relay_body(client, out, &mut up, &response).await;
    log(response.status);
    if relayed? {
        *link = Some(up);
    }
    Ok(!close && response.framing != Framing::Close)
}

/// Sends `request` over `link` (or a connection from the idle stack, or a
/// new one) and reads until the response head is complete, which `on_head`
/// writes for the client. A reused connection that fails before the first
/// byte of an answer is taken to have been closed by the upstream while
/// idle: a replayable request is sent again, once, on a new connection.
async fn exchange(
    link: Option<Link>,
    idle: &Idle,
    authority: &Authority,
    connect_timeout: Duration,
    request: &[u8],
    replayable: bool,
    mut on_head: impl FnMut(&httparse::Response<'_, '_>, usize) -> Result<ResponseHead, UpstreamError>,
) -> Result<(Link, ResponseHead), UpstreamError> {
    let reused = match link {
        Some(link) if open(&link.stream) => Some(link),
        _ => idle.take(authority).map(|stream| Link {
            authority: authority.clone(),
            stream,
            buf: BytesMut::new(),
        }),
    };
    if let Some(mut link) = reused {
        match send(&mut link, request, &mut on_head).await {
            Ok(head) => return Ok((link, head)),
            Err(Failed::BeforeAnswer(_)) if replayable => {}
            Err(Failed::BeforeAnswer(e) | Failed::Mid(e)) => return Err(UpstreamError::Broken(e)),
            Err(Failed::Answer(e)) => return Err(e),
        }
    }
    let stream = tokio::time::timeout(connect_timeout, TcpStream::connect(authority.as_str()))
        .await
        .map_err(|_| {
            UpstreamError::Connect(format!(
                "no connection within {} ms",
                connect_timeout.as_millis()
            ))
        })?
        .map_err(|e| UpstreamError::Connect(format!("tcp connect error: {e}")))?;
    let _ = stream.set_nodelay(true);
    let mut link = Link {
        authority: authority.clone(),
        stream,
        buf: BytesMut::new(),
    };
    match send(&mut link, request, &mut on_head).await {
        Ok(head) => Ok((link, head)),
        Err(Failed::BeforeAnswer(e) | Failed::Mid(e)) => Err(UpstreamError::Broken(e)),
        Err(Failed::Answer(e)) => Err(e),
    }
}

/// How an exchange on one connection failed.
enum Failed {
    /// Nothing of an answer came.
    BeforeAnswer(String),
    /// Part of an answer came.
    Mid(String),
    /// The answer's head cannot be relayed.
    Answer(UpstreamError),
}

/// Writes `request` and reads until a final response head (`1xx` interim
/// heads are passed over) is in `link.buf`, then hands it to `on_head`.
async fn send(
    link: &mut Link,
    request: &[u8],
    on_head: &mut impl FnMut(&httparse::Response<'_, '_>, usize) -> Result<ResponseHead, UpstreamError>,
) -> Result<ResponseHead, Failed> {
    link.buf.clear();
    link.stream
        .write_all(request)
        .await
        .map_err(|e| Failed::BeforeAnswer(format!("write: {e}")))?;
    let mut answered = false;
    loop {
        if link.buf.capacity() - link.buf.len() < READ_SIZE / 8 {
            link.buf.reserve(READ_SIZE);
        }
        match link.stream.read_buf(&mut link.buf).await {
            Ok(0) if answered => return Err(Failed::Mid("closed mid-head".into())),
            Ok(0) => return Err(Failed::BeforeAnswer("closed before answering".into())),
            Err(e) if answered => return Err(Failed::Mid(format!("read: {e}"))),
            Err(e) => return Err(Failed::BeforeAnswer(format!("read: {e}"))),
            Ok(_) => answered = true,
        }
        loop {
            let mut lines = [const { MaybeUninit::uninit() }; MAX_HEADERS];
            let mut res = httparse::Response::new(&mut []);
            let parsed = httparse::ParserConfig::default()
                .parse_response_with_uninit_headers(&mut res, &link.buf, &mut lines);
            match parsed {
                Ok(httparse::Status::Complete(len))
                    if res
                        .code
                        .is_some_and(|c| (100..200).contains(&c) && c != 101) =>
                {
                    // An interim answer (`103 Early Hints`): not passed on.
                    let _ = link.buf.split_to(len);
                }
                Ok(httparse::Status::Complete(len)) => {
                    return on_head(&res, len).map_err(Failed::Answer);
                }
                Ok(httparse::Status::Partial) if link.buf.len() > MAX_RESPONSE_HEAD => {
                    return Err(Failed::Mid("response head too large".into()));
                }
                Ok(httparse::Status::Partial) => break,
                Err(e) => return Err(Failed::Mid(format!("invalid response head: {e}"))),
            }
        }
    }
}

/// A response head, as relayed.
struct ResponseHead {
    /// Its length in `Link::buf`.
    len: usize,
    status: u16,
    framing: Framing,
    /// The upstream connection may serve another request after this one.
    keep_alive: bool,
}

/// Writes the client's response head into `out` from the upstream's `res`
/// (`len` bytes): the upstream's lines under the data plane's rules, the
/// labels, `Date` when missing, the framing's own lines.
fn response_head(
    res: &httparse::Response<'_, '_>,
    len: usize,
    answering: &Answering<'_>,
    out: &mut Vec<u8>,
) -> Result<ResponseHead, UpstreamError> {
    let broken = |why: &str| UpstreamError::Broken(why.to_owned());
    let (Some(status), Some(version)) = (res.code, res.version) else {
        return Err(broken("invalid response head"));
    };
    if status == 101 {
        return Err(broken("switched protocols unasked"));
    }
    let framing = response_framing(status, answering.exchange.head_only, res.headers)
        .map_err(|BadFraming(why)| broken(why))?;
    let labels = answering.plan.labels(answering.proxy);
    let is_label = |name: &str| {
        labels
            .iter()
            .flatten()
            .any(|(label, _)| name.eq_ignore_ascii_case(label))
    };
    // One pass over the lines for what decides the head.
    let (mut coded, mut sized, mut dated, mut labelled, mut closing) =
        (false, false, false, false, false);
    for line in res.headers.iter() {
        let name = line.name;
        coded |= name.eq_ignore_ascii_case("transfer-encoding");
        sized |= name.eq_ignore_ascii_case("content-length");
        dated |= name.eq_ignore_ascii_case("date");
        labelled |= is_label(name);
        closing |= name.eq_ignore_ascii_case("connection")
            && line
                .value
                .split(|b| *b == b',')
                .any(|t| t.trim_ascii().eq_ignore_ascii_case(b"close"));
    }
    if coded && sized {
        return Err(broken("both Transfer-Encoding and Content-Length"));
    }
    out.clear();
    out.extend_from_slice(b"HTTP/1.1 ");
    out.extend_from_slice(itoa::Buffer::new().format(status).as_bytes());
    out.push(b' ');
    out.extend_from_slice(res.reason.unwrap_or_default().as_bytes());
    out.extend_from_slice(b"\r\n");
    if labelled {
        let mut kept = [httparse::EMPTY_HEADER; MAX_HEADERS];
        let mut count = 0;
        for (slot, line) in kept
            .iter_mut()
            .zip(res.headers.iter().filter(|h| !is_label(h.name)))
        {
            *slot = *line;
            count += 1;
        }
        write_client_fields(out, &kept[..count]);
    } else {
        write_client_fields(out, res.headers);
    }
    for (name, value) in labels.iter().flatten() {
        h1::write_line(out, name, value);
    }
    // The body goes on as it came, codings and all: its framing lines too
    // (hop-by-hop fields, so the rules above dropped them).
    if coded && framing != Framing::None {
        for line in res.headers.iter() {
            if line.name.eq_ignore_ascii_case("transfer-encoding") {
                h1::write_line(out, "transfer-encoding", line.value);
            }
        }
    }
    if !dated {
        h1::write_line(out, "date", h1::http_date());
    }
    if answering.close || framing == Framing::Close {
        out.extend_from_slice(b"connection: close\r\n");
    }
    out.extend_from_slice(b"\r\n");
    Ok(ResponseHead {
        len,
        status,
        framing,
        keep_alive: version == 1 && framing != Framing::Close && !closing,
    })
}

/// Passes the response's body on after its head (in `out`), in its framing.
/// `Ok(true)` when the upstream connection may be reused; `Err` when the
/// client's response was cut short (the connection must close).
async fn relay_body(
    client: &mut TcpStream,
    out: &mut Outgoing,
    up: &mut Link,
    response: &ResponseHead,
) -> std::io::Result<bool> {
    // The head is taken off; what follows it is body (or the next answer).
    let _ = up.buf.split_to(response.len);
    let mut scanner = ChunkedScanner::default();
    let mut left = match response.framing {
        Framing::Length(n) => n,
        _ => u64::MAX,
    };
    let mut queued = 0;
    loop {
        // How much of what was read belongs to this body.
        let (take, done) = match response.framing {
            Framing::None => (0, true),
            Framing::Length(_) => {
                let take = usize::try_from(left).map_or(up.buf.len(), |l| l.min(up.buf.len()));
                left -= take as u64;
                (take, left == 0)
            }
            Framing::Chunked => match scanner.scan(&up.buf) {
                Ok(Some(end)) => (end, true),
                Ok(None) => (up.buf.len(), false),
                Err(BadFraming(why)) => {
                    out.flush(client).await?;
                    return Err(std::io::Error::other(why));
                }
            },
            Framing::Close => (up.buf.len(), false),
        };
        if take > 0 {
            out.push_body(up.buf.split_to(take).freeze());
            queued += take;
        }
        if done {
            out.flush(client).await?;
            // Bytes past the answer: the upstream is out of step; not reused.
            return Ok(response.keep_alive && up.buf.is_empty());
        }
        // What has come goes out in one write with the head, unless more
        // than `GATHER` has, or the rest is not there yet: a stream (events,
        // a slow upstream) reaches the client as it comes.
        if queued >= GATHER {
            out.flush(client).await?;
            queued = 0;
        }
        let want = usize::try_from(left).map_or(READ_SIZE, |l| l.min(GATHER));
        up.buf.reserve(want.max(READ_SIZE / 8));
        let read = match up.stream.try_read_buf(&mut up.buf) {
            Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => {
                out.flush(client).await?;
                queued = 0;
                up.stream.read_buf(&mut up.buf).await
            }
            read => read,
        };
        match read {
            Ok(0) if response.framing == Framing::Close => {
                out.flush(client).await?;
                return Ok(false);
            }
            Ok(0) => return Err(std::io::Error::other("upstream closed mid-body")),
            Ok(_) => {}
            Err(e) => return Err(e),
        }
    }
}
