//! The translated relay: a plain request for the new side of a route the
//! ACL translates is served from its head, as the relay serves the
//! monolith's. The ACL's legacy request is made from the head's lines, the
//! data plane decides ([`Proxy::translated`]: guard, retries, fallback) with
//! the v2 calls over the client's link ([`Links`]), and the legacy answer is
//! written from the ACL's description: no `HeaderMap`, `Request` or
//! `Response` on the way. When the monolith is to serve after all, the relay
//! takes the request, with the same trace context and correlation id.

use super::{Conn, FRAMING_FIELDS, Forwarded, Links, serve as relay};
use crate::metrics::ClientError;
use crate::proxy::headers::raw::{is_text, is_token};
use crate::proxy::relay::{RelayPlan, text};
use crate::proxy::trace::{TRACEPARENT_NAME, TRACESTATE_NAME};
use crate::proxy::{CORRELATION_NAME, Proxy, Translated};
use crate::server::conn::answer;
use crate::server::h1::{self, Exchange, Head};
use bytes::Bytes;
use http::{HeaderName, HeaderValue, StatusCode};
use std::borrow::Cow;

/// Serves `head`, planned as a translated request. `Ok(true)` when the client
/// connection may serve another request; `Err` when it must close.
pub(in crate::server) async fn serve(
    conn: Conn<'_>,
    proxy: &Proxy,
    head: &Head,
    forwarded: &Forwarded<'_>,
    mut plan: RelayPlan,
    close: bool,
) -> std::io::Result<bool> {
    let translated = match legacy_request(head, forwarded) {
        Some(legacy) => {
            let extra = extras(head, forwarded);
            let mut links = Links {
                link: &mut *conn.link,
                idle: conn.idle,
                request: &mut *conn.request,
                connect_timeout: proxy.connect_timeout(),
            };
            let falls_back = plan
                .route()
                .is_some_and(|route| crate::proxy::may_fall_back(route, &head.method));
            let translating = std::pin::pin!(
                proxy.translate_relayed(&plan, &legacy, &extra, falls_back, &mut links)
            );
            // A client that goes away meanwhile drops the exchange.
            let Some(translated) = answer(conn.client, conn.buf, translating).await else {
                return Err(std::io::ErrorKind::ConnectionAborted.into());
            };
            translated
        }
        None => match plan.route() {
            Some(route) => Translated::to_monolith(route),
            None => Translated::Monolith(crate::stats::Backend::Legacy),
        },
    };
    let refused = matches!(translated, Translated::Refused(_));
    let (status, written) = match translated {
        Translated::Monolith(backend) => {
            plan.fall_back(backend);
            return relay(conn, proxy, head, forwarded, &plan, close).await;
        }
        Translated::Answer(res) | Translated::Refused(res) => {
            if refused {
                plan.blame_client(ClientError::Untranslatable);
            }
            let out = conn.out;
            let with_body = write_answer(out.bytes(), &res, &plan, proxy, &head.exchange, close);
            if with_body && !res.body.is_empty() {
                out.push_body(Bytes::from(res.body));
            }
            (res.status, out.flush(conn.client).await)
        }
        Translated::Problem(mut res) => {
            proxy.label_relayed(&plan, &mut res);
            let status = res.status().as_u16();
            let written = h1::write(conn.client, conn.out, res, &head.exchange, close).await;
            (status, written)
        }
    };
    proxy.relayed(&plan, status, || forwarded.log_line(head));
    written.map(|()| !close)
}

/// The client's request as the ACL takes it (as `translate::to_acl` makes it
/// from the data plane's request): the lines it reads, the correlation id
/// the request goes on with. `None` for a method the ACL does not know.
fn legacy_request(head: &Head, forwarded: &Forwarded<'_>) -> Option<acl::Request> {
    let method = acl::Method::parse(head.method.as_str())?;
    let mut headers = Vec::new();
    for &name in acl::routes::LEGACY_HEADERS_READ {
        if name.eq_ignore_ascii_case(CORRELATION_NAME.as_str()) {
            headers.push((Cow::Borrowed(name), forwarded.correlation().to_owned()));
            continue;
        }
        let values = head
            .lines()
            .filter(|(line, _)| line.eq_ignore_ascii_case(name))
            .filter_map(|(_, value)| text(value));
        headers.extend(values.map(|value| (Cow::Borrowed(name), value.to_owned())));
    }
    Some(acl::Request {
        method,
        path: head.uri.path().to_owned(),
        query: head.uri.query().unwrap_or_default().to_owned(),
        headers: headers.into_iter().collect(),
        body: Vec::new(),
    })
}

/// The headers every v2 call carries for the request (as
/// `translate::forwarded_extras` finds them on the data plane's request):
/// the correlation id, the trace context, and the client's `tracestate`
/// lines when its trace goes on.
fn extras(head: &Head, forwarded: &Forwarded<'_>) -> Vec<(HeaderName, HeaderValue)> {
    let mut extras = Vec::with_capacity(3);
    let value = |bytes: &[u8]| HeaderValue::from_bytes(bytes).ok();
    if let Some(id) = value(forwarded.correlation().as_bytes()) {
        extras.push((CORRELATION_NAME, id));
    }
    if let Some(parent) = value(forwarded.traceparent()) {
        extras.push((TRACEPARENT_NAME, parent));
    }
    if forwarded.keeps_tracestate() {
        let states = head
            .lines()
            .filter(|(name, _)| name.eq_ignore_ascii_case(TRACESTATE_NAME.as_str()))
            .filter_map(|(_, line)| value(line));
        extras.extend(states.map(|state| (TRACESTATE_NAME, state)));
    }
    extras
}

/// Writes the head of the ACL's answer `res` into `out` as `h1::write`
/// writes an `http` response (the labels, `Date` when missing, the length),
/// keeping the lines `http` would accept; whether the body follows.
fn write_answer(
    out: &mut Vec<u8>,
    res: &acl::Response,
    plan: &RelayPlan,
    proxy: &Proxy,
    exchange: &Exchange,
    close: bool,
) -> bool {
    let status = StatusCode::from_u16(res.status).unwrap_or(StatusCode::BAD_GATEWAY);
    let bodiless = exchange.bodiless(status);
    out.clear();
    h1::status_line(out, status);
    if !bodiless {
        h1::write_line(
            out,
            "content-length",
            itoa::Buffer::new().format(res.body.len()),
        );
    }
    let labels = plan.labels(proxy);
    let own = |name: &str| {
        FRAMING_FIELDS
            .iter()
            .any(|own| name.eq_ignore_ascii_case(own))
            || labels
                .iter()
                .flatten()
                .any(|(label, _)| name.eq_ignore_ascii_case(label))
    };
    let mut dated = false;
    for (name, value) in res.headers.iter() {
        if !is_token(name) || !is_text(value.as_bytes()) || own(name) {
            continue;
        }
        dated |= name.eq_ignore_ascii_case("date");
        h1::write_line(out, name, value);
    }
    for (name, value) in labels.iter().flatten() {
        h1::write_line(out, name, value);
    }
    h1::end_head(out, dated, close);
    !bodiless
}
