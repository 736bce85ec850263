//! Notifications: one message to one destination, recorded in the outbox
//! before it is sent.
//!
//! The flow, and where each rule lives:
//! - an event on a page's timeline (or a notice) is *planned*: who hears of
//!   it ([`recipients`]) and what they are told ([`message`]);
//! - each planned notification waits in the outbox until a sender takes it;
//!   everything waiting for one destination goes out as one bundle, no
//!   faster than the destination's pace ([`pace`]);
//! - a failed attempt is retried with exponential backoff and jitter, or
//!   given up on ([`retry`]).

pub mod message;
pub mod pace;
pub mod recipients;
pub mod retry;

pub use message::{AlertSummary, Links, Message, PageSummary, Subject};
pub use recipients::Destination;
pub use retry::{Outcome, RetryPolicy};
