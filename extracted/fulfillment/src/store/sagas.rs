//! `sagas`: one row per order saga. Every move is a conditional UPDATE on the
//! step the mover saw (`WHERE id = ? AND step = ?`), run in the transaction of
//! the local step it records, so two drivers of one saga can never both move
//! it, and a step's outcome is never kept without its effect (or the reverse).
//! `next_attempt_at` is the schedule and the lease: a driver claims a due saga
//! by moving it into the future ([`claim`]); NULL once the saga has ended.
//! Every start, move and failed try also adds a row to `saga_history` in the
//! same transaction ([`history`] reads them back).

use super::schema::saga_history as h;
use super::schema::sagas as s;
use chrono::NaiveDateTime;
use diesel::prelude::*;
use platform::Problem;
use platform::db::AnyConnection;

/// A saga as stored.
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = s)]
pub(crate) struct SagaRow {
    pub id: String,
    pub kind: String,
    pub status: String,
    pub step: String,
    pub request: String,
    pub order_id: Option<String>,
    pub payment_id: Option<String>,
    pub payment_legacy_id: Option<i64>,
    pub attempts: i32,
    pub next_attempt_at: Option<NaiveDateTime>,
    pub step_deadline_at: Option<NaiveDateTime>,
    pub last_error: Option<String>,
    pub failure: Option<String>,
    pub traceparent: Option<String>,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
    /// A `place_order`'s billing details as its start read them (JSON);
    /// NULL for other kinds and for sagas started before they were kept.
    pub billing: Option<String>,
}

/// A saga to start, claimed by its starter until `lease_until`.
#[derive(Debug, Insertable)]
#[diesel(table_name = s)]
pub(crate) struct NewSaga<'a> {
    pub id: &'a str,
    pub start_key: &'a str,
    pub kind: &'a str,
    pub status: &'a str,
    pub step: &'a str,
    pub request: &'a str,
    pub order_id: Option<&'a str>,
    pub payment_legacy_id: Option<i64>,
    pub attempts: i32,
    pub next_attempt_at: Option<NaiveDateTime>,
    pub step_deadline_at: Option<NaiveDateTime>,
    pub traceparent: Option<&'a str>,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
    pub billing: Option<&'a str>,
}

/// Where a move takes the saga; the attempts and last error start afresh.
#[derive(Debug, Clone, Default)]
pub(crate) struct Move {
    pub status: &'static str,
    pub step: &'static str,
    pub order_id: Option<String>,
    pub payment_id: Option<String>,
    pub payment_legacy_id: Option<i64>,
    /// NULL ends the saga; otherwise the lease its driver keeps.
    pub next_attempt_at: Option<NaiveDateTime>,
    pub step_deadline_at: Option<NaiveDateTime>,
    pub failure: Option<String>,
}

/// One entry of a saga's history: a move from `step` to `to_step`, or a
/// failed try of `step` (no `to_step`, its `error`).
#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = h)]
pub(crate) struct HistoryRow {
    pub id: String,
    pub saga_id: String,
    pub at: NaiveDateTime,
    pub step: String,
    pub to_step: Option<String>,
    pub status: String,
    pub error: Option<String>,
}

fn record(
    conn: &mut AnyConnection,
    saga_id: &str,
    step: &str,
    to_step: Option<&str>,
    status: &str,
    error: Option<&str>,
    at: NaiveDateTime,
) -> Result<(), Problem> {
    let row = HistoryRow {
        id: uuid::Uuid::now_v7().to_string(),
        saga_id: saga_id.to_owned(),
        at,
        step: step.to_owned(),
        to_step: to_step.map(str::to_owned),
        status: status.to_owned(),
        error: error.map(str::to_owned),
    };
    diesel::insert_into(h::table).values(&row).execute(conn)?;
    Ok(())
}

/// The saga's history, oldest first.
pub(crate) fn history(conn: &mut AnyConnection, saga_id: &str) -> Result<Vec<HistoryRow>, Problem> {
    Ok(h::table
        .filter(h::saga_id.eq(saga_id))
        .order((h::at.asc(), h::id.asc()))
        .select(HistoryRow::as_select())
        .load(conn)?)
}

/// Records a new saga; its history starts with `started` at its first step.
pub(crate) fn insert(conn: &mut AnyConnection, saga: &NewSaga<'_>) -> Result<(), Problem> {
    diesel::insert_into(s::table).values(saga).execute(conn)?;
    record(
        conn,
        saga.id,
        "started",
        Some(saga.step),
        saga.status,
        None,
        saga.created_at,
    )
}

pub(crate) fn get(conn: &mut AnyConnection, id: &str) -> Result<SagaRow, Problem> {
    s::table
        .find(id)
        .select(SagaRow::as_select())
        .first(conn)
        .optional()?
        .ok_or_else(|| Problem::not_found(format!("there is no saga {id}")))
}

pub(crate) fn by_start_key(
    conn: &mut AnyConnection,
    key: &str,
) -> Result<Option<SagaRow>, Problem> {
    Ok(s::table
        .filter(s::start_key.eq(key))
        .select(SagaRow::as_select())
        .first(conn)
        .optional()?)
}

/// Takes a due saga for `until`; false when another driver holds it or it
/// has ended.
pub(crate) fn claim(
    conn: &mut AnyConnection,
    id: &str,
    now: NaiveDateTime,
    until: NaiveDateTime,
) -> Result<bool, Problem> {
    let claimed = diesel::update(
        s::table
            .find(id)
            .filter(s::next_attempt_at.le(now))
            .filter(s::next_attempt_at.is_not_null()),
    )
    .set(s::next_attempt_at.eq(until))
    .execute(conn)?;
    Ok(claimed == 1)
}

/// Moves the saga from `from_step` as `to` says; a conflict when another
/// driver moved it first (then the caller's transaction rolls back).
pub(crate) fn advance(
    conn: &mut AnyConnection,
    id: &str,
    from_step: &str,
    to: &Move,
    now: NaiveDateTime,
) -> Result<(), Problem> {
    let moved = diesel::update(s::table.find(id).filter(s::step.eq(from_step)))
        .set((
            s::status.eq(to.status),
            s::step.eq(to.step),
            s::attempts.eq(0),
            s::next_attempt_at.eq(to.next_attempt_at),
            s::step_deadline_at.eq(to.step_deadline_at),
            s::last_error.eq(None::<String>),
            s::updated_at.eq(now),
        ))
        .execute(conn)?;
    if moved != 1 {
        return Err(lost(id, from_step));
    }
    record(
        conn,
        id,
        from_step,
        Some(to.step),
        to.status,
        to.failure.as_deref(),
        now,
    )?;
    if let Some(order_id) = &to.order_id {
        diesel::update(s::table.find(id))
            .set(s::order_id.eq(order_id))
            .execute(conn)?;
    }
    if let Some(payment_id) = &to.payment_id {
        diesel::update(s::table.find(id))
            .set(s::payment_id.eq(payment_id))
            .execute(conn)?;
    }
    if let Some(legacy_id) = to.payment_legacy_id {
        diesel::update(s::table.find(id))
            .set(s::payment_legacy_id.eq(legacy_id))
            .execute(conn)?;
    }
    if let Some(failure) = &to.failure {
        diesel::update(s::table.find(id))
            .set(s::failure.eq(failure))
            .execute(conn)?;
    }
    Ok(())
}

/// Records a transient failure of `step` and when to try it again.
pub(crate) fn retry_later(
    conn: &mut AnyConnection,
    id: &str,
    step: &str,
    error: &str,
    at: NaiveDateTime,
    now: NaiveDateTime,
) -> Result<(), Problem> {
    let moved = diesel::update(s::table.find(id).filter(s::step.eq(step)))
        .set((
            s::attempts.eq(s::attempts + 1),
            s::next_attempt_at.eq(Some(at)),
            s::last_error.eq(Some(error)),
            s::updated_at.eq(now),
        ))
        .execute(conn)?;
    if moved != 1 {
        return Err(lost(id, step));
    }
    let status: String = s::table.find(id).select(s::status).first(conn)?;
    record(conn, id, step, None, &status, Some(error), now)
}

fn lost(id: &str, step: &str) -> Problem {
    Problem::conflict(format!(
        "saga {id} is no longer at step {step}: another driver moved it"
    ))
}

/// The ids of unfinished sagas due by `now`, the longest waiting first.
pub(crate) fn due(
    conn: &mut AnyConnection,
    now: NaiveDateTime,
    limit: i64,
) -> Result<Vec<String>, Problem> {
    Ok(s::table
        .filter(s::next_attempt_at.le(now))
        .order(s::next_attempt_at.asc())
        .select(s::id)
        .limit(limit)
        .load(conn)?)
}

/// The newest sagas, optionally only those with `status`.
pub(crate) fn list(
    conn: &mut AnyConnection,
    status: Option<&str>,
    limit: i64,
) -> Result<Vec<SagaRow>, Problem> {
    let mut query = s::table
        .select(SagaRow::as_select())
        .order((s::created_at.desc(), s::id.desc()))
        .limit(limit)
        .into_boxed();
    if let Some(status) = status {
        query = query.filter(s::status.eq(status.to_owned()));
    }
    Ok(query.load(conn)?)
}

/// How many sagas are in each status, and how many unfinished ones have been
/// tried at least `stuck_after` times on their current step.
pub(crate) fn counts(
    conn: &mut AnyConnection,
    stuck_after: i32,
) -> Result<(Vec<(String, i64)>, i64), Problem> {
    let by_status = s::table
        .group_by(s::status)
        .select((s::status, diesel::dsl::count_star()))
        .load::<(String, i64)>(conn)?;
    let stuck = s::table
        .filter(s::next_attempt_at.is_not_null())
        .filter(s::attempts.ge(stuck_after))
        .count()
        .get_result(conn)?;
    Ok((by_status, stuck))
}
