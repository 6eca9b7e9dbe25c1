//! The input of the assessment: one audit event with the case facts the indicators need.
//!
//! An [`AuditEvent`] is built from one `case_events` row joined with its case row:
//!
//! | field | from |
//! |---|---|
//! | `case_id`, `at`, `actor_id`, `actor_role`, `from_state`, `to_state` | `case_events` columns |
//! | `action` | [`Action::from_row`]`(case_events.action, case_events.data)` |
//! | `deadline_before` | the case's `node_deadline_at` just **before** the transition (the deadline of the node being left) |
//! | `deadline_after` | the case's `node_deadline_at` just **after** the transition (the deadline of the node entered) |
//! | `case.source` | `cases.source` |
//! | `case.area` | `cases.district_code`, `street_code`, `community_code`, `grid_code` |
//! | `case.department_id` | `cases.department_id` after the transition |
//! | `case.road_chief_id` | the road chief 路长 of `cases.road_id` (city model) |
//! | `case.grid_inspector_id` | the inspector 监督员 responsible for `cases.grid_code` (user_roles) |
//!
//! The two deadlines are not in `case_events` today: the store has to record them with each event
//! (for example in `case_events.data`) so that a full recomputation sees what the incremental
//! path saw.

use domain::area::AreaPath;
use domain::org::Role;
use domain::time::Timestamp;
use domain::workflow::{CaseState, Source};
use serde::{Deserialize, Serialize};

/// What happened, mirroring `domain::workflow::Command` names plus the intake events and the
/// citizen answer events (`reply`, `rate`) the indicators also read.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "action", rename_all = "snake_case")]
pub enum Action {
    /// 上报 — a new report from any channel.
    Report,
    /// 自行处置 — an inspector's report already fixed on the spot.
    ReportSelfHandled,
    /// 发核实 — operator sends `inspector_id` to verify.
    SendVerify { inspector_id: Option<i64> },
    /// 受理 — operator accepts a report with its own evidence.
    Accept,
    /// 不予受理.
    RejectReport,
    /// 核实 — inspector's on-site finding.
    Verify { confirmed: bool },
    /// 立案.
    File,
    /// 不予立案.
    Reject,
    /// 立案回退.
    ReturnToIntake,
    /// 派遣 to `department_id`.
    Dispatch { department_id: Option<i64> },
    /// 签收.
    AcceptTask,
    /// 回退申请.
    RequestReturn,
    /// 回退审批通过.
    ApproveReturn,
    /// 回退审批驳回.
    DenyReturn,
    /// 处置反馈.
    Feedback,
    /// 延期申请.
    RequestExtension,
    /// 延期审批通过.
    ApproveExtension,
    /// 延期审批驳回.
    DenyExtension,
    /// 挂账申请.
    RequestSuspension,
    /// 挂账审批通过.
    ApproveSuspension,
    /// 挂账审批驳回.
    DenySuspension,
    /// 挂账恢复.
    Resume,
    /// 发核查 — operator sends `inspector_id` to check.
    SendCheck { inspector_id: Option<i64> },
    /// 核查 — inspector's check result.
    Check { passed: bool },
    /// 结案.
    Close,
    /// 返工.
    Rework,
    /// 督办.
    Supervise,
    /// 作废申请.
    RequestVoid,
    /// 作废审批通过.
    ApproveVoid,
    /// 作废审批驳回.
    DenyVoid,
    /// 合并 into a master case.
    LinkDuplicate,
    /// 回复 — the result was sent back to the reporter (not yet a workflow command; action
    /// name `reply`).
    Reply,
    /// 满意度评价 — the reporter's rating (action name `rate`, `data.satisfied: bool`).
    Rate { satisfied: bool },
    /// Any other action; ignored by the indicators.
    Other(String),
}

impl Action {
    /// Parses a `case_events` row's `action` and `data` columns. Unknown names, and known names
    /// whose required payload is missing (`verify` without `confirmed`, `check` without `passed`,
    /// `rate` without `satisfied`), become [`Action::Other`].
    pub fn from_row(action: &str, data: &serde_json::Value) -> Action {
        let int = |key: &str| data.get(key).and_then(serde_json::Value::as_i64);
        let flag = |key: &str| data.get(key).and_then(serde_json::Value::as_bool);
        let other = || Action::Other(action.to_owned());
        match action {
            "report" => Action::Report,
            "report_self_handled" => Action::ReportSelfHandled,
            "send_verify" => Action::SendVerify {
                inspector_id: int("inspector_id"),
            },
            "accept" => Action::Accept,
            "reject_report" => Action::RejectReport,
            "verify" => {
                flag("confirmed").map_or_else(other, |confirmed| Action::Verify { confirmed })
            }
            "file" => Action::File,
            "reject" => Action::Reject,
            "return_to_intake" => Action::ReturnToIntake,
            "dispatch" => Action::Dispatch {
                department_id: int("department_id"),
            },
            "accept_task" => Action::AcceptTask,
            "request_return" => Action::RequestReturn,
            "approve_return" => Action::ApproveReturn,
            "deny_return" => Action::DenyReturn,
            "feedback" => Action::Feedback,
            "request_extension" => Action::RequestExtension,
            "approve_extension" => Action::ApproveExtension,
            "deny_extension" => Action::DenyExtension,
            "request_suspension" => Action::RequestSuspension,
            "approve_suspension" => Action::ApproveSuspension,
            "deny_suspension" => Action::DenySuspension,
            "resume" => Action::Resume,
            "send_check" => Action::SendCheck {
                inspector_id: int("inspector_id"),
            },
            "check" => flag("passed").map_or_else(other, |passed| Action::Check { passed }),
            "close" => Action::Close,
            "rework" => Action::Rework,
            "supervise" => Action::Supervise,
            "request_void" => Action::RequestVoid,
            "approve_void" => Action::ApproveVoid,
            "deny_void" => Action::DenyVoid,
            "link_duplicate" => Action::LinkDuplicate,
            "reply" => Action::Reply,
            "rate" => flag("satisfied").map_or_else(other, |satisfied| Action::Rate { satisfied }),
            _ => other(),
        }
    }
}

/// The facts of the case an event belongs to, as they stand after the event.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct CaseFacts {
    /// 案件来源.
    pub source: Source,
    /// District → street → community → grid codes, as known.
    pub area: AreaPath,
    /// The department 处置部门 the case is (or was last) dispatched to.
    pub department_id: Option<i64>,
    /// The road chief 路长 answering for the case's road, if any.
    pub road_chief_id: Option<i64>,
    /// The inspector 监督员 responsible for the case's grid (for 漏报), if any.
    pub grid_inspector_id: Option<i64>,
}

/// One audit event with what the indicators need to know about it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct AuditEvent {
    pub case_id: i64,
    pub at: Timestamp,
    pub action: Action,
    pub actor_id: i64,
    pub actor_role: Role,
    pub from_state: Option<CaseState>,
    pub to_state: CaseState,
    /// Deadline of the node being left (`node_deadline_at` before the transition).
    pub deadline_before: Option<Timestamp>,
    /// Deadline of the node entered (`node_deadline_at` after the transition).
    pub deadline_after: Option<Timestamp>,
    pub case: CaseFacts,
}

impl AuditEvent {
    /// Whether the event happened no later than the deadline of the node it left. `None` when
    /// that node had no running clock.
    pub fn on_time(&self) -> Option<bool> {
        self.deadline_before.map(|d| self.at <= d)
    }
}

/// Channels from the public whose verified reports count as 监督举报 (and so as 漏报 of the grid's
/// inspector): citizen app, Open311, both hotlines, Weibo, mailbox, volunteers. Device alarms,
/// 暗访 and 上级交办 are not public reports.
pub fn is_public_source(source: Source) -> bool {
    matches!(
        source,
        Source::CitizenApp
            | Source::Open311
            | Source::Hotline12319
            | Source::Hotline12345
            | Source::Weibo
            | Source::Mailbox
            | Source::Volunteer
    )
}

/// The hotline channels (12319, 12345) whose transfer 转办 and reply 回复 rates are reported.
pub fn is_hotline_source(source: Source) -> bool {
    matches!(source, Source::Hotline12319 | Source::Hotline12345)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn actions_parse_with_their_payloads() {
        assert_eq!(
            Action::from_row("dispatch", &json!({"department_id": 7})),
            Action::Dispatch {
                department_id: Some(7)
            }
        );
        assert_eq!(
            Action::from_row("verify", &json!({"confirmed": false})),
            Action::Verify { confirmed: false }
        );
        assert_eq!(
            Action::from_row("check", &json!({})),
            Action::Other("check".into())
        );
        assert_eq!(
            Action::from_row("rate", &json!({"satisfied": true})),
            Action::Rate { satisfied: true }
        );
        assert_eq!(
            Action::from_row("teleport", &json!({})),
            Action::Other("teleport".into())
        );
    }
}
