//! The schedule pages of the web UI over real HTTP, on both backends: the
//! list, the week and month calendars with layers and overrides told
//! apart, adding and removing an override, and the subscribe link.

mod common;

use common::browser::Browser;
use common::{TestServer, config_with, three_people};
use pagerbound_core::Role;
use pagerbound_testkit::Backend;

fn config() -> Vec<(&'static str, String)> {
    config_with(
        [
            three_people(),
            vec![(
                "schedules.yaml",
                "\
schedules:
  - name: primary
    team: payments
    time_zone: America/New_York
    layers:
      - name: weekly
        participants: [alice, bob]
        shift: 1w
        handoff: \"09:00\"
        handoff_day: mon
        start: 2026-01-05
"
                .to_owned(),
            )],
        ]
        .concat(),
    )
}

async fn calendars_show_layers_and_overrides(backend: Backend) {
    let test = TestServer::start_on(backend, &config()).await;
    let mut bob = Browser::signed_in(&test, "bob", Role::Responder).await;

    let list = bob.get("/schedules").await;
    assert_eq!(list.status, 200);
    assert!(
        list.body.contains("href=\"/schedules/primary\""),
        "{}",
        list.body
    );
    assert!(list.body.contains("is on call"), "{}", list.body);

    let week = bob.get("/schedules/primary?date=2026-11-25").await;
    assert_eq!(week.status, 200, "{}", week.body);
    assert!(
        week.body.contains("Week of Mon 23 Nov 2026"),
        "{}",
        week.body
    );
    assert_eq!(week.body.matches("<li class=\"day").count(), 7);
    // Monday 23 November is a handoff at 09:00 New York time.
    assert!(
        week.body.contains("…–09:00 "),
        "the outgoing shift ends at the handoff: {}",
        week.body
    );
    assert!(week.body.contains("09:00–… "), "{}", week.body);
    assert!(
        week.body.contains("title=\"weekly\""),
        "layer shifts name their layer"
    );
    assert!(!week.body.contains("title=\"override #"), "no override yet");
    assert!(
        week.body
            .contains("/api/v1/schedules/primary/calendar.ics?token="),
        "the subscribe link: {}",
        week.body
    );

    let month = bob
        .get("/schedules/primary?view=month&date=2026-11-05")
        .await;
    assert_eq!(month.status, 200);
    assert!(month.body.contains("November 2026"));
    assert_eq!(month.body.matches("<li class=\"day").count(), 42);
    assert_eq!(month.body.matches("day outside").count(), 12);

    let bad = bob.get("/schedules/primary?view=year").await;
    assert_eq!(bad.status, 400);
    assert!(bad.body.contains("use week or month"), "{}", bad.body);
    assert_eq!(bob.get("/schedules/nothing").await.status, 404);

    // An override, in the schedule's own zone.
    let refused = bob
        .submit(
            "/schedules/primary/overrides",
            &[
                ("user", "carol"),
                ("start", "2026-11-26T18:00"),
                ("end", "2026-11-26T08:00"),
                ("note", "thanksgiving"),
            ],
        )
        .await;
    assert_eq!(refused.status, 400);
    assert!(
        refused.body.contains("must be after start"),
        "{}",
        refused.body
    );
    assert!(
        refused.body.contains("value=\"2026-11-26T18:00\""),
        "the form keeps what was typed: {}",
        refused.body
    );
    let added = bob
        .submit(
            "/schedules/primary/overrides",
            &[
                ("user", "carol"),
                ("start", "2026-11-26T08:00"),
                ("end", "2026-11-26T18:00"),
                ("note", "thanksgiving"),
            ],
        )
        .await;
    assert_eq!(added.status, 303, "{}", added.body);
    assert_eq!(
        added.location.as_deref(),
        Some("/schedules/primary?view=week&date=2026-11-26")
    );
    let stored = test
        .get_json("/api/v1/schedules/primary/overrides?from=2026-11-01T00:00:00Z")
        .await;
    let stored = stored.as_array().expect("overrides");
    assert_eq!(stored.len(), 1);
    assert_eq!(stored[0]["user"], "carol");
    assert_eq!(stored[0]["created_by"], "bob");
    assert_eq!(
        stored[0]["start"], "2026-11-26T13:00:00Z",
        "08:00 in New York"
    );
    assert_eq!(stored[0]["note"], "thanksgiving");
    let id = stored[0]["id"].as_i64().expect("id");

    let week = bob.get("/schedules/primary?date=2026-11-26").await;
    assert!(
        week.body.contains(&format!("title=\"override #{id}\"")),
        "the override is told apart: {}",
        week.body
    );
    assert!(week.body.contains("08:00–18:00 carol"), "{}", week.body);

    let mut carol = Browser::signed_in(&test, "carol", Role::Viewer).await;
    let page = carol.get("/schedules/primary").await;
    assert!(
        !page.body.contains("Add an override"),
        "viewers get no form"
    );
    let forbidden = carol
        .submit(
            "/schedules/primary/overrides",
            &[
                ("user", "carol"),
                ("start", "2026-11-27T08:00"),
                ("end", "2026-11-27T18:00"),
            ],
        )
        .await;
    assert_eq!(forbidden.status, 403);

    bob.get("/schedules/primary").await;
    let removed = bob
        .submit(&format!("/schedules/primary/overrides/{id}/remove"), &[])
        .await;
    assert_eq!(removed.status, 303);
    let stored = test
        .get_json("/api/v1/schedules/primary/overrides?from=2026-11-01T00:00:00Z")
        .await;
    assert_eq!(stored.as_array().map(Vec::len), Some(0));
}

on_both_backends!(calendars_show_layers_and_overrides);
