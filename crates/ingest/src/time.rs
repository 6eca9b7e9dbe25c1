//! GMT+8 wall-clock fields → UTC milliseconds. JT/T 808 (§5.7, "本标准中之后涉及的时间均采用
//! 此时区") and HJ 212 (in practice) send China local time without a zone; China has had no
//! daylight saving time since 1991, so the offset is a constant 8 hours.

/// Milliseconds of the GMT+8 offset.
pub const GMT8_OFFSET_MS: i64 = 8 * 3_600_000;

/// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's algorithm).
fn days_from_civil(year: i64, month: i64, day: i64) -> i64 {
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (month + 9) % 12;
    let doy = (153 * mp + 2) / 5 + day - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// A GMT+8 wall-clock time as UTC ms; `None` when a field is out of range.
pub fn gmt8_to_utc_ms(
    year: u16,
    month: u8,
    day: u8,
    hour: u8,
    minute: u8,
    second: u8,
) -> Option<i64> {
    let leap = (year.is_multiple_of(4) && !year.is_multiple_of(100)) || year.is_multiple_of(400);
    let dim = match month {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if leap => 29,
        2 => 28,
        _ => return None,
    };
    if day == 0 || day > dim || hour > 23 || minute > 59 || second > 59 {
        return None;
    }
    let days = days_from_civil(i64::from(year), i64::from(month), i64::from(day));
    let secs = days * 86_400 + i64::from(hour) * 3600 + i64::from(minute) * 60 + i64::from(second);
    Some(secs * 1000 - GMT8_OFFSET_MS)
}

/// A JT/T 808 BCD time (GMT+8) as UTC ms; `None` for an invalid or all-zero time.
pub fn jt808_time(t: &jt808::LocalTime) -> Option<i64> {
    if !t.is_valid() {
        return None;
    }
    gmt8_to_utc_ms(t.year, t.month, t.day, t.hour, t.minute, t.second)
}

/// An HJ 212 date-time (GMT+8) as UTC ms.
pub fn hj212_time(t: &hj212::DateTime) -> i64 {
    t.to_epoch_millis() - GMT8_OFFSET_MS
}

/// UTC ms as an HJ 212 date-time in GMT+8 (for 1012 time calibration).
pub fn hj212_from_utc_ms(ms: i64) -> Option<hj212::DateTime> {
    hj212::DateTime::from_epoch_millis(ms + GMT8_OFFSET_MS)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gmt8_converts_to_utc() {
        // 2026-11-24 08:00:00 +08:00 = 2026-11-24 00:00:00 UTC = 1795478400000 ms.
        assert_eq!(
            gmt8_to_utc_ms(2026, 11, 24, 8, 0, 0),
            Some(1_795_478_400_000)
        );
        assert_eq!(gmt8_to_utc_ms(2024, 2, 30, 0, 0, 0), None);
        assert_eq!(gmt8_to_utc_ms(2000, 1, 1, 8, 0, 0), Some(946_684_800_000));
    }
}
