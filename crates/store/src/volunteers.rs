//! Volunteers 志愿者 and honorary road chiefs 名誉路长: who volunteers for which of the eleven
//! projects ([`VolunteerProject`]), where, and what their reports came to.
//!
//! Registering upserts the `volunteers` row and grants the volunteer role in one transaction,
//! so the next report may use the volunteer channel. Leaving keeps the row (with `left_at`) and
//! takes the role away: the earlier reports still count for the project.

use domain::area::AreaCode;
use domain::time::Timestamp;
use domain::volunteer::VolunteerProject;

use crate::rows::RowExt;
use crate::{Store, StoreError, on_read, on_write};

/// A registration to store (a new volunteer, or a change of an existing one).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NewVolunteer {
    pub user_id: i64,
    pub project: VolunteerProject,
    /// The organisation they volunteer with (a company, school, 志愿服务队 …).
    pub organisation: Option<String>,
    /// The area they serve (any level).
    pub area: Option<AreaCode>,
    /// The road they look after (an honorary road chief's road).
    pub road_id: Option<String>,
    /// 名誉路长 — only an admin may set it.
    pub honorary: bool,
}

/// A volunteer as stored, with their account and the reports they made as a volunteer.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Volunteer {
    pub user_id: i64,
    pub username: String,
    pub display_name: String,
    pub phone: Option<String>,
    pub project: VolunteerProject,
    pub organisation: Option<String>,
    pub area_code: Option<AreaCode>,
    pub road_id: Option<String>,
    /// The road's name, when the road is in the city model.
    pub road_name: Option<String>,
    pub honorary: bool,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
    /// When they left; `None` while active.
    pub left_at: Option<Timestamp>,
    /// Reports they made through the volunteer channel, ever.
    pub reports: i64,
}

/// Which volunteers to list (newest registration first).
#[derive(Clone, Debug, Default)]
pub struct VolunteerFilter {
    pub project: Option<VolunteerProject>,
    /// The area or any area inside it.
    pub area: Option<AreaCode>,
    pub road_id: Option<String>,
    /// Include volunteers who left.
    pub include_left: bool,
    pub limit: u32,
}

/// The counts of one project: active volunteers, and the reports made through the volunteer
/// channel in a period by volunteers of the project.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ProjectCount {
    pub project: Option<VolunteerProject>,
    pub volunteers: i64,
    /// Of them honorary road chiefs 名誉路长.
    pub honorary: i64,
    pub reports: i64,
    /// Confirmed on site 核实属实.
    pub verified: i64,
    /// Filed 立案 (valid reports).
    pub filed: i64,
    /// Closed 结案.
    pub closed: i64,
}

/// Every project's counts (all eleven, zeros included) and the channel's total.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct VolunteerSummary {
    /// One entry per project, in [`VolunteerProject::ALL`] order.
    pub projects: Vec<ProjectCount>,
    /// Active volunteers.
    pub volunteers: i64,
    /// Every report through the volunteer channel in the period.
    pub reports: i64,
    /// Of them, reports whose reporter never registered a project.
    pub unregistered_reports: i64,
}

fn project_of(s: &str) -> Result<VolunteerProject, StoreError> {
    VolunteerProject::parse(s)
        .ok_or_else(|| StoreError::Corrupt(format!("unknown volunteer project {s:?}")))
}

fn volunteer_from_row(r: &impl RowExt) -> Result<Volunteer, StoreError> {
    let area_code = match r.opt_text("area_code")? {
        Some(a) => Some(
            AreaCode::parse(&a)
                .map_err(|e| StoreError::Corrupt(format!("volunteer area {a:?}: {e}")))?,
        ),
        None => None,
    };
    Ok(Volunteer {
        user_id: r.i64("user_id")?,
        username: r.text("username")?,
        display_name: r.text("display_name")?,
        phone: r.opt_text("phone")?,
        project: project_of(&r.text("project")?)?,
        organisation: r.opt_text("organisation")?,
        area_code,
        road_id: r.opt_text("road_id")?,
        road_name: r.opt_text("road_name")?,
        honorary: r.bool("honorary")?,
        created_at: Timestamp(r.i64("created_at")?),
        updated_at: Timestamp(r.i64("updated_at")?),
        left_at: r.opt_i64("left_at")?.map(Timestamp),
        reports: r.i64("reports")?,
    })
}

/// The columns of a listed volunteer (`v` volunteers, `u` users, `r` roads).
const SELECT: &str = "SELECT v.user_id, u.username, u.display_name, u.phone, v.project,
       v.organisation, v.area_code, v.road_id, r.name AS road_name, v.honorary, v.created_at,
       v.updated_at, v.left_at,
       (SELECT COUNT(*) FROM cases c WHERE c.reporter_id = v.user_id AND c.source = 'volunteer')
         AS reports
  FROM volunteers v JOIN users u ON u.id = v.user_id LEFT JOIN roads r ON r.id = v.road_id";

impl Store {
    /// Registers `v.user_id` as a volunteer (or changes their registration, coming back if they
    /// had left) and grants them the volunteer role, in one transaction.
    ///
    /// # Errors
    /// [`StoreError::NotFound`] for an unknown user; the store fails.
    pub async fn register_volunteer(
        &self,
        v: &NewVolunteer,
        now: Timestamp,
    ) -> Result<Volunteer, StoreError> {
        on_write!(self, p => {
            // The first statement writes, so an SQLite transaction takes the write lock at once
            // (waiting its turn) instead of failing to upgrade a read snapshot. An unknown user
            // fails the foreign key.
            let mut tx = p.begin().await?;
            sqlx::query(
                "INSERT INTO volunteers (user_id, project, organisation, road_id, created_at,
                   area_code, honorary, updated_at, left_at)
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $5, NULL)
                 ON CONFLICT (user_id) DO UPDATE SET project = excluded.project,
                   organisation = excluded.organisation, road_id = excluded.road_id,
                   area_code = excluded.area_code, honorary = excluded.honorary,
                   updated_at = excluded.updated_at, left_at = NULL",
            )
            .bind(v.user_id).bind(v.project.as_str()).bind(v.organisation.as_deref())
            .bind(v.road_id.as_deref()).bind(now.0)
            .bind(v.area.as_ref().map(AreaCode::as_str)).bind(i64::from(v.honorary))
            .execute(&mut *tx).await
            .map_err(|e| match StoreError::from(e) {
                StoreError::ForeignKey(_) => StoreError::NotFound("user"),
                other => other,
            })?;
            sqlx::query(
                "INSERT INTO user_roles (user_id, role) SELECT $1, 'volunteer'
                 WHERE NOT EXISTS (SELECT 1 FROM user_roles WHERE user_id = $1 AND role = 'volunteer')",
            )
            .bind(v.user_id).execute(&mut *tx).await?;
            tx.commit().await?;
        });
        self.volunteer(v.user_id)
            .await?
            .ok_or(StoreError::NotFound("volunteer"))
    }

    /// A volunteer (active or not) by user id.
    ///
    /// # Errors
    /// The store fails.
    pub async fn volunteer(&self, user_id: i64) -> Result<Option<Volunteer>, StoreError> {
        on_write!(self, p => {
            let row = sqlx::query(sqlx::AssertSqlSafe(format!("{SELECT} WHERE v.user_id = $1")))
                .bind(user_id).fetch_optional(p).await?;
            row.as_ref().map(volunteer_from_row).transpose()
        })
    }

    /// A volunteer leaves: the row stays with `left_at`, the volunteer role is taken away (an
    /// account left with no role at all becomes a plain citizen).
    ///
    /// # Errors
    /// [`StoreError::NotFound`] when `user_id` is no active volunteer; the store fails.
    pub async fn deregister_volunteer(
        &self,
        user_id: i64,
        now: Timestamp,
    ) -> Result<(), StoreError> {
        on_write!(self, p => {
            let mut tx = p.begin().await?;
            let n = sqlx::query(
                "UPDATE volunteers SET left_at = $2, updated_at = $2
                 WHERE user_id = $1 AND left_at IS NULL",
            )
            .bind(user_id).bind(now.0).execute(&mut *tx).await?.rows_affected();
            if n == 0 {
                return Err(StoreError::NotFound("volunteer"));
            }
            sqlx::query("DELETE FROM user_roles WHERE user_id = $1 AND role = 'volunteer'")
                .bind(user_id).execute(&mut *tx).await?;
            sqlx::query(
                "INSERT INTO user_roles (user_id, role) SELECT $1, 'citizen'
                 WHERE NOT EXISTS (SELECT 1 FROM user_roles WHERE user_id = $1)",
            )
            .bind(user_id).execute(&mut *tx).await?;
            tx.commit().await?;
        });
        Ok(())
    }

    /// Volunteers matching `f`, newest registration first.
    ///
    /// # Errors
    /// The store fails.
    pub async fn list_volunteers(&self, f: &VolunteerFilter) -> Result<Vec<Volunteer>, StoreError> {
        let limit = i64::from(f.limit.clamp(1, 1000));
        let area = f.area.as_ref().map(|a| format!("{}%", a.as_str()));
        on_read!(self, p => {
            let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
                "{SELECT}
                 WHERE ($1 IS NULL OR v.project = $1) AND ($2 IS NULL OR v.area_code LIKE $2)
                   AND ($3 IS NULL OR v.road_id = $3) AND ($4 = 1 OR v.left_at IS NULL)
                 ORDER BY v.created_at DESC, v.user_id DESC LIMIT $5"
            )))
            .bind(f.project.map(VolunteerProject::as_str)).bind(area.as_deref())
            .bind(f.road_id.as_deref()).bind(i64::from(f.include_left)).bind(limit)
            .fetch_all(p).await?;
            rows.iter().map(volunteer_from_row).collect()
        })
    }

    /// Whether a road with this id is in the city model.
    ///
    /// # Errors
    /// The store fails.
    pub async fn road_exists(&self, road_id: &str) -> Result<bool, StoreError> {
        on_read!(self, p => {
            let id: Option<String> = sqlx::query_scalar("SELECT id FROM roads WHERE id = $1")
                .bind(road_id).fetch_optional(p).await?;
            Ok(id.is_some())
        })
    }

    /// Active volunteers per project, and the reports through the volunteer channel created in
    /// `[from, to)` per project of their reporter: all eleven projects, zeros included.
    ///
    /// # Errors
    /// The store fails; a stored project is unknown ([`StoreError::Corrupt`]).
    pub async fn volunteer_summary(
        &self,
        from: Timestamp,
        to: Timestamp,
    ) -> Result<VolunteerSummary, StoreError> {
        let mut out = VolunteerSummary {
            projects: VolunteerProject::ALL
                .iter()
                .map(|p| ProjectCount {
                    project: Some(*p),
                    ..ProjectCount::default()
                })
                .collect(),
            ..VolunteerSummary::default()
        };
        let slot = |out: &mut VolunteerSummary, p: VolunteerProject| -> usize {
            let i = VolunteerProject::ALL
                .iter()
                .position(|x| *x == p)
                .unwrap_or(0);
            debug_assert!(i < out.projects.len());
            i
        };
        on_read!(self, p => {
            let rows = sqlx::query(
                "SELECT project, COUNT(*) AS n, CAST(COALESCE(SUM(honorary), 0) AS BIGINT) AS h
                 FROM volunteers WHERE left_at IS NULL GROUP BY project",
            )
            .fetch_all(p).await?;
            for r in &rows {
                let i = slot(&mut out, project_of(&r.text("project")?)?);
                out.projects[i].volunteers = r.i64("n")?;
                out.projects[i].honorary = r.i64("h")?;
                out.volunteers += r.i64("n")?;
            }
            let rows = sqlx::query(
                "SELECT v.project, COUNT(*) AS reports,
                   CAST(COALESCE(SUM(CASE WHEN c.verified = 1 THEN 1 ELSE 0 END), 0) AS BIGINT) AS verified,
                   CAST(COALESCE(SUM(CASE WHEN EXISTS (SELECT 1 FROM case_events e
                     WHERE e.case_id = c.id AND e.action = 'file') THEN 1 ELSE 0 END), 0) AS BIGINT) AS filed,
                   CAST(COALESCE(SUM(CASE WHEN c.state = 'closed' THEN 1 ELSE 0 END), 0) AS BIGINT) AS closed
                 FROM cases c JOIN volunteers v ON v.user_id = c.reporter_id
                 WHERE c.source = 'volunteer' AND c.created_at >= $1 AND c.created_at < $2
                 GROUP BY v.project",
            )
            .bind(from.0).bind(to.0)
            .fetch_all(p).await?;
            let mut registered = 0;
            for r in &rows {
                let i = slot(&mut out, project_of(&r.text("project")?)?);
                let c = &mut out.projects[i];
                c.reports = r.i64("reports")?;
                c.verified = r.i64("verified")?;
                c.filed = r.i64("filed")?;
                c.closed = r.i64("closed")?;
                registered += c.reports;
            }
            let total: i64 = sqlx::query_scalar(
                "SELECT COUNT(*) FROM cases
                 WHERE source = 'volunteer' AND created_at >= $1 AND created_at < $2",
            )
            .bind(from.0).bind(to.0)
            .fetch_one(p).await?;
            out.reports = total;
            out.unregistered_reports = total - registered;
        });
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use domain::area::AreaPath;
    use domain::calendar::WorkCalendar;
    use domain::org::{Caller, Role, RoleGrant};
    use domain::taxonomy::{ClassKind, HandlingLimits, LimitUnit, TimeLimit, Urgency};
    use domain::workflow::{
        self, Case, ClassSnapshot, Command, Ctx, Evidence, NewReport, NodeLimits, Source,
    };

    use super::*;
    use crate::tests::backends;
    use crate::{Area, NewAttachment, NewUser};

    fn t0() -> Timestamp {
        Timestamp::parse_rfc3339("2026-11-24T10:00:00+08:00").expect("time")
    }

    fn code(s: &str) -> AreaCode {
        AreaCode::parse(s).expect("code")
    }

    async fn user(store: &Store, name: &str, role: Role, area: Option<&str>) -> Caller {
        let grants = vec![RoleGrant {
            role,
            area: area.map(code),
            department_id: None,
        }];
        let id = store
            .create_user(
                &NewUser {
                    username: name.into(),
                    display_name: name.into(),
                    phone: Some("13700000000".into()),
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

    /// The caller as the server would see it now (grants read back from the store).
    async fn reload(store: &Store, c: &Caller) -> Caller {
        let u = store
            .user_with_roles(c.user_id)
            .await
            .expect("user")
            .expect("exists");
        Caller {
            user_id: c.user_id,
            grants: u.grants,
        }
    }

    fn ctx<'a>(cal: &'a WorkCalendar, limits: &'a NodeLimits, minutes: i64) -> Ctx<'a> {
        Ctx {
            calendar: cal,
            limits,
            now: t0().plus_minutes(minutes),
        }
    }

    async fn report(store: &Store, who: &Caller, minutes: i64) -> Result<Case, String> {
        let cal = WorkCalendar::builtin();
        let limits = NodeLimits::default();
        let r = NewReport {
            source: Source::Volunteer,
            description: "人行道井盖缺失".into(),
            address: None,
            lat: None,
            lon: None,
            area: AreaPath::of(&code("410102001001")),
            road_id: None,
            class: None,
            urgency: Urgency::Normal,
            reporter_name: None,
            reporter_phone: None,
            anonymous: false,
            external_ref: None,
            self_handled: false,
            attachments: vec![],
            note: None,
        };
        let t =
            workflow::new_case(who, r, &ctx(&cal, &limits, minutes)).map_err(|e| e.to_string())?;
        Ok(store.insert_case(&t).await.expect("insert"))
    }

    async fn step(store: &Store, case: &Case, who: &Caller, cmd: Command, ev: Evidence) -> Case {
        let cal = WorkCalendar::builtin();
        let limits = NodeLimits::default();
        let t = workflow::apply(case, who, &cmd, &ev, &ctx(&cal, &limits, 30)).expect("step");
        store
            .apply_transition(case.version, &t)
            .await
            .expect("stored");
        t.case
    }

    fn class() -> ClassSnapshot {
        let l = TimeLimit {
            amount: 4,
            unit: LimitUnit::WorkHours,
        };
        ClassSnapshot {
            standard_ref: "GB/T 47678.5-2026".into(),
            kind: ClassKind::Matter,
            code: "01001".into(),
            name: "井盖".into(),
            limits: HandlingLimits {
                urgent: l,
                high: l,
                normal: l,
            },
        }
    }

    #[tokio::test]
    async fn volunteers_register_leave_and_count_on_every_backend() {
        for (name, store, schema, _dir) in backends("volunteers").await {
            let areas: Vec<Area> = [
                ("410102", "中原区", None),
                ("410102001", "林山寨街道", Some("410102")),
                ("410102001001", "百花社区", Some("410102001")),
                ("410102002", "建设路街道", Some("410102")),
            ]
            .iter()
            .map(|(c, n, p)| Area {
                code: code(c),
                name: (*n).into(),
                parent_code: p.map(code),
            })
            .collect();
            store.upsert_areas(&areas, t0()).await.expect("areas");
            let alice = user(&store, "alice", Role::Citizen, None).await;
            let bob = user(&store, "bob", Role::Citizen, None).await;
            let carol = user(&store, "carol", Role::Volunteer, None).await;
            let operator = user(&store, "op", Role::Operator, Some("410102")).await;
            let inspector = user(&store, "insp", Role::Inspector, Some("410102001")).await;
            let supervisor = user(&store, "sup", Role::ShiftSupervisor, Some("410102")).await;

            // Before registering, a citizen may not use the volunteer channel.
            assert!(report(&store, &alice, 0).await.is_err(), "{name}");

            // Registering grants the role (kept once) and the row; an unknown user is refused.
            let reg = |user_id, project, area: Option<&str>| NewVolunteer {
                user_id,
                project,
                organisation: Some("郑州市志愿服务队".into()),
                area: area.map(code),
                road_id: None,
                honorary: false,
            };
            let a = store
                .register_volunteer(
                    &reg(
                        alice.user_id,
                        VolunteerProject::RoadPatrol,
                        Some("410102001"),
                    ),
                    t0(),
                )
                .await
                .expect("register");
            assert_eq!(a.project, VolunteerProject::RoadPatrol);
            assert_eq!(a.username, "alice");
            assert_eq!(a.left_at, None);
            assert_eq!(a.created_at, t0());
            store
                .register_volunteer(
                    &reg(
                        bob.user_id,
                        VolunteerProject::SharedBikes,
                        Some("410102002"),
                    ),
                    t0().plus_minutes(1),
                )
                .await
                .expect("register");
            let mut honorary = reg(carol.user_id, VolunteerProject::RoadPatrol, None);
            honorary.honorary = true;
            store
                .register_volunteer(&honorary, t0().plus_minutes(2))
                .await
                .expect("register");
            assert!(matches!(
                store
                    .register_volunteer(&reg(999_999, VolunteerProject::Community, None), t0())
                    .await,
                Err(StoreError::NotFound("user"))
            ));
            let alice = reload(&store, &alice).await;
            assert!(alice.has_role(Role::Volunteer) && alice.has_role(Role::Citizen));
            let bob = reload(&store, &bob).await;
            let carol = reload(&store, &carol).await;
            assert_eq!(
                carol.grants.len(),
                1,
                "{name}: the role is not granted twice"
            );

            // Changing the registration keeps the first registration time.
            let moved = store
                .register_volunteer(
                    &reg(
                        alice.user_id,
                        VolunteerProject::Waterways,
                        Some("410102001001"),
                    ),
                    t0().plus_minutes(5),
                )
                .await
                .expect("update");
            assert_eq!(moved.project, VolunteerProject::Waterways);
            assert_eq!(
                (moved.created_at, moved.updated_at),
                (t0(), t0().plus_minutes(5))
            );

            // Lists: newest first, by project, by area (and inside it).
            let list = |f: VolunteerFilter| {
                let store = store.clone();
                async move {
                    store
                        .list_volunteers(&VolunteerFilter { limit: 50, ..f })
                        .await
                        .expect("list")
                        .iter()
                        .map(|v| v.username.clone())
                        .collect::<Vec<_>>()
                }
            };
            assert_eq!(
                list(VolunteerFilter::default()).await,
                ["carol", "bob", "alice"]
            );
            assert_eq!(
                list(VolunteerFilter {
                    project: Some(VolunteerProject::RoadPatrol),
                    ..VolunteerFilter::default()
                })
                .await,
                ["carol"]
            );
            assert_eq!(
                list(VolunteerFilter {
                    area: Some(code("410102001")),
                    ..VolunteerFilter::default()
                })
                .await,
                ["alice"]
            );
            assert_eq!(
                list(VolunteerFilter {
                    road_id: Some("R1".into()),
                    ..VolunteerFilter::default()
                })
                .await,
                Vec::<String>::new()
            );
            assert!(!store.road_exists("R1").await.expect("road"));

            // Reports: alice twice (one verified and filed), bob once, carol once (rejected).
            let first = report(&store, &alice, 10).await.expect("volunteer report");
            assert_eq!(first.state, workflow::CaseState::Reported);
            report(&store, &alice, 11).await.expect("report");
            report(&store, &bob, 12).await.expect("report");
            let c = report(&store, &carol, 13).await.expect("report");
            let photo = store
                .insert_attachment(
                    &NewAttachment {
                        uploader_id: inspector.user_id,
                        content_type: "image/jpeg".into(),
                        size_bytes: 3,
                        sha256: "abc".into(),
                        path: "x.jpg".into(),
                        original_name: None,
                    },
                    t0(),
                )
                .await
                .expect("photo");
            let first = step(
                &store,
                &first,
                &operator,
                Command::SendVerify {
                    inspector_id: inspector.user_id,
                },
                Evidence::default(),
            )
            .await;
            let first = step(
                &store,
                &first,
                &inspector,
                Command::Verify { confirmed: true },
                Evidence {
                    note: None,
                    attachments: vec![photo],
                },
            )
            .await;
            step(
                &store,
                &first,
                &supervisor,
                Command::File {
                    class: Some(class()),
                    urgency: Some(Urgency::Normal),
                },
                Evidence::default(),
            )
            .await;
            let note = Evidence {
                note: Some("不属于城市管理范围".into()),
                attachments: vec![],
            };
            step(&store, &c, &operator, Command::RejectReport, note).await;

            let s = store
                .volunteer_summary(t0(), t0().plus_minutes(24 * 60))
                .await
                .expect("summary");
            assert_eq!(s.projects.len(), 11);
            assert_eq!((s.volunteers, s.reports, s.unregistered_reports), (3, 4, 0));
            let of = |p: VolunteerProject| {
                s.projects
                    .iter()
                    .find(|c| c.project == Some(p))
                    .cloned()
                    .expect("project")
            };
            assert_eq!(
                of(VolunteerProject::Waterways),
                ProjectCount {
                    project: Some(VolunteerProject::Waterways),
                    volunteers: 1,
                    honorary: 0,
                    reports: 2,
                    verified: 1,
                    filed: 1,
                    closed: 0,
                }
            );
            let road = of(VolunteerProject::RoadPatrol);
            assert_eq!(
                (road.volunteers, road.honorary, road.reports, road.filed),
                (1, 1, 1, 0)
            );
            assert_eq!(of(VolunteerProject::SharedBikes).reports, 1);
            assert_eq!(
                of(VolunteerProject::Community),
                ProjectCount {
                    project: Some(VolunteerProject::Community),
                    ..ProjectCount::default()
                }
            );
            // The period bounds the reports, not the volunteers.
            let later = store
                .volunteer_summary(t0().plus_minutes(12), t0().plus_minutes(60))
                .await
                .expect("summary");
            assert_eq!((later.volunteers, later.reports), (3, 2));
            let v = store
                .volunteer(alice.user_id)
                .await
                .expect("get")
                .expect("alice");
            assert_eq!(v.reports, 2);

            // Leaving: the role goes, the reports stay counted, the list hides them by default;
            // an account with no other role becomes a citizen; leaving twice is not found.
            store
                .deregister_volunteer(carol.user_id, t0().plus_minutes(90))
                .await
                .expect("leave");
            assert!(matches!(
                store
                    .deregister_volunteer(carol.user_id, t0().plus_minutes(91))
                    .await,
                Err(StoreError::NotFound("volunteer"))
            ));
            let carol = reload(&store, &carol).await;
            assert!(!carol.has_role(Role::Volunteer) && carol.has_role(Role::Citizen));
            assert!(report(&store, &carol, 100).await.is_err());
            assert_eq!(list(VolunteerFilter::default()).await, ["bob", "alice"]);
            assert_eq!(
                list(VolunteerFilter {
                    include_left: true,
                    ..VolunteerFilter::default()
                })
                .await,
                ["carol", "bob", "alice"]
            );
            let s = store
                .volunteer_summary(t0(), t0().plus_minutes(24 * 60))
                .await
                .expect("summary");
            assert_eq!((s.volunteers, s.reports), (2, 4));
            let road = s.projects[0].clone();
            assert_eq!((road.volunteers, road.reports), (0, 1), "{name}");
            // Coming back clears the leaving time.
            let back = store
                .register_volunteer(&reg(carol.user_id, VolunteerProject::Community, None), t0())
                .await
                .expect("back");
            assert_eq!(back.left_at, None);
            eprintln!("volunteers passed on {name}");
            if let Some(s) = schema {
                store.drop_schema(&s).await.expect("drop");
            }
        }
    }
}
