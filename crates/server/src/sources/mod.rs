//! SLI sources: where the SLO engine's events come from. Pushed events
//! are checked here and stored; probe runs and what is read from
//! Prometheus are recorded the same way. The engine reads them all back
//! from the store, so every instance sees the same counts.

pub mod probes;
pub mod prometheus;
pub mod push;
