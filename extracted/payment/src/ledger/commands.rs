//! The ledger's commands. Each runs inside the caller's write transaction:
//! load the stream, decide, append at the version read, project, and record
//! the outbox event, all or nothing.

use super::events::{Opened, PaymentEvent};
use super::state::PaymentState;
use super::{now, projection, store};
use crate::error::CommandError;
use crate::gateway::{self, Authorization};
use crate::legacy_ids::{Entity, LegacyIds};
use crate::schema::payments;
use chrono::{DateTime, Utc};
use diesel::prelude::*;
use payment_api::{CreatePayment, CreateRefund, Refund};
use platform::Problem;
use platform::db::AnyConnection;
use platform::outbox;
use uuid::Uuid;

/// What an authorisation ended as (both are committed).
#[derive(Debug, Clone)]
pub enum Authorized {
    /// Approved (and captured when asked).
    Approved(PaymentState),
    /// Declined: the payment exists with status `failed`.
    Declined(PaymentState),
}

/// A state change to an existing payment.
#[derive(Debug, Clone)]
pub enum Transition {
    /// Capture the authorised amount.
    Capture,
    /// Release the authorisation.
    Void,
    /// Mark failed, with the reason.
    Fail(String),
}

/// `POST /v2/payments`.
pub fn authorize(
    conn: &mut AnyConnection,
    ids: &LegacyIds,
    req: &CreatePayment,
) -> Result<Authorized, CommandError> {
    let amount = req
        .amount
        .ensure_positive()
        .map_err(|e| Problem::unprocessable(e.to_string()).with("field", "amount"))?;
    positive("order_legacy_id", Some(req.order_legacy_id))?;
    positive("customer_legacy_id", req.customer_legacy_id)?;
    let answer = gateway::authorize(req.method, req.card_token.as_deref())?;
    let legacy_id = ids.explicit_or_next(conn, Entity::Payment, req.legacy_id)?;
    ensure_free_legacy_id(conn, legacy_id)?;
    let opened = Opened {
        payment_id: Uuid::now_v7(),
        legacy_id,
        order_id: req.order_id,
        order_legacy_id: req.order_legacy_id,
        customer_id: req.customer_id,
        customer_legacy_id: req.customer_legacy_id,
        method: req.method,
        currency: amount.currency(),
        amount_minor: amount
            .to_minor_units()
            .map_err(|e| Problem::unprocessable(e.to_string()))?,
        at: req.created_at.map(truncate).unwrap_or_else(now),
    };
    let mut events = vec![match &answer {
        Authorization::Approved => PaymentEvent::Authorized {
            opened: opened.clone(),
        },
        Authorization::Declined(reason) => PaymentEvent::Declined {
            opened: opened.clone(),
            reason: reason.clone(),
        },
    }];
    if req.capture && answer == Authorization::Approved {
        events.push(PaymentEvent::Captured {
            amount_minor: opened.amount_minor,
            at: opened.at,
        });
    }
    let state = commit(conn, None, opened.payment_id, 0, events)?;
    Ok(match answer {
        Authorization::Approved => Authorized::Approved(state),
        Authorization::Declined(_) => Authorized::Declined(state),
    })
}

/// Capture, void or fail an existing payment, now or (imports) `at`.
pub fn transition(
    conn: &mut AnyConnection,
    id: Uuid,
    what: &Transition,
    at: Option<DateTime<Utc>>,
) -> Result<PaymentState, CommandError> {
    let state = store::load_state(conn, id)?;
    let at = when(at, state.updated_at)?;
    let event = match what {
        Transition::Capture => state.capture(at)?,
        Transition::Void => state.void(at)?,
        Transition::Fail(reason) => state.fail(text("reason", reason)?, at)?,
    };
    let version = state.version;
    commit(conn, Some(state), id, version, vec![event])
}

/// `POST /v2/payments/{id}/refunds`.
pub fn refund(
    conn: &mut AnyConnection,
    ids: &LegacyIds,
    payment_id: Uuid,
    req: &CreateRefund,
) -> Result<(PaymentState, Refund), CommandError> {
    let amount = req
        .amount
        .ensure_positive()
        .map_err(|e| Problem::unprocessable(e.to_string()).with("field", "amount"))?;
    let reason = text("reason", &req.reason)?;
    // The id first: on PostgreSQL its counter row lock queues concurrent
    // refunds, so each then reads the stream after the previous commit and
    // optimistic-concurrency retries stay rare.
    let legacy_id = ids.explicit_or_next(conn, Entity::Refund, req.legacy_id)?;
    let state = store::load_state(conn, payment_id)?;
    if super::queries::refund_legacy_id_taken(conn, legacy_id)? {
        return Err(Problem::conflict(format!(
            "a refund with legacy id {legacy_id} already exists"
        ))
        .into());
    }
    let refund_id = Uuid::now_v7();
    let at = req.created_at.map(truncate).unwrap_or_else(now);
    let event = state.refund(amount, (refund_id, legacy_id), reason.clone(), at)?;
    let version = state.version;
    let after = commit(conn, Some(state), payment_id, version, vec![event])?;
    let refund = Refund {
        id: refund_id,
        legacy_id,
        payment_id,
        payment_legacy_id: after.opened.legacy_id,
        amount,
        reason,
        created_at: at,
    };
    Ok((after, refund))
}

/// Appends, projects each event and records it in the outbox, then the
/// payment's new legacy view for the monolith (sync).
fn commit(
    conn: &mut AnyConnection,
    mut state: Option<PaymentState>,
    stream: Uuid,
    expected_version: i64,
    events: Vec<PaymentEvent>,
) -> Result<PaymentState, CommandError> {
    store::append(conn, stream, expected_version, &events)?;
    let mut version = expected_version;
    for event in &events {
        version += 1;
        let after =
            PaymentState::apply(state, event, version).map_err(|e| Problem::internal(&e))?;
        projection::project(conn, event, &after)?;
        let payload = serde_json::json!({ "event": event, "payment": after.to_api() });
        let message = outbox::Event::new("payment", stream, event.name(), &payload)?;
        outbox::record(conn, &message)?;
        state = Some(after);
    }
    crate::sync::payment_changed(conn, stream)?;
    state.ok_or_else(|| Problem::internal(&"a command appended no event").into())
}

fn ensure_free_legacy_id(conn: &mut AnyConnection, legacy_id: i64) -> Result<(), CommandError> {
    let taken: i64 = payments::table
        .filter(payments::legacy_id.eq(legacy_id))
        .count()
        .get_result(conn)?;
    if taken > 0 {
        return Err(Problem::conflict(format!(
            "a payment with legacy id {legacy_id} already exists"
        ))
        .with("field", "legacy_id")
        .into());
    }
    Ok(())
}

/// Legacy references must be positive.
pub fn positive(field: &'static str, value: Option<i64>) -> Result<(), Problem> {
    match value {
        Some(v) if v < 1 => Err(Problem::unprocessable(format!(
            "{field} must be positive, got {v}"
        ))
        .with("field", field)),
        _ => Ok(()),
    }
}

/// The time of a change: now, or an imported `at` that is not before the
/// entity's last change (a stream never goes back in time).
pub fn when(at: Option<DateTime<Utc>>, last: DateTime<Utc>) -> Result<DateTime<Utc>, Problem> {
    match at.map(truncate) {
        None => Ok(now().max(last)),
        Some(at) if at >= last => Ok(at),
        Some(at) => Err(Problem::unprocessable(format!(
            "at {at} is before the last change at {last}"
        ))
        .with("field", "at")),
    }
}

/// Imported timestamps are kept at the precision the databases store.
pub fn truncate(at: chrono::DateTime<chrono::Utc>) -> chrono::DateTime<chrono::Utc> {
    use chrono::SubsecRound;
    at.trunc_subsecs(6)
}

/// The longest free-text field (a reason, a billing line): what the
/// monolith allows, so a request it refuses is refused here too.
pub const MAX_TEXT: usize = 200;

/// A free-text field: trimmed, 1 to [`MAX_TEXT`] characters.
pub fn text(field: &'static str, value: &str) -> Result<String, Problem> {
    let trimmed = value.trim();
    if trimmed.is_empty() || trimmed.chars().count() > MAX_TEXT {
        Err(
            Problem::unprocessable(format!("{field} must be 1 to {MAX_TEXT} characters"))
                .with("field", field),
        )
    } else {
        Ok(trimmed.to_owned())
    }
}
