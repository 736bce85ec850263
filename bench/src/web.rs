//! The web UI's server time: the pages the person on call opens (Now, the
//! alert search, the list of pages and tickets), answered with a realistic
//! history behind them: 100,000 alerts and 10,000 pages and tickets over
//! 30 days, a few hundred of them open, several services, schedules and
//! SLOs (issue 7's target: p99 under 50 ms).
//!
//! The history is written through the store API, the crates the server
//! itself uses, on either backend. That is the fast way to it, and the only
//! one that reaches back: ingest can only make alerts that fire now, and
//! only the engine opens pages. What is still open is left to the server:
//! the firing alerts are written too, and a preparation run of the server
//! groups them and opens their pages and tickets as it would in
//! production, and raises the burn alerts of the SLOs whose budget burns.
//!
//! Each measured run then starts a fresh server on that database, signs in
//! over HTTP as a responder (the sign-in form, its CSRF token, the session
//! cookie), and times GET requests one after another on one keep-alive
//! connection, asking for gzip as browsers do: from sending the request to
//! the last byte of the answer, so the figures include compression and the
//! loopback transfer. The server's own measure of each route, from its
//! `/metrics`, is reported beside them.

use crate::ingest::thousands;
use crate::pagerbound::{self, Database, Pagerbound, PagerboundOptions};
use crate::procstat;
use crate::stats::{Spread, percentile};
use anyhow::{Context as _, Result, bail, ensure};
use jiff::{SignedDuration, Timestamp};
use pagerbound_core::alert::{Alert, Labels, parse_matchers};
use pagerbound_core::routing::Class;
use pagerbound_core::silence::Silence;
use pagerbound_store::{
    Actor, AlertWrite, NewMaintenance, NewOverride, NewPage, PageFilter, PageState, Response,
    SliEvents, Store,
};
use reqwest::Url;
use reqwest::header::{
    ACCEPT_ENCODING, CONTENT_ENCODING, CONTENT_TYPE, COOKIE, LOCATION, SET_COOKIE,
};
use serde::Serialize;
use std::collections::BTreeSet;
use std::io::{Read as _, Write as _};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};
use tempfile::TempDir;

/// The issue's target for every view, at the 99th percentile.
pub const TARGET: Duration = Duration::from_millis(50);

/// How much history, and how many requests.
#[derive(Debug, Clone, Serialize)]
pub struct WebOptions {
    /// Alerts written in all, firing ones included.
    pub alerts: usize,
    /// Pages and tickets in all, with those the server opens.
    pub pages: usize,
    /// Runs per figure, each a fresh server on the same database.
    pub runs: usize,
    /// Timed requests per view and run.
    pub requests: usize,
    /// Untimed requests per view before them.
    pub warmup: usize,
    /// The longest a view is timed for in one run (and warmed up for): a
    /// view that takes a second an answer stops at this, with fewer
    /// requests.
    #[serde(serialize_with = "seconds")]
    pub view_time: Duration,
    /// Where to write the last answer of each view, to see what was
    /// measured.
    #[serde(skip)]
    pub answers: Option<PathBuf>,
    /// Only these views (by [`View::key`]); all when empty.
    pub only: Vec<String>,
    /// A CSV file to append every timed request to, to see how the times
    /// are spread over a run.
    #[serde(skip)]
    pub samples: Option<PathBuf>,
}

impl WebOptions {
    pub fn full() -> Self {
        Self {
            alerts: 100_000,
            pages: 10_000,
            runs: 3,
            requests: 500,
            warmup: 50,
            view_time: Duration::from_secs(120),
            answers: None,
            only: Vec::new(),
            samples: None,
        }
    }

    /// A tenth of the history and a few requests: the whole path, briefly.
    pub fn quick() -> Self {
        Self {
            alerts: 10_000,
            pages: 1_000,
            runs: 1,
            requests: 20,
            warmup: 5,
            view_time: Duration::from_secs(10),
            answers: None,
            only: Vec::new(),
            samples: None,
        }
    }
}

// ---- the configuration ---------------------------------------------------

/// Services, their owning team, and their share of the alerts (percent).
const SERVICES: [(&str, &str, u64); 6] = [
    ("checkout", "web", 30),
    ("payments", "payments", 20),
    ("search", "web", 15),
    ("catalog", "web", 15),
    ("identity", "platform", 10),
    ("storage", "platform", 10),
];

/// Teams and their members; `bench` is the person signed in.
const TEAMS: [(&str, &[&str]); 3] = [
    ("web", &["bench", "alice", "bob", "carol"]),
    ("payments", &["dave", "erin", "frank", "bench"]),
    ("platform", &["grace", "heidi", "ivan"]),
];

const USERS: [&str; 10] = [
    "bench", "alice", "bob", "carol", "dave", "erin", "frank", "grace", "heidi", "ivan",
];

/// SLOs: name, service, objective (percent), and the share of bad events
/// in the recent past and before it, and how far back "recent" reaches.
/// Two of them burn: checkout's availability fast enough to page,
/// payments' slowly enough to ticket.
struct SloSpec {
    name: &'static str,
    service: &'static str,
    objective: f64,
    window: &'static str,
    events_per_minute: f64,
    bad_recently: f64,
    bad_before: f64,
    recent: SignedDuration,
}

const SLOS: [SloSpec; 5] = [
    SloSpec {
        name: "checkout-availability",
        service: "checkout",
        objective: 99.9,
        window: "30d",
        events_per_minute: 900.0,
        bad_recently: 0.025,
        bad_before: 0.0002,
        recent: SignedDuration::from_hours(3),
    },
    SloSpec {
        name: "checkout-latency",
        service: "checkout",
        objective: 99.0,
        window: "30d",
        events_per_minute: 900.0,
        bad_recently: 0.003,
        bad_before: 0.003,
        recent: SignedDuration::from_hours(1),
    },
    SloSpec {
        name: "payments-availability",
        service: "payments",
        objective: 99.5,
        window: "30d",
        events_per_minute: 300.0,
        bad_recently: 0.01,
        bad_before: 0.001,
        recent: SignedDuration::from_hours(48),
    },
    SloSpec {
        name: "search-availability",
        service: "search",
        objective: 99.9,
        window: "28d",
        events_per_minute: 600.0,
        bad_recently: 0.0003,
        bad_before: 0.0003,
        recent: SignedDuration::from_hours(1),
    },
    SloSpec {
        name: "identity-availability",
        service: "identity",
        objective: 99.95,
        window: "30d",
        events_per_minute: 200.0,
        bad_recently: 0.0001,
        bad_before: 0.0001,
        recent: SignedDuration::from_hours(1),
    },
];

/// The token of the integration the alerts are recorded as coming from.
const INTEGRATION_TOKEN: &str = "pbi_web-benchmark-ingest-token-0123456789";
const INTEGRATION: &str = "prometheus";

/// Three schedules (weekly; weekly under a follow-the-sun daytime layer;
/// daily), an escalation policy, an inhibition rule, five SLOs, and a
/// route tree per service: a page for alerts with an `slo` label, a
/// ticket otherwise, a log for `severity="info"`.
pub fn config_yaml() -> String {
    let digest = pagerbound_core::token::TokenDigest::of(INTEGRATION_TOKEN).to_hex();
    let mut yaml = String::from(
        "# Written by pagerbound-bench for the web UI benchmark.\n\
         settings:\n  symptom_label: slo\n",
    );
    yaml.push_str("teams:\n");
    for (team, members) in TEAMS {
        yaml.push_str(&format!(
            "  - {{name: {team}, members: [{}]}}\n",
            members.join(", ")
        ));
    }
    yaml.push_str("users:\n");
    for user in USERS {
        yaml.push_str(&format!(
            "  - {{name: {user}, time_zone: Europe/Dublin, contact_methods: [{{channel: log}}]}}\n"
        ));
    }
    yaml.push_str("channels:\n  - {name: log, type: log}\n");
    yaml.push_str("services:\n");
    yaml.push_str(
        "  - {name: platform, team: platform, runbook: 'https://runbooks.example.com/platform'}\n",
    );
    for (service, team, _) in SERVICES {
        let policy = if team == "web" {
            ", escalation_policy: web"
        } else {
            ""
        };
        yaml.push_str(&format!(
            "  - {{name: {service}, team: {team}, runbook: 'https://runbooks.example.com/{service}'{policy}}}\n"
        ));
    }
    yaml.push_str(&format!(
        "integrations:\n  - name: {INTEGRATION}\n    token: {{ sha256: {digest} }}\n"
    ));
    yaml.push_str(
        "escalation_policies:\n\
         \x20 - name: web\n\
         \x20   steps:\n\
         \x20     - notify: [{schedule: web-primary}]\n\
         \x20       escalate_after: 15m\n\
         \x20     - notify: [{team: web}]\n\
         schedules:\n\
         \x20 - name: web-primary\n\
         \x20   team: web\n\
         \x20   time_zone: Europe/Dublin\n\
         \x20   layers:\n\
         \x20     - {name: weekly, participants: [bench, alice, bob, carol], shift: 1w, handoff: \"09:00\", handoff_day: mon, start: 2025-01-06}\n\
         \x20 - name: payments-primary\n\
         \x20   team: payments\n\
         \x20   time_zone: America/New_York\n\
         \x20   layers:\n\
         \x20     - {name: base, participants: [dave, erin, frank], shift: 1w, handoff: \"10:00\", handoff_day: tue, start: 2025-01-07}\n\
         \x20     - name: sydney-days\n\
         \x20       participants: [bench, erin]\n\
         \x20       shift: 1d\n\
         \x20       handoff: \"08:00\"\n\
         \x20       time_zone: Australia/Sydney\n\
         \x20       start: 2025-01-06\n\
         \x20       restrictions: [{days: mon-fri, start: \"08:00\", end: \"18:00\"}]\n\
         \x20 - name: platform-primary\n\
         \x20   team: platform\n\
         \x20   time_zone: Europe/Berlin\n\
         \x20   layers:\n\
         \x20     - {name: daily, participants: [grace, heidi, ivan], shift: 1d, handoff: \"09:00\", start: 2025-01-01}\n\
         inhibit_rules:\n\
         \x20 - source_matchers: ['severity=\"critical\"']\n\
         \x20   target_matchers: ['severity=\"warning\"']\n\
         \x20   equal: [alertname, instance]\n",
    );
    yaml.push_str("slos:\n");
    for slo in &SLOS {
        yaml.push_str(&format!(
            "  - {{name: {}, service: {}, sli: {{source: push}}, objective: {}, window: {}}}\n",
            slo.name, slo.service, slo.objective, slo.window
        ));
    }
    // Short group_wait: the preparation run waits for the engine to open
    // the pages of the firing alerts; it changes nothing for the views.
    yaml.push_str(
        "routes:\n  service: platform\n  class: ticket\n  group_by: [alertname, service]\n  \
         group_wait: 2s\n  group_interval: 1m\n  routes:\n",
    );
    for (service, _, _) in SERVICES {
        yaml.push_str(&format!(
            "    - name: {service}\n      matchers: ['service=\"{service}\"']\n      service: {service}\n      routes:\n\
             \x20       - name: {service}-slo\n          matchers: ['slo=~\".+\"']\n          class: page\n          group_by: [slo]\n          routes:\n\
             \x20           - {{name: {service}-slo-ticket, matchers: ['severity=\"ticket\"'], class: ticket}}\n\
             \x20       - {{name: {service}-info, matchers: ['severity=\"info\"'], class: log}}\n"
        ));
    }
    yaml
}

// ---- the history ---------------------------------------------------------

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
struct Prepared {
    dir: TempDir,
    url: String,
    password: String,
    history: History,
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
    fn config_dir(&self) -> PathBuf {
        self.dir.path().join("config")
    }

    fn server_options(&self, binary: &Path, database: &Database) -> PagerboundOptions {
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
async fn prepare(binary: &Path, database: &Database, options: &WebOptions) -> Result<Prepared> {
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

// ---- the measurement -----------------------------------------------------

/// One page of the UI, as requested.
#[derive(Debug, Clone, Serialize)]
pub struct View {
    /// What `--view` calls it.
    pub key: &'static str,
    pub name: String,
    /// Path and query.
    pub path: String,
}

/// What `--view` accepts.
pub const VIEW_KEYS: [&str; 5] = [
    "now",
    "alerts-alertname",
    "alerts-service",
    "alerts-firing",
    "pages",
];

/// The views measured: Now, the alert search (one alertname, one service,
/// and the default of every firing alert), and the list of pages.
pub fn views() -> Vec<View> {
    let search = |key: &'static str, name: &str, filter: &str, state: &str, since: &str| {
        let mut query = Url::parse("http://localhost/alerts").ok();
        if let Some(url) = &mut query {
            url.query_pairs_mut()
                .append_pair("filter", filter)
                .append_pair("state", state)
                .append_pair("since", since);
        }
        View {
            key,
            name: name.to_owned(),
            path: query.map_or_else(
                || "/alerts".to_owned(),
                |url| format!("/alerts?{}", url.query().unwrap_or_default()),
            ),
        }
    };
    vec![
        View {
            key: "now",
            name: "Now".to_owned(),
            path: "/".to_owned(),
        },
        search(
            "alerts-alertname",
            "alerts: one alertname",
            &format!("{{alertname=\"{}\"}}", selective_alertname()),
            "all",
            "any",
        ),
        search(
            "alerts-service",
            "alerts: one service",
            "{service=\"checkout\"}",
            "all",
            "any",
        ),
        View {
            key: "alerts-firing",
            name: "alerts: firing (default)".to_owned(),
            path: "/alerts".to_owned(),
        },
        View {
            key: "pages",
            name: "pages and tickets".to_owned(),
            path: "/pages".to_owned(),
        },
    ]
}

/// What one run measured of one view.
#[derive(Debug, Clone, Serialize)]
pub struct RunFigures {
    /// Requests timed (fewer than asked when the view's time ran out).
    pub requests: usize,
    pub p50_ms: f64,
    pub p99_ms: f64,
    pub max_ms: f64,
    /// The mean time the server itself took (its
    /// `pagerbound_http_request_duration_seconds` for the route, over the timed
    /// requests): from the request read to the answer ready to send.
    pub server_mean_ms: f64,
    /// CPU time of the server, and of every process but the server and
    /// the benchmark, during the timed requests, as a share of one core.
    pub server_cpu_share: f64,
    pub other_cpu_share: f64,
    /// Size of the last answer, and as sent (gzipped).
    pub bytes: usize,
    pub sent: usize,
    /// For the alert search, how many alerts it said matched.
    pub matched: Option<u64>,
}

/// One view over all runs.
#[derive(Debug, Clone, Serialize)]
pub struct ViewReport {
    pub view: View,
    /// Requests timed in the run that made the fewest.
    pub requests: usize,
    pub p50_ms: Spread,
    pub p99_ms: Spread,
    pub max_ms: Spread,
    pub server_mean_ms: Spread,
    pub server_cpu_share: Spread,
    pub other_cpu_share: Spread,
    pub bytes: usize,
    pub sent: usize,
    pub matched: Option<u64>,
    /// The median p99 is under [`TARGET`].
    pub met: bool,
    pub runs: Vec<RunFigures>,
}

#[derive(Debug, Clone, Serialize)]
pub struct WebReport {
    /// Version and backend, as the server reports them.
    pub target: String,
    pub history: History,
    pub options: WebOptions,
    pub views: Vec<ViewReport>,
}

/// The signed-in client: one connection, kept alive, no redirects
/// followed (a redirect to the sign-in form is a failure, not a page).
struct Browser {
    client: reqwest::Client,
    base: String,
    session: String,
}

impl Browser {
    async fn sign_in(base: &str, password: &str) -> Result<Self> {
        let client = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .tcp_nodelay(true)
            .pool_max_idle_per_host(1)
            .build()
            .context("an HTTP client")?;
        let form = client
            .get(format!("{base}/login"))
            .send()
            .await
            .context("GET /login")?;
        ensure!(form.status().is_success(), "GET /login: {}", form.status());
        let form_cookie = cookie_value(form.headers(), "pb_sign_in")
            .context("GET /login set no pb_sign_in cookie")?;
        let body = form.text().await.context("reading the sign-in form")?;
        let csrf = hidden_field(&body, "csrf").context("the sign-in form has no csrf field")?;
        let answer = client
            .post(format!("{base}/login"))
            .header(COOKIE, format!("pb_sign_in={form_cookie}"))
            .form(&[
                ("csrf", csrf.as_str()),
                ("user", "bench"),
                ("password", password),
            ])
            .send()
            .await
            .context("POST /login")?;
        ensure!(
            answer.status() == reqwest::StatusCode::SEE_OTHER,
            "signing in answered {} instead of a redirect",
            answer.status()
        );
        let session = cookie_value(answer.headers(), "pb_session")
            .context("signing in set no pb_session cookie")?;
        Ok(Self {
            client,
            base: base.to_owned(),
            session: format!("pb_session={session}"),
        })
    }

    /// One request, asking for gzip as browsers do: its time (to the last
    /// byte), its size as sent, and its body unpacked and checked to be the
    /// page asked for.
    async fn get(&self, path: &str) -> Result<Answer> {
        let started = Instant::now();
        let response = self
            .client
            .get(format!("{}{path}", self.base))
            .header(COOKIE, &self.session)
            .header(ACCEPT_ENCODING, "gzip, deflate, br, zstd")
            .send()
            .await
            .with_context(|| format!("GET {path}"))?;
        let status = response.status();
        let header = |name| {
            response
                .headers()
                .get(name)
                .and_then(|v: &reqwest::header::HeaderValue| v.to_str().ok())
                .map(str::to_owned)
        };
        let html = header(CONTENT_TYPE).is_some_and(|v| v.starts_with("text/html"));
        let gzipped = header(CONTENT_ENCODING).is_some_and(|v| v == "gzip");
        let location = header(LOCATION);
        let sent = response
            .bytes()
            .await
            .with_context(|| format!("reading GET {path}"))?;
        let took = started.elapsed();
        ensure!(
            status == reqwest::StatusCode::OK,
            "GET {path} answered {status}{}",
            location.map_or_else(String::new, |l| format!(" (to {l})"))
        );
        ensure!(html, "GET {path} did not answer HTML");
        let body = if gzipped {
            let mut body = Vec::new();
            flate2::read::GzDecoder::new(&sent[..])
                .read_to_end(&mut body)
                .with_context(|| format!("unpacking GET {path}"))?;
            body
        } else {
            sent.to_vec()
        };
        ensure!(
            !contains(&body, b"action=\"/login\""),
            "GET {path} answered the sign-in form"
        );
        Ok(Answer {
            took,
            sent: sent.len(),
            body,
        })
    }
}

/// What one request took and brought.
struct Answer {
    took: Duration,
    /// Bytes on the wire (gzipped).
    sent: usize,
    body: Vec<u8>,
}

impl Browser {
    /// The server's own time for `GET route` so far: the sum (seconds)
    /// and count of its `pagerbound_http_request_duration_seconds`
    /// histogram, read from `/metrics` with a viewer token.
    async fn server_time(&self, token: &str, route: &str) -> Result<(f64, f64)> {
        let text = self
            .client
            .get(format!("{}/metrics", self.base))
            .bearer_auth(token)
            .send()
            .await
            .context("GET /metrics")?
            .error_for_status()
            .context("GET /metrics")?
            .text()
            .await
            .context("reading /metrics")?;
        Ok(histogram_sum_count(
            &text,
            "pagerbound_http_request_duration_seconds",
            &[("method", "GET"), ("route", route)],
        ))
    }
}

/// The `_sum` and `_count` of the series of histogram `name` with these
/// labels, in Prometheus's text format (0 when it has no such series yet).
fn histogram_sum_count(text: &str, name: &str, labels: &[(&str, &str)]) -> (f64, f64) {
    let value = |suffix: &str| {
        text.lines()
            .filter(|line| line.starts_with(&format!("{name}{suffix}{{")))
            .find(|line| {
                labels
                    .iter()
                    .all(|(k, v)| line.contains(&format!("{k}=\"{v}\"")))
            })
            .and_then(|line| line.rsplit(' ').next()?.parse::<f64>().ok())
            .unwrap_or(0.0)
    };
    (value("_sum"), value("_count"))
}

/// The value of cookie `name` among the `Set-Cookie` headers.
fn cookie_value(headers: &reqwest::header::HeaderMap, name: &str) -> Option<String> {
    headers
        .get_all(SET_COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .filter_map(|v| v.split(';').next()?.trim().split_once('='))
        .find(|(key, value)| *key == name && !value.is_empty())
        .map(|(_, value)| value.to_owned())
}

/// The value of the form field `name` (`name="csrf" value="..."`).
fn hidden_field(html: &str, name: &str) -> Option<String> {
    let after = &html[html.find(&format!("name=\"{name}\""))?..];
    let value = &after[after.find("value=\"")? + "value=\"".len()..];
    Some(value[..value.find('"')?].to_owned())
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}

/// How many alerts the search page says matched ("1234 alerts match",
/// "No alert matches.").
fn matched(html: &str) -> Option<u64> {
    if html.contains("No alert matches") {
        return Some(0);
    }
    let end = html
        .find(" alerts match")
        .or_else(|| html.find(" alert matches"))?;
    let digits: String = html[..end]
        .chars()
        .rev()
        .take_while(|c| c.is_ascii_digit() || *c == ',')
        .filter(char::is_ascii_digit)
        .collect::<Vec<_>>()
        .into_iter()
        .rev()
        .collect();
    digits.parse().ok()
}

/// One timed request: when in its view's timed part it was sent, and
/// how long it took.
struct Sample {
    view: &'static str,
    at: Duration,
    took: Duration,
}

/// Appends a run's requests to the samples file, one CSV line each.
fn write_samples(path: &Path, database: &str, run: usize, samples: &[Sample]) -> Result<()> {
    let new = !path.exists();
    let mut file = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)
        .with_context(|| format!("opening {}", path.display()))?;
    let mut text = String::new();
    if new {
        text.push_str("database,run,view,at_ms,took_ms\n");
    }
    for sample in samples {
        text.push_str(&format!(
            "{database},{run},{},{:.3},{:.3}\n",
            sample.view,
            sample.at.as_secs_f64() * 1000.0,
            sample.took.as_secs_f64() * 1000.0
        ));
    }
    file.write_all(text.as_bytes())
        .with_context(|| format!("writing {}", path.display()))
}

/// One run: a fresh server on the prepared database, signed in, every
/// view in turn.
async fn measure_run(
    binary: &Path,
    database: &Database,
    prepared: &Prepared,
    views: &[View],
    options: &WebOptions,
) -> Result<(String, Vec<RunFigures>, Vec<Sample>)> {
    let server = Pagerbound::start(&prepared.server_options(binary, database)).await?;
    // Let the start-up work (the engine and the SLOs loading their state)
    // finish: the figures are about a server that is up, not starting.
    tokio::time::sleep(Duration::from_secs(2)).await;
    let browser = Browser::sign_in(server.url(), &prepared.password).await?;
    let mut figures = Vec::new();
    let mut samples = Vec::new();
    for view in views {
        let warming = Instant::now();
        for _ in 0..options.warmup {
            browser.get(&view.path).await?;
            if warming.elapsed() > options.view_time / 10 {
                break;
            }
        }
        let route = view.path.split('?').next().unwrap_or_default();
        let (sum_before, count_before) = browser.server_time(server.read_token(), route).await?;
        let server_cpu_before = procstat::cpu_seconds(server.pid())?;
        let own_cpu_before = procstat::own_cpu_seconds()?;
        let machine_before = procstat::machine_busy_seconds()?;
        let timing = Instant::now();
        let mut micros = Vec::with_capacity(options.requests);
        let mut last = Answer {
            took: Duration::ZERO,
            sent: 0,
            body: Vec::new(),
        };
        for _ in 0..options.requests.max(1) {
            let at = timing.elapsed();
            let answer = browser.get(&view.path).await?;
            micros.push(answer.took.as_micros() as u64);
            samples.push(Sample {
                view: view.key,
                at,
                took: answer.took,
            });
            last = answer;
            if timing.elapsed() > options.view_time {
                break;
            }
        }
        let elapsed = timing.elapsed().as_secs_f64().max(1e-9);
        let server_cpu = procstat::cpu_seconds(server.pid())? - server_cpu_before;
        let own_cpu = procstat::own_cpu_seconds()? - own_cpu_before;
        let machine = procstat::machine_busy_seconds()? - machine_before;
        let (sum_after, count_after) = browser.server_time(server.read_token(), route).await?;
        let server_mean_ms =
            (sum_after - sum_before) / (count_after - count_before).max(1.0) * 1000.0;
        if let Some(dir) = &options.answers {
            let file = dir.join(format!(
                "{}-{}.html",
                server.version().replace([' ', '(', ')', '.'], ""),
                view.name.replace([' ', ':', '(', ')'], "")
            ));
            std::fs::create_dir_all(dir)
                .and_then(|()| std::fs::write(&file, &last.body))
                .with_context(|| format!("writing {}", file.display()))?;
        }
        micros.sort_unstable();
        let ms = |p: f64| percentile(&micros, p).map_or(f64::NAN, |us| us as f64 / 1000.0);
        let text = String::from_utf8_lossy(&last.body);
        figures.push(RunFigures {
            requests: micros.len(),
            p50_ms: ms(50.0),
            p99_ms: ms(99.0),
            max_ms: ms(100.0),
            server_mean_ms,
            server_cpu_share: server_cpu / elapsed,
            other_cpu_share: (machine - server_cpu - own_cpu).max(0.0) / elapsed,
            bytes: last.body.len(),
            sent: last.sent,
            matched: view
                .path
                .starts_with("/alerts")
                .then(|| matched(&text))
                .flatten(),
        });
    }
    Ok((server.version().to_owned(), figures, samples))
}

/// Prepares the history on `database`, then measures every view over
/// `options.runs` fresh servers.
pub async fn run(binary: &Path, database: &Database, options: &WebOptions) -> Result<WebReport> {
    let name = match database {
        Database::Sqlite => "sqlite",
        Database::Postgres { .. } => "postgres",
    };
    if !binary.exists() {
        bail!(
            "{} does not exist; build it with `cargo build --release -p pagerbound` (or pass --pagerbound)",
            binary.display()
        );
    }
    eprintln!(
        "web: {name}: writing {} alerts and {} pages and tickets",
        thousands(options.alerts as f64),
        thousands(options.pages as f64)
    );
    let prepared = prepare(binary, database, options).await?;
    eprintln!(
        "web: {name}: prepared in {:.0} s: {} alerts ({} firing), {} pages and tickets ({} open)",
        prepared.history.prepare_seconds,
        thousands(prepared.history.alerts as f64),
        thousands(prepared.history.firing as f64),
        thousands(prepared.history.pages as f64),
        thousands(prepared.history.open as f64),
    );
    let views: Vec<View> = views()
        .into_iter()
        .filter(|v| options.only.is_empty() || options.only.iter().any(|k| k == v.key))
        .collect();
    let mut target = String::new();
    let mut runs: Vec<Vec<RunFigures>> = Vec::new();
    for run in 0..options.runs.max(1) {
        eprintln!("web: {name}: run {} of {}", run + 1, options.runs.max(1));
        let (version, figures, samples) =
            measure_run(binary, database, &prepared, &views, options).await?;
        if let Some(path) = &options.samples {
            write_samples(path, name, run + 1, &samples)?;
        }
        target = format!("pagerbound {version}");
        runs.push(figures);
    }
    let reports = views
        .into_iter()
        .enumerate()
        .map(|(i, view)| {
            let per_run: Vec<RunFigures> = runs.iter().filter_map(|r| r.get(i).cloned()).collect();
            let spread = |f: fn(&RunFigures) -> f64| {
                Spread::of(per_run.iter().map(f)).unwrap_or(Spread {
                    median: f64::NAN,
                    min: f64::NAN,
                    max: f64::NAN,
                })
            };
            let p99_ms = spread(|r| r.p99_ms);
            ViewReport {
                view,
                requests: per_run.iter().map(|r| r.requests).min().unwrap_or(0),
                p50_ms: spread(|r| r.p50_ms),
                max_ms: spread(|r| r.max_ms),
                server_mean_ms: spread(|r| r.server_mean_ms),
                server_cpu_share: spread(|r| r.server_cpu_share),
                other_cpu_share: spread(|r| r.other_cpu_share),
                met: p99_ms.median < TARGET.as_secs_f64() * 1000.0,
                p99_ms,
                bytes: per_run.last().map_or(0, |r| r.bytes),
                sent: per_run.last().map_or(0, |r| r.sent),
                matched: per_run.last().and_then(|r| r.matched),
                runs: per_run,
            }
        })
        .collect();
    Ok(WebReport {
        target,
        history: prepared.history.clone(),
        options: options.clone(),
        views: reports,
    })
}

// ---- the table -----------------------------------------------------------

fn seconds<S: serde::Serializer>(duration: &Duration, serializer: S) -> Result<S::Ok, S::Error> {
    serializer.serialize_f64(duration.as_secs_f64())
}

fn spread_ms(spread: &Spread) -> String {
    format!(
        "{:.2} [{:.2} – {:.2}]",
        spread.median, spread.min, spread.max
    )
}

fn size(bytes: usize) -> String {
    if bytes >= 10 * 1024 {
        format!("{} KB", bytes / 1024)
    } else {
        format!("{:.1} KB", bytes as f64 / 1024.0)
    }
}

pub fn render(report: &WebReport) -> String {
    let h = &report.history;
    let o = &report.options;
    let mut out = format!(
        "Web UI of {}: {} alerts ({} firing), {} pages and tickets ({} open), 30 days\n\
         {} run(s), each a fresh server signed in as a responder: {} requests per view \
         (or {} s of them) one after another on one keep-alive connection, after {} untimed\n\
         ms per request, measured by the client on loopback, gzip asked for as browsers do \
         (server time, compression and transfer); median [min – max] over the runs\n\
         n: requests timed (per run, the fewest); server: mean time the server measured \
         itself (pagerbound_http_request_duration_seconds, before compression);\n\
         CPU, other: the server's CPU and every other process's, in % of one core (of 2); \
         html, sent: the page's size, and as sent\n\n",
        report.target,
        thousands(h.alerts as f64),
        thousands(h.firing as f64),
        thousands(h.pages as f64),
        thousands(h.open as f64),
        o.runs,
        o.requests,
        o.view_time.as_secs(),
        o.warmup,
    );
    let target = format!("p99 < {} ms", TARGET.as_millis());
    out.push_str(&format!(
        "{:<26} {:>5} {:>23} {:>23} {:>25} {:>7} {:>5} {:>5} {:>7} {:>7} {:>7}  {target}\n",
        "view", "n", "p50", "p99", "max", "server", "CPU", "other", "html", "sent", "matched",
    ));
    for v in &report.views {
        out.push_str(&format!(
            "{:<26} {:>5} {:>23} {:>23} {:>25} {:>7.2} {:>4.0}% {:>4.0}% {:>7} {:>7} {:>7}  {}\n",
            v.view.name,
            v.requests,
            spread_ms(&v.p50_ms),
            spread_ms(&v.p99_ms),
            spread_ms(&v.max_ms),
            v.server_mean_ms.median,
            v.server_cpu_share.median * 100.0,
            v.other_cpu_share.median * 100.0,
            size(v.bytes),
            size(v.sent),
            v.matched
                .map_or_else(|| "".to_owned(), |m| thousands(m as f64)),
            if v.met { "met" } else { "MISSED" },
        ));
    }
    out.push_str("\nrequests:\n");
    for v in &report.views {
        out.push_str(&format!("{:<26} GET {}\n", v.view.name, v.view.path));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_configuration_is_valid() {
        let dir = tempfile::tempdir().expect("temporary directory");
        let path = dir.path().join("pagerbound.yaml");
        std::fs::write(&path, config_yaml()).expect("write");
        let loaded = pagerbound_config::load(&path).unwrap_or_else(|rejected| {
            panic!("pagerbound refuses the web benchmark's configuration: {rejected:?}")
        });
        assert_eq!(loaded.config.schedules.len(), 3);
        assert_eq!(loaded.config.slos.len(), SLOS.len());
        assert_eq!(loaded.config.services.len(), SERVICES.len() + 1);
    }

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

    #[test]
    fn the_sign_in_form_and_search_answers_are_read() {
        let form = r#"<form method="post" action="/login">
  <input type="hidden" name="csrf" value="abc123">
  <input type="hidden" name="next" value="/">"#;
        assert_eq!(hidden_field(form, "csrf").as_deref(), Some("abc123"));
        assert_eq!(hidden_field(form, "user"), None);
        assert_eq!(
            matched(r#"<p class="muted">1234 alerts match; showing the newest 300"#),
            Some(1234)
        );
        assert_eq!(matched(r#"<p class="muted">1 alert matches."#), Some(1));
        assert_eq!(matched("<p>No alert matches.</p>"), Some(0));
        assert_eq!(matched("<p>something else</p>"), None);

        let mut headers = reqwest::header::HeaderMap::new();
        headers.append(
            SET_COOKIE,
            "pb_sign_in=; Path=/login; Max-Age=0".parse().expect("v"),
        );
        headers.append(
            SET_COOKIE,
            "pb_session=pbs_x; Path=/; HttpOnly".parse().expect("v"),
        );
        assert_eq!(
            cookie_value(&headers, "pb_session").as_deref(),
            Some("pbs_x")
        );
        assert_eq!(cookie_value(&headers, "pb_sign_in"), None);
    }

    #[test]
    fn histograms_are_read_from_metrics_text() {
        let text = "# TYPE http_request_duration_seconds histogram\n\
            http_request_duration_seconds_sum{method=\"GET\",route=\"/alerts\"} 1.5\n\
            http_request_duration_seconds_count{method=\"GET\",route=\"/alerts\"} 3\n\
            http_request_duration_seconds_sum{method=\"GET\",route=\"/\"} 0.25\n\
            http_request_duration_seconds_count{method=\"GET\",route=\"/\"} 5\n";
        let series = |route| {
            histogram_sum_count(
                text,
                "http_request_duration_seconds",
                &[("method", "GET"), ("route", route)],
            )
        };
        assert_eq!(series("/alerts"), (1.5, 3.0));
        assert_eq!(series("/"), (0.25, 5.0));
        assert_eq!(series("/pages"), (0.0, 0.0));
    }

    #[test]
    fn views_are_encoded_paths() {
        let views = views();
        assert_eq!(views[0].path, "/");
        assert!(
            views[1]
                .path
                .starts_with("/alerts?filter=%7Balertname%3D%22")
        );
        assert!(views[2].path.contains("state=all&since=any"));
    }
}
