//! Escalation: firing the steps of each page's policy when they come due.
//!
//! A page whose service has an escalation policy is not announced to the
//! whole team: planning starts its escalation instead, and each step that
//! fires here records an `escalated` event on the page's timeline naming
//! whom it notifies (or why nobody). Planning turns that event into
//! notifications like any other. An acknowledged or resolved page ends its
//! escalation the next time it would fire.

use crate::oncall;
use jiff::Timestamp;
use pagerbound_config::Config;
use pagerbound_core::Urgency;
use pagerbound_core::escalation::{Position, Resolved, Target};
use pagerbound_core::schedule::OnCall;
use pagerbound_store::{EscalationRecord, PageEvent, PageState, Store, StoreError};
use serde_json::json;
use std::collections::BTreeMap;

/// Escalations taken per round.
const BATCH: u32 = 200;

/// The timeline event a fired step records.
pub(crate) const ESCALATED: &str = "escalated";

/// Fires every step that is due; answers how many fired.
pub(super) async fn fire_due(
    store: &dyn Store,
    config: &Config,
    now: Timestamp,
) -> Result<usize, StoreError> {
    let mut fired = 0;
    loop {
        let due = store.due_escalations(now, BATCH).await?;
        if due.is_empty() {
            return Ok(fired);
        }
        let mut progressed = false;
        for record in &due {
            progressed |= fire(store, config, record, now).await?;
            fired += 1;
        }
        // Another instance moved them all first: leave the rest to it.
        if !progressed {
            return Ok(fired);
        }
    }
}

async fn fire(
    store: &dyn Store,
    config: &Config,
    record: &EscalationRecord,
    now: Timestamp,
) -> Result<bool, StoreError> {
    let from = (record.step, record.round);
    let end = |reason: &str| PageEvent {
        at: now,
        kind: "escalation_ended".to_owned(),
        detail: json!({ "policy": record.policy, "reason": reason }),
    };
    let page = store.page(record.page_id).await?;
    // Answered pages stop escalating without a word: the timeline already
    // says who answered.
    let Some(page) = page.filter(|p| p.state == PageState::Triggered) else {
        return store
            .advance_escalation(record.page_id, from, None, None)
            .await;
    };
    let low_urgency = super::plan::page_urgency(config, &page) == Urgency::Low;
    let Some(policy) = config.escalation_policies.get(&record.policy) else {
        let event = end("the policy is no longer in the configuration");
        return store
            .advance_escalation(record.page_id, from, Some(&event), None)
            .await;
    };
    let position = Position {
        step: usize::try_from(record.step).unwrap_or(usize::MAX),
        round: u32::try_from(record.round).unwrap_or(u32::MAX),
    };
    let on_call = schedules_on_call(store, config, policy.steps.get(position.step), now).await?;
    let Some(step) = policy.fire(position, now, |target| resolve(config, &on_call, target)) else {
        let event = end("the policy changed and has no such step");
        return store
            .advance_escalation(record.page_id, from, Some(&event), None)
            .await;
    };
    // A low-urgency page is told to the first step and goes no further
    // (unless its policy says otherwise): it must not climb until it finds
    // someone to wake.
    let next = if low_urgency && !policy.escalate_low_urgency {
        None
    } else {
        step.next
    };
    let event = PageEvent {
        at: now,
        kind: ESCALATED.to_owned(),
        detail: json!({
            "policy": policy.name,
            "step": step.step + 1,
            "round": step.round + 1,
            "notified": step.notified,
            "shadows": step.shadows,
            "unresolved": step.unresolved,
            "next_at": next.map(|(_, at)| at),
            "urgency": if low_urgency { "low" } else { "high" },
        }),
    };
    if step.notified.is_empty() {
        tracing::warn!(
            page = record.page_id, policy = %policy.name, step = step.step + 1,
            why = ?step.unresolved, "An escalation step had nobody to notify; moving on at once."
        );
    }
    let next = next.map(|(position, at)| {
        (
            i64::try_from(position.step).unwrap_or(i64::MAX),
            i64::from(position.round),
            at,
        )
    });
    store
        .advance_escalation(record.page_id, from, Some(&event), next)
        .await
}

/// Who is on call now in the schedules the step names.
async fn schedules_on_call(
    store: &dyn Store,
    config: &Config,
    step: Option<&pagerbound_core::escalation::Step>,
    now: Timestamp,
) -> Result<BTreeMap<String, OnCall>, StoreError> {
    let schedules = step
        .into_iter()
        .flat_map(|s| &s.targets)
        .filter_map(|target| match target {
            Target::Schedule(name) => config.schedules.get(name),
            _ => None,
        });
    Ok(oncall::on_call(store, schedules, now)
        .await?
        .into_iter()
        .map(|(schedule, on_call)| (schedule.name.clone(), on_call))
        .collect())
}

/// Who a target is now.
fn resolve(config: &Config, on_call: &BTreeMap<String, OnCall>, target: &Target) -> Resolved {
    let people = |names: Vec<String>, why: String| {
        let known: Vec<String> = names
            .into_iter()
            .filter(|n| config.users.contains_key(n))
            .collect();
        if known.is_empty() {
            Resolved::Nobody(why)
        } else {
            Resolved::People(known)
        }
    };
    match target {
        Target::User(name) => people(
            vec![name.clone()],
            format!("user `{name}` is not configured"),
        ),
        Target::Schedule(name) => match on_call.get(name) {
            Some(OnCall {
                user: Some(user),
                shadows,
                ..
            }) if config.users.contains_key(user) => Resolved::OnCall {
                person: user.clone(),
                shadows: shadows
                    .iter()
                    .filter(|s| config.users.contains_key(*s))
                    .cloned()
                    .collect(),
            },
            Some(OnCall {
                user: Some(user), ..
            }) => Resolved::Nobody(format!(
                "`{user}`, on call in schedule `{name}`, is not a configured user"
            )),
            _ if config.schedules.contains_key(name) => {
                Resolved::Nobody(format!("nobody is on call in schedule `{name}`"))
            }
            _ => Resolved::Nobody(format!("schedule `{name}` is not configured")),
        },
        Target::Team(name) => match config.teams.get(name) {
            Some(team) => people(
                team.members.clone(),
                format!("team `{name}` has no members"),
            ),
            None => Resolved::Nobody(format!("team `{name}` is not configured")),
        },
    }
}
