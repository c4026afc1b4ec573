//! Path normalisation before matching, the way Envoy's `normalize_path` and
//! `merge_slashes` do it, so that a route cannot be walked around by spelling
//! its path differently: the monolith's router decodes percent-encoding, and
//! a route the proxy did not recognise would be served there.
//!
//! In order (RFC 3986 §6.2.2):
//! 1. percent-encoded characters a route pattern may contain (unreserved:
//!    `A-Z a-z 0-9 - . _ ~`, and `:` `@`) are decoded; every other
//!    encoding is kept, its hex digits upper-cased;
//! 2. repeated slashes are merged into one;
//! 3. dot segments (`.`, `..`) are removed (RFC 3986 §5.2.4; `..` at the
//!    root stays at the root).
//!
//! Refused (the client gets `400`, nothing is forwarded), because servers
//! disagree about what they mean: an encoded slash or backslash (`%2F`,
//! `%5C`; Envoy's `path_with_escaped_slashes_action = REJECT_REQUEST`), a raw
//! backslash, an encoded NUL, and a `%` not followed by two hex digits.
//!
//! The upstream receives the normalised path (the query is untouched), so
//! the path that was matched is the path that is served. A path that is
//! already normal, as nearly all are, is checked in one pass and borrowed.

use std::borrow::Cow;

/// Why a request path is refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum PathError {
    /// `%2F` or `%5C`: a slash inside a segment, or a separator in disguise.
    #[error(
        "the path contains an encoded slash or backslash (%2F, %5C), which servers read differently; send the segment unencoded or encode the data another way"
    )]
    EncodedSlash,
    /// A raw `\`.
    #[error("the path contains a backslash, which some servers read as a slash; encode it")]
    Backslash,
    /// `%00`.
    #[error("the path contains an encoded NUL (%00)")]
    Nul,
    /// A `%` not followed by two hex digits.
    #[error("the path has a `%` that is not followed by two hex digits")]
    BadEncoding,
}

/// The normal form of `path` (see the module doc), borrowed when `path` is
/// normal already. A path that does not start with `/` (`*`) is returned as
/// it is: no route matches it.
pub fn normalize(path: &str) -> Result<Cow<'_, str>, PathError> {
    if !path.starts_with('/') || is_normal(path.as_bytes()) {
        return Ok(Cow::Borrowed(path));
    }
    let decoded = decode(path)?;
    Ok(Cow::Owned(remove_dots(&decoded)))
}

/// One pass: no escape but those kept as they are, no `\`, no empty
/// segment (but a trailing slash), no `.` or `..` segment.
fn is_normal(bytes: &[u8]) -> bool {
    let mut at = 0;
    while at < bytes.len() {
        match bytes[at] {
            b'\\' => return false,
            b'%' => {
                if !is_kept_escape(bytes.get(at + 1..at + 3)) {
                    return false;
                }
                at += 3;
                continue;
            }
            b'/' => {
                let rest = &bytes[at + 1..];
                let segment = rest.split(|b| *b == b'/').next().unwrap_or_default();
                let empty_inside = segment.is_empty() && !rest.is_empty();
                if empty_inside || segment == b"." || segment == b".." {
                    return false;
                }
            }
            _ => {}
        }
        at += 1;
    }
    true
}

/// Whether `%` and `digits` is an escape [`decode`] keeps as it is:
/// upper-case hex of a character that is neither decoded nor refused.
fn is_kept_escape(digits: Option<&[u8]>) -> bool {
    let Some(&[high, low]) = digits else {
        return false;
    };
    let upper = |b: u8| b.is_ascii_digit() || (b'A'..=b'F').contains(&b);
    let (Some(h), Some(l)) = (hex(high), hex(low)) else {
        return false;
    };
    let byte = h << 4 | l;
    upper(high) && upper(low) && !matches!(byte, 0 | b'/' | b'\\') && !is_pattern_char(byte)
}

/// Decodes what a pattern may contain, keeps (upper-cased) the rest, and
/// refuses what is ambiguous.
fn decode(path: &str) -> Result<String, PathError> {
    let bytes = path.as_bytes();
    let mut out = String::with_capacity(path.len());
    let mut at = 0;
    while at < bytes.len() {
        match bytes[at] {
            b'\\' => return Err(PathError::Backslash),
            b'%' => {
                let (Some(high), Some(low)) = (
                    bytes.get(at + 1).and_then(|b| hex(*b)),
                    bytes.get(at + 2).and_then(|b| hex(*b)),
                ) else {
                    return Err(PathError::BadEncoding);
                };
                let byte = high << 4 | low;
                match byte {
                    0 => return Err(PathError::Nul),
                    b'/' | b'\\' => return Err(PathError::EncodedSlash),
                    b if is_pattern_char(b) => out.push(char::from(b)),
                    b => {
                        out.push('%');
                        out.push(char::from(HEX[usize::from(b >> 4)]));
                        out.push(char::from(HEX[usize::from(b & 0xf)]));
                    }
                }
                at += 3;
                continue;
            }
            _ => {}
        }
        // Multi-byte characters pass byte by byte, whole: only ASCII is
        // looked at above.
        let end = bytes[at..]
            .iter()
            .position(|b| matches!(b, b'%' | b'\\'))
            .map_or(bytes.len(), |n| at + n);
        out.push_str(&path[at..end]);
        at = end;
    }
    Ok(out)
}

const HEX: &[u8; 16] = b"0123456789ABCDEF";

fn hex(b: u8) -> Option<u8> {
    char::from(b)
        .to_digit(16)
        .and_then(|d| u8::try_from(d).ok())
}

/// A character a route pattern's literal may hold (see
/// [`super::pattern::Pattern::parse`]): decoded, it matches as the monolith
/// decodes it.
fn is_pattern_char(b: u8) -> bool {
    b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~' | b':' | b'@')
}

/// Merges slashes and removes dot segments; keeps a trailing slash.
fn remove_dots(path: &str) -> String {
    let mut kept: Vec<&str> = Vec::new();
    let mut trailing = false;
    for segment in path.split('/').skip(1) {
        trailing = matches!(segment, "" | "." | "..");
        match segment {
            "" | "." => {}
            ".." => {
                kept.pop();
            }
            segment => kept.push(segment),
        }
    }
    let mut out = String::with_capacity(path.len());
    for segment in &kept {
        out.push('/');
        out.push_str(segment);
    }
    if trailing || kept.is_empty() {
        out.push('/');
    }
    out
}

#[cfg(test)]
mod tests;
