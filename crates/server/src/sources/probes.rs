//! Probes at work: one instance at a time (holding the `probes` lease)
//! runs every configured probe at its interval, and records each run as
//! one event, good or bad, for every SLO whose SLI is that probe. The SLO
//! engine reads the events back from the store like pushed ones.

use crate::reload::ConfigHandle;
use crate::slos::SloBook;
use crate::sources::push::minute_of;
use jiff::{SignedDuration, Timestamp};
use pagerbound_core::Duration;
use pagerbound_core::probe::{BODY_LIMIT, CaFile, Outcome, Probe, Verdict};
use pagerbound_core::slo::Sli;
use pagerbound_store::{SliEvents, Store};
use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::Arc;
use tokio::sync::watch;
use tokio::task::{JoinHandle, JoinSet};

const LEASE: &str = "probes";
const LEASE_TTL: SignedDuration = SignedDuration::from_secs(15);
/// How often due probes are looked for: the precision of an interval.
const TICK: std::time::Duration = std::time::Duration::from_secs(1);

/// A finished run.
struct Run {
    probe: String,
    started_at: Timestamp,
    verdict: Verdict,
}

/// The probe runner task.
pub struct Prober {
    store: Arc<dyn Store>,
    config: Arc<ConfigHandle>,
    book: Arc<SloBook>,
    /// The client of probes without a `ca_file`.
    http: reqwest::Client,
    /// Clients of probes with a `ca_file`, by its path, or why one could
    /// not be built: built once rather than per run (each loads the
    /// system's roots), and shared by the probes that name the same file.
    trusting: HashMap<PathBuf, Result<reqwest::Client, String>>,
    /// The configuration generation `trusting` was built for: a reload
    /// may have read new certificates from the same paths.
    trusting_generation: u64,
    holder: String,
    /// When each probe runs next.
    due: HashMap<String, Timestamp>,
}

/// A client that follows no redirect: a probe reaches what the
/// configuration names and nothing else. It trusts the system's roots.
pub fn probe_client() -> reqwest::Result<reqwest::Client> {
    probe_client_builder().build()
}

/// A [`probe_client`] that also trusts the roots of a probe's `ca_file`.
/// There is deliberately no way to skip verification: a private CA is
/// what a service behind one needs.
fn probe_client_trusting(ca_file: &CaFile) -> reqwest::Result<reqwest::Client> {
    let roots = ca_file
        .certificates
        .iter()
        .map(|der| reqwest::Certificate::from_der(der))
        .collect::<reqwest::Result<Vec<_>>>()?;
    probe_client_builder().tls_certs_merge(roots).build()
}

fn probe_client_builder() -> reqwest::ClientBuilder {
    reqwest::Client::builder()
        .user_agent(concat!("pagerbound-probe/", env!("CARGO_PKG_VERSION")))
        .redirect(reqwest::redirect::Policy::none())
        // The server's certificate, for `certificate_expires_after`.
        .tls_info(true)
}

impl Prober {
    pub fn new(
        store: Arc<dyn Store>,
        config: Arc<ConfigHandle>,
        book: Arc<SloBook>,
        http: reqwest::Client,
    ) -> Self {
        let holder = crate::store::lease_holder(store.backend());
        Prober {
            store,
            config,
            book,
            http,
            trusting: HashMap::new(),
            trusting_generation: 0,
            holder,
            due: HashMap::new(),
        }
    }

    pub fn spawn(self, stop: watch::Receiver<bool>) -> JoinHandle<()> {
        tokio::spawn(self.run(stop))
    }

    async fn run(mut self, mut stop: watch::Receiver<bool>) {
        let mut running: JoinSet<Run> = JoinSet::new();
        let mut holding = false;
        loop {
            tokio::select! {
                _ = stop.changed() => break,
                _ = tokio::time::sleep(TICK) => {}
            }
            let now = crate::clock::now();
            holding = match self
                .store
                .acquire_lease(LEASE, &self.holder, now, now + LEASE_TTL)
                .await
            {
                Ok(holding) => holding,
                Err(error) => {
                    tracing::error!(error = %error, "The probe runner could not renew its lease.");
                    false
                }
            };
            let mut finished = Vec::new();
            while let Some(done) = running.try_join_next() {
                match done {
                    Ok(run) => finished.push(run),
                    Err(error) => tracing::error!(error = %error, "A probe run failed."),
                }
            }
            self.record(&finished).await;
            if !holding {
                // Whoever holds the lease runs them; start afresh if it
                // comes back.
                self.due.clear();
                continue;
            }
            self.start_due(&mut running, now);
        }
        running.abort_all();
        if holding && let Err(error) = self.store.release_lease(LEASE, &self.holder).await {
            tracing::warn!(error = %error, "Could not release the probe lease.");
        }
    }

    fn start_due(&mut self, running: &mut JoinSet<Run>, now: Timestamp) {
        let config = self.config.current();
        self.due
            .retain(|name, _| config.config.probes.contains_key(name));
        if config.generation != self.trusting_generation {
            self.trusting.clear();
            self.trusting_generation = config.generation;
        }
        for probe in config.config.probes.values() {
            let due = *self.due.entry(probe.name.clone()).or_insert(now);
            if due > now {
                continue;
            }
            let next = now
                .checked_add(probe.interval.to_signed())
                .unwrap_or(Timestamp::MAX);
            self.due.insert(probe.name.clone(), next);
            let http = match &probe.ca_file {
                None => Ok(self.http.clone()),
                Some(ca_file) => self
                    .trusting
                    .entry(ca_file.path.clone())
                    .or_insert_with(|| {
                        probe_client_trusting(ca_file).map_err(|error| {
                            format!(
                                "cannot trust the certificates of ca_file `{}`: {}",
                                ca_file.path.display(),
                                describe(&error)
                            )
                        })
                    })
                    .clone(),
            };
            let probe = probe.clone();
            running.spawn(async move {
                let outcome = match http {
                    Ok(http) => run_probe(&http, &probe).await,
                    Err(error) => Outcome::Failed { error },
                };
                Run {
                    probe: probe.name.clone(),
                    started_at: now,
                    verdict: probe.judge(&outcome, now),
                }
            });
        }
    }

    /// One event per run for each SLO measured by its probe.
    async fn record(&self, finished: &[Run]) {
        if finished.is_empty() {
            return;
        }
        let config = self.config.current();
        let mut events = Vec::new();
        for run in finished {
            if let Some(reason) = &run.verdict.reason {
                tracing::info!(probe = %run.probe, reason = %reason, "Probe failed.");
            }
            for slo in config.config.slos.values() {
                if matches!(&slo.sli, Sli::Probe { probe } if *probe == run.probe) {
                    events.push(SliEvents {
                        slo: slo.name.clone(),
                        minute: minute_of(run.started_at),
                        good: if run.verdict.good { 1.0 } else { 0.0 },
                        total: 1.0,
                    });
                }
            }
        }
        if events.is_empty() {
            return;
        }
        match self
            .store
            .record_sli_events(&events, crate::clock::now())
            .await
        {
            Ok(()) => self.book.wake(),
            Err(error) => tracing::error!(error = %error, "Could not record probe results."),
        }
    }
}

/// Requests the probe's URL once, within its timeout.
async fn run_probe(http: &reqwest::Client, probe: &Probe) -> Outcome {
    let started = std::time::Instant::now();
    let attempt = async {
        let method =
            reqwest::Method::from_bytes(probe.method.as_bytes()).map_err(|e| e.to_string())?;
        let mut request = http.request(method, probe.url.clone());
        for (name, value) in &probe.headers {
            request = request.header(name, value);
        }
        if let Some(body) = &probe.body {
            request = request.body(body.clone());
        }
        let mut response = request.send().await.map_err(|e| describe(&e))?;
        let status = response.status().as_u16();
        let certificate_expires_at = if probe.reads_certificate() {
            certificate_expiry(&response, &probe.name)
        } else {
            None
        };
        let body = if probe.reads_body() {
            let mut bytes = Vec::new();
            while let Some(chunk) = response.chunk().await.map_err(|e| describe(&e))? {
                bytes.extend_from_slice(&chunk);
                if bytes.len() >= BODY_LIMIT {
                    bytes.truncate(BODY_LIMIT);
                    break;
                }
            }
            Some(String::from_utf8_lossy(&bytes).into_owned())
        } else {
            None
        };
        Ok::<_, String>((status, body, certificate_expires_at))
    };
    match tokio::time::timeout(probe.timeout.to_std(), attempt).await {
        Ok(Ok((status, body, certificate_expires_at))) => Outcome::Response {
            status,
            latency: Duration::from_millis(
                u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX),
            ),
            body,
            certificate_expires_at,
        },
        Ok(Err(error)) => Outcome::Failed { error },
        Err(_) => Outcome::Failed {
            error: format!("no answer within {}", probe.timeout),
        },
    }
}

/// When the leaf certificate of the connection that answered expires:
/// `None` over plain HTTP, or when it cannot be read, which the verdict
/// then reports.
fn certificate_expiry(response: &reqwest::Response, probe: &str) -> Option<Timestamp> {
    let der = response
        .extensions()
        .get::<reqwest::tls::TlsInfo>()?
        .peer_certificate()?;
    match x509_parser::parse_x509_certificate(der) {
        Ok((_, certificate)) => {
            Timestamp::from_second(certificate.validity().not_after.timestamp()).ok()
        }
        Err(error) => {
            tracing::warn!(probe = %probe, error = %error, "Could not read the probed server's certificate.");
            None
        }
    }
}

/// The error with its causes: reqwest's own message alone says little
/// ("error sending request").
fn describe(error: &reqwest::Error) -> String {
    let mut text = error.to_string();
    let mut source = std::error::Error::source(error);
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}
