//! The own HTTP/1.1 codec's two halves: a request head read into an
//! [`http::Request`] (only the plain kind, see [`parse`]), and a
//! [`Response`] written with its framing (RFC 9112 §6).

use super::spare;
use crate::proxy::body::Body;
use bytes::{Bytes, BytesMut};
use futures_util::FutureExt;
use http::header::{self, HeaderMap, HeaderName, HeaderValue};
use http::{Method, Request, Response, StatusCode, Uri, Version};
use http_body_util::BodyExt;
use hyper::body::Body as _;
use std::io::IoSlice;
use std::mem::MaybeUninit;
use std::time::{SystemTime, UNIX_EPOCH};
use tokio::io::AsyncWriteExt;
use tokio::net::TcpStream;

/// Header lines one request head may have here; more goes to hyper (which
/// takes up to 100).
pub(super) const MAX_HEADERS: usize = 64;

/// A head still incomplete past this many bytes goes to hyper, which answers
/// it (`431` when it is too large for it as well).
pub(super) const MAX_HEAD: usize = 64 * 1024;

/// Fields the data plane may add to a request on its way upstream.
const ADDED_FIELDS: usize = 8;

/// What [`parse`] made of the bytes read so far.
// Matched as soon as it is returned: a box would cost an allocation per request.
#[allow(clippy::large_enum_variant)]
pub(super) enum Parsed {
    /// A request this codec serves; its head is taken off the buffer.
    Ready(Head),
    /// The head is not complete yet (and not past [`MAX_HEAD`]).
    Partial,
    /// Not a plain request (or not a valid one): hyper takes the connection
    /// from here, buffer and all, and answers it as it would have.
    Handoff,
}

/// What the response must honour of its request.
pub(super) struct Exchange {
    /// `HEAD`: the response has a head only.
    pub head_only: bool,
    /// The client said `Connection: close`.
    pub close: bool,
}

impl Exchange {
    /// Whether a response with `status` has no body (RFC 9112 §6.3).
    pub(super) fn bodiless(&self, status: StatusCode) -> bool {
        self.head_only
            || status.is_informational()
            || status == StatusCode::NO_CONTENT
            || status == StatusCode::NOT_MODIFIED
    }
}

/// Where one header line's name and value lie in its head (offset, length;
/// `u16`: a head served here is under 64 KiB, and the head, held by each
/// connection's task while its request is in flight, stays small).
#[derive(Clone, Copy, Default)]
struct Span {
    name: (u16, u16),
    value: (u16, u16),
}

impl Span {
    fn name(self) -> std::ops::Range<usize> {
        range(self.name)
    }

    fn value(self) -> std::ops::Range<usize> {
        range(self.value)
    }
}

fn range((start, len): (u16, u16)) -> std::ops::Range<usize> {
    usize::from(start)..usize::from(start) + usize::from(len)
}

/// Header lines kept in the head itself; a head with more keeps them on
/// the heap.
const FEW_LINES: usize = 16;

/// Where a head's lines lie: in place for the usual few. A head is written
/// and moved into its connection's task for every request, and read again
/// when the answer comes; with room for 64 lines in place it took 11 cache
/// lines, which under load (many connections, each task's memory cold by
/// the time its answer arrives) were as many misses per copy.
enum Spans {
    /// The places, and how many of them are used.
    Few([Span; FEW_LINES], usize),
    Many(Box<[Span]>),
}

impl Spans {
    fn of(lines: &[Span]) -> Self {
        match lines.len() {
            len if len <= FEW_LINES => {
                let mut few = [Span::default(); FEW_LINES];
                few[..len].copy_from_slice(lines);
                Self::Few(few, len)
            }
            _ => Self::Many(lines.into()),
        }
    }
}

/// A plain request head, read but not yet made into a [`Request`]: the relay
/// forwards its lines as they are.
pub(super) struct Head {
    /// The head's bytes, taken off the read buffer.
    bytes: Bytes,
    pub method: Method,
    pub uri: Uri,
    /// Where the request target lies in `bytes`.
    target: (u16, u16),
    spans: Spans,
    pub exchange: Exchange,
}

/// Takes one request head off `buf` when it is complete and plain: HTTP/1.1,
/// an origin-form target, no body (no `Transfer-Encoding`, `Content-Length`
/// absent or 0), no `Expect`, no protocol switch.
pub(super) fn parse(buf: &mut BytesMut) -> Parsed {
    // Left uninitialized: filling 64 empty lines per request costs more than
    // reading the few a request has.
    let mut lines = [const { MaybeUninit::uninit() }; MAX_HEADERS];
    let mut req = httparse::Request::new(&mut []);
    let head_len = match req.parse_with_uninit_headers(buf, &mut lines) {
        // A longer one (it arrived whole in one read) is hyper's to serve.
        Ok(httparse::Status::Complete(n)) if n <= usize::from(u16::MAX) => n,
        Ok(httparse::Status::Complete(_)) => return Parsed::Handoff,
        Ok(httparse::Status::Partial) if buf.len() > MAX_HEAD => return Parsed::Handoff,
        Ok(httparse::Status::Partial) => return Parsed::Partial,
        Err(_) => return Parsed::Handoff,
    };
    let (Some(method), Some(target), Some(1)) = (req.method, req.path, req.version) else {
        return Parsed::Handoff;
    };
    if !target.starts_with('/') {
        return Parsed::Handoff;
    }
    let base = buf.as_ptr() as usize;
    // Within the head's first 64 KiB (checked above).
    let at = |part: &[u8]| ((part.as_ptr() as usize - base) as u16, part.len() as u16);
    let mut fields = [Span::default(); MAX_HEADERS];
    let mut close = false;
    for (line, span) in req.headers.iter().zip(fields.iter_mut()) {
        let name = line.name.as_bytes();
        if name.eq_ignore_ascii_case(b"transfer-encoding")
            || name.eq_ignore_ascii_case(b"expect")
            || name.eq_ignore_ascii_case(b"upgrade")
            || (name.eq_ignore_ascii_case(b"content-length") && line.value.trim_ascii() != b"0")
        {
            return Parsed::Handoff;
        }
        if name.eq_ignore_ascii_case(b"connection") {
            for token in line.value.split(|b| *b == b',') {
                let token = token.trim_ascii();
                if token.eq_ignore_ascii_case(b"upgrade") {
                    return Parsed::Handoff;
                }
                close |= token.eq_ignore_ascii_case(b"close");
            }
        }
        *span = Span {
            name: at(name),
            value: at(line.value),
        };
    }
    let count = req.headers.len();
    let spans = Spans::of(&fields[..count]);
    let target_at = at(target.as_bytes());
    let Ok(method) = Method::from_bytes(method.as_bytes()) else {
        return Parsed::Handoff;
    };
    let bytes = buf.split_to(head_len).freeze();
    // The target shares the head's bytes (a copy was an allocation, and its
    // freeing, per request).
    let Ok(uri) = Uri::from_maybe_shared(bytes.slice(range(target_at))) else {
        // Put back in front of what follows it, for hyper to answer.
        let mut whole = BytesMut::with_capacity(bytes.len() + buf.len());
        whole.extend_from_slice(&bytes);
        whole.extend_from_slice(buf);
        *buf = whole;
        return Parsed::Handoff;
    };
    let head_only = method == Method::HEAD;
    Parsed::Ready(Head {
        bytes,
        method,
        uri,
        target: target_at,
        spans,
        exchange: Exchange { head_only, close },
    })
}

impl Head {
    /// The request target as sent (origin form: path and query).
    pub fn target(&self) -> &[u8] {
        &self.bytes[range(self.target)]
    }

    /// The header lines as `httparse` read them, into `out` (which has room
    /// for [`Head::count`] of them).
    pub fn fields<'a>(&'a self, out: &'a mut [httparse::Header<'a>]) -> &'a [httparse::Header<'a>] {
        for (line, (name, value)) in out.iter_mut().zip(self.lines()) {
            (line.name, line.value) = (name, value);
        }
        &out[..self.count().min(out.len())]
    }

    /// The header lines, name and value.
    pub fn lines(&self) -> impl Iterator<Item = (&str, &[u8])> {
        self.spans().iter().map(|span| {
            // httparse let only token characters through: always UTF-8.
            let name = std::str::from_utf8(&self.bytes[span.name()]).unwrap_or_default();
            (name, &self.bytes[span.value()])
        })
    }

    /// How many header lines the head has.
    pub fn count(&self) -> usize {
        self.spans().len()
    }

    fn spans(&self) -> &[Span] {
        match &self.spans {
            Spans::Few(few, len) => &few[..*len],
            Spans::Many(many) => many,
        }
    }

    /// The first value of each field of `names` (lower case), in one pass.
    pub fn first_values<const N: usize>(&self, names: [&str; N]) -> [Option<&[u8]>; N] {
        let mut found = [None; N];
        for span in self.spans() {
            let name = &self.bytes[span.name()];
            for (slot, wanted) in found.iter_mut().zip(names) {
                if slot.is_none() && name.eq_ignore_ascii_case(wanted.as_bytes()) {
                    *slot = Some(&self.bytes[span.value()]);
                }
            }
        }
        found
    }

    /// The header lines as a map (values share the head's bytes).
    pub fn header_map(&self) -> Option<HeaderMap> {
        // Room for the fields the data plane adds (trace context, correlation
        // id, `X-Forwarded-*`, `Via`, `Host`): no rehash per request.
        let mut headers = HeaderMap::with_capacity(self.count() + ADDED_FIELDS);
        for span in self.spans() {
            let name = HeaderName::from_bytes(&self.bytes[span.name()]);
            let value = HeaderValue::from_maybe_shared(self.bytes.slice(span.value()));
            headers.append(name.ok()?, value.ok()?);
        }
        Some(headers)
    }

    /// The request for the data plane; `None` (the head put back in front of
    /// `buf`, for hyper) when a line is not a valid `http` header.
    pub fn into_request(self, buf: &mut BytesMut) -> Option<(Request<Body>, Exchange)> {
        let Some(headers) = self.header_map() else {
            // Rare enough to pay for.
            let mut whole = BytesMut::from(&self.bytes[..]);
            whole.extend_from_slice(buf);
            *buf = whole;
            return None;
        };
        let mut request = Request::new(crate::proxy::body::empty());
        *request.method_mut() = self.method;
        *request.uri_mut() = self.uri;
        *request.version_mut() = Version::HTTP_11;
        *request.headers_mut() = headers;
        Some((request, self.exchange))
    }
}

/// How a response body is delimited on the wire.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Framing {
    None,
    Length,
    Chunked,
}

/// A response on its way out: head bytes (and chunk framing) copied, body
/// bytes queued as they came, all written with one vectored write. The bytes
/// are written into a vector lent until they are (see [`spare`]).
#[derive(Default)]
pub(super) struct Outgoing {
    bytes: Vec<u8>,
    body: Vec<Bytes>,
}

impl Outgoing {
    /// The bytes written before the queued body: a head (and chunk
    /// framing), empty between answers.
    pub(super) fn bytes(&mut self) -> &mut Vec<u8> {
        if self.bytes.capacity() == 0 {
            self.bytes = spare::take_vec();
        }
        &mut self.bytes
    }

    /// Queues a piece of body after the head.
    pub(super) fn push_body(&mut self, piece: Bytes) {
        self.body.push(piece);
    }

    /// Writes what is queued.
    pub(super) async fn flush(&mut self, io: &mut TcpStream) -> std::io::Result<()> {
        let mut pieces = std::iter::once(&self.bytes[..])
            .chain(self.body.iter().map(|b| &b[..]))
            .filter(|b| !b.is_empty());
        // Up to `BATCH` pieces per system call, from the stack (no allocation).
        let mut slices = [IoSlice::new(&[]); BATCH];
        loop {
            let mut filled = 0;
            for (slot, piece) in slices.iter_mut().zip(pieces.by_ref()) {
                *slot = IoSlice::new(piece);
                filled += 1;
            }
            if filled == 0 {
                break;
            }
            let mut rest = &mut slices[..filled];
            while !rest.is_empty() {
                let n = io.write_vectored(rest).await?;
                if n == 0 {
                    return Err(std::io::ErrorKind::WriteZero.into());
                }
                IoSlice::advance_slices(&mut rest, n);
            }
        }
        spare::give_vec(&mut self.bytes);
        self.body.clear();
        Ok(())
    }
}

/// Pieces written per vectored write.
const BATCH: usize = 16;

/// Body bytes queued past this are written before more are read.
const MAX_QUEUED: usize = 256 * 1024;

/// Writes `res` to `io`: the head with as much of the body as is ready, then
/// the rest as it comes. `Err` when the connection must close: the client is
/// gone or the body failed mid-way (the client sees the response cut short,
/// as with hyper).
pub(super) async fn write(
    io: &mut TcpStream,
    out: &mut Outgoing,
    res: Response<Body>,
    exchange: &Exchange,
    close: bool,
) -> std::io::Result<()> {
    let (parts, mut body) = res.into_parts();
    let status = parts.status;
    let bodiless = exchange.bodiless(status);
    out.bytes().clear();
    out.body.clear();
    status_line(out.bytes(), status);
    let framing = if bodiless {
        Framing::None
    } else if parts.headers.contains_key(header::CONTENT_LENGTH) {
        Framing::Length
    } else if let Some(length) = body.size_hint().exact() {
        write_line(
            out.bytes(),
            header::CONTENT_LENGTH.as_str(),
            itoa::Buffer::new().format(length),
        );
        Framing::Length
    } else {
        Framing::Chunked
    };
    write_head(out.bytes(), &parts.headers, framing, close);
    if bodiless {
        return out.flush(io).await;
    }
    let mut queued = 0;
    loop {
        // What is ready goes out with what is queued; only a wait for the
        // next frame writes first.
        let frame = match body.frame().now_or_never() {
            Some(frame) => frame,
            None => {
                out.flush(io).await?;
                queued = 0;
                body.frame().await
            }
        };
        let Some(frame) = frame else { break };
        let frame = frame.map_err(std::io::Error::other)?;
        let Ok(data) = frame.into_data() else {
            continue; // trailers: not sent (as hyper without `TE: trailers`)
        };
        if data.is_empty() {
            continue;
        }
        queued += data.len();
        if framing == Framing::Chunked {
            let bytes = out.bytes();
            bytes.extend_from_slice(format!("{:x}\r\n", data.len()).as_bytes());
            bytes.extend_from_slice(&data);
            bytes.extend_from_slice(b"\r\n");
        } else {
            out.body.push(data);
        }
        if body.is_end_stream() {
            break; // no need to ask for the end
        }
        if queued > MAX_QUEUED {
            out.flush(io).await?;
            queued = 0;
        }
    }
    if framing == Framing::Chunked {
        out.bytes().extend_from_slice(b"0\r\n\r\n");
    }
    out.flush(io).await
}

pub(super) fn status_line(out: &mut Vec<u8>, status: StatusCode) {
    out.extend_from_slice(b"HTTP/1.1 ");
    out.extend_from_slice(status.as_str().as_bytes());
    out.push(b' ');
    out.extend_from_slice(status.canonical_reason().unwrap_or("").as_bytes());
    out.extend_from_slice(b"\r\n");
}

fn write_head(out: &mut Vec<u8>, headers: &HeaderMap, framing: Framing, close: bool) {
    for (name, value) in headers {
        // Framing is this codec's: a stray length on a chunked body would
        // contradict it.
        if framing == Framing::Chunked && name == header::CONTENT_LENGTH {
            continue;
        }
        write_line(out, name.as_str(), value.as_bytes());
    }
    if framing == Framing::Chunked {
        out.extend_from_slice(b"transfer-encoding: chunked\r\n");
    }
    end_head(out, headers.contains_key(header::DATE), close);
}

/// Ends a response head: `Date` unless its fields had one (`dated`),
/// `Connection: close` when the connection closes after it, the blank line.
pub(super) fn end_head(out: &mut Vec<u8>, dated: bool, close: bool) {
    if !dated {
        write_line(out, "date", http_date());
    }
    if close {
        out.extend_from_slice(b"connection: close\r\n");
    }
    out.extend_from_slice(b"\r\n");
}

pub(super) fn write_line(out: &mut Vec<u8>, name: &str, value: impl AsRef<[u8]>) {
    out.extend_from_slice(name.as_bytes());
    out.extend_from_slice(b": ");
    out.extend_from_slice(value.as_ref());
    out.extend_from_slice(b"\r\n");
}

/// The `Date` value for now, formatted once a second per thread.
fn http_date() -> [u8; 29] {
    thread_local! {
        static LAST: std::cell::Cell<(u64, [u8; 29])> = const { std::cell::Cell::new((0, [0; 29])) };
    }
    let now = SystemTime::now();
    let second = now.duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs());
    LAST.with(|last| {
        let (at, text) = last.get();
        if at == second {
            return text;
        }
        let mut text = [0u8; 29];
        let formatted = httpdate::fmt_http_date(now);
        text.copy_from_slice(&formatted.as_bytes()[..29]);
        last.set((second, text));
        text
    })
}

#[cfg(test)]
mod tests;
