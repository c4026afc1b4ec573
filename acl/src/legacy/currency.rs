//! `cur`: the ISO 4217 code beside every legacy amount. The legacy side is
//! read as a well-formed code (three upper-case letters); whether the v2 model
//! supports it is the money translator's question, answered with an error
//! naming the field, never a default.

use serde::{Deserialize, Serialize};
use std::fmt;

/// A well-formed ISO 4217 code as the legacy wire carries it.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct CurrencyCode(String);

/// Why a string is not a currency code.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("`{0}` is not an ISO 4217 code (three upper-case letters)")]
pub struct BadCurrencyCode(pub String);

impl CurrencyCode {
    /// Accepts three ASCII upper-case letters.
    pub fn parse(raw: &str) -> Result<Self, BadCurrencyCode> {
        if raw.len() == 3 && raw.bytes().all(|b| b.is_ascii_uppercase()) {
            Ok(Self(raw.to_owned()))
        } else {
            Err(BadCurrencyCode(crate::error::clip(raw)))
        }
    }

    /// A code from a source that only holds well-formed codes (v2's
    /// `Currency`), taken without a second check.
    pub(crate) fn from_trusted(code: &str) -> Self {
        Self(code.to_owned())
    }

    /// The code.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for CurrencyCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl TryFrom<String> for CurrencyCode {
    type Error = BadCurrencyCode;
    fn try_from(raw: String) -> Result<Self, Self::Error> {
        Self::parse(&raw)
    }
}

impl From<CurrencyCode> for String {
    fn from(code: CurrencyCode) -> String {
        code.0
    }
}
