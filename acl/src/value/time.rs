//! Time across the cut: v2 instants are UTC (`DateTime<Utc>`, RFC 3339 on the
//! wire); legacy timestamps are wall-clock strings in one configured IANA
//! zone. [`LegacyClock`] converts between them.
//!
//! Two local times need a rule, and the rule is the same one the monolith's
//! own rendering implies:
//! - **DST gap** (spring forward, e.g. `2026-03-29 02:30:00` in
//!   `Europe/Berlin` never happens): the local time is read with the offset in
//!   force *before* the gap, so it lands after the jump (`02:30` +01:00 =
//!   `01:30Z`, which the zone shows as `03:30`). The monolith never writes such
//!   a string; a legacy *client* can, and gets the instant it most likely meant
//!   instead of an error.
//! - **Ambiguous fall-back hour** (e.g. `2026-10-25 02:30:00` happens twice):
//!   the **earlier** instant (the summer-time offset) is chosen. Both instants
//!   render to the same legacy string, so legacy → v2 → legacy is exact, while
//!   v2 → legacy → v2 may move an instant in that hour back by the DST shift.
//!
//! Sub-second parts of a v2 instant are not representable in the legacy form;
//! v2 → legacy drops them (rounds down to the second), exactly as the monolith
//! does when it stores an instant, so a v2 record created a moment ago reads
//! like a legacy one (see [`LegacyClock::to_local`]).

use crate::error::{FieldPath, TranslateError};
use crate::legacy::LocalTimestamp;
use chrono::{DateTime, Duration, LocalResult, NaiveDateTime, Offset, TimeZone, Utc};
use chrono_tz::Tz;

/// The zone the monolith renders legacy timestamps in, unless configured.
pub const DEFAULT_ZONE: Tz = chrono_tz::Europe::Berlin;

/// Converts between v2 UTC instants and legacy local timestamps of one zone.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LegacyClock {
    zone: Tz,
}

impl Default for LegacyClock {
    fn default() -> Self {
        Self::new(DEFAULT_ZONE)
    }
}

impl LegacyClock {
    /// A clock for `zone` (the monolith's `legacy.timezone`).
    pub fn new(zone: Tz) -> Self {
        Self { zone }
    }

    /// A clock for an IANA zone name such as `Europe/Berlin`.
    pub fn from_name(name: &str) -> Result<Self, TranslateError> {
        name.parse::<Tz>().map(Self::new).map_err(|_| {
            TranslateError::invalid(
                FieldPath::field("legacy.timezone"),
                name,
                "an IANA zone name",
            )
        })
    }

    /// The zone.
    pub fn zone(&self) -> Tz {
        self.zone
    }

    /// Legacy wall-clock time → UTC instant (gap: offset before the gap;
    /// ambiguous: the earlier instant).
    pub fn to_utc(&self, local: LocalTimestamp) -> DateTime<Utc> {
        let naive = local.naive();
        match self.zone.from_local_datetime(&naive) {
            LocalResult::Single(t) => t.with_timezone(&Utc),
            LocalResult::Ambiguous(earlier, later) => earlier.min(later).with_timezone(&Utc),
            LocalResult::None => self.through_gap(naive),
        }
    }

    /// The instant a gap time names when read with the offset in force just
    /// before the gap. Gaps are at most a few hours long in every zone, so
    /// the last valid local time a day earlier carries that offset unless the
    /// zone changed twice in a day, which no IANA zone does.
    fn through_gap(&self, naive: NaiveDateTime) -> DateTime<Utc> {
        let day_before = naive - Duration::days(1);
        let offset = self
            .zone
            .offset_from_local_datetime(&day_before)
            .earliest()
            .map(|o| o.fix())
            .unwrap_or_else(|| self.zone.offset_from_utc_datetime(&day_before).fix());
        DateTime::<Utc>::from_naive_utc_and_offset(naive - offset, Utc)
    }

    /// UTC instant → legacy wall-clock time, rounded down to the second (the
    /// legacy form has whole seconds). Refuses years outside 1..=9999, naming
    /// `field`.
    pub fn to_local(
        &self,
        field: &FieldPath,
        instant: DateTime<Utc>,
    ) -> Result<LocalTimestamp, TranslateError> {
        let instant = instant - Duration::nanoseconds(i64::from(instant.timestamp_subsec_nanos()));
        // `naive_local` panics at the edges of chrono's range; add the offset
        // by hand so an extreme instant is an error, not a panic.
        let utc = instant.naive_utc();
        let offset = self.zone.offset_from_utc_datetime(&utc).fix();
        let local = utc.checked_add_signed(Duration::seconds(i64::from(offset.local_minus_utc())));
        local.and_then(LocalTimestamp::new).ok_or_else(|| {
            TranslateError::overflow(
                field.clone(),
                instant.to_rfc3339(),
                "a four-digit legacy year",
            )
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn local(s: &str) -> LocalTimestamp {
        LocalTimestamp::parse(s).unwrap()
    }

    fn utc(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
    }

    #[test]
    fn winter_and_summer_offsets() {
        let clock = LegacyClock::default();
        assert_eq!(
            clock.to_utc(local("2026-01-15 12:00:00")),
            utc("2026-01-15T11:00:00Z")
        );
        assert_eq!(
            clock.to_utc(local("2026-07-15 12:00:00")),
            utc("2026-07-15T10:00:00Z")
        );
        let f = FieldPath::field("crt");
        assert_eq!(
            clock
                .to_local(&f, utc("2026-07-15T10:00:00Z"))
                .unwrap()
                .to_string(),
            "2026-07-15 12:00:00"
        );
    }

    #[test]
    fn a_time_in_the_spring_gap_is_read_with_the_offset_before_the_gap() {
        let clock = LegacyClock::default();
        // 02:30 does not exist on 2026-03-29 in Berlin: read as +01:00.
        let instant = clock.to_utc(local("2026-03-29 02:30:00"));
        assert_eq!(instant, utc("2026-03-29T01:30:00Z"));
        let back = clock.to_local(&FieldPath::field("crt"), instant).unwrap();
        assert_eq!(back.to_string(), "2026-03-29 03:30:00");
    }

    #[test]
    fn the_ambiguous_fall_back_hour_resolves_to_the_earlier_instant() {
        let clock = LegacyClock::default();
        // 02:30 happens at 00:30Z (CEST) and again at 01:30Z (CET).
        let instant = clock.to_utc(local("2026-10-25 02:30:00"));
        assert_eq!(instant, utc("2026-10-25T00:30:00Z"));
        let f = FieldPath::field("upd");
        for both in ["2026-10-25T00:30:00Z", "2026-10-25T01:30:00Z"] {
            assert_eq!(
                clock.to_local(&f, utc(both)).unwrap().to_string(),
                "2026-10-25 02:30:00"
            );
        }
    }

    #[test]
    fn other_zones_work_too() {
        let clock = LegacyClock::from_name("America/New_York").unwrap();
        assert_eq!(
            clock.to_utc(local("2026-03-08 02:30:00")),
            utc("2026-03-08T07:30:00Z")
        );
        assert!(LegacyClock::from_name("Mars/Olympus").is_err());
    }

    #[test]
    fn sub_seconds_round_down_and_huge_years_are_errors_naming_the_field() {
        let clock = LegacyClock::default();
        let f = FieldPath::field("crt");
        let shown = clock.to_local(&f, utc("2026-01-01T00:00:00.999Z")).unwrap();
        assert_eq!(
            shown,
            clock.to_local(&f, utc("2026-01-01T00:00:00Z")).unwrap()
        );
        let far = DateTime::<Utc>::MAX_UTC.with_nanosecond_zero();
        assert!(matches!(
            clock.to_local(&f, far),
            Err(TranslateError::Overflow { .. })
        ));
    }

    trait Whole {
        fn with_nanosecond_zero(self) -> Self;
    }
    impl Whole for DateTime<Utc> {
        fn with_nanosecond_zero(self) -> Self {
            chrono::Timelike::with_nanosecond(&self, 0).unwrap()
        }
    }
}
