//! Serving a request from the new side: translated through the ACL where
//! the route has a translator, else forwarded; guarded by the upstream's
//! breaker and bulkhead, refused connections retried, and the monolith
//! serving instead when the new side fails or is refused and the request is
//! safe to repeat. [`Proxy::translated`] decides for a translated request on
//! either codec (the own codec's translated relay, `crate::server`, serves
//! one from its head).

use super::blame;
use super::body::{self, Body};
use super::translate::{self, Outcome, Transport};
use super::{Proxy, is_replayable, may_fall_back, not_served_when_retired, too_large};
use crate::metrics::ClientError;
use crate::resilience::Rejection;
use crate::resilience::retry::Retries;
use crate::routes::Route;
use crate::stats::Backend;
use crate::upstream::Upstream;
use acl::RouteTranslator;
use bytes::Bytes;
use http::{HeaderName, HeaderValue, Request, Response, StatusCode};
use std::net::SocketAddr;

/// What became of a translated request.
pub enum Translated {
    /// The new side's answer, in the legacy shape.
    Answer(acl::Response),
    /// The client's mistake, refused as the monolith would refuse it (the
    /// new side was not asked).
    Refused(acl::Response),
    /// The monolith serves it, as `Backend::Legacy` (the translator leaves
    /// it there) or `Backend::LegacyFallback` (the new side failed or its
    /// guard refused, and the request may fall back: a safe method).
    Monolith(Backend),
    /// The new side failed or was refused and the request is a write, which
    /// never falls back: this problem is the answer.
    Problem(Response<Body>),
}

impl Translated {
    /// A request the translator leaves to the monolith: served there, or on
    /// a retired route answered 404 (the monolith is no longer asked).
    pub(crate) fn to_monolith(route: &Route) -> Self {
        if route.retired {
            Self::Problem(not_served_when_retired(route))
        } else {
            Self::Monolith(Backend::Legacy)
        }
    }
}

impl Proxy {
    /// Serves from the new side, translating through the ACL where the route
    /// has a translator, falling back to the monolith when the new side fails
    /// or its guard refuses the request (breaker open, bulkhead full) and the
    /// request may fall back (a safe method; a write never does).
    pub(super) async fn serve_new(
        &self,
        req: Request<Body>,
        route: &Route,
        peer: SocketAddr,
        transport: &mut impl Transport,
    ) -> (Response<Body>, Backend) {
        let Some(new) = &route.new else {
            return (
                self.pass(req, &route.legacy, route.host, peer, route.timeout)
                    .await,
                Backend::Legacy,
            );
        };
        if let Some(translator) = &route.translator {
            return self
                .serve_translated(req, route, new, translator.as_ref(), peer, transport)
                .await;
        }
        let replayable = is_replayable(req.method(), req.headers());
        let falls_back = may_fall_back(route, req.method());
        let pass = match route.guard.as_deref().map(|guard| (guard, guard.admit())) {
            Some((guard, Err(rejection))) => {
                return self
                    .refused(req, route, peer, falls_back, guard.backend(), rejection)
                    .await;
            }
            Some((_, Ok(pass))) => Some(pass),
            None => None,
        };
        if !replayable {
            // Nothing to translate and no second chance: stream straight through.
            let res = self.pass(req, new, route.host, peer, route.timeout).await;
            // A client's fault leaves the call unreported: neither way.
            if let (Some(pass), Some(failed)) = (pass, blame::upstream_failed(&res)) {
                pass.finish(failed);
            }
            return (res, Backend::New);
        }
        let (parts, bytes) = match buffered(req, route).await {
            Ok(read) => read,
            Err(res) => return (res, Backend::New),
        };
        let retries = route.guard.as_deref().map(|guard| guard.retries());
        let sent = self
            .send_buffered(&parts, &bytes, new, route, peer, retries)
            .await;
        if let Some(pass) = pass {
            pass.finish(
                sent.as_ref()
                    .is_err_and(|(res, _)| res.status().is_server_error()),
            );
        }
        let (failed, why) = match sent {
            Ok(res) => return (res, Backend::New),
            Err(failed) => failed,
        };
        route.counters.upstream_failed();
        if !falls_back {
            crate::limited!(warn, route = %route.name, reason = %why, "new side failed; a write, no fallback");
            return (failed, Backend::New);
        }
        crate::limited!(warn, route = %route.name, reason = %why, "new side failed; falling back to the monolith");
        self.legacy_after(&parts, &bytes, route, peer, Backend::LegacyFallback)
            .await
    }

    /// [`Proxy::serve_new`] for a route with a translator: the request
    /// buffered, described for the ACL, and [`Proxy::translated`].
    async fn serve_translated(
        &self,
        req: Request<Body>,
        route: &Route,
        new: &Upstream,
        translator: &dyn RouteTranslator,
        peer: SocketAddr,
        transport: &mut impl Transport,
    ) -> (Response<Body>, Backend) {
        let falls_back = may_fall_back(route, req.method());
        let (parts, bytes) = match buffered(req, route).await {
            Ok(read) => read,
            Err(res) => return (res, Backend::New),
        };
        let Some(legacy) = translate::to_acl(&parts, &bytes) else {
            if route.retired {
                return (not_served_when_retired(route), Backend::New);
            }
            return self
                .legacy_after(&parts, &bytes, route, peer, Backend::Legacy)
                .await;
        };
        let extra = translate::forwarded_extras(&parts.headers);
        let translated = self
            .translated(
                route, new, translator, &legacy, &extra, falls_back, transport,
            )
            .await;
        match translated {
            Translated::Answer(res) => (translate::to_http(res), Backend::New),
            Translated::Refused(res) => (
                blame::client_fault(translate::to_http(res), ClientError::Untranslatable),
                Backend::New,
            ),
            Translated::Problem(res) => (res, Backend::New),
            Translated::Monolith(backend) => {
                self.legacy_after(&parts, &bytes, route, peer, backend)
                    .await
            }
        }
    }

    /// Translates `legacy` (a request `route` claims for the new side `new`)
    /// through `translator`, its v2 calls over `transport` with the `extra`
    /// headers, guarded and retried as the route says; says who answers
    /// when the new side cannot.
    #[allow(clippy::too_many_arguments)]
    pub async fn translated(
        &self,
        route: &Route,
        new: &Upstream,
        translator: &dyn RouteTranslator,
        legacy: &acl::Request,
        extra: &[(HeaderName, HeaderValue)],
        falls_back: bool,
        transport: &mut impl Transport,
    ) -> Translated {
        let pass = match route.guard.as_deref().map(|guard| (guard, guard.admit())) {
            Some((guard, Err(rejection))) => {
                log_refused(route, guard.backend(), &rejection, falls_back);
                return if falls_back {
                    Translated::Monolith(Backend::LegacyFallback)
                } else {
                    Translated::Problem(rejection.response(&route.name, guard.backend()))
                };
            }
            Some((_, Ok(pass))) => Some(pass),
            None => None,
        };
        let retries = Retries {
            policy: &route.retry,
            counted: route.guard.as_deref().map(|guard| guard.retries()),
        };
        let outcome = translate::serve(
            transport,
            retries,
            translator,
            legacy,
            new,
            route.timeout,
            extra,
        )
        .await;
        if let (Some(pass), Some(failed)) = (pass, new_side_failed(&outcome)) {
            pass.finish(failed);
        }
        let failure = match outcome {
            Outcome::Answer(res) => return Translated::Answer(res),
            Outcome::Refused(res) => return Translated::Refused(res),
            Outcome::NotTranslated(why) => {
                tracing::debug!(route = %route.name, reason = %why, "left to the monolith");
                route.counters.untranslated();
                return Translated::to_monolith(route);
            }
            Outcome::Failed(failure) => failure,
        };
        if let translate::NewSideFailure::Upstream(e) = &failure {
            self.upstream_error(e);
        }
        route.counters.upstream_failed();
        if falls_back {
            crate::limited!(warn, route = %route.name, reason = %failure, "new side failed; falling back to the monolith");
            return Translated::Monolith(Backend::LegacyFallback);
        }
        crate::limited!(warn, route = %route.name, reason = %failure, "new side failed; a write, no fallback");
        Translated::Problem(match &failure {
            translate::NewSideFailure::Upstream(e) => e.response(&new.to_string()),
            // It answered a write and the answer cannot be shown: the write
            // may well have been applied, and the client must not take this
            // for a refusal (it repeats with its key, or reads the record).
            translate::NewSideFailure::Untranslatable(e) if !legacy.method.is_safe() => {
                body::problem(
                    StatusCode::BAD_GATEWAY,
                    "new-side-answer-untranslatable",
                    &format!(
                        "the new service for `{}` answered, but its answer has no legacy \
                         translation ({e}): the write may have been applied; read the record, \
                         or repeat the request with the same Idempotency-Key",
                        route.name
                    ),
                )
            }
            other => body::problem(
                StatusCode::BAD_GATEWAY,
                "new-side-failed",
                &format!("the new service for `{}` failed: {other}", route.name),
            ),
        })
    }

    /// A request the new side's guard refused: the monolith serves it when
    /// it may fall back (it streams, nothing was read), else 503.
    async fn refused(
        &self,
        req: Request<Body>,
        route: &Route,
        peer: SocketAddr,
        falls_back: bool,
        backend: &str,
        rejection: Rejection,
    ) -> (Response<Body>, Backend) {
        log_refused(route, backend, &rejection, falls_back);
        if falls_back {
            let res = self
                .pass(req, &route.legacy, route.host, peer, route.timeout)
                .await;
            return (res, Backend::LegacyFallback);
        }
        (rejection.response(&route.name, backend), Backend::New)
    }

    async fn legacy_after(
        &self,
        parts: &http::request::Parts,
        bytes: &Bytes,
        route: &Route,
        peer: SocketAddr,
        backend: Backend,
    ) -> (Response<Body>, Backend) {
        match self
            .send_buffered(parts, bytes, &route.legacy, route, peer, None)
            .await
        {
            Ok(res) | Err((res, _)) => (res, backend),
        }
    }
}

fn log_refused(route: &Route, backend: &str, rejection: &Rejection, fallback: bool) {
    tracing::debug!(route = %route.name, backend, reason = rejection.as_str(), fallback, "new side refused by its guard");
}

/// The request with its body read, up to the route's limit; else the answer.
async fn buffered(
    req: Request<Body>,
    route: &Route,
) -> Result<(http::request::Parts, Bytes), Response<Body>> {
    let received = blame::watched(&req);
    let (parts, body) = req.into_parts();
    match body::read_boxed(body, route.max_body_bytes).await {
        Ok(bytes) => Ok((parts, bytes)),
        Err(body::ReadError::TooLarge) => Err(too_large(route)),
        Err(body::ReadError::Broken(e)) => Err(blame::broken_body(received.as_deref(), e)),
    }
}

/// Whether the new side failed the call, for its breaker: `None` when it was
/// not called (the translator left the request to the monolith).
fn new_side_failed(outcome: &Outcome) -> Option<bool> {
    match outcome {
        Outcome::Answer(_) => Some(false),
        Outcome::NotTranslated(_) | Outcome::Refused(_) => None,
        // It answered; the ACL could not use the answer.
        Outcome::Failed(translate::NewSideFailure::Untranslatable(_)) => Some(false),
        Outcome::Failed(_) => Some(true),
    }
}
