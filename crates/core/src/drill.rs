//! Drills: a practice page sent through the real route, escalation policy,
//! schedules, notification rules and channels, so that a team learns in
//! daylight whether the page reaches them and whether they know what to
//! do.
//!
//! A drill's alert carries the [`DRILL_LABEL`] with the drill's id. The
//! label keeps it in a group of its own whatever the route groups by (a
//! drill never joins a real page), and marks the page it opens, and every
//! message about that page, as a drill.

use crate::alert::Labels;

/// The label that marks a drill's alert: its value is the drill's id.
pub const DRILL_LABEL: &str = "pagerbound_drill";

/// The alertname of every drill.
pub const DRILL_ALERTNAME: &str = "PagerboundDrill";

/// The labels of a drill's alert for `service`: what the caller added
/// (to steer it to the route that pages the service), then the drill's
/// own, which win.
pub fn drill_labels(service: &str, extra: &Labels, id: Option<i64>) -> Labels {
    let mut labels = extra.clone();
    labels.insert("alertname", DRILL_ALERTNAME);
    labels.insert("service", service);
    if let Some(id) = id {
        labels.insert(DRILL_LABEL, id.to_string());
    }
    labels
}

/// The drill an alert or group belongs to, if it is one.
pub fn drill_id(labels: &Labels) -> Option<i64> {
    labels.get(DRILL_LABEL)?.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn drill_labels_mark_the_drill_and_keep_what_was_added() {
        let extra: Labels = [("slo", "availability"), ("alertname", "Mine")]
            .into_iter()
            .collect();
        let labels = drill_labels("checkout", &extra, Some(7));
        assert_eq!(labels.get("alertname"), Some(DRILL_ALERTNAME));
        assert_eq!(labels.get("service"), Some("checkout"));
        assert_eq!(labels.get("slo"), Some("availability"));
        assert_eq!(drill_id(&labels), Some(7));
        assert_eq!(drill_id(&drill_labels("checkout", &extra, None)), None);
    }
}
