//! The city model in the database: outlines of areas and unit grids, roads with their road
//! chiefs 路长, and management components 部件 (GB/T 47678.5).
//!
//! Geometry is stored as GeoJSON `coordinates` text (WGS-84 `[lon, lat]` degrees, 7 decimals ≈
//! 1 cm), so another tool (PostGIS `ST_GeomFromGeoJSON`, QGIS) can read the same column.
//! Imports are all-or-nothing: one transaction per call.

use std::fmt::Write as _;

use domain::area::AreaLevel;
use domain::time::Timestamp;
use grid::{
    Area, CityModel, Component, ComponentStatus, DepartmentType, MultiPolygon, Point, Polygon,
    Polyline, Road, RoadClass,
};

use crate::rows::{Arg, RowExt, bind_args};
use crate::{Store, StoreError, on_read, on_write};

/// Rows per multi-row INSERT (9 columns × 100 = 900 parameters, under every backend's limit).
const CHUNK: usize = 100;

fn push_point(out: &mut String, p: &Point) {
    let _ = write!(out, "[{:.7},{:.7}]", p.lon, p.lat);
}

fn push_ring(out: &mut String, ring: &[Point]) {
    out.push('[');
    for (i, p) in ring.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        push_point(out, p);
    }
    out.push(']');
}

/// A multipolygon as GeoJSON `MultiPolygon` coordinates.
pub fn encode_multipolygon(mp: &MultiPolygon) -> String {
    let mut out = String::with_capacity(64 * mp.0.len().max(1));
    out.push('[');
    for (i, poly) in mp.0.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        out.push('[');
        for (j, ring) in poly.rings().enumerate() {
            if j > 0 {
                out.push(',');
            }
            push_ring(&mut out, ring);
        }
        out.push(']');
    }
    out.push(']');
    out
}

/// A polyline as GeoJSON `LineString` coordinates.
pub fn encode_line(line: &Polyline) -> String {
    let mut out = String::with_capacity(24 * line.0.len());
    push_ring(&mut out, &line.0);
    out
}

fn points(ring: Vec<[f64; 2]>) -> Vec<Point> {
    ring.into_iter()
        .map(|[lon, lat]| Point { lon, lat })
        .collect()
}

/// Reads [`encode_multipolygon`]'s text back.
///
/// # Errors
/// Not GeoJSON `MultiPolygon` coordinates.
pub fn decode_multipolygon(text: &str) -> Result<MultiPolygon, StoreError> {
    let raw: Vec<Vec<Vec<[f64; 2]>>> = serde_json::from_str(text)?;
    let polys = raw
        .into_iter()
        .map(|rings| {
            let mut rings = rings.into_iter().map(points);
            Polygon {
                exterior: rings.next().unwrap_or_default(),
                holes: rings.collect(),
            }
        })
        .collect();
    Ok(MultiPolygon(polys))
}

/// Reads [`encode_line`]'s text back.
///
/// # Errors
/// Not GeoJSON `LineString` coordinates.
pub fn decode_line(text: &str) -> Result<Polyline, StoreError> {
    let raw: Vec<[f64; 2]> = serde_json::from_str(text)?;
    Ok(Polyline(points(raw)))
}

fn corrupt(what: &str, value: &str) -> StoreError {
    StoreError::Corrupt(format!("{what} {value:?}"))
}

fn area_from_row(r: &impl RowExt) -> Result<Area, StoreError> {
    let code = r.text("code")?;
    let level = grid::model::level_of_code(&code).ok_or_else(|| corrupt("area code", &code))?;
    Ok(Area {
        polygon: decode_multipolygon(&r.text("geometry")?)?,
        name: r.text("name")?,
        level,
        code,
    })
}

fn road_from_row(r: &impl RowExt) -> Result<Road, StoreError> {
    let class = r.text("class")?;
    Ok(Road {
        id: r.text("id")?,
        name: r.text("name")?,
        class: RoadClass::parse(&class).ok_or_else(|| corrupt("road class", &class))?,
        chief: r.opt_text("chief")?,
        line: decode_line(&r.text("geometry")?)?,
    })
}

fn component_from_row(r: &impl RowExt) -> Result<Component, StoreError> {
    let status = r.text("status")?;
    let dept = |col: &str| -> Result<DepartmentType, StoreError> {
        let v = r.text(col)?;
        DepartmentType::parse(&v).ok_or_else(|| corrupt("department type", &v))
    };
    Ok(Component {
        id: r.text("id")?,
        class_code: r.text("class_code")?,
        status: ComponentStatus::parse(&status).ok_or_else(|| corrupt("status", &status))?,
        owner_department_type: dept("owner_department_type")?,
        maintainer_department_type: dept("maintainer_department_type")?,
        point: Point {
            lon: r.opt_f64("lon")?.unwrap_or(f64::NAN),
            lat: r.opt_f64("lat")?.unwrap_or(f64::NAN),
        },
        grid_code: r.text("grid_code")?,
    })
}

/// Which components to read.
#[derive(Clone, Debug, Default)]
pub struct ComponentFilter {
    /// Components in areas whose code starts with this (a district, street, community or grid).
    pub area_prefix: Option<String>,
    /// One class code.
    pub class_code: Option<String>,
    /// Only components with an id greater than this (keyset pagination).
    pub after_id: Option<String>,
    /// At most this many (capped at 100,000).
    pub limit: usize,
}

/// The parent of an area code (code prefixes), `None` for a district.
fn parent_of(code: &str) -> Option<&str> {
    match code.len() {
        9 => code.get(..6),
        12 => code.get(..9),
        15 => code.get(..12),
        _ => None,
    }
}

impl Store {
    /// Inserts or replaces areas with their outlines, parents first, in one transaction.
    /// `areas` may be in any order: they are written district → street → community → grid.
    ///
    /// # Errors
    /// A code whose parent is neither stored nor in `areas` ([`StoreError::ForeignKey`]);
    /// nothing is written then.
    pub async fn import_areas(&self, areas: &[Area], now: Timestamp) -> Result<usize, StoreError> {
        let mut sorted: Vec<&Area> = areas.iter().collect();
        sorted.sort_by_key(|a| (a.code.len(), a.code.as_str()));
        on_write!(self, p => {
            let mut tx = p.begin().await?;
            for chunk in sorted.chunks(CHUNK) {
                // One level per statement, so a parent is always in an earlier statement.
                let mut start = 0;
                while start < chunk.len() {
                    let len = chunk[start].code.len();
                    let end = chunk[start..].iter().position(|a| a.code.len() != len).map_or(chunk.len(), |i| start + i);
                    let part = &chunk[start..end];
                    let mut args: Vec<Arg> = Vec::with_capacity(part.len() * 6);
                    let mut values = Vec::with_capacity(part.len());
                    for a in part {
                        let b = args.len();
                        values.push(format!("(${}, ${}, ${}, ${}, ${}, ${})", b + 1, b + 2, b + 3, b + 4, b + 5, b + 6));
                        args.push(a.code.as_str().into());
                        args.push(a.level.as_str().into());
                        args.push(a.name.as_str().into());
                        args.push(parent_of(&a.code).map(str::to_owned).into());
                        args.push(encode_multipolygon(&a.polygon).into());
                        args.push(now.0.into());
                    }
                    let sql = format!(
                        "INSERT INTO areas (code, level, name, parent_code, geometry, created_at) VALUES {} \
                         ON CONFLICT (code) DO UPDATE SET name = excluded.name, geometry = excluded.geometry",
                        values.join(", ")
                    );
                    bind_args!(sqlx::query(sqlx::AssertSqlSafe(sql)), &args).execute(&mut *tx).await?;
                    start = end;
                }
            }
            tx.commit().await?;
        });
        Ok(areas.len())
    }

    /// Inserts or replaces roads in one transaction; `chief` usernames are resolved to users.
    ///
    /// # Errors
    /// A chief who is not a user ([`StoreError::ForeignKey`]); nothing is written then.
    pub async fn import_roads(&self, roads: &[Road], now: Timestamp) -> Result<usize, StoreError> {
        let mut chiefs = std::collections::HashMap::new();
        for r in roads {
            if let Some(name) = &r.chief
                && !chiefs.contains_key(name.as_str())
            {
                let user = self.user_by_username(name).await?.ok_or_else(|| {
                    StoreError::ForeignKey(format!(
                        "road {}: no user {name:?} to be its road chief",
                        r.id
                    ))
                })?;
                chiefs.insert(name.as_str(), user.id);
            }
        }
        on_write!(self, p => {
            let mut tx = p.begin().await?;
            for chunk in roads.chunks(CHUNK) {
                let mut args: Vec<Arg> = Vec::with_capacity(chunk.len() * 7);
                let mut values = Vec::with_capacity(chunk.len());
                for r in chunk {
                    let b = args.len();
                    values.push(format!("(${}, ${}, ${}, ${}, ${}, ${}, ${})", b + 1, b + 2, b + 3, b + 4, b + 5, b + 6, b + 7));
                    args.push(r.id.as_str().into());
                    args.push(r.name.as_str().into());
                    args.push(r.class.as_str().into());
                    args.push(r.chief.as_deref().and_then(|c| chiefs.get(c).copied()).into());
                    args.push(Arg::F64(Some(r.line.length_m())));
                    args.push(encode_line(&r.line).into());
                    args.push(now.0.into());
                }
                let sql = format!(
                    "INSERT INTO roads (id, name, class, chief_id, length_m, geometry, updated_at) VALUES {} \
                     ON CONFLICT (id) DO UPDATE SET name = excluded.name, class = excluded.class, chief_id = excluded.chief_id, \
                     length_m = excluded.length_m, geometry = excluded.geometry, updated_at = excluded.updated_at",
                    values.join(", ")
                );
                bind_args!(sqlx::query(sqlx::AssertSqlSafe(sql)), &args).execute(&mut *tx).await?;
            }
            tx.commit().await?;
        });
        Ok(roads.len())
    }

    /// Inserts or replaces components in one transaction, calling `progress` with the count
    /// written so far after every few thousand.
    ///
    /// # Errors
    /// A grid code that is not a stored area ([`StoreError::ForeignKey`]); nothing is written.
    pub async fn import_components(
        &self,
        components: &[Component],
        now: Timestamp,
        progress: &(dyn Fn(usize) + Sync),
    ) -> Result<usize, StoreError> {
        let mut done = 0;
        on_write!(self, p => {
            let mut tx = p.begin().await?;
            for chunk in components.chunks(CHUNK) {
                let mut args: Vec<Arg> = Vec::with_capacity(chunk.len() * 9);
                let mut values = Vec::with_capacity(chunk.len());
                for c in chunk {
                    let b = args.len();
                    values.push(format!(
                        "(${}, ${}, ${}, ${}, ${}, ${}, ${}, ${}, ${})",
                        b + 1, b + 2, b + 3, b + 4, b + 5, b + 6, b + 7, b + 8, b + 9
                    ));
                    args.push(c.id.as_str().into());
                    args.push(c.class_code.as_str().into());
                    args.push(c.status.as_str().into());
                    args.push(c.owner_department_type.as_str().into());
                    args.push(c.maintainer_department_type.as_str().into());
                    args.push(Arg::F64(Some(c.point.lon)));
                    args.push(Arg::F64(Some(c.point.lat)));
                    args.push(c.grid_code.as_str().into());
                    args.push(now.0.into());
                }
                let sql = format!(
                    "INSERT INTO components (id, class_code, status, owner_department_type, maintainer_department_type, lon, lat, grid_code, updated_at) \
                     VALUES {} ON CONFLICT (id) DO UPDATE SET class_code = excluded.class_code, status = excluded.status, \
                     owner_department_type = excluded.owner_department_type, maintainer_department_type = excluded.maintainer_department_type, \
                     lon = excluded.lon, lat = excluded.lat, grid_code = excluded.grid_code, updated_at = excluded.updated_at",
                    values.join(", ")
                );
                bind_args!(sqlx::query(sqlx::AssertSqlSafe(sql)), &args).execute(&mut *tx).await?;
                done += chunk.len();
                if done % 5_000 < CHUNK || done == components.len() {
                    progress(done);
                }
            }
            tx.commit().await?;
        });
        Ok(done)
    }

    /// Areas with an outline, optionally only those under `prefix` and at `level`, by code.
    ///
    /// # Errors
    /// Database failure; a stored outline that is not GeoJSON coordinates.
    pub async fn areas_with_geometry(
        &self,
        prefix: Option<&str>,
        level: Option<AreaLevel>,
    ) -> Result<Vec<Area>, StoreError> {
        let pattern = prefix.map(|p| format!("{}%", p.replace(['%', '_'], "")));
        on_read!(self, p => {
            let rows = sqlx::query(
                "SELECT code, name, geometry FROM areas WHERE geometry IS NOT NULL \
                 AND ($1 IS NULL OR code LIKE $1) AND ($2 IS NULL OR level = $2) ORDER BY code",
            )
            .bind(pattern.as_deref())
            .bind(level.map(|l| l.as_str()))
            .fetch_all(p)
            .await?;
            rows.iter().map(area_from_row).collect()
        })
    }

    /// Every road, by id, with its chief's username.
    ///
    /// # Errors
    /// Database failure; a stored line that is not GeoJSON coordinates.
    pub async fn list_roads(&self) -> Result<Vec<Road>, StoreError> {
        on_read!(self, p => {
            let rows = sqlx::query(
                "SELECT r.id, r.name, r.class, u.username AS chief, r.geometry FROM roads r \
                 LEFT JOIN users u ON u.id = r.chief_id ORDER BY r.id",
            )
            .fetch_all(p)
            .await?;
            rows.iter().map(road_from_row).collect()
        })
    }

    /// What the geocoder needs: every area with an outline, and every road.
    ///
    /// # Errors
    /// As [`Store::areas_with_geometry`] and [`Store::list_roads`].
    pub async fn load_city(&self) -> Result<CityModel, StoreError> {
        Ok(CityModel {
            areas: self.areas_with_geometry(None, None).await?,
            roads: self.list_roads().await?,
            components: Vec::new(),
        })
    }

    /// Components matching `f`, by id.
    ///
    /// # Errors
    /// Database failure.
    pub async fn list_components(&self, f: &ComponentFilter) -> Result<Vec<Component>, StoreError> {
        let pattern = f
            .area_prefix
            .as_ref()
            .map(|p| format!("{}%", p.replace(['%', '_'], "")));
        let limit = f.limit.clamp(1, 100_000) as i64;
        on_read!(self, p => {
            let rows = sqlx::query(
                "SELECT id, class_code, status, owner_department_type, maintainer_department_type, lon, lat, grid_code \
                 FROM components WHERE ($1 IS NULL OR grid_code LIKE $1) AND ($2 IS NULL OR class_code = $2) \
                 AND ($3 IS NULL OR id > $3) ORDER BY id LIMIT $4",
            )
            .bind(pattern.as_deref())
            .bind(f.class_code.as_deref())
            .bind(f.after_id.as_deref())
            .bind(limit)
            .fetch_all(p)
            .await?;
            rows.iter().map(component_from_row).collect()
        })
    }

    /// How many components, areas with outlines and roads are stored.
    ///
    /// # Errors
    /// Database failure.
    pub async fn city_counts(&self) -> Result<CityCounts, StoreError> {
        on_read!(self, p => {
            let row = sqlx::query(
                "SELECT (SELECT COUNT(*) FROM areas WHERE geometry IS NOT NULL AND level = 'grid') AS grids, \
                 (SELECT COUNT(*) FROM areas WHERE geometry IS NOT NULL) AS areas, \
                 (SELECT COUNT(*) FROM roads) AS roads, (SELECT COUNT(*) FROM components) AS components",
            )
            .fetch_one(p)
            .await?;
            Ok(CityCounts {
                grids: row.i64("grids")?,
                areas: row.i64("areas")?,
                roads: row.i64("roads")?,
                components: row.i64("components")?,
            })
        })
    }
}

/// Sizes of the stored city model.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
pub struct CityCounts {
    /// Unit grids with an outline.
    pub grids: i64,
    /// Areas of every level with an outline (grids included).
    pub areas: i64,
    pub roads: i64,
    pub components: i64,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn geometry_text_round_trips_to_a_centimetre() {
        let mp = MultiPolygon(vec![Polygon {
            exterior: vec![
                Point::new(113.61, 34.75),
                Point::new(113.612_345_678_9, 34.75),
                Point::new(113.612_345_678_9, 34.751),
                Point::new(113.61, 34.75),
            ],
            holes: vec![vec![
                Point::new(113.611, 34.7502),
                Point::new(113.6112, 34.7502),
                Point::new(113.6112, 34.7504),
                Point::new(113.611, 34.7502),
            ]],
        }]);
        let text = encode_multipolygon(&mp);
        assert!(text.starts_with("[[[[113.6100000,34.7500000]"), "{text}");
        let back = decode_multipolygon(&text).expect("decode");
        assert_eq!(back.0.len(), 1);
        assert_eq!(back.0[0].holes.len(), 1);
        for (a, b) in mp.rings().flatten().zip(back.rings().flatten()) {
            assert!((a.lon - b.lon).abs() < 1e-7 && (a.lat - b.lat).abs() < 1e-7);
        }
        let line = Polyline(vec![Point::new(113.6, 34.7), Point::new(113.7, 34.8)]);
        assert_eq!(decode_line(&encode_line(&line)).expect("line"), line);
        assert!(decode_multipolygon("[[1,2]]").is_err());
        assert!(decode_line("not json").is_err());
    }

    #[test]
    fn parents_come_from_code_prefixes() {
        assert_eq!(parent_of("410102"), None);
        assert_eq!(parent_of("410102001"), Some("410102"));
        assert_eq!(parent_of("410102001002"), Some("410102001"));
        assert_eq!(parent_of("410102001002003"), Some("410102001002"));
    }
}
