//! Imports (backfill) and export lists (verification): the data-migration
//! side of the service, apart from its ordinary commands.
//!
//! An import performs **no side effect outside this database** and publishes
//! **no event**: the monolith already did everything that followed from
//! these records (charged, reserved, shipped), so an `order.imported` that a
//! subscriber reacted to would act twice. Stock items come with their
//! on-hand units; open orders reserve their stock again as they arrive.
//!
//! A batch is one transaction and each record a savepoint inside it: a
//! record that cannot be imported is rolled back alone, with a reason, and
//! nothing of it stays; a key already present is reported and left
//! untouched (idempotent re-runs).

pub(crate) mod export;
pub(crate) mod stock;

use crate::domain::{LegacyIdRange, validate_import};
use crate::store::order_insert;
use diesel::Connection;
use fulfillment_api::{ImportOrder, ImportOutcome, ImportResult, LegacyKey, MAX_BATCH};
use platform::Problem;
use platform::db::AnyConnection;

/// Imports each record in its own savepoint (`import` answers whether it
/// wrote: `false` when the key was already there); a record refused with a
/// client error leaves nothing behind and the others go on.
pub(crate) fn each<T>(
    conn: &mut AnyConnection,
    records: &[T],
    key: impl Fn(&T) -> LegacyKey,
    import: impl Fn(&mut AnyConnection, &T) -> Result<bool, Problem>,
) -> Result<Vec<ImportResult>, Problem> {
    let mut results = Vec::with_capacity(records.len());
    for record in records {
        let (outcome, reason) = match conn.transaction(|c| import(c, record)) {
            Ok(true) => (ImportOutcome::Imported, None),
            Ok(false) => (ImportOutcome::AlreadyImported, None),
            Err(p) if p.status().is_client_error() => {
                (ImportOutcome::Refused, Some(p.detail().to_owned()))
            }
            // A database failure is not the record's fault: the whole batch
            // fails and is retried.
            Err(p) => return Err(p),
        };
        results.push(ImportResult {
            legacy_id: key(record),
            outcome,
            reason,
        });
    }
    Ok(results)
}

/// Imports one order with its shipment; `false` when its legacy id is
/// already there.
pub(crate) fn order(
    conn: &mut AnyConnection,
    range: LegacyIdRange,
    req: &ImportOrder,
) -> Result<bool, Problem> {
    validate_import(req, range)?;
    let (_, created) = order_insert::import(conn, req, crate::store::now(), true)?;
    Ok(created)
}

/// A batch must hold 1 to [`MAX_BATCH`] records.
pub(crate) fn check_batch_size(field: &'static str, len: usize) -> Result<(), Problem> {
    if (1..=MAX_BATCH).contains(&len) {
        Ok(())
    } else {
        Err(Problem::unprocessable(format!(
            "{field} must hold 1 to {MAX_BATCH} records, got {len}"
        ))
        .with("field", field))
    }
}
