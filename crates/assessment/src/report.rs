//! Report content: the weekly and monthly assessment reports as tables with Chinese headers,
//! written to CSV here and to xlsx in [`crate::xlsx`], and the series behind the charts.

use std::collections::BTreeMap;

use domain::org::Role;
use serde::{Deserialize, Serialize};

use crate::AssessmentError;
use crate::counters::{Aggregates, Counter};
use crate::flags::FlagRecord;
use crate::indicators::{Indicators, Ratio};
use crate::matters::{Category, MatterStatus, Rollup};
use crate::scope::{Period, Scope, ScopeKind};
use crate::scores::Ranked;

/// One cell of a report table.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub enum Cell {
    Text(String),
    Int(i64),
    /// A decimal number (e.g. hours, scores), shown with two decimals.
    Number(f64),
    /// A fraction shown as a percentage (0.5 → 50.00 %); `None` = not applicable, left blank.
    Percent(Option<f64>),
    Empty,
}

/// How a column is shown (width in characters).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Column {
    pub header: String,
    pub width: f64,
}

/// A titled table: one worksheet or one CSV file.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Table {
    /// Worksheet name (≤ 31 characters).
    pub name: String,
    pub columns: Vec<Column>,
    pub rows: Vec<Vec<Cell>>,
}

/// One ranked family in a report (e.g. 街道排名).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct RankingSection {
    pub title: String,
    pub kind: ScopeKind,
    pub rows: Vec<Ranked>,
}

/// One day of the city (or any scope) series.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct DailyPoint {
    pub date: chrono::NaiveDate,
    pub reported: i64,
    pub filed: i64,
    pub dispatched: i64,
    pub handled: i64,
    pub closed: i64,
    /// 超期未处置数 at the end of the day.
    pub overdue_open: i64,
}

/// Everything a weekly or monthly report shows.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct ReportData {
    /// e.g. "城市管理考核周报 2026-11-23 至 2026-11-29".
    pub title: String,
    pub period: Option<Period>,
    /// Display names of scopes (area names, department names, people); missing: the key.
    pub names: BTreeMap<String, String>,
    pub rankings: Vec<RankingSection>,
    pub flags: Vec<FlagRecord>,
    pub daily: Vec<DailyPoint>,
    pub matters: Option<(Vec<Category>, Rollup)>,
}

impl ReportData {
    /// The display name of a scope.
    pub fn name_of(&self, scope: &Scope) -> String {
        let key = scope.key();
        self.names.get(&key).cloned().unwrap_or(key)
    }

    /// All tables of the report, in sheet order: one per ranking section, then flags, daily
    /// series and practical matters when present.
    pub fn tables(&self) -> Vec<Table> {
        let mut out: Vec<Table> = self
            .rankings
            .iter()
            .map(|s| ranking_table(self, s))
            .collect();
        if !self.flags.is_empty() {
            out.push(flags_table(self));
        }
        if !self.daily.is_empty() {
            out.push(daily_table(&self.daily));
        }
        if let Some((cats, rollup)) = &self.matters {
            out.push(matters_table(cats, rollup));
        }
        out
    }
}

/// An indicator column of a ranking table.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Col {
    Reported,
    ValidReports,
    Filed,
    Dispatched,
    Handled,
    Closed,
    OverdueOpen,
    ThirdParty,
    Intake,
    ClosureRate,
    OnTimeClosureRate,
    HandlingRate,
    OnTimeHandlingRate,
    ReworkRate,
    AccurateDispatchRate,
    OnTimeDispatchRate,
    ValidReportRate,
    MissedRate,
    PublicReportRate,
    OnTimeVerify,
    OnTimeCheck,
    OnTimeVerifySending,
    OnTimeCheckSending,
    OnTimeFiling,
    AccurateFiling,
    OnTimeClose,
    AvgHours,
    Satisfaction,
    Transfer,
    Reply,
}

impl Col {
    fn header(self) -> &'static str {
        match self {
            Col::Reported => "上报数",
            Col::ValidReports => "有效上报数",
            Col::Filed => "立案数",
            Col::Dispatched => "派遣数",
            Col::Handled => "处置数",
            Col::Closed => "结案数",
            Col::OverdueOpen => "超期未处置数",
            Col::ThirdParty => "暗访发现数",
            Col::Intake => "受理数",
            Col::ClosureRate => "结案率",
            Col::OnTimeClosureRate => "按期结案率",
            Col::HandlingRate => "处置率",
            Col::OnTimeHandlingRate => "按时处置率",
            Col::ReworkRate => "返工率",
            Col::AccurateDispatchRate => "准确派遣率",
            Col::OnTimeDispatchRate => "按时派遣率",
            Col::ValidReportRate => "有效上报率",
            Col::MissedRate => "漏报率",
            Col::PublicReportRate => "监督举报率",
            Col::OnTimeVerify => "按时核实率",
            Col::OnTimeCheck => "按时核查率",
            Col::OnTimeVerifySending => "核实按时派发率",
            Col::OnTimeCheckSending => "核查按时派发率",
            Col::OnTimeFiling => "按时立案率",
            Col::AccurateFiling => "准确立案率",
            Col::OnTimeClose => "按时结案率",
            Col::AvgHours => "平均处置时长(工作时)",
            Col::Satisfaction => "满意率",
            Col::Transfer => "转办率",
            Col::Reply => "回复率",
        }
    }

    fn cell(self, i: &Indicators) -> Cell {
        let p = |r: Ratio| Cell::Percent(r.value());
        match self {
            Col::Reported => Cell::Int(i.reported),
            Col::ValidReports => Cell::Int(i.valid_reports),
            Col::Filed => Cell::Int(i.filed),
            Col::Dispatched => Cell::Int(i.dispatched),
            Col::Handled => Cell::Int(i.handled),
            Col::Closed => Cell::Int(i.closed),
            Col::OverdueOpen => Cell::Int(i.overdue_open),
            Col::ThirdParty => Cell::Int(i.third_party_findings),
            Col::Intake => Cell::Int(i.intake),
            Col::ClosureRate => p(i.closure_rate),
            Col::OnTimeClosureRate => p(i.on_time_closure_rate),
            Col::HandlingRate => p(i.handling_rate),
            Col::OnTimeHandlingRate => p(i.on_time_handling_rate),
            Col::ReworkRate => p(i.rework_rate),
            Col::AccurateDispatchRate => p(i.accurate_dispatch_rate),
            Col::OnTimeDispatchRate => p(i.on_time_dispatch_rate),
            Col::ValidReportRate => p(i.valid_report_rate),
            Col::MissedRate => p(i.missed_report_rate),
            Col::PublicReportRate => p(i.public_report_rate),
            Col::OnTimeVerify => p(i.on_time_verification_rate),
            Col::OnTimeCheck => p(i.on_time_check_rate),
            Col::OnTimeVerifySending => p(i.on_time_verify_sending_rate),
            Col::OnTimeCheckSending => p(i.on_time_check_sending_rate),
            Col::OnTimeFiling => p(i.on_time_filing_rate),
            Col::AccurateFiling => p(i.accurate_filing_rate),
            Col::OnTimeClose => p(i.on_time_close_rate),
            Col::AvgHours => i.avg_handling_hours.map_or(Cell::Empty, Cell::Number),
            Col::Satisfaction => p(i.satisfaction_rate),
            Col::Transfer => p(i.transfer_rate),
            Col::Reply => p(i.reply_rate),
        }
    }
}

fn columns_for(kind: ScopeKind) -> &'static [Col] {
    use Col::*;
    match kind {
        ScopeKind::Person(Role::Inspector) => &[
            Reported,
            ValidReports,
            ValidReportRate,
            MissedRate,
            OnTimeVerify,
            OnTimeCheck,
        ],
        ScopeKind::Person(Role::Operator) => &[Intake, OnTimeVerifySending, OnTimeCheckSending],
        ScopeKind::Person(Role::ShiftSupervisor) => {
            &[Filed, OnTimeFiling, AccurateFiling, OnTimeClose]
        }
        ScopeKind::Person(Role::Dispatcher) | ScopeKind::Person(_) => {
            &[Dispatched, OnTimeDispatchRate, AccurateDispatchRate]
        }
        ScopeKind::Department => &[
            Dispatched,
            Handled,
            Closed,
            OverdueOpen,
            ClosureRate,
            HandlingRate,
            OnTimeHandlingRate,
            ReworkRate,
            AvgHours,
        ],
        ScopeKind::RoadChief => &[
            Reported,
            Filed,
            Closed,
            OverdueOpen,
            ThirdParty,
            ClosureRate,
            OnTimeClosureRate,
            ReworkRate,
        ],
        ScopeKind::City | ScopeKind::Area(_) => &[
            Reported,
            ValidReports,
            Filed,
            Dispatched,
            Handled,
            Closed,
            OverdueOpen,
            ThirdParty,
            ClosureRate,
            OnTimeClosureRate,
            HandlingRate,
            OnTimeHandlingRate,
            ReworkRate,
            AccurateDispatchRate,
            PublicReportRate,
            AvgHours,
            Satisfaction,
            Transfer,
            Reply,
        ],
    }
}

fn col(header: &str, width: f64) -> Column {
    Column {
        header: header.to_owned(),
        width,
    }
}

fn sheet_name(title: &str) -> String {
    // Excel forbids []:*?/\ in sheet names and allows 31 characters.
    title
        .chars()
        .filter(|c| !matches!(c, '[' | ']' | ':' | '*' | '?' | '/' | '\\'))
        .take(31)
        .collect()
}

fn ranking_table(data: &ReportData, section: &RankingSection) -> Table {
    let cols = columns_for(section.kind);
    let mut columns = vec![
        col("排名", 6.0),
        col("对象", 24.0),
        col("综合得分", 10.0),
        col("等级", 6.0),
    ];
    columns.extend(cols.iter().map(|c| {
        col(
            c.header(),
            (c.header().chars().count() as f64 * 2.2).max(10.0),
        )
    }));
    let rows = section
        .rows
        .iter()
        .map(|r| {
            let mut row = vec![
                Cell::Int(i64::from(r.rank)),
                Cell::Text(data.name_of(&r.scope)),
                Cell::Number(r.score.value),
                Cell::Text(r.score.grade.as_str().to_owned()),
            ];
            row.extend(cols.iter().map(|c| c.cell(&r.indicators)));
            row
        })
        .collect();
    Table {
        name: sheet_name(&section.title),
        columns,
        rows,
    }
}

fn flags_table(data: &ReportData) -> Table {
    Table {
        name: "红黑旗".to_owned(),
        columns: vec![
            col("周", 12.0),
            col("旗帜", 8.0),
            col("名次", 6.0),
            col("对象", 24.0),
            col("综合得分", 10.0),
            col("暗访发现数", 12.0),
            col("评旗得分", 10.0),
        ],
        rows: data
            .flags
            .iter()
            .map(|f| {
                vec![
                    Cell::Text(f.week_start.to_string()),
                    Cell::Text(f.kind.label_zh().to_owned()),
                    Cell::Int(i64::from(f.rank)),
                    Cell::Text(data.name_of(&f.scope)),
                    Cell::Number(f.composite),
                    Cell::Int(f.third_party_findings),
                    Cell::Number(f.flag_score),
                ]
            })
            .collect(),
    }
}

fn daily_table(points: &[DailyPoint]) -> Table {
    Table {
        name: "每日趋势".to_owned(),
        columns: vec![
            col("日期", 12.0),
            col("上报数", 10.0),
            col("立案数", 10.0),
            col("派遣数", 10.0),
            col("处置数", 10.0),
            col("结案数", 10.0),
            col("超期未处置数", 14.0),
        ],
        rows: points
            .iter()
            .map(|p| {
                vec![
                    Cell::Text(p.date.to_string()),
                    Cell::Int(p.reported),
                    Cell::Int(p.filed),
                    Cell::Int(p.dispatched),
                    Cell::Int(p.handled),
                    Cell::Int(p.closed),
                    Cell::Int(p.overdue_open),
                ]
            })
            .collect(),
    }
}

fn matters_table(categories: &[Category], rollup: &Rollup) -> Table {
    let name_of = |id: i64| {
        categories
            .iter()
            .find(|c| c.id == id)
            .map_or_else(|| id.to_string(), |c| c.name.clone())
    };
    let mut rows: Vec<Vec<Cell>> = rollup
        .by_category
        .iter()
        .map(|(id, c)| {
            vec![
                Cell::Text(name_of(*id)),
                Cell::Int(i64::from(c.total)),
                Cell::Int(i64::from(c.done)),
                Cell::Int(i64::from(c.in_progress)),
                Cell::Int(i64::from(c.planned)),
                Cell::Percent((c.total > 0).then(|| f64::from(c.done) / f64::from(c.total))),
                Cell::Int(i64::from(c.with_overdue_milestones)),
            ]
        })
        .collect();
    let t = rollup.total;
    rows.push(vec![
        Cell::Text("合计".to_owned()),
        Cell::Int(i64::from(t.total)),
        Cell::Int(i64::from(t.done)),
        Cell::Int(i64::from(t.in_progress)),
        Cell::Int(i64::from(t.planned)),
        Cell::Percent((t.total > 0).then(|| f64::from(t.done) / f64::from(t.total))),
        Cell::Int(i64::from(t.with_overdue_milestones)),
    ]);
    Table {
        name: "我为群众办实事".to_owned(),
        columns: vec![
            col("类别", 20.0),
            col("总数", 8.0),
            col(MatterStatus::Done.label_zh(), 8.0),
            col(MatterStatus::InProgress.label_zh(), 8.0),
            col(MatterStatus::Planned.label_zh(), 10.0),
            col("办结率", 10.0),
            col("节点逾期项数", 14.0),
        ],
        rows,
    }
}

/// Writes a table as CSV: UTF-8 with a byte-order mark (so that Excel reads the Chinese
/// headers), header row first, percentages as numbers with two decimals and a `(%)` header
/// suffix, blanks for "not applicable".
pub fn write_csv(table: &Table) -> Result<Vec<u8>, AssessmentError> {
    let mut buf = Vec::from("\u{feff}".as_bytes());
    {
        let mut w = csv::Writer::from_writer(&mut buf);
        let percent_cols: Vec<bool> = (0..table.columns.len())
            .map(|i| {
                table
                    .rows
                    .iter()
                    .any(|r| matches!(r.get(i), Some(Cell::Percent(_))))
            })
            .collect();
        let headers: Vec<String> = table
            .columns
            .iter()
            .zip(&percent_cols)
            .map(|(c, p)| {
                if *p {
                    format!("{}(%)", c.header)
                } else {
                    c.header.clone()
                }
            })
            .collect();
        w.write_record(&headers)?;
        for row in &table.rows {
            let fields: Vec<String> = row
                .iter()
                .map(|c| match c {
                    Cell::Text(s) => s.clone(),
                    Cell::Int(v) => v.to_string(),
                    Cell::Number(v) => format!("{v:.2}"),
                    Cell::Percent(Some(v)) => format!("{:.2}", v * 100.0),
                    Cell::Percent(None) | Cell::Empty => String::new(),
                })
                .collect();
            w.write_record(&fields)?;
        }
        w.flush()?;
    }
    Ok(buf)
}

/// The daily series of one scope over a period (for the trend chart).
pub fn daily_series(agg: &Aggregates, scope: &Scope, period: Period) -> Vec<DailyPoint> {
    let mut overdue = agg.overdue_open(scope, period.first.plus(-1));
    period
        .days()
        .map(|day| {
            let c = agg.day(scope, day);
            overdue += c.get(Counter::HandlingDue) - c.get(Counter::HandlingLeftLate);
            DailyPoint {
                date: day.date(),
                reported: c.get(Counter::Reported),
                filed: c.get(Counter::Filed),
                dispatched: c.get(Counter::Dispatches),
                handled: c.get(Counter::Handled),
                closed: c.get(Counter::Closed),
                overdue_open: overdue,
            }
        })
        .collect()
}

/// A named series of (label, value) points, e.g. 结案率 by street for a bar chart.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Series {
    pub name: String,
    pub points: Vec<(String, Option<f64>)>,
}

/// One rate of every ranked scope, in ranking order (e.g. closure rate by street).
pub fn rate_series(
    data: &ReportData,
    section: &RankingSection,
    name: &str,
    rate: impl Fn(&Indicators) -> Ratio,
) -> Series {
    Series {
        name: name.to_owned(),
        points: section
            .rows
            .iter()
            .map(|r| (data.name_of(&r.scope), rate(&r.indicators).value()))
            .collect(),
    }
}
