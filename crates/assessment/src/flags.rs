//! The weekly review 周讲评: red flags 红旗 for the best road chiefs and streets, black flags
//! 黑旗 for the worst, and the flag history.
//!
//! **Flag score.** The composite score of the week ([`crate::scores`]) minus
//! [`ScoreConfig::third_party_penalty`] per third-party inspection 暗访 finding of the week
//! (floored at 0). The findings are also reported on their own in every [`FlagRecord`].
//!
//! **Selection and ties.** Candidates are ranked by flag score, descending, with competition
//! ranks (equal scores, compared at 1e-6, share a rank). A red flag goes to every candidate
//! whose rank is ≤ `red_count`; so a tie straddling the cut-off gives the flag to every tied
//! candidate (并列均授旗) and more than `red_count` flags may be given. Black flags are chosen
//! the same way from the bottom (rank counted from the worst score), among the candidates that
//! did not get a red flag: a candidate never gets both. A count of 0 gives no flag.

use std::collections::{BTreeMap, HashMap};

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use crate::counters::Aggregates;
use crate::scope::{Period, Scope, ScopeKind};
use crate::scores::{ScoreConfig, rank_scopes, score_key};

/// Red or black.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FlagKind {
    /// 红旗 — among the best.
    Red,
    /// 黑旗 — among the worst.
    Black,
}

impl FlagKind {
    pub fn label_zh(self) -> &'static str {
        match self {
            FlagKind::Red => "红旗",
            FlagKind::Black => "黑旗",
        }
    }
}

/// One scope competing for a flag.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct FlagCandidate {
    pub scope: Scope,
    /// The week's composite score.
    pub score: f64,
    /// 暗访 findings of the week.
    pub third_party_findings: i64,
}

/// One flag given in one weekly review.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct FlagRecord {
    /// Monday of the reviewed week.
    pub week_start: NaiveDate,
    pub scope: Scope,
    pub kind: FlagKind,
    /// Competition rank by flag score (from the top for red, from the bottom for black).
    pub rank: u32,
    pub composite: f64,
    pub third_party_findings: i64,
    /// composite − penalty × findings, floored at 0.
    pub flag_score: f64,
}

fn competition_ranks(keys: &[i64]) -> Vec<u32> {
    let mut ranks = Vec::with_capacity(keys.len());
    for (i, k) in keys.iter().enumerate() {
        let r = match (i.checked_sub(1).and_then(|p| keys.get(p)), ranks.last()) {
            (Some(prev), Some(&r)) if prev == k => r,
            _ => u32::try_from(i + 1).unwrap_or(u32::MAX),
        };
        ranks.push(r);
    }
    ranks
}

/// Selects the red and black flags of one week (see the module documentation for the rule).
/// Red flags come first, best first; then black flags, worst first.
pub fn select_flags(
    week_start: NaiveDate,
    candidates: &[FlagCandidate],
    red_count: usize,
    black_count: usize,
    penalty: f64,
) -> Vec<FlagRecord> {
    let mut scored: Vec<(&FlagCandidate, f64)> = candidates
        .iter()
        .map(|c| {
            let s = (c.score - penalty * c.third_party_findings as f64).max(0.0);
            (c, s)
        })
        .collect();
    scored.sort_by(|a, b| {
        score_key(b.1)
            .cmp(&score_key(a.1))
            .then_with(|| a.0.scope.cmp(&b.0.scope))
    });
    let record = |c: &FlagCandidate, s: f64, kind, rank| FlagRecord {
        week_start,
        scope: c.scope.clone(),
        kind,
        rank,
        composite: c.score,
        third_party_findings: c.third_party_findings,
        flag_score: s,
    };

    let keys: Vec<i64> = scored.iter().map(|(_, s)| score_key(*s)).collect();
    let top = competition_ranks(&keys);
    let mut out = Vec::new();
    let limit = u32::try_from(red_count).unwrap_or(u32::MAX);
    for ((c, s), r) in scored.iter().zip(&top) {
        if red_count > 0 && *r <= limit {
            out.push(record(c, *s, FlagKind::Red, *r));
        }
    }
    let reds = out.len();

    let mut bottom: Vec<(&FlagCandidate, f64)> = scored.iter().skip(reds).copied().collect();
    // Worst first; ties in scope order.
    bottom.sort_by(|a, b| {
        score_key(a.1)
            .cmp(&score_key(b.1))
            .then_with(|| a.0.scope.cmp(&b.0.scope))
    });
    let keys: Vec<i64> = bottom.iter().map(|(_, s)| score_key(*s)).collect();
    let from_bottom = competition_ranks(&keys);
    let limit = u32::try_from(black_count).unwrap_or(u32::MAX);
    for ((c, s), r) in bottom.iter().zip(&from_bottom) {
        if black_count > 0 && *r <= limit {
            out.push(record(c, *s, FlagKind::Black, *r));
        }
    }
    out
}

/// The weekly review of one family (road chiefs, or streets): scores every scope of `kind` over
/// `week` and selects its flags.
pub fn weekly_review(
    agg: &Aggregates,
    kind: ScopeKind,
    week: Period,
    config: &ScoreConfig,
    grids: &HashMap<Scope, u32>,
    red_count: usize,
    black_count: usize,
) -> Vec<FlagRecord> {
    let candidates: Vec<FlagCandidate> = rank_scopes(agg, kind, week, config, grids)
        .into_iter()
        .map(|r| FlagCandidate {
            third_party_findings: r.indicators.third_party_findings,
            scope: r.scope,
            score: r.score.value,
        })
        .collect();
    select_flags(
        week.first.date(),
        &candidates,
        red_count,
        black_count,
        config.third_party_penalty,
    )
}

/// A scope's flag history in short.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct FlagTally {
    pub red: u32,
    pub black: u32,
    /// Black flags in the latest consecutive weeks (0 if the latest week flagged was red or
    /// the latest black flag is not from the latest reviewed week).
    pub black_streak: u32,
    pub last_week: Option<NaiveDate>,
}

/// Tallies a flag history per scope. `history` may be in any order.
pub fn tally(history: &[FlagRecord]) -> BTreeMap<Scope, FlagTally> {
    let latest_review = history.iter().map(|r| r.week_start).max();
    let mut by_scope: BTreeMap<Scope, Vec<&FlagRecord>> = BTreeMap::new();
    for r in history {
        by_scope.entry(r.scope.clone()).or_default().push(r);
    }
    by_scope
        .into_iter()
        .map(|(scope, mut recs)| {
            recs.sort_by_key(|r| r.week_start);
            let mut t = FlagTally {
                last_week: recs.last().map(|r| r.week_start),
                ..FlagTally::default()
            };
            for r in &recs {
                match r.kind {
                    FlagKind::Red => t.red += 1,
                    FlagKind::Black => t.black += 1,
                }
            }
            // Consecutive black weeks ending at the latest review.
            let mut expected = latest_review;
            for r in recs.iter().rev() {
                if Some(r.week_start) != expected || r.kind != FlagKind::Black {
                    break;
                }
                t.black_streak += 1;
                expected = r.week_start.checked_sub_days(chrono::Days::new(7));
            }
            (scope, t)
        })
        .collect()
}
