//! The demo's practical-matters list 我为群众办实事 (seven categories, items at every stage, as
//! in the bureau's own list) and cycle tasks 周期案件 (recurring inspections for inspectors).

use anyhow::Context;
use assessment::cycle::{CycleRule, NonWorkingDay, Place, Schedule};
use assessment::matters::{Milestone, ProgressUpdate};
use chrono::{Duration as Days, NaiveTime, Weekday};
use domain::org::Role;
use domain::time::Timestamp;
use store::Store;

use crate::demo::DemoGrid;

/// Category, then items: (title, plan, measures, owner department code, done %, milestones).
type ItemSeed = (&'static str, &'static str, &'static [&'static str], u8);

const MATTERS: &[(&str, &[ItemSeed])] = &[
    (
        "市容环境提升",
        &[
            (
                "背街小巷环境整治",
                "对中原区 36 条背街小巷逐条制定整治方案，路面、立面、管线一并治理",
                &["逐条建立问题台账", "每周一次联合巡查", "整治完成后群众验收"],
                100,
            ),
            (
                "占道经营疏导点建设",
                "在建设路、秦岭路设置 4 处便民疏导点，引导流动摊贩入点经营",
                &["选址征求居民意见", "统一配置摊位与垃圾桶"],
                65,
            ),
            (
                "户外广告招牌规范",
                "拆除违规、破损招牌，规范设置标准",
                &["开展安全隐患排查", "一店一招规范设计"],
                0,
            ),
        ],
    ),
    (
        "环卫保洁",
        &[
            (
                "垃圾分类进小区",
                "在 40 个小区推行定时定点分类投放",
                &["配置分类收集容器", "志愿者桶边督导"],
                80,
            ),
            (
                "公厕提质改造",
                "改造 12 座老旧公厕，增设第三卫生间",
                &["公厕保洁标准上墙", "改造期间设置临时公厕"],
                40,
            ),
        ],
    ),
    (
        "市政设施维护",
        &[
            (
                "破损井盖专项治理",
                "排查更换破损、缺失井盖，重点路段加装智能井盖传感器",
                &["建立井盖权属台账", "传感器告警 2 小时到场"],
                100,
            ),
            (
                "人行道破损修复",
                "修复破损人行道板 1.2 万平方米",
                &["雨季前完成主干道修复"],
                55,
            ),
        ],
    ),
    (
        "公用事业服务",
        &[
            (
                "老旧小区供水管网改造",
                "改造供水管网 18 公里，解决水压不足",
                &["分片停水提前 48 小时公告"],
                30,
            ),
            (
                "冬季供热保障",
                "供热投诉 24 小时响应，温度不达标 48 小时内解决",
                &["热线专席", "入户测温"],
                0,
            ),
        ],
    ),
    (
        "园林绿化",
        &[
            (
                "口袋公园建设",
                "利用边角地建设 8 个口袋公园",
                &["方案公示征求意见"],
                70,
            ),
            (
                "行道树缺株补植",
                "补植行道树 600 株",
                &["春季集中补植"],
                100,
            ),
        ],
    ),
    (
        "停车与交通秩序",
        &[
            (
                "非机动车停放秩序整治",
                "地铁口、商圈施划非机动车停放区，共享单车定点投放",
                &["与运营企业建立联动机制"],
                85,
            ),
            (
                "错时共享停车",
                "推动 20 家单位停车场夜间向居民开放",
                &["签订共享协议", "上线停车诱导信息"],
                20,
            ),
        ],
    ),
    (
        "便民服务",
        &[
            (
                "城管驿站便民服务",
                "在 10 个城管驿站提供饮水、充电、应急药箱",
                &["驿站服务清单公示"],
                100,
            ),
            (
                "12319 热线回访",
                "对热线诉求 100% 回访，满意度纳入考核",
                &["回访录音抽查"],
                60,
            ),
        ],
    ),
];

/// Seeds the practical-matters list and two cycle tasks (first start only).
///
/// # Errors
/// The store fails or a demo account is missing.
pub async fn ensure(store: &Store, now: Timestamp, grids: &[DemoGrid]) -> anyhow::Result<()> {
    if !store.list_matter_categories().await?.is_empty() {
        return Ok(());
    }
    let departments = store.list_departments().await?;
    let admin = store
        .user_by_username("admin")
        .await?
        .context("demo account admin")?;
    let today = now.to_shanghai().date();
    let mut dept_cycle = departments.iter().map(|d| d.id).cycle();
    for (c, (category, items)) in MATTERS.iter().enumerate() {
        let cat = store.create_matter_category(category, now).await?;
        for (i, (title, plan, measures, percent)) in items.iter().enumerate() {
            let start = today - Days::days(90 - (c * 7 + i) as i64);
            let milestones = vec![
                Milestone {
                    title: "方案制定".into(),
                    due: start + Days::days(14),
                    done_on: None,
                },
                Milestone {
                    title: "组织实施".into(),
                    due: start + Days::days(75),
                    done_on: None,
                },
                Milestone {
                    title: "验收销号".into(),
                    due: start + Days::days(120),
                    done_on: None,
                },
            ];
            let item = store
                .create_matter(
                    &store::NewMatter {
                        category_id: cat.id,
                        title: (*title).into(),
                        plan: (*plan).into(),
                        measures: measures.iter().map(|m| (*m).to_owned()).collect(),
                        owner_department_id: dept_cycle.next().context("no departments")?,
                        milestones,
                    },
                    now,
                )
                .await?;
            // Progress in two steps for started items; the done ones close every milestone.
            if *percent > 0 {
                let half = (*percent).min(50);
                store
                    .add_matter_progress(
                        item.id,
                        &ProgressUpdate {
                            on: start + Days::days(14),
                            percent: half,
                            note: "实施方案已印发，责任分工到人".into(),
                        },
                        &["方案制定".to_owned()],
                        admin.id,
                        now,
                    )
                    .await?;
            }
            if *percent > 50 {
                let done: Vec<String> = if *percent == 100 {
                    vec!["组织实施".into(), "验收销号".into()]
                } else {
                    Vec::new()
                };
                store
                    .add_matter_progress(
                        item.id,
                        &ProgressUpdate {
                            on: (start + Days::days(60)).min(today),
                            percent: *percent,
                            note: if *percent == 100 {
                                "已完成并通过群众验收".into()
                            } else {
                                "按计划推进中".into()
                            },
                        },
                        &done,
                        admin.id,
                        now,
                    )
                    .await?;
            }
        }
    }
    // Cycle tasks: the inspectors check a night market every working Monday and Thursday, a
    // school gate on the 1st of each month, and the main road every working day at 09:00 and
    // 15:00. The main-road tasks start a week back, so their past occurrences become 周期案件 at
    // the first start and a newcomer sees them in the inspectors' queues at once.
    // Each task goes to an inspector whose area holds the place (an inspector is sent only
    // within their own area).
    let Some(g) = grids.first() else {
        return Ok(());
    };
    let inspectors: Vec<i64> = store
        .list_users()
        .await?
        .into_iter()
        .filter(|u| {
            u.grants.iter().any(|gr| {
                gr.role == Role::Inspector
                    && gr
                        .area
                        .as_ref()
                        .is_none_or(|a| g.code.starts_with(a.as_str()))
            })
        })
        .map(|u| u.user.id)
        .collect();
    if let Some(&first) = inspectors.first() {
        let rules = [
            CycleRule {
                id: 0,
                title: "夜市占道经营巡查".into(),
                class_code: "09006".into(),
                place: Place::Grid {
                    code: g.code.clone(),
                },
                schedule: Schedule::Weekly {
                    days: vec![Weekday::Mon, Weekday::Thu],
                },
                time: NaiveTime::from_hms_opt(19, 0, 0).context("time")?,
                non_working: NonWorkingDay::Skip,
            },
            CycleRule {
                id: 0,
                title: "校园周边环境巡查".into(),
                class_code: "06010".into(),
                place: Place::Point {
                    lat: g.lat,
                    lon: g.lon,
                },
                schedule: Schedule::Monthly { day: 1 },
                time: NaiveTime::from_hms_opt(8, 0, 0).context("time")?,
                non_working: NonWorkingDay::Keep,
            },
        ];
        for (i, rule) in rules.iter().enumerate() {
            let inspector = inspectors.get(i).copied().unwrap_or(first);
            store
                .create_cycle_task(rule, inspector, admin.id, now)
                .await?;
        }
        let week_ago = Timestamp(now.0 - 7 * 24 * 60 * Timestamp::MINUTE_MS);
        for (i, hour) in [9, 15].into_iter().enumerate() {
            let rule = CycleRule {
                id: 0,
                title: format!("主干道市容巡查（{hour}:00）"),
                class_code: "06010".into(),
                place: Place::Grid {
                    code: g.code.clone(),
                },
                schedule: Schedule::Weekly {
                    days: vec![
                        Weekday::Mon,
                        Weekday::Tue,
                        Weekday::Wed,
                        Weekday::Thu,
                        Weekday::Fri,
                    ],
                },
                time: NaiveTime::from_hms_opt(hour, 0, 0).context("time")?,
                // Every weekday, holidays too: the main road is watched all year.
                non_working: NonWorkingDay::Keep,
            };
            let inspector = inspectors.get(i + 2).copied().unwrap_or(first);
            store
                .create_cycle_task(&rule, inspector, admin.id, week_ago)
                .await?;
        }
    }
    Ok(())
}
