//! The engine: the background loop that moves pages forward (flushing
//! alert groups, escalating, evaluating SLOs, running probes), with its work
//! claimed through the store so that several instances never do it twice.
//!
//! Filled by the alert pipeline, notifications, on-call and SLO issues.
