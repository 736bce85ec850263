//! The final schedule: layers stacked, overrides on top, gaps shown.
//!
//! Over a range, each layer's stints and the overrides are laid out once,
//! then one sweep over the sorted boundaries picks the winner of each
//! elementary interval with a cursor per track, so the cost grows with
//! the number of boundaries, not its square. For a single instant the same
//! rules are applied directly, from the same per-layer primitives.

use super::rotation::{Interval, LayerPlan};
use super::{Layer, OnCall, Override, Schedule, Shift, ShiftSource};
use jiff::Timestamp;
use std::collections::BinaryHeap;

impl Schedule {
    /// The final schedule over `[from, to)`: contiguous shifts from `from`
    /// to `to`, each non-empty, covering every instant once.
    ///
    /// At each instant an override wins (where overrides overlap, the one
    /// that starts last; on a tie, the later one in `overrides`), then the
    /// highest layer with someone on call; where there is neither, the
    /// shift is a gap. Neighbouring pieces that show the same user, source
    /// and shadows are one shift. Overrides that end before they start are
    /// ignored; an empty range has no shifts.
    pub fn shifts(&self, overrides: &[Override], from: Timestamp, to: Timestamp) -> Vec<Shift> {
        if from >= to {
            return Vec::new();
        }
        let range = Interval {
            start: from,
            end: to,
        };
        let mut on_top = Track::new(override_pieces(overrides, range));
        let mut layers: Vec<Track> = self
            .layers
            .iter()
            .map(|layer| {
                let stints = LayerPlan::new(layer).stints(range);
                Track::new(stints.iter().map(|s| (s.span, s.participant)).collect())
            })
            .collect();
        let boundaries = boundaries(range, std::iter::once(&on_top).chain(&layers));
        let names = Names::new(self, overrides);
        sweep(&boundaries, &mut on_top, &mut layers, &names)
            .into_iter()
            .map(|(span, owner)| names.shift(owner, span))
            .collect()
    }

    /// Who is on call at `at`: the same answer [`Schedule::shifts`] gives
    /// for that instant, worked out without laying out a range.
    pub fn on_call_at(&self, overrides: &[Override], at: Timestamp) -> OnCall {
        let winner = overrides
            .iter()
            .enumerate()
            .filter(|(_, o)| o.start <= at && at < o.end)
            .max_by_key(|(index, o)| (o.start, *index));
        if let Some((_, o)) = winner {
            return OnCall {
                user: Some(o.user.clone()),
                source: ShiftSource::Override(o.id.clone()),
                shadows: Vec::new(),
            };
        }
        for layer in self.layers.iter().rev() {
            let participant = LayerPlan::new(layer).participant_at(at);
            if let Some(user) = participant.and_then(|p| layer.participants.get(p)) {
                return OnCall {
                    user: Some(user.clone()),
                    source: ShiftSource::Layer(layer.name.clone()),
                    shadows: shadows_of(layer, user),
                };
            }
        }
        OnCall {
            user: None,
            source: ShiftSource::Gap,
            shadows: Vec::new(),
        }
    }

    /// The gaps of [`Schedule::shifts`]: where nobody is on call.
    pub fn gaps(&self, overrides: &[Override], from: Timestamp, to: Timestamp) -> Vec<Shift> {
        let mut shifts = self.shifts(overrides, from, to);
        shifts.retain(|shift| shift.source == ShiftSource::Gap);
        shifts
    }
}

/// Who has the pager during a piece of the final schedule, by index.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Owner {
    Override(usize),
    Layer { layer: usize, participant: usize },
    Gap,
}

/// What a piece shows; pieces that show the same are one shift. Two
/// owners can look alike: a participant listed twice, or consecutive turns
/// of the same person.
#[derive(Debug, PartialEq, Eq)]
struct Label<'a> {
    user: Option<&'a str>,
    source: Source<'a>,
    shadows: &'a [String],
}

#[derive(Debug, PartialEq, Eq)]
enum Source<'a> {
    Layer(&'a str),
    Override(&'a str),
    Gap,
}

/// Sorted, disjoint pieces, each naming a participant or an override,
/// read front to back as the sweep moves forward.
struct Track {
    pieces: Vec<(Interval, usize)>,
    next: usize,
}

impl Track {
    fn new(pieces: Vec<(Interval, usize)>) -> Self {
        Track { pieces, next: 0 }
    }

    /// Who the track has at `at`. Calls must come with `at` never
    /// decreasing, which lets the cursor only move forward.
    fn at(&mut self, at: Timestamp) -> Option<usize> {
        while self
            .pieces
            .get(self.next)
            .is_some_and(|(span, _)| span.end <= at)
        {
            self.next += 1;
        }
        let (span, who) = self.pieces.get(self.next)?;
        (span.start <= at).then_some(*who)
    }
}

/// The overrides track wins, then the highest layer, then nobody.
fn owner_at(on_top: &mut Track, layers: &mut [Track], at: Timestamp) -> Owner {
    if let Some(index) = on_top.at(at) {
        return Owner::Override(index);
    }
    for (layer, track) in layers.iter_mut().enumerate().rev() {
        if let Some(participant) = track.at(at) {
            return Owner::Layer { layer, participant };
        }
    }
    Owner::Gap
}

/// The owner of each elementary interval between `boundaries`, with
/// neighbours that look alike joined.
fn sweep(
    boundaries: &[Timestamp],
    on_top: &mut Track,
    layers: &mut [Track],
    names: &Names<'_>,
) -> Vec<(Interval, Owner)> {
    let mut pieces: Vec<(Interval, Owner)> = Vec::new();
    for pair in boundaries.windows(2) {
        let span = Interval {
            start: pair[0],
            end: pair[1],
        };
        let owner = owner_at(on_top, layers, span.start);
        match pieces.last_mut() {
            Some((last, previous)) if names.label(*previous) == names.label(owner) => {
                last.end = span.end;
            }
            _ => pieces.push((span, owner)),
        }
    }
    pieces
}

/// Every instant where some track changes, with the range's ends, sorted
/// and without repeats.
fn boundaries<'a>(range: Interval, tracks: impl Iterator<Item = &'a Track>) -> Vec<Timestamp> {
    let mut all = vec![range.start, range.end];
    for track in tracks {
        all.extend(track.pieces.iter().flat_map(|(s, _)| [s.start, s.end]));
    }
    all.sort_unstable();
    all.dedup();
    all
}

/// The override in force over each part of `range`, as sorted, disjoint
/// pieces naming the override's index. Where overrides overlap, the one
/// that starts last wins (its original start, not the clipped one), ties
/// going to the later one in the slice: the latest decision is the one
/// people mean. A max-heap of the overrides begun so far finds the winner
/// at each boundary; ended ones are dropped when they reach its top.
fn override_pieces(overrides: &[Override], range: Interval) -> Vec<(Interval, usize)> {
    let mut clipped: Vec<(Interval, usize)> = overrides
        .iter()
        .enumerate()
        .filter(|(_, o)| o.start < o.end)
        .map(|(index, o)| {
            let span = Interval {
                start: o.start,
                end: o.end,
            };
            (span.clip(range), index)
        })
        .filter(|(span, _)| !span.is_empty())
        .collect();
    clipped.sort_by_key(|(span, _)| span.start);
    let mut edges: Vec<Timestamp> = clipped.iter().flat_map(|(s, _)| [s.start, s.end]).collect();
    edges.sort_unstable();
    edges.dedup();

    let mut begun = BinaryHeap::new();
    let mut waiting = clipped.iter().peekable();
    let mut pieces: Vec<(Interval, usize)> = Vec::new();
    for pair in edges.windows(2) {
        let (start, end) = (pair[0], pair[1]);
        while let Some((span, index)) = waiting.next_if(|(span, _)| span.start <= start) {
            let precedence = overrides.get(*index).map(|o| o.start);
            begun.push((precedence, *index, span.end));
        }
        while begun.peek().is_some_and(|(_, _, end)| *end <= start) {
            begun.pop();
        }
        let Some(&(_, index, _)) = begun.peek() else {
            continue;
        };
        match pieces.last_mut() {
            Some((last, previous)) if *previous == index && last.end == start => last.end = end,
            _ => pieces.push((Interval { start, end }, index)),
        }
    }
    pieces
}

/// Who shadows `user` in `layer`, in the order the shadows are declared.
fn shadows_of(layer: &Layer, user: &str) -> Vec<String> {
    layer
        .shadows
        .iter()
        .filter(|shadow| shadow.shadowing == user)
        .map(|shadow| shadow.user.clone())
        .collect()
}

/// Turns owners (indices) into what a shift shows.
struct Names<'a> {
    schedule: &'a Schedule,
    overrides: &'a [Override],
    /// Per layer, per participant: their shadows, worked out once.
    shadows: Vec<Vec<Vec<String>>>,
}

impl<'a> Names<'a> {
    fn new(schedule: &'a Schedule, overrides: &'a [Override]) -> Self {
        let shadows = schedule
            .layers
            .iter()
            .map(|layer| {
                let each = layer.participants.iter();
                each.map(|user| shadows_of(layer, user)).collect()
            })
            .collect();
        Names {
            schedule,
            overrides,
            shadows,
        }
    }

    fn label(&self, owner: Owner) -> Label<'_> {
        let gap = Label {
            user: None,
            source: Source::Gap,
            shadows: &[],
        };
        match owner {
            Owner::Override(index) => match self.overrides.get(index) {
                Some(o) => Label {
                    user: Some(&o.user),
                    source: Source::Override(&o.id),
                    shadows: &[],
                },
                None => gap,
            },
            Owner::Layer { layer, participant } => {
                let (Some(rotation), Some(shadows)) = (
                    self.schedule.layers.get(layer),
                    self.shadows.get(layer).and_then(|s| s.get(participant)),
                ) else {
                    return gap;
                };
                Label {
                    user: rotation.participants.get(participant).map(String::as_str),
                    source: Source::Layer(&rotation.name),
                    shadows,
                }
            }
            Owner::Gap => gap,
        }
    }

    fn shift(&self, owner: Owner, span: Interval) -> Shift {
        let label = self.label(owner);
        Shift {
            user: label.user.map(str::to_owned),
            start: span.start,
            end: span.end,
            source: match label.source {
                Source::Layer(name) => ShiftSource::Layer(name.to_owned()),
                Source::Override(id) => ShiftSource::Override(id.to_owned()),
                Source::Gap => ShiftSource::Gap,
            },
            shadows: label.shadows.to_vec(),
        }
    }
}
