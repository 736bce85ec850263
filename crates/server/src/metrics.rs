//! The process's own metrics, served at `/metrics` in the Prometheus
//! (OpenMetrics) text format.

use prometheus_client::collector::Collector;
use prometheus_client::encoding::{DescriptorEncoder, EncodeLabelSet, EncodeMetric};
use prometheus_client::metrics::counter::{ConstCounter, Counter};
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::{ConstGauge, Gauge};
use prometheus_client::metrics::histogram::Histogram;
use prometheus_client::metrics::info::Info;
use prometheus_client::registry::Registry;
use std::sync::atomic::AtomicU64;

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
pub(crate) struct RequestLabels {
    pub method: String,
    /// The matched route template (`/api/v1/tokens/{id}`), never the raw
    /// path, so that the number of series stays bounded.
    pub route: String,
    pub status: u16,
}

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
pub(crate) struct RouteLabels {
    pub method: String,
    pub route: String,
}

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
pub(crate) struct ResultLabels {
    pub result: &'static str,
}

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
pub(crate) struct IntegrationLabels {
    pub integration: String,
}

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
pub(crate) struct KindLabels {
    pub kind: &'static str,
}

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
pub(crate) struct ClassLabels {
    pub class: &'static str,
}

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
pub(crate) struct DeliveryLabels {
    pub channel: String,
    /// `delivered`, `retried`, `failed`.
    pub outcome: &'static str,
}

/// Every metric the server records.
#[derive(Debug)]
pub struct Metrics {
    registry: Registry,
    process: Registry,
    pub(crate) http_requests: Family<RequestLabels, Counter>,
    pub(crate) http_duration: Family<RouteLabels, Histogram>,
    pub(crate) config_reloads: Family<ResultLabels, Counter>,
    pub(crate) config_last_reload_successful: Gauge,
    pub(crate) config_last_reload_success_seconds: Gauge<f64, AtomicU64>,
    pub(crate) database_errors: Counter,
    pub(crate) alerts_received: Family<IntegrationLabels, Counter>,
    pub(crate) alert_writes: Family<KindLabels, Counter>,
    pub(crate) ingest_commit_seconds: Histogram,
    pub(crate) pages_opened: Family<ClassLabels, Counter>,
    pub(crate) drill_pages_opened: Counter,
    pub(crate) notification_attempts: Family<DeliveryLabels, Counter>,
    pub(crate) notification_attempt_seconds: Histogram,
}

impl Metrics {
    pub fn new() -> Self {
        let mut registry = Registry::with_prefix("pagerbound");
        let http_requests = Family::<RequestLabels, Counter>::default();
        registry.register(
            "http_requests",
            "HTTP requests answered, by method, route and status",
            http_requests.clone(),
        );
        let http_duration = Family::<RouteLabels, Histogram>::new_with_constructor(|| {
            Histogram::new([
                0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5,
            ])
        });
        registry.register(
            "http_request_duration_seconds",
            "Time to answer HTTP requests, by method and route",
            http_duration.clone(),
        );
        let config_reloads = Family::<ResultLabels, Counter>::default();
        registry.register(
            "config_reloads",
            "Configuration reloads attempted, by result (success, failure)",
            config_reloads.clone(),
        );
        let config_last_reload_successful = Gauge::default();
        registry.register(
            "config_last_reload_successful",
            "Whether the last configuration reload succeeded (1) or was refused (0)",
            config_last_reload_successful.clone(),
        );
        let config_last_reload_success_seconds = Gauge::<f64, AtomicU64>::default();
        registry.register(
            "config_last_reload_success_timestamp_seconds",
            "When the configuration in force was loaded, as a Unix timestamp",
            config_last_reload_success_seconds.clone(),
        );
        let database_errors = Counter::default();
        registry.register(
            "database_errors",
            "Database operations that failed",
            database_errors.clone(),
        );
        let alerts_received = Family::<IntegrationLabels, Counter>::default();
        registry.register(
            "alerts_received",
            "Alerts received, by integration (re-sends included)",
            alerts_received.clone(),
        );
        let alert_writes = Family::<KindLabels, Counter>::default();
        registry.register(
            "alert_writes",
            "Alert occurrences written, by kind (insert, update); unchanged re-sends write nothing",
            alert_writes.clone(),
        );
        let ingest_commit_seconds = Histogram::new([
            0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0,
        ]);
        registry.register(
            "ingest_commit_seconds",
            "Time to make a batch of received alerts durable",
            ingest_commit_seconds.clone(),
        );
        let pages_opened = Family::<ClassLabels, Counter>::default();
        registry.register(
            "pages_opened",
            "Pages and tickets opened, by class; drills are not counted",
            pages_opened.clone(),
        );
        let drill_pages_opened = Counter::default();
        registry.register(
            "drill_pages_opened",
            "Pages opened by drills (practice, not pager load)",
            drill_pages_opened.clone(),
        );
        let notification_attempts = Family::<DeliveryLabels, Counter>::default();
        registry.register(
            "notification_attempts",
            "Attempts to deliver a bundle of notifications, by channel and outcome (delivered, retried, failed)",
            notification_attempts.clone(),
        );
        let notification_attempt_seconds = Histogram::new([
            0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0,
        ]);
        registry.register(
            "notification_attempt_seconds",
            "Time one delivery attempt took, answer included",
            notification_attempt_seconds.clone(),
        );
        registry.register(
            "build",
            "pagerbound's version",
            Info::new(vec![("version", env!("CARGO_PKG_VERSION"))]),
        );
        // Process metrics keep their standard, unprefixed names.
        let mut process = Registry::default();
        process.register_collector(Box::new(ProcessCollector));
        Metrics {
            registry,
            process,
            http_requests,
            http_duration,
            config_reloads,
            config_last_reload_successful,
            config_last_reload_success_seconds,
            database_errors,
            alerts_received,
            alert_writes,
            ingest_commit_seconds,
            pages_opened,
            drill_pages_opened,
            notification_attempts,
            notification_attempt_seconds,
        }
    }

    /// The exposition, in OpenMetrics text.
    pub fn encode(&self) -> String {
        self.encode_with(&[])
    }

    /// The exposition with where each SLO stands (read at the scrape, so
    /// a removed SLO leaves no series behind).
    pub fn encode_with(&self, slos: &[SloStanding]) -> String {
        use prometheus_client::encoding::text::{encode_eof, encode_registry};
        let mut standing = Registry::with_prefix("pagerbound");
        standing.register_collector(Box::new(SloCollector(slos.to_vec())));
        let mut text = String::new();
        // Writing into a String cannot fail.
        let _ = encode_registry(&mut text, &self.registry)
            .and_then(|()| encode_registry(&mut text, &standing))
            .and_then(|()| encode_registry(&mut text, &self.process))
            .and_then(|()| encode_eof(&mut text));
        text
    }
}

impl Default for Metrics {
    fn default() -> Self {
        Self::new()
    }
}

/// Where one SLO stands, for `/metrics`.
#[derive(Debug, Clone)]
pub struct SloStanding {
    pub slo: String,
    pub service: String,
    /// As a ratio, e.g. 0.999.
    pub objective: f64,
    pub budget_remaining: Option<f64>,
    /// `(window, burn rate)` for each window of its policy.
    pub burn_rates: Vec<(String, Option<f64>)>,
    /// `(window label, severity, firing)` for each line of its policy.
    pub alerts: Vec<(String, &'static str, bool)>,
}

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
struct SloLabels {
    slo: String,
    service: String,
}

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
struct SloWindowLabels {
    slo: String,
    service: String,
    window: String,
}

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
struct SloAlertLabels {
    slo: String,
    service: String,
    window: String,
    severity: &'static str,
}

/// The SLO gauges, from a snapshot taken at the scrape.
#[derive(Debug)]
struct SloCollector(Vec<SloStanding>);

impl Collector for SloCollector {
    fn encode(&self, mut encoder: DescriptorEncoder) -> Result<(), std::fmt::Error> {
        let labels = |s: &SloStanding| SloLabels {
            slo: s.slo.clone(),
            service: s.service.clone(),
        };
        let mut objective = encoder.encode_descriptor(
            "slo_objective_ratio",
            "The SLO's objective: the share of valid events that must be good",
            None,
            prometheus_client::metrics::MetricType::Gauge,
        )?;
        for slo in &self.0 {
            let labels = labels(slo);
            ConstGauge::new(slo.objective).encode(objective.encode_family(&labels)?)?;
        }
        let mut remaining = encoder.encode_descriptor(
            "slo_error_budget_remaining_ratio",
            "The share of the error budget left over the SLO window (below 0: overspent); absent without events",
            None,
            prometheus_client::metrics::MetricType::Gauge,
        )?;
        for slo in &self.0 {
            if let Some(value) = slo.budget_remaining {
                let labels = labels(slo);
                ConstGauge::new(value).encode(remaining.encode_family(&labels)?)?;
            }
        }
        let mut burn = encoder.encode_descriptor(
            "slo_burn_rate",
            "Error ratio over the window divided by the error budget; absent without events",
            None,
            prometheus_client::metrics::MetricType::Gauge,
        )?;
        for slo in &self.0 {
            for (window, rate) in &slo.burn_rates {
                if let Some(rate) = rate {
                    let labels = SloWindowLabels {
                        slo: slo.slo.clone(),
                        service: slo.service.clone(),
                        window: window.clone(),
                    };
                    ConstGauge::new(*rate).encode(burn.encode_family(&labels)?)?;
                }
            }
        }
        let mut firing = encoder.encode_descriptor(
            "slo_alert_firing",
            "1 while the line of the SLO's alerting policy fires",
            None,
            prometheus_client::metrics::MetricType::Gauge,
        )?;
        for slo in &self.0 {
            for (window, severity, on) in &slo.alerts {
                let labels = SloAlertLabels {
                    slo: slo.slo.clone(),
                    service: slo.service.clone(),
                    window: window.clone(),
                    severity,
                };
                ConstGauge::new(i64::from(*on)).encode(firing.encode_family(&labels)?)?;
            }
        }
        Ok(())
    }
}

/// The standard `process_*` metrics, read from `/proc` at each scrape.
#[derive(Debug)]
struct ProcessCollector;

impl Collector for ProcessCollector {
    fn encode(&self, mut encoder: DescriptorEncoder) -> Result<(), std::fmt::Error> {
        let Ok(process) = procfs::process::Process::myself() else {
            return Ok(());
        };
        if let Ok(stat) = process.stat() {
            let ticks = procfs::ticks_per_second() as f64;
            let cpu = ConstCounter::new((stat.utime + stat.stime) as f64 / ticks);
            cpu.encode(encoder.encode_descriptor(
                "process_cpu_seconds",
                "Total user and system CPU time spent in seconds",
                None,
                cpu.metric_type(),
            )?)?;
            let page_size = procfs::page_size();
            let rss = ConstGauge::new((stat.rss * page_size) as i64);
            rss.encode(encoder.encode_descriptor(
                "process_resident_memory_bytes",
                "Resident memory size in bytes",
                None,
                rss.metric_type(),
            )?)?;
            let virtual_memory = ConstGauge::new(stat.vsize as i64);
            virtual_memory.encode(encoder.encode_descriptor(
                "process_virtual_memory_bytes",
                "Virtual memory size in bytes",
                None,
                virtual_memory.metric_type(),
            )?)?;
            if let Ok(boot) = procfs::boot_time_secs() {
                let start = ConstGauge::new(boot as f64 + stat.starttime as f64 / ticks);
                start.encode(encoder.encode_descriptor(
                    "process_start_time_seconds",
                    "Start time of the process since the Unix epoch in seconds",
                    None,
                    start.metric_type(),
                )?)?;
            }
        }
        if let Ok(count) = process.fd_count() {
            let open = ConstGauge::new(count as i64);
            open.encode(encoder.encode_descriptor(
                "process_open_fds",
                "Number of open file descriptors",
                None,
                open.metric_type(),
            )?)?;
        }
        Ok(())
    }
}
