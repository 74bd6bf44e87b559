//! The store's one error type.

/// Why the store could not do what was asked. The web layer answers every
/// one of them as an internal error (`From<Error> for AppError`); nothing
/// here is the client's fault.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("cannot open database {path}: {source}")]
    Open {
        path: String,
        source: rusqlite::Error,
    },
    #[error("cannot migrate database: {0}")]
    Migrate(#[from] rusqlite_migration::Error),
    #[error("database error: {0}")]
    Sql(#[from] rusqlite::Error),
    /// A stored value that cannot be what it stands for (a malformed number,
    /// unreadable JSON): the database was changed behind garake's back.
    #[error("corrupt stored value: {0}")]
    Corrupt(String),
    /// A world's database file could not be written or removed.
    #[error("{path}: {source}")]
    File {
        path: String,
        source: std::io::Error,
    },
}
