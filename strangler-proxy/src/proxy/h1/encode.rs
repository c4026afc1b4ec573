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

/// Appends the size line of a chunk of `len` bytes (not 0: an empty chunk
/// ends the body); the data and [`CHUNK_END`] follow.
pub fn chunk_size(out: &mut Vec<u8>, len: usize) {
    out.extend_from_slice(format!("{len:x}\r\n").as_bytes());
}

/// What ends a chunk's data.
pub const CHUNK_END: &[u8] = b"\r\n";

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

#[cfg(test)]
mod tests {
    use super::*;

    fn encoded(method: Method, fields: &[(&str, &str)], body: BodyShape) -> (String, BodyFraming) {
        let mut req = http::Request::builder().method(method).uri("/p?q=1");
        for (name, value) in fields {
            req = req.header(*name, *value);
        }
        let (parts, ()) = req.body(()).unwrap().into_parts();
        let mut out = Vec::new();
        let framing = head(&mut out, &parts, body);
        (String::from_utf8(out).unwrap(), framing)
    }

    const EMPTY: BodyShape = BodyShape {
        empty: true,
        exact: Some(0),
    };

    #[test]
    fn the_head_is_in_origin_form_with_the_proxys_own_framing() {
        let (text, framing) = encoded(Method::GET, &[("host", "up"), ("x-a", "1")], EMPTY);
        assert_eq!(text, "GET /p?q=1 HTTP/1.1\r\nhost: up\r\nx-a: 1\r\n\r\n");
        assert_eq!(framing, BodyFraming::Empty);

        let (text, _) = encoded(Method::POST, &[], EMPTY);
        assert!(
            text.ends_with("content-length: 0\r\n\r\n"),
            "an empty POST says so: {text}"
        );

        let sized = BodyShape {
            empty: false,
            exact: Some(5),
        };
        let (text, framing) = encoded(
            Method::PUT,
            &[("content-length", "99"), ("expect", "100-continue")],
            sized,
        );
        assert_eq!(framing, BodyFraming::Length(5));
        assert_eq!(
            text, "PUT /p?q=1 HTTP/1.1\r\ncontent-length: 5\r\n\r\n",
            "the body's length wins; Expect is answered by the proxy"
        );

        let unknown = BodyShape {
            empty: false,
            exact: None,
        };
        let (text, framing) = encoded(
            Method::POST,
            &[("transfer-encoding", "gzip, chunked")],
            unknown,
        );
        assert_eq!(framing, BodyFraming::Chunked);
        assert_eq!(
            text,
            "POST /p?q=1 HTTP/1.1\r\ntransfer-encoding: chunked\r\n\r\n"
        );
    }
}
