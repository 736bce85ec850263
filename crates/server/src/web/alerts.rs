//! Alerts: search firing and past alerts by label matchers (Alertmanager's
//! syntax, the parser the API uses), by state and by time; each with what
//! happened to it and why: the routes and class it took, the silence,
//! inhibiting alert or maintenance window that muted it, and the page or
//! ticket it is part of.

use super::error::WebResult;
use super::session::SignedIn;
use super::silences::{new_silence_link, parse_matcher_text};
use super::templates::{Chrome, Frame, framed, html};
use crate::alert_status::{AlertStatus, State as AlertState, StatusContext};
use crate::state::AppState;
use askama::Template;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use jiff::Timestamp;
use pagerbound_core::alert::{Fingerprint, Labels, Matchers};
use pagerbound_core::routing::Class;
use pagerbound_store::{Page, StoredAlert};
use serde::Deserialize;
use std::collections::{BTreeMap, BTreeSet};

/// The most alerts a search shows.
const SHOW_LIMIT: usize = 300;
/// The most past occurrences a search looks through (the newest in its
/// range); firing alerts are always all read.
const HISTORY_LIMIT: u32 = 5000;

/// The states a search can ask for.
const STATES: [(&str, &str); 7] = [
    ("firing", "firing"),
    ("active", "firing, not muted"),
    ("silenced", "firing, silenced"),
    ("inhibited", "firing, inhibited"),
    ("maintenance", "firing, in maintenance"),
    ("resolved", "resolved"),
    ("all", "all"),
];
/// How far back a search looks: an alert counts if it fired at some point
/// in the range.
const RANGES: [(&str, &str); 4] = [
    ("1h", "last hour"),
    ("24h", "last 24 hours"),
    ("7d", "last 7 days"),
    ("any", "any time"),
];

#[derive(Debug, Default, Deserialize)]
pub struct SearchQuery {
    /// Label matchers, e.g. `{service="checkout", severity=~"crit.*"}`.
    filter: Option<String>,
    /// One of [`STATES`]; firing by default.
    state: Option<String>,
    /// One of [`RANGES`]; 24h by default.
    since: Option<String>,
}

/// A silence that mutes an alert.
pub struct SilenceNote {
    pub id: String,
    pub comment: String,
    pub created_by: String,
}

/// An alert that inhibits another.
pub struct InhibitorNote {
    pub fingerprint: Fingerprint,
    /// `None` when it is no longer among the firing alerts read.
    pub labels: Option<Labels>,
}

pub struct AlertRow {
    pub alert: StoredAlert,
    pub firing: bool,
    pub status: AlertStatus,
    pub silences: Vec<SilenceNote>,
    pub inhibitors: Vec<InhibitorNote>,
    pub pages: Vec<Page>,
}

#[derive(Template)]
#[template(path = "alerts.html")]
struct AlertsPage {
    chrome: Option<Chrome>,
    filter: String,
    state: String,
    since: String,
    error: Option<String>,
    rows: Vec<AlertRow>,
    /// How many matched in all (more than shown when over the limit).
    matched: usize,
    /// The store held more past occurrences than were searched.
    history_cut: bool,
    /// Open pages were looked up for the first alerts only.
    limit: usize,
    states: [(&'static str, &'static str); 7],
    ranges: [(&'static str, &'static str); 4],
}

framed!(AlertsPage);

impl AlertsPage {
    fn alertname<'a>(&self, labels: &'a Labels) -> &'a str {
        labels.get("alertname").unwrap_or("(no alertname)")
    }

    fn unprocessed(&self, row: &AlertRow) -> bool {
        row.status.state == AlertState::Unprocessed
    }

    /// The silence form, prefilled to silence alerts like this one: the
    /// same alertname and service (all its labels when it has neither).
    fn silence_link(&self, alert: &StoredAlert) -> String {
        let like = alert.labels.subset(["alertname", "service"]);
        let labels = if like.is_empty() {
            &alert.labels
        } else {
            &like
        };
        new_silence_link(&labels.to_string(), None)
    }
}

/// What a search asks for, once read.
struct Criteria {
    matchers: Matchers,
    state: String,
    /// `None`: any time.
    from: Option<Timestamp>,
}

fn criteria(filter: &str, state: &str, since: &str, now: Timestamp) -> Result<Criteria, String> {
    let matchers = parse_matcher_text(filter)?;
    if !STATES.iter().any(|(key, _)| *key == state) {
        return Err(format!(
            "unknown state `{state}`: use firing, active, silenced, inhibited, maintenance, resolved or all"
        ));
    }
    let from = match since {
        "any" | "" => None,
        text => {
            let length: pagerbound_core::Duration = text
                .parse()
                .map_err(|e| format!("`since`: `{text}` is not a duration ({e})"))?;
            // Before 1970 nothing fired: no need for a zero instant the
            // databases may not hold.
            Some(
                now.checked_sub(length.to_signed())
                    .unwrap_or(Timestamp::UNIX_EPOCH)
                    .max(Timestamp::UNIX_EPOCH),
            )
        }
    };
    Ok(Criteria {
        matchers,
        state: state.to_owned(),
        from,
    })
}

/// Whether an alert in `status` is one the state filter asks for.
fn in_state(state: &str, firing: bool, status: &AlertStatus) -> bool {
    let silenced = !status.silenced_by.is_empty();
    let inhibited = !status.inhibited_by.is_empty();
    let maintenance = !status.maintenance.is_empty();
    match state {
        "firing" => firing,
        "active" => firing && !silenced && !inhibited && !maintenance,
        "silenced" => firing && silenced,
        "inhibited" => firing && inhibited,
        "maintenance" => firing && maintenance,
        "resolved" => !firing,
        _ => true,
    }
}

/// `GET /alerts`.
pub async fn list(
    State(state): State<AppState>,
    signed_in: SignedIn,
    Query(query): Query<SearchQuery>,
) -> WebResult<Response> {
    let now = crate::clock::now();
    let mut page = AlertsPage {
        chrome: Some(Chrome::new(&state, &signed_in, "alerts")),
        filter: query.filter.unwrap_or_default(),
        state: query.state.unwrap_or_else(|| "firing".to_owned()),
        since: query.since.unwrap_or_else(|| "24h".to_owned()),
        error: None,
        rows: Vec::new(),
        matched: 0,
        history_cut: false,
        limit: SHOW_LIMIT,
        states: STATES,
        ranges: RANGES,
    };
    let criteria = match criteria(&page.filter, &page.state, &page.since, now) {
        Ok(criteria) => criteria,
        Err(error) => {
            // The form stays as it was typed, with what is wrong above it.
            page.error = Some(error);
            return Ok((StatusCode::BAD_REQUEST, html(&page)).into_response());
        }
    };
    search(&state, &criteria, now, &mut page).await?;
    Ok(html(&page))
}

async fn search(
    state: &AppState,
    criteria: &Criteria,
    now: Timestamp,
    page: &mut AlertsPage,
) -> WebResult<()> {
    let history = async {
        if !matches!(criteria.state.as_str(), "resolved" | "all") {
            return Ok(None);
        }
        let from = criteria.from.unwrap_or(Timestamp::UNIX_EPOCH);
        // The database keeps only those with the labels the `=` matchers
        // ask for; the matchers themselves are applied below.
        state
            .store
            .search_alerts(
                from,
                now,
                &criteria.matchers.required_labels(),
                HISTORY_LIMIT,
            )
            .await
            .map(Some)
    };
    // Every firing alert, whatever is asked: inhibition is judged against
    // all of them, and they name the alerts that inhibit. Read beside the
    // history, on another reader: neither query waits for the other.
    let (firing, history) = tokio::try_join!(state.store.alerts_ending_after(now), history)?;
    let firing: Vec<StoredAlert> = firing.into_iter().filter(|a| a.is_firing(now)).collect();
    let wanted = |alert: &StoredAlert| criteria.matchers.matches(&alert.labels);
    let candidates: Vec<StoredAlert> = match history {
        Some(found) => {
            page.history_cut = found.searched >= HISTORY_LIMIT as usize;
            let seen: BTreeSet<i64> = found.alerts.iter().map(|a| a.id).collect();
            let firing_too = firing.iter().filter(|a| !seen.contains(&a.id) && wanted(a));
            let mut all = found.alerts;
            all.retain(wanted);
            all.extend(firing_too.cloned());
            all
        }
        None => firing.iter().filter(|a| wanted(a)).cloned().collect(),
    };
    let context = StatusContext::load(state, &firing, now).await?;
    let mut kept: Vec<(StoredAlert, bool, AlertStatus)> = candidates
        .into_iter()
        .map(|alert| {
            let firing = alert.is_firing(now);
            let status = context.status(&alert);
            (alert, firing, status)
        })
        .filter(|(_, firing, status)| in_state(&criteria.state, *firing, status))
        .collect();
    kept.sort_by_key(|(alert, _, _)| std::cmp::Reverse((alert.starts_at, alert.id)));
    page.matched = kept.len();
    kept.truncate(SHOW_LIMIT);

    let silences: BTreeMap<&str, _> = context
        .active_silences()
        .iter()
        .map(|s| (s.id.as_str(), s))
        .collect();
    let by_fingerprint: BTreeMap<Fingerprint, &StoredAlert> =
        firing.iter().map(|a| (a.fingerprint, a)).collect();
    // Only alerts that can be on an open page or ticket: firing ones
    // routed to a page or ticket. One query for all of them.
    let paged: Vec<i64> = kept
        .iter()
        .filter(|(_, is_firing, status)| {
            *is_firing && status.routes.iter().any(|r| r.class != Class::Log)
        })
        .map(|(alert, _, _)| alert.id)
        .collect();
    let mut pages_of = open_pages_by_alert(state, &paged).await?;
    for (alert, is_firing, status) in kept {
        let pages = pages_of.remove(&alert.id).unwrap_or_default();
        let silences = status
            .silenced_by
            .iter()
            .map(|id| {
                let silence = silences.get(id.as_str());
                SilenceNote {
                    id: id.clone(),
                    comment: silence.map(|s| s.comment.clone()).unwrap_or_default(),
                    created_by: silence.map(|s| s.created_by.clone()).unwrap_or_default(),
                }
            })
            .collect();
        let inhibitors = status
            .inhibited_by
            .iter()
            .map(|fingerprint| InhibitorNote {
                fingerprint: *fingerprint,
                labels: by_fingerprint.get(fingerprint).map(|a| a.labels.clone()),
            })
            .collect();
        page.rows.push(AlertRow {
            alert,
            firing: is_firing,
            status,
            silences,
            inhibitors,
            pages,
        });
    }
    Ok(())
}

/// The open pages and tickets that hold each of these alerts, read in one
/// query.
pub(super) async fn open_pages_by_alert(
    state: &AppState,
    alert_ids: &[i64],
) -> WebResult<BTreeMap<i64, Vec<Page>>> {
    let mut pages_of: BTreeMap<i64, Vec<Page>> = BTreeMap::new();
    for (alert_id, open) in state.store.open_pages_with_alerts(alert_ids).await? {
        pages_of.entry(alert_id).or_default().push(open);
    }
    Ok(pages_of)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn searches_are_read_or_refused_with_a_reason() {
        let now: Timestamp = "2026-11-22T03:00:00Z".parse().expect("instant");
        let read = criteria(r#"{service="checkout"}"#, "firing", "1h", now).expect("valid");
        assert_eq!(read.matchers.to_string(), r#"{service="checkout"}"#);
        assert_eq!(
            read.from,
            Some("2026-11-22T02:00:00Z".parse().expect("instant"))
        );
        assert_eq!(criteria("", "all", "any", now).expect("valid").from, None);
        let bad = criteria("service=~\"(\"", "firing", "1h", now).err();
        assert!(
            bad.as_deref()
                .is_some_and(|e| e.contains("invalid regular expression")),
            "{bad:?}"
        );
        assert!(criteria("", "sleeping", "1h", now).is_err());
        assert!(criteria("", "firing", "soon", now).is_err());
        let far = criteria("", "all", "100000y", now);
        assert!(far.is_err() || far.is_ok_and(|c| c.from == Some(Timestamp::UNIX_EPOCH)));
    }
}
