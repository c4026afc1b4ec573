//! Keeping and reading verify runs (`verify_runs`): the history of one data
//! context, and the last run of each, which the promotion gate judges.

use super::schema::verify_runs as v;
use super::verify_run::{StoredVerifyRun, VerifyDifference, VerifyRun};
use super::{ShadowStore, StoreError};
use chrono::{NaiveDateTime, Utc};
use diesel::prelude::*;
use platform::db::AnyConnection;

#[derive(Queryable, Selectable)]
#[diesel(table_name = v)]
struct Row {
    id: i64,
    context: String,
    started_at: NaiveDateTime,
    finished_at: NaiveDateTime,
    legacy_records: i64,
    new_records: i64,
    matching_records: i64,
    missing_in_new: i64,
    missing_in_legacy: i64,
    differing_records: i64,
    differences: String,
    truncated: bool,
    passed: bool,
    created_at: NaiveDateTime,
}

/// Counts were checked below 2^63 before they were written.
fn signed(n: u64) -> i64 {
    i64::try_from(n).unwrap_or(i64::MAX)
}

fn unsigned(n: i64) -> u64 {
    u64::try_from(n).unwrap_or(0)
}

impl Row {
    fn into_run(self) -> Result<StoredVerifyRun, StoreError> {
        let differences: Vec<VerifyDifference> =
            serde_json::from_str(&self.differences).map_err(|e| StoreError::Corrupt {
                id: self.id,
                reason: format!("verify run differences: {e}"),
            })?;
        Ok(StoredVerifyRun {
            id: self.id,
            run: VerifyRun {
                context: self.context,
                started_at: self.started_at.and_utc(),
                finished_at: self.finished_at.and_utc(),
                legacy_records: unsigned(self.legacy_records),
                new_records: unsigned(self.new_records),
                matching_records: unsigned(self.matching_records),
                missing_in_new: unsigned(self.missing_in_new),
                missing_in_legacy: unsigned(self.missing_in_legacy),
                differing_records: unsigned(self.differing_records),
                differences,
                truncated: self.truncated,
            },
            passed: self.passed,
            recorded_at: self.created_at.and_utc(),
        })
    }
}

/// Newest first by when the run finished (a run posted late does not hide a
/// later one), then by id.
fn history(
    conn: &mut AnyConnection,
    context: &str,
    limit: i64,
) -> Result<Vec<StoredVerifyRun>, StoreError> {
    v::table
        .filter(v::context.eq(context))
        .order((v::finished_at.desc(), v::id.desc()))
        .limit(limit)
        .select(Row::as_select())
        .load::<Row>(conn)?
        .into_iter()
        .map(Row::into_run)
        .collect()
}

impl ShadowStore {
    /// Validates and keeps `run`; returns it as stored.
    pub async fn record_verify_run(&self, run: VerifyRun) -> Result<StoredVerifyRun, StoreError> {
        let now = Utc::now();
        run.validate(now).map_err(StoreError::Invalid)?;
        let differences = serde_json::to_string(&run.differences)
            .map_err(|e| StoreError::Invalid(format!("differences: {e}")))?;
        let passed = run.passed();
        let id = self
            .db()
            .write({
                let run = run.clone();
                move |conn| {
                    diesel::insert_into(v::table)
                        .values((
                            v::context.eq(&run.context),
                            v::started_at.eq(run.started_at.naive_utc()),
                            v::finished_at.eq(run.finished_at.naive_utc()),
                            v::legacy_records.eq(signed(run.legacy_records)),
                            v::new_records.eq(signed(run.new_records)),
                            v::matching_records.eq(signed(run.matching_records)),
                            v::missing_in_new.eq(signed(run.missing_in_new)),
                            v::missing_in_legacy.eq(signed(run.missing_in_legacy)),
                            v::differing_records.eq(signed(run.differing_records)),
                            v::differences.eq(&differences),
                            v::truncated.eq(run.truncated),
                            v::passed.eq(passed),
                            v::created_at.eq(now.naive_utc()),
                        ))
                        .returning(v::id)
                        .get_result::<i64>(conn)
                        .map_err(StoreError::from)
                }
            })
            .await?;
        Ok(StoredVerifyRun {
            id,
            run,
            passed,
            recorded_at: now,
        })
    }

    /// The last `limit` runs of `context`, newest first.
    pub async fn verify_runs(
        &self,
        context: &str,
        limit: i64,
    ) -> Result<Vec<StoredVerifyRun>, StoreError> {
        let context = context.to_owned();
        self.db()
            .read(move |conn| history(conn, &context, limit))
            .await
    }

    /// The last run of `context`, if it was ever verified.
    pub async fn last_verify_run(
        &self,
        context: &str,
    ) -> Result<Option<StoredVerifyRun>, StoreError> {
        Ok(self.verify_runs(context, 1).await?.into_iter().next())
    }

    /// The last run of every context that has one, by context name.
    pub async fn last_verify_runs(&self) -> Result<Vec<StoredVerifyRun>, StoreError> {
        self.db()
            .read(move |conn| {
                // A handful of contexts: one small query each keeps the SQL
                // the same on both backends.
                let contexts: Vec<String> = v::table
                    .select(v::context)
                    .distinct()
                    .order(v::context.asc())
                    .load(conn)?;
                let mut out = Vec::with_capacity(contexts.len());
                for context in contexts {
                    out.extend(history(conn, &context, 1)?);
                }
                Ok(out)
            })
            .await
    }
}
