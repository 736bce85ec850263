//! SLI sources: where the SLO engine's events come from. Pushed events
//! are checked here and stored; the engine reads them back from the store,
//! so any instance may take a push.

pub mod push;
