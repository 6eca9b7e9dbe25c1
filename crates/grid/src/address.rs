//! Address → point: the gazetteer that places a Chinese address given without coordinates
//! (citizen portal, hotline, Open311 `address_string`) on the city model.
//!
//! # What is understood
//!
//! - **Areas** by name, longest first: districts 区/县, streets 街道/镇/乡 and communities
//!   社区/村 ("中原区林山寨街道百花社区"). Districts and streets are also known without their
//!   suffix ("中原", "林山寨") unless a road-name character follows. Names given together must
//!   form one chain (a community inside the given street and district); the chain that agrees
//!   with most of the names wins, ties are [`AddressError::Ambiguous`] (a road named in the
//!   text may settle the tie: the area it passes through wins).
//! - **Roads** by name ("建设路"; Chinese numerals also as digits: "经3路" = "经三路"). The
//!   segments of one name that touch each other are one road; separate groups (the same name in
//!   two districts) are ambiguous unless an area is named, which then picks the part of the road
//!   inside it.
//! - **Intersections** "A路与B路交叉口", "A路和B路路口", "A路B路口", "A与B交叉口" (road names
//!   without their suffix only next to 与/和/交/口 …): the crossing of the two centre lines, or
//!   their nearest approach within [`INTERSECTION_TOLERANCE_M`]. A corner ("东北角", "西侧")
//!   moves the point [`CORNER_OFFSET_M`] that way so it falls into the right unit grid.
//! - **House numbers** "建设路123号" are recognised but cannot be placed (the model has no
//!   address points): the answer is the road, with [`AddressMatch::house_number`] set.
//!
//! Everything else in the text (building names, "附近", "门口") is ignored.
//!
//! # Points
//!
//! A returned point lies inside the matched area (tested with [`crate::geom::contains`], the
//! geocoder's rule): for an area alone an interior point far from its border (widest chord of a
//! few scan lines, not the centroid, which may fall outside a concave outline); for a road, a
//! point of the centre line inside the area (moved a few metres into the area when the road runs
//! along its border); for an intersection, the crossing.
//!
//! Construction only indexes names (no geometry work), so rebuilding with the city is cheap;
//! geometry is computed per query for the few candidates named. Pure: no IO, no panics on input.

use std::collections::HashMap;

use serde::{Deserialize, Serialize};

use crate::geom::{self, Edge, METRES_PER_DEGREE, metres_per_degree_lon};
use crate::model::{Area, AreaLevel, BBox, CityModel, MultiPolygon, Point, Road};

/// Longest accepted address, in characters (after trimming).
pub const MAX_ADDRESS_CHARS: usize = 200;

/// Two roads "meet" when their centre lines come this close, metres.
pub const INTERSECTION_TOLERANCE_M: f64 = 100.0;

/// How far a corner word ("东北角") moves an intersection point, metres.
pub const CORNER_OFFSET_M: f64 = 8.0;

/// Segments of one road name closer than this are one road, metres.
const CONNECT_M: f64 = 250.0;

/// A road within this distance of an area's border counts as passing it, metres.
const NEAR_AREA_M: f64 = 60.0;

/// Most sample points taken along one road segment.
const MAX_SAMPLES: usize = 400;

/// Words that say two roads are meant to cross.
const INTERSECTION_WORDS: [&str; 9] = [
    "交叉", "路口", "交汇", "交口", "十字", "与", "和", "、", "/",
];

/// How precisely an address was placed, best first.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Precision {
    /// The crossing of two named roads.
    Intersection,
    /// A point on a named road (inside the named area, if any). Also the answer for a house
    /// number, which cannot be placed: see [`AddressMatch::house_number`].
    Road,
    /// An interior point of a community 社区/村.
    Community,
    /// An interior point of a street 街道/镇/乡.
    Street,
    /// An interior point of a district 区/县.
    District,
}

impl Precision {
    /// The stable machine name.
    pub fn as_str(self) -> &'static str {
        match self {
            Precision::Intersection => "intersection",
            Precision::Road => "road",
            Precision::Community => "community",
            Precision::Street => "street",
            Precision::District => "district",
        }
    }

    /// The Chinese label.
    pub fn label_zh(self) -> &'static str {
        match self {
            Precision::Intersection => "路口",
            Precision::Road => "道路",
            Precision::Community => "社区",
            Precision::Street => "街道",
            Precision::District => "区县",
        }
    }
}

/// Where an address was placed.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct AddressMatch {
    /// Longitude, WGS-84 degrees.
    pub lon: f64,
    /// Latitude, WGS-84 degrees.
    pub lat: f64,
    /// How precise the point is.
    pub precision: Precision,
    /// Code of the most precise area named in the text (the point lies inside it).
    pub area_code: Option<String>,
    /// Name of that area.
    pub area_name: Option<String>,
    /// Id of the road segment the point lies on (the first road of an intersection).
    pub road_id: Option<String>,
    /// Name of that road.
    pub road_name: Option<String>,
    /// Id of the second road segment of an intersection.
    pub cross_road_id: Option<String>,
    /// Name of the second road of an intersection.
    pub cross_road_name: Option<String>,
    /// A house number given after the road ("123号"); not placed, the point is on the road.
    pub house_number: Option<String>,
    /// The parts recognised, in text order, with their model names.
    pub matched: Vec<String>,
    /// What was recognised but not used, and why (Chinese, for people).
    pub notes: Vec<String>,
}

impl AddressMatch {
    /// A sentence for people saying where the address was placed, e.g.
    /// "已定位到路口：桐柏路与建设路（中原区）".
    pub fn explain(&self) -> String {
        let mut s = match self.precision {
            Precision::Intersection => format!(
                "已定位到路口：{}与{}",
                self.road_name.as_deref().unwrap_or(""),
                self.cross_road_name.as_deref().unwrap_or("")
            ),
            Precision::Road => format!("已定位到道路：{}", self.road_name.as_deref().unwrap_or("")),
            p => format!(
                "已定位到{}：{}（区域内一点）",
                p.label_zh(),
                self.area_name.as_deref().unwrap_or("")
            ),
        };
        if matches!(self.precision, Precision::Intersection | Precision::Road)
            && let Some(a) = &self.area_name
        {
            s.push_str(&format!("（{a}）"));
        }
        if let Some(h) = &self.house_number {
            s.push_str(&format!("；门牌号{h}无法精确定位，已取道路上一点"));
        }
        for n in &self.notes {
            s.push('；');
            s.push_str(n);
        }
        s
    }
}

/// One possible reading of an ambiguous address.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Candidate {
    /// For people, e.g. "东风路街道（金水区）".
    pub label: String,
    /// The area this reading lies in (the area itself, or the district of a road).
    pub area_code: Option<String>,
    /// A point of this reading, WGS-84 degrees.
    pub lon: f64,
    /// Latitude, WGS-84 degrees.
    pub lat: f64,
}

/// Why an address could not be placed.
#[derive(Clone, Debug, PartialEq, thiserror::Error)]
pub enum AddressError {
    /// Nothing but blanks.
    #[error("the address is empty")]
    Empty,
    /// Longer than [`MAX_ADDRESS_CHARS`].
    #[error("the address has {chars} characters, at most {max} are accepted")]
    TooLong {
        /// Characters given.
        chars: usize,
        /// The limit.
        max: usize,
    },
    /// No district, street, community or road name found.
    #[error(
        "no district, street, community or road of the city was recognised in \"{text}\"; name one, e.g. 中原区建设路"
    )]
    NotRecognised {
        /// The normalised text.
        text: String,
    },
    /// A name fits several places; name the district or street too.
    #[error("\"{name}\" fits {} places: {}; add the district or street", candidates.len(), labels(candidates))]
    Ambiguous {
        /// The ambiguous name.
        name: String,
        /// The places it may mean, best known first.
        candidates: Vec<Candidate>,
    },
    /// Two roads named as crossing do not come near each other (in the named area).
    #[error("{a} and {b} do not meet within {tolerance_m} m{}", area.as_ref().map(|a| format!(" in {a}")).unwrap_or_default())]
    NoIntersection {
        /// First road.
        a: String,
        /// Second road.
        b: String,
        /// The named area, if any.
        area: Option<String>,
        /// The tolerance used.
        tolerance_m: f64,
    },
}

fn labels(c: &[Candidate]) -> String {
    c.iter()
        .map(|c| c.label.as_str())
        .collect::<Vec<_>>()
        .join(", ")
}

/// Normalises address text: full-width ASCII to half-width, blanks removed, leading
/// 中国/河南省/郑州市 dropped.
pub fn normalise(text: &str) -> String {
    let mut s: String = text
        .chars()
        .filter_map(|c| {
            let c = match c {
                '\u{3000}' => ' ',
                '\u{FF01}'..='\u{FF5E}' => char::from_u32(c as u32 - 0xFEE0).unwrap_or(c),
                c => c,
            };
            (!c.is_whitespace()).then_some(c)
        })
        .collect();
    loop {
        let before = s.len();
        for p in ["中国", "河南省", "河南", "郑州市", "郑州"] {
            if let Some(rest) = s.strip_prefix(p) {
                s = rest.to_owned();
                break;
            }
        }
        if s.len() == before {
            break;
        }
    }
    s
}

/// How a key may match.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum KeyKind {
    /// The full name (or its digit spelling): matches anywhere.
    Full,
    /// A district or street without its suffix: not when a road-name character follows.
    Short,
    /// A road without its suffix: only next to 与/和/交/口 ….
    Stem,
}

#[derive(Clone, Debug)]
struct Key {
    kind: KeyKind,
    areas: Vec<usize>,
    road: Option<usize>,
}

#[derive(Clone, Debug)]
struct RoadName {
    name: String,
    segments: Vec<usize>,
}

/// The name index over a city's districts, streets, communities and roads. Build with
/// [`Gazetteer::new`] whenever the city changes; share read-only (`Send + Sync`).
#[derive(Clone, Debug, Default)]
pub struct Gazetteer {
    /// Districts, streets and communities with at least one point, sorted by code.
    areas: Vec<Area>,
    by_code: HashMap<String, usize>,
    /// Roads with at least two finite points.
    roads: Vec<Road>,
    names: Vec<RoadName>,
    keys: HashMap<String, Key>,
    max_key_chars: usize,
}

/// One name found in the text.
#[derive(Clone, Debug)]
struct Mention {
    start: usize,
    len: usize,
    text: String,
    areas: Vec<usize>,
    road: Option<usize>,
}

/// A place on a road.
#[derive(Clone, Copy, Debug)]
struct RoadPlace {
    point: Point,
    segment: usize,
}

impl Gazetteer {
    /// Indexes the names of `areas` (grids are skipped) and `roads`. Cheap: no geometry work.
    pub fn new(areas: &[Area], roads: &[Road]) -> Gazetteer {
        let mut kept: Vec<Area> = areas
            .iter()
            .filter(|a| a.level != AreaLevel::Grid && a.polygon.rings().any(|r| !r.is_empty()))
            .cloned()
            .collect();
        kept.sort_by(|a, b| a.code.cmp(&b.code));
        let mut g = Gazetteer {
            areas: kept,
            ..Gazetteer::default()
        };
        g.by_code = g
            .areas
            .iter()
            .enumerate()
            .map(|(i, a)| (a.code.clone(), i))
            .collect();
        g.roads = roads
            .iter()
            .filter(|r| {
                r.line.0.len() >= 2
                    && !r.name.trim().is_empty()
                    && r.line
                        .0
                        .iter()
                        .all(|p| p.lon.is_finite() && p.lat.is_finite())
            })
            .cloned()
            .collect();
        let mut name_idx: HashMap<String, usize> = HashMap::new();
        for (i, r) in g.roads.iter().enumerate() {
            let n = normalise(&r.name);
            let k = *name_idx.entry(n.clone()).or_insert_with(|| {
                g.names.push(RoadName {
                    name: r.name.clone(),
                    segments: Vec::new(),
                });
                g.names.len() - 1
            });
            g.names[k].segments.push(i);
        }
        // Full names first, so that an alias never hides a full name.
        let area_names: Vec<(String, AreaLevel)> = g
            .areas
            .iter()
            .map(|a| (normalise(&a.name), a.level))
            .collect();
        for (i, (n, _)) in area_names.iter().enumerate() {
            g.add_key(n.clone(), KeyKind::Full, Some(i), None);
        }
        let mut road_names: Vec<(String, usize)> = name_idx.into_iter().collect();
        road_names.sort();
        for (n, k) in &road_names {
            g.add_key(n.clone(), KeyKind::Full, None, Some(*k));
            let digits = zh_numerals_to_digits(n);
            if digits != *n {
                g.add_key(digits, KeyKind::Full, None, Some(*k));
            }
        }
        for (i, (n, level)) in area_names.iter().enumerate() {
            let short = match level {
                AreaLevel::District => n.strip_suffix('区').or_else(|| n.strip_suffix('县')),
                AreaLevel::Street => n.strip_suffix("街道").or_else(|| n.strip_suffix("办事处")),
                _ => None,
            };
            if let Some(s) = short.filter(|s| s.chars().count() >= 2) {
                g.add_key(s.to_owned(), KeyKind::Short, Some(i), None);
            }
        }
        for (n, k) in &road_names {
            let stem = ["大街", "大道", "路", "街"]
                .iter()
                .find_map(|suf| n.strip_suffix(suf));
            if let Some(s) = stem.filter(|s| s.chars().count() >= 2) {
                g.add_key(s.to_owned(), KeyKind::Stem, None, Some(*k));
            }
        }
        g.max_key_chars = g.keys.keys().map(|k| k.chars().count()).max().unwrap_or(0);
        g
    }

    /// [`Gazetteer::new`] over a whole model.
    pub fn from_model(model: &CityModel) -> Gazetteer {
        Gazetteer::new(&model.areas, &model.roads)
    }

    /// Districts, streets and communities indexed.
    pub fn area_count(&self) -> usize {
        self.areas.len()
    }

    /// Distinct road names indexed.
    pub fn road_name_count(&self) -> usize {
        self.names.len()
    }

    fn add_key(&mut self, key: String, kind: KeyKind, area: Option<usize>, road: Option<usize>) {
        if key.is_empty() {
            return;
        }
        match self.keys.get_mut(&key) {
            Some(k) if k.kind == kind => {
                if let Some(a) = area
                    && !k.areas.contains(&a)
                {
                    k.areas.push(a);
                }
                if k.road.is_none() {
                    k.road = road;
                }
            }
            Some(_) => {}
            None => {
                self.keys.insert(
                    key,
                    Key {
                        kind,
                        areas: area.into_iter().collect(),
                        road,
                    },
                );
            }
        }
    }

    /// Places an address on the city.
    ///
    /// # Errors
    /// [`AddressError`]: empty or too long text, nothing recognised, an ambiguous name, or two
    /// roads named as crossing that do not meet.
    pub fn resolve(&self, text: &str) -> Result<AddressMatch, AddressError> {
        let trimmed = text.trim();
        let chars = trimmed.chars().count();
        if chars > MAX_ADDRESS_CHARS {
            return Err(AddressError::TooLong {
                chars,
                max: MAX_ADDRESS_CHARS,
            });
        }
        let norm = normalise(trimmed);
        if norm.is_empty() {
            return Err(AddressError::Empty);
        }
        let cs: Vec<char> = norm.chars().collect();
        let mentions = self.mentions(&norm, &cs);
        if mentions.is_empty() {
            return Err(AddressError::NotRecognised { text: norm });
        }
        let area_mentions: Vec<&Mention> =
            mentions.iter().filter(|m| !m.areas.is_empty()).collect();
        let mut road_mentions: Vec<&Mention> = Vec::new();
        for m in mentions.iter().filter(|m| m.road.is_some()) {
            if !road_mentions.iter().any(|r| r.road == m.road) {
                road_mentions.push(m);
            }
        }
        let mut notes = Vec::new();
        let area = self.pick_area(&area_mentions, &road_mentions, &mut notes)?;
        let mut matched: Vec<(usize, String)> = Vec::new();
        if let Some(a) = area {
            for m in &area_mentions {
                if let Some(&i) = m
                    .areas
                    .iter()
                    .find(|&&i| self.areas[a].code.starts_with(&self.areas[i].code))
                {
                    matched.push((m.start, self.areas[i].name.clone()));
                }
            }
        }
        let house_number = road_mentions
            .first()
            .and_then(|m| house_number(&cs, m.start + m.len));
        let corner = corner(&norm);
        let mut out = AddressMatch {
            lon: 0.0,
            lat: 0.0,
            precision: Precision::District,
            area_code: area.map(|a| self.areas[a].code.clone()),
            area_name: area.map(|a| self.areas[a].name.clone()),
            road_id: None,
            road_name: None,
            cross_road_id: None,
            cross_road_name: None,
            house_number: None,
            matched: Vec::new(),
            notes: Vec::new(),
        };
        let mut placed = false;
        if road_mentions.len() >= 2 {
            let (ma, mb) = (road_mentions[0], road_mentions[1]);
            let (Some(ra), Some(rb)) = (ma.road, mb.road) else {
                return Err(AddressError::NotRecognised { text: norm });
            };
            let intent = INTERSECTION_WORDS.iter().any(|w| norm.contains(w));
            match self.intersection(ra, rb, area)? {
                Some((p, sa, sb)) => {
                    let mut p = p;
                    if let Some((dx, dy, word)) = corner {
                        p = offset(p, dx * CORNER_OFFSET_M, dy * CORNER_OFFSET_M);
                        matched.push((cs.len(), word.to_owned()));
                    }
                    if let Some(a) = area {
                        p = nudge_inside(&self.areas[a].polygon, p, NEAR_AREA_M).unwrap_or(p);
                    }
                    out.lon = p.lon;
                    out.lat = p.lat;
                    out.precision = Precision::Intersection;
                    out.road_id = Some(self.roads[sa].id.clone());
                    out.road_name = Some(self.names[ra].name.clone());
                    out.cross_road_id = Some(self.roads[sb].id.clone());
                    out.cross_road_name = Some(self.names[rb].name.clone());
                    matched.push((ma.start, self.names[ra].name.clone()));
                    matched.push((mb.start, self.names[rb].name.clone()));
                    placed = true;
                }
                None if intent => {
                    return Err(AddressError::NoIntersection {
                        a: self.names[ra].name.clone(),
                        b: self.names[rb].name.clone(),
                        area: area.map(|a| self.areas[a].name.clone()),
                        tolerance_m: INTERSECTION_TOLERANCE_M,
                    });
                }
                None => notes.push(format!(
                    "{}与{}不相交，仅按{}定位",
                    self.names[ra].name, self.names[rb].name, self.names[ra].name
                )),
            }
        }
        if !placed && let Some(m) = road_mentions.first() {
            let Some(r) = m.road else {
                return Err(AddressError::NotRecognised { text: norm });
            };
            match self.road_place(r, area)? {
                Some(place) => {
                    out.lon = place.point.lon;
                    out.lat = place.point.lat;
                    out.precision = Precision::Road;
                    out.road_id = Some(self.roads[place.segment].id.clone());
                    out.road_name = Some(self.names[r].name.clone());
                    out.house_number = house_number.clone();
                    matched.push((m.start, self.names[r].name.clone()));
                    if let Some(h) = &house_number {
                        matched.push((m.start + m.len, h.clone()));
                    }
                    placed = true;
                }
                None => {
                    if let Some(a) = area {
                        notes.push(format!(
                            "{}不经过{}，已按{}定位",
                            self.names[r].name, self.areas[a].name, self.areas[a].name
                        ));
                    }
                }
            }
        }
        if !placed {
            let Some(a) = area else {
                return Err(AddressError::NotRecognised { text: norm });
            };
            let p = interior_point(&self.areas[a].polygon)
                .ok_or_else(|| AddressError::NotRecognised { text: norm.clone() })?;
            out.lon = p.lon;
            out.lat = p.lat;
            out.precision = match self.areas[a].level {
                AreaLevel::Community | AreaLevel::Grid => Precision::Community,
                AreaLevel::Street => Precision::Street,
                AreaLevel::District => Precision::District,
            };
        }
        matched.sort_by_key(|(pos, _)| *pos);
        out.matched = matched.into_iter().map(|(_, s)| s).collect();
        out.notes = notes;
        Ok(out)
    }

    /// Every name in the text, longest first, not overlapping.
    fn mentions(&self, norm: &str, cs: &[char]) -> Vec<Mention> {
        let offsets: Vec<usize> = norm
            .char_indices()
            .map(|(i, _)| i)
            .chain(std::iter::once(norm.len()))
            .collect();
        let mut found: Vec<(usize, usize, &Key)> = Vec::new();
        for start in 0..cs.len() {
            let longest = self.max_key_chars.min(cs.len() - start);
            for len in (1..=longest).rev() {
                let Some(k) = self.keys.get(&norm[offsets[start]..offsets[start + len]]) else {
                    continue;
                };
                let next = cs.get(start + len).copied();
                let prev = start.checked_sub(1).and_then(|i| cs.get(i).copied());
                let ok = match k.kind {
                    KeyKind::Full => true,
                    KeyKind::Short => !next.is_some_and(|c| "路街道巷大环".contains(c)),
                    KeyKind::Stem => {
                        next.is_some_and(|c| "与和及同、/交口".contains(c))
                            || prev.is_some_and(|c| "与和及同、/".contains(c))
                    }
                };
                if ok {
                    found.push((start, len, k));
                }
            }
        }
        found.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
        let mut taken = vec![false; cs.len()];
        let mut out = Vec::new();
        for (start, len, k) in found {
            if taken[start..start + len].iter().any(|&t| t) {
                continue;
            }
            taken[start..start + len].iter_mut().for_each(|t| *t = true);
            out.push(Mention {
                start,
                len,
                text: cs[start..start + len].iter().collect(),
                areas: k.areas.clone(),
                road: k.road,
            });
        }
        out.sort_by_key(|m| m.start);
        out
    }

    /// The most precise area consistent with most area names in the text.
    fn pick_area(
        &self,
        mentions: &[&Mention],
        roads: &[&Mention],
        notes: &mut Vec<String>,
    ) -> Result<Option<usize>, AddressError> {
        let mut cands: Vec<usize> = mentions.iter().flat_map(|m| m.areas.clone()).collect();
        cands.sort_unstable();
        cands.dedup();
        if cands.is_empty() {
            return Ok(None);
        }
        let agree = |c: usize| {
            mentions
                .iter()
                .filter(|m| {
                    m.areas
                        .iter()
                        .any(|&a| self.areas[c].code.starts_with(&self.areas[a].code))
                })
                .count()
        };
        let score = |c: usize| (agree(c), self.areas[c].code.len());
        let best = cands.iter().map(|&c| score(c)).max().unwrap_or((0, 0));
        let mut tied: Vec<usize> = cands.into_iter().filter(|&c| score(c) == best).collect();
        if tied.len() > 1
            && let Some(r) = roads.first().and_then(|m| m.road)
        {
            let through: Vec<usize> = tied
                .iter()
                .copied()
                .filter(|&c| self.road_in_area(r, c).is_some())
                .collect();
            if through.len() == 1 {
                tied = through;
            }
        }
        if tied.len() > 1 {
            let name = mentions
                .iter()
                .find(|m| m.areas.contains(&tied[0]))
                .map_or_else(|| self.areas[tied[0]].name.clone(), |m| m.text.clone());
            let candidates = tied
                .iter()
                .map(|&c| {
                    let p = interior_point(&self.areas[c].polygon).unwrap_or(Point::new(0.0, 0.0));
                    Candidate {
                        label: self.area_label(c),
                        area_code: Some(self.areas[c].code.clone()),
                        lon: p.lon,
                        lat: p.lat,
                    }
                })
                .collect();
            return Err(AddressError::Ambiguous { name, candidates });
        }
        let chosen = tied[0];
        for m in mentions {
            if !m
                .areas
                .iter()
                .any(|&a| self.areas[chosen].code.starts_with(&self.areas[a].code))
            {
                notes.push(format!(
                    "{}与{}不符，已忽略{}",
                    m.text, self.areas[chosen].name, m.text
                ));
            }
        }
        Ok(Some(chosen))
    }

    /// "东风路街道（金水区）": the area with its parents.
    fn area_label(&self, i: usize) -> String {
        let a = &self.areas[i];
        let parents: Vec<&str> = [6usize, 9]
            .iter()
            .filter(|&&l| l < a.code.len())
            .filter_map(|&l| a.code.get(..l))
            .filter_map(|c| self.by_code.get(c))
            .map(|&p| self.areas[p].name.as_str())
            .collect();
        if parents.is_empty() {
            a.name.clone()
        } else {
            format!("{}（{}）", a.name, parents.join(" "))
        }
    }

    /// The district holding `p`, if any.
    fn district_of(&self, p: Point) -> Option<usize> {
        self.areas.iter().position(|a| {
            a.level == AreaLevel::District
                && a.polygon.bbox().is_some_and(|b| b.contains(p))
                && geom::contains(&a.polygon, p)
        })
    }

    /// A point of road name `r` inside area `a` (on the centre line, or moved a few metres
    /// into the area when the road runs along its border), with the segment it belongs to.
    fn road_in_area(&self, r: usize, a: usize) -> Option<RoadPlace> {
        let area = &self.areas[a];
        let bbox = expand(area.polygon.bbox()?, NEAR_AREA_M);
        let mut best: Option<(usize, RoadPlace)> = None;
        let mut near: Option<RoadPlace> = None;
        for &s in &self.names[r].segments {
            let samples = samples(&self.roads[s].line.0, &bbox);
            let inside: Vec<Point> = samples
                .iter()
                .copied()
                .filter(|&p| geom::contains(&area.polygon, p))
                .collect();
            if !inside.is_empty() {
                if best.as_ref().is_none_or(|(n, _)| inside.len() > *n) {
                    best = Some((
                        inside.len(),
                        RoadPlace {
                            point: inside[inside.len() / 2],
                            segment: s,
                        },
                    ));
                }
            } else if near.is_none() {
                let mid = samples.len() / 2;
                let order = (0..samples.len()).map(|i| {
                    // From the middle outwards.
                    if i % 2 == 0 {
                        mid + i / 2
                    } else {
                        mid.wrapping_sub(i / 2 + 1)
                    }
                });
                for i in order {
                    if let Some(&p) = samples.get(i)
                        && let Some(q) = nudge_inside(&area.polygon, p, NEAR_AREA_M)
                    {
                        near = Some(RoadPlace {
                            point: q,
                            segment: s,
                        });
                        break;
                    }
                }
            }
        }
        best.map(|(_, p)| p).or(near)
    }

    /// Where road name `r` is: inside area `area` when given (`None` when it does not pass
    /// it), else the middle of its longest segment when all its segments form one road.
    fn road_place(&self, r: usize, area: Option<usize>) -> Result<Option<RoadPlace>, AddressError> {
        if let Some(a) = area {
            return Ok(self.road_in_area(r, a));
        }
        let groups = self.road_groups(r);
        let places: Vec<RoadPlace> = groups
            .iter()
            .filter_map(|g| {
                let s = *g.iter().max_by(|&&x, &&y| {
                    self.roads[x]
                        .line
                        .length_m()
                        .total_cmp(&self.roads[y].line.length_m())
                        .then(y.cmp(&x))
                })?;
                Some(RoadPlace {
                    point: along(&self.roads[s].line.0, 0.5),
                    segment: s,
                })
            })
            .collect();
        if places.len() > 1 {
            let name = self.names[r].name.clone();
            let candidates = places
                .iter()
                .map(|p| {
                    let d = self.district_of(p.point);
                    Candidate {
                        label: match d {
                            Some(d) => format!("{name}（{}）", self.areas[d].name),
                            None => format!("{name}（{}）", self.roads[p.segment].id),
                        },
                        area_code: d.map(|d| self.areas[d].code.clone()),
                        lon: p.point.lon,
                        lat: p.point.lat,
                    }
                })
                .collect();
            return Err(AddressError::Ambiguous { name, candidates });
        }
        Ok(places.into_iter().next())
    }

    /// The segments of road name `r` grouped into connected roads (closer than
    /// [`CONNECT_M`]), each group in segment order, groups by first segment.
    fn road_groups(&self, r: usize) -> Vec<Vec<usize>> {
        let segs = &self.names[r].segments;
        let n = segs.len();
        let mut parent: Vec<usize> = (0..n).collect();
        fn find(p: &mut [usize], mut i: usize) -> usize {
            while p[i] != i {
                p[i] = p[p[i]];
                i = p[i];
            }
            i
        }
        for i in 0..n {
            for j in i + 1..n {
                let (a, b) = (&self.roads[segs[i]].line.0, &self.roads[segs[j]].line.0);
                if polyline_closest(a, b, CONNECT_M).is_some_and(|(d, _, _, _)| d <= CONNECT_M) {
                    let (ri, rj) = (find(&mut parent, i), find(&mut parent, j));
                    parent[rj.max(ri)] = ri.min(rj);
                }
            }
        }
        let mut groups: Vec<Vec<usize>> = Vec::new();
        let mut root_group: HashMap<usize, usize> = HashMap::new();
        for (i, &s) in segs.iter().enumerate() {
            let root = find(&mut parent, i);
            let gi = *root_group.entry(root).or_insert_with(|| {
                groups.push(Vec::new());
                groups.len() - 1
            });
            groups[gi].push(s);
        }
        groups
    }

    /// The crossing of road names `ra` and `rb` (in `area` when given): point and the two
    /// segments. `None` when they do not meet within [`INTERSECTION_TOLERANCE_M`].
    fn intersection(
        &self,
        ra: usize,
        rb: usize,
        area: Option<usize>,
    ) -> Result<Option<(Point, usize, usize)>, AddressError> {
        let mut hits: Vec<(f64, Point, usize, usize)> = Vec::new();
        for &sa in &self.names[ra].segments {
            for &sb in &self.names[rb].segments {
                let (la, lb) = (&self.roads[sa].line.0, &self.roads[sb].line.0);
                hits.extend(
                    crossings(la, lb, INTERSECTION_TOLERANCE_M)
                        .into_iter()
                        .map(|(d, p)| (d, p, sa, sb)),
                );
            }
        }
        if let Some(a) = area {
            let poly = &self.areas[a].polygon;
            hits.retain(|h| nudge_inside(poly, h.1, NEAR_AREA_M).is_some());
        }
        hits.sort_by(|x, y| {
            x.0.total_cmp(&y.0)
                .then(x.2.cmp(&y.2))
                .then(x.3.cmp(&y.3))
                .then(x.1.lon.total_cmp(&y.1.lon))
                .then(x.1.lat.total_cmp(&y.1.lat))
        });
        let mut distinct: Vec<(f64, Point, usize, usize)> = Vec::new();
        for h in hits {
            if !distinct
                .iter()
                .any(|d| geom::distance_m(d.1, h.1) <= 2.0 * INTERSECTION_TOLERANCE_M)
            {
                distinct.push(h);
            }
        }
        if distinct.len() > 1 {
            let name = format!("{}与{}", self.names[ra].name, self.names[rb].name);
            let candidates = distinct
                .iter()
                .map(|h| {
                    let d = self.district_of(h.1);
                    Candidate {
                        label: match d {
                            Some(d) => format!("{name}（{}）", self.areas[d].name),
                            None => name.clone(),
                        },
                        area_code: d.map(|d| self.areas[d].code.clone()),
                        lon: h.1.lon,
                        lat: h.1.lat,
                    }
                })
                .collect();
            return Err(AddressError::Ambiguous { name, candidates });
        }
        Ok(distinct.into_iter().next().map(|h| (h.1, h.2, h.3)))
    }
}

/// "经三路" → "经3路": Chinese numerals (up to 999) written as digits.
fn zh_numerals_to_digits(s: &str) -> String {
    let mut out = String::new();
    let cs: Vec<char> = s.chars().collect();
    let mut i = 0;
    while i < cs.len() {
        if zh_digit(cs[i]).is_some() || matches!(cs[i], '十' | '百') {
            let mut j = i;
            while j < cs.len() && (zh_digit(cs[j]).is_some() || matches!(cs[j], '十' | '百')) {
                j += 1;
            }
            match zh_number(&cs[i..j]) {
                Some(n) => out.push_str(&n.to_string()),
                None => out.extend(&cs[i..j]),
            }
            i = j;
        } else {
            out.push(cs[i]);
            i += 1;
        }
    }
    out
}

fn zh_digit(c: char) -> Option<u32> {
    "零一二三四五六七八九"
        .chars()
        .position(|d| d == c)
        .and_then(|p| u32::try_from(p).ok())
        .or(if c == '两' { Some(2) } else { None })
}

/// Value of a Chinese numeral such as 二十一 or 一百零五; `None` when malformed.
fn zh_number(cs: &[char]) -> Option<u32> {
    let (mut total, mut cur) = (0u32, None::<u32>);
    let mut last_unit = u32::MAX;
    for &c in cs {
        match c {
            '百' | '十' => {
                let unit = if c == '百' { 100 } else { 10 };
                if unit >= last_unit {
                    return None;
                }
                total += cur.unwrap_or(1) * unit;
                cur = None;
                last_unit = unit;
            }
            _ => {
                let d = zh_digit(c)?;
                if cur.is_some() && d != 0 {
                    return None;
                }
                cur = if d == 0 { None } else { Some(d) };
            }
        }
    }
    Some(total + cur.unwrap_or(0))
}

/// "123号" right after a road name (digits or Chinese numerals).
fn house_number(cs: &[char], at: usize) -> Option<String> {
    let mut j = at;
    while j < cs.len()
        && (cs[j].is_ascii_digit() || zh_digit(cs[j]).is_some() || "十百-".contains(cs[j]))
    {
        j += 1;
    }
    (j > at && cs.get(j) == Some(&'号')).then(|| cs[at..=j].iter().collect())
}

/// A corner or side word: unit direction (east, north) and the word.
fn corner(text: &str) -> Option<(f64, f64, &'static str)> {
    let d = std::f64::consts::FRAC_1_SQRT_2;
    const WORDS: [(&str, f64, f64); 8] = [
        ("东北", 1.0, 1.0),
        ("西北", -1.0, 1.0),
        ("东南", 1.0, -1.0),
        ("西南", -1.0, -1.0),
        ("东侧", 1.0, 0.0),
        ("西侧", -1.0, 0.0),
        ("南侧", 0.0, -1.0),
        ("北侧", 0.0, 1.0),
    ];
    WORDS.iter().find(|w| text.contains(w.0)).map(|&(w, x, y)| {
        let k = if x != 0.0 && y != 0.0 { d } else { 1.0 };
        (x * k, y * k, w)
    })
}

/// `p` moved `east_m` east and `north_m` north.
fn offset(p: Point, east_m: f64, north_m: f64) -> Point {
    Point::new(
        p.lon + east_m / metres_per_degree_lon(p.lat),
        p.lat + north_m / METRES_PER_DEGREE,
    )
}

fn expand(b: BBox, m: f64) -> BBox {
    let dx = m / metres_per_degree_lon((b.south + b.north) * 0.5);
    let dy = m / METRES_PER_DEGREE;
    BBox {
        west: b.west - dx,
        south: b.south - dy,
        east: b.east + dx,
        north: b.north + dy,
    }
}

/// `p` if inside `mp`, else the first point found inside at growing distances up to
/// `max_m` metres in eight directions.
fn nudge_inside(mp: &MultiPolygon, p: Point, max_m: f64) -> Option<Point> {
    if geom::contains(mp, p) {
        return Some(p);
    }
    let d = std::f64::consts::FRAC_1_SQRT_2;
    let dirs = [
        (1.0, 0.0),
        (0.0, 1.0),
        (-1.0, 0.0),
        (0.0, -1.0),
        (d, d),
        (-d, d),
        (-d, -d),
        (d, -d),
    ];
    [1.0, 2.0, 5.0, 10.0, 20.0, 40.0, 60.0]
        .into_iter()
        .filter(|&r| r <= max_m)
        .flat_map(|r| dirs.iter().map(move |&(x, y)| offset(p, x * r, y * r)))
        .find(|&q| geom::contains(mp, q))
}

/// Points along a polyline inside `bbox` (vertices and evenly spaced points, at most
/// [`MAX_SAMPLES`]), in line order.
fn samples(line: &[Point], bbox: &BBox) -> Vec<Point> {
    let len: f64 = line.windows(2).map(|w| geom::distance_m(w[0], w[1])).sum();
    let step = (len / MAX_SAMPLES as f64).max(5.0);
    let mut out = Vec::new();
    for w in line.windows(2) {
        let seg = geom::distance_m(w[0], w[1]);
        let n = ((seg / step).ceil() as usize).clamp(1, MAX_SAMPLES);
        for k in 0..n {
            let t = k as f64 / n as f64;
            let p = Point::new(
                w[0].lon + t * (w[1].lon - w[0].lon),
                w[0].lat + t * (w[1].lat - w[0].lat),
            );
            if bbox.contains(p) {
                out.push(p);
            }
        }
    }
    if let Some(&last) = line.last()
        && bbox.contains(last)
    {
        out.push(last);
    }
    out
}

/// The point at fraction `t` of a polyline's length.
fn along(line: &[Point], t: f64) -> Point {
    let len: f64 = line.windows(2).map(|w| geom::distance_m(w[0], w[1])).sum();
    let mut left = len * t;
    for w in line.windows(2) {
        let seg = geom::distance_m(w[0], w[1]);
        if seg > 0.0 && left <= seg {
            let f = left / seg;
            return Point::new(
                w[0].lon + f * (w[1].lon - w[0].lon),
                w[0].lat + f * (w[1].lat - w[0].lat),
            );
        }
        left -= seg;
    }
    line.last().copied().unwrap_or(Point::new(0.0, 0.0))
}

/// Local metric plane around `o`: metres east and north.
fn to_xy(o: Point, p: Point) -> (f64, f64) {
    (
        (p.lon - o.lon) * metres_per_degree_lon(o.lat),
        (p.lat - o.lat) * METRES_PER_DEGREE,
    )
}

fn from_xy(o: Point, (x, y): (f64, f64)) -> Point {
    Point::new(
        o.lon + x / metres_per_degree_lon(o.lat),
        o.lat + y / METRES_PER_DEGREE,
    )
}

/// Closest approach of segments `ab` and `cd` in the plane: distance and the point (the
/// crossing, or the middle of the closest pair).
fn segment_closest(
    a: (f64, f64),
    b: (f64, f64),
    c: (f64, f64),
    d: (f64, f64),
) -> (f64, (f64, f64)) {
    let r = (b.0 - a.0, b.1 - a.1);
    let s = (d.0 - c.0, d.1 - c.1);
    let den = r.0 * s.1 - r.1 * s.0;
    if den != 0.0 {
        let qp = (c.0 - a.0, c.1 - a.1);
        let t = (qp.0 * s.1 - qp.1 * s.0) / den;
        let u = (qp.0 * r.1 - qp.1 * r.0) / den;
        if (0.0..=1.0).contains(&t) && (0.0..=1.0).contains(&u) {
            return (0.0, (a.0 + t * r.0, a.1 + t * r.1));
        }
    }
    let proj = |p: (f64, f64), x: (f64, f64), y: (f64, f64)| {
        let (dx, dy) = (y.0 - x.0, y.1 - x.1);
        let l2 = dx * dx + dy * dy;
        let t = if l2 > 0.0 {
            (((p.0 - x.0) * dx + (p.1 - x.1) * dy) / l2).clamp(0.0, 1.0)
        } else {
            0.0
        };
        let q = (x.0 + t * dx, x.1 + t * dy);
        let dist = ((q.0 - p.0).powi(2) + (q.1 - p.1).powi(2)).sqrt();
        (dist, ((q.0 + p.0) * 0.5, (q.1 + p.1) * 0.5))
    };
    [proj(a, c, d), proj(b, c, d), proj(c, a, b), proj(d, a, b)]
        .into_iter()
        .min_by(|x, y| x.0.total_cmp(&y.0))
        .unwrap_or((f64::INFINITY, a))
}

/// Closest approach of two polylines when within `max_m`: distance, point, and the indices of
/// the two segments.
fn polyline_closest(a: &[Point], b: &[Point], max_m: f64) -> Option<(f64, Point, usize, usize)> {
    let o = *a.first()?;
    let (ba, bb) = (BBox::of_points(a)?, BBox::of_points(b)?);
    if !expand(ba, max_m).intersects(&bb) {
        return None;
    }
    let xa: Vec<(f64, f64)> = a.iter().map(|&p| to_xy(o, p)).collect();
    let xb: Vec<(f64, f64)> = b.iter().map(|&p| to_xy(o, p)).collect();
    let mut best: Option<(f64, (f64, f64), usize, usize)> = None;
    for (i, s) in xa.windows(2).enumerate() {
        for (j, t) in xb.windows(2).enumerate() {
            let (d, p) = segment_closest(s[0], s[1], t[0], t[1]);
            if best.is_none_or(|b| d < b.0) {
                best = Some((d, p, i, j));
            }
        }
    }
    best.filter(|b| b.0 <= max_m)
        .map(|(d, p, i, j)| (d, from_xy(o, p), i, j))
}

/// Every place two polylines cross or come within `max_m`: (distance, point). One per pair
/// of their segments; the caller merges neighbours.
fn crossings(a: &[Point], b: &[Point], max_m: f64) -> Vec<(f64, Point)> {
    let (Some(&o), Some(ba), Some(bb)) = (a.first(), BBox::of_points(a), BBox::of_points(b)) else {
        return Vec::new();
    };
    if !expand(ba, max_m).intersects(&bb) {
        return Vec::new();
    }
    let xa: Vec<(f64, f64)> = a.iter().map(|&p| to_xy(o, p)).collect();
    let xb: Vec<(f64, f64)> = b.iter().map(|&p| to_xy(o, p)).collect();
    let mut out = Vec::new();
    for s in xa.windows(2) {
        for t in xb.windows(2) {
            let (d, p) = segment_closest(s[0], s[1], t[0], t[1]);
            if d <= max_m {
                out.push((d, from_xy(o, p)));
            }
        }
    }
    out
}

/// Sorted crossings of all rings of `mp` with the line `lat = y` (or, `transposed`, with
/// `lon = y`), half-open like [`geom::contains`].
fn chord_crossings(mp: &MultiPolygon, y: f64, transposed: bool) -> Vec<f64> {
    let t = |p: Point| {
        if transposed {
            Point::new(p.lat, p.lon)
        } else {
            p
        }
    };
    let mut xs = Vec::new();
    for ring in mp.rings() {
        let n = ring.len();
        for i in 0..n {
            if let Some(e) = Edge::new(t(ring[i]), t(ring[(i + 1) % n]))
                && e.y0 <= y
                && y < e.y1
            {
                xs.push(e.x0 + (y - e.y0) * e.k);
            }
        }
    }
    xs.sort_by(f64::total_cmp);
    xs
}

/// Half the length of the inside interval of `xs` (sorted crossings) holding `x`, 0 if none.
fn half_interval(xs: &[f64], x: f64) -> f64 {
    xs.chunks_exact(2)
        .find(|w| w[0] <= x && x < w[1])
        .map_or(0.0, |w| (x - w[0]).min(w[1] - x))
}

/// A point well inside a multipolygon: over a few horizontal and vertical scan lines, the
/// middle of the inside interval that is farthest from the outline both ways. Always passes
/// [`geom::contains`]; `None` for an empty or degenerate outline.
pub fn interior_point(mp: &MultiPolygon) -> Option<Point> {
    let b = mp.bbox()?;
    let kx = metres_per_degree_lon((b.south + b.north) * 0.5);
    let ky = METRES_PER_DEGREE;
    const FRACTIONS: [f64; 9] = [0.5, 0.382, 0.618, 0.25, 0.75, 0.146, 0.854, 0.45, 0.55];
    let mut best: Option<(f64, Point)> = None;
    for transposed in [false, true] {
        let (lo, hi) = if transposed {
            (b.west, b.east)
        } else {
            (b.south, b.north)
        };
        for f in FRACTIONS {
            let y = lo + (hi - lo) * f;
            let xs = chord_crossings(mp, y, transposed);
            for w in xs.chunks_exact(2) {
                let x = (w[0] + w[1]) * 0.5;
                let p = if transposed {
                    Point::new(y, x)
                } else {
                    Point::new(x, y)
                };
                let (along, across) = if transposed {
                    (
                        (w[1] - w[0]) * 0.5 * ky,
                        half_interval(&chord_crossings(mp, p.lat, false), p.lon) * kx,
                    )
                } else {
                    (
                        (w[1] - w[0]) * 0.5 * kx,
                        half_interval(&chord_crossings(mp, p.lon, true), p.lat) * ky,
                    )
                };
                let score = along.min(across);
                if score > 0.0 && best.is_none_or(|(s, _)| score > s) && geom::contains(mp, p) {
                    best = Some((score, p));
                }
            }
        }
    }
    best.map(|(_, p)| p)
}

#[cfg(test)]
mod tests {
    //! Unit checks of the text helpers.
    use super::*;

    #[test]
    fn numerals() {
        assert_eq!(zh_numerals_to_digits("经三路"), "经3路");
        assert_eq!(zh_numerals_to_digits("纬二十一路"), "纬21路");
        assert_eq!(zh_numerals_to_digits("经一百零五路"), "经105路");
        assert_eq!(zh_numerals_to_digits("经十路"), "经10路");
        assert_eq!(zh_numerals_to_digits("建设路"), "建设路");
    }

    #[test]
    fn normalising() {
        assert_eq!(
            normalise(" 河南省 郑州市中原区 建设路１２３号 "),
            "中原区建设路123号"
        );
        assert_eq!(normalise("　"), "");
    }

    #[test]
    fn house_numbers_and_corners() {
        let cs: Vec<char> = "建设路123号附近".chars().collect();
        assert_eq!(house_number(&cs, 3).as_deref(), Some("123号"));
        assert_eq!(house_number(&cs, 2), None);
        assert!(corner("路口东北角").is_some_and(|c| c.0 > 0.0 && c.1 > 0.0));
        assert!(corner("路口").is_none());
    }
}
