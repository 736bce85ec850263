//! The configuration page over real HTTP, on both backends: the files in
//! force, and a refused reload's errors with file:line while the running
//! configuration stays.

mod common;

use common::browser::Browser;
use common::{CONFIG, TestServer};
use pagerbound_core::Role;
use pagerbound_testkit::Backend;

async fn the_page_shows_files_and_a_refused_reload(backend: Backend) {
    let test = TestServer::start(backend).await;
    let mut bob = Browser::signed_in(&test, "bob", Role::Responder).await;
    let page = bob.get("/config").await;
    assert_eq!(page.status, 200);
    for (file, _) in CONFIG {
        assert!(page.body.contains(file), "{file} is listed: {}", page.body);
    }
    assert!(page.body.contains("generation 1"), "{}", page.body);
    assert!(page.body.contains("none since the server started"));
    assert!(
        !page.body.contains("Reload the configuration"),
        "admins only"
    );
    let refused = bob.submit("/config/reload", &[]).await;
    assert_eq!(refused.status, 403, "a responder does not reload");

    test.write_config(&[(
        "services.yaml",
        "services:\n  - name: checkout\n    team: nobody\n",
    )]);
    let mut alice = Browser::signed_in(&test, "alice", Role::Admin).await;
    alice.get("/config").await;
    let reloaded = alice.submit("/config/reload", &[]).await;
    assert_eq!(reloaded.status, 303);
    let page = alice.get("/config").await;
    assert!(
        page.body.contains("was refused with 1 error(s)"),
        "{}",
        page.body
    );
    assert!(
        page.body.contains("services.yaml:3:"),
        "the error names file and line: {}",
        page.body
    );
    assert!(page.body.contains("nobody"), "{}", page.body);
    assert!(page.body.contains("generation 1"), "the running one stays");

    test.write_config(&[(
        "services.yaml",
        "services:\n  - name: checkout\n    team: payments\n",
    )]);
    alice.submit("/config/reload", &[]).await;
    let page = alice.get("/config").await;
    assert!(page.body.contains("generation 2"), "{}", page.body);
    assert!(!page.body.contains("was refused"), "{}", page.body);
}

on_both_backends!(the_page_shows_files_and_a_refused_reload);
