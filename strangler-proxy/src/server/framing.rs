//! An upstream response's body framing, for relaying it as it came: where
//! the body ends by its head ([`response_framing`], RFC 9112 §6.3), and, for
//! a chunked body, by following its chunks ([`ChunkedScanner`], RFC 9112
//! §7.1) without buffering or decoding them.

/// How a response's body is delimited on the wire.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Framing {
    /// No body (a response to HEAD, 1xx, 204, 304).
    None,
    /// `Content-Length` bytes.
    Length(u64),
    /// `Transfer-Encoding` ending in `chunked`: chunks up to the last one and its trailers.
    Chunked,
    /// Until the upstream closes the connection.
    Close,
}

/// Why a response head cannot be relayed.
#[derive(Debug, PartialEq, Eq)]
pub(super) struct BadFraming(pub &'static str);

/// The framing of a response with `status` to a request whose method was HEAD (`head_request`), from its header lines.
///
/// `Transfer-Encoding` overrides `Content-Length` (which is then not even
/// checked): whenever the head has a `Transfer-Encoding` line, the caller
/// must not forward its `Content-Length` lines (RFC 9112 §6.1, §6.3 item 3),
/// or the client may read the body by the wrong one. [`Framing::Close`]
/// leaves the client connection to be closed after the body, whether it
/// comes from a coding other than `chunked` or from no framing at all.
pub(super) fn response_framing(
    status: u16,
    head_request: bool,
    fields: &[httparse::Header<'_>],
) -> Result<Framing, BadFraming> {
    if head_request || (100..200).contains(&status) || status == 204 || status == 304 {
        return Ok(Framing::None);
    }
    let mut transfer_encoding = false;
    let mut chunked_last = false;
    let mut length = None;
    for field in fields {
        let name = field.name.as_bytes();
        if name.eq_ignore_ascii_case(b"transfer-encoding") {
            transfer_encoding = true;
            // Codings add up across lines; empty list members do not count
            // (RFC 9110 §5.6.1).
            for coding in members(field.value) {
                chunked_last = coding.eq_ignore_ascii_case(b"chunked");
            }
        } else if name.eq_ignore_ascii_case(b"content-length") {
            // Kept as an error rather than returned: `Transfer-Encoding`,
            // possibly on a later line, would make the length moot.
            let line = content_length(field.value);
            length = match (length, line) {
                (None, line) => Some(line),
                (Some(Ok(seen)), Ok(this)) if seen == this => Some(Ok(seen)),
                _ => Some(Err(BadFraming("invalid Content-Length"))),
            };
        }
    }
    if transfer_encoding {
        // A response whose last coding is not `chunked` runs to the close
        // (RFC 9112 §6.3 item 4; a request would be an error instead).
        return Ok(if chunked_last {
            Framing::Chunked
        } else {
            Framing::Close
        });
    }
    match length {
        Some(length) => length.map(Framing::Length),
        None => Ok(Framing::Close),
    }
}

/// One `Content-Length` line's value: one decimal number, or a list of the
/// same one (`5, 5`, as a recipient may accept, RFC 9110 §8.6).
fn content_length(value: &[u8]) -> Result<u64, BadFraming> {
    let invalid = BadFraming("invalid Content-Length");
    let mut length = None;
    // Every member, empty ones too: `5,` is not a length.
    for member in value.split(|b| *b == b',') {
        let number = decimal(trim_ows(member)).ok_or(BadFraming("invalid Content-Length"))?;
        match length {
            Some(seen) if seen != number => return Err(invalid),
            _ => length = Some(number),
        }
    }
    length.ok_or(invalid)
}

/// Digits only (no sign, no space, not empty), fitting a `u64`; `str::parse`
/// would take a `+`.
fn decimal(digits: &[u8]) -> Option<u64> {
    if digits.is_empty() {
        return None;
    }
    digits.iter().try_fold(0u64, |n, &b| {
        let digit = char::from(b).to_digit(10)?;
        n.checked_mul(10)?.checked_add(u64::from(digit))
    })
}

/// A list value's non-empty members, without their optional white space.
fn members(value: &[u8]) -> impl Iterator<Item = &[u8]> {
    value
        .split(|b| *b == b',')
        .map(trim_ows)
        .filter(|m| !m.is_empty())
}

/// `bytes` without leading and trailing OWS (space and tab only: a form
/// feed is not white space to HTTP, unlike `trim_ascii`).
fn trim_ows(mut bytes: &[u8]) -> &[u8] {
    while let [b' ' | b'\t', rest @ ..] = bytes {
        bytes = rest;
    }
    while let [rest @ .., b' ' | b'\t'] = bytes {
        bytes = rest;
    }
    bytes
}

/// A chunk-size line (with its extensions) or a trailer line longer than
/// this, its CRLF not counted, is refused: the scanner stays bounded
/// without buffering the line, and no honest upstream comes near it.
const MAX_LINE: usize = 4096;

/// Follows a chunked body across reads to find its end; the bytes themselves are relayed unchanged by the caller.
///
/// Line ends must be CRLF everywhere, as hyper's decoder wants: the client
/// reads the same bytes, and a bare LF that one side takes for a line end
/// and the other not would let the two disagree on where the body ends.
#[derive(Debug, Default)]
pub(super) struct ChunkedScanner {
    state: State,
    /// Bytes of the current size or trailer line so far.
    line: usize,
}

/// Where in the chunked grammar the scanner is.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
enum State {
    /// A size line's first byte, a hex digit.
    #[default]
    SizeStart,
    /// In a chunk size's hex digits, this much so far.
    Size(u64),
    /// White space after a chunk size, before `;` or CR.
    SizeWhite(u64),
    /// In a chunk extension, ignored up to CR.
    Extension(u64),
    /// A size line's CR seen, its LF expected.
    SizeLf(u64),
    /// In a chunk's data, this many bytes left.
    Data(u64),
    /// A chunk's data done, its CR expected.
    DataCr,
    /// A chunk's data and CR done, its LF expected.
    DataLf,
    /// After the last chunk or a trailer line: the final CR, or a trailer.
    LineStart,
    /// In a trailer line, up to CR.
    Trailer,
    /// A trailer line's CR seen, its LF expected.
    TrailerLf,
    /// The final CR seen, its LF ends the body.
    EndLf,
    /// The body ended.
    Done,
    /// The body is malformed; said again on every later call.
    Failed(&'static str),
}

impl ChunkedScanner {
    /// [`ChunkedScanner::scan_data`] without the data.
    #[cfg(test)]
    pub(super) fn scan(&mut self, bytes: &[u8]) -> Result<Option<usize>, BadFraming> {
        self.scan_data(bytes, |_| {})
    }

    /// Consumes `bytes`, the next piece of the body: `Ok(Some(n))` when the
    /// body ends after the first `n` bytes of this piece (what follows
    /// belongs to the next message), `Ok(None)` when it goes on. Each piece
    /// of chunk data (the body without its framing) goes to `on_data` on the
    /// way.
    ///
    /// Once the end is reported, later calls report `Ok(Some(0))`; once an
    /// error is, later calls report it again.
    pub(super) fn scan_data(
        &mut self,
        bytes: &[u8],
        mut on_data: impl FnMut(&[u8]),
    ) -> Result<Option<usize>, BadFraming> {
        let mut at = 0;
        while at < bytes.len() {
            let rest = &bytes[at..];
            at += match self.state {
                State::Data(left) => {
                    // Data is skipped, not looked at (only handed over).
                    let skip = usize::try_from(left).map_or(rest.len(), |l| l.min(rest.len()));
                    on_data(&rest[..skip]);
                    let left = left - skip as u64;
                    self.state = if left == 0 {
                        State::DataCr
                    } else {
                        State::Data(left)
                    };
                    skip
                }
                State::Extension(_) | State::Trailer => {
                    let text = rest
                        .iter()
                        .position(|b| matches!(b, b'\r' | b'\n'))
                        .unwrap_or(rest.len());
                    self.line += text;
                    if self.line > MAX_LINE {
                        return Err(self.fail(self.too_long()));
                    }
                    if text == rest.len() {
                        text
                    } else {
                        self.step(rest[text]).map_err(|e| self.fail(e))?;
                        text + 1
                    }
                }
                State::Done => return Ok(Some(at)),
                State::Failed(why) => return Err(BadFraming(why)),
                _ => {
                    self.step(rest[0]).map_err(|e| self.fail(e))?;
                    1
                }
            };
        }
        match self.state {
            State::Done => Ok(Some(at)),
            State::Failed(why) => Err(BadFraming(why)),
            _ => Ok(None),
        }
    }

    /// Takes one byte outside chunk data.
    fn step(&mut self, byte: u8) -> Result<(), &'static str> {
        const INVALID_SIZE: &str = "invalid chunk size";
        self.state = match (self.state, byte) {
            (State::SizeStart, _) => {
                let digit = hex(byte).ok_or(INVALID_SIZE)?;
                self.text()?;
                State::Size(digit)
            }
            (State::Size(size), b'\r') => State::SizeLf(size),
            (State::Size(size), b' ' | b'\t') => {
                self.text()?;
                State::SizeWhite(size)
            }
            (State::Size(size), b';') => {
                self.text()?;
                State::Extension(size)
            }
            (State::Size(size), _) => {
                let digit = hex(byte).ok_or(INVALID_SIZE)?;
                self.text()?;
                let size = size
                    .checked_mul(16)
                    .and_then(|s| s.checked_add(digit))
                    .ok_or("chunk size overflows")?;
                State::Size(size)
            }
            (State::SizeWhite(size), b'\r') => State::SizeLf(size),
            (State::SizeWhite(size), b' ' | b'\t') => {
                self.text()?;
                State::SizeWhite(size)
            }
            (State::SizeWhite(size), b';') => {
                self.text()?;
                State::Extension(size)
            }
            (State::SizeWhite(_), _) => return Err(INVALID_SIZE),
            // Other bytes of an extension are taken in bulk by `scan`.
            (State::Extension(size), b'\r') => State::SizeLf(size),
            (State::Extension(_), _) => return Err("invalid chunk extension"),
            (State::SizeLf(size), b'\n') => {
                self.line = 0;
                if size == 0 {
                    State::LineStart
                } else {
                    State::Data(size)
                }
            }
            (State::SizeLf(_), _) => return Err("invalid chunk size line end"),
            (State::DataCr, b'\r') => State::DataLf,
            (State::DataLf, b'\n') => State::SizeStart,
            (State::DataCr | State::DataLf, _) => return Err("missing CRLF after chunk data"),
            (State::LineStart, b'\r') => State::EndLf,
            (State::LineStart, b'\n') => return Err("invalid trailer line end"),
            (State::LineStart, _) => {
                self.text()?;
                State::Trailer
            }
            // Other bytes of a trailer line are taken in bulk by `scan`.
            (State::Trailer, b'\r') => State::TrailerLf,
            (State::TrailerLf, b'\n') => {
                self.line = 0;
                State::LineStart
            }
            (State::EndLf, b'\n') => State::Done,
            (State::Trailer | State::TrailerLf | State::EndLf, _) => {
                return Err("invalid trailer line end");
            }
            // `scan` handles these itself.
            (State::Data(_) | State::Done | State::Failed(_), _) => self.state,
        };
        Ok(())
    }

    /// Counts one more byte of the current line against [`MAX_LINE`].
    fn text(&mut self) -> Result<(), &'static str> {
        self.line += 1;
        if self.line > MAX_LINE {
            return Err(self.too_long());
        }
        Ok(())
    }

    fn too_long(&self) -> &'static str {
        match self.state {
            State::LineStart | State::Trailer => "trailer line too long",
            _ => "chunk size line too long",
        }
    }

    /// Makes `why` the answer to every later call.
    fn fail(&mut self, why: &'static str) -> BadFraming {
        self.state = State::Failed(why);
        BadFraming(why)
    }
}

fn hex(byte: u8) -> Option<u64> {
    char::from(byte).to_digit(16).map(u64::from)
}

#[cfg(test)]
mod tests;
