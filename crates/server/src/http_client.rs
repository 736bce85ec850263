//! The HTTP client for everything pagerbound sends out: notifications to
//! channels, and the command line's requests to a server.

use std::time::Duration;

/// How long one outgoing request may take, connecting included. A channel
/// that does not answer in time is retried later, like one that fails.
pub const TIMEOUT: Duration = Duration::from_secs(10);

/// A client with pagerbound's user agent and timeouts; TLS through rustls,
/// verified against the system's roots.
pub fn http_client() -> reqwest::Result<reqwest::Client> {
    reqwest::Client::builder()
        .user_agent(concat!("pagerbound/", env!("CARGO_PKG_VERSION")))
        .connect_timeout(TIMEOUT)
        .timeout(TIMEOUT)
        .build()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builds_more_than_once() {
        http_client().expect("first client");
        http_client().expect("second client");
    }
}
