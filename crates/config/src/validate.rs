//! From raw items to the validated [`Config`]: names, references, time
//! zones, URLs and secrets are checked, and every problem is reported with
//! its position. This module holds the order of the checks and what they
//! share; each kind of item is checked in the module named for it (people,
//! channels, routes, schedules, escalation, slos, heartbeats, probes).

use crate::diagnostic::{Diagnostics, Pos};
use crate::document::{Document, Sourced};
use crate::hint;
use crate::location::DatabaseLocation;
use crate::raw::{
    ChannelType, RawChannel, RawIntegration, RawNotificationSettings, RawRoute, RawService,
    RawSettings, RawUser,
};
use crate::routes::RouteFacts;
use crate::settings::Settings;
use crate::{Config, Environment};
use jiff::tz::TimeZone;
use pagerbound_core::inhibition::InhibitRule;
use pagerbound_core::time_window::{DaySet, WeeklyWindow, parse_time_of_day};
use pagerbound_core::token::TokenDigest;
use pagerbound_core::{Service, SupportHours, UrgencyRule, name};
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
pub(crate) struct Names {
    pub(crate) teams: BTreeSet<String>,
    pub(crate) services: BTreeSet<String>,
    pub(crate) users: BTreeSet<String>,
    pub(crate) channels: BTreeMap<String, Option<ChannelType>>,
    pub(crate) schedules: BTreeSet<String>,
    pub(crate) escalation_policies: BTreeSet<String>,
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

    pub(crate) fn required<'v, T>(
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
}

/// `+` and 8 to 15 digits.
pub(crate) fn is_phone_number(text: &str) -> bool {
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
