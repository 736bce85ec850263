//! Alerts pagerbound raises itself (SLO burns, SLI sources it cannot
//! read) into its own pipeline, the way Prometheus sends its alerts: every
//! round, each alert that fires is sent again, good for [`ALERT_TTL`], and
//! each one that stopped is sent resolved. If the instance raising them
//! dies, its alerts resolve on their own unless the next one still sees
//! the cause.

use crate::ingest::{Incoming, Ingest, IngestError};
use jiff::{SignedDuration, Timestamp};
use pagerbound_core::alert::{Alert, Labels};
use std::collections::BTreeMap;

/// How long a raised alert stays firing without being sent again: longer
/// than a lease takes to pass to another instance.
pub const ALERT_TTL: SignedDuration = SignedDuration::from_mins(3);

/// The `integration` of the alerts pagerbound raises.
pub const INTEGRATION: &str = "slo";

/// An alert that fires this round.
#[derive(Debug, Clone)]
pub struct Firing {
    pub labels: Labels,
    pub annotations: Labels,
    /// When it began, for an alert not raised before.
    pub since: Timestamp,
    pub generator_url: Option<String>,
}

/// The alerts raised and not yet resolved, with when each began.
#[derive(Debug, Default)]
pub struct Raised {
    since: BTreeMap<Labels, Timestamp>,
}

impl Raised {
    pub fn is_empty(&self) -> bool {
        self.since.is_empty()
    }

    /// Forgets them: another instance raises them now.
    pub fn forget(&mut self) {
        self.since.clear();
    }

    /// Sends this round's firing alerts, and those raised before that no
    /// longer fire as resolved. On failure nothing is forgotten: the next
    /// round sends the changes again.
    pub async fn send(
        &mut self,
        ingest: &Ingest,
        firing: Vec<Firing>,
        now: Timestamp,
    ) -> Result<(), IngestError> {
        let mut next = BTreeMap::new();
        let mut items = Vec::with_capacity(firing.len());
        for alert in firing {
            let since = match self.since.get(&alert.labels) {
                Some(since) => *since,
                None => {
                    tracing::warn!(alert = %alert.labels, "Alert raised.");
                    alert.since
                }
            };
            next.insert(alert.labels.clone(), since);
            items.push(incoming(Alert {
                labels: alert.labels,
                annotations: alert.annotations,
                starts_at: since,
                ends_at: Some(now + ALERT_TTL),
                timeout: false,
                generator_url: alert.generator_url,
            }));
        }
        for (labels, since) in &self.since {
            if next.contains_key(labels) {
                continue;
            }
            tracing::info!(alert = %labels, "Alert resolved.");
            items.push(incoming(Alert {
                labels: labels.clone(),
                annotations: Labels::new(),
                starts_at: *since,
                ends_at: Some(now),
                timeout: false,
                generator_url: None,
            }));
        }
        ingest.submit(items).await?;
        self.since = next;
        Ok(())
    }
}

fn incoming(alert: Alert) -> Incoming {
    Incoming::Alert {
        alert,
        integration: INTEGRATION.to_owned(),
    }
}
