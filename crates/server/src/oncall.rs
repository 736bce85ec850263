//! Who is on call: the configured schedules joined with the overrides in
//! the store. The computation itself is `pagerbound_core::schedule`; this
//! module only fetches what it needs.

use jiff::Timestamp;
use pagerbound_core::schedule::{OnCall, Override, Schedule, Shift, ShiftSource};
use pagerbound_store::{Store, StoreError, StoredOverride};
use serde_json::{Value, json};
use std::collections::BTreeMap;

/// The core's view of stored overrides.
pub fn core_overrides<'a>(stored: impl IntoIterator<Item = &'a StoredOverride>) -> Vec<Override> {
    stored
        .into_iter()
        .map(|o| Override {
            id: o.id.to_string(),
            user: o.user.clone(),
            start: o.start,
            end: o.end,
        })
        .collect()
}

/// The final schedule over `[from, to)`, overrides included.
pub async fn shifts(
    store: &dyn Store,
    schedule: &Schedule,
    from: Timestamp,
    to: Timestamp,
) -> Result<Vec<Shift>, StoreError> {
    let stored = store.overrides(Some(&schedule.name), from, to).await?;
    Ok(schedule.shifts(&core_overrides(&stored), from, to))
}

/// Who is on call at `at` in each of `schedules`, with one query for the
/// overrides of all of them.
pub async fn on_call<'a>(
    store: &dyn Store,
    schedules: impl IntoIterator<Item = &'a Schedule>,
    at: Timestamp,
) -> Result<Vec<(&'a Schedule, OnCall)>, StoreError> {
    let schedules: Vec<&Schedule> = schedules.into_iter().collect();
    // An escalation step without schedule targets asks about none.
    if schedules.is_empty() {
        return Ok(Vec::new());
    }
    let until = at
        .checked_add(jiff::SignedDuration::from_millis(1))
        .unwrap_or(at);
    let stored = store.overrides(None, at, until).await?;
    let mut by_schedule: BTreeMap<&str, Vec<&StoredOverride>> = BTreeMap::new();
    for o in &stored {
        by_schedule.entry(o.schedule.as_str()).or_default().push(o);
    }
    Ok(schedules
        .into_iter()
        .map(|schedule| {
            let overrides = by_schedule
                .get(schedule.name.as_str())
                .map(|found| core_overrides(found.iter().copied()))
                .unwrap_or_default();
            (schedule, schedule.on_call_at(&overrides, at))
        })
        .collect())
}

/// What produced a shift, as the API and the CLI show it.
pub fn source_json(source: &ShiftSource) -> Value {
    match source {
        ShiftSource::Layer(layer) => json!({"kind": "layer", "layer": layer}),
        ShiftSource::Override(id) => {
            json!({"kind": "override", "override": id.parse::<i64>().ok()})
        }
        ShiftSource::Gap => json!({"kind": "gap"}),
    }
}

pub fn shift_json(shift: &Shift) -> Value {
    json!({
        "user": shift.user,
        "start": shift.start,
        "end": shift.end,
        "source": source_json(&shift.source),
        "shadows": shift.shadows,
    })
}
