//! The span an SLO is judged over: a rolling duration, or a calendar
//! period (week, month, quarter) that starts again at midnight in a time
//! zone.

use crate::Duration;
use jiff::civil::{Date, Weekday};
use jiff::tz::TimeZone;
use jiff::{Timestamp, ToSpan};
use std::fmt;
use std::str::FromStr;

/// An SLO's window.
#[derive(Debug, Clone, PartialEq)]
pub enum SloWindow {
    /// The last `duration`, always: `28d`, `30d`.
    Rolling(Duration),
    /// The calendar period so far; the budget is whole again when the next
    /// one begins.
    Calendar { period: Period, time_zone: TimeZone },
}

/// A calendar period.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Period {
    /// Monday to Sunday (ISO weeks).
    Week,
    Month,
    Quarter,
}

impl Period {
    pub fn as_str(self) -> &'static str {
        match self {
            Period::Week => "week",
            Period::Month => "month",
            Period::Quarter => "quarter",
        }
    }

    /// The length the alerting policy is scaled by: the nominal length of
    /// the period (months differ by up to three days; a burn rate does not
    /// need to know).
    pub fn nominal(self) -> Duration {
        Duration::from_mins(
            match self {
                Period::Week => 7,
                Period::Month => 30,
                Period::Quarter => 90,
            } * 24
                * 60,
        )
    }

    /// The longest a period can be, for sizing what is kept.
    pub fn longest(self) -> Duration {
        Duration::from_mins(
            match self {
                Period::Week => 7,
                Period::Month => 31,
                Period::Quarter => 92,
            } * 24
                * 60,
        )
    }

    /// The first day of the period that contains `day`.
    fn first_day(self, day: Date) -> Date {
        match self {
            Period::Week => {
                let back = i64::from(day.weekday().since(Weekday::Monday));
                day.checked_sub(back.days()).unwrap_or(day)
            }
            Period::Month => day.first_of_month(),
            Period::Quarter => {
                let month = (day.month() - 1) / 3 * 3 + 1;
                Date::new(day.year(), month, 1).unwrap_or(day)
            }
        }
    }

    fn next_first_day(self, first: Date) -> Date {
        let step = match self {
            Period::Week => 1.week(),
            Period::Month => 1.month(),
            Period::Quarter => 3.months(),
        };
        first.checked_add(step).unwrap_or(first)
    }
}

impl FromStr for Period {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        match text {
            "week" => Ok(Period::Week),
            "month" => Ok(Period::Month),
            "quarter" => Ok(Period::Quarter),
            other => Err(format!(
                "`{other}` is not a calendar period; use `week`, `month` or `quarter`, or a duration such as `30d` for a rolling window"
            )),
        }
    }
}

impl SloWindow {
    /// The length that scales the alerting policy and the budget in
    /// minutes.
    pub fn length(&self) -> Duration {
        match self {
            SloWindow::Rolling(duration) => *duration,
            SloWindow::Calendar { period, .. } => period.nominal(),
        }
    }

    /// The longest span this window can cover.
    pub fn longest(&self) -> Duration {
        match self {
            SloWindow::Rolling(duration) => *duration,
            SloWindow::Calendar { period, .. } => period.longest(),
        }
    }

    /// Where the window that ends at `now` starts.
    pub fn start(&self, now: Timestamp) -> Timestamp {
        match self {
            SloWindow::Rolling(duration) => now
                .checked_sub(duration.to_signed())
                .unwrap_or(Timestamp::MIN),
            SloWindow::Calendar { period, time_zone } => {
                let today = now.to_zoned(time_zone.clone()).date();
                midnight(period.first_day(today), time_zone).unwrap_or(now)
            }
        }
    }

    /// When the calendar period that contains `now` ends; rolling windows
    /// never do.
    pub fn end(&self, now: Timestamp) -> Option<Timestamp> {
        match self {
            SloWindow::Rolling(_) => None,
            SloWindow::Calendar { period, time_zone } => {
                let today = now.to_zoned(time_zone.clone()).date();
                midnight(period.next_first_day(period.first_day(today)), time_zone)
            }
        }
    }
}

const DAY_MILLIS: u64 = 24 * 3_600_000;

/// A duration with whole days told in days (`28d`, not `4w`), as people
/// and Prometheus write SLO windows.
pub(crate) fn in_days(duration: Duration) -> String {
    if duration.as_millis().is_multiple_of(DAY_MILLIS) {
        format!("{}d", duration.as_millis() / DAY_MILLIS)
    } else {
        duration.to_string()
    }
}

fn midnight(day: Date, time_zone: &TimeZone) -> Option<Timestamp> {
    day.to_zoned(time_zone.clone())
        .ok()
        .map(|zoned| zoned.timestamp())
}

impl fmt::Display for SloWindow {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SloWindow::Rolling(duration) => f.write_str(&in_days(*duration)),
            SloWindow::Calendar { period, time_zone } => write!(
                f,
                "{} ({})",
                period.as_str(),
                time_zone.iana_name().unwrap_or("UTC")
            ),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(text: &str) -> Timestamp {
        text.parse().expect("timestamp")
    }

    fn calendar(period: Period) -> SloWindow {
        SloWindow::Calendar {
            period,
            time_zone: TimeZone::get("Europe/Dublin").expect("zone"),
        }
    }

    #[test]
    fn calendar_periods_start_at_local_midnight() {
        // Wednesday 2026-04-15, Dublin on summer time (UTC+1).
        let now = at("2026-04-15T10:00:00Z");
        assert_eq!(
            calendar(Period::Week).start(now),
            at("2026-04-12T23:00:00Z")
        );
        assert_eq!(
            calendar(Period::Month).start(now),
            at("2026-03-31T23:00:00Z")
        );
        assert_eq!(
            calendar(Period::Quarter).start(now),
            at("2026-03-31T23:00:00Z")
        );
        assert_eq!(
            calendar(Period::Quarter).end(now),
            Some(at("2026-06-30T23:00:00Z"))
        );
        // In March the quarter began in winter time, and ends in summer.
        let march = at("2026-03-30T10:00:00Z");
        assert_eq!(
            calendar(Period::Quarter).start(march),
            at("2026-01-01T00:00:00Z")
        );
        assert_eq!(
            calendar(Period::Quarter).end(march),
            Some(at("2026-03-31T23:00:00Z"))
        );
        assert_eq!(calendar(Period::Month).length(), Period::Month.nominal());
    }

    #[test]
    fn rolling_windows_reach_back_their_length() {
        let window = SloWindow::Rolling("28d".parse().expect("duration"));
        let now = at("2026-04-15T10:00:00Z");
        assert_eq!(window.start(now), at("2026-03-18T10:00:00Z"));
        assert_eq!(window.end(now), None);
        assert_eq!(window.to_string(), "28d");
    }

    #[test]
    fn periods_are_read_by_name() {
        assert_eq!("month".parse::<Period>(), Ok(Period::Month));
        assert!("fortnight".parse::<Period>().is_err());
    }
}
