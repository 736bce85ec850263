//! OpenSLO `v1` documents of `kind: SLO` with an inline `ratioMetric` SLI
//! read from Prometheus, counted by occurrences, with one time window and
//! one objective. Other kinds (SLI, Service, AlertPolicy, ...) are skipped.
//!
//! OpenSLO's queries are counters (`counter: true`): a selector `m{...}`
//! becomes `sum(rate(m{...}[{{.window}}]))`, any other expression
//! `sum(rate((EXPR)[{{.window}}:]))`. A query that already has
//! `{{.window}}` is a rate as pagerbound writes them, and is kept.

use super::{Imported, Reporter, prometheus_sli, spanned};
use crate::diagnostic::Diagnostics;
use crate::document::{Origin, Sourced, options, report};
use crate::raw::{RawSli, RawSlo, Text};
use pagerbound_core::slo::{Period, WINDOW_PLACEHOLDER};
use serde::Deserialize;
use serde::de::IgnoredAny;
use serde_saphyr::{Location, Spanned};
use std::collections::BTreeMap;

/// What every document says first.
#[derive(Debug, Deserialize)]
struct Header {
    #[serde(rename = "apiVersion")]
    api_version: Text,
    kind: Option<Text>,
}

/// A `kind: SLO` document.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct SloDocument {
    #[allow(dead_code)]
    api_version: IgnoredAny,
    #[allow(dead_code)]
    kind: IgnoredAny,
    metadata: Spanned<Metadata>,
    spec: Spanned<SloSpec>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct Metadata {
    name: Text,
    #[allow(dead_code)]
    display_name: Option<IgnoredAny>,
    #[allow(dead_code)]
    labels: Option<IgnoredAny>,
    #[allow(dead_code)]
    annotations: Option<IgnoredAny>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct SloSpec {
    description: Option<String>,
    service: Option<Text>,
    indicator: Option<Spanned<Indicator>>,
    indicator_ref: Option<Text>,
    time_window: Option<Spanned<Vec<Spanned<TimeWindow>>>>,
    budgeting_method: Option<Text>,
    objectives: Option<Spanned<Vec<Spanned<Objective>>>>,
    alert_policies: Option<Spanned<Vec<IgnoredAny>>>,
}

/// An inline SLI: `metadata` and `spec`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Indicator {
    #[allow(dead_code)]
    metadata: Option<IgnoredAny>,
    spec: Option<Spanned<SliSpec>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct SliSpec {
    #[allow(dead_code)]
    description: Option<IgnoredAny>,
    threshold_metric: Option<Spanned<IgnoredAny>>,
    ratio_metric: Option<Spanned<RatioMetric>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct RatioMetric {
    counter: Option<Spanned<bool>>,
    good: Option<Spanned<Metric>>,
    bad: Option<Spanned<Metric>>,
    total: Option<Spanned<Metric>>,
    #[allow(dead_code)]
    raw_type: Option<IgnoredAny>,
    raw: Option<Spanned<IgnoredAny>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct Metric {
    metric_source: Option<Spanned<MetricSource>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct MetricSource {
    metric_source_ref: Option<Text>,
    #[serde(rename = "type")]
    kind: Option<Text>,
    spec: Option<Spanned<SourceSpec>>,
}

/// The source's own fields; for Prometheus, `query`. Others are the
/// source's business and ignored.
#[derive(Debug, Deserialize)]
struct SourceSpec {
    query: Option<Text>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct TimeWindow {
    duration: Option<Text>,
    is_rolling: Option<Spanned<bool>>,
    calendar: Option<Spanned<Calendar>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct Calendar {
    start_time: Option<Text>,
    time_zone: Option<Text>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct Objective {
    #[allow(dead_code)]
    display_name: Option<IgnoredAny>,
    #[allow(dead_code)]
    op: Option<IgnoredAny>,
    #[allow(dead_code)]
    value: Option<IgnoredAny>,
    target: Option<Spanned<f64>>,
    target_percent: Option<Spanned<f64>>,
    #[allow(dead_code)]
    time_slice_target: Option<IgnoredAny>,
    #[allow(dead_code)]
    time_slice_window: Option<IgnoredAny>,
    indicator: Option<Spanned<IgnoredAny>>,
    indicator_ref: Option<Text>,
    #[allow(dead_code)]
    composite_weight: Option<IgnoredAny>,
}

/// The native SLO of one OpenSLO document, if it is a `kind: SLO` one.
pub(super) fn import(
    origin: &Origin,
    text: &str,
    diagnostics: &mut Diagnostics,
) -> Option<Sourced<RawSlo>> {
    let header = match serde_saphyr::from_str_with_options::<Spanned<Header>>(text, options()) {
        Ok(header) => header,
        Err(error) => {
            report(diagnostics, origin, &error);
            return None;
        }
    };
    let version = &header.value.api_version;
    if version.value != "openslo/v1" {
        diagnostics.error(
            &origin.pos(&version.referenced),
            format!(
                "OpenSLO `{}` is not supported; pagerbound imports `openslo/v1`",
                version.value
            ),
        );
        return None;
    }
    match &header.value.kind {
        Some(kind) if kind.value == "SLO" => {}
        Some(kind) => {
            diagnostics.warning(
                &origin.pos(&kind.referenced),
                format!(
                    "kind `{}` is skipped: only `kind: SLO` documents are imported (with their SLI inline)",
                    kind.value
                ),
            );
            return None;
        }
        None => {
            diagnostics.error(
                &origin.pos(&header.referenced),
                "an OpenSLO document names its `kind`, e.g. `kind: SLO`",
            );
            return None;
        }
    }
    let document = match serde_saphyr::from_str_with_options::<SloDocument>(text, options()) {
        Ok(document) => document,
        Err(error) => {
            report(diagnostics, origin, &error);
            return None;
        }
    };
    let mut context = Context {
        report: Reporter {
            origin,
            text,
            diagnostics,
        },
    };
    context
        .slo(&document)
        .map(|imported| imported.into_sourced(origin))
}

struct Context<'a> {
    report: Reporter<'a>,
}

impl Context<'_> {
    fn slo(&mut self, document: &SloDocument) -> Option<Imported> {
        let errors_before = self.report.diagnostics.error_count();
        let name = &document.metadata.value.name;
        let at = document.spec.referenced;
        let spec = &document.spec.value;
        if spec.service.is_none() {
            self.report.error_at_key(
                &at,
                "spec",
                "spec.service is missing: pagerbound needs the service the SLO's alerts are about",
            );
        }
        let sli = match (&spec.indicator, &spec.indicator_ref) {
            (_, Some(reference)) => {
                self.report.error(
                    &reference.referenced,
                    "indicatorRef is not supported: write the SLI inline under `indicator` (a `ratioMetric`)",
                );
                None
            }
            (Some(indicator), None) => self.indicator(indicator),
            (None, None) => {
                self.report.error_at_key(
                    &at,
                    "spec",
                    "spec.indicator is missing: give the SLI inline, a `ratioMetric` of Prometheus counters",
                );
                None
            }
        };
        let window = self.time_window(spec, at);
        if let Some(method) = &spec.budgeting_method
            && method.value != "Occurrences"
        {
            self.report.error(
                &method.referenced,
                format!(
                    "budgetingMethod `{}` is not supported: pagerbound counts events (Occurrences)",
                    method.value
                ),
            );
        }
        let objective = self.objective(spec, at);
        if let Some(policies) = &spec.alert_policies
            && !policies.value.is_empty()
        {
            self.report.warning_at_key(
                &policies.referenced,
                "alertPolicies",
                "alertPolicies are not imported: pagerbound alerts with its multi-window, multi-burn-rate policy (the SRE Workbook's, scaled to the window)",
            );
        }
        if self.report.diagnostics.error_count() != errors_before {
            return None;
        }
        let (window, time_zone) = window?;
        Some(Imported {
            at,
            name: name.clone(),
            service: spec.service.clone()?,
            description: spec.description.clone(),
            sli: sli?,
            objective: objective?,
            window,
            time_zone,
            alerting: None,
            runbook: None,
            labels: BTreeMap::new(),
        })
    }

    fn indicator(&mut self, indicator: &Spanned<Indicator>) -> Option<Spanned<RawSli>> {
        let Some(spec) = &indicator.value.spec else {
            self.report.error_at_key(
                &indicator.referenced,
                "indicator",
                "the indicator needs its `spec`, with a `ratioMetric`",
            );
            return None;
        };
        if let Some(threshold) = &spec.value.threshold_metric {
            self.report.error_at_key(
                &threshold.referenced,
                "thresholdMetric",
                "thresholdMetric is not supported: pagerbound imports `ratioMetric` SLIs (good or bad events among total events)",
            );
            return None;
        }
        let Some(ratio) = &spec.value.ratio_metric else {
            self.report.error_at_key(
                &spec.referenced,
                "spec",
                "the indicator needs a `ratioMetric`: good or bad events among total events",
            );
            return None;
        };
        let at = ratio.referenced;
        let ratio = &ratio.value;
        match &ratio.counter {
            Some(counter) if !counter.value => self.report.error(
                &counter.referenced,
                "`counter: false` is not supported: pagerbound reads counters (`counter: true`) and their rates",
            ),
            Some(_) => {}
            None => self.report.warning_at_key(
                &at,
                "ratioMetric",
                "`counter` is not given: the queries are read as counters, as with `counter: true`",
            ),
        }
        if let Some(raw) = &ratio.raw {
            self.report.error_at_key(
                &raw.referenced,
                "raw",
                "`raw` ratios are not supported: give `good` or `bad`, and `total`, as counters",
            );
            return None;
        }
        if ratio.total.is_none() {
            self.report.error_at_key(
                &at,
                "ratioMetric",
                "ratioMetric needs `total`: the counter of all valid events",
            );
        }
        match (&ratio.good, &ratio.bad) {
            (Some(_), Some(bad)) => {
                self.report
                    .error_at_key(&bad.referenced, "bad", "give `good` or `bad`, not both");
                return None;
            }
            (None, None) => {
                self.report.error_at_key(
                    &at,
                    "ratioMetric",
                    "ratioMetric needs `good` or `bad`: the counter of good (or bad) events",
                );
                return None;
            }
            _ => {}
        }
        // Each query read (and its mistakes reported) before any is given up.
        let good = ratio.good.as_ref().map(|metric| self.query(metric, "good"));
        let bad = ratio.bad.as_ref().map(|metric| self.query(metric, "bad"));
        let total = ratio
            .total
            .as_ref()
            .map(|metric| self.query(metric, "total"));
        let (good, bad, total) = match (good, bad, total) {
            (Some(Some(good)), None, Some(Some(total))) => (Some(good), None, total),
            (None, Some(Some(bad)), Some(Some(total))) => (None, Some(bad), total),
            _ => return None,
        };
        Some(prometheus_sli(at, good, bad, Some(total), None))
    }

    /// The rate over `{{.window}}` of a metric's counter query.
    fn query(&mut self, metric: &Spanned<Metric>, key: &str) -> Option<Text> {
        let Some(source) = &metric.value.metric_source else {
            self.report.error_at_key(
                &metric.referenced,
                key,
                "a metric needs its `metricSource`: `type: Prometheus` and `spec.query`",
            );
            return None;
        };
        let at = source.referenced;
        let source = &source.value;
        match &source.kind {
            Some(kind) if kind.value.eq_ignore_ascii_case("prometheus") => {}
            Some(kind) => {
                self.report.error(
                    &kind.referenced,
                    format!(
                        "metric source type `{}` is not supported: pagerbound reads Prometheus (`type: Prometheus` with `spec.query`)",
                        kind.value
                    ),
                );
                return None;
            }
            None => {
                self.report.error_at_key(
                    &at,
                    "metricSource",
                    "a metric source needs `type: Prometheus` (with `spec.query`); DataSource references (`metricSourceRef`) are not supported",
                );
                return None;
            }
        }
        if let Some(reference) = &source.metric_source_ref {
            self.report.warning(
                &reference.referenced,
                format!(
                    "metricSourceRef `{}` is not imported: the SLI queries `settings.prometheus_url`",
                    reference.value
                ),
            );
        }
        match source
            .spec
            .as_ref()
            .and_then(|spec| spec.value.query.as_ref())
        {
            Some(query) => Some(spanned(counter_rate(&query.value), query.referenced)),
            None => {
                self.report.error_at_key(
                    &at,
                    "metricSource",
                    "a Prometheus metric source needs `spec.query`: the counter's PromQL",
                );
                None
            }
        }
    }

    /// The window (and its time zone, for a calendar one).
    fn time_window(&mut self, spec: &SloSpec, at: Location) -> Option<(Text, Option<Text>)> {
        let Some(windows) = &spec.time_window else {
            self.report.error_at_key(
                &at,
                "spec",
                "spec.timeWindow is missing: give one window, e.g. `[{duration: 28d, isRolling: true}]`",
            );
            return None;
        };
        let window = match windows.value.as_slice() {
            [] => {
                self.report.error(
                    &windows.referenced,
                    "timeWindow is empty: give one window, e.g. `{duration: 28d, isRolling: true}`",
                );
                return None;
            }
            [window] => window,
            [_, second, ..] => {
                self.report.error(
                    &second.referenced,
                    "more than one time window: pagerbound imports one window per SLO",
                );
                return None;
            }
        };
        let Some(duration) = &window.value.duration else {
            self.report.error(
                &window.referenced,
                "a time window needs its `duration`, e.g. `28d` or (calendar) `1M`",
            );
            return None;
        };
        let calendar = window.value.calendar.as_ref();
        let rolling = match &window.value.is_rolling {
            Some(rolling) => rolling.value,
            None => calendar.is_none(),
        };
        let text = duration.value.as_str();
        if rolling {
            if let Some(calendar) = calendar {
                self.report.error_at_key(
                    &calendar.referenced,
                    "calendar",
                    "a rolling window (`isRolling: true`) has no `calendar`",
                );
                return None;
            }
            let digits = text.trim_end_matches(|c: char| c.is_ascii_alphabetic());
            let unit = &text[digits.len()..];
            let number_ok = !digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit());
            if !number_ok || !matches!(unit, "m" | "h" | "d" | "w") {
                self.report.error(
                    &duration.referenced,
                    format!(
                        "rolling window `{text}` is not supported: give minutes, hours, days or weeks, e.g. `28d`; `1M`, `1Q` and `1Y` are calendar windows (`isRolling: false`)"
                    ),
                );
                return None;
            }
            return Some((duration.clone(), None));
        }
        let period = match text {
            "1w" => Period::Week,
            "1M" => Period::Month,
            "1Q" => Period::Quarter,
            other => {
                self.report.error(
                    &duration.referenced,
                    format!(
                        "calendar window `{other}` is not supported: give `1w`, `1M` or `1Q` (a week, month or quarter)"
                    ),
                );
                return None;
            }
        };
        let calendar = calendar.map(|calendar| &calendar.value);
        if let Some(start) = calendar.and_then(|c| c.start_time.as_ref())
            && !starts_a_period(&start.value, period)
        {
            self.report.warning(
                &start.referenced,
                format!(
                    "startTime `{}` is not imported: a calendar {} starts at midnight on its first day{}",
                    start.value,
                    period.as_str(),
                    match period {
                        Period::Week => " (Monday)",
                        Period::Month => " (the 1st)",
                        Period::Quarter => " (January, April, July or October 1st)",
                    }
                ),
            );
        }
        let window = spanned(period.as_str().to_owned(), duration.referenced);
        let zone = calendar.and_then(|c| c.time_zone.clone());
        Some((window, zone))
    }

    /// The objective in percent.
    fn objective(&mut self, spec: &SloSpec, at: Location) -> Option<Spanned<f64>> {
        let objective = match spec.objectives.as_ref().map(|o| o.value.as_slice()) {
            None | Some([]) => {
                self.report.error_at_key(
                    &at,
                    "spec",
                    "spec.objectives is missing: give one objective with `target` (e.g. `0.999`) or `targetPercent` (e.g. `99.9`)",
                );
                return None;
            }
            Some([objective]) => objective,
            Some([_, second, ..]) => {
                self.report.error(
                    &second.referenced,
                    "more than one objective: pagerbound imports one objective per SLO; write one SLO for each",
                );
                return None;
            }
        };
        let value = &objective.value;
        if let Some(indicator) = &value.indicator {
            self.report.error_at_key(
                &indicator.referenced,
                "indicator",
                "an objective's own indicator (a composite SLO) is not supported: give the SLI in `spec.indicator`",
            );
            return None;
        }
        if let Some(reference) = &value.indicator_ref {
            self.report.error(
                &reference.referenced,
                "an objective's own indicatorRef (a composite SLO) is not supported: give the SLI in `spec.indicator`",
            );
            return None;
        }
        match (&value.target, &value.target_percent) {
            (Some(_), Some(percent)) => {
                self.report.error(
                    &percent.referenced,
                    "give `target` or `targetPercent`, not both",
                );
                None
            }
            (Some(target), None) => {
                if !(target.value > 0.0 && target.value < 1.0) {
                    self.report.error(
                        &target.referenced,
                        format!(
                            "target {} is not a fraction between 0 and 1, e.g. `0.999` (or give `targetPercent: 99.9`)",
                            target.value
                        ),
                    );
                    return None;
                }
                Some(spanned(percent_of(target.value), target.referenced))
            }
            (None, Some(percent)) => Some(spanned(percent.value, percent.referenced)),
            (None, None) => {
                self.report.error(
                    &objective.referenced,
                    "an objective needs `target` (e.g. `0.999`) or `targetPercent` (e.g. `99.9`)",
                );
                None
            }
        }
    }
}

/// A fraction as a percentage, without the noise of binary floating point:
/// `0.999` is `99.9`, not `99.89999999999999`.
fn percent_of(fraction: f64) -> f64 {
    (fraction * 1e12).round() / 1e10
}

/// Whether a calendar's `startTime` (`2024-01-01 00:00:00`) is the start of
/// a `period`, as pagerbound's calendar windows begin.
fn starts_a_period(start: &str, period: Period) -> bool {
    let start = start.trim();
    let datetime = start
        .parse::<jiff::civil::DateTime>()
        .or_else(|_| start.replacen(' ', "T", 1).parse::<jiff::civil::DateTime>())
        .or_else(|_| {
            start
                .parse::<jiff::civil::Date>()
                .map(|d| d.to_datetime(jiff::civil::Time::midnight()))
        });
    let Ok(datetime) = datetime else {
        return false;
    };
    let date = datetime.date();
    datetime.time() == jiff::civil::Time::midnight()
        && match period {
            Period::Week => date.weekday() == jiff::civil::Weekday::Monday,
            Period::Month => date.day() == 1,
            Period::Quarter => date.day() == 1 && matches!(date.month(), 1 | 4 | 7 | 10),
        }
}

/// The per-second rate over `{{.window}}` of a counter query.
fn counter_rate(query: &str) -> String {
    let query = query.trim();
    if query.contains(WINDOW_PLACEHOLDER) {
        return query.to_owned();
    }
    if is_selector(query) {
        format!("sum(rate({query}[{WINDOW_PLACEHOLDER}]))")
    } else {
        format!("sum(rate(({query})[{WINDOW_PLACEHOLDER}:]))")
    }
}

/// Whether `query` is a plain vector selector: a metric name, label
/// matchers in braces, or both.
fn is_selector(query: &str) -> bool {
    let name_len = query
        .char_indices()
        .find(|&(i, c)| {
            !(c.is_ascii_alphabetic() || c == '_' || c == ':' || (i > 0 && c.is_ascii_digit()))
        })
        .map_or(query.len(), |(i, _)| i);
    let rest = &query[name_len..];
    if rest.is_empty() {
        return name_len > 0;
    }
    let Some(inside) = rest.strip_prefix('{') else {
        return false;
    };
    // Find the closing brace, outside quoted label values.
    let mut quote: Option<char> = None;
    let mut escaped = false;
    for (i, c) in inside.char_indices() {
        match quote {
            Some(_) if escaped => escaped = false,
            Some(_) if c == '\\' => escaped = true,
            Some(q) if c == q => quote = None,
            Some(_) => {}
            None if matches!(c, '"' | '\'' | '`') => quote = Some(c),
            None if c == '}' => return inside[i + 1..].trim().is_empty(),
            None if c == '{' => return false,
            None => {}
        }
    }
    false
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counters_become_rates_over_the_window() {
        assert_eq!(
            counter_rate(r#"http_requests_total{job="checkout",code!~"5.."}"#),
            r#"sum(rate(http_requests_total{job="checkout",code!~"5.."}[{{.window}}]))"#
        );
        assert_eq!(
            counter_rate("http_requests_total"),
            "sum(rate(http_requests_total[{{.window}}]))"
        );
        assert_eq!(
            counter_rate(r#"{__name__="x", a="}"}"#),
            r#"sum(rate({__name__="x", a="}"}[{{.window}}]))"#
        );
        assert_eq!(
            counter_rate("sum(x{a=\"b\"}) by (job)"),
            "sum(rate((sum(x{a=\"b\"}) by (job))[{{.window}}:]))"
        );
        assert_eq!(
            counter_rate("x{a=\"b\"} + y"),
            "sum(rate((x{a=\"b\"} + y)[{{.window}}:]))"
        );
        assert_eq!(
            counter_rate("sum(rate(x[{{.window}}]))"),
            "sum(rate(x[{{.window}}]))"
        );
        assert!(!is_selector("1x"));
        assert!(!is_selector(""));
    }

    #[test]
    fn fractions_become_percentages() {
        assert_eq!(percent_of(0.999), 99.9);
        assert_eq!(percent_of(0.9995), 99.95);
        assert_eq!(percent_of(0.99), 99.0);
        assert_eq!(percent_of(0.98765), 98.765);
    }

    #[test]
    fn calendar_starts() {
        assert!(starts_a_period("2024-01-01 00:00:00", Period::Quarter));
        assert!(starts_a_period("2024-02-01", Period::Month));
        assert!(!starts_a_period("2020-01-21 12:30:00", Period::Month));
        assert!(starts_a_period("2024-01-01T00:00:00", Period::Week));
        assert!(!starts_a_period("2024-01-02 00:00:00", Period::Week));
        assert!(!starts_a_period("soon", Period::Week));
    }
}
