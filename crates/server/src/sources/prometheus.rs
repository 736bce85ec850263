//! SLIs read from a Prometheus-compatible HTTP API (Prometheus, Thanos,
//! Mimir, VictoriaMetrics). One instance at a time (holding the
//! `prometheus` lease) evaluates each SLO's queries with `query_range`,
//! one step at a time, and records the events with how far it has read,
//! together: the first read backfills the SLO's window, later ones read
//! the steps that have passed since, and a restart or a new lease holder
//! goes on from the recorded cursor without counting a step twice.
//!
//! A step without data is a gap, never "all good". A source that cannot
//! be read is an alert of its own (`SLISourceDown`, severity `ticket`):
//! it carries no `slo` label, so routes that page on SLO burns do not
//! page on it.

use crate::ingest::Ingest;
use crate::raised::{Firing, Raised};
use crate::reload::ConfigHandle;
use crate::slos::SloBook;
use crate::sources::push::minute_of;
use jiff::{SignedDuration, Timestamp};
use pagerbound_core::alert::Labels;
use pagerbound_core::slo::{HistogramQuery, PrometheusSli, RatioQueries, Sli, Slo};
use pagerbound_store::{SliEvents, Store};
use serde::Deserialize;
use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;
use tokio::sync::watch;
use tokio::task::JoinHandle;

const LEASE: &str = "prometheus";
const LEASE_TTL: SignedDuration = SignedDuration::from_secs(30);
const TICK: std::time::Duration = std::time::Duration::from_secs(5);
/// Steps are read only once they are this old: the scrapes they need
/// have landed.
const SETTLE: SignedDuration = SignedDuration::from_secs(30);
/// Steps per query at most (Prometheus refuses more than 11,000).
const MAX_STEPS: i64 = 10_000;
/// How long reads must fail before the source is an alert.
const DOWN_AFTER: SignedDuration = SignedDuration::from_mins(2);
/// The `alertname` of a source that cannot be read.
pub const SOURCE_DOWN_ALERTNAME: &str = "SLISourceDown";

/// Failing reads of one SLO's source.
struct Failing {
    since: Timestamp,
    error: String,
}

/// The Prometheus reader task.
pub struct Reader {
    store: Arc<dyn Store>,
    config: Arc<ConfigHandle>,
    book: Arc<SloBook>,
    ingest: Ingest,
    http: reqwest::Client,
    holder: String,
    /// How far each SLO has been read; `None` until read from the store
    /// (again, after the lease was lost).
    cursors: Option<HashMap<String, Timestamp>>,
    failing: HashMap<String, Failing>,
    /// Source-down alerts raised and not yet resolved.
    raised: Raised,
}

impl Reader {
    pub fn new(
        store: Arc<dyn Store>,
        config: Arc<ConfigHandle>,
        book: Arc<SloBook>,
        ingest: Ingest,
        http: reqwest::Client,
    ) -> Self {
        let holder = crate::store::lease_holder(store.backend());
        Reader {
            store,
            config,
            book,
            ingest,
            http,
            holder,
            cursors: None,
            failing: HashMap::new(),
            raised: Raised::default(),
        }
    }

    pub fn spawn(self, stop: watch::Receiver<bool>) -> JoinHandle<()> {
        tokio::spawn(self.run(stop))
    }

    async fn run(mut self, mut stop: watch::Receiver<bool>) {
        let mut holding = false;
        loop {
            let config = self.config.current();
            let reads_prometheus = config
                .config
                .slos
                .values()
                .any(|slo| matches!(slo.sli, Sli::Prometheus(_)));
            if reads_prometheus || !self.raised.is_empty() {
                let now = crate::clock::now();
                holding = match self
                    .store
                    .acquire_lease(LEASE, &self.holder, now, now + LEASE_TTL)
                    .await
                {
                    Ok(holding) => holding,
                    Err(error) => {
                        tracing::error!(error = %error, "The Prometheus reader could not renew its lease.");
                        false
                    }
                };
                if holding {
                    self.round(now).await;
                } else {
                    self.cursors = None;
                    self.raised.forget();
                    self.failing.clear();
                }
            }
            tokio::select! {
                _ = stop.changed() => break,
                _ = tokio::time::sleep(TICK) => {}
            }
        }
        if holding && let Err(error) = self.store.release_lease(LEASE, &self.holder).await {
            tracing::warn!(error = %error, "Could not release the Prometheus lease.");
        }
    }

    async fn round(&mut self, now: Timestamp) {
        if self.cursors.is_none() {
            match self.store.sli_cursors().await {
                Ok(cursors) => self.cursors = Some(cursors.into_iter().collect()),
                Err(error) => {
                    tracing::error!(error = %error, "Could not read the SLI cursors.");
                    return;
                }
            }
        }
        let config = self.config.current();
        let mut read_any = false;
        for slo in config.config.slos.values() {
            let Sli::Prometheus(sli) = &slo.sli else {
                continue;
            };
            match self.read(slo, sli, now).await {
                Ok(read) => {
                    read_any |= read;
                    self.failing.remove(&slo.name);
                    self.book.set_source_error(&slo.name, None);
                }
                Err(error) => {
                    tracing::warn!(slo = %slo.name, url = %sli.url, error = %error, "Could not read an SLI from Prometheus.");
                    self.book.set_source_error(&slo.name, Some(error.clone()));
                    let failing = self.failing.entry(slo.name.clone()).or_insert(Failing {
                        since: now,
                        error: String::new(),
                    });
                    failing.error = error;
                }
            }
        }
        if read_any {
            self.book.wake();
        }
        self.alert(&config.config.slos, now).await;
    }

    /// Reads the steps of one SLO that have passed since its cursor (at
    /// most [`MAX_STEPS`]); answers whether it recorded any.
    async fn read(
        &mut self,
        slo: &Slo,
        sli: &PrometheusSli,
        now: Timestamp,
    ) -> Result<bool, String> {
        let step = (sli.step.as_millis() / 1_000).max(1) as i64;
        let settled = (now - SETTLE).as_second().div_euclid(step) * step;
        let oldest = (now.as_second() - (slo.window.longest().as_millis() / 1_000) as i64)
            .div_euclid(step)
            * step;
        let cursor = self
            .cursors
            .as_ref()
            .and_then(|c| c.get(&slo.name))
            .map_or(oldest, |at| at.as_second().max(oldest));
        if settled <= cursor {
            return Ok(false);
        }
        let through = settled.min(cursor + step * MAX_STEPS);
        // Step ends from the first after the cursor through `through`.
        let histogram_queries;
        let (first_query, total_query) = match &sli.queries {
            RatioQueries::Good { good, total } => (good, Some(total)),
            RatioQueries::Bad { bad, total } => (bad, Some(total)),
            RatioQueries::ErrorRatio { error_ratio } => (error_ratio, None),
            RatioQueries::Histogram(histogram) => {
                let le = self.boundary(sli, histogram).await?;
                histogram_queries = histogram.queries(&le);
                (&histogram_queries.0, Some(&histogram_queries.1))
            }
        };
        let first = self
            .query_range(sli, &sli.query(first_query), cursor + step, through, step)
            .await?;
        let total = match total_query {
            Some(query) => Some(
                self.query_range(sli, &sli.query(query), cursor + step, through, step)
                    .await?,
            ),
            None => None,
        };
        // The steps that have a value: the total's, or the ratio's.
        let steps = total.as_ref().unwrap_or(&first);
        let mut minutes: BTreeMap<Timestamp, (f64, f64)> = BTreeMap::new();
        for &end in steps.keys() {
            let valid = total.as_ref().and_then(|t| t.get(&end).copied());
            let Some((good, valid)) = sli.events(first.get(&end).copied(), valid) else {
                continue;
            };
            let Ok(start) = Timestamp::from_second(end - step) else {
                continue;
            };
            let sums = minutes.entry(minute_of(start)).or_default();
            sums.0 += good;
            sums.1 += valid;
        }
        let events: Vec<SliEvents> = minutes
            .into_iter()
            .map(|(minute, (good, total))| SliEvents {
                slo: slo.name.clone(),
                minute,
                good,
                total,
            })
            .collect();
        let through_at = Timestamp::from_second(through).map_err(|e| e.to_string())?;
        self.store
            .record_sli_fetch(&slo.name, &events, through_at, now)
            .await
            .map_err(|e| format!("could not record what was read: {e}"))?;
        if let Some(cursors) = &mut self.cursors {
            cursors.insert(slo.name.clone(), through_at);
        }
        Ok(!events.is_empty())
    }

    /// The `le` of the histogram's bucket at its threshold, as Prometheus
    /// writes it; an error names the boundaries there are.
    async fn boundary(
        &self,
        sli: &PrometheusSli,
        histogram: &HistogramQuery,
    ) -> Result<String, String> {
        let answer = self
            .get(
                sli,
                "api/v1/query",
                &[("query", histogram.boundaries_query())],
            )
            .await?;
        let boundaries: Vec<String> = answer
            .result
            .into_iter()
            .filter_map(|series| series.metric.get("le").cloned())
            .collect();
        histogram.boundary(&boundaries).map(str::to_owned)
    }

    /// A GET of the API at `path` with `params`; its data, or what went
    /// wrong.
    async fn get(
        &self,
        sli: &PrometheusSli,
        path: &str,
        params: &[(&str, String)],
    ) -> Result<QueryData, String> {
        let mut url = sli.url.clone();
        let full = format!("{}/{path}", url.path().trim_end_matches('/'));
        url.set_path(&full);
        {
            let mut pairs = url.query_pairs_mut();
            for (name, value) in params {
                pairs.append_pair(name, value);
            }
        }
        let response = self
            .http
            .get(url)
            .send()
            .await
            .map_err(|e| format!("{}: {e}", sli.url))?;
        let status = response.status();
        let body: QueryResponse = response
            .json()
            .await
            .map_err(|e| format!("{}: status {status}, not a Prometheus answer: {e}", sli.url))?;
        if body.status != "success" {
            return Err(format!(
                "{}: {} ({})",
                sli.url,
                body.error.unwrap_or_default(),
                body.error_type.unwrap_or_default()
            ));
        }
        body.data
            .ok_or_else(|| format!("{}: an answer without data", sli.url))
    }

    /// `query_range` summed over the series it returns: the value at each
    /// step end (unix seconds). Steps without a value are left out.
    async fn query_range(
        &self,
        sli: &PrometheusSli,
        query: &str,
        start: i64,
        end: i64,
        step: i64,
    ) -> Result<HashMap<i64, f64>, String> {
        let params = [
            ("query", query.to_owned()),
            ("start", start.to_string()),
            ("end", end.to_string()),
            ("step", format!("{step}s")),
        ];
        let data = self.get(sli, "api/v1/query_range", &params).await?;
        if data.result_type != "matrix" {
            return Err(format!(
                "`{query}` gives a {}, not a range of values",
                data.result_type
            ));
        }
        let mut sums: HashMap<i64, f64> = HashMap::new();
        for series in data.result {
            for (at, value) in series.values {
                // Prometheus writes values as strings ("NaN", "+Inf" too).
                let Ok(value) = value.parse::<f64>() else {
                    continue;
                };
                if value.is_finite() {
                    *sums.entry(at.round() as i64).or_default() += value;
                }
            }
        }
        Ok(sums)
    }

    /// Raises `SLISourceDown` for each SLO whose source has failed for
    /// [`DOWN_AFTER`], and resolves those that came back.
    async fn alert(&mut self, slos: &BTreeMap<String, Slo>, now: Timestamp) {
        let mut firing = Vec::new();
        for (name, failing) in &self.failing {
            let Some(slo) = slos.get(name) else { continue };
            let Sli::Prometheus(sli) = &slo.sli else {
                continue;
            };
            if now.duration_since(failing.since) < DOWN_AFTER {
                continue;
            }
            let labels: Labels = [
                ("alertname", SOURCE_DOWN_ALERTNAME),
                ("service", slo.service.as_str()),
                ("sli_of", slo.name.as_str()),
                ("severity", "ticket"),
            ]
            .into_iter()
            .collect();
            let mut annotations = Labels::new();
            annotations.insert(
                "summary",
                format!(
                    "SLO {} cannot read its SLI from {} since {}",
                    slo.name, sli.url, failing.since
                ),
            );
            annotations.insert("description", failing.error.as_str());
            firing.push(Firing {
                labels,
                annotations,
                since: failing.since,
                generator_url: None,
            });
        }
        if let Err(error) = self.raised.send(&self.ingest, firing, now).await {
            tracing::error!(error = %error, "Could not raise SLI source alerts.");
        }
    }
}

#[derive(Deserialize)]
struct QueryResponse {
    status: String,
    data: Option<QueryData>,
    error: Option<String>,
    #[serde(rename = "errorType")]
    error_type: Option<String>,
}

#[derive(Deserialize)]
struct QueryData {
    #[serde(rename = "resultType")]
    result_type: String,
    #[serde(default)]
    result: Vec<Series>,
}

#[derive(Deserialize)]
struct Series {
    #[serde(default)]
    metric: HashMap<String, String>,
    #[serde(default)]
    values: Vec<(f64, String)>,
}
