//! The demo district: part of 郑州市中原区 with its real street and community names and codes
//! (2023 statistical division codes), synthetic unit grids, the district's departments and one
//! account per role. Created once; later starts reuse what is stored.

use std::net::SocketAddr;

use anyhow::Context;
use domain::area::AreaCode;
use domain::org::{DepartmentType, Role, RoleGrant};
use domain::time::Timestamp;
use store::{Area, NewDepartment, NewUser, Store};

/// The password of every demo account.
pub const DEMO_PASSWORD: &str = "yiwang2026";

/// (street code, street name, [(community code, community name)]).
/// (code, name) of a community.
type Community = (&'static str, &'static str);

const STREETS: &[(&str, &str, &[Community])] = &[
    (
        "410102002",
        "建设路街道",
        &[
            ("410102002001", "省五建社区"),
            ("410102002003", "中心医院社区"),
            ("410102002004", "计划路社区"),
        ],
    ),
    (
        "410102004",
        "秦岭路街道",
        &[
            ("410102004003", "六厂前街社区"),
            ("410102004004", "建西社区"),
            ("410102004005", "电新街社区"),
        ],
    ),
    (
        "410102007",
        "绿东村街道",
        &[
            ("410102007001", "白鸽社区"),
            ("410102007002", "电缆社区"),
            ("410102007003", "思源社区"),
        ],
    ),
    (
        "410102010",
        "中原西路街道",
        &[
            ("410102010001", "万达社区"),
            ("410102010002", "颍河西路社区"),
            ("410102010003", "绿都社区"),
        ],
    ),
];

/// Unit grids per community in the demo (numbered west→east, north→south).
const GRIDS_PER_COMMUNITY: usize = 4;

/// Approximate centre of 中原区 (WGS-84).
const CENTRE: (f64, f64) = (34.7480, 113.6120);

#[derive(Clone, Debug)]
pub struct DemoGrid {
    pub code: String,
    pub name: String,
    pub street_code: String,
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
    pub departments: Vec<(i64, DepartmentType, String, Option<String>)>,
    pub accounts: Vec<DemoAccount>,
}

fn code(s: &str) -> anyhow::Result<AreaCode> {
    AreaCode::parse(s).map_err(|e| anyhow::anyhow!("{e}"))
}

fn grids() -> Vec<DemoGrid> {
    let mut out = Vec::new();
    for (si, (street, _, communities)) in STREETS.iter().enumerate() {
        for (ci, (community, cname)) in communities.iter().enumerate() {
            for g in 0..GRIDS_PER_COMMUNITY {
                // Streets west→east, communities north→south, grids in a 2×2 block.
                let lat = CENTRE.0 + 0.012 - ci as f64 * 0.006 - (g / 2) as f64 * 0.0009;
                let lon = CENTRE.1 - 0.03 + si as f64 * 0.018 + (g % 2) as f64 * 0.0011;
                out.push(DemoGrid {
                    code: format!("{community}{:03}", g + 1),
                    name: format!("{cname}第{}网格", g + 1),
                    street_code: (*street).to_owned(),
                    lat,
                    lon,
                });
            }
        }
    }
    out
}

fn accounts(depts: &[(i64, DepartmentType, String, Option<String>)]) -> Vec<DemoAccount> {
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
            username: "roadchief".into(),
            label: "建设路路长".into(),
            role: Role::RoadChief,
            street_code: Some("410102002".into()),
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
    for (i, (street, sname, _)) in STREETS.iter().enumerate() {
        out.push(DemoAccount {
            username: format!("inspector{}", i + 1),
            label: format!("{sname}监督员"),
            role: Role::Inspector,
            street_code: Some((*street).to_owned()),
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

/// Creates the demo district if the store has none; returns what the simulation needs.
///
/// # Errors
/// The store fails.
pub async fn ensure_district(store: &Store, now: Timestamp) -> anyhow::Result<DemoDistrict> {
    let grids = grids();
    if store.get_area(&code("410102")?).await?.is_none() {
        let mut areas = vec![Area {
            code: code("410102")?,
            name: "中原区".into(),
            parent_code: None,
        }];
        for (street, sname, communities) in STREETS {
            areas.push(Area {
                code: code(street)?,
                name: (*sname).into(),
                parent_code: Some(code("410102")?),
            });
            for (c, cname) in *communities {
                areas.push(Area {
                    code: code(c)?,
                    name: (*cname).into(),
                    parent_code: Some(code(street)?),
                });
            }
        }
        for g in &grids {
            let c = code(&g.code)?;
            areas.push(Area {
                parent_code: c.parent(),
                code: c,
                name: g.name.clone(),
            });
        }
        store
            .upsert_areas(&areas, now)
            .await
            .context("demo areas")?;
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
        let street_offices: Vec<(String, String, AreaCode)> = STREETS
            .iter()
            .map(|(s, n, _)| Ok((format!("ZY-JD{}", &s[6..]), format!("{n}办事处"), code(s)?)))
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
    let accounts = accounts(&depts);
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
    Ok(DemoDistrict {
        grids,
        departments: depts,
        accounts,
    })
}

/// Prints where to go and how to sign in.
pub fn print_banner(addr: SocketAddr, d: &DemoDistrict) {
    println!();
    println!(
        "  yiwang demo — 郑州市中原区 (4 streets, 12 communities, {} grids)",
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
