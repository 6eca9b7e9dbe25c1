//! The `duplicates` section of the OpenAPI document: the likely duplicates of a case and the
//! duplicate finder's rules. A child module of [`super`] (`openapi.rs`), using its builders.

use serde_json::{Value, json};

use super::{ADMIN, AUTH, JSON_BODY, Op, STAFF, arr, closed, int64, object, r, string_enum};
use crate::routes::duplicates::{AUTO_LINK_SOURCES, FINDERS, MAX_LISTED, REASONS};
use domain::duplicates::{
    RADIUS_RANGE_M, WEIGHT_DISTANCE, WEIGHT_TEXT, WEIGHT_TIME, WINDOW_RANGE_MIN,
};

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
    vec![
        ("DuplicateRule", rule),
        ("DuplicateRules", rules),
        ("DuplicateCandidates", list),
    ]
}
