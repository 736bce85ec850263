//! Routing: which service an alert belongs to, and whether it is a page, a
//! ticket or a log.
//!
//! The routing tree works as Alertmanager's does. An alert enters at the
//! root, which matches everything; it descends into the first child whose
//! matchers it satisfies, recursively; a child with `continue` lets the
//! search go on to its later siblings, so an alert can take several routes.
//! When no child of a matching route matches, that route itself is the
//! result: the root is the default route for alerts nothing else claims.
//! Children inherit their parent's service, class, grouping and timings.

use crate::alert::{LabelLookup, Labels, Matchers};
use crate::duration::Duration;
use serde::{Deserialize, Serialize};
use std::fmt;

/// What an alert group becomes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Class {
    /// Interrupts a human now, through escalation.
    Page,
    /// Waits for working hours.
    Ticket,
    /// Recorded and counted, never notified.
    Log,
}

impl Class {
    pub fn as_str(self) -> &'static str {
        match self {
            Class::Page => "page",
            Class::Ticket => "ticket",
            Class::Log => "log",
        }
    }

    pub fn parse(text: &str) -> Option<Class> {
        [Class::Page, Class::Ticket, Class::Log]
            .into_iter()
            .find(|c| c.as_str() == text)
    }
}

impl fmt::Display for Class {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Which labels put alerts in the same group.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum GroupBy {
    /// Alerts that agree on these labels share a group.
    Labels(Vec<String>),
    /// `...`: every alert is a group of its own.
    Each,
}

/// When a group's notifications go out.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Timing {
    /// How long a new group waits to collect alerts before its first
    /// notification.
    pub group_wait: Duration,
    /// How often changes to a group are notified.
    pub group_interval: Duration,
    /// How often an unchanged, still firing group is notified again.
    pub repeat_interval: Duration,
}

impl Default for Timing {
    /// Alertmanager's defaults.
    fn default() -> Self {
        Timing {
            group_wait: Duration::from_secs(30),
            group_interval: Duration::from_mins(5),
            repeat_interval: Duration::from_mins(4 * 60),
        }
    }
}

/// A node of the routing tree, with inherited values already filled in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Route {
    /// Stable within a configuration: the route's `name`, or its path from
    /// the root (`root`, `root.0`, `root.0.2`).
    pub id: String,
    pub matchers: Matchers,
    pub continue_matching: bool,
    pub service: String,
    pub class: Class,
    pub group_by: GroupBy,
    pub timing: Timing,
    pub routes: Vec<Route>,
}

impl Route {
    /// The routes an alert with `labels` takes (at least the root's
    /// answer, when called on the root).
    pub fn matching(&self, labels: &impl LabelLookup) -> Vec<&Route> {
        if !self.matchers.matches(labels) {
            return Vec::new();
        }
        let mut found = Vec::new();
        for child in &self.routes {
            let matched = child.matching(labels);
            let stop = !matched.is_empty() && !child.continue_matching;
            found.extend(matched);
            if stop {
                break;
            }
        }
        if found.is_empty() {
            found.push(self);
        }
        found
    }

    /// Every route in the tree, parents before children.
    pub fn walk(&self) -> Vec<&Route> {
        let mut all = vec![self];
        for child in &self.routes {
            all.extend(child.walk());
        }
        all
    }

    /// The route with this id.
    pub fn find(&self, id: &str) -> Option<&Route> {
        self.walk().into_iter().find(|r| r.id == id)
    }

    /// The name Alertmanager's API shows as the receiver:
    /// `service/class`.
    pub fn receiver(&self) -> String {
        format!("{}/{}", self.service, self.class)
    }

    /// The labels that name this alert's group on this route. A drill's
    /// label is always one of them: a drill never joins a real group.
    pub fn group_labels(&self, labels: &Labels) -> Labels {
        match &self.group_by {
            GroupBy::Each => labels.clone(),
            GroupBy::Labels(names) => labels.subset(
                names
                    .iter()
                    .map(String::as_str)
                    .chain([crate::drill::DRILL_LABEL]),
            ),
        }
    }

    /// The key of this alert's group on this route.
    pub fn group_key(&self, labels: &Labels) -> String {
        format!("{}:{}", self.id, self.group_labels(labels))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::alert::parse_matchers;

    fn route(id: &str, matchers: &str, service: &str, class: Class, children: Vec<Route>) -> Route {
        Route {
            id: id.to_owned(),
            matchers: parse_matchers(matchers).expect("matchers"),
            continue_matching: false,
            service: service.to_owned(),
            class,
            group_by: GroupBy::Labels(vec!["alertname".into()]),
            timing: Timing::default(),
            routes: children,
        }
    }

    fn labels(pairs: &[(&str, &str)]) -> Labels {
        pairs.iter().copied().collect()
    }

    fn tree() -> Route {
        let mut audit = route("audit", r#"team="payments""#, "audit", Class::Log, vec![]);
        audit.continue_matching = true;
        route(
            "root",
            "",
            "triage",
            Class::Ticket,
            vec![
                audit,
                route(
                    "payments",
                    r#"team="payments""#,
                    "checkout",
                    Class::Ticket,
                    vec![route(
                        "payments-slo",
                        r#"slo=~".+""#,
                        "checkout",
                        Class::Page,
                        vec![],
                    )],
                ),
                route(
                    "payments-again",
                    r#"team="payments""#,
                    "never",
                    Class::Page,
                    vec![],
                ),
                route(
                    "search",
                    r#"team="search""#,
                    "search",
                    Class::Ticket,
                    vec![],
                ),
            ],
        )
    }

    type Pairs = &'static [(&'static str, &'static str)];

    fn ids(tree: &Route, pairs: &[(&str, &str)]) -> Vec<String> {
        tree.matching(&labels(pairs))
            .iter()
            .map(|r| r.id.clone())
            .collect()
    }

    #[test]
    fn routes_like_alertmanager() {
        let tree = tree();
        let table: [(Pairs, &[&str]); 5] = [
            // Nothing matches: the root is the default route.
            (&[("alertname", "X")], &["root"]),
            // `continue` on audit lets payments match too; the first
            // non-continuing match stops the search (payments-again never).
            (&[("team", "payments")], &["audit", "payments"]),
            // The deepest matching child wins.
            (
                &[("team", "payments"), ("slo", "availability")],
                &["audit", "payments-slo"],
            ),
            (&[("team", "search")], &["search"]),
            (&[("team", "search"), ("slo", "x")], &["search"]),
        ];
        for (alert, expected) in table {
            assert_eq!(ids(&tree, alert), expected, "{alert:?}");
        }
    }

    #[test]
    fn a_drill_is_grouped_apart_from_real_alerts() {
        let tree = route("root", "", "ops", Class::Page, vec![]);
        let real = labels(&[("alertname", "PagerboundDrill"), ("service", "checkout")]);
        let drill = labels(&[
            ("alertname", "PagerboundDrill"),
            ("service", "checkout"),
            (crate::drill::DRILL_LABEL, "3"),
        ]);
        assert_ne!(tree.group_key(&real), tree.group_key(&drill));
        assert_eq!(
            tree.group_labels(&drill).get(crate::drill::DRILL_LABEL),
            Some("3")
        );
    }

    #[test]
    fn group_keys_use_the_group_by_labels() {
        let tree = tree();
        let alert = labels(&[("alertname", "HighLatency"), ("instance", "a")]);
        let other = labels(&[("alertname", "HighLatency"), ("instance", "b")]);
        assert_eq!(tree.group_key(&alert), r#"root:{alertname="HighLatency"}"#);
        assert_eq!(tree.group_key(&alert), tree.group_key(&other));
        let mut each = tree.clone();
        each.group_by = GroupBy::Each;
        assert_ne!(each.group_key(&alert), each.group_key(&other));
        assert_eq!(tree.receiver(), "triage/ticket");
        assert_eq!(
            tree.find("payments-slo").map(|r| r.class),
            Some(Class::Page)
        );
        assert_eq!(tree.walk().len(), 6);
    }
}
