//! The servers a benchmark can be run against.
//!
//! A [`TargetSpec`] says which server to start and how; starting it gives a
//! running [`Target`] that the benchmarks drive through the Alertmanager v2
//! API and observe through `/proc`. A new kind of server is a new variant of
//! [`TargetSpec`] plus a type that implements [`Target`] and stops its
//! process when dropped; the benchmarks need no change.

use anyhow::Result;

use crate::alertmanager::{Alertmanager, AlertmanagerOptions};
use crate::pagerbound::{Database, Pagerbound, PagerboundOptions};

/// A started server under test. Dropping it stops the server.
pub trait Target {
    /// What to call it in reports, version included when known.
    fn describe(&self) -> String;
    /// Base URL the Alertmanager v2 API is under (`http://127.0.0.1:PORT`).
    fn url(&self) -> &str;
    /// Bearer token for the ingest API, if the server needs one.
    fn token(&self) -> Option<&str>;
    /// Bearer token for reading alerts back, if the server needs one.
    fn read_token(&self) -> Option<&str> {
        self.token()
    }
    /// Process id, for memory and CPU readings.
    fn pid(&self) -> u32;
}

/// Which server to start.
#[derive(Debug, Clone)]
pub enum TargetSpec {
    /// Prometheus Alertmanager, the reference point.
    Alertmanager(AlertmanagerOptions),
    /// pagerbound, on SQLite or PostgreSQL.
    Pagerbound(PagerboundOptions),
}

impl TargetSpec {
    /// Short name, for progress messages.
    pub fn name(&self) -> &'static str {
        match self {
            Self::Alertmanager(_) => "alertmanager",
            Self::Pagerbound(options) => match options.database {
                Database::Sqlite => "pagerbound-sqlite",
                Database::Postgres { .. } => "pagerbound-postgres",
            },
        }
    }

    /// The same server with alerts that carry a `probe` label routed to a
    /// webhook at `url` (the notification latency benchmark).
    pub fn with_probe_webhook(&self, url: &str) -> Self {
        let mut spec = self.clone();
        match &mut spec {
            Self::Alertmanager(options) => options.probe_webhook = Some(url.to_owned()),
            Self::Pagerbound(options) => options.probe_webhook = Some(url.to_owned()),
        }
        spec
    }

    /// Starts a fresh instance with empty state and waits until it is ready.
    pub async fn start(&self) -> Result<Box<dyn Target>> {
        match self {
            Self::Alertmanager(options) => Ok(Box::new(Alertmanager::start(options).await?)),
            Self::Pagerbound(options) => Ok(Box::new(Pagerbound::start(options).await?)),
        }
    }
}

impl Target for Pagerbound {
    fn describe(&self) -> String {
        format!("pagerbound {}", self.version())
    }

    fn url(&self) -> &str {
        Pagerbound::url(self)
    }

    fn token(&self) -> Option<&str> {
        Some(self.ingest_token())
    }

    fn read_token(&self) -> Option<&str> {
        Some(Pagerbound::read_token(self))
    }

    fn pid(&self) -> u32 {
        Pagerbound::pid(self)
    }
}

impl Target for Alertmanager {
    fn describe(&self) -> String {
        match self.version() {
            "" => "alertmanager".to_owned(),
            version => format!("alertmanager {version}"),
        }
    }

    fn url(&self) -> &str {
        Alertmanager::url(self)
    }

    fn token(&self) -> Option<&str> {
        // Alertmanager has no authentication of its own.
        None
    }

    fn pid(&self) -> u32 {
        Alertmanager::pid(self)
    }
}
