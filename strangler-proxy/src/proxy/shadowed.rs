//! Serving a request in `shadow` mode: the monolith answers the client as
//! usual; within the route's budget of copies per second, a copy is handed
//! to the shadow stage (`shadow::mirror`) without waiting for it. Requests
//! that change state are copied only as dry runs where the route allows it;
//! others, and bodies over the route's shadow limit, are served unshadowed
//! and counted.

use super::blame;
use super::body::{self, Body};
use super::{Proxy, headers};
use crate::metrics::ClientError;
use crate::routes::Route;
use crate::settings::ShadowWrites;
use crate::shadow::mirror::tee::TeeBody;
use crate::shadow::mirror::{Job, header_pairs};
use crate::shadow::store::Verdict;
use http::{Method, Request, Response, StatusCode};
use http_body_util::BodyExt;
use std::net::SocketAddr;
use std::time::Instant;

/// How a shadowed request is copied.
pub(super) struct Copying {
    /// The candidate gets a dry run (a write the route copies as one).
    pub dry_run: bool,
    /// Not copied, only recorded, and why.
    pub skipped: Option<Verdict>,
}

/// How a request of a route in shadow mode is copied, for the data plane and
/// the relay alike: `None` when it is not (the route has no candidate, or
/// its budget of copies per second is spent: served as in legacy mode).
/// `unbuffered`: its body streams (unknown length, or over the shadow limit).
pub(super) fn copying(route: &Route, method: &Method, unbuffered: bool) -> Option<Copying> {
    route.new.as_ref()?;
    let plan = &route.shadow;
    if !plan.budget.admit() {
        return None;
    }
    let safe = method.is_safe();
    let dry_run = !safe && plan.writes == ShadowWrites::DryRun;
    let skipped = if !safe && !dry_run {
        Some(Verdict::SkippedUnsafe)
    } else if unbuffered {
        Some(Verdict::SkippedTooLarge)
    } else {
        None
    };
    Some(Copying { dry_run, skipped })
}

impl Proxy {
    /// Serves `req` from the monolith and shadows a copy to the new side.
    pub(super) async fn serve_shadowed(
        &self,
        req: Request<Body>,
        route: &Route,
        pattern: String,
        peer: SocketAddr,
        correlation: &str,
    ) -> Response<Body> {
        let (Some(new), plan) = (&route.new, &route.shadow) else {
            return self
                .pass(req, &route.legacy, route.host, peer, route.timeout)
                .await;
        };
        // A body of unknown or excessive length streams unbuffered. Its
        // framing, not its fields (hop-by-hop, already dropped), says which.
        let length = hyper::body::Body::size_hint(req.body()).exact();
        let unbuffered = length.is_none_or(|l| l > plan.max_body_bytes as u64);
        let Some(Copying { dry_run, skipped }) = copying(route, req.method(), unbuffered) else {
            return self
                .pass(req, &route.legacy, route.host, peer, route.timeout)
                .await;
        };
        if let Some(verdict) = skipped {
            let (parts, incoming) = req.into_parts();
            let copy = http::request::Builder::new()
                .method(parts.method.clone())
                .uri(parts.uri.clone());
            let res = self
                .pass(
                    Request::from_parts(parts, incoming),
                    &route.legacy,
                    route.host,
                    peer,
                    route.timeout,
                )
                .await;
            if let Ok(shown) = copy.body(()) {
                let (shown, _) = shown.into_parts();
                self.shadow.skipped(
                    &route.name,
                    plan,
                    &pattern,
                    &shown,
                    correlation,
                    verdict,
                    res.status().as_u16(),
                );
            }
            return res;
        }

        let received = blame::watched(&req);
        let (parts, incoming) = req.into_parts();
        let bytes = match body::read_boxed(incoming, plan.max_body_bytes).await {
            Ok(bytes) => bytes,
            Err(body::ReadError::TooLarge) => {
                let detail = format!(
                    "request body is larger than the limit of {} bytes",
                    plan.max_body_bytes
                );
                let res =
                    body::problem(StatusCode::PAYLOAD_TOO_LARGE, "payload-too-large", &detail);
                return blame::client_fault(res, ClientError::TooLarge);
            }
            Err(body::ReadError::Broken(e)) => return blame::broken_body(received.as_deref(), e),
        };
        let started = Instant::now();
        let primary = match self
            .send_buffered(&parts, &bytes, &route.legacy, route, peer, None)
            .await
        {
            Ok(res) | Err((res, _)) => res,
        };
        let primary_latency = started.elapsed();
        let (head, primary_body) = primary.into_parts();
        let (tee, copy) = TeeBody::new(primary_body, plan.max_body_bytes);
        let mut request = parts;
        headers::strip_hop_by_hop(&mut request.headers, false);
        self.shadow.offer(Job {
            route: route.name.clone(),
            path_template: pattern,
            correlation_id: correlation.to_owned(),
            request,
            body: bytes,
            plan: plan.clone(),
            new: new.clone(),
            translator: route.translator.clone(),
            legacy: route.legacy.clone(),
            timeout: route.timeout,
            dry_run,
            primary_head: (head.status.as_u16(), header_pairs(&head.headers)),
            primary_latency,
            primary_body: Some(copy),
        });
        Response::from_parts(head, tee.boxed())
    }
}
