//! The relay's upstream side: each client connection's link to an upstream,
//! the idle links clients left behind, and one exchange on a link (the
//! request written, the response read up to the end of its head).

use super::READ_SIZE;
use crate::proxy::forward::{IDLE_TIMEOUT, MAX_IDLE_PER_UPSTREAM, UpstreamError};
use crate::server::h1::MAX_HEADERS;
use crate::server::spare;
use bytes::BytesMut;
use http::uri::Authority;
use rustc_hash::FxHashMap;
use std::mem::MaybeUninit;
use std::sync::Mutex;
use std::time::{Duration, Instant};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// An upstream response head larger than this is refused (as hyper's client).
const MAX_RESPONSE_HEAD: usize = 64 * 1024;

/// A connection to an upstream, with what was read from it.
pub(in crate::server) struct Link {
    pub(super) authority: Authority,
    pub(super) stream: TcpStream,
    pub(super) buf: BytesMut,
}

impl Link {
    fn new(authority: &Authority, stream: TcpStream) -> Self {
        Self {
            authority: authority.clone(),
            stream,
            buf: BytesMut::new(),
        }
    }

    /// Gives the read buffer (empty between answers) back while the link
    /// waits; [`send`] takes one again.
    pub(in crate::server) fn give_buffer(&mut self) {
        spare::give(&mut self.buf);
    }
}

/// Idle upstream connections, per upstream, the most recently used on top.
#[derive(Default)]
pub(in crate::server) struct Idle {
    stacks: Mutex<FxHashMap<Authority, Vec<(TcpStream, Instant)>>>,
}

impl Idle {
    fn take(&self, authority: &Authority) -> Option<TcpStream> {
        let mut stacks = self.stacks.lock().unwrap_or_else(|p| p.into_inner());
        let stack = stacks.get_mut(authority)?;
        while let Some((stream, since)) = stack.pop() {
            if may_serve(&stream, since) {
                return Some(stream);
            }
        }
        None
    }

    /// Closes the idle connections that may no longer serve: older than
    /// [`IDLE_TIMEOUT`], or closed by their upstream (which would otherwise
    /// keep their sockets half-closed until a burst of clients reached that
    /// deep into the stack again).
    pub(in crate::server) fn sweep(&self) {
        let mut stacks = self.stacks.lock().unwrap_or_else(|p| p.into_inner());
        for stack in stacks.values_mut() {
            stack.retain(|(stream, since)| may_serve(stream, *since));
        }
        stacks.retain(|_, stack| !stack.is_empty());
    }

    /// Keeps `link` for another client (its buffer, empty, is given back).
    pub(in crate::server) fn put(&self, mut link: Link) {
        link.give_buffer();
        let mut stacks = self.stacks.lock().unwrap_or_else(|p| p.into_inner());
        let stack = stacks.entry(link.authority).or_default();
        if stack.len() < MAX_IDLE_PER_UPSTREAM {
            stack.push((link.stream, Instant::now()));
        }
    }
}

/// Whether a connection idle since `since` may serve another request: not
/// idle for longer than [`IDLE_TIMEOUT`], and still open.
fn may_serve(stream: &TcpStream, since: Instant) -> bool {
    since.elapsed() < IDLE_TIMEOUT && open(stream)
}

/// Whether an idle connection still looks usable: nothing arrived on it (an
/// upstream closing it sends its end, which the runtime then knows of; no
/// system call is made unless it does).
fn open(stream: &TcpStream) -> bool {
    let mut byte = [0u8; 1];
    matches!(stream.try_read(&mut byte), Err(e) if e.kind() == std::io::ErrorKind::WouldBlock)
}

/// Sends the request `request` writes over the client's `link` when it goes
/// to `authority` and is open (else over a connection from the idle stack,
/// or a new one; a link to another upstream goes back to `idle` for other
/// clients) and reads until the response head is complete, which `on_head`
/// writes for the client. A reused connection that fails before the first
/// byte of an answer is taken to have been closed by the upstream while
/// idle: a replayable request is written and sent again, once, on a new
/// connection.
///
/// The connection used stays in `link`, worked on in place: moved into the
/// exchange and back, a link's hundred bytes were cache lines written in the
/// connection's task, cold under load by the time the answer comes. Once
/// the exchange has ended without a head, or was dropped before (its
/// timeout, its client gone), `link` is empty: that connection may be
/// mid-answer.
pub(super) async fn exchange<'l, H>(
    link: &'l mut Option<Link>,
    idle: &Idle,
    authority: &Authority,
    connect_timeout: Duration,
    request: impl Fn(&mut Vec<u8>),
    replayable: bool,
    mut on_head: impl FnMut(&httparse::Response<'_, '_>, usize) -> Result<H, UpstreamError>,
) -> Result<(&'l mut Link, H), UpstreamError> {
    if let Some(other) = link.take_if(|link| &link.authority != authority) {
        idle.put(other);
    }
    let mut using = InUse {
        link: &mut *link,
        answered: false,
    };
    if using.link.as_ref().is_none_or(|link| !open(&link.stream)) {
        *using.link = idle
            .take(authority)
            .map(|stream| Link::new(authority, stream));
    }
    let reused = match using.link.as_mut() {
        Some(reused) => match send(reused, &request, &mut on_head).await {
            Ok(head) => Some(head),
            Err(Failed::BeforeAnswer(_)) if replayable => None,
            Err(failed) => return Err(failed.into()),
        },
        None => None,
    };
    let head = match reused {
        Some(head) => head,
        None => {
            let stream = connect(authority, connect_timeout).await?;
            let fresh = using.link.insert(Link::new(authority, stream));
            send(fresh, &request, &mut on_head).await?
        }
    };
    using.answered = true;
    drop(using);
    // Always there: the guard empties the link only when unanswered.
    match link {
        Some(up) => Ok((up, head)),
        None => Err(UpstreamError::Broken(
            "the answered link was lost".to_owned(),
        )),
    }
}

/// A new connection to `authority`, within `connect_timeout`.
async fn connect(
    authority: &Authority,
    connect_timeout: Duration,
) -> Result<TcpStream, UpstreamError> {
    let stream = tokio::time::timeout(connect_timeout, TcpStream::connect(authority.as_str()))
        .await
        .map_err(|_| {
            UpstreamError::Connect(format!(
                "no connection within {} ms",
                connect_timeout.as_millis()
            ))
        })?
        .map_err(|e| UpstreamError::Connect(format!("tcp connect error: {e}")))?;
    let _ = stream.set_nodelay(true);
    Ok(stream)
}

/// The client's link while an exchange uses it: emptied when the exchange
/// ends, or is dropped, before an answer's head has come.
struct InUse<'a> {
    link: &'a mut Option<Link>,
    answered: bool,
}

impl Drop for InUse<'_> {
    fn drop(&mut self) {
        if !self.answered {
            *self.link = None;
        }
    }
}

/// How an exchange on one connection failed.
enum Failed {
    /// Nothing of an answer came.
    BeforeAnswer(String),
    /// Part of an answer came.
    Mid(String),
    /// The answer's head cannot be relayed.
    Answer(UpstreamError),
}

impl From<Failed> for UpstreamError {
    fn from(failed: Failed) -> Self {
        match failed {
            Failed::BeforeAnswer(e) | Failed::Mid(e) => Self::Broken(e),
            Failed::Answer(e) => e,
        }
    }
}

/// Writes the request `request` writes and reads until a final response
/// head (`1xx` interim heads are passed over) is in `link.buf`, then hands it
/// to `on_head`.
async fn send<H>(
    link: &mut Link,
    request: &impl Fn(&mut Vec<u8>),
    on_head: &mut impl FnMut(&httparse::Response<'_, '_>, usize) -> Result<H, UpstreamError>,
) -> Result<H, Failed> {
    link.buf.clear();
    // Written into a lent vector, given back once written (at once, unless
    // the socket is full).
    let mut bytes = spare::take_vec();
    request(&mut bytes);
    let written = link.stream.write_all(&bytes).await;
    spare::give_vec(&mut bytes);
    written.map_err(|e| Failed::BeforeAnswer(format!("write: {e}")))?;
    let mut answered = false;
    loop {
        // Waiting for the answer holds no buffer (the link gave its own back
        // while its client was idle): a proxy under load has most of its
        // connections waiting here.
        if link.buf.capacity() == 0 {
            std::future::poll_fn(|cx| link.stream.poll_read_ready(cx))
                .await
                .map_err(|e| Failed::BeforeAnswer(format!("read: {e}")))?;
            link.buf = spare::take(READ_SIZE);
        }
        if link.buf.capacity() - link.buf.len() < READ_SIZE / 8 {
            link.buf.reserve(READ_SIZE);
        }
        match link.stream.read_buf(&mut link.buf).await {
            Ok(0) if answered => return Err(Failed::Mid("closed mid-head".into())),
            Ok(0) => return Err(Failed::BeforeAnswer("closed before answering".into())),
            Err(e) if answered => return Err(Failed::Mid(format!("read: {e}"))),
            Err(e) => return Err(Failed::BeforeAnswer(format!("read: {e}"))),
            Ok(_) => answered = true,
        }
        loop {
            let mut lines = [const { MaybeUninit::uninit() }; MAX_HEADERS];
            let mut res = httparse::Response::new(&mut []);
            let parsed = httparse::ParserConfig::default()
                .parse_response_with_uninit_headers(&mut res, &link.buf, &mut lines);
            match parsed {
                Ok(httparse::Status::Complete(len))
                    if res
                        .code
                        .is_some_and(|c| (100..200).contains(&c) && c != 101) =>
                {
                    // An interim answer (`103 Early Hints`): not passed on.
                    let _ = link.buf.split_to(len);
                }
                Ok(httparse::Status::Complete(len)) => {
                    return on_head(&res, len).map_err(Failed::Answer);
                }
                Ok(httparse::Status::Partial) if link.buf.len() > MAX_RESPONSE_HEAD => {
                    return Err(Failed::Mid("response head too large".into()));
                }
                Ok(httparse::Status::Partial) => break,
                Err(e) => return Err(Failed::Mid(format!("invalid response head: {e}"))),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tokio::net::TcpListener;

    fn kept(idle: &Idle, authority: &Authority) -> usize {
        let stacks = idle.stacks.lock().unwrap();
        stacks.get(authority).map_or(0, Vec::len)
    }

    #[tokio::test]
    async fn a_sweep_closes_idle_links_that_can_no_longer_serve() {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let authority: Authority = listener.local_addr().unwrap().to_string().parse().unwrap();
        let idle = Idle::default();
        let mut upstream_sides = Vec::new();
        for _ in 0..3 {
            let stream = TcpStream::connect(authority.as_str()).await.unwrap();
            upstream_sides.push(listener.accept().await.unwrap().0);
            idle.put(Link {
                authority: authority.clone(),
                stream,
                buf: BytesMut::new(),
            });
        }
        // The bottom one has waited longer than the idle timeout.
        let long_ago = Instant::now().checked_sub(IDLE_TIMEOUT).unwrap();
        idle.stacks.lock().unwrap().get_mut(&authority).unwrap()[0].1 = long_ago;
        idle.sweep();
        assert_eq!(kept(&idle, &authority), 2);

        // The upstream closes the top one; the sweep drops it once the
        // runtime has seen the close.
        drop(upstream_sides.pop());
        for _ in 0..200 {
            idle.sweep();
            if kept(&idle, &authority) == 1 {
                break;
            }
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
        assert_eq!(kept(&idle, &authority), 1);
        assert!(idle.take(&authority).is_some(), "the open one still serves");
        idle.sweep();
        assert!(
            idle.stacks.lock().unwrap().is_empty(),
            "no empty stacks are kept"
        );
    }
}
