//! Schedules over real HTTP on both backends: who is on call, the final
//! schedule, overrides and swaps (all or nothing), and calendar feeds read
//! back with an independent iCalendar parser.

mod common;

use common::{TestServer, config_with, error_body, three_people};
use jiff::{SignedDuration, Timestamp};
use pagerbound_core::Role;
use pagerbound_testkit::Backend;
use serde_json::{Value, json};

fn schedules() -> Vec<(&'static str, String)> {
    config_with(
        [
            three_people(),
            vec![(
                "schedules.yaml",
                "\
schedules:
  - name: primary
    team: payments
    time_zone: Europe/Dublin
    layers:
      - name: weekly
        participants: [alice, bob]
        shift: 1w
        handoff: \"09:00\"
        handoff_day: mon
        start: 2026-01-05
        shadows: [{user: carol, shadowing: bob}]
  - name: daily
    team: payments
    time_zone: UTC
    layers:
      - name: days
        participants: [alice, bob, carol]
        shift: 1d
        handoff: \"08:00\"
        start: 2026-01-01
"
                .to_owned(),
            )],
        ]
        .concat(),
    )
}

/// `(user, start, end, source kind)` of each shift.
fn summary(shifts: &Value) -> Vec<(String, String, String, String)> {
    shifts["shifts"]
        .as_array()
        .expect("shifts")
        .iter()
        .map(|s| {
            (
                s["user"].as_str().unwrap_or("NOBODY").to_owned(),
                s["start"].as_str().expect("start").to_owned(),
                s["end"].as_str().expect("end").to_owned(),
                s["source"]["kind"].as_str().expect("kind").to_owned(),
            )
        })
        .collect()
}

fn row(user: &str, start: &str, end: &str, kind: &str) -> (String, String, String, String) {
    (user.into(), start.into(), end.into(), kind.into())
}

async fn who_is_on_call_follows_the_rotation_and_overrides(backend: Backend) {
    let test = TestServer::start_on(backend, &schedules()).await;
    // 2026-11-23 is the Monday 46 weeks after the start: alice's week
    // begins at 09:00 Dublin time (UTC+0 in winter); before it, bob's.
    let at = test
        .get_json("/api/v1/oncall?schedule=primary&at=2026-11-23T10:00:00Z")
        .await;
    let entry = &at["oncall"][0];
    assert_eq!(entry["user"], "alice");
    assert_eq!(entry["since"], "2026-11-23T09:00:00Z");
    assert_eq!(entry["until"], "2026-11-30T09:00:00Z");
    assert_eq!(entry["source"], json!({"kind": "layer", "layer": "weekly"}));
    let before = test
        .get_json("/api/v1/oncall?schedule=primary&at=2026-11-23T08:59:59Z")
        .await;
    assert_eq!(before["oncall"][0]["user"], "bob");
    assert_eq!(before["oncall"][0]["shadows"], json!(["carol"]));
    let all = test
        .get_json("/api/v1/oncall?at=2026-11-23T10:00:00Z")
        .await;
    assert_eq!(all["oncall"].as_array().map(Vec::len), Some(2));

    let range = "from=2026-11-23T00:00:00Z&to=2026-12-01T00:00:00Z";
    let shifts = test
        .get_json(&format!("/api/v1/schedules/primary/shifts?{range}"))
        .await;
    assert_eq!(
        summary(&shifts),
        [
            row(
                "bob",
                "2026-11-23T00:00:00Z",
                "2026-11-23T09:00:00Z",
                "layer"
            ),
            row(
                "alice",
                "2026-11-23T09:00:00Z",
                "2026-11-30T09:00:00Z",
                "layer"
            ),
            row(
                "bob",
                "2026-11-30T09:00:00Z",
                "2026-12-01T00:00:00Z",
                "layer"
            ),
        ]
    );

    // An override wins over the layer and splits alice's week.
    let responder = test.token("bob", Role::Responder).await;
    let made = test
        .post_json(
            "/api/v1/schedules/primary/overrides",
            &responder,
            &json!({"user": "carol", "start": "2026-11-24T12:00:00Z",
                    "end": "2026-11-24T18:00:00Z", "note": "alice at the dentist"}),
        )
        .await;
    assert_eq!(made.status(), 201);
    let made: Value = made.json().await.expect("json");
    let id = made[0]["id"].as_i64().expect("id");
    assert_eq!(made[0]["created_by"], "bob");
    let shifts = test
        .get_json(&format!("/api/v1/schedules/primary/shifts?{range}"))
        .await;
    assert_eq!(
        summary(&shifts)[1..4],
        [
            row(
                "alice",
                "2026-11-23T09:00:00Z",
                "2026-11-24T12:00:00Z",
                "layer"
            ),
            row(
                "carol",
                "2026-11-24T12:00:00Z",
                "2026-11-24T18:00:00Z",
                "override"
            ),
            row(
                "alice",
                "2026-11-24T18:00:00Z",
                "2026-11-30T09:00:00Z",
                "layer"
            ),
        ]
    );
    assert_eq!(shifts["shifts"][2]["source"]["override"], id);
    let during = test
        .get_json("/api/v1/oncall?schedule=primary&at=2026-11-24T13:00:00Z")
        .await;
    assert_eq!(during["oncall"][0]["user"], "carol");

    // A swap is two overrides stored together; a batch with a bad one
    // stores nothing.
    let swap = json!([
        {"user": "bob", "start": "2026-11-25T09:00:00Z", "end": "2026-11-26T09:00:00Z"},
        {"user": "alice", "start": "2026-11-30T09:00:00Z", "end": "2026-12-01T09:00:00Z"},
    ]);
    let swapped = test
        .post_json("/api/v1/schedules/primary/overrides", &responder, &swap)
        .await;
    assert_eq!(swapped.status(), 201);
    let bad = json!([
        {"user": "bob", "start": "2026-12-02T09:00:00Z", "end": "2026-12-03T09:00:00Z"},
        {"user": "dave", "start": "2026-12-04T09:00:00Z", "end": "2026-12-05T09:00:00Z"},
    ]);
    let refused = test
        .post_json("/api/v1/schedules/primary/overrides", &responder, &bad)
        .await;
    assert_eq!(refused.status(), 400);
    let body = error_body(refused).await;
    assert!(
        body["error"]
            .as_str()
            .is_some_and(|e| e.contains("override 1") && e.contains("`dave`")),
        "{body}"
    );
    let listed = test
        .get_json("/api/v1/schedules/primary/overrides?from=2026-11-01T00:00:00Z")
        .await;
    let users: Vec<&str> = listed
        .as_array()
        .expect("list")
        .iter()
        .filter_map(|o| o["user"].as_str())
        .collect();
    assert_eq!(
        users,
        ["carol", "bob", "alice"],
        "the refused batch left nothing"
    );

    // Removing the override gives alice her whole week back.
    let removed = test
        .client
        .delete(test.url(&format!("/api/v1/overrides/{id}")))
        .bearer_auth(&responder)
        .send()
        .await
        .expect("delete");
    assert_eq!(removed.status(), 200);
    let again = test
        .client
        .delete(test.url(&format!("/api/v1/overrides/{id}")))
        .bearer_auth(&responder)
        .send()
        .await
        .expect("delete");
    assert_eq!(again.status(), 404);
    let during = test
        .get_json("/api/v1/oncall?schedule=primary&at=2026-11-24T13:00:00Z")
        .await;
    assert_eq!(during["oncall"][0]["user"], "alice");
    test.stop().await;
}

async fn bad_schedule_requests_are_refused_clearly(backend: Backend) {
    let test = TestServer::start_on(backend, &schedules()).await;
    let viewer = test.token("carol", Role::Viewer).await;
    let cases: [(&str, u16, &str); 5] = [
        (
            "/api/v1/oncall?schedule=primry",
            404,
            "no schedule `primry`",
        ),
        (
            "/api/v1/oncall?at=yesterday",
            400,
            "`yesterday` is not an RFC 3339",
        ),
        (
            "/api/v1/schedules/primary/shifts?from=2026-11-23T00:00:00Z&to=2026-11-22T00:00:00Z",
            400,
            "must be after",
        ),
        (
            "/api/v1/schedules/primary/shifts?from=2026-01-01T00:00:00Z&to=2028-01-01T00:00:00Z",
            400,
            "at most 366 days",
        ),
        (
            "/api/v1/schedules/primary/shifts?form=x",
            400,
            "unknown field `form`",
        ),
    ];
    for (path, status, says) in cases {
        let response = test.get(path, Some(&viewer)).await;
        assert_eq!(response.status(), status, "{path}");
        // The message, or its detail for a malformed query.
        let body = error_body(response).await;
        assert!(body.to_string().contains(says), "{path}: {body}");
    }
    let override_body =
        json!({"user": "carol", "start": "2026-11-24T12:00:00Z", "end": "2026-11-24T18:00:00Z"});
    let forbidden = test
        .post_json(
            "/api/v1/schedules/primary/overrides",
            &viewer,
            &override_body,
        )
        .await;
    assert_eq!(forbidden.status(), 403, "viewers do not change schedules");
    let backwards =
        json!({"user": "carol", "start": "2026-11-24T18:00:00Z", "end": "2026-11-24T12:00:00Z"});
    let refused = test
        .post_json(
            "/api/v1/schedules/primary/overrides",
            &test.admin,
            &backwards,
        )
        .await;
    assert_eq!(refused.status(), 400);
    let missing = test
        .post_json(
            "/api/v1/schedules/primary/overrides",
            &test.admin,
            &json!({"user": "carol"}),
        )
        .await;
    assert_eq!(missing.status(), 400);
    test.stop().await;
}

/// One VEVENT as read by the `ical` crate.
#[derive(Debug, PartialEq)]
struct CalendarEvent {
    uid: String,
    start: Timestamp,
    end: Timestamp,
    summary: String,
}

fn parse_ics(text: &str) -> (Vec<(String, String)>, Vec<CalendarEvent>) {
    // RFC 5545 §3.1: CRLF line ends, lines of at most 75 octets.
    for line in text.split("\r\n") {
        assert!(line.len() <= 75, "line longer than 75 octets: {line:?}");
        assert!(!line.contains('\n'), "bare LF in {line:?}");
    }
    let mut calendars = ical::IcalParser::new(std::io::BufReader::new(text.as_bytes()));
    let calendar = calendars
        .next()
        .expect("one calendar")
        .expect("parses as iCalendar");
    assert!(calendars.next().is_none(), "exactly one VCALENDAR");
    let properties: Vec<(String, String)> = calendar
        .properties
        .iter()
        .map(|p| (p.name.clone(), p.value.clone().unwrap_or_default()))
        .collect();
    let utc = |value: &str| -> Timestamp {
        let civil =
            jiff::civil::DateTime::strptime("%Y%m%dT%H%M%SZ", value).expect("UTC date-time");
        civil
            .to_zoned(jiff::tz::TimeZone::UTC)
            .expect("zoned")
            .timestamp()
    };
    let events = calendar
        .events
        .iter()
        .map(|event| {
            let get = |name: &str| -> String {
                event
                    .properties
                    .iter()
                    .find(|p| p.name == name)
                    .and_then(|p| p.value.clone())
                    .unwrap_or_else(|| panic!("VEVENT without {name}"))
            };
            // Required in every VEVENT of a calendar without METHOD
            // REQUEST: UID and DTSTAMP (RFC 5545 §3.6.1).
            get("DTSTAMP");
            CalendarEvent {
                uid: get("UID"),
                start: utc(&get("DTSTART")),
                end: utc(&get("DTEND")),
                summary: get("SUMMARY"),
            }
        })
        .collect();
    (properties, events)
}

async fn calendar_feeds_match_the_shifts(backend: Backend) {
    let test = TestServer::start_on(backend, &schedules()).await;
    let schedule = test.get_json("/api/v1/schedules/daily").await;
    let feed = schedule["calendar_url"].as_str().expect("calendar_url");
    let feed_path = &feed[feed.find("/api/").expect("path")..];
    let without_token = feed_path.split('?').next().expect("path");
    let refused = test.get(without_token, None).await;
    assert_eq!(refused.status(), 403, "a feed needs its token");
    let wrong = test.get(&format!("{without_token}?token=AAAA"), None).await;
    assert_eq!(wrong.status(), 403);
    let other = test.get_json("/api/v1/schedules/primary").await;
    let other_token = other["calendar_url"]
        .as_str()
        .expect("url")
        .split("token=")
        .nth(1)
        .expect("token")
        .to_owned();
    let crossed = test
        .get(&format!("{without_token}?token={other_token}"), None)
        .await;
    assert_eq!(
        crossed.status(),
        403,
        "one feed's token does not open another"
    );

    let response = test.get(feed_path, None).await;
    assert_eq!(response.status(), 200);
    assert!(
        response.headers()["content-type"]
            .to_str()
            .is_ok_and(|t| t.starts_with("text/calendar")),
    );
    let text = response.text().await.expect("text");
    let (properties, events) = parse_ics(&text);
    for required in ["VERSION", "PRODID"] {
        assert!(properties.iter().any(|(n, _)| n == required), "{required}");
    }
    assert!(properties.contains(&("X-WR-TIMEZONE".into(), "UTC".into())));
    assert!(
        events.len() > 150,
        "about 210 daily shifts: {}",
        events.len()
    );

    // Every event but the two cut by the feed's window is a shift of the
    // API's final schedule, with the same person, start and end.
    let first = events.first().expect("first").start;
    let last = events.last().expect("last").end;
    let shifts = test
        .get_json(&format!(
            "/api/v1/schedules/daily/shifts?from={}&to={}",
            first - SignedDuration::from_hours(24),
            first + SignedDuration::from_hours(366 * 24 - 48)
        ))
        .await;
    let api: Vec<(String, Timestamp, Timestamp)> = shifts["shifts"]
        .as_array()
        .expect("shifts")
        .iter()
        .map(|s| {
            (
                format!("On call: {} (daily)", s["user"].as_str().expect("user")),
                s["start"].as_str().expect("start").parse().expect("ts"),
                s["end"].as_str().expect("end").parse().expect("ts"),
            )
        })
        .collect();
    let inner = &events[1..events.len() - 1];
    for event in inner {
        assert!(
            api.contains(&(event.summary.clone(), event.start, event.end)),
            "{event:?} is not a shift of the API"
        );
        assert_eq!(
            event.end.duration_since(event.start),
            SignedDuration::from_hours(24)
        );
    }
    let api_inside = api
        .iter()
        .filter(|(_, start, end)| *start >= inner[0].start && *end <= last)
        .count();
    // The last event is cut by the window; the API's shift goes on.
    assert_eq!(api_inside, inner.len(), "no shift left out of the feed");
    let mut uids: Vec<&str> = events.iter().map(|e| e.uid.as_str()).collect();
    uids.sort_unstable();
    uids.dedup();
    assert_eq!(uids.len(), events.len(), "UIDs are unique");

    // A user's feed holds their shifts from every schedule, and shadow
    // shifts marked as such.
    let carol = test.get_json("/api/v1/users/carol/oncall").await;
    let feed = carol["calendar_url"].as_str().expect("calendar_url");
    let response = test
        .get(&feed[feed.find("/api/").expect("path")..], None)
        .await;
    assert_eq!(response.status(), 200);
    let (_, events) = parse_ics(&response.text().await.expect("text"));
    assert!(events.iter().any(|e| e.summary == "On call: carol (daily)"));
    assert!(
        events
            .iter()
            .any(|e| e.summary == "Shadowing bob (primary)")
    );
    assert!(
        events.iter().all(
            |e| e.summary == "On call: carol (daily)" || e.summary == "Shadowing bob (primary)"
        ),
        "only carol's shifts"
    );
    test.stop().await;
}

on_both_backends!(
    who_is_on_call_follows_the_rotation_and_overrides,
    bad_schedule_requests_are_refused_clearly,
    calendar_feeds_match_the_shifts,
);
