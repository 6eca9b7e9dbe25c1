//! Likely duplicates 疑似重复案件: the open cases a case probably repeats, the finder's rules,
//! and the automatic link of a fresh report to its master.
//!
//! The scoring is `domain::duplicates`; the candidate query is `Store::duplicate_candidates`.
//! An operator confirms a candidate with the ordinary `link_duplicate` action; a fresh report
//! from a public channel is linked at once (by the built-in `system` account, through the same
//! [`transition`] as people) when its best candidate scores at least the class's
//! `auto_link_score`. The reporter of a linked duplicate then follows the master (sees it and
//! its answer 答复).

use axum::Router;
use axum::extract::State;
use axum::routing::get;
use domain::duplicates::{self, Candidate, DuplicateRule, DuplicateRules, Match};
use domain::org::Role;
use domain::policy;
use domain::taxonomy::{ClassKind, GB_47678_5_2026};
use domain::time::Timestamp;
use domain::workflow::{Case, CaseState, Source};
use serde::Deserialize;
use serde_json::{Value, json};

use super::cases::{dto, visible_case};
use super::{STAFF, require_any, transition};
use crate::AppState;
use crate::auth::AuthUser;
use crate::dto::ActionRequest;
use crate::error::{ApiError, ApiResult};
use crate::extract::{Json, Path, Query};

/// Who may look for duplicates of a case.
pub(crate) const FINDERS: &[Role] = &[
    Role::Operator,
    Role::ShiftSupervisor,
    Role::Dispatcher,
    Role::Leader,
    Role::Admin,
];

/// Most candidates `GET /api/cases/{id}/duplicates` returns.
pub(crate) const MAX_LISTED: usize = 20;

/// Channels whose fresh reports are linked automatically (people who may repeat each other).
pub(crate) const AUTO_LINK_SOURCES: [Source; 7] = [
    Source::CitizenApp,
    Source::Open311,
    Source::Hotline12319,
    Source::Hotline12345,
    Source::Weibo,
    Source::Mailbox,
    Source::Volunteer,
];

/// Why a case has no candidates without looking (the `reason` field).
pub(crate) const REASONS: [&str; 3] = ["no_class", "no_point", "terminal"];

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/cases/{id}/duplicates", get(list))
        .route("/api/duplicates/candidates", get(intake_candidates))
        .route("/api/duplicate-rules", get(get_rules).put(put_rules))
}

fn round(v: f64, places: i32) -> f64 {
    let f = 10f64.powi(places);
    (v * f).round() / f
}

/// The ranked candidates of `report` (a stored case, or an intake not filed yet) under `rule`
/// (every candidate the store offers; the caller filters by visibility), with the cases
/// themselves.
async fn ranked(
    state: &AppState,
    report: &Candidate,
    rule: &DuplicateRule,
) -> ApiResult<Vec<(Match, Case)>> {
    let Some(code) = report.class_code.as_deref() else {
        return Ok(Vec::new());
    };
    let since = Timestamp(report.created_at.0.saturating_sub(rule.window_ms()));
    let found = state
        .store
        .duplicate_candidates(
            code,
            report.lat,
            report.lon,
            rule.radius_m,
            since,
            report.id,
            store::MAX_DUPLICATE_CANDIDATES,
        )
        .await?;
    let views: Vec<Candidate> = found.iter().filter_map(Candidate::of_case).collect();
    let mut out = Vec::new();
    for m in duplicates::rank(report, &views, rule) {
        if let Some(c) = found.iter().find(|c| c.id == m.id) {
            out.push((m, c.clone()));
        }
    }
    Ok(out)
}

/// `GET /api/cases/{id}/duplicates` — the open cases this one likely repeats, best first.
pub async fn list(
    State(state): State<AppState>,
    auth: AuthUser,
    Path(id): Path<i64>,
) -> ApiResult<Json<Value>> {
    require_any(&auth, FINDERS)?;
    let case = visible_case(&state, &auth, id).await?;
    let now = state.now();
    let cached = state.rules.get(now).await?;
    let rules = &cached.duplicates;
    let rule = match case.class.as_ref() {
        Some(c) => rules.for_class(&c.code),
        None => &rules.default,
    };
    let report = Candidate::of_case(&case);
    let reason = if case.class.is_none() {
        Some(REASONS[0])
    } else if report.is_none() {
        Some(REASONS[1])
    } else if case.state.is_terminal() {
        Some(REASONS[2])
    } else {
        None
    };
    let mut candidates = Vec::new();
    if let (None, Some(report)) = (reason, report) {
        for (m, c) in ranked(&state, &report, rule).await? {
            if candidates.len() >= MAX_LISTED {
                break;
            }
            if !policy::can_view(&auth.caller, &c) {
                continue;
            }
            candidates.push(json!({
                "case": dto(now, &cached, &c, &auth.caller),
                "score": round(m.score, 3),
                "distance_m": round(m.distance_m, 1),
            }));
        }
    }
    Ok(Json(json!({
        "candidates": candidates,
        "rule": rule,
        "reason": reason,
    })))
}

/// Longest description `GET /api/duplicates/candidates` compares, in characters (as a report's).
pub(crate) const MAX_INTAKE_DESCRIPTION: usize = 2000;

/// `GET /api/duplicates/candidates` query: an intake not filed yet.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct IntakeQuery {
    /// Matter or component class code, e.g. `06010`.
    pub class_code: String,
    /// WGS-84 degrees; give both, or `address` instead.
    pub lat: Option<f64>,
    pub lon: Option<f64>,
    /// Address text placed by the gazetteer when no point is given.
    pub address: Option<String>,
    /// What the caller said, compared with the candidates' descriptions.
    pub description: Option<String>,
    /// The channel it will be filed through (default `hotline_12319`): only public channels
    /// are linked automatically.
    pub source: Option<String>,
}

/// The point of an intake: `lat`/`lon`, else the address through the gazetteer.
fn intake_point(state: &AppState, q: &IntakeQuery) -> ApiResult<(f64, f64)> {
    match (q.lat, q.lon) {
        (Some(lat), Some(lon)) => {
            if !(-90.0..=90.0).contains(&lat) || !(-180.0..=180.0).contains(&lon) {
                return Err(ApiError::unprocessable(
                    "invalid_point",
                    format!("lat {lat} / lon {lon} are not WGS-84 degrees"),
                ));
            }
            Ok((lat, lon))
        }
        (None, None) => {
            let text = q.address.as_deref().map(str::trim).unwrap_or_default();
            if text.is_empty() {
                return Err(ApiError::unprocessable(
                    "missing_field",
                    "give the point (lat and lon) or an address",
                ));
            }
            if text.chars().count() > grid::address::MAX_ADDRESS_CHARS {
                return Err(ApiError::unprocessable(
                    "too_long",
                    format!(
                        "address is longer than {} characters",
                        grid::address::MAX_ADDRESS_CHARS
                    ),
                ));
            }
            super::cases::locate_address(&state.city.get(), text)
        }
        _ => Err(ApiError::unprocessable(
            "invalid_point",
            "give both lat and lon, or neither",
        )),
    }
}

/// `GET /api/duplicates/candidates` — operator/staff: the open cases an intake not filed yet
/// (a hotline call, a Weibo post) likely repeats, best first, under its class's rule, scored as
/// if it were filed now; with distance, age and whether filing it would link it automatically.
pub async fn intake_candidates(
    State(state): State<AppState>,
    auth: AuthUser,
    Query(q): Query<IntakeQuery>,
) -> ApiResult<Json<Value>> {
    require_any(&auth, FINDERS)?;
    let code = q.class_code.trim();
    if code.is_empty() {
        return Err(ApiError::unprocessable(
            "missing_field",
            "class_code: give the matter or component class",
        ));
    }
    let description = q.description.as_deref().unwrap_or_default();
    if description.chars().count() > MAX_INTAKE_DESCRIPTION {
        return Err(ApiError::unprocessable(
            "too_long",
            format!("description is longer than {MAX_INTAKE_DESCRIPTION} characters"),
        ));
    }
    let known = state
        .store
        .get_class(GB_47678_5_2026, ClassKind::Matter, code)
        .await?
        .is_some()
        || state
            .store
            .get_class(GB_47678_5_2026, ClassKind::Component, code)
            .await?
            .is_some();
    if !known {
        return Err(ApiError::unprocessable(
            "unknown_class",
            format!("no matter or component class {code} in {GB_47678_5_2026}"),
        ));
    }
    let source = match q.source.as_deref() {
        None => Source::Hotline12319,
        Some(s) => Source::parse(s).ok_or_else(|| {
            ApiError::unprocessable("unknown_source", format!("source {s:?} is not a channel"))
        })?,
    };
    let (lat, lon) = intake_point(&state, &q)?;
    let now = state.now();
    let cached = state.rules.get(now).await?;
    let rule = cached.duplicates.for_class(code);
    // Not stored yet: id 0 is no case's id, and "now" is when it would be filed.
    let report = Candidate {
        id: 0,
        class_code: Some(code.to_owned()),
        lat,
        lon,
        created_at: now,
        description: description.to_owned(),
        state: CaseState::Reported,
        master_case_id: None,
    };
    let mut candidates = Vec::new();
    let ranked = ranked(&state, &report, rule).await?;
    // Filing links to the best candidate overall (visible to this caller or not).
    let master = AUTO_LINK_SOURCES
        .contains(&source)
        .then(|| {
            let matches: Vec<Match> = ranked.iter().map(|(m, _)| m.clone()).collect();
            duplicates::auto_master(&report, &matches, rule)
        })
        .flatten();
    for (m, c) in ranked {
        if candidates.len() >= MAX_LISTED {
            break;
        }
        if !policy::can_view(&auth.caller, &c) {
            continue;
        }
        let auto_link = master == Some(m.id);
        candidates.push(json!({
            "case": dto(now, &cached, &c, &auth.caller),
            "score": round(m.score, 3),
            "distance_m": round(m.distance_m, 1),
            "age_minutes": now.0.saturating_sub(c.created_at.0).max(0) / 60_000,
            "auto_link": auto_link,
        }));
    }
    Ok(Json(json!({
        "candidates": candidates,
        "rule": rule,
        "lat": lat,
        "lon": lon,
    })))
}

/// `GET /api/duplicate-rules` — staff; the finder's rules.
pub async fn get_rules(
    State(state): State<AppState>,
    auth: AuthUser,
) -> ApiResult<Json<DuplicateRules>> {
    require_any(&auth, STAFF)?;
    Ok(Json(state.store.duplicate_rules().await?))
}

/// `PUT /api/duplicate-rules` — admin; replaces the rules (default and every override).
pub async fn put_rules(
    State(state): State<AppState>,
    auth: AuthUser,
    Json(rules): Json<DuplicateRules>,
) -> ApiResult<Json<DuplicateRules>> {
    require_any(&auth, &[Role::Admin])?;
    rules
        .validate()
        .map_err(|e| ApiError::unprocessable("invalid", e.to_string()))?;
    if !rules.per_class.is_empty() {
        let classes = state.store.list_classes().await?;
        if let Some(code) = rules
            .per_class
            .keys()
            .find(|k| !classes.iter().any(|c| &c.code == *k))
        {
            return Err(ApiError::unprocessable(
                "unknown_class",
                format!("per_class: no matter or component class {code}"),
            ));
        }
    }
    state.store.put_duplicate_rules(&rules, state.now()).await?;
    // The finder reads the rules from the node's cache (`RulesCache`): this node sees the edit
    // at once, other nodes within `RULES_TTL_MS`.
    state.rules.invalidate().await;
    Ok(Json(rules))
}

/// Links a fresh report to the open case it repeats, when the best candidate scores at least
/// the class's `auto_link_score`: as the built-in `system` account, through the same
/// [`transition`] as an operator's `link_duplicate`. Returns the master's id, or `None` when
/// nothing was linked (not a public channel, not a fresh report, no class or point, no
/// automatic linking for the class, no candidate good enough).
///
/// Only a case created before this one (by time, then id) can be the master, so two reports
/// filed at once never become each other's duplicates.
///
/// # Errors
/// The store fails, or the link is refused (e.g. the master changed meanwhile: 409/422); the
/// report itself stands either way.
pub(crate) async fn auto_link(state: &AppState, case: &Case) -> ApiResult<Option<i64>> {
    if !AUTO_LINK_SOURCES.contains(&case.source)
        || case.state != CaseState::Reported
        || case.master_case_id.is_some()
    {
        return Ok(None);
    }
    let (Some(class), Some(report)) = (case.class.as_ref(), Candidate::of_case(case)) else {
        return Ok(None);
    };
    let cached = state.rules.get(state.now()).await?;
    let rule = cached.duplicates.for_class(&class.code);
    let Some(threshold) = rule.auto_link_score else {
        return Ok(None);
    };
    let (older, cases): (Vec<Match>, Vec<Case>) = ranked(state, &report, rule)
        .await?
        .into_iter()
        .filter(|(_, c)| (c.created_at, c.id) < (case.created_at, case.id))
        .unzip();
    let Some(master) = duplicates::auto_master(&report, &older, rule) else {
        return Ok(None);
    };
    let score = older.first().map_or(threshold, |m| m.score);
    let master_no = cases
        .iter()
        .find(|c| c.id == master)
        .map_or_else(|| master.to_string(), |c| c.case_no.clone());
    let system = crate::supervise::system_user(state).await?;
    let req: ActionRequest = serde_json::from_value(json!({
        "action": "link_duplicate",
        "expected_version": case.version,
        "master_case_id": master,
        "note": format!("系统自动合并：与案卷 {master_no} 疑似重复（相似度 {score:.2}）"),
    }))
    .map_err(|e| ApiError::Internal(format!("link request: {e}")))?;
    transition(state, &system, case.id, &req).await?;
    Ok(Some(master))
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use domain::area::AreaCode;
    use domain::org::{Caller, RoleGrant};
    use store::{Area, ConnectOptions, NewUser, Store};

    use super::*;
    use crate::auth::AuthVia;
    use crate::routes::create_report;

    #[test]
    fn auto_link_sources_are_the_public_channels() {
        // Device and inspector reports carry their own evidence and are never merged silently,
        // nor are the 周期案件 the system makes on schedule.
        for s in Source::ALL {
            assert_eq!(
                AUTO_LINK_SOURCES.contains(&s),
                !s.has_own_evidence() && s != Source::Cycle,
                "{s:?}"
            );
        }
    }

    #[test]
    fn rounding() {
        assert_eq!(round(0.93456, 3), 0.935);
        assert_eq!(round(12.34, 1), 12.3);
    }

    const LAT: f64 = 34.75;
    const LON: f64 = 113.61;

    fn t0() -> Timestamp {
        Timestamp::parse_rfc3339("2026-11-24T10:00:00+08:00").expect("time")
    }

    /// SQLite always; PostgreSQL when reachable (`YIWANG_REQUIRE_PG=1` makes its absence fail).
    async fn stores() -> Vec<(Store, Option<String>)> {
        let mut out = vec![(
            Store::open(&ConnectOptions::new("sqlite::memory:"))
                .await
                .expect("sqlite"),
            None,
        )];
        let url = std::env::var("YIWANG_TEST_PG_URL")
            .unwrap_or_else(|_| "postgres://root@127.0.0.1:5432/test".into());
        let schema = format!("u_autodup_{}", std::process::id());
        let mut opts = ConnectOptions::new(url.clone());
        opts.pg_schema = Some(schema.clone());
        opts.max_connections = 4;
        match Store::open(&opts).await {
            Ok(s) => out.push((s, Some(schema))),
            Err(e) => {
                assert!(
                    std::env::var("YIWANG_REQUIRE_PG").is_err(),
                    "PostgreSQL required but not reachable at {url}: {e}"
                );
                eprintln!("skipped: PostgreSQL not reachable at {url} ({e})");
            }
        }
        out
    }

    async fn person(state: &AppState, name: &str, role: Role) -> AuthUser {
        let grants = vec![RoleGrant {
            role,
            area: None,
            department_id: None,
        }];
        let id = state
            .store
            .create_user(
                &NewUser {
                    username: name.into(),
                    display_name: name.into(),
                    phone: None,
                    password_hash: "x".into(),
                    grants: grants.clone(),
                },
                t0(),
            )
            .await
            .expect("user");
        let found = state
            .store
            .user_with_roles(id)
            .await
            .expect("read")
            .expect("user");
        AuthUser {
            user: found.user,
            caller: Caller {
                user_id: id,
                grants,
            },
            via: AuthVia::Session,
        }
    }

    async fn report(
        state: &AppState,
        who: &AuthUser,
        source: &str,
        north_m: f64,
        text: &str,
    ) -> Case {
        let req = serde_json::from_value(json!({
            "source": source,
            "description": text,
            "area_code": "410102001001001",
            "lat": LAT + north_m / 111_195.0,
            "lon": LON,
            "class_code": "06010",
        }))
        .expect("request");
        create_report(state, who, req).await.expect("report")
    }

    #[tokio::test]
    async fn auto_link_merges_a_repeat_into_the_older_case_on_every_backend() {
        for (store, schema) in stores().await {
            crate::bootstrap::seed_defaults(&store, t0())
                .await
                .expect("seed");
            let areas: Vec<Area> = ["410102", "410102001", "410102001001", "410102001001001"]
                .iter()
                .map(|c| {
                    let code = AreaCode::parse(c).expect("code");
                    Area {
                        parent_code: code.parent(),
                        code,
                        name: (*c).into(),
                    }
                })
                .collect();
            store.upsert_areas(&areas, t0()).await.expect("areas");
            let clock = Arc::new(crate::clock::ManualClock::new(t0()));
            let state = AppState::with_parts(
                store.clone(),
                crate::ServerConfig::default(),
                clock.clone(),
                Arc::new(crate::bus::LocalBus::new(64)),
            );
            let citizen = person(&state, "citizen", Role::Citizen).await;
            let citizen2 = person(&state, "citizen2", Role::Citizen).await;
            let inspector = person(&state, "inspector", Role::Inspector).await;

            let first = report(&state, &citizen, "citizen_app", 0.0, "百花路口有成堆垃圾").await;
            assert_eq!(auto_link(&state, &first).await.expect("link"), None);
            clock.advance_minutes(10);
            let unrelated = report(&state, &citizen, "citizen_app", 5.0, "井盖丢失").await;
            assert_eq!(
                auto_link(&state, &unrelated).await.expect("link"),
                None,
                "offered, but below the threshold"
            );
            // Device/inspector channels are never merged silently.
            let insp = report(&state, &inspector, "inspector", -40.0, "百花路口有成堆垃圾").await;
            assert_eq!(auto_link(&state, &insp).await.expect("link"), None);

            let second = report(&state, &citizen2, "open311", 10.0, "百花路口有成堆垃圾！").await;
            assert_eq!(second.state, CaseState::Reported);
            assert_eq!(
                auto_link(&state, &second).await.expect("link"),
                Some(first.id)
            );
            let merged = state
                .store
                .get_case(second.id)
                .await
                .expect("get")
                .expect("case");
            assert_eq!(merged.state, CaseState::Merged);
            assert_eq!(merged.master_case_id, Some(first.id));
            let events = state.store.case_events(second.id).await.expect("events");
            let last = events.last().expect("event");
            assert_eq!(last.action, "link_duplicate");
            assert_eq!(
                Some(last.actor_id),
                state
                    .store
                    .user_by_username(crate::supervise::SYSTEM_USERNAME)
                    .await
                    .expect("read")
                    .map(|u| u.id)
            );
            // The second reporter now follows the master.
            let (_, followers) = state
                .store
                .case_with_followers(first.id)
                .await
                .expect("read")
                .expect("case");
            assert!(followers.contains(&citizen2.caller.user_id));
            assert!(visible_case(&state, &citizen2, first.id).await.is_ok());
            // Linked once: a second call changes nothing.
            assert_eq!(auto_link(&state, &merged).await.expect("link"), None);

            // Without automatic linking for the class, nothing is linked.
            let mut rules = DuplicateRules::default();
            rules.per_class.insert(
                "06010".into(),
                DuplicateRule {
                    auto_link_score: None,
                    ..DuplicateRule::default()
                },
            );
            state
                .store
                .put_duplicate_rules(&rules, t0())
                .await
                .expect("rules");
            // Written past the route: drop the node's cached rules as `PUT` does.
            state.rules.invalidate().await;
            let third = report(&state, &citizen2, "citizen_app", 1.0, "百花路口有成堆垃圾").await;
            assert_eq!(auto_link(&state, &third).await.expect("link"), None);
            if let Some(s) = schema {
                store.drop_schema(&s).await.expect("drop");
            }
        }
    }
}
