//! pagerbound's server: the HTTP API ([`api`]), and the homes of the
//! engine, the notifiers, the SLI sources and the web UI.
//!
//! [`Server::start`] loads the configuration, opens and migrates the store
//! and listens; [`router::app`] is the whole HTTP surface, for tests that
//! want it without a socket.

pub mod action_links;
pub mod alert_status;
pub mod api;
pub mod auth;
pub mod calendar;
pub mod clock;
pub mod engine;
pub mod error;
pub mod extract;
pub mod heartbeat;
pub mod http_client;
pub mod ingest;
pub mod metrics;
pub mod notify;
pub mod observe;
pub mod oncall;
pub mod passwords;
pub mod raised;
pub mod reload;
pub mod router;
pub mod server;
pub mod slos;
pub mod sources;
pub mod state;
pub mod store;
pub mod tokens;
pub mod web;

pub use server::{ServeOptions, Server, StartError};
pub use state::AppState;
pub use store::open_store;
