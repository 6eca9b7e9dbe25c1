//! The city model: administrative areas and unit grids, roads and management components 部件.
//!
//! All coordinates are WGS-84 longitude/latitude in **degrees** (the project-wide convention);
//! GCJ-02 appears only at the import/export edge ([`crate::gcj02`]). Lengths are **metres**,
//! areas **square metres**.

use serde::{Deserialize, Serialize};

pub use domain::area::AreaLevel;
pub use domain::org::DepartmentType;

/// A WGS-84 position.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct Point {
    /// Longitude in degrees, east positive, −180..=180.
    pub lon: f64,
    /// Latitude in degrees, north positive, −90..=90.
    pub lat: f64,
}

impl Point {
    /// A point from longitude and latitude in degrees.
    pub const fn new(lon: f64, lat: f64) -> Point {
        Point { lon, lat }
    }
}

/// A polygon: one exterior ring and zero or more holes.
///
/// Rings are stored **closed** (first point == last point, as in GeoJSON), so a ring has at least
/// 4 points. Orientation is not significant (the geocoder uses crossing parity; areas are taken
/// as absolute values per ring).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Polygon {
    /// The outer boundary, closed, degrees.
    pub exterior: Vec<Point>,
    /// Holes, each closed, degrees.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub holes: Vec<Vec<Point>>,
}

impl Polygon {
    /// An axis-aligned rectangle `[west, east] × [south, north]` (degrees), closed, counter-clockwise.
    pub fn rect(west: f64, south: f64, east: f64, north: f64) -> Polygon {
        Polygon {
            exterior: vec![
                Point::new(west, south),
                Point::new(east, south),
                Point::new(east, north),
                Point::new(west, north),
                Point::new(west, south),
            ],
            holes: Vec::new(),
        }
    }

    /// All rings: the exterior first, then the holes.
    pub fn rings(&self) -> impl Iterator<Item = &Vec<Point>> {
        std::iter::once(&self.exterior).chain(self.holes.iter())
    }
}

/// One or more polygons that do not overlap (an area may be in several pieces).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct MultiPolygon(pub Vec<Polygon>);

impl MultiPolygon {
    /// All rings of all polygons.
    pub fn rings(&self) -> impl Iterator<Item = &Vec<Point>> {
        self.0.iter().flat_map(Polygon::rings)
    }

    /// The bounding box, or `None` when there is no point.
    pub fn bbox(&self) -> Option<BBox> {
        BBox::of_points(self.rings().flatten())
    }

    /// Area in square metres (holes subtracted; local equirectangular approximation, see
    /// [`crate::geom::ring_area_m2`]).
    pub fn area_m2(&self) -> f64 {
        self.0
            .iter()
            .map(|p| {
                crate::geom::ring_area_m2(&p.exterior)
                    - p.holes
                        .iter()
                        .map(|h| crate::geom::ring_area_m2(h))
                        .sum::<f64>()
            })
            .sum()
    }
}

impl From<Polygon> for MultiPolygon {
    fn from(p: Polygon) -> MultiPolygon {
        MultiPolygon(vec![p])
    }
}

/// A polyline (road centre line), degrees, at least 2 points.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Polyline(pub Vec<Point>);

impl Polyline {
    /// Length in metres (sum of segment lengths, local equirectangular approximation).
    pub fn length_m(&self) -> f64 {
        self.0
            .windows(2)
            .map(|w| crate::geom::distance_m(w[0], w[1]))
            .sum()
    }
}

/// An axis-aligned bounding box in degrees.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct BBox {
    /// Minimum longitude, degrees.
    pub west: f64,
    /// Minimum latitude, degrees.
    pub south: f64,
    /// Maximum longitude, degrees.
    pub east: f64,
    /// Maximum latitude, degrees.
    pub north: f64,
}

impl BBox {
    /// The box of some points, `None` when empty.
    pub fn of_points<'a>(points: impl IntoIterator<Item = &'a Point>) -> Option<BBox> {
        let mut it = points.into_iter();
        let first = it.next()?;
        let mut b = BBox {
            west: first.lon,
            south: first.lat,
            east: first.lon,
            north: first.lat,
        };
        for p in it {
            b.west = b.west.min(p.lon);
            b.east = b.east.max(p.lon);
            b.south = b.south.min(p.lat);
            b.north = b.north.max(p.lat);
        }
        Some(b)
    }

    /// The smallest box holding both.
    pub fn union(self, o: BBox) -> BBox {
        BBox {
            west: self.west.min(o.west),
            south: self.south.min(o.south),
            east: self.east.max(o.east),
            north: self.north.max(o.north),
        }
    }

    /// Whether the closed boxes share at least one point.
    pub fn intersects(&self, o: &BBox) -> bool {
        self.west <= o.east && o.west <= self.east && self.south <= o.north && o.south <= self.north
    }

    /// Whether the point lies in the closed box.
    pub fn contains(&self, p: Point) -> bool {
        p.lon >= self.west && p.lon <= self.east && p.lat >= self.south && p.lat <= self.north
    }
}

/// An administrative area or unit grid 单元网格.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Area {
    /// Standard code: district 6 digits (GB/T 2260), street 9, community 12, unit grid 15
    /// (6 district + 3 street + 3 community + 3 grid serial). Parents are code prefixes.
    pub code: String,
    /// Name, e.g. "中原西路街道" or, for grids, a short label.
    pub name: String,
    /// Level; always equal to the level implied by the code length.
    pub level: AreaLevel,
    /// Outline, WGS-84 degrees.
    pub polygon: MultiPolygon,
}

/// Road class per the Chinese urban road standard (CJJ 37).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RoadClass {
    /// 快速路.
    Expressway,
    /// 主干路.
    Arterial,
    /// 次干路.
    Secondary,
    /// 支路.
    Branch,
}

impl RoadClass {
    /// Every class, widest first.
    pub const ALL: [RoadClass; 4] = [
        RoadClass::Expressway,
        RoadClass::Arterial,
        RoadClass::Secondary,
        RoadClass::Branch,
    ];

    /// The stable machine name (`expressway`, `arterial`, `secondary`, `branch`).
    pub fn as_str(self) -> &'static str {
        match self {
            RoadClass::Expressway => "expressway",
            RoadClass::Arterial => "arterial",
            RoadClass::Secondary => "secondary",
            RoadClass::Branch => "branch",
        }
    }

    /// The Chinese name (快速路, 主干路, 次干路, 支路).
    pub fn label_zh(self) -> &'static str {
        match self {
            RoadClass::Expressway => "快速路",
            RoadClass::Arterial => "主干路",
            RoadClass::Secondary => "次干路",
            RoadClass::Branch => "支路",
        }
    }

    /// Parses the machine name or the Chinese name.
    pub fn parse(s: &str) -> Option<RoadClass> {
        RoadClass::ALL
            .into_iter()
            .find(|c| c.as_str() == s || c.label_zh() == s)
    }
}

/// A road (segment) with its 路长 road chief.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Road {
    /// Stable id, unique in the model (e.g. `R410102-0007`).
    pub id: String,
    /// Road name, e.g. "建设路".
    pub name: String,
    /// Class.
    pub class: RoadClass,
    /// Username of the road chief 路长, if assigned.
    pub chief: Option<String>,
    /// Centre line, WGS-84 degrees.
    pub line: Polyline,
}

/// State of a management component (GB/T 47678.5 管理部件状态).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ComponentStatus {
    /// 完好.
    Intact,
    /// 破损.
    Damaged,
    /// 丢失.
    Lost,
    /// 废弃.
    Abandoned,
    /// 移除.
    Removed,
}

impl ComponentStatus {
    /// Every status.
    pub const ALL: [ComponentStatus; 5] = [
        ComponentStatus::Intact,
        ComponentStatus::Damaged,
        ComponentStatus::Lost,
        ComponentStatus::Abandoned,
        ComponentStatus::Removed,
    ];

    /// The stable machine name.
    pub fn as_str(self) -> &'static str {
        match self {
            ComponentStatus::Intact => "intact",
            ComponentStatus::Damaged => "damaged",
            ComponentStatus::Lost => "lost",
            ComponentStatus::Abandoned => "abandoned",
            ComponentStatus::Removed => "removed",
        }
    }

    /// The Chinese name used by the standard.
    pub fn label_zh(self) -> &'static str {
        match self {
            ComponentStatus::Intact => "完好",
            ComponentStatus::Damaged => "破损",
            ComponentStatus::Lost => "丢失",
            ComponentStatus::Abandoned => "废弃",
            ComponentStatus::Removed => "移除",
        }
    }

    /// Parses the machine name or the Chinese name.
    pub fn parse(s: &str) -> Option<ComponentStatus> {
        ComponentStatus::ALL
            .into_iter()
            .find(|c| c.as_str() == s || c.label_zh() == s)
    }
}

/// A management component 部件 (manhole cover, lamp, bin, sign …).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Component {
    /// 部件标识码, 17 digits: 6 district + 2 major + 3 minor + 6 serial.
    pub id: String,
    /// 5-digit GB/T 47678.5 component class code (major + minor), e.g. "01001" 供水井盖.
    pub class_code: String,
    /// Current state.
    pub status: ComponentStatus,
    /// Type of the owning (主管/权属) department.
    pub owner_department_type: DepartmentType,
    /// Type of the maintaining (养护) department.
    pub maintainer_department_type: DepartmentType,
    /// Position, WGS-84 degrees.
    pub point: Point,
    /// 15-digit code of the unit grid holding the point.
    pub grid_code: String,
}

/// Everything the spatial core knows about a city.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct CityModel {
    /// Districts, streets, communities and unit grids (any order).
    pub areas: Vec<Area>,
    /// Roads.
    pub roads: Vec<Road>,
    /// Management components.
    pub components: Vec<Component>,
}

impl CityModel {
    /// Areas of one level.
    pub fn areas_of(&self, level: AreaLevel) -> impl Iterator<Item = &Area> {
        self.areas.iter().filter(move |a| a.level == level)
    }
}

/// The level implied by a code's length (6/9/12/15 digits), `None` otherwise.
pub fn level_of_code(code: &str) -> Option<AreaLevel> {
    if !code.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    match code.len() {
        6 => Some(AreaLevel::District),
        9 => Some(AreaLevel::Street),
        12 => Some(AreaLevel::Community),
        15 => Some(AreaLevel::Grid),
        _ => None,
    }
}
