//! The 督办 part of the `assessment` section of the OpenAPI document: the supervision list and
//! the escalation rules. A child module of [`super`] (`openapi.rs`), using its builders.

use domain::org::Role;
use serde_json::{Value, json};

use super::{
    ADMIN, AUTH, JSON_BODY, Op, arr, boolean, closed, date_time, int64, nullable, object, r,
    string, string_enum,
};

/// Who reads the list and the rules.
const READERS: &[Role] = &[
    Role::Admin,
    Role::Leader,
    Role::ShiftSupervisor,
    Role::Dispatcher,
];

/// The operations.
pub(super) fn escalation_ops() -> Vec<Op> {
    vec![
        Op::get(
            "/api/supervision",
            "listSupervision",
            "Supervision list (督办)",
        )
        .roles(READERS)
        .doc(
            "Supervised cases the caller may see, newest first: level 1 部门督办 (to the \
                 department head) or 2 领导督办 (to the leader), how many 督办 steps, and the \
                 last one — raised automatically by an escalation rule (the `system` account) or \
                 by a leader's hand, with the reason. The worker checks the rules every 30 s on \
                 cases held by a department (待签收, 处置中).",
        )
        .query(
            "status",
            false,
            string_enum(["open", "closed", "all"], "Default `open`."),
            "",
        )
        .query(
            "limit",
            false,
            json!({ "type": "integer", "minimum": 1, "maximum": 500, "default": 100 }),
            "",
        )
        .ok(200, "The list and its counts.", r("SupervisionList"))
        .errors(AUTH)
        .errors(&["bad_request"]),
        Op::get(
            "/api/config/escalation-rules",
            "getEscalationRules",
            "Escalation rules (自动督办规则)",
        )
        .roles(READERS)
        .doc("The rules in force (the defaults until an admin saves others).")
        .ok(200, "The rules.", r("EscalationRules"))
        .errors(AUTH),
        Op::put(
            "/api/config/escalation-rules",
            "putEscalationRules",
            "Set the escalation rules (自动督办规则)",
        )
        .roles(ADMIN)
        .doc(
            "Replaces the rules. `rework` and `overdue_hours` need a threshold ≥ 1, the others \
             take none; levels are 1 or 2; at most 20 rules. A case is raised to the highest \
             level any enabled rule asks for, never lowered.",
        )
        .json_body(r("EscalationRules"), "Every rule.")
        .ok(200, "The rules as saved.", r("EscalationRules"))
        .errors(AUTH)
        .errors(JSON_BODY)
        .errors(&["invalid_rules"]),
    ]
}

/// The schemas.
pub(super) fn escalation_schemas() -> Vec<(&'static str, Value)> {
    let rule = closed(
        vec![
            (
                "trigger",
                string_enum(
                    ["red_light", "rework", "citizen_reopen", "overdue_hours"],
                    "红灯超时, 多次返工, 回访不满意重办, 严重超期.",
                ),
            ),
            (
                "threshold",
                json!({ "type": ["integer", "null"], "minimum": 1, "description": "Times (rework) or hours (overdue_hours)." }),
            ),
            (
                "level",
                json!({ "type": "integer", "enum": [1, 2], "description": "1 部门督办, 2 领导督办." }),
            ),
            ("enabled", boolean("")),
        ],
        &["trigger", "level"],
    );
    let rules = closed(vec![("rules", arr(rule))], &["rules"]);
    let last = object(
        vec![
            ("at", date_time("")),
            ("automatic", boolean("Raised by a rule, not by hand.")),
            ("actor_name", string("")),
            ("note", nullable(string("The reason."))),
        ],
        &["at", "automatic", "actor_name", "note"],
    );
    let item = object(
        vec![
            ("case", r("Case")),
            (
                "level",
                json!({ "type": "integer", "enum": [1, 2], "description": "1 部门督办, 2 领导督办 (or more steps)." }),
            ),
            ("events", int64("督办 steps so far.")),
            ("last", last),
        ],
        &["case", "level", "events", "last"],
    );
    let counts = object(
        vec![
            ("open", int64("")),
            ("closed", int64("")),
            ("level1", int64("Open at 部门督办.")),
            ("level2", int64("Open at 领导督办.")),
        ],
        &["open", "closed", "level1", "level2"],
    );
    let list = object(
        vec![("items", arr(item)), ("counts", counts)],
        &["items", "counts"],
    );
    vec![("EscalationRules", rules), ("SupervisionList", list)]
}
