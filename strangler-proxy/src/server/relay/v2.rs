//! The ACL's v2 calls on the own codec ([`Transport`]): a request the data
//! plane translates for the new side is written to the service over the
//! client connection's link, from the client's own task, and the whole
//! answer read there, as the relay does for the monolith: no `HeaderMap`,
//! no hyper connection task, no channel between the two. The exchange
//! itself, its retries, fallback and guard stay the data plane's.

use super::upstream::{Idle, Link, exchange};
use super::{BOTH_FRAMINGS, FRAMING_FIELDS, READ_SIZE, asks_to_close, reusable, status_of};
use crate::proxy::forward::UpstreamError;
use crate::proxy::headers::raw::{is_text, is_token};
use crate::proxy::translate::{MAX_V2_BODY, Transport, V2_BODY_TOO_LARGE, V2Call};
use crate::server::framing::{BadFraming, ChunkedScanner, Framing, response_framing};
use crate::server::h1;
use std::borrow::Cow;
use std::time::Duration;
use tokio::io::AsyncReadExt;

/// A client connection's way to the new side: its link, which it shares
/// with the relay (a client alternating between the two moves it).
pub(in crate::server) struct Links<'a> {
    pub link: &'a mut Option<Link>,
    pub idle: &'a Idle,
    /// The request being written (the connection's, for its allocation).
    pub request: &'a mut Vec<u8>,
    pub connect_timeout: Duration,
}

impl Transport for Links<'_> {
    async fn call(
        &mut self,
        call: &V2Call<'_>,
        timeout: Duration,
    ) -> Result<acl::Response, UpstreamError> {
        // Written once the tasks already queued have had their turn: when the
        // service shares the proxy's core (as in the benchmark, or beside it
        // on one host), a request written at once wakes it to answer that
        // one alone; written behind the turn's others, it finds several
        // (docs/performance.md). The relay's own upstream writes gain
        // nothing from this: it was measured, and left out there.
        behind_queued_tasks().await;
        write_request(self.request, call)?;
        let authority = call.new.authority();
        let head_only = call.request.method == acl::Method::Head;
        let (link, request) = (&mut *self.link, &*self.request);
        let called = async {
            let (up, head) = exchange(
                link,
                self.idle,
                authority,
                self.connect_timeout,
                |out: &mut Vec<u8>| out.extend_from_slice(request),
                call.repeatable(),
                |res: &httparse::Response<'_, '_>, len| read_head(res, len, head_only),
            )
            .await?;
            let body = read_body(up, &head).await?;
            // Bytes past the answer: the service is out of step; not reused.
            Ok((head, body, up.buf.is_empty()))
        };
        let called = tokio::time::timeout(timeout, called)
            .await
            .unwrap_or(Err(UpstreamError::Timeout(timeout)));
        let (head, body) = match called {
            Ok((head, body, in_step)) if head.keep_alive && in_step => (head, body),
            // Cut short (its timeout, a failed body) or not to be reused.
            done => {
                *self.link = None;
                let (head, body, _) = done?;
                (head, body)
            }
        };
        Ok(acl::Response {
            status: head.status,
            headers: head.headers,
            body,
        })
    }
}

/// Returns once the tasks already queued on this thread have had a turn:
/// the task wakes itself and so goes to the back of the run queue. Unlike
/// `tokio::task::yield_now`, it does not wait for the next poll of the I/O
/// driver, which costs an `epoll_wait` when nothing else is queued.
async fn behind_queued_tasks() {
    let mut queued = false;
    std::future::poll_fn(|cx| {
        if std::mem::replace(&mut queued, true) {
            return std::task::Poll::Ready(());
        }
        cx.waker().wake_by_ref();
        std::task::Poll::Pending
    })
    .await
}

/// Writes the ACL's v2 request: its target and header lines (checked, as
/// `http`'s types would check them), `Host`, the forwarded headers, the
/// body's length and the body.
fn write_request(out: &mut Vec<u8>, call: &V2Call<'_>) -> Result<(), UpstreamError> {
    let v2 = call.request;
    let bad = |what: &str, text: &str| UpstreamError::Broken(format!("bad v2 {what} `{text}`"));
    let visible = |text: &str| text.bytes().all(|b| (b'!'..=b'~').contains(&b));
    if !v2.path.starts_with('/') || !visible(&v2.path) || !visible(&v2.query) {
        return Err(bad("target", &v2.target()));
    }
    out.clear();
    out.extend_from_slice(v2.method.as_str().as_bytes());
    out.push(b' ');
    out.extend_from_slice(v2.path.as_bytes());
    if !v2.query.is_empty() {
        out.push(b'?');
        out.extend_from_slice(v2.query.as_bytes());
    }
    out.extend_from_slice(b" HTTP/1.1\r\n");
    h1::write_line(out, "host", call.new.host().as_bytes());
    for (name, value) in call.own_headers() {
        // The framing and `Host` are this side's to write.
        if name.eq_ignore_ascii_case("host")
            || FRAMING_FIELDS
                .iter()
                .any(|own| name.eq_ignore_ascii_case(own))
        {
            continue;
        }
        if !is_token(name) {
            return Err(bad("header name", name));
        }
        if !is_text(value.as_bytes()) {
            return Err(bad("header value", value));
        }
        h1::write_line(out, name, value);
    }
    for (name, value) in call.extra {
        h1::write_line(out, name.as_str(), value.as_bytes());
    }
    let sends_body = matches!(
        v2.method,
        acl::Method::Post | acl::Method::Put | acl::Method::Patch
    );
    if sends_body || !v2.body.is_empty() {
        h1::write_line(
            out,
            "content-length",
            itoa::Buffer::new().format(v2.body.len()),
        );
    }
    out.extend_from_slice(b"\r\n");
    out.extend_from_slice(&v2.body);
    Ok(())
}

/// A v2 answer's head, as the ACL takes it.
struct V2Head {
    /// Its length in `Link::buf`.
    len: usize,
    status: u16,
    framing: Framing,
    /// The connection may serve another request after this one.
    keep_alive: bool,
    /// The lines the ACL reads ([`acl::routes::V2_HEADERS_READ`]).
    headers: acl::Headers,
}

fn read_head(
    res: &httparse::Response<'_, '_>,
    len: usize,
    head_only: bool,
) -> Result<V2Head, UpstreamError> {
    let (status, version) = status_of(res)?;
    let has = |name: &str| {
        res.headers
            .iter()
            .any(|l| l.name.eq_ignore_ascii_case(name))
    };
    if has("transfer-encoding") && has("content-length") {
        return Err(UpstreamError::Broken(BOTH_FRAMINGS.to_owned()));
    }
    let framing = response_framing(status, head_only, res.headers)
        .map_err(|BadFraming(why)| UpstreamError::Broken(why.to_owned()))?;
    let closing = res.headers.iter().any(asks_to_close);
    let headers = res
        .headers
        .iter()
        .filter_map(|line| {
            let name = acl::routes::V2_HEADERS_READ
                .iter()
                .find(|read| line.name.eq_ignore_ascii_case(read))?;
            let value = std::str::from_utf8(line.value)
                .ok()
                .filter(|v| is_text(v.as_bytes()))?;
            Some((Cow::Borrowed(*name), value.to_owned()))
        })
        .collect();
    Ok(V2Head {
        len,
        status,
        framing,
        keep_alive: reusable(version, framing, closing),
        headers,
    })
}

/// Reads the body after `head` (in `up.buf`) to its end, decoded from its
/// chunks, up to [`MAX_V2_BODY`]; what follows it stays in `up.buf`.
async fn read_body(up: &mut Link, head: &V2Head) -> Result<Vec<u8>, UpstreamError> {
    let broken = |why: String| UpstreamError::Broken(why);
    let _ = up.buf.split_to(head.len);
    let mut left = match head.framing {
        Framing::Length(n) if n > MAX_V2_BODY as u64 => {
            return Err(broken(V2_BODY_TOO_LARGE.into()));
        }
        Framing::Length(n) => n as usize,
        _ => 0,
    };
    let mut body = Vec::with_capacity(left);
    let mut scanner = ChunkedScanner::default();
    loop {
        let done = match head.framing {
            Framing::None => true,
            Framing::Length(_) => {
                let take = left.min(up.buf.len());
                body.extend_from_slice(&up.buf.split_to(take));
                left -= take;
                left == 0
            }
            Framing::Chunked => {
                let scanned = scanner.scan_data(&up.buf, |data| body.extend_from_slice(data));
                match scanned.map_err(|BadFraming(why)| broken(why.into()))? {
                    Some(end) => {
                        let _ = up.buf.split_to(end);
                        true
                    }
                    None => {
                        up.buf.clear();
                        false
                    }
                }
            }
            Framing::Close => {
                body.extend_from_slice(&up.buf);
                up.buf.clear();
                false
            }
        };
        if done {
            return Ok(body);
        }
        if body.len() > MAX_V2_BODY {
            return Err(broken(V2_BODY_TOO_LARGE.into()));
        }
        if up.buf.capacity() - up.buf.len() < READ_SIZE / 8 {
            up.buf.reserve(READ_SIZE.max(left.min(MAX_V2_BODY)));
        }
        match up.stream.read_buf(&mut up.buf).await {
            Ok(0) if head.framing == Framing::Close => return Ok(body),
            Ok(0) => return Err(broken("closed mid-body".into())),
            Ok(_) => {}
            Err(e) => return Err(broken(format!("read: {e}"))),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::proxy::CORRELATION_NAME;
    use crate::upstream::Upstream;
    use http::HeaderValue;

    fn written(request: &acl::Request) -> Result<String, UpstreamError> {
        let new = Upstream::parse("http://127.0.0.1:9000").unwrap();
        let extra = [(CORRELATION_NAME, HeaderValue::from_static("c-1"))];
        let call = V2Call {
            new: &new,
            request,
            extra: &extra,
        };
        let mut out = Vec::new();
        write_request(&mut out, &call)?;
        Ok(String::from_utf8(out).unwrap())
    }

    #[test]
    fn a_v2_request_goes_out_with_its_host_length_and_one_correlation_id() {
        let mut post = acl::Request::with_target(acl::Method::Post, "/v2/payments?x=1");
        post.headers = [
            ("content-type", "application/json"),
            ("x-correlation-id", "the ACL's copy"),
            ("content-length", "999"),
            ("host", "elsewhere"),
            ("idempotency-key", "k-1"),
        ]
        .into_iter()
        .collect();
        post.body = b"{}".to_vec();
        assert_eq!(
            written(&post).unwrap(),
            "POST /v2/payments?x=1 HTTP/1.1\r\nhost: 127.0.0.1:9000\r\n\
             content-type: application/json\r\nidempotency-key: k-1\r\n\
             x-correlation-id: c-1\r\ncontent-length: 2\r\n\r\n{}"
        );
        let get = acl::Request::new(acl::Method::Get, "/v2/payments/by-legacy-id/7");
        assert_eq!(
            written(&get).unwrap(),
            "GET /v2/payments/by-legacy-id/7 HTTP/1.1\r\nhost: 127.0.0.1:9000\r\n\
             x-correlation-id: c-1\r\n\r\n"
        );
    }

    #[test]
    fn a_task_behind_the_queue_lets_the_queued_tasks_go_first() {
        let order = std::rc::Rc::new(std::cell::RefCell::new(Vec::new()));
        let runtime = tokio::runtime::Builder::new_current_thread()
            .build()
            .unwrap();
        let local = tokio::task::LocalSet::new();
        local.block_on(&runtime, async {
            let log = |step| {
                let order = order.clone();
                move || order.borrow_mut().push(step)
            };
            let (a1, a2, b) = (log("a1"), log("a2"), log("b"));
            let a = tokio::task::spawn_local(async move {
                a1();
                behind_queued_tasks().await;
                a2();
            });
            let b = tokio::task::spawn_local(async move { b() });
            a.await.unwrap();
            b.await.unwrap();
        });
        assert_eq!(*order.borrow(), ["a1", "b", "a2"]);
    }

    #[test]
    fn an_answer_framed_both_ways_is_refused() {
        let read = |text: &str| {
            let mut lines = [httparse::EMPTY_HEADER; 8];
            let mut res = httparse::Response::new(&mut lines);
            res.parse(text.as_bytes()).unwrap();
            read_head(&res, text.len(), false).map(|head| head.framing)
        };
        let both = "HTTP/1.1 200 OK\r\nContent-Length: 2\r\nTransfer-Encoding: chunked\r\n\r\n";
        match read(both) {
            Err(UpstreamError::Broken(why)) => assert_eq!(why, BOTH_FRAMINGS),
            other => panic!("{other:?}"),
        }
        let chunked = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n";
        assert_eq!(read(chunked).unwrap(), Framing::Chunked);
    }

    #[test]
    fn what_would_split_a_head_is_refused() {
        let bad = |request: acl::Request| written(&request).unwrap_err().to_string();
        let target = acl::Request::new(acl::Method::Get, "/v2/a b");
        assert!(bad(target).contains("bad v2 target `/v2/a b`"));
        let mut value = acl::Request::new(acl::Method::Get, "/v2/a");
        value.headers = [("x-note", "a\r\nx-injected: 1")].into_iter().collect();
        assert!(bad(value).contains("bad v2 header value"));
        let mut name = acl::Request::new(acl::Method::Get, "/v2/a");
        name.headers = [("x note", "a")].into_iter().collect();
        assert!(bad(name).contains("bad v2 header name `x note`"));
    }
}
