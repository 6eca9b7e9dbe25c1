//! Automatic assessment 考核自动化: indicators computed from the case audit trail for any period
//! and any scope, kept as additive per-day counters updated on each transition; composite scores,
//! grades and rankings; the weekly red/black-flag review 周讲评; cycle tasks 周期案件; the
//! practical-matters list 我为群众办实事; and the xlsx/CSV reports. Pure: no IO, no clock.
//!
//! # Data flow
//!
//! ```text
//! case_events row + its case ──▶ AuditEvent ──increments(track, event, calendar)──▶ Vec<Increment>
//!                                                   │                        (day, scope, counter, delta)
//!                                                   ▼                                   │
//!                                CaseTrack (per case, kept by the store)   store: UPDATE … SET v = v + delta
//!                                                                                       │
//! period query:  Σ counters over the period's days + overdue prefix sum ──▶ Indicators ──▶ Score ──▶ rank / flags
//! ```
//!
//! [`recompute`] rebuilds the same counters from the whole trail; the property test checks that
//! the incremental path equals it after random transition sequences.
//!
//! # Scopes
//!
//! Case-level counters go to the **case scopes** of the event ([`counters::case_scopes`]): the
//! city, the case's district, street, community and unit grid, its road chief 路长 and its
//! department 处置部门 (once it has one). Person counters go to one person scope, `Person(role,
//! user)` (监督员 inspector, 受理员 operator, 值班长 shift supervisor, 派遣员 dispatcher). Counters
//! are bucketed by the Asia/Shanghai day of the event (the handling-due counter by the day of
//! the deadline).
//!
//! # Counters — what is counted where
//!
//! | counter | +1 (or the value) when | scopes |
//! |---|---|---|
//! | `reported` 上报数 | a report (`report`, `report_self_handled`) | case; inspector (reporting inspector) |
//! | `public_reported` 监督举报数 | a report from a public channel ([`event::is_public_source`]) | case |
//! | `third_party_findings` 暗访发现数 | a report from 第三方暗访 | case |
//! | `valid_reports` 有效上报数 | the case's first of: filed, voided, or closed self-handled | case; reporting inspector |
//! | `public_verified` 监督举报核实数 | first confirmed `verify` of a public report | case |
//! | `missed` 漏报数 | same event | inspector responsible for the grid |
//! | `rejected` | `reject_report`, `reject` | case |
//! | `voided` 作废数 | `approve_void` | case |
//! | `filed` 立案数 | `file` | case; grid inspector; filing shift supervisor |
//! | `filed_on_time` 按时立案数 | `file` before the filing node's deadline | shift supervisor |
//! | `filed_then_voided` | `approve_void` of a filed case | the shift supervisor who filed it |
//! | `dispatches` 派遣数 | `dispatch` (each) | case; dispatcher |
//! | `dispatches_on_time` 按时派遣数 | `dispatch` before the dispatch node's deadline | dispatcher |
//! | `inaccurate_dispatches` 错误派遣数 | a `dispatch` to another department than the previous dispatch | case (department: the one wrongly sent to); the previous dispatcher |
//! | `hotline_received` / `hotline_transferred` 转办 | hotline report / first dispatch of a hotline case | case |
//! | `hotline_reply_due` / `hotline_replied` 回复 | hotline case first reaching closed or rejected / first `reply` | case |
//! | `feedbacks` | `feedback` (each round) | case |
//! | `handling_minutes` | at `feedback`: working minutes from the round's dispatch (or rework) to it, less suspensions | case |
//! | `handled` 处置数 | `feedback` +1; `rework` −1 (takes the reworked feedback back) | case |
//! | `handled_on_time` 按时处置数 | on-time `feedback` +1; `rework` of an on-time feedback −1 | case |
//! | `reworks` 返工次数 | `rework` | case |
//! | `closed` 结案数 | `close` of a dispatched case | case |
//! | `closed_on_time` 按期结案数 | `close` whose last feedback was on time | case |
//! | `closed_reworked` 返工数 | `close` of a case reworked at least once (counted at 结案, as the reference says) | case |
//! | `closed_self_handled` | `close` of a never-dispatched (自行处置) case | case |
//! | `closes` / `closes_on_time` 按时结案 | `close` / before the close node's deadline | shift supervisor |
//! | `handling_due` | entering handling with deadline D: +1 on D's day; leaving it (or a new deadline) by D: −1 on D's day | case (as at entry) |
//! | `handling_left_late` | leaving handling (or a new deadline) after D: +1 on that day | case (as at entry) |
//! | `intake` 受理数 | `send_verify`, `accept`, `reject_report` | operator |
//! | `verify_sent` / `verify_sent_on_time` | `send_verify` / before the intake node's deadline | operator |
//! | `check_sent` / `check_sent_on_time` | `send_check` / before the pending-check node's deadline | operator |
//! | `verify_tasks` 应核实数 / `check_tasks` 应核查数 | `send_verify` / `send_check` | the inspector sent |
//! | `verified`, `verified_on_time` 按时核实数 | `verify` / before the verify node's deadline | acting inspector |
//! | `checked`, `checked_on_time` 按时核查数 | `check` / before the check node's deadline | acting inspector |
//! | `rated` / `satisfied` 满意数 | first `rate` of the case / with `satisfied: true` | case |
//!
//! "On time" means the event's instant is no later than `deadline_before` (the node's
//! `node_deadline_at` before the transition); a node without a deadline counts as on time.
//!
//! # Indicators — formulas (standards reference §5.2, §4.5)
//!
//! | indicator | formula over a period's counters |
//! |---|---|
//! | 超期未处置数 overdue open | Σ over **all** days ≤ period end of `handling_due − handling_left_late` (a stock) |
//! | 应结案数 | `handled + overdue_open` |
//! | 结案率 closure rate | `closed / 应结案数` |
//! | 按期结案率 on-time closure rate | `closed_on_time / 应结案数` |
//! | 处置率 handling rate | `handled / 应结案数` |
//! | 按时处置率 on-time handling rate | `handled_on_time / 应结案数` |
//! | 返工率 rework rate | `closed_reworked / closed` |
//! | 准确派遣率 accurate dispatch rate | `(dispatches − inaccurate_dispatches) / dispatches` |
//! | 按时派遣率 | `dispatches_on_time / dispatches` |
//! | 有效上报率 | `valid_reports / reported` |
//! | 漏报率 missed-report rate (inspector) | `missed / filed` (both in the inspector's grids) |
//! | 监督举报率 (area) | `public_verified / filed` |
//! | 按时核实率 / 按时核查率 | `verified_on_time / verify_tasks`, `checked_on_time / check_tasks` |
//! | 核实/核查按时派发率 (operator) | `verify_sent_on_time / verify_sent`, `check_sent_on_time / check_sent` |
//! | 按时立案率 / 准确立案率 / 按时结案率 (shift supervisor) | `filed_on_time / filed`, `(filed − filed_then_voided) / filed`, `closes_on_time / closes` |
//! | average handling time (working hours) | `handling_minutes / feedbacks / 60` |
//! | 满意率 satisfaction | `satisfied / rated` |
//! | 转办率 / 回复率 (hotline) | `hotline_transferred / hotline_received`, `hotline_replied / hotline_reply_due` |
//!
//! Rates keep numerator and denominator ([`indicators::Ratio`]); a rate across a period
//! boundary can exceed 100 % (handled last month, closed this month), as the reference's
//! definitions imply.
//!
//! Scores, grades and the ranking tie rule: [`scores`]. Flags and their tie rule: [`flags`].

pub mod counters;
pub mod cycle;
pub mod event;
pub mod flags;
pub mod indicators;
pub mod matters;
pub mod recompute;
pub mod report;
pub mod scope;
pub mod scores;
pub mod xlsx;

pub use counters::{Aggregates, CaseTrack, Counter, Counters, Increment, Tracker, increments};
pub use event::{Action, AuditEvent, CaseFacts};
pub use indicators::{Indicators, Ratio};
pub use recompute::recompute;
pub use scope::{Day, Period, Scope, ScopeKind};

/// Why a report could not be produced.
#[derive(Debug, thiserror::Error)]
pub enum AssessmentError {
    /// The xlsx writer failed.
    #[error("xlsx: {0}")]
    Xlsx(#[from] rust_xlsxwriter::XlsxError),
    /// The CSV writer failed.
    #[error("csv: {0}")]
    Csv(#[from] csv::Error),
    /// Writing to the in-memory buffer failed.
    #[error("io: {0}")]
    Io(#[from] std::io::Error),
    /// More rows or columns than a worksheet holds.
    #[error("table too large for a worksheet")]
    TooLarge,
}
