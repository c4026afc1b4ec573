//! The data plane's half of the own codec's relay: requests the monolith
//! answers (a route in legacy or shadow mode, or no route), which the client
//! connection's task passes straight to the upstream and back, header lines
//! rewritten in place ([`super::headers::raw`]) instead of through a
//! `HeaderMap` and hyper's client. The decision, the counters, the labels and
//! the log line stay here, with the rest of the data plane; the wire work is
//! the server's (`crate::server`).
//!
//! Only what the monolith answers is relayed, and nothing while spans are
//! exported (the relay has no span to export). A shadowed request is
//! relayed too, its copy handed to the shadow stage as the data plane hands
//! it ([`Proxy::shadow_relayed`]); one whose monolith call fails is answered
//! with the failure and not copied. A request for a translated route's new
//! side is served from its head as well ([`Planned::Translate`]): the data
//! plane's [`Proxy::translated`] decides, and when the monolith is to serve
//! it after all, the relay takes it.

use super::blame::Answered;
use super::body::Body;
use super::decide::{Mode, Side};
use super::headers::raw::is_text;
use super::headers::strip_hop_by_hop;
use super::new_side::Translated;
use super::shadowed::{Copying, copying};
use super::translate::Transport;
use super::{Decided, Proxy, Target, label};
use crate::metrics::ClientError;
use crate::routes::{Route, RouteTable};
use crate::settings::HostPolicy;
use crate::shadow::mirror::tee::Capture;
use crate::shadow::mirror::{Job, header_pairs};
use crate::stats::Backend;
use crate::upstream::Upstream;
use bytes::Bytes;
use http::{HeaderMap, HeaderName, HeaderValue, Method, Response};
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// Who serves a plain request on the own codec.
// Matched as soon as it is returned: a box would cost an allocation per request.
#[allow(clippy::large_enum_variant)]
pub enum Planned {
    /// The relay.
    Relay(RelayPlan),
    /// The translated relay: the route's new side through the ACL, the
    /// relay when the monolith is to serve after all.
    Translate(RelayPlan),
    /// The data plane, with the route's decision when it was made here
    /// (`None` while spans are exported: it is made in the request's span).
    DataPlane(Option<Decided>),
}

/// A request the relay may serve, and what it needs to serve it.
pub struct RelayPlan {
    table: Arc<RouteTable>,
    /// `None`: no route claims the request.
    route: Option<usize>,
    mode: Mode,
    /// Who answers: `New` while a translated request is with the new side;
    /// the monolith (`Legacy`, or `LegacyFallback` when the new side failed
    /// or was refused) once it is relayed.
    backend: Backend,
    started: Instant,
    /// In shadow mode, how it is copied (see [`Proxy::shadow_relayed`]).
    shadowing: Option<Shadowing>,
    /// The answer is the client's fault (see [`super::blame`]).
    fault: Option<ClientError>,
}

/// A shadowed request's copy, made once the monolith has answered.
struct Shadowing {
    /// The route pattern that matched.
    pattern: String,
    copying: Copying,
}

/// What the log line says about a relayed request beyond its plan and status.
pub struct Relayed<'a> {
    /// The request's method.
    pub method: &'a str,
    /// The request's path (no query).
    pub path: &'a str,
    /// The correlation id sent upstream.
    pub correlation_id: &'a str,
    /// The trace id sent upstream.
    pub trace_id: &'a str,
    /// The client's user header, when it sent one.
    pub user: Option<&'a str>,
}

impl RelayPlan {
    pub(crate) fn route(&self) -> Option<&Route> {
        self.route.map(|index| &self.table.routes()[index])
    }

    /// Where the request goes.
    pub fn upstream(&self) -> &Upstream {
        self.route()
            .map_or_else(|| self.table.legacy(), |route| &route.legacy)
    }

    /// Whether a copy goes to the shadow stage once the monolith answered.
    pub fn shadows(&self) -> bool {
        self.shadowing.is_some()
    }

    /// The answer is the client's mistake: counted as one, never as the new
    /// side's.
    pub fn blame_client(&mut self, fault: ClientError) {
        self.fault = Some(fault);
    }

    /// The monolith is to serve a translated request, as `backend`.
    pub fn fall_back(&mut self, backend: Backend) {
        self.backend = backend;
    }

    /// Whether the client's `Host` is kept.
    pub fn host(&self) -> HostPolicy {
        self.route().map_or(HostPolicy::Rewrite, |route| route.host)
    }

    /// How long the upstream has to answer.
    pub fn timeout(&self, proxy: &Proxy) -> Duration {
        self.route()
            .map_or(proxy.unrouted_timeout, |route| route.timeout)
    }

    /// The response labels (route, backend) as header lines, when responses
    /// carry them.
    pub fn labels(&self, proxy: &Proxy) -> [Option<(&'static str, &[u8])>; 2] {
        match self.route() {
            Some(route) if proxy.expose_route_headers => [
                route
                    .name_header
                    .as_ref()
                    .map(|value| (super::ROUTE_HEADER, value.as_bytes())),
                Some((super::BACKEND_HEADER, self.backend.as_str().as_bytes())),
            ],
            _ => [None, None],
        }
    }
}

impl Proxy {
    /// Who serves the plain request `method path`: the relay when the
    /// monolith answers it, else the data plane with the decision made here.
    /// `headers` builds the request's header map, called only when a flag's
    /// answer depends on the request.
    pub fn plan_relay(
        &self,
        method: &Method,
        path: &str,
        peer: SocketAddr,
        headers: impl FnOnce() -> HeaderMap,
    ) -> Planned {
        if self.export_spans {
            // The decision belongs in the request's span.
            return Planned::DataPlane(None);
        }
        let decided = self.decided(method, path, peer, headers);
        if !matches!(decided.target, Target::AsSent) {
            // Forwarded with another path, or refused: the data plane's.
            return Planned::DataPlane(Some(decided));
        }
        let Decided {
            table,
            route,
            started,
            ..
        } = decided;
        let Some((index, decision, pattern)) = route else {
            return Planned::Relay(RelayPlan {
                table,
                route: None,
                mode: Mode::Legacy,
                backend: Backend::Legacy,
                started,
                shadowing: None,
                fault: None,
            });
        };
        let route = &table.routes()[index];
        // A write a handover tracks is the data plane's: it counts it, and
        // holds it while the context changes owner.
        if self.handovers.tracks(route, method) {
            return Planned::DataPlane(Some(Decided {
                table,
                route: Some((index, decision, pattern)),
                target: Target::AsSent,
                started,
            }));
        }
        let translates = route.new.is_some()
            && route.translator.is_some()
            && acl::Method::parse(method.as_str()).is_some();
        if decision.side == Side::New && translates {
            return Planned::Translate(RelayPlan {
                table,
                route: Some(index),
                mode: decision.mode,
                backend: Backend::New,
                started,
                shadowing: None,
                fault: None,
            });
        }
        if decision.side != Side::Legacy {
            return Planned::DataPlane(Some(Decided {
                table,
                route: Some((index, decision, pattern)),
                target: Target::AsSent,
                started,
            }));
        }
        // A relayed request has no body: never too large to copy.
        let shadowing = pattern.and_then(|pattern| {
            copying(&table.routes()[index], method, false)
                .map(|copying| Shadowing { pattern, copying })
        });
        Planned::Relay(RelayPlan {
            table,
            route: Some(index),
            mode: decision.mode,
            backend: Backend::Legacy,
            started,
            shadowing,
            fault: None,
        })
    }

    /// Translates a request planned as [`Planned::Translate`] (`legacy`, as
    /// the ACL describes it) with [`Proxy::translated`].
    pub async fn translate_relayed(
        &self,
        plan: &RelayPlan,
        legacy: &acl::Request,
        extra: &[(HeaderName, HeaderValue)],
        falls_back: bool,
        transport: &mut impl Transport,
    ) -> Translated {
        let Some(route) = plan.route() else {
            return Translated::Monolith(Backend::Legacy);
        };
        let (Some(new), Some(translator)) = (&route.new, &route.translator) else {
            return Translated::Monolith(Backend::Legacy);
        };
        self.translated(
            route,
            new,
            translator.as_ref(),
            legacy,
            extra,
            falls_back,
            transport,
        )
        .await
    }

    /// For a shadowed request, once the monolith's answer head is in (as the
    /// client sees it, `primary`, before the labels): the copy goes to the
    /// shadow stage, which compares it against the monolith's body the
    /// returned capture hands over; or, for a request only recorded, the
    /// record is made. `request` is the client's request as the upstream got
    /// it before the forwarding rules (trace context and correlation id set).
    pub fn shadow_relayed(
        &self,
        plan: &RelayPlan,
        request: impl FnOnce() -> http::request::Parts,
        primary: (u16, &HeaderMap),
        latency: Duration,
        correlation: &str,
    ) -> Option<Capture> {
        let (Some(route), Some(shadowing)) = (plan.route(), &plan.shadowing) else {
            return None;
        };
        let new = route.new.as_ref()?;
        let mut request = request();
        let (status, headers) = primary;
        if let Some(verdict) = shadowing.copying.skipped {
            // Recorded as the data plane records it: method and target only.
            let shown = http::Request::builder()
                .method(request.method)
                .uri(request.uri)
                .body(());
            if let Ok(shown) = shown {
                let (shown, _) = shown.into_parts();
                self.shadow.skipped(
                    &route.name,
                    &route.shadow,
                    &shadowing.pattern,
                    &shown,
                    correlation,
                    verdict,
                    status,
                );
            }
            return None;
        }
        strip_hop_by_hop(&mut request.headers, false);
        let (capture, copy) = Capture::new(route.shadow.max_body_bytes);
        self.shadow.offer(Job {
            route: route.name.clone(),
            path_template: shadowing.pattern.clone(),
            correlation_id: correlation.to_owned(),
            request,
            body: Bytes::new(),
            plan: route.shadow.clone(),
            new: new.clone(),
            translator: route.translator.clone(),
            legacy: route.legacy.clone(),
            timeout: route.timeout,
            dry_run: shadowing.copying.dry_run,
            primary_head: (status, header_pairs(headers)),
            primary_latency: latency,
            primary_body: Some(copy),
        });
        Some(capture)
    }

    /// Labels an answer the relay made itself (an upstream failure) as the
    /// data plane labels its answers.
    pub fn label_relayed(&self, plan: &RelayPlan, res: &mut Response<Body>) {
        if let (Some(route), true) = (plan.route(), self.expose_route_headers) {
            label(res, route, plan.backend);
        }
    }

    /// Counts and logs a relayed request once its answer (`status`) is
    /// written. The log line's fields are gathered only when it is written:
    /// they lie in the connection's task, whose memory under load is cold by
    /// the time the answer comes.
    pub fn relayed<'a>(&self, plan: &RelayPlan, status: u16, line: impl FnOnce() -> Relayed<'a>) {
        let Some(route) = plan.route() else {
            self.stats.unrouted().answered(
                Mode::Legacy,
                Backend::Legacy,
                status,
                plan.started.elapsed(),
            );
            return;
        };
        // A relayed request has no body: its head is all the client sends.
        let latency_ms = self.record(
            route,
            &Answered {
                mode: plan.mode,
                backend: plan.backend,
                new_side: plan.backend != Backend::Legacy,
                status,
                started: plan.started,
                last_byte: None,
                fault: plan.fault,
            },
        );
        if !tracing::enabled!(tracing::Level::INFO) {
            return;
        }
        let line = line();
        tracing::info!(
            correlation_id = line.correlation_id, trace_id = line.trace_id, route = %route.name,
            mode = plan.mode.as_str(), backend = plan.backend.as_str(),
            user = line.user.unwrap_or("-"), method = line.method, path = line.path,
            status, latency_ms, "proxied"
        );
    }
}

/// `value` as text, as `HeaderValue::to_str` reads it: `None` unless it is
/// visible ASCII (tabs and spaces allowed).
pub fn text(value: &[u8]) -> Option<&str> {
    is_text(value)
        .then(|| std::str::from_utf8(value).ok())
        .flatten()
}
