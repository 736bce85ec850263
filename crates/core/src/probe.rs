//! Probes: synthetic HTTP checks that pagerbound runs itself, each run one
//! event for the SLIs that use it: good when every expectation holds.
//!
//! This module is the pure part: what a probe is, and the verdict on one
//! run's outcome. Running them belongs to the server.

use crate::Duration;
use jiff::{SignedDuration, Timestamp};
use std::path::PathBuf;
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
    /// Roots trusted besides the system's, for services behind a private
    /// certificate authority.
    pub ca_file: Option<CaFile>,
    pub expect: Expectations,
}

/// A `ca_file` as read when the configuration was loaded: the
/// certificates are kept rather than the path so that a run trusts what
/// was validated, and a changed file takes effect on reload like any
/// other change.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CaFile {
    /// As resolved against the configuration's directory; it names the
    /// file in messages.
    pub path: PathBuf,
    /// Each certificate of the bundle, DER-encoded, in file order.
    pub certificates: Vec<Vec<u8>>,
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
    /// How long the server's certificate must stay valid after the run
    /// starts (`https` only): time to renew it before it lapses.
    pub certificate_expires_after: Option<Duration>,
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
        /// When the leaf certificate the server presented expires, when
        /// it was read: over `https`, for a probe that expects it.
        certificate_expires_at: Option<Timestamp>,
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

    /// Whether the server's certificate must be read to judge a run.
    pub fn reads_certificate(&self) -> bool {
        self.expect.certificate_expires_after.is_some()
    }

    /// Judges one run that started at `started_at`: good when every
    /// expectation holds.
    pub fn judge(&self, outcome: &Outcome, started_at: Timestamp) -> Verdict {
        let bad = |reason: String| Verdict {
            good: false,
            reason: Some(reason),
        };
        let (status, latency, body, certificate_expires_at) = match outcome {
            Outcome::Failed { error } => return bad(error.clone()),
            Outcome::Response {
                status,
                latency,
                body,
                certificate_expires_at,
            } => (*status, *latency, body, *certificate_expires_at),
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
        if let Some(least) = self.expect.certificate_expires_after {
            let Some(expires) = certificate_expires_at else {
                return bad(format!(
                    "the server's certificate could not be read; expected one valid for at least {}",
                    in_days(least)
                ));
            };
            let left = expires.duration_since(started_at);
            if left < least.to_signed() {
                let when = if left.is_negative() {
                    format!("expired {expires}, {} ago", in_days(roughly(left.abs())))
                } else {
                    format!("expires {expires}, in {}", in_days(roughly(left)))
                };
                return bad(format!(
                    "the certificate {when}; expected at least {}",
                    in_days(least)
                ));
            }
        }
        Verdict {
            good: true,
            reason: None,
        }
    }
}

/// A span of time to the precision people read it at: hours once it is
/// days, minutes once it is hours, seconds below.
fn roughly(span: SignedDuration) -> Duration {
    let millis = u64::try_from(span.as_millis()).unwrap_or(u64::MAX);
    let unit: u64 = match millis {
        m if m >= 24 * 3_600_000 => 3_600_000,
        m if m >= 3_600_000 => 60_000,
        _ => 1_000,
    };
    Duration::from_millis(millis - millis % unit)
}

/// A duration in days at most, as certificate lifetimes are counted:
/// `30d` rather than the `4w2d` of [`Duration`]'s display.
fn in_days(duration: Duration) -> String {
    let day = 24 * 3_600_000;
    let millis = duration.as_millis();
    match (millis / day, Duration::from_millis(millis % day)) {
        (0, rest) => rest.to_string(),
        (days, Duration::ZERO) => format!("{days}d"),
        (days, rest) => format!("{days}d{rest}"),
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
            ca_file: None,
            expect,
        }
    }

    fn response(status: u16, millis: u64, body: &str) -> Outcome {
        Outcome::Response {
            status,
            latency: Duration::from_millis(millis),
            body: Some(body.into()),
            certificate_expires_at: None,
        }
    }

    /// When the runs in these tests start.
    fn start() -> Timestamp {
        "2026-11-25T21:00:00Z".parse().expect("timestamp")
    }

    /// A good answer over `https` whose certificate expires at `expires`.
    fn secure(expires: Option<&str>) -> Outcome {
        Outcome::Response {
            status: 200,
            latency: Duration::from_millis(20),
            body: None,
            certificate_expires_at: expires.map(|t| t.parse().expect("timestamp")),
        }
    }

    fn renewed_in_time(least: &str) -> Probe {
        let mut probe = probe(Expectations {
            certificate_expires_after: Some(least.parse().expect("duration")),
            ..Expectations::default()
        });
        probe.url = "https://127.0.0.1:8443/health".parse().expect("url");
        probe
    }

    #[test]
    fn any_success_is_good_by_default_and_failures_say_why() {
        let plain = probe(Expectations::default());
        assert!(plain.judge(&response(204, 5, ""), start()).good);
        let verdict = plain.judge(&response(503, 5, ""), start());
        assert_eq!(verdict.reason.as_deref(), Some("status 503"));
        let verdict = plain.judge(
            &Outcome::Failed {
                error: "connection refused".into(),
            },
            start(),
        );
        assert!(!verdict.good);
        assert_eq!(verdict.reason.as_deref(), Some("connection refused"));
    }

    #[test]
    fn every_expectation_must_hold() {
        let strict = probe(Expectations {
            status: vec![200, 301],
            latency: Some(Duration::from_millis(500)),
            body_contains: Some("ok".into()),
            certificate_expires_after: None,
        });
        assert!(strict.reads_body());
        assert!(!strict.reads_certificate());
        assert!(strict.judge(&response(200, 120, "all ok"), start()).good);
        assert!(!strict.judge(&response(204, 120, "all ok"), start()).good);
        assert_eq!(
            strict
                .judge(&response(200, 800, "all ok"), start())
                .reason
                .as_deref(),
            Some("took 800ms, more than 500ms")
        );
        assert_eq!(
            strict
                .judge(&response(200, 10, "down"), start())
                .reason
                .as_deref(),
            Some("the body does not contain \"ok\"")
        );
    }

    #[test]
    fn a_certificate_must_outlast_the_expected_time() {
        let probe = renewed_in_time("14d");
        assert!(probe.reads_certificate());
        assert!(
            probe
                .judge(&secure(Some("2027-02-23T00:00:00Z")), start())
                .good
        );
        // Exactly the time expected is enough.
        assert!(
            probe
                .judge(&secure(Some("2026-12-09T21:00:00Z")), start())
                .good
        );

        let verdict = probe.judge(&secure(Some("2026-12-01T00:00:00Z")), start());
        assert!(!verdict.good);
        assert_eq!(
            verdict.reason.as_deref(),
            Some("the certificate expires 2026-12-01T00:00:00Z, in 5d3h; expected at least 14d")
        );
        let verdict = probe.judge(&secure(Some("2026-11-25T23:30:10Z")), start());
        assert_eq!(
            verdict.reason.as_deref(),
            Some("the certificate expires 2026-11-25T23:30:10Z, in 2h30m; expected at least 14d")
        );
        // Counted in days, as certificates are, not in weeks.
        let verdict = renewed_in_time("30d").judge(&secure(Some("2026-12-09T02:00:00Z")), start());
        assert_eq!(
            verdict.reason.as_deref(),
            Some("the certificate expires 2026-12-09T02:00:00Z, in 13d5h; expected at least 30d")
        );
        // The run started before it lapsed, the certificate was read after.
        let verdict = probe.judge(&secure(Some("2026-11-25T20:59:30Z")), start());
        assert_eq!(
            verdict.reason.as_deref(),
            Some("the certificate expired 2026-11-25T20:59:30Z, 30s ago; expected at least 14d")
        );
    }

    #[test]
    fn a_certificate_that_cannot_be_read_is_bad() {
        let verdict = renewed_in_time("30d").judge(&secure(None), start());
        assert!(!verdict.good);
        assert_eq!(
            verdict.reason.as_deref(),
            Some("the server's certificate could not be read; expected one valid for at least 30d")
        );
        // Other expectations are judged first: a failed run says why.
        let verdict = renewed_in_time("30d").judge(
            &Outcome::Failed {
                error: "invalid peer certificate: Expired".into(),
            },
            start(),
        );
        assert_eq!(
            verdict.reason.as_deref(),
            Some("invalid peer certificate: Expired")
        );
    }

    #[test]
    fn probes_without_the_expectation_ignore_certificates() {
        let plain = probe(Expectations::default());
        assert!(!plain.reads_certificate());
        assert!(plain.judge(&response(200, 5, ""), start()).good);
        assert!(
            plain
                .judge(&secure(Some("2026-11-26T00:00:00Z")), start())
                .good
        );
    }
}
