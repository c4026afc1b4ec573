//! Progress of a run: a bar with records, rate and ETA on a terminal; plain
//! lines (one per batch) otherwise, so logs and CI output stay readable.

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use std::io::IsTerminal;
use std::time::Instant;

/// Shows how far one entity's walk has come.
pub struct Progress {
    bar: Option<ProgressBar>,
    label: String,
    done: u64,
    total: u64,
    started: Instant,
}

impl Progress {
    /// Starts showing `label` (e.g. `payments: payment`).
    pub fn start(label: String, quiet: bool) -> Self {
        let bar = (!quiet && std::io::stderr().is_terminal()).then(|| {
            let bar = ProgressBar::with_draw_target(Some(0), ProgressDrawTarget::stderr());
            if let Ok(style) = ProgressStyle::with_template(
                "{prefix} [{bar:30}] {pos}/{len} records  {per_sec}  eta {eta}",
            ) {
                bar.set_style(style.progress_chars("=> "));
            }
            bar.set_prefix(label.clone());
            bar
        });
        Self {
            bar,
            label,
            done: 0,
            total: 0,
            started: Instant::now(),
        }
    }

    /// `n` more records handled, of `total` known now.
    pub fn advance(&mut self, n: u64, total: u64, quiet: bool) {
        self.done += n;
        self.total = total.max(self.done);
        match &self.bar {
            Some(bar) => {
                bar.set_length(self.total);
                bar.set_position(self.done);
            }
            None if !quiet => eprintln!("{}", self.line()),
            None => {}
        }
    }

    /// Stops the bar.
    pub fn finish(self) {
        if let Some(bar) = self.bar {
            bar.finish_and_clear();
        }
    }

    fn line(&self) -> String {
        let secs = self.started.elapsed().as_secs_f64().max(1e-3);
        let rate = self.done as f64 / secs;
        let left = self.total.saturating_sub(self.done) as f64;
        let eta = if rate > 0.0 { left / rate } else { 0.0 };
        format!(
            "{}: {}/{} records, {rate:.0}/s, eta {eta:.0}s",
            self.label, self.done, self.total
        )
    }
}
