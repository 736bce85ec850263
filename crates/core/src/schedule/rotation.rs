//! One layer on its own: where its rotation hands off, where its
//! restriction windows fall, and so who (if anyone) it has on call.
//!
//! Handoffs are counted in civil time in the rotation's zone and only then
//! turned into instants, so a handoff at 09:00 stays at 09:00 local across
//! daylight-saving changes. Both questions a caller asks, "who at this
//! instant" and "who over this range", are answered from the same two
//! primitives ([`Handoffs::at`] and [`window_span`]), which is what keeps
//! [`super::Schedule::on_call_at`] and [`super::Schedule::shifts`] in
//! agreement at every instant, boundaries included.

use super::{Layer, Rotation, ShiftLength};
use crate::time_window::WeeklyWindow;
use jiff::civil::{Date, DateTime};
use jiff::tz::{AmbiguousOffset, TimeZone};
use jiff::{SignedDuration, Span, Timestamp};

/// Civil seconds in an hour, a day and a week: civil time has no
/// daylight-saving changes, so these are exact there.
const HOUR: i64 = 3_600;
const DAY: i64 = 24 * HOUR;
const WEEK: i64 = 7 * DAY;

/// How many times [`Handoffs::turn_at`] may move its first guess. The guess
/// is off by at most the largest jump of a zone's offset divided by the
/// shift length (a day at the very worst, so about 25 for one-hour shifts);
/// the cap only guards against arithmetic at the edges of jiff's range,
/// where "nobody" is the answer anyway.
const MAX_CORRECTIONS: u32 = 64;

/// Local days either side of an instant whose restriction windows can cover
/// it. A window starting on day `D` ends by `D + 2` at 00:00 civil, and an
/// offset changes by less than a day at once, so an instant whose local
/// date is `d` can only be covered by windows of days `d - 2 ..= d + 1`.
const DAYS_BEFORE: i64 = 2;
const DAYS_AFTER: i64 = 1;

/// A half-open interval of instants, `start < end` unless empty.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Interval {
    pub start: Timestamp,
    pub end: Timestamp,
}

impl Interval {
    fn contains(self, at: Timestamp) -> bool {
        self.start <= at && at < self.end
    }

    pub fn is_empty(self) -> bool {
        self.start >= self.end
    }

    pub fn clip(self, range: Interval) -> Interval {
        Interval {
            start: self.start.max(range.start),
            end: self.end.min(range.end),
        }
    }
}

/// A stretch during which one participant (an index into
/// `Layer::participants`) carries the layer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Stint {
    pub participant: usize,
    pub span: Interval,
}

/// One turn of the rotation, unrestricted: handoff `k` to handoff `k + 1`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Turn {
    k: i64,
    span: Interval,
}

/// A rotation reduced to arithmetic: handoff `k` is the civil datetime
/// `first + k * step`, read in `zone`.
#[derive(Debug, Clone)]
pub(super) struct Handoffs<'a> {
    zone: &'a TimeZone,
    first: DateTime,
    /// The shift length in civil seconds, always positive.
    step: i64,
    participants: usize,
}

impl<'a> Handoffs<'a> {
    /// `None` when the rotation can never have anyone on call: no
    /// participants, a zero length, or a first handoff outside jiff's range.
    pub fn new(rotation: &'a Rotation, participants: usize) -> Option<Self> {
        if participants == 0 {
            return None;
        }
        let step = match rotation.length {
            ShiftLength::Hours(n) => i64::from(n) * HOUR,
            ShiftLength::Days(n) => i64::from(n) * DAY,
            ShiftLength::Weeks(n) => i64::from(n) * WEEK,
        };
        if step == 0 {
            return None;
        }
        let handoffs = Handoffs {
            zone: &rotation.time_zone,
            first: first_handoff(rotation)?.to_datetime(rotation.handoff),
            step,
            participants,
        };
        // A first handoff before jiff's earliest instant would leave later
        // handoffs with no beginning; only the far end may run out of range,
        // where `at` answers `None`, read as "never".
        handoffs.at(0)?;
        Some(handoffs)
    }

    /// The participant whose turn `k` is.
    fn participant(&self, k: i64) -> usize {
        // `participants` is a `Vec` length, so it fits an i64, and the
        // remainder is in 0..participants, so it fits back.
        let n = i64::try_from(self.participants).unwrap_or(i64::MAX);
        usize::try_from(k.rem_euclid(n)).unwrap_or(0)
    }

    /// The civil datetime of handoff `k`; `None` past jiff's range.
    fn civil(&self, k: i64) -> Option<DateTime> {
        let offset = SignedDuration::from_secs(k.checked_mul(self.step)?);
        self.first.checked_add(offset).ok()
    }

    /// Handoff `k` as jiff's "compatible" disambiguation reads it: a local
    /// time skipped by a spring-forward gap moves forward by the length of
    /// the gap (02:30 becomes 03:30), and a repeated local time in a
    /// fall-back fold takes its first occurrence. That is what people
    /// expect of "02:30" on those days, and what calendars do. The flag
    /// says whether the civil time fell in a gap.
    fn compatible(&self, k: i64) -> Option<(Timestamp, bool)> {
        let ambiguous = self.zone.to_ambiguous_timestamp(self.civil(k)?);
        let in_gap = matches!(ambiguous.offset(), AmbiguousOffset::Gap { .. });
        Some((ambiguous.compatible().ok()?, in_gap))
    }

    /// The instant of handoff `k`, or `None` (read as "never") past jiff's
    /// range.
    ///
    /// This is the compatible reading, with one repair: when a gap is
    /// longer than a shift (a one-hour rotation across a two-hour or
    /// whole-day jump of the offset), moving a skipped handoff forward by
    /// the gap would put it after later handoffs. A handoff in a gap is
    /// therefore never later than the handoffs that follow it, which keeps
    /// handoffs in order, so turns never overlap. With ordinary one-hour
    /// daylight-saving gaps and shifts of an hour or more this changes
    /// nothing.
    pub fn at(&self, k: i64) -> Option<Timestamp> {
        let (mut instant, mut in_gap) = self.compatible(k)?;
        let mut next = k;
        // Civil handoffs advance by at least an hour and a gap is finite,
        // so this ends after a few steps.
        while in_gap {
            next = match next.checked_add(1) {
                Some(next) => next,
                None => break,
            };
            match self.compatible(next) {
                Some((later, gap)) => {
                    instant = instant.min(later);
                    in_gap = gap;
                }
                None => break,
            }
        }
        Some(instant)
    }

    fn turn(&self, k: i64) -> Option<Turn> {
        let start = self.at(k)?;
        let end = self.at(k.checked_add(1)?)?;
        Some(Turn {
            k,
            span: Interval { start, end },
        })
    }

    /// The turn containing `at`, without walking from the start: guess `k`
    /// from the civil time elapsed since the first handoff, then move the
    /// guess by a step or two to account for the offset changes in between.
    fn turn_at(&self, at: Timestamp) -> Option<Turn> {
        let elapsed = self.zone.to_datetime(at).duration_since(self.first);
        let mut k = elapsed.as_secs().div_euclid(self.step).max(0);
        let mut start = self.at(k);
        let mut corrections = 0;
        // A handoff beyond jiff's range (`None`) counts as later than `at`.
        while start.is_none_or(|start| start > at) {
            if k == 0 || corrections == MAX_CORRECTIONS {
                return None;
            }
            k -= 1;
            corrections += 1;
            start = self.at(k);
        }
        let mut start = start?;
        loop {
            let end = self.at(k.checked_add(1)?)?;
            if at < end {
                return Some(Turn {
                    k,
                    span: Interval { start, end },
                });
            }
            if corrections == MAX_CORRECTIONS {
                return None;
            }
            (k, start, corrections) = (k + 1, end, corrections + 1);
        }
    }

    /// The non-empty turns overlapping `range`, in order, unclipped.
    fn turns(&self, range: Interval) -> Vec<Turn> {
        // Before the first handoff, `turn_at` has nothing: start with turn 0
        // if it begins inside the range.
        let first = self
            .turn_at(range.start)
            .or_else(|| self.turn(0).filter(|turn| turn.span.start > range.start));
        let mut turns = Vec::new();
        let mut next = first;
        while let Some(turn) = next.filter(|turn| turn.span.start < range.end) {
            if !turn.span.is_empty() {
                turns.push(turn);
            }
            next = self.following(turn);
        }
        turns
    }

    /// The turn after `turn`, starting where it ends.
    fn following(&self, turn: Turn) -> Option<Turn> {
        let k = turn.k.checked_add(1)?;
        let end = self.at(k.checked_add(1)?)?;
        Some(Turn {
            k,
            span: Interval {
                start: turn.span.end,
                end,
            },
        })
    }
}

/// The date of the first handoff: `start`, or for weekly rotations with a
/// handoff day, the first such weekday on or after `start`.
fn first_handoff(rotation: &Rotation) -> Option<Date> {
    match (rotation.length, rotation.handoff_day) {
        (ShiftLength::Weeks(_), Some(day)) => {
            let days = day.since(rotation.start.weekday());
            rotation
                .start
                .checked_add(Span::new().days(i64::from(days)))
                .ok()
        }
        _ => Some(rotation.start),
    }
}

/// Where one restriction window falls on one local day, as instants: from
/// `day` at `start` to `end` the same day, or the next day when the window
/// runs past midnight (a full day when `start == end`). Local times in a
/// gap or fold are read "compatibly", as handoffs are. `None` when the
/// window is not on that day, or the day is at the edge of jiff's range.
fn window_span(zone: &TimeZone, window: &WeeklyWindow, day: Date) -> Option<Interval> {
    if !window.days.contains(day.weekday()) {
        return None;
    }
    let end_day = if window.start < window.end {
        day
    } else {
        day.tomorrow().ok()?
    };
    let instant = |civil: DateTime| zone.to_ambiguous_timestamp(civil).compatible().ok();
    let span = Interval {
        start: instant(day.to_datetime(window.start))?,
        end: instant(end_day.to_datetime(window.end))?,
    };
    (!span.is_empty()).then_some(span)
}

/// `date` moved by `days`, or `None` past jiff's range.
fn shift_date(date: Date, days: i64) -> Option<Date> {
    date.checked_add(Span::new().try_days(days).ok()?).ok()
}

/// Whether `at` falls in one of the windows, read in `zone`.
fn within(zone: &TimeZone, windows: &[WeeklyWindow], at: Timestamp) -> bool {
    let today = zone.to_datetime(at).date();
    (-DAYS_BEFORE..=DAYS_AFTER)
        .filter_map(|days| shift_date(today, days))
        .any(|day| {
            windows
                .iter()
                .filter_map(|window| window_span(zone, window, day))
                .any(|span| span.contains(at))
        })
}

/// The windows over `range`, as sorted, disjoint instants: each window on
/// each local day of the range (and a margin either side, for windows that
/// run into the range), clipped to it, overlapping and touching ones merged.
fn window_spans(zone: &TimeZone, windows: &[WeeklyWindow], range: Interval) -> Vec<Interval> {
    // At the edges of jiff's range the margin shrinks to what exists, as
    // it does in `within`.
    let first = shift_date(zone.to_datetime(range.start).date(), -DAYS_BEFORE - 1);
    let last = shift_date(zone.to_datetime(range.end).date(), DAYS_AFTER + 1);
    let last = last.unwrap_or(Date::MAX);
    let mut spans = Vec::new();
    let mut day = Some(first.unwrap_or(Date::MIN));
    while let Some(today) = day.filter(|day| *day <= last) {
        spans.extend(
            windows
                .iter()
                .filter_map(|window| window_span(zone, window, today))
                .map(|span| span.clip(range))
                .filter(|span| !span.is_empty()),
        );
        day = today.tomorrow().ok();
    }
    merge(spans)
}

/// Sorts intervals and merges those that overlap or touch.
fn merge(mut spans: Vec<Interval>) -> Vec<Interval> {
    spans.sort_by_key(|span| span.start);
    let mut merged: Vec<Interval> = Vec::with_capacity(spans.len());
    for span in spans {
        match merged.last_mut() {
            Some(last) if span.start <= last.end => last.end = last.end.max(span.end),
            _ => merged.push(span),
        }
    }
    merged
}

/// One layer, ready to answer questions about instants.
pub(super) struct LayerPlan<'a> {
    layer: &'a Layer,
    handoffs: Option<Handoffs<'a>>,
}

impl<'a> LayerPlan<'a> {
    pub fn new(layer: &'a Layer) -> Self {
        LayerPlan {
            layer,
            handoffs: Handoffs::new(&layer.rotation, layer.participants.len()),
        }
    }

    /// The participant (index) carrying the layer at `at`, if any.
    pub fn participant_at(&self, at: Timestamp) -> Option<usize> {
        let handoffs = self.handoffs.as_ref()?;
        let turn = handoffs.turn_at(at)?;
        let restrictions = &self.layer.restrictions;
        if restrictions.is_empty() || within(&self.layer.rotation.time_zone, restrictions, at) {
            Some(handoffs.participant(turn.k))
        } else {
            None
        }
    }

    /// Who carries the layer over `range`: sorted, disjoint, non-empty
    /// stints clipped to the range, cut by the restriction windows. Stints
    /// of consecutive turns are kept apart even when the participant is the
    /// same; the final schedule merges what is alike.
    pub fn stints(&self, range: Interval) -> Vec<Stint> {
        let Some(handoffs) = &self.handoffs else {
            return Vec::new();
        };
        let turns = handoffs.turns(range);
        let restrictions = &self.layer.restrictions;
        let windows = if restrictions.is_empty() {
            vec![range]
        } else {
            window_spans(&self.layer.rotation.time_zone, restrictions, range)
        };
        intersect(&turns, &windows, range)
            .map(|(k, span)| Stint {
                participant: handoffs.participant(k),
                span,
            })
            .collect()
    }
}

/// The pieces where a turn and a window (both sorted and disjoint) overlap
/// inside `range`, found in one pass over both.
fn intersect<'t>(
    turns: &'t [Turn],
    windows: &'t [Interval],
    range: Interval,
) -> impl Iterator<Item = (i64, Interval)> + 't {
    let (mut t, mut w) = (0, 0);
    std::iter::from_fn(move || {
        while let (Some(turn), Some(window)) = (turns.get(t), windows.get(w)) {
            let overlap = turn.span.clip(*window).clip(range);
            if turn.span.end <= window.end {
                t += 1;
            } else {
                w += 1;
            }
            if !overlap.is_empty() {
                return Some((turn.k, overlap));
            }
        }
        None
    })
}

impl Layer {
    /// Mistakes in a layer that make it (or part of it) never have anyone
    /// on call, for `pagerbound check` to report. Nothing here panics: a
    /// layer with problems is simply treated as having nobody on call
    /// where it cannot say who.
    pub fn problems(&self) -> Vec<String> {
        let mut problems = Vec::new();
        if self.participants.is_empty() {
            problems.push(format!(
                "layer `{}` has no participants, so it never has anyone on call",
                self.name
            ));
        }
        let zero = match self.rotation.length {
            ShiftLength::Hours(n) | ShiftLength::Days(n) | ShiftLength::Weeks(n) => n == 0,
        };
        if zero {
            problems.push(format!(
                "layer `{}` has a shift length of zero, so it never has anyone on call",
                self.name
            ));
        }
        for shadow in &self.shadows {
            if !self.participants.contains(&shadow.shadowing) {
                problems.push(format!(
                    "in layer `{}`, `{}` shadows `{}`, who is not a participant",
                    self.name, shadow.user, shadow.shadowing
                ));
            }
        }
        if self
            .restrictions
            .iter()
            .any(|window| window.days.is_empty())
        {
            problems.push(format!(
                "layer `{}` has a restriction window with no days",
                self.name
            ));
        }
        problems
    }
}
