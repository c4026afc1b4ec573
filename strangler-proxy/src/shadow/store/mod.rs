//! Storage and reports of shadow comparison results (diesel; SQLite by
//! default, PostgreSQL by URL; migrations in `migrations/proxy/{sqlite,postgres}`).
//!
//! The proxy's own database. Owns the counters of every comparison
//! (`shadow_counts`, `shadow_field_counts`), the results kept whole
//! (`shadow_results`, `shadow_differences`), the routes' counting epochs
//! (`route_epochs`), the audit trail of route decisions
//! (`route_decisions`) and the verify runs posted by `strangler verify`
//! (`verify_runs`, which the promotion gate judges). It does not compare
//! responses (that is `shadow::compare`), serve HTTP or print (the admin API
//! and the CLI call these functions).
//!
//! - [`Batch`] counts every result (skips and drops too, as counted
//!   verdicts) and keeps whole rows only for the results chosen;
//!   [`ShadowStore::write_batch`] writes it in one transaction, and
//!   [`ShadowStore::record`] is a batch of one result kept whole.
//! - [`ShadowStore::prune`] and [`spawn_pruner`] keep the tables bounded by
//!   count and by age, merge old counter rows, and give the space back.
//! - [`ShadowStore::report`] summarises a window per route and per field
//!   pattern ([`Report`] defines the rates);
//!   [`ShadowStore::gate_stats`] gives the promotion gate its counts;
//!   [`ShadowStore::example`] returns one result for a side-by-side view.
//! - [`ShadowStore::start_epoch`] starts a route's counting afresh; reports
//!   and gate counts look only at the current epoch.
//! - [`ShadowStore::record_verify_run`] keeps a [`VerifyRun`];
//!   [`ShadowStore::last_verify_runs`] and [`ShadowStore::verify_runs`] read
//!   the last run per context and a context's history.
//! - [`Window`] parses the `since` an operator types (`30s`, `15m`, `1h`, `7d`);
//!   [`Report::to_table`] prints a report for the CLI.
//! - `From` conversions turn `shadow::compare`'s verdict, differences and
//!   redacted request into [`Verdict`], [`NewDifference`] and [`RequestExample`].

mod aggregate;
mod batch;
mod classes;
mod convert;
mod decisions;
mod epochs;
mod merge;
mod model;
mod read;
mod report;
mod retention;
mod schema;
mod table;
mod verify_queries;
mod verify_run;
mod window;
mod write;

pub use batch::Batch;
pub use classes::{ResultClass, ResultClasses};
pub use decisions::{Decision, StoredDecision};
pub use epochs::{Epoch, NewEpoch};
pub use model::{DiffKind, NewDifference, NewResult, RequestExample, Verdict};
pub use read::{Side, StoredDifference, StoredResult};
pub use report::{FieldReport, GateStats, MismatchGroup, Report, RouteReport, VerdictCounts};
pub use retention::spawn_pruner;
pub use verify_run::{MAX_VERIFY_DIFFERENCES, StoredVerifyRun, VerifyDifference, VerifyRun};
pub use window::{MAX_WINDOW, Window, WindowError};

use platform::db::{Db, DbError, Migrations};
use platform::settings::DatabaseSettings;

/// The proxy's shadow database migrations, one set per backend.
pub fn migrations() -> Migrations {
    use diesel_migrations::{EmbeddedMigrations, embed_migrations};
    const POSTGRES: EmbeddedMigrations = embed_migrations!("../migrations/proxy/postgres");
    const SQLITE: EmbeddedMigrations = embed_migrations!("../migrations/proxy/sqlite");
    Migrations {
        postgres: POSTGRES,
        sqlite: SQLITE,
    }
}

/// What can go wrong storing or reading shadow results.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The database could not be reached or migrated.
    #[error(transparent)]
    Db(#[from] DbError),
    /// A query failed.
    #[error("shadow store query failed: {0}")]
    Query(#[from] diesel::result::Error),
    /// The result to record breaks a rule of [`NewResult::validate`]; nothing
    /// was written.
    #[error("invalid shadow result: {0}")]
    Invalid(String),
    /// A stored row cannot be read back (edited by hand, or a newer version).
    #[error("unreadable shadow result {id}: {reason}")]
    Corrupt {
        /// The result id.
        id: i64,
        /// What could not be read.
        reason: String,
    },
}

impl From<StoreError> for platform::problem::Problem {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::Invalid(detail) => Self::unprocessable(detail),
            StoreError::Db(DbError::Unavailable(detail)) => Self::unavailable(detail),
            other => Self::internal(&other),
        }
    }
}

/// Handle on the shadow results database; cheap to clone.
#[derive(Clone)]
pub struct ShadowStore {
    db: Db,
}

impl ShadowStore {
    /// Connects to `settings.url` (default `sqlite://data/strangler-shadow.db`;
    /// a `postgres://` URL selects PostgreSQL) and runs pending migrations.
    pub fn connect(settings: &DatabaseSettings) -> Result<Self, StoreError> {
        Ok(Self {
            db: Db::connect(settings, migrations())?,
        })
    }

    /// The underlying database handle (health checks).
    pub fn db(&self) -> &Db {
        &self.db
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use platform::problem::Problem;

    #[test]
    fn client_mistakes_are_422_and_an_unreachable_database_503() {
        let invalid = Problem::from(StoreError::Invalid("route must not be empty".into()));
        assert_eq!(invalid.status().as_u16(), 422);
        assert!(invalid.detail().contains("route must not be empty"));
        let down = Problem::from(StoreError::Db(DbError::Unavailable("refused".into())));
        assert_eq!(down.status().as_u16(), 503);
    }
}
