//! The HTML dashboard on the admin listener, rendered on the server: routes
//! with their mode, shadow match rate and gate, and the last verify run of
//! each data context; a route's field breakdown,
//! mismatch groups and decisions; one mismatch side by side.
//!
//! A browser cannot send a bearer header, so signing in (`/dashboard/login`,
//! a form, or `?token=` for scripts) sets a session cookie (`HttpOnly`,
//! `SameSite=Strict`, scoped to `/dashboard`, 12 hours; it holds a proof
//! derived from the token, see [`super::session`]); pages without a valid one
//! redirect to the form.

mod pages;

use super::AdminState;
use super::auth::{COOKIE, Token};
use super::handlers::route_views;
use super::session;
use crate::gate::Target;
use crate::shadow::store::Window;
use actix_web::body::{BoxBody, MessageBody};
use actix_web::cookie::{Cookie, SameSite};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::LOCATION;
use actix_web::middleware::{Next, from_fn};
use actix_web::{Error, HttpResponse, web};
use maud::Markup;
use platform::Problem;
use serde::Deserialize;

/// The window the dashboard reports over.
const WINDOW: &str = "1h";

/// Registers `/dashboard`.
pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/dashboard/login", web::get().to(login_page))
        .route("/dashboard/login", web::post().to(login_form))
        .service(
            web::scope("/dashboard")
                .wrap(from_fn(require_login))
                .route("", web::get().to(overview))
                .route("/routes/{name}", web::get().to(route))
                .route("/results/{id}", web::get().to(result)),
        );
}

fn html(markup: Markup) -> HttpResponse {
    HttpResponse::Ok()
        .content_type("text/html; charset=utf-8")
        .body(markup.into_string())
}

fn see_other(to: &str) -> HttpResponse {
    HttpResponse::SeeOther()
        .insert_header((LOCATION, to))
        .finish()
}

async fn require_login(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, Error> {
    let token = req.app_data::<web::Data<Token>>().cloned();
    let signed_in = match (token, req.cookie(COOKIE)) {
        (Some(token), Some(cookie)) => session::accepts(&token, cookie.value(), session::now()),
        _ => false,
    };
    if signed_in {
        return Ok(next.call(req).await?.map_into_boxed_body());
    }
    Ok(req.into_response(see_other("/dashboard/login")))
}

/// `?token=&next=`.
#[derive(Debug, Deserialize)]
struct LoginQuery {
    token: Option<String>,
    next: Option<String>,
}

fn sign_in(token: &Token, presented: &str, next: Option<&str>) -> HttpResponse {
    if !token.matches(presented.as_bytes()) {
        return HttpResponse::Unauthorized()
            .content_type("text/html; charset=utf-8")
            .body(pages::login(true).into_string());
    }
    let lifetime = actix_web::cookie::time::Duration::seconds(
        i64::try_from(session::LIFETIME.as_secs()).unwrap_or(i64::MAX),
    );
    let cookie = Cookie::build(COOKIE, session::issue(token, session::now()))
        .path("/dashboard")
        .http_only(true)
        .same_site(SameSite::Strict)
        .max_age(lifetime)
        .finish();
    let next = next
        .filter(|n| is_dashboard_path(n))
        .unwrap_or("/dashboard");
    let mut res = see_other(next);
    let _ = res.add_cookie(&cookie);
    res
}

/// Only back into the dashboard: never an open redirect (`//host`, `/\\host`),
/// and never a byte a `Location` header cannot carry (a decoded CR or LF).
fn is_dashboard_path(next: &str) -> bool {
    next.starts_with("/dashboard")
        && !next.contains("//")
        && next.bytes().all(|b| b.is_ascii_graphic() && b != b'\\')
}

async fn login_page(token: web::Data<Token>, query: web::Query<LoginQuery>) -> HttpResponse {
    match &query.token {
        Some(presented) => sign_in(&token, presented, query.next.as_deref()),
        None => html(pages::login(false)),
    }
}

#[derive(Debug, Deserialize)]
struct LoginForm {
    token: String,
}

async fn login_form(token: web::Data<Token>, form: web::Form<LoginForm>) -> HttpResponse {
    sign_in(&token, &form.token, None)
}

async fn overview(state: web::Data<AdminState>) -> Result<HttpResponse, Problem> {
    let window: Window = WINDOW.parse()?;
    let report = state
        .proxy
        .shadow()
        .store()
        .report(None, window.duration())
        .await?;
    let mut lines = Vec::new();
    for view in route_views(&state) {
        let gate = state
            .gate
            .verdict(&state.proxy, &view.name, Target::New)
            .await?;
        let report = report.routes.iter().find(|r| r.route == view.name).cloned();
        lines.push(pages::RouteLine { view, report, gate });
    }
    let verify = state.proxy.shadow().store().last_verify_runs().await?;
    Ok(html(pages::overview(&lines, WINDOW, &verify)))
}

async fn route(
    state: web::Data<AdminState>,
    name: web::Path<String>,
) -> Result<HttpResponse, Problem> {
    let name = name.into_inner();
    let view = route_views(&state)
        .into_iter()
        .find(|v| v.name == name)
        .ok_or_else(|| Problem::not_found(format!("no route named `{name}`")))?;
    let window: Window = WINDOW.parse()?;
    let store = state.proxy.shadow().store();
    let report = store.report(Some(&name), window.duration()).await?;
    let gate = state.gate.verdict(&state.proxy, &name, Target::New).await?;
    let decisions = store.decisions(Some(name.clone()), 20).await?;
    let epoch = store
        .epochs(Some(name.clone()), 1)
        .await?
        .into_iter()
        .next();
    let sync = view
        .data
        .as_deref()
        .map(|context| pages::SyncCard {
            readings: state.gate.sync().of(context),
            handover: state.proxy.handovers().of_data(context),
        })
        .unwrap_or_default();
    Ok(html(pages::route(
        &view,
        report.routes.first(),
        &report.top_mismatches,
        &gate,
        &decisions,
        epoch.as_ref(),
        &sync,
    )))
}

async fn result(state: web::Data<AdminState>, id: web::Path<i64>) -> Result<HttpResponse, Problem> {
    let id = id.into_inner();
    match state.proxy.shadow().store().example(id).await? {
        Some(r) => Ok(html(pages::result(&r))),
        None => Err(Problem::not_found(format!("no shadow result {id}"))),
    }
}
