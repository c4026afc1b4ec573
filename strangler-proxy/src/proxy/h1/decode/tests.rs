use super::*;
use proptest::prelude::*;

fn parse(text: &str, method: Method) -> Result<Option<Head>, ProtocolError> {
    head(&mut BytesMut::from(text), &method)
}

fn framing_of(text: &str, method: Method) -> Framing {
    parse(text, method).unwrap().unwrap().framing
}

/// Feeds `wire` to a decoder in pieces of `split` bytes and returns the body,
/// or the first error.
fn decode_all(
    framing: Framing,
    wire: &[u8],
    split: usize,
    close: bool,
) -> Result<Vec<u8>, ProtocolError> {
    let mut decoder = BodyDecoder::new(framing);
    let mut buf = BytesMut::new();
    let mut body = Vec::new();
    let mut pieces = wire.chunks(split.max(1));
    loop {
        match decoder.decode(&mut buf)? {
            Decoded::Data(data) => body.extend_from_slice(&data),
            Decoded::Done => return Ok(body),
            Decoded::NeedMore => match pieces.next() {
                Some(piece) => buf.extend_from_slice(piece),
                None if close => decoder.eof()?,
                None => return error("ran out of input"),
            },
        }
    }
}

fn chunked(body: &[u8], sizes: &[usize], trailer: bool) -> Vec<u8> {
    let mut wire = Vec::new();
    let mut rest = body;
    for size in sizes.iter().cycle() {
        if rest.is_empty() {
            break;
        }
        let (chunk, tail) = rest.split_at((*size).clamp(1, rest.len()));
        wire.extend_from_slice(format!("{:X};ext=1\r\n", chunk.len()).as_bytes());
        wire.extend_from_slice(chunk);
        wire.extend_from_slice(b"\r\n");
        rest = tail;
    }
    wire.extend_from_slice(b"0\r\n");
    if trailer {
        wire.extend_from_slice(b"x-checksum: abc\r\n");
    }
    wire.extend_from_slice(b"\r\n");
    wire
}

#[test]
fn a_head_is_taken_off_the_buffer_with_its_fields() {
    let mut buf =
        BytesMut::from("HTTP/1.1 201 Created\r\nContent-Length: 2\r\nX-A: 1\r\nx-a: 2\r\n\r\nhi");
    let head = head(&mut buf, &Method::POST).unwrap().unwrap();
    assert_eq!(head.parts.status, StatusCode::CREATED);
    assert_eq!(head.parts.headers.get_all("x-a").iter().count(), 2);
    assert_eq!(head.framing, Framing::Length(2));
    assert!(head.keep_alive);
    assert_eq!(&buf[..], b"hi", "the body stays in the buffer");
}

#[test]
fn a_partial_head_waits_and_an_oversized_one_is_refused() {
    assert!(
        parse("HTTP/1.1 200 OK\r\nContent-Le", Method::GET)
            .unwrap()
            .is_none()
    );
    let huge = format!("HTTP/1.1 200 OK\r\nx-big: {}", "a".repeat(MAX_HEAD_BYTES));
    let e = parse(&huge, Method::GET).unwrap_err();
    assert!(e.0.contains("larger than"), "{e}");
    assert!(parse("HTTP/1.1 2x0 OK\r\n\r\n", Method::GET).is_err());
}

#[test]
fn framing_follows_rfc_9112_section_6_3() {
    let ok = |fields: &str| format!("HTTP/1.1 200 OK\r\n{fields}\r\n");
    assert_eq!(
        framing_of(&ok("Content-Length: 5\r\n"), Method::HEAD),
        Framing::Empty
    );
    assert_eq!(
        framing_of(
            "HTTP/1.1 204 No Content\r\nContent-Length: 5\r\n\r\n",
            Method::GET
        ),
        Framing::Empty
    );
    assert_eq!(
        framing_of("HTTP/1.1 304 Not Modified\r\n\r\n", Method::GET),
        Framing::Empty
    );
    assert_eq!(
        framing_of(
            &ok("Transfer-Encoding: gzip, chunked\r\nContent-Length: 5\r\n"),
            Method::GET
        ),
        Framing::Chunked,
        "Transfer-Encoding wins over Content-Length"
    );
    assert_eq!(
        framing_of(&ok("Transfer-Encoding: gzip\r\n"), Method::GET),
        Framing::UntilClose
    );
    assert_eq!(
        framing_of(&ok("Content-Length: 7, 7\r\n"), Method::GET),
        Framing::Length(7)
    );
    assert_eq!(
        framing_of(&ok("Content-Length: 0\r\n"), Method::GET),
        Framing::Empty
    );
    assert_eq!(framing_of(&ok(""), Method::GET), Framing::UntilClose);
    for bad in [
        "Content-Length: 5\r\nContent-Length: 6\r\n",
        "Content-Length: -1\r\n",
        "Content-Length: 1e3\r\n",
    ] {
        assert!(parse(&ok(bad), Method::GET).is_err(), "{bad}");
    }
}

#[test]
fn keep_alive_depends_on_version_connection_and_framing() {
    let keeps = |text: &str| parse(text, Method::GET).unwrap().unwrap().keep_alive;
    assert!(keeps("HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n"));
    assert!(!keeps(
        "HTTP/1.1 200 OK\r\nConnection: keep-alive, Close\r\nContent-Length: 0\r\n\r\n"
    ));
    assert!(!keeps("HTTP/1.0 200 OK\r\nContent-Length: 0\r\n\r\n"));
    assert!(keeps(
        "HTTP/1.0 200 OK\r\nConnection: Keep-Alive\r\nContent-Length: 0\r\n\r\n"
    ));
    assert!(
        !keeps("HTTP/1.1 200 OK\r\n\r\n"),
        "a body delimited by the close ends the connection"
    );
}

#[test]
fn fixed_length_bodies_stop_at_their_length() {
    let mut decoder = BodyDecoder::new(Framing::Length(3));
    let mut buf = BytesMut::from("abcdef");
    assert_eq!(
        decoder.decode(&mut buf).unwrap(),
        Decoded::Data(Bytes::from_static(b"abc"))
    );
    assert!(decoder.is_done());
    assert_eq!(&buf[..], b"def", "bytes past the body are left alone");
    let mut short = BodyDecoder::new(Framing::Length(3));
    assert!(short.eof().is_err(), "a body cut short is an error");
}

#[test]
fn a_body_until_close_ends_with_the_connection() {
    assert_eq!(
        decode_all(Framing::UntilClose, b"all of it", 4, true).unwrap(),
        b"all of it"
    );
}

#[test]
fn malformed_chunked_bodies_are_refused() {
    for wire in [
        &b"zz\r\n"[..],
        b"\r\n",
        b"3\r\nabcX\r\n0\r\n\r\n",
        b"3\nabc\r\n0\r\n\r\n",
        b"11111111111111111\r\n",
        b"0\r\nx: y\n\r\n",
    ] {
        assert!(
            decode_all(Framing::Chunked, wire, 1, false).is_err(),
            "{}",
            String::from_utf8_lossy(wire)
        );
    }
    assert!(
        decode_all(Framing::Chunked, b"5\r\nab", 64, true).is_err(),
        "cut short by the close"
    );
}

proptest! {
    #[test]
    fn chunked_bodies_decode_however_they_are_cut(
        body in proptest::collection::vec(any::<u8>(), 0..2000),
        sizes in proptest::collection::vec(1usize..300, 1..8),
        split in 1usize..64,
        trailer in any::<bool>(),
    ) {
        let wire = chunked(&body, &sizes, trailer);
        prop_assert_eq!(decode_all(Framing::Chunked, &wire, split, false).unwrap(), body);
    }

    #[test]
    fn fixed_length_bodies_decode_however_they_are_cut(
        body in proptest::collection::vec(any::<u8>(), 1..2000),
        split in 1usize..64,
    ) {
        let framing = Framing::Length(body.len() as u64);
        prop_assert_eq!(decode_all(framing, &body, split, false).unwrap(), body);
    }
}
