//! Bulk-loads synthetic cases straight into a store, in every state, spread over a year, across
//! the demo district's grids, for large-store benchmarks. Deterministic from a seed.

use domain::area::{AreaCode, AreaPath};
use domain::calendar::WorkCalendar;
use domain::org::{Caller, Role, RoleGrant};
use domain::taxonomy::{ClassKind, HandlingLimits, LimitUnit, TimeLimit, Urgency};
use domain::time::Timestamp;
use domain::workflow::{
    self, CaseState, ClassSnapshot, Ctx, NewReport, NodeClock, NodeLimits, Source,
};
use rand::rngs::StdRng;
use rand::{RngExt, SeedableRng};
use store::Store;

const CLASSES: &[(&str, &str)] = &[
    ("06010", "暴露垃圾"),
    ("06012", "道路不洁"),
    ("09006", "占道经营"),
    ("07001", "非法小广告"),
    ("01002", "污水井盖异常"),
    ("01037", "路灯异常"),
    ("06036", "乱堆杂物"),
    ("09009", "机动车乱停放"),
];
const TEXTS: &[&str] = &[
    "路口有成堆垃圾",
    "井盖破损",
    "占道经营",
    "小广告",
    "路灯不亮",
    "车辆乱停",
    "乱堆杂物",
    "道路不洁",
];

/// What to seed.
pub struct Plan<'a> {
    /// Grids to spread cases over (they must exist in the store).
    pub grids: &'a [AreaCode],
    /// The user recorded as reporter.
    pub reporter_id: i64,
    /// Departments dispatched cases go to.
    pub department_ids: &'a [i64],
    pub count: usize,
    /// Cases per transaction.
    pub batch: usize,
    pub seed: u64,
    /// Cases are created during the year before this instant.
    pub now: Timestamp,
}

/// Inserts the planned cases in batches. Returns how many were written.
///
/// # Errors
/// The store refuses (e.g. unknown grid, user or department).
pub async fn seed(store: &Store, plan: &Plan<'_>) -> anyhow::Result<usize> {
    let Plan {
        grids,
        reporter_id,
        department_ids,
        count,
        batch,
        seed,
        now,
    } = *plan;
    anyhow::ensure!(
        !grids.is_empty() && !department_ids.is_empty(),
        "need grids and departments"
    );
    let cal = WorkCalendar::builtin();
    let limits = NodeLimits::default();
    let mut rng = StdRng::seed_from_u64(seed);
    let caller = Caller {
        user_id: reporter_id,
        grants: vec![RoleGrant {
            role: Role::Inspector,
            area: None,
            department_id: None,
        }],
    };
    let states = [
        CaseState::Reported,
        CaseState::Verifying,
        CaseState::PendingFiling,
        CaseState::PendingDispatch,
        CaseState::Dispatched,
        CaseState::Handling,
        CaseState::Suspended,
        CaseState::PendingCheck,
        CaseState::Checking,
        CaseState::PendingClose,
        CaseState::Closed,
        CaseState::Closed,
        CaseState::Closed,
        CaseState::Closed,
        CaseState::Closed,
        CaseState::Rejected,
        CaseState::Voided,
    ];
    let year_ms = 365 * 24 * 3_600_000_i64;
    let mut written = 0;
    while written < count {
        let n = batch.min(count - written);
        let mut items = Vec::with_capacity(n);
        for _ in 0..n {
            let created = Timestamp(now.0 - rng.random_range(0..year_ms));
            let (code, name) = CLASSES[rng.random_range(0..CLASSES.len())];
            let grid = &grids[rng.random_range(0..grids.len())];
            let ctx = Ctx {
                calendar: &cal,
                limits: &limits,
                now: created,
            };
            let report = NewReport {
                source: Source::Inspector,
                description: TEXTS[rng.random_range(0..TEXTS.len())].to_owned(),
                address: None,
                road_id: None,
                lat: Some(34.74 + rng.random_range(0.0..0.02)),
                lon: Some(113.60 + rng.random_range(0.0..0.03)),
                area: AreaPath::of(grid),
                class: Some(ClassSnapshot {
                    standard_ref: "GB/T 47678.5-2026".into(),
                    kind: ClassKind::Matter,
                    code: code.into(),
                    name: name.into(),
                    limits: HandlingLimits {
                        urgent: TimeLimit {
                            amount: 1,
                            unit: LimitUnit::WorkHours,
                        },
                        high: TimeLimit {
                            amount: 2,
                            unit: LimitUnit::WorkHours,
                        },
                        normal: TimeLimit {
                            amount: 4,
                            unit: LimitUnit::WorkHours,
                        },
                    },
                }),
                urgency: Urgency::Normal,
                reporter_name: None,
                reporter_phone: None,
                anonymous: false,
                external_ref: None,
                self_handled: false,
                attachments: vec![],
                note: None,
            };
            let mut t =
                workflow::new_case(&caller, report, &ctx).map_err(|e| anyhow::anyhow!("{e}"))?;
            let state = states[rng.random_range(0..states.len())];
            let c = &mut t.case;
            c.state = state;
            c.source = [
                Source::Inspector,
                Source::CitizenApp,
                Source::Hotline12319,
                Source::Camera,
            ][rng.random_range(0..4usize)];
            if matches!(
                state,
                CaseState::Dispatched
                    | CaseState::Handling
                    | CaseState::Suspended
                    | CaseState::PendingCheck
                    | CaseState::Checking
                    | CaseState::PendingClose
                    | CaseState::Closed
            ) {
                c.department_id = Some(department_ids[rng.random_range(0..department_ids.len())]);
            }
            if state.is_terminal() {
                c.clock = None;
                c.closed_at = Some(Timestamp(
                    created.0 + rng.random_range(3_600_000..10 * 86_400_000),
                ));
            } else {
                let start = Timestamp(now.0 - rng.random_range(0..5 * 86_400_000));
                c.clock = Some(NodeClock::start(&cal, start, rng.random_range(60..2400)));
            }
            t.event.to_state = state;
            items.push(t);
        }
        store.import_cases(&items).await?;
        written += n;
    }
    Ok(written)
}
