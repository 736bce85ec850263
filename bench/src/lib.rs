//! Benchmarks pagerbound side by side with Alertmanager.
//!
//! The binary `pagerbound-bench` drives these modules; they are a library so
//! that the integration tests can drive them too.

pub mod alertmanager;
pub mod alerts;
pub mod ingest;
pub mod ingest_bound;
pub mod latency;
pub mod loadgen;
pub mod markdown;
pub mod pagerbound;
pub mod process;
pub mod procstat;
pub mod schedules;
pub mod slo_prometheus;
pub mod slos;
pub mod stats;
pub mod target;
pub mod web;
