//! On-call schedules: who carries the pager when.
//!
//! A [`Schedule`] is a stack of [`Layer`]s. Each layer is a rotation: its
//! participants take turns, one shift each, handing off at a local time in
//! the layer's time zone, optionally only inside weekly windows (its
//! restrictions). Where a higher layer has someone, it wins over the layers
//! below; where no layer has anyone, the schedule has a gap, and gaps are
//! shown, never papered over. [`Override`]s, made at runtime, win over every
//! layer.
//!
//! Handoffs are civil times: a weekly rotation that hands off on Monday at
//! 09:00 in Europe/Dublin does so at 09:00 Dublin time in summer and in
//! winter, so the shifts around a daylight-saving change are an hour
//! shorter or longer. A handoff (or a restriction window's edge) at a
//! local time the clocks skip moves forward by the size of the jump
//! (02:30 becomes 03:30), and one at a local time that happens twice takes
//! the first: jiff's "compatible" reading, the one calendars use.
//! Everything here is pure: the caller passes the instants it wants to
//! know about.

mod final_schedule;
mod rotation;
#[cfg(test)]
mod tests;

use crate::time_window::WeeklyWindow;
use jiff::Timestamp;
use jiff::civil::{Date, Time, Weekday};
use jiff::tz::TimeZone;

/// A schedule: layers of rotations, lowest first.
#[derive(Debug, Clone, PartialEq)]
pub struct Schedule {
    pub name: String,
    /// The owning team.
    pub team: String,
    /// The zone the schedule is shown in (calendar feeds, the web UI);
    /// each layer hands off in its own zone.
    pub time_zone: TimeZone,
    /// Lowest first: a later layer overrides the earlier ones wherever it
    /// has someone on call.
    pub layers: Vec<Layer>,
}

/// One rotation in a schedule.
#[derive(Debug, Clone, PartialEq)]
pub struct Layer {
    pub name: String,
    /// User names, in turn order. Never empty.
    pub participants: Vec<String>,
    pub rotation: Rotation,
    /// When set, the layer has someone on call only inside these windows
    /// (local time in the rotation's zone); outside them the layers below
    /// decide. Empty means always.
    pub restrictions: Vec<WeeklyWindow>,
    /// People learning the rotation: each shadows one participant and
    /// receives copies of that participant's pages.
    pub shadows: Vec<Shadow>,
}

/// A shadow: `user` observes while `shadowing` is on call in this layer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Shadow {
    pub user: String,
    pub shadowing: String,
}

/// How a layer's shifts are cut.
#[derive(Debug, Clone, PartialEq)]
pub struct Rotation {
    pub length: ShiftLength,
    /// The local time of each handoff.
    pub handoff: Time,
    /// For weekly shifts, the day of the handoff; `None` hands off on the
    /// weekday of `start`.
    pub handoff_day: Option<Weekday>,
    pub time_zone: TimeZone,
    /// The first participant's first shift begins at the first handoff on
    /// or after this date; before it the layer has nobody.
    pub start: Date,
}

/// The length of one shift, counted in local (civil) time.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ShiftLength {
    Hours(u32),
    Days(u32),
    Weeks(u32),
}

impl std::str::FromStr for ShiftLength {
    type Err = String;

    /// Reads `12h`, `1d`, `2w`: a whole number above zero and a unit.
    fn from_str(text: &str) -> Result<Self, String> {
        let error = || {
            format!(
                "shift `{text}` is not a shift length; write a whole number of hours, days or weeks, e.g. `12h`, `1d` or `1w`"
            )
        };
        let unit_at = text.find(|c: char| !c.is_ascii_digit()).ok_or_else(error)?;
        let (number, unit) = text.split_at(unit_at);
        let n: u32 = number.parse().map_err(|_| error())?;
        if n == 0 {
            return Err(format!("shift `{text}` must be longer than zero"));
        }
        match unit {
            "h" => Ok(ShiftLength::Hours(n)),
            "d" => Ok(ShiftLength::Days(n)),
            "w" => Ok(ShiftLength::Weeks(n)),
            _ => Err(error()),
        }
    }
}

impl std::fmt::Display for ShiftLength {
    /// As it is written in configuration: `12h`, `1d`, `2w`.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ShiftLength::Hours(n) => write!(f, "{n}h"),
            ShiftLength::Days(n) => write!(f, "{n}d"),
            ShiftLength::Weeks(n) => write!(f, "{n}w"),
        }
    }
}

/// A runtime replacement: `user` is on call from `start` to `end`, whoever
/// the layers say.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Override {
    pub id: String,
    pub user: String,
    pub start: Timestamp,
    pub end: Timestamp,
}

/// A stretch of the final schedule: one person (or nobody) from `start`
/// until `end`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Shift {
    /// `None` is a gap: nobody is on call.
    pub user: Option<String>,
    pub start: Timestamp,
    pub end: Timestamp,
    pub source: ShiftSource,
    /// Who shadows `user` during this shift (from the layer's shadows).
    pub shadows: Vec<String>,
}

/// What put someone on call.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ShiftSource {
    /// The layer with this name.
    Layer(String),
    /// The override with this id.
    Override(String),
    /// Nobody: no layer has anyone and no override applies.
    Gap,
}

/// Who is on call at one instant.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OnCall {
    /// `None`: nobody (a gap).
    pub user: Option<String>,
    pub source: ShiftSource,
    pub shadows: Vec<String>,
}
