//! SLOs over HTTP: where each stands (budget, burn rates, alerts,
//! forecasts), one with its series for charts and its completed periods,
//! and pushing SLI events.

use super::schedules::instant;
use crate::auth::{Auth, need, sender};
use crate::error::{ApiError, ApiResult};
use crate::extract::{Json, Path, Query};
use crate::sources::push::{PushedEvents, check_batch};
use crate::state::AppState;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use pagerbound_core::Duration;
use pagerbound_core::slo::{
    Evaluation, PeriodCompliance, RatioQueries, Sli, Slo, Totals, WindowReading,
};
use serde::Deserialize;
use serde_json::{Value, json};

/// Points a series may have at most.
const MAX_POINTS: u64 = 2_000;
/// Points in a series when the step is not given.
const DEFAULT_POINTS: u64 = 200;
/// Completed periods shown, newest first: two years of a monthly SLO; for
/// a rolling window, whose period ends every midnight, the last 24 days.
const PERIODS_SHOWN: u32 = 24;

pub(crate) fn slo<'c>(config: &'c pagerbound_config::Config, name: &str) -> ApiResult<&'c Slo> {
    config.slos.get(name).ok_or_else(|| {
        ApiError::not_found(format!(
            "no SLO `{name}`; SLOs are defined under `slos:` in the configuration"
        ))
    })
}

fn window_json(reading: &WindowReading) -> Value {
    json!({
        "window": reading.window,
        "events": reading.totals,
        "error_ratio": reading.error_ratio,
        "burn_rate": reading.burn_rate,
    })
}

/// One SLO as the API shows it; `evaluation` is `None` until the engine's
/// first round.
fn view(slo: &Slo, evaluation: Option<&Evaluation>, source_error: Option<String>) -> Value {
    let mut shown = json!({
        "name": slo.name,
        "service": slo.service,
        "description": slo.description,
        "sli": match &slo.sli {
            Sli::Push => json!({"source": "push"}),
            Sli::Probe { probe } => json!({"source": "probe", "probe": probe}),
            Sli::Prometheus(sli) => {
                let mut shown = json!({
                    "source": "prometheus",
                    "url": sli.url.as_str(),
                    "step": sli.step,
                });
                match &sli.queries {
                    RatioQueries::Good { good, total } => {
                        shown["good"] = json!(good);
                        shown["total"] = json!(total);
                    }
                    RatioQueries::Bad { bad, total } => {
                        shown["bad"] = json!(bad);
                        shown["total"] = json!(total);
                    }
                    RatioQueries::ErrorRatio { error_ratio } => {
                        shown["error_ratio"] = json!(error_ratio);
                    }
                    RatioQueries::Histogram(histogram) => {
                        shown["histogram"] =
                            json!(format!("{}{{{}}}", histogram.metric, histogram.matchers));
                        shown["threshold"] = json!(histogram.threshold);
                    }
                }
                shown
            }
        },
        "objective": slo.objective,
        "window": slo.window.to_string(),
        "min_events": slo.min_events,
        "owner": slo.owner,
        "runbook": slo.runbook,
        "source_error": source_error,
        "alerting": slo.alerting.iter().map(|a| json!({
            "window": a.window_label(),
            "long": a.long,
            "short": a.short,
            "burn_rate": a.burn_rate,
            "severity": a.severity.as_str(),
            "budget_spent": a.budget_spent(&slo.window),
        })).collect::<Vec<_>>(),
    });
    let Some(evaluation) = evaluation else {
        shown["alert_state"] = json!("unknown");
        return shown;
    };
    let extra = json!({
        "evaluated_at": evaluation.at,
        "window_start": evaluation.window_start,
        "window_end": evaluation.window_end,
        "events": evaluation.totals,
        "error_ratio": evaluation.error_ratio,
        "budget_remaining": evaluation.budget_remaining,
        "budget_minutes": evaluation.budget_minutes,
        "budget_remaining_minutes": evaluation.budget_remaining_minutes,
        "burn_rates": evaluation.burn_rates.iter().map(window_json).collect::<Vec<_>>(),
        "alert_state": evaluation.alert_state(),
        "alerts": evaluation.alerts.iter().map(|a| json!({
            "window": a.alert.window_label(),
            "severity": a.alert.severity.as_str(),
            "threshold": a.alert.burn_rate,
            "long_burn_rate": a.long.burn_rate,
            "short_burn_rate": a.short.burn_rate,
            "firing": a.firing,
            "too_few_events": a.too_few_events,
        })).collect::<Vec<_>>(),
        "exhaustion_forecast": evaluation.forecasts,
    });
    if let (Some(shown), Value::Object(extra)) = (shown.as_object_mut(), extra) {
        shown.extend(extra);
    }
    shown
}

/// `GET /api/v1/slos`: every SLO and where it stands.
pub(crate) async fn list(
    _auth: Auth<need::Viewer>,
    State(state): State<AppState>,
) -> ApiResult<axum::Json<Value>> {
    let config = state.config.current();
    let listed: Vec<Value> = config
        .config
        .slos
        .values()
        .map(|slo| {
            view(
                slo,
                state.slos.evaluation(&slo.name).as_ref(),
                state.slos.source_error(&slo.name),
            )
        })
        .collect();
    Ok(axum::Json(Value::Array(listed)))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct SeriesQuery {
    /// RFC 3339; default the start of the SLO window.
    from: Option<String>,
    /// RFC 3339; default now.
    to: Option<String>,
    /// A duration such as `1h`; default a 200th of the range.
    step: Option<String>,
}

/// The range and step of an SLO's series, checked: `from` defaults to the
/// start of the SLO window that ends at `to`, `to` to `now`, and `step`
/// to a 200th of the range. Shared with the web UI's charts.
pub(crate) fn series_range(
    slo: &Slo,
    from: Option<&str>,
    to: Option<&str>,
    step: Option<&str>,
    now: jiff::Timestamp,
) -> ApiResult<(jiff::Timestamp, jiff::Timestamp, Duration)> {
    let bad = ApiError::bad_request;
    let to = instant("to", to)?.unwrap_or(now);
    let from = instant("from", from)?.unwrap_or_else(|| slo.window.start(to));
    if to <= from {
        return Err(bad(format!("to ({to}) must be after from ({from})")));
    }
    let range_millis = to.duration_since(from).as_millis().max(0) as u64;
    let step = match step {
        Some(text) => text
            .parse::<Duration>()
            .map_err(|e| bad(format!("step: {e}")))?,
        // Whole minutes: the finest count kept.
        None => Duration::from_mins((range_millis / DEFAULT_POINTS / 60_000).max(1)),
    };
    if step < Duration::from_mins(1) {
        return Err(bad(
            "step must be at least `1m`, the finest count kept".into()
        ));
    }
    if range_millis / step.as_millis() > MAX_POINTS {
        return Err(bad(format!(
            "from..to in steps of {step} is more than {MAX_POINTS} points; ask for a longer step"
        )));
    }
    Ok((from, to, step))
}

/// `GET /api/v1/slos/{name}?from=&to=&step=`: one SLO, with its series.
pub(crate) async fn show(
    _auth: Auth<need::Viewer>,
    State(state): State<AppState>,
    Path(name): Path<String>,
    Query(query): Query<SeriesQuery>,
) -> ApiResult<axum::Json<Value>> {
    let config = state.config.current();
    let slo = slo(&config.config, &name)?;
    let now = crate::clock::now();
    let (from, to, step) = series_range(
        slo,
        query.from.as_deref(),
        query.to.as_deref(),
        query.step.as_deref(),
        now,
    )?;
    let mut shown = view(
        slo,
        state.slos.evaluation(&slo.name).as_ref(),
        state.slos.source_error(&slo.name),
    );
    shown["objective_history"] = json!(
        state
            .slos
            .objective_history(&slo.name)
            .iter()
            .map(|(since, objective)| json!({"objective": objective, "since": since}))
            .collect::<Vec<_>>()
    );
    shown["last_period"] = json!(state.slos.last_completed(slo, now));
    // Judged as the live last period is, by the objective recorded with
    // each: a period recorded once stays judged the same.
    let periods: Vec<PeriodCompliance> = state
        .store
        .slo_periods(&slo.name, PERIODS_SHOWN)
        .await?
        .into_iter()
        .map(|p| {
            let events = Totals {
                good: p.good,
                total: p.total,
            };
            PeriodCompliance::judge(p.from, p.to, p.objective, events)
        })
        .collect();
    shown["periods"] = json!(periods);
    shown["series"] = json!({
        "from": from,
        "to": to,
        "step": step,
        "points": state.slos.series(slo, from, to, step),
    });
    Ok(axum::Json(shown))
}

/// `POST /api/v1/slis/{name}/events`: a batch of `{timestamp, good,
/// total}` for an SLO whose SLI is pushed, with an integration's token or
/// a responder's API token. The batch is stored whole or not at all.
pub(crate) async fn push(
    headers: HeaderMap,
    State(state): State<AppState>,
    Path(name): Path<String>,
    Json(batch): Json<Vec<PushedEvents>>,
) -> ApiResult<(StatusCode, axum::Json<Value>)> {
    sender(&headers, &state).await?;
    let config = state.config.current();
    let slo = slo(&config.config, &name)?;
    if slo.sli != Sli::Push {
        return Err(ApiError::conflict(format!(
            "SLO `{name}` reads its events from its {} source; events are pushed to SLOs whose SLI source is `push`",
            slo.sli.source()
        )));
    }
    if batch.is_empty() {
        return Err(ApiError::bad_request(
            "the batch is empty; send a JSON array of {timestamp, good, total}",
        ));
    }
    let now = crate::clock::now();
    let minutes = check_batch(slo, &batch, now).map_err(|problems| {
        ApiError::bad_request(format!(
            "{} of {} items are invalid, and nothing was stored: {}",
            problems.len(),
            batch.len(),
            problems.join("; ")
        ))
        .with_detail(json!({"errors": problems}))
    })?;
    state.store.record_sli_events(&minutes, now).await?;
    state.slos.wake();
    Ok((
        StatusCode::ACCEPTED,
        axum::Json(json!({
            "slo": slo.name,
            "accepted": batch.len(),
            "minutes": minutes.len(),
        })),
    ))
}
