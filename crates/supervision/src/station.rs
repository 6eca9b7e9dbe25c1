//! Garbage transfer stations 垃圾中转站: the daily 日产日清 check (everything received on a day
//! is transferred out the same day) and the alarm of a day that closes with stock left over.
//!
//! # The check
//!
//! A station-day with `in_t` tonnes received and `out_t` tonnes transferred out is **cleared**
//! when its residual `in_t − out_t` is at most the tolerance: `tolerance_t` tonnes (weighbridge
//! error) plus `tolerance_share` of the intake ([`StationConfig`]). A day is judged only once it
//! is over (local Asia/Shanghai midnight): during the day the intake is still being moved out.
//!
//! # The alarm
//!
//! A closed day that is not cleared raises [`RULE_NOT_CLEARED`]`:<YYYY-MM-DD>` on the station
//! ([`SourceKind::Station`], the station id): one alarm per station and day (the day is part of
//! the key, so two bad days in a row are two alarms and two cases, and re-checking a day never
//! raises it again — the caller raises only a day it has never raised). Level warning, so the
//! alarm worker files a case in [`NOT_CLEARED_CLASS_CODE`]. A later day of the station that is
//! cleared (or the same day, corrected) clears every open alarm of the station for that day and
//! the days before ([`clears_for`]).
//!
//! **Class.** GB/T 47678.5-2026 has no class named for transfer stations or 日产日清. The
//! nearest matters are `06042 垃圾站（箱）满溢` (市容环境类; filing conditions 垃圾站（箱）满溢，
//! 垃圾外溢 / 周边散落垃圾、异味严重; closing condition 已清运，垃圾站（箱）及周边整洁), `06011
//! 积存垃圾渣土` (garbage and muck piled on roads and open ground beyond the temporary limit) and
//! `03004 垃圾间（楼）异常` (the refuse room building: broken doors, dirt, broken fittings). A
//! transfer station is a 垃圾站, the breach is garbage left in it instead of being carried away,
//! and the fix the case asks for is exactly 已清运 — so 06042, whose department type is
//! sanitation 环卫 (the station's operator). 06011 is about waste dumped outside a facility and
//! 03004 about the facility's condition, not its throughput.

use domain::time::Timestamp;
use grid::Point;
use serde::{Deserialize, Serialize};
use serde_json::json;

use crate::alarm::{AlarmKey, AlarmLevel, Clear, Raise, Signal, SourceKind};

/// Rule family of a station-day that closed with stock left over; the key's rule is
/// `station.not_cleared:<YYYY-MM-DD>`.
pub const RULE_NOT_CLEARED: &str = "station.not_cleared";
/// Taxonomy class of [`RULE_NOT_CLEARED`]: 06042 垃圾站（箱）满溢 (see the module docs).
pub const NOT_CLEARED_CLASS_CODE: &str = "06042";

/// The tolerance of the 日产日清 check.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct StationConfig {
    /// Tonnes that may stay (weighbridge error), default 0.1 t.
    pub tolerance_t: f64,
    /// Share of the day's intake that may stay, default 0.
    pub tolerance_share: f64,
}

impl Default for StationConfig {
    fn default() -> Self {
        StationConfig {
            tolerance_t: 0.1,
            tolerance_share: 0.0,
        }
    }
}

impl StationConfig {
    /// The residual allowed on a day with `in_t` tonnes received.
    pub fn allowed_t(&self, in_t: f64) -> f64 {
        self.tolerance_t + self.tolerance_share * in_t.max(0.0)
    }

    /// Whether a day with this tonnage passes 日产日清 (non-finite figures never pass).
    pub fn cleared(&self, in_t: f64, out_t: f64) -> bool {
        let residual = in_t - out_t;
        residual.is_finite() && residual <= self.allowed_t(in_t) + 1e-9
    }
}

/// A station as the check needs it.
#[derive(Clone, Debug, PartialEq)]
pub struct Station {
    pub id: String,
    pub name: String,
    pub position: Point,
}

/// One closed day of one station.
#[derive(Clone, Debug, PartialEq)]
pub struct StationDay {
    /// Local day, `YYYY-MM-DD`.
    pub day: String,
    pub in_t: f64,
    pub out_t: f64,
    /// The day's end (local midnight after it): when a residual became a breach.
    pub closed_at: Timestamp,
}

/// The alarm key of `station`'s `day` (`YYYY-MM-DD`).
pub fn key_for(station_id: &str, day: &str) -> AlarmKey {
    AlarmKey::new(
        SourceKind::Station,
        station_id,
        format!("{RULE_NOT_CLEARED}:{day}"),
    )
}

/// The day of a [`RULE_NOT_CLEARED`] rule id, `None` for other rules.
pub fn day_of_rule(rule: &str) -> Option<&str> {
    rule.strip_prefix(RULE_NOT_CLEARED)?.strip_prefix(':')
}

/// The raise for a closed day that failed the check, `None` when it passed.
pub fn check(config: &StationConfig, station: &Station, d: &StationDay) -> Option<Signal> {
    if config.cleared(d.in_t, d.out_t) {
        return None;
    }
    let residual = d.in_t - d.out_t;
    Some(Signal::Raise(Raise {
        key: key_for(&station.id, &d.day),
        level: AlarmLevel::Warning,
        at: d.closed_at,
        message: format!(
            "垃圾中转站 {} {} 未日产日清：进站 {:.1} t，转运 {:.1} t，存量 {:.1} t",
            station.name, d.day, d.in_t, d.out_t, residual
        ),
        position: Some(station.position),
        class_code: Some(NOT_CLEARED_CLASS_CODE.to_owned()),
        detail: json!({
            "day": d.day,
            "in_t": d.in_t,
            "out_t": d.out_t,
            "residual_t": residual,
            "allowed_t": config.allowed_t(d.in_t),
        }),
    }))
}

/// The clears a cleared `day` causes: every open [`RULE_NOT_CLEARED`] rule of the station
/// (`open_rules`, other rules ignored) for that day or an earlier one, at `at`.
pub fn clears_for<'a>(
    station_id: &str,
    day: &str,
    open_rules: impl IntoIterator<Item = &'a str>,
    at: Timestamp,
) -> Vec<Signal> {
    open_rules
        .into_iter()
        .filter_map(day_of_rule)
        // `YYYY-MM-DD` compares as text in date order.
        .filter(|d| *d <= day)
        .map(|d| {
            Signal::Clear(Clear {
                key: key_for(station_id, d),
                at,
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn station() -> Station {
        Station {
            id: "ZS-01".into(),
            name: "百花中转站".into(),
            position: Point {
                lon: 113.61,
                lat: 34.75,
            },
        }
    }

    fn day(day: &str, in_t: f64, out_t: f64) -> StationDay {
        StationDay {
            day: day.into(),
            in_t,
            out_t,
            closed_at: Timestamp(1_000),
        }
    }

    #[test]
    fn a_day_with_stock_left_raises_in_06042_and_a_cleared_day_does_not() {
        let c = StationConfig::default();
        assert!(check(&c, &station(), &day("2026-11-24", 42.5, 42.45)).is_none());
        assert!(check(&c, &station(), &day("2026-11-24", 42.5, 43.0)).is_none());
        let Some(Signal::Raise(r)) = check(&c, &station(), &day("2026-11-24", 42.5, 40.0)) else {
            panic!("expected a raise");
        };
        assert_eq!(
            r.key.open_key(),
            "station|ZS-01|station.not_cleared:2026-11-24"
        );
        assert_eq!(r.class_code.as_deref(), Some("06042"));
        assert_eq!(r.level, AlarmLevel::Warning);
        assert_eq!(r.at, Timestamp(1_000));
        assert_eq!(r.detail["residual_t"], json!(2.5));
        assert!(r.message.contains("存量 2.5 t"), "{}", r.message);
        let share = StationConfig {
            tolerance_t: 0.0,
            tolerance_share: 0.1,
        };
        assert!(share.cleared(40.0, 36.0));
        assert!(!share.cleared(40.0, 35.9));
        assert!(!c.cleared(f64::NAN, 1.0));
    }

    #[test]
    fn a_cleared_day_clears_that_day_and_earlier_ones_only() {
        let open = [
            "station.not_cleared:2026-11-22",
            "station.not_cleared:2026-11-24",
            "station.not_cleared:2026-11-26",
            "garbage.missed",
        ];
        let keys: Vec<String> = clears_for("ZS-01", "2026-11-24", open, Timestamp(5))
            .iter()
            .map(|s| s.key().rule.clone())
            .collect();
        assert_eq!(
            keys,
            [
                "station.not_cleared:2026-11-22",
                "station.not_cleared:2026-11-24"
            ]
        );
        assert_eq!(day_of_rule("station.not_cleared"), None);
        assert_eq!(
            day_of_rule("station.not_cleared:2026-11-24"),
            Some("2026-11-24")
        );
    }
}
