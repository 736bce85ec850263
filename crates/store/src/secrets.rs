//! Server secrets kept in the database, so that every instance on a
//! shared PostgreSQL uses the same one (the key that signs action links).

use crate::Result;
use async_trait::async_trait;

#[async_trait]
pub trait Secrets {
    /// The secret called `name`: the stored one, or `candidate` stored now
    /// if there is none. When instances race, all get the first stored.
    async fn secret_or_insert(&self, name: &str, candidate: &[u8]) -> Result<Vec<u8>>;
}
