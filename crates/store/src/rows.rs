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
