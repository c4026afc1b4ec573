//! The rules of [`super`] on raw HTTP/1.1 header lines. The fast forwarding
//! path writes a head's lines straight into its output buffer: building a
//! `HeaderMap` only to apply the rules and write it out again would cost more
//! than the rest of the head's work. The rules are the `HeaderMap` form's
//! (`to_upstream`, `to_client`), not a variant of them: `tests.rs` checks by
//! property that both forms leave the same fields.
//!
//! Nothing here allocates beyond growing the output: the names `Connection`
//! lists are found by scanning its lines' tokens when each line is decided
//! (a head has at most a few dozen lines, and usually one `Connection`).

use super::{FORWARDED_PROTO, HOP_BY_HOP_NAMES, VIA, name, peer_value};
use crate::settings::HostPolicy;
use crate::upstream::Upstream;
use http::HeaderName;
use httparse::Header;
use std::net::IpAddr;

/// A field the caller sets on the way upstream: every client line of that
/// name is dropped and, when `value` is `Some`, one line `name: value` is
/// written instead. The client's `Connection` cannot drop it (it names the
/// client's own fields); a hop-by-hop name would be dropped like any.
#[derive(Debug, Clone, Copy)]
pub struct Override<'a> {
    /// The field's name.
    pub name: &'a HeaderName,
    /// Its value (the map's `insert`), or `None` to drop it (`remove`).
    pub value: Option<&'a [u8]>,
}

/// Writes the request's header lines as `to_upstream(headers, peer, upstream,
/// host)` would leave them (after `strip_hop_by_hop` on the client's map,
/// then the overrides applied with `insert`/`remove`), each as
/// `name: value\r\n`, into `out` (no final empty line). `fields` are the
/// client's lines in order.
///
/// Only for requests that do not switch protocols (`is_upgrade` false):
/// `Upgrade` is dropped like any hop-by-hop field. Kept client lines come out
/// in their order with their names as sent, the proxy's own after them; a
/// later override of the same name wins, as a later `insert` would.
pub fn write_upstream_fields(
    out: &mut Vec<u8>,
    fields: &[Header<'_>],
    overrides: &[Override<'_>],
    peer: IpAddr,
    upstream: &Upstream,
    host: HostPolicy,
) {
    let lines = Lines::new(fields, overrides);
    // `to_upstream` reads the first `Host` before it changes anything, and
    // whether there is one decides client `X-Forwarded-Host` lines wherever
    // they stand. All `Host` lines are hop-by-hop or none is (same name).
    let original_host = lines
        .all()
        .find(|(n, _, _)| is(n, name::HOST))
        .filter(|&(n, _, client)| !lines.is_hop_by_hop(n, client))
        .map(|(_, v, _)| v);
    let rewrite_host = host == HostPolicy::Rewrite || original_host.is_none();
    // Of the fields `to_upstream` replaces, it reads the first value of
    // `X-Forwarded-For` and `Via` (`HeaderMap::get`).
    let mut forwarded_for = None;
    let mut via = None;
    for (n, v) in lines.kept() {
        let replaced = if is(n, name::X_FORWARDED_FOR) {
            forwarded_for = forwarded_for.or(Some(v));
            true
        } else if is(n, name::VIA) {
            via = via.or(Some(v));
            true
        } else if is(n, name::HOST) {
            rewrite_host
        } else if is(n, name::X_FORWARDED_HOST) {
            original_host.is_some()
        } else {
            is(n, name::X_FORWARDED_PROTO)
        };
        if !replaced {
            field(out, n, &[v]);
        }
    }
    let peer = peer_value(peer);
    // A prior value that is not text is dropped, not extended: `to_str`
    // fails and the map form sets the peer alone.
    match forwarded_for {
        Some(prior) if is_text(prior) => {
            field(out, name::X_FORWARDED_FOR, &[prior, b", ", peer.as_bytes()])
        }
        _ => field(out, name::X_FORWARDED_FOR, &[peer.as_bytes()]),
    }
    field(out, name::X_FORWARDED_PROTO, &[FORWARDED_PROTO.as_bytes()]);
    if let Some(original) = original_host {
        field(out, name::X_FORWARDED_HOST, &[original]);
    }
    write_via(out, via);
    if rewrite_host {
        field(out, name::HOST, &[upstream.host().as_bytes()]);
    }
}

/// Writes an upstream response's header lines as `to_client(headers, false)`
/// would leave them, each as `name: value\r\n`, into `out` (no final empty
/// line).
pub fn write_client_fields(out: &mut Vec<u8>, fields: &[Header<'_>]) {
    let lines = Lines::new(fields, &[]);
    let mut via = None;
    for (n, v) in lines.kept() {
        if is(n, name::VIA) {
            via = via.or(Some(v));
        } else {
            field(out, n, &[v]);
        }
    }
    write_via(out, via);
}

/// `Via` as `append_via` sets it from the first prior value.
fn write_via(out: &mut Vec<u8>, prior: Option<&[u8]>) {
    match prior {
        Some(prior) if is_text(prior) => field(out, name::VIA, &[prior, b", ", VIA.as_bytes()]),
        _ => field(out, name::VIA, &[VIA.as_bytes()]),
    }
}

/// The lines the rules see: the client's, less those an override names, then
/// the overrides' values (the map after `insert`/`remove`).
struct Lines<'a> {
    fields: &'a [Header<'a>],
    overrides: &'a [Override<'a>],
    /// The client's lines from its first `Connection` line to its last; empty
    /// when it sent none.
    connection: &'a [Header<'a>],
}

impl<'a> Lines<'a> {
    fn new(fields: &'a [Header<'a>], overrides: &'a [Override<'a>]) -> Self {
        let is_connection = |f: &Header<'_>| is(f.name, name::CONNECTION);
        let first = fields.iter().position(is_connection);
        let first = first.unwrap_or(fields.len());
        let end = fields
            .iter()
            .rposition(is_connection)
            .map_or(first, |last| last + 1);
        Self {
            fields,
            overrides,
            connection: fields.get(first..end).unwrap_or_default(),
        }
    }

    /// Every line, hop-by-hop ones included, and whether it is the client's.
    fn all(&self) -> impl Iterator<Item = (&'a str, &'a [u8], bool)> + use<'a> {
        let overrides = self.overrides;
        let client = self
            .fields
            .iter()
            .filter(move |f| !overrides.iter().any(|o| is(f.name, o.name.as_str())))
            .map(|f| (f.name, f.value, true));
        let set = overrides.iter().enumerate().filter_map(move |(i, o)| {
            // Of several overrides of one name the last stands.
            let later = overrides[i + 1..].iter().any(|l| l.name == o.name);
            o.value
                .filter(|_| !later)
                .map(|v| (o.name.as_str(), v, false))
        });
        client.chain(set)
    }

    /// The lines that are forwarded at all.
    fn kept(&self) -> impl Iterator<Item = (&'a str, &'a [u8])> {
        self.all()
            .filter(|&(n, _, client)| !self.is_hop_by_hop(n, client))
            .map(|(n, v, _)| (n, v))
    }

    /// Whether the line `field` is hop-by-hop: by its name, or, for a
    /// client's line, because the client's `Connection` names it (it speaks
    /// for the client's message, not for what the proxy adds).
    fn is_hop_by_hop(&self, field: &str, client: bool) -> bool {
        HOP_BY_HOP_NAMES.iter().any(|h| is(field, h))
            || client
                && self
                    .connection
                    .iter()
                    .filter(|f| is(f.name, name::CONNECTION))
                    .any(|f| lists(f.value, field))
    }
}

/// Whether a `Connection` value names `field`. Like `strip_hop_by_hop`, only
/// text values count, and tokens are trimmed and compared in any case.
fn lists(value: &[u8], field: &str) -> bool {
    is_text(value)
        && value
            .split(|&b| b == b',')
            .any(|token| token.trim_ascii().eq_ignore_ascii_case(field.as_bytes()))
}

/// Whether `HeaderValue::to_str` would accept `value`.
pub(crate) fn is_text(value: &[u8]) -> bool {
    value
        .iter()
        .all(|&b| b == b'\t' || (b' '..=b'~').contains(&b))
}

/// Whether `name` is a field name `http` would accept: a token (RFC 9110
/// §5.6.2).
pub(crate) fn is_token(name: &str) -> bool {
    !name.is_empty()
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b))
}

fn is(field: &str, name: &str) -> bool {
    field.eq_ignore_ascii_case(name)
}

/// Writes `name: ` the pieces `\r\n`.
fn field(out: &mut Vec<u8>, name: &str, value: &[&[u8]]) {
    out.extend_from_slice(name.as_bytes());
    out.extend_from_slice(b": ");
    for piece in value {
        out.extend_from_slice(piece);
    }
    out.extend_from_slice(b"\r\n");
}

#[cfg(test)]
mod tests;
