//! Body types of the data plane: streamed where the proxy only passes bytes
//! on, buffered (with a limit) where it must read them (translation, replay
//! for fallback).

use bytes::Bytes;
use http::{HeaderValue, Response, StatusCode, header};
use http_body_util::{BodyExt, Full, combinators::BoxBody};
use serde_json::json;

/// Any error a body stream can raise.
pub type BoxError = Box<dyn std::error::Error + Send + Sync>;

/// The one body type requests and responses carry through the proxy.
pub type Body = BoxBody<Bytes, BoxError>;

/// A body with these bytes.
pub fn full(bytes: impl Into<Bytes>) -> Body {
    Full::new(bytes.into())
        .map_err(|never| match never {})
        .boxed()
}

/// An empty body.
pub fn empty() -> Body {
    full(Bytes::new())
}

/// Streams any body as [`Body`].
pub fn stream<B>(body: B) -> Body
where
    B: hyper::body::Body<Data = Bytes> + Send + Sync + 'static,
    B::Error: Into<BoxError>,
{
    body.map_err(Into::into).boxed()
}

/// Why a body could not be buffered.
#[derive(Debug)]
pub enum ReadError {
    /// Larger than the limit.
    TooLarge,
    /// The stream failed (client went away).
    Broken(BoxError),
}

/// Reads a whole body, refusing more than `limit` bytes.
pub async fn read<B>(body: B, limit: usize) -> Result<Bytes, ReadError>
where
    B: hyper::body::Body<Data = Bytes> + Send + Sync + 'static,
    B::Error: Into<BoxError>,
{
    read_boxed(stream(body), limit).await
}

/// [`read`] for a [`Body`], frame by frame. Not generic on purpose: `Limited`
/// (or a generic reader) over a boxed error type trips the compiler's
/// higher-ranked `Send` check inside spawned tasks.
pub async fn read_boxed(mut body: Body, limit: usize) -> Result<Bytes, ReadError> {
    // A body that arrives in one frame (most small ones) is kept as it came:
    // copied into a buffer only when a second frame follows.
    let mut first: Option<Bytes> = None;
    let mut buf = bytes::BytesMut::new();
    let mut len = 0;
    while let Some(frame) = body.frame().await {
        let frame = frame.map_err(ReadError::Broken)?;
        if let Ok(data) = frame.into_data() {
            len += data.len();
            if len > limit {
                return Err(ReadError::TooLarge);
            }
            match first.take() {
                None if buf.is_empty() => first = Some(data),
                earlier => {
                    buf.extend_from_slice(&earlier.unwrap_or_default());
                    buf.extend_from_slice(&data);
                }
            }
        }
    }
    Ok(first.unwrap_or_else(|| buf.freeze()))
}

/// An `application/problem+json` response made by the proxy itself.
pub fn problem(status: StatusCode, slug: &str, detail: &str) -> Response<Body> {
    let body = json!({
        "type": format!("urn:strangler-kit:problem:{slug}"),
        "title": status.canonical_reason().unwrap_or("Error"),
        "status": status.as_u16(),
        "detail": detail,
    });
    let mut res = Response::new(full(body.to_string()));
    *res.status_mut() = status;
    res.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/problem+json"),
    );
    res
}

#[cfg(test)]
mod tests {
    use super::*;
    use http_body_util::StreamBody;
    use hyper::body::Frame;

    fn frames(parts: &[&'static str]) -> Body {
        let frames = parts
            .iter()
            .map(|p| Ok::<_, BoxError>(Frame::data(Bytes::from_static(p.as_bytes()))))
            .collect::<Vec<_>>();
        stream(StreamBody::new(futures_util::stream::iter(frames)))
    }

    #[tokio::test]
    async fn one_frame_or_many_read_the_same_bytes() {
        for parts in [
            &[][..],
            &["{\"a\":1}"][..],
            &["", "{\"a\"", ":1}"][..],
            &["{\"a\"", "", ":1", "}"][..],
        ] {
            let read = read_boxed(frames(parts), 64).await.unwrap();
            assert_eq!(read, parts.concat().as_bytes(), "{parts:?}");
        }
    }

    #[tokio::test]
    async fn the_limit_counts_every_frame() {
        let over = read_boxed(frames(&["12345", "67890", "1"]), 10).await;
        assert!(matches!(over, Err(ReadError::TooLarge)));
        let at = read_boxed(frames(&["12345", "67890"]), 10).await.unwrap();
        assert_eq!(at.len(), 10);
    }
}
