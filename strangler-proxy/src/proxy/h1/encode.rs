//! Writing a request for an upstream, without I/O: the head in origin form
//! (RFC 9112 §3.2.1) and the framing of the body that follows (§6).

use http::header::{self, HeaderMap};
use http::{Method, request};

/// How the request body follows the head.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BodyFraming {
    /// No body.
    Empty,
    /// Exactly this many bytes.
    Length(u64),
    /// Chunks, for a body of unknown length.
    Chunked,
}

/// What is known of the body before it is read: whether it is already over,
/// and its exact length if it has one.
#[derive(Debug, Clone, Copy)]
pub struct BodyShape {
    /// The body has no (more) data.
    pub empty: bool,
    /// Its exact length, when the body knows it.
    pub exact: Option<u64>,
}

/// Appends the head of `parts` to `out` and says how the body must follow.
/// The proxy frames the body itself, so the client's `Content-Length` and
/// `Transfer-Encoding` are replaced; `Expect` is dropped because the body is
/// sent at once (the client's `100 Continue` came from the proxy).
pub fn head(out: &mut Vec<u8>, parts: &request::Parts, body: BodyShape) -> BodyFraming {
    let framing = framing(&parts.method, &parts.headers, body);
    out.extend_from_slice(parts.method.as_str().as_bytes());
    out.push(b' ');
    let target = parts.uri.path_and_query().map_or("/", |pq| pq.as_str());
    out.extend_from_slice(if target.is_empty() {
        b"/"
    } else {
        target.as_bytes()
    });
    out.extend_from_slice(b" HTTP/1.1\r\n");
    for (name, value) in &parts.headers {
        if name == header::CONTENT_LENGTH
            || name == header::TRANSFER_ENCODING
            || name == header::EXPECT
        {
            continue;
        }
        field(out, name.as_str().as_bytes(), value.as_bytes());
    }
    match framing {
        BodyFraming::Empty
            if expects_body(&parts.method)
                || parts.headers.contains_key(header::CONTENT_LENGTH) =>
        {
            field(out, b"content-length", b"0");
        }
        BodyFraming::Empty => {}
        BodyFraming::Length(n) => field(out, b"content-length", n.to_string().as_bytes()),
        BodyFraming::Chunked => field(out, b"transfer-encoding", b"chunked"),
    }
    out.extend_from_slice(b"\r\n");
    framing
}

/// Appends one chunk of a chunked body (`data` must not be empty: an empty
/// chunk ends the body).
pub fn chunk(out: &mut Vec<u8>, data: &[u8]) {
    out.extend_from_slice(format!("{:x}\r\n", data.len()).as_bytes());
    out.extend_from_slice(data);
    out.extend_from_slice(b"\r\n");
}

/// The last chunk of a chunked body, with no trailers.
pub const LAST_CHUNK: &[u8] = b"0\r\n\r\n";

fn framing(method: &Method, headers: &HeaderMap, body: BodyShape) -> BodyFraming {
    if body.empty {
        return BodyFraming::Empty;
    }
    let declared = || {
        headers
            .get(header::CONTENT_LENGTH)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.trim().parse::<u64>().ok())
    };
    match body.exact.or_else(declared) {
        Some(0) if !expects_body(method) => BodyFraming::Empty,
        Some(n) => BodyFraming::Length(n),
        None => BodyFraming::Chunked,
    }
}

/// Methods whose requests carry a body as a rule: an empty one is announced
/// as `Content-Length: 0` (RFC 9110 §8.6).
fn expects_body(method: &Method) -> bool {
    matches!(*method, Method::POST | Method::PUT | Method::PATCH)
}

fn field(out: &mut Vec<u8>, name: &[u8], value: &[u8]) {
    out.extend_from_slice(name);
    out.extend_from_slice(b": ");
    out.extend_from_slice(value);
    out.extend_from_slice(b"\r\n");
}
