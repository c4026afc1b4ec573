//! One span per proxied request. It continues the client's W3C trace
//! (`traceparent`/`tracestate`) or starts one, and its own context replaces the
//! client's in the request headers, so every upstream call made for the
//! request (forward, fallback, ACL-translated call, shadow copy) carries the
//! proxy's span as the parent. The hot path pays for the span and the header
//! strings only.

use bytes::Bytes;
use http::{HeaderMap, HeaderValue};
use platform::trace_context::{self, TRACEPARENT, TRACESTATE, TraceContext};
use tracing::Span;

/// The request's span and the `traceparent` it sends upstream.
pub struct RequestTrace {
    /// The span the request is served in.
    pub span: Span,
    traceparent: Option<HeaderValue>,
}

impl RequestTrace {
    /// Starts the span for a request with `headers` and puts its context in
    /// them. When the span is disabled (by the log filter) the client's
    /// headers pass unchanged.
    pub fn start(headers: &mut HeaderMap) -> Self {
        let span = tracing::info_span!("proxy", otel.kind = "server");
        if let Some(traceparent) = headers.get(TRACEPARENT).and_then(|v| v.to_str().ok()) {
            let tracestate = headers.get(TRACESTATE).and_then(|v| v.to_str().ok());
            // Invalid: the span starts a new trace, and the client's
            // tracestate is replaced below (W3C drops it with its parent).
            trace_context::adopt(&span, traceparent, tracestate);
        }
        let Some(outgoing) = TraceContext::of(&span) else {
            return Self {
                span,
                traceparent: None,
            };
        };
        let traceparent = HeaderValue::from_maybe_shared(Bytes::from(outgoing.traceparent)).ok();
        match &traceparent {
            Some(value) => headers.insert(TRACEPARENT, value.clone()),
            None => headers.remove(TRACEPARENT),
        };
        match outgoing
            .tracestate
            .and_then(|s| HeaderValue::from_maybe_shared(Bytes::from(s)).ok())
        {
            Some(value) => headers.insert(TRACESTATE, value),
            None => headers.remove(TRACESTATE),
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
            let trace = RequestTrace::start(&mut headers);
            assert_eq!(trace.trace_id(), "4bf92f3577b34da6a3ce929d0e0e4736");
            let sent = headers[TRACEPARENT].to_str().unwrap();
            assert_ne!(sent, CLIENT, "the proxy's span is the new parent");
            let ours = TraceContext::of(&trace.span).unwrap();
            assert_eq!(sent, ours.traceparent);
            assert_eq!(headers[TRACESTATE], "congo=t61rcWkgMzE");
        });
    }

    #[test]
    fn a_missing_or_invalid_trace_starts_a_new_one() {
        with_layer(|| {
            let mut headers = HeaderMap::new();
            headers.insert(TRACEPARENT, HeaderValue::from_static("00-bad-bad-01"));
            headers.insert(TRACESTATE, HeaderValue::from_static("congo=t61rcWkgMzE"));
            let trace = RequestTrace::start(&mut headers);
            assert_eq!(trace.trace_id().len(), 32);
            let sent = TraceContext::parse(headers[TRACEPARENT].to_str().unwrap(), None).unwrap();
            assert_eq!(sent.trace_id(), trace.trace_id());
            assert!(!headers.contains_key(TRACESTATE));

            let mut headers = HeaderMap::new();
            let other = RequestTrace::start(&mut headers);
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
            let trace = RequestTrace::start(&mut headers);
            assert_eq!(trace.trace_id(), "");
            assert_eq!(headers[TRACEPARENT], CLIENT);
        });
    }
}
