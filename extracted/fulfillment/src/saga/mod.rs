//! Order sagas, orchestrated here: placing an order (reserve stock → charge
//! through the payment service → issue the invoice → confirm), capturing an invoice order and
//! cancelling an order, each a row in `sagas` moved step by step (see
//! [`step`] for the steps and docs/saga.md for the guarantees).
//!
//! - A local step and the saga's move run in one transaction (`local`).
//! - A remote step calls the payment service with an idempotency key made of
//!   the saga id and the step, then records the answer (`remote`): repeating
//!   it after a crash repeats no effect.
//! - A `place_order` start asks the monolith, owner of the customers, whether
//!   the customer exists (`customers`) before anything is written.
//! - Transient failures are retried with backoff; a forward step still
//!   failing at its deadline, or a business answer, turns the saga to
//!   compensation. Compensations retry until they succeed.
//! - `drive` runs a saga as far as it can go now; `recovery` resumes every
//!   due saga (after a crash, a restart or a retry delay) and counts them for
//!   `/metrics`.
//! - Every start, move and failed try is kept in the saga's history
//!   (`saga_history`, written with the move), shown by `GET /v2/sagas/{id}`.

mod call;
mod customers;
mod drive;
mod invoice;
mod local;
pub(crate) mod payments;
mod recovery;
mod remote;
mod start;
mod step;
mod view;

use crate::domain::LegacyIdRange;
use crate::settings::SagaSettings;
use crate::store::sagas::{self, Move};
use chrono::{NaiveDateTime, TimeDelta};
use platform::Problem;
use platform::db::Db;
use std::time::Duration;
use step::Step;

pub(crate) use drive::drive;
pub(crate) use recovery::{Recovery, SagaCounts};

/// Everything a saga's driver needs; cheap to clone.
#[derive(Clone)]
pub(crate) struct Sagas {
    db: Db,
    payments: payments::PaymentsClient,
    customers: customers::CustomersClient,
    settings: SagaSettings,
    legacy_ids: LegacyIdRange,
}

impl Sagas {
    pub(crate) fn new(
        db: Db,
        settings: SagaSettings,
        legacy_ids: LegacyIdRange,
    ) -> anyhow::Result<Self> {
        let timeout = Duration::from_millis(settings.request_timeout_ms);
        let payments = payments::PaymentsClient::new(&settings.payments_url, timeout)?;
        let customers = customers::CustomersClient::new(&settings.customers_url, timeout)?;
        Ok(Self {
            db,
            payments,
            customers,
            settings,
            legacy_ids,
        })
    }

    /// How long a start waits for its saga to end.
    pub(crate) fn wait(&self) -> Duration {
        Duration::from_millis(self.settings.wait_ms)
    }

    fn lease_from(&self, now: NaiveDateTime) -> NaiveDateTime {
        now + TimeDelta::seconds(self.settings.lease_secs as i64)
    }

    fn deadline_from(&self, now: NaiveDateTime) -> NaiveDateTime {
        now + TimeDelta::seconds(self.settings.step_deadline_secs as i64)
    }

    /// The delay before try number `attempts + 1`: doubling, capped.
    fn backoff(&self, attempts: i32) -> Duration {
        let factor = 1_u64 << attempts.clamp(0, 20);
        let ms = self
            .settings
            .retry_initial_ms
            .saturating_mul(factor)
            .min(self.settings.retry_max_ms);
        Duration::from_millis(ms)
    }

    /// A move to `step` that keeps the driver's lease.
    fn onward(&self, status: &'static str, step: Step, now: NaiveDateTime) -> Move {
        Move {
            status,
            step: step.as_str(),
            next_attempt_at: Some(self.lease_from(now)),
            ..Move::default()
        }
    }

    /// A move that ends the saga in `status`.
    fn end(status: &'static str) -> Move {
        Move {
            status,
            step: Step::Done.as_str(),
            ..Move::default()
        }
    }
}

/// The problem document a failed step leaves on its saga.
fn failure_of(problem: &Problem) -> String {
    problem.to_json().to_string()
}

/// Looks up one saga with its history (404 when there is none).
pub(crate) async fn get(db: &Db, id: uuid::Uuid) -> Result<fulfillment_api::Saga, Problem> {
    let id = id.to_string();
    db.read(move |conn| {
        let row = sagas::get(conn, &id)?;
        view::show(conn, row, true)
    })
    .await
}

/// The newest sagas, optionally of one status.
pub(crate) async fn list(
    db: &Db,
    status: Option<fulfillment_api::SagaStatus>,
    limit: i64,
) -> Result<Vec<fulfillment_api::Saga>, Problem> {
    db.read(move |conn| {
        let rows = sagas::list(conn, status.map(|s| s.as_str()), limit)?;
        rows.into_iter()
            .map(|row| view::show(conn, row, false))
            .collect()
    })
    .await
}
