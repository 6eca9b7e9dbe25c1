//! Working-time calendar (工作日历) for Asia/Shanghai: working windows (作息时间), public holidays
//! (法定节假日) and make-up working days (调休上班), and deadline arithmetic in working minutes
//! (工作时).
//!
//! # Semantics
//!
//! - **Working day (工作日).** Monday–Friday, unless the date is listed as
//!   [`DayKind::Holiday`]; a Saturday or Sunday listed as [`DayKind::MakeupWorkday`] (调休) is a
//!   working day. A weekday listed as a make-up working day is simply a working day.
//! - **Working time.** The clock runs only inside the [`WorkSchedule`] windows
//!   (`[start, end)`, minutes after Shanghai midnight, default 09:00–12:00 and 13:00–17:00) of
//!   working days. Everything else — nights, the lunch break, weekends, holidays — is paused time.
//! - **Position.** Conceptually every instant has a *working position*: the number of working
//!   milliseconds from a fixed origin up to that instant. It is continuous and non-decreasing,
//!   grows one millisecond per millisecond inside windows and stays flat outside them. Both
//!   operations below are defined through it, at millisecond precision: a start of 09:00:30 plus
//!   1 working minute is 09:01:30, never truncated to the minute.
//! - [`WorkCalendar::add_working_minutes`]`(start, m)`:
//!   - `m > 0`: the **earliest** instant at which exactly `m` working minutes have elapsed since
//!     `start`. If that is the end of a window, the window end is returned (12:00, not 13:00;
//!     17:00, not 09:00 of the next working day). A start outside working time is first moved
//!     to the next window start.
//!   - `m == 0`: `start` itself if the clock runs at `start` (inside a window of a working
//!     day, window start inclusive), otherwise the next window start (snap forward).
//!   - `m < 0`: treated as `0` (no going back in working time).
//! - [`WorkCalendar::working_minutes_between`]`(from, to)`: the working milliseconds between the
//!   two instants, in whole minutes **truncated toward zero**; negative when `to < from`
//!   (`between(a, b) == -between(b, a)`). Hence, for every `m >= 1`,
//!   `between(start, t) >= m` ⇔ `t >= add(start, m)`, and `between(start, add(start, m)) == m`
//!   for every `m >= 0`. Minute counts are exactly additive (`a→b + b→c == a→c`) when the three
//!   instants sit on whole minutes; [`WorkCalendar::working_millis_between`] is always additive.
//! - **Range.** A day table (working flag + prefix sums of working minutes) covers
//!   2000-01-01..=2100-12-31, extended to cover every listed special day (allowed 1900–2200).
//!   Outside it no special days exist, so the calendar is the plain Monday–Friday week and is
//!   computed in closed form. Instants are clamped to years 0001–9999
//!   ([`WorkCalendar::MIN_INSTANT`], [`WorkCalendar::MAX_INSTANT`]); a result past the end
//!   saturates at `MAX_INSTANT`. Nothing panics.
//! - **Cost.** Both operations are O(1) plus a galloping search over the day table, O(log d) in
//!   the number of days spanned; no day-by-day loops.
//!
//! # Lights (颜色预警)
//!
//! [`light`] maps used working minutes against a limit to green (< 80 %), yellow (80–100 %) or
//! red (> 100 %). [`yellow_threshold_minutes`] is the used-minutes count at which the light
//! turns yellow, so the yellow instant of a clock is
//! `add_working_minutes(start, yellow_threshold_minutes(limit))` and its deadline is
//! `add_working_minutes(start, limit)`; [`WorkCalendar::light_at`] evaluates a clock at an
//! instant consistently with both (green before the yellow instant, yellow from it up to and
//! including the deadline, red after). A limit of 0 has a threshold of 0 and is yellow from
//! `start` itself (not from the snapped `add_working_minutes(start, 0)`), red once any working
//! time has elapsed. [`light`] works on whole minutes as returned by
//! [`WorkCalendar::working_minutes_between`] (truncated), so it turns red only once a full
//! minute past the limit has been used; use `light_at` where the exact deadline matters.
//!
//! # Built-in data
//!
//! [`WorkCalendar::builtin`] uses the default schedule and `data/holidays-cn.csv`
//! ([`BUILTIN_HOLIDAYS_CSV`]), transcribed from the 国务院办公厅 notices on 部分节假日安排.
//! Administrators may upload the same `date,kind,name` format, parsed by
//! [`parse_special_days_csv`].

use std::collections::HashMap;
use std::fmt;
use std::sync::LazyLock;

use chrono::{Datelike, NaiveDate};
use serde::{Deserialize, Serialize};

use crate::time::{SHANGHAI_OFFSET_SECS, Timestamp};

/// The built-in China holiday data (法定节假日 and 调休上班), `date,kind,name` CSV.
pub const BUILTIN_HOLIDAYS_CSV: &str = include_str!("../data/holidays-cn.csv");

const MINUTE_MS: i64 = 60_000;
const DAY_MS: i64 = 86_400_000;
const MINUTES_PER_DAY: u16 = 1440;
/// Asia/Shanghai offset in milliseconds.
const OFFSET_MS: i64 = SHANGHAI_OFFSET_SECS as i64 * 1000;
/// `NaiveDate::num_days_from_ce` of 1970-01-01.
const UNIX_EPOCH_DAYS_FROM_CE: i64 = 719_163;
/// Days since 1970-01-01 of Monday 1970-01-05, the origin of the weekday ordinals.
const MONDAY_ORIGIN: i64 = 4;
/// Default day-table range: 2000-01-01 (inclusive) .. 2101-01-01 (exclusive), in Unix days.
const TABLE_FIRST_DAY: i64 = 10_957;
const TABLE_END_DAY: i64 = 47_847;
/// Special days must fall in 1900-01-01 (inclusive) .. 2201-01-01 (exclusive), in Unix days.
const SPECIAL_FIRST_DAY: i64 = -25_567;
const SPECIAL_END_DAY: i64 = 84_371;
/// Shanghai local 0001-01-01T00:00 and 9999-12-31T23:59:59.999 as local milliseconds.
const MIN_LOCAL_MS: i64 = -719_162 * DAY_MS;
const MAX_LOCAL_MS: i64 = 2_932_897 * DAY_MS - 1;

/// The daily working windows, as minutes after local midnight, `[start, end)`, sorted, disjoint.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct WorkSchedule {
    pub windows: Vec<(u16, u16)>,
}

impl Default for WorkSchedule {
    /// 09:00–12:00 and 13:00–17:00.
    fn default() -> Self {
        WorkSchedule {
            windows: vec![(540, 720), (780, 1020)],
        }
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
    /// A special day outside 1900-01-01..=2200-12-31.
    #[error("special day {date} is outside the supported range 1900-01-01..=2200-12-31")]
    SpecialDayOutOfRange { date: NaiveDate },
    /// The same date listed both as a holiday and as a make-up working day.
    #[error("special day {date} is listed both as a holiday and as a make-up working day")]
    ConflictingSpecialDay { date: NaiveDate },
    /// A bad line in a `date,kind,name` special-days CSV (1-based line number).
    #[error("special days CSV, line {line}: {message}")]
    Csv { line: u64, message: String },
}

/// One working window in milliseconds after local midnight.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Window {
    start_ms: i64,
    len_ms: i64,
    /// Working milliseconds of the day before this window.
    before_ms: i64,
}

/// The calendar deadlines are counted in.
#[derive(Clone)]
pub struct WorkCalendar {
    schedule: WorkSchedule,
    windows: Vec<Window>,
    minutes_per_day: i64,
    /// Sorted by date, one entry per date.
    special: Vec<SpecialDay>,
    /// Unix day (local) of `cum[0]`.
    first_day: i64,
    /// `cum[i]` = working minutes in table days `0..i`; `cum.len()` = table days + 1.
    cum: Vec<u32>,
    /// Working position of [`WorkCalendar::MAX_INSTANT`].
    max_position: i64,
}

impl fmt::Debug for WorkCalendar {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("WorkCalendar")
            .field("schedule", &self.schedule)
            .field("special_days", &self.special.len())
            .field("table_first_day", &unix_day_to_date(self.first_day))
            .field("table_days", &self.table_days())
            .finish()
    }
}

static BUILTIN: LazyLock<WorkCalendar> = LazyLock::new(|| {
    // The embedded data is part of the program: a bad line is a bug, caught by the test
    // `builtin_data_is_valid`, not a runtime condition.
    let days = parse_special_days_csv(BUILTIN_HOLIDAYS_CSV)
        .expect("data/holidays-cn.csv is valid (checked by tests)");
    WorkCalendar::new(WorkSchedule::default(), &days)
        .expect("data/holidays-cn.csv is consistent (checked by tests)")
});

impl WorkCalendar {
    /// The earliest instant the calendar computes with: 0001-01-01T00:00+08:00.
    pub const MIN_INSTANT: Timestamp = Timestamp(MIN_LOCAL_MS - OFFSET_MS);
    /// The latest instant the calendar computes with: 9999-12-31T23:59:59.999+08:00.
    pub const MAX_INSTANT: Timestamp = Timestamp(MAX_LOCAL_MS - OFFSET_MS);

    /// A calendar from a schedule and special days (in any order; a date listed twice with the
    /// same kind is accepted once, with conflicting kinds it is an error).
    pub fn new(schedule: WorkSchedule, special_days: &[SpecialDay]) -> Result<Self, CalendarError> {
        let windows = validate_windows(&schedule)?;
        let minutes_per_day: i64 = windows.iter().map(|w| w.len_ms / MINUTE_MS).sum();

        let mut special: Vec<SpecialDay> = special_days.to_vec();
        special.sort_by_key(|d| d.date);
        let mut deduped: Vec<SpecialDay> = Vec::with_capacity(special.len());
        for day in special {
            let unix_day = date_to_unix_day(day.date);
            if !(SPECIAL_FIRST_DAY..SPECIAL_END_DAY).contains(&unix_day) {
                return Err(CalendarError::SpecialDayOutOfRange { date: day.date });
            }
            match deduped.last() {
                Some(prev) if prev.date == day.date => {
                    if prev.kind != day.kind {
                        return Err(CalendarError::ConflictingSpecialDay { date: day.date });
                    }
                }
                _ => deduped.push(day),
            }
        }
        let special = deduped;

        let first_day = special.first().map_or(TABLE_FIRST_DAY, |d| {
            date_to_unix_day(d.date).min(TABLE_FIRST_DAY)
        });
        let end_day = special.last().map_or(TABLE_END_DAY, |d| {
            (date_to_unix_day(d.date) + 1).max(TABLE_END_DAY)
        });

        // At most 1440 minutes a day over at most 301 years: fits in u32 with room to spare.
        let per_day = u32::try_from(minutes_per_day).map_err(|_| CalendarError::BadWindows)?;
        let days = usize::try_from(end_day - first_day).unwrap_or(0);
        let mut cum = Vec::with_capacity(days + 1);
        let mut total: u32 = 0;
        cum.push(total);
        let mut next_special = special.iter().peekable();
        for day in first_day..end_day {
            let kind = match next_special.peek() {
                Some(s) if date_to_unix_day(s.date) == day => {
                    let kind = s.kind;
                    next_special.next();
                    Some(kind)
                }
                _ => None,
            };
            let working = match kind {
                Some(DayKind::Holiday) => false,
                Some(DayKind::MakeupWorkday) => true,
                None => is_monday_to_friday(day),
            };
            if working {
                total = total.saturating_add(per_day);
            }
            cum.push(total);
        }

        let mut calendar = WorkCalendar {
            schedule,
            windows,
            minutes_per_day,
            special,
            first_day,
            cum,
            max_position: 0,
        };
        calendar.max_position = calendar.locate(Self::MAX_INSTANT).0;
        Ok(calendar)
    }

    /// The default schedule (09:00–12:00, 13:00–17:00) and the built-in China holidays and
    /// make-up working days ([`BUILTIN_HOLIDAYS_CSV`]). Built once, then cloned.
    pub fn builtin() -> Self {
        BUILTIN.clone()
    }

    pub fn schedule(&self) -> &WorkSchedule {
        &self.schedule
    }

    /// Working minutes in one working day (420 for the default schedule).
    pub fn minutes_per_workday(&self) -> i64 {
        self.minutes_per_day
    }

    /// The special days, sorted by date, one per date.
    pub fn special_days(&self) -> &[SpecialDay] {
        &self.special
    }

    /// The special-day entry of `date`, if any (e.g. to show "春节" in a UI).
    pub fn special_day(&self, date: NaiveDate) -> Option<&SpecialDay> {
        self.special
            .binary_search_by_key(&date, |d| d.date)
            .ok()
            .and_then(|i| self.special.get(i))
    }

    /// Whether `date` is a working day (工作日).
    pub fn is_working_day(&self, date: NaiveDate) -> bool {
        self.day_info(date_to_unix_day(date)).1
    }

    /// Whether the clock runs at `t`: inside a window (start inclusive, end exclusive) of a
    /// working day.
    pub fn is_working_time(&self, t: Timestamp) -> bool {
        let local = clamp_local(t);
        let (_, working, _) = self.day_info(local.div_euclid(DAY_MS));
        let tod = local.rem_euclid(DAY_MS);
        working
            && self
                .windows
                .iter()
                .any(|w| tod >= w.start_ms && tod < w.start_ms + w.len_ms)
    }

    /// The instant at which `minutes` working minutes have elapsed after `start`; see the
    /// module documentation for the exact rules (snap forward for 0, window end on an exact
    /// landing, negative treated as 0).
    pub fn add_working_minutes(&self, start: Timestamp, minutes: i64) -> Timestamp {
        let (position, hint) = self.locate(start);
        if minutes <= 0 {
            // The earliest instant one millisecond into working time, minus that millisecond:
            // the start itself inside a window, else the next window start.
            if position >= self.max_position {
                return Self::MAX_INSTANT;
            }
            return Timestamp(self.instant_at(position + 1, hint).0 - 1);
        }
        let target = position.saturating_add(minutes.saturating_mul(MINUTE_MS));
        self.instant_at(target, hint)
    }

    /// Working minutes between two instants, truncated toward zero (negative if `to` is before
    /// `from`).
    pub fn working_minutes_between(&self, from: Timestamp, to: Timestamp) -> i64 {
        self.working_millis_between(from, to) / MINUTE_MS
    }

    /// Working milliseconds between two instants (negative if `to` is before `from`). Exactly
    /// additive: `a→b + b→c == a→c`.
    pub fn working_millis_between(&self, from: Timestamp, to: Timestamp) -> i64 {
        self.locate(to).0 - self.locate(from).0
    }

    /// The light of a clock started at `start` with a limit of `limit_minutes` working minutes,
    /// seen at `now`, at millisecond precision: yellow from
    /// `add_working_minutes(start, yellow_threshold_minutes(limit))` on, red once the deadline
    /// `add_working_minutes(start, limit)` has passed. A limit ≤ 0 is yellow from `start` and
    /// red once any working time has elapsed.
    pub fn light_at(&self, start: Timestamp, limit_minutes: i64, now: Timestamp) -> Light {
        let used_ms = self.working_millis_between(start, now);
        let limit = limit_minutes.max(0);
        if used_ms > limit.saturating_mul(MINUTE_MS) {
            Light::Red
        } else if used_ms >= yellow_threshold_minutes(limit).saturating_mul(MINUTE_MS) {
            Light::Yellow
        } else {
            Light::Green
        }
    }

    // ----- internals -----

    fn table_days(&self) -> usize {
        self.cum.len().saturating_sub(1)
    }

    fn table_minutes(&self) -> i64 {
        self.cum.last().copied().map_or(0, i64::from)
    }

    /// For a local Unix day: working minutes from the table start to the day's midnight
    /// (negative before the table), whether it is a working day, and a table index hint.
    fn day_info(&self, day: i64) -> (i64, bool, usize) {
        let n = self.table_days();
        let rel = day - self.first_day;
        if rel < 0 {
            let weekdays = weekdays_before(self.first_day) - weekdays_before(day);
            return (
                -self.minutes_per_day * weekdays,
                is_monday_to_friday(day),
                0,
            );
        }
        if let Ok(i) = usize::try_from(rel)
            && let (Some(&a), Some(&b)) = (self.cum.get(i), self.cum.get(i + 1))
        {
            return (i64::from(a), b > a, i);
        }
        let end_day = self.first_day + self.cum.len() as i64 - 1;
        let weekdays = weekdays_before(day) - weekdays_before(end_day);
        (
            self.table_minutes() + self.minutes_per_day * weekdays,
            is_monday_to_friday(day),
            n,
        )
    }

    /// Working milliseconds of a working day before `tod` (milliseconds after midnight).
    fn worked_ms_before(&self, tod: i64) -> i64 {
        let mut worked = 0;
        for w in &self.windows {
            if tod <= w.start_ms {
                break;
            }
            worked = w.before_ms + (tod - w.start_ms).min(w.len_ms);
        }
        worked
    }

    /// The working position of `t` in milliseconds (0 = table start), and a table index hint.
    fn locate(&self, t: Timestamp) -> (i64, usize) {
        let local = clamp_local(t);
        let day = local.div_euclid(DAY_MS);
        let (before, working, hint) = self.day_info(day);
        let mut position = before * MINUTE_MS;
        if working {
            position += self.worked_ms_before(local.rem_euclid(DAY_MS));
        }
        (position, hint)
    }

    /// The earliest instant whose working position is `target`. `hint` is a table index at or
    /// before the answer (the start's day), to gallop from.
    fn instant_at(&self, target: i64, hint: usize) -> Timestamp {
        if target > self.max_position {
            return Self::MAX_INSTANT;
        }
        let table_end = self.table_minutes() * MINUTE_MS;
        let (day, rest) = if target <= 0 {
            self.weekly_locate(self.first_day, 0, target)
        } else if target <= table_end {
            // ceil(target / 1 min): the first table boundary whose prefix sum reaches it.
            let need = (target - 1).div_euclid(MINUTE_MS) + 1;
            let need = u32::try_from(need).unwrap_or(u32::MAX);
            let j = self.first_reaching(need, hint);
            let before = self.cum.get(j - 1).copied().map_or(0, i64::from);
            (self.first_day + j as i64 - 1, target - before * MINUTE_MS)
        } else {
            let end_day = self.first_day + self.table_days() as i64;
            self.weekly_locate(end_day, table_end, target)
        };
        Timestamp(day * DAY_MS - OFFSET_MS + self.offset_in_day(rest))
    }

    /// The smallest `j` in `1..=n` with `cum[j] >= need` (requires `1 <= need <= cum[n]`),
    /// galloping forward from `hint`.
    fn first_reaching(&self, need: u32, hint: usize) -> usize {
        let cum = &self.cum;
        let n = self.table_days();
        let mut lo = hint.min(n);
        if cum.get(lo).is_none_or(|&c| c >= need) {
            lo = 0;
        }
        // Invariant: cum[lo] < need <= cum[hi].
        let mut hi = n;
        let mut step = 1;
        while lo + step <= n {
            if cum.get(lo + step).is_some_and(|&c| c < need) {
                lo += step;
                step *= 2;
            } else {
                hi = lo + step;
                break;
            }
        }
        let slice = cum.get(lo + 1..=hi).unwrap_or(&[]);
        lo + 1 + slice.partition_point(|&c| c < need)
    }

    /// Outside the table (plain Monday–Friday weeks): the day containing working position
    /// `target`, given the position `base_position` of `base_day`'s midnight, and the working
    /// milliseconds into that day, in `(0, minutes_per_day]`.
    fn weekly_locate(&self, base_day: i64, base_position: i64, target: i64) -> (i64, i64) {
        let per_day = self.minutes_per_day * MINUTE_MS;
        let global = target - base_position + weekdays_before(base_day) * per_day;
        let ordinal = (global - 1).div_euclid(per_day);
        let day = MONDAY_ORIGIN + 7 * ordinal.div_euclid(5) + ordinal.rem_euclid(5);
        (day, global - ordinal * per_day)
    }

    /// Milliseconds after midnight at which `rest` working milliseconds of a working day have
    /// elapsed (earliest such instant; `rest` in `(0, minutes_per_day]`).
    fn offset_in_day(&self, rest: i64) -> i64 {
        let mut rest = rest;
        for w in &self.windows {
            if rest <= w.len_ms {
                return w.start_ms + rest;
            }
            rest -= w.len_ms;
        }
        self.windows.last().map_or(0, |w| w.start_ms + w.len_ms)
    }
}

fn validate_windows(schedule: &WorkSchedule) -> Result<Vec<Window>, CalendarError> {
    if schedule.windows.is_empty() {
        return Err(CalendarError::BadWindows);
    }
    let mut windows = Vec::with_capacity(schedule.windows.len());
    let mut last_end = 0u16;
    let mut before_ms = 0;
    for &(start, end) in &schedule.windows {
        if start < last_end || end <= start || end > MINUTES_PER_DAY {
            return Err(CalendarError::BadWindows);
        }
        let len_ms = i64::from(end - start) * MINUTE_MS;
        windows.push(Window {
            start_ms: i64::from(start) * MINUTE_MS,
            len_ms,
            before_ms,
        });
        before_ms += len_ms;
        last_end = end;
    }
    Ok(windows)
}

/// Shanghai local milliseconds of `t`, clamped to years 0001–9999.
fn clamp_local(t: Timestamp) -> i64 {
    t.0.clamp(WorkCalendar::MIN_INSTANT.0, WorkCalendar::MAX_INSTANT.0) + OFFSET_MS
}

fn date_to_unix_day(date: NaiveDate) -> i64 {
    i64::from(date.num_days_from_ce()) - UNIX_EPOCH_DAYS_FROM_CE
}

fn unix_day_to_date(day: i64) -> Option<NaiveDate> {
    i32::try_from(day + UNIX_EPOCH_DAYS_FROM_CE)
        .ok()
        .and_then(NaiveDate::from_num_days_from_ce_opt)
}

fn is_monday_to_friday(day: i64) -> bool {
    (day - MONDAY_ORIGIN).rem_euclid(7) < 5
}

/// Number of Monday–Friday days in `[1970-01-05, day)` (negative before it).
fn weekdays_before(day: i64) -> i64 {
    let x = day - MONDAY_ORIGIN;
    5 * x.div_euclid(7) + x.rem_euclid(7).min(5)
}

/// Parses special days in the `date,kind,name` CSV format of `data/holidays-cn.csv`:
/// `date` is `YYYY-MM-DD`, `kind` is `holiday` (法定节假日) or `makeup_workday` (调休上班),
/// `name` is free text (optional; quote it if it contains a comma). One record per line; an
/// optional `date,kind,name` header line, blank lines and lines starting with `#` are skipped.
/// A date listed twice is an error. Errors carry the 1-based line number.
pub fn parse_special_days_csv(text: &str) -> Result<Vec<SpecialDay>, CalendarError> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let mut days = Vec::new();
    let mut first_line: HashMap<NaiveDate, u64> = HashMap::new();
    let mut first_record = true;
    // Line by line (one record per line, quoted fields allowed within the line), so that error
    // line numbers are exact whatever comments and blank lines come before.
    for (index, raw) in text.lines().enumerate() {
        let line = index as u64 + 1;
        let fail = |message: String| CalendarError::Csv { line, message };
        let trimmed = raw.trim();
        if trimmed.is_empty() || trimmed.starts_with('#') {
            continue;
        }
        let fields = split_csv_line(trimmed).map_err(fail)?;
        let field = |i: usize| fields.get(i).map_or("", String::as_str);
        let date_text = field(0);
        if std::mem::take(&mut first_record) && date_text.eq_ignore_ascii_case("date") {
            continue;
        }
        if !(2..=3).contains(&fields.len()) {
            return Err(fail(format!(
                "expected `date,kind,name`, found {} field(s)",
                fields.len()
            )));
        }
        let date = NaiveDate::parse_from_str(date_text, "%Y-%m-%d")
            .map_err(|e| fail(format!("bad date `{date_text}` (want YYYY-MM-DD): {e}")))?;
        let kind_text = field(1);
        let kind = match kind_text.to_ascii_lowercase().as_str() {
            "holiday" => DayKind::Holiday,
            "makeup_workday" => DayKind::MakeupWorkday,
            _ => {
                return Err(fail(format!(
                    "bad kind `{kind_text}` (want `holiday` or `makeup_workday`)"
                )));
            }
        };
        if let Some(previous) = first_line.insert(date, line) {
            return Err(fail(format!("{date} is already listed on line {previous}")));
        }
        days.push(SpecialDay {
            date,
            kind,
            name: field(2).to_owned(),
        });
    }
    Ok(days)
}

/// The trimmed fields of one CSV line; quoted fields (`"a, b"`, `""` for a quote) are handled by
/// the `csv` crate, plain lines by a split on commas.
fn split_csv_line(line: &str) -> Result<Vec<String>, String> {
    if !line.contains('"') {
        return Ok(line.split(',').map(|f| f.trim().to_owned()).collect());
    }
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .trim(csv::Trim::All)
        .from_reader(line.as_bytes());
    let mut record = csv::StringRecord::new();
    reader.read_record(&mut record).map_err(|e| e.to_string())?;
    Ok(record.iter().map(str::to_owned).collect())
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

/// The used-minutes count at which a clock with `limit` minutes turns yellow: ⌈80 % of
/// `limit`⌉ (a negative limit counts as 0, giving 0).
pub fn yellow_threshold_minutes(limit: i64) -> i64 {
    let limit = limit.max(0);
    // ⌈4L/5⌉ = L − ⌊L/5⌋ for L ≥ 0, without overflow.
    limit - limit / 5
}

/// The light for `used_minutes` of a `limit_minutes` limit (环节时限): green below 80 %
/// (`used < yellow_threshold_minutes(limit)`), yellow from 80 % up to and including 100 %,
/// red above 100 % (`used > limit`). Negative values count as 0, so a limit of 0 is yellow
/// while nothing is used (due now) and red once anything is used.
pub fn light(used_minutes: i64, limit_minutes: i64) -> Light {
    let used = used_minutes.max(0);
    let limit = limit_minutes.max(0);
    if used > limit {
        Light::Red
    } else if used >= yellow_threshold_minutes(limit) {
        Light::Yellow
    } else {
        Light::Green
    }
}

#[cfg(test)]
mod tests;
