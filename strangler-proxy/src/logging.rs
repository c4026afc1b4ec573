//! Rate-limited log lines: the one way to log something that can repeat per
//! request or per accepted connection (an upstream failing, accept failing
//! when descriptors run out), so that a flood of requests or a spinning
//! loop cannot write hundreds of MB of identical lines. Each call site of
//! [`limited!`](crate::limited) may write [`LINES_PER_WINDOW`] lines per
//! [`WINDOW`]; the next line written after a quiet spell says how many were
//! left out (`suppressed`).

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

/// Lines one call site may write per window.
pub const LINES_PER_WINDOW: u64 = 10;
/// The window.
pub const WINDOW: Duration = Duration::from_secs(10);

/// One call site's budget of lines.
#[derive(Debug, Default)]
pub struct Limited {
    /// Which window (whole [`WINDOW`]s since the process's first line).
    window: AtomicU64,
    /// Lines asked for in that window.
    lines: AtomicU64,
    /// Lines left out since the last one written.
    suppressed: AtomicU64,
}

impl Limited {
    /// A budget, for a `static`.
    pub const fn new() -> Self {
        Self {
            window: AtomicU64::new(0),
            lines: AtomicU64::new(0),
            suppressed: AtomicU64::new(0),
        }
    }

    /// Whether a line may be written now: `Some(lines left out before it)`,
    /// or `None` (and it is counted as left out).
    pub fn allow(&self) -> Option<u64> {
        self.allow_at(window_now())
    }

    fn allow_at(&self, window: u64) -> Option<u64> {
        if self.window.swap(window, Ordering::Relaxed) != window {
            self.lines.store(0, Ordering::Relaxed);
        }
        if self.lines.fetch_add(1, Ordering::Relaxed) < LINES_PER_WINDOW {
            return Some(self.suppressed.swap(0, Ordering::Relaxed));
        }
        self.suppressed.fetch_add(1, Ordering::Relaxed);
        None
    }
}

/// The current window's number (1-based: 0 is no window yet).
fn window_now() -> u64 {
    static START: std::sync::OnceLock<Instant> = std::sync::OnceLock::new();
    let start = START.get_or_init(Instant::now);
    let elapsed = start.elapsed().as_secs() / WINDOW.as_secs();
    elapsed + 1
}

/// A `tracing` event at `level`, at most [`LINES_PER_WINDOW`] per
/// [`WINDOW`] from this call site, with a `suppressed` field counting the
/// lines left out before it: `limited!(warn, upstream = %u, "upstream failed")`.
#[macro_export]
macro_rules! limited {
    ($level:ident, $($rest:tt)+) => {{
        static LIMIT: $crate::logging::Limited = $crate::logging::Limited::new();
        if let Some(suppressed) = LIMIT.allow() {
            tracing::$level!(suppressed, $($rest)+);
        }
    }};
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_window_allows_its_lines_then_counts_the_rest() {
        let limit = Limited::new();
        for _ in 0..LINES_PER_WINDOW {
            assert_eq!(limit.allow_at(1), Some(0));
        }
        for _ in 0..500 {
            assert_eq!(limit.allow_at(1), None);
        }
        // The next window's first line says how many were left out.
        assert_eq!(limit.allow_at(2), Some(500));
        assert_eq!(limit.allow_at(2), Some(0));
    }

    #[test]
    fn the_macro_writes_at_most_the_budget() {
        use std::sync::{Arc, Mutex};
        use tracing_subscriber::layer::SubscriberExt;
        #[derive(Clone, Default)]
        struct Count(Arc<Mutex<usize>>);
        impl<S: tracing::Subscriber> tracing_subscriber::Layer<S> for Count {
            fn on_event(
                &self,
                _: &tracing::Event<'_>,
                _: tracing_subscriber::layer::Context<'_, S>,
            ) {
                *self.0.lock().unwrap() += 1;
            }
        }
        let count = Count::default();
        let subscriber = tracing_subscriber::registry().with(count.clone());
        tracing::subscriber::with_default(subscriber, || {
            for i in 0..1000 {
                crate::limited!(warn, attempt = i, "accept failed");
            }
        });
        assert_eq!(*count.0.lock().unwrap(), LINES_PER_WINDOW as usize);
    }
}
