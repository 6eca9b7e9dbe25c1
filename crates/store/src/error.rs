//! The store's error type, and the one place database errors are classified.

use domain::workflow::Case;

/// Why a store call failed.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The case changed since it was read (optimistic version check); holds the current case.
    #[error("the case was changed by someone else (now version {})", .current.version)]
    Conflict { current: Box<Case> },
    /// No such row.
    #[error("{0} not found")]
    NotFound(&'static str),
    /// A unique constraint (e.g. a username) would be violated.
    #[error("already exists: {0}")]
    Duplicate(String),
    /// A reference to a row that does not exist (an unknown area, department, user …).
    #[error("refers to something that does not exist: {0}")]
    ForeignKey(String),
    /// The input cannot be stored as given.
    #[error("{0}")]
    Invalid(String),
    /// A stored value cannot be read back (a bug or a hand-edited database).
    #[error("corrupt row: {0}")]
    Corrupt(String),
    /// The database failed.
    #[error("database error: {0}")]
    Database(sqlx::Error),
}

impl From<sqlx::Error> for StoreError {
    fn from(e: sqlx::Error) -> Self {
        if let sqlx::Error::Database(db) = &e {
            match db.kind() {
                sqlx::error::ErrorKind::UniqueViolation => {
                    return StoreError::Duplicate(db.message().to_owned());
                }
                sqlx::error::ErrorKind::ForeignKeyViolation => {
                    return StoreError::ForeignKey(db.message().to_owned());
                }
                _ => {}
            }
        }
        StoreError::Database(e)
    }
}

impl From<serde_json::Error> for StoreError {
    fn from(e: serde_json::Error) -> Self {
        StoreError::Corrupt(e.to_string())
    }
}
