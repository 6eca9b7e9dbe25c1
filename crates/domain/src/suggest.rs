//! Which matter class (管理事项) a citizen's free-text description most likely belongs to, for
//! the portal and hotline forms ("饭店油烟很大" → 06027 油烟污染).
//!
//! Cases reference matters (see `data/README.md`), so only matter classes are suggested. Three
//! signals per class, combined as independent evidence (`1 − Π(1 − wᵢ)`), each in 0..1:
//!
//! - **class name** found in the text (the name without "异常" and without parenthesised
//!   variants; names with "、" count per part): 0.9, or 0.7 for a two-character name, which
//!   does not count inside a 3+-character keyword of any class ("水井" in "污水井盖");
//! - **keywords and synonyms** from `data/suggest-keywords.csv` (`code,keywords`, keywords
//!   separated by `|`, codes are matter codes): each keyword found weighs by its length, from
//!   0.35 for one character to 0.9 for five or more — longer phrases are more specific;
//! - **character bigrams** shared with a class name of 3+ characters, a weak signal: 0.35 ×
//!   the share of the name's bigrams found.
//!
//! Chinese text has no spaces, so everything works on characters: the text is normalised
//! (full-width ASCII to half-width, lower case, punctuation and blanks dropped) and matched by
//! substring. Classes scoring under [`MIN_SCORE`] are left out, so empty or unrelated text gives
//! no suggestion. Best first; ties by code, then standard. Pure and deterministic.

use std::collections::HashMap;
use std::sync::OnceLock;

use serde::{Deserialize, Serialize};

use crate::taxonomy::{ClassKind, Taxonomy};

/// The shipped keyword table (`code,keywords`).
pub const KEYWORDS_CSV: &str = include_str!("../data/suggest-keywords.csv");

/// Classes scoring below this are not suggested.
pub const MIN_SCORE: f64 = 0.2;

/// Weight of the bigram signal when every bigram of the name is in the text.
const BIGRAM_WEIGHT: f64 = 0.35;

/// One row of the keyword table.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct KeywordRow {
    /// Matter code, 5 digits.
    pub code: String,
    /// Keywords, normalised like the text they are matched against, without repeats.
    pub keywords: Vec<String>,
}

/// A malformed keyword table.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum SuggestError {
    /// A row (1-based line, the header being line 1) is malformed.
    #[error("suggestion keywords line {line}: {message}")]
    BadRow {
        /// Line number.
        line: usize,
        /// What is wrong.
        message: String,
    },
}

/// One suggested class.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Suggestion {
    /// Standard of the class, e.g. "GB/T 47678.5-2026".
    pub standard_ref: String,
    /// Always [`ClassKind::Matter`]: cases reference matters.
    pub kind: ClassKind,
    /// Class code, e.g. "06027".
    pub code: String,
    /// Class name, e.g. "油烟污染".
    pub name: String,
    /// Confidence-like score in 0..=1 (not a probability), higher is better.
    pub score: f64,
    /// Why, for people, e.g. "关键词：油烟、油烟很大".
    pub reason: String,
}

/// Normalises text for matching: full-width ASCII to half-width, lower case, only letters and
/// digits (any script) kept.
pub fn normalise(text: &str) -> Vec<char> {
    text.chars()
        .map(|c| match c {
            '\u{FF01}'..='\u{FF5E}' => char::from_u32(c as u32 - 0xFEE0).unwrap_or(c),
            c => c,
        })
        .flat_map(char::to_lowercase)
        .filter(|c| c.is_alphanumeric())
        .collect()
}

/// Parses a keyword table: header `code,keywords`, one row per code.
///
/// # Errors
/// [`SuggestError::BadRow`]: wrong header or column count, a code that is not 5 ASCII digits, a
/// repeated code, or a row without any usable keyword.
pub fn parse_keywords_csv(text: &str) -> Result<Vec<KeywordRow>, SuggestError> {
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(true)
        .flexible(true)
        .from_reader(text.as_bytes());
    let bad = |line: usize, message: String| SuggestError::BadRow { line, message };
    let header = reader.headers().map_err(|e| bad(1, e.to_string()))?.clone();
    if header.iter().collect::<Vec<_>>() != ["code", "keywords"] {
        return Err(bad(1, "the header must be `code,keywords`".into()));
    }
    let mut rows: Vec<KeywordRow> = Vec::new();
    for (i, record) in reader.records().enumerate() {
        let line = i + 2;
        let record = record.map_err(|e| bad(line, e.to_string()))?;
        if record.len() != 2 {
            return Err(bad(line, format!("{} columns, expected 2", record.len())));
        }
        let code = record.get(0).unwrap_or("").trim();
        if code.len() != 5 || !code.bytes().all(|b| b.is_ascii_digit()) {
            return Err(bad(line, format!("code {code:?} is not 5 digits")));
        }
        if rows.iter().any(|r| r.code == code) {
            return Err(bad(line, format!("code {code} repeats an earlier row")));
        }
        let mut keywords: Vec<String> = Vec::new();
        for k in record.get(1).unwrap_or("").split('|') {
            let k: String = normalise(k).into_iter().collect();
            if !k.is_empty() && !keywords.contains(&k) {
                keywords.push(k);
            }
        }
        if keywords.is_empty() {
            return Err(bad(line, format!("code {code} has no keyword")));
        }
        rows.push(KeywordRow {
            code: code.to_owned(),
            keywords,
        });
    }
    Ok(rows)
}

/// The shipped keyword table, parsed once. (A test keeps it valid; were it not, suggestions
/// would come from class names alone.)
pub fn builtin_keywords() -> &'static [KeywordRow] {
    static ROWS: OnceLock<Vec<KeywordRow>> = OnceLock::new();
    ROWS.get_or_init(|| parse_keywords_csv(KEYWORDS_CSV).unwrap_or_default())
}

/// The `limit` matter classes of `taxonomy` that best fit `text`, best first, with the
/// shipped keyword table. Empty when nothing scores at least [`MIN_SCORE`].
pub fn suggest(taxonomy: &Taxonomy, text: &str, limit: usize) -> Vec<Suggestion> {
    suggest_with(taxonomy, builtin_keywords(), text, limit)
}

/// [`suggest`] with another keyword table.
pub fn suggest_with(
    taxonomy: &Taxonomy,
    keywords: &[KeywordRow],
    text: &str,
    limit: usize,
) -> Vec<Suggestion> {
    let chars = normalise(text);
    if chars.is_empty() || limit == 0 {
        return Vec::new();
    }
    let text: String = chars.iter().collect();
    let text_bigrams: Vec<[char; 2]> = chars.windows(2).map(|w| [w[0], w[1]]).collect();
    let by_code: HashMap<&str, &KeywordRow> =
        keywords.iter().map(|r| (r.code.as_str(), r)).collect();
    // Character spans of the text covered by longer keywords (3+ characters) of any class: a
    // two-character class name inside one of them is part of another word ("水井" in "污水井盖").
    let covered: Vec<(usize, usize)> = keywords
        .iter()
        .flat_map(|r| r.keywords.iter())
        .filter(|k| k.chars().count() >= 3)
        .flat_map(|k| {
            let kc: Vec<char> = k.chars().collect();
            occurrences(&chars, &kc)
                .into_iter()
                .map(move |at| (at, at + kc.len()))
        })
        .collect();
    let mut out: Vec<Suggestion> = Vec::new();
    for class in taxonomy.matters() {
        let mut reasons: Vec<String> = Vec::new();
        let mut miss = 1.0;

        let variants = name_variants(&class.name);
        if let Some(v) = variants
            .iter()
            .filter(|v| {
                let vc: Vec<char> = v.chars().collect();
                (vc.len() >= 3 && text.contains(v.as_str()))
                    || (vc.len() == 2
                        && occurrences(&chars, &vc)
                            .into_iter()
                            .any(|at| !covered.iter().any(|&(s, e)| s <= at && at + 2 <= e)))
            })
            .max_by_key(|v| v.chars().count())
        {
            miss *= 1.0 - if v.chars().count() >= 3 { 0.9 } else { 0.7 };
            reasons.push(format!("类名“{v}”"));
        }

        if let Some(row) = by_code.get(class.code.as_str()) {
            let hits: Vec<&str> = row
                .keywords
                .iter()
                .filter(|k| text.contains(k.as_str()))
                .map(String::as_str)
                .collect();
            for k in &hits {
                miss *= 1.0 - keyword_weight(k);
            }
            if !hits.is_empty() {
                reasons.push(format!("关键词：{}", hits.join("、")));
            }
        }

        if let Some(name) = variants.iter().max_by_key(|v| v.chars().count()) {
            let nc: Vec<char> = name.chars().collect();
            let total = nc.len().saturating_sub(1);
            let shared = nc
                .windows(2)
                .filter(|w| text_bigrams.contains(&[w[0], w[1]]))
                .count();
            if total > 1 && shared > 0 {
                miss *= 1.0 - BIGRAM_WEIGHT * shared as f64 / total as f64;
                if reasons.is_empty() {
                    reasons.push(format!("与类名“{name}”字面相近"));
                }
            }
        }

        let score = (1.0 - miss).clamp(0.0, 1.0);
        if score >= MIN_SCORE {
            out.push(Suggestion {
                standard_ref: class.standard_ref.clone(),
                kind: class.kind,
                code: class.code.clone(),
                name: class.name.clone(),
                score,
                reason: reasons.join("；"),
            });
        }
    }
    out.sort_by(|a, b| {
        b.score
            .total_cmp(&a.score)
            .then_with(|| a.code.cmp(&b.code))
            .then_with(|| a.standard_ref.cmp(&b.standard_ref))
    });
    out.truncate(limit);
    out
}

/// Start positions of `pat` in `text` (characters).
fn occurrences(text: &[char], pat: &[char]) -> Vec<usize> {
    if pat.is_empty() || pat.len() > text.len() {
        return Vec::new();
    }
    (0..=text.len() - pat.len())
        .filter(|&i| text[i..i + pat.len()] == *pat)
        .collect()
}

/// Weight of one keyword hit by its length in characters.
fn keyword_weight(k: &str) -> f64 {
    match k.chars().count() {
        0 => 0.0,
        1 => 0.35,
        2 => 0.5,
        3 => 0.65,
        4 => 0.8,
        _ => 0.9,
    }
}

/// The forms of a class name worth finding in text: without "异常" and parenthesised parts,
/// and each part of a "、" list; normalised.
fn name_variants(name: &str) -> Vec<String> {
    let mut base = String::new();
    let mut depth = 0usize;
    for c in name.chars() {
        match c {
            '（' | '(' => depth += 1,
            '）' | ')' => depth = depth.saturating_sub(1),
            c if depth == 0 => base.push(c),
            _ => {}
        }
    }
    let base = base.strip_suffix("异常").unwrap_or(&base).to_owned();
    let mut out: Vec<String> = vec![normalise(&base).into_iter().collect()];
    if base.contains('、') {
        out.extend(
            base.split('、')
                .map(|p| normalise(p).into_iter().collect::<String>()),
        );
    }
    out.retain(|v| !v.is_empty());
    out.dedup();
    out
}
