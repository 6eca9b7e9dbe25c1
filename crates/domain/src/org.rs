//! Organisation: roles, departments and the scopes that bound what each user sees and does.

use serde::{Deserialize, Serialize};

use crate::area::AreaCode;

/// A role a user holds. One user may hold several, each with its own scope.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// 市民 — reports and follows their own reports.
    Citizen,
    /// 网格员/监督员 — patrols grids, reports, verifies 核实 and checks 核查.
    Inspector,
    /// 志愿者/名誉路长 — reports like a citizen; reports need verification.
    Volunteer,
    /// 受理员 — registers reports, sends verification and check tasks.
    Operator,
    /// 值班长 — files 立案, rejects, closes 结案, approves voiding.
    ShiftSupervisor,
    /// 派遣员 — dispatches 派遣; approves returns, extensions and suspensions.
    Dispatcher,
    /// 处置部门 handler — accepts 签收, handles 处置, feeds back.
    DepartmentHandler,
    /// 路长 — answers for named roads.
    RoadChief,
    /// 领导 — watches, supervises 督办.
    Leader,
    /// 管理员 — configuration.
    Admin,
}

impl Role {
    pub const ALL: [Role; 10] = [
        Role::Citizen,
        Role::Inspector,
        Role::Volunteer,
        Role::Operator,
        Role::ShiftSupervisor,
        Role::Dispatcher,
        Role::DepartmentHandler,
        Role::RoadChief,
        Role::Leader,
        Role::Admin,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Role::Citizen => "citizen",
            Role::Inspector => "inspector",
            Role::Volunteer => "volunteer",
            Role::Operator => "operator",
            Role::ShiftSupervisor => "shift_supervisor",
            Role::Dispatcher => "dispatcher",
            Role::DepartmentHandler => "department_handler",
            Role::RoadChief => "road_chief",
            Role::Leader => "leader",
            Role::Admin => "admin",
        }
    }

    pub fn parse(s: &str) -> Option<Role> {
        Role::ALL.into_iter().find(|r| r.as_str() == s)
    }

    /// The Chinese name shown in the UI.
    pub fn label_zh(self) -> &'static str {
        match self {
            Role::Citizen => "市民",
            Role::Inspector => "监督员",
            Role::Volunteer => "志愿者",
            Role::Operator => "受理员",
            Role::ShiftSupervisor => "值班长",
            Role::Dispatcher => "派遣员",
            Role::DepartmentHandler => "处置部门",
            Role::RoadChief => "路长",
            Role::Leader => "领导",
            Role::Admin => "管理员",
        }
    }
}

/// The kind of a responsible department 处置部门.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DepartmentType {
    /// 环卫 — sanitation.
    Sanitation,
    /// 市政 — municipal works (roads, pipes, manholes, lamps).
    Municipal,
    /// 园林 — landscaping and greenery.
    Landscaping,
    /// 执法 — urban-management enforcement.
    Enforcement,
    /// 街道 — street office (办事处), the territorial fallback.
    Street,
    /// 交通 — traffic facilities (signs, signals, parking).
    Traffic,
    /// 公用事业 — utilities (water, power, gas, telecom owners).
    Utility,
    /// 其他 — anything else.
    Other,
}

impl DepartmentType {
    pub const ALL: [DepartmentType; 8] = [
        DepartmentType::Sanitation,
        DepartmentType::Municipal,
        DepartmentType::Landscaping,
        DepartmentType::Enforcement,
        DepartmentType::Street,
        DepartmentType::Traffic,
        DepartmentType::Utility,
        DepartmentType::Other,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            DepartmentType::Sanitation => "sanitation",
            DepartmentType::Municipal => "municipal",
            DepartmentType::Landscaping => "landscaping",
            DepartmentType::Enforcement => "enforcement",
            DepartmentType::Street => "street",
            DepartmentType::Traffic => "traffic",
            DepartmentType::Utility => "utility",
            DepartmentType::Other => "other",
        }
    }

    pub fn parse(s: &str) -> Option<DepartmentType> {
        DepartmentType::ALL.into_iter().find(|r| r.as_str() == s)
    }

    pub fn label_zh(self) -> &'static str {
        match self {
            DepartmentType::Sanitation => "环卫",
            DepartmentType::Municipal => "市政",
            DepartmentType::Landscaping => "园林",
            DepartmentType::Enforcement => "执法",
            DepartmentType::Street => "街道",
            DepartmentType::Traffic => "交通",
            DepartmentType::Utility => "公用事业",
            DepartmentType::Other => "其他",
        }
    }
}

/// One role a user holds, with its scope. `area = None` and `department = None` means the
/// whole city (for leaders, admins and city-level centre staff).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RoleGrant {
    pub role: Role,
    /// The area the role covers (any level); cases inside it are in scope.
    pub area: Option<AreaCode>,
    /// The department the role acts for (department handlers).
    pub department_id: Option<i64>,
}

/// Who is acting: the authenticated user and everything they hold.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Caller {
    pub user_id: i64,
    pub grants: Vec<RoleGrant>,
}

impl Caller {
    pub fn has_role(&self, role: Role) -> bool {
        self.grants.iter().any(|g| g.role == role)
    }
}
