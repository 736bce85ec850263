//! SLI sources: Prometheus-compatible queries, pushed events and probes
//! that feed the SLO engine.
//!
//! Filled by the SLO issue.
