//! pagerbound's domain as plain data and pure functions.
//!
//! Nothing in this crate performs I/O or reads a clock: every function that
//! needs the time takes `now` (a [`jiff::Timestamp`]) as an argument. That is
//! what keeps schedule simulations, burn-rate maths and backtests fast,
//! deterministic and testable.
//!
//! Modules are organised by domain, with the names of `DESIGN.md`'s
//! vocabulary.

pub mod access;
pub mod alert;
pub mod channel;
pub mod drill;
pub mod duration;
pub mod escalation;
pub mod grouping;
pub mod heartbeat;
pub mod id;
pub mod inhibition;
pub mod integration;
pub mod maintenance;
pub mod name;
pub mod notify;
pub mod probe;
pub mod routing;
pub mod schedule;
pub mod secret;
pub mod service;
pub mod silence;
pub mod slo;
pub mod team;
pub mod time_window;
pub mod token;
pub mod user;

pub use access::Role;
pub use alert::{Alert, Fingerprint, Labels};
pub use channel::{Channel, ChannelKind};
pub use duration::Duration;
pub use heartbeat::Heartbeat;
pub use integration::Integration;
pub use secret::Secret;
pub use service::{Service, SupportHours, Urgency, UrgencyRule};
pub use team::Team;
pub use user::{ContactMethod, NotificationRule, NotificationRules, User};
