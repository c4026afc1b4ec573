//! The HTTP scaffolding every deployable shares: the base `App` with correlation
//! ids, request tracing and problem+json for every error the framework itself
//! raises (bad JSON, oversize bodies, bad paths and queries, unknown routes,
//! wrong methods), Prometheus metrics (every request counted and timed,
//! `GET /metrics`), and the listener.

use crate::correlation::{self, CorrelatedRootSpan};
use crate::metrics::Metrics;
use crate::problem::{MEDIA_TYPE, Problem};
use crate::settings::ServerSettings;
use actix_http::Request;
use actix_service::IntoServiceFactory;
use actix_web::body::MessageBody;
use actix_web::dev::{AppConfig, Server, Service, ServiceFactory, ServiceRequest, ServiceResponse};
use actix_web::error::{JsonPayloadError, PathError, QueryPayloadError};
use actix_web::http::StatusCode;
use actix_web::http::header::CONTENT_TYPE;
use actix_web::middleware::{ErrorHandlerResponse, ErrorHandlers, from_fn};
use actix_web::{App, HttpRequest, HttpServer, ResponseError, web};
use std::net::TcpListener;
use tracing_actix_web::TracingLogger;

/// The base app: wrap order (outermost first) is metrics → correlation id →
/// tracing → problem+json for bare errors. Request bodies are limited to
/// `max_body_bytes`. `metrics` (built once, outside the per-worker factory,
/// and cloned into it, so every worker counts into the same registry) is served on `GET /metrics`.
pub fn base_app(
    max_body_bytes: usize,
    metrics: Metrics,
) -> App<
    impl ServiceFactory<
        ServiceRequest,
        Config = (),
        Response = ServiceResponse<impl MessageBody>,
        Error = actix_web::Error,
        InitError = (),
    >,
> {
    App::new()
        .app_data(json_config(max_body_bytes))
        .app_data(crate::json::BodyLimit(max_body_bytes))
        .app_data(web::PayloadConfig::new(max_body_bytes))
        .app_data(web::PathConfig::default().error_handler(path_error))
        .app_data(web::QueryConfig::default().error_handler(query_error))
        .app_data(web::Data::new(metrics))
        .route("/metrics", web::get().to(crate::metrics::scrape))
        .default_service(web::to(unknown_route))
        .wrap(ErrorHandlers::new().default_handler(bare_error_to_problem))
        .wrap(TracingLogger::<CorrelatedRootSpan>::new())
        .wrap(from_fn(correlation::middleware))
        .wrap(from_fn(crate::metrics::http::middleware))
}

/// Binds the configured address (port 0 picks a free port).
pub fn bind(settings: &ServerSettings) -> std::io::Result<TcpListener> {
    TcpListener::bind((settings.host.as_str(), settings.port)).map_err(|e| {
        std::io::Error::new(
            e.kind(),
            format!("cannot bind {}:{}: {e}", settings.host, settings.port),
        )
    })
}

/// Binds the configured address and starts `server` on it with the configured
/// workers and shutdown grace period; returns the bound port and the running
/// server (await it to serve until SIGTERM/Ctrl-C).
pub fn start<F, I, S, B>(
    settings: &ServerSettings,
    server: HttpServer<F, I, S, B>,
) -> std::io::Result<(u16, Server)>
where
    F: Fn() -> I + Send + Clone + 'static,
    I: IntoServiceFactory<S, Request>,
    S: ServiceFactory<Request, Config = AppConfig> + 'static,
    S::Error: Into<actix_web::Error> + 'static,
    S::InitError: std::fmt::Debug,
    S::Response: Into<actix_web::dev::Response<B>> + 'static,
    <S::Service as Service<Request>>::Future: 'static,
    S::Service: 'static,
    B: MessageBody + 'static,
{
    let listener = bind(settings)?;
    let port = listener.local_addr()?.port();
    let mut server = server.shutdown_timeout(settings.shutdown_timeout_secs);
    if settings.workers > 0 {
        server = server.workers(settings.workers);
    }
    Ok((port, server.listen(listener)?.run()))
}

/// JSON bodies: syntax errors are 400, well-formed JSON of the wrong shape
/// (missing field, wrong type, number out of range) is 422, oversize is 413.
fn json_config(limit: usize) -> web::JsonConfig {
    web::JsonConfig::default()
        .limit(limit)
        .error_handler(move |err, _req| {
            let problem = match &err {
                JsonPayloadError::Overflow { .. }
                | JsonPayloadError::OverflowKnownLength { .. } => Problem::payload_too_large(limit),
                JsonPayloadError::ContentType => Problem::new(
                    StatusCode::UNSUPPORTED_MEDIA_TYPE,
                    "unsupported-media-type",
                    "the body must be JSON with Content-Type: application/json",
                ),
                JsonPayloadError::Deserialize(e) if e.is_data() => {
                    Problem::unprocessable(format!("the JSON body does not fit: {e}"))
                }
                JsonPayloadError::Deserialize(e) => {
                    Problem::bad_request(format!("the body is not valid JSON: {e}"))
                }
                other => Problem::bad_request(format!("the body cannot be read: {other}")),
            };
            problem.into()
        })
}

fn path_error(err: PathError, req: &HttpRequest) -> actix_web::Error {
    Problem::not_found(format!("{} does not name a resource: {err}", req.path())).into()
}

fn query_error(err: QueryPayloadError, _req: &HttpRequest) -> actix_web::Error {
    Problem::bad_request(format!("bad query string: {err}")).into()
}

async fn unknown_route(req: HttpRequest) -> Result<actix_web::HttpResponse, Problem> {
    Err(Problem::not_found(format!(
        "no resource at {} {}",
        req.method(),
        req.path()
    )))
}

/// Framework errors with no problem+json body (405, bare 4xx/5xx) get one.
fn bare_error_to_problem<B>(res: ServiceResponse<B>) -> actix_web::Result<ErrorHandlerResponse<B>> {
    let has_problem_body = res
        .headers()
        .get(CONTENT_TYPE)
        .is_some_and(|v| v.as_bytes() == MEDIA_TYPE.as_bytes());
    if has_problem_body {
        return Ok(ErrorHandlerResponse::Response(res.map_into_left_body()));
    }
    let status = res.status();
    let detail = match status {
        StatusCode::METHOD_NOT_ALLOWED => format!(
            "{} is not allowed on {}",
            res.request().method(),
            res.request().path()
        ),
        _ => match res.response().error() {
            Some(e) => e.to_string(),
            None => status.canonical_reason().unwrap_or("error").to_owned(),
        },
    };
    let problem = Problem::new(status, "http-error", detail);
    let (req, _) = res.into_parts();
    let res = ServiceResponse::new(req, problem.error_response());
    Ok(ErrorHandlerResponse::Response(res.map_into_right_body()))
}
