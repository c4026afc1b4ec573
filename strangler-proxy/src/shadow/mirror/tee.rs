//! Capturing the primary's response body for comparison while it streams to
//! the client: [`TeeBody`] passes every frame on untouched and keeps a copy (up
//! to a limit); when the stream ends the copy is handed over. The client never
//! waits for the comparison.

use crate::proxy::body::{Body, BoxError};
use bytes::{Bytes, BytesMut};
use hyper::body::{Frame, SizeHint};
use std::pin::Pin;
use std::task::{Context, Poll};
use tokio::sync::oneshot;

/// The primary's body as captured.
#[derive(Debug)]
pub enum Captured {
    /// The whole body.
    Complete(Bytes),
    /// Larger than the capture limit: not compared.
    TooLarge,
}

/// A copy of a body kept as it passes (up to a limit), handed over when it
/// has passed whole; dropped unfinished (the client went away), it hands
/// nothing over. The relay keeps one for a shadowed request's primary body.
pub struct Capture {
    copy: BytesMut,
    limit: usize,
    overflow: bool,
    done: Option<oneshot::Sender<Captured>>,
}

impl Capture {
    /// A capture of up to `limit` bytes, and where its copy arrives.
    pub fn new(limit: usize) -> (Self, oneshot::Receiver<Captured>) {
        let (tx, rx) = oneshot::channel();
        let capture = Self {
            copy: BytesMut::new(),
            limit,
            overflow: false,
            done: Some(tx),
        };
        (capture, rx)
    }

    /// Keeps `data`, the next piece of the body.
    pub fn keep(&mut self, data: &[u8]) {
        if self.overflow {
            return;
        }
        if self.copy.len() + data.len() > self.limit {
            self.overflow = true;
            self.copy = BytesMut::new();
        } else {
            self.copy.extend_from_slice(data);
        }
    }

    /// The body has passed whole: its copy is handed over.
    pub fn finish(&mut self) {
        if let Some(tx) = self.done.take() {
            let captured = if self.overflow {
                Captured::TooLarge
            } else {
                Captured::Complete(std::mem::take(&mut self.copy).freeze())
            };
            let _ = tx.send(captured);
        }
    }
}

/// A body that copies what passes through it.
pub struct TeeBody {
    inner: Body,
    capture: Capture,
}

impl TeeBody {
    /// Wraps `inner`; the copy arrives on the returned receiver when the stream
    /// ends (the sender is dropped if the client goes away first).
    pub fn new(inner: Body, limit: usize) -> (Self, oneshot::Receiver<Captured>) {
        let (capture, rx) = Capture::new(limit);
        (Self { inner, capture }, rx)
    }
}

impl hyper::body::Body for TeeBody {
    type Data = Bytes;
    type Error = BoxError;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, BoxError>>> {
        let this = &mut *self;
        match Pin::new(&mut this.inner).poll_frame(cx) {
            Poll::Ready(Some(Ok(frame))) => {
                if let Some(data) = frame.data_ref() {
                    this.capture.keep(data);
                }
                // hyper stops polling once the body says it has ended, so the
                // copy is handed over here, not only on the final `None`.
                if this.inner.is_end_stream() {
                    this.capture.finish();
                }
                Poll::Ready(Some(Ok(frame)))
            }
            Poll::Ready(None) => {
                this.capture.finish();
                Poll::Ready(None)
            }
            other => other,
        }
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.inner.size_hint()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::proxy::body;
    use http_body_util::BodyExt;

    #[tokio::test]
    async fn the_client_gets_every_byte_and_the_copy_arrives_at_the_end() {
        let (tee, copy) = TeeBody::new(body::full("hello shadow"), 64);
        let seen = tee.collect().await.unwrap().to_bytes();
        assert_eq!(seen, "hello shadow");
        assert!(matches!(copy.await.unwrap(), Captured::Complete(b) if b == "hello shadow"));
    }

    #[tokio::test]
    async fn a_body_over_the_limit_passes_but_is_not_kept() {
        let (tee, copy) = TeeBody::new(body::full(vec![1u8; 100]), 10);
        assert_eq!(tee.collect().await.unwrap().to_bytes().len(), 100);
        assert!(matches!(copy.await.unwrap(), Captured::TooLarge));
    }

    #[tokio::test]
    async fn the_copy_arrives_when_the_body_says_it_has_ended() {
        // What hyper does: poll one frame, see `is_end_stream`, stop.
        let (mut tee, copy) = TeeBody::new(body::full("once"), 64);
        let frame = tee.frame().await.unwrap().unwrap();
        assert_eq!(frame.into_data().unwrap(), "once");
        assert!(hyper::body::Body::is_end_stream(&tee));
        assert!(matches!(copy.await.unwrap(), Captured::Complete(b) if b == "once"));
    }

    #[tokio::test]
    async fn a_client_that_goes_away_leaves_no_copy() {
        let (tee, copy) = TeeBody::new(body::full("x"), 10);
        drop(tee);
        assert!(copy.await.is_err());
    }
}
