//! Geocoder against a brute-force reference: random points (proptest), the tie rule on shared
//! edges and vertices, points outside every grid, invalid coordinates, parents and addresses.

use grid::geom;
use grid::{
    Area, AreaLevel, CityModel, GeocodeError, Geocoded, Geocoder, MultiPolygon, Point, Polygon,
    Polyline, Road, RoadClass,
};
use proptest::prelude::*;

fn area(code: &str, name: &str, level: AreaLevel, polygon: MultiPolygon) -> Area {
    Area {
        code: code.into(),
        name: name.into(),
        level,
        polygon,
    }
}

/// A 10 × 10 partition of [113, 113.01] × [34, 34.01] into quadrilaterals whose inner lattice
/// vertices are jittered (slanted shared edges), plus one triangle-split cell and one cell with
/// a hole filled by another grid. Codes 410102001001001 …
fn jittered_layer(seed: u64) -> CityModel {
    let n = 10usize;
    let step = 0.001;
    let mut s = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
    let mut rnd = || {
        s ^= s << 13;
        s ^= s >> 7;
        s ^= s << 17;
        (s >> 11) as f64 / (1u64 << 53) as f64 - 0.5
    };
    let mut v = vec![vec![Point::new(0.0, 0.0); n + 1]; n + 1];
    for (i, col) in v.iter_mut().enumerate() {
        for (j, p) in col.iter_mut().enumerate() {
            let inner = i > 0 && i < n && j > 0 && j < n;
            let (jx, jy) = if inner {
                (rnd() * 0.6 * step, rnd() * 0.6 * step)
            } else {
                (0.0, 0.0)
            };
            *p = Point::new(113.0 + i as f64 * step + jx, 34.0 + j as f64 * step + jy);
        }
    }
    let mut areas = vec![
        area(
            "410102",
            "中原区",
            AreaLevel::District,
            Polygon::rect(113.0, 34.0, 113.01, 34.01).into(),
        ),
        area(
            "410102001",
            "林山寨街道",
            AreaLevel::Street,
            Polygon::rect(113.0, 34.0, 113.01, 34.01).into(),
        ),
        area(
            "410102001001",
            "测试社区",
            AreaLevel::Community,
            Polygon::rect(113.0, 34.0, 113.01, 34.01).into(),
        ),
    ];
    let mut serial = 0;
    for j in (0..n).rev() {
        for i in 0..n {
            let (a, b, c, d) = (v[i][j], v[i + 1][j], v[i + 1][j + 1], v[i][j + 1]);
            if i == 3 && j == 3 {
                // Split into two triangles along a diagonal.
                for tri in [vec![a, b, c, a], vec![a, c, d, a]] {
                    serial += 1;
                    areas.push(area(
                        &format!("410102001001{serial:03}"),
                        "g",
                        AreaLevel::Grid,
                        MultiPolygon(vec![Polygon {
                            exterior: tri,
                            holes: vec![],
                        }]),
                    ));
                }
                continue;
            }
            if i == 6 && j == 6 {
                // A quad with a square hole; the hole is its own grid (listed with clockwise ring).
                // Small enough to stay inside the jittered quad.
                let cx = (a.lon + b.lon + c.lon + d.lon) * 0.25;
                let cy = (a.lat + b.lat + c.lat + d.lat) * 0.25;
                let h = step * 0.05;
                let hole = Polygon::rect(cx - h, cy - h, cx + h, cy + h).exterior;
                let mut hole_cw = hole.clone();
                hole_cw.reverse();
                serial += 1;
                areas.push(area(
                    &format!("410102001001{serial:03}"),
                    "g",
                    AreaLevel::Grid,
                    MultiPolygon(vec![Polygon {
                        exterior: vec![a, b, c, d, a],
                        holes: vec![hole_cw],
                    }]),
                ));
                serial += 1;
                areas.push(area(
                    &format!("410102001001{serial:03}"),
                    "g",
                    AreaLevel::Grid,
                    MultiPolygon(vec![Polygon {
                        exterior: hole,
                        holes: vec![],
                    }]),
                ));
                continue;
            }
            serial += 1;
            areas.push(area(
                &format!("410102001001{serial:03}"),
                "g",
                AreaLevel::Grid,
                MultiPolygon(vec![Polygon {
                    exterior: vec![a, b, c, d, a],
                    holes: vec![],
                }]),
            ));
        }
    }
    CityModel {
        areas,
        roads: vec![Road {
            id: "R1".into(),
            name: "建设路".into(),
            class: RoadClass::Arterial,
            chief: Some("roadchief1".into()),
            line: Polyline(vec![Point::new(113.0, 34.005), Point::new(113.01, 34.005)]),
        }],
        components: vec![],
    }
}

/// All grids containing `p` by the reference rule.
fn brute(model: &CityModel, p: Point) -> Vec<String> {
    model
        .areas_of(AreaLevel::Grid)
        .filter(|a| geom::contains(&a.polygon, p))
        .map(|a| a.code.clone())
        .collect()
}

fn answer(geo: &Geocoder, p: Point) -> Option<String> {
    geo.grid_at(p.lon, p.lat)
        .ok()
        .flatten()
        .map(|g| geo.grid_code(g).to_owned())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, ..ProptestConfig::default() })]

    #[test]
    fn matches_brute_force_on_jittered_partition(seed in 1u64..1000, pts in prop::collection::vec((112.999f64..113.011, 33.999f64..34.011), 200)) {
        let model = jittered_layer(seed);
        let geo = Geocoder::build(&model);
        for (x, y) in pts {
            let p = Point::new(x, y);
            let b = brute(&model, p);
            prop_assert!(b.len() <= 1, "point {p:?} in several grids {b:?}");
            prop_assert_eq!(answer(&geo, p), b.first().cloned());
            let inside_box = (113.0..113.01).contains(&x) && (34.0..34.01).contains(&y);
            prop_assert_eq!(b.len() == 1, inside_box, "coverage at {:?}", p);
        }
    }

    #[test]
    fn every_vertex_belongs_to_exactly_one_grid(seed in 1u64..1000) {
        let model = jittered_layer(seed);
        let geo = Geocoder::build(&model);
        for a in model.areas_of(AreaLevel::Grid) {
            for p in a.polygon.rings().flatten() {
                let b = brute(&model, *p);
                let inside_box = (113.0..113.01).contains(&p.lon) && (34.0..34.01).contains(&p.lat);
                prop_assert_eq!(b.len(), usize::from(inside_box), "vertex {:?} in {:?}", p, b);
                prop_assert_eq!(answer(&geo, *p), b.first().cloned());
                // Points on the middle of each edge too.
            }
            for r in a.polygon.rings() {
                for w in r.windows(2) {
                    let m = Point::new((w[0].lon + w[1].lon) * 0.5, (w[0].lat + w[1].lat) * 0.5);
                    let b = brute(&model, m);
                    prop_assert!(b.len() <= 1, "edge midpoint {m:?} in {b:?}");
                    prop_assert_eq!(answer(&geo, m), b.first().cloned());
                }
            }
        }
    }

}

proptest! {
    // The brute force over every demo grid is slow in debug builds: fewer cases.
    #![proptest_config(ProptestConfig { cases: 8, ..ProptestConfig::default() })]

    #[test]
    fn demo_city_matches_brute_force(pts in prop::collection::vec((0.0f64..1.0, 0.0f64..1.0), 100)) {
        let model = demo();
        let geo = Geocoder::build(&model);
        let bb = model.areas_of(AreaLevel::Grid).filter_map(|a| a.polygon.bbox()).reduce(|a, b| a.union(b)).unwrap();
        for (u, v) in pts {
            let p = Point::new(bb.west + u * (bb.east - bb.west), bb.south + v * (bb.north - bb.south));
            let b = brute(&model, p);
            prop_assert!(b.len() <= 1);
            prop_assert_eq!(answer(&geo, p), b.first().cloned());
        }
    }
}

fn demo() -> CityModel {
    use std::sync::OnceLock;
    static M: OnceLock<CityModel> = OnceLock::new();
    M.get_or_init(|| grid::generate(1, grid::Scale::Demo))
        .clone()
}

/// Lattice coordinates of the rectangle layer, computed one way so shared vertices are identical.
fn gx(i: i32) -> f64 {
    113.0 + 0.001 * f64::from(i)
}
fn gy(j: i32) -> f64 {
    34.0 + 0.001 * f64::from(j)
}

fn rect_layer() -> CityModel {
    // 3 × 2 rectangles of 0.001°, codes numbered west → east, north → south.
    let mut areas = Vec::new();
    let mut serial = 0;
    for j in (0..2).rev() {
        for i in 0..3 {
            serial += 1;
            areas.push(area(
                &format!("410102001001{serial:03}"),
                "g",
                AreaLevel::Grid,
                Polygon::rect(gx(i), gy(j), gx(i + 1), gy(j + 1)).into(),
            ));
        }
    }
    CityModel {
        areas,
        roads: vec![],
        components: vec![],
    }
}

#[test]
fn tie_rule_on_rectangles_east_and_north_win() {
    let model = rect_layer();
    let geo = Geocoder::build(&model);
    let code = |x: f64, y: f64| answer(&geo, Point::new(x, y));
    // Grid layout (serials): north row 1 2 3, south row 4 5 6.
    // Shared vertical edge x = 113.001 between 4 (west) and 5 (east): belongs to 5.
    assert_eq!(code(gx(1), 34.0005).as_deref(), Some("410102001001005"));
    // Shared horizontal edge y = 34.001 between 4 (south) and 1 (north): belongs to 1.
    assert_eq!(code(113.0005, gy(1)).as_deref(), Some("410102001001001"));
    // Interior vertex (113.001, 34.001) shared by 1, 2, 4, 5: belongs to 2 (north-east).
    assert_eq!(code(gx(1), gy(1)).as_deref(), Some("410102001001002"));
    // West and south outer edges are inside, east and north outer edges outside.
    assert_eq!(code(gx(0), gy(0)).as_deref(), Some("410102001001004"));
    assert_eq!(code(gx(0), gy(1)).as_deref(), Some("410102001001001"));
    assert_eq!(code(gx(3), 34.0005), None);
    assert_eq!(code(113.0005, gy(2)), None);
    assert_eq!(code(gx(3), gy(2)), None);
    assert_eq!(code(gx(2), gy(2)), None);
    // Brute force agrees everywhere on the lattice of edges.
    for i in 0..=3 {
        for j in 0..=2 {
            let p = Point::new(gx(i), gy(j));
            let b = brute(&model, p);
            assert!(b.len() <= 1);
            assert_eq!(answer(&geo, p), b.first().cloned(), "{p:?}");
        }
    }
}

#[test]
fn outside_and_invalid_points() {
    let model = rect_layer();
    let geo = Geocoder::build(&model);
    assert_eq!(geo.grid_at(100.0, 30.0), Ok(None));
    assert_eq!(geo.grid_at(113.0015, 33.9999), Ok(None));
    for (x, y) in [
        (f64::NAN, 34.0),
        (113.0, f64::NAN),
        (f64::INFINITY, 34.0),
        (181.0, 34.0),
        (113.0, -90.5),
    ] {
        assert!(matches!(
            geo.grid_at(x, y),
            Err(GeocodeError::InvalidCoordinate { .. })
        ));
        assert!(geo.locate(x, y, 100.0).is_err());
        assert!(geo.nearest_road(x, y, 100.0).is_err());
    }
    assert_eq!(
        geo.locate(100.0, 30.0, 50.0),
        Ok(Geocoded::Outside { road: None })
    );
    // An empty model answers Outside for everything.
    let empty = Geocoder::build(&CityModel::default());
    assert_eq!(empty.grid_at(113.0, 34.0), Ok(None));
    assert_eq!(empty.nearest_road(113.0, 34.0, 1e9), Ok(None));
}

#[test]
fn locate_gives_parents_road_and_address() {
    let model = jittered_layer(5);
    let geo = Geocoder::build(&model);
    let Geocoded::Inside(loc) = geo.locate(113.0051, 34.0052, 100.0).unwrap() else {
        panic!("expected inside");
    };
    assert_eq!(loc.community.as_ref().unwrap().code, "410102001001");
    assert_eq!(loc.street.as_ref().unwrap().name, "林山寨街道");
    assert_eq!(loc.district.as_ref().unwrap().code, "410102");
    let road = loc.road.as_ref().unwrap();
    assert_eq!(road.name, "建设路");
    // 0.0002° of latitude ≈ 22.3 m.
    assert!(
        (road.distance_m - 0.0002 * geom::METRES_PER_DEGREE).abs() < 0.01,
        "{}",
        road.distance_m
    );
    assert_eq!(loc.address, "中原区 林山寨街道 测试社区 建设路附近");
    // Too far from the road: no road, address without it.
    let Geocoded::Inside(loc) = geo.locate(113.0051, 34.0092, 100.0).unwrap() else {
        panic!("expected inside");
    };
    assert!(loc.road.is_none());
    assert_eq!(loc.address, "中原区 林山寨街道 测试社区");
}

#[test]
fn nearest_road_matches_brute_force_on_demo() {
    let model = demo();
    let geo = Geocoder::build(&model);
    let pts = grid::random_points(&model, 300, 11);
    for p in pts {
        let got = geo.nearest_road(p.lon, p.lat, 500.0).unwrap();
        // Brute force over every segment, same local projection as documented (city-centre
        // latitude) — compare distances loosely, names exactly when clearly separated.
        let mut best = f64::INFINITY;
        for r in &model.roads {
            for w in r.line.0.windows(2) {
                let kx = geom::metres_per_degree_lon(p.lat);
                let d = geom::point_segment_dist2(
                    p.lon * kx,
                    p.lat * geom::METRES_PER_DEGREE,
                    w[0].lon * kx,
                    w[0].lat * geom::METRES_PER_DEGREE,
                    w[1].lon * kx,
                    w[1].lat * geom::METRES_PER_DEGREE,
                )
                .sqrt();
                best = best.min(d);
            }
        }
        match got {
            Some(h) => assert!(
                (h.distance_m - best).abs() < 0.01 * best.max(1.0),
                "{} vs {best}",
                h.distance_m
            ),
            None => assert!(best > 495.0, "missed a road at {best} m"),
        }
    }
}

#[test]
fn oversized_and_broken_grids_do_not_hurt() {
    let mut model = rect_layer();
    // A huge grid far away (spans millions of median-sized buckets) and broken geometry.
    model.areas.push(area(
        "410102001002001",
        "huge",
        AreaLevel::Grid,
        Polygon::rect(100.0, 20.0, 110.0, 30.0).into(),
    ));
    model.areas.push(area(
        "410102001002002",
        "nan",
        AreaLevel::Grid,
        Polygon::rect(f64::NAN, 34.0, 113.1, f64::INFINITY).into(),
    ));
    model.areas.push(area(
        "410102001002003",
        "inf",
        AreaLevel::Grid,
        Polygon::rect(f64::NEG_INFINITY, 34.0, 113.1, 34.1).into(),
    ));
    model.areas.push(area(
        "410102001002004",
        "empty",
        AreaLevel::Grid,
        MultiPolygon(vec![]),
    ));
    let geo = Geocoder::build(&model);
    assert_eq!(
        answer(&geo, Point::new(105.0, 25.0)).as_deref(),
        Some("410102001002001")
    );
    assert_eq!(
        answer(&geo, Point::new(gx(0), gy(0))).as_deref(),
        Some("410102001001004")
    );
    assert_eq!(answer(&geo, Point::new(113.05, 34.05)), None);
    assert_eq!(geo.grid_count(), 9);
}
