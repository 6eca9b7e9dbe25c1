//! Criterion benches for the domain: the case state machine (`workflow::apply` on representative
//! commands) and the visibility rule (`policy::visibility(..).admits`, next to `can_view`).
//!
//! Cases are built through `new_case` and `apply` from a citizen report, so they look like real
//! ones (class snapshot, running node clock on the built-in China calendar). Instants are fixed;
//! nothing reads the clock.

use std::hint::black_box;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use domain::area::{AreaCode, AreaPath};
use domain::calendar::WorkCalendar;
use domain::org::{Caller, Role, RoleGrant};
use domain::policy;
use domain::taxonomy::{ClassKind, HandlingLimits, LimitUnit, TimeLimit, Urgency};
use domain::time::Timestamp;
use domain::workflow::{
    Case, ClassSnapshot, Command, Ctx, Evidence, NewReport, NodeLimits, Source, apply, new_case,
};

const DEPT: i64 = 7;
const INSPECTOR: i64 = 501;

fn code(s: &str) -> AreaCode {
    AreaCode::parse(s).expect("valid area code")
}

fn at(s: &str) -> Timestamp {
    Timestamp::parse_rfc3339(s).expect("valid instant")
}

fn grant(role: Role, area: Option<&str>, department_id: Option<i64>) -> RoleGrant {
    RoleGrant {
        role,
        area: area.map(code),
        department_id,
    }
}

fn caller(user_id: i64, grants: Vec<RoleGrant>) -> Caller {
    Caller { user_id, grants }
}

fn matter() -> ClassSnapshot {
    let l = |amount, unit| TimeLimit { amount, unit };
    ClassSnapshot {
        standard_ref: "GB/T 47678.5-2026".into(),
        kind: ClassKind::Matter,
        code: "200101".into(),
        name: "暴露垃圾".into(),
        limits: HandlingLimits {
            urgent: l(2, LimitUnit::WorkHours),
            high: l(1, LimitUnit::WorkDays),
            normal: l(3, LimitUnit::WorkDays),
        },
    }
}

struct Fixture {
    cal: WorkCalendar,
    limits: NodeLimits,
    operator: Caller,
    inspector: Caller,
    supervisor: Caller,
    dispatcher: Caller,
    handler: Caller,
}

impl Fixture {
    fn new() -> Fixture {
        let street = Some("410102001");
        Fixture {
            cal: WorkCalendar::builtin(),
            limits: NodeLimits::default(),
            operator: caller(1, vec![grant(Role::Operator, street, None)]),
            inspector: caller(INSPECTOR, vec![grant(Role::Inspector, street, None)]),
            supervisor: caller(3, vec![grant(Role::ShiftSupervisor, None, None)]),
            dispatcher: caller(4, vec![grant(Role::Dispatcher, Some("410102"), None)]),
            handler: caller(5, vec![grant(Role::DepartmentHandler, None, Some(DEPT))]),
        }
    }

    fn ctx(&self, now: &str) -> Ctx<'_> {
        Ctx {
            calendar: &self.cal,
            limits: &self.limits,
            now: at(now),
        }
    }

    fn step(&self, case: &Case, who: &Caller, cmd: Command, now: &str) -> Case {
        let ev = Evidence {
            note: Some("现场情况".into()),
            attachments: vec![1],
        };
        apply(case, who, &cmd, &ev, &self.ctx(now))
            .expect("fixture step")
            .case
    }

    /// A citizen report driven to PendingDispatch, Handling, and Handling with an extension
    /// request pending.
    fn cases(&self) -> (Case, Case, Case) {
        let citizen = caller(9, vec![grant(Role::Citizen, None, None)]);
        let report = NewReport {
            source: Source::CitizenApp,
            description: "垃圾堆放".into(),
            address: None,
            lat: None,
            lon: None,
            area: AreaPath::of(&code("410102001002003")),
            road_id: None,
            class: None,
            urgency: Urgency::Normal,
            reporter_name: None,
            reporter_phone: None,
            anonymous: false,
            external_ref: None,
            self_handled: false,
            attachments: vec![1],
            note: None,
        };
        let c = new_case(&citizen, report, &self.ctx("2026-11-24T09:10:00+08:00"))
            .expect("report")
            .case;
        let c = self.step(
            &c,
            &self.operator,
            Command::SendVerify {
                inspector_id: INSPECTOR,
            },
            "2026-11-24T09:20:00+08:00",
        );
        let c = self.step(
            &c,
            &self.inspector,
            Command::Verify { confirmed: true },
            "2026-11-24T10:00:00+08:00",
        );
        let pending_dispatch = self.step(
            &c,
            &self.supervisor,
            Command::File {
                class: Some(matter()),
                urgency: Some(Urgency::High),
            },
            "2026-11-24T10:10:00+08:00",
        );
        let c = self.step(
            &pending_dispatch,
            &self.dispatcher,
            Command::Dispatch {
                department_id: DEPT,
            },
            "2026-11-24T10:20:00+08:00",
        );
        let handling = self.step(
            &c,
            &self.handler,
            Command::AcceptTask,
            "2026-11-24T10:30:00+08:00",
        );
        let asked = self.step(
            &handling,
            &self.handler,
            Command::RequestExtension { minutes: 240 },
            "2026-11-25T15:00:00+08:00",
        );
        (pending_dispatch, handling, asked)
    }
}

fn workflow(c: &mut Criterion) {
    let f = Fixture::new();
    let (pending_dispatch, handling, asked) = f.cases();
    let ev = Evidence {
        note: Some("  已清理完毕 ".into()),
        attachments: vec![1, 2],
    };
    let no_evidence = Evidence::default();
    let dispatch = Command::Dispatch {
        department_id: DEPT,
    };

    let mut group = c.benchmark_group("workflow_apply");
    group.throughput(Throughput::Elements(1));
    let ctx = f.ctx("2026-11-24T10:20:00+08:00");
    group.bench_function("dispatch", |b| {
        b.iter(|| {
            apply(
                black_box(&pending_dispatch),
                black_box(&f.dispatcher),
                black_box(&dispatch),
                black_box(&no_evidence),
                &ctx,
            )
        })
    });
    let ctx = f.ctx("2026-11-26T11:00:00+08:00");
    group.bench_function("feedback", |b| {
        b.iter(|| {
            apply(
                black_box(&handling),
                black_box(&f.handler),
                black_box(&Command::Feedback),
                black_box(&ev),
                &ctx,
            )
        })
    });
    let ctx = f.ctx("2026-11-25T16:00:00+08:00");
    group.bench_function("approve_extension", |b| {
        b.iter(|| {
            apply(
                black_box(&asked),
                black_box(&f.dispatcher),
                black_box(&Command::ApproveExtension),
                black_box(&no_evidence),
                &ctx,
            )
        })
    });
    // A refusal: the common "button not allowed for you" path, no clone of the case.
    group.bench_function("forbidden", |b| {
        b.iter(|| {
            apply(
                black_box(&handling),
                black_box(&f.operator),
                black_box(&Command::Feedback),
                black_box(&ev),
                &ctx,
            )
        })
    });
    group.finish();
}

fn visibility(c: &mut Criterion) {
    let f = Fixture::new();
    let (_, handling, _) = f.cases();
    // Cases spread over two districts, a few departments and assignees.
    let grids = [
        "410102001002003",
        "410102001003001",
        "410102002001001",
        "410105001001001",
    ];
    let cases: Vec<Case> = (0..64i64)
        .map(|i| {
            let mut c = handling.clone();
            c.id = i;
            c.area = AreaPath::of(&code(grids[(i % 4) as usize]));
            c.department_id = Some(i % 5);
            c.assignee_id = Some(500 + i % 7);
            c.reporter_id = Some(900 + i % 11);
            c
        })
        .collect();
    let multi = caller(
        501,
        vec![
            grant(Role::Inspector, Some("410102001"), None),
            grant(Role::Operator, Some("410102001002"), None),
            grant(Role::DepartmentHandler, None, Some(3)),
            grant(Role::RoadChief, Some("410105001"), None),
        ],
    );
    let street_operator = caller(1, vec![grant(Role::Operator, Some("410102001"), None)]);

    let mut group = c.benchmark_group("policy");
    group.throughput(Throughput::Elements(cases.len() as u64));
    for (name, who) in [
        ("street_operator", &street_operator),
        ("four_grants", &multi),
    ] {
        let v = policy::visibility(who);
        group.bench_function(format!("admits/{name}"), |b| {
            b.iter(|| {
                black_box(&cases)
                    .iter()
                    .filter(|c| black_box(&v).admits(c))
                    .count()
            })
        });
        group.bench_function(format!("can_view/{name}"), |b| {
            b.iter(|| {
                black_box(&cases)
                    .iter()
                    .filter(|c| policy::can_view(black_box(who), c))
                    .count()
            })
        });
    }
    group.finish();

    let mut build = c.benchmark_group("policy_build");
    build.bench_function("visibility/four_grants", |b| {
        b.iter(|| policy::visibility(black_box(&multi)))
    });
    build.finish();
}

criterion_group!(benches, workflow, visibility);
criterion_main!(benches);
