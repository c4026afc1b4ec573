//! Serving a request in `shadow` mode: the monolith answers the client as
//! usual; within the route's budget of copies per second, a copy is handed
//! to the shadow stage (`shadow::mirror`) without waiting for it. Requests
//! that change state are copied only as dry runs where the route allows it;
//! others, and bodies over the route's shadow limit, are served unshadowed
//! and counted.

use super::body::{self, Body};
use super::{Proxy, headers};
use crate::routes::Route;
use crate::settings::ShadowWrites;
use crate::shadow::mirror::tee::TeeBody;
use crate::shadow::mirror::{Job, header_pairs};
use crate::shadow::store::Verdict;
use http::{Request, Response, StatusCode, header};
use http_body_util::BodyExt;
use std::net::SocketAddr;
use std::time::Instant;

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
        if !plan.budget.admit() {
            // Over the route's budget: served as in legacy mode, only counted.
            return self
                .pass(req, &route.legacy, route.host, peer, route.timeout)
                .await;
        }
        let safe = req.method().is_safe();
        let dry_run = !safe && plan.writes == ShadowWrites::DryRun;
        let length = req
            .headers()
            .get(header::CONTENT_LENGTH)
            .and_then(|v| v.to_str().ok()?.parse::<usize>().ok());
        let chunked = req.headers().contains_key(header::TRANSFER_ENCODING);
        let skip = if !safe && !dry_run {
            Some(Verdict::SkippedUnsafe)
        } else if chunked || length.is_some_and(|l| l > plan.max_body_bytes) {
            // A body of unknown or excessive length streams unbuffered.
            Some(Verdict::SkippedTooLarge)
        } else {
            None
        };
        if let Some(verdict) = skip {
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

        let (parts, incoming) = req.into_parts();
        let bytes = match body::read_boxed(incoming, plan.max_body_bytes).await {
            Ok(bytes) => bytes,
            Err(body::ReadError::TooLarge) => {
                let detail = format!(
                    "request body is larger than the limit of {} bytes",
                    plan.max_body_bytes
                );
                return body::problem(StatusCode::PAYLOAD_TOO_LARGE, "payload-too-large", &detail);
            }
            Err(body::ReadError::Broken(e)) => {
                let detail = format!("the request body could not be read: {e}");
                return body::problem(StatusCode::BAD_REQUEST, "bad-body", &detail);
            }
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
