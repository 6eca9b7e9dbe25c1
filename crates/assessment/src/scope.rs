//! Who or what an indicator is about ([`Scope`]) and the day buckets counters live in ([`Day`]).

use std::fmt;

use chrono::{Datelike, Days, NaiveDate};
use domain::area::{AreaCode, AreaLevel};
use domain::org::Role;
use domain::time::{SHANGHAI_OFFSET_SECS, Timestamp};
use serde::{Deserialize, Serialize};

/// A local (Asia/Shanghai) calendar day, as days since 1970-01-01.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Day(pub i32);

const DAY_MS: i64 = 86_400_000;
/// `NaiveDate::num_days_from_ce` of 1970-01-01.
const EPOCH_DAYS_FROM_CE: i32 = 719_163;

impl Day {
    /// The Shanghai day an instant falls on.
    pub fn of(t: Timestamp) -> Day {
        let local_ms = t
            .millis()
            .saturating_add(i64::from(SHANGHAI_OFFSET_SECS) * 1000);
        let days = local_ms.div_euclid(DAY_MS);
        Day(i32::try_from(days).unwrap_or(if days < 0 { i32::MIN } else { i32::MAX }))
    }

    /// The day of a date.
    pub fn from_date(date: NaiveDate) -> Day {
        Day(date.num_days_from_ce() - EPOCH_DAYS_FROM_CE)
    }

    /// The date of this day (`NaiveDate::MIN`/`MAX` if out of chrono's range).
    pub fn date(self) -> NaiveDate {
        NaiveDate::from_num_days_from_ce_opt(self.0.saturating_add(EPOCH_DAYS_FROM_CE)).unwrap_or(
            if self.0 < 0 {
                NaiveDate::MIN
            } else {
                NaiveDate::MAX
            },
        )
    }

    /// The day `n` days later.
    pub fn plus(self, n: i32) -> Day {
        Day(self.0.saturating_add(n))
    }
}

impl fmt::Display for Day {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.date())
    }
}

/// An inclusive range of days, the period of a query.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Period {
    pub first: Day,
    pub last: Day,
}

impl Period {
    /// `first..=last` as dates.
    pub fn new(first: NaiveDate, last: NaiveDate) -> Period {
        Period {
            first: Day::from_date(first),
            last: Day::from_date(last),
        }
    }

    /// The calendar month containing `date`.
    pub fn month_of(date: NaiveDate) -> Period {
        let first = date.with_day(1).unwrap_or(date);
        let next = first
            .checked_add_months(chrono::Months::new(1))
            .unwrap_or(first);
        let last = next.pred_opt().unwrap_or(first);
        Period::new(first, last)
    }

    /// The Monday-to-Sunday week containing `date`.
    pub fn week_of(date: NaiveDate) -> Period {
        let back = u64::from(date.weekday().num_days_from_monday());
        let first = date.checked_sub_days(Days::new(back)).unwrap_or(date);
        let last = first.checked_add_days(Days::new(6)).unwrap_or(first);
        Period::new(first, last)
    }

    /// Whether `day` lies in the period.
    pub fn contains(&self, day: Day) -> bool {
        self.first <= day && day <= self.last
    }

    /// The days of the period in order.
    pub fn days(&self) -> impl Iterator<Item = Day> {
        (self.first.0..=self.last.0).map(Day)
    }
}

/// What an indicator is about.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Scope {
    /// The whole city.
    City,
    /// An area: district, street, community or unit grid (by code length).
    Area { code: AreaCode },
    /// A department 处置部门.
    Department { id: i64 },
    /// A person in a role: 监督员 (inspector), 受理员 (operator), 值班长 (shift supervisor),
    /// 派遣员 (dispatcher).
    Person { role: Role, user_id: i64 },
    /// A road chief 路长, for the cases on their roads.
    RoadChief { user_id: i64 },
}

/// The family of a scope, to list "all streets" or "all dispatchers".
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ScopeKind {
    City,
    Area(AreaLevel),
    Department,
    Person(Role),
    RoadChief,
}

impl Scope {
    /// The family this scope belongs to.
    pub fn kind(&self) -> ScopeKind {
        match self {
            Scope::City => ScopeKind::City,
            Scope::Area { code } => ScopeKind::Area(code.level()),
            Scope::Department { .. } => ScopeKind::Department,
            Scope::Person { role, .. } => ScopeKind::Person(*role),
            Scope::RoadChief { .. } => ScopeKind::RoadChief,
        }
    }

    /// A stable text key for storage: `city`, `area:410102001`, `dept:7`,
    /// `person:inspector:12`, `road_chief:5`.
    pub fn key(&self) -> String {
        match self {
            Scope::City => "city".to_owned(),
            Scope::Area { code } => format!("area:{code}"),
            Scope::Department { id } => format!("dept:{id}"),
            Scope::Person { role, user_id } => format!("person:{}:{user_id}", role.as_str()),
            Scope::RoadChief { user_id } => format!("road_chief:{user_id}"),
        }
    }

    /// Parses a [`Scope::key`].
    pub fn parse_key(key: &str) -> Option<Scope> {
        let mut parts = key.split(':');
        let scope = match (parts.next()?, parts.next(), parts.next()) {
            ("city", None, None) => Scope::City,
            ("area", Some(code), None) => Scope::Area {
                code: AreaCode::parse(code).ok()?,
            },
            ("dept", Some(id), None) => Scope::Department {
                id: id.parse().ok()?,
            },
            ("person", Some(role), Some(id)) => Scope::Person {
                role: Role::parse(role)?,
                user_id: id.parse().ok()?,
            },
            ("road_chief", Some(id), None) => Scope::RoadChief {
                user_id: id.parse().ok()?,
            },
            _ => return None,
        };
        parts.next().is_none().then_some(scope)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_round_trip() {
        let scopes = [
            Scope::City,
            Scope::Area {
                code: AreaCode::parse("410102001").unwrap(),
            },
            Scope::Department { id: 7 },
            Scope::Person {
                role: Role::ShiftSupervisor,
                user_id: 12,
            },
            Scope::RoadChief { user_id: 5 },
        ];
        for s in scopes {
            assert_eq!(Scope::parse_key(&s.key()), Some(s.clone()), "{}", s.key());
        }
        assert_eq!(Scope::parse_key("city:1"), None);
        assert_eq!(Scope::parse_key("area:12"), None);
    }

    #[test]
    fn shanghai_day_boundaries() {
        // 2026-03-01 00:00 +08:00 is 2026-02-28 16:00 UTC.
        let midnight = Timestamp::shanghai_midnight(NaiveDate::from_ymd_opt(2026, 3, 1).unwrap());
        assert_eq!(Day::of(midnight).date().to_string(), "2026-03-01");
        assert_eq!(
            Day::of(Timestamp(midnight.0 - 1)).date().to_string(),
            "2026-02-28"
        );
        let feb = Period::month_of(NaiveDate::from_ymd_opt(2026, 2, 14).unwrap());
        assert_eq!(feb.first.date().to_string(), "2026-02-01");
        assert_eq!(feb.last.date().to_string(), "2026-02-28");
        let week = Period::week_of(NaiveDate::from_ymd_opt(2026, 11, 26).unwrap());
        assert_eq!(week.first.date().to_string(), "2026-11-23");
        assert_eq!(week.last.date().to_string(), "2026-11-29");
    }
}
