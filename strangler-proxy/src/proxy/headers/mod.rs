//! What a proxy does to headers on the way through (RFC 9110 §7.6): drop
//! hop-by-hop fields, including those the `Connection` header names; add
//! `X-Forwarded-For/-Proto/-Host` and `Via`; keep or rewrite `Host`. The
//! same rules on raw HTTP/1.1 lines are in [`raw`].

pub mod raw;

use crate::settings::HostPolicy;
use crate::upstream::Upstream;
use http::header::{self, HeaderMap, HeaderName, HeaderValue};
use std::net::IpAddr;

/// Lower-case names both forms use: the `HeaderMap` form's `HeaderName`
/// constants are made from them, the raw form compares lines against them.
mod name {
    pub(super) const CONNECTION: &str = "connection";
    pub(super) const HOST: &str = "host";
    pub(super) const VIA: &str = "via";
    pub(super) const X_FORWARDED_FOR: &str = "x-forwarded-for";
    pub(super) const X_FORWARDED_PROTO: &str = "x-forwarded-proto";
    pub(super) const X_FORWARDED_HOST: &str = "x-forwarded-host";
}

/// Fields that describe one connection, never forwarded.
const HOP_BY_HOP_NAMES: [&str; 8] = [
    name::CONNECTION,
    "keep-alive",
    "proxy-authenticate",
    "proxy-authorization",
    "te",
    "trailer",
    "transfer-encoding",
    "upgrade",
];

/// [`HOP_BY_HOP_NAMES`] as names (`from_static` gives the standard ones'
/// `header::*` representation, so `contains` compares as before).
const HOP_BY_HOP: [HeaderName; 8] = [
    HeaderName::from_static(HOP_BY_HOP_NAMES[0]),
    HeaderName::from_static(HOP_BY_HOP_NAMES[1]),
    HeaderName::from_static(HOP_BY_HOP_NAMES[2]),
    HeaderName::from_static(HOP_BY_HOP_NAMES[3]),
    HeaderName::from_static(HOP_BY_HOP_NAMES[4]),
    HeaderName::from_static(HOP_BY_HOP_NAMES[5]),
    HeaderName::from_static(HOP_BY_HOP_NAMES[6]),
    HeaderName::from_static(HOP_BY_HOP_NAMES[7]),
];

// Names as constants: a `&str` key is parsed again on every use.
const X_FORWARDED_FOR: HeaderName = HeaderName::from_static(name::X_FORWARDED_FOR);
const X_FORWARDED_PROTO: HeaderName = HeaderName::from_static(name::X_FORWARDED_PROTO);
const X_FORWARDED_HOST: HeaderName = HeaderName::from_static(name::X_FORWARDED_HOST);

/// What this proxy adds to `Via`.
const VIA: &str = "1.1 strangler";

/// The `X-Forwarded-Proto` this proxy sets (it serves plain HTTP).
const FORWARDED_PROTO: &str = "http";

/// Whether the request asks to switch protocols (WebSocket and the like).
pub fn is_upgrade(headers: &HeaderMap) -> bool {
    headers.contains_key(header::UPGRADE)
        && headers.get_all(header::CONNECTION).iter().any(|v| {
            v.to_str().is_ok_and(|v| {
                v.split(',')
                    .any(|t| t.trim().eq_ignore_ascii_case("upgrade"))
            })
        })
}

/// Removes hop-by-hop fields; with `keep_upgrade` the `Connection: upgrade` and
/// `Upgrade` pair survives (a protocol switch must reach the upstream).
pub fn strip_hop_by_hop(headers: &mut HeaderMap, keep_upgrade: bool) {
    // Most messages carry none (fields named by `Connection` need `Connection`
    // too): one pass over the names costs less than eight removals.
    if !headers.keys().any(|name| HOP_BY_HOP.contains(name)) {
        return;
    }
    let named: Vec<HeaderName> = headers
        .get_all(header::CONNECTION)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .filter_map(|t| HeaderName::from_bytes(t.trim().as_bytes()).ok())
        .filter(|n| !(keep_upgrade && *n == header::UPGRADE))
        .collect();
    let upgrade = keep_upgrade
        .then(|| headers.get(header::UPGRADE).cloned())
        .flatten();
    for name in named.iter().chain(HOP_BY_HOP.iter()) {
        headers.remove(name);
    }
    if let Some(protocol) = upgrade {
        headers.insert(header::UPGRADE, protocol);
        headers.insert(header::CONNECTION, HeaderValue::from_static("upgrade"));
    }
}

/// Prepares a client request's headers for an upstream.
pub fn to_upstream(headers: &mut HeaderMap, peer: IpAddr, upstream: &Upstream, host: HostPolicy) {
    let upgrade = is_upgrade(headers);
    strip_hop_by_hop(headers, upgrade);
    let original_host = headers.get(header::HOST).cloned();
    let forwarded_for = match headers.get(&X_FORWARDED_FOR).and_then(|v| v.to_str().ok()) {
        Some(prior) => owned_value(format!("{prior}, {peer}")).ok(),
        None => Some(peer_value(peer)),
    };
    if let Some(value) = forwarded_for {
        headers.insert(X_FORWARDED_FOR, value);
    }
    headers.insert(X_FORWARDED_PROTO, HeaderValue::from_static(FORWARDED_PROTO));
    if let Some(h) = &original_host {
        headers.insert(X_FORWARDED_HOST, h.clone());
    }
    append_via(headers);
    if host == HostPolicy::Rewrite || original_host.is_none() {
        headers.insert(header::HOST, upstream.host().clone());
    }
}

/// `peer` as a header value. The last one made on this thread is reused:
/// requests come in runs from the same peer (a keep-alive connection, a load
/// balancer in front), and formatting an address costs more than the rest of
/// the header work.
fn peer_value(peer: IpAddr) -> HeaderValue {
    thread_local! {
        static LAST: std::cell::RefCell<Option<(IpAddr, HeaderValue)>> =
            const { std::cell::RefCell::new(None) };
    }
    LAST.with_borrow_mut(|last| match last {
        Some((ip, value)) if *ip == peer => value.clone(),
        _ => {
            let value = owned_value(peer.to_string())
                .unwrap_or_else(|_| HeaderValue::from_static("unknown"));
            *last = Some((peer, value.clone()));
            value
        }
    })
}

/// Prepares an upstream response's headers for the client.
pub fn to_client(headers: &mut HeaderMap, switching_protocols: bool) {
    strip_hop_by_hop(headers, switching_protocols);
    append_via(headers);
}

fn append_via(headers: &mut HeaderMap) {
    let value = match headers.get(header::VIA).and_then(|v| v.to_str().ok()) {
        Some(prior) => owned_value(format!("{prior}, {VIA}")),
        None => Ok(HeaderValue::from_static(VIA)),
    };
    if let Ok(value) = value {
        headers.insert(header::VIA, value);
    }
}

/// A header value that takes the string's buffer instead of copying it.
fn owned_value(text: String) -> Result<HeaderValue, http::header::InvalidHeaderValue> {
    HeaderValue::from_maybe_shared(bytes::Bytes::from(text))
}

#[cfg(test)]
mod tests;
