//! Legacy money: integer minor units plus an ISO 4217 code. The monolith never
//! does decimal arithmetic; it only checks codes and that sums fit.

use crate::error::AppError;

/// The currencies the monolith accepts, with their minor-unit exponent.
const CURRENCIES: &[(&str, u8)] = &[
    ("EUR", 2),
    ("USD", 2),
    ("GBP", 2),
    ("CHF", 2),
    ("SEK", 2),
    ("NOK", 2),
    ("DKK", 2),
    ("PLN", 2),
    ("CZK", 2),
    ("JPY", 0),
    ("BHD", 3),
    ("KWD", 3),
    ("OMR", 3),
];

/// A supported ISO 4217 currency code.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Currency(&'static str);

impl Currency {
    /// Accepts a supported code (upper case), or says which are supported.
    pub fn parse(code: &str) -> Result<Self, AppError> {
        CURRENCIES
            .iter()
            .find(|(c, _)| *c == code)
            .map(|(c, _)| Self(c))
            .ok_or_else(|| {
                let known: Vec<&str> = CURRENCIES.iter().map(|(c, _)| *c).collect();
                AppError::Invalid(format!(
                    "cur `{code}` is not a supported ISO 4217 code ({})",
                    known.join(", ")
                ))
            })
    }

    /// The code, e.g. `EUR`.
    pub fn code(self) -> &'static str {
        self.0
    }
}

/// A non-negative amount in minor units, or a 422 naming the field.
pub fn non_negative(field: &str, amount: i64) -> Result<i64, AppError> {
    if amount < 0 {
        return Err(AppError::Invalid(format!(
            "{field} must not be negative, got {amount}"
        )));
    }
    Ok(amount)
}

/// `a * b` for amounts, or a 422 when it does not fit.
pub fn checked_mul(field: &str, a: i64, b: i64) -> Result<i64, AppError> {
    a.checked_mul(b)
        .ok_or_else(|| AppError::Invalid(format!("{field} overflows: {a} × {b} is too large")))
}

/// `a + b` for amounts, or a 422 when it does not fit.
pub fn checked_add(field: &str, a: i64, b: i64) -> Result<i64, AppError> {
    a.checked_add(b)
        .ok_or_else(|| AppError::Invalid(format!("{field} overflows: {a} + {b} is too large")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_and_amounts() {
        assert_eq!(Currency::parse("EUR").unwrap().code(), "EUR");
        assert!(Currency::parse("eur").is_err());
        assert!(
            Currency::parse("XXX")
                .unwrap_err()
                .to_string()
                .contains("XXX")
        );
        assert!(non_negative("amt", -1).is_err());
        assert!(checked_mul("tot", i64::MAX, 2).is_err());
        assert_eq!(checked_add("tot", 2, 3).unwrap(), 5);
    }
}
