//! Builders shared by the integration tests.
#![allow(dead_code)]

use assessment::{Action, AuditEvent, CaseFacts};
use chrono::NaiveDate;
use domain::area::{AreaCode, AreaPath};
use domain::org::Role;
use domain::time::Timestamp;
use domain::workflow::{CaseState, Source};

/// 2026-11-`day` `hh:mm` in Asia/Shanghai (23 = Monday; the week has no holiday).
pub fn t(day: u32, hm: &str) -> Timestamp {
    let (h, m) = hm.split_once(':').expect("hh:mm");
    let date = NaiveDate::from_ymd_opt(2026, 11, day).expect("date");
    Timestamp::from_shanghai(
        date.and_hms_opt(h.parse().expect("h"), m.parse().expect("m"), 0)
            .expect("time"),
    )
}

pub fn area(grid: &str) -> AreaPath {
    AreaPath::of(&AreaCode::parse(grid).expect("grid code"))
}

/// Builds one case's event list, tracking its state and department.
pub struct CaseB {
    pub id: i64,
    pub facts: CaseFacts,
    pub state: Option<CaseState>,
    pub events: Vec<AuditEvent>,
}

impl CaseB {
    pub fn new(
        id: i64,
        source: Source,
        grid: &str,
        road_chief: Option<i64>,
        grid_inspector: i64,
    ) -> CaseB {
        CaseB {
            id,
            facts: CaseFacts {
                source,
                area: area(grid),
                department_id: None,
                road_chief_id: road_chief,
                grid_inspector_id: Some(grid_inspector),
            },
            state: None,
            events: Vec::new(),
        }
    }

    /// One event: `at`, `action` by `actor` in `role`, to state `to`, with the deadline of the
    /// node left and of the node entered.
    #[allow(clippy::too_many_arguments)]
    pub fn step(
        &mut self,
        at: Timestamp,
        action: Action,
        actor: i64,
        role: Role,
        to: CaseState,
        deadline_before: Option<Timestamp>,
        deadline_after: Option<Timestamp>,
    ) -> &mut CaseB {
        if let Action::Dispatch { department_id } = action {
            self.facts.department_id = department_id;
        }
        self.events.push(AuditEvent {
            case_id: self.id,
            at,
            action,
            actor_id: actor,
            actor_role: role,
            from_state: self.state,
            to_state: to,
            deadline_before,
            deadline_after,
            case: self.facts.clone(),
        });
        self.state = Some(to);
        self
    }
}
