//! Handoffs: when the person on call in a schedule changes, the incoming
//! person gets a report of what they inherit — pages still open, tickets
//! and pages of the shift that ended (with their feedback), and silences
//! and maintenance windows that end during their shift.
//!
//! The notifier checks every round, under its lease. Who it last saw on
//! call is kept in the store: the first sight of a schedule records its
//! person without a report, and a restart neither misses a handoff nor
//! reports one twice (the report is recorded before the new person is, so
//! a crash between the two can repeat a report, never lose one).

use crate::oncall;
use jiff::{SignedDuration, Timestamp};
use pagerbound_config::Config;
use pagerbound_core::routing::Class;
use pagerbound_core::schedule::Schedule;
use pagerbound_store::{PageFilter, PageState, Store, StoreError, WatchedOnCall};
use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;

/// The notice kind of a handoff report.
pub(crate) const HANDOFF: &str = "handoff";
/// How far back a report looks when the last shift was longer.
const LONGEST_SHIFT: SignedDuration = SignedDuration::from_hours(31 * 24);
/// How many items of each kind a report lists.
const LISTED: usize = 20;

/// Records a report for each schedule whose on-call person changed;
/// answers how many.
pub(super) async fn check(
    store: &dyn Store,
    config: &Config,
    now: Timestamp,
) -> Result<usize, StoreError> {
    if config.schedules.is_empty() {
        return Ok(0);
    }
    let watched: BTreeMap<String, WatchedOnCall> = store
        .watched_on_call()
        .await?
        .into_iter()
        .map(|w| (w.schedule.clone(), w))
        .collect();
    let mut reported = 0;
    for (schedule, on_call) in oncall::on_call(store, config.schedules.values(), now).await? {
        let last = watched.get(&schedule.name);
        if last.is_some_and(|last| last.user == on_call.user) {
            continue;
        }
        if let (Some(last), Some(incoming)) = (last, &on_call.user) {
            let text = report(store, config, schedule, last, incoming, now).await?;
            let service = team_services(config, &schedule.team)
                .into_iter()
                .next()
                .unwrap_or_default();
            store
                .record_notice(&service, HANDOFF, &text, Some(incoming), now)
                .await?;
            reported += 1;
            tracing::info!(
                schedule = %schedule.name, from = ?last.user, to = %incoming,
                "Handoff: the incoming on-call gets a report."
            );
        }
        store
            .record_on_call(&WatchedOnCall {
                schedule: schedule.name.clone(),
                user: on_call.user.clone(),
                since: now,
            })
            .await?;
    }
    Ok(reported)
}

fn team_services(config: &Config, team: &str) -> Vec<String> {
    config
        .services
        .values()
        .filter(|s| s.team == team)
        .map(|s| s.name.clone())
        .collect()
}

/// The report's text.
async fn report(
    store: &dyn Store,
    config: &Config,
    schedule: &Schedule,
    last: &WatchedOnCall,
    incoming: &str,
    now: Timestamp,
) -> Result<String, StoreError> {
    let zone = config
        .users
        .get(incoming)
        .map_or_else(|| schedule.time_zone.clone(), |u| u.time_zone.clone());
    let local = |at: Timestamp| {
        at.to_zoned(zone.clone())
            .strftime("%a %d %b %H:%M %Z")
            .to_string()
    };
    let services: BTreeSet<String> = team_services(config, &schedule.team).into_iter().collect();
    let shift_end = oncall::shifts(store, schedule, now, now + LONGEST_SHIFT)
        .await?
        .first()
        .map_or(now, |s| s.end);
    let shift_start = last.since.max(now - LONGEST_SHIFT);

    let mut text = String::new();
    let _ = writeln!(
        text,
        "You are on call in {} (team {}) from {} until {}, after {}.",
        schedule.name,
        schedule.team,
        local(now),
        local(shift_end),
        last.user.as_deref().unwrap_or("nobody"),
    );

    let open = store
        .pages(&PageFilter {
            class: Some(Class::Page),
            states: vec![PageState::Triggered, PageState::Acknowledged],
            limit: 1000,
            ..PageFilter::default()
        })
        .await?;
    let open: Vec<_> = open
        .into_iter()
        .filter(|p| services.contains(&p.service))
        .collect();
    let _ = writeln!(text, "\nOpen pages: {}", open.len());
    for page in open.iter().take(LISTED) {
        let state = match (&page.state, &page.acknowledged_by) {
            (PageState::Acknowledged, Some(by)) => format!("acknowledged by {by}"),
            (PageState::Acknowledged, None) => "acknowledged".to_owned(),
            _ => "not acknowledged".to_owned(),
        };
        let _ = writeln!(
            text,
            "- #{} {}: {} ({state})",
            page.id, page.service, page.title
        );
    }

    let during = |class| PageFilter {
        class: Some(class),
        from: Some(shift_start),
        to: Some(now),
        limit: 1000,
        ..PageFilter::default()
    };
    let pages = store.pages(&during(Class::Page)).await?;
    let pages: Vec<_> = pages
        .into_iter()
        .filter(|p| services.contains(&p.service))
        .collect();
    let _ = writeln!(text, "\nPages during the last shift: {}", pages.len());
    for page in pages.iter().take(LISTED) {
        let verdict = match store.page_feedback(page.id).await? {
            Some(f) if f.feedback.actionable => "actionable".to_owned(),
            Some(f) => format!(
                "not actionable: {}",
                f.feedback.reason.map_or("no reason", |r| r.as_str())
            ),
            None => "no feedback yet".to_owned(),
        };
        let _ = writeln!(
            text,
            "- #{} {}: {} ({verdict})",
            page.id, page.service, page.title
        );
    }
    let tickets = store.pages(&during(Class::Ticket)).await?;
    let tickets: Vec<_> = tickets
        .into_iter()
        .filter(|p| services.contains(&p.service))
        .collect();
    let _ = writeln!(
        text,
        "\nTickets opened during the last shift: {}",
        tickets.len()
    );
    for ticket in tickets.iter().take(LISTED) {
        let _ = writeln!(
            text,
            "- #{} {}: {}",
            ticket.id, ticket.service, ticket.title
        );
    }

    let ending = |at: Timestamp| at > now && at <= shift_end;
    let silences: Vec<_> = store
        .silences(now)
        .await?
        .into_iter()
        .filter(|s| ending(s.ends_at))
        .collect();
    let windows: Vec<_> = store
        .maintenance_windows(now)
        .await?
        .into_iter()
        .filter(|w| services.contains(&w.service) && ending(w.ends_at))
        .collect();
    let _ = writeln!(
        text,
        "\nEnding during your shift: {} silences, {} maintenance windows",
        silences.len(),
        windows.len()
    );
    for silence in silences.iter().take(LISTED) {
        let _ = writeln!(
            text,
            "- silence {} ends {}: {}",
            silence.matchers,
            local(silence.ends_at),
            silence.comment
        );
    }
    for window in windows.iter().take(LISTED) {
        let _ = writeln!(
            text,
            "- maintenance of {} ends {}: {}",
            window.service,
            local(window.ends_at),
            window.reason
        );
    }
    Ok(text)
}
