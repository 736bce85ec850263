//! SLOs: an objective for an SLI over a window, and the error-budget
//! maths that decides when its burn pages or tickets.
//!
//! The pure part lives here: what an SLO is ([`Slo`]), compact event counts
//! that answer any window in constant time ([`EventCounts`]), the
//! multi-window, multi-burn-rate alerting policy ([`BurnAlert`]), and one
//! evaluation at an instant ([`Evaluation`]). Reading SLI sources and
//! raising alerts belong to the server.

mod compliance;
mod counts;
mod evaluate;
mod policy;
mod rules;
mod sli;
mod window;

pub use compliance::{PeriodCompliance, last_completed, last_period, objective_at};
pub use counts::{EventCounts, Totals};
pub use evaluate::{AlertReading, Evaluation, Forecast, WindowReading};
pub use policy::{BurnAlert, Severity, workbook_policy};
pub use rules::prometheus_rules;
pub use sli::{HistogramQuery, PrometheusSli, RatioQueries, Sli, WINDOW_PLACEHOLDER};
pub use window::{Period, SloWindow};

use crate::alert::Labels;

/// The `alertname` of the alerts an SLO raises when it burns.
pub const BURN_ALERTNAME: &str = "SLOErrorBudgetBurn";

/// The labels [`Slo::alert_labels`] sets itself: an SLO's own `labels`
/// may not replace them.
pub const OWN_LABELS: [&str; 5] = ["alertname", "slo", "service", "severity", "window"];

/// A configured SLO.
#[derive(Debug, Clone, PartialEq)]
pub struct Slo {
    /// Unique; names the SLO in the API, its alerts' `slo` label and the
    /// push endpoint.
    pub name: String,
    pub service: String,
    pub description: Option<String>,
    pub sli: Sli,
    /// The objective in percent, e.g. `99.9`; strictly between 0 and 100.
    pub objective: f64,
    pub window: SloWindow,
    /// When the burn pages or tickets; the workbook's table scaled to the
    /// window unless configured.
    pub alerting: Vec<BurnAlert>,
    /// Below this many valid events in its long window, a burn alert cannot
    /// fire: a few failures among a handful of events are not a trend.
    pub min_events: f64,
    pub owner: Option<String>,
    pub runbook: Option<String>,
    /// Added to every alert the SLO raises.
    pub labels: Labels,
}

impl Slo {
    /// The error budget as a fraction of events: `1 - objective`.
    pub fn budget(&self) -> f64 {
        1.0 - self.objective / 100.0
    }

    /// How far back its counts must reach: its window twice over (so
    /// that the budget can be charted at every instant of a rolling window,
    /// and the last completed period judged), and its longest alerting
    /// window.
    pub fn reach(&self) -> crate::Duration {
        let window =
            crate::Duration::from_millis(self.window.longest().as_millis().saturating_mul(2));
        let alerting = self.alerting.iter().map(|a| a.long).max();
        window.max(alerting.unwrap_or(crate::Duration::ZERO))
    }

    /// The labels of the alert raised while `alert` fires.
    pub fn alert_labels(&self, alert: &BurnAlert) -> Labels {
        let mut labels = self.labels.clone();
        labels.insert("alertname", BURN_ALERTNAME);
        labels.insert("slo", self.name.as_str());
        labels.insert("service", self.service.as_str());
        labels.insert("severity", alert.severity.as_str());
        labels.insert("window", alert.window_label());
        labels
    }

    /// The alert's annotations: what a person needs to judge the burn.
    pub fn alert_annotations(&self, reading: &AlertReading, evaluation: &Evaluation) -> Labels {
        let burn = reading.long.burn_rate.unwrap_or(0.0);
        let mut annotations = Labels::new();
        annotations.insert(
            "summary",
            format!(
                "{} is burning its error budget {} times too fast over {}",
                self.name,
                round(burn),
                reading.alert.long
            ),
        );
        annotations.insert(
            "description",
            format!(
                "Burn rate {} over {} and {} over {} (threshold {}); {} of the {} error budget ({}% objective) remains.",
                round(burn),
                reading.alert.long,
                round(reading.short.burn_rate.unwrap_or(0.0)),
                reading.alert.short,
                reading.alert.burn_rate,
                evaluation
                    .budget_remaining
                    .map_or_else(|| "all".to_owned(), |r| format!("{}%", round(r * 100.0))),
                self.window,
                self.objective,
            ),
        );
        annotations.insert("burn_rate", round(burn));
        if let Some(remaining) = evaluation.budget_remaining {
            annotations.insert("budget_remaining", round(remaining));
        }
        if let Some(runbook) = &self.runbook {
            annotations.insert("runbook_url", runbook.as_str());
        }
        annotations
    }
}

/// A figure for people: three significant digits at most.
fn round(value: f64) -> String {
    if !value.is_finite() {
        return value.to_string();
    }
    let digits = if value.abs() >= 100.0 {
        0
    } else if value.abs() >= 10.0 {
        1
    } else {
        2
    };
    let text = format!("{value:.digits$}");
    if text.contains('.') {
        text.trim_end_matches('0').trim_end_matches('.').to_owned()
    } else {
        text
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Duration;

    pub(crate) fn slo(objective: f64, window: SloWindow) -> Slo {
        Slo {
            name: "checkout-availability".into(),
            service: "checkout".into(),
            description: None,
            sli: Sli::Push,
            objective,
            alerting: workbook_policy(&window),
            window,
            min_events: 0.0,
            owner: None,
            runbook: Some("https://runbooks.example/checkout".into()),
            labels: [("tier", "1")].into_iter().collect(),
        }
    }

    #[test]
    fn alerts_say_which_slo_service_severity_and_window() {
        let slo = slo(99.9, SloWindow::Rolling(Duration::from_mins(30 * 24 * 60)));
        let labels = slo.alert_labels(&slo.alerting[0]);
        let pairs: Vec<_> = labels.iter().collect();
        assert_eq!(
            pairs,
            vec![
                ("alertname", BURN_ALERTNAME),
                ("service", "checkout"),
                ("severity", "page"),
                ("slo", "checkout-availability"),
                ("tier", "1"),
                ("window", "1h/5m"),
            ]
        );
        assert!((slo.budget() - 0.001).abs() < 1e-12);
    }

    #[test]
    fn figures_are_rounded_for_people() {
        assert_eq!(round(16.666), "16.7");
        assert_eq!(round(1234.4), "1234");
        assert_eq!(round(0.5), "0.5");
        assert_eq!(round(2.0), "2");
        assert_eq!(round(0.98765), "0.99");
    }
}
