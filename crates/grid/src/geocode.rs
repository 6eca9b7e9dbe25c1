//! The geocoder: point → unit grid → community → street → district, nearest road, and a
//! readable Chinese address.
//!
//! # Design
//!
//! A bucket grid covers the bounding box of all unit grids. Its column and row boundaries are
//! taken from the grids' own edges, about one median grid size apart, preferring the edge
//! coordinates shared by most grids — so a lattice of unit grids (the usual case) gets exactly
//! one grid per bucket. A point's column and row come from a small uniform table plus one or
//! two exact comparisons. Each bucket lists the grids whose half-open box reaches into it, each
//! stored inline with its box, so a lookup reads one contiguous run of memory. A candidate is
//! accepted when the point is in its half-open box and, unless the grid is an axis-aligned
//! rectangle (then the box test is exact), the crossing test over its precomputed canonical
//! edges ([`crate::geom::Edge`]) says inside. Parents come from code prefixes, resolved once
//! at build time, so one grid lookup gives the whole path.
//!
//! Nearest road: road segments in a uniform 200 m bucket grid in a local metric plane
//! (longitude scaled by the cosine of the city's mean latitude), searched ring by ring.
//!
//! # Tie rule
//!
//! Exactly the rule of [`crate::geom::contains`]: a point is in a grid iff the point moved an
//! infinitesimal amount east (and an even smaller amount north) is. A point on an edge shared by
//! two grids belongs to exactly one of them — the one east of a north–south edge, north of an
//! east–west edge. This holds bit-exactly when neighbouring grids share identical vertex
//! coordinates (as the generator and any topologically clean layer do); where one grid's edge
//! is split by a neighbour's vertex (a T-junction) the two may round differently by one ulp.
//! If grids overlap (invalid data) the answer is still deterministic: the first matching
//! candidate of the point's bucket in model order, then grids too large for the buckets (more
//! than 4,096 buckets, e.g. a district filed as a grid) in model order. Grids with non-finite
//! coordinates never match.
//!
//! Points outside every grid are [`None`] / [`Geocoded::Outside`]; NaN or out-of-range
//! coordinates are [`GeocodeError::InvalidCoordinate`]. Nothing here panics on input.

use std::collections::HashMap;

use serde::{Deserialize, Serialize};

use crate::geom::{self, Edge, METRES_PER_DEGREE};
use crate::model::{AreaLevel, CityModel, Point};

/// Errors of a lookup.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum GeocodeError {
    /// NaN, infinite, or outside −180..=180 / −90..=90.
    #[error(
        "invalid coordinate lon={lon} lat={lat}: must be finite, lon in -180..=180, lat in -90..=90"
    )]
    InvalidCoordinate {
        /// The longitude given.
        lon: f64,
        /// The latitude given.
        lat: f64,
    },
}

/// Index of a unit grid inside one [`Geocoder`]: its position among the model's grid-level
/// areas that have at least one point, in model order.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct GridIdx(pub u32);

/// Code and name of an area.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AreaRef {
    /// Standard code (6/9/12/15 digits).
    pub code: String,
    /// Name.
    pub name: String,
}

/// The nearest road to a point.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct RoadHit {
    /// Index of the road in `CityModel::roads`.
    pub index: usize,
    /// Road id.
    pub id: String,
    /// Road name.
    pub name: String,
    /// Distance from the point to the road centre line, metres.
    pub distance_m: f64,
}

/// Where a point lies inside the city.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Location {
    /// The unit grid.
    pub grid: AreaRef,
    /// The community (code = grid code's first 12 digits), when present in the model.
    pub community: Option<AreaRef>,
    /// The street (first 9 digits), when present.
    pub street: Option<AreaRef>,
    /// The district (first 6 digits), when present.
    pub district: Option<AreaRef>,
    /// The nearest road within the requested distance.
    pub road: Option<RoadHit>,
    /// Readable address, e.g. "中原区 中原西路街道 万达社区 建设路附近".
    pub address: String,
}

/// Answer of [`Geocoder::locate`].
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Geocoded {
    /// The point is in a unit grid.
    Inside(Box<Location>),
    /// The point is in no unit grid; the nearest road is still given when within range.
    Outside {
        /// The nearest road within the requested distance.
        road: Option<RoadHit>,
    },
}

/// Sizes of a [`Geocoder`]'s index.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct IndexStats {
    /// Unit grids with geometry.
    pub grids: usize,
    /// Buckets of the uniform grid.
    pub buckets: usize,
    /// Candidate entries over all buckets (a grid appears in every bucket it overlaps).
    pub bucket_entries: usize,
    /// Grids kept out of the buckets because they span too many.
    pub oversized_grids: usize,
    /// Precomputed edges of non-rectangular grids.
    pub polygon_edges: usize,
    /// Road segments in the nearest-road index.
    pub road_segments: usize,
}

#[derive(Clone, Copy, Debug)]
struct Cand {
    west: f64,
    south: f64,
    east: f64,
    north: f64,
    grid: u32,
    edge_start: u32,
    /// 0 means the grid is an axis-aligned rectangle: the box test is exact.
    edge_len: u32,
    /// In a bucket's first candidate: index into `more_offsets` of the bucket's other
    /// candidates, or `NO_MORE`. (Fills what would otherwise be padding.)
    more: u32,
}

const NO_MORE: u32 = u32::MAX;

/// The first candidate of an empty bucket: no point is in its box.
const EMPTY: Cand = Cand {
    west: f64::INFINITY,
    south: f64::INFINITY,
    east: f64::NEG_INFINITY,
    north: f64::NEG_INFINITY,
    grid: 0,
    edge_start: 0,
    edge_len: 0,
    more: NO_MORE,
};

#[derive(Clone, Debug)]
struct GridInfo {
    area: u32,
    community: Option<u32>,
    street: Option<u32>,
    district: Option<u32>,
}

/// A bucket index over the city's unit grids and roads. Build once, share read-only
/// (`Send + Sync`).
#[derive(Clone, Debug)]
pub struct Geocoder {
    xs: Axis,
    ys: Axis,
    nx: usize,
    ny: usize,
    /// The first candidate of every bucket, inline (one memory access for most lookups).
    first: Vec<Cand>,
    /// Ranges into `more` for buckets with several candidates.
    more_offsets: Vec<u32>,
    more: Vec<Cand>,
    /// Grids spanning more than `MAX_SPAN` buckets, tried after the bucket's candidates.
    big: Vec<Cand>,
    edges: Vec<Edge>,
    grids: Vec<GridInfo>,
    area_codes: Vec<String>,
    area_names: Vec<String>,
    roads: RoadIndex,
}

/// Upper bound on the number of buckets (memory: 4 bytes each plus 48 per candidate entry).
const MAX_BUCKETS: usize = 1 << 24;

/// Grids spanning more buckets than this are kept out of the buckets.
const MAX_SPAN: usize = 4096;

impl Geocoder {
    /// Builds the index from the model's unit grids (level [`AreaLevel::Grid`]) and roads.
    /// Grids with no points are ignored.
    pub fn build(model: &CityModel) -> Geocoder {
        let mut grid_ids: Vec<usize> = Vec::new();
        let mut code_to_area: HashMap<&str, u32> = HashMap::new();
        for (i, a) in model.areas.iter().enumerate() {
            code_to_area.entry(a.code.as_str()).or_insert(i as u32);
            if a.level == AreaLevel::Grid && a.polygon.bbox().is_some() {
                grid_ids.push(i);
            }
        }
        let area_codes: Vec<String> = model.areas.iter().map(|a| a.code.clone()).collect();
        let area_names: Vec<String> = model.areas.iter().map(|a| a.name.clone()).collect();

        let mut edges = Vec::new();
        let mut shapes: Vec<Cand> = Vec::with_capacity(grid_ids.len());
        let mut grids = Vec::with_capacity(grid_ids.len());
        let mut widths = Vec::with_capacity(grid_ids.len());
        let mut heights = Vec::with_capacity(grid_ids.len());
        let mut total = None::<crate::model::BBox>;
        for (gi, &ai) in grid_ids.iter().enumerate() {
            let a = &model.areas[ai];
            let Some(bb) = a.polygon.bbox() else { continue };
            let prefix = |n: usize| a.code.get(..n).and_then(|p| code_to_area.get(p).copied());
            grids.push(GridInfo {
                area: ai as u32,
                community: prefix(12),
                street: prefix(9),
                district: prefix(6),
            });
            if ![bb.west, bb.south, bb.east, bb.north]
                .iter()
                .all(|v| v.is_finite())
            {
                // Invalid geometry (validation reports it): never matches.
                continue;
            }
            total = Some(total.map_or(bb, |t| t.union(bb)));
            widths.push(bb.east - bb.west);
            heights.push(bb.north - bb.south);
            let start = edges.len();
            let rect = is_rect(&a.polygon);
            if !rect {
                geom::push_edges(&a.polygon, &mut edges);
            }
            shapes.push(Cand {
                west: bb.west,
                south: bb.south,
                east: bb.east,
                north: bb.north,
                grid: gi as u32,
                edge_start: start as u32,
                edge_len: (edges.len() - start) as u32,
                more: NO_MORE,
            });
        }

        let total = total.unwrap_or(crate::model::BBox {
            west: 0.0,
            south: 0.0,
            east: 0.0,
            north: 0.0,
        });
        let (mut dx, mut dy) = (median(&mut widths), median(&mut heights));
        if dx.partial_cmp(&0.0) != Some(std::cmp::Ordering::Greater) {
            dx = 1.0;
        }
        if dy.partial_cmp(&0.0) != Some(std::cmp::Ordering::Greater) {
            dy = 1.0;
        }
        // Bucket boundaries are taken from the grids' own edges (about one median grid size
        // apart), so a lattice of grids gets exactly one grid per bucket.
        let mut xv: Vec<f64> = shapes.iter().flat_map(|s| [s.west, s.east]).collect();
        let mut yv: Vec<f64> = shapes.iter().flat_map(|s| [s.south, s.north]).collect();
        xv.sort_by(f64::total_cmp);
        yv.sort_by(f64::total_cmp);
        let mut gap = 0.9;
        loop {
            let xs = Axis::build(&xv, dx * gap);
            let ys = Axis::build(&yv, dy * gap);
            let (nx, ny) = (xs.cells(), ys.cells());
            if nx.saturating_mul(ny) > MAX_BUCKETS {
                gap *= 1.5;
                continue;
            }
            // A grid holds points with west <= x < east, so the last bucket it can answer for
            // is the bucket of the largest double below `east` (the mapping is monotone):
            // grids are not listed in buckets they only touch along their east or north edge.
            let span = |s: &Cand| match (
                xs.cell(s.west),
                xs.cell(s.east.next_down()),
                ys.cell(s.south),
                ys.cell(s.north.next_down()),
            ) {
                (Some(x0), Some(x1), Some(y0), Some(y1)) if x0 <= x1 && y0 <= y1 => {
                    Some((y0..=y1, x0..=x1))
                }
                _ => None,
            };
            // Grids spanning very many buckets (a district filed as a grid, say) are kept
            // aside and tried after the bucket's candidates, so they cannot blow up memory.
            let (small, big): (Vec<Cand>, Vec<Cand>) = shapes.iter().partition(|s| {
                span(s).is_none_or(|(ys, xs)| ys.count().saturating_mul(xs.count()) <= MAX_SPAN)
            });
            let mut counts = vec![0u64; nx * ny];
            for s in &small {
                let Some((ys, xs)) = span(s) else { continue };
                for iy in ys {
                    for ix in xs.clone() {
                        counts[iy * nx + ix] += 1;
                    }
                }
            }
            let total_entries: u64 = counts.iter().sum();
            if total_entries > u64::from(u32::MAX) {
                gap *= 2.0;
                continue;
            }
            let mut offsets = vec![0u32; nx * ny + 1];
            let mut acc = 0u32;
            for (i, c) in counts.iter().enumerate() {
                offsets[i] = acc;
                acc += *c as u32;
            }
            offsets[nx * ny] = acc;
            let mut fill: Vec<u32> = offsets.clone();
            let mut cands = vec![EMPTY; acc as usize];
            for s in &small {
                let Some((ys, xs)) = span(s) else { continue };
                for iy in ys {
                    for ix in xs.clone() {
                        let b = iy * nx + ix;
                        cands[fill[b] as usize] = *s;
                        fill[b] += 1;
                    }
                }
            }
            // Split into the inline first candidate and the rest.
            let mut first = vec![EMPTY; nx * ny];
            let mut more_offsets: Vec<u32> = vec![0];
            let mut more: Vec<Cand> = Vec::new();
            for (b, f) in first.iter_mut().enumerate() {
                let (s, e) = (offsets[b] as usize, offsets[b + 1] as usize);
                if s == e {
                    continue;
                }
                *f = cands[s];
                f.more = NO_MORE;
                if e - s > 1 {
                    f.more = (more_offsets.len() - 1) as u32;
                    more.extend_from_slice(&cands[s + 1..e]);
                    more_offsets.push(more.len() as u32);
                }
            }
            return Geocoder {
                xs,
                ys,
                nx,
                ny,
                first,
                more_offsets,
                more,
                big,
                edges,
                grids,
                area_codes,
                area_names,
                roads: RoadIndex::build(model, (total.south + total.north) * 0.5),
            };
        }
    }
    /// Sizes of the index, for tuning and metrics.
    pub fn index_stats(&self) -> IndexStats {
        IndexStats {
            grids: self.grids.len(),
            buckets: self.nx * self.ny,
            bucket_entries: self.first.iter().filter(|c| c.west <= c.east).count()
                + self.more.len(),
            oversized_grids: self.big.len(),
            polygon_edges: self.edges.len(),
            road_segments: self.roads.geom.len(),
        }
    }

    /// Number of unit grids indexed.
    pub fn grid_count(&self) -> usize {
        self.grids.len()
    }

    /// The hot path: the unit grid holding `(lon, lat)` (degrees), `Ok(None)` when the point is
    /// in no grid. No allocation. See the module doc for the tie rule.
    #[inline]
    pub fn grid_at(&self, lon: f64, lat: f64) -> Result<Option<GridIdx>, GeocodeError> {
        if !((-180.0..=180.0).contains(&lon) && (-90.0..=90.0).contains(&lat)) {
            return Err(GeocodeError::InvalidCoordinate { lon, lat });
        }
        let (Some(ix), Some(iy)) = (self.xs.cell(lon), self.ys.cell(lat)) else {
            return Ok(None);
        };
        let b = iy * self.nx + ix;
        let f = &self.first[b];
        if self.hit(f, lon, lat) {
            return Ok(Some(GridIdx(f.grid)));
        }
        if f.more != NO_MORE {
            let j = f.more as usize;
            let (s, e) = (
                self.more_offsets[j] as usize,
                self.more_offsets[j + 1] as usize,
            );
            for c in &self.more[s..e] {
                if self.hit(c, lon, lat) {
                    return Ok(Some(GridIdx(c.grid)));
                }
            }
        }
        for c in &self.big {
            if self.hit(c, lon, lat) {
                return Ok(Some(GridIdx(c.grid)));
            }
        }
        Ok(None)
    }

    #[inline(always)]
    fn hit(&self, c: &Cand, lon: f64, lat: f64) -> bool {
        if !(lon >= c.west && lon < c.east && lat >= c.south && lat < c.north) {
            return false;
        }
        if c.edge_len == 0 {
            return true;
        }
        let es = c.edge_start as usize;
        let mut inside = false;
        for ed in &self.edges[es..es + c.edge_len as usize] {
            inside ^= ed.crosses(lon, lat);
        }
        inside
    }

    /// The 15-digit code of an indexed grid.
    pub fn grid_code(&self, g: GridIdx) -> &str {
        self.grids
            .get(g.0 as usize)
            .map_or("", |gi| self.area_codes[gi.area as usize].as_str())
    }

    /// Index of the grid's area in `CityModel::areas`.
    pub fn grid_area_index(&self, g: GridIdx) -> Option<usize> {
        self.grids.get(g.0 as usize).map(|gi| gi.area as usize)
    }

    /// Indices in `CityModel::areas` of the grid's community, street and district (when
    /// present in the model).
    pub fn parents(&self, g: GridIdx) -> [Option<usize>; 3] {
        match self.grids.get(g.0 as usize) {
            Some(gi) => [
                gi.community.map(|i| i as usize),
                gi.street.map(|i| i as usize),
                gi.district.map(|i| i as usize),
            ],
            None => [None; 3],
        }
    }

    fn area_ref(&self, i: u32) -> AreaRef {
        AreaRef {
            code: self.area_codes[i as usize].clone(),
            name: self.area_names[i as usize].clone(),
        }
    }

    /// The nearest road to `(lon, lat)` whose centre line is within `max_distance_m` metres.
    pub fn nearest_road(
        &self,
        lon: f64,
        lat: f64,
        max_distance_m: f64,
    ) -> Result<Option<RoadHit>, GeocodeError> {
        if !((-180.0..=180.0).contains(&lon) && (-90.0..=90.0).contains(&lat)) {
            return Err(GeocodeError::InvalidCoordinate { lon, lat });
        }
        Ok(self.roads.nearest(lon, lat, max_distance_m))
    }

    /// The full answer: grid with its parents, nearest road within `max_road_distance_m`
    /// metres, and a readable address. Allocates; use [`Geocoder::grid_at`] on hot paths.
    pub fn locate(
        &self,
        lon: f64,
        lat: f64,
        max_road_distance_m: f64,
    ) -> Result<Geocoded, GeocodeError> {
        let g = self.grid_at(lon, lat)?;
        let road = self.roads.nearest(lon, lat, max_road_distance_m);
        let Some(g) = g else {
            return Ok(Geocoded::Outside { road });
        };
        let gi = &self.grids[g.0 as usize];
        let grid = self.area_ref(gi.area);
        let community = gi.community.map(|i| self.area_ref(i));
        let street = gi.street.map(|i| self.area_ref(i));
        let district = gi.district.map(|i| self.area_ref(i));
        let mut parts: Vec<&str> = Vec::with_capacity(4);
        for a in [&district, &street, &community].into_iter().flatten() {
            parts.push(&a.name);
        }
        let mut address = parts.join(" ");
        match &road {
            Some(r) => {
                if !address.is_empty() {
                    address.push(' ');
                }
                address.push_str(&r.name);
                address.push_str("附近");
            }
            None if community.is_none() => {
                if !address.is_empty() {
                    address.push(' ');
                }
                address.push_str(&grid.name);
            }
            None => {}
        }
        Ok(Geocoded::Inside(Box::new(Location {
            grid,
            community,
            street,
            district,
            road,
            address,
        })))
    }
}

/// One axis of the bucket grid: sorted breakpoints taken from grid edges, cell `i` being
/// `[bp[i], bp[i + 1])`, plus a uniform table that finds a point's cell in one or two steps.
#[derive(Clone, Debug)]
struct Axis {
    bp: Vec<f64>,
    origin: f64,
    inv: f64,
    /// For each uniform slot, a cell at or near the slot's start (corrected exactly on lookup).
    table: Vec<u32>,
}

impl Axis {
    /// Breakpoints from sorted `values` (duplicates welcome: they are the weights), about
    /// `min_gap`..`1.7 × min_gap` apart, preferring the values shared by most grid edges so that
    /// cells line up with the grids; always including the smallest and largest value.
    fn build(values: &[f64], min_gap: f64) -> Axis {
        // Run-length: (value, how many grid edges lie on it).
        let mut runs: Vec<(f64, u32)> = Vec::new();
        for &v in values.iter().filter(|v| v.is_finite()) {
            match runs.last_mut() {
                Some((l, c)) if *l == v => *c += 1,
                _ => runs.push((v, 1)),
            }
        }
        let mut bp: Vec<f64> = Vec::new();
        let mut i = 0;
        if let Some(&(v, _)) = runs.first() {
            bp.push(v);
            i = 1;
        }
        while i < runs.len() {
            let last = bp[bp.len() - 1];
            // Skip values closer than min_gap.
            while i < runs.len() && runs[i].0 - last < min_gap {
                i += 1;
            }
            if i >= runs.len() {
                break;
            }
            // Among the values up to 1.7 × min_gap away, take the most shared one.
            let mut best = i;
            let mut j = i + 1;
            while j < runs.len() && runs[j].0 - last < min_gap * 1.7 {
                if runs[j].1 > runs[best].1 {
                    best = j;
                }
                j += 1;
            }
            bp.push(runs[best].0);
            i = best + 1;
        }
        if let (Some(&(max, _)), Some(&last)) = (runs.last(), bp.last())
            && last < max
        {
            bp.push(max);
        }
        if bp.len() < 2 {
            // No extent: a single cell that no point can fall into.
            let v = bp.first().copied().unwrap_or(0.0);
            bp = vec![v, v];
        }
        let origin = bp[0];
        let extent = bp[bp.len() - 1] - origin;
        let slots = ((bp.len() - 1) * 2).max(1);
        let inv = if extent > 0.0 {
            slots as f64 / extent
        } else {
            0.0
        };
        let table = (0..slots)
            .map(|k| {
                let x = origin + k as f64 / inv.max(f64::MIN_POSITIVE);
                (bp.partition_point(|&b| b <= x).saturating_sub(1)).min(bp.len() - 2) as u32
            })
            .collect();
        Axis {
            bp,
            origin,
            inv,
            table,
        }
    }

    /// Number of cells.
    fn cells(&self) -> usize {
        self.bp.len() - 1
    }

    /// The cell holding `x` (`bp[i] <= x < bp[i + 1]`), `None` outside. Exact: the table
    /// only gives a starting guess, corrected by comparisons with the breakpoints.
    #[inline(always)]
    fn cell(&self, x: f64) -> Option<usize> {
        let n = self.bp.len();
        if !(x >= self.bp[0] && x < self.bp[n - 1]) {
            return None;
        }
        let slot = (((x - self.origin) * self.inv) as usize).min(self.table.len() - 1);
        let mut i = self.table[slot] as usize;
        while i + 2 < n && x >= self.bp[i + 1] {
            i += 1;
        }
        while i > 0 && x < self.bp[i] {
            i -= 1;
        }
        Some(i)
    }
}

fn median(v: &mut [f64]) -> f64 {
    if v.is_empty() {
        return 0.0;
    }
    let mid = v.len() / 2;
    v.select_nth_unstable_by(mid, f64::total_cmp);
    v[mid]
}

/// Whether the multipolygon is exactly one axis-aligned rectangle without holes (4 distinct
/// corners, edges axis-parallel), so its half-open box is its exact shape.
fn is_rect(mp: &crate::model::MultiPolygon) -> bool {
    let [p] = mp.0.as_slice() else { return false };
    if !p.holes.is_empty() {
        return false;
    }
    let r = &p.exterior;
    let pts: &[Point] = if r.len() == 5 && r[0] == r[4] {
        &r[..4]
    } else if r.len() == 4 && r[0] != r[3] {
        &r[..]
    } else {
        return false;
    };
    let Some(bb) = crate::model::BBox::of_points(pts) else {
        return false;
    };
    if !(bb.west < bb.east && bb.south < bb.north) {
        return false;
    }
    for i in 0..4 {
        let (a, b) = (pts[i], pts[(i + 1) % 4]);
        let axis = (a.lon == b.lon && a.lat != b.lat) || (a.lat == b.lat && a.lon != b.lon);
        let corner =
            (a.lon == bb.west || a.lon == bb.east) && (a.lat == bb.south || a.lat == bb.north);
        if !axis || !corner {
            return false;
        }
    }
    true
}

/// Bucket index of road segments in a local metric plane.
#[derive(Clone, Debug)]
struct RoadIndex {
    kx: f64,
    x0: f64,
    y0: f64,
    cell: f64,
    nx: usize,
    ny: usize,
    offsets: Vec<u32>,
    segs: Vec<u32>,
    /// Segment endpoints in metres: ax, ay, bx, by.
    geom: Vec<[f64; 4]>,
    seg_road: Vec<u32>,
    ids: Vec<String>,
    names: Vec<String>,
}

/// Road bucket size, metres.
const ROAD_CELL_M: f64 = 200.0;

impl RoadIndex {
    fn build(model: &CityModel, lat0: f64) -> RoadIndex {
        let kx = geom::metres_per_degree_lon(lat0);
        let mut geomv = Vec::new();
        let mut seg_road = Vec::new();
        for (ri, r) in model.roads.iter().enumerate() {
            for w in r.line.0.windows(2) {
                let (a, b) = (w[0], w[1]);
                let g = [
                    a.lon * kx,
                    a.lat * METRES_PER_DEGREE,
                    b.lon * kx,
                    b.lat * METRES_PER_DEGREE,
                ];
                if g.iter().all(|v| v.is_finite()) {
                    geomv.push(g);
                    seg_road.push(ri as u32);
                }
            }
        }
        let (mut x0, mut y0, mut x1, mut y1) = (f64::MAX, f64::MAX, f64::MIN, f64::MIN);
        for g in &geomv {
            x0 = x0.min(g[0]).min(g[2]);
            x1 = x1.max(g[0]).max(g[2]);
            y0 = y0.min(g[1]).min(g[3]);
            y1 = y1.max(g[1]).max(g[3]);
        }
        if geomv.is_empty() {
            (x0, y0, x1, y1) = (0.0, 0.0, 0.0, 0.0);
        }
        let mut cell = ROAD_CELL_M;
        while ((x1 - x0) / cell + 1.0) * ((y1 - y0) / cell + 1.0) > MAX_BUCKETS as f64 {
            cell *= 2.0;
        }
        let nx = ((x1 - x0) / cell) as usize + 1;
        let ny = ((y1 - y0) / cell) as usize + 1;
        let cx = |x: f64| (((x - x0) / cell) as usize).min(nx - 1);
        let cy = |y: f64| (((y - y0) / cell) as usize).min(ny - 1);
        let mut counts = vec![0u32; nx * ny];
        let each = |g: &[f64; 4], f: &mut dyn FnMut(usize)| {
            for iy in cy(g[1].min(g[3]))..=cy(g[1].max(g[3])) {
                for ix in cx(g[0].min(g[2]))..=cx(g[0].max(g[2])) {
                    f(iy * nx + ix);
                }
            }
        };
        for g in &geomv {
            each(g, &mut |b| counts[b] += 1);
        }
        let mut offsets = vec![0u32; nx * ny + 1];
        let mut acc = 0;
        for i in 0..nx * ny {
            offsets[i] = acc;
            acc += counts[i];
        }
        offsets[nx * ny] = acc;
        let mut fill = offsets.clone();
        let mut segs = vec![0u32; acc as usize];
        for (si, g) in geomv.iter().enumerate() {
            each(g, &mut |b| {
                segs[fill[b] as usize] = si as u32;
                fill[b] += 1;
            });
        }
        RoadIndex {
            kx,
            x0,
            y0,
            cell,
            nx,
            ny,
            offsets,
            segs,
            geom: geomv,
            seg_road,
            ids: model.roads.iter().map(|r| r.id.clone()).collect(),
            names: model.roads.iter().map(|r| r.name.clone()).collect(),
        }
    }

    fn nearest(&self, lon: f64, lat: f64, max_m: f64) -> Option<RoadHit> {
        if self.geom.is_empty() || max_m.is_nan() || max_m < 0.0 {
            return None;
        }
        let (px, py) = (lon * self.kx, lat * METRES_PER_DEGREE);
        let fx = ((px - self.x0) / self.cell).floor();
        let fy = ((py - self.y0) / self.cell).floor();
        let mut best: Option<(f64, u32)> = None;
        let consider = |s: u32, best: &mut Option<(f64, u32)>| {
            let g = &self.geom[s as usize];
            let d2 = geom::point_segment_dist2(px, py, g[0], g[1], g[2], g[3]);
            let better = match *best {
                None => true,
                Some((bd, bs)) => d2 < bd || (d2 == bd && s < bs),
            };
            if better {
                *best = Some((d2, s));
            }
        };
        if !(fx >= 0.0 && fy >= 0.0 && fx < self.nx as f64 && fy < self.ny as f64) {
            // Outside the indexed rectangle (rare): scan every segment.
            for s in 0..self.geom.len() as u32 {
                consider(s, &mut best);
            }
            return self.hit(best, max_m);
        }
        let max_r = self.nx.max(self.ny) as i64;
        let (cx, cy) = (fx as i64, fy as i64);
        for r in 0..=max_r {
            if let Some((d2, _)) = best
                && ((r - 1).max(0) as f64 * self.cell).powi(2) >= d2
            {
                break;
            }
            if r > 0 && ((r - 1) as f64 * self.cell) > max_m {
                break;
            }
            let mut visit = |ix: i64, iy: i64| {
                if ix < 0 || iy < 0 || ix >= self.nx as i64 || iy >= self.ny as i64 {
                    return;
                }
                let b = iy as usize * self.nx + ix as usize;
                for &s in &self.segs[self.offsets[b] as usize..self.offsets[b + 1] as usize] {
                    consider(s, &mut best);
                }
            };
            if r == 0 {
                visit(cx, cy);
            } else {
                for ix in cx - r..=cx + r {
                    visit(ix, cy - r);
                    visit(ix, cy + r);
                }
                for iy in cy - r + 1..=cy + r - 1 {
                    visit(cx - r, iy);
                    visit(cx + r, iy);
                }
            }
        }
        self.hit(best, max_m)
    }

    fn hit(&self, best: Option<(f64, u32)>, max_m: f64) -> Option<RoadHit> {
        let (d2, s) = best?;
        let d = d2.sqrt();
        if d > max_m {
            return None;
        }
        let ri = self.seg_road[s as usize] as usize;
        Some(RoadHit {
            index: ri,
            id: self.ids[ri].clone(),
            name: self.names[ri].clone(),
            distance_m: d,
        })
    }
}

#[cfg(test)]
mod tests {
    //! The axis lookup is exact for any breakpoints.
    use super::Axis;

    #[test]
    fn axis_cell_is_exact() {
        let mut s = 0x1234_5678_9abc_def1u64;
        let mut rnd = || {
            s ^= s << 13;
            s ^= s >> 7;
            s ^= s << 17;
            (s >> 11) as f64 / (1u64 << 53) as f64
        };
        for round in 0..50 {
            let mut v: Vec<f64> = (0..200).map(|_| 113.0 + rnd() * 0.5).collect();
            // Some lattice values, repeated, as grid edges are.
            for k in 0..60 {
                for _ in 0..3 {
                    v.push(113.0 + f64::from(k) * 0.008);
                }
            }
            v.sort_by(f64::total_cmp);
            let ax = Axis::build(&v, 0.003 * f64::from(round % 5 + 1));
            assert!(ax.bp.windows(2).all(|w| w[0] < w[1]));
            assert_eq!(ax.bp[0], v[0]);
            assert_eq!(ax.bp[ax.bp.len() - 1], v[v.len() - 1]);
            for &x in v.iter().chain([112.9, 113.7, f64::NAN].iter()) {
                for y in [x, x.next_down(), x.next_up()] {
                    match ax.cell(y) {
                        Some(i) => assert!(ax.bp[i] <= y && y < ax.bp[i + 1], "{y} in cell {i}"),
                        None => assert!(!(y >= ax.bp[0] && y < ax.bp[ax.bp.len() - 1])),
                    }
                }
            }
        }
        let empty = Axis::build(&[], 1.0);
        assert_eq!(empty.cell(0.0), None);
        let one = Axis::build(&[5.0, 5.0], 1.0);
        assert_eq!(one.cell(5.0), None);
    }
}
