//! Teams, users, and how each user wants to be reached: contact methods
//! and the notification rules that use them.

use crate::document::Sourced;
use crate::hint;
use crate::raw::{ChannelType, RawNotificationRule, RawNotificationRules, RawTeam, RawUser};
use crate::validate::{Names, Validator, is_phone_number};
use pagerbound_core::{ContactMethod, NotificationRule, NotificationRules, Team, User};
use serde_saphyr::Spanned;
use std::collections::BTreeSet;

impl Validator<'_> {
    pub(crate) fn team(&mut self, sourced: &Sourced<RawTeam>, names: &Names) -> Option<Team> {
        let raw = &sourced.item.value;
        let mut members = Vec::new();
        for member in &raw.members {
            if self.reference(sourced.at(member), "user", &member.value, &names.users) {
                members.push(member.value.clone());
            }
        }
        if raw.members.is_empty() {
            self.diagnostics.warning(
                &sourced.at(&raw.name),
                format!("team `{}` has no members", raw.name.value),
            );
        }
        Some(Team {
            name: raw.name.value.clone(),
            description: raw.description.clone(),
            members,
        })
    }

    pub(crate) fn user(&mut self, sourced: &Sourced<RawUser>, names: &Names) -> Option<User> {
        let raw = &sourced.item.value;
        let time_zone = self.time_zone(&sourced.at(&raw.time_zone), &raw.time_zone.value);
        if let Some(email) = &raw.email {
            let plausible = email.value.split_once('@').is_some_and(|(local, domain)| {
                !local.is_empty() && domain.contains('.') && !domain.contains('@')
            });
            if !plausible {
                self.diagnostics.error(
                    &sourced.at(email),
                    format!("`{}` is not an email address", email.value),
                );
            }
        }
        let mut contact_methods = Vec::new();
        let mut seen = BTreeSet::new();
        for method in &raw.contact_methods {
            let method = &method.value;
            let name = method.name.as_ref().unwrap_or(&method.channel);
            if !seen.insert(name.value.clone()) {
                self.diagnostics.error(
                    &sourced.at(name),
                    format!(
                        "user `{}` has two contact methods named `{}`; name them apart with `name:`",
                        raw.name.value, name.value
                    ),
                );
                continue;
            }
            if let Some(contact) = self.contact_method(sourced, method, &name.value, names) {
                contact_methods.push(contact);
            }
        }
        if raw.contact_methods.is_empty() {
            self.diagnostics.warning(
                &sourced.at(&raw.name),
                format!(
                    "user `{}` has no contact methods and cannot be paged",
                    raw.name.value
                ),
            );
        }
        let notification_rules = match &raw.notification_rules {
            Some(rules) => self.notification_rules(sourced, &rules.value, &contact_methods, names),
            None => NotificationRules::default(),
        };
        Some(User {
            name: raw.name.value.clone(),
            full_name: raw.full_name.clone(),
            email: raw.email.as_ref().map(|e| e.value.clone()),
            time_zone: time_zone?,
            contact_methods,
            notification_rules,
        })
    }

    /// Each rule names one of the user's contact methods once per urgency;
    /// low-urgency rules never name a method that rings a phone.
    fn notification_rules(
        &mut self,
        user: &Sourced<RawUser>,
        raw: &RawNotificationRules,
        methods: &[ContactMethod],
        names: &Names,
    ) -> NotificationRules {
        let mut read = |rules: &[Spanned<RawNotificationRule>], low: bool| {
            let mut seen = BTreeSet::new();
            let mut out = Vec::new();
            for rule in rules {
                let contact = &rule.value.contact;
                let at = user.at(contact);
                let Some(method) = methods.iter().find(|m| m.name == contact.value) else {
                    self.diagnostics.error(
                        &at,
                        format!(
                            "user `{}` has no contact method `{}`{}",
                            user.item.value.name.value,
                            contact.value,
                            hint::suffix(&contact.value, methods.iter().map(|m| m.name.as_str()))
                        ),
                    );
                    continue;
                };
                if !seen.insert(contact.value.clone()) {
                    self.diagnostics.error(
                        &at,
                        format!(
                            "contact method `{}` appears twice in these rules; use it once, at the delay you want",
                            contact.value
                        ),
                    );
                    continue;
                }
                let rings = matches!(
                    names.channels.get(&method.channel),
                    Some(Some(ChannelType::Sms | ChannelType::Voice))
                );
                if low && rings {
                    self.diagnostics.error(
                        &at,
                        format!(
                            "`{}` rings a phone; low-urgency rules never wake anyone, so they use push, chat or webhook methods only",
                            contact.value
                        ),
                    );
                    continue;
                }
                let after = match &rule.value.after {
                    None => jiff::SignedDuration::ZERO,
                    Some(text) => match text.value.parse::<pagerbound_core::Duration>() {
                        Ok(after) => after.to_signed(),
                        Err(error) => {
                            self.diagnostics
                                .error(&user.at(text), format!("after: {error}"));
                            continue;
                        }
                    },
                };
                out.push(NotificationRule {
                    contact: contact.value.clone(),
                    after,
                });
            }
            out
        };
        NotificationRules {
            high: read(&raw.high, false),
            low: read(&raw.low, true),
        }
    }

    fn contact_method(
        &mut self,
        user: &Sourced<RawUser>,
        method: &crate::raw::RawContactMethod,
        name: &str,
        names: &Names,
    ) -> Option<ContactMethod> {
        let channel_at = user.at(&method.channel);
        let channel_names = names.channels.keys().map(String::as_str);
        let Some(kind) = names.channels.get(&method.channel.value) else {
            self.diagnostics.error(
                &channel_at,
                format!(
                    "channel `{}` is not defined{}",
                    method.channel.value,
                    hint::suffix(&method.channel.value, channel_names)
                ),
            );
            return None;
        };
        let to = method.to.as_ref();
        let to_at = to.map_or_else(|| user.pos(), |t| user.at(t));
        match (kind, to) {
            (Some(ChannelType::Sms | ChannelType::Voice), Some(to))
                if !is_phone_number(&to.value) =>
            {
                self.diagnostics.error(
                    &to_at,
                    format!(
                        "`{}` is not a phone number in E.164 form, e.g. `+353861234567`",
                        to.value
                    ),
                );
            }
            (Some(ChannelType::Sms | ChannelType::Voice | ChannelType::Ntfy), None) => {
                let what = if *kind == Some(ChannelType::Ntfy) {
                    "topic"
                } else {
                    "phone number"
                };
                self.diagnostics.error(
                    &to_at,
                    format!("contact method `{name}` needs `to:`, the {what} to send to"),
                );
            }
            (Some(ChannelType::Webhook | ChannelType::Chat), Some(to)) => {
                self.http_url(&to_at, &to.value, "to");
            }
            (Some(ChannelType::Log), Some(_)) => {
                self.diagnostics
                    .error(&to_at, "a `log` channel has no address; remove `to:`");
            }
            _ => {}
        }
        Some(ContactMethod {
            name: name.to_owned(),
            channel: method.channel.value.clone(),
            to: to.map(|t| t.value.clone()),
        })
    }
}
