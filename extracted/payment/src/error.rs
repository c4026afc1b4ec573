//! The one error type of the service's commands. Everything a client did
//! wrong is a [`Problem`]; [`CommandError::Conflict`] is kept apart because
//! the caller retries it (another writer appended to the same ledger stream
//! first) before giving up with a 409.

use diesel::result::{DatabaseErrorKind, Error as DieselError};
use platform::Problem;
use platform::db::DbError;
use platform::idempotency::IdempotencyError;

/// Why a command did not complete.
#[derive(Debug, thiserror::Error)]
pub enum CommandError {
    /// The answer for the client.
    #[error(transparent)]
    Problem(#[from] Problem),
    /// A concurrent writer won the race for this stream version; retry.
    #[error("payment {0} was changed concurrently")]
    Conflict(String),
}

impl From<DbError> for CommandError {
    fn from(e: DbError) -> Self {
        Self::Problem(e.into())
    }
}

impl From<DieselError> for CommandError {
    fn from(e: DieselError) -> Self {
        match &e {
            // A unique key (legacy id, invoice number) taken by a concurrent
            // writer between our check and our insert.
            DieselError::DatabaseError(DatabaseErrorKind::UniqueViolation, _) => Self::Problem(
                Problem::conflict("a record with the same legacy id or number already exists"),
            ),
            _ => Self::Problem(e.into()),
        }
    }
}

impl From<IdempotencyError> for CommandError {
    fn from(e: IdempotencyError) -> Self {
        Self::Problem(e.into())
    }
}

impl From<serde_json::Error> for CommandError {
    fn from(e: serde_json::Error) -> Self {
        Self::Problem(Problem::internal(&e))
    }
}

impl From<CommandError> for Problem {
    fn from(e: CommandError) -> Self {
        match e {
            CommandError::Problem(p) => p,
            CommandError::Conflict(stream) => Problem::conflict(format!(
                "payment {stream} kept changing while this request ran; read it again and retry"
            )),
        }
    }
}
