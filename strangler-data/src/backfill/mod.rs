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
mod write;

use crate::source::{self, LegacySource, List, SourcePage};
use crate::target::Service;
use crate::{fulfillment, payments};
use acl::LegacyClock;
use checkpoint::{Checkpoint, DeadLetter, StateFiles, append_dead_letters};
use governor::{DefaultDirectRateLimiter, Quota, RateLimiter};
use progress::Progress;
use serde::Serialize;
use serde_json::Value;
use std::num::NonZeroU32;
use std::path::PathBuf;
use std::time::Instant;

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
    list: List,
    /// The service's import path and the body's list name.
    import_path: &'static str,
    import_key: &'static str,
    translate: fn(&Value, &LegacyClock) -> Result<Value, String>,
}

const PAYMENT_STAGES: [Stage; 2] = [
    Stage {
        list: List::Payments,
        import_path: payment_api::paths::IMPORT_PAYMENTS,
        import_key: "payments",
        translate: |v, c| to_json(payments::to_import(v, c)),
    },
    Stage {
        list: List::Invoices,
        import_path: payment_api::paths::IMPORT_INVOICES,
        import_key: "invoices",
        translate: |v, c| to_json(payments::invoice_to_import(v, c)),
    },
];

/// Stock first: open orders reserve it as they arrive.
const FULFILLMENT_STAGES: [Stage; 2] = [
    Stage {
        list: List::Stock,
        import_path: fulfillment_api::paths::templates::STOCK_IMPORTS,
        import_key: "stock",
        translate: |v, c| to_json(fulfillment::stock_to_import(v, c)),
    },
    Stage {
        list: List::Orders,
        import_path: fulfillment_api::paths::templates::ORDER_IMPORTS,
        import_key: "orders",
        translate: |v, c| to_json(fulfillment::order_to_import(v, c)),
    },
];

fn to_json<T: Serialize>(r: Result<T, String>) -> Result<Value, String> {
    r.and_then(|t| serde_json::to_value(t).map_err(|e| e.to_string()))
}

/// `strangler backfill payments`: payments with their refunds, then invoices.
pub async fn payments<S: LegacySource>(
    source: &S,
    to: &Service,
    opts: &Options,
) -> anyhow::Result<Summary> {
    run("payments", &PAYMENT_STAGES, source, to, opts).await
}

/// `strangler backfill fulfillment`: stock items, then orders with their
/// lines and shipments.
pub async fn fulfillment<S: LegacySource>(
    source: &S,
    to: &Service,
    opts: &Options,
) -> anyhow::Result<Summary> {
    run("fulfillment", &FULFILLMENT_STAGES, source, to, opts).await
}

async fn run<S: LegacySource>(
    context: &str,
    stages: &[Stage],
    source: &S,
    to: &Service,
    opts: &Options,
) -> anyhow::Result<Summary> {
    anyhow::ensure!(
        (1..=1000).contains(&opts.batch_size),
        "--batch-size must be 1 to 1000, got {}",
        opts.batch_size
    );
    let files = StateFiles::in_dir(&opts.state_dir, context)?;
    let mut cp = Checkpoint::load(&files.checkpoint, context)?;
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
        context: context.into(),
        dry_run: opts.dry_run,
        dead_letter_file: files.dead_letters.clone(),
        ..Summary::default()
    };
    let mut run = Run {
        to,
        opts,
        files: &files,
        cp: &mut cp,
        limiter: limiter.as_ref(),
        sum: &mut sum,
    };
    for stage in stages {
        run.stage(stage, source).await?;
    }
    sum.total_seconds = started.elapsed().as_secs_f64();
    Ok(sum)
}

/// What every stage of one run shares.
struct Run<'a> {
    to: &'a Service,
    opts: &'a Options,
    files: &'a StateFiles,
    cp: &'a mut Checkpoint,
    limiter: Option<&'a DefaultDirectRateLimiter>,
    sum: &'a mut Summary,
}

impl Run<'_> {
    async fn stage<S: LegacySource>(&mut self, stage: &Stage, source: &S) -> anyhow::Result<()> {
        let (opts, entity) = (self.opts, stage.list.record());
        let mut after = self
            .cp
            .after
            .get(entity)
            .cloned()
            .unwrap_or_else(|| stage.list.start());
        let label = format!("{}: {}", self.sum.context, stage.list.name());
        let mut progress = Progress::start(label, opts.quiet);
        loop {
            let t = Instant::now();
            let page: SourcePage =
                source::read(source, stage.list, &after, opts.batch_size).await?;
            self.sum.read_seconds += t.elapsed().as_secs_f64();
            let Some(last) = page.items.last().map(|i| i.id.clone()) else {
                break;
            };
            self.sum.read += page.items.len() as u64;

            let t = Instant::now();
            let mut dead = Vec::new();
            let mut records = Vec::with_capacity(page.items.len());
            for item in &page.items {
                match (stage.translate)(&item.body, &opts.clock) {
                    Ok(record) => records.push(record),
                    Err(reason) => dead.push(DeadLetter {
                        entity: entity.into(),
                        legacy_id: item.id.clone(),
                        reason,
                    }),
                }
            }
            self.sum.translate_seconds += t.elapsed().as_secs_f64();

            if let Some(limiter) = self.limiter {
                let t = Instant::now();
                let n = NonZeroU32::new(u32::try_from(page.items.len()).unwrap_or(u32::MAX))
                    .unwrap_or(NonZeroU32::MIN);
                limiter.until_n_ready(n).await?;
                self.sum.throttle_seconds += t.elapsed().as_secs_f64();
            }

            if !records.is_empty() {
                let t = Instant::now();
                let report = write::write(self.to, stage, &records, opts.dry_run).await?;
                self.sum.write_seconds += t.elapsed().as_secs_f64();
                write::tally(entity, &report, self.sum, &mut dead);
            }
            self.sum.dead_letters += dead.len() as u64;
            let next = page.next.clone().unwrap_or(last);
            if !opts.dry_run {
                append_dead_letters(&self.files.dead_letters, &dead)?;
                self.cp.after.insert(entity.into(), next.clone());
                self.cp.save(&self.files.checkpoint)?;
            }
            progress.advance(page.items.len() as u64, page.total, opts.quiet);
            after = next;
            if page.next.is_none() {
                break;
            }
        }
        progress.finish();
        Ok(())
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
