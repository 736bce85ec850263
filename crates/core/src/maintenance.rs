//! Maintenance windows: planned work on a service. While one is active, the
//! service's alerts are recorded as log, never paged or ticketed. Shortly
//! before it ends, if the service's alerts still fire, the team is told:
//! the "downtime expired, work ongoing" trap, where a page arrives the
//! moment the window closes on work that is not finished.

use jiff::{SignedDuration, Timestamp};
use serde::Serialize;

/// How long before its end a window warns about alerts still firing.
pub const EXPIRY_NOTICE: SignedDuration = SignedDuration::from_mins(10);

/// A maintenance window on one service.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct MaintenanceWindow {
    pub id: i64,
    pub service: String,
    pub starts_at: Timestamp,
    pub ends_at: Timestamp,
    pub reason: String,
    pub created_by: String,
    pub created_at: Timestamp,
    /// When the expiry notice was recorded, if it was.
    pub notice_at: Option<Timestamp>,
}

impl MaintenanceWindow {
    pub fn is_active(&self, now: Timestamp) -> bool {
        self.starts_at <= now && now < self.ends_at
    }

    /// Whether the expiry notice is due now: the window is active, ends
    /// within [`EXPIRY_NOTICE`], and no notice was recorded yet.
    pub fn expiry_notice_due(&self, now: Timestamp) -> bool {
        self.is_active(now)
            && self.notice_at.is_none()
            && self.ends_at.duration_since(now) <= EXPIRY_NOTICE
    }

    /// Checks a window before it is stored.
    pub fn validate(&self, now: Timestamp) -> Result<(), String> {
        if self.ends_at <= self.starts_at {
            return Err(format!(
                "ends_at ({}) must be after starts_at ({})",
                self.ends_at, self.starts_at
            ));
        }
        if self.ends_at <= now {
            return Err(format!("ends_at ({}) is in the past", self.ends_at));
        }
        if self.reason.trim().is_empty() {
            return Err("a maintenance window needs a reason".to_owned());
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(minutes: i64) -> Timestamp {
        let base: Timestamp = "2026-11-21T10:00:00Z".parse().expect("time");
        base + SignedDuration::from_mins(minutes)
    }

    fn window(starts: i64, ends: i64) -> MaintenanceWindow {
        MaintenanceWindow {
            id: 1,
            service: "checkout".into(),
            starts_at: t(starts),
            ends_at: t(ends),
            reason: "database upgrade".into(),
            created_by: "alice".into(),
            created_at: t(-5),
            notice_at: None,
        }
    }

    #[test]
    fn active_between_start_and_end() {
        let w = window(0, 60);
        assert!(!w.is_active(t(-1)));
        assert!(w.is_active(t(0)));
        assert!(w.is_active(t(59)));
        assert!(!w.is_active(t(60)));
    }

    #[test]
    fn expiry_notice_comes_once_in_the_last_minutes() {
        let mut w = window(0, 60);
        assert!(!w.expiry_notice_due(t(49)));
        assert!(w.expiry_notice_due(t(50)));
        w.notice_at = Some(t(50));
        assert!(!w.expiry_notice_due(t(55)));
        assert!(!window(0, 60).expiry_notice_due(t(61)));
    }

    #[test]
    fn refuses_empty_or_past_windows() {
        assert!(window(0, 60).validate(t(0)).is_ok());
        assert!(window(60, 0).validate(t(0)).is_err());
        assert!(window(-60, -1).validate(t(0)).is_err());
        let mut no_reason = window(0, 60);
        no_reason.reason = " ".into();
        assert!(no_reason.validate(t(0)).is_err());
    }
}
