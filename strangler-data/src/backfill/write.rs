//! Writing one batch through the service's import path, and counting what
//! became of each record.

use super::checkpoint::DeadLetter;
use super::{Stage, Summary};
use crate::target::{Service, TooLarge};
use serde_json::Value;
use std::time::Duration;
use v2_common::{ImportOutcome, ImportReport};

/// Imports `records`; a batch above the service's body limit (413) is
/// split in halves until it fits, so the batch size is a ceiling, not a
/// contract with the service's settings.
pub(super) async fn write(
    to: &Service,
    stage: &Stage,
    records: &[Value],
    dry_run: bool,
) -> anyhow::Result<ImportReport> {
    let mut pending = vec![records];
    let mut report = ImportReport {
        results: Vec::with_capacity(records.len()),
    };
    while let Some(part) = pending.pop() {
        match import_retrying(to, stage, part, dry_run).await {
            Ok(r) => report.results.extend(r.results),
            Err(e) if e.downcast_ref::<TooLarge>().is_some() && part.len() > 1 => {
                let (a, b) = part.split_at(part.len() / 2);
                // Popped last-in first-out: `a` next, keeping key order.
                pending.push(b);
                pending.push(a);
            }
            Err(e) => return Err(e),
        }
    }
    Ok(report)
}

async fn import_retrying(
    to: &Service,
    stage: &Stage,
    records: &[Value],
    dry_run: bool,
) -> anyhow::Result<ImportReport> {
    let (path, key) = (stage.import_path, stage.import_key);
    match to.import_raw(path, key, records, dry_run).await {
        Err(e) if e.downcast_ref::<TooLarge>().is_none() => {
            // One retry after a pause: a service restarting under a long
            // backfill should not end the run; imports are idempotent.
            tokio::time::sleep(Duration::from_secs(1)).await;
            to.import_raw(path, key, records, dry_run).await
        }
        other => other,
    }
}

pub(super) fn tally(
    entity: &str,
    report: &ImportReport,
    sum: &mut Summary,
    dead: &mut Vec<DeadLetter>,
) {
    for r in &report.results {
        match r.outcome {
            ImportOutcome::Imported => sum.imported += 1,
            ImportOutcome::AlreadyImported => sum.already_imported += 1,
            ImportOutcome::Refused => dead.push(DeadLetter {
                entity: entity.into(),
                legacy_id: r.legacy_id.clone(),
                reason: format!(
                    "refused by the service: {}",
                    r.reason.as_deref().unwrap_or("no reason given")
                ),
            }),
        }
    }
}
