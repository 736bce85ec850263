//! Now: what the person on call looks at first. Who is on call in each
//! schedule and who is next; open pages and tickets, theirs first; SLOs
//! burning their budget; silences and maintenance ending soon; and a
//! banner while a drill runs.

use super::error::WebResult;
use super::session::SignedIn;
use super::templates::{Chrome, Frame, framed, html};
use crate::state::AppState;
use askama::Template;
use axum::extract::State;
use axum::response::Response;
use jiff::{SignedDuration, Timestamp};
use pagerbound_store::{Page, PageFilter, PageState};

/// How far ahead "next on call" looks.
const NEXT_HORIZON: SignedDuration = SignedDuration::from_hours(45 * 24);
/// What counts as ending soon.
const SOON: SignedDuration = SignedDuration::from_hours(24);
/// A drill is shown as running for this long after it starts, unless its
/// page is resolved first.
const DRILL_BANNER: SignedDuration = SignedDuration::from_hours(1);
/// The open pages and tickets shown at most.
const OPEN_LIMIT: u32 = 200;

pub struct OnCallRow {
    pub schedule: String,
    pub now: Option<String>,
    pub until: Option<Timestamp>,
    pub next: Option<String>,
}

pub struct SloRow {
    pub name: String,
    pub service: String,
    pub severity: &'static str,
    pub windows: String,
    pub budget_remaining: Option<f64>,
}

pub struct Ending {
    pub what: String,
    pub href: String,
    pub ends_at: Timestamp,
}

#[derive(Template)]
#[template(path = "now.html")]
struct NowPage {
    chrome: Option<Chrome>,
    drill: Option<pagerbound_store::Drill>,
    on_call: Vec<OnCallRow>,
    /// Open pages and tickets: the person's own, then everyone else's.
    sections: [(&'static str, Vec<Page>); 2],
    slos: Vec<SloRow>,
    ending: Vec<Ending>,
}

framed!(NowPage);

/// `GET /`.
pub async fn now(State(state): State<AppState>, signed_in: SignedIn) -> WebResult<Response> {
    let now = crate::clock::now();
    let loaded = state.config.current();
    let config = &loaded.config;

    let mut on_call = Vec::new();
    for schedule in config.schedules.values() {
        let shifts =
            crate::oncall::shifts(state.store.as_ref(), schedule, now, now + NEXT_HORIZON).await?;
        let current = shifts.first().filter(|s| s.start <= now);
        let next = shifts
            .iter()
            .skip_while(|s| s.start <= now)
            .find(|s| s.user.is_some() && s.user != current.and_then(|c| c.user.clone()));
        on_call.push(OnCallRow {
            schedule: schedule.name.clone(),
            now: current.and_then(|s| s.user.clone()),
            until: current.map(|s| s.end),
            next: next.and_then(|s| s.user.clone()),
        });
    }

    let open = state
        .store
        .pages(&PageFilter {
            states: vec![
                PageState::Triggered,
                PageState::Acknowledged,
                PageState::Open,
            ],
            limit: OPEN_LIMIT,
            ..PageFilter::default()
        })
        .await?;
    let (mine, others): (Vec<Page>, Vec<Page>) = open
        .into_iter()
        .partition(|p| super::pages::is_mine(p, &signed_in.user));

    let mut slos: Vec<SloRow> = config
        .slos
        .values()
        .filter_map(|slo| {
            let evaluation = state.slos.evaluation(&slo.name)?;
            let firing: Vec<_> = evaluation.alerts.iter().filter(|a| a.firing).collect();
            let worst = firing.iter().map(|a| a.alert.severity).min()?;
            Some(SloRow {
                name: slo.name.clone(),
                service: slo.service.clone(),
                severity: worst.as_str(),
                windows: firing
                    .iter()
                    .map(|a| a.alert.window_label())
                    .collect::<Vec<_>>()
                    .join(", "),
                budget_remaining: evaluation.budget_remaining,
            })
        })
        .collect();
    slos.sort_by(|a, b| {
        (a.severity, a.budget_remaining.unwrap_or(1.0))
            .partial_cmp(&(b.severity, b.budget_remaining.unwrap_or(1.0)))
            .unwrap_or(std::cmp::Ordering::Equal)
    });

    let mut ending = Vec::new();
    for silence in state.store.silences(now).await? {
        if silence.starts_at <= now && silence.ends_at > now && silence.ends_at <= now + SOON {
            ending.push(Ending {
                what: format!("Silence {}", silence.matchers),
                href: format!("/silences#{}", silence.id),
                ends_at: silence.ends_at,
            });
        }
    }
    for window in state.store.maintenance_windows(now).await? {
        if window.starts_at <= now && window.ends_at <= now + SOON {
            ending.push(Ending {
                what: format!("Maintenance of {}: {}", window.service, window.reason),
                href: "/silences#maintenance".to_owned(),
                ends_at: window.ends_at,
            });
        }
    }
    ending.sort_by_key(|e| e.ends_at);

    let drill = running_drill(&state, now).await?;
    Ok(html(&NowPage {
        chrome: Some(Chrome::new(&state, &signed_in, "now")),
        drill,
        on_call,
        sections: [
            ("Your open pages and tickets", mine),
            ("Other open pages and tickets", others),
        ],
        slos,
        ending,
    }))
}

/// The latest drill, while it runs: started within the last hour and its
/// page, if opened, not resolved.
async fn running_drill(
    state: &AppState,
    now: Timestamp,
) -> WebResult<Option<pagerbound_store::Drill>> {
    let Some(drill) = state.store.drills(1).await?.into_iter().next() else {
        return Ok(None);
    };
    if now.duration_since(drill.started_at) > DRILL_BANNER {
        return Ok(None);
    }
    if let Some(id) = drill.page_id {
        let page = state.store.page(id).await?;
        if page.is_some_and(|p| p.state == PageState::Resolved) {
            return Ok(None);
        }
    }
    Ok(Some(drill))
}
