//! Compact event counts for one SLO: enough to answer "how many good and
//! valid events in this window" for every alerting window and the whole
//! SLO window in constant time, in bounded memory.
//!
//! Two tiers keep cumulative sums in rings: minutes for the last day and a
//! bit, hours (or longer, for very long windows) for the whole SLO window.
//! A window's count is the difference of two cumulative sums, so it costs
//! the same for five minutes as for thirty days; a late event costs one
//! addition per slot after its own.
//!
//! What a window counts: every minute that *starts* inside `[from, to)`.
//! Windows that start within [`FINE_SPAN`] of `now` are counted by the
//! minute throughout. Longer ones are counted by the coarse slot up to the
//! start of the slot that contains `to`, and by the minute from there, so
//! their oldest edge is rounded up to a whole slot (a 30-day window may
//! leave out up to an hour of its oldest events, never count one twice)
//! and their newest edge is exact.

use crate::Duration;
use jiff::Timestamp;
use serde::Serialize;

/// Good and valid events.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize)]
pub struct Totals {
    pub good: f64,
    pub total: f64,
}

impl Totals {
    pub fn bad(&self) -> f64 {
        (self.total - self.good).max(0.0)
    }

    /// Bad events among valid ones; `None` without events (no data is not
    /// "all good").
    pub fn error_ratio(&self) -> Option<f64> {
        (self.total > 0.0).then(|| self.bad() / self.total)
    }

    fn plus(self, other: Totals) -> Totals {
        Totals {
            good: self.good + other.good,
            total: self.total + other.total,
        }
    }

    fn minus(self, other: Totals) -> Totals {
        Totals {
            good: self.good - other.good,
            total: self.total - other.total,
        }
    }
}

/// How far back the minute tier answers.
pub const FINE_SPAN: Duration = Duration::from_mins(24 * 60);
const FINE_RESOLUTION: i64 = 60;
/// Slack beyond the fine span, so that events a little ahead of `now`
/// never push a minute the span still needs out of the ring.
const FINE_SLACK: i64 = 120;
/// Coarse slots kept at most: the coarse resolution grows past an hour
/// for windows longer than this many hours.
const MAX_COARSE_SLOTS: i64 = 2_400;
const HOUR: i64 = 3_600;

/// One SLO's counts.
#[derive(Debug, Clone)]
pub struct EventCounts {
    fine: Tier,
    coarse: Tier,
}

impl EventCounts {
    /// Counts able to answer windows up to `longest` (the SLO window, or a
    /// longer alerting window).
    pub fn new(longest: Duration) -> Self {
        let hours = (longest.as_millis() / 3_600_000) as i64 + 1;
        let per_slot = (hours + MAX_COARSE_SLOTS - 1) / MAX_COARSE_SLOTS;
        let coarse_slots = hours / per_slot + 2;
        EventCounts {
            fine: Tier::new(
                FINE_RESOLUTION,
                FINE_SPAN.as_millis() as i64 / 1_000 / FINE_RESOLUTION + FINE_SLACK,
            ),
            coarse: Tier::new(HOUR * per_slot, coarse_slots),
        }
    }

    /// Adds events that happened at `at`. Events older than anything kept
    /// are ignored; answers whether they were counted.
    pub fn add(&mut self, at: Timestamp, events: Totals) -> bool {
        let second = at.as_second();
        let fine = self.fine.add(second, events);
        let coarse = self.coarse.add(second, events);
        fine || coarse
    }

    /// Events in the slots that start in `[from, to)`, at the resolution
    /// that `now` allows for `from` (see the module's documentation).
    pub fn between(&self, from: Timestamp, to: Timestamp, now: Timestamp) -> Totals {
        let (from, to) = (from.as_second(), to.as_second());
        if self.fine_answers(from, now) {
            return self.fine.between(from, to);
        }
        // Whole coarse slots, then the minutes of the slot `to` falls in,
        // while the minute tier still has them.
        let split = to.div_euclid(self.coarse.resolution) * self.coarse.resolution;
        if split > from && self.fine.holds(split) {
            self.coarse
                .between(from, split)
                .plus(self.fine.between(split, to))
        } else {
            self.coarse.between(from, to)
        }
    }

    /// Events in the window of length `window` that ends at `now`.
    pub fn window(&self, window: Duration, now: Timestamp) -> Totals {
        let from = now
            .checked_sub(window.to_signed())
            .unwrap_or(Timestamp::MIN);
        self.between(from, now, now)
    }

    /// Whether a window from `from`, seen at `now`, is still in the
    /// counts: [`between`](Self::between) answers all of it (its oldest
    /// edge rounded as the module says), not what is left of it after its
    /// oldest events fell out of the rings.
    pub fn holds(&self, from: Timestamp, now: Timestamp) -> bool {
        let from = from.as_second();
        self.fine_answers(from, now) || self.coarse.holds(from)
    }

    /// The slot length a window starting at `from` is counted in, seen at
    /// `now`.
    pub fn resolution(&self, from: Timestamp, now: Timestamp) -> Duration {
        let tier = if self.fine_answers(from.as_second(), now) {
            &self.fine
        } else {
            &self.coarse
        };
        Duration::from_secs(tier.resolution as u64)
    }

    /// Whether the minute tier answers for a window from `from`: it starts
    /// within the fine span of `now`, and the ring still has it (a window
    /// in the past may not be).
    fn fine_answers(&self, from: i64, now: Timestamp) -> bool {
        from >= now.as_second() - FINE_SPAN.as_millis() as i64 / 1_000 && self.fine.holds(from)
    }

    /// Bytes held, for keeping memory per SLO in check.
    pub fn memory(&self) -> usize {
        std::mem::size_of::<Self>() + self.fine.memory() + self.coarse.memory()
    }
}

/// A ring of cumulative sums: entry `slot % len` holds every event up to
/// and including `slot`, for the last `len` slots up to `head`.
#[derive(Debug, Clone)]
struct Tier {
    resolution: i64,
    cumulative: Vec<Totals>,
    /// The newest slot; `None` before the first event.
    head: Option<i64>,
    /// Every event before the oldest slot kept.
    floor: Totals,
}

impl Tier {
    fn new(resolution: i64, slots: i64) -> Self {
        Tier {
            resolution,
            cumulative: vec![Totals::default(); slots.max(1) as usize],
            head: None,
            floor: Totals::default(),
        }
    }

    /// Whether the slot that contains `second` is in the ring, or newer:
    /// cumulative sums from there on are exact.
    fn holds(&self, second: i64) -> bool {
        self.head
            .is_none_or(|head| self.slot(second) > head - self.len())
    }

    fn len(&self) -> i64 {
        self.cumulative.len() as i64
    }

    fn index(&self, slot: i64) -> usize {
        slot.rem_euclid(self.len()) as usize
    }

    fn slot(&self, second: i64) -> i64 {
        second.div_euclid(self.resolution)
    }

    fn add(&mut self, second: i64, events: Totals) -> bool {
        let slot = self.slot(second);
        let head = match self.head {
            None => slot,
            Some(head) => head,
        };
        if slot > head {
            self.advance(head, slot);
        } else if slot <= head - self.len() {
            return false; // Older than the ring.
        }
        self.head = Some(head.max(slot));
        let newest = head.max(slot);
        for later in slot..=newest {
            let index = self.index(later);
            self.cumulative[index] = self.cumulative[index].plus(events);
        }
        true
    }

    /// Moves the head from `head` to `slot`: the slots in between had no
    /// events, and those that fall out of the ring go into the floor.
    fn advance(&mut self, head: i64, slot: i64) {
        let last = self.cumulative[self.index(head)];
        let steps = (slot - head).min(self.len());
        for new in slot - steps + 1..=slot {
            let index = self.index(new);
            // The slot being replaced is `new - len`: the newest that leaves.
            self.floor = if new - self.len() <= head {
                self.cumulative[index]
            } else {
                last
            };
            self.cumulative[index] = last;
        }
    }

    /// Everything up to and including `slot`.
    fn cumulative_at(&self, slot: i64) -> Totals {
        let Some(head) = self.head else {
            return Totals::default();
        };
        if slot >= head {
            self.cumulative[self.index(head)]
        } else if slot <= head - self.len() {
            self.floor
        } else {
            self.cumulative[self.index(slot)]
        }
    }

    /// Events in the slots that start in `[from, to)`.
    fn between(&self, from: i64, to: i64) -> Totals {
        let first = ceil_div(from, self.resolution);
        let last = ceil_div(to, self.resolution) - 1;
        if last < first {
            return Totals::default();
        }
        self.cumulative_at(last)
            .minus(self.cumulative_at(first - 1))
    }

    fn memory(&self) -> usize {
        self.cumulative.capacity() * std::mem::size_of::<Totals>()
    }
}

fn ceil_div(value: i64, by: i64) -> i64 {
    -((-value).div_euclid(by))
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    const START: i64 = 1_779_998_400; // 2026-05-28T20:00:00Z

    fn at(second: i64) -> Timestamp {
        Timestamp::from_second(second).expect("timestamp")
    }

    fn events(good: f64, total: f64) -> Totals {
        Totals { good, total }
    }

    /// The same question answered from the raw events: minutes that start
    /// in the window; for a window longer than a day, hours that start in
    /// it up to the hour `now` is in, and that hour's minutes.
    fn naive(raw: &[(i64, Totals)], window: i64, now: i64) -> Totals {
        let from = now - window;
        let long = from < now - FINE_SPAN.as_millis() as i64 / 1_000;
        let this_hour = now.div_euclid(HOUR) * HOUR;
        raw.iter()
            .filter(|(second, _)| {
                let minute = second.div_euclid(FINE_RESOLUTION) * FINE_RESOLUTION;
                let hour = second.div_euclid(HOUR) * HOUR;
                if long && hour < this_hour {
                    hour >= from
                } else {
                    minute >= from && minute < now
                }
            })
            .fold(Totals::default(), |sum, (_, e)| sum.plus(*e))
    }

    fn close(a: Totals, b: Totals) -> bool {
        let near = |x: f64, y: f64| (x - y).abs() <= 1e-9 * (1.0 + x.abs().max(y.abs()));
        near(a.good, b.good) && near(a.total, b.total)
    }

    #[test]
    fn windows_count_the_minutes_inside_them() {
        let mut counts = EventCounts::new(Duration::from_mins(30 * 24 * 60));
        counts.add(at(START), events(99.0, 100.0));
        counts.add(at(START + 61), events(50.0, 100.0));
        counts.add(at(START + 3 * 60 + 5), events(0.0, 10.0));
        let now = at(START + 4 * 60);
        assert_eq!(
            counts.window(Duration::from_mins(5), now),
            events(149.0, 210.0)
        );
        // The minute that started 3 minutes ago, and the one after.
        assert_eq!(
            counts.window(Duration::from_mins(3), now),
            events(50.0, 110.0)
        );
        assert_eq!(
            counts.window(Duration::from_mins(5), now).error_ratio(),
            Some(61.0 / 210.0)
        );
        assert_eq!(Totals::default().error_ratio(), None);
    }

    #[test]
    fn a_late_event_is_counted_in_its_own_minute() {
        let mut counts = EventCounts::new(Duration::from_mins(30 * 24 * 60));
        counts.add(at(START + 600), events(10.0, 10.0));
        assert!(counts.add(at(START), events(0.0, 5.0)));
        let now = at(START + 601);
        assert_eq!(counts.window(Duration::from_mins(5), now).total, 10.0);
        assert_eq!(counts.window(Duration::from_mins(11), now).total, 15.0);
        // Older than anything kept: ignored, not miscounted.
        assert!(!counts.add(at(START - 40 * 24 * 3600), events(0.0, 1.0)));
        assert_eq!(counts.window(Duration::from_mins(11), now).total, 15.0);
    }

    #[test]
    fn a_long_window_in_the_past_leaves_out_what_came_after_it() {
        let mut counts = EventCounts::new(Duration::from_mins(30 * 24 * 60));
        counts.add(at(START + 10 * 60), events(1.0, 1.0));
        counts.add(at(START + 50 * 60), events(0.0, 1.0));
        // Seen from the middle of the hour: the events up to then, not
        // the whole hour's.
        let middle = at(START + 30 * 60);
        let week = Duration::from_mins(7 * 24 * 60);
        assert_eq!(counts.window(week, middle), events(1.0, 1.0));
        assert_eq!(
            counts.resolution(at(START - 7 * 86_400), middle),
            Duration::from_mins(60)
        );
        assert_eq!(counts.window(week, at(START + 3600)), events(1.0, 2.0));
    }

    #[test]
    fn a_window_is_held_until_its_start_falls_out_of_the_rings() {
        let mut counts = EventCounts::new(Duration::from_mins(2 * 24 * 60));
        assert!(
            counts.holds(at(START - 30 * 86_400), at(START)),
            "no events yet"
        );
        counts.add(at(START), events(1.0, 1.0));
        let now = at(START + 60);
        assert!(counts.holds(at(START - 10 * 60), now), "by the minute");
        assert!(counts.holds(at(START - 47 * 3600), now), "by the hour");
        assert!(
            !counts.holds(at(START - 4 * 86_400), now),
            "before the hours kept"
        );
        // Later events move the rings on.
        counts.add(at(START + 3 * 86_400), events(1.0, 1.0));
        assert!(!counts.holds(at(START), at(START + 3 * 86_400)));
    }

    #[test]
    fn a_thirty_day_slo_keeps_well_under_a_hundred_kilobytes() {
        for days in [7, 30, 92, 365] {
            let counts = EventCounts::new(Duration::from_mins(days * 24 * 60));
            assert!(counts.memory() < 100 * 1024, "{days}d: {}", counts.memory());
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(64))]

        /// Random streams with gaps and bursts, read at random instants and
        /// windows, agree with a recount of the raw events; rolling over
        /// both rings loses nothing that a window still needs.
        #[test]
        fn any_window_equals_a_recount_of_the_raw_events(
            steps in prop::collection::vec(
                // A gap (up to 3 days), then a burst of events.
                (0i64..3 * 86_400, 1usize..20, 0.0f64..1000.0, 0.0f64..1.0),
                1..60,
            ),
            reads in prop::collection::vec((0usize..60, 1i64..40 * 86_400), 1..20),
        ) {
            let mut counts = EventCounts::new(Duration::from_mins(30 * 24 * 60));
            let mut raw: Vec<(i64, Totals)> = Vec::new();
            let mut now = START;
            for (index, (gap, burst, size, good_share)) in steps.iter().enumerate() {
                now += gap;
                for k in 0..*burst {
                    // Some events arrive a little late, out of order.
                    let second = now - (k as i64 % 3) * 45;
                    let e = events((size * good_share).floor(), size.floor());
                    counts.add(at(second), e);
                    raw.push((second, e));
                }
                for (read_at, window) in &reads {
                    if *read_at != index {
                        continue;
                    }
                    let window = (*window).min(30 * 86_400);
                    let got = counts.window(Duration::from_secs(window as u64), at(now));
                    let expected = naive(&raw, window, now);
                    prop_assert!(close(got, expected), "window {window}s at {now}: {got:?} != {expected:?}");
                }
            }
        }
    }
}
