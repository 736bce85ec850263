//! Planning: from timeline events and notices to notifications in the
//! outbox, each with its destination and its words.

use super::Opened;
use crate::action_links::{Key, KeyCache, LinkAction, claims, offers};
use jiff::{SignedDuration, Timestamp};
use pagerbound_config::Config;
use pagerbound_core::id::uuid_v4;
use pagerbound_core::notify::recipients::{Addressed, destinations};
use pagerbound_core::notify::{AlertSummary, Destination, Links, Message, PageSummary, Subject};
use pagerbound_core::routing::Class;
use pagerbound_core::{Urgency, User};
use pagerbound_store::{
    NewNotification, Notice, Notification, Page, PageEvent, Source, Store, StoreError, StoredAlert,
    UnplannedEvent,
};
use std::borrow::Cow;
use std::collections::HashMap;
use url::Url;

/// Events and notices taken per round.
const BATCH: u32 = 200;
/// A message lists at most this many alerts; the page holds them all.
const MAX_ALERTS: usize = 50;

/// The notice kind recorded when a notification finally fails.
pub(crate) const DELIVERY_FAILED: &str = "delivery_failed";

/// What a timeline event is called in a message, for the events people are
/// told of. Notes, feedback and snoozes stay on the timeline.
fn news(kind: &str) -> Option<&'static str> {
    Some(match kind {
        "opened" => "triggered",
        "alerts_changed" => "alerts_changed",
        "repeated" => "repeated",
        "acknowledged" => "acknowledged",
        "unacknowledged" => "unacknowledged",
        "resolved" => "resolved",
        "reassigned" => "reassigned",
        "snooze_ended" => "snooze_ended",
        "escalated" => "escalated",
        _ => return None,
    })
}

/// Why an event makes moot what waits for its page to stay
/// unacknowledged, if it does.
fn moot(event: &PageEvent) -> Option<String> {
    let what = match event.kind.as_str() {
        "acknowledged" => "acknowledged",
        "resolved" => "resolved",
        _ => return None,
    };
    Some(match event.detail["by"].as_str() {
        Some(by) => format!("cancelled: {what} by {by}"),
        None => format!("cancelled: {what}"),
    })
}

/// When a page event's or notice's notifications are due.
struct Due {
    /// When the event happened: later contact methods count from it.
    announced: Timestamp,
    now: Timestamp,
    /// A ticket opened outside support hours waits for them to begin.
    held_until: Option<Timestamp>,
}

impl Due {
    fn of(config: &Config, page: &Page, event: &PageEvent, now: Timestamp) -> Due {
        let held_until = config
            .services
            .get(&page.service)
            .filter(|service| service.hold_tickets && page.class == Class::Ticket)
            .and_then(|service| service.support_hours.as_ref()?.next_opening(now))
            .filter(|opening| *opening > now);
        Due {
            announced: event.at,
            now,
            held_until,
        }
    }

    /// Everything at once: notices.
    fn at_once(now: Timestamp) -> Due {
        Due {
            announced: now,
            now,
            held_until: None,
        }
    }

    /// The notification of `source` to `to`, due as this says; one with a
    /// delay waits for the page to stay unacknowledged.
    fn notification(
        &self,
        source: Source,
        page_id: Option<i64>,
        to: Addressed,
        message: Message,
    ) -> NewNotification {
        NewNotification {
            key: uuid_v4(rand::random()),
            source,
            page_id,
            destination: to.destination,
            message,
            created_at: self.now,
            due_at: self.at(to.after),
            until_acknowledged: !to.after.is_zero(),
        }
    }

    /// Due `after` the announcement (at once for no delay; a planner that
    /// is late sends what is overdue at once), and never before a held
    /// ticket's support hours.
    fn at(&self, after: SignedDuration) -> Timestamp {
        let paced = if after.is_zero() {
            self.now
        } else {
            self.announced.checked_add(after).unwrap_or(self.now)
        };
        self.held_until.map_or(paced, |held| held.max(paced))
    }
}

/// What a planning round took in.
#[derive(Debug, Default)]
pub(super) struct Planned {
    /// Escalations started (or started over): their first step is due.
    pub escalations: usize,
    /// What was due once the last batch was planned, read in the same
    /// trip; `None` when nothing was planned.
    pub due: Option<Vec<Notification>>,
}

/// What the notifier was told since it last planned.
pub(super) struct Told {
    /// Whether the store holds unplanned events or notices it was not
    /// told of in full.
    pub unread: bool,
    /// Pages the engine opened, as it stored them.
    pub opened: Vec<Opened>,
}

impl Told {
    /// Read what the store holds unplanned.
    pub fn unread() -> Told {
        Told {
            unread: true,
            opened: Vec::new(),
        }
    }
}

/// Plans everything unplanned. An event may start an escalation rather
/// than notify. When all there is to plan is pages the engine opened and
/// handed over, nothing is read: this is the path from alert to person.
pub(super) async fn plan_all(
    store: &dyn Store,
    config: &Config,
    keys: &KeyCache,
    told: Told,
    now: Timestamp,
) -> Result<Planned, StoreError> {
    let planner = Planner {
        store,
        config,
        keys,
        now,
        opened: told
            .opened
            .iter()
            .map(|opened| (opened.page.opened.id, opened))
            .collect(),
    };
    let mut planned = Planned::default();
    if !told.unread {
        let events: Vec<UnplannedEvent> =
            told.opened.iter().map(|o| o.page.opened.clone()).collect();
        if !events.is_empty() {
            planner.plan(&events, &[], &mut planned).await?;
        }
        return Ok(planned);
    }
    loop {
        // Two readers at once.
        let (events, notices) = tokio::try_join!(
            store.unplanned_page_events(BATCH),
            store.unplanned_notices(BATCH)
        )?;
        if events.is_empty() && notices.is_empty() {
            return Ok(planned);
        }
        planner.plan(&events, &notices, &mut planned).await?;
        // A batch that was not full left nothing behind: no need to ask
        // again (what arrives meanwhile wakes the next round).
        if events.len() < BATCH as usize && notices.len() < BATCH as usize {
            return Ok(planned);
        }
    }
}

struct Planner<'a> {
    store: &'a dyn Store,
    config: &'a Config,
    keys: &'a KeyCache,
    now: Timestamp,
    /// Pages the engine opened, by their `opened` event.
    opened: HashMap<i64, &'a Opened>,
}

impl Planner<'_> {
    /// Plans a batch of events and notices into the outbox, and marks them
    /// planned.
    async fn plan(
        &self,
        events: &[UnplannedEvent],
        notices: &[Notice],
        planned: &mut Planned,
    ) -> Result<(), StoreError> {
        let now = self.now;
        let mut notifications: Vec<NewNotification> = Vec::new();
        for event in events {
            // What waits for the page to stay unacknowledged is moot now:
            // what this batch planned before, and what earlier ones stored.
            if let Some(reason) = moot(&event.event) {
                notifications
                    .retain(|n| !(n.page_id == Some(event.page_id) && n.until_acknowledged));
                self.store
                    .cancel_notifications(event.page_id, &reason, now)
                    .await?;
            }
            let Some(name) = news(&event.event.kind) else {
                continue;
            };
            let Some((page, alerts)) = self.page_of(event).await? else {
                // A page purged since has nobody left to tell.
                continue;
            };
            let escalated = event.event.kind == super::escalate::ESCALATED;
            let policy = escalation_policy(self.config, &page);
            if let Some(policy) = policy {
                // The escalation announces the page, step by step; an
                // unacknowledged page starts it over.
                let restart = match event.event.kind.as_str() {
                    "opened" => Some(false),
                    "unacknowledged" | "snooze_ended" => Some(true),
                    _ => None,
                };
                if let Some(restart) = restart {
                    let at = if restart { now } else { event.event.at };
                    self.store
                        .start_escalation(page.id, &policy.name, at, restart)
                        .await?;
                    planned.escalations += 1;
                    continue;
                }
            }
            // A step tells whom it named; the rest of an escalating page's
            // news goes to everyone told so far; without a policy, to the
            // whole owning team.
            let people: Vec<&User> = if escalated {
                let notified = named(&event.event.detail["notified"]);
                // An empty step is on the timeline with its reason; there
                // is nobody to tell.
                if notified.is_empty() {
                    continue;
                }
                users(self.config, notified)
            } else if policy.is_some() {
                users(self.config, told_so_far(self.store, &page).await?)
            } else {
                responders(self.config, &page.service)
            };
            let message = page_message(self.config, &page, &alerts, name, &event.event, now);
            // A service's channel hears of a page once, at its first
            // step, not at every step of every round.
            let first_step = event.event.detail["step"] == 1 && event.event.detail["round"] == 1;
            let service = self
                .config
                .services
                .get(&page.service)
                .filter(|_| !escalated || first_step);
            let due = Due::of(self.config, &page, &event.event, now);
            let source = Source::PageEvent(event.id);
            for to in destinations(&message, service, &people, &self.config.channels) {
                let mut message = message.clone();
                if offers(&page, LinkAction::Resolve) {
                    message.links = action_links(
                        self.config,
                        self.keys.get(self.store).await?,
                        &page,
                        to.destination.user.as_deref(),
                        message.links,
                        now,
                    );
                }
                notifications.push(due.notification(source, Some(page.id), to, message));
            }
            // Shadows observe: a marked copy, with no links that act.
            if escalated {
                for copy in event.event.detail["shadows"]
                    .as_array()
                    .into_iter()
                    .flatten()
                {
                    let (Some(user), Some(shadowing)) = (
                        copy["user"].as_str().and_then(|u| self.config.users.get(u)),
                        copy["shadowing"].as_str(),
                    ) else {
                        continue;
                    };
                    let mut message = message.clone();
                    message.shadow_of = Some(shadowing.to_owned());
                    for to in destinations(&message, None, &[user], &self.config.channels) {
                        notifications.push(due.notification(
                            source,
                            Some(page.id),
                            to,
                            message.clone(),
                        ));
                    }
                }
            }
        }
        let at_once = Due::at_once(now);
        for notice in notices {
            let message = notice_message(self.config, notice);
            for to in notice_destinations(self.config, notice, &message) {
                let source = Source::Notice(notice.id);
                notifications.push(at_once.notification(source, None, to, message.clone()));
            }
        }
        let event_ids: Vec<i64> = events.iter().map(|e| e.id).collect();
        let notice_ids: Vec<i64> = notices.iter().map(|n| n.id).collect();
        let due = self
            .store
            .plan_then_due(
                &notifications,
                &event_ids,
                &notice_ids,
                now,
                super::dispatch::DUE_LIMIT,
            )
            .await?;
        planned.due = Some(due);
        Ok(())
    }

    /// The page an event is about, and its alerts: as the engine handed
    /// them over when the event opened the page (borrowed, not copied),
    /// else read (at once, on two readers). `None` for a page purged since.
    async fn page_of(
        &self,
        event: &UnplannedEvent,
    ) -> Result<Option<(Cow<'_, Page>, Cow<'_, [StoredAlert]>)>, StoreError> {
        if let Some(opened) = self.opened.get(&event.id) {
            return Ok(Some((
                Cow::Borrowed(&opened.page.page),
                Cow::Borrowed(&opened.alerts),
            )));
        }
        let (page, alerts) = tokio::try_join!(
            self.store.page(event.page_id),
            self.store.page_alerts(event.page_id)
        )?;
        Ok(page.map(|page| (Cow::Owned(page), Cow::Owned(alerts))))
    }
}

/// The escalation policy a page follows: its service's, for pages (tickets
/// wait for office hours and never escalate).
fn escalation_policy<'c>(
    config: &'c Config,
    page: &Page,
) -> Option<&'c pagerbound_core::escalation::EscalationPolicy> {
    if page.class != Class::Page {
        return None;
    }
    let name = config
        .services
        .get(&page.service)?
        .escalation_policy
        .as_ref()?;
    config.escalation_policies.get(name)
}

/// The user names in a JSON array.
fn named(value: &serde_json::Value) -> Vec<String> {
    value
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|v| v.as_str().map(str::to_owned))
        .collect()
}

/// The configured users among `names`.
fn users(config: &Config, names: Vec<String>) -> Vec<&User> {
    names
        .iter()
        .filter_map(|name| config.users.get(name))
        .collect()
}

/// Everyone the page's escalation has notified so far, and whoever it was
/// reassigned to: the people who hear how the page goes on.
async fn told_so_far(store: &dyn Store, page: &Page) -> Result<Vec<String>, StoreError> {
    let mut told: Vec<String> = Vec::new();
    for event in store.page_events(page.id).await? {
        let names = match event.kind.as_str() {
            super::escalate::ESCALATED => named(&event.detail["notified"]),
            "reassigned" => named(&serde_json::json!([event.detail["to"]])),
            _ => continue,
        };
        for name in names {
            if !told.contains(&name) {
                told.push(name);
            }
        }
    }
    Ok(told)
}

/// The people who answer for a service: the members of the team that owns
/// it (the default escalation: notify the whole owning team).
fn responders<'c>(config: &'c Config, service: &str) -> Vec<&'c User> {
    let Some(team) = config
        .services
        .get(service)
        .and_then(|s| config.teams.get(&s.team))
    else {
        return Vec::new();
    };
    team.members
        .iter()
        .filter_map(|name| config.users.get(name))
        .collect()
}

fn page_message(
    config: &Config,
    page: &Page,
    alerts: &[pagerbound_store::StoredAlert],
    event: &str,
    happened: &PageEvent,
    now: Timestamp,
) -> Message {
    let mut summaries: Vec<AlertSummary> = alerts
        .iter()
        .map(|a| AlertSummary {
            labels: a.labels.clone(),
            annotations: a.annotations.clone(),
            starts_at: a.starts_at,
            ends_at: a.ends_at,
            generator_url: a.generator_url.clone(),
            firing: a.is_firing(now),
        })
        .collect();
    // Firing first, then by when they started: what needs eyes comes first.
    summaries.sort_by_key(|a| (!a.firing, a.starts_at));
    summaries.truncate(MAX_ALERTS);
    let service = config.services.get(&page.service);
    Message {
        subject: if page.class == Class::Ticket {
            Subject::Ticket
        } else {
            Subject::Page
        },
        event: event.to_owned(),
        title: page.title.clone(),
        service: page.service.clone(),
        actor: happened.detail["by"].as_str().map(str::to_owned),
        page: Some(PageSummary {
            id: page.id,
            state: page.state.as_str().to_owned(),
            route: page.route.clone(),
            created_at: page.created_at,
            alert_count: page.alert_count,
        }),
        alerts: summaries,
        text: None,
        runbook: service.and_then(|s| s.runbook.clone()),
        links: Links {
            view: view_link(&config.settings.external_url, page),
            acknowledge: None,
            resolve: None,
        },
        shadow_of: None,
        low_urgency: page_urgency(config, page) == Urgency::Low,
        drill: pagerbound_core::drill::drill_id(&page.group_labels).is_some(),
        at: happened.at,
    }
}

/// A page's urgency: its service's rule, judged when the page opened, so
/// that a page does not change urgency while it is open.
pub(super) fn page_urgency(config: &Config, page: &Page) -> Urgency {
    config
        .services
        .get(&page.service)
        .map_or(Urgency::High, |s| s.urgency_at(page.created_at))
}

/// The links that act on a page, signed for one destination's user: each
/// acts once, for that person, within a day. Acknowledge only while the
/// page is triggered; tickets are never acknowledged.
fn action_links(
    config: &Config,
    key: &Key,
    page: &Page,
    user: Option<&str>,
    links: Links,
    now: Timestamp,
) -> Links {
    let base = &config.settings.external_url;
    let link = |action| key.link(base, &claims(page.id, action, user, now));
    Links {
        acknowledge: (page.class == Class::Page && offers(page, LinkAction::Acknowledge))
            .then(|| link(LinkAction::Acknowledge))
            .flatten(),
        resolve: offers(page, LinkAction::Resolve)
            .then(|| link(LinkAction::Resolve))
            .flatten(),
        ..links
    }
}

/// Where a page can be looked at.
fn view_link(external_url: &Url, page: &Page) -> Option<Url> {
    let collection = if page.class == Class::Ticket {
        "tickets"
    } else {
        "pages"
    };
    external_url
        .join(&format!("api/v1/{collection}/{}", page.id))
        .ok()
}

fn notice_message(config: &Config, notice: &Notice) -> Message {
    let title = match notice.kind.as_str() {
        DELIVERY_FAILED => "A notification could not be delivered".to_owned(),
        "maintenance_ending" => "Maintenance ends while alerts still fire".to_owned(),
        super::handoff::HANDOFF => "Handoff: you are on call now".to_owned(),
        other => other.replace('_', " "),
    };
    Message {
        subject: Subject::Notice,
        event: notice.kind.clone(),
        title,
        service: notice.service.clone(),
        actor: None,
        page: None,
        alerts: Vec::new(),
        text: Some(notice.message.clone()),
        runbook: config
            .services
            .get(&notice.service)
            .and_then(|s| s.runbook.clone()),
        links: Links::default(),
        shadow_of: None,
        low_urgency: false,
        drill: false,
        at: notice.at,
    }
}

/// A delivery failure goes to the fallback channel when there is one; other
/// notices (and failures without one) to the service's channel or team.
fn notice_destinations(config: &Config, notice: &Notice, message: &Message) -> Vec<Addressed> {
    if notice.kind == DELIVERY_FAILED
        && let Some(fallback) = &config.settings.notifications.fallback_channel
        && config.channels.contains_key(fallback)
    {
        return vec![Addressed::now(Destination::channel(fallback))];
    }
    if let Some(recipient) = &notice.recipient {
        let person: Vec<&User> = config.users.get(recipient).into_iter().collect();
        return destinations(message, None, &person, &config.channels);
    }
    let people = responders(config, &notice.service);
    destinations(
        message,
        config.services.get(&notice.service),
        &people,
        &config.channels,
    )
}
