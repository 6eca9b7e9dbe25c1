//! The case closed loop 案卷流转 as an explicit state machine.
//!
//! A case (案卷) moves through these states (CJ/T 315 / GB/T 30428.8 stages):
//!
//! ```text
//!  report ──(inspector)──────────────────────────────┐
//!    │                                               ▼
//!    ▼ (citizen, hotline, volunteer …)          PendingFiling 待立案 ──reject──▶ Rejected 不予立案
//!  Reported 待受理 ──send_verify──▶ Verifying 核实中 ──verify──▶ │ ▲ return_to_intake
//!    │  └──accept (device/superior sources)──────────────────────┘ │
//!    └──reject_report──▶ Rejected                                 │ file 立案
//!                                                                 ▼
//!                      PendingDispatch 待派遣 ──dispatch──▶ Dispatched 待签收 ──accept_task──▶ Handling 处置中
//!                            ▲   ▲                                 │ request_return          │  │ request_suspension
//!                            │   └──────── approve_return ◀────────┴─────────────────────────┘  ▼ approve_suspension
//!                            │                                                   Suspended 挂账 ──resume──▶ Handling
//!      Handling ──feedback──▶ PendingCheck 待核查 ──send_check──▶ Checking 核查中 ──check──▶ PendingClose 待结案
//!      PendingClose ──close──▶ Closed 结案        PendingClose ──rework 返工──▶ Dispatched (same department)
//! ```
//!
//! Besides the main line: extension 延期 (request → approve moves the handling deadline),
//! supervision 督办 (a leader flags any open case; the level escalates), voiding 作废 (request →
//! approval by the shift supervisor), self-handled 自行处置 inspector reports (straight to
//! PendingClose), and linking a duplicate to its master case (→ Merged).
//!
//! [`apply`] is the only way a case changes: it takes the case, the caller, a [`Command`] and a
//! [`Ctx`] (calendar, limits, `now`) and returns the new case and the audit event to write, or a
//! [`WorkflowError`]. It never reads a clock and never does IO.
//!
//! While a request (return, extension, suspension, void) is pending, only its approval or denial
//! and supervision are allowed; everything else waits for the decision.

use serde::{Deserialize, Serialize};

use crate::area::AreaPath;
use crate::calendar::{Light, WorkCalendar, light, yellow_threshold_minutes};
use crate::org::{Caller, Role};
use crate::policy;
use crate::taxonomy::{ClassKind, HandlingLimits, Urgency};
use crate::time::Timestamp;

/// Where a case is in the loop.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CaseState {
    /// 待受理 — a new report awaiting the operator.
    Reported,
    /// 核实中 — an inspector was sent to verify the report on site.
    Verifying,
    /// 待立案 — awaiting the shift supervisor's filing decision.
    PendingFiling,
    /// 待派遣 — filed, awaiting dispatch.
    PendingDispatch,
    /// 待签收 — sent to a department, not yet accepted.
    Dispatched,
    /// 处置中 — the department is handling it.
    Handling,
    /// 挂账 — parked; the clock stops.
    Suspended,
    /// 待核查 — the department fed back; awaiting a check task.
    PendingCheck,
    /// 核查中 — an inspector was sent to check the result.
    Checking,
    /// 待结案 — checked; awaiting the closing decision.
    PendingClose,
    /// 结案 — closed.
    Closed,
    /// 不予立案/不予受理 — rejected.
    Rejected,
    /// 作废 — voided.
    Voided,
    /// 已合并 — a duplicate linked to its master case.
    Merged,
}

impl CaseState {
    pub const ALL: [CaseState; 14] = [
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
        CaseState::Rejected,
        CaseState::Voided,
        CaseState::Merged,
    ];

    /// Every state in which the citizen may be answered 答复: all but Merged.
    pub const ANSWERABLE: [CaseState; 13] = [
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
        CaseState::Rejected,
        CaseState::Voided,
    ];

    /// Every state a case can still move along the loop from (all but the terminal ones).
    pub const OPEN: [CaseState; 10] = [
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
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            CaseState::Reported => "reported",
            CaseState::Verifying => "verifying",
            CaseState::PendingFiling => "pending_filing",
            CaseState::PendingDispatch => "pending_dispatch",
            CaseState::Dispatched => "dispatched",
            CaseState::Handling => "handling",
            CaseState::Suspended => "suspended",
            CaseState::PendingCheck => "pending_check",
            CaseState::Checking => "checking",
            CaseState::PendingClose => "pending_close",
            CaseState::Closed => "closed",
            CaseState::Rejected => "rejected",
            CaseState::Voided => "voided",
            CaseState::Merged => "merged",
        }
    }

    pub fn parse(s: &str) -> Option<CaseState> {
        CaseState::ALL.into_iter().find(|c| c.as_str() == s)
    }

    pub fn label_zh(self) -> &'static str {
        match self {
            CaseState::Reported => "待受理",
            CaseState::Verifying => "核实中",
            CaseState::PendingFiling => "待立案",
            CaseState::PendingDispatch => "待派遣",
            CaseState::Dispatched => "待签收",
            CaseState::Handling => "处置中",
            CaseState::Suspended => "挂账",
            CaseState::PendingCheck => "待核查",
            CaseState::Checking => "核查中",
            CaseState::PendingClose => "待结案",
            CaseState::Closed => "已结案",
            CaseState::Rejected => "不予立案",
            CaseState::Voided => "已作废",
            CaseState::Merged => "已合并",
        }
    }

    /// Whether the case has left the loop: no node clock runs. Only the answer to the citizen
    /// 答复 and, on a closed case, the reporter's rating 回访 (which may reopen it once) follow.
    pub fn is_terminal(self) -> bool {
        matches!(
            self,
            CaseState::Closed | CaseState::Rejected | CaseState::Voided | CaseState::Merged
        )
    }
}

/// The channel a report came through (案件来源). Kept for every case.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Source {
    /// 监督员上报 — grid inspector patrol.
    Inspector,
    /// 市民随手拍 — the citizen app/portal.
    CitizenApp,
    /// Open311 GeoReport v2 clients.
    Open311,
    /// 12319 城建服务热线.
    #[serde(rename = "hotline_12319")]
    Hotline12319,
    /// 12345 政务服务热线 (forwarded).
    #[serde(rename = "hotline_12345")]
    Hotline12345,
    /// 微博/网络舆情.
    Weibo,
    /// 局长信箱/市长信箱.
    Mailbox,
    /// 志愿者/名誉路长.
    Volunteer,
    /// AI 摄像头.
    Camera,
    /// 物联网传感器告警.
    Sensor,
    /// 车辆告警 (JT/T 808).
    Vehicle,
    /// 第三方暗访.
    ThirdPartyInspection,
    /// 上级交办 / 领导批示.
    Superior,
    /// 周期案件 — made on schedule by a cycle task (a recurring inspection), sent to its
    /// inspector to verify on site.
    Cycle,
}

impl Source {
    pub const ALL: [Source; 14] = [
        Source::Inspector,
        Source::CitizenApp,
        Source::Open311,
        Source::Hotline12319,
        Source::Hotline12345,
        Source::Weibo,
        Source::Mailbox,
        Source::Volunteer,
        Source::Camera,
        Source::Sensor,
        Source::Vehicle,
        Source::ThirdPartyInspection,
        Source::Superior,
        Source::Cycle,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Source::Inspector => "inspector",
            Source::CitizenApp => "citizen_app",
            Source::Open311 => "open311",
            Source::Hotline12319 => "hotline_12319",
            Source::Hotline12345 => "hotline_12345",
            Source::Weibo => "weibo",
            Source::Mailbox => "mailbox",
            Source::Volunteer => "volunteer",
            Source::Camera => "camera",
            Source::Sensor => "sensor",
            Source::Vehicle => "vehicle",
            Source::ThirdPartyInspection => "third_party_inspection",
            Source::Superior => "superior",
            Source::Cycle => "cycle",
        }
    }

    pub fn parse(s: &str) -> Option<Source> {
        Source::ALL.into_iter().find(|c| c.as_str() == s)
    }

    pub fn label_zh(self) -> &'static str {
        match self {
            Source::Inspector => "监督员上报",
            Source::CitizenApp => "市民随手拍",
            Source::Open311 => "Open311",
            Source::Hotline12319 => "12319热线",
            Source::Hotline12345 => "12345热线",
            Source::Weibo => "微博",
            Source::Mailbox => "局长信箱",
            Source::Volunteer => "志愿者",
            Source::Camera => "AI摄像头",
            Source::Sensor => "物联网传感器",
            Source::Vehicle => "车辆监管",
            Source::ThirdPartyInspection => "第三方暗访",
            Source::Superior => "上级交办",
            Source::Cycle => "周期案件",
        }
    }

    /// Sources whose reports carry their own evidence (a snapshot, a reading, a track, an
    /// inspection record or an instruction) and so may be accepted without on-site verification.
    pub fn has_own_evidence(self) -> bool {
        matches!(
            self,
            Source::Inspector
                | Source::Camera
                | Source::Sensor
                | Source::Vehicle
                | Source::ThirdPartyInspection
                | Source::Superior
        )
    }

    /// Which roles may create a report through this channel.
    pub fn reporter_roles(self) -> &'static [Role] {
        match self {
            Source::Inspector => &[Role::Inspector],
            Source::CitizenApp | Source::Open311 => &[Role::Citizen, Role::Operator],
            Source::Volunteer => &[Role::Volunteer],
            Source::Hotline12319 | Source::Hotline12345 | Source::Weibo | Source::Mailbox => {
                &[Role::Operator]
            }
            Source::Camera | Source::Sensor | Source::Vehicle => &[Role::Operator, Role::Admin],
            Source::ThirdPartyInspection => &[Role::Operator, Role::Leader],
            Source::Superior => &[Role::Leader, Role::Operator],
            Source::Cycle => &[Role::Operator, Role::Admin],
        }
    }
}

/// 回访评价 — how the reporter judged the result of a closed case.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Rating {
    /// 满意.
    Satisfied,
    /// 基本满意.
    BasicallySatisfied,
    /// 不满意 — reopens the case for re-handling once (回访不满意回退重办).
    Unsatisfied,
}

impl Rating {
    pub const ALL: [Rating; 3] = [
        Rating::Satisfied,
        Rating::BasicallySatisfied,
        Rating::Unsatisfied,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Rating::Satisfied => "satisfied",
            Rating::BasicallySatisfied => "basically_satisfied",
            Rating::Unsatisfied => "unsatisfied",
        }
    }

    pub fn parse(s: &str) -> Option<Rating> {
        Rating::ALL.into_iter().find(|r| r.as_str() == s)
    }

    pub fn label_zh(self) -> &'static str {
        match self {
            Rating::Satisfied => "满意",
            Rating::BasicallySatisfied => "基本满意",
            Rating::Unsatisfied => "不满意",
        }
    }
}

/// How many times an unsatisfied rating may reopen a case (回访不满意回退重办, once).
pub const MAX_REOPENS: i32 = 1;

/// The class of a case, as a snapshot taken when it was set (history is never rewritten by
/// later taxonomy edits).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ClassSnapshot {
    pub standard_ref: String,
    pub kind: ClassKind,
    pub code: String,
    pub name: String,
    /// The class's handling limits 处置时限 at the time, per urgency.
    pub limits: HandlingLimits,
}

/// A request awaiting an approver's decision.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum PendingRequest {
    /// 回退申请 — the department says it is not theirs; the dispatcher decides.
    Return { requested_by: i64, reason: String },
    /// 延期申请 — more working minutes for handling; the dispatcher decides.
    Extension {
        requested_by: i64,
        minutes: i64,
        reason: String,
    },
    /// 挂账申请 — park the case; the dispatcher decides.
    Suspension { requested_by: i64, reason: String },
    /// 作废申请 — void the case; the shift supervisor decides.
    Void { requested_by: i64, reason: String },
}

impl PendingRequest {
    pub fn kind(&self) -> &'static str {
        match self {
            PendingRequest::Return { .. } => "return",
            PendingRequest::Extension { .. } => "extension",
            PendingRequest::Suspension { .. } => "suspension",
            PendingRequest::Void { .. } => "void",
        }
    }
}

/// The clock of the node (step) a case is at. Counted in working minutes.
///
/// While running, `deadline_at` and `yellow_at` are the instants at which the light turns red
/// and yellow; the store keeps them so lists can filter by light with plain comparisons. While
/// paused (挂账) they are `None` and the light is frozen at what `used_before` gives.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct NodeClock {
    /// Working minutes allowed at this node.
    pub limit_minutes: i64,
    /// Working minutes used before the current run (before a suspension).
    pub used_before_minutes: i64,
    /// When the current run started; `None` while paused.
    pub running_since: Option<Timestamp>,
    /// When the light turns red; `None` while paused.
    pub deadline_at: Option<Timestamp>,
    /// When the light turns yellow; `None` while paused.
    pub yellow_at: Option<Timestamp>,
}

impl NodeClock {
    /// A clock starting now with `limit` working minutes.
    pub fn start(cal: &WorkCalendar, now: Timestamp, limit_minutes: i64) -> NodeClock {
        let mut c = NodeClock {
            limit_minutes,
            used_before_minutes: 0,
            running_since: None,
            deadline_at: None,
            yellow_at: None,
        };
        c.resume(cal, now);
        c
    }

    /// Starts (or restarts) running from `now`, keeping minutes already used.
    ///
    /// The light goes on from where the minutes used put it, as [`light`] has it: at or past
    /// the yellow threshold, `yellow_at` is `now` itself (not the next working moment, which
    /// would show green until then, e.g. over lunch or a holiday); past the limit, `deadline_at`
    /// is just before `now` (red at once).
    pub fn resume(&mut self, cal: &WorkCalendar, now: Timestamp) {
        let limit = self.limit_minutes.max(0);
        let left = limit - self.used_before_minutes;
        let to_yellow = yellow_threshold_minutes(limit) - self.used_before_minutes;
        let deadline = if left < 0 {
            Timestamp(now.millis().saturating_sub(1))
        } else {
            cal.add_working_minutes(now, left)
        };
        let yellow = if to_yellow <= 0 {
            now
        } else {
            cal.add_working_minutes(now, to_yellow)
        };
        self.running_since = Some(now);
        self.deadline_at = Some(deadline);
        self.yellow_at = Some(yellow.min(deadline));
    }

    /// Stops the clock at `now`, banking the minutes used.
    pub fn pause(&mut self, cal: &WorkCalendar, now: Timestamp) {
        if let Some(since) = self.running_since.take() {
            self.used_before_minutes += cal.working_minutes_between(since, now).max(0);
        }
        self.deadline_at = None;
        self.yellow_at = None;
    }

    /// Adds working minutes to the limit (延期), moving the deadline if running.
    pub fn extend(&mut self, cal: &WorkCalendar, now: Timestamp, minutes: i64) {
        let running = self.running_since.is_some();
        if running {
            self.pause(cal, now);
        }
        self.limit_minutes += minutes;
        if running {
            self.resume(cal, now);
        }
    }

    /// Working minutes used so far.
    pub fn used_minutes(&self, cal: &WorkCalendar, now: Timestamp) -> i64 {
        let running = match self.running_since {
            Some(since) => cal.working_minutes_between(since, now).max(0),
            None => 0,
        };
        self.used_before_minutes + running
    }

    /// The light at `now`. Running: compared by instant, exactly as the store's SQL does.
    /// Paused: from the banked minutes.
    pub fn light(&self, now: Timestamp) -> Light {
        match (self.deadline_at, self.yellow_at) {
            (Some(deadline), _) if now > deadline => Light::Red,
            (Some(_), Some(yellow)) if now >= yellow => Light::Yellow,
            (Some(_), _) => Light::Green,
            (None, _) => light(self.used_before_minutes, self.limit_minutes),
        }
    }
}

/// Working-minute limits of each node except handling (which comes from the class).
/// Editable by an admin; these are the seed values.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct NodeLimits {
    /// 受理 — operator takes up a new report.
    pub accept: i64,
    /// 核实 — inspector verifies on site.
    pub verify: i64,
    /// 立案 — shift supervisor decides.
    pub file: i64,
    /// 派遣 — dispatcher sends it out.
    pub dispatch: i64,
    /// 签收 — department accepts.
    pub sign: i64,
    /// 发核查 — operator sends the check.
    pub send_check: i64,
    /// 核查 — inspector checks on site.
    pub check: i64,
    /// 结案 — shift supervisor closes.
    pub close: i64,
    /// 挂账 — how long a suspended case may stay parked before its light turns.
    pub suspended: i64,
}

impl Default for NodeLimits {
    fn default() -> Self {
        NodeLimits {
            accept: 30,
            verify: 120,
            file: 30,
            dispatch: 30,
            sign: 60,
            send_check: 30,
            check: 120,
            close: 60,
            suspended: 20 * 420,
        }
    }
}

/// A case as the workflow sees it. The store maps it to rows; the server to JSON.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Case {
    pub id: i64,
    /// Human-readable number, e.g. `20261124000123`.
    pub case_no: String,
    /// Optimistic-concurrency version; bumped on every transition.
    pub version: i64,
    pub state: CaseState,
    pub source: Source,
    pub description: String,
    pub address: Option<String>,
    /// WGS-84 degrees.
    pub lat: Option<f64>,
    pub lon: Option<f64>,
    pub area: AreaPath,
    /// The nearest road (id in the city model) when the case was located, e.g. `R410102-0007`.
    pub road_id: Option<String>,
    pub class: Option<ClassSnapshot>,
    pub urgency: Urgency,
    /// The department the case is (or was last) dispatched to.
    pub department_id: Option<i64>,
    /// The inspector sent to verify or check.
    pub assignee_id: Option<i64>,
    pub reporter_id: Option<i64>,
    pub reporter_name: Option<String>,
    pub reporter_phone: Option<String>,
    /// 匿名 — the reporter asked not to be named: only they see their name and phone.
    pub anonymous: bool,
    /// The forwarding platform's ticket number (12345 工单号) or another channel's reference.
    pub external_ref: Option<String>,
    pub master_case_id: Option<i64>,
    pub pending: Option<PendingRequest>,
    /// 督办 level: 0 = not supervised.
    pub supervision_level: i32,
    /// 返工 count.
    pub rework_count: i32,
    /// How many times it was dispatched, to any department.
    pub dispatch_count: i32,
    /// 自行处置 by the reporting inspector.
    pub self_handled: bool,
    /// Result of the last on-site verification, if any.
    pub verified: Option<bool>,
    /// Result of the last on-site check, if any.
    pub check_passed: Option<bool>,
    /// The clock of the current node; `None` in terminal states.
    pub clock: Option<NodeClock>,
    /// 转办 — when the case was first dispatched to a department.
    pub first_dispatched_at: Option<Timestamp>,
    /// 答复 — the latest answer to the citizen; `replied_at` is when the first was given.
    pub reply: Option<String>,
    pub replied_at: Option<Timestamp>,
    /// 回访 — the reporter's latest rating, and when the current result was rated (`None`
    /// again once an unsatisfied rating reopened the case, so the new result can be rated).
    pub rating: Option<Rating>,
    pub rated_at: Option<Timestamp>,
    /// How many times an unsatisfied rating reopened the case.
    pub reopen_count: i32,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
    pub closed_at: Option<Timestamp>,
}

impl Case {
    /// The light at `now`, `None` in terminal states.
    pub fn light(&self, now: Timestamp) -> Option<Light> {
        self.clock.as_ref().map(|c| c.light(now))
    }

    /// Working minutes of handling allowed for this case's class and urgency.
    pub fn handling_limit_minutes(&self, cal: &WorkCalendar) -> Option<i64> {
        self.class.as_ref().map(|c| {
            c.limits
                .for_urgency(self.urgency)
                .working_minutes(cal.minutes_per_workday())
        })
    }
}

/// Everything a transition may read besides the case and the caller.
pub struct Ctx<'a> {
    pub calendar: &'a WorkCalendar,
    pub limits: &'a NodeLimits,
    pub now: Timestamp,
}

/// A new report, from any channel.
#[derive(Clone, Debug, PartialEq)]
pub struct NewReport {
    pub source: Source,
    pub description: String,
    pub address: Option<String>,
    pub lat: Option<f64>,
    pub lon: Option<f64>,
    pub area: AreaPath,
    /// The nearest road, when the report was located by its point.
    pub road_id: Option<String>,
    pub class: Option<ClassSnapshot>,
    pub urgency: Urgency,
    pub reporter_name: Option<String>,
    pub reporter_phone: Option<String>,
    /// 匿名: hide the reporter's name and phone from staff.
    pub anonymous: bool,
    /// The forwarding platform's ticket number (12345 工单号) or another channel's reference.
    pub external_ref: Option<String>,
    /// 自行处置: the reporting inspector already fixed it (photo required).
    pub self_handled: bool,
    pub attachments: Vec<i64>,
    pub note: Option<String>,
}

/// What a caller asks of a case.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "action", rename_all = "snake_case")]
pub enum Command {
    /// 发核实 — operator sends an inspector to verify. Reported → Verifying.
    SendVerify { inspector_id: i64 },
    /// 受理 — operator accepts a report that carries its own evidence. Reported → PendingFiling.
    Accept,
    /// 不予受理 — operator rejects a report (not a city-management matter, spam). Note required.
    RejectReport,
    /// 核实 — the assigned inspector reports what they found. Verifying → PendingFiling.
    /// Photo required when confirmed.
    Verify { confirmed: bool },
    /// 立案 — shift supervisor files the case with its class and urgency.
    /// PendingFiling → PendingDispatch.
    File {
        class: Option<ClassSnapshot>,
        urgency: Option<Urgency>,
    },
    /// 不予立案 — shift supervisor rejects. Note required.
    Reject,
    /// 立案回退 — shift supervisor sends the report back to the operator. Note required.
    ReturnToIntake,
    /// 派遣 — dispatcher sends the case to a department. PendingDispatch → Dispatched.
    Dispatch { department_id: i64 },
    /// 签收 — the department accepts. Dispatched → Handling.
    AcceptTask,
    /// 回退申请 — the department asks to hand it back. Note required.
    RequestReturn,
    /// 回退审批通过 — dispatcher approves; the case goes back for re-dispatch.
    ApproveReturn,
    /// 回退审批驳回.
    DenyReturn,
    /// 处置反馈 — the department reports the work done. Handling → PendingCheck.
    /// Note and photo required.
    Feedback,
    /// 延期申请 — the department asks for more working minutes. Note required.
    RequestExtension { minutes: i64 },
    /// 延期审批通过 — the handling deadline moves.
    ApproveExtension,
    /// 延期审批驳回.
    DenyExtension,
    /// 挂账申请. Note required.
    RequestSuspension,
    /// 挂账审批通过 — Handling → Suspended; the clock stops.
    ApproveSuspension,
    /// 挂账审批驳回.
    DenySuspension,
    /// 挂账恢复 — Suspended → Handling; the clock runs on.
    Resume,
    /// 发核查 — operator sends an inspector to check. PendingCheck → Checking.
    SendCheck { inspector_id: i64 },
    /// 核查 — the assigned inspector reports whether the work is done. Checking → PendingClose.
    /// Photo required.
    Check { passed: bool },
    /// 结案 — shift supervisor closes. PendingClose → Closed. Needs a passed check or a
    /// self-handled report.
    Close,
    /// 返工 — shift supervisor sends it back to the same department. PendingClose → Dispatched.
    /// Note required.
    Rework,
    /// 督办 — a leader flags the case; each call escalates one level. Note required.
    Supervise,
    /// 作废申请. Note required.
    RequestVoid,
    /// 作废审批通过 — → Voided.
    ApproveVoid,
    /// 作废审批驳回.
    DenyVoid,
    /// 合并 — link this duplicate to its master case. → Merged.
    LinkDuplicate { master_case_id: i64 },
    /// 答复 — the answer to the citizen (the note). Any state but Merged (a duplicate's reporters
    /// follow the master's answer), also while a request waits. The state does not change.
    Reply,
    /// 回访评价 — the reporter, or an operator calling them back, rates a closed case once per
    /// closing. 不满意 (note required) reopens it once: back to the same department.
    Rate { rating: Rating },
}

impl Command {
    /// One example of every command, in loop order, with placeholder ids and values — to ask
    /// which commands a caller may issue now, or to document them all.
    pub fn examples() -> [Command; 31] {
        [
            Command::SendVerify { inspector_id: 0 },
            Command::Accept,
            Command::RejectReport,
            Command::Verify { confirmed: true },
            Command::File {
                class: None,
                urgency: None,
            },
            Command::Reject,
            Command::ReturnToIntake,
            Command::LinkDuplicate { master_case_id: -1 },
            Command::Dispatch { department_id: 0 },
            Command::AcceptTask,
            Command::RequestReturn,
            Command::ApproveReturn,
            Command::DenyReturn,
            Command::Feedback,
            Command::RequestExtension { minutes: 60 },
            Command::ApproveExtension,
            Command::DenyExtension,
            Command::RequestSuspension,
            Command::ApproveSuspension,
            Command::DenySuspension,
            Command::Resume,
            Command::SendCheck { inspector_id: 0 },
            Command::Check { passed: true },
            Command::Close,
            Command::Rework,
            Command::Supervise,
            Command::RequestVoid,
            Command::ApproveVoid,
            Command::DenyVoid,
            Command::Reply,
            Command::Rate {
                rating: Rating::Satisfied,
            },
        ]
    }

    /// The action name written to the audit trail and used in the API.
    pub fn name(&self) -> &'static str {
        match self {
            Command::SendVerify { .. } => "send_verify",
            Command::Accept => "accept",
            Command::RejectReport => "reject_report",
            Command::Verify { .. } => "verify",
            Command::File { .. } => "file",
            Command::Reject => "reject",
            Command::ReturnToIntake => "return_to_intake",
            Command::Dispatch { .. } => "dispatch",
            Command::AcceptTask => "accept_task",
            Command::RequestReturn => "request_return",
            Command::ApproveReturn => "approve_return",
            Command::DenyReturn => "deny_return",
            Command::Feedback => "feedback",
            Command::RequestExtension { .. } => "request_extension",
            Command::ApproveExtension => "approve_extension",
            Command::DenyExtension => "deny_extension",
            Command::RequestSuspension => "request_suspension",
            Command::ApproveSuspension => "approve_suspension",
            Command::DenySuspension => "deny_suspension",
            Command::Resume => "resume",
            Command::SendCheck { .. } => "send_check",
            Command::Check { .. } => "check",
            Command::Close => "close",
            Command::Rework => "rework",
            Command::Supervise => "supervise",
            Command::RequestVoid => "request_void",
            Command::ApproveVoid => "approve_void",
            Command::DenyVoid => "deny_void",
            Command::LinkDuplicate { .. } => "link_duplicate",
            Command::Reply => "reply",
            Command::Rate { .. } => "rate",
        }
    }

    /// The roles that may issue this command (any one suffices, within scope).
    pub fn roles(&self) -> &'static [Role] {
        use Role::*;
        match self {
            Command::SendVerify { .. }
            | Command::Accept
            | Command::RejectReport
            | Command::SendCheck { .. } => &[Operator],
            Command::Verify { .. } | Command::Check { .. } => &[Inspector],
            Command::File { .. }
            | Command::Reject
            | Command::ReturnToIntake
            | Command::Close
            | Command::Rework
            | Command::ApproveVoid
            | Command::DenyVoid => &[ShiftSupervisor],
            Command::Dispatch { .. }
            | Command::ApproveReturn
            | Command::DenyReturn
            | Command::ApproveExtension
            | Command::DenyExtension
            | Command::ApproveSuspension
            | Command::DenySuspension
            | Command::Resume => &[Dispatcher],
            Command::AcceptTask
            | Command::RequestReturn
            | Command::Feedback
            | Command::RequestExtension { .. }
            | Command::RequestSuspension => &[DepartmentHandler],
            Command::Supervise => &[Leader],
            Command::RequestVoid => &[Operator, Dispatcher],
            Command::LinkDuplicate { .. } => &[Operator, ShiftSupervisor],
            Command::Reply => &[Operator],
            // Citizens and volunteers only on their own reports (see `policy`).
            Command::Rate { .. } => &[Citizen, Volunteer, Operator],
        }
    }

    /// The states this command may be issued in.
    pub fn from_states(&self) -> &'static [CaseState] {
        use CaseState::*;
        match self {
            Command::SendVerify { .. } | Command::Accept | Command::RejectReport => &[Reported],
            Command::Verify { .. } => &[Verifying],
            Command::File { .. } | Command::Reject | Command::ReturnToIntake => &[PendingFiling],
            Command::Dispatch { .. } => &[PendingDispatch],
            Command::AcceptTask => &[Dispatched],
            Command::RequestReturn => &[Dispatched, Handling],
            Command::ApproveReturn | Command::DenyReturn => &[Dispatched, Handling],
            Command::Feedback
            | Command::RequestExtension { .. }
            | Command::RequestSuspension
            | Command::ApproveExtension
            | Command::DenyExtension
            | Command::ApproveSuspension
            | Command::DenySuspension => &[Handling],
            Command::Resume => &[Suspended],
            Command::SendCheck { .. } => &[PendingCheck],
            Command::Check { .. } => &[Checking],
            Command::Close | Command::Rework => &[PendingClose],
            Command::Supervise
            | Command::RequestVoid
            | Command::ApproveVoid
            | Command::DenyVoid => &CaseState::OPEN,
            Command::LinkDuplicate { .. } => &[Reported, Verifying, PendingFiling],
            Command::Reply => &CaseState::ANSWERABLE,
            Command::Rate { .. } => &[Closed],
        }
    }

    /// Whether the command resolves a pending request (and so is allowed while one waits).
    fn resolves_request(&self) -> Option<&'static str> {
        match self {
            Command::ApproveReturn | Command::DenyReturn => Some("return"),
            Command::ApproveExtension | Command::DenyExtension => Some("extension"),
            Command::ApproveSuspension | Command::DenySuspension => Some("suspension"),
            Command::ApproveVoid | Command::DenyVoid => Some("void"),
            _ => None,
        }
    }

    fn needs_note(&self) -> bool {
        matches!(
            self,
            Command::RejectReport
                | Command::Reject
                | Command::ReturnToIntake
                | Command::RequestReturn
                | Command::DenyReturn
                | Command::Feedback
                | Command::RequestExtension { .. }
                | Command::DenyExtension
                | Command::RequestSuspension
                | Command::DenySuspension
                | Command::Rework
                | Command::Supervise
                | Command::RequestVoid
                | Command::DenyVoid
                | Command::Reply
                | Command::Rate {
                    rating: Rating::Unsatisfied
                }
        )
    }

    fn needs_photo(&self) -> bool {
        matches!(
            self,
            Command::Verify { confirmed: true } | Command::Feedback | Command::Check { .. }
        )
    }
}

/// Why a transition was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum WorkflowError {
    /// The command does not apply in the case's current state.
    #[error("'{action}' is not allowed while the case is {state}")]
    NotAllowedInState {
        action: &'static str,
        state: &'static str,
    },
    /// The caller holds no role (in scope) that may do this.
    #[error("not permitted: {0}")]
    Forbidden(String),
    /// A required input is missing.
    #[error("{0} is required")]
    Missing(&'static str),
    /// An input is present but not acceptable.
    #[error("{0}")]
    Invalid(String),
    /// A request is waiting for a decision; only that decision is allowed now.
    #[error("a {0} request is pending; decide it first")]
    RequestPending(&'static str),
}

/// Extra inputs that come with any command.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Evidence {
    pub note: Option<String>,
    pub attachments: Vec<i64>,
}

impl Evidence {
    fn note(&self) -> Option<&str> {
        self.note
            .as_deref()
            .map(str::trim)
            .filter(|n| !n.is_empty())
    }
}

/// The audit record of one transition, immutable once written.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct EventDraft {
    pub action: &'static str,
    pub actor_id: i64,
    pub actor_role: Role,
    pub from_state: Option<CaseState>,
    pub to_state: CaseState,
    pub note: Option<String>,
    pub attachments: Vec<i64>,
    /// Action-specific facts (target department, inspector, extension minutes, class …).
    pub data: serde_json::Value,
    pub at: Timestamp,
}

/// The result of a successful command: the new case and the event to write with it.
#[derive(Clone, Debug, PartialEq)]
pub struct Transition {
    pub case: Case,
    pub event: EventDraft,
}

fn node_limit(state: CaseState, case: &Case, ctx: &Ctx<'_>) -> Option<i64> {
    let l = ctx.limits;
    match state {
        CaseState::Reported => Some(l.accept),
        CaseState::Verifying => Some(l.verify),
        CaseState::PendingFiling => Some(l.file),
        CaseState::PendingDispatch => Some(l.dispatch),
        CaseState::Dispatched => Some(l.sign),
        CaseState::Handling => Some(case.handling_limit_minutes(ctx.calendar).unwrap_or(l.sign)),
        CaseState::Suspended => Some(l.suspended),
        CaseState::PendingCheck => Some(l.send_check),
        CaseState::Checking => Some(l.check),
        CaseState::PendingClose => Some(l.close),
        CaseState::Closed | CaseState::Rejected | CaseState::Voided | CaseState::Merged => None,
    }
}

/// Sets the case to `state` with a fresh clock for that node.
fn enter(case: &mut Case, state: CaseState, ctx: &Ctx<'_>) {
    case.state = state;
    case.clock = node_limit(state, case, ctx).map(|m| NodeClock::start(ctx.calendar, ctx.now, m));
    if state.is_terminal() {
        case.closed_at = Some(ctx.now);
    }
}

/// Creates a case from a report. Inspector reports go straight to filing (or, self-handled,
/// straight to closing); every other channel starts at [`CaseState::Reported`].
///
/// # Errors
/// The caller's role may not report through this channel; missing description; a self-handled
/// report without a photo or from someone other than an inspector.
pub fn new_case(
    caller: &Caller,
    report: NewReport,
    ctx: &Ctx<'_>,
) -> Result<Transition, WorkflowError> {
    let role = report
        .source
        .reporter_roles()
        .iter()
        .copied()
        .find(|r| caller.has_role(*r))
        .ok_or_else(|| {
            WorkflowError::Forbidden(format!(
                "your roles may not report through channel '{}'",
                report.source.as_str()
            ))
        })?;
    if report.description.trim().is_empty() {
        return Err(WorkflowError::Missing("description"));
    }
    if report.self_handled {
        if report.source != Source::Inspector {
            return Err(WorkflowError::Invalid(
                "only an inspector's own report can be self-handled".into(),
            ));
        }
        if report.attachments.is_empty() {
            return Err(WorkflowError::Missing("photo"));
        }
    }
    let state = if report.self_handled {
        CaseState::PendingClose
    } else if report.source == Source::Inspector {
        CaseState::PendingFiling
    } else {
        CaseState::Reported
    };
    let mut case = Case {
        id: 0,
        case_no: String::new(),
        version: 1,
        state,
        source: report.source,
        description: report.description.trim().to_owned(),
        address: report.address,
        lat: report.lat,
        lon: report.lon,
        area: report.area,
        road_id: report.road_id,
        class: report.class,
        urgency: report.urgency,
        department_id: None,
        assignee_id: None,
        reporter_id: Some(caller.user_id),
        reporter_name: report.reporter_name,
        reporter_phone: report.reporter_phone,
        anonymous: report.anonymous,
        external_ref: report.external_ref,
        master_case_id: None,
        pending: None,
        supervision_level: 0,
        rework_count: 0,
        dispatch_count: 0,
        self_handled: report.self_handled,
        verified: (report.source == Source::Inspector).then_some(true),
        check_passed: report.self_handled.then_some(true),
        clock: None,
        first_dispatched_at: None,
        reply: None,
        replied_at: None,
        rating: None,
        rated_at: None,
        reopen_count: 0,
        created_at: ctx.now,
        updated_at: ctx.now,
        closed_at: None,
    };
    enter(&mut case, state, ctx);
    let event = EventDraft {
        action: if report.self_handled {
            "report_self_handled"
        } else {
            "report"
        },
        actor_id: caller.user_id,
        actor_role: role,
        from_state: None,
        to_state: state,
        note: report
            .note
            .as_deref()
            .map(str::trim)
            .filter(|n| !n.is_empty())
            .map(str::to_owned),
        attachments: report.attachments,
        data: serde_json::json!({ "source": report.source.as_str() }),
        at: ctx.now,
    };
    Ok(Transition { case, event })
}

/// Applies `cmd` to `case` on behalf of `caller`.
///
/// Checks, in order: the state allows the command; no other request is pending; the caller
/// holds a role that may issue it and whose scope covers the case; required note/photo/fields.
/// Returns the new case (version + 1) and its audit event.
///
/// # Errors
/// See [`WorkflowError`].
pub fn apply(
    case: &Case,
    caller: &Caller,
    cmd: &Command,
    evidence: &Evidence,
    ctx: &Ctx<'_>,
) -> Result<Transition, WorkflowError> {
    let action = cmd.name();
    if !cmd.from_states().contains(&case.state) {
        return Err(WorkflowError::NotAllowedInState {
            action,
            state: case.state.as_str(),
        });
    }
    // While a request waits, only its decision (or supervision) may happen.
    if let Some(pending) = &case.pending
        && !matches!(cmd, Command::Supervise | Command::Reply)
        && cmd.resolves_request() != Some(pending.kind())
    {
        return Err(WorkflowError::RequestPending(pending.kind()));
    }
    if let Some(kind) = cmd.resolves_request()
        && case.pending.as_ref().map(PendingRequest::kind) != Some(kind)
    {
        return Err(WorkflowError::Invalid(format!(
            "there is no pending {kind} request"
        )));
    }
    let role = policy::acting_role(caller, case, cmd)?;
    if cmd.needs_note() && evidence.note().is_none() {
        return Err(WorkflowError::Missing("note"));
    }
    if cmd.needs_photo() && evidence.attachments.is_empty() {
        return Err(WorkflowError::Missing("photo"));
    }

    let mut next = case.clone();
    let mut data = serde_json::json!({});
    let reason = evidence.note().unwrap_or_default().to_owned();
    let from = case.state;
    match cmd {
        Command::SendVerify { inspector_id } => {
            next.assignee_id = Some(*inspector_id);
            data = serde_json::json!({ "inspector_id": inspector_id });
            enter(&mut next, CaseState::Verifying, ctx);
        }
        Command::Accept => {
            if !case.source.has_own_evidence() {
                return Err(WorkflowError::Invalid(format!(
                    "reports from '{}' must be verified on site first (send_verify)",
                    case.source.as_str()
                )));
            }
            next.verified = Some(true);
            enter(&mut next, CaseState::PendingFiling, ctx);
        }
        Command::RejectReport | Command::Reject => enter(&mut next, CaseState::Rejected, ctx),
        Command::Verify { confirmed } => {
            next.verified = Some(*confirmed);
            data = serde_json::json!({ "confirmed": confirmed });
            enter(&mut next, CaseState::PendingFiling, ctx);
        }
        Command::File { class, urgency } => {
            if case.verified == Some(false) {
                return Err(WorkflowError::Invalid(
                    "the on-site verification did not confirm the problem; reject it or send it back"
                        .into(),
                ));
            }
            if let Some(c) = class {
                next.class = Some(c.clone());
            }
            if let Some(u) = urgency {
                next.urgency = *u;
            }
            let Some(c) = &next.class else {
                return Err(WorkflowError::Missing("class"));
            };
            if c.kind != ClassKind::Matter {
                return Err(WorkflowError::Invalid(
                    "a case is filed under a matter class (事项), not a component class".into(),
                ));
            }
            data = serde_json::json!({ "class_code": c.code, "urgency": next.urgency.as_str() });
            enter(&mut next, CaseState::PendingDispatch, ctx);
        }
        Command::ReturnToIntake => {
            next.assignee_id = None;
            enter(&mut next, CaseState::Reported, ctx);
        }
        Command::Dispatch { department_id } => {
            next.department_id = Some(*department_id);
            next.dispatch_count += 1;
            next.first_dispatched_at.get_or_insert(ctx.now);
            data = serde_json::json!({ "department_id": department_id });
            enter(&mut next, CaseState::Dispatched, ctx);
        }
        Command::AcceptTask => enter(&mut next, CaseState::Handling, ctx),
        Command::RequestReturn => {
            next.pending = Some(PendingRequest::Return {
                requested_by: caller.user_id,
                reason,
            });
        }
        Command::ApproveReturn => {
            next.pending = None;
            data = serde_json::json!({ "returned_by_department_id": case.department_id });
            enter(&mut next, CaseState::PendingDispatch, ctx);
        }
        Command::DenyReturn
        | Command::DenyExtension
        | Command::DenySuspension
        | Command::DenyVoid => {
            data = serde_json::json!({ "denied": case.pending.as_ref().map(PendingRequest::kind) });
            next.pending = None;
        }
        Command::Feedback => enter(&mut next, CaseState::PendingCheck, ctx),
        Command::RequestExtension { minutes } => {
            if *minutes <= 0 || *minutes > 60 * 420 {
                return Err(WorkflowError::Invalid(
                    "extension must be between 1 and 25200 working minutes (60 working days)"
                        .into(),
                ));
            }
            data = serde_json::json!({ "minutes": minutes });
            next.pending = Some(PendingRequest::Extension {
                requested_by: caller.user_id,
                minutes: *minutes,
                reason,
            });
        }
        Command::ApproveExtension => {
            let minutes = match &case.pending {
                Some(PendingRequest::Extension { minutes, .. }) => *minutes,
                _ => 0,
            };
            if let Some(clock) = next.clock.as_mut() {
                clock.extend(ctx.calendar, ctx.now, minutes);
            }
            data = serde_json::json!({ "minutes": minutes });
            next.pending = None;
        }
        Command::RequestSuspension => {
            next.pending = Some(PendingRequest::Suspension {
                requested_by: caller.user_id,
                reason,
            });
        }
        Command::ApproveSuspension => {
            next.pending = None;
            // The handling clock stops; it is kept to resume from where it stopped.
            next.state = CaseState::Suspended;
            if let Some(clock) = next.clock.as_mut() {
                clock.pause(ctx.calendar, ctx.now);
            }
        }
        Command::Resume => {
            next.state = CaseState::Handling;
            if let Some(clock) = next.clock.as_mut() {
                clock.resume(ctx.calendar, ctx.now);
            }
        }
        Command::SendCheck { inspector_id } => {
            next.assignee_id = Some(*inspector_id);
            data = serde_json::json!({ "inspector_id": inspector_id });
            enter(&mut next, CaseState::Checking, ctx);
        }
        Command::Check { passed } => {
            next.check_passed = Some(*passed);
            data = serde_json::json!({ "passed": passed });
            enter(&mut next, CaseState::PendingClose, ctx);
        }
        Command::Close => {
            if case.check_passed != Some(true) {
                return Err(WorkflowError::Invalid(
                    "the last check did not pass; rework it instead of closing".into(),
                ));
            }
            enter(&mut next, CaseState::Closed, ctx);
        }
        Command::Rework => {
            if case.self_handled && case.department_id.is_none() {
                return Err(WorkflowError::Invalid(
                    "a self-handled case has no department to rework; void or file it".into(),
                ));
            }
            next.rework_count += 1;
            next.check_passed = None;
            data = serde_json::json!({ "department_id": case.department_id });
            enter(&mut next, CaseState::Dispatched, ctx);
        }
        Command::Supervise => {
            next.supervision_level += 1;
            data = serde_json::json!({ "level": next.supervision_level });
        }
        Command::RequestVoid => {
            next.pending = Some(PendingRequest::Void {
                requested_by: caller.user_id,
                reason,
            });
        }
        Command::ApproveVoid => {
            next.pending = None;
            enter(&mut next, CaseState::Voided, ctx);
        }
        Command::LinkDuplicate { master_case_id } => {
            if *master_case_id == case.id {
                return Err(WorkflowError::Invalid(
                    "a case cannot be its own master".into(),
                ));
            }
            next.master_case_id = Some(*master_case_id);
            data = serde_json::json!({ "master_case_id": master_case_id });
            enter(&mut next, CaseState::Merged, ctx);
        }
        Command::Reply => {
            next.reply = evidence.note().map(str::to_owned);
            next.replied_at.get_or_insert(ctx.now);
            data = serde_json::json!({ "first": case.replied_at.is_none() });
        }
        Command::Rate { rating } => {
            // `rated_at` is the rating of the current result: reopening clears it.
            if case.rated_at.is_some() {
                return Err(WorkflowError::Invalid(
                    "this result was already rated; a case is rated once each time it closes"
                        .into(),
                ));
            }
            next.rating = Some(*rating);
            next.rated_at = Some(ctx.now);
            let reopen = *rating == Rating::Unsatisfied
                && case.reopen_count < MAX_REOPENS
                && case.department_id.is_some();
            // `satisfied` (满意 or 基本满意) is what the assessment's 满意率 counts.
            data = serde_json::json!({
                "rating": rating.as_str(),
                "satisfied": *rating != Rating::Unsatisfied,
                "reopened": reopen,
            });
            if reopen {
                // 回访不满意回退重办: the same department handles it again.
                next.reopen_count += 1;
                next.check_passed = None;
                next.closed_at = None;
                next.rated_at = None;
                data["department_id"] = serde_json::json!(case.department_id);
                enter(&mut next, CaseState::Dispatched, ctx);
            }
        }
    }
    next.version = case.version + 1;
    next.updated_at = ctx.now;
    let event = EventDraft {
        action,
        actor_id: caller.user_id,
        actor_role: role,
        from_state: Some(from),
        to_state: next.state,
        note: evidence.note().map(str::to_owned),
        attachments: evidence.attachments.clone(),
        data,
        at: ctx.now,
    };
    Ok(Transition { case: next, event })
}

#[cfg(test)]
mod serde_names {
    use super::*;

    #[test]
    fn open_states_are_exactly_the_non_terminal_ones() {
        let open: Vec<CaseState> = CaseState::ALL
            .into_iter()
            .filter(|s| !s.is_terminal())
            .collect();
        assert_eq!(open, CaseState::OPEN.to_vec());
    }

    #[test]
    fn serde_names_equal_api_names() {
        for s in Source::ALL {
            assert_eq!(
                serde_json::to_value(s).ok(),
                Some(serde_json::json!(s.as_str()))
            );
        }
        for s in CaseState::ALL {
            assert_eq!(
                serde_json::to_value(s).ok(),
                Some(serde_json::json!(s.as_str()))
            );
        }
    }
}
