//! Probes on both backends: pagerbound requests a loopback target the
//! test controls; while it answers, the probe's SLO counts good events;
//! when it fails, the SLO burns and its page opens. Over HTTPS, a server
//! behind a private CA is trusted through the probe's `ca_file`, and a
//! certificate that expires too soon makes every run bad.

mod common;

use axum::http::StatusCode;
use common::{TestServer, config_with, eventually, integrations};
use pagerbound_testkit::Backend;
use serde_json::json;
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicU16, Ordering};
use tokio_rustls::rustls;

const INGEST_TOKEN: &str = "test-checkout-token-0123456789ab";

/// A loopback server whose `/health` answers the status in `status`.
async fn target(status: Arc<AtomicU16>) -> String {
    let app = axum::Router::new().route(
        "/health",
        axum::routing::get(move || {
            let status = status.load(Ordering::SeqCst);
            async move {
                let code = StatusCode::from_u16(status).unwrap_or(StatusCode::OK);
                (code, if code.is_success() { "all ok" } else { "down" })
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind the target");
    let address = listener.local_addr().expect("address");
    tokio::spawn(async move { axum::serve(listener, app).await });
    format!("http://{address}/health")
}

/// A loopback server that counts its requests, and one that redirects
/// to it.
async fn redirecting() -> (String, Arc<AtomicU16>) {
    let hits = Arc::new(AtomicU16::new(0));
    let counted = hits.clone();
    let elsewhere = axum::Router::new().fallback(move || {
        counted.fetch_add(1, Ordering::SeqCst);
        async { "reached" }
    });
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let away = format!("http://{}/", listener.local_addr().expect("address"));
    tokio::spawn(async move { axum::serve(listener, elsewhere).await });
    let moved = axum::Router::new().fallback(move || {
        let away = away.clone();
        async move { axum::response::Redirect::temporary(&away) }
    });
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let url = format!("http://{}/", listener.local_addr().expect("address"));
    tokio::spawn(async move { axum::serve(listener, moved).await });
    (url, hits)
}

async fn start(backend: Backend, url: &str, moved: &str) -> TestServer {
    let files = config_with(vec![
        integrations(&[("checkout", INGEST_TOKEN)]),
        (
            "slos.yaml",
            format!(
                "\
probes:
  - name: checkout-home
    url: {url}
    interval: 1s
    timeout: 1s
    expect: {{status: [200], body_contains: ok}}
  - name: moved
    url: {moved}
    interval: 1s
    timeout: 1s
slos:
  - name: moved
    service: checkout
    sli: {{source: probe, probe: moved}}
    objective: 90
    window: 7d
  - name: checkout-home
    service: checkout
    sli: {{source: probe, probe: checkout-home}}
    objective: 90
    window: 7d
    alerting:
      - {{long: 3m, short: 2m, burn_rate: 2, severity: page}}
"
            ),
        ),
        (
            "routes.yaml",
            "\
routes:
  service: checkout
  class: ticket
  group_by: [slo]
  group_wait: 0s
  group_interval: 300ms
  routes:
    - name: checkout-slo
      matchers: ['slo=~\".+\"', 'severity=\"page\"']
      class: page
"
            .to_owned(),
        ),
    ]);
    TestServer::start_on(backend, &files).await
}

async fn a_failing_probe_opens_its_slos_page(backend: Backend) {
    let status = Arc::new(AtomicU16::new(200));
    let url = target(status.clone()).await;
    let (moved, hits) = redirecting().await;
    let test = start(backend, &url, &moved).await;

    let healthy = eventually("good probe runs", || async {
        let slo = test.get_json("/api/v1/slos/checkout-home").await;
        (slo["events"]["total"].as_f64()? >= 2.0).then_some(slo)
    })
    .await;
    assert_eq!(healthy["events"]["good"], healthy["events"]["total"]);
    assert_eq!(healthy["alert_state"], "ok");
    assert_eq!(
        healthy["sli"],
        json!({"source": "probe", "probe": "checkout-home"})
    );

    // Its events come from the probe, not from pushes.
    let pushed = test
        .post_json(
            "/api/v1/slis/checkout-home/events",
            INGEST_TOKEN,
            &json!([{"timestamp": jiff::Timestamp::now().to_string(), "good": 1, "total": 1}]),
        )
        .await;
    assert_eq!(pushed.status(), 409);

    // A redirect is not followed: the probe reaches only what the
    // configuration names, and a 307 is not a success.
    let moved = eventually("runs of the redirected probe", || async {
        let slo = test.get_json("/api/v1/slos/moved").await;
        (slo["events"]["total"].as_f64()? >= 1.0).then_some(slo)
    })
    .await;
    assert_eq!(moved["events"]["good"], 0.0);
    assert_eq!(hits.load(Ordering::SeqCst), 0, "the redirect was followed");

    status.store(503, Ordering::SeqCst);
    let page = eventually("the probe SLO's page", || async {
        let pages = test.get_json("/api/v1/pages").await;
        pages
            .as_array()?
            .iter()
            .find(|p| p["group_labels"]["slo"] == "checkout-home")
            .cloned()
    })
    .await;
    assert_eq!(page["route"], "checkout-slo");
    let id = page["id"].as_i64().expect("id");
    let shown = test.get_json(&format!("/api/v1/pages/{id}")).await;
    assert_eq!(shown["alerts"][0]["labels"]["slo"], "checkout-home");
    let burning = test.get_json("/api/v1/slos/checkout-home").await;
    assert!(burning["events"]["good"].as_f64() < burning["events"]["total"].as_f64());
    test.stop().await;
}

/// A private certificate authority, as a company runs for its internal
/// services.
struct TestCa {
    issuer: rcgen::Issuer<'static, rcgen::KeyPair>,
    pem: String,
}

impl TestCa {
    fn new() -> TestCa {
        let key = rcgen::KeyPair::generate().expect("CA key");
        let mut params = rcgen::CertificateParams::new(Vec::<String>::new()).expect("CA params");
        params
            .distinguished_name
            .push(rcgen::DnType::CommonName, "pagerbound test CA");
        params.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
        params.key_usages = vec![
            rcgen::KeyUsagePurpose::KeyCertSign,
            rcgen::KeyUsagePurpose::CrlSign,
        ];
        let pem = params.self_signed(&key).expect("CA certificate").pem();
        TestCa {
            issuer: rcgen::Issuer::new(params, key),
            pem,
        }
    }

    /// A certificate for 127.0.0.1 that expires at midnight (UTC) `days`
    /// from today, and its key.
    fn leaf(&self, days: i64) -> (Vec<u8>, Vec<u8>) {
        let expires = jiff::Timestamp::now()
            .to_zoned(jiff::tz::TimeZone::UTC)
            .date()
            .checked_add(jiff::Span::new().days(days))
            .expect("a date");
        let key = rcgen::KeyPair::generate().expect("leaf key");
        let mut params =
            rcgen::CertificateParams::new(vec!["localhost".to_owned(), "127.0.0.1".to_owned()])
                .expect("leaf params");
        params.not_after = rcgen::date_time_ymd(
            i32::from(expires.year()),
            u8::try_from(expires.month()).expect("month"),
            u8::try_from(expires.day()).expect("day"),
        );
        params.extended_key_usages = vec![rcgen::ExtendedKeyUsagePurpose::ServerAuth];
        let leaf = params
            .signed_by(&key, &self.issuer)
            .expect("leaf certificate");
        (leaf.der().to_vec(), key.serialize_der())
    }
}

/// Accepts TLS connections for `axum::serve`.
struct TlsListener {
    tcp: tokio::net::TcpListener,
    tls: tokio_rustls::TlsAcceptor,
}

impl axum::serve::Listener for TlsListener {
    type Io = tokio_rustls::server::TlsStream<tokio::net::TcpStream>;
    type Addr = SocketAddr;

    async fn accept(&mut self) -> (Self::Io, Self::Addr) {
        loop {
            let Ok((tcp, address)) = self.tcp.accept().await else {
                tokio::time::sleep(std::time::Duration::from_millis(10)).await;
                continue;
            };
            // A client that does not trust the certificate hangs up
            // during the handshake: nothing to serve.
            if let Ok(tls) = self.tls.accept(tcp).await {
                return (tls, address);
            }
        }
    }

    fn local_addr(&self) -> std::io::Result<Self::Addr> {
        self.tcp.local_addr()
    }
}

/// A loopback HTTPS server whose certificate, issued by `ca`, expires in
/// `days`; `/health` answers 200.
async fn https_target(ca: &TestCa, days: i64) -> String {
    let (leaf, key) = ca.leaf(days);
    // Both of rustls's crypto providers are in the build (sqlx brings
    // ring): name one rather than rely on a process default.
    let config = rustls::ServerConfig::builder_with_provider(Arc::new(
        rustls::crypto::aws_lc_rs::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .expect("protocol versions")
    .with_no_client_auth()
    .with_single_cert(
        vec![rustls::pki_types::CertificateDer::from(leaf)],
        rustls::pki_types::PrivateKeyDer::Pkcs8(key.into()),
    )
    .expect("server certificate");
    let tcp = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind the HTTPS target");
    let address = tcp.local_addr().expect("address");
    let listener = TlsListener {
        tcp,
        tls: tokio_rustls::TlsAcceptor::from(Arc::new(config)),
    };
    let app = axum::Router::new().route("/health", axum::routing::get(|| async { "all ok" }));
    tokio::spawn(async move { axum::serve(listener, app).await });
    format!("https://{address}/health")
}

/// The SLO of probe `name` once it has counted two runs.
async fn runs(test: &TestServer, name: &str) -> serde_json::Value {
    eventually(&format!("runs of probe {name}"), || async {
        let slo = test.get_json(&format!("/api/v1/slos/{name}")).await;
        (slo["events"]["total"].as_f64()? >= 2.0).then_some(slo)
    })
    .await
}

async fn a_certificate_about_to_expire_makes_runs_bad(backend: Backend) {
    let ca = TestCa::new();
    let expiring = https_target(&ca, 5).await;
    let renewed = https_target(&ca, 90).await;
    let probe = |name: &str, url: &str, ca_file: &str| {
        format!(
            "  - name: {name}
    url: {url}
    interval: 1s
    timeout: 1s
{ca_file}    expect: {{status: [200], certificate_expires_after: 30d}}
"
        )
    };
    let slo = |name: &str| {
        format!(
            "  - name: {name}
    service: checkout
    sli: {{source: probe, probe: {name}}}
    objective: 90
    window: 7d
"
        )
    };
    let trusted = "    ca_file: certs/ca.pem\n";
    let files = config_with(vec![
        ("certs/ca.pem", ca.pem.clone()),
        (
            "slos.yaml",
            format!(
                "probes:\n{}{}{}slos:\n{}{}{}",
                probe("expiring", &expiring, trusted),
                probe("renewed", &renewed, trusted),
                probe("untrusted", &renewed, ""),
                slo("expiring"),
                slo("renewed"),
                slo("untrusted"),
            ),
        ),
    ]);
    let test = TestServer::start_on(backend, &files).await;

    // Trusted through the CA file, and valid for 90 days: good.
    let renewed = runs(&test, "renewed").await;
    assert_eq!(renewed["events"]["good"], renewed["events"]["total"]);
    // Just as trusted, but it expires within the 30 days expected: bad.
    let expiring = runs(&test, "expiring").await;
    assert_eq!(expiring["events"]["good"], 0.0, "{expiring}");
    // The same server without the CA file is not trusted: verification
    // is never skipped.
    let untrusted = runs(&test, "untrusted").await;
    assert_eq!(untrusted["events"]["good"], 0.0, "{untrusted}");

    // A reload reads the CA file again: once it names another authority,
    // the server that was trusted no longer is.
    test.write_config(&[("certs/ca.pem", &TestCa::new().pem)]);
    assert_eq!(test.reload().await.status(), 200);
    eventually("a bad run of probe renewed", || async {
        let slo = test.get_json("/api/v1/slos/renewed").await;
        (slo["events"]["good"].as_f64()? < slo["events"]["total"].as_f64()?).then_some(())
    })
    .await;
    test.stop().await;
}

on_both_backends!(
    a_failing_probe_opens_its_slos_page,
    a_certificate_about_to_expire_makes_runs_bad
);
