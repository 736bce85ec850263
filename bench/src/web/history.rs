//! The history behind the measured views: resolved alerts over 30 days,
//! pages and tickets with their responses, the firing alerts the server
//! groups itself, and the rest of what a team accumulates (silences,
//! overrides, maintenance windows, SLI events), written through the store.

use crate::pagerbound::{self, Database, Pagerbound, PagerboundOptions};
use anyhow::{Context as _, Result, bail};
use jiff::{SignedDuration, Timestamp};
use pagerbound_core::alert::{Alert, Labels, parse_matchers};
use pagerbound_core::routing::Class;
use pagerbound_core::silence::Silence;
use pagerbound_store::{
    Actor, AlertWrite, NewMaintenance, NewOverride, NewPage, PageFilter, PageState, Response,
    SliEvents, Store,
};
use serde::Serialize;
use std::collections::BTreeSet;
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};
use tempfile::TempDir;

use super::WebOptions;
use super::config::{INTEGRATION, SERVICES, SLOS, TEAMS, USERS, config_yaml};

/// A small deterministic generator (SplitMix64): the same history every
/// run, whatever the `rand` crate's version does.
struct Mix(u64);

impl Mix {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next() % n.max(1)
    }

    fn percent(&mut self, p: u64) -> bool {
        self.below(100) < p
    }

    /// An index into `weights`, with chances in proportion to them.
    fn weighted(&mut self, weights: &[u64]) -> usize {
        let mut pick = self.below(weights.iter().sum());
        for (i, weight) in weights.iter().enumerate() {
            if pick < *weight {
                return i;
            }
            pick -= weight;
        }
        0
    }
}

const SUBJECTS: [&str; 20] = [
    "Api", "Db", "Cache", "Queue", "Disk", "Cpu", "Memory", "Network", "Cert", "Dns", "Lb",
    "Kafka", "Redis", "Postgres", "Nginx", "Grpc", "Batch", "Cron", "Backup", "Replica",
];
const CONDITIONS: [&str; 15] = [
    "Down",
    "HighErrorRate",
    "HighLatency",
    "Saturated",
    "Flapping",
    "Restarting",
    "Lagging",
    "Full",
    "Slow",
    "Unreachable",
    "Throttled",
    "Degraded",
    "Missing",
    "Stale",
    "Overloaded",
];
/// 300 alert names.
const NAMES: usize = SUBJECTS.len() * CONDITIONS.len();
const SEVERITIES: [&str; 3] = ["critical", "warning", "info"];
const INFO: u8 = 2;

fn alertname(index: usize) -> String {
    format!(
        "{}{}",
        SUBJECTS[index / CONDITIONS.len() % SUBJECTS.len()],
        CONDITIONS[index % CONDITIONS.len()]
    )
}

/// The alertname the selective search looks for: one of the less common
/// names (a few hundred occurrences in 100,000).
pub fn selective_alertname() -> String {
    alertname(40)
}

/// What the benchmark remembers of an alert it wrote.
#[derive(Debug, Clone)]
struct Made {
    id: i64,
    name: u16,
    service: u8,
    severity: u8,
    slo: Option<u8>,
    instance: u16,
    starts: Timestamp,
    /// `None` for the firing alerts.
    ends: Option<Timestamp>,
}

impl Made {
    fn service(&self) -> &'static str {
        SERVICES[usize::from(self.service)].0
    }

    fn labels(&self) -> Labels {
        let service = self.service();
        let mut labels: Labels = [
            ("alertname", alertname(usize::from(self.name))),
            ("service", service.to_owned()),
            ("job", service.to_owned()),
            (
                "instance",
                format!("{service}-{:02}.prod.example.com:9100", self.instance),
            ),
            (
                "severity",
                SEVERITIES[usize::from(self.severity)].to_owned(),
            ),
            ("env", "prod".to_owned()),
        ]
        .into_iter()
        .collect();
        if let Some(slo) = self.slo {
            labels.insert("slo", SLOS[usize::from(slo)].name);
        }
        labels
    }

    fn alert(&self) -> Alert {
        let labels = self.labels();
        let name = alertname(usize::from(self.name));
        let instance = labels.get("instance").unwrap_or_default().to_owned();
        let service = self.service();
        let annotations: Labels = [
            ("summary", format!("{name} on {instance}")),
            (
                "description",
                format!("{name} has held for several minutes on {instance} of {service}."),
            ),
            (
                "runbook_url",
                format!("https://runbooks.example.com/{service}/{name}"),
            ),
        ]
        .into_iter()
        .collect();
        Alert {
            labels,
            annotations,
            starts_at: self.starts,
            ends_at: self.ends,
            // Resolved alerts ended because Prometheus stopped sending
            // them; firing ones fire until resolved, so that they still
            // fire however long the benchmark takes.
            timeout: self.ends.is_some(),
            generator_url: Some(format!(
                "http://prometheus.example.com/graph?g0.expr=ALERTS%7Balertname%3D%22{name}%22%7D"
            )),
        }
    }

    /// The route the alert takes, and whether it pages.
    fn route(&self) -> (String, Class) {
        match self.slo {
            Some(_) => (format!("{}-slo", self.service()), Class::Page),
            None => (self.service().to_owned(), Class::Ticket),
        }
    }
}

/// An alert's service: checkout gets the most, so that one service matches
/// tens of thousands of them.
fn pick_service(mix: &mut Mix) -> u8 {
    let weights: Vec<u64> = SERVICES.iter().map(|s| s.2).collect();
    mix.weighted(&weights) as u8
}

/// One of the SLOs of `service`, for some of its alerts.
fn pick_slo(mix: &mut Mix, service: u8, percent: u64) -> Option<u8> {
    let name = SERVICES[usize::from(service)].0;
    let candidates: Vec<u8> = (0..SLOS.len() as u8)
        .filter(|i| SLOS[usize::from(*i)].service == name)
        .collect();
    if candidates.is_empty() || !mix.percent(percent) {
        return None;
    }
    Some(candidates[mix.below(candidates.len() as u64) as usize])
}

/// The resolved history: started over the last 30 days (up to 10 minutes
/// ago), oldest first as ingest would have numbered them, from 1 minute to
/// about 4 hours long. Names are skewed: a few are common, most are rare.
fn resolved_alerts(mix: &mut Mix, count: usize, now: Timestamp) -> Vec<Made> {
    let from = now - SignedDuration::from_hours(30 * 24);
    let span =
        (SignedDuration::from_hours(30 * 24) - SignedDuration::from_mins(10)).as_millis() as i64;
    (0..count)
        .map(|k| {
            let step = span / count.max(1) as i64;
            let offset = k as i64 * step + mix.below(step.max(1) as u64) as i64;
            let starts = from + SignedDuration::from_millis(offset);
            let longest = 1 << mix.below(9);
            let minutes = 1 + mix.below(longest) as i64;
            // Ended by a minute ago: nothing of the history still fires.
            let ends = (starts + SignedDuration::from_mins(minutes))
                .min(now - SignedDuration::from_mins(1));
            let service = pick_service(mix);
            let name = (mix.below(NAMES as u64) * mix.below(NAMES as u64) / NAMES as u64) as u16;
            Made {
                id: 0,
                name,
                service,
                severity: mix.weighted(&[20, 65, 15]) as u8,
                slo: pick_slo(mix, service, 5),
                instance: mix.below(40) as u16,
                starts,
                ends: Some(ends),
            }
        })
        .collect()
}

/// The alerts firing now: a group of about five instances for each of
/// `count / 5` (alertname, service) pairs, started in the last 6 hours.
/// Every firing label set is distinct, as in a real Prometheus.
fn firing_alerts(mix: &mut Mix, count: usize, now: Timestamp) -> Vec<Made> {
    let pairs = (count / 5).clamp(1, NAMES * SERVICES.len());
    let mut seen = BTreeSet::new();
    let mut pair_of: Vec<(u16, u8, Option<u8>)> = Vec::with_capacity(pairs);
    while pair_of.len() < pairs {
        let service = pick_service(mix);
        let name = mix.below(NAMES as u64) as u16;
        // Distinct pairs: two firing alerts never share a label set.
        if !seen.insert((name, service)) {
            continue;
        }
        // Every 25th pair is about an SLO: its alerts page.
        let slo = if pair_of.len().is_multiple_of(25) {
            pick_slo(mix, service, 100)
        } else {
            None
        };
        pair_of.push((name, service, slo));
    }
    (0..count)
        .map(|k| {
            let (name, service, slo) = pair_of[k % pairs];
            Made {
                id: 0,
                name,
                service,
                severity: mix.weighted(&[25, 70, 5]) as u8,
                slo,
                instance: (k / pairs) as u16,
                starts: now - SignedDuration::from_mins(1 + mix.below(6 * 60) as i64),
                ends: None,
            }
        })
        .collect()
}

/// Writes alerts in batches of a thousand, as the ingest path writes
/// them, and notes their ids.
async fn write_alerts(store: &dyn Store, alerts: &mut [Made]) -> Result<()> {
    for chunk in alerts.chunks_mut(1000) {
        let ids = store.reserve_alert_ids(chunk.len()).await?;
        let writes: Vec<AlertWrite> = chunk
            .iter_mut()
            .zip(ids)
            .map(|(made, id)| {
                made.id = id;
                AlertWrite::Insert {
                    id,
                    alert: made.alert(),
                    integration: INTEGRATION.to_owned(),
                    // The last write of a resolved alert is its end.
                    at: made.ends.unwrap_or(made.starts),
                }
            })
            .collect();
        store.write_alerts(&writes).await?;
    }
    Ok(())
}

/// The groups the firing alerts will form, as the route tree groups them
/// (info alerts are logged, not grouped).
fn firing_groups(firing: &[Made]) -> usize {
    firing
        .iter()
        .filter(|a| a.severity != INFO)
        .map(|a| {
            let by = a.slo.map_or_else(
                || alertname(usize::from(a.name)),
                |slo| SLOS[usize::from(slo)].name.to_owned(),
            );
            (a.route().0, by)
        })
        .collect::<BTreeSet<_>>()
        .len()
}

/// A resolved page or ticket of the history.
struct PagePlan {
    page: NewPage,
    acknowledged: Option<(Timestamp, &'static str)>,
    resolved_at: Timestamp,
    /// `None`: its alerts resolved it.
    resolved_by: Option<&'static str>,
}

fn member(mix: &mut Mix, service: &str) -> &'static str {
    let team = SERVICES
        .iter()
        .find(|s| s.0 == service)
        .map_or("web", |s| s.1);
    let members = TEAMS
        .iter()
        .find(|t| t.0 == team)
        .map_or(&USERS[..1], |t| t.1);
    members[mix.below(members.len() as u64) as usize]
}

/// `count` resolved pages and tickets, spread over the history: each is
/// the group of one alert and up to three later ones of the same name and
/// service, opened when the first fired and resolved when the last ended.
fn page_plans(mix: &mut Mix, history: &[Made], count: usize, now: Timestamp) -> Vec<PagePlan> {
    let candidates: Vec<&Made> = history.iter().filter(|a| a.severity != INFO).collect();
    let mut plans = Vec::with_capacity(count);
    for k in 0..count {
        let Some(first) = candidates.get(k * candidates.len() / count.max(1)) else {
            break;
        };
        let (route, class) = first.route();
        let wanted = mix.below(4) as usize;
        let alerts: Vec<&Made> = std::iter::once(*first)
            .chain(
                candidates
                    .iter()
                    .skip(k * candidates.len() / count.max(1) + 1)
                    .take(300)
                    .filter(|a| a.name == first.name && a.service == first.service)
                    .take(wanted)
                    .copied(),
            )
            .collect();
        let group_labels: Labels = match first.slo {
            Some(slo) => [("slo", SLOS[usize::from(slo)].name.to_owned())]
                .into_iter()
                .collect(),
            None => [
                ("alertname", alertname(usize::from(first.name))),
                ("service", first.service().to_owned()),
            ]
            .into_iter()
            .collect(),
        };
        let opened = first.starts + SignedDuration::from_secs(30);
        let last_end = alerts.iter().filter_map(|a| a.ends).max().unwrap_or(opened);
        let resolved_at = last_end.max(opened + SignedDuration::from_secs(1));
        let title = match alerts.len() {
            1 => format!(
                "{} on {}",
                alertname(usize::from(first.name)),
                instance_of(first)
            ),
            n => format!(
                "{} on {} (+{} more)",
                alertname(usize::from(first.name)),
                instance_of(first),
                n - 1
            ),
        };
        let service = first.service();
        let acknowledged = if class == Class::Page {
            let at = opened + SignedDuration::from_secs(60 + mix.below(600) as i64);
            (at < resolved_at).then(|| (at, member(mix, service)))
        } else {
            None
        };
        // Most resolve with their alerts; some are closed by hand, a
        // ticket often hours later.
        let (resolved_at, resolved_by) = if mix.percent(25) {
            let later = if class == Class::Ticket {
                SignedDuration::from_mins(mix.below(8 * 60) as i64)
            } else {
                SignedDuration::from_mins(mix.below(10) as i64)
            };
            let at = (resolved_at + later).min(now - SignedDuration::from_secs(1));
            (at.max(resolved_at), Some(member(mix, service)))
        } else {
            (resolved_at, None)
        };
        plans.push(PagePlan {
            page: NewPage {
                class,
                service: service.to_owned(),
                route: route.clone(),
                group_key: format!("{route}:{group_labels}"),
                group_labels,
                title,
                at: opened,
                alert_ids: alerts.iter().map(|a| a.id).collect(),
            },
            acknowledged,
            resolved_at,
            resolved_by,
        });
    }
    plans
}

fn instance_of(alert: &Made) -> String {
    format!(
        "{}-{:02}.prod.example.com:9100",
        alert.service(),
        alert.instance
    )
}

/// Opens, acknowledges and resolves one page as the engine and people
/// would have: each step its own transaction, with its timeline event.
async fn write_page(store: &dyn Store, plan: &PagePlan) -> Result<()> {
    let page = store.open_page(&plan.page).await?.page;
    if let Some((at, by)) = plan.acknowledged {
        store
            .respond(page.id, &Response::Acknowledge, Actor::by(by), at)
            .await?;
    }
    let actor = plan.resolved_by.map_or(Actor::ENGINE, Actor::by);
    store
        .respond(page.id, &Response::Resolve, actor, plan.resolved_at)
        .await?;
    Ok(())
}

/// Pages written at once: on PostgreSQL each waits for its own commit, so
/// a few in flight fill the gaps; SQLite queues them on its one writer.
const PAGE_WRITERS: usize = 4;

async fn write_pages(store: &Arc<dyn Store>, plans: Vec<PagePlan>) -> Result<()> {
    let plans = Arc::new(plans);
    let mut writers = tokio::task::JoinSet::new();
    for first in 0..PAGE_WRITERS {
        let store = Arc::clone(store);
        let plans = Arc::clone(&plans);
        writers.spawn(async move {
            for plan in plans.iter().skip(first).step_by(PAGE_WRITERS) {
                write_page(store.as_ref(), plan).await?;
            }
            anyhow::Ok(())
        });
    }
    while let Some(done) = writers.join_next().await {
        done.context("a page writer panicked")??;
    }
    Ok(())
}

/// Marks the timeline events written so far as notified long ago, as
/// they would have been when they happened. Left unplanned, the first
/// server started on the history would plan and send notifications for
/// every one of them (some 20,000 events, 70,000 notifications), and that
/// backlog, not the views, is what the runs would measure.
async fn mark_notified(store: &dyn Store, at: Timestamp) -> Result<()> {
    loop {
        let events = store.unplanned_page_events(1000).await?;
        if events.is_empty() {
            return Ok(());
        }
        let ids: Vec<i64> = events.iter().map(|e| e.id).collect();
        store.plan_notifications(&[], &ids, &[], at).await?;
    }
}

/// Each SLO's events: by the hour for 30 days, then by the minute for the
/// last day, with the share of bad events of its [`SloSpec`].
fn sli_events(now: Timestamp) -> Vec<SliEvents> {
    let minute = SignedDuration::from_mins(1);
    let hour = SignedDuration::from_hours(1);
    let this_minute =
        Timestamp::from_second(now.as_second() - now.as_second().rem_euclid(60)).unwrap_or(now);
    let this_hour =
        Timestamp::from_second(now.as_second() - now.as_second().rem_euclid(3600)).unwrap_or(now);
    let day_ago = this_hour - SignedDuration::from_hours(24);
    let mut rows = Vec::new();
    for slo in &SLOS {
        let row = |at: Timestamp, minutes: f64| {
            let bad = if now.duration_since(at) <= slo.recent {
                slo.bad_recently
            } else {
                slo.bad_before
            };
            let total = (slo.events_per_minute * minutes).round();
            SliEvents {
                slo: slo.name.to_owned(),
                minute: at,
                good: (total * (1.0 - bad)).round(),
                total,
            }
        };
        let mut at = this_hour - SignedDuration::from_hours(30 * 24);
        while at < day_ago {
            rows.push(row(at, 60.0));
            at += hour;
        }
        while at < this_minute {
            rows.push(row(at, 1.0));
            at += minute;
        }
    }
    rows
}

/// Overrides (one covering now in each schedule, three ahead), silences
/// (one ending within the day, one for days, one expired) and a
/// maintenance window ending soon: what Now lists besides pages.
async fn write_surroundings(store: &dyn Store, mix: &mut Mix, now: Timestamp) -> Result<()> {
    let hours = SignedDuration::from_hours;
    let mut overrides = Vec::new();
    for (schedule, user) in [
        ("web-primary", "carol"),
        ("payments-primary", "frank"),
        ("platform-primary", "ivan"),
    ] {
        for (start, length) in [(-2, 8), (30, 12), (100, 24), (200, 48)] {
            overrides.push(NewOverride {
                schedule: schedule.to_owned(),
                user: user.to_owned(),
                start: now + hours(start),
                end: now + hours(start + length),
                created_by: "alice".to_owned(),
                note: Some("swap".to_owned()),
            });
        }
    }
    store
        .add_overrides(&overrides, now - hours(24))
        .await
        .context("writing overrides")?;
    for (matchers, starts, ends, comment) in [
        (
            format!("{{alertname=\"{}\"}}", alertname(7)),
            -1,
            5,
            "deploying the fix",
        ),
        (
            "{service=\"catalog\", severity=\"warning\"}".to_owned(),
            -48,
            120,
            "catalog migration",
        ),
        (
            "{service=\"search\", instance=~\"search-0.*\"}".to_owned(),
            -30,
            -3,
            "reindexing",
        ),
    ] {
        let mut random = [0u8; 16];
        for pair in random.chunks_mut(8) {
            pair.copy_from_slice(&mix.next().to_le_bytes());
        }
        store
            .save_silence(&Silence {
                id: pagerbound_core::id::uuid_v4(random),
                matchers: parse_matchers(&matchers).context("the silences' matchers")?,
                starts_at: now + hours(starts),
                ends_at: now + hours(ends),
                created_by: "alice".to_owned(),
                comment: comment.to_owned(),
                updated_at: now + hours(starts),
            })
            .await
            .context("writing silences")?;
    }
    store
        .create_maintenance(&NewMaintenance {
            service: "storage".to_owned(),
            starts_at: now - SignedDuration::from_mins(30),
            ends_at: now + hours(3),
            reason: "disk replacement".to_owned(),
            created_by: "grace".to_owned(),
            created_at: now - hours(1),
        })
        .await
        .context("writing a maintenance window")?;
    Ok(())
}

/// What the prepared database holds.
#[derive(Debug, Clone, Default, Serialize)]
pub struct History {
    /// Alerts in all: those written, and those the server raised (SLO burns).
    pub alerts: usize,
    pub firing: usize,
    /// Pages and tickets in all, and those not resolved.
    pub pages: usize,
    pub open: usize,
    /// How long writing it and the preparation run took.
    pub prepare_seconds: f64,
}

/// A database holding the history, its configuration, and the password
/// of `bench`. Dropping it removes the files and, on PostgreSQL, the
/// database.
pub(super) struct Prepared {
    dir: TempDir,
    url: String,
    pub(super) password: String,
    pub(super) history: History,
    postgres: Option<(String, String)>,
}

impl Drop for Prepared {
    fn drop(&mut self) {
        if let Some((admin_url, name)) = &self.postgres {
            pagerbound::drop_postgres_database(admin_url, name);
        }
    }
}

impl Prepared {
    pub(super) fn config_dir(&self) -> PathBuf {
        self.dir.path().join("config")
    }

    pub(super) fn server_options(&self, binary: &Path, database: &Database) -> PagerboundOptions {
        let mut options = PagerboundOptions::new(binary.to_owned(), database.clone());
        options.config = Some(config_yaml());
        options.existing_database = Some(self.url.clone());
        options
    }
}

async fn open_store(database: &Database, url: &str, dir: &Path) -> Result<Arc<dyn Store>> {
    let store: Arc<dyn Store> = match database {
        Database::Sqlite => Arc::new(
            pagerbound_store_sqlite::SqliteStore::open(&dir.join("pagerbound.db"))
                .await
                .context("opening the SQLite database")?,
        ),
        Database::Postgres { .. } => Arc::new(
            pagerbound_store_postgres::PostgresStore::connect(url)
                .await
                .context("connecting to the PostgreSQL database")?,
        ),
    };
    store.migrate().await.context("migrating the database")?;
    Ok(store)
}

/// Writes the history, lets a server open what is open, gives `bench` a
/// password, and counts what is there.
pub(super) async fn prepare(
    binary: &Path,
    database: &Database,
    options: &WebOptions,
) -> Result<Prepared> {
    let started = Instant::now();
    let dir = tempfile::Builder::new()
        .prefix("pagerbound-bench-web-")
        .tempdir()
        .context("creating a temporary directory")?;
    let config_dir = dir.path().join("config");
    std::fs::create_dir(&config_dir).context("creating the config directory")?;
    std::fs::write(config_dir.join("pagerbound.yaml"), config_yaml())
        .context("writing the configuration")?;
    let (url, postgres) = match database {
        Database::Sqlite => (
            format!("sqlite:{}", dir.path().join("pagerbound.db").display()),
            None,
        ),
        Database::Postgres { admin_url } => {
            let (url, name) = pagerbound::create_postgres_database(admin_url)?;
            (url, Some((admin_url.clone(), name)))
        }
    };
    let mut prepared = Prepared {
        dir,
        url,
        password: format!(
            "{:016x}{:016x}",
            rand::random::<u64>(),
            rand::random::<u64>()
        ),
        history: History::default(),
        postgres,
    };

    let now = Timestamp::now();
    let mut mix = Mix(7);
    let firing_count = (options.alerts / 80).max(5);
    let mut history = resolved_alerts(&mut mix, options.alerts - firing_count, now);
    let mut firing = firing_alerts(&mut mix, firing_count, now);
    let store = open_store(database, &prepared.url, prepared.dir.path()).await?;
    write_alerts(store.as_ref(), &mut history)
        .await
        .context("writing the resolved alerts")?;
    write_alerts(store.as_ref(), &mut firing)
        .await
        .context("writing the firing alerts")?;
    let plans = page_plans(
        &mut mix,
        &history,
        options.pages.saturating_sub(firing_groups(&firing)),
        now,
    );
    write_pages(&store, plans)
        .await
        .context("writing the pages")?;
    mark_notified(store.as_ref(), now).await?;
    for chunk in sli_events(now).chunks(2000) {
        // Stamped as received before the server starts, so that it loads
        // them whole rather than following them as new.
        store
            .record_sli_events(chunk, now - SignedDuration::from_mins(1))
            .await
            .context("writing SLI events")?;
    }
    write_surroundings(store.as_ref(), &mut mix, now).await?;
    store.close().await;

    set_password(
        binary,
        &prepared.config_dir(),
        &prepared.url,
        &prepared.password,
    )?;
    let server = Pagerbound::start(&prepared.server_options(binary, database)).await?;
    wait_for_open_pages(&server).await?;
    drop(server);

    let store = open_store(database, &prepared.url, prepared.dir.path()).await?;
    // Some firing groups open nothing (silenced, inhibited, in
    // maintenance): make up the count with more of the history.
    let count = store
        .pages(&PageFilter {
            limit: 10_000_000,
            ..PageFilter::default()
        })
        .await?
        .len();
    if count < options.pages {
        let more = page_plans(&mut mix, &history, options.pages - count, now);
        write_pages(&store, more)
            .await
            .context("writing the pages")?;
        mark_notified(store.as_ref(), Timestamp::now()).await?;
    }
    prepared.history = take_some(store.as_ref(), now, options.alerts).await?;
    store.close().await;
    if prepared.postgres.is_some() {
        // Statistics for the planner, as autovacuum would have gathered
        // long ago on a database with this much history (and as it does
        // not here if autovacuum is off, as on CI machines).
        pagerbound::psql(&prepared.url, "ANALYZE")?;
    }
    prepared.history.prepare_seconds = started.elapsed().as_secs_f64();
    Ok(prepared)
}

/// Gives some of the open pages and tickets to `bench` and to others, so
/// that Now has both its sections; answers what the database holds.
async fn take_some(store: &dyn Store, since: Timestamp, written: usize) -> Result<History> {
    let now = Timestamp::now();
    let open = store
        .pages(&PageFilter {
            states: vec![
                PageState::Triggered,
                PageState::Acknowledged,
                PageState::Open,
            ],
            limit: 1_000_000,
            ..PageFilter::default()
        })
        .await?;
    let pages = open.iter().filter(|p| p.class == Class::Page);
    for (n, page) in pages.enumerate().take(6) {
        let by = if n % 2 == 0 { "bench" } else { "alice" };
        store
            .respond(page.id, &Response::Acknowledge, Actor::by(by), now)
            .await?;
    }
    let tickets = open.iter().filter(|p| p.class == Class::Ticket);
    for page in tickets.take(10) {
        let to = Response::Reassign {
            to: "bench".to_owned(),
        };
        store.respond(page.id, &to, Actor::by("alice"), now).await?;
    }
    let all = store
        .pages(&PageFilter {
            limit: 10_000_000,
            ..PageFilter::default()
        })
        .await?;
    let recent = store.alerts_ending_after(since).await?;
    let raised = recent
        .iter()
        .filter(|a| a.integration != INTEGRATION)
        .count();
    Ok(History {
        alerts: written + raised,
        firing: recent.iter().filter(|a| a.is_firing(now)).count(),
        pages: all.len(),
        open: open.len(),
        prepare_seconds: 0.0,
    })
}

/// `pagerbound user set-password bench`, the password on standard input.
fn set_password(binary: &Path, config: &Path, database: &str, password: &str) -> Result<()> {
    let mut child = Command::new(binary)
        .args(["user", "set-password", "bench", "--role", "responder"])
        .arg("--config")
        .arg(config)
        .arg("--database")
        .arg(database)
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .context("running pagerbound user set-password")?;
    if let Some(mut stdin) = child.stdin.take() {
        writeln!(stdin, "{password}").context("writing the password")?;
    }
    let output = child
        .wait_with_output()
        .context("waiting for pagerbound user set-password")?;
    if !output.status.success() {
        bail!(
            "pagerbound user set-password failed: {}",
            String::from_utf8_lossy(&output.stderr)
        );
    }
    Ok(())
}

/// Waits until the engine has opened the pages and tickets of the firing
/// alerts and of the SLO burns: their number has not changed for a few
/// seconds, after the routes' `group_wait` and an SLO round.
async fn wait_for_open_pages(server: &Pagerbound) -> Result<()> {
    let client = reqwest::Client::new();
    let started = Instant::now();
    let mut last = None;
    let mut steady = 0;
    loop {
        let mut open = 0;
        for (kind, states) in [("pages", "triggered,acknowledged"), ("tickets", "open")] {
            let listed: serde_json::Value = client
                .get(format!(
                    "{}/api/v1/{kind}?state={states}&limit=1000",
                    server.url()
                ))
                .bearer_auth(server.read_token())
                .send()
                .await?
                .error_for_status()?
                .json()
                .await?;
            open += listed.as_array().map_or(0, Vec::len);
        }
        steady = if last == Some(open) { steady + 1 } else { 0 };
        last = Some(open);
        if open > 0 && steady >= 3 && started.elapsed() > Duration::from_secs(5) {
            return Ok(());
        }
        if started.elapsed() > Duration::from_secs(120) {
            bail!("the engine did not settle on its open pages within 2 minutes ({open} open)");
        }
        tokio::time::sleep(Duration::from_secs(1)).await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_history_has_the_intended_shape() {
        let now: Timestamp = "2026-11-22T03:00:00Z".parse().expect("instant");
        let mut mix = Mix(7);
        let history = resolved_alerts(&mut mix, 10_000, now);
        assert!(history.windows(2).all(|w| w[0].starts <= w[1].starts));
        assert!(history.iter().all(|a| a.ends.is_some_and(|e| e < now)));
        let names: BTreeSet<u16> = history.iter().map(|a| a.name).collect();
        assert!(names.len() > 200, "{} names", names.len());
        let checkout = history.iter().filter(|a| a.service == 0).count();
        assert!((2_500..3_500).contains(&checkout), "{checkout}");
        let selective = history.iter().filter(|a| a.name == 40).count();
        assert!((20..200).contains(&selective), "{selective}");
        assert!(history.iter().any(|a| a.slo.is_some()));

        let firing = firing_alerts(&mut mix, 1_250, now);
        let sets: BTreeSet<String> = firing.iter().map(|a| a.labels().to_string()).collect();
        assert_eq!(sets.len(), firing.len(), "every firing label set differs");
        let groups = firing_groups(&firing);
        assert!((150..=250).contains(&groups), "{groups} groups");

        let plans = page_plans(&mut mix, &history, 1_000, now);
        assert_eq!(plans.len(), 1_000);
        for plan in &plans {
            assert!(!plan.page.alert_ids.is_empty());
            assert!(plan.resolved_at > plan.page.at && plan.resolved_at < now);
            if let Some((at, _)) = plan.acknowledged {
                assert!(plan.page.at < at && at < plan.resolved_at);
            }
        }
        assert!(plans.iter().any(|p| p.page.class == Class::Page));
    }

    #[test]
    fn sli_events_burn_where_intended() {
        let now: Timestamp = "2026-11-22T03:00:30Z".parse().expect("instant");
        let rows = sli_events(now);
        let last = |slo: &str| {
            rows.iter()
                .rfind(|r| r.slo == slo)
                .map(|r| 1.0 - r.good / r.total)
                .expect("rows")
        };
        assert!(last("checkout-availability") > 0.02);
        assert!(last("search-availability") < 0.001);
        assert!(rows.iter().all(|r| r.good <= r.total && r.minute < now));
        assert!(rows.iter().all(|r| r.minute.as_second() % 60 == 0));
    }
}
