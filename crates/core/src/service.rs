//! Services: what a team owns and answers for.

use crate::time_window::WeeklyWindow;
use jiff::Timestamp;
use jiff::tz::TimeZone;
use url::Url;

/// A service. Later issues give it an escalation policy, SLOs and routes.
#[derive(Debug, Clone, PartialEq)]
pub struct Service {
    pub name: String,
    /// The owning team's name.
    pub team: String,
    pub description: Option<String>,
    /// Where responders read what to do.
    pub runbook: Option<Url>,
    pub support_hours: Option<SupportHours>,
    /// The channel for notices about the service.
    pub channel: Option<String>,
    /// The escalation policy its pages follow; without one, a page
    /// notifies every member of the owning team at once.
    pub escalation_policy: Option<String>,
    /// How urgent its pages are.
    pub urgency: UrgencyRule,
    /// Tickets opened outside support hours are told when they begin (the
    /// ticket is recorded at once; only its notifications wait).
    pub hold_tickets: bool,
}

/// How urgent a service's pages are.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum UrgencyRule {
    /// Every page may wake someone (the default).
    #[default]
    High,
    /// No page wakes anyone.
    Low,
    /// High inside the service's support hours, low outside them.
    SupportHours,
}

/// How urgent one page is. A low-urgency page never rings a phone and
/// never escalates past the first step of its policy.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Urgency {
    High,
    Low,
}

impl Service {
    /// The urgency of a page opened at `at`.
    pub fn urgency_at(&self, at: Timestamp) -> Urgency {
        match (self.urgency, &self.support_hours) {
            (UrgencyRule::High, _) => Urgency::High,
            (UrgencyRule::Low, _) => Urgency::Low,
            (UrgencyRule::SupportHours, Some(hours)) if hours.contains(at) => Urgency::High,
            (UrgencyRule::SupportHours, Some(_)) => Urgency::Low,
            // Validation requires support hours for this rule; without
            // them, waking someone is the safe mistake.
            (UrgencyRule::SupportHours, None) => Urgency::High,
        }
    }
}

/// The hours in which a service is staffed, in one time zone.
#[derive(Debug, Clone, PartialEq)]
pub struct SupportHours {
    pub time_zone: TimeZone,
    pub windows: Vec<WeeklyWindow>,
}

impl SupportHours {
    /// Whether `at` falls inside support hours.
    pub fn contains(&self, at: Timestamp) -> bool {
        let local = at.to_zoned(self.time_zone.clone()).datetime();
        self.windows.iter().any(|w| w.contains(local))
    }

    /// `at` itself when it is inside support hours, else when they next
    /// begin (within a week and a day: every window recurs weekly). A
    /// start that falls in a daylight-saving gap moves forward, as
    /// handoffs do.
    pub fn next_opening(&self, at: Timestamp) -> Option<Timestamp> {
        if self.contains(at) {
            return Some(at);
        }
        let today = at.to_zoned(self.time_zone.clone()).date();
        (0..=8)
            .filter_map(|days| today.checked_add(jiff::Span::new().days(days)).ok())
            .flat_map(|day| {
                self.windows
                    .iter()
                    .filter(move |w| w.days.contains(day.weekday()))
                    .filter_map(move |w| {
                        self.time_zone
                            .to_ambiguous_timestamp(day.to_datetime(w.start))
                            .compatible()
                            .ok()
                    })
            })
            .filter(|start| *start > at)
            .min()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::time_window::{DaySet, parse_time_of_day};

    fn dublin_office_hours() -> SupportHours {
        SupportHours {
            time_zone: TimeZone::get("Europe/Dublin").expect("zone"),
            windows: vec![WeeklyWindow {
                days: "mon-fri".parse::<DaySet>().expect("days"),
                start: parse_time_of_day("09:00").expect("start"),
                end: parse_time_of_day("17:00").expect("end"),
            }],
        }
    }

    fn at(text: &str) -> Timestamp {
        text.parse().expect("timestamp")
    }

    #[test]
    fn urgency_follows_support_hours_when_asked() {
        let mut service = Service {
            name: "checkout".into(),
            team: "payments".into(),
            description: None,
            runbook: None,
            support_hours: Some(dublin_office_hours()),
            channel: None,
            escalation_policy: None,
            urgency: UrgencyRule::SupportHours,
            hold_tickets: false,
        };
        // Friday 2026-11-20: 10:00 Dublin is inside, 23:00 outside.
        assert_eq!(
            service.urgency_at(at("2026-11-20T10:00:00Z")),
            Urgency::High
        );
        assert_eq!(service.urgency_at(at("2026-11-20T23:00:00Z")), Urgency::Low);
        assert_eq!(service.urgency_at(at("2026-11-21T10:00:00Z")), Urgency::Low);
        service.urgency = UrgencyRule::High;
        assert_eq!(
            service.urgency_at(at("2026-11-20T23:00:00Z")),
            Urgency::High
        );
        service.urgency = UrgencyRule::Low;
        assert_eq!(service.urgency_at(at("2026-11-20T10:00:00Z")), Urgency::Low);
    }

    #[test]
    fn judged_in_the_services_zone() {
        let hours = dublin_office_hours();
        // Winter: Dublin is UTC+0.
        assert!(hours.contains(at("2026-11-20T09:00:00Z")));
        assert!(!hours.contains(at("2026-11-20T17:00:00Z")));
        // Summer: Dublin is UTC+1, so 08:30 UTC is 09:30 local.
        assert!(hours.contains(at("2026-07-03T08:30:00Z")));
        assert!(!hours.contains(at("2026-07-03T16:30:00Z")));
        // Saturday.
        assert!(!hours.contains(at("2026-11-21T12:00:00Z")));
    }

    #[test]
    fn support_hours_next_open_at_the_next_window_start() {
        let hours = dublin_office_hours();
        // Inside: at once.
        assert_eq!(
            hours.next_opening(at("2026-11-20T10:00:00Z")),
            Some(at("2026-11-20T10:00:00Z"))
        );
        // Friday evening: Monday 09:00 Dublin (winter, UTC+0).
        assert_eq!(
            hours.next_opening(at("2026-11-20T17:00:00Z")),
            Some(at("2026-11-23T09:00:00Z"))
        );
        // Early Tuesday: the same morning.
        assert_eq!(
            hours.next_opening(at("2026-11-24T06:30:00Z")),
            Some(at("2026-11-24T09:00:00Z"))
        );
        // Saturday 2026-03-28 evening: Monday 09:00 is in summer time
        // (UTC+1), after the change on the 29th.
        assert_eq!(
            hours.next_opening(at("2026-03-28T20:00:00Z")),
            Some(at("2026-03-30T08:00:00Z"))
        );
        let never = SupportHours {
            time_zone: TimeZone::UTC,
            windows: Vec::new(),
        };
        assert_eq!(never.next_opening(at("2026-11-20T10:00:00Z")), None);
    }
}
