//! Compliance: did an SLO meet its objective over a completed period?
//! Objectives are ratcheted over time, so a period is judged by the
//! objective in force when it began, not by today's.

use super::counts::{EventCounts, Totals};
use super::{Slo, SloWindow};
use jiff::{SignedDuration, Timestamp};
use serde::Serialize;

/// One completed period of an SLO.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PeriodCompliance {
    pub from: Timestamp,
    pub to: Timestamp,
    /// The objective in force when the period began, in percent.
    pub objective: f64,
    pub events: Totals,
    /// Good events among valid ones over the period, in percent; `None`
    /// without events.
    pub sli: Option<f64>,
    /// Whether the SLI met the objective; `None` without events.
    pub met: Option<bool>,
    /// The share of the period's budget left (below 0: overspent).
    pub budget_remaining: Option<f64>,
}

impl PeriodCompliance {
    /// Judges the events of `[from, to)` by `objective` (in percent): the
    /// one judgement for periods computed from live counts and periods
    /// read back from the store, so that both are judged alike.
    pub fn judge(from: Timestamp, to: Timestamp, objective: f64, events: Totals) -> Self {
        let budget = 1.0 - objective / 100.0;
        let ratio = events.error_ratio();
        PeriodCompliance {
            from,
            to,
            objective,
            events,
            sli: ratio.map(|r| (1.0 - r) * 100.0),
            // Met when the error ratio is within the budget, by more than
            // rounding (99.9 has no exact binary form).
            met: ratio.map(|r| r <= budget * (1.0 + 1e-9)),
            budget_remaining: ratio.map(|r| 1.0 - r / budget),
        }
    }
}

/// The objective in force at `at`, from `(since, objective)` changes in
/// order: the latest at or before `at`; before the first, the first (what
/// was configured when pagerbound began keeping the history); without
/// history, `current`.
pub fn objective_at(history: &[(Timestamp, f64)], at: Timestamp, current: f64) -> f64 {
    history
        .iter()
        .take_while(|(since, _)| *since <= at)
        .last()
        .or_else(|| history.first())
        .map_or(current, |(_, objective)| *objective)
}

/// The last completed period: the previous calendar period, or for a
/// rolling window the window that ended at the last midnight (UTC), so
/// that the answer holds for a day.
pub fn last_period(slo: &Slo, now: Timestamp) -> Option<(Timestamp, Timestamp)> {
    match &slo.window {
        SloWindow::Calendar { .. } => {
            let to = slo.window.start(now);
            let from = slo
                .window
                .start(to.checked_sub(SignedDuration::from_secs(1)).ok()?);
            Some((from, to))
        }
        SloWindow::Rolling(length) => {
            let day = 86_400;
            let to = Timestamp::from_second(now.as_second().div_euclid(day) * day).ok()?;
            let from = to.checked_sub(length.to_signed()).ok()?;
            Some((from, to))
        }
    }
}

/// How the last completed period went, judged by the objective then in
/// force.
pub fn last_completed(
    slo: &Slo,
    counts: &EventCounts,
    history: &[(Timestamp, f64)],
    now: Timestamp,
) -> Option<PeriodCompliance> {
    let (from, to) = last_period(slo, now)?;
    let events = counts.between(from, to, now);
    let objective = objective_at(history, from, slo.objective);
    Some(PeriodCompliance::judge(from, to, objective, events))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Duration;
    use crate::slo::Period;
    use crate::slo::tests::slo;

    fn at(text: &str) -> Timestamp {
        text.parse().expect("timestamp")
    }

    #[test]
    fn the_objective_then_in_force_judges_a_period() {
        let history = [
            (at("2026-01-01T00:00:00Z"), 99.0),
            (at("2026-03-01T00:00:00Z"), 99.5),
            (at("2026-05-01T00:00:00Z"), 99.9),
        ];
        assert_eq!(
            objective_at(&history, at("2026-02-10T00:00:00Z"), 99.9),
            99.0
        );
        assert_eq!(
            objective_at(&history, at("2026-03-01T00:00:00Z"), 99.9),
            99.5
        );
        assert_eq!(
            objective_at(&history, at("2025-12-01T00:00:00Z"), 99.9),
            99.0
        );
        assert_eq!(objective_at(&[], at("2026-02-10T00:00:00Z"), 99.9), 99.9);
    }

    #[test]
    fn last_month_is_judged_by_its_own_objective() {
        let window = SloWindow::Calendar {
            period: Period::Month,
            time_zone: jiff::tz::TimeZone::UTC,
        };
        let mut slo = slo(99.9, window);
        slo.alerting.clear();
        let mut counts = EventCounts::new(slo.reach());
        // April: 0.3% errors; May: none so far.
        counts.add(
            at("2026-04-10T12:00:00Z"),
            Totals {
                good: 997.0,
                total: 1000.0,
            },
        );
        counts.add(
            at("2026-05-02T12:00:00Z"),
            Totals {
                good: 1000.0,
                total: 1000.0,
            },
        );
        let now = at("2026-05-03T00:00:00Z");
        // The objective was 99.5 in April, ratcheted to 99.9 in May.
        let history = [
            (at("2026-01-01T00:00:00Z"), 99.5),
            (at("2026-05-01T00:00:00Z"), 99.9),
        ];
        let april = last_completed(&slo, &counts, &history, now).expect("a period");
        assert_eq!(april.from, at("2026-04-01T00:00:00Z"));
        assert_eq!(april.to, at("2026-05-01T00:00:00Z"));
        assert_eq!(april.objective, 99.5);
        assert_eq!(april.met, Some(true));
        assert!((april.sli.expect("events") - 99.7).abs() < 1e-9);
        // Today's objective would have failed it.
        let strict = last_completed(&slo, &counts, &[], now).expect("a period");
        assert_eq!(strict.met, Some(false));
    }

    #[test]
    fn a_period_is_judged_by_its_error_ratio_against_the_budget() {
        let (from, to) = (at("2026-04-01T00:00:00Z"), at("2026-05-01T00:00:00Z"));
        // 0.1% errors against a 99.9% objective: met exactly, with
        // nothing left (99.9 is not exact in binary; rounding must not
        // fail it).
        let exact = PeriodCompliance::judge(
            from,
            to,
            99.9,
            Totals {
                good: 999.0,
                total: 1000.0,
            },
        );
        assert_eq!((exact.from, exact.to, exact.objective), (from, to, 99.9));
        assert_eq!(exact.met, Some(true));
        assert!((exact.sli.expect("events") - 99.9).abs() < 1e-9);
        assert!(exact.budget_remaining.expect("events").abs() < 1e-9);
        // 0.25% errors against a 99.5% objective: half the budget left.
        let half = PeriodCompliance::judge(
            from,
            to,
            99.5,
            Totals {
                good: 9975.0,
                total: 10_000.0,
            },
        );
        assert_eq!(half.met, Some(true));
        assert!((half.budget_remaining.expect("events") - 0.5).abs() < 1e-9);
        // 0.3% errors against a 99.9% objective: missed, overspent twice.
        let missed = PeriodCompliance::judge(
            from,
            to,
            99.9,
            Totals {
                good: 997.0,
                total: 1000.0,
            },
        );
        assert_eq!(missed.met, Some(false));
        assert!((missed.budget_remaining.expect("events") + 2.0).abs() < 1e-9);
        // No events is no data, neither met nor missed.
        let empty = PeriodCompliance::judge(from, to, 99.9, Totals::default());
        assert_eq!(
            (empty.sli, empty.met, empty.budget_remaining),
            (None, None, None)
        );
    }

    #[test]
    fn a_rolling_window_is_judged_up_to_the_last_midnight() {
        let slo = slo(99.0, SloWindow::Rolling(Duration::from_mins(7 * 24 * 60)));
        let (from, to) = last_period(&slo, at("2026-05-03T15:20:00Z")).expect("a period");
        assert_eq!(to, at("2026-05-03T00:00:00Z"));
        assert_eq!(from, at("2026-04-26T00:00:00Z"));
    }
}
