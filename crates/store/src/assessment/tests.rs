//! The assessment counters kept in the transition's transaction equal a recomputation from the
//! whole audit trail, after a random but real sequence of transitions, on every backend.

use assessment::counters::Counter;
use assessment::scope::{Day, Period, Scope, ScopeKind};
use assessment::{Indicators, Ratio};
use domain::area::{AreaCode, AreaLevel, AreaPath};
use domain::calendar::WorkCalendar;
use domain::org::{Caller, DepartmentType, Role, RoleGrant};
use domain::taxonomy::{ClassKind, HandlingLimits, LimitUnit, TimeLimit, Urgency};
use domain::time::Timestamp;
use domain::workflow::{
    self, Case, ClassSnapshot, Command, Ctx, Evidence, NewReport, NodeLimits, Source,
};

use crate::tests::backends;
use crate::{Area, NewAttachment, NewDepartment, NewUser, Store, StoreError, on_write};

fn code(s: &str) -> AreaCode {
    AreaCode::parse(s).expect("code")
}

fn t0() -> Timestamp {
    // Monday 2026-11-23 09:00 Asia/Shanghai.
    Timestamp::parse_rfc3339("2026-11-23T09:00:00+08:00").expect("time")
}

fn class() -> ClassSnapshot {
    let l = |amount| TimeLimit {
        amount,
        unit: LimitUnit::WorkHours,
    };
    ClassSnapshot {
        standard_ref: "GB/T 47678.5-2026".into(),
        kind: ClassKind::Matter,
        code: "06010".into(),
        name: "暴露垃圾".into(),
        limits: HandlingLimits {
            urgent: l(1),
            high: l(2),
            normal: l(4),
        },
    }
}

struct World {
    operator: Caller,
    supervisor: Caller,
    dispatcher: Caller,
    handler: Caller,
    other_handler: Caller,
    inspector: Caller,
    leader: Caller,
    citizen: Caller,
    dept: i64,
    other_dept: i64,
    chief: i64,
}

async fn seed(store: &Store) -> World {
    let now = t0();
    let areas = [
        ("410102", "中原区", None),
        ("410102001", "林山寨街道", Some("410102")),
        ("410102001001", "百花社区", Some("410102001")),
        ("410102001001001", "百花社区第1网格", Some("410102001001")),
        ("410102002", "建设路街道", Some("410102")),
        ("410102002001", "建新社区", Some("410102002")),
        ("410102002001001", "建新社区第1网格", Some("410102002001")),
    ];
    let areas: Vec<Area> = areas
        .iter()
        .map(|(c, n, p)| Area {
            code: code(c),
            name: (*n).into(),
            parent_code: p.map(code),
        })
        .collect();
    store.upsert_areas(&areas, now).await.expect("areas");
    let dept = |c: &'static str, n: &'static str, t| async move {
        store
            .create_department(
                &NewDepartment {
                    code: c.into(),
                    name: n.into(),
                    dept_type: t,
                    areas: vec![code("410102")],
                },
                now,
            )
            .await
            .expect("dept")
            .id
    };
    let d1 = dept("HW01", "中原区环卫中心", DepartmentType::Sanitation).await;
    let d2 = dept("SZ01", "中原区市政所", DepartmentType::Municipal).await;
    let mk = async |name: &str, role: Role, area: Option<&str>, dep: Option<i64>| {
        let grants = vec![RoleGrant {
            role,
            area: area.map(code),
            department_id: dep,
        }];
        let id = store
            .create_user(
                &NewUser {
                    username: name.into(),
                    display_name: name.into(),
                    phone: None,
                    password_hash: "x".into(),
                    grants: grants.clone(),
                },
                now,
            )
            .await
            .expect("user");
        Caller {
            user_id: id,
            grants,
        }
    };
    let chief = mk("chief", Role::RoadChief, Some("410102"), None).await;
    on_write!(store, p => {
        sqlx::query("INSERT INTO roads (id, name, class, chief_id, length_m, geometry, updated_at) VALUES ('R1', '百花路', 'trunk', $1, 1000.0, '[]', 0)")
            .bind(chief.user_id).execute(p).await.expect("road");
    });
    World {
        operator: mk("op", Role::Operator, Some("410102"), None).await,
        supervisor: mk("sup", Role::ShiftSupervisor, Some("410102"), None).await,
        dispatcher: mk("dis", Role::Dispatcher, Some("410102"), None).await,
        handler: mk("hw", Role::DepartmentHandler, None, Some(d1)).await,
        other_handler: mk("sz", Role::DepartmentHandler, None, Some(d2)).await,
        inspector: mk("insp", Role::Inspector, Some("410102001001001"), None).await,
        leader: mk("boss", Role::Leader, Some("410102"), None).await,
        citizen: mk("cit", Role::Citizen, None, None).await,
        dept: d1,
        other_dept: d2,
        chief: chief.user_id,
    }
}

async fn photo(store: &Store, who: &Caller, now: Timestamp) -> i64 {
    store
        .insert_attachment(
            &NewAttachment {
                uploader_id: who.user_id,
                content_type: "image/jpeg".into(),
                size_bytes: 3,
                sha256: "abc".into(),
                path: "x.jpg".into(),
                original_name: None,
            },
            now,
        )
        .await
        .expect("attachment")
}

/// A small deterministic generator (xorshift64*), so a failure replays.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    fn below(&mut self, n: usize) -> usize {
        usize::try_from(self.next() % (n as u64)).unwrap_or(0)
    }
}

fn report(rng: &mut Rng, w: &World) -> (Caller, NewReport) {
    let sources = [
        Source::Inspector,
        Source::CitizenApp,
        Source::Hotline12345,
        Source::ThirdPartyInspection,
    ];
    let source = sources[rng.below(sources.len())];
    let grid = if rng.below(3) == 0 {
        "410102002001001"
    } else {
        "410102001001001"
    };
    let who = match source {
        Source::Inspector => w.inspector.clone(),
        Source::CitizenApp => w.citizen.clone(),
        _ => w.operator.clone(),
    };
    let r = NewReport {
        source,
        description: "百花路口有成堆垃圾".into(),
        address: None,
        lat: None,
        lon: None,
        area: AreaPath::of(&code(grid)),
        road_id: (rng.below(2) == 0).then(|| "R1".to_owned()),
        class: Some(class()),
        urgency: Urgency::Normal,
        reporter_name: None,
        reporter_phone: None,
        anonymous: false,
        external_ref: None,
        self_handled: source == Source::Inspector && rng.below(4) == 0,
        attachments: vec![],
        note: None,
    };
    (who, r)
}

/// Runs `steps` random allowed transitions over a few cases and returns the cases.
async fn random_history(store: &Store, w: &World, seed: u64, steps: usize) -> Vec<Case> {
    let cal = WorkCalendar::builtin();
    let limits = NodeLimits::default();
    let mut rng = Rng(seed);
    let mut now = t0();
    let mut cases: Vec<Case> = Vec::new();
    let actors = [
        &w.operator,
        &w.supervisor,
        &w.dispatcher,
        &w.handler,
        &w.other_handler,
        &w.inspector,
        &w.leader,
    ];
    for step in 0..steps {
        // Answers and ratings come every few steps only, so that cases move on through the
        // loop within the month the checks look at.
        let answer_now = step % 7 == 6;
        now = now.plus_minutes(i64::try_from(5 + rng.below(400)).unwrap_or(5));
        let ctx = Ctx {
            calendar: &cal,
            limits: &limits,
            now,
        };
        if cases.len() < 3 || rng.below(5) == 0 {
            let (who, mut r) = report(&mut rng, w);
            if r.self_handled || who.user_id == w.citizen.user_id {
                r.attachments = vec![photo(store, &who, now).await];
            }
            let t = workflow::new_case(&who, r, &ctx).expect("report");
            cases.push(store.insert_case(&t).await.expect("insert"));
            continue;
        }
        let i = rng.below(cases.len());
        let case = cases[i].clone();
        let mut commands: Vec<Command> = Command::examples()
            .into_iter()
            .filter(|c| !matches!(c, Command::LinkDuplicate { .. }))
            .filter(|c| !matches!(c, Command::Reply | Command::Rate { .. }) || answer_now)
            .map(|c| match c {
                Command::SendVerify { .. } => Command::SendVerify {
                    inspector_id: w.inspector.user_id,
                },
                Command::SendCheck { .. } => Command::SendCheck {
                    inspector_id: w.inspector.user_id,
                },
                Command::Dispatch { .. } => Command::Dispatch {
                    department_id: if rng.below(3) == 0 {
                        w.other_dept
                    } else {
                        w.dept
                    },
                },
                Command::Verify { .. } => Command::Verify {
                    confirmed: rng.below(5) != 0,
                },
                Command::Check { .. } => Command::Check {
                    passed: rng.below(4) != 0,
                },
                other => other,
            })
            .collect();
        // Shuffle so that every allowed command gets its turn.
        for k in (1..commands.len()).rev() {
            commands.swap(k, rng.below(k + 1));
        }
        'found: for cmd in &commands {
            for who in actors {
                let dry = Evidence {
                    note: Some("说明".into()),
                    attachments: vec![],
                };
                let needs_photo = match workflow::apply(&case, who, cmd, &dry, &ctx) {
                    Ok(_) => false,
                    Err(workflow::WorkflowError::Missing(_)) => true,
                    Err(_) => continue,
                };
                let ev = Evidence {
                    note: Some("说明".into()),
                    attachments: if needs_photo {
                        vec![photo(store, who, now).await]
                    } else {
                        vec![]
                    },
                };
                let Ok(t) = workflow::apply(&case, who, cmd, &ev, &ctx) else {
                    continue;
                };
                store
                    .apply_transition(case.version, &t)
                    .await
                    .expect("stored");
                cases[i] = t.case;
                break 'found;
            }
        }
    }
    cases
}

async fn counter(store: &Store, scope: &Scope, c: Counter, period: Period) -> i64 {
    store
        .assessment_period(scope.kind(), period)
        .await
        .expect("period")
        .sum(scope, period)
        .get(c)
}

#[tokio::test]
async fn incremental_counters_equal_recomputation_on_every_backend() {
    for (name, store, schema, _dir) in backends("assess").await {
        let w = seed(&store).await;
        let cal = WorkCalendar::builtin();
        let cases = random_history(&store, &w, 0x5eed_1234_abcd_0001, 260).await;
        assert!(cases.len() >= 10, "{name}: {} cases", cases.len());

        // A stale version writes nothing: neither the case nor its counters.
        let case = cases.iter().find(|c| c.version > 1).expect("a moved case");
        let stale = workflow::apply(
            &store.get_case(case.id).await.expect("get").expect("case"),
            &w.leader,
            &Command::Supervise,
            &Evidence {
                note: Some("督办".into()),
                attachments: vec![],
            },
            &Ctx {
                calendar: &cal,
                limits: &NodeLimits::default(),
                now: t0().plus_minutes(60 * 24 * 60),
            },
        );
        let before = store.assessment_aggregates().await.expect("aggregates");
        if let Ok(t) = stale {
            let err = store
                .apply_transition(case.version - 1, &t)
                .await
                .expect_err("stale version");
            assert!(matches!(err, StoreError::Conflict { .. }), "{err:?}");
        }
        let incremental = store.assessment_aggregates().await.expect("aggregates");
        assert_eq!(incremental, before, "{name}: a conflict changed counters");

        let recomputed = store.assessment_recompute(&cal).await.expect("recompute");
        assert!(incremental.bucket_count() > 50, "{name}: too few buckets");
        assert_eq!(
            incremental.buckets(),
            recomputed.buckets(),
            "{name}: incremental != recompute"
        );

        // Reported cases are counted in the city and in their street, and the road chief's
        // scope holds only the cases on the chief's road.
        let all = Period::new(
            Day::of(t0()).date(),
            Day::of(t0().plus_minutes(60 * 24 * 400)).date(),
        );
        assert_eq!(
            counter(&store, &Scope::City, Counter::Reported, all).await,
            i64::try_from(cases.len()).expect("len")
        );
        let on_road = cases
            .iter()
            .filter(|c| c.road_id.as_deref() == Some("R1"))
            .count();
        assert_eq!(
            counter(
                &store,
                &Scope::RoadChief { user_id: w.chief },
                Counter::Reported,
                all
            )
            .await,
            i64::try_from(on_road).expect("len")
        );
        let street = Scope::Area {
            code: code("410102002"),
        };
        let in_street = cases
            .iter()
            .filter(|c| c.area.street.as_ref().map(AreaCode::as_str) == Some("410102002"))
            .count();
        assert_eq!(
            counter(&store, &street, Counter::Reported, all).await,
            i64::try_from(in_street).expect("len")
        );

        // A period query gives the same indicators as the full aggregates: a week, and spans
        // whose overdue stock comes from whole months plus days of their first month.
        let day = |d: u32, m: u32| {
            Day::from_date(chrono::NaiveDate::from_ymd_opt(2026, m, d).expect("date"))
        };
        for span in [
            Period::week_of(Day::of(t0()).date()),
            Period {
                first: day(25, 11),
                last: day(10, 12),
            },
            Period {
                first: day(5, 12),
                last: day(20, 12),
            },
            Period {
                first: day(1, 12),
                last: day(31, 12),
            },
        ] {
            for kind in [ScopeKind::Area(AreaLevel::Street), ScopeKind::Department] {
                let period_agg = store.assessment_period(kind, span).await.expect("period");
                for s in incremental.scopes(kind) {
                    assert_eq!(
                        Indicators::of(&period_agg, &s, span),
                        Indicators::of(&incremental, &s, span),
                        "{name}: {s:?} {span:?}"
                    );
                }
            }
        }
        // A whole month is read from the monthly table: the same indicators.
        let november = Period::month_of(Day::of(t0()).date());
        for kind in [
            ScopeKind::Area(AreaLevel::Street),
            ScopeKind::RoadChief,
            ScopeKind::Department,
            ScopeKind::Person(Role::Inspector),
        ] {
            let month_agg = store
                .assessment_period(kind, november)
                .await
                .expect("month");
            let scopes = incremental.scopes(kind);
            assert!(!scopes.is_empty(), "{name}: no {kind:?}");
            for s in scopes {
                assert_eq!(
                    Indicators::of(&month_agg, &s, november),
                    Indicators::of(&incremental, &s, november),
                    "{name}: {s:?}"
                );
            }
        }
        let closed = Indicators::of(&incremental, &Scope::City, all);
        assert!(closed.closure_rate.den >= closed.closure_rate.num.min(0));
        assert_ne!(closed.reported, 0);
        assert_ne!(
            Indicators::of(&incremental, &Scope::City, all).dispatched,
            0,
            "{name}: the random history never dispatched"
        );

        // A rebuild finds nothing to correct and leaves the same counters.
        let report = store.rebuild_assessment(&cal, t0()).await.expect("rebuild");
        assert_eq!(report.differing_buckets, 0, "{name}: {report:?}");
        assert_eq!(
            store.assessment_aggregates().await.expect("aggregates"),
            incremental
        );
        let _ = Ratio::new(0, 0);
        eprintln!("assessment story passed on {name}: {report:?}");
        if let Some(s) = schema {
            store.drop_schema(&s).await.expect("drop");
        }
    }
}

#[tokio::test]
async fn flags_cycle_tasks_and_matters_round_trip() {
    use assessment::cycle::{CycleRule, NonWorkingDay, Place, Schedule};
    use assessment::flags::{FlagCandidate, select_flags};
    use assessment::matters::{Milestone, ProgressUpdate};
    use chrono::{NaiveDate, NaiveTime, Weekday};

    for (name, store, schema, _dir) in backends("assess_misc").await {
        let w = seed(&store).await;
        let monday = NaiveDate::from_ymd_opt(2026, 11, 23).expect("date");
        let candidates: Vec<FlagCandidate> = [(w.chief, 90.0), (w.chief + 100, 40.0)]
            .iter()
            .map(|(id, s)| FlagCandidate {
                scope: Scope::RoadChief { user_id: *id },
                score: *s,
                third_party_findings: 0,
            })
            .collect();
        let flags = select_flags(monday, &candidates, 1, 1, 2.0);
        store.save_flags(monday, &flags, t0()).await.expect("save");
        store.save_flags(monday, &flags, t0()).await.expect("again");
        assert_eq!(
            store.flag_history(None, None).await.expect("history"),
            flags,
            "{name}"
        );

        // Every Saturday 08:00, moved to the next working day: 2026-11-28 is a Saturday.
        let rule = CycleRule {
            id: 0,
            title: "夜市巡查".into(),
            class_code: "06010".into(),
            place: Place::Road {
                road_id: "R1".into(),
            },
            schedule: Schedule::Weekly {
                days: vec![Weekday::Sat],
            },
            time: NaiveTime::from_hms_opt(8, 0, 0).expect("time"),
            non_working: NonWorkingDay::NextWorkingDay,
        };
        let task = store
            .create_cycle_task(&rule, w.inspector.user_id, w.leader.user_id, t0())
            .await
            .expect("task");
        let cal = WorkCalendar::builtin();
        let later = t0().plus_minutes(60 * 24 * 8);
        let made = store.run_cycle_tasks(&cal, later).await.expect("run");
        assert_eq!(made.len(), 1, "{name}: {made:?}");
        let due = made[0].due_at.to_shanghai();
        assert_eq!(due.to_string(), "2026-11-30 08:00:00", "{name}");
        assert!(
            store
                .run_cycle_tasks(&cal, later)
                .await
                .expect("again")
                .is_empty()
        );
        store.delete_cycle_task(task.rule.id).await.expect("delete");
        assert!(store.list_cycle_tasks().await.expect("list").is_empty());

        let cat = store
            .create_matter_category("环境整治", t0())
            .await
            .expect("category");
        let item = store
            .create_matter(
                &crate::NewMatter {
                    category_id: cat.id,
                    title: "背街小巷整治".into(),
                    plan: "年底前完成".into(),
                    measures: vec!["清运".into()],
                    owner_department_id: w.dept,
                    milestones: vec![Milestone {
                        title: "清运".into(),
                        due: monday,
                        done_on: None,
                    }],
                },
                t0(),
            )
            .await
            .expect("item");
        assert_eq!(
            item.status,
            assessment::matters::MatterStatus::Planned,
            "{name}"
        );
        let done = store
            .add_matter_progress(
                item.id,
                &ProgressUpdate {
                    on: monday,
                    percent: 100,
                    note: "完成".into(),
                },
                &["清运".into()],
                w.leader.user_id,
                t0(),
            )
            .await
            .expect("progress");
        assert_eq!(done.status, assessment::matters::MatterStatus::Done);
        assert_eq!(
            store.list_matters(None).await.expect("list"),
            vec![done],
            "{name}"
        );
        let _ = w.other_handler.user_id;
        if let Some(s) = schema {
            store.drop_schema(&s).await.expect("drop");
        }
    }
}
