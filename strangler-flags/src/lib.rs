//! Unleash feature flags for the strangler proxy and the monolith: which mode (`legacy`, `shadow`, `canary`,
//! `new`) a request gets is decided by flags evaluated with the Unleash Rust client
//! (`unleash-api-client`), from one of two sources with the same flag names and
//! the same answers:
//!
//! - [`Flags::from_file`]: the embedded default, a local file in Unleash's
//!   client-features JSON format, watched and reloaded on change (a bad file keeps
//!   the last good state and records the error); [`mod@file`] edits it atomically for
//!   the `strangler flags` CLI;
//! - [`Flags::from_server`]: a real Unleash server (or Unleash Edge), polled.
//!
//! Each document that takes effect is counted ([`Flags::generation`]), and an
//! [`OwnersWatch`] compares a set of owner flags' definitions between
//! generations: which ways records may have moved (the handover, see
//! `docs/data.md`).
//!
//! This crate owns flag loading and evaluation only; it must not know routes or
//! modes (the proxy maps flag answers to modes, the monolith to a port). See `docs/flags.md`.

mod context;
mod document;
mod engine;
mod error;
pub mod file;
mod file_source;
pub mod owners;
mod server_source;
pub mod settings;
mod snapshot;
mod source;

pub use context::{EvalEnv, FlagContext};
pub use document::KNOWN_STRATEGIES;
pub use error::FlagsError;
pub use owners::{Moves, OwnersWatch};
pub use settings::{FlagSource, FlagsSettings};
pub use snapshot::{FlagSummary, FlagsSnapshot, SourceInfo, describe};

use chrono::{DateTime, Utc};
use engine::Engine;
use file_source::FileSource;
use server_source::ServerSource;
use source::{Memo, Outcome, Source};
use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, PoisonError, RwLock, Weak};
use std::time::Duration;
use unleash_types::client_features::ClientFeatures;

/// The app name reported to Unleash (and seen by `appName` constraints) when
/// none is given.
pub const DEFAULT_APP_NAME: &str = "strangler-proxy";

/// How often the flags file is re-read by default.
pub const DEFAULT_FILE_INTERVAL: Duration = Duration::from_millis(500);

/// The proxy's feature flags. Cheap to clone (an `Arc` inside); the background
/// watcher or poller stops when the last clone is dropped.
#[derive(Clone)]
pub struct Flags {
    inner: Arc<Inner>,
}

struct Inner {
    engine: Engine,
    app_name: String,
    source: Source,
    status: RwLock<Status>,
    memo: tokio::sync::Mutex<Memo>,
    /// [`Status::generation`], readable without the lock (the request path
    /// asks it to learn whether anything changed).
    generation: AtomicU64,
}

#[derive(Default)]
struct Status {
    flags: Vec<FlagSummary>,
    loaded_at: Option<DateTime<Utc>>,
    last_error: Option<String>,
    /// How many documents have been loaded (0 before the first).
    generation: u64,
    /// The document in force, for [`OwnersWatch`] to compare definitions.
    document: Arc<ClientFeatures>,
}

impl Flags {
    /// Embedded default: the client-features JSON file at `path`, re-read every
    /// [`DEFAULT_FILE_INTERVAL`]. Fails if the file cannot be read or is invalid
    /// at start; later bad versions keep the last good state (see [`Flags::last_error`]).
    pub async fn from_file(path: impl Into<PathBuf>) -> Result<Self, FlagsError> {
        Self::from_file_every(path, DEFAULT_FILE_INTERVAL).await
    }

    /// [`Flags::from_file`] with a chosen re-read interval.
    pub async fn from_file_every(
        path: impl Into<PathBuf>,
        interval: Duration,
    ) -> Result<Self, FlagsError> {
        if interval.is_zero() {
            return Err(FlagsError::Config(
                "the file re-read interval must not be zero".into(),
            ));
        }
        let source = Source::File(FileSource::new(path.into()));
        let flags = Self::new(source, DEFAULT_APP_NAME)?;
        flags.inner.refresh(true).await?;
        flags.inner.spawn_refresher(interval);
        Ok(flags)
    }

    /// A real Unleash server: `url` is its API root (e.g. `http://unleash:4242/api`),
    /// `api_token` a client token, polled every `interval`. A bad URL, an empty or
    /// refused token fail at once; an unreachable server does not (every flag is
    /// off, i.e. `legacy`, until a poll succeeds; [`Flags::last_error`] says why).
    pub async fn from_server(
        url: &str,
        api_token: &str,
        app_name: &str,
        interval: Duration,
    ) -> Result<Self, FlagsError> {
        let instance_id = format!("{app_name}-{}", std::process::id());
        let server = ServerSource::new(url, api_token, app_name, &instance_id, interval)?;
        let flags = Self::new(Source::Server(server), app_name)?;
        match flags.inner.refresh(true).await {
            Err(err) if !err.is_retryable() => return Err(err),
            _ => {}
        }
        flags.inner.spawn_refresher(interval);
        Ok(flags)
    }

    fn new(source: Source, app_name: &str) -> Result<Self, FlagsError> {
        let instance_id = format!("{app_name}-{}", std::process::id());
        Ok(Self {
            inner: Arc::new(Inner {
                engine: Engine::new(app_name, &instance_id)?,
                app_name: app_name.to_owned(),
                source,
                status: RwLock::new(Status::default()),
                memo: tokio::sync::Mutex::new(Memo::default()),
                generation: AtomicU64::new(0),
            }),
        })
    }

    /// The flag's answer when no request can change it (switched off, or on
    /// for everyone); `None` when it depends on the request.
    pub fn constant(&self, flag: &str) -> Option<bool> {
        self.inner.engine.constant(flag)
    }

    /// Whether `flag` is on for this request. Hot path: no lock but the client's
    /// own, no allocation once the thread's scratch context has warmed up, never
    /// blocks on I/O, never panics; an unknown flag is `false`.
    pub fn is_enabled(&self, flag: &str, ctx: &FlagContext) -> bool {
        let env = EvalEnv {
            app_name: &self.inner.app_name,
            environment: "",
            current_time: None,
        };
        self.is_enabled_in(flag, ctx, &env)
    }

    /// [`Flags::is_enabled`] with explicit app name, environment and time.
    pub fn is_enabled_in(&self, flag: &str, ctx: &FlagContext, env: &EvalEnv<'_>) -> bool {
        if let Some(answer) = self.inner.engine.constant(flag) {
            return answer;
        }
        context::with_context(ctx, env, |unleash_ctx| {
            self.inner.engine.is_enabled(flag, unleash_ctx)
        })
    }

    /// Every flag (sorted by name) with its strategies, and the source.
    pub fn snapshot(&self) -> FlagsSnapshot {
        let status = self.inner.status();
        FlagsSnapshot {
            source: self.inner.source.info(),
            loaded_at: status.loaded_at,
            last_error: status.last_error.clone(),
            flags: status.flags.clone(),
        }
    }

    /// The last load/reload/poll error, if the current state is not from the
    /// latest attempt.
    pub fn last_error(&self) -> Option<String> {
        self.inner.status().last_error.clone()
    }

    /// How many flags documents have been loaded so far: it changes exactly
    /// when a new document takes effect (an unchanged file, a 304 or a bad
    /// document leaves it), so a caller that remembers it knows cheaply
    /// whether any answer may have changed since.
    pub fn generation(&self) -> u64 {
        self.inner.generation.load(Ordering::Acquire)
    }

    /// The document in force with its generation, read together.
    pub(crate) fn document(&self) -> (u64, Arc<ClientFeatures>) {
        let status = self.inner.status();
        (status.generation, status.document.clone())
    }

    /// Re-reads the file now (even if unchanged), or polls the server now.
    pub async fn reload(&self) -> Result<(), FlagsError> {
        self.inner.refresh(true).await
    }
}

impl Inner {
    fn status(&self) -> std::sync::RwLockReadGuard<'_, Status> {
        self.status.read().unwrap_or_else(PoisonError::into_inner)
    }

    async fn refresh(&self, force: bool) -> Result<(), FlagsError> {
        // One refresh at a time, so a slow fetch cannot overwrite a newer one.
        let mut memo = self.memo.lock().await;
        let result = match self.source.fetch(&mut memo, force).await {
            Ok(Outcome::Unchanged) => return Ok(()),
            Ok(Outcome::Confirmed) => Ok(None),
            Ok(Outcome::Changed(doc)) => {
                let flags = snapshot::summarize(&doc);
                let document = Arc::new((*doc).clone());
                self.engine.load(*doc).map(|()| Some((flags, document)))
            }
            Err(err) => Err(err),
        };
        let mut status = self.status.write().unwrap_or_else(PoisonError::into_inner);
        match result {
            Ok(None) => {
                status.last_error = None;
                Ok(())
            }
            Ok(Some((flags, document))) => {
                tracing::info!(flags = flags.len(), "flags loaded");
                status.flags = flags;
                status.loaded_at = Some(Utc::now());
                status.last_error = None;
                status.document = document;
                status.generation += 1;
                // Published right after the engine answers from the new
                // document, so a caller that sees an answer from it sees
                // the new generation microseconds later at most.
                self.generation.store(status.generation, Ordering::Release);
                Ok(())
            }
            Err(err) => {
                tracing::warn!(error = %err, "flags not updated; keeping the last good state");
                status.last_error = Some(err.to_string());
                Err(err)
            }
        }
    }

    fn spawn_refresher(self: &Arc<Self>, every: Duration) {
        let weak: Weak<Self> = Arc::downgrade(self);
        tokio::spawn(async move {
            let mut ticker = tokio::time::interval(every);
            ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            ticker.tick().await; // the first tick is immediate: start loaded already
            loop {
                ticker.tick().await;
                let Some(inner) = weak.upgrade() else { break };
                // Errors are recorded in the status (and logged) by `refresh`.
                let _ = inner.refresh(false).await;
            }
        });
    }
}
