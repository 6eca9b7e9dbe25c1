//! Simplified outlines per map zoom level, so the UI can draw every grid of a district fast.
//!
//! Tolerance is one screen pixel at the zoom (Web-Mercator metres per pixel at the area's
//! latitude, [`metres_per_pixel`]); rings are simplified with Douglas–Peucker in a local metric
//! plane and positions rounded to the decimals that still resolve a quarter pixel
//! ([`decimals_for`]). A ring never collapses: if simplification would leave fewer than three
//! distinct vertices the (rounded) original is kept; holes smaller than one pixel are dropped.
//! Neighbouring areas are simplified independently, so at low zooms their shared borders may
//! differ by up to a pixel — invisible on screen, but the output is for drawing only, never for
//! geocoding.

use crate::geom::{METRES_PER_DEGREE, metres_per_degree_lon, ring_area_m2};
use crate::model::{Area, MultiPolygon, Point, Polygon};

/// Web-Mercator ground resolution in metres per (256-px tile) pixel at `zoom` and latitude.
pub fn metres_per_pixel(zoom: u8, lat: f64) -> f64 {
    156_543.033_928_040_97 * lat.to_radians().cos() / f64::powi(2.0, i32::from(zoom.min(30)))
}

/// Decimal places of a degree that resolve a quarter of `mpp` metres (3..=7).
pub fn decimals_for(mpp: f64) -> i32 {
    let d = (METRES_PER_DEGREE * 4.0 / mpp.max(1e-6)).log10().ceil();
    (d as i32).clamp(3, 7)
}

/// Simplified copies of `areas` for drawing at `zoom` (10 – 18 typical; any 0 – 30 accepted).
pub fn simplify_areas(areas: &[Area], zoom: u8) -> Vec<Area> {
    areas
        .iter()
        .map(|a| Area {
            code: a.code.clone(),
            name: a.name.clone(),
            level: a.level,
            polygon: simplify_multipolygon(&a.polygon, zoom),
        })
        .collect()
}

/// One multipolygon simplified for `zoom`.
pub fn simplify_multipolygon(mp: &MultiPolygon, zoom: u8) -> MultiPolygon {
    let Some(bb) = mp.bbox() else {
        return mp.clone();
    };
    let lat = (bb.south + bb.north) * 0.5;
    let mpp = metres_per_pixel(zoom, lat);
    let dec = decimals_for(mpp);
    let kx = metres_per_degree_lon(lat);
    MultiPolygon(
        mp.0.iter()
            .map(|p| Polygon {
                exterior: simplify_ring(&p.exterior, mpp, kx, dec),
                holes: p
                    .holes
                    .iter()
                    .filter(|h| ring_area_m2(h) >= mpp * mpp)
                    .map(|h| simplify_ring(h, mpp, kx, dec))
                    .collect(),
            })
            .collect(),
    )
}

fn round_to(v: f64, dec: i32) -> f64 {
    let f = 10f64.powi(dec);
    (v * f).round() / f
}

/// Simplifies one ring (closed or not), returns it closed.
pub fn simplify_ring(ring: &[Point], tol_m: f64, kx: f64, dec: i32) -> Vec<Point> {
    let mut pts: Vec<Point> = ring.to_vec();
    if pts.len() > 1 && pts[0] == pts[pts.len() - 1] {
        pts.pop();
    }
    let round_all = |v: &[Point]| -> Vec<Point> {
        let mut out: Vec<Point> = Vec::with_capacity(v.len() + 1);
        for p in v {
            let q = Point::new(round_to(p.lon, dec), round_to(p.lat, dec));
            if out.last() != Some(&q) {
                out.push(q);
            }
        }
        while out.len() > 1 && out.first() == out.last() {
            out.pop();
        }
        out
    };
    let original = round_all(&pts);
    if pts.len() <= 4 {
        return close(if original.len() >= 3 { original } else { pts });
    }
    let xy: Vec<(f64, f64)> = pts
        .iter()
        .map(|p| (p.lon * kx, p.lat * METRES_PER_DEGREE))
        .collect();
    let n = pts.len();
    // Split at vertex 0 and the vertex farthest from it.
    let far = (1..n)
        .max_by(|&a, &b| dist2(xy[0], xy[a]).total_cmp(&dist2(xy[0], xy[b])))
        .unwrap_or(n / 2);
    let mut keep = vec![false; n + 1];
    keep[0] = true;
    keep[far] = true;
    keep[n] = true;
    let at = |i: usize| xy[i % n];
    dp(&at, 0, far, tol_m * tol_m, &mut keep);
    dp(&at, far, n, tol_m * tol_m, &mut keep);
    let kept: Vec<Point> = (0..n).filter(|&i| keep[i]).map(|i| pts[i]).collect();
    let rounded = round_all(&kept);
    if rounded.len() >= 3 {
        close(rounded)
    } else if original.len() >= 3 {
        close(original)
    } else {
        close(pts)
    }
}

fn close(mut v: Vec<Point>) -> Vec<Point> {
    if let Some(&f) = v.first() {
        v.push(f);
    }
    v
}

fn dist2(a: (f64, f64), b: (f64, f64)) -> f64 {
    (a.0 - b.0) * (a.0 - b.0) + (a.1 - b.1) * (a.1 - b.1)
}

fn dp(at: &dyn Fn(usize) -> (f64, f64), i: usize, j: usize, tol2: f64, keep: &mut [bool]) {
    // Iterative to bound the stack on long rings.
    let mut stack = vec![(i, j)];
    while let Some((i, j)) = stack.pop() {
        if j <= i + 1 {
            continue;
        }
        let (a, b) = (at(i), at(j));
        let mut best = (0.0, i);
        for k in i + 1..j {
            let p = at(k);
            let d = crate::geom::point_segment_dist2(p.0, p.1, a.0, a.1, b.0, b.1);
            if d > best.0 {
                best = (d, k);
            }
        }
        if best.0 > tol2 {
            keep[best.1] = true;
            stack.push((i, best.1));
            stack.push((best.1, j));
        }
    }
}

#[cfg(test)]
mod tests {
    //! Simplification keeps shapes valid and gets smaller at low zooms.
    use super::*;

    #[test]
    fn staircase_simplifies_and_rectangles_survive() {
        // A fine staircase from (0,0) to (0.01, 0.01) closed along the axes.
        let mut ring = vec![Point::new(113.0, 34.0)];
        for k in 0..100 {
            let x = 113.0 + 0.0001 * k as f64;
            let y = 34.0 + 0.0001 * k as f64;
            ring.push(Point::new(x + 0.0001, y));
            ring.push(Point::new(x + 0.0001, y + 0.0001));
        }
        ring.push(Point::new(113.0, 34.01));
        ring.push(Point::new(113.0, 34.0));
        let mp = MultiPolygon(vec![Polygon {
            exterior: ring.clone(),
            holes: vec![],
        }]);
        let z10 = simplify_multipolygon(&mp, 10);
        let z18 = simplify_multipolygon(&mp, 18);
        assert!(z10.0[0].exterior.len() < 10, "{}", z10.0[0].exterior.len());
        assert!(z18.0[0].exterior.len() > z10.0[0].exterior.len());
        assert_eq!(z10.0[0].exterior.first(), z10.0[0].exterior.last());
        let tiny: MultiPolygon = Polygon::rect(113.0, 34.0, 113.0001, 34.0001).into();
        let t = simplify_multipolygon(&tiny, 10);
        assert!(t.0[0].exterior.len() >= 4);
        let t = simplify_multipolygon(&tiny, 18);
        assert_eq!(t.0[0].exterior.len(), 5);
    }

    #[test]
    fn demo_communities_get_lighter_and_stay_valid() {
        let m = crate::generate::generate(1, crate::generate::Scale::Demo);
        let comms: Vec<Area> = m
            .areas_of(crate::model::AreaLevel::Community)
            .cloned()
            .collect();
        let count = |v: &[Area]| {
            v.iter()
                .map(|a| a.polygon.rings().map(Vec::len).sum::<usize>())
                .sum::<usize>()
        };
        let z10 = simplify_areas(&comms, 10);
        let z18 = simplify_areas(&comms, 18);
        assert!(
            count(&z10) * 2 < count(&comms),
            "{} vs {}",
            count(&z10),
            count(&comms)
        );
        assert!(count(&z10) <= count(&z18));
        for a in z10.iter().chain(&z18) {
            for r in a.polygon.rings() {
                assert!(r.len() >= 4 && r.first() == r.last(), "{}", a.code);
            }
        }
        // Area is roughly kept at zoom 14 (one pixel ≈ 8 m).
        let z14 = simplify_areas(&comms, 14);
        for (a, b) in comms.iter().zip(&z14) {
            let (x, y) = (a.polygon.area_m2(), b.polygon.area_m2());
            assert!((x - y).abs() < 0.25 * x, "{}: {x} vs {y}", a.code);
        }
        assert!((metres_per_pixel(14, 34.75) - 7.85).abs() < 0.05);
        assert_eq!(decimals_for(metres_per_pixel(18, 34.75)), 6);
        assert_eq!(decimals_for(metres_per_pixel(10, 34.75)), 4);
    }
}
