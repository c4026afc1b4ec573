//! W3C Trace Context (`traceparent`, `tracestate`) across process boundaries.
//!
//! What comes in (an HTTP request, an outbox event, a broker message) is made
//! the remote parent of the span that handles it ([`TraceContext::adopt_by`]);
//! what goes out carries the current span's context ([`TraceContext::current`]).
//! Spans get OpenTelemetry ids from the layer [`crate::telemetry`] installs,
//! whether or not they are exported, so one trace id ties a request's hops
//! together in logs too.

use opentelemetry::propagation::{Extractor, Injector, TextMapPropagator};
use opentelemetry::trace::TraceContextExt;
use opentelemetry_sdk::propagation::TraceContextPropagator;
use serde::{Deserialize, Serialize};
use tracing::Span;
use tracing_opentelemetry::OpenTelemetrySpanExt;

/// The W3C header (and message header) carrying trace and parent span ids.
pub const TRACEPARENT: &str = "traceparent";
/// The W3C header carrying vendor-specific trace state.
pub const TRACESTATE: &str = "tracestate";

/// A valid W3C trace context, as carried on the wire.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TraceContext {
    /// `version-traceid-parentid-flags`, e.g. `00-4bf9…-00f0…-01`.
    pub traceparent: String,
    /// Vendor entries, when there are any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tracestate: Option<String>,
}

impl TraceContext {
    /// Accepts `traceparent` (and `tracestate`) when they form a valid
    /// context; `None` otherwise (the caller then starts a new trace).
    pub fn parse(traceparent: &str, tracestate: Option<&str>) -> Option<Self> {
        if !well_formed(traceparent) {
            return None;
        }
        let carrier = Carrier {
            traceparent: Some(traceparent.to_owned()),
            tracestate: tracestate.map(str::to_owned),
        };
        let cx = TraceContextPropagator::new().extract(&carrier);
        cx.span()
            .span_context()
            .is_valid()
            .then(|| Self::from_context(&cx))?
    }

    /// The context of `span`: `None` when it has none (no OpenTelemetry layer
    /// installed, or the span is disabled by the filter).
    pub fn of(span: &Span) -> Option<Self> {
        Self::from_context(&span.context())
    }

    /// The context of the current span (see [`TraceContext::of`]).
    pub fn current() -> Option<Self> {
        Self::of(&Span::current())
    }

    /// Makes this context the remote parent of `span`, so `span` joins its
    /// trace. Call it before `span` is first entered; returns whether it took.
    pub fn adopt_by(&self, span: &Span) -> bool {
        adopt(span, &self.traceparent, self.tracestate.as_deref())
    }

    /// The trace id, 32 lower-case hex digits.
    pub fn trace_id(&self) -> &str {
        // A parsed or injected traceparent is always `00-<32 hex>-<16 hex>-<2 hex>`.
        self.traceparent.get(3..35).unwrap_or_default()
    }

    fn from_context(cx: &opentelemetry::Context) -> Option<Self> {
        let mut carrier = Carrier::default();
        TraceContextPropagator::new().inject_context(cx, &mut carrier);
        Some(Self {
            traceparent: carrier.traceparent?,
            tracestate: carrier.tracestate.filter(|s| !s.is_empty()),
        })
    }
}

/// The W3C shape, checked strictly (the propagator alone pads short ids):
/// version `00` has exactly four fields, a later version may append more.
/// All-zero ids pass here; [`TraceContext::parse`] refuses them.
pub fn well_formed(traceparent: &str) -> bool {
    let hex = |s: &str, len: usize| {
        s.len() == len
            && s.bytes()
                .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
    };
    let mut fields = traceparent.split('-');
    let (Some(version), Some(trace), Some(parent), Some(flags)) =
        (fields.next(), fields.next(), fields.next(), fields.next())
    else {
        return false;
    };
    hex(version, 2)
        && version != "ff"
        && (version != "00" || fields.next().is_none())
        && hex(trace, 32)
        && hex(parent, 16)
        && hex(flags, 2)
}

/// Makes the context in `traceparent` (and `tracestate`), as received in
/// headers, the remote parent of `span`, without copying them first (the
/// proxy does this per request). An invalid `traceparent` is ignored: `span`
/// then starts a new trace. Returns whether the context took.
pub fn adopt(span: &Span, traceparent: &str, tracestate: Option<&str>) -> bool {
    if !well_formed(traceparent) {
        return false;
    }
    let carrier = Received {
        traceparent,
        tracestate,
    };
    let cx = TraceContextPropagator::new().extract(&carrier);
    cx.span().span_context().is_valid() && span.set_parent(cx).is_ok()
}

/// The trace id of `span`, for log fields; `None` as in [`TraceContext::of`].
pub fn trace_id_of(span: &Span) -> Option<String> {
    let id = span.context().span().span_context().trace_id();
    (id != opentelemetry::trace::TraceId::INVALID).then(|| id.to_string())
}

/// The two headers, and nothing else (the propagator reads and writes only these).
#[derive(Default)]
struct Carrier {
    traceparent: Option<String>,
    tracestate: Option<String>,
}

impl Injector for Carrier {
    fn set(&mut self, key: &str, value: String) {
        match key {
            TRACEPARENT => self.traceparent = Some(value),
            TRACESTATE => self.tracestate = Some(value),
            _ => {}
        }
    }
}

impl Extractor for Carrier {
    fn get(&self, key: &str) -> Option<&str> {
        match key {
            TRACEPARENT => self.traceparent.as_deref(),
            TRACESTATE => self.tracestate.as_deref(),
            _ => None,
        }
    }

    fn keys(&self) -> Vec<&str> {
        vec![TRACEPARENT, TRACESTATE]
    }
}

/// Borrowed headers, for [`adopt`].
struct Received<'a> {
    traceparent: &'a str,
    tracestate: Option<&'a str>,
}

impl Extractor for Received<'_> {
    fn get(&self, key: &str) -> Option<&str> {
        match key {
            TRACEPARENT => Some(self.traceparent),
            TRACESTATE => self.tracestate,
            _ => None,
        }
    }

    fn keys(&self) -> Vec<&str> {
        vec![TRACEPARENT, TRACESTATE]
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tracing_subscriber::layer::SubscriberExt;

    const PARENT: &str = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";

    #[test]
    fn parses_valid_contexts_and_refuses_others() {
        let cx = TraceContext::parse(PARENT, Some("congo=t61rcWkgMzE")).unwrap();
        assert_eq!(cx.trace_id(), "4bf92f3577b34da6a3ce929d0e0e4736");
        assert_eq!(cx.tracestate.as_deref(), Some("congo=t61rcWkgMzE"));
        for bad in [
            "",
            "00-00000000000000000000000000000000-00f067aa0ba902b7-01",
            "00-4bf92f3577b34da6a3ce929d0e0e4736-0000000000000000-01",
            "zz-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
            "00-4bf92f3577b34da6a3ce929d0e0e473-00f067aa0ba902b7-01",
            "00-4BF92F3577B34DA6A3CE929D0E0E4736-00f067aa0ba902b7-01",
            "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01-extra",
            "ff-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
        ] {
            assert_eq!(TraceContext::parse(bad, None), None, "{bad:?}");
        }
    }

    #[test]
    fn a_span_that_adopts_a_context_continues_its_trace() {
        let subscriber = tracing_subscriber::registry().with(crate::telemetry::otel_layer());
        tracing::subscriber::with_default(subscriber, || {
            let incoming = TraceContext::parse(PARENT, None).unwrap();
            let span = tracing::info_span!("handle");
            assert!(incoming.adopt_by(&span));
            let outgoing = span.in_scope(TraceContext::current).unwrap();
            assert_eq!(outgoing.trace_id(), incoming.trace_id());
            assert_ne!(outgoing.traceparent, incoming.traceparent, "a new span id");
            assert_eq!(trace_id_of(&span).as_deref(), Some(incoming.trace_id()));

            let refused = tracing::info_span!("refused");
            assert!(!adopt(&refused, "00-zz-00f067aa0ba902b7-01", None));
            assert_ne!(trace_id_of(&refused).as_deref(), Some(incoming.trace_id()));

            let fresh = tracing::info_span!("other");
            let started = TraceContext::of(&fresh).unwrap();
            assert_ne!(started.trace_id(), incoming.trace_id());
        });
    }

    #[test]
    fn no_layer_means_no_context() {
        let subscriber = tracing_subscriber::registry();
        tracing::subscriber::with_default(subscriber, || {
            assert_eq!(TraceContext::of(&tracing::info_span!("x")), None);
        });
    }
}
