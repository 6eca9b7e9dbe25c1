//! Tests of the working-time calendar: fixed cases (weekends, lunch break, window ends,
//! holidays and 调休, year boundaries, custom schedules, out-of-table dates, extreme inputs),
//! the built-in holiday data, CSV parsing, lights, and property tests against a brute-force
//! minute-walking reference.

use std::collections::HashMap;

use chrono::{Datelike, NaiveDate, Weekday};
use proptest::prelude::*;

use super::*;

fn date(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).unwrap()
}

/// Shanghai local date and time with seconds.
fn at_s(y: i32, mo: u32, d: u32, h: u32, mi: u32, s: u32) -> Timestamp {
    Timestamp::from_shanghai(date(y, mo, d).and_hms_opt(h, mi, s).unwrap())
}

/// Shanghai local date and time.
fn at(y: i32, mo: u32, d: u32, h: u32, mi: u32) -> Timestamp {
    at_s(y, mo, d, h, mi, 0)
}

fn cal() -> WorkCalendar {
    WorkCalendar::builtin()
}

fn plain(windows: &[(u16, u16)]) -> WorkCalendar {
    WorkCalendar::new(
        WorkSchedule {
            windows: windows.to_vec(),
        },
        &[],
    )
    .unwrap()
}

fn special(y: i32, m: u32, d: u32, kind: DayKind) -> SpecialDay {
    SpecialDay {
        date: date(y, m, d),
        kind,
        name: String::new(),
    }
}

// ----- brute-force reference: walks minute by minute -----

/// An independent model: a chrono weekday check, a hash map of special days, and a walk over
/// whole clock minutes (windows are whole minutes, so a partial minute is either all working
/// or not working at all).
struct Reference {
    windows: Vec<(u16, u16)>,
    special: HashMap<NaiveDate, DayKind>,
}

impl Reference {
    fn new(windows: &[(u16, u16)], special: &[SpecialDay]) -> Self {
        Reference {
            windows: windows.to_vec(),
            special: special.iter().map(|d| (d.date, d.kind)).collect(),
        }
    }

    fn working_day(&self, date: NaiveDate) -> bool {
        match self.special.get(&date) {
            Some(DayKind::Holiday) => false,
            Some(DayKind::MakeupWorkday) => true,
            None => !matches!(date.weekday(), Weekday::Sat | Weekday::Sun),
        }
    }

    /// Whether the clock runs during the UTC minute `minute` (minutes since the epoch).
    fn running(&self, minute: i64) -> bool {
        let local = minute + 8 * 60;
        let day = local.div_euclid(1440);
        let tod = local.rem_euclid(1440);
        let date =
            NaiveDate::from_num_days_from_ce_opt(i32::try_from(day + 719_163).unwrap()).unwrap();
        self.working_day(date)
            && self
                .windows
                .iter()
                .any(|&(s, e)| tod >= i64::from(s) && tod < i64::from(e))
    }

    fn add(&self, start: Timestamp, minutes: i64) -> Timestamp {
        let mut t = start.0;
        let mut remaining = minutes.max(0) * 60_000;
        loop {
            let minute = t.div_euclid(60_000);
            let boundary = (minute + 1) * 60_000;
            if self.running(minute) {
                if remaining == 0 {
                    return Timestamp(t);
                }
                let segment = boundary - t;
                if remaining <= segment {
                    return Timestamp(t + remaining);
                }
                remaining -= segment;
            }
            t = boundary;
        }
    }

    fn between(&self, from: Timestamp, to: Timestamp) -> i64 {
        if to < from {
            return -self.between(to, from);
        }
        let mut t = from.0;
        let mut worked = 0;
        while t < to.0 {
            let minute = t.div_euclid(60_000);
            let next = ((minute + 1) * 60_000).min(to.0);
            if self.running(minute) {
                worked += next - t;
            }
            t = next;
        }
        worked / 60_000
    }
}

// ----- basics -----

#[test]
fn default_schedule() {
    let c = cal();
    assert_eq!(c.schedule(), &WorkSchedule::default());
    assert_eq!(c.schedule().windows, vec![(540, 720), (780, 1020)]);
    assert_eq!(c.minutes_per_workday(), 420);
}

#[test]
fn constants_match_chrono() {
    assert_eq!(date_to_unix_day(date(1970, 1, 1)), 0);
    assert_eq!(date_to_unix_day(date(2000, 1, 1)), TABLE_FIRST_DAY);
    assert_eq!(date_to_unix_day(date(2101, 1, 1)), TABLE_END_DAY);
    assert_eq!(date_to_unix_day(date(1900, 1, 1)), SPECIAL_FIRST_DAY);
    assert_eq!(date_to_unix_day(date(2201, 1, 1)), SPECIAL_END_DAY);
    assert_eq!(date(1970, 1, 5).weekday(), Weekday::Mon);
    assert_eq!(
        WorkCalendar::MIN_INSTANT,
        Timestamp::shanghai_midnight(date(1, 1, 1))
    );
    assert_eq!(
        WorkCalendar::MAX_INSTANT,
        Timestamp(Timestamp::shanghai_midnight(date(9999, 12, 31)).0 + DAY_MS - 1)
    );
    assert_eq!(unix_day_to_date(0), Some(date(1970, 1, 1)));
    for day in -800..800 {
        let d = unix_day_to_date(day).unwrap();
        assert_eq!(
            is_monday_to_friday(day),
            !matches!(d.weekday(), Weekday::Sat | Weekday::Sun)
        );
        assert_eq!(
            weekdays_before(day + 1) - weekdays_before(day),
            i64::from(is_monday_to_friday(day))
        );
    }
}

#[test]
fn weekend_is_skipped() {
    let c = cal();
    // Friday 2026-03-06 16:00 + 2 h → Monday 2026-03-09 10:00.
    assert_eq!(
        c.add_working_minutes(at(2026, 3, 6, 16, 0), 120),
        at(2026, 3, 9, 10, 0)
    );
    assert!(!c.is_working_day(date(2026, 3, 7)));
    assert!(!c.is_working_day(date(2026, 3, 8)));
    assert!(c.is_working_day(date(2026, 3, 9)));
    // Saturday start snaps to Monday 09:00.
    assert_eq!(
        c.add_working_minutes(at(2026, 3, 7, 10, 0), 0),
        at(2026, 3, 9, 9, 0)
    );
    assert_eq!(
        c.working_minutes_between(at(2026, 3, 6, 16, 0), at(2026, 3, 9, 10, 0)),
        120
    );
}

#[test]
fn lunch_break_is_skipped() {
    let c = cal();
    assert_eq!(
        c.add_working_minutes(at(2026, 3, 10, 11, 30), 60),
        at(2026, 3, 10, 13, 30)
    );
    assert_eq!(
        c.working_minutes_between(at(2026, 3, 10, 11, 30), at(2026, 3, 10, 13, 30)),
        60
    );
    // Lunch-time start snaps to 13:00.
    assert_eq!(
        c.add_working_minutes(at(2026, 3, 10, 12, 15), 30),
        at(2026, 3, 10, 13, 30)
    );
    assert_eq!(
        c.working_minutes_between(at(2026, 3, 10, 12, 0), at(2026, 3, 10, 13, 0)),
        0
    );
}

#[test]
fn start_before_and_after_windows() {
    let c = cal();
    assert_eq!(
        c.add_working_minutes(at(2026, 3, 10, 7, 0), 30),
        at(2026, 3, 10, 9, 30)
    );
    assert_eq!(
        c.add_working_minutes(at(2026, 3, 10, 0, 0), 0),
        at(2026, 3, 10, 9, 0)
    );
    assert_eq!(
        c.add_working_minutes(at(2026, 3, 10, 18, 0), 0),
        at(2026, 3, 11, 9, 0)
    );
    assert_eq!(
        c.add_working_minutes(at(2026, 3, 10, 23, 59), 45),
        at(2026, 3, 11, 9, 45)
    );
    // Inside a window, 0 minutes is the start itself; window start is inclusive.
    assert_eq!(
        c.add_working_minutes(at(2026, 3, 10, 10, 17), 0),
        at(2026, 3, 10, 10, 17)
    );
    assert_eq!(
        c.add_working_minutes(at(2026, 3, 10, 9, 0), 0),
        at(2026, 3, 10, 9, 0)
    );
    // A window end is exclusive: snapping from 12:00 goes to 13:00, from 17:00 to tomorrow.
    assert_eq!(
        c.add_working_minutes(at(2026, 3, 10, 12, 0), 0),
        at(2026, 3, 10, 13, 0)
    );
    assert_eq!(
        c.add_working_minutes(at(2026, 3, 10, 17, 0), 0),
        at(2026, 3, 11, 9, 0)
    );
    assert!(c.is_working_time(at(2026, 3, 10, 9, 0)));
    assert!(!c.is_working_time(at(2026, 3, 10, 12, 0)));
    assert!(!c.is_working_time(at(2026, 3, 10, 17, 0)));
    assert!(!c.is_working_time(at(2026, 3, 7, 10, 0)));
}

#[test]
fn ending_exactly_at_a_window_end() {
    let c = cal();
    assert_eq!(
        c.add_working_minutes(at(2026, 3, 10, 9, 0), 180),
        at(2026, 3, 10, 12, 0)
    );
    assert_eq!(
        c.add_working_minutes(at(2026, 3, 10, 9, 0), 181),
        at(2026, 3, 10, 13, 1)
    );
    assert_eq!(
        c.add_working_minutes(at(2026, 3, 10, 9, 0), 420),
        at(2026, 3, 10, 17, 0)
    );
    assert_eq!(
        c.add_working_minutes(at(2026, 3, 10, 13, 0), 240),
        at(2026, 3, 10, 17, 0)
    );
    // Friday: 17:00 on Friday, not Monday 09:00.
    assert_eq!(
        c.add_working_minutes(at(2026, 3, 13, 16, 0), 60),
        at(2026, 3, 13, 17, 0)
    );
    // From a snapped start: Saturday + 1 working day = Monday 17:00.
    assert_eq!(
        c.add_working_minutes(at(2026, 3, 7, 8, 0), 420),
        at(2026, 3, 9, 17, 0)
    );
}

#[test]
fn sub_minute_precision() {
    let c = cal();
    assert_eq!(
        c.add_working_minutes(at_s(2026, 3, 10, 9, 0, 30), 1),
        at_s(2026, 3, 10, 9, 1, 30)
    );
    let start = Timestamp(at_s(2026, 3, 10, 11, 59, 30).0 + 250);
    assert_eq!(
        c.add_working_minutes(start, 1),
        Timestamp(at_s(2026, 3, 10, 13, 0, 30).0 + 250)
    );
    assert_eq!(c.add_working_minutes(start, 0), start);
    // Truncation toward zero.
    assert_eq!(
        c.working_minutes_between(at_s(2026, 3, 10, 9, 0, 30), at_s(2026, 3, 10, 9, 1, 29)),
        0
    );
    assert_eq!(
        c.working_minutes_between(at_s(2026, 3, 10, 9, 0, 30), at_s(2026, 3, 10, 9, 1, 30)),
        1
    );
    assert_eq!(
        c.working_minutes_between(at_s(2026, 3, 10, 9, 1, 29), at_s(2026, 3, 10, 9, 0, 30)),
        0
    );
    assert_eq!(
        c.working_millis_between(at_s(2026, 3, 10, 9, 0, 30), at_s(2026, 3, 10, 9, 1, 29)),
        59_000
    );
    // A sub-minute start outside a window snaps to the window start.
    assert_eq!(
        c.add_working_minutes(at_s(2026, 3, 10, 8, 59, 59), 0),
        at(2026, 3, 10, 9, 0)
    );
}

#[test]
fn negative_minutes_count_as_zero() {
    let c = cal();
    assert_eq!(
        c.add_working_minutes(at(2026, 3, 10, 10, 0), -30),
        at(2026, 3, 10, 10, 0)
    );
    assert_eq!(
        c.add_working_minutes(at(2026, 3, 10, 18, 0), i64::MIN),
        at(2026, 3, 11, 9, 0)
    );
}

#[test]
fn spring_festival_2026() {
    let c = cal();
    // 2026 春节: 2-15 (Sun) .. 2-23 (Mon) off; 2-14 (Sat) and 2-28 (Sat) are 调休 working days.
    assert!(c.is_working_day(date(2026, 2, 13)));
    assert!(c.is_working_day(date(2026, 2, 14)));
    for d in 15..=23 {
        assert!(!c.is_working_day(date(2026, 2, d)), "2026-02-{d}");
    }
    assert!(c.is_working_day(date(2026, 2, 24)));
    assert!(c.is_working_day(date(2026, 2, 28)));
    assert_eq!(c.special_day(date(2026, 2, 17)).unwrap().name, "春节");
    assert_eq!(
        c.special_day(date(2026, 2, 28)).unwrap().kind,
        DayKind::MakeupWorkday
    );
    // Friday 16:00 + 2 h → the make-up Saturday 10:00.
    assert_eq!(
        c.add_working_minutes(at(2026, 2, 13, 16, 0), 120),
        at(2026, 2, 14, 10, 0)
    );
    // Make-up Saturday 16:00 + 2 h → Tuesday 2-24 10:00, across the nine days off.
    assert_eq!(
        c.add_working_minutes(at(2026, 2, 14, 16, 0), 120),
        at(2026, 2, 24, 10, 0)
    );
    assert_eq!(
        c.working_minutes_between(at(2026, 2, 14, 16, 0), at(2026, 2, 24, 10, 0)),
        120
    );
}

#[test]
fn national_day_2026_and_2025() {
    let c = cal();
    // 2026 国庆: 10-1..10-7 off, 9-20 (Sun) and 10-10 (Sat) worked.
    assert_eq!(
        c.add_working_minutes(at(2026, 9, 30, 16, 0), 120),
        at(2026, 10, 8, 10, 0)
    );
    assert!(c.is_working_day(date(2026, 9, 20)));
    assert!(c.is_working_day(date(2026, 10, 10)));
    assert!(!c.is_working_day(date(2026, 10, 11)));
    // 2026 中秋 9-25 (Fri) is off.
    assert!(!c.is_working_day(date(2026, 9, 25)));
    assert_eq!(
        c.add_working_minutes(at(2026, 9, 24, 17, 0), 1),
        at(2026, 9, 28, 9, 1)
    );
    // 2025 国庆、中秋: 10-1..10-8 off, 9-28 (Sun) and 10-11 (Sat) worked.
    assert_eq!(
        c.add_working_minutes(at(2025, 9, 28, 16, 0), 120),
        at(2025, 9, 29, 10, 0)
    );
    assert_eq!(
        c.add_working_minutes(at(2025, 9, 30, 16, 0), 120),
        at(2025, 10, 9, 10, 0)
    );
    assert!(c.is_working_day(date(2025, 10, 11)));
}

#[test]
fn makeup_saturdays_and_sundays() {
    let c = cal();
    for d in [
        date(2024, 2, 4),
        date(2024, 2, 18),
        date(2024, 4, 7),
        date(2024, 4, 28),
        date(2024, 5, 11),
        date(2024, 9, 14),
        date(2024, 9, 29),
        date(2024, 10, 12),
        date(2025, 1, 26),
        date(2025, 2, 8),
        date(2025, 4, 27),
        date(2025, 9, 28),
        date(2025, 10, 11),
        date(2026, 1, 4),
        date(2026, 2, 14),
        date(2026, 2, 28),
        date(2026, 5, 9),
        date(2026, 9, 20),
        date(2026, 10, 10),
    ] {
        assert!(
            matches!(d.weekday(), Weekday::Sat | Weekday::Sun),
            "{d} is a weekend day"
        );
        assert!(c.is_working_day(d), "{d} is a make-up working day");
        let t = Timestamp::shanghai_midnight(d);
        assert_eq!(
            c.add_working_minutes(t, 60),
            Timestamp(t.0 + 10 * 3_600_000)
        );
    }
    // An ordinary Saturday stays off.
    assert!(!c.is_working_day(date(2026, 5, 16)));
}

#[test]
fn year_boundaries() {
    let c = cal();
    // 2024-12-31 (Tue) → 2025-01-01 (Wed, 元旦) off → 2025-01-02.
    assert_eq!(
        c.add_working_minutes(at(2024, 12, 31, 16, 0), 120),
        at(2025, 1, 2, 10, 0)
    );
    // 2025-12-31 (Wed) → 2026-01-01..03 off → 2026-01-04 (Sun, 调休) worked.
    assert_eq!(
        c.add_working_minutes(at(2025, 12, 31, 16, 0), 120),
        at(2026, 1, 4, 10, 0)
    );
    // 2026-12-31 (Thu) → 2027-01-01 (Fri): no 2027 data, so an ordinary Friday.
    assert_eq!(
        c.add_working_minutes(at(2026, 12, 31, 16, 30), 60),
        at(2027, 1, 1, 9, 30)
    );
    assert_eq!(
        c.working_minutes_between(at(2025, 12, 31, 9, 0), at(2026, 1, 5, 9, 0)),
        840
    );
}

#[test]
fn multi_week_spans() {
    let c = cal();
    // Two holiday-free weeks: Mon 2026-03-02 09:00 + 10 working days → Fri 2026-03-13 17:00.
    assert_eq!(
        c.add_working_minutes(at(2026, 3, 2, 9, 0), 420 * 10),
        at(2026, 3, 13, 17, 0)
    );
    assert_eq!(
        c.working_minutes_between(at(2026, 3, 2, 9, 0), at(2026, 3, 13, 17, 0)),
        4200
    );
    // 15 working days (违法搭建 处置时限) from Mon 2026-04-27 10:00 across 劳动节 (5-1..5-5 off,
    // 5-9 Sat worked): 4-28..4-30 (3 days), 5-6..5-9 (4), 5-11..5-15 (5), 5-18..5-20 (3).
    assert_eq!(
        c.add_working_minutes(at(2026, 4, 27, 10, 0), 420 * 15),
        at(2026, 5, 20, 10, 0)
    );
    // A whole year of 2026: 365 days − 104 weekend days − holidays on weekdays + 调休.
    let days_2026 = (0..365)
        .filter(|&i| c.is_working_day(date(2026, 1, 1) + chrono::Days::new(i)))
        .count() as i64;
    assert_eq!(
        c.working_minutes_between(
            Timestamp::shanghai_midnight(date(2026, 1, 1)),
            Timestamp::shanghai_midnight(date(2027, 1, 1))
        ),
        days_2026 * 420
    );
    // 2026: 261 weekdays, minus the holidays falling on weekdays, plus 6 调休 days.
    let weekday_holidays = c
        .special_days()
        .iter()
        .filter(|d| d.date.year() == 2026 && d.kind == DayKind::Holiday)
        .filter(|d| !matches!(d.date.weekday(), Weekday::Sat | Weekday::Sun))
        .count() as i64;
    assert_eq!(days_2026, 261 - weekday_holidays + 6);
}

#[test]
fn custom_schedules() {
    // One long window 08:00–18:00.
    let c = plain(&[(480, 1080)]);
    assert_eq!(c.minutes_per_workday(), 600);
    assert_eq!(
        c.add_working_minutes(at(2026, 3, 10, 17, 0), 120),
        at(2026, 3, 11, 9, 0)
    );
    // No holidays in a custom calendar without special days: 2026-10-01 is a Thursday.
    assert!(c.is_working_day(date(2026, 10, 1)));
    // Round the clock on working days.
    let c = plain(&[(0, 1440)]);
    assert_eq!(
        c.add_working_minutes(at(2026, 3, 13, 23, 0), 120),
        at(2026, 3, 16, 1, 0)
    );
    assert_eq!(
        c.add_working_minutes(at(2026, 3, 13, 23, 0), 60),
        at(2026, 3, 14, 0, 0)
    );
    assert_eq!(
        c.add_working_minutes(at(2026, 3, 16, 0, 0), 0),
        at(2026, 3, 16, 0, 0)
    );
    // Adjacent windows behave as one.
    let c = plain(&[(540, 720), (720, 780)]);
    assert_eq!(
        c.add_working_minutes(at(2026, 3, 10, 12, 0), 0),
        at(2026, 3, 10, 12, 0)
    );
    assert_eq!(
        c.add_working_minutes(at(2026, 3, 10, 11, 0), 120),
        at(2026, 3, 10, 13, 0)
    );
    // Three windows with custom special days.
    let c = WorkCalendar::new(
        WorkSchedule {
            windows: vec![(480, 600), (630, 720), (840, 1080)],
        },
        &[
            special(2030, 6, 3, DayKind::Holiday),
            special(2030, 6, 8, DayKind::MakeupWorkday),
        ],
    )
    .unwrap();
    assert_eq!(c.minutes_per_workday(), 450);
    assert_eq!(
        c.add_working_minutes(at(2030, 5, 31, 17, 30), 60),
        at(2030, 6, 4, 8, 30)
    );
    assert_eq!(
        c.add_working_minutes(at(2030, 6, 7, 17, 30), 60),
        at(2030, 6, 8, 8, 30)
    );
    assert_eq!(
        c.add_working_minutes(at(2030, 6, 4, 9, 50), 20),
        at(2030, 6, 4, 10, 40)
    );
}

#[test]
fn bad_windows_are_rejected() {
    for windows in [
        vec![],
        vec![(540, 540)],
        vec![(600, 540)],
        vec![(540, 720), (700, 800)],
        vec![(780, 1020), (540, 720)],
        vec![(0, 1441)],
    ] {
        assert_eq!(
            WorkCalendar::new(WorkSchedule { windows }, &[]).err(),
            Some(CalendarError::BadWindows)
        );
    }
}

#[test]
fn special_day_validation() {
    let s = WorkSchedule::default();
    assert_eq!(
        WorkCalendar::new(
            s.clone(),
            &[
                special(2026, 1, 1, DayKind::Holiday),
                special(2026, 1, 1, DayKind::MakeupWorkday)
            ]
        )
        .err(),
        Some(CalendarError::ConflictingSpecialDay {
            date: date(2026, 1, 1)
        })
    );
    assert_eq!(
        WorkCalendar::new(s.clone(), &[special(2201, 1, 1, DayKind::Holiday)]).err(),
        Some(CalendarError::SpecialDayOutOfRange {
            date: date(2201, 1, 1)
        })
    );
    assert_eq!(
        WorkCalendar::new(s.clone(), &[special(1899, 12, 31, DayKind::Holiday)]).err(),
        Some(CalendarError::SpecialDayOutOfRange {
            date: date(1899, 12, 31)
        })
    );
    // Identical duplicates are accepted once; unsorted input is fine.
    let c = WorkCalendar::new(
        s,
        &[
            special(2026, 1, 2, DayKind::Holiday),
            special(2026, 1, 1, DayKind::Holiday),
            special(2026, 1, 2, DayKind::Holiday),
        ],
    )
    .unwrap();
    assert_eq!(c.special_days().len(), 2);
    assert_eq!(c.special_days()[0].date, date(2026, 1, 1));
}

#[test]
fn table_extends_to_far_special_days() {
    let days = [
        special(1900, 1, 1, DayKind::Holiday),
        special(2200, 12, 27, DayKind::MakeupWorkday),
    ];
    let c = WorkCalendar::new(WorkSchedule::default(), &days).unwrap();
    assert!(!c.is_working_day(date(1900, 1, 1)));
    assert!(c.is_working_day(date(2200, 12, 27)));
    let r = Reference::new(&WorkSchedule::default().windows, &days);
    for start in [
        at(1899, 12, 29, 16, 0),
        at(2200, 12, 26, 16, 30),
        at(2150, 3, 3, 10, 0),
    ] {
        for m in [0, 1, 59, 420, 2000] {
            assert_eq!(c.add_working_minutes(start, m), r.add(start, m));
        }
    }
}

#[test]
fn outside_the_table() {
    let c = cal();
    // Before 2000 and after 2100: plain Monday–Friday weeks.
    assert_eq!(
        c.add_working_minutes(at(1999, 12, 31, 16, 0), 120),
        at(2000, 1, 3, 10, 0)
    );
    assert_eq!(
        c.add_working_minutes(at(2100, 12, 31, 16, 0), 120),
        at(2101, 1, 3, 10, 0)
    );
    assert_eq!(
        c.add_working_minutes(at(1950, 6, 1, 9, 0), 420 * 5),
        at(1950, 6, 7, 17, 0)
    );
    assert_eq!(
        c.working_minutes_between(at(1999, 12, 31, 16, 0), at(2101, 1, 3, 10, 0)),
        c.working_minutes_between(at(1999, 12, 31, 16, 0), at(2050, 1, 1, 0, 0))
            + c.working_minutes_between(at(2050, 1, 1, 0, 0), at(2101, 1, 3, 10, 0))
    );
    assert!(c.is_working_day(date(3000, 1, 1)));
    assert!(!c.is_working_day(date(3000, 1, 4)));
    let r = Reference::new(&WorkSchedule::default().windows, &[]);
    for start in [
        at(1999, 12, 30, 11, 0),
        at(2100, 12, 30, 11, 0),
        at(2500, 7, 4, 12, 30),
        at(1800, 2, 28, 18, 0),
    ] {
        for m in [0, 1, 180, 181, 420, 3000] {
            assert_eq!(
                c.add_working_minutes(start, m),
                r.add(start, m),
                "{start:?} {m}"
            );
        }
    }
}

#[test]
fn extreme_inputs_do_not_panic() {
    let c = cal();
    let far = [
        Timestamp(i64::MIN),
        Timestamp(i64::MAX),
        WorkCalendar::MIN_INSTANT,
        WorkCalendar::MAX_INSTANT,
        Timestamp(0),
    ];
    for &t in &far {
        for m in [i64::MIN, -1, 0, 1, 1_000_000_000, i64::MAX] {
            let r = c.add_working_minutes(t, m);
            assert!(r >= WorkCalendar::MIN_INSTANT && r <= WorkCalendar::MAX_INSTANT);
        }
        for &u in &far {
            let _ = c.working_minutes_between(t, u);
        }
    }
    assert_eq!(
        c.add_working_minutes(at(2026, 1, 5, 9, 0), i64::MAX),
        WorkCalendar::MAX_INSTANT
    );
    assert!(c.working_minutes_between(Timestamp(i64::MIN), Timestamp(i64::MAX)) > 0);
    // Far-but-valid: 1,000 years of working minutes.
    let start = at(2026, 1, 5, 9, 0);
    let end = c.add_working_minutes(start, 420 * 261 * 1000);
    assert_eq!(c.working_minutes_between(start, end), 420 * 261 * 1000);
}

// ----- built-in data and CSV -----

#[test]
fn builtin_data_is_valid() {
    let days = parse_special_days_csv(BUILTIN_HOLIDAYS_CSV).unwrap();
    WorkCalendar::new(WorkSchedule::default(), &days).unwrap();
    let c = WorkCalendar::builtin();
    assert_eq!(c.special_days().len(), days.len());
    for year in 2024..=2026 {
        let holidays = days
            .iter()
            .filter(|d| d.date.year() == year && d.kind == DayKind::Holiday)
            .count();
        let makeups: Vec<_> = days
            .iter()
            .filter(|d| d.date.year() == year && d.kind == DayKind::MakeupWorkday)
            .collect();
        // Holiday dates listed per the notices: 2024 1+8+3+5+1+3+7, 2025 1+8+3+5+3+8,
        // 2026 3+9+3+5+3+3+7.
        let (want_holidays, want_makeups) = match year {
            2024 => (28, 8),
            2025 => (28, 5),
            _ => (33, 6),
        };
        assert_eq!(holidays, want_holidays, "{year} holidays");
        assert_eq!(makeups.len(), want_makeups, "{year} make-up days");
        for d in makeups {
            assert!(matches!(d.date.weekday(), Weekday::Sat | Weekday::Sun));
        }
    }
    // Every entry has a name.
    assert!(days.iter().all(|d| !d.name.is_empty()));
    // 2025 is the first year with 春节 and 劳动节 each one day longer: 8 and 5 days.
    let count = |year: i32, name: &str| {
        days.iter()
            .filter(|d| d.date.year() == year && d.kind == DayKind::Holiday && d.name == name)
            .count()
    };
    assert_eq!(count(2025, "春节"), 8);
    assert_eq!(count(2026, "春节"), 9);
    assert_eq!(count(2025, "劳动节"), 5);
}

#[test]
fn csv_parsing() {
    let text = "\u{feff}date,kind,name\n# comment\n\n2026-01-01,holiday,元旦\n 2026-01-04 , MAKEUP_WORKDAY , 元旦 \n2026-05-01,holiday\n\"2026-10-01\",holiday,\"国庆节, 中秋节\"\n";
    let days = parse_special_days_csv(text).unwrap();
    assert_eq!(
        days,
        vec![
            SpecialDay {
                date: date(2026, 1, 1),
                kind: DayKind::Holiday,
                name: "元旦".into()
            },
            SpecialDay {
                date: date(2026, 1, 4),
                kind: DayKind::MakeupWorkday,
                name: "元旦".into()
            },
            SpecialDay {
                date: date(2026, 5, 1),
                kind: DayKind::Holiday,
                name: String::new()
            },
            SpecialDay {
                date: date(2026, 10, 1),
                kind: DayKind::Holiday,
                name: "国庆节, 中秋节".into()
            },
        ]
    );
    assert_eq!(parse_special_days_csv(""), Ok(vec![]));
    assert_eq!(
        parse_special_days_csv("2026-01-01,holiday,元旦")
            .unwrap()
            .len(),
        1
    );
}

#[test]
fn csv_errors_carry_line_numbers() {
    let line_of = |text: &str| match parse_special_days_csv(text) {
        Err(CalendarError::Csv { line, message }) => {
            assert!(!message.is_empty());
            line
        }
        other => panic!("expected a CSV error, got {other:?}"),
    };
    assert_eq!(
        line_of("date,kind,name\n2026-01-01,holiday,x\n2026-13-01,holiday,x\n"),
        3
    );
    assert_eq!(
        line_of("2026-01-01,holiday,x\n# c\n2026-01-02,vacation,x\n"),
        3
    );
    assert_eq!(line_of("2026-01-01\n"), 1);
    assert_eq!(line_of("2026-01-01,holiday,x,extra\n"), 1);
    assert_eq!(line_of("2026/01/01,holiday,x\n"), 1);
    assert_eq!(
        line_of("2026-01-01,holiday,a\n2026-01-02,holiday,b\n2026-01-01,holiday,c\n"),
        3
    );
    // A header is only accepted as the first record.
    assert_eq!(line_of("2026-01-01,holiday,x\ndate,kind,name\n"), 2);
    let err = parse_special_days_csv("x\n2026-02-30,holiday,x\n").unwrap_err();
    assert!(err.to_string().contains("line 1"), "{err}");
}

// ----- lights -----

#[test]
fn light_bands() {
    assert_eq!(light(0, 100), Light::Green);
    assert_eq!(light(79, 100), Light::Green);
    assert_eq!(light(80, 100), Light::Yellow);
    assert_eq!(light(100, 100), Light::Yellow);
    assert_eq!(light(101, 100), Light::Red);
    assert_eq!(light(-5, 100), Light::Green);
    // Limit 0: due now (yellow) until anything is used, then red.
    assert_eq!(light(0, 0), Light::Yellow);
    assert_eq!(light(1, 0), Light::Red);
    assert_eq!(light(0, -3), Light::Yellow);
    assert_eq!(yellow_threshold_minutes(0), 0);
    assert_eq!(yellow_threshold_minutes(-7), 0);
    assert_eq!(yellow_threshold_minutes(1), 1);
    assert_eq!(yellow_threshold_minutes(4), 4);
    assert_eq!(yellow_threshold_minutes(5), 4);
    assert_eq!(yellow_threshold_minutes(11), 9);
    assert_eq!(yellow_threshold_minutes(420), 336);
    assert_eq!(yellow_threshold_minutes(i64::MAX), i64::MAX - i64::MAX / 5);
    assert_eq!(light(i64::MAX, i64::MAX), Light::Yellow);
}

#[test]
fn light_and_threshold_agree() {
    for limit in 0..=1000_i64 {
        let th = yellow_threshold_minutes(limit);
        assert!(th <= limit);
        for used in -2..=limit + 2 {
            let want = if used > limit {
                Light::Red
            } else if 5 * used.max(0) >= 4 * limit {
                Light::Yellow
            } else {
                Light::Green
            };
            assert_eq!(light(used, limit), want, "used {used} limit {limit}");
        }
        if th > 0 {
            assert_eq!(light(th - 1, limit), Light::Green);
        }
        assert_eq!(light(th, limit), Light::Yellow);
    }
}

#[test]
fn light_at_matches_precomputed_instants() {
    let c = cal();
    let start = at_s(2026, 2, 13, 16, 20, 30);
    for limit in [1, 4, 5, 60, 420, 2100] {
        let yellow = c.add_working_minutes(start, yellow_threshold_minutes(limit));
        let deadline = c.add_working_minutes(start, limit);
        let before = Timestamp(yellow.0 - 1);
        assert_eq!(c.light_at(start, limit, before), Light::Green, "{limit}");
        assert_eq!(c.light_at(start, limit, yellow), Light::Yellow, "{limit}");
        assert_eq!(c.light_at(start, limit, deadline), Light::Yellow, "{limit}");
        assert_eq!(
            c.light_at(start, limit, Timestamp(deadline.0 + 1)),
            Light::Red,
            "{limit}"
        );
        // Whole-minute lights agree at the precomputed instants.
        assert_eq!(
            light(c.working_minutes_between(start, yellow), limit),
            Light::Yellow
        );
        assert_eq!(
            light(c.working_minutes_between(start, before), limit),
            Light::Green
        );
    }
    assert_eq!(c.light_at(start, 0, start), Light::Yellow);
}

// ----- properties -----

fn builtin_special() -> Vec<SpecialDay> {
    parse_special_days_csv(BUILTIN_HOLIDAYS_CSV).unwrap()
}

/// Instants from 2023-12-01 to 2027-02-01 at millisecond resolution.
fn instant() -> impl Strategy<Value = Timestamp> {
    (at(2023, 12, 1, 0, 0).0..at(2027, 2, 1, 0, 0).0).prop_map(Timestamp)
}

/// Instants on whole minutes.
fn minute_instant() -> impl Strategy<Value = Timestamp> {
    instant().prop_map(|t| Timestamp(t.0 - t.0.rem_euclid(60_000)))
}

/// 1–3 sorted disjoint windows.
fn windows() -> impl Strategy<Value = Vec<(u16, u16)>> {
    proptest::collection::btree_set(0u16..=1440, 2..=6).prop_map(|set| {
        let bounds: Vec<u16> = set.into_iter().collect();
        bounds.chunks_exact(2).map(|p| (p[0], p[1])).collect()
    })
}

/// Random special days in 2024–2026.
fn special_days() -> impl Strategy<Value = Vec<SpecialDay>> {
    proptest::collection::btree_map(0u64..1096, any::<bool>(), 0..60).prop_map(|map| {
        map.into_iter()
            .map(|(offset, holiday)| SpecialDay {
                date: date(2024, 1, 1) + chrono::Days::new(offset),
                kind: if holiday {
                    DayKind::Holiday
                } else {
                    DayKind::MakeupWorkday
                },
                name: String::new(),
            })
            .collect()
    })
}

proptest! {
    #[test]
    fn between_inverts_add(start in instant(), m in 0i64..20_000) {
        let c = cal();
        let end = c.add_working_minutes(start, m);
        prop_assert!(end >= start);
        prop_assert_eq!(c.working_minutes_between(start, end), m);
        prop_assert_eq!(c.working_minutes_between(end, start), -m);
        prop_assert_eq!(c.working_millis_between(start, end), m * 60_000);
    }

    #[test]
    fn add_is_the_earliest_instant(start in instant(), m in 1i64..5_000, probe in instant()) {
        // between(start, t) >= m  ⇔  t >= add(start, m)
        let c = cal();
        let end = c.add_working_minutes(start, m);
        prop_assert_eq!(c.working_minutes_between(start, probe) >= m, probe >= end);
        prop_assert!(c.working_minutes_between(start, Timestamp(end.0 - 1)) < m);
    }

    #[test]
    fn between_is_additive(a in instant(), b in instant(), d in instant()) {
        let c = cal();
        prop_assert_eq!(
            c.working_millis_between(a, b) + c.working_millis_between(b, d),
            c.working_millis_between(a, d)
        );
        prop_assert_eq!(c.working_minutes_between(a, b), -c.working_minutes_between(b, a));
    }

    #[test]
    fn between_minutes_is_additive_on_whole_minutes(
        a in minute_instant(), b in minute_instant(), d in minute_instant()
    ) {
        let c = cal();
        prop_assert_eq!(
            c.working_minutes_between(a, b) + c.working_minutes_between(b, d),
            c.working_minutes_between(a, d)
        );
    }

    #[test]
    fn add_is_monotone_and_composes(start in instant(), m in 0i64..5_000, k in 0i64..5_000) {
        let c = cal();
        let first = c.add_working_minutes(start, m);
        prop_assert!(c.add_working_minutes(start, m + k) >= first);
        if m > 0 && k > 0 {
            prop_assert_eq!(
                c.add_working_minutes(first, k),
                c.add_working_minutes(start, m + k)
            );
        }
        let snapped = c.add_working_minutes(start, 0);
        prop_assert!(c.is_working_time(snapped));
        prop_assert_eq!(c.add_working_minutes(snapped, 0), snapped);
    }

    #[test]
    fn builtin_matches_brute_force(start in instant(), m in 0i64..3_000) {
        let c = cal();
        let r = Reference::new(&WorkSchedule::default().windows, &builtin_special());
        let end = c.add_working_minutes(start, m);
        prop_assert_eq!(end, r.add(start, m));
        let to = Timestamp(end.0 + (start.0 % 7_000_000));
        prop_assert_eq!(c.working_minutes_between(start, to), r.between(start, to));
        prop_assert_eq!(c.working_minutes_between(to, start), r.between(to, start));
    }

    #[test]
    fn custom_calendars_match_brute_force(
        windows in windows(),
        days in special_days(),
        start in instant(),
        per_mille_days in 0i64..8_000,
    ) {
        let c = WorkCalendar::new(WorkSchedule { windows: windows.clone() }, &days).unwrap();
        let r = Reference::new(&windows, &days);
        // Up to 8 working days, whatever the window lengths (keeps the walk short).
        let m = per_mille_days * c.minutes_per_workday() / 1000;
        let end = c.add_working_minutes(start, m);
        prop_assert_eq!(end, r.add(start, m));
        prop_assert_eq!(c.working_minutes_between(start, end), m);
        let to = Timestamp(end.0 + (start.0 % 5_000_000));
        prop_assert_eq!(c.working_minutes_between(start, to), r.between(start, to));
    }

    #[test]
    fn table_edges_match_brute_force(
        edge in prop_oneof![Just(at(2000, 1, 1, 0, 0)), Just(at(2101, 1, 1, 0, 0))],
        offset in -40 * DAY_MS..40 * DAY_MS,
        m in 0i64..3_000,
    ) {
        let c = cal();
        let r = Reference::new(&WorkSchedule::default().windows, &[]);
        let start = Timestamp(edge.0 + offset);
        let end = c.add_working_minutes(start, m);
        prop_assert_eq!(end, r.add(start, m));
        let to = Timestamp(end.0 + offset.rem_euclid(7_000_000));
        prop_assert_eq!(c.working_minutes_between(start, to), r.between(start, to));
    }

    #[test]
    fn far_instants_round_trip(
        start in at(1800, 1, 1, 0, 0).0..at(2400, 1, 1, 0, 0).0,
        m in 0i64..50_000_000,
    ) {
        let c = cal();
        let start = Timestamp(start);
        let end = c.add_working_minutes(start, m);
        prop_assert_eq!(c.working_minutes_between(start, end), m);
        prop_assert!(m == 0 || c.working_minutes_between(start, Timestamp(end.0 - 1)) < m);
    }

    #[test]
    fn is_working_day_matches_reference(offset in 0u64..1200) {
        let c = cal();
        let r = Reference::new(&WorkSchedule::default().windows, &builtin_special());
        let d = date(2023, 12, 1) + chrono::Days::new(offset);
        prop_assert_eq!(c.is_working_day(d), r.working_day(d));
    }
}
