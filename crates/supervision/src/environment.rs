//! Fume 油烟, dust 扬尘 and noise 噪声 monitor rules over HJ 212 readings, and per-monitor history
//! aggregates.
//!
//! # Input: [`MonitorSample`] from an HJ 212 upload
//!
//! The gateway hands over one reading per upload (2011 real-time, 2051 minute, 2061 hour data).
//! A sample is built from it like this:
//!
//! | HJ 212 | [`MonitorSample`] |
//! |---|---|
//! | `MN` | `mn` |
//! | `DataTime` (GMT+8, converted to UTC ms; the receive time when absent) | `at` |
//! | `xxxxxx-Rtd` (2011) or `xxxxxx-Avg` (2051 / 2061), parsed as a number; unparsable → `None` | `values[i].value`, `code` = `xxxxxx` |
//! | `xxxxxx-Flag` (first character) | `values[i].flag` |
//! | `SBn-RS` (0 关闭, 1 运行, 2 校准, 3 维护, 4 报警, 5 反吹) | `running[j] = ("SBn", RS)` |
//!
//! [`MonitorSample::from_hj212`] does this mapping from the factor fields the gateway keeps.
//!
//! Factor codes (HJ 212-2017 Table B.2 / B.3 and de-facto codes, see `shared/reference/hj212.md`
//! §10): `a34041` 油烟 (mg/m³), `a34000` 颗粒物, `a24088` 非甲烷总烃, `a34002` PM10, `a34004`
//! PM2.5, `a34001` TSP, `LA` / `a50001` noise (dB(A)). Which codes a rule reads is configuration
//! ([`EnvConfig`]), because vendors differ.
//!
//! # Data flags
//!
//! HJ 212-2017 Table 8: N 正常, F 停运, M 维护, S 手工输入, D 故障, C 校准, T 超测量上限, B 通讯异常.
//! By default F, M, S, D, C and B mark a value **invalid**: it does not count toward an
//! exceedance and does not interrupt one ([`EnvConfig::invalid_flags`]). T (over range) is a real
//! measurement above the instrument's upper limit, so it counts. D and B (device faults) also feed
//! the `env.faulty` rule ([`EnvConfig::fault_flags`]). Unknown flags (the table is 可扩充) count as
//! valid.
//!
//! # Rules
//!
//! | rule id | sites | when | level, class |
//! |---|---|---|---|
//! | `fume.exceedance` | restaurants | fume > limit for `sustain_minutes` of valid data | Warning, 06027 油烟污染 |
//! | `fume.purifier_off` | restaurants | a fan runs while every reported purifier is off | Warning, 06027 油烟污染 |
//! | `dust.pm10`, `dust.pm25`, `dust.tsp` | construction sites | rolling mean over the window > limit | Warning, 08004 工地扬尘 |
//! | `noise.exceedance` | construction sites | rolling Leq over the window > day / night limit | Warning, 08001 施工扰民 |
//! | `env.offline` | all | no sample for `offline_after_ms` (checked by [`EnvSupervisor::tick`]) | Warning, no case |
//! | `env.faulty` | all | consecutive samples carrying a fault flag | Notice, no case |
//!
//! Every numeric rule clears only once the value falls below `clear_ratio` × limit (a hysteresis
//! band), so a value hovering at the limit does not raise and clear over and over.

use std::collections::{BTreeMap, HashMap, VecDeque};

use domain::time::Timestamp;
use grid::Point;
use serde::{Deserialize, Serialize};
use serde_json::json;

use crate::alarm::{AlarmKey, AlarmLevel, Clear, Edge, Hysteresis, HysteresisState, Raise};
use crate::alarm::{Signal, SourceKind};

/// 06027 油烟污染 (GB/T 47678.5-2026, 市容环境类).
pub const CLASS_FUME: &str = "06027";
/// 08004 工地扬尘 (GB/T 47678.5-2026, 施工管理类).
pub const CLASS_DUST: &str = "08004";
/// 08001 施工扰民 (GB/T 47678.5-2026, 施工管理类; its filing conditions name night-time noise).
pub const CLASS_CONSTRUCTION_NOISE: &str = "08001";

/// Rule id: sustained fume exceedance.
pub const RULE_FUME_EXCEEDANCE: &str = "fume.exceedance";
/// Rule id: the fan runs while the purifier is off.
pub const RULE_FUME_PURIFIER_OFF: &str = "fume.purifier_off";
/// Rule id: the monitor stopped sending.
pub const RULE_OFFLINE: &str = "env.offline";
/// Rule id: the monitor flags its data as faulty.
pub const RULE_FAULTY: &str = "env.faulty";
/// Rule id: PM10 rolling mean over the limit.
pub const RULE_DUST_PM10: &str = "dust.pm10";
/// Rule id: PM2.5 rolling mean over the limit.
pub const RULE_DUST_PM25: &str = "dust.pm25";
/// Rule id: TSP rolling mean over the limit.
pub const RULE_DUST_TSP: &str = "dust.tsp";
/// Rule id: construction noise Leq over the day or night limit.
pub const RULE_NOISE: &str = "noise.exceedance";

const MINUTE_MS: i64 = 60_000;
const HOUR_MS: i64 = 3_600_000;
const DAY_MS: i64 = 86_400_000;
/// Asia/Shanghai is UTC+08:00 all year.
const SHANGHAI_OFFSET_MS: i64 = 8 * HOUR_MS;

/// Milliseconds since Asia/Shanghai local midnight.
fn shanghai_ms_of_day(at: Timestamp) -> i64 {
    (at.0.rem_euclid(DAY_MS) + SHANGHAI_OFFSET_MS).rem_euclid(DAY_MS)
}

/// One factor of a sample.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct FactorValue {
    /// Factor code as sent (`a34041`, `a34002`, `LA`, …).
    pub code: String,
    /// The value in the device's unit; `None` when missing or not a number.
    pub value: Option<f64>,
    /// The HJ 212 data flag (`N`, `F`, `M`, `S`, `D`, `C`, `T`, `B`, …), when sent.
    pub flag: Option<char>,
}

/// One upload of one monitor (see the module docs for the HJ 212 mapping).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct MonitorSample {
    /// The monitor's MN.
    pub mn: String,
    /// The data time (UTC).
    pub at: Timestamp,
    /// Measured factors.
    pub values: Vec<FactorValue>,
    /// Equipment running states `(SBn, RS)`.
    pub running: Vec<(String, i32)>,
}

impl MonitorSample {
    /// Builds a sample from the factors of an HJ 212 upload as the gateway keeps them: per factor
    /// its code and its `(suffix, value)` fields as sent (`a34041` → `[("Rtd", "1.23"),
    /// ("Flag", "N")]`, `SB1` → `[("RS", "1")]`). The value is `Rtd`, else `Avg` (minute / hour
    /// data), parsed as a number; the flag is the first character of `Flag`; a factor with an
    /// `RS` field is a running state. `at` is the upload's `DataTime` (or its receive time).
    pub fn from_hj212<'a, I, F>(mn: &str, at: Timestamp, factors: I) -> MonitorSample
    where
        I: IntoIterator<Item = (&'a str, F)>,
        F: IntoIterator<Item = &'a (String, String)>,
    {
        let mut values = Vec::new();
        let mut running = Vec::new();
        for (code, fields) in factors {
            let (mut rtd, mut avg, mut flag, mut rs) = (None, None, None, None);
            for (suffix, value) in fields {
                let slot = match suffix.as_str() {
                    "Rtd" => &mut rtd,
                    "Avg" => &mut avg,
                    "Flag" => &mut flag,
                    "RS" => &mut rs,
                    _ => continue,
                };
                // Duplicate keys happen; the first one wins.
                slot.get_or_insert(value.as_str());
            }
            if let Some(state) = rs.and_then(|v| v.trim().parse::<i32>().ok()) {
                running.push((code.to_owned(), state));
            }
            if rtd.is_some() || avg.is_some() || flag.is_some() {
                values.push(FactorValue {
                    code: code.to_owned(),
                    value: rtd
                        .or(avg)
                        .and_then(|v| v.trim().parse::<f64>().ok())
                        .filter(|v| v.is_finite()),
                    flag: flag.and_then(|f| f.chars().next()),
                });
            }
        }
        MonitorSample {
            mn: mn.to_owned(),
            at,
            values,
            running,
        }
    }

    /// The first factor with this code.
    pub fn factor(&self, code: &str) -> Option<&FactorValue> {
        self.values.iter().find(|f| f.code == code)
    }

    /// The first factor whose code is in `codes` (in `codes` order).
    pub fn first_factor(&self, codes: &[String]) -> Option<&FactorValue> {
        codes.iter().find_map(|c| self.factor(c))
    }
}

/// 饮食业单位规模 — restaurant size class per GB 18483-2001 Table 1 (by base stoves 基准灶头数).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RestaurantSize {
    /// 小型: ≥ 1 and < 3 base stoves.
    Small,
    /// 中型: ≥ 3 and < 6 base stoves.
    Medium,
    /// 大型: ≥ 6 base stoves.
    Large,
}

/// What a monitor watches.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum SiteKind {
    /// A restaurant's exhaust (fume monitor).
    Restaurant {
        /// Its size class.
        size: RestaurantSize,
    },
    /// A construction site's boundary (dust and noise monitor).
    ConstructionSite,
}

/// The unit a monitor sends particulates in (HJ 212 leaves it to the device).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ParticulateUnit {
    /// µg/m³ (the common case for dust monitors).
    #[default]
    UgM3,
    /// mg/m³.
    MgM3,
}

impl ParticulateUnit {
    /// The factor converting a value in this unit to µg/m³.
    fn to_ug_m3(self) -> f64 {
        match self {
            ParticulateUnit::UgM3 => 1.0,
            ParticulateUnit::MgM3 => 1000.0,
        }
    }
}

/// The site a monitor is installed at.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Site {
    /// The name people know it by (`老城餐厅`, `中原区某某项目工地`).
    pub name: String,
    /// Restaurant or construction site.
    pub kind: SiteKind,
    /// Where it is, WGS-84, when known.
    #[serde(default)]
    pub position: Option<Point>,
    /// The unit grid it is in, when known.
    #[serde(default)]
    pub grid_code: Option<String>,
    /// The unit of the monitor's particulate values (dust factors only; fume is mg/m³).
    #[serde(default)]
    pub particulate_unit: ParticulateUnit,
}

/// Fume limits per restaurant size class.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct SizeLimits {
    /// 小型.
    pub small: f64,
    /// 中型.
    pub medium: f64,
    /// 大型.
    pub large: f64,
}

impl SizeLimits {
    /// The value for a size class.
    pub fn get(&self, size: RestaurantSize) -> f64 {
        match size {
            RestaurantSize::Small => self.small,
            RestaurantSize::Medium => self.medium,
            RestaurantSize::Large => self.large,
        }
    }
}

/// Fume rules.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct FumeConfig {
    /// Factor codes read as the fume concentration, first present wins. Default `["a34041"]`.
    pub codes: Vec<String>,
    /// Maximum concentration, mg/m³, per size class. Default 2.0 for all three: GB 18483-2001
    /// Table 2 sets 2.0 mg/m³ for 小/中/大 (stricter local standards such as DB41/1604-2018 go here).
    pub limit_mg_m3: SizeLimits,
    /// Minimum purifier removal efficiency per size class, percent: GB 18483-2001 sets 60 / 75 /
    /// 85 %. Recorded for reports; the monitor measures the outlet only, so no rule uses it.
    pub min_removal_efficiency_pct: SizeLimits,
    /// Minutes of valid over-limit data before raising. Default 10.
    pub sustain_minutes: u32,
    /// Minutes of valid data below the band before clearing. Default 5.
    pub clear_minutes: u32,
    /// The alarm clears only below `clear_ratio` × limit. Default 0.9.
    pub clear_ratio: f64,
    /// Running-state codes of the fan(s) 风机 (`SBn` of `SBn-RS`, or a vendor factor code whose
    /// value is 0 off / 1 on such as `a01018`). Default `["SB1", "a01018"]`.
    pub fan_codes: Vec<String>,
    /// Running-state codes of the purifier(s) 净化器. Default `["SB2", "a01022"]`.
    pub purifier_codes: Vec<String>,
    /// How long the fan must run with the purifier off before raising. Default 5 min, at once
    /// after that; clears on the first sample with the purifier on or the fan off.
    pub purifier_off: Hysteresis,
}

impl Default for FumeConfig {
    fn default() -> FumeConfig {
        FumeConfig {
            codes: vec!["a34041".into()],
            limit_mg_m3: SizeLimits {
                small: 2.0,
                medium: 2.0,
                large: 2.0,
            },
            min_removal_efficiency_pct: SizeLimits {
                small: 60.0,
                medium: 75.0,
                large: 85.0,
            },
            sustain_minutes: 10,
            clear_minutes: 5,
            clear_ratio: 0.9,
            fan_codes: vec!["SB1".into(), "a01018".into()],
            purifier_codes: vec!["SB2".into(), "a01022".into()],
            purifier_off: Hysteresis {
                raise_after_ms: 5 * MINUTE_MS,
                raise_samples: 1,
                clear_after_ms: 0,
                clear_samples: 1,
            },
        }
    }
}

/// A rolling-mean limit on one factor.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct WindowLimit {
    /// Factor codes read, first present wins.
    pub codes: Vec<String>,
    /// The limit in the rule's unit (µg/m³ for dust); `None` switches the rule off.
    pub limit: Option<f64>,
    /// The averaging window, ms.
    pub window_ms: i64,
    /// The share of the window valid data must cover before the mean is judged (0–1).
    pub min_coverage: f64,
    /// The alarm clears only when the mean falls below `clear_ratio` × limit.
    pub clear_ratio: f64,
}

/// Construction dust rules. Defaults: GB 3095-2012 grade II 24-hour limits used by many local
/// 扬尘 rules as the site reference (PM10 150 µg/m³, PM2.5 off), applied to the hourly mean; TSP
/// 800 µg/m³ as in DB21/2642-2016 and DB61/1078-2017 (0.8 mg/m³). All are configuration: local
/// standards (e.g. DB13/2934-2019 80 µg/m³ above the district background) differ.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct DustConfig {
    /// PM10 (`a34002`), µg/m³, 60-minute mean.
    pub pm10: WindowLimit,
    /// PM2.5 (`a34004`), µg/m³, 60-minute mean; off by default.
    pub pm25: WindowLimit,
    /// TSP (`a34001`), µg/m³, 60-minute mean.
    pub tsp: WindowLimit,
}

impl Default for DustConfig {
    fn default() -> DustConfig {
        let hourly = |code: &str, limit: Option<f64>| WindowLimit {
            codes: vec![code.into()],
            limit,
            window_ms: HOUR_MS,
            min_coverage: 0.75,
            clear_ratio: 0.9,
        };
        DustConfig {
            pm10: hourly("a34002", Some(150.0)),
            pm25: hourly("a34004", None),
            tsp: hourly("a34001", Some(800.0)),
        }
    }
}

/// Construction noise rules, GB 12523-2011 《建筑施工场界环境噪声排放标准》: 70 dB(A) by day,
/// 55 dB(A) by night, judged on the equivalent level Leq of a continuous 20-minute measurement.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct NoiseConfig {
    /// Factor codes read, first present wins. Default `["LA", "a50001"]`.
    pub codes: Vec<String>,
    /// Day limit 昼间, dB(A). Default 70.
    pub day_limit_db: f64,
    /// Night limit 夜间, dB(A). Default 55.
    pub night_limit_db: f64,
    /// Night starts at this Asia/Shanghai minute of the day. Default 22:00 (1320).
    pub night_start_minute: u32,
    /// Night ends at this Asia/Shanghai minute of the day. Default 06:00 (360).
    pub night_end_minute: u32,
    /// The Leq window, ms. Default 20 min.
    pub window_ms: i64,
    /// Share of the window valid data must cover. Default 0.75.
    pub min_coverage: f64,
    /// Clears below `limit − clear_margin_db`. Default 3 dB.
    pub clear_margin_db: f64,
}

impl Default for NoiseConfig {
    fn default() -> NoiseConfig {
        NoiseConfig {
            codes: vec!["LA".into(), "a50001".into()],
            day_limit_db: 70.0,
            night_limit_db: 55.0,
            night_start_minute: 22 * 60,
            night_end_minute: 6 * 60,
            window_ms: 20 * MINUTE_MS,
            min_coverage: 0.75,
            clear_margin_db: 3.0,
        }
    }
}

impl NoiseConfig {
    /// Whether `at` falls in the night period (Asia/Shanghai wall clock).
    pub fn is_night(&self, at: Timestamp) -> bool {
        let minute = shanghai_ms_of_day(at) / MINUTE_MS;
        let (start, end) = (
            i64::from(self.night_start_minute),
            i64::from(self.night_end_minute),
        );
        if start <= end {
            minute >= start && minute < end
        } else {
            minute >= start || minute < end
        }
    }

    /// The limit in force at `at`, dB(A).
    pub fn limit_at(&self, at: Timestamp) -> f64 {
        if self.is_night(at) {
            self.night_limit_db
        } else {
            self.day_limit_db
        }
    }
}

/// All environment-monitor rules. Every field has a documented default, so a partial
/// configuration file works.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct EnvConfig {
    /// Fume rules (restaurants).
    pub fume: FumeConfig,
    /// Dust rules (construction sites).
    pub dust: DustConfig,
    /// Noise rules (construction sites).
    pub noise: NoiseConfig,
    /// The nominal interval between samples, ms: one sample stands for at most this much time.
    /// Default 60 s (minute data).
    pub sample_interval_ms: i64,
    /// A silence longer than this between two samples restarts every pending run, so two
    /// separate breaches are not added together. Default 90 s (one missing minute sample).
    pub max_gap_ms: i64,
    /// No sample for this long → `env.offline`. Default 30 min.
    pub offline_after_ms: i64,
    /// Flags whose values do not count (neither toward nor against a rule). Default
    /// `F M S D C B`.
    pub invalid_flags: Vec<char>,
    /// Flags that feed `env.faulty`. Default `D B`.
    pub fault_flags: Vec<char>,
    /// When faulty flags become an alarm. Default 3 consecutive samples, clear on the first
    /// sample without one.
    pub faulty: Hysteresis,
    /// How many recent samples a raise carries as evidence. Default 30.
    pub series_len: usize,
}

impl Default for EnvConfig {
    fn default() -> EnvConfig {
        EnvConfig {
            fume: FumeConfig::default(),
            dust: DustConfig::default(),
            noise: NoiseConfig::default(),
            sample_interval_ms: MINUTE_MS,
            max_gap_ms: 90_000,
            offline_after_ms: 30 * MINUTE_MS,
            invalid_flags: vec!['F', 'M', 'S', 'D', 'C', 'B'],
            fault_flags: vec!['D', 'B'],
            faulty: Hysteresis {
                raise_after_ms: 0,
                raise_samples: 3,
                clear_after_ms: 0,
                clear_samples: 1,
            },
            series_len: 30,
        }
    }
}

impl EnvConfig {
    /// Whether a value with this flag counts.
    pub fn is_valid_flag(&self, flag: Option<char>) -> bool {
        flag.is_none_or(|f| !self.invalid_flags.contains(&f))
    }

    /// The numeric value of a factor when it counts (present, finite, valid flag).
    fn valid_value(&self, f: &FactorValue) -> Option<f64> {
        f.value
            .filter(|v| v.is_finite() && self.is_valid_flag(f.flag))
    }
}

/// A bounded series of recent values.
#[derive(Clone, Debug, Default)]
struct Series {
    points: VecDeque<(Timestamp, f64)>,
}

impl Series {
    fn push(&mut self, at: Timestamp, value: f64, cap: usize) {
        if cap == 0 {
            return;
        }
        while self.points.len() >= cap {
            self.points.pop_front();
        }
        self.points.push_back((at, value));
    }

    fn to_json(&self, unit_key: &str) -> serde_json::Value {
        serde_json::Value::Array(
            self.points
                .iter()
                .map(|(t, v)| json!({ "t": t.0, unit_key: round3(*v) }))
                .collect(),
        )
    }
}

fn round3(v: f64) -> f64 {
    (v * 1000.0).round() / 1000.0
}

/// A "sustained for N minutes of valid data" rule with a clear band.
#[derive(Clone, Debug, Default)]
struct Sustain {
    active: bool,
    /// First sample of the pending run (raise run when inactive, clear run when active).
    run_since: Option<Timestamp>,
    /// Valid time accumulated by the pending run.
    run_ms: i64,
    /// Highest value of the current breach (pending or raised).
    peak: f64,
}

/// What a [`Sustain`] step decided.
enum SustainEdge {
    Raised { since: Timestamp, sustained_ms: i64 },
    Cleared { since: Timestamp },
}

impl Sustain {
    fn reset_run(&mut self) {
        self.run_since = None;
        self.run_ms = 0;
    }

    /// One valid value worth `credit_ms` of time.
    #[allow(clippy::too_many_arguments)]
    fn observe(
        &mut self,
        at: Timestamp,
        value: f64,
        credit_ms: i64,
        limit: f64,
        clear_below: f64,
        raise_ms: i64,
        clear_ms: i64,
    ) -> Option<SustainEdge> {
        if self.active {
            self.peak = self.peak.max(value);
            if value < clear_below {
                let since = *self.run_since.get_or_insert(at);
                self.run_ms += credit_ms;
                if self.run_ms >= clear_ms {
                    self.active = false;
                    self.reset_run();
                    return Some(SustainEdge::Cleared { since });
                }
            } else {
                self.reset_run();
            }
            None
        } else if value > limit {
            if self.run_since.is_none() {
                self.peak = value;
            }
            self.peak = self.peak.max(value);
            let since = *self.run_since.get_or_insert(at);
            self.run_ms += credit_ms;
            if self.run_ms >= raise_ms {
                let sustained_ms = self.run_ms;
                self.active = true;
                self.reset_run();
                return Some(SustainEdge::Raised {
                    since,
                    sustained_ms,
                });
            }
            None
        } else {
            self.reset_run();
            None
        }
    }
}

/// At most this many points stay in a rolling window (a device sending far faster than its
/// nominal interval cannot grow the state without bound; the oldest points go first).
const WINDOW_MAX_POINTS: usize = 720;

/// One valid sample inside a rolling window.
#[derive(Clone, Copy, Debug)]
struct WindowPoint {
    at: Timestamp,
    /// The value as measured (for the evidence series).
    value: f64,
    /// The value averaged: the value itself, or 10^(L/10) for sound levels.
    linear: f64,
    /// The time this sample stands for.
    credit_ms: i64,
}

/// A rolling mean over a time window with a clear band.
#[derive(Clone, Debug, Default)]
struct Window {
    points: VecDeque<WindowPoint>,
    state: HysteresisState,
}

impl Window {
    /// Adds a sample and returns the mean when the window is covered well enough.
    /// `energy` averages levels in dB as 10·log10(mean(10^(L/10))) (Leq).
    fn push(
        &mut self,
        at: Timestamp,
        value: f64,
        credit_ms: i64,
        window_ms: i64,
        min_coverage: f64,
        energy: bool,
    ) -> Option<f64> {
        let linear = if energy {
            10f64.powf(value / 10.0)
        } else {
            value
        };
        if self.points.len() >= WINDOW_MAX_POINTS {
            self.points.pop_front();
        }
        self.points.push_back(WindowPoint {
            at,
            value,
            linear,
            credit_ms,
        });
        let oldest = at.0.saturating_sub(window_ms);
        while self.points.front().is_some_and(|p| p.at.0 <= oldest) {
            self.points.pop_front();
        }
        let covered_ms: i64 = self.points.iter().map(|p| p.credit_ms).sum();
        if self.points.is_empty() || (covered_ms as f64) < min_coverage * window_ms as f64 {
            return None;
        }
        let mean = self.points.iter().map(|p| p.linear).sum::<f64>() / self.points.len() as f64;
        Some(if energy { 10.0 * mean.log10() } else { mean })
    }

    fn series_json(&self, unit_key: &str, cap: usize) -> serde_json::Value {
        let skip = self.points.len().saturating_sub(cap);
        serde_json::Value::Array(
            self.points
                .iter()
                .skip(skip)
                .map(|p| json!({ "t": p.at.0, unit_key: round3(p.value) }))
                .collect(),
        )
    }
}

/// Per-monitor rule state.
#[derive(Clone, Debug)]
struct MonitorState {
    site: Site,
    last_at: Option<Timestamp>,
    offline: bool,
    faulty: HysteresisState,
    fume: Sustain,
    fume_series: Series,
    purifier: HysteresisState,
    pm10: Window,
    pm25: Window,
    tsp: Window,
    noise: Window,
}

impl MonitorState {
    fn new(site: Site) -> MonitorState {
        MonitorState {
            site,
            last_at: None,
            offline: false,
            faulty: HysteresisState::default(),
            fume: Sustain::default(),
            fume_series: Series::default(),
            purifier: HysteresisState::default(),
            pm10: Window::default(),
            pm25: Window::default(),
            tsp: Window::default(),
            noise: Window::default(),
        }
    }
}

/// The environment-monitor rule engine: one state per registered MN.
#[derive(Clone, Debug, Default)]
pub struct EnvSupervisor {
    config: EnvConfig,
    monitors: HashMap<String, MonitorState>,
}

impl EnvSupervisor {
    /// An engine with this configuration and no monitors.
    pub fn new(config: EnvConfig) -> EnvSupervisor {
        EnvSupervisor {
            config,
            monitors: HashMap::new(),
        }
    }

    /// The configuration in force.
    pub fn config(&self) -> &EnvConfig {
        &self.config
    }

    /// Registers (or re-registers) a monitor. Re-registering keeps the rule state and replaces
    /// the site.
    pub fn register(&mut self, mn: impl Into<String>, site: Site) {
        match self.monitors.entry(mn.into()) {
            std::collections::hash_map::Entry::Occupied(mut e) => e.get_mut().site = site,
            std::collections::hash_map::Entry::Vacant(e) => {
                e.insert(MonitorState::new(site));
            }
        }
    }

    /// Forgets a monitor and its rule state; returns whether it was registered. Alarms it had
    /// open stay open in the store until an operator clears them.
    pub fn unregister(&mut self, mn: &str) -> bool {
        self.monitors.remove(mn).is_some()
    }

    /// Whether a monitor is registered.
    pub fn is_registered(&self, mn: &str) -> bool {
        self.monitors.contains_key(mn)
    }

    /// Feeds one sample. Samples of an unregistered MN, and samples not newer than the
    /// monitor's last one (duplicates, late history), are ignored.
    pub fn observe(&mut self, sample: &MonitorSample) -> Vec<Signal> {
        let mut out = Vec::new();
        let cfg = &self.config;
        let Some(st) = self.monitors.get_mut(&sample.mn) else {
            return out;
        };
        let at = sample.at;
        if st.last_at.is_some_and(|last| at <= last) {
            return out;
        }
        let gap_ms = st.last_at.map(|last| at.0.saturating_sub(last.0));
        let restart = gap_ms.is_none_or(|g| g > cfg.max_gap_ms);
        let credit_ms = match gap_ms {
            Some(g) if !restart => g.min(cfg.sample_interval_ms),
            _ => cfg.sample_interval_ms,
        };
        st.last_at = Some(at);
        let key = |rule: &str| AlarmKey::new(SourceKind::Monitor, sample.mn.clone(), rule);

        if st.offline {
            st.offline = false;
            out.push(Signal::Clear(Clear {
                key: key(RULE_OFFLINE),
                at,
            }));
        }

        // env.faulty
        let fault = sample
            .values
            .iter()
            .find_map(|f| f.flag.filter(|c| cfg.fault_flags.contains(c)));
        if !sample.values.is_empty() {
            if restart {
                st.faulty.reset_run();
            }
            match st.faulty.observe(&cfg.faulty, fault.is_some(), at) {
                Some(Edge::Raised { since }) => {
                    let flag = fault.unwrap_or('D');
                    out.push(Signal::Raise(Raise {
                        key: key(RULE_FAULTY),
                        level: AlarmLevel::Notice,
                        at: since,
                        message: format!(
                            "{} 监测数据异常 (数据标记 {flag}: {})",
                            st.site.name,
                            flag_label_zh(flag)
                        ),
                        position: st.site.position,
                        class_code: None,
                        detail: json!({ "flag": flag.to_string(), "mn": sample.mn }),
                    }));
                }
                Some(Edge::Cleared { since }) => out.push(Signal::Clear(Clear {
                    key: key(RULE_FAULTY),
                    at: since,
                })),
                None => {}
            }
        }

        match st.site.kind {
            SiteKind::Restaurant { size } => {
                fume_rules(cfg, st, sample, size, restart, credit_ms, &mut out);
            }
            SiteKind::ConstructionSite => {
                dust_noise_rules(cfg, st, sample, credit_ms, &mut out);
            }
        }
        out
    }

    /// Checks every monitor for silence at `now`: a monitor whose last sample is older than
    /// `offline_after_ms` raises `env.offline` once (cleared by its next sample). Monitors that
    /// never sent anything are not judged (their registration time is unknown here).
    pub fn tick(&mut self, now: Timestamp) -> Vec<Signal> {
        let mut out = Vec::new();
        let after = self.config.offline_after_ms;
        let mut ids: Vec<&String> = self.monitors.keys().collect();
        ids.sort();
        let mut newly = Vec::new();
        for mn in ids {
            let Some(st) = self.monitors.get(mn) else {
                continue;
            };
            let Some(last) = st.last_at else { continue };
            if st.offline || now.0.saturating_sub(last.0) <= after {
                continue;
            }
            newly.push(mn.clone());
            out.push(Signal::Raise(Raise {
                key: AlarmKey::new(SourceKind::Monitor, mn.clone(), RULE_OFFLINE),
                level: AlarmLevel::Warning,
                at: Timestamp(last.0.saturating_add(after)),
                message: format!(
                    "{} 监测设备离线 {} 分钟 (最后数据 {})",
                    st.site.name,
                    now.0.saturating_sub(last.0) / MINUTE_MS,
                    last.to_rfc3339()
                ),
                position: st.site.position,
                class_code: None,
                detail: json!({ "last_at": last.0, "offline_after_ms": after }),
            }));
        }
        for mn in newly {
            if let Some(st) = self.monitors.get_mut(&mn) {
                st.offline = true;
            }
        }
        out
    }
}

fn flag_label_zh(flag: char) -> &'static str {
    match flag {
        'N' => "正常",
        'F' => "停运",
        'M' => "维护",
        'S' => "手工输入",
        'D' => "故障",
        'C' => "校准",
        'T' => "超测量上限",
        'B' => "通讯异常",
        _ => "未知",
    }
}

/// Whether any of `codes` reports running (RS = 1, or a vendor status value ≥ 0.5), not
/// running (RS = 0 / value < 0.5), or nothing at all.
fn any_running(sample: &MonitorSample, codes: &[String]) -> Option<bool> {
    let mut seen = false;
    for code in codes {
        for (_, rs) in sample.running.iter().filter(|(sb, _)| sb == code) {
            seen = true;
            if *rs == 1 {
                return Some(true);
            }
        }
        if let Some(v) = sample.factor(code).and_then(|f| f.value) {
            seen = true;
            if v >= 0.5 {
                return Some(true);
            }
        }
    }
    seen.then_some(false)
}

/// Whether every reported one of `codes` is off (RS = 0 / value < 0.5); `None` when none is
/// reported. Calibration, maintenance, alarm and blow-back states are not "off".
fn all_off(sample: &MonitorSample, codes: &[String]) -> Option<bool> {
    let mut seen = false;
    for code in codes {
        for (_, rs) in sample.running.iter().filter(|(sb, _)| sb == code) {
            seen = true;
            if *rs != 0 {
                return Some(false);
            }
        }
        if let Some(v) = sample.factor(code).and_then(|f| f.value) {
            seen = true;
            if v >= 0.5 {
                return Some(false);
            }
        }
    }
    seen.then_some(true)
}

fn fume_rules(
    cfg: &EnvConfig,
    st: &mut MonitorState,
    sample: &MonitorSample,
    size: RestaurantSize,
    restart: bool,
    credit_ms: i64,
    out: &mut Vec<Signal>,
) {
    let fc = &cfg.fume;
    let at = sample.at;
    let key = |rule: &str| AlarmKey::new(SourceKind::Monitor, sample.mn.clone(), rule);
    if restart {
        st.fume.reset_run();
        st.purifier.reset_run();
    }
    if let Some(v) = sample
        .first_factor(&fc.codes)
        .and_then(|f| cfg.valid_value(f))
    {
        st.fume_series.push(at, v, cfg.series_len);
        let limit = fc.limit_mg_m3.get(size);
        let edge = st.fume.observe(
            at,
            v,
            credit_ms,
            limit,
            fc.clear_ratio * limit,
            i64::from(fc.sustain_minutes) * MINUTE_MS,
            i64::from(fc.clear_minutes) * MINUTE_MS,
        );
        match edge {
            Some(SustainEdge::Raised {
                since,
                sustained_ms,
            }) => {
                let minutes = sustained_ms / MINUTE_MS;
                out.push(Signal::Raise(Raise {
                    key: key(RULE_FUME_EXCEEDANCE),
                    level: AlarmLevel::Warning,
                    at: since,
                    message: format!(
                        "{} 油烟浓度 {v:.1} mg/m³ 持续 {minutes} 分钟超标 (限值 {limit:.1})",
                        st.site.name
                    ),
                    position: st.site.position,
                    class_code: Some(CLASS_FUME.into()),
                    detail: json!({
                        "factor": sample.first_factor(&fc.codes).map(|f| f.code.clone()),
                        "unit": "mg/m³",
                        "value_mg_m3": round3(v),
                        "peak_mg_m3": round3(st.fume.peak),
                        "limit_mg_m3": limit,
                        "sustained_min": minutes,
                        "size": size,
                        "grid_code": st.site.grid_code,
                        "series": st.fume_series.to_json("mg_m3"),
                    }),
                }));
            }
            Some(SustainEdge::Cleared { since }) => out.push(Signal::Clear(Clear {
                key: key(RULE_FUME_EXCEEDANCE),
                at: since,
            })),
            None => {}
        }
    }

    // fume.purifier_off: only judged when the sample reports the fan.
    if let Some(fan_on) = any_running(sample, &fc.fan_codes) {
        let purifier_off = all_off(sample, &fc.purifier_codes);
        let breaking = fan_on && purifier_off == Some(true);
        // A sample with the fan on but no purifier status says nothing about the purifier.
        if !(fan_on && purifier_off.is_none()) {
            match st.purifier.observe(&fc.purifier_off, breaking, at) {
                Some(Edge::Raised { since }) => {
                    let minutes = at.0.saturating_sub(since.0) / MINUTE_MS;
                    out.push(Signal::Raise(Raise {
                        key: key(RULE_FUME_PURIFIER_OFF),
                        level: AlarmLevel::Warning,
                        at: since,
                        message: format!(
                            "{} 风机运行但油烟净化器未开启 持续 {minutes} 分钟",
                            st.site.name
                        ),
                        position: st.site.position,
                        class_code: Some(CLASS_FUME.into()),
                        detail: json!({
                            "fan_codes": fc.fan_codes,
                            "purifier_codes": fc.purifier_codes,
                            "running": sample.running,
                            "since": since.0,
                            "grid_code": st.site.grid_code,
                        }),
                    }));
                }
                Some(Edge::Cleared { since }) => out.push(Signal::Clear(Clear {
                    key: key(RULE_FUME_PURIFIER_OFF),
                    at: since,
                })),
                None => {}
            }
        }
    }
}

/// Which window rule.
#[derive(Clone, Copy)]
enum DustFactor {
    Pm10,
    Pm25,
    Tsp,
}

fn dust_noise_rules(
    cfg: &EnvConfig,
    st: &mut MonitorState,
    sample: &MonitorSample,
    credit_ms: i64,
    out: &mut Vec<Signal>,
) {
    let at = sample.at;
    let key = |rule: &str| AlarmKey::new(SourceKind::Monitor, sample.mn.clone(), rule);
    let scale = st.site.particulate_unit.to_ug_m3();
    for factor in [DustFactor::Pm10, DustFactor::Pm25, DustFactor::Tsp] {
        let (rule_cfg, window, rule, label) = match factor {
            DustFactor::Pm10 => (&cfg.dust.pm10, &mut st.pm10, RULE_DUST_PM10, "PM10"),
            DustFactor::Pm25 => (&cfg.dust.pm25, &mut st.pm25, RULE_DUST_PM25, "PM2.5"),
            DustFactor::Tsp => (&cfg.dust.tsp, &mut st.tsp, RULE_DUST_TSP, "TSP"),
        };
        let Some(limit) = rule_cfg.limit else {
            continue;
        };
        let Some(v) = sample
            .first_factor(&rule_cfg.codes)
            .and_then(|f| cfg.valid_value(f))
        else {
            continue;
        };
        let v = v * scale;
        let Some(mean) = window.push(
            at,
            v,
            credit_ms,
            rule_cfg.window_ms,
            rule_cfg.min_coverage,
            false,
        ) else {
            continue;
        };
        let breaking = if window.state.is_active() {
            mean >= rule_cfg.clear_ratio * limit
        } else {
            mean > limit
        };
        match window.state.observe(&Hysteresis::IMMEDIATE, breaking, at) {
            Some(Edge::Raised { since }) => {
                let window_min = rule_cfg.window_ms / MINUTE_MS;
                out.push(Signal::Raise(Raise {
                    key: key(rule),
                    level: AlarmLevel::Warning,
                    at: since,
                    message: format!(
                        "{} {label} {window_min} 分钟均值 {mean:.0} µg/m³ 超标 (限值 {limit:.0})",
                        st.site.name
                    ),
                    position: st.site.position,
                    class_code: Some(CLASS_DUST.into()),
                    detail: json!({
                        "factor": label,
                        "unit": "µg/m³",
                        "mean_ug_m3": round3(mean),
                        "limit_ug_m3": limit,
                        "window_ms": rule_cfg.window_ms,
                        "grid_code": st.site.grid_code,
                        "series": window.series_json("ug_m3", cfg.series_len),
                    }),
                }));
            }
            Some(Edge::Cleared { since }) => out.push(Signal::Clear(Clear {
                key: key(rule),
                at: since,
            })),
            None => {}
        }
    }

    let nc = &cfg.noise;
    let Some(v) = sample
        .first_factor(&nc.codes)
        .and_then(|f| cfg.valid_value(f))
    else {
        return;
    };
    let Some(leq) = st
        .noise
        .push(at, v, credit_ms, nc.window_ms, nc.min_coverage, true)
    else {
        return;
    };
    let limit = nc.limit_at(at);
    let breaking = if st.noise.state.is_active() {
        leq >= limit - nc.clear_margin_db
    } else {
        leq > limit
    };
    match st.noise.state.observe(&Hysteresis::IMMEDIATE, breaking, at) {
        Some(Edge::Raised { since }) => {
            let period = if nc.is_night(at) { "夜间" } else { "昼间" };
            out.push(Signal::Raise(Raise {
                key: key(RULE_NOISE),
                level: AlarmLevel::Warning,
                at: since,
                message: format!(
                    "{} {period}施工噪声 Leq {leq:.1} dB(A) 超标 (限值 {limit:.0})",
                    st.site.name
                ),
                position: st.site.position,
                class_code: Some(CLASS_CONSTRUCTION_NOISE.into()),
                detail: json!({
                    "unit": "dB(A)",
                    "leq_db": round3(leq),
                    "limit_db": limit,
                    "night": nc.is_night(at),
                    "window_ms": nc.window_ms,
                    "grid_code": st.site.grid_code,
                    "series": st.noise.series_json("db", cfg.series_len),
                }),
            }));
        }
        Some(Edge::Cleared { since }) => out.push(Signal::Clear(Clear {
            key: key(RULE_NOISE),
            at: since,
        })),
        None => {}
    }
}

/// Bucket sizes of the history aggregates.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Resolution {
    /// One minute.
    Minute,
    /// One hour.
    Hour,
    /// One Asia/Shanghai calendar day (00:00–24:00 +08:00).
    Day,
}

impl Resolution {
    /// Every resolution, finest first.
    pub const ALL: [Resolution; 3] = [Resolution::Minute, Resolution::Hour, Resolution::Day];

    /// The start of the bucket holding `at`.
    pub fn bucket_start(self, at: Timestamp) -> Timestamp {
        match self {
            // Shanghai's offset is a whole number of hours, so minutes and hours align in UTC.
            Resolution::Minute => Timestamp(at.0.saturating_sub(at.0.rem_euclid(MINUTE_MS))),
            Resolution::Hour => Timestamp(at.0.saturating_sub(at.0.rem_euclid(HOUR_MS))),
            Resolution::Day => Timestamp(at.0.saturating_sub(shanghai_ms_of_day(at))),
        }
    }
}

/// Min / average / max / count of one factor over one bucket.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct Stats {
    /// Number of valid values.
    pub count: u64,
    /// Sum of the values (the average is `sum / count`).
    pub sum: f64,
    /// Smallest value.
    pub min: f64,
    /// Largest value.
    pub max: f64,
}

impl Stats {
    /// The statistics of one value.
    pub fn of(value: f64) -> Stats {
        Stats {
            count: 1,
            sum: value,
            min: value,
            max: value,
        }
    }

    /// Adds one value.
    pub fn add(&mut self, value: f64) {
        self.merge(&Stats::of(value));
    }

    /// Combines two buckets' statistics.
    pub fn merge(&mut self, other: &Stats) {
        self.count += other.count;
        self.sum += other.sum;
        self.min = self.min.min(other.min);
        self.max = self.max.max(other.max);
    }

    /// The arithmetic mean (for noise levels in dB this is not Leq; use it as an indication).
    pub fn avg(&self) -> f64 {
        if self.count == 0 {
            0.0
        } else {
            self.sum / self.count as f64
        }
    }
}

/// The buckets of one factor of one monitor: bucket start (UTC ms) → stats.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct FactorHistory {
    /// Minute buckets.
    pub minute: BTreeMap<i64, Stats>,
    /// Hour buckets.
    pub hour: BTreeMap<i64, Stats>,
    /// Asia/Shanghai day buckets.
    pub day: BTreeMap<i64, Stats>,
}

impl FactorHistory {
    /// The buckets of one resolution.
    pub fn buckets(&self, resolution: Resolution) -> &BTreeMap<i64, Stats> {
        match resolution {
            Resolution::Minute => &self.minute,
            Resolution::Hour => &self.hour,
            Resolution::Day => &self.day,
        }
    }

    fn buckets_mut(&mut self, resolution: Resolution) -> &mut BTreeMap<i64, Stats> {
        match resolution {
            Resolution::Minute => &mut self.minute,
            Resolution::Hour => &mut self.hour,
            Resolution::Day => &mut self.day,
        }
    }
}

/// Minute / hour / day min-avg-max-count per `(mn, factor)`: per-restaurant (per-site) history.
/// Mergeable (partial aggregates of several nodes or batches add up exactly, up to float
/// rounding of the sums) and serialisable.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Aggregator {
    /// MN → factor code → buckets.
    pub monitors: BTreeMap<String, BTreeMap<String, FactorHistory>>,
}

impl Aggregator {
    /// An empty aggregator.
    pub fn new() -> Aggregator {
        Aggregator::default()
    }

    /// Adds one value of one factor (non-finite values are ignored).
    pub fn add(&mut self, mn: &str, factor: &str, at: Timestamp, value: f64) {
        if !value.is_finite() {
            return;
        }
        // Look up before inserting: the keys are cloned only for a new monitor or factor.
        if !self.monitors.contains_key(mn) {
            self.monitors.insert(mn.to_owned(), BTreeMap::new());
        }
        let Some(factors) = self.monitors.get_mut(mn) else {
            return;
        };
        if !factors.contains_key(factor) {
            factors.insert(factor.to_owned(), FactorHistory::default());
        }
        let Some(history) = factors.get_mut(factor) else {
            return;
        };
        for r in Resolution::ALL {
            history
                .buckets_mut(r)
                .entry(r.bucket_start(at).0)
                .and_modify(|s| s.add(value))
                .or_insert_with(|| Stats::of(value));
        }
    }

    /// Adds every valid value of a sample (flags per [`EnvConfig::is_valid_flag`]).
    pub fn add_sample(&mut self, sample: &MonitorSample, config: &EnvConfig) {
        for f in &sample.values {
            if let Some(v) = config.valid_value(f) {
                self.add(&sample.mn, &f.code, sample.at, v);
            }
        }
    }

    /// Adds another aggregator's buckets into this one.
    pub fn merge(&mut self, other: &Aggregator) {
        for (mn, factors) in &other.monitors {
            let mine = self.monitors.entry(mn.clone()).or_default();
            for (code, history) in factors {
                let h = mine.entry(code.clone()).or_default();
                for r in Resolution::ALL {
                    let target = h.buckets_mut(r);
                    for (start, stats) in history.buckets(r) {
                        target
                            .entry(*start)
                            .and_modify(|s| s.merge(stats))
                            .or_insert(*stats);
                    }
                }
            }
        }
    }

    /// The stats of one bucket: the one of `resolution` holding `at`.
    pub fn get(
        &self,
        mn: &str,
        factor: &str,
        resolution: Resolution,
        at: Timestamp,
    ) -> Option<&Stats> {
        self.monitors
            .get(mn)?
            .get(factor)?
            .buckets(resolution)
            .get(&resolution.bucket_start(at).0)
    }

    /// The buckets of one factor of one monitor at one resolution, oldest first.
    pub fn series(
        &self,
        mn: &str,
        factor: &str,
        resolution: Resolution,
    ) -> Vec<(Timestamp, Stats)> {
        self.monitors
            .get(mn)
            .and_then(|f| f.get(factor))
            .map(|h| {
                h.buckets(resolution)
                    .iter()
                    .map(|(t, s)| (Timestamp(*t), *s))
                    .collect()
            })
            .unwrap_or_default()
    }

    /// Drops buckets of `resolution` that start before `before` (to bound memory once they are
    /// stored).
    pub fn prune_before(&mut self, resolution: Resolution, before: Timestamp) {
        for factors in self.monitors.values_mut() {
            for h in factors.values_mut() {
                let keep = h.buckets_mut(resolution).split_off(&before.0);
                *h.buckets_mut(resolution) = keep;
            }
        }
    }
}
