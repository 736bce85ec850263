//! Schedules over HTTP: who is on call, the final schedule for a range,
//! overrides and swaps, and the calendar feeds people subscribe to.

use crate::auth::{Auth, need};
use crate::error::{ApiError, ApiResult};
use crate::extract::{Json, Path, Query};
use crate::oncall;
use crate::state::AppState;
use axum::extract::State;
use axum::http::StatusCode;
use jiff::{SignedDuration, Timestamp};
use pagerbound_config::Config;
use pagerbound_core::alert::parse_timestamp;
use pagerbound_core::schedule::Schedule;
use pagerbound_core::time_window::weekday_name;
use pagerbound_store::{NewOverride, StoredOverride};
use serde::Deserialize;
use serde_json::{Value, json};

/// The longest range one request may ask for: a year and a day, enough for
/// a year's report without letting one request compute a century.
const MAX_RANGE: SignedDuration = SignedDuration::from_hours(366 * 24);
/// The range shown when none is asked for.
const DEFAULT_RANGE: SignedDuration = SignedDuration::from_hours(14 * 24);
/// How many overrides one request may make.
const MAX_OVERRIDES_PER_REQUEST: usize = 50;

pub(crate) fn schedule<'c>(config: &'c Config, name: &str) -> ApiResult<&'c Schedule> {
    config.schedules.get(name).ok_or_else(|| {
        ApiError::not_found(format!(
            "no schedule `{name}`; schedules are defined under `schedules:` in the configuration"
        ))
    })
}

pub(crate) fn instant(field: &str, text: Option<&str>) -> ApiResult<Option<Timestamp>> {
    parse_timestamp(field, text).map_err(ApiError::bad_request)
}

/// `from` (default `now`) and `to` (default `from` + `default`), checked.
pub(crate) fn range(
    from: Option<&str>,
    to: Option<&str>,
    now: Timestamp,
    default: SignedDuration,
) -> ApiResult<(Timestamp, Timestamp)> {
    let from = instant("from", from)?.unwrap_or(now);
    let to = match instant("to", to)? {
        Some(to) => to,
        None => from
            .checked_add(default)
            .map_err(|_| ApiError::bad_request("from is too far in the future"))?,
    };
    if to <= from {
        return Err(ApiError::bad_request(format!(
            "to ({to}) must be after from ({from})"
        )));
    }
    if to.duration_since(from) > MAX_RANGE {
        return Err(ApiError::bad_request(
            "the range from..to may be at most 366 days; ask for a year at a time",
        ));
    }
    Ok((from, to))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct OnCallQuery {
    /// One schedule; all when absent.
    schedule: Option<String>,
    /// RFC 3339; default now.
    at: Option<String>,
}

/// `GET /api/v1/oncall?schedule=&at=`: who is on call in each schedule (or
/// one), with when their shift started and ends.
pub(crate) async fn on_call(
    _auth: Auth<need::Viewer>,
    State(state): State<AppState>,
    Query(query): Query<OnCallQuery>,
) -> ApiResult<axum::Json<Value>> {
    let running = state.config.current();
    let config = &running.config;
    let at = instant("at", query.at.as_deref())?.unwrap_or_else(crate::clock::now);
    let schedules: Vec<&Schedule> = match &query.schedule {
        Some(name) => vec![schedule(config, name)?],
        None => config.schedules.values().collect(),
    };
    let mut listed = Vec::new();
    for schedule in schedules {
        listed.push(on_call_json(&state, schedule, at).await?);
    }
    Ok(axum::Json(json!({ "at": at, "oncall": listed })))
}

/// One schedule's answer, with the shift around `at` so that people see
/// since when and until when (within a month either side).
async fn on_call_json(state: &AppState, schedule: &Schedule, at: Timestamp) -> ApiResult<Value> {
    let month = SignedDuration::from_hours(31 * 24);
    let from = at.checked_sub(month).unwrap_or(Timestamp::MIN);
    let to = at.checked_add(month).unwrap_or(Timestamp::MAX);
    let shifts = oncall::shifts(state.store.as_ref(), schedule, from, to).await?;
    let current = shifts.iter().find(|s| s.start <= at && at < s.end);
    Ok(json!({
        "schedule": schedule.name,
        "team": schedule.team,
        "user": current.and_then(|s| s.user.clone()),
        "shadows": current.map(|s| s.shadows.clone()).unwrap_or_default(),
        "source": current.map(|s| oncall::source_json(&s.source)),
        "since": current.map(|s| s.start),
        "until": current.map(|s| s.end),
    }))
}

/// `GET /api/v1/schedules`: every schedule, with who is on call now.
pub(crate) async fn list(
    _auth: Auth<need::Viewer>,
    State(state): State<AppState>,
) -> ApiResult<axum::Json<Value>> {
    let running = state.config.current();
    let now = crate::clock::now();
    let mut listed = Vec::new();
    for schedule in running.config.schedules.values() {
        listed.push(describe(&state, schedule, now).await?);
    }
    Ok(axum::Json(Value::Array(listed)))
}

/// `GET /api/v1/schedules/{name}`.
pub(crate) async fn show(
    _auth: Auth<need::Viewer>,
    State(state): State<AppState>,
    Path(name): Path<String>,
) -> ApiResult<axum::Json<Value>> {
    let running = state.config.current();
    let schedule = schedule(&running.config, &name)?;
    Ok(axum::Json(
        describe(&state, schedule, crate::clock::now()).await?,
    ))
}

async fn describe(state: &AppState, schedule: &Schedule, now: Timestamp) -> ApiResult<Value> {
    let layers: Vec<Value> = schedule
        .layers
        .iter()
        .map(|layer| {
            json!({
                "name": layer.name,
                "participants": layer.participants,
                "shift": layer.rotation.length.to_string(),
                "handoff": layer.rotation.handoff.strftime("%H:%M").to_string(),
                "handoff_day": layer.rotation.handoff_day.map(weekday_name),
                "time_zone": layer.rotation.time_zone.iana_name(),
                "start": layer.rotation.start,
                "restricted": !layer.restrictions.is_empty(),
                "shadows": layer.shadows.iter()
                    .map(|s| json!({"user": s.user, "shadowing": s.shadowing}))
                    .collect::<Vec<_>>(),
            })
        })
        .collect();
    let calendar = crate::calendar::schedule_feed_url(state, &schedule.name).await?;
    Ok(json!({
        "name": schedule.name,
        "team": schedule.team,
        "time_zone": schedule.time_zone.iana_name(),
        "layers": layers,
        "oncall": on_call_json(state, schedule, now).await?,
        "calendar_url": calendar,
    }))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RangeQuery {
    from: Option<String>,
    to: Option<String>,
}

/// `GET /api/v1/schedules/{name}/shifts?from=&to=`: the final schedule,
/// each shift with its person (or a gap) and what produced it.
pub(crate) async fn shifts(
    _auth: Auth<need::Viewer>,
    State(state): State<AppState>,
    Path(name): Path<String>,
    Query(query): Query<RangeQuery>,
) -> ApiResult<axum::Json<Value>> {
    let running = state.config.current();
    let schedule = schedule(&running.config, &name)?;
    let (from, to) = range(
        query.from.as_deref(),
        query.to.as_deref(),
        crate::clock::now(),
        DEFAULT_RANGE,
    )?;
    let shifts = oncall::shifts(state.store.as_ref(), schedule, from, to).await?;
    Ok(axum::Json(json!({
        "schedule": schedule.name,
        "from": from,
        "to": to,
        "shifts": shifts.iter().map(oncall::shift_json).collect::<Vec<_>>(),
    })))
}

/// `GET /api/v1/schedules/{name}/overrides?from=&to=`: overrides touching
/// the range (default: from now, a year ahead).
pub(crate) async fn list_overrides(
    _auth: Auth<need::Viewer>,
    State(state): State<AppState>,
    Path(name): Path<String>,
    Query(query): Query<RangeQuery>,
) -> ApiResult<axum::Json<Value>> {
    let running = state.config.current();
    let schedule = schedule(&running.config, &name)?;
    let (from, to) = range(
        query.from.as_deref(),
        query.to.as_deref(),
        crate::clock::now(),
        SignedDuration::from_hours(365 * 24),
    )?;
    let found = state
        .store
        .overrides(Some(&schedule.name), from, to)
        .await?;
    Ok(axum::Json(json!(found)))
}

/// One override as posted.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct PostedOverride {
    user: String,
    start: String,
    end: String,
    note: Option<String>,
}

/// An override, or several made together (a swap is two).
#[derive(Debug, Deserialize)]
#[serde(untagged)]
pub(crate) enum PostedOverrides {
    One(PostedOverride),
    Several(Vec<PostedOverride>),
}

/// `POST /api/v1/schedules/{name}/overrides`: one override (an object) or
/// several stored together (an array: a swap is two).
pub(crate) async fn add_overrides(
    auth: Auth<need::Responder>,
    State(state): State<AppState>,
    Path(name): Path<String>,
    Json(posted): Json<PostedOverrides>,
) -> ApiResult<(StatusCode, axum::Json<Value>)> {
    let running = state.config.current();
    let config = &running.config;
    let schedule = schedule(config, &name)?;
    let posted = match posted {
        PostedOverrides::One(one) => vec![one],
        PostedOverrides::Several(several) => several,
    };
    if posted.is_empty() || posted.len() > MAX_OVERRIDES_PER_REQUEST {
        return Err(ApiError::bad_request(format!(
            "send between 1 and {MAX_OVERRIDES_PER_REQUEST} overrides"
        )));
    }
    let new = posted
        .into_iter()
        .enumerate()
        .map(|(index, o)| {
            let start = parse_timestamp("start", Some(&o.start)).map_err(ApiError::bad_request);
            let end = parse_timestamp("end", Some(&o.end)).map_err(ApiError::bad_request);
            let (start, end) = match (start, end) {
                (Ok(start), Ok(end)) => (start, end),
                (Err(e), _) | (_, Err(e)) => {
                    return Err(ApiError::bad_request(format!(
                        "override {index}: {}",
                        e.message()
                    )));
                }
            };
            new_override(
                config,
                schedule,
                &auth.caller.user,
                o.user,
                start,
                end,
                o.note,
            )
            .map_err(|e| ApiError::bad_request(format!("override {index}: {}", e.message())))
        })
        .collect::<ApiResult<Vec<_>>>()?;
    let stored = store_overrides(&state, &new).await?;
    Ok((StatusCode::CREATED, axum::Json(json!(stored))))
}

/// An override of `schedule` checked against the configuration: a known
/// user, a start and an end in order, at most a year and a day long.
pub(crate) fn new_override(
    config: &Config,
    schedule: &Schedule,
    by: &str,
    user: String,
    start: Option<Timestamp>,
    end: Option<Timestamp>,
    note: Option<String>,
) -> ApiResult<NewOverride> {
    if !config.users.contains_key(&user) {
        return Err(ApiError::bad_request(format!(
            "user `{user}` is not defined"
        )));
    }
    let start = start.ok_or_else(|| ApiError::bad_request("start is required"))?;
    let end = end.ok_or_else(|| ApiError::bad_request("end is required"))?;
    if end <= start {
        return Err(ApiError::bad_request(format!(
            "end ({end}) must be after start ({start})"
        )));
    }
    if end.duration_since(start) > MAX_RANGE {
        return Err(ApiError::bad_request(
            "an override may last at most 366 days",
        ));
    }
    Ok(NewOverride {
        schedule: schedule.name.clone(),
        user,
        start,
        end,
        created_by: by.to_owned(),
        note: note.filter(|n| !n.trim().is_empty()),
    })
}

/// Stores overrides made together, all or none, and logs each.
pub(crate) async fn store_overrides(
    state: &AppState,
    new: &[NewOverride],
) -> ApiResult<Vec<StoredOverride>> {
    let stored = state.store.add_overrides(new, crate::clock::now()).await?;
    for o in &stored {
        tracing::info!(
            schedule = %o.schedule, user = %o.user, start = %o.start, end = %o.end,
            by = %o.created_by, "Override added."
        );
    }
    Ok(stored)
}

/// `DELETE /api/v1/overrides/{id}`.
pub(crate) async fn remove_override(
    auth: Auth<need::Responder>,
    State(state): State<AppState>,
    Path(id): Path<i64>,
) -> ApiResult<axum::Json<Value>> {
    let removed = state
        .store
        .remove_override(id)
        .await?
        .ok_or_else(|| ApiError::not_found(format!("no override {id}")))?;
    tracing::info!(id, schedule = %removed.schedule, by = %auth.caller.user, "Override removed.");
    Ok(axum::Json(json!(removed)))
}

/// `GET /api/v1/users/{name}/oncall?from=&to=`: the user's shifts in every
/// schedule (as the responder or as a shadow), and their calendar feed.
pub(crate) async fn user_on_call(
    _auth: Auth<need::Viewer>,
    State(state): State<AppState>,
    Path(name): Path<String>,
    Query(query): Query<RangeQuery>,
) -> ApiResult<axum::Json<Value>> {
    let running = state.config.current();
    if !running.config.users.contains_key(&name) {
        return Err(ApiError::not_found(format!("no user `{name}`")));
    }
    let (from, to) = range(
        query.from.as_deref(),
        query.to.as_deref(),
        crate::clock::now(),
        DEFAULT_RANGE,
    )?;
    let mut shifts = Vec::new();
    for schedule in running.config.schedules.values() {
        for shift in oncall::shifts(state.store.as_ref(), schedule, from, to).await? {
            let role = if shift.user.as_deref() == Some(name.as_str()) {
                "responder"
            } else if shift.shadows.contains(&name) {
                "shadow"
            } else {
                continue;
            };
            let mut shown = oncall::shift_json(&shift);
            shown["schedule"] = json!(schedule.name);
            shown["role"] = json!(role);
            shifts.push((shift.start, shown));
        }
    }
    shifts.sort_by_key(|(start, _)| *start);
    Ok(axum::Json(json!({
        "user": name,
        "from": from,
        "to": to,
        "shifts": shifts.into_iter().map(|(_, s)| s).collect::<Vec<_>>(),
        "calendar_url": crate::calendar::user_feed_url(&state, &name).await?,
    })))
}
