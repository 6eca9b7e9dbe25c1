//! Open311 GeoReport v2 reads: service requests (cases) with what the public sees of them — the
//! responsible department's name, the public note of the step that last changed their status,
//! and what the reporting client sent beside the case (`media_url`, stored in the data of the
//! case's first audit event).
//!
//! The open data is every case; personal data (reporter name, phone) never leaves this module's
//! callers, which build the public view.

use domain::time::Timestamp;
use domain::workflow::{Case, CaseState};

use crate::cases::case_from_row;
use crate::rows::{Arg, ByPosition, RowExt, bind_args};
use crate::{Store, StoreError, on_read};
use sqlx::AssertSqlSafe;

/// Filters of `GET requests`; all present filters must hold. Newest first.
#[derive(Clone, Debug, Default)]
pub struct RequestQuery {
    /// Exactly these cases (the other filters are ignored when this is not empty).
    pub ids: Vec<i64>,
    /// Any of these class codes (empty = all).
    pub class_codes: Vec<String>,
    /// Any of these states (empty = all).
    pub states: Vec<CaseState>,
    /// Created at or after.
    pub created_from: Option<Timestamp>,
    /// Created at or before.
    pub created_to: Option<Timestamp>,
    /// Most rows returned (clamped to 1..=1000).
    pub limit: u32,
    /// Rows skipped before the first returned (the `page` extension).
    pub offset: u32,
}

/// One case as Open311 shows it.
#[derive(Clone, Debug)]
pub struct PublicRequest {
    pub case: Case,
    /// The name of the department the case is (or was last) dispatched to.
    pub department_name: Option<String>,
    /// The latest note that answers the citizen: a rejection reason, the department's feedback
    /// on the work done, the closing note, the void or duplicate decision.
    pub public_note: Option<String>,
    /// What the reporting client sent beside the case (kept in the data of the case's first
    /// audit event under `open311`).
    pub sent: Sent,
}

/// The parts of an Open311 post kept in the report's audit event that the public view shows.
#[derive(Clone, Debug, Default, PartialEq, Eq, serde::Deserialize)]
pub struct Sent {
    /// The `media_url` the client gave.
    #[serde(default)]
    pub media_url: Option<String>,
    /// The id of the photo uploaded with the request (an attachment of the case).
    #[serde(default)]
    pub photo: Option<i64>,
}

/// The report event's data, read only as far as [`Sent`] needs (other keys are skipped, not
/// built).
#[derive(serde::Deserialize)]
struct ReportData {
    #[serde(default)]
    open311: Option<Sent>,
}

const SELECT: &str = "SELECT c.*, d.name AS department_name,
    (SELECT e.data FROM case_events e WHERE e.case_id = c.id ORDER BY e.id LIMIT 1) AS report_data,
    (SELECT e.note FROM case_events e WHERE e.case_id = c.id AND e.note IS NOT NULL
        AND e.action IN ('reject_report', 'reject', 'feedback', 'close', 'approve_void', 'link_duplicate')
        ORDER BY e.id DESC LIMIT 1) AS public_note
    FROM cases c LEFT JOIN departments d ON d.id = c.department_id";

fn where_clause(q: &RequestQuery, args: &mut Vec<Arg>) -> String {
    let mut conds: Vec<String> = Vec::new();
    let mut push = |a: Arg| {
        args.push(a);
        format!("${}", args.len())
    };
    if !q.ids.is_empty() {
        let ps: Vec<String> = q.ids.iter().map(|i| push((*i).into())).collect();
        return format!("WHERE c.id IN ({})", ps.join(", "));
    }
    if !q.class_codes.is_empty() {
        let ps: Vec<String> = q
            .class_codes
            .iter()
            .map(|c| push(c.as_str().into()))
            .collect();
        conds.push(format!("c.class_code IN ({})", ps.join(", ")));
    }
    if !q.states.is_empty() {
        let ps: Vec<String> = q.states.iter().map(|s| push(s.as_str().into())).collect();
        conds.push(format!("c.state IN ({})", ps.join(", ")));
    }
    if let Some(t) = q.created_from {
        let p = push(t.0.into());
        conds.push(format!("c.created_at >= {p}"));
    }
    if let Some(t) = q.created_to {
        let p = push(t.0.into());
        conds.push(format!("c.created_at <= {p}"));
    }
    if conds.is_empty() {
        String::new()
    } else {
        format!("WHERE {}", conds.join(" AND "))
    }
}

fn public_from_row(r: &impl RowExt) -> Result<PublicRequest, StoreError> {
    let sent = match r.opt_text("report_data")? {
        // Events of other channels hold other shapes (or `null`): those sent nothing.
        Some(t) => serde_json::from_str::<Option<ReportData>>(&t)
            .ok()
            .flatten()
            .and_then(|d| d.open311)
            .unwrap_or_default(),
        None => Sent::default(),
    };
    Ok(PublicRequest {
        case: case_from_row(r)?,
        department_name: r.opt_text("department_name")?,
        public_note: r.opt_text("public_note")?,
        sent,
    })
}

impl Store {
    /// Cases matching `q`, newest first, with their public details.
    ///
    /// # Errors
    /// Database failure.
    pub async fn open311_requests(
        &self,
        q: &RequestQuery,
    ) -> Result<Vec<PublicRequest>, StoreError> {
        let mut args = Vec::new();
        let clause = where_clause(q, &mut args);
        args.push(i64::from(q.limit.clamp(1, 1000)).into());
        let limit = args.len();
        args.push(i64::from(q.offset).into());
        let offset = args.len();
        let sql = format!(
            "{SELECT} {clause} ORDER BY c.created_at DESC, c.id DESC LIMIT ${limit} OFFSET ${offset}"
        );
        if let Some(inline) = &self.inline {
            // SQLite: decode on the pooled rusqlite readers (sqlx's per-row hand-offs cost more
            // than the query for a thousand rows), off the async workers.
            let inline = inline.clone();
            let sql = sql.replace('$', "?");
            return tokio::task::spawn_blocking(move || {
                inline.with(|c| {
                    let mut stmt = c.prepare_cached(&sql)?;
                    // Column positions once per query, not a name search per field and row
                    // (measured: a third of the time of a 1,000-row list went to it).
                    let columns: std::rc::Rc<std::collections::HashMap<String, usize>> =
                        std::rc::Rc::new(
                            stmt.column_names()
                                .iter()
                                .enumerate()
                                .map(|(i, n)| ((*n).to_owned(), i))
                                .collect(),
                        );
                    let params: Vec<&dyn rusqlite::ToSql> =
                        args.iter().map(|a| a as &dyn rusqlite::ToSql).collect();
                    let mut rows = stmt.query(params.as_slice())?;
                    let mut out = Vec::new();
                    while let Some(row) = rows.next()? {
                        out.push(public_from_row(&ByPosition::with_columns(
                            row,
                            columns.clone(),
                        ))?);
                    }
                    Ok(out)
                })
            })
            .await
            .map_err(|e| StoreError::Invalid(format!("reader task: {e}")))?;
        }
        on_read!(self, p => {
            let rows = bind_args!(sqlx::query(AssertSqlSafe(sql.clone())), &args).fetch_all(p).await?;
            rows.iter().map(public_from_row).collect()
        })
    }
}
