//! Every validation case, each on a minimal layer, plus a clean layer that passes.

use grid::geojson::AreaFeature;
use grid::validate::{
    IssueKind, Report, ValidateOptions, builtin_component_classes, validate_areas,
    validate_components,
};
use grid::{
    Area, AreaLevel, Component, ComponentStatus, DepartmentType, MultiPolygon, Point, Polygon,
};

const W: f64 = 113.60;
const S: f64 = 34.70;
/// 0.001° ≈ 111 m north–south, ≈ 91 m east–west here.
const D: f64 = 0.001;

fn x(i: i32) -> f64 {
    W + D * f64::from(i)
}
fn y(j: i32) -> f64 {
    S + D * f64::from(j)
}
fn rect(i0: i32, j0: i32, i1: i32, j1: i32) -> MultiPolygon {
    Polygon::rect(x(i0), y(j0), x(i1), y(j1)).into()
}

/// Known parents: district, street, community 410102001001 covering [0,4]×[0,2] (cells).
fn known() -> Vec<Area> {
    let a = |code: &str, level| Area {
        code: code.into(),
        name: "x".into(),
        level,
        polygon: rect(0, 0, 4, 2),
    };
    vec![
        a("410102", AreaLevel::District),
        a("410102001", AreaLevel::Street),
        a("410102001001", AreaLevel::Community),
    ]
}

fn feat(index: usize, code: &str, polygon: MultiPolygon) -> AreaFeature {
    AreaFeature {
        index,
        code: code.into(),
        name: format!("网格{index}"),
        level: Some(AreaLevel::Grid),
        parent: None,
        polygon,
    }
}

/// The clean layer: 8 unit squares covering the community.
fn clean() -> Vec<AreaFeature> {
    let mut v = Vec::new();
    let mut n = 0;
    for j in (0..2).rev() {
        for i in 0..4 {
            n += 1;
            v.push(feat(
                n - 1,
                &format!("410102001001{n:03}"),
                rect(i, j, i + 1, j + 1),
            ));
        }
    }
    v
}

fn run(features: &[AreaFeature]) -> Report {
    validate_areas(features, &known(), &ValidateOptions::default())
}

fn kinds(r: &Report) -> Vec<IssueKind> {
    r.issues.iter().map(|i| i.kind).collect()
}

fn only(r: &Report, kind: IssueKind) -> &grid::validate::Issue {
    assert!(
        r.issues.iter().all(|i| i.kind == kind),
        "expected only {kind:?}, got {:#?}",
        r.issues
    );
    r.issues
        .first()
        .unwrap_or_else(|| panic!("expected {kind:?}, got nothing"))
}

#[test]
fn clean_layer_passes() {
    let r = run(&clean());
    assert!(r.is_ok(), "{:#?}", r.issues);
    assert_eq!(r.features, 8);
}

#[test]
fn code_length_wrong_for_level() {
    let mut l = clean();
    l[2].code = "41010200100103".into();
    let r = run(&l);
    let i = only(&r, IssueKind::BadCode);
    assert_eq!(i.index, Some(2));
    assert!(
        i.message.contains("has 14 digits; a grid code has 15"),
        "{}",
        i.message
    );
    // Non-digits too.
    let mut l = clean();
    l[0].code = "41010200100100A".into();
    assert!(kinds(&run(&l)).contains(&IssueKind::BadCode));
    // No level and an impossible length.
    let mut l = clean();
    l[0].level = None;
    l[0].code = "4101020010".into();
    assert!(kinds(&run(&l)).contains(&IssueKind::BadCode));
}

#[test]
fn prefix_and_parent() {
    let mut l = clean();
    l[1].parent = Some("410102001002".into());
    let r = run(&l);
    let i = only(&r, IssueKind::ParentMismatch);
    assert!(
        i.message
            .contains("410102001001 does not match the declared parent 410102001002"),
        "{}",
        i.message
    );

    let mut l = clean();
    l[3].code = "410102001009001".into();
    let r = run(&l);
    assert!(
        kinds(&r).contains(&IssueKind::UnknownParent),
        "{:#?}",
        r.issues
    );
    let i = r
        .issues
        .iter()
        .find(|i| i.kind == IssueKind::UnknownParent)
        .unwrap();
    assert_eq!(i.index, Some(3));
    assert!(i.message.contains("410102001009"));
}

#[test]
fn ring_not_closed_and_too_short() {
    let mut l = clean();
    l[0].polygon.0[0].exterior.pop();
    let r = run(&l);
    let i = r
        .issues
        .iter()
        .find(|i| i.kind == IssueKind::RingNotClosed)
        .unwrap();
    assert_eq!(i.index, Some(0));
    assert!(i.message.contains("polygon 0 exterior ring is not closed"));

    let mut l = clean();
    l[0].polygon.0[0].exterior = vec![
        Point::new(x(0), y(1)),
        Point::new(x(1), y(1)),
        Point::new(x(0), y(1)),
    ];
    let r = run(&l);
    let i = r
        .issues
        .iter()
        .find(|i| i.kind == IssueKind::RingTooShort)
        .unwrap();
    assert!(i.message.contains("3 positions"));
}

#[test]
fn coordinates_out_of_range_and_swapped() {
    let mut l = clean();
    l[0].polygon.0[0].exterior[1].lon = 190.0;
    let i = run(&l)
        .issues
        .into_iter()
        .find(|i| i.kind == IssueKind::CoordinateOutOfRange)
        .unwrap();
    assert!(i.message.contains("position 1"), "{}", i.message);

    let mut l = clean();
    l[0].polygon.0[0].exterior[1].lat = f64::NAN;
    assert!(kinds(&run(&l)).contains(&IssueKind::CoordinateOutOfRange));

    let mut l = clean();
    for p in &mut l[4].polygon.0[0].exterior {
        *p = Point::new(p.lat, p.lon);
    }
    let r = run(&l);
    let i = r
        .issues
        .iter()
        .find(|i| i.kind == IssueKind::LatLonSwapped)
        .unwrap();
    assert_eq!(i.index, Some(4));

    let mut l = clean();
    l[4].polygon = Polygon::rect(2.0, 48.0, 2.001, 48.001).into();
    assert!(kinds(&run(&l)).contains(&IssueKind::OutsideChina));
}

#[test]
fn self_intersection() {
    // A bow tie inside cell 0.
    let mut l = clean();
    l[0].polygon = MultiPolygon(vec![Polygon {
        exterior: vec![
            Point::new(x(0), y(1)),
            Point::new(x(1), y(2)),
            Point::new(x(1), y(1)),
            Point::new(x(0), y(2)),
            Point::new(x(0), y(1)),
        ],
        holes: vec![],
    }]);
    let r = run(&l);
    let i = r
        .issues
        .iter()
        .find(|i| i.kind == IssueKind::SelfIntersection)
        .unwrap();
    assert_eq!(i.index, Some(0));
    assert!(i.message.contains("touch or cross"), "{}", i.message);
    // A hole crossing its exterior.
    let mut l = clean();
    let h = Polygon::rect(
        x(0) + D * 0.5,
        y(1) + D * 0.25,
        x(1) + D * 0.5,
        y(1) + D * 0.75,
    )
    .exterior;
    l[0].polygon.0[0].holes.push(h);
    let r = run(&l);
    assert!(
        r.issues
            .iter()
            .any(|i| i.kind == IssueKind::SelfIntersection && i.message.contains("crosses")),
        "{:#?}",
        r.issues
    );
}

#[test]
fn outside_parent_beyond_tolerance() {
    // Grid 4 (east end of the north row) pokes 0.5 cell (≈ 45 m) east of the community.
    let mut l = clean();
    l[3].polygon = Polygon::rect(x(3), y(1), x(4) + D * 0.5, y(2)).into();
    let r = run(&l);
    let i = r
        .issues
        .iter()
        .find(|i| i.kind == IssueKind::OutsideParent)
        .unwrap();
    assert_eq!(i.index, Some(3));
    assert!(
        i.message.contains("m outside parent 410102001001"),
        "{}",
        i.message
    );
    // Within tolerance: 1e-6° ≈ 0.09 m is accepted with 1 m tolerance (area too: ≈ 10 m² > 1 m² though),
    // so use a generous area tolerance to isolate the distance rule.
    let mut l = clean();
    l[3].polygon = Polygon::rect(x(3), y(1), x(4) + 1e-6, y(2)).into();
    let opts = ValidateOptions {
        area_tolerance_m2: 50.0,
        ..ValidateOptions::default()
    };
    let r = validate_areas(&l, &known(), &opts);
    assert!(
        !kinds(&r).contains(&IssueKind::OutsideParent),
        "{:#?}",
        r.issues
    );
}

#[test]
fn overlaps_and_gaps_between_siblings() {
    // Grid 2 extends half a cell west over grid 1: overlap ≈ 0.5 × 91 × 111 m².
    let mut l = clean();
    l[1].polygon = Polygon::rect(x(1) - D * 0.5, y(1), x(2), y(2)).into();
    let r = run(&l);
    let i = only(&r, IssueKind::Overlap);
    assert_eq!(i.index, Some(1));
    assert!(
        i.message.contains("overlaps sibling 410102001001001"),
        "{}",
        i.message
    );
    let m2: f64 = i
        .message
        .split("by ")
        .nth(1)
        .unwrap()
        .split(' ')
        .next()
        .unwrap()
        .parse()
        .unwrap();
    assert!((m2 - 0.5 * 91.4 * 111.3).abs() < 60.0, "{m2}");

    // Remove grid 8: a gap of one cell under the community.
    let mut l = clean();
    l.pop();
    let r = run(&l);
    let i = only(&r, IssueKind::Gap);
    assert_eq!(i.index, None);
    assert_eq!(i.code, "410102001001");
    assert!(i.message.contains("uncovered"));

    // Non-rectangular overlap (triangle over a square).
    let mut l = clean();
    l[0].polygon = MultiPolygon(vec![Polygon {
        exterior: vec![
            Point::new(x(0), y(1)),
            Point::new(x(1) + D * 0.5, y(1)),
            Point::new(x(0), y(2)),
            Point::new(x(0), y(1)),
        ],
        holes: vec![],
    }]);
    let r = run(&l);
    assert!(kinds(&r).contains(&IssueKind::Overlap), "{:#?}", r.issues);
    assert!(kinds(&r).contains(&IssueKind::Gap), "{:#?}", r.issues);
}

#[test]
fn duplicate_codes() {
    let mut l = clean();
    l[5].code = l[4].code.clone();
    let r = run(&l);
    assert!(
        r.issues
            .iter()
            .any(|i| i.kind == IssueKind::DuplicateCode && i.index == Some(5))
    );
}

fn component(id: &str, class: &str, p: Point, grid: &str) -> Component {
    Component {
        id: id.into(),
        class_code: class.into(),
        status: ComponentStatus::Intact,
        owner_department_type: DepartmentType::Municipal,
        maintainer_department_type: DepartmentType::Municipal,
        point: p,
        grid_code: grid.into(),
    }
}

#[test]
fn component_cases() {
    let mut areas = known();
    for f in clean() {
        areas.push(Area {
            code: f.code,
            name: f.name,
            level: AreaLevel::Grid,
            polygon: f.polygon,
        });
    }
    let classes = builtin_component_classes();
    assert!(classes.contains("01037") && classes.contains("03005"));
    let inside = Point::new(x(0) + D * 0.5, y(1) + D * 0.5);
    let opts = ValidateOptions::default();
    let ok = component("41010201037000001", "01037", inside, "410102001001001");
    let r = validate_components(std::slice::from_ref(&ok), &classes, &areas, &opts);
    assert!(r.is_ok(), "{:#?}", r.issues);

    let cases: Vec<(Component, IssueKind, &str)> = vec![
        (
            component("4101020103700001", "01037", inside, ""),
            IssueKind::BadCode,
            "17 digits",
        ),
        (
            component("41010201037000001", "01038", inside, ""),
            IssueKind::IdClassMismatch,
            "01037 but class_code is 01038",
        ),
        (
            component("41010209999000001", "09999", inside, ""),
            IssueKind::UnknownComponentClass,
            "09999",
        ),
        (
            component("41099901037000001", "01037", inside, ""),
            IssueKind::UnknownParent,
            "410999",
        ),
        (
            component("41010201037000001", "01037", Point::new(34.7, 113.6), ""),
            IssueKind::LatLonSwapped,
            "[lat, lon]",
        ),
        (
            component("41010201037000001", "01037", Point::new(f64::NAN, 34.7), ""),
            IssueKind::CoordinateOutOfRange,
            "position 0",
        ),
        (
            component("41010201037000001", "01037", inside, "410102001001077"),
            IssueKind::UnknownGrid,
            "410102001001077",
        ),
        (
            component("41010201037000001", "01037", inside, "410102001001008"),
            IssueKind::OutsideGrid,
            "outside its grid 410102001001008",
        ),
    ];
    for (c, kind, text) in cases {
        let r = validate_components(std::slice::from_ref(&c), &classes, &areas, &opts);
        let i = only(&r, kind);
        assert_eq!(i.index, Some(0));
        assert!(i.message.contains(text), "{kind:?}: {}", i.message);
    }
    let r = validate_components(&[ok.clone(), ok], &classes, &areas, &opts);
    assert_eq!(kinds(&r), vec![IssueKind::DuplicateCode]);
}

#[test]
fn report_is_serde_data() {
    let mut l = clean();
    l.pop();
    let r = run(&l);
    let json = serde_json::to_string(&r).unwrap();
    assert!(json.contains("\"kind\":\"gap\""), "{json}");
    let back: Report = serde_json::from_str(&json).unwrap();
    assert_eq!(back, r);
}
