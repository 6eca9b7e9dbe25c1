//! Cases: report, list, detail, audit trail, the loop's actions, queues and summary counts.

use axum::extract::State;
use axum::http::StatusCode;
use domain::area::{AreaCode, AreaPath};
use domain::calendar::Light;
use domain::org::{Caller, Role};
use domain::policy;
use domain::taxonomy::{ClassKind, GB_47678_5_2026, Urgency};
use domain::time::Timestamp;
use domain::workflow::{
    self, Case, CaseState, ClassSnapshot, Command, Ctx, Evidence, NewReport, Rating, Source,
    WorkflowError,
};
use grid::Geocoded;
use serde::Deserialize;
use serde_json::{Value, json};
use store::{CaseFilter, StoreError};

use crate::AppState;
use crate::auth::AuthUser;
use crate::bus::BusEvent;
use crate::dto::{ActionRequest, CaseDto, CaseListDto, EventDto, ReportRequest, may_see_contacts};
use crate::error::{ApiError, ApiResult};
use crate::extract::{Json, Path, Query};
use crate::rules::Rules;

/// Longest description accepted, in characters.
const MAX_DESCRIPTION: usize = 2000;
/// Longest note accepted, in characters.
const MAX_NOTE: usize = 2000;
/// Most attachments on one step.
const MAX_ATTACHMENTS: usize = 9;

fn parse_code(field: &'static str, s: &str) -> ApiResult<AreaCode> {
    AreaCode::parse(s.trim())
        .map_err(|e| ApiError::unprocessable("invalid_area_code", format!("{field}: {e}")))
}

async fn class_snapshot(
    state: &AppState,
    standard_ref: Option<&str>,
    code: &str,
) -> ApiResult<ClassSnapshot> {
    let std_ref = standard_ref.unwrap_or(GB_47678_5_2026);
    // A matter 事件 class, or a component 部件 class (a broken manhole cover, a damaged sign).
    let class = match state
        .store
        .get_class(std_ref, ClassKind::Matter, code.trim())
        .await?
    {
        Some(c) => Some(c),
        None => {
            state
                .store
                .get_class(std_ref, ClassKind::Component, code.trim())
                .await?
        }
    }
    .ok_or_else(|| {
        ApiError::unprocessable(
            "unknown_class",
            format!("no matter or component class {code} in {std_ref}"),
        )
    })?;
    Ok(ClassSnapshot {
        standard_ref: class.standard_ref,
        kind: class.kind,
        code: class.code,
        name: class.name,
        limits: class.limits,
    })
}

/// The point of an address text (area and road names, 路口 intersections), as (lat, lon).
///
/// # Errors
/// 422 `ambiguous_address` naming the candidates, or `address_not_found`.
pub(crate) fn locate_address(city: &crate::city::CityIndex, text: &str) -> ApiResult<(f64, f64)> {
    use grid::address::AddressError;
    match city.gazetteer.resolve(text) {
        Ok(m) => Ok((m.lat, m.lon)),
        Err(AddressError::Ambiguous { name, candidates }) => {
            let names: Vec<&str> = candidates.iter().map(|c| c.label.as_str()).collect();
            Err(ApiError::unprocessable(
                "ambiguous_address",
                format!(
                    "{name:?} could be any of: {}; add the district or street, or give the point",
                    names.join(", ")
                ),
            ))
        }
        Err(e) => Err(ApiError::unprocessable(
            "address_not_found",
            format!(
                "{e}; give the point (lat and lon) or a district, street, community or road name"
            ),
        )),
    }
}

fn parse_urgency(s: Option<&str>) -> ApiResult<Option<Urgency>> {
    match s {
        None => Ok(None),
        Some(u) => Urgency::parse(u).map(Some).ok_or_else(|| {
            ApiError::unprocessable(
                "invalid",
                format!("urgency must be urgent, high or normal, not {u:?}"),
            )
        }),
    }
}

fn check_text(field: &'static str, value: Option<&str>, max: usize) -> ApiResult<()> {
    if let Some(v) = value
        && v.chars().count() > max
    {
        return Err(ApiError::unprocessable(
            "too_long",
            format!("{field} is longer than {max} characters"),
        ));
    }
    Ok(())
}

fn check_point(lat: Option<f64>, lon: Option<f64>) -> ApiResult<()> {
    match (lat, lon) {
        (None, None) => Ok(()),
        (Some(lat), Some(lon)) => {
            if !(-90.0..=90.0).contains(&lat) || !(-180.0..=180.0).contains(&lon) {
                return Err(ApiError::unprocessable(
                    "invalid_point",
                    format!("lat {lat} / lon {lon} are not WGS-84 degrees"),
                ));
            }
            Ok(())
        }
        _ => Err(ApiError::unprocessable(
            "invalid_point",
            "give both lat and lon, or neither",
        )),
    }
}

pub(crate) fn dto(state_now: Timestamp, rules: &Rules, case: &Case, caller: &Caller) -> CaseDto {
    let own = case.reporter_id == Some(caller.user_id);
    let mut out = CaseDto::new(
        case,
        state_now,
        &rules.calendar,
        may_see_contacts(caller) || own,
    );
    if case.anonymous && !own {
        // 匿名: nobody but the reporter learns who reported.
        out.reporter_id = None;
        out.reporter_name = None;
        out.reporter_phone = None;
    }
    out
}

/// `POST /api/cases` — report a problem through any channel.
pub async fn report(
    State(state): State<AppState>,
    auth: AuthUser,
    Json(req): Json<ReportRequest>,
) -> ApiResult<(StatusCode, Json<Value>)> {
    let case = create_report(&state, &auth, req).await?;
    // 疑似重复: a fresh public report the finder is sure of joins its master at once.
    let case = match super::duplicates::auto_link(&state, &case).await {
        Ok(Some(_)) => state.store.get_case(case.id).await?.unwrap_or(case),
        Ok(None) => case,
        Err(e) => {
            tracing::warn!(case_id = case.id, error = %e, "automatic duplicate link refused");
            case
        }
    };
    let now = state.now();
    let rules = state.rules.get(now).await?;
    let out = dto(now, &rules, &case, &auth.caller);
    Ok((StatusCode::CREATED, Json(json!({ "case": out }))))
}

/// Takes a report through every check `POST /api/cases` makes, stores the new case and
/// publishes it. Shared by the HTTP handler and internal channels (alarms raising cases).
///
/// # Errors
/// Every refusal of the report route.
pub(crate) async fn create_report(
    state: &AppState,
    auth: &AuthUser,
    req: ReportRequest,
) -> ApiResult<Case> {
    let now = state.now();
    let rules = state.rules.get(now).await?;
    let source = Source::parse(&req.source).ok_or_else(|| {
        ApiError::unprocessable("unknown_source", format!("unknown source {:?}", req.source))
    })?;
    check_text("description", Some(&req.description), MAX_DESCRIPTION)?;
    check_text("note", req.note.as_deref(), MAX_NOTE)?;
    check_text("address", req.address.as_deref(), 200)?;
    check_point(req.lat, req.lon)?;
    if req.attachments.len() > MAX_ATTACHMENTS {
        return Err(ApiError::unprocessable(
            "too_many_attachments",
            format!("at most {MAX_ATTACHMENTS} photos"),
        ));
    }
    let city = state.city.get();
    let mut road_id = None;
    let mut address = req.address;
    let (lat, lon) = match (req.lat, req.lon) {
        (Some(lat), Some(lon)) => (Some(lat), Some(lon)),
        // Only an address (a hotline caller, an Open311 address_string): find the point.
        _ if req.area_code.is_none() && city.has_grids() => match address.as_deref() {
            Some(text) if !text.trim().is_empty() => {
                let (lat, lon) = locate_address(&city, text)?;
                (Some(lat), Some(lon))
            }
            _ => (None, None),
        },
        _ => (None, None),
    };
    let area = match (lat, lon) {
        (Some(lat), Some(lon)) if city.has_grids() => {
            let loc = match city.locate(lon, lat) {
                Ok(Geocoded::Inside(loc)) => loc,
                Ok(Geocoded::Outside { .. }) => {
                    return Err(ApiError::unprocessable(
                        "outside_city",
                        format!(
                            "the point lat={lat} lon={lon} is outside every unit grid of the city"
                        ),
                    ));
                }
                Err(e) => return Err(ApiError::unprocessable("invalid_point", e.to_string())),
            };
            let code = parse_code("grid", &loc.grid.code)?;
            let given = match req.area_code.as_deref() {
                Some(c) => Some(parse_code("area_code", c)?),
                None => None,
            };
            if let Some(given) = given
                && !code.as_str().starts_with(given.as_str())
            {
                return Err(ApiError::unprocessable(
                    "point_outside_area",
                    format!(
                        "the point lies in grid {code}, which is not in area {given}; check the area code and the order of lat/lon"
                    ),
                ));
            }
            road_id = loc.road.map(|r| r.id);
            if address.as_deref().is_none_or(|a| a.trim().is_empty()) {
                address = Some(loc.address);
            }
            AreaPath::of(&code)
        }
        _ => match req.area_code.as_deref() {
            Some(c) => {
                let code = parse_code("area_code", c)?;
                if state.store.get_area(&code).await?.is_none() {
                    return Err(ApiError::unprocessable(
                        "unknown_area",
                        format!("no area with code {code}"),
                    ));
                }
                AreaPath::of(&code)
            }
            None => {
                return Err(ApiError::unprocessable(
                    "missing_field",
                    if city.has_grids() {
                        "give the point (lat and lon) or area_code (the grid or area where the problem is)"
                    } else {
                        "area_code is required: no unit grids are loaded, so a point cannot be located"
                    },
                ));
            }
        },
    };
    let class = match req.class_code.as_deref() {
        Some(code) => Some(class_snapshot(state, req.standard_ref.as_deref(), code).await?),
        None => None,
    };
    let report = NewReport {
        source,
        description: req.description,
        address,
        lat,
        lon,
        area,
        road_id,
        class,
        urgency: parse_urgency(req.urgency.as_deref())?.unwrap_or(Urgency::Normal),
        reporter_name: req
            .reporter_name
            .or_else(|| Some(auth.user.display_name.clone())),
        reporter_phone: req.reporter_phone.or_else(|| auth.user.phone.clone()),
        anonymous: req.anonymous,
        external_ref: req.external_ref,
        self_handled: req.self_handled,
        attachments: req.attachments,
        note: req.note,
    };
    let ctx = Ctx {
        calendar: &rules.calendar,
        limits: &rules.limits,
        now,
    };
    let t = workflow::new_case(&auth.caller, report, &ctx)?;
    let case = state.store.insert_case(&t).await?;
    metrics::counter!("yiwang_case_transitions_total", "action" => t.event.action).increment(1);
    state.bus.publish(BusEvent::CaseChanged {
        action: t.event.action.to_owned(),
        actor_id: auth.caller.user_id,
        case: Box::new(CaseDto::new(&case, now, &rules.calendar, false)),
        followers: Vec::new(),
    });
    Ok(case)
}

/// Loads a case the caller may see, with the reporters of its duplicates (who follow it);
/// 404 otherwise (existence is not leaked).
async fn visible_case_and_followers(
    state: &AppState,
    auth: &AuthUser,
    id: i64,
) -> ApiResult<(Case, Vec<i64>)> {
    let (case, followers) = state
        .store
        .case_with_followers(id)
        .await?
        .ok_or(ApiError::NotFound("case"))?;
    if policy::can_view(&auth.caller, &case) || followers.contains(&auth.caller.user_id) {
        return Ok((case, followers));
    }
    Err(ApiError::NotFound("case"))
}

/// Loads a case the caller may see; 404 otherwise.
pub(crate) async fn visible_case(state: &AppState, auth: &AuthUser, id: i64) -> ApiResult<Case> {
    Ok(visible_case_and_followers(state, auth, id).await?.0)
}

/// The commands the caller could issue on `case` now (some still need inputs).
pub fn available_actions(
    case: &Case,
    caller: &Caller,
    rules: &Rules,
    now: Timestamp,
) -> Vec<&'static str> {
    let templates = Command::examples();
    let ctx = Ctx {
        calendar: &rules.calendar,
        limits: &rules.limits,
        now,
    };
    let evidence = Evidence {
        note: Some("-".into()),
        attachments: vec![0],
    };
    templates
        .iter()
        .filter(|cmd| {
            matches!(
                workflow::apply(case, caller, cmd, &evidence, &ctx),
                Ok(_) | Err(WorkflowError::Missing(_))
            )
        })
        .map(Command::name)
        .collect()
}

/// `GET /api/cases/{id}` — the case, its audit trail, duplicates and what the caller may do.
pub async fn detail(
    State(state): State<AppState>,
    auth: AuthUser,
    Path(id): Path<i64>,
) -> ApiResult<Json<Value>> {
    let now = state.now();
    let rules = state.rules.get(now).await?;
    let case = visible_case(&state, &auth, id).await?;
    let events = state.store.case_events(id).await?;
    let dups = state.store.duplicates_of(id).await?;
    Ok(Json(json!({
        "case": dto(now, &rules, &case, &auth.caller),
        "events": events.iter().map(EventDto::from).collect::<Vec<_>>(),
        "duplicates": dups.iter().map(|d| json!({"id": d.id, "case_no": d.case_no})).collect::<Vec<_>>(),
        "available_actions": available_actions(&case, &auth.caller, &rules, now),
    })))
}

/// `GET /api/cases/{id}/events` — the audit trail, oldest first.
pub async fn events(
    State(state): State<AppState>,
    auth: AuthUser,
    Path(id): Path<i64>,
) -> ApiResult<Json<Vec<EventDto>>> {
    visible_case(&state, &auth, id).await?;
    let events = state.store.case_events(id).await?;
    Ok(Json(events.iter().map(EventDto::from).collect()))
}

fn need<T>(v: Option<T>, field: &'static str) -> ApiResult<T> {
    v.ok_or_else(|| ApiError::unprocessable("missing_field", format!("{field} is required")))
}

async fn check_inspector(state: &AppState, inspector_id: i64, case: &Case) -> ApiResult<()> {
    let u = state
        .store
        .user_with_roles(inspector_id)
        .await?
        .ok_or_else(|| {
            ApiError::unprocessable("unknown_inspector", format!("no user {inspector_id}"))
        })?;
    let covering = u
        .grants
        .iter()
        .any(|g| g.role == Role::Inspector && policy::area_covers(g, case));
    if !u.user.active || !covering {
        return Err(ApiError::unprocessable(
            "unknown_inspector",
            format!("user {inspector_id} is not an active inspector for this case's area"),
        ));
    }
    Ok(())
}

/// Checks what an allowed command refers to: the inspector, the department, the master case.
/// Runs after the workflow accepted the command, so a step that is not allowed at all is
/// reported as such rather than as a bad reference.
async fn validate_references(
    state: &AppState,
    auth: &AuthUser,
    cmd: &Command,
    case: &Case,
) -> ApiResult<()> {
    match cmd {
        Command::SendVerify { inspector_id } | Command::SendCheck { inspector_id } => {
            check_inspector(state, *inspector_id, case).await
        }
        Command::Dispatch { department_id } => {
            if state.store.get_department(*department_id).await?.is_none() {
                return Err(ApiError::unprocessable(
                    "unknown_department",
                    format!("no department {department_id}"),
                ));
            }
            Ok(())
        }
        Command::LinkDuplicate { master_case_id } => {
            let master = state.store.get_case(*master_case_id).await?;
            let ok = master.is_some_and(|m| {
                !m.state.is_terminal() && m.id != case.id && policy::can_view(&auth.caller, &m)
            });
            if !ok {
                return Err(ApiError::unprocessable(
                    "invalid_master",
                    format!("case {master_case_id} is not an open case you can see"),
                ));
            }
            Ok(())
        }
        _ => Ok(()),
    }
}

/// Turns a request into a command (resolving a class code to its snapshot).
async fn command(state: &AppState, req: &ActionRequest) -> ApiResult<Command> {
    Ok(match req.action.as_str() {
        "send_verify" | "send_check" => {
            let inspector_id = need(req.inspector_id, "inspector_id")?;
            if req.action == "send_verify" {
                Command::SendVerify { inspector_id }
            } else {
                Command::SendCheck { inspector_id }
            }
        }
        "accept" => Command::Accept,
        "reject_report" => Command::RejectReport,
        "verify" => Command::Verify {
            confirmed: need(req.confirmed, "confirmed")?,
        },
        "file" => Command::File {
            class: match req.class_code.as_deref() {
                Some(c) => Some(class_snapshot(state, req.standard_ref.as_deref(), c).await?),
                None => None,
            },
            urgency: parse_urgency(req.urgency.as_deref())?,
        },
        "reject" => Command::Reject,
        "return_to_intake" => Command::ReturnToIntake,
        "dispatch" => Command::Dispatch {
            department_id: need(req.department_id, "department_id")?,
        },
        "accept_task" => Command::AcceptTask,
        "request_return" => Command::RequestReturn,
        "approve_return" => Command::ApproveReturn,
        "deny_return" => Command::DenyReturn,
        "feedback" => Command::Feedback,
        "request_extension" => Command::RequestExtension {
            minutes: need(req.minutes, "minutes")?,
        },
        "approve_extension" => Command::ApproveExtension,
        "deny_extension" => Command::DenyExtension,
        "request_suspension" => Command::RequestSuspension,
        "approve_suspension" => Command::ApproveSuspension,
        "deny_suspension" => Command::DenySuspension,
        "resume" => Command::Resume,
        "check" => Command::Check {
            passed: need(req.passed, "passed")?,
        },
        "close" => Command::Close,
        "rework" => Command::Rework,
        "supervise" => Command::Supervise,
        "request_void" => Command::RequestVoid,
        "approve_void" => Command::ApproveVoid,
        "deny_void" => Command::DenyVoid,
        "link_duplicate" => Command::LinkDuplicate {
            master_case_id: need(req.master_case_id, "master_case_id")?,
        },
        "reply" => Command::Reply,
        "rate" => {
            let r = need(req.rating.clone(), "rating")?;
            Command::Rate {
                rating: Rating::parse(&r).ok_or_else(|| {
                    ApiError::unprocessable(
                        "invalid",
                        format!(
                            "rating must be satisfied, basically_satisfied or unsatisfied, not {r:?}"
                        ),
                    )
                })?,
            }
        }
        other => {
            return Err(ApiError::unprocessable(
                "unknown_action",
                format!("unknown action {other:?}"),
            ));
        }
    })
}

/// Applies one action to a case and publishes the change. Shared by the HTTP handler and the
/// demo/simulators (which act through the same rules as people do).
///
/// # Errors
/// Every refusal the workflow, the store or the reference checks can give.
pub async fn transition(
    state: &AppState,
    auth: &AuthUser,
    id: i64,
    req: &ActionRequest,
) -> ApiResult<(Case, EventDto)> {
    let now = state.now();
    let rules = state.rules.get(now).await?;
    check_text("note", req.note.as_deref(), MAX_NOTE)?;
    if req.attachments.len() > MAX_ATTACHMENTS {
        return Err(ApiError::unprocessable(
            "too_many_attachments",
            format!("at most {MAX_ATTACHMENTS} photos"),
        ));
    }
    let (case, followers) = visible_case_and_followers(state, auth, id).await?;
    if let Some(v) = req.expected_version
        && v != case.version
    {
        return Err(ApiError::Conflict {
            code: "version_conflict",
            message: format!("the case is at version {}, not {v}", case.version),
            current: Some(Box::new(dto(now, &rules, &case, &auth.caller))),
        });
    }
    let cmd = command(state, req).await?;
    let evidence = Evidence {
        note: req.note.clone(),
        attachments: req.attachments.clone(),
    };
    let ctx = Ctx {
        calendar: &rules.calendar,
        limits: &rules.limits,
        now,
    };
    let t = workflow::apply(&case, &auth.caller, &cmd, &evidence, &ctx)?;
    validate_references(state, auth, &cmd, &case).await?;
    let stored = match state.store.apply_transition(case.version, &t).await {
        Ok(ev) => ev,
        Err(StoreError::Conflict { current }) => {
            return Err(ApiError::Conflict {
                code: "version_conflict",
                message: format!(
                    "someone else changed the case first; it is now {} (version {})",
                    current.state.as_str(),
                    current.version
                ),
                current: Some(Box::new(dto(now, &rules, &current, &auth.caller))),
            });
        }
        Err(e) => return Err(e.into()),
    };
    metrics::counter!("yiwang_case_transitions_total", "action" => t.event.action).increment(1);
    state.bus.publish(BusEvent::CaseChanged {
        action: t.event.action.to_owned(),
        actor_id: auth.caller.user_id,
        case: Box::new(CaseDto::new(&t.case, now, &rules.calendar, false)),
        followers,
    });
    Ok((t.case, EventDto::from(&stored)))
}

/// `POST /api/cases/{id}/actions` — one step of the loop.
pub async fn act(
    State(state): State<AppState>,
    auth: AuthUser,
    Path(id): Path<i64>,
    Json(req): Json<ActionRequest>,
) -> ApiResult<Json<Value>> {
    let (case, event) = transition(&state, &auth, id, &req).await?;
    let now = state.now();
    let rules = state.rules.get(now).await?;
    Ok(Json(json!({
        "case": dto(now, &rules, &case, &auth.caller),
        "event": event,
        "available_actions": available_actions(&case, &auth.caller, &rules, now),
    })))
}

/// Query string of `GET /api/cases`.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ListQuery {
    /// Comma-separated states.
    pub state: Option<String>,
    /// Any area code (district/street/community/grid).
    pub area: Option<String>,
    pub class: Option<String>,
    pub source: Option<String>,
    pub department: Option<i64>,
    pub assignee: Option<i64>,
    /// green, yellow or red.
    pub light: Option<String>,
    /// Created at or after (RFC 3339 or YYYY-MM-DD, Asia/Shanghai).
    pub from: Option<String>,
    /// Created before (RFC 3339 or YYYY-MM-DD, exclusive).
    pub to: Option<String>,
    /// Text in description or address, or an exact case number.
    pub q: Option<String>,
    pub supervised: Option<bool>,
    /// A pending request kind: return, extension, suspension, void.
    pub pending: Option<String>,
    /// Only cases I reported.
    pub mine: Option<bool>,
    /// Only cases assigned to me (verification/check tasks).
    pub assigned: Option<bool>,
    pub limit: Option<u32>,
    pub cursor: Option<String>,
}

fn parse_time(field: &'static str, s: &str) -> ApiResult<Timestamp> {
    if let Some(t) = Timestamp::parse_rfc3339(s) {
        return Ok(t);
    }
    chrono::NaiveDate::parse_from_str(s, "%Y-%m-%d")
        .map(Timestamp::shanghai_midnight)
        .map_err(|_| {
            ApiError::BadRequest(format!("{field}: use RFC 3339 or YYYY-MM-DD, not {s:?}"))
        })
}

fn filter_of(q: &ListQuery, auth: &AuthUser) -> ApiResult<CaseFilter> {
    let mut f = CaseFilter::default();
    if let Some(s) = q.state.as_deref().filter(|s| !s.is_empty()) {
        for part in s.split(',') {
            f.states.push(
                CaseState::parse(part.trim())
                    .ok_or_else(|| ApiError::BadRequest(format!("unknown state {part:?}")))?,
            );
        }
    }
    if let Some(a) = &q.area {
        f.area = Some(AreaCode::parse(a).map_err(|e| ApiError::BadRequest(e.to_string()))?);
    }
    f.class_code = q.class.clone();
    if let Some(s) = &q.source {
        f.source = Some(
            Source::parse(s)
                .ok_or_else(|| ApiError::BadRequest(format!("unknown source {s:?}")))?,
        );
    }
    f.department_id = q.department;
    f.assignee_id = q.assignee;
    if q.assigned == Some(true) {
        f.assignee_id = Some(auth.caller.user_id);
    }
    if q.mine == Some(true) {
        f.reporter_id = Some(auth.caller.user_id);
    }
    if let Some(l) = &q.light {
        f.light = Some(match l.as_str() {
            "green" => Light::Green,
            "yellow" => Light::Yellow,
            "red" => Light::Red,
            _ => {
                return Err(ApiError::BadRequest(format!(
                    "light must be green, yellow or red, not {l:?}"
                )));
            }
        });
    }
    if let Some(s) = &q.from {
        f.created_from = Some(parse_time("from", s)?);
    }
    if let Some(s) = &q.to {
        f.created_to = Some(parse_time("to", s)?);
    }
    f.text = q.q.clone();
    f.supervised = q.supervised;
    if let Some(p) = &q.pending {
        if !matches!(p.as_str(), "return" | "extension" | "suspension" | "void") {
            return Err(ApiError::BadRequest(format!("unknown pending kind {p:?}")));
        }
        f.pending_kind = Some(p.clone());
    }
    Ok(f)
}

/// `GET /api/cases` — filtered, scoped, newest first, keyset-paginated.
pub async fn list(
    State(state): State<AppState>,
    auth: AuthUser,
    Query(q): Query<ListQuery>,
) -> ApiResult<Json<CaseListDto>> {
    let now = state.now();
    let rules = state.rules.get(now).await?;
    let filter = filter_of(&q, &auth)?;
    let vis = policy::visibility(&auth.caller);
    let page = state
        .store
        .list_cases(
            &filter,
            &vis,
            now,
            q.limit.unwrap_or(50),
            q.cursor.as_deref(),
        )
        .await
        .map_err(|e| match e {
            StoreError::Invalid(m) => ApiError::BadRequest(m),
            other => other.into(),
        })?;
    Ok(Json(CaseListDto {
        items: page
            .cases
            .iter()
            .map(|c| dto(now, &rules, c, &auth.caller))
            .collect(),
        next_cursor: page.next_cursor,
    }))
}

/// `GET /api/queues` — the caller's work queues with counts (workbench badges).
pub async fn queues(State(state): State<AppState>, auth: AuthUser) -> ApiResult<Json<Value>> {
    let now = state.now();
    let vis = policy::visibility(&auth.caller);
    let by_state = state
        .store
        .count_by_state(&CaseFilter::default(), &vis, now)
        .await?;
    let mut states = serde_json::Map::new();
    for s in CaseState::ALL {
        let n = by_state
            .iter()
            .find(|(x, _)| *x == s)
            .map(|(_, n)| *n)
            .unwrap_or(0);
        states.insert(s.as_str().to_owned(), json!(n));
    }
    let mut pending = serde_json::Map::new();
    for kind in ["return", "extension", "suspension", "void"] {
        let f = CaseFilter {
            pending_kind: Some(kind.into()),
            ..CaseFilter::default()
        };
        pending.insert(
            kind.to_owned(),
            json!(state.store.count_cases(&f, &vis, now).await?),
        );
    }
    let mut lights = serde_json::Map::new();
    for (name, l) in [("yellow", Light::Yellow), ("red", Light::Red)] {
        let f = CaseFilter {
            light: Some(l),
            ..CaseFilter::default()
        };
        lights.insert(
            name.to_owned(),
            json!(state.store.count_cases(&f, &vis, now).await?),
        );
    }
    let mine = CaseFilter {
        assignee_id: Some(auth.caller.user_id),
        states: vec![CaseState::Verifying, CaseState::Checking],
        ..CaseFilter::default()
    };
    let my_tasks = state.store.count_cases(&mine, &vis, now).await?;
    Ok(Json(json!({
        "states": states,
        "pending_requests": pending,
        "lights": lights,
        "my_inspection_tasks": my_tasks,
    })))
}

/// `GET /api/stats/summary?from=&to=&area=` — counts for the command centre.
pub async fn summary(
    State(state): State<AppState>,
    auth: AuthUser,
    Query(q): Query<ListQuery>,
) -> ApiResult<Json<Value>> {
    let now = state.now();
    let filter = filter_of(&q, &auth)?;
    let vis = policy::visibility(&auth.caller);
    let by_state = state.store.count_by_state(&filter, &vis, now).await?;
    let total: i64 = by_state.iter().map(|(_, n)| n).sum();
    let closed = by_state
        .iter()
        .find(|(s, _)| *s == CaseState::Closed)
        .map(|(_, n)| *n)
        .unwrap_or(0);
    let open: i64 = by_state
        .iter()
        .filter(|(s, _)| !s.is_terminal())
        .map(|(_, n)| n)
        .sum();
    let red = state
        .store
        .count_cases(
            &CaseFilter {
                light: Some(Light::Red),
                ..filter.clone()
            },
            &vis,
            now,
        )
        .await?;
    Ok(Json(json!({
        "total": total,
        "open": open,
        "closed": closed,
        "overdue": red,
        "by_state": by_state.iter().map(|(s, n)| json!({"state": s.as_str(), "label": s.label_zh(), "count": n})).collect::<Vec<_>>(),
    })))
}

/// Most classes `GET /api/stats/breakdown` names (`top`).
pub const BREAKDOWN_MAX_TOP: usize = 50;
/// Classes named when `top` is not given.
pub const BREAKDOWN_DEFAULT_TOP: usize = 10;

/// The states of a filed case not yet closed whose closing can fall due: 待派遣 to 待结案,
/// without 挂账 (a parked case's clock is stopped by decision).
const DUE_OPEN_STATES: [CaseState; 6] = [
    CaseState::PendingDispatch,
    CaseState::Dispatched,
    CaseState::Handling,
    CaseState::PendingCheck,
    CaseState::Checking,
    CaseState::PendingClose,
];

/// Query of `GET /api/stats/breakdown`.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BreakdownQuery {
    /// Start of the period (RFC 3339 or YYYY-MM-DD, Asia/Shanghai); default today 00:00.
    pub from: Option<String>,
    /// End of the period, exclusive; default open-ended.
    pub to: Option<String>,
    /// Any area code; cases inside it.
    pub area: Option<String>,
    /// How many classes to name, 1..=50; default 10.
    pub top: Option<usize>,
}

/// The 结案率 of a period: 结案数 / 应结案数, where 结案数 is the cases closed in the period
/// and 应结案数 is those plus the filed cases created before the period's end that are still
/// open and past their node deadline now (超期未结案). Every closed case is in the
/// denominator, so the rate never exceeds 1; `None` when nothing was due.
pub fn closure_rate(closed: i64, overdue_open: i64) -> (i64, Option<f64>) {
    let due = closed.max(0) + overdue_open.max(0);
    (due, (due > 0).then(|| closed.max(0) as f64 / due as f64))
}

/// `GET /api/stats/breakdown?from=&to=&area=&top=` — the period's reports by channel and by
/// class (the top classes named) and its closure rate, over the cases the caller may see.
pub async fn breakdown(
    State(state): State<AppState>,
    auth: AuthUser,
    Query(q): Query<BreakdownQuery>,
) -> ApiResult<Json<Value>> {
    let now = state.now();
    let from = match q.from.as_deref().filter(|s| !s.is_empty()) {
        Some(s) => parse_time("from", s)?,
        None => Timestamp::shanghai_midnight(now.to_shanghai().date()),
    };
    let to = match q.to.as_deref().filter(|s| !s.is_empty()) {
        Some(s) => Some(parse_time("to", s)?),
        None => None,
    };
    if to.is_some_and(|t| t <= from) {
        return Err(ApiError::BadRequest("to must be after from".into()));
    }
    let area = match q.area.as_deref().filter(|s| !s.is_empty()) {
        Some(a) => Some(AreaCode::parse(a).map_err(|e| ApiError::BadRequest(e.to_string()))?),
        None => None,
    };
    let top = q.top.unwrap_or(BREAKDOWN_DEFAULT_TOP);
    if !(1..=BREAKDOWN_MAX_TOP).contains(&top) {
        return Err(ApiError::BadRequest(format!(
            "top must be 1 to {BREAKDOWN_MAX_TOP}, not {top}"
        )));
    }
    let vis = policy::visibility(&auth.caller);
    let reported = CaseFilter {
        area: area.clone(),
        created_from: Some(from),
        created_to: to,
        ..CaseFilter::default()
    };
    let b = state
        .store
        .case_breakdown(&reported, &vis, now, top)
        .await?;
    let closed_filter = CaseFilter {
        area: area.clone(),
        states: vec![CaseState::Closed],
        closed_from: Some(from),
        // Always bounded above (nothing closes in the future): a two-sided range on the partial
        // `cases_closed` index is what SQLite's planner picks over the state index.
        closed_to: Some(to.unwrap_or(Timestamp(now.0 + 1))),
        ..CaseFilter::default()
    };
    let closed = state.store.count_cases(&closed_filter, &vis, now).await?;
    let overdue_filter = CaseFilter {
        area,
        states: DUE_OPEN_STATES.to_vec(),
        light: Some(Light::Red),
        created_to: to,
        ..CaseFilter::default()
    };
    let overdue_open = state.store.count_cases(&overdue_filter, &vis, now).await?;
    let (due, rate) = closure_rate(closed, overdue_open);
    Ok(Json(json!({
        "from": from.to_rfc3339(),
        "to": to.map(Timestamp::to_rfc3339),
        "total": b.total,
        "by_source": b.by_source.iter().map(|(s, n)| json!({"source": s.as_str(), "label": s.label_zh(), "count": n})).collect::<Vec<_>>(),
        "by_class": b.by_class.iter().map(|c| json!({"code": c.code, "name": c.name, "count": c.count})).collect::<Vec<_>>(),
        "other_classes": b.other_classes,
        "unclassified": b.unclassified,
        "closure": {
            "closed": closed,
            "overdue_open": overdue_open,
            "due": due,
            "rate": rate,
        },
    })))
}

#[cfg(test)]
mod breakdown_tests {
    use super::closure_rate;

    #[test]
    fn closure_rate_is_bounded_and_counts_every_closing() {
        // 08:30: five cases handled yesterday were closed this morning, one handled today, two
        // overdue. The assessment's 结案数 / (处置数 + 超期未处置数) is 5 / (1 + 2) = 167 %;
        // here each closed case is also due: 5 / (5 + 2).
        assert_eq!(closure_rate(5, 2), (7, Some(5.0 / 7.0)));
        // Nothing closed yet, three overdue: 0 %.
        assert_eq!(closure_rate(0, 3), (3, Some(0.0)));
        // All closed, none overdue: exactly 100 %, never more.
        assert_eq!(closure_rate(4, 0), (4, Some(1.0)));
        // Nothing due: no rate (shown as —), not 0 % or 100 %.
        assert_eq!(closure_rate(0, 0), (0, None));
        for closed in 0..20 {
            for overdue in 0..20 {
                if let (_, Some(r)) = closure_rate(closed, overdue) {
                    assert!((0.0..=1.0).contains(&r));
                }
            }
        }
    }
}
