//! Silences: the list by state with an Expire button, the maintenance
//! windows beside them, and the form to create one, with a preview of the
//! firing alerts it would mute before it is saved.
//!
//! Silences are saved and expired through the same functions as the
//! Alertmanager API's (`POST /api/v2/silences`, `DELETE
//! /api/v2/silence/{id}`), so the rules cannot drift apart. The create and
//! expire forms are plain form posts answered with a redirect to the
//! silence's place in the list (`/silences#ID`), where the browser scrolls.

use super::error::{WebError, WebResult};
use super::session::{NoFields, SignedIn, WebForm, from_htmx};
use super::templates::{Chrome, Frame, framed, html};
use crate::api::alertmanager::{
    EXPIRED_SILENCES_SHOWN, SilenceRequest, expire_silence, save_silence,
};
use crate::auth::need;
use crate::error::ApiError;
use crate::state::AppState;
use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::header::LOCATION;
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use jiff::Timestamp;
use jiff::tz::TimeZone;
use pagerbound_core::alert::{Matchers, parse_matchers};
use pagerbound_core::maintenance::MaintenanceWindow;
use pagerbound_core::silence::{Silence, SilenceState};
use pagerbound_store::StoredAlert;
use serde::Deserialize;

/// The firing alerts a preview lists at most; it always says how many
/// match in all.
const PREVIEW_LIMIT: usize = 100;
/// The length offered when the form opens.
const DEFAULT_DURATION: &str = "2h";
/// Lengths offered beside the free field.
const DURATIONS: [&str; 8] = ["30m", "1h", "2h", "4h", "8h", "1d", "3d", "7d"];

/// Reads matchers as a person types them: Alertmanager's syntax
/// (`{alertname="X", service=~"a|b"}`, braces optional) on one line, or
/// one matcher (or several) per line. Lines are read one by one first, so
/// that an unquoted value never runs into the next line; a braced list
/// spread over lines is read whole.
pub(super) fn parse_matcher_text(text: &str) -> Result<Matchers, String> {
    let lines: Vec<&str> = text
        .lines()
        .map(str::trim)
        .filter(|line| !line.is_empty())
        .collect();
    let mut all = Matchers::default();
    let mut first_error = None;
    for line in &lines {
        match parse_matchers(line) {
            Ok(matchers) => all.0.extend(matchers.0),
            Err(error) => {
                first_error = Some(error.to_string());
                break;
            }
        }
    }
    let Some(line_error) = first_error else {
        return Ok(all);
    };
    if lines.len() > 1
        && let Ok(whole) = parse_matchers(&lines.join(" "))
    {
        return Ok(whole);
    }
    Err(line_error)
}

/// `/silences/new?matchers=...`: the form, prefilled with these matchers
/// (and, when given, a comment).
pub fn new_silence_link(matchers: &str, comment: Option<&str>) -> String {
    let mut query = url::form_urlencoded::Serializer::new(String::new());
    query.append_pair("matchers", matchers);
    if let Some(comment) = comment {
        query.append_pair("comment", comment);
    }
    format!("/silences/new?{}", query.finish())
}

// ---- the list ----------------------------------------------------------

#[derive(Debug, Default, Deserialize)]
pub struct ListQuery {
    /// `active`, `pending`, `expired`, or `all` (the default).
    state: Option<String>,
}

pub struct Section {
    pub state: &'static str,
    pub title: &'static str,
    pub silences: Vec<Silence>,
}

#[derive(Template)]
#[template(path = "silences.html")]
struct ListPage {
    chrome: Option<Chrome>,
    now: Timestamp,
    state: String,
    sections: Vec<Section>,
    maintenance: Vec<MaintenanceWindow>,
    expired_days: i64,
}

framed!(ListPage);

impl ListPage {
    fn can_expire(&self, silence: &Silence) -> bool {
        silence.state(self.now) != SilenceState::Expired
    }

    fn window_active(&self, window: &MaintenanceWindow) -> bool {
        window.is_active(self.now)
    }

    /// The form prefilled with a silence's matchers and comment: to
    /// silence again what an expired silence muted.
    fn again(&self, silence: &Silence) -> String {
        new_silence_link(&silence.matchers.to_string(), Some(&silence.comment))
    }
}

/// `GET /silences`.
pub async fn list(
    State(state): State<AppState>,
    signed_in: SignedIn,
    Query(query): Query<ListQuery>,
) -> WebResult<Response> {
    let now = crate::clock::now();
    let chosen = query.state.unwrap_or_else(|| "all".to_owned());
    let wanted: &[SilenceState] = match chosen.as_str() {
        "all" | "" => &[
            SilenceState::Active,
            SilenceState::Pending,
            SilenceState::Expired,
        ],
        "active" => &[SilenceState::Active],
        "pending" => &[SilenceState::Pending],
        "expired" => &[SilenceState::Expired],
        other => {
            return Err(ApiError::bad_request(format!(
                "unknown state `{other}`: use active, pending, expired or all"
            ))
            .into());
        }
    };
    let silences = state.store.silences(now - EXPIRED_SILENCES_SHOWN).await?;
    let sections = wanted
        .iter()
        .map(|&wanted| {
            let mut silences: Vec<Silence> = silences
                .iter()
                .filter(|s| s.state(now) == wanted)
                .cloned()
                .collect();
            // What ends or starts soonest first; the latest expired first.
            match wanted {
                SilenceState::Active => silences.sort_by_key(|s| s.ends_at),
                SilenceState::Pending => silences.sort_by_key(|s| s.starts_at),
                SilenceState::Expired => silences.sort_by_key(|s| std::cmp::Reverse(s.ends_at)),
            }
            Section {
                state: wanted.as_str(),
                title: match wanted {
                    SilenceState::Active => "Active",
                    SilenceState::Pending => "Pending",
                    SilenceState::Expired => "Expired",
                },
                silences,
            }
        })
        .collect();
    let maintenance = state.store.maintenance_windows(now).await?;
    Ok(html(&ListPage {
        chrome: Some(Chrome::new(&state, &signed_in, "silences")),
        now,
        state: chosen,
        sections,
        maintenance,
        expired_days: EXPIRED_SILENCES_SHOWN.as_hours() / 24,
    }))
}

// ---- the form ----------------------------------------------------------

/// The fields of the silence form, kept as typed so that a form with a
/// mistake comes back as it was.
#[derive(Debug, Default, Deserialize)]
pub struct SilenceForm {
    #[serde(default)]
    matchers: String,
    /// A length from the start, like `2h`.
    #[serde(default)]
    duration: String,
    /// Empty: now.
    #[serde(default)]
    starts: String,
    /// When given, used instead of the duration.
    #[serde(default)]
    ends: String,
    #[serde(default)]
    comment: String,
}

/// What the matchers would mute now.
pub struct Preview {
    pub alerts: Vec<StoredAlert>,
    pub total: usize,
}

#[derive(Template)]
#[template(path = "silence_new.html")]
struct FormPage {
    chrome: Option<Chrome>,
    form: SilenceForm,
    /// Why the silence could not be created.
    errors: Vec<String>,
    /// Why the matchers could not be previewed.
    preview_error: Option<String>,
    preview: Option<Preview>,
    durations: [&'static str; 8],
    limit: usize,
}

framed!(FormPage);

impl FormPage {
    /// The person's time zone, in which times without an offset are read.
    fn zone(&self) -> String {
        self.chrome
            .as_ref()
            .and_then(|c| c.time_zone.iana_name())
            .unwrap_or("UTC")
            .to_owned()
    }

    fn alertname<'a>(&self, alert: &'a StoredAlert) -> &'a str {
        alert.labels.get("alertname").unwrap_or("(no alertname)")
    }
}

/// `GET /silences/new`: the form, prefilled from the query (the alerts
/// list links here with `?matchers=`), with a preview when there are
/// matchers already.
pub async fn form(
    State(state): State<AppState>,
    signed_in: SignedIn<need::Responder>,
    Query(mut form): Query<SilenceForm>,
) -> WebResult<Response> {
    if form.duration.is_empty() && form.ends.is_empty() {
        form.duration = DEFAULT_DURATION.to_owned();
    }
    let chrome = Chrome::new(&state, &signed_in, "silences");
    previewed(&state, chrome, form, Vec::new()).await
}

/// `POST /silences/new`: the Preview button. Changes nothing; the form
/// comes back as it was, with the alerts its matchers would mute now.
/// With htmx only the preview is swapped in.
pub async fn preview(
    State(state): State<AppState>,
    WebForm { signed_in, form }: WebForm<need::Responder, SilenceForm>,
) -> WebResult<Response> {
    let chrome = Chrome::new(&state, &signed_in, "silences");
    previewed(&state, chrome, form, Vec::new()).await
}

/// Renders the form with its preview; 400 when something in it is wrong.
async fn previewed(
    state: &AppState,
    chrome: Chrome,
    form: SilenceForm,
    errors: Vec<String>,
) -> WebResult<Response> {
    let (preview, preview_error) = if form.matchers.trim().is_empty() {
        (None, None)
    } else {
        match parse_matcher_text(&form.matchers) {
            Ok(matchers) => (Some(muted_now(state, &matchers).await?), None),
            // A bad matcher already heads the list of errors, if any.
            Err(error) => (None, errors.is_empty().then_some(error)),
        }
    };
    let status = if errors.is_empty() && preview_error.is_none() {
        StatusCode::OK
    } else {
        StatusCode::BAD_REQUEST
    };
    let page = FormPage {
        chrome: Some(chrome),
        form,
        errors,
        preview_error,
        preview,
        durations: DURATIONS,
        limit: PREVIEW_LIMIT,
    };
    Ok((status, html(&page)).into_response())
}

/// The firing alerts `matchers` match now, newest first.
async fn muted_now(state: &AppState, matchers: &Matchers) -> WebResult<Preview> {
    let now = crate::clock::now();
    let mut alerts: Vec<StoredAlert> = state
        .store
        .alerts_ending_after(now)
        .await?
        .into_iter()
        .filter(|a| a.is_firing(now) && matchers.matches(&a.labels))
        .collect();
    alerts.sort_by_key(|a| std::cmp::Reverse(a.starts_at));
    let total = alerts.len();
    alerts.truncate(PREVIEW_LIMIT);
    Ok(Preview { alerts, total })
}

/// An instant as typed: RFC 3339 with an offset, or a local date and time
/// (`2026-11-22T03:15`, what a browser's date-time field sends) in the
/// person's time zone.
fn parse_instant(field: &str, text: &str, zone: &TimeZone) -> Result<Timestamp, String> {
    let text = text.trim();
    if let Ok(at) = text.parse::<Timestamp>() {
        return Ok(at);
    }
    let local: jiff::civil::DateTime = text.parse().map_err(|_| {
        format!("{field}: `{text}` is not a date and time; write it as 2026-11-22 03:15")
    })?;
    local
        .to_zoned(zone.clone())
        .map(|zoned| zoned.timestamp())
        .map_err(|e| format!("{field}: `{text}` is out of range ({e})"))
}

/// Reads the form into a silence request, or says everything that is
/// wrong with it.
fn request_of(
    form: &SilenceForm,
    user: &str,
    zone: &TimeZone,
    now: Timestamp,
) -> Result<SilenceRequest, Vec<String>> {
    let mut errors = Vec::new();
    let matchers = match parse_matcher_text(&form.matchers) {
        Ok(matchers) if matchers.is_empty() => {
            errors.push("give at least one matcher, e.g. alertname=\"HighLatency\"".to_owned());
            None
        }
        Ok(matchers) => Some(matchers),
        Err(error) => {
            errors.push(error);
            None
        }
    };
    let starts_at = if form.starts.trim().is_empty() {
        Some(now)
    } else {
        parse_instant("start", &form.starts, zone)
            .map_err(|e| errors.push(e))
            .ok()
    };
    let ends_at = match (form.ends.trim(), form.duration.trim(), starts_at) {
        (ends, _, _) if !ends.is_empty() => parse_instant("end", ends, zone)
            .map_err(|e| errors.push(e))
            .ok(),
        ("", "", _) => {
            errors.push("give a duration (like 2h) or an end time".to_owned());
            None
        }
        (_, length, Some(start)) => match length.parse::<pagerbound_core::Duration>() {
            Ok(length) => start.checked_add(length.to_signed()).map_or_else(
                |_| {
                    errors.push(format!("duration `{length}` is too long"));
                    None
                },
                Some,
            ),
            Err(e) => {
                errors.push(format!("duration: {e}"));
                None
            }
        },
        (_, _, None) => None,
    };
    if let (Some(start), Some(end)) = (starts_at, ends_at)
        && end <= start
    {
        errors.push(format!(
            "the end ({}) must be after the start ({})",
            end.to_zoned(zone.clone()).strftime("%Y-%m-%d %H:%M %Z"),
            start.to_zoned(zone.clone()).strftime("%Y-%m-%d %H:%M %Z"),
        ));
    }
    if form.comment.trim().is_empty() {
        errors.push("a comment is required: say why, for whoever sees the alerts muted".to_owned());
    }
    match (matchers, starts_at, ends_at) {
        (Some(matchers), Some(starts_at), Some(ends_at)) if errors.is_empty() => {
            Ok(SilenceRequest {
                id: None,
                matchers,
                starts_at,
                ends_at,
                created_by: user.to_owned(),
                comment: form.comment.trim().to_owned(),
            })
        }
        _ => Err(errors),
    }
}

/// Where to go after a change: the silence in the list. With htmx (should
/// a form be boosted) a full load, so that the browser scrolls to it.
fn to_silence(headers: &HeaderMap, id: &str) -> Response {
    let place = format!("/silences#{id}");
    let Ok(value) = HeaderValue::from_str(&place) else {
        return (StatusCode::SEE_OTHER, [(LOCATION, "/silences")]).into_response();
    };
    if from_htmx(headers) {
        (StatusCode::OK, [("hx-redirect", value)]).into_response()
    } else {
        (StatusCode::SEE_OTHER, [(LOCATION, value)]).into_response()
    }
}

/// `POST /silences`: creates a silence, by the signed-in person.
pub async fn create(
    State(state): State<AppState>,
    headers: HeaderMap,
    WebForm { signed_in, form }: WebForm<need::Responder, SilenceForm>,
) -> WebResult<Response> {
    let now = crate::clock::now();
    let chrome = Chrome::new(&state, &signed_in, "silences");
    let request = match request_of(&form, &signed_in.user, &chrome.time_zone, now) {
        Ok(request) => request,
        Err(errors) => return previewed(&state, chrome, form, errors).await,
    };
    match save_silence(&state, request, &signed_in.user, now).await {
        Ok(id) => Ok(to_silence(&headers, &id)),
        // The API's own checks (a silence that would mute nearly
        // everything, say): the form comes back with the reason.
        Err(error) if error.status() == StatusCode::BAD_REQUEST => {
            let errors = vec![error.message().to_owned()];
            previewed(&state, chrome, form, errors).await
        }
        Err(error) => Err(WebError::from(error)),
    }
}

/// `POST /silences/{id}/expire`.
pub async fn expire(
    State(state): State<AppState>,
    Path(id): Path<String>,
    headers: HeaderMap,
    WebForm { signed_in, .. }: WebForm<need::Responder, NoFields>,
) -> WebResult<Response> {
    expire_silence(&state, &id, &signed_in.user, crate::clock::now()).await?;
    Ok(to_silence(&headers, &id))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn matchers_read_on_one_line_or_one_per_line() {
        let one = parse_matcher_text(r#"{alertname="X", service=~"a|b"}"#).expect("one line");
        assert_eq!(one.to_string(), r#"{alertname="X", service=~"a|b"}"#);
        let lines = parse_matcher_text("alertname=X\n  service=checkout \n\n").expect("lines");
        assert_eq!(lines.to_string(), r#"{alertname="X", service="checkout"}"#);
        let spread =
            parse_matcher_text("{\n  alertname=\"X\",\n  env!=\"dev\"\n}").expect("braced");
        assert_eq!(spread.to_string(), r#"{alertname="X", env!="dev"}"#);
        assert!(parse_matcher_text("").expect("empty").is_empty());
        let error = parse_matcher_text("alertname=\"X\"\nservice~checkout").expect_err("bad");
        assert!(error.contains("service~checkout"), "{error}");
    }

    #[test]
    fn forms_read_into_requests_or_say_what_is_wrong() {
        let now: Timestamp = "2026-11-22T03:00:00Z".parse().expect("instant");
        let zone = TimeZone::get("Europe/Dublin").expect("zone");
        let form = SilenceForm {
            matchers: "alertname=X".into(),
            duration: "2h".into(),
            comment: " deploy ".into(),
            ..SilenceForm::default()
        };
        let request = request_of(&form, "bob", &zone, now).expect("valid");
        assert_eq!(request.ends_at, now + jiff::SignedDuration::from_hours(2));
        assert_eq!(request.created_by, "bob");
        assert_eq!(request.comment, "deploy");

        let ends = SilenceForm {
            ends: "2026-11-22T05:30".into(),
            ..form
        };
        let request = request_of(&ends, "bob", &zone, now).expect("valid");
        assert_eq!(request.ends_at, "2026-11-22T05:30:00Z".parse().expect("t"));

        let wrong = SilenceForm {
            matchers: "alertname~X".into(),
            duration: "forever".into(),
            ..SilenceForm::default()
        };
        let errors = request_of(&wrong, "bob", &zone, now).expect_err("invalid");
        assert_eq!(errors.len(), 3, "{errors:?}");

        let backwards = SilenceForm {
            matchers: "alertname=X".into(),
            starts: "2026-11-23 10:00".into(),
            ends: "2026-11-23 09:00".into(),
            comment: "c".into(),
            ..SilenceForm::default()
        };
        let errors = request_of(&backwards, "bob", &zone, now).expect_err("invalid");
        assert!(errors[0].contains("must be after the start"), "{errors:?}");
    }
}
