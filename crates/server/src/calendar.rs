//! iCalendar (RFC 5545) feeds of on-call shifts: one per schedule and one
//! per user, so that people see their shifts in the calendar they already
//! use. Calendar apps subscribe by URL and cannot send a bearer token, so
//! each feed's URL carries its own token (see [`Key::feed_token`]).
//!
//! Shifts are written in UTC (`DTSTART:20261123T090000Z`): an instant is
//! unambiguous whatever the zone and its daylight-saving rules, and every
//! calendar shows it in the reader's own zone. `X-WR-TIMEZONE` names the
//! schedule's zone for apps that use it as the feed's default.

use crate::action_links::Key;
use crate::error::{ApiError, ApiResult};
use crate::extract::{Path, Query};
use crate::oncall;
use crate::state::AppState;
use axum::extract::State;
use axum::http::header;
use axum::response::{IntoResponse, Response};
use jiff::{SignedDuration, Timestamp};
use pagerbound_core::schedule::{Schedule, Shift, ShiftSource};
use serde::Deserialize;
use url::Url;

/// How far back a feed reaches: recent shifts stay visible.
const PAST: SignedDuration = SignedDuration::from_hours(30 * 24);
/// How far ahead a feed reaches.
const FUTURE: SignedDuration = SignedDuration::from_hours(180 * 24);

fn schedule_feed(name: &str) -> String {
    format!("schedule:{name}")
}

fn user_feed(name: &str) -> String {
    format!("user:{name}")
}

async fn key(state: &AppState) -> ApiResult<&Key> {
    Ok(state.action_links.get(state.store.as_ref()).await?)
}

fn feed_url(external_url: &Url, path: &str, token: &str) -> Option<String> {
    let mut url = external_url.join(path).ok()?;
    url.query_pairs_mut().append_pair("token", token);
    Some(url.to_string())
}

/// The subscribable URL of a schedule's feed.
pub(crate) async fn schedule_feed_url(state: &AppState, name: &str) -> ApiResult<Option<String>> {
    let token = key(state).await?.feed_token(&schedule_feed(name));
    let running = state.config.current();
    Ok(feed_url(
        &running.config.settings.external_url,
        &format!("api/v1/schedules/{name}/calendar.ics"),
        &token,
    ))
}

/// The subscribable URL of a user's feed.
pub(crate) async fn user_feed_url(state: &AppState, name: &str) -> ApiResult<Option<String>> {
    let token = key(state).await?.feed_token(&user_feed(name));
    let running = state.config.current();
    Ok(feed_url(
        &running.config.settings.external_url,
        &format!("api/v1/users/{name}/oncall.ics"),
        &token,
    ))
}

#[derive(Debug, Deserialize)]
pub(crate) struct FeedQuery {
    token: Option<String>,
}

async fn check_token(state: &AppState, feed: &str, token: Option<&str>) -> ApiResult<()> {
    let valid = match token {
        Some(token) => key(state).await?.verify_feed(feed, token),
        None => false,
    };
    if valid {
        Ok(())
    } else {
        Err(ApiError::forbidden(
            "this feed needs the token from its calendar_url; ask the API for the feed's URL",
        ))
    }
}

/// `GET /api/v1/schedules/{name}/calendar.ics?token=`: every shift of the
/// schedule, gaps included (a gap is worth seeing in a calendar).
pub(crate) async fn schedule_calendar(
    State(state): State<AppState>,
    Path(name): Path<String>,
    Query(query): Query<FeedQuery>,
) -> ApiResult<Response> {
    check_token(&state, &schedule_feed(&name), query.token.as_deref()).await?;
    let running = state.config.current();
    let schedule = crate::api::schedule(&running.config, &name)?;
    let now = crate::clock::now();
    let (from, to) = window(now);
    let shifts = oncall::shifts(state.store.as_ref(), schedule, from, to).await?;
    let events: Vec<Event> = shifts
        .iter()
        .map(|shift| Event::of(schedule, shift))
        .collect();
    Ok(ics_response(render(
        &format!("On call: {}", schedule.name),
        schedule.time_zone.iana_name(),
        &events,
        now,
    )))
}

/// `GET /api/v1/users/{name}/oncall.ics?token=`: the user's shifts in
/// every schedule, shadow shifts included and marked.
pub(crate) async fn user_calendar(
    State(state): State<AppState>,
    Path(name): Path<String>,
    Query(query): Query<FeedQuery>,
) -> ApiResult<Response> {
    check_token(&state, &user_feed(&name), query.token.as_deref()).await?;
    let running = state.config.current();
    let user = running
        .config
        .users
        .get(&name)
        .ok_or_else(|| ApiError::not_found(format!("no user `{name}`")))?;
    let now = crate::clock::now();
    let (from, to) = window(now);
    let mut events = Vec::new();
    for schedule in running.config.schedules.values() {
        let shifts = oncall::shifts(state.store.as_ref(), schedule, from, to).await?;
        for shift in &shifts {
            if shift.user.as_deref() == Some(name.as_str()) {
                events.push(Event::of(schedule, shift));
            } else if shift.shadows.contains(&name) {
                events.push(Event::shadow(schedule, shift, &name));
            }
        }
    }
    events.sort_by_key(|e| e.start);
    Ok(ics_response(render(
        &format!("On call: {name}"),
        user.time_zone.iana_name(),
        &events,
        now,
    )))
}

fn window(now: Timestamp) -> (Timestamp, Timestamp) {
    (
        now.checked_sub(PAST).unwrap_or(Timestamp::MIN),
        now.checked_add(FUTURE).unwrap_or(Timestamp::MAX),
    )
}

fn ics_response(body: String) -> Response {
    (
        [
            (header::CONTENT_TYPE, "text/calendar; charset=utf-8"),
            (header::CACHE_CONTROL, "no-cache"),
        ],
        body,
    )
        .into_response()
}

/// One calendar event: a shift as someone's calendar shows it.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Event {
    /// Stable across refreshes for the same shift, so that calendars
    /// update events instead of duplicating them.
    uid: String,
    start: Timestamp,
    end: Timestamp,
    summary: String,
    description: String,
}

impl Event {
    fn of(schedule: &Schedule, shift: &Shift) -> Event {
        let who = shift.user.as_deref().unwrap_or("nobody");
        let summary = match &shift.user {
            Some(user) => format!("On call: {user} ({})", schedule.name),
            None => format!("Gap: nobody on call ({})", schedule.name),
        };
        Event {
            uid: uid(&schedule.name, who, shift),
            start: shift.start,
            end: shift.end,
            summary,
            description: describe(schedule, shift),
        }
    }

    fn shadow(schedule: &Schedule, shift: &Shift, shadow: &str) -> Event {
        let shadowed = shift.user.as_deref().unwrap_or("nobody");
        Event {
            uid: uid(&schedule.name, &format!("{shadow}-shadow"), shift),
            start: shift.start,
            end: shift.end,
            summary: format!("Shadowing {shadowed} ({})", schedule.name),
            description: format!(
                "{shadow} receives copies of {shadowed}'s pages; not the responder.\n{}",
                describe(schedule, shift)
            ),
        }
    }
}

fn uid(schedule: &str, who: &str, shift: &Shift) -> String {
    format!(
        "{}-{}-{}@pagerbound",
        schedule,
        who,
        shift.start.as_second()
    )
}

fn describe(schedule: &Schedule, shift: &Shift) -> String {
    let source = match &shift.source {
        ShiftSource::Layer(layer) => format!("layer {layer}"),
        ShiftSource::Override(id) => format!("override {id}"),
        ShiftSource::Gap => "no layer or override covers this time".to_owned(),
    };
    format!(
        "Schedule {} of team {}; from {}.",
        schedule.name, schedule.team, source
    )
}

/// An instant as an RFC 5545 UTC date-time.
fn utc(at: Timestamp) -> String {
    at.strftime("%Y%m%dT%H%M%SZ").to_string()
}

/// The feed's text: a VCALENDAR with one VEVENT per shift.
pub(crate) fn render(
    name: &str,
    time_zone: Option<&str>,
    events: &[Event],
    now: Timestamp,
) -> String {
    use ics::properties::{Description, DtEnd, DtStart, Summary, Transp};
    use ics::{ICalendar, escape_text};

    let mut calendar = ICalendar::new("2.0", "-//pagerbound//on-call//EN");
    calendar.push(ics::components::Property::new("CALSCALE", "GREGORIAN"));
    calendar.push(ics::components::Property::new("METHOD", "PUBLISH"));
    calendar.push(ics::components::Property::new(
        "X-WR-CALNAME",
        escape_text(name.to_owned()),
    ));
    if let Some(zone) = time_zone {
        calendar.push(ics::components::Property::new(
            "X-WR-TIMEZONE",
            zone.to_owned(),
        ));
    }
    let stamp = utc(now);
    for event in events {
        let mut vevent = ics::Event::new(event.uid.clone(), stamp.clone());
        vevent.push(DtStart::new(utc(event.start)));
        vevent.push(DtEnd::new(utc(event.end)));
        vevent.push(Summary::new(escape_text(event.summary.clone())));
        vevent.push(Description::new(escape_text(event.description.clone())));
        // Being on call is not being busy: it must not block meetings.
        vevent.push(Transp::transparent());
        calendar.add_event(vevent);
    }
    calendar.to_string()
}
