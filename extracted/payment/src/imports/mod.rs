//! Imports (backfill): payments with their whole history and invoices,
//! brought over from the monolith under their legacy ids and original
//! timestamps.
//!
//! An import performs **no external side effect**: no gateway call (the
//! authorisation, capture, void and refunds already happened in the
//! monolith, so the ledger records them as they were) and **no outbox
//! event**. Publishing `payment.refunded` for a refund the monolith took
//! last year would make fulfillment cancel a shipment again, and every
//! consequence of these records is already in the monolith's data, which the
//! fulfillment backfill brings over itself. The imported streams are
//! ordinary ledger streams from then on: the next capture or refund the
//! service takes publishes as usual.
//!
//! A batch is one transaction and each record a savepoint inside it: a
//! record that cannot be imported is rolled back alone, with a reason, and
//! nothing of it stays; a legacy id already present is reported and left
//! untouched (idempotent re-runs).

pub mod export;
pub mod invoices;
pub mod payments;

use crate::error::CommandError;
use diesel::Connection;
use payment_api::{ImportOutcome, ImportResult};
use platform::Problem;
use platform::db::AnyConnection;

/// Whether one record was written or found already there.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Written {
    /// Imported now.
    Imported,
    /// Its legacy id was already present; nothing written.
    AlreadyThere,
}

/// Imports each record of a batch in its own savepoint; a refused record
/// leaves no row behind and the others go on.
pub fn each<T>(
    conn: &mut AnyConnection,
    records: &[T],
    legacy_id: impl Fn(&T) -> i64,
    import: impl Fn(&mut AnyConnection, &T) -> Result<Written, CommandError>,
) -> Result<Vec<ImportResult>, CommandError> {
    let mut results = Vec::with_capacity(records.len());
    for record in records {
        let id = legacy_id(record);
        let outcome = conn.transaction(|c| import(c, record));
        results.push(match outcome {
            Ok(Written::Imported) => result(id, ImportOutcome::Imported, None),
            Ok(Written::AlreadyThere) => result(id, ImportOutcome::AlreadyImported, None),
            Err(CommandError::Problem(p)) if p.status().is_client_error() => {
                result(id, ImportOutcome::Refused, Some(p.detail().to_owned()))
            }
            // A database failure is not the record's fault: the whole batch
            // fails and is retried.
            Err(e) => return Err(e),
        });
    }
    Ok(results)
}

fn result(legacy_id: i64, outcome: ImportOutcome, reason: Option<String>) -> ImportResult {
    ImportResult {
        legacy_id: legacy_id.into(),
        outcome,
        reason,
    }
}

/// A batch must hold 1 to [`payment_api::import::MAX_BATCH`] records.
pub fn check_batch_size(field: &'static str, len: usize) -> Result<(), Problem> {
    let max = payment_api::import::MAX_BATCH;
    if (1..=max).contains(&len) {
        Ok(())
    } else {
        Err(
            Problem::unprocessable(format!("{field} must hold 1 to {max} records, got {len}"))
                .with("field", field),
        )
    }
}
