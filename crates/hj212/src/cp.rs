//! The `CP=&&…&&` data area: grammar, borrowed views, factors and data flags.
//!
//! # Grammar (HJ 212-2017 §6.3.3)
//!
//! ```text
//! cp     ::= item ( ";" item )*          items: different fields / factors
//! item   ::= pair ( "," pair )*          pairs of one item: values of the same factor
//! pair   ::= key "=" value
//! key    ::= code "-" suffix | name      a34041-Rtd, SB1-RS, DataTime, RtdInterval
//! value  ::= text | "&&" cp "&&" | "//" text "//"
//! ```
//!
//! Example: `DataTime=20240601115000;a34041-Avg=1.23,a34041-Flag=N;a34000-Avg=0.80`.
//!
//! Tolerated: empty CP (`CP=&&&&`), empty items (`;;`, a trailing `;` before `&&`), factor codes
//! of any length (`LA`, `a2106`, `B01`), unknown suffixes (`-Ori`, `-ValidNum`), duplicate keys
//! (all kept, lookups return the first), one level of nested `&&…&&` values, and `//…//` log
//! text that contains separators. A pair without `=` is an error.
//!
//! Values are kept as text; [`Value::decimal`] gives the exact [`Decimal`].

use std::fmt;

use crate::decimal::{Decimal, DecimalError};
use crate::packet::BodyError;
use crate::time::DateTime;

/// A byte range of a packet's text.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub(crate) struct Span {
    pub(crate) start: u32,
    pub(crate) end: u32,
}

impl Span {
    pub(crate) fn new(start: usize, end: usize) -> Self {
        // Texts are bounded by the frame limit (≤ 9999 bytes) or by `CpBuf::parse`'s check.
        Self {
            start: u32::try_from(start).unwrap_or(u32::MAX),
            end: u32::try_from(end).unwrap_or(u32::MAX),
        }
    }

    pub(crate) fn get(self, text: &str) -> &str {
        text.get(self.start as usize..self.end as usize)
            .unwrap_or_default()
    }
}

/// What kind of value a pair holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) enum ValueKind {
    Plain,
    Nested,
}

/// One `key=value` pair, as spans into the packet text.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) struct PairSpan {
    pub(crate) key: Span,
    pub(crate) value: Span,
    pub(crate) item: u32,
    pub(crate) kind: ValueKind,
}

fn find(bytes: &[u8], from: usize, end: usize, pat: &[u8; 2]) -> Option<usize> {
    bytes
        .get(from..end)?
        .windows(2)
        .position(|w| w == pat)
        .map(|p| from + p)
}

/// The closing `//` of a `//…//` text value: one followed by a separator or the end.
fn find_text_close(bytes: &[u8], mut from: usize, end: usize) -> Option<usize> {
    while let Some(close) = find(bytes, from, end, b"//") {
        let after = close + 2;
        if after >= end || matches!(bytes.get(after), Some(b',' | b';')) {
            return Some(close);
        }
        from = close + 1;
    }
    None
}

/// Parses the CP content `text[start..end]` (without the `&&` delimiters) into `out`.
pub(crate) fn parse_pairs(
    text: &str,
    start: usize,
    end: usize,
    out: &mut Vec<PairSpan>,
) -> Result<(), BodyError> {
    let b = text.as_bytes();
    let at = |i: usize| b.get(i).copied();
    let mut i = start;
    let mut item: u32 = 0;
    let mut item_has_pairs = false;
    while i < end {
        // Key: up to '=' or a separator.
        let key_start = i;
        while i < end && !matches!(at(i), Some(b'=' | b',' | b';')) {
            i += 1;
        }
        if i >= end || at(i) != Some(b'=') {
            if i > key_start {
                return Err(BodyError::MalformedCp {
                    offset: key_start,
                    reason: "pair without '='",
                });
            }
        } else {
            if i == key_start {
                return Err(BodyError::MalformedCp {
                    offset: key_start,
                    reason: "empty key",
                });
            }
            let key = Span::new(key_start, i);
            i += 1; // '='
            let rest_starts = |pat: &[u8; 2]| b.get(i..end).is_some_and(|r| r.starts_with(pat));
            let (value, kind) = if rest_starts(b"&&") {
                let close = find(b, i + 2, end, b"&&").ok_or(BodyError::MalformedCp {
                    offset: i,
                    reason: "unterminated nested &&",
                })?;
                let v = Span::new(i + 2, close);
                i = close + 2;
                (v, ValueKind::Nested)
            } else if let Some(close) = rest_starts(b"//")
                .then(|| find_text_close(b, i + 2, end))
                .flatten()
            {
                let v = Span::new(i, close + 2);
                i = close + 2;
                (v, ValueKind::Plain)
            } else {
                let v_start = i;
                while i < end && !matches!(at(i), Some(b',' | b';')) {
                    i += 1;
                }
                (Span::new(v_start, i), ValueKind::Plain)
            };
            if i < end && !matches!(at(i), Some(b',' | b';')) {
                return Err(BodyError::MalformedCp {
                    offset: i,
                    reason: "text after a delimited value",
                });
            }
            out.push(PairSpan {
                key,
                value,
                item,
                kind,
            });
            item_has_pairs = true;
        }
        // Separator.
        match at(i) {
            Some(b';') if i < end => {
                if item_has_pairs {
                    item += 1;
                    item_has_pairs = false;
                }
                i += 1;
            }
            Some(b',') if i < end => i += 1,
            _ => {}
        }
    }
    Ok(())
}

/// A borrowed view of a CP data area.
#[derive(Clone, Copy)]
pub struct Cp<'a> {
    text: &'a str,
    raw: Span,
    pairs: &'a [PairSpan],
}

impl<'a> Cp<'a> {
    pub(crate) fn new(text: &'a str, raw: Span, pairs: &'a [PairSpan]) -> Self {
        Self { text, raw, pairs }
    }

    /// The CP content between the `&&` delimiters, as sent.
    #[must_use]
    pub fn as_str(&self) -> &'a str {
        self.raw.get(self.text)
    }

    /// Whether there are no pairs (`CP=&&&&`).
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.pairs.is_empty()
    }

    /// Number of `key=value` pairs.
    #[must_use]
    pub fn len(&self) -> usize {
        self.pairs.len()
    }

    fn pair(&self, p: &PairSpan) -> Pair<'a> {
        Pair {
            key: p.key.get(self.text),
            value: Value(p.value.get(self.text)),
            item: p.item as usize,
            nested: p.kind == ValueKind::Nested,
        }
    }

    /// All pairs in order.
    pub fn pairs(&self) -> impl Iterator<Item = Pair<'a>> + '_ {
        self.pairs.iter().map(|p| self.pair(p))
    }

    /// The value of the first pair with this exact key.
    #[must_use]
    pub fn get(&self, key: &str) -> Option<Value<'a>> {
        self.pairs
            .iter()
            .find(|p| p.key.get(self.text) == key)
            .map(|p| Value(p.value.get(self.text)))
    }

    /// `DataTime`, if present and valid (14 or 17 digits).
    #[must_use]
    pub fn data_time(&self) -> Option<DateTime> {
        self.get("DataTime")
            .and_then(|v| DateTime::parse(v.as_str()).ok())
    }

    /// Pairs whose key has no `-` (`DataTime`, `RtdInterval`, `QnRtn`, vendor `s10001`…).
    pub fn parameters(&self) -> impl Iterator<Item = Pair<'a>> + '_ {
        self.pairs().filter(|p| !p.key.as_bytes().contains(&b'-'))
    }

    /// Factors: runs of `code-suffix` pairs with the same code within one item.
    #[must_use]
    pub fn factors(&self) -> Factors<'a> {
        Factors {
            text: self.text,
            pairs: self.pairs,
            idx: 0,
        }
    }

    /// The first factor with this code.
    #[must_use]
    pub fn factor(&self, code: &str) -> Option<Factor<'a>> {
        self.factors().find(|f| f.code() == code)
    }
}

impl fmt::Debug for Cp<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_list()
            .entries(self.pairs().map(|p| (p.key, p.value.as_str())))
            .finish()
    }
}

/// An owned, parsed CP area (for nested values or CP text parsed on its own).
#[derive(Clone, PartialEq, Eq)]
pub struct CpBuf {
    text: String,
    pairs: Vec<PairSpan>,
}

impl CpBuf {
    /// Parses CP content (the text between the `&&` delimiters).
    ///
    /// # Errors
    ///
    /// [`BodyError::MalformedCp`] for a pair without `=` or an unterminated nested value;
    /// [`BodyError::TooLong`] above `u32::MAX` bytes.
    pub fn parse(text: &str) -> Result<Self, BodyError> {
        if u32::try_from(text.len()).is_err() {
            return Err(BodyError::TooLong);
        }
        let mut pairs = Vec::new();
        parse_pairs(text, 0, text.len(), &mut pairs)?;
        Ok(Self {
            text: text.to_owned(),
            pairs,
        })
    }

    /// The borrowed view.
    #[must_use]
    pub fn view(&self) -> Cp<'_> {
        Cp::new(&self.text, Span::new(0, self.text.len()), &self.pairs)
    }
}

impl fmt::Debug for CpBuf {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.view().fmt(f)
    }
}

/// A CP value, kept as the original text.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Value<'a>(pub &'a str);

impl<'a> Value<'a> {
    /// The text as sent.
    #[must_use]
    pub fn as_str(&self) -> &'a str {
        self.0
    }

    /// The exact decimal value.
    ///
    /// # Errors
    ///
    /// If the text is not a plain decimal number.
    pub fn decimal(&self) -> Result<Decimal, DecimalError> {
        Decimal::parse(self.0)
    }

    /// The value in units of `10^-scale` (`"1.23"` at scale 3 → `1230`), if exact.
    #[must_use]
    pub fn to_scaled(&self, scale: u8) -> Option<i64> {
        self.decimal().ok()?.to_scaled(scale)
    }

    /// The value as a non-negative integer (`RtdInterval=30`, `QnRtn=1`).
    #[must_use]
    pub fn to_u16(&self) -> Option<u16> {
        if self.0.is_empty() || !self.0.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        self.0.parse().ok()
    }

    /// The value as a date-time (`DataTime`, `SystemTime`, `RestartTime`).
    #[must_use]
    pub fn to_datetime(&self) -> Option<DateTime> {
        DateTime::parse(self.0).ok()
    }
}

impl fmt::Display for Value<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.0)
    }
}

/// One `key=value` pair.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Pair<'a> {
    /// The key (`a34041-Rtd`).
    pub key: &'a str,
    /// The value (`1.23`); for a nested value, the text between its `&&`.
    pub value: Value<'a>,
    /// Index of the `;`-separated item the pair belongs to.
    pub item: usize,
    nested: bool,
}

impl<'a> Pair<'a> {
    /// The factor code: the key up to the first `-` (the whole key if there is none).
    #[must_use]
    pub fn code(&self) -> &'a str {
        self.key.split_once('-').map_or(self.key, |(c, _)| c)
    }

    /// The suffix after the first `-` (`Rtd`, `Flag`, `RS`…), if any.
    #[must_use]
    pub fn suffix(&self) -> Option<&'a str> {
        self.key.split_once('-').map(|(_, s)| s)
    }

    /// Whether the value was a nested `&&…&&` data area.
    #[must_use]
    pub fn is_nested(&self) -> bool {
        self.nested
    }

    /// Parses a nested value.
    ///
    /// # Errors
    ///
    /// As [`CpBuf::parse`].
    pub fn nested(&self) -> Option<Result<CpBuf, BodyError>> {
        self.nested.then(|| CpBuf::parse(self.value.as_str()))
    }
}

/// Iterator over the factors of a CP area.
#[derive(Debug, Clone)]
pub struct Factors<'a> {
    text: &'a str,
    pairs: &'a [PairSpan],
    idx: usize,
}

fn factor_code(text: &str, p: &PairSpan) -> Option<usize> {
    p.key.get(text).find('-')
}

impl<'a> Iterator for Factors<'a> {
    type Item = Factor<'a>;

    fn next(&mut self) -> Option<Factor<'a>> {
        loop {
            let first = self.pairs.get(self.idx)?;
            let Some(dash) = factor_code(self.text, first) else {
                self.idx += 1;
                continue;
            };
            let key = first.key.get(self.text);
            let code = key.get(..dash).unwrap_or_default();
            let start = self.idx;
            let mut end = start + 1;
            while let Some(p) = self.pairs.get(end) {
                let same = p.item == first.item
                    && p.key.get(self.text).split_once('-').map(|(c, _)| c) == Some(code);
                if !same {
                    break;
                }
                end += 1;
            }
            self.idx = end;
            return Some(Factor {
                text: self.text,
                code,
                pairs: self.pairs.get(start..end).unwrap_or_default(),
            });
        }
    }
}

/// The values of one factor (`a34041-Rtd=1.23,a34041-Flag=N`).
#[derive(Clone, Copy)]
pub struct Factor<'a> {
    text: &'a str,
    code: &'a str,
    pairs: &'a [PairSpan],
}

impl<'a> Factor<'a> {
    /// The factor code (`a34041`, `LA`, `SB1`, `B01`…).
    #[must_use]
    pub fn code(&self) -> &'a str {
        self.code
    }

    /// `(suffix, value)` pairs in order (`("Rtd", "1.23")`, `("Flag", "N")`).
    pub fn fields(&self) -> impl Iterator<Item = (&'a str, Value<'a>)> + '_ {
        self.pairs.iter().map(|p| {
            let key = p.key.get(self.text);
            let suffix = key.split_once('-').map_or("", |(_, s)| s);
            (suffix, Value(p.value.get(self.text)))
        })
    }

    /// The first value with this suffix.
    #[must_use]
    pub fn get(&self, suffix: &str) -> Option<Value<'a>> {
        self.fields().find(|(s, _)| *s == suffix).map(|(_, v)| v)
    }

    /// `-Rtd`, the real-time value.
    #[must_use]
    pub fn rtd(&self) -> Option<Value<'a>> {
        self.get("Rtd")
    }
    /// `-Avg`, the period average.
    #[must_use]
    pub fn avg(&self) -> Option<Value<'a>> {
        self.get("Avg")
    }
    /// `-Min`, the period minimum.
    #[must_use]
    pub fn min(&self) -> Option<Value<'a>> {
        self.get("Min")
    }
    /// `-Max`, the period maximum.
    #[must_use]
    pub fn max(&self) -> Option<Value<'a>> {
        self.get("Max")
    }
    /// `-Cou`, the period cumulative value.
    #[must_use]
    pub fn cou(&self) -> Option<Value<'a>> {
        self.get("Cou")
    }
    /// `-Data`, a noise statistic value (`L10-Data`).
    #[must_use]
    pub fn data(&self) -> Option<Value<'a>> {
        self.get("Data")
    }

    /// `-Flag`, the data flag.
    #[must_use]
    pub fn flag(&self) -> Option<DataFlag> {
        self.get("Flag").and_then(|v| DataFlag::parse(v.as_str()))
    }

    /// `SBn-RS`, the running status of treatment equipment `n`.
    #[must_use]
    pub fn running_status(&self) -> Option<RunningStatus> {
        self.get("RS")
            .and_then(|v| v.to_u16())
            .map(RunningStatus::from_code)
    }
}

impl fmt::Debug for Factor<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut d = f.debug_struct("Factor");
        d.field("code", &self.code);
        for (s, v) in self.fields() {
            d.field(s, &v.as_str());
        }
        d.finish()
    }
}

/// A data flag (`xxxxxx-Flag`, Table 8; the table is extensible).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum DataFlag {
    /// `N` — normal (正常).
    Normal,
    /// `F` — stopped (停运).
    Stopped,
    /// `M` — maintenance (维护).
    Maintenance,
    /// `S` — manually set value (手工输入设定值).
    Manual,
    /// `D` — fault (故障).
    Fault,
    /// `C` — calibration (校准).
    Calibration,
    /// `T` — over measuring range (超测量上限).
    OverRange,
    /// `B` — instrument ↔ logger communication failure (通讯异常).
    CommFault,
    /// Any other flag character (the first character of a longer flag).
    Unknown(char),
}

impl DataFlag {
    /// Parses a flag; `None` for an empty value.
    #[must_use]
    pub fn parse(s: &str) -> Option<Self> {
        let c = s.chars().next()?;
        Some(match (c, s.len()) {
            ('N', 1) => Self::Normal,
            ('F', 1) => Self::Stopped,
            ('M', 1) => Self::Maintenance,
            ('S', 1) => Self::Manual,
            ('D', 1) => Self::Fault,
            ('C', 1) => Self::Calibration,
            ('T', 1) => Self::OverRange,
            ('B', 1) => Self::CommFault,
            _ => Self::Unknown(c),
        })
    }

    /// The flag character.
    #[must_use]
    pub fn as_char(self) -> char {
        match self {
            Self::Normal => 'N',
            Self::Stopped => 'F',
            Self::Maintenance => 'M',
            Self::Manual => 'S',
            Self::Fault => 'D',
            Self::Calibration => 'C',
            Self::OverRange => 'T',
            Self::CommFault => 'B',
            Self::Unknown(c) => c,
        }
    }
}

/// Treatment-equipment running status `SBn-RS` (Table 4).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum RunningStatus {
    /// 0 — off (关闭).
    Off,
    /// 1 — running (运行).
    Running,
    /// 2 — calibration (校准).
    Calibration,
    /// 3 — maintenance (维护).
    Maintenance,
    /// 4 — alarm (报警).
    Alarm,
    /// 5 — blow-back (反吹).
    BlowBack,
    /// Any other value.
    Other(u16),
}

impl RunningStatus {
    /// The status for a code.
    #[must_use]
    pub const fn from_code(code: u16) -> Self {
        match code {
            0 => Self::Off,
            1 => Self::Running,
            2 => Self::Calibration,
            3 => Self::Maintenance,
            4 => Self::Alarm,
            5 => Self::BlowBack,
            c => Self::Other(c),
        }
    }
}
