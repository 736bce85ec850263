//! Starts a throwaway Prometheus Alertmanager for a benchmark run.

use std::fs::File;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use anyhow::{Context as _, Result};
use tempfile::TempDir;

use crate::process;

/// Where Debian installs Alertmanager.
pub const DEFAULT_BINARY: &str = "/usr/bin/prometheus-alertmanager";

/// How to start Alertmanager.
#[derive(Debug, Clone)]
pub struct AlertmanagerOptions {
    /// The `alertmanager` executable.
    pub binary: PathBuf,
    /// The route's `group_wait`.
    pub group_wait: Duration,
    /// The route's `group_interval`.
    pub group_interval: Duration,
    /// How long to wait for `/-/ready`.
    pub ready_timeout: Duration,
    /// A webhook that alerts with a `probe` label are sent to, for the
    /// notification latency benchmark; everything else still goes nowhere.
    pub probe_webhook: Option<String>,
}

impl Default for AlertmanagerOptions {
    /// Debian's binary with Alertmanager's own defaults for grouping.
    fn default() -> Self {
        Self {
            binary: PathBuf::from(DEFAULT_BINARY),
            group_wait: Duration::from_secs(30),
            group_interval: Duration::from_secs(300),
            ready_timeout: Duration::from_secs(30),
            probe_webhook: None,
        }
    }
}

/// A running Alertmanager on a free loopback port, with its configuration
/// and storage in a temporary directory. Dropping it stops the process
/// (SIGTERM, then SIGKILL) and removes the directory.
#[derive(Debug)]
pub struct Alertmanager {
    child: Child,
    url: String,
    version: String,
    dir: TempDir,
}

impl Alertmanager {
    /// Writes a configuration, starts Alertmanager and waits until it is
    /// ready.
    pub async fn start(options: &AlertmanagerOptions) -> Result<Self> {
        // The free port is only known free when we look; another process may
        // take it before Alertmanager binds it, so try a few.
        let mut last_error = None;
        for _ in 0..3 {
            match Self::start_once(options).await {
                Ok(started) => return Ok(started),
                Err(error) => last_error = Some(error),
            }
        }
        Err(last_error.expect("at least one attempt was made"))
    }

    async fn start_once(options: &AlertmanagerOptions) -> Result<Self> {
        let dir = tempfile::Builder::new()
            .prefix("pagerbound-bench-alertmanager-")
            .tempdir()
            .context("creating a temporary directory")?;
        let config = dir.path().join("alertmanager.yml");
        std::fs::write(&config, config_yaml(options))
            .with_context(|| format!("writing {}", config.display()))?;
        let storage = dir.path().join("data");
        let log_path = dir.path().join("alertmanager.log");
        let log = File::create(&log_path).context("creating the log file")?;
        let port = process::free_loopback_port()?;
        let url = format!("http://127.0.0.1:{port}");

        let child = Command::new(&options.binary)
            .arg(format!("--config.file={}", config.display()))
            .arg(format!("--storage.path={}", storage.display()))
            .arg(format!("--web.listen-address=127.0.0.1:{port}"))
            // An empty address turns clustering (gossip) off.
            .arg("--cluster.listen-address=")
            .stdin(Stdio::null())
            .stdout(log.try_clone().context("duplicating the log file")?)
            .stderr(log)
            .spawn()
            .with_context(|| format!("starting {}", options.binary.display()))?;
        let mut started = Self {
            child,
            url,
            version: String::new(),
            dir,
        };
        process::wait_ready(
            &mut started.child,
            "alertmanager",
            &format!("{}/-/ready", started.url),
            options.ready_timeout,
            &log_path,
        )
        .await?;
        started.version = started.fetch_version().await.unwrap_or_default();
        Ok(started)
    }

    async fn fetch_version(&self) -> Result<String> {
        let status: serde_json::Value = reqwest::get(format!("{}/api/v2/status", self.url))
            .await?
            .error_for_status()?
            .json()
            .await?;
        Ok(status["versionInfo"]["version"]
            .as_str()
            .unwrap_or_default()
            .to_owned())
    }

    /// Base URL, `http://127.0.0.1:PORT`.
    pub fn url(&self) -> &str {
        &self.url
    }

    /// The version Alertmanager reports (empty if it did not say).
    pub fn version(&self) -> &str {
        &self.version
    }

    /// Process id.
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// The temporary directory holding configuration, data and log.
    pub fn dir(&self) -> &Path {
        self.dir.path()
    }
}

impl Drop for Alertmanager {
    fn drop(&mut self) {
        process::terminate(&mut self.child, Duration::from_secs(5));
    }
}

/// An Alertmanager configuration with one route to a receiver without
/// integrations: alerts are stored, grouped and flushed, but nothing is sent.
pub fn config_yaml(options: &AlertmanagerOptions) -> String {
    let mut yaml = format!(
        "# Written by pagerbound-bench for one benchmark run.\n\
         route:\n  \
           receiver: \"null\"\n  \
           group_by: [alertname]\n  \
           group_wait: {}\n  \
           group_interval: {}\n\
         receivers:\n  \
           - name: \"null\"\n",
        go_duration(options.group_wait),
        go_duration(options.group_interval),
    );
    if let Some(url) = &options.probe_webhook {
        // Probes are their own group each, so each is flushed on its own
        // after `group_wait`, as pagerbound's probe route does.
        yaml = yaml.replacen(
            "  group_by: [alertname]\n",
            "  group_by: [alertname]\n  routes:\n    - receiver: probe\n      \
             matchers: ['probe=~\".+\"']\n      group_by: [probe]\n      group_wait: 0s\n",
            1,
        );
        yaml.push_str(&format!(
            "  - name: probe\n    webhook_configs:\n      - url: '{url}'\n        send_resolved: false\n"
        ));
    }
    yaml
}

/// A duration in the notation of Prometheus's configuration files.
fn go_duration(duration: Duration) -> String {
    let millis = duration.as_millis();
    if millis.is_multiple_of(1000) {
        format!("{}s", millis / 1000)
    } else {
        format!("{millis}ms")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn config_routes_everything_to_a_silent_receiver() {
        let yaml = config_yaml(&AlertmanagerOptions {
            group_wait: Duration::from_millis(1500),
            group_interval: Duration::from_secs(60),
            ..AlertmanagerOptions::default()
        });
        assert!(yaml.contains("  receiver: \"null\"\n"), "{yaml}");
        assert!(yaml.contains("  group_wait: 1500ms\n"), "{yaml}");
        assert!(yaml.contains("  group_interval: 60s\n"), "{yaml}");
        assert!(yaml.contains("receivers:\n  - name: \"null\"\n"), "{yaml}");
        assert!(
            !yaml.contains("configs"),
            "the receiver has no integrations: {yaml}"
        );
    }

    #[test]
    fn probes_go_to_the_webhook_at_once() {
        let yaml = config_yaml(&AlertmanagerOptions {
            probe_webhook: Some("http://127.0.0.1:9/probe".to_owned()),
            ..AlertmanagerOptions::default()
        });
        assert!(
            yaml.contains("    - receiver: probe\n      matchers: ['probe=~\".+\"']\n      group_by: [probe]\n      group_wait: 0s\n"),
            "{yaml}"
        );
        assert!(
            yaml.ends_with(
                "      - url: 'http://127.0.0.1:9/probe'\n        send_resolved: false\n"
            ),
            "{yaml}"
        );
    }
}
