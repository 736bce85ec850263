//! Weekly windows of local time: "Monday to Friday, 09:00 to 17:30".
//!
//! Used for a service's support hours and, later, for rotation restrictions.
//! A window is judged in local (civil) time, so it follows daylight-saving
//! changes of the zone it is read in.

use jiff::civil::{DateTime, Time, Weekday};
use std::fmt;
use std::str::FromStr;

/// A set of weekdays.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct DaySet(u8);

const DAY_NAMES: [(&str, Weekday); 7] = [
    ("mon", Weekday::Monday),
    ("tue", Weekday::Tuesday),
    ("wed", Weekday::Wednesday),
    ("thu", Weekday::Thursday),
    ("fri", Weekday::Friday),
    ("sat", Weekday::Saturday),
    ("sun", Weekday::Sunday),
];

impl DaySet {
    pub const EVERY_DAY: DaySet = DaySet(0b111_1111);

    fn bit(day: Weekday) -> u8 {
        1 << (day.to_monday_zero_offset() as u8)
    }

    pub fn contains(self, day: Weekday) -> bool {
        self.0 & Self::bit(day) != 0
    }

    pub fn insert(&mut self, day: Weekday) {
        self.0 |= Self::bit(day);
    }

    pub fn is_empty(self) -> bool {
        self.0 == 0
    }
}

impl fmt::Debug for DaySet {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "DaySet({self})")
    }
}

impl fmt::Display for DaySet {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let names: Vec<&str> = DAY_NAMES
            .iter()
            .filter(|(_, day)| self.contains(*day))
            .map(|(name, _)| *name)
            .collect();
        f.write_str(&names.join(","))
    }
}

/// Reads one weekday: `mon` … `sun`, or the full English name, in any
/// case.
pub fn parse_weekday(text: &str) -> Option<Weekday> {
    let text = text.to_ascii_lowercase();
    DAY_NAMES
        .iter()
        .find(|(name, day)| text == *name || text == format!("{day:?}").to_ascii_lowercase())
        .map(|(_, day)| *day)
}

/// A weekday as configuration writes it: `mon` … `sun`.
pub fn weekday_name(day: Weekday) -> &'static str {
    DAY_NAMES
        .iter()
        .find(|(_, d)| *d == day)
        .map_or("", |(name, _)| name)
}

/// Why a day list could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "`{0}` is not a list of days; write names or ranges of mon, tue, wed, thu, fri, sat, sun, e.g. `mon-fri` or `mon,wed,fri`"
)]
pub struct DaySetError(pub String);

impl FromStr for DaySet {
    type Err = DaySetError;

    /// Reads `mon-fri`, `sat,sun`, `mon-wed,fri`; ranges may wrap (`fri-mon`).
    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let error = || DaySetError(text.to_owned());
        let day_index = |name: &str| {
            let name = name.trim().to_ascii_lowercase();
            DAY_NAMES.iter().position(|(n, _)| *n == name)
        };
        let mut set = DaySet::default();
        for part in text.split(',') {
            match part.split_once('-') {
                Some((from, to)) => {
                    let from = day_index(from).ok_or_else(error)?;
                    let to = day_index(to).ok_or_else(error)?;
                    let mut i = from;
                    loop {
                        set.insert(DAY_NAMES[i].1);
                        if i == to {
                            break;
                        }
                        i = (i + 1) % 7;
                    }
                }
                None => set.insert(DAY_NAMES[day_index(part).ok_or_else(error)?].1),
            }
        }
        Ok(set)
    }
}

/// A weekly window: on each of `days`, from `start` to `end` local time.
///
/// When `end` is not after `start` the window runs past midnight into the
/// next day (`22:00`–`06:00`); `start == end` is a full 24 hours. An end of
/// `24:00` is read as midnight at the end of the day.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WeeklyWindow {
    pub days: DaySet,
    pub start: Time,
    pub end: Time,
}

impl WeeklyWindow {
    /// Whether the local date and time falls inside the window.
    pub fn contains(&self, local: DateTime) -> bool {
        let (day, time) = (local.weekday(), local.time());
        if self.start < self.end {
            self.days.contains(day) && self.start <= time && time < self.end
        } else {
            (self.days.contains(day) && time >= self.start)
                || (self.days.contains(day.previous()) && time < self.end)
        }
    }
}

/// Why a time of day could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("`{0}` is not a time of day; write `HH:MM` in 24-hour time, e.g. `09:00` or `17:30`")]
pub struct TimeOfDayError(pub String);

/// Reads `HH:MM` (or `HH:MM:SS`); `24:00` means midnight at the end of the day.
pub fn parse_time_of_day(text: &str) -> Result<Time, TimeOfDayError> {
    let error = || TimeOfDayError(text.to_owned());
    if text == "24:00" {
        return Ok(Time::midnight());
    }
    let well_formed = text.len() >= 5 && text.as_bytes()[2] == b':';
    if !well_formed {
        return Err(error());
    }
    text.parse::<Time>().map_err(|_| error())
}

#[cfg(test)]
mod tests {
    use super::*;
    use jiff::civil::{date, time};

    fn window(days: &str, start: &str, end: &str) -> WeeklyWindow {
        WeeklyWindow {
            days: days.parse().expect("days"),
            start: parse_time_of_day(start).expect("start"),
            end: parse_time_of_day(end).expect("end"),
        }
    }

    #[test]
    fn reads_day_lists_and_ranges() {
        assert_eq!(
            "mon-fri".parse::<DaySet>().map(|d| d.to_string()),
            Ok("mon,tue,wed,thu,fri".into())
        );
        assert_eq!(
            "sat,sun".parse::<DaySet>().map(|d| d.to_string()),
            Ok("sat,sun".into())
        );
        assert_eq!(
            "fri-mon".parse::<DaySet>().map(|d| d.to_string()),
            Ok("mon,fri,sat,sun".into())
        );
        assert_eq!("Mon-Sun".parse::<DaySet>(), Ok(DaySet::EVERY_DAY));
        for bad in ["", "monday", "mon-", "mon;tue", "xyz"] {
            assert!(bad.parse::<DaySet>().is_err(), "{bad:?}");
        }
    }

    #[test]
    fn reads_single_weekdays() {
        assert_eq!(parse_weekday("Mon"), Some(Weekday::Monday));
        assert_eq!(parse_weekday("sunday"), Some(Weekday::Sunday));
        assert_eq!(parse_weekday("funday"), None);
        assert_eq!(parse_weekday("mon-fri"), None);
        for (name, day) in DAY_NAMES {
            assert_eq!(weekday_name(day), name);
            assert_eq!(parse_weekday(weekday_name(day)), Some(day));
        }
    }

    #[test]
    fn reads_times_of_day() {
        assert_eq!(parse_time_of_day("09:00"), Ok(time(9, 0, 0, 0)));
        assert_eq!(parse_time_of_day("17:30"), Ok(time(17, 30, 0, 0)));
        assert_eq!(parse_time_of_day("24:00"), Ok(Time::midnight()));
        for bad in ["9", "9:00", "25:00", "12:60", "noon", "0900"] {
            assert!(parse_time_of_day(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn office_hours_window() {
        let office = window("mon-fri", "09:00", "17:30");
        // 2026-11-20 is a Friday.
        assert!(office.contains(date(2026, 11, 20).at(9, 0, 0, 0)));
        assert!(office.contains(date(2026, 11, 20).at(17, 29, 59, 0)));
        assert!(!office.contains(date(2026, 11, 20).at(17, 30, 0, 0)));
        assert!(!office.contains(date(2026, 11, 20).at(8, 59, 0, 0)));
        assert!(!office.contains(date(2026, 11, 21).at(12, 0, 0, 0)));
    }

    #[test]
    fn overnight_window_belongs_to_the_day_it_starts() {
        let nights = window("fri", "22:00", "06:00");
        assert!(nights.contains(date(2026, 11, 20).at(23, 0, 0, 0)));
        assert!(nights.contains(date(2026, 11, 21).at(5, 59, 0, 0)));
        assert!(!nights.contains(date(2026, 11, 21).at(23, 0, 0, 0)));
        assert!(!nights.contains(date(2026, 11, 20).at(5, 0, 0, 0)));
    }

    #[test]
    fn end_of_day_and_full_day_windows() {
        let evening = window("mon", "18:00", "24:00");
        assert!(evening.contains(date(2026, 11, 16).at(23, 59, 0, 0)));
        assert!(!evening.contains(date(2026, 11, 17).at(0, 0, 0, 0)));
        let all_day = window("mon", "00:00", "00:00");
        assert!(all_day.contains(date(2026, 11, 16).at(0, 0, 0, 0)));
        assert!(all_day.contains(date(2026, 11, 16).at(23, 59, 0, 0)));
        assert!(!all_day.contains(date(2026, 11, 17).at(0, 0, 0, 0)));
    }
}
