//! Validating `escalation_policies:`: steps, their targets and delays.

use crate::document::Sourced;
use crate::raw::RawEscalationPolicy;
use crate::validate::Validator;
use pagerbound_core::Duration;
use pagerbound_core::escalation::{EscalationPolicy, Step, Target};
use std::collections::BTreeSet;

/// The wait before the next step when a step does not say.
pub(crate) const DEFAULT_ESCALATE_AFTER: Duration = Duration::from_mins(15);
/// More rounds than this would page for days.
const MAX_REPEAT: u32 = 10;

/// The names a policy may refer to.
pub(crate) struct Targets<'a> {
    pub users: &'a BTreeSet<String>,
    pub schedules: &'a BTreeSet<String>,
    pub teams: &'a BTreeSet<String>,
}

impl Validator<'_> {
    pub(crate) fn escalation_policy(
        &mut self,
        sourced: &Sourced<RawEscalationPolicy>,
        names: &Targets<'_>,
    ) -> Option<EscalationPolicy> {
        let raw = &sourced.item.value;
        let errors_before = self.diagnostics.error_count();
        if raw.steps.is_empty() {
            self.diagnostics.error(
                &sourced.at(&raw.name),
                format!(
                    "escalation policy `{}` needs at least one step, e.g. `steps: [{{notify: [{{schedule: primary}}]}}]`",
                    raw.name.value
                ),
            );
        }
        let repeat = raw.repeat.as_ref().map_or(0, |r| r.value);
        if let Some(r) = &raw.repeat
            && r.value > MAX_REPEAT
        {
            self.diagnostics.error(
                &sourced.at(r),
                format!(
                    "repeat may be at most {MAX_REPEAT}; {} rounds would page for days",
                    r.value
                ),
            );
        }
        let mut steps = Vec::new();
        for (index, step) in raw.steps.iter().enumerate() {
            let step = &step.value;
            if step.notify.is_empty() {
                self.diagnostics.error(
                    &sourced.at(&raw.name),
                    format!(
                        "step {} of `{}` notifies nobody; give it `notify:` targets",
                        index + 1,
                        raw.name.value
                    ),
                );
            }
            let mut targets = Vec::new();
            for target in &step.notify {
                let given: Vec<(&str, &crate::raw::Text)> = [
                    ("user", target.value.user.as_ref()),
                    ("schedule", target.value.schedule.as_ref()),
                    ("team", target.value.team.as_ref()),
                ]
                .into_iter()
                .filter_map(|(kind, name)| Some((kind, name?)))
                .collect();
                let [(kind, name)] = given.as_slice() else {
                    self.diagnostics.error(
                        &sourced.at(target),
                        "a target names exactly one of `user`, `schedule` or `team`",
                    );
                    continue;
                };
                let defined = match *kind {
                    "user" => names.users,
                    "schedule" => names.schedules,
                    _ => names.teams,
                };
                if self.reference(sourced.at(name), kind, &name.value, defined) {
                    targets.push(match *kind {
                        "user" => Target::User(name.value.clone()),
                        "schedule" => Target::Schedule(name.value.clone()),
                        _ => Target::Team(name.value.clone()),
                    });
                }
            }
            let escalate_after = match &step.escalate_after {
                None => DEFAULT_ESCALATE_AFTER,
                Some(text) => match text.value.parse::<Duration>() {
                    Ok(wait) => wait,
                    Err(error) => {
                        self.diagnostics
                            .error(&sourced.at(text), format!("escalate_after: {error}"));
                        DEFAULT_ESCALATE_AFTER
                    }
                },
            };
            steps.push(Step {
                targets,
                escalate_after,
            });
        }
        if self.diagnostics.error_count() != errors_before {
            return None;
        }
        Some(EscalationPolicy {
            name: raw.name.value.clone(),
            steps,
            repeat,
            escalate_low_urgency: raw.escalate_low_urgency.unwrap_or(false),
        })
    }
}
