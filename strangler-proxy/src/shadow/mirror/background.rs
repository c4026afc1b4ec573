//! Where shadow work runs: a thread of its own, at the lowest CPU priority,
//! with its own single-threaded runtime and its own upstream connections.
//!
//! Copies, comparisons and result writes are CPU work the clients must never
//! wait for. At `nice 19` the kernel gives the thread what the data plane
//! leaves over; when there is none, the shadow queue fills and further copies
//! are dropped and counted, which is the right answer under overload. The
//! threads its blocking pool starts (database writes) inherit the priority.
//! Connections are not shared with the data plane: a connection's task runs
//! on the runtime that opened it, so a shared one could put a client's
//! request behind shadow work.

use std::io;
use tokio::runtime::Handle;
use tokio::sync::oneshot;

/// The background runtime; it stops (its tasks dropped) when this is dropped.
pub struct Background {
    handle: Handle,
    _stop: oneshot::Sender<()>,
}

impl Background {
    /// Starts the thread, with at most `blocking_threads` more for blocking
    /// work (comparisons, database calls).
    pub fn start(blocking_threads: usize) -> io::Result<Self> {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .thread_name("strangler-shadow")
            .max_blocking_threads(blocking_threads.max(1))
            .on_thread_start(lowest_priority)
            .build()?;
        let handle = runtime.handle().clone();
        let (stop, stopped) = oneshot::channel::<()>();
        std::thread::Builder::new()
            .name("strangler-shadow".into())
            .spawn(move || {
                lowest_priority();
                runtime.block_on(async {
                    let _ = stopped.await;
                });
            })?;
        Ok(Self {
            handle,
            _stop: stop,
        })
    }

    /// Its runtime, to spawn on.
    pub fn handle(&self) -> &Handle {
        &self.handle
    }
}

/// `nice 19` for the calling thread (on Linux the priority is per thread).
fn lowest_priority() {
    if let Err(e) = rustix::process::setpriority_process(None, 19) {
        tracing::debug!(error = %e, "shadow work keeps the normal CPU priority");
    }
}

#[cfg(test)]
mod tests {
    use super::Background;
    use std::sync::Arc;
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::time::Duration;

    #[test]
    fn blocking_work_takes_turns_on_the_threads_given() {
        let background = Background::start(2).unwrap();
        let (running, most) = (Arc::new(AtomicUsize::new(0)), Arc::new(AtomicUsize::new(0)));
        let tasks: Vec<_> = (0..6)
            .map(|_| {
                let (running, most) = (running.clone(), most.clone());
                background.handle().spawn_blocking(move || {
                    most.fetch_max(running.fetch_add(1, Ordering::SeqCst) + 1, Ordering::SeqCst);
                    std::thread::sleep(Duration::from_millis(50));
                    running.fetch_sub(1, Ordering::SeqCst);
                })
            })
            .collect();
        for task in tasks {
            background.handle().block_on(task).unwrap();
        }
        assert_eq!(most.load(Ordering::SeqCst), 2);
    }
}
