//! Silences: matchers and a time range during which matching alerts are
//! muted. They behave as Alertmanager's, so `amtool silence` works.

use crate::alert::{LabelLookup, Matchers};
use jiff::Timestamp;
use serde::Serialize;

/// A silence.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Silence {
    pub id: String,
    pub matchers: Matchers,
    pub starts_at: Timestamp,
    pub ends_at: Timestamp,
    pub created_by: String,
    pub comment: String,
    pub updated_at: Timestamp,
}

/// Where a silence is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum SilenceState {
    Pending,
    Active,
    Expired,
}

impl SilenceState {
    pub fn as_str(self) -> &'static str {
        match self {
            SilenceState::Pending => "pending",
            SilenceState::Active => "active",
            SilenceState::Expired => "expired",
        }
    }
}

impl Silence {
    pub fn state(&self, now: Timestamp) -> SilenceState {
        if now < self.starts_at {
            SilenceState::Pending
        } else if now < self.ends_at {
            SilenceState::Active
        } else {
            SilenceState::Expired
        }
    }

    /// Whether the silence mutes an alert with these labels now.
    pub fn mutes(&self, labels: &impl LabelLookup, now: Timestamp) -> bool {
        self.state(now) == SilenceState::Active && self.matchers.matches(labels)
    }

    /// Checks a silence before it is stored.
    pub fn validate(&self, now: Timestamp) -> Result<(), String> {
        if self.matchers.is_empty() {
            return Err("a silence needs at least one matcher".to_owned());
        }
        // A silence whose every matcher accepts the empty value would mute
        // alerts that lack the labels entirely: almost everything.
        if self.matchers.iter().all(|m| m.matches_value("")) {
            return Err("at least one matcher must not match the empty value, or the silence would mute nearly every alert".to_owned());
        }
        if self.ends_at <= self.starts_at {
            return Err(format!(
                "endsAt ({}) must be after startsAt ({})",
                self.ends_at, self.starts_at
            ));
        }
        if self.ends_at <= now {
            return Err(format!("endsAt ({}) is in the past", self.ends_at));
        }
        if self.created_by.trim().is_empty() {
            return Err("createdBy is required".to_owned());
        }
        Ok(())
    }

    /// Whether `self` (stored) may be changed in place into `new`, as
    /// Alertmanager decides: a pending silence may change freely, an active
    /// one only its end (not into the past) and comment, an expired one not
    /// at all. Otherwise the old silence is expired and a new one created.
    ///
    /// Start times are compared to the millisecond: that is the precision
    /// the API shows them in, so a client that posts back the silence it
    /// fetched (as `amtool silence update` does) sends the same start.
    pub fn can_update_to(&self, new: &Silence, now: Timestamp) -> bool {
        match self.state(now) {
            SilenceState::Expired => false,
            SilenceState::Pending => new.starts_at >= now,
            SilenceState::Active => {
                self.matchers == new.matchers
                    && self.starts_at.as_millisecond() == new.starts_at.as_millisecond()
                    && new.ends_at >= now
            }
        }
    }

    /// Ends the silence at `now`: an active one ends now, a pending one
    /// never starts. Expiring an expired silence changes nothing.
    pub fn expire(&mut self, now: Timestamp) -> bool {
        match self.state(now) {
            SilenceState::Expired => false,
            SilenceState::Active => {
                self.ends_at = now;
                self.updated_at = now;
                true
            }
            SilenceState::Pending => {
                self.starts_at = now;
                self.ends_at = now;
                self.updated_at = now;
                true
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::alert::{Labels, parse_matchers};
    use jiff::SignedDuration;

    fn t(minutes: i64) -> Timestamp {
        let base: Timestamp = "2026-11-21T10:00:00Z".parse().expect("time");
        base + SignedDuration::from_secs(minutes * 60)
    }

    fn silence(matchers: &str, starts: i64, ends: i64) -> Silence {
        Silence {
            id: "s1".into(),
            matchers: parse_matchers(matchers).expect("matchers"),
            starts_at: t(starts),
            ends_at: t(ends),
            created_by: "alice".into(),
            comment: "deploy".into(),
            updated_at: t(0),
        }
    }

    #[test]
    fn states_follow_the_clock() {
        let s = silence(r#"alertname="X""#, 10, 20);
        assert_eq!(s.state(t(5)), SilenceState::Pending);
        assert_eq!(s.state(t(10)), SilenceState::Active);
        assert_eq!(s.state(t(19)), SilenceState::Active);
        assert_eq!(s.state(t(20)), SilenceState::Expired);
    }

    #[test]
    fn mutes_matching_alerts_only_while_active() {
        let s = silence(r#"alertname="X", instance=~"db.*""#, 10, 20);
        let db: Labels = [("alertname", "X"), ("instance", "db1")]
            .into_iter()
            .collect();
        let web: Labels = [("alertname", "X"), ("instance", "web1")]
            .into_iter()
            .collect();
        assert!(s.mutes(&db, t(15)));
        assert!(!s.mutes(&web, t(15)));
        assert!(!s.mutes(&db, t(5)));
        assert!(!s.mutes(&db, t(25)));
    }

    #[test]
    fn refuses_silences_that_would_mute_everything_or_nothing() {
        assert!(silence(r#"alertname="X""#, 0, 10).validate(t(0)).is_ok());
        let cases = [
            (silence("", 0, 10), "at least one matcher"),
            (
                silence(r#"team=~".*""#, 0, 10),
                "must not match the empty value",
            ),
            (silence(r#"a="b""#, 10, 5), "must be after startsAt"),
            (silence(r#"a="b""#, -20, -10), "in the past"),
        ];
        for (s, message) in cases {
            let error = s.validate(t(0)).expect_err(message);
            assert!(error.contains(message), "{error}");
        }
    }

    #[test]
    fn updates_in_place_only_as_alertmanager_allows() {
        let active = silence(r#"a="b""#, 0, 10);
        let mut longer = active.clone();
        longer.ends_at = t(30);
        assert!(active.can_update_to(&longer, t(5)));
        let mut as_shown = longer.clone();
        as_shown.starts_at = active.starts_at + SignedDuration::from_micros(417);
        assert!(
            active.can_update_to(&as_shown, t(5)),
            "a start that differs below the millisecond is the same start"
        );
        as_shown.starts_at = active.starts_at + SignedDuration::from_millis(1);
        assert!(!active.can_update_to(&as_shown, t(5)));
        let mut other_matchers = longer.clone();
        other_matchers.matchers = parse_matchers(r#"a="c""#).expect("matchers");
        assert!(!active.can_update_to(&other_matchers, t(5)));
        let pending = silence(r#"a="b""#, 10, 20);
        assert!(
            pending.can_update_to(&other_matchers.clone(), t(5))
                == (other_matchers.starts_at >= t(5))
        );
        assert!(
            !active.can_update_to(&longer, t(15)),
            "expired silences are never updated"
        );
    }

    #[test]
    fn expiring_ends_now_or_never_starts() {
        let mut active = silence(r#"a="b""#, 0, 10);
        assert!(active.expire(t(5)));
        assert_eq!(active.state(t(5)), SilenceState::Expired);
        assert!(!active.expire(t(6)));
        let mut pending = silence(r#"a="b""#, 10, 20);
        assert!(pending.expire(t(5)));
        assert_eq!(pending.state(t(5)), SilenceState::Expired);
    }
}
