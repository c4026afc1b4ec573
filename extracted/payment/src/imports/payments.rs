//! Importing one payment: its history replayed through the ledger's own
//! rules (a refund above the capture is refused as it would be live), the
//! whole stream appended at once and projected once.

use super::Written;
use crate::error::CommandError;
use crate::ledger::commands::{positive, text, truncate, when};
use crate::ledger::events::{Opened, PaymentEvent};
use crate::ledger::state::PaymentState;
use crate::ledger::{projection, queries, store};
use crate::legacy_ids::LegacyIds;
use crate::schema::payments;
use diesel::prelude::*;
use payment_api::{ImportPayment, ImportedChange};
use platform::Problem;
use platform::db::AnyConnection;
use uuid::Uuid;

/// Imports `p` unless its legacy id is already present.
pub fn import(
    conn: &mut AnyConnection,
    ids: &LegacyIds,
    p: &ImportPayment,
) -> Result<Written, CommandError> {
    ids.check_explicit(p.legacy_id)?;
    let taken: i64 = payments::table
        .filter(payments::legacy_id.eq(p.legacy_id))
        .count()
        .get_result(conn)?;
    if taken > 0 {
        return Ok(Written::AlreadyThere);
    }
    let events = history(conn, ids, p)?;
    let stream = opened_id(&events)?;
    let mut state = None;
    for (version, event) in (1..).zip(&events) {
        state =
            Some(PaymentState::apply(state, event, version).map_err(|e| Problem::internal(&e))?);
    }
    let last = state.ok_or_else(|| Problem::internal(&"an import with no event"))?;
    store::append(conn, stream, 0, &events)?;
    projection::project_stream(conn, &events, &last)?;
    Ok(Written::Imported)
}

/// The ledger events of `p`, each decided by the same rules as a live
/// command, so an impossible history is refused with the live reason.
fn history(
    conn: &mut AnyConnection,
    ids: &LegacyIds,
    p: &ImportPayment,
) -> Result<Vec<PaymentEvent>, CommandError> {
    let amount = p
        .amount
        .ensure_positive()
        .map_err(|e| Problem::unprocessable(e.to_string()).with("field", "amount"))?;
    positive("order_legacy_id", Some(p.order_legacy_id))?;
    positive("customer_legacy_id", p.customer_legacy_id)?;
    let opened = Opened {
        payment_id: Uuid::now_v7(),
        legacy_id: p.legacy_id,
        order_id: None,
        order_legacy_id: p.order_legacy_id,
        customer_id: None,
        customer_legacy_id: p.customer_legacy_id,
        method: p.method,
        currency: amount.currency(),
        amount_minor: amount
            .to_minor_units()
            .map_err(|e| Problem::unprocessable(e.to_string()).with("field", "amount"))?,
        at: truncate(p.created_at),
    };
    let first = PaymentEvent::Authorized { opened };
    let mut state = PaymentState::apply(None, &first, 1).map_err(|e| Problem::internal(&e))?;
    let mut events = vec![first];
    for (i, change) in p.history.iter().enumerate() {
        let event = decide(conn, ids, &state, change).map_err(|e| in_history(e, i))?;
        let version = state.version + 1;
        state =
            PaymentState::apply(Some(state), &event, version).map_err(|e| Problem::internal(&e))?;
        events.push(event);
    }
    Ok(events)
}

fn decide(
    conn: &mut AnyConnection,
    ids: &LegacyIds,
    state: &PaymentState,
    change: &ImportedChange,
) -> Result<PaymentEvent, CommandError> {
    Ok(match change {
        ImportedChange::Captured { at } => state.capture(when(Some(*at), state.updated_at)?)?,
        ImportedChange::Voided { at } => state.void(when(Some(*at), state.updated_at)?)?,
        ImportedChange::Refunded {
            legacy_id,
            amount,
            reason,
            at,
        } => {
            ids.check_explicit(*legacy_id)?;
            if queries::refund_legacy_id_taken(conn, *legacy_id)? {
                return Err(Problem::conflict(format!(
                    "a refund with legacy id {legacy_id} already exists (on another payment)"
                ))
                .into());
            }
            let at = when(Some(*at), state.updated_at)?;
            state.refund(
                *amount,
                (Uuid::now_v7(), *legacy_id),
                text("reason", reason)?,
                at,
            )?
        }
    })
}

/// Names the history entry a refusal is about.
fn in_history(e: CommandError, index: usize) -> CommandError {
    match e {
        CommandError::Problem(p) => {
            let detail = format!("history[{index}]: {}", p.detail());
            CommandError::Problem(Problem::new(p.status(), "invalid-import", detail))
        }
        other => other,
    }
}

fn opened_id(events: &[PaymentEvent]) -> Result<Uuid, Problem> {
    match events.first() {
        Some(PaymentEvent::Authorized { opened }) => Ok(opened.payment_id),
        _ => Err(Problem::internal(
            &"an import starts with its authorisation",
        )),
    }
}
