//! Backfill: read → translate with the ACL → write through the service's
//! import path, batch by batch, for one bounded context.
//!
//! Idempotent by legacy id (the service reports a record it already holds
//! and writes nothing), resumable (a checkpoint after every batch, see
//! [`checkpoint`]), rate-limited (`governor`), with a dry run that has the
//! service check each batch and keep nothing. A record the ACL cannot
//! translate, or the service refuses, becomes a dead letter with its reason;
//! the run goes on and its summary counts them.

pub mod checkpoint;
pub mod progress;

use crate::payments;
use crate::source::{LegacySource, SourcePage};
use crate::target::{PaymentService, TooLarge};
use acl::LegacyClock;
use checkpoint::{Checkpoint, DeadLetter, StateFiles, append_dead_letters};
use governor::{DefaultDirectRateLimiter, Quota, RateLimiter};
use payment_api::{ImportOutcome, ImportReport};
use progress::Progress;
use serde::Serialize;
use serde_json::Value;
use std::num::NonZeroU32;
use std::path::PathBuf;
use std::time::{Duration, Instant};

/// How a backfill runs.
#[derive(Debug, Clone)]
pub struct Options {
    /// Records per read and per import request (1..=1000).
    pub batch_size: u32,
    /// At most this many records per second.
    pub rate: Option<NonZeroU32>,
    /// Check everything, keep nothing, move no checkpoint.
    pub dry_run: bool,
    /// Ignore the checkpoint and walk from the first record again.
    pub from_start: bool,
    /// The folder of the checkpoint and dead-letter files.
    pub state_dir: PathBuf,
    /// The legacy timestamps' zone.
    pub clock: LegacyClock,
    /// No progress output (the summary is still returned).
    pub quiet: bool,
}

/// What a run did, per entity and in total.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Summary {
    /// The context.
    pub context: String,
    /// Records read from the source.
    pub read: u64,
    /// Written now.
    pub imported: u64,
    /// Already there: nothing written.
    pub already_imported: u64,
    /// Dead letters (untranslatable or refused).
    pub dead_letters: u64,
    /// Whether nothing was kept.
    pub dry_run: bool,
    /// Seconds spent reading the source.
    pub read_seconds: f64,
    /// Seconds spent translating.
    pub translate_seconds: f64,
    /// Seconds spent writing (the import requests).
    pub write_seconds: f64,
    /// Seconds waited for the rate limit.
    pub throttle_seconds: f64,
    /// Seconds in all.
    pub total_seconds: f64,
    /// Where the dead letters are.
    pub dead_letter_file: PathBuf,
}

/// One entity of a context: how to read, translate and write it.
struct Stage {
    entity: &'static str,
    list: &'static str,
    translate: fn(&Value, &LegacyClock) -> Result<Value, String>,
}

const PAYMENT_STAGES: [Stage; 2] = [
    Stage {
        entity: "payment",
        list: "payments",
        translate: |v, c| to_json(payments::to_import(v, c)),
    },
    Stage {
        entity: "invoice",
        list: "invoices",
        translate: |v, c| to_json(payments::invoice_to_import(v, c)),
    },
];

fn to_json<T: Serialize>(r: Result<T, String>) -> Result<Value, String> {
    r.and_then(|t| serde_json::to_value(t).map_err(|e| e.to_string()))
}

/// `strangler backfill payments`: payments with their refunds, then invoices.
pub async fn payments<S: LegacySource>(
    source: &S,
    to: &PaymentService,
    opts: &Options,
) -> anyhow::Result<Summary> {
    anyhow::ensure!(
        (1..=1000).contains(&opts.batch_size),
        "--batch-size must be 1 to 1000, got {}",
        opts.batch_size
    );
    let files = StateFiles::in_dir(&opts.state_dir, "payments")?;
    let mut cp = Checkpoint::load(&files.checkpoint, "payments")?;
    if opts.from_start || cp.after.is_empty() {
        cp.after.clear();
        if !opts.dry_run {
            // A walk from the start lists its own dead letters afresh.
            let _ = std::fs::remove_file(&files.dead_letters);
        }
    }
    let limiter = opts.rate.map(|r| {
        let burst = NonZeroU32::new(opts.batch_size).unwrap_or(NonZeroU32::MIN);
        RateLimiter::direct(Quota::per_second(r).allow_burst(burst))
    });
    let started = Instant::now();
    let mut sum = Summary {
        context: "payments".into(),
        dry_run: opts.dry_run,
        dead_letter_file: files.dead_letters.clone(),
        ..Summary::default()
    };
    for stage in &PAYMENT_STAGES {
        run_stage(
            stage,
            source,
            to,
            opts,
            &files,
            &mut cp,
            limiter.as_ref(),
            &mut sum,
        )
        .await?;
    }
    sum.total_seconds = started.elapsed().as_secs_f64();
    Ok(sum)
}

#[allow(clippy::too_many_arguments)]
async fn run_stage<S: LegacySource>(
    stage: &Stage,
    source: &S,
    to: &PaymentService,
    opts: &Options,
    files: &StateFiles,
    cp: &mut Checkpoint,
    limiter: Option<&DefaultDirectRateLimiter>,
    sum: &mut Summary,
) -> anyhow::Result<()> {
    let mut after = cp.after.get(stage.entity).copied().unwrap_or(0);
    let mut progress = Progress::start(format!("payments: {}", stage.list), opts.quiet);
    loop {
        let t = Instant::now();
        let page: SourcePage = match stage.list {
            "payments" => source.payments(after, opts.batch_size).await?,
            _ => source.invoices(after, opts.batch_size).await?,
        };
        sum.read_seconds += t.elapsed().as_secs_f64();
        let Some(last) = page.items.last().map(|i| i.id) else {
            break;
        };
        sum.read += page.items.len() as u64;

        let t = Instant::now();
        let mut dead = Vec::new();
        let mut records = Vec::with_capacity(page.items.len());
        for item in &page.items {
            match (stage.translate)(&item.body, &opts.clock) {
                Ok(record) => records.push(record),
                Err(reason) => dead.push(DeadLetter {
                    entity: stage.entity.into(),
                    legacy_id: item.id,
                    reason,
                }),
            }
        }
        sum.translate_seconds += t.elapsed().as_secs_f64();

        if let Some(limiter) = limiter {
            let t = Instant::now();
            let n = NonZeroU32::new(u32::try_from(page.items.len()).unwrap_or(u32::MAX))
                .unwrap_or(NonZeroU32::MIN);
            limiter.until_n_ready(n).await?;
            sum.throttle_seconds += t.elapsed().as_secs_f64();
        }

        if !records.is_empty() {
            let t = Instant::now();
            let report = write(to, stage.list, &records, opts.dry_run).await?;
            sum.write_seconds += t.elapsed().as_secs_f64();
            tally(stage.entity, &report, sum, &mut dead);
        }
        sum.dead_letters += dead.len() as u64;
        if !opts.dry_run {
            append_dead_letters(&files.dead_letters, &dead)?;
            cp.after
                .insert(stage.entity.into(), page.next.unwrap_or(last));
            cp.save(&files.checkpoint)?;
        }
        progress.advance(page.items.len() as u64, page.total, opts.quiet);
        after = page.next.unwrap_or(last);
        if page.next.is_none() {
            break;
        }
    }
    progress.finish();
    Ok(())
}

/// Imports `records`; a batch above the service's body limit (413) is
/// split in halves until it fits, so the batch size is a ceiling, not a
/// contract with the service's settings.
async fn write(
    to: &PaymentService,
    list: &str,
    records: &[Value],
    dry_run: bool,
) -> anyhow::Result<ImportReport> {
    let mut pending = vec![records];
    let mut report = ImportReport {
        results: Vec::with_capacity(records.len()),
    };
    while let Some(part) = pending.pop() {
        match import_retrying(to, list, part, dry_run).await {
            Ok(r) => report.results.extend(r.results),
            Err(e) if e.downcast_ref::<TooLarge>().is_some() && part.len() > 1 => {
                let (a, b) = part.split_at(part.len() / 2);
                // Popped last-in first-out: `a` next, keeping id order.
                pending.push(b);
                pending.push(a);
            }
            Err(e) => return Err(e),
        }
    }
    Ok(report)
}

async fn import_retrying(
    to: &PaymentService,
    list: &str,
    records: &[Value],
    dry_run: bool,
) -> anyhow::Result<ImportReport> {
    let path = match list {
        "payments" => payment_api::paths::IMPORT_PAYMENTS,
        _ => payment_api::paths::IMPORT_INVOICES,
    };
    match to.import_raw(path, list, records, dry_run).await {
        Err(e) if e.downcast_ref::<TooLarge>().is_none() => {
            // One retry after a pause: a service restarting under a long
            // backfill should not end the run; imports are idempotent.
            tokio::time::sleep(Duration::from_secs(1)).await;
            to.import_raw(path, list, records, dry_run).await
        }
        other => other,
    }
}

fn tally(entity: &str, report: &ImportReport, sum: &mut Summary, dead: &mut Vec<DeadLetter>) {
    for r in &report.results {
        match r.outcome {
            ImportOutcome::Imported => sum.imported += 1,
            ImportOutcome::AlreadyImported => sum.already_imported += 1,
            ImportOutcome::Refused => dead.push(DeadLetter {
                entity: entity.into(),
                legacy_id: r.legacy_id,
                reason: format!(
                    "refused by the service: {}",
                    r.reason.as_deref().unwrap_or("no reason given")
                ),
            }),
        }
    }
}

impl Summary {
    /// The summary as the command prints it.
    pub fn render(&self) -> String {
        let mut out = format!(
            "backfill {}{}: {} read, {} imported, {} already imported (nothing written), {} dead letters\n",
            self.context,
            if self.dry_run {
                " (dry run: nothing kept)"
            } else {
                ""
            },
            self.read,
            self.imported,
            self.already_imported,
            self.dead_letters
        );
        out.push_str(&format!(
            "time: {:.1}s in all (read {:.1}s, translate {:.1}s, write {:.1}s, rate limit {:.1}s); {:.0} records/s\n",
            self.total_seconds, self.read_seconds, self.translate_seconds, self.write_seconds, self.throttle_seconds,
            self.read as f64 / self.total_seconds.max(1e-3)
        ));
        if self.dead_letters > 0 {
            out.push_str(&format!(
                "dead letters (legacy id and reason): {}\n",
                self.dead_letter_file.display()
            ));
        }
        out
    }
}
