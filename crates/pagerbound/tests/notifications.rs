//! Notifications reach people: signed webhooks with one idempotency key per
//! bundle, retries until the receiver recovers, the fallback channel when
//! it never does, one bundle per contact method in a flood, and nothing
//! lost when the server is killed mid-send.

mod support;

use base64::Engine as _;
use hmac::{Hmac, KeyInit, Mac};
use serde_json::{Value, json};
use sha2::Sha256;
use std::collections::BTreeSet;
use std::time::Duration;
use support::receiver::{Received, Receiver, Reply};
use support::{PATIENCE, Pagerbound, integration_token, wait_until};

const SECRET: &str = "test-signing-secret-0123456789";
const NTFY_TOKEN: &str = "tk_ntfy_test_token";
const TWILIO_TOKEN: &str = "twilio-auth-token-test";

/// The checkout service owned by alice's team; alerts that name an SLO are
/// pages, one group per alertname, sent at once. `channels`, `contacts`
/// and `notifications` are YAML fragments.
fn config(digest: &str, channels: &str, contacts: &str, notifications: &str) -> String {
    format!(
        r#"settings:
  external_url: https://pagerbound.example.com/
  notifications: {notifications}
teams:
  - name: payments
    members: [alice]
users:
  - name: alice
    time_zone: Europe/Dublin
    contact_methods: {contacts}
channels: {channels}
services:
  - name: checkout
    team: payments
    runbook: https://runbooks.example.com/checkout
integrations:
  - name: prometheus
    token: {{ sha256: {digest} }}
routes:
  service: checkout
  class: ticket
  group_by: [alertname]
  group_wait: 0s
  group_interval: 1s
  repeat_interval: 1h
  routes:
    - name: checkout-slo
      matchers: ['slo=~".+"']
      service: checkout
      class: page
"#
    )
}

/// A server with this configuration (and the webhook secret file), started.
fn serve(channels: &str, contacts: &str, notifications: &str) -> (Pagerbound, String) {
    let (token, digest) = integration_token("prometheus");
    let mut server = Pagerbound::configure(&[
        (
            "pagerbound.yaml",
            &config(&digest, channels, contacts, notifications),
        ),
        ("hook.secret", SECRET),
        ("ntfy.token", NTFY_TOKEN),
        ("twilio.token", TWILIO_TOKEN),
    ]);
    server.start();
    (server, token)
}

/// Posts SLO alerts named `names` to the Alertmanager API.
fn fire(server: &Pagerbound, token: &str, names: &[String]) {
    let alerts: Vec<Value> = names
        .iter()
        .map(|name| {
            json!({
                "labels": {"alertname": name, "service": "checkout", "slo": "availability"},
                "annotations": {"summary": format!("{name} is burning the error budget")},
                "endsAt": "2099-01-01T00:00:00Z"
            })
        })
        .collect();
    let (status, body) = server.post(
        "/api/v2/alerts",
        &format!("Bearer {token}"),
        &Value::Array(alerts).to_string(),
    );
    assert_eq!(status, 200, "{body}");
}

fn fire_one(server: &Pagerbound, token: &str, name: &str) {
    fire(server, token, &[name.to_owned()]);
}

fn webhook(name: &str, receiver: &Receiver) -> String {
    format!(
        "{{name: {name}, type: webhook, url: '{}', signing_secret: {{file: hook.secret}}}}",
        receiver.url(&format!("/{name}"))
    )
}

/// The messages of one webhook request.
fn messages(request: &Received) -> Vec<Value> {
    request.json()["messages"]
        .as_array()
        .expect("messages")
        .clone()
}

fn keys(requests: &[Received]) -> BTreeSet<String> {
    requests
        .iter()
        .map(|r| {
            r.header("idempotency-key")
                .expect("Idempotency-Key")
                .to_owned()
        })
        .collect()
}

/// The outbox as the API shows it.
fn notifications(server: &Pagerbound, viewer: &str) -> Vec<Value> {
    server
        .get_json("/api/v1/notifications", viewer)
        .as_array()
        .expect("a list")
        .clone()
}

fn verify_signature(request: &Received) {
    let timestamp = request
        .header("x-pagerbound-timestamp")
        .expect("X-Pagerbound-Timestamp");
    let seconds: i64 = timestamp.parse().expect("Unix seconds");
    let now = jiff::Timestamp::now().as_second();
    assert!(
        (now - seconds).abs() < 600,
        "the timestamp {seconds} is not now ({now})"
    );
    let mut mac = Hmac::<Sha256>::new_from_slice(SECRET.as_bytes()).expect("key");
    mac.update(format!("{timestamp}.{}", request.body).as_bytes());
    let expected = format!("sha256={}", hex::encode(mac.finalize().into_bytes()));
    assert_eq!(
        request.header("x-pagerbound-signature"),
        Some(expected.as_str()),
        "the signature does not verify with the channel's secret"
    );
}

#[test]
fn a_page_reaches_a_webhook_signed_and_with_its_idempotency_key() {
    let receiver = Receiver::start();
    let (server, token) = serve(
        &format!("[{}]", webhook("hook", &receiver)),
        "[{channel: hook}]",
        "{}",
    );
    let viewer = server.create_token("alice", "viewer");
    fire_one(&server, &token, "HighErrorRate");

    let request = receiver.wait_for(1).remove(0);
    assert_eq!(request.method, "POST");
    assert_eq!(request.path, "/hook");
    assert_eq!(request.header("content-type"), Some("application/json"));
    verify_signature(&request);
    let body = request.json();
    assert_eq!(body["version"], 1);
    assert_eq!(
        body["idempotency_key"].as_str(),
        request.header("idempotency-key"),
        "the key in the body is the key in the header"
    );
    assert_eq!(body["destination"]["user"], "alice");
    let sent = messages(&request);
    assert_eq!(sent.len(), 1, "{body:#}");
    let message = &sent[0];
    assert_eq!(message["subject"], "page");
    assert_eq!(message["event"], "triggered");
    assert_eq!(message["service"], "checkout");
    assert_eq!(message["runbook"], "https://runbooks.example.com/checkout");
    assert_eq!(message["page"]["route"], "checkout-slo");
    let alert = &message["alerts"][0];
    assert_eq!(alert["labels"]["alertname"], "HighErrorRate");
    assert_eq!(
        alert["annotations"]["summary"],
        "HighErrorRate is burning the error budget"
    );
    assert_eq!(alert["firing"], true);
    let page_id = message["page"]["id"].as_i64().expect("page id");
    assert_eq!(
        message["links"]["view"],
        format!("https://pagerbound.example.com/api/v1/pages/{page_id}")
    );

    // The outbox records it as delivered, under the same key.
    let outbox = wait_until(PATIENCE, "the notification recorded as delivered", || {
        let list = notifications(&server, &viewer);
        match list.first() {
            Some(n) if n["state"] == "delivered" => Ok(list),
            _ => Err(format!("{list:#?}")),
        }
    });
    assert_eq!(outbox.len(), 1);
    assert_eq!(outbox[0]["page_id"], page_id);
    assert_eq!(outbox[0]["attempts"], 1);
    assert_eq!(
        outbox[0]["bundle"].as_str(),
        request.header("idempotency-key")
    );
    let (status, body) = server.get("/api/v1/notifications?state=sideways", &viewer);
    assert_eq!(status, 400, "{body}");
    assert!(body.contains("unknown state `sideways`"), "{body}");
    assert!(
        outbox[0]["message"]["links"].get("acknowledge").is_none(),
        "the outbox API does not hand out links that act without a token"
    );

    // The acknowledge link in the message works when followed (its path,
    // on this server: the external URL is not served here).
    let link: url::Url = message["links"]["acknowledge"]
        .as_str()
        .expect("an acknowledge link")
        .parse()
        .expect("a URL");
    assert!(
        link.as_str()
            .starts_with("https://pagerbound.example.com/a/")
    );
    let (status, body) = support::http(&server.address, "POST", link.path(), None, Some(""));
    assert_eq!(status, 200, "{body}");
    let page = server.get_json(&format!("/api/v1/pages/{page_id}"), &viewer);
    assert_eq!(page["state"], "acknowledged");
    assert_eq!(page["acknowledged_by"], "alice");
    // Which is news for the receiver, who is told, not woken.
    let requests = receiver.wait_for(2);
    let news = &messages(&requests[1])[0];
    assert_eq!(news["event"], "acknowledged");
    assert_eq!(news["actor"], "alice");
    assert!(news["links"].get("acknowledge").is_none(), "{news:#}");
}

#[test]
fn a_failing_receiver_gets_the_notification_once_it_recovers() {
    // Three failures that may pass (503), then success.
    let receiver = Receiver::scripted(|n| if n < 3 { Reply::status(503) } else { Reply::OK });
    let (server, token) = serve(
        &format!("[{}]", webhook("hook", &receiver)),
        "[{channel: hook}]",
        "{max_attempts: 6, first_retry: 200ms, max_retry: 1s}",
    );
    let viewer = server.create_token("alice", "viewer");
    fire_one(&server, &token, "HighErrorRate");

    let requests = receiver.wait_until("a request answered 200", |r| {
        r.iter().any(|r| r.status == 200)
    });
    assert_eq!(requests.len(), 4, "three failures, then the success");
    assert_eq!(keys(&requests).len(), 1, "every attempt has the same key");
    for request in &requests {
        verify_signature(request);
        assert_eq!(messages(request)[0]["event"], "triggered");
    }
    let outbox = wait_until(PATIENCE, "the notification delivered", || {
        let list = notifications(&server, &viewer);
        match list.first() {
            Some(n) if n["state"] == "delivered" => Ok(list),
            _ => Err(format!("{list:#?}")),
        }
    });
    assert_eq!(outbox[0]["attempts"], 4);
}

#[test]
fn a_receiver_that_always_fails_raises_the_fallback_notice() {
    let broken = Receiver::scripted(|_| Reply::status(500));
    let fallback = Receiver::start();
    let (server, token) = serve(
        &format!(
            "[{}, {}]",
            webhook("push", &broken),
            webhook("ops-fallback", &fallback)
        ),
        "[{channel: push}]",
        "{max_attempts: 3, first_retry: 100ms, max_retry: 200ms, fallback_channel: ops-fallback}",
    );
    let viewer = server.create_token("alice", "viewer");
    fire_one(&server, &token, "HighErrorRate");

    let notice = fallback.wait_for(1).remove(0);
    verify_signature(&notice);
    let message = &messages(&notice)[0];
    assert_eq!(message["subject"], "notice");
    assert_eq!(message["event"], "delivery_failed");
    assert_eq!(message["service"], "checkout");
    let text = message["text"].as_str().expect("text");
    assert!(
        text.contains("alice") && text.contains("push") && text.contains("3 times"),
        "the notice says who was not reached, how, and how often it was tried: {text}"
    );
    assert_eq!(broken.received().len(), 3, "exactly max_attempts attempts");
    assert_eq!(keys(&broken.received()).len(), 1);

    let failed = notifications(&server, &viewer)
        .into_iter()
        .find(|n| n["destination"]["channel"] == "push")
        .expect("the failed notification");
    assert_eq!(failed["state"], "failed");
    assert_eq!(failed["attempts"], 3);
    assert!(
        failed["last_error"]
            .as_str()
            .is_some_and(|e| e.contains("500")),
        "{failed:#}"
    );
}

#[test]
fn fifty_pages_at_once_make_one_message_per_contact_method() {
    let phone = Receiver::start();
    let desk = Receiver::start();
    let (server, token) = serve(
        &format!("[{}, {}]", webhook("phone", &phone), webhook("desk", &desk)),
        "[{channel: phone}, {channel: desk}]",
        "{}",
    );
    let viewer = server.create_token("alice", "viewer");
    let names: Vec<String> = (0..50).map(|i| format!("Outage{i:02}")).collect();
    fire(&server, &token, &names);

    for receiver in [&phone, &desk] {
        let requests = receiver.wait_for(1);
        let listed: BTreeSet<String> = messages(&requests[0])
            .iter()
            .map(|m| {
                m["alerts"][0]["labels"]["alertname"]
                    .as_str()
                    .unwrap_or("")
                    .to_owned()
            })
            .collect();
        assert_eq!(
            listed,
            names.iter().cloned().collect::<BTreeSet<_>>(),
            "the first message lists all fifty pages"
        );
    }
    // All fifty pages were planned in that one bundle per destination:
    // nothing is left to send a second message with.
    let outbox = notifications(&server, &viewer);
    assert_eq!(outbox.len(), 100, "50 pages × 2 contact methods");
    assert!(
        outbox.iter().all(|n| n["state"] == "delivered"),
        "{outbox:#?}"
    );
    std::thread::sleep(Duration::from_secs(1));
    assert_eq!(
        phone.received().len(),
        1,
        "one message to the phone, not 50"
    );
    assert_eq!(desk.received().len(), 1, "one message to the desk, not 50");
}

#[test]
fn nothing_is_lost_when_the_server_is_killed_mid_send() {
    // One receiver holds its first answer, so that the server dies with
    // that notification in flight; the other fails its first attempt, so
    // that the server dies with that one pending its retry.
    let slow = Receiver::scripted(|n| {
        if n == 0 {
            Reply::OK.after(Duration::from_secs(30))
        } else {
            Reply::OK
        }
    });
    let flaky = Receiver::scripted(|n| {
        if n == 0 {
            Reply::status(503)
        } else {
            Reply::OK
        }
    });
    let (mut server, token) = serve(
        &format!("[{}, {}]", webhook("slow", &slow), webhook("flaky", &flaky)),
        "[{channel: slow}, {channel: flaky}]",
        "{first_retry: 3s}",
    );
    fire_one(&server, &token, "HighErrorRate");
    slow.wait_for(1);
    flaky.wait_for(1);
    server.kill();

    server.start();
    let viewer = server.create_token("alice", "viewer");
    for receiver in [&slow, &flaky] {
        let requests = receiver.wait_until("a request answered 200 after the restart", |r| {
            r.iter().skip(1).any(|r| r.status == 200)
        });
        assert_eq!(
            keys(&requests).len(),
            1,
            "the attempt before the crash and the one after carry the same key"
        );
        assert!(
            requests
                .iter()
                .all(|r| messages(r)[0]["event"] == "triggered")
        );
    }
    let outbox = wait_until(PATIENCE, "both notifications delivered", || {
        let list = notifications(&server, &viewer);
        if list.len() == 2 && list.iter().all(|n| n["state"] == "delivered") {
            Ok(list)
        } else {
            Err(format!("{list:#?}"))
        }
    });
    assert_eq!(outbox.len(), 2, "none lost, none doubled in the outbox");
}

/// `name=value&...` form fields, decoded.
fn form(body: &str) -> Vec<(String, String)> {
    url::form_urlencoded::parse(body.as_bytes())
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect()
}

fn field<'f>(form: &'f [(String, String)], name: &str) -> &'f str {
    form.iter()
        .find(|(n, _)| n == name)
        .map(|(_, v)| v.as_str())
        .unwrap_or_else(|| panic!("no form field {name} in {form:?}"))
}

#[test]
fn chat_ntfy_sms_and_voice_each_get_the_page_in_their_own_shape() {
    let chat = Receiver::start();
    let ntfy = Receiver::start();
    let twilio = Receiver::start();
    let channels = format!(
        "[{{name: chat, type: chat, url: '{chat}'}},
          {{name: push, type: ntfy, server: '{ntfy}', token: {{file: ntfy.token}}}},
          {{name: sms, type: sms, api_url: '{twilio}', account_sid: AC123,
            auth_token: {{file: twilio.token}}, from: '+15550001111'}},
          {{name: phone, type: voice, api_url: '{twilio}', account_sid: AC123,
            auth_token: {{file: twilio.token}}, from: '+15550001111'}}]",
        chat = chat.url("/hooks/T000/B000"),
        ntfy = ntfy.url("/"),
        twilio = twilio.url("/twilio"),
    );
    let (server, token) = serve(
        &channels,
        "[{channel: chat}, {channel: push, to: alice-pager},
          {channel: sms, to: '+353861234567'}, {channel: phone, to: '+353861234567'}]",
        "{}",
    );
    fire_one(&server, &token, "HighErrorRate");

    let request = chat.wait_for(1).remove(0);
    assert_eq!(request.path, "/hooks/T000/B000");
    let body = request.json();
    let text = body["text"].as_str().expect("text");
    assert!(text.contains("checkout: HighErrorRate"), "{text}");
    assert!(
        text.contains("<https://runbooks.example.com/checkout|Runbook>"),
        "{text}"
    );
    assert!(text.contains("|View>"), "{text}");
    assert!(
        text.contains("/a/") && text.contains("|Acknowledge>"),
        "{text}"
    );
    assert_eq!(body["blocks"][0]["type"], "section");

    let request = ntfy.wait_for(1).remove(0);
    assert_eq!(request.method, "POST");
    assert_eq!(
        request.header("authorization"),
        Some(format!("Bearer {NTFY_TOKEN}").as_str())
    );
    let body = request.json();
    assert_eq!(body["topic"], "alice-pager");
    assert_eq!(body["priority"], 5, "a page is urgent");
    assert!(
        body["title"]
            .as_str()
            .is_some_and(|t| t.starts_with("[PAGE]")),
        "{body:#}"
    );
    assert_eq!(body["tags"][0], "rotating_light");
    assert!(
        body["click"]
            .as_str()
            .is_some_and(|c| c.contains("/api/v1/pages/"))
    );
    // The phone's Acknowledge button posts to the page's signed link.
    let button = &body["actions"][0];
    assert_eq!(button["label"], "Acknowledge");
    assert_eq!(button["method"], "POST");
    let link: url::Url = button["url"].as_str().expect("url").parse().expect("URL");
    let (status, answer) = support::http(&server.address, "POST", link.path(), None, Some(""));
    assert_eq!(status, 200, "{answer}");
    let viewer = server.create_token("alice", "viewer");
    let pages = server.get_json("/api/v1/pages", &viewer);
    assert_eq!(pages[0]["state"], "acknowledged", "{pages:#}");

    let requests = twilio.wait_for(2);
    let basic = format!(
        "Basic {}",
        base64::engine::general_purpose::STANDARD.encode(format!("AC123:{TWILIO_TOKEN}"))
    );
    let sms = requests
        .iter()
        .find(|r| r.path == "/twilio/2010-04-01/Accounts/AC123/Messages.json")
        .expect("a text message");
    assert_eq!(sms.header("authorization"), Some(basic.as_str()));
    let fields = form(&sms.body);
    assert_eq!(field(&fields, "To"), "+353861234567");
    assert_eq!(field(&fields, "From"), "+15550001111");
    assert!(field(&fields, "Body").starts_with("[PAGE]"), "{fields:?}");
    let call = requests
        .iter()
        .find(|r| r.path == "/twilio/2010-04-01/Accounts/AC123/Calls.json")
        .expect("a call");
    assert_eq!(call.header("authorization"), Some(basic.as_str()));
    let fields = form(&call.body);
    assert_eq!(field(&fields, "To"), "+353861234567");
    assert!(
        field(&fields, "Twiml").contains(
            "<Say>pagerbound page for checkout: HighErrorRate is burning the error budget.</Say>"
        ),
        "{fields:?}"
    );
}

#[test]
fn a_paced_phone_gets_what_was_held_in_one_later_message() {
    let twilio = Receiver::start();
    let channels = format!(
        "[{{name: sms, type: sms, api_url: '{}', account_sid: AC123,
            auth_token: {{file: twilio.token}}, from: '+15550001111', min_interval: 3s}}]",
        twilio.url("/")
    );
    let (server, token) = serve(&channels, "[{channel: sms, to: '+353861234567'}]", "{}");
    fire_one(&server, &token, "First");
    let first = twilio.wait_for(1).remove(0);
    assert!(field(&form(&first.body), "Body").contains("First"));

    // Two more pages while the phone is paced: held, not dropped, and
    // sent together once the interval has passed.
    fire_one(&server, &token, "Second");
    fire_one(&server, &token, "Third");
    let requests = twilio.wait_for(2);
    let body = field(&form(&requests[1].body), "Body").to_owned();
    assert!(
        body.starts_with("[pagerbound] 2 notifications: 2 need a responder"),
        "{body}"
    );
    assert!(body.contains("Second") && body.contains("Third"), "{body}");
    std::thread::sleep(Duration::from_secs(1));
    assert_eq!(twilio.received().len(), 2, "three pages, two texts");
}

/// Notification rules: alice is pushed at once and texted five seconds
/// later, only if she has not acknowledged by then. The page she
/// acknowledges is never texted (its text is cancelled, and says why);
/// the one she leaves is texted after the delay.
#[test]
fn a_later_contact_method_is_used_only_while_the_page_is_unacknowledged() {
    let receiver = Receiver::start();
    // The rules ride in after the contact methods, in alice's entry.
    let contacts = "[{name: push, channel: push}, {name: text, channel: text}]
    notification_rules:
      high: [{contact: push}, {contact: text, after: 5s}]";
    let (server, token) = serve(
        &format!(
            "[{}, {}]",
            webhook("push", &receiver),
            webhook("text", &receiver)
        ),
        contacts,
        "{}",
    );
    let alice = server.create_token("alice", "responder");
    fire_one(&server, &token, "Answered");
    let pushed = receiver.wait_for(1);
    assert_eq!(pushed[0].path, "/push");
    let answered = &messages(&pushed[0])[0];
    assert_eq!(answered["title"], "Answered is burning the error budget");
    let answered_id = answered["page"]["id"].as_i64().expect("page id");
    let (status, body) = server.post(
        &format!("/api/v1/pages/{answered_id}/ack"),
        &format!("Bearer {alice}"),
        "{}",
    );
    assert_eq!(status, 200, "{body}");

    let fired = std::time::Instant::now();
    fire_one(&server, &token, "Unanswered");
    let requests = receiver.wait_until("the text of the unanswered page", |received| {
        received.iter().any(|r| r.path == "/text")
    });
    assert!(
        fired.elapsed() >= Duration::from_secs(5),
        "the text waits for its delay"
    );
    let texts: Vec<&Received> = requests.iter().filter(|r| r.path == "/text").collect();
    assert_eq!(texts.len(), 1, "only the unanswered page is texted");
    let titles: Vec<Value> = messages(texts[0])
        .iter()
        .map(|m| m["title"].clone())
        .collect();
    assert_eq!(titles, [json!("Unanswered is burning the error budget")]);

    let viewer = server.create_token("alice", "viewer");
    let cancelled: Vec<Value> = notifications(&server, &viewer)
        .into_iter()
        .filter(|n| n["state"] == "cancelled")
        .collect();
    assert_eq!(cancelled.len(), 1, "{cancelled:?}");
    assert_eq!(cancelled[0]["page_id"], answered_id);
    assert_eq!(cancelled[0]["destination"]["contact"], "text");
    assert_eq!(
        cancelled[0]["last_error"],
        "cancelled: acknowledged by alice"
    );
}

/// A service that holds tickets: one opened outside support hours is
/// recorded at once, and its notification waits for the hours to begin.
#[test]
fn a_ticket_outside_support_hours_is_told_when_they_begin() {
    let receiver = Receiver::start();
    // Support hours that begin in two hours' time (UTC, every day) and
    // last one hour: now is outside them.
    let now = jiff::Timestamp::now();
    let opens = now
        .checked_add(jiff::SignedDuration::from_hours(2))
        .expect("later");
    let opens_at = opens
        .to_zoned(jiff::tz::TimeZone::UTC)
        .strftime("%H:%M")
        .to_string();
    let closes_at = opens
        .checked_add(jiff::SignedDuration::from_hours(1))
        .expect("later")
        .to_zoned(jiff::tz::TimeZone::UTC)
        .strftime("%H:%M")
        .to_string();
    let (token, digest) = integration_token("prometheus");
    let config = config(
        &digest,
        &format!("[{}]", webhook("hook", &receiver)),
        "[{channel: hook}]",
        "{}",
    )
    .replace(
        "    runbook: https://runbooks.example.com/checkout\n",
        &format!(
            "    runbook: https://runbooks.example.com/checkout
    hold_tickets: true
    support_hours:
      time_zone: UTC
      windows: [{{days: mon-sun, start: '{opens_at}', end: '{closes_at}'}}]
"
        ),
    );
    let mut server =
        Pagerbound::configure(&[("pagerbound.yaml", &config), ("hook.secret", SECRET)]);
    server.start();
    // No `slo` label: the route makes it a ticket.
    let (status, body) = server.post(
        "/api/v2/alerts",
        &format!("Bearer {token}"),
        &json!([{"labels": {"alertname": "DiskFilling", "service": "checkout"}}]).to_string(),
    );
    assert_eq!(status, 200, "{body}");
    let viewer = server.create_token("alice", "viewer");
    let held = wait_until(PATIENCE, "the ticket's notification", || {
        notifications(&server, &viewer)
            .into_iter()
            .next()
            .ok_or_else(|| "none yet".to_owned())
    });
    assert_eq!(held["state"], "pending");
    assert_eq!(held["message"]["subject"], "ticket");
    let due: jiff::Timestamp = held["next_attempt_at"]
        .as_str()
        .expect("next_attempt_at")
        .parse()
        .expect("a timestamp");
    // Due at the opening minute (the window starts on the minute).
    let minute = |t: jiff::Timestamp| t.as_second().div_euclid(60);
    assert_eq!(minute(due), minute(opens), "due {due}, hours open {opens}");
    let tickets = server.get_json("/api/v1/tickets", &viewer);
    assert_eq!(
        tickets.as_array().map(Vec::len),
        Some(1),
        "recorded at once"
    );
    std::thread::sleep(Duration::from_secs(1));
    assert!(
        receiver.received().is_empty(),
        "nothing is sent before then"
    );
}
