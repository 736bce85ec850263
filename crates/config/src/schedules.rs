//! Validating `schedules:`: layers of rotations, their participants,
//! handoffs, restrictions and shadows.

use crate::document::Sourced;
use crate::hint;
use crate::raw::{RawLayer, RawSchedule};
use crate::validate::Validator;
use jiff::civil::Date;
use jiff::tz::TimeZone;
use jiff::{SignedDuration, Timestamp};
use pagerbound_core::schedule::{Layer, Rotation, Schedule, Shadow, ShiftLength};
use pagerbound_core::time_window::{parse_time_of_day, parse_weekday};
use std::collections::BTreeSet;

/// How far ahead `check` looks for gaps in a schedule.
pub(crate) const GAP_HORIZON: SignedDuration = SignedDuration::from_hours(28 * 24);

impl Validator<'_> {
    pub(crate) fn schedule(
        &mut self,
        sourced: &Sourced<RawSchedule>,
        teams: &BTreeSet<String>,
        users: &BTreeSet<String>,
    ) -> Option<Schedule> {
        let raw = &sourced.item.value;
        let errors_before = self.diagnostics.error_count();
        self.reference(sourced.at(&raw.team), "team", &raw.team.value, teams);
        let time_zone = self.time_zone(&sourced.at(&raw.time_zone), &raw.time_zone.value);
        if raw.layers.is_empty() {
            self.diagnostics.error(
                &sourced.at(&raw.name),
                format!("schedule `{}` needs at least one layer", raw.name.value),
            );
        }
        let mut names = BTreeSet::new();
        let mut layers = Vec::new();
        for layer in &raw.layers {
            let name = &layer.value.name;
            if !names.insert(name.value.as_str()) {
                self.diagnostics.error(
                    &sourced.at(name),
                    format!(
                        "layer `{}` is already defined in schedule `{}`",
                        name.value, raw.name.value
                    ),
                );
            }
            layers.extend(self.layer(sourced, &layer.value, time_zone.as_ref(), users));
        }
        if self.diagnostics.error_count() != errors_before {
            return None;
        }
        let schedule = Schedule {
            name: raw.name.value.clone(),
            team: raw.team.value.clone(),
            time_zone: time_zone?,
            layers,
        };
        self.warn_about_gaps(sourced, &schedule);
        Some(schedule)
    }

    fn layer(
        &mut self,
        schedule: &Sourced<RawSchedule>,
        raw: &RawLayer,
        schedule_zone: Option<&TimeZone>,
        users: &BTreeSet<String>,
    ) -> Option<Layer> {
        let errors_before = self.diagnostics.error_count();
        if raw.participants.is_empty() {
            self.diagnostics.error(
                &schedule.at(&raw.name),
                format!("layer `{}` needs at least one participant", raw.name.value),
            );
        }
        for participant in &raw.participants {
            self.reference(schedule.at(participant), "user", &participant.value, users);
        }
        let length = raw
            .shift
            .value
            .parse::<ShiftLength>()
            .map_err(|e| self.diagnostics.error(&schedule.at(&raw.shift), e))
            .ok();
        let handoff = parse_time_of_day(&raw.handoff.value)
            .map_err(|e| {
                self.diagnostics
                    .error(&schedule.at(&raw.handoff), format!("handoff: {e}"))
            })
            .ok();
        let handoff_day = match &raw.handoff_day {
            None => None,
            Some(day) => {
                if !matches!(length, Some(ShiftLength::Weeks(_)) | None) {
                    self.diagnostics.error(
                        &schedule.at(day),
                        "handoff_day applies to weekly shifts only (`shift: 1w`); daily and hourly shifts hand off every day",
                    );
                }
                let parsed = parse_weekday(&day.value);
                if parsed.is_none() {
                    self.diagnostics.error(
                        &schedule.at(day),
                        format!(
                            "handoff_day `{}` is not a weekday; write one of mon, tue, wed, thu, fri, sat, sun",
                            day.value
                        ),
                    );
                }
                parsed
            }
        };
        let time_zone = match &raw.time_zone {
            Some(zone) => self.time_zone(&schedule.at(zone), &zone.value),
            None => schedule_zone.cloned(),
        };
        let start = raw
            .start
            .value
            .parse::<Date>()
            .map_err(|_| {
                self.diagnostics.error(
                    &schedule.at(&raw.start),
                    format!(
                        "start `{}` is not a date; write `YYYY-MM-DD`, e.g. `2026-01-05`",
                        raw.start.value
                    ),
                )
            })
            .ok();
        let restrictions = self.windows(schedule, &raw.restrictions);
        let participants: Vec<String> = raw.participants.iter().map(|p| p.value.clone()).collect();
        let mut shadows = Vec::new();
        for shadow in &raw.shadows {
            let shadow = &shadow.value;
            self.reference(schedule.at(&shadow.user), "user", &shadow.user.value, users);
            if !participants.contains(&shadow.shadowing.value) {
                self.diagnostics.error(
                    &schedule.at(&shadow.shadowing),
                    format!(
                        "`{}` is not a participant of layer `{}`; a shadow follows one of {}{}",
                        shadow.shadowing.value,
                        raw.name.value,
                        participants.join(", "),
                        hint::suffix(
                            &shadow.shadowing.value,
                            participants.iter().map(String::as_str)
                        )
                    ),
                );
            }
            shadows.push(Shadow {
                user: shadow.user.value.clone(),
                shadowing: shadow.shadowing.value.clone(),
            });
        }
        if self.diagnostics.error_count() != errors_before {
            return None;
        }
        Some(Layer {
            name: raw.name.value.clone(),
            participants,
            rotation: Rotation {
                length: length?,
                handoff: handoff?,
                handoff_day,
                time_zone: time_zone?,
                start: start?,
            },
            restrictions,
            shadows,
        })
    }

    /// Warns when nobody would be on call at some point in the next four
    /// weeks: pages in a gap reach nobody but the escalation's next step.
    fn warn_about_gaps(&mut self, sourced: &Sourced<RawSchedule>, schedule: &Schedule) {
        let from = self.now;
        let Ok(to) = from.checked_add(GAP_HORIZON) else {
            return;
        };
        let gaps = schedule.gaps(&[], from, to);
        let Some(first) = gaps.first() else {
            return;
        };
        let zone = schedule.time_zone.clone();
        let local = |at: Timestamp| at.to_zoned(zone.clone()).strftime("%a %Y-%m-%d %H:%M %Z");
        let total = gaps.iter().fold(SignedDuration::ZERO, |sum, gap| {
            sum.saturating_add(gap.end.duration_since(gap.start))
        });
        let total = pagerbound_core::Duration::from_millis(
            u64::try_from(total.as_millis()).unwrap_or(u64::MAX),
        );
        self.diagnostics.warning(
            &sourced.at(&sourced.item.value.name),
            format!(
                "schedule `{}` has nobody on call for {} in the next 4 weeks ({} gaps), first from {} to {}; add a layer or an override",
                schedule.name,
                total,
                gaps.len(),
                local(first.start),
                local(first.end),
            ),
        );
    }
}
