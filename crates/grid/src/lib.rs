//! Spatial core of yiwang: the city model, the point geocoder, WGS-84 ⇄ GCJ-02, GeoJSON/CSV
//! layers, validation, per-zoom simplification and the deterministic Zhengzhou demo city.
//!
//! Contract: pure. No IO beyond the bytes and strings the caller passes in, no clock, no async.
//! Coordinates are WGS-84 longitude/latitude in degrees; lengths in metres; areas in m².
//! Nothing panics on input: bad coordinates are errors, bad layers are reports.
//!
//! Wiring in short:
//! - [`generate()`]`(seed, Scale::Demo)` → a [`CityModel`] (areas, roads, components);
//!   [`generate_with`] takes road-chief usernames; [`random_points`] samples inside grids.
//! - [`Geocoder::build`]`(&model)`, then [`Geocoder::grid_at`] (hot path, no allocation,
//!   `Ok(None)` outside) or [`Geocoder::locate`] (grid, parents, nearest road, Chinese address).
//!   The tie rule on shared borders is documented in [`geocode`].
//! - [`parse_areas`] / [`parse_roads`] / [`parse_components`] (GeoJSON, optionally from
//!   GCJ-02) and [`write_areas`] / [`write_roads`] / [`write_components`];
//!   [`parse_components_csv`] / [`write_components_csv`]; [`parse_area_features`] keeps broken
//!   rings for the validator.
//! - [`validate_areas`] / [`validate_components`] → a serde [`Report`] of [`Issue`]s; the
//!   caller imports only when [`Report::is_ok`].
//! - [`simplify_areas`] for drawing at a zoom level.
//! - [`wgs84_to_gcj02`] / [`gcj02_to_wgs84`].

pub mod address;
pub mod gcj02;
pub mod generate;
pub mod geocode;
pub mod geojson;
pub mod geom;
pub mod model;
pub mod simplify;
pub mod validate;

pub use gcj02::{gcj02_to_wgs84, wgs84_to_gcj02};
pub use generate::{
    GenerateOptions, Scale, ZHENGZHOU_AREAS_CSV, generate, generate_with, random_points,
    random_points_in_bbox,
};
pub use geocode::{
    AreaRef, GeocodeError, Geocoded, Geocoder, GridIdx, IndexStats, Location, RoadHit,
};
pub use geojson::{
    AreaFeature, COMPONENT_CSV_COLUMNS, LayerError, ReadOptions, parse_area_features, parse_areas,
    parse_components, parse_components_csv, parse_roads, write_areas, write_components,
    write_components_csv, write_roads,
};
pub use model::{
    Area, AreaLevel, BBox, CityModel, Component, ComponentStatus, DepartmentType, MultiPolygon,
    Point, Polygon, Polyline, Road, RoadClass, level_of_code,
};
pub use simplify::{metres_per_pixel, simplify_areas, simplify_multipolygon};
pub use validate::{
    Issue, IssueKind, Report, ValidateOptions, builtin_component_classes, validate_areas,
    validate_components,
};
