//! Volunteers 志愿者 and honorary road chiefs 名誉路长: the eleven service projects a volunteer
//! signs up for (seed 002, “志愿郑州”: 巡查城市道路、市政设施、水道河渠、绿化围挡、环卫保洁、
//! 灯饰雕塑、文明交通、文明引导、垃圾分类宣传、进社区、共享单车整治).
//!
//! A volunteer reports like a citizen, through the channel [`Source::Volunteer`]; such a report
//! carries no evidence of its own, so the workflow refuses to accept it unverified: an inspector
//! verifies it on site (核实) first (see [`Source::has_own_evidence`]).
//!
//! [`Source::Volunteer`]: crate::workflow::Source::Volunteer
//! [`Source::has_own_evidence`]: crate::workflow::Source::has_own_evidence

use serde::{Deserialize, Serialize};

/// One of the eleven volunteer service projects 志愿服务项目.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum VolunteerProject {
    /// 巡查城市道路 — patrolling city roads.
    RoadPatrol,
    /// 市政设施 — municipal facilities (manholes, railings, lamps).
    MunicipalFacilities,
    /// 水道河渠 — waterways and canals.
    Waterways,
    /// 绿化围挡 — greenery and construction hoardings.
    GreeneryHoardings,
    /// 环卫保洁 — street cleaning.
    Sanitation,
    /// 灯饰雕塑 — decorative lighting and sculptures.
    LightingSculptures,
    /// 文明交通 — civilised traffic.
    CivilisedTraffic,
    /// 文明引导 — civility guidance.
    CivilityGuidance,
    /// 垃圾分类宣传 — promoting waste sorting.
    WasteSorting,
    /// 进社区 — into the communities.
    Community,
    /// 共享单车整治 — shared-bike parking.
    SharedBikes,
}

impl VolunteerProject {
    /// Every project, in the order of seed 002.
    pub const ALL: [VolunteerProject; 11] = [
        VolunteerProject::RoadPatrol,
        VolunteerProject::MunicipalFacilities,
        VolunteerProject::Waterways,
        VolunteerProject::GreeneryHoardings,
        VolunteerProject::Sanitation,
        VolunteerProject::LightingSculptures,
        VolunteerProject::CivilisedTraffic,
        VolunteerProject::CivilityGuidance,
        VolunteerProject::WasteSorting,
        VolunteerProject::Community,
        VolunteerProject::SharedBikes,
    ];

    /// The stable code used in the API and the database.
    pub fn as_str(self) -> &'static str {
        match self {
            VolunteerProject::RoadPatrol => "road_patrol",
            VolunteerProject::MunicipalFacilities => "municipal_facilities",
            VolunteerProject::Waterways => "waterways",
            VolunteerProject::GreeneryHoardings => "greenery_hoardings",
            VolunteerProject::Sanitation => "sanitation",
            VolunteerProject::LightingSculptures => "lighting_sculptures",
            VolunteerProject::CivilisedTraffic => "civilised_traffic",
            VolunteerProject::CivilityGuidance => "civility_guidance",
            VolunteerProject::WasteSorting => "waste_sorting",
            VolunteerProject::Community => "community",
            VolunteerProject::SharedBikes => "shared_bikes",
        }
    }

    /// The project with this code, if any (exact, case-sensitive).
    pub fn parse(s: &str) -> Option<VolunteerProject> {
        VolunteerProject::ALL.into_iter().find(|p| p.as_str() == s)
    }

    /// The Chinese name shown in the UI.
    pub fn label_zh(self) -> &'static str {
        match self {
            VolunteerProject::RoadPatrol => "巡查城市道路",
            VolunteerProject::MunicipalFacilities => "市政设施",
            VolunteerProject::Waterways => "水道河渠",
            VolunteerProject::GreeneryHoardings => "绿化围挡",
            VolunteerProject::Sanitation => "环卫保洁",
            VolunteerProject::LightingSculptures => "灯饰雕塑",
            VolunteerProject::CivilisedTraffic => "文明交通",
            VolunteerProject::CivilityGuidance => "文明引导",
            VolunteerProject::WasteSorting => "垃圾分类宣传",
            VolunteerProject::Community => "进社区",
            VolunteerProject::SharedBikes => "共享单车整治",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::area::{AreaCode, AreaPath};
    use crate::calendar::WorkCalendar;
    use crate::org::{Caller, Role, RoleGrant};
    use crate::taxonomy::Urgency;
    use crate::time::Timestamp;
    use crate::workflow::{
        CaseState, Command, Ctx, Evidence, NewReport, NodeLimits, Source, WorkflowError, apply,
        new_case,
    };

    #[test]
    fn eleven_projects_with_unique_codes_and_labels_that_round_trip() {
        assert_eq!(VolunteerProject::ALL.len(), 11);
        let codes: std::collections::BTreeSet<_> =
            VolunteerProject::ALL.iter().map(|p| p.as_str()).collect();
        let labels: std::collections::BTreeSet<_> =
            VolunteerProject::ALL.iter().map(|p| p.label_zh()).collect();
        assert_eq!((codes.len(), labels.len()), (11, 11));
        for p in VolunteerProject::ALL {
            assert_eq!(VolunteerProject::parse(p.as_str()), Some(p));
            // The serde name is the code.
            assert_eq!(
                serde_json::to_value(p).ok(),
                Some(serde_json::Value::from(p.as_str()))
            );
        }
        assert_eq!(
            VolunteerProject::parse("shared_bikes"),
            Some(VolunteerProject::SharedBikes)
        );
        assert_eq!(VolunteerProject::SharedBikes.label_zh(), "共享单车整治");
        for bad in ["", "Road_Patrol", "road patrol", "巡查城市道路", "other"] {
            assert_eq!(VolunteerProject::parse(bad), None, "{bad:?}");
        }
    }

    fn caller(id: i64, role: Role) -> Caller {
        Caller {
            user_id: id,
            grants: vec![RoleGrant {
                role,
                area: None,
                department_id: None,
            }],
        }
    }

    #[test]
    fn a_volunteer_report_waits_for_verification_on_site() {
        let cal = WorkCalendar::builtin();
        let limits = NodeLimits::default();
        let now = Timestamp::parse_rfc3339("2026-11-24T10:00:00+08:00").expect("time");
        let ctx = Ctx {
            calendar: &cal,
            limits: &limits,
            now,
        };
        let area = AreaPath::of(&AreaCode::parse("410102001001001").expect("code"));
        let report = NewReport {
            source: Source::Volunteer,
            description: "人行道井盖缺失".into(),
            address: None,
            lat: None,
            lon: None,
            area,
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
        // Only a volunteer reports through the volunteer channel; a plain citizen may not.
        assert!(matches!(
            new_case(&caller(7, Role::Citizen), report.clone(), &ctx),
            Err(WorkflowError::Forbidden(_))
        ));
        let t = new_case(&caller(8, Role::Volunteer), report, &ctx).expect("report");
        assert_eq!(t.case.state, CaseState::Reported);
        assert_eq!(t.case.verified, None, "not trusted yet");
        assert_eq!(t.case.reporter_id, Some(8));

        // The operator may not accept it unverified; an inspector's confirmation lets it on.
        let operator = Caller {
            user_id: 1,
            grants: vec![RoleGrant {
                role: Role::Operator,
                area: Some(AreaCode::parse("410102").expect("code")),
                department_id: None,
            }],
        };
        assert!(matches!(
            apply(
                &t.case,
                &operator,
                &Command::Accept,
                &Evidence::default(),
                &ctx
            ),
            Err(WorkflowError::Invalid(_))
        ));
        let sent = apply(
            &t.case,
            &operator,
            &Command::SendVerify { inspector_id: 5 },
            &Evidence::default(),
            &ctx,
        )
        .expect("send verify");
        assert_eq!(sent.case.state, CaseState::Verifying);
        let inspector = Caller {
            user_id: 5,
            grants: vec![RoleGrant {
                role: Role::Inspector,
                area: Some(AreaCode::parse("410102001").expect("code")),
                department_id: None,
            }],
        };
        let evidence = Evidence {
            attachments: vec![9],
            ..Evidence::default()
        };
        let verified = apply(
            &sent.case,
            &inspector,
            &Command::Verify { confirmed: true },
            &evidence,
            &ctx,
        )
        .expect("verify");
        assert_eq!(verified.case.state, CaseState::PendingFiling);
        assert_eq!(verified.case.verified, Some(true));
    }
}
