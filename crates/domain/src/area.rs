//! Administrative areas and unit grids, keyed by their standard codes.
//!
//! Codes are hierarchical by prefix: district 6 digits (GB/T 2260) → street 9 (GB/T 10114) →
//! community 12 → unit grid 单元网格 15 (CJ/T 213 / GB/T 30428.1). A code's level is its length.

use serde::{Deserialize, Serialize};

/// The level of an area in the district → street → community → grid hierarchy.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AreaLevel {
    /// 区/县 — 6 digits.
    District,
    /// 街道/镇/乡 — 9 digits.
    Street,
    /// 社区/村 — 12 digits.
    Community,
    /// 单元网格 — 15 digits.
    Grid,
}

impl AreaLevel {
    /// Code length of this level.
    pub fn code_len(self) -> usize {
        match self {
            AreaLevel::District => 6,
            AreaLevel::Street => 9,
            AreaLevel::Community => 12,
            AreaLevel::Grid => 15,
        }
    }

    /// The level one above, if any.
    pub fn parent(self) -> Option<AreaLevel> {
        match self {
            AreaLevel::District => None,
            AreaLevel::Street => Some(AreaLevel::District),
            AreaLevel::Community => Some(AreaLevel::Street),
            AreaLevel::Grid => Some(AreaLevel::Community),
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            AreaLevel::District => "district",
            AreaLevel::Street => "street",
            AreaLevel::Community => "community",
            AreaLevel::Grid => "grid",
        }
    }
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum AreaCodeError {
    #[error("area code must be 6, 9, 12 or 15 digits, got {0:?}")]
    BadCode(String),
}

/// A validated area code (6/9/12/15 ASCII digits).
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct AreaCode(String);

impl AreaCode {
    pub fn parse(code: &str) -> Result<AreaCode, AreaCodeError> {
        let ok = matches!(code.len(), 6 | 9 | 12 | 15) && code.bytes().all(|b| b.is_ascii_digit());
        if ok {
            Ok(AreaCode(code.to_owned()))
        } else {
            Err(AreaCodeError::BadCode(code.to_owned()))
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn level(&self) -> AreaLevel {
        match self.0.len() {
            6 => AreaLevel::District,
            9 => AreaLevel::Street,
            12 => AreaLevel::Community,
            _ => AreaLevel::Grid,
        }
    }

    /// The code of the enclosing area, if any.
    pub fn parent(&self) -> Option<AreaCode> {
        self.level()
            .parent()
            .map(|l| AreaCode(self.0[..l.code_len()].to_owned()))
    }

    /// The code at `level` that contains this one (itself if equal), or `None` if finer.
    pub fn ancestor(&self, level: AreaLevel) -> Option<AreaCode> {
        (level.code_len() <= self.0.len()).then(|| AreaCode(self.0[..level.code_len()].to_owned()))
    }

    /// Whether `other` lies inside (or is) this area.
    pub fn contains(&self, other: &AreaCode) -> bool {
        other.0.starts_with(&self.0)
    }
}

impl TryFrom<String> for AreaCode {
    type Error = AreaCodeError;
    fn try_from(value: String) -> Result<Self, Self::Error> {
        AreaCode::parse(&value)
    }
}

impl From<AreaCode> for String {
    fn from(value: AreaCode) -> Self {
        value.0
    }
}

impl std::fmt::Display for AreaCode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// The full location of a point in the hierarchy (as known; finer levels may be absent).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct AreaPath {
    pub district: Option<AreaCode>,
    pub street: Option<AreaCode>,
    pub community: Option<AreaCode>,
    pub grid: Option<AreaCode>,
}

impl AreaPath {
    /// The path of every level above and including `code`.
    pub fn of(code: &AreaCode) -> AreaPath {
        AreaPath {
            district: code.ancestor(AreaLevel::District),
            street: code.ancestor(AreaLevel::Street),
            community: code.ancestor(AreaLevel::Community),
            grid: code.ancestor(AreaLevel::Grid),
        }
    }

    /// The finest known code.
    pub fn finest(&self) -> Option<&AreaCode> {
        self.grid
            .as_ref()
            .or(self.community.as_ref())
            .or(self.street.as_ref())
            .or(self.district.as_ref())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn levels_and_ancestors() {
        let g = AreaCode::parse("410102001002003").unwrap();
        assert_eq!(g.level(), AreaLevel::Grid);
        assert_eq!(g.parent().unwrap().as_str(), "410102001002");
        assert_eq!(g.ancestor(AreaLevel::Street).unwrap().as_str(), "410102001");
        assert!(AreaCode::parse("410102").unwrap().contains(&g));
        assert!(!AreaCode::parse("410105").unwrap().contains(&g));
        assert!(AreaCode::parse("4101020").is_err());
        assert!(AreaCode::parse("41010a").is_err());
        let p = AreaPath::of(&g);
        assert_eq!(p.district.unwrap().as_str(), "410102");
    }
}
