//! The demo district: part of 郑州市中原区 with its real street and community names and codes
//! (2023 statistical division codes), synthetic unit grids, the district's departments and one
//! account per role. Created once; later starts reuse what is stored.

use std::net::SocketAddr;

use anyhow::Context;
use domain::area::AreaCode;
use domain::org::{DepartmentType, Role, RoleGrant};
use domain::time::Timestamp;
use store::{NewDepartment, NewUser, Store};

/// The password of every demo account.
pub const DEMO_PASSWORD: &str = "yiwang2026";

/// The Open311 API key of the demo's simulated citizen app (acting as `citizen1`), printed in
/// the banner so that anyone can try `POST /open311/v2/requests.json` with it.
pub const DEMO_OPEN311_KEY: &str = "yw_demo_open311_citizen1";

/// Stores [`DEMO_OPEN311_KEY`] for `citizen1` unless it is stored already.
///
/// # Errors
/// The store fails, or the demo account `citizen1` is missing.
pub async fn ensure_open311_key(store: &Store, now: Timestamp) -> anyhow::Result<()> {
    let hash = server::auth::token_hash(DEMO_OPEN311_KEY);
    if store.api_key_user(&hash).await?.is_some() {
        return Ok(());
    }
    let citizen = store
        .user_by_username("citizen1")
        .await?
        .context("demo account citizen1")?;
    store
        .create_api_key(&hash, "随手拍 demo app (Open311)", citizen.id, now)
        .await
        .context("demo Open311 API key")?;
    Ok(())
}

/// The four streets of 中原区 where the demo's inspectors work and the simulated loop runs
/// (real 2023 statistical codes; names come from the generated city).
const DEMO_STREETS: &[&str] = &["410102002", "410102004", "410102007", "410102010"];

/// Road chiefs 路长 of the demo; the generated roads are shared among them.
const ROAD_CHIEFS: &[&str] = &["roadchief", "roadchief2", "roadchief3", "roadchief4"];

/// A unit grid of the demo streets with a point inside it.
#[derive(Clone, Debug)]
pub struct DemoGrid {
    pub code: String,
    pub name: String,
    pub street_code: String,
    /// A point inside the grid, WGS-84 degrees.
    pub lat: f64,
    pub lon: f64,
}

#[derive(Clone, Debug)]
pub struct DemoAccount {
    pub username: String,
    pub label: String,
    pub role: Role,
    pub street_code: Option<String>,
    pub department: Option<(i64, DepartmentType)>,
}

#[derive(Clone, Debug)]
pub struct DemoDistrict {
    pub grids: Vec<DemoGrid>,
    /// Sizes of the stored city model.
    pub city: store::CityCounts,
    /// Street names by code.
    pub street_names: Vec<(String, String)>,
    pub departments: Vec<(i64, DepartmentType, String, Option<String>)>,
    pub accounts: Vec<DemoAccount>,
}

fn code(s: &str) -> anyhow::Result<AreaCode> {
    AreaCode::parse(s).map_err(|e| anyhow::anyhow!("{e}"))
}

fn accounts(
    depts: &[(i64, DepartmentType, String, Option<String>)],
    street_names: &[(String, String)],
) -> Vec<DemoAccount> {
    let mut out = vec![
        DemoAccount {
            username: "admin".into(),
            label: "管理员".into(),
            role: Role::Admin,
            street_code: None,
            department: None,
        },
        DemoAccount {
            username: "leader".into(),
            label: "区领导".into(),
            role: Role::Leader,
            street_code: None,
            department: None,
        },
        DemoAccount {
            username: "operator".into(),
            label: "受理员".into(),
            role: Role::Operator,
            street_code: None,
            department: None,
        },
        DemoAccount {
            username: "supervisor".into(),
            label: "值班长".into(),
            role: Role::ShiftSupervisor,
            street_code: None,
            department: None,
        },
        DemoAccount {
            username: "dispatcher".into(),
            label: "派遣员".into(),
            role: Role::Dispatcher,
            street_code: None,
            department: None,
        },
        DemoAccount {
            username: "volunteer".into(),
            label: "志愿者".into(),
            role: Role::Volunteer,
            street_code: None,
            department: None,
        },
    ];
    for (i, (street, sname)) in street_names.iter().enumerate() {
        out.push(DemoAccount {
            username: format!("inspector{}", i + 1),
            label: format!("{sname}监督员"),
            role: Role::Inspector,
            street_code: Some(street.clone()),
            department: None,
        });
    }
    for (i, name) in ROAD_CHIEFS.iter().enumerate() {
        out.push(DemoAccount {
            username: (*name).into(),
            label: format!("路长{}", i + 1),
            role: Role::RoadChief,
            street_code: street_names.get(i).map(|(c, _)| c.clone()),
            department: None,
        });
    }
    for i in 1..=3 {
        out.push(DemoAccount {
            username: format!("citizen{i}"),
            label: format!("市民{i}"),
            role: Role::Citizen,
            street_code: None,
            department: None,
        });
    }
    for (id, t, name, _) in depts {
        out.push(DemoAccount {
            username: format!("dept{id}"),
            label: name.clone(),
            role: Role::DepartmentHandler,
            street_code: None,
            department: Some((*id, *t)),
        });
    }
    out
}

/// Creates the demo city (three districts of 郑州, generated from `seed` at `scale`) and the
/// 中原区 organisation if the store has no city yet; returns what the simulation needs.
///
/// # Errors
/// The store fails.
pub async fn ensure_district(
    store: &Store,
    now: Timestamp,
    seed: u64,
    scale: grid::Scale,
) -> anyhow::Result<DemoDistrict> {
    let fresh = store.city_counts().await?.grids == 0;
    let model = if fresh {
        let opts = grid::generate::GenerateOptions {
            road_chiefs: ROAD_CHIEFS.iter().map(|s| (*s).to_owned()).collect(),
        };
        let started = std::time::Instant::now();
        let model =
            tokio::task::spawn_blocking(move || grid::generate::generate_with(seed, scale, &opts))
                .await?;
        println!(
            "  generated the demo city in {:.1} s: {} areas and grids, {} roads, {} components",
            started.elapsed().as_secs_f64(),
            model.areas.len(),
            model.roads.len(),
            model.components.len()
        );
        let started = std::time::Instant::now();
        store
            .import_areas(&model.areas, now)
            .await
            .context("demo areas")?;
        println!(
            "  stored {} areas and grids with their outlines in {:.1} s",
            model.areas.len(),
            started.elapsed().as_secs_f64()
        );
        Some(model)
    } else {
        None
    };
    let mut street_names = Vec::new();
    for s in DEMO_STREETS {
        let name = store
            .get_area(&code(s)?)
            .await?
            .map(|a| a.name)
            .unwrap_or_else(|| (*s).to_owned());
        street_names.push(((*s).to_owned(), name));
    }
    if store.list_departments().await?.is_empty() {
        let district = vec![code("410102")?];
        let mut departments = vec![
            (
                "ZY-HW",
                "中原区环卫中心",
                DepartmentType::Sanitation,
                district.clone(),
            ),
            (
                "ZY-SZ",
                "中原区市政工程管理所",
                DepartmentType::Municipal,
                district.clone(),
            ),
            (
                "ZY-YL",
                "中原区园林绿化中心",
                DepartmentType::Landscaping,
                district.clone(),
            ),
            (
                "ZY-ZF",
                "中原区城市管理综合执法大队",
                DepartmentType::Enforcement,
                district.clone(),
            ),
            (
                "ZY-JT",
                "中原区交通运输局",
                DepartmentType::Traffic,
                district.clone(),
            ),
            (
                "ZY-GY",
                "中原区公用事业服务中心",
                DepartmentType::Utility,
                district.clone(),
            ),
            (
                "ZY-QT",
                "中原区城市管理局综合科",
                DepartmentType::Other,
                district.clone(),
            ),
        ];
        let street_offices: Vec<(String, String, AreaCode)> = street_names
            .iter()
            .map(|(s, n)| Ok((format!("ZY-JD{}", &s[6..]), format!("{n}办事处"), code(s)?)))
            .collect::<anyhow::Result<_>>()?;
        for (c, n, a) in &street_offices {
            departments.push((
                c.as_str(),
                n.as_str(),
                DepartmentType::Street,
                vec![a.clone()],
            ));
        }
        for (c, n, t, areas) in departments {
            store
                .create_department(
                    &NewDepartment {
                        code: c.into(),
                        name: n.into(),
                        dept_type: t,
                        areas,
                    },
                    now,
                )
                .await
                .context("demo department")?;
        }
    }
    let depts: Vec<(i64, DepartmentType, String, Option<String>)> = store
        .list_departments()
        .await?
        .into_iter()
        .map(|d| {
            let street = d
                .areas
                .iter()
                .find(|a| a.as_str().len() == 9)
                .map(|a| a.as_str().to_owned());
            (d.id, d.dept_type, d.name, street)
        })
        .collect();
    let accounts = accounts(&depts, &street_names);
    let hash = server::auth::hash_password(DEMO_PASSWORD).map_err(|e| anyhow::anyhow!("{e}"))?;
    for a in &accounts {
        if store.user_by_username(&a.username).await?.is_some() {
            continue;
        }
        let area = match (&a.role, &a.street_code) {
            (_, Some(s)) => Some(code(s)?),
            (Role::Citizen | Role::Volunteer | Role::DepartmentHandler | Role::Admin, None) => None,
            _ => Some(code("410102")?),
        };
        let grant = RoleGrant {
            role: a.role,
            area,
            department_id: a.department.map(|d| d.0),
        };
        let phone = match a.role {
            Role::Citizen | Role::Volunteer => {
                Some(format!("1380371{:04}", a.username.len() * 97 % 10000))
            }
            _ => None,
        };
        store
            .create_user(
                &NewUser {
                    username: a.username.clone(),
                    display_name: a.label.clone(),
                    phone,
                    password_hash: hash.clone(),
                    grants: vec![grant],
                },
                now,
            )
            .await
            .with_context(|| format!("demo account {}", a.username))?;
    }
    if let Some(model) = model {
        let started = std::time::Instant::now();
        store
            .import_roads(&model.roads, now)
            .await
            .context("demo roads")?;
        store
            .import_components(&model.components, now, &|_| {})
            .await
            .context("demo components")?;
        println!(
            "  stored {} roads and {} components in {:.1} s",
            model.roads.len(),
            model.components.len(),
            started.elapsed().as_secs_f64()
        );
        store
            .put_setting(server::city::VERSION_SETTING, &1i64, now)
            .await?;
    }
    let grids = demo_grids(store, seed).await?;
    Ok(DemoDistrict {
        grids,
        city: store.city_counts().await?,
        street_names,
        departments: depts,
        accounts,
    })
}

/// The unit grids of the demo streets, each with a point inside it.
async fn demo_grids(store: &Store, seed: u64) -> anyhow::Result<Vec<DemoGrid>> {
    let mut areas = Vec::new();
    for s in DEMO_STREETS {
        areas.extend(
            store
                .areas_with_geometry(Some(s), Some(domain::area::AreaLevel::Grid))
                .await?,
        );
    }
    let sub = grid::CityModel {
        areas,
        ..grid::CityModel::default()
    };
    let geocoder = grid::Geocoder::build(&sub);
    let mut seen = std::collections::HashSet::new();
    let mut out = Vec::new();
    for p in grid::random_points(&sub, sub.areas.len() * 3, seed) {
        let Ok(Some(g)) = geocoder.grid_at(p.lon, p.lat) else {
            continue;
        };
        let code = geocoder.grid_code(g).to_owned();
        if !seen.insert(code.clone()) {
            continue;
        }
        let name = sub
            .areas
            .iter()
            .find(|a| a.code == code)
            .map(|a| a.name.clone())
            .unwrap_or_default();
        out.push(DemoGrid {
            street_code: code[..9].to_owned(),
            name,
            code,
            lat: p.lat,
            lon: p.lon,
        });
    }
    out.sort_by(|a, b| a.code.cmp(&b.code));
    anyhow::ensure!(!out.is_empty(), "the demo streets have no unit grids");
    Ok(out)
}

/// Prints where to go and how to sign in.
pub fn print_banner(addr: SocketAddr, d: &DemoDistrict) {
    println!();
    println!(
        "  yiwang demo — 郑州市 中原区 · 金水区 · 中牟县: {} unit grids, {} roads, {} components",
        d.city.grids, d.city.roads, d.city.components
    );
    println!(
        "  the case loop runs in 中原区 ({} streets, {} grids)",
        d.street_names.len(),
        d.grids.len()
    );
    println!("  open      http://{addr}/");
    println!("  API       http://{addr}/api/health   events: /api/events   metrics: /metrics");
    println!("  password  {DEMO_PASSWORD}  (every account below)");
    println!();
    for a in &d.accounts {
        println!("    {:<14} {:<18} {}", a.username, a.role.as_str(), a.label);
    }
    println!();
}
