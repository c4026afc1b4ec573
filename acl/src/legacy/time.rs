//! The legacy timestamp: `"YYYY-MM-DD HH:MM:SS"`, local wall-clock time in the
//! monolith's configured zone, with no offset on the wire. Read strictly: a
//! string that does not format back to itself (`2024-1-5 ...`, a trailing
//! `Z`, fractions) is refused, so drift in the monolith shows up here.

use chrono::{Datelike, NaiveDateTime, Timelike};
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use std::fmt;

/// The wire format, as chrono understands it.
pub const FORMAT: &str = "%Y-%m-%d %H:%M:%S";

/// A legacy local timestamp (wall-clock time, zone implied by configuration).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct LocalTimestamp(NaiveDateTime);

/// Why a string is not a legacy timestamp.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("`{0}` is not a legacy timestamp \"YYYY-MM-DD HH:MM:SS\" (years 1..=9999, no offset)")]
pub struct BadTimestamp(pub String);

impl LocalTimestamp {
    /// Accepts only the exact wire form.
    pub fn parse(raw: &str) -> Result<Self, BadTimestamp> {
        let bad = || BadTimestamp(crate::error::clip(raw));
        let parsed = NaiveDateTime::parse_from_str(raw, FORMAT).map_err(|_| bad())?;
        let stamp = Self::new(parsed).ok_or_else(bad)?;
        if stamp.to_string() != raw {
            return Err(bad());
        }
        Ok(stamp)
    }

    /// A wall-clock time the wire can carry: whole seconds, a four-digit
    /// year. `None` for anything else (sub-second parts are not dropped
    /// silently: the caller decides).
    pub fn new(local: NaiveDateTime) -> Option<Self> {
        let year_ok = (1..=9999).contains(&local.year());
        let whole_second = local.and_utc().timestamp_subsec_nanos() == 0;
        (year_ok && whole_second).then_some(Self(local))
    }

    /// The wall-clock time.
    pub fn naive(&self) -> NaiveDateTime {
        self.0
    }

    /// [`FORMAT`], digit by digit: chrono's formatter reads the format string
    /// on every call, and every payment a translator answers carries two of
    /// these.
    fn wire(&self) -> [u8; 19] {
        let (date, time) = (self.0.date(), self.0.time());
        let mut out = *b"0000-00-00 00:00:00";
        // `new` keeps the year within 1..=9999, so it fits four digits.
        let fields = [
            (0, 4, date.year().unsigned_abs()),
            (5, 2, date.month()),
            (8, 2, date.day()),
            (11, 2, time.hour()),
            (14, 2, time.minute()),
            (17, 2, time.second()),
        ];
        for (at, width, mut value) in fields {
            for slot in out[at..at + width].iter_mut().rev() {
                *slot = b'0' + (value % 10) as u8;
                value /= 10;
            }
        }
        out
    }
}

impl fmt::Display for LocalTimestamp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let wire = self.wire();
        f.write_str(std::str::from_utf8(&wire).map_err(|_| fmt::Error)?)
    }
}

impl Serialize for LocalTimestamp {
    /// As a plain string: through `Display` (`collect_str`) the formatting
    /// machinery costs more than the digits.
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let wire = self.wire();
        let text = std::str::from_utf8(&wire).map_err(serde::ser::Error::custom)?;
        serializer.serialize_str(text)
    }
}

impl<'de> Deserialize<'de> for LocalTimestamp {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let raw = String::deserialize(deserializer)?;
        Self::parse(&raw).map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_and_writes_the_exact_form() {
        let t = LocalTimestamp::parse("2026-03-29 01:59:59").unwrap();
        assert_eq!(t.to_string(), "2026-03-29 01:59:59");
        assert_eq!(
            serde_json::to_string(&t).unwrap(),
            "\"2026-03-29 01:59:59\""
        );
    }

    #[test]
    fn refuses_near_misses() {
        for bad in [
            "2026-3-29 01:59:59",
            "2026-03-29T01:59:59",
            "2026-03-29 01:59:59Z",
            "2026-03-29 01:59:59.5",
            "2026-03-29 01:59",
            "2026-02-30 00:00:00",
            " 2026-03-29 01:59:59",
            "",
        ] {
            assert!(LocalTimestamp::parse(bad).is_err(), "{bad:?} accepted");
        }
    }

    proptest::proptest! {
        #[test]
        fn writes_what_chrono_writes_for_any_wire_time(secs in -62_135_596_800i64..253_402_300_799) {
            let naive = chrono::DateTime::from_timestamp(secs, 0).unwrap().naive_utc();
            let stamp = LocalTimestamp::new(naive).unwrap();
            proptest::prop_assert_eq!(stamp.to_string(), naive.format(FORMAT).to_string());
        }
    }
}
