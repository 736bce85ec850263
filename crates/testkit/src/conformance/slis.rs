//! SLI events, the history of SLO objectives, and SLOs' completed periods.

use super::*;
use pagerbound_store::{ObjectiveRecord, PeriodRecord, ReceivedSliEvents, SliEvents};

fn events(slo: &str, minute: &str, good: f64, total: f64) -> SliEvents {
    SliEvents {
        slo: slo.to_owned(),
        minute: at(minute),
        good,
        total,
    }
}

/// Totals without their rows' ids and arrival, to compare with a list.
fn counts(totals: &[SliEvents]) -> Vec<(&str, Timestamp, f64, f64)> {
    totals
        .iter()
        .map(|e| (e.slo.as_str(), e.minute, e.good, e.total))
        .collect()
}

fn ids(received: &[ReceivedSliEvents]) -> Vec<i64> {
    received.iter().map(|r| r.id).collect()
}

/// Rows of the same SLO and minute are added up; only minutes at or after
/// `since` and rows received before `received_before` count.
pub async fn sli_event_totals_add_up_rows_within_bounds(store: &dyn Store) {
    store
        .record_sli_events(
            &[
                events("search", "2026-11-21T10:00:00Z", 1.0, 2.0),
                events("checkout", "2026-11-21T10:01:00Z", 5.0, 10.0),
                events("checkout", "2026-11-21T10:00:00Z", 0.1, 1.0),
            ],
            at("2026-11-21T10:01:30Z"),
        )
        .await
        .expect("record");
    // A second push for a minute already pushed is a second row.
    store
        .record_sli_events(
            &[events("checkout", "2026-11-21T10:00:00Z", 0.2, 2.0)],
            at("2026-11-21T10:02:30Z"),
        )
        .await
        .expect("record");
    store
        .record_sli_events(
            &[events("checkout", "2026-11-21T10:02:00Z", 3.0, 3.0)],
            at("2026-11-21T10:03:00Z"),
        )
        .await
        .expect("record");

    let totals = store
        .sli_event_totals(at("2026-11-21T10:00:00Z"), at("2026-11-21T10:03:00Z"))
        .await
        .expect("totals");
    assert_eq!(
        totals.len(),
        3,
        "the row received at `received_before` does not count: {totals:?}"
    );
    let (slo, minute, good, total) = counts(&totals)[0];
    assert_eq!((slo, minute), ("checkout", at("2026-11-21T10:00:00Z")));
    assert!(
        (good - 0.3).abs() < 1e-12,
        "0.1 and 0.2 add up to 0.3, not {good}"
    );
    assert_eq!(total, 3.0, "both rows of the minute are added up");
    assert_eq!(
        counts(&totals)[1..],
        [
            ("checkout", at("2026-11-21T10:01:00Z"), 5.0, 10.0),
            ("search", at("2026-11-21T10:00:00Z"), 1.0, 2.0),
        ],
        "ordered by SLO, then minute"
    );

    let later = store
        .sli_event_totals(at("2026-11-21T10:01:00Z"), at("2026-11-21T10:03:00.001Z"))
        .await
        .expect("totals");
    assert_eq!(
        counts(&later),
        [
            ("checkout", at("2026-11-21T10:01:00Z"), 5.0, 10.0),
            ("checkout", at("2026-11-21T10:02:00Z"), 3.0, 3.0),
        ],
        "the minute at `since` counts, earlier ones do not"
    );

    let earlier = store
        .sli_event_totals(at("2026-11-21T10:00:00Z"), at("2026-11-21T10:02:30Z"))
        .await
        .expect("totals");
    assert_eq!(
        counts(&earlier),
        [
            ("checkout", at("2026-11-21T10:00:00Z"), 0.1, 1.0),
            ("checkout", at("2026-11-21T10:01:00Z"), 5.0, 10.0),
            ("search", at("2026-11-21T10:00:00Z"), 1.0, 2.0),
        ],
        "only rows received before `received_before`, their counts exactly as stored"
    );

    let none = store
        .sli_event_totals(at("2026-11-21T10:03:00Z"), at("2026-11-21T11:00:00Z"))
        .await
        .expect("totals");
    assert!(none.is_empty(), "no minute at or after `since`: {none:?}");
}

/// Rows are followed by when they arrived, in the order they were written,
/// each as it was pushed.
pub async fn sli_events_are_followed_as_they_arrive(store: &dyn Store) {
    let first = [
        events("checkout", "2026-11-21T10:00:00Z", 1.0 / 3.0, 1.0),
        events("checkout", "2026-11-21T10:00:00Z", 0.1, 0.7),
    ];
    let second = [events("search", "2026-11-21T10:01:00Z", 1e-9, 12345.678)];
    let third = [
        events("search", "2026-11-21T10:02:00Z", 0.0, 0.0),
        events("checkout", "2026-11-21T10:02:00Z", 99.0, 100.0),
    ];
    store
        .record_sli_events(&first, at("2026-11-21T10:00:30Z"))
        .await
        .expect("record");
    store
        .record_sli_events(&second, at("2026-11-21T10:01:30Z"))
        .await
        .expect("record");
    store
        .record_sli_events(&third, at("2026-11-21T10:02:30Z"))
        .await
        .expect("record");
    store
        .record_sli_events(&[], at("2026-11-21T10:03:30Z"))
        .await
        .expect("an empty batch records nothing");

    let all = store
        .sli_events_received(at("2026-11-21T00:00:00Z"))
        .await
        .expect("received");
    let pushed: Vec<(SliEvents, Timestamp)> = all
        .iter()
        .map(|r| (r.events.clone(), r.received_at))
        .collect();
    let expected: Vec<(SliEvents, Timestamp)> = first
        .iter()
        .map(|e| (e.clone(), at("2026-11-21T10:00:30Z")))
        .chain(
            second
                .iter()
                .map(|e| (e.clone(), at("2026-11-21T10:01:30Z"))),
        )
        .chain(
            third
                .iter()
                .map(|e| (e.clone(), at("2026-11-21T10:02:30Z"))),
        )
        .collect();
    assert_eq!(
        pushed, expected,
        "every row, in the order written, its counts exact"
    );
    assert!(
        ids(&all).windows(2).all(|w| w[0] < w[1]),
        "oldest id first: {:?}",
        ids(&all)
    );

    let newer = store
        .sli_events_received(at("2026-11-21T10:01:30Z"))
        .await
        .expect("received");
    assert_eq!(
        ids(&newer),
        ids(&all)[2..],
        "rows received at `since` are included, earlier ones are not"
    );

    let none = store
        .sli_events_received(at("2026-11-21T10:02:30.001Z"))
        .await
        .expect("received");
    assert!(none.is_empty(), "nothing received since: {none:?}");
}

/// Pruning deletes the rows of minutes before the cutoff, however recently
/// they arrived, and keeps the rest.
pub async fn sli_events_are_pruned_by_minute(store: &dyn Store) {
    store
        .record_sli_events(
            &[
                events("checkout", "2026-11-21T09:58:00Z", 1.0, 1.0),
                events("checkout", "2026-11-21T09:59:00Z", 1.0, 2.0),
                events("checkout", "2026-11-21T10:00:00Z", 2.0, 2.0),
                events("search", "2026-11-21T10:01:00Z", 3.0, 4.0),
            ],
            at("2026-11-21T10:01:30Z"),
        )
        .await
        .expect("record");
    store
        .record_sli_events(
            &[
                events("search", "2026-11-21T09:59:00Z", 1.0, 1.0),
                events("checkout", "2026-11-21T10:00:00Z", 1.0, 1.0),
            ],
            at("2026-11-21T10:05:00Z"),
        )
        .await
        .expect("record");

    let pruned = store
        .prune_sli_events(at("2026-11-21T10:00:00Z"))
        .await
        .expect("prune");
    assert_eq!(pruned, 3, "the three rows of minutes before 10:00");

    let left = store
        .sli_event_totals(at("2026-11-21T00:00:00Z"), at("2026-11-22T00:00:00Z"))
        .await
        .expect("totals");
    assert_eq!(
        counts(&left),
        [
            ("checkout", at("2026-11-21T10:00:00Z"), 3.0, 3.0),
            ("search", at("2026-11-21T10:01:00Z"), 3.0, 4.0),
        ],
        "the minute at the cutoff and later ones are kept"
    );
    let received = store
        .sli_events_received(at("2026-11-21T00:00:00Z"))
        .await
        .expect("received");
    assert_eq!(received.len(), 3);

    let again = store
        .prune_sli_events(at("2026-11-21T10:00:00Z"))
        .await
        .expect("prune");
    assert_eq!(again, 0, "nothing is left to prune");
}

/// A batch with a count that cannot be (more good than valid events, a
/// negative or non-finite count) is refused, and none of it is stored.
pub async fn sli_event_batches_are_recorded_all_or_none(store: &dyn Store) {
    let kept = events("checkout", "2026-11-21T10:00:00Z", 1.0, 2.0);
    store
        .record_sli_events(std::slice::from_ref(&kept), at("2026-11-21T10:00:30Z"))
        .await
        .expect("record");

    let refused = [
        events("checkout", "2026-11-21T10:01:00Z", 3.0, 2.0),
        events("checkout", "2026-11-21T10:01:00Z", -1.0, 2.0),
        events("checkout", "2026-11-21T10:01:00Z", 1.0, -2.0),
        events("checkout", "2026-11-21T10:01:00Z", 1.0, f64::INFINITY),
        events("checkout", "2026-11-21T10:01:00Z", 1.0, f64::NAN),
        events("checkout", "2026-11-21T10:01:00Z", f64::NAN, 2.0),
    ];
    for bad in refused {
        // The valid rows around it are written first and last, so that
        // refusing the batch has to undo a write.
        let batch = [
            events("search", "2026-11-21T10:01:00Z", 1.0, 1.0),
            bad.clone(),
            events("search", "2026-11-21T10:02:00Z", 1.0, 1.0),
        ];
        let result = store
            .record_sli_events(&batch, at("2026-11-21T10:01:30Z"))
            .await;
        assert!(result.is_err(), "{bad:?} is refused");
    }

    let received = store
        .sli_events_received(at("2026-11-21T00:00:00Z"))
        .await
        .expect("received");
    let stored: Vec<&SliEvents> = received.iter().map(|r| &r.events).collect();
    assert_eq!(stored, [&kept], "nothing of a refused batch is stored");
    let totals = store
        .sli_event_totals(at("2026-11-21T00:00:00Z"), at("2026-11-22T00:00:00Z"))
        .await
        .expect("totals");
    assert_eq!(totals, [kept]);
}

/// The cursors as `(slo, through)` pairs of borrowed names, to compare with
/// a list.
fn cursors(cursors: &[(String, Timestamp)]) -> Vec<(&str, Timestamp)> {
    cursors
        .iter()
        .map(|(slo, at)| (slo.as_str(), *at))
        .collect()
}

/// A fetch appends its rows and sets its SLO's cursor together: the next
/// fetch's rows add to the first's and move the cursor on; a fetch with a
/// refused row stores none of its rows and leaves the cursor where it was;
/// an empty fetch, or one going back, still sets the cursor.
pub async fn sli_fetches_record_rows_and_cursor_together(store: &dyn Store) {
    assert!(
        store.sli_cursors().await.expect("cursors").is_empty(),
        "no SLO has been fetched yet"
    );

    let first = [
        events("checkout", "2026-11-21T10:00:00Z", 1.0, 2.0),
        events("checkout", "2026-11-21T10:01:00Z", 0.1, 1.0),
    ];
    store
        .record_sli_fetch(
            "checkout",
            &first,
            at("2026-11-21T10:02:00Z"),
            at("2026-11-21T10:02:15Z"),
        )
        .await
        .expect("fetch");
    assert_eq!(
        cursors(&store.sli_cursors().await.expect("cursors")),
        [("checkout", at("2026-11-21T10:02:00Z"))]
    );
    let received = store
        .sli_events_received(at("2026-11-21T00:00:00Z"))
        .await
        .expect("received");
    let stored: Vec<(SliEvents, Timestamp)> = received
        .iter()
        .map(|r| (r.events.clone(), r.received_at))
        .collect();
    let expected: Vec<(SliEvents, Timestamp)> = first
        .iter()
        .map(|e| (e.clone(), at("2026-11-21T10:02:15Z")))
        .collect();
    assert_eq!(
        stored, expected,
        "the fetch's rows, in order, stamped `received_at`"
    );

    // The second fetch overlaps the first's last minute, as a source read
    // again from its cursor may: that is a second row, added up.
    store
        .record_sli_fetch(
            "checkout",
            &[
                events("checkout", "2026-11-21T10:01:00Z", 0.2, 2.0),
                events("checkout", "2026-11-21T10:02:00Z", 3.0, 4.0),
            ],
            at("2026-11-21T10:03:00Z"),
            at("2026-11-21T10:03:15Z"),
        )
        .await
        .expect("fetch");
    assert_eq!(
        cursors(&store.sli_cursors().await.expect("cursors")),
        [("checkout", at("2026-11-21T10:03:00Z"))],
        "the second fetch moves the cursor"
    );
    let totals = store
        .sli_event_totals(at("2026-11-21T00:00:00Z"), at("2026-11-22T00:00:00Z"))
        .await
        .expect("totals");
    assert_eq!(totals.len(), 3, "{totals:?}");
    assert_eq!(
        counts(&totals)[0],
        ("checkout", at("2026-11-21T10:00:00Z"), 1.0, 2.0)
    );
    let (slo, minute, good, total) = counts(&totals)[1];
    assert_eq!((slo, minute), ("checkout", at("2026-11-21T10:01:00Z")));
    assert!(
        (good - 0.3).abs() < 1e-12,
        "both fetches' rows add up: 0.1 and 0.2, not {good}"
    );
    assert_eq!(total, 3.0, "both fetches' rows add up");
    assert_eq!(
        counts(&totals)[2],
        ("checkout", at("2026-11-21T10:02:00Z"), 3.0, 4.0)
    );

    // A refused row, between valid ones so that refusing has to undo a
    // write, refuses the whole fetch, for an SLO with a cursor or without.
    for slo in ["checkout", "search"] {
        let result = store
            .record_sli_fetch(
                slo,
                &[
                    events(slo, "2026-11-21T10:03:00Z", 1.0, 1.0),
                    events(slo, "2026-11-21T10:04:00Z", 3.0, 2.0),
                    events(slo, "2026-11-21T10:05:00Z", 1.0, 1.0),
                ],
                at("2026-11-21T10:06:00Z"),
                at("2026-11-21T10:06:15Z"),
            )
            .await;
        assert!(result.is_err(), "more good than valid events is refused");
    }
    assert_eq!(
        cursors(&store.sli_cursors().await.expect("cursors")),
        [("checkout", at("2026-11-21T10:03:00Z"))],
        "a refused fetch sets no cursor"
    );
    assert_eq!(
        store
            .sli_event_totals(at("2026-11-21T00:00:00Z"), at("2026-11-22T00:00:00Z"))
            .await
            .expect("totals"),
        totals,
        "a refused fetch stores no row"
    );
    assert_eq!(
        store
            .sli_events_received(at("2026-11-21T10:06:15Z"))
            .await
            .expect("received"),
        [],
        "nothing was received from a refused fetch"
    );

    store
        .record_sli_fetch(
            "checkout",
            &[],
            at("2026-11-21T10:04:00Z"),
            at("2026-11-21T10:04:15Z"),
        )
        .await
        .expect("an empty fetch");
    assert_eq!(
        cursors(&store.sli_cursors().await.expect("cursors")),
        [("checkout", at("2026-11-21T10:04:00Z"))],
        "an empty fetch still moves the cursor"
    );

    store
        .record_sli_fetch(
            "checkout",
            &[],
            at("2026-11-21T09:00:00Z"),
            at("2026-11-21T10:05:15Z"),
        )
        .await
        .expect("a fetch going back");
    assert_eq!(
        cursors(&store.sli_cursors().await.expect("cursors")),
        [("checkout", at("2026-11-21T09:00:00Z"))],
        "the cursor is set as given, even lower: the caller decides"
    );
    assert_eq!(
        store
            .sli_event_totals(at("2026-11-21T00:00:00Z"), at("2026-11-22T00:00:00Z"))
            .await
            .expect("totals"),
        totals,
        "empty fetches add no row"
    );
}

/// Each SLO has its own cursor: fetching one moves only its own. Cursors
/// are listed by SLO name, whatever order they were first set in.
pub async fn sli_cursors_are_kept_per_slo(store: &dyn Store) {
    store
        .record_sli_fetch(
            "search",
            &[events("search", "2026-11-21T10:00:00Z", 1.0, 1.0)],
            at("2026-11-21T10:01:00Z"),
            at("2026-11-21T10:01:10Z"),
        )
        .await
        .expect("fetch");
    store
        .record_sli_fetch(
            "checkout",
            &[events("checkout", "2026-11-21T10:00:00Z", 2.0, 2.0)],
            at("2026-11-21T10:01:00.500Z"),
            at("2026-11-21T10:01:20Z"),
        )
        .await
        .expect("fetch");
    assert_eq!(
        cursors(&store.sli_cursors().await.expect("cursors")),
        [
            ("checkout", at("2026-11-21T10:01:00.500Z")),
            ("search", at("2026-11-21T10:01:00Z")),
        ],
        "ordered by SLO, each at its own instant, to the millisecond"
    );

    store
        .record_sli_fetch(
            "search",
            &[events("search", "2026-11-21T10:01:00Z", 0.0, 5.0)],
            at("2026-11-21T10:02:00Z"),
            at("2026-11-21T10:02:10Z"),
        )
        .await
        .expect("fetch");
    assert_eq!(
        cursors(&store.sli_cursors().await.expect("cursors")),
        [
            ("checkout", at("2026-11-21T10:01:00.500Z")),
            ("search", at("2026-11-21T10:02:00Z")),
        ],
        "fetching one SLO leaves the other's cursor alone"
    );

    let totals = store
        .sli_event_totals(at("2026-11-21T00:00:00Z"), at("2026-11-22T00:00:00Z"))
        .await
        .expect("totals");
    assert_eq!(
        counts(&totals),
        [
            ("checkout", at("2026-11-21T10:00:00Z"), 2.0, 2.0),
            ("search", at("2026-11-21T10:00:00Z"), 1.0, 1.0),
            ("search", at("2026-11-21T10:01:00Z"), 0.0, 5.0),
        ]
    );
}

/// The history as `(slo, objective, since)` triples of borrowed names, to
/// compare with a list.
fn objectives(history: &[ObjectiveRecord]) -> Vec<(&str, f64, Timestamp)> {
    history
        .iter()
        .map(|r| (r.slo.as_str(), r.objective, r.since))
        .collect()
}

/// An objective is recorded when it changes, and only then: the first one,
/// then not the same one again, then a new one, then the first value again
/// (going back is a change too). Each is listed with the instant it took
/// effect, oldest first, exactly as given.
pub async fn sli_objectives_are_recorded_when_they_change(store: &dyn Store) {
    assert!(
        store.objective_history().await.expect("history").is_empty(),
        "no objective has been recorded yet"
    );

    assert!(
        store
            .record_objective("checkout", 99.9, at("2026-11-21T10:00:00Z"))
            .await
            .expect("record"),
        "the first objective is recorded"
    );
    assert_eq!(
        objectives(&store.objective_history().await.expect("history")),
        [("checkout", 99.9, at("2026-11-21T10:00:00Z"))]
    );

    assert!(
        !store
            .record_objective("checkout", 99.9, at("2026-11-21T11:00:00Z"))
            .await
            .expect("record"),
        "the same objective again is not a change"
    );
    assert_eq!(
        objectives(&store.objective_history().await.expect("history")),
        [("checkout", 99.9, at("2026-11-21T10:00:00Z"))],
        "one row, still in force since the first instant"
    );

    // 99.95 is not exactly representable: it comes back bit for bit.
    assert!(
        store
            .record_objective("checkout", 99.95, at("2026-11-22T09:30:00.250Z"))
            .await
            .expect("record"),
        "a new objective is recorded"
    );
    assert_eq!(
        objectives(&store.objective_history().await.expect("history")),
        [
            ("checkout", 99.9, at("2026-11-21T10:00:00Z")),
            ("checkout", 99.95, at("2026-11-22T09:30:00.250Z")),
        ],
        "oldest first, each at its instant, to the millisecond"
    );
    assert!(
        !store
            .record_objective("checkout", 99.95, at("2026-11-22T10:00:00Z"))
            .await
            .expect("record"),
        "the new objective is now the latest"
    );

    assert!(
        store
            .record_objective("checkout", 99.9, at("2026-11-23T08:00:00Z"))
            .await
            .expect("record"),
        "going back to the first value is a change"
    );
    assert!(
        !store
            .record_objective("checkout", 99.9, at("2026-11-23T09:00:00Z"))
            .await
            .expect("record"),
        "and is then the latest"
    );
    assert_eq!(
        store.objective_history().await.expect("history"),
        [
            ObjectiveRecord {
                slo: "checkout".to_owned(),
                objective: 99.9,
                since: at("2026-11-21T10:00:00Z"),
            },
            ObjectiveRecord {
                slo: "checkout".to_owned(),
                objective: 99.95,
                since: at("2026-11-22T09:30:00.250Z"),
            },
            ObjectiveRecord {
                slo: "checkout".to_owned(),
                objective: 99.9,
                since: at("2026-11-23T08:00:00Z"),
            },
        ]
    );
}

/// Each SLO has its own objectives: the same value is a first objective
/// for another SLO, and a change to one leaves the other's latest alone.
/// The history is listed by SLO name, then instant, whatever order the
/// rows were written in.
pub async fn sli_objectives_are_kept_per_slo(store: &dyn Store) {
    assert!(
        store
            .record_objective("search", 99.0, at("2026-11-21T10:00:00Z"))
            .await
            .expect("record")
    );
    assert!(
        store
            .record_objective("checkout", 99.0, at("2026-11-21T10:00:00Z"))
            .await
            .expect("record"),
        "the same value, at the same instant, is another SLO's first objective"
    );
    assert!(
        store
            .record_objective("search", 99.5, at("2026-11-21T12:00:00Z"))
            .await
            .expect("record")
    );
    assert!(
        !store
            .record_objective("checkout", 99.0, at("2026-11-21T13:00:00Z"))
            .await
            .expect("record"),
        "a change to search is not a change to checkout"
    );
    assert!(
        store
            .record_objective("checkout", 99.5, at("2026-11-21T11:00:00Z"))
            .await
            .expect("record"),
        "checkout's latest is still 99.0"
    );
    assert_eq!(
        objectives(&store.objective_history().await.expect("history")),
        [
            ("checkout", 99.0, at("2026-11-21T10:00:00Z")),
            ("checkout", 99.5, at("2026-11-21T11:00:00Z")),
            ("search", 99.0, at("2026-11-21T10:00:00Z")),
            ("search", 99.5, at("2026-11-21T12:00:00Z")),
        ],
        "ordered by SLO, then instant"
    );
}

/// An objective that is not a percentage strictly between 0 and 100 is
/// refused, and nothing is recorded.
pub async fn sli_objectives_out_of_range_are_refused(store: &dyn Store) {
    store
        .record_objective("checkout", 99.9, at("2026-11-21T10:00:00Z"))
        .await
        .expect("record");
    for bad in [100.0, 0.0, -1.0, 250.0, f64::INFINITY, f64::NAN] {
        let result = store
            .record_objective("checkout", bad, at("2026-11-21T11:00:00Z"))
            .await;
        assert!(result.is_err(), "an objective of {bad} is refused");
        let result = store
            .record_objective("search", bad, at("2026-11-21T11:00:00Z"))
            .await;
        assert!(
            result.is_err(),
            "an objective of {bad} is refused as a first one too"
        );
    }
    assert_eq!(
        objectives(&store.objective_history().await.expect("history")),
        [("checkout", 99.9, at("2026-11-21T10:00:00Z"))],
        "nothing refused is stored"
    );
}

/// Instances recording the same configuration at once (each at its own
/// instant) record each change once.
pub async fn sli_objectives_are_recorded_once_by_concurrent_callers(store: &dyn Store) {
    for (objective, minute) in [(99.0, 10), (99.5, 20)] {
        let record = |second: u32| {
            store.record_objective(
                "checkout",
                objective,
                at(&format!("2026-11-21T10:{minute}:{second:02}Z")),
            )
        };
        let (a, b, c, d, e, f) = tokio::join!(
            record(1),
            record(2),
            record(3),
            record(4),
            record(5),
            record(6)
        );
        let recorded = [a, b, c, d, e, f]
            .into_iter()
            .map(|r| r.expect("record"))
            .filter(|&recorded| recorded)
            .count();
        assert_eq!(recorded, 1, "one caller records {objective}");
    }
    let history = store.objective_history().await.expect("history");
    assert_eq!(
        history.iter().map(|r| r.objective).collect::<Vec<_>>(),
        [99.0, 99.5],
        "each change once: {history:?}"
    );
}

fn period(slo: &str, from: &str, to: &str, objective: f64, good: f64, total: f64) -> PeriodRecord {
    PeriodRecord {
        slo: slo.to_owned(),
        from: at(from),
        to: at(to),
        objective,
        good,
        total,
    }
}

/// A period is recorded once: the first record stands, exactly as given,
/// and a second one for the same SLO and start (another instance, a
/// restart), even with other numbers or another end, changes nothing.
pub async fn slo_periods_are_recorded_once(store: &dyn Store) {
    assert!(
        store
            .slo_periods("checkout", 24)
            .await
            .expect("periods")
            .is_empty(),
        "no period has been recorded yet"
    );
    // 99.95 and 1/3 are not exactly representable: they come back bit for
    // bit; instants to the millisecond.
    let first = period(
        "checkout",
        "2026-10-01T00:00:00Z",
        "2026-11-01T00:00:00.250Z",
        99.95,
        1.0 / 3.0,
        12_345.5,
    );
    assert!(
        store.record_slo_period(&first).await.expect("record"),
        "the first record of a period is stored"
    );
    assert_eq!(
        store.slo_periods("checkout", 24).await.expect("periods"),
        std::slice::from_ref(&first)
    );

    for again in [
        first.clone(),
        period(
            "checkout",
            "2026-10-01T00:00:00Z",
            "2026-11-01T00:00:00Z",
            99.0,
            5.0,
            10.0,
        ),
    ] {
        assert!(
            !store.record_slo_period(&again).await.expect("record"),
            "{again:?} is the same period again"
        );
    }
    assert_eq!(
        store.slo_periods("checkout", 24).await.expect("periods"),
        std::slice::from_ref(&first),
        "the first record stands"
    );

    assert!(
        store
            .record_slo_period(&period(
                "search",
                "2026-10-01T00:00:00Z",
                "2026-11-01T00:00:00Z",
                99.0,
                0.0,
                0.0,
            ))
            .await
            .expect("record"),
        "the same start is another SLO's own period; no events is a period too"
    );
    assert_eq!(
        store.slo_periods("checkout", 24).await.expect("periods"),
        [first],
        "each SLO lists only its own periods"
    );
}

/// Instances recording the same period at once record it once.
pub async fn slo_periods_are_recorded_once_by_concurrent_callers(store: &dyn Store) {
    let record = |good: f64| {
        let period = period(
            "checkout",
            "2026-10-01T00:00:00Z",
            "2026-11-01T00:00:00Z",
            99.9,
            good,
            1000.0,
        );
        async move { store.record_slo_period(&period).await }
    };
    let (a, b, c, d, e, f) = tokio::join!(
        record(991.0),
        record(992.0),
        record(993.0),
        record(994.0),
        record(995.0),
        record(996.0)
    );
    let recorded = [a, b, c, d, e, f]
        .into_iter()
        .map(|r| r.expect("record"))
        .filter(|&recorded| recorded)
        .count();
    assert_eq!(recorded, 1, "one caller records the period");
    let periods = store.slo_periods("checkout", 24).await.expect("periods");
    assert_eq!(periods.len(), 1, "{periods:?}");
}

/// Periods are listed newest first, whatever order they were recorded in,
/// at most `limit`.
pub async fn slo_periods_are_listed_newest_first(store: &dyn Store) {
    let months = [
        ("2026-08-01T00:00:00Z", "2026-09-01T00:00:00Z", 99.5),
        ("2026-10-01T00:00:00Z", "2026-11-01T00:00:00Z", 99.9),
        ("2026-07-01T00:00:00Z", "2026-08-01T00:00:00Z", 99.5),
        ("2026-09-01T00:00:00Z", "2026-10-01T00:00:00Z", 99.9),
    ];
    for (from, to, objective) in months {
        assert!(
            store
                .record_slo_period(&period("checkout", from, to, objective, 990.0, 1000.0))
                .await
                .expect("record")
        );
    }
    let starts =
        |periods: &[PeriodRecord]| -> Vec<Timestamp> { periods.iter().map(|p| p.from).collect() };
    let all = store.slo_periods("checkout", 24).await.expect("periods");
    assert_eq!(
        starts(&all),
        [
            at("2026-10-01T00:00:00Z"),
            at("2026-09-01T00:00:00Z"),
            at("2026-08-01T00:00:00Z"),
            at("2026-07-01T00:00:00Z"),
        ],
        "newest first"
    );
    assert_eq!(
        all.iter().map(|p| p.objective).collect::<Vec<_>>(),
        [99.9, 99.9, 99.5, 99.5],
        "each with its own objective"
    );
    assert_eq!(
        starts(&store.slo_periods("checkout", 2).await.expect("periods")),
        [at("2026-10-01T00:00:00Z"), at("2026-09-01T00:00:00Z")],
        "the newest `limit`"
    );
    assert!(
        store
            .slo_periods("checkout", 0)
            .await
            .expect("periods")
            .is_empty()
    );
    assert!(
        store
            .slo_periods("search", 24)
            .await
            .expect("periods")
            .is_empty(),
        "an SLO without periods"
    );
}

/// A period with counts that cannot be (negative, not finite, more good
/// than valid events), an objective not strictly between 0 and 100, or an
/// end not after its start is refused, whether the period is new or
/// already recorded, and nothing changes.
pub async fn slo_periods_that_cannot_be_are_refused(store: &dyn Store) {
    let kept = period(
        "checkout",
        "2026-10-01T00:00:00Z",
        "2026-11-01T00:00:00Z",
        99.9,
        999.0,
        1000.0,
    );
    assert!(store.record_slo_period(&kept).await.expect("record"));
    let (from, to) = ("2026-11-01T00:00:00Z", "2026-12-01T00:00:00Z");
    let mut refused = vec![
        period("checkout", from, to, 99.9, 3.0, 2.0),
        period("checkout", from, to, 99.9, -1.0, 2.0),
        period("checkout", from, to, 99.9, 1.0, -2.0),
        period("checkout", from, to, 99.9, 1.0, f64::INFINITY),
        period("checkout", from, to, 99.9, f64::INFINITY, f64::INFINITY),
        period("checkout", from, to, 99.9, 1.0, f64::NAN),
        period("checkout", from, to, 99.9, f64::NAN, 2.0),
        period("checkout", from, from, 99.9, 1.0, 2.0),
        period("checkout", to, from, 99.9, 1.0, 2.0),
    ];
    for objective in [100.0, 0.0, -1.0, 250.0, f64::INFINITY, f64::NAN] {
        refused.push(period("checkout", from, to, objective, 1.0, 2.0));
    }
    let already = refused
        .iter()
        .map(|bad| PeriodRecord {
            from: kept.from,
            to: if bad.to > bad.from {
                kept.to
            } else {
                kept.from
            },
            ..bad.clone()
        })
        .collect::<Vec<_>>();
    for bad in refused.iter().chain(&already) {
        let result = store.record_slo_period(bad).await;
        assert!(result.is_err(), "{bad:?} is refused: {result:?}");
    }
    assert_eq!(
        store.slo_periods("checkout", 24).await.expect("periods"),
        [kept],
        "nothing refused is stored, and the recorded period is unchanged"
    );
}
