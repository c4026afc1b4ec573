//! legacy → new: the monolith's changes applied through the import path,
//! once each and in order per record ([`platform::sync::apply`]). A record
//! not here yet is imported whole; one already here gets the history it
//! lacks (a capture, a void, refunds by legacy id) appended to its stream by
//! the ledger's own rules. Either way: no gateway call, no outbox event.

use super::{INVOICE, ORIGIN, OTHER, PAYMENT, clock};
use crate::error::CommandError;
use crate::imports;
use crate::invoices::status_name;
use crate::ledger::commands::{text, truncate};
use crate::ledger::events::PaymentEvent;
use crate::ledger::state::PaymentState;
use crate::ledger::{projection, queries, store};
use crate::legacy_ids::LegacyIds;
use crate::schema::{invoices, payments, refunds};
use acl::legacy;
use acl::records::payment_records::{self, LegacyPayment};
use diesel::prelude::*;
use payment_api::{ImportPayment, ImportedChange, PaymentStatus};
use platform::Problem;
use platform::db::AnyConnection;
use platform::inbox::Inbox;
use platform::sync::Change;
use serde::Deserialize;
use uuid::Uuid;

/// A payment as the monolith's change carries it.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct PaymentRecord {
    payment: legacy::Payment,
    refunds: Vec<legacy::Refund>,
    #[serde(default)]
    cust: Option<i64>,
}

/// `inbox` with the handlers for the monolith's changes.
pub fn handlers(inbox: Inbox, ids: LegacyIds) -> Inbox {
    inbox
        .on(&Change::event_type(OTHER, PAYMENT), move |conn, event| {
            platform::sync::apply_event(conn, ORIGIN, event, PAYMENT, |c, r| payment(c, &ids, r))
        })
        .on(&Change::event_type(OTHER, INVOICE), move |conn, event| {
            platform::sync::apply_event(conn, ORIGIN, event, INVOICE, |c, r| invoice(c, &ids, r))
        })
}

fn payment(
    conn: &mut AnyConnection,
    ids: &LegacyIds,
    record: &serde_json::Value,
) -> Result<(), CommandError> {
    let r: PaymentRecord = serde_json::from_value(record.clone())
        .map_err(|e| Problem::unprocessable(format!("not a legacy payment record: {e}")))?;
    let legacy = LegacyPayment {
        payment: r.payment,
        refunds: r.refunds,
    };
    let mut import = payment_records::record_to_import(&legacy, &clock()?)
        .map_err(|e| Problem::unprocessable(format!("payment {}: {e}", legacy.payment.id)))?;
    import.customer_legacy_id = r.cust;
    let stream: Option<String> = payments::table
        .filter(payments::legacy_id.eq(import.legacy_id))
        .select(payments::id)
        .first(conn)
        .optional()?;
    match stream {
        None => imports::payments::import(conn, ids, &import).map(|_| ()),
        Some(stream) => catch_up(conn, ids, queries::uuid(&stream)?, &import),
    }
}

/// Appends to `stream` what `import`'s history has and the stream lacks.
fn catch_up(
    conn: &mut AnyConnection,
    ids: &LegacyIds,
    stream: Uuid,
    import: &ImportPayment,
) -> Result<(), CommandError> {
    let before = store::load_state(conn, stream)?;
    let mut state = before.clone();
    let mut events = Vec::new();
    for change in &import.history {
        let Some(event) = missing(conn, ids, &state, change)? else {
            continue;
        };
        let version = state.version + 1;
        state =
            PaymentState::apply(Some(state), &event, version).map_err(|e| Problem::internal(&e))?;
        events.push((event, state.clone()));
    }
    if events.is_empty() {
        return Ok(());
    }
    let only: Vec<PaymentEvent> = events.iter().map(|(e, _)| e.clone()).collect();
    store::append(conn, stream, before.version, &only)?;
    for (event, after) in &events {
        projection::project(conn, event, after)?;
    }
    Ok(())
}

/// The event `change` needs on top of `state`, or `None` when the stream
/// already has it.
fn missing(
    conn: &mut AnyConnection,
    ids: &LegacyIds,
    state: &PaymentState,
    change: &ImportedChange,
) -> Result<Option<PaymentEvent>, CommandError> {
    // A legacy time has whole seconds: never let it go behind the stream.
    let at = |at: &chrono::DateTime<chrono::Utc>| truncate(*at).max(state.updated_at);
    Ok(match change {
        ImportedChange::Captured { at: when } => match state.status {
            PaymentStatus::Authorized => Some(state.capture(at(when))?),
            _ => None,
        },
        ImportedChange::Voided { at: when } => match state.status {
            PaymentStatus::Voided => None,
            _ => Some(state.void(at(when))?),
        },
        ImportedChange::Refunded {
            legacy_id,
            amount,
            reason,
            at: when,
        } => {
            let of: Option<String> = refunds::table
                .filter(refunds::legacy_id.eq(legacy_id))
                .select(refunds::payment_id)
                .first(conn)
                .optional()?;
            match of {
                Some(of) if of == state.id().to_string() => None,
                Some(_) => {
                    return Err(Problem::conflict(format!(
                        "refund {legacy_id} belongs to another payment here"
                    ))
                    .into());
                }
                None => {
                    // One from this service's own range would have to be here.
                    ids.check_explicit(*legacy_id)?;
                    Some(state.refund(
                        *amount,
                        (Uuid::now_v7(), *legacy_id),
                        text("reason", reason)?,
                        at(when),
                    )?)
                }
            }
        }
    })
}

fn invoice(
    conn: &mut AnyConnection,
    ids: &LegacyIds,
    record: &serde_json::Value,
) -> Result<(), CommandError> {
    let import =
        payment_records::invoice_to_import(record, &clock()?).map_err(Problem::unprocessable)?;
    let updated = diesel::update(invoices::table.filter(invoices::legacy_id.eq(import.legacy_id)))
        .set((
            invoices::status.eq(status_name(import.status)),
            invoices::updated_at.eq(crate::ledger::now().naive_utc()),
        ))
        .execute(conn)?;
    if updated == 0 {
        imports::invoices::import(conn, ids, &import)?;
    }
    Ok(())
}
