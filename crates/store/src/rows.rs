//! Backend-neutral row access, so every decoder is written once for both databases.

use sqlx::Row;
use sqlx::postgres::PgRow;
use sqlx::sqlite::SqliteRow;

use crate::StoreError;

/// Typed column access that works the same on SQLite and PostgreSQL rows.
pub(crate) trait RowExt {
    fn i64(&self, col: &str) -> Result<i64, StoreError>;
    fn opt_i64(&self, col: &str) -> Result<Option<i64>, StoreError>;
    fn text(&self, col: &str) -> Result<String, StoreError>;
    fn opt_text(&self, col: &str) -> Result<Option<String>, StoreError>;
    fn opt_f64(&self, col: &str) -> Result<Option<f64>, StoreError>;

    fn bool(&self, col: &str) -> Result<bool, StoreError> {
        Ok(self.i64(col)? != 0)
    }
    fn opt_bool(&self, col: &str) -> Result<Option<bool>, StoreError> {
        Ok(self.opt_i64(col)?.map(|v| v != 0))
    }
}

fn corrupt(col: &str, e: sqlx::Error) -> StoreError {
    StoreError::Corrupt(format!("column {col}: {e}"))
}

macro_rules! impl_row_ext {
    ($t:ty) => {
        impl RowExt for $t {
            fn i64(&self, col: &str) -> Result<i64, StoreError> {
                self.try_get::<i64, _>(col).map_err(|e| corrupt(col, e))
            }
            fn opt_i64(&self, col: &str) -> Result<Option<i64>, StoreError> {
                self.try_get::<Option<i64>, _>(col)
                    .map_err(|e| corrupt(col, e))
            }
            fn text(&self, col: &str) -> Result<String, StoreError> {
                self.try_get::<String, _>(col).map_err(|e| corrupt(col, e))
            }
            fn opt_text(&self, col: &str) -> Result<Option<String>, StoreError> {
                self.try_get::<Option<String>, _>(col)
                    .map_err(|e| corrupt(col, e))
            }
            fn opt_f64(&self, col: &str) -> Result<Option<f64>, StoreError> {
                self.try_get::<Option<f64>, _>(col)
                    .map_err(|e| corrupt(col, e))
            }
        }
    };
}

impl_row_ext!(SqliteRow);
impl_row_ext!(PgRow);

/// A value to bind, so that dynamic queries can be built once and bound on either backend.
#[derive(Clone, Debug)]
pub(crate) enum Arg {
    I64(Option<i64>),
    Text(Option<String>),
    F64(Option<f64>),
}

impl From<i64> for Arg {
    fn from(v: i64) -> Self {
        Arg::I64(Some(v))
    }
}
impl From<Option<i64>> for Arg {
    fn from(v: Option<i64>) -> Self {
        Arg::I64(v)
    }
}
impl From<bool> for Arg {
    fn from(v: bool) -> Self {
        Arg::I64(Some(i64::from(v)))
    }
}
impl From<Option<bool>> for Arg {
    fn from(v: Option<bool>) -> Self {
        Arg::I64(v.map(i64::from))
    }
}
impl From<String> for Arg {
    fn from(v: String) -> Self {
        Arg::Text(Some(v))
    }
}
impl From<&str> for Arg {
    fn from(v: &str) -> Self {
        Arg::Text(Some(v.to_owned()))
    }
}
impl From<Option<String>> for Arg {
    fn from(v: Option<String>) -> Self {
        Arg::Text(v)
    }
}
impl From<Option<&str>> for Arg {
    fn from(v: Option<&str>) -> Self {
        Arg::Text(v.map(str::to_owned))
    }
}
impl From<Option<f64>> for Arg {
    fn from(v: Option<f64>) -> Self {
        Arg::F64(v)
    }
}

/// Binds every [`Arg`] to a query, in order.
macro_rules! bind_args {
    ($q:expr, $args:expr) => {{
        let mut q = $q;
        for a in $args {
            q = match a {
                $crate::rows::Arg::I64(v) => q.bind(*v),
                $crate::rows::Arg::Text(v) => q.bind(v.clone()),
                $crate::rows::Arg::F64(v) => q.bind(*v),
            };
        }
        q
    }};
}
pub(crate) use bind_args;

fn corrupt_sqlite(col: &str, e: rusqlite::Error) -> StoreError {
    StoreError::Corrupt(format!("column {col}: {e}"))
}

/// Rows read directly through rusqlite (the SQLite hot paths, see `inline.rs`).
impl RowExt for rusqlite::Row<'_> {
    fn i64(&self, col: &str) -> Result<i64, StoreError> {
        self.get::<_, i64>(col).map_err(|e| corrupt_sqlite(col, e))
    }
    fn opt_i64(&self, col: &str) -> Result<Option<i64>, StoreError> {
        self.get::<_, Option<i64>>(col)
            .map_err(|e| corrupt_sqlite(col, e))
    }
    fn text(&self, col: &str) -> Result<String, StoreError> {
        self.get::<_, String>(col)
            .map_err(|e| corrupt_sqlite(col, e))
    }
    fn opt_text(&self, col: &str) -> Result<Option<String>, StoreError> {
        self.get::<_, Option<String>>(col)
            .map_err(|e| corrupt_sqlite(col, e))
    }
    fn opt_f64(&self, col: &str) -> Result<Option<f64>, StoreError> {
        self.get::<_, Option<f64>>(col)
            .map_err(|e| corrupt_sqlite(col, e))
    }
}

/// A rusqlite row whose columns are found by position: the positions of a statement's columns
/// are looked up by name once per thread (keyed by the statement's text), not by a name search
/// over every column for each field of each row (rusqlite's `get(name)` compares the name with
/// each column's in turn: about fifty comparisons per field of a case row). Each position is
/// checked against the column's name before it is used, and a mismatch falls back to the search,
/// so a changed schema is never misread.
pub(crate) struct ByPosition<'a, 'r> {
    row: &'a rusqlite::Row<'r>,
    columns: std::rc::Rc<std::collections::HashMap<String, usize>>,
}

impl<'a, 'r> ByPosition<'a, 'r> {
    /// `sql`: the statement's text, the key of its positions.
    pub(crate) fn new(sql: &'static str, row: &'a rusqlite::Row<'r>) -> ByPosition<'a, 'r> {
        type Maps = std::collections::HashMap<
            &'static str,
            std::rc::Rc<std::collections::HashMap<String, usize>>,
        >;
        thread_local! {
            static MAPS: std::cell::RefCell<Maps> = std::cell::RefCell::new(Maps::new());
        }
        let stmt: &rusqlite::Statement<'_> = row.as_ref();
        let columns = MAPS.with(|m| {
            let mut m = m.borrow_mut();
            match m.get(sql) {
                Some(c) if c.len() == stmt.column_count() => c.clone(),
                _ => {
                    let c: std::rc::Rc<std::collections::HashMap<String, usize>> = std::rc::Rc::new(
                        stmt.column_names()
                            .iter()
                            .enumerate()
                            .map(|(i, n)| ((*n).to_owned(), i))
                            .collect(),
                    );
                    m.insert(sql, c.clone());
                    c
                }
            }
        });
        ByPosition { row, columns }
    }

    /// A row of a statement whose text is not `'static` (built per query), with the positions
    /// its caller looked up once for all of its rows.
    pub(crate) fn with_columns(
        row: &'a rusqlite::Row<'r>,
        columns: std::rc::Rc<std::collections::HashMap<String, usize>>,
    ) -> ByPosition<'a, 'r> {
        ByPosition { row, columns }
    }

    fn get<T: rusqlite::types::FromSql>(&self, col: &str) -> Result<T, StoreError> {
        let stmt: &rusqlite::Statement<'_> = self.row.as_ref();
        let got = match self.columns.get(col) {
            Some(&i) if stmt.column_name(i).is_ok_and(|n| n == col) => self.row.get::<_, T>(i),
            _ => self.row.get::<_, T>(col),
        };
        got.map_err(|e| corrupt_sqlite(col, e))
    }
}

impl RowExt for ByPosition<'_, '_> {
    fn i64(&self, col: &str) -> Result<i64, StoreError> {
        self.get(col)
    }
    fn opt_i64(&self, col: &str) -> Result<Option<i64>, StoreError> {
        self.get(col)
    }
    fn text(&self, col: &str) -> Result<String, StoreError> {
        self.get(col)
    }
    fn opt_text(&self, col: &str) -> Result<Option<String>, StoreError> {
        self.get(col)
    }
    fn opt_f64(&self, col: &str) -> Result<Option<f64>, StoreError> {
        self.get(col)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Positions are found once per statement text and checked before use: two statements
    /// under one key with their columns in another order still read the right values.
    #[test]
    fn by_position_reads_by_name_when_positions_moved() {
        let conn = rusqlite::Connection::open_in_memory().expect("open");
        conn.execute_batch("CREATE TABLE t (a INTEGER, b TEXT); INSERT INTO t VALUES (7, 'x');")
            .expect("schema");
        const KEY: &str = "SELECT a, b FROM t";
        for sql in [KEY, "SELECT b, a FROM t", KEY] {
            let mut stmt = conn.prepare(sql).expect("prepare");
            let mut rows = stmt.query([]).expect("query");
            let row = rows.next().expect("next").expect("row");
            let r = ByPosition::new(KEY, row);
            assert_eq!(r.i64("a").expect("a"), 7, "{sql}");
            assert_eq!(r.text("b").expect("b"), "x", "{sql}");
            assert!(r.opt_i64("missing").is_err(), "{sql}");
        }
    }
}
