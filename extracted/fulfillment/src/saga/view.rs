//! A stored saga as `/v2/sagas` shows it, with its order as it is now and,
//! for one saga, its history.

use crate::store::convert::{state, utc, uuid};
use crate::store::orders;
use crate::store::sagas;
use crate::store::sagas::SagaRow;
use fulfillment_api::{Saga, SagaEvent, SagaKind, SagaStatus};
use platform::Problem;
use platform::db::AnyConnection;

/// The saga; with its history when `with_history`.
pub(super) fn show(
    conn: &mut AnyConnection,
    row: SagaRow,
    with_history: bool,
) -> Result<Saga, Problem> {
    let order = match &row.order_id {
        Some(id) => orders::find(conn, id)?,
        None => None,
    };
    let history = if with_history {
        let entries = sagas::history(conn, &row.id)?;
        let events = entries.into_iter().map(|e| {
            Ok(SagaEvent {
                at: utc(e.at),
                step: e.step,
                to_step: e.to_step,
                status: state::<SagaStatus>(&e.status)?,
                error: e.error,
            })
        });
        Some(events.collect::<Result<Vec<_>, Problem>>()?)
    } else {
        None
    };
    Ok(Saga {
        id: uuid(&row.id)?,
        kind: state::<SagaKind>(&row.kind)?,
        status: state::<SagaStatus>(&row.status)?,
        step: row.step,
        order_id: row.order_id.as_deref().map(uuid).transpose()?,
        payment_id: row.payment_id.as_deref().map(uuid).transpose()?,
        payment_legacy_id: row.payment_legacy_id,
        attempts: row.attempts,
        next_attempt_at: row.next_attempt_at.map(utc),
        last_error: row.last_error,
        failure: row
            .failure
            .as_deref()
            .map(serde_json::from_str)
            .transpose()
            .map_err(|e| Problem::internal(&format!("stored saga failure: {e}")))?,
        created_at: utc(row.created_at),
        updated_at: utc(row.updated_at),
        order,
        history,
    })
}

/// The kind of a stored saga.
pub(super) fn kind_of(row: &SagaRow) -> Result<SagaKind, Problem> {
    state::<SagaKind>(&row.kind)
}
