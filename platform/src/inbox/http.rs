//! `POST /inbox`: the HTTP door of the [`Inbox`]. The body is an
//! [`Envelope`]; `traceparent`/`tracestate` headers
//! (when valid) make the handler's span part of the sender's trace; an
//! `Idempotency-Key` header, when sent, must be the body's `event_id`.
//!
//! Answers 200 `{"event_id", "outcome": "applied" | "duplicate" | "ignored"}`,
//! a problem+json naming the field for a bad body, and the handler's problem
//! when it fails (the relay then sends the event again later).

use super::{Inbox, Received};
use crate::json::Json;
use crate::outbox::Envelope;
use crate::problem::Problem;
use crate::relay::http::IDEMPOTENCY_KEY;
use crate::trace_context::{TRACEPARENT, TRACESTATE, TraceContext};
use actix_web::{HttpRequest, HttpResponse, web};
use serde::Serialize;

/// The path events are POSTed to.
pub const PATH: &str = "/inbox";

/// Mounts `POST /inbox`; the app must hold a `web::Data<Inbox>`.
pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route(PATH, web::post().to(receive));
}

#[derive(Serialize)]
struct Answer {
    event_id: String,
    outcome: Received,
}

async fn receive(
    req: HttpRequest,
    inbox: web::Data<Inbox>,
    body: Json<Envelope>,
) -> Result<HttpResponse, Problem> {
    let event = body.into_inner();
    if let Some(key) = header(&req, IDEMPOTENCY_KEY)
        && key != event.event_id
    {
        return Err(Problem::unprocessable(format!(
            "the {IDEMPOTENCY_KEY} header `{key}` is not the body's event_id `{}`",
            event.event_id
        ))
        .with("field", "event_id"));
    }
    if event.event_id.trim().is_empty() || event.event_type.trim().is_empty() {
        return Err(
            Problem::unprocessable("event_id and event_type must not be empty").with(
                "field",
                if event.event_id.trim().is_empty() {
                    "event_id"
                } else {
                    "event_type"
                },
            ),
        );
    }
    // An invalid context is dropped, as W3C asks: the work starts a new trace.
    let trace = header(&req, TRACEPARENT)
        .and_then(|parent| TraceContext::parse(parent, header(&req, TRACESTATE)));
    let event_id = event.event_id.clone();
    let outcome = inbox.receive(event, trace).await?;
    Ok(HttpResponse::Ok().json(Answer { event_id, outcome }))
}

fn header<'r>(req: &'r HttpRequest, name: &str) -> Option<&'r str> {
    req.headers().get(name).and_then(|v| v.to_str().ok())
}
