//! Where shadow work runs: a thread of its own, at the same CPU priority as
//! the data plane, with its own single-threaded runtime and its own upstream
//! connections.
//!
//! The route's budget ([`super::budget`]) bounds how much work reaches this
//! thread; the kernel's fair scheduler guarantees it a share of the CPU like
//! any other thread's, so a saturated proxy still compares its budget's worth
//! (it used to run at `nice 19`: under saturation it got about 1.5 % of a core
//! and comparisons collapsed to a few hundred a second). Clients still come
//! first above the budget: copies beyond it are never made. The threads its
//! blocking pool starts (comparisons, database writes) are plain threads too.
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
            .build()?;
        let handle = runtime.handle().clone();
        let (stop, stopped) = oneshot::channel::<()>();
        std::thread::Builder::new()
            .name("strangler-shadow".into())
            .spawn(move || {
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

#[cfg(test)]
mod tests {
    use super::Background;
    use std::hint::black_box;
    use std::sync::Arc;
    use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
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

    /// A fixed amount of CPU work: what is counted instead of time.
    fn unit() {
        let mut x = 1_u64;
        for i in 0..20_000_u64 {
            x = black_box(x.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(i));
        }
        black_box(x);
    }

    fn pin(cpu: usize) {
        let mut set = rustix::thread::CpuSet::new();
        set.set(cpu);
        rustix::thread::sched_setaffinity(None, &set).unwrap();
    }

    /// The budget's guarantee rests on this: with one CPU saturated by
    /// client threads, the shadow thread still gets its fair share of it.
    /// Counted in units of work, not timed: while the shadow thread does
    /// `SHADOW` units, two spinning "clients" on the same CPU do theirs; a
    /// fair scheduler gives the shadow thread a third (at `nice 19` it got
    /// under 1 %).
    #[test]
    fn shadow_work_keeps_its_share_of_a_saturated_cpu() {
        const SHADOW: u64 = 400;
        const CLIENTS: usize = 2;
        let cpu = rustix::thread::sched_getcpu();
        let (stop, client_units) = (
            Arc::new(AtomicBool::new(false)),
            Arc::new(AtomicU64::new(0)),
        );
        let started = Arc::new(AtomicUsize::new(0));
        let clients: Vec<_> = (0..CLIENTS)
            .map(|_| {
                let (stop, units, started) = (stop.clone(), client_units.clone(), started.clone());
                std::thread::spawn(move || {
                    pin(cpu);
                    started.fetch_add(1, Ordering::SeqCst);
                    while !stop.load(Ordering::Relaxed) {
                        unit();
                        units.fetch_add(1, Ordering::Relaxed);
                    }
                })
            })
            .collect();
        while started.load(Ordering::SeqCst) < CLIENTS {
            std::thread::yield_now();
        }
        let background = Background::start(1).unwrap();
        let units = client_units.clone();
        let during = background
            .handle()
            .block_on(background.handle().spawn(async move {
                // A task of the current-thread runtime runs on the shadow thread.
                pin(cpu);
                let before = units.load(Ordering::Relaxed);
                (0..SHADOW).for_each(|_| unit());
                units.load(Ordering::Relaxed) - before
            }));
        stop.store(true, Ordering::Relaxed);
        clients.into_iter().for_each(|c| c.join().unwrap());
        let during = during.unwrap();
        let share = SHADOW as f64 / (SHADOW + during) as f64;
        // Fair is 1/3; half of that leaves room for the machine's own noise.
        assert!(
            share >= 1.0 / (2.0 * (CLIENTS + 1) as f64),
            "the shadow thread got {:.1} % of a saturated CPU ({SHADOW} units against the clients' {during})",
            share * 100.0
        );
    }
}
