//! SLO evaluation speed: one evaluation cycle of many SLOs with 30-day
//! windows and the workbook's four window pairs, with the memory each
//! SLO's counts hold. Pure computation (no server, no database), timed over
//! repeated rounds, and set beside the naive way to the same answers
//! (adding up every minute of every window) so that the ratio shows what
//! the compact counts are worth.

use jiff::{SignedDuration, Timestamp};
use pagerbound_core::Duration as Length;
use pagerbound_core::alert::Labels;
use pagerbound_core::slo::{Evaluation, EventCounts, Sli, Slo, SloWindow, Totals, workbook_policy};
use serde::Serialize;
use std::time::{Duration, Instant};

/// The targets.
pub const CYCLE_TARGET: Duration = Duration::from_millis(100);
pub const MEMORY_TARGET: usize = 100 * 1024;

#[derive(Debug, Clone, Serialize)]
pub struct SloReport {
    pub slos: usize,
    pub rounds: u32,
    /// Minutes between the events fed to each SLO over its window.
    pub feed_every_minutes: i64,
    /// Median time to evaluate every SLO once.
    pub cycle_median: Duration,
    pub cycle_worst: Duration,
    /// Bytes of counts per SLO.
    pub memory_per_slo: usize,
    /// How many SLOs the naive way was timed on (it is slow).
    pub naive_slos: usize,
    /// The naive way's median time for one SLO, from raw minutes.
    pub naive_per_slo: Duration,
    /// How the cycle grows: `(SLOs, median cycle)` for the first 100,
    /// 1,000, ... of them.
    pub growth: Vec<(usize, Duration)>,
}

const DAY_MINUTES: i64 = 24 * 60;
const WINDOW_DAYS: i64 = 30;

fn slo(index: usize) -> Slo {
    let window = SloWindow::Rolling(Length::from_mins(WINDOW_DAYS as u64 * DAY_MINUTES as u64));
    Slo {
        name: format!("slo-{index}"),
        service: format!("service-{}", index % 100),
        description: None,
        sli: Sli::Push,
        objective: 99.9,
        alerting: workbook_policy(&window),
        window,
        min_events: 0.0,
        owner: None,
        runbook: None,
        labels: Labels::new(),
    }
}

/// A deterministic event count for one SLO and minute: steady traffic
/// with a burst of errors now and then.
fn events(index: usize, minute: i64) -> Totals {
    let total = 1_000.0 + ((index as i64 * 7 + minute) % 13) as f64;
    let bad = if (minute + index as i64) % 997 == 0 {
        50.0
    } else {
        1.0
    };
    Totals {
        good: total - bad,
        total,
    }
}

fn median(times: &mut [Duration]) -> Duration {
    times.sort_unstable();
    times[times.len() / 2]
}

/// The naive evaluation: every window summed from raw minutes.
fn naive(slo: &Slo, minutes: &[Totals], now_minute: usize) -> f64 {
    let mut windows: Vec<Length> = slo
        .alerting
        .iter()
        .flat_map(|a| [a.long, a.short])
        .collect();
    windows.push(slo.window.length());
    windows
        .iter()
        .map(|window| {
            let span = (window.as_millis() / 60_000) as usize;
            let from = now_minute.saturating_sub(span);
            let (bad, total) = minutes[from..now_minute]
                .iter()
                .fold((0.0, 0.0), |(b, t), m| (b + m.bad(), t + m.total));
            bad / total.max(1.0) / slo.budget()
        })
        .sum()
}

pub fn run(quick: bool) -> SloReport {
    let (count, rounds, every) = if quick {
        (1_000, 5, 60)
    } else {
        (10_000, 21, 5)
    };
    let now: Timestamp = "2026-06-10T18:30:00Z"
        .parse()
        .unwrap_or(Timestamp::UNIX_EPOCH);
    let window_minutes = WINDOW_DAYS * DAY_MINUTES;
    let start = now - SignedDuration::from_mins(window_minutes);
    let slos: Vec<Slo> = (0..count).map(slo).collect();
    let counts: Vec<EventCounts> = slos
        .iter()
        .enumerate()
        .map(|(index, slo)| {
            // As the server sizes them.
            let mut counts = EventCounts::new(slo.reach());
            let mut minute = 0;
            while minute < window_minutes {
                let at = start + SignedDuration::from_mins(minute);
                counts.add(at, events(index, minute));
                minute += every;
            }
            counts
        })
        .collect();

    let cycle_of = |size: usize| {
        let mut times = Vec::with_capacity(rounds as usize);
        for _ in 0..rounds {
            let clock = Instant::now();
            let firing = slos
                .iter()
                .zip(&counts)
                .take(size)
                .map(|(slo, counts)| Evaluation::of(slo, counts, now))
                .filter(|e| e.firing().next().is_some())
                .count();
            std::hint::black_box(firing);
            times.push(clock.elapsed());
        }
        times
    };
    let mut cycle = cycle_of(count);
    let growth: Vec<(usize, Duration)> = [100, 1_000, 10_000]
        .into_iter()
        .filter(|size| *size <= count)
        .map(|size| (size, median(&mut cycle_of(size))))
        .collect();

    // The naive way keeps every minute of the window for each SLO.
    let naive_slos = if quick { 10 } else { 100 };
    let mut naive_times = Vec::with_capacity(naive_slos);
    for (index, slo) in slos.iter().take(naive_slos).enumerate() {
        let minutes: Vec<Totals> = (0..window_minutes)
            .map(|minute| {
                if minute % every == 0 {
                    events(index, minute)
                } else {
                    Totals::default()
                }
            })
            .collect();
        let clock = Instant::now();
        std::hint::black_box(naive(slo, &minutes, minutes.len()));
        naive_times.push(clock.elapsed());
    }

    SloReport {
        slos: count,
        rounds,
        feed_every_minutes: every,
        cycle_worst: cycle.iter().copied().max().unwrap_or_default(),
        cycle_median: median(&mut cycle),
        memory_per_slo: counts.iter().map(EventCounts::memory).max().unwrap_or(0),
        naive_slos,
        naive_per_slo: median(&mut naive_times),
        growth,
    }
}

fn ms(d: Duration) -> String {
    format!("{:.3} ms", d.as_secs_f64() * 1e3)
}

pub fn render(report: &SloReport) -> String {
    let mut out = String::new();
    out.push_str(&format!(
        "{:<58} {:>11} {:>11} {:>11} {:>9}\n",
        "", "median", "worst", "target", "headroom"
    ));
    out.push_str(&format!(
        "{:<58} {:>11} {:>11} {:>11} {:>8.1}x\n",
        format!(
            "one evaluation cycle, {} SLOs (30d, 4 window pairs)",
            report.slos
        ),
        ms(report.cycle_median),
        ms(report.cycle_worst),
        ms(CYCLE_TARGET),
        CYCLE_TARGET.as_secs_f64() / report.cycle_median.as_secs_f64().max(1e-9),
    ));
    out.push_str(&format!(
        "{:<58} {:>11} {:>11} {:>11} {:>8.1}x\n",
        "memory per SLO (counts)",
        format!("{:.1} KB", report.memory_per_slo as f64 / 1024.0),
        "",
        format!("{} KB", MEMORY_TARGET / 1024),
        MEMORY_TARGET as f64 / report.memory_per_slo.max(1) as f64,
    ));
    let per_slo = report.cycle_median.as_secs_f64() / report.slos.max(1) as f64;
    out.push_str(&format!(
        "{:<58} {:>11} {:>11} {:>11} {:>9}\n",
        "per SLO: compact counts",
        format!("{:.2} µs", per_slo * 1e6),
        "",
        "",
        ""
    ));
    out.push_str(&format!(
        "{:<58} {:>11} {:>11} {:>11} {:>8.0}x\n",
        format!("per SLO: summing raw minutes ({} SLOs)", report.naive_slos),
        format!("{:.2} µs", report.naive_per_slo.as_secs_f64() * 1e6),
        "",
        "slower",
        report.naive_per_slo.as_secs_f64() / per_slo.max(1e-12),
    ));
    out.push_str("\ncost growth (median cycle, and per SLO):\n");
    for (size, cycle) in &report.growth {
        out.push_str(&format!(
            "{:<58} {:>11} {:>11}\n",
            format!("{size} SLOs"),
            ms(*cycle),
            format!(
                "{:.2} µs",
                cycle.as_secs_f64() * 1e6 / (*size).max(1) as f64
            ),
        ));
    }
    out
}
