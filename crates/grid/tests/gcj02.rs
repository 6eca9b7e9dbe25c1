//! WGS-84 ⇄ GCJ-02: round-trip bounds on random points in China, offset magnitude, identity
//! outside China.

use grid::Point;
use grid::gcj02::{gcj02_to_wgs84, in_china_bbox, wgs84_to_gcj02};
use proptest::prelude::*;

proptest! {
    #![proptest_config(ProptestConfig { cases: 2000, ..ProptestConfig::default() })]

    #[test]
    fn round_trip_in_china(lon in 73.0f64..135.0, lat in 3.0f64..53.0) {
        let w = Point::new(lon, lat);
        let g = wgs84_to_gcj02(w);
        // The offset is a few hundred metres at most (< 0.01°), never zero inside China.
        prop_assert!((g.lon - lon).abs() < 0.01 && (g.lat - lat).abs() < 0.01);
        prop_assert!(g != w);
        let back = gcj02_to_wgs84(g);
        prop_assert!((back.lon - lon).abs() < 1e-7 && (back.lat - lat).abs() < 1e-7, "{:?} → {:?} → {:?}", w, g, back);
        // And the other way round: a GCJ point maps to a WGS point that maps back to it.
        let g2 = Point::new(lon, lat);
        let w2 = gcj02_to_wgs84(g2);
        let f2 = wgs84_to_gcj02(w2);
        prop_assert!((f2.lon - lon).abs() < 1e-7 && (f2.lat - lat).abs() < 1e-7);
    }

    #[test]
    fn identity_outside_china(lon in -180.0f64..180.0, lat in -90.0f64..90.0) {
        let p = Point::new(lon, lat);
        if !in_china_bbox(lon, lat) {
            prop_assert_eq!(wgs84_to_gcj02(p), p);
            prop_assert_eq!(gcj02_to_wgs84(p), p);
        }
    }
}

#[test]
fn zhengzhou_offset_is_plausible() {
    // Around Zhengzhou the published offset is roughly +0.0055° lon and −0.0012° lat
    // (≈ 500 m east, 130 m south).
    let g = wgs84_to_gcj02(Point::new(113.65, 34.76));
    let (dx, dy) = (g.lon - 113.65, g.lat - 34.76);
    assert!((0.004..0.008).contains(&dx), "{dx}");
    assert!((-0.003..0.0).contains(&dy), "{dy}");
}
