//! The JSON shapes of the API, converted by hand from domain and store types.
//!
//! These are a stable boundary: renaming a domain field must not rename a JSON field.

use domain::calendar::{Light, WorkCalendar};
use domain::org::{Caller, Role};
use domain::time::Timestamp;
use domain::workflow::{Case, PendingRequest};
use serde::{Deserialize, Serialize};
use store::StoredEvent;

/// The class of a case as shown.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct ClassDto {
    pub standard_ref: String,
    pub kind: String,
    pub code: String,
    pub name: String,
}

/// A pending request as shown.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct PendingDto {
    pub kind: String,
    pub requested_by: i64,
    pub reason: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub minutes: Option<i64>,
}

/// A case as the API shows it.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct CaseDto {
    pub id: i64,
    pub case_no: String,
    pub version: i64,
    pub state: String,
    pub state_label: String,
    pub source: String,
    pub source_label: String,
    pub description: String,
    pub address: Option<String>,
    pub lat: Option<f64>,
    pub lon: Option<f64>,
    pub district_code: Option<String>,
    pub street_code: Option<String>,
    pub community_code: Option<String>,
    pub grid_code: Option<String>,
    /// The nearest road (city-model id) when the case was located by its point.
    pub road_id: Option<String>,
    pub class: Option<ClassDto>,
    pub urgency: String,
    pub department_id: Option<i64>,
    pub assignee_id: Option<i64>,
    pub reporter_id: Option<i64>,
    pub reporter_name: Option<String>,
    /// Masked (`138****0000`) unless the caller may see contacts.
    pub reporter_phone: Option<String>,
    pub master_case_id: Option<i64>,
    pub pending: Option<PendingDto>,
    pub supervision_level: i32,
    pub rework_count: i32,
    pub dispatch_count: i32,
    pub self_handled: bool,
    pub verified: Option<bool>,
    pub check_passed: Option<bool>,
    /// green / yellow / red; `null` once the case is finished.
    pub light: Option<String>,
    /// Working minutes allowed at the current node.
    pub node_limit_minutes: Option<i64>,
    /// Working minutes used at the current node.
    pub node_used_minutes: Option<i64>,
    /// When the current node turns red (RFC 3339, +08:00); `null` while suspended or finished.
    pub deadline_at: Option<String>,
    pub created_at: String,
    pub updated_at: String,
    pub closed_at: Option<String>,
    /// 匿名: the reporter's name, phone and id are shown to the reporter only.
    pub anonymous: bool,
    /// The forwarding platform's ticket number (12345 工单号), if any.
    pub external_ref: Option<String>,
    /// 转办: when the case was first dispatched to a department.
    pub first_dispatched_at: Option<String>,
    /// 答复: the latest answer to the citizen, and when the first answer was given.
    pub reply: Option<String>,
    pub replied_at: Option<String>,
    /// 回访: satisfied / basically_satisfied / unsatisfied, and when.
    pub rating: Option<String>,
    pub rated_at: Option<String>,
    /// How often an unsatisfied rating reopened the case (at most once).
    pub reopen_count: i32,
}

pub fn light_str(l: Light) -> &'static str {
    match l {
        Light::Green => "green",
        Light::Yellow => "yellow",
        Light::Red => "red",
    }
}

/// Masks all but the first 3 and last 4 digits of a phone number.
pub fn mask_phone(p: &str) -> String {
    let chars: Vec<char> = p.chars().collect();
    if chars.len() <= 7 {
        return "*".repeat(chars.len());
    }
    let head: String = chars.iter().take(3).collect();
    let tail: String = chars.iter().skip(chars.len() - 4).collect();
    format!("{head}{}{tail}", "*".repeat(chars.len() - 7))
}

/// Whether `caller` may see reporters' contact details of cases they can see.
pub fn may_see_contacts(caller: &Caller) -> bool {
    caller.grants.iter().any(|g| {
        matches!(
            g.role,
            Role::Operator | Role::ShiftSupervisor | Role::Dispatcher | Role::Admin
        )
    })
}

impl CaseDto {
    pub fn new(c: &Case, now: Timestamp, cal: &WorkCalendar, reveal_contact: bool) -> CaseDto {
        let code = |a: &Option<domain::area::AreaCode>| a.as_ref().map(|x| x.as_str().to_owned());
        let pending = c.pending.as_ref().map(|p| match p {
            PendingRequest::Return {
                requested_by,
                reason,
            }
            | PendingRequest::Suspension {
                requested_by,
                reason,
            }
            | PendingRequest::Void {
                requested_by,
                reason,
            } => PendingDto {
                kind: p.kind().to_owned(),
                requested_by: *requested_by,
                reason: reason.clone(),
                minutes: None,
            },
            PendingRequest::Extension {
                requested_by,
                minutes,
                reason,
            } => PendingDto {
                kind: p.kind().to_owned(),
                requested_by: *requested_by,
                reason: reason.clone(),
                minutes: Some(*minutes),
            },
        });
        let clock = c.clock.as_ref();
        // 匿名: who reported is shown only where the caller is the reporter (see routes::cases).
        let hide_reporter = c.anonymous && !reveal_contact;
        CaseDto {
            id: c.id,
            case_no: c.case_no.clone(),
            version: c.version,
            state: c.state.as_str().to_owned(),
            state_label: c.state.label_zh().to_owned(),
            source: c.source.as_str().to_owned(),
            source_label: c.source.label_zh().to_owned(),
            description: c.description.clone(),
            address: c.address.clone(),
            lat: c.lat,
            lon: c.lon,
            district_code: code(&c.area.district),
            street_code: code(&c.area.street),
            community_code: code(&c.area.community),
            grid_code: code(&c.area.grid),
            road_id: c.road_id.clone(),
            class: c.class.as_ref().map(|k| ClassDto {
                standard_ref: k.standard_ref.clone(),
                kind: k.kind.as_str().to_owned(),
                code: k.code.clone(),
                name: k.name.clone(),
            }),
            urgency: c.urgency.as_str().to_owned(),
            department_id: c.department_id,
            assignee_id: c.assignee_id,
            reporter_id: c.reporter_id.filter(|_| !hide_reporter),
            reporter_name: c.reporter_name.clone().filter(|_| !hide_reporter),
            reporter_phone: c
                .reporter_phone
                .as_deref()
                .filter(|_| !hide_reporter)
                .map(|p| {
                    if reveal_contact {
                        p.to_owned()
                    } else {
                        mask_phone(p)
                    }
                }),
            master_case_id: c.master_case_id,
            pending,
            supervision_level: c.supervision_level,
            rework_count: c.rework_count,
            dispatch_count: c.dispatch_count,
            self_handled: c.self_handled,
            verified: c.verified,
            check_passed: c.check_passed,
            light: c.light(now).map(|l| light_str(l).to_owned()),
            node_limit_minutes: clock.map(|k| k.limit_minutes),
            node_used_minutes: clock.map(|k| k.used_minutes(cal, now)),
            deadline_at: clock.and_then(|k| k.deadline_at).map(Timestamp::to_rfc3339),
            created_at: c.created_at.to_rfc3339(),
            updated_at: c.updated_at.to_rfc3339(),
            closed_at: c.closed_at.map(Timestamp::to_rfc3339),
            anonymous: c.anonymous,
            external_ref: c.external_ref.clone(),
            first_dispatched_at: c.first_dispatched_at.map(Timestamp::to_rfc3339),
            reply: c.reply.clone(),
            replied_at: c.replied_at.map(Timestamp::to_rfc3339),
            rating: c.rating.map(|r| r.as_str().to_owned()),
            rated_at: c.rated_at.map(Timestamp::to_rfc3339),
            reopen_count: c.reopen_count,
        }
    }
}

/// An audit event as shown.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct EventDto {
    pub id: i64,
    pub action: String,
    pub actor_id: i64,
    pub actor_role: String,
    pub from_state: Option<String>,
    pub to_state: String,
    pub note: Option<String>,
    pub attachments: Vec<i64>,
    pub data: serde_json::Value,
    pub at: String,
}

impl From<&StoredEvent> for EventDto {
    fn from(e: &StoredEvent) -> Self {
        EventDto {
            id: e.id,
            action: e.action.clone(),
            actor_id: e.actor_id,
            actor_role: e.actor_role.as_str().to_owned(),
            from_state: e.from_state.map(|s| s.as_str().to_owned()),
            to_state: e.to_state.as_str().to_owned(),
            note: e.note.clone(),
            attachments: e.attachments.clone(),
            data: e.data.clone(),
            at: e.at.to_rfc3339(),
        }
    }
}

/// `POST /api/cases` — a new report.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReportRequest {
    /// Channel, e.g. `inspector`, `citizen_app`, `hotline_12319`.
    pub source: String,
    pub description: String,
    pub address: Option<String>,
    pub lat: Option<f64>,
    pub lon: Option<f64>,
    /// Where it is: a grid (15 digits) or a coarser area code.
    pub area_code: Option<String>,
    /// A matter class code (e.g. `06010`), if the reporter knows it.
    pub class_code: Option<String>,
    pub standard_ref: Option<String>,
    pub urgency: Option<String>,
    pub reporter_name: Option<String>,
    pub reporter_phone: Option<String>,
    /// 匿名: staff see neither name nor phone (the reporter still sees their own report).
    #[serde(default)]
    pub anonymous: bool,
    /// The forwarding platform's ticket number (12345 工单号) or another channel's reference.
    pub external_ref: Option<String>,
    #[serde(default)]
    pub self_handled: bool,
    #[serde(default)]
    pub attachments: Vec<i64>,
    pub note: Option<String>,
}

/// `POST /api/cases/{id}/actions` — one step of the loop.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ActionRequest {
    /// e.g. `dispatch`, `feedback`, `approve_extension` (see `GET /api/meta`).
    pub action: String,
    /// Refuse with 409 unless the case is still at this version.
    pub expected_version: Option<i64>,
    pub note: Option<String>,
    #[serde(default)]
    pub attachments: Vec<i64>,
    pub department_id: Option<i64>,
    pub inspector_id: Option<i64>,
    pub confirmed: Option<bool>,
    pub passed: Option<bool>,
    /// Extension, in working minutes.
    pub minutes: Option<i64>,
    pub master_case_id: Option<i64>,
    pub class_code: Option<String>,
    pub standard_ref: Option<String>,
    pub urgency: Option<String>,
    /// `rate`: satisfied, basically_satisfied or unsatisfied.
    pub rating: Option<String>,
}

impl ActionRequest {
    /// The step `action` with a note and nothing else (what workers issue).
    pub fn with_note(action: &str, note: impl Into<String>) -> ActionRequest {
        ActionRequest {
            action: action.to_owned(),
            note: Some(note.into()),
            ..ActionRequest::default()
        }
    }
}

/// A page of cases.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct CaseListDto {
    pub items: Vec<CaseDto>,
    pub next_cursor: Option<String>,
}

/// An alarm as the API and the live stream show it (times in RFC 3339, Asia/Shanghai).
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct AlarmDto {
    pub id: i64,
    /// `vehicle`, `monitor`, `sensor`, `camera`, `station`.
    pub source_kind: String,
    pub source_id: String,
    /// Rule id, e.g. `muck.off_route`.
    pub rule: String,
    /// `raised`, `acknowledged`, `linked`, `cleared`.
    pub state: String,
    /// `notice`, `warning`, `severe`.
    pub level: String,
    pub message: String,
    pub lat: Option<f64>,
    pub lon: Option<f64>,
    pub grid_code: Option<String>,
    /// Taxonomy class a case is filed in.
    pub class_code: Option<String>,
    pub case_id: Option<i64>,
    pub detail: serde_json::Value,
    pub raised_at: String,
    pub updated_at: String,
    pub cleared_at: Option<String>,
    pub acknowledged_by: Option<i64>,
    pub acknowledged_at: Option<String>,
    pub cleared_by: Option<i64>,
    pub note: Option<String>,
    /// Re-raises while open (deduplicated).
    pub repeats: i64,
}

impl From<&store::Alarm> for AlarmDto {
    fn from(a: &store::Alarm) -> AlarmDto {
        AlarmDto {
            id: a.id,
            source_kind: a.source_kind.clone(),
            source_id: a.source_id.clone(),
            rule: a.rule.clone(),
            state: a.state.clone(),
            level: a.level.clone(),
            message: a.message.clone(),
            lat: a.lat,
            lon: a.lon,
            grid_code: a.grid_code.clone(),
            class_code: a.class_code.clone(),
            case_id: a.case_id,
            detail: a.detail.clone(),
            raised_at: a.raised_at.to_rfc3339(),
            updated_at: a.updated_at.to_rfc3339(),
            cleared_at: a.cleared_at.map(Timestamp::to_rfc3339),
            acknowledged_by: a.acknowledged_by,
            acknowledged_at: a.acknowledged_at.map(Timestamp::to_rfc3339),
            cleared_by: a.cleared_by,
            note: a.note.clone(),
            repeats: a.repeats,
        }
    }
}
