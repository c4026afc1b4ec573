//! Customer rules, no I/O: what a valid name, e-mail and billing address are.

use crate::error::{AppError, AppResult};
use crate::legacy::text;

/// Billing details as checked input.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Billing {
    pub name: String,
    pub line1: String,
    pub city: String,
    pub zip: String,
    pub country: String,
}

/// A customer to create.
#[derive(Debug, Clone)]
pub struct NewCustomer {
    pub name: String,
    pub email: String,
    pub billing: Billing,
}

/// A stored customer.
#[derive(Debug, Clone)]
pub struct Customer {
    pub id: i64,
    pub name: String,
    pub email: String,
    pub billing: Billing,
    pub created_at: chrono::NaiveDateTime,
}

/// A plausible e-mail address: one `@` with text on both sides and a dot in the
/// domain. Real validation is sending mail; this catches typos.
pub fn email(value: &str) -> AppResult<String> {
    let value = text("eml", value, 254)?;
    let ok = match value.split_once('@') {
        Some((local, domain)) => {
            !local.is_empty()
                && domain.contains('.')
                && !domain.starts_with('.')
                && !domain.ends_with('.')
        }
        None => false,
    } && !value.contains(char::is_whitespace)
        && value.matches('@').count() == 1;
    if ok {
        Ok(value)
    } else {
        Err(AppError::Invalid(format!(
            "eml `{value}` is not an e-mail address"
        )))
    }
}

impl Billing {
    /// Checks every field; `prefix` names the enclosing object in messages.
    pub fn parse(name: &str, line1: &str, city: &str, zip: &str, country: &str) -> AppResult<Self> {
        let country = country.trim();
        if country.len() != 2 || !country.chars().all(|c| c.is_ascii_uppercase()) {
            return Err(AppError::Invalid(format!(
                "bill.ctry must be an ISO 3166 alpha-2 code such as DE, got `{country}`"
            )));
        }
        Ok(Self {
            name: text("bill.nm", name, 200)?,
            line1: text("bill.ln1", line1, 200)?,
            city: text("bill.city", city, 100)?,
            zip: text("bill.zip", zip, 20)?,
            country: country.to_owned(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn emails() {
        assert!(email("ada@example.com").is_ok());
        for bad in [
            "",
            "ada",
            "ada@",
            "@example.com",
            "ada@example",
            "a b@example.com",
            "a@b@c.de",
        ] {
            assert!(email(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn billing_country_and_lengths() {
        assert!(Billing::parse("Ada", "1 Lane", "London", "N1", "GB").is_ok());
        assert!(Billing::parse("Ada", "1 Lane", "London", "N1", "gb").is_err());
        assert!(Billing::parse("", "1 Lane", "London", "N1", "GB").is_err());
        assert!(Billing::parse("Ada", "1 Lane", "London", &"9".repeat(21), "GB").is_err());
    }
}
