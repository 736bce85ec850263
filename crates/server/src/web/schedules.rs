//! Schedules: who is on call in each, and each one's final schedule as a
//! calendar (a week or a month) in the schedule's own time zone, with
//! layers, overrides and gaps told apart; adding and removing overrides;
//! and the iCalendar link to subscribe to.

use super::error::WebResult;
use super::session::{NoFields, SignedIn, WebForm};
use super::templates::{Chrome, Frame, framed, html};
use crate::api::schedules::{new_override, schedule, store_overrides};
use crate::auth::need;
use crate::error::ApiError;
use crate::state::AppState;
use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::http::header::LOCATION;
use axum::response::{IntoResponse, Response};
use jiff::civil::{Date, DateTime, Weekday};
use jiff::tz::TimeZone;
use jiff::{Timestamp, ToSpan};
use pagerbound_core::schedule::{Schedule, Shift, ShiftSource};
use pagerbound_store::StoredOverride;
use serde::Deserialize;

// ---- the list ----------------------------------------------------------

pub struct Row {
    pub name: String,
    pub team: String,
    pub time_zone: String,
    pub now: Option<String>,
    pub until: Option<Timestamp>,
}

#[derive(Template)]
#[template(path = "schedules.html")]
struct ListPage {
    chrome: Option<Chrome>,
    rows: Vec<Row>,
}

framed!(ListPage);

/// `GET /schedules`.
pub async fn list(State(state): State<AppState>, signed_in: SignedIn) -> WebResult<Response> {
    let now = crate::clock::now();
    let running = state.config.current();
    let schedules = running.config.schedules.values();
    let on_call = crate::oncall::on_call(state.store.as_ref(), schedules, now).await?;
    let mut rows = Vec::new();
    for (schedule, who) in on_call {
        // When the current shift ends: the first shift of the next day
        // holds it (one query per schedule, the list is short).
        let shifts = crate::oncall::shifts(
            state.store.as_ref(),
            schedule,
            now,
            now + jiff::SignedDuration::from_hours(24 * 45),
        )
        .await?;
        rows.push(Row {
            name: schedule.name.clone(),
            team: schedule.team.clone(),
            time_zone: schedule.time_zone.iana_name().unwrap_or("UTC").to_owned(),
            now: who.user,
            until: shifts.first().map(|s| s.end),
        });
    }
    Ok(html(&ListPage {
        chrome: Some(Chrome::new(&state, &signed_in, "schedules")),
        rows,
    }))
}

// ---- one schedule as a calendar -----------------------------------------

#[derive(Debug, Default, Deserialize)]
pub struct CalendarQuery {
    /// `week` (the default) or `month`.
    view: Option<String>,
    /// A day in the week or month to show, `YYYY-MM-DD`; default today.
    date: Option<String>,
}

/// One shift as it falls on one day.
pub struct Entry {
    /// Who; `None` is a gap.
    pub user: Option<String>,
    /// `09:00`, or `…` when it began on an earlier day.
    pub from: String,
    /// `17:00`, or `…` when it goes on past the day.
    pub to: String,
    /// `layer`, `override` or `gap`, for its look.
    pub kind: &'static str,
    /// The layer's name, or `override #ID`.
    pub source: String,
}

pub struct Day {
    pub date: Date,
    /// Outside the month shown (a month view's leading and trailing days).
    pub outside: bool,
    pub today: bool,
    pub entries: Vec<Entry>,
}

#[derive(Template)]
#[template(path = "schedule.html")]
struct CalendarPage {
    chrome: Option<Chrome>,
    schedule: String,
    team: String,
    time_zone: String,
    month_view: bool,
    /// The day the view was asked for.
    date: Date,
    title: String,
    previous: Date,
    next: Date,
    days: Vec<Day>,
    overrides: Vec<StoredOverride>,
    users: Vec<String>,
    feed: Option<String>,
    error: Option<String>,
    /// The override form's values, kept when it is refused.
    form: OverrideForm,
}

framed!(CalendarPage);

impl CalendarPage {
    fn view(&self) -> &'static str {
        if self.month_view { "month" } else { "week" }
    }

    fn weekday(&self, date: &Date) -> String {
        date.strftime("%a %-d %b").to_string()
    }

    fn selected(&self, user: &str) -> bool {
        self.form.user.as_deref() == Some(user)
    }
}

/// The days a view shows: the week (Monday to Sunday) holding `date`, or
/// the weeks that hold its month.
fn view_days(date: Date, month: bool) -> Vec<(Date, bool)> {
    let monday = |d: Date| d.checked_sub(i64::from(d.weekday().to_monday_zero_offset()).days());
    let (first, last) = if month {
        (date.first_of_month(), date.last_of_month())
    } else {
        (date, date)
    };
    let Ok(start) = monday(first) else {
        return Vec::new();
    };
    let mut days = Vec::new();
    let mut day = start;
    loop {
        days.push((day, month && (day < first || day > last)));
        match day.tomorrow() {
            Ok(next) => day = next,
            Err(_) => break,
        }
        if day > last && day.weekday() == Weekday::Monday {
            break;
        }
    }
    days
}

/// The instant a day starts in `zone` (its first valid local time).
fn day_start(date: Date, zone: &TimeZone) -> Result<Timestamp, ApiError> {
    date.to_zoned(zone.clone())
        .map(|z| z.timestamp())
        .map_err(|e| ApiError::bad_request(format!("{date}: {e}")))
}

/// Each day's entries from the final schedule's shifts.
fn entries(day: Timestamp, next: Timestamp, shifts: &[Shift], zone: &TimeZone) -> Vec<Entry> {
    let clock = |at: Timestamp| at.to_zoned(zone.clone()).strftime("%H:%M").to_string();
    shifts
        .iter()
        .filter(|s| s.start < next && s.end > day)
        .map(|s| {
            let (kind, source) = match &s.source {
                ShiftSource::Layer(layer) => ("layer", layer.clone()),
                ShiftSource::Override(id) => ("override", format!("override #{id}")),
                ShiftSource::Gap => ("gap", "nobody on call".to_owned()),
            };
            Entry {
                user: s.user.clone(),
                from: if s.start <= day {
                    "…".to_owned()
                } else {
                    clock(s.start)
                },
                to: if s.end >= next {
                    "…".to_owned()
                } else {
                    clock(s.end)
                },
                kind,
                source,
            }
        })
        .collect()
}

/// `GET /schedules/{name}?view=week|month&date=YYYY-MM-DD`.
pub async fn show(
    State(state): State<AppState>,
    signed_in: SignedIn,
    Path(name): Path<String>,
    Query(query): Query<CalendarQuery>,
) -> WebResult<Response> {
    let chrome = Chrome::new(&state, &signed_in, "schedules");
    calendar(&state, chrome, &name, &query, None, OverrideForm::default()).await
}

async fn calendar(
    state: &AppState,
    chrome: Chrome,
    name: &str,
    query: &CalendarQuery,
    error: Option<String>,
    form: OverrideForm,
) -> WebResult<Response> {
    let running = state.config.current();
    let config = &running.config;
    let schedule: &Schedule = schedule(config, name)?;
    let zone = &schedule.time_zone;
    let now = crate::clock::now();
    let today = now.to_zoned(zone.clone()).date();
    let month_view = match query.view.as_deref().unwrap_or("week") {
        "week" => false,
        "month" => true,
        other => {
            return Err(ApiError::bad_request(format!(
                "unknown view `{other}`: use week or month"
            ))
            .into());
        }
    };
    let date = match query.date.as_deref().filter(|d| !d.is_empty()) {
        None => today,
        Some(text) => text.parse::<Date>().map_err(|e| {
            ApiError::bad_request(format!(
                "`date`: `{text}` is not a date like 2026-11-23 ({e})"
            ))
        })?,
    };
    let layout = view_days(date, month_view);
    let (Some((first, _)), Some((last, _))) = (layout.first(), layout.last()) else {
        return Err(ApiError::bad_request(format!("{date} is out of range")).into());
    };
    let from = day_start(*first, zone)?;
    let to = day_start(
        last.tomorrow()
            .map_err(|e| ApiError::bad_request(e.to_string()))?,
        zone,
    )?;
    let shifts = crate::oncall::shifts(state.store.as_ref(), schedule, from, to).await?;
    let mut days = Vec::with_capacity(layout.len());
    for (date, outside) in layout.iter().copied() {
        let start = day_start(date, zone)?;
        let end = day_start(
            date.tomorrow()
                .map_err(|e| ApiError::bad_request(e.to_string()))?,
            zone,
        )?;
        days.push(Day {
            date,
            outside,
            today: date == today,
            entries: entries(start, end, &shifts, zone),
        });
    }
    let step = if month_view { 1.month() } else { 1.week() };
    let previous = date.checked_sub(step).unwrap_or(date);
    let next = date.checked_add(step).unwrap_or(date);
    let title = if month_view {
        date.strftime("%B %Y").to_string()
    } else {
        format!("Week of {}", first.strftime("%a %-d %b %Y"))
    };
    let overrides = state
        .store
        .overrides(Some(&schedule.name), now.min(from), to.max(now))
        .await?
        .into_iter()
        .filter(|o| o.end > now)
        .collect();
    Ok(html(&CalendarPage {
        chrome: Some(chrome),
        schedule: schedule.name.clone(),
        team: schedule.team.clone(),
        time_zone: zone.iana_name().unwrap_or("UTC").to_owned(),
        month_view,
        date,
        title,
        previous,
        next,
        days,
        overrides,
        users: config.users.keys().cloned().collect(),
        feed: crate::calendar::schedule_feed_url(state, &schedule.name).await?,
        error,
        form,
    })
    .into_response())
}

// ---- overrides ----------------------------------------------------------

/// The override form: local times in the schedule's zone, as
/// `<input type="datetime-local">` sends them (`2026-11-23T09:00`).
#[derive(Debug, Default, Deserialize)]
pub struct OverrideForm {
    pub user: Option<String>,
    pub start: Option<String>,
    pub end: Option<String>,
    pub note: Option<String>,
}

/// A local time in `zone` from a form field.
fn local(field: &str, text: Option<&str>, zone: &TimeZone) -> Result<Option<Timestamp>, ApiError> {
    let Some(text) = text.map(str::trim).filter(|t| !t.is_empty()) else {
        return Ok(None);
    };
    let civil: DateTime = text.parse().map_err(|e| {
        ApiError::bad_request(format!(
            "`{field}`: `{text}` is not a date and time like 2026-11-23T09:00 ({e})"
        ))
    })?;
    civil
        .to_zoned(zone.clone())
        .map(|z| Some(z.timestamp()))
        .map_err(|e| ApiError::bad_request(format!("`{field}`: {e}")))
}

/// `POST /schedules/{name}/overrides`: adds one override, then shows the
/// week it starts in. A refused one shows the form again with why.
pub async fn add_override(
    State(state): State<AppState>,
    Path(name): Path<String>,
    WebForm { signed_in, form }: WebForm<need::Responder, OverrideForm>,
) -> WebResult<Response> {
    let running = state.config.current();
    let schedule = schedule(&running.config, &name)?;
    let zone = &schedule.time_zone;
    let made = local("start", form.start.as_deref(), zone).and_then(|start| {
        let end = local("end", form.end.as_deref(), zone)?;
        new_override(
            &running.config,
            schedule,
            &signed_in.user,
            form.user.clone().unwrap_or_default(),
            start,
            end,
            form.note.clone(),
        )
    });
    let chrome = Chrome::new(&state, &signed_in, "schedules");
    let new = match made {
        Ok(new) => new,
        Err(error) => {
            let query = CalendarQuery::default();
            let mut response = calendar(
                &state,
                chrome,
                &name,
                &query,
                Some(error.message().to_owned()),
                form,
            )
            .await?;
            *response.status_mut() = StatusCode::BAD_REQUEST;
            return Ok(response);
        }
    };
    let date = new.start.to_zoned(zone.clone()).date();
    store_overrides(&state, std::slice::from_ref(&new)).await?;
    Ok((
        StatusCode::SEE_OTHER,
        [(
            LOCATION,
            format!("/schedules/{}?view=week&date={date}", url_path(&name)),
        )],
    )
        .into_response())
}

/// `POST /schedules/{name}/overrides/{id}/remove`.
pub async fn remove_override(
    State(state): State<AppState>,
    Path((name, id)): Path<(String, i64)>,
    WebForm { signed_in, .. }: WebForm<need::Responder, NoFields>,
) -> WebResult<Response> {
    let removed = state
        .store
        .remove_override(id)
        .await?
        .ok_or_else(|| ApiError::not_found(format!("no override {id}")))?;
    tracing::info!(id, schedule = %removed.schedule, by = %signed_in.user, "Override removed.");
    Ok((
        StatusCode::SEE_OTHER,
        [(LOCATION, format!("/schedules/{}", url_path(&name)))],
    )
        .into_response())
}

/// A name as one path segment.
fn url_path(name: &str) -> String {
    url::form_urlencoded::byte_serialize(name.as_bytes()).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use jiff::civil::date;

    #[test]
    fn a_week_runs_monday_to_sunday() {
        let days = view_days(date(2026, 11, 26), false);
        assert_eq!(days.len(), 7);
        assert_eq!(days[0], (date(2026, 11, 23), false));
        assert_eq!(days[6], (date(2026, 11, 29), false));
    }

    #[test]
    fn a_month_is_whole_weeks_with_the_days_outside_marked() {
        let days = view_days(date(2026, 11, 22), true);
        // November 2026 starts on a Sunday and ends on a Monday.
        assert_eq!(days.first(), Some(&(date(2026, 10, 26), true)));
        assert_eq!(days.last(), Some(&(date(2026, 12, 6), true)));
        assert_eq!(days.len(), 6 * 7);
        assert_eq!(days.iter().filter(|(_, outside)| !outside).count(), 30);
    }

    #[test]
    fn shifts_are_clipped_to_the_day() {
        let zone = TimeZone::get("Europe/Dublin").expect("zone");
        let day = day_start(date(2026, 11, 23), &zone).expect("start");
        let next = day_start(date(2026, 11, 24), &zone).expect("start");
        let at = |h: i64| day + jiff::SignedDuration::from_hours(h);
        let shifts = vec![
            Shift {
                user: Some("alice".into()),
                start: at(-24),
                end: at(9),
                source: ShiftSource::Layer("weekly".into()),
                shadows: vec![],
            },
            Shift {
                user: Some("bob".into()),
                start: at(9),
                end: at(48),
                source: ShiftSource::Override("7".into()),
                shadows: vec![],
            },
        ];
        let entries = entries(day, next, &shifts, &zone);
        assert_eq!(entries.len(), 2);
        assert_eq!(
            (entries[0].from.as_str(), entries[0].to.as_str()),
            ("…", "09:00")
        );
        assert_eq!(entries[0].kind, "layer");
        assert_eq!(
            (entries[1].from.as_str(), entries[1].to.as_str()),
            ("09:00", "…")
        );
        assert_eq!(entries[1].source, "override #7");
    }

    #[test]
    fn override_times_are_local_to_the_schedule() {
        let zone = TimeZone::get("America/New_York").expect("zone");
        let at = local("start", Some("2026-11-23T09:00"), &zone).expect("parses");
        assert_eq!(at, Some("2026-11-23T14:00:00Z".parse().expect("instant")));
        assert_eq!(local("start", Some(" "), &zone).expect("empty"), None);
        assert!(local("start", Some("tomorrow"), &zone).is_err());
    }
}
