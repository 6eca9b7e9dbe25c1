//! The component and matter taxonomy (GB/T 47678.5-2026 and others, keyed by `standard_ref`).
//!
//! STUB: replaced by the real loader over `data/taxonomy.csv`.

use serde::{Deserialize, Serialize};

use crate::org::DepartmentType;

/// The standard the current national classes come from.
pub const GB_47678_5_2026: &str = "GB/T 47678.5-2026";

/// 部件 (a physical component) or 事项/事件 (a matter or event).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ClassKind {
    /// 管理部件.
    Component,
    /// 管理事项.
    Matter,
}

impl ClassKind {
    pub fn as_str(self) -> &'static str {
        match self {
            ClassKind::Component => "component",
            ClassKind::Matter => "matter",
        }
    }
    pub fn parse(s: &str) -> Option<ClassKind> {
        match s {
            "component" => Some(ClassKind::Component),
            "matter" => Some(ClassKind::Matter),
            _ => None,
        }
    }
}

/// How urgent a case is; picks the handling limit.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Urgency {
    /// 紧急.
    Urgent,
    /// 重要/较急.
    High,
    /// 一般.
    Normal,
}

impl Urgency {
    pub fn as_str(self) -> &'static str {
        match self {
            Urgency::Urgent => "urgent",
            Urgency::High => "high",
            Urgency::Normal => "normal",
        }
    }
    pub fn parse(s: &str) -> Option<Urgency> {
        match s {
            "urgent" => Some(Urgency::Urgent),
            "high" => Some(Urgency::High),
            "normal" => Some(Urgency::Normal),
            _ => None,
        }
    }
}

/// The unit a time limit is written in.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LimitUnit {
    /// 工作分钟.
    WorkMinutes,
    /// 工作时 — 60 working minutes.
    WorkHours,
    /// 工作日 — one working day's worth of working minutes under the schedule.
    WorkDays,
}

/// A time limit, e.g. "4 工作时".
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct TimeLimit {
    pub amount: u32,
    pub unit: LimitUnit,
}

impl TimeLimit {
    /// The limit in working minutes, given how many working minutes a working day has.
    pub fn working_minutes(self, minutes_per_workday: i64) -> i64 {
        let n = i64::from(self.amount);
        match self.unit {
            LimitUnit::WorkMinutes => n,
            LimitUnit::WorkHours => n * 60,
            LimitUnit::WorkDays => n * minutes_per_workday,
        }
    }
}

/// Handling limits 处置时限 per urgency.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct HandlingLimits {
    pub urgent: TimeLimit,
    pub high: TimeLimit,
    pub normal: TimeLimit,
}

impl HandlingLimits {
    pub fn for_urgency(&self, u: Urgency) -> TimeLimit {
        match u {
            Urgency::Urgent => self.urgent,
            Urgency::High => self.high,
            Urgency::Normal => self.normal,
        }
    }
}

/// One class of the taxonomy.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TaxonomyClass {
    /// e.g. "GB/T 47678.5-2026".
    pub standard_ref: String,
    pub kind: ClassKind,
    /// 大类 code, e.g. "06".
    pub major_code: String,
    pub major_name: String,
    /// 小类 code, e.g. "06010".
    pub code: String,
    pub name: String,
    /// The department type a case of this class goes to by default.
    pub department_type: DepartmentType,
    /// 立案条件 — one or more conditions under which a report is filed.
    pub filing_conditions: Vec<String>,
    /// 结案条件 — what must be true to close.
    pub closing_condition: String,
    pub limits: HandlingLimits,
    /// A local addition beside the national standard.
    pub is_local_extension: bool,
}

#[derive(Debug, thiserror::Error)]
pub enum TaxonomyError {
    #[error("taxonomy data line {line}: {message}")]
    BadRow { line: usize, message: String },
}

/// The classes shipped with yiwang.
pub fn builtin_classes() -> Result<Vec<TaxonomyClass>, TaxonomyError> {
    Ok(Vec::new())
}
