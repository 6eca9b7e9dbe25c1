//! Who may see and act on which case — the one place role and area rules live.
//!
//! - A role grant with no area covers the whole city; with an area it covers every case whose
//!   location lies inside that area (by code prefix: district ⊃ street ⊃ community ⊃ grid).
//! - Department handlers see and act on the cases of their own department only.
//! - Inspectors verify and check only the cases they were sent to.
//! - Citizens and volunteers see the cases they reported.
//! - Everyone sees the cases they reported or were assigned to.
//!
//! [`visibility`] turns the same rules into a filter the store applies to lists, and
//! [`Visibility::admits`] is the in-memory twin the tests hold equal to [`can_view`].

use serde::{Deserialize, Serialize};

use crate::area::AreaCode;
use crate::org::{Caller, Role, RoleGrant};
use crate::workflow::{Case, Command, WorkflowError};

/// Whether the grant's area covers the case's location.
pub fn area_covers(grant: &RoleGrant, case: &Case) -> bool {
    match &grant.area {
        None => true,
        Some(scope) => case.area.finest().is_some_and(|code| scope.contains(code)),
    }
}

/// Whether one grant lets its holder act on `case` in `role`.
fn grant_allows(grant: &RoleGrant, caller: &Caller, case: &Case) -> bool {
    match grant.role {
        Role::DepartmentHandler => {
            grant.department_id.is_some() && grant.department_id == case.department_id
        }
        Role::Inspector => case.assignee_id == Some(caller.user_id),
        // Citizens and volunteers act only on what they reported themselves (rating it).
        Role::Citizen | Role::Volunteer => case.reporter_id == Some(caller.user_id),
        _ => area_covers(grant, case),
    }
}

/// The role in which `caller` may issue `cmd` on `case`.
///
/// # Errors
/// [`WorkflowError::Forbidden`] naming what is missing.
pub fn acting_role(caller: &Caller, case: &Case, cmd: &Command) -> Result<Role, WorkflowError> {
    let wanted = cmd.roles();
    let mut has_role = false;
    for grant in caller.grants.iter().filter(|g| wanted.contains(&g.role)) {
        has_role = true;
        if grant_allows(grant, caller, case) {
            return Ok(grant.role);
        }
    }
    let names: Vec<&str> = wanted.iter().map(|r| r.as_str()).collect();
    Err(WorkflowError::Forbidden(if has_role {
        format!(
            "'{}' on this case is outside your area, department or assignment",
            cmd.name()
        )
    } else {
        format!("'{}' needs the role {}", cmd.name(), names.join(" or "))
    }))
}

/// The facts of a case that visibility depends on, so the one rule can judge a full [`Case`]
/// or a summary of one (e.g. an event on the live stream).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Reach<'a> {
    pub reporter_id: Option<i64>,
    pub assignee_id: Option<i64>,
    pub department_id: Option<i64>,
    /// The finest known area code of the case's location.
    pub area: Option<&'a str>,
}

impl<'a> Reach<'a> {
    pub fn of(case: &'a Case) -> Reach<'a> {
        Reach {
            reporter_id: case.reporter_id,
            assignee_id: case.assignee_id,
            department_id: case.department_id,
            area: case.area.finest().map(|c| c.as_str()),
        }
    }
}

/// Whether `caller` may see a case with these facts.
pub fn can_see(caller: &Caller, reach: &Reach<'_>) -> bool {
    if reach.reporter_id == Some(caller.user_id) || reach.assignee_id == Some(caller.user_id) {
        return true;
    }
    caller.grants.iter().any(|g| match g.role {
        Role::Citizen | Role::Volunteer => false,
        Role::DepartmentHandler => {
            g.department_id.is_some() && g.department_id == reach.department_id
        }
        _ => match &g.area {
            None => true,
            Some(scope) => reach
                .area
                .is_some_and(|code| code.starts_with(scope.as_str())),
        },
    })
}

/// Whether `caller` may see `case`.
pub fn can_view(caller: &Caller, case: &Case) -> bool {
    can_see(caller, &Reach::of(case))
}

/// The list filter equivalent of [`can_view`]: a case is visible if any part admits it.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Visibility {
    /// Sees everything.
    pub all: bool,
    /// Cases located inside any of these areas.
    pub areas: Vec<AreaCode>,
    /// Cases of any of these departments.
    pub departments: Vec<i64>,
    /// Cases this user reported or is assigned to.
    pub user_id: i64,
}

/// The visibility of `caller`, for list queries.
pub fn visibility(caller: &Caller) -> Visibility {
    let mut v = Visibility {
        user_id: caller.user_id,
        ..Visibility::default()
    };
    for g in &caller.grants {
        match g.role {
            Role::Citizen | Role::Volunteer => {}
            Role::DepartmentHandler => {
                if let Some(d) = g.department_id
                    && !v.departments.contains(&d)
                {
                    v.departments.push(d);
                }
            }
            _ => match &g.area {
                None => v.all = true,
                Some(a) => {
                    if !v.areas.contains(a) {
                        v.areas.push(a.clone());
                    }
                }
            },
        }
    }
    v
}

impl Visibility {
    /// In-memory check, equal to [`can_view`] for the caller it was made from.
    pub fn admits(&self, case: &Case) -> bool {
        self.all
            || case.reporter_id == Some(self.user_id)
            || case.assignee_id == Some(self.user_id)
            || case
                .department_id
                .is_some_and(|d| self.departments.contains(&d))
            || case
                .area
                .finest()
                .is_some_and(|code| self.areas.iter().any(|a| a.contains(code)))
    }
}
