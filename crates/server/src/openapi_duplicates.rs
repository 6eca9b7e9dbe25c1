//! The `duplicates` section of the OpenAPI document: the likely duplicates of a case and the
//! duplicate finder's rules. A child module of [`super`] (`openapi.rs`), using its builders.

use serde_json::{Value, json};

use super::{
    ADMIN, AUTH, JSON_BODY, Op, STAFF, arr, closed, int64, object, r, string, string_enum,
};
use crate::routes::duplicates::{
    AUTO_LINK_SOURCES, FINDERS, MAX_INTAKE_DESCRIPTION, MAX_LISTED, REASONS,
};
use domain::duplicates::{
    RADIUS_RANGE_M, WEIGHT_DISTANCE, WEIGHT_TEXT, WEIGHT_TIME, WINDOW_RANGE_MIN,
};
use grid::address::MAX_ADDRESS_CHARS;

fn number(description: &str, min: f64, max: Option<f64>) -> Value {
    let mut s = json!({ "type": "number", "description": description, "minimum": min });
    if let Some(max) = max {
        s["maximum"] = json!(max);
    }
    s
}

/// The operations of the `duplicates` tag.
pub(super) fn duplicate_ops() -> Vec<Op> {
    let sources: Vec<&str> = AUTO_LINK_SOURCES.iter().map(|s| s.as_str()).collect();
    vec![
        Op::get(
            "/api/cases/{id}/duplicates",
            "listCaseDuplicates",
            "Likely duplicates of a case (疑似重复案件)",
        )
        .path_param("id", int64(""), "Case id.")
        .roles(FINDERS)
        .doc(format!(
            "Open cases (not terminal, not merged) of the same class within the class's radius \
             and time window of this case, best first, at most {MAX_LISTED}, only those the \
             caller may see. The score (0–1) weighs nearness ({WEIGHT_DISTANCE}), time apart \
             ({WEIGHT_TIME}) and the similarity of the descriptions ({WEIGHT_TEXT}, character \
             bigrams). Confirm one with the `link_duplicate` action. A case without class or \
             point, or a terminal one, lists nothing and says why in `reason`. Reports from \
             {} are linked automatically on intake when the best candidate reaches the class's \
             `auto_link_score`. Cases outside the caller's scope are 404.",
            sources.join(", ")
        ))
        .ok(200, "The candidates.", r("DuplicateCandidates"))
        .errors(AUTH)
        .errors(&["bad_request", "not_found"]),
        Op::get(
            "/api/duplicates/candidates",
            "intakeDuplicates",
            "Likely duplicates of an intake not filed yet (疑似重复：受理前查重)",
        )
        .query("class_code", true, string(""), "Matter or component class code, e.g. `06010`.")
        .query("lat", false, number("", -90.0, Some(90.0)), "Latitude, WGS-84 degrees (with `lon`).")
        .query("lon", false, number("", -180.0, Some(180.0)), "Longitude, WGS-84 degrees (with `lat`).")
        .query(
            "address",
            false,
            json!({ "type": "string", "maxLength": MAX_ADDRESS_CHARS }),
            "Without a point: the address text, placed by the gazetteer as a report's.",
        )
        .query(
            "description",
            false,
            json!({ "type": "string", "maxLength": MAX_INTAKE_DESCRIPTION }),
            "What the caller said, compared with the candidates' descriptions.",
        )
        .query(
            "source",
            false,
            string("The channel it will be filed through (default `hotline_12319`)."),
            "Only reports from public channels are linked automatically.",
        )
        .roles(FINDERS)
        .doc(format!(
            "For an operator taking a call (12319, a forwarded 12345 ticket, Weibo, the \
             mailbox) before filing: the open cases of the class the intake likely repeats, as \
             `GET /api/cases/{{id}}/duplicates` scores them for a case filed now (same class, \
             within the class's radius and window, best first, at most {MAX_LISTED}, only those \
             the caller may see), with each one's age. `auto_link` marks the candidate that \
             filing it through a public channel ({}) would link to automatically (the best \
             candidate reaching the class's `auto_link_score`). The point is `lat`/`lon`, else \
             the `address` (422 `ambiguous_address` or `address_not_found` when it cannot be \
             placed); neither is 422 `missing_field`.",
            sources.join(", ")
        ))
        .ok(200, "The candidates and the point used.", r("IntakeDuplicates"))
        .errors(AUTH)
        .errors(&[
            "bad_request",
            "missing_field",
            "too_long",
            "unknown_source",
            "invalid_point",
            "unknown_class",
            "ambiguous_address",
            "address_not_found",
        ]),
        Op::get(
            "/api/duplicate-rules",
            "getDuplicateRules",
            "Duplicate finder rules (重复案件识别规则)",
        )
        .roles(STAFF)
        .doc("The default rule and the per-class overrides (the defaults until an admin saves some).")
        .ok(200, "The rules.", r("DuplicateRules"))
        .errors(AUTH),
        Op::put(
            "/api/duplicate-rules",
            "putDuplicateRules",
            "Set duplicate finder rules (重复案件识别规则)",
        )
        .roles(ADMIN)
        .doc(
            "Replaces the default rule and every override. Each override names a class code of \
             the taxonomy.",
        )
        .json_body(r("DuplicateRules"), "The rules.")
        .ok(200, "The rules as saved.", r("DuplicateRules"))
        .errors(AUTH)
        .errors(JSON_BODY)
        .errors(&["invalid", "unknown_class"]),
    ]
}

/// The schemas of the `duplicates` tag.
pub(super) fn duplicate_schemas() -> Vec<(&'static str, Value)> {
    let rule = closed(
        vec![
            (
                "radius_m",
                number(
                    "Only cases within this distance, metres.",
                    *RADIUS_RANGE_M.start(),
                    Some(*RADIUS_RANGE_M.end()),
                ),
            ),
            (
                "window_minutes",
                json!({
                    "type": "integer", "format": "int64",
                    "minimum": WINDOW_RANGE_MIN.start(), "maximum": WINDOW_RANGE_MIN.end(),
                    "description": "Only cases created within this many minutes of the case (before or after).",
                }),
            ),
            (
                "auto_link_score",
                json!({
                    "anyOf": [number("", 0.0, Some(1.0)), { "type": "null" }],
                    "description": "Link a fresh public report automatically when its best candidate scores at least this; null: never.",
                }),
            ),
        ],
        &["radius_m", "window_minutes"],
    );
    let rules = closed(
        vec![
            ("default", r("DuplicateRule")),
            (
                "per_class",
                json!({
                    "type": "object",
                    "additionalProperties": r("DuplicateRule"),
                    "description": "Overrides by class code (e.g. `06010`).",
                }),
            ),
        ],
        &["default"],
    );
    let candidate = object(
        vec![
            ("case", r("Case")),
            (
                "score",
                number("How likely the same problem, 0–1.", 0.0, Some(1.0)),
            ),
            (
                "distance_m",
                number("Metres between the points.", 0.0, None),
            ),
        ],
        &["case", "score", "distance_m"],
    );
    let list = object(
        vec![
            ("candidates", arr(candidate)),
            ("rule", r("DuplicateRule")),
            (
                "reason",
                json!({
                    "anyOf": [string_enum(REASONS, ""), { "type": "null" }],
                    "description": "Why nothing was looked for: the case has no class, no point, or is terminal; null when it was.",
                }),
            ),
        ],
        &["candidates", "rule", "reason"],
    );
    let intake_candidate = object(
        vec![
            ("case", r("Case")),
            (
                "score",
                number("How likely the same problem, 0–1.", 0.0, Some(1.0)),
            ),
            (
                "distance_m",
                number("Metres between the points.", 0.0, None),
            ),
            (
                "age_minutes",
                json!({ "type": "integer", "minimum": 0, "description": "Minutes since the case was reported." }),
            ),
            (
                "auto_link",
                json!({ "type": "boolean", "description": "Filing the intake would link it to this case automatically." }),
            ),
        ],
        &["case", "score", "distance_m", "age_minutes", "auto_link"],
    );
    let intake = object(
        vec![
            ("candidates", arr(intake_candidate)),
            ("rule", r("DuplicateRule")),
            (
                "lat",
                json!({ "type": "number", "description": "The point used (placed from the address when none was given)." }),
            ),
            ("lon", json!({ "type": "number" })),
        ],
        &["candidates", "rule", "lat", "lon"],
    );
    vec![
        ("DuplicateRule", rule),
        ("DuplicateRules", rules),
        ("DuplicateCandidates", list),
        ("IntakeDuplicates", intake),
    ]
}
