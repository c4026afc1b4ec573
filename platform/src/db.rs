//! Database access for SQLite (bundled, the embedded default) and PostgreSQL,
//! chosen by the URL, behind one connection type so a deployable's queries are
//! written once. Connections are pooled (r2d2) and used on blocking threads;
//! embedded migrations run at start.
//!
//! SQLite allows one writer at a time and a deferred transaction that reads
//! before it writes can fail with `SQLITE_BUSY` instead of waiting. So on
//! SQLite [`Db::write`] serialises write transactions inside the process (WAL
//! keeps readers going) and begins each with `BEGIN IMMEDIATE`, which takes
//! the write lock first and waits for it (`busy_timeout`) when another
//! process or handle holds it: a relay, a CLI or a second handle on the same
//! file then queues instead of failing a client's write. On PostgreSQL they
//! run concurrently and correctness comes from conditional updates and
//! constraints.

use crate::settings::DatabaseSettings;
use diesel::connection::SimpleConnection;
use diesel::pg::PgConnection;
use diesel::r2d2::{self, ManageConnection, R2D2Connection};
use diesel::sqlite::SqliteConnection;
use diesel::{Connection, ConnectionError};
use diesel_migrations::{EmbeddedMigrations, MigrationHarness};
use scheduled_thread_pool::ScheduledThreadPool;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::Duration;

pub use multi::{AnyConnection, MultiBackend};

/// The derive emits undocumented helper items; they stay in this module.
#[allow(missing_docs)]
mod multi {
    use diesel::pg::PgConnection;
    use diesel::sqlite::SqliteConnection;

    /// One connection to either backend; queries are written once against its
    /// `MultiBackend`.
    #[derive(diesel::MultiConnection)]
    pub enum AnyConnection {
        /// A PostgreSQL connection.
        Postgresql(PgConnection),
        /// A SQLite connection.
        Sqlite(SqliteConnection),
    }
}

/// Which database a URL names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Target {
    /// `postgres://…` or `postgresql://…`.
    Postgres(String),
    /// `sqlite://path` (relative to the working directory) or `sqlite::memory:`.
    Sqlite(PathBuf),
}

impl Target {
    /// Reads a database URL, or says what is accepted.
    pub fn parse(url: &str) -> Result<Self, String> {
        if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            return Ok(Self::Postgres(url.to_owned()));
        }
        match url
            .strip_prefix("sqlite://")
            .or_else(|| url.strip_prefix("sqlite:"))
        {
            Some("") | None => Err(format!(
                "`{}` is not a database URL: use sqlite://path/to/file.db or postgres://user@host:port/db",
                redacted(url)
            )),
            Some(path) => Ok(Self::Sqlite(PathBuf::from(path))),
        }
    }

    /// `postgres` or `sqlite`, for logs and tests.
    pub fn backend_name(&self) -> &'static str {
        match self {
            Self::Postgres(_) => "postgres",
            Self::Sqlite(_) => "sqlite",
        }
    }
}

/// `url` fit for logs and error messages: a password in the user part or in a
/// `password=` parameter is replaced by `***`.
pub fn redacted(url: &str) -> String {
    let (head, query) = url
        .split_once('?')
        .map_or((url, None), |(h, q)| (h, Some(q)));
    let mut out = String::with_capacity(url.len());
    match head.split_once("://") {
        Some((scheme, rest)) => {
            let (authority, path) = rest.split_at(rest.find('/').unwrap_or(rest.len()));
            out.push_str(scheme);
            out.push_str("://");
            match authority.rsplit_once('@') {
                Some((userinfo, host)) => {
                    match userinfo.split_once(':') {
                        Some((user, _)) => {
                            out.push_str(user);
                            out.push_str(":***");
                        }
                        None => out.push_str(userinfo),
                    }
                    out.push('@');
                    out.push_str(host);
                }
                None => out.push_str(authority),
            }
            out.push_str(path);
        }
        None => out.push_str(head),
    }
    if let Some(query) = query {
        out.push('?');
        for (i, param) in query.split('&').enumerate() {
            if i > 0 {
                out.push('&');
            }
            match param.split_once('=') {
                Some((key, _)) if key.eq_ignore_ascii_case("password") => {
                    out.push_str(key);
                    out.push_str("=***");
                }
                _ => out.push_str(param),
            }
        }
    }
    out
}

/// Migrations for one database, one set per backend (their SQL differs).
pub struct Migrations {
    /// Run on PostgreSQL.
    pub postgres: EmbeddedMigrations,
    /// Run on SQLite.
    pub sqlite: EmbeddedMigrations,
}

/// What can go wrong reaching the database.
#[derive(Debug, thiserror::Error)]
pub enum DbError {
    /// No connection could be had (server down, pool exhausted past its timeout).
    #[error("database unavailable: {0}")]
    Unavailable(String),
    /// A query failed.
    #[error(transparent)]
    Query(#[from] diesel::result::Error),
    /// Migrations failed at start.
    #[error("migrations failed: {0}")]
    Migration(String),
    /// The blocking task panicked or was cancelled.
    #[error("database task failed: {0}")]
    Task(String),
}

impl From<r2d2::PoolError> for DbError {
    fn from(e: r2d2::PoolError) -> Self {
        Self::Unavailable(e.to_string())
    }
}

/// One read-only connection to a database this process does not own (a data
/// migration reading the monolith's tables from outside): no migrations, no
/// pool, and the database refuses any write made through it (SQLite
/// `query_only`, PostgreSQL read-only transactions). A SQLite file that does
/// not exist is an error, not a new empty database.
pub fn open_read_only(url: &str) -> Result<AnyConnection, DbError> {
    let unavailable = |e: &dyn std::fmt::Display| {
        DbError::Unavailable(format!("cannot open {}: {e}", redacted(url)))
    };
    match Target::parse(url).map_err(DbError::Unavailable)? {
        Target::Postgres(url) => {
            let mut conn = PgConnection::establish(&url).map_err(|e| unavailable(&e))?;
            conn.batch_execute("SET SESSION CHARACTERISTICS AS TRANSACTION READ ONLY")
                .map_err(|e| unavailable(&e))?;
            Ok(AnyConnection::Postgresql(conn))
        }
        Target::Sqlite(path) => {
            if !path.is_file() {
                return Err(unavailable(&"no such SQLite file"));
            }
            let mut conn = SqliteConnection::establish(&path.to_string_lossy())
                .map_err(|e| unavailable(&e))?;
            conn.batch_execute("PRAGMA busy_timeout = 10000; PRAGMA query_only = 1;")
                .map_err(|e| unavailable(&e))?;
            Ok(AnyConnection::Sqlite(conn))
        }
    }
}

/// Opens connections for a [`Target`], with SQLite tuned for a server.
#[derive(Debug, Clone)]
struct Manager(Target);

impl ManageConnection for Manager {
    type Connection = AnyConnection;
    type Error = r2d2::Error;

    fn connect(&self) -> Result<AnyConnection, r2d2::Error> {
        match &self.0 {
            Target::Postgres(url) => PgConnection::establish(url)
                .map(AnyConnection::Postgresql)
                .map_err(r2d2::Error::ConnectionError),
            Target::Sqlite(path) => {
                let mut conn = SqliteConnection::establish(&path.to_string_lossy())
                    .map_err(r2d2::Error::ConnectionError)?;
                conn.batch_execute(
                    // busy_timeout first: switching to WAL takes a lock that
                    // connections opened at the same moment must wait for.
                    "PRAGMA busy_timeout = 10000; PRAGMA journal_mode = WAL; \
                     PRAGMA foreign_keys = ON; PRAGMA synchronous = NORMAL;",
                )
                .map_err(|e| {
                    r2d2::Error::ConnectionError(ConnectionError::BadConnection(e.to_string()))
                })?;
                Ok(AnyConnection::Sqlite(conn))
            }
        }
    }

    fn is_valid(&self, conn: &mut AnyConnection) -> Result<(), r2d2::Error> {
        conn.ping().map_err(r2d2::Error::QueryError)
    }

    fn has_broken(&self, conn: &mut AnyConnection) -> bool {
        conn.is_broken()
    }
}

/// A pooled database handle; cheap to clone.
#[derive(Clone)]
pub struct Db {
    pool: r2d2::Pool<Manager>,
    target: Target,
    /// Held around SQLite write transactions; unused on PostgreSQL.
    write_lock: Arc<Mutex<()>>,
}

impl Db {
    /// Connects (creating a SQLite file and its folder if needed) and runs the
    /// pending migrations.
    pub fn connect(settings: &DatabaseSettings, migrations: Migrations) -> Result<Self, DbError> {
        let target = Target::parse(&settings.url).map_err(DbError::Unavailable)?;
        if let Target::Sqlite(path) = &target
            && let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty())
        {
            std::fs::create_dir_all(dir).map_err(|e| {
                DbError::Unavailable(format!("cannot create {}: {e}", dir.display()))
            })?;
        }
        let pool = r2d2::Pool::builder()
            .max_size(settings.pool_size)
            // Grow on demand: an idle service (or a test) holds one connection,
            // not `pool_size` of the server's limited slots.
            .min_idle(Some(1))
            // One thread opens and reaps connections (r2d2 starts three): a
            // pool grows one connection at a time, and the process keeps two
            // threads fewer, each with its stack and its allocators' arenas.
            .thread_pool(Arc::new(
                ScheduledThreadPool::builder()
                    .num_threads(1)
                    .thread_name_pattern("db-pool")
                    .build(),
            ))
            .connection_timeout(Duration::from_secs(10))
            .build(Manager(target.clone()))?;
        let db = Self {
            pool,
            target,
            write_lock: Arc::default(),
        };
        db.migrate(migrations)?;
        Ok(db)
    }

    fn migrate(&self, migrations: Migrations) -> Result<(), DbError> {
        let mut conn = self.pool.get()?;
        let result = match &mut *conn {
            AnyConnection::Postgresql(c) => c
                .run_pending_migrations(migrations.postgres)
                .map(|v| v.len()),
            AnyConnection::Sqlite(c) => {
                c.run_pending_migrations(migrations.sqlite).map(|v| v.len())
            }
        };
        let applied = result.map_err(|e| DbError::Migration(e.to_string()))?;
        tracing::info!(
            backend = self.target.backend_name(),
            applied,
            "migrations up to date"
        );
        Ok(())
    }

    /// The database this handle talks to.
    pub fn target(&self) -> &Target {
        &self.target
    }

    /// The most connections it holds at once (`pool_size`).
    pub fn pool_size(&self) -> u32 {
        self.pool.max_size()
    }

    /// Runs `f` on a pooled connection on a blocking thread, outside any
    /// transaction (reads).
    pub async fn read<T, E, F>(&self, f: F) -> Result<T, E>
    where
        T: Send + 'static,
        E: From<DbError> + Send + 'static,
        F: FnOnce(&mut AnyConnection) -> Result<T, E> + Send + 'static,
    {
        let pool = self.pool.clone();
        run_blocking(move || {
            let mut conn = pool.get().map_err(DbError::from)?;
            f(&mut conn)
        })
        .await
    }

    /// Runs `f` in one transaction: committed when it returns `Ok`, rolled back
    /// otherwise, so a failed command leaves no partial write.
    pub async fn write<T, E, F>(&self, f: F) -> Result<T, E>
    where
        T: Send + 'static,
        E: From<DbError> + From<diesel::result::Error> + Send + 'static,
        F: FnOnce(&mut AnyConnection) -> Result<T, E> + Send + 'static,
    {
        let pool = self.pool.clone();
        let lock = matches!(self.target, Target::Sqlite(_)).then(|| self.write_lock.clone());
        run_blocking(move || {
            let mut conn = pool.get().map_err(DbError::from)?;
            // A poisoned lock only means another writer panicked; its
            // transaction was rolled back, so the data is consistent.
            let _guard = lock
                .as_ref()
                .map(|l| l.lock().unwrap_or_else(|p| p.into_inner()));
            write_transaction(&mut conn, f)
        })
        .await
    }

    /// Like [`Db::write`], but when `dry_run` is true the transaction is rolled
    /// back even when `f` returns `Ok`: the caller gets `f`'s value while
    /// nothing it wrote is kept (see [`crate::dry_run`]). With `dry_run`
    /// false this is exactly [`Db::write`].
    pub async fn write_or_rollback<T, E, F>(&self, dry_run: bool, f: F) -> Result<T, E>
    where
        T: Send + 'static,
        E: From<DbError> + From<diesel::result::Error> + Send + 'static,
        F: FnOnce(&mut AnyConnection) -> Result<T, E> + Send + 'static,
    {
        if !dry_run {
            return self.write(f).await;
        }
        let outcome = self
            .write::<std::convert::Infallible, DryRunOutcome<T, E>, _>(move |conn| match f(conn) {
                // Returning Err makes `write` roll back; the value rides along.
                Ok(value) => Err(DryRunOutcome::RolledBack(value)),
                Err(e) => Err(DryRunOutcome::Failed(e)),
            })
            .await;
        match outcome {
            Ok(never) => match never {},
            Err(DryRunOutcome::RolledBack(value)) => Ok(value),
            Err(DryRunOutcome::Failed(e)) => Err(e),
        }
    }

    /// Gives the space of deleted rows back to the file system (after a
    /// prune): on SQLite the free pages are cut off the file and the
    /// write-ahead log is truncated, so the files shrink as the data does.
    /// The first call converts the file to incremental vacuuming (a full
    /// `VACUUM`, once: the mode is kept in the file). On PostgreSQL autovacuum makes deleted rows'
    /// space reusable; nothing to do here.
    pub async fn reclaim_space(&self) -> Result<(), DbError> {
        if !matches!(self.target, Target::Sqlite(_)) {
            return Ok(());
        }
        let lock = self.write_lock.clone();
        let pool = self.pool.clone();
        run_blocking(move || {
            let mut conn = pool.get()?;
            let _guard = lock.lock().unwrap_or_else(|p| p.into_inner());
            let AnyConnection::Sqlite(c) = &mut *conn else {
                return Ok(());
            };
            use diesel::RunQueryDsl;
            #[derive(diesel::QueryableByName)]
            struct Mode {
                #[diesel(sql_type = diesel::sql_types::Integer)]
                auto_vacuum: i32,
            }
            let mode = diesel::sql_query("PRAGMA auto_vacuum").get_result::<Mode>(c)?;
            const INCREMENTAL: i32 = 2;
            if mode.auto_vacuum != INCREMENTAL {
                c.batch_execute("PRAGMA auto_vacuum = INCREMENTAL; VACUUM;")?;
            }
            c.batch_execute("PRAGMA incremental_vacuum; PRAGMA wal_checkpoint(TRUNCATE);")?;
            Ok(())
        })
        .await
    }

    /// True when a connection can be had and answers a trivial query.
    pub async fn ping(&self) -> bool {
        self.read(|conn| conn.ping().map_err(DbError::from))
            .await
            .is_ok()
    }
}

/// Diesel's transaction loop (commit on `Ok`, roll back on `Err`), begun
/// with `BEGIN IMMEDIATE` on SQLite (see the module doc). Diesel offers that
/// only on a bare `SqliteConnection`, whose callback could not take the
/// `AnyConnection` every query is written for; the multi-connection's
/// transaction manager keeps its state in the inner connection's, so it
/// commits and rolls back what the inner manager began.
fn write_transaction<T, E, F>(conn: &mut AnyConnection, f: F) -> Result<T, E>
where
    E: From<diesel::result::Error>,
    F: FnOnce(&mut AnyConnection) -> Result<T, E>,
{
    use diesel::connection::{AnsiTransactionManager, TransactionManager};
    type Manager = <AnyConnection as Connection>::TransactionManager;
    match conn {
        AnyConnection::Sqlite(c) => {
            AnsiTransactionManager::begin_transaction_sql(c, "BEGIN IMMEDIATE")?
        }
        AnyConnection::Postgresql(_) => Manager::begin_transaction(conn)?,
    }
    match f(conn) {
        Ok(value) => {
            Manager::commit_transaction(conn)?;
            Ok(value)
        }
        Err(error) => match Manager::rollback_transaction(conn) {
            // A broken manager says less than the error that broke it.
            Ok(()) | Err(diesel::result::Error::BrokenTransactionManager) => Err(error),
            Err(rollback) => Err(rollback.into()),
        },
    }
}

/// How a dry-run transaction ended: rolled back on purpose with the value, or
/// failed on its own.
enum DryRunOutcome<T, E> {
    RolledBack(T),
    Failed(E),
}

impl<T, E: From<DbError>> From<DbError> for DryRunOutcome<T, E> {
    fn from(e: DbError) -> Self {
        Self::Failed(e.into())
    }
}

impl<T, E: From<diesel::result::Error>> From<diesel::result::Error> for DryRunOutcome<T, E> {
    fn from(e: diesel::result::Error) -> Self {
        Self::Failed(e.into())
    }
}

async fn run_blocking<T, E, F>(f: F) -> Result<T, E>
where
    T: Send + 'static,
    E: From<DbError> + Send + 'static,
    F: FnOnce() -> Result<T, E> + Send + 'static,
{
    // The caller's span goes along: log lines and outbox events recorded on
    // the blocking thread stay in the request's trace.
    let span = tracing::Span::current();
    match tokio::task::spawn_blocking(move || span.in_scope(f)).await {
        Ok(result) => result,
        Err(join) => Err(DbError::Task(join.to_string()).into()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_pick_the_backend_or_explain() {
        assert_eq!(
            Target::parse("sqlite://data/m.db").unwrap(),
            Target::Sqlite("data/m.db".into())
        );
        assert_eq!(
            Target::parse("sqlite::memory:").unwrap(),
            Target::Sqlite(":memory:".into())
        );
        assert!(matches!(
            Target::parse("postgres://u@127.0.0.1/db").unwrap(),
            Target::Postgres(_)
        ));
        let err = Target::parse("mysql://x").unwrap_err();
        assert!(err.contains("sqlite://"), "{err}");
        assert!(Target::parse("sqlite://").is_err());
        let err = Target::parse("mysql://app:hunter2@db/x").unwrap_err();
        assert!(!err.contains("hunter2"), "{err}");
    }

    #[test]
    fn passwords_are_redacted_from_urls() {
        for (url, shown) in [
            (
                "postgres://app:hunter2@db:5432/shop?sslmode=disable",
                "postgres://app:***@db:5432/shop?sslmode=disable",
            ),
            (
                "postgres://app@db/shop?password=hunter2&sslmode=require",
                "postgres://app@db/shop?password=***&sslmode=require",
            ),
            (
                "postgres://app:p%40ss@db/shop",
                "postgres://app:***@db/shop",
            ),
            ("postgres://app@db/shop", "postgres://app@db/shop"),
            ("sqlite://data/m.db", "sqlite://data/m.db"),
        ] {
            assert_eq!(redacted(url), shown);
        }
    }

    /// Diesel knows a migration by the version before the first `_` of its
    /// folder name: two folders with one version in a set run only one of
    /// them, silently (parallel branches each adding "today's" migration).
    #[test]
    fn every_migration_version_is_used_once_per_set() {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../migrations");
        let dirs = |p: &std::path::Path| {
            let mut v: Vec<PathBuf> = std::fs::read_dir(p)
                .unwrap_or_else(|e| panic!("{}: {e}", p.display()))
                .map(|e| e.unwrap().path())
                .filter(|p| p.is_dir())
                .collect();
            v.sort();
            v
        };
        let mut sets = 0;
        for deployable in dirs(&root) {
            for set in dirs(&deployable) {
                sets += 1;
                let mut seen = std::collections::HashMap::new();
                for migration in dirs(&set) {
                    let name = migration
                        .file_name()
                        .unwrap()
                        .to_string_lossy()
                        .into_owned();
                    let version = name.split('_').next().unwrap().to_owned();
                    if let Some(other) = seen.insert(version.clone(), name.clone()) {
                        panic!(
                            "{}: {other} and {name} share version {version}",
                            set.display()
                        );
                    }
                }
            }
        }
        assert!(
            sets >= 8,
            "found {sets} migration sets under {}",
            root.display()
        );
    }
}

#[cfg(all(test, feature = "testing"))]
#[path = "db_tests.rs"]
mod db_tests;
