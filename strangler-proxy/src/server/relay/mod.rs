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
//!
//! A plain request for the new side of a route the ACL translates is served
//! from its head too ([`serve_translated`]), its v2 calls over the same link
//! ([`Links`], which the data plane also uses while spans are exported).

mod forwarded;
mod read_size;
mod translated;
mod upstream;
mod v2;

pub(super) use forwarded::Forwarded;
use read_size::ReadSize;
pub(super) use translated::serve as serve_translated;
use upstream::exchange;
pub(super) use upstream::{Idle, Link};
pub(super) use v2::Links;

use super::conn::answer;
use super::framing::{BadFraming, ChunkedScanner, Framing, response_framing};
use super::h1::{self, Exchange, Head, MAX_HEADERS, Outgoing};
use crate::proxy::Proxy;
use crate::proxy::forward::UpstreamError;
use crate::proxy::headers::raw::{write_client_fields, write_upstream_fields};
use crate::proxy::headers::to_client;
use crate::proxy::relay::{RelayPlan, Relayed};
use crate::shadow::mirror::tee::Capture;
use bytes::BytesMut;
use http::{HeaderMap, HeaderName, HeaderValue};
use std::net::SocketAddr;
use std::time::Instant;
use tokio::io::AsyncReadExt;
use tokio::net::TcpStream;

/// Read size for upstream connections: a page, like the client side's; a
/// body of known length is read in as large a piece as it needs.
const READ_SIZE: usize = 4 * 1024;
/// Header lines most requests stay within.
const FEW: usize = 16;
/// Body bytes gathered before they are written to the client.
const GATHER: usize = 64 * 1024;

/// The connection's state the relay works with.
pub(super) struct Conn<'a> {
    pub client: &'a mut TcpStream,
    /// The client's read buffer (a pipelined request may arrive meanwhile).
    pub buf: &'a mut BytesMut,
    pub out: &'a mut Outgoing,
    /// The ACL's v2 request being written (kept per connection for its
    /// allocation; the relay writes its own into a lent one).
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
    head: &Head,
    forwarded: &Forwarded<'_>,
    plan: &RelayPlan,
    close: bool,
) -> std::io::Result<bool> {
    let Conn {
        client,
        buf,
        out,
        request: _,
        link,
        idle,
        peer,
    } = conn;
    let upstream = plan.upstream();
    let replayable = forwarded.replayable(head);
    let answering = Answering {
        plan,
        proxy,
        exchange: &head.exchange,
        close,
    };
    // A shadowed request's copy is compared with the monolith's answer and
    // its latency until the head.
    let asked = plan.shadows().then(Instant::now);
    let timeout = plan.timeout(proxy);
    // Built in place inside its timeout (no async block around it): each
    // move of a future is cache lines written in the connection's task,
    // which under load is cold by the time the answer comes.
    let exchanged = {
        let sent = std::pin::pin!(tokio::time::timeout(
            timeout,
            exchange(
                link,
                idle,
                upstream.authority(),
                proxy.connect_timeout(),
                |request: &mut Vec<u8>| write_request(request, head, forwarded, peer, plan),
                replayable,
                |res: &httparse::Response<'_, '_>, len| {
                    response_head(res, len, &answering, out.bytes())
                },
            ),
        ));
        // A client that goes away meanwhile drops the exchange (and its link).
        let Some(answered) = answer(client, buf, sent).await else {
            return Err(std::io::ErrorKind::ConnectionAborted.into());
        };
        answered.unwrap_or(Err(UpstreamError::Timeout(timeout)))
    };
    let log = |status| proxy.relayed(plan, status, || forwarded.log_line(head));
    let (up, response) = match exchanged {
        Ok(exchanged) => exchanged,
        Err(e) => {
            proxy.upstream_error(&e);
            crate::limited!(warn, upstream = %upstream, error = %e, "upstream failed");
            let mut res = e.response(&upstream.to_string());
            proxy.label_relayed(plan, &mut res);
            let status = res.status().as_u16();
            let written = h1::write(client, out, res, &head.exchange, close).await;
            log(status);
            return written.map(|()| !close);
        }
    };
    let mut capture = asked.and_then(|asked| {
        let primary = primary_headers(&up.buf[..response.len]);
        proxy.shadow_relayed(
            plan,
            || request_parts(head, forwarded),
            (response.status, &primary),
            asked.elapsed(),
            forwarded.correlation(),
        )
    });
    let relayed = relay_body(client, out, up, &response, capture.as_mut()).await;
    log(response.status);
    if !matches!(relayed, Ok(true)) {
        // Cut short, or not to be reused.
        *link = None;
    }
    relayed?;
    Ok(!close && response.framing != Framing::Close)
}

/// Writes the upstream request for `head` into `request`.
// A function of its own so that its line arrays live on the stack: in
// `serve` they would take room in every connection's future.
fn write_request(
    request: &mut Vec<u8>,
    head: &Head,
    forwarded: &Forwarded<'_>,
    peer: SocketAddr,
    plan: &RelayPlan,
) {
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
    let (overrides, count) = forwarded.overrides();
    write_upstream_fields(
        request,
        head.fields(lines),
        &overrides[..count],
        peer.ip(),
        plan.upstream(),
        plan.host(),
    );
    request.extend_from_slice(b"\r\n");
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
    let (status, version) = status_of(res)?;
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
        closing |= asks_to_close(line);
    }
    if coded && sized {
        return Err(broken(BOTH_FRAMINGS));
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
    h1::end_head(out, dated, answering.close || framing == Framing::Close);
    Ok(ResponseHead {
        len,
        status,
        framing,
        keep_alive: reusable(version, framing, closing),
    })
}

/// The status and HTTP/1 minor version of an upstream answer; refused when
/// it has none, or switches protocols unasked.
fn status_of(res: &httparse::Response<'_, '_>) -> Result<(u16, u8), UpstreamError> {
    let broken = |why: &str| UpstreamError::Broken(why.to_owned());
    let (Some(status), Some(version)) = (res.code, res.version) else {
        return Err(broken("invalid response head"));
    };
    if status == 101 {
        return Err(broken("switched protocols unasked"));
    }
    Ok((status, version))
}

/// Why an answer with both `Transfer-Encoding` and `Content-Length` is
/// refused rather than read by the first (RFC 9112 §6.3 item 3: it may be
/// an attempt at response splitting, and ought to be handled as an error).
const BOTH_FRAMINGS: &str = "both Transfer-Encoding and Content-Length";

/// Whether `line` is a `Connection` line naming `close`.
fn asks_to_close(line: &httparse::Header<'_>) -> bool {
    line.name.eq_ignore_ascii_case("connection")
        && line
            .value
            .split(|b| *b == b',')
            .any(|t| t.trim_ascii().eq_ignore_ascii_case(b"close"))
}

/// Whether an upstream connection may serve another request after an answer
/// in HTTP/1.`version`, framed so, that did (`closing`) or did not ask to close.
fn reusable(version: u8, framing: Framing, closing: bool) -> bool {
    version == 1 && framing != Framing::Close && !closing
}

/// Fields that frame a message or its connection: whoever writes a message
/// writes its own, never a copy of another's.
const FRAMING_FIELDS: [&str; 3] = ["content-length", "transfer-encoding", "connection"];

/// Passes the response's body on after its head (in `out`), in its framing.
/// `Ok(true)` when the upstream connection may be reused; `Err` when the
/// client's response was cut short (the connection must close).
async fn relay_body(
    client: &mut TcpStream,
    out: &mut Outgoing,
    up: &mut Link,
    response: &ResponseHead,
    mut capture: Option<&mut Capture>,
) -> std::io::Result<bool> {
    // The head is taken off; what follows it is body (or the next answer).
    let _ = up.buf.split_to(response.len);
    let mut scanner = ChunkedScanner::default();
    // A chunked body is captured without its framing, as the scanner hands
    // it over (the data plane compares decoded bodies).
    let chunked = response.framing == Framing::Chunked;
    let mut left = match response.framing {
        Framing::Length(n) => n,
        _ => u64::MAX,
    };
    let mut queued = 0;
    let mut unknown = ReadSize::default();
    loop {
        // How much of what was read belongs to this body.
        let (take, done) = match response.framing {
            Framing::None => (0, true),
            Framing::Length(_) => {
                let take = usize::try_from(left).map_or(up.buf.len(), |l| l.min(up.buf.len()));
                left -= take as u64;
                (take, left == 0)
            }
            Framing::Chunked => match scanner.scan_data(&up.buf, |data| {
                if let Some(capture) = capture.as_deref_mut() {
                    capture.keep(data);
                }
            }) {
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
            let piece = up.buf.split_to(take).freeze();
            if let (Some(capture), false) = (capture.as_deref_mut(), chunked) {
                capture.keep(&piece);
            }
            out.push_body(piece);
            queued += take;
        }
        if done {
            out.flush(client).await?;
            if let Some(capture) = capture {
                capture.finish();
            }
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
        let want = match response.framing {
            Framing::Length(_) => usize::try_from(left).map_or(GATHER, |l| l.min(GATHER)),
            _ => unknown.next(),
        };
        up.buf.reserve(want.max(READ_SIZE / 8));
        let room = up.buf.capacity() - up.buf.len();
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
                if let Some(capture) = capture {
                    capture.finish();
                }
                return Ok(false);
            }
            Ok(0) => return Err(std::io::Error::other("upstream closed mid-body")),
            Ok(read) => unknown.record(read, room),
            Err(e) => return Err(e),
        }
    }
}

/// The client's request as the data plane's shadow stage takes it: its lines
/// with the trace context and correlation id set as they went upstream.
fn request_parts(head: &Head, forwarded: &Forwarded<'_>) -> http::request::Parts {
    let mut headers = head.header_map().unwrap_or_default();
    let (overrides, count) = forwarded.overrides();
    for change in &overrides[..count] {
        match change.value.map(HeaderValue::from_bytes) {
            Some(Ok(value)) => {
                headers.insert(change.name.clone(), value);
            }
            _ => {
                headers.remove(change.name);
            }
        }
    }
    let (mut parts, ()) = http::Request::new(()).into_parts();
    parts.method = head.method.clone();
    parts.uri = head.uri.clone();
    parts.headers = headers;
    parts
}

/// An upstream response head's lines as the client gets them (the data
/// plane's map form: for the shadow stage's comparison).
fn primary_headers(head: &[u8]) -> HeaderMap {
    let mut lines = [httparse::EMPTY_HEADER; MAX_HEADERS];
    let mut res = httparse::Response::new(&mut lines);
    let mut headers = HeaderMap::new();
    if res.parse(head).is_ok() {
        for line in res.headers.iter() {
            if let (Ok(name), Ok(value)) = (
                HeaderName::from_bytes(line.name.as_bytes()),
                HeaderValue::from_bytes(line.value),
            ) {
                headers.append(name, value);
            }
        }
    }
    to_client(&mut headers, false);
    headers
}
