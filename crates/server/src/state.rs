//! What every request handler can reach.

use crate::action_links::KeyCache;
use crate::engine::EngineHandle;
use crate::ingest::Ingest;
use crate::metrics::Metrics;
use crate::notify::NotifierHandle;
use crate::reload::ConfigHandle;
use jiff::Timestamp;
use pagerbound_config::Settings;
use pagerbound_store::Store;
use std::sync::Arc;

/// Shared by all handlers and background tasks; cheap to clone.
#[derive(Clone)]
pub struct AppState {
    pub store: Arc<dyn Store>,
    pub config: Arc<ConfigHandle>,
    pub metrics: Arc<Metrics>,
    /// The settings the server was started with (listen address, database,
    /// body limit); changing them takes a restart.
    pub settings: Arc<Settings>,
    pub started_at: Timestamp,
    /// Where received alerts go to be made durable.
    pub ingest: Ingest,
    pub engine: EngineHandle,
    /// Told when a page's timeline changes outside the engine (an
    /// acknowledgement, a resolution), so that the news goes out at once.
    pub notifier: NotifierHandle,
    /// The key that signs and verifies action links, once read.
    pub action_links: Arc<KeyCache>,
    /// SLO counts and evaluations, kept by the SLO engine.
    pub slos: Arc<crate::slos::SloBook>,
}
