//! GeoJSON layers (areas, roads, components) and the component CSV, in and out.
//!
//! # GeoJSON
//!
//! A layer is one `FeatureCollection` (RFC 7946). Properties per layer:
//!
//! | layer | geometry | properties |
//! |---|---|---|
//! | areas | `Polygon` or `MultiPolygon` | `code` (string, or an integer), `name`, optional `level` (`district`/`street`/`community`/`grid` or 区/街道/社区/网格; default: from the code length), optional `parent` (code) |
//! | roads | `LineString` | `id`, `name`, `class` (`expressway`/`arterial`/`secondary`/`branch` or 快速路/主干路/次干路/支路), optional `chief` (username or null) |
//! | components | `Point` | `id` (17 digits), `class_code` (5 digits), optional `status` (`intact`… or 完好/破损/丢失/废弃/移除; default intact), optional `owner_department_type` / `maintainer_department_type` (domain names such as `municipal`; default `other`), optional `grid_code` (default empty: the caller geocodes) |
//!
//! Other properties and members are ignored. Positions are `[lon, lat]` (a third value is
//! ignored). With `from_gcj02` every position is converted GCJ-02 → WGS-84 on the way in; the
//! writers convert WGS-84 → GCJ-02 with `to_gcj02`.
//!
//! The reader walks the `features` array one feature at a time (never the whole document as a
//! tree), so memory is the output plus one feature; errors carry the 0-based feature index.
//! [`parse_area_features`] keeps rings as given (unclosed, short) so [`crate::validate`] can
//! report them; [`parse_areas`] is strict and rejects them.
//!
//! # Component CSV
//!
//! UTF-8, comma-separated, one header row naming the columns (any order; unknown columns are
//! ignored): `id` (17 digits), `class_code` (5 digits), `status`, `owner_department_type`,
//! `maintainer_department_type`, `lon`, `lat` (WGS-84 degrees unless `from_gcj02`),
//! `grid_code`. `id`, `class_code`, `lon` and `lat` are required; the others default as in
//! GeoJSON. [`write_components_csv`] writes exactly these eight columns in this order.

use std::cell::RefCell;
use std::fmt::Write as _;

use serde::de::{DeserializeSeed, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::gcj02;
use crate::model::{
    Area, AreaLevel, Component, ComponentStatus, DepartmentType, MultiPolygon, Point, Polygon,
    Polyline, Road, RoadClass, level_of_code,
};

/// An import error, precise enough to show to the person who sent the file.
#[derive(Debug, Clone, PartialEq, thiserror::Error, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum LayerError {
    /// The bytes are not valid JSON.
    #[error("broken JSON at line {line}, column {column}: {message}")]
    Json {
        /// 1-based line.
        line: usize,
        /// 1-based column.
        column: usize,
        /// The parser's message.
        message: String,
    },
    /// Valid JSON, but not a FeatureCollection with a `features` array.
    #[error("not a GeoJSON FeatureCollection: {message}")]
    NotFeatureCollection {
        /// What is wrong.
        message: String,
    },
    /// One feature is unusable.
    #[error("feature {index}{}: {message}", code.as_deref().map(|c| format!(" ({c})")).unwrap_or_default())]
    Feature {
        /// 0-based index in `features`.
        index: usize,
        /// The feature's code or id, when it could be read.
        code: Option<String>,
        /// What is wrong, naming the property or geometry part.
        message: String,
    },
    /// A CSV row or the header is unusable.
    #[error("CSV line {line}: {message}")]
    Csv {
        /// 1-based line (the header is line 1).
        line: u64,
        /// What is wrong.
        message: String,
    },
}

/// Options of the readers.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ReadOptions {
    /// Positions in the file are GCJ-02; convert them to WGS-84.
    pub from_gcj02: bool,
}

/// One feature of an area layer as read, before strict checks (see [`crate::validate`]).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct AreaFeature {
    /// 0-based index in the file.
    pub index: usize,
    /// `code` property.
    pub code: String,
    /// `name` property.
    pub name: String,
    /// `level` property, if given.
    pub level: Option<AreaLevel>,
    /// `parent` property, if given.
    pub parent: Option<String>,
    /// Geometry as given (rings may be unclosed or short), WGS-84 degrees.
    pub polygon: MultiPolygon,
}

impl AreaFeature {
    /// The declared level, else the level implied by the code length.
    pub fn effective_level(&self) -> Option<AreaLevel> {
        self.level.or_else(|| level_of_code(&self.code))
    }
}

// ---------------------------------------------------------------------------------------------
// The streaming FeatureCollection walker.

type Handler<'a> = dyn FnMut(usize, Value) -> Result<(), LayerError> + 'a;

struct Walk<'a, 'b> {
    handler: &'b RefCell<&'a mut Handler<'a>>,
    failure: &'b RefCell<Option<LayerError>>,
}

impl<'de> Visitor<'de> for Walk<'_, '_> {
    type Value = ();
    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("a GeoJSON FeatureCollection object")
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        let mut saw_features = false;
        while let Some(key) = map.next_key::<String>()? {
            match key.as_str() {
                "type" => {
                    let t: Value = map.next_value()?;
                    if t.as_str() != Some("FeatureCollection") {
                        *self.failure.borrow_mut() = Some(LayerError::NotFeatureCollection {
                            message: format!("\"type\" is {t}, expected \"FeatureCollection\""),
                        });
                        return Err(serde::de::Error::custom("not a FeatureCollection"));
                    }
                }
                "features" => {
                    saw_features = true;
                    map.next_value_seed(Features {
                        handler: self.handler,
                        failure: self.failure,
                    })?;
                }
                _ => {
                    map.next_value::<IgnoredAny>()?;
                }
            }
        }
        if !saw_features {
            *self.failure.borrow_mut() = Some(LayerError::NotFeatureCollection {
                message: "no \"features\" array".into(),
            });
            return Err(serde::de::Error::custom("no features"));
        }
        Ok(())
    }
}

struct Features<'a, 'b> {
    handler: &'b RefCell<&'a mut Handler<'a>>,
    failure: &'b RefCell<Option<LayerError>>,
}

impl<'de> DeserializeSeed<'de> for Features<'_, '_> {
    type Value = ();
    fn deserialize<D: serde::Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_seq(self)
    }
}

impl<'de> Visitor<'de> for Features<'_, '_> {
    type Value = ();
    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("an array of features")
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        let mut index = 0usize;
        while let Some(v) = seq.next_element::<Value>()? {
            let r = (self.handler.borrow_mut())(index, v);
            if let Err(e) = r {
                *self.failure.borrow_mut() = Some(e);
                return Err(serde::de::Error::custom("feature rejected"));
            }
            index += 1;
        }
        Ok(())
    }
}

/// Calls `f(index, feature)` for each element of the collection's `features`, in order,
/// without building the whole document.
pub(crate) fn for_each_feature<'a>(input: &[u8], f: &'a mut Handler<'a>) -> Result<(), LayerError> {
    let handler = RefCell::new(f);
    let failure = RefCell::new(None);
    let mut de = serde_json::Deserializer::from_slice(input);
    let r = serde::Deserializer::deserialize_map(
        &mut de,
        Walk {
            handler: &handler,
            failure: &failure,
        },
    )
    .and_then(|()| de.end());
    if let Some(e) = failure.into_inner() {
        return Err(e);
    }
    r.map_err(|e| {
        if e.is_data() {
            LayerError::NotFeatureCollection {
                message: e.to_string(),
            }
        } else {
            LayerError::Json {
                line: e.line(),
                column: e.column(),
                message: e.to_string(),
            }
        }
    })
}

// ---------------------------------------------------------------------------------------------
// Feature helpers.

fn ferr(index: usize, code: Option<&str>, message: impl Into<String>) -> LayerError {
    LayerError::Feature {
        index,
        code: code.map(str::to_owned),
        message: message.into(),
    }
}

struct Feat<'v> {
    index: usize,
    props: Option<&'v serde_json::Map<String, Value>>,
    geometry: Option<&'v Value>,
}

impl<'v> Feat<'v> {
    fn new(index: usize, v: &'v Value) -> Result<Feat<'v>, LayerError> {
        let Some(obj) = v.as_object() else {
            return Err(ferr(index, None, "is not a JSON object"));
        };
        if obj.get("type").and_then(Value::as_str) != Some("Feature") {
            return Err(ferr(index, None, "\"type\" must be \"Feature\""));
        }
        Ok(Feat {
            index,
            props: obj.get("properties").and_then(Value::as_object),
            geometry: obj.get("geometry").filter(|g| !g.is_null()),
        })
    }

    /// A string property (integers accepted and printed), `None` when absent or null.
    fn opt_str(&self, key: &str, code: Option<&str>) -> Result<Option<String>, LayerError> {
        match self.props.and_then(|p| p.get(key)) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::String(s)) => Ok(Some(s.clone())),
            Some(Value::Number(n)) if n.is_u64() => Ok(Some(n.to_string())),
            Some(other) => Err(ferr(
                self.index,
                code,
                format!("property \"{key}\" must be a string, got {other}"),
            )),
        }
    }

    fn req_str(&self, key: &str, code: Option<&str>) -> Result<String, LayerError> {
        self.opt_str(key, code)?
            .ok_or_else(|| ferr(self.index, code, format!("missing property \"{key}\"")))
    }

    fn geometry(
        &self,
        code: Option<&str>,
        allowed: &[&str],
    ) -> Result<(&'v str, &'v Value), LayerError> {
        let g = self
            .geometry
            .ok_or_else(|| ferr(self.index, code, "missing geometry"))?;
        let t = g.get("type").and_then(Value::as_str).unwrap_or("");
        if !allowed.contains(&t) {
            return Err(ferr(
                self.index,
                code,
                format!(
                    "wrong geometry type {t:?}, expected {}",
                    allowed.join(" or ")
                ),
            ));
        }
        let c = g
            .get("coordinates")
            .ok_or_else(|| ferr(self.index, code, "geometry has no \"coordinates\""))?;
        Ok((t, c))
    }
}

fn position(v: &Value, gcj: bool) -> Option<Point> {
    let a = v.as_array()?;
    if a.len() < 2 {
        return None;
    }
    let p = Point::new(a[0].as_f64()?, a[1].as_f64()?);
    Some(if gcj { gcj02::gcj02_to_wgs84(p) } else { p })
}

fn positions(v: &Value, gcj: bool) -> Option<Vec<Point>> {
    v.as_array()?.iter().map(|p| position(p, gcj)).collect()
}

fn polygon(v: &Value, gcj: bool) -> Option<Polygon> {
    let rings = v.as_array()?;
    let mut it = rings.iter();
    let exterior = positions(it.next()?, gcj)?;
    let holes = it.map(|r| positions(r, gcj)).collect::<Option<Vec<_>>>()?;
    Some(Polygon { exterior, holes })
}

fn parse_level(s: &str) -> Option<AreaLevel> {
    match s {
        "district" | "区" | "县" | "区县" => Some(AreaLevel::District),
        "street" | "街道" | "镇" | "乡" => Some(AreaLevel::Street),
        "community" | "社区" | "村" => Some(AreaLevel::Community),
        "grid" | "网格" | "单元网格" => Some(AreaLevel::Grid),
        _ => None,
    }
}

// ---------------------------------------------------------------------------------------------
// Readers.

/// Reads an area layer as given (lenient on ring shape) for validation.
pub fn parse_area_features(
    input: &[u8],
    opts: ReadOptions,
) -> Result<Vec<AreaFeature>, LayerError> {
    let mut out = Vec::new();
    let mut f = |index: usize, v: Value| -> Result<(), LayerError> {
        let feat = Feat::new(index, &v)?;
        let code = feat.req_str("code", None)?;
        let c = Some(code.as_str());
        let name = feat.req_str("name", c)?;
        let level = match feat.opt_str("level", c)? {
            None => None,
            Some(s) => Some(parse_level(&s).ok_or_else(|| {
                ferr(
                    index,
                    c,
                    format!("unknown level {s:?} (district, street, community or grid)"),
                )
            })?),
        };
        let parent = feat.opt_str("parent", c)?;
        let (t, coords) = feat.geometry(c, &["Polygon", "MultiPolygon"])?;
        let polys = if t == "Polygon" {
            polygon(coords, opts.from_gcj02).map(|p| vec![p])
        } else {
            coords
                .as_array()
                .and_then(|ps| ps.iter().map(|p| polygon(p, opts.from_gcj02)).collect())
        };
        let polys = polys.ok_or_else(|| {
            ferr(
                index,
                c,
                format!("malformed {t} coordinates: expected arrays of [lon, lat] numbers"),
            )
        })?;
        out.push(AreaFeature {
            index,
            code,
            name,
            level,
            parent,
            polygon: MultiPolygon(polys),
        });
        Ok(())
    };
    for_each_feature(input, &mut f)?;
    Ok(out)
}

/// Reads an area layer strictly: every ring closed with ≥ 4 positions, a level known (declared
/// or from a 6/9/12/15-digit code).
pub fn parse_areas(input: &[u8], opts: ReadOptions) -> Result<Vec<Area>, LayerError> {
    parse_area_features(input, opts)?
        .into_iter()
        .map(|f| {
            let c = Some(f.code.as_str());
            for (pi, p) in f.polygon.0.iter().enumerate() {
                for (ri, r) in p.rings().enumerate() {
                    let which = ring_name(pi, ri);
                    if r.len() < 4 {
                        return Err(ferr(
                            f.index,
                            c,
                            format!("{which} has {} positions, at least 4 needed", r.len()),
                        ));
                    }
                    if r.first() != r.last() {
                        return Err(ferr(
                            f.index,
                            c,
                            format!("{which} is not closed (first position differs from last)"),
                        ));
                    }
                }
            }
            let level = f.effective_level().ok_or_else(|| {
                ferr(
                    f.index,
                    c,
                    "no \"level\" and the code is not 6, 9, 12 or 15 digits",
                )
            })?;
            Ok(Area {
                code: f.code,
                name: f.name,
                level,
                polygon: f.polygon,
            })
        })
        .collect()
}

/// "polygon 0 exterior ring" / "polygon 1 hole 2".
pub(crate) fn ring_name(poly: usize, ring: usize) -> String {
    if ring == 0 {
        format!("polygon {poly} exterior ring")
    } else {
        format!("polygon {poly} hole {}", ring - 1)
    }
}

/// Reads a road layer.
pub fn parse_roads(input: &[u8], opts: ReadOptions) -> Result<Vec<Road>, LayerError> {
    let mut out = Vec::new();
    let mut f = |index: usize, v: Value| -> Result<(), LayerError> {
        let feat = Feat::new(index, &v)?;
        let id = feat.req_str("id", None)?;
        let c = Some(id.as_str());
        let name = feat.req_str("name", c)?;
        let class_s = feat.req_str("class", c)?;
        let class = RoadClass::parse(&class_s).ok_or_else(|| {
            ferr(index, c, format!("unknown road class {class_s:?} (expressway, arterial, secondary, branch or 快速路/主干路/次干路/支路)"))
        })?;
        let chief = feat.opt_str("chief", c)?;
        let (_, coords) = feat.geometry(c, &["LineString"])?;
        let line = positions(coords, opts.from_gcj02)
            .ok_or_else(|| ferr(index, c, "malformed LineString coordinates"))?;
        if line.len() < 2 {
            return Err(ferr(index, c, "LineString needs at least 2 positions"));
        }
        out.push(Road {
            id,
            name,
            class,
            chief,
            line: Polyline(line),
        });
        Ok(())
    };
    for_each_feature(input, &mut f)?;
    Ok(out)
}

fn dept(
    s: Option<String>,
    index: usize,
    c: Option<&str>,
    key: &str,
) -> Result<DepartmentType, LayerError> {
    match s {
        None => Ok(DepartmentType::Other),
        Some(s) => DepartmentType::parse(&s).ok_or_else(|| {
            ferr(
                index,
                c,
                format!("unknown department type {s:?} in \"{key}\""),
            )
        }),
    }
}

fn status(s: Option<String>, index: usize, c: Option<&str>) -> Result<ComponentStatus, LayerError> {
    match s {
        None => Ok(ComponentStatus::Intact),
        Some(s) => ComponentStatus::parse(&s).ok_or_else(|| {
            ferr(index, c, format!("unknown status {s:?} (intact, damaged, lost, abandoned, removed or 完好/破损/丢失/废弃/移除)"))
        }),
    }
}

/// Reads a component layer (Point features).
pub fn parse_components(input: &[u8], opts: ReadOptions) -> Result<Vec<Component>, LayerError> {
    let mut out = Vec::new();
    let mut f = |index: usize, v: Value| -> Result<(), LayerError> {
        let feat = Feat::new(index, &v)?;
        let id = feat.req_str("id", None)?;
        let c = Some(id.as_str());
        let class_code = feat.req_str("class_code", c)?;
        let status = status(feat.opt_str("status", c)?, index, c)?;
        let owner = dept(
            feat.opt_str("owner_department_type", c)?,
            index,
            c,
            "owner_department_type",
        )?;
        let maint = dept(
            feat.opt_str("maintainer_department_type", c)?,
            index,
            c,
            "maintainer_department_type",
        )?;
        let grid_code = feat.opt_str("grid_code", c)?.unwrap_or_default();
        let (_, coords) = feat.geometry(c, &["Point"])?;
        let point = position(coords, opts.from_gcj02)
            .ok_or_else(|| ferr(index, c, "malformed Point coordinates: expected [lon, lat]"))?;
        out.push(Component {
            id,
            class_code,
            status,
            owner_department_type: owner,
            maintainer_department_type: maint,
            point,
            grid_code,
        });
        Ok(())
    };
    for_each_feature(input, &mut f)?;
    Ok(out)
}

// ---------------------------------------------------------------------------------------------
// Writers.

fn out_pt(p: Point, gcj: bool) -> Point {
    if gcj { gcj02::wgs84_to_gcj02(p) } else { p }
}

fn write_pos(s: &mut String, p: Point, gcj: bool) {
    let p = out_pt(p, gcj);
    let _ = write!(s, "[{},{}]", p.lon, p.lat);
}

fn write_positions(s: &mut String, ps: &[Point], gcj: bool) {
    s.push('[');
    for (i, p) in ps.iter().enumerate() {
        if i > 0 {
            s.push(',');
        }
        write_pos(s, *p, gcj);
    }
    s.push(']');
}

fn json_str(s: &mut String, v: &str) {
    // serde_json never fails on a &str.
    s.push_str(&serde_json::to_string(v).unwrap_or_else(|_| "\"\"".into()));
}

fn begin(s: &mut String, first: &mut bool) {
    if !*first {
        s.push_str(",\n");
    }
    *first = false;
}

/// Writes areas as a FeatureCollection of `MultiPolygon` features with `code`, `name`, `level`
/// (and `parent` for non-districts). `to_gcj02` converts positions.
pub fn write_areas(areas: &[Area], to_gcj02: bool) -> String {
    let mut s = String::from("{\"type\":\"FeatureCollection\",\"features\":[\n");
    let mut first = true;
    for a in areas {
        begin(&mut s, &mut first);
        s.push_str("{\"type\":\"Feature\",\"properties\":{\"code\":");
        json_str(&mut s, &a.code);
        s.push_str(",\"name\":");
        json_str(&mut s, &a.name);
        let _ = write!(s, ",\"level\":\"{}\"", a.level.as_str());
        if let Some(pl) = a.level.parent()
            && let Some(p) = a.code.get(..pl.code_len())
        {
            s.push_str(",\"parent\":");
            json_str(&mut s, p);
        }
        s.push_str("},\"geometry\":{\"type\":\"MultiPolygon\",\"coordinates\":[");
        for (pi, p) in a.polygon.0.iter().enumerate() {
            if pi > 0 {
                s.push(',');
            }
            s.push('[');
            for (ri, r) in p.rings().enumerate() {
                if ri > 0 {
                    s.push(',');
                }
                write_positions(&mut s, r, to_gcj02);
            }
            s.push(']');
        }
        s.push_str("]}}");
    }
    s.push_str("\n]}\n");
    s
}

/// Writes roads as `LineString` features with `id`, `name`, `class`, `chief`.
pub fn write_roads(roads: &[Road], to_gcj02: bool) -> String {
    let mut s = String::from("{\"type\":\"FeatureCollection\",\"features\":[\n");
    let mut first = true;
    for r in roads {
        begin(&mut s, &mut first);
        s.push_str("{\"type\":\"Feature\",\"properties\":{\"id\":");
        json_str(&mut s, &r.id);
        s.push_str(",\"name\":");
        json_str(&mut s, &r.name);
        let _ = write!(s, ",\"class\":\"{}\",\"chief\":", r.class.as_str());
        match &r.chief {
            Some(c) => json_str(&mut s, c),
            None => s.push_str("null"),
        }
        s.push_str("},\"geometry\":{\"type\":\"LineString\",\"coordinates\":");
        write_positions(&mut s, &r.line.0, to_gcj02);
        s.push_str("}}");
    }
    s.push_str("\n]}\n");
    s
}

/// Writes components as `Point` features with all model fields as properties.
pub fn write_components(components: &[Component], to_gcj02: bool) -> String {
    let mut s = String::with_capacity(components.len() * 260 + 64);
    s.push_str("{\"type\":\"FeatureCollection\",\"features\":[\n");
    let mut first = true;
    for c in components {
        begin(&mut s, &mut first);
        s.push_str("{\"type\":\"Feature\",\"properties\":{\"id\":");
        json_str(&mut s, &c.id);
        s.push_str(",\"class_code\":");
        json_str(&mut s, &c.class_code);
        let _ = write!(
            s,
            ",\"status\":\"{}\",\"owner_department_type\":\"{}\",\"maintainer_department_type\":\"{}\",\"grid_code\":",
            c.status.as_str(),
            c.owner_department_type.as_str(),
            c.maintainer_department_type.as_str()
        );
        json_str(&mut s, &c.grid_code);
        s.push_str("},\"geometry\":{\"type\":\"Point\",\"coordinates\":");
        write_pos(&mut s, c.point, to_gcj02);
        s.push_str("}}");
    }
    s.push_str("\n]}\n");
    s
}

// ---------------------------------------------------------------------------------------------
// Component CSV.

/// The columns [`write_components_csv`] writes, in order.
pub const COMPONENT_CSV_COLUMNS: [&str; 8] = [
    "id",
    "class_code",
    "status",
    "owner_department_type",
    "maintainer_department_type",
    "lon",
    "lat",
    "grid_code",
];

/// Reads components from CSV (see the module doc for the columns).
pub fn parse_components_csv(input: &[u8], opts: ReadOptions) -> Result<Vec<Component>, LayerError> {
    let mut rd = csv::ReaderBuilder::new()
        .has_headers(true)
        .flexible(false)
        .from_reader(input);
    let headers = rd
        .byte_headers()
        .map_err(|e| LayerError::Csv {
            line: 1,
            message: e.to_string(),
        })?
        .clone();
    let col = |name: &str| headers.iter().position(|h| h == name.as_bytes());
    let need = |name: &str| {
        col(name).ok_or_else(|| LayerError::Csv {
            line: 1,
            message: format!("missing column \"{name}\""),
        })
    };
    let (ci, cc, clon, clat) = (need("id")?, need("class_code")?, need("lon")?, need("lat")?);
    let (cs, co, cm, cg) = (
        col("status"),
        col("owner_department_type"),
        col("maintainer_department_type"),
        col("grid_code"),
    );
    let mut out = Vec::new();
    let mut rec = csv::ByteRecord::new();
    loop {
        let more = rd.read_byte_record(&mut rec).map_err(|e| LayerError::Csv {
            line: e.position().map_or(0, |p| p.line()),
            message: e.to_string(),
        })?;
        if !more {
            break;
        }
        let line = rec.position().map_or(0, |p| p.line());
        let cerr = |message: String| LayerError::Csv { line, message };
        let field = |i: usize| -> Result<&str, LayerError> {
            std::str::from_utf8(rec.get(i).unwrap_or(b"")).map_err(|_| {
                cerr(format!(
                    "column \"{}\" is not UTF-8",
                    COMPONENT_CSV_COLUMNS.get(i).unwrap_or(&"?")
                ))
            })
        };
        let opt = |i: Option<usize>| -> Result<Option<String>, LayerError> {
            match i {
                None => Ok(None),
                Some(i) => {
                    let v = field(i)?.trim();
                    Ok((!v.is_empty()).then(|| v.to_owned()))
                }
            }
        };
        let num = |i: usize, name: &str| -> Result<f64, LayerError> {
            let v = field(i)?.trim();
            v.parse::<f64>()
                .ok()
                .filter(|x| x.is_finite())
                .ok_or_else(|| cerr(format!("\"{name}\" is not a number: {v:?}")))
        };
        let id = field(ci)?.trim().to_owned();
        if id.is_empty() {
            return Err(cerr("empty \"id\"".into()));
        }
        let class_code = field(cc)?.trim().to_owned();
        let p = Point::new(num(clon, "lon")?, num(clat, "lat")?);
        let point = if opts.from_gcj02 {
            gcj02::gcj02_to_wgs84(p)
        } else {
            p
        };
        let status = match opt(cs)? {
            None => ComponentStatus::Intact,
            Some(s) => {
                ComponentStatus::parse(&s).ok_or_else(|| cerr(format!("unknown status {s:?}")))?
            }
        };
        let dep = |i: Option<usize>, name: &str| -> Result<DepartmentType, LayerError> {
            match opt(i)? {
                None => Ok(DepartmentType::Other),
                Some(s) => DepartmentType::parse(&s)
                    .ok_or_else(|| cerr(format!("unknown department type {s:?} in \"{name}\""))),
            }
        };
        let owner_department_type = dep(co, "owner_department_type")?;
        let maintainer_department_type = dep(cm, "maintainer_department_type")?;
        out.push(Component {
            id,
            class_code,
            status,
            owner_department_type,
            maintainer_department_type,
            point,
            grid_code: opt(cg)?.unwrap_or_default(),
        });
    }
    Ok(out)
}

/// Writes components as CSV with [`COMPONENT_CSV_COLUMNS`].
pub fn write_components_csv(components: &[Component], to_gcj02: bool) -> String {
    let mut s = String::with_capacity(components.len() * 80 + 100);
    s.push_str(&COMPONENT_CSV_COLUMNS.join(","));
    s.push('\n');
    for c in components {
        let p = out_pt(c.point, to_gcj02);
        // Ids, codes and enum names never contain commas or quotes; quote defensively anyway.
        let q = |v: &str| -> String {
            if v.contains([',', '"', '\n', '\r']) {
                format!("\"{}\"", v.replace('"', "\"\""))
            } else {
                v.to_owned()
            }
        };
        let _ = writeln!(
            s,
            "{},{},{},{},{},{},{},{}",
            q(&c.id),
            q(&c.class_code),
            c.status.as_str(),
            c.owner_department_type.as_str(),
            c.maintainer_department_type.as_str(),
            p.lon,
            p.lat,
            q(&c.grid_code)
        );
    }
    s
}
