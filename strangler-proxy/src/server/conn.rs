//! One client connection on the own codec: read a head, serve it through the
//! data plane, write the answer, and again, until the client closes, asks to
//! close, sends what only hyper serves (then hyper takes over), or the proxy
//! stops (between requests, never in the middle of one). A client that goes
//! away while its request is in flight cancels it.

use super::h1::{self, Parsed};
use super::{handoff, relay, spare, stopped};
use crate::metrics::Timeout;
use crate::proxy::relay::Planned;
use crate::proxy::{Proxy, body};
use bytes::BytesMut;
use std::future::Future;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::Arc;
use tokio::io::AsyncReadExt;
use tokio::net::TcpStream;
use tokio::sync::watch;
use tokio::time::Instant;

/// Read buffer per connection: a page, as nginx's upstream buffer. Most
/// request heads fit; a larger one grows it. (A request in flight keeps its
/// buffer, so under load this is most of a connection's memory.)
const READ_BUFFER: usize = 4 * 1024;

/// Serves `stream` until it closes. `_open` is held for the connection's
/// life: the listener, stopping, waits for every one to be dropped.
// One async fn for the connection's whole life, its requests' loop inline:
// each nested one is a state of its own in the task, read at every wake-up
// (and under load, cold by then).
pub(super) async fn serve(
    mut stream: TcpStream,
    peer: SocketAddr,
    proxy: Arc<Proxy>,
    idle: Arc<relay::Idle>,
    stop: watch::Receiver<bool>,
    _open: watch::Receiver<()>,
) {
    let mut link = None;
    let mut buf = BytesMut::new();
    // Whether hyper is to serve the rest (what `buf` holds first).
    let handoff = 'serving: {
        // One wait for the stop for the connection's whole life: made anew
        // for each request, it joined and left the channel's waiter list each
        // time (about 200 instructions a request under load); kept, a poll
        // finds it still listed.
        let mut watching = stop.clone();
        let mut stopping = std::pin::pin!(stopped(&mut watching));
        let mut out = h1::Outgoing::default();
        let mut upstream_request = Vec::new();
        // One timer for the connection's life, set again for each wait.
        let timeouts = *proxy.timeouts();
        let mut waiting = std::pin::pin!(tokio::time::sleep(timeouts.idle));
        loop {
            // Whether part of a head is in: the header timeout runs.
            let mut in_head = false;
            let head = loop {
                if !buf.is_empty() {
                    match h1::parse(&mut buf) {
                        Parsed::Ready(head) => break head,
                        Parsed::Handoff => break 'serving true,
                        // Part of a head: it must be whole within the header
                        // timeout, counted from here.
                        Parsed::Partial if !in_head => {
                            in_head = true;
                            waiting.as_mut().reset(Instant::now() + timeouts.header);
                        }
                        Parsed::Partial => {}
                    }
                } else if !in_head {
                    waiting.as_mut().reset(Instant::now() + timeouts.idle);
                }
                let read = tokio::select! {
                    // The read first: the stop's wait is looked at only when
                    // the client has sent nothing (its state is one more
                    // cache line of the task, cold under load).
                    biased;
                    read = read_more(&mut stream, &mut buf, &mut link) => read,
                    // Idle between requests: the connection closes now.
                    _ = stopping.as_mut(), if buf.is_empty() => break 'serving false,
                    _ = waiting.as_mut() => {
                        timed_out(&mut stream, &mut out, &proxy, in_head).await;
                        break 'serving false;
                    }
                };
                match read {
                    Ok(0) | Err(_) => break 'serving false,
                    Ok(_) => {}
                }
            };
            // What the monolith answers is relayed (no `Request`, no hyper
            // client), and so is what the ACL translates for the new side;
            // the rest goes to the data plane with the decision made here, so
            // flags are asked once.
            let planned = proxy.plan_relay(&head.method, head.uri.path(), peer, || {
                head.header_map().unwrap_or_default()
            });
            let (plan, translates) = match planned {
                Planned::Relay(plan) => (plan, false),
                Planned::Translate(plan) => (plan, true),
                Planned::DataPlane(decided) => {
                    let Some((req, exchange)) = head.into_request(&mut buf) else {
                        break 'serving true;
                    };
                    // Made in place (a box would cost a copy per request), in
                    // a scope of its own: held across one await only, the
                    // data plane's future shares its room in the connection's
                    // future with the relay's.
                    let res = {
                        // The ACL's v2 calls go over the connection's link,
                        // as the relay's.
                        let mut links = relay::Links {
                            link: &mut link,
                            idle: &idle,
                            request: &mut upstream_request,
                            connect_timeout: proxy.connect_timeout(),
                        };
                        let handled =
                            std::pin::pin!(proxy.handle_decided(req, peer, decided, &mut links));
                        match answer(&mut stream, &mut buf, handled).await {
                            Some(res) => res,
                            None => break 'serving false,
                        }
                    };
                    let close = exchange.close || *stop.borrow();
                    if h1::write(&mut stream, &mut out, res, &exchange, close)
                        .await
                        .is_err()
                        || close
                    {
                        break 'serving false;
                    }
                    continue;
                }
            };
            let close = head.exchange.close || *stop.borrow();
            let conn = relay::Conn {
                client: &mut stream,
                buf: &mut buf,
                out: &mut out,
                request: &mut upstream_request,
                link: &mut link,
                idle: &idle,
                peer,
            };
            let mut made_id = [0u8; 32];
            let forwarded = relay::Forwarded::of(&head, &proxy, &mut made_id);
            let served = if translates {
                relay::serve_translated(conn, &proxy, &head, &forwarded, plan, close).await
            } else {
                relay::serve(conn, &proxy, &head, &forwarded, &plan, close).await
            };
            match served {
                Ok(true) => {}
                Ok(false) | Err(_) => break 'serving false,
            }
        }
    };
    // The upstream connection it last used serves other clients now.
    if let Some(link) = link {
        idle.put(link);
    }
    if handoff {
        handoff::serve(stream, buf.freeze(), peer, proxy, stop).await;
    }
}

/// A wait for the client ran out: between requests (`in_head` false) the
/// connection closes as it is; with part of a head in, the client gets a
/// `408` first (nginx's `client_header_timeout`). Counted either way.
async fn timed_out(stream: &mut TcpStream, out: &mut h1::Outgoing, proxy: &Proxy, in_head: bool) {
    let metrics = proxy.stats().metrics();
    if !in_head {
        metrics.timed_out(Timeout::Idle);
        return;
    }
    metrics.timed_out(Timeout::Header);
    let ms = proxy.timeouts().header.as_millis();
    let res = body::problem(
        http::StatusCode::REQUEST_TIMEOUT,
        "header-timeout",
        &format!("the request head did not arrive whole within {ms} ms"),
    );
    let exchange = h1::Exchange {
        head_only: false,
        close: true,
    };
    let _ = h1::write(stream, out, res, &exchange, true).await;
}

/// Reads more of the client's next request into `buf`. Between requests
/// (nothing buffered) the connection waits holding no buffer, its upstream
/// link's included: an idle keep-alive connection costs its task and sockets,
/// not two read buffers.
async fn read_more(
    stream: &mut TcpStream,
    buf: &mut BytesMut,
    link: &mut Option<relay::Link>,
) -> std::io::Result<usize> {
    if buf.is_empty() {
        spare::give(buf);
        if let Some(link) = link {
            link.give_buffer();
        }
        // (Not `readable()`: its waiter list costs more than the read half's
        // own waker slot.)
        std::future::poll_fn(|cx| stream.poll_read_ready(cx)).await?;
        *buf = spare::take(READ_BUFFER);
    }
    if buf.capacity() - buf.len() < READ_BUFFER / 8 {
        buf.reserve(READ_BUFFER);
    }
    // A short read tells the runtime the socket is drained: the next wait
    // costs no system call.
    stream.read_buf(buf).await
}

/// Waits for the data plane's answer while watching the client: one that
/// closes its connection first drops the request (and its upstream call), as
/// hyper does; bytes it sends meanwhile (a pipelined request) are kept.
/// `None` when the client went away.
pub(super) async fn answer<F: Future>(
    stream: &mut TcpStream,
    buf: &mut BytesMut,
    mut answer: Pin<&mut F>,
) -> Option<F::Output> {
    loop {
        tokio::select! {
            biased;
            res = answer.as_mut() => return Some(res),
            // After a short read tokio knows the socket is drained: waiting
            // here costs no system call until the client sends or closes.
            // (No room is made here: the buffer's bytes are still shared
            // with the request, so growing it would copy them.)
            read = stream.read_buf(buf), if buf.len() <= h1::MAX_HEAD => match read {
                Ok(0) | Err(_) => return None,
                Ok(_) => {}
            },
        }
    }
}
