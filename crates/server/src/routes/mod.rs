//! The API's routes, one module per resource.

mod admin;
pub(crate) mod alarms;
pub mod assessment;
pub(crate) mod attachments;
pub(crate) mod cameras;
mod cases;
pub(crate) mod citizens;
mod city;
pub mod collection_routes;
mod devices;
pub(crate) mod duplicates;
mod escalation;
pub mod open311;
pub mod permits;
pub mod sanitation;
pub(crate) mod sensors;
mod session;
pub(crate) mod volunteers;
mod webhooks;

use axum::Router;
use axum::routing::{get, post, put};
use domain::org::Role;

use crate::auth::AuthUser;
use crate::error::ApiError;
use crate::{AppState, ServerConfig};

pub(crate) use cases::create_report;
pub(crate) use cases::dto as case_dto;
pub(crate) use cases::{BREAKDOWN_DEFAULT_TOP, BREAKDOWN_MAX_TOP};
pub use cases::{available_actions, transition};

pub fn router(config: &ServerConfig) -> Router<AppState> {
    Router::new()
        .route("/api/health", get(session::health))
        .route("/api/meta", get(session::meta))
        .route("/api/auth/login", post(session::login))
        .route("/api/auth/logout", post(session::logout))
        .route("/api/me", get(session::me))
        .route("/api/cases", get(cases::list).post(cases::report))
        .route("/api/cases/{id}", get(cases::detail))
        .route("/api/cases/{id}/events", get(cases::events))
        .route("/api/cases/{id}/actions", post(cases::act))
        .route("/api/queues", get(cases::queues))
        .route("/api/stats/summary", get(cases::summary))
        .route("/api/stats/breakdown", get(cases::breakdown))
        .route(
            "/api/areas",
            get(admin::list_areas).post(admin::upsert_areas),
        )
        .route("/api/areas/{code}", get(admin::get_area))
        .route(
            "/api/departments",
            get(admin::list_departments).post(admin::create_department),
        )
        .route(
            "/api/users",
            get(admin::list_users).post(admin::create_user),
        )
        .route("/api/users/{id}/grants", put(admin::set_grants))
        .route("/api/inspectors", get(admin::inspectors))
        .route("/api/api-keys", post(admin::create_api_key))
        .route("/api/taxonomy", get(admin::list_classes))
        .route(
            "/api/taxonomy/{kind}/{code}",
            get(admin::get_class).put(admin::update_class),
        )
        .route(
            "/api/config/node-limits",
            get(admin::get_node_limits).put(admin::put_node_limits),
        )
        .route(
            "/api/config/work-schedule",
            get(admin::get_work_schedule).put(admin::put_work_schedule),
        )
        .route("/api/calendar/special-days", get(admin::special_days))
        .route(
            "/api/calendar/special-days/{year}",
            put(admin::put_special_days),
        )
        .route("/api/calendar/deadline", get(admin::deadline))
        .merge(assessment::router())
        .merge(citizens::router())
        .merge(attachments::router(config))
        .merge(city::router())
        .merge(devices::router())
        .merge(duplicates::router())
        .merge(alarms::router())
        .merge(open311::router(config))
        .merge(permits::router())
        .merge(sensors::router())
        .merge(cameras::router(config))
        .merge(sanitation::router())
        .merge(collection_routes::router())
        .merge(volunteers::router())
        .merge(webhooks::router())
        .merge(escalation::router())
}

/// Staff: every role that works inside the bureau (all but citizens and volunteers). They see
/// devices and may export asset layers.
pub(crate) const STAFF: &[Role] = &[
    Role::Admin,
    Role::Leader,
    Role::Operator,
    Role::ShiftSupervisor,
    Role::Dispatcher,
    Role::DepartmentHandler,
    Role::Inspector,
    Role::RoadChief,
];

/// Refuses unless the caller holds one of `roles` (any scope).
pub(crate) fn require_any(auth: &AuthUser, roles: &[Role]) -> Result<(), ApiError> {
    if roles.iter().any(|r| auth.caller.has_role(*r)) {
        Ok(())
    } else {
        let names: Vec<&str> = roles.iter().map(|r| r.as_str()).collect();
        Err(ApiError::Forbidden(format!(
            "this needs the role {}",
            names.join(" or ")
        )))
    }
}
