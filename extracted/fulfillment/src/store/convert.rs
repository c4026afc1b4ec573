//! Between stored columns and wire values: UUIDs as text, money as minor
//! units plus a code, timestamps as UTC `NaiveDateTime`.

use chrono::{DateTime, NaiveDateTime, SubsecRound, Utc};
use platform::Problem;
use uuid::Uuid;
use v2_common::{Currency, Money};

/// The current time at the precision both backends keep (microseconds), so
/// what a write returns equals what a later read returns.
pub(crate) fn now() -> NaiveDateTime {
    Utc::now().naive_utc().trunc_subsecs(6)
}

pub(crate) fn utc(t: NaiveDateTime) -> DateTime<Utc> {
    t.and_utc()
}

/// A stored id; a malformed one is our fault (500), never the client's.
pub(crate) fn uuid(raw: &str) -> Result<Uuid, Problem> {
    Uuid::parse_str(raw).map_err(|e| Problem::internal(&format!("stored id `{raw}`: {e}")))
}

pub(crate) fn currency(code: &str) -> Result<Currency, Problem> {
    Currency::parse(code).map_err(|e| Problem::internal(&format!("stored currency: {e}")))
}

pub(crate) fn money(minor: i64, code: &str) -> Result<Money, Problem> {
    Ok(Money::from_minor_units(minor, currency(code)?))
}

/// A stored state name; unknown ones are our fault.
pub(crate) fn state<T: serde::de::DeserializeOwned>(raw: &str) -> Result<T, Problem> {
    serde_json::from_value(serde_json::Value::String(raw.to_owned()))
        .map_err(|e| Problem::internal(&format!("stored state `{raw}`: {e}")))
}

/// A unique-key clash (an explicit legacy id or SKU already taken) is the
/// client's conflict, not our failure.
pub(crate) fn conflict_on_duplicate(what: String) -> impl FnOnce(diesel::result::Error) -> Problem {
    move |e| match e {
        diesel::result::Error::DatabaseError(
            diesel::result::DatabaseErrorKind::UniqueViolation,
            _,
        ) => Problem::conflict(format!("{what} already exists")),
        other => other.into(),
    }
}
