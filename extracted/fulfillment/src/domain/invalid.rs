//! A request whose content breaks a rule: 422 naming the field.

use platform::Problem;

/// One broken rule: which field, and what would be right.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{field}: {detail}")]
pub(crate) struct Invalid {
    /// The offending field, dotted (`lines[2].quantity`).
    pub field: String,
    /// What is wrong and what is accepted.
    pub detail: String,
}

impl Invalid {
    pub(crate) fn new(field: impl Into<String>, detail: impl Into<String>) -> Self {
        Self {
            field: field.into(),
            detail: detail.into(),
        }
    }
}

impl From<Invalid> for Problem {
    fn from(e: Invalid) -> Self {
        Problem::unprocessable(format!("{}: {}", e.field, e.detail)).with("field", e.field)
    }
}
