//! Reading an upstream's response, without I/O: the head (RFC 9112 §4–5),
//! how its body is framed (§6.3), and the body itself, fixed-length, chunked
//! (§7.1) or delimited by the connection's end.

use bytes::{Buf, Bytes, BytesMut};
use http::header::{self, HeaderMap, HeaderName, HeaderValue};
use http::{Method, StatusCode, Version};

/// A response head larger than this is refused (hyper's default limit too).
pub const MAX_HEAD_BYTES: usize = 64 * 1024;
/// Header fields a response head may have at most.
const MAX_HEADERS: usize = 100;
/// Hex digits a chunk size may have: 16 fill a `u64`.
const MAX_SIZE_DIGITS: u8 = 16;

/// Why a response could not be read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProtocolError(pub String);

impl std::fmt::Display for ProtocolError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for ProtocolError {}

fn error<T>(text: impl Into<String>) -> Result<T, ProtocolError> {
    Err(ProtocolError(text.into()))
}

/// A parsed response head and what it says about the rest of the exchange.
#[derive(Debug)]
pub struct Head {
    /// Status, version and fields.
    pub parts: http::response::Parts,
    /// How the body that follows is delimited.
    pub framing: Framing,
    /// Whether the connection may carry another request after this one.
    pub keep_alive: bool,
}

/// Takes a complete response head off the front of `buf`; `Ok(None)` while
/// more bytes are needed. `method` is the request's: a response to `HEAD` has
/// no body whatever its fields say.
pub fn head(buf: &mut BytesMut, method: &Method) -> Result<Option<Head>, ProtocolError> {
    let mut fields = [httparse::EMPTY_HEADER; MAX_HEADERS];
    let mut parsed = httparse::Response::new(&mut fields);
    let len = match parsed.parse(buf) {
        Ok(httparse::Status::Complete(len)) => len,
        Ok(httparse::Status::Partial) if buf.len() > MAX_HEAD_BYTES => {
            return error(format!(
                "the response head is larger than {MAX_HEAD_BYTES} bytes"
            ));
        }
        Ok(httparse::Status::Partial) => return Ok(None),
        Err(e) => return error(format!("malformed response head: {e}")),
    };
    let status = parsed
        .code
        .and_then(|code| StatusCode::from_u16(code).ok())
        .map_or_else(|| error("malformed response status"), Ok)?;
    let version = match parsed.version {
        Some(0) => Version::HTTP_10,
        _ => Version::HTTP_11,
    };
    let mut headers = HeaderMap::with_capacity(parsed.headers.len());
    for field in parsed.headers.iter() {
        let name = HeaderName::from_bytes(field.name.as_bytes());
        let value = HeaderValue::from_bytes(field.value);
        match (name, value) {
            (Ok(name), Ok(value)) => {
                headers.append(name, value);
            }
            _ => return error(format!("malformed response field `{}`", field.name)),
        }
    }
    buf.advance(len);
    let framing = framing(method, status, &headers)?;
    let keep_alive = framing != Framing::UntilClose && keeps_alive(version, &headers);
    let mut res = http::Response::new(());
    (*res.status_mut(), *res.version_mut(), *res.headers_mut()) = (status, version, headers);
    let (parts, ()) = res.into_parts();
    Ok(Some(Head {
        parts,
        framing,
        keep_alive,
    }))
}

/// How a response body is delimited.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Framing {
    /// No body (`HEAD`, 1xx, 204, 304).
    Empty,
    /// `Content-Length` bytes.
    Length(u64),
    /// `Transfer-Encoding: chunked`.
    Chunked,
    /// Everything until the upstream closes the connection.
    UntilClose,
}

/// RFC 9112 §6.3, in its order.
fn framing(
    method: &Method,
    status: StatusCode,
    headers: &HeaderMap,
) -> Result<Framing, ProtocolError> {
    if method == Method::HEAD
        || status.is_informational()
        || status == StatusCode::NO_CONTENT
        || status == StatusCode::NOT_MODIFIED
    {
        return Ok(Framing::Empty);
    }
    if headers.contains_key(header::TRANSFER_ENCODING) {
        // Chunked only counts as the final coding; anything else runs to the end.
        let last = headers
            .get_all(header::TRANSFER_ENCODING)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .flat_map(|v| v.split(','))
            .map(str::trim)
            .rfind(|c| !c.is_empty());
        return Ok(match last {
            Some(coding) if coding.eq_ignore_ascii_case("chunked") => Framing::Chunked,
            _ => Framing::UntilClose,
        });
    }
    let mut length = None;
    for value in headers.get_all(header::CONTENT_LENGTH) {
        for item in value.as_bytes().split(|b| *b == b',') {
            let item = item.trim_ascii();
            let parsed = std::str::from_utf8(item)
                .ok()
                .filter(|s| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit()))
                .and_then(|s| s.parse::<u64>().ok());
            match (parsed, length) {
                (None, _) => return error("malformed Content-Length in the response"),
                (Some(n), Some(seen)) if n != seen => {
                    return error("conflicting Content-Length values in the response");
                }
                (Some(n), _) => length = Some(n),
            }
        }
    }
    Ok(match length {
        Some(0) => Framing::Empty,
        Some(n) => Framing::Length(n),
        None => Framing::UntilClose,
    })
}

/// HTTP/1.1 stays open unless `Connection: close`; 1.0 only with `keep-alive`.
fn keeps_alive(version: Version, headers: &HeaderMap) -> bool {
    let has = |token: &str| {
        headers
            .get_all(header::CONNECTION)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .flat_map(|v| v.split(','))
            .any(|t| t.trim().eq_ignore_ascii_case(token))
    };
    match version {
        Version::HTTP_10 => has("keep-alive"),
        _ => !has("close"),
    }
}

/// What [`BodyDecoder::decode`] found in the buffer.
#[derive(Debug, PartialEq, Eq)]
pub enum Decoded {
    /// Body bytes.
    Data(Bytes),
    /// The buffer holds no more of the body yet: read, then call again.
    NeedMore,
    /// The body is complete.
    Done,
}

/// Takes a body off the front of a read buffer, piece by piece.
#[derive(Debug)]
pub struct BodyDecoder {
    state: State,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    /// Bytes left of a fixed-length body.
    Length(u64),
    /// Until the connection closes.
    UntilClose,
    /// A chunk-size line: the size so far and its digit count.
    Size(u64, u8),
    /// Spaces or tabs after the size digits.
    SizeSpace(u64),
    /// A chunk extension, skipped up to its CR.
    Extension(u64),
    /// The LF ending a chunk-size line.
    SizeLf(u64),
    /// Bytes left of a chunk's data.
    Data(u64),
    /// The CR after a chunk's data.
    DataCr,
    /// The LF after a chunk's data.
    DataLf,
    /// The start of a trailer line, or the CR of the final empty line.
    TrailerStart,
    /// A trailer field, skipped up to its CR.
    Trailer,
    /// The LF ending a trailer field.
    TrailerLf,
    /// The LF of the final empty line.
    EndLf,
    Done,
}

impl BodyDecoder {
    /// A decoder for a body framed as `framing` says.
    pub fn new(framing: Framing) -> Self {
        let state = match framing {
            Framing::Empty => State::Done,
            Framing::Length(n) => State::Length(n),
            Framing::Chunked => State::Size(0, 0),
            Framing::UntilClose => State::UntilClose,
        };
        Self { state }
    }

    /// Whether the whole body has been taken.
    pub fn is_done(&self) -> bool {
        self.state == State::Done
    }

    /// Bytes still to come, when known.
    pub fn remaining(&self) -> Option<u64> {
        match self.state {
            State::Length(n) => Some(n),
            State::Done => Some(0),
            _ => None,
        }
    }

    /// Takes the next piece of the body off `buf`.
    pub fn decode(&mut self, buf: &mut BytesMut) -> Result<Decoded, ProtocolError> {
        loop {
            match self.state {
                State::Done => return Ok(Decoded::Done),
                State::Length(left) | State::Data(left) => {
                    if buf.is_empty() {
                        return Ok(Decoded::NeedMore);
                    }
                    let take = usize::try_from(left).map_or(buf.len(), |l| l.min(buf.len()));
                    let left = left - take as u64;
                    self.state = match self.state {
                        State::Length(_) if left == 0 => State::Done,
                        State::Length(_) => State::Length(left),
                        _ if left == 0 => State::DataCr,
                        _ => State::Data(left),
                    };
                    return Ok(Decoded::Data(buf.split_to(take).freeze()));
                }
                State::UntilClose => {
                    if buf.is_empty() {
                        return Ok(Decoded::NeedMore);
                    }
                    return Ok(Decoded::Data(buf.split().freeze()));
                }
                _ => {
                    let Some(&byte) = buf.first() else {
                        return Ok(Decoded::NeedMore);
                    };
                    buf.advance(1);
                    self.state = self.framing_byte(byte)?;
                }
            }
        }
    }

    /// The end of the connection: the end of a body delimited by it, an
    /// error for any other body not yet complete.
    pub fn eof(&mut self) -> Result<(), ProtocolError> {
        match self.state {
            State::Done => Ok(()),
            State::UntilClose => {
                self.state = State::Done;
                Ok(())
            }
            _ => error("the upstream closed the connection before the end of the body"),
        }
    }

    /// The state after one byte of chunked framing.
    fn framing_byte(&self, byte: u8) -> Result<State, ProtocolError> {
        let bad = |what: &str| error(format!("malformed chunked body: {what}"));
        Ok(match (self.state, byte) {
            (State::Size(size, digits), _) if byte.is_ascii_hexdigit() => {
                if digits == MAX_SIZE_DIGITS {
                    return bad("chunk size too large");
                }
                let digit = u64::from(char::from(byte).to_digit(16).unwrap_or(0));
                State::Size(size << 4 | digit, digits + 1)
            }
            (State::Size(_, 0), _) => return bad("chunk size expected"),
            (State::Size(size, _) | State::SizeSpace(size), b' ' | b'\t') => State::SizeSpace(size),
            (State::Size(size, _) | State::SizeSpace(size) | State::Extension(size), b';') => {
                State::Extension(size)
            }
            (State::Size(size, _) | State::SizeSpace(size) | State::Extension(size), b'\r') => {
                State::SizeLf(size)
            }
            (State::Size(..) | State::SizeSpace(_), _) => {
                return bad("unexpected byte in a chunk size");
            }
            (State::Extension(_), b'\n') => return bad("bare LF in a chunk extension"),
            (State::Extension(size), _) => State::Extension(size),
            (State::SizeLf(0), b'\n') => State::TrailerStart,
            (State::SizeLf(size), b'\n') => State::Data(size),
            (State::DataCr, b'\r') => State::DataLf,
            (State::DataLf, b'\n') => State::Size(0, 0),
            (State::TrailerStart, b'\r') => State::EndLf,
            (State::TrailerStart | State::Trailer, b'\n') => return bad("bare LF in a trailer"),
            (State::Trailer, b'\r') => State::TrailerLf,
            (State::TrailerStart | State::Trailer, _) => State::Trailer,
            (State::TrailerLf, b'\n') => State::TrailerStart,
            (State::EndLf, b'\n') => State::Done,
            (
                State::SizeLf(_) | State::DataCr | State::DataLf | State::TrailerLf | State::EndLf,
                _,
            ) => {
                return bad("CRLF expected");
            }
            (State::Length(_) | State::Data(_) | State::UntilClose | State::Done, _) => {
                return bad("not in a framing position");
            }
        })
    }
}

#[cfg(test)]
mod tests;
