//! `pagerbound-bench`: load generators and benchmark runs.

use std::time::Duration;

use anyhow::{Context as _, Result};
use clap::{Parser, Subcommand};
use pagerbound_bench::alertmanager::AlertmanagerOptions;
use pagerbound_bench::ingest::{self, IngestBenchOptions, LoadShape, PreparedWorkload, Workload};
use pagerbound_bench::latency::{self, LatencyOptions};
use pagerbound_bench::pagerbound::{self, Database, PagerboundOptions};
use pagerbound_bench::target::TargetSpec;
use pagerbound_bench::web::{self, WebOptions};

#[derive(Debug, Parser)]
#[command(version, about)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Sends alerts to a running server's `POST /api/v2/alerts` and prints
    /// what it measured as one JSON object.
    Ingest(IngestArgs),
    /// Measures the ingest throughput (`new` and `resend` workloads) and
    /// memory per active alert of each target (Alertmanager, pagerbound on
    /// SQLite, pagerbound on PostgreSQL), side by side; the targets take
    /// turns run by run.
    IngestCompare(IngestBenchArgs),
    /// Measures what bounds the ingest rate on this machine for a server
    /// that answers only once a request's alerts are durable: the time a
    /// request takes when nothing is written (re-sends against pagerbound
    /// on SQLite) plus one durable write, timed alone (a commit through
    /// the SQLite store, or a journal append), and the rate those allow a
    /// closed loop of 8 connections × 10 alerts.
    IngestBound(BoundArgs),
    /// Measures the time from an alert posted to its notification arriving
    /// at a webhook on loopback (`group_wait: 0s`), at idle and under half
    /// of the maximum ingest rate, for each target side by side.
    NotifyLatency(LatencyArgs),
    /// Times the schedule computation: who is on call now in 1,000
    /// schedules, and a year of one schedule's shifts (no server).
    Schedules(ComputeArgs),
    /// Times one SLO evaluation cycle: 10,000 SLOs with 30-day windows and
    /// four window pairs, their memory, and the naive way beside it (no
    /// server).
    Slos(ComputeArgs),
    /// Starts Prometheus on days of backfilled data for some SLOs and
    /// measures the CPU time it spends per evaluation of their Sloth-style
    /// rules (`slo export-rules`), beside pagerbound's evaluation of the
    /// same SLOs.
    SloPrometheus(ComputeArgs),
    /// Writes a history of 100,000 alerts and 10,000 pages and tickets,
    /// then measures the web UI's server time (Now, the alert search, the
    /// list of pages) from a signed-in client, on SQLite and PostgreSQL.
    Web(WebArgs),
}

#[derive(Debug, clap::Args)]
struct WebArgs {
    /// The whole path briefly: 10,000 alerts, 1,000 pages, 1 run of 20
    /// requests per view.
    #[arg(long)]
    quick: bool,
    /// Runs per figure, each a fresh server (default 3, or 1 with --quick).
    #[arg(long)]
    runs: Option<usize>,
    /// Timed requests per view and run (default 500, or 20 with --quick).
    #[arg(long)]
    requests: Option<usize>,
    /// Print the reports as JSON instead of tables.
    #[arg(long)]
    json: bool,
    /// The pagerbound executable (default: the workspace's release build).
    #[arg(long)]
    pagerbound: Option<std::path::PathBuf>,
    /// PostgreSQL admin URL; the history gets a database of its own in it.
    #[arg(long, default_value = "postgres://postgres@127.0.0.1:5432/test")]
    postgres: String,
    /// Databases to measure on (default: both).
    #[arg(long = "database", value_enum)]
    databases: Vec<WebDatabase>,
    /// Also write the tables into this markdown file's web section.
    #[arg(long, value_name = "FILE")]
    markdown: Option<std::path::PathBuf>,
    /// Write the last answer of each view into this directory, to see
    /// what was measured.
    #[arg(long, value_name = "DIR")]
    answers: Option<std::path::PathBuf>,
    /// Measure only this view (repeatable; default: all).
    #[arg(long = "view", value_parser = clap::builder::PossibleValuesParser::new(web::VIEW_KEYS))]
    views: Vec<String>,
    /// Append every timed request (database, run, view, when, how long)
    /// to this CSV file.
    #[arg(long, value_name = "FILE")]
    samples: Option<std::path::PathBuf>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
enum WebDatabase {
    Sqlite,
    Postgres,
}

#[derive(Debug, clap::Args)]
/// For the benchmarks of pure computation (schedules, SLOs).
struct ComputeArgs {
    /// A few rounds on a smaller load instead of the full run.
    #[arg(long)]
    quick: bool,
    /// Print the report as JSON instead of a table.
    #[arg(long)]
    json: bool,
    /// Also write the table into this markdown file's section.
    #[arg(long, value_name = "FILE")]
    markdown: Option<std::path::PathBuf>,
}

#[derive(Debug, clap::Args)]
struct BoundArgs {
    #[command(flatten)]
    output: ComputeArgs,
    /// The pagerbound executable (default: this workspace's release build).
    #[arg(long)]
    pagerbound: Option<std::path::PathBuf>,
}

#[derive(Debug, clap::Args)]
struct LatencyArgs {
    /// 50 probes per phase instead of 500.
    #[arg(long)]
    quick: bool,
    /// Probes per phase.
    #[arg(long)]
    probes: Option<usize>,
    /// Print the reports as JSON instead of a table.
    #[arg(long)]
    json: bool,
    #[command(flatten)]
    servers: Servers,
    /// Also write the table into this markdown file's latency section.
    #[arg(long, value_name = "FILE")]
    markdown: Option<std::path::PathBuf>,
}

/// Which servers to compare, and where to find them.
#[derive(Debug, clap::Args)]
struct Servers {
    /// The Alertmanager executable.
    #[arg(long, default_value = pagerbound_bench::alertmanager::DEFAULT_BINARY)]
    alertmanager: std::path::PathBuf,
    /// The pagerbound executable (default: the workspace's release build).
    #[arg(long)]
    pagerbound: Option<std::path::PathBuf>,
    /// PostgreSQL admin URL; each run gets a database of its own in it.
    #[arg(long, default_value = "postgres://postgres@127.0.0.1:5432/test")]
    postgres: String,
    /// Targets to measure (default: all three).
    #[arg(long = "target", value_enum)]
    targets: Vec<TargetName>,
}

impl Servers {
    fn targets(&self) -> Vec<TargetName> {
        if self.targets.is_empty() {
            vec![
                TargetName::Alertmanager,
                TargetName::PagerboundSqlite,
                TargetName::PagerboundPostgres,
            ]
        } else {
            self.targets.clone()
        }
    }

    fn spec(&self, target: TargetName) -> TargetSpec {
        let pagerbound = self
            .pagerbound
            .clone()
            .unwrap_or_else(pagerbound::default_binary);
        match target {
            TargetName::Alertmanager => TargetSpec::Alertmanager(AlertmanagerOptions {
                binary: self.alertmanager.clone(),
                ..AlertmanagerOptions::default()
            }),
            TargetName::PagerboundSqlite => {
                TargetSpec::Pagerbound(PagerboundOptions::new(pagerbound, Database::Sqlite))
            }
            TargetName::PagerboundPostgres => TargetSpec::Pagerbound(PagerboundOptions::new(
                pagerbound,
                Database::Postgres {
                    admin_url: self.postgres.clone(),
                },
            )),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
enum TargetName {
    Alertmanager,
    PagerboundSqlite,
    PagerboundPostgres,
}

#[derive(Debug, clap::Args)]
struct IngestArgs {
    /// Base URL of the server (loopback only), e.g. http://127.0.0.1:9093.
    #[arg(long)]
    url: String,
    /// Sent as `Authorization: Bearer TOKEN`.
    #[arg(long, env = "PAGERBOUND_BENCH_TOKEN", hide_env_values = true)]
    token: Option<String>,
    /// Persistent HTTP/1.1 connections, one closed-loop task each.
    #[arg(long, default_value_t = 8)]
    connections: usize,
    /// Alerts per request.
    #[arg(long, default_value_t = 10, value_parser = clap::value_parser!(u64).range(1..))]
    batch: u64,
    /// How long to send, e.g. 10s, 500ms, 1m.
    #[arg(long, default_value = "10s", value_parser = parse_duration)]
    duration: Duration,
    /// `new`: alerts never sent before; `resend`: a fixed set, loaded once
    /// untimed, then re-sent.
    #[arg(long, value_enum, default_value_t = Workload::New)]
    workload: Workload,
    /// Alerts in the `resend` set.
    #[arg(long, default_value_t = 10_000, value_parser = clap::value_parser!(u64).range(1..))]
    resend_set: u64,
    /// Longest wait for one answer before it counts as a transport error.
    #[arg(long, default_value = "30s", value_parser = parse_duration)]
    timeout: Duration,
}

#[derive(Debug, clap::Args)]
struct IngestBenchArgs {
    /// Every part briefly: 1 s per workload, 1 run, 5,000 active alerts.
    #[arg(long)]
    quick: bool,
    /// Runs per figure (default 3, or 1 with --quick).
    #[arg(long)]
    runs: Option<usize>,
    /// Active alerts for the memory measurement (default 100,000, or 5,000
    /// with --quick).
    #[arg(long)]
    memory_alerts: Option<u64>,
    /// Print the full report as JSON instead of a table.
    #[arg(long)]
    json: bool,
    #[command(flatten)]
    servers: Servers,
    /// Also write the tables into this markdown file's ingest section
    /// (BENCHMARKS.md), leaving the rest of the file as it is.
    #[arg(long, value_name = "FILE")]
    markdown: Option<std::path::PathBuf>,
}

fn parse_duration(text: &str) -> Result<Duration> {
    let signed: jiff::SignedDuration = text
        .parse()
        .with_context(|| format!("{text:?} is not a duration like 10s or 500ms"))?;
    Duration::try_from(signed).with_context(|| format!("{text:?} is negative"))
}

// One thread: the generator shares two cores with the server it measures,
// and a closed loop over a few connections needs no more.
#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<()> {
    match Cli::parse().command {
        Command::Ingest(args) => {
            let shape = LoadShape {
                connections: args.connections,
                batch: args.batch,
                resend_set: args.resend_set,
                duration: args.duration,
                request_timeout: args.timeout,
            };
            let prepared =
                PreparedWorkload::prepare(&args.url, args.token.as_deref(), args.workload, &shape)
                    .await?;
            let report = prepared.run().await?;
            ingest::report_errors(&report);
            println!("{}", serde_json::to_string_pretty(&report)?);
        }
        Command::IngestCompare(args) => {
            let mut options = if args.quick {
                IngestBenchOptions::quick()
            } else {
                IngestBenchOptions::full()
            };
            if let Some(runs) = args.runs {
                options.runs = runs.max(1);
            }
            if let Some(alerts) = args.memory_alerts {
                options.memory_alerts = alerts.max(1);
            }
            let targets = args.servers.targets();
            let postgres_version = if targets.contains(&TargetName::PagerboundPostgres) {
                Some(pagerbound::postgres_version(&args.servers.postgres)?)
            } else {
                None
            };
            let specs: Vec<_> = targets
                .into_iter()
                .map(|target| args.servers.spec(target))
                .collect();
            let reports = ingest::run(&specs, &options).await?;
            if !args.json {
                for report in &reports {
                    println!("{}", ingest::render_table(report));
                }
            }
            if args.json {
                println!("{}", serde_json::to_string_pretty(&reports)?);
            } else {
                print!("{}", ingest::render_comparison(&reports));
            }
            if let Some(path) = &args.markdown {
                let section = ingest_section(&reports, args.quick, postgres_version.as_deref());
                pagerbound_bench::markdown::write_section(path, "ingest", &section)?;
                eprintln!("wrote the ingest figures into {}", path.display());
            }
        }
        Command::IngestBound(args) => {
            use pagerbound_bench::ingest_bound::{self, BoundOptions};
            let binary = args
                .pagerbound
                .clone()
                .unwrap_or_else(pagerbound::default_binary);
            let server = PagerboundOptions::new(binary, Database::Sqlite);
            let options = if args.output.quick {
                BoundOptions::quick(server)
            } else {
                BoundOptions::full(server)
            };
            let report = ingest_bound::run(&options).await?;
            let table = ingest_bound::render(&report);
            let how = format!(
                "release build, {} s of re-sends, {} writes per kind and size",
                options.shape.duration.as_secs(),
                options.writes
            );
            show(&args.output, &report, &table, "ingest-bound", &how)?;
        }
        Command::Schedules(args) => {
            let report = pagerbound_bench::schedules::run(args.quick);
            let table = pagerbound_bench::schedules::render(&report);
            let how = format!("{} rounds, release build", report.rounds);
            show(&args, &report, &table, "schedules", &how)?;
        }
        Command::Slos(args) => {
            let report = pagerbound_bench::slos::run(args.quick);
            let table = pagerbound_bench::slos::render(&report);
            let how = format!(
                "{} rounds, release build, one event every {} minutes over the window",
                report.rounds, report.feed_every_minutes
            );
            show(&args, &report, &table, "slos", &how)?;
        }
        Command::SloPrometheus(args) => {
            use pagerbound_bench::slo_prometheus::{self, EVALUATION_INTERVAL, Options};
            let options = if args.quick {
                Options::quick()
            } else {
                Options::full()
            };
            let report = slo_prometheus::run(&options).await?;
            let table = slo_prometheus::render(&report);
            let how = format!(
                "{} evaluation cycles measured, every {EVALUATION_INTERVAL}s",
                report.cycles.round()
            );
            show(&args, &report, &table, "slo-prometheus", &how)?;
        }
        Command::Web(args) => {
            let mut options = if args.quick {
                WebOptions::quick()
            } else {
                WebOptions::full()
            };
            if let Some(runs) = args.runs {
                options.runs = runs.max(1);
            }
            if let Some(requests) = args.requests {
                options.requests = requests.max(1);
            }
            options.answers = args.answers.clone();
            options.only = args.views.clone();
            options.samples = args.samples.clone();
            let binary = args
                .pagerbound
                .clone()
                .unwrap_or_else(pagerbound::default_binary);
            let databases = if args.databases.is_empty() {
                vec![WebDatabase::Sqlite, WebDatabase::Postgres]
            } else {
                args.databases.clone()
            };
            // Autovacuum is off on some machines (CI's): the benchmark
            // gathers statistics itself, and the report says so.
            let postgres = if databases.contains(&WebDatabase::Postgres) {
                Some((
                    pagerbound::postgres_version(&args.postgres)?,
                    pagerbound::postgres_setting(&args.postgres, "autovacuum")?,
                ))
            } else {
                None
            };
            let mut reports = Vec::new();
            for database in databases {
                let database = match database {
                    WebDatabase::Sqlite => Database::Sqlite,
                    WebDatabase::Postgres => Database::Postgres {
                        admin_url: args.postgres.clone(),
                    },
                };
                let report = web::run(&binary, &database, &options).await?;
                if !args.json {
                    // As each database finishes: a full run takes minutes.
                    println!("{}", web::render(&report));
                }
                reports.push(report);
            }
            if args.json {
                println!("{}", serde_json::to_string_pretty(&reports)?);
            }
            if let Some(path) = &args.markdown {
                let section = web_section(&reports, args.quick, postgres.as_ref());
                pagerbound_bench::markdown::write_section(path, "web", &section)?;
                eprintln!("wrote the web figures into {}", path.display());
            }
        }
        Command::NotifyLatency(args) => {
            let mut options = if args.quick {
                LatencyOptions::quick()
            } else {
                LatencyOptions::full()
            };
            if let Some(probes) = args.probes {
                options.probes = probes.max(1);
            }
            let mut reports = Vec::new();
            for target in args.servers.targets() {
                reports.push(latency::run(&args.servers.spec(target), &options).await?);
            }
            let table = latency::render(&reports);
            if args.json {
                println!("{}", serde_json::to_string_pretty(&reports)?);
            } else {
                print!("{table}");
            }
            if let Some(path) = &args.markdown {
                let how = format!("{} probes per phase", options.probes);
                write_table(path, "latency", &how, args.quick, &table)?;
            }
        }
    }
    Ok(())
}

/// Prints a computed benchmark's report (its table, or JSON with
/// `--json`) and writes the table into its markdown section if asked.
fn show(
    args: &ComputeArgs,
    report: &impl serde::Serialize,
    table: &str,
    section: &str,
    how: &str,
) -> Result<()> {
    if args.json {
        println!("{}", serde_json::to_string_pretty(report)?);
    } else {
        print!("{table}");
    }
    match &args.markdown {
        Some(path) => write_table(path, section, how, args.quick, table),
        None => Ok(()),
    }
}

/// Writes one table into its section of a markdown file: when, where and
/// how it was measured, then the table.
fn write_table(
    path: &std::path::Path,
    section_name: &str,
    how: &str,
    quick: bool,
    table: &str,
) -> Result<()> {
    let mut section = format!(
        "Measured {} on {}, {how}.\n",
        jiff::Zoned::now().date(),
        pagerbound_bench::markdown::machine(),
    );
    if quick {
        section.push_str("\n**A --quick run: not figures to compare.**\n");
    }
    section.push_str(&format!("\n```text\n{table}```\n"));
    pagerbound_bench::markdown::write_section(path, section_name, &section)?;
    eprintln!("wrote the {section_name} figures into {}", path.display());
    Ok(())
}

/// The ingest section of BENCHMARKS.md: where and when, then the tables.
fn ingest_section(
    reports: &[ingest::IngestBenchReport],
    quick: bool,
    postgres_version: Option<&str>,
) -> String {
    let mut section = format!(
        "Measured {} on {}.\n",
        jiff::Zoned::now().date(),
        pagerbound_bench::markdown::machine()
    );
    if let Some(version) = postgres_version {
        section.push_str(&format!(
            "PostgreSQL {version} on the same machine, default settings.\n"
        ));
    }
    if quick {
        section.push_str("\n**A --quick run: every part briefly, not figures to compare.**\n");
    }
    section.push_str("\n```text\n");
    for report in reports {
        section.push_str(&ingest::render_table(report));
        section.push('\n');
    }
    section.push_str(&ingest::render_comparison(reports));
    section.push_str("```\n");
    section
}

/// The web section of BENCHMARKS.md: where and when, then a table per
/// database.
fn web_section(
    reports: &[web::WebReport],
    quick: bool,
    postgres: Option<&(String, String)>,
) -> String {
    let mut section = format!(
        "Measured {} on {}.\n",
        jiff::Zoned::now().date(),
        pagerbound_bench::markdown::machine()
    );
    if let Some((version, autovacuum)) = postgres {
        section.push_str(&format!(
            "PostgreSQL {version} on the same machine, autovacuum {autovacuum}; \
             its history is ANALYZEd once written.\n"
        ));
    }
    if quick {
        section.push_str("\n**A --quick run: a tenth of the history, not figures to compare.**\n");
    }
    section.push_str("\n```text\n");
    for (i, report) in reports.iter().enumerate() {
        if i > 0 {
            section.push('\n');
        }
        section.push_str(&web::render(report));
    }
    section.push_str("```\n");
    section
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_parse_in_the_usual_units() {
        assert_eq!(parse_duration("10s").expect("10s"), Duration::from_secs(10));
        assert_eq!(
            parse_duration("500ms").expect("500ms"),
            Duration::from_millis(500)
        );
        assert_eq!(parse_duration("1m").expect("1m"), Duration::from_secs(60));
        assert!(parse_duration("-1s").is_err());
        assert!(parse_duration("soon").is_err());
    }

    #[test]
    fn cli_is_consistent() {
        use clap::CommandFactory as _;
        Cli::command().debug_assert();
    }
}
