//! The city model over HTTP on SQLite and PostgreSQL: layer import (validated, all or nothing),
//! geocoding (inside, shared edge, outside, invalid), reports located by their point, map layers
//! with ETag caching, case density, and export.

use super::*;

/// A rectangle as GeoJSON polygon coordinates.
fn rect(w: f64, s: f64, e: f64, n: f64) -> Value {
    json!([[[w, s], [e, s], [e, n], [w, n], [w, s]]])
}

fn feature(code: &str, name: &str, coords: Value) -> Value {
    json!({"type": "Feature", "properties": {"code": code, "name": name},
           "geometry": {"type": "Polygon", "coordinates": coords}})
}

fn collection(features: Vec<Value>) -> Value {
    json!({"type": "FeatureCollection", "features": features})
}

// A 200 m × 100 m community in 中原区 split into two 100 m grids along lon = MID.
const W: f64 = 113.610;
const MID: f64 = 113.611;
const E: f64 = 113.612;
const S: f64 = 34.750;
const N: f64 = 34.751;

fn areas_layer() -> Value {
    collection(vec![
        feature("410102", "中原区", rect(W, S, E, N)),
        feature("410102001", "林山寨街道", rect(W, S, E, N)),
        feature("410102001001", "百花社区", rect(W, S, E, N)),
        feature("410102001001001", "百花社区第1网格", rect(W, S, MID, N)),
        feature("410102001001002", "百花社区第2网格", rect(MID, S, E, N)),
    ])
}

impl App {
    /// Sends a raw body; returns status, headers and the body text.
    async fn raw(
        &self,
        who: Option<&str>,
        method: Method,
        path: &str,
        body: Vec<u8>,
        extra: &[(header::HeaderName, &str)],
    ) -> (StatusCode, axum::http::HeaderMap, String) {
        let mut req = Request::builder().method(method).uri(path);
        if let Some(w) = who {
            req = req.header(header::AUTHORIZATION, format!("Bearer {}", self.tokens[w]));
        }
        for (k, v) in extra {
            req = req.header(k, *v);
        }
        let resp = self
            .router
            .clone()
            .oneshot(req.body(Body::from(body)).expect("request"))
            .await
            .expect("response");
        let status = resp.status();
        let headers = resp.headers().clone();
        let bytes = axum::body::to_bytes(resp.into_body(), 10 << 20)
            .await
            .expect("body");
        (
            status,
            headers,
            String::from_utf8_lossy(&bytes).into_owned(),
        )
    }

    async fn import(
        &self,
        who: &str,
        layer: &str,
        query: &str,
        body: &[u8],
    ) -> (StatusCode, Value) {
        let (s, _, text) = self
            .raw(
                Some(who),
                Method::POST,
                &format!("/api/layers/{layer}{query}"),
                body.to_vec(),
                &[],
            )
            .await;
        (s, serde_json::from_str(&text).unwrap_or(Value::Null))
    }

    async fn case_count(&self) -> usize {
        let (s, v) = self.get("admin", "/api/cases?limit=200").await;
        assert_eq!(s, StatusCode::OK, "{v}");
        v["items"].as_array().map_or(0, Vec::len)
    }
}

async fn city_story(a: &App) {
    // Only an admin imports.
    let layer = areas_layer().to_string();
    let (s, v) = a.import("operator", "areas", "", layer.as_bytes()).await;
    assert_eq!(s, StatusCode::FORBIDDEN, "{v}");

    // Broken JSON: a precise error, nothing stored.
    let (s, v) = a
        .import("admin", "areas", "", b"{\"type\":\"FeatureCollection\",")
        .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{v}");
    assert_eq!(v["error"]["code"], "invalid_layer_file", "{v}");

    // Overlapping grids: every finding reported, nothing of the file stored.
    let bad = collection(vec![
        feature("410102", "中原区", rect(W, S, E, N)),
        feature("410102001", "林山寨街道", rect(W, S, E, N)),
        feature("410102001001", "百花社区", rect(W, S, E, N)),
        feature("410102001001001", "甲", rect(W, S, 113.6115, N)),
        feature("410102001001002", "乙", rect(MID, S, E, N)),
        feature("4101020010010", "code too short", rect(W, S, MID, N)),
    ]);
    let (s, v) = a
        .import("admin", "areas", "", bad.to_string().as_bytes())
        .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{v}");
    assert_eq!(v["error"]["code"], "invalid_layer", "{v}");
    let kinds: Vec<&str> = v["error"]["issues"]
        .as_array()
        .expect("issues")
        .iter()
        .filter_map(|i| i["kind"].as_str())
        .collect();
    assert!(kinds.contains(&"overlap"), "{kinds:?}");
    assert!(kinds.contains(&"bad_code"), "{kinds:?}");
    let (_, city) = a.get("admin", "/api/city").await;
    assert_eq!(city["counts"]["grids"], 0, "{city}");
    assert_eq!(city["version"], 0, "{city}");

    // Before any grid exists a point cannot be placed: reports still work by area code.
    let (s, v) = a
        .get(
            "citizen",
            &format!("/api/geocode?lat={}&lon={}", 34.7505, 113.6105),
        )
        .await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(v["kind"], "outside", "{v}");

    // A clean layer is stored whole.
    let (s, v) = a.import("admin", "areas", "", layer.as_bytes()).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!(v["imported"], 5, "{v}");
    assert_eq!(v["version"], 1, "{v}");

    // Geocoding: inside, with the whole path and a readable address.
    let (s, v) = a
        .get("citizen", "/api/geocode?lat=34.7505&lon=113.6105")
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!(v["kind"], "inside", "{v}");
    assert_eq!(v["grid"]["code"], "410102001001001", "{v}");
    assert_eq!(v["community"]["name"], "百花社区", "{v}");
    assert_eq!(v["street"]["code"], "410102001", "{v}");
    assert_eq!(v["district"]["name"], "中原区", "{v}");
    let address = v["address"].as_str().expect("address");
    assert!(
        address.contains("中原区") && address.contains("百花社区"),
        "{address}"
    );
    // On the shared edge: exactly one grid, the eastern one (documented tie rule).
    let (_, v) = a
        .get("citizen", &format!("/api/geocode?lat=34.7505&lon={MID}"))
        .await;
    assert_eq!(v["grid"]["code"], "410102001001002", "{v}");
    // Outside the city, and not a coordinate at all.
    let (_, v) = a
        .get("citizen", "/api/geocode?lat=34.7600&lon=113.6105")
        .await;
    assert_eq!(v["kind"], "outside", "{v}");
    let (s, v) = a.get("citizen", "/api/geocode?lat=134.75&lon=113.61").await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{v}");
    assert_eq!(v["error"]["code"], "invalid_point", "{v}");
    // A batch answers every point in order, an invalid one without failing the rest.
    let (s, v) = a
        .post(
            "citizen",
            "/api/geocode",
            json!({"points": [{"lat": 34.7505, "lon": 113.6115}, {"lat": 95.0, "lon": 113.6}, {"lat": 30.0, "lon": 113.6}]}),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    let kinds: Vec<&str> = v["results"]
        .as_array()
        .expect("results")
        .iter()
        .filter_map(|r| r["kind"].as_str())
        .collect();
    assert_eq!(kinds, ["inside", "invalid", "outside"]);

    // Roads: an unknown road chief stores nothing; a known one is resolved.
    let road = |chief: &str| {
        json!({"type": "FeatureCollection", "features": [{"type": "Feature",
            "properties": {"id": "R1", "name": "桐柏路", "class": "主干路", "chief": chief},
            "geometry": {"type": "LineString", "coordinates": [[W, 34.7504], [E, 34.7504]]}}]})
        .to_string()
    };
    let (s, v) = a
        .import("admin", "roads", "", road("nobody").as_bytes())
        .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{v}");
    assert_eq!(v["error"]["code"], "unknown_reference", "{v}");
    let (_, city) = a.get("admin", "/api/city").await;
    assert_eq!(city["counts"]["roads"], 0, "{city}");
    let (s, v) = a
        .import("admin", "roads", "", road("roadchief").as_bytes())
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    let (_, v) = a
        .get("citizen", "/api/geocode?lat=34.7505&lon=113.6105")
        .await;
    assert_eq!(v["road"]["name"], "桐柏路", "{v}");
    let d = v["road"]["distance_m"].as_f64().expect("distance");
    assert!(
        (d - 11.1).abs() < 0.5,
        "0.0001° of latitude ≈ 11.1 m, got {d}"
    );

    // A report located only by its point gets its grid, road and address from the geocoder.
    let before = a.case_count().await;
    let (s, v) = a
        .post(
            "citizen",
            "/api/cases",
            json!({"source": "citizen_app", "description": "井盖缺失", "lat": 34.7505, "lon": 113.6115}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    assert_eq!(v["case"]["grid_code"], "410102001001002", "{v}");
    assert_eq!(v["case"]["street_code"], "410102001", "{v}");
    assert_eq!(v["case"]["road_id"], "R1", "{v}");
    assert!(
        v["case"]["address"]
            .as_str()
            .is_some_and(|s| s.contains("桐柏路")),
        "{v}"
    );
    // Outside the city, or inside another area than the one named: refused, nothing written.
    let (s, v) = a
        .post(
            "citizen",
            "/api/cases",
            json!({"source": "citizen_app", "description": "x", "lat": 34.70, "lon": 113.61}),
        )
        .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{v}");
    assert_eq!(v["error"]["code"], "outside_city", "{v}");
    let (s, v) = a
        .post(
            "citizen",
            "/api/cases",
            json!({"source": "citizen_app", "description": "x", "lat": 34.7505, "lon": 113.6105, "area_code": "410102002"}),
        )
        .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{v}");
    assert_eq!(v["error"]["code"], "point_outside_area", "{v}");
    assert_eq!(a.case_count().await, before + 1);

    // Density per grid within the caller's scope.
    let (s, v) = a
        .get("leader", "/api/map/density?parent=410102&level=grid")
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!(v["counts"]["410102001001002"], 1, "{v}");
    let (_, v) = a
        .get("operator_s2", "/api/map/density?parent=410102&level=grid")
        .await;
    assert!(
        v["counts"].get("410102001001002").is_none(),
        "out of scope: {v}"
    );

    // Map layer: public, simplified GeoJSON with an ETag; the same ETag gets 304.
    let (s, h, text) = a
        .raw(
            None,
            Method::GET,
            "/api/map/areas?parent=410102&level=grid&zoom=16",
            vec![],
            &[],
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{text}");
    let fc: Value = serde_json::from_str(&text).expect("geojson");
    assert_eq!(fc["features"].as_array().map(Vec::len), Some(2), "{fc}");
    let etag = h[header::ETAG].to_str().expect("etag").to_owned();
    let (s, _, _) = a
        .raw(
            None,
            Method::GET,
            "/api/map/areas?parent=410102&level=grid&zoom=16",
            vec![],
            &[(header::IF_NONE_MATCH, etag.as_str())],
        )
        .await;
    assert_eq!(s, StatusCode::NOT_MODIFIED);
    let (s, v) = a
        .get("admin", "/api/map/areas?parent=410102&level=block&zoom=16")
        .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{v}");
    assert_eq!(v["error"]["code"], "unknown_level", "{v}");

    // Components from CSV: the grid comes from the geocoder; unknown classes refuse the file.
    let csv = "id,class_code,status,lon,lat\n41010201001000001,01001,完好,113.6105,34.7505\n";
    let (s, v) = a
        .import("admin", "components", "?format=csv", csv.as_bytes())
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    let bad = "id,class_code,status,lon,lat\n41010299999000001,99999,完好,113.6105,34.7505\n";
    let (s, v) = a
        .import("admin", "components", "?format=csv", bad.as_bytes())
        .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{v}");
    let (s, _, text) = a
        .raw(
            Some("admin"),
            Method::GET,
            "/api/layers/components?format=csv",
            vec![],
            &[],
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{text}");
    assert_eq!(text.lines().count(), 2, "{text}");
    assert!(
        text.contains("41010201001000001") && text.contains("410102001001001"),
        "{text}"
    );

    // Export in GCJ-02 for Chinese basemaps: shifted by a few hundred metres near Zhengzhou.
    let (s, _, text) = a
        .raw(
            Some("admin"),
            Method::GET,
            "/api/layers/areas?parent=410102001001001&crs=gcj02",
            vec![],
            &[],
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{text}");
    let fc: Value = serde_json::from_str(&text).expect("geojson");
    let first = &fc["features"][0]["geometry"]["coordinates"][0][0][0];
    let lon = first[0].as_f64().expect("lon");
    assert!((lon - W).abs() > 0.002 && (lon - W).abs() < 0.02, "{first}");
}

#[tokio::test]
async fn city_layers_geocoding_and_located_reports_on_every_backend() {
    on_every_backend("city", "city story", city_story).await;
}
