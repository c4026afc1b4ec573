//! `monolith retire payments --archive FILE`: the last step of moving
//! payments out. Once the payment service owns every payment
//! (`payments.owner = "service"`) and the monolith's payment and invoice
//! changes are all delivered, the module's tables serve nobody: every row is written to
//! FILE as JSON lines (`{"table": "payments", "row": {...}}`), then the
//! tables are dropped, reading and dropping in one transaction so no row
//! lands in between. A second run finds them gone and does nothing.

use super::store::retired;
use super::sync;
use crate::settings::{PaymentsOwner, Settings};
use anyhow::{Context, bail};
use platform::db::{AnyConnection, Db};
use platform::sync::Change;
use serde::Serialize;
use std::io::Write;
use std::path::{Path, PathBuf};

/// Options of `monolith retire`.
#[derive(Debug, clap::Args)]
pub struct RetireArgs {
    /// The context whose tables go (only `payments` has moved out).
    #[arg(value_parser = ["payments"])]
    pub context: String,
    /// Where every row is written first, as JSON lines.
    #[arg(long, value_name = "FILE")]
    pub archive: PathBuf,
}

/// What a run did.
enum Retired {
    /// The tables were archived and dropped: rows per table.
    Now {
        payments: usize,
        refunds: usize,
        invoices: usize,
    },
    /// They were gone already.
    Before,
}

/// Runs the command against the database in `settings`.
pub fn run(settings: &Settings, args: &RetireArgs) -> anyhow::Result<()> {
    if settings.payments.owner != PaymentsOwner::Service {
        bail!(
            "the monolith still owns payments by its settings (payments.owner = \"{}\"): \
             retire the proxy's route, set payments.owner = \"service\" and restart the monolith first",
            owner_name(settings.payments.owner)
        );
    }
    let db = Db::connect(&settings.database, crate::migrations()).with_context(|| {
        format!(
            "cannot open the database at {}",
            platform::db::redacted(&settings.database.url)
        )
    })?;
    let archive = args.archive.clone();
    let outcome = actix_web::rt::System::new()
        .block_on(db.write(move |conn| archive_and_drop(conn, &archive)))?;
    match outcome {
        Retired::Now {
            payments,
            refunds,
            invoices,
        } => println!(
            "retired payments: archived {payments} payments, {refunds} refunds and {invoices} invoices to {}; dropped tables {}",
            args.archive.display(),
            retired::TABLES.join(", ")
        ),
        Retired::Before => println!("payments already retired: its tables are gone; nothing to do"),
    }
    Ok(())
}

fn owner_name(owner: PaymentsOwner) -> &'static str {
    match owner {
        PaymentsOwner::Monolith => "monolith",
        PaymentsOwner::Flags => "flags",
        PaymentsOwner::Service => "service",
    }
}

/// In the caller's transaction: refuses while sync changes wait, else
/// writes the archive (whole, synced to disk, then renamed into place) and
/// drops the tables.
fn archive_and_drop(conn: &mut AnyConnection, archive: &Path) -> Result<Retired, RetireError> {
    if retired::remaining(conn)? == 0 {
        return Ok(Retired::Before);
    }
    // Only this module's changes: fulfillment's travel to another service.
    let mut pending = 0;
    for entity in [sync::PAYMENT, sync::INVOICE] {
        let types = Change::event_type(crate::sync::ORIGIN, entity);
        pending += platform::outbox::lag(conn, Some(&types))?.pending;
    }
    if pending > 0 {
        return Err(RetireError::Refused(format!(
            "{pending} payment changes are still waiting in the outbox for the payment service: \
             let the relay deliver them (is sync on?) and run this again"
        )));
    }
    let (payments, refunds, invoices) = retired::all_rows(conn)?;
    write_archive(archive, &payments, &refunds, &invoices)
        .map_err(|e| RetireError::Refused(format!("cannot write {}: {e}", archive.display())))?;
    retired::drop_tables(conn)?;
    Ok(Retired::Now {
        payments: payments.len(),
        refunds: refunds.len(),
        invoices: invoices.len(),
    })
}

#[derive(Serialize)]
struct Line<'a, T> {
    table: &'a str,
    row: &'a T,
}

fn write_archive(
    file: &Path,
    payments: &[impl Serialize],
    refunds: &[impl Serialize],
    invoices: &[impl Serialize],
) -> std::io::Result<()> {
    let temporary = file.with_extension("partial");
    let mut out = std::io::BufWriter::new(std::fs::File::create(&temporary)?);
    lines(&mut out, "payments", payments)?;
    lines(&mut out, "refunds", refunds)?;
    lines(&mut out, "invoices", invoices)?;
    out.into_inner()?.sync_all()?;
    std::fs::rename(&temporary, file)
}

fn lines<T: Serialize>(out: &mut impl Write, table: &str, rows: &[T]) -> std::io::Result<()> {
    for row in rows {
        serde_json::to_writer(&mut *out, &Line { table, row })?;
        out.write_all(b"\n")?;
    }
    Ok(())
}

/// Why a run stopped (its transaction rolled back).
#[derive(Debug, thiserror::Error)]
enum RetireError {
    #[error("{0}")]
    Refused(String),
    #[error("database: {0}")]
    Database(#[from] diesel::result::Error),
    #[error(transparent)]
    Db(#[from] platform::db::DbError),
}
