//! The `HeaderMap` form's rules, by example.

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
