//! The city model over HTTP: geocoding, map layers for the UI (simplified per zoom, cached),
//! case density per area, layer export and import.

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use domain::area::AreaLevel;
use domain::org::Role;
use domain::policy;
use domain::workflow::CaseState;
use serde::Deserialize;
use serde_json::{Value, json};
use store::{CaseFilter, ComponentFilter};

use crate::AppState;
use crate::auth::AuthUser;
use crate::city::{ImportOptions, Layer, import_layer};
use crate::error::{ApiError, ApiResult};
use crate::extract::{Json, Path, Query};
use crate::routes::{STAFF, require_any};

/// Most points in one batch geocoding request.
pub const MAX_BATCH_POINTS: usize = 10_000;

/// Largest layer file accepted over HTTP, bytes (bigger files: `yiwang import`).
pub const MAX_LAYER_BYTES: usize = 256 * 1024 * 1024;

fn parse_level(s: Option<&str>, default: AreaLevel) -> ApiResult<AreaLevel> {
    match s {
        None => Ok(default),
        Some("district") => Ok(AreaLevel::District),
        Some("street") => Ok(AreaLevel::Street),
        Some("community") => Ok(AreaLevel::Community),
        Some("grid") => Ok(AreaLevel::Grid),
        Some(other) => Err(ApiError::unprocessable(
            "unknown_level",
            format!("unknown level {other:?}: use district, street, community or grid"),
        )),
    }
}

fn parse_crs(s: Option<&str>) -> ApiResult<bool> {
    match s {
        None | Some("wgs84") => Ok(false),
        Some("gcj02") => Ok(true),
        Some(other) => Err(ApiError::unprocessable(
            "unknown_crs",
            format!("unknown crs {other:?}: use wgs84 or gcj02"),
        )),
    }
}

fn check_prefix(prefix: &str) -> ApiResult<()> {
    if prefix.len() > 15 || !prefix.bytes().all(|b| b.is_ascii_digit()) {
        return Err(ApiError::unprocessable(
            "invalid_area_code",
            format!("{prefix:?} is not an area code or a prefix of one (at most 15 digits)"),
        ));
    }
    Ok(())
}

/// Whether an `If-None-Match` header matches `etag` (a list, weak tags and `*` included).
fn etag_matches(header: &str, etag: &str) -> bool {
    header
        .split(',')
        .map(str::trim)
        .any(|t| t == "*" || t.strip_prefix("W/").unwrap_or(t) == etag)
}

/// Whether a layer is asked for as CSV (`format=csv`, components only) rather than GeoJSON.
fn is_csv(layer: Layer, format: Option<&str>) -> ApiResult<bool> {
    match format {
        None | Some("geojson") => Ok(false),
        Some("csv") if layer == Layer::Components => Ok(true),
        Some(other) => Err(ApiError::unprocessable(
            "unknown_format",
            format!("format {other:?}: use geojson (or csv for components)"),
        )),
    }
}

/// `GET /api/geocode` query.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GeocodeQuery {
    pub lat: f64,
    pub lon: f64,
}

fn geocode_value(state: &AppState, lat: f64, lon: f64) -> Result<Value, String> {
    match state.city.get().locate(lon, lat) {
        Ok(g) => serde_json::to_value(g).map_err(|e| e.to_string()),
        Err(e) => Err(e.to_string()),
    }
}

/// `GET /api/geocode?lat=&lon=` — grid, community, street, district, nearest road and a
/// readable address for a WGS-84 point; `{"kind":"outside"}` for a point in no unit grid.
pub async fn geocode(
    State(state): State<AppState>,
    _auth: AuthUser,
    Query(q): Query<GeocodeQuery>,
) -> ApiResult<Json<Value>> {
    geocode_value(&state, q.lat, q.lon)
        .map(Json)
        .map_err(|m| ApiError::unprocessable("invalid_point", m))
}

/// `GET /api/address` query.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AddressQuery {
    /// The address text, e.g. `中原区建设路与百花路交叉口`.
    pub q: String,
}

/// `GET /api/address?q=` — forward geocoding 地址定位 through the gazetteer: the point an address
/// text names (area, road, 路口 intersection), how it was matched and where the point lies
/// (`kind: match`), or every place an ambiguous name may mean (`kind: ambiguous`), for the
/// operator to pick from. 422 `address_not_found` when nothing of the city is recognised or two
/// roads named as crossing do not meet (the message says which, as `POST /api/cases` does);
/// 422 `missing_field` / `too_long` for an empty or too long text.
pub async fn address(
    State(state): State<AppState>,
    _auth: AuthUser,
    Query(q): Query<AddressQuery>,
) -> ApiResult<Json<Value>> {
    use grid::address::{AddressError, MAX_ADDRESS_CHARS};
    let text = q.q.trim();
    if text.is_empty() {
        return Err(ApiError::unprocessable(
            "missing_field",
            "q: give the address text",
        ));
    }
    if text.chars().count() > MAX_ADDRESS_CHARS {
        return Err(ApiError::unprocessable(
            "too_long",
            format!("q is longer than {MAX_ADDRESS_CHARS} characters"),
        ));
    }
    let index = state.city.get();
    match index.gazetteer.resolve(text) {
        Ok(m) => {
            let explain = m.explain();
            let located = geocode_value(&state, m.lat, m.lon).unwrap_or(Value::Null);
            let mut out = serde_json::to_value(&m)
                .map_err(|e| ApiError::Internal(format!("address match: {e}")))?;
            if let Some(o) = out.as_object_mut() {
                o.insert("kind".into(), json!("match"));
                o.insert("explain".into(), json!(explain));
                o.insert("located".into(), located);
            }
            Ok(Json(out))
        }
        Err(AddressError::Ambiguous { name, candidates }) => {
            let labels: Vec<&str> = candidates.iter().map(|c| c.label.as_str()).collect();
            let message = format!(
                "{name:?} could be any of: {}; add the district or street, or pick one",
                labels.join(", ")
            );
            Ok(Json(json!({
                "kind": "ambiguous",
                "name": name,
                "message": message,
                "candidates": candidates,
            })))
        }
        Err(AddressError::Empty) => Err(ApiError::unprocessable(
            "missing_field",
            "q: give the address text",
        )),
        Err(e @ AddressError::TooLong { .. }) => {
            Err(ApiError::unprocessable("too_long", e.to_string()))
        }
        // Nothing recognised, or two named roads that do not meet: no place to offer, and the
        // gazetteer's sentence says which.
        Err(e @ (AddressError::NotRecognised { .. } | AddressError::NoIntersection { .. })) => {
            Err(ApiError::unprocessable("address_not_found", e.to_string()))
        }
    }
}

/// One point of a batch.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LatLon {
    pub lat: f64,
    pub lon: f64,
}

/// `POST /api/geocode` body.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GeocodeBatch {
    pub points: Vec<LatLon>,
}

/// `POST /api/geocode` — up to [`MAX_BATCH_POINTS`] points; each answer in order, an invalid
/// point answered with `{"kind":"invalid","message":…}` without failing the others.
pub async fn geocode_batch(
    State(state): State<AppState>,
    _auth: AuthUser,
    Json(b): Json<GeocodeBatch>,
) -> ApiResult<Json<Value>> {
    if b.points.len() > MAX_BATCH_POINTS {
        return Err(ApiError::unprocessable(
            "too_many_points",
            format!("at most {MAX_BATCH_POINTS} points per request"),
        ));
    }
    let results: Vec<Value> = b
        .points
        .iter()
        .map(|p| {
            geocode_value(&state, p.lat, p.lon)
                .unwrap_or_else(|m| json!({"kind": "invalid", "message": m}))
        })
        .collect();
    Ok(Json(json!({ "results": results })))
}

/// `GET /api/city` — sizes of the city model, its version and the districts' extent.
pub async fn summary(State(state): State<AppState>, _auth: AuthUser) -> ApiResult<Json<Value>> {
    let counts = state.store.city_counts().await?;
    let index = state.city.get();
    let districts: Vec<Value> = index
        .areas
        .iter()
        .filter(|a| a.level == AreaLevel::District)
        .map(|a| {
            let bbox = a.polygon.bbox();
            json!({
                "code": a.code,
                "name": a.name,
                "bbox": bbox.map(|b| [b.west, b.south, b.east, b.north]),
            })
        })
        .collect();
    Ok(Json(json!({
        "version": index.version,
        "counts": counts,
        "districts": districts,
    })))
}

/// `GET /api/map/areas` query.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MapQuery {
    /// Area code prefix (default: the whole city).
    pub parent: Option<String>,
    /// `district`, `street`, `community` or `grid` (default `grid`).
    pub level: Option<String>,
    /// Web-map zoom level 8–18 (default 14): sets how much outlines are simplified.
    pub zoom: Option<u32>,
    /// `wgs84` (default) or `gcj02` (for Chinese basemaps).
    pub crs: Option<String>,
}

/// `GET /api/map/areas` — outlines of one level under an area, simplified for the zoom, as a
/// GeoJSON FeatureCollection. Public (outlines are not confidential); cached by ETag.
pub async fn map_areas(
    State(state): State<AppState>,
    headers: HeaderMap,
    Query(q): Query<MapQuery>,
) -> ApiResult<Response> {
    let prefix = q.parent.unwrap_or_default();
    check_prefix(&prefix)?;
    let level = parse_level(q.level.as_deref(), AreaLevel::Grid)?;
    let zoom = q.zoom.unwrap_or(14);
    if !(8..=18).contains(&zoom) {
        return Err(ApiError::unprocessable(
            "invalid_zoom",
            format!("zoom {zoom} is outside 8..=18"),
        ));
    }
    let zoom = zoom as u8;
    let gcj02 = parse_crs(q.crs.as_deref())?;
    let index = state.city.get();
    let etag = format!(
        "\"city-{}-{}-{}-{}-{}\"",
        index.version,
        if prefix.is_empty() { "all" } else { &prefix },
        level.as_str(),
        zoom,
        if gcj02 { "gcj02" } else { "wgs84" }
    );
    let cache = HeaderValue::from_static("public, max-age=60, must-revalidate");
    if headers
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| etag_matches(v, &etag))
    {
        return Ok((
            StatusCode::NOT_MODIFIED,
            [
                (header::ETAG, etag),
                (
                    header::CACHE_CONTROL,
                    cache.to_str().unwrap_or_default().to_owned(),
                ),
            ],
        )
            .into_response());
    }
    let body = index.layer(&prefix, level, zoom, gcj02);
    Ok((
        [
            (header::CONTENT_TYPE, "application/geo+json".to_owned()),
            (header::ETAG, etag),
            (
                header::CACHE_CONTROL,
                cache.to_str().unwrap_or_default().to_owned(),
            ),
        ],
        body.as_str().to_owned(),
    )
        .into_response())
}

/// `GET /api/map/density` query.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DensityQuery {
    pub parent: Option<String>,
    pub level: Option<String>,
    /// `open` (default: every state before closing) or `all`.
    pub states: Option<String>,
}

/// `GET /api/map/density` — how many of the caller's visible cases lie in each area of a level
/// under `parent`, for colouring the map.
pub async fn density(
    State(state): State<AppState>,
    auth: AuthUser,
    Query(q): Query<DensityQuery>,
) -> ApiResult<Json<Value>> {
    let level = parse_level(q.level.as_deref(), AreaLevel::Grid)?;
    let area =
        match q.parent.as_deref().filter(|p| !p.is_empty()) {
            Some(p) => Some(domain::area::AreaCode::parse(p).map_err(|e| {
                ApiError::unprocessable("invalid_area_code", format!("parent: {e}"))
            })?),
            None => None,
        };
    let states = match q.states.as_deref() {
        None | Some("open") => CaseState::OPEN.to_vec(),
        Some("all") => Vec::new(),
        Some(other) => {
            return Err(ApiError::unprocessable(
                "invalid_states",
                format!("states {other:?}: use open or all"),
            ));
        }
    };
    let filter = CaseFilter {
        states,
        area,
        ..CaseFilter::default()
    };
    let vis = policy::visibility(&auth.caller);
    let counts = state
        .store
        .count_by_area(&filter, level, &vis, state.now())
        .await?;
    let total: i64 = counts.iter().map(|(_, n)| n).sum();
    let max = counts.iter().map(|(_, n)| *n).max().unwrap_or(0);
    let map: serde_json::Map<String, Value> =
        counts.into_iter().map(|(c, n)| (c, json!(n))).collect();
    Ok(Json(json!({
        "level": level.as_str(),
        "total": total,
        "max": max,
        "counts": map,
    })))
}

/// Export query.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ExportQuery {
    /// Areas/components under this area code.
    pub parent: Option<String>,
    /// Areas: one level only.
    pub level: Option<String>,
    /// Components: one class code.
    pub class: Option<String>,
    /// Components: keyset pagination (ids greater than this).
    pub after: Option<String>,
    /// Components: page size (default 10,000, at most 100,000).
    pub limit: Option<usize>,
    /// `geojson` (default) or `csv` (components only).
    pub format: Option<String>,
    pub crs: Option<String>,
}

/// `GET /api/layers/{layer}` — the stored layer as GeoJSON (components also CSV), full detail.
pub async fn export(
    State(state): State<AppState>,
    auth: AuthUser,
    Path(layer): Path<String>,
    Query(q): Query<ExportQuery>,
) -> ApiResult<Response> {
    let layer = Layer::parse(&layer).ok_or(ApiError::NotFound("layer"))?;
    // Outlines are public (the map); roads name their chiefs and components are asset records.
    if layer != Layer::Areas {
        require_any(&auth, STAFF)?;
    }
    let gcj02 = parse_crs(q.crs.as_deref())?;
    let csv = is_csv(layer, q.format.as_deref())?;
    if let Some(p) = &q.parent {
        check_prefix(p)?;
    }
    let geo = "application/geo+json";
    let (body, content_type) = match layer {
        Layer::Areas => {
            let level = match q.level.as_deref() {
                Some(l) => Some(parse_level(Some(l), AreaLevel::Grid)?),
                None => None,
            };
            let areas = state
                .store
                .areas_with_geometry(q.parent.as_deref(), level)
                .await?;
            (grid::geojson::write_areas(&areas, gcj02), geo)
        }
        Layer::Roads => {
            let roads = state.store.list_roads().await?;
            (grid::geojson::write_roads(&roads, gcj02), geo)
        }
        Layer::Components => {
            let f = ComponentFilter {
                area_prefix: q.parent.clone(),
                class_code: q.class.clone(),
                after_id: q.after.clone(),
                limit: q.limit.unwrap_or(10_000),
            };
            let comps = state.store.list_components(&f).await?;
            if csv {
                (
                    grid::geojson::write_components_csv(&comps, gcj02),
                    "text/csv; charset=utf-8",
                )
            } else {
                (grid::geojson::write_components(&comps, gcj02), geo)
            }
        }
    };
    Ok(([(header::CONTENT_TYPE, content_type)], body).into_response())
}

/// Import query.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ImportQuery {
    /// `geojson` (default) or `csv` (components only).
    pub format: Option<String>,
    /// `wgs84` (default) or `gcj02`: the file's coordinate system.
    pub crs: Option<String>,
}

/// `POST /api/layers/{layer}` — admin: validate and store a layer file, all or nothing. A file
/// with findings is refused with `invalid_layer` and every finding per feature.
pub async fn import(
    State(state): State<AppState>,
    auth: AuthUser,
    Path(layer): Path<String>,
    Query(q): Query<ImportQuery>,
    body: Result<Bytes, axum::extract::rejection::BytesRejection>,
) -> ApiResult<(StatusCode, Json<Value>)> {
    require_any(&auth, &[Role::Admin])?;
    let body = body.map_err(|e| {
        if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
            ApiError::TooLarge {
                limit: MAX_LAYER_BYTES,
            }
        } else {
            ApiError::BadRequest(e.body_text())
        }
    })?;
    let layer = Layer::parse(&layer).ok_or(ApiError::NotFound("layer"))?;
    let csv = is_csv(layer, q.format.as_deref())?;
    let opts = ImportOptions {
        csv,
        from_gcj02: parse_crs(q.crs.as_deref())?,
    };
    let outcome = import_layer(&state, layer, &body, opts, &|_| {}).await?;
    Ok((StatusCode::OK, Json(json!(outcome))))
}

/// Routes of this module; the import route accepts bodies up to [`MAX_LAYER_BYTES`].
pub fn router() -> axum::Router<AppState> {
    use axum::routing::get;
    axum::Router::new()
        .route("/api/geocode", get(geocode).post(geocode_batch))
        .route("/api/address", get(address))
        .route("/api/city", get(summary))
        .route("/api/map/areas", get(map_areas))
        .route("/api/map/density", get(density))
        .route(
            "/api/layers/{layer}",
            get(export)
                .post(import)
                .layer(axum::extract::DefaultBodyLimit::max(MAX_LAYER_BYTES)),
        )
}

#[cfg(test)]
mod tests {
    use super::etag_matches;

    #[test]
    fn if_none_match_accepts_lists_weak_tags_and_star() {
        let tag = "\"city-3-all-grid-14-wgs84\"";
        assert!(etag_matches(tag, tag));
        assert!(etag_matches(&format!("\"x\", W/{tag}"), tag));
        assert!(etag_matches("*", tag));
        assert!(!etag_matches("\"city-2-all-grid-14-wgs84\"", tag));
        assert!(!etag_matches("", tag));
    }
}
