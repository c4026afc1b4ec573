//! The data plane, one stage per file: start the request's span ([`trace`]) →
//! normalise the path and match the route ([`crate::routes::path`],
//! [`crate::routes`]; a refused path stops here, `target`) →
//! build the flag context ([`identity`]) → decide the mode ([`mod@decide`]) →
//! forward ([`forward`], [`headers`]) or serve from the new side
//! (`new_side`, translating through the ACL: [`translate`]) with fallback to
//! the monolith → label and count. The new side is guarded by a breaker and
//! a bulkhead ([`crate::resilience`]).
//! Requests the monolith serves alone may instead be relayed by the own
//! codec ([`relay`]), with the same decision, labels, counters and log line.
//! What the client gets wrong or does slowly is blamed on it, never on an
//! upstream ([`blame`], where every answered request is counted); every wait
//! is bounded ([`timeouts`]).

pub mod blame;
pub mod body;
pub mod decide;
pub mod forward;
pub mod headers;
pub mod identity;
mod new_side;
pub use new_side::Translated;
mod pool;
pub mod relay;
mod shadowed;
mod target;
pub mod timeouts;
pub mod trace;
pub mod translate;
mod upgrade;
pub(crate) use target::Target;
use target::set_path;
pub use timeouts::Timeouts;

use crate::flags::Flags;
use crate::handover::{Admission, Handovers};
use crate::metrics::ClientError;
use crate::resilience::Resilience;
use crate::routes::path;
use crate::routes::{Route, RouteTable};
use crate::settings::HostPolicy;
use crate::shadow::mirror::{Shadow, ShadowLimits};
use crate::shadow::store::ShadowStore;
use crate::stats::{Backend, Stats};
use arc_swap::ArcSwap;
use body::Body;
use decide::{Mode, Side, decide};
use forward::Client;
use http::{HeaderName, HeaderValue, Method, Request, Response, StatusCode};
use identity::IdentityHeaders;
use platform::correlation::{CorrelationId, HEADER as CORRELATION};
use std::borrow::Cow;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};
use tracing::Instrument;
use translate::{Pooled, Transport};

/// Response header naming the route group that served.
pub const ROUTE_HEADER: &str = "x-strangler-route";
/// Response header naming the backend that served.
pub const BACKEND_HEADER: &str = "x-strangler-backend";

// Parsed once: a `&str` header name is parsed again on every insert.
const ROUTE_NAME: HeaderName = HeaderName::from_static(ROUTE_HEADER);
const BACKEND_NAME: HeaderName = HeaderName::from_static(BACKEND_HEADER);
pub(crate) const CORRELATION_NAME: HeaderName = HeaderName::from_static(CORRELATION);

/// Shared state of the data plane.
pub struct Proxy {
    table: ArcSwap<RouteTable>,
    flags: Flags,
    client: Client,
    identity: IdentityHeaders,
    expose_route_headers: bool,
    unrouted_timeout: Duration,
    connect_timeout: Duration,
    timeouts: Timeouts,
    stats: Arc<Stats>,
    shadow: Shadow,
    resilience: Resilience,
    /// Writes held while a synced context changes owner.
    handovers: Arc<Handovers>,
    /// Spans are exported: each request gets a real span (else ids only).
    export_spans: bool,
}

/// The route decision for one request: made once, by the relay's planning or
/// by the data plane.
pub struct Decided {
    table: Arc<RouteTable>,
    /// The claiming route's index, its decision, and the pattern that
    /// matched when it is shadowed; `None` when no route claims it.
    route: Option<(usize, decide::Decision, Option<String>)>,
    /// The path the route was matched on.
    target: Target,
    started: Instant,
}

/// How the data plane is set up.
pub struct ProxyConfig {
    /// Identity and session header names.
    pub identity: IdentityHeaders,
    /// Add route/backend headers to responses.
    pub expose_route_headers: bool,
    /// Timeout for requests no route claims.
    pub unrouted_timeout: Duration,
    /// Connect timeout to upstreams.
    pub connect_timeout: Duration,
    /// The client side's timeouts and the total deadline.
    pub timeouts: Timeouts,
    /// The shadow stage's queue, concurrency and writes.
    pub shadow: ShadowLimits,
}

impl Proxy {
    /// A data plane over `table`, deciding with `flags`.
    pub fn new(
        table: RouteTable,
        flags: Flags,
        stats: Arc<Stats>,
        store: ShadowStore,
        config: ProxyConfig,
    ) -> std::io::Result<Self> {
        let client = forward::client(config.connect_timeout);
        let resilience = Resilience::default();
        resilience.expose(stats.metrics());
        let mut table = table;
        table.guard_new_sides(&resilience);
        let handovers = Handovers::new(stats.metrics()).map_err(std::io::Error::other)?;
        handovers.refresh(&table, &flags);
        Ok(Self {
            handovers: Arc::new(handovers),
            table: ArcSwap::from_pointee(table),
            resilience,
            flags,
            shadow: Shadow::start(
                store,
                config.connect_timeout,
                config.shadow,
                stats.metrics(),
            )?,
            client,
            identity: config.identity,
            expose_route_headers: config.expose_route_headers,
            unrouted_timeout: config.unrouted_timeout,
            connect_timeout: config.connect_timeout,
            timeouts: config.timeouts,
            stats,
            export_spans: platform::telemetry::exporting(),
        })
    }

    /// The route table in force.
    pub fn table(&self) -> Arc<RouteTable> {
        self.table.load_full()
    }

    /// Puts a new route table in force (requests in flight finish on the old one).
    pub fn replace_table(&self, mut table: RouteTable) {
        table.guard_new_sides(&self.resilience);
        self.handovers.refresh(&table, &self.flags);
        self.table.store(Arc::new(table));
    }

    /// The synced contexts' handovers.
    pub fn handovers(&self) -> &Arc<Handovers> {
        &self.handovers
    }

    /// The flags.
    pub fn flags(&self) -> &Flags {
        &self.flags
    }

    /// The counters.
    pub fn stats(&self) -> &Stats {
        &self.stats
    }

    /// The breakers and bulkheads.
    pub fn resilience(&self) -> &Resilience {
        &self.resilience
    }

    /// The connect timeout to upstreams.
    pub fn connect_timeout(&self) -> Duration {
        self.connect_timeout
    }

    /// The client side's timeouts and the total deadline.
    pub fn timeouts(&self) -> &Timeouts {
        &self.timeouts
    }

    /// The header naming the client's user (for log lines).
    pub fn identity_user(&self) -> &HeaderName {
        &self.identity.user
    }

    /// The shadow stage.
    pub fn shadow(&self) -> &Shadow {
        &self.shadow
    }

    /// Lets go of the data plane's idle upstream connections that may no
    /// longer serve (see [`Client::sweep`]).
    pub fn sweep_idle(&self) {
        self.client.sweep();
    }

    /// Serves one client request, in its own span (see [`trace`]).
    pub async fn handle(&self, req: Request<Body>, peer: SocketAddr) -> Response<Body> {
        self.handle_decided(req, peer, None, &mut Pooled(&self.client))
            .await
    }

    /// [`Proxy::handle`] with the route's decision already made (see
    /// [`relay::Planned`]): flags are asked once per request. The ACL's v2
    /// calls go out over `transport`.
    pub async fn handle_decided(
        &self,
        mut req: Request<Body>,
        peer: SocketAddr,
        decided: Option<Decided>,
        transport: &mut impl Transport,
    ) -> Response<Body> {
        // The client's hop-by-hop fields go first: its `Connection` names
        // its own fields, never the trace context or correlation id the
        // proxy sets.
        let upgrade = headers::is_upgrade(req.headers());
        headers::strip_hop_by_hop(req.headers_mut(), upgrade);
        let trace = trace::RequestTrace::start(req.headers_mut(), self.export_spans);
        let span = trace.span.clone();
        let received = blame::watch(&mut req, Instant::now(), self.timeouts.body);
        let serving = self
            .serve(req, peer, &trace, decided, received.clone(), transport)
            .instrument(span);
        match tokio::time::timeout(self.timeouts.total, serving).await {
            Ok(res) => res,
            Err(_) => self.total_timeout(received.as_deref()),
        }
    }

    /// Decides for `method path`: the route table in force, the route that
    /// claims the request (its index), and its mode.
    fn decided<H: std::borrow::Borrow<http::HeaderMap>>(
        &self,
        method: &Method,
        path: &str,
        peer: SocketAddr,
        headers: impl FnOnce() -> H,
    ) -> Decided {
        let started = Instant::now();
        let table = self.table.load_full();
        let claim = |path: &str| {
            table.find(method, path).map(|(route, found)| {
                let decision = self.decide(route, &found, peer, headers);
                // The pattern is only kept (allocated) for a shadowed request.
                let pattern = (decision.mode == Mode::Shadow).then(|| found.pattern.to_owned());
                (found.route, decision, pattern)
            })
        };
        let (route, target) = match path::normalize(path) {
            Ok(Cow::Borrowed(path)) => (claim(path), Target::AsSent),
            Ok(Cow::Owned(path)) => (claim(&path), Target::Normalized(path)),
            Err(refused) => (None, Target::Refused(refused)),
        };
        Decided {
            table,
            route,
            target,
            started,
        }
    }

    async fn serve(
        &self,
        mut req: Request<Body>,
        peer: SocketAddr,
        trace: &trace::RequestTrace,
        decided: Option<Decided>,
        received: Option<Arc<blame::Received>>,
        transport: &mut impl Transport,
    ) -> Response<Body> {
        let correlation = correlation_id(&mut req);
        let Decided {
            table,
            route: found,
            target,
            started,
        } = match decided {
            Some(decided) => decided,
            None => self.decided(req.method(), req.uri().path(), peer, || req.headers()),
        };
        match target {
            Target::AsSent => {}
            Target::Normalized(path) => {
                if let Err(res) = set_path(&mut req, &path) {
                    return self.refused_path(res, started);
                }
            }
            Target::Refused(refused) => {
                let res = body::problem(StatusCode::BAD_REQUEST, "bad-path", &refused.to_string());
                return self.refused_path(res, started);
            }
        }
        let Some((index, decision, pattern)) = found else {
            let res = self
                .pass(
                    req,
                    table.legacy(),
                    HostPolicy::Rewrite,
                    peer,
                    self.unrouted_timeout,
                )
                .await;
            let from = received.as_deref().and_then(blame::Received::last_byte);
            if let Some(fault) = blame::fault_of(&res) {
                blame::count_fault(&self.stats, fault);
            }
            self.stats.unrouted().answered(
                Mode::Legacy,
                Backend::Legacy,
                res.status().as_u16(),
                from.unwrap_or(started).elapsed(),
            );
            return res;
        };
        let route = &table.routes()[index];
        let write = match self.handovers.admit(&self.flags, route, req.method()) {
            None => None,
            Some(Admission::Tracked(write)) => Some(write),
            // Not a route answer: neither side saw it, and the watchdog
            // must not judge a side by it.
            Some(Admission::Held(detail)) => {
                tracing::info!(
                    correlation_id = as_text(&correlation), route = %route.name,
                    method = %req.method(), path = req.uri().path(), %detail, "write held"
                );
                return held(&detail);
            }
        };
        // For the log line. (No `enabled!` pre-check: with per-layer filters it
        // can leave a filter's verdict behind for the next span on the thread.)
        let (method, path) = (req.method().clone(), req.uri().path().to_owned());
        let user = req.headers().get(&self.identity.user).cloned();
        let (res, backend) = match (decision.side, pattern) {
            (Side::New, _) => self.serve_new(req, route, peer, transport).await,
            (Side::Legacy, Some(pattern)) => (
                self.serve_shadowed(req, route, pattern, peer, as_text(&correlation))
                    .await,
                Backend::Legacy,
            ),
            (Side::Legacy, None) => (
                self.pass(req, &route.legacy, route.host, peer, route.timeout)
                    .await,
                Backend::Legacy,
            ),
        };
        if let Some(write) = write {
            write.answered();
        }
        let mut res = res;
        let latency_ms = self.record(
            route,
            &blame::Answered {
                mode: decision.mode,
                backend,
                new_side: decision.side == Side::New,
                status: res.status().as_u16(),
                started,
                last_byte: received.as_deref().and_then(blame::Received::last_byte),
                fault: blame::fault_of(&res),
            },
        );
        let user = user.as_ref().map_or("-", as_text);
        tracing::info!(
            correlation_id = as_text(&correlation), trace_id = trace.trace_id(), route = %route.name,
            mode = decision.mode.as_str(), backend = backend.as_str(), user, %method, %path,
            status = res.status().as_u16(), latency_ms, "proxied"
        );
        if self.expose_route_headers {
            label(&mut res, route, backend);
        }
        res
    }

    /// The mode of `route` for one request. The flag context (a map and
    /// strings) is built, from `headers`, only when a flag's answer depends
    /// on the request.
    fn decide<H: std::borrow::Borrow<http::HeaderMap>>(
        &self,
        route: &Route,
        found: &crate::routes::Found<'_>,
        peer: SocketAddr,
        headers: impl FnOnce() -> H,
    ) -> decide::Decision {
        if route.retired {
            return decide::RETIRED;
        }
        let ctx = || {
            identity::context(
                headers().borrow(),
                &self.identity,
                &route.name,
                route.customer_param.as_deref(),
                route.record_param.as_deref(),
                &found.params,
                peer.ip(),
            )
        };
        decide(&self.flags, &route.flags, ctx)
    }
}

/// Worth keeping its body for a second send: the monolith may answer it
/// instead ([`may_fall_back`]), or the new side may see it again (an
/// idempotency key the new side honours, for a retry on a refused
/// connection).
fn is_replayable(method: &Method, headers: &http::HeaderMap) -> bool {
    is_safe(method) || headers.contains_key("idempotency-key")
}

/// Whether the monolith may answer in `route`'s new side's place: never on
/// a retired route (the legacy side is no longer a target), else for a safe
/// method only. An idempotency key makes a write safe to repeat on the side that
/// saw the key, never on the other one: the monolith does not know the new
/// side's keys, and a write it took for a record the new side owns (and may
/// already have written, or written before its last change reached the
/// monolith) would be applied on both sides: a refund taken twice.
pub(crate) fn may_fall_back(route: &Route, method: &Method) -> bool {
    !route.retired && is_safe(method)
}

/// Whether `method` is safe (changes nothing): the one test of it, for
/// fallback, shadow copies and handover holds alike.
pub(crate) fn is_safe(method: &Method) -> bool {
    matches!(*method, Method::GET | Method::HEAD | Method::OPTIONS)
}

/// The answer to a write held by a handover (see [`crate::handover`]).
fn held(detail: &str) -> Response<Body> {
    let mut res = body::problem(StatusCode::SERVICE_UNAVAILABLE, "handover", detail);
    res.headers_mut()
        .insert(http::header::RETRY_AFTER, HeaderValue::from_static("1"));
    res
}

/// The answer to a request of a retired route that the new side does not
/// serve (its translator has no translation for it): the monolith is no
/// longer asked.
pub(crate) fn not_served_when_retired(route: &Route) -> Response<Body> {
    body::problem(
        StatusCode::NOT_FOUND,
        "retired-route",
        &format!(
            "route `{}` is retired: the legacy side no longer serves it, and the new side has no translation of this request",
            route.name
        ),
    )
}

/// The client's correlation id, or a new one (UUID v4, simple form) put on
/// the request; as a header value, so passing it on copies nothing.
fn correlation_id(req: &mut Request<Body>) -> HeaderValue {
    if let Some(id) = req.headers().get(&CORRELATION_NAME)
        && id.to_str().is_ok()
    {
        return id.clone();
    }
    let mut buf = [0u8; 32];
    let id = CorrelationId::generate_into(&mut buf);
    let value = HeaderValue::from_bytes(id.as_bytes()).unwrap_or(HeaderValue::from_static("-"));
    req.headers_mut().insert(CORRELATION_NAME, value.clone());
    value
}

/// A header value known to be visible ASCII, as text (empty otherwise).
fn as_text(value: &HeaderValue) -> &str {
    value.to_str().unwrap_or_default()
}

fn too_large(route: &Route) -> Response<Body> {
    let res = body::problem(
        StatusCode::PAYLOAD_TOO_LARGE,
        "payload-too-large",
        &format!(
            "request body is larger than the limit of {} bytes for route `{}`",
            route.max_body_bytes, route.name
        ),
    );
    blame::client_fault(res, ClientError::TooLarge)
}

fn label(res: &mut Response<Body>, route: &Route, backend: Backend) {
    if let Some(value) = &route.name_header {
        res.headers_mut().insert(ROUTE_NAME, value.clone());
    }
    res.headers_mut()
        .insert(BACKEND_NAME, HeaderValue::from_static(backend.as_str()));
}
