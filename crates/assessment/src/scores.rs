//! Composite scores 综合指标值, grades A–E 评价等级 and rankings.
//!
//! Weights and score tables are configuration ([`ScoreConfig`], serde); the defaults are the
//! reference's (standards reference §5.2, from one open implementation). A composite is
//! `Σ weightᵢ · scoreᵢ / Σ weightᵢ`, so weights need not add up to 100 (the reference's area
//! formula adds up to 70 %).
//!
//! **Ranking tie rule.** Scopes are ordered by composite descending; composites equal after
//! rounding to 1e-6 share a rank (competition ranking: 1, 2, 2, 4), and tied scopes are listed
//! in [`Scope`] order (city, areas by code, departments by id, persons by role and id, road
//! chiefs by id) so the output is stable.

use std::collections::HashMap;

use domain::org::Role;
use serde::{Deserialize, Serialize};

use crate::counters::Aggregates;
use crate::indicators::{Indicators, Ratio};
use crate::scope::{Period, Scope, ScopeKind};

/// What a score term measures.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Metric {
    ValidReportRate,
    MissedReportRate,
    OnTimeVerificationRate,
    OnTimeCheckRate,
    Intake,
    OnTimeVerifySendingRate,
    OnTimeCheckSendingRate,
    OnTimeFilingRate,
    AccurateFilingRate,
    OnTimeCloseRate,
    Dispatched,
    OnTimeDispatchRate,
    AccurateDispatchRate,
    ClosureRate,
    OnTimeClosureRate,
    HandlingRate,
    OnTimeHandlingRate,
    ReworkRate,
    PublicReportRate,
    /// Filed cases per unit grid of the area (立案数 per grid).
    FiledPerGrid,
    SatisfactionRate,
}

impl Metric {
    /// The Chinese name, for reports.
    pub fn label_zh(self) -> &'static str {
        match self {
            Metric::ValidReportRate => "有效上报率",
            Metric::MissedReportRate => "漏报率",
            Metric::OnTimeVerificationRate => "按时核实率",
            Metric::OnTimeCheckRate => "按时核查率",
            Metric::Intake => "受理数",
            Metric::OnTimeVerifySendingRate => "核实按时派发率",
            Metric::OnTimeCheckSendingRate => "核查按时派发率",
            Metric::OnTimeFilingRate => "按时立案率",
            Metric::AccurateFilingRate => "准确立案率",
            Metric::OnTimeCloseRate => "按时结案率",
            Metric::Dispatched => "派遣数",
            Metric::OnTimeDispatchRate => "按时派遣率",
            Metric::AccurateDispatchRate => "准确派遣率",
            Metric::ClosureRate => "结案率",
            Metric::OnTimeClosureRate => "按期结案率",
            Metric::HandlingRate => "处置率",
            Metric::OnTimeHandlingRate => "按时处置率",
            Metric::ReworkRate => "返工率",
            Metric::PublicReportRate => "监督举报率",
            Metric::FiledPerGrid => "网格平均立案数",
            Metric::SatisfactionRate => "满意率",
        }
    }

    fn value(self, ind: &Indicators, grids: u32) -> MetricValue {
        use MetricValue::{Count, Rate};
        match self {
            Metric::ValidReportRate => Rate(ind.valid_report_rate),
            Metric::MissedReportRate => Rate(ind.missed_report_rate),
            Metric::OnTimeVerificationRate => Rate(ind.on_time_verification_rate),
            Metric::OnTimeCheckRate => Rate(ind.on_time_check_rate),
            Metric::Intake => Count(ind.intake as f64),
            Metric::OnTimeVerifySendingRate => Rate(ind.on_time_verify_sending_rate),
            Metric::OnTimeCheckSendingRate => Rate(ind.on_time_check_sending_rate),
            Metric::OnTimeFilingRate => Rate(ind.on_time_filing_rate),
            Metric::AccurateFilingRate => Rate(ind.accurate_filing_rate),
            Metric::OnTimeCloseRate => Rate(ind.on_time_close_rate),
            Metric::Dispatched => Count(ind.dispatched as f64),
            Metric::OnTimeDispatchRate => Rate(ind.on_time_dispatch_rate),
            Metric::AccurateDispatchRate => Rate(ind.accurate_dispatch_rate),
            Metric::ClosureRate => Rate(ind.closure_rate),
            Metric::OnTimeClosureRate => Rate(ind.on_time_closure_rate),
            Metric::HandlingRate => Rate(ind.handling_rate),
            Metric::OnTimeHandlingRate => Rate(ind.on_time_handling_rate),
            Metric::ReworkRate => Rate(ind.rework_rate),
            Metric::PublicReportRate => Rate(ind.public_report_rate),
            Metric::FiledPerGrid => Count(ind.filed as f64 / f64::from(grids.max(1))),
            Metric::SatisfactionRate => Rate(ind.satisfaction_rate),
        }
    }
}

enum MetricValue {
    Rate(Ratio),
    Count(f64),
}

/// One row of a score table: values up to `upper` (inclusive if `inclusive`, else below it;
/// `None` = no upper bound) score `score`. Rows are tried in order.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Band {
    pub upper: Option<f64>,
    pub inclusive: bool,
    pub score: f64,
}

/// How a metric value becomes a 0–100 score.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Scoring {
    /// rate × 100 (higher is better).
    Rate,
    /// 100 − rate × 100 (lower is better: 漏报率, 返工率, 监督举报率).
    InverseRate,
    /// A score table over the value.
    Bands { bands: Vec<Band> },
}

/// One weighted term of a composite.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Term {
    pub metric: Metric,
    pub weight: f64,
    pub scoring: Scoring,
}

/// A grade 评价等级 and its lowest score.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum Grade {
    A,
    B,
    C,
    D,
    E,
}

impl Grade {
    pub fn as_str(self) -> &'static str {
        match self {
            Grade::A => "A",
            Grade::B => "B",
            Grade::C => "C",
            Grade::D => "D",
            Grade::E => "E",
        }
    }
}

/// Weights, score tables and grade bands. Serde; [`ScoreConfig::default`] is the reference's.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ScoreConfig {
    /// 监督员.
    pub inspector: Vec<Term>,
    /// 受理员.
    pub operator: Vec<Term>,
    /// 值班长.
    pub shift_supervisor: Vec<Term>,
    /// 派遣员.
    pub dispatcher: Vec<Term>,
    /// 专业部门.
    pub department: Vec<Term>,
    /// 区域 (city, district, street, community, grid).
    pub area: Vec<Term>,
    /// 路长.
    pub road_chief: Vec<Term>,
    /// Lowest score of grades A, B, C, D (anything lower is E). Default 90, 75, 60, 40.
    pub grade_floors: [f64; 4],
    /// The score of a rate with nothing to measure (denominator 0). Default 100: nothing was
    /// due, nothing was missed.
    pub empty_rate_score: f64,
    /// Points taken off a road chief's or street's weekly flag score per 暗访 finding.
    pub third_party_penalty: f64,
}

fn bands(rows: &[(Option<f64>, bool, f64)]) -> Scoring {
    Scoring::Bands {
        bands: rows
            .iter()
            .map(|&(upper, inclusive, score)| Band {
                upper,
                inclusive,
                score,
            })
            .collect(),
    }
}

fn term(metric: Metric, weight: f64, scoring: Scoring) -> Term {
    Term {
        metric,
        weight,
        scoring,
    }
}

/// 受理数分值: > 2000 → 100; 1201–2000 → 90; 501–1200 → 75; 301–500 → 60; otherwise 0.
pub fn intake_count_bands() -> Scoring {
    bands(&[
        (Some(300.0), true, 0.0),
        (Some(500.0), true, 60.0),
        (Some(1200.0), true, 75.0),
        (Some(2000.0), true, 90.0),
        (None, true, 100.0),
    ])
}

/// 立案数分值 of a department (fewer is better): ≤ 50 → 100; ≤ 100 → 90; ≤ 200 → 75;
/// ≤ 500 → 60; ≤ 1000 → 40; more → 0.
pub fn department_filed_bands() -> Scoring {
    bands(&[
        (Some(50.0), true, 100.0),
        (Some(100.0), true, 90.0),
        (Some(200.0), true, 75.0),
        (Some(500.0), true, 60.0),
        (Some(1000.0), true, 40.0),
        (None, true, 0.0),
    ])
}

/// 立案数分值 per grid, 一类区域: 0 → 100; < 3 → 90; < 5 → 75; < 7 → 60; < 9 → 40; else 0.
pub fn grid_filed_bands_class1() -> Scoring {
    bands(&[
        (Some(0.0), true, 100.0),
        (Some(3.0), false, 90.0),
        (Some(5.0), false, 75.0),
        (Some(7.0), false, 60.0),
        (Some(9.0), false, 40.0),
        (None, true, 0.0),
    ])
}

/// 立案数分值 per grid, 二类区域: 0 → 100; < 4 → 90; < 6 → 75; < 8 → 60; < 10 → 40; else 0.
pub fn grid_filed_bands_class2() -> Scoring {
    bands(&[
        (Some(0.0), true, 100.0),
        (Some(4.0), false, 90.0),
        (Some(6.0), false, 75.0),
        (Some(8.0), false, 60.0),
        (Some(10.0), false, 40.0),
        (None, true, 0.0),
    ])
}

impl Default for ScoreConfig {
    fn default() -> Self {
        use Metric::*;
        use Scoring::{InverseRate, Rate};
        ScoreConfig {
            inspector: vec![
                term(ValidReportRate, 40.0, Rate),
                term(MissedReportRate, 20.0, InverseRate),
                term(OnTimeVerificationRate, 20.0, Rate),
                term(OnTimeCheckRate, 20.0, Rate),
            ],
            operator: vec![
                term(Intake, 25.0, intake_count_bands()),
                term(OnTimeVerifySendingRate, 40.0, Rate),
                term(OnTimeCheckSendingRate, 35.0, Rate),
            ],
            shift_supervisor: vec![
                term(OnTimeFilingRate, 25.0, Rate),
                term(AccurateFilingRate, 40.0, Rate),
                term(OnTimeCloseRate, 35.0, Rate),
            ],
            // The reference gives no table for 派遣数分值; the 受理数 table is used.
            dispatcher: vec![
                term(Dispatched, 20.0, intake_count_bands()),
                term(OnTimeDispatchRate, 40.0, Rate),
                term(AccurateDispatchRate, 40.0, Rate),
            ],
            department: vec![
                term(Dispatched, 10.0, department_filed_bands()),
                term(ClosureRate, 30.0, Rate),
                term(OnTimeHandlingRate, 30.0, Rate),
                term(ReworkRate, 30.0, InverseRate),
            ],
            // The reference's weights (10/20/30/10, adding up to 70 %), normalised.
            area: vec![
                term(PublicReportRate, 10.0, InverseRate),
                term(FiledPerGrid, 20.0, grid_filed_bands_class1()),
                term(ClosureRate, 30.0, Rate),
                term(OnTimeClosureRate, 10.0, Rate),
            ],
            // No reference formula: local default.
            road_chief: vec![
                term(ClosureRate, 40.0, Rate),
                term(OnTimeClosureRate, 40.0, Rate),
                term(ReworkRate, 20.0, InverseRate),
            ],
            grade_floors: [90.0, 75.0, 60.0, 40.0],
            empty_rate_score: 100.0,
            third_party_penalty: 2.0,
        }
    }
}

/// A composite score with its parts.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Score {
    /// 0–100.
    pub value: f64,
    pub grade: Grade,
    /// (metric, its 0–100 score, its weight).
    pub parts: Vec<(Metric, f64, f64)>,
}

impl ScoreConfig {
    /// The terms used for a scope family (`None` for roles that are not assessed).
    pub fn terms(&self, kind: ScopeKind) -> Option<&[Term]> {
        Some(match kind {
            ScopeKind::City | ScopeKind::Area(_) => &self.area,
            ScopeKind::Department => &self.department,
            ScopeKind::RoadChief => &self.road_chief,
            ScopeKind::Person(Role::Inspector) => &self.inspector,
            ScopeKind::Person(Role::Operator) => &self.operator,
            ScopeKind::Person(Role::ShiftSupervisor) => &self.shift_supervisor,
            ScopeKind::Person(Role::Dispatcher) => &self.dispatcher,
            ScopeKind::Person(_) => return None,
        })
    }

    /// The grade of a score.
    pub fn grade(&self, score: f64) -> Grade {
        let [a, b, c, d] = self.grade_floors;
        if score >= a {
            Grade::A
        } else if score >= b {
            Grade::B
        } else if score >= c {
            Grade::C
        } else if score >= d {
            Grade::D
        } else {
            Grade::E
        }
    }

    /// The composite of `terms` over `ind`; `grids` is the number of unit grids of an area (for
    /// [`Metric::FiledPerGrid`]; 1 if unknown).
    pub fn composite(&self, terms: &[Term], ind: &Indicators, grids: u32) -> Score {
        let mut parts = Vec::with_capacity(terms.len());
        let mut total = 0.0;
        let mut weights = 0.0;
        for t in terms {
            let s = match (t.metric.value(ind, grids), &t.scoring) {
                (MetricValue::Rate(r), Scoring::Rate) => {
                    r.percent().unwrap_or(self.empty_rate_score)
                }
                (MetricValue::Rate(r), Scoring::InverseRate) => {
                    r.percent().map_or(self.empty_rate_score, |p| 100.0 - p)
                }
                (MetricValue::Rate(r), Scoring::Bands { bands }) => match r.percent() {
                    Some(p) => band_score(bands, p),
                    None => self.empty_rate_score,
                },
                (MetricValue::Count(v), Scoring::Bands { bands }) => band_score(bands, v),
                (MetricValue::Count(v), Scoring::Rate) => v,
                (MetricValue::Count(v), Scoring::InverseRate) => 100.0 - v,
            }
            .clamp(0.0, 100.0);
            total += s * t.weight;
            weights += t.weight;
            parts.push((t.metric, s, t.weight));
        }
        let value = if weights > 0.0 { total / weights } else { 0.0 };
        Score {
            value,
            grade: self.grade(value),
            parts,
        }
    }
}

fn band_score(bands: &[Band], v: f64) -> f64 {
    bands
        .iter()
        .find(|b| match b.upper {
            None => true,
            Some(u) if b.inclusive => v <= u,
            Some(u) => v < u,
        })
        .map_or(0.0, |b| b.score)
}

/// One ranked scope.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Ranked {
    pub scope: Scope,
    pub indicators: Indicators,
    pub score: Score,
    /// 1-based competition rank; ties share it.
    pub rank: u32,
}

/// The key two scores are compared on: rounded to 1e-6 so float noise does not break ties.
pub(crate) fn score_key(v: f64) -> i64 {
    (v * 1e6).round() as i64
}

/// Sorts by score descending (ties in scope order) and assigns competition ranks.
pub fn rank(mut rows: Vec<(Scope, Indicators, Score)>) -> Vec<Ranked> {
    rows.sort_by(|a, b| {
        score_key(b.2.value)
            .cmp(&score_key(a.2.value))
            .then_with(|| a.0.cmp(&b.0))
    });
    let mut out: Vec<Ranked> = Vec::with_capacity(rows.len());
    for (i, (scope, indicators, score)) in rows.into_iter().enumerate() {
        let rank = match out.last() {
            Some(prev) if score_key(prev.score.value) == score_key(score.value) => prev.rank,
            _ => u32::try_from(i + 1).unwrap_or(u32::MAX),
        };
        out.push(Ranked {
            scope,
            indicators,
            score,
            rank,
        });
    }
    out
}

/// Ranks every scope of `kind` with data in `agg` over `period`. `grids` gives the number of
/// unit grids per area (missing: 1).
pub fn rank_scopes(
    agg: &Aggregates,
    kind: ScopeKind,
    period: Period,
    config: &ScoreConfig,
    grids: &HashMap<Scope, u32>,
) -> Vec<Ranked> {
    let Some(terms) = config.terms(kind) else {
        return Vec::new();
    };
    let rows = agg
        .scopes(kind)
        .into_iter()
        .map(|scope| {
            let ind = Indicators::of(agg, &scope, period);
            let score = config.composite(terms, &ind, grids.get(&scope).copied().unwrap_or(1));
            (scope, ind, score)
        })
        .collect();
    rank(rows)
}
