//! The `volunteers` section of the OpenAPI document: volunteers 志愿者 and honorary road chiefs
//! 名誉路长 — registration, the list, counts per service project and leaving. A child module of
//! [`super`] (`openapi.rs`), using its builders.

use domain::volunteer::VolunteerProject;
use serde_json::{Value, json};

use super::{AUTH, JSON_BODY, Op, arr, closed, id_param, int64, object, r, string, string_enum};
use crate::routes::volunteers::{MAX_ORGANISATION_CHARS, READERS};

fn projects() -> Vec<&'static str> {
    VolunteerProject::ALL.iter().map(|p| p.as_str()).collect()
}

fn project_doc() -> String {
    let list: Vec<String> = VolunteerProject::ALL
        .iter()
        .map(|p| format!("`{}` {}", p.as_str(), p.label_zh()))
        .collect();
    format!("The service project 志愿服务项目: {}.", list.join(", "))
}

/// The operations of the `volunteers` tag.
pub(super) fn volunteer_ops() -> Vec<Op> {
    vec![
        Op::post(
            "/api/volunteers",
            "registerVolunteer",
            "Register as a volunteer (志愿者注册)",
        )
        .doc(
            "A signed-in citizen registers themselves for one of the eleven service projects \
             and is granted the volunteer role at once: their next report may use the \
             `volunteer` channel (an inspector verifies it on site before it is filed). Sending \
             it again changes the registration (and brings back a volunteer who left). An admin \
             registers any user (`user_id`) and alone names honorary road chiefs 名誉路长 \
             (`honorary`); a staff account registering itself, or a citizen naming someone else \
             or claiming `honorary`, gets 403.",
        )
        .json_body(r("VolunteerInput"), "The registration.")
        .ok(200, "Registered.", r("VolunteerResult"))
        .errors(AUTH)
        .errors(JSON_BODY)
        .errors(&[
            "unknown_project",
            "invalid_area_code",
            "unknown_area",
            "unknown_road",
            "too_long",
            "not_found",
        ]),
        Op::get(
            "/api/volunteers",
            "listVolunteers",
            "Volunteers (志愿者名册)",
        )
        .roles(READERS)
        .doc(
            "Volunteers, newest registration first, with the reports each made through the \
                 volunteer channel. Phones are masked unless the caller may see reporters' \
                 contacts.",
        )
        .query("project", false, string_enum(projects(), ""), "")
        .query(
            "area_code",
            false,
            string("The area served, or any area inside it."),
            "",
        )
        .query("road_id", false, string(""), "")
        .query(
            "include_left",
            false,
            json!({ "type": "boolean", "default": false }),
            "Also volunteers who left.",
        )
        .query(
            "limit",
            false,
            json!({ "type": "integer", "minimum": 1, "maximum": 1000, "default": 200 }),
            "",
        )
        .ok(200, "The volunteers.", r("Volunteers"))
        .errors(AUTH)
        .errors(&["bad_request", "unknown_project", "invalid_area_code"]),
        Op::get(
            "/api/volunteers/summary",
            "volunteerSummary",
            "Volunteers per project (志愿服务统计)",
        )
        .roles(READERS)
        .doc(
            "All eleven projects, zeros included: active volunteers (and honorary road chiefs \
             among them), and the reports through the volunteer channel created in the period \
             by volunteers of the project — how many were confirmed on site 核实属实, filed 立案 \
             and closed 结案. `unregistered_reports` are volunteer-channel reports whose \
             reporter never registered a project. The period is `from`..`to` (days, \
             Asia/Shanghai, both inclusive), the current month by default.",
        )
        .query(
            "from",
            false,
            json!({ "type": "string", "format": "date" }),
            "",
        )
        .query(
            "to",
            false,
            json!({ "type": "string", "format": "date" }),
            "",
        )
        .ok(200, "The counts.", r("VolunteerSummary"))
        .errors(AUTH)
        .errors(&["bad_request", "invalid_period"]),
        id_param(
            Op::new(
                "delete",
                "/api/volunteers/{id}",
                "deregisterVolunteer",
                "Leave the volunteers (退出志愿者)",
            ),
            "The volunteer's user id.",
        )
        .doc(
            "The volunteer leaves (themselves, or taken off by an admin): the volunteer role is \
             taken away (an account left with no role becomes a citizen); the registration is \
             kept, so earlier reports still count for the project.",
        )
        .empty(204, "Left.")
        .errors(AUTH)
        .errors(&["bad_request", "not_found"]),
    ]
}

/// The schemas of the `volunteers` tag.
pub(super) fn volunteer_schemas() -> Vec<(&'static str, Value)> {
    let nullable_text = json!({ "type": ["string", "null"] });
    let input = closed(
        vec![
            (
                "user_id",
                int64("Whom to register (admins only); the caller when absent."),
            ),
            ("project", string_enum(projects(), &project_doc())),
            (
                "organisation",
                json!({ "type": ["string", "null"], "maxLength": MAX_ORGANISATION_CHARS,
                        "description": "The organisation or team they volunteer with." }),
            ),
            (
                "area_code",
                json!({ "type": ["string", "null"], "description": "The area they serve." }),
            ),
            (
                "road_id",
                json!({ "type": ["string", "null"], "description": "The road they look after (a road of the city model)." }),
            ),
            (
                "honorary",
                json!({ "type": "boolean", "default": false, "description": "名誉路长 (admins only)." }),
            ),
        ],
        &["project"],
    );
    let volunteer = object(
        vec![
            ("user_id", int64("")),
            ("username", string("")),
            ("display_name", string("")),
            (
                "phone",
                json!({ "type": ["string", "null"], "description": "Masked (`137****0001`) unless the caller may see contacts or it is their own." }),
            ),
            ("project", string_enum(projects(), "")),
            ("project_label", string("The project's Chinese name.")),
            ("organisation", nullable_text.clone()),
            ("area_code", nullable_text.clone()),
            ("road_id", nullable_text.clone()),
            ("road_name", nullable_text.clone()),
            ("honorary", json!({ "type": "boolean" })),
            (
                "registered_at",
                json!({ "type": "string", "format": "date-time" }),
            ),
            (
                "updated_at",
                json!({ "type": "string", "format": "date-time" }),
            ),
            (
                "left_at",
                json!({ "type": ["string", "null"], "format": "date-time" }),
            ),
            (
                "reports",
                int64("Reports they made through the volunteer channel, ever."),
            ),
        ],
        &[
            "user_id",
            "username",
            "display_name",
            "phone",
            "project",
            "project_label",
            "organisation",
            "area_code",
            "road_id",
            "road_name",
            "honorary",
            "registered_at",
            "updated_at",
            "left_at",
            "reports",
        ],
    );
    let result = object(vec![("volunteer", r("Volunteer"))], &["volunteer"]);
    let list = object(vec![("volunteers", arr(r("Volunteer")))], &["volunteers"]);
    let count = object(
        vec![
            ("project", string_enum(projects(), "")),
            ("label", string("The project's Chinese name.")),
            ("volunteers", int64("Active volunteers.")),
            ("honorary", int64("Of them honorary road chiefs 名誉路长.")),
            ("reports", int64("Reports in the period.")),
            ("verified", int64("Of them confirmed on site 核实属实.")),
            ("filed", int64("Of them filed 立案.")),
            ("closed", int64("Of them closed 结案.")),
        ],
        &[
            "project",
            "label",
            "volunteers",
            "honorary",
            "reports",
            "verified",
            "filed",
            "closed",
        ],
    );
    let summary = object(
        vec![
            ("from", json!({ "type": "string", "format": "date" })),
            ("to", json!({ "type": "string", "format": "date" })),
            ("volunteers", int64("Active volunteers.")),
            (
                "reports",
                int64("Every volunteer-channel report in the period."),
            ),
            (
                "unregistered_reports",
                int64("Of them, by reporters who never registered a project."),
            ),
            (
                "projects",
                json!({ "type": "array", "items": count, "minItems": 11, "maxItems": 11 }),
            ),
        ],
        &[
            "from",
            "to",
            "volunteers",
            "reports",
            "unregistered_reports",
            "projects",
        ],
    );
    vec![
        ("VolunteerInput", input),
        ("Volunteer", volunteer),
        ("VolunteerResult", result),
        ("Volunteers", list),
        ("VolunteerSummary", summary),
    ]
}
