//! Layer validation: a per-feature report of everything wrong with an import, as data.
//!
//! The caller decides (all-or-nothing per file: import only when [`Report::is_ok`]). Checks:
//!
//! | kind | what |
//! |---|---|
//! | `bad_code` | code not all digits, or length wrong for the level (6/9/12/15; components 17) |
//! | `parent_mismatch` | code prefix differs from the declared `parent` |
//! | `unknown_parent` | the parent code is neither known nor in the same file |
//! | `ring_not_closed`, `ring_too_short` | first ≠ last position; fewer than 4 positions |
//! | `coordinate_out_of_range` | NaN/∞, lon ∉ −180..=180 or lat ∉ −90..=90 |
//! | `lat_lon_swapped` | every position has lon in 3..54 and lat in 73..136 (China swapped) |
//! | `outside_china` | some position outside lon 73..136 / lat 3..54 (only with `china`) |
//! | `self_intersection` | a ring touches or crosses itself, or rings of a polygon cross |
//! | `outside_parent` | a vertex lies more than `outside_tolerance_m` metres outside the parent, or more than `area_tolerance_m2` of the area does |
//! | `overlap` | two siblings (same parent) overlap by more than `area_tolerance_m2` |
//! | `gap` | the children of a parent leave more than `gap_tolerance_m2` of it uncovered (reported once per parent, `index` = `None`) |
//! | `duplicate_code` | a code (or component id) appears twice |
//! | `unknown_component_class` | class code not a GB/T 47678.5 component class |
//! | `id_class_mismatch` | a component id's digits 7–11 differ from its class code |
//! | `unknown_grid`, `outside_grid` | a component's grid code is unknown, or its point is farther than `outside_tolerance_m` from that grid |
//!
//! Areas are measured with the local equirectangular approximation of [`crate::geom`].

use std::collections::{HashMap, HashSet};

use serde::{Deserialize, Serialize};

use crate::geojson::{AreaFeature, ring_name};
use crate::geom::{self, METRES_PER_DEGREE, metres_per_degree_lon};
use crate::model::{Area, AreaLevel, BBox, Component, MultiPolygon, Point, level_of_code};

/// Tolerances and switches.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct ValidateOptions {
    /// How far (metres) a vertex may lie outside its parent, or a component from its grid.
    pub outside_tolerance_m: f64,
    /// Overlap (between siblings, or outside the parent) tolerated, m².
    pub area_tolerance_m2: f64,
    /// Uncovered parent area tolerated, m². `f64::INFINITY` disables the gap check.
    pub gap_tolerance_m2: f64,
    /// Check positions against China's extent (and report swapped lat/lon).
    pub china: bool,
}

impl Default for ValidateOptions {
    fn default() -> Self {
        ValidateOptions {
            outside_tolerance_m: 1.0,
            area_tolerance_m2: 1.0,
            gap_tolerance_m2: 10.0,
            china: true,
        }
    }
}

/// What an issue is about.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum IssueKind {
    /// Code not digits or wrong length for the level.
    BadCode,
    /// Code prefix and declared parent differ.
    ParentMismatch,
    /// Parent code unknown.
    UnknownParent,
    /// Ring first ≠ last.
    RingNotClosed,
    /// Ring with fewer than 4 positions.
    RingTooShort,
    /// NaN or out-of-range coordinate.
    CoordinateOutOfRange,
    /// Latitude and longitude look swapped.
    LatLonSwapped,
    /// Position outside China's extent.
    OutsideChina,
    /// Ring touches or crosses itself.
    SelfIntersection,
    /// Outside the parent area beyond tolerance.
    OutsideParent,
    /// Overlaps a sibling beyond tolerance.
    Overlap,
    /// Siblings leave part of the parent uncovered.
    Gap,
    /// Code or id appears more than once.
    DuplicateCode,
    /// Component class not in the taxonomy.
    UnknownComponentClass,
    /// Component id and class code disagree.
    IdClassMismatch,
    /// Component grid code unknown.
    UnknownGrid,
    /// Component point not in its grid.
    OutsideGrid,
}

impl IssueKind {
    /// Every kind, in declaration order (the API document lists them from here).
    pub const ALL: [IssueKind; 17] = [
        IssueKind::BadCode,
        IssueKind::ParentMismatch,
        IssueKind::UnknownParent,
        IssueKind::RingNotClosed,
        IssueKind::RingTooShort,
        IssueKind::CoordinateOutOfRange,
        IssueKind::LatLonSwapped,
        IssueKind::OutsideChina,
        IssueKind::SelfIntersection,
        IssueKind::OutsideParent,
        IssueKind::Overlap,
        IssueKind::Gap,
        IssueKind::DuplicateCode,
        IssueKind::UnknownComponentClass,
        IssueKind::IdClassMismatch,
        IssueKind::UnknownGrid,
        IssueKind::OutsideGrid,
    ];
}

/// One finding.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Issue {
    /// 0-based feature index in the layer; `None` for findings about a parent as a whole (gaps).
    pub index: Option<usize>,
    /// The feature's code (for gaps: the parent's code).
    pub code: String,
    /// Kind.
    pub kind: IssueKind,
    /// Precise, human-readable message.
    pub message: String,
}

/// The result of validating one layer.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Report {
    /// Features examined.
    pub features: usize,
    /// Findings, by feature index (parent-level findings last).
    pub issues: Vec<Issue>,
}

impl Report {
    /// No finding at all.
    pub fn is_ok(&self) -> bool {
        self.issues.is_empty()
    }

    fn push(&mut self, index: Option<usize>, code: &str, kind: IssueKind, message: String) {
        self.issues.push(Issue {
            index,
            code: code.to_owned(),
            kind,
            message,
        });
    }
}

fn is_digits(s: &str) -> bool {
    !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit())
}

const CHINA_LON: std::ops::RangeInclusive<f64> = 73.0..=136.0;
const CHINA_LAT: std::ops::RangeInclusive<f64> = 3.0..=54.0;

/// Coordinate checks shared by areas and components; returns false when coordinates are so
/// broken that geometric checks make no sense.
fn check_coords(rep: &mut Report, index: usize, code: &str, pts: &[Point], china: bool) -> bool {
    if china && !pts.is_empty() {
        let swapped = pts
            .iter()
            .all(|p| CHINA_LAT.contains(&p.lon) && CHINA_LON.contains(&p.lat));
        if swapped {
            rep.push(
            Some(index),
            code,
            IssueKind::LatLonSwapped,
            format!(
                "positions look like [lat, lon] (first is ({}, {})); GeoJSON order is [lon, lat]",
                pts[0].lon, pts[0].lat
            ),
        );
            return false;
        }
    }
    if let Some((i, p)) = pts.iter().enumerate().find(|(_, p)| {
        !(p.lon.is_finite()
            && p.lat.is_finite()
            && (-180.0..=180.0).contains(&p.lon)
            && (-90.0..=90.0).contains(&p.lat))
    }) {
        rep.push(
            Some(index),
            code,
            IssueKind::CoordinateOutOfRange,
            format!(
                "position {i} ({}, {}) is not a valid lon/lat (lon -180..180, lat -90..90)",
                p.lon, p.lat
            ),
        );
        return false;
    }
    if !china || pts.is_empty() {
        return true;
    }
    if let Some((i, p)) = pts
        .iter()
        .enumerate()
        .find(|(_, p)| !(CHINA_LON.contains(&p.lon) && CHINA_LAT.contains(&p.lat)))
    {
        rep.push(
            Some(index),
            code,
            IssueKind::OutsideChina,
            format!(
                "position {i} ({}, {}) is outside China (lon 73..136, lat 3..54)",
                p.lon, p.lat
            ),
        );
        return false;
    }
    true
}

/// Segments of all rings of one polygon for the intersection sweep: (ring, position index, a, b).
fn self_intersection(poly: &crate::model::Polygon) -> Option<String> {
    struct Seg {
        ring: usize,
        i: usize,
        n: usize,
        a: Point,
        b: Point,
        x0: f64,
        x1: f64,
    }
    let mut segs: Vec<Seg> = Vec::new();
    for (ri, r) in poly.rings().enumerate() {
        // Drop consecutive duplicates; close.
        let mut pts: Vec<Point> = Vec::with_capacity(r.len());
        for p in r {
            if pts.last() != Some(p) {
                pts.push(*p);
            }
        }
        if pts.len() > 1 && pts[0] == pts[pts.len() - 1] {
            pts.pop();
        }
        let n = pts.len();
        if n < 3 {
            continue;
        }
        for i in 0..n {
            let (a, b) = (pts[i], pts[(i + 1) % n]);
            segs.push(Seg {
                ring: ri,
                i,
                n,
                a,
                b,
                x0: a.lon.min(b.lon),
                x1: a.lon.max(b.lon),
            });
        }
    }
    segs.sort_by(|p, q| p.x0.total_cmp(&q.x0));
    for (k, s) in segs.iter().enumerate() {
        for t in &segs[k + 1..] {
            if t.x0 > s.x1 {
                break;
            }
            if t.a.lat.max(t.b.lat) < s.a.lat.min(s.b.lat)
                || s.a.lat.max(s.b.lat) < t.a.lat.min(t.b.lat)
            {
                continue;
            }
            if s.ring == t.ring {
                let d = s.i.abs_diff(t.i);
                if d == 1 || d == s.n - 1 {
                    // Neighbours share a vertex; they only fail if they fold back on each other.
                    let shared = if s.b == t.a { s.b } else { s.a };
                    let (p, q) = (
                        if s.a == shared { s.b } else { s.a },
                        if t.a == shared { t.b } else { t.a },
                    );
                    if geom::orient(shared, p, q) == 0.0
                        && (p.lon - shared.lon) * (q.lon - shared.lon)
                            + (p.lat - shared.lat) * (q.lat - shared.lat)
                            > 0.0
                    {
                        return Some(format!(
                            "ring {} folds back on itself at position {}",
                            s.ring,
                            s.i.max(t.i)
                        ));
                    }
                    continue;
                }
                if geom::segments_intersect(s.a, s.b, t.a, t.b) {
                    return Some(format!(
                        "ring {} edges {} and {} touch or cross near ({}, {})",
                        s.ring,
                        s.i.min(t.i),
                        s.i.max(t.i),
                        s.a.lon,
                        s.a.lat
                    ));
                }
            } else if proper_cross(s.a, s.b, t.a, t.b) {
                return Some(format!(
                    "ring {} edge {} crosses ring {} edge {}",
                    s.ring, s.i, t.ring, t.i
                ));
            }
        }
    }
    None
}

fn proper_cross(p1: Point, p2: Point, q1: Point, q2: Point) -> bool {
    let d1 = geom::orient(q1, q2, p1);
    let d2 = geom::orient(q1, q2, p2);
    let d3 = geom::orient(p1, p2, q1);
    let d4 = geom::orient(p1, p2, q2);
    d1 * d2 < 0.0 && d3 * d4 < 0.0
}

/// Distance in metres from `p` to the nearest boundary of `mp`.
fn distance_to_boundary_m(mp: &MultiPolygon, p: Point) -> f64 {
    let kx = metres_per_degree_lon(p.lat);
    let mut best = f64::INFINITY;
    for r in mp.rings() {
        for w in r.windows(2) {
            let d = geom::point_segment_dist2(
                p.lon * kx,
                p.lat * METRES_PER_DEGREE,
                w[0].lon * kx,
                w[0].lat * METRES_PER_DEGREE,
                w[1].lon * kx,
                w[1].lat * METRES_PER_DEGREE,
            );
            best = best.min(d);
        }
    }
    best.sqrt()
}

fn center_lat(bb: &BBox) -> f64 {
    (bb.south + bb.north) * 0.5
}

/// Overlap area of two areas in degree² (signed noise possible around 0; rectangles exact).
fn overlap_deg2(a: &MultiPolygon, ab: &BBox, b: &MultiPolygon, bb: &BBox) -> f64 {
    if !ab.intersects(bb) {
        return 0.0;
    }
    let w = ab.east.min(bb.east) - ab.west.max(bb.west);
    let h = ab.north.min(bb.north) - ab.south.max(bb.south);
    if w <= 0.0 || h <= 0.0 {
        return 0.0;
    }
    if is_rect(a) && is_rect(b) {
        w * h
    } else {
        geom::overlap_area_deg2(a, b)
    }
}

/// Area in degree² (holes subtracted).
fn area_deg2(mp: &MultiPolygon) -> f64 {
    mp.0.iter()
        .map(|p| {
            geom::ring_signed_area_deg2(&p.exterior).abs()
                - p.holes
                    .iter()
                    .map(|h| geom::ring_signed_area_deg2(h).abs())
                    .sum::<f64>()
        })
        .sum()
}

fn is_rect(mp: &MultiPolygon) -> bool {
    let [p] = mp.0.as_slice() else { return false };
    if !p.holes.is_empty() || p.exterior.len() != 5 || p.exterior[0] != p.exterior[4] {
        return false;
    }
    let e = &p.exterior;
    (0..4).all(|i| {
        let (a, b) = (e[i], e[i + 1]);
        (a.lon == b.lon) != (a.lat == b.lat)
    })
}

/// Validates one area layer against the areas already known (any level; parents are looked up
/// there and among the layer's own features).
pub fn validate_areas(features: &[AreaFeature], known: &[Area], opts: &ValidateOptions) -> Report {
    let mut rep = Report {
        features: features.len(),
        issues: Vec::new(),
    };
    let mut parents: HashMap<&str, &MultiPolygon> = HashMap::new();
    for a in known {
        parents.insert(a.code.as_str(), &a.polygon);
    }
    let in_file: HashMap<&str, &MultiPolygon> = features
        .iter()
        .map(|f| (f.code.as_str(), &f.polygon))
        .collect();
    let parent_geometry = |code: &str| parents.get(code).or_else(|| in_file.get(code)).copied();
    let mut seen: HashMap<&str, usize> = HashMap::new();
    // Features whose geometry is usable for the area checks, grouped by parent code.
    let mut groups: HashMap<String, Vec<(usize, BBox)>> = HashMap::new();

    for (fi, f) in features.iter().enumerate() {
        let code = f.code.as_str();
        let idx = f.index;
        if let Some(prev) = seen.insert(code, idx) {
            rep.push(
                Some(idx),
                code,
                IssueKind::DuplicateCode,
                format!("code {code} also used by feature {prev}"),
            );
        }
        // Code and level.
        let level = f.effective_level();
        let mut parent_code: Option<String> = None;
        if !is_digits(code) {
            rep.push(
                Some(idx),
                code,
                IssueKind::BadCode,
                format!("code {code:?} must be digits only"),
            );
        } else if let Some(l) = f.level {
            if code.len() != l.code_len() {
                rep.push(
                    Some(idx),
                    code,
                    IssueKind::BadCode,
                    format!(
                        "code {code} has {} digits; a {} code has {}",
                        code.len(),
                        l.as_str(),
                        l.code_len()
                    ),
                );
            }
        } else if level_of_code(code).is_none() {
            rep.push(
                Some(idx),
                code,
                IssueKind::BadCode,
                format!(
                    "code {code} has {} digits; area codes have 6, 9, 12 or 15",
                    code.len()
                ),
            );
        }
        if let Some(pl) = level.and_then(AreaLevel::parent)
            && is_digits(code)
            && code.len() > pl.code_len()
        {
            let prefix = &code[..pl.code_len()];
            parent_code = Some(prefix.to_owned());
            if let Some(decl) = &f.parent
                && decl != prefix
            {
                rep.push(
                    Some(idx),
                    code,
                    IssueKind::ParentMismatch,
                    format!("code prefix {prefix} does not match the declared parent {decl}"),
                );
            }
            if parent_geometry(prefix).is_none() {
                rep.push(
                    Some(idx),
                    code,
                    IssueKind::UnknownParent,
                    format!("parent {} {prefix} is not known", pl.as_str()),
                );
            }
        }
        // Rings.
        let mut geometry_ok = !f.polygon.0.is_empty();
        if f.polygon.0.is_empty() {
            rep.push(
                Some(idx),
                code,
                IssueKind::RingTooShort,
                "geometry has no polygon".into(),
            );
        }
        for (pi, p) in f.polygon.0.iter().enumerate() {
            for (ri, r) in p.rings().enumerate() {
                let which = ring_name(pi, ri);
                if r.len() < 4 {
                    rep.push(
                        Some(idx),
                        code,
                        IssueKind::RingTooShort,
                        format!("{which} has {} positions, at least 4 needed", r.len()),
                    );
                    geometry_ok = false;
                } else if r.first() != r.last() {
                    rep.push(
                        Some(idx),
                        code,
                        IssueKind::RingNotClosed,
                        format!("{which} is not closed: first position differs from last"),
                    );
                    geometry_ok = false;
                }
            }
        }
        let pts: Vec<Point> = f.polygon.rings().flatten().copied().collect();
        if !check_coords(&mut rep, idx, code, &pts, opts.china) {
            geometry_ok = false;
        }
        if geometry_ok {
            for (pi, p) in f.polygon.0.iter().enumerate() {
                if let Some(msg) = self_intersection(p) {
                    rep.push(
                        Some(idx),
                        code,
                        IssueKind::SelfIntersection,
                        format!("polygon {pi}: {msg}"),
                    );
                    geometry_ok = false;
                }
            }
        }
        if !geometry_ok {
            continue;
        }
        let Some(bb) = f.polygon.bbox() else { continue };
        if let Some(pc) = parent_code {
            // Outside the parent.
            if let Some(pg) = parent_geometry(&pc) {
                outside_parent(&mut rep, f, &pc, pg, &bb, opts);
            }
            groups.entry(pc).or_default().push((fi, bb));
        }
    }

    // Siblings: overlaps and gaps.
    let mut keys: Vec<&String> = groups.keys().collect();
    keys.sort();
    for pc in keys {
        let members = &groups[pc];
        let mut order: Vec<&(usize, BBox)> = members.iter().collect();
        order.sort_by(|a, b| a.1.west.total_cmp(&b.1.west));
        let mut overlap_sum = 0.0;
        for (k, (fa, ba)) in order.iter().enumerate() {
            for (fb, bbx) in &order[k + 1..] {
                if bbx.west > ba.east {
                    break;
                }
                let a = &features[*fa];
                let b = &features[*fb];
                let o_deg2 = overlap_deg2(&a.polygon, ba, &b.polygon, bbx);
                overlap_sum += o_deg2;
                let o = geom::deg2_to_m2(o_deg2, center_lat(ba));
                if o > opts.area_tolerance_m2 {
                    let (first, second) = if a.index <= b.index { (a, b) } else { (b, a) };
                    rep.push(
                        Some(second.index),
                        &second.code,
                        IssueKind::Overlap,
                        format!(
                            "overlaps sibling {} (feature {}) by {o:.1} m² (tolerance {} m²)",
                            first.code, first.index, opts.area_tolerance_m2
                        ),
                    );
                }
            }
        }
        if opts.gap_tolerance_m2.is_finite()
            && let Some(pg) = parent_geometry(pc)
            && let Some(pbb) = pg.bbox()
        {
            // All in degree² and converted once at the parent's latitude, so the
            // latitude scaling cannot differ between the parent and its children.
            let lat = center_lat(&pbb);
            let parent_area = geom::deg2_to_m2(area_deg2(pg), lat);
            let covered_deg2: f64 = members
                .iter()
                .map(|(fi, bb)| {
                    let f = &features[*fi];
                    if !pbb.intersects(bb) {
                        return 0.0;
                    }
                    geom::overlap_area_deg2(pg, &f.polygon).abs()
                })
                .sum::<f64>()
                - overlap_sum;
            let gap = geom::deg2_to_m2(area_deg2(pg) - covered_deg2, lat);
            if gap > opts.gap_tolerance_m2 {
                rep.push(
                        None,
                        pc,
                        IssueKind::Gap,
                        format!(
                            "the {} features under {pc} leave {gap:.1} m² of its {parent_area:.0} m² uncovered (tolerance {} m²)",
                            members.len(),
                            opts.gap_tolerance_m2
                        ),
                    );
            }
        }
    }
    rep.issues.sort_by_key(|i| (i.index.is_none(), i.index));
    rep
}

fn outside_parent(
    rep: &mut Report,
    f: &AreaFeature,
    pc: &str,
    pg: &MultiPolygon,
    bb: &BBox,
    opts: &ValidateOptions,
) {
    for (vi, v) in f.polygon.rings().flatten().enumerate() {
        if geom::contains(pg, *v) {
            continue;
        }
        let d = distance_to_boundary_m(pg, *v);
        if d > opts.outside_tolerance_m {
            rep.push(
                Some(f.index),
                &f.code,
                IssueKind::OutsideParent,
                format!(
                    "position {vi} ({}, {}) lies {d:.1} m outside parent {pc} (tolerance {} m)",
                    v.lon, v.lat, opts.outside_tolerance_m
                ),
            );
            return;
        }
    }
    let lat = center_lat(bb);
    let own = geom::deg2_to_m2(area_deg2(&f.polygon), lat);
    let inside = geom::deg2_to_m2(geom::overlap_area_deg2(pg, &f.polygon).abs(), lat);
    let out = own - inside;
    if out > opts.area_tolerance_m2 {
        rep.push(
            Some(f.index),
            &f.code,
            IssueKind::OutsideParent,
            format!(
                "{out:.1} m² of its {own:.0} m² lies outside parent {pc} (tolerance {} m²)",
                opts.area_tolerance_m2
            ),
        );
    }
}

/// The 5-digit codes of the GB/T 47678.5 component classes shipped in `domain`.
pub fn builtin_component_classes() -> HashSet<String> {
    domain::taxonomy::builtin_classes()
        .map(|cs| {
            cs.into_iter()
                .filter(|c| c.kind == domain::taxonomy::ClassKind::Component)
                .map(|c| c.code)
                .collect()
        })
        .unwrap_or_default()
}

/// Validates a component layer. `classes`: known component class codes (see
/// [`builtin_component_classes`]); `known`: areas already known (districts for the id prefix,
/// grids for `grid_code`; when no district is known the prefix is only checked for digits).
pub fn validate_components(
    components: &[Component],
    classes: &HashSet<String>,
    known: &[Area],
    opts: &ValidateOptions,
) -> Report {
    let mut rep = Report {
        features: components.len(),
        issues: Vec::new(),
    };
    let districts: HashSet<&str> = known
        .iter()
        .filter(|a| a.level == AreaLevel::District)
        .map(|a| a.code.as_str())
        .collect();
    let grids: HashMap<&str, &MultiPolygon> = known
        .iter()
        .filter(|a| a.level == AreaLevel::Grid)
        .map(|a| (a.code.as_str(), &a.polygon))
        .collect();
    let mut seen: HashMap<&str, usize> = HashMap::with_capacity(components.len());
    for (idx, c) in components.iter().enumerate() {
        let id = c.id.as_str();
        if let Some(prev) = seen.insert(id, idx) {
            rep.push(
                Some(idx),
                id,
                IssueKind::DuplicateCode,
                format!("id {id} also used by feature {prev}"),
            );
        }
        if !is_digits(id) || id.len() != 17 {
            rep.push(
                Some(idx),
                id,
                IssueKind::BadCode,
                format!("component id {id:?} must be 17 digits (6 district + 5 class + 6 serial)"),
            );
        } else {
            if !districts.is_empty() && !districts.contains(&id[..6]) {
                rep.push(
                    Some(idx),
                    id,
                    IssueKind::UnknownParent,
                    format!("district {} of the id is not known", &id[..6]),
                );
            }
            if id[6..11] != c.class_code {
                rep.push(
                    Some(idx),
                    id,
                    IssueKind::IdClassMismatch,
                    format!(
                        "id digits 7-11 are {} but class_code is {}",
                        &id[6..11],
                        c.class_code
                    ),
                );
            }
        }
        if !classes.contains(&c.class_code) {
            rep.push(
                Some(idx),
                id,
                IssueKind::UnknownComponentClass,
                format!(
                    "class_code {:?} is not a GB/T 47678.5 component class",
                    c.class_code
                ),
            );
        }
        if !check_coords(&mut rep, idx, id, &[c.point], opts.china) {
            continue;
        }
        if c.grid_code.is_empty() {
            continue;
        }
        if !is_digits(&c.grid_code) || c.grid_code.len() != 15 {
            rep.push(
                Some(idx),
                id,
                IssueKind::BadCode,
                format!("grid_code {:?} must be 15 digits", c.grid_code),
            );
            continue;
        }
        if !grids.is_empty() {
            match grids.get(c.grid_code.as_str()) {
                None => rep.push(
                    Some(idx),
                    id,
                    IssueKind::UnknownGrid,
                    format!("grid {} is not known", c.grid_code),
                ),
                Some(g) => {
                    if !geom::contains(g, c.point) {
                        let d = distance_to_boundary_m(g, c.point);
                        if d > opts.outside_tolerance_m {
                            rep.push(
                                Some(idx),
                                id,
                                IssueKind::OutsideGrid,
                                format!(
                                    "point lies {d:.1} m outside its grid {} (tolerance {} m)",
                                    c.grid_code, opts.outside_tolerance_m
                                ),
                            );
                        }
                    }
                }
            }
        }
    }
    rep
}

/// Validates a road layer: ids present and unique, names present, at least two positions per
/// line, positions valid WGS-84 (and inside China, not swapped, when `opts.china`).
pub fn validate_roads(roads: &[crate::model::Road], opts: &ValidateOptions) -> Report {
    let mut rep = Report {
        features: roads.len(),
        issues: Vec::new(),
    };
    let mut seen: HashSet<&str> = HashSet::new();
    for (i, r) in roads.iter().enumerate() {
        if r.id.trim().is_empty() {
            rep.push(
                Some(i),
                &r.id,
                IssueKind::BadCode,
                "road id is empty".into(),
            );
        } else if !seen.insert(r.id.as_str()) {
            rep.push(
                Some(i),
                &r.id,
                IssueKind::DuplicateCode,
                format!("road id {} appears more than once", r.id),
            );
        }
        if r.name.trim().is_empty() {
            rep.push(
                Some(i),
                &r.id,
                IssueKind::BadCode,
                "road name is empty".into(),
            );
        }
        if r.line.0.len() < 2 {
            rep.push(
                Some(i),
                &r.id,
                IssueKind::RingTooShort,
                format!(
                    "a road line needs at least 2 positions, got {}",
                    r.line.0.len()
                ),
            );
        }
        check_coords(&mut rep, i, &r.id, &r.line.0, opts.china);
    }
    rep.issues.sort_by_key(|i| i.index);
    rep
}

#[cfg(test)]
mod road_tests {
    use super::*;
    use crate::model::{Polyline, Road, RoadClass};

    fn road(id: &str, pts: &[(f64, f64)]) -> Road {
        Road {
            id: id.into(),
            name: "建设路".into(),
            class: RoadClass::Arterial,
            chief: None,
            line: Polyline(pts.iter().map(|&(lon, lat)| Point::new(lon, lat)).collect()),
        }
    }

    #[test]
    fn roads_with_duplicate_ids_short_lines_or_swapped_positions_are_reported() {
        let ok = road("R1", &[(113.61, 34.75), (113.62, 34.75)]);
        assert!(validate_roads(std::slice::from_ref(&ok), &ValidateOptions::default()).is_ok());
        let rep = validate_roads(
            &[
                ok.clone(),
                ok.clone(),
                road("R2", &[(113.61, 34.75)]),
                road("R3", &[(34.75, 113.61), (34.76, 113.61)]),
                road("R4", &[(113.61, 95.0), (113.62, 34.75)]),
            ],
            &ValidateOptions::default(),
        );
        let kinds: Vec<(Option<usize>, IssueKind)> =
            rep.issues.iter().map(|i| (i.index, i.kind)).collect();
        assert_eq!(
            kinds,
            [
                (Some(1), IssueKind::DuplicateCode),
                (Some(2), IssueKind::RingTooShort),
                (Some(3), IssueKind::LatLonSwapped),
                (Some(4), IssueKind::CoordinateOutOfRange),
            ]
        );
    }
}

#[cfg(test)]
mod kind_tests {
    use super::IssueKind;

    /// A new kind must be added to `IssueKind::ALL`: this match stops compiling until its arm
    /// exists, and the position check fails until the list holds it.
    #[test]
    fn all_lists_every_kind_once_in_order() {
        for (i, k) in IssueKind::ALL.iter().enumerate() {
            let position = match k {
                IssueKind::BadCode => 0,
                IssueKind::ParentMismatch => 1,
                IssueKind::UnknownParent => 2,
                IssueKind::RingNotClosed => 3,
                IssueKind::RingTooShort => 4,
                IssueKind::CoordinateOutOfRange => 5,
                IssueKind::LatLonSwapped => 6,
                IssueKind::OutsideChina => 7,
                IssueKind::SelfIntersection => 8,
                IssueKind::OutsideParent => 9,
                IssueKind::Overlap => 10,
                IssueKind::Gap => 11,
                IssueKind::DuplicateCode => 12,
                IssueKind::UnknownComponentClass => 13,
                IssueKind::IdClassMismatch => 14,
                IssueKind::UnknownGrid => 15,
                IssueKind::OutsideGrid => 16,
            };
            assert_eq!(position, i, "{k:?}");
        }
    }
}
