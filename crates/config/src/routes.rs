//! Validating the routing tree and the inhibition rules, and the STAT lints:
//! warnings that make "page on symptoms, with a runbook, to someone" visible
//! without enforcing it.

use crate::Config;
use crate::diagnostic::Pos;
use crate::document::{Origin, Sourced};
use crate::hint;
use crate::raw::{RawInhibitRule, RawRoute, Text};
use crate::validate::Validator;
use pagerbound_core::alert::{Matcher, Matchers, is_valid_name};
use pagerbound_core::inhibition::InhibitRule;
use pagerbound_core::routing::{Class, GroupBy, Route};
use pagerbound_core::{Duration, name};
use serde_saphyr::Spanned;
use std::collections::{BTreeMap, BTreeSet};

/// Where each route was written and what the lints need to know of it.
#[derive(Debug, Default)]
pub(crate) struct RouteFacts {
    by_id: BTreeMap<String, RouteFact>,
}

#[derive(Debug)]
struct RouteFact {
    pos: Pos,
    /// Whether this route and its ancestors require the symptom label.
    requires_symptom: bool,
}

/// Grouping used when the root gives none: one group per alert name.
fn default_group_by() -> GroupBy {
    GroupBy::Labels(vec!["alertname".to_owned()])
}

impl Validator<'_> {
    /// Builds the routing tree. The root is required: it is the default
    /// route for alerts that no other route claims.
    pub(crate) fn routes(
        &mut self,
        raw: Option<&Sourced<RawRoute>>,
        services: &BTreeSet<String>,
        symptom_label: Option<&str>,
        facts: &mut RouteFacts,
    ) -> Option<Route> {
        let Some(sourced) = raw else {
            if self.diagnostics.error_count() > 0 {
                // The routes may be in a file that could not be read.
                return None;
            }
            let at = self
                .first_file
                .clone()
                .unwrap_or_else(|| Pos::whole_file(&std::sync::Arc::from(self.base_dir)));
            self.diagnostics.error(
                &at,
                "no `routes`: every alert needs a route; add a `routes:` section whose root names the default `service` and `class`",
            );
            return None;
        };
        let mut builder = TreeBuilder {
            origin: &sourced.origin,
            services,
            symptom_label,
            facts,
        };
        builder.route(self, &sourced.item, None, "root".to_owned(), false)
    }

    pub(crate) fn inhibit_rule(
        &mut self,
        sourced: &Sourced<RawInhibitRule>,
    ) -> Option<InhibitRule> {
        let raw = &sourced.item.value;
        let source = self.matchers(&sourced.origin, &raw.source_matchers);
        let target = self.matchers(&sourced.origin, &raw.target_matchers);
        for (list, field) in [
            (&raw.source_matchers, "source_matchers"),
            (&raw.target_matchers, "target_matchers"),
        ] {
            if list.is_empty() {
                self.diagnostics.error(
                    &sourced.pos(),
                    format!("an inhibition rule needs `{field}`"),
                );
            }
        }
        let mut equal = Vec::new();
        for label in &raw.equal {
            if is_valid_name(&label.value) {
                equal.push(label.value.clone());
            } else {
                self.diagnostics.error(
                    &sourced.at(label),
                    format!("`{}` is not a label name", label.value),
                );
            }
        }
        Some(InhibitRule {
            source: source?,
            target: target?,
            equal,
        })
    }

    /// Parses matcher strings, one matcher each, reporting each bad one.
    pub(crate) fn matchers(&mut self, origin: &Origin, texts: &[Text]) -> Option<Matchers> {
        let mut matchers = Vec::new();
        let mut ok = true;
        for text in texts {
            match text.value.parse::<Matcher>() {
                Ok(matcher) => matchers.push(matcher),
                Err(error) => {
                    self.diagnostics
                        .error(&origin.pos(&text.referenced), error.to_string());
                    ok = false;
                }
            }
        }
        ok.then_some(Matchers(matchers))
    }

    fn duration(&mut self, origin: &Origin, text: &Text, field: &str) -> Option<Duration> {
        match text.value.parse::<Duration>() {
            Ok(duration) => Some(duration),
            Err(error) => {
                self.diagnostics
                    .error(&origin.pos(&text.referenced), format!("{field}: {error}"));
                None
            }
        }
    }

    /// The STAT lints, once the whole configuration is known.
    pub(crate) fn route_lints(&mut self, config: &Config, facts: &RouteFacts) {
        let symptom = config.settings.symptom_label.as_deref();
        for route in config.routes.walk() {
            if route.class != Class::Page {
                continue;
            }
            let Some(fact) = facts.by_id.get(&route.id) else {
                continue;
            };
            let Some(service) = config.services.get(&route.service) else {
                continue;
            };
            if service.runbook.is_none() {
                self.diagnostics.warning(
                    &fact.pos,
                    format!(
                        "route `{}` pages for service `{}`, which has no runbook: give responders instructions",
                        route.id, route.service
                    ),
                );
            }
            if config
                .teams
                .get(&service.team)
                .is_some_and(|t| t.members.is_empty())
            {
                self.diagnostics.warning(
                    &fact.pos,
                    format!(
                        "route `{}` pages for service `{}`, whose team `{}` has no members: nobody owns these pages",
                        route.id, route.service, service.team
                    ),
                );
            }
            if let Some(label) = symptom
                && !fact.requires_symptom
            {
                self.diagnostics.warning(
                    &fact.pos,
                    format!(
                        "route `{}` pages on alerts that need not carry a `{label}` label, which may be causes rather than symptoms; \
                         page on SLO symptoms (add the matcher `{label}=~\".+\"`) and make cause alerts tickets",
                        route.id
                    ),
                );
            }
        }
    }
}

struct TreeBuilder<'a> {
    origin: &'a Origin,
    services: &'a BTreeSet<String>,
    symptom_label: Option<&'a str>,
    facts: &'a mut RouteFacts,
}

impl TreeBuilder<'_> {
    fn at<T>(&self, value: &Spanned<T>) -> Pos {
        self.origin.pos(&value.referenced)
    }

    fn route(
        &mut self,
        v: &mut Validator<'_>,
        raw: &Spanned<RawRoute>,
        parent: Option<&Route>,
        path: String,
        parent_requires_symptom: bool,
    ) -> Option<Route> {
        let node = &raw.value;
        let pos = node
            .name
            .as_ref()
            .map_or_else(|| self.at(raw), |n| self.at(n));
        let is_root = parent.is_none();
        let errors_before = v.diagnostics.error_count();

        let id = match &node.name {
            Some(name) => {
                if let Err(error) = name::check(&name.value) {
                    v.diagnostics
                        .error(&self.at(name), format!("route {error}"));
                }
                name.value.clone()
            }
            None => path.clone(),
        };
        if let Some(first) = self.facts.by_id.get(&id) {
            v.diagnostics.error(
                &pos,
                format!("route `{id}` is already defined at {}", first.pos),
            );
        }

        let matchers = v.matchers(self.origin, &node.matchers).unwrap_or_default();
        if is_root && !node.matchers.is_empty() {
            v.diagnostics.error(
                &self.at(&node.matchers[0]),
                "the root route matches every alert and takes no matchers; put them on a child route",
            );
        }
        if is_root && node.continue_matching {
            v.diagnostics
                .error(&pos, "the root route cannot `continue`: it has no siblings");
        }

        let service = match (&node.service, parent) {
            (Some(service), _) => {
                if !self.services.contains(&service.value) {
                    v.diagnostics.error(
                        &self.at(service),
                        format!(
                            "service `{}` is not defined{}",
                            service.value,
                            hint::suffix(&service.value, self.services.iter().map(String::as_str))
                        ),
                    );
                }
                Some(service.value.clone())
            }
            (None, Some(parent)) => Some(parent.service.clone()),
            (None, None) => {
                v.diagnostics.error(
                    &pos,
                    "the root route needs `service`: the default for alerts no other route claims",
                );
                None
            }
        };

        let class = match (&node.class, parent) {
            (Some(class), _) => Class::parse(&class.value).or_else(|| {
                v.diagnostics.error(
                    &self.at(class),
                    match hint::closest(&class.value, ["page", "ticket", "log"]) {
                        Some(close) => {
                            format!("unknown class `{}`, did you mean `{close}`?", class.value)
                        }
                        None => format!(
                            "unknown class `{}`; a route is a page, a ticket or a log",
                            class.value
                        ),
                    },
                );
                None
            }),
            (None, Some(parent)) => Some(parent.class),
            (None, None) => {
                v.diagnostics.error(
                    &pos,
                    "the root route needs `class` (page, ticket or log) for alerts no other route claims",
                );
                None
            }
        };

        let group_by = match &node.group_by {
            Some(labels) => self.group_by(v, labels),
            None => parent.map_or_else(default_group_by, |p| p.group_by.clone()),
        };

        let inherited = parent.map(|p| p.timing).unwrap_or_default();
        let mut timing = inherited;
        for (field, text, slot) in [
            ("group_wait", &node.group_wait, &mut timing.group_wait),
            (
                "group_interval",
                &node.group_interval,
                &mut timing.group_interval,
            ),
            (
                "repeat_interval",
                &node.repeat_interval,
                &mut timing.repeat_interval,
            ),
        ] {
            if let Some(text) = text
                && let Some(duration) = v.duration(self.origin, text, field)
            {
                *slot = duration;
            }
        }
        for (field, value, text) in [
            (
                "group_interval",
                timing.group_interval,
                &node.group_interval,
            ),
            (
                "repeat_interval",
                timing.repeat_interval,
                &node.repeat_interval,
            ),
        ] {
            if value == Duration::ZERO {
                let at = text.as_ref().map_or_else(|| pos.clone(), |t| self.at(t));
                v.diagnostics
                    .error(&at, format!("{field} must be longer than zero"));
            }
        }

        let requires_symptom = parent_requires_symptom
            || self.symptom_label.is_some_and(|label| {
                matchers
                    .iter()
                    .any(|m| m.name == label && !m.matches_value(""))
            });
        self.facts.by_id.insert(
            id.clone(),
            RouteFact {
                pos: pos.clone(),
                requires_symptom,
            },
        );

        let mut route = Route {
            id,
            matchers,
            continue_matching: node.continue_matching,
            service: service.unwrap_or_default(),
            class: class.unwrap_or(Class::Log),
            group_by,
            timing,
            routes: Vec::new(),
        };
        let mut children = Vec::new();
        for (i, child) in node.routes.iter().enumerate() {
            if let Some(built) = self.route(
                v,
                child,
                Some(&route),
                format!("{}.{i}", route.id),
                requires_symptom,
            ) {
                children.push(built);
            }
        }
        route.routes = children;
        (v.diagnostics.error_count() == errors_before).then_some(route)
    }

    fn group_by(&mut self, v: &mut Validator<'_>, labels: &Spanned<Vec<Text>>) -> GroupBy {
        if labels.value.iter().any(|l| l.value == "...") {
            if labels.value.len() > 1 {
                v.diagnostics.error(
                    &self.at(labels),
                    "`...` groups by every label and stands alone in `group_by`",
                );
            }
            return GroupBy::Each;
        }
        let mut names = Vec::new();
        for label in &labels.value {
            if is_valid_name(&label.value) {
                names.push(label.value.clone());
            } else {
                v.diagnostics.error(
                    &self.at(label),
                    format!("`{}` is not a label name", label.value),
                );
            }
        }
        GroupBy::Labels(names)
    }
}
