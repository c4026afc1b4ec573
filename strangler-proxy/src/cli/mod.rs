//! `strangler --help`: serve the proxy, inspect it through the admin API,
//! edit the local flags file, and backfill and verify data (`data`).

mod admin_client;
mod data;
mod output;

pub use data::{DataArgs, DataContext, SourceArgs};

use crate::settings::Settings;
use clap::{Parser, Subcommand};
use std::path::PathBuf;
use std::process::ExitCode;

/// The strangler proxy: move a monolith to services route by route.
#[derive(Debug, Parser)]
#[command(version, about, long_about = None)]
pub struct Cli {
    /// Settings file with the route table (layered over the embedded defaults,
    /// then STRANGLER__SECTION__KEY variables).
    #[arg(long, short, global = true, env = "STRANGLER_CONFIG")]
    pub config: Option<PathBuf>,
    /// What to do (default: serve).
    #[command(subcommand)]
    pub command: Option<Command>,
}

/// The commands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the proxy and its admin API (the default).
    Serve,
    /// Check the settings and the route table, print the routes, and exit.
    Check,
    /// Show the routes with their current mode and counters (admin API).
    Routes,
    /// Show routes, flags, fallbacks, the last reload, the last verify run of
    /// each data context and each route's counting epoch (admin API).
    Status,
    /// Reload the route table and the promotion gate's settings from the
    /// settings file (admin API).
    Reload,
    /// Move a route to canary or new, if the promotion gate allows it: enough
    /// shadow samples at the match rate, and for new, on a route with `data`,
    /// a recent verify run of that data context that passed.
    Promote {
        /// The route.
        route: String,
        /// `canary` or `new`.
        #[arg(long, value_parser = ["canary", "new"])]
        to: String,
        /// Override a closed gate (needs --reason; recorded).
        #[arg(long, requires = "reason")]
        force: bool,
        /// Why (recorded with the decision).
        #[arg(long)]
        reason: Option<String>,
    },
    /// Retire a route once nothing is left behind: it is in new, the last
    /// verify of its data passed recently, and both sync directions are
    /// drained. The legacy side is then no longer a target (no fallback, no
    /// flags, no shadow): sets `retired = true` on the route in the settings
    /// file and reloads.
    Retire {
        /// The route.
        route: String,
    },
    /// Shadow traffic: how the new side answers compared with the monolith.
    Shadow {
        /// What to show.
        #[command(subcommand)]
        action: ShadowAction,
    },
    /// Copy the monolith's existing records into a service, through the ACL
    /// and the service's side-effect-free import path (idempotent, resumable).
    Backfill {
        /// Which context.
        #[command(subcommand)]
        context: DataContext,
    },
    /// Compare the monolith's records with a service's through the ACL;
    /// records the result with the admin API.
    Verify {
        /// Which context.
        #[command(subcommand)]
        context: DataContext,
    },
    /// Read or change the local flags file (source "file").
    Flags {
        /// The flags file (default: flags.file from the settings).
        #[arg(long)]
        file: Option<PathBuf>,
        /// What to do with it.
        #[command(subcommand)]
        action: FlagsAction,
    },
}

/// `strangler shadow …`.
#[derive(Debug, Subcommand)]
pub enum ShadowAction {
    /// Results per route by class (match, ignored, noise, candidate missing,
    /// status differs, field differs, candidate error), then per field, and the
    /// top mismatch groups, over a window from the current epoch on.
    Report {
        /// One route only.
        #[arg(long)]
        route: Option<String>,
        /// The window: 30s, 15m, 1h, 7d.
        #[arg(long, default_value = "1h")]
        since: String,
    },
    /// Count the route's shadow results afresh from now (after a backfill or
    /// a fix to the ACL): the report and the promotion gate forget older ones.
    Epoch {
        /// The route.
        route: String,
        /// Why (recorded).
        #[arg(long)]
        reason: String,
        /// Who (recorded; default: the USER environment variable).
        #[arg(long, env = "USER")]
        by: Option<String>,
    },
}

/// `strangler flags …`.
#[derive(Debug, Subcommand)]
pub enum FlagsAction {
    /// List every flag with its state and strategies.
    List,
    /// Add a flag, switched off (the file is started if missing).
    Create {
        /// Flag name.
        flag: String,
        /// A sticky rollout percentage (0–100) instead of everyone once enabled.
        #[arg(long)]
        rollout: Option<u32>,
    },
    /// Switch a flag on.
    Enable {
        /// Flag name.
        flag: String,
    },
    /// Switch a flag off.
    Disable {
        /// Flag name.
        flag: String,
    },
    /// Set the sticky rollout percentage of a flag (0–100).
    Rollout {
        /// Flag name.
        flag: String,
        /// Percentage of users (by userId stickiness).
        percent: u32,
    },
}

/// Runs the CLI; errors are one line on stderr and a non-zero exit.
pub fn main(cli: Cli) -> ExitCode {
    // The data commands need no proxy settings (verify reads them only to
    // record its result), so a missing admin token does not stop them.
    let cli = match cli.command {
        Some(Command::Backfill { context }) => return data::backfill(context),
        Some(Command::Verify { context }) => return data::verify(cli.config.as_deref(), context),
        command => Cli { command, ..cli },
    };
    let settings = match Settings::load(cli.config.as_deref()) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("strangler: {e}");
            return ExitCode::from(2);
        }
    };
    let result = match cli.command.unwrap_or(Command::Serve) {
        Command::Serve => serve(settings, cli.config),
        Command::Check => output::check(&settings),
        Command::Routes => admin_client::routes(&settings),
        Command::Status => admin_client::status(&settings),
        Command::Reload => admin_client::reload(&settings),
        Command::Promote {
            route,
            to,
            force,
            reason,
        } => admin_client::promote(&settings, &route, &to, force, reason.as_deref()),
        Command::Retire { route } => admin_client::retire(&settings, &route),
        Command::Shadow {
            action: ShadowAction::Report { route, since },
        } => admin_client::shadow_report(&settings, route.as_deref(), &since),
        Command::Shadow {
            action: ShadowAction::Epoch { route, reason, by },
        } => admin_client::shadow_epoch(&settings, &route, &reason, by.as_deref()),
        // Answered above, before the settings.
        Command::Backfill { .. } | Command::Verify { .. } => Ok(()),
        Command::Flags { file, action } => {
            output::flags(&file.unwrap_or_else(|| settings.flags.file.clone()), action)
        }
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("strangler: {e:#}");
            ExitCode::FAILURE
        }
    }
}

fn serve(settings: Settings, config: Option<PathBuf>) -> anyhow::Result<()> {
    // Held until the runtime has stopped: dropping it exports the last spans.
    let _telemetry = platform::telemetry::init(&settings.telemetry)?;
    runtime(settings.proxy.workers)?.block_on(async {
        let app = crate::app::Application::start(settings, config).await?;
        app.run_until_signalled().await
    })
}

/// Ready tasks the scheduler polls before it looks for I/O events and timers
/// again (tokio's default: 61). A proxied request's tasks each poll for a few
/// microseconds and then wait, so looking less often spares `epoll_wait`
/// calls and serves the wake-ups of many connections in one batch: 2–7 % more
/// throughput on one worker, side by side (docs/performance.md). Under full
/// load a timer or a new connection waits at most this many polls, about a
/// millisecond.
const EVENT_INTERVAL: u32 = 255;

/// The runtime the data plane (and everything but the admin listener, which
/// has its own thread) runs on: `workers` threads (`[proxy] workers`), or one
/// per core when 0.
pub fn runtime(workers: usize) -> std::io::Result<tokio::runtime::Runtime> {
    // One worker needs no work stealing: the single-threaded scheduler skips
    // its cross-thread queues and wake-ups (fewer instructions per request).
    let mut runtime = match workers {
        1 => tokio::runtime::Builder::new_current_thread(),
        _ => tokio::runtime::Builder::new_multi_thread(),
    };
    if workers > 1 {
        runtime.worker_threads(workers);
    }
    runtime.event_interval(EVENT_INTERVAL).enable_all().build()
}

#[cfg(test)]
mod tests {
    use super::runtime;

    #[test]
    fn the_workers_setting_sets_the_runtime_threads() {
        for workers in [1, 3] {
            assert_eq!(runtime(workers).unwrap().metrics().num_workers(), workers);
        }
        let cores = std::thread::available_parallelism().unwrap().get();
        assert_eq!(runtime(0).unwrap().metrics().num_workers(), cores);
    }
}
