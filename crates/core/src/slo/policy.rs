//! When an SLO's burn pages or tickets: multi-window, multi-burn-rate
//! alerts. Each alert watches a long window (is the burn significant?) and
//! a short one (is it still happening?) and fires while both burn faster
//! than its threshold, so it fires fast and stops soon after the burn does.

use super::window::SloWindow;
use crate::Duration;
use std::fmt;

/// What a firing burn alert asks for; routes decide the class.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Severity {
    Page,
    Ticket,
}

impl Severity {
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Page => "page",
            Severity::Ticket => "ticket",
        }
    }
}

impl fmt::Display for Severity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl std::str::FromStr for Severity {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        match text {
            "page" => Ok(Severity::Page),
            "ticket" => Ok(Severity::Ticket),
            other => Err(format!(
                "`{other}` is not a severity; use `page` or `ticket`"
            )),
        }
    }
}

/// One line of an alerting policy.
#[derive(Debug, Clone, PartialEq)]
pub struct BurnAlert {
    pub long: Duration,
    pub short: Duration,
    /// Fires while the burn rate over both windows is above this.
    pub burn_rate: f64,
    pub severity: Severity,
}

impl BurnAlert {
    /// The value of the `window` label, e.g. `1h/5m`.
    pub fn window_label(&self) -> String {
        format!("{}/{}", self.long, self.short)
    }

    /// The share of the whole budget that burning at the threshold for the
    /// long window spends (2% for the workbook's first line).
    pub fn budget_spent(&self, window: &SloWindow) -> f64 {
        self.burn_rate * self.long.as_millis() as f64 / window.length().as_millis() as f64
    }
}

/// The SRE Workbook's table for a 30-day window: page at 2% of the budget
/// in an hour or 5% in six; ticket at 10% in a day or in three.
const WORKBOOK: [(u64, u64, f64, Severity); 4] = [
    (60, 5, 14.4, Severity::Page),
    (6 * 60, 30, 6.0, Severity::Page),
    (24 * 60, 2 * 60, 3.0, Severity::Ticket),
    (3 * 24 * 60, 6 * 60, 1.0, Severity::Ticket),
];

const WORKBOOK_WINDOW_MINS: u64 = 30 * 24 * 60;

/// The workbook's table scaled to `window`: the windows shrink or grow with
/// it and the thresholds stay, so each line still fires at the same share
/// of the budget. Windows are whole minutes, the finest count kept.
pub fn workbook_policy(window: &SloWindow) -> Vec<BurnAlert> {
    let scale = window.length().as_millis() as f64 / (WORKBOOK_WINDOW_MINS * 60_000) as f64;
    let minutes = |base: u64| {
        let scaled = (base as f64 * scale).round().max(1.0);
        // A window longer than u64 minutes cannot be configured.
        Duration::from_mins(scaled as u64)
    };
    WORKBOOK
        .iter()
        .map(|&(long, short, burn_rate, severity)| BurnAlert {
            long: minutes(long),
            short: minutes(short),
            burn_rate,
            severity,
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_workbook_table_holds_for_thirty_days_and_scales_with_the_window() {
        let thirty = SloWindow::Rolling("30d".parse().expect("duration"));
        let policy = workbook_policy(&thirty);
        let labels: Vec<String> = policy.iter().map(BurnAlert::window_label).collect();
        assert_eq!(labels, ["1h/5m", "6h/30m", "1d/2h", "3d/6h"]);
        let spent: Vec<f64> = policy.iter().map(|a| a.budget_spent(&thirty)).collect();
        for (spent, expected) in spent.iter().zip([0.02, 0.05, 0.1, 0.1]) {
            assert!((spent - expected).abs() < 1e-9, "{spent} != {expected}");
        }

        let week = SloWindow::Rolling("7d".parse().expect("duration"));
        let policy = workbook_policy(&week);
        assert_eq!(policy[0].long, Duration::from_mins(14));
        assert_eq!(policy[0].short, Duration::from_mins(1));
        assert_eq!(policy[3].long, Duration::from_mins(7 * 24 * 60 / 10));
        assert!((policy[1].budget_spent(&week) - 0.05).abs() < 1e-9);
    }
}
