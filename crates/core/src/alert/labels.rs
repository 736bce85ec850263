//! Label sets and their fingerprints.

use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::fmt;

/// A set of labels (or annotations): names to values, kept sorted by name.
#[derive(Debug, Clone, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Labels(BTreeMap<String, String>);

/// Read access to labels by name, so that matchers work on [`Labels`] and
/// on the engine's compact form alike. A missing label reads as absent,
/// which matchers treat as the empty value (as Prometheus does).
pub trait LabelLookup {
    fn label(&self, name: &str) -> Option<&str>;
}

impl Labels {
    pub fn new() -> Self {
        Labels(BTreeMap::new())
    }

    /// Labels from a map, without its empty values (an empty label is the
    /// same as no label).
    pub fn from_map(mut map: BTreeMap<String, String>) -> Self {
        map.retain(|_, value| !value.is_empty());
        Labels(map)
    }

    /// Labels (or annotations: `kind`) as a sender wrote them: every name
    /// must be valid; empty values are dropped, as Alertmanager does.
    pub fn checked(kind: &str, pairs: BTreeMap<String, String>) -> Result<Self, String> {
        if let Some(name) = pairs.keys().find(|name| !is_valid_name(name)) {
            return Err(format!(
                "{kind} name `{name}` is invalid; names are letters, digits and `_`, not starting with a digit"
            ));
        }
        Ok(Labels::from_map(pairs))
    }

    pub fn get(&self, name: &str) -> Option<&str> {
        self.0.get(name).map(String::as_str)
    }

    /// Sets a label; an empty value removes it (an empty label is the same
    /// as no label).
    pub fn insert(&mut self, name: impl Into<String>, value: impl Into<String>) {
        let (name, value) = (name.into(), value.into());
        if value.is_empty() {
            self.0.remove(&name);
        } else {
            self.0.insert(name, value);
        }
    }

    pub fn remove(&mut self, name: &str) -> Option<String> {
        self.0.remove(name)
    }

    pub fn len(&self) -> usize {
        self.0.len()
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    pub fn iter(&self) -> impl Iterator<Item = (&str, &str)> {
        self.0.iter().map(|(k, v)| (k.as_str(), v.as_str()))
    }

    /// The labels named in `names` (those present), e.g. a group's labels.
    pub fn subset<'a>(&self, names: impl IntoIterator<Item = &'a str>) -> Labels {
        let mut subset = Labels::new();
        for name in names {
            if let Some(value) = self.get(name) {
                subset.insert(name, value);
            }
        }
        subset
    }

    /// The identity of an alert: a hash of its sorted label set.
    pub fn fingerprint(&self) -> Fingerprint {
        Fingerprint::of(self.iter())
    }
}

impl LabelLookup for Labels {
    fn label(&self, name: &str) -> Option<&str> {
        self.get(name)
    }
}

impl<K: Into<String>, V: Into<String>> FromIterator<(K, V)> for Labels {
    fn from_iter<I: IntoIterator<Item = (K, V)>>(iter: I) -> Self {
        let mut labels = Labels::new();
        for (name, value) in iter {
            labels.insert(name, value);
        }
        labels
    }
}

impl fmt::Display for Labels {
    /// `{alertname="HighLatency", service="checkout"}`, values escaped as in
    /// matcher syntax.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("{")?;
        for (i, (name, value)) in self.iter().enumerate() {
            if i > 0 {
                f.write_str(", ")?;
            }
            write!(f, "{name}=\"{}\"", escape(value))?;
        }
        f.write_str("}")
    }
}

/// Labels packed for keeping many alerts in memory: all names and values in
/// one string, with their end offsets beside it. Far smaller than a map of
/// strings, and still fast to match.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct PackedLabels {
    text: Box<str>,
    /// For each label, the end of its name and the end of its value.
    ends: Box<[u32]>,
}

impl PackedLabels {
    pub fn iter(&self) -> impl Iterator<Item = (&str, &str)> {
        let mut start = 0usize;
        self.ends.chunks_exact(2).map(move |pair| {
            let (name_end, value_end) = (pair[0] as usize, pair[1] as usize);
            let name = &self.text[start..name_end];
            let value = &self.text[name_end..value_end];
            start = value_end;
            (name, value)
        })
    }

    pub fn to_labels(&self) -> Labels {
        self.iter().collect()
    }
}

impl From<&Labels> for PackedLabels {
    fn from(labels: &Labels) -> Self {
        let mut text = String::new();
        let mut ends = Vec::with_capacity(labels.len() * 2);
        for (name, value) in labels.iter() {
            text.push_str(name);
            ends.push(u32::try_from(text.len()).unwrap_or(u32::MAX));
            text.push_str(value);
            ends.push(u32::try_from(text.len()).unwrap_or(u32::MAX));
        }
        PackedLabels {
            text: text.into_boxed_str(),
            ends: ends.into_boxed_slice(),
        }
    }
}

impl LabelLookup for PackedLabels {
    fn label(&self, name: &str) -> Option<&str> {
        self.iter().find(|(n, _)| *n == name).map(|(_, v)| v)
    }
}

impl fmt::Debug for PackedLabels {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "PackedLabels({})", self.to_labels())
    }
}

/// Escapes a value for double quotes: `\`, `"` and newlines.
pub(crate) fn escape(value: &str) -> String {
    value
        .replace('\\', "\\\\")
        .replace('"', "\\\"")
        .replace('\n', "\\n")
}

/// Whether `name` is a label name Prometheus accepts:
/// `[a-zA-Z_][a-zA-Z0-9_]*`.
pub fn is_valid_name(name: &str) -> bool {
    let mut chars = name.chars();
    matches!(chars.next(), Some(c) if c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
}

/// An alert's identity: FNV-1a (64 bit) over the sorted label names and
/// values, each followed by a 0xff separator. This is the hash Prometheus
/// and Alertmanager use, so a label set has the same fingerprint here as
/// there.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Fingerprint(pub u64);

const FNV_OFFSET: u64 = 0xcbf2_9ce4_8422_2325;
const FNV_PRIME: u64 = 0x0000_0100_0000_01b3;
const SEPARATOR: u8 = 0xff;

impl Fingerprint {
    /// Hashes label pairs, which must come sorted by name.
    pub fn of<'a>(sorted_pairs: impl Iterator<Item = (&'a str, &'a str)>) -> Fingerprint {
        let mut hash = FNV_OFFSET;
        let mut add = |bytes: &[u8]| {
            for byte in bytes {
                hash ^= u64::from(*byte);
                hash = hash.wrapping_mul(FNV_PRIME);
            }
        };
        for (name, value) in sorted_pairs {
            add(name.as_bytes());
            add(&[SEPARATOR]);
            add(value.as_bytes());
            add(&[SEPARATOR]);
        }
        Fingerprint(hash)
    }

    /// Reads 16 hexadecimal digits.
    pub fn parse(text: &str) -> Option<Fingerprint> {
        (text.len() == 16)
            .then(|| u64::from_str_radix(text, 16).ok())
            .flatten()
            .map(Fingerprint)
    }

    /// As stored in a signed 64-bit database column (same bits).
    pub fn to_i64(self) -> i64 {
        self.0 as i64
    }

    pub fn from_i64(value: i64) -> Fingerprint {
        Fingerprint(value as u64)
    }
}

impl fmt::Display for Fingerprint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:016x}", self.0)
    }
}

impl fmt::Debug for Fingerprint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Fingerprint({self})")
    }
}

impl Serialize for Fingerprint {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn labels(pairs: &[(&str, &str)]) -> Labels {
        pairs.iter().copied().collect()
    }

    #[test]
    fn empty_values_are_no_label() {
        let set = labels(&[("a", "1"), ("b", "")]);
        assert_eq!(set.len(), 1);
        assert_eq!(set.get("b"), None);
    }

    #[test]
    fn fingerprints_are_fnv1a_over_sorted_pairs() {
        // The empty set hashes to the FNV offset basis.
        assert_eq!(Labels::new().fingerprint(), Fingerprint(FNV_OFFSET));
        // Insertion order does not matter: pairs are sorted.
        let a = labels(&[("alertname", "HighLatency"), ("service", "checkout")]);
        let b = labels(&[("service", "checkout"), ("alertname", "HighLatency")]);
        assert_eq!(a.fingerprint(), b.fingerprint());
        // Name/value boundaries matter.
        assert_ne!(
            labels(&[("ab", "c")]).fingerprint(),
            labels(&[("a", "bc")]).fingerprint()
        );
    }

    #[test]
    fn fingerprints_print_as_16_hex_digits() {
        let fp = Fingerprint(0x00ab_cdef_0123_4567);
        assert_eq!(fp.to_string(), "00abcdef01234567");
        assert_eq!(Fingerprint::parse("00abcdef01234567"), Some(fp));
        assert_eq!(Fingerprint::parse("abc"), None);
        assert_eq!(
            Fingerprint::from_i64(Fingerprint(u64::MAX).to_i64()),
            Fingerprint(u64::MAX)
        );
    }

    #[test]
    fn label_names_follow_prometheus() {
        for good in ["alertname", "_x", "a1_b2", "A"] {
            assert!(is_valid_name(good), "{good}");
        }
        for bad in ["", "1a", "a-b", "a.b", "é", "a b"] {
            assert!(!is_valid_name(bad), "{bad}");
        }
    }

    #[test]
    fn displays_in_matcher_syntax() {
        let set = labels(&[("b", "say \"hi\""), ("a", "x")]);
        assert_eq!(set.to_string(), r#"{a="x", b="say \"hi\""}"#);
    }

    #[test]
    fn packed_labels_read_like_labels() {
        let set = labels(&[
            ("alertname", "HighLatency"),
            ("service", "checkout"),
            ("zone", ""),
        ]);
        let packed = PackedLabels::from(&set);
        assert_eq!(packed.to_labels(), set);
        assert_eq!(packed.label("service"), Some("checkout"));
        assert_eq!(packed.label("zone"), None);
        assert_eq!(
            PackedLabels::from(&Labels::new()).to_labels(),
            Labels::new()
        );
    }

    proptest! {
        #[test]
        fn packing_round_trips(pairs in prop::collection::btree_map("[a-z_]{1,6}", "\\PC{0,8}", 0..10)) {
            let set: Labels = pairs.into_iter().collect();
            prop_assert_eq!(PackedLabels::from(&set).to_labels(), set);
        }

        #[test]
        fn fingerprint_ignores_order(pairs in prop::collection::btree_map("[a-z]{1,5}", "[a-z0-9]{1,5}", 0..8)) {
            let forward: Labels = pairs.iter().map(|(k, v)| (k.clone(), v.clone())).collect();
            let backward: Labels = pairs.iter().rev().map(|(k, v)| (k.clone(), v.clone())).collect();
            prop_assert_eq!(forward.fingerprint(), backward.fingerprint());
        }
    }
}
