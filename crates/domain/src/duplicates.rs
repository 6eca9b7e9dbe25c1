//! The duplicate finder 重复案件识别: which open cases a new report is likely to repeat.
//!
//! On intake, open cases of the same class within a radius and a time window of the report are
//! offered as likely duplicates; the operator confirms (`Command::LinkDuplicate`), or the link is
//! made automatically above a confidence. A [`score`] in `0..=1` combines three things:
//!
//! - **distance** (haversine metres): 1 at the same point, falling to 0 at the rule's radius;
//!   beyond the radius a case is not a candidate at all;
//! - **time**: 1 at the same instant, falling to 0 at the edge of the window (either side);
//! - **description**: the Sørensen–Dice coefficient of the character bigrams of both texts
//!   (normalised: letters and digits only, lower case), which works on Chinese text without a
//!   word segmenter.
//!
//! Both falloffs are quadratic (`1 − x²`): a few metres or minutes barely matter, the edge of
//! the radius or window does. Only a case of the same class, not terminal (so never merged),
//! never the report itself and within radius and window is scored.
//!
//! [`DuplicateRules`] hold a default [`DuplicateRule`] and per-class overrides (keyed by class
//! code); they are stored as JSON in the settings table under [`SETTING_KEY`].
//!
//! Pure: no IO, no clock.

use std::collections::{BTreeMap, HashMap};

use serde::{Deserialize, Serialize};

use crate::time::Timestamp;
use crate::workflow::{Case, CaseState};

/// The settings key the rules are stored under.
pub const SETTING_KEY: &str = "duplicate_rules";

/// Weight of the distance in the score.
pub const WEIGHT_DISTANCE: f64 = 0.45;
/// Weight of the time apart in the score.
pub const WEIGHT_TIME: f64 = 0.15;
/// Weight of the description similarity in the score.
pub const WEIGHT_TEXT: f64 = 0.40;

/// Allowed radius, metres.
pub const RADIUS_RANGE_M: std::ops::RangeInclusive<f64> = 1.0..=5000.0;
/// Allowed window, minutes (up to 30 days).
pub const WINDOW_RANGE_MIN: std::ops::RangeInclusive<i64> = 1..=43_200;

/// Mean Earth radius (IUGG), metres.
const EARTH_RADIUS_M: f64 = 6_371_008.8;

/// How duplicates of one class are found.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DuplicateRule {
    /// Only cases within this distance of the report, metres.
    pub radius_m: f64,
    /// Only cases created within this many minutes of the report (before or after).
    pub window_minutes: i64,
    /// Link automatically when the best candidate scores at least this; `None`: never.
    pub auto_link_score: Option<f64>,
}

impl Default for DuplicateRule {
    /// 50 m, 3 days, automatic at 0.9.
    fn default() -> Self {
        DuplicateRule {
            radius_m: 50.0,
            window_minutes: 3 * 24 * 60,
            auto_link_score: Some(0.9),
        }
    }
}

impl DuplicateRule {
    /// The window in milliseconds.
    pub fn window_ms(&self) -> i64 {
        self.window_minutes.saturating_mul(60_000)
    }

    /// Checks the ranges: radius 1..=5000 m, window 1..=43200 min, score 0..=1.
    ///
    /// # Errors
    /// The first value out of range, described.
    pub fn validate(&self) -> Result<(), RuleError> {
        if !self.radius_m.is_finite() || !RADIUS_RANGE_M.contains(&self.radius_m) {
            return Err(RuleError::Radius(self.radius_m));
        }
        if !WINDOW_RANGE_MIN.contains(&self.window_minutes) {
            return Err(RuleError::Window(self.window_minutes));
        }
        if let Some(s) = self.auto_link_score
            && (!s.is_finite() || !(0.0..=1.0).contains(&s))
        {
            return Err(RuleError::Score(s));
        }
        Ok(())
    }
}

/// A rule with a value out of range.
#[derive(Clone, Debug, PartialEq, thiserror::Error)]
pub enum RuleError {
    #[error("radius_m must be 1–5000 metres, not {0}")]
    Radius(f64),
    #[error("window_minutes must be 1–43200 minutes, not {0}")]
    Window(i64),
    #[error("auto_link_score must be 0–1, not {0}")]
    Score(f64),
    #[error("class {code}: {source}")]
    Class {
        code: String,
        #[source]
        source: Box<RuleError>,
    },
}

/// The default rule and the per-class overrides.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DuplicateRules {
    pub default: DuplicateRule,
    /// Keyed by class code (e.g. `06010`).
    #[serde(default)]
    pub per_class: BTreeMap<String, DuplicateRule>,
}

impl DuplicateRules {
    /// The rule for `class_code`: its override, else the default.
    pub fn for_class(&self, class_code: &str) -> &DuplicateRule {
        self.per_class.get(class_code).unwrap_or(&self.default)
    }

    /// Checks every rule.
    ///
    /// # Errors
    /// The first rule with a value out of range (an override names its class).
    pub fn validate(&self) -> Result<(), RuleError> {
        self.default.validate()?;
        for (code, rule) in &self.per_class {
            rule.validate().map_err(|e| RuleError::Class {
                code: code.clone(),
                source: Box::new(e),
            })?;
        }
        Ok(())
    }
}

/// What the finder knows of a case: a report or a candidate.
#[derive(Clone, Debug, PartialEq)]
pub struct Candidate {
    pub id: i64,
    pub class_code: Option<String>,
    /// WGS-84 degrees.
    pub lat: f64,
    pub lon: f64,
    pub created_at: Timestamp,
    pub description: String,
    pub state: CaseState,
    /// Set once the case was linked to a master.
    pub master_case_id: Option<i64>,
}

impl Candidate {
    /// The finder's view of a case; `None` when it has no point.
    pub fn of_case(case: &Case) -> Option<Candidate> {
        Some(Candidate {
            id: case.id,
            class_code: case.class.as_ref().map(|c| c.code.clone()),
            lat: case.lat?,
            lon: case.lon?,
            created_at: case.created_at,
            description: case.description.clone(),
            state: case.state,
            master_case_id: case.master_case_id,
        })
    }
}

/// One ranked candidate.
#[derive(Clone, Debug, PartialEq)]
pub struct Match {
    pub id: i64,
    /// In `0..=1`; higher is more likely the same problem.
    pub score: f64,
    pub distance_m: f64,
}

/// Great-circle distance in metres between two WGS-84 points (haversine).
pub fn haversine_m(lat1: f64, lon1: f64, lat2: f64, lon2: f64) -> f64 {
    let (p1, p2) = (lat1.to_radians(), lat2.to_radians());
    let dp = p2 - p1;
    let dl = (lon2 - lon1).to_radians();
    let a = (dp / 2.0).sin().powi(2) + p1.cos() * p2.cos() * (dl / 2.0).sin().powi(2);
    2.0 * EARTH_RADIUS_M * a.sqrt().min(1.0).asin()
}

fn normalise(text: &str) -> Vec<char> {
    text.chars()
        .filter(|c| c.is_alphanumeric())
        .flat_map(char::to_lowercase)
        .collect()
}

fn bigrams(chars: &[char]) -> HashMap<(char, char), u32> {
    let mut out = HashMap::new();
    if chars.len() == 1 {
        // A one-character text is its own "bigram", so 堵 and 堵 still match.
        out.insert((chars[0], '\0'), 1);
    }
    for w in chars.windows(2) {
        *out.entry((w[0], w[1])).or_insert(0) += 1;
    }
    out
}

/// Sørensen–Dice similarity of the character bigrams (as multisets) of two texts, in `0..=1`.
/// Punctuation, spaces and case are ignored; an empty text is similar to nothing.
pub fn text_similarity(a: &str, b: &str) -> f64 {
    let (a, b) = (bigrams(&normalise(a)), bigrams(&normalise(b)));
    let total: u32 = a.values().sum::<u32>() + b.values().sum::<u32>();
    if total == 0 {
        return 0.0;
    }
    let common: u32 = a
        .iter()
        .map(|(k, n)| (*n).min(b.get(k).copied().unwrap_or(0)))
        .sum();
    (2.0 * f64::from(common) / f64::from(total)).clamp(0.0, 1.0)
}

fn falloff(x: f64) -> f64 {
    (1.0 - x * x).clamp(0.0, 1.0)
}

/// Whether `candidate` may be offered as a master for `report` at all (class, state, identity),
/// before distance and time.
pub fn eligible(report: &Candidate, candidate: &Candidate) -> bool {
    candidate.id != report.id
        && !candidate.state.is_terminal()
        && candidate.master_case_id.is_none()
        && report.class_code.is_some()
        && candidate.class_code == report.class_code
}

/// How likely `candidate` is the same problem as `report` under `rule`, in `0..=1`; `None` when
/// it is not a candidate (see [`eligible`]; beyond the radius; outside the window).
pub fn score(report: &Candidate, candidate: &Candidate, rule: &DuplicateRule) -> Option<f64> {
    score_and_distance(report, candidate, rule).map(|(s, _)| s)
}

fn score_and_distance(
    report: &Candidate,
    candidate: &Candidate,
    rule: &DuplicateRule,
) -> Option<(f64, f64)> {
    if !eligible(report, candidate) || rule.radius_m <= 0.0 || rule.window_minutes <= 0 {
        return None;
    }
    let d = haversine_m(report.lat, report.lon, candidate.lat, candidate.lon);
    if !d.is_finite() || d > rule.radius_m {
        return None;
    }
    let dt = report.created_at.0.abs_diff(candidate.created_at.0);
    let window = u64::try_from(rule.window_ms()).ok()?;
    if dt > window {
        return None;
    }
    // Both in 0..=1 by the checks above; u64 → f64 loses nothing that matters here.
    #[allow(clippy::cast_precision_loss)]
    let t = dt as f64 / window as f64;
    let s = WEIGHT_DISTANCE * falloff(d / rule.radius_m)
        + WEIGHT_TIME * falloff(t)
        + WEIGHT_TEXT * text_similarity(&report.description, &candidate.description);
    Some((s.clamp(0.0, 1.0), d))
}

/// The candidates of `report` under `rule`, best first: by score, then nearer, then newer,
/// then lower id (deterministic whatever the input order).
pub fn rank(report: &Candidate, candidates: &[Candidate], rule: &DuplicateRule) -> Vec<Match> {
    let mut out: Vec<(Match, Timestamp)> = candidates
        .iter()
        .filter_map(|c| {
            score_and_distance(report, c, rule).map(|(score, distance_m)| {
                (
                    Match {
                        id: c.id,
                        score,
                        distance_m,
                    },
                    c.created_at,
                )
            })
        })
        .collect();
    out.sort_by(|(a, at), (b, bt)| {
        b.score
            .total_cmp(&a.score)
            .then(a.distance_m.total_cmp(&b.distance_m))
            .then(bt.cmp(at))
            .then(a.id.cmp(&b.id))
    });
    out.dedup_by_key(|(m, _)| m.id);
    out.into_iter().map(|(m, _)| m).collect()
}

/// The master to link `report` to automatically: the best candidate when it scores at least
/// the rule's `auto_link_score` (never when that is `None`).
pub fn auto_master(report: &Candidate, ranked: &[Match], rule: &DuplicateRule) -> Option<i64> {
    let threshold = rule.auto_link_score?;
    let best = ranked.first()?;
    (best.id != report.id && best.score >= threshold).then_some(best.id)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// 2026-11-24 10:00 +08:00.
    const T0: i64 = 1_763_949_600_000;
    const LAT: f64 = 34.75;
    const LON: f64 = 113.61;
    /// Degrees of latitude per metre.
    const DEG_PER_M: f64 = 1.0 / 111_195.0;

    fn case(id: i64, north_m: f64, minutes: i64, text: &str) -> Candidate {
        Candidate {
            id,
            class_code: Some("06010".into()),
            lat: LAT + north_m * DEG_PER_M,
            lon: LON,
            created_at: Timestamp(T0 + minutes * 60_000),
            description: text.into(),
            state: CaseState::Reported,
            master_case_id: None,
        }
    }

    #[test]
    fn haversine_matches_known_distances() {
        assert!(haversine_m(LAT, LON, LAT, LON).abs() < 1e-9);
        // One degree of latitude ≈ 111.2 km.
        let d = haversine_m(0.0, 0.0, 1.0, 0.0);
        assert!((d - 111_195.0).abs() < 5.0, "{d}");
        // 10 m north.
        let d = haversine_m(LAT, LON, LAT + 10.0 * DEG_PER_M, LON);
        assert!((d - 10.0).abs() < 0.01, "{d}");
        // Symmetric.
        let (a, b) = (
            haversine_m(LAT, LON, 34.8, 113.7),
            haversine_m(34.8, 113.7, LAT, LON),
        );
        assert!((a - b).abs() < 1e-6);
    }

    #[test]
    fn chinese_text_similarity() {
        let a = "百花路口有成堆垃圾没人清理";
        assert!((text_similarity(a, a) - 1.0).abs() < 1e-12);
        // Punctuation and spaces do not matter.
        assert!((text_similarity("百花路口，有垃圾！", "百花路口 有垃圾") - 1.0).abs() < 1e-12);
        let near = text_similarity(a, "百花路口成堆垃圾");
        let far = text_similarity(a, "建设路井盖丢失");
        assert!(near > 0.6, "{near}");
        assert!(far < 0.1, "{far}");
        assert!(text_similarity("", a).abs() < 1e-12);
        assert!(text_similarity("", "").abs() < 1e-12);
        assert!((text_similarity("堵", "堵") - 1.0).abs() < 1e-12);
        assert!((text_similarity("ABC", "abc") - 1.0).abs() < 1e-12);
    }

    #[test]
    fn close_similar_reports_score_above_the_default_threshold() {
        let rule = DuplicateRule::default();
        let first = case(1, 0.0, 0, "百花路口有成堆垃圾");
        let second = case(2, 10.0, 30, "百花路口有成堆垃圾，臭味很大");
        let s = score(&second, &first, &rule).expect("candidate");
        assert!(s >= 0.9, "{s}");
        // Same place, unrelated words: offered, but below the automatic threshold.
        let other = case(3, 10.0, 30, "井盖丢失");
        let s = score(&other, &first, &rule).expect("candidate");
        assert!(s < 0.9 && s > 0.3, "{s}");
    }

    #[test]
    fn only_open_unmerged_cases_of_the_same_class_within_radius_and_window() {
        let rule = DuplicateRule::default();
        let report = case(10, 0.0, 0, "垃圾");
        assert!(score(&report, &report, &rule).is_none(), "never itself");
        assert!(score(&report, &case(1, 49.0, 0, "垃圾"), &rule).is_some());
        assert!(score(&report, &case(1, 51.0, 0, "垃圾"), &rule).is_none());
        assert!(score(&report, &case(1, 0.0, -4320, "垃圾"), &rule).is_some());
        assert!(score(&report, &case(1, 0.0, -4321, "垃圾"), &rule).is_none());
        let mut other_class = case(1, 0.0, 0, "垃圾");
        other_class.class_code = Some("01001".into());
        assert!(score(&report, &other_class, &rule).is_none());
        let mut no_class = report.clone();
        no_class.class_code = None;
        let mut c = case(1, 0.0, 0, "垃圾");
        c.class_code = None;
        assert!(score(&no_class, &c, &rule).is_none(), "no class, no match");
        for s in [
            CaseState::Closed,
            CaseState::Rejected,
            CaseState::Voided,
            CaseState::Merged,
        ] {
            let mut c = case(1, 0.0, 0, "垃圾");
            c.state = s;
            assert!(score(&report, &c, &rule).is_none(), "{s:?}");
        }
        let mut merged = case(1, 0.0, 0, "垃圾");
        merged.master_case_id = Some(7);
        assert!(score(&report, &merged, &rule).is_none());
        let mut open = case(1, 0.0, 0, "垃圾");
        open.state = CaseState::Handling;
        assert!(score(&report, &open, &rule).is_some());
    }

    #[test]
    fn rank_is_best_first_and_deterministic() {
        let rule = DuplicateRule::default();
        let report = case(10, 0.0, 0, "百花路口有成堆垃圾");
        let cands = vec![
            case(1, 40.0, -60, "百花路口有成堆垃圾"),
            case(2, 5.0, -60, "百花路口有成堆垃圾"),
            case(3, 5.0, -60, "井盖丢失"),
            case(4, 500.0, -60, "百花路口有成堆垃圾"),
            case(5, 5.0, -60, "百花路口有成堆垃圾"),
        ];
        let ids = |v: Vec<Match>| v.into_iter().map(|m| m.id).collect::<Vec<_>>();
        let ranked = ids(rank(&report, &cands, &rule));
        // 2 and 5 tie on everything: the lower id first; 4 is beyond the radius.
        assert_eq!(ranked, vec![2, 5, 1, 3]);
        let mut reversed = cands.clone();
        reversed.reverse();
        assert_eq!(ids(rank(&report, &reversed, &rule)), ranked);
    }

    #[test]
    fn auto_master_needs_the_threshold() {
        let mut rule = DuplicateRule::default();
        let report = case(10, 0.0, 0, "百花路口有成堆垃圾");
        let ranked = rank(&report, &[case(1, 5.0, -10, "百花路口有成堆垃圾")], &rule);
        assert_eq!(auto_master(&report, &ranked, &rule), Some(1));
        rule.auto_link_score = None;
        assert_eq!(auto_master(&report, &ranked, &rule), None);
        rule.auto_link_score = Some(1.0);
        assert_eq!(auto_master(&report, &ranked, &rule), None);
        assert_eq!(auto_master(&report, &[], &DuplicateRule::default()), None);
    }

    #[test]
    fn rules_per_class_validate_and_round_trip() {
        let mut rules = DuplicateRules::default();
        rules.per_class.insert(
            "06010".into(),
            DuplicateRule {
                radius_m: 200.0,
                window_minutes: 60,
                auto_link_score: None,
            },
        );
        assert_eq!(rules.for_class("06010").radius_m, 200.0);
        assert_eq!(rules.for_class("01001"), &DuplicateRule::default());
        assert!(rules.validate().is_ok());
        let json = serde_json::to_string(&rules).expect("json");
        let back: DuplicateRules = serde_json::from_str(&json).expect("parse");
        assert_eq!(back, rules);
        let bad = |f: &dyn Fn(&mut DuplicateRule)| {
            let mut r = DuplicateRule::default();
            f(&mut r);
            r.validate()
        };
        assert_eq!(bad(&|r| r.radius_m = 0.5), Err(RuleError::Radius(0.5)));
        assert_eq!(
            bad(&|r| r.radius_m = 5001.0),
            Err(RuleError::Radius(5001.0))
        );
        assert!(bad(&|r| r.radius_m = f64::NAN).is_err());
        assert_eq!(bad(&|r| r.window_minutes = 0), Err(RuleError::Window(0)));
        assert_eq!(
            bad(&|r| r.window_minutes = 43_201),
            Err(RuleError::Window(43_201))
        );
        assert_eq!(
            bad(&|r| r.auto_link_score = Some(1.5)),
            Err(RuleError::Score(1.5))
        );
        assert!(bad(&|r| r.auto_link_score = Some(0.0)).is_ok());
        assert!(bad(&|r| r.auto_link_score = Some(1.0)).is_ok());
        rules.per_class.insert(
            "01001".into(),
            DuplicateRule {
                radius_m: 0.0,
                ..DuplicateRule::default()
            },
        );
        let err = rules.validate().expect_err("bad override");
        assert!(err.to_string().starts_with("class 01001:"), "{err}");
        assert!(serde_json::from_str::<DuplicateRules>(r#"{"default":{}}"#).is_err());
    }

    fn arb_text() -> impl Strategy<Value = String> {
        proptest::collection::vec(
            prop_oneof![
                Just('百'),
                Just('花'),
                Just('路'),
                Just('垃'),
                Just('圾'),
                Just('井'),
                Just('盖'),
                Just('，'),
                Just(' '),
                Just('a'),
            ],
            0..20,
        )
        .prop_map(|v| v.into_iter().collect())
    }

    fn arb_rule() -> impl Strategy<Value = DuplicateRule> {
        (1.0f64..5000.0, 1i64..43_200).prop_map(|(radius_m, window_minutes)| DuplicateRule {
            radius_m,
            window_minutes,
            auto_link_score: Some(0.9),
        })
    }

    proptest! {
        #[test]
        fn score_is_in_unit_interval_and_symmetric(
            rule in arb_rule(),
            north in -6000.0f64..6000.0,
            east in -0.05f64..0.05,
            minutes in -50_000i64..50_000,
            a in arb_text(),
            b in arb_text(),
        ) {
            let r = case(1, 0.0, 0, &a);
            let mut c = case(2, north, minutes, &b);
            c.lon += east;
            let s = score(&r, &c, &rule);
            if let Some(s) = s {
                prop_assert!((0.0..=1.0).contains(&s), "{s}");
            }
            // Swapping report and candidate gives the same answer.
            let back = score(&c, &r, &rule);
            prop_assert_eq!(s.is_some(), back.is_some());
            if let (Some(x), Some(y)) = (s, back) {
                prop_assert!((x - y).abs() < 1e-9, "{x} vs {y}");
            }
            prop_assert!((text_similarity(&a, &b) - text_similarity(&b, &a)).abs() < 1e-12);
        }

        #[test]
        fn nearer_never_scores_lower(
            rule in arb_rule(),
            d1 in 0.0f64..5000.0,
            d2 in 0.0f64..5000.0,
            minutes in -43_200i64..43_200,
            a in arb_text(),
            b in arb_text(),
        ) {
            let (near, far) = if d1 <= d2 { (d1, d2) } else { (d2, d1) };
            let r = case(1, 0.0, 0, &a);
            let s_near = score(&r, &case(2, near, minutes, &b), &rule);
            let s_far = score(&r, &case(2, far, minutes, &b), &rule);
            if let Some(f) = s_far {
                let n = s_near.expect("a nearer case is a candidate too");
                prop_assert!(n + 1e-9 >= f, "{n} < {f}");
            }
        }
    }
}
