//! Users: people who are paged, and how to reach them.

use jiff::tz::TimeZone;

/// A person. The email address identifies them (for single sign-on and
/// calendars); pagerbound never sends email.
#[derive(Debug, Clone, PartialEq)]
pub struct User {
    pub name: String,
    pub full_name: Option<String>,
    pub email: Option<String>,
    /// Off-hours and sleep hours are judged in this zone.
    pub time_zone: TimeZone,
    pub contact_methods: Vec<ContactMethod>,
}

/// One way to reach a user: a channel and the address on it (a phone
/// number for SMS and voice, a topic for ntfy, a URL for webhooks).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ContactMethod {
    pub name: String,
    pub channel: String,
    pub to: Option<String>,
}
