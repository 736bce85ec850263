//! The server's one reading of the clock.
//!
//! Instants are kept to the millisecond: SQLite keeps milliseconds, and
//! PostgreSQL keeps a millisecond value exactly, so a value read back from
//! either equals the value written; it is also the precision Alertmanager's
//! API speaks.

use jiff::Timestamp;

/// Now, to the millisecond.
pub fn now() -> Timestamp {
    let now = Timestamp::now();
    Timestamp::from_millisecond(now.as_millisecond()).unwrap_or(now)
}
