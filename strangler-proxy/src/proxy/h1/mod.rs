//! The proxy's HTTP/1.1 client side: one upstream connection, driven by the
//! task of the request it carries.
//!
//! Why not hyper's client connection: it runs every connection in a task of
//! its own, and the request, the response head and each body frame cross
//! between that task and the request's over channels. That hand-off and its
//! wake-ups cost about a third of a proxied request's instructions. Here the
//! request task writes the head and body itself and reads the response
//! straight from the socket; the framing rules live in [`encode`] and
//! [`decode`], free of I/O so they are tested byte by byte.

pub mod decode;
pub mod encode;

use super::body::Body;
use bytes::BytesMut;
use decode::{Head, ProtocolError};
use encode::{BodyFraming, BodyShape};
use http::request;
use http_body_util::BodyExt;
use std::future::poll_fn;
use std::io;
use std::task::{Context, Poll, ready};
use tokio::io::AsyncWriteExt;
use tokio::net::TcpStream;

/// Room made in the read buffer before a read.
const READ_SIZE: usize = 8 * 1024;
/// Body bytes gathered before they are written (small bodies go out with the head).
const WRITE_BATCH: usize = 16 * 1024;

/// One connection to an upstream, with the bytes read but not yet used.
#[derive(Debug)]
pub struct Conn {
    io: TcpStream,
    /// Read from the socket, not yet taken by the head or body decoder.
    pub read: BytesMut,
    write: Vec<u8>,
}

/// Why an exchange gave no response head.
#[derive(Debug)]
pub enum ExchangeError {
    /// The connection ended before any byte of a response: a reused
    /// connection the upstream had closed while it was idle looks like this.
    NoResponse(io::Error),
    /// Anything else: the upstream may have acted on the request.
    Failed(String),
}

impl std::fmt::Display for ExchangeError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::NoResponse(e) => write!(f, "the connection closed before a response: {e}"),
            Self::Failed(e) => f.write_str(e),
        }
    }
}

impl Conn {
    /// A connection over `io`, which must be connected.
    pub fn new(io: TcpStream) -> Self {
        Self {
            io,
            read: BytesMut::new(),
            write: Vec::new(),
        }
    }

    /// The socket and any bytes the upstream sent past the response head:
    /// what a protocol switch continues with.
    pub fn into_parts(self) -> (TcpStream, BytesMut) {
        (self.io, self.read)
    }

    /// Whether this idle connection can no longer carry a request: the
    /// upstream closed it, or sent bytes nobody asked for. Costs a system call
    /// only when the socket has signalled readiness since it was last read dry.
    pub fn is_stale(&self) -> bool {
        let mut probe = [0u8; 1];
        !matches!(self.io.try_read(&mut probe), Err(e) if e.kind() == io::ErrorKind::WouldBlock)
    }

    /// Writes the request (`parts` with `body`) and reads the response head;
    /// interim 1xx responses other than 101 are skipped. The body that
    /// follows the head is left in the connection for a [`decode::BodyDecoder`].
    pub async fn send(
        &mut self,
        parts: &request::Parts,
        mut body: Body,
    ) -> Result<Head, ExchangeError> {
        let shape = BodyShape {
            empty: hyper::body::Body::is_end_stream(&body),
            exact: hyper::body::Body::size_hint(&body).exact(),
        };
        self.write.clear();
        let framing = encode::head(&mut self.write, parts, shape);
        let mut sent = 0u64;
        if framing != BodyFraming::Empty {
            while let Some(frame) = body.frame().await {
                let frame = frame.map_err(|e| {
                    ExchangeError::Failed(format!("the request body could not be read: {e}"))
                })?;
                let Ok(data) = frame.into_data() else {
                    continue;
                };
                if data.is_empty() {
                    continue;
                }
                sent += data.len() as u64;
                match framing {
                    BodyFraming::Length(n) if sent > n => {
                        return Err(ExchangeError::Failed(format!(
                            "the request body is longer than its length of {n} bytes"
                        )));
                    }
                    BodyFraming::Chunked => encode::chunk(&mut self.write, &data),
                    _ => self.write.extend_from_slice(&data),
                }
                if self.write.len() >= WRITE_BATCH {
                    self.flush().await?;
                }
            }
            match framing {
                BodyFraming::Length(n) if sent < n => {
                    return Err(ExchangeError::Failed(format!(
                        "the request body ended after {sent} of its {n} bytes"
                    )));
                }
                BodyFraming::Chunked => self.write.extend_from_slice(encode::LAST_CHUNK),
                _ => {}
            }
        }
        self.flush().await?;
        self.read_head(parts).await
    }

    async fn flush(&mut self) -> Result<(), ExchangeError> {
        let written = self.io.write_all(&self.write).await;
        self.write.clear();
        written.map_err(|e| match e.kind() {
            // The upstream closed a connection it had kept: nothing was read.
            io::ErrorKind::BrokenPipe | io::ErrorKind::ConnectionReset => {
                ExchangeError::NoResponse(e)
            }
            _ => ExchangeError::Failed(format!("writing the request failed: {e}")),
        })
    }

    async fn read_head(&mut self, parts: &request::Parts) -> Result<Head, ExchangeError> {
        let mut heard = false;
        loop {
            if !self.read.is_empty() {
                heard = true;
                let parsed = decode::head(&mut self.read, &parts.method).map_err(failed)?;
                match parsed {
                    Some(head) if is_interim(&head) => continue,
                    Some(head) => return Ok(head),
                    None => {}
                }
            }
            match poll_fn(|cx| self.poll_fill(cx)).await {
                Ok(0) if !heard => {
                    return Err(ExchangeError::NoResponse(
                        io::ErrorKind::UnexpectedEof.into(),
                    ));
                }
                Ok(0) => {
                    return Err(failed(ProtocolError(
                        "the upstream closed the connection mid-head".into(),
                    )));
                }
                Ok(_) => {}
                Err(e) if !heard && e.kind() == io::ErrorKind::ConnectionReset => {
                    return Err(ExchangeError::NoResponse(e));
                }
                Err(e) => {
                    return Err(ExchangeError::Failed(format!(
                        "reading the response failed: {e}"
                    )));
                }
            }
        }
    }

    /// Reads what the socket has into [`Conn::read`]; `Ok(0)` at its end.
    pub fn poll_fill(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<usize>> {
        if self.read.capacity() - self.read.len() < READ_SIZE / 4 {
            self.read.reserve(READ_SIZE);
        }
        loop {
            match self.io.try_read_buf(&mut self.read) {
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => {
                    ready!(self.io.poll_read_ready(cx))?
                }
                done => return Poll::Ready(done),
            }
        }
    }
}

/// A 1xx answer that another head follows (101 ends the exchange instead).
fn is_interim(head: &Head) -> bool {
    head.parts.status.is_informational()
        && head.parts.status != http::StatusCode::SWITCHING_PROTOCOLS
}

fn failed(e: ProtocolError) -> ExchangeError {
    ExchangeError::Failed(e.0)
}
