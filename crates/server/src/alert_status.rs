//! What is true of an alert now: the routes it takes, and whether it is
//! muted — by which silences, which inhibiting alerts, which maintenance
//! windows — or not yet taken in by the engine. Computed from the store and
//! the configuration when asked, the same way the engine decides.

use crate::state::AppState;
use jiff::Timestamp;
use pagerbound_config::Config;
use pagerbound_core::alert::Fingerprint;
use pagerbound_core::inhibition::Inhibitor;
use pagerbound_core::maintenance::MaintenanceWindow;
use pagerbound_core::routing::Class;
use pagerbound_core::silence::{Silence, SilenceState};
use pagerbound_store::{StoreError, StoredAlert};
use serde::Serialize;
use std::sync::Arc;

/// Alertmanager's three states.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum State {
    Active,
    Suppressed,
    Unprocessed,
}

/// A route an alert takes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RouteTaken {
    pub route: String,
    pub service: String,
    pub class: Class,
    /// `service/class`, Alertmanager's receiver name.
    pub receiver: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct AlertStatus {
    pub state: State,
    pub silenced_by: Vec<String>,
    pub inhibited_by: Vec<Fingerprint>,
    /// Active maintenance windows on the services of its routes.
    pub maintenance: Vec<i64>,
    pub routes: Vec<RouteTaken>,
}

/// Everything needed to judge a set of alerts at one instant.
pub struct StatusContext {
    now: Timestamp,
    config: Arc<crate::reload::RunningConfig>,
    silences: Vec<Silence>,
    inhibitor: Inhibitor,
    maintenance: Vec<MaintenanceWindow>,
    applied_seq: i64,
}

impl StatusContext {
    /// Reads silences and maintenance windows, and builds inhibition from
    /// `firing` (every firing alert).
    pub async fn load(
        state: &AppState,
        firing: &[StoredAlert],
        now: Timestamp,
    ) -> Result<StatusContext, StoreError> {
        let config = state.config.current();
        let silences = state
            .store
            .silences(now)
            .await?
            .into_iter()
            .filter(|s| s.state(now) == SilenceState::Active)
            .collect();
        let maintenance = state
            .store
            .maintenance_windows(now)
            .await?
            .into_iter()
            .filter(|w| w.is_active(now))
            .collect();
        let mut inhibitor = Inhibitor::new(config.config.inhibit_rules.clone());
        for alert in firing.iter().filter(|a| a.is_firing(now)) {
            inhibitor.add(alert.fingerprint, &alert.labels);
        }
        Ok(StatusContext {
            now,
            config,
            silences,
            inhibitor,
            maintenance,
            applied_seq: state.engine.applied_seq(),
        })
    }

    pub fn config(&self) -> &Config {
        &self.config.config
    }

    /// The silences active now, which [`Self::status`] names by id: the
    /// web UI shows their comments beside the alerts they mute.
    pub fn active_silences(&self) -> &[Silence] {
        &self.silences
    }

    /// An alert as pagerbound's own API shows it: the stored alert, whether
    /// it fires, and its status.
    pub fn describe(&self, alert: &StoredAlert) -> serde_json::Value {
        let mut value = serde_json::json!(alert);
        value["firing"] = serde_json::json!(alert.is_firing(self.now));
        value["status"] = serde_json::json!(self.status(alert));
        value
    }

    pub fn status(&self, alert: &StoredAlert) -> AlertStatus {
        let routes: Vec<RouteTaken> = self
            .config
            .config
            .routes
            .matching(&alert.labels)
            .into_iter()
            .map(|r| RouteTaken {
                route: r.id.clone(),
                service: r.service.clone(),
                class: r.class,
                receiver: r.receiver(),
            })
            .collect();
        let silenced_by: Vec<String> = self
            .silences
            .iter()
            .filter(|s| s.mutes(&alert.labels, self.now))
            .map(|s| s.id.clone())
            .collect();
        let inhibited_by = if alert.is_firing(self.now) {
            self.inhibitor
                .inhibited_by(alert.fingerprint, &alert.labels)
        } else {
            Vec::new()
        };
        let maintenance: Vec<i64> = self
            .maintenance
            .iter()
            .filter(|w| routes.iter().any(|r| r.service == w.service))
            .map(|w| w.id)
            .collect();
        let state = if alert.seq > self.applied_seq {
            State::Unprocessed
        } else if silenced_by.is_empty() && inhibited_by.is_empty() && maintenance.is_empty() {
            State::Active
        } else {
            State::Suppressed
        };
        AlertStatus {
            state,
            silenced_by,
            inhibited_by,
            maintenance,
            routes,
        }
    }
}
