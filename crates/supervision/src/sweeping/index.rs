//! The road segment index: map-matching a position to the nearest road centre line.
//!
//! Segments are kept in a local metric plane (longitude scaled by the cosine of the roads' mean
//! latitude, as in [`grid::geom`]) and listed in a uniform bucket grid of [`CELL_M`] cells; a
//! segment is listed in every cell its line passes near, so a diagonal segment does not fill its
//! whole bounding box. A lookup reads the cells within the search distance of the point.
//!
//! Offsets along a road (linear referencing) are in metres measured with
//! [`grid::geom::distance_m`] per segment, so a road's last offset equals
//! [`grid::Polyline::length_m`].

use grid::geom::{self, METRES_PER_DEGREE};
use grid::{Point, Road, RoadClass};
use serde::{Deserialize, Serialize};

/// Bucket size of the index, metres.
pub const CELL_M: f64 = 100.0;

/// Upper bound on the number of buckets; the cell grows when the roads span more.
const MAX_CELLS: f64 = 4_000_000.0;

/// Where a position lies on the road network.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct RoadMatch {
    /// Index of the road in the slice the index was built from.
    pub road: usize,
    /// Distance along the road from its first point to the foot of the perpendicular, metres.
    pub offset_m: f64,
    /// Distance from the position to the road centre line, metres.
    pub distance_m: f64,
}

/// One road as the index keeps it.
#[derive(Clone, Debug, PartialEq)]
pub struct IndexedRoad {
    /// Road id.
    pub id: String,
    /// Road name.
    pub name: String,
    /// Road class.
    pub class: RoadClass,
    /// Length of the centre line, metres.
    pub length_m: f64,
    /// Range of this road's segments in the index.
    segments: std::ops::Range<u32>,
}

#[derive(Clone, Copy, Debug)]
struct Seg {
    /// Start and end in the local plane, metres.
    ax: f64,
    ay: f64,
    bx: f64,
    by: f64,
    /// Offset of the start along the road, metres.
    start_m: f64,
    /// True length of the segment, metres.
    len_m: f64,
    /// Bearing of a → b, degrees clockwise from north, 0..360.
    bearing_deg: f64,
    road: u32,
}

/// A spatial index over road segments for map matching. Build once per city version and share
/// read-only.
#[derive(Clone, Debug)]
pub struct RoadIndex {
    roads: Vec<IndexedRoad>,
    segs: Vec<Seg>,
    kx: f64,
    x0: f64,
    y0: f64,
    cell: f64,
    nx: usize,
    ny: usize,
    /// CSR layout: the segments of cell `c` are `entries[starts[c]..starts[c + 1]]`.
    starts: Vec<u32>,
    entries: Vec<u32>,
}

impl RoadIndex {
    /// Indexes every road's centre line. Segments with non-finite coordinates are left out (the
    /// road keeps its place and its other segments).
    pub fn build(roads: &[Road]) -> RoadIndex {
        let lats: Vec<f64> = roads
            .iter()
            .flat_map(|r| r.line.0.iter().map(|p| p.lat))
            .filter(|v| v.is_finite() && (-90.0..=90.0).contains(v))
            .collect();
        let lat0 = if lats.is_empty() {
            0.0
        } else {
            let (lo, hi) = lats
                .iter()
                .fold((f64::MAX, f64::MIN), |(lo, hi), v| (lo.min(*v), hi.max(*v)));
            (lo + hi) * 0.5
        };
        let kx = geom::metres_per_degree_lon(lat0);
        let mut segs = Vec::new();
        let mut out_roads = Vec::with_capacity(roads.len());
        for (ri, r) in roads.iter().enumerate() {
            let first = segs.len() as u32;
            let mut offset = 0.0;
            for w in r.line.0.windows(2) {
                let (a, b) = (w[0], w[1]);
                let finite = [a.lon, a.lat, b.lon, b.lat].iter().all(|v| v.is_finite());
                if !finite {
                    continue;
                }
                let len_m = geom::distance_m(a, b);
                let (ax, ay, bx, by) = (
                    a.lon * kx,
                    a.lat * METRES_PER_DEGREE,
                    b.lon * kx,
                    b.lat * METRES_PER_DEGREE,
                );
                let bearing_deg = (bx - ax).atan2(by - ay).to_degrees().rem_euclid(360.0);
                segs.push(Seg {
                    ax,
                    ay,
                    bx,
                    by,
                    start_m: offset,
                    len_m,
                    bearing_deg,
                    road: ri as u32,
                });
                offset += len_m;
            }
            out_roads.push(IndexedRoad {
                id: r.id.clone(),
                name: r.name.clone(),
                class: r.class,
                length_m: offset,
                segments: first..segs.len() as u32,
            });
        }
        let (mut x0, mut y0, mut x1, mut y1) = (f64::MAX, f64::MAX, f64::MIN, f64::MIN);
        for s in &segs {
            x0 = x0.min(s.ax).min(s.bx);
            x1 = x1.max(s.ax).max(s.bx);
            y0 = y0.min(s.ay).min(s.by);
            y1 = y1.max(s.ay).max(s.by);
        }
        if segs.is_empty() {
            (x0, y0, x1, y1) = (0.0, 0.0, 0.0, 0.0);
        }
        let mut cell = CELL_M;
        while ((x1 - x0) / cell + 1.0) * ((y1 - y0) / cell + 1.0) > MAX_CELLS {
            cell *= 2.0;
        }
        let nx = ((x1 - x0) / cell) as usize + 1;
        let ny = ((y1 - y0) / cell) as usize + 1;
        let mut index = RoadIndex {
            roads: out_roads,
            segs: Vec::new(),
            kx,
            x0,
            y0,
            cell,
            nx,
            ny,
            starts: Vec::new(),
            entries: Vec::new(),
        };
        // Two passes over the cells each segment passes near: count, then fill.
        let mut counts = vec![0u32; nx * ny];
        for s in &segs {
            index.for_cells_near(s, |c| counts[c] += 1);
        }
        let mut starts = Vec::with_capacity(nx * ny + 1);
        let mut acc = 0u32;
        for c in &counts {
            starts.push(acc);
            acc += c;
        }
        starts.push(acc);
        let mut fill = starts.clone();
        let mut entries = vec![0u32; acc as usize];
        for (si, s) in segs.iter().enumerate() {
            index.for_cells_near(s, |c| {
                entries[fill[c] as usize] = si as u32;
                fill[c] += 1;
            });
        }
        index.segs = segs;
        index.starts = starts;
        index.entries = entries;
        index
    }

    /// Calls `f` with every cell whose centre is within half a cell diagonal of the segment.
    fn for_cells_near(&self, s: &Seg, mut f: impl FnMut(usize)) {
        let half_diag = self.cell * std::f64::consts::FRAC_1_SQRT_2;
        let reach2 = half_diag * half_diag * 1.0001;
        let (cx0, cx1) = (self.col(s.ax.min(s.bx)), self.col(s.ax.max(s.bx)));
        let (cy0, cy1) = (self.row(s.ay.min(s.by)), self.row(s.ay.max(s.by)));
        for iy in cy0..=cy1 {
            for ix in cx0..=cx1 {
                let mx = self.x0 + (ix as f64 + 0.5) * self.cell;
                let my = self.y0 + (iy as f64 + 0.5) * self.cell;
                if geom::point_segment_dist2(mx, my, s.ax, s.ay, s.bx, s.by) <= reach2 {
                    f(iy * self.nx + ix);
                }
            }
        }
    }

    fn col(&self, x: f64) -> usize {
        (((x - self.x0) / self.cell).max(0.0) as usize).min(self.nx - 1)
    }

    fn row(&self, y: f64) -> usize {
        (((y - self.y0) / self.cell).max(0.0) as usize).min(self.ny - 1)
    }

    /// The indexed roads, in the order of the slice given to [`RoadIndex::build`].
    pub fn roads(&self) -> &[IndexedRoad] {
        &self.roads
    }

    /// Number of segments indexed.
    pub fn segment_count(&self) -> usize {
        self.segs.len()
    }

    /// The nearest road centre line within `max_dist_m` metres of `point`.
    ///
    /// With a `heading` (degrees clockwise from north), segments whose direction agrees with it
    /// within `heading_tolerance_deg` (either way along the segment: roads are driven both ways)
    /// are preferred over nearer ones that do not agree — a sweeper crossing a junction stays on
    /// the road it drives along. Without agreeing candidates the nearest segment wins. Ties go to
    /// the segment built first. Invalid coordinates match nothing.
    pub fn match_point(
        &self,
        point: Point,
        max_dist_m: f64,
        heading: Option<f64>,
        heading_tolerance_deg: f64,
    ) -> Option<RoadMatch> {
        if !valid(point) || self.segs.is_empty() || max_dist_m.is_nan() || max_dist_m < 0.0 {
            return None;
        }
        let (px, py) = (point.lon * self.kx, point.lat * METRES_PER_DEGREE);
        let reach = max_dist_m.min(self.cell * 64.0);
        let fx0 = ((px - reach - self.x0) / self.cell).floor();
        let fx1 = ((px + reach - self.x0) / self.cell).floor();
        let fy0 = ((py - reach - self.y0) / self.cell).floor();
        let fy1 = ((py + reach - self.y0) / self.cell).floor();
        if fx1 < 0.0 || fy1 < 0.0 || fx0 >= self.nx as f64 || fy0 >= self.ny as f64 {
            return None;
        }
        let (ix0, ix1) = (fx0.max(0.0) as usize, (fx1 as usize).min(self.nx - 1));
        let (iy0, iy1) = (fy0.max(0.0) as usize, (fy1 as usize).min(self.ny - 1));
        let max2 = reach * reach;
        let heading = heading.filter(|h| h.is_finite());
        // (d2, segment, t)
        let mut best_any: Option<(f64, u32, f64)> = None;
        let mut best_agree: Option<(f64, u32, f64)> = None;
        for iy in iy0..=iy1 {
            for ix in ix0..=ix1 {
                let c = iy * self.nx + ix;
                let (s, e) = (self.starts[c] as usize, self.starts[c + 1] as usize);
                for &si in &self.entries[s..e] {
                    let seg = &self.segs[si as usize];
                    let (d2, t) = foot(px, py, seg);
                    if d2 > max2 {
                        continue;
                    }
                    let cand = (d2, si, t);
                    if better(&cand, &best_any) {
                        best_any = Some(cand);
                    }
                    if let Some(h) = heading
                        && axis_diff_deg(h, seg.bearing_deg) <= heading_tolerance_deg
                        && better(&cand, &best_agree)
                    {
                        best_agree = Some(cand);
                    }
                }
            }
        }
        let (d2, si, t) = best_agree.or(best_any)?;
        let seg = &self.segs[si as usize];
        Some(RoadMatch {
            road: seg.road as usize,
            offset_m: seg.start_m + t * seg.len_m,
            distance_m: d2.sqrt(),
        })
    }

    /// The foot of the perpendicular from `point` on one road (any distance): `(offset_m,
    /// distance_m)`, `None` for an unknown road, a road without segments or an invalid point.
    pub fn project_on_road(&self, road: usize, point: Point) -> Option<(f64, f64)> {
        if !valid(point) {
            return None;
        }
        let r = self.roads.get(road)?;
        let (px, py) = (point.lon * self.kx, point.lat * METRES_PER_DEGREE);
        let mut best: Option<(f64, u32, f64)> = None;
        for si in r.segments.clone() {
            let seg = self.segs.get(si as usize)?;
            let (d2, t) = foot(px, py, seg);
            let cand = (d2, si, t);
            if better(&cand, &best) {
                best = Some(cand);
            }
        }
        let (d2, si, t) = best?;
        let seg = self.segs.get(si as usize)?;
        Some((seg.start_m + t * seg.len_m, d2.sqrt()))
    }

    /// The point at `offset_m` along a road (clamped to the road), `None` for an unknown road or
    /// one without segments.
    pub fn point_at(&self, road: usize, offset_m: f64) -> Option<Point> {
        let r = self.roads.get(road)?;
        let segs = self
            .segs
            .get(r.segments.start as usize..r.segments.end as usize)?;
        let last = segs.last()?;
        let off = if offset_m.is_nan() { 0.0 } else { offset_m };
        let seg = segs
            .iter()
            .find(|s| off <= s.start_m + s.len_m)
            .unwrap_or(last);
        let t = if seg.len_m > 0.0 {
            ((off - seg.start_m) / seg.len_m).clamp(0.0, 1.0)
        } else {
            0.0
        };
        let x = seg.ax + t * (seg.bx - seg.ax);
        let y = seg.ay + t * (seg.by - seg.ay);
        Some(Point::new(x / self.kx, y / METRES_PER_DEGREE))
    }
}

fn valid(p: Point) -> bool {
    (-180.0..=180.0).contains(&p.lon) && (-90.0..=90.0).contains(&p.lat)
}

/// Squared distance (m²) from the point to the segment and the parameter of the foot (0..=1).
#[inline]
fn foot(px: f64, py: f64, s: &Seg) -> (f64, f64) {
    let (dx, dy) = (s.bx - s.ax, s.by - s.ay);
    let len2 = dx * dx + dy * dy;
    let t = if len2 > 0.0 {
        (((px - s.ax) * dx + (py - s.ay) * dy) / len2).clamp(0.0, 1.0)
    } else {
        0.0
    };
    let (cx, cy) = (s.ax + t * dx - px, s.ay + t * dy - py);
    (cx * cx + cy * cy, t)
}

#[inline]
fn better(c: &(f64, u32, f64), best: &Option<(f64, u32, f64)>) -> bool {
    match best {
        None => true,
        Some((d2, si, _)) => c.0 < *d2 || (c.0 == *d2 && c.1 < *si),
    }
}

/// Angle between a heading and a segment's axis, ignoring the direction of travel: 0..=90.
fn axis_diff_deg(heading: f64, bearing: f64) -> f64 {
    let d = (heading - bearing).rem_euclid(180.0);
    d.min(180.0 - d)
}

#[cfg(test)]
mod tests {
    use super::*;
    use grid::Polyline;

    fn road(id: &str, pts: &[(f64, f64)]) -> Road {
        Road {
            id: id.into(),
            name: id.into(),
            class: RoadClass::Branch,
            chief: None,
            line: Polyline(pts.iter().map(|&(x, y)| Point::new(x, y)).collect()),
        }
    }

    #[test]
    fn axis_difference_ignores_direction() {
        assert_eq!(axis_diff_deg(0.0, 180.0), 0.0);
        assert_eq!(axis_diff_deg(90.0, 0.0), 90.0);
        assert_eq!(axis_diff_deg(350.0, 10.0), 20.0);
        assert_eq!(axis_diff_deg(100.0, 270.0), 10.0);
    }

    #[test]
    fn offset_accumulates_over_segments_and_point_at_inverts_it() {
        // An L: 0.01° east (≈ 1,004 m at lat 34.75), then 0.01° north (≈ 1,113 m).
        let r = road("L", &[(113.60, 34.75), (113.61, 34.75), (113.61, 34.76)]);
        let idx = RoadIndex::build(std::slice::from_ref(&r));
        let len = r.line.length_m();
        assert!((idx.roads()[0].length_m - len).abs() < 1e-9);
        let first = geom::distance_m(r.line.0[0], r.line.0[1]);
        let m = idx
            .match_point(Point::new(113.61005, 34.755), 25.0, None, 45.0)
            .expect("near the north leg");
        assert!((m.offset_m - (first + 0.005 * METRES_PER_DEGREE)).abs() < 1.0);
        let p = idx.point_at(0, m.offset_m).expect("on the road");
        assert!((p.lon - 113.61).abs() < 1e-9 && (p.lat - 34.755).abs() < 1e-6);
    }
}
