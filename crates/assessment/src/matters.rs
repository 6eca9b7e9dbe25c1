//! The practical-matters list 我为群众办实事: categories, items with plan, measures, owner
//! department, milestones and progress updates, and roll-ups by category and status
//! (seed 002: 1,181 items — 391 done 已办, 189 in progress 正在办, 601 planned 列入计划).

use std::collections::BTreeMap;

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

/// A category of the list (e.g. 7 大类).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Category {
    pub id: i64,
    pub name: String,
}

/// Where an item stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MatterStatus {
    /// 列入计划.
    Planned,
    /// 正在办.
    InProgress,
    /// 已办.
    Done,
}

impl MatterStatus {
    pub const ALL: [MatterStatus; 3] = [
        MatterStatus::Done,
        MatterStatus::InProgress,
        MatterStatus::Planned,
    ];

    pub fn label_zh(self) -> &'static str {
        match self {
            MatterStatus::Planned => "列入计划",
            MatterStatus::InProgress => "正在办",
            MatterStatus::Done => "已办",
        }
    }
}

/// A dated step of an item's schedule 进度安排.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Milestone {
    pub title: String,
    pub due: NaiveDate,
    pub done_on: Option<NaiveDate>,
}

/// A progress report on an item.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProgressUpdate {
    pub on: NaiveDate,
    /// 0–100.
    pub percent: u8,
    pub note: String,
}

/// One practical matter.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Item {
    pub id: i64,
    pub category_id: i64,
    pub title: String,
    /// 实施方案.
    pub plan: String,
    /// 工作措施.
    pub measures: Vec<String>,
    /// 责任单位.
    pub owner_department_id: i64,
    pub milestones: Vec<Milestone>,
    pub progress: Vec<ProgressUpdate>,
    /// Status as set by its owner.
    pub status: MatterStatus,
}

impl Item {
    /// The latest progress percentage (0 if none), by date.
    pub fn latest_percent(&self) -> u8 {
        self.progress
            .iter()
            .max_by_key(|p| p.on)
            .map_or(0, |p| p.percent.min(100))
    }

    /// The status the recorded facts imply: done when the latest progress is 100 % or every
    /// milestone (at least one) is done; in progress when any progress or milestone is
    /// recorded; otherwise planned.
    pub fn derived_status(&self) -> MatterStatus {
        let all_milestones_done =
            !self.milestones.is_empty() && self.milestones.iter().all(|m| m.done_on.is_some());
        if self.latest_percent() >= 100 || all_milestones_done {
            MatterStatus::Done
        } else if self.latest_percent() > 0
            || !self.progress.is_empty()
            || self.milestones.iter().any(|m| m.done_on.is_some())
        {
            MatterStatus::InProgress
        } else {
            MatterStatus::Planned
        }
    }

    /// Milestones past due on `today` and not done.
    pub fn overdue_milestones(&self, today: NaiveDate) -> usize {
        self.milestones
            .iter()
            .filter(|m| m.done_on.is_none() && m.due < today)
            .count()
    }
}

/// Counts by status.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct StatusCounts {
    pub total: u32,
    pub done: u32,
    pub in_progress: u32,
    pub planned: u32,
    /// Items with at least one overdue milestone.
    pub with_overdue_milestones: u32,
}

impl StatusCounts {
    fn add(&mut self, item: &Item, today: NaiveDate) {
        self.total += 1;
        match item.status {
            MatterStatus::Done => self.done += 1,
            MatterStatus::InProgress => self.in_progress += 1,
            MatterStatus::Planned => self.planned += 1,
        }
        if item.status != MatterStatus::Done && item.overdue_milestones(today) > 0 {
            self.with_overdue_milestones += 1;
        }
    }
}

/// The roll-up of the whole list.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Rollup {
    pub total: StatusCounts,
    /// Per category id (categories with no items are listed with zeros).
    pub by_category: BTreeMap<i64, StatusCounts>,
    /// Per owner department id.
    pub by_department: BTreeMap<i64, StatusCounts>,
}

/// Rolls the list up by category, owner and status, as of `today` (for overdue milestones).
pub fn rollup(categories: &[Category], items: &[Item], today: NaiveDate) -> Rollup {
    let mut r = Rollup::default();
    for c in categories {
        r.by_category.entry(c.id).or_default();
    }
    for item in items {
        r.total.add(item, today);
        r.by_category
            .entry(item.category_id)
            .or_default()
            .add(item, today);
        r.by_department
            .entry(item.owner_department_id)
            .or_default()
            .add(item, today);
    }
    r
}
