//! Label matchers in Alertmanager's syntax: `alertname="HighLatency"`,
//! `severity!="info"`, `service=~"checkout|cart"`, `env!~"dev.*"`, alone or
//! as a list, optionally in braces: `{alertname="X", severity=~"crit.*"}`.
//!
//! Regular expressions are anchored at both ends, as in Prometheus: `=~"a"`
//! matches the value `a`, not `abc`. A label that is absent matches as the
//! empty value.

use super::labels::{LabelLookup, Labels, escape};
use regex::Regex;
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use std::fmt;
use std::str::FromStr;

/// How a matcher compares.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum MatchOp {
    Equal,
    NotEqual,
    Regex,
    NotRegex,
}

impl MatchOp {
    pub fn as_str(self) -> &'static str {
        match self {
            MatchOp::Equal => "=",
            MatchOp::NotEqual => "!=",
            MatchOp::Regex => "=~",
            MatchOp::NotRegex => "!~",
        }
    }

    pub fn is_regex(self) -> bool {
        matches!(self, MatchOp::Regex | MatchOp::NotRegex)
    }

    pub fn is_equal(self) -> bool {
        matches!(self, MatchOp::Equal | MatchOp::Regex)
    }

    /// The operator for Alertmanager's `{isRegex, isEqual}` pair.
    pub fn from_flags(is_regex: bool, is_equal: bool) -> MatchOp {
        match (is_regex, is_equal) {
            (false, true) => MatchOp::Equal,
            (false, false) => MatchOp::NotEqual,
            (true, true) => MatchOp::Regex,
            (true, false) => MatchOp::NotRegex,
        }
    }
}

/// Largest compiled regular expression accepted, so that a hostile matcher
/// cannot make the server build a huge automaton.
const REGEX_SIZE_LIMIT: usize = 1 << 20;

/// One matcher.
#[derive(Clone)]
pub struct Matcher {
    pub name: String,
    pub op: MatchOp,
    pub value: String,
    regex: Option<Regex>,
}

/// Why a matcher could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MatcherError {
    #[error("`{text}` is not a matcher: {reason} (at character {at})")]
    Syntax {
        text: String,
        reason: String,
        at: usize,
    },
    #[error("invalid regular expression `{value}` for label `{name}`: {reason}")]
    Regex {
        name: String,
        value: String,
        reason: String,
    },
    #[error("a matcher needs a label name")]
    EmptyName,
}

impl Matcher {
    pub fn new(
        name: impl Into<String>,
        op: MatchOp,
        value: impl Into<String>,
    ) -> Result<Self, MatcherError> {
        let (name, value) = (name.into(), value.into());
        if name.is_empty() {
            return Err(MatcherError::EmptyName);
        }
        let regex = if op.is_regex() {
            let anchored = format!("^(?:{value})$");
            let compiled = regex::RegexBuilder::new(&anchored)
                .size_limit(REGEX_SIZE_LIMIT)
                .build()
                .map_err(|e| MatcherError::Regex {
                    name: name.clone(),
                    value: value.clone(),
                    reason: e
                        .to_string()
                        .lines()
                        .last()
                        .unwrap_or_default()
                        .trim()
                        .trim_start_matches("error: ")
                        .to_owned(),
                })?;
            Some(compiled)
        } else {
            None
        };
        Ok(Matcher {
            name,
            op,
            value,
            regex,
        })
    }

    /// Whether `value` (empty when the label is absent) satisfies the
    /// matcher.
    pub fn matches_value(&self, value: &str) -> bool {
        match (&self.op, &self.regex) {
            (MatchOp::Equal, _) => value == self.value,
            (MatchOp::NotEqual, _) => value != self.value,
            (MatchOp::Regex, Some(regex)) => regex.is_match(value),
            (MatchOp::NotRegex, Some(regex)) => !regex.is_match(value),
            (MatchOp::Regex | MatchOp::NotRegex, None) => false,
        }
    }

    pub fn matches(&self, labels: &impl LabelLookup) -> bool {
        self.matches_value(labels.label(&self.name).unwrap_or(""))
    }
}

impl PartialEq for Matcher {
    fn eq(&self, other: &Self) -> bool {
        self.name == other.name && self.op == other.op && self.value == other.value
    }
}

impl Eq for Matcher {}

impl fmt::Debug for Matcher {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Matcher({self})")
    }
}

impl fmt::Display for Matcher {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}{}\"{}\"",
            self.name,
            self.op.as_str(),
            escape(&self.value)
        )
    }
}

impl FromStr for Matcher {
    type Err = MatcherError;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let matchers = parse_matchers(text)?;
        match <[Matcher; 1]>::try_from(matchers.0) {
            Ok([matcher]) => Ok(matcher),
            Err(list) => Err(MatcherError::Syntax {
                text: text.to_owned(),
                reason: format!("expected one matcher, found {}", list.len()),
                at: 0,
            }),
        }
    }
}

impl Serialize for Matcher {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Matcher {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        text.parse().map_err(serde::de::Error::custom)
    }
}

/// A list of matchers; all must match.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Matchers(pub Vec<Matcher>);

impl Matchers {
    pub fn matches(&self, labels: &impl LabelLookup) -> bool {
        self.0.iter().all(|m| m.matches(labels))
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    pub fn iter(&self) -> impl Iterator<Item = &Matcher> {
        self.0.iter()
    }

    /// Labels every matching label set carries with these values: those of
    /// the `=` matchers with a value (`name=""` also matches a set without
    /// the label). A store can narrow a search by them before the matchers
    /// are applied; they never leave out a match.
    pub fn required_labels(&self) -> Labels {
        self.0
            .iter()
            .filter(|m| m.op == MatchOp::Equal && !m.value.is_empty())
            .map(|m| (m.name.clone(), m.value.clone()))
            .collect()
    }
}

impl fmt::Display for Matchers {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("{")?;
        for (i, matcher) in self.0.iter().enumerate() {
            if i > 0 {
                f.write_str(", ")?;
            }
            write!(f, "{matcher}")?;
        }
        f.write_str("}")
    }
}

impl FromStr for Matchers {
    type Err = MatcherError;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        parse_matchers(text)
    }
}

/// Reads a list of matchers: `a="1", b=~"x|y"`, optionally in braces. Values
/// may be quoted (with `\"`, `\\` and `\n` escapes) or bare (up to the next
/// comma).
pub fn parse_matchers(text: &str) -> Result<Matchers, MatcherError> {
    Parser {
        text,
        chars: text.char_indices().collect(),
        pos: 0,
    }
    .parse()
}

struct Parser<'a> {
    text: &'a str,
    chars: Vec<(usize, char)>,
    pos: usize,
}

impl Parser<'_> {
    fn error(&self, reason: impl Into<String>) -> MatcherError {
        MatcherError::Syntax {
            text: self.text.to_owned(),
            reason: reason.into(),
            at: self.pos + 1,
        }
    }

    fn peek(&self) -> Option<char> {
        self.chars.get(self.pos).map(|(_, c)| *c)
    }

    fn skip_space(&mut self) {
        while self.peek().is_some_and(char::is_whitespace) {
            self.pos += 1;
        }
    }

    fn eat(&mut self, expected: char) -> bool {
        if self.peek() == Some(expected) {
            self.pos += 1;
            true
        } else {
            false
        }
    }

    fn parse(mut self) -> Result<Matchers, MatcherError> {
        self.skip_space();
        let braced = self.eat('{');
        let mut matchers = Vec::new();
        loop {
            self.skip_space();
            match self.peek() {
                None if braced => return Err(self.error("missing closing `}`")),
                None => break,
                Some('}') if braced => {
                    self.pos += 1;
                    self.skip_space();
                    if self.peek().is_some() {
                        return Err(self.error("unexpected text after `}`"));
                    }
                    break;
                }
                _ => {}
            }
            matchers.push(self.matcher()?);
            self.skip_space();
            match self.peek() {
                Some(',') => self.pos += 1,
                Some('}') if braced => {}
                None => {}
                Some(other) => {
                    return Err(
                        self.error(format!("expected `,` between matchers, found `{other}`"))
                    );
                }
            }
        }
        Ok(Matchers(matchers))
    }

    fn matcher(&mut self) -> Result<Matcher, MatcherError> {
        let name = if self.peek() == Some('"') {
            self.quoted()?
        } else {
            let start = self.pos;
            while self
                .peek()
                .is_some_and(|c| c.is_ascii_alphanumeric() || c == '_' || c == ':' || c == '.')
            {
                self.pos += 1;
            }
            if self.pos == start {
                return Err(self.error("expected a label name"));
            }
            self.slice(start, self.pos)
        };
        self.skip_space();
        let op = if self.eat('=') {
            if self.eat('~') {
                MatchOp::Regex
            } else {
                MatchOp::Equal
            }
        } else if self.eat('!') {
            if self.eat('=') {
                MatchOp::NotEqual
            } else if self.eat('~') {
                MatchOp::NotRegex
            } else {
                return Err(self.error("expected `!=` or `!~`"));
            }
        } else {
            return Err(self.error(format!(
                "expected an operator (=, !=, =~, !~) after `{name}`"
            )));
        };
        self.skip_space();
        let value = if self.peek() == Some('"') {
            self.quoted()?
        } else {
            let start = self.pos;
            while self
                .peek()
                .is_some_and(|c| c != ',' && c != '}' && c != '"')
            {
                self.pos += 1;
            }
            self.slice(start, self.pos).trim_end().to_owned()
        };
        Matcher::new(name, op, value)
    }

    fn quoted(&mut self) -> Result<String, MatcherError> {
        self.pos += 1;
        let mut value = String::new();
        loop {
            match self.peek() {
                None => return Err(self.error("unterminated quoted value")),
                Some('"') => {
                    self.pos += 1;
                    return Ok(value);
                }
                Some('\\') => {
                    self.pos += 1;
                    match self.peek() {
                        Some('n') => value.push('\n'),
                        Some('t') => value.push('\t'),
                        Some(c @ ('"' | '\\')) => value.push(c),
                        // Keep unknown escapes as written: regexes use them (`\d`).
                        Some(c) => {
                            value.push('\\');
                            value.push(c);
                        }
                        None => return Err(self.error("unterminated quoted value")),
                    }
                    self.pos += 1;
                }
                Some(c) => {
                    value.push(c);
                    self.pos += 1;
                }
            }
        }
    }

    fn slice(&self, start: usize, end: usize) -> String {
        let byte = |i: usize| self.chars.get(i).map_or(self.text.len(), |(b, _)| *b);
        self.text[byte(start)..byte(end)].to_owned()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn required_labels_come_from_equality_with_a_value() {
        let matchers: Matchers =
            r#"{service="checkout", alertname=~"Disk.*", team!="db", env="", severity="page"}"#
                .parse()
                .expect("valid");
        let required = matchers.required_labels();
        assert_eq!(
            required.to_string(),
            r#"{service="checkout", severity="page"}"#
        );
        let firing: Labels = [
            ("service", "checkout"),
            ("severity", "page"),
            ("alertname", "DiskFull"),
        ]
        .into_iter()
        .collect();
        assert!(
            matchers.matches(&firing),
            "a match carries the required labels"
        );
        assert!(Matchers::default().required_labels().is_empty());
    }
    use crate::alert::Labels;
    use proptest::prelude::*;

    fn labels(pairs: &[(&str, &str)]) -> Labels {
        pairs.iter().copied().collect()
    }

    #[test]
    fn reads_every_operator_and_quoting() {
        let cases = [
            (
                r#"alertname="HighLatency""#,
                "alertname",
                MatchOp::Equal,
                "HighLatency",
            ),
            (r#"severity!="info""#, "severity", MatchOp::NotEqual, "info"),
            (
                r#"service=~"checkout|cart""#,
                "service",
                MatchOp::Regex,
                "checkout|cart",
            ),
            (r#"env !~ "dev.*""#, "env", MatchOp::NotRegex, "dev.*"),
            ("team=payments", "team", MatchOp::Equal, "payments"),
            (
                r#"msg="say \"hi\"\n""#,
                "msg",
                MatchOp::Equal,
                "say \"hi\"\n",
            ),
            (r#"path=~"\d+""#, "path", MatchOp::Regex, r"\d+"),
            (r#"x="""#, "x", MatchOp::Equal, ""),
        ];
        for (text, name, op, value) in cases {
            let matcher: Matcher = text.parse().unwrap_or_else(|e| panic!("{text}: {e}"));
            assert_eq!(
                (matcher.name.as_str(), matcher.op, matcher.value.as_str()),
                (name, op, value),
                "{text}"
            );
        }
    }

    #[test]
    fn reads_lists_with_or_without_braces() {
        for text in [
            r#"{alertname="X", severity=~"crit.*"}"#,
            r#"alertname="X",severity=~"crit.*""#,
            r#" { alertname = X , severity =~ "crit.*" , } "#,
        ] {
            let matchers = parse_matchers(text).unwrap_or_else(|e| panic!("{text}: {e}"));
            assert_eq!(
                matchers.to_string(),
                r#"{alertname="X", severity=~"crit.*"}"#,
                "{text}"
            );
        }
        assert_eq!(parse_matchers("{}").map(|m| m.0.len()), Ok(0));
        assert_eq!(parse_matchers("").map(|m| m.0.len()), Ok(0));
    }

    #[test]
    fn refuses_malformed_text_with_a_position() {
        for text in [
            "alertname",
            "=x",
            "a!x",
            r#"a="unterminated"#,
            r#"{a="b""#,
            r#"{a="b"} c"#,
            r#"a="b" c="d""#,
            "a=~\"(\"",
        ] {
            assert!(parse_matchers(text).is_err(), "{text:?} should be refused");
        }
        let error = parse_matchers("severity <> 3").expect_err("bad operator");
        assert_eq!(
            error.to_string(),
            "`severity <> 3` is not a matcher: expected an operator (=, !=, =~, !~) after `severity` (at character 10)"
        );
    }

    #[test]
    fn regexes_are_anchored_and_absent_labels_are_empty() {
        let alert = labels(&[("service", "checkout-api"), ("severity", "critical")]);
        let check = |text: &str| text.parse::<Matcher>().expect("matcher").matches(&alert);
        assert!(check(r#"service=~"checkout.*""#));
        assert!(!check(r#"service=~"checkout""#), "anchored at the end");
        assert!(!check(r#"service=~"api""#), "anchored at the start");
        assert!(check(r#"service!~"cart.*""#));
        assert!(check(r#"team="""#), "absent equals empty");
        assert!(check(r#"team!~".+""#));
        assert!(!check(r#"team=~".+""#));
        assert!(check(r#"severity!="info""#));
    }

    #[test]
    fn alertmanager_flags_map_to_operators() {
        assert_eq!(MatchOp::from_flags(false, true), MatchOp::Equal);
        assert_eq!(MatchOp::from_flags(true, false), MatchOp::NotRegex);
        for op in [
            MatchOp::Equal,
            MatchOp::NotEqual,
            MatchOp::Regex,
            MatchOp::NotRegex,
        ] {
            assert_eq!(MatchOp::from_flags(op.is_regex(), op.is_equal()), op);
        }
    }

    proptest! {
        #[test]
        fn display_round_trips(name in "[a-z_][a-z0-9_]{0,8}", op in 0..4usize, value in "\\PC{0,12}") {
            let op = [MatchOp::Equal, MatchOp::NotEqual, MatchOp::Regex, MatchOp::NotRegex][op];
            if let Ok(matcher) = Matcher::new(&name, op, &value) {
                let parsed: Matcher = matcher.to_string().parse().expect("round trip");
                prop_assert_eq!(parsed, matcher);
            }
        }

        #[test]
        fn never_panics(text in "\\PC{0,40}") {
            let _ = parse_matchers(&text);
        }
    }
}
