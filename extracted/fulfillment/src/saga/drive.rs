//! Runs one saga as far as it can go now: step after step while each moves
//! it, until it ends, another driver takes it, or a step must wait before
//! its retry. A short wait is slept through when the caller is still willing
//! to wait (`patience`), so a request sees the end of a saga that met one
//! passing failure; a longer one is left to the recovery loop.
//!
//! Every drive is a `saga` span whose remote parent is the trace context the
//! saga was started in, so all its steps, in every drive and process, and the
//! payment service's spans for its calls, make one trace.

use super::step::Step;
use super::{Sagas, invoice, local, remote};
use crate::store::sagas::{self, SagaRow};
use crate::store::{self};
use platform::Problem;
use platform::trace_context::TraceContext;
use std::time::Duration;
use tokio::time::Instant;
use tracing::Instrument;

/// What one step did.
pub(super) enum Outcome {
    /// It moved the saga (to its next step, or to its end).
    Moved,
    /// It must be tried again later; the transient error.
    Retry(String),
}

/// Drives saga `id` (whose lease the caller holds) until it ends, is taken
/// by another driver, or must wait past `patience`.
pub(crate) async fn drive(sagas: Sagas, id: String, patience: Instant) {
    let Some(row) = load(&sagas, &id).await else {
        return;
    };
    let span = tracing::info_span!("saga", saga = %id, kind = %row.kind);
    if let Some(parent) = row
        .traceparent
        .as_deref()
        .and_then(|tp| TraceContext::parse(tp, None))
    {
        parent.adopt_by(&span);
    }
    run(&sagas, row, patience).instrument(span).await;
}

async fn run(sagas: &Sagas, mut row: SagaRow, patience: Instant) {
    loop {
        if row.next_attempt_at.is_none() {
            tracing::info!(status = %row.status, "saga ended");
            return;
        }
        let Some(step) = Step::parse(&row.step) else {
            tracing::error!(step = %row.step, "saga at an unknown step: left for an operator");
            return;
        };
        let span = tracing::info_span!(
            "saga.step",
            step = step.as_str(),
            attempt = row.attempts + 1
        );
        let result = run_step(sagas, &row, step).instrument(span).await;
        let error = match result {
            Ok(Outcome::Moved) => None,
            Ok(Outcome::Retry(error)) => Some(error),
            Err(problem) => Some(problem.detail().to_owned()),
        };
        let Some(fresh) = load(sagas, &row.id).await else {
            return;
        };
        if let Some(error) = error {
            if fresh.step != row.step {
                tracing::info!(step = step.as_str(), "saga moved by another driver");
                return;
            }
            if !retry_later(sagas, &fresh, step, &error, patience).await {
                return;
            }
            let Some(again) = load(sagas, &row.id).await else {
                return;
            };
            row = again;
        } else {
            row = fresh;
        }
    }
}

async fn run_step(sagas: &Sagas, row: &SagaRow, step: Step) -> Result<Outcome, Problem> {
    let moved = |r: Result<(), Problem>| r.map(|()| Outcome::Moved);
    match step {
        Step::ReserveStock => moved(local::reserve_stock(sagas, row).await),
        Step::ChargePayment => remote::charge_payment(sagas, row).await,
        Step::IssueInvoice => invoice::issue_invoice(sagas, row).await,
        Step::CapturePayment => remote::capture_payment(sagas, row).await,
        Step::PayInvoice => remote::pay_invoice(sagas, row).await,
        Step::ConfirmOrder => moved(local::confirm_order(sagas, row).await),
        Step::SettlePayment => remote::settle_payment(sagas, row).await,
        Step::ReleaseStock => moved(local::release_stock(sagas, row).await),
        Step::Done => Ok(Outcome::Moved),
    }
}

/// Schedules the retry; then, when it falls within `patience`, sleeps until
/// it and takes the saga back. True when the caller should go on driving.
async fn retry_later(
    sagas: &Sagas,
    row: &SagaRow,
    step: Step,
    error: &str,
    patience: Instant,
) -> bool {
    let delay = sagas.backoff(row.attempts);
    tracing::warn!(
        step = step.as_str(),
        attempt = row.attempts + 1,
        ?delay,
        error,
        "saga step failed; will retry"
    );
    let (id, error) = (row.id.clone(), error.to_owned());
    let scheduled = sagas
        .db
        .write(move |conn| {
            let now = store::now();
            let at = now + chrono::TimeDelta::from_std(delay).unwrap_or_default();
            sagas::retry_later(conn, &id, step.as_str(), &error, at, now)
        })
        .await;
    if let Err(problem) = scheduled {
        tracing::warn!(%problem, "cannot schedule the retry; the lease runs out instead");
        return false;
    }
    if Instant::now() + delay > patience {
        return false;
    }
    tokio::time::sleep(delay + Duration::from_millis(1)).await;
    let (id, sagas) = (row.id.clone(), sagas.clone());
    sagas
        .db
        .clone()
        .write(move |conn| {
            let now = store::now();
            sagas::claim(conn, &id, now, sagas.lease_from(now))
        })
        .await
        .unwrap_or(false)
}

async fn load(sagas: &Sagas, id: &str) -> Option<SagaRow> {
    let id = id.to_owned();
    match sagas.db.read(move |conn| sagas::get(conn, &id)).await {
        Ok(row) => Some(row),
        Err(problem) => {
            tracing::warn!(%problem, "cannot read the saga; the recovery loop will resume it");
            None
        }
    }
}
