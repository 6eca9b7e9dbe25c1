//! The local (Asia/Shanghai) calendar day every daily report is keyed by.

use domain::time::{SHANGHAI_OFFSET_SECS, Timestamp};
use serde::{Deserialize, Serialize};

const DAY_MS: i64 = 86_400_000;
const OFFSET_MS: i64 = SHANGHAI_OFFSET_SECS as i64 * 1000;

/// A calendar day in Asia/Shanghai, as days since 1970-01-01 (local). Local midnight belongs to
/// the day it starts.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct LocalDay(pub i64);

impl LocalDay {
    /// The local day holding an instant.
    pub fn of(at: Timestamp) -> LocalDay {
        LocalDay(at.0.saturating_add(OFFSET_MS).div_euclid(DAY_MS))
    }

    /// The instant of this day's local midnight (its first millisecond).
    pub fn start(self) -> Timestamp {
        Timestamp(self.0.saturating_mul(DAY_MS).saturating_sub(OFFSET_MS))
    }

    /// The instant of the next day's local midnight (one past this day's last millisecond).
    pub fn end(self) -> Timestamp {
        LocalDay(self.0.saturating_add(1)).start()
    }

    /// The date as `YYYY-MM-DD`.
    pub fn date(self) -> String {
        self.start().to_shanghai().date().to_string()
    }
}

/// Splits the time span `[from, to]` at local midnights: each piece's day and the fractions
/// (0..=1) of the span where it begins and ends. An empty or reversed span is one piece of its
/// start day covering `0..1`.
pub(crate) fn split_by_day(from: Timestamp, to: Timestamp) -> Vec<(LocalDay, f64, f64)> {
    let span = to.0.saturating_sub(from.0) as f64;
    let first = LocalDay::of(from);
    if to.0 <= from.0 || LocalDay::of(to) == first {
        return vec![(first, 0.0, 1.0)];
    }
    let mut out = Vec::new();
    let mut day = first;
    let mut f0 = 0.0;
    // Bounded by the number of midnights in the span; callers cap spans by their gap limits,
    // and a pathological span stops after ~10 years of days.
    for _ in 0..4000 {
        let end = day.end();
        if end.0 >= to.0 {
            out.push((day, f0, 1.0));
            return out;
        }
        let f1 = end.0.saturating_sub(from.0) as f64 / span;
        out.push((day, f0, f1));
        f0 = f1;
        day = LocalDay(day.0 + 1);
    }
    out.push((LocalDay::of(to), f0, 1.0));
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn local_midnight_starts_the_day() {
        // 2026-01-01 00:00 +08:00 = 2025-12-31 16:00 UTC = 1_767_196_800_000.
        let midnight = Timestamp(1_767_196_800_000);
        assert_eq!(LocalDay::of(midnight).date(), "2026-01-01");
        assert_eq!(LocalDay::of(Timestamp(midnight.0 - 1)).date(), "2025-12-31");
        assert_eq!(LocalDay::of(midnight).start(), midnight);
    }

    #[test]
    fn a_span_over_midnight_splits_in_proportion() {
        let midnight = Timestamp(1_767_196_800_000);
        let pieces = split_by_day(
            Timestamp(midnight.0 - 30_000),
            Timestamp(midnight.0 + 90_000),
        );
        assert_eq!(pieces.len(), 2);
        assert_eq!(pieces[0].0.date(), "2025-12-31");
        assert_eq!((pieces[0].1, pieces[0].2), (0.0, 0.25));
        assert_eq!(pieces[1].0.date(), "2026-01-01");
        assert_eq!((pieces[1].1, pieces[1].2), (0.25, 1.0));
    }
}
