//! The read side: `payments` and `refunds` rows derived from the events.
//! [`project`] runs in the same transaction as each append, so reads are
//! never behind; [`rebuild`] recreates both tables from the events alone and
//! must give the same rows (a test proves it).

use super::events::PaymentEvent;
use super::state::{PaymentState, status_name};
use super::store;
use crate::error::CommandError;
use crate::schema::{payments, refunds};
use chrono::NaiveDateTime;
use diesel::prelude::*;
use platform::db::AnyConnection;

/// A `payments` row.
#[derive(Debug, Clone, PartialEq, Eq, Queryable, Selectable, Insertable, AsChangeset)]
#[diesel(table_name = payments, treat_none_as_null = true)]
pub struct PaymentRow {
    /// UUID text.
    pub id: String,
    /// Legacy id.
    pub legacy_id: i64,
    /// Order UUID text.
    pub order_id: Option<String>,
    /// Order legacy id.
    pub order_legacy_id: i64,
    /// Customer UUID text.
    pub customer_id: Option<String>,
    /// Customer legacy id.
    pub customer_legacy_id: Option<i64>,
    /// `card` or `invoice`.
    pub method: String,
    /// Wire status name.
    pub status: String,
    /// ISO 4217 code.
    pub currency: String,
    /// Authorised, minor units.
    pub amount_minor: i64,
    /// Captured, minor units.
    pub captured_minor: i64,
    /// Refunded, minor units.
    pub refunded_minor: i64,
    /// Why it failed.
    pub failure_reason: Option<String>,
    /// Stream version.
    pub version: i64,
    /// Opened at (UTC).
    pub created_at: NaiveDateTime,
    /// Last event at (UTC).
    pub updated_at: NaiveDateTime,
}

/// A `refunds` row.
#[derive(Debug, Clone, PartialEq, Eq, Queryable, Selectable, Insertable)]
#[diesel(table_name = refunds)]
pub struct RefundRow {
    /// UUID text.
    pub id: String,
    /// Legacy id.
    pub legacy_id: i64,
    /// Payment UUID text.
    pub payment_id: String,
    /// Payment legacy id.
    pub payment_legacy_id: i64,
    /// ISO 4217 code.
    pub currency: String,
    /// Minor units.
    pub amount_minor: i64,
    /// Why.
    pub reason: String,
    /// When (UTC).
    pub created_at: NaiveDateTime,
}

impl From<&PaymentState> for PaymentRow {
    fn from(s: &PaymentState) -> Self {
        let o = &s.opened;
        Self {
            id: o.payment_id.to_string(),
            legacy_id: o.legacy_id,
            order_id: o.order_id.map(|u| u.to_string()),
            order_legacy_id: o.order_legacy_id,
            customer_id: o.customer_id.map(|u| u.to_string()),
            customer_legacy_id: o.customer_legacy_id,
            method: method_name(o.method).to_owned(),
            status: status_name(s.status).to_owned(),
            currency: o.currency.code().to_owned(),
            amount_minor: o.amount_minor,
            captured_minor: s.captured_minor,
            refunded_minor: s.refunded_minor,
            failure_reason: s.failure_reason.clone(),
            version: s.version,
            created_at: o.at.naive_utc(),
            updated_at: s.updated_at.naive_utc(),
        }
    }
}

/// The wire name of a method.
pub fn method_name(m: payment_api::PaymentMethod) -> &'static str {
    match m {
        payment_api::PaymentMethod::Card => "card",
        payment_api::PaymentMethod::Invoice => "invoice",
    }
}

/// Writes the read side for one appended event: the payment row as `after`
/// says, and a refund row for a refund.
pub fn project(
    conn: &mut AnyConnection,
    event: &PaymentEvent,
    after: &PaymentState,
) -> Result<(), CommandError> {
    save_payment(conn, after)?;
    insert_refund(conn, event, after)
}

/// Writes the read side for a whole stream appended at once (an import):
/// the payment row as `last` says, a refund row per refund, the same rows
/// [`project`] leaves after each event in turn.
pub fn project_stream(
    conn: &mut AnyConnection,
    events: &[PaymentEvent],
    last: &PaymentState,
) -> Result<(), CommandError> {
    diesel::insert_into(payments::table)
        .values(PaymentRow::from(last))
        .execute(conn)?;
    for event in events {
        insert_refund(conn, event, last)?;
    }
    Ok(())
}

fn insert_refund(
    conn: &mut AnyConnection,
    event: &PaymentEvent,
    of: &PaymentState,
) -> Result<(), CommandError> {
    if let PaymentEvent::Refunded {
        refund_id,
        refund_legacy_id,
        amount_minor,
        reason,
        at,
    } = event
    {
        diesel::insert_into(refunds::table)
            .values(RefundRow {
                id: refund_id.to_string(),
                legacy_id: *refund_legacy_id,
                payment_id: of.id().to_string(),
                payment_legacy_id: of.opened.legacy_id,
                currency: of.opened.currency.code().to_owned(),
                amount_minor: *amount_minor,
                reason: reason.clone(),
                created_at: at.naive_utc(),
            })
            .execute(conn)?;
    }
    Ok(())
}

fn save_payment(conn: &mut AnyConnection, state: &PaymentState) -> Result<(), CommandError> {
    let row = PaymentRow::from(state);
    let updated = diesel::update(payments::table.find(&row.id))
        .set(&row)
        .execute(conn)?;
    if updated == 0 {
        diesel::insert_into(payments::table)
            .values(&row)
            .execute(conn)?;
    }
    Ok(())
}

/// How many rows a rebuild wrote.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rebuilt {
    /// Payments.
    pub payments: usize,
    /// Refunds.
    pub refunds: usize,
}

/// Recreates `payments` and `refunds` from the events (run inside one write
/// transaction: readers see the old or the new projection, never half).
pub fn rebuild(conn: &mut AnyConnection) -> Result<Rebuilt, CommandError> {
    // No append may commit between reading a stream and writing its rows, or
    // an older state would overwrite a newer one. PostgreSQL: block appends
    // (reads go on) until this transaction ends. SQLite: the first write
    // below takes the database's write lock, which does the same.
    if let AnyConnection::Postgresql(pg) = conn {
        diesel::connection::SimpleConnection::batch_execute(
            pg,
            "LOCK TABLE payment_events IN SHARE MODE",
        )?;
    }
    diesel::delete(refunds::table).execute(conn)?;
    let streams = store::stream_ids(conn)?;
    let mut rebuilt = Rebuilt {
        payments: 0,
        refunds: 0,
    };
    for stream in &streams {
        let mut state = None;
        for (version, event) in store::load(conn, *stream)? {
            let after = PaymentState::apply(state, &event, version)
                .map_err(|e| platform::Problem::internal(&e))?;
            project(conn, &event, &after)?;
            rebuilt.refunds += usize::from(matches!(event, PaymentEvent::Refunded { .. }));
            state = Some(after);
        }
        rebuilt.payments += 1;
    }
    // Rows with no stream behind them cannot be right: drop them.
    let known =
        crate::schema::payment_events::table.select(crate::schema::payment_events::stream_id);
    diesel::delete(payments::table.filter(payments::id.ne_all(known))).execute(conn)?;
    Ok(rebuilt)
}
