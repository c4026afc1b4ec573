//! The own codec's request reading, by example and by property.

use super::*;

/// Bytes a test can hand to [`parse`].
fn buffer(text: &str) -> BytesMut {
    BytesMut::from(text.as_bytes())
}

fn ready(text: &str) -> (Request<Body>, Exchange, BytesMut) {
    let mut buf = buffer(text);
    match parse(&mut buf) {
        Parsed::Ready(head) => {
            let (req, exchange) = head.into_request(&mut buf).unwrap();
            (req, exchange, buf)
        }
        _ => panic!("not served here: {text:?}"),
    }
}

fn handed_off(text: &str) -> bool {
    let mut buf = buffer(text);
    let handed = matches!(parse(&mut buf), Parsed::Handoff);
    assert_eq!(
        &buf[..],
        text.as_bytes(),
        "the buffer is left whole for hyper"
    );
    handed
}

#[test]
fn a_plain_request_is_read_and_taken_off_the_buffer() {
    let (req, exchange, rest) = ready(
        "GET /a/b?c=1 HTTP/1.1\r\nHost: shop\r\nX-Two: 1\r\nx-two: 2\r\nConnection: keep-alive, close\r\n\r\nGET /next",
    );
    assert_eq!(req.method(), Method::GET);
    assert_eq!(req.uri().path(), "/a/b");
    assert_eq!(req.uri().query(), Some("c=1"));
    assert_eq!(req.headers()["host"], "shop");
    let twos: Vec<_> = req.headers().get_all("x-two").iter().collect();
    assert_eq!(twos, ["1", "2"]);
    assert!(exchange.close && !exchange.head_only);
    assert_eq!(&rest[..], b"GET /next", "a pipelined request stays");
}

#[test]
fn an_incomplete_head_waits_for_more() {
    let mut buf = buffer("GET / HTTP/1.1\r\nHost: a\r\n");
    assert!(matches!(parse(&mut buf), Parsed::Partial));
}

#[test]
fn what_is_not_plain_goes_to_hyper() {
    for text in [
        "POST / HTTP/1.1\r\nContent-Length: 2\r\n\r\nhi",
        "POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n",
        "PUT / HTTP/1.1\r\nExpect: 100-continue\r\nContent-Length: 0\r\n\r\n",
        "GET /ws HTTP/1.1\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n\r\n",
        "GET / HTTP/1.0\r\n\r\n",
        "GET http://elsewhere/ HTTP/1.1\r\n\r\n",
        "GET / HTTP/1.1\r\nBad Header: x\r\n\r\n",
        "BREW / HTCPCP/1.0\r\n\r\n",
        // A target `httparse` reads and `http` refuses: the head, already
        // taken off, is put back with what followed it.
        "GET /a<b HTTP/1.1\r\nHost: a\r\n\r\nGET /next HTTP/1.1\r\n\r\n",
    ] {
        assert!(handed_off(text), "{text:?}");
    }
    let mut many = String::from("GET / HTTP/1.1\r\n");
    for i in 0..=MAX_HEADERS {
        many.push_str(&format!("x-{i}: {i}\r\n"));
    }
    many.push_str("\r\n");
    assert!(handed_off(&many));
}

#[test]
fn a_head_of_64_kib_or_more_goes_to_hyper_whole() {
    // Its lines' places are kept in 16 bits; one that arrives complete in a
    // single read is not cut short or misread but handed over.
    let head = |pad: usize| format!("GET / HTTP/1.1\r\nx-pad: {}\r\n\r\n", "p".repeat(pad));
    let largest = head(usize::from(u16::MAX) - head(0).len());
    assert_eq!(largest.len(), usize::from(u16::MAX));
    let (req, _, _) = ready(&largest);
    assert_eq!(req.headers()["x-pad"].len(), largest.len() - head(0).len());
    assert!(handed_off(&head(usize::from(u16::MAX))));
}

#[test]
fn an_empty_body_by_length_and_head_are_plain() {
    let (req, _, _) = ready("DELETE /x HTTP/1.1\r\nContent-Length: 0\r\n\r\n");
    assert_eq!(req.method(), Method::DELETE);
    let (_, exchange, _) = ready("HEAD /x HTTP/1.1\r\n\r\n");
    assert!(exchange.head_only && !exchange.close);
}

#[test]
fn dates_are_http_dates() {
    let text = http_date();
    let text = std::str::from_utf8(&text).unwrap();
    assert!(httpdate::parse_http_date(text).is_ok(), "{text}");
}

mod props {
    use super::*;
    use proptest::prelude::*;

    /// A plain request head: method, origin-form target, header lines
    /// (none that frames a body, switches protocols or expects).
    fn plain_head() -> impl Strategy<Value = (String, String, Vec<(String, String)>)> {
        let method = prop::sample::select(vec!["GET", "HEAD", "DELETE", "OPTIONS", "PURGE"]);
        let target = "/[a-z0-9/._~-]{0,20}(\\?[a-z0-9=&]{0,10})?";
        let name = "x-[a-z0-9-]{1,12}";
        let value = "[!-~]([ !-~]{0,20}[!-~])?";
        // Past 16 lines a head keeps their places on the heap: both kinds.
        let lines = prop::collection::vec((name, value), 0..40);
        (method, target, lines).prop_map(|(m, t, l)| (m.to_owned(), t, l))
    }

    fn text((method, target, lines): &(String, String, Vec<(String, String)>)) -> String {
        let mut head = format!("{method} {target} HTTP/1.1\r\n");
        for (name, value) in lines {
            head.push_str(&format!("{name}: {value}\r\n"));
        }
        head + "\r\n"
    }

    proptest! {
        /// Read at any split, a plain head waits until it is whole, then
        /// comes out as sent (lines in order), the next bytes left.
        #[test]
        fn plain_heads_read_whole_at_any_split(head in plain_head(), split in 0usize..200) {
            let whole = text(&head);
            let split = split.min(whole.len() - 1);
            let mut buf = BytesMut::from(&whole.as_bytes()[..split]);
            prop_assert!(matches!(parse(&mut buf), Parsed::Partial));
            buf.extend_from_slice(&whole.as_bytes()[split..]);
            buf.extend_from_slice(b"GET /next");
            let Parsed::Ready(head_read) = parse(&mut buf) else {
                return Err(TestCaseError::fail(format!("not served: {whole:?}")));
            };
            prop_assert_eq!(head_read.target(), head.1.as_bytes());
            let mut lines = [httparse::EMPTY_HEADER; MAX_HEADERS];
            let raw: Vec<(String, Vec<u8>)> = head_read
                .fields(&mut lines)
                .iter()
                .map(|h| (h.name.to_owned(), h.value.to_vec()))
                .collect();
            let sent_raw: Vec<(String, Vec<u8>)> =
                head.2.iter().map(|(k, v)| (k.clone(), v.clone().into_bytes())).collect();
            prop_assert_eq!(raw, sent_raw, "the lines as sent, for the relay");
            let Some((req, exchange)) = head_read.into_request(&mut buf) else {
                return Err(TestCaseError::fail(format!("not a request: {whole:?}")));
            };
            prop_assert_eq!(req.method().as_str(), head.0.as_str());
            prop_assert_eq!(req.uri().to_string(), head.1.clone());
            let lines: Vec<(String, String)> = req
                .headers()
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_str().unwrap_or_default().to_owned()))
                .collect();
            let mut sent = head.2.clone();
            // `HeaderMap` groups a repeated name's values in order.
            let order: Vec<&String> = sent.iter().map(|(n, _)| n).fold(Vec::new(), |mut seen, n| {
                if !seen.contains(&n) { seen.push(n); }
                seen
            });
            let order: Vec<String> = order.into_iter().cloned().collect();
            sent.sort_by_key(|(n, _)| order.iter().position(|o| o == n));
            prop_assert_eq!(lines, sent);
            prop_assert_eq!(exchange.head_only, head.0 == "HEAD");
            prop_assert_eq!(&buf[..], b"GET /next");
        }

        /// A head that frames a body, switches protocols or expects an
        /// interim answer is left whole for hyper, wherever its line is.
        #[test]
        fn other_heads_go_to_hyper_whole(
            head in plain_head(),
            framing in prop::sample::select(vec![
                "Content-Length: 3", "Transfer-Encoding: chunked",
                "Expect: 100-continue", "Upgrade: websocket", "Connection: upgrade",
            ]),
            at in 0usize..12,
        ) {
            let mut lines: Vec<String> = head.2.iter().map(|(n, v)| format!("{n}: {v}")).collect();
            lines.insert(at.min(lines.len()), framing.to_owned());
            let whole = format!("{} {} HTTP/1.1\r\n{}\r\n\r\nabc", head.0, head.1, lines.join("\r\n"));
            let mut buf = BytesMut::from(whole.as_bytes());
            prop_assert!(matches!(parse(&mut buf), Parsed::Handoff));
            prop_assert_eq!(&buf[..], whole.as_bytes());
        }
    }
}
