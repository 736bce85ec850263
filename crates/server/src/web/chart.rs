//! Charts drawn on the server as SVG: a line of values over time, with
//! axes a person can read and marked reference lines (the 0% of an error
//! budget, a page threshold).
//!
//! No chart library and no JavaScript: the page works without scripts and
//! on any phone, and the output is a pure function of its input, so it is
//! snapshot-tested. The drawing has a fixed coordinate system (`viewBox`)
//! that CSS scales to the width of the page. Colours come from
//! `currentColor` and CSS classes, so that the page's light and dark
//! themes apply inside the chart too; the attributes carry defaults that
//! hold where the stylesheet does not (an SVG opened on its own).

use jiff::civil::{Date, DateTime};
use jiff::tz::TimeZone;
use jiff::{Timestamp, Zoned};
use std::fmt::Write as _;

/// The drawing's coordinate system; CSS scales it (to at most 40rem, so
/// that text in it reads about as large as the page's; on a phone it
/// shrinks to about 60%).
const WIDTH: f64 = 600.0;
const HEIGHT: f64 = 260.0;
/// The plot area inside it: room on the left for the y tick labels and the
/// axis title, below for the time labels and the axis title, and on the
/// right for half of the last time label, centred on its tick.
const LEFT: f64 = 86.0;
const RIGHT: f64 = 574.0;
const TOP: f64 = 16.0;
const BOTTOM: f64 = 202.0;
/// The size of text, in the drawing's units.
const FONT: f64 = 16.0;
/// At most this many labelled ticks on each axis: more would run into
/// each other.
const MAX_TIME_TICKS: i64 = 6;
const MAX_VALUE_TICKS: f64 = 5.0;

/// A horizontal line marked on a chart, with what it means.
#[derive(Debug, Clone)]
pub struct Rule {
    pub value: f64,
    /// Written at its right end: `budget spent`, `page at 14.4×`.
    pub label: String,
    /// A CSS class for its colour: `bad`, `warn`.
    pub class: &'static str,
}

/// A line chart of values over time.
#[derive(Debug, Clone)]
pub struct Chart {
    /// What it shows, for its title and screen readers: `Error budget
    /// remaining of checkout-availability`.
    pub title: String,
    /// The value axis's title, with its unit: `budget remaining, %`.
    pub y_title: String,
    /// Written after values in labels: `%`, `×`.
    pub unit: &'static str,
    /// The time axis runs from `from` to `to`, whether or not there are
    /// points all along it.
    pub from: Timestamp,
    pub to: Timestamp,
    /// Values in time order; `None` is a gap (no data), which breaks the
    /// line rather than drawing through it.
    pub points: Vec<(Timestamp, Option<f64>)>,
    pub rules: Vec<Rule>,
    /// Values the value axis shows whatever the data (a budget's 0% and
    /// 100%), so that the scale does not jump about with small changes.
    pub include: Vec<f64>,
    /// An instant marked with a line when it falls inside the axis (now,
    /// in a calendar period that runs on past it).
    pub now: Option<Timestamp>,
    /// Times are labelled in this zone: the viewer's.
    pub time_zone: TimeZone,
}

/// Escapes text for SVG (XML) content and attribute values.
pub fn escape(text: &str) -> String {
    let mut escaped = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => escaped.push_str("&amp;"),
            '<' => escaped.push_str("&lt;"),
            '>' => escaped.push_str("&gt;"),
            '"' => escaped.push_str("&quot;"),
            '\'' => escaped.push_str("&#39;"),
            _ => escaped.push(c),
        }
    }
    escaped
}

/// A figure for people: three significant digits at most, no trailing
/// zeros (`14.4`, `0.05`, `-912`).
pub fn figure(value: f64) -> String {
    if !value.is_finite() {
        return value.to_string();
    }
    let digits = match value.abs() {
        v if v >= 100.0 => 0,
        v if v >= 10.0 => 1,
        v if v >= 1.0 => 2,
        _ => 3,
    };
    let text = format!("{value:.digits$}");
    let text = if text.contains('.') {
        text.trim_end_matches('0').trim_end_matches('.').to_owned()
    } else {
        text
    };
    if text == "-0" { "0".to_owned() } else { text }
}

/// Writes one element of the drawing on a line of its own, so that the
/// snapshots read (and diff) element by element. Writing to a `String`
/// cannot fail.
macro_rules! out {
    ($svg:expr, $($arg:tt)*) => {{
        let _ = write!($svg, $($arg)*);
        $svg.push('\n');
    }};
}

impl Chart {
    /// The chart as an `<svg>` element.
    pub fn svg(&self) -> String {
        let (from, to) = (self.from, self.to.max(self.from));
        let span_ms = (to.as_millisecond() - from.as_millisecond()).max(1) as f64;
        let x = |at: Timestamp| {
            LEFT + (at.as_millisecond() - from.as_millisecond()) as f64 / span_ms * (RIGHT - LEFT)
        };
        let points: Vec<(Timestamp, Option<f64>)> = self
            .points
            .iter()
            .filter(|(at, _)| *at >= from && *at <= to)
            .map(|(at, value)| (*at, value.filter(|v| v.is_finite())))
            .collect();
        let values: Vec<f64> = points.iter().filter_map(|(_, v)| *v).collect();
        let scale = ValueScale::new(
            values
                .iter()
                .copied()
                .chain(self.include.iter().copied())
                .chain(self.rules.iter().map(|r| r.value))
                .filter(|v| v.is_finite()),
        );
        let y = |value: f64| scale.y(value);

        let summary = self.summary(&points);
        let mut svg = String::new();
        out!(
            svg,
            r#"<svg xmlns="http://www.w3.org/2000/svg" class="chart" viewBox="0 0 {WIDTH} {HEIGHT}" role="img" aria-label="{label}" font-family="system-ui, sans-serif" font-size="{FONT}">"#,
            label = escape(&summary)
        );
        out!(svg, "<title>{}</title>", escape(&summary));

        // The part of the axis still to come (the rest of a calendar
        // period), shaded, with now marked where it begins.
        if let Some(now) = self.now.filter(|now| *now > from && *now < to) {
            let at = x(now);
            out!(
                svg,
                r#"<rect class="future" x="{at:.1}" y="{TOP}" width="{w:.1}" height="{h}" fill="currentColor" fill-opacity="0.06"/>"#,
                w = RIGHT - at,
                h = BOTTOM - TOP
            );
            out!(
                svg,
                r#"<line class="now" x1="{at:.1}" y1="{TOP}" x2="{at:.1}" y2="{BOTTOM}" stroke="currentColor" stroke-dasharray="2 3"/><text class="now" x="{tx:.1}" y="{ty}" fill="currentColor">now</text>"#,
                tx = at + 4.0,
                ty = TOP + FONT
            );
        }

        // The value axis: grid lines and labels at round values.
        out!(
            svg,
            r#"<g class="grid" stroke="currentColor" stroke-opacity="0.15">"#
        );
        for value in &scale.ticks {
            out!(
                svg,
                r#"<line x1="{LEFT}" y1="{at:.1}" x2="{RIGHT}" y2="{at:.1}"/>"#,
                at = y(*value)
            );
        }
        let time_ticks = time_ticks(from, to, &self.time_zone);
        for (at, _) in &time_ticks {
            out!(
                svg,
                r#"<line x1="{at:.1}" y1="{TOP}" x2="{at:.1}" y2="{BOTTOM}"/>"#,
                at = x(*at)
            );
        }
        out!(svg, "</g>");
        out!(svg, r#"<g class="ticks" fill="currentColor">"#);
        for value in &scale.ticks {
            out!(
                svg,
                r#"<text x="{tx}" y="{ty:.1}" text-anchor="end">{label}</text>"#,
                tx = LEFT - 6.0,
                ty = y(*value) + 5.0,
                label = escape(&format!("{}{}", scale.label(*value), self.unit))
            );
        }
        for (at, label) in &time_ticks {
            out!(
                svg,
                r#"<text x="{tx:.1}" y="{ty}" text-anchor="middle">{label}</text>"#,
                tx = x(*at),
                ty = BOTTOM + FONT + 4.0,
                label = escape(label)
            );
        }
        out!(svg, "</g>");

        // The axes and their titles.
        out!(
            svg,
            r#"<path class="axis" d="M{LEFT} {TOP}V{BOTTOM}H{RIGHT}" fill="none" stroke="currentColor"/>"#
        );
        out!(
            svg,
            r#"<g class="titles" fill="currentColor"><text x="{cx}" y="{by}" text-anchor="middle">{time}</text><text transform="rotate(-90)" x="{vx}" y="{FONT}" text-anchor="middle">{value}</text></g>"#,
            cx = (LEFT + RIGHT) / 2.0,
            by = HEIGHT - 8.0,
            time = escape(&format!(
                "time, {}",
                self.time_zone.iana_name().unwrap_or("UTC")
            )),
            vx = -(TOP + BOTTOM) / 2.0,
            value = escape(&self.y_title),
        );

        // Reference lines, under the data so that the data stays visible.
        for rule in &self.rules {
            if !rule.value.is_finite() {
                continue;
            }
            let at = y(rule.value);
            out!(
                svg,
                r#"<g class="rule {class}"><line x1="{LEFT}" y1="{at:.1}" x2="{RIGHT}" y2="{at:.1}" stroke="currentColor" stroke-width="1.5" stroke-dasharray="6 4"/><text x="{tx}" y="{ty:.1}" text-anchor="end" fill="currentColor">{label}</text></g>"#,
                class = escape(rule.class),
                tx = RIGHT - 4.0,
                ty = at - 5.0,
                label = escape(&rule.label)
            );
        }

        // The data: one path of runs between gaps; a point alone between
        // gaps is a dot, since a run of one draws nothing.
        let mut path = String::new();
        let mut dots = String::new();
        for (index, (at, value)) in points.iter().enumerate() {
            let Some(value) = value else { continue };
            let before = index > 0 && points[index - 1].1.is_some();
            let after = points.get(index + 1).is_some_and(|(_, v)| v.is_some());
            let (px, py) = (x(*at), y(*value));
            if before {
                let _ = write!(path, "L{px:.1} {py:.1}");
            } else if after {
                let _ = write!(path, "M{px:.1} {py:.1}");
            } else {
                let _ = write!(dots, r#"<circle cx="{px:.1}" cy="{py:.1}" r="3"/>"#);
            }
        }
        if !path.is_empty() {
            out!(
                svg,
                r#"<path class="line" d="{path}" fill="none" stroke="currentColor" stroke-width="2" stroke-linejoin="round"/>"#
            );
        }
        if !dots.is_empty() {
            out!(svg, r#"<g class="dots" fill="currentColor">{dots}</g>"#);
        }
        if values.is_empty() {
            out!(
                svg,
                r#"<text class="empty" x="{cx}" y="{cy}" text-anchor="middle" fill="currentColor">No data in this period</text>"#,
                cx = (LEFT + RIGHT) / 2.0,
                cy = (TOP + BOTTOM) / 2.0
            );
        }
        out!(svg, "</svg>");
        svg
    }

    /// What the chart shows, in words, for screen readers and as the
    /// chart's tooltip.
    fn summary(&self, points: &[(Timestamp, Option<f64>)]) -> String {
        let when = |at: Timestamp| {
            at.to_zoned(self.time_zone.clone())
                .strftime("%a %-d %b %H:%M %Z")
                .to_string()
        };
        let mut text = format!(
            "{}, {} to {}",
            self.title,
            when(self.from),
            when(self.to.max(self.from))
        );
        let values = points.iter().filter_map(|(at, v)| v.map(|v| (*at, v)));
        let Some((last_at, last)) = values.clone().next_back() else {
            text.push_str(": no data.");
            return text;
        };
        let low = values.clone().map(|(_, v)| v).fold(f64::INFINITY, f64::min);
        let high = values.map(|(_, v)| v).fold(f64::NEG_INFINITY, f64::max);
        let unit = self.unit;
        let _ = write!(
            text,
            ": {}{unit} at {}, lowest {}{unit}, highest {}{unit}",
            figure(last),
            when(last_at),
            figure(low),
            figure(high)
        );
        for rule in &self.rules {
            let _ = write!(
                text,
                "; {} marked at {}{unit}",
                rule.label,
                figure(rule.value)
            );
        }
        text.push('.');
        text
    }
}

/// The value axis: a range that starts and ends on round ticks.
struct ValueScale {
    low: f64,
    high: f64,
    step: f64,
    ticks: Vec<f64>,
}

impl ValueScale {
    fn new(values: impl Iterator<Item = f64>) -> Self {
        let (mut low, mut high) = values.fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), v| {
            (lo.min(v), hi.max(v))
        });
        if !low.is_finite() || !high.is_finite() {
            (low, high) = (0.0, 1.0);
        }
        if high - low < f64::EPSILON * high.abs().max(1.0) {
            // A flat line: give it room above and below.
            let pad = (high.abs() * 0.1).max(1.0);
            (low, high) = (low - pad, high + pad);
        }
        let step = nice_step((high - low) / MAX_VALUE_TICKS);
        // A value on a tick stays on it, whatever the rounding of the
        // division (0.3 / 0.1 is 2.9999999999999996).
        let first = (low / step + 1e-9).floor();
        let last = (high / step - 1e-9).ceil();
        // Whole multiples of the step, so labels are round however the
        // floating point falls.
        let ticks: Vec<f64> = (0..=((last - first) as i64).clamp(1, 20))
            .map(|k| (first + k as f64) * step)
            .collect();
        ValueScale {
            low: first * step,
            high: last * step,
            step,
            ticks,
        }
    }

    fn y(&self, value: f64) -> f64 {
        let span = (self.high - self.low).max(f64::MIN_POSITIVE);
        let y = BOTTOM - (value - self.low) / span * (BOTTOM - TOP);
        // Keep wild values drawable; they are off the scale anyway.
        y.clamp(TOP - 1000.0, BOTTOM + 1000.0)
    }

    /// A tick's label with as many decimals as the step needs.
    fn label(&self, value: f64) -> String {
        let decimals = (0..6)
            .find(|d| {
                let scaled = self.step * 10f64.powi(*d);
                (scaled - scaled.round()).abs() < 1e-6 * scaled.abs().max(1.0)
            })
            .unwrap_or(6) as usize;
        let text = format!("{value:.decimals$}");
        if text
            .trim_start_matches('-')
            .chars()
            .all(|c| c == '0' || c == '.')
        {
            "0".to_owned()
        } else {
            text
        }
    }
}

/// The round step (1, 2, 2.5 or 5 times a power of ten) at or above `raw`.
fn nice_step(raw: f64) -> f64 {
    if !raw.is_finite() || raw <= 0.0 {
        return 1.0;
    }
    let magnitude = 10f64.powf(raw.log10().floor());
    [1.0, 2.0, 2.5, 5.0, 10.0]
        .iter()
        .map(|m| m * magnitude)
        .find(|step| *step >= raw * (1.0 - 1e-9))
        .unwrap_or(10.0 * magnitude)
}

/// How far apart time ticks are: at boundaries people count in.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Every {
    Minutes(i64),
    Hours(i64),
    Days(i64),
    Week,
    Months(i64),
    Years(i64),
}

impl Every {
    const ALL: [Every; 21] = [
        Every::Minutes(1),
        Every::Minutes(2),
        Every::Minutes(5),
        Every::Minutes(10),
        Every::Minutes(15),
        Every::Minutes(30),
        Every::Hours(1),
        Every::Hours(2),
        Every::Hours(3),
        Every::Hours(6),
        Every::Hours(12),
        Every::Days(1),
        Every::Days(2),
        Every::Week,
        Every::Months(1),
        Every::Months(3),
        Every::Years(1),
        Every::Years(5),
        Every::Years(10),
        Every::Years(100),
        Every::Years(1000),
    ];

    /// Roughly how long, to choose among them.
    fn minutes(self) -> i64 {
        match self {
            Every::Minutes(n) => n,
            Every::Hours(n) => n * 60,
            Every::Days(n) => n * 24 * 60,
            Every::Week => 7 * 24 * 60,
            Every::Months(n) => n * 30 * 24 * 60,
            Every::Years(n) => n * 365 * 24 * 60,
        }
    }
}

/// The ticks of a time axis from `from` to `to`, at round local times in
/// `zone`, each with its label: the finest spacing that gives at most
/// [`MAX_TIME_TICKS`].
fn time_ticks(from: Timestamp, to: Timestamp, zone: &TimeZone) -> Vec<(Timestamp, String)> {
    let minutes = (to.as_second() - from.as_second()) / 60;
    let every = Every::ALL
        .iter()
        .copied()
        .find(|every| minutes / every.minutes() < MAX_TIME_TICKS)
        .unwrap_or(Every::Years(1000));
    let (first, last) = (from.to_zoned(zone.clone()), to.to_zoned(zone.clone()));
    let at = |dt: DateTime| zone.to_timestamp(dt).ok();
    let mut ticks: Vec<Timestamp> = Vec::new();
    match every {
        Every::Minutes(_) | Every::Hours(_) => {
            let step = every.minutes();
            let mut day = first.date();
            while day <= last.date() {
                for minute in (0..24 * 60).step_by(step as usize) {
                    let time =
                        jiff::civil::Time::new((minute / 60) as i8, (minute % 60) as i8, 0, 0)
                            .unwrap_or(jiff::civil::Time::midnight());
                    ticks.extend(at(day.to_datetime(time)));
                }
                let Ok(next) = day.tomorrow() else { break };
                day = next;
            }
        }
        Every::Days(n) => {
            let mut day = first.date();
            while day <= last.date() {
                if i64::from(day.day() - 1) % n == 0 {
                    ticks.extend(at(day.to_datetime(jiff::civil::Time::midnight())));
                }
                let Ok(next) = day.tomorrow() else { break };
                day = next;
            }
        }
        Every::Week => {
            let mut day = first.date();
            while day <= last.date() {
                if day.weekday() == jiff::civil::Weekday::Monday {
                    ticks.extend(at(day.to_datetime(jiff::civil::Time::midnight())));
                }
                let Ok(next) = day.tomorrow() else { break };
                day = next;
            }
        }
        Every::Months(n) => {
            let mut month = first.date().first_of_month();
            while month <= last.date() {
                if i64::from(month.month() - 1) % n == 0 {
                    ticks.extend(at(month.to_datetime(jiff::civil::Time::midnight())));
                }
                let Ok(next) = month.checked_add(jiff::Span::new().months(1)) else {
                    break;
                };
                month = next;
            }
        }
        Every::Years(n) => {
            let n = n as i16;
            let mut year = first.year().div_euclid(n) * n;
            while year <= last.year() {
                if let Ok(day) = Date::new(year, 1, 1) {
                    ticks.extend(at(day.to_datetime(jiff::civil::Time::midnight())));
                }
                let Some(next) = year.checked_add(n) else {
                    break;
                };
                year = next;
            }
        }
    }
    // A time skipped by a change of clocks moves to the next that exists,
    // which may be another tick.
    ticks.retain(|at| *at >= from && *at <= to);
    ticks.sort();
    ticks.dedup();
    ticks
        .into_iter()
        .map(|tick| (tick, tick_label(tick.to_zoned(zone.clone()), every)))
        .collect()
}

fn tick_label(at: Zoned, every: Every) -> String {
    let format = match every {
        // Midnight starts a day: name the day there.
        Every::Minutes(_) | Every::Hours(_) if at.hour() == 0 && at.minute() == 0 => "%a %-d",
        Every::Minutes(_) | Every::Hours(_) => "%H:%M",
        Every::Days(_) => "%a %-d",
        Every::Week => "%-d %b",
        Every::Months(_) => "%b %Y",
        Every::Years(_) => "%Y",
    };
    at.strftime(format).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;
    use jiff::SignedDuration;

    fn at(text: &str) -> Timestamp {
        text.parse().expect("instant")
    }

    fn zone(name: &str) -> TimeZone {
        TimeZone::get(name).expect("zone")
    }

    /// Budget remaining over a day, in percent, every half hour.
    fn budget_chart(
        from: Timestamp,
        to: Timestamp,
        points: Vec<(Timestamp, Option<f64>)>,
    ) -> Chart {
        Chart {
            title: "Error budget remaining of checkout <availability>".to_owned(),
            y_title: "budget remaining, %".to_owned(),
            unit: "%",
            from,
            to,
            points,
            rules: vec![Rule {
                value: 0.0,
                label: "budget spent".to_owned(),
                class: "bad",
            }],
            include: vec![0.0, 100.0],
            now: None,
            time_zone: zone("Europe/Dublin"),
        }
    }

    fn every(
        from: Timestamp,
        step: SignedDuration,
        values: impl IntoIterator<Item = Option<f64>>,
    ) -> Vec<(Timestamp, Option<f64>)> {
        values
            .into_iter()
            .enumerate()
            .map(|(i, v)| (from + step * i as i32, v))
            .collect()
    }

    #[test]
    fn a_steady_burn() {
        let from = at("2026-06-01T00:00:00Z");
        let to = at("2026-06-08T00:00:00Z");
        let hours = 7 * 24;
        let points = every(
            from,
            SignedDuration::from_hours(6),
            (0..=hours / 6).map(|i| Some(100.0 - i as f64 * 6.0 * 0.4)),
        );
        let svg = budget_chart(from, to, points).svg();
        insta::assert_snapshot!(svg);
    }

    #[test]
    fn a_gap_breaks_the_line() {
        let from = at("2026-06-01T08:00:00Z");
        let to = at("2026-06-01T20:00:00Z");
        let values = (0..=24).map(|i| match i {
            6..=9 => None,
            // One point alone between gaps is drawn as a dot.
            15 => Some(91.0),
            14 | 16 => None,
            _ => Some(100.0 - i as f64 * 0.5),
        });
        let points = every(from, SignedDuration::from_mins(30), values);
        let svg = budget_chart(from, to, points).svg();
        let line = svg
            .split(r#"class="line" d=""#)
            .nth(1)
            .and_then(|rest| rest.split('"').next())
            .expect("a line");
        assert_eq!(line.matches('M').count(), 3, "three runs: {line}");
        assert_eq!(svg.matches("<circle").count(), 1);
        insta::assert_snapshot!(svg);
    }

    #[test]
    fn an_overspent_budget_goes_below_zero() {
        // A calendar month, ten days in: the axis runs to its end.
        let from = at("2026-06-01T00:00:00+01:00");
        let now = at("2026-06-11T00:00:00+01:00");
        let to = at("2026-07-01T00:00:00+01:00");
        let points = every(
            from,
            SignedDuration::from_hours(12),
            (0..=20).map(|i| {
                Some(if i < 8 {
                    100.0
                } else {
                    100.0 - (i - 7) as f64 * 25.0
                })
            }),
        );
        let mut chart = budget_chart(from, to, points);
        chart.now = Some(now);
        let svg = chart.svg();
        assert!(svg.contains(">-200%<"), "{svg}");
        assert!(svg.contains(r#"class="now""#));
        insta::assert_snapshot!(svg);
    }

    #[test]
    fn an_empty_series() {
        let from = at("2026-06-01T00:00:00Z");
        let to = at("2026-06-02T00:00:00Z");
        let mut chart = budget_chart(from, to, vec![(from, None), (to, None)]);
        chart.time_zone = TimeZone::UTC;
        let svg = chart.svg();
        assert!(svg.contains("No data in this period"));
        assert!(svg.contains("no data."));
        insta::assert_snapshot!(svg);
    }

    #[test]
    fn burn_rate_with_its_threshold() {
        let from = at("2026-06-01T00:00:00Z");
        let to = at("2026-06-02T00:00:00Z");
        let values = (0..=24).map(|i| Some(if (10..13).contains(&i) { 20.0 } else { 0.5 }));
        let chart = Chart {
            title: "Burn rate of checkout over each hour".to_owned(),
            y_title: "burn rate, ×".to_owned(),
            unit: "×",
            from,
            to,
            points: every(from, SignedDuration::from_hours(1), values),
            rules: vec![Rule {
                value: 14.4,
                label: "page at 14.4×".to_owned(),
                class: "bad",
            }],
            include: vec![0.0],
            now: None,
            time_zone: zone("America/New_York"),
        };
        insta::assert_snapshot!(chart.svg());
    }

    #[test]
    fn text_is_escaped() {
        let from = at("2026-06-01T00:00:00Z");
        let chart = budget_chart(from, from + SignedDuration::from_hours(1), vec![]);
        let svg = chart.svg();
        assert!(svg.contains("checkout &lt;availability&gt;"), "{svg}");
        assert!(!svg.contains("<availability>"));
        assert_eq!(escape(r#"a&b"c'd"#), "a&amp;b&quot;c&#39;d");
    }

    #[test]
    fn time_ticks_fall_on_local_boundaries() {
        let dublin = zone("Europe/Dublin");
        let labels = |from: &str, to: &str, zone: &TimeZone| -> Vec<String> {
            time_ticks(at(from), at(to), zone)
                .into_iter()
                .map(|(_, label)| label)
                .collect()
        };
        // Summer time: local hours are an hour ahead of UTC.
        assert_eq!(
            labels("2026-06-01T08:10:00Z", "2026-06-01T20:00:00Z", &dublin),
            ["10:00", "12:00", "14:00", "16:00", "18:00", "20:00"]
        );
        // A day boundary is named by its day.
        assert_eq!(
            labels(
                "2026-06-01T20:00:00Z",
                "2026-06-02T08:00:00Z",
                &TimeZone::UTC
            ),
            ["21:00", "Tue 2", "03:00", "06:00"]
        );
        assert_eq!(
            labels(
                "2026-06-01T00:00:00Z",
                "2026-07-01T00:00:00Z",
                &TimeZone::UTC
            ),
            ["1 Jun", "8 Jun", "15 Jun", "22 Jun", "29 Jun"]
        );
        assert_eq!(
            labels(
                "2026-01-01T00:00:00Z",
                "2026-04-01T00:00:00Z",
                &TimeZone::UTC
            ),
            ["Jan 2026", "Feb 2026", "Mar 2026", "Apr 2026"]
        );
        // Across the change of clocks in spring, ticks stay on local
        // hours, and none is doubled.
        let ticks = time_ticks(
            at("2026-03-29T00:00:00Z"),
            at("2026-03-29T04:00:00Z"),
            &dublin,
        );
        assert_eq!(
            ticks.iter().map(|(_, l)| l.as_str()).collect::<Vec<_>>(),
            ["Sun 29", "02:00", "03:00", "04:00", "05:00"]
        );
        assert!(ticks.windows(2).all(|w| w[0].0 < w[1].0));
        // Degenerate and extreme ranges answer without panicking.
        assert!(
            time_ticks(
                at("2026-06-01T00:00:00Z"),
                at("2026-06-01T00:00:00Z"),
                &dublin
            )
            .len()
                <= 1
        );
        assert!(time_ticks(Timestamp::MIN, Timestamp::MAX, &TimeZone::UTC).len() <= 30);
    }

    #[test]
    fn value_ticks_are_round() {
        let scale = ValueScale::new([-912.0, 100.0].into_iter());
        assert_eq!(scale.step, 250.0);
        let labels: Vec<String> = scale.ticks.iter().map(|v| scale.label(*v)).collect();
        assert_eq!(labels, ["-1000", "-750", "-500", "-250", "0", "250"]);
        let scale = ValueScale::new([0.0, 14.4].into_iter());
        let labels: Vec<String> = scale.ticks.iter().map(|v| scale.label(*v)).collect();
        assert_eq!(labels, ["0", "5", "10", "15"]);
        let scale = ValueScale::new([0.3, 0.8].into_iter());
        let labels: Vec<String> = scale.ticks.iter().map(|v| scale.label(*v)).collect();
        assert_eq!(labels, ["0.3", "0.4", "0.5", "0.6", "0.7", "0.8"]);
        let flat = ValueScale::new([5.0].into_iter());
        assert!(flat.low < 5.0 && flat.high > 5.0);
        let none = ValueScale::new(std::iter::empty());
        assert_eq!((none.low, none.high), (0.0, 1.0));
        assert_eq!(figure(14.4), "14.4");
        assert_eq!(figure(-912.345), "-912");
        assert_eq!(figure(0.0501), "0.05");
        assert_eq!(figure(-0.0001), "0");
    }
}
