//! One client connection on the own codec: read a head, serve it through the
//! data plane, write the answer, and again, until the client closes, asks to
//! close, sends what only hyper serves (then hyper takes over), or the proxy
//! stops (between requests, never in the middle of one).

use super::h1::{self, Parsed};
use super::{handoff, stopped};
use crate::proxy::Proxy;
use bytes::BytesMut;
use std::net::SocketAddr;
use std::sync::Arc;
use tokio::io::AsyncReadExt;
use tokio::net::TcpStream;
use tokio::sync::watch;

/// Read buffer per connection, as hyper's first one.
const READ_BUFFER: usize = 8 * 1024;

/// A head still incomplete past this many bytes goes to hyper, which answers
/// it (`431` when it is too large for it as well).
const MAX_HEAD: usize = 64 * 1024;

/// Serves `stream` until it closes.
pub(super) async fn serve(
    mut stream: TcpStream,
    peer: SocketAddr,
    proxy: Arc<Proxy>,
    mut stop: watch::Receiver<bool>,
) {
    let mut buf = BytesMut::with_capacity(READ_BUFFER);
    let mut out = h1::Outgoing::default();
    loop {
        let (req, exchange) = loop {
            if !buf.is_empty() {
                match h1::parse(&mut buf) {
                    Parsed::Ready(req, exchange) => break (req, exchange),
                    Parsed::Handoff => {
                        return handoff::serve(stream, buf.freeze(), peer, proxy, stop).await;
                    }
                    Parsed::Partial if buf.len() > MAX_HEAD => {
                        return handoff::serve(stream, buf.freeze(), peer, proxy, stop).await;
                    }
                    Parsed::Partial => {}
                }
            }
            if buf.capacity() - buf.len() < READ_BUFFER / 8 {
                buf.reserve(READ_BUFFER);
            }
            let read = tokio::select! {
                read = stream.read_buf(&mut buf) => read,
                // Idle between requests: the connection closes now.
                _ = stopped(&mut stop), if buf.is_empty() => return,
            };
            match read {
                Ok(0) | Err(_) => return,
                Ok(_) => {}
            }
        };
        let res = proxy.handle(req, peer).await;
        let close = exchange.close || *stop.borrow();
        if h1::write(&mut stream, &mut out, res, &exchange, close)
            .await
            .is_err()
            || close
        {
            return;
        }
    }
}
