//! 督办 — supervision by escalation: the rules that raise a department's case to its head
//! (部门督办, level 1) or to the district leader (领导督办, level 2) without anyone asking, and
//! the decision for one case.
//!
//! Escalation watches the department's part of the loop only (待签收 and 处置中): a red light at
//! intake is the bureau's own lateness, not the department's. A case is raised, never lowered:
//! its `supervision_level` counts every 督办 step, by rule or by a leader's hand (manual steps
//! count too, so a case a leader already supervised is not raised again to the same level).

use serde::{Deserialize, Serialize};

use crate::time::Timestamp;
use crate::workflow::{Case, CaseState};

/// 部门督办 — to the head of the handling department.
pub const LEVEL_DEPARTMENT: i32 = 1;
/// 领导督办 — to the district leader.
pub const LEVEL_LEADER: i32 = 2;

/// What makes a case due for supervision.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Trigger {
    /// 红灯 — the department's time at this node has run out.
    RedLight,
    /// 返工 — reworked at least `threshold` times.
    Rework,
    /// 回访不满意重办 — reopened after the citizen was not satisfied.
    CitizenReopen,
    /// 超期 — overdue by at least `threshold` hours (wall clock past the node's deadline).
    OverdueHours,
}

impl Trigger {
    /// The API name.
    pub fn as_str(self) -> &'static str {
        match self {
            Trigger::RedLight => "red_light",
            Trigger::Rework => "rework",
            Trigger::CitizenReopen => "citizen_reopen",
            Trigger::OverdueHours => "overdue_hours",
        }
    }

    pub fn label_zh(self) -> &'static str {
        match self {
            Trigger::RedLight => "红灯超时",
            Trigger::Rework => "多次返工",
            Trigger::CitizenReopen => "回访不满意重办",
            Trigger::OverdueHours => "严重超期",
        }
    }

    fn needs_threshold(self) -> bool {
        matches!(self, Trigger::Rework | Trigger::OverdueHours)
    }

    /// The highest threshold that can ever fire: a case is reworked at most a handful of times
    /// (20 allows for any practice), and a year overdue is the longest wait worth a rule.
    pub fn max_threshold(self) -> u32 {
        match self {
            Trigger::Rework => 20,
            Trigger::OverdueHours => 24 * 366,
            Trigger::RedLight | Trigger::CitizenReopen => 0,
        }
    }
}

/// One rule: when `trigger` holds (at `threshold`, where it takes one), raise to `level`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct EscalationRule {
    pub trigger: Trigger,
    #[serde(default)]
    pub threshold: Option<u32>,
    pub level: i32,
    #[serde(default = "enabled_by_default")]
    pub enabled: bool,
}

fn enabled_by_default() -> bool {
    true
}

/// The rules a new installation starts with (editable by an admin).
pub fn default_rules() -> Vec<EscalationRule> {
    let rule = |trigger, threshold, level| EscalationRule {
        trigger,
        threshold,
        level,
        enabled: true,
    };
    vec![
        rule(Trigger::RedLight, None, LEVEL_DEPARTMENT),
        rule(Trigger::Rework, Some(2), LEVEL_LEADER),
        rule(Trigger::CitizenReopen, None, LEVEL_DEPARTMENT),
        rule(Trigger::OverdueHours, Some(24), LEVEL_LEADER),
    ]
}

/// Why a rule set cannot be used. Rules are numbered from 0, as in the list sent.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum RulesError {
    #[error("rule {index}: level must be 1 (部门督办) or 2 (领导督办), not {level}")]
    Level { index: usize, level: i32 },
    #[error("rule {index}: {} needs a threshold of at least 1", trigger.as_str())]
    Threshold { index: usize, trigger: Trigger },
    #[error("rule {index}: {} threshold {threshold} is above its maximum {max}", trigger.as_str())]
    ThresholdTooHigh {
        index: usize,
        trigger: Trigger,
        threshold: u32,
        max: u32,
    },
    #[error("rule {index}: {} takes no threshold", trigger.as_str())]
    NoThreshold { index: usize, trigger: Trigger },
    #[error("rule {index}: the same trigger and threshold as rule {first}")]
    Repeated { index: usize, first: usize },
    #[error("at most 20 rules")]
    TooMany,
}

/// Checks a rule set before it is stored.
///
/// # Errors
/// The first rule that cannot work.
pub fn validate(rules: &[EscalationRule]) -> Result<(), RulesError> {
    if rules.len() > 20 {
        return Err(RulesError::TooMany);
    }
    for (index, r) in rules.iter().enumerate() {
        if r.level != LEVEL_DEPARTMENT && r.level != LEVEL_LEADER {
            return Err(RulesError::Level {
                index,
                level: r.level,
            });
        }
        match (r.trigger.needs_threshold(), r.threshold) {
            (true, None | Some(0)) => {
                return Err(RulesError::Threshold {
                    index,
                    trigger: r.trigger,
                });
            }
            (false, Some(_)) => {
                return Err(RulesError::NoThreshold {
                    index,
                    trigger: r.trigger,
                });
            }
            (true, Some(t)) if t > r.trigger.max_threshold() => {
                return Err(RulesError::ThresholdTooHigh {
                    index,
                    trigger: r.trigger,
                    threshold: t,
                    max: r.trigger.max_threshold(),
                });
            }
            _ => {}
        }
        if let Some(first) = rules[..index]
            .iter()
            .position(|o| o.trigger == r.trigger && o.threshold == r.threshold)
        {
            return Err(RulesError::Repeated { index, first });
        }
    }
    Ok(())
}

/// A raise a case is due for.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Escalation {
    /// The level to raise it to.
    pub level: i32,
    /// Why, for the audit trail and the list (e.g. `自动督办（领导督办）：多次返工（2 次）`).
    pub reason: String,
}

/// The states escalation watches: the department holds the case.
pub const WATCHED: [CaseState; 2] = [CaseState::Dispatched, CaseState::Handling];

/// What the rules say of `case` at `now`: the highest level any enabled rule asks for, if the
/// case is below it.
pub fn due(case: &Case, rules: &[EscalationRule], now: Timestamp) -> Option<Escalation> {
    if !WATCHED.contains(&case.state) {
        return None;
    }
    let deadline = case.clock.as_ref().and_then(|c| c.deadline_at);
    let mut best: Option<(i32, String)> = None;
    for r in rules.iter().filter(|r| r.enabled) {
        let why = match r.trigger {
            Trigger::RedLight => deadline
                .filter(|d| now > *d)
                .map(|_| r.trigger.label_zh().to_owned()),
            Trigger::Rework => {
                let n = r.threshold.unwrap_or(u32::MAX);
                (u32::try_from(case.rework_count).unwrap_or(0) >= n)
                    .then(|| format!("{}（{} 次）", r.trigger.label_zh(), case.rework_count))
            }
            Trigger::CitizenReopen => {
                (case.reopen_count > 0).then(|| r.trigger.label_zh().to_owned())
            }
            Trigger::OverdueHours => {
                let hours = i64::from(r.threshold.unwrap_or(u32::MAX));
                deadline
                    .filter(|d| now.0 - d.0 >= hours * 60 * Timestamp::MINUTE_MS)
                    .map(|_| format!("{}（超过 {hours} 小时）", r.trigger.label_zh()))
            }
        };
        if let Some(why) = why
            && best.as_ref().is_none_or(|(l, _)| r.level > *l)
        {
            best = Some((r.level, why));
        }
    }
    let (level, why) = best?;
    if case.supervision_level >= level {
        return None;
    }
    let to = if level >= LEVEL_LEADER {
        "领导督办"
    } else {
        "部门督办"
    };
    Some(Escalation {
        level,
        reason: format!("自动督办（{to}）：{why}"),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::workflow::NodeClock;

    const HOUR: i64 = 60 * Timestamp::MINUTE_MS;

    fn case(state: CaseState, deadline: Option<i64>) -> Case {
        let mut c: Case = serde_json::from_value(serde_json::json!({
            "id": 1, "case_no": "2026112400000001", "version": 1, "state": "handling",
            "source": "inspector", "description": "x", "address": null, "lat": null,
            "lon": null, "area": [null, null, null, null], "road_id": null, "class": null,
            "urgency": "normal", "department_id": 1, "assignee_id": null, "reporter_id": null,
            "reporter_name": null, "reporter_phone": null, "anonymous": false,
            "external_ref": null, "master_case_id": null, "pending": null,
            "supervision_level": 0, "rework_count": 0, "dispatch_count": 1,
            "self_handled": false, "verified": null, "check_passed": null, "clock": null,
            "first_dispatched_at": null, "reply": null, "replied_at": null, "rating": null,
            "rated_at": null, "reopen_count": 0, "created_at": 0, "updated_at": 0,
            "closed_at": null
        }))
        .expect("case");
        c.state = state;
        c.clock = deadline.map(|d| NodeClock {
            limit_minutes: 240,
            used_before_minutes: 0,
            running_since: Some(Timestamp(0)),
            deadline_at: Some(Timestamp(d)),
            yellow_at: Some(Timestamp(d - HOUR)),
        });
        c
    }

    #[test]
    fn a_red_light_raises_to_the_department_head_once() {
        let rules = default_rules();
        let c = case(CaseState::Handling, Some(10 * HOUR));
        assert_eq!(due(&c, &rules, Timestamp(10 * HOUR)), None, "not yet red");
        let e = due(&c, &rules, Timestamp(10 * HOUR + 1)).expect("due");
        assert_eq!(e.level, LEVEL_DEPARTMENT);
        assert_eq!(e.reason, "自动督办（部门督办）：红灯超时");
        let mut raised = c.clone();
        raised.supervision_level = 1;
        assert_eq!(
            due(&raised, &rules, Timestamp(11 * HOUR)),
            None,
            "raised once"
        );
        // A day past the deadline: on to the leader.
        let e = due(&raised, &rules, Timestamp(34 * HOUR)).expect("due");
        assert_eq!(e.level, LEVEL_LEADER);
        assert!(e.reason.contains("超过 24 小时"), "{}", e.reason);
    }

    #[test]
    fn rework_and_reopening_count() {
        let rules = default_rules();
        let mut c = case(CaseState::Dispatched, None);
        c.rework_count = 1;
        assert_eq!(due(&c, &rules, Timestamp(0)), None);
        c.rework_count = 2;
        let e = due(&c, &rules, Timestamp(0)).expect("due");
        assert_eq!(
            (e.level, e.reason.as_str()),
            (2, "自动督办（领导督办）：多次返工（2 次）")
        );
        let mut r = case(CaseState::Dispatched, None);
        r.reopen_count = 1;
        assert_eq!(due(&r, &rules, Timestamp(0)).map(|e| e.level), Some(1));
        // The highest level wins when several rules hold.
        r.rework_count = 3;
        assert_eq!(due(&r, &rules, Timestamp(0)).map(|e| e.level), Some(2));
    }

    #[test]
    fn only_the_departments_part_of_the_loop_is_watched() {
        let rules = default_rules();
        for s in CaseState::ALL {
            let c = case(s, Some(0));
            let expected = WATCHED.contains(&s);
            assert_eq!(
                due(&c, &rules, Timestamp(HOUR)).is_some(),
                expected,
                "{s:?}"
            );
        }
    }

    #[test]
    fn disabled_rules_do_nothing_and_bad_rules_are_refused() {
        let mut rules = default_rules();
        for r in &mut rules {
            r.enabled = false;
        }
        let c = case(CaseState::Handling, Some(0));
        assert_eq!(due(&c, &rules, Timestamp(100 * HOUR)), None);
        assert_eq!(validate(&default_rules()), Ok(()));
        let mut bad = default_rules();
        bad[0].level = 3;
        assert!(matches!(
            validate(&bad),
            Err(RulesError::Level { index: 0, level: 3 })
        ));
        let mut bad = default_rules();
        bad[1].threshold = None;
        assert!(matches!(
            validate(&bad),
            Err(RulesError::Threshold { index: 1, .. })
        ));
        let mut bad = default_rules();
        bad[0].threshold = Some(3);
        assert!(matches!(
            validate(&bad),
            Err(RulesError::NoThreshold { index: 0, .. })
        ));
        assert_eq!(
            validate(&vec![default_rules()[0]; 21]),
            Err(RulesError::TooMany)
        );
        // Thresholds that could never fire are refused; the largest useful one is kept.
        let mut bad = default_rules();
        bad[3].threshold = Some(24 * 366 + 1);
        assert_eq!(
            validate(&bad),
            Err(RulesError::ThresholdTooHigh {
                index: 3,
                trigger: Trigger::OverdueHours,
                threshold: 24 * 366 + 1,
                max: 24 * 366
            })
        );
        bad[3].threshold = Some(24 * 366);
        bad[1].threshold = Some(21);
        assert!(matches!(
            validate(&bad),
            Err(RulesError::ThresholdTooHigh {
                index: 1,
                max: 20,
                ..
            })
        ));
        bad[1].threshold = Some(20);
        assert_eq!(validate(&bad), Ok(()));
    }
}
