//! The configuration in force, and reloading it without a restart.
//!
//! A reload reads and validates the files again. A configuration with
//! errors is refused: the errors are logged, reported to whoever asked, and
//! the running configuration stays in force.

use crate::metrics::{Metrics, ResultLabels};
use jiff::Timestamp;
use pagerbound_config::{Config, DatabaseLocation, Diagnostic, Rejected, Settings};
use serde::Serialize;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::{Arc, Mutex, PoisonError};
use tokio::sync::watch;

/// Settings given on the command line; they win over the files.
#[derive(Debug, Clone, Default)]
pub struct Overrides {
    pub database: Option<DatabaseLocation>,
    pub listen: Option<SocketAddr>,
}

impl Overrides {
    fn apply(&self, config: &mut Config) {
        if let Some(database) = &self.database {
            config.settings.database = database.clone();
        }
        if let Some(listen) = self.listen {
            config.settings.listen = listen;
        }
    }
}

/// A validated configuration and when it was loaded.
#[derive(Debug)]
pub struct RunningConfig {
    pub config: Config,
    pub warnings: Vec<Diagnostic>,
    pub loaded_at: Timestamp,
    /// Counts successful loads from 1.
    pub generation: u64,
}

/// What a reload did.
#[derive(Debug, Clone, Serialize)]
pub struct ReloadOutcome {
    pub at: Timestamp,
    pub success: bool,
    /// The generation in force after the attempt.
    pub generation: u64,
    pub errors: Vec<Diagnostic>,
    pub warnings: Vec<Diagnostic>,
    /// Settings that changed but only take effect after a restart.
    pub restart_needed: Vec<String>,
}

/// Holds the configuration in force and reloads it.
pub struct ConfigHandle {
    path: PathBuf,
    overrides: Overrides,
    startup_settings: Settings,
    current: watch::Sender<Arc<RunningConfig>>,
    last_reload: Mutex<Option<ReloadOutcome>>,
    reloading: tokio::sync::Mutex<()>,
    metrics: Arc<Metrics>,
}

impl ConfigHandle {
    /// Loads the configuration at `path` for the first time.
    pub fn load(
        path: PathBuf,
        overrides: Overrides,
        metrics: Arc<Metrics>,
    ) -> Result<Self, Rejected> {
        let loaded = pagerbound_config::load(&path)?;
        let mut config = loaded.config;
        overrides.apply(&mut config);
        let now = crate::clock::now();
        metrics.config_last_reload_successful.set(1);
        metrics
            .config_last_reload_success_seconds
            .set(now.as_millisecond() as f64 / 1e3);
        let running = RunningConfig {
            config,
            warnings: loaded.warnings,
            loaded_at: now,
            generation: 1,
        };
        Ok(ConfigHandle {
            path,
            overrides,
            startup_settings: running.config.settings.clone(),
            current: watch::Sender::new(Arc::new(running)),
            last_reload: Mutex::new(None),
            reloading: tokio::sync::Mutex::new(()),
            metrics,
        })
    }

    /// The configuration in force.
    pub fn current(&self) -> Arc<RunningConfig> {
        self.current.borrow().clone()
    }

    /// Notified whenever a new configuration comes into force.
    pub fn subscribe(&self) -> watch::Receiver<Arc<RunningConfig>> {
        self.current.subscribe()
    }

    /// The configuration's path, as given.
    pub fn path(&self) -> &std::path::Path {
        &self.path
    }

    pub fn last_reload(&self) -> Option<ReloadOutcome> {
        self.last_reload
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    /// Reads the files again; applies them if they are valid.
    pub async fn reload(&self) -> ReloadOutcome {
        // One reload at a time, so generations stay in order.
        let _guard = self.reloading.lock().await;
        let path = self.path.clone();
        let result = tokio::task::spawn_blocking(move || pagerbound_config::load(&path))
            .await
            .unwrap_or_else(|join_error| {
                Err(Rejected {
                    diagnostics: vec![Diagnostic {
                        severity: pagerbound_config::Severity::Error,
                        file: self.path.clone(),
                        line: 0,
                        column: 0,
                        message: format!("reading the configuration failed: {join_error}"),
                    }],
                })
            });
        let now = crate::clock::now();
        let previous = self.current();
        let outcome = match result {
            Ok(loaded) => {
                let mut config = loaded.config;
                self.overrides.apply(&mut config);
                let restart_needed = restart_needed(&self.startup_settings, &config.settings);
                let generation = previous.generation + 1;
                self.current.send_replace(Arc::new(RunningConfig {
                    config,
                    warnings: loaded.warnings.clone(),
                    loaded_at: now,
                    generation,
                }));
                self.metrics
                    .config_reloads
                    .get_or_create(&ResultLabels { result: "success" })
                    .inc();
                self.metrics.config_last_reload_successful.set(1);
                self.metrics
                    .config_last_reload_success_seconds
                    .set(now.as_millisecond() as f64 / 1e3);
                tracing::info!(
                    generation,
                    warnings = loaded.warnings.len(),
                    "Configuration reloaded."
                );
                for setting in &restart_needed {
                    tracing::warn!(setting = %setting, "Setting changed; it takes effect after a restart.");
                }
                ReloadOutcome {
                    at: now,
                    success: true,
                    generation,
                    errors: Vec::new(),
                    warnings: loaded.warnings,
                    restart_needed,
                }
            }
            Err(rejected) => {
                self.metrics
                    .config_reloads
                    .get_or_create(&ResultLabels { result: "failure" })
                    .inc();
                self.metrics.config_last_reload_successful.set(0);
                let errors: Vec<Diagnostic> = rejected.errors().cloned().collect();
                tracing::error!(
                    errors = errors.len(),
                    generation = previous.generation,
                    "Configuration refused; the running configuration stays in force."
                );
                for error in &errors {
                    tracing::error!("{error}");
                }
                ReloadOutcome {
                    at: now,
                    success: false,
                    generation: previous.generation,
                    errors,
                    warnings: rejected
                        .diagnostics
                        .into_iter()
                        .filter(|d| d.severity == pagerbound_config::Severity::Warning)
                        .collect(),
                    restart_needed: Vec::new(),
                }
            }
        };
        *self
            .last_reload
            .lock()
            .unwrap_or_else(PoisonError::into_inner) = Some(outcome.clone());
        outcome
    }
}

fn restart_needed(running: &Settings, new: &Settings) -> Vec<String> {
    let mut changed = Vec::new();
    if running.listen != new.listen {
        changed.push(format!(
            "settings.listen ({} → {})",
            running.listen, new.listen
        ));
    }
    if running.database != new.database {
        changed.push(format!(
            "settings.database ({} → {})",
            running.database.redacted(),
            new.database.redacted()
        ));
    }
    if running.max_request_body != new.max_request_body {
        changed.push(format!(
            "settings.max_request_body ({} → {})",
            running.max_request_body, new.max_request_body
        ));
    }
    changed
}
