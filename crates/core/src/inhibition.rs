//! Inhibition: a firing alert mutes others that it makes redundant (a
//! datacenter down mutes every alert from that datacenter).
//!
//! A rule says: while an alert matching `source` fires, alerts matching
//! `target` that have the same values for every label in `equal` are
//! inhibited. As in Alertmanager, a missing label equals a missing label,
//! silenced sources still inhibit, and an alert never inhibits itself.

use crate::alert::{Fingerprint, LabelLookup, Matchers};
use std::collections::{BTreeSet, HashMap};

/// One inhibition rule.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InhibitRule {
    pub source: Matchers,
    pub target: Matchers,
    pub equal: Vec<String>,
}

impl InhibitRule {
    fn key(&self, labels: &impl LabelLookup) -> Vec<String> {
        self.equal
            .iter()
            .map(|name| labels.label(name).unwrap_or("").to_owned())
            .collect()
    }
}

/// The firing source alerts of each rule, indexed by their `equal` values,
/// kept up to date as alerts fire and resolve.
#[derive(Debug, Clone, Default)]
pub struct Inhibitor {
    rules: Vec<InhibitRule>,
    sources: Vec<HashMap<Vec<String>, BTreeSet<Fingerprint>>>,
}

impl Inhibitor {
    pub fn new(rules: Vec<InhibitRule>) -> Self {
        let sources = vec![HashMap::new(); rules.len()];
        Inhibitor { rules, sources }
    }

    pub fn rules(&self) -> &[InhibitRule] {
        &self.rules
    }

    /// Notes a firing alert as a source of every rule it matches.
    pub fn add(&mut self, fingerprint: Fingerprint, labels: &impl LabelLookup) {
        for (rule, sources) in self.rules.iter().zip(&mut self.sources) {
            if rule.source.matches(labels) {
                sources
                    .entry(rule.key(labels))
                    .or_default()
                    .insert(fingerprint);
            }
        }
    }

    /// Forgets an alert that stopped firing.
    pub fn remove(&mut self, fingerprint: Fingerprint, labels: &impl LabelLookup) {
        for (rule, sources) in self.rules.iter().zip(&mut self.sources) {
            if rule.source.matches(labels) {
                let key = rule.key(labels);
                if let Some(set) = sources.get_mut(&key) {
                    set.remove(&fingerprint);
                    if set.is_empty() {
                        sources.remove(&key);
                    }
                }
            }
        }
    }

    /// The firing alerts that inhibit this one (empty if none).
    pub fn inhibited_by(
        &self,
        fingerprint: Fingerprint,
        labels: &impl LabelLookup,
    ) -> Vec<Fingerprint> {
        let mut by = BTreeSet::new();
        for (rule, sources) in self.rules.iter().zip(&self.sources) {
            if !rule.target.matches(labels) {
                continue;
            }
            if let Some(set) = sources.get(&rule.key(labels)) {
                by.extend(set.iter().filter(|source| **source != fingerprint));
            }
        }
        by.into_iter().collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::alert::{Labels, parse_matchers};

    fn labels(pairs: &[(&str, &str)]) -> Labels {
        pairs.iter().copied().collect()
    }

    fn datacenter_rule() -> InhibitRule {
        InhibitRule {
            source: parse_matchers(r#"alertname="DatacenterDown""#).expect("source"),
            target: parse_matchers(r#"severity=~"warning|critical""#).expect("target"),
            equal: vec!["dc".into()],
        }
    }

    #[test]
    fn a_source_inhibits_targets_with_equal_labels() {
        let mut inhibitor = Inhibitor::new(vec![datacenter_rule()]);
        let down = labels(&[
            ("alertname", "DatacenterDown"),
            ("dc", "eu1"),
            ("severity", "critical"),
        ]);
        let same_dc = labels(&[
            ("alertname", "HighLatency"),
            ("dc", "eu1"),
            ("severity", "warning"),
        ]);
        let other_dc = labels(&[
            ("alertname", "HighLatency"),
            ("dc", "us1"),
            ("severity", "warning"),
        ]);
        let info = labels(&[("alertname", "Note"), ("dc", "eu1"), ("severity", "info")]);
        let (down_fp, same_fp) = (down.fingerprint(), same_dc.fingerprint());

        assert!(inhibitor.inhibited_by(same_fp, &same_dc).is_empty());
        inhibitor.add(down_fp, &down);
        assert_eq!(inhibitor.inhibited_by(same_fp, &same_dc), [down_fp]);
        assert!(
            inhibitor
                .inhibited_by(other_dc.fingerprint(), &other_dc)
                .is_empty()
        );
        assert!(
            inhibitor.inhibited_by(info.fingerprint(), &info).is_empty(),
            "not a target"
        );
        // The source matches the target matchers too, but never inhibits itself.
        assert!(inhibitor.inhibited_by(down_fp, &down).is_empty());

        inhibitor.remove(down_fp, &down);
        assert!(inhibitor.inhibited_by(same_fp, &same_dc).is_empty());
    }

    #[test]
    fn missing_labels_are_equal_to_missing_labels() {
        let mut inhibitor = Inhibitor::new(vec![datacenter_rule()]);
        let down = labels(&[("alertname", "DatacenterDown")]);
        let target = labels(&[("alertname", "X"), ("severity", "critical")]);
        inhibitor.add(down.fingerprint(), &down);
        assert_eq!(
            inhibitor.inhibited_by(target.fingerprint(), &target).len(),
            1
        );
    }

    #[test]
    fn two_sources_both_inhibit_until_both_resolve() {
        let mut inhibitor = Inhibitor::new(vec![datacenter_rule()]);
        let a = labels(&[
            ("alertname", "DatacenterDown"),
            ("dc", "eu1"),
            ("probe", "a"),
        ]);
        let b = labels(&[
            ("alertname", "DatacenterDown"),
            ("dc", "eu1"),
            ("probe", "b"),
        ]);
        let target = labels(&[("alertname", "X"), ("dc", "eu1"), ("severity", "warning")]);
        inhibitor.add(a.fingerprint(), &a);
        inhibitor.add(b.fingerprint(), &b);
        assert_eq!(
            inhibitor.inhibited_by(target.fingerprint(), &target).len(),
            2
        );
        inhibitor.remove(a.fingerprint(), &a);
        assert_eq!(
            inhibitor.inhibited_by(target.fingerprint(), &target),
            [b.fingerprint()]
        );
    }
}
