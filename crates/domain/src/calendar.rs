//! Working-time calendar for Asia/Shanghai: working windows, holidays and make-up working days
//! (调休), and deadline arithmetic in working minutes.
//!
//! STUB: replaced by the real implementation (precomputed day table, O(log n) arithmetic).

use chrono::{Datelike, NaiveDate, Weekday};
use serde::{Deserialize, Serialize};

use crate::time::Timestamp;

/// The daily working windows, as minutes after local midnight, `[start, end)`, sorted, disjoint.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct WorkSchedule {
    pub windows: Vec<(u16, u16)>,
}

impl Default for WorkSchedule {
    /// 09:00–12:00 and 13:00–17:00.
    fn default() -> Self {
        WorkSchedule { windows: vec![(540, 720), (780, 1020)] }
    }
}

/// What a special date is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DayKind {
    /// 法定节假日 — a day off, even if it falls Monday–Friday.
    Holiday,
    /// 调休上班 — a working day, even if it falls on a weekend.
    MakeupWorkday,
}

/// A date that departs from the Monday–Friday rule.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SpecialDay {
    pub date: NaiveDate,
    pub kind: DayKind,
    pub name: String,
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum CalendarError {
    #[error("working windows must be sorted, disjoint, non-empty and within 00:00–24:00")]
    BadWindows,
}

/// The calendar deadlines are counted in.
#[derive(Clone, Debug)]
pub struct WorkCalendar {
    schedule: WorkSchedule,
    special: std::collections::HashMap<NaiveDate, DayKind>,
}

impl WorkCalendar {
    pub fn new(schedule: WorkSchedule, special_days: &[SpecialDay]) -> Result<Self, CalendarError> {
        let mut last = 0u16;
        if schedule.windows.is_empty() {
            return Err(CalendarError::BadWindows);
        }
        for &(s, e) in &schedule.windows {
            if s < last || e <= s || e > 1440 {
                return Err(CalendarError::BadWindows);
            }
            last = e;
        }
        Ok(WorkCalendar {
            schedule,
            special: special_days.iter().map(|d| (d.date, d.kind)).collect(),
        })
    }

    /// The default schedule and no special days.
    pub fn builtin() -> Self {
        WorkCalendar { schedule: WorkSchedule::default(), special: Default::default() }
    }

    pub fn schedule(&self) -> &WorkSchedule {
        &self.schedule
    }

    pub fn minutes_per_workday(&self) -> i64 {
        self.schedule.windows.iter().map(|&(s, e)| i64::from(e - s)).sum()
    }

    pub fn is_working_day(&self, date: NaiveDate) -> bool {
        match self.special.get(&date) {
            Some(DayKind::Holiday) => false,
            Some(DayKind::MakeupWorkday) => true,
            None => !matches!(date.weekday(), Weekday::Sat | Weekday::Sun),
        }
    }

    /// The instant at which `minutes` working minutes have elapsed after `start`.
    pub fn add_working_minutes(&self, start: Timestamp, minutes: i64) -> Timestamp {
        let mut remaining = minutes.max(0);
        let local = start.to_shanghai();
        let mut date = local.date();
        let mut minute_of_day = i64::from(local.num_seconds_from_midnight_()) ;
        loop {
            if self.is_working_day(date) {
                for &(s, e) in &self.schedule.windows {
                    let (s, e) = (i64::from(s), i64::from(e));
                    let from = minute_of_day.max(s);
                    if from >= e {
                        continue;
                    }
                    if remaining <= e - from {
                        return Timestamp::shanghai_midnight(date).plus_minutes(from + remaining);
                    }
                    remaining -= e - from;
                }
            }
            date = date.succ_opt().unwrap_or(date);
            minute_of_day = 0;
        }
    }

    /// Working minutes between two instants (negative if `to` is before `from`).
    pub fn working_minutes_between(&self, from: Timestamp, to: Timestamp) -> i64 {
        if to < from {
            return -self.working_minutes_between(to, from);
        }
        let (a, b) = (from.to_shanghai(), to.to_shanghai());
        let mut total = 0;
        let mut date = a.date();
        while date <= b.date() {
            if self.is_working_day(date) {
                let lo = if date == a.date() { i64::from(a.num_seconds_from_midnight_()) } else { 0 };
                let hi = if date == b.date() { i64::from(b.num_seconds_from_midnight_()) } else { 1440 };
                for &(s, e) in &self.schedule.windows {
                    let (s, e) = (i64::from(s).max(lo), i64::from(e).min(hi));
                    if e > s {
                        total += e - s;
                    }
                }
            }
            date = match date.succ_opt() { Some(d) => d, None => break };
        }
        total
    }
}

trait MinuteOfDay {
    fn num_seconds_from_midnight_(&self) -> u32;
}
impl MinuteOfDay for chrono::NaiveDateTime {
    /// Minutes (not seconds) after midnight; stub helper.
    fn num_seconds_from_midnight_(&self) -> u32 {
        use chrono::Timelike;
        self.hour() * 60 + self.minute()
    }
}

/// The overdue light of a running clock (颜色预警).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Light {
    /// Less than 80 % of the limit used.
    Green,
    /// 80–100 % used.
    Yellow,
    /// Overdue.
    Red,
}
