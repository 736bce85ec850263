//! Alertmanager's API v2, compatible in behaviour, so that Prometheus can
//! send here unchanged (but for the address and a token) and `amtool`
//! works. Shapes follow Alertmanager's `api/v2/openapi.yaml`.

use crate::alert_status::{AlertStatus, State as AlertState, StatusContext};
use crate::auth::{Auth, Sender, need};
use crate::error::{ApiError, ApiResult};
use crate::extract::{Json, JsonBytes, Path, parse_json};
use crate::ingest::Incoming;
use crate::state::AppState;
use axum::extract::State;
use axum::http::{StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use jiff::{SignedDuration, Timestamp};
use pagerbound_core::alert::{MatchOp, Matcher, Matchers, PostableAlert, parse_matchers};
use pagerbound_core::id::uuid_v4;
use pagerbound_core::silence::{Silence, SilenceState};
use pagerbound_store::StoredAlert;
use serde::Deserialize;
use serde_json::value::RawValue;
use serde_json::{Value, json};
use std::collections::BTreeMap;

/// A time as Alertmanager writes it: UTC, always with milliseconds.
fn am_time(at: Timestamp) -> String {
    at.strftime("%Y-%m-%dT%H:%M:%S%.3fZ").to_string()
}

/// Go's zero time: what Alertmanager shows for "no end".
const NO_END: &str = "0001-01-01T00:00:00.000Z";
/// Expired silences are still listed for this long, as Alertmanager keeps
/// them for its default data retention.
pub(crate) const EXPIRED_SILENCES_SHOWN: SignedDuration = SignedDuration::from_hours(120);

/// The pairs of a query string, repeated keys included (`filter=a&filter=b`).
fn query_pairs(uri: &Uri) -> Vec<(String, String)> {
    url::form_urlencoded::parse(uri.query().unwrap_or_default().as_bytes())
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect()
}

/// The filters of `GET /api/v2/alerts` and `/alerts/groups`.
struct AlertFilter {
    active: bool,
    silenced: bool,
    inhibited: bool,
    unprocessed: bool,
    matchers: Matchers,
    receiver: Option<regex::Regex>,
}

impl AlertFilter {
    fn from_query(uri: &Uri) -> ApiResult<AlertFilter> {
        let mut filter = AlertFilter {
            active: true,
            silenced: true,
            inhibited: true,
            unprocessed: true,
            matchers: Matchers::default(),
            receiver: None,
        };
        for (key, value) in query_pairs(uri) {
            let flag = || match value.as_str() {
                "true" => Ok(true),
                "false" => Ok(false),
                other => Err(ApiError::bad_request(format!(
                    "`{key}` must be true or false, not `{other}`"
                ))),
            };
            match key.as_str() {
                "active" => filter.active = flag()?,
                "silenced" => filter.silenced = flag()?,
                "inhibited" => filter.inhibited = flag()?,
                "unprocessed" => filter.unprocessed = flag()?,
                "filter" => {
                    let parsed =
                        parse_matchers(&value).map_err(|e| ApiError::bad_request(e.to_string()))?;
                    filter.matchers.0.extend(parsed.0);
                }
                "receiver" => {
                    let regex = regex::RegexBuilder::new(&value)
                        .size_limit(1 << 20)
                        .build()
                        .map_err(|e| {
                            ApiError::bad_request(format!(
                                "receiver `{value}` is not a regular expression: {e}"
                            ))
                        })?;
                    filter.receiver = Some(regex);
                }
                _ => {}
            }
        }
        Ok(filter)
    }

    fn keeps(&self, alert: &StoredAlert, status: &AlertStatus) -> bool {
        let silenced = !status.silenced_by.is_empty();
        let inhibited = !status.inhibited_by.is_empty();
        let by_state = match status.state {
            AlertState::Unprocessed => self.unprocessed,
            AlertState::Active => self.active,
            AlertState::Suppressed => {
                (self.silenced || !silenced)
                    && (self.inhibited || !inhibited)
                    && (silenced || inhibited || self.active)
            }
        };
        by_state
            && self.matchers.matches(&alert.labels)
            && self.receiver.as_ref().is_none_or(|r| {
                status
                    .routes
                    .iter()
                    .any(|route| r.is_match(&route.receiver))
            })
    }
}

fn gettable_alert(alert: &StoredAlert, status: &AlertStatus) -> Value {
    json!({
        "labels": alert.labels,
        "annotations": alert.annotations,
        "startsAt": am_time(alert.starts_at),
        "endsAt": alert.ends_at.map_or_else(|| NO_END.to_owned(), am_time),
        "updatedAt": am_time(alert.updated_at),
        "generatorURL": alert.generator_url.clone().unwrap_or_default(),
        "fingerprint": alert.fingerprint.to_string(),
        "receivers": status.routes.iter().map(|r| json!({ "name": r.receiver })).collect::<Vec<_>>(),
        "status": {
            "state": status.state,
            "silencedBy": status.silenced_by,
            "inhibitedBy": status.inhibited_by.iter().map(ToString::to_string).collect::<Vec<_>>(),
        },
    })
}

/// `POST /api/v2/alerts`: a JSON array of alerts. Valid alerts are stored
/// even when others in the batch are not; those are named by index in a
/// 400 answer.
pub(crate) async fn post_alerts(
    sender: Sender,
    State(state): State<AppState>,
    JsonBytes(body): JsonBytes,
) -> ApiResult<Response> {
    let now = crate::clock::now();
    let resolve_timeout = state.config.current().config.settings.resolve_timeout;
    // The usual body is well formed and is read in one pass; only when it
    // is not is it read again alert by alert, to say which ones are wrong.
    let parsed: Vec<Result<PostableAlert, String>> =
        match serde_json::from_slice::<Vec<PostableAlert>>(&body) {
            Ok(alerts) => alerts.into_iter().map(Ok).collect(),
            Err(_) => parse_json::<Vec<Box<RawValue>>>(&body)?
                .iter()
                .map(|raw| {
                    parse_json::<PostableAlert>(raw.get().as_bytes())
                        .map_err(|e| e.message().replace("request body", "alert"))
                })
                .collect(),
        };
    let total = parsed.len();
    let mut valid = Vec::with_capacity(total);
    let mut invalid = Vec::new();
    for (index, alert) in parsed.into_iter().enumerate() {
        match alert.and_then(|postable| postable.into_alert(now, resolve_timeout)) {
            Ok(alert) => valid.push(Incoming::Alert {
                alert,
                integration: sender.integration.clone(),
            }),
            Err(message) => invalid.push(json!({ "index": index, "error": message })),
        }
    }
    let stored = valid.len();
    let beaten = crate::heartbeat::beaten_by(&state, &valid, now);
    state
        .ingest
        .submit(valid)
        .await
        .map_err(|e| ApiError::unavailable(e.to_string()))?;
    crate::heartbeat::record_beats(&state, &beaten, now).await;
    if invalid.is_empty() {
        return Ok(StatusCode::OK.into_response());
    }
    Err(ApiError::bad_request(format!(
        "{} of {total} alerts are invalid; the {stored} valid ones were stored",
        invalid.len()
    ))
    .with_detail(Value::Array(invalid)))
}

/// The firing alerts, with their status, as the filters allow.
async fn filtered_alerts(
    state: &AppState,
    uri: &Uri,
) -> ApiResult<(Vec<(StoredAlert, AlertStatus)>, StatusContext)> {
    let filter = AlertFilter::from_query(uri)?;
    let now = crate::clock::now();
    let mut firing = state.store.alerts_ending_after(now).await?;
    // Alertmanager lists alerts by fingerprint.
    firing.sort_by_key(|alert| alert.fingerprint);
    let context = StatusContext::load(state, &firing, now).await?;
    let kept = firing
        .into_iter()
        .map(|alert| {
            let status = context.status(&alert);
            (alert, status)
        })
        .filter(|(alert, status)| filter.keeps(alert, status))
        .collect();
    Ok((kept, context))
}

/// `GET /api/v2/alerts`.
pub(crate) async fn get_alerts(
    _auth: Auth<need::Viewer>,
    State(state): State<AppState>,
    uri: Uri,
) -> ApiResult<axum::Json<Value>> {
    let (alerts, _) = filtered_alerts(&state, &uri).await?;
    Ok(axum::Json(Value::Array(
        alerts
            .iter()
            .map(|(alert, status)| gettable_alert(alert, status))
            .collect(),
    )))
}

/// `GET /api/v2/alerts/groups`: firing alerts grouped by route and the
/// route's grouping labels.
pub(crate) async fn get_alert_groups(
    _auth: Auth<need::Viewer>,
    State(state): State<AppState>,
    uri: Uri,
) -> ApiResult<axum::Json<Value>> {
    let (alerts, context) = filtered_alerts(&state, &uri).await?;
    let mut groups: BTreeMap<String, (Value, String, Vec<Value>)> = BTreeMap::new();
    for (alert, status) in &alerts {
        for route in context.config().routes.matching(&alert.labels) {
            let entry = groups
                .entry(route.group_key(&alert.labels))
                .or_insert_with(|| {
                    (
                        json!(route.group_labels(&alert.labels)),
                        route.receiver(),
                        Vec::new(),
                    )
                });
            entry.2.push(gettable_alert(alert, status));
        }
    }
    Ok(axum::Json(Value::Array(
        groups
            .into_values()
            .map(|(labels, receiver, alerts)| json!({ "labels": labels, "receiver": { "name": receiver }, "alerts": alerts }))
            .collect(),
    )))
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct MatcherBody {
    name: String,
    value: String,
    #[serde(default)]
    is_regex: bool,
    #[serde(default = "yes")]
    is_equal: bool,
}

fn yes() -> bool {
    true
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct PostableSilence {
    id: Option<String>,
    matchers: Vec<MatcherBody>,
    starts_at: String,
    ends_at: String,
    created_by: String,
    comment: String,
}

fn matcher_json(matcher: &Matcher) -> Value {
    json!({
        "name": matcher.name,
        "value": matcher.value,
        "isRegex": matcher.op.is_regex(),
        "isEqual": matcher.op.is_equal(),
    })
}

fn gettable_silence(silence: &Silence, now: Timestamp) -> Value {
    json!({
        "id": silence.id,
        "status": { "state": silence.state(now).as_str() },
        "updatedAt": am_time(silence.updated_at),
        "matchers": silence.matchers.iter().map(matcher_json).collect::<Vec<_>>(),
        "startsAt": am_time(silence.starts_at),
        "endsAt": am_time(silence.ends_at),
        "createdBy": silence.created_by,
        "comment": silence.comment,
    })
}

/// `POST /api/v2/silences`: creates a silence, or updates one given by
/// id (see [`save_silence`]).
pub(crate) async fn post_silence(
    auth: Auth<need::Responder>,
    State(state): State<AppState>,
    Json(posted): Json<PostableSilence>,
) -> ApiResult<axum::Json<Value>> {
    let now = crate::clock::now();
    let mut matchers = Vec::new();
    for m in &posted.matchers {
        matchers.push(
            Matcher::new(
                &m.name,
                MatchOp::from_flags(m.is_regex, m.is_equal),
                &m.value,
            )
            .map_err(|e| ApiError::bad_request(e.to_string()))?,
        );
    }
    let parse = |field: &str, text: &str| -> ApiResult<Timestamp> {
        pagerbound_core::alert::parse_timestamp(field, Some(text))
            .map_err(ApiError::bad_request)?
            .ok_or_else(|| ApiError::bad_request(format!("{field} is required")))
    };
    let request = SilenceRequest {
        id: posted.id,
        matchers: Matchers(matchers),
        starts_at: parse("startsAt", &posted.starts_at)?,
        ends_at: parse("endsAt", &posted.ends_at)?,
        created_by: posted.created_by,
        comment: posted.comment,
    };
    let id = save_silence(&state, request, &auth.caller.user, now).await?;
    Ok(axum::Json(json!({ "silenceID": id })))
}

/// A silence as someone asked for it, before it is checked: what the API
/// and the web UI's silence form both make, so that both save silences
/// by the same rules.
#[derive(Debug)]
pub(crate) struct SilenceRequest {
    /// The silence to update, if any.
    pub id: Option<String>,
    pub matchers: Matchers,
    pub starts_at: Timestamp,
    pub ends_at: Timestamp,
    pub created_by: String,
    pub comment: String,
}

/// Checks and saves a silence; answers its id. As in Alertmanager, a
/// silence that cannot change in place (an active one with new matchers,
/// say) is expired and replaced by a new one with a new id. `by` is who
/// asked, for the log.
pub(crate) async fn save_silence(
    state: &AppState,
    request: SilenceRequest,
    by: &str,
    now: Timestamp,
) -> ApiResult<String> {
    let mut silence = Silence {
        id: uuid_v4(rand::random()),
        matchers: request.matchers,
        starts_at: request.starts_at,
        ends_at: request.ends_at,
        created_by: request.created_by,
        comment: request.comment,
        updated_at: now,
    };
    let existing = match request.id.as_deref().filter(|id| !id.is_empty()) {
        Some(id) => Some(
            state
                .store
                .silence(id)
                .await?
                .ok_or_else(|| ApiError::not_found(format!("silence {id} not found")))?,
        ),
        None => None,
    };
    let in_place = match existing {
        Some(old) if old.can_update_to(&silence, now) => {
            silence.id = old.id;
            true
        }
        Some(mut old) => {
            if old.expire(now) {
                state.store.save_silence(&old).await?;
            }
            false
        }
        None => false,
    };
    // A new silence starts now at the earliest, as in Alertmanager.
    if !in_place {
        silence.starts_at = silence.starts_at.max(now);
    }
    silence.validate(now).map_err(ApiError::bad_request)?;
    state.store.save_silence(&silence).await?;
    state.engine.silences_changed();
    tracing::info!(id = %silence.id, by = %by, matchers = %silence.matchers, "Silence saved.");
    Ok(silence.id)
}

/// `GET /api/v2/silences`: current silences and recently expired ones,
/// active first.
pub(crate) async fn get_silences(
    _auth: Auth<need::Viewer>,
    State(state): State<AppState>,
    uri: Uri,
) -> ApiResult<axum::Json<Value>> {
    let now = crate::clock::now();
    let mut filters = Vec::new();
    for (key, value) in query_pairs(&uri) {
        if key == "filter" {
            filters.extend(
                parse_matchers(&value)
                    .map_err(|e| ApiError::bad_request(e.to_string()))?
                    .0,
            );
        }
    }
    let mut silences: Vec<Silence> = state
        .store
        .silences(now - EXPIRED_SILENCES_SHOWN)
        .await?
        .into_iter()
        .filter(|s| {
            filters.iter().all(|f| {
                s.matchers
                    .iter()
                    .any(|m| m.name == f.name && f.matches_value(&m.value))
            })
        })
        .collect();
    let rank = |s: &Silence| match s.state(now) {
        SilenceState::Active => 0,
        SilenceState::Pending => 1,
        SilenceState::Expired => 2,
    };
    silences.sort_by(|a, b| {
        rank(a).cmp(&rank(b)).then_with(|| match a.state(now) {
            SilenceState::Active => a.ends_at.cmp(&b.ends_at),
            SilenceState::Pending => a.starts_at.cmp(&b.starts_at),
            SilenceState::Expired => b.ends_at.cmp(&a.ends_at),
        })
    });
    Ok(axum::Json(Value::Array(
        silences.iter().map(|s| gettable_silence(s, now)).collect(),
    )))
}

/// `GET /api/v2/silence/{id}`.
pub(crate) async fn get_silence(
    _auth: Auth<need::Viewer>,
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> ApiResult<axum::Json<Value>> {
    let silence = state
        .store
        .silence(&id)
        .await?
        .ok_or_else(|| ApiError::not_found(format!("silence {id} not found")))?;
    Ok(axum::Json(gettable_silence(&silence, crate::clock::now())))
}

/// `DELETE /api/v2/silence/{id}`: expires the silence (see
/// [`expire_silence`]).
pub(crate) async fn delete_silence(
    auth: Auth<need::Responder>,
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> ApiResult<StatusCode> {
    expire_silence(&state, &id, &auth.caller.user, crate::clock::now()).await?;
    Ok(StatusCode::OK)
}

/// Expires silence `id` now, for the API and the web UI alike. Expiring an
/// expired silence changes nothing; answers whether anything changed.
pub(crate) async fn expire_silence(
    state: &AppState,
    id: &str,
    by: &str,
    now: Timestamp,
) -> ApiResult<bool> {
    let mut silence = state
        .store
        .silence(id)
        .await?
        .ok_or_else(|| ApiError::not_found(format!("silence {id} not found")))?;
    if !silence.expire(now) {
        return Ok(false);
    }
    state.store.save_silence(&silence).await?;
    state.engine.silences_changed();
    tracing::info!(id = %id, by = %by, "Silence expired.");
    Ok(true)
}

/// `GET /api/v2/status`.
pub(crate) async fn status(
    _auth: Auth<need::Viewer>,
    State(state): State<AppState>,
) -> axum::Json<Value> {
    let running = state.config.current();
    let mut original = String::from("# pagerbound: configuration as code, read from\n");
    for file in &running.config.files {
        original.push_str(&format!("#   {}\n", file.display()));
    }
    original.push_str("# routes (route: service/class):\n");
    for route in running.config.routes.walk() {
        original.push_str(&format!(
            "#   {}: {} {}\n",
            route.id,
            route.receiver(),
            route.matchers
        ));
    }
    axum::Json(json!({
        "cluster": { "name": "", "status": "disabled", "peers": [] },
        "versionInfo": {
            "version": env!("CARGO_PKG_VERSION"),
            "revision": "",
            "branch": "",
            "buildUser": "",
            "buildDate": "",
            "goVersion": "none (pagerbound is written in Rust)",
        },
        "config": { "original": original },
        "uptime": am_time(state.started_at),
    }))
}

/// `GET /api/v2/receivers`: every `service/class` a route can send to.
pub(crate) async fn receivers(
    _auth: Auth<need::Viewer>,
    State(state): State<AppState>,
) -> axum::Json<Value> {
    let running = state.config.current();
    let mut names: Vec<String> = running
        .config
        .routes
        .walk()
        .iter()
        .map(|r| r.receiver())
        .collect();
    names.sort();
    names.dedup();
    axum::Json(Value::Array(
        names
            .into_iter()
            .map(|name| json!({ "name": name }))
            .collect(),
    ))
}
