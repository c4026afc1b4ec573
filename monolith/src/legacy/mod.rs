//! The legacy wire conventions shared by every module's `/api/v1` handlers:
//! local-time strings, money codes and amounts, pagination, free text, the
//! range of the monolith's own ids ([`ids`]). The shapes
//! themselves live with each module's handlers.

pub mod export;
pub mod ids;
pub mod money;
pub mod page;
pub mod time;

pub use money::Currency;
pub use page::{Page, PageParams};
pub use time::LegacyClock;

use crate::error::{AppError, AppResult};

/// Trims a free-text field and checks it is 1..=`max` characters, or a 422
/// naming the field.
pub fn text(field: &str, value: &str, max: usize) -> AppResult<String> {
    let value = value.trim();
    if value.is_empty() {
        return Err(AppError::Invalid(format!("{field} must not be empty")));
    }
    if value.chars().count() > max {
        return Err(AppError::Invalid(format!(
            "{field} must be at most {max} characters"
        )));
    }
    Ok(value.to_owned())
}
