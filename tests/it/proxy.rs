//! `serve --proxy`: undocumented requests go to a real backend (a small
//! hyper server started here), documented ones are answered by the mock;
//! `--proxy-all --strict` checks the backend's answers against the
//! contract.

use std::convert::Infallible;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use apib_mock::{ProxyConfig, ServeConfig};
use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::service::service_fn;
use hyper::{Request, Response};
use hyper_util::rt::TokioIo;
use serde_json::{Value, json};

use crate::support::TestServer;

/// A backend that echoes what it got as JSON (status 201, `X-Backend`),
/// answers `/big` with 4 MiB, and `/retailers/api/v1/agents` with a body
/// that drifted from the seed's contract.
struct Backend {
    url: String,
    hits: Arc<AtomicUsize>,
}

async fn backend() -> Backend {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let url = format!("http://{}", listener.local_addr().expect("addr"));
    let hits = Arc::new(AtomicUsize::new(0));
    let counted = hits.clone();
    tokio::spawn(async move {
        loop {
            let Ok((stream, _)) = listener.accept().await else {
                return;
            };
            let hits = counted.clone();
            tokio::spawn(async move {
                let service = service_fn(move |req: Request<hyper::body::Incoming>| {
                    hits.fetch_add(1, Ordering::Relaxed);
                    async move {
                        let (parts, body) = req.into_parts();
                        let body = body
                            .collect()
                            .await
                            .map(|b| b.to_bytes())
                            .unwrap_or_default();
                        let res = match parts.uri.path() {
                            "/big" => Response::new(Full::new(Bytes::from(vec![b'x'; 4 << 20]))),
                            "/retailers/api/v1/agents" => {
                                let mut res = Response::new(Full::new(Bytes::from(
                                    r#"{"agents": [{"id": "2763", "first_name": "Agent"}]}"#,
                                )));
                                res.headers_mut().insert(
                                    "content-type",
                                    "application/json; charset=utf-8".parse().expect("value"),
                                );
                                res
                            }
                            _ => {
                                let header = |n: &str| {
                                    parts
                                        .headers
                                        .get(n)
                                        .and_then(|v| v.to_str().ok())
                                        .map(str::to_string)
                                };
                                let echo = json!({
                                    "method": parts.method.as_str(),
                                    "path": parts.uri.path(),
                                    "query": parts.uri.query(),
                                    "host": header("host"),
                                    "custom": header("x-custom"),
                                    "via": header("via"),
                                    "body": String::from_utf8_lossy(&body),
                                });
                                let mut res =
                                    Response::new(Full::new(Bytes::from(echo.to_string())));
                                *res.status_mut() = hyper::StatusCode::CREATED;
                                res.headers_mut()
                                    .insert("x-backend", "yes".parse().expect("value"));
                                res
                            }
                        };
                        Ok::<_, Infallible>(res)
                    }
                });
                let _ = hyper::server::conn::http1::Builder::new()
                    .serve_connection(TokioIo::new(stream), service)
                    .await;
            });
        }
    });
    Backend { url, hits }
}

fn proxied(url: &str, all: bool, strict: bool) -> TestServer {
    let mut config = ServeConfig::default();
    config.proxy = Some(ProxyConfig::new(url, all).expect("a backend URL"));
    config.max_body = 1 << 20;
    if strict {
        TestServer::strict_with("specs/retailers.apib", config)
    } else {
        TestServer::with_config("specs/retailers.apib", config)
    }
}

#[tokio::test]
async fn undocumented_requests_go_to_the_backend_and_documented_ones_do_not() {
    let backend = backend().await;
    let server = proxied(&backend.url, false, false);
    let client = reqwest::Client::new();
    let res = client
        .post(server.url("/not/documented?x=1&y=2"))
        .header("X-Custom", "kept")
        .body("raw body, unchanged")
        .send()
        .await
        .expect("answered");
    assert_eq!(res.status(), 201);
    assert_eq!(res.headers()["x-backend"], "yes");
    assert_eq!(res.headers()["apib-mock-match"], "proxied");
    let echo: Value = res.json().await.expect("the backend's JSON");
    assert_eq!(echo["method"], "POST");
    assert_eq!(echo["path"], "/not/documented");
    assert_eq!(echo["query"], "x=1&y=2");
    assert_eq!(echo["host"], backend.url.trim_start_matches("http://"));
    assert_eq!(echo["custom"], "kept");
    assert_eq!(echo["via"], "1.1 apib-mock");
    assert_eq!(echo["body"], "raw body, unchanged");
    assert_eq!(backend.hits.load(Ordering::Relaxed), 1);

    // A documented request: the mock answers, the backend never sees it.
    let res = client
        .get(server.url("/retailers/api/v1/agents"))
        .send()
        .await
        .expect("answered");
    assert_eq!(
        res.headers()["apib-mock-transaction"],
        "Agents > Agents > Get agents > #1"
    );
    assert_eq!(backend.hits.load(Ordering::Relaxed), 1);

    // A browser's preflight is the mock's to answer (CORS for
    // development), even for a route only the backend serves.
    let res = client
        .request(reqwest::Method::OPTIONS, server.url("/not/documented"))
        .header("Origin", "http://localhost:5173")
        .header("Access-Control-Request-Method", "PATCH")
        .header("Access-Control-Request-Headers", "x-custom")
        .send()
        .await
        .expect("answered");
    assert_eq!(res.status(), 204);
    assert_eq!(
        res.headers()["access-control-allow-origin"],
        "http://localhost:5173"
    );
    assert_eq!(res.headers()["access-control-allow-methods"], "PATCH");
    assert_eq!(backend.hits.load(Ordering::Relaxed), 1);
    // And the backend's answers carry the mock's CORS headers.
    let res = client
        .get(server.url("/not/documented"))
        .header("Origin", "http://localhost:5173")
        .send()
        .await
        .expect("answered");
    assert_eq!(
        res.headers()["access-control-allow-origin"],
        "http://localhost:5173"
    );
    assert_eq!(backend.hits.load(Ordering::Relaxed), 2);
    // A site on the internet gets no CORS from the mock for the backend's
    // data (its preflight goes to the backend, which decides).
    let res = client
        .get(server.url("/not/documented"))
        .header("Origin", "https://evil.example")
        .header("Cookie", "session=abc")
        .send()
        .await
        .expect("answered");
    assert!(res.headers().get("access-control-allow-origin").is_none());
    let res = client
        .request(reqwest::Method::OPTIONS, server.url("/not/documented"))
        .header("Origin", "https://evil.example")
        .header("Access-Control-Request-Method", "GET")
        .send()
        .await
        .expect("answered");
    assert!(res.headers().get("access-control-allow-origin").is_none());
    assert_eq!(backend.hits.load(Ordering::Relaxed), 4);

    // A large answer streams through whole.
    let big = client
        .get(server.url("/big"))
        .send()
        .await
        .expect("answered")
        .bytes()
        .await
        .expect("the body");
    assert_eq!(big.len(), 4 << 20);

    // The limits stay: a body over --max-body is refused, not forwarded.
    let res = client
        .post(server.url("/not/documented"))
        .body(vec![b'y'; 2 << 20])
        .send()
        .await
        .expect("answered");
    assert_eq!(res.status(), 413);
    assert_eq!(backend.hits.load(Ordering::Relaxed), 5);

    // The journal says what was proxied.
    let journal: Value = client
        .get(server.url("/__mock/requests"))
        .send()
        .await
        .expect("journal")
        .json()
        .await
        .expect("JSON");
    let first = &journal["requests"][0];
    assert_eq!(first["path"], "/not/documented");
    assert_eq!(first["problem"], "proxied");
    assert_eq!(first["status"], 201);
    assert_eq!(
        first["body"], "raw body, unchanged",
        "the streamed body's first bytes are journaled"
    );
}

#[tokio::test]
async fn proxy_all_in_strict_mode_reports_a_drifted_answer() {
    let backend = backend().await;
    let server = proxied(&backend.url, true, true);
    let client = reqwest::Client::new();
    let res = client
        .get(server.url("/retailers/api/v1/agents"))
        .header("Slug", "test-connection")
        .header("Api-Key", "k")
        .send()
        .await
        .expect("answered");
    assert_eq!(res.status(), 200);
    assert_eq!(res.headers()["apib-mock-match"], "proxied");
    let violations: Value = serde_json::from_str(
        res.headers()["apib-mock-violations"]
            .to_str()
            .expect("ASCII"),
    )
    .expect("JSON");
    let at: Vec<&str> = violations
        .as_array()
        .expect("a list")
        .iter()
        .filter_map(|v| v["at"].as_str())
        .collect();
    assert!(at.contains(&"/agents/0/id"), "{violations}");
    assert!(at.contains(&"/agents/0/email"), "{violations}");
    let body: Value = res.json().await.expect("the backend's body, unchanged");
    assert_eq!(body["agents"][0]["id"], "2763");
    assert_eq!(backend.hits.load(Ordering::Relaxed), 1);
    let journal: Value = client
        .get(server.url("/__mock/requests"))
        .send()
        .await
        .expect("journal")
        .json()
        .await
        .expect("JSON");
    assert!(
        journal["requests"][0]["violations"]
            .as_array()
            .is_some_and(|v| !v.is_empty())
    );
}

#[tokio::test]
async fn an_unreachable_backend_is_a_502_problem() {
    // A port nothing listens on.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a port")
        .port();
    let server = proxied(&format!("http://127.0.0.1:{port}"), false, false);
    let res = reqwest::get(server.url("/not/documented"))
        .await
        .expect("answered");
    crate::support::problem(res, 502, "proxy-failed").await;
    assert!(ProxyConfig::new("ftp://example.com", false).is_err());
    assert!(ProxyConfig::new("localhost:8080", false).is_err());
}

/// `apib-mock record` (the binary) against the backend: the draft holds
/// what was not documented, `check` accepts it, and `serve` answers from
/// it what the backend answered.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn record_writes_a_draft_that_check_accepts_and_serve_answers() {
    use std::io::BufRead as _;
    let backend = backend().await;
    let dir = tempfile::tempdir().expect("temp dir");
    let draft = dir.path().join("draft.apib");
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_apib-mock"))
        .args(["record", "--proxy", &backend.url, "--out"])
        .arg(&draft)
        .args(["--port", "0", "--log-format", "off"])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .spawn()
        .expect("record starts");
    let mut lines = std::io::BufReader::new(child.stdout.take().expect("stdout")).lines();
    let first = lines.next().expect("a line").expect("text");
    let base = first
        .strip_prefix("apib-mock: listening on ")
        .unwrap_or_else(|| panic!("{first}"))
        .to_string();
    let client = reqwest::Client::new();
    let answers = [
        client
            .get(format!("{base}/orders/1042?status=open"))
            .header("X-Custom", "c")
            .header("Authorization", "Bearer secret")
            .send(),
        client
            .post(format!("{base}/orders"))
            .json(&json!({"item": "tea", "qty": 2}))
            .send(),
        client.get(format!("{base}/orders/1043")).send(),
    ];
    let mut bodies = Vec::new();
    for answer in answers {
        let res = answer.await.expect("answered");
        assert_eq!(res.headers()["apib-mock-match"], "proxied");
        bodies.push(res.json::<Value>().await.expect("JSON"));
    }
    let _ = child.kill();
    let _ = child.wait();

    // The draft: one resource per inferred template, credentials left out.
    let text = std::fs::read_to_string(&draft).expect("the draft is written");
    assert!(text.contains("## Order [/orders/{id}{?status}]"), "{text}");
    assert!(text.contains("+ id: `1042` (string, required)"), "{text}");
    assert!(text.contains("## Orders [/orders]"), "{text}");
    assert!(text.contains("### POST orders [POST]"), "{text}");
    assert!(text.contains("x-custom: c"), "{text}");
    assert!(!text.contains("secret"), "credentials stay out: {text}");
    assert_eq!(text.matches("### GET order [GET]").count(), 1, "{text}");

    let check = crate::support::run(&["check", draft.to_str().expect("utf-8")]);
    assert!(check.status.success(), "{}", crate::support::stderr(&check));

    // Served, the draft answers what the backend answered.
    let startup = apib_mock::prepare(&[draft.display().to_string()], false, Some("/__mock"))
        .expect("the draft serves");
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let server =
        apib_mock::RunningServer::start_live(listener, startup.live, ServeConfig::default())
            .expect("starts");
    let res = client
        .get(server.url("/orders/1042?status=open"))
        .send()
        .await
        .expect("answered");
    assert_eq!(res.status(), 201);
    assert!(res.headers().get("apib-mock-transaction").is_some());
    let served: Value = res.json().await.expect("JSON");
    assert_eq!(served, bodies[0]);
    let created: Value = client
        .post(server.url("/orders"))
        .json(&json!({"item": "tea", "qty": 2}))
        .send()
        .await
        .expect("answered")
        .json()
        .await
        .expect("JSON");
    assert_eq!(created, bodies[1]);
}

/// An `https://` backend (the mock itself, serving HTTPS with a
/// self-signed certificate): trusted with `ca_cert`, refused without.
#[tokio::test]
async fn an_https_backend_is_trusted_by_its_certificate() {
    let dir = tempfile::tempdir().expect("temp dir");
    let made = rcgen::generate_simple_self_signed(vec!["localhost".into(), "127.0.0.1".into()])
        .expect("a certificate");
    let cert = dir.path().join("cert.pem");
    let key = dir.path().join("key.pem");
    std::fs::write(&cert, made.cert.pem()).expect("written");
    std::fs::write(&key, made.signing_key.serialize_pem()).expect("written");
    let mut tls = ServeConfig::default();
    tls.tls = Some(apib_mock::TlsIdentity::new(&cert, &key));
    let backend = TestServer::with_config("fixtures/sandbox/notes.apib", tls);
    let https = backend.url("");
    assert!(https.starts_with("https://"));

    let mut config = ServeConfig::default();
    let mut proxy = ProxyConfig::new(&https, false).expect("an https backend");
    proxy.ca_cert = Some(cert.clone());
    config.proxy = Some(proxy);
    let server = TestServer::with_config("specs/retailers.apib", config);
    let res = reqwest::get(server.url("/notes/1"))
        .await
        .expect("answered");
    assert_eq!(res.status(), 200);
    assert_eq!(res.headers()["apib-mock-match"], "proxied");
    assert_eq!(
        res.headers()["apib-mock-transaction"],
        "Note > Read a note > #1"
    );

    // Without the certificate the backend is not trusted: no answer from it.
    let mut config = ServeConfig::default();
    config.proxy = Some(ProxyConfig::new(&https, false).expect("an https backend"));
    let untrusting = TestServer::with_config("specs/retailers.apib", config);
    let res = reqwest::get(untrusting.url("/notes/1"))
        .await
        .expect("answered");
    let doc = crate::support::problem(res, 502, "proxy-failed").await;
    assert!(
        doc["detail"]
            .as_str()
            .is_some_and(|d| d.to_lowercase().contains("certificate")),
        "{doc}"
    );
}

/// The simulated network applies to proxied answers too.
#[tokio::test]
async fn delays_and_faults_apply_to_proxied_answers() {
    let backend = backend().await;
    let mut config = ServeConfig::default();
    config.proxy = Some(ProxyConfig::new(&backend.url, false).expect("a backend URL"));
    let server = TestServer::with_config("specs/retailers.apib", config);
    let client = reqwest::Client::new();
    let started = std::time::Instant::now();
    let res = client
        .get(server.url("/not/documented"))
        .header("Prefer", "delay=300ms")
        .send()
        .await
        .expect("answered");
    assert_eq!(res.status(), 201);
    assert!(started.elapsed() >= std::time::Duration::from_millis(300));
    let res = client
        .get(server.url("/not/documented"))
        .header("Prefer", "fault=malformed")
        .send()
        .await
        .expect("answered");
    let body = res.text().await.expect("a body");
    assert!(!body.is_empty());
    assert!(
        serde_json::from_str::<Value>(&body).is_err(),
        "cut in half: {body}"
    );
}
