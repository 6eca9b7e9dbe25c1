//! Automatic assessment 考核自动化 over HTTP: indicators, scores and rankings for any period and
//! scope family, daily series for charts, the weekly red/black-flag review 周讲评 and its
//! history, weights, cycle tasks 周期案件, the practical-matters list 我为群众办实事, and the weekly
//! and monthly reports as xlsx and CSV.
//!
//! Everything is read from the counters the store keeps in the transaction of every case
//! transition (`store::assessment`); the pure `assessment` crate turns them into indicators,
//! scores, ranks and flags.
//!
//! **Who sees what.** Staff only. Admins, leaders and shift supervisors, and staff whose grant
//! covers the whole city (no area, no department), see every scope. Others see the areas inside
//! the areas of their grants, the department of their grants, and themselves (as a person or a
//! road chief); other rows are left out of their answers.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::Arc;

use assessment::counters::Counter;
use assessment::cycle::CycleRule;
use assessment::flags::{FlagKind, FlagRecord, tally, weekly_review};
use assessment::matters::{Milestone, ProgressUpdate, rollup};
use assessment::report::{RankingSection, ReportData, daily_series, write_csv};
use assessment::scores::{ScoreConfig, rank_scopes};
use assessment::{Period, Scope, ScopeKind};
use axum::Router;
use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{delete, get, post};
use chrono::{Datelike, NaiveDate, Weekday};
use domain::area::AreaLevel;
use domain::org::Role;
use domain::time::Timestamp;
use serde::Deserialize;
use serde_json::{Value, json};
use store::assessment::{parse_scope_kind, scope_from_parts, scope_kind_str, scope_parts};
use store::{NewMatter, Store};
use tokio_util::sync::CancellationToken;

use crate::AppState;
use crate::auth::AuthUser;
use crate::error::{ApiError, ApiResult};
use crate::extract::{Json, Path, Query};
use crate::routes::{STAFF, require_any};

/// Setting key of the weights, score tables and grade bands ([`ScoreConfig`]).
pub const WEIGHTS_SETTING: &str = "assessment_weights";
/// Red and black flags per family in a weekly review, unless the request says otherwise.
pub const DEFAULT_FLAGS: usize = 3;
/// How often the worker turns cycle tasks into tasks and refreshes the store's calendar.
pub const WORKER_INTERVAL: std::time::Duration = std::time::Duration::from_secs(60);

/// Who may edit weights.
pub(crate) const WEIGHT_EDITORS: &[Role] = &[Role::Admin];
/// Who may create and stop cycle tasks.
pub(crate) const CYCLE_EDITORS: &[Role] = &[
    Role::Admin,
    Role::Leader,
    Role::ShiftSupervisor,
    Role::Operator,
];
/// Who may edit the practical-matters list (owner departments' handlers add progress too).
pub(crate) const MATTER_EDITORS: &[Role] = &[Role::Admin, Role::Leader];
/// Who may report progress on a practical matter.
pub(crate) const MATTER_REPORTERS: &[Role] = &[Role::Admin, Role::Leader, Role::DepartmentHandler];

/// Every scope family the API names, in display order.
pub const SCOPE_KINDS: &[&str] = &[
    "city",
    "district",
    "street",
    "community",
    "grid",
    "department",
    "road_chief",
    "inspector",
    "operator",
    "shift_supervisor",
    "dispatcher",
];

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/assessment/indicators", get(indicators))
        .route("/api/assessment/series", get(series))
        .route("/api/assessment/flags", get(flags))
        .route("/api/assessment/flags/history", get(flag_history))
        .route("/api/assessment/weights", get(get_weights).put(put_weights))
        .route("/api/assessment/report.xlsx", get(report_xlsx))
        .route("/api/assessment/report.csv", get(report_csv))
        .route("/api/cycle-tasks", get(list_cycle).post(create_cycle))
        .route("/api/cycle-tasks/runs", get(cycle_runs))
        .route("/api/cycle-tasks/{id}", delete(delete_cycle))
        .route(
            "/api/matters/categories",
            get(list_categories).post(create_category),
        )
        .route("/api/matters", get(list_matters).post(create_matter))
        .route("/api/matters/summary", get(matters_summary))
        .route("/api/matters/{id}/progress", post(matter_progress))
}

// ---- periods and scopes ---------------------------------------------------------------------

fn bad_period(message: impl Into<String>) -> ApiError {
    ApiError::unprocessable("invalid_period", message)
}

fn parse_date(s: &str, what: &str) -> ApiResult<NaiveDate> {
    NaiveDate::parse_from_str(s, "%Y-%m-%d")
        .map_err(|_| bad_period(format!("{what} must be a date YYYY-MM-DD, got {s:?}")))
}

/// `YYYY-MM` (a month) or `YYYY-Www` (an ISO week, Monday to Sunday).
pub fn parse_named_period(s: &str) -> ApiResult<Period> {
    let bad = || bad_period(format!("period must be YYYY-MM or YYYY-Www, got {s:?}"));
    if let Some((y, w)) = s.split_once("-W") {
        let year: i32 = y.parse().map_err(|_| bad())?;
        let week: u32 = w.parse().map_err(|_| bad())?;
        let monday = NaiveDate::from_isoywd_opt(year, week, Weekday::Mon).ok_or_else(bad)?;
        return Ok(Period::week_of(monday));
    }
    let (y, m) = s.split_once('-').ok_or_else(bad)?;
    let (year, month): (i32, u32) = (y.parse().map_err(|_| bad())?, m.parse().map_err(|_| bad())?);
    let first = NaiveDate::from_ymd_opt(year, month, 1).ok_or_else(bad)?;
    Ok(Period::month_of(first))
}

/// The period of a query: `from`+`to`, or `period`, or the current month.
fn period_of(
    from: Option<&str>,
    to: Option<&str>,
    named: Option<&str>,
    now: Timestamp,
) -> ApiResult<Period> {
    match (from, to, named) {
        (None, None, Some(p)) => parse_named_period(p),
        (Some(f), Some(t), None) => {
            let (f, t) = (parse_date(f, "from")?, parse_date(t, "to")?);
            if t < f {
                return Err(bad_period("to is before from"));
            }
            if (t - f).num_days() > 366 * 3 {
                return Err(bad_period("a period is at most three years"));
            }
            Ok(Period::new(f, t))
        }
        (None, None, None) => Ok(Period::month_of(now.to_shanghai().date())),
        _ => Err(bad_period("give from and to, or period, not both")),
    }
}

fn period_json(p: Period) -> Value {
    json!({ "from": p.first.date().to_string(), "to": p.last.date().to_string() })
}

fn scope_kind(s: &str) -> ApiResult<ScopeKind> {
    parse_scope_kind(s).ok_or_else(|| {
        ApiError::unprocessable(
            "invalid_query",
            format!("scope_kind must be one of {}", SCOPE_KINDS.join(", ")),
        )
    })
}

/// What the caller may see.
struct Visible {
    all: bool,
    user_id: i64,
    areas: Vec<domain::area::AreaCode>,
    departments: HashSet<i64>,
}

impl Visible {
    fn of(auth: &AuthUser) -> Visible {
        let c = &auth.caller;
        let all = [Role::Admin, Role::Leader, Role::ShiftSupervisor]
            .iter()
            .any(|r| c.has_role(*r))
            || c.grants
                .iter()
                .any(|g| STAFF.contains(&g.role) && g.area.is_none() && g.department_id.is_none());
        Visible {
            all,
            user_id: c.user_id,
            areas: c.grants.iter().filter_map(|g| g.area.clone()).collect(),
            departments: c.grants.iter().filter_map(|g| g.department_id).collect(),
        }
    }

    fn sees(&self, scope: &Scope) -> bool {
        if self.all {
            return true;
        }
        match scope {
            Scope::City => false,
            Scope::Area { code } => self.areas.iter().any(|a| a.contains(code)),
            Scope::Department { id } => self.departments.contains(id),
            Scope::Person { user_id, .. } | Scope::RoadChief { user_id } => {
                *user_id == self.user_id
            }
        }
    }
}

/// Display names of the scopes of one family.
async fn names(store: &Store, kind: ScopeKind) -> ApiResult<HashMap<Scope, String>> {
    let mut out = HashMap::new();
    match kind {
        ScopeKind::City => {
            out.insert(Scope::City, "全市".to_owned());
        }
        ScopeKind::Area(level) => {
            for a in store.list_areas_at(level).await? {
                out.insert(Scope::Area { code: a.code }, a.name);
            }
        }
        ScopeKind::Department => {
            for d in store.list_departments().await? {
                out.insert(Scope::Department { id: d.id }, d.name);
            }
        }
        ScopeKind::RoadChief | ScopeKind::Person(_) => {
            for u in store.list_users().await? {
                let scope = match kind {
                    ScopeKind::Person(role) => Scope::Person {
                        role,
                        user_id: u.user.id,
                    },
                    _ => Scope::RoadChief { user_id: u.user.id },
                };
                out.insert(scope, u.user.display_name);
            }
        }
    }
    Ok(out)
}

/// Unit grids per area scope of a family (for 网格平均立案数).
async fn grid_counts(store: &Store, kind: ScopeKind) -> ApiResult<HashMap<Scope, u32>> {
    let mut out = HashMap::new();
    if !matches!(kind, ScopeKind::City | ScopeKind::Area(_)) {
        return Ok(out);
    }
    let grids = store.list_areas_at(AreaLevel::Grid).await?;
    if kind == ScopeKind::City {
        out.insert(Scope::City, u32::try_from(grids.len()).unwrap_or(u32::MAX));
        return Ok(out);
    }
    for g in &grids {
        for level in [
            AreaLevel::District,
            AreaLevel::Street,
            AreaLevel::Community,
            AreaLevel::Grid,
        ] {
            if ScopeKind::Area(level) == kind
                && let Some(code) = g.code.ancestor(level)
            {
                *out.entry(Scope::Area { code }).or_insert(0) += 1;
            }
        }
    }
    Ok(out)
}

fn scope_json(scope: &Scope, names: &HashMap<Scope, String>) -> Value {
    let (kind, id) = scope_parts(scope);
    json!({
        "kind": kind,
        "id": id,
        "name": names.get(scope).cloned().unwrap_or_else(|| scope.key()),
    })
}

/// Indicators as JSON: counts as numbers, rates as `{num, den, rate}` (`rate` null when the
/// denominator is 0), the average handling time in hours or null.
fn indicators_json(ind: &assessment::Indicators) -> Value {
    let mut v = serde_json::to_value(ind).unwrap_or_default();
    if let Some(o) = v.as_object_mut() {
        for x in o.values_mut() {
            if let (Some(num), Some(den)) = (
                x.get("num").and_then(Value::as_i64),
                x.get("den").and_then(Value::as_i64),
            ) {
                let rate = assessment::Ratio::new(num, den).value();
                *x = json!({ "num": num, "den": den, "rate": rate });
            }
        }
    }
    v
}

async fn weights(store: &Store) -> ApiResult<ScoreConfig> {
    Ok(store.setting(WEIGHTS_SETTING).await?.unwrap_or_default())
}

/// The ranked rows of one family over one period.
async fn ranking(
    store: &Store,
    kind: ScopeKind,
    period: Period,
    config: &ScoreConfig,
) -> ApiResult<Vec<assessment::scores::Ranked>> {
    let agg = store.assessment_period(kind, period).await?;
    let grids = grid_counts(store, kind).await?;
    Ok(rank_scopes(&agg, kind, period, config, &grids))
}

// ---- indicators and series ------------------------------------------------------------------

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct IndicatorQuery {
    scope_kind: Option<String>,
    from: Option<String>,
    to: Option<String>,
    period: Option<String>,
}

/// `GET /api/assessment/indicators` — indicators, composite score, grade and rank of every scope
/// of a family over a period, best first.
async fn indicators(
    State(state): State<AppState>,
    auth: AuthUser,
    Query(q): Query<IndicatorQuery>,
) -> ApiResult<Json<Value>> {
    require_any(&auth, STAFF)?;
    let kind = scope_kind(q.scope_kind.as_deref().unwrap_or("street"))?;
    let period = period_of(
        q.from.as_deref(),
        q.to.as_deref(),
        q.period.as_deref(),
        state.now(),
    )?;
    let config = weights(&state.store).await?;
    let ranked = ranking(&state.store, kind, period, &config).await?;
    let names = names(&state.store, kind).await?;
    let vis = Visible::of(&auth);
    let rows: Vec<Value> = ranked
        .iter()
        .filter(|r| vis.sees(&r.scope))
        .map(|r| {
            json!({
                "scope": scope_json(&r.scope, &names),
                "indicators": indicators_json(&r.indicators),
                "score": r.score.value,
                "grade": r.score.grade.as_str(),
                "rank": r.rank,
            })
        })
        .collect();
    Ok(Json(json!({
        "period": period_json(period),
        "scope_kind": scope_kind_str(kind),
        "rows": rows,
    })))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SeriesQuery {
    scope_kind: Option<String>,
    scope_id: Option<String>,
    counter: Option<String>,
    from: Option<String>,
    to: Option<String>,
    period: Option<String>,
}

/// `GET /api/assessment/series` — one counter (or the overdue stock) of one scope, per day.
async fn series(
    State(state): State<AppState>,
    auth: AuthUser,
    Query(q): Query<SeriesQuery>,
) -> ApiResult<Json<Value>> {
    require_any(&auth, STAFF)?;
    let kind = scope_kind(q.scope_kind.as_deref().unwrap_or("city"))?;
    let id = q.scope_id.as_deref().unwrap_or_default();
    let scope = scope_from_parts(kind, id).ok_or_else(|| {
        ApiError::unprocessable(
            "invalid_query",
            format!("{id:?} is not a {} id", scope_kind_str(kind)),
        )
    })?;
    let counter = q.counter.as_deref().unwrap_or("reported");
    let pick: Option<Counter> = if counter == "overdue_open" {
        None
    } else {
        Some(Counter::parse(counter).ok_or_else(|| {
            ApiError::unprocessable(
                "invalid_query",
                format!("unknown counter {counter:?}; use overdue_open or one of the counters listed in the API document"),
            )
        })?)
    };
    let period = period_of(
        q.from.as_deref(),
        q.to.as_deref(),
        q.period.as_deref(),
        state.now(),
    )?;
    if !Visible::of(&auth).sees(&scope) {
        return Err(ApiError::Forbidden("this scope is outside yours".into()));
    }
    let agg = state.store.assessment_days(&scope, period).await?;
    let daily = daily_series(&agg, &scope, period);
    let points: Vec<Value> = period
        .days()
        .zip(&daily)
        .map(|(day, d)| {
            let value = match pick {
                Some(c) => agg.day(&scope, day).get(c),
                None => d.overdue_open,
            };
            json!({ "date": day.date().to_string(), "value": value })
        })
        .collect();
    let names = names(&state.store, kind).await?;
    Ok(Json(json!({
        "scope": scope_json(&scope, &names),
        "counter": counter,
        "period": period_json(period),
        "points": points,
    })))
}

// ---- flags ----------------------------------------------------------------------------------

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FlagQuery {
    week: Option<String>,
    red: Option<usize>,
    black: Option<usize>,
}

fn flag_json(f: &FlagRecord, names: &HashMap<Scope, String>) -> Value {
    json!({
        "week_start": f.week_start.to_string(),
        "scope": scope_json(&f.scope, names),
        "kind": match f.kind { FlagKind::Red => "red", FlagKind::Black => "black" },
        "rank": f.rank,
        "composite": f.composite,
        "third_party_findings": f.third_party_findings,
        "flag_score": f.flag_score,
    })
}

async fn flag_names(store: &Store) -> ApiResult<HashMap<Scope, String>> {
    let mut n = names(store, ScopeKind::RoadChief).await?;
    n.extend(names(store, ScopeKind::Area(AreaLevel::Street)).await?);
    Ok(n)
}

/// Computes the weekly review of `week` (road chiefs and streets) without storing it.
pub async fn review(
    store: &Store,
    week: Period,
    red: usize,
    black: usize,
) -> ApiResult<(Vec<FlagRecord>, Vec<FlagRecord>, Vec<(Scope, i64)>)> {
    let config = weights(store).await?;
    let mut out = Vec::new();
    let mut findings = Vec::new();
    for kind in [ScopeKind::RoadChief, ScopeKind::Area(AreaLevel::Street)] {
        let agg = store.assessment_period(kind, week).await?;
        let grids = grid_counts(store, kind).await?;
        out.push(weekly_review(&agg, kind, week, &config, &grids, red, black));
        for scope in agg.scopes(kind) {
            let n = assessment::Indicators::of(&agg, &scope, week).third_party_findings;
            if n > 0 {
                findings.push((scope, n));
            }
        }
    }
    let streets = out.pop().unwrap_or_default();
    let chiefs = out.pop().unwrap_or_default();
    Ok((chiefs, streets, findings))
}

/// `GET /api/assessment/flags?week=` — the weekly review 周讲评 of a week (default: last week):
/// computed, stored (replacing an earlier review of the week) and returned.
async fn flags(
    State(state): State<AppState>,
    auth: AuthUser,
    Query(q): Query<FlagQuery>,
) -> ApiResult<Json<Value>> {
    require_any(&auth, STAFF)?;
    let now = state.now();
    let week = match q.week.as_deref() {
        Some(w) if w.contains("-W") => parse_named_period(w)?,
        Some(w) => return Err(bad_period(format!("week must be YYYY-Www, got {w:?}"))),
        None => Period::week_of(now.to_shanghai().date() - chrono::Days::new(7)),
    };
    let (red, black) = (
        q.red.unwrap_or(DEFAULT_FLAGS),
        q.black.unwrap_or(DEFAULT_FLAGS),
    );
    if red > 100 || black > 100 {
        return Err(ApiError::unprocessable(
            "invalid_query",
            "at most 100 flags of a colour",
        ));
    }
    let (chiefs, streets, findings) = review(&state.store, week, red, black).await?;
    let all: Vec<FlagRecord> = chiefs.iter().chain(&streets).cloned().collect();
    state.store.save_flags(week.first.date(), &all, now).await?;
    let names = flag_names(&state.store).await?;
    let list =
        |v: &[FlagRecord]| -> Vec<Value> { v.iter().map(|f| flag_json(f, &names)).collect() };
    let findings: Vec<Value> = findings
        .iter()
        .map(|(s, n)| json!({ "scope": scope_json(s, &names), "findings": n }))
        .collect();
    Ok(Json(json!({
        "week": period_json(week),
        "road_chiefs": list(&chiefs),
        "streets": list(&streets),
        "third_party": findings,
    })))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HistoryQuery {
    from: Option<String>,
    to: Option<String>,
}

/// `GET /api/assessment/flags/history` — every stored flag, oldest week first, and a tally per
/// scope (red, black, current black streak).
async fn flag_history(
    State(state): State<AppState>,
    auth: AuthUser,
    Query(q): Query<HistoryQuery>,
) -> ApiResult<Json<Value>> {
    require_any(&auth, STAFF)?;
    let from = q
        .from
        .as_deref()
        .map(|s| parse_date(s, "from"))
        .transpose()?;
    let to = q.to.as_deref().map(|s| parse_date(s, "to")).transpose()?;
    let history = state.store.flag_history(from, to).await?;
    let names = flag_names(&state.store).await?;
    let tallies: Vec<Value> = tally(&history)
        .iter()
        .map(|(s, t)| {
            json!({
                "scope": scope_json(s, &names),
                "red": t.red,
                "black": t.black,
                "black_streak": t.black_streak,
                "last_week": t.last_week.map(|d| d.to_string()),
            })
        })
        .collect();
    let flags: Vec<Value> = history.iter().map(|f| flag_json(f, &names)).collect();
    Ok(Json(json!({ "flags": flags, "tally": tallies })))
}

// ---- weights --------------------------------------------------------------------------------

/// `GET /api/assessment/weights` — weights, score tables, grade floors (defaults until edited).
async fn get_weights(State(state): State<AppState>, auth: AuthUser) -> ApiResult<Json<Value>> {
    require_any(&auth, STAFF)?;
    let config = weights(&state.store).await?;
    Ok(Json(
        serde_json::to_value(config).map_err(|e| ApiError::Internal(e.to_string()))?,
    ))
}

/// `PUT /api/assessment/weights` — replaces the weights (admins).
async fn put_weights(
    State(state): State<AppState>,
    auth: AuthUser,
    Json(config): Json<ScoreConfig>,
) -> ApiResult<Json<Value>> {
    require_any(&auth, WEIGHT_EDITORS)?;
    let floors = config.grade_floors;
    if !floors.windows(2).all(|w| w[0] >= w[1]) || floors.iter().any(|f| !(0.0..=100.0).contains(f))
    {
        return Err(ApiError::unprocessable(
            "invalid",
            "grade_floors must fall from A to D within 0–100",
        ));
    }
    let families = [
        &config.inspector,
        &config.operator,
        &config.shift_supervisor,
        &config.dispatcher,
        &config.department,
        &config.area,
        &config.road_chief,
    ];
    if families.iter().any(|terms| {
        terms
            .iter()
            .any(|t| !(t.weight.is_finite() && t.weight >= 0.0))
    }) {
        return Err(ApiError::unprocessable(
            "invalid",
            "weights must be finite and not negative",
        ));
    }
    state
        .store
        .put_setting(WEIGHTS_SETTING, &config, state.now())
        .await?;
    Ok(Json(
        serde_json::to_value(config).map_err(|e| ApiError::Internal(e.to_string()))?,
    ))
}

// ---- reports --------------------------------------------------------------------------------

/// A weekly or monthly report.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ReportKind {
    Weekly,
    Monthly,
}

impl ReportKind {
    pub fn parse(s: &str) -> Option<ReportKind> {
        match s {
            "weekly" => Some(ReportKind::Weekly),
            "monthly" => Some(ReportKind::Monthly),
            _ => None,
        }
    }
}

/// The families a report ranks, with their Chinese section titles.
const REPORT_SECTIONS: &[(&str, &str)] = &[
    ("district", "区县排名"),
    ("street", "街道排名"),
    ("department", "专业部门排名"),
    ("road_chief", "路长排名"),
    ("inspector", "监督员排名"),
    ("operator", "受理员排名"),
    ("shift_supervisor", "值班长排名"),
    ("dispatcher", "派遣员排名"),
];

/// Builds the content of a weekly or monthly report (the API and `yiwang report` share it). A
/// weekly report holds that week's flags (computed, not stored); a monthly one the
/// practical-matters roll-up.
///
/// # Errors
/// The store fails.
pub async fn build_report(
    store: &Store,
    kind: ReportKind,
    period: Period,
    today: NaiveDate,
) -> ApiResult<ReportData> {
    let config = weights(store).await?;
    let mut data = ReportData {
        title: format!(
            "{} {} 至 {}",
            match kind {
                ReportKind::Weekly => "城市管理考核周报",
                ReportKind::Monthly => "城市管理考核月报",
            },
            period.first.date(),
            period.last.date()
        ),
        period: Some(period),
        ..ReportData::default()
    };
    let mut labels: BTreeMap<String, String> = BTreeMap::new();
    for (k, title) in REPORT_SECTIONS {
        let Some(kind) = parse_scope_kind(k) else {
            continue;
        };
        let rows = ranking(store, kind, period, &config).await?;
        for (s, n) in names(store, kind).await? {
            labels.insert(s.key(), n);
        }
        data.rankings.push(RankingSection {
            title: (*title).to_owned(),
            kind,
            rows,
        });
    }
    if kind == ReportKind::Weekly {
        let (chiefs, streets, _) = review(store, period, DEFAULT_FLAGS, DEFAULT_FLAGS).await?;
        data.flags = chiefs.into_iter().chain(streets).collect();
    }
    let city = store.assessment_days(&Scope::City, period).await?;
    data.daily = daily_series(&city, &Scope::City, period);
    if kind == ReportKind::Monthly {
        let categories = store.list_matter_categories().await?;
        let items = store.list_matters(None).await?;
        if !items.is_empty() {
            let r = rollup(&categories, &items, today);
            data.matters = Some((categories, r));
        }
    }
    for d in store.list_departments().await? {
        labels.insert(Scope::Department { id: d.id }.key(), d.name);
    }
    data.names = labels;
    Ok(data)
}

/// The report as CSV: every table in turn, each under its name, a blank line between.
///
/// # Errors
/// The CSV writer fails.
pub fn report_csv_bytes(data: &ReportData) -> Result<Vec<u8>, assessment::AssessmentError> {
    let mut out = Vec::from("\u{feff}".as_bytes());
    for (i, table) in data.tables().iter().enumerate() {
        if i > 0 {
            out.extend_from_slice(b"\r\n");
        }
        out.extend_from_slice(table.name.as_bytes());
        out.extend_from_slice(b"\r\n");
        let bytes = write_csv(table)?;
        out.extend_from_slice(bytes.strip_prefix("\u{feff}".as_bytes()).unwrap_or(&bytes));
    }
    Ok(out)
}

/// The report as an xlsx workbook.
///
/// # Errors
/// The xlsx writer fails.
pub fn report_xlsx_bytes(data: &ReportData) -> Result<Vec<u8>, assessment::AssessmentError> {
    assessment::xlsx::report_workbook(data)
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReportQuery {
    kind: Option<String>,
    period: Option<String>,
}

fn report_period(q: &ReportQuery, now: Timestamp) -> ApiResult<(ReportKind, Period, String)> {
    let kind = ReportKind::parse(q.kind.as_deref().unwrap_or("weekly")).ok_or_else(|| {
        ApiError::unprocessable("invalid_query", "kind must be weekly or monthly")
    })?;
    let today = now.to_shanghai().date();
    let label = match (&q.period, kind) {
        (Some(p), _) => p.clone(),
        (None, ReportKind::Weekly) => {
            let w = (today - chrono::Days::new(7)).iso_week();
            format!("{}-W{:02}", w.year(), w.week())
        }
        (None, ReportKind::Monthly) => format!("{}-{:02}", today.year(), today.month()),
    };
    let period = parse_named_period(&label)?;
    let is_week = label.contains("-W");
    if is_week != (kind == ReportKind::Weekly) {
        return Err(bad_period(
            "a weekly report needs period=YYYY-Www, a monthly one YYYY-MM",
        ));
    }
    Ok((kind, period, label))
}

/// `attachment` with an ASCII name and the Chinese one (RFC 6266 / 5987).
fn disposition(ascii: &str, chinese: &str) -> String {
    let mut enc = String::new();
    for b in chinese.bytes() {
        if b.is_ascii_alphanumeric() || b"-._".contains(&b) {
            enc.push(char::from(b));
        } else {
            enc.push_str(&format!("%{b:02X}"));
        }
    }
    format!("attachment; filename=\"{ascii}\"; filename*=UTF-8''{enc}")
}

fn file_names(kind: ReportKind, label: &str, ext: &str) -> (String, String) {
    let (en, zh) = match kind {
        ReportKind::Weekly => ("assessment-weekly", "考核周报"),
        ReportKind::Monthly => ("assessment-monthly", "考核月报"),
    };
    (format!("{en}-{label}.{ext}"), format!("{zh}-{label}.{ext}"))
}

/// `GET /api/assessment/report.xlsx` — the weekly or monthly report as an Excel workbook.
async fn report_xlsx(
    State(state): State<AppState>,
    auth: AuthUser,
    Query(q): Query<ReportQuery>,
) -> ApiResult<Response> {
    require_any(&auth, &[Role::Admin, Role::Leader, Role::ShiftSupervisor])?;
    let now = state.now();
    let (kind, period, label) = report_period(&q, now)?;
    let data = build_report(&state.store, kind, period, now.to_shanghai().date()).await?;
    let bytes = tokio::task::spawn_blocking(move || report_xlsx_bytes(&data))
        .await
        .map_err(|e| ApiError::Internal(format!("report: {e}")))?
        .map_err(|e| ApiError::Internal(format!("report: {e}")))?;
    let (ascii, zh) = file_names(kind, &label, "xlsx");
    Ok((
        StatusCode::OK,
        [
            (
                header::CONTENT_TYPE,
                "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet".to_owned(),
            ),
            (header::CONTENT_DISPOSITION, disposition(&ascii, &zh)),
        ],
        bytes,
    )
        .into_response())
}

/// `GET /api/assessment/report.csv` — the same report as CSV (UTF-8 with BOM).
async fn report_csv(
    State(state): State<AppState>,
    auth: AuthUser,
    Query(q): Query<ReportQuery>,
) -> ApiResult<Response> {
    require_any(&auth, &[Role::Admin, Role::Leader, Role::ShiftSupervisor])?;
    let now = state.now();
    let (kind, period, label) = report_period(&q, now)?;
    let data = build_report(&state.store, kind, period, now.to_shanghai().date()).await?;
    let bytes = report_csv_bytes(&data).map_err(|e| ApiError::Internal(format!("report: {e}")))?;
    let (ascii, zh) = file_names(kind, &label, "csv");
    Ok((
        StatusCode::OK,
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8".to_owned()),
            (header::CONTENT_DISPOSITION, disposition(&ascii, &zh)),
        ],
        bytes,
    )
        .into_response())
}

// ---- cycle tasks ----------------------------------------------------------------------------

fn cycle_json(t: &store::CycleTask) -> Value {
    let mut rule = serde_json::to_value(&t.rule).unwrap_or_default();
    if let Some(o) = rule.as_object_mut() {
        o.insert("inspector_id".into(), json!(t.inspector_id));
        o.insert("checked_to".into(), json!(t.checked_to.to_rfc3339()));
        o.insert("created_by".into(), json!(t.created_by));
        o.insert("created_at".into(), json!(t.created_at.to_rfc3339()));
    }
    rule
}

/// `GET /api/cycle-tasks` — active cycle tasks.
async fn list_cycle(State(state): State<AppState>, auth: AuthUser) -> ApiResult<Json<Value>> {
    require_any(&auth, STAFF)?;
    let tasks = state.store.list_cycle_tasks().await?;
    Ok(Json(
        json!({ "tasks": tasks.iter().map(cycle_json).collect::<Vec<_>>() }),
    ))
}

#[derive(Debug, Deserialize)]
pub struct NewCycleTask {
    #[serde(flatten)]
    rule: CycleRule,
    inspector_id: i64,
}

/// `POST /api/cycle-tasks` — a new recurring inspection for an inspector.
async fn create_cycle(
    State(state): State<AppState>,
    auth: AuthUser,
    Json(body): Json<Value>,
) -> ApiResult<(StatusCode, Json<Value>)> {
    require_any(&auth, CYCLE_EDITORS)?;
    let mut body = body;
    if let Some(o) = body.as_object_mut() {
        o.entry("id").or_insert(json!(0));
    }
    let input: NewCycleTask = serde_json::from_value(body)
        .map_err(|e| ApiError::unprocessable("invalid", format!("cycle task: {e}")))?;
    if input.rule.title.trim().is_empty() {
        return Err(ApiError::unprocessable(
            "missing_field",
            "title is required",
        ));
    }
    if let assessment::cycle::Schedule::Weekly { days } = &input.rule.schedule
        && days.is_empty()
    {
        return Err(ApiError::unprocessable(
            "invalid",
            "a weekly schedule needs at least one day",
        ));
    }
    check_cycle_rule(&state, &input.rule).await?;
    let users = state.store.list_users().await?;
    let is_inspector = users.iter().any(|u| {
        u.user.id == input.inspector_id && u.grants.iter().any(|g| g.role == Role::Inspector)
    });
    if !is_inspector {
        return Err(ApiError::unprocessable(
            "unknown_inspector",
            format!("user {} is not an inspector", input.inspector_id),
        ));
    }
    let task = state
        .store
        .create_cycle_task(&input.rule, input.inspector_id, auth.user.id, state.now())
        .await?;
    Ok((StatusCode::CREATED, Json(cycle_json(&task))))
}

/// A cycle task's class and place must exist: its cases are made unattended, on schedule.
async fn check_cycle_rule(state: &AppState, rule: &CycleRule) -> ApiResult<()> {
    use assessment::cycle::Place;
    use domain::taxonomy::{ClassKind, GB_47678_5_2026};
    let mut known = false;
    for kind in [ClassKind::Matter, ClassKind::Component] {
        known |= state
            .store
            .get_class(GB_47678_5_2026, kind, &rule.class_code)
            .await?
            .is_some();
    }
    if !known {
        return Err(ApiError::unprocessable(
            "unknown_class",
            format!("no class {:?} in {GB_47678_5_2026}", rule.class_code),
        ));
    }
    match &rule.place {
        Place::Point { lat, lon } => {
            let inside = state
                .city
                .get()
                .geocoder
                .grid_at(*lon, *lat)
                .ok()
                .flatten()
                .is_some();
            if !inside {
                return Err(ApiError::unprocessable(
                    "outside_city",
                    format!("({lat}, {lon}) is in no unit grid of the city"),
                ));
            }
        }
        Place::Grid { code } => {
            let area = domain::area::AreaCode::parse(code)
                .map_err(|e| ApiError::unprocessable("unknown_area", format!("{code:?}: {e}")))?;
            if state.store.get_area(&area).await?.is_none() {
                return Err(ApiError::unprocessable(
                    "unknown_area",
                    format!("no area {code:?}"),
                ));
            }
        }
        Place::Road { road_id } => {
            if !state.store.road_exists(road_id).await? {
                return Err(ApiError::unprocessable(
                    "unknown_road",
                    format!("no road {road_id:?}"),
                ));
            }
        }
    }
    Ok(())
}

/// `DELETE /api/cycle-tasks/{id}` — stops a cycle task.
async fn delete_cycle(
    State(state): State<AppState>,
    auth: AuthUser,
    Path(id): Path<i64>,
) -> ApiResult<StatusCode> {
    require_any(&auth, CYCLE_EDITORS)?;
    state.store.delete_cycle_task(id).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RunsQuery {
    from: Option<String>,
    to: Option<String>,
}

/// `GET /api/cycle-tasks/runs` — the inspection tasks made by cycle tasks (inspectors see their
/// own), due in `[from, to]` (dates; default: the current week).
async fn cycle_runs(
    State(state): State<AppState>,
    auth: AuthUser,
    Query(q): Query<RunsQuery>,
) -> ApiResult<Json<Value>> {
    require_any(&auth, STAFF)?;
    let period = if q.from.is_none() && q.to.is_none() {
        Period::week_of(state.now().to_shanghai().date())
    } else {
        period_of(q.from.as_deref(), q.to.as_deref(), None, state.now())?
    };
    let vis = Visible::of(&auth);
    let only = (!vis.all).then_some(auth.user.id);
    let from = Timestamp::shanghai_midnight(period.first.date());
    let to = Timestamp::shanghai_midnight(period.last.plus(1).date());
    let runs = state.store.list_cycle_runs(only, from, to).await?;
    let tasks: HashMap<i64, String> = state
        .store
        .list_cycle_tasks()
        .await?
        .into_iter()
        .map(|t| (t.rule.id, t.rule.title))
        .collect();
    let list: Vec<Value> = runs
        .iter()
        .map(|r| {
            json!({
                "task_id": r.task_id,
                "title": tasks.get(&r.task_id),
                "due_at": r.due_at.to_rfc3339(),
                "inspector_id": r.inspector_id,
                "case_id": r.case_id,
                "case_state": r.case_state.map(|s| s.as_str()),
            })
        })
        .collect();
    Ok(Json(json!({ "period": period_json(period), "runs": list })))
}

/// Turns due cycle tasks into tasks and hands the node's calendar to the store; what the worker
/// does each round. Returns the tasks made.
///
/// # Errors
/// The store fails.
pub async fn tick(state: &AppState) -> ApiResult<usize> {
    let now = state.now();
    let rules = state.rules.get(now).await?;
    let calendar = Arc::new(rules.calendar.clone());
    state.store.set_assessment_calendar(calendar.clone());
    Ok(state.store.run_cycle_tasks(&calendar, now).await?.len())
}

/// Runs [`tick`] every [`WORKER_INTERVAL`] until `shutdown` (one node of a cluster is enough;
/// making a task twice is impossible, the (task, due) pair is unique).
pub fn spawn_worker(state: AppState, shutdown: CancellationToken) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        loop {
            if let Err(e) = tick(&state).await {
                tracing::warn!(error = %e, "assessment worker");
            }
            tokio::select! {
                () = shutdown.cancelled() => return,
                () = tokio::time::sleep(WORKER_INTERVAL) => {}
            }
        }
    })
}

// ---- practical matters ----------------------------------------------------------------------

/// `GET /api/matters/categories`.
async fn list_categories(State(state): State<AppState>, auth: AuthUser) -> ApiResult<Json<Value>> {
    require_any(&auth, STAFF)?;
    let list = state.store.list_matter_categories().await?;
    Ok(Json(json!({ "categories": list })))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewCategory {
    name: String,
}

/// `POST /api/matters/categories`.
async fn create_category(
    State(state): State<AppState>,
    auth: AuthUser,
    Json(body): Json<NewCategory>,
) -> ApiResult<(StatusCode, Json<Value>)> {
    require_any(&auth, MATTER_EDITORS)?;
    let name = body.name.trim();
    if name.is_empty() {
        return Err(ApiError::unprocessable("missing_field", "name is required"));
    }
    let c = state
        .store
        .create_matter_category(name, state.now())
        .await?;
    Ok((StatusCode::CREATED, Json(json!(c))))
}

fn matter_json(i: &assessment::matters::Item, today: NaiveDate) -> Value {
    let mut v = serde_json::to_value(i).unwrap_or_default();
    if let Some(o) = v.as_object_mut() {
        o.insert("percent".into(), json!(i.latest_percent()));
        o.insert(
            "overdue_milestones".into(),
            json!(i.overdue_milestones(today)),
        );
    }
    v
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MatterQuery {
    category_id: Option<i64>,
}

/// `GET /api/matters` — items with their milestones and progress.
async fn list_matters(
    State(state): State<AppState>,
    auth: AuthUser,
    Query(q): Query<MatterQuery>,
) -> ApiResult<Json<Value>> {
    require_any(&auth, STAFF)?;
    let today = state.now().to_shanghai().date();
    let items = state.store.list_matters(q.category_id).await?;
    Ok(Json(
        json!({ "items": items.iter().map(|i| matter_json(i, today)).collect::<Vec<_>>() }),
    ))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewMilestone {
    title: String,
    due: NaiveDate,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewMatterBody {
    category_id: i64,
    title: String,
    plan: String,
    #[serde(default)]
    measures: Vec<String>,
    owner_department_id: i64,
    #[serde(default)]
    milestones: Vec<NewMilestone>,
}

/// `POST /api/matters` — a new item (planned).
async fn create_matter(
    State(state): State<AppState>,
    auth: AuthUser,
    Json(b): Json<NewMatterBody>,
) -> ApiResult<(StatusCode, Json<Value>)> {
    require_any(&auth, MATTER_EDITORS)?;
    if b.title.trim().is_empty() {
        return Err(ApiError::unprocessable(
            "missing_field",
            "title is required",
        ));
    }
    let m = NewMatter {
        category_id: b.category_id,
        title: b.title.trim().to_owned(),
        plan: b.plan,
        measures: b.measures,
        owner_department_id: b.owner_department_id,
        milestones: b
            .milestones
            .into_iter()
            .map(|m| Milestone {
                title: m.title,
                due: m.due,
                done_on: None,
            })
            .collect(),
    };
    let now = state.now();
    let item = state.store.create_matter(&m, now).await?;
    Ok((
        StatusCode::CREATED,
        Json(matter_json(&item, now.to_shanghai().date())),
    ))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ProgressBody {
    on: Option<NaiveDate>,
    percent: u8,
    #[serde(default)]
    note: String,
    #[serde(default)]
    milestones_done: Vec<String>,
}

/// `POST /api/matters/{id}/progress` — a progress update; department handlers only for items
/// their department owns.
async fn matter_progress(
    State(state): State<AppState>,
    auth: AuthUser,
    Path(id): Path<i64>,
    Json(b): Json<ProgressBody>,
) -> ApiResult<Json<Value>> {
    require_any(&auth, MATTER_REPORTERS)?;
    if b.percent > 100 {
        return Err(ApiError::unprocessable("invalid", "percent is 0–100"));
    }
    let item = state
        .store
        .get_matter(id)
        .await?
        .ok_or(ApiError::NotFound("matter"))?;
    let editor = MATTER_EDITORS.iter().any(|r| auth.caller.has_role(*r));
    let owner = auth.caller.grants.iter().any(|g| {
        g.role == Role::DepartmentHandler && g.department_id == Some(item.owner_department_id)
    });
    if !editor && !owner {
        return Err(ApiError::Forbidden(
            "only the owner department reports progress".into(),
        ));
    }
    let now = state.now();
    let today = now.to_shanghai().date();
    let update = ProgressUpdate {
        on: b.on.unwrap_or(today),
        percent: b.percent,
        note: b.note,
    };
    let item = state
        .store
        .add_matter_progress(id, &update, &b.milestones_done, auth.user.id, now)
        .await?;
    Ok(Json(matter_json(&item, today)))
}

/// `GET /api/matters/summary` — roll-ups by category, owner department and status.
async fn matters_summary(State(state): State<AppState>, auth: AuthUser) -> ApiResult<Json<Value>> {
    require_any(&auth, STAFF)?;
    let today = state.now().to_shanghai().date();
    let categories = state.store.list_matter_categories().await?;
    let items = state.store.list_matters(None).await?;
    let r = rollup(&categories, &items, today);
    let counts = |c: &assessment::matters::StatusCounts| {
        json!({
            "total": c.total, "done": c.done, "in_progress": c.in_progress,
            "planned": c.planned, "with_overdue_milestones": c.with_overdue_milestones,
        })
    };
    let by_category: Vec<Value> = categories
        .iter()
        .map(|c| {
            let mut v = counts(&r.by_category.get(&c.id).copied().unwrap_or_default());
            v["category_id"] = json!(c.id);
            v["name"] = json!(c.name);
            v
        })
        .collect();
    let by_department: Vec<Value> = r
        .by_department
        .iter()
        .map(|(id, c)| {
            let mut v = counts(c);
            v["department_id"] = json!(id);
            v
        })
        .collect();
    Ok(Json(json!({
        "total": counts(&r.total),
        "by_category": by_category,
        "by_department": by_department,
    })))
}
