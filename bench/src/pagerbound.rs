//! Starts a throwaway pagerbound for a benchmark run, on SQLite or on a
//! fresh PostgreSQL database.

use std::fs::File;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use anyhow::{Context as _, Result, bail};
use tempfile::TempDir;

use crate::process;

/// Which database pagerbound keeps its state in.
#[derive(Debug, Clone)]
pub enum Database {
    /// A SQLite file in the run's temporary directory.
    Sqlite,
    /// A database created for the run through this admin URL (and dropped
    /// after it), e.g. `postgres://postgres@127.0.0.1:5432/test`.
    Postgres { admin_url: String },
}

/// How to start pagerbound.
#[derive(Debug, Clone)]
pub struct PagerboundOptions {
    /// The `pagerbound` executable (build it with `cargo build --release`).
    pub binary: PathBuf,
    pub database: Database,
    /// The routes' `group_wait`.
    pub group_wait: Duration,
    /// The routes' `group_interval`.
    pub group_interval: Duration,
    pub ready_timeout: Duration,
    /// A webhook that alerts with a `probe` label page, for the
    /// notification latency benchmark; everything else is still logged.
    pub probe_webhook: Option<String>,
    /// A configuration to run with instead of the generated one (the web
    /// UI benchmark brings services, schedules and SLOs of its own).
    pub config: Option<String>,
    /// A database URL already prepared (of `database`'s kind), used as it
    /// is and kept after the run, instead of a fresh empty one.
    pub existing_database: Option<String>,
}

impl PagerboundOptions {
    /// The release binary of this workspace, with Alertmanager's default
    /// timings (so both servers do the same work).
    pub fn new(binary: PathBuf, database: Database) -> Self {
        Self {
            binary,
            database,
            group_wait: Duration::from_secs(30),
            group_interval: Duration::from_secs(300),
            ready_timeout: Duration::from_secs(60),
            probe_webhook: None,
            config: None,
            existing_database: None,
        }
    }
}

/// Where the workspace's release binary is by default.
pub fn default_binary() -> PathBuf {
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../target"));
    target.join("release/pagerbound")
}

/// The ingest token the benchmark's integration accepts.
const INGEST_TOKEN: &str = "pbi_benchmark-ingest-token-0123456789";

/// A running pagerbound on a free loopback port, its configuration and
/// data in a temporary directory. Dropping it stops the process and drops
/// its PostgreSQL database.
#[derive(Debug)]
pub struct Pagerbound {
    child: Child,
    url: String,
    read_token: String,
    version: String,
    postgres: Option<(String, String)>,
    _dir: TempDir,
}

impl Pagerbound {
    pub async fn start(options: &PagerboundOptions) -> Result<Self> {
        if !options.binary.exists() {
            bail!(
                "{} does not exist; build it with `cargo build --release` (or pass --pagerbound)",
                options.binary.display()
            );
        }
        let dir = tempfile::Builder::new()
            .prefix("pagerbound-bench-pagerbound-")
            .tempdir()
            .context("creating a temporary directory")?;
        let config = dir.path().join("config");
        std::fs::create_dir(&config).context("creating the config directory")?;
        let yaml = options
            .config
            .clone()
            .unwrap_or_else(|| config_yaml(options));
        std::fs::write(config.join("pagerbound.yaml"), yaml)
            .context("writing the configuration")?;
        let (database, postgres) = match (&options.existing_database, &options.database) {
            (Some(url), _) => (url.clone(), None),
            (None, Database::Sqlite) => (
                format!("sqlite:{}", dir.path().join("pagerbound.db").display()),
                None,
            ),
            (None, Database::Postgres { admin_url }) => {
                let (url, name) = create_postgres_database(admin_url)?;
                (url, Some((admin_url.clone(), name)))
            }
        };
        let read_token = create_token(&options.binary, &config, &database)?;
        let port = process::free_loopback_port()?;
        let url = format!("http://127.0.0.1:{port}");
        let log_path = dir.path().join("pagerbound.log");
        let log = File::create(&log_path).context("creating the log file")?;
        let child = Command::new(&options.binary)
            .arg("serve")
            .arg("--config")
            .arg(&config)
            .arg("--database")
            .arg(&database)
            .arg("--listen")
            .arg(format!("127.0.0.1:{port}"))
            .env("PAGERBOUND_LOG", "warn")
            .stdin(Stdio::null())
            .stdout(log.try_clone().context("duplicating the log file")?)
            .stderr(log)
            .spawn()
            .with_context(|| format!("starting {}", options.binary.display()))?;
        let mut started = Self {
            child,
            url,
            read_token,
            version: String::new(),
            postgres,
            _dir: dir,
        };
        process::wait_ready(
            &mut started.child,
            "pagerbound",
            &format!("{}/readyz", started.url),
            options.ready_timeout,
            &log_path,
        )
        .await?;
        started.version = started.fetch_version().await.unwrap_or_default();
        Ok(started)
    }

    async fn fetch_version(&self) -> Result<String> {
        let status: serde_json::Value = reqwest::Client::new()
            .get(format!("{}/api/v1/status", self.url))
            .bearer_auth(&self.read_token)
            .send()
            .await?
            .error_for_status()?
            .json()
            .await?;
        let backend = status["database"]["backend"].as_str().unwrap_or_default();
        Ok(format!(
            "{} ({backend})",
            status["version"].as_str().unwrap_or_default()
        ))
    }

    pub fn url(&self) -> &str {
        &self.url
    }

    /// The version and the database backend, as it reports them.
    pub fn version(&self) -> &str {
        &self.version
    }

    /// The ingest token, as Prometheus would send it.
    pub fn ingest_token(&self) -> &str {
        INGEST_TOKEN
    }

    /// A viewer API token, for reading alerts back.
    pub fn read_token(&self) -> &str {
        &self.read_token
    }

    pub fn pid(&self) -> u32 {
        self.child.id()
    }
}

impl Drop for Pagerbound {
    fn drop(&mut self) {
        process::terminate(&mut self.child, Duration::from_secs(10));
        if let Some((admin_url, name)) = &self.postgres {
            drop_postgres_database(admin_url, name);
        }
    }
}

/// One service, one team, one integration, and a root route of class log:
/// every alert is stored and counted, nothing is paged, as Alertmanager's
/// benchmark configuration sends nothing. With a probe webhook, alerts
/// with a `probe` label are pages, each its own group, sent at once.
pub fn config_yaml(options: &PagerboundOptions) -> String {
    let digest = pagerbound_core::token::TokenDigest::of(INGEST_TOKEN).to_hex();
    let (contact, channel, probe_route) = match &options.probe_webhook {
        Some(url) => (
            "probe",
            format!("  - {{name: probe, type: webhook, url: '{url}'}}\n"),
            "  routes:\n    - name: probe\n      matchers: ['probe=~\".+\"']\n      \
             service: bench\n      class: page\n      group_by: [probe]\n      group_wait: 0s\n"
                .to_owned(),
        ),
        None => ("log", String::new(), String::new()),
    };
    format!(
        "# Written by pagerbound-bench for one benchmark run.\n\
         settings:\n  symptom_label: probe\n\
         teams:\n  - name: bench\n    members: [bench]\n\
         users:\n  - name: bench\n    time_zone: UTC\n    contact_methods: [{{channel: {contact}}}]\n\
         channels:\n  - {{name: log, type: log}}\n{channel}\
         services:\n  - {{name: bench, team: bench, runbook: 'https://runbooks.example.com/bench'}}\n\
         integrations:\n  - name: bench\n    token: {{ sha256: {digest} }}\n\
         routes:\n  service: bench\n  class: log\n  group_by: [alertname]\n  \
         group_wait: {}ms\n  group_interval: {}ms\n{probe_route}",
        options.group_wait.as_millis(),
        options.group_interval.as_millis(),
    )
}

fn create_token(binary: &Path, config: &Path, database: &str) -> Result<String> {
    let output = Command::new(binary)
        .args([
            "token",
            "create",
            "--user",
            "bench",
            "--role",
            "viewer",
            "--database",
            database,
        ])
        .arg("--config")
        .arg(config)
        .output()
        .context("running pagerbound token create")?;
    if !output.status.success() {
        bail!(
            "pagerbound token create failed: {}",
            String::from_utf8_lossy(&output.stderr)
        );
    }
    Ok(String::from_utf8(output.stdout)
        .context("token is not UTF-8")?
        .trim()
        .to_owned())
}

/// Creates an empty database for one run; answers its URL and its name.
pub fn create_postgres_database(admin_url: &str) -> Result<(String, String)> {
    let name = format!("pagerbound_bench_{}_{}", std::process::id(), rand_suffix());
    psql(
        admin_url,
        &format!("CREATE DATABASE {name} TEMPLATE template0"),
    )?;
    Ok((replace_database(admin_url, &name)?, name))
}

/// Drops a database [`create_postgres_database`] made, even while a
/// server that was killed still holds connections to it. Best effort: it
/// runs on drop, where a failure has nowhere to go.
pub fn drop_postgres_database(admin_url: &str, name: &str) {
    let _ = psql(
        admin_url,
        &format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"),
    );
}

/// The PostgreSQL server's version, for the report.
pub fn postgres_version(admin_url: &str) -> Result<String> {
    postgres_setting(admin_url, "server_version")
}

/// One of the PostgreSQL server's settings (`SHOW name`), for the report.
pub fn postgres_setting(admin_url: &str, name: &str) -> Result<String> {
    psql(admin_url, &format!("SHOW {name}"))
}

/// Runs one statement; answers what it printed, unaligned.
pub(crate) fn psql(admin_url: &str, sql: &str) -> Result<String> {
    let output = Command::new("psql")
        .arg(admin_url)
        .args(["-v", "ON_ERROR_STOP=1", "-Aqtc", sql])
        .output()
        .context("running psql (Debian package postgresql-client)")?;
    if !output.status.success() {
        bail!(
            "psql `{sql}` failed: {}",
            String::from_utf8_lossy(&output.stderr)
        );
    }
    Ok(String::from_utf8_lossy(&output.stdout).trim().to_owned())
}

/// The admin URL with another database name.
fn replace_database(admin_url: &str, name: &str) -> Result<String> {
    let (base, _) = admin_url
        .rsplit_once('/')
        .filter(|(base, _)| base.contains("://"))
        .with_context(|| format!("{admin_url} does not end in /DATABASE"))?;
    Ok(format!("{base}/{name}"))
}

fn rand_suffix() -> String {
    format!("{:08x}", rand::random::<u32>())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn load(options: &PagerboundOptions) -> pagerbound_config::Loaded {
        let dir = tempfile::tempdir().expect("temporary directory");
        let path = dir.path().join("pagerbound.yaml");
        std::fs::write(&path, config_yaml(options)).expect("write");
        pagerbound_config::load(&path).unwrap_or_else(|rejected| {
            panic!("pagerbound refuses the benchmark's configuration: {rejected:?}")
        })
    }

    #[test]
    fn the_benchmark_configurations_are_valid() {
        let mut options = PagerboundOptions::new(PathBuf::from("pagerbound"), Database::Sqlite);
        let plain = load(&options);
        assert!(plain.config.channels.contains_key("log"));
        assert!(!plain.config.channels.contains_key("probe"));

        options.probe_webhook = Some("http://127.0.0.1:9/probe".to_owned());
        let probing = load(&options);
        assert!(probing.config.channels.contains_key("probe"));
        assert_eq!(
            probing.config.users["bench"].contact_methods[0].channel,
            "probe"
        );
    }
}
