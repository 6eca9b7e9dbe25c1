//! Cycle tasks 周期案件: recurring inspections that create a task on schedule, e.g. "every Monday
//! 08:00 check the night market on road X".
//!
//! A [`CycleRule`] names a place and a [`Schedule`] of local (Asia/Shanghai) dates at a time of
//! day. What happens when a date is not a working day of the [`WorkCalendar`] is the rule's
//! [`NonWorkingDay`] policy: keep it, skip it, or move it to the next working day (a moved
//! occurrence that lands on a date already scheduled is produced once).

use std::collections::BTreeSet;

use chrono::{Datelike, NaiveDate, NaiveTime, Weekday};
use domain::calendar::WorkCalendar;
use domain::time::Timestamp;
use serde::{Deserialize, Serialize};

/// Where the recurring inspection happens.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Place {
    /// A point, WGS-84 degrees.
    Point { lat: f64, lon: f64 },
    /// A road of the city model.
    Road { road_id: String },
    /// A unit grid (or any area) code.
    Grid { code: String },
}

/// Which dates a rule fires on.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Schedule {
    /// On these weekdays of every week.
    Weekly { days: Vec<Weekday> },
    /// On this day of every month (1–31); in shorter months, on the month's last day.
    Monthly { day: u32 },
    /// On `anchor` if it is a working day, else the first working day after it, then every `n`
    /// working days (`n` ≥ 1). Always on working days; the non-working policy does not apply.
    EveryNWorkingDays { n: u32, anchor: NaiveDate },
}

/// What to do with a scheduled date that is not a working day (weekend, holiday; a 调休
/// make-up Saturday is a working day).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum NonWorkingDay {
    /// Fire anyway.
    Keep,
    /// Do not fire that time.
    Skip,
    /// Fire on the next working day instead.
    NextWorkingDay,
}

/// A recurring inspection.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct CycleRule {
    pub id: i64,
    pub title: String,
    /// The matter class of the tasks created.
    pub class_code: String,
    pub place: Place,
    pub schedule: Schedule,
    /// Local time of day the task is created.
    pub time: NaiveTime,
    pub non_working: NonWorkingDay,
}

/// Safety cap on the occurrences one call returns.
pub const MAX_OCCURRENCES: usize = 10_000;

impl CycleRule {
    /// The instants the rule fires at in `(after, until]`, in order, at most
    /// [`MAX_OCCURRENCES`].
    pub fn next_occurrences(
        &self,
        after: Timestamp,
        until: Timestamp,
        calendar: &WorkCalendar,
    ) -> Vec<Timestamp> {
        if until <= after {
            return Vec::new();
        }
        let first = after.to_shanghai().date();
        let last = until.to_shanghai().date();
        let mut dates: BTreeSet<NaiveDate> = BTreeSet::new();
        // A date moved to the next working day may come from up to a few weeks before `first`
        // (long holidays); scan from a margin before.
        let margin_start = first
            .checked_sub_days(chrono::Days::new(40))
            .unwrap_or(first);
        let mut d = match self.schedule {
            Schedule::EveryNWorkingDays { .. } => first,
            _ => margin_start,
        };
        match &self.schedule {
            Schedule::EveryNWorkingDays { n, anchor } => {
                let n = i64::from((*n).max(1));
                let per_day = calendar.minutes_per_workday().max(1);
                let index_of = |date: NaiveDate| {
                    // Working days from the anchor's day up to (excluding) `date`.
                    let a = Timestamp::shanghai_midnight(*anchor);
                    let b = Timestamp::shanghai_midnight(date);
                    calendar.working_minutes_between(a, b) / per_day
                };
                while d <= last && dates.len() <= MAX_OCCURRENCES {
                    if d >= *anchor && calendar.is_working_day(d) && index_of(d) % n == 0 {
                        dates.insert(d);
                    }
                    let Some(next) = d.succ_opt() else { break };
                    d = next;
                }
            }
            Schedule::Weekly { .. } | Schedule::Monthly { .. } => {
                while d <= last && dates.len() <= MAX_OCCURRENCES {
                    if self.scheduled_on(d) {
                        let fire = match self.non_working {
                            NonWorkingDay::Keep => Some(d),
                            NonWorkingDay::Skip => calendar.is_working_day(d).then_some(d),
                            NonWorkingDay::NextWorkingDay => next_working_day(d, calendar),
                        };
                        if let Some(f) = fire {
                            dates.insert(f);
                        }
                    }
                    let Some(next) = d.succ_opt() else { break };
                    d = next;
                }
            }
        }
        dates
            .into_iter()
            .map(|date| Timestamp::from_shanghai(date.and_time(self.time)))
            .filter(|t| *t > after && *t <= until)
            .take(MAX_OCCURRENCES)
            .collect()
    }

    fn scheduled_on(&self, d: NaiveDate) -> bool {
        match &self.schedule {
            Schedule::Weekly { days } => days.contains(&d.weekday()),
            Schedule::Monthly { day } => {
                let last = last_day_of_month(d);
                d.day() == (*day).clamp(1, 31).min(last)
            }
            Schedule::EveryNWorkingDays { .. } => false,
        }
    }
}

fn last_day_of_month(d: NaiveDate) -> u32 {
    let first = d.with_day(1).unwrap_or(d);
    first
        .checked_add_months(chrono::Months::new(1))
        .and_then(|n| n.pred_opt())
        .map_or(28, |l| l.day())
}

/// `d` itself if it is a working day, else the next working day (within a year).
fn next_working_day(d: NaiveDate, calendar: &WorkCalendar) -> Option<NaiveDate> {
    d.iter_days()
        .take(366)
        .find(|x| calendar.is_working_day(*x))
}
