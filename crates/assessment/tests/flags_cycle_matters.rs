//! Flag selection with ties, flag history, cycle-task scheduling over a holiday and a 调休
//! weekend, and the practical-matters roll-up.

use assessment::Scope;
use assessment::cycle::{CycleRule, NonWorkingDay, Place, Schedule};
use assessment::flags::{FlagCandidate, FlagKind, FlagRecord, select_flags, tally};
use assessment::matters::{Category, Item, MatterStatus, Milestone, ProgressUpdate, rollup};
use chrono::{NaiveDate, NaiveTime, Weekday};
use domain::calendar::WorkCalendar;
use domain::time::Timestamp;

fn chief(id: i64) -> Scope {
    Scope::RoadChief { user_id: id }
}

fn cand(id: i64, score: f64, findings: i64) -> FlagCandidate {
    FlagCandidate {
        scope: chief(id),
        score,
        third_party_findings: findings,
    }
}

fn date(m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, m, d).unwrap()
}

fn flagged(records: &[FlagRecord], kind: FlagKind) -> Vec<(i64, u32)> {
    records
        .iter()
        .filter(|r| r.kind == kind)
        .map(|r| match r.scope {
            Scope::RoadChief { user_id } => (user_id, r.rank),
            _ => (-1, r.rank),
        })
        .collect()
}

#[test]
fn ties_at_the_cut_off_all_get_the_flag() {
    let week = date(11, 23);
    let c = [
        cand(1, 95.0, 0),
        cand(2, 90.0, 0),
        cand(3, 90.0, 0),
        cand(4, 80.0, 0),
        cand(5, 70.0, 0),
        cand(6, 70.0, 0),
        cand(7, 60.0, 0),
    ];
    // Best 2: ranks 1, 2, 2 → three red flags (2 and 3 tie at the cut-off).
    let f = select_flags(week, &c, 2, 1, 0.0);
    assert_eq!(flagged(&f, FlagKind::Red), [(1, 1), (2, 2), (3, 2)]);
    // Worst 1: 7 alone.
    assert_eq!(flagged(&f, FlagKind::Black), [(7, 1)]);
    // Worst 2: 7, then 5 and 6 tie at rank 2 from the bottom → both.
    let f = select_flags(week, &c, 2, 2, 0.0);
    assert_eq!(flagged(&f, FlagKind::Black), [(7, 1), (5, 2), (6, 2)]);
    // Counts of 0 give no flag.
    assert!(select_flags(week, &c, 0, 0, 0.0).is_empty());
}

#[test]
fn everyone_tied_gets_red_and_nobody_black() {
    let c = [cand(1, 80.0, 0), cand(2, 80.0, 0), cand(3, 80.0, 0)];
    let f = select_flags(date(11, 23), &c, 1, 1, 0.0);
    assert_eq!(flagged(&f, FlagKind::Red), [(1, 1), (2, 1), (3, 1)]);
    assert!(flagged(&f, FlagKind::Black).is_empty());
}

#[test]
fn third_party_findings_lower_the_flag_score_and_are_kept_apart() {
    // 1: 95 − 3 × 2 = 89 < 2: 90. So 2 gets the red flag and 1 the black one.
    let c = [cand(1, 95.0, 3), cand(2, 90.0, 0)];
    let f = select_flags(date(11, 23), &c, 1, 1, 2.0);
    assert_eq!(flagged(&f, FlagKind::Red), [(2, 1)]);
    assert_eq!(flagged(&f, FlagKind::Black), [(1, 1)]);
    let black = f.iter().find(|r| r.kind == FlagKind::Black).unwrap();
    assert_eq!(black.third_party_findings, 3);
    assert_eq!(black.composite, 95.0);
    assert_eq!(black.flag_score, 89.0);
}

#[test]
fn flag_history_tallies_and_black_streaks() {
    let rec = |id: i64, week: NaiveDate, kind| FlagRecord {
        week_start: week,
        scope: chief(id),
        kind,
        rank: 1,
        composite: 50.0,
        third_party_findings: 0,
        flag_score: 50.0,
    };
    let (w1, w2, w3) = (date(11, 9), date(11, 16), date(11, 23));
    let history = [
        rec(1, w3, FlagKind::Black),
        rec(1, w1, FlagKind::Black),
        rec(1, w2, FlagKind::Black),
        rec(2, w1, FlagKind::Black),
        rec(2, w3, FlagKind::Red),
        rec(3, w1, FlagKind::Black),
        rec(3, w2, FlagKind::Black),
    ];
    let t = tally(&history);
    let one = &t[&chief(1)];
    assert_eq!((one.red, one.black, one.black_streak), (0, 3, 3));
    let two = &t[&chief(2)];
    assert_eq!((two.red, two.black, two.black_streak), (1, 1, 0));
    // 3's black flags stop before the latest review: no current streak.
    let three = &t[&chief(3)];
    assert_eq!(
        (three.black, three.black_streak, three.last_week),
        (2, 0, Some(w2))
    );
}

fn rule(schedule: Schedule, non_working: NonWorkingDay) -> CycleRule {
    CycleRule {
        id: 1,
        title: "夜市巡查".into(),
        class_code: "0601".into(),
        place: Place::Road {
            road_id: "R410102-0007".into(),
        },
        schedule,
        time: NaiveTime::from_hms_opt(8, 0, 0).unwrap(),
        non_working,
    }
}

fn at8(d: NaiveDate) -> Timestamp {
    Timestamp::from_shanghai(d.and_hms_opt(8, 0, 0).unwrap())
}

fn midnight(d: NaiveDate) -> Timestamp {
    Timestamp::shanghai_midnight(d)
}

fn dates(v: &[Timestamp]) -> Vec<NaiveDate> {
    v.iter().map(|t| t.to_shanghai().date()).collect()
}

#[test]
fn weekly_rule_around_labour_day_2026() {
    // 劳动节 2026: Fri 05-01 … Tue 05-05 off; Sat 05-09 is a make-up working day (调休).
    let cal = WorkCalendar::builtin();
    let (from, until) = (midnight(date(4, 27)), midnight(date(5, 12)));
    let mondays = Schedule::Weekly {
        days: vec![Weekday::Mon],
    };
    let keep = rule(mondays.clone(), NonWorkingDay::Keep).next_occurrences(from, until, &cal);
    assert_eq!(dates(&keep), [date(4, 27), date(5, 4), date(5, 11)]);
    assert_eq!(keep[0], at8(date(4, 27)));
    let skip = rule(mondays.clone(), NonWorkingDay::Skip).next_occurrences(from, until, &cal);
    assert_eq!(dates(&skip), [date(4, 27), date(5, 11)]);
    // Mon 05-04 is a holiday, Tue 05-05 too: moved to Wed 05-06.
    let moved = rule(mondays, NonWorkingDay::NextWorkingDay).next_occurrences(from, until, &cal);
    assert_eq!(dates(&moved), [date(4, 27), date(5, 6), date(5, 11)]);

    // Saturdays, skipping non-working days: 05-02 is a holiday, 05-09 a make-up working day.
    let saturdays = rule(
        Schedule::Weekly {
            days: vec![Weekday::Sat],
        },
        NonWorkingDay::Skip,
    );
    let s = saturdays.next_occurrences(from, until, &cal);
    assert_eq!(dates(&s), [date(5, 9)]);
}

#[test]
fn every_n_working_days_counts_the_calendar() {
    let cal = WorkCalendar::builtin();
    // Every 2 working days from Wed 04-29: working days 04-29 (0), 04-30 (1), 05-06 (2),
    // 05-07 (3), 05-08 (4), Sat 05-09 调休 (5), 05-11 (6).
    let r = rule(
        Schedule::EveryNWorkingDays {
            n: 2,
            anchor: date(4, 29),
        },
        NonWorkingDay::Skip,
    );
    let got = r.next_occurrences(midnight(date(4, 27)), midnight(date(5, 12)), &cal);
    assert_eq!(
        dates(&got),
        [date(4, 29), date(5, 6), date(5, 8), date(5, 11)]
    );
    // Starting the window later keeps the same phase.
    let got = r.next_occurrences(midnight(date(5, 7)), midnight(date(5, 12)), &cal);
    assert_eq!(dates(&got), [date(5, 8), date(5, 11)]);
}

#[test]
fn monthly_rule_uses_the_last_day_of_short_months_and_after_is_exclusive() {
    let cal = WorkCalendar::builtin();
    let day31 = Schedule::Monthly { day: 31 };
    let (from, until) = (midnight(date(4, 1)), midnight(date(6, 3)));
    let keep = rule(day31.clone(), NonWorkingDay::Keep).next_occurrences(from, until, &cal);
    assert_eq!(dates(&keep), [date(4, 30), date(5, 31)]);
    // Sun 05-31 → Mon 06-01.
    let moved = rule(day31, NonWorkingDay::NextWorkingDay).next_occurrences(from, until, &cal);
    assert_eq!(dates(&moved), [date(4, 30), date(6, 1)]);
    // `after` itself is excluded, `until` included.
    let r = rule(
        Schedule::Weekly {
            days: vec![Weekday::Mon],
        },
        NonWorkingDay::Keep,
    );
    let got = r.next_occurrences(at8(date(11, 23)), at8(date(11, 30)), &cal);
    assert_eq!(dates(&got), [date(11, 30)]);
    assert!(
        r.next_occurrences(at8(date(11, 30)), at8(date(11, 23)), &cal)
            .is_empty()
    );
}

fn item(id: i64, category_id: i64, status: MatterStatus) -> Item {
    Item {
        id,
        category_id,
        title: format!("实事 {id}"),
        plan: "方案".into(),
        measures: vec!["措施".into()],
        owner_department_id: 500 + category_id,
        milestones: Vec::new(),
        progress: Vec::new(),
        status,
    }
}

#[test]
fn practical_matters_roll_up_like_seed_002() {
    // Seed 002: 1,181 items — 391 done, 189 in progress, 601 planned — in 7 categories.
    let categories: Vec<Category> = (1..=7)
        .map(|id| Category {
            id,
            name: format!("类别{id}"),
        })
        .collect();
    let mut items = Vec::new();
    for i in 0..1181 {
        let status = if i < 391 {
            MatterStatus::Done
        } else if i < 391 + 189 {
            MatterStatus::InProgress
        } else {
            MatterStatus::Planned
        };
        items.push(item(i, i % 7 + 1, status));
    }
    let r = rollup(&categories, &items, date(6, 30));
    assert_eq!(
        (
            r.total.total,
            r.total.done,
            r.total.in_progress,
            r.total.planned
        ),
        (1181, 391, 189, 601)
    );
    // Category 1 holds ids 0, 7, 14, …: ⌈1181 / 7⌉ = 169 items; done ids 0..391 → ⌈391/7⌉ = 56;
    // in progress ids 391..580: 392, 399, …, 574 → 27; planned 169 − 56 − 27 = 86.
    let c1 = r.by_category[&1];
    assert_eq!(
        (c1.total, c1.done, c1.in_progress, c1.planned),
        (169, 56, 27, 86)
    );
    let sum: u32 = r.by_category.values().map(|c| c.total).sum();
    assert_eq!(sum, 1181);
}

#[test]
fn item_status_from_milestones_and_progress() {
    let mut a = item(1, 1, MatterStatus::InProgress);
    a.milestones = vec![
        Milestone {
            title: "设计".into(),
            due: date(5, 1),
            done_on: Some(date(4, 28)),
        },
        Milestone {
            title: "施工".into(),
            due: date(6, 1),
            done_on: None,
        },
    ];
    assert_eq!(a.derived_status(), MatterStatus::InProgress);
    assert_eq!(a.overdue_milestones(date(6, 2)), 1);
    assert_eq!(a.overdue_milestones(date(6, 1)), 0);
    a.progress.push(ProgressUpdate {
        on: date(6, 5),
        percent: 100,
        note: "完成".into(),
    });
    assert_eq!(a.derived_status(), MatterStatus::Done);
    assert_eq!(
        item(2, 1, MatterStatus::Planned).derived_status(),
        MatterStatus::Planned
    );

    // Overdue milestones are counted for unfinished items only (by the status set on the item).
    a.status = a.derived_status();
    let mut late = item(3, 2, MatterStatus::InProgress);
    late.milestones = a.milestones.clone();
    let r = rollup(&[], &[a, late], date(6, 10));
    assert_eq!(r.total.with_overdue_milestones, 1);
    assert_eq!(r.by_category[&2].with_overdue_milestones, 1);
}
