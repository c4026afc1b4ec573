//! Response framing by its head, and the chunked scanner, by example and by
//! property.

use super::*;

/// The framing of the response head `text` (status line and header lines,
/// parsed as the relay would), answering a HEAD request when `head`.
fn framing_of(text: &str, head: bool) -> Result<Framing, BadFraming> {
    let text = format!("{text}\r\n\r\n");
    let mut lines = [httparse::EMPTY_HEADER; 16];
    let mut res = httparse::Response::new(&mut lines);
    let parsed = res.parse(text.as_bytes()).map(|s| s.is_complete());
    assert_eq!(parsed, Ok(true), "{text:?}");
    response_framing(res.code.unwrap(), head, res.headers)
}

fn framing(text: &str) -> Result<Framing, BadFraming> {
    framing_of(text, false)
}

const INVALID_LENGTH: Result<Framing, BadFraming> = Err(BadFraming("invalid Content-Length"));

#[test]
fn a_response_to_head_has_no_body_whatever_its_fields() {
    let text = "HTTP/1.1 200 OK\r\nContent-Length: 12\r\nTransfer-Encoding: chunked";
    assert_eq!(framing_of(text, true), Ok(Framing::None));
}

#[test]
fn interim_responses_have_no_body() {
    assert_eq!(framing("HTTP/1.1 100 Continue"), Ok(Framing::None));
    assert_eq!(
        framing("HTTP/1.1 103 Early Hints\r\nContent-Length: 5"),
        Ok(Framing::None)
    );
}

#[test]
fn no_content_has_no_body() {
    let text = "HTTP/1.1 204 No Content\r\nTransfer-Encoding: chunked";
    assert_eq!(framing(text), Ok(Framing::None));
}

#[test]
fn not_modified_has_no_body_even_with_its_length() {
    let text = "HTTP/1.1 304 Not Modified\r\nContent-Length: 120";
    assert_eq!(framing(text), Ok(Framing::None));
}

#[test]
fn transfer_encoding_chunked_is_chunked_in_any_case() {
    assert_eq!(
        framing("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked"),
        Ok(Framing::Chunked)
    );
    assert_eq!(
        framing("HTTP/1.1 200 OK\r\ntransfer-encoding:  ChUnKeD "),
        Ok(Framing::Chunked)
    );
}

#[test]
fn codings_add_up_across_lines() {
    let text = "HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip\r\nTransfer-Encoding: chunked";
    assert_eq!(framing(text), Ok(Framing::Chunked));
    let text = "HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip, chunked";
    assert_eq!(framing(text), Ok(Framing::Chunked));
    // Empty list members do not count.
    let text = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked, \r\nTransfer-Encoding: ,";
    assert_eq!(framing(text), Ok(Framing::Chunked));
}

#[test]
fn a_last_coding_other_than_chunked_runs_to_the_close() {
    assert_eq!(
        framing("HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip"),
        Ok(Framing::Close)
    );
    let text = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nTransfer-Encoding: gzip";
    assert_eq!(framing(text), Ok(Framing::Close));
    assert_eq!(
        framing("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked;q=1"),
        Ok(Framing::Close)
    );
}

#[test]
fn transfer_encoding_wins_over_content_length() {
    let text = "HTTP/1.1 200 OK\r\nContent-Length: 10\r\nTransfer-Encoding: chunked";
    assert_eq!(framing(text), Ok(Framing::Chunked));
    // The length is moot, so not checked.
    let text = "HTTP/1.1 200 OK\r\nContent-Length: x\r\nTransfer-Encoding: gzip";
    assert_eq!(framing(text), Ok(Framing::Close));
}

#[test]
fn a_valid_content_length_is_the_length() {
    assert_eq!(
        framing("HTTP/1.1 200 OK\r\nContent-Length: 42"),
        Ok(Framing::Length(42))
    );
    assert_eq!(
        framing("HTTP/1.1 200 OK\r\ncontent-length: 0"),
        Ok(Framing::Length(0))
    );
    assert_eq!(
        framing("HTTP/1.1 200 OK\r\nContent-Length: 007"),
        Ok(Framing::Length(7))
    );
    let max = format!("HTTP/1.1 200 OK\r\nContent-Length: {}", u64::MAX);
    assert_eq!(framing(&max), Ok(Framing::Length(u64::MAX)));
}

#[test]
fn repeats_of_the_same_length_are_one_length() {
    assert_eq!(
        framing("HTTP/1.1 200 OK\r\nContent-Length: 5, 5"),
        Ok(Framing::Length(5))
    );
    let text = "HTTP/1.1 200 OK\r\nContent-Length: 5\r\nContent-Length: 5,5";
    assert_eq!(framing(text), Ok(Framing::Length(5)));
}

#[test]
fn different_lengths_are_refused() {
    assert_eq!(
        framing("HTTP/1.1 200 OK\r\nContent-Length: 5, 6"),
        INVALID_LENGTH
    );
    let text = "HTTP/1.1 200 OK\r\nContent-Length: 5\r\nContent-Length: 6";
    assert_eq!(framing(text), INVALID_LENGTH);
    // A bad line is not made good by a later one.
    let text = "HTTP/1.1 200 OK\r\nContent-Length: x\r\nContent-Length: 6";
    assert_eq!(framing(text), INVALID_LENGTH);
}

#[test]
fn lengths_that_are_not_plain_decimals_are_refused() {
    let overflow = format!("{}0", u64::MAX);
    for value in [
        "-1",
        "+1",
        "abc",
        "0x10",
        "1 2",
        "1.0",
        "5,",
        ",5",
        "",
        &overflow,
        "18446744073709551616",
    ] {
        let text = format!("HTTP/1.1 200 OK\r\nContent-Length: {value}");
        assert_eq!(framing(&text), INVALID_LENGTH, "{value:?}");
    }
    // Not white space to HTTP (httparse would not pass it anyway).
    let form_feed = httparse::Header {
        name: "Content-Length",
        value: b"\x0c5",
    };
    assert_eq!(response_framing(200, false, &[form_feed]), INVALID_LENGTH);
}

#[test]
fn no_framing_fields_run_to_the_close() {
    assert_eq!(framing("HTTP/1.1 200 OK"), Ok(Framing::Close));
    assert_eq!(
        framing("HTTP/1.1 500 Oops\r\nContent-Type: text/plain"),
        Ok(Framing::Close)
    );
}

/// What `scan` says of `body` given whole.
fn scan_whole(body: &[u8]) -> Result<Option<usize>, BadFraming> {
    ChunkedScanner::default().scan(body)
}

/// What `scan` says of `body` given a byte at a time: the end's offset in
/// the body, `None` or the first error.
fn scan_bytewise(body: &[u8]) -> Result<Option<usize>, BadFraming> {
    let mut scanner = ChunkedScanner::default();
    for (at, byte) in body.iter().enumerate() {
        if let Some(n) = scanner.scan(std::slice::from_ref(byte))? {
            assert_eq!(n, 1, "the end is after the byte that completes it");
            return Ok(Some(at + 1));
        }
    }
    Ok(None)
}

#[test]
fn a_body_with_extensions_and_trailers_ends_after_its_last_line() {
    let body = b"5;name=value\r\nhello\r\n1A ; a=\"b;c\" ;d\r\nabcdefghijklmnopqrstuvwxyz\r\n\
                 000;last\r\nExpires: never\r\nX-Sum: 1\r\n\r\n";
    assert_eq!(scan_whole(body), Ok(Some(body.len())));
    assert_eq!(scan_bytewise(body), Ok(Some(body.len())));
    let mut scanner = ChunkedScanner::default();
    assert_eq!(scanner.scan(&body[..body.len() - 1]), Ok(None));
    assert_eq!(scanner.scan(&body[body.len() - 1..]), Ok(Some(1)));
    // Ended, it stays ended.
    assert_eq!(scanner.scan(b"more"), Ok(Some(0)));
}

#[test]
fn the_data_is_handed_over_without_its_framing_at_any_split() {
    let body =
        b"5;name=value\r\nhello\r\n1A\r\nabcdefghijklmnopqrstuvwxyz\r\n0\r\nX-Sum: 1\r\n\r\n";
    for split in 0..body.len() {
        let mut scanner = ChunkedScanner::default();
        let mut data = Vec::new();
        let first = scanner.scan_data(&body[..split], |d| data.extend_from_slice(d));
        let second = scanner.scan_data(&body[split..], |d| data.extend_from_slice(d));
        assert!(matches!(first, Ok(None)) || split == body.len(), "{split}");
        assert_eq!(second, Ok(Some(body.len() - split)), "{split}");
        assert_eq!(data, b"helloabcdefghijklmnopqrstuvwxyz", "{split}");
    }
}

#[test]
fn the_end_is_reported_where_the_next_response_starts() {
    let body = b"4\r\nwiki\r\n0\r\n\r\n";
    let mut stream = body.to_vec();
    stream.extend_from_slice(b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n");
    assert_eq!(scan_whole(&stream), Ok(Some(body.len())));
    let mut scanner = ChunkedScanner::default();
    assert_eq!(scanner.scan(&stream[..3]), Ok(None));
    assert_eq!(scanner.scan(&stream[3..]), Ok(Some(body.len() - 3)));
}

#[test]
fn chunk_data_is_not_looked_at() {
    // Data that reads like a last chunk, bare line ends, every byte value.
    let mut data = b"0\r\n\r\n\n\r".to_vec();
    data.extend(0..=u8::MAX);
    let mut body = format!("{:X}\r\n", data.len()).into_bytes();
    body.extend_from_slice(&data);
    body.extend_from_slice(b"\r\n0\r\n\r\n");
    assert_eq!(scan_whole(&body), Ok(Some(body.len())));
    assert_eq!(scan_bytewise(&body), Ok(Some(body.len())));
}

#[test]
fn the_largest_chunk_is_skipped_piece_by_piece() {
    let mut scanner = ChunkedScanner::default();
    assert_eq!(scanner.scan(b"ffffffffffffffff\r\n"), Ok(None));
    let piece = vec![b'0'; 64 * 1024];
    for _ in 0..16 {
        assert_eq!(scanner.scan(&piece), Ok(None));
    }
    assert_eq!(
        scanner.state,
        State::Data(u64::MAX - 16 * piece.len() as u64)
    );
}

#[test]
fn bad_sizes_are_refused() {
    let invalid = Err(BadFraming("invalid chunk size"));
    for body in [
        &b"x\r\n"[..],
        b"\r\n",
        b";ext\r\n",
        b" 5\r\n",
        b"-1\r\n",
        b"+1\r\n",
        b"0x5\r\n",
        b"5 6\r\n",
        b"5\n",
        b"5 \n",
    ] {
        assert_eq!(scan_whole(body), invalid, "{:?}", body.escape_ascii());
        assert_eq!(scan_bytewise(body), invalid, "{:?}", body.escape_ascii());
    }
    let line_end = Err(BadFraming("invalid chunk size line end"));
    assert_eq!(scan_whole(b"5\rx"), line_end);
    assert_eq!(scan_whole(b"5;a\r\r\n"), line_end);
    assert_eq!(
        scan_whole(b"5;a\nhello\r\n"),
        Err(BadFraming("invalid chunk extension"))
    );
}

#[test]
fn data_must_be_followed_by_crlf() {
    let missing = Err(BadFraming("missing CRLF after chunk data"));
    for body in [
        &b"3\r\nabcd\r\n"[..],
        b"3\r\nabc\n0\r\n\r\n",
        b"3\r\nabc\rx",
        b"3\r\nabc\r\r\n",
        b"3\r\nabc0\r\n\r\n",
    ] {
        assert_eq!(scan_whole(body), missing, "{:?}", body.escape_ascii());
        assert_eq!(scan_bytewise(body), missing, "{:?}", body.escape_ascii());
    }
}

#[test]
fn trailer_lines_must_end_in_crlf() {
    let invalid = Err(BadFraming("invalid trailer line end"));
    for body in [
        &b"0\r\n\n"[..],
        b"0\r\n\rx",
        b"0\r\nX: 1\n\r\n",
        b"0\r\nX: 1\rY: 2\r\n\r\n",
    ] {
        assert_eq!(scan_whole(body), invalid, "{:?}", body.escape_ascii());
        assert_eq!(scan_bytewise(body), invalid, "{:?}", body.escape_ascii());
    }
}

#[test]
fn lines_are_limited_to_4096_bytes() {
    // The limit itself passes: a size line of 4096 bytes, a trailer too.
    let extension = format!(";{}", "e".repeat(MAX_LINE - 2));
    let trailer = format!("X: {}", "t".repeat(MAX_LINE - 3));
    let body = format!("1{extension}\r\na\r\n0\r\n{trailer}\r\n\r\n");
    assert_eq!(scan_whole(body.as_bytes()), Ok(Some(body.len())));
    assert_eq!(scan_bytewise(body.as_bytes()), Ok(Some(body.len())));

    // One more byte is refused, as soon as it comes.
    let long = format!("1{extension}e");
    let mut scanner = ChunkedScanner::default();
    assert_eq!(scanner.scan(&long.as_bytes()[..MAX_LINE]), Ok(None));
    let refused = Err(BadFraming("chunk size line too long"));
    assert_eq!(scanner.scan(b"e"), refused);
    assert_eq!(scan_bytewise(long.as_bytes()), refused);
    let zeros = "0".repeat(MAX_LINE + 1);
    assert_eq!(scan_whole(zeros.as_bytes()), refused);
    let spaces = format!("1{}", " ".repeat(MAX_LINE));
    assert_eq!(scan_whole(spaces.as_bytes()), refused);

    let long = format!("0\r\n{trailer}t");
    let refused = Err(BadFraming("trailer line too long"));
    assert_eq!(scan_whole(long.as_bytes()), refused);
    assert_eq!(scan_bytewise(long.as_bytes()), refused);
    // The count starts again on each line.
    let body = format!("0\r\n{trailer}\r\n{trailer}\r\n\r\n");
    assert_eq!(scan_whole(body.as_bytes()), Ok(Some(body.len())));
    let body = format!("1{extension}\r\na\r\n1{extension}\r\nb\r\n0\r\n\r\n");
    assert_eq!(scan_whole(body.as_bytes()), Ok(Some(body.len())));
}

#[test]
fn sizes_past_u64_are_refused() {
    assert_eq!(
        scan_whole(b"ffffffffffffffff\r\n"),
        Ok(None),
        "u64::MAX fits"
    );
    let overflow = Err(BadFraming("chunk size overflows"));
    assert_eq!(scan_whole(b"10000000000000000\r\n"), overflow);
    assert_eq!(scan_bytewise(b"fffffffffffffffff"), overflow);
    // Leading zeros are no overflow.
    let body = format!("{}1\r\nx\r\n0\r\n\r\n", "0".repeat(40));
    assert_eq!(scan_whole(body.as_bytes()), Ok(Some(body.len())));
}

#[test]
fn an_error_is_said_again() {
    let mut scanner = ChunkedScanner::default();
    let invalid = Err(BadFraming("invalid chunk size"));
    assert_eq!(scanner.scan(b"zz"), invalid);
    assert_eq!(scanner.scan(b"0\r\n\r\n"), invalid);
    assert_eq!(scanner.scan(b""), invalid);
}

#[test]
fn empty_pieces_change_nothing() {
    let mut scanner = ChunkedScanner::default();
    for piece in [&b""[..], b"1\r", b"", b"\n", b"x", b"", b"\r\n0\r\n\r", b""] {
        assert_eq!(scanner.scan(piece), Ok(None));
    }
    assert_eq!(scanner.scan(b"\n"), Ok(Some(1)));
}

mod props {
    use super::*;
    use proptest::prelude::*;

    /// A chunk's size as a sender may write it: either case, leading zeros.
    fn size_text(size: usize, upper: bool, zeros: usize) -> String {
        let digits = if upper {
            format!("{size:X}")
        } else {
            format!("{size:x}")
        };
        "0".repeat(zeros) + &digits
    }

    /// Chunk extensions (with the white space hyper allows before them), or
    /// none.
    fn extension() -> impl Strategy<Value = String> {
        r#"[ \t]{0,2}(;[ \t]?[a-z]{1,5}(=([a-z0-9]{1,5}|"[ !#-~]{0,8}"))?){0,3}"#
    }

    /// A valid chunked body: chunks of random data (any bytes), the last
    /// chunk, trailers, the final CRLF.
    fn body() -> impl Strategy<Value = Vec<u8>> {
        let chunk = (
            prop::collection::vec(any::<u8>(), 1..200),
            any::<bool>(),
            0usize..3,
            extension(),
        );
        let chunks = prop::collection::vec(chunk, 0..8);
        let last = (1usize..4, extension());
        let trailers = prop::collection::vec("[A-Za-z][A-Za-z0-9-]{0,10}: ?[ -~]{0,20}", 0..4);
        (chunks, last, trailers).prop_map(|(chunks, (zeros, last), trailers)| {
            let mut body = Vec::new();
            for (data, upper, zeros, extension) in chunks {
                let size = size_text(data.len(), upper, zeros);
                body.extend_from_slice(format!("{size}{extension}\r\n").as_bytes());
                body.extend_from_slice(&data);
                body.extend_from_slice(b"\r\n");
            }
            body.extend_from_slice(format!("{}{last}\r\n", "0".repeat(zeros)).as_bytes());
            for trailer in trailers {
                body.extend_from_slice(format!("{trailer}\r\n").as_bytes());
            }
            body.extend_from_slice(b"\r\n");
            body
        })
    }

    /// `bytes` cut at `cuts` (offsets, in any order), or into single bytes
    /// when `bytewise`.
    fn pieces(bytes: &[u8], mut cuts: Vec<usize>, bytewise: bool) -> Vec<&[u8]> {
        if bytewise {
            return bytes.chunks(1).collect();
        }
        cuts.iter_mut().for_each(|c| *c %= bytes.len() + 1);
        cuts.push(0);
        cuts.push(bytes.len());
        cuts.sort_unstable();
        // Kept with duplicates: empty pieces must be harmless too.
        cuts.windows(2).map(|w| &bytes[w[0]..w[1]]).collect()
    }

    proptest! {
        /// However a valid body and what follows it are cut, the end is
        /// reported in the piece that holds it, at its exact offset, and
        /// not before.
        #[test]
        fn the_end_is_found_exactly_at_any_split(
            body in body(),
            next in prop_oneof![Just(Vec::new()), prop::collection::vec(any::<u8>(), 1..64)],
            mut cuts in prop::collection::vec(any::<usize>(), 0..24),
            cut_at_end in any::<bool>(),
            bytewise in prop::bool::weighted(0.2),
        ) {
            let mut stream = body.clone();
            stream.extend_from_slice(&next);
            // A piece that ends just where the body does is the edge case a
            // uniform cut seldom hits.
            if cut_at_end {
                cuts.push(body.len());
            }
            let mut scanner = ChunkedScanner::default();
            let mut at = 0;
            let mut end = None;
            for piece in pieces(&stream, cuts, bytewise) {
                match scanner.scan(piece) {
                    Ok(None) => prop_assert!(
                        at + piece.len() < body.len(),
                        "no end reported in {:?} at {at} of {}", piece.escape_ascii(), body.len()
                    ),
                    Ok(Some(n)) => {
                        prop_assert!(n <= piece.len());
                        end = Some(at + n);
                        break;
                    }
                    Err(e) => return Err(TestCaseError::fail(format!(
                        "{e:?} at {at} of {:?}", stream.escape_ascii()
                    ))),
                }
                at += piece.len();
            }
            prop_assert_eq!(end, Some(body.len()));
        }

        /// A body cut short anywhere never ends (nor fails), however the
        /// part sent is cut.
        #[test]
        fn a_truncated_body_never_ends(
            body in body(),
            keep in any::<usize>(),
            cuts in prop::collection::vec(any::<usize>(), 0..24),
            bytewise in prop::bool::weighted(0.2),
        ) {
            let sent = &body[..keep % body.len()];
            let mut scanner = ChunkedScanner::default();
            for piece in pieces(sent, cuts, bytewise) {
                prop_assert_eq!(scanner.scan(piece), Ok(None));
            }
        }
    }
}
