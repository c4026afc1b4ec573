//! Stock keeping units: 1–64 of `A-Z a-z 0-9 - _ .`, not made of dots alone
//! (so a SKU is always one safe path segment).

use serde::{Deserialize, Serialize};
use std::fmt;

/// Why a string is not a SKU.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SkuError(String);

impl fmt::Display for SkuError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for SkuError {}

/// A validated SKU.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "openapi", schema(value_type = String, example = "WIDGET-1"))]
pub struct Sku(String);

impl Sku {
    /// Longest accepted SKU.
    pub const MAX_LEN: usize = 64;

    /// Accepts a SKU or says what is wrong with it.
    pub fn parse(raw: &str) -> Result<Self, SkuError> {
        if raw.is_empty() || raw.len() > Self::MAX_LEN {
            return Err(SkuError(format!(
                "a SKU must be 1 to {} characters long, got {}",
                Self::MAX_LEN,
                raw.len()
            )));
        }
        if let Some(bad) = raw
            .chars()
            .find(|c| !(c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.')))
        {
            return Err(SkuError(format!(
                "a SKU may hold only A-Z a-z 0-9 - _ . but `{raw}` holds {bad:?}"
            )));
        }
        if raw.chars().all(|c| c == '.') {
            return Err(SkuError(format!("`{raw}` is not a SKU: it is only dots")));
        }
        Ok(Self(raw.to_owned()))
    }

    /// The SKU as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Sku {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl TryFrom<String> for Sku {
    type Error = SkuError;
    fn try_from(raw: String) -> Result<Self, SkuError> {
        Self::parse(&raw)
    }
}

impl From<Sku> for String {
    fn from(sku: Sku) -> String {
        sku.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_the_legacy_alphabet() {
        assert_eq!(Sku::parse("Ab-9_x.1").unwrap().as_str(), "Ab-9_x.1");
        assert!(Sku::parse(&"a".repeat(64)).is_ok());
    }

    #[test]
    fn refuses_what_is_not_a_sku() {
        for bad in ["", "a b", "a/b", "..", ".", "é", &"a".repeat(65)] {
            assert!(Sku::parse(bad).is_err(), "{bad:?} was accepted");
        }
    }

    proptest::proptest! {
        #[test]
        fn every_legal_string_parses_and_round_trips(raw in "[A-Za-z0-9_.-]{1,64}") {
            let parsed = Sku::parse(&raw);
            if raw.chars().all(|c| c == '.') {
                proptest::prop_assert!(parsed.is_err());
            } else {
                let sku = parsed.unwrap();
                let json = serde_json::to_string(&sku).unwrap();
                proptest::prop_assert_eq!(serde_json::from_str::<Sku>(&json).unwrap(), sku);
            }
        }

        #[test]
        fn any_other_character_is_refused(
            head in "[A-Za-z0-9]{0,10}",
            bad in "[^A-Za-z0-9_.-]",
            tail in "[A-Za-z0-9]{0,10}",
        ) {
            let raw = format!("{head}{bad}{tail}");
            proptest::prop_assert!(Sku::parse(&raw).is_err());
        }
    }

    #[test]
    fn deserialising_validates() {
        assert!(serde_json::from_str::<Sku>("\"a/b\"").is_err());
        assert_eq!(
            serde_json::from_str::<Sku>("\"W-1\"").unwrap(),
            Sku::parse("W-1").unwrap()
        );
    }
}
