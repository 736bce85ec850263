//! The web UI: server-rendered pages for the on-call person.
//!
//! Filled by the web UI issue.
