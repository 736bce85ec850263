//! From raw items to the validated [`Config`]: names, references, time
//! zones, URLs and secrets are checked, and every problem is reported with
//! its position.

use crate::diagnostic::{Diagnostics, Pos};
use crate::document::{Document, Sourced};
use crate::hint;
use crate::location::DatabaseLocation;
use crate::raw::{
    ChannelType, RawChannel, RawIntegration, RawNotificationRule, RawNotificationRules,
    RawNotificationSettings, RawRoute, RawService, RawSettings, RawTeam, RawUser, SecretSource,
};
use crate::routes::RouteFacts;
use crate::settings::Settings;
use crate::{Config, Environment};
use jiff::tz::TimeZone;
use pagerbound_core::channel::TwilioApi;
use pagerbound_core::inhibition::InhibitRule;
use pagerbound_core::time_window::{DaySet, WeeklyWindow, parse_time_of_day};
use pagerbound_core::token::TokenDigest;
use pagerbound_core::{
    Channel, ChannelKind, ContactMethod, Integration, NotificationRule, NotificationRules, Secret,
    Service, SupportHours, Team, UrgencyRule, User, name,
};
use serde_saphyr::Spanned;
use std::collections::{BTreeMap, BTreeSet};
use std::net::SocketAddr;
use std::path::Path;
use url::Url;

pub(crate) struct Validator<'a> {
    pub diagnostics: &'a mut Diagnostics,
    pub environment: &'a dyn Environment,
    /// Relative file paths (secrets, SQLite) are read from here.
    pub base_dir: &'a Path,
    /// Where to report problems with no place of their own (a missing
    /// section).
    pub first_file: Option<Pos>,
    /// The instant "the next four weeks" start from, for gap warnings.
    pub now: jiff::Timestamp,
}

/// The names defined in each section, including items that could not be
/// read, so that references can be checked against them.
#[derive(Default)]
struct Names {
    teams: BTreeSet<String>,
    services: BTreeSet<String>,
    users: BTreeSet<String>,
    channels: BTreeMap<String, Option<ChannelType>>,
    schedules: BTreeSet<String>,
    escalation_policies: BTreeSet<String>,
}

impl Validator<'_> {
    pub fn validate(&mut self, documents: Vec<Document>) -> Option<Config> {
        let mut settings: Option<Sourced<RawSettings>> = None;
        let mut routes: Option<Sourced<RawRoute>> = None;
        let mut inhibit_rules = Vec::new();
        let mut heartbeats = Vec::new();
        let mut schedules = Vec::new();
        let mut escalation_policies = Vec::new();
        let mut slos = Vec::new();
        let mut probes = Vec::new();
        let (mut teams, mut users, mut services, mut channels, mut integrations) =
            (Vec::new(), Vec::new(), Vec::new(), Vec::new(), Vec::new());
        let mut names = Names::default();
        for document in documents {
            if let Some(found) = document.settings {
                match &settings {
                    Some(first) => self.diagnostics.error(
                        &found.pos(),
                        format!(
                            "settings are already given at {}; give them in one file",
                            first.pos()
                        ),
                    ),
                    None => settings = Some(found),
                }
            }
            if let Some(found) = document.routes {
                match &routes {
                    Some(first) => self.diagnostics.error(
                        &found.pos(),
                        format!(
                            "routes are already given at {}; give the tree in one file",
                            first.pos()
                        ),
                    ),
                    None => routes = Some(found),
                }
            }
            inhibit_rules.extend(document.inhibit_rules);
            heartbeats.extend(document.heartbeats);
            schedules.extend(document.schedules);
            escalation_policies.extend(document.escalation_policies);
            slos.extend(document.slos);
            probes.extend(document.probes);
            for (section, name) in document.unreadable {
                match section {
                    "teams" => drop(names.teams.insert(name)),
                    "users" => drop(names.users.insert(name)),
                    "channels" => drop(names.channels.insert(name, None)),
                    "services" => drop(names.services.insert(name)),
                    "schedules" => drop(names.schedules.insert(name)),
                    "escalation_policies" => drop(names.escalation_policies.insert(name)),
                    _ => {}
                }
            }
            teams.extend(document.teams);
            users.extend(document.users);
            services.extend(document.services);
            channels.extend(document.channels);
            integrations.extend(document.integrations);
        }

        let teams = self.unique("team", teams, |t| &t.name);
        let users = self.unique("user", users, |u| &u.name);
        let services = self.unique("service", services, |s| &s.name);
        let channels = self.unique("channel", channels, |c| &c.name);
        let integrations = self.unique("integration", integrations, |i| &i.name);
        let schedules = self.unique("schedule", schedules, |s| &s.name);
        let escalation_policies =
            self.unique("escalation policy", escalation_policies, |p| &p.name);
        names.schedules.extend(schedules.keys().cloned());
        names
            .escalation_policies
            .extend(escalation_policies.keys().cloned());
        names.teams.extend(teams.keys().cloned());
        names.users.extend(users.keys().cloned());
        names.services.extend(services.keys().cloned());
        names.channels.extend(
            channels
                .iter()
                .map(|(name, c)| (name.clone(), Some(c.item.value.kind.value))),
        );

        let settings = self.settings(settings.as_ref(), &names);
        let symptom_label = settings.as_ref().and_then(|s| s.symptom_label.clone());
        let mut facts = RouteFacts::default();
        let tree = self.routes(
            routes.as_ref(),
            &names.services,
            symptom_label.as_deref(),
            &mut facts,
        );
        let inhibit_rules: Vec<InhibitRule> = inhibit_rules
            .iter()
            .filter_map(|rule| self.inhibit_rule(rule))
            .collect();
        // Every section is checked before any failure stops the build, so
        // that one bad section does not hide another's mistakes.
        let built_teams = self.each(&teams, |v, t| v.team(t, &names));
        let built_users = self.each(&users, |v, u| v.user(u, &names));
        let built_services = self.each(&services, |v, s| v.service(s, &names));
        let built_channels = self.each(&channels, Validator::channel);
        let built_integrations = self.each(&integrations, Validator::integration);
        let heartbeats = self.unique("heartbeat", heartbeats, |h| &h.name);
        let integration_names: BTreeSet<String> = integrations.keys().cloned().collect();
        let built_heartbeats = self.each(&heartbeats, |v, h| {
            v.heartbeat(h, &names.services, &integration_names)
        });
        let built_schedules =
            self.each(&schedules, |v, s| v.schedule(s, &names.teams, &names.users));
        let targets = crate::escalation::Targets {
            users: &names.users,
            schedules: &names.schedules,
            teams: &names.teams,
        };
        let built_policies = self.each(&escalation_policies, |v, p| {
            v.escalation_policy(p, &targets)
        });
        let probes = self.unique("probe", probes, |p| &p.name);
        let built_probes = self.each(&probes, Validator::probe);
        let probe_names: BTreeSet<String> = probes.keys().cloned().collect();
        let slos = self.unique("SLO", slos, |s| &s.name);
        let slo_names = crate::slos::SloNames {
            services: &names.services,
            teams: &names.teams,
            probes: &probe_names,
            prometheus_url: settings.as_ref().and_then(|s| s.prometheus_url.as_ref()),
        };
        let built_slos = self.each(&slos, |v, s| v.slo(s, &slo_names));
        let config = Config {
            settings: settings?,
            teams: built_teams,
            users: built_users,
            services: built_services,
            channels: built_channels,
            integrations: built_integrations,
            routes: tree?,
            inhibit_rules,
            heartbeats: built_heartbeats,
            schedules: built_schedules,
            escalation_policies: built_policies,
            slos: built_slos,
            probes: built_probes,
            files: Vec::new(),
        };
        self.cross_checks(&config, &users, &integrations);
        self.route_lints(&config, &facts);
        (self.diagnostics.error_count() == 0).then_some(config)
    }

    /// Keys items by name, reporting invalid and duplicate names.
    fn unique<T>(
        &mut self,
        kind: &str,
        items: Vec<Sourced<T>>,
        name_of: impl Fn(&T) -> &Spanned<String>,
    ) -> BTreeMap<String, Sourced<T>> {
        let mut by_name: BTreeMap<String, Sourced<T>> = BTreeMap::new();
        for item in items {
            let name = name_of(&item.item.value);
            let at = item.at(name);
            if let Err(error) = name::check(&name.value) {
                self.diagnostics.error(&at, format!("{kind} {error}"));
                continue;
            }
            if let Some(first) = by_name.get(&name.value) {
                self.diagnostics.error(
                    &at,
                    format!(
                        "{kind} `{}` is already defined at {}",
                        name.value,
                        first.at(name_of(&first.item.value))
                    ),
                );
                continue;
            }
            by_name.insert(name.value.clone(), item);
        }
        by_name
    }

    fn each<T, U>(
        &mut self,
        items: &BTreeMap<String, Sourced<T>>,
        mut build: impl FnMut(&mut Self, &Sourced<T>) -> Option<U>,
    ) -> BTreeMap<String, U> {
        items
            .iter()
            .filter_map(|(name, item)| Some((name.clone(), build(self, item)?)))
            .collect()
    }

    fn settings(&mut self, raw: Option<&Sourced<RawSettings>>, names: &Names) -> Option<Settings> {
        let mut settings = Settings::defaults(self.base_dir);
        let Some(sourced) = raw else {
            return Some(settings);
        };
        let raw = &sourced.item.value;
        let errors_before = self.diagnostics.error_count();
        if let Some(listen) = &raw.listen {
            match listen.value.parse::<SocketAddr>() {
                Ok(address) => {
                    settings.listen = address;
                    settings.external_url = Settings::default_external_url(address);
                }
                Err(_) => self.diagnostics.error(
                    &sourced.at(listen),
                    format!("`{}` is not an address to listen on; write `HOST:PORT`, e.g. `127.0.0.1:9095` or `0.0.0.0:9095`", listen.value),
                ),
            }
        }
        if let Some(database) = &raw.database {
            match DatabaseLocation::parse(&database.value, self.base_dir) {
                Ok(location) => settings.database = location,
                Err(error) => self
                    .diagnostics
                    .error(&sourced.at(database), error.to_string()),
            }
        }
        if let Some(external) = &raw.external_url
            && let Some(url) = self.http_url(&sourced.at(external), &external.value, "external_url")
        {
            settings.external_url = url;
        }
        if let Some(size) = &raw.max_request_body {
            match size.value.bytes() {
                None => self.diagnostics.error(
                    &sourced.at(size),
                    format!(
                        "`{}` is not a size; write e.g. `4MiB`, `512KiB` or a number of bytes",
                        size.value.0
                    ),
                ),
                Some(bytes) if bytes < 1024 => self.diagnostics.error(
                    &sourced.at(size),
                    "max_request_body must be at least 1KiB; alerts arrive in batches",
                ),
                Some(bytes) => settings.max_request_body = bytes,
            }
        }
        for (field, text, slot) in [
            (
                "resolve_timeout",
                &raw.resolve_timeout,
                &mut settings.resolve_timeout,
            ),
            ("retention", &raw.retention, &mut settings.retention),
        ] {
            if let Some(text) = text {
                match text.value.parse::<pagerbound_core::Duration>() {
                    Ok(duration) if duration > pagerbound_core::Duration::ZERO => *slot = duration,
                    Ok(_) => self.diagnostics.error(
                        &sourced.at(text),
                        format!("{field} must be longer than zero"),
                    ),
                    Err(error) => self
                        .diagnostics
                        .error(&sourced.at(text), format!("{field}: {error}")),
                }
            }
        }
        if let Some(url) = &raw.prometheus_url {
            settings.prometheus_url = self.http_url(&sourced.at(url), &url.value, "prometheus_url");
        }
        if let Some(label) = &raw.symptom_label {
            settings.symptom_label = (!label.is_empty()).then(|| label.clone());
        }
        if let Some(notifications) = &raw.notifications {
            self.notification_settings(sourced, &notifications.value, names, &mut settings);
        }
        (self.diagnostics.error_count() == errors_before).then_some(settings)
    }

    fn notification_settings(
        &mut self,
        sourced: &Sourced<RawSettings>,
        raw: &RawNotificationSettings,
        names: &Names,
        settings: &mut Settings,
    ) {
        let policy = &mut settings.notifications.retry;
        if let Some(attempts) = &raw.max_attempts {
            if attempts.value == 0 {
                self.diagnostics.error(
                    &sourced.at(attempts),
                    "max_attempts must be at least 1: the first attempt counts",
                );
            } else {
                policy.max_attempts = attempts.value;
            }
        }
        for (field, text, slot) in [
            ("first_retry", &raw.first_retry, &mut policy.first_delay),
            ("max_retry", &raw.max_retry, &mut policy.max_delay),
        ] {
            if let Some(text) = text {
                match text.value.parse::<pagerbound_core::Duration>() {
                    Ok(duration) if duration > pagerbound_core::Duration::ZERO => {
                        *slot = duration.to_signed();
                    }
                    Ok(_) => self.diagnostics.error(
                        &sourced.at(text),
                        format!("{field} must be longer than zero"),
                    ),
                    Err(error) => self
                        .diagnostics
                        .error(&sourced.at(text), format!("{field}: {error}")),
                }
            }
        }
        if policy.max_delay < policy.first_delay {
            let at = raw.max_retry.as_ref().or(raw.first_retry.as_ref());
            if let Some(at) = at {
                self.diagnostics.error(
                    &sourced.at(at),
                    "max_retry must not be shorter than first_retry",
                );
            }
        }
        if let Some(channel) = &raw.fallback_channel {
            if names.channels.contains_key(&channel.value) {
                settings.notifications.fallback_channel = Some(channel.value.clone());
            } else {
                self.diagnostics.error(
                    &sourced.at(channel),
                    format!(
                        "channel `{}` is not defined{}",
                        channel.value,
                        hint::suffix(&channel.value, names.channels.keys().map(String::as_str))
                    ),
                );
            }
        }
    }

    fn team(&mut self, sourced: &Sourced<RawTeam>, names: &Names) -> Option<Team> {
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

    fn user(&mut self, sourced: &Sourced<RawUser>, names: &Names) -> Option<User> {
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

    fn service(&mut self, sourced: &Sourced<RawService>, names: &Names) -> Option<Service> {
        let raw = &sourced.item.value;
        self.reference(sourced.at(&raw.team), "team", &raw.team.value, &names.teams);
        let runbook = match &raw.runbook {
            Some(runbook) => self.http_url(&sourced.at(runbook), &runbook.value, "runbook"),
            None => {
                self.diagnostics.warning(
                    &sourced.at(&raw.name),
                    format!(
                        "service `{}` has no runbook; whoever is paged for it will have no instructions",
                        raw.name.value
                    ),
                );
                None
            }
        };
        let support_hours = match &raw.support_hours {
            Some(hours) => Some(self.support_hours(sourced, &hours.value)?),
            None => None,
        };
        if let Some(channel) = &raw.channel
            && !names.channels.contains_key(&channel.value)
        {
            self.diagnostics.error(
                &sourced.at(channel),
                format!(
                    "channel `{}` is not defined{}",
                    channel.value,
                    hint::suffix(&channel.value, names.channels.keys().map(String::as_str))
                ),
            );
        }
        let urgency = match raw.urgency.as_ref().map(|u| (u, u.value.as_str())) {
            None | Some((_, "high")) => UrgencyRule::High,
            Some((_, "low")) => UrgencyRule::Low,
            Some((text, "support_hours")) => {
                if raw.support_hours.is_none() {
                    self.diagnostics.error(
                        &sourced.at(text),
                        "urgency `support_hours` needs the service's `support_hours`",
                    );
                }
                UrgencyRule::SupportHours
            }
            Some((text, other)) => {
                self.diagnostics.error(
                    &sourced.at(text),
                    format!("urgency `{other}` is not one of `high`, `low` or `support_hours`"),
                );
                UrgencyRule::High
            }
        };
        let hold_tickets = raw.hold_tickets.as_ref().is_some_and(|hold| {
            if hold.value && raw.support_hours.is_none() {
                self.diagnostics.error(
                    &sourced.at(hold),
                    "hold_tickets needs the service's `support_hours`: tickets are held until they begin",
                );
            }
            hold.value
        });
        if let Some(policy) = &raw.escalation_policy {
            self.reference(
                sourced.at(policy),
                "escalation policy",
                &policy.value,
                &names.escalation_policies,
            );
        }
        Some(Service {
            name: raw.name.value.clone(),
            team: raw.team.value.clone(),
            description: raw.description.clone(),
            runbook,
            support_hours,
            channel: raw.channel.as_ref().map(|c| c.value.clone()),
            escalation_policy: raw.escalation_policy.as_ref().map(|p| p.value.clone()),
            urgency,
            hold_tickets,
        })
    }

    fn support_hours(
        &mut self,
        service: &Sourced<RawService>,
        raw: &crate::raw::RawSupportHours,
    ) -> Option<SupportHours> {
        let time_zone = self.time_zone(&service.at(&raw.time_zone), &raw.time_zone.value);
        let windows = self.windows(service, &raw.windows);
        if raw.windows.is_empty() {
            self.diagnostics.error(
                &service.at(&raw.time_zone),
                "support_hours needs at least one window, e.g. `{days: mon-fri, start: \"09:00\", end: \"17:00\"}`",
            );
        }
        Some(SupportHours {
            time_zone: time_zone?,
            windows,
        })
    }

    /// Reads weekly windows (support hours, rotation restrictions),
    /// reporting each bad day list or time; the good ones are kept.
    pub(crate) fn windows<T>(
        &mut self,
        item: &Sourced<T>,
        raw: &[Spanned<crate::raw::RawWindow>],
    ) -> Vec<WeeklyWindow> {
        let mut windows = Vec::new();
        for window in raw {
            let window = &window.value;
            let days = window
                .days
                .value
                .parse::<DaySet>()
                .map_err(|e| {
                    self.diagnostics
                        .error(&item.at(&window.days), e.to_string())
                })
                .ok();
            let start = parse_time_of_day(&window.start.value)
                .map_err(|e| {
                    self.diagnostics
                        .error(&item.at(&window.start), e.to_string())
                })
                .ok();
            let end = parse_time_of_day(&window.end.value)
                .map_err(|e| self.diagnostics.error(&item.at(&window.end), e.to_string()))
                .ok();
            if let (Some(days), Some(start), Some(end)) = (days, start, end) {
                windows.push(WeeklyWindow { days, start, end });
            }
        }
        windows
    }

    fn channel(&mut self, sourced: &Sourced<RawChannel>) -> Option<Channel> {
        let raw = &sourced.item.value;
        let kind = raw.kind.value;
        let type_name = match kind {
            ChannelType::Webhook => "webhook",
            ChannelType::Chat => "chat",
            ChannelType::Ntfy => "ntfy",
            ChannelType::Sms => "sms",
            ChannelType::Voice => "voice",
            ChannelType::Log => "log",
        };
        // Each field applies to some types only; a field given to a type that
        // ignores it is a mistake worth pointing at.
        let fields: [(&str, Option<Pos>, &[ChannelType]); 8] = [
            (
                "url",
                raw.url.as_ref().map(|v| sourced.at(v)),
                &[ChannelType::Webhook, ChannelType::Chat],
            ),
            (
                "signing_secret",
                raw.signing_secret.as_ref().map(|v| sourced.at(v)),
                &[ChannelType::Webhook],
            ),
            (
                "server",
                raw.server.as_ref().map(|v| sourced.at(v)),
                &[ChannelType::Ntfy],
            ),
            (
                "token",
                raw.token.as_ref().map(|v| sourced.at(v)),
                &[ChannelType::Ntfy],
            ),
            (
                "api_url",
                raw.api_url.as_ref().map(|v| sourced.at(v)),
                &[ChannelType::Sms, ChannelType::Voice],
            ),
            (
                "account_sid",
                raw.account_sid.as_ref().map(|v| sourced.at(v)),
                &[ChannelType::Sms, ChannelType::Voice],
            ),
            (
                "auth_token",
                raw.auth_token.as_ref().map(|v| sourced.at(v)),
                &[ChannelType::Sms, ChannelType::Voice],
            ),
            (
                "from",
                raw.from.as_ref().map(|v| sourced.at(v)),
                &[ChannelType::Sms, ChannelType::Voice],
            ),
        ];
        for (field, at, applies_to) in &fields {
            if let Some(at) = at
                && !applies_to.contains(&kind)
            {
                self.diagnostics.error(
                    at,
                    format!("field `{field}` does not apply to a `{type_name}` channel"),
                );
            }
        }
        let errors_before = self.diagnostics.error_count();
        let channel_kind = match kind {
            ChannelType::Webhook | ChannelType::Chat => {
                let url = self.required(sourced, raw.url.as_ref(), "url", type_name);
                let url = url.and_then(|url| {
                    let secret = self.secret(&sourced.at(url), &url.value, true)?;
                    self.http_url(&sourced.at(url), secret.expose(), "url")?;
                    Some(secret)
                });
                if kind == ChannelType::Chat {
                    ChannelKind::Chat { url: url? }
                } else {
                    let signing_secret = match &raw.signing_secret {
                        Some(s) => Some(self.secret(&sourced.at(s), &s.value, false)?),
                        None => None,
                    };
                    ChannelKind::Webhook {
                        url: url?,
                        signing_secret,
                    }
                }
            }
            ChannelType::Ntfy => {
                let server = match &raw.server {
                    Some(server) => self.http_url(&sourced.at(server), &server.value, "server"),
                    None => Url::parse("https://ntfy.sh").ok(),
                };
                let token = match &raw.token {
                    Some(t) => Some(self.secret(&sourced.at(t), &t.value, false)?),
                    None => None,
                };
                ChannelKind::Ntfy {
                    server: server?,
                    token,
                }
            }
            ChannelType::Sms | ChannelType::Voice => {
                let api_url = match &raw.api_url {
                    Some(api) => self.http_url(&sourced.at(api), &api.value, "api_url"),
                    None => Url::parse("https://api.twilio.com").ok(),
                };
                let account_sid =
                    self.required(sourced, raw.account_sid.as_ref(), "account_sid", type_name);
                let auth_token = self
                    .required(sourced, raw.auth_token.as_ref(), "auth_token", type_name)
                    .and_then(|t| self.secret(&sourced.at(t), &t.value, false));
                let from = self.required(sourced, raw.from.as_ref(), "from", type_name);
                if let Some(from) = from
                    && !is_phone_number(&from.value)
                {
                    self.diagnostics.error(
                        &sourced.at(from),
                        format!(
                            "`{}` is not a phone number in E.164 form, e.g. `+353861234567`",
                            from.value
                        ),
                    );
                }
                let api = TwilioApi {
                    api_url: api_url?,
                    account_sid: account_sid?.value.clone(),
                    auth_token: auth_token?,
                    from: from?.value.clone(),
                };
                if kind == ChannelType::Sms {
                    ChannelKind::Sms(api)
                } else {
                    ChannelKind::Voice(api)
                }
            }
            ChannelType::Log => ChannelKind::Log,
        };
        let min_interval = match &raw.min_interval {
            Some(text) => match text.value.parse::<pagerbound_core::Duration>() {
                Ok(duration) => Some(duration.to_signed()),
                Err(error) => {
                    self.diagnostics
                        .error(&sourced.at(text), format!("min_interval: {error}"));
                    None
                }
            },
            None => None,
        };
        (self.diagnostics.error_count() == errors_before).then(|| Channel {
            name: raw.name.value.clone(),
            kind: channel_kind,
            min_interval,
        })
    }

    fn integration(&mut self, sourced: &Sourced<RawIntegration>) -> Option<Integration> {
        let raw = &sourced.item.value;
        let at = sourced.at(&raw.token);
        let token = match &raw.token.value {
            SecretSource::Sha256(hex) => TokenDigest::from_hex(hex).or_else(|| {
                self.diagnostics.error(
                    &at,
                    "`sha256` must be 64 hexadecimal digits: the SHA-256 digest of the token",
                );
                None
            })?,
            SecretSource::Literal(_) => {
                self.diagnostics.error(
                    &at,
                    "a token must not be written in configuration; give its digest (`token: {sha256: ...}`, printed by `pagerbound integration token`) or a reference (`{env: NAME}`, `{file: PATH}`)",
                );
                return None;
            }
            source => {
                let secret = self.secret(&at, source, false)?;
                if secret.expose().len() < 16 {
                    self.diagnostics.error(
                        &at,
                        "an integration token must be at least 16 characters long",
                    );
                    return None;
                }
                TokenDigest::of(secret.expose())
            }
        };
        Some(Integration {
            name: raw.name.value.clone(),
            description: raw.description.clone(),
            token,
        })
    }

    /// Checks that span objects: a token used by two integrations, users in
    /// no team.
    fn cross_checks(
        &mut self,
        config: &Config,
        users: &BTreeMap<String, Sourced<RawUser>>,
        integrations: &BTreeMap<String, Sourced<RawIntegration>>,
    ) {
        let mut owners: std::collections::HashMap<TokenDigest, &str> = Default::default();
        for (name, integration) in &config.integrations {
            if let Some(first) = owners.insert(integration.token, name)
                && let Some(sourced) = integrations.get(name)
            {
                self.diagnostics.error(
                    &sourced.at(&sourced.item.value.token),
                    format!(
                        "integrations `{first}` and `{name}` share a token; give each sender its own"
                    ),
                );
            }
        }
        let members: BTreeSet<&str> = config
            .teams
            .values()
            .flat_map(|t| t.members.iter().map(String::as_str))
            .collect();
        for (name, user) in users {
            if config.users.contains_key(name)
                && !members.contains(name.as_str())
                && !config.teams.is_empty()
            {
                self.diagnostics.warning(
                    &user.at(&user.item.value.name),
                    format!("user `{name}` is a member of no team"),
                );
            }
        }
    }

    /// Reports an undefined reference; returns whether it is defined.
    pub(crate) fn reference(
        &mut self,
        at: Pos,
        kind: &str,
        name: &str,
        defined: &BTreeSet<String>,
    ) -> bool {
        if defined.contains(name) {
            return true;
        }
        self.diagnostics.error(
            &at,
            format!(
                "{kind} `{name}` is not defined{}",
                hint::suffix(name, defined.iter().map(String::as_str))
            ),
        );
        false
    }

    fn required<'v, T>(
        &mut self,
        sourced: &Sourced<RawChannel>,
        value: Option<&'v Spanned<T>>,
        field: &str,
        type_name: &str,
    ) -> Option<&'v Spanned<T>> {
        if value.is_none() {
            self.diagnostics.error(
                &sourced.at(&sourced.item.value.kind),
                format!("a `{type_name}` channel needs `{field}`"),
            );
        }
        value
    }

    pub(crate) fn time_zone(&mut self, at: &Pos, name: &str) -> Option<TimeZone> {
        match TimeZone::get(name) {
            Ok(zone) => Some(zone),
            Err(_) => {
                let available = jiff::tz::db().available();
                let candidates: Vec<String> = available.map(|n| n.as_str().to_owned()).collect();
                self.diagnostics.error(
                    at,
                    format!(
                        "time zone `{name}` is not a known IANA zone{}",
                        hint::suffix(name, candidates.iter().map(String::as_str))
                    ),
                );
                None
            }
        }
    }

    pub(crate) fn http_url(&mut self, at: &Pos, text: &str, field: &str) -> Option<Url> {
        match Url::parse(text) {
            Ok(url) if matches!(url.scheme(), "http" | "https") && url.has_host() => Some(url),
            _ => {
                self.diagnostics.error(
                    at,
                    format!("{field} `{}` is not an http(s) URL", redact_url(text)),
                );
                None
            }
        }
    }

    /// Resolves a secret. Inline values are allowed only where
    /// `inline_allowed` (URLs that may or may not embed a key).
    fn secret(&mut self, at: &Pos, source: &SecretSource, inline_allowed: bool) -> Option<Secret> {
        match source {
            SecretSource::Literal(value) if inline_allowed => Some(Secret::new(value.clone())),
            SecretSource::Literal(_) => {
                self.diagnostics.error(
                    at,
                    "secrets are not written in configuration; reference one with `{env: NAME}` or `{file: PATH}`",
                );
                None
            }
            SecretSource::Env(variable) => match self.environment.var(variable) {
                Some(value) if !value.is_empty() => Some(Secret::new(value)),
                _ => {
                    self.diagnostics
                        .error(at, format!("environment variable `{variable}` is not set"));
                    None
                }
            },
            SecretSource::File(path) => match std::fs::read_to_string(self.base_dir.join(path)) {
                Ok(value) if !value.trim().is_empty() => {
                    Some(Secret::new(value.trim_end().to_owned()))
                }
                Ok(_) => {
                    self.diagnostics
                        .error(at, format!("secret file `{path}` is empty"));
                    None
                }
                Err(error) => {
                    self.diagnostics
                        .error(at, format!("cannot read secret file `{path}`: {error}"));
                    None
                }
            },
            SecretSource::Sha256(_) => {
                self.diagnostics.error(
                    at,
                    "a digest cannot be used here: pagerbound must send this secret; reference it with `{env: NAME}` or `{file: PATH}`",
                );
                None
            }
        }
    }
}

/// `+` and 8 to 15 digits.
fn is_phone_number(text: &str) -> bool {
    text.strip_prefix('+').is_some_and(|digits| {
        (8..=15).contains(&digits.len()) && digits.bytes().all(|b| b.is_ascii_digit())
    })
}

/// A URL fit for an error message: without user info or query, which may
/// hold keys.
fn redact_url(text: &str) -> String {
    match Url::parse(text) {
        Ok(mut url) => {
            let _ = url.set_password(None);
            let _ = url.set_username("");
            url.set_query(None);
            url.to_string()
        }
        Err(_) => text.chars().take(60).collect(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn phone_numbers_are_e164() {
        assert!(is_phone_number("+353861234567"));
        assert!(!is_phone_number("0861234567"));
        assert!(!is_phone_number("+353 86 123"));
        assert!(!is_phone_number("+1"));
    }
}
