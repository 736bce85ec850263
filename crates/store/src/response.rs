//! What people (and the engine, for snoozes) do to a page or ticket, as a
//! pure decision: given the page as stored, the new page and the timeline
//! events to record. Both backends apply it inside one transaction, so the
//! rules live here once.
//!
//! Every response is idempotent: one that would change nothing (acking an
//! acknowledged page, resolving a resolved one) yields no outcome, and the
//! store records nothing. Responses that make no sense for the page (ack a
//! ticket, snooze a resolved page) are named by [`Response::refusal`] so
//! that the API can answer 409; the store treats them as no-ops.

use crate::pages::{Page, PageEvent, PageState};
use jiff::Timestamp;
use pagerbound_core::routing::Class;
use serde_json::{Value, json};

/// One response to a page or ticket.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Response {
    /// Triggered → acknowledged: stops re-notification.
    Acknowledge,
    /// Acknowledged → triggered: the page needs someone again.
    Unacknowledge,
    /// Acknowledged until `until`; then back to triggered if it still fires.
    Snooze {
        until: Timestamp,
    },
    /// The engine ends a snooze that is due.
    EndSnooze,
    Resolve,
    /// A line on the timeline; changes nothing else.
    Note {
        text: String,
    },
    /// Gives the page to one user. An acknowledged page goes back to
    /// triggered: the new assignee has not taken it yet.
    Reassign {
        to: String,
    },
}

/// Who responds, for the timeline: `{"by": name}`, and `"via"` when it
/// came through a side door (an action link).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Actor<'a> {
    /// `None` for the engine (alerts resolved, a snooze ended).
    pub by: Option<&'a str>,
    pub via: Option<&'a str>,
}

impl<'a> Actor<'a> {
    /// The engine: nobody in particular.
    pub const ENGINE: Actor<'static> = Actor {
        by: None,
        via: None,
    };

    pub fn by(name: &'a str) -> Actor<'a> {
        Actor {
            by: Some(name),
            via: None,
        }
    }

    pub fn via(self, via: &'a str) -> Actor<'a> {
        Actor {
            via: Some(via),
            ..self
        }
    }

    /// The event detail: `{"by": ..}` plus `extra`'s fields.
    fn detail(&self, extra: Value) -> Value {
        let mut detail = json!({ "by": self.by });
        if let Some(via) = self.via {
            detail["via"] = json!(via);
        }
        if let (Value::Object(detail), Value::Object(extra)) = (&mut detail, extra) {
            detail.extend(extra);
        }
        detail
    }
}

/// What a response changes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Outcome {
    pub page: Page,
    pub events: Vec<PageEvent>,
}

impl Response {
    /// The name of the response, as the API spells it.
    pub fn name(&self) -> &'static str {
        match self {
            Response::Acknowledge => "ack",
            Response::Unacknowledge => "unack",
            Response::Snooze { .. } => "snooze",
            Response::EndSnooze => "end snooze",
            Response::Resolve => "resolve",
            Response::Note { .. } => "note",
            Response::Reassign { .. } => "reassign",
        }
    }

    /// Why this response makes no sense for `page`, if it does not.
    /// Repeating a response that already took effect is not a refusal.
    pub fn refusal(&self, page: &Page) -> Option<String> {
        let what = if page.class == Class::Ticket {
            "ticket"
        } else {
            "page"
        };
        let needs_page = matches!(
            self,
            Response::Acknowledge | Response::Unacknowledge | Response::Snooze { .. }
        );
        if needs_page && page.class == Class::Ticket {
            return Some(format!(
                "{} is a ticket: tickets cannot be acknowledged, unacknowledged or snoozed \
                 (`{}` is for pages); resolve it instead",
                page.id,
                self.name()
            ));
        }
        let needs_open = matches!(
            self,
            Response::Unacknowledge | Response::Snooze { .. } | Response::Reassign { .. }
        );
        if needs_open && page.state == PageState::Resolved {
            return Some(format!(
                "{what} {} is resolved: there is nothing left to {}",
                page.id,
                self.name()
            ));
        }
        None
    }

    /// The page after the response and the events to record, or `None`
    /// when it changes nothing (including when it is refused).
    pub fn apply(&self, page: &Page, actor: Actor<'_>, at: Timestamp) -> Option<Outcome> {
        let by = actor.by;
        if self.refusal(page).is_some() {
            return None;
        }
        let mut next = page.clone();
        let mut events = Vec::new();
        let event = |kind: &str, detail: Value| PageEvent {
            at,
            kind: kind.to_owned(),
            detail,
        };
        match self {
            Response::Acknowledge => {
                if page.state != PageState::Triggered {
                    return None;
                }
                acknowledge(&mut next, by, at);
                events.push(event("acknowledged", actor.detail(json!({}))));
            }
            Response::Unacknowledge => {
                if page.state != PageState::Acknowledged {
                    return None;
                }
                back_to_triggered(&mut next);
                events.push(event("unacknowledged", actor.detail(json!({}))));
            }
            Response::Snooze { until } => {
                if page.state == PageState::Acknowledged && page.snoozed_until == Some(*until) {
                    return None;
                }
                if page.state == PageState::Triggered {
                    // Snoozing takes the page: the team is told who has it.
                    acknowledge(&mut next, by, at);
                    events.push(event("acknowledged", actor.detail(json!({}))));
                }
                next.snoozed_until = Some(*until);
                events.push(event("snoozed", actor.detail(json!({ "until": until }))));
            }
            Response::EndSnooze => {
                let due = page.snoozed_until.is_some_and(|until| until <= at);
                if page.state != PageState::Acknowledged || !due {
                    return None;
                }
                back_to_triggered(&mut next);
                events.push(event(
                    "snooze_ended",
                    actor.detail(json!({ "snoozed_until": page.snoozed_until })),
                ));
            }
            Response::Resolve => {
                if page.state == PageState::Resolved {
                    return None;
                }
                next.state = PageState::Resolved;
                next.resolved_at = Some(at);
                next.resolved_by = by.map(str::to_owned);
                next.snoozed_until = None;
                events.push(event("resolved", actor.detail(json!({}))));
            }
            Response::Note { text } => {
                events.push(event("note", actor.detail(json!({ "text": text }))));
            }
            Response::Reassign { to } => {
                if page.assigned_to.as_deref() == Some(to.as_str()) {
                    return None;
                }
                if page.state == PageState::Acknowledged {
                    back_to_triggered(&mut next);
                }
                next.assigned_to = Some(to.clone());
                events.push(event(
                    "reassigned",
                    actor.detail(json!({ "to": to, "from": page.assigned_to })),
                ));
            }
        }
        next.updated_at = at;
        Some(Outcome { page: next, events })
    }
}

fn acknowledge(page: &mut Page, by: Option<&str>, at: Timestamp) {
    page.state = PageState::Acknowledged;
    page.acknowledged_at = Some(at);
    page.acknowledged_by = by.map(str::to_owned);
}

fn back_to_triggered(page: &mut Page) {
    page.state = PageState::Triggered;
    page.acknowledged_at = None;
    page.acknowledged_by = None;
    page.snoozed_until = None;
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(secs: i64) -> Timestamp {
        Timestamp::from_second(1_800_000_000 + secs).expect("instant")
    }

    fn page(class: Class) -> Page {
        Page {
            id: 7,
            class,
            state: PageState::initial(class),
            service: "checkout".into(),
            route: "checkout-slo".into(),
            group_key: "g".into(),
            group_labels: Default::default(),
            title: "High error rate".into(),
            created_at: t(0),
            updated_at: t(0),
            acknowledged_at: None,
            acknowledged_by: None,
            resolved_at: None,
            resolved_by: None,
            alert_count: 1,
            snoozed_until: None,
            assigned_to: None,
        }
    }

    fn kinds(outcome: &Outcome) -> Vec<&str> {
        outcome.events.iter().map(|e| e.kind.as_str()).collect()
    }

    #[test]
    fn acknowledging_twice_changes_nothing_the_second_time() {
        let first = Response::Acknowledge
            .apply(&page(Class::Page), Actor::by("alice"), t(10))
            .expect("acks");
        assert_eq!(first.page.state, PageState::Acknowledged);
        assert_eq!(first.page.acknowledged_by.as_deref(), Some("alice"));
        assert_eq!(kinds(&first), ["acknowledged"]);
        assert_eq!(
            Response::Acknowledge.apply(&first.page, Actor::by("bob"), t(20)),
            None
        );
    }

    #[test]
    fn snoozing_a_triggered_page_acknowledges_it_and_ending_brings_it_back() {
        let until = t(60);
        let snoozed = Response::Snooze { until }
            .apply(&page(Class::Page), Actor::by("alice"), t(0))
            .expect("snoozes");
        assert_eq!(kinds(&snoozed), ["acknowledged", "snoozed"]);
        assert_eq!(snoozed.page.snoozed_until, Some(until));
        assert_eq!(
            Response::EndSnooze.apply(&snoozed.page, Actor::ENGINE, t(59)),
            None,
            "not due yet"
        );
        let ended = Response::EndSnooze
            .apply(&snoozed.page, Actor::ENGINE, t(61))
            .expect("ends");
        assert_eq!(ended.page.state, PageState::Triggered);
        assert_eq!(ended.page.snoozed_until, None);
        assert_eq!(ended.page.acknowledged_by, None);
        assert_eq!(kinds(&ended), ["snooze_ended"]);
    }

    #[test]
    fn tickets_refuse_acknowledgement_but_resolve() {
        let ticket = page(Class::Ticket);
        for response in [
            Response::Acknowledge,
            Response::Unacknowledge,
            Response::Snooze { until: t(60) },
        ] {
            assert!(response.refusal(&ticket).is_some(), "{response:?}");
            assert_eq!(response.apply(&ticket, Actor::by("alice"), t(1)), None);
        }
        let resolved = Response::Resolve
            .apply(&ticket, Actor::by("alice"), t(1))
            .expect("resolves");
        assert_eq!(resolved.page.state, PageState::Resolved);
        assert_eq!(
            Response::Resolve.apply(&resolved.page, Actor::ENGINE, t(2)),
            None
        );
        assert!(
            Response::Reassign { to: "bob".into() }
                .refusal(&resolved.page)
                .is_some()
        );
        assert!(
            Response::Note { text: "why".into() }
                .apply(&resolved.page, Actor::by("alice"), t(3))
                .is_some(),
            "notes go on resolved pages too"
        );
    }

    #[test]
    fn reassigning_an_acknowledged_page_triggers_it_for_the_new_assignee() {
        let acked = Response::Acknowledge
            .apply(&page(Class::Page), Actor::by("alice"), t(1))
            .expect("acks")
            .page;
        let to_bob = Response::Reassign { to: "bob".into() }
            .apply(&acked, Actor::by("alice"), t(2))
            .expect("reassigns");
        assert_eq!(to_bob.page.state, PageState::Triggered);
        assert_eq!(to_bob.page.assigned_to.as_deref(), Some("bob"));
        assert_eq!(to_bob.events[0].detail["to"], "bob");
        assert_eq!(
            Response::Reassign { to: "bob".into() }.apply(&to_bob.page, Actor::by("carol"), t(3)),
            None
        );
    }
}
