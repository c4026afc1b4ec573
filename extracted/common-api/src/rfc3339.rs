//! Timestamps on the wire: RFC 3339 (`2026-11-24T21:00:00Z`, any offset,
//! optional fraction), read with chrono's RFC 3339 parser. chrono's own
//! `Deserialize` goes through its relaxed `FromStr`, a general format
//! interpreter that costs several times as much, on every timestamp of every
//! document the proxy's translator reads. Written as chrono writes them.
//!
//! For fields: `#[serde(with = "v2_common::rfc3339")]` on a `DateTime<Utc>`,
//! `#[serde(default, with = "v2_common::rfc3339::option")]` on an optional one.

use chrono::{DateTime, Utc};
use serde::de::{self, Visitor};
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use std::fmt;

/// Writes the instant as chrono does (RFC 3339, UTC, `Z`).
pub fn serialize<S: Serializer>(at: &DateTime<Utc>, serializer: S) -> Result<S::Ok, S::Error> {
    at.serialize(serializer)
}

/// Reads an RFC 3339 timestamp, in place where the format allows.
pub fn deserialize<'de, D: Deserializer<'de>>(deserializer: D) -> Result<DateTime<Utc>, D::Error> {
    deserializer.deserialize_str(Rfc3339)
}

struct Rfc3339;

impl Visitor<'_> for Rfc3339 {
    type Value = DateTime<Utc>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an RFC 3339 timestamp")
    }

    fn visit_str<E: de::Error>(self, text: &str) -> Result<Self::Value, E> {
        DateTime::parse_from_rfc3339(text)
            .map(|at| at.to_utc())
            .map_err(|e| E::custom(format_args!("`{text}` is not an RFC 3339 timestamp: {e}")))
    }
}

/// The same for `Option<DateTime<Utc>>` (`null` is `None`).
pub mod option {
    use super::*;

    /// Writes the instant, or `null`.
    pub fn serialize<S: Serializer>(
        at: &Option<DateTime<Utc>>,
        serializer: S,
    ) -> Result<S::Ok, S::Error> {
        at.serialize(serializer)
    }

    /// Reads `null` or an RFC 3339 timestamp.
    pub fn deserialize<'de, D: Deserializer<'de>>(
        deserializer: D,
    ) -> Result<Option<DateTime<Utc>>, D::Error> {
        struct Strict(DateTime<Utc>);
        impl<'de> Deserialize<'de> for Strict {
            fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
                super::deserialize(deserializer).map(Strict)
            }
        }
        Ok(Option::<Strict>::deserialize(deserializer)?.map(|s| s.0))
    }
}

#[cfg(test)]
mod tests {
    use chrono::{DateTime, TimeZone, Utc};
    use serde::{Deserialize, Serialize};

    #[derive(Debug, PartialEq, Serialize, Deserialize)]
    struct Doc {
        #[serde(with = "super")]
        at: DateTime<Utc>,
        #[serde(default, with = "super::option")]
        until: Option<DateTime<Utc>>,
    }

    #[test]
    fn reads_what_chrono_writes_and_any_offset() {
        let at = Utc.with_ymd_and_hms(2026, 11, 24, 21, 0, 0).unwrap();
        let doc = Doc {
            at,
            until: Some(at),
        };
        let text = serde_json::to_string(&doc).unwrap();
        assert_eq!(
            text,
            r#"{"at":"2026-11-24T21:00:00Z","until":"2026-11-24T21:00:00Z"}"#
        );
        assert_eq!(serde_json::from_str::<Doc>(&text).unwrap(), doc);
        let offset: Doc =
            serde_json::from_str(r#"{"at":"2026-11-24T22:00:00.5+01:00","until":null}"#).unwrap();
        assert_eq!(offset.at, at + chrono::Duration::milliseconds(500));
        assert_eq!(offset.until, None);
        let absent: Doc = serde_json::from_str(r#"{"at":"2026-11-24T21:00:00Z"}"#).unwrap();
        assert_eq!(absent.until, None);
    }

    #[test]
    fn refuses_what_is_not_rfc_3339_and_says_which() {
        for bad in [
            "2026-11-24",
            "2026-11-24T21:00:00",
            "24/11/2026 21:00",
            "2026-13-01T00:00:00Z",
        ] {
            let json = format!(r#"{{"at":"{bad}"}}"#);
            let err = serde_json::from_str::<Doc>(&json).unwrap_err().to_string();
            assert!(err.contains(bad) && err.contains("RFC 3339"), "{err}");
        }
        let err = serde_json::from_str::<Doc>(r#"{"at":5}"#)
            .unwrap_err()
            .to_string();
        assert!(err.contains("an RFC 3339 timestamp"), "{err}");
    }
}
