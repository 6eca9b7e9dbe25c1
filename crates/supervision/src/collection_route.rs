//! Collection routes 收运路线: each garbage truck's planned round over the collection points.
//!
//! A [`CollectionRoute`] assigns one truck an ordered list of collection points of one waste
//! category, the days it runs ([`RouteDays`]: every day, working days of the work calendar, or
//! a list of weekdays) and the minute of the local day by which the round must be done
//! ([`CollectionRoute::finish_by`]).
//!
//! # What a route changes in the collection rules
//!
//! [`crate::garbage::GarbageTracker::set_routes`] gives the tracker the routes. On a day a route
//! runs, each of its points must have a visit **by the route's truck** (or, with
//! [`CollectionRoute::any_truck`], by any truck of the route's category that day) arriving
//! before the finish time; otherwise [`RULE_ROUTE_MISSED`]`:<route id>` is raised on the point
//! ([`crate::alarm::SourceKind::CollectionPoint`]), naming the route and the truck, at most once
//! per route, point and day, and cleared by the next such visit. A point on at least one route
//! follows only its routes: on a day none of them runs it is not due. A point on no route keeps
//! the city-wide rule ([`crate::garbage::DueBy`], [`crate::garbage::RULE_MISSED`]).
//!
//! [`validate`] checks a route against the collection points (they exist, are not repeated,
//! and are of the route's category); whether the truck is a garbage truck is the registry's
//! business (the server checks it).

use std::collections::HashSet;

use chrono::Datelike;
use domain::calendar::WorkCalendar;
use domain::time::Timestamp;
use serde::{Deserialize, Serialize};

use crate::garbage::{CollectionPoint, WasteCategory};
use crate::sweeping::LocalDay;

/// Rule id prefix of a route point not collected by its truck in time; the full rule is
/// `garbage.route_missed:<route id>` (one alarm per route and point).
pub const RULE_ROUTE_MISSED: &str = "garbage.route_missed";

/// Most points on one route.
pub const MAX_ROUTE_POINTS: usize = 500;

/// The rule id of a route's missed points.
pub fn route_rule(route_id: &str) -> String {
    format!("{RULE_ROUTE_MISSED}:{route_id}")
}

/// The days a route runs.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum RouteDays {
    /// Every day.
    Daily,
    /// The working days of the work calendar (holidays off, 调休 working weekends on).
    WorkingDays,
    /// These weekdays, ISO numbers: 1 = Monday … 7 = Sunday.
    Weekdays {
        /// Distinct, 1..=7.
        days: Vec<u8>,
    },
}

impl RouteDays {
    /// Whether the route runs on `day` (working days per `calendar`).
    pub fn runs_on(&self, day: LocalDay, calendar: &WorkCalendar) -> bool {
        let date = day.start().to_shanghai().date();
        match self {
            RouteDays::Daily => true,
            RouteDays::WorkingDays => calendar.is_working_day(date),
            RouteDays::Weekdays { days } => {
                let n = date.weekday().number_from_monday();
                days.iter().any(|d| u32::from(*d) == n)
            }
        }
    }
}

/// A truck's collection route.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct CollectionRoute {
    /// Stable id.
    pub id: String,
    /// Name shown to people (e.g. 中原区厨余一号线).
    pub name: String,
    /// The truck ([`crate::vehicle::Fix::phone`] of its terminal).
    pub truck: String,
    /// The truck's plate, for messages.
    pub plate: Option<String>,
    /// The waste category collected.
    pub category: WasteCategory,
    /// Collection point ids, in the planned order.
    pub points: Vec<String>,
    /// The days it runs.
    pub days: RouteDays,
    /// Minute of the local day (1..=1440) by which every point must have been visited.
    pub finish_by: u32,
    /// A visit by any truck of the route's category counts, not only by the route's truck.
    pub any_truck: bool,
}

impl CollectionRoute {
    /// The instant on `day` by which the route must be done.
    pub fn finish_at(&self, day: LocalDay) -> Timestamp {
        Timestamp(day.start().0 + i64::from(self.finish_by.min(1440)) * 60_000)
    }
}

/// Why a route is refused.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum RouteError {
    /// A field is missing or out of range.
    #[error("{0}")]
    Invalid(String),
    /// A point id names no collection point.
    #[error("unknown collection point {0:?}")]
    UnknownPoint(String),
    /// A point collects another category than the route.
    #[error("collection point {point:?} collects {point_category}, the route {route_category}")]
    CategoryMismatch {
        point: String,
        point_category: &'static str,
        route_category: &'static str,
    },
}

/// Checks a route against the collection points: a name of 1–100 characters, 1–500 distinct
/// points that exist and collect the route's category, a finish minute in 1..=1440 and, for
/// weekdays, 1–7 distinct days in 1..=7.
///
/// # Errors
/// The first problem found.
pub fn validate(route: &CollectionRoute, points: &[CollectionPoint]) -> Result<(), RouteError> {
    let name = route.name.trim();
    if name.is_empty() || name.chars().count() > 100 {
        return Err(RouteError::Invalid("name: 1–100 characters".into()));
    }
    if route.points.is_empty() || route.points.len() > MAX_ROUTE_POINTS {
        return Err(RouteError::Invalid(format!(
            "points: 1–{MAX_ROUTE_POINTS} collection point ids"
        )));
    }
    if !(1..=1440).contains(&route.finish_by) {
        return Err(RouteError::Invalid(
            "finish_by: a time of day from 00:01 to 24:00".into(),
        ));
    }
    if let RouteDays::Weekdays { days } = &route.days {
        let distinct: HashSet<u8> = days.iter().copied().collect();
        if days.is_empty()
            || distinct.len() != days.len()
            || days.iter().any(|d| !(1..=7).contains(d))
        {
            return Err(RouteError::Invalid(
                "days.days: distinct weekdays 1 (Monday) … 7 (Sunday), at least one".into(),
            ));
        }
    }
    let mut seen = HashSet::new();
    for id in &route.points {
        if !seen.insert(id.as_str()) {
            return Err(RouteError::Invalid(format!(
                "points: {id:?} is listed twice"
            )));
        }
        let p = points
            .iter()
            .find(|p| &p.id == id)
            .ok_or_else(|| RouteError::UnknownPoint(id.clone()))?;
        if p.category != route.category {
            return Err(RouteError::CategoryMismatch {
                point: id.clone(),
                point_category: p.category.as_str(),
                route_category: route.category.as_str(),
            });
        }
    }
    Ok(())
}

/// One planned point of a route on a day.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct RoutePointDay {
    /// Position in the route, from 1.
    pub seq: usize,
    /// Point id.
    pub id: String,
    /// Point name (empty when the point is gone from the directory).
    pub name: String,
    /// A qualifying visit arrived on the day (in time or late).
    pub visited: bool,
    /// The first qualifying arrival.
    pub arrived: Option<Timestamp>,
    /// The truck of that visit.
    pub by: Option<String>,
    /// The first qualifying arrival came after the finish time.
    pub late: bool,
    /// The finish time passed (as of the report) without a qualifying arrival before it.
    pub missed: bool,
}

/// One route on a day (see [`crate::garbage::GarbageTracker::route_daily`]).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct RouteDaily {
    /// Route id.
    pub id: String,
    /// Route name.
    pub name: String,
    /// The route's truck.
    pub truck: String,
    /// Its plate.
    pub plate: Option<String>,
    /// The category.
    pub category: WasteCategory,
    /// Any truck of the category counts.
    pub any_truck: bool,
    /// The route runs on the day.
    pub runs: bool,
    /// When it had to be done (when it runs).
    pub finish_at: Option<Timestamp>,
    /// Points planned (0 when it does not run).
    pub planned: usize,
    /// Of them visited by a qualifying truck.
    pub visited: usize,
    /// Of them missed.
    pub missed: usize,
    /// When the round was done: the latest first qualifying arrival, once every point had one.
    pub finished_at: Option<Timestamp>,
    /// Every point visited before the finish time; `None` while undecided or not running.
    pub on_time: Option<bool>,
    /// The points, in route order.
    pub points: Vec<RoutePointDay>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use grid::Point;

    fn pts() -> Vec<CollectionPoint> {
        vec![
            CollectionPoint {
                id: "K1".into(),
                name: "k1".into(),
                category: WasteCategory::Kitchen,
                position: Point::new(113.6, 34.7),
            },
            CollectionPoint {
                id: "O1".into(),
                name: "o1".into(),
                category: WasteCategory::Other,
                position: Point::new(113.6, 34.71),
            },
        ]
    }

    fn route() -> CollectionRoute {
        CollectionRoute {
            id: "R1".into(),
            name: "厨余一号线".into(),
            truck: "13800000001".into(),
            plate: None,
            category: WasteCategory::Kitchen,
            points: vec!["K1".into()],
            days: RouteDays::Daily,
            finish_by: 540,
            any_truck: false,
        }
    }

    #[test]
    fn validation_names_the_first_problem() {
        assert_eq!(validate(&route(), &pts()), Ok(()));
        let mut r = route();
        r.points.push("O1".into());
        assert!(matches!(
            validate(&r, &pts()),
            Err(RouteError::CategoryMismatch { .. })
        ));
        r.points = vec!["K9".into()];
        assert_eq!(
            validate(&r, &pts()),
            Err(RouteError::UnknownPoint("K9".into()))
        );
        r.points = vec!["K1".into(), "K1".into()];
        assert!(matches!(validate(&r, &pts()), Err(RouteError::Invalid(_))));
        let mut r = route();
        r.finish_by = 0;
        assert!(matches!(validate(&r, &pts()), Err(RouteError::Invalid(_))));
        r.finish_by = 1440;
        r.days = RouteDays::Weekdays { days: vec![1, 8] };
        assert!(matches!(validate(&r, &pts()), Err(RouteError::Invalid(_))));
        r.days = RouteDays::Weekdays { days: vec![] };
        assert!(matches!(validate(&r, &pts()), Err(RouteError::Invalid(_))));
        r.days = RouteDays::Weekdays { days: vec![6, 7] };
        assert_eq!(validate(&r, &pts()), Ok(()));
        r.name = "  ".into();
        assert!(matches!(validate(&r, &pts()), Err(RouteError::Invalid(_))));
    }

    #[test]
    fn days_follow_weekdays_and_the_work_calendar() {
        let cal = WorkCalendar::builtin();
        // 2026-11-24 is a Tuesday; 2026-11-28 a Saturday; 2026-10-01 国庆节 (a Thursday).
        let day = |s: &str| {
            LocalDay::of(Timestamp::parse_rfc3339(&format!("{s}T12:00:00+08:00")).expect("t"))
        };
        let wd = RouteDays::WorkingDays;
        assert!(wd.runs_on(day("2026-11-24"), &cal));
        assert!(!wd.runs_on(day("2026-11-28"), &cal));
        assert!(!wd.runs_on(day("2026-10-01"), &cal));
        let sat = RouteDays::Weekdays { days: vec![6] };
        assert!(sat.runs_on(day("2026-11-28"), &cal));
        assert!(!sat.runs_on(day("2026-11-24"), &cal));
        assert!(RouteDays::Daily.runs_on(day("2026-10-01"), &cal));
    }
}
