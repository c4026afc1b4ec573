//! Off the client's path, bounded: shadow jobs wait in a queue of fixed
//! capacity and run with a fixed concurrency. When the queue is full a new job
//! is dropped and counted — never waited for — so a slow or dead candidate can
//! neither delay a client nor grow memory without bound.

use serde::Serialize;
use std::future::Future;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use tokio::sync::{Semaphore, mpsc};

/// How the queue has fared.
#[derive(Debug, Default)]
pub struct QueueCounters {
    accepted: AtomicU64,
    dropped: AtomicU64,
}

/// The counters as numbers.
#[derive(Debug, Clone, Copy, Serialize, PartialEq, Eq)]
pub struct QueueSnapshot {
    /// Jobs queued.
    pub accepted: u64,
    /// Jobs dropped because the queue was full.
    pub dropped: u64,
}

impl QueueCounters {
    /// The counters now.
    pub fn snapshot(&self) -> QueueSnapshot {
        QueueSnapshot {
            accepted: self.accepted.load(Ordering::Relaxed),
            dropped: self.dropped.load(Ordering::Relaxed),
        }
    }
}

/// A bounded queue of jobs run by a bounded number of tasks.
pub struct JobQueue<J> {
    tx: mpsc::Sender<J>,
    counters: Arc<QueueCounters>,
}

impl<J: Send + 'static> JobQueue<J> {
    /// Starts the dispatcher: at most `capacity` jobs wait, at most
    /// `concurrency` run at once, each through `run`.
    pub fn start<F, Fut>(capacity: usize, concurrency: usize, run: F) -> Self
    where
        F: Fn(J) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = ()> + Send + 'static,
    {
        let (tx, mut rx) = mpsc::channel::<J>(capacity.max(1));
        let permits = Arc::new(Semaphore::new(concurrency.max(1)));
        let run = Arc::new(run);
        tokio::spawn(async move {
            while let Some(job) = rx.recv().await {
                let Ok(permit) = permits.clone().acquire_owned().await else {
                    return;
                };
                let run = run.clone();
                tokio::spawn(async move {
                    run(job).await;
                    drop(permit);
                });
            }
        });
        Self {
            tx,
            counters: Arc::default(),
        }
    }

    /// Queues `job` if there is room; `false` (and counted) when full.
    pub fn offer(&self, job: J) -> bool {
        match self.tx.try_send(job) {
            Ok(()) => {
                self.counters.accepted.fetch_add(1, Ordering::Relaxed);
                true
            }
            Err(_) => {
                self.counters.dropped.fetch_add(1, Ordering::Relaxed);
                false
            }
        }
    }

    /// The counters.
    pub fn counters(&self) -> QueueSnapshot {
        self.counters.snapshot()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[tokio::test(start_paused = true)]
    async fn a_full_queue_drops_and_counts_instead_of_waiting() {
        let done = Arc::new(AtomicU64::new(0));
        let finished = done.clone();
        let queue = JobQueue::start(3, 2, move |_: u32| {
            let finished = finished.clone();
            async move {
                tokio::time::sleep(Duration::from_secs(5)).await;
                finished.fetch_add(1, Ordering::Relaxed);
            }
        });
        let accepted = (0..10).filter(|n| queue.offer(*n)).count();
        assert_eq!(
            accepted, 3,
            "offers return at once; only the queue's capacity is taken"
        );
        assert_eq!(
            queue.counters(),
            QueueSnapshot {
                accepted: 3,
                dropped: 7
            }
        );
        tokio::time::sleep(Duration::from_secs(11)).await;
        assert_eq!(
            done.load(Ordering::Relaxed),
            3,
            "two at a time, then the third"
        );
    }
}
