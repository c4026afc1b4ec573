//! [`Money`]: a decimal amount in a [`Currency`], never a float. On the wire
//! `{"amount": "12.50", "currency": "EUR"}`: the amount is a string so no
//! client parses it through a binary float.
//!
//! A `Money` always holds an amount with no more decimals than its currency's
//! minor unit allows (EUR 2, JPY 0, KWD 3) and is kept at exactly that scale,
//! so `"12.5"` reads as `"12.50"`. Deserialisation enforces this, so a handler
//! that receives `Json<..Money..>` already has a valid one. Sign is the
//! caller's rule: see [`Money::ensure_positive`] and [`Money::ensure_non_negative`].

use crate::currency::Currency;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

/// A decimal amount of a currency, at the currency's minor-unit scale.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(try_from = "RawMoney", deny_unknown_fields)]
pub struct Money {
    /// The amount as a decimal string, e.g. `"12.50"`.
    #[serde(with = "rust_decimal::serde::str")]
    #[schema(value_type = String, example = "12.50")]
    amount: Decimal,
    /// ISO 4217 code.
    currency: Currency,
}

/// Why an amount is not acceptable money.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MoneyError {
    /// More decimals than the currency has (e.g. `1.234` EUR).
    #[error("{amount} has more than {exponent} decimal places, the most {currency} allows")]
    TooPrecise {
        /// The amount as given.
        amount: Decimal,
        /// Its currency.
        currency: Currency,
        /// The currency's exponent.
        exponent: u32,
    },
    /// Below zero where the caller needs a non-negative amount.
    #[error("amount {0} must not be negative")]
    Negative(Decimal),
    /// Zero or below where the caller needs a positive amount.
    #[error("amount {0} must be greater than zero")]
    NotPositive(Decimal),
    /// Does not fit in `i64` minor units (the legacy representation).
    #[error("amount {0} is too large")]
    Overflow(Decimal),
    /// Two amounts in different currencies were combined.
    #[error("cannot combine {0} with {1}")]
    CurrencyMismatch(Currency, Currency),
}

/// What the wire carries before validation.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawMoney {
    #[serde(with = "rust_decimal::serde::str")]
    amount: Decimal,
    currency: Currency,
}

impl TryFrom<RawMoney> for Money {
    type Error = MoneyError;
    fn try_from(raw: RawMoney) -> Result<Self, Self::Error> {
        Money::new(raw.amount, raw.currency)
    }
}

impl Money {
    /// Validates the scale (trailing zeros do not count) and rescales the
    /// amount to the currency's exponent. Also refuses amounts whose minor
    /// units do not fit in `i64`, so every `Money` has a legacy twin.
    pub fn new(amount: Decimal, currency: Currency) -> Result<Self, MoneyError> {
        let exponent = currency.exponent();
        let amount = if amount.scale() == exponent && amount.is_sign_positive() {
            // As the services write amounts: already at the currency's scale.
            // (Negative amounts take the long way, which turns -0 into 0.)
            amount
        } else {
            let normalized = amount.normalize();
            if normalized.scale() > exponent {
                return Err(MoneyError::TooPrecise {
                    amount,
                    currency,
                    exponent,
                });
            }
            let mut rescaled = normalized;
            rescaled.rescale(exponent);
            rescaled
        };
        let money = Self { amount, currency };
        money.to_minor_units()?;
        Ok(money)
    }

    /// From integer minor units (cents), the legacy representation.
    pub fn from_minor_units(minor: i64, currency: Currency) -> Self {
        Self {
            amount: Decimal::new(minor, currency.exponent()),
            currency,
        }
    }

    /// Zero of a currency.
    pub fn zero(currency: Currency) -> Self {
        Self::from_minor_units(0, currency)
    }

    /// The amount in integer minor units (cents), for storage and legacy wires.
    pub fn to_minor_units(&self) -> Result<i64, MoneyError> {
        let exponent = self.currency.exponent();
        if self.amount.scale() == exponent {
            // At the currency's scale (as every `Money` is kept), the
            // mantissa is the count of minor units: no multiplication.
            return i64::try_from(self.amount.mantissa())
                .map_err(|_| MoneyError::Overflow(self.amount));
        }
        let scaled = self.amount * Decimal::from(10_i64.pow(exponent));
        i64::try_from(scaled.trunc()).map_err(|_| MoneyError::Overflow(self.amount))
    }

    /// The decimal amount.
    pub fn amount(&self) -> Decimal {
        self.amount
    }

    /// The currency.
    pub fn currency(&self) -> Currency {
        self.currency
    }

    /// `Err` unless the amount is at least zero.
    pub fn ensure_non_negative(self) -> Result<Self, MoneyError> {
        if self.amount.is_sign_negative() && !self.amount.is_zero() {
            Err(MoneyError::Negative(self.amount))
        } else {
            Ok(self)
        }
    }

    /// `Err` unless the amount is above zero.
    pub fn ensure_positive(self) -> Result<Self, MoneyError> {
        if self.amount > Decimal::ZERO {
            Ok(self)
        } else {
            Err(MoneyError::NotPositive(self.amount))
        }
    }

    /// The sum, in the same currency.
    pub fn checked_add(self, other: Money) -> Result<Self, MoneyError> {
        self.same_currency(other)?;
        let sum = self
            .amount
            .checked_add(other.amount)
            .ok_or(MoneyError::Overflow(self.amount))?;
        Money::new(sum, self.currency)
    }

    /// The difference, in the same currency (may be negative).
    pub fn checked_sub(self, other: Money) -> Result<Self, MoneyError> {
        self.same_currency(other)?;
        let diff = self
            .amount
            .checked_sub(other.amount)
            .ok_or(MoneyError::Overflow(self.amount))?;
        Money::new(diff, self.currency)
    }

    fn same_currency(self, other: Money) -> Result<(), MoneyError> {
        if self.currency == other.currency {
            Ok(())
        } else {
            Err(MoneyError::CurrencyMismatch(self.currency, other.currency))
        }
    }
}

impl std::fmt::Display for Money {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} {}", self.amount, self.currency)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;
    use std::str::FromStr;

    fn dec(s: &str) -> Decimal {
        Decimal::from_str(s).unwrap()
    }

    #[test]
    fn serialises_the_amount_as_a_string_at_the_currency_scale() {
        let m: Money =
            serde_json::from_value(json!({"amount": "12.5", "currency": "EUR"})).unwrap();
        assert_eq!(
            serde_json::to_value(m).unwrap(),
            json!({"amount": "12.50", "currency": "EUR"})
        );
        let yen: Money =
            serde_json::from_value(json!({"amount": "1200", "currency": "JPY"})).unwrap();
        assert_eq!(serde_json::to_value(yen).unwrap()["amount"], "1200");
        let kwd = Money::new(dec("1.5"), Currency::Kwd).unwrap();
        assert_eq!(serde_json::to_value(kwd).unwrap()["amount"], "1.500");
    }

    #[test]
    fn refuses_more_decimals_than_the_currency_has() {
        assert!(Money::new(dec("1.234"), Currency::Eur).is_err());
        assert!(Money::new(dec("1.5"), Currency::Jpy).is_err());
        assert!(Money::new(dec("1.2340"), Currency::Kwd).is_ok());
        assert!(
            Money::new(dec("1.200"), Currency::Eur).is_ok(),
            "trailing zeros are fine"
        );
        let err = serde_json::from_value::<Money>(json!({"amount": "0.001", "currency": "USD"}))
            .unwrap_err();
        assert!(err.to_string().contains("decimal places"), "{err}");
    }

    #[test]
    fn refuses_numbers_unknown_currencies_and_extra_fields() {
        assert!(
            serde_json::from_value::<Money>(json!({"amount": "1", "currency": "XYZ"})).is_err()
        );
        assert!(
            serde_json::from_value::<Money>(json!({"amount": "1", "currency": "EUR", "x": 1}))
                .is_err()
        );
        assert!(
            serde_json::from_value::<Money>(json!({"amount": "abc", "currency": "EUR"})).is_err()
        );
    }

    #[test]
    fn minor_units_round_trip() {
        for (minor, cur) in [
            (1250, Currency::Eur),
            (1200, Currency::Jpy),
            (1500, Currency::Kwd),
        ] {
            let m = Money::from_minor_units(minor, cur);
            assert_eq!(m.to_minor_units().unwrap(), minor);
        }
        assert_eq!(
            Money::from_minor_units(1250, Currency::Eur).amount(),
            dec("12.50")
        );
        assert!(Money::new(dec("100000000000000000000"), Currency::Eur).is_err());
    }

    #[test]
    fn sign_rules_are_the_callers_choice() {
        let neg = Money::new(dec("-1"), Currency::Eur).unwrap();
        assert!(neg.ensure_non_negative().is_err());
        assert!(neg.ensure_positive().is_err());
        let zero = Money::zero(Currency::Eur);
        assert!(zero.ensure_non_negative().is_ok());
        assert!(zero.ensure_positive().is_err());
    }

    #[test]
    fn arithmetic_keeps_one_currency() {
        let a = Money::from_minor_units(1000, Currency::Eur);
        let b = Money::from_minor_units(250, Currency::Eur);
        assert_eq!(a.checked_sub(b).unwrap().to_minor_units().unwrap(), 750);
        assert_eq!(a.checked_add(b).unwrap().to_minor_units().unwrap(), 1250);
        let usd = Money::from_minor_units(1, Currency::Usd);
        assert!(matches!(
            a.checked_add(usd),
            Err(MoneyError::CurrencyMismatch(..))
        ));
    }

    use proptest::strategy::Strategy;

    proptest::proptest! {
        #[test]
        fn any_minor_amount_survives_the_wire(minor in proptest::num::i64::ANY, index in 0usize..13) {
            let currency = Currency::ALL[index];
            let m = Money::from_minor_units(minor, currency);
            let json = serde_json::to_value(m).unwrap();
            let back: Money = serde_json::from_value(json.clone()).unwrap();
            proptest::prop_assert_eq!(back, m);
            proptest::prop_assert_eq!(back.to_minor_units().unwrap(), minor);
            let text = json["amount"].as_str().unwrap();
            let decimals = text.split('.').nth(1).map_or(0, str::len);
            proptest::prop_assert_eq!(decimals as u32, currency.exponent());
        }

        #[test]
        fn minor_units_are_the_mantissa_at_the_currency_scale(
            mantissa in proptest::prop_oneof![
                proptest::num::i64::ANY.prop_map(i128::from),
                -(1_i128 << 96) + 1..(1_i128 << 96),
            ],
            index in 0usize..13,
        ) {
            let currency = Currency::ALL[index];
            let exponent = currency.exponent();
            let amount = Decimal::try_from_i128_with_scale(mantissa, exponent).unwrap();
            let by_multiplying = amount
                .checked_mul(Decimal::from(10_i64.pow(exponent)))
                .and_then(|scaled| i64::try_from(scaled.trunc()).ok());
            let money = Money { amount, currency };
            proptest::prop_assert_eq!(money.to_minor_units().ok(), by_multiplying);
        }

        #[test]
        fn parsing_never_panics(amount in "\\PC{0,40}", code in "[A-Z]{0,4}") {
            let _ = serde_json::from_value::<Money>(json!({"amount": amount, "currency": code}));
        }
    }
}
