//! The demo-city generator: determinism, real codes, exact partitions, code rules, roads and
//! components.

use std::collections::{HashMap, HashSet};
use std::sync::OnceLock;

use grid::geojson::AreaFeature;
use grid::validate::{
    ValidateOptions, builtin_component_classes, validate_areas, validate_components,
};
use grid::{AreaLevel, CityModel, Geocoder, Scale, generate, geom};

fn demo() -> &'static CityModel {
    static M: OnceLock<CityModel> = OnceLock::new();
    M.get_or_init(|| generate(1, Scale::Demo))
}

#[test]
fn deterministic_per_seed() {
    let a = demo();
    let b = generate(1, Scale::Demo);
    assert!(*a == b, "same seed must give an identical model");
    let c = generate(2, Scale::Demo);
    assert!(*a != c, "different seeds must differ");
    assert_eq!(
        a.areas.len() - a.areas_of(AreaLevel::Grid).count(),
        3 + 55 + 787
    );
}

#[test]
fn real_codes_and_sizes() {
    let m = demo();
    let names: HashMap<&str, &str> = m
        .areas
        .iter()
        .map(|a| (a.code.as_str(), a.name.as_str()))
        .collect();
    assert_eq!(names["410102"], "中原区");
    assert_eq!(names["410105"], "金水区");
    assert_eq!(names["410122"], "中牟县");
    assert_eq!(names["410102010"], "中原西路街道");
    assert_eq!(names["410102007"], "绿东村街道");
    assert_eq!(names["410122004"], "大孟街道");
    assert_eq!(names["410102010001"], "万达社区");
    let grids = m.areas_of(AreaLevel::Grid).count();
    assert!((2_000..=12_000).contains(&grids), "{grids} grids");
    assert!(
        (10_000..=100_000).contains(&m.components.len()),
        "{} components",
        m.components.len()
    );
    // Demo districts are 1/16 of the real area.
    for (code, km2) in [("410102", 193.0), ("410105", 242.0), ("410122", 1393.0)] {
        let a = m
            .areas
            .iter()
            .find(|a| a.code == code)
            .unwrap()
            .polygon
            .area_m2()
            / 1e6;
        assert!(
            (a - km2 / 16.0).abs() < km2 / 16.0 * 0.05,
            "{code}: {a} km²"
        );
    }
}

#[test]
fn grid_codes_follow_the_rule() {
    let m = demo();
    let communities: HashSet<&str> = m
        .areas_of(AreaLevel::Community)
        .map(|a| a.code.as_str())
        .collect();
    let mut per_community: HashMap<&str, Vec<&grid::Area>> = HashMap::new();
    for g in m.areas_of(AreaLevel::Grid) {
        assert_eq!(g.code.len(), 15);
        assert!(g.code.bytes().all(|b| b.is_ascii_digit()));
        assert!(
            communities.contains(&g.code[..12]),
            "grid {} has no community",
            g.code
        );
        per_community.entry(&g.code[..12]).or_default().push(g);
    }
    for (c, gs) in per_community {
        assert!(gs.len() <= 999, "{c}");
        // Serials 001.. in order; numbered north → south by row, west → east in a row: the
        // north edge never increases along the serials.
        let mut gs = gs;
        gs.sort_by(|a, b| a.code.cmp(&b.code));
        for (k, g) in gs.iter().enumerate() {
            assert_eq!(g.code[12..].parse::<usize>().unwrap(), k + 1);
        }
        // Full (rectangular) grids appear north → south, then west → east.
        let boxes: Vec<grid::BBox> = gs.iter().map(|g| g.polygon.bbox().unwrap()).collect();
        let wmax = boxes.iter().map(|b| b.east - b.west).fold(0.0, f64::max);
        let hmax = boxes.iter().map(|b| b.north - b.south).fold(0.0, f64::max);
        let full: Vec<grid::BBox> = gs
            .iter()
            .zip(&boxes)
            .filter(|(g, b)| {
                g.polygon.0.len() == 1
                    && g.polygon.0[0].exterior.len() == 5
                    && (b.east - b.west) > wmax * 0.999
                    && (b.north - b.south) > hmax * 0.999
            })
            .map(|(_, b)| *b)
            .collect();
        for w in full.windows(2) {
            let ok = w[1].north < w[0].north || (w[1].north == w[0].north && w[1].west > w[0].west);
            assert!(ok, "{c}: {:?} numbered after {:?}", w[1], w[0]);
        }
    }
}

fn features(m: &CityModel, level: AreaLevel) -> Vec<AreaFeature> {
    m.areas_of(level)
        .enumerate()
        .map(|(i, a)| AreaFeature {
            index: i,
            code: a.code.clone(),
            name: a.name.clone(),
            level: Some(a.level),
            parent: None,
            polygon: a.polygon.clone(),
        })
        .collect()
}

#[test]
fn every_level_partitions_its_parent_exactly() {
    let m = demo();
    let opts = ValidateOptions {
        outside_tolerance_m: 0.01,
        area_tolerance_m2: 0.01,
        gap_tolerance_m2: 0.01,
        china: true,
    };
    for level in [AreaLevel::Street, AreaLevel::Community, AreaLevel::Grid] {
        let rep = validate_areas(&features(m, level), &m.areas, &opts);
        assert!(
            rep.is_ok(),
            "{level:?}: {:?}",
            &rep.issues[..rep.issues.len().min(5)]
        );
    }
    let rep = validate_areas(&features(m, AreaLevel::District), &[], &opts);
    assert!(rep.is_ok(), "{:?}", rep.issues);
}

#[test]
fn points_in_a_community_hit_one_of_its_grids() {
    let m = demo();
    let geo = Geocoder::build(m);
    let mut checked = 0;
    for c in m.areas_of(AreaLevel::Community).step_by(7) {
        let bb = c.polygon.bbox().unwrap();
        for k in 0..40 {
            let u = (k as f64 * 0.618_034) % 1.0;
            let v = (k as f64 * 0.414_214 + 0.1) % 1.0;
            let p = grid::Point::new(
                bb.west + u * (bb.east - bb.west),
                bb.south + v * (bb.north - bb.south),
            );
            if geom::contains(&c.polygon, p) {
                let g = geo
                    .grid_at(p.lon, p.lat)
                    .unwrap()
                    .expect("a point in a community is in a grid");
                assert_eq!(&geo.grid_code(g)[..12], c.code);
                checked += 1;
            }
        }
    }
    assert!(checked > 500, "{checked}");
}

#[test]
fn roads_and_components_are_consistent() {
    let m = demo();
    assert!(m.roads.len() >= 20);
    let ids: HashSet<&str> = m.roads.iter().map(|r| r.id.as_str()).collect();
    assert_eq!(ids.len(), m.roads.len());
    assert!(m.roads.iter().any(|r| r.name == "建设路"));
    assert!(m.roads.iter().all(|r| {
        r.chief
            .as_deref()
            .is_some_and(|c| c.starts_with("roadchief"))
    }));
    let opts = ValidateOptions {
        outside_tolerance_m: 0.0,
        ..ValidateOptions::default()
    };
    let rep = validate_components(&m.components, &builtin_component_classes(), &m.areas, &opts);
    assert!(rep.is_ok(), "{:?}", &rep.issues[..rep.issues.len().min(5)]);
    // Lamps about 35 m apart on both sides of every road.
    let lamps = m
        .components
        .iter()
        .filter(|c| c.class_code == "01037")
        .count() as f64;
    let km: f64 = m.roads.iter().map(|r| r.line.length_m()).sum::<f64>() / 1000.0;
    assert!(
        (lamps / km - 2000.0 / 35.0).abs() < 10.0,
        "{lamps} lamps over {km} km"
    );
    let chiefs = grid::generate::generate_with(
        1,
        Scale::Demo,
        &grid::generate::GenerateOptions {
            road_chiefs: vec!["alice".into(), "bob".into()],
        },
    );
    assert!(
        chiefs
            .roads
            .iter()
            .all(|r| matches!(r.chief.as_deref(), Some("alice" | "bob")))
    );
}

#[test]
fn random_points_are_inside_and_deterministic() {
    let m = demo();
    let geo = Geocoder::build(m);
    let a = grid::random_points(m, 1000, 3);
    assert_eq!(a, grid::random_points(m, 1000, 3));
    assert_eq!(a.len(), 1000);
    assert!(
        a.iter()
            .all(|p| matches!(geo.grid_at(p.lon, p.lat), Ok(Some(_))))
    );
}
