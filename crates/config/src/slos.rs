//! Validating `slos:`, service level objectives written natively.

use crate::document::Sourced;
use crate::raw::{RawBurnAlert, RawSlo};
use crate::validate::Validator;
use pagerbound_core::Duration;
use pagerbound_core::alert::{Labels, is_valid_name};
use pagerbound_core::slo::{
    BurnAlert, HistogramQuery, OWN_LABELS, Period, PrometheusSli, RatioQueries, Severity, Sli, Slo,
    SloWindow, WINDOW_PLACEHOLDER, workbook_policy,
};
use serde_saphyr::Spanned;
use std::collections::BTreeSet;

/// What an SLO's references are checked against.
pub(crate) struct SloNames<'a> {
    pub services: &'a BTreeSet<String>,
    pub teams: &'a BTreeSet<String>,
    pub probes: &'a BTreeSet<String>,
    /// `settings.prometheus_url`.
    pub prometheus_url: Option<&'a url::Url>,
}

impl Validator<'_> {
    pub(crate) fn slo(&mut self, sourced: &Sourced<RawSlo>, names: &SloNames) -> Option<Slo> {
        let raw = &sourced.item.value;
        let errors_before = self.diagnostics.error_count();
        self.reference(
            sourced.at(&raw.service),
            "service",
            &raw.service.value,
            names.services,
        );
        if let Some(owner) = &raw.owner {
            self.reference(sourced.at(owner), "team", &owner.value, names.teams);
        }
        let sli = self.sli(sourced, names);
        let objective = raw.objective.value;
        if !(objective > 0.0 && objective < 100.0) {
            self.diagnostics.error(
                &sourced.at(&raw.objective),
                format!("objective {objective} is not a percentage between 0 and 100, e.g. `99.9`"),
            );
        }
        let window = self.slo_window(sourced);
        let alerting = match (&raw.alerting, &window) {
            (Some(lines), _) => self.burn_alerts(sourced, lines),
            (None, Some(window)) => Some(workbook_policy(window)),
            (None, None) => None,
        };
        let min_events = match &raw.min_events {
            Some(min) if !(min.value >= 0.0 && min.value.is_finite()) => {
                self.diagnostics.error(
                    &sourced.at(min),
                    "min_events must be a number of events, 0 or more",
                );
                None
            }
            Some(min) => Some(min.value),
            None => Some(0.0),
        };
        let runbook = raw.runbook.as_ref().and_then(|runbook| {
            self.http_url(&sourced.at(runbook), &runbook.value, "runbook")
                .map(|url| url.to_string())
        });
        let labels = self.slo_labels(sourced);
        if self.diagnostics.error_count() != errors_before {
            return None;
        }
        Some(Slo {
            name: raw.name.value.clone(),
            service: raw.service.value.clone(),
            description: raw.description.clone(),
            sli: sli?,
            objective,
            window: window?,
            alerting: alerting?,
            min_events: min_events?,
            owner: raw.owner.as_ref().map(|o| o.value.clone()),
            runbook,
            labels: labels?,
        })
    }

    fn sli(&mut self, sourced: &Sourced<RawSlo>, names: &SloNames) -> Option<Sli> {
        let raw = &sourced.item.value.sli.value;
        let probe = raw.probe.as_ref();
        let source = raw.source.value.as_str();
        // Fields that belong to another source are mistakes, not noise.
        let prometheus_fields = [
            ("url", &raw.url),
            ("good", &raw.good),
            ("bad", &raw.bad),
            ("total", &raw.total),
            ("error_ratio", &raw.error_ratio),
            ("histogram", &raw.histogram),
            ("step", &raw.step),
        ];
        if source != "prometheus"
            && let Some(threshold) = &raw.threshold
        {
            self.diagnostics.error(
                &sourced.at(threshold),
                "`threshold` belongs to an SLI of source `prometheus` with a `histogram`",
            );
        }
        if source != "prometheus" {
            for (field, value) in prometheus_fields {
                if let Some(value) = value {
                    self.diagnostics.error(
                        &sourced.at(value),
                        format!("`{field}` belongs to an SLI of source `prometheus`"),
                    );
                }
            }
        }
        if source == "prometheus" {
            if let Some(probe) = probe {
                self.diagnostics.error(
                    &sourced.at(probe),
                    "`probe` belongs to an SLI of source `probe`",
                );
            }
            return self.prometheus_sli(sourced, names).map(Sli::Prometheus);
        }
        match (source, probe) {
            ("push", None) => Some(Sli::Push),
            ("probe", Some(probe)) => self
                .reference(sourced.at(probe), "probe", &probe.value, names.probes)
                .then(|| Sli::Probe {
                    probe: probe.value.clone(),
                }),
            ("probe", None) => {
                self.diagnostics.error(
                    &sourced.at(&raw.source),
                    "an SLI of source `probe` names its probe: `probe: NAME`",
                );
                None
            }
            ("push", Some(probe)) => {
                self.diagnostics.error(
                    &sourced.at(probe),
                    "`probe` belongs to an SLI of source `probe`",
                );
                None
            }
            (other, _) => {
                self.diagnostics.error(
                    &sourced.at(&raw.source),
                    format!("unknown SLI source `{other}`; use `push`, `probe` or `prometheus`"),
                );
                None
            }
        }
    }

    fn prometheus_sli(
        &mut self,
        sourced: &Sourced<RawSlo>,
        names: &SloNames,
    ) -> Option<PrometheusSli> {
        let raw = &sourced.item.value.sli.value;
        let errors_before = self.diagnostics.error_count();
        let url = match (&raw.url, names.prometheus_url) {
            (Some(url), _) => self.http_url(&sourced.at(url), &url.value, "url"),
            (None, Some(url)) => Some(url.clone()),
            (None, None) => {
                self.diagnostics.error(
                    &sourced.at(&raw.source),
                    "an SLI of source `prometheus` needs `url`, or `settings.prometheus_url`",
                );
                None
            }
        };
        let query = |v: &mut Self, text: Option<&Spanned<String>>, field: &str| {
            let text = text?;
            if !text.value.contains(WINDOW_PLACEHOLDER) {
                v.diagnostics.error(
                    &sourced.at(text),
                    format!(
                        "{field} must be a rate over `{WINDOW_PLACEHOLDER}`, e.g. `sum(rate(http_requests_total[{WINDOW_PLACEHOLDER}]))`"
                    ),
                );
                return None;
            }
            Some(text.value.clone())
        };
        if let Some(ratio) = &raw.error_ratio {
            for (field, value) in [
                ("good", &raw.good),
                ("bad", &raw.bad),
                ("total", &raw.total),
            ] {
                if value.is_some() {
                    self.diagnostics.error(
                        &sourced.at(ratio),
                        format!(
                            "give `error_ratio` or rates of events, not both (`{field}` is given)"
                        ),
                    );
                }
            }
        }
        if let Some(histogram) = &raw.histogram {
            let others = [
                ("good", &raw.good),
                ("bad", &raw.bad),
                ("total", &raw.total),
                ("error_ratio", &raw.error_ratio),
            ];
            for (field, value) in others {
                if let Some(value) = value {
                    self.diagnostics.error(
                        &sourced.at(value),
                        format!("give `histogram` and `threshold`, or `{field}`, not both"),
                    );
                }
            }
            let threshold = match &raw.threshold {
                Some(t) if t.value > 0.0 && t.value.is_finite() => Some(t.value.to_string()),
                Some(t) => {
                    self.diagnostics.error(
                        &sourced.at(t),
                        "threshold must be above 0: the `le` of a bucket, e.g. `0.3`",
                    );
                    None
                }
                None => {
                    self.diagnostics.error(
                        &sourced.at(histogram),
                        "a `histogram` needs `threshold`: the `le` of the bucket under which events are good",
                    );
                    None
                }
            };
            let parsed = histogram_selector(&histogram.value);
            if parsed.is_none() {
                self.diagnostics.error(
                    &sourced.at(histogram),
                    format!(
                        "histogram `{}` is not a metric name with optional matchers, e.g. `http_request_duration_seconds{{job=\"checkout\"}}`",
                        histogram.value
                    ),
                );
            }
            let step = self.prometheus_step(sourced);
            if self.diagnostics.error_count() != errors_before {
                return None;
            }
            let (metric, matchers) = parsed?;
            return Some(PrometheusSli {
                url: url?,
                queries: RatioQueries::Histogram(HistogramQuery {
                    metric,
                    matchers,
                    threshold: threshold?,
                }),
                step: step?,
            });
        }
        if raw.threshold.is_some() {
            self.diagnostics.error(
                &sourced.at(&raw.source),
                "`threshold` goes with a `histogram`",
            );
        }
        let total = query(self, raw.total.as_ref(), "total");
        let queries = match (&raw.good, &raw.bad) {
            _ if raw.error_ratio.is_some() => query(self, raw.error_ratio.as_ref(), "error_ratio")
                .map(|error_ratio| RatioQueries::ErrorRatio { error_ratio }),
            (Some(_), None) => query(self, raw.good.as_ref(), "good")
                .zip(total)
                .map(|(good, total)| RatioQueries::Good { good, total }),
            (None, Some(_)) => query(self, raw.bad.as_ref(), "bad")
                .zip(total)
                .map(|(bad, total)| RatioQueries::Bad { bad, total }),
            (Some(_), Some(bad)) => {
                self.diagnostics
                    .error(&sourced.at(bad), "give `good` or `bad`, not both");
                None
            }
            (None, None) => {
                self.diagnostics.error(
                    &sourced.at(&raw.source),
                    "an SLI of source `prometheus` needs `good` or `bad`, and `total` (or `error_ratio`)",
                );
                None
            }
        };
        if raw.total.is_none()
            && raw.error_ratio.is_none()
            && (raw.good.is_some() || raw.bad.is_some())
        {
            self.diagnostics.error(
                &sourced.at(&raw.source),
                "an SLI of source `prometheus` needs `total`, the rate of valid events",
            );
        }
        let step = self.prometheus_step(sourced);
        if self.diagnostics.error_count() != errors_before {
            return None;
        }
        Some(PrometheusSli {
            url: url?,
            queries: queries?,
            step: step?,
        })
    }

    fn prometheus_step(&mut self, sourced: &Sourced<RawSlo>) -> Option<Duration> {
        match &sourced.item.value.sli.value.step {
            None => Some(Duration::from_mins(1)),
            Some(text) => match text.value.parse::<Duration>() {
                Ok(step) if step >= Duration::from_secs(1) && step <= Duration::from_mins(60) => {
                    Some(step)
                }
                Ok(_) => {
                    self.diagnostics
                        .error(&sourced.at(text), "step must be between `1s` and `1h`");
                    None
                }
                Err(error) => {
                    self.diagnostics
                        .error(&sourced.at(text), format!("step: {error}"));
                    None
                }
            },
        }
    }

    fn slo_window(&mut self, sourced: &Sourced<RawSlo>) -> Option<SloWindow> {
        let raw = &sourced.item.value;
        let text = &raw.window;
        if let Ok(period) = text.value.parse::<Period>() {
            let time_zone = match &raw.time_zone {
                Some(zone) => self.time_zone(&sourced.at(zone), &zone.value)?,
                None => jiff::tz::TimeZone::UTC,
            };
            return Some(SloWindow::Calendar { period, time_zone });
        }
        if let Some(zone) = &raw.time_zone {
            self.diagnostics.error(
                &sourced.at(zone),
                "time_zone applies to calendar windows (`week`, `month`, `quarter`) only",
            );
        }
        match text.value.parse::<Duration>() {
            Ok(duration) if duration >= Duration::from_mins(60) => {
                Some(SloWindow::Rolling(duration))
            }
            Ok(_) => {
                self.diagnostics.error(
                    &sourced.at(text),
                    "window must be at least an hour; SLO windows are days or weeks, e.g. `28d`",
                );
                None
            }
            Err(_) => {
                self.diagnostics.error(
                    &sourced.at(text),
                    format!(
                        "window `{}` is neither a duration such as `30d` nor `week`, `month` or `quarter`",
                        text.value
                    ),
                );
                None
            }
        }
    }

    fn burn_alerts(
        &mut self,
        sourced: &Sourced<RawSlo>,
        lines: &[Spanned<RawBurnAlert>],
    ) -> Option<Vec<BurnAlert>> {
        if lines.is_empty() {
            self.diagnostics.error(
                &sourced.at(&sourced.item.value.name),
                "alerting is empty: leave it out for the default policy, or give at least one line",
            );
            return None;
        }
        let mut built = Vec::new();
        let mut ok = true;
        for line in lines {
            let raw = &line.value;
            let window = |v: &mut Self, text: &Spanned<String>, field: &str| match text
                .value
                .parse::<Duration>(
            ) {
                // The finest count kept is a minute.
                Ok(d) if d >= Duration::from_mins(1) && d.as_millis() % 60_000 == 0 => Some(d),
                Ok(_) => {
                    v.diagnostics.error(
                        &sourced.at(text),
                        format!("{field} must be whole minutes, at least `1m`"),
                    );
                    None
                }
                Err(error) => {
                    v.diagnostics
                        .error(&sourced.at(text), format!("{field}: {error}"));
                    None
                }
            };
            let long = window(self, &raw.long, "long");
            let short = window(self, &raw.short, "short");
            if let (Some(long), Some(short)) = (long, short)
                && short >= long
            {
                self.diagnostics.error(
                    &sourced.at(&raw.short),
                    format!("short window {short} must be shorter than the long window {long}"),
                );
                ok = false;
            }
            let burn_rate = raw.burn_rate.value;
            if !(burn_rate > 0.0 && burn_rate.is_finite()) {
                self.diagnostics.error(
                    &sourced.at(&raw.burn_rate),
                    "burn_rate must be above 0, e.g. `14.4`",
                );
                ok = false;
            }
            let severity = match raw.severity.value.parse::<Severity>() {
                Ok(severity) => Some(severity),
                Err(error) => {
                    self.diagnostics.error(&sourced.at(&raw.severity), error);
                    None
                }
            };
            match (long, short, severity) {
                (Some(long), Some(short), Some(severity)) => built.push(BurnAlert {
                    long,
                    short,
                    burn_rate,
                    severity,
                }),
                _ => ok = false,
            }
        }
        ok.then_some(built)
    }

    fn slo_labels(&mut self, sourced: &Sourced<RawSlo>) -> Option<Labels> {
        let raw = &sourced.item.value;
        let mut ok = true;
        for name in raw.labels.keys() {
            let problem = if !is_valid_name(name) {
                Some(format!("`{name}` is not a valid label name"))
            } else if OWN_LABELS.contains(&name.as_str()) {
                Some(format!(
                    "label `{name}` is set by the SLO itself; choose another name"
                ))
            } else {
                None
            };
            if let Some(problem) = problem {
                self.diagnostics
                    .error(&sourced.at(&raw.name), format!("labels: {problem}"));
                ok = false;
            }
        }
        ok.then(|| {
            raw.labels
                .iter()
                .filter(|(_, value)| !value.is_empty())
                .map(|(k, v)| (k.as_str(), v.as_str()))
                .collect()
        })
    }
}

/// `name{matchers}` split into the name and what is inside the braces.
fn histogram_selector(text: &str) -> Option<(String, String)> {
    let text = text.trim();
    let (name, matchers) = match text.split_once('{') {
        Some((name, rest)) => (name, rest.strip_suffix('}')?),
        None => (text, ""),
    };
    let valid_name = name
        .chars()
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_' || c == ':')
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == ':');
    valid_name.then(|| (name.to_owned(), matchers.trim().to_owned()))
}
