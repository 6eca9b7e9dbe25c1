//! GeoJSON and CSV layers: round trips of the demo city (WGS-84 and GCJ-02), and precise
//! errors with feature index for broken input.

use std::sync::OnceLock;

use grid::geojson::{
    LayerError, ReadOptions, parse_area_features, parse_areas, parse_components,
    parse_components_csv, parse_roads, write_areas, write_components, write_components_csv,
    write_roads,
};
use grid::{AreaLevel, CityModel, Scale, generate};

fn demo() -> &'static CityModel {
    static M: OnceLock<CityModel> = OnceLock::new();
    M.get_or_init(|| generate(1, Scale::Demo))
}

const WGS: ReadOptions = ReadOptions { from_gcj02: false };
const GCJ: ReadOptions = ReadOptions { from_gcj02: true };

#[test]
fn round_trip_wgs84() {
    let m = demo();
    let areas = parse_areas(write_areas(&m.areas, false).as_bytes(), WGS).unwrap();
    assert!(areas == m.areas, "areas differ after the round trip");
    let roads = parse_roads(write_roads(&m.roads, false).as_bytes(), WGS).unwrap();
    assert!(roads == m.roads, "roads differ");
    let comps = parse_components(write_components(&m.components, false).as_bytes(), WGS).unwrap();
    assert!(comps == m.components, "components differ");
    let csv =
        parse_components_csv(write_components_csv(&m.components, false).as_bytes(), WGS).unwrap();
    assert!(csv == m.components, "CSV components differ");
}

#[test]
fn round_trip_gcj02_within_a_centimetre() {
    let m = demo();
    let text = write_components(&m.components[..2000], true);
    let back = parse_components(text.as_bytes(), GCJ).unwrap();
    for (a, b) in m.components.iter().zip(&back) {
        assert!(
            (a.point.lon - b.point.lon).abs() < 1e-7 && (a.point.lat - b.point.lat).abs() < 1e-7
        );
        assert_eq!(a.id, b.id);
    }
    // The GCJ file really is offset (≈ 500 m east in Zhengzhou).
    let raw = parse_components(text.as_bytes(), WGS).unwrap();
    assert!(raw[0].point.lon - m.components[0].point.lon > 0.004);
    let csv = write_components_csv(&m.components[..100], true);
    let back = parse_components_csv(csv.as_bytes(), GCJ).unwrap();
    assert!((back[0].point.lon - m.components[0].point.lon).abs() < 1e-7);
    let grids: Vec<_> = m.areas_of(AreaLevel::Grid).take(50).cloned().collect();
    let back = parse_areas(write_areas(&grids, true).as_bytes(), GCJ).unwrap();
    for (a, b) in grids.iter().zip(&back) {
        let (pa, pb) = (a.polygon.0[0].exterior[0], b.polygon.0[0].exterior[0]);
        assert!((pa.lon - pb.lon).abs() < 1e-7 && (pa.lat - pb.lat).abs() < 1e-7);
    }
}

fn feature_err(r: Result<impl std::fmt::Debug, LayerError>) -> (usize, String) {
    match r {
        Err(LayerError::Feature { index, message, .. }) => (index, message),
        other => panic!("expected a feature error, got {other:?}"),
    }
}

const SQUARE: &str = "[[[113.6,34.7],[113.601,34.7],[113.601,34.701],[113.6,34.701],[113.6,34.7]]]";

fn area_fc(features: &[String]) -> String {
    format!(
        "{{\"type\":\"FeatureCollection\",\"features\":[{}]}}",
        features.join(",")
    )
}

fn area_feature(props: &str, geometry: &str) -> String {
    format!("{{\"type\":\"Feature\",\"properties\":{{{props}}},\"geometry\":{geometry}}}")
}

#[test]
fn broken_json_has_line_and_column() {
    let err = parse_areas(
        b"{\"type\":\"FeatureCollection\",\n\"features\":[ {\"type\": }",
        WGS,
    )
    .unwrap_err();
    match err {
        LayerError::Json { line, column, .. } => {
            assert_eq!(line, 2);
            assert!(column > 10, "{column}");
        }
        other => panic!("{other:?}"),
    }
    assert!(matches!(
        parse_areas(b"", WGS),
        Err(LayerError::Json { .. })
    ));
    assert!(matches!(
        parse_areas(b"{} trailing", WGS),
        Err(LayerError::Json { .. } | LayerError::NotFeatureCollection { .. })
    ));
}

#[test]
fn not_a_feature_collection() {
    for input in [
        &b"{\"type\":\"Feature\",\"features\":[]}"[..],
        b"{\"type\":\"FeatureCollection\"}",
        b"[1,2,3]",
        b"{\"type\":\"FeatureCollection\",\"features\":{}}",
    ] {
        let e = parse_areas(input, WGS).unwrap_err();
        assert!(
            matches!(e, LayerError::NotFeatureCollection { .. }),
            "{e:?}"
        );
    }
    // An empty collection is fine.
    assert!(
        parse_areas(b"{\"type\":\"FeatureCollection\",\"features\":[]}", WGS)
            .unwrap()
            .is_empty()
    );
}

#[test]
fn missing_property_wrong_geometry_unclosed_with_index() {
    let ok = area_feature(
        "\"code\":\"410102001001001\",\"name\":\"a\"",
        &format!("{{\"type\":\"Polygon\",\"coordinates\":{SQUARE}}}"),
    );
    let no_name = area_feature(
        "\"code\":\"410102001001002\"",
        &format!("{{\"type\":\"Polygon\",\"coordinates\":{SQUARE}}}"),
    );
    let (i, m) = feature_err(parse_areas(area_fc(&[ok.clone(), no_name]).as_bytes(), WGS));
    assert_eq!(i, 1);
    assert_eq!(m, "missing property \"name\"");

    let line = area_feature(
        "\"code\":\"410102001001002\",\"name\":\"b\"",
        "{\"type\":\"LineString\",\"coordinates\":[[113.6,34.7],[113.7,34.8]]}",
    );
    let e = parse_areas(area_fc(&[ok.clone(), ok.clone(), line]).as_bytes(), WGS).unwrap_err();
    assert_eq!(
        e.to_string(),
        "feature 2 (410102001001002): wrong geometry type \"LineString\", expected Polygon or MultiPolygon"
    );

    let open = area_feature(
        "\"code\":\"410102001001003\",\"name\":\"c\"",
        "{\"type\":\"Polygon\",\"coordinates\":[[[113.6,34.7],[113.601,34.7],[113.601,34.701],[113.6,34.701]]]}",
    );
    let (i, m) = feature_err(parse_areas(
        area_fc(&[ok.clone(), open.clone()]).as_bytes(),
        WGS,
    ));
    assert_eq!(i, 1);
    assert!(m.contains("polygon 0 exterior ring is not closed"), "{m}");
    // The lenient reader keeps it for the validator.
    let feats = parse_area_features(area_fc(&[ok.clone(), open]).as_bytes(), WGS).unwrap();
    assert_eq!(feats.len(), 2);
    assert_eq!(feats[1].polygon.0[0].exterior.len(), 4);

    let bad_coords = area_feature(
        "\"code\":\"410102001001004\",\"name\":\"d\"",
        "{\"type\":\"Polygon\",\"coordinates\":[[[113.6,\"x\"]]]}",
    );
    let (i, m) = feature_err(parse_areas(area_fc(&[bad_coords]).as_bytes(), WGS));
    assert_eq!(i, 0);
    assert!(m.contains("malformed Polygon coordinates"), "{m}");

    let no_geom = "{\"type\":\"Feature\",\"properties\":{\"code\":\"410102\",\"name\":\"x\"},\"geometry\":null}".to_owned();
    let (_, m) = feature_err(parse_areas(area_fc(&[no_geom]).as_bytes(), WGS));
    assert_eq!(m, "missing geometry");

    let bad_level = area_feature(
        "\"code\":\"410102\",\"name\":\"x\",\"level\":\"city\"",
        &format!("{{\"type\":\"Polygon\",\"coordinates\":{SQUARE}}}"),
    );
    let (_, m) = feature_err(parse_areas(area_fc(&[bad_level]).as_bytes(), WGS));
    assert!(m.contains("unknown level \"city\""), "{m}");

    let num_code = area_feature(
        "\"code\":410102,\"name\":\"中原区\",\"level\":\"区\"",
        &format!("{{\"type\":\"MultiPolygon\",\"coordinates\":[{SQUARE}]}}"),
    );
    let a = parse_areas(area_fc(&[num_code]).as_bytes(), WGS).unwrap();
    assert_eq!(a[0].code, "410102");
    assert_eq!(a[0].level, AreaLevel::District);

    let obj_code = area_feature(
        "\"code\":{\"a\":1},\"name\":\"x\"",
        &format!("{{\"type\":\"Polygon\",\"coordinates\":{SQUARE}}}"),
    );
    let (_, m) = feature_err(parse_areas(area_fc(&[obj_code]).as_bytes(), WGS));
    assert!(m.contains("property \"code\" must be a string"), "{m}");
}

#[test]
fn road_and_component_errors() {
    let road = |props: &str, geom: &str| {
        format!(
            "{{\"type\":\"FeatureCollection\",\"features\":[{}]}}",
            area_feature(props, geom)
        )
    };
    let line = "{\"type\":\"LineString\",\"coordinates\":[[113.6,34.7],[113.7,34.7]]}";
    let r = parse_roads(
        road(
            "\"id\":\"R1\",\"name\":\"建设路\",\"class\":\"主干路\",\"chief\":null",
            line,
        )
        .as_bytes(),
        WGS,
    )
    .unwrap();
    assert_eq!(r[0].class, grid::RoadClass::Arterial);
    assert_eq!(r[0].chief, None);
    let (_, m) = feature_err(parse_roads(
        road("\"id\":\"R1\",\"name\":\"建设路\",\"class\":\"高速\"", line).as_bytes(),
        WGS,
    ));
    assert!(m.contains("unknown road class \"高速\""), "{m}");
    let (_, m) = feature_err(parse_roads(
        road(
            "\"id\":\"R1\",\"name\":\"x\",\"class\":\"branch\"",
            "{\"type\":\"LineString\",\"coordinates\":[[113.6,34.7]]}",
        )
        .as_bytes(),
        WGS,
    ));
    assert!(m.contains("at least 2 positions"), "{m}");

    let pt = "{\"type\":\"Point\",\"coordinates\":[113.6,34.7]}";
    let c = parse_components(
        road(
            "\"id\":\"41010201037000001\",\"class_code\":\"01037\",\"status\":\"破损\"",
            pt,
        )
        .as_bytes(),
        WGS,
    )
    .unwrap();
    assert_eq!(c[0].status, grid::ComponentStatus::Damaged);
    assert_eq!(c[0].owner_department_type, grid::DepartmentType::Other);
    let (_, m) = feature_err(parse_components(
        road("\"id\":\"41010201037000001\"", pt).as_bytes(),
        WGS,
    ));
    assert_eq!(m, "missing property \"class_code\"");
    let (_, m) = feature_err(parse_components(
        road(
            "\"id\":\"1\",\"class_code\":\"01037\",\"status\":\"broken\"",
            pt,
        )
        .as_bytes(),
        WGS,
    ));
    assert!(m.contains("unknown status \"broken\""), "{m}");
    let (_, m) = feature_err(parse_components(
        road(
            "\"id\":\"1\",\"class_code\":\"01037\",\"owner_department_type\":\"police\"",
            pt,
        )
        .as_bytes(),
        WGS,
    ));
    assert!(m.contains("unknown department type \"police\""), "{m}");
    let (_, m) = feature_err(parse_components(
        road("\"id\":\"1\",\"class_code\":\"01037\"", line).as_bytes(),
        WGS,
    ));
    assert!(
        m.contains("wrong geometry type \"LineString\", expected Point"),
        "{m}"
    );
}

#[test]
fn csv_errors_have_lines() {
    let e = parse_components_csv(b"id,class_code,lon\n1,01037,113.6\n", WGS).unwrap_err();
    assert_eq!(
        e,
        LayerError::Csv {
            line: 1,
            message: "missing column \"lat\"".into()
        }
    );
    let e = parse_components_csv(
        b"id,class_code,lon,lat\n1,01037,113.6,34.7\n2,01037,abc,34.7\n",
        WGS,
    )
    .unwrap_err();
    assert!(
        matches!(&e, LayerError::Csv { line: 3, message } if message.contains("\"lon\" is not a number")),
        "{e:?}"
    );
    let e = parse_components_csv(
        b"id,class_code,lon,lat,status\n1,01037,113.6,34.7,gone\n",
        WGS,
    )
    .unwrap_err();
    assert!(
        matches!(&e, LayerError::Csv { line: 2, message } if message.contains("unknown status")),
        "{e:?}"
    );
    let e = parse_components_csv(b"id,class_code,lon,lat\n1,01037,113.6\n", WGS).unwrap_err();
    assert!(matches!(e, LayerError::Csv { line: 2, .. }), "{e:?}");
    // Column order is free, unknown columns ignored, Chinese status accepted.
    let c = parse_components_csv(
        "note,lat,lon,class_code,id,status\nx,34.7,113.6,01037,41010201037000001,丢失\n".as_bytes(),
        WGS,
    )
    .unwrap();
    assert_eq!(c[0].status, grid::ComponentStatus::Lost);
    assert_eq!(c[0].point, grid::Point::new(113.6, 34.7));
}

#[test]
fn errors_serialize_as_data() {
    let e = LayerError::Feature {
        index: 3,
        code: Some("4101".into()),
        message: "missing geometry".into(),
    };
    assert_eq!(e.to_string(), "feature 3 (4101): missing geometry");
    let j = serde_json::to_string(&e).unwrap();
    assert!(j.contains("\"kind\":\"feature\""), "{j}");
}
