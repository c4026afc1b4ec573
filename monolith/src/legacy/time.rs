//! Timestamps are stored in UTC and shown the legacy way: `YYYY-MM-DD HH:MM:SS`
//! in the zone set by `legacy.timezone`, with no offset.

use chrono::{NaiveDateTime, TimeZone, Utc};
use chrono_tz::Tz;

/// The legacy timestamp format.
pub const FORMAT: &str = "%Y-%m-%d %H:%M:%S";

/// Renders UTC instants as legacy local-time strings.
#[derive(Debug, Clone, Copy)]
pub struct LegacyClock {
    zone: Tz,
}

impl LegacyClock {
    /// A clock for an IANA zone name such as `Europe/Berlin`.
    pub fn parse(zone: &str) -> Result<Self, String> {
        zone.parse::<Tz>()
            .map(|zone| Self { zone })
            .map_err(|_| format!("`{zone}` is not an IANA time zone"))
    }

    /// The clock sync records use: legacy strings in UTC.
    pub fn utc() -> Self {
        Self { zone: Tz::UTC }
    }

    /// A legacy local-time string back to its UTC instant (the earlier one
    /// when a clock change makes it ambiguous).
    pub fn read(&self, local: &str) -> Result<NaiveDateTime, String> {
        let naive = NaiveDateTime::parse_from_str(local, FORMAT)
            .map_err(|e| format!("`{local}` is not a legacy time ({FORMAT}): {e}"))?;
        self.zone
            .from_local_datetime(&naive)
            .earliest()
            .map(|t| t.naive_utc())
            .ok_or_else(|| format!("`{local}` does not exist in {}", self.zone))
    }

    /// The current instant, in UTC, at the precision we store (seconds).
    pub fn now() -> NaiveDateTime {
        let now = Utc::now().naive_utc();
        now - chrono::Duration::nanoseconds(i64::from(chrono::Timelike::nanosecond(&now)))
    }

    /// `utc` as a legacy local-time string.
    pub fn show(&self, utc: NaiveDateTime) -> String {
        self.zone.from_utc_datetime(&utc).format(FORMAT).to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shows_local_time_without_offset() {
        let clock = LegacyClock::parse("Europe/Berlin").unwrap();
        let winter = NaiveDateTime::parse_from_str("2026-01-15 12:00:00", FORMAT).unwrap();
        let summer = NaiveDateTime::parse_from_str("2026-07-15 12:00:00", FORMAT).unwrap();
        assert_eq!(clock.show(winter), "2026-01-15 13:00:00");
        assert_eq!(clock.show(summer), "2026-07-15 14:00:00");
        assert!(LegacyClock::parse("Mars/Olympus").is_err());
        assert_eq!(clock.read("2026-07-15 14:00:00").unwrap(), summer);
        assert_eq!(
            LegacyClock::utc().read("2026-07-15 12:00:00").unwrap(),
            summer
        );
        assert!(clock.read("15.07.2026").is_err());
    }
}
