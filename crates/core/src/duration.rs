//! Durations written the way Prometheus and Alertmanager write them:
//! `30s`, `5m`, `1h30m`, `28d`, `2w`, `500ms`.
//!
//! Config files are shared with those tools' users, so the same spelling
//! means the same thing here (`d` is 24 hours, `w` is 7 days, `y` is 365
//! days: fixed lengths, not calendar units).

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use std::fmt;
use std::str::FromStr;

/// A non-negative length of time with millisecond precision.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Duration {
    millis: u64,
}

const UNITS: [(&str, u64); 7] = [
    ("y", 365 * 24 * 3_600_000),
    ("w", 7 * 24 * 3_600_000),
    ("d", 24 * 3_600_000),
    ("h", 3_600_000),
    ("m", 60_000),
    ("s", 1_000),
    ("ms", 1),
];

impl Duration {
    pub const ZERO: Duration = Duration { millis: 0 };

    pub const fn from_millis(millis: u64) -> Self {
        Duration { millis }
    }

    pub const fn from_secs(secs: u64) -> Self {
        Duration {
            millis: secs * 1_000,
        }
    }

    pub const fn from_mins(mins: u64) -> Self {
        Duration::from_secs(mins * 60)
    }

    pub const fn as_millis(self) -> u64 {
        self.millis
    }

    pub fn to_std(self) -> std::time::Duration {
        std::time::Duration::from_millis(self.millis)
    }

    /// As a [`jiff::SignedDuration`], for arithmetic on timestamps.
    pub fn to_signed(self) -> jiff::SignedDuration {
        // Parsing caps durations well below i64::MAX milliseconds.
        jiff::SignedDuration::from_millis(i64::try_from(self.millis).unwrap_or(i64::MAX))
    }
}

/// Why a duration could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DurationError {
    #[error("empty duration; write a number and a unit, e.g. `5m`")]
    Empty,
    #[error(
        "`{0}` is not a duration; write a number and a unit (ms, s, m, h, d, w, y), e.g. `5m` or `1h30m`"
    )]
    Malformed(String),
    #[error("`{0}` has its units out of order; write larger units first, e.g. `1h30m`")]
    OutOfOrder(String),
    #[error("`{0}` is too long a duration")]
    Overflow(String),
}

impl FromStr for Duration {
    type Err = DurationError;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        if text.is_empty() {
            return Err(DurationError::Empty);
        }
        if text == "0" {
            return Ok(Duration::ZERO);
        }
        let malformed = || DurationError::Malformed(text.to_owned());
        let mut rest = text;
        let mut total: u64 = 0;
        let mut last_unit = usize::MAX;
        while !rest.is_empty() {
            let digits = rest.bytes().take_while(u8::is_ascii_digit).count();
            if digits == 0 {
                return Err(malformed());
            }
            let number: u64 = rest[..digits]
                .parse()
                .map_err(|_| DurationError::Overflow(text.to_owned()))?;
            rest = &rest[digits..];
            let letters = rest.bytes().take_while(u8::is_ascii_alphabetic).count();
            let unit = &rest[..letters];
            rest = &rest[letters..];
            let index = UNITS
                .iter()
                .position(|(name, _)| *name == unit)
                .ok_or_else(malformed)?;
            if last_unit != usize::MAX && index <= last_unit {
                return Err(DurationError::OutOfOrder(text.to_owned()));
            }
            last_unit = index;
            total = number
                .checked_mul(UNITS[index].1)
                .and_then(|ms| total.checked_add(ms))
                .filter(|ms| *ms <= i64::MAX as u64)
                .ok_or_else(|| DurationError::Overflow(text.to_owned()))?;
        }
        Ok(Duration { millis: total })
    }
}

impl fmt::Display for Duration {
    /// The shortest spelling that parses back to the same duration.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.millis == 0 {
            return f.write_str("0s");
        }
        let mut rest = self.millis;
        for (name, size) in UNITS {
            if rest >= size {
                write!(f, "{}{}", rest / size, name)?;
                rest %= size;
            }
        }
        Ok(())
    }
}

impl Serialize for Duration {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Duration {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        text.parse().map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn reads_prometheus_spellings() {
        let cases = [
            ("0", 0),
            ("500ms", 500),
            ("30s", 30_000),
            ("5m", 300_000),
            ("1h30m", 5_400_000),
            ("28d", 28 * 86_400_000),
            ("2w", 14 * 86_400_000),
            ("1y", 365 * 86_400_000),
            ("1h0m5s", 3_605_000),
        ];
        for (text, millis) in cases {
            assert_eq!(
                text.parse::<Duration>(),
                Ok(Duration::from_millis(millis)),
                "{text}"
            );
        }
    }

    #[test]
    fn refuses_what_prometheus_refuses() {
        for text in [
            "", "5", "m", "5 m", "-5m", "1.5h", "5mins", "30m1h", "1h1h", "5M",
        ] {
            assert!(
                text.parse::<Duration>().is_err(),
                "{text:?} should be refused"
            );
        }
        assert!(matches!(
            "30m1h".parse::<Duration>(),
            Err(DurationError::OutOfOrder(_))
        ));
        assert!(matches!(
            "99999999999999999999y".parse::<Duration>(),
            Err(DurationError::Overflow(_))
        ));
    }

    #[test]
    fn displays_the_shortest_spelling() {
        assert_eq!(Duration::from_millis(5_400_000).to_string(), "1h30m");
        assert_eq!(Duration::ZERO.to_string(), "0s");
        assert_eq!(Duration::from_millis(86_400_500).to_string(), "1d500ms");
    }

    proptest! {
        #[test]
        fn display_round_trips(millis in 0u64..(1 << 50)) {
            let duration = Duration::from_millis(millis);
            prop_assert_eq!(duration.to_string().parse::<Duration>(), Ok(duration));
        }

        #[test]
        fn never_panics_on_any_text(text in ".*") {
            let _ = text.parse::<Duration>();
        }
    }
}
