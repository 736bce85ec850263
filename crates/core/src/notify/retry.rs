//! What an attempt's result means, and when to try again.
//!
//! Failures that may pass (a 5xx, a timeout, a refused connection, 408
//! Request Timeout, 429 Too Many Requests) are retried with exponential
//! backoff and jitter, so that many notifications failing together do not
//! retry in lockstep. Other 4xx answers say the request itself is wrong
//! (a revoked key, a deleted topic): retrying would fail the same way, so
//! they are given up at once.

use jiff::SignedDuration;

/// The result of one attempt to deliver.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    Delivered,
    /// Worth another attempt.
    Retry(String),
    /// Will fail the same way every time.
    Permanent(String),
}

impl Outcome {
    /// The outcome of an HTTP answer with this status; `detail` (the start
    /// of the body) goes into the reason.
    pub fn from_status(status: u16, detail: &str) -> Outcome {
        let reason = || {
            let detail = detail.trim();
            if detail.is_empty() {
                format!("HTTP {status}")
            } else {
                format!("HTTP {status}: {detail}")
            }
        };
        match status {
            200..=299 => Outcome::Delivered,
            408 | 429 | 500..=599 => Outcome::Retry(reason()),
            _ => Outcome::Permanent(reason()),
        }
    }
}

/// How often and how patiently to retry.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryPolicy {
    /// Attempts in all, the first included.
    pub max_attempts: u32,
    /// The wait after the first failure; it doubles after each failure.
    pub first_delay: SignedDuration,
    /// The longest wait between attempts.
    pub max_delay: SignedDuration,
}

impl Default for RetryPolicy {
    /// Six attempts over about five minutes: 10 s, 20 s, 40 s, 80 s, 160 s.
    fn default() -> Self {
        RetryPolicy {
            max_attempts: 6,
            first_delay: SignedDuration::from_secs(10),
            max_delay: SignedDuration::from_mins(10),
        }
    }
}

impl RetryPolicy {
    /// The wait before the next attempt after `failed` attempts have
    /// failed, or `None` when none is left. `jitter` in `[0, 1)` spreads
    /// the wait over its upper half ("equal jitter"): never less than half
    /// the backoff, so retries still back off.
    pub fn delay_after(&self, failed: u32, jitter: f64) -> Option<SignedDuration> {
        if failed == 0 || failed >= self.max_attempts {
            return None;
        }
        let doublings = (failed - 1).min(30);
        let backoff = self
            .first_delay
            .checked_mul(1 << doublings)
            .unwrap_or(self.max_delay)
            .min(self.max_delay);
        let jitter = jitter.clamp(0.0, 1.0);
        Some(backoff.mul_f64(0.5 + jitter / 2.0))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn answers_are_classified_as_the_issue_says() {
        for (status, expected) in [
            (200, "delivered"),
            (204, "delivered"),
            (408, "retry"),
            (429, "retry"),
            (500, "retry"),
            (503, "retry"),
            (400, "permanent"),
            (401, "permanent"),
            (404, "permanent"),
            (301, "permanent"),
        ] {
            let got = match Outcome::from_status(status, "") {
                Outcome::Delivered => "delivered",
                Outcome::Retry(_) => "retry",
                Outcome::Permanent(_) => "permanent",
            };
            assert_eq!(got, expected, "HTTP {status}");
        }
        assert_eq!(
            Outcome::from_status(404, " no such topic \n"),
            Outcome::Permanent("HTTP 404: no such topic".to_owned())
        );
    }

    #[test]
    fn backoff_doubles_up_to_the_cap_and_stops_after_the_last_attempt() {
        let policy = RetryPolicy {
            max_attempts: 8,
            first_delay: SignedDuration::from_secs(10),
            max_delay: SignedDuration::from_secs(60),
        };
        // Without jitter (0.0 gives the lower half's edge; 1.0 the full
        // backoff).
        let full: Vec<i64> = (1..8)
            .map(|n| policy.delay_after(n, 1.0).expect("retry").as_secs())
            .collect();
        assert_eq!(full, [10, 20, 40, 60, 60, 60, 60]);
        assert_eq!(policy.delay_after(8, 1.0), None, "no ninth attempt");
        assert_eq!(policy.delay_after(0, 1.0), None, "nothing failed yet");
    }

    #[test]
    fn jitter_stays_within_the_upper_half() {
        let policy = RetryPolicy::default();
        for step in 0..=10 {
            let jitter = f64::from(step) / 10.0;
            let delay = policy.delay_after(3, jitter).expect("retry");
            assert!(
                delay >= SignedDuration::from_secs(20) && delay <= SignedDuration::from_secs(40),
                "{delay:?} for jitter {jitter}"
            );
        }
        // Out-of-range jitter is clamped rather than trusted.
        assert_eq!(
            policy.delay_after(1, 7.0),
            Some(SignedDuration::from_secs(10))
        );
    }
}
