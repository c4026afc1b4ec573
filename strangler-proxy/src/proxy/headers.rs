//! What a proxy does to headers on the way through (RFC 9110 §7.6): drop
//! hop-by-hop fields, including those the `Connection` header names; add
//! `X-Forwarded-For/-Proto/-Host` and `Via`; keep or rewrite `Host`.

use crate::settings::HostPolicy;
use crate::upstream::Upstream;
use http::header::{self, HeaderMap, HeaderName, HeaderValue};
use std::net::IpAddr;

/// Fields that describe one connection, never forwarded.
const HOP_BY_HOP: [HeaderName; 8] = [
    header::CONNECTION,
    HeaderName::from_static("keep-alive"),
    header::PROXY_AUTHENTICATE,
    header::PROXY_AUTHORIZATION,
    header::TE,
    header::TRAILER,
    header::TRANSFER_ENCODING,
    header::UPGRADE,
];

// Names as constants: a `&str` key is parsed again on every use.
const X_FORWARDED_FOR: HeaderName = HeaderName::from_static("x-forwarded-for");
const X_FORWARDED_PROTO: HeaderName = HeaderName::from_static("x-forwarded-proto");
const X_FORWARDED_HOST: HeaderName = HeaderName::from_static("x-forwarded-host");

/// What this proxy adds to `Via`.
const VIA: &str = "1.1 strangler";

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
    headers.insert(X_FORWARDED_PROTO, HeaderValue::from_static("http"));
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
mod tests {
    use super::*;

    fn map(pairs: &[(&'static str, &'static str)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (k, v) in pairs {
            h.append(*k, HeaderValue::from_static(v));
        }
        h
    }

    #[test]
    fn hop_by_hop_fields_and_those_connection_names_are_dropped() {
        let mut h = map(&[
            ("connection", "keep-alive, x-secret-hop"),
            ("keep-alive", "timeout=5"),
            ("x-secret-hop", "1"),
            ("transfer-encoding", "chunked"),
            ("te", "trailers"),
            ("x-kept", "yes"),
        ]);
        strip_hop_by_hop(&mut h, false);
        assert_eq!(h.len(), 1);
        assert_eq!(h["x-kept"], "yes");
    }

    #[test]
    fn a_message_without_hop_by_hop_fields_is_left_alone() {
        let mut h = map(&[("accept", "*/*"), ("x-kept", "yes"), ("host", "a")]);
        strip_hop_by_hop(&mut h, false);
        assert_eq!(h.len(), 3);
        let mut h = map(&[("accept", "*/*"), ("keep-alive", "timeout=5")]);
        strip_hop_by_hop(&mut h, false);
        assert_eq!(
            h.len(),
            1,
            "keep-alive alone (without Connection) is dropped too"
        );
    }

    #[test]
    fn forwarded_for_takes_ipv6_peers_and_via_is_added_once() {
        let up = Upstream::parse("http://10.0.0.9:9000").unwrap();
        let mut h = map(&[]);
        to_upstream(&mut h, "::1".parse().unwrap(), &up, HostPolicy::Rewrite);
        assert_eq!(h["x-forwarded-for"], "::1");
        assert_eq!(h["via"], "1.1 strangler");
        assert!(
            !h.contains_key("x-forwarded-host"),
            "no Host, nothing to forward"
        );
    }

    #[test]
    fn each_peer_is_forwarded_as_itself_in_runs_and_alternating() {
        let up = Upstream::parse("http://10.0.0.9:9000").unwrap();
        for peer in ["10.1.1.1", "10.1.1.1", "10.2.2.2", "10.1.1.1", "::1", "::1"] {
            let mut h = map(&[]);
            to_upstream(&mut h, peer.parse().unwrap(), &up, HostPolicy::Rewrite);
            assert_eq!(h["x-forwarded-for"], peer);
        }
    }

    #[test]
    fn forwarded_headers_via_and_host() {
        let up = Upstream::parse("http://10.0.0.9:9000").unwrap();
        let mut h = map(&[
            ("host", "shop.example"),
            ("x-forwarded-for", "1.2.3.4"),
            ("via", "1.0 edge"),
        ]);
        to_upstream(
            &mut h,
            "127.0.0.1".parse().unwrap(),
            &up,
            HostPolicy::Rewrite,
        );
        assert_eq!(h["host"], "10.0.0.9:9000");
        assert_eq!(h["x-forwarded-for"], "1.2.3.4, 127.0.0.1");
        assert_eq!(h["x-forwarded-host"], "shop.example");
        assert_eq!(h["x-forwarded-proto"], "http");
        assert_eq!(h["via"], "1.0 edge, 1.1 strangler");
        let mut h = map(&[("host", "shop.example")]);
        to_upstream(&mut h, "127.0.0.1".parse().unwrap(), &up, HostPolicy::Keep);
        assert_eq!(h["host"], "shop.example");
    }

    #[test]
    fn an_upgrade_keeps_its_pair() {
        let mut h = map(&[
            ("connection", "Upgrade"),
            ("upgrade", "websocket"),
            ("sec-websocket-key", "k"),
        ]);
        assert!(is_upgrade(&h));
        strip_hop_by_hop(&mut h, true);
        assert_eq!(h["upgrade"], "websocket");
        assert_eq!(h["connection"], "upgrade");
    }
}
