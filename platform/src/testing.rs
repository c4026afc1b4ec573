//! Test support (feature `testing`): a fresh database per test on either backend,
//! dropped with its handle, and [`both_backends!`](crate::both_backends) to run
//! one async test body against SQLite and PostgreSQL; and an OTLP trace
//! receiver ([`otlp::OtlpReceiver`]) to check exported spans; headless Chromium
//! ([`chromium`]) to look at a page as a person would.
//!
//! PostgreSQL is reached through `TEST_POSTGRES_URL` (default
//! `postgres://postgres@127.0.0.1:5432/postgres`): each test creates a uniquely
//! named database there and drops it (`WITH (FORCE)`) when done, so tests run in
//! parallel without sharing state.

#![allow(clippy::expect_used)] // a test harness that cannot set up must stop loudly

use crate::settings::DatabaseSettings;
use diesel::Connection;
use diesel::connection::SimpleConnection;
use diesel::pg::PgConnection;
use std::path::PathBuf;

/// Which backend a test runs on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TestBackend {
    /// A SQLite file in a temporary folder.
    Sqlite,
    /// A fresh database on the PostgreSQL server.
    Postgres,
}

pub mod captured_logs;
pub mod chromium;
pub mod otlp;

/// The PostgreSQL server's maintenance database URL used to create test databases.
pub fn postgres_admin_url() -> String {
    std::env::var("TEST_POSTGRES_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".into())
}

/// A database that exists for the lifetime of this value.
pub struct TestDatabase {
    /// Settings that point at it.
    pub settings: DatabaseSettings,
    cleanup: Cleanup,
}

enum Cleanup {
    Dir(PathBuf),
    Postgres { admin_url: String, name: String },
}

impl TestDatabase {
    /// Creates an empty database (no migrations: the app runs them at start).
    pub fn create(backend: TestBackend) -> Self {
        let unique = uuid::Uuid::new_v4().simple().to_string();
        match backend {
            TestBackend::Sqlite => {
                let dir = std::env::temp_dir().join(format!("strangler-test-{unique}"));
                std::fs::create_dir_all(&dir).expect("create temp dir for SQLite");
                let url = format!("sqlite://{}", dir.join("test.db").display());
                Self {
                    settings: DatabaseSettings {
                        url: url.into(),
                        pool_size: 4,
                    },
                    cleanup: Cleanup::Dir(dir),
                }
            }
            TestBackend::Postgres => {
                let admin_url = postgres_admin_url();
                let name = format!("test_{unique}");
                let mut admin = PgConnection::establish(&admin_url).unwrap_or_else(|e| {
                    panic!("cannot reach PostgreSQL at {admin_url} (set TEST_POSTGRES_URL): {e}")
                });
                admin
                    .batch_execute(&format!("CREATE DATABASE \"{name}\""))
                    .expect("create test database");
                let url = crate::pg_server::database_url(&admin_url, &name)
                    .unwrap_or_else(|e| panic!("TEST_POSTGRES_URL: {e}"));
                Self {
                    settings: DatabaseSettings {
                        url: url.into(),
                        pool_size: 4,
                    },
                    cleanup: Cleanup::Postgres { admin_url, name },
                }
            }
        }
    }

    /// A pool on this database that runs no migrations: for tests of
    /// platform pieces that create just the tables they need.
    pub fn unmigrated_db(&self) -> crate::db::Db {
        let none = || diesel_migrations::EmbeddedMigrations::new(&[]);
        crate::db::Db::connect(
            &self.settings,
            crate::db::Migrations {
                postgres: none(),
                sqlite: none(),
            },
        )
        .unwrap_or_else(|e| panic!("cannot open the test database: {e}"))
    }

    /// The URL of this database.
    pub fn url(&self) -> &str {
        &self.settings.url
    }
}

impl Drop for TestDatabase {
    fn drop(&mut self) {
        match &self.cleanup {
            Cleanup::Dir(dir) => {
                let _ = std::fs::remove_dir_all(dir);
            }
            Cleanup::Postgres { admin_url, name } => {
                if let Ok(mut admin) = PgConnection::establish(admin_url) {
                    let _ = admin
                        .batch_execute(&format!("DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)"));
                }
            }
        }
    }
}

/// Generates, for each named `async fn name(backend: TestBackend)` in scope,
/// `on_sqlite::name` and `on_postgres::name` tokio tests, so the same body runs on
/// both backends and the test names show which ran.
#[macro_export]
macro_rules! both_backends {
    ($($name:ident),+ $(,)?) => {
        mod on_sqlite {
            $(
                #[::tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    super::$name($crate::testing::TestBackend::Sqlite).await
                }
            )+
        }
        mod on_postgres {
            $(
                #[::tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    super::$name($crate::testing::TestBackend::Postgres).await
                }
            )+
        }
    };
}
