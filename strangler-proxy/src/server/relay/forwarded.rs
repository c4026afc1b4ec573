//! What a request carries upstream besides its own lines, whoever serves
//! it (the relay, or the translated relay and then the relay).

use super::Relayed;
use crate::proxy::headers::raw::Override;
use crate::proxy::relay::text;
use crate::proxy::{CORRELATION_NAME, Proxy, trace};
use crate::server::h1::Head;
use http::HeaderName;

/// What a request carries upstream besides its own lines, made once for
/// it whoever serves it: the trace context it goes on with and its
/// correlation id (the client's, or one made here, as the data plane does),
/// and the lines the relay reads.
pub(in crate::server) struct Forwarded<'h> {
    traceparent: [u8; 55],
    /// The client sent no valid trace: this one is new, and the client's
    /// `tracestate` does not go on.
    new_trace: bool,
    /// The correlation id sent upstream.
    correlation: &'h str,
    /// It is the client's (else made here).
    clients_id: bool,
    user: Option<&'h [u8]>,
    idempotency_key: bool,
}

impl<'h> Forwarded<'h> {
    /// What `head` carries; a correlation id made for it is written into
    /// `made`.
    pub(in crate::server) fn of(head: &'h Head, proxy: &Proxy, made: &'h mut [u8; 32]) -> Self {
        let [client_trace, client_id, user, idempotency_key] = head.first_values([
            trace::TRACEPARENT_NAME.as_str(),
            CORRELATION_NAME.as_str(),
            proxy.identity_user().as_str(),
            "idempotency-key",
        ]);
        let (traceparent, new_trace) = trace::propagated(client_trace);
        let client_id = client_id.and_then(text);
        let correlation = match client_id {
            Some(id) => id,
            None => platform::correlation::CorrelationId::generate_into(made),
        };
        Self {
            traceparent,
            new_trace,
            correlation,
            clients_id: client_id.is_some(),
            user,
            idempotency_key: idempotency_key.is_some(),
        }
    }

    /// The correlation id sent upstream.
    pub(super) fn correlation(&self) -> &str {
        self.correlation
    }

    /// The `traceparent` sent upstream.
    pub(super) fn traceparent(&self) -> &[u8] {
        &self.traceparent
    }

    /// Whether the client's `tracestate` goes on (its trace does).
    pub(super) fn keeps_tracestate(&self) -> bool {
        !self.new_trace
    }

    /// The trace id sent upstream (ours: hex digits).
    pub(super) fn trace_id(&self) -> &str {
        std::str::from_utf8(&self.traceparent[3..35]).unwrap_or_default()
    }

    /// Safe to send again to the same upstream on a fresh connection when a
    /// pooled one failed before answering: a safe method, or an idempotency
    /// key the upstream honours.
    pub(super) fn replayable(&self, head: &Head) -> bool {
        self.idempotency_key
            || matches!(
                head.method,
                http::Method::GET | http::Method::HEAD | http::Method::OPTIONS
            )
    }

    /// What the log line says of the request.
    pub(super) fn log_line<'a>(&'a self, head: &'a Head) -> Relayed<'a> {
        Relayed {
            method: head.method.as_str(),
            path: head.uri.path(),
            correlation_id: self.correlation(),
            trace_id: self.trace_id(),
            user: self.user.and_then(text),
        }
    }

    /// The changes to the request's lines: the trace context and, when the
    /// client sent none, the correlation id; `tracestate` dropped with a
    /// trace that is new.
    pub(super) fn overrides(&self) -> ([Override<'_>; 3], usize) {
        // Statics: a reference to a `const` is to a temporary.
        static TRACEPARENT: HeaderName = trace::TRACEPARENT_NAME;
        static TRACESTATE: HeaderName = trace::TRACESTATE_NAME;
        static CORRELATION: HeaderName = CORRELATION_NAME;
        let mut overrides = [
            Override {
                name: &TRACEPARENT,
                value: Some(&self.traceparent),
            },
            Override {
                name: &TRACESTATE,
                value: None,
            },
            Override {
                name: &CORRELATION,
                value: Some(self.correlation().as_bytes()),
            },
        ];
        let count = match (self.new_trace, self.clients_id) {
            (true, false) => 3,
            (true, true) => 2,
            (false, false) => {
                overrides.swap(1, 2);
                2
            }
            (false, true) => 1,
        };
        (overrides, count)
    }
}
