//! The raw form by example, and by property against the `HeaderMap` form.

use super::*;
use crate::proxy::headers::{is_upgrade, strip_hop_by_hop, to_client, to_upstream};
use http::{HeaderMap, HeaderValue};

fn upstream() -> Upstream {
    Upstream::parse("http://10.0.0.9:9000").unwrap()
}

fn lines<'a>(pairs: &[(&'a str, &'a [u8])]) -> Vec<Header<'a>> {
    pairs
        .iter()
        .map(|&(name, value)| Header { name, value })
        .collect()
}

/// The written lines as (name, value) text, names lower-cased.
fn written(out: &[u8]) -> Vec<(String, String)> {
    split(out)
        .into_iter()
        .map(|(n, v)| {
            (
                n.to_ascii_lowercase(),
                String::from_utf8_lossy(v).into_owned(),
            )
        })
        .collect()
}

/// Output lines split at the first `:`, values trimmed (as a parser reads them).
fn split(out: &[u8]) -> Vec<(String, &[u8])> {
    let mut lines: Vec<&[u8]> = out.split(|&b| b == b'\n').collect();
    assert_eq!(lines.pop(), Some(&b""[..]), "ends in a line end: {out:?}");
    lines
        .into_iter()
        .map(|line| {
            let line = line.strip_suffix(b"\r").unwrap();
            let colon = line.iter().position(|&b| b == b':').unwrap();
            let name = std::str::from_utf8(&line[..colon]).unwrap().to_owned();
            (name, line[colon + 1..].trim_ascii())
        })
        .collect()
}

fn upstream_text(
    pairs: &[(&str, &[u8])],
    overrides: &[Override<'_>],
    peer: &str,
    host: HostPolicy,
) -> Vec<(String, String)> {
    let mut out = Vec::new();
    let fields = lines(pairs);
    write_upstream_fields(
        &mut out,
        &fields,
        overrides,
        peer.parse().unwrap(),
        &upstream(),
        host,
    );
    written(&out)
}

fn client_text(pairs: &[(&str, &[u8])]) -> Vec<(String, String)> {
    let mut out = Vec::new();
    write_client_fields(&mut out, &lines(pairs));
    written(&out)
}

fn pairs(expected: &[(&str, &str)]) -> Vec<(String, String)> {
    expected
        .iter()
        .map(|(n, v)| ((*n).to_owned(), (*v).to_owned()))
        .collect()
}

#[test]
fn hop_by_hop_lines_and_those_connection_names_are_dropped() {
    let got = client_text(&[
        ("Connection", b"keep-alive, X-Secret-Hop"),
        ("Keep-Alive", b"timeout=5"),
        ("x-secret-hop", b"1"),
        ("Transfer-Encoding", b"chunked"),
        ("TE", b"trailers"),
        ("Trailer", b"x-sum"),
        ("Upgrade", b"h2c"),
        ("Proxy-Authenticate", b"Basic"),
        ("Proxy-Authorization", b"Basic eA=="),
        ("Content-Length", b"3"),
        ("X-Kept", b"yes"),
    ]);
    assert_eq!(
        got,
        pairs(&[
            ("content-length", "3"),
            ("x-kept", "yes"),
            ("via", "1.1 strangler")
        ])
    );
}

#[test]
fn every_connection_line_names_fields_and_one_that_is_not_text_names_none() {
    let got = client_text(&[
        ("x-a", b"1"),
        ("connection", b" x-a ,\tx-b"),
        ("x-b", b"2"),
        ("x-c", b"3"),
        ("x-d", b"4"),
        ("connection", b"x-c"),
        ("connection", b"x-d, caf\xe9"),
    ]);
    assert_eq!(
        got,
        pairs(&[("x-d", "4"), ("via", "1.1 strangler")]),
        "a value `to_str` refuses is skipped whole, as in `strip_hop_by_hop`"
    );
}

#[test]
fn forwarded_for_extends_the_first_value_with_the_peer() {
    let got = upstream_text(
        &[
            ("X-Forwarded-For", b"1.2.3.4"),
            ("x-forwarded-for", b"5.6.7.8"),
        ],
        &[],
        "::1",
        HostPolicy::Rewrite,
    );
    assert_eq!(
        got,
        pairs(&[
            ("x-forwarded-for", "1.2.3.4, ::1"),
            ("x-forwarded-proto", "http"),
            ("via", "1.1 strangler"),
            ("host", "10.0.0.9:9000"),
        ])
    );
}

#[test]
fn a_forwarded_for_that_is_not_text_is_replaced_by_the_peer() {
    let got = upstream_text(
        &[
            ("x-forwarded-for", b"1.2.3.4\xff"),
            ("x-forwarded-for", b"5.6.7.8"),
        ],
        &[],
        "10.1.1.1",
        HostPolicy::Rewrite,
    );
    assert_eq!(
        got[0],
        ("x-forwarded-for".to_owned(), "10.1.1.1".to_owned()),
        "as `to_upstream`: the first value's `to_str` fails, the peer alone is set"
    );
    assert_eq!(
        got.iter().filter(|(n, _)| n == "x-forwarded-for").count(),
        1
    );
}

#[test]
fn forwarded_headers_via_and_a_rewritten_host() {
    let got = upstream_text(
        &[
            ("Host", b"shop.example"),
            ("Accept", b"*/*"),
            ("X-Forwarded-Proto", b"https"),
            ("X-Forwarded-Host", b"edge.example"),
            ("Via", b"1.0 edge"),
            ("via", b"1.0 other"),
        ],
        &[],
        "127.0.0.1",
        HostPolicy::Rewrite,
    );
    assert_eq!(
        got,
        pairs(&[
            ("accept", "*/*"),
            ("x-forwarded-for", "127.0.0.1"),
            ("x-forwarded-proto", "http"),
            ("x-forwarded-host", "shop.example"),
            ("via", "1.0 edge, 1.1 strangler"),
            ("host", "10.0.0.9:9000"),
        ])
    );
}

#[test]
fn a_kept_host_stays_as_sent() {
    let got = upstream_text(
        &[("Host", b"shop.example"), ("Via", b"caf\xe9")],
        &[],
        "127.0.0.1",
        HostPolicy::Keep,
    );
    assert_eq!(
        got,
        pairs(&[
            ("host", "shop.example"),
            ("x-forwarded-for", "127.0.0.1"),
            ("x-forwarded-proto", "http"),
            ("x-forwarded-host", "shop.example"),
            ("via", "1.1 strangler"),
        ]),
        "a `Via` that is not text is replaced, not extended"
    );
}

#[test]
fn without_a_host_the_clients_forwarded_host_passes_and_host_is_set() {
    for policy in [HostPolicy::Keep, HostPolicy::Rewrite] {
        let got = upstream_text(
            &[("x-forwarded-host", b"edge.example")],
            &[],
            "127.0.0.1",
            policy,
        );
        assert_eq!(
            got,
            pairs(&[
                ("x-forwarded-host", "edge.example"),
                ("x-forwarded-for", "127.0.0.1"),
                ("x-forwarded-proto", "http"),
                ("via", "1.1 strangler"),
                ("host", "10.0.0.9:9000"),
            ])
        );
    }
}

#[test]
fn a_host_connection_names_counts_as_no_host() {
    let got = upstream_text(
        &[("connection", b"Host"), ("host", b"shop.example")],
        &[],
        "127.0.0.1",
        HostPolicy::Keep,
    );
    assert!(got.contains(&("host".to_owned(), "10.0.0.9:9000".to_owned())));
    assert!(!got.iter().any(|(n, _)| n == "x-forwarded-host"));
}

#[test]
fn overrides_replace_or_drop_the_clients_lines() {
    let traceparent = HeaderName::from_static("traceparent");
    let tracestate = HeaderName::from_static("tracestate");
    let overrides = [
        Override {
            name: &traceparent,
            value: Some(b"00-ours-01"),
        },
        Override {
            name: &tracestate,
            value: None,
        },
    ];
    let got = upstream_text(
        &[
            ("Traceparent", b"00-theirs-01"),
            ("traceparent", b"00-again-01"),
            ("TraceState", b"a=b"),
            ("accept", b"*/*"),
        ],
        &overrides,
        "127.0.0.1",
        HostPolicy::Rewrite,
    );
    assert_eq!(
        &got[..2],
        &pairs(&[("accept", "*/*"), ("traceparent", "00-ours-01")])[..]
    );
    assert!(!got.iter().any(|(n, _)| n == "tracestate"));
}

#[test]
fn the_clients_connection_cannot_drop_an_override() {
    let id = HeaderName::from_static("x-correlation-id");
    let overrides = [Override {
        name: &id,
        value: Some(b"ours"),
    }];
    let got = upstream_text(
        &[
            ("connection", b"x-correlation-id, x-mine"),
            ("x-correlation-id", b"theirs"),
            ("x-mine", b"1"),
        ],
        &overrides,
        "127.0.0.1",
        HostPolicy::Rewrite,
    );
    assert_eq!(got[0], ("x-correlation-id".to_owned(), "ours".to_owned()));
    assert!(!got.iter().any(|(n, _)| n == "x-mine" || n == "connection"));
}

#[test]
fn the_last_override_of_a_name_stands() {
    let id = HeaderName::from_static("x-correlation-id");
    let set = |value: Option<&'static [u8]>| Override { name: &id, value };
    let got = upstream_text(
        &[],
        &[set(Some(b"one")), set(Some(b"two"))],
        "127.0.0.1",
        HostPolicy::Rewrite,
    );
    assert_eq!(got[0], ("x-correlation-id".to_owned(), "two".to_owned()));
    let got = upstream_text(
        &[("x-correlation-id", b"theirs")],
        &[set(Some(b"one")), set(None)],
        "127.0.0.1",
        HostPolicy::Rewrite,
    );
    assert!(!got.iter().any(|(n, _)| n == "x-correlation-id"));
}

#[test]
fn client_lines_keep_their_names_as_sent() {
    let mut out = Vec::new();
    write_client_fields(&mut out, &lines(&[("Content-Type", b"text/plain")]));
    assert_eq!(
        out,
        b"Content-Type: text/plain\r\nvia: 1.1 strangler\r\n".to_vec()
    );
}

#[test]
fn output_is_appended_to_what_the_buffer_holds() {
    let mut out = b"HTTP/1.1 200 OK\r\n".to_vec();
    write_client_fields(&mut out, &lines(&[("Via", b"1.0 a")]));
    assert_eq!(
        out,
        b"HTTP/1.1 200 OK\r\nvia: 1.0 a, 1.1 strangler\r\n".to_vec()
    );
}

mod props {
    use super::*;
    use proptest::prelude::*;
    use std::net::{Ipv4Addr, Ipv6Addr};

    const POOL: &[&str] = &[
        "connection",
        "keep-alive",
        "te",
        "trailer",
        "transfer-encoding",
        "upgrade",
        "proxy-authorization",
        "proxy-authenticate",
        "host",
        "via",
        "x-forwarded-for",
        "x-forwarded-proto",
        "x-forwarded-host",
        "traceparent",
        "tracestate",
        "x-correlation-id",
        "accept",
        "x-custom",
        "x-other.v2",
    ];

    /// Names the proxy overrides; now and then one the rules also touch.
    const OVERRIDDEN: &[&str] = &[
        "traceparent",
        "tracestate",
        "x-correlation-id",
        "traceparent",
        "tracestate",
        "x-correlation-id",
        "x-forwarded-for",
        "via",
        "host",
    ];

    /// `name` with the letters `case` marks in upper case.
    fn cased(name: &str, case: u64) -> String {
        name.chars()
            .enumerate()
            .map(|(i, c)| {
                if case >> (i % 64) & 1 == 1 {
                    c.to_ascii_uppercase()
                } else {
                    c
                }
            })
            .collect()
    }

    fn pool_name() -> impl Strategy<Value = String> {
        (prop::sample::select(POOL), any::<u64>()).prop_map(|(n, case)| cased(n, case))
    }

    /// A value as httparse gives it: no surrounding blanks; text, or bytes
    /// with obs-text (which `HeaderValue` holds but `to_str` refuses).
    fn value() -> impl Strategy<Value = Vec<u8>> {
        prop_oneof![
            4 => "[!-~]([ \t!-~]{0,16}[!-~])?".prop_map(String::into_bytes),
            1 => Just(Vec::new()),
            2 => prop::collection::vec(prop_oneof![0x21u8..=0x7e, 0x80u8..=0xff], 1..12),
        ]
    }

    /// A `Connection` value: pool names and odd tokens, any spacing, now and
    /// then with an obs-text byte.
    fn connection_value() -> impl Strategy<Value = Vec<u8>> {
        let token = prop_oneof![
            4 => pool_name(),
            1 => Just(String::new()),
            1 => Just("close".to_owned()),
        ];
        let sep = prop::sample::select(vec![",", ", ", " ,\t", ",,"]);
        (
            prop::collection::vec((token, sep), 1..4),
            prop::option::weighted(0.15, 0x80u8..=0xff),
        )
            .prop_map(|(tokens, obs)| {
                let mut value = Vec::new();
                for (i, (token, sep)) in tokens.iter().enumerate() {
                    if i > 0 {
                        value.extend_from_slice(sep.as_bytes());
                    }
                    value.extend_from_slice(token.as_bytes());
                }
                value.extend(obs);
                value.trim_ascii().to_vec()
            })
    }

    fn line() -> impl Strategy<Value = (String, Vec<u8>)> {
        prop_oneof![
            1 => (any::<u64>(), connection_value())
                .prop_map(|(case, v)| (cased("connection", case), v)),
            6 => (pool_name(), value()),
        ]
    }

    fn overrides() -> impl Strategy<Value = Vec<(HeaderName, Option<Vec<u8>>)>> {
        let value = "[!-~]([ !-~]{0,16}[!-~])?".prop_map(String::into_bytes);
        prop::collection::vec(
            (prop::sample::select(OVERRIDDEN), prop::option::of(value))
                .prop_map(|(n, v)| (HeaderName::from_static(n), v)),
            0..4,
        )
    }

    fn peer() -> impl Strategy<Value = IpAddr> {
        prop_oneof![
            any::<Ipv4Addr>().prop_map(IpAddr::V4),
            any::<Ipv6Addr>().prop_map(IpAddr::V6),
        ]
    }

    fn policy() -> impl Strategy<Value = HostPolicy> {
        prop::sample::select(vec![HostPolicy::Keep, HostPolicy::Rewrite])
    }

    /// The head text of `lines` after `start`, as a client or upstream sends it.
    fn head(start: &str, lines: &[(String, Vec<u8>)]) -> Vec<u8> {
        let mut text = start.as_bytes().to_vec();
        for (name, value) in lines {
            text.extend_from_slice(name.as_bytes());
            text.extend_from_slice(b": ");
            text.extend_from_slice(value);
            text.extend_from_slice(b"\r\n");
        }
        text.extend_from_slice(b"\r\n");
        text
    }

    /// The lines of a head as httparse reads them (the fast path's input).
    fn parsed<'b>(
        text: &'b [u8],
        storage: &'b mut [Header<'b>],
    ) -> Result<&'b [Header<'b>], TestCaseError> {
        let mut req = httparse::Request::new(storage);
        match req.parse(text) {
            Ok(httparse::Status::Complete(n)) if n == text.len() => Ok(req.headers),
            other => Err(TestCaseError::fail(format!("{other:?}: {text:?}"))),
        }
    }

    fn map_of(fields: &[Header<'_>]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for f in fields {
            map.append(
                HeaderName::from_bytes(f.name.as_bytes()).unwrap(),
                HeaderValue::from_bytes(f.value).unwrap(),
            );
        }
        map
    }

    /// The written lines read back into a map.
    fn read_back(out: &[u8]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for (name, value) in split(out) {
            map.append(
                HeaderName::from_bytes(name.as_bytes()).unwrap(),
                HeaderValue::from_bytes(value).unwrap(),
            );
        }
        map
    }

    /// A map as a multimap: each name's values in order, names sorted.
    fn multimap(map: &HeaderMap) -> Vec<(String, Vec<Vec<u8>>)> {
        let mut all: Vec<_> = map
            .keys()
            .map(|k| {
                let values = map.get_all(k).iter().map(|v| v.as_bytes().to_vec());
                (k.as_str().to_owned(), values.collect())
            })
            .collect();
        all.sort();
        all
    }

    /// Every line `out` holds, wrapped in `start`, reads as a whole head.
    fn parses_as_head(start: &str, out: &[u8]) -> Result<(), TestCaseError> {
        let mut text = start.as_bytes().to_vec();
        text.extend_from_slice(out);
        text.extend_from_slice(b"\r\n");
        let mut storage = [httparse::EMPTY_HEADER; 128];
        let expected = split(out);
        let status = if start.starts_with("HTTP/") {
            httparse::Response::new(&mut storage).parse(&text)
        } else {
            httparse::Request::new(&mut storage).parse(&text)
        };
        prop_assert_eq!(status, Ok(httparse::Status::Complete(text.len())));
        let read: Vec<(String, &[u8])> = storage
            .iter()
            .take(expected.len())
            .map(|h| (h.name.to_owned(), h.value))
            .collect();
        prop_assert_eq!(read, expected);
        Ok(())
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(512))]

        /// The raw form leaves the fields `to_upstream` leaves, after the
        /// same overrides, and they read back as a request head.
        #[test]
        fn upstream_fields_agree_with_the_map_form(
            lines in prop::collection::vec(line(), 0..16),
            overrides in overrides(),
            peer in peer(),
            host in policy(),
        ) {
            let text = head("GET / HTTP/1.1\r\n", &lines);
            let mut storage = [httparse::EMPTY_HEADER; 64];
            let fields = parsed(&text, &mut storage)?;

            let mut map = map_of(fields);
            // The fast path never carries a protocol switch.
            prop_assume!(!is_upgrade(&map));
            // As the data plane does: the client's hop-by-hop fields go
            // before the proxy sets its own.
            strip_hop_by_hop(&mut map, false);
            for (name, value) in &overrides {
                match value {
                    Some(v) => map.insert(name, HeaderValue::from_bytes(v).unwrap()),
                    None => map.remove(name),
                };
            }
            to_upstream(&mut map, peer, &upstream(), host);

            let set: Vec<Override<'_>> = overrides
                .iter()
                .map(|(name, value)| Override { name, value: value.as_deref() })
                .collect();
            let mut out = Vec::new();
            write_upstream_fields(&mut out, fields, &set, peer, &upstream(), host);

            prop_assert_eq!(multimap(&read_back(&out)), multimap(&map));
            parses_as_head("GET / HTTP/1.1\r\n", &out)?;
        }

        /// The raw form leaves the fields `to_client(_, false)` leaves, and
        /// they read back as a response head.
        #[test]
        fn client_fields_agree_with_the_map_form(
            lines in prop::collection::vec(line(), 0..16),
        ) {
            let text = head("GET / HTTP/1.1\r\n", &lines);
            let mut storage = [httparse::EMPTY_HEADER; 64];
            let fields = parsed(&text, &mut storage)?;

            let mut map = map_of(fields);
            to_client(&mut map, false);
            let mut out = Vec::new();
            write_client_fields(&mut out, fields);

            prop_assert_eq!(multimap(&read_back(&out)), multimap(&map));
            parses_as_head("HTTP/1.1 200 OK\r\n", &out)?;
        }
    }
}
