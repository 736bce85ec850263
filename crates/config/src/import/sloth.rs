//! Sloth's `prometheus/v1` specs: one service, its SLOs, each with an
//! events or raw SLI and page and ticket alerts.
//!
//! An SLO `NAME` of service `SERVICE` becomes the native SLO
//! `SERVICE-NAME` (Sloth's SLO id) over Sloth's default period, `30d`.
//! Its error and total queries are the native `bad` and `total` (both use
//! `{{.window}}`); a raw SLI's query is the native `error_ratio`.

use super::{Imported, Reporter, key_pos, policy_without, prometheus_sli, settable, spanned};
use crate::diagnostic::Diagnostics;
use crate::document::{Origin, Sourced, options, report};
use crate::raw::{RawBurnAlert, RawSli, RawSlo, Text};
use pagerbound_core::Duration;
use pagerbound_core::slo::{Severity, SloWindow};
use serde::Deserialize;
use serde::de::{Deserializer, IgnoredAny, MapAccess, Visitor};
use serde_saphyr::Spanned;
use std::collections::BTreeMap;
use std::fmt;

/// Sloth's SLO period when a spec does not say, in days.
const PERIOD_DAYS: u64 = 30;

/// A spec file.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Spec {
    version: Text,
    service: Option<Text>,
    #[serde(default)]
    labels: Option<Labels>,
    #[serde(default)]
    slo_plugins: Option<Spanned<IgnoredAny>>,
    #[serde(default)]
    slos: Option<Vec<Spanned<Slo>>>,
}

/// `slos[]`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Slo {
    name: Option<Text>,
    objective: Option<Spanned<f64>>,
    description: Option<String>,
    #[serde(default)]
    labels: Option<Labels>,
    sli: Option<Spanned<Sli>>,
    alerting: Option<Spanned<Alerting>>,
    plugins: Option<Spanned<IgnoredAny>>,
}

/// `slos[].sli`: one of the three.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Sli {
    events: Option<Spanned<Events>>,
    raw: Option<Spanned<Raw>>,
    plugin: Option<Spanned<IgnoredAny>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Events {
    #[serde(alias = "errorQuery")]
    error_query: Option<Text>,
    #[serde(alias = "totalQuery")]
    total_query: Option<Text>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Raw {
    #[serde(alias = "errorRatioQuery")]
    error_ratio_query: Option<Text>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Alerting {
    name: Option<Text>,
    #[serde(default)]
    labels: Option<Labels>,
    #[serde(default)]
    annotations: Option<Labels>,
    #[serde(alias = "pageAlert")]
    page_alert: Option<Spanned<Alert>>,
    #[serde(alias = "ticketAlert")]
    ticket_alert: Option<Spanned<Alert>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Alert {
    disable: Option<Spanned<bool>>,
    #[serde(default)]
    labels: Option<Labels>,
    #[serde(default)]
    annotations: Option<Labels>,
}

/// Configured alerting lines, or `None` for the default policy.
type Policy = Option<Vec<Spanned<RawBurnAlert>>>;

/// A mapping of names to values, in file order, each with its place.
#[derive(Debug, Default)]
struct Labels(Vec<(Text, Text)>);

impl<'de> Deserialize<'de> for Labels {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct LabelsVisitor;

        impl<'de> Visitor<'de> for LabelsVisitor {
            type Value = Labels;

            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a mapping of names to values")
            }

            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Labels, A::Error> {
                let mut pairs = Vec::new();
                while let Some(key) = map.next_key::<Text>()? {
                    let value = map.next_value::<Text>()?;
                    pairs.push((key, value));
                }
                Ok(Labels(pairs))
            }
        }

        deserializer.deserialize_map(LabelsVisitor)
    }
}

impl Labels {
    fn pairs(labels: &Option<Labels>) -> &[(Text, Text)] {
        labels.as_ref().map_or(&[], |labels| labels.0.as_slice())
    }
}

/// The native SLOs of one Sloth spec document.
pub(super) fn import(
    origin: &Origin,
    text: &str,
    diagnostics: &mut Diagnostics,
) -> Vec<Sourced<RawSlo>> {
    let spec = match serde_saphyr::from_str_with_options::<Spanned<Spec>>(text, options()) {
        Ok(spec) => spec,
        Err(error) => {
            report(diagnostics, origin, &error);
            return Vec::new();
        }
    };
    let top = spec.referenced;
    let spec = spec.value;
    if spec.version.value != "prometheus/v1" {
        diagnostics.error(
            &origin.pos(&spec.version.referenced),
            format!(
                "Sloth spec version `{}` is not supported; pagerbound imports `prometheus/v1`",
                spec.version.value
            ),
        );
        return Vec::new();
    }
    let Some(service) = &spec.service else {
        diagnostics.error(
            &origin.pos(&top),
            "a Sloth spec names its `service`: the pagerbound service its SLOs' alerts are about",
        );
        return Vec::new();
    };
    if let Some(plugins) = &spec.slo_plugins {
        diagnostics.warning(
            &key_pos(origin, text, &plugins.referenced, "slo_plugins"),
            "slo_plugins are not imported: pagerbound computes and alerts on the SLOs itself",
        );
    }
    let slos = spec.slos.as_deref().unwrap_or_default();
    if slos.is_empty() {
        diagnostics.warning(&origin.pos(&top), "this Sloth spec has no `slos`");
    }
    // The spec's labels are checked once, not for each SLO.
    let mut labels = Vec::new();
    for (name, value) in Labels::pairs(&spec.labels) {
        if settable(name, origin, diagnostics) {
            labels.push((name.clone(), value.clone()));
        }
    }
    let mut context = Context {
        report: Reporter {
            origin,
            text,
            diagnostics,
        },
        service,
        labels: &labels,
    };
    slos.iter()
        .filter_map(|slo| context.slo(slo))
        .map(|imported| imported.into_sourced(origin))
        .collect()
}

/// What every SLO of a spec shares.
struct Context<'a> {
    report: Reporter<'a>,
    service: &'a Text,
    /// The spec's labels, under every SLO's (the ones it may set).
    labels: &'a [(Text, Text)],
}

impl Context<'_> {
    fn slo(&mut self, slo: &Spanned<Slo>) -> Option<Imported> {
        let at = slo.referenced;
        let slo = &slo.value;
        let errors_before = self.report.diagnostics.error_count();
        if slo.name.is_none() {
            self.report.error(&at, "a Sloth SLO needs a `name`");
        }
        if slo.objective.is_none() {
            self.report.error(
                &at,
                "a Sloth SLO needs an `objective`, in percent, e.g. `99.9`",
            );
        }
        if let Some(plugins) = &slo.plugins {
            self.report.warning_at_key(
                &plugins.referenced,
                "plugins",
                "plugins are not imported: pagerbound computes and alerts on the SLO itself",
            );
        }
        let sli = match &slo.sli {
            Some(sli) => self.sli(sli),
            None => {
                self.report.error(
                    &at,
                    "a Sloth SLO needs an `sli`: `events` (`error_query`, `total_query`) or `raw` (`error_ratio_query`)",
                );
                None
            }
        };
        let mut labels = BTreeMap::new();
        let alerting = slo.alerting.as_ref().map(|alerting| &alerting.value);
        let alerting_labels = alerting.map_or(&[][..], |a| Labels::pairs(&a.labels));
        let own = Labels::pairs(&slo.labels).iter().chain(alerting_labels);
        for (name, value) in self.labels.iter().chain(
            own.filter(|(name, _)| settable(name, self.report.origin, self.report.diagnostics)),
        ) {
            labels.insert(name.value.clone(), value.value.clone());
        }
        let (policy, runbook) = match alerting {
            Some(alerting) => self.alerting(alerting),
            None => (Some(None), None),
        };
        if self.report.diagnostics.error_count() != errors_before {
            return None;
        }
        let name = slo.name.as_ref()?;
        let objective = slo.objective.as_ref()?;
        Some(Imported {
            at,
            name: spanned(
                format!("{}-{}", self.service.value, name.value),
                name.referenced,
            ),
            service: self.service.clone(),
            description: slo.description.clone(),
            sli: sli?,
            objective: spanned(objective.value, objective.referenced),
            window: spanned(format!("{PERIOD_DAYS}d"), name.referenced),
            time_zone: None,
            alerting: policy?,
            runbook,
            labels,
        })
    }

    fn sli(&mut self, sli: &Spanned<Sli>) -> Option<Spanned<RawSli>> {
        let at = sli.referenced;
        let sli = &sli.value;
        if let Some(plugin) = &sli.plugin {
            self.report.error_at_key(
                &plugin.referenced,
                "plugin",
                "SLI plugins are not supported: write the plugin's queries as `events` (`error_query`, `total_query`) or `raw` (`error_ratio_query`)",
            );
            return None;
        }
        match (&sli.events, &sli.raw) {
            (Some(_), Some(raw)) => {
                self.report.error_at_key(
                    &raw.referenced,
                    "raw",
                    "give `events` or `raw`, not both",
                );
                None
            }
            (Some(events), None) => {
                let error = events.value.error_query.clone();
                let total = events.value.total_query.clone();
                if error.is_none() {
                    self.report.error_at_key(
                        &events.referenced,
                        "events",
                        "an events SLI needs `error_query`: the rate of bad events over `{{.window}}`",
                    );
                }
                if total.is_none() {
                    self.report.error_at_key(
                        &events.referenced,
                        "events",
                        "an events SLI needs `total_query`: the rate of all events over `{{.window}}`",
                    );
                }
                let (error, total) = (error?, total?);
                Some(prometheus_sli(at, None, Some(error), Some(total), None))
            }
            (None, Some(raw)) => match &raw.value.error_ratio_query {
                Some(query) => Some(prometheus_sli(at, None, None, None, Some(query.clone()))),
                None => {
                    self.report.error_at_key(
                        &raw.referenced,
                        "raw",
                        "a raw SLI needs `error_ratio_query`: the error ratio over `{{.window}}`",
                    );
                    None
                }
            },
            (None, None) => {
                self.report.error_at_key(
                    &at,
                    "sli",
                    "an SLI needs `events` (`error_query`, `total_query`) or `raw` (`error_ratio_query`)",
                );
                None
            }
        }
    }

    /// The alerting policy (`None` inside: the default one) and the
    /// runbook, from `alerting`.
    fn alerting(&mut self, alerting: &Alerting) -> (Option<Policy>, Option<Text>) {
        if let Some(name) = &alerting.name {
            self.report.warning(
                &name.referenced,
                format!(
                    "alert name `{}` is not imported: pagerbound's SLO alerts are named `SLOErrorBudgetBurn`; route on their `slo` label",
                    name.value
                ),
            );
        }
        let mut runbook = None;
        for (name, value) in Labels::pairs(&alerting.annotations) {
            if matches!(name.value.as_str(), "runbook" | "runbook_url") && runbook.is_none() {
                runbook = Some(value.clone());
            } else {
                self.report.warning(
                    &name.referenced,
                    format!(
                        "annotation `{}` is not imported: pagerbound writes its alerts' annotations itself (a `runbook` or `runbook_url` annotation becomes the SLO's `runbook`)",
                        name.value
                    ),
                );
            }
        }
        let mut disabled = |alert: &Option<Spanned<Alert>>, which: &str, severity: &str| {
            let alert = alert.as_ref()?;
            if let Some((first, _)) = Labels::pairs(&alert.value.labels).first() {
                self.report.warning(
                    &first.referenced,
                    format!(
                        "labels of {which} are not imported: pagerbound sets `severity` itself; route on `severity=\"{severity}\"`"
                    ),
                );
            }
            if let Some((first, _)) = Labels::pairs(&alert.value.annotations).first() {
                self.report.warning(
                    &first.referenced,
                    format!(
                        "annotations of {which} are not imported: pagerbound writes its alerts' annotations itself"
                    ),
                );
            }
            alert
                .value
                .disable
                .as_ref()
                .filter(|disable| disable.value)
                .map(|disable| disable.referenced)
        };
        let page = disabled(&alerting.page_alert, "page_alert", "page");
        let ticket = disabled(&alerting.ticket_alert, "ticket_alert", "ticket");
        let window = SloWindow::Rolling(Duration::from_mins(PERIOD_DAYS * 24 * 60));
        let policy = match (page, ticket) {
            (None, None) => Some(None),
            (Some(at), None) => Some(Some(policy_without(&window, Severity::Page, at))),
            (None, Some(at)) => Some(Some(policy_without(&window, Severity::Ticket, at))),
            (Some(_), Some(at)) => {
                self.report.error(
                    &at,
                    "page_alert and ticket_alert are both disabled: the SLO could never alert; enable one of them",
                );
                None
            }
        };
        (policy, runbook)
    }
}
