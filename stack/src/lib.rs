//! The whole strangler-kit stack on one machine with one command:
//!
//! ```sh
//! cargo run -p stack
//! ```
//!
//! starts the monolith, the fulfillment and payment services and the
//! strangler proxy on their embedded defaults (SQLite files under `./data/`,
//! a local flags file), each health-checked before the next; prints where
//! everything listens; prefixes every line with the process it came from;
//! restarts a part that crashes; and stops everything on Ctrl-C. Switches put
//! the real components in: `--postgres`, `--nats`, `--otlp`, `--unleash`.
//! From another terminal, `stack stop PART` and `stack start PART` take a
//! part down and bring it back (drills: [`control`]). The monolith and the
//! payment service are wired for sync both ways and the monolith's payments
//! port reads the proxy's flags ([`wiring`]); the monolith's direction waits
//! for `stack sync on` ([`sync_switch`]); `stack retire payments` hands
//! every payment to the service for good ([`retire`]).
//!
//! **Why child processes of the real binaries.** The stack builds the four
//! deployables' binaries with the cargo that runs it (`cargo build --bins`,
//! about a second when they are up to date) and starts those, rather than
//! linking the four libraries into one binary that re-executes itself per
//! part. What runs is then exactly what is deployed: each binary's own
//! `main`, settings loading, allocator and signal handling; its logs are its
//! own, and a `kill -9` of one part hits one process, as in production. The
//! one binary would have meant a fifth copy of each `main` and one more large
//! link on every change; this way the stack itself is a small crate that
//! depends on none of them.
//!
//! Files of a run, under `--dir` (default: the current folder):
//! `data/*.db` (SQLite, each part's default), `data/flags.json` (the flags,
//! kept across runs), `data/stack/` (settings written for the run) and
//! `data/stack.env` (`source` it in a second terminal: `$PROXY`, `$ADMIN`,
//! …, the admin token and `strangler` on `PATH`).

pub mod binaries;
pub mod child;
pub mod cli;
pub mod control;
pub mod layout;
pub mod output;
pub mod plan;
pub mod retire;
pub mod route_table;
pub mod supervisor;
pub mod sync_switch;
pub mod unleash;
pub mod wiring;

mod run;

pub use run::run;
