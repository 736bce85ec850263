//! SLO evaluation beside Prometheus: the CPU time Prometheus spends per
//! evaluation of Sloth-style rules (as `pagerbound slo export-rules`
//! writes them) for the same SLOs over the same days of data, against
//! pagerbound's own evaluation of those SLOs.
//!
//! The data is backfilled into Prometheus's storage with `promtool tsdb
//! create-blocks-from openmetrics`: one sample a minute of two counters
//! per SLO (requests, and failed requests), up to the moment the run
//! starts. Prometheus runs twice on it, without rules and with them, and
//! the difference in its CPU time is what the rules cost.

use crate::process::{free_loopback_port, terminate, wait_ready};
use crate::procstat;
use anyhow::{Context as _, Result, bail};
use jiff::{SignedDuration, Timestamp};
use pagerbound_core::Duration as Length;
use pagerbound_core::alert::Labels;
use pagerbound_core::slo::{
    Evaluation, EventCounts, PrometheusSli, RatioQueries, Sli, Slo, SloWindow, Totals,
    prometheus_rules, workbook_policy,
};
use serde::Serialize;
use std::fmt::Write as _;
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

pub const DEFAULT_PROMETHEUS: &str = "/usr/bin/prometheus";
pub const DEFAULT_PROMTOOL: &str = "/usr/bin/promtool";
/// How often Prometheus evaluates the rules.
pub const EVALUATION_INTERVAL: u64 = 10;

#[derive(Debug, Clone)]
pub struct Options {
    pub slos: usize,
    pub days: i64,
    /// How long CPU time is measured, with rules and without.
    pub measure: Duration,
    pub prometheus: PathBuf,
    pub promtool: PathBuf,
}

impl Options {
    pub fn quick() -> Options {
        Options {
            slos: 2,
            days: 3,
            measure: Duration::from_secs(20),
            prometheus: DEFAULT_PROMETHEUS.into(),
            promtool: DEFAULT_PROMTOOL.into(),
        }
    }

    pub fn full() -> Options {
        Options {
            slos: 20,
            days: 30,
            measure: Duration::from_secs(120),
            ..Options::quick()
        }
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct Report {
    pub prometheus_version: String,
    pub slos: usize,
    pub days: i64,
    pub rules: usize,
    /// Rule group evaluations counted while measuring, per group.
    pub cycles: f64,
    /// Prometheus's CPU time per evaluation cycle with the rules, less
    /// the same without them.
    pub prometheus_cpu_per_cycle: Duration,
    /// What Prometheus says its rule groups took, summed, per cycle.
    pub prometheus_rule_time_per_cycle: Duration,
    /// pagerbound's evaluation of the same SLOs, per cycle (median).
    pub pagerbound_per_cycle: Duration,
}

/// Counts one SLO sees in a minute: a thousand requests, one failing,
/// and a burst of failures now and then.
fn minute(slo: usize, minute: i64) -> (u64, u64) {
    let bad = if (minute + slo as i64 * 37) % 997 == 0 {
        100
    } else {
        1
    };
    (1_000, bad)
}

fn slo(index: usize, days: i64) -> Slo {
    let window = SloWindow::Rolling(Length::from_mins(days as u64 * 24 * 60));
    let service = format!("svc{index}");
    Slo {
        name: format!("availability-{index}"),
        service: service.clone(),
        description: None,
        sli: Sli::Prometheus(PrometheusSli {
            url: "http://127.0.0.1:9090".parse().expect("a URL"),
            queries: RatioQueries::Bad {
                bad: format!(
                    "sum(rate(requests_total{{service=\"{service}\",code=\"500\"}}[{{{{.window}}}}]))"
                ),
                total: format!(
                    "sum(rate(requests_total{{service=\"{service}\"}}[{{{{.window}}}}]))"
                ),
            },
            step: Length::from_mins(1),
        }),
        objective: 99.9,
        alerting: workbook_policy(&window),
        window,
        min_events: 0.0,
        owner: None,
        runbook: None,
        labels: Labels::new(),
    }
}

/// The OpenMetrics text of every SLO's counters, a sample a minute.
fn openmetrics(slos: usize, from: i64, minutes: i64, path: &Path) -> Result<()> {
    let file =
        std::fs::File::create(path).with_context(|| format!("creating {}", path.display()))?;
    let mut out = std::io::BufWriter::new(file);
    writeln!(out, "# TYPE requests counter")?;
    for slo in 0..slos {
        for code in ["200", "500"] {
            let mut value = 0u64;
            for m in 0..minutes {
                let (total, bad) = minute(slo, m);
                value += if code == "500" { bad } else { total - bad };
                writeln!(
                    out,
                    "requests_total{{service=\"svc{slo}\",code=\"{code}\"}} {value} {}",
                    from + m * 60
                )?;
            }
        }
    }
    writeln!(out, "# EOF")?;
    out.flush()?;
    Ok(())
}

/// The sum of the samples of `name` (any labels) in Prometheus text.
fn metric_sum(text: &str, name: &str) -> f64 {
    text.lines()
        .filter(|line| !line.starts_with('#'))
        .filter(|line| {
            line.strip_prefix(name)
                .is_some_and(|rest| rest.starts_with(' ') || rest.starts_with('{'))
        })
        .filter_map(|line| line.rsplit(' ').next()?.parse::<f64>().ok())
        .sum()
}

struct Measured {
    cpu_seconds: f64,
    cycles: f64,
    rule_seconds_per_cycle: f64,
}

/// Runs Prometheus on `data` (with `rules` if given) and measures it.
async fn measure(
    options: &Options,
    dir: &Path,
    data: &Path,
    rules: Option<&str>,
) -> Result<Measured> {
    let name = if rules.is_some() { "rules" } else { "baseline" };
    let config = dir.join(format!("prometheus-{name}.yml"));
    let mut text =
        format!("global:\n  scrape_interval: 1m\n  evaluation_interval: {EVALUATION_INTERVAL}s\n");
    if let Some(rules) = rules {
        let path = dir.join("rules.yml");
        std::fs::write(&path, rules)?;
        let _ = writeln!(text, "rule_files: ['{}']", path.display());
    }
    std::fs::write(&config, text)?;
    let port = free_loopback_port()?;
    let log_path = dir.join(format!("prometheus-{name}.log"));
    let log = std::fs::File::create(&log_path)?;
    let mut child = Command::new(&options.prometheus)
        .arg(format!("--config.file={}", config.display()))
        .arg(format!("--storage.tsdb.path={}", data.display()))
        .arg("--storage.tsdb.retention.time=400d")
        .arg(format!("--web.listen-address=127.0.0.1:{port}"))
        .stdin(Stdio::null())
        .stdout(log.try_clone()?)
        .stderr(log)
        .spawn()
        .with_context(|| format!("starting {}", options.prometheus.display()))?;
    let base = format!("http://127.0.0.1:{port}");
    let result = async {
        wait_ready(
            &mut child,
            "prometheus",
            &format!("{base}/-/ready"),
            Duration::from_secs(120),
            &log_path,
        )
        .await?;
        let client = reqwest::Client::new();
        let metrics = || async {
            client
                .get(format!("{base}/metrics"))
                .send()
                .await?
                .text()
                .await
                .context("reading Prometheus's metrics")
        };
        // Let it load the blocks and evaluate once before counting.
        tokio::time::sleep(Duration::from_secs(EVALUATION_INTERVAL * 2)).await;
        let pid = child.id();
        let cpu_before = procstat::cpu_seconds(pid)?;
        let before = metrics().await?;
        tokio::time::sleep(options.measure).await;
        let cpu_after = procstat::cpu_seconds(pid)?;
        let after = metrics().await?;
        // Each cycle evaluates every rule once.
        let rules = metric_sum(&after, "prometheus_rule_group_rules");
        let evaluations = metric_sum(&after, "prometheus_rule_evaluations_total")
            - metric_sum(&before, "prometheus_rule_evaluations_total");
        Ok::<_, anyhow::Error>(Measured {
            cpu_seconds: cpu_after - cpu_before,
            cycles: evaluations / rules.max(1.0),
            rule_seconds_per_cycle: metric_sum(
                &after,
                "prometheus_rule_group_last_duration_seconds",
            ),
        })
    }
    .await;
    terminate(&mut child, Duration::from_secs(10));
    result
}

fn version(prometheus: &Path) -> String {
    Command::new(prometheus)
        .arg("--version")
        .output()
        .ok()
        .and_then(|out| {
            String::from_utf8_lossy(&out.stdout)
                .lines()
                .next()
                .map(str::to_owned)
        })
        .unwrap_or_else(|| "prometheus (version unknown)".to_owned())
}

pub async fn run(options: &Options) -> Result<Report> {
    for tool in [&options.prometheus, &options.promtool] {
        if !tool.exists() {
            bail!(
                "{} is missing: install Debian's `prometheus` package (.ci/setup does)",
                tool.display()
            );
        }
    }
    let dir = tempfile::tempdir()?;
    let now = Timestamp::now().as_second() / 60 * 60;
    let minutes = options.days * 24 * 60;
    let from = now - minutes * 60;
    let input = dir.path().join("data.om");
    openmetrics(options.slos, from, minutes, &input)?;
    let data = dir.path().join("data");
    let backfill = Command::new(&options.promtool)
        .args(["tsdb", "create-blocks-from", "openmetrics", "--quiet"])
        .arg(&input)
        .arg(&data)
        .output()
        .context("running promtool")?;
    if !backfill.status.success() {
        bail!(
            "promtool could not backfill: {}",
            String::from_utf8_lossy(&backfill.stderr)
        );
    }
    std::fs::remove_file(&input)?;

    let slos: Vec<Slo> = (0..options.slos).map(|i| slo(i, options.days)).collect();
    let (rules, _) = prometheus_rules(&slos);
    let rule_count = rules.matches("- record:").count() + rules.matches("- alert:").count();
    let baseline = measure(options, dir.path(), &data, None).await?;
    let with_rules = measure(options, dir.path(), &data, Some(&rules)).await?;
    let cycles = with_rules.cycles.max(1.0);
    let extra_cpu = (with_rules.cpu_seconds - baseline.cpu_seconds).max(0.0);

    // pagerbound, on the same minutes.
    let counts: Vec<EventCounts> = slos
        .iter()
        .enumerate()
        .map(|(index, slo)| {
            let mut counts = EventCounts::new(slo.reach());
            for m in 0..minutes {
                let (total, bad) = minute(index, m);
                let at = Timestamp::from_second(from + m * 60).unwrap_or(Timestamp::UNIX_EPOCH);
                counts.add(
                    at,
                    Totals {
                        good: (total - bad) as f64,
                        total: total as f64,
                    },
                );
            }
            counts
        })
        .collect();
    let at =
        Timestamp::from_second(now).unwrap_or(Timestamp::UNIX_EPOCH) + SignedDuration::from_secs(1);
    let mut times: Vec<Duration> = (0..101)
        .map(|_| {
            let clock = Instant::now();
            let firing = slos
                .iter()
                .zip(&counts)
                .filter(|(slo, counts)| Evaluation::of(slo, counts, at).firing().next().is_some())
                .count();
            std::hint::black_box(firing);
            clock.elapsed()
        })
        .collect();
    times.sort_unstable();

    Ok(Report {
        prometheus_version: version(&options.prometheus),
        slos: options.slos,
        days: options.days,
        rules: rule_count,
        cycles: with_rules.cycles,
        prometheus_cpu_per_cycle: Duration::from_secs_f64(extra_cpu / cycles),
        prometheus_rule_time_per_cycle: Duration::from_secs_f64(with_rules.rule_seconds_per_cycle),
        pagerbound_per_cycle: times[times.len() / 2],
    })
}

/// Milliseconds, or microseconds under one.
fn ms(d: Duration) -> String {
    if d < Duration::from_millis(1) {
        format!("{:.3} µs", d.as_secs_f64() * 1e6)
    } else {
        format!("{:.3} ms", d.as_secs_f64() * 1e3)
    }
}

pub fn render(report: &Report) -> String {
    let per = |d: Duration| Duration::from_secs_f64(d.as_secs_f64() / report.slos.max(1) as f64);
    let ratio =
        |d: Duration| d.as_secs_f64() / report.pagerbound_per_cycle.as_secs_f64().max(1e-12);
    let mut out = String::new();
    let _ = writeln!(
        out,
        "{} SLOs, {} days of one-minute samples, {} rules; {}",
        report.slos, report.days, report.rules, report.prometheus_version
    );
    let _ = writeln!(
        out,
        "{:<52} {:>13} {:>13} {:>9}",
        "one evaluation cycle", "all SLOs", "per SLO", "ratio"
    );
    let _ = writeln!(
        out,
        "{:<52} {:>13} {:>13} {:>8.0}x",
        "Prometheus: CPU time (with rules less without)",
        ms(report.prometheus_cpu_per_cycle),
        ms(per(report.prometheus_cpu_per_cycle)),
        ratio(report.prometheus_cpu_per_cycle)
    );
    let _ = writeln!(
        out,
        "{:<52} {:>13} {:>13} {:>8.0}x",
        "Prometheus: rule groups' own evaluation time",
        ms(report.prometheus_rule_time_per_cycle),
        ms(per(report.prometheus_rule_time_per_cycle)),
        ratio(report.prometheus_rule_time_per_cycle)
    );
    let _ = writeln!(
        out,
        "{:<52} {:>13} {:>13} {:>9}",
        "pagerbound: evaluation (median)",
        ms(report.pagerbound_per_cycle),
        ms(per(report.pagerbound_per_cycle)),
        "1x"
    );
    out
}
