//! The gazetteer: addresses without coordinates placed on a small hand-built city (areas,
//! aliases, hierarchy, roads, intersections, house numbers, errors) and on the deterministic
//! demo city (every area name lands in its own polygon, every road name on its road, real
//! crossings found within metres).

use std::collections::HashMap;
use std::sync::OnceLock;

use grid::address::{AddressError, Gazetteer, MAX_ADDRESS_CHARS, Precision};
use grid::{
    Area, AreaLevel, CityModel, Geocoder, MultiPolygon, Point, Polygon, Polyline, Road, RoadClass,
    geom,
};

fn area(code: &str, name: &str, polygon: MultiPolygon) -> Area {
    Area {
        code: code.into(),
        name: name.into(),
        level: grid::level_of_code(code).unwrap_or(AreaLevel::Grid),
        polygon,
    }
}

fn rect(w: f64, s: f64, e: f64, n: f64) -> MultiPolygon {
    Polygon::rect(w, s, e, n).into()
}

fn road(id: &str, name: &str, pts: &[(f64, f64)]) -> Road {
    Road {
        id: id.into(),
        name: name.into(),
        class: RoadClass::Arterial,
        chief: None,
        line: Polyline(pts.iter().map(|&(x, y)| Point::new(x, y)).collect()),
    }
}

/// 中原区 | 金水区 | 中牟县 side by side; 百花社区 twice (one L-shaped, concave), 东风路街道
/// twice, 人民路 in two districts, 中原路 across two districts, 陇海路 along a community border.
fn small_city() -> CityModel {
    let l_shape = MultiPolygon(vec![Polygon {
        exterior: [
            (113.60, 34.70),
            (113.62, 34.70),
            (113.62, 34.72),
            (113.61, 34.72),
            (113.61, 34.74),
            (113.60, 34.74),
            (113.60, 34.70),
        ]
        .iter()
        .map(|&(x, y)| Point::new(x, y))
        .collect(),
        holes: vec![],
    }]);
    let mut areas = vec![
        area("410102", "中原区", rect(113.60, 34.70, 113.64, 34.74)),
        area(
            "410102001",
            "林山寨街道",
            rect(113.60, 34.70, 113.62, 34.74),
        ),
        area("410102001001", "百花社区", l_shape),
        area(
            "410102001002",
            "碧沙岗社区",
            rect(113.61, 34.72, 113.62, 34.74),
        ),
        area(
            "410102002",
            "建设路街道",
            rect(113.62, 34.70, 113.64, 34.74),
        ),
        area(
            "410102002001",
            "建新社区",
            rect(113.62, 34.70, 113.64, 34.74),
        ),
        area("410105", "金水区", rect(113.64, 34.70, 113.68, 34.74)),
        area(
            "410105001",
            "东风路街道",
            rect(113.64, 34.70, 113.68, 34.74),
        ),
        area(
            "410105001001",
            "百花社区",
            rect(113.64, 34.70, 113.68, 34.74),
        ),
        area("410122", "中牟县", rect(113.68, 34.70, 113.72, 34.74)),
        area(
            "410122002",
            "东风路街道",
            rect(113.68, 34.70, 113.72, 34.74),
        ),
        area(
            "410122002001",
            "青年社区",
            rect(113.68, 34.70, 113.72, 34.74),
        ),
    ];
    let grids: Vec<Area> = areas
        .iter()
        .filter(|a| a.level == AreaLevel::Community)
        .map(|a| area(&format!("{}001", a.code), "网格", a.polygon.clone()))
        .collect();
    areas.extend(grids);
    let roads = vec![
        road("R1", "建设路", &[(113.60, 34.725), (113.64, 34.725)]),
        road("R2", "桐柏路", &[(113.615, 34.70), (113.615, 34.74)]),
        road("R3", "人民路", &[(113.66, 34.70), (113.66, 34.74)]),
        road("R4", "人民路", &[(113.70, 34.70), (113.70, 34.74)]),
        road("R5", "经三路", &[(113.64, 34.705), (113.68, 34.705)]),
        road("R6", "中原路", &[(113.60, 34.735), (113.64, 34.735)]),
        road("R7", "中原路", &[(113.64, 34.735), (113.68, 34.735)]),
        road("R8", "伏牛路", &[(113.63, 34.70), (113.63, 34.74)]),
        road("R9", "陇海路", &[(113.60, 34.72), (113.62, 34.72)]),
    ];
    CityModel {
        areas,
        roads,
        components: vec![],
    }
}

fn small() -> &'static (CityModel, Gazetteer, Geocoder) {
    static C: OnceLock<(CityModel, Gazetteer, Geocoder)> = OnceLock::new();
    C.get_or_init(|| {
        let m = small_city();
        let g = Gazetteer::from_model(&m);
        let geo = Geocoder::build(&m);
        (m, g, geo)
    })
}

fn grid_code(geo: &Geocoder, lon: f64, lat: f64) -> String {
    match geo.grid_at(lon, lat) {
        Ok(Some(g)) => geo.grid_code(g).to_owned(),
        other => panic!("no grid at {lon},{lat}: {other:?}"),
    }
}

fn dist_to_line(p: Point, line: &Polyline) -> f64 {
    let k = geom::metres_per_degree_lon(p.lat);
    line.0
        .windows(2)
        .map(|w| {
            geom::point_segment_dist2(
                p.lon * k,
                p.lat * geom::METRES_PER_DEGREE,
                w[0].lon * k,
                w[0].lat * geom::METRES_PER_DEGREE,
                w[1].lon * k,
                w[1].lat * geom::METRES_PER_DEGREE,
            )
            .sqrt()
        })
        .fold(f64::INFINITY, f64::min)
}

#[test]
fn intersection_with_corner_lands_in_the_right_quadrant() {
    let (_, g, geo) = small();
    let m = g
        .resolve("郑州市中原区桐柏路与建设路交叉口东北角")
        .expect("resolves");
    assert_eq!(m.precision, Precision::Intersection);
    assert_eq!(m.road_name.as_deref(), Some("桐柏路"));
    assert_eq!(m.cross_road_name.as_deref(), Some("建设路"));
    assert_eq!(m.area_code.as_deref(), Some("410102"));
    let crossing = Point::new(113.615, 34.725);
    let d = geom::distance_m(crossing, Point::new(m.lon, m.lat));
    assert!(d > 1.0 && d < 12.0, "{d} m from the crossing");
    assert!(m.lon > crossing.lon && m.lat > crossing.lat, "north-east");
    // North-east of the crossing is 碧沙岗社区's grid.
    assert_eq!(grid_code(geo, m.lon, m.lat), "410102001002001");
    assert!(m.explain().contains("桐柏路") && m.explain().contains("建设路"));
    assert_eq!(m.matched, vec!["中原区", "桐柏路", "建设路", "东北"]);

    let plain = g.resolve("建设路桐柏路口").expect("resolves");
    assert_eq!(plain.precision, Precision::Intersection);
    assert!(geom::distance_m(crossing, Point::new(plain.lon, plain.lat)) < 0.01);

    let stems = g.resolve("桐柏与建设交叉口").expect("stems resolve");
    assert_eq!(stems.precision, Precision::Intersection);
    assert!(geom::distance_m(crossing, Point::new(stems.lon, stems.lat)) < 0.01);
}

#[test]
fn roads_that_do_not_meet_are_an_error() {
    let (_, g, _) = small();
    match g.resolve("伏牛路与人民路交叉口") {
        Err(AddressError::NoIntersection { a, b, .. }) => {
            assert_eq!((a.as_str(), b.as_str()), ("伏牛路", "人民路"));
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn areas_resolve_inside_their_polygon_respecting_the_hierarchy() {
    let (_, g, geo) = small();
    let m = g.resolve("中原区林山寨街道百花社区").expect("resolves");
    assert_eq!(m.precision, Precision::Community);
    assert_eq!(m.area_code.as_deref(), Some("410102001001"));
    // The L-shaped community's bounding-box centre (113.61, 34.72) is outside it.
    assert_eq!(grid_code(geo, m.lon, m.lat), "410102001001001");
    assert_eq!(m.matched, vec!["中原区", "林山寨街道", "百花社区"]);

    let short = g.resolve("林山寨百花社区").expect("short street name");
    assert_eq!(short.area_code.as_deref(), Some("410102001001"));
    let other = g.resolve("金水区百花社区").expect("other district");
    assert_eq!(other.area_code.as_deref(), Some("410105001001"));
    assert_eq!(grid_code(geo, other.lon, other.lat), "410105001001001");

    let street = g.resolve("中牟县东风路街道").expect("street");
    assert_eq!(street.precision, Precision::Street);
    assert_eq!(street.area_code.as_deref(), Some("410122002"));
    let district = g.resolve("  金水 ").expect("district without 区");
    assert_eq!(district.precision, Precision::District);
    assert_eq!(district.area_code.as_deref(), Some("410105"));
}

#[test]
fn ambiguous_names_list_their_candidates() {
    let (_, g, _) = small();
    for (text, codes) in [
        ("百花社区", vec!["410102001001", "410105001001"]),
        ("东风路街道", vec!["410105001", "410122002"]),
        ("人民路", vec!["410105", "410122"]),
    ] {
        match g.resolve(text) {
            Err(e @ AddressError::Ambiguous { .. }) => {
                let AddressError::Ambiguous { candidates, .. } = &e else {
                    unreachable!()
                };
                let got: Vec<&str> = candidates
                    .iter()
                    .filter_map(|c| c.area_code.as_deref())
                    .collect();
                assert_eq!(got, codes, "{text}");
                assert!(e.to_string().contains(text), "{e}");
            }
            other => panic!("{text}: {other:?}"),
        }
    }
    // A district settles it; a road through one of the two also does.
    let r = g.resolve("金水区人民路").expect("road in district");
    assert_eq!(r.road_id.as_deref(), Some("R3"));
    let c = g
        .resolve("百花社区陇海路")
        .expect("road settles the community");
    assert_eq!(c.area_code.as_deref(), Some("410102001001"));
}

#[test]
fn roads_resolve_onto_the_road_within_the_area() {
    let (m, g, geo) = small();
    let line = |id: &str| &m.roads.iter().find(|r| r.id == id).expect("road").line;

    let r = g.resolve("建设路123号附近").expect("road");
    assert_eq!(r.precision, Precision::Road);
    assert_eq!(r.road_id.as_deref(), Some("R1"));
    assert_eq!(r.house_number.as_deref(), Some("123号"));
    assert!(r.explain().contains("门牌号123号"));
    assert!(dist_to_line(Point::new(r.lon, r.lat), line("R1")) < 0.01);

    let fw = g
        .resolve("中原区建设路１２３号")
        .expect("full-width digits");
    assert_eq!(fw.house_number.as_deref(), Some("123号"));

    for text in ["金水区经三路", "金水区经3路"] {
        let r = g.resolve(text).expect(text);
        assert_eq!(r.road_id.as_deref(), Some("R5"), "{text}");
        assert_eq!(r.area_code.as_deref(), Some("410105"));
        assert!(grid_code(geo, r.lon, r.lat).starts_with("410105"));
    }

    // One road across two districts is not ambiguous.
    let z = g.resolve("中原路").expect("connected road");
    assert_eq!(z.precision, Precision::Road);
    // Inside 金水区 the part in 金水区 is used.
    let zj = g.resolve("金水区中原路").expect("road clipped to district");
    assert_eq!(zj.road_id.as_deref(), Some("R7"));
    assert!(grid_code(geo, zj.lon, zj.lat).starts_with("410105"));

    // A road along a community border: moved just inside the community.
    let b = g.resolve("碧沙岗社区陇海路").expect("border road");
    assert_eq!(b.precision, Precision::Road);
    assert_eq!(grid_code(geo, b.lon, b.lat), "410102001002001");
    assert!(dist_to_line(Point::new(b.lon, b.lat), line("R9")) < 5.0);

    // A road that does not pass the named area: the area, with a note.
    let n = g.resolve("金水区桐柏路").expect("area only");
    assert_eq!(n.precision, Precision::District);
    assert_eq!(n.area_code.as_deref(), Some("410105"));
    assert_eq!(n.notes.len(), 1);
    assert!(n.explain().contains("桐柏路"));
}

#[test]
fn bad_text_is_rejected() {
    let (_, g, _) = small();
    assert_eq!(g.resolve(""), Err(AddressError::Empty));
    assert_eq!(g.resolve(" 　 "), Err(AddressError::Empty));
    assert_eq!(g.resolve("河南省郑州市"), Err(AddressError::Empty));
    assert!(matches!(
        g.resolve("今天天气不错，门口有只猫"),
        Err(AddressError::NotRecognised { .. })
    ));
    let long = "建".repeat(MAX_ADDRESS_CHARS + 1);
    assert!(matches!(
        g.resolve(&long),
        Err(AddressError::TooLong { chars, .. }) if chars == MAX_ADDRESS_CHARS + 1
    ));
    // A conflicting district is ignored with a note, the more precise street kept.
    let c = g.resolve("金水区林山寨街道").expect("street wins");
    assert_eq!(c.area_code.as_deref(), Some("410102001"));
    assert_eq!(c.notes.len(), 1);
}

// ---------------------------------------------------------------------------------------------
// The demo city.

fn demo() -> &'static (CityModel, Gazetteer, Geocoder) {
    static C: OnceLock<(CityModel, Gazetteer, Geocoder)> = OnceLock::new();
    C.get_or_init(|| {
        let m = grid::generate(1, grid::Scale::Demo);
        let g = Gazetteer::from_model(&m);
        let geo = Geocoder::build(&m);
        (m, g, geo)
    })
}

#[test]
fn demo_every_area_name_resolves_inside_its_polygon() {
    let (m, g, geo) = demo();
    let by_code: HashMap<&str, &Area> = m.areas.iter().map(|a| (a.code.as_str(), a)).collect();
    let admin: Vec<&Area> = m
        .areas
        .iter()
        .filter(|a| a.level != AreaLevel::Grid)
        .collect();
    let mut count: HashMap<&str, usize> = HashMap::new();
    for a in &admin {
        *count.entry(a.name.as_str()).or_default() += 1;
    }
    let mut checked = 0;
    for a in &admin {
        let text = if count[a.name.as_str()] == 1 {
            a.name.clone()
        } else {
            // Qualify a repeated name with its parents.
            let mut t = String::new();
            for l in [6, 9] {
                if l < a.code.len()
                    && let Some(p) = by_code.get(&a.code[..l])
                {
                    t.push_str(&p.name);
                }
            }
            t + &a.name
        };
        let r = g
            .resolve(&text)
            .unwrap_or_else(|e| panic!("{text} ({}): {e}", a.code));
        assert_eq!(r.area_code.as_deref(), Some(a.code.as_str()), "{text}");
        let code = grid_code(geo, r.lon, r.lat);
        assert!(code.starts_with(&a.code), "{text}: point in grid {code}");
        checked += 1;
    }
    assert!(checked > 800, "{checked}");
}

#[test]
fn demo_every_road_name_resolves_onto_the_road() {
    let (m, g, _) = demo();
    let mut by_name: HashMap<&str, Vec<&Road>> = HashMap::new();
    for r in &m.roads {
        by_name.entry(r.name.as_str()).or_default().push(r);
    }
    let district_name: HashMap<&str, &str> = m
        .areas
        .iter()
        .filter(|a| a.level == AreaLevel::District)
        .map(|a| (a.code.as_str(), a.name.as_str()))
        .collect();
    for (name, segs) in &by_name {
        let on_road = |lon: f64, lat: f64| {
            segs.iter()
                .map(|s| dist_to_line(Point::new(lon, lat), &s.line))
                .fold(f64::INFINITY, f64::min)
        };
        match g.resolve(name) {
            Ok(r) => {
                assert_eq!(r.precision, Precision::Road, "{name}");
                assert_eq!(r.road_name.as_deref(), Some(*name));
                assert!(on_road(r.lon, r.lat) < 0.5, "{name}");
            }
            Err(AddressError::Ambiguous { candidates, .. }) => {
                for c in candidates {
                    let d = c.area_code.as_deref().and_then(|d| district_name.get(d));
                    let d = d.unwrap_or_else(|| panic!("{name}: candidate without district"));
                    let r = g
                        .resolve(&format!("{d}{name}"))
                        .unwrap_or_else(|e| panic!("{d}{name}: {e}"));
                    assert_eq!(r.precision, Precision::Road, "{d}{name}");
                    assert!(on_road(r.lon, r.lat) < 60.0, "{d}{name}");
                }
            }
            Err(e) => panic!("{name}: {e}"),
        }
    }
}

#[test]
fn demo_crossings_are_found_within_metres() {
    let (m, g, geo) = demo();
    let districts: Vec<&Area> = m
        .areas
        .iter()
        .filter(|a| a.level == AreaLevel::District)
        .collect();
    let mut tested = 0;
    'outer: for a in m
        .roads
        .iter()
        .filter(|r| r.line.0[0].lon == r.line.0[1].lon)
    {
        for b in m
            .roads
            .iter()
            .filter(|r| r.line.0[0].lat == r.line.0[1].lat)
        {
            let (a0, a1, b0, b1) = (a.line.0[0], a.line.0[1], b.line.0[0], b.line.0[1]);
            // Proper crossings only (not a T at a segment end).
            let (x, y) = (a0.lon, b0.lat);
            if !(x > b0.lon.min(b1.lon)
                && x < b0.lon.max(b1.lon)
                && y > a0.lat.min(a1.lat)
                && y < a0.lat.max(a1.lat))
            {
                continue;
            }
            if g.resolve(&a.name).is_err() || g.resolve(&b.name).is_err() {
                continue;
            }
            let crossing = Point::new(x, y);
            let r = g
                .resolve(&format!("{}与{}交叉口", a.name, b.name))
                .unwrap_or_else(|e| panic!("{} x {}: {e}", a.name, b.name));
            assert_eq!(r.precision, Precision::Intersection);
            let d = geom::distance_m(crossing, Point::new(r.lon, r.lat));
            assert!(d < 1.0, "{} x {}: {d} m", a.name, b.name);
            // With the district named, the point is in one of its grids.
            if let Some(dist) = districts
                .iter()
                .find(|d| geom::contains(&d.polygon, crossing))
            {
                let r = g
                    .resolve(&format!("{}{}{}路口西南角", dist.name, a.name, b.name))
                    .unwrap_or_else(|e| panic!("{} x {}: {e}", a.name, b.name));
                let d = geom::distance_m(crossing, Point::new(r.lon, r.lat));
                assert!(d < 15.0, "{} x {}: {d} m", a.name, b.name);
                assert!(grid_code(geo, r.lon, r.lat).starts_with(&dist.code));
            }
            tested += 1;
            if tested >= 40 {
                break 'outer;
            }
        }
    }
    assert!(tested >= 10, "{tested}");
}

#[test]
fn demo_brief_examples() {
    let (_, g, geo) = demo();
    let c = g
        .resolve("郑州市中原区林山寨街道百花社区")
        .expect("community");
    assert_eq!(c.precision, Precision::Community);
    assert_eq!(c.area_code.as_deref(), Some("410102001011"));
    assert!(grid_code(geo, c.lon, c.lat).starts_with("410102001011"));
    let r = g.resolve("建设路123号附近").expect("road");
    assert_eq!(r.precision, Precision::Road);
    assert_eq!(r.road_name.as_deref(), Some("建设路"));
    assert_eq!(r.house_number.as_deref(), Some("123号"));
    let s = g.resolve("中原区建设路街道").expect("street, not the road");
    assert_eq!(s.precision, Precision::Street);
    assert_eq!(s.area_code.as_deref(), Some("410102002"));
}
