//! Users: people who are paged, and how to reach them.

use crate::service::Urgency;
use jiff::SignedDuration;
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
    /// When each contact method is used for a page.
    pub notification_rules: NotificationRules,
}

/// One way to reach a user: a channel and the address on it (a phone
/// number for SMS and voice, a topic for ntfy, a URL for webhooks).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ContactMethod {
    pub name: String,
    pub channel: String,
    pub to: Option<String>,
}

/// When a user's contact methods are used for a page that needs them, by
/// the page's urgency: e.g. a push at once, a text after 2 minutes, a call
/// after 5, each sent only while the page is still unacknowledged. An empty
/// list means every contact method at once.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct NotificationRules {
    pub high: Vec<NotificationRule>,
    /// Validation keeps methods that ring a phone out of these: low urgency
    /// never wakes anyone.
    pub low: Vec<NotificationRule>,
}

/// Use contact method `contact` this long after the page is announced.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NotificationRule {
    pub contact: String,
    pub after: SignedDuration,
}

impl User {
    /// The contact methods used for a page of `urgency`, each with how long
    /// after the announcement it is used, soonest first.
    pub fn contact_plan(&self, urgency: Urgency) -> Vec<(&ContactMethod, SignedDuration)> {
        let rules = match urgency {
            Urgency::High => &self.notification_rules.high,
            Urgency::Low => &self.notification_rules.low,
        };
        if rules.is_empty() {
            return self
                .contact_methods
                .iter()
                .map(|method| (method, SignedDuration::ZERO))
                .collect();
        }
        let mut plan: Vec<_> = rules
            .iter()
            .filter_map(|rule| {
                let method = self
                    .contact_methods
                    .iter()
                    .find(|m| m.name == rule.contact)?;
                Some((method, rule.after))
            })
            .collect();
        plan.sort_by_key(|(method, after)| (*after, method.name.clone()));
        plan
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn method(name: &str) -> ContactMethod {
        ContactMethod {
            name: name.to_owned(),
            channel: name.to_owned(),
            to: None,
        }
    }

    fn rule(contact: &str, minutes: i64) -> NotificationRule {
        NotificationRule {
            contact: contact.to_owned(),
            after: SignedDuration::from_mins(minutes),
        }
    }

    fn names(plan: &[(&ContactMethod, SignedDuration)]) -> Vec<(String, i64)> {
        plan.iter()
            .map(|(m, after)| (m.name.clone(), after.as_secs() / 60))
            .collect()
    }

    #[test]
    fn rules_choose_methods_and_delays_by_urgency() {
        let mut user = User {
            name: "alice".into(),
            full_name: None,
            email: None,
            time_zone: TimeZone::UTC,
            contact_methods: vec![method("push"), method("sms"), method("voice")],
            notification_rules: NotificationRules::default(),
        };
        // Without rules: every method, at once, whatever the urgency.
        let everything = vec![("push".into(), 0), ("sms".into(), 0), ("voice".into(), 0)];
        assert_eq!(names(&user.contact_plan(Urgency::High)), everything);
        assert_eq!(names(&user.contact_plan(Urgency::Low)), everything);
        user.notification_rules = NotificationRules {
            high: vec![rule("voice", 5), rule("push", 0), rule("sms", 2)],
            low: vec![rule("push", 10)],
        };
        assert_eq!(
            names(&user.contact_plan(Urgency::High)),
            vec![("push".into(), 0), ("sms".into(), 2), ("voice".into(), 5)]
        );
        assert_eq!(
            names(&user.contact_plan(Urgency::Low)),
            vec![("push".into(), 10)]
        );
    }
}
