//! `settings:`: how this instance runs.

use crate::location::DatabaseLocation;
use pagerbound_core::Duration;
use pagerbound_core::notify::RetryPolicy;
use std::net::{Ipv4Addr, SocketAddr};
use std::path::Path;
use url::Url;

/// Default listen address: loopback only, so a first start exposes nothing.
pub const DEFAULT_LISTEN: SocketAddr =
    SocketAddr::new(std::net::IpAddr::V4(Ipv4Addr::LOCALHOST), 9095);
/// Default SQLite file name, in the configuration's directory.
pub const DEFAULT_DATABASE_FILE: &str = "pagerbound.db";
/// Default limit on request bodies.
pub const DEFAULT_MAX_REQUEST_BODY: u64 = 4 << 20;
/// Alertmanager's default resolve timeout.
pub const DEFAULT_RESOLVE_TIMEOUT: Duration = Duration::from_mins(5);
/// Default retention of history: a little over a year, so that a year's
/// operational reviews can be compared.
pub const DEFAULT_RETENTION: Duration = Duration::from_mins(400 * 24 * 60);

/// Validated settings.
#[derive(Debug, Clone, PartialEq)]
pub struct Settings {
    pub listen: SocketAddr,
    pub database: DatabaseLocation,
    /// The URL people use to reach this instance.
    pub external_url: Url,
    /// Largest request body accepted, in bytes.
    pub max_request_body: u64,
    /// How long an alert posted without `endsAt` fires unless sent again.
    pub resolve_timeout: Duration,
    /// How long resolved alerts, pages and tickets are kept.
    pub retention: Duration,
    /// The label that marks symptom alerts, for the page-on-symptoms lint.
    pub symptom_label: Option<String>,
    pub notifications: NotificationSettings,
    /// Where SLIs of source `prometheus` are read by default.
    pub prometheus_url: Option<Url>,
}

/// How notifications are retried, and where their failures are reported.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct NotificationSettings {
    pub retry: RetryPolicy,
    /// The channel told when a notification finally fails; without one, the
    /// service's channel or team is.
    pub fallback_channel: Option<String>,
}

impl Settings {
    pub(crate) fn defaults(base_dir: &Path) -> Self {
        Settings {
            listen: DEFAULT_LISTEN,
            database: DatabaseLocation::Sqlite(base_dir.join(DEFAULT_DATABASE_FILE)),
            external_url: Self::default_external_url(DEFAULT_LISTEN),
            max_request_body: DEFAULT_MAX_REQUEST_BODY,
            resolve_timeout: DEFAULT_RESOLVE_TIMEOUT,
            retention: DEFAULT_RETENTION,
            symptom_label: Some("slo".to_owned()),
            notifications: NotificationSettings::default(),
            prometheus_url: None,
        }
    }

    pub(crate) fn default_external_url(listen: SocketAddr) -> Url {
        let host = if listen.ip().is_unspecified() {
            "localhost".to_owned()
        } else {
            match listen {
                SocketAddr::V4(v4) => v4.ip().to_string(),
                SocketAddr::V6(v6) => format!("[{}]", v6.ip()),
            }
        };
        Url::parse(&format!("http://{host}:{}/", listen.port()))
            .expect("a socket address always forms a valid URL")
    }
}
