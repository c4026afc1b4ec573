//! One span per proxied request. It continues the client's W3C trace
//! (`traceparent`/`tracestate`) or starts one, and its own context replaces the
//! client's in the request headers, so every upstream call made for the
//! request (forward, fallback, ACL-translated call, shadow copy) carries the
//! proxy's span as the parent.
//!
//! When spans are exported that is a real OpenTelemetry span. When they are
//! not (the default), a span would be recorded nowhere, so the proxy skips it
//! and only takes a span id of its own to pass on as the parent: the trace
//! still runs from the client through every backend, for a random number and
//! one header value per request instead of a span's bookkeeping.

use bytes::Bytes;
use http::{HeaderMap, HeaderName, HeaderValue};
use platform::trace_context::{self, TRACEPARENT, TRACESTATE, TraceContext};
use std::borrow::Cow;
use tracing::Span;

// Parsed once: a `&str` header name is parsed again on every use.
pub(crate) const TRACEPARENT_NAME: HeaderName = HeaderName::from_static(TRACEPARENT);
pub(crate) const TRACESTATE_NAME: HeaderName = HeaderName::from_static(TRACESTATE);

/// A random id that is never all zeros (W3C: zero ids are invalid).
fn nonzero_u64() -> u64 {
    rand::random::<u64>().max(1)
}

/// Writes `value` as 16 lower-case hex digits into `out`.
fn hex_into(out: &mut [u8], value: u64) {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    for (i, digit) in out.iter_mut().enumerate().take(16) {
        *digit = DIGITS[((value >> (60 - 4 * i)) & 0xf) as usize];
    }
}

/// The request's `tracestate` list as one value: W3C lets a client split it
/// over several header lines, which mean the lines joined with commas.
fn tracestate_list(headers: &HeaderMap) -> Option<Cow<'_, str>> {
    let lines: Vec<&str> = headers
        .get_all(TRACESTATE_NAME)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .collect();
    match lines.as_slice() {
        [] => None,
        [one] => Some(Cow::Borrowed(*one)),
        _ => Some(Cow::Owned(lines.join(","))),
    }
}

/// The `traceparent` a request carries upstream when spans are not exported:
/// the client's trace (from its `traceparent`, when valid) or a new one, with
/// a new parent id; and whether the trace is new (the client's `tracestate`
/// then goes with its parent). Shared by the data plane and the own codec's
/// relay, which has no header map.
pub fn propagated(client: Option<&[u8]>) -> ([u8; 55], bool) {
    let client = client
        .and_then(|v| std::str::from_utf8(v).ok())
        .filter(|v| trace_context::well_formed(v) && v.get(..2) == Some("00"))
        .and_then(|v| Some((v.get(3..35)?, v.get(53..55)?)))
        .filter(|(trace, _)| trace.bytes().any(|b| b != b'0'));
    // `00-<trace id: 32 hex>-<parent id: 16 hex>-<flags: 2 hex>`, written
    // by hand: `format!` costs several times more on every request.
    let mut buf = *b"00-00000000000000000000000000000000-0000000000000000-01";
    let new_trace = client.is_none();
    match client {
        Some((trace, flags)) => {
            buf[3..35].copy_from_slice(trace.as_bytes());
            buf[53..55].copy_from_slice(flags.as_bytes());
        }
        None => {
            hex_into(&mut buf[3..19], nonzero_u64());
            hex_into(&mut buf[19..35], rand::random::<u64>());
        }
    }
    hex_into(&mut buf[36..52], nonzero_u64());
    (buf, new_trace)
}

/// The request's span and the `traceparent` it sends upstream.
pub struct RequestTrace {
    /// The span the request is served in.
    pub span: Span,
    traceparent: Option<HeaderValue>,
}

impl RequestTrace {
    /// Starts the request's trace with `headers` and puts its context in them:
    /// as an OpenTelemetry span when `export` (spans go somewhere), else as
    /// ids only (see the module docs).
    pub fn start(headers: &mut HeaderMap, export: bool) -> Self {
        if export {
            Self::start_span(headers)
        } else {
            Self::propagate(headers)
        }
    }

    /// Ids only: the client's trace id (or a new one) with a new parent id.
    fn propagate(headers: &mut HeaderMap) -> Self {
        let client = headers.get(TRACEPARENT_NAME).map(HeaderValue::as_bytes);
        let (buf, new_trace) = propagated(client);
        if new_trace {
            // A new trace: the client's orphan tracestate goes with its parent.
            headers.remove(TRACESTATE_NAME);
        }
        let traceparent = HeaderValue::from_bytes(&buf).ok();
        if let Some(value) = &traceparent {
            headers.insert(TRACEPARENT_NAME, value.clone());
        }
        Self {
            span: Span::none(),
            traceparent,
        }
    }

    /// An OpenTelemetry span continuing the client's trace or starting one.
    /// When the span is disabled by the filter the client's headers pass
    /// unchanged.
    fn start_span(headers: &mut HeaderMap) -> Self {
        let span = tracing::info_span!("proxy", otel.kind = "server");
        if let Some(traceparent) = headers.get(TRACEPARENT_NAME).and_then(|v| v.to_str().ok()) {
            let tracestate = tracestate_list(headers);
            // Invalid: the span starts a new trace, and the client's
            // tracestate is replaced below (W3C drops it with its parent).
            trace_context::adopt(&span, traceparent, tracestate.as_deref());
        }
        let Some(outgoing) = TraceContext::of(&span) else {
            return Self {
                span,
                traceparent: None,
            };
        };
        let traceparent = HeaderValue::from_maybe_shared(Bytes::from(outgoing.traceparent)).ok();
        match &traceparent {
            Some(value) => headers.insert(TRACEPARENT_NAME, value.clone()),
            None => headers.remove(TRACEPARENT_NAME),
        };
        match outgoing
            .tracestate
            .and_then(|s| HeaderValue::from_maybe_shared(Bytes::from(s)).ok())
        {
            Some(value) => headers.insert(TRACESTATE_NAME, value),
            None => headers.remove(TRACESTATE_NAME),
        };
        Self { span, traceparent }
    }

    /// The trace id (32 hex digits) for log lines; empty when there is none.
    pub fn trace_id(&self) -> &str {
        self.traceparent
            .as_ref()
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.get(3..35))
            .unwrap_or_default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tracing_subscriber::layer::SubscriberExt;

    const CLIENT: &str = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";

    fn with_layer(f: impl FnOnce()) {
        let subscriber = tracing_subscriber::registry().with(platform::telemetry::otel_layer());
        tracing::subscriber::with_default(subscriber, f);
    }

    #[test]
    fn a_client_trace_is_continued_with_the_proxy_span_as_parent() {
        with_layer(|| {
            let mut headers = HeaderMap::new();
            headers.insert(TRACEPARENT, HeaderValue::from_static(CLIENT));
            headers.insert(TRACESTATE, HeaderValue::from_static("congo=t61rcWkgMzE"));
            let trace = RequestTrace::start(&mut headers, true);
            assert_eq!(trace.trace_id(), "4bf92f3577b34da6a3ce929d0e0e4736");
            let sent = headers[TRACEPARENT].to_str().unwrap();
            assert_ne!(sent, CLIENT, "the proxy's span is the new parent");
            let ours = TraceContext::of(&trace.span).unwrap();
            assert_eq!(sent, ours.traceparent);
            assert_eq!(headers[TRACESTATE], "congo=t61rcWkgMzE");
        });
    }

    #[test]
    fn a_tracestate_split_over_lines_is_continued_whole() {
        with_layer(|| {
            let mut headers = HeaderMap::new();
            headers.insert(TRACEPARENT, HeaderValue::from_static(CLIENT));
            headers.append(TRACESTATE, HeaderValue::from_static("congo=t61rcWkgMzE"));
            headers.append(
                TRACESTATE,
                HeaderValue::from_static("rojo=00f067aa0ba902b7"),
            );
            RequestTrace::start(&mut headers, true);
            let sent: Vec<_> = headers.get_all(TRACESTATE).iter().collect();
            assert_eq!(sent, ["congo=t61rcWkgMzE,rojo=00f067aa0ba902b7"]);
        });
    }

    #[test]
    fn a_missing_or_invalid_trace_starts_a_new_one() {
        with_layer(|| {
            let mut headers = HeaderMap::new();
            headers.insert(TRACEPARENT, HeaderValue::from_static("00-bad-bad-01"));
            headers.insert(TRACESTATE, HeaderValue::from_static("congo=t61rcWkgMzE"));
            let trace = RequestTrace::start(&mut headers, true);
            assert_eq!(trace.trace_id().len(), 32);
            let sent = TraceContext::parse(headers[TRACEPARENT].to_str().unwrap(), None).unwrap();
            assert_eq!(sent.trace_id(), trace.trace_id());
            assert!(!headers.contains_key(TRACESTATE));

            let mut headers = HeaderMap::new();
            let other = RequestTrace::start(&mut headers, true);
            assert!(headers.contains_key(TRACEPARENT));
            assert_ne!(other.trace_id(), trace.trace_id());
        });
    }

    #[test]
    fn without_spans_the_client_headers_pass_unchanged() {
        let subscriber = tracing_subscriber::registry();
        tracing::subscriber::with_default(subscriber, || {
            let mut headers = HeaderMap::new();
            headers.insert(TRACEPARENT, HeaderValue::from_static(CLIENT));
            let trace = RequestTrace::start(&mut headers, true);
            assert_eq!(trace.trace_id(), "");
            assert_eq!(headers[TRACEPARENT], CLIENT);
        });
    }

    #[test]
    fn without_export_a_client_trace_is_continued_with_a_new_parent_id() {
        let mut headers = HeaderMap::new();
        headers.insert(TRACEPARENT, HeaderValue::from_static(CLIENT));
        headers.insert(TRACESTATE, HeaderValue::from_static("congo=t61rcWkgMzE"));
        let trace = RequestTrace::start(&mut headers, false);
        assert_eq!(trace.trace_id(), "4bf92f3577b34da6a3ce929d0e0e4736");
        let sent = TraceContext::parse(headers[TRACEPARENT].to_str().unwrap(), None).unwrap();
        assert_eq!(sent.trace_id(), trace.trace_id());
        assert_ne!(sent.traceparent, CLIENT, "the proxy's id is the new parent");
        assert!(
            sent.traceparent.ends_with("-01"),
            "the client's sampling kept"
        );
        assert_eq!(headers[TRACESTATE], "congo=t61rcWkgMzE");
        assert!(trace.span.is_none(), "no span to record");
    }

    #[test]
    fn without_export_a_missing_or_invalid_trace_starts_a_new_one() {
        for bad in [
            None,
            Some("00-bad-bad-01"),
            Some("00-00000000000000000000000000000000-00f067aa0ba902b7-01"),
        ] {
            let mut headers = HeaderMap::new();
            if let Some(bad) = bad {
                headers.insert(TRACEPARENT, HeaderValue::from_static(bad));
                headers.insert(TRACESTATE, HeaderValue::from_static("congo=t61rcWkgMzE"));
            }
            let trace = RequestTrace::start(&mut headers, false);
            let sent = TraceContext::parse(headers[TRACEPARENT].to_str().unwrap(), None)
                .unwrap_or_else(|| panic!("{bad:?}: {:?}", headers[TRACEPARENT]));
            assert_eq!(sent.trace_id(), trace.trace_id());
            assert_ne!(Some(sent.traceparent.as_str()), bad);
            assert!(!headers.contains_key(TRACESTATE), "{bad:?}");
        }
        let (mut a, mut b) = (HeaderMap::new(), HeaderMap::new());
        assert_ne!(
            RequestTrace::start(&mut a, false).trace_id(),
            RequestTrace::start(&mut b, false).trace_id()
        );
    }
}
