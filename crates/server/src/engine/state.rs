//! What the engine holds in memory, and the decisions it takes on it. No
//! I/O here: [`State::process`] turns the state and `now` into actions
//! that the engine loop carries out against the store, so this part runs
//! under a simulated clock in tests.

use super::AlertChange;
use jiff::Timestamp;
use pagerbound_config::Config;
use pagerbound_core::alert::{Fingerprint, LabelLookup, Labels, PackedLabels};
use pagerbound_core::grouping::{Flush, Group, Reason};
use pagerbound_core::inhibition::Inhibitor;
use pagerbound_core::maintenance::MaintenanceWindow;
use pagerbound_core::routing::{Class, Timing};
use pagerbound_core::silence::Silence;
use pagerbound_store::StoredGroup;
use std::cmp::Reverse;
use std::collections::{BTreeSet, BinaryHeap, HashMap, HashSet};
use std::sync::Arc;

/// An alert occurrence as the engine tracks it.
#[derive(Debug, Clone)]
pub(crate) struct Tracked {
    pub id: i64,
    pub seq: i64,
    pub labels: PackedLabels,
    pub ends_at: Option<Timestamp>,
    /// Keys of the page and ticket groups it belongs to.
    pub groups: Vec<Arc<str>>,
}

impl Tracked {
    pub fn is_firing(&self, now: Timestamp) -> bool {
        self.ends_at.is_none_or(|end| end > now)
    }
}

/// A page or ticket group and the alerts in it.
#[derive(Debug, Clone)]
pub(crate) struct GroupEntry {
    pub route: String,
    pub service: String,
    pub class: Class,
    pub labels: Labels,
    pub group: Group,
    pub members: BTreeSet<Fingerprint>,
    pub page_id: Option<i64>,
}

/// What the engine loop must do in the store.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Action {
    /// Open a page or ticket for a group; report its id with
    /// [`State::page_opened`].
    Open {
        group: Arc<str>,
        class: Class,
        service: String,
        route: String,
        labels: Labels,
        alert_ids: Vec<i64>,
    },
    /// The group's firing alerts changed.
    Change {
        page_id: i64,
        alert_ids: Vec<i64>,
        added: usize,
        gone: usize,
    },
    /// Still firing, unchanged, after the repeat interval.
    Repeat { page_id: i64 },
    /// Every alert resolved.
    Resolve { page_id: i64 },
    /// A maintenance window ends soon while its service's alerts fire.
    Notice { window_id: i64, message: String },
}

/// The engine's memory.
pub(crate) struct State {
    pub config: Arc<Config>,
    pub alerts: HashMap<Fingerprint, Tracked>,
    pub groups: HashMap<Arc<str>, GroupEntry>,
    inhibitor: Inhibitor,
    pub silences: Vec<Silence>,
    pub maintenance: Vec<MaintenanceWindow>,
    /// When alerts end, earliest first; checked against the alert when
    /// popped.
    expiries: BinaryHeap<Reverse<(Timestamp, Fingerprint)>>,
    /// Groups whose stored state is out of date.
    pub dirty: HashSet<Arc<str>>,
    /// Groups to delete from the store.
    pub finished: Vec<Arc<str>>,
    pub applied_seq: i64,
}

impl State {
    pub fn new(config: Arc<Config>) -> State {
        let inhibitor = Inhibitor::new(config.inhibit_rules.clone());
        State {
            config,
            alerts: HashMap::new(),
            groups: HashMap::new(),
            inhibitor,
            silences: Vec::new(),
            maintenance: Vec::new(),
            expiries: BinaryHeap::new(),
            dirty: HashSet::new(),
            finished: Vec::new(),
            applied_seq: 0,
        }
    }

    /// Restores a group saved by an earlier run.
    pub fn restore_group(&mut self, stored: StoredGroup) {
        let key: Arc<str> = Arc::from(stored.key.as_str());
        self.groups.insert(
            key,
            GroupEntry {
                route: stored.route,
                service: stored.service,
                class: stored.class,
                labels: stored.labels,
                group: Group {
                    created_at: stored.created_at,
                    next_flush_at: stored.next_flush_at,
                    last_notified_at: stored.last_notified_at,
                    notified: stored.notified.into_iter().collect(),
                },
                members: BTreeSet::new(),
                page_id: stored.page_id,
            },
        );
    }

    /// Takes in a written alert. Changes already seen (by sequence) are
    /// ignored, so replays are harmless. The occurrence (its labels) may be
    /// missing only for alerts already tracked; answers `false` when it was
    /// needed.
    pub fn apply(&mut self, change: &AlertChange, now: Timestamp) -> bool {
        self.applied_seq = self.applied_seq.max(change.seq);
        let fingerprint = change.fingerprint;
        if let Some(tracked) = self.alerts.get(&fingerprint)
            && tracked.seq >= change.seq
        {
            return true;
        }
        let was_firing = self
            .alerts
            .get(&fingerprint)
            .is_some_and(|t| t.is_firing(now));
        let labels = match (change.labels(), self.alerts.get(&fingerprint)) {
            (Some(labels), _) => PackedLabels::from(labels),
            (None, Some(tracked)) => tracked.labels.clone(),
            (None, None) => return false,
        };
        let is_new = !self.alerts.contains_key(&fingerprint);
        let tracked = self.alerts.entry(fingerprint).or_insert_with(|| Tracked {
            id: change.id,
            seq: change.seq,
            labels: labels.clone(),
            ends_at: change.ends_at,
            groups: Vec::new(),
        });
        tracked.id = change.id;
        tracked.seq = change.seq;
        tracked.ends_at = change.ends_at;
        let is_firing = tracked.is_firing(now);
        if let Some(end) = change.ends_at {
            self.expiries.push(Reverse((end, fingerprint)));
        }
        if is_new {
            self.join_groups(fingerprint, now);
        }
        match (was_firing, is_firing) {
            (false, true) => self.inhibitor.add(fingerprint, &labels),
            (true, false) => self.inhibitor.remove(fingerprint, &labels),
            _ => {}
        }
        if !is_firing
            && self
                .alerts
                .get(&fingerprint)
                .is_some_and(|t| t.groups.is_empty())
        {
            self.alerts.remove(&fingerprint);
        }
        true
    }

    /// Puts an alert in the page and ticket groups of the routes it takes.
    fn join_groups(&mut self, fingerprint: Fingerprint, now: Timestamp) {
        let Some(tracked) = self.alerts.get_mut(&fingerprint) else {
            return;
        };
        let routes = self.config.routes.matching(&tracked.labels);
        if routes.iter().all(|r| r.class == Class::Log) {
            return; // Log alerts are recorded, never grouped.
        }
        let labels = tracked.labels.to_labels();
        for route in routes {
            if route.class == Class::Log {
                continue;
            }
            let key: Arc<str> = Arc::from(route.group_key(&labels).as_str());
            let entry = self.groups.entry(key.clone()).or_insert_with(|| {
                self.dirty.insert(key.clone());
                GroupEntry {
                    route: route.id.clone(),
                    service: route.service.clone(),
                    class: route.class,
                    labels: route.group_labels(&labels),
                    group: Group::new(now, &route.timing),
                    members: BTreeSet::new(),
                    page_id: None,
                }
            });
            entry.members.insert(fingerprint);
            if !tracked.groups.contains(&key) {
                tracked.groups.push(key);
            }
        }
    }

    /// Takes a new configuration: new routes and inhibition rules apply to
    /// every tracked alert.
    pub fn reconfigure(&mut self, config: Arc<Config>, now: Timestamp) {
        self.config = config;
        self.inhibitor = Inhibitor::new(self.config.inhibit_rules.clone());
        for entry in self.groups.values_mut() {
            entry.members.clear();
        }
        let fingerprints: Vec<Fingerprint> = self.alerts.keys().copied().collect();
        for fingerprint in fingerprints {
            if let Some(tracked) = self.alerts.get_mut(&fingerprint) {
                tracked.groups.clear();
                if tracked.is_firing(now) {
                    self.inhibitor.add(fingerprint, &tracked.labels);
                }
            }
            self.join_groups(fingerprint, now);
        }
    }

    /// Whether the alert is muted now by a silence or an inhibiting alert.
    fn is_muted(
        &self,
        fingerprint: Fingerprint,
        labels: &impl LabelLookup,
        now: Timestamp,
    ) -> bool {
        self.silences.iter().any(|s| s.mutes(labels, now))
            || !self.inhibitor.inhibited_by(fingerprint, labels).is_empty()
    }

    fn in_maintenance(&self, service: &str, now: Timestamp) -> bool {
        self.maintenance
            .iter()
            .any(|w| w.service == service && w.is_active(now))
    }

    fn timing(&self, route: &str) -> Timing {
        self.config
            .routes
            .find(route)
            .map(|r| r.timing)
            .unwrap_or_default()
    }

    /// The next time something is due: a group flush or an alert's end.
    pub fn next_due(&self) -> Option<Timestamp> {
        let flush = self.groups.values().map(|g| g.group.next_flush_at).min();
        let expiry = self.expiries.peek().map(|Reverse((at, _))| *at);
        match (flush, expiry) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        }
    }

    /// Everything due at `now`: alerts that ended, groups to flush,
    /// maintenance notices.
    pub fn process(&mut self, now: Timestamp) -> Vec<Action> {
        self.expire(now);
        let mut actions = Vec::new();
        let due: Vec<Arc<str>> = self
            .groups
            .iter()
            .filter(|(_, g)| g.group.is_due(now))
            .map(|(k, _)| k.clone())
            .collect();
        for key in due {
            self.flush(&key, now, &mut actions);
        }
        self.notices(now, &mut actions);
        actions
    }

    /// Alerts whose end passed stop inhibiting; those in no group are
    /// forgotten (groups keep theirs until they flush).
    fn expire(&mut self, now: Timestamp) {
        while let Some(Reverse((end, fingerprint))) = self.expiries.peek().copied() {
            if end > now {
                break;
            }
            self.expiries.pop();
            let Some(tracked) = self.alerts.get(&fingerprint) else {
                continue;
            };
            if tracked.ends_at != Some(end) {
                continue;
            }
            let labels = tracked.labels.clone();
            self.inhibitor.remove(fingerprint, &labels);
            if tracked.groups.is_empty() {
                self.alerts.remove(&fingerprint);
            }
        }
    }

    fn flush(&mut self, key: &Arc<str>, now: Timestamp, actions: &mut Vec<Action>) {
        let Some(entry) = self.groups.get(key) else {
            return;
        };
        let maintenance = self.in_maintenance(&entry.service, now);
        let mut unmuted = BTreeSet::new();
        let mut any_firing = false;
        for fingerprint in &entry.members {
            let Some(tracked) = self.alerts.get(fingerprint) else {
                continue;
            };
            if tracked.is_firing(now) {
                any_firing = true;
                if !maintenance && !self.is_muted(*fingerprint, &tracked.labels, now) {
                    unmuted.insert(*fingerprint);
                }
            }
        }
        let timing = self.timing(&entry.route);
        let alert_ids = |fingerprints: &BTreeSet<Fingerprint>| -> Vec<i64> {
            fingerprints
                .iter()
                .filter_map(|f| self.alerts.get(f).map(|t| t.id))
                .collect()
        };
        let ids = alert_ids(&unmuted);
        let Some(entry) = self.groups.get_mut(key) else {
            return;
        };
        let outcome = entry.group.flush(&unmuted, any_firing, &timing, now);
        self.dirty.insert(key.clone());
        if let Flush::Notify {
            reason,
            added,
            gone,
            ..
        } = outcome
        {
            match (reason, entry.page_id) {
                (Reason::Opened, _) | (Reason::Changed, None) => actions.push(Action::Open {
                    group: key.clone(),
                    class: entry.class,
                    service: entry.service.clone(),
                    route: entry.route.clone(),
                    labels: entry.labels.clone(),
                    alert_ids: ids,
                }),
                (Reason::Changed, Some(page_id)) => actions.push(Action::Change {
                    page_id,
                    alert_ids: ids,
                    added: added.len(),
                    gone: gone.len(),
                }),
                (Reason::Repeated, Some(page_id)) => actions.push(Action::Repeat { page_id }),
                (Reason::Resolved, Some(page_id)) => {
                    actions.push(Action::Resolve { page_id });
                    entry.page_id = None;
                }
                (Reason::Repeated | Reason::Resolved, None) => {}
            }
        }
        // Resolved alerts have been accounted for: they leave the group.
        let resolved: Vec<Fingerprint> = entry
            .members
            .iter()
            .filter(|f| self.alerts.get(*f).is_none_or(|t| !t.is_firing(now)))
            .copied()
            .collect();
        for fingerprint in resolved {
            entry.members.remove(&fingerprint);
            if let Some(tracked) = self.alerts.get_mut(&fingerprint) {
                tracked.groups.retain(|g| g != key);
                if tracked.groups.is_empty() && !tracked.is_firing(now) {
                    self.alerts.remove(&fingerprint);
                }
            }
        }
        if entry.members.is_empty() && entry.group.is_finished(any_firing) {
            self.groups.remove(key);
            self.dirty.remove(key);
            self.finished.push(key.clone());
        }
    }

    /// Records the page or ticket a group opened.
    pub fn page_opened(&mut self, key: &str, page_id: i64) {
        if let Some(entry) = self.groups.get_mut(key) {
            entry.page_id = Some(page_id);
            self.dirty.insert(Arc::from(key));
        }
    }

    /// Warns about maintenance windows that end soon while their service's
    /// alerts still fire.
    fn notices(&mut self, now: Timestamp, actions: &mut Vec<Action>) {
        for window in &self.maintenance {
            if !window.expiry_notice_due(now) {
                continue;
            }
            let firing = self
                .groups
                .values()
                .filter(|g| g.service == window.service)
                .flat_map(|g| g.members.iter())
                .filter(|f| self.alerts.get(*f).is_some_and(|t| t.is_firing(now)))
                .collect::<BTreeSet<_>>()
                .len();
            if firing == 0 {
                continue;
            }
            actions.push(Action::Notice {
                window_id: window.id,
                message: format!(
                    "Maintenance on {} ({}) ends at {} while {firing} of its alerts still fire: extend the window, \
                     or they will page when it ends.",
                    window.service, window.reason, window.ends_at
                ),
            });
        }
    }

    /// The stored form of the groups that changed.
    pub fn take_dirty(&mut self) -> (Vec<StoredGroup>, Vec<String>) {
        let dirty: Vec<StoredGroup> = self
            .dirty
            .drain()
            .filter_map(|key| {
                let entry = self.groups.get(&key)?;
                Some(StoredGroup {
                    key: key.to_string(),
                    route: entry.route.clone(),
                    service: entry.service.clone(),
                    class: entry.class,
                    labels: entry.labels.clone(),
                    created_at: entry.group.created_at,
                    next_flush_at: entry.group.next_flush_at,
                    last_notified_at: entry.group.last_notified_at,
                    notified: entry.group.notified.iter().copied().collect(),
                    page_id: entry.page_id,
                })
            })
            .collect();
        let finished = self.finished.drain(..).map(|k| k.to_string()).collect();
        (dirty, finished)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use jiff::SignedDuration;

    const ROUTES: &str = "\
routes:
  service: triage
  class: log
  group_by: [alertname]
  group_wait: 30s
  group_interval: 5m
  repeat_interval: 1h
  routes:
    - name: checkout-page
      matchers: ['service=\"checkout\"', 'slo=~\".+\"']
      service: checkout
      class: page
    - name: checkout-ticket
      matchers: ['service=\"checkout\"']
      service: checkout
      class: ticket
inhibit_rules:
  - source_matchers: ['alertname=\"CheckoutDown\"']
    target_matchers: ['service=\"checkout\"']
    equal: [service]
";

    fn config() -> Arc<Config> {
        let dir = tempfile::tempdir().expect("dir");
        std::fs::write(
            dir.path().join("base.yaml"),
            "\
teams:
  - name: payments
    members: [alice]
users:
  - name: alice
    time_zone: UTC
    contact_methods: [{channel: log}]
channels:
  - {name: log, type: log}
services:
  - {name: checkout, team: payments, runbook: 'https://runbooks.example.com/checkout'}
  - {name: triage, team: payments, runbook: 'https://runbooks.example.com/triage'}
",
        )
        .expect("write");
        std::fs::write(dir.path().join("routes.yaml"), ROUTES).expect("write");
        Arc::new(pagerbound_config::load(dir.path()).expect("config").config)
    }

    fn t(seconds: i64) -> Timestamp {
        let base: Timestamp = "2026-11-21T10:00:00Z".parse().expect("time");
        base + SignedDuration::from_secs(seconds)
    }

    /// Makes alert changes with increasing ids and change numbers.
    #[derive(Default)]
    struct Feed {
        next: i64,
    }

    impl Feed {
        fn firing(&mut self, labels: &[(&str, &str)]) -> AlertChange {
            self.change(labels, None)
        }

        fn change(&mut self, labels: &[(&str, &str)], ends: Option<i64>) -> AlertChange {
            self.next += 1;
            let labels: Labels = labels.iter().copied().collect();
            AlertChange::stored(pagerbound_store::StoredAlert {
                id: self.next,
                fingerprint: labels.fingerprint(),
                labels,
                annotations: Labels::new(),
                generator_url: None,
                starts_at: t(0),
                ends_at: ends.map(t),
                timeout: false,
                updated_at: t(0),
                integration: "prometheus".to_owned(),
                seq: self.next,
            })
        }

        /// The same occurrence, now ending at `ends`.
        fn ended(&mut self, earlier: &AlertChange, ends: i64) -> AlertChange {
            self.next += 1;
            AlertChange {
                seq: self.next,
                ends_at: Some(t(ends)),
                alert: None,
                ..earlier.clone()
            }
        }
    }

    fn slo(name: &str, pod: &'static str) -> Vec<(&'static str, &'static str)> {
        let name: &'static str = Box::leak(name.to_owned().into_boxed_str());
        vec![
            ("alertname", name),
            ("service", "checkout"),
            ("slo", "availability"),
            ("pod", pod),
        ]
    }

    /// The actions with their alert ids sorted, for comparison.
    fn sorted(actions: Vec<Action>) -> Vec<Action> {
        actions
            .into_iter()
            .map(|action| match action {
                Action::Open {
                    group,
                    class,
                    service,
                    route,
                    labels,
                    mut alert_ids,
                } => {
                    alert_ids.sort();
                    Action::Open {
                        group,
                        class,
                        service,
                        route,
                        labels,
                        alert_ids,
                    }
                }
                Action::Change {
                    page_id,
                    mut alert_ids,
                    added,
                    gone,
                } => {
                    alert_ids.sort();
                    Action::Change {
                        page_id,
                        alert_ids,
                        added,
                        gone,
                    }
                }
                other => other,
            })
            .collect()
    }

    /// The group and class of the first `Open`, with its alert ids.
    fn opened(actions: &[Action]) -> Option<(Arc<str>, Class, Vec<i64>)> {
        actions.iter().find_map(|a| match a {
            Action::Open {
                group,
                class,
                alert_ids,
                ..
            } => Some((group.clone(), *class, alert_ids.clone())),
            _ => None,
        })
    }

    #[test]
    fn a_page_opens_after_group_wait_and_resolves_with_its_alerts() {
        let mut state = State::new(config());
        let mut feed = Feed::default();
        let alert = feed.firing(&slo("HighErrorRate", "a"));
        assert!(state.apply(&alert, t(0)));
        assert_eq!(state.process(t(29)), vec![], "still collecting");
        let (group, class, ids) = opened(&state.process(t(30))).expect("a page opens");
        assert_eq!((class, ids), (Class::Page, vec![alert.id]));
        state.page_opened(&group, 7);

        assert!(state.apply(&feed.ended(&alert, 100), t(100)));
        assert_eq!(
            state.process(t(200)),
            vec![],
            "resolutions wait for the group interval too"
        );
        assert_eq!(state.process(t(330)), vec![Action::Resolve { page_id: 7 }]);
        let (_, finished) = state.take_dirty();
        assert_eq!(finished, vec![group.to_string()]);
        assert!(state.alerts.is_empty(), "nothing is left to track");
    }

    #[test]
    fn an_alert_that_joins_waits_for_the_next_look() {
        let mut state = State::new(config());
        let mut feed = Feed::default();
        let first = feed.firing(&slo("X", "1"));
        state.apply(&first, t(0));
        let (group, _, _) = opened(&state.process(t(30))).expect("opened");
        state.page_opened(&group, 3);
        let second = feed.firing(&slo("X", "2"));
        state.apply(&second, t(60));
        assert_eq!(state.process(t(61)), vec![], "not at once");
        assert_eq!(
            sorted(state.process(t(330))),
            vec![Action::Change {
                page_id: 3,
                alert_ids: vec![first.id, second.id],
                added: 1,
                gone: 0
            }]
        );
        assert_eq!(state.process(t(630)), vec![], "nothing changed since");
        assert_eq!(
            state.process(t(3629)),
            vec![],
            "not yet an hour since the last notification"
        );
        assert_eq!(state.process(t(3930)), vec![Action::Repeat { page_id: 3 }]);
    }

    #[test]
    fn classes_decide_page_ticket_or_nothing() {
        let mut state = State::new(config());
        let mut feed = Feed::default();
        state.apply(
            &feed.firing(&[("alertname", "HighCPU"), ("service", "checkout")]),
            t(0),
        );
        state.apply(&feed.firing(&[("alertname", "Unrouted")]), t(0));
        let actions = state.process(t(30));
        assert_eq!(
            actions.len(),
            1,
            "the log-class alert opens nothing: {actions:?}"
        );
        assert_eq!(
            opened(&actions).map(|(_, class, _)| class),
            Some(Class::Ticket)
        );
    }

    #[test]
    fn silenced_alerts_open_nothing_until_the_silence_ends() {
        let mut state = State::new(config());
        state.silences = vec![Silence {
            id: "s".into(),
            matchers: pagerbound_core::alert::parse_matchers(r#"alertname="Noisy""#)
                .expect("matchers"),
            starts_at: t(0),
            ends_at: t(400),
            created_by: "alice".into(),
            comment: "known".into(),
            updated_at: t(0),
        }];
        let mut feed = Feed::default();
        let alert = feed.firing(&slo("Noisy", "a"));
        state.apply(&alert, t(0));
        assert_eq!(state.process(t(30)), vec![]);
        assert_eq!(state.process(t(330)), vec![]);
        // The silence ended while the alert still fires.
        let (_, class, ids) = opened(&state.process(t(630))).expect("opens after the silence");
        assert_eq!((class, ids), (Class::Page, vec![alert.id]));
    }

    #[test]
    fn an_inhibiting_alert_mutes_the_others_while_it_fires() {
        let mut state = State::new(config());
        let mut feed = Feed::default();
        let down = feed.firing(&[
            ("alertname", "CheckoutDown"),
            ("service", "checkout"),
            ("slo", "availability"),
        ]);
        let symptom = feed.firing(&slo("HighLatency", "a"));
        state.apply(&down, t(0));
        state.apply(&symptom, t(0));
        let actions = sorted(state.process(t(30)));
        assert_eq!(actions.len(), 1, "{actions:?}");
        assert_eq!(
            opened(&actions).map(|(_, _, ids)| ids),
            Some(vec![down.id]),
            "only the source pages"
        );
        // The source resolves: the other alert is no longer inhibited.
        state.apply(&feed.ended(&down, 100), t(100));
        let later = sorted(state.process(t(330)));
        assert!(
            later.iter().any(
                |a| matches!(a, Action::Open { alert_ids, .. } if alert_ids == &vec![symptom.id])
            ),
            "{later:?}"
        );
    }

    #[test]
    fn maintenance_holds_pages_and_warns_before_it_ends() {
        let mut state = State::new(config());
        state.maintenance = vec![MaintenanceWindow {
            id: 9,
            service: "checkout".into(),
            starts_at: t(0),
            ends_at: t(3600),
            reason: "database upgrade".into(),
            created_by: "alice".into(),
            created_at: t(0),
            notice_at: None,
        }];
        let mut feed = Feed::default();
        state.apply(&feed.firing(&slo("HighErrorRate", "a")), t(0));
        assert_eq!(
            state.process(t(30)),
            vec![],
            "recorded as log while the window is active"
        );
        let notice = state.process(t(3000));
        assert!(
            matches!(&notice[..], [Action::Notice { window_id: 9, message }] if message.contains("still fire")),
            "{notice:?}"
        );
        // The window ends with the alert still firing: now it pages.
        assert!(opened(&state.process(t(3630))).is_some());
    }

    #[test]
    fn replayed_changes_are_ignored() {
        let mut state = State::new(config());
        let mut feed = Feed::default();
        let alert = feed.firing(&slo("X", "a"));
        let resolved = feed.ended(&alert, 10);
        state.apply(&alert, t(0));
        state.apply(&resolved, t(10));
        // The older firing change arrives again (a catch-up from the store).
        state.apply(&alert, t(11));
        assert!(
            state
                .alerts
                .get(&alert.fingerprint)
                .is_some_and(|a| !a.is_firing(t(11)))
        );
        assert_eq!(state.applied_seq, resolved.seq);
    }

    #[test]
    fn missing_labels_are_reported_not_guessed() {
        let mut state = State::new(config());
        let mut feed = Feed::default();
        let alert = feed.firing(&slo("X", "a"));
        let unknown = feed.ended(&alert, 10);
        assert!(
            !state.apply(&unknown, t(0)),
            "labels are needed for an alert never seen"
        );
    }
}
