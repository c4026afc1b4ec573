//! Where results go after a comparison: counted in memory at once, written
//! in batches off the comparisons' path.
//!
//! Writing a row per comparison cost more than the rest of a shadowed request
//! together (building the insert, the database's step and its log), so every
//! result is only counted ([`Batch::add`]) and kept whole only when someone
//! will want to open it: every mismatch and candidate error, and one match in
//! `match_sample` (an example of what agreeing looks like). A task writes
//! the batch every `flush_every`, or sooner once enough rows wait, in one
//! transaction. If the store is down the counters wait for the next write
//! (they are small); rows beyond [`MAX_WAITING_ROWS`] are dropped and counted
//! in `strangler_shadow_rows_total{outcome="lost"}`. A crash loses at most
//! one `flush_every` of counts.

use crate::metrics::ProxyMetrics;
use crate::shadow::store::{Batch, NewResult, ShadowStore, Verdict};
use chrono::Utc;
use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;
use tokio::sync::Notify;

/// Rows waiting that make the writer go before its time.
const FLUSH_ROWS: usize = 256;
/// Rows kept waiting at most while the store cannot take them.
pub const MAX_WAITING_ROWS: usize = 4096;

/// The counting side of the shadow stage; cheap to share.
pub struct Recorder {
    pending: Mutex<Pending>,
    wake: Notify,
    match_sample: u64,
    metrics: ProxyMetrics,
}

#[derive(Default)]
struct Pending {
    batch: Batch,
    /// Matches seen per route, for the one-in-`match_sample` choice.
    matches: HashMap<String, u64>,
}

impl Recorder {
    /// Starts the writer on the current runtime: every `flush_every` (at
    /// least 1 ms) it writes what was counted to `store`.
    pub fn start(
        store: ShadowStore,
        flush_every: Duration,
        match_sample: u64,
        metrics: ProxyMetrics,
    ) -> Arc<Self> {
        let recorder = Arc::new(Self {
            pending: Mutex::default(),
            wake: Notify::new(),
            match_sample: match_sample.max(1),
            metrics,
        });
        let writer = Arc::downgrade(&recorder);
        tokio::spawn(async move {
            let every = flush_every.max(Duration::from_millis(1));
            loop {
                let Some(recorder) = writer.upgrade() else {
                    return;
                };
                let woken = recorder.wake.notified();
                tokio::select! {
                    _ = woken => {}
                    _ = tokio::time::sleep(every) => {}
                }
                recorder.flush(&store).await;
            }
        });
        recorder
    }

    /// The metrics results are counted in.
    pub fn metrics(&self) -> &ProxyMetrics {
        &self.metrics
    }

    /// Counts `result`, keeping it whole when it is worth opening.
    pub fn add(&self, result: NewResult) {
        self.metrics.shadow().result(&result.route, result.verdict);
        let route = result.route.clone();
        let mut pending = self.pending.lock().unwrap_or_else(PoisonError::into_inner);
        let keep = match result.verdict {
            Verdict::Mismatch | Verdict::CandidateError => true,
            Verdict::Match | Verdict::Ignored | Verdict::Noise => {
                let seen = pending.matches.entry(route.clone()).or_default();
                *seen += 1;
                (*seen - 1).is_multiple_of(self.match_sample)
            }
            Verdict::SkippedUnsafe | Verdict::SkippedTooLarge | Verdict::DroppedOverflow => false,
        };
        let keep = keep && pending.batch.kept_rows() < MAX_WAITING_ROWS;
        if let Err(e) = pending.batch.add(result, Utc::now(), keep) {
            drop(pending);
            crate::limited!(warn, %route, error = %e, "shadow result not counted");
            return;
        }
        if pending.batch.kept_rows() >= FLUSH_ROWS {
            self.wake.notify_one();
        }
    }

    /// Writes what was counted so far; on failure keeps the counters (and as
    /// many rows as fit) for the next write.
    pub async fn flush(&self, store: &ShadowStore) {
        let batch = std::mem::take(
            &mut self
                .pending
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .batch,
        );
        if batch.is_empty() {
            return;
        }
        match store.write_batch(batch).await {
            Ok(ids) => self.metrics.shadow().rows("stored", ids.len()),
            Err((e, batch)) => {
                crate::limited!(warn, error = %e, "shadow results not written; will retry");
                let mut pending = self.pending.lock().unwrap_or_else(PoisonError::into_inner);
                let lost = pending.batch.absorb(batch, MAX_WAITING_ROWS);
                drop(pending);
                if lost > 0 {
                    self.metrics.shadow().rows("lost", lost);
                }
            }
        }
    }
}
