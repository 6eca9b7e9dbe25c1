//! Areas, departments, users with their role grants, sessions, API keys and attachments.

use domain::area::{AreaCode, AreaLevel};
use domain::org::{DepartmentType, Role, RoleGrant};
use domain::time::Timestamp;
use serde::{Deserialize, Serialize};

use crate::rows::{Arg, RowExt};
use crate::{Store, StoreError, on_read, on_write};

/// An administrative area or unit grid.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Area {
    pub code: AreaCode,
    pub name: String,
    pub parent_code: Option<AreaCode>,
}

impl Area {
    pub fn level(&self) -> AreaLevel {
        self.code.level()
    }
}

/// A responsible department 处置部门.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Department {
    pub id: i64,
    pub code: String,
    pub name: String,
    pub dept_type: DepartmentType,
    /// The areas it serves.
    pub areas: Vec<AreaCode>,
}

#[derive(Clone, Debug)]
pub struct NewDepartment {
    pub code: String,
    pub name: String,
    pub dept_type: DepartmentType,
    pub areas: Vec<AreaCode>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct User {
    pub id: i64,
    pub username: String,
    pub display_name: String,
    pub phone: Option<String>,
    pub active: bool,
    #[serde(skip)]
    pub password_hash: String,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct UserWithRoles {
    pub user: User,
    pub grants: Vec<RoleGrant>,
}

#[derive(Clone, Debug)]
pub struct NewUser {
    pub username: String,
    pub display_name: String,
    pub phone: Option<String>,
    pub password_hash: String,
    pub grants: Vec<RoleGrant>,
}

#[derive(Clone, Debug)]
pub struct NewAttachment {
    pub uploader_id: i64,
    pub content_type: String,
    pub size_bytes: i64,
    pub sha256: String,
    pub path: String,
    pub original_name: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AttachmentMeta {
    pub id: i64,
    pub uploader_id: i64,
    pub case_id: Option<i64>,
    pub content_type: String,
    pub size_bytes: i64,
    pub sha256: String,
    #[serde(skip)]
    pub path: String,
    pub created_at: Timestamp,
}

/// Inserts role grants for a user inside the open transaction `$tx` (either backend).
macro_rules! insert_grants {
    ($tx:ident, $user_id:expr, $grants:expr) => {
        for g in $grants.iter() {
            sqlx::query("INSERT INTO user_roles (user_id, role, area_code, department_id) VALUES ($1, $2, $3, $4)")
                .bind($user_id)
                .bind(g.role.as_str())
                .bind(g.area.as_ref().map(|a| a.as_str()))
                .bind(g.department_id)
                .execute(&mut *$tx)
                .await?;
        }
    };
}

fn area_from_row(r: &impl RowExt) -> Result<Area, StoreError> {
    let code = AreaCode::parse(&r.text("code")?).map_err(|e| StoreError::Corrupt(e.to_string()))?;
    let parent_code = match r.opt_text("parent_code")? {
        Some(p) => Some(AreaCode::parse(&p).map_err(|e| StoreError::Corrupt(e.to_string()))?),
        None => None,
    };
    Ok(Area {
        code,
        name: r.text("name")?,
        parent_code,
    })
}

fn area_code(s: &str) -> Result<AreaCode, StoreError> {
    AreaCode::parse(s).map_err(|e| StoreError::Corrupt(e.to_string()))
}

fn dept_type(t: &str) -> Result<DepartmentType, StoreError> {
    DepartmentType::parse(t).ok_or_else(|| StoreError::Corrupt(format!("department type {t}")))
}

fn user_from_row(r: &impl RowExt) -> Result<User, StoreError> {
    Ok(User {
        id: r.i64("id")?,
        username: r.text("username")?,
        display_name: r.text("display_name")?,
        phone: r.opt_text("phone")?,
        active: r.bool("active")?,
        password_hash: r.text("password_hash")?,
    })
}

fn grant_from_row(r: &impl RowExt) -> Result<RoleGrant, StoreError> {
    let role_text = r.text("role")?;
    let role = Role::parse(&role_text)
        .ok_or_else(|| StoreError::Corrupt(format!("unknown role {role_text}")))?;
    let area = match r.opt_text("area_code")? {
        Some(a) => Some(AreaCode::parse(&a).map_err(|e| StoreError::Corrupt(e.to_string()))?),
        None => None,
    };
    Ok(RoleGrant {
        role,
        area,
        department_id: r.opt_i64("department_id")?,
    })
}

fn attachment_from_row(r: &impl RowExt) -> Result<AttachmentMeta, StoreError> {
    Ok(AttachmentMeta {
        id: r.i64("id")?,
        uploader_id: r.i64("uploader_id")?,
        case_id: r.opt_i64("case_id")?,
        content_type: r.text("content_type")?,
        size_bytes: r.i64("size_bytes")?,
        sha256: r.text("sha256")?,
        path: r.text("path")?,
        created_at: Timestamp(r.i64("created_at")?),
    })
}

impl Store {
    // ---- areas ----

    /// Inserts or renames areas, parents first. All in one transaction.
    ///
    /// # Errors
    /// A parent that is neither stored nor earlier in `areas`; a parent code that is not the
    /// code's prefix.
    pub async fn upsert_areas(&self, areas: &[Area], now: Timestamp) -> Result<(), StoreError> {
        for a in areas {
            let expected = a.code.parent();
            if a.parent_code != expected {
                return Err(StoreError::Invalid(format!(
                    "area {} must have parent {:?}",
                    a.code,
                    expected.map(|c| c.to_string())
                )));
            }
        }
        on_write!(self, p => {
            let mut tx = p.begin().await?;
            for a in areas {
                sqlx::query(
                    "INSERT INTO areas (code, level, name, parent_code, created_at) VALUES ($1, $2, $3, $4, $5)
                     ON CONFLICT (code) DO UPDATE SET name = excluded.name",
                )
                .bind(a.code.as_str())
                .bind(a.level().as_str())
                .bind(&a.name)
                .bind(a.parent_code.as_ref().map(|c| c.as_str()))
                .bind(now.0)
                .execute(&mut *tx)
                .await?;
            }
            tx.commit().await?;
        });
        Ok(())
    }

    /// Areas whose parent is `parent` (`None` = the districts).
    ///
    /// # Errors
    /// Database failure.
    pub async fn list_areas(&self, parent: Option<&AreaCode>) -> Result<Vec<Area>, StoreError> {
        on_read!(self, p => {
            let rows = match parent {
                Some(code) => sqlx::query("SELECT code, name, parent_code FROM areas WHERE parent_code = $1 ORDER BY code")
                    .bind(code.as_str()).fetch_all(p).await?,
                None => sqlx::query("SELECT code, name, parent_code FROM areas WHERE parent_code IS NULL ORDER BY code")
                    .fetch_all(p).await?,
            };
            rows.iter().map(area_from_row).collect()
        })
    }

    /// All areas at one level (e.g. every street), ordered by code.
    ///
    /// # Errors
    /// Database failure.
    pub async fn list_areas_at(&self, level: AreaLevel) -> Result<Vec<Area>, StoreError> {
        on_read!(self, p => {
            let rows = sqlx::query("SELECT code, name, parent_code FROM areas WHERE level = $1 ORDER BY code")
                .bind(level.as_str()).fetch_all(p).await?;
            rows.iter().map(area_from_row).collect()
        })
    }

    /// One area.
    ///
    /// # Errors
    /// Database failure.
    pub async fn get_area(&self, code: &AreaCode) -> Result<Option<Area>, StoreError> {
        // A point read: inline on SQLite (see `inline.rs`), like the other reads of a report.
        if let Some(inline) = &self.inline {
            return inline.with(|c| {
                let mut stmt =
                    c.prepare_cached("SELECT code, name, parent_code FROM areas WHERE code = ?1")?;
                let mut rows = stmt.query([code.as_str()])?;
                rows.next()?.map(area_from_row).transpose()
            });
        }
        on_read!(self, p => {
            let row = sqlx::query("SELECT code, name, parent_code FROM areas WHERE code = $1")
                .bind(code.as_str()).fetch_optional(p).await?;
            row.as_ref().map(area_from_row).transpose()
        })
    }

    // ---- departments ----

    /// Creates a department and the areas it serves.
    ///
    /// # Errors
    /// Duplicate code, unknown area.
    pub async fn create_department(
        &self,
        d: &NewDepartment,
        now: Timestamp,
    ) -> Result<Department, StoreError> {
        let id = on_write!(self, p => {
            let mut tx = p.begin().await?;
            let id: i64 = sqlx::query_scalar(
                "INSERT INTO departments (code, name, dept_type, created_at) VALUES ($1, $2, $3, $4) RETURNING id",
            )
            .bind(&d.code)
            .bind(&d.name)
            .bind(d.dept_type.as_str())
            .bind(now.0)
            .fetch_one(&mut *tx)
            .await?;
            for a in &d.areas {
                sqlx::query("INSERT INTO department_areas (department_id, area_code) VALUES ($1, $2)")
                    .bind(id)
                    .bind(a.as_str())
                    .execute(&mut *tx)
                    .await?;
            }
            tx.commit().await?;
            id
        });
        Ok(Department {
            id,
            code: d.code.clone(),
            name: d.name.clone(),
            dept_type: d.dept_type,
            areas: d.areas.clone(),
        })
    }

    /// Every department with its areas.
    ///
    /// # Errors
    /// Database failure.
    pub async fn list_departments(&self) -> Result<Vec<Department>, StoreError> {
        on_read!(self, p => {
            let rows = sqlx::query("SELECT id, code, name, dept_type FROM departments ORDER BY id").fetch_all(p).await?;
            let links = sqlx::query("SELECT department_id, area_code FROM department_areas ORDER BY area_code").fetch_all(p).await?;
            let mut out = Vec::with_capacity(rows.len());
            for r in &rows {
                let t = r.text("dept_type")?;
                let id = r.i64("id")?;
                let mut areas = Vec::new();
                for l in &links {
                    if l.i64("department_id")? == id {
                        areas.push(AreaCode::parse(&l.text("area_code")?).map_err(|e| StoreError::Corrupt(e.to_string()))?);
                    }
                }
                out.push(Department {
                    id,
                    code: r.text("code")?,
                    name: r.text("name")?,
                    dept_type: DepartmentType::parse(&t).ok_or_else(|| StoreError::Corrupt(format!("department type {t}")))?,
                    areas,
                });
            }
            Ok(out)
        })
    }

    /// One department.
    ///
    /// # Errors
    /// Database failure.
    pub async fn get_department(&self, id: i64) -> Result<Option<Department>, StoreError> {
        const DEPARTMENT: &str = "SELECT id, code, name, dept_type FROM departments WHERE id = $1";
        const AREAS: &str =
            "SELECT area_code FROM department_areas WHERE department_id = $1 ORDER BY area_code";
        // Point reads on every dispatch: inline on SQLite (see `inline.rs`).
        if let Some(inline) = &self.inline {
            return inline.with(|c| {
                let mut stmt = c.prepare_cached(&crate::batch::numbered(DEPARTMENT))?;
                let mut rows = stmt.query([id])?;
                let Some(r) = rows.next()? else {
                    return Ok(None);
                };
                let (code, name, t) = (r.text("code")?, r.text("name")?, r.text("dept_type")?);
                let mut areas = Vec::new();
                let mut stmt = c.prepare_cached(&crate::batch::numbered(AREAS))?;
                let mut links = stmt.query([id])?;
                while let Some(l) = links.next()? {
                    areas.push(area_code(&l.text("area_code")?)?);
                }
                Ok(Some(Department {
                    id,
                    code,
                    name,
                    dept_type: dept_type(&t)?,
                    areas,
                }))
            });
        }
        on_read!(self, p => {
            let Some(r) = sqlx::query(DEPARTMENT)
                .bind(id).fetch_optional(p).await? else {
                return Ok(None);
            };
            let links = sqlx::query(AREAS)
                .bind(id).fetch_all(p).await?;
            let t = r.text("dept_type")?;
            let areas = links
                .iter()
                .map(|l| area_code(&l.text("area_code")?))
                .collect::<Result<Vec<_>, _>>()?;
            Ok(Some(Department {
                id,
                code: r.text("code")?,
                name: r.text("name")?,
                dept_type: dept_type(&t)?,
                areas,
            }))
        })
    }

    // ---- users ----

    /// Creates a user with their role grants, in one transaction.
    ///
    /// # Errors
    /// Duplicate username; a grant naming an unknown area or department.
    pub async fn create_user(&self, u: &NewUser, now: Timestamp) -> Result<i64, StoreError> {
        on_write!(self, p => {
            let mut tx = p.begin().await?;
            let id: i64 = sqlx::query_scalar(
                "INSERT INTO users (username, display_name, phone, password_hash, active, created_at)
                 VALUES ($1, $2, $3, $4, 1, $5) RETURNING id",
            )
            .bind(&u.username)
            .bind(&u.display_name)
            .bind(&u.phone)
            .bind(&u.password_hash)
            .bind(now.0)
            .fetch_one(&mut *tx)
            .await?;
            insert_grants!(tx, id, &u.grants);
            tx.commit().await?;
            Ok(id)
        })
    }

    /// Replaces a user's role grants.
    ///
    /// # Errors
    /// Unknown user, area or department.
    pub async fn set_grants(&self, user_id: i64, grants: &[RoleGrant]) -> Result<(), StoreError> {
        on_write!(self, p => {
            let mut tx = p.begin().await?;
            let n = sqlx::query("SELECT id FROM users WHERE id = $1").bind(user_id).fetch_optional(&mut *tx).await?;
            if n.is_none() {
                return Err(StoreError::NotFound("user"));
            }
            sqlx::query("DELETE FROM user_roles WHERE user_id = $1").bind(user_id).execute(&mut *tx).await?;
            insert_grants!(tx, user_id, grants);
            tx.commit().await?;
        });
        Ok(())
    }

    /// Sets a user's password hash.
    ///
    /// # Errors
    /// Unknown user.
    pub async fn set_password_hash(&self, username: &str, hash: &str) -> Result<(), StoreError> {
        let n = on_write!(self, p => {
            sqlx::query("UPDATE users SET password_hash = $1 WHERE username = $2")
                .bind(hash).bind(username).execute(p).await?.rows_affected()
        });
        if n == 0 {
            Err(StoreError::NotFound("user"))
        } else {
            Ok(())
        }
    }

    /// A user by login name.
    ///
    /// # Errors
    /// Database failure.
    pub async fn user_by_username(&self, username: &str) -> Result<Option<User>, StoreError> {
        // A point read by a unique key (the `system` account on every automatic step): inline
        // on SQLite.
        if let Some(inline) = &self.inline {
            return inline.with(|c| {
                let mut stmt = c.prepare_cached("SELECT * FROM users WHERE username = ?1")?;
                let mut rows = stmt.query([username])?;
                rows.next()?.map(user_from_row).transpose()
            });
        }
        on_read!(self, p => {
            let row = sqlx::query("SELECT * FROM users WHERE username = $1").bind(username).fetch_optional(p).await?;
            row.as_ref().map(user_from_row).transpose()
        })
    }

    /// A user by id, with grants.
    ///
    /// # Errors
    /// Database failure.
    pub async fn user_with_roles(&self, id: i64) -> Result<Option<UserWithRoles>, StoreError> {
        const USER: &str = "SELECT * FROM users WHERE id = $1";
        const GRANTS: &str =
            "SELECT role, area_code, department_id FROM user_roles WHERE user_id = $1 ORDER BY id";
        // Point reads (an inspector named by a step, an account): inline on SQLite.
        if let Some(inline) = &self.inline {
            return inline.with(|c| {
                let mut stmt = c.prepare_cached(&crate::batch::numbered(USER))?;
                let mut rows = stmt.query([id])?;
                let Some(row) = rows.next()? else {
                    return Ok(None);
                };
                let user = user_from_row(row)?;
                let mut grants = Vec::new();
                let mut stmt = c.prepare_cached(&crate::batch::numbered(GRANTS))?;
                let mut rows = stmt.query([id])?;
                while let Some(g) = rows.next()? {
                    grants.push(grant_from_row(g)?);
                }
                Ok(Some(UserWithRoles { user, grants }))
            });
        }
        on_read!(self, p => {
            let Some(row) = sqlx::query(USER).bind(id).fetch_optional(p).await? else {
                return Ok(None);
            };
            let user = user_from_row(&row)?;
            let grants = sqlx::query(GRANTS)
                .bind(id).fetch_all(p).await?;
            let grants = grants.iter().map(grant_from_row).collect::<Result<Vec<_>, _>>()?;
            Ok(Some(UserWithRoles { user, grants }))
        })
    }

    /// Every user with grants, by id.
    ///
    /// # Errors
    /// Database failure.
    pub async fn list_users(&self) -> Result<Vec<UserWithRoles>, StoreError> {
        on_read!(self, p => {
            let users = sqlx::query("SELECT * FROM users ORDER BY id").fetch_all(p).await?;
            let grants = sqlx::query("SELECT user_id, role, area_code, department_id FROM user_roles ORDER BY id").fetch_all(p).await?;
            let mut out = Vec::with_capacity(users.len());
            for u in &users {
                let user = user_from_row(u)?;
                let mut gs = Vec::new();
                for g in &grants {
                    if g.i64("user_id")? == user.id {
                        gs.push(grant_from_row(g)?);
                    }
                }
                out.push(UserWithRoles { user, grants: gs });
            }
            Ok(out)
        })
    }

    /// Users holding `role` (any scope), e.g. the inspectors to pick from.
    ///
    /// # Errors
    /// Database failure.
    pub async fn users_with_role(&self, role: Role) -> Result<Vec<UserWithRoles>, StoreError> {
        let all = self.list_users().await?;
        Ok(all
            .into_iter()
            .filter(|u| u.grants.iter().any(|g| g.role == role))
            .collect())
    }

    // ---- sessions and API keys ----

    /// Records a login session (by the hash of its token).
    ///
    /// # Errors
    /// Database failure.
    pub async fn create_session(
        &self,
        token_hash: &str,
        user_id: i64,
        now: Timestamp,
        expires_at: Timestamp,
    ) -> Result<(), StoreError> {
        on_write!(self, p => {
            sqlx::query("INSERT INTO sessions (token_hash, user_id, created_at, expires_at) VALUES ($1, $2, $3, $4)")
                .bind(token_hash).bind(user_id).bind(now.0).bind(expires_at.0).execute(p).await?;
        });
        Ok(())
    }

    /// The user and expiry of a session token hash.
    ///
    /// # Errors
    /// Database failure.
    pub async fn session(&self, token_hash: &str) -> Result<Option<(i64, Timestamp)>, StoreError> {
        on_read!(self, p => {
            let row = sqlx::query("SELECT user_id, expires_at FROM sessions WHERE token_hash = $1")
                .bind(token_hash).fetch_optional(p).await?;
            match row {
                Some(r) => Ok(Some((r.i64("user_id")?, Timestamp(r.i64("expires_at")?)))),
                None => Ok(None),
            }
        })
    }

    /// Ends a session.
    ///
    /// # Errors
    /// Database failure.
    pub async fn delete_session(&self, token_hash: &str) -> Result<(), StoreError> {
        on_write!(self, p => {
            sqlx::query("DELETE FROM sessions WHERE token_hash = $1").bind(token_hash).execute(p).await?;
        });
        Ok(())
    }

    /// Records an API key (by hash) acting as `user_id`.
    ///
    /// # Errors
    /// Duplicate key, unknown user.
    pub async fn create_api_key(
        &self,
        key_hash: &str,
        name: &str,
        user_id: i64,
        now: Timestamp,
    ) -> Result<(), StoreError> {
        on_write!(self, p => {
            sqlx::query("INSERT INTO api_keys (key_hash, name, user_id, created_at, revoked) VALUES ($1, $2, $3, $4, 0)")
                .bind(key_hash).bind(name).bind(user_id).bind(now.0).execute(p).await?;
        });
        Ok(())
    }

    /// The user an unrevoked API key acts as.
    ///
    /// # Errors
    /// Database failure.
    pub async fn api_key_user(&self, key_hash: &str) -> Result<Option<i64>, StoreError> {
        on_read!(self, p => {
            let row = sqlx::query("SELECT user_id FROM api_keys WHERE key_hash = $1 AND revoked = 0")
                .bind(key_hash).fetch_optional(p).await?;
            row.as_ref().map(|r| r.i64("user_id")).transpose()
        })
    }

    // ---- attachments ----

    /// Records an uploaded file (already written to disk), not yet linked to a case.
    ///
    /// # Errors
    /// Database failure.
    pub async fn insert_attachment(
        &self,
        a: &NewAttachment,
        now: Timestamp,
    ) -> Result<i64, StoreError> {
        if let Some(batch) = &self.batch {
            let args: Vec<Arg> = vec![
                a.uploader_id.into(),
                a.content_type.as_str().into(),
                a.size_bytes.into(),
                a.sha256.as_str().into(),
                a.path.as_str().into(),
                a.original_name.clone().into(),
                now.0.into(),
            ];
            return batch
                .submit_insert(
                    "INSERT INTO attachments (uploader_id, content_type, size_bytes, sha256, path, original_name, created_at) \
                     VALUES ($1, $2, $3, $4, $5, $6, $7)",
                    args,
                )
                .await;
        }
        on_write!(self, p => {
            let id: i64 = sqlx::query_scalar(
                "INSERT INTO attachments (uploader_id, content_type, size_bytes, sha256, path, original_name, created_at)
                 VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id",
            )
            .bind(a.uploader_id).bind(&a.content_type).bind(a.size_bytes).bind(&a.sha256)
            .bind(&a.path).bind(&a.original_name).bind(now.0)
            .fetch_one(p).await?;
            Ok(id)
        })
    }

    /// One attachment's metadata.
    ///
    /// # Errors
    /// Database failure.
    pub async fn attachment(&self, id: i64) -> Result<Option<AttachmentMeta>, StoreError> {
        on_read!(self, p => {
            let row = sqlx::query("SELECT * FROM attachments WHERE id = $1").bind(id).fetch_optional(p).await?;
            row.as_ref().map(attachment_from_row).transpose()
        })
    }
}
