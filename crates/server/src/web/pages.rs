//! Pages and tickets: a list with filters, and each one with its alerts,
//! notification log, timeline and feedback, and the buttons to respond.
//!
//! Every button is one form post. Without JavaScript the answer is a
//! redirect back to the page (so a reload does not post again); with htmx
//! the answer is the updated page itself, swapped in place.

use super::error::WebResult;
use super::session::{SignedIn, WebForm, from_htmx};
use super::templates::{Chrome, Frame, framed, html};
use crate::alert_status::{AlertStatus, StatusContext};
use crate::api::respond::{
    Action, PAGE_ACTIONS, TICKET_ACTIONS, feedback_of, note_of, perform, reassign_to, snooze_for,
};
use crate::auth::need;
use crate::error::ApiError;
use crate::state::AppState;
use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::HeaderMap;
use axum::http::StatusCode;
use axum::http::header::LOCATION;
use axum::response::{IntoResponse, Response};
use jiff::Timestamp;
use pagerbound_core::routing::Class;
use pagerbound_store::{
    NotActionableReason, Notification, NotificationFilter, Page, PageEvent, PageFeedback,
    PageFilter, PageState, Response as PageResponse, StoredAlert,
};
use serde::Deserialize;

/// The most pages a list shows.
const LIST_LIMIT: u32 = 200;
/// The notifications a page's log shows at most.
const LOG_LIMIT: u32 = 500;

// ---- the list ----------------------------------------------------------

#[derive(Debug, Default, Deserialize)]
pub struct ListQuery {
    /// `open` (the default), `triggered`, `acknowledged`, `resolved` or
    /// `all`.
    state: Option<String>,
    /// `page`, `ticket` or empty for both.
    class: Option<String>,
    service: Option<String>,
    /// `1`: only the person's own.
    mine: Option<String>,
    /// How far back: `24h`, `7d`, `30d`, or empty for any time.
    since: Option<String>,
}

#[derive(Template)]
#[template(path = "pages.html")]
struct ListPage {
    chrome: Option<Chrome>,
    pages: Vec<Page>,
    state: String,
    class: String,
    service: String,
    mine: bool,
    since: String,
    services: Vec<String>,
    limit: u32,
}

framed!(ListPage);

/// `GET /pages`.
pub async fn list(
    State(state): State<AppState>,
    signed_in: SignedIn,
    Query(query): Query<ListQuery>,
) -> WebResult<Response> {
    let now = crate::clock::now();
    let state_filter = query.state.clone().unwrap_or_else(|| "open".to_owned());
    let states = match state_filter.as_str() {
        "open" => vec![
            PageState::Triggered,
            PageState::Acknowledged,
            PageState::Open,
        ],
        "all" => Vec::new(),
        other => vec![PageState::parse(other).ok_or_else(|| {
            ApiError::bad_request(format!(
                "unknown state `{other}`: use open, triggered, acknowledged, resolved or all"
            ))
        })?],
    };
    let class = match query.class.as_deref().unwrap_or("") {
        "" => None,
        "page" => Some(Class::Page),
        "ticket" => Some(Class::Ticket),
        other => {
            return Err(ApiError::bad_request(format!(
                "unknown class `{other}`: use page or ticket"
            ))
            .into());
        }
    };
    let since = query.since.clone().unwrap_or_default();
    let from = match since.as_str() {
        "" => None,
        text => {
            let length: pagerbound_core::Duration = text.parse().map_err(|e| {
                ApiError::bad_request(format!("`since`: `{text}` is not a duration ({e})"))
            })?;
            Some(
                now.checked_sub(length.to_signed())
                    .unwrap_or(Timestamp::MIN),
            )
        }
    };
    let service = query.service.clone().unwrap_or_default();
    let mine = query.mine.as_deref() == Some("1");
    let mut pages = state
        .store
        .pages(&PageFilter {
            class,
            states,
            service: (!service.is_empty()).then(|| service.clone()),
            group_key: None,
            from,
            to: None,
            limit: LIST_LIMIT,
        })
        .await?;
    if mine {
        pages.retain(|p| is_mine(p, &signed_in.user));
    }
    let services = state
        .config
        .current()
        .config
        .services
        .keys()
        .cloned()
        .collect();
    Ok(html(&ListPage {
        chrome: Some(Chrome::new(&state, &signed_in, "pages")),
        pages,
        state: state_filter,
        class: query.class.unwrap_or_default(),
        service,
        mine,
        since,
        services,
        limit: LIST_LIMIT,
    }))
}

/// Whether `page` is the person's own: assigned to them, or acknowledged
/// by them.
pub fn is_mine(page: &Page, user: &str) -> bool {
    page.assigned_to.as_deref() == Some(user) || page.acknowledged_by.as_deref() == Some(user)
}

// ---- one page ----------------------------------------------------------

pub struct AlertView {
    pub alert: StoredAlert,
    pub firing: bool,
    pub status: AlertStatus,
}

#[derive(Template)]
#[template(path = "page.html")]
struct DetailPage {
    chrome: Option<Chrome>,
    now: Timestamp,
    page: Page,
    alerts: Vec<AlertView>,
    runbook: Option<String>,
    notifications: Vec<Notification>,
    timeline: Vec<PageEvent>,
    feedback: Option<PageFeedback>,
    users: Vec<String>,
    reasons: [NotActionableReason; 6],
    actions: &'static [&'static str],
}

framed!(DetailPage);

impl DetailPage {
    /// Whether `action` is offered: the class has it, and it would change
    /// something now.
    fn offers(&self, action: &str) -> bool {
        if !self.actions.contains(&action) {
            return false;
        }
        let actor = pagerbound_store::Actor::by("");
        match action {
            "ack" => PageResponse::Acknowledge
                .apply(&self.page, actor, self.now)
                .is_some(),
            "unack" => PageResponse::Unacknowledge
                .apply(&self.page, actor, self.now)
                .is_some(),
            "resolve" => PageResponse::Resolve
                .apply(&self.page, actor, self.now)
                .is_some(),
            "snooze" | "reassign" => self.page.state != PageState::Resolved,
            _ => true,
        }
    }

    /// Who did it, from an event's detail.
    fn by(&self, event: &PageEvent) -> String {
        event.detail["by"].as_str().unwrap_or("").to_owned()
    }

    /// What an event says beyond its kind: a note's text, a snooze's end,
    /// a reassignment's target.
    fn said(&self, event: &PageEvent) -> String {
        let detail = &event.detail;
        for key in ["text", "to", "reason"] {
            if let Some(text) = detail[key].as_str() {
                return text.to_owned();
            }
        }
        if let Some(until) = detail["until"].as_str() {
            return format!("until {until}");
        }
        String::new()
    }
}

/// `GET /pages/{id}`.
pub async fn show(
    State(state): State<AppState>,
    signed_in: SignedIn,
    Path(id): Path<i64>,
) -> WebResult<Response> {
    detail(&state, &Chrome::new(&state, &signed_in, "pages"), id).await
}

async fn detail(state: &AppState, chrome: &Chrome, id: i64) -> WebResult<Response> {
    let page = state
        .store
        .page(id)
        .await?
        .ok_or_else(|| ApiError::not_found(format!("there is no page or ticket {id}")))?;
    let now = crate::clock::now();
    let stored = state.store.page_alerts(id).await?;
    let context = StatusContext::load(state, &stored, now).await?;
    let alerts = stored
        .into_iter()
        .map(|alert| AlertView {
            firing: alert.is_firing(now),
            status: context.status(&alert),
            alert,
        })
        .collect::<Vec<_>>();
    let config = context.config();
    // The alert's own runbook first: it is the most specific.
    let runbook = alerts
        .iter()
        .find_map(|a| {
            a.alert
                .annotations
                .get("runbook_url")
                .or_else(|| a.alert.annotations.get("runbook"))
                .map(str::to_owned)
        })
        .or_else(|| {
            config
                .services
                .get(&page.service)
                .and_then(|s| s.runbook.as_ref().map(|u| u.to_string()))
        });
    let users = config.users.keys().cloned().collect();
    let notifications = state
        .store
        .notifications(&NotificationFilter {
            page_id: Some(id),
            states: Vec::new(),
            limit: LOG_LIMIT,
        })
        .await?;
    let timeline = state.store.page_events(id).await?;
    let feedback = state.store.page_feedback(id).await?;
    let actions: &'static [&'static str] = if page.class == Class::Page {
        &PAGE_ACTIONS
    } else {
        &TICKET_ACTIONS
    };
    Ok(html(&DetailPage {
        chrome: Some(chrome.clone()),
        now,
        page,
        alerts,
        runbook,
        notifications,
        timeline,
        feedback,
        users,
        reasons: NotActionableReason::ALL,
        actions,
    }))
}

// ---- responding --------------------------------------------------------

/// Every field any action's form may carry.
#[derive(Debug, Deserialize)]
pub struct ActionForm {
    /// Snooze length.
    #[serde(rename = "for")]
    length: Option<String>,
    /// A note, or feedback's text.
    text: Option<String>,
    /// Reassign to.
    to: Option<String>,
    /// Feedback: `yes` or `no`.
    actionable: Option<String>,
    reason: Option<String>,
}

fn required(value: Option<String>, field: &str) -> Result<String, ApiError> {
    value
        .filter(|v| !v.trim().is_empty())
        .ok_or_else(|| ApiError::bad_request(format!("`{field}` is required")))
}

/// `POST /pages/{id}/{action}`.
pub async fn act(
    State(state): State<AppState>,
    Path((id, action)): Path<(i64, String)>,
    headers: HeaderMap,
    WebForm { signed_in, form }: WebForm<need::Responder, ActionForm>,
) -> WebResult<Response> {
    let now = crate::clock::now();
    if !PAGE_ACTIONS.contains(&action.as_str()) {
        return Err(ApiError::not_found(format!("there is no action `{action}`")).into());
    }
    let action = match action.as_str() {
        "ack" => Action::respond(PageResponse::Acknowledge),
        "unack" => Action::respond(PageResponse::Unacknowledge),
        "resolve" => Action::respond(PageResponse::Resolve),
        "snooze" => Action::respond(snooze_for(&required(form.length, "for")?, now)?),
        "note" => Action::respond(note_of(&required(form.text, "text")?)?),
        "reassign" => Action::respond(reassign_to(&state, required(form.to, "to")?)?),
        _ => {
            let actionable = match required(form.actionable, "actionable")?.as_str() {
                "yes" => true,
                "no" => false,
                other => {
                    return Err(ApiError::bad_request(format!(
                        "`actionable` is yes or no, not `{other}`"
                    ))
                    .into());
                }
            };
            let reason = form.reason.filter(|r| !r.is_empty() && !actionable);
            Action::Feedback(feedback_of(actionable, reason, form.text)?)
        }
    };
    perform(&state, &signed_in.user, id, action, now).await?;
    if from_htmx(&headers) {
        let chrome = Chrome::new(&state, &signed_in, "pages");
        let mut response = detail(&state, &chrome, id).await?;
        // The address bar shows the page, not the action.
        if let Ok(url) = format!("/pages/{id}").parse() {
            response.headers_mut().insert("hx-replace-url", url);
        }
        return Ok(response);
    }
    Ok((StatusCode::SEE_OTHER, [(LOCATION, format!("/pages/{id}"))]).into_response())
}
