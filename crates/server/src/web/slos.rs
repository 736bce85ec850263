//! SLOs: every SLO by how much of its error budget is left, and each one
//! with its budget burned down over the window, its burn rates against
//! the alerting lines, forecasts, objectives over time, the last completed
//! period and the alerts it raised.
//!
//! Everything shown comes from the SLO engine's latest round (the same
//! figures as `GET /api/v1/slos`); only the alerts come from the store.

use super::alerts::open_pages_by_alert;
use super::chart::{Chart, Rule, figure};
use super::error::WebResult;
use super::session::SignedIn;
use super::templates::{Chrome, Frame, ago, framed, html};
use crate::api::slos::{series_range, slo as find_slo};
use crate::error::ApiError;
use crate::state::AppState;
use askama::Template;
use axum::extract::{Path, RawQuery, State};
use axum::response::Response;
use jiff::{SignedDuration, Timestamp};
use pagerbound_core::Duration;
use pagerbound_core::alert::Labels;
use pagerbound_core::slo::{
    AlertReading, BURN_ALERTNAME, Evaluation, PeriodCompliance, Severity, Sli, Slo,
};
use pagerbound_store::{Page, StoredAlert};
use serde::Deserialize;

/// How far back resolved burn alerts are listed.
const RECENT_ALERTS: SignedDuration = SignedDuration::from_hours(7 * 24);
/// The newest alerts of all kinds searched for them: on a busy system older
/// ones may be left out; firing ones never are.
const RECENT_ALERTS_READ: u32 = 1_000;
/// The burn-rate chart covers at least this long.
const BURN_CHART_SPAN: SignedDuration = SignedDuration::from_hours(24);
/// And at least this many of its steps.
const BURN_CHART_STEPS: i32 = 24;

// ---- the list ----------------------------------------------------------

pub struct ListRow {
    pub name: String,
    pub service: String,
    pub objective: f64,
    pub window: String,
    pub budget_remaining: Option<f64>,
    pub budget_remaining_minutes: Option<f64>,
    pub budget_minutes: Option<f64>,
    /// `page`, `ticket`, `ok`, `no_data`, or `unknown` before the engine's
    /// first round.
    pub state: &'static str,
}

#[derive(Template)]
#[template(path = "slos.html")]
struct ListPage {
    chrome: Option<Chrome>,
    slos: Vec<ListRow>,
}

framed!(ListPage);

impl ListPage {
    fn state_label(&self, state: &str) -> &'static str {
        state_label(state)
    }

    fn budget(&self, row: &ListRow) -> String {
        budget_text(
            row.budget_remaining,
            row.budget_remaining_minutes,
            row.budget_minutes,
        )
    }
}

/// `GET /slos`.
pub async fn list(State(state): State<AppState>, signed_in: SignedIn) -> WebResult<Response> {
    let config = state.config.current();
    let mut slos: Vec<ListRow> = config
        .config
        .slos
        .values()
        .map(|slo| {
            let evaluation = state.slos.evaluation(&slo.name);
            let evaluation = evaluation.as_ref();
            ListRow {
                name: slo.name.clone(),
                service: slo.service.clone(),
                objective: slo.objective,
                window: slo.window.to_string(),
                budget_remaining: evaluation.and_then(|e| e.budget_remaining),
                budget_remaining_minutes: evaluation.and_then(|e| e.budget_remaining_minutes),
                budget_minutes: evaluation.map(|e| e.budget_minutes),
                state: evaluation.map_or("unknown", Evaluation::alert_state),
            }
        })
        .collect();
    // Least budget left first: those need a look. Without data, last.
    slos.sort_by(|a, b| match (a.budget_remaining, b.budget_remaining) {
        (Some(x), Some(y)) => x.total_cmp(&y).then_with(|| a.name.cmp(&b.name)),
        (Some(_), None) => std::cmp::Ordering::Less,
        (None, Some(_)) => std::cmp::Ordering::Greater,
        (None, None) => a.name.cmp(&b.name),
    });
    Ok(html(&ListPage {
        chrome: Some(Chrome::new(&state, &signed_in, "slos")),
        slos,
    }))
}

// ---- one SLO -----------------------------------------------------------

/// `?from=&to=&step=` as the API takes them, for the burn-down chart.
#[derive(Debug, Default, Deserialize)]
struct ShowQuery {
    from: Option<String>,
    to: Option<String>,
    step: Option<String>,
}

/// One line of the alerting policy, as it stands.
pub struct LineRow {
    pub window: String,
    pub severity: &'static str,
    pub long: String,
    pub short: String,
    pub threshold: String,
    /// The share of the budget burning at the threshold over the long
    /// window spends.
    pub budget_spent: String,
    pub state: &'static str,
    pub state_class: &'static str,
}

pub struct ForecastRow {
    pub window: String,
    pub burn_rate: String,
    pub exhausted: String,
}

/// An alert the SLO raised, with the open pages it is on.
pub struct RaisedRow {
    pub alert: StoredAlert,
    pub firing: bool,
    pub pages: Vec<Page>,
}

#[derive(Template)]
#[template(path = "slo.html")]
struct ShowPage {
    chrome: Option<Chrome>,
    slo: Slo,
    source: String,
    evaluation: Option<Evaluation>,
    source_error: Option<String>,
    burn_down: String,
    burn_chart: Option<String>,
    lines: Vec<LineRow>,
    forecasts: Vec<ForecastRow>,
    history: Vec<(Timestamp, f64)>,
    last_period: Option<PeriodCompliance>,
    raised: Vec<RaisedRow>,
}

framed!(ShowPage);

impl ShowPage {
    fn state(&self) -> &'static str {
        self.evaluation
            .as_ref()
            .map_or("unknown", Evaluation::alert_state)
    }

    fn state_label(&self, state: &str) -> &'static str {
        state_label(state)
    }

    fn budget(&self) -> String {
        let evaluation = self.evaluation.as_ref();
        budget_text(
            evaluation.and_then(|e| e.budget_remaining),
            evaluation.and_then(|e| e.budget_remaining_minutes),
            evaluation.map(|e| e.budget_minutes),
        )
    }

    fn percent(&self, value: &f64) -> String {
        format!("{}%", figure(*value))
    }

    fn share(&self, value: &Option<f64>) -> String {
        value.map_or_else(
            || "no data".to_owned(),
            |v| format!("{}%", figure(v * 100.0)),
        )
    }

    fn events(&self, value: &f64) -> String {
        figure(*value)
    }

    fn met(&self, period: &PeriodCompliance) -> &'static str {
        match period.met {
            Some(true) => "met",
            Some(false) => "missed",
            None => "no data",
        }
    }

    fn label<'a>(&self, alert: &'a StoredAlert, name: &str) -> &'a str {
        alert.labels.get(name).unwrap_or("")
    }
}

/// `GET /slos/{name}`.
pub async fn show(
    State(state): State<AppState>,
    signed_in: SignedIn,
    Path(name): Path<String>,
    RawQuery(raw): RawQuery,
) -> WebResult<Response> {
    let query: ShowQuery = serde_urlencoded::from_str(raw.as_deref().unwrap_or(""))
        .map_err(|e| ApiError::bad_request(format!("the address is not valid: {e}")))?;
    let config = state.config.current();
    let slo = find_slo(&config.config, &name)?;
    let chrome = Chrome::new(&state, &signed_in, "slos");
    let now = crate::clock::now();
    let evaluation = state.slos.evaluation(&slo.name);

    let burn_down = burn_down(&state, slo, &query, &chrome, now)?;
    let burn_chart = burn_chart(&state, slo, &chrome, now);
    let lines = evaluation
        .as_ref()
        .map(|e| e.alerts.iter().map(|a| line_row(slo, a)).collect())
        .unwrap_or_default();
    let forecasts = evaluation
        .as_ref()
        .map(|e| {
            e.forecasts
                .iter()
                .map(|f| ForecastRow {
                    window: f.window.to_string(),
                    burn_rate: times(f.burn_rate),
                    exhausted: match f.exhausted_at {
                        Some(at) if at <= e.at => "spent already".to_owned(),
                        Some(at) => format!("{} ({})", chrome.when(&at), ago(&at, &now)),
                        None => "not at this rate".to_owned(),
                    },
                })
                .collect()
        })
        .unwrap_or_default();
    let raised = raised_alerts(&state, slo, now).await?;

    Ok(html(&ShowPage {
        source: match &slo.sli {
            Sli::Push => "pushed events".to_owned(),
            Sli::Probe { probe } => format!("probe {probe}"),
            Sli::Prometheus(sli) => format!("Prometheus at {}", sli.url),
        },
        evaluation,
        source_error: state.slos.source_error(&slo.name),
        burn_down,
        burn_chart,
        lines,
        forecasts,
        history: state.slos.objective_history(&slo.name),
        last_period: state.slos.last_completed(slo, now),
        raised,
        slo: slo.clone(),
        chrome: Some(chrome),
    }))
}

/// The budget left over the window, from its start to now; a calendar
/// period's axis runs on to its end, so that the person sees how far into
/// it they are. `from`, `to` and `step` choose another range, as in the
/// API.
fn burn_down(
    state: &AppState,
    slo: &Slo,
    query: &ShowQuery,
    chrome: &Chrome,
    now: Timestamp,
) -> WebResult<String> {
    let (from, to, step) = series_range(
        slo,
        query.from.as_deref(),
        query.to.as_deref(),
        query.step.as_deref(),
        now,
    )?;
    let chosen = query.from.is_some() || query.to.is_some();
    let axis_end = if chosen {
        to
    } else {
        slo.window.end(now).unwrap_or(to).max(to)
    };
    let points = state
        .slos
        .series(slo, anchored(from, to, step), to, step)
        .into_iter()
        .map(|p| (p.at, p.budget_remaining.map(|r| r * 100.0)))
        .collect();
    Ok(Chart {
        title: format!("Error budget remaining of {}", slo.name),
        y_title: "budget remaining, %".to_owned(),
        unit: "%",
        from,
        to: axis_end,
        points,
        rules: vec![Rule {
            value: 0.0,
            label: "budget spent".to_owned(),
            class: "bad",
        }],
        include: vec![0.0, 100.0],
        now: (!chosen).then_some(now),
        time_zone: chrome.time_zone.clone(),
    }
    .svg())
}

/// The first point of a series from `from` to `to` in steps of `step`
/// that ends exactly at `to`: the engine's series starts at its `from`,
/// and its last point would otherwise fall up to a step before now,
/// leaving the latest burn off the chart.
fn anchored(from: Timestamp, to: Timestamp, step: Duration) -> Timestamp {
    let step_ms = step.as_millis().max(1) as i64;
    let span_ms = to.duration_since(from).as_millis().max(0) as i64;
    let steps = span_ms / step_ms;
    to.checked_sub(SignedDuration::from_millis(steps * step_ms))
        .unwrap_or(from)
}

/// The burn rate over the long window of the fastest page line (or of the
/// fastest line, without one), one point a window, over the last day,
/// against that line's threshold. `None` without alerting lines.
fn burn_chart(state: &AppState, slo: &Slo, chrome: &Chrome, now: Timestamp) -> Option<String> {
    let line = slo
        .alerting
        .iter()
        .filter(|a| a.severity == Severity::Page)
        .min_by_key(|a| a.long)
        .or_else(|| slo.alerting.iter().min_by_key(|a| a.long))?;
    let step = line.long;
    let steps = step
        .to_signed()
        .checked_mul(BURN_CHART_STEPS)
        .unwrap_or(SignedDuration::MAX);
    let span = BURN_CHART_SPAN.max(steps);
    let from = now.checked_sub(span).ok()?;
    let points = state
        .slos
        .series(slo, anchored(from, now, step), now, step)
        .into_iter()
        .map(|p| (p.at, p.burn_rate))
        .collect();
    Some(
        Chart {
            title: format!(
                "Burn rate of {} over each {} against its {} line",
                slo.name, step, line.severity
            ),
            y_title: "burn rate, ×".to_owned(),
            unit: "×",
            from,
            to: now,
            points,
            rules: vec![Rule {
                value: line.burn_rate,
                label: format!("{} at {}×", line.severity, figure(line.burn_rate)),
                class: match line.severity {
                    Severity::Page => "bad",
                    Severity::Ticket => "warn",
                },
            }],
            include: vec![0.0],
            now: None,
            time_zone: chrome.time_zone.clone(),
        }
        .svg(),
    )
}

fn line_row(slo: &Slo, reading: &AlertReading) -> LineRow {
    let (state, state_class) = if reading.firing {
        ("firing", "firing")
    } else if reading.too_few_events {
        ("too few events", "few")
    } else if reading.long.burn_rate.is_none() {
        ("no data", "no_data")
    } else {
        ("ok", "ok")
    };
    LineRow {
        window: reading.alert.window_label(),
        severity: reading.alert.severity.as_str(),
        long: format!(
            "{} over {}",
            times(reading.long.burn_rate),
            reading.alert.long
        ),
        short: format!(
            "{} over {}",
            times(reading.short.burn_rate),
            reading.alert.short
        ),
        threshold: format!("{}×", figure(reading.alert.burn_rate)),
        budget_spent: format!(
            "{}%",
            figure(reading.alert.budget_spent(&slo.window) * 100.0)
        ),
        state,
        state_class,
    }
}

/// The burn alerts the SLO raised: those firing now, then those that
/// resolved within [`RECENT_ALERTS`], newest first.
async fn raised_alerts(state: &AppState, slo: &Slo, now: Timestamp) -> WebResult<Vec<RaisedRow>> {
    let ours = |alert: &StoredAlert| {
        alert.integration == crate::raised::INTEGRATION
            && alert.labels.get("slo") == Some(slo.name.as_str())
            && alert.labels.get("alertname") == Some(BURN_ALERTNAME)
    };
    let mut firing = state
        .store
        .firing_alerts_with_label(crate::raised::INTEGRATION, "slo", &slo.name, now)
        .await?;
    firing.retain(|a| ours(a));
    firing.sort_by_key(|a| std::cmp::Reverse(a.starts_at));
    let ids: Vec<i64> = firing.iter().map(|a| a.id).collect();
    let mut pages_of = open_pages_by_alert(state, &ids).await?;
    let mut rows: Vec<RaisedRow> = firing
        .into_iter()
        .map(|alert| RaisedRow {
            pages: pages_of.remove(&alert.id).unwrap_or_default(),
            alert,
            firing: true,
        })
        .collect();
    let since = now.checked_sub(RECENT_ALERTS).unwrap_or(Timestamp::MIN);
    let burn_alerts: Labels = [("alertname", BURN_ALERTNAME), ("slo", slo.name.as_str())]
        .into_iter()
        .collect();
    let recent = state
        .store
        .search_alerts(since, now, &burn_alerts, RECENT_ALERTS_READ)
        .await?
        .alerts;
    for alert in recent {
        if ours(&alert) && !alert.is_firing(now) && !rows.iter().any(|r| r.alert.id == alert.id) {
            rows.push(RaisedRow {
                alert,
                firing: false,
                pages: Vec::new(),
            });
        }
    }
    Ok(rows)
}

/// A burn rate: `12.3×`, or `no data`.
fn times(rate: Option<f64>) -> String {
    rate.map_or_else(|| "no data".to_owned(), |r| format!("{}×", figure(r)))
}

/// `42.1% (18.2 of 43.2 min)`; `overspent: -912% (…)`; `no data`.
fn budget_text(remaining: Option<f64>, minutes: Option<f64>, of: Option<f64>) -> String {
    let Some(remaining) = remaining else {
        return "no data".to_owned();
    };
    let mut text = format!("{}%", figure(remaining * 100.0));
    if let (Some(minutes), Some(of)) = (minutes, of) {
        text.push_str(&format!(" ({} of {} min)", figure(minutes), figure(of)));
    }
    text
}

fn state_label(state: &str) -> &'static str {
    match state {
        "page" => "page",
        "ticket" => "ticket",
        "ok" => "ok",
        "no_data" => "no data",
        _ => "not evaluated yet",
    }
}
