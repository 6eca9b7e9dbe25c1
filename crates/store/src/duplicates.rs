//! The duplicate finder's reads: open cases of one class near a point since an instant, and the
//! finder's rules (JSON in the `settings` table under [`domain::duplicates::SETTING_KEY`]).
//!
//! The candidate query walks the index `cases_class_point (class_code, created_at DESC, id DESC,
//! lat, lon)` and narrows by a latitude/longitude bounding box around the point (checked on the
//! index entries; migration 0009); the exact distance, the
//! window's other side and the score are the domain's (`domain::duplicates`). The box does not
//! wrap across the antimeridian (irrelevant for a Chinese city).

use std::sync::OnceLock;

use domain::duplicates::{DuplicateRules, SETTING_KEY};
use domain::time::Timestamp;
use domain::workflow::{Case, CaseState};
use sqlx::AssertSqlSafe;

use crate::cases::case_from_row;
use crate::{Store, StoreError, on_read};

/// Metres per degree of latitude (mean Earth radius).
const M_PER_DEG_LAT: f64 = 111_195.0;
/// Widening of the box so that rounding never drops a case on its edge.
const BOX_MARGIN: f64 = 1.01;
/// Most candidates one query returns.
pub const MAX_CANDIDATES: u32 = 200;

/// The candidate query: same class, created since, not the case itself, inside the box, open
/// and not linked to a master; newest first.
fn candidates_sql() -> &'static str {
    static SQL: OnceLock<String> = OnceLock::new();
    SQL.get_or_init(|| {
        // Literals from the domain's own state names: nothing from input reaches the text.
        let open: Vec<String> = CaseState::OPEN
            .iter()
            .map(|s| format!("'{}'", s.as_str()))
            .collect();
        format!(
            "SELECT * FROM cases
             WHERE class_code = $1 AND created_at >= $2 AND id <> $3
               AND lat >= $4 AND lat <= $5 AND lon >= $6 AND lon <= $7
               AND master_case_id IS NULL AND state IN ({})
             ORDER BY created_at DESC, id DESC LIMIT $8",
            open.join(", ")
        )
    })
}

/// [`candidates_sql`] for rusqlite (`?N` parameters), with the class, the instant and the limit
/// wrapped in a `CAST` so that the planner does not see their values. SQLite (3.51, built with
/// `STAT4` as the bundled one is) marks a statement whose plan used a bound value — an equality
/// or range it estimated from the samples, a `LIMIT` it read — as expired whenever that value is
/// bound anew (rusqlite clears the bindings of every cached statement it takes back), and
/// compiles it again at the next run: measured, about a tenth of the server's time on Open311
/// posts. The plan does not need the values: the `cases_class_point` index, by class and time.
fn candidates_sql_numbered() -> &'static str {
    static SQL: OnceLock<String> = OnceLock::new();
    SQL.get_or_init(|| {
        let sql = candidates_sql()
            .replace(
                "class_code = $1 AND created_at >= $2",
                "class_code = CAST($1 AS TEXT) AND created_at >= CAST($2 AS INTEGER)",
            )
            .replace("LIMIT $8", "LIMIT CAST($8 AS INTEGER)");
        sql.replace('$', "?")
    })
}

/// `(lat_min, lat_max, lon_min, lon_max)` of a box holding every point within `radius_m` of
/// (`lat`, `lon`).
fn bounding_box(lat: f64, lon: f64, radius_m: f64) -> (f64, f64, f64, f64) {
    let dlat = radius_m / M_PER_DEG_LAT * BOX_MARGIN;
    let cos = lat.to_radians().cos();
    let dlon = if cos < 0.01 {
        360.0
    } else {
        (dlat / cos).min(360.0)
    };
    (
        (lat - dlat).max(-90.0),
        (lat + dlat).min(90.0),
        (lon - dlon).max(-180.0),
        (lon + dlon).min(180.0),
    )
}

impl Store {
    /// Open cases (not terminal, not linked to a master) of `class_code` created at or after
    /// `since` whose point lies in the box around (`lat`, `lon`) holding the circle of
    /// `radius_m`, except `exclude_id`; newest first, at most `limit` (clamped to 1..=200).
    /// Callers compute the exact distance (the box's corners are farther than the radius).
    ///
    /// # Errors
    /// A radius or point that is not a finite number; database failure.
    #[allow(clippy::too_many_arguments)]
    pub async fn duplicate_candidates(
        &self,
        class_code: &str,
        lat: f64,
        lon: f64,
        radius_m: f64,
        since: Timestamp,
        exclude_id: i64,
        limit: u32,
    ) -> Result<Vec<Case>, StoreError> {
        if !(lat.is_finite() && lon.is_finite() && radius_m.is_finite() && radius_m >= 0.0) {
            return Err(StoreError::Invalid(format!(
                "bad point or radius: lat {lat}, lon {lon}, radius {radius_m} m"
            )));
        }
        let (lat_min, lat_max, lon_min, lon_max) = bounding_box(lat, lon, radius_m);
        let limit = i64::from(limit.clamp(1, MAX_CANDIDATES));
        if let Some(inline) = &self.inline {
            // SQLite: on a pooled rusqlite reader, inline (an index walk of well under a
            // millisecond; every public report runs it, and sqlx's thread hand-offs cost more).
            return inline.with(|c| {
                let sql = candidates_sql_numbered();
                let mut stmt = c.prepare_cached(sql)?;
                let mut rows = stmt.query(rusqlite::params![
                    class_code, since.0, exclude_id, lat_min, lat_max, lon_min, lon_max, limit
                ])?;
                let mut out = Vec::new();
                while let Some(r) = rows.next()? {
                    // Decoded by column position (found once), not by name per field.
                    out.push(case_from_row(&crate::rows::ByPosition::new(sql, r))?);
                }
                Ok(out)
            });
        }
        on_read!(self, p => {
            let rows = sqlx::query(AssertSqlSafe(candidates_sql()))
                .bind(class_code)
                .bind(since.0)
                .bind(exclude_id)
                .bind(lat_min)
                .bind(lat_max)
                .bind(lon_min)
                .bind(lon_max)
                .bind(limit)
                .fetch_all(p)
                .await?;
            rows.iter().map(case_from_row).collect()
        })
    }

    /// The duplicate finder's rules; the defaults when none were saved.
    ///
    /// # Errors
    /// Database failure; a stored value of the wrong shape.
    pub async fn duplicate_rules(&self) -> Result<DuplicateRules, StoreError> {
        Ok(self
            .setting::<DuplicateRules>(SETTING_KEY)
            .await?
            .unwrap_or_default())
    }

    /// Saves the duplicate finder's rules (the caller validates them).
    ///
    /// # Errors
    /// Database failure.
    pub async fn put_duplicate_rules(
        &self,
        rules: &DuplicateRules,
        now: Timestamp,
    ) -> Result<(), StoreError> {
        self.put_setting(SETTING_KEY, rules, now).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::NewUser;
    use crate::tests::backends;
    use domain::area::AreaPath;
    use domain::calendar::WorkCalendar;
    use domain::duplicates::DuplicateRule;
    use domain::org::{Caller, Role, RoleGrant};
    use domain::taxonomy::{ClassKind, HandlingLimits, LimitUnit, TimeLimit, Urgency};
    use domain::workflow::{
        self, ClassSnapshot, Command, Ctx, Evidence, NewReport, NodeLimits, Source,
    };

    const LAT: f64 = 34.75;
    const LON: f64 = 113.61;

    fn t0() -> Timestamp {
        Timestamp::parse_rfc3339("2026-11-24T10:00:00+08:00").expect("time")
    }

    fn class(code: &str) -> ClassSnapshot {
        let l = TimeLimit {
            amount: 4,
            unit: LimitUnit::WorkHours,
        };
        ClassSnapshot {
            standard_ref: "GB/T 47678.5-2026".into(),
            kind: ClassKind::Matter,
            code: code.into(),
            name: "暴露垃圾".into(),
            limits: HandlingLimits {
                urgent: l,
                high: l,
                normal: l,
            },
        }
    }

    async fn user(store: &Store, name: &str, role: Role) -> Caller {
        let grants = vec![RoleGrant {
            role,
            area: None,
            department_id: None,
        }];
        let id = store
            .create_user(
                &NewUser {
                    username: name.into(),
                    display_name: name.into(),
                    phone: None,
                    password_hash: "x".into(),
                    grants: grants.clone(),
                },
                t0(),
            )
            .await
            .expect("user");
        Caller {
            user_id: id,
            grants,
        }
    }

    /// Files a citizen report `north_m` metres north of the reference point, `minutes` after t0.
    async fn report(
        store: &Store,
        citizen: &Caller,
        code: &str,
        north_m: f64,
        minutes: i64,
    ) -> Case {
        let cal = WorkCalendar::builtin();
        let limits = NodeLimits::default();
        let ctx = Ctx {
            calendar: &cal,
            limits: &limits,
            now: t0().plus_minutes(minutes),
        };
        let r = NewReport {
            source: Source::CitizenApp,
            description: "百花路口有成堆垃圾".into(),
            address: None,
            lat: Some(LAT + north_m / M_PER_DEG_LAT),
            lon: Some(LON),
            area: AreaPath::default(),
            road_id: None,
            class: Some(class(code)),
            urgency: Urgency::Normal,
            reporter_name: None,
            reporter_phone: None,
            anonymous: false,
            external_ref: None,
            self_handled: false,
            attachments: vec![],
            note: None,
        };
        let t = workflow::new_case(citizen, r, &ctx).expect("report");
        store.insert_case(&t).await.expect("insert")
    }

    async fn ids(store: &Store, since: Timestamp, exclude: i64, limit: u32) -> Vec<i64> {
        store
            .duplicate_candidates("06010", LAT, LON, 50.0, since, exclude, limit)
            .await
            .expect("candidates")
            .iter()
            .map(|c| c.id)
            .collect()
    }

    #[tokio::test]
    async fn duplicate_candidates_on_every_backend() {
        for (name, store, schema, _dir) in backends("dups").await {
            let citizen = user(&store, "cit", Role::Citizen).await;
            let operator = user(&store, "op", Role::Operator).await;
            let near = report(&store, &citizen, "06010", 10.0, 0).await;
            let newer = report(&store, &citizen, "06010", -30.0, 5).await;
            let far = report(&store, &citizen, "06010", 500.0, 0).await;
            let other_class = report(&store, &citizen, "01001", 0.0, 0).await;
            let old = report(&store, &citizen, "06010", 0.0, -5000).await;
            let me = report(&store, &citizen, "06010", 0.0, 10).await;
            let since = t0().plus_minutes(-4320);
            // Newest first; far, other class, old and the case itself are left out.
            assert_eq!(
                ids(&store, since, me.id, 50).await,
                vec![newer.id, near.id],
                "{name}"
            );
            assert_eq!(ids(&store, since, me.id, 1).await, vec![newer.id], "{name}");
            // Older ones come in when the window reaches back to them.
            assert_eq!(
                ids(&store, t0().plus_minutes(-6000), me.id, 50).await,
                vec![newer.id, near.id, old.id],
                "{name}"
            );
            assert!(!ids(&store, since, 0, 50).await.contains(&far.id));
            assert!(!ids(&store, since, 0, 50).await.contains(&other_class.id));

            // A case linked to a master (merged) is no longer a candidate.
            let cal = WorkCalendar::builtin();
            let limits = NodeLimits::default();
            let ctx = Ctx {
                calendar: &cal,
                limits: &limits,
                now: t0().plus_minutes(20),
            };
            let t = workflow::apply(
                &newer,
                &operator,
                &Command::LinkDuplicate {
                    master_case_id: near.id,
                },
                &Evidence::default(),
                &ctx,
            )
            .expect("link");
            store
                .apply_transition(newer.version, &t)
                .await
                .expect("stored");
            assert_eq!(ids(&store, since, me.id, 50).await, vec![near.id], "{name}");

            assert!(
                store
                    .duplicate_candidates("06010", f64::NAN, LON, 50.0, since, 0, 5)
                    .await
                    .is_err()
            );

            // Rules: defaults until saved, then what was saved.
            assert_eq!(
                store.duplicate_rules().await.expect("rules"),
                DuplicateRules::default()
            );
            let mut rules = DuplicateRules::default();
            rules.per_class.insert(
                "06010".into(),
                DuplicateRule {
                    radius_m: 120.0,
                    window_minutes: 600,
                    auto_link_score: None,
                },
            );
            store.put_duplicate_rules(&rules, t0()).await.expect("save");
            assert_eq!(store.duplicate_rules().await.expect("rules"), rules);
            eprintln!("duplicate candidates passed on {name}");
            if let Some(s) = schema {
                store.drop_schema(&s).await.expect("drop");
            }
        }
    }

    /// With planner statistics (`ANALYZE`, STAT4 samples), SQLite compiles a cached statement
    /// again whenever a value its plan may depend on is bound anew; the candidate query hides
    /// those values from the planner so that it is compiled once per connection.
    #[tokio::test]
    async fn the_candidate_query_is_not_compiled_again_for_new_values() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("stat4.db");
        let store = Store::open(&crate::ConnectOptions::new(path.display().to_string()))
            .await
            .expect("sqlite");
        let citizen = user(&store, "cit", Role::Citizen).await;
        for (i, code) in ["06010", "06012", "09006", "01002"].iter().enumerate() {
            for k in 0..12 {
                report(&store, &citizen, code, 7.0 * k as f64, i as i64 * 60 + k).await;
            }
        }
        store.analyze().await.expect("analyze");
        let inline = store.inline.as_ref().expect("sqlite has inline readers");
        let reprepared = |sql: &str| {
            inline
                .with(|c| {
                    let mut stmt = c.prepare(sql)?;
                    let (a, b, d, e) = bounding_box(LAT, LON, 50.0);
                    for (code, since) in [("06010", 0_i64), ("09006", t0().0), ("01002", 1)] {
                        let mut rows =
                            stmt.query(rusqlite::params![code, since, 0_i64, a, b, d, e, 50_i64])?;
                        while rows.next()?.is_some() {}
                    }
                    Ok(stmt.get_status(rusqlite::StatementStatus::RePrepare))
                })
                .expect("query")
        };
        // The plain text (as PostgreSQL runs it) is compiled again for new values: the check
        // below can fail.
        assert!(reprepared(&candidates_sql().replace('$', "?")) > 0);
        assert_eq!(reprepared(candidates_sql_numbered()), 0);
    }

    #[test]
    fn the_box_holds_the_circle() {
        let (a, b, c, d) = bounding_box(LAT, LON, 50.0);
        for (lat, lon) in [(a, LON), (b, LON), (LAT, c), (LAT, d)] {
            let m = domain::duplicates::haversine_m(LAT, LON, lat, lon);
            assert!(m >= 50.0, "{m}");
        }
        let (_, _, c, d) = bounding_box(89.999, 0.0, 50.0);
        assert!(c <= -180.0 && d >= 180.0);
    }
}
