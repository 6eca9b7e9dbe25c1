//! Volunteers 志愿者 and honorary road chiefs 名誉路长: registration, the list, counts per
//! service project with what their reports came to, and leaving.
//!
//! A signed-in citizen registers themselves for one of the eleven projects
//! ([`VolunteerProject`]) and is granted the volunteer role at once, so their next report may
//! use the `volunteer` channel (a report that an inspector verifies on site before it is filed,
//! as the workflow decides). An admin registers any user and alone names honorary road chiefs.
//! Admins, leaders and operators read the list and the summary; phones are masked unless the
//! caller may see reporters' contacts.

use axum::Router;
use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::{delete, get};
use chrono::{Datelike, NaiveDate};
use domain::area::AreaCode;
use domain::org::Role;
use domain::time::Timestamp;
use domain::volunteer::VolunteerProject;
use serde::Deserialize;
use serde_json::{Value, json};
use store::{NewVolunteer, Volunteer, VolunteerFilter};

use super::require_any;
use crate::AppState;
use crate::auth::AuthUser;
use crate::dto::{mask_phone, may_see_contacts};
use crate::error::{ApiError, ApiResult};
use crate::extract::{Json, Path, Query};

/// Who reads the list and the summary.
pub(crate) const READERS: &[Role] = &[Role::Admin, Role::Leader, Role::Operator];

/// Longest organisation name.
pub const MAX_ORGANISATION_CHARS: usize = 100;

/// Longest period of a summary, in days.
pub const MAX_PERIOD_DAYS: i64 = 366 * 3;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/volunteers", get(list).post(register))
        .route("/api/volunteers/summary", get(summary))
        .route("/api/volunteers/{id}", delete(deregister))
}

fn project_of(s: &str) -> ApiResult<VolunteerProject> {
    VolunteerProject::parse(s.trim()).ok_or_else(|| {
        let codes: Vec<&str> = VolunteerProject::ALL.iter().map(|p| p.as_str()).collect();
        ApiError::unprocessable(
            "unknown_project",
            format!(
                "project {s:?} is not a volunteer project; give one of {}",
                codes.join(", ")
            ),
        )
    })
}

fn area_of(s: &str, field: &str) -> ApiResult<AreaCode> {
    AreaCode::parse(s.trim())
        .map_err(|e| ApiError::unprocessable("invalid_area_code", format!("{field}: {e}")))
}

/// One volunteer as the API shows it.
fn volunteer_json(v: &Volunteer, reveal_phone: bool) -> Value {
    let phone = v.phone.as_deref().map(|p| {
        if reveal_phone {
            p.to_owned()
        } else {
            mask_phone(p)
        }
    });
    json!({
        "user_id": v.user_id,
        "username": v.username,
        "display_name": v.display_name,
        "phone": phone,
        "project": v.project.as_str(),
        "project_label": v.project.label_zh(),
        "organisation": v.organisation,
        "area_code": v.area_code.as_ref().map(AreaCode::as_str),
        "road_id": v.road_id,
        "road_name": v.road_name,
        "honorary": v.honorary,
        "registered_at": v.created_at.to_rfc3339(),
        "updated_at": v.updated_at.to_rfc3339(),
        "left_at": v.left_at.map(Timestamp::to_rfc3339),
        "reports": v.reports,
    })
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RegisterRequest {
    /// Whom to register (admins only); the caller when absent.
    pub user_id: Option<i64>,
    pub project: String,
    pub organisation: Option<String>,
    pub area_code: Option<String>,
    pub road_id: Option<String>,
    /// 名誉路长 (admins only).
    #[serde(default)]
    pub honorary: bool,
}

/// `POST /api/volunteers` — register as a volunteer (or change the registration).
async fn register(
    State(state): State<AppState>,
    auth: AuthUser,
    Json(req): Json<RegisterRequest>,
) -> ApiResult<Json<Value>> {
    let admin = auth.caller.has_role(Role::Admin);
    let user_id = req.user_id.unwrap_or(auth.user.id);
    if user_id != auth.user.id && !admin {
        return Err(ApiError::Forbidden(
            "only an admin may register someone else as a volunteer".into(),
        ));
    }
    if user_id == auth.user.id
        && !admin
        && !(auth.caller.has_role(Role::Citizen) || auth.caller.has_role(Role::Volunteer))
    {
        return Err(ApiError::Forbidden(
            "volunteers register from a citizen account".into(),
        ));
    }
    if req.honorary && !admin {
        return Err(ApiError::Forbidden(
            "only an admin names honorary road chiefs (名誉路长)".into(),
        ));
    }
    let project = project_of(&req.project)?;
    let organisation = req
        .organisation
        .map(|o| o.trim().to_owned())
        .filter(|o| !o.is_empty());
    if organisation
        .as_ref()
        .is_some_and(|o| o.chars().count() > MAX_ORGANISATION_CHARS)
    {
        return Err(ApiError::unprocessable(
            "too_long",
            format!("organisation is longer than {MAX_ORGANISATION_CHARS} characters"),
        ));
    }
    let area = match req.area_code.as_deref().map(str::trim) {
        Some(a) if !a.is_empty() => {
            let code = area_of(a, "area_code")?;
            if state.store.get_area(&code).await?.is_none() {
                return Err(ApiError::unprocessable(
                    "unknown_area",
                    format!("no area {}", code.as_str()),
                ));
            }
            Some(code)
        }
        _ => None,
    };
    let road_id = req
        .road_id
        .map(|r| r.trim().to_owned())
        .filter(|r| !r.is_empty());
    if let Some(r) = &road_id
        && !state.store.road_exists(r).await?
    {
        return Err(ApiError::unprocessable(
            "unknown_road",
            format!("no road {r:?} in the city model"),
        ));
    }
    if user_id != auth.user.id && state.store.user_with_roles(user_id).await?.is_none() {
        return Err(ApiError::NotFound("user"));
    }
    let v = state
        .store
        .register_volunteer(
            &NewVolunteer {
                user_id,
                project,
                organisation,
                area,
                road_id,
                honorary: req.honorary,
            },
            state.now(),
        )
        .await?;
    // The new role counts from the next request on this node.
    state.sessions.forget_user(user_id);
    // The volunteer sees their own phone; others as the list shows it.
    let reveal = v.user_id == auth.user.id || may_see_contacts(&auth.caller);
    Ok(Json(json!({ "volunteer": volunteer_json(&v, reveal) })))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ListQuery {
    pub project: Option<String>,
    pub area_code: Option<String>,
    pub road_id: Option<String>,
    pub include_left: Option<bool>,
    pub limit: Option<u32>,
}

/// `GET /api/volunteers` — the volunteers, newest registration first.
async fn list(
    State(state): State<AppState>,
    auth: AuthUser,
    Query(q): Query<ListQuery>,
) -> ApiResult<Json<Value>> {
    require_any(&auth, READERS)?;
    let filter = VolunteerFilter {
        project: q.project.as_deref().map(project_of).transpose()?,
        area: q
            .area_code
            .as_deref()
            .map(|a| area_of(a, "area_code"))
            .transpose()?,
        road_id: q.road_id,
        include_left: q.include_left.unwrap_or(false),
        limit: q.limit.unwrap_or(200),
    };
    let list = state.store.list_volunteers(&filter).await?;
    let reveal = may_see_contacts(&auth.caller);
    let items: Vec<Value> = list.iter().map(|v| volunteer_json(v, reveal)).collect();
    Ok(Json(json!({ "volunteers": items })))
}

fn bad_period(message: impl Into<String>) -> ApiError {
    ApiError::unprocessable("invalid_period", message)
}

fn date_of(s: &str, what: &str) -> ApiResult<NaiveDate> {
    NaiveDate::parse_from_str(s.trim(), "%Y-%m-%d")
        .map_err(|_| bad_period(format!("{what} must be a date YYYY-MM-DD, got {s:?}")))
}

/// The days `from..=to` of a summary: both given, or the current month (Asia/Shanghai).
pub fn period_of(
    from: Option<&str>,
    to: Option<&str>,
    now: Timestamp,
) -> ApiResult<(NaiveDate, NaiveDate)> {
    match (from, to) {
        (Some(f), Some(t)) => {
            let (f, t) = (date_of(f, "from")?, date_of(t, "to")?);
            if t < f {
                return Err(bad_period("to is before from"));
            }
            if (t - f).num_days() > MAX_PERIOD_DAYS {
                return Err(bad_period("a period is at most three years"));
            }
            Ok((f, t))
        }
        (None, None) => {
            let today = now.to_shanghai().date();
            let first = today.with_day(1).unwrap_or(today);
            let last = first
                .checked_add_months(chrono::Months::new(1))
                .and_then(|d| d.pred_opt())
                .unwrap_or(today);
            Ok((first, last))
        }
        _ => Err(bad_period("give both from and to, or neither")),
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SummaryQuery {
    pub from: Option<String>,
    pub to: Option<String>,
}

/// `GET /api/volunteers/summary` — per project: active volunteers, and their reports in the
/// period with how many were confirmed, filed and closed.
async fn summary(
    State(state): State<AppState>,
    auth: AuthUser,
    Query(q): Query<SummaryQuery>,
) -> ApiResult<Json<Value>> {
    require_any(&auth, READERS)?;
    let (first, last) = period_of(q.from.as_deref(), q.to.as_deref(), state.now())?;
    let end = last.succ_opt().unwrap_or(last);
    let s = state
        .store
        .volunteer_summary(
            Timestamp::shanghai_midnight(first),
            Timestamp::shanghai_midnight(end),
        )
        .await?;
    let projects: Vec<Value> = s
        .projects
        .iter()
        .filter_map(|c| {
            let p = c.project?;
            Some(json!({
                "project": p.as_str(),
                "label": p.label_zh(),
                "volunteers": c.volunteers,
                "honorary": c.honorary,
                "reports": c.reports,
                "verified": c.verified,
                "filed": c.filed,
                "closed": c.closed,
            }))
        })
        .collect();
    Ok(Json(json!({
        "from": first.to_string(),
        "to": last.to_string(),
        "volunteers": s.volunteers,
        "reports": s.reports,
        "unregistered_reports": s.unregistered_reports,
        "projects": projects,
    })))
}

/// `DELETE /api/volunteers/{id}` — a volunteer leaves (themselves, or by an admin).
async fn deregister(
    State(state): State<AppState>,
    auth: AuthUser,
    Path(id): Path<i64>,
) -> ApiResult<StatusCode> {
    if id != auth.user.id && !auth.caller.has_role(Role::Admin) {
        return Err(ApiError::Forbidden(
            "only an admin may take someone else off the volunteers".into(),
        ));
    }
    state.store.deregister_volunteer(id, state.now()).await?;
    state.sessions.forget_user(id);
    Ok(StatusCode::NO_CONTENT)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn periods_default_to_the_month_and_are_checked() {
        let now = Timestamp::parse_rfc3339("2026-02-10T09:00:00+08:00").expect("time");
        let d = |s: &str| NaiveDate::parse_from_str(s, "%Y-%m-%d").expect("date");
        assert_eq!(
            period_of(None, None, now).ok(),
            Some((d("2026-02-01"), d("2026-02-28")))
        );
        assert_eq!(
            period_of(Some("2026-01-05"), Some("2026-01-05"), now).ok(),
            Some((d("2026-01-05"), d("2026-01-05")))
        );
        for (f, t) in [
            (Some("2026-01-05"), None),
            (Some("2026-01-06"), Some("2026-01-05")),
            (Some("2026/01/05"), Some("2026-01-06")),
            (Some("2020-01-01"), Some("2026-01-01")),
        ] {
            assert!(period_of(f, t, now).is_err(), "{f:?} {t:?}");
        }
    }

    #[test]
    fn unknown_projects_name_the_codes() {
        let Err(ApiError::Unprocessable { code, message }) = project_of("dancing") else {
            panic!("accepted");
        };
        assert_eq!(code, "unknown_project");
        assert!(message.contains("road_patrol") && message.contains("shared_bikes"));
        assert_eq!(
            project_of(" waterways ").ok(),
            Some(VolunteerProject::Waterways)
        );
    }
}
