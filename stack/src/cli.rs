//! `cargo run -p stack -- --help`: the switches of the local stack.

use clap::{Parser, Subcommand, ValueEnum};
use std::path::PathBuf;

/// Starts the whole strangler-kit stack on this machine: the monolith, the
/// payment and fulfillment services and the strangler proxy, each
/// health-checked before the next; restarts a part that crashes; Ctrl-C stops
/// everything. `stack stop PART` and `stack start PART`, from another
/// terminal, stop a part of the running stack and start it again; `stack
/// sync on` lets the monolith's payment changes flow to the payment service.
#[derive(Debug, Parser)]
#[command(version, about)]
pub struct Args {
    /// Stop or start one part of a running stack (default: run the stack).
    #[command(subcommand)]
    pub command: Option<Command>,
    /// Folder of the run's files: `data/` under it holds the SQLite
    /// databases, the flags file, the generated settings and `stack.env`.
    #[arg(long, default_value = ".", global = true)]
    pub dir: PathBuf,
    /// First port of the layout: proxy BASE, admin BASE+1, monolith BASE+80,
    /// payment BASE+82, fulfillment BASE+83, Unleash BASE+242.
    #[arg(long, default_value_t = crate::layout::DEFAULT_BASE)]
    pub base_port: u16,
    /// A PostgreSQL server (`postgres://user@host:5432/postgres`): each part
    /// gets its own database there, created if missing, instead of SQLite.
    #[arg(long, value_name = "URL")]
    pub postgres: Option<String>,
    /// With --postgres: the databases' names are this, an underscore and the
    /// part (`strangler_monolith`, …, `strangler_unleash`); another prefix
    /// keeps a second stack on the same server apart.
    #[arg(long, default_value = "strangler", value_name = "NAME")]
    pub db_prefix: String,
    /// A NATS server with JetStream (`host:port`): the services' events
    /// travel over it instead of HTTP inboxes.
    #[arg(long, value_name = "URL")]
    pub nats: Option<String>,
    /// An OTLP/HTTP collector (`http://127.0.0.1:4318`): every part exports
    /// its spans there.
    #[arg(long, value_name = "URL")]
    pub otlp: Option<String>,
    /// Also start a real Unleash server (npm unleash-server 6, installed into
    /// tools/unleash on first use by scripts/setup-unleash; needs node 20 and
    /// npm; its toggles live in PostgreSQL, so it needs --postgres), create
    /// the route table's toggles in it, and have the proxy read its flags
    /// from it.
    #[arg(long, requires = "postgres")]
    pub unleash: bool,
    /// Build and run release binaries.
    #[arg(long)]
    pub release: bool,
}

/// What to do with a running stack (started in the same `--dir`).
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Stop a part (monolith, fulfillment, payment, proxy) and keep it
    /// stopped: the stack does not restart it until `stack start`.
    Stop {
        /// The part.
        part: String,
    },
    /// Start a part stopped by `stack stop` again; returns once it is healthy.
    Start {
        /// The part.
        part: String,
    },
    /// Let the monolith's outbox relay deliver its payment changes to the
    /// payment service (`on`, oldest first, what it recorded meanwhile
    /// included), or hold them in its outbox (`off`, the state a new stack
    /// starts in, so a backfill copies the history first). Restarts the
    /// monolith; the service's changes reach the monolith either way.
    Sync {
        /// `on` or `off`.
        state: SyncState,
    },
    /// Hand every payment to the payment service for good, once the proxy's
    /// payments routes are retired: the monolith's `payments.owner =
    /// "service"` (no local path, no flags read), and the service's changes
    /// no longer sent to the monolith. Restarts the payment service and the
    /// monolith; `monolith retire payments` can then drop the tables.
    Retire {
        /// The context (only `payments`).
        #[arg(value_parser = ["payments"])]
        context: String,
    },
}

/// `stack sync on|off`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum SyncState {
    /// The monolith's relay delivers.
    On,
    /// Its changes wait in its outbox.
    Off,
}
