//! ISO 4217 currencies the kit supports, with their minor-unit exponent (the
//! same list as the legacy contract, so every legacy amount has a v2 twin).

use serde::de::{self, Visitor};
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use std::fmt;
use std::str::FromStr;

/// A supported ISO 4217 currency. Serialised as its three-letter code.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, utoipa::ToSchema)]
// Only shapes the OpenAPI enum; (de)serialisation is by hand below.
#[serde(rename_all = "UPPERCASE")]
pub enum Currency {
    /// Euro.
    Eur,
    /// US dollar.
    Usd,
    /// Pound sterling.
    Gbp,
    /// Swiss franc.
    Chf,
    /// Swedish krona.
    Sek,
    /// Norwegian krone.
    Nok,
    /// Danish krone.
    Dkk,
    /// Polish złoty.
    Pln,
    /// Czech koruna.
    Czk,
    /// Japanese yen (no minor unit).
    Jpy,
    /// Bahraini dinar (three decimals).
    Bhd,
    /// Kuwaiti dinar (three decimals).
    Kwd,
    /// Omani rial (three decimals).
    Omr,
}

/// A code that is not one of the supported ISO 4217 currencies.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("`{0}` is not a supported ISO 4217 currency (use one of {list})", list = Currency::codes_list())]
pub struct UnknownCurrency(pub String);

impl Currency {
    /// Every supported currency.
    pub const ALL: [Currency; 13] = [
        Self::Eur,
        Self::Usd,
        Self::Gbp,
        Self::Chf,
        Self::Sek,
        Self::Nok,
        Self::Dkk,
        Self::Pln,
        Self::Czk,
        Self::Jpy,
        Self::Bhd,
        Self::Kwd,
        Self::Omr,
    ];

    /// The three upper-case letters.
    pub fn code(self) -> &'static str {
        match self {
            Self::Eur => "EUR",
            Self::Usd => "USD",
            Self::Gbp => "GBP",
            Self::Chf => "CHF",
            Self::Sek => "SEK",
            Self::Nok => "NOK",
            Self::Dkk => "DKK",
            Self::Pln => "PLN",
            Self::Czk => "CZK",
            Self::Jpy => "JPY",
            Self::Bhd => "BHD",
            Self::Kwd => "KWD",
            Self::Omr => "OMR",
        }
    }

    /// Digits after the decimal point in the minor unit (cents: 2).
    pub fn exponent(self) -> u32 {
        match self {
            Self::Jpy => 0,
            Self::Bhd | Self::Kwd | Self::Omr => 3,
            _ => 2,
        }
    }

    /// Parses an exact upper-case code; anything else is refused with the list.
    pub fn parse(code: &str) -> Result<Self, UnknownCurrency> {
        Self::ALL
            .into_iter()
            .find(|c| c.code() == code)
            .ok_or_else(|| UnknownCurrency(code.to_owned()))
    }

    fn codes_list() -> String {
        Self::ALL.map(Self::code).join(", ")
    }
}

impl FromStr for Currency {
    type Err = UnknownCurrency;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::parse(s)
    }
}

impl fmt::Display for Currency {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

impl Serialize for Currency {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.code())
    }
}

impl<'de> Deserialize<'de> for Currency {
    /// Reads the code in place (a `String` per amount would be an allocation
    /// on every money value the proxy's translator reads).
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct Code;
        impl Visitor<'_> for Code {
            type Value = Currency;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("an ISO 4217 currency code")
            }
            fn visit_str<E: de::Error>(self, code: &str) -> Result<Currency, E> {
                Currency::parse(code).map_err(E::custom)
            }
        }
        deserializer.deserialize_str(Code)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_code_round_trips_and_has_the_legacy_exponent() {
        for c in Currency::ALL {
            assert_eq!(Currency::parse(c.code()).unwrap(), c);
            let json = serde_json::to_string(&c).unwrap();
            assert_eq!(json, format!("\"{}\"", c.code()));
            assert_eq!(serde_json::from_str::<Currency>(&json).unwrap(), c);
        }
        assert_eq!(Currency::Jpy.exponent(), 0);
        assert_eq!(Currency::Kwd.exponent(), 3);
        assert_eq!(Currency::Eur.exponent(), 2);
    }

    #[test]
    fn unknown_or_lower_case_codes_are_refused_with_the_list() {
        let err = Currency::parse("XXX").unwrap_err();
        assert!(err.to_string().contains("EUR"), "{err}");
        assert!(Currency::parse("eur").is_err());
        assert!(serde_json::from_str::<Currency>("\"ABC\"").is_err());
    }
}
