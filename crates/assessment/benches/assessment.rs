//! Criterion benches for the assessment queries over per-day counters.
//!
//! Setup (not timed): 1,000,000 synthetic audit events — 100,000 cases of ten events each
//! (report, file, dispatch, accept, feedback, send check, check, close, plus intake steps for
//! public reports) spread over September–November 2026 across a Zhengzhou-sized hierarchy
//! (12 districts, 204 streets, 2,448 communities, 24,480 grids), 60 departments, 1,000 road
//! chiefs and a few thousand staff — applied incrementally. Timed: a month's rankings and the
//! city's indicators over the day buckets. Inputs come from a fixed xorshift sequence.

use std::collections::HashMap;
use std::hint::black_box;
use std::time::Instant;

use assessment::counters::Tracker;
use assessment::scores::{ScoreConfig, rank_scopes};
use assessment::{Action, AuditEvent, CaseFacts, Indicators, Period, Scope, ScopeKind};
use chrono::NaiveDate;
use criterion::{Criterion, criterion_group, criterion_main};
use domain::area::{AreaCode, AreaLevel, AreaPath};
use domain::calendar::WorkCalendar;
use domain::org::Role;
use domain::time::Timestamp;
use domain::workflow::{CaseState as S, Source};

const CASES: i64 = 100_000;

struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

fn grid_path(rng: &mut Rng) -> AreaPath {
    let district = 410_101 + rng.below(12);
    let street = rng.below(17) + 1;
    let community = rng.below(12) + 1;
    let grid = rng.below(10) + 1;
    let code = format!("{district}{street:03}{community:03}{grid:03}");
    AreaCode::parse(&code)
        .map(|c| AreaPath::of(&c))
        .unwrap_or_default()
}

fn events() -> Vec<AuditEvent> {
    let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
    let start = Timestamp::from_shanghai(
        NaiveDate::from_ymd_opt(2026, 9, 1)
            .and_then(|d| d.and_hms_opt(8, 0, 0))
            .unwrap_or_default(),
    );
    let span_min = 90 * 24 * 60;
    let mut out = Vec::with_capacity(1_000_000);
    for id in 1..=CASES {
        let area = grid_path(&mut rng);
        let public = rng.below(3) == 0;
        let source = if public {
            Source::Hotline12345
        } else {
            Source::Inspector
        };
        let mut facts = CaseFacts {
            source,
            area,
            department_id: None,
            road_chief_id: Some(1_000 + rng.below(1_000) as i64),
            grid_inspector_id: Some(10_000 + rng.below(2_448) as i64),
        };
        let mut at = start.plus_minutes(rng.below(span_min) as i64);
        let mut state: Option<S> = None;
        let mut steps: Vec<(Action, Role, S)> = Vec::with_capacity(10);
        if public {
            steps.push((Action::Report, Role::Operator, S::Reported));
            steps.push((Action::Accept, Role::Operator, S::PendingFiling));
        } else {
            steps.push((Action::Report, Role::Inspector, S::PendingFiling));
            steps.push((Action::Supervise, Role::Leader, S::PendingFiling));
        }
        let dept = 1 + rng.below(60) as i64;
        steps.extend([
            (Action::File, Role::ShiftSupervisor, S::PendingDispatch),
            (
                Action::Dispatch {
                    department_id: Some(dept),
                },
                Role::Dispatcher,
                S::Dispatched,
            ),
            (Action::AcceptTask, Role::DepartmentHandler, S::Handling),
            (Action::Feedback, Role::DepartmentHandler, S::PendingCheck),
            (
                Action::SendCheck {
                    inspector_id: facts.grid_inspector_id,
                },
                Role::Operator,
                S::Checking,
            ),
            (
                Action::Check { passed: true },
                Role::Inspector,
                S::PendingClose,
            ),
            (Action::Close, Role::ShiftSupervisor, S::Closed),
            (Action::Reply, Role::Operator, S::Closed),
        ]);
        let mut deadline = None;
        for (action, role, to) in steps {
            if let Action::Dispatch { department_id } = action {
                facts.department_id = department_id;
            }
            let new_deadline =
                (!to.is_terminal()).then(|| at.plus_minutes(30 + rng.below(3_000) as i64));
            out.push(AuditEvent {
                case_id: id,
                at,
                action,
                actor_id: 20_000 + rng.below(100) as i64,
                actor_role: role,
                from_state: state,
                to_state: to,
                deadline_before: deadline,
                deadline_after: new_deadline,
                case: facts.clone(),
            });
            state = Some(to);
            deadline = new_deadline;
            at = at.plus_minutes(rng.below(2_000) as i64);
        }
    }
    out.sort_by_key(|e| e.at);
    out
}

fn queries(c: &mut Criterion) {
    let cal = WorkCalendar::builtin();
    let built = Instant::now();
    let evs = events();
    let mut tracker = Tracker::default();
    for e in &evs {
        tracker.apply(e, &cal);
    }
    let agg = tracker.aggregates;
    eprintln!(
        "setup: {} events, {} day buckets, built in {:.1} s",
        evs.len(),
        agg.bucket_count(),
        built.elapsed().as_secs_f64()
    );
    drop(evs);
    let november = Period::month_of(NaiveDate::from_ymd_opt(2026, 11, 1).unwrap_or_default());
    let cfg = ScoreConfig::default();
    let grids: HashMap<Scope, u32> = HashMap::new();

    c.bench_function("city indicators, one month", |b| {
        b.iter(|| black_box(Indicators::of(&agg, &Scope::City, november)))
    });
    c.bench_function("street ranking, one month (204 streets)", |b| {
        b.iter(|| {
            black_box(rank_scopes(
                &agg,
                ScopeKind::Area(AreaLevel::Street),
                november,
                &cfg,
                &grids,
            ))
        })
    });
    c.bench_function("department ranking, one month (60)", |b| {
        b.iter(|| {
            black_box(rank_scopes(
                &agg,
                ScopeKind::Department,
                november,
                &cfg,
                &grids,
            ))
        })
    });
    c.bench_function("road chief ranking, one month (1,000)", |b| {
        b.iter(|| {
            black_box(rank_scopes(
                &agg,
                ScopeKind::RoadChief,
                november,
                &cfg,
                &grids,
            ))
        })
    });
    let mut group = c.benchmark_group("slow");
    group.sample_size(10);
    group.bench_function("grid ranking, one month (24,480 grids)", |b| {
        b.iter(|| {
            black_box(rank_scopes(
                &agg,
                ScopeKind::Area(AreaLevel::Grid),
                november,
                &cfg,
                &grids,
            ))
        })
    });
    group.finish();
}

criterion_group!(benches, queries);
criterion_main!(benches);
