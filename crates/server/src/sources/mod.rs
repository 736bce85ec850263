//! SLI sources: where the SLO engine's events come from. Pushed events
//! are checked here and stored, and probe runs are recorded the same way;
//! the engine reads them back from the store, so any instance may take a
//! push.

pub mod probes;
pub mod push;
