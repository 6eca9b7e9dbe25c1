//! The component and matter taxonomy (GB/T 47678.5-2026 and others, keyed by `standard_ref`).
//!
//! The shipped classes live in `crates/domain/data/taxonomy.csv` (embedded with `include_str!`;
//! columns and provenance in `crates/domain/data/README.md`): all 403 classes of GB/T
//! 47678.5-2026 (153 部件 components, 250 事项 matters) with a default department type,
//! 立案条件, 结案条件 and seed 处置时限 per urgency, plus a few flagged local extensions.
//!
//! A class is keyed by `(standard_ref, kind, code)`: component and matter codes overlap
//! (component `01001` 供水井盖, matter `01001` 供水井盖异常). Cases reference matter classes;
//! component classes describe inventory, and in the shipped data each mirrors the department,
//! conditions and limits of its "异常" matter.
//!
//! [`parse_classes_csv`] reads the same format for admin import, with strict validation and
//! 1-based line numbers in every error; [`classes_to_csv`] writes it back.

use std::collections::HashMap;
use std::fmt;
use std::str::FromStr;

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

impl LimitUnit {
    /// The suffix in the CSV form: `m`, `h` or `d`.
    pub fn suffix(self) -> char {
        match self {
            LimitUnit::WorkMinutes => 'm',
            LimitUnit::WorkHours => 'h',
            LimitUnit::WorkDays => 'd',
        }
    }

    /// The unit for a CSV suffix.
    pub fn from_suffix(c: char) -> Option<LimitUnit> {
        match c {
            'm' => Some(LimitUnit::WorkMinutes),
            'h' => Some(LimitUnit::WorkHours),
            'd' => Some(LimitUnit::WorkDays),
            _ => None,
        }
    }

    /// The Chinese name shown in the UI.
    pub fn label_zh(self) -> &'static str {
        match self {
            LimitUnit::WorkMinutes => "工作分钟",
            LimitUnit::WorkHours => "工作时",
            LimitUnit::WorkDays => "工作日",
        }
    }
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

    /// The Chinese form shown in the UI, e.g. "4 工作时".
    pub fn label_zh(self) -> String {
        format!("{} {}", self.amount, self.unit.label_zh())
    }
}

/// The CSV form: `30m`, `4h`, `2d`.
impl fmt::Display for TimeLimit {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}{}", self.amount, self.unit.suffix())
    }
}

impl FromStr for TimeLimit {
    type Err = ParseTimeLimitError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        parse_time_limit(s)
    }
}

/// A time limit that is not of the form `30m` / `4h` / `2d`.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error(
    "bad time limit {input:?}: expected a positive whole number followed by m (work minutes), \
     h (work hours) or d (work days), e.g. 30m, 4h, 2d"
)]
pub struct ParseTimeLimitError {
    input: String,
}

impl ParseTimeLimitError {
    /// The text that failed to parse.
    pub fn input(&self) -> &str {
        &self.input
    }
}

/// Parses the CSV form of a time limit: a positive whole number and a unit suffix, `m` (工作分钟),
/// `h` (工作时) or `d` (工作日), with nothing else — `30m`, `4h`, `2d`.
pub fn parse_time_limit(s: &str) -> Result<TimeLimit, ParseTimeLimitError> {
    let bad = || ParseTimeLimitError {
        input: s.to_owned(),
    };
    let mut chars = s.chars();
    let unit = chars
        .next_back()
        .and_then(LimitUnit::from_suffix)
        .ok_or_else(bad)?;
    let digits = chars.as_str();
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return Err(bad());
    }
    let amount: u32 = digits.parse().map_err(|_| bad())?;
    if amount == 0 {
        return Err(bad());
    }
    Ok(TimeLimit { amount, unit })
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

    /// Whether urgent ≤ high ≤ normal, in working minutes under a day of the given length.
    pub fn is_ordered(&self, minutes_per_workday: i64) -> bool {
        let [u, h, n] =
            [self.urgent, self.high, self.normal].map(|l| l.working_minutes(minutes_per_workday));
        u <= h && h <= n
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

/// The working-day length (7 h, the default schedule) under which a row's limits must be ordered
/// urgent ≤ high ≤ normal.
pub const VALIDATION_MINUTES_PER_WORKDAY: i64 = 420;

/// The columns of the taxonomy CSV, in the order [`classes_to_csv`] writes them. A file read by
/// [`parse_classes_csv`] must have each exactly once, in any order, and no others.
pub const CSV_COLUMNS: [&str; 13] = [
    "standard_ref",
    "kind",
    "major_code",
    "major_name",
    "code",
    "name",
    "department_type",
    "filing_conditions",
    "closing_condition",
    "limit_urgent",
    "limit_high",
    "limit_normal",
    "is_local_extension",
];

/// Separates the 立案条件 inside the `filing_conditions` column.
pub const FILING_CONDITION_SEPARATOR: char = '|';

/// The shipped taxonomy file.
pub const BUILTIN_CSV: &str = include_str!("../data/taxonomy.csv");

/// The classes shipped with yiwang.
pub fn builtin_classes() -> Result<Vec<TaxonomyClass>, TaxonomyError> {
    parse_classes_csv(BUILTIN_CSV)
}

// Column positions in `CSV_COLUMNS`.
const STANDARD_REF: usize = 0;
const KIND: usize = 1;
const MAJOR_CODE: usize = 2;
const MAJOR_NAME: usize = 3;
const CODE: usize = 4;
const NAME: usize = 5;
const DEPARTMENT_TYPE: usize = 6;
const FILING_CONDITIONS: usize = 7;
const CLOSING_CONDITION: usize = 8;
const LIMIT_URGENT: usize = 9;
const LIMIT_HIGH: usize = 10;
const LIMIT_NORMAL: usize = 11;
const IS_LOCAL_EXTENSION: usize = 12;

fn bad_row(line: usize, message: impl Into<String>) -> TaxonomyError {
    TaxonomyError::BadRow {
        line,
        message: message.into(),
    }
}

/// Turns the csv crate's byte offsets into 1-based line numbers. (Its own line counts go wrong
/// after blank lines and with CRLF endings; its byte offsets point at the end of the previous
/// record, before any blank lines, which are skipped here.)
struct Lines<'a> {
    text: &'a [u8],
    /// Byte offset of every `\n`.
    newlines: Vec<usize>,
}

impl<'a> Lines<'a> {
    fn new(text: &'a str) -> Self {
        let text = text.as_bytes();
        let newlines = text
            .iter()
            .enumerate()
            .filter(|(_, b)| **b == b'\n')
            .map(|(i, _)| i);
        Lines {
            text,
            newlines: newlines.collect(),
        }
    }

    fn at(&self, pos: &csv::Position) -> usize {
        let mut byte = usize::try_from(pos.byte())
            .unwrap_or(usize::MAX)
            .min(self.text.len());
        while matches!(self.text.get(byte), Some(b'\r' | b'\n')) {
            byte += 1;
        }
        self.newlines.partition_point(|&nl| nl < byte) + 1
    }

    fn error(&self, err: &csv::Error, fallback_line: usize) -> TaxonomyError {
        let line = err.position().map_or(fallback_line, |p| self.at(p));
        let message = match err.kind() {
            csv::ErrorKind::UnequalLengths {
                expected_len, len, ..
            } => {
                format!("expected {expected_len} fields, found {len}")
            }
            csv::ErrorKind::Utf8 { .. } => "not valid UTF-8".to_owned(),
            _ => format!("unreadable CSV: {err}"),
        };
        bad_row(line, message)
    }
}

/// Maps each of `CSV_COLUMNS` to its position in the file's header.
fn locate_columns(header: &csv::StringRecord, line: usize) -> Result<[usize; 13], TaxonomyError> {
    let mut at: [Option<usize>; 13] = [None; 13];
    for (i, name) in header.iter().enumerate() {
        let Some(col) = CSV_COLUMNS.iter().position(|c| *c == name) else {
            return Err(bad_row(
                line,
                format!(
                    "unknown column {name:?}; expected {}",
                    CSV_COLUMNS.join(",")
                ),
            ));
        };
        if at[col].replace(i).is_some() {
            return Err(bad_row(line, format!("column {name:?} appears twice")));
        }
    }
    let mut out = [0; 13];
    for (col, slot) in at.iter().enumerate() {
        out[col] = slot.ok_or_else(|| {
            bad_row(
                line,
                format!("missing column {:?} in the header", CSV_COLUMNS[col]),
            )
        })?;
    }
    Ok(out)
}

fn is_digits(s: &str, len: usize) -> bool {
    s.len() == len && s.bytes().all(|b| b.is_ascii_digit())
}

/// One data row, checked on its own (no cross-row checks).
fn parse_row(line: usize, field: impl Fn(usize) -> String) -> Result<TaxonomyClass, TaxonomyError> {
    let err = |message: String| bad_row(line, message);
    let required = |col: usize| -> Result<String, TaxonomyError> {
        let v = field(col);
        if v.is_empty() {
            Err(err(format!("column {} is empty", CSV_COLUMNS[col])))
        } else {
            Ok(v)
        }
    };

    let standard_ref = required(STANDARD_REF)?;
    let kind_text = required(KIND)?;
    let kind = ClassKind::parse(&kind_text).ok_or_else(|| {
        err(format!(
            "unknown kind {kind_text:?}; expected \"component\" or \"matter\""
        ))
    })?;
    let major_code = required(MAJOR_CODE)?;
    if !is_digits(&major_code, 2) {
        return Err(err(format!("major_code {major_code:?} is not 2 digits")));
    }
    let major_name = required(MAJOR_NAME)?;
    let code = required(CODE)?;
    if !is_digits(&code, 5) {
        return Err(err(format!("code {code:?} is not 5 digits")));
    }
    if !code.starts_with(major_code.as_str()) {
        return Err(err(format!(
            "code {code} does not start with its major_code {major_code}"
        )));
    }
    let name = required(NAME)?;
    let department_text = required(DEPARTMENT_TYPE)?;
    let department_type = DepartmentType::parse(&department_text).ok_or_else(|| {
        let known: Vec<&str> = DepartmentType::ALL.iter().map(|d| d.as_str()).collect();
        err(format!(
            "unknown department_type {department_text:?}; expected one of {}",
            known.join(", ")
        ))
    })?;
    let filing_text = required(FILING_CONDITIONS)?;
    let mut filing_conditions = Vec::new();
    for condition in filing_text.split(FILING_CONDITION_SEPARATOR) {
        let condition = condition.trim();
        if condition.is_empty() {
            return Err(err(format!(
                "filing_conditions has an empty condition (conditions are separated by \
                 {FILING_CONDITION_SEPARATOR:?})"
            )));
        }
        filing_conditions.push(condition.to_owned());
    }
    let closing_condition = required(CLOSING_CONDITION)?;
    let limit = |col: usize| -> Result<TimeLimit, TaxonomyError> {
        parse_time_limit(&required(col)?)
            .map_err(|e| err(format!("column {}: {e}", CSV_COLUMNS[col])))
    };
    let limits = HandlingLimits {
        urgent: limit(LIMIT_URGENT)?,
        high: limit(LIMIT_HIGH)?,
        normal: limit(LIMIT_NORMAL)?,
    };
    if !limits.is_ordered(VALIDATION_MINUTES_PER_WORKDAY) {
        return Err(err(format!(
            "limits must satisfy urgent ≤ high ≤ normal (counting a working day as \
             {VALIDATION_MINUTES_PER_WORKDAY} minutes), got {} / {} / {}",
            limits.urgent, limits.high, limits.normal
        )));
    }
    let local_text = required(IS_LOCAL_EXTENSION)?;
    let is_local_extension = match local_text.as_str() {
        "true" => true,
        "false" => false,
        other => {
            return Err(err(format!(
                "is_local_extension {other:?} is not \"true\" or \"false\""
            )));
        }
    };

    Ok(TaxonomyClass {
        standard_ref,
        kind,
        major_code,
        major_name,
        code,
        name,
        department_type,
        filing_conditions,
        closing_condition,
        limits,
        is_local_extension,
    })
}

/// Parses taxonomy classes from CSV text in the shipped format (see [`CSV_COLUMNS`]), for the
/// built-in file and admin import alike.
///
/// The first line is the header. Fields are trimmed; a leading UTF-8 BOM and CRLF line endings are
/// accepted. Every row is checked: known kind and department type, a 2-digit `major_code`, a
/// 5-digit `code` that starts with it, non-empty names and conditions, limits like `30m`/`4h`/`2d`
/// ordered urgent ≤ high ≤ normal (at [`VALIDATION_MINUTES_PER_WORKDAY`]), `true`/`false` for
/// `is_local_extension`, no duplicate `(standard_ref, kind, code)`, and one `major_name` per
/// `(standard_ref, kind, major_code)`. The first problem is returned with its 1-based line.
pub fn parse_classes_csv(text: &str) -> Result<Vec<TaxonomyClass>, TaxonomyError> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(true)
        .trim(csv::Trim::All)
        .from_reader(text.as_bytes());
    let lines = Lines::new(text);
    let header = reader.headers().map_err(|e| lines.error(&e, 1))?.clone();
    let header_line = header.position().map_or(1, |p| lines.at(p));
    let columns = locate_columns(&header, header_line)?;

    let mut classes = Vec::new();
    // (standard_ref, kind, code) → line of first definition.
    let mut seen: HashMap<(String, ClassKind, String), usize> = HashMap::new();
    // (standard_ref, kind, major_code) → (major_name, line of first use).
    let mut majors: HashMap<(String, ClassKind, String), (String, usize)> = HashMap::new();
    let mut last_line = header_line;
    for result in reader.records() {
        let record = result.map_err(|e| lines.error(&e, last_line + 1))?;
        let line = record.position().map_or(last_line + 1, |p| lines.at(p));
        last_line = line;
        let class = parse_row(line, |col| {
            record.get(columns[col]).unwrap_or("").to_owned()
        })?;

        let key = (class.standard_ref.clone(), class.kind, class.code.clone());
        if let Some(first) = seen.get(&key) {
            return Err(bad_row(
                line,
                format!(
                    "duplicate class ({}, {}, {}); first defined on line {first}",
                    class.standard_ref,
                    class.kind.as_str(),
                    class.code
                ),
            ));
        }
        seen.insert(key, line);

        let major_key = (
            class.standard_ref.clone(),
            class.kind,
            class.major_code.clone(),
        );
        match majors.get(&major_key) {
            Some((name, first)) if *name != class.major_name => {
                return Err(bad_row(
                    line,
                    format!(
                        "major_name {:?} for major_code {} differs from {name:?} on line {first}",
                        class.major_name, class.major_code
                    ),
                ));
            }
            Some(_) => {}
            None => {
                majors.insert(major_key, (class.major_name.clone(), line));
            }
        }
        classes.push(class);
    }
    Ok(classes)
}

fn push_csv_field(out: &mut String, field: &str) {
    let needs_quotes =
        field.is_empty() || field.contains([',', '"', '\n', '\r']) || field.trim() != field;
    if needs_quotes {
        out.push('"');
        out.push_str(&field.replace('"', "\"\""));
        out.push('"');
    } else {
        out.push_str(field);
    }
}

/// Writes classes in the format [`parse_classes_csv`] reads (header and columns as
/// [`CSV_COLUMNS`], `\n` line endings), e.g. for an admin to export, edit and re-import.
///
/// Filing conditions are joined with [`FILING_CONDITION_SEPARATOR`]; a condition that itself
/// contains that character, or surrounding whitespace, does not survive a round trip.
pub fn classes_to_csv(classes: &[TaxonomyClass]) -> String {
    let mut out = CSV_COLUMNS.join(",");
    out.push('\n');
    for c in classes {
        let filing = c
            .filing_conditions
            .join(&FILING_CONDITION_SEPARATOR.to_string());
        let fields: [&str; 13] = [
            &c.standard_ref,
            c.kind.as_str(),
            &c.major_code,
            &c.major_name,
            &c.code,
            &c.name,
            c.department_type.as_str(),
            &filing,
            &c.closing_condition,
            &c.limits.urgent.to_string(),
            &c.limits.high.to_string(),
            &c.limits.normal.to_string(),
            if c.is_local_extension {
                "true"
            } else {
                "false"
            },
        ];
        for (i, field) in fields.iter().enumerate() {
            if i > 0 {
                out.push(',');
            }
            push_csv_field(&mut out, field);
        }
        out.push('\n');
    }
    out
}

fn kind_slot(kind: ClassKind) -> usize {
    match kind {
        ClassKind::Component => 0,
        ClassKind::Matter => 1,
    }
}

/// An index over taxonomy classes by `(standard_ref, kind, code)`, keeping their order.
#[derive(Clone, Debug, Default)]
pub struct Taxonomy {
    classes: Vec<TaxonomyClass>,
    /// standard_ref → [component codes, matter codes] → position in `classes`.
    by_key: HashMap<String, [HashMap<String, usize>; 2]>,
    /// matter code → position of the preferred matter with that code.
    matter_by_code: HashMap<String, usize>,
}

impl Taxonomy {
    /// Indexes `classes`. A class whose `(standard_ref, kind, code)` repeats an earlier one
    /// replaces it in place, so `builtin` followed by admin-imported rows overrides the defaults.
    pub fn new(classes: Vec<TaxonomyClass>) -> Taxonomy {
        let mut t = Taxonomy::default();
        for class in classes {
            let slot =
                &mut t.by_key.entry(class.standard_ref.clone()).or_default()[kind_slot(class.kind)];
            match slot.get(&class.code) {
                Some(&i) => t.classes[i] = class,
                None => {
                    slot.insert(class.code.clone(), t.classes.len());
                    t.classes.push(class);
                }
            }
        }
        for (i, class) in t.classes.iter().enumerate() {
            if class.kind != ClassKind::Matter {
                continue;
            }
            let national = class.standard_ref == GB_47678_5_2026;
            let entry = t.matter_by_code.entry(class.code.clone()).or_insert(i);
            if national && t.classes[*entry].standard_ref != GB_47678_5_2026 {
                *entry = i;
            }
        }
        t
    }

    /// The shipped classes, indexed.
    pub fn builtin() -> Result<Taxonomy, TaxonomyError> {
        Ok(Taxonomy::new(builtin_classes()?))
    }

    /// The class with this exact key.
    pub fn get(&self, standard_ref: &str, kind: ClassKind, code: &str) -> Option<&TaxonomyClass> {
        let i = self.by_key.get(standard_ref)?[kind_slot(kind)].get(code)?;
        self.classes.get(*i)
    }

    /// The matter with this code: the GB/T 47678.5-2026 one if there is one, otherwise the first
    /// in order among other standards and local extensions.
    pub fn find_matter(&self, code: &str) -> Option<&TaxonomyClass> {
        self.matter_by_code
            .get(code)
            .and_then(|i| self.classes.get(*i))
    }

    /// All classes, in order.
    pub fn iter(&self) -> std::slice::Iter<'_, TaxonomyClass> {
        self.classes.iter()
    }

    /// All classes, in order.
    pub fn classes(&self) -> &[TaxonomyClass] {
        &self.classes
    }

    /// All matter classes, in order.
    pub fn matters(&self) -> impl Iterator<Item = &TaxonomyClass> {
        self.classes.iter().filter(|c| c.kind == ClassKind::Matter)
    }

    /// All component classes, in order.
    pub fn components(&self) -> impl Iterator<Item = &TaxonomyClass> {
        self.classes
            .iter()
            .filter(|c| c.kind == ClassKind::Component)
    }

    pub fn len(&self) -> usize {
        self.classes.len()
    }

    pub fn is_empty(&self) -> bool {
        self.classes.is_empty()
    }

    pub fn into_classes(self) -> Vec<TaxonomyClass> {
        self.classes
    }
}

impl<'a> IntoIterator for &'a Taxonomy {
    type Item = &'a TaxonomyClass;
    type IntoIter = std::slice::Iter<'a, TaxonomyClass>;

    fn into_iter(self) -> Self::IntoIter {
        self.classes.iter()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The GB/T 47678.5-2026 class list (`kind,major_code,major_name,code,name`), copied from the
    /// standards reference into the repo so CI needs nothing outside it.
    const REFERENCE_CSV: &str = include_str!("../data/reference/taxonomy-gb47678.5-2026.csv");

    const LOCAL_ZHENGZHOU: &str = "local:zhengzhou";

    fn builtin() -> Vec<TaxonomyClass> {
        match builtin_classes() {
            Ok(classes) => classes,
            Err(e) => panic!("builtin taxonomy does not load: {e}"),
        }
    }

    fn class<'a>(
        classes: &'a [TaxonomyClass],
        standard_ref: &str,
        kind: ClassKind,
        code: &str,
    ) -> &'a TaxonomyClass {
        classes
            .iter()
            .find(|c| c.standard_ref == standard_ref && c.kind == kind && c.code == code)
            .unwrap_or_else(|| panic!("no class ({standard_ref}, {kind:?}, {code})"))
    }

    fn tl(s: &str) -> TimeLimit {
        parse_time_limit(s).unwrap()
    }

    fn limits(u: &str, h: &str, n: &str) -> HandlingLimits {
        HandlingLimits {
            urgent: tl(u),
            high: tl(h),
            normal: tl(n),
        }
    }

    #[test]
    fn builtin_has_every_national_class_and_a_few_flagged_extensions() {
        let classes = builtin();
        let national: Vec<_> = classes
            .iter()
            .filter(|c| c.standard_ref == GB_47678_5_2026)
            .collect();
        let components = national
            .iter()
            .filter(|c| c.kind == ClassKind::Component)
            .count();
        let matters = national
            .iter()
            .filter(|c| c.kind == ClassKind::Matter)
            .count();
        assert_eq!((components, matters), (153, 250));
        assert!(national.iter().all(|c| !c.is_local_extension));

        let local: Vec<_> = classes
            .iter()
            .filter(|c| c.standard_ref != GB_47678_5_2026)
            .collect();
        assert!(
            (3..=6).contains(&local.len()),
            "{} local extensions",
            local.len()
        );
        for c in &local {
            assert_eq!(c.standard_ref, LOCAL_ZHENGZHOU);
            assert!(c.is_local_extension);
            assert_eq!(c.kind, ClassKind::Matter);
            // Not a renamed national class: neither the code nor the name is taken.
            assert!(
                !national
                    .iter()
                    .any(|n| n.kind == c.kind && n.code == c.code)
            );
            assert!(!national.iter().any(|n| n.name == c.name));
        }
        assert_eq!(classes.len(), 403 + local.len());
    }

    #[test]
    fn builtin_matches_the_reference_list_exactly() {
        let classes = builtin();
        let mut reader = csv::Reader::from_reader(REFERENCE_CSV.as_bytes());
        let header = reader.headers().unwrap().clone();
        assert_eq!(
            header.iter().collect::<Vec<_>>(),
            ["kind", "major_code", "major_name", "code", "name"]
        );
        let mut count = 0;
        for row in reader.records() {
            let row = row.unwrap();
            let kind = ClassKind::parse(&row[0]).unwrap();
            let c = class(&classes, GB_47678_5_2026, kind, &row[3]);
            assert_eq!(
                (
                    c.major_code.as_str(),
                    c.major_name.as_str(),
                    c.name.as_str()
                ),
                (&row[1], &row[2], &row[4]),
                "class {} {}",
                &row[0],
                &row[3]
            );
            count += 1;
        }
        assert_eq!(count, 403);
        let national = classes
            .iter()
            .filter(|c| c.standard_ref == GB_47678_5_2026)
            .count();
        assert_eq!(
            national, count,
            "builtin has national classes the reference lacks"
        );
    }

    #[test]
    fn spot_checks() {
        let classes = builtin();
        let matter = |code| class(&classes, GB_47678_5_2026, ClassKind::Matter, code);

        let exposed = matter("06010");
        assert_eq!(exposed.name, "暴露垃圾");
        assert_eq!(exposed.department_type, DepartmentType::Sanitation);
        assert_eq!(exposed.limits.normal, tl("4h"));
        assert!(
            exposed
                .filing_conditions
                .iter()
                .any(|f| f.contains("未倒入容器的生活垃圾"))
        );

        assert_eq!(matter("09006").name, "占道经营");
        assert_eq!(matter("09006").department_type, DepartmentType::Enforcement);
        assert_eq!(matter("06027").name, "油烟污染");
        assert_eq!(matter("06027").department_type, DepartmentType::Enforcement);
        assert_eq!(matter("06012").department_type, DepartmentType::Sanitation);
        assert_eq!(matter("06011").limits.normal, tl("4d"));
        assert_eq!(matter("06001").limits.normal, tl("15d"));
        assert_eq!(matter("06025").limits.normal, tl("15d"));
        assert_eq!(matter("07001").department_type, DepartmentType::Enforcement);
        assert_eq!(matter("04002").department_type, DepartmentType::Landscaping);
        assert_eq!(matter("01037").department_type, DepartmentType::Municipal);
        assert_eq!(matter("02014").department_type, DepartmentType::Traffic);
        assert_eq!(matter("03005").department_type, DepartmentType::Sanitation);

        let cover = matter("01001");
        assert_eq!(cover.name, "供水井盖异常");
        assert_eq!(cover.limits, limits("1h", "4h", "1d"));
        assert_eq!(
            cover
                .limits
                .for_urgency(Urgency::Urgent)
                .working_minutes(420),
            60
        );
        assert_eq!(
            cover.limits.for_urgency(Urgency::High).working_minutes(420),
            240
        );
        assert_eq!(
            cover
                .limits
                .for_urgency(Urgency::Normal)
                .working_minutes(420),
            420
        );
        assert!(cover.filing_conditions.iter().any(|f| f.contains("丢失")));
        assert!(!cover.closing_condition.is_empty());

        // Dangerous faults get an urgent limit of at most one working hour.
        for code in [
            "01001", "01002", "01003", "01005", "01011", "01021", "01028", "01049", "01057",
        ] {
            assert!(
                matter(code).limits.urgent.working_minutes(420) <= 60,
                "{code}"
            );
        }
    }

    #[test]
    fn components_mirror_their_abnormality_matter() {
        let classes = builtin();
        let components = classes
            .iter()
            .filter(|c| c.standard_ref == GB_47678_5_2026 && c.kind == ClassKind::Component);
        for comp in components {
            let matter = class(&classes, GB_47678_5_2026, ClassKind::Matter, &comp.code);
            if comp.code == "01066" {
                assert_eq!(matter.name, "紧急报警点异常SOS");
            } else {
                assert_eq!(matter.name, format!("{}异常", comp.name));
            }
            assert_eq!(matter.major_name, format!("{}类", comp.major_name));
            assert_eq!(
                comp.department_type, matter.department_type,
                "{}",
                comp.code
            );
            assert_eq!(comp.limits, matter.limits, "{}", comp.code);
            assert_eq!(
                comp.filing_conditions, matter.filing_conditions,
                "{}",
                comp.code
            );
            assert_eq!(
                comp.closing_condition, matter.closing_condition,
                "{}",
                comp.code
            );
        }
    }

    #[test]
    fn builtin_limits_are_ordered_for_any_plausible_working_day() {
        for c in builtin() {
            for day in (240..=600).step_by(30) {
                assert!(
                    c.limits.is_ordered(day),
                    "{} {} at {day} min/day",
                    c.kind.as_str(),
                    c.code
                );
            }
            assert!(!c.filing_conditions.is_empty());
            assert!(c.filing_conditions.iter().all(|f| !f.trim().is_empty()));
        }
    }

    #[test]
    fn builtin_file_is_canonical() {
        // What the loader reads back writes out byte for byte: no stray spaces, quoting or CRLF.
        assert_eq!(classes_to_csv(&builtin()), BUILTIN_CSV);
    }

    #[test]
    fn time_limits_parse_and_display_round_trip() {
        for (text, amount, unit, minutes) in [
            ("30m", 30, LimitUnit::WorkMinutes, 30),
            ("1h", 1, LimitUnit::WorkHours, 60),
            ("4h", 4, LimitUnit::WorkHours, 240),
            ("2d", 2, LimitUnit::WorkDays, 840),
            ("15d", 15, LimitUnit::WorkDays, 6300),
        ] {
            let limit = tl(text);
            assert_eq!(limit, TimeLimit { amount, unit });
            assert_eq!(limit.to_string(), text);
            assert_eq!(text.parse::<TimeLimit>(), Ok(limit));
            assert_eq!(limit.working_minutes(420), minutes);
        }
        assert_eq!(tl("4h").label_zh(), "4 工作时");
        assert_eq!(tl("2d").label_zh(), "2 工作日");
        assert_eq!(tl("2d").working_minutes(360), 720);

        for bad in [
            "",
            "h",
            "4",
            "4x",
            "-4h",
            "+4h",
            "0h",
            "0d",
            "4 h",
            " 4h",
            "4H",
            "4.5h",
            "4hh",
            "99999999999h",
            "４h",
        ] {
            let err = parse_time_limit(bad).unwrap_err();
            assert_eq!(err.input(), bad);
        }
    }

    #[test]
    fn time_limit_serde_is_unchanged() {
        let json = serde_json::to_string(&tl("4h")).unwrap();
        assert_eq!(json, r#"{"amount":4,"unit":"work_hours"}"#);
        let back: TimeLimit =
            serde_json::from_str(r#"{"amount":30,"unit":"work_minutes"}"#).unwrap();
        assert_eq!(back, tl("30m"));
    }

    const HEADER: &str = "standard_ref,kind,major_code,major_name,code,name,department_type,\
                          filing_conditions,closing_condition,limit_urgent,limit_high,limit_normal,\
                          is_local_extension";
    const GOOD_ROW: &str = "GB/T 47678.5-2026,matter,06,市容环境类,06010,暴露垃圾,sanitation,成堆垃圾|散落垃圾,清除,1h,2h,4h,false";

    /// A file with a good row on line 2 and `row` on line 3.
    fn with_row(row: &str) -> String {
        format!("{HEADER}\n{GOOD_ROW}\n{row}\n")
    }

    /// `GOOD_ROW` with column `col` replaced.
    fn good_row_with(col: usize, value: &str) -> String {
        let mut fields: Vec<&str> = GOOD_ROW.split(',').collect();
        fields[col] = value;
        // Keep the code unique so only the intended check fires.
        if col != CODE && col != MAJOR_CODE {
            fields[CODE] = "06011";
        }
        fields.join(",")
    }

    fn error_of(text: &str) -> (usize, String) {
        match parse_classes_csv(text) {
            Ok(classes) => panic!("accepted bad data, got {} classes", classes.len()),
            Err(TaxonomyError::BadRow { line, message }) => (line, message),
        }
    }

    #[test]
    fn good_rows_parse() {
        let classes = parse_classes_csv(&with_row(&good_row_with(NAME, "积存垃圾渣土"))).unwrap();
        assert_eq!(classes.len(), 2);
        let c = &classes[0];
        assert_eq!(c.filing_conditions, ["成堆垃圾", "散落垃圾"]);
        assert_eq!(c.limits, limits("1h", "2h", "4h"));
        assert_eq!(c.department_type, DepartmentType::Sanitation);
        assert!(!c.is_local_extension);
        assert_eq!(classes[1].code, "06011");
        assert!(
            parse_classes_csv(&format!("{HEADER}\n"))
                .unwrap()
                .is_empty()
        );
    }

    #[test]
    fn tolerates_bom_crlf_spaces_and_column_order() {
        let text = format!(
            "\u{feff}{}\r\n{}\r\n",
            HEADER.replace("standard_ref,kind", "kind , standard_ref"),
            "matter , GB/T 47678.5-2026,06,市容环境类, 06010 ,暴露垃圾,sanitation, 成堆垃圾 | 散落垃圾 ,清除,1h,2h,4h,false"
        );
        let classes = parse_classes_csv(&text).unwrap();
        assert_eq!(
            classes,
            parse_classes_csv(&format!("{HEADER}\n{GOOD_ROW}\n")).unwrap()
        );
    }

    #[test]
    fn header_errors_are_on_line_1() {
        let missing = HEADER.replace(",is_local_extension", "");
        let (line, msg) = error_of(&format!("{missing}\n"));
        assert_eq!(line, 1);
        assert!(
            msg.contains("missing column \"is_local_extension\""),
            "{msg}"
        );

        let (line, msg) = error_of(&format!("{HEADER},notes\n"));
        assert_eq!(line, 1);
        assert!(msg.contains("unknown column \"notes\""), "{msg}");

        let (line, msg) = error_of(&format!("{},kind\n", HEADER.replace(",kind", ",name2")));
        assert_eq!(line, 1);
        assert!(msg.contains("unknown column \"name2\""), "{msg}");

        let (line, msg) = error_of(&format!("{HEADER},kind\n"));
        assert_eq!(line, 1);
        assert!(msg.contains("appears twice"), "{msg}");

        let (line, _) = error_of("");
        assert_eq!(line, 1);
    }

    #[test]
    fn each_kind_of_bad_row_is_reported_with_its_line() {
        let cases: Vec<(String, &str)> = vec![
            (good_row_with(KIND, "event"), "unknown kind"),
            (good_row_with(KIND, ""), "column kind is empty"),
            (
                good_row_with(STANDARD_REF, ""),
                "column standard_ref is empty",
            ),
            (
                good_row_with(MAJOR_CODE, "6"),
                "major_code \"6\" is not 2 digits",
            ),
            (good_row_with(CODE, "0610"), "code \"0610\" is not 5 digits"),
            (good_row_with(CODE, "06O10"), "is not 5 digits"),
            (good_row_with(CODE, "060100"), "is not 5 digits"),
            (
                good_row_with(CODE, "07010"),
                "does not start with its major_code 06",
            ),
            (good_row_with(MAJOR_NAME, ""), "column major_name is empty"),
            (good_row_with(NAME, ""), "column name is empty"),
            (
                good_row_with(DEPARTMENT_TYPE, "police"),
                "unknown department_type \"police\"",
            ),
            (
                good_row_with(FILING_CONDITIONS, ""),
                "column filing_conditions is empty",
            ),
            (
                good_row_with(FILING_CONDITIONS, "成堆垃圾||散落垃圾"),
                "empty condition",
            ),
            (
                good_row_with(FILING_CONDITIONS, "成堆垃圾|"),
                "empty condition",
            ),
            (
                good_row_with(CLOSING_CONDITION, ""),
                "column closing_condition is empty",
            ),
            (
                good_row_with(LIMIT_URGENT, "1 hour"),
                "column limit_urgent: bad time limit",
            ),
            (
                good_row_with(LIMIT_HIGH, "0h"),
                "column limit_high: bad time limit",
            ),
            (
                good_row_with(LIMIT_NORMAL, ""),
                "column limit_normal is empty",
            ),
            (good_row_with(LIMIT_URGENT, "3h"), "urgent ≤ high ≤ normal"),
            (good_row_with(LIMIT_NORMAL, "90m"), "urgent ≤ high ≤ normal"),
            // 8 working hours exceed a 420-minute working day.
            (
                good_row_with(LIMIT_NORMAL, "1d").replace(",2h,", ",8h,"),
                "urgent ≤ high ≤ normal",
            ),
            (
                good_row_with(IS_LOCAL_EXTENSION, "yes"),
                "is_local_extension \"yes\"",
            ),
            (
                GOOD_ROW.to_owned(),
                "duplicate class (GB/T 47678.5-2026, matter, 06010); first defined on line 2",
            ),
            (
                good_row_with(MAJOR_NAME, "市容类"),
                "differs from \"市容环境类\" on line 2",
            ),
            (
                GOOD_ROW.replacen(",false", "", 1),
                "expected 13 fields, found 12",
            ),
            (format!("{GOOD_ROW},extra"), "expected 13 fields, found 14"),
        ];
        for (row, expected) in cases {
            let (line, msg) = error_of(&with_row(&row));
            assert_eq!(line, 3, "row {row:?}: {msg}");
            assert!(
                msg.contains(expected),
                "row {row:?}: {msg:?} lacks {expected:?}"
            );
            let display = TaxonomyError::BadRow { line, message: msg }.to_string();
            assert!(display.starts_with("taxonomy data line 3: "), "{display}");
        }
    }

    #[test]
    fn same_code_is_allowed_across_kinds_and_standards() {
        let component = good_row_with(KIND, "component").replace("06011", "06010");
        let other_standard =
            good_row_with(STANDARD_REF, "local:zhengzhou").replace("06011", "06010");
        let text = format!("{HEADER}\n{GOOD_ROW}\n{component}\n{other_standard}\n");
        assert_eq!(parse_classes_csv(&text).unwrap().len(), 3);
    }

    #[test]
    fn line_numbers_survive_blank_lines_crlf_and_multiline_fields() {
        let bad = good_row_with(KIND, "x");
        let text = format!("{HEADER}\n\n{GOOD_ROW}\n\n{bad}\n");
        assert_eq!(error_of(&text).0, 5);
        let text = format!("{HEADER}\r\n\r\n{GOOD_ROW}\r\n\r\n{bad}\r\n");
        assert_eq!(error_of(&text).0, 5);
        let multiline = GOOD_ROW.replace(",清除,", ",\"清除\n并复查\",");
        let text = format!("{HEADER}\n{multiline}\n{bad}\n");
        assert_eq!(error_of(&text).0, 4);
        let text = format!(
            "{HEADER}\n{multiline}\n{}\n",
            GOOD_ROW.replacen(",false", "", 1)
        );
        assert_eq!(
            error_of(&text),
            (4, "expected 13 fields, found 12".to_owned())
        );
        let text = format!("\n\n{HEADER},notes\n");
        assert_eq!(error_of(&text).0, 3);
    }

    #[test]
    fn csv_round_trip_quotes_what_needs_quoting() {
        let mut classes = parse_classes_csv(&format!("{HEADER}\n{GOOD_ROW}\n")).unwrap();
        classes[0].name = "暴露垃圾, \"大件\"".to_owned();
        classes[0].closing_condition = "清除\n复查".to_owned();
        classes[0].is_local_extension = true;
        let text = classes_to_csv(&classes);
        assert_eq!(parse_classes_csv(&text).unwrap(), classes);
    }

    #[test]
    fn index_lookup_override_and_matter_preference() {
        let mut classes = builtin();
        let national = class(&classes, GB_47678_5_2026, ClassKind::Matter, "06010").clone();
        // A local class reusing a national code, and a local override of itself.
        let mut shadow = national.clone();
        shadow.standard_ref = LOCAL_ZHENGZHOU.to_owned();
        shadow.name = "暴露垃圾（本地）".to_owned();
        classes.insert(0, shadow.clone());
        let mut tweaked = national.clone();
        tweaked.limits = limits("30m", "1h", "2h");
        classes.push(tweaked.clone());

        let t = Taxonomy::new(classes);
        // 06010 was replaced in place; only the local shadow is new.
        assert_eq!(t.len(), builtin().len() + 1);
        assert_eq!(
            t.get(GB_47678_5_2026, ClassKind::Matter, "06010"),
            Some(&tweaked)
        );
        assert_eq!(
            t.get(LOCAL_ZHENGZHOU, ClassKind::Matter, "06010"),
            Some(&shadow)
        );
        assert_eq!(t.get(GB_47678_5_2026, ClassKind::Component, "06010"), None);
        assert_eq!(
            t.get(GB_47678_5_2026, ClassKind::Component, "01001")
                .map(|c| c.name.as_str()),
            Some("供水井盖")
        );
        assert_eq!(t.get("GB/T 30428.2-2013", ClassKind::Matter, "06010"), None);
        // The national matter wins although the local one comes first.
        assert_eq!(t.find_matter("06010"), Some(&tweaked));
        // A code only a local extension has resolves to it.
        assert_eq!(
            t.find_matter("10901").map(|c| c.name.as_str()),
            Some("易涝点积水")
        );
        // Component codes are not matters.
        assert_eq!(t.find_matter("99999"), None);
        assert_eq!(t.matters().count() + t.components().count(), t.len());
        assert_eq!(t.components().count(), 153);
        assert_eq!((&t).into_iter().count(), t.len());
    }

    #[test]
    fn builtin_taxonomy_index() {
        let t = Taxonomy::builtin().unwrap();
        assert_eq!(t.len(), builtin().len());
        assert_eq!(
            t.find_matter("09006").map(|c| c.department_type),
            Some(DepartmentType::Enforcement)
        );
        assert_eq!(t.classes(), builtin().as_slice());
        assert!(!t.is_empty());
        assert_eq!(t.into_classes().len(), builtin().len());
    }
}
