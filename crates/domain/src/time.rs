//! Instants and the Asia/Shanghai wall clock.
//!
//! yiwang stores every instant as a [`Timestamp`]: milliseconds since the Unix epoch, UTC.
//! Calendars, deadlines and reports work in Asia/Shanghai local time. China has used UTC+08:00
//! without daylight saving since 1991, so the conversion is a fixed offset; no time-zone
//! database is needed.
//!
//! Library code never reads the clock: callers pass `now` in.

use chrono::{DateTime, FixedOffset, NaiveDate, NaiveDateTime, Offset, TimeZone, Utc};
use serde::{Deserialize, Serialize};

/// Offset of Asia/Shanghai from UTC, in seconds (UTC+08:00, no DST since 1991).
pub const SHANGHAI_OFFSET_SECS: i32 = 8 * 3600;

/// An instant: milliseconds since 1970-01-01T00:00:00Z.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Timestamp(pub i64);

impl Timestamp {
    pub const MINUTE_MS: i64 = 60_000;

    /// Milliseconds since the Unix epoch.
    pub fn millis(self) -> i64 {
        self.0
    }

    /// The instant `minutes` later (negative goes back).
    pub fn plus_minutes(self, minutes: i64) -> Timestamp {
        Timestamp(self.0 + minutes * Self::MINUTE_MS)
    }

    /// The Asia/Shanghai local date and time of this instant.
    pub fn to_shanghai(self) -> NaiveDateTime {
        shanghai()
            .timestamp_millis_opt(self.0)
            .single()
            .map(|d| d.naive_local())
            .unwrap_or_default()
    }

    /// The instant of an Asia/Shanghai local date and time.
    pub fn from_shanghai(local: NaiveDateTime) -> Timestamp {
        Timestamp(local.and_utc().timestamp_millis() - i64::from(SHANGHAI_OFFSET_SECS) * 1000)
    }

    /// The instant of local midnight at the start of `date` in Asia/Shanghai.
    pub fn shanghai_midnight(date: NaiveDate) -> Timestamp {
        Self::from_shanghai(date.and_hms_opt(0, 0, 0).unwrap_or_default())
    }

    /// RFC 3339 text with the +08:00 offset, as the API shows instants.
    pub fn to_rfc3339(self) -> String {
        match shanghai().timestamp_millis_opt(self.0).single() {
            Some(d) => d.to_rfc3339_opts(chrono::SecondsFormat::Secs, false),
            None => String::new(),
        }
    }

    /// Parses RFC 3339 text (any offset).
    pub fn parse_rfc3339(text: &str) -> Option<Timestamp> {
        DateTime::parse_from_rfc3339(text)
            .ok()
            .map(|d| Timestamp(d.with_timezone(&Utc).timestamp_millis()))
    }
}

/// The fixed UTC+08:00 offset.
pub fn shanghai() -> FixedOffset {
    // The constant is in range, so `east_opt` cannot fail; fall back to UTC rather than panic.
    FixedOffset::east_opt(SHANGHAI_OFFSET_SECS).unwrap_or(Utc.fix())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shanghai_round_trip() {
        let local = NaiveDate::from_ymd_opt(2026, 1, 1)
            .unwrap()
            .and_hms_opt(9, 30, 0)
            .unwrap();
        let t = Timestamp::from_shanghai(local);
        // 2026-01-01 09:30 +08:00 = 2026-01-01 01:30 UTC
        assert_eq!(t.0, 1_767_231_000_000);
        assert_eq!(t.to_shanghai(), local);
        assert_eq!(t.to_rfc3339(), "2026-01-01T09:30:00+08:00");
        assert_eq!(Timestamp::parse_rfc3339("2026-01-01T01:30:00Z"), Some(t));
    }
}
