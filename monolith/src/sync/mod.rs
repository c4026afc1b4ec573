//! Sync with the extracted services while both sides live (see
//! `docs/data.md`): each module that a service took over records, in the
//! transaction of each of its writes, the whole changed record as a
//! [`platform::sync::Change`] in the outbox ([`publish`]); the relay takes
//! it to the service. The services' changes come back through the one
//! [`inbox`] of the monolith, whose handlers write the modules' tables
//! directly and record nothing, so nothing is echoed.
//!
//! What each module syncs: `payments` (payments with their refunds,
//! invoices: `payments::sync`) with the payment service; `fulfillment`
//! (orders with their lines and shipments, stock items: `fulfillment::sync`)
//! with the fulfillment service. A record is the legacy shape of its
//! `/api/v1` export, with times in **UTC** ([`clock`]), so neither side
//! needs the other's zone.

pub mod inbox;

use crate::{fulfillment, payments};
use platform::relay::EventsSettings;
use platform::sync::status::SyncSide;

use crate::error::{AppError, AppResult};
use crate::legacy::LegacyClock;
use platform::db::AnyConnection;
use serde::Serialize;

/// This side's origin in a change.
pub const ORIGIN: &str = "legacy";
/// The services' origin.
pub const OTHER: &str = "new";

/// Sync records show times in UTC.
pub fn clock() -> LegacyClock {
    LegacyClock::utc()
}

/// This side for `GET /sync/status`: one origin, two data contexts (the
/// route table's `data`), each counting only its own entities' changes, so
/// a fulfillment backlog does not hold a payments handover or retirement.
pub fn side(events: &EventsSettings) -> SyncSide {
    SyncSide::new(ORIGIN, events)
        .context(
            "payments",
            &[payments::sync::PAYMENT, payments::sync::INVOICE],
        )
        .context(
            "fulfillment",
            &[fulfillment::sync::ORDER, fulfillment::sync::STOCK_ITEM],
        )
}

/// Records `record` as the next change of `entity` `key`, in the caller's
/// transaction.
pub fn publish(
    conn: &mut AnyConnection,
    entity: &str,
    key: &str,
    record: &impl Serialize,
) -> AppResult<()> {
    let record = serde_json::to_value(record)
        .map_err(|e| diesel::result::Error::SerializationError(Box::new(e)))?;
    Ok(platform::sync::publish(conn, ORIGIN, entity, key, record)?)
}

/// Reads a change's record as `T` (the module's wire shape), or says which
/// record it is not.
pub fn parse<T: serde::de::DeserializeOwned>(
    what: &str,
    record: &serde_json::Value,
) -> AppResult<T> {
    serde_json::from_value(record.clone())
        .map_err(|e| AppError::Invalid(format!("not a {what} record: {e}")))
}

/// Reads a record's time (UTC, [`clock`]), naming the field when it is not one.
pub fn time(field: &str, value: &str) -> AppResult<chrono::NaiveDateTime> {
    clock()
        .read(value)
        .map_err(|e| AppError::Invalid(format!("{field}: {e}")))
}

/// Checks a legacy one-letter state or code against the values it may take.
pub fn letter(field: &str, value: &str, allowed: &[&str]) -> AppResult<()> {
    if allowed.contains(&value) {
        Ok(())
    } else {
        Err(AppError::Invalid(format!(
            "{field} must be one of {allowed:?}, got `{value}`"
        )))
    }
}
