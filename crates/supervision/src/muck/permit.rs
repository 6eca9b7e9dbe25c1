//! Permits 渣土处置核准: which trucks may carry muck from which construction site to which
//! disposal site, along which route, at which hours and on which days.
//!
//! A [`Permit`] is plain serde data as an administrator enters it. [`Permit::validate`] lists
//! everything wrong with it at once. The supervisor keeps each valid permit together with a
//! prepared form ([`Prepared`]): day numbers, window bounds in milliseconds of the local day,
//! site bounding boxes and the corridor in a local metric frame, so that the per-fix checks are
//! integer comparisons and a few multiplications.

use std::fmt;

use chrono::{Datelike, NaiveDate, NaiveTime, Timelike};
use domain::time::SHANGHAI_OFFSET_SECS;
use grid::geom::{METRES_PER_DEGREE, contains, metres_per_degree_lon, point_segment_dist2};
use grid::{BBox, MultiPolygon, Point, Polyline};
use serde::{Deserialize, Serialize};

/// Milliseconds in a day.
pub(crate) const DAY_MS: i64 = 86_400_000;

/// `NaiveDate::num_days_from_ce` of 1970-01-01.
const UNIX_EPOCH_DAYS_FROM_CE: i64 = 719_163;

/// A vehicle named on a permit.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PermitVehicle {
    /// The terminal phone, in the same form as [`crate::vehicle::Fix::phone`] (trimmed).
    pub phone: String,
    /// The number plate 车牌号, used in messages when known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub plate: Option<String>,
}

/// A daily time window in Asia/Shanghai local time, `[start, end)`.
///
/// When `end` is earlier than `start` the window crosses midnight (e.g. 22:00–06:00) and
/// belongs to the day it starts on: the 00:00–06:00 part of a day is allowed only when the
/// permit is valid on the day before.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TimeWindow {
    /// First allowed local time (`"22:00"` or `"22:00:00"` in JSON).
    pub start: NaiveTime,
    /// First local time no longer allowed.
    pub end: NaiveTime,
}

impl TimeWindow {
    /// A window from hours and minutes; `None` when a value is out of range.
    pub fn hm(start_h: u32, start_min: u32, end_h: u32, end_min: u32) -> Option<TimeWindow> {
        Some(TimeWindow {
            start: NaiveTime::from_hms_opt(start_h, start_min, 0)?,
            end: NaiveTime::from_hms_opt(end_h, end_min, 0)?,
        })
    }

    /// Whether the window runs past midnight into the next day.
    pub fn crosses_midnight(&self) -> bool {
        self.end < self.start
    }

    fn start_ms(&self) -> i64 {
        ms_of_day(self.start)
    }

    fn end_ms(&self) -> i64 {
        ms_of_day(self.end)
    }
}

impl fmt::Display for TimeWindow {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{:02}:{:02}–{:02}:{:02}",
            self.start.hour(),
            self.start.minute(),
            self.end.hour(),
            self.end.minute()
        )
    }
}

fn ms_of_day(t: NaiveTime) -> i64 {
    i64::from(t.num_seconds_from_midnight()) * 1000 + i64::from(t.nanosecond() / 1_000_000)
}

/// A muck-disposal permit 渣土处置核准证.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Permit {
    /// Stable id of the permit record.
    pub id: String,
    /// 核准证号 — the number printed on the permit.
    pub number: String,
    /// The transport company 运输企业.
    pub company: String,
    /// The trucks the permit names.
    pub vehicles: Vec<PermitVehicle>,
    /// The construction site 出土工地 the muck comes from.
    pub construction_site: MultiPolygon,
    /// The disposal site 消纳场 it goes to.
    pub disposal_site: MultiPolygon,
    /// The centre line of the permitted route 核准路线.
    pub route: Polyline,
    /// Full width of the corridor around the route, metres (half on each side).
    pub corridor_width_m: f64,
    /// Daily windows in which the trucks may run. An empty list allows every hour of a valid
    /// day (24-hour permits); the field itself must be present.
    pub windows: Vec<TimeWindow>,
    /// First valid day (local date, inclusive).
    pub valid_from: NaiveDate,
    /// Last valid day (local date, inclusive). A window starting on this day that crosses
    /// midnight still runs to its end the next morning.
    pub valid_to: NaiveDate,
}

/// Which site of a permit.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SiteKind {
    /// 出土工地.
    Construction,
    /// 消纳场.
    Disposal,
}

impl fmt::Display for SiteKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            SiteKind::Construction => "construction",
            SiteKind::Disposal => "disposal",
        })
    }
}

/// One thing wrong with a permit.
#[derive(Clone, Debug, PartialEq, thiserror::Error)]
pub enum PermitProblem {
    /// The permit has no id.
    #[error("the id is empty")]
    EmptyId,
    /// The permit has no number.
    #[error("the permit number is empty")]
    EmptyNumber,
    /// No vehicle is named.
    #[error("no vehicle is named")]
    NoVehicle,
    /// A vehicle has an empty phone.
    #[error("vehicle {index} has an empty terminal phone")]
    EmptyPhone {
        /// Position in `vehicles`.
        index: usize,
    },
    /// A site has no polygon, or a polygon whose exterior has fewer than 3 distinct points.
    #[error("the {site} site has no polygon with at least 3 points")]
    EmptySite {
        /// Which site.
        site: SiteKind,
    },
    /// A site has a coordinate that is not a finite longitude/latitude.
    #[error("the {site} site has a coordinate out of range")]
    BadSiteCoordinate {
        /// Which site.
        site: SiteKind,
    },
    /// The route has fewer than 2 points.
    #[error("the route has {points} point(s), at least 2 are needed")]
    ShortRoute {
        /// How many it has.
        points: usize,
    },
    /// The route has a coordinate that is not a finite longitude/latitude.
    #[error("the route has a coordinate out of range")]
    BadRouteCoordinate,
    /// The corridor width is zero, negative or not a number.
    #[error("the corridor width {width_m} m is not positive")]
    BadCorridorWidth {
        /// The width given.
        width_m: f64,
    },
    /// A window starts where it ends.
    #[error("time window {index} starts and ends at {at}")]
    EmptyWindow {
        /// Position in `windows`.
        index: usize,
        /// Its start (= end).
        at: NaiveTime,
    },
    /// The validity dates are reversed.
    #[error("valid_from {from} is after valid_to {to}")]
    DatesReversed {
        /// `valid_from`.
        from: NaiveDate,
        /// `valid_to`.
        to: NaiveDate,
    },
}

/// A permit that cannot be used, with everything wrong with it.
#[derive(Clone, Debug, PartialEq, thiserror::Error)]
#[error("permit {id:?} is invalid: {}", join(problems))]
pub struct PermitError {
    /// The permit's id.
    pub id: String,
    /// Every problem found, in field order.
    pub problems: Vec<PermitProblem>,
}

fn join(problems: &[PermitProblem]) -> String {
    problems
        .iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join("; ")
}

fn valid_point(p: &Point) -> bool {
    p.lon.is_finite()
        && p.lat.is_finite()
        && (-180.0..=180.0).contains(&p.lon)
        && (-90.0..=90.0).contains(&p.lat)
}

fn check_site(site: &MultiPolygon, kind: SiteKind, problems: &mut Vec<PermitProblem>) {
    let usable = !site.0.is_empty()
        && site.0.iter().all(|poly| {
            let ring = &poly.exterior;
            let closed = ring.len() > 1 && ring.first() == ring.last();
            ring.len() - usize::from(closed) >= 3
        });
    if !usable {
        problems.push(PermitProblem::EmptySite { site: kind });
    }
    if !site.rings().flatten().all(valid_point) {
        problems.push(PermitProblem::BadSiteCoordinate { site: kind });
    }
}

impl Permit {
    /// Checks the permit and lists every problem.
    ///
    /// # Errors
    /// [`PermitError`] with at least one [`PermitProblem`].
    pub fn validate(&self) -> Result<(), PermitError> {
        let mut problems = Vec::new();
        if self.id.trim().is_empty() {
            problems.push(PermitProblem::EmptyId);
        }
        if self.number.trim().is_empty() {
            problems.push(PermitProblem::EmptyNumber);
        }
        if self.vehicles.is_empty() {
            problems.push(PermitProblem::NoVehicle);
        }
        for (index, v) in self.vehicles.iter().enumerate() {
            if v.phone.trim().is_empty() {
                problems.push(PermitProblem::EmptyPhone { index });
            }
        }
        check_site(
            &self.construction_site,
            SiteKind::Construction,
            &mut problems,
        );
        check_site(&self.disposal_site, SiteKind::Disposal, &mut problems);
        if self.route.0.len() < 2 {
            problems.push(PermitProblem::ShortRoute {
                points: self.route.0.len(),
            });
        }
        if !self.route.0.iter().all(valid_point) {
            problems.push(PermitProblem::BadRouteCoordinate);
        }
        // `!(w > 0)` also rejects NaN.
        if !(self.corridor_width_m > 0.0 && self.corridor_width_m.is_finite()) {
            problems.push(PermitProblem::BadCorridorWidth {
                width_m: self.corridor_width_m,
            });
        }
        for (index, w) in self.windows.iter().enumerate() {
            if w.start == w.end {
                problems.push(PermitProblem::EmptyWindow { index, at: w.start });
            }
        }
        if self.valid_from > self.valid_to {
            problems.push(PermitProblem::DatesReversed {
                from: self.valid_from,
                to: self.valid_to,
            });
        }
        if problems.is_empty() {
            Ok(())
        } else {
            Err(PermitError {
                id: self.id.clone(),
                problems,
            })
        }
    }
}

/// Local (Asia/Shanghai) day number since 1970-01-01 and millisecond of that day.
#[inline]
pub(crate) fn local_day_ms(at_ms: i64) -> (i64, i64) {
    let local = at_ms.saturating_add(i64::from(SHANGHAI_OFFSET_SECS) * 1000);
    (local.div_euclid(DAY_MS), local.rem_euclid(DAY_MS))
}

fn unix_day(date: NaiveDate) -> i64 {
    i64::from(date.num_days_from_ce()) - UNIX_EPOCH_DAYS_FROM_CE
}

/// One corridor segment in the permit's local metric frame, with its box grown by the radius.
#[derive(Clone, Copy, Debug)]
struct Segment {
    ax: f64,
    ay: f64,
    bx: f64,
    by: f64,
    min_x: f64,
    min_y: f64,
    max_x: f64,
    max_y: f64,
}

/// The route corridor in a local equirectangular frame (metres from the route's box centre).
#[derive(Clone, Debug)]
pub(crate) struct Corridor {
    lon0: f64,
    lat0: f64,
    kx: f64,
    /// Half the width plus the tolerance, metres.
    radius_m: f64,
    radius2: f64,
    segments: Vec<Segment>,
    /// Box of all segment boxes (already grown), metres.
    min_x: f64,
    min_y: f64,
    max_x: f64,
    max_y: f64,
}

impl Corridor {
    fn new(route: &Polyline, radius_m: f64) -> Corridor {
        let bb = BBox::of_points(route.0.iter()).unwrap_or(BBox {
            west: 0.0,
            south: 0.0,
            east: 0.0,
            north: 0.0,
        });
        let lon0 = (bb.west + bb.east) * 0.5;
        let lat0 = (bb.south + bb.north) * 0.5;
        let kx = metres_per_degree_lon(lat0);
        let project = |p: Point| ((p.lon - lon0) * kx, (p.lat - lat0) * METRES_PER_DEGREE);
        let mut segments = Vec::with_capacity(route.0.len().saturating_sub(1));
        let (mut min_x, mut min_y) = (f64::INFINITY, f64::INFINITY);
        let (mut max_x, mut max_y) = (f64::NEG_INFINITY, f64::NEG_INFINITY);
        for w in route.0.windows(2) {
            let (ax, ay) = project(w[0]);
            let (bx, by) = project(w[1]);
            let s = Segment {
                ax,
                ay,
                bx,
                by,
                min_x: ax.min(bx) - radius_m,
                min_y: ay.min(by) - radius_m,
                max_x: ax.max(bx) + radius_m,
                max_y: ay.max(by) + radius_m,
            };
            min_x = min_x.min(s.min_x);
            min_y = min_y.min(s.min_y);
            max_x = max_x.max(s.max_x);
            max_y = max_y.max(s.max_y);
            segments.push(s);
        }
        Corridor {
            lon0,
            lat0,
            kx,
            radius_m,
            radius2: radius_m * radius_m,
            segments,
            min_x,
            min_y,
            max_x,
            max_y,
        }
    }

    #[inline]
    fn project(&self, p: Point) -> (f64, f64) {
        (
            (p.lon - self.lon0) * self.kx,
            (p.lat - self.lat0) * METRES_PER_DEGREE,
        )
    }

    #[inline]
    fn seg_within(&self, s: &Segment, x: f64, y: f64) -> bool {
        x >= s.min_x
            && x <= s.max_x
            && y >= s.min_y
            && y <= s.max_y
            && point_segment_dist2(x, y, s.ax, s.ay, s.bx, s.by) <= self.radius2
    }

    /// Whether `p` is within the radius of the centre line. `hint` is the segment that matched
    /// last time for this vehicle; it and its neighbours are tried first (a truck driving along
    /// the route stays on them), then every segment whose grown box holds the point. `hint` is
    /// updated on a match.
    #[inline]
    pub(crate) fn within(&self, p: Point, hint: &mut u32) -> bool {
        let (x, y) = self.project(p);
        if !(x >= self.min_x && x <= self.max_x && y >= self.min_y && y <= self.max_y) {
            return false;
        }
        // A truck moving along the route is usually on the hinted segment or a neighbour.
        let h = *hint as usize;
        for i in [h, h + 1, h.wrapping_sub(1)] {
            if let Some(s) = self.segments.get(i)
                && self.seg_within(s, x, y)
            {
                *hint = u32::try_from(i).unwrap_or(0);
                return true;
            }
        }
        for (i, s) in self.segments.iter().enumerate() {
            if self.seg_within(s, x, y) {
                *hint = u32::try_from(i).unwrap_or(0);
                return true;
            }
        }
        false
    }

    /// Distance in metres from `p` to the centre line.
    pub(crate) fn distance_m(&self, p: Point) -> f64 {
        let (x, y) = self.project(p);
        self.segments
            .iter()
            .map(|s| point_segment_dist2(x, y, s.ax, s.ay, s.bx, s.by))
            .fold(f64::INFINITY, f64::min)
            .sqrt()
    }

    /// Half the width plus the tolerance, metres.
    pub(crate) fn radius_m(&self) -> f64 {
        self.radius_m
    }
}

/// A site with its bounding box for a cheap pre-check.
#[derive(Clone, Debug)]
struct Site {
    bbox: Option<BBox>,
}

impl Site {
    fn new(shape: &MultiPolygon) -> Site {
        Site { bbox: shape.bbox() }
    }

    #[inline]
    fn contains(&self, shape: &MultiPolygon, p: Point) -> bool {
        self.bbox.is_some_and(|b| b.contains(p)) && contains(shape, p)
    }
}

/// A validated permit with everything the per-fix checks need precomputed.
#[derive(Clone, Debug)]
pub(crate) struct Prepared {
    pub(crate) permit: Permit,
    from_day: i64,
    to_day: i64,
    /// `(start, end)` in ms of the local day, in the order given.
    windows_ms: Vec<(i64, i64)>,
    construction: Site,
    disposal: Site,
    pub(crate) corridor: Corridor,
}

impl Prepared {
    /// Prepares a permit that passed [`Permit::validate`]; `tolerance_m` widens the corridor.
    pub(crate) fn new(permit: Permit, tolerance_m: f64) -> Prepared {
        let radius = permit.corridor_width_m * 0.5 + tolerance_m.max(0.0);
        Prepared {
            from_day: unix_day(permit.valid_from),
            to_day: unix_day(permit.valid_to),
            windows_ms: permit
                .windows
                .iter()
                .map(|w| (w.start_ms(), w.end_ms()))
                .collect(),
            construction: Site::new(&permit.construction_site),
            disposal: Site::new(&permit.disposal_site),
            corridor: Corridor::new(&permit.route, radius),
            permit,
        }
    }

    #[inline]
    fn valid_on(&self, day: i64) -> bool {
        self.from_day <= day && day <= self.to_day
    }

    /// Whether the permit is in force at this local instant: its date is valid, or it is the
    /// after-midnight tail of a window that started on the last valid day.
    #[inline]
    pub(crate) fn in_force(&self, day: i64, ms: i64) -> bool {
        self.valid_on(day)
            || (self.valid_on(day - 1) && self.windows_ms.iter().any(|&(s, e)| e < s && ms < e))
    }

    /// Whether trucks may run at this local instant under this permit.
    #[inline]
    pub(crate) fn in_window(&self, day: i64, ms: i64) -> bool {
        if self.windows_ms.is_empty() {
            return self.valid_on(day);
        }
        self.windows_ms.iter().any(|&(s, e)| {
            if s < e {
                s <= ms && ms < e && self.valid_on(day)
            } else {
                (ms >= s && self.valid_on(day)) || (ms < e && self.valid_on(day - 1))
            }
        })
    }

    /// Whether `p` lies in the construction or the disposal site.
    #[inline]
    pub(crate) fn in_site(&self, p: Point) -> bool {
        self.construction
            .contains(&self.permit.construction_site, p)
            || self.disposal.contains(&self.permit.disposal_site, p)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn date(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).unwrap_or_default()
    }

    #[test]
    fn unix_day_of_epoch_and_a_known_date() {
        assert_eq!(unix_day(date(1970, 1, 1)), 0);
        // 2026-01-01 is 56 years (14 leap days) later: 56 * 365 + 14 = 20454.
        assert_eq!(unix_day(date(2026, 1, 1)), 20_454);
    }

    #[test]
    fn local_day_switches_at_shanghai_midnight() {
        // 2025-12-31T16:00:00Z is 2026-01-01 00:00 in Shanghai.
        let at = 1_767_196_800_000;
        assert_eq!(local_day_ms(at), (20_454, 0));
        assert_eq!(local_day_ms(at - 1), (20_453, DAY_MS - 1));
    }
}
