//! One evaluation of an SLO at an instant: error ratio and burn rate over
//! each window, the budget left over the SLO window, when it would run out,
//! and which burn alerts fire.

use super::Slo;
use super::counts::{EventCounts, Totals};
use super::policy::{BurnAlert, Severity};
use crate::Duration;
use jiff::Timestamp;
use serde::Serialize;

/// Events over one window, and how fast they burn the budget.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct WindowReading {
    pub window: Duration,
    pub totals: Totals,
    pub error_ratio: Option<f64>,
    /// Error ratio over the budget: 1 spends exactly the budget over the
    /// SLO window. `None` without events.
    pub burn_rate: Option<f64>,
}

impl WindowReading {
    fn read(slo: &Slo, counts: &EventCounts, window: Duration, now: Timestamp) -> Self {
        let totals = counts.window(window, now);
        let error_ratio = totals.error_ratio();
        WindowReading {
            window,
            totals,
            error_ratio,
            burn_rate: error_ratio.map(|ratio| ratio / slo.budget()),
        }
    }

    /// Strictly above, by more than rounding: a ratio of exactly the
    /// threshold (a 0.1% error ratio against a 99.9% objective is burn rate
    /// 1) must not fire because 99.9 has no exact binary form.
    fn above(&self, threshold: f64) -> bool {
        self.burn_rate
            .is_some_and(|rate| rate > threshold * (1.0 + 1e-9))
    }
}

/// One line of the alerting policy, as it stands.
#[derive(Debug, Clone, PartialEq)]
pub struct AlertReading {
    pub alert: BurnAlert,
    pub long: WindowReading,
    pub short: WindowReading,
    pub firing: bool,
    /// Both windows burn too fast, but the long one has fewer valid events
    /// than the SLO's `min_events`.
    pub too_few_events: bool,
}

/// When the budget runs out if the burn of one window goes on.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Forecast {
    /// The window whose burn rate is projected.
    pub window: Duration,
    pub burn_rate: Option<f64>,
    /// `None`: not at this rate (no burn, or no data).
    pub exhausted_at: Option<Timestamp>,
}

/// Where an SLO stands at an instant.
#[derive(Debug, Clone, PartialEq)]
pub struct Evaluation {
    pub at: Timestamp,
    pub window_start: Timestamp,
    /// When a calendar window starts again.
    pub window_end: Option<Timestamp>,
    /// Events over the SLO window so far.
    pub totals: Totals,
    pub error_ratio: Option<f64>,
    /// The share of the error budget left: 1 untouched, 0 spent, below 0
    /// overspent. `None` without events.
    pub budget_remaining: Option<f64>,
    /// The budget as minutes of full outage over the window.
    pub budget_minutes: f64,
    pub budget_remaining_minutes: Option<f64>,
    /// Each window of the alerting policy, shortest first.
    pub burn_rates: Vec<WindowReading>,
    pub alerts: Vec<AlertReading>,
    pub forecasts: Vec<Forecast>,
}

/// The windows whose burn rate projects exhaustion.
const FORECAST_WINDOWS: [Duration; 3] = [
    Duration::from_mins(60),
    Duration::from_mins(6 * 60),
    Duration::from_mins(24 * 60),
];

impl Evaluation {
    pub fn of(slo: &Slo, counts: &EventCounts, now: Timestamp) -> Self {
        let window_start = slo.window.start(now);
        let totals = counts.between(window_start, now, now);
        let error_ratio = totals.error_ratio();
        let budget_remaining = error_ratio.map(|ratio| 1.0 - ratio / slo.budget());
        let length_minutes = slo.window.length().as_millis() as f64 / 60_000.0;
        let budget_minutes = slo.budget() * length_minutes;

        let mut windows: Vec<Duration> = slo
            .alerting
            .iter()
            .flat_map(|alert| [alert.long, alert.short])
            .collect();
        windows.sort();
        windows.dedup();
        let burn_rates: Vec<WindowReading> = windows
            .iter()
            .map(|&window| WindowReading::read(slo, counts, window, now))
            .collect();
        let reading = |window: Duration| {
            burn_rates
                .iter()
                .find(|r| r.window == window)
                .cloned()
                .unwrap_or_else(|| WindowReading::read(slo, counts, window, now))
        };

        let alerts = slo
            .alerting
            .iter()
            .map(|alert| {
                let long = reading(alert.long);
                let short = reading(alert.short);
                let burning = long.above(alert.burn_rate) && short.above(alert.burn_rate);
                let enough = long.totals.total >= slo.min_events;
                AlertReading {
                    alert: alert.clone(),
                    long,
                    short,
                    firing: burning && enough,
                    too_few_events: burning && !enough,
                }
            })
            .collect();

        let forecasts = FORECAST_WINDOWS
            .iter()
            .map(|&window| {
                let burn_rate = reading(window).burn_rate;
                Forecast {
                    window,
                    burn_rate,
                    exhausted_at: exhaustion(budget_remaining, burn_rate, length_minutes, now),
                }
            })
            .collect();

        Evaluation {
            at: now,
            window_start,
            window_end: slo.window.end(now),
            totals,
            error_ratio,
            budget_remaining,
            budget_minutes,
            budget_remaining_minutes: budget_remaining.map(|r| r * budget_minutes),
            burn_rates,
            alerts,
            forecasts,
        }
    }

    /// The burn alerts that fire.
    pub fn firing(&self) -> impl Iterator<Item = &AlertReading> {
        self.alerts.iter().filter(|a| a.firing)
    }

    /// One word for where the SLO stands: `page` or `ticket` while such an
    /// alert fires, `no_data` without events in the window, `ok` otherwise.
    pub fn alert_state(&self) -> &'static str {
        match self.firing().map(|a| a.alert.severity).min() {
            Some(severity) => severity.as_str(),
            None if self.totals.total <= 0.0 => "no_data",
            None => "ok",
        }
    }

    /// Whether an alert of this severity fires.
    pub fn fires(&self, severity: Severity) -> bool {
        self.firing().any(|a| a.alert.severity == severity)
    }
}

/// When a budget with `remaining` left runs out at `burn_rate`: a burn
/// rate of 1 spends the whole budget in one window length.
fn exhaustion(
    remaining: Option<f64>,
    burn_rate: Option<f64>,
    length_minutes: f64,
    now: Timestamp,
) -> Option<Timestamp> {
    let remaining = remaining?;
    if remaining <= 0.0 {
        return Some(now);
    }
    let rate = burn_rate.filter(|rate| *rate > 0.0)?;
    let seconds = remaining * length_minutes * 60.0 / rate;
    let span = jiff::SignedDuration::try_from_secs_f64(seconds).ok()?;
    now.checked_add(span).ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::slo::tests::slo;
    use crate::slo::{SloWindow, Totals};

    const START: i64 = 1_779_998_400; // 2026-05-28T20:00:00Z

    fn at(second: i64) -> Timestamp {
        Timestamp::from_second(second).expect("timestamp")
    }

    fn thirty_days() -> SloWindow {
        SloWindow::Rolling(Duration::from_mins(30 * 24 * 60))
    }

    /// Feeds `minutes` minutes of 1,000 events at `error_ratio`, from
    /// `from`; answers the instant after the last minute.
    fn feed(counts: &mut EventCounts, from: i64, minutes: i64, error_ratio: f64) -> i64 {
        for minute in 0..minutes {
            counts.add(
                at(from + minute * 60),
                Totals {
                    good: 1000.0 - (1000.0 * error_ratio).round(),
                    total: 1000.0,
                },
            );
        }
        from + minutes * 60
    }

    #[test]
    fn a_constant_error_ratio_equal_to_the_budget_burns_at_one() {
        let slo = slo(99.9, thirty_days());
        let mut counts = EventCounts::new(Duration::from_mins(30 * 24 * 60));
        let now = feed(&mut counts, START, 4 * 24 * 60, 0.001);
        let evaluation = Evaluation::of(&slo, &counts, at(now));
        for reading in &evaluation.burn_rates {
            let rate = reading.burn_rate.expect("events");
            assert!((rate - 1.0).abs() < 1e-9, "{}: {rate}", reading.window);
        }
        assert_eq!(evaluation.alert_state(), "ok");
        // Every event so far failed at exactly the budgeted ratio: the
        // window's budget is spent to the last drop.
        let remaining = evaluation.budget_remaining.expect("events");
        assert!(remaining.abs() < 1e-9, "{remaining}");
        assert!((evaluation.budget_minutes - 43.2).abs() < 1e-9);
    }

    #[test]
    fn a_full_outage_pages_within_two_minutes_through_the_one_hour_pair() {
        let slo = slo(99.9, thirty_days());
        let mut counts = EventCounts::new(Duration::from_mins(30 * 24 * 60));
        let healthy_until = feed(&mut counts, START, 3 * 24 * 60, 0.0);
        let mut paged_after = None;
        for minute in 1..=10 {
            let now = feed(&mut counts, healthy_until + (minute - 1) * 60, 1, 1.0);
            let evaluation = Evaluation::of(&slo, &counts, at(now));
            if evaluation.fires(Severity::Page) {
                let first = evaluation.firing().next().expect("firing");
                assert_eq!(first.alert.window_label(), "1h/5m");
                paged_after = Some(minute);
                break;
            }
        }
        let minutes = paged_after.expect("a full outage pages");
        assert!(minutes <= 2, "paged after {minutes} minutes");
        // 14.4 times the budget for an hour is 2% of it; a full outage
        // spends that in 14.4 * 60 / 1000 minutes.
        assert!((slo.alerting[0].budget_spent(&slo.window) - 0.02).abs() < 1e-9);
    }

    #[test]
    fn a_constant_error_ratio_of_twice_the_budget_never_pages() {
        let slo = slo(99.9, thirty_days());
        let mut counts = EventCounts::new(Duration::from_mins(30 * 24 * 60));
        let mut now = START;
        for _ in 0..(4 * 24) {
            now = feed(&mut counts, now, 60, 0.002);
            let evaluation = Evaluation::of(&slo, &counts, at(now));
            assert!(!evaluation.fires(Severity::Page), "paged at {now}");
        }
        // Twice the budget is above the 3-day ticket line's 1.
        let evaluation = Evaluation::of(&slo, &counts, at(now));
        assert_eq!(evaluation.alert_state(), "ticket");
    }

    #[test]
    fn too_few_events_cannot_page() {
        let mut slo = slo(99.9, thirty_days());
        slo.min_events = 100.0;
        let mut counts = EventCounts::new(Duration::from_mins(30 * 24 * 60));
        counts.add(
            at(START),
            Totals {
                good: 0.0,
                total: 3.0,
            },
        );
        let evaluation = Evaluation::of(&slo, &counts, at(START + 60));
        assert!(!evaluation.fires(Severity::Page));
        assert!(evaluation.alerts[0].too_few_events);
        assert_eq!(evaluation.alert_state(), "ok");
    }

    #[test]
    fn no_events_is_no_data_not_a_full_budget() {
        let slo = slo(99.9, thirty_days());
        let counts = EventCounts::new(Duration::from_mins(30 * 24 * 60));
        let evaluation = Evaluation::of(&slo, &counts, at(START));
        assert_eq!(evaluation.budget_remaining, None);
        assert_eq!(evaluation.alert_state(), "no_data");
        assert!(
            evaluation
                .forecasts
                .iter()
                .all(|f| f.exhausted_at.is_none())
        );
    }

    #[test]
    fn the_budget_runs_out_as_fast_as_it_burns() {
        let slo = slo(99.0, thirty_days());
        let mut counts = EventCounts::new(Duration::from_mins(30 * 24 * 60));
        // A day at half the budget's rate, then an hour at ten times it.
        let now = feed(&mut counts, START, 23 * 60, 0.005);
        let now = feed(&mut counts, now, 60, 0.1);
        let evaluation = Evaluation::of(&slo, &counts, at(now));
        let remaining = evaluation.budget_remaining.expect("events");
        // (23h * 0.5% + 1h * 10%) / 24h = 0.896% of events bad: 0.896 of
        // the 1% budget spent.
        let spent = (23.0 * 0.005 + 0.1) / 24.0 / 0.01;
        assert!((remaining - (1.0 - spent)).abs() < 1e-9);
        let hourly = &evaluation.forecasts[0];
        assert!((hourly.burn_rate.expect("events") - 10.0).abs() < 1e-9);
        let left = hourly
            .exhausted_at
            .expect("burning")
            .duration_since(at(now))
            .as_secs_f64();
        // The rest of the budget at 10x: (1 - spent) * 30 days / 10.
        let expected = (1.0 - spent) * 30.0 * 86_400.0 / 10.0;
        assert!((left - expected).abs() < 1.0, "{left} != {expected}");
    }
}
