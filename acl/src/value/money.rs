//! Money across the cut: legacy integer minor units + `cur` ↔ v2
//! [`Money`] (decimal string + currency).
//!
//! Rules:
//! - The exponent is the currency's ISO 4217 minor unit (JPY 0, BHD/KWD/OMR 3,
//!   the others 2), taken from [`Currency::exponent`].
//! - legacy → v2 is exact: `1250` EUR is `12.50`.
//! - v2 → legacy **never rounds**: an amount with a non-zero digit beyond the
//!   exponent (`12.505` EUR) is a [`TranslateError::Precision`]; trailing zeros
//!   (`12.500`) are not extra precision.
//! - v2 → legacy: more minor units than `i64` holds is a
//!   [`TranslateError::Overflow`] (legacy → v2 cannot overflow: every `i64`
//!   of minor units is a valid decimal).
//! - Legacy amounts are never negative (the monolith refuses them with 422),
//!   so a negative amount on either side is a [`TranslateError::NoCounterpart`].
//! - A legacy currency the v2 model does not support is a
//!   [`TranslateError::NoCounterpart`] naming `cur`.

use crate::error::{FieldPath, Side, TranslateError};
use crate::legacy::CurrencyCode;
use rust_decimal::Decimal;
use v2_common::{Currency, Money};

/// The v2 currency of a legacy `cur` at `field`.
pub fn currency_to_v2(field: &FieldPath, code: &CurrencyCode) -> Result<Currency, TranslateError> {
    Currency::parse(code.as_str()).map_err(|_| {
        TranslateError::no_counterpart(
            field.clone(),
            Side::Legacy,
            code,
            "the v2 model does not support this currency",
        )
    })
}

/// The legacy `cur` of a v2 currency (every v2 code is a well-formed legacy
/// code; a test guards it).
pub fn currency_to_legacy(currency: Currency) -> CurrencyCode {
    CurrencyCode::from_trusted(currency.code())
}

/// Legacy minor units (at `field`) of currency `cur` (at `cur_field`) → v2 money.
pub fn to_v2(
    field: &FieldPath,
    minor: i64,
    cur_field: &FieldPath,
    cur: &CurrencyCode,
) -> Result<Money, TranslateError> {
    let currency = currency_to_v2(cur_field, cur)?;
    minor_to_money(field, minor, currency)
}

/// Minor units of a known v2 currency → v2 money (legacy bodies that carry an
/// amount without a `cur`, such as a refund, use the parent's currency).
pub fn minor_to_money(
    field: &FieldPath,
    minor: i64,
    currency: Currency,
) -> Result<Money, TranslateError> {
    Ok(Money::from_minor_units(
        non_negative(field, minor)?,
        currency,
    ))
}

/// A legacy amount at `field`, refused if negative (the monolith answers 422).
pub fn non_negative(field: &FieldPath, minor: i64) -> Result<i64, TranslateError> {
    if minor < 0 {
        return Err(TranslateError::no_counterpart(
            field.clone(),
            Side::Legacy,
            minor,
            "legacy amounts are never negative",
        ));
    }
    Ok(minor)
}

/// v2 money at `field` → legacy minor units and `cur`.
pub fn to_legacy(field: &FieldPath, money: &Money) -> Result<(i64, CurrencyCode), TranslateError> {
    let amount = money.amount();
    refuse_negative(field, amount)?;
    // A `Money` is already at its currency's scale (never more precise), so
    // its own minor units are the legacy ones; only overflow can fail.
    let minor = money
        .to_minor_units()
        .map_err(|_| TranslateError::overflow(field.clone(), amount, I64_MINOR_UNITS))?;
    Ok((minor, currency_to_legacy(money.currency())))
}

/// A decimal amount of `currency` → integer minor units, without rounding.
pub fn decimal_to_minor(
    field: &FieldPath,
    amount: Decimal,
    currency: Currency,
) -> Result<i64, TranslateError> {
    let exponent = currency.exponent();
    refuse_negative(field, amount)?;
    if amount.normalize().scale() > exponent {
        return Err(TranslateError::Precision {
            field: field.clone(),
            value: amount.to_string(),
            currency: currency.code().to_owned(),
            exponent,
        });
    }
    let overflow = || TranslateError::overflow(field.clone(), amount, I64_MINOR_UNITS);
    let scaled = amount
        .checked_mul(Decimal::from(10_i64.pow(exponent)))
        .ok_or_else(overflow)?;
    i64::try_from(scaled.trunc()).map_err(|_| overflow())
}

/// What an amount overflows when it has no legacy counterpart.
const I64_MINOR_UNITS: &str = "i64 legacy minor units";

fn refuse_negative(field: &FieldPath, amount: Decimal) -> Result<(), TranslateError> {
    if amount.is_sign_negative() && !amount.is_zero() {
        return Err(TranslateError::no_counterpart(
            field.clone(),
            Side::V2,
            amount,
            "legacy amounts are never negative",
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::str::FromStr;

    fn f() -> FieldPath {
        FieldPath::field("amt")
    }

    fn code(s: &str) -> CurrencyCode {
        CurrencyCode::parse(s).unwrap()
    }

    #[test]
    fn exponents_per_currency() {
        let cur = FieldPath::field("cur");
        let eur = to_v2(&f(), 1250, &cur, &code("EUR")).unwrap();
        assert_eq!(eur.amount().to_string(), "12.50");
        let jpy = to_v2(&f(), 1250, &cur, &code("JPY")).unwrap();
        assert_eq!(jpy.amount().to_string(), "1250");
        let bhd = to_v2(&f(), 1250, &cur, &code("BHD")).unwrap();
        assert_eq!(bhd.amount().to_string(), "1.250");
        for m in [eur, jpy, bhd] {
            assert_eq!(to_legacy(&f(), &m).unwrap().0, 1250);
        }
    }

    #[test]
    fn extra_precision_is_an_error_not_rounded() {
        let d = Decimal::from_str("12.505").unwrap();
        let err = decimal_to_minor(&f(), d, Currency::Eur).unwrap_err();
        assert!(
            matches!(err, TranslateError::Precision { exponent: 2, .. }),
            "{err}"
        );
        assert!(err.to_string().contains("$.amt") && err.to_string().contains("12.505"));
        let half_yen = Decimal::from_str("0.5").unwrap();
        assert!(decimal_to_minor(&f(), half_yen, Currency::Jpy).is_err());
        let zeros = Decimal::from_str("12.500").unwrap();
        assert_eq!(decimal_to_minor(&f(), zeros, Currency::Eur).unwrap(), 1250);
    }

    #[test]
    fn overflow_is_an_error() {
        let huge = Decimal::from(i64::MAX);
        let err = decimal_to_minor(&f(), huge, Currency::Eur).unwrap_err();
        assert!(matches!(err, TranslateError::Overflow { .. }), "{err}");
        assert!(decimal_to_minor(&f(), Decimal::MAX, Currency::Bhd).is_err());
        let max = Decimal::new(i64::MAX, 2);
        assert_eq!(
            decimal_to_minor(&f(), max, Currency::Eur).unwrap(),
            i64::MAX
        );
    }

    #[test]
    fn negatives_and_unknown_currencies_have_no_counterpart() {
        assert!(minor_to_money(&f(), -1, Currency::Eur).is_err());
        let neg = Decimal::from_str("-0.01").unwrap();
        assert!(decimal_to_minor(&f(), neg, Currency::Eur).is_err());
        let err = to_v2(&f(), 1, &FieldPath::field("cur"), &code("XAU")).unwrap_err();
        assert_eq!(err.field().unwrap().as_str(), "$.cur");
    }

    proptest::proptest! {
        #[test]
        fn money_converts_as_its_decimal_does(minor in proptest::num::i64::ANY, index in 0usize..13) {
            let currency = Currency::ALL[index];
            let money = Money::from_minor_units(minor, currency);
            let as_money = to_legacy(&f(), &money).map(|(minor, _)| minor);
            let as_decimal = decimal_to_minor(&f(), money.amount(), currency);
            proptest::prop_assert_eq!(as_money.is_ok(), minor >= 0);
            proptest::prop_assert_eq!(as_money, as_decimal);
        }
    }

    #[test]
    fn every_v2_currency_has_a_legacy_code() {
        for c in Currency::ALL {
            assert_eq!(currency_to_legacy(c).as_str(), c.code());
        }
    }
}
