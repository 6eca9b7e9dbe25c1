//! Demo history: on a fresh demo store, the past two weeks of the district are replayed through
//! the real workflow (`domain::workflow`) and written through the real store API, with each
//! step at its own past instant. Cases end at every stage, so from the first minute the demo
//! shows closed cases with full audit trails, overdue (red) and nearly due (yellow) work,
//! returns, extensions, suspensions, rework, supervision and voids.

use std::collections::HashMap;

use domain::area::{AreaCode, AreaPath};
use domain::calendar::WorkCalendar;
use domain::org::{Caller, Role};
use domain::taxonomy::{ClassKind, GB_47678_5_2026, Urgency};
use domain::time::Timestamp;
use domain::workflow::{
    self, ClassSnapshot, Command, Ctx, Evidence, NewReport, NodeLimits, Source,
};
use rand::rngs::StdRng;
use rand::{RngExt, SeedableRng};
use store::{CaseFilter, NewAttachment, Store};

use crate::demo::DemoDistrict;

use crate::sim::PROBLEMS;

struct People {
    by_name: HashMap<String, Caller>,
}

impl People {
    fn get(&self, name: &str) -> anyhow::Result<&Caller> {
        self.by_name
            .get(name)
            .ok_or_else(|| anyhow::anyhow!("demo account {name} missing"))
    }
}

/// Where the history's stand-in photo lives, relative to the attachments directory.
const HISTORY_PHOTO: &str = "demo/history.png";

/// A photo record for an on-site picture of the replayed history (one shared stand-in image).
async fn photo(store: &Store, who: &Caller, at: Timestamp) -> anyhow::Result<i64> {
    Ok(store
        .insert_attachment(
            &NewAttachment {
                uploader_id: who.user_id,
                content_type: "image/png".into(),
                size_bytes: crate::sim::PHOTO_PNG.len() as i64,
                sha256: String::new(),
                path: HISTORY_PHOTO.into(),
                original_name: Some("history.png".into()),
            },
            at,
        )
        .await?)
}

/// Replays history if the store has no cases yet. Returns how many cases were written.
///
/// # Errors
/// The store fails or a demo account is missing.
pub async fn backfill(
    store: &Store,
    district: &DemoDistrict,
    now: Timestamp,
    seed: u64,
    attachments_dir: &std::path::Path,
) -> anyhow::Result<usize> {
    let file = attachments_dir.join(HISTORY_PHOTO);
    if let Some(parent) = file.parent() {
        std::fs::create_dir_all(parent)?;
    }
    std::fs::write(&file, crate::sim::PHOTO_PNG)?;
    let all = domain::policy::Visibility {
        all: true,
        ..Default::default()
    };
    if store.count_cases(&CaseFilter::default(), &all, now).await? > 0 {
        return Ok(0);
    }
    let mut by_name = HashMap::new();
    for u in store.list_users().await? {
        by_name.insert(
            u.user.username.clone(),
            Caller {
                user_id: u.user.id,
                grants: u.grants,
            },
        );
    }
    let people = People { by_name };
    let cal = WorkCalendar::new(
        store
            .setting(server::rules::WORK_SCHEDULE)
            .await?
            .unwrap_or_default(),
        &store.special_days().await?,
    )
    .map_err(|e| anyhow::anyhow!("{e}"))?;
    let limits: NodeLimits = store
        .setting(server::rules::NODE_LIMITS)
        .await?
        .unwrap_or_default();
    let mut rng = StdRng::seed_from_u64(seed);
    let mut written = 0;
    for i in 0..120u32 {
        // Reports spread over the last ten working days, older ones further along.
        let back = rng.random_range(30..(10 * 420));
        let mut t = cal.add_working_minutes(now.plus_minutes(-(14 * 24 * 60)), 0);
        while cal.working_minutes_between(t, now) > back {
            t = t.plus_minutes(rng.random_range(20..120));
        }
        let grid = &district.grids[rng.random_range(0..district.grids.len())];
        let (desc, code, dtype) = PROBLEMS[rng.random_range(0..PROBLEMS.len())];
        let inspector_name = district
            .accounts
            .iter()
            .find(|a| {
                a.role == Role::Inspector
                    && a.street_code.as_deref() == Some(grid.street_code.as_str())
            })
            .map(|a| a.username.clone())
            .unwrap_or_else(|| "inspector1".into());
        let inspector = people.get(&inspector_name)?.clone();
        let class = store
            .get_class(GB_47678_5_2026, ClassKind::Matter, code)
            .await?
            .map(|c| ClassSnapshot {
                standard_ref: c.standard_ref,
                kind: c.kind,
                code: c.code,
                name: c.name,
                limits: c.limits,
            });
        let by_inspector = i % 3 == 0;
        let reporter = if by_inspector {
            inspector.clone()
        } else {
            people.get(&format!("citizen{}", 1 + i % 3))?.clone()
        };
        let ctx = |at| Ctx {
            calendar: &cal,
            limits: &limits,
            now: at,
        };
        let p = photo(store, &reporter, t).await?;
        let report = NewReport {
            source: if by_inspector {
                Source::Inspector
            } else {
                Source::CitizenApp
            },
            description: desc.into(),
            address: Some(format!("{}附近", grid.name)),
            // The grid's own inside point, so the stored grid is exact.
            lat: Some(grid.lat),
            lon: Some(grid.lon),
            area: AreaPath::of(&AreaCode::parse(&grid.code).map_err(|e| anyhow::anyhow!("{e}"))?),
            road_id: None,
            class: if by_inspector { class.clone() } else { None },
            urgency: if rng.random_bool(0.2) {
                Urgency::High
            } else {
                Urgency::Normal
            },
            reporter_name: None,
            reporter_phone: None,
            anonymous: false,
            external_ref: None,
            self_handled: false,
            attachments: vec![p],
            note: None,
        };
        let tr =
            workflow::new_case(&reporter, report, &ctx(t)).map_err(|e| anyhow::anyhow!("{e}"))?;
        let mut case = store.insert_case(&tr).await?;
        written += 1;
        let dept = district
            .departments
            .iter()
            .find(|d| d.1 == dtype)
            .map(|d| d.0)
            .ok_or_else(|| anyhow::anyhow!("no {dtype:?} department"))?;
        let handler = people.get(&format!("dept{dept}"))?.clone();
        // How far this case gets: older cases further along, some stopped to show the lights.
        let target = rng.random_range(0..12u32) + (back / 420) as u32;
        let mut steps: Vec<(Caller, Command, Evidence)> = Vec::new();
        let note = |s: &str| Evidence {
            note: Some(s.into()),
            attachments: vec![],
        };
        if !by_inspector {
            steps.push((
                people.get("operator")?.clone(),
                Command::SendVerify {
                    inspector_id: inspector.user_id,
                },
                Evidence::default(),
            ));
            steps.push((
                inspector.clone(),
                Command::Verify { confirmed: true },
                Evidence {
                    note: Some("现场属实".into()),
                    attachments: vec![-1],
                },
            ));
        }
        steps.push((
            people.get("supervisor")?.clone(),
            Command::File {
                class: class.clone(),
                urgency: None,
            },
            Evidence::default(),
        ));
        steps.push((
            people.get("dispatcher")?.clone(),
            Command::Dispatch {
                department_id: dept,
            },
            Evidence::default(),
        ));
        steps.push((handler.clone(), Command::AcceptTask, Evidence::default()));
        match i % 9 {
            0 => {
                steps.push((
                    handler.clone(),
                    Command::RequestExtension { minutes: 240 },
                    note("需调配机械"),
                ));
                steps.push((
                    people.get("dispatcher")?.clone(),
                    Command::ApproveExtension,
                    Evidence::default(),
                ));
            }
            1 => {
                steps.push((
                    handler.clone(),
                    Command::RequestSuspension,
                    note("涉及产权单位，需协调"),
                ));
                steps.push((
                    people.get("dispatcher")?.clone(),
                    Command::ApproveSuspension,
                    Evidence::default(),
                ));
                steps.push((
                    people.get("dispatcher")?.clone(),
                    Command::Resume,
                    note("已协调"),
                ));
            }
            _ => {}
        }
        steps.push((
            handler.clone(),
            Command::Feedback,
            Evidence {
                note: Some("已处置完毕".into()),
                attachments: vec![-1],
            },
        ));
        steps.push((
            people.get("operator")?.clone(),
            Command::SendCheck {
                inspector_id: inspector.user_id,
            },
            Evidence::default(),
        ));
        let passed = i % 7 != 3;
        steps.push((
            inspector.clone(),
            Command::Check { passed },
            Evidence {
                note: None,
                attachments: vec![-1],
            },
        ));
        if passed {
            steps.push((
                people.get("supervisor")?.clone(),
                Command::Close,
                Evidence::default(),
            ));
        } else {
            steps.push((
                people.get("supervisor")?.clone(),
                Command::Rework,
                note("核查未通过，返工"),
            ));
        }
        let mut at = t;
        for (n, (who, cmd, mut ev)) in steps.into_iter().enumerate() {
            if n as u32 >= target {
                break;
            }
            at = cal.add_working_minutes(at, rng.random_range(10..150));
            if at >= now {
                break;
            }
            if ev.attachments == [-1] {
                ev.attachments = vec![photo(store, &who, at).await?];
            }
            let Ok(tr) = workflow::apply(&case, &who, &cmd, &ev, &ctx(at)) else {
                break;
            };
            store.apply_transition(case.version, &tr).await?;
            case = tr.case;
        }
        // Leaders supervise what is long overdue.
        if case.light(now) == Some(domain::calendar::Light::Red) && rng.random_bool(0.4) {
            let leader = people.get("leader")?;
            if let Ok(tr) = workflow::apply(
                &case,
                leader,
                &Command::Supervise,
                &note("已超期，请加快处置"),
                &ctx(now),
            ) {
                store.apply_transition(case.version, &tr).await?;
            }
        }
    }
    Ok(written)
}
