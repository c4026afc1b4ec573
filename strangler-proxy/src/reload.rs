//! Reloading the route table and the promotion gate's settings without a
//! restart: from the admin API, on SIGHUP, or when the settings file changes.
//! A file that does not load, whose table does not build or whose `[gate]`
//! is wrong leaves the last good table and gate in force; the error is kept
//! for the admin API and logged. Only the route table (`[[routes]]` and the
//! defaults it inherits, and `[acl]`, which its translators are built from),
//! `[gate]` and `sync.poll_interval` change on reload: listeners and the flag source need a
//! restart.

use crate::gate::{Gate, Rules};
use crate::proxy::Proxy;
use crate::routes::RouteTable;
use crate::settings::Settings;
use serde::Serialize;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime};
use tokio::sync::watch;

/// How often the settings file's modification time is checked.
const FILE_POLL: Duration = Duration::from_secs(1);

/// The outcome of the last reload attempt.
#[derive(Debug, Clone, Default, Serialize)]
pub struct ReloadState {
    /// Reloads that put a new table in force.
    pub applied: u64,
    /// Why the last attempt failed, if it did (the previous table stays).
    pub last_error: Option<String>,
}

/// Rebuilds the table and the gate's rules from the settings file.
pub struct Reloader {
    proxy: Arc<Proxy>,
    gate: Arc<Gate>,
    path: Option<PathBuf>,
    state: Mutex<ReloadState>,
}

impl Reloader {
    /// A reloader reading `path` (no file: reload re-applies the defaults and
    /// environment).
    pub fn new(proxy: Arc<Proxy>, gate: Arc<Gate>, path: Option<PathBuf>) -> Self {
        Self {
            proxy,
            gate,
            path,
            state: Mutex::default(),
        }
    }

    /// Reloads now; `Err` says why the old table and gate stay. Both are
    /// built before either is put in force.
    pub fn reload(&self) -> Result<usize, String> {
        let result = Settings::load(self.path.as_deref())
            .map_err(|e| e.to_string())
            .and_then(|s| {
                let table = RouteTable::build(&s, &s.registry(), self.proxy.stats())
                    .map_err(|e| e.to_string())?;
                Ok((table, Rules::new(&s)?))
            });
        let mut state = self.state.lock().unwrap_or_else(|p| p.into_inner());
        match result {
            Ok((table, rules)) => {
                let routes = table.routes().len();
                self.proxy.replace_table(table);
                self.gate.replace_rules(rules);
                state.applied += 1;
                state.last_error = None;
                tracing::info!(routes, "route table reloaded");
                Ok(routes)
            }
            Err(e) => {
                tracing::error!(error = %e, "reload refused; the previous route table stays in force");
                state.last_error = Some(e.clone());
                Err(e)
            }
        }
    }

    /// The settings file reloads read (none: defaults and environment only).
    pub fn path(&self) -> Option<&std::path::Path> {
        self.path.as_deref()
    }

    /// The last outcome.
    pub fn state(&self) -> ReloadState {
        self.state.lock().unwrap_or_else(|p| p.into_inner()).clone()
    }

    /// Reloads on SIGHUP and on a change of the file until `stop`.
    pub async fn watch(self: Arc<Self>, mut stop: watch::Receiver<bool>) {
        #[cfg(unix)]
        let mut hup = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::hangup()).ok();
        let mut seen = self.modified();
        let mut tick = tokio::time::interval(FILE_POLL);
        loop {
            #[cfg(unix)]
            let hangup = async {
                match hup.as_mut() {
                    Some(h) => h.recv().await,
                    None => std::future::pending().await,
                }
            };
            #[cfg(not(unix))]
            let hangup = std::future::pending::<Option<()>>();
            tokio::select! {
                _ = crate::server::stopped(&mut stop) => return,
                _ = hangup => {
                    tracing::info!("SIGHUP: reloading");
                    let _ = self.reload();
                }
                _ = tick.tick() => {
                    let now = self.modified();
                    if now != seen {
                        seen = now;
                        tracing::info!("settings file changed: reloading");
                        let _ = self.reload();
                    }
                }
            }
        }
    }

    fn modified(&self) -> Option<SystemTime> {
        self.path
            .as_ref()
            .and_then(|p| std::fs::metadata(p).and_then(|m| m.modified()).ok())
    }
}
