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
}
