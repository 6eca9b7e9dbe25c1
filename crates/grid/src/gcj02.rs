//! WGS-84 ⇄ GCJ-02 ("Mars coordinates", the offset datum of Chinese web maps such as AMap and
//! Tencent).
//!
//! The forward transform is the widely published public formula (Krasovsky ellipsoid
//! a = 6 378 245 m, e² = 0.006 693 421 622 965 943 23), applied only inside China's rough
//! bounding box ([`in_china_bbox`]); outside it both directions are the identity, as common
//! practice. The offset is a few hundred metres and smooth, so the inverse is found by fixed-point
//! iteration to better than 1e-9° (well under the promised 1e-7° ≈ 1 cm).
//!
//! All values are degrees. Inputs that are NaN come back NaN; nothing panics.

use crate::model::Point;

const A: f64 = 6_378_245.0;
/// e² of the Krasovsky ellipsoid as published (0.00669342162296594323, rounded to f64).
const EE: f64 = 0.006_693_421_622_965_943;
const PI: f64 = std::f64::consts::PI;

/// Whether the point lies in the rectangle where the GCJ-02 offset is applied
/// (lon 72.004..=137.8347, lat 0.8293..=55.8271). Includes some neighbouring countries, as every
/// public implementation does.
pub fn in_china_bbox(lon: f64, lat: f64) -> bool {
    (72.004..=137.8347).contains(&lon) && (0.8293..=55.8271).contains(&lat)
}

fn transform_lat(x: f64, y: f64) -> f64 {
    let mut r = -100.0 + 2.0 * x + 3.0 * y + 0.2 * y * y + 0.1 * x * y + 0.2 * x.abs().sqrt();
    r += (20.0 * (6.0 * x * PI).sin() + 20.0 * (2.0 * x * PI).sin()) * 2.0 / 3.0;
    r += (20.0 * (y * PI).sin() + 40.0 * (y / 3.0 * PI).sin()) * 2.0 / 3.0;
    r += (160.0 * (y / 12.0 * PI).sin() + 320.0 * (y * PI / 30.0).sin()) * 2.0 / 3.0;
    r
}

fn transform_lon(x: f64, y: f64) -> f64 {
    let mut r = 300.0 + x + 2.0 * y + 0.1 * x * x + 0.1 * x * y + 0.1 * x.abs().sqrt();
    r += (20.0 * (6.0 * x * PI).sin() + 20.0 * (2.0 * x * PI).sin()) * 2.0 / 3.0;
    r += (20.0 * (x * PI).sin() + 40.0 * (x / 3.0 * PI).sin()) * 2.0 / 3.0;
    r += (150.0 * (x / 12.0 * PI).sin() + 300.0 * (x / 30.0 * PI).sin()) * 2.0 / 3.0;
    r
}

/// The GCJ-02 offset (Δlon, Δlat) in degrees at a WGS-84 point (no bbox check).
fn delta(lon: f64, lat: f64) -> (f64, f64) {
    let mut d_lat = transform_lat(lon - 105.0, lat - 35.0);
    let mut d_lon = transform_lon(lon - 105.0, lat - 35.0);
    let rad_lat = lat / 180.0 * PI;
    let magic = 1.0 - EE * rad_lat.sin() * rad_lat.sin();
    let sqrt_magic = magic.sqrt();
    d_lat = (d_lat * 180.0) / ((A * (1.0 - EE)) / (magic * sqrt_magic) * PI);
    d_lon = (d_lon * 180.0) / (A / sqrt_magic * rad_lat.cos() * PI);
    (d_lon, d_lat)
}

/// WGS-84 → GCJ-02 (identity outside [`in_china_bbox`]).
pub fn wgs84_to_gcj02(p: Point) -> Point {
    if !in_china_bbox(p.lon, p.lat) {
        return p;
    }
    let (dx, dy) = delta(p.lon, p.lat);
    Point::new(p.lon + dx, p.lat + dy)
}

/// GCJ-02 → WGS-84 by iteration (identity outside [`in_china_bbox`]). The result `w` satisfies
/// `|wgs84_to_gcj02(w) − p| < 1e-9°` in each axis for points in China.
pub fn gcj02_to_wgs84(p: Point) -> Point {
    if !in_china_bbox(p.lon, p.lat) {
        return p;
    }
    // First guess: subtract the offset at the GCJ point; then correct by the residual.
    let mut w = p;
    for _ in 0..30 {
        let g = wgs84_to_gcj02(w);
        let (ex, ey) = (g.lon - p.lon, g.lat - p.lat);
        if !(ex.abs() > 1e-12 || ey.abs() > 1e-12) {
            break;
        }
        w = Point::new(w.lon - ex, w.lat - ey);
    }
    w
}

#[cfg(test)]
mod tests {
    //! Round trips and published reference pairs.
    use super::*;

    #[test]
    fn identity_outside_china() {
        for p in [
            Point::new(2.35, 48.85),
            Point::new(-74.0, 40.7),
            Point::new(139.7, 35.7),
            Point::new(151.2, -33.9),
        ] {
            assert_eq!(wgs84_to_gcj02(p), p);
            assert_eq!(gcj02_to_wgs84(p), p);
        }
    }

    /// Pairs published with googollee/eviltransform's test table (Shanghai, Shenzhen,
    /// Beijing); matched to 1e-9°. (hutool's `CoordinateUtilTest` pair for 116.404, 39.915
    /// differs from every eviltransform port by 9e-5° in longitude only, so it is not used.)
    #[test]
    fn published_reference_pairs() {
        // (wgs lon, wgs lat, gcj lon, gcj lat)
        let pairs = [
            (121.5272106, 31.1774276, 121.531541859215, 31.17530398364597),
            (113.912316, 22.543847, 113.9171764808363, 22.540796131694766),
            (116.377817, 39.911954, 116.38404722455657, 39.91334545536069),
        ];
        for (wx, wy, gx, gy) in pairs {
            let g = wgs84_to_gcj02(Point::new(wx, wy));
            assert!(
                (g.lon - gx).abs() < 1e-9 && (g.lat - gy).abs() < 1e-9,
                "{g:?} vs {gx},{gy}"
            );
            let w = gcj02_to_wgs84(Point::new(gx, gy));
            assert!(
                (w.lon - wx).abs() < 1e-7 && (w.lat - wy).abs() < 1e-7,
                "{w:?} vs {wx},{wy}"
            );
        }
    }

    #[test]
    fn nan_does_not_panic() {
        let p = wgs84_to_gcj02(Point::new(f64::NAN, 34.0));
        assert!(p.lon.is_nan());
        let _ = gcj02_to_wgs84(Point::new(113.0, f64::NAN));
    }
}
