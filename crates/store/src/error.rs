use std::error::Error as StdError;

type Source = Box<dyn StdError + Send + Sync>;

/// What went wrong in the store. Callers decide from the variant whether it
/// is the client's mistake (`Conflict`) or an internal fault.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The database cannot be reached or refused the connection.
    #[error("the database is unavailable: {0}")]
    Unavailable(#[source] Source),
    /// A unique constraint was violated; the message names what clashed.
    #[error("{0}")]
    Conflict(String),
    /// A stored row could not be read back into the domain.
    #[error("stored data is not valid: {0}")]
    Corrupt(String),
    /// Bringing the schema up to date failed.
    #[error("database migration failed: {0}")]
    Migration(#[source] Source),
    /// Any other database error.
    #[error("database error: {0}")]
    Database(#[source] Source),
}
