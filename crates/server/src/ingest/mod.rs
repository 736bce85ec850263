//! Ingest: making received alerts durable.
//!
//! Every ingest endpoint hands its validated alerts to one writer task and
//! waits. The writer takes whatever has arrived since its last commit,
//! decides per alert what must be written (a re-send that changes nothing
//! durable costs no write, see [`pagerbound_core::alert::Known`]), writes
//! it all in one transaction, and only then answers every waiting request:
//! concurrent requests share one commit, and "accepted" means durable.
//! Committed changes go on to the engine.

mod writer;

use crate::engine::EngineHandle;
use crate::metrics::Metrics;
use jiff::Timestamp;
use pagerbound_core::alert::{Alert, Fingerprint};
use pagerbound_store::{Store, StoreError};
use std::sync::Arc;
use tokio::sync::{mpsc, oneshot};
use tokio::task::JoinHandle;

/// Something received for the alert store.
#[derive(Debug, Clone)]
pub enum Incoming {
    /// An alert, new or sent again.
    Alert { alert: Alert, integration: String },
    /// Resolve the firing alert with this fingerprint at `at` (events'
    /// `resolve`, and a trigger that replaces an alert).
    Resolve {
        fingerprint: Fingerprint,
        at: Timestamp,
    },
}

/// Why alerts could not be accepted.
#[derive(Debug, Clone, thiserror::Error)]
pub enum IngestError {
    #[error("the alerts could not be stored: {0}")]
    Store(Arc<StoreError>),
    #[error("the server is shutting down")]
    Closed,
}

struct Submission {
    items: Vec<Incoming>,
    done: oneshot::Sender<Result<(), IngestError>>,
}

/// Submits alerts to the writer; cheap to clone.
#[derive(Clone)]
pub struct Ingest {
    tx: mpsc::Sender<Submission>,
}

/// Requests waiting for the writer, at most; more wait for room, which
/// slows senders down instead of letting memory grow.
const QUEUE: usize = 1024;

impl Ingest {
    /// Loads what is known of recent alerts and starts the writer.
    pub async fn start(
        store: Arc<dyn Store>,
        engine: EngineHandle,
        metrics: Arc<Metrics>,
    ) -> Result<(Ingest, JoinHandle<()>), StoreError> {
        let (tx, rx) = mpsc::channel(QUEUE);
        let writer = writer::Writer::load(store, engine, metrics, rx).await?;
        let task = tokio::spawn(writer.run());
        Ok((Ingest { tx }, task))
    }

    /// Submits items and waits until they are durable.
    pub async fn submit(&self, items: Vec<Incoming>) -> Result<(), IngestError> {
        if items.is_empty() {
            return Ok(());
        }
        let (done, answer) = oneshot::channel();
        self.tx
            .send(Submission { items, done })
            .await
            .map_err(|_| IngestError::Closed)?;
        answer.await.map_err(|_| IngestError::Closed)?
    }
}
