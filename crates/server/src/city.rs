//! The node's in-memory view of the city model: the geocoder over every unit grid and road,
//! and the simplified map layers served to the UI.
//!
//! The database is the truth; every node builds its [`CityIndex`] from it at start and again
//! whenever the model changes (an import on any node bumps the stored `city.version` and
//! publishes [`crate::bus::BusEvent::CityChanged`], so other nodes reload too). Nothing here must
//! be shared between nodes.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, RwLock};

use domain::area::AreaLevel;
use grid::{Area, Geocoded, Geocoder};
use store::{Store, StoreError};

/// Setting that counts changes to the stored city model (for reloads and map ETags).
pub const VERSION_SETTING: &str = "city.version";

/// Nearest-road search radius for addresses, metres.
pub const ROAD_RADIUS_M: f64 = 300.0;

/// Key of a cached map layer: parent prefix, level, zoom, GCJ-02.
type LayerKey = (String, AreaLevel, u8, bool);

/// One immutable build of the city model.
pub struct CityIndex {
    /// Point → grid → community → street → district, nearest road.
    pub geocoder: Geocoder,
    /// Every area with an outline, by code.
    pub areas: Vec<Area>,
    /// Address text → point (area and road names, intersections), for reports without one.
    pub gazetteer: grid::address::Gazetteer,
    /// The stored `city.version` this index was built from.
    pub version: i64,
    layers: Mutex<HashMap<LayerKey, Arc<String>>>,
}

impl CityIndex {
    fn build(model: &grid::CityModel, version: i64) -> CityIndex {
        let mut areas = model.areas.clone();
        areas.sort_by(|a, b| a.code.cmp(&b.code));
        CityIndex {
            geocoder: Geocoder::build(model),
            gazetteer: grid::address::Gazetteer::from_model(model),
            areas,
            version,
            layers: Mutex::new(HashMap::new()),
        }
    }

    /// Whether any unit grid is loaded (a city without grids geocodes nothing).
    pub fn has_grids(&self) -> bool {
        self.geocoder.grid_count() > 0
    }

    /// Locates a point: grid, parents, nearest road within [`ROAD_RADIUS_M`], address.
    ///
    /// # Errors
    /// A coordinate that is not a finite WGS-84 position.
    pub fn locate(&self, lon: f64, lat: f64) -> Result<Geocoded, grid::GeocodeError> {
        self.geocoder.locate(lon, lat, ROAD_RADIUS_M)
    }

    /// Areas under `prefix` at `level`, simplified for `zoom`, as a GeoJSON FeatureCollection
    /// (GCJ-02 when `gcj02`). Built once per index and key, then served from memory.
    pub fn layer(&self, prefix: &str, level: AreaLevel, zoom: u8, gcj02: bool) -> Arc<String> {
        let key = (prefix.to_owned(), level, zoom, gcj02);
        if let Ok(cache) = self.layers.lock()
            && let Some(hit) = cache.get(&key)
        {
            return hit.clone();
        }
        let start = self.areas.partition_point(|a| a.code.as_str() < prefix);
        let picked: Vec<Area> = self.areas[start..]
            .iter()
            .take_while(|a| a.code.starts_with(prefix))
            .filter(|a| a.level == level)
            .cloned()
            .collect();
        let simplified = grid::simplify::simplify_areas(&picked, zoom);
        let text = Arc::new(grid::geojson::write_areas(&simplified, gcj02));
        if let Ok(mut cache) = self.layers.lock() {
            // A bounded cache: zoom levels × areas asked for; start over if it grows past that.
            if cache.len() > 512 {
                cache.clear();
            }
            cache.insert(key, text.clone());
        }
        text
    }
}

/// The current [`CityIndex`], swapped whole on reload. Cheap to clone.
#[derive(Clone)]
pub struct CityCache {
    current: Arc<RwLock<Arc<CityIndex>>>,
}

impl Default for CityCache {
    fn default() -> Self {
        CityCache {
            current: Arc::new(RwLock::new(Arc::new(CityIndex::build(
                &grid::CityModel::default(),
                0,
            )))),
        }
    }
}

impl CityCache {
    /// The index in use now.
    pub fn get(&self) -> Arc<CityIndex> {
        match self.current.read() {
            Ok(g) => g.clone(),
            Err(poisoned) => poisoned.into_inner().clone(),
        }
    }

    /// Rebuilds from the store if its `city.version` differs from the one in use (or always
    /// when `force`). Building takes about a second per 100,000 grids, off the async threads.
    ///
    /// # Errors
    /// The store cannot be read.
    pub async fn reload(&self, store: &Store, force: bool) -> Result<(), StoreError> {
        let version: i64 = store.setting(VERSION_SETTING).await?.unwrap_or(0);
        if !force && version == self.get().version {
            return Ok(());
        }
        let model = store.load_city().await?;
        let index = tokio::task::spawn_blocking(move || CityIndex::build(&model, version))
            .await
            .map_err(|e| StoreError::Invalid(format!("building the city index failed: {e}")))?;
        let index = Arc::new(index);
        match self.current.write() {
            Ok(mut g) => *g = index,
            Err(poisoned) => *poisoned.into_inner() = index,
        }
        Ok(())
    }
}

/// A layer of the city model.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Layer {
    /// Districts, streets, communities and unit grids (GeoJSON polygons).
    Areas,
    /// Roads (GeoJSON line strings).
    Roads,
    /// Management components 部件 (GeoJSON points or CSV).
    Components,
}

impl Layer {
    /// Parses `areas`, `roads` or `components`.
    pub fn parse(s: &str) -> Option<Layer> {
        match s {
            "areas" => Some(Layer::Areas),
            "roads" => Some(Layer::Roads),
            "components" => Some(Layer::Components),
            _ => None,
        }
    }
}

/// How an imported file is written.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ImportOptions {
    /// Components as CSV instead of GeoJSON.
    pub csv: bool,
    /// Positions in the file are GCJ-02 (converted to WGS-84 on the way in).
    pub from_gcj02: bool,
}

/// What an import stored.
#[derive(Clone, Debug, serde::Serialize)]
pub struct ImportOutcome {
    pub layer: Layer,
    /// Features written (inserted or replaced).
    pub imported: usize,
    /// The new `city.version`.
    pub version: i64,
}

/// Why an import stored nothing.
#[derive(Debug, thiserror::Error)]
pub enum ImportError {
    /// The file cannot be read as the layer (broken JSON, missing property …).
    #[error("{0}")]
    Parse(#[from] grid::geojson::LayerError),
    /// Readable, but features fail validation.
    #[error("{} of {} features fail validation; first: {}", .0.issues.len(), .0.features, .0.issues.first().map(|i| i.message.as_str()).unwrap_or(""))]
    Invalid(grid::validate::Report),
    /// The store refused or failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl From<ImportError> for crate::ApiError {
    fn from(e: ImportError) -> Self {
        match e {
            ImportError::Parse(p) => {
                crate::ApiError::unprocessable("invalid_layer_file", p.to_string())
            }
            ImportError::Invalid(ref report) => crate::ApiError::InvalidLayer {
                message: e.to_string(),
                issues: serde_json::to_value(&report.issues).unwrap_or_default(),
            },
            ImportError::Store(s) => s.into(),
        }
    }
}

/// Validates and stores one layer file, all or nothing; then bumps `city.version`, rebuilds this
/// node's index and tells the other nodes. `progress` gets the count written so far.
///
/// Areas are checked against the stored areas (codes, parents, closure, self-intersection,
/// overlaps and gaps between siblings, containment in the parent); components get their grid
/// from the geocoder when the file leaves it empty, then are checked against the taxonomy and
/// their grid's outline.
///
/// # Errors
/// [`ImportError`]: nothing of the file is stored then.
pub async fn import_layer(
    state: &crate::AppState,
    layer: Layer,
    bytes: &[u8],
    opts: ImportOptions,
    progress: &(dyn Fn(usize) + Sync),
) -> Result<ImportOutcome, ImportError> {
    let read = grid::geojson::ReadOptions {
        from_gcj02: opts.from_gcj02,
    };
    let now = state.now();
    let current = state.city.get();
    let imported = match layer {
        Layer::Areas => {
            let features = grid::geojson::parse_area_features(bytes, read)?;
            let report = grid::validate::validate_areas(
                &features,
                &current.areas,
                &grid::validate::ValidateOptions::default(),
            );
            if !report.is_ok() {
                return Err(ImportError::Invalid(report));
            }
            let areas = grid::geojson::parse_areas(bytes, read)?;
            state.store.import_areas(&areas, now).await?
        }
        Layer::Roads => {
            let roads = grid::geojson::parse_roads(bytes, read)?;
            let report =
                grid::validate::validate_roads(&roads, &grid::validate::ValidateOptions::default());
            if !report.is_ok() {
                return Err(ImportError::Invalid(report));
            }
            state.store.import_roads(&roads, now).await?
        }
        Layer::Components => {
            let mut components = if opts.csv {
                grid::geojson::parse_components_csv(bytes, read)?
            } else {
                grid::geojson::parse_components(bytes, read)?
            };
            for c in components.iter_mut().filter(|c| c.grid_code.is_empty()) {
                if let Ok(Some(g)) = current.geocoder.grid_at(c.point.lon, c.point.lat) {
                    c.grid_code = current.geocoder.grid_code(g).to_owned();
                }
            }
            let classes: std::collections::HashSet<String> = state
                .store
                .list_classes()
                .await?
                .into_iter()
                .filter(|c| c.kind == domain::taxonomy::ClassKind::Component)
                .map(|c| c.code)
                .collect();
            let report = grid::validate::validate_components(
                &components,
                &classes,
                &current.areas,
                &grid::validate::ValidateOptions::default(),
            );
            if !report.is_ok() {
                return Err(ImportError::Invalid(report));
            }
            state
                .store
                .import_components(&components, now, progress)
                .await?
        }
    };
    progress(imported);
    let version = bump_version(state).await?;
    Ok(ImportOutcome {
        layer,
        imported,
        version,
    })
}

/// Counts a change to the stored city model, reloads this node and tells the others.
///
/// # Errors
/// The store cannot be written or read.
pub async fn bump_version(state: &crate::AppState) -> Result<i64, StoreError> {
    let version: i64 = state.store.setting(VERSION_SETTING).await?.unwrap_or(0) + 1;
    state
        .store
        .put_setting(VERSION_SETTING, &version, state.now())
        .await?;
    state.city.reload(&state.store, true).await?;
    state
        .bus
        .publish(crate::bus::BusEvent::CityChanged { version });
    Ok(version)
}
