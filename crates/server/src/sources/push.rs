//! Pushed SLI events: batches of `{timestamp, good, total}` for services
//! without Prometheus. A batch is checked whole and stored whole, summed
//! by minute: a refused batch stores nothing, so the sender can fix it and
//! send it again without counting anything twice.

use jiff::{SignedDuration, Timestamp};
use pagerbound_core::alert::parse_timestamp;
use pagerbound_core::slo::Slo;
use pagerbound_store::SliEvents;
use serde::Deserialize;
use std::collections::BTreeMap;

/// One item of a pushed batch, as sent.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PushedEvents {
    /// RFC 3339; the events are counted in the minute that contains it.
    pub timestamp: String,
    pub good: f64,
    pub total: f64,
}

/// How far ahead of this server's clock a timestamp may be: senders'
/// clocks drift a little, never minutes.
const FUTURE_SLACK: SignedDuration = SignedDuration::from_mins(5);

/// Checks a batch for `slo` against `now`; answers the counts to store,
/// summed by minute, or one message per bad item.
pub fn check_batch(
    slo: &Slo,
    batch: &[PushedEvents],
    now: Timestamp,
) -> Result<Vec<SliEvents>, Vec<String>> {
    let oldest = slo.window.start(now);
    let latest = now.checked_add(FUTURE_SLACK).unwrap_or(now);
    let mut minutes: BTreeMap<Timestamp, (f64, f64)> = BTreeMap::new();
    let mut problems = Vec::new();
    for (index, item) in batch.iter().enumerate() {
        match check_item(item, oldest, latest) {
            Ok(minute) => {
                let sums = minutes.entry(minute).or_default();
                sums.0 += item.good;
                sums.1 += item.total;
            }
            Err(problem) => problems.push(format!("events[{index}]: {problem}")),
        }
    }
    if !problems.is_empty() {
        return Err(problems);
    }
    Ok(minutes
        .into_iter()
        .map(|(minute, (good, total))| SliEvents {
            slo: slo.name.clone(),
            minute,
            good,
            total,
        })
        .collect())
}

fn check_item(
    item: &PushedEvents,
    oldest: Timestamp,
    latest: Timestamp,
) -> Result<Timestamp, String> {
    let at = parse_timestamp("timestamp", Some(&item.timestamp))?
        .ok_or_else(|| "timestamp is required".to_owned())?;
    for (field, value) in [("good", item.good), ("total", item.total)] {
        if !(value.is_finite() && value >= 0.0) {
            return Err(format!("{field} must be a count of events, 0 or more"));
        }
    }
    if item.good > item.total {
        return Err(format!(
            "good ({}) is more than total ({}); total counts every valid event, good ones included",
            item.good, item.total
        ));
    }
    if at > latest {
        return Err(format!(
            "timestamp {at} is in the future (this server's time is {})",
            latest - FUTURE_SLACK
        ));
    }
    if at < oldest {
        return Err(format!(
            "timestamp {at} is before the SLO's window, which starts at {oldest}"
        ));
    }
    Ok(minute_of(at))
}

/// The start of the minute that contains `at`.
pub fn minute_of(at: Timestamp) -> Timestamp {
    let second = at.as_second().div_euclid(60) * 60;
    Timestamp::from_second(second).unwrap_or(at)
}

#[cfg(test)]
mod tests {
    use super::*;
    use pagerbound_core::Duration;
    use pagerbound_core::alert::Labels;
    use pagerbound_core::slo::{Sli, SloWindow, workbook_policy};

    fn slo() -> Slo {
        let window = SloWindow::Rolling(Duration::from_mins(7 * 24 * 60));
        Slo {
            name: "api".into(),
            service: "api".into(),
            description: None,
            sli: Sli::Push,
            objective: 99.0,
            alerting: workbook_policy(&window),
            window,
            min_events: 0.0,
            owner: None,
            runbook: None,
            labels: Labels::new(),
        }
    }

    fn item(timestamp: &str, good: f64, total: f64) -> PushedEvents {
        PushedEvents {
            timestamp: timestamp.into(),
            good,
            total,
        }
    }

    #[test]
    fn a_batch_is_summed_by_minute() {
        let now: Timestamp = "2026-11-22T10:00:00Z".parse().expect("now");
        let batch = [
            item("2026-11-22T09:58:10Z", 9.0, 10.0),
            item("2026-11-22T09:58:50.5Z", 5.0, 5.0),
            item("2026-11-22T09:59:00Z", 0.0, 1.0),
        ];
        let stored = check_batch(&slo(), &batch, now).expect("valid");
        let sums: Vec<(String, f64, f64)> = stored
            .iter()
            .map(|e| (e.minute.to_string(), e.good, e.total))
            .collect();
        assert_eq!(
            sums,
            [
                ("2026-11-22T09:58:00Z".to_owned(), 14.0, 15.0),
                ("2026-11-22T09:59:00Z".to_owned(), 0.0, 1.0)
            ]
        );
    }

    #[test]
    fn every_bad_item_is_named_and_nothing_is_kept() {
        let now: Timestamp = "2026-11-22T10:00:00Z".parse().expect("now");
        let batch = [
            item("2026-11-22T09:58:10Z", 9.0, 10.0),
            item("yesterday", 1.0, 1.0),
            item("2026-11-22T09:58:10Z", 11.0, 10.0),
            item("2026-11-22T10:30:00Z", 1.0, 1.0),
            item("2026-11-01T10:00:00Z", 1.0, 1.0),
            item("2026-11-22T09:58:10Z", -1.0, 1.0),
        ];
        let problems = check_batch(&slo(), &batch, now).expect_err("invalid");
        assert_eq!(problems.len(), 5, "{problems:#?}");
        assert!(problems[0].starts_with("events[1]: timestamp `yesterday`"));
        assert!(problems[1].starts_with("events[2]: good (11) is more than total (10)"));
        assert!(problems[2].contains("in the future"));
        assert!(problems[3].contains("before the SLO's window"));
        assert!(problems[4].starts_with("events[5]: good must be"));
    }
}
