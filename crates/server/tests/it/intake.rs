//! The operator's hotline intake 热线受理 over HTTP on SQLite and PostgreSQL: an address placed by
//! the gazetteer (`GET /api/address`: a match with where it lies, the places of an ambiguous
//! name, 404 for nothing known, 422 for an empty or too long text), and the open cases an intake
//! not filed yet likely repeats (`GET /api/duplicates/candidates`: by point or address, best
//! first, with distance, age and score, in the caller's scope, marking the one filing would link
//! automatically).

use super::*;

/// A rectangle as GeoJSON polygon coordinates.
fn rect(w: f64, s: f64, e: f64, n: f64) -> Value {
    json!([[[w, s], [e, s], [e, n], [w, n], [w, s]]])
}

fn area(code: &str, name: &str, coords: Value) -> Value {
    json!({"type": "Feature", "properties": {"code": code, "name": name},
           "geometry": {"type": "Polygon", "coordinates": coords}})
}

fn road(id: &str, name: &str, line: Value) -> Value {
    json!({"type": "Feature", "properties": {"id": id, "name": name, "class": "arterial"},
           "geometry": {"type": "LineString", "coordinates": line}})
}

/// 中原区 (113.60–113.62 E) and 金水区 (113.64–113.66 E), each one street, community and grid;
/// 桐柏路 runs through both (two separate roads of one name), 百花路 crosses it in 中原区 only.
async fn import_city(a: &App) {
    let zy = rect(113.600, 34.750, 113.620, 34.760);
    let js = rect(113.640, 34.750, 113.660, 34.760);
    let areas = json!({"type": "FeatureCollection", "features": [
        area("410102", "中原区", zy.clone()),
        area("410102001", "林山寨街道", zy.clone()),
        area("410102001001", "百花社区", zy.clone()),
        area("410102001001001", "百花社区第1网格", zy),
        area("410105", "金水区", js.clone()),
        area("410105001", "经八路街道", js.clone()),
        area("410105001001", "黄河社区", js.clone()),
        area("410105001001001", "黄河社区第1网格", js),
    ]});
    let (s, v) = a
        .call(
            Some("admin"),
            Method::POST,
            "/api/layers/areas",
            Some(areas),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    let roads = json!({"type": "FeatureCollection", "features": [
        road("R1", "桐柏路", json!([[113.600, 34.755], [113.620, 34.755]])),
        road("R2", "百花路", json!([[113.610, 34.750], [113.610, 34.760]])),
        road("R3", "桐柏路", json!([[113.640, 34.755], [113.660, 34.755]])),
    ]});
    let (s, v) = a
        .call(
            Some("admin"),
            Method::POST,
            "/api/layers/roads",
            Some(roads),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
}

fn q(text: &str) -> String {
    let mut out = String::new();
    for b in text.as_bytes() {
        if b.is_ascii_alphanumeric() {
            out.push(char::from(*b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

async fn address_lookup(a: &App) {
    // An intersection: placed at the crossing, with where it lies.
    let (s, v) = a
        .get(
            "operator",
            &format!("/api/address?q={}", q("中原区桐柏路与百花路交叉口")),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!(v["kind"], "match", "{v}");
    assert_eq!(v["precision"], "intersection", "{v}");
    let (lat, lon) = (
        v["lat"].as_f64().expect("lat"),
        v["lon"].as_f64().expect("lon"),
    );
    assert!(
        (lat - 34.755).abs() < 1e-4 && (lon - 113.610).abs() < 1e-4,
        "{v}"
    );
    assert_eq!(v["located"]["kind"], "inside", "{v}");
    assert_eq!(v["located"]["grid"]["code"], "410102001001001", "{v}");
    assert!(
        v["explain"].as_str().expect("explain").contains("桐柏路"),
        "{v}"
    );

    // A road given with its district: the part of the road in it.
    let (s, v) = a
        .get("citizen", &format!("/api/address?q={}", q("金水区桐柏路")))
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!(
        (&v["kind"], &v["precision"]),
        (&json!("match"), &json!("road"))
    );
    assert_eq!(v["located"]["district"]["code"], "410105", "{v}");

    // The same name in two districts: both offered, each with a point in its district.
    let (s, v) = a
        .get("operator", &format!("/api/address?q={}", q("桐柏路")))
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!(v["kind"], "ambiguous", "{v}");
    assert_eq!(v["name"], "桐柏路", "{v}");
    let cands = v["candidates"].as_array().expect("candidates");
    assert_eq!(cands.len(), 2, "{v}");
    let lons: Vec<f64> = cands.iter().filter_map(|c| c["lon"].as_f64()).collect();
    assert!(
        lons.iter().any(|l| *l < 113.62) && lons.iter().any(|l| *l > 113.64),
        "{v}"
    );
    assert!(cands.iter().all(|c| c["label"].is_string()));

    // Nothing known, empty, too long, signed out.
    let (s, v) = a
        .get("operator", &format!("/api/address?q={}", q("火星基地")))
        .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{v}");
    assert_eq!(v["error"]["code"], "address_not_found");
    assert!(
        v["error"]["message"]
            .as_str()
            .is_some_and(|m| m.contains("火星基地")),
        "the message names what was not recognised: {v}"
    );
    for (text, code) in [("", "missing_field"), ("%20%20", "missing_field")] {
        let (s, v) = a.get("operator", &format!("/api/address?q={text}")).await;
        assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{v}");
        assert_eq!(v["error"]["code"], code);
    }
    let long = q(&"桐".repeat(201));
    let (s, v) = a.get("operator", &format!("/api/address?q={long}")).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{v}");
    assert_eq!(v["error"]["code"], "too_long");
    let (s, _) = a.get("operator", "/api/address").await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
    let (s, _) = a.call(None, Method::GET, "/api/address?q=x", None).await;
    assert_eq!(s, StatusCode::UNAUTHORIZED);
}

/// A hotline case filed by the operator `north_m` metres north of the crossing.
async fn hotline(a: &App, class: &str, north_m: f64, text: &str) -> Value {
    let body = json!({
        "source": "hotline_12319",
        "description": text,
        "lat": 34.755 + north_m / 111_195.0,
        "lon": 113.610,
        "class_code": class,
        "reporter_name": "张先生",
        "reporter_phone": "13800000000",
    });
    let (s, v) = a.post("operator", "/api/cases", body).await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    v["case"].clone()
}

async fn candidates(a: &App, who: &str, query: &str) -> (StatusCode, Value) {
    a.get(who, &format!("/api/duplicates/candidates?{query}"))
        .await
}

fn ids(v: &Value) -> Vec<i64> {
    v["candidates"]
        .as_array()
        .expect("candidates")
        .iter()
        .filter_map(|c| c["case"]["id"].as_i64())
        .collect()
}

async fn intake_duplicates(a: &App) {
    let manual =
        json!({"default": {"radius_m": 50.0, "window_minutes": 4320, "auto_link_score": null}});
    let (s, v) = a
        .call(
            Some("admin"),
            Method::PUT,
            "/api/duplicate-rules",
            Some(manual),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");

    let near = hotline(a, "06010", 30.0, "百花路口有成堆垃圾").await;
    a.clock.advance_minutes(60);
    let at = hotline(a, "06010", 0.0, "桐柏路百花路口垃圾成堆").await;
    let far = hotline(a, "06010", 300.0, "百花路口有成堆垃圾").await;
    let other = hotline(a, "06012", 0.0, "百花路口路面不洁").await;
    a.clock.advance_minutes(30);
    let (near, at) = (
        near["id"].as_i64().expect("id"),
        at["id"].as_i64().expect("id"),
    );

    // By point: the two open cases of the class within 50 m, the nearer and more similar first.
    let by_point = format!(
        "class_code=06010&lat=34.755&lon=113.61&description={}",
        q("百花路口有垃圾成堆")
    );
    let (s, v) = candidates(a, "operator", &by_point).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!(ids(&v), vec![at, near], "{v}");
    let first = &v["candidates"][0];
    assert!(first["distance_m"].as_f64().expect("d") < 1.0, "{v}");
    assert_eq!(first["age_minutes"], 30, "{v}");
    assert_eq!(v["candidates"][1]["age_minutes"], 90, "{v}");
    let d = v["candidates"][1]["distance_m"].as_f64().expect("d");
    assert!((d - 30.0).abs() < 0.5, "{d}");
    let (s0, s1) = (
        first["score"].as_f64().expect("score"),
        v["candidates"][1]["score"].as_f64().expect("score"),
    );
    assert!(s0 >= s1 && s0 <= 1.0 && s1 > 0.0, "{v}");
    assert_eq!(
        first["auto_link"], false,
        "no automatic linking in these rules"
    );
    assert_eq!(
        first["case"]["case_no"],
        json!(a.case(at).await["case"]["case_no"])
    );
    assert_eq!(v["rule"]["radius_m"], json!(50.0));
    assert!(!ids(&v).contains(&far["id"].as_i64().expect("id")));
    assert!(!ids(&v).contains(&other["id"].as_i64().expect("id")));

    // By address: the gazetteer's point, the same answer.
    let (s, v) = candidates(
        a,
        "supervisor",
        &format!(
            "class_code=06010&address={}",
            q("中原区桐柏路与百花路交叉口")
        ),
    )
    .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!(ids(&v), vec![at, near], "{v}");
    assert!((v["lat"].as_f64().expect("lat") - 34.755).abs() < 1e-4);

    // Another class: nothing. Out of scope: nothing listed.
    let (_, v) = candidates(a, "operator", "class_code=06011&lat=34.755&lon=113.61").await;
    assert!(ids(&v).is_empty(), "{v}");
    let (s, v) = candidates(a, "operator_s2", &by_point).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert!(ids(&v).is_empty(), "outside the caller's scope: {v}");

    // Refusals.
    for (who, query, status, code) in [
        (
            "citizen",
            by_point.as_str(),
            StatusCode::FORBIDDEN,
            "forbidden",
        ),
        ("hw", by_point.as_str(), StatusCode::FORBIDDEN, "forbidden"),
        (
            "operator",
            "class_code=06010",
            StatusCode::UNPROCESSABLE_ENTITY,
            "missing_field",
        ),
        (
            "operator",
            "class_code=&lat=34.755&lon=113.61",
            StatusCode::UNPROCESSABLE_ENTITY,
            "missing_field",
        ),
        (
            "operator",
            "class_code=99999&lat=34.755&lon=113.61",
            StatusCode::UNPROCESSABLE_ENTITY,
            "unknown_class",
        ),
        (
            "operator",
            "class_code=06010&lat=34.755",
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_point",
        ),
        (
            "operator",
            "class_code=06010&lat=95&lon=113.61",
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_point",
        ),
        (
            "operator",
            "class_code=06010&lat=34.755&lon=113.61&source=fax",
            StatusCode::UNPROCESSABLE_ENTITY,
            "unknown_source",
        ),
        (
            "operator",
            "class_code=06010&lat=x&lon=113.61",
            StatusCode::BAD_REQUEST,
            "bad_request",
        ),
        (
            "operator",
            "class_code=06010&lat=34.755&lon=113.61&colour=red",
            StatusCode::BAD_REQUEST,
            "bad_request",
        ),
    ] {
        let (s, v) = candidates(a, who, query).await;
        assert_eq!(
            (s, v["error"]["code"].as_str()),
            (status, Some(code)),
            "{who} {query}: {v}"
        );
    }
    let (s, v) = candidates(
        a,
        "operator",
        &format!("class_code=06010&address={}", q("桐柏路")),
    )
    .await;
    assert_eq!(
        (s, &v["error"]["code"]),
        (
            StatusCode::UNPROCESSABLE_ENTITY,
            &json!("ambiguous_address")
        ),
        "{v}"
    );
    let (s, v) = candidates(
        a,
        "operator",
        &format!("class_code=06010&address={}", q("火星基地")),
    )
    .await;
    assert_eq!(
        (s, &v["error"]["code"]),
        (
            StatusCode::UNPROCESSABLE_ENTITY,
            &json!("address_not_found")
        ),
        "{v}"
    );

    // With automatic linking: the candidate filing would link to is marked, and filing does.
    let (s, v) = a
        .call(Some("admin"), Method::PUT, "/api/duplicate-rules",
              Some(json!({"default": {"radius_m": 50.0, "window_minutes": 4320, "auto_link_score": 0.9}})))
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    let same = format!(
        "class_code=06010&lat=34.755&lon=113.61&description={}",
        q("桐柏路百花路口垃圾成堆")
    );
    let (_, v) = candidates(a, "operator", &same).await;
    assert_eq!(ids(&v)[0], at, "{v}");
    assert_eq!(v["candidates"][0]["auto_link"], true, "{v}");
    assert_eq!(v["candidates"][1]["auto_link"], false, "{v}");
    // Not from a public channel: nothing is linked automatically.
    let (_, v) = candidates(a, "operator", &format!("{same}&source=camera")).await;
    assert_eq!(v["candidates"][0]["auto_link"], false, "{v}");
    let filed = hotline(a, "06010", 0.0, "桐柏路百花路口垃圾成堆").await;
    assert_eq!(filed["state"], "merged", "{filed}");
    assert_eq!(filed["master_case_id"], json!(at));

    // Below the threshold: listed, not marked; the operator merges by hand (link_duplicate).
    let (_, v) = candidates(
        a,
        "operator",
        &format!(
            "class_code=06010&lat=34.755&lon=113.61&description={}",
            q("井盖丢失")
        ),
    )
    .await;
    assert!(
        v["candidates"]
            .as_array()
            .expect("list")
            .iter()
            .all(|c| c["auto_link"] == false),
        "{v}"
    );
    let fresh = hotline(a, "06010", 5.0, "井盖丢失").await;
    assert_eq!(fresh["state"], "reported", "{fresh}");
    let linked = a
        .ok(
            "operator",
            fresh["id"].as_i64().expect("id"),
            json!({"action": "link_duplicate", "expected_version": fresh["version"], "master_case_id": at}),
        )
        .await;
    assert_eq!(linked["case"]["state"], "merged", "{linked}");
}

#[tokio::test]
async fn hotline_intake_places_addresses_and_finds_duplicates_on_every_backend() {
    for pg in [false, true] {
        let Some((store, schema)) = open_store(pg, "intake").await else {
            continue;
        };
        let a = app_on(store, schema).await;
        import_city(&a).await;
        address_lookup(&a).await;
        intake_duplicates(&a).await;
        if let Some(s) = &a.schema {
            a.store.drop_schema(s).await.expect("drop");
        }
    }
}
