//! Safe by default: the admin API answers this machine's own tools only
//! (no CORS, a `Host` that names this machine, a token when set),
//! credentials are redacted in the journal, and what a client may hold is
//! bounded (connections, bodies in memory, slow bodies, journal bytes).

use std::time::Duration;

use apib_mock::ServeConfig;
use reqwest::Client;
use serde_json::Value;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use crate::support::{TestServer, problem};

const SPEC: &str = "specs/retailers.apib";
const AGENTS: &str = "/retailers/api/v1/agents";
const NOTIFY: &str = "/retailers/api/v1/whatsapp/send_notification_by_id";

fn serve(f: impl FnOnce(&mut ServeConfig)) -> TestServer {
    let mut config = ServeConfig::default();
    f(&mut config);
    TestServer::with_config(SPEC, config)
}

/// Sends `request` on a fresh connection and reads the answer to the end
/// (the server closes after it, or the request asked it to).
async fn raw(server: &TestServer, request: &[u8]) -> String {
    let mut conn = TcpStream::connect(server.addr()).await.unwrap();
    conn.write_all(request).await.unwrap();
    let mut out = Vec::new();
    tokio::time::timeout(Duration::from_secs(10), conn.read_to_end(&mut out))
        .await
        .expect("the server answers and closes")
        .ok();
    String::from_utf8_lossy(&out).into_owned()
}

/// The journal's first page, with `query`.
async fn journal_page(server: &TestServer, query: &str) -> Value {
    reqwest::get(server.url(&format!("/__mock/requests{query}")))
        .await
        .unwrap()
        .json()
        .await
        .unwrap()
}

/// Sends the head of a POST declaring `declared` body bytes and one byte
/// of it, then waits (at most 10 s) for the server to answer and close:
/// the answer and how long it took.
async fn trickled_body(server: &TestServer, declared: usize) -> (String, Duration) {
    let started = std::time::Instant::now();
    let mut slow = TcpStream::connect(server.addr()).await.unwrap();
    let head = format!(
        "POST {NOTIFY} HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: {declared}\r\n\r\n{{"
    );
    slow.write_all(head.as_bytes()).await.unwrap();
    let mut out = Vec::new();
    tokio::time::timeout(Duration::from_secs(10), slow.read_to_end(&mut out))
        .await
        .expect("the slow body is cut within 10 s")
        .ok();
    (
        String::from_utf8_lossy(&out).into_owned(),
        started.elapsed(),
    )
}

#[tokio::test]
async fn a_web_page_cannot_read_the_journal() {
    let server = serve(|_| {});
    let client = Client::new();
    client
        .get(server.url(AGENTS))
        .header("Authorization", "Bearer app-secret")
        .send()
        .await
        .unwrap();
    for origin in ["http://evil.example", "null", "http://localhost:1"] {
        let res = client
            .get(server.url("/__mock/requests"))
            .header("Origin", origin)
            .send()
            .await
            .unwrap();
        assert!(
            !res.headers().contains_key("access-control-allow-origin"),
            "{origin}"
        );
        let doc = problem(res, 403, "admin-forbidden").await;
        assert!(doc["detail"].as_str().unwrap().contains(origin), "{doc}");
    }
    // The preflight a page would need for DELETE is refused, without CORS.
    let preflight = client
        .request(reqwest::Method::OPTIONS, server.url("/__mock/requests"))
        .header("Origin", "http://evil.example")
        .header("Access-Control-Request-Method", "DELETE")
        .send()
        .await
        .unwrap();
    assert_eq!(preflight.status(), 403);
    assert!(
        !preflight
            .headers()
            .contains_key("access-control-allow-origin")
    );
    // A fetch the browser marks cross-site is refused even without Origin.
    let res = client
        .get(server.url("/__mock/requests"))
        .header("Sec-Fetch-Site", "cross-site")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 403);
    // The same origin (the mock's own address) and tools (no Origin) read it.
    let own = format!("http://{}", server.addr());
    let res = client
        .get(server.url("/__mock/requests"))
        .header("Origin", own)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    // Documented routes keep their CORS.
    let res = client
        .get(server.url(AGENTS))
        .header("Origin", "http://app.example")
        .send()
        .await
        .unwrap();
    assert_eq!(
        res.headers()["access-control-allow-origin"],
        "http://app.example"
    );
}

#[tokio::test]
async fn a_rebound_dns_name_cannot_reach_the_admin_api() {
    let server = serve(|_| {});
    let port = server.addr().port();
    let server = &server;
    let ask = |host: String| {
        let req =
            format!("GET /__mock/status HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n");
        async move { raw(server, req.as_bytes()).await }
    };
    let refused = ask(format!("attacker.example:{port}")).await;
    assert!(refused.starts_with("HTTP/1.1 403"), "{refused}");
    assert!(refused.contains("admin-forbidden"), "{refused}");
    for host in [
        format!("localhost:{port}"),
        format!("127.0.0.1:{port}"),
        format!("app.localhost:{port}"),
        format!("[::1]:{port}"),
        "127.0.0.1".to_string(),
    ] {
        let answer = ask(host.clone()).await;
        assert!(answer.starts_with("HTTP/1.1 200"), "{host}: {answer}");
    }
    // A documented route answers whatever the Host.
    let req =
        format!("GET {AGENTS} HTTP/1.1\r\nHost: attacker.example\r\nConnection: close\r\n\r\n");
    let documented = raw(server, req.as_bytes()).await;
    assert!(documented.starts_with("HTTP/1.1 200"), "{documented}");
}

#[tokio::test]
async fn credentials_are_redacted_in_the_journal_unless_asked() {
    let send = |server: &TestServer| {
        let url = server.url(AGENTS);
        async move {
            Client::new()
                .get(url)
                .header("Authorization", "Bearer a")
                .header("Cookie", "session=b")
                .header("Proxy-Authorization", "Basic c")
                .header("X-Api-Key", "d")
                .header("X-Auth-Token", "e")
                .header("Client-Secret", "f")
                .header("Accept", "application/json")
                .send()
                .await
                .unwrap();
        }
    };
    let headers = |journal: &Value| -> Vec<(String, String)> {
        journal["requests"][0]["headers"]
            .as_array()
            .unwrap()
            .iter()
            .map(|h| (h[0].as_str().unwrap().into(), h[1].as_str().unwrap().into()))
            .collect()
    };
    let server = serve(|_| {});
    send(&server).await;
    let journal = journal_page(&server, "").await;
    let seen = headers(&journal);
    for name in [
        "authorization",
        "cookie",
        "proxy-authorization",
        "x-api-key",
        "x-auth-token",
        "client-secret",
    ] {
        assert!(
            seen.contains(&(name.into(), "[redacted]".into())),
            "{name}: {seen:?}"
        );
    }
    assert!(seen.contains(&("accept".into(), "application/json".into())));

    let server = serve(|c| c.journal_secrets = true);
    send(&server).await;
    let journal = journal_page(&server, "").await;
    let seen = headers(&journal);
    assert!(
        seen.contains(&("authorization".into(), "Bearer a".into())),
        "{seen:?}"
    );
    assert!(seen.contains(&("x-api-key".into(), "d".into())), "{seen:?}");
}

#[tokio::test]
async fn with_a_token_the_admin_api_needs_it() {
    let server = serve(|c| c.admin_token = Some("t0ken".into()));
    let client = Client::new();
    let res = client
        .get(server.url("/__mock/status"))
        .send()
        .await
        .unwrap();
    assert_eq!(
        res.headers()["www-authenticate"],
        "Bearer realm=\"apib-mock admin\""
    );
    problem(res, 401, "admin-unauthorized").await;
    let wrong = client
        .get(server.url("/__mock/status"))
        .bearer_auth("t0keN")
        .send()
        .await
        .unwrap();
    assert_eq!(wrong.status(), 401);
    let right = client
        .get(server.url("/__mock/status"))
        .bearer_auth("t0ken")
        .send()
        .await
        .unwrap();
    assert_eq!(right.status(), 200);
    // With the token, any name reaches it (a LAN host name, say).
    let port = server.addr().port();
    let req = format!(
        "GET /__mock/status HTTP/1.1\r\nHost: devbox.lan:{port}\r\nAuthorization: Bearer t0ken\r\nConnection: close\r\n\r\n"
    );
    let answer = raw(&server, req.as_bytes()).await;
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
    // Documented routes need no token.
    let res = client.get(server.url(AGENTS)).send().await.unwrap();
    assert_eq!(res.status(), 200);
}

#[tokio::test]
async fn bodies_past_the_memory_budget_are_answered_503_and_the_rest_is_served() {
    let server = serve(|c| c.body_budget = 1000);
    // One request holds 700 bytes of the budget: 800 declared, 700 sent.
    let mut holder = TcpStream::connect(server.addr()).await.unwrap();
    holder
        .write_all(
            format!("POST {NOTIFY} HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 800\r\n\r\n{{\"pad\":\"{}", "y".repeat(692)).as_bytes(),
        )
        .await
        .unwrap();
    // Wait until the server holds it: a second body of 500 is refused.
    let client = Client::new();
    let mut refused = None;
    for _ in 0..200 {
        let res = client
            .post(server.url(NOTIFY))
            .header("content-type", "application/json")
            .body(format!("{{\"pad\":\"{}\"}}", "x".repeat(490)))
            .send()
            .await
            .unwrap();
        if res.status() == 503 {
            refused = Some(res);
            break;
        }
        tokio::task::yield_now().await;
    }
    let res = refused.expect("a body past the budget is refused");
    assert_eq!(res.headers()["retry-after"], "1");
    problem(res, 503, "overloaded").await;
    // Requests without a body are not affected.
    let res = client.get(server.url(AGENTS)).send().await.unwrap();
    assert_eq!(res.status(), 200);
    // Once the held body is answered, its bytes are given back.
    holder
        .write_all(format!("{}\"}}", "y".repeat(800 - 700 - 2)).as_bytes())
        .await
        .unwrap();
    let mut head = [0u8; 12];
    holder.read_exact(&mut head).await.unwrap();
    // Answered from the contract (whichever example), not refused.
    let head = String::from_utf8_lossy(&head);
    assert!(
        head.starts_with("HTTP/1.1 ") && !head.ends_with("503") && !head.ends_with("408"),
        "{head}"
    );
    let res = client
        .post(server.url(NOTIFY))
        .header("content-type", "application/json")
        .body(format!("{{\"pad\":\"{}\"}}", "x".repeat(490)))
        .send()
        .await
        .unwrap();
    assert_ne!(res.status(), 503);
}

#[tokio::test]
async fn a_slow_body_is_cut_with_408() {
    let server = serve(|c| c.body_timeout = Duration::from_millis(300));
    let (text, took) = trickled_body(&server, 100).await;
    assert!(text.starts_with("HTTP/1.1 408"), "{text}");
    assert!(text.contains("body-timeout"), "{text}");
    assert!(took >= Duration::from_millis(300));
    // A chunked body trickled forever is cut the same way.
    let req = format!(
        "POST {NOTIFY} HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n1\r\na\r\n"
    );
    let text = raw(&server, req.as_bytes()).await;
    assert!(text.starts_with("HTTP/1.1 408"), "{text}");
}

#[tokio::test]
async fn malformed_chunked_framing_is_a_400() {
    let server = serve(|_| {});
    for chunks in [
        "zz\r\nab\r\n0\r\n\r\n",
        "fffffffffffffffffffff\r\nab\r\n0\r\n\r\n",
    ] {
        let req = format!(
            "POST {NOTIFY} HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n{chunks}"
        );
        let text = raw(&server, req.as_bytes()).await;
        assert!(text.starts_with("HTTP/1.1 400"), "{chunks:?}: {text}");
        assert!(text.contains("urn:apib-mock:problem:bad-request"), "{text}");
    }
    let journal = journal_page(&server, "").await;
    assert_eq!(
        journal["requests"][0]["problem"], "bad-request",
        "{journal}"
    );
}

#[tokio::test]
async fn the_journal_is_bounded_in_bytes_and_cuts_huge_headers() {
    let server = serve(|c| c.journal_bytes = 64 * 1024);
    let client = Client::new();
    for i in 0..20 {
        // 12 KiB of headers: kept whole, so few entries fit.
        client
            .get(server.url(AGENTS))
            .header("X-Big", "v".repeat(12 * 1024))
            .header("X-Seq", i.to_string())
            .send()
            .await
            .unwrap();
    }
    // 40 KiB of one header: cut from the entry.
    client
        .get(server.url(AGENTS))
        .header("X-Huge", "v".repeat(40 * 1024))
        .header("X-Seq", "20")
        .send()
        .await
        .unwrap();
    let journal = journal_page(&server, "?limit=1000").await;
    let bytes = journal["bytes"].as_u64().unwrap();
    assert!(bytes <= 64 * 1024, "{bytes}");
    let kept = journal["requests"].as_array().unwrap();
    assert!(!kept.is_empty() && kept.len() < 10, "{}", kept.len());
    let newest = kept.last().unwrap();
    assert_eq!(newest["id"], 20, "the oldest go first");
    assert!(
        newest["headers_cut"].as_u64().unwrap() > 40 * 1024,
        "{newest}"
    );
    let names: Vec<&str> = newest["headers"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| h[0].as_str().unwrap())
        .collect();
    assert!(
        names.contains(&"x-seq") && !names.contains(&"x-huge"),
        "{names:?}"
    );
}

#[tokio::test]
async fn the_journal_comes_a_page_at_a_time() {
    let server = serve(|_| {});
    let client = Client::new();
    for _ in 0..5 {
        client.get(server.url(AGENTS)).send().await.unwrap();
    }
    let page = |query: &'static str| {
        let url = server.url(&format!("/__mock/requests{query}"));
        async move {
            let v: Value = reqwest::get(url).await.unwrap().json().await.unwrap();
            let ids: Vec<u64> = v["requests"]
                .as_array()
                .unwrap()
                .iter()
                .map(|e| e["id"].as_u64().unwrap())
                .collect();
            (ids, v["next_after"].as_u64())
        }
    };
    assert_eq!(page("?limit=2").await, (vec![0, 1], Some(1)));
    assert_eq!(page("?limit=2&after=1").await, (vec![2, 3], Some(3)));
    assert_eq!(page("?limit=2&after=3").await, (vec![4], None));
    assert_eq!(page("").await, (vec![0, 1, 2, 3, 4], None));
}

#[tokio::test]
async fn connections_past_the_limit_wait_until_one_closes() {
    let server = serve(|c| c.max_connections = 2);
    let a = TcpStream::connect(server.addr()).await.unwrap();
    let _b = TcpStream::connect(server.addr()).await.unwrap();
    // The third connects (the listen queue) but is not served yet.
    let mut third = TcpStream::connect(server.addr()).await.unwrap();
    third
        .write_all(
            format!("GET {AGENTS} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n").as_bytes(),
        )
        .await
        .unwrap();
    let mut first = [0u8; 1];
    let waited = tokio::time::timeout(Duration::from_millis(300), third.read(&mut first)).await;
    assert!(waited.is_err(), "served past the connection limit");
    // One of the others goes: the third is accepted and answered.
    drop(a);
    let mut out = Vec::new();
    tokio::time::timeout(Duration::from_secs(10), third.read_to_end(&mut out))
        .await
        .expect("served once a slot is free")
        .unwrap();
    let text = String::from_utf8_lossy(&out);
    assert!(text.starts_with("HTTP/1.1 200"), "{text}");
}

static WENT_IDLE: tokio::sync::Notify = tokio::sync::Notify::const_new();

fn went_idle() {
    WENT_IDLE.notify_one();
}

#[tokio::test]
async fn the_idle_hook_runs_once_traffic_stops() {
    let server = serve(|c| c.on_idle = Some(went_idle));
    let req = format!("GET {AGENTS} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
    let answer = raw(&server, req.as_bytes()).await;
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
    tokio::time::timeout(Duration::from_secs(10), WENT_IDLE.notified())
        .await
        .expect("the hook ran after the connection closed");
}

#[tokio::test]
async fn slow_clients_are_cut_within_seconds_when_connections_run_short() {
    let server = serve(|c| {
        c.max_connections = 8;
        c.body_timeout = Duration::from_secs(60);
        c.header_read_timeout = Duration::from_secs(3);
    });
    // Seven idle connections: past three quarters of the limit.
    let mut idle = Vec::new();
    for _ in 0..7 {
        idle.push(TcpStream::connect(server.addr()).await.unwrap());
    }
    // A body trickled under that pressure is cut after about a second,
    // not after the minute `body_timeout` gives when there is room.
    let (text, took) = trickled_body(&server, 10 << 20).await;
    assert!(text.starts_with("HTTP/1.1 408"), "{text}");
    assert!(took >= Duration::from_millis(900));
    // The idle ones (a head due within a second under pressure) are
    // closed too, and their slots serve again.
    for mut conn in idle {
        let mut rest = Vec::new();
        tokio::time::timeout(Duration::from_secs(15), conn.read_to_end(&mut rest))
            .await
            .expect("an idle connection is closed")
            .ok();
    }
    let res = reqwest::get(server.url(AGENTS)).await.unwrap();
    assert_eq!(res.status(), 200);
}
