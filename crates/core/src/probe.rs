//! Probes: synthetic HTTP checks that pagerbound runs itself, each run one
//! event for the SLIs that use it: good when every expectation holds.
//!
//! This module is the pure part: what a probe is, and the verdict on one
//! run's outcome. Running them belongs to the server.

use crate::Duration;
use url::Url;

/// A configured probe.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Probe {
    pub name: String,
    /// The only address it requests: redirects are not followed, so a
    /// probe never reaches what the configuration does not name.
    pub url: Url,
    /// `GET`, `HEAD`, `POST`, `PUT` or `OPTIONS`.
    pub method: String,
    pub headers: Vec<(String, String)>,
    pub body: Option<String>,
    pub interval: Duration,
    pub timeout: Duration,
    pub expect: Expectations,
}

/// What a run must show to be good.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Expectations {
    /// Acceptable status codes; empty means any 2xx.
    pub status: Vec<u16>,
    /// The longest a response may take, headers and body.
    pub latency: Option<Duration>,
    /// Text the body must contain.
    pub body_contains: Option<String>,
}

/// What one run saw.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// A response came back.
    Response {
        status: u16,
        latency: Duration,
        /// The body as text (the first megabyte), when it was read.
        body: Option<String>,
    },
    /// No response: refused, reset, timed out, a TLS failure.
    Failed { error: String },
}

/// The verdict on one run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Verdict {
    pub good: bool,
    /// Why it is bad, for people.
    pub reason: Option<String>,
}

/// Methods a probe may use: none of them is meant to change anything, bar
/// `POST`/`PUT` to an endpoint built for checks.
pub const METHODS: [&str; 5] = ["GET", "HEAD", "POST", "PUT", "OPTIONS"];

/// The most of a body a probe reads.
pub const BODY_LIMIT: usize = 1 << 20;

/// Probes run this often unless configured.
pub const DEFAULT_INTERVAL: Duration = Duration::from_secs(60);
/// And give up after this long.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(10);

impl Probe {
    /// Whether a body must be read to judge a run.
    pub fn reads_body(&self) -> bool {
        self.expect.body_contains.is_some()
    }

    /// Judges one run: good when every expectation holds.
    pub fn judge(&self, outcome: &Outcome) -> Verdict {
        let bad = |reason: String| Verdict {
            good: false,
            reason: Some(reason),
        };
        let (status, latency, body) = match outcome {
            Outcome::Failed { error } => return bad(error.clone()),
            Outcome::Response {
                status,
                latency,
                body,
            } => (*status, *latency, body),
        };
        let status_ok = if self.expect.status.is_empty() {
            (200..300).contains(&status)
        } else {
            self.expect.status.contains(&status)
        };
        if !status_ok {
            return bad(format!("status {status}"));
        }
        if let Some(limit) = self.expect.latency
            && latency > limit
        {
            return bad(format!("took {latency}, more than {limit}"));
        }
        if let Some(text) = &self.expect.body_contains
            && !body.as_deref().is_some_and(|b| b.contains(text.as_str()))
        {
            return bad(format!("the body does not contain {text:?}"));
        }
        Verdict {
            good: true,
            reason: None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn probe(expect: Expectations) -> Probe {
        Probe {
            name: "home".into(),
            url: "http://127.0.0.1:8080/health".parse().expect("url"),
            method: "GET".into(),
            headers: Vec::new(),
            body: None,
            interval: DEFAULT_INTERVAL,
            timeout: DEFAULT_TIMEOUT,
            expect,
        }
    }

    fn response(status: u16, millis: u64, body: &str) -> Outcome {
        Outcome::Response {
            status,
            latency: Duration::from_millis(millis),
            body: Some(body.into()),
        }
    }

    #[test]
    fn any_success_is_good_by_default_and_failures_say_why() {
        let plain = probe(Expectations::default());
        assert!(plain.judge(&response(204, 5, "")).good);
        let verdict = plain.judge(&response(503, 5, ""));
        assert_eq!(verdict.reason.as_deref(), Some("status 503"));
        let verdict = plain.judge(&Outcome::Failed {
            error: "connection refused".into(),
        });
        assert!(!verdict.good);
        assert_eq!(verdict.reason.as_deref(), Some("connection refused"));
    }

    #[test]
    fn every_expectation_must_hold() {
        let strict = probe(Expectations {
            status: vec![200, 301],
            latency: Some(Duration::from_millis(500)),
            body_contains: Some("ok".into()),
        });
        assert!(strict.reads_body());
        assert!(strict.judge(&response(200, 120, "all ok")).good);
        assert!(!strict.judge(&response(204, 120, "all ok")).good);
        assert_eq!(
            strict
                .judge(&response(200, 800, "all ok"))
                .reason
                .as_deref(),
            Some("took 800ms, more than 500ms")
        );
        assert_eq!(
            strict.judge(&response(200, 10, "down")).reason.as_deref(),
            Some("the body does not contain \"ok\"")
        );
    }
}
