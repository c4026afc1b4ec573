//! `/v2/sagas`: start an order saga (and wait for its end, up to
//! `saga.wait_ms`), read one, list the newest. A saga that ends within the
//! wait is answered as it ended: 201 (placed) or 200 with the saga, or the
//! business problem that failed it (402 declined, 409 out of stock, …) with
//! `saga_id`; one still running is answered 202 with its `Location`.

use crate::saga::{self, Sagas};
use actix_web::http::StatusCode;
use actix_web::http::header::LOCATION;
use actix_web::{HttpResponse, web};
use fulfillment_api::{Saga, SagaKind, SagaStatus, StartSaga, paths};
use platform::Problem;
use platform::db::Db;
use platform::dry_run::DryRun;
use platform::idempotency::IdempotencyKey;
use serde::Deserialize;
use std::time::Duration;
use tokio::time::Instant;
use uuid::Uuid;
use v2_common::ProblemDoc;

/// How often a repeated start looks whether the saga has ended.
const POLL: Duration = Duration::from_millis(20);

#[utoipa::path(post, path = "/v2/sagas", operation_id = "start_saga", tag = "sagas",
    params(("Idempotency-Key" = String, Header, description = "required; the same key finds the same saga")),
    request_body = StartSaga,
    responses(
        (status = 201, description = "order placed and paid (or authorised)", body = Saga),
        (status = 200, description = "order captured or cancelled", body = Saga),
        (status = 202, description = "still running; read Location later", body = Saga),
        (status = 402, description = "card declined; the saga compensated", body = ProblemDoc, content_type = "application/problem+json"),
        (status = 409, description = "not enough stock, or the order cannot move", body = ProblemDoc, content_type = "application/problem+json"),
        (status = 422, description = "invalid request, unknown customer, or key reused", body = ProblemDoc, content_type = "application/problem+json"),
        (status = 503, description = "the customers' owner cannot answer; nothing started, repeat with the same key", body = ProblemDoc, content_type = "application/problem+json")))]
pub(crate) async fn start(
    sagas: web::Data<Sagas>,
    db: web::Data<Db>,
    key: IdempotencyKey,
    dry_run: DryRun,
    body: web::Json<StartSaga>,
) -> Result<HttpResponse, Problem> {
    if dry_run.enabled() {
        return Err(Problem::unprocessable(
            "a saga moves money in the payment service and cannot run dry; send it without X-Strangler-Dry-Run",
        ));
    }
    let started = sagas
        .start(key.as_str().to_owned(), body.into_inner())
        .await?;
    let patience = Instant::now() + sagas.wait();
    let id = Uuid::parse_str(&started.id).map_err(|e| Problem::internal(&e))?;
    if started.fresh {
        let driver = tokio::spawn(saga::drive(
            sagas.get_ref().clone(),
            started.id.clone(),
            patience,
        ));
        // The driver goes on after the wait; the answer is then a 202.
        let _ = tokio::time::timeout_at(patience, driver).await;
    }
    loop {
        let saga = saga::get(&db, id).await?;
        if saga.status.is_terminal() || Instant::now() + POLL > patience {
            return answer(saga);
        }
        tokio::time::sleep(POLL).await;
    }
}

fn answer(saga: Saga) -> Result<HttpResponse, Problem> {
    match saga.status {
        SagaStatus::Completed => {
            let status = match saga.kind {
                SagaKind::PlaceOrder => StatusCode::CREATED,
                SagaKind::CaptureOrder | SagaKind::CancelOrder => StatusCode::OK,
            };
            Ok(HttpResponse::build(status).json(saga))
        }
        SagaStatus::Failed | SagaStatus::Compensated => {
            let mut failure = saga.failure.clone().unwrap_or_else(|| {
                serde_json::json!({"status": 409, "title": "Conflict",
                    "detail": format!("saga {} was compensated", saga.id)})
            });
            let status = failure["status"]
                .as_u64()
                .and_then(|s| StatusCode::from_u16(s as u16).ok())
                .unwrap_or(StatusCode::CONFLICT);
            failure["saga_id"] = saga.id.to_string().into();
            failure["saga_status"] = saga.status.as_str().into();
            Ok(HttpResponse::build(status)
                .content_type("application/problem+json")
                .json(failure))
        }
        SagaStatus::Running | SagaStatus::Compensating => Ok(HttpResponse::Accepted()
            .insert_header((LOCATION, paths::saga(saga.id)))
            .json(saga)),
    }
}

#[utoipa::path(get, path = "/v2/sagas/{id}", operation_id = "get_saga", tag = "sagas",
    params(("id" = Uuid, Path)),
    responses((status = 200, body = Saga), (status = 404, body = ProblemDoc, content_type = "application/problem+json")))]
pub(crate) async fn get(db: web::Data<Db>, id: web::Path<Uuid>) -> Result<HttpResponse, Problem> {
    Ok(HttpResponse::Ok().json(saga::get(&db, id.into_inner()).await?))
}

/// `?status=&limit=`.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub(crate) struct ListQuery {
    /// Only sagas with this status.
    status: Option<SagaStatus>,
    /// How many, 1–100 (default 20).
    limit: Option<u32>,
}

#[utoipa::path(get, path = "/v2/sagas", operation_id = "list_sagas", tag = "sagas",
    params(ListQuery),
    responses((status = 200, body = Vec<Saga>), (status = 400, body = ProblemDoc, content_type = "application/problem+json")))]
pub(crate) async fn list(
    db: web::Data<Db>,
    query: web::Query<ListQuery>,
) -> Result<HttpResponse, Problem> {
    let limit = query.limit.unwrap_or(20);
    if !(1..=100).contains(&limit) {
        return Err(Problem::bad_request(format!(
            "limit must be 1 to 100, got {limit}"
        )));
    }
    let sagas = saga::list(&db, query.status, i64::from(limit)).await?;
    Ok(HttpResponse::Ok().json(sagas))
}
