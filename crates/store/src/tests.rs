//! Store tests (story test on SQLite and PostgreSQL).
