//! Wall-clock date-times as HJ 212 writes them: `YYYYMMDDhhmmss` (N14) and the QN form
//! `YYYYMMDDhhmmsszzz` (17 digits, milliseconds).
//!
//! HJ 212 times carry no time zone; in practice they are China local time (UTC+8). This module
//! never reads a clock: callers pass a [`DateTime`] built from plain fields.

use std::fmt;

/// A calendar date and time to the millisecond, without a time zone (China local time).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct DateTime {
    year: u16,
    month: u8,
    day: u8,
    hour: u8,
    minute: u8,
    second: u8,
    millis: u16,
}

/// Why a date-time is not valid.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum TimeError {
    /// Not 14 or 17 ASCII digits.
    #[error("expected 14 (YYYYMMDDhhmmss) or 17 (…zzz) digits")]
    Format,
    /// A field is out of range (month 13, 31 April, hour 24, …).
    #[error("date or time field out of range")]
    Range,
}

const fn is_leap(year: u32) -> bool {
    (year.is_multiple_of(4) && !year.is_multiple_of(100)) || year.is_multiple_of(400)
}

const fn days_in_month(year: u32, month: u32) -> u32 {
    match month {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if is_leap(year) => 29,
        2 => 28,
        _ => 0,
    }
}

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

/// Inverse of [`days_from_civil`].
fn civil_from_days(days: i64) -> (i64, i64, i64) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

impl DateTime {
    /// A validated date-time (years 1..=9999).
    ///
    /// # Errors
    ///
    /// [`TimeError::Range`] if any field is out of range.
    pub const fn new(
        year: u16,
        month: u8,
        day: u8,
        hour: u8,
        minute: u8,
        second: u8,
        millis: u16,
    ) -> Result<Self, TimeError> {
        if year == 0
            || year > 9999
            || month == 0
            || month > 12
            || day == 0
            || day as u32 > days_in_month(year as u32, month as u32)
            || hour > 23
            || minute > 59
            || second > 59
            || millis > 999
        {
            return Err(TimeError::Range);
        }
        Ok(Self {
            year,
            month,
            day,
            hour,
            minute,
            second,
            millis,
        })
    }

    /// Parses `YYYYMMDDhhmmss` or `YYYYMMDDhhmmsszzz`.
    ///
    /// # Errors
    ///
    /// [`TimeError::Format`] for another length or a non-digit; [`TimeError::Range`] for an
    /// impossible date.
    pub fn parse(s: &str) -> Result<Self, TimeError> {
        let b = s.as_bytes();
        if !(b.len() == 14 || b.len() == 17) || !b.iter().all(u8::is_ascii_digit) {
            return Err(TimeError::Format);
        }
        let num = |from: usize, len: usize| -> u16 {
            b.iter()
                .skip(from)
                .take(len)
                .fold(0u16, |acc, d| acc * 10 + u16::from(d - b'0'))
        };
        let narrow = |v: u16| u8::try_from(v).map_err(|_| TimeError::Range);
        let millis = if b.len() == 17 { num(14, 3) } else { 0 };
        Self::new(
            num(0, 4),
            narrow(num(4, 2))?,
            narrow(num(6, 2))?,
            narrow(num(8, 2))?,
            narrow(num(10, 2))?,
            narrow(num(12, 2))?,
            millis,
        )
    }

    /// Year (1..=9999).
    #[must_use]
    pub const fn year(&self) -> u16 {
        self.year
    }
    /// Month (1..=12).
    #[must_use]
    pub const fn month(&self) -> u8 {
        self.month
    }
    /// Day of month (1..=31).
    #[must_use]
    pub const fn day(&self) -> u8 {
        self.day
    }
    /// Hour (0..=23).
    #[must_use]
    pub const fn hour(&self) -> u8 {
        self.hour
    }
    /// Minute (0..=59).
    #[must_use]
    pub const fn minute(&self) -> u8 {
        self.minute
    }
    /// Second (0..=59).
    #[must_use]
    pub const fn second(&self) -> u8 {
        self.second
    }
    /// Millisecond (0..=999).
    #[must_use]
    pub const fn millis(&self) -> u16 {
        self.millis
    }

    /// Milliseconds since 1970-01-01 00:00 *in the same (local) time scale*.
    #[must_use]
    pub fn to_epoch_millis(&self) -> i64 {
        let days = days_from_civil(
            i64::from(self.year),
            i64::from(self.month),
            i64::from(self.day),
        );
        let secs = days * 86_400
            + i64::from(self.hour) * 3600
            + i64::from(self.minute) * 60
            + i64::from(self.second);
        secs * 1000 + i64::from(self.millis)
    }

    /// The inverse of [`DateTime::to_epoch_millis`]; `None` outside years 1..=9999.
    #[must_use]
    pub fn from_epoch_millis(ms: i64) -> Option<Self> {
        let days = ms.div_euclid(86_400_000);
        let rem = ms.rem_euclid(86_400_000);
        let (y, m, d) = civil_from_days(days);
        let secs = rem / 1000;
        Self::new(
            u16::try_from(y).ok()?,
            u8::try_from(m).ok()?,
            u8::try_from(d).ok()?,
            u8::try_from(secs / 3600).ok()?,
            u8::try_from((secs % 3600) / 60).ok()?,
            u8::try_from(secs % 60).ok()?,
            u16::try_from(rem % 1000).ok()?,
        )
        .ok()
    }

    /// This time plus `ms` milliseconds (carrying into seconds, days, months and years).
    #[must_use]
    pub fn add_millis(&self, ms: i64) -> Option<Self> {
        Self::from_epoch_millis(self.to_epoch_millis().checked_add(ms)?)
    }

    /// `YYYYMMDDhhmmss` (CP `DataTime`, `SystemTime`).
    #[must_use]
    pub fn to_n14(&self) -> String {
        format!(
            "{:04}{:02}{:02}{:02}{:02}{:02}",
            self.year, self.month, self.day, self.hour, self.minute, self.second
        )
    }

    /// `YYYYMMDDhhmmsszzz` (the QN form).
    #[must_use]
    pub fn to_qn(&self) -> String {
        format!("{}{:03}", self.to_n14(), self.millis)
    }
}

impl fmt::Display for DateTime {
    /// ISO-8601-like, without a zone: `2016-08-01T08:58:57.223`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:03}",
            self.year, self.month, self.day, self.hour, self.minute, self.second, self.millis
        )
    }
}
