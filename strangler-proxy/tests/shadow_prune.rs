//! Pruning a million kept results gives their space back and leaves the
//! process's memory where it was: the store stays its size for as long as a
//! route is shadowed.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use diesel::connection::SimpleConnection;
use platform::db::DbError;
use platform::testing::TestBackend;
use std::time::Duration;

mod support;

use shadow_results::*;
use support::shadow_results;

const ROWS: u64 = 1_000_000;

/// This process's resident memory, in KiB.
fn rss_kib() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap();
    let line = status.lines().find(|l| l.starts_with("VmRSS:")).unwrap();
    line.split_whitespace().nth(1).unwrap().parse().unwrap()
}

/// The SQLite file and its write-ahead log, in bytes.
fn sqlite_bytes(url: &str) -> u64 {
    let path = url.trim_start_matches("sqlite://");
    ["", "-wal"]
        .iter()
        .map(|suffix| std::fs::metadata(format!("{path}{suffix}")).map_or(0, |m| m.len()))
        .sum()
}

async fn pruning_a_million_rows_gives_the_space_back(backend: TestBackend) {
    let (db, store) = open(backend);
    // Two days old, so a one-day retention prunes them all.
    let (series, old) = match backend {
        TestBackend::Sqlite => (
            "WITH RECURSIVE seq(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM seq WHERE i < {n})",
            "datetime('now', '-2 days')",
        ),
        TestBackend::Postgres => (
            "WITH seq(i) AS (SELECT generate_series(1, {n}))",
            "now() - interval '2 days'",
        ),
    };
    let fill = format!(
        "{} INSERT INTO shadow_results (route, method, path_template, path, correlation_id, \
         primary_status, candidate_status, primary_latency_ms, candidate_latency_ms, verdict, \
         request, created_at) SELECT 'payments', 'GET', '/api/v1/payments/{{id}}', \
         '/api/v1/payments/' || i, 'corr', 200, 200, 3, 4, 'mismatch', '{{\"method\":\"GET\"}}', {old} FROM seq;",
        series.replace("{n}", &ROWS.to_string())
    );
    store
        .db()
        .write(move |conn| match conn {
            platform::db::AnyConnection::Sqlite(c) => c.batch_execute(&fill).map_err(DbError::from),
            platform::db::AnyConnection::Postgresql(c) => {
                c.batch_execute(&fill).map_err(DbError::from)
            }
        })
        .await
        .unwrap();
    // Every pooled connection has read the table once (its page cache
    // filled, its thread's allocator warm), as in a proxy that has run a
    // while: what is measured is what pruning adds.
    let scans = (0..db.settings.pool_size).map(|_| scan(&store));
    futures_util::future::join_all(scans).await;
    let (rss_before, bytes_before) = (rss_kib(), sqlite_bytes(db.url()));

    let deleted = store
        .prune(1_000, Duration::from_secs(86_400))
        .await
        .unwrap();
    assert_eq!(deleted, ROWS);

    let (rss_after, bytes_after) = (rss_kib(), sqlite_bytes(db.url()));
    println!(
        "RSS {rss_before} → {rss_after} KiB; SQLite files {bytes_before} → {bytes_after} bytes"
    );
    assert!(
        rss_after < rss_before + 4 * 1024,
        "pruning grew the process from {rss_before} to {rss_after} KiB"
    );
    if backend == TestBackend::Sqlite {
        assert!(
            bytes_after * 20 < bytes_before,
            "the files kept their size: {bytes_before} → {bytes_after} bytes"
        );
    }
}

async fn scan(store: &strangler_proxy::shadow::store::ShadowStore) {
    store
        .db()
        .read(|conn| {
            use diesel::prelude::*;
            diesel::select(diesel::dsl::sql::<diesel::sql_types::BigInt>(
                "(SELECT COUNT(*) FROM shadow_results WHERE path LIKE '%x%')",
            ))
            .get_result::<i64>(conn)
            .map_err(DbError::from)
        })
        .await
        .unwrap();
}

platform::both_backends!(pruning_a_million_rows_gives_the_space_back);
