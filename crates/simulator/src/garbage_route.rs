//! Routes of simulated garbage trucks 垃圾收运车 over the collection points 收集点, so the
//! collection rules (`supervision::garbage`) see visits, 前分后混 and missed points live.
//!
//! [`plan_fleet`] shares the points of each waste category among the trucks of that category
//! (round robin over the points sorted by id, so every truck has its own share) and orders each
//! share as a nearest-neighbour tour. Trucks then behave by their [`Behaviour`]:
//!
//! - **Correct**: visits exactly its share.
//! - **Mixing** 前分后混: before its own points it stops at a point of another category (the
//!   one nearest its first own point with no point of its own category within [`REACH_M`], so
//!   the rules cannot take it for a bin of its own at the same site, and not skipped by
//!   anyone) — first, so a demo shows the mixing within its first minutes.
//! - **Skipping**: leaves out the last point of its share, which nobody else visits, so the
//!   point is missed at its due time.
//!
//! [`Leg`]s then turn a route into fixes: drive at a speed toward the next stop, stand there
//! long enough to count as a visit, move on; the route repeats.

use std::collections::HashSet;

/// A stop within this distance of a point is at the point for the rules (their stop radius is
/// 30 m), metres.
pub const REACH_M: f64 = 35.0;

const METRES_PER_DEGREE: f64 = 111_320.0;

/// A collection point as the simulator needs it.
#[derive(Clone, Debug, PartialEq)]
pub struct RoutePoint {
    pub id: String,
    /// `kitchen`, `other`, `recyclable` or `hazardous`.
    pub category: String,
    pub lat: f64,
    pub lon: f64,
}

/// How a simulated truck collects.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Behaviour {
    /// Its own points only.
    Correct,
    /// Also one point of another category (前分后混).
    Mixing,
    /// Leaves out one of its points.
    Skipping,
}

/// The demo's mix: mostly correct, the second truck mixing, the fourth skipping.
pub fn demo_behaviour(index: usize) -> Behaviour {
    match index {
        1 => Behaviour::Mixing,
        3 => Behaviour::Skipping,
        _ => Behaviour::Correct,
    }
}

/// Metres between two WGS-84 points (equirectangular, fine at city scale).
pub fn distance_m(a: (f64, f64), b: (f64, f64)) -> f64 {
    let cos = ((a.0 + b.0) / 2.0).to_radians().cos();
    let dy = (a.0 - b.0) * METRES_PER_DEGREE;
    let dx = (a.1 - b.1) * METRES_PER_DEGREE * cos;
    (dx * dx + dy * dy).sqrt()
}

fn at(p: &RoutePoint) -> (f64, f64) {
    (p.lat, p.lon)
}

/// Each truck's stops, in order (see the module docs). `trucks` are `(category, behaviour)`;
/// a truck without a category (or of a category without points) gets no stops.
pub fn plan_fleet(
    points: &[RoutePoint],
    trucks: &[(Option<String>, Behaviour)],
) -> Vec<Vec<RoutePoint>> {
    let mut sorted: Vec<&RoutePoint> = points.iter().collect();
    sorted.sort_by(|a, b| a.id.cmp(&b.id));
    // Shares, round robin among the trucks of each category.
    let mut shares: Vec<Vec<RoutePoint>> = vec![Vec::new(); trucks.len()];
    let mut categories: Vec<&str> = trucks.iter().filter_map(|t| t.0.as_deref()).collect();
    categories.sort_unstable();
    categories.dedup();
    for c in categories {
        let of: Vec<usize> = (0..trucks.len())
            .filter(|i| trucks[*i].0.as_deref() == Some(c))
            .collect();
        for (k, p) in sorted.iter().filter(|p| p.category == c).enumerate() {
            shares[of[k % of.len()]].push((*p).clone());
        }
    }
    let mut routes: Vec<Vec<RoutePoint>> = shares.into_iter().map(tour).collect();
    let mut skipped: HashSet<String> = HashSet::new();
    for (i, (_, b)) in trucks.iter().enumerate() {
        if *b == Behaviour::Skipping
            && routes[i].len() > 1
            && let Some(p) = routes[i].pop()
        {
            skipped.insert(p.id);
        }
    }
    for (i, (category, b)) in trucks.iter().enumerate() {
        let (Behaviour::Mixing, Some(own), Some(first)) = (b, category, routes[i].first()) else {
            continue;
        };
        let from = at(first);
        let candidate = sorted
            .iter()
            .filter(|p| &p.category != own && !skipped.contains(&p.id))
            .filter(|p| {
                !points
                    .iter()
                    .any(|q| &q.category == own && distance_m(at(p), at(q)) <= REACH_M)
            })
            .min_by(|a, b| distance_m(from, at(a)).total_cmp(&distance_m(from, at(b))));
        if let Some(p) = candidate {
            routes[i].insert(0, (*p).clone());
        }
    }
    routes
}

/// A nearest-neighbour tour from the first point (by id).
fn tour(mut left: Vec<RoutePoint>) -> Vec<RoutePoint> {
    let mut out = Vec::with_capacity(left.len());
    if left.is_empty() {
        return out;
    }
    out.push(left.remove(0));
    while !left.is_empty() {
        let here = out.last().map(at).unwrap_or_default();
        let next = (0..left.len())
            .min_by(|a, b| {
                distance_m(here, at(&left[*a])).total_cmp(&distance_m(here, at(&left[*b])))
            })
            .unwrap_or(0);
        out.push(left.remove(next));
    }
    out
}

/// One fix of a truck on its route: where, how fast.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Leg {
    pub lat: f64,
    pub lon: f64,
    pub speed_kmh: f64,
    /// Degrees clockwise from north.
    pub heading: u16,
}

/// The fixes of one round of `route`, a fix every `every_s` seconds of the terminal's clock:
/// from each stop toward the next, `step_m` metres a fix at `speed_kmh`, then `dwell_fixes`
/// fixes standing at the stop (speed 0). Starts standing at the first stop.
pub fn round(route: &[RoutePoint], speed_kmh: f64, step_m: f64, dwell_fixes: usize) -> Vec<Leg> {
    let mut out = Vec::new();
    let step_m = step_m.max(1.0);
    for (i, p) in route.iter().enumerate() {
        if i > 0 {
            let a = at(&route[i - 1]);
            let b = at(p);
            let len = distance_m(a, b);
            let cos = a.0.to_radians().cos();
            let dx = (b.1 - a.1) * METRES_PER_DEGREE * cos;
            let dy = (b.0 - a.0) * METRES_PER_DEGREE;
            let heading = ((dx.atan2(dy).to_degrees() + 360.0) % 360.0) as u16;
            let steps = (len / step_m).ceil().max(1.0) as usize;
            for s in 1..steps {
                let f = s as f64 / steps as f64;
                out.push(Leg {
                    lat: a.0 + (b.0 - a.0) * f,
                    lon: a.1 + (b.1 - a.1) * f,
                    speed_kmh,
                    heading,
                });
            }
        }
        for _ in 0..dwell_fixes.max(1) {
            out.push(Leg {
                lat: p.lat,
                lon: p.lon,
                speed_kmh: 0.0,
                heading: 0,
            });
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Five sites 1 km apart, each with one bin of every category `d` degrees apart.
    fn spaced(d: f64) -> Vec<RoutePoint> {
        let cats = ["kitchen", "other", "recyclable", "hazardous"];
        (0..20)
            .map(|i| RoutePoint {
                id: format!("CP-{:03}", i + 1),
                category: cats[i % 4].into(),
                lat: 34.75 + d * (i % 4) as f64,
                lon: 113.60 + 0.011 * (i / 4) as f64,
            })
            .collect()
    }

    /// Bins 44 m apart.
    fn points() -> Vec<RoutePoint> {
        spaced(0.0004)
    }

    fn cat(c: &str) -> Option<String> {
        Some(c.into())
    }

    #[test]
    fn shares_cover_each_category_once_mixing_adds_one_and_skipping_leaves_one_out() {
        let trucks = [
            (cat("kitchen"), Behaviour::Correct),
            (cat("other"), Behaviour::Mixing),
            (cat("recyclable"), Behaviour::Correct),
            (cat("kitchen"), Behaviour::Skipping),
            (cat("other"), Behaviour::Correct),
            (None, Behaviour::Correct),
        ];
        let pts = points();
        let routes = plan_fleet(&pts, &trucks);
        let ids = |i: usize| routes[i].iter().map(|p| p.id.clone()).collect::<Vec<_>>();
        // Kitchen: five points, 3 + 2, one of the two left out.
        assert_eq!(routes[0].len(), 3);
        assert_eq!(routes[3].len(), 1);
        let kitchen_visited: HashSet<String> = ids(0).into_iter().chain(ids(3)).collect();
        let skipped: Vec<&RoutePoint> = pts
            .iter()
            .filter(|p| p.category == "kitchen" && !kitchen_visited.contains(&p.id))
            .collect();
        assert_eq!(skipped.len(), 1);
        // The mixing truck: its 3 other points and one kitchen point, first, not the skipped
        // one, and out of reach of every other-waste bin.
        assert_eq!(routes[1].len(), 4);
        let mixed = &routes[1][0];
        assert_eq!(mixed.category, "kitchen");
        assert_ne!(mixed.id, skipped[0].id);
        assert!(routes[1].iter().filter(|p| p.category == "other").count() == 3);
        assert!(
            pts.iter()
                .filter(|q| q.category == "other")
                .all(|q| distance_m(at(mixed), at(q)) > REACH_M)
        );
        assert_eq!(routes[2].len(), 5);
        assert!(routes[5].is_empty());
        // Bins 13 m apart: every bin is within reach of the next, but the hazardous bin 40 m
        // from the kitchen bin is not: a mixing kitchen truck stops there.
        let routes = plan_fleet(&spaced(0.000_12), &[(cat("kitchen"), Behaviour::Mixing)]);
        assert_eq!(routes[0].len(), 6);
        assert_eq!(routes[0][0].category, "hazardous", "{:?}", routes[0]);
    }

    #[test]
    fn a_round_drives_between_stops_and_stands_at_each() {
        let pts = points();
        let route = vec![pts[0].clone(), pts[4].clone()];
        let legs = round(&route, 30.0, 250.0, 5);
        // 5 standing, ⌈1005 m / 250⌉ − 1 = 4 moving, 5 standing.
        assert_eq!(legs.len(), 14, "{legs:?}");
        assert!(
            legs[..5]
                .iter()
                .all(|l| l.speed_kmh == 0.0 && l.lat == pts[0].lat)
        );
        assert!(
            legs[5..9]
                .iter()
                .all(|l| l.speed_kmh == 30.0 && l.heading == 90)
        );
        assert!(
            legs[9..]
                .iter()
                .all(|l| l.speed_kmh == 0.0 && l.lon == pts[4].lon)
        );
        assert!(round(&[], 30.0, 250.0, 5).is_empty());
    }
}
