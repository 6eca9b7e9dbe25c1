//! The collection routes 收运路线 of the `supervision` section of the OpenAPI document:
//! `/api/sanitation/routes` and the per-route daily report. A child module of [`super`]
//! (`openapi.rs`), using its builders.

use serde_json::{Value, json};

use super::{
    AUTH, JSON_BODY, Op, STAFF, arr, boolean, closed, date_time, int64, nullable, object, r,
    string, string_enum,
};
use crate::routes::collection_routes::ROUTE_WRITERS;

const CATEGORIES: [&str; 4] = ["kitchen", "other", "recyclable", "hazardous"];

/// Failures of checking a route (POST and PUT).
const ROUTE_CHECKS: &[&str] = &[
    "missing_field",
    "invalid_id",
    "invalid_route",
    "unknown_category",
    "unknown_vehicle",
    "not_garbage_truck",
    "category_mismatch",
    "unknown_point",
];

fn rules_doc() -> &'static str {
    "A route assigns one garbage truck (kind `garbage_truck`) an ordered list of collection \
     points of one waste category, the days it runs and the time of day by which the round must \
     be done. On a day it runs, each of its points must be visited by the route's truck (with \
     `any_truck`, by any truck of the category) before `finish_by`; otherwise the rules raise \
     `garbage.route_missed:<route_id>` on the point (source kind `collection_point`, level \
     notice, no case), naming the route and the truck, once per route, point and day, cleared by \
     the next such visit. A point on a route follows only its routes (not due on a day none of \
     them runs); points on no route keep the city-wide rule (kitchen waste by 10:00, other \
     waste by 24:00). Checked: a garbage truck whose category (read from its `company`), if \
     any, is the route's; 1–500 distinct points that exist and collect the route's category; \
     `days` one of `{\"kind\":\"daily\"}`, `{\"kind\":\"working_days\"}` (the work calendar, \
     holidays and 调休 included) or `{\"kind\":\"weekdays\",\"days\":[1,…]}` (1 = Monday); \
     `finish_by` `HH:MM` from `00:01` to `24:00`. Admins and handlers of a sanitation \
     department 环卫 write; the device supervisors of every node reload at once."
}

fn route_id(op: Op) -> Op {
    op.path_param("id", json!({ "type": "string" }), "Route id.")
}

/// The operations.
pub(super) fn route_ops() -> Vec<Op> {
    vec![
        Op::get(
            "/api/sanitation/routes",
            "listCollectionRoutes",
            "Collection routes (收运路线)",
        )
        .roles(STAFF)
        .doc(rules_doc())
        .ok(200, "Every route, by id.", r("CollectionRouteList"))
        .errors(AUTH),
        Op::post(
            "/api/sanitation/routes",
            "createCollectionRoute",
            "Add a collection route",
        )
        .roles(ROUTE_WRITERS)
        .doc(rules_doc())
        .json_body(r("CollectionRouteInput"), "The route (`route_id` required).")
        .ok(201, "Stored.", r("CollectionRoute"))
        .errors(AUTH)
        .errors(JSON_BODY)
        .errors(ROUTE_CHECKS)
        .errors(&["route_exists"]),
        route_id(Op::get(
            "/api/sanitation/routes/{id}",
            "getCollectionRoute",
            "One collection route",
        ))
        .roles(STAFF)
        .ok(200, "The route.", r("CollectionRoute"))
        .errors(AUTH)
        .errors(&["not_found"]),
        route_id(Op::put(
            "/api/sanitation/routes/{id}",
            "updateCollectionRoute",
            "Change a collection route",
        ))
        .roles(ROUTE_WRITERS)
        .doc("Replaces the route's settings (a `route_id` in the body must be the path's).")
        .json_body(r("CollectionRouteInput"), "The route.")
        .ok(200, "Stored.", r("CollectionRoute"))
        .errors(AUTH)
        .errors(JSON_BODY)
        .errors(ROUTE_CHECKS)
        .errors(&["not_found"]),
        route_id(Op::new(
            "delete",
            "/api/sanitation/routes/{id}",
            "deleteCollectionRoute",
            "Remove a collection route",
        ))
        .roles(ROUTE_WRITERS)
        .doc("Its points fall back to the city-wide rule unless on another route; its open alarms stay until cleared.")
        .empty(204, "Removed.")
        .errors(AUTH)
        .errors(&["not_found"]),
        Op::get(
            "/api/sanitation/route-report",
            "getCollectionRouteReport",
            "Collection routes of a day (收运路线日报)",
        )
        .query(
            "day",
            false,
            json!({ "type": "string", "format": "date" }),
            "Local day (Asia/Shanghai), `YYYY-MM-DD`; default today. Not a date: 422 `invalid_query`.",
        )
        .roles(STAFF)
        .doc(
            "Each route on the day, from the stored garbage-truck tracks (visits as in \
             `GET /api/garbage/collection`): whether it runs, its finish time, the points \
             planned, visited by a qualifying truck and missed, when the round was done (the \
             last first-arrival, once every point had one) and whether on time; per point the \
             first qualifying visit. Cached per node like the collection report.",
        )
        .ok(200, "The day's routes.", r("CollectionRouteReport"))
        .errors(AUTH)
        .errors(&["bad_request", "invalid_query"]),
    ]
}

/// The schemas, as `(name, schema)`.
pub(super) fn route_schemas() -> Vec<(&'static str, Value)> {
    let category = string_enum(CATEGORIES, "Waste category.");
    let days = json!({
        "type": "object",
        "description": "`{\"kind\":\"daily\"}`, `{\"kind\":\"working_days\"}` or `{\"kind\":\"weekdays\",\"days\":[1,…,7]}` (1 = Monday).",
        "properties": {
            "kind": { "type": "string", "enum": ["daily", "working_days", "weekdays"] },
            "days": { "type": "array", "items": { "type": "integer", "minimum": 1, "maximum": 7 } },
        },
        "required": ["kind"],
    });
    let finish = json!({ "type": "string", "pattern": "^[0-2][0-9]:[0-5][0-9]$", "description": "Local time `HH:MM`, `00:01`–`24:00`." });
    let route = object(
        vec![
            ("route_id", string("")),
            ("name", string("")),
            ("vehicle_id", int64("The garbage truck.")),
            ("plate", nullable(string("Its plate."))),
            ("category", category.clone()),
            (
                "points",
                arr(string("Collection point id, in route order.")),
            ),
            ("days", days.clone()),
            ("finish_by", finish.clone()),
            (
                "any_truck",
                boolean("A visit by any truck of the category counts."),
            ),
            ("created_at", date_time("")),
            ("updated_at", date_time("")),
        ],
        &[
            "route_id",
            "name",
            "vehicle_id",
            "plate",
            "category",
            "points",
            "days",
            "finish_by",
            "any_truck",
            "created_at",
            "updated_at",
        ],
    );
    let input = closed(
        vec![
            (
                "route_id",
                string("1–64 ASCII letters, digits, `-`, `_`, `.` or `:`; required on POST."),
            ),
            ("name", string("1–100 characters.")),
            ("vehicle_id", int64("A garbage truck.")),
            ("category", category.clone()),
            (
                "points",
                arr(string(
                    "Collection point id (1–500, distinct, of the category).",
                )),
            ),
            ("days", days),
            ("finish_by", finish),
            ("any_truck", json!({ "type": "boolean", "default": false })),
        ],
        &[
            "name",
            "vehicle_id",
            "category",
            "points",
            "days",
            "finish_by",
        ],
    );
    let ts = |d: &str| nullable(date_time(d));
    let point = object(
        vec![
            (
                "seq",
                json!({ "type": "integer", "description": "Position in the route, from 1." }),
            ),
            ("id", string("Collection point id.")),
            ("name", string("")),
            ("visited", boolean("A qualifying visit arrived on the day.")),
            ("arrived", ts("The first qualifying arrival.")),
            (
                "by",
                nullable(string("Its truck (terminal phone or `#<vehicle id>`).")),
            ),
            ("by_plate", nullable(string(""))),
            (
                "late",
                boolean("The first qualifying arrival came after the finish time."),
            ),
            (
                "missed",
                boolean("The finish time passed without a qualifying arrival before it."),
            ),
        ],
        &[
            "seq", "id", "name", "visited", "arrived", "by", "by_plate", "late", "missed",
        ],
    );
    let count = |d: &str| json!({ "type": "integer", "description": d });
    let day_row = object(
        vec![
            ("id", string("Route id.")),
            ("name", string("")),
            (
                "truck",
                string("Terminal phone of the route's truck, or `#<vehicle id>`."),
            ),
            ("vehicle_id", nullable(int64(""))),
            ("plate", nullable(string(""))),
            ("category", category),
            ("any_truck", boolean("")),
            ("runs", boolean("The route runs on the day.")),
            (
                "finish_at",
                ts("When the round had to be done (when it runs)."),
            ),
            ("planned", count("Points planned (0 when it does not run).")),
            ("visited", count("Of them visited by a qualifying truck.")),
            ("missed", count("Of them missed.")),
            (
                "finished_at",
                ts("The last first-arrival, once every point had one."),
            ),
            (
                "on_time",
                nullable(boolean(
                    "Every point visited before the finish time; null while undecided or not running.",
                )),
            ),
            ("points", arr(point)),
        ],
        &[
            "id",
            "name",
            "truck",
            "vehicle_id",
            "plate",
            "category",
            "any_truck",
            "runs",
            "finish_at",
            "planned",
            "visited",
            "missed",
            "finished_at",
            "on_time",
            "points",
        ],
    );
    vec![
        ("CollectionRoute", route.clone()),
        ("CollectionRouteInput", input),
        (
            "CollectionRouteList",
            object(vec![("items", arr(route))], &["items"]),
        ),
        (
            "CollectionRouteReport",
            object(
                vec![
                    ("date", json!({ "type": "string", "format": "date" })),
                    (
                        "computed_at",
                        date_time("When this report was computed (cached per node)."),
                    ),
                    ("routes", arr(day_row)),
                ],
                &["date", "computed_at", "routes"],
            ),
        ),
    ]
}
