//! The monolith's one error type. Domain rules and ports speak it; the HTTP layer
//! renders it as problem+json through [`Problem`].

use platform::Problem;
use platform::db::DbError;

/// Why a command or query failed.
#[derive(Debug, thiserror::Error)]
pub enum AppError {
    /// The named thing does not exist (404).
    #[error("{0}")]
    NotFound(String),
    /// Valid request, but the current state forbids it (409).
    #[error("{0}")]
    Conflict(String),
    /// The content breaks a rule (422).
    #[error("{0}")]
    Invalid(String),
    /// The payment gateway refused the charge (402).
    #[error("{0}")]
    PaymentDeclined(String),
    /// The payment service, owner of the record, failed or did not answer (502).
    #[error("{0}")]
    Upstream(String),
    /// A handover holds the write: records changed owner and the old
    /// owner's last changes have not arrived (503, `Retry-After: 1`).
    #[error("{0}")]
    Handover(String),
    /// The database failed.
    #[error(transparent)]
    Db(#[from] DbError),
}

impl AppError {
    /// 404 for `what` (e.g. "order 12").
    pub fn not_found(what: impl std::fmt::Display) -> Self {
        Self::NotFound(format!("{what} does not exist"))
    }
}

impl From<diesel::result::Error> for AppError {
    fn from(e: diesel::result::Error) -> Self {
        Self::Db(DbError::Query(e))
    }
}

impl From<AppError> for Problem {
    fn from(e: AppError) -> Self {
        match e {
            AppError::NotFound(d) => Problem::not_found(d),
            AppError::Conflict(d) => Problem::conflict(d),
            AppError::Invalid(d) => Problem::unprocessable(d),
            AppError::PaymentDeclined(d) => Problem::new(
                actix_web::http::StatusCode::PAYMENT_REQUIRED,
                "payment-declined",
                d,
            ),
            AppError::Upstream(d) => Problem::new(
                actix_web::http::StatusCode::BAD_GATEWAY,
                "payment-service-unavailable",
                d,
            ),
            AppError::Handover(d) => Problem::new(
                actix_web::http::StatusCode::SERVICE_UNAVAILABLE,
                "handover",
                d,
            )
            .retry_after(1),
            AppError::Db(e) => e.into(),
        }
    }
}

/// Result of the monolith's commands and queries.
pub type AppResult<T> = Result<T, AppError>;
