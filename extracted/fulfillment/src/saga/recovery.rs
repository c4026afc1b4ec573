//! The recovery loop: every `recovery_interval_ms` it takes each due saga
//! (one left by a crash or a restart once its lease ran out, or one waiting
//! for a retry) and drives it; and it counts sagas by status for `/metrics`
//! (`fulfillment_sagas{status}`, `fulfillment_sagas_stuck`). Claims are
//! conditional UPDATEs, so several replicas may run the loop at once.

use super::Sagas;
use super::drive::drive;
use crate::store::{self, sagas};
use fulfillment_api::SagaStatus;
use platform::metrics::{Kind, Metrics, Sample};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::sync::watch;
use tokio::task::{JoinHandle, JoinSet};
use tokio::time::Instant;

/// Sagas taken per round; the rest wait for the next.
const BATCH: i64 = 32;

/// The running loop.
pub(crate) struct Recovery {
    stop: watch::Sender<bool>,
    task: JoinHandle<()>,
}

/// Sagas by status, and how many are stuck.
type Tally = (Vec<(String, i64)>, i64);

/// The last counts, read by each scrape.
#[derive(Clone, Default)]
pub(crate) struct SagaCounts(Arc<Mutex<Tally>>);

impl SagaCounts {
    /// Registers `fulfillment_sagas{status}` and `fulfillment_sagas_stuck`.
    pub(crate) fn register(&self, metrics: &Metrics) -> prometheus::Result<()> {
        let by_status = self.clone();
        metrics.register_snapshot(
            "fulfillment_sagas",
            "Order sagas by status (running, compensating, completed, compensated, failed).",
            Kind::Gauge,
            &["status"],
            move || {
                let counts = by_status.0.lock().unwrap_or_else(|p| p.into_inner());
                let all = [
                    SagaStatus::Running,
                    SagaStatus::Compensating,
                    SagaStatus::Completed,
                    SagaStatus::Compensated,
                    SagaStatus::Failed,
                ];
                all.iter()
                    .map(|status| {
                        let n = counts
                            .0
                            .iter()
                            .find(|(s, _)| s == status.as_str())
                            .map_or(0, |(_, n)| *n);
                        Sample::new([status.as_str()], n as f64)
                    })
                    .collect()
            },
        )?;
        let stuck = self.clone();
        metrics.register_snapshot(
            "fulfillment_sagas_stuck",
            "Unfinished order sagas retried at least saga.stuck_after_attempts times on one step.",
            Kind::Gauge,
            &[],
            move || {
                let counts = stuck.0.lock().unwrap_or_else(|p| p.into_inner());
                vec![Sample::unlabelled(counts.1 as f64)]
            },
        )
    }
}

impl Recovery {
    /// Starts the loop on the current runtime.
    pub(crate) fn spawn(sagas: Sagas, counts: SagaCounts) -> Self {
        let (stop, mut stopped) = watch::channel(false);
        let every = Duration::from_millis(sagas.settings.recovery_interval_ms);
        let task = tokio::spawn(async move {
            loop {
                round(&sagas, &counts).await;
                tokio::select! {
                    _ = tokio::time::sleep(every) => {}
                    _ = stopped.changed() => return,
                }
            }
        });
        Self { stop, task }
    }

    /// Stops after the round in progress.
    pub(crate) async fn stop(self) {
        let _ = self.stop.send(true);
        let _ = self.task.await;
    }
}

async fn round(sagas: &Sagas, counts: &SagaCounts) {
    let stuck_after = sagas.settings.stuck_after_attempts;
    match sagas
        .db
        .read(move |conn| sagas::counts(conn, stuck_after))
        .await
    {
        Ok(now) => *counts.0.lock().unwrap_or_else(|p| p.into_inner()) = now,
        Err(problem) => tracing::warn!(%problem, "cannot count the sagas"),
    }
    let due = match claim_due(sagas).await {
        Ok(due) => due,
        Err(problem) => {
            tracing::warn!(%problem, "cannot look for unfinished sagas");
            return;
        }
    };
    let mut running = JoinSet::new();
    for id in due {
        tracing::info!(saga = %id, "resuming saga");
        running.spawn(drive(sagas.clone(), id, Instant::now()));
    }
    while running.join_next().await.is_some() {}
}

/// The due sagas this loop now holds.
async fn claim_due(sagas: &Sagas) -> Result<Vec<String>, platform::Problem> {
    let lease = sagas.clone();
    sagas
        .db
        .write(move |conn| {
            let now = store::now();
            let mut claimed = Vec::new();
            for id in sagas::due(conn, now, BATCH)? {
                if sagas::claim(conn, &id, now, lease.lease_from(now))? {
                    claimed.push(id);
                }
            }
            Ok(claimed)
        })
        .await
}
