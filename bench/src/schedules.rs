//! Schedule computation speed: "who is on call now" across many schedules,
//! and a year of one schedule's final shifts. Pure computation (no server,
//! no database), timed over repeated rounds, and each figure set beside a
//! slower way to the same answer so that the ratio shows what the fast
//! path is worth.

use jiff::civil::{Date, Time, Weekday};
use jiff::tz::TimeZone;
use jiff::{SignedDuration, Timestamp};
use pagerbound_core::schedule::{Layer, Override, Rotation, Schedule, ShiftLength};
use pagerbound_core::time_window::{DaySet, WeeklyWindow};
use serde::Serialize;
use std::time::{Duration, Instant};

/// The targets.
pub const ON_CALL_TARGET: Duration = Duration::from_millis(10);
pub const YEAR_TARGET: Duration = Duration::from_millis(5);

#[derive(Debug, Clone, Serialize)]
pub struct ScheduleReport {
    pub schedules: usize,
    pub rounds: u32,
    /// Median time to answer "who is on call now" for every schedule.
    pub on_call_median: Duration,
    pub on_call_worst: Duration,
    /// The same answers read from each schedule's final shifts over one
    /// minute, the general path.
    pub on_call_by_shifts_median: Duration,
    /// Median time for a year of final schedule: 3 layers, 50 overrides.
    pub year_median: Duration,
    pub year_worst: Duration,
    pub year_shifts: usize,
    /// The same year computed a week at a time, as a client paging
    /// through it would.
    pub year_by_weeks_median: Duration,
}

fn zone(name: &str) -> TimeZone {
    TimeZone::get(name).unwrap_or(TimeZone::UTC)
}

fn layer(name: &str, people: usize, length: ShiftLength, zone_name: &str, start: Date) -> Layer {
    Layer {
        name: name.to_owned(),
        participants: (0..people).map(|p| format!("{name}-{p}")).collect(),
        rotation: Rotation {
            length,
            handoff: Time::constant(9, 0, 0, 0),
            handoff_day: matches!(length, ShiftLength::Weeks(_)).then_some(Weekday::Monday),
            time_zone: zone(zone_name),
            start,
        },
        restrictions: Vec::new(),
        shadows: Vec::new(),
    }
}

fn daytime() -> Vec<WeeklyWindow> {
    vec![WeeklyWindow {
        days: DaySet::EVERY_DAY,
        start: Time::constant(8, 0, 0, 0),
        end: Time::constant(20, 0, 0, 0),
    }]
}

/// Follow the sun: a weekly base layer in Dublin under two daily layers
/// that answer in daylight in New York and in Sydney.
fn follow_the_sun(n: usize) -> Schedule {
    let start = Date::constant(2025, 1, 1)
        .checked_add(SignedDuration::from_hours(24 * (n % 300) as i64))
        .unwrap_or(Date::constant(2025, 1, 1));
    let mut new_york = layer(
        "new-york",
        2 + n % 4,
        ShiftLength::Days(1),
        "America/New_York",
        start,
    );
    new_york.restrictions = daytime();
    let mut sydney = layer(
        "sydney",
        2 + n % 3,
        ShiftLength::Days(1),
        "Australia/Sydney",
        start,
    );
    sydney.restrictions = daytime();
    Schedule {
        name: format!("schedule-{n}"),
        team: "bench".to_owned(),
        time_zone: zone("Europe/Dublin"),
        layers: vec![
            layer(
                "dublin",
                3 + n % 5,
                ShiftLength::Weeks(1),
                "Europe/Dublin",
                start,
            ),
            new_york,
            sydney,
        ],
    }
}

fn overrides(from: Timestamp, count: i64) -> Vec<Override> {
    (0..count)
        .map(|n| {
            let start = from + SignedDuration::from_hours(n * 170 + 5);
            Override {
                id: n.to_string(),
                user: "cover".to_owned(),
                start,
                end: start + SignedDuration::from_hours(3 + n % 30),
            }
        })
        .collect()
}

fn median(times: &mut [Duration]) -> Duration {
    times.sort_unstable();
    times[times.len() / 2]
}

/// Times `work` over `rounds` rounds.
fn time_rounds(rounds: u32, mut work: impl FnMut() -> usize) -> (Vec<Duration>, usize) {
    let mut times = Vec::with_capacity(rounds as usize);
    let mut answers = 0;
    for _ in 0..rounds {
        let clock = Instant::now();
        answers = std::hint::black_box(work());
        times.push(clock.elapsed());
    }
    (times, answers)
}

pub fn run(quick: bool) -> ScheduleReport {
    let rounds = if quick { 5 } else { 101 };
    let schedules: Vec<Schedule> = (0..1_000).map(follow_the_sun).collect();
    let now: Timestamp = "2026-06-10T18:30:00Z"
        .parse()
        .unwrap_or(Timestamp::UNIX_EPOCH);
    let one = overrides(now - SignedDuration::from_hours(1), 1);
    let minute = SignedDuration::from_mins(1);

    let (mut on_call, answered) = time_rounds(rounds, || {
        schedules
            .iter()
            .filter(|s| s.on_call_at(&one, now).user.is_some())
            .count()
    });
    let (mut by_shifts, answered_by_shifts) = time_rounds(rounds, || {
        schedules
            .iter()
            .filter(|s| s.shifts(&one, now, now + minute)[0].user.is_some())
            .count()
    });
    assert_eq!(
        answered, answered_by_shifts,
        "both paths give the same answers"
    );

    let schedule = follow_the_sun(7);
    let from: Timestamp = "2026-01-01T00:00:00Z"
        .parse()
        .unwrap_or(Timestamp::UNIX_EPOCH);
    let to = from + SignedDuration::from_hours(24 * 365);
    let fifty = overrides(from, 50);
    let (mut year, year_shifts) = time_rounds(rounds, || schedule.shifts(&fifty, from, to).len());
    let week = SignedDuration::from_hours(24 * 7);
    let (mut by_weeks, _) = time_rounds(rounds, || {
        let mut count = 0;
        let mut at = from;
        while at < to {
            let end = (at + week).min(to);
            count += schedule.shifts(&fifty, at, end).len();
            at = end;
        }
        count
    });

    ScheduleReport {
        schedules: schedules.len(),
        rounds,
        on_call_worst: on_call.iter().copied().max().unwrap_or_default(),
        on_call_median: median(&mut on_call),
        on_call_by_shifts_median: median(&mut by_shifts),
        year_worst: year.iter().copied().max().unwrap_or_default(),
        year_median: median(&mut year),
        year_shifts,
        year_by_weeks_median: median(&mut by_weeks),
    }
}

fn ms(d: Duration) -> String {
    format!("{:.3} ms", d.as_secs_f64() * 1e3)
}

fn ratio(slow: Duration, fast: Duration) -> String {
    format!("{:.1}x", slow.as_secs_f64() / fast.as_secs_f64().max(1e-9))
}

pub fn render(report: &ScheduleReport) -> String {
    let mut out = String::new();
    out.push_str(&format!(
        "{:<52} {:>11} {:>11} {:>11} {:>9}\n",
        "", "median", "worst", "target", "headroom"
    ));
    out.push_str(&format!(
        "{:<52} {:>11} {:>11} {:>11} {:>9}\n",
        format!("on call now, {} schedules of 3 layers", report.schedules),
        ms(report.on_call_median),
        ms(report.on_call_worst),
        ms(ON_CALL_TARGET),
        ratio(ON_CALL_TARGET, report.on_call_median),
    ));
    out.push_str(&format!(
        "{:<52} {:>11} {:>11} {:>11} {:>9}\n",
        format!(
            "a year of shifts, 3 layers + 50 overrides ({})",
            report.year_shifts
        ),
        ms(report.year_median),
        ms(report.year_worst),
        ms(YEAR_TARGET),
        ratio(YEAR_TARGET, report.year_median),
    ));
    out.push_str(&format!(
        "\nthe same answers the slower way (median, and how much slower):\n\
         {:<52} {:>11} {:>9}\n{:<52} {:>11} {:>9}\n",
        "on call now, read from a minute of shifts",
        ms(report.on_call_by_shifts_median),
        ratio(report.on_call_by_shifts_median, report.on_call_median),
        "the year, computed a week at a time",
        ms(report.year_by_weeks_median),
        ratio(report.year_by_weeks_median, report.year_median),
    ));
    out
}
