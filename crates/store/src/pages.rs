//! Pages and tickets: what an alert group of class page or ticket opens.
//! A page goes triggered → acknowledged → resolved; a ticket open →
//! resolved. Each keeps its alerts and a timeline of events.

use crate::{Result, StoredAlert, UnplannedEvent};
use async_trait::async_trait;
use jiff::Timestamp;
use pagerbound_core::alert::Labels;
use pagerbound_core::routing::Class;
use serde::Serialize;
use std::fmt;

pub use crate::response::{Actor, Response};

/// Where a page or ticket is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum PageState {
    /// A page nobody has acknowledged yet.
    Triggered,
    /// A page someone is working on.
    Acknowledged,
    /// A ticket waiting for someone.
    Open,
    Resolved,
}

impl PageState {
    pub fn as_str(self) -> &'static str {
        match self {
            PageState::Triggered => "triggered",
            PageState::Acknowledged => "acknowledged",
            PageState::Open => "open",
            PageState::Resolved => "resolved",
        }
    }

    pub fn parse(text: &str) -> Option<PageState> {
        [
            PageState::Triggered,
            PageState::Acknowledged,
            PageState::Open,
            PageState::Resolved,
        ]
        .into_iter()
        .find(|s| s.as_str() == text)
    }

    /// The state a new page or ticket starts in.
    pub fn initial(class: Class) -> PageState {
        if class == Class::Page {
            PageState::Triggered
        } else {
            PageState::Open
        }
    }
}

impl fmt::Display for PageState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A page or ticket.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Page {
    pub id: i64,
    /// `page` or `ticket`.
    pub class: Class,
    pub state: PageState,
    pub service: String,
    pub route: String,
    pub group_key: String,
    pub group_labels: Labels,
    pub title: String,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
    pub acknowledged_at: Option<Timestamp>,
    pub acknowledged_by: Option<String>,
    pub resolved_at: Option<Timestamp>,
    /// Who resolved it; `None` when its alerts resolved.
    pub resolved_by: Option<String>,
    /// How many alerts it has had.
    pub alert_count: i64,
    /// While acknowledged with a snooze: when it goes back to triggered
    /// (if its alerts still fire).
    pub snoozed_until: Option<Timestamp>,
    /// The user it was reassigned to; `None` while it belongs to the
    /// owning team as a whole.
    pub assigned_to: Option<String>,
}

/// A page about to be opened.
#[derive(Debug, Clone)]
pub struct NewPage {
    pub class: Class,
    pub service: String,
    pub route: String,
    pub group_key: String,
    pub group_labels: Labels,
    pub title: String,
    pub at: Timestamp,
    pub alert_ids: Vec<i64>,
}

impl NewPage {
    /// The event that opens the page, on its timeline.
    pub fn opened_event(&self) -> PageEvent {
        PageEvent {
            at: self.at,
            kind: "opened".to_owned(),
            detail: serde_json::json!({ "alerts": self.alert_ids.len() }),
        }
    }
}

/// A page just opened, with its `opened` event: what the notifier plans
/// from, handed to it without reading it back.
#[derive(Debug, Clone)]
pub struct OpenedPage {
    pub page: Page,
    pub opened: UnplannedEvent,
}

/// One entry of a page's timeline.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PageEvent {
    pub at: Timestamp,
    /// `opened`, `alerts_changed`, `repeated`, `acknowledged`,
    /// `unacknowledged`, `snoozed`, `snooze_ended`, `note`, `reassigned`,
    /// `feedback`, `resolved`. Actions people take carry `{"by": name}`.
    pub kind: String,
    pub detail: serde_json::Value,
}

/// Which pages to list.
#[derive(Debug, Clone, Default)]
pub struct PageFilter {
    pub class: Option<Class>,
    pub states: Vec<PageState>,
    pub service: Option<String>,
    pub group_key: Option<String>,
    /// Created at or after.
    pub from: Option<Timestamp>,
    /// Created before.
    pub to: Option<Timestamp>,
    pub limit: u32,
}

#[async_trait]
pub trait Pages {
    /// Opens a page or ticket with its first alerts and an `opened` event.
    async fn open_page(&self, page: &NewPage) -> Result<OpenedPage>;

    /// Adds alerts (those not there yet) and an event to the timeline.
    async fn add_page_alerts(&self, id: i64, alert_ids: &[i64], event: &PageEvent) -> Result<()>;

    /// Adds an event to the timeline.
    async fn add_page_event(&self, id: i64, event: &PageEvent) -> Result<()>;

    /// Acknowledges a triggered page. `None` if there is no such page;
    /// acknowledging an acknowledged or resolved page changes nothing.
    async fn acknowledge_page(&self, id: i64, by: &str, at: Timestamp) -> Result<Option<Page>> {
        self.respond(id, &Response::Acknowledge, Actor::by(by), at)
            .await
    }

    /// Resolves a page or ticket (`by` is `None` when its alerts
    /// resolved). Resolving a resolved page changes nothing.
    async fn resolve_page(&self, id: i64, by: Option<&str>, at: Timestamp) -> Result<Option<Page>> {
        let actor = by.map_or(Actor::ENGINE, Actor::by);
        self.respond(id, &Response::Resolve, actor, at).await
    }

    /// Applies a response (see [`Response::apply`]) and records its
    /// timeline events, atomically. `None` if there is no such page; a
    /// response that changes nothing records nothing.
    async fn respond(
        &self,
        id: i64,
        response: &Response,
        actor: Actor<'_>,
        at: Timestamp,
    ) -> Result<Option<Page>>;

    /// Snoozed pages whose snooze ended at or before `now`.
    async fn ended_snoozes(&self, now: Timestamp) -> Result<Vec<Page>>;

    async fn page(&self, id: i64) -> Result<Option<Page>>;

    /// Pages and tickets matching the filter, newest first.
    async fn pages(&self, filter: &PageFilter) -> Result<Vec<Page>>;

    /// The alert occurrences a page holds, by id: one query, as the
    /// notification path reads them for every page it announces.
    async fn page_alerts(&self, id: i64) -> Result<Vec<StoredAlert>>;

    /// The timeline of a page, oldest first.
    async fn page_events(&self, id: i64) -> Result<Vec<PageEvent>>;

    /// Unresolved pages and tickets that hold this alert occurrence.
    async fn open_pages_with_alert(&self, alert_id: i64) -> Result<Vec<Page>> {
        Ok(self
            .open_pages_with_alerts(&[alert_id])
            .await?
            .into_iter()
            .map(|(_, page)| page)
            .collect())
    }

    /// Unresolved pages and tickets that hold any of these alert
    /// occurrences, each beside the occurrence's id (a page that holds
    /// several is there once for each), by occurrence then page.
    async fn open_pages_with_alerts(&self, alert_ids: &[i64]) -> Result<Vec<(i64, Page)>>;
}
