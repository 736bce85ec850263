//! Responding to pages and tickets: `POST /api/v1/pages/{id}/{action}`
//! (ack, unack, resolve, snooze, note, reassign, feedback) and
//! `POST /api/v1/tickets/{id}/{action}` (resolve, note, reassign,
//! feedback). Each answers with the page as `GET` shows it.
//!
//! Every action is idempotent: repeating one that already took effect
//! answers 200 and changes nothing. One that makes no sense for the page
//! (ack a ticket, snooze a resolved page) answers 409.

use super::pages::describe;
use crate::auth::{Auth, need};
use crate::error::{ApiError, ApiResult};
use crate::extract::{JsonBytes, Path, parse_json};
use crate::state::AppState;
use axum::Json;
use axum::extract::State;
use pagerbound_core::duration::Duration;
use pagerbound_store::{Actor, Feedback, NotActionableReason, Response};
use serde::Deserialize;
use serde::de::DeserializeOwned;
use serde_json::Value;

/// The longest snooze: beyond a week, resolve it or fix the alert.
const MAX_SNOOZE: Duration = Duration::from_secs(7 * 24 * 3600);
/// Notes are for the timeline, not for documents.
const MAX_NOTE: usize = 10_000;

pub(crate) const PAGE_ACTIONS: [&str; 7] = [
    "ack", "unack", "resolve", "snooze", "note", "reassign", "feedback",
];
/// Tickets are not acknowledged: they wait for working hours.
pub(crate) const TICKET_ACTIONS: [&str; 4] = ["resolve", "note", "reassign", "feedback"];

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct Empty {}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct SnoozeBody {
    /// How long: `30m`, `2h`.
    #[serde(rename = "for")]
    length: String,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct NoteBody {
    text: String,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ReassignBody {
    to: String,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct ResolveBody {
    feedback: Option<FeedbackBody>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct FeedbackBody {
    actionable: bool,
    reason: Option<String>,
    text: Option<String>,
}

impl FeedbackBody {
    fn check(self) -> ApiResult<Feedback> {
        let reason = match (self.actionable, self.reason.as_deref()) {
            (true, Some(_)) => {
                return Err(ApiError::bad_request(
                    "an actionable page has no `reason`; leave it out, or set `actionable` to false",
                ));
            }
            (true, None) => None,
            (false, None) => {
                return Err(ApiError::bad_request(format!(
                    "say why it was not actionable: `reason` is one of {}",
                    NotActionableReason::list()
                )));
            }
            (false, Some(text)) => Some(NotActionableReason::parse(text).ok_or_else(|| {
                ApiError::bad_request(format!(
                    "unknown reason `{text}`; use one of {}",
                    NotActionableReason::list()
                ))
            })?),
        };
        let text = self.text.filter(|t| !t.trim().is_empty());
        if text.as_ref().is_some_and(|t| t.len() > MAX_NOTE) {
            return Err(ApiError::bad_request(format!(
                "feedback `text` is longer than {MAX_NOTE} bytes"
            )));
        }
        Ok(Feedback {
            actionable: self.actionable,
            reason,
            text,
        })
    }
}

/// A body that may be empty (no body means `{}`).
fn body<T: DeserializeOwned + Default>(bytes: &[u8]) -> ApiResult<T> {
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Ok(T::default());
    }
    parse_json(bytes)
}

/// `POST /api/v1/pages/{id}/{action}`.
pub(crate) async fn page(
    auth: Auth<need::Responder>,
    State(state): State<AppState>,
    Path((id, action)): Path<(i64, String)>,
    JsonBytes(bytes): JsonBytes,
) -> ApiResult<Json<Value>> {
    if !PAGE_ACTIONS.contains(&action.as_str()) {
        return Err(ApiError::not_found(format!(
            "a page has no action `{action}`; use one of {}",
            PAGE_ACTIONS.join(", ")
        )));
    }
    act(&state, &auth.caller.user, id, &action, &bytes).await
}

/// `POST /api/v1/tickets/{id}/{action}`.
pub(crate) async fn ticket(
    auth: Auth<need::Responder>,
    State(state): State<AppState>,
    Path((id, action)): Path<(i64, String)>,
    JsonBytes(bytes): JsonBytes,
) -> ApiResult<Json<Value>> {
    if !TICKET_ACTIONS.contains(&action.as_str()) {
        return Err(ApiError::not_found(format!(
            "a ticket has no action `{action}`; use one of {}",
            TICKET_ACTIONS.join(", ")
        )));
    }
    act(&state, &auth.caller.user, id, &action, &bytes).await
}

async fn act(
    state: &AppState,
    by: &str,
    id: i64,
    action: &str,
    bytes: &[u8],
) -> ApiResult<Json<Value>> {
    let now = crate::clock::now();
    let action = match action {
        "ack" => body::<Empty>(bytes).map(|_| Action::respond(Response::Acknowledge))?,
        "unack" => body::<Empty>(bytes).map(|_| Action::respond(Response::Unacknowledge))?,
        "resolve" => {
            let resolve: ResolveBody = body(bytes)?;
            Action::Respond {
                response: Response::Resolve,
                feedback: resolve.feedback.map(FeedbackBody::check).transpose()?,
            }
        }
        "snooze" => {
            let snooze: SnoozeBody = parse_json(bytes)?;
            Action::respond(snooze_for(&snooze.length, now)?)
        }
        "note" => {
            let note: NoteBody = parse_json(bytes)?;
            Action::respond(note_of(&note.text)?)
        }
        "reassign" => {
            let reassign: ReassignBody = parse_json(bytes)?;
            Action::respond(reassign_to(state, reassign.to)?)
        }
        "feedback" => {
            let given: FeedbackBody = parse_json(bytes)?;
            Action::Feedback(given.check()?)
        }
        other => {
            return Err(ApiError::not_found(format!("no action `{other}`")));
        }
    };
    perform(state, by, id, action, now).await?;
    describe(state, id).await.map(Json)
}

/// What a person does to a page or ticket, checked and ready to apply;
/// the API and the web UI each build one from what they were sent.
pub(crate) enum Action {
    Respond {
        response: Response,
        /// Given with a resolution.
        feedback: Option<Feedback>,
    },
    Feedback(Feedback),
}

impl Action {
    pub(crate) fn respond(response: Response) -> Self {
        Action::Respond {
            response,
            feedback: None,
        }
    }
}

/// A snooze for `length` (`30m`, `2h`) from `now`.
pub(crate) fn snooze_for(length: &str, now: jiff::Timestamp) -> ApiResult<Response> {
    let parsed: Duration = length.trim().parse().map_err(|e| {
        ApiError::bad_request(format!(
            "`for`: `{length}` is not a duration ({e}); write e.g. 30m or 2h"
        ))
    })?;
    if parsed == Duration::ZERO || parsed > MAX_SNOOZE {
        return Err(ApiError::bad_request(format!(
            "`for` must be more than 0 and at most {MAX_SNOOZE}"
        )));
    }
    Ok(Response::Snooze {
        until: now + parsed.to_signed(),
    })
}

/// A note for the timeline.
pub(crate) fn note_of(text: &str) -> ApiResult<Response> {
    let text = text.trim();
    if text.is_empty() || text.len() > MAX_NOTE {
        return Err(ApiError::bad_request(format!(
            "`text` must not be empty nor longer than {MAX_NOTE} bytes"
        )));
    }
    Ok(Response::Note {
        text: text.to_owned(),
    })
}

/// A reassignment to a configured user.
pub(crate) fn reassign_to(state: &AppState, to: String) -> ApiResult<Response> {
    if !state.config.current().config.users.contains_key(&to) {
        return Err(ApiError::bad_request(format!(
            "`to`: there is no user `{to}` in the configuration"
        )));
    }
    Ok(Response::Reassign { to })
}

/// Feedback on whether a page was actionable.
pub(crate) fn feedback_of(
    actionable: bool,
    reason: Option<String>,
    text: Option<String>,
) -> ApiResult<Feedback> {
    FeedbackBody {
        actionable,
        reason,
        text,
    }
    .check()
}

/// Applies `action` to page `id` by `by`: 404 without such a page, 409 if
/// it makes no sense for the page as it is; then wakes the notifier.
pub(crate) async fn perform(
    state: &AppState,
    by: &str,
    id: i64,
    action: Action,
    now: jiff::Timestamp,
) -> ApiResult<()> {
    let (response, feedback) = match action {
        Action::Feedback(feedback) => {
            state
                .store
                .give_feedback(id, &feedback, by, now)
                .await?
                .ok_or_else(|| no_such(id))?;
            return Ok(());
        }
        Action::Respond { response, feedback } => (response, feedback),
    };
    let page = state.store.page(id).await?.ok_or_else(|| no_such(id))?;
    if let Some(why) = response.refusal(&page) {
        return Err(ApiError::conflict(why));
    }
    state
        .store
        .respond(id, &response, Actor::by(by), now)
        .await?
        .ok_or_else(|| no_such(id))?;
    if let Some(feedback) = feedback {
        state.store.give_feedback(id, &feedback, by, now).await?;
    }
    state.notifier.wake();
    Ok(())
}

fn no_such(id: i64) -> ApiError {
    ApiError::not_found(format!("there is no page or ticket {id}"))
}
