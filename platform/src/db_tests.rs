//! Write transactions on a real database: on SQLite, writers on two handles
//! of one file (a service and its relay, a CLI beside a service) queue for
//! the write lock instead of failing.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use super::*;
use crate::testing::{TestBackend, TestDatabase};
use diesel::RunQueryDsl;
use diesel::sql_types::BigInt;

#[derive(diesel::QueryableByName)]
struct Count {
    #[diesel(sql_type = BigInt)]
    n: i64,
}

/// Each write reads the counter, then writes it: the pattern of every
/// command (look the record up, then change it) that a deferred SQLite
/// transaction turns into `SQLITE_BUSY` when another handle wrote between
/// the read and the write.
async fn increment(db: &Db) -> Result<(), DbError> {
    db.write(|c| {
        let Count { n } = diesel::sql_query("SELECT n FROM counter").get_result::<Count>(c)?;
        std::thread::yield_now();
        diesel::sql_query(format!("UPDATE counter SET n = {}", n + 1)).execute(c)?;
        Ok(())
    })
    .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn writers_on_two_handles_of_one_sqlite_file_wait_for_each_other() {
    let test_db = TestDatabase::create(TestBackend::Sqlite);
    let (first, second) = (test_db.unmigrated_db(), test_db.unmigrated_db());
    first
        .write(|c| {
            c.batch_execute(
                "CREATE TABLE counter (n BIGINT NOT NULL); INSERT INTO counter VALUES (0);",
            )
            .map_err(DbError::from)
        })
        .await
        .unwrap();
    const EACH: i64 = 200;
    let writer = |db: Db| {
        tokio::spawn(async move {
            for _ in 0..EACH {
                increment(&db)
                    .await
                    .expect("a write on a busy file waits, not fails");
            }
        })
    };
    let (a, b) = (writer(first.clone()), writer(second));
    a.await.unwrap();
    b.await.unwrap();
    let total = first
        .read(|c| {
            diesel::sql_query("SELECT n FROM counter")
                .get_result::<Count>(c)
                .map_err(DbError::from)
        })
        .await
        .unwrap();
    assert_eq!(
        total.n,
        2 * EACH,
        "every increment kept: none lost to a stale read"
    );
}
