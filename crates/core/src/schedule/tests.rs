//! Schedules end to end, with fixed instants: handoffs across
//! daylight-saving changes, layering, overrides, gaps and shadows, and
//! properties checked against a deliberately naive model.

use super::*;
use crate::time_window::{DaySet, parse_time_of_day};
use jiff::SignedDuration;
use jiff::civil::{date, time};
use proptest::prelude::*;

fn ts(text: &str) -> Timestamp {
    text.parse().expect("timestamp")
}

fn zone(name: &str) -> TimeZone {
    TimeZone::get(name).expect("time zone")
}

fn hours(n: i64) -> SignedDuration {
    SignedDuration::from_hours(n)
}

fn window(days: &str, start: &str, end: &str) -> WeeklyWindow {
    WeeklyWindow {
        days: days.parse().expect("days"),
        start: parse_time_of_day(start).expect("start"),
        end: parse_time_of_day(end).expect("end"),
    }
}

/// A layer without restrictions or shadows.
fn layer(
    name: &str,
    participants: &[&str],
    length: ShiftLength,
    handoff: Time,
    time_zone: &str,
    start: Date,
) -> Layer {
    Layer {
        name: name.into(),
        participants: participants.iter().map(|p| p.to_string()).collect(),
        rotation: Rotation {
            length,
            handoff,
            handoff_day: None,
            time_zone: zone(time_zone),
            start,
        },
        restrictions: Vec::new(),
        shadows: Vec::new(),
    }
}

fn schedule(layers: Vec<Layer>) -> Schedule {
    Schedule {
        name: "primary".into(),
        team: "payments".into(),
        time_zone: TimeZone::UTC,
        layers,
    }
}

fn cover(id: &str, user: &str, start: &str, end: &str) -> Override {
    Override {
        id: id.into(),
        user: user.into(),
        start: ts(start),
        end: ts(end),
    }
}

/// A shift as (user, source, start, end), for compact assertions.
fn brief(shift: &Shift) -> (Option<&str>, String, String, String) {
    let source = match &shift.source {
        ShiftSource::Layer(name) => format!("layer {name}"),
        ShiftSource::Override(id) => format!("override {id}"),
        ShiftSource::Gap => "gap".to_owned(),
    };
    (
        shift.user.as_deref(),
        source,
        shift.start.to_string(),
        shift.end.to_string(),
    )
}

fn expected(
    rows: &[(Option<&'static str>, &str, &str, &str)],
) -> Vec<(Option<&'static str>, String, String, String)> {
    rows.iter()
        .map(|(user, source, start, end)| {
            (
                *user,
                source.to_string(),
                start.to_string(),
                end.to_string(),
            )
        })
        .collect()
}

/// The shift of `shifts` containing `at`.
fn shift_at(shifts: &[Shift], at: Timestamp) -> &Shift {
    let index = shifts.partition_point(|shift| shift.end <= at);
    let shift = &shifts[index];
    assert!(shift.start <= at && at < shift.end, "{at} not in {shift:?}");
    shift
}

fn as_on_call(shift: &Shift) -> OnCall {
    OnCall {
        user: shift.user.clone(),
        source: shift.source.clone(),
        shadows: shift.shadows.clone(),
    }
}

/// The invariants every final schedule keeps: the shifts tile
/// `[from, to)` in order without empty or mergeable neighbours, and
/// `on_call_at` agrees with them at both ends of every shift.
fn assert_consistent(
    schedule: &Schedule,
    overrides: &[Override],
    from: Timestamp,
    to: Timestamp,
) -> Vec<Shift> {
    let shifts = schedule.shifts(overrides, from, to);
    assert_eq!(shifts.first().map(|s| s.start), Some(from), "first start");
    assert_eq!(shifts.last().map(|s| s.end), Some(to), "last end");
    for shift in &shifts {
        assert!(shift.start < shift.end, "empty shift {shift:?}");
        let last_instant = shift.end - SignedDuration::from_nanos(1);
        for at in [shift.start, last_instant] {
            assert_eq!(
                schedule.on_call_at(overrides, at),
                as_on_call(shift),
                "at {at}"
            );
        }
    }
    for pair in shifts.windows(2) {
        assert_eq!(pair[0].end, pair[1].start, "contiguous");
        let alike = pair[0].user == pair[1].user
            && pair[0].source == pair[1].source
            && pair[0].shadows == pair[1].shadows;
        assert!(!alike, "mergeable neighbours {pair:?}");
    }
    shifts
}

// --- Daylight saving -------------------------------------------------------

/// A two-person rotation, so that every handoff starts a new shift.
fn pair_rotation(time_zone: &str, length: ShiftLength, handoff: Time, start: Date) -> Schedule {
    schedule(vec![layer(
        "rota",
        &["ann", "ben"],
        length,
        handoff,
        time_zone,
        start,
    )])
}

/// The handoffs strictly inside `[from, to)`.
fn handoffs(schedule: &Schedule, from: &str, to: &str) -> Vec<String> {
    let shifts = assert_consistent(schedule, &[], ts(from), ts(to));
    shifts.iter().skip(1).map(|s| s.start.to_string()).collect()
}

#[test]
fn weekly_handoff_stays_at_local_time_across_dst() {
    // (zone, range, the two handoffs inside it): one week before the
    // change, one after.
    let cases = [
        (
            "Europe/Dublin",
            "2026-03-20T00:00Z",
            "2026-04-03T00:00Z",
            ["2026-03-23T09:00:00Z", "2026-03-30T08:00:00Z"],
        ),
        (
            "Europe/Dublin",
            "2026-10-16T00:00Z",
            "2026-10-30T00:00Z",
            ["2026-10-19T08:00:00Z", "2026-10-26T09:00:00Z"],
        ),
        (
            "America/New_York",
            "2026-02-27T00:00Z",
            "2026-03-13T00:00Z",
            ["2026-03-02T14:00:00Z", "2026-03-09T13:00:00Z"],
        ),
        (
            "America/New_York",
            "2026-10-23T00:00Z",
            "2026-11-06T00:00Z",
            ["2026-10-26T13:00:00Z", "2026-11-02T14:00:00Z"],
        ),
        (
            "Australia/Sydney",
            "2026-03-27T00:00Z",
            "2026-04-10T00:00Z",
            ["2026-03-29T22:00:00Z", "2026-04-05T23:00:00Z"],
        ),
        (
            "Australia/Sydney",
            "2026-09-25T00:00Z",
            "2026-10-09T00:00Z",
            ["2026-09-27T23:00:00Z", "2026-10-04T22:00:00Z"],
        ),
        (
            "Asia/Kolkata",
            "2026-03-01T00:00Z",
            "2026-03-15T00:00Z",
            ["2026-03-02T03:30:00Z", "2026-03-09T03:30:00Z"],
        ),
    ];
    for (time_zone, from, to, expected) in cases {
        // 2026-01-05 is a Monday.
        let rota = pair_rotation(
            time_zone,
            ShiftLength::Weeks(1),
            time(9, 0, 0, 0),
            date(2026, 1, 5),
        );
        assert_eq!(handoffs(&rota, from, to), expected, "{time_zone}");
    }
}

#[test]
fn weekly_handoff_day_picks_the_first_such_day_on_or_after_start() {
    // 2026-01-01 is a Thursday: the first Monday on or after it is the 5th.
    let mut rota = pair_rotation(
        "UTC",
        ShiftLength::Weeks(1),
        time(9, 0, 0, 0),
        date(2026, 1, 1),
    );
    rota.layers[0].rotation.handoff_day = Some(Weekday::Monday);
    assert_eq!(
        rota.on_call_at(&[], ts("2026-01-05T08:59:59Z")).source,
        ShiftSource::Gap
    );
    assert_eq!(
        rota.on_call_at(&[], ts("2026-01-05T09:00:00Z"))
            .user
            .as_deref(),
        Some("ann")
    );
    assert_eq!(
        rota.on_call_at(&[], ts("2026-01-12T09:00:00Z"))
            .user
            .as_deref(),
        Some("ben")
    );
    // Without a handoff day the rotation hands off on the start's weekday.
    rota.layers[0].rotation.handoff_day = None;
    assert_eq!(
        handoffs(&rota, "2026-01-02T00:00Z", "2026-01-16T00:00Z"),
        ["2026-01-08T09:00:00Z", "2026-01-15T09:00:00Z"]
    );
    // On the handoff day itself, `start` is the first handoff.
    rota.layers[0].rotation.handoff_day = Some(Weekday::Thursday);
    assert_eq!(
        rota.on_call_at(&[], ts("2026-01-01T09:00:00Z"))
            .user
            .as_deref(),
        Some("ann")
    );
}

#[test]
fn daily_shifts_are_23_or_25_hours_on_change_days() {
    // (zone, a handoff, the length of the shift it starts, in hours)
    let cases = [
        ("Europe/Dublin", "2026-03-28T09:00Z", 23),
        ("Europe/Dublin", "2026-10-24T08:00Z", 25),
        ("America/New_York", "2026-03-07T14:00Z", 23),
        ("America/New_York", "2026-10-31T13:00Z", 25),
        ("Australia/Sydney", "2026-04-03T22:00Z", 25),
        ("Australia/Sydney", "2026-10-02T23:00Z", 23),
        ("Asia/Kolkata", "2026-03-28T03:30Z", 24),
        ("Europe/Dublin", "2026-06-10T08:00Z", 24),
    ];
    for (time_zone, handoff, length) in cases {
        let rota = pair_rotation(
            time_zone,
            ShiftLength::Days(1),
            time(9, 0, 0, 0),
            date(2026, 1, 1),
        );
        let start = ts(handoff);
        let shifts = assert_consistent(&rota, &[], start, start + hours(72));
        assert_eq!(
            shifts[0].end.duration_since(shifts[0].start),
            hours(length),
            "{time_zone} {handoff}"
        );
    }
}

#[test]
fn twelve_hour_shifts_keep_nine_and_twenty_one_local() {
    for (time_zone, changes) in [
        ("Europe/Dublin", true),
        ("America/New_York", true),
        ("Australia/Sydney", true),
        ("Asia/Kolkata", false),
    ] {
        let rota = pair_rotation(
            time_zone,
            ShiftLength::Hours(12),
            time(9, 0, 0, 0),
            date(2025, 12, 1),
        );
        let shifts =
            assert_consistent(&rota, &[], ts("2026-01-01T00:00Z"), ts("2027-01-01T00:00Z"));
        let tz = zone(time_zone);
        for shift in &shifts[1..] {
            let local = tz.to_datetime(shift.start).time();
            assert!(
                local == time(9, 0, 0, 0) || local == time(21, 0, 0, 0),
                "{time_zone} {shift:?}"
            );
        }
        let lengths: Vec<i64> = shifts[1..shifts.len() - 1]
            .iter()
            .map(|s| s.end.duration_since(s.start).as_hours())
            .collect();
        let count = |h: i64| lengths.iter().filter(|&&l| l == h).count();
        let odd = usize::from(changes);
        assert_eq!((count(11), count(13)), (odd, odd), "{time_zone}");
        assert_eq!(count(12), lengths.len() - 2 * odd, "{time_zone}");
    }
    // Dublin springs forward at 01:00 on 2026-03-29: 21:00 GMT to 09:00 IST.
    let dublin = pair_rotation(
        "Europe/Dublin",
        ShiftLength::Hours(12),
        time(9, 0, 0, 0),
        date(2026, 3, 1),
    );
    assert_eq!(
        handoffs(&dublin, "2026-03-28T20:00Z", "2026-03-29T10:00Z"),
        ["2026-03-28T21:00:00Z", "2026-03-29T08:00:00Z"]
    );
}

#[test]
fn handoffs_in_a_gap_or_fold_are_read_compatibly() {
    // 02:30 does not exist in New York on 2026-03-08: it becomes 03:30 EDT.
    let spring = pair_rotation(
        "America/New_York",
        ShiftLength::Days(1),
        time(2, 30, 0, 0),
        date(2026, 3, 1),
    );
    assert_eq!(
        handoffs(&spring, "2026-03-07T00:00Z", "2026-03-10T00:00Z"),
        [
            "2026-03-07T07:30:00Z",
            "2026-03-08T07:30:00Z",
            "2026-03-09T06:30:00Z"
        ]
    );
    // 01:30 happens twice on 2026-11-01: the first (EDT) one counts.
    let autumn = pair_rotation(
        "America/New_York",
        ShiftLength::Days(1),
        time(1, 30, 0, 0),
        date(2026, 10, 1),
    );
    assert_eq!(
        handoffs(&autumn, "2026-10-31T00:00Z", "2026-11-03T00:00Z"),
        [
            "2026-10-31T05:30:00Z",
            "2026-11-01T05:30:00Z",
            "2026-11-02T06:30:00Z"
        ]
    );
}

#[test]
fn a_gap_longer_than_a_shift_keeps_handoffs_in_order() {
    // Antarctica/Troll jumps from +00 to +02 at 01:00 UTC on 2026-03-29, so
    // the hourly handoffs at 01:00 and 02:00 local do not exist. Read
    // compatibly they would land after the 03:00 handoff; they are cut to
    // nothing instead, and 00:00 hands straight over to 03:00.
    let rota = schedule(vec![layer(
        "hourly",
        &["ann", "ben", "cat"],
        ShiftLength::Hours(1),
        Time::midnight(),
        "Antarctica/Troll",
        date(2026, 3, 1),
    )]);
    let shifts = assert_consistent(&rota, &[], ts("2026-03-28T23:00Z"), ts("2026-03-29T03:00Z"));
    let rows: Vec<_> = shifts.iter().map(brief).collect();
    assert_eq!(
        rows,
        expected(&[
            (
                Some("cat"),
                "layer hourly",
                "2026-03-28T23:00:00Z",
                "2026-03-29T00:00:00Z"
            ),
            // 00:00 +00 (turn 672, ann), then 03:00 +02 (turn 675, ann again).
            (
                Some("ann"),
                "layer hourly",
                "2026-03-29T00:00:00Z",
                "2026-03-29T02:00:00Z"
            ),
            (
                Some("ben"),
                "layer hourly",
                "2026-03-29T02:00:00Z",
                "2026-03-29T03:00:00Z"
            ),
        ])
    );
}

// --- Layers, overrides, gaps, shadows ---------------------------------------

fn follow_the_sun() -> Schedule {
    let mut emea = layer(
        "emea",
        &["dana"],
        ShiftLength::Days(1),
        time(8, 0, 0, 0),
        "Europe/Dublin",
        date(2026, 1, 1),
    );
    emea.restrictions = vec![window("mon-sun", "08:00", "20:00")];
    let mut amer = layer(
        "amer",
        &["alex"],
        ShiftLength::Days(1),
        time(8, 0, 0, 0),
        "America/Los_Angeles",
        date(2026, 1, 1),
    );
    amer.restrictions = vec![window("mon-sun", "08:00", "20:00")];
    let base = layer(
        "base",
        &["ops"],
        ShiftLength::Weeks(1),
        time(9, 0, 0, 0),
        "UTC",
        date(2026, 1, 5),
    );
    schedule(vec![base, emea, amer])
}

#[test]
fn follow_the_sun_layers_hand_over_by_local_hours() {
    let sun = follow_the_sun();
    // In June Dublin is UTC+1 and Los Angeles UTC-7: Dublin's 08:00-20:00
    // is 07:00-19:00Z, Los Angeles' 15:00-03:00Z, and amer is the top layer.
    let shifts = assert_consistent(&sun, &[], ts("2026-06-10T00:00Z"), ts("2026-06-11T00:00Z"));
    let rows: Vec<_> = shifts.iter().map(brief).collect();
    assert_eq!(
        rows,
        expected(&[
            (
                Some("alex"),
                "layer amer",
                "2026-06-10T00:00:00Z",
                "2026-06-10T03:00:00Z"
            ),
            (
                Some("ops"),
                "layer base",
                "2026-06-10T03:00:00Z",
                "2026-06-10T07:00:00Z"
            ),
            (
                Some("dana"),
                "layer emea",
                "2026-06-10T07:00:00Z",
                "2026-06-10T15:00:00Z"
            ),
            (
                Some("alex"),
                "layer amer",
                "2026-06-10T15:00:00Z",
                "2026-06-11T00:00:00Z"
            ),
        ])
    );
    let who = |at: &str| sun.on_call_at(&[], ts(at));
    assert_eq!(
        who("2026-06-10T05:00Z").source,
        ShiftSource::Layer("base".into())
    );
    assert_eq!(who("2026-06-10T10:00Z").user.as_deref(), Some("dana"));
    assert_eq!(who("2026-06-10T18:00Z").user.as_deref(), Some("alex"));
    // 07:30Z is 08:30 in a Dublin summer but 07:30 in its winter.
    assert_eq!(
        who("2026-06-10T07:30Z").source,
        ShiftSource::Layer("emea".into())
    );
    assert_eq!(
        who("2026-12-10T07:30Z").source,
        ShiftSource::Layer("base".into())
    );
}

fn alice_all_week() -> Schedule {
    schedule(vec![layer(
        "base",
        &["alice"],
        ShiftLength::Weeks(1),
        time(9, 0, 0, 0),
        "UTC",
        date(2026, 6, 1),
    )])
}

#[test]
fn an_override_wins_and_splits_a_shift() {
    let base = alice_all_week();
    let overrides = [cover("o1", "bob", "2026-06-10T12:00Z", "2026-06-10T14:00Z")];
    let shifts = assert_consistent(
        &base,
        &overrides,
        ts("2026-06-10T00:00Z"),
        ts("2026-06-11T00:00Z"),
    );
    let rows: Vec<_> = shifts.iter().map(brief).collect();
    assert_eq!(
        rows,
        expected(&[
            (
                Some("alice"),
                "layer base",
                "2026-06-10T00:00:00Z",
                "2026-06-10T12:00:00Z"
            ),
            (
                Some("bob"),
                "override o1",
                "2026-06-10T12:00:00Z",
                "2026-06-10T14:00:00Z"
            ),
            (
                Some("alice"),
                "layer base",
                "2026-06-10T14:00:00Z",
                "2026-06-11T00:00:00Z"
            ),
        ])
    );
    // An override wins over every layer, the top one included.
    let sun = follow_the_sun();
    let late = [cover(
        "late",
        "bob",
        "2026-06-10T17:00Z",
        "2026-06-10T19:00Z",
    )];
    assert_eq!(
        sun.on_call_at(&late, ts("2026-06-10T18:00Z"))
            .user
            .as_deref(),
        Some("bob")
    );
}

#[test]
fn the_latest_starting_override_wins_where_they_overlap() {
    let base = alice_all_week();
    let overrides = [
        cover("o1", "bob", "2026-06-10T12:00Z", "2026-06-10T14:00Z"),
        cover("o2", "carol", "2026-06-10T13:00Z", "2026-06-10T15:00Z"),
        // Later in the list, but started earliest: only shows around the others.
        cover("o3", "dave", "2026-06-10T11:00Z", "2026-06-10T16:00Z"),
        // Ignored: ends before it starts.
        cover("bad", "eve", "2026-06-10T10:00Z", "2026-06-10T09:00Z"),
        // Starts before the range: clipped to it.
        cover("o4", "fay", "2026-06-09T20:00Z", "2026-06-10T01:00Z"),
    ];
    let shifts = assert_consistent(
        &base,
        &overrides,
        ts("2026-06-10T00:00Z"),
        ts("2026-06-11T00:00Z"),
    );
    let rows: Vec<_> = shifts.iter().map(brief).collect();
    assert_eq!(
        rows,
        expected(&[
            (
                Some("fay"),
                "override o4",
                "2026-06-10T00:00:00Z",
                "2026-06-10T01:00:00Z"
            ),
            (
                Some("alice"),
                "layer base",
                "2026-06-10T01:00:00Z",
                "2026-06-10T11:00:00Z"
            ),
            (
                Some("dave"),
                "override o3",
                "2026-06-10T11:00:00Z",
                "2026-06-10T12:00:00Z"
            ),
            (
                Some("bob"),
                "override o1",
                "2026-06-10T12:00:00Z",
                "2026-06-10T13:00:00Z"
            ),
            (
                Some("carol"),
                "override o2",
                "2026-06-10T13:00:00Z",
                "2026-06-10T15:00:00Z"
            ),
            (
                Some("dave"),
                "override o3",
                "2026-06-10T15:00:00Z",
                "2026-06-10T16:00:00Z"
            ),
            (
                Some("alice"),
                "layer base",
                "2026-06-10T16:00:00Z",
                "2026-06-11T00:00:00Z"
            ),
        ])
    );
    // Same start: the later one in the list wins.
    let tie = [
        cover("first", "bob", "2026-06-10T12:00Z", "2026-06-10T14:00Z"),
        cover("second", "carol", "2026-06-10T12:00Z", "2026-06-10T13:00Z"),
    ];
    let shifts = assert_consistent(
        &base,
        &tie,
        ts("2026-06-10T11:00Z"),
        ts("2026-06-10T15:00Z"),
    );
    let users: Vec<_> = shifts.iter().map(|s| s.user.as_deref()).collect();
    assert_eq!(
        users,
        [Some("alice"), Some("carol"), Some("bob"), Some("alice")]
    );
}

#[test]
fn office_hours_only_shows_nights_and_weekends_as_gaps() {
    // 2026-06-01 and 2026-06-08 are Mondays, 2026-06-05 a Friday.
    let mut office = layer(
        "office",
        &["ann", "ben"],
        ShiftLength::Weeks(1),
        time(9, 0, 0, 0),
        "Europe/Dublin",
        date(2026, 6, 1),
    );
    office.restrictions = vec![window("mon-fri", "09:00", "17:00")];
    let office = schedule(vec![office]);
    let (from, to) = (ts("2026-06-05T00:00Z"), ts("2026-06-09T00:00Z"));
    let shifts = assert_consistent(&office, &[], from, to);
    let rows: Vec<_> = shifts.iter().map(brief).collect();
    assert_eq!(
        rows,
        expected(&[
            (None, "gap", "2026-06-05T00:00:00Z", "2026-06-05T08:00:00Z"),
            (
                Some("ann"),
                "layer office",
                "2026-06-05T08:00:00Z",
                "2026-06-05T16:00:00Z"
            ),
            (None, "gap", "2026-06-05T16:00:00Z", "2026-06-08T08:00:00Z"),
            (
                Some("ben"),
                "layer office",
                "2026-06-08T08:00:00Z",
                "2026-06-08T16:00:00Z"
            ),
            (None, "gap", "2026-06-08T16:00:00Z", "2026-06-09T00:00:00Z"),
        ])
    );
    let gaps = office.gaps(&[], from, to);
    assert_eq!(gaps.len(), 3);
    assert!(
        gaps.iter()
            .all(|g| g.user.is_none() && g.shadows.is_empty())
    );
    assert_eq!(
        office.on_call_at(&[], ts("2026-06-06T12:00Z")).source,
        ShiftSource::Gap
    );
}

#[test]
fn shadows_follow_the_person_they_shadow() {
    let mut primary = layer(
        "primary",
        &["alice", "bob"],
        ShiftLength::Days(1),
        time(9, 0, 0, 0),
        "UTC",
        date(2026, 6, 1),
    );
    primary.shadows = vec![
        Shadow {
            user: "carol".into(),
            shadowing: "bob".into(),
        },
        Shadow {
            user: "dan".into(),
            shadowing: "bob".into(),
        },
        Shadow {
            user: "zed".into(),
            shadowing: "nobody".into(),
        },
    ];
    let primary = schedule(vec![primary]);
    let overrides = [cover(
        "swap",
        "erin",
        "2026-06-02T12:00Z",
        "2026-06-02T13:00Z",
    )];
    let shifts = assert_consistent(
        &primary,
        &overrides,
        ts("2026-06-01T09:00Z"),
        ts("2026-06-03T12:00Z"),
    );
    let rows: Vec<_> = shifts
        .iter()
        .map(|s| (s.user.as_deref(), s.shadows.clone(), s.start.to_string()))
        .collect();
    let bobs = vec!["carol".to_owned(), "dan".to_owned()];
    assert_eq!(
        rows,
        [
            (Some("alice"), vec![], "2026-06-01T09:00:00Z".to_owned()),
            (Some("bob"), bobs.clone(), "2026-06-02T09:00:00Z".to_owned()),
            (Some("erin"), vec![], "2026-06-02T12:00:00Z".to_owned()),
            (Some("bob"), bobs.clone(), "2026-06-02T13:00:00Z".to_owned()),
            (Some("alice"), vec![], "2026-06-03T09:00:00Z".to_owned()),
        ]
    );
    assert_eq!(
        primary.on_call_at(&[], ts("2026-06-02T10:00Z")).shadows,
        bobs
    );
    assert_eq!(
        primary.layers[0].problems().len(),
        1,
        "zed shadows a non-participant"
    );
}

// --- Edges ------------------------------------------------------------------

#[test]
fn before_its_start_a_layer_has_nobody() {
    let base = layer(
        "base",
        &["ops"],
        ShiftLength::Days(1),
        time(9, 0, 0, 0),
        "UTC",
        date(2026, 1, 1),
    );
    let new = layer(
        "new",
        &["nia"],
        ShiftLength::Days(1),
        time(9, 0, 0, 0),
        "Europe/Dublin",
        date(2026, 6, 15),
    );
    let both = schedule(vec![base, new.clone()]);
    let (from, to) = (ts("2026-06-14T00:00Z"), ts("2026-06-16T00:00Z"));
    let users: Vec<_> = assert_consistent(&both, &[], from, to)
        .iter()
        .map(|s| (s.user.clone(), s.end.to_string()))
        .collect();
    assert_eq!(
        users,
        [
            (Some("ops".into()), "2026-06-15T08:00:00Z".into()),
            (Some("nia".into()), "2026-06-16T00:00:00Z".into()),
        ]
    );
    assert_eq!(
        both.on_call_at(&[], ts("2026-06-15T07:59:59Z"))
            .user
            .as_deref(),
        Some("ops")
    );
    let alone = schedule(vec![new]);
    assert_eq!(alone.gaps(&[], from, to).len(), 1);
    assert_eq!(
        alone.on_call_at(&[], ts("2026-06-15T07:59:59Z")).source,
        ShiftSource::Gap
    );
}

#[test]
fn empty_ranges_have_no_shifts() {
    let base = alice_all_week();
    let at = ts("2026-06-10T00:00Z");
    assert!(base.shifts(&[], at, at).is_empty());
    assert!(base.shifts(&[], at + hours(1), at).is_empty());
    assert!(base.gaps(&[], at, at).is_empty());
}

#[test]
fn degenerate_layers_have_nobody_and_do_not_panic() {
    let cases: [(ShiftLength, &[&str]); 4] = [
        (ShiftLength::Hours(0), &["ann"]),
        (ShiftLength::Days(0), &["ann"]),
        (ShiftLength::Weeks(0), &["ann"]),
        (ShiftLength::Days(1), &[]),
    ];
    for (length, participants) in cases {
        let rota = schedule(vec![layer(
            "odd",
            participants,
            length,
            time(9, 0, 0, 0),
            "UTC",
            date(2026, 1, 1),
        )]);
        let (from, to) = (ts("2026-01-01T00:00Z"), ts("2027-01-01T00:00Z"));
        let shifts = assert_consistent(&rota, &[], from, to);
        assert_eq!(shifts.len(), 1, "{length:?} {participants:?}");
        assert_eq!(shifts[0].source, ShiftSource::Gap);
        assert!(!rota.layers[0].problems().is_empty());
    }
    assert_consistent(
        &schedule(Vec::new()),
        &[],
        ts("2026-01-01T00:00Z"),
        ts("2026-01-02T00:00Z"),
    );
}

#[test]
fn extreme_dates_and_lengths_do_not_panic() {
    let near_min = Timestamp::MIN + hours(24 * 10);
    let near_max = Timestamp::MAX - hours(24 * 10);
    let lengths = [
        ShiftLength::Hours(1),
        ShiftLength::Weeks(1),
        ShiftLength::Hours(u32::MAX),
        ShiftLength::Days(u32::MAX),
        ShiftLength::Weeks(u32::MAX),
    ];
    for time_zone in ["Pacific/Kiritimati", "Pacific/Pago_Pago", "UTC"] {
        for length in lengths {
            for start in [Date::MIN, date(2026, 1, 1), Date::MAX] {
                let mut odd = layer(
                    "odd",
                    &["ann", "ben"],
                    length,
                    time(23, 59, 59, 0),
                    time_zone,
                    start,
                );
                odd.restrictions = vec![window("sat-mon", "22:00", "06:00")];
                let plain = layer(
                    "plain",
                    &["cat"],
                    length,
                    Time::midnight(),
                    time_zone,
                    start,
                );
                let rota = schedule(vec![plain, odd]);
                for at in [Timestamp::MIN, Timestamp::MAX, near_min, near_max] {
                    let _ = rota.on_call_at(&[], at);
                }
                assert_consistent(&rota, &[], Timestamp::MIN, near_min);
                assert_consistent(&rota, &[], near_max, Timestamp::MAX);
            }
        }
    }
}

// --- Properties -------------------------------------------------------------

const ZONES: &[&str] = &[
    "Europe/Dublin",
    "America/New_York",
    "America/Los_Angeles",
    "Australia/Sydney",
    "Asia/Kolkata",
    "UTC",
];
const PEOPLE: &[&str] = &["ann", "ben", "cat", "dov", "eve"];

fn length_strategy() -> impl Strategy<Value = ShiftLength> {
    prop_oneof![
        (1u32..=12).prop_map(ShiftLength::Hours),
        (1u32..=3).prop_map(ShiftLength::Days),
        (1u32..=2).prop_map(ShiftLength::Weeks),
    ]
}

fn weekday_strategy() -> impl Strategy<Value = Weekday> {
    (0i8..7).prop_map(|n| Weekday::from_monday_zero_offset(n).expect("weekday"))
}

fn handoff_strategy() -> impl Strategy<Value = Time> {
    (0i8..24, prop_oneof![Just(0i8), Just(30i8)]).prop_map(|(h, m)| time(h, m, 0, 0))
}

/// Window edges avoid 01:00-04:59, where these zones change their offset.
/// There an edge is read "compatibly", like a handoff, whereas
/// `WeeklyWindow::contains` (the oracle of property (c)) reads the local
/// time literally; elsewhere the two agree.
fn window_strategy() -> impl Strategy<Value = WeeklyWindow> {
    let edge = (
        prop_oneof![Just(0i8), 5i8..24],
        prop_oneof![Just(0i8), Just(30i8)],
    )
        .prop_map(|(h, m)| time(h, m, 0, 0));
    (1u8..128, edge.clone(), edge).prop_map(|(bits, start, end)| {
        let mut days = DaySet::default();
        for n in 0..7i8 {
            if bits & (1 << n) != 0 {
                days.insert(Weekday::from_monday_zero_offset(n).expect("weekday"));
            }
        }
        WeeklyWindow { days, start, end }
    })
}

fn layer_strategy() -> impl Strategy<Value = Layer> {
    let person = prop::sample::select(PEOPLE);
    (
        prop::collection::vec(person.clone(), 1..=4),
        length_strategy(),
        handoff_strategy(),
        prop::option::of(weekday_strategy()),
        prop::sample::select(ZONES),
        -90i64..=60,
        prop::collection::vec(window_strategy(), 0..=2),
        prop::collection::vec((person.clone(), person), 0..=2),
    )
        .prop_map(
            |(
                participants,
                length,
                handoff,
                handoff_day,
                time_zone,
                start,
                restrictions,
                shadows,
            )| Layer {
                name: String::new(),
                participants: participants.into_iter().map(str::to_owned).collect(),
                rotation: Rotation {
                    length,
                    handoff,
                    handoff_day,
                    time_zone: zone(time_zone),
                    start: date(2026, 1, 1) + SignedDuration::from_hours(24 * start),
                },
                restrictions,
                shadows: shadows
                    .into_iter()
                    .map(|(user, shadowing)| Shadow {
                        user: user.into(),
                        shadowing: shadowing.into(),
                    })
                    .collect(),
            },
        )
}

/// A schedule, overrides, and a one-year range starting within the first
/// weeks of 2026.
fn case_strategy() -> impl Strategy<Value = (Schedule, Vec<Override>, Timestamp, Timestamp)> {
    // Half the overrides start in the first month, so that they overlap.
    let start = prop_oneof![
        -2 * 24 * 60i64..30 * 24 * 60,
        -20 * 24 * 60i64..380 * 24 * 60
    ];
    let cover = (start, -60i64..10 * 24 * 60, prop::sample::select(PEOPLE));
    (
        prop::collection::vec(layer_strategy(), 1..=3),
        prop::collection::vec(cover, 0..=5),
        0i64..2_000,
    )
        .prop_map(|(mut layers, covers, offset)| {
            for (n, layer) in layers.iter_mut().enumerate() {
                layer.name = format!("L{n}");
            }
            let from = ts("2026-01-01T00:00Z") + hours(offset);
            let overrides = covers
                .into_iter()
                .enumerate()
                .map(|(n, (start, minutes, user))| {
                    let start = from + SignedDuration::from_mins(start);
                    Override {
                        id: format!("o{n}"),
                        user: user.into(),
                        start,
                        end: start + SignedDuration::from_mins(minutes),
                    }
                })
                .collect();
            (schedule(layers), overrides, from, from + hours(24 * 365))
        })
}

/// The override a naive scan says wins at `at`.
fn naive_override(overrides: &[Override], at: Timestamp) -> Option<&Override> {
    let mut winner: Option<&Override> = None;
    for o in overrides {
        if o.start <= at && at < o.end && winner.is_none_or(|w| o.start >= w.start) {
            winner = Some(o);
        }
    }
    winner
}

/// Who a layer has at `at`, by walking every handoff from the first and
/// reading restrictions with `WeeklyWindow::contains`.
fn naive_layer(layer: &Layer, at: Timestamp) -> Option<&str> {
    let rotation = &layer.rotation;
    let (n, step) = match rotation.length {
        ShiftLength::Hours(n) => (n, 1),
        ShiftLength::Days(n) => (n, 24),
        ShiftLength::Weeks(n) => (n, 24 * 7),
    };
    if layer.participants.is_empty() || n == 0 {
        return None;
    }
    let mut first = rotation.start;
    if let (ShiftLength::Weeks(_), Some(day)) = (rotation.length, rotation.handoff_day) {
        while first.weekday() != day {
            first = first.tomorrow().expect("date");
        }
    }
    let first = first.to_datetime(rotation.handoff);
    let tz = &rotation.time_zone;
    let handoff = |k: i64| {
        let civil = first + hours(k * step * i64::from(n));
        tz.to_ambiguous_timestamp(civil)
            .compatible()
            .expect("instant")
    };
    if at < handoff(0) {
        return None;
    }
    let mut k = 0;
    while handoff(k + 1) <= at {
        k += 1;
    }
    let local = tz.to_datetime(at);
    let restricted =
        !layer.restrictions.is_empty() && !layer.restrictions.iter().any(|w| w.contains(local));
    if restricted {
        return None;
    }
    let len = i64::try_from(layer.participants.len()).expect("len");
    Some(&layer.participants[usize::try_from(k % len).expect("index")])
}

fn naive_on_call(
    schedule: &Schedule,
    overrides: &[Override],
    at: Timestamp,
) -> (Option<String>, ShiftSource) {
    if let Some(o) = naive_override(overrides, at) {
        return (Some(o.user.clone()), ShiftSource::Override(o.id.clone()));
    }
    for layer in schedule.layers.iter().rev() {
        if let Some(user) = naive_layer(layer, at) {
            return (
                Some(user.to_owned()),
                ShiftSource::Layer(layer.name.clone()),
            );
        }
    }
    (None, ShiftSource::Gap)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn final_schedules_keep_their_invariants(
        (schedule, overrides, from, to) in case_strategy(),
        samples in prop::collection::vec(0.0f64..1.0, 48),
    ) {
        // (a) tiling, (d) on_call_at at every shift's first and last
        // instant, (e) no mergeable neighbours.
        let shifts = assert_consistent(&schedule, &overrides, from, to);
        let span = to.duration_since(from);
        let instants: Vec<Timestamp> = samples.iter().map(|f| from + span.mul_f64(*f)).collect();

        // (b) every override shows inside its clipped interval, unless a
        // later-starting one covers it.
        for o in overrides.iter().filter(|o| o.start < o.end) {
            let (start, end) = (o.start.max(from), o.end.min(to));
            if start >= end {
                continue;
            }
            let last = end - SignedDuration::from_nanos(1);
            for at in [start, start + end.duration_since(start) / 2, last] {
                let winner = naive_override(&overrides, at).expect("an override");
                let shift = shift_at(&shifts, at);
                prop_assert_eq!(&shift.source, &ShiftSource::Override(winner.id.clone()));
                prop_assert_eq!(shift.user.as_deref(), Some(winner.user.as_str()));
            }
        }

        for &at in &instants {
            let shift = shift_at(&shifts, at);
            // (c) a restricted layer only shows inside its windows.
            if let ShiftSource::Layer(name) = &shift.source {
                let layer = schedule.layers.iter().find(|l| &l.name == name).expect("layer");
                let local = layer.rotation.time_zone.to_datetime(at);
                let inside = layer.restrictions.is_empty() || layer.restrictions.iter().any(|w| w.contains(local));
                prop_assert!(inside, "{} at {} ({})", name, at, local);
            }
            // (d) on_call_at agrees inside shifts too.
            prop_assert_eq!(schedule.on_call_at(&overrides, at), as_on_call(shift));
        }

        // And both agree with a naive model that walks every handoff.
        for &at in instants.iter().take(4) {
            let shift = shift_at(&shifts, at);
            prop_assert_eq!(naive_on_call(&schedule, &overrides, at), (shift.user.clone(), shift.source.clone()));
        }
    }
}

// --- Timing -----------------------------------------------------------------

/// Rough speed figures; run with
/// `cargo test --release -p pagerbound-core schedule::tests::timing -- --ignored --nocapture`.
#[test]
#[ignore = "timing, not a check: run in release mode by hand"]
fn timing() {
    use std::time::Instant;
    let schedules: Vec<Schedule> = (0..1_000)
        .map(|n| {
            let mut sun = follow_the_sun();
            let start = date(2025, 1, 1) + SignedDuration::from_hours(24 * (n % 300));
            for layer in &mut sun.layers {
                layer.rotation.start = start;
                layer.participants = (0..=n % 5).map(|p| format!("user{p}")).collect();
            }
            sun
        })
        .collect();
    let overrides = [cover("o1", "bob", "2026-06-10T12:00Z", "2026-06-10T14:00Z")];
    let now = ts("2026-06-10T18:30:00Z");
    let rounds: u32 = 20;
    let clock = Instant::now();
    let mut on_call = 0;
    for _ in 0..rounds {
        for schedule in &schedules {
            on_call += usize::from(schedule.on_call_at(&overrides, now).user.is_some());
        }
    }
    let per_round = clock.elapsed() / rounds;
    eprintln!("on_call_at, 1,000 schedules of 3 layers: {per_round:?} ({on_call} answers)");

    let daily = |name: &str, people: &[&str], tz: &str| {
        layer(
            name,
            people,
            ShiftLength::Days(1),
            time(9, 0, 0, 0),
            tz,
            date(2025, 12, 1),
        )
    };
    let three = schedule(vec![
        daily("a", &["ann", "ben", "cat"], "Europe/Dublin"),
        daily("b", &["dov", "eve"], "America/New_York"),
        daily("c", &["fay", "gus", "hal", "ida"], "Australia/Sydney"),
    ]);
    let from = ts("2026-01-01T00:00Z");
    let overrides: Vec<Override> = (0..50)
        .map(|n| {
            let start = from + hours(n * 170 + 5);
            Override {
                id: format!("o{n}"),
                user: "zoe".into(),
                start,
                end: start + hours(3 + n % 30),
            }
        })
        .collect();
    let clock = Instant::now();
    let mut count = 0;
    for _ in 0..rounds {
        count += three.shifts(&overrides, from, from + hours(24 * 365)).len();
    }
    let per_year = clock.elapsed() / rounds;
    eprintln!(
        "shifts, one year, 3 daily layers + 50 overrides: {per_year:?} ({} shifts)",
        count / rounds as usize
    );
}

#[test]
fn shift_lengths_read_and_print_as_written() {
    assert_eq!("12h".parse(), Ok(ShiftLength::Hours(12)));
    assert_eq!("1d".parse(), Ok(ShiftLength::Days(1)));
    assert_eq!("2w".parse(), Ok(ShiftLength::Weeks(2)));
    for bad in ["", "w", "1", "1m", "1.5d", "-1d", "0d", "99999999999h"] {
        assert!(bad.parse::<ShiftLength>().is_err(), "{bad:?}");
    }
    for written in ["12h", "1d", "2w"] {
        let length: ShiftLength = written.parse().expect("length");
        assert_eq!(length.to_string(), written);
    }
}
