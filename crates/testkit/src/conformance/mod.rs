//! The scenarios every store backend must pass. Each takes a freshly
//! migrated store; `tests/conformance.rs` runs each one on SQLite and on
//! PostgreSQL.
//!
//! Instants are compared at millisecond precision, the precision both
//! backends keep.
//!
//! The scenarios live in one file per domain; the helpers they share are
//! here.

mod alerts;
mod drills;
mod engine;
mod escalations;
mod heartbeats;
mod outbox;
mod overrides;
mod pages;
mod response;
mod sign_in;
mod silences;
mod slis;
mod tokens;

pub use alerts::*;
pub use drills::*;
pub use engine::*;
pub use escalations::*;
pub use heartbeats::*;
pub use outbox::*;
pub use overrides::*;
pub use pages::*;
pub use response::*;
pub use sign_in::*;
pub use silences::*;
pub use slis::*;
pub use tokens::*;

use jiff::{SignedDuration, Timestamp};
use pagerbound_core::Role;
use pagerbound_core::alert::{Alert, Fingerprint, Labels};
use pagerbound_core::maintenance::MaintenanceWindow;
use pagerbound_core::routing::Class;
use pagerbound_core::silence::Silence;
use pagerbound_core::token::TokenDigest;
use pagerbound_store::{
    AlertWrite, NewMaintenance, NewPage, PageEvent, PageFilter, PageState, StoredGroup, Written,
};
use pagerbound_store::{NewApiToken, Store, StoreError};

fn at(text: &str) -> Timestamp {
    text.parse().expect("timestamp")
}

fn labels(pairs: &[(&str, &str)]) -> Labels {
    pairs.iter().copied().collect()
}

fn alert(name: &str, starts: &str, ends: Option<&str>) -> Alert {
    Alert {
        labels: labels(&[("alertname", name), ("service", "checkout")]),
        annotations: labels(&[("summary", &format!("{name} is bad"))]),
        starts_at: at(starts),
        ends_at: ends.map(at),
        timeout: ends.is_some(),
        generator_url: Some(format!("http://prometheus/graph?g0.expr={name}")),
    }
}

/// An insert whose id [`write_with_ids`] fills in.
fn insert(a: Alert, when: &str) -> AlertWrite {
    insert_as(0, a, when)
}

/// An insert with its id given.
fn insert_as(id: i64, a: Alert, when: &str) -> AlertWrite {
    AlertWrite::Insert {
        id,
        alert: a,
        integration: "prometheus".to_owned(),
        at: at(when),
    }
}

/// Writes a batch after reserving ids for its inserts, as the ingest path
/// does.
async fn write_with_ids(
    store: &dyn Store,
    writes: &[AlertWrite],
) -> pagerbound_store::Result<Vec<Written>> {
    let count = writes
        .iter()
        .filter(|w| matches!(w, AlertWrite::Insert { .. }))
        .count();
    let mut ids = store.reserve_alert_ids(count).await?.into_iter();
    let writes: Vec<AlertWrite> = writes
        .iter()
        .cloned()
        .map(|write| match write {
            AlertWrite::Insert {
                alert,
                integration,
                at,
                ..
            } => AlertWrite::Insert {
                id: ids.next().expect("an id per insert"),
                alert,
                integration,
                at,
            },
            update => update,
        })
        .collect();
    store.write_alerts(&writes).await
}

async fn some_alert_ids(store: &dyn Store, n: usize) -> Vec<i64> {
    let batch: Vec<AlertWrite> = (0..n)
        .map(|i| {
            let mut a = alert("Paged", "2026-11-21T10:00:00Z", None);
            a.labels.insert("instance", format!("i{i}"));
            insert(a, "2026-11-21T10:00:00Z")
        })
        .collect();
    write_with_ids(store, &batch)
        .await
        .expect("write")
        .iter()
        .map(|w| w.id)
        .collect()
}

/// Migrating again changes nothing and does not fail; the store answers.
pub async fn migrations_are_idempotent(store: &dyn Store) {
    store.migrate().await.expect("second migration");
    store.ping().await.expect("ping");
}
