//! Bad requests never crash or hang the server: invalid JSON, bad
//! percent-encoding, non-UTF-8, oversized bodies, slow clients.

use std::time::Duration;

use apib_mock::ServeConfig;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use crate::support::{TestServer, problem};

const NOTIFY: &str = "/retailers/api/v1/whatsapp/send_notification_by_id";

/// Writes `raw` on a fresh connection and reads until the server closes
/// it (bounded, so a hang fails the test instead of stalling it).
async fn raw_exchange(server: &TestServer, raw: &[u8]) -> String {
    let mut stream = TcpStream::connect(server.addr()).await.unwrap();
    stream.write_all(raw).await.unwrap();
    let mut out = Vec::new();
    let read = tokio::time::timeout(Duration::from_secs(10), stream.read_to_end(&mut out)).await;
    assert!(
        read.is_ok(),
        "the server neither answered nor closed the connection"
    );
    String::from_utf8_lossy(&out).into_owned()
}

#[tokio::test]
async fn invalid_json_gets_a_precise_400_problem() {
    let server = TestServer::start("specs/retailers.apib");
    let res = reqwest::Client::new()
        .post(server.url(NOTIFY))
        .header("Content-Type", "application/json")
        .body("{\"phone_number\": ")
        .send()
        .await
        .unwrap();
    let problem = problem(res, 400, "invalid-json").await;
    assert!(
        problem["detail"]
            .as_str()
            .unwrap()
            .contains("line 1 column"),
        "{problem}"
    );
}

#[tokio::test]
async fn bad_percent_encoding_gets_a_400_problem() {
    let server = TestServer::start("specs/retailers.apib");
    let res = reqwest::get(server.url("/retailers/api/v1/agents?page=%zz"))
        .await
        .unwrap();
    problem(res, 400, "bad-percent-encoding").await;
}

#[tokio::test]
async fn non_utf8_bytes_never_crash_the_server() {
    let server = TestServer::start("specs/retailers.apib");
    // Percent-encoded invalid UTF-8 in the query: decoded lossily, served.
    let res = reqwest::get(server.url("/retailers/api/v1/agents?q=%FF%FE"))
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    // Raw invalid UTF-8 in the request line and in a header value.
    let answer = raw_exchange(
        &server,
        b"GET /retailers/\xff\xfe HTTP/1.1\r\nHost: x\r\nX-Bin: \xff\r\nConnection: close\r\n\r\n",
    )
    .await;
    assert!(answer.starts_with("HTTP/1.1 4"), "{answer}");
    // A JSON body that is not UTF-8.
    let res = reqwest::Client::new()
        .post(server.url(NOTIFY))
        .header("Content-Type", "application/json")
        .body(vec![b'{', 0xff, b'}'])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 400);
    // And the server still answers.
    assert_eq!(
        reqwest::get(server.url("/retailers/api/v1/agents"))
            .await
            .unwrap()
            .status(),
        200
    );
}

#[tokio::test]
async fn bodies_over_the_limit_get_413_declared_or_chunked() {
    let mut config = ServeConfig::default();
    config.max_body = 1024;
    let server = TestServer::with_config("specs/retailers.apib", config);
    let res = reqwest::Client::new()
        .post(server.url(NOTIFY))
        .header("Content-Type", "application/json")
        .body(vec![b' '; 4096])
        .send()
        .await
        .unwrap();
    let problem = problem(res, 413, "body-too-large").await;
    assert_eq!(problem["limit"], 1024);
    // Chunked, no Content-Length: cut off while reading.
    let chunk = "a".repeat(800);
    let raw = format!(
        "POST {NOTIFY} HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n320\r\n{chunk}\r\n320\r\n{chunk}\r\n0\r\n\r\n"
    );
    let answer = raw_exchange(&server, raw.as_bytes()).await;
    assert!(answer.starts_with("HTTP/1.1 413"), "{answer}");
}

#[tokio::test]
async fn pipelined_requests_with_bodies_are_answered_in_order() {
    let server = TestServer::start("specs/retailers.apib");
    let post = |body: &str| {
        format!(
            "POST {NOTIFY} HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
            body.len()
        )
    };
    // One write: a 3-parameter POST (200), a phone-only POST (400), a
    // chunked one (2 parameters: 400), then a GET that closes.
    let three = r#"{"phone_number":"+593999999999","internal_id":"997dd550-c8d8-4bf7-ad98-a5ac4844a1ed","template_params":["a","b","c"]}"#;
    let two = r#"{"phone_number":"+593999999999","internal_id":"997dd550-c8d8-4bf7-ad98-a5ac4844a1ed","template_params":["a","b"]}"#;
    let raw = format!(
        "{}{}POST {NOTIFY} HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n{:x}\r\n{two}\r\n0\r\n\r\nGET /retailers/api/v1/agents HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
        post(three),
        post(r#"{"phone_number":"+593999999999"}"#),
        two.len(),
    );
    let answer = raw_exchange(&server, raw.as_bytes()).await;
    let statuses: Vec<&str> = answer
        .match_indices("HTTP/1.1 ")
        .map(|(at, _)| &answer[at + 9..at + 12])
        .collect();
    assert_eq!(statuses, ["200", "400", "400", "200"], "{answer}");
    let labels: Vec<&str> = answer
        .lines()
        .filter_map(|l| l.strip_prefix("apib-mock-transaction: "))
        .collect();
    let send = "Notifications > Notifications > Send a notification by ID";
    assert_eq!(
        labels,
        [
            format!("{send} > #4"),
            format!("{send} > #1"),
            format!("{send} > #3"),
            "Agents > Agents > Get agents > #1".to_string(),
        ],
        "{answer}"
    );
}

#[tokio::test]
async fn a_slow_client_is_cut_off_while_others_are_served() {
    let mut config = ServeConfig::default();
    config.header_read_timeout = Duration::from_millis(500);
    let server = TestServer::with_config("specs/retailers.apib", config);
    // Headers trickled and never finished.
    let mut slow = TcpStream::connect(server.addr()).await.unwrap();
    slow.write_all(b"GET /retailers/api/v1/agents HTTP/1.1\r\nHost: x\r\n")
        .await
        .unwrap();
    // Another client is served meanwhile.
    let res = reqwest::get(server.url("/retailers/api/v1/agents"))
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    // The slow one is closed (optionally with a 408) within a bound.
    let mut out = Vec::new();
    let closed = tokio::time::timeout(Duration::from_secs(10), slow.read_to_end(&mut out)).await;
    assert!(closed.is_ok(), "the slow connection was never closed");
    let text = String::from_utf8_lossy(&out);
    assert!(
        text.is_empty() || text.starts_with("HTTP/1.1 408"),
        "{text}"
    );
}

/// A server whose clients get `ms` milliseconds for each request head.
fn with_header_timeout(ms: u64) -> TestServer {
    let mut config = ServeConfig::default();
    config.header_read_timeout = Duration::from_millis(ms);
    TestServer::with_config("specs/retailers.apib", config)
}

#[tokio::test]
async fn a_client_trickling_its_head_byte_by_byte_is_cut_off() {
    let server = with_header_timeout(300);
    let mut slow = TcpStream::connect(server.addr()).await.unwrap();
    let started = std::time::Instant::now();
    // A byte every 50 ms: reads keep succeeding, the head never ends.
    let head = b"GET /retailers/api/v1/agents HTTP/1.1\r\nHost: x\r\nX-Slow: aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa";
    let mut cut_off = false;
    for byte in head {
        if slow.write_all(&[*byte]).await.is_err() {
            cut_off = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
        let mut probe = [0u8; 64];
        if let Ok(Ok(0)) =
            tokio::time::timeout(Duration::from_millis(1), slow.read(&mut probe)).await
        {
            cut_off = true;
            break;
        }
    }
    assert!(
        cut_off,
        "a head trickled for {:?} was still being read",
        started.elapsed()
    );
    let took = started.elapsed();
    assert!(
        took >= Duration::from_millis(300),
        "cut off early: {took:?}"
    );
    assert!(took < Duration::from_secs(3), "cut off late: {took:?}");
}

#[tokio::test]
async fn a_keep_alive_connection_gets_the_timeout_anew_for_each_request() {
    // Ten requests 100 ms apart outlive a 600 ms timeout only if each
    // request restarts it (600 ms leaves slack for a loaded CI machine).
    let server = with_header_timeout(600);
    let mut conn = TcpStream::connect(server.addr()).await.unwrap();
    let request = b"GET /retailers/api/v1/agents HTTP/1.1\r\nHost: x\r\n\r\n";
    // A second in all, each head on time.
    for i in 0..10 {
        conn.write_all(request).await.unwrap();
        let mut buf = vec![0u8; 4096];
        let n = tokio::time::timeout(Duration::from_secs(2), conn.read(&mut buf))
            .await
            .expect("an answer")
            .unwrap();
        let text = String::from_utf8_lossy(&buf[..n]);
        assert!(text.starts_with("HTTP/1.1 200"), "request {i}: {text}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    // Then idle: closed once the next head is overdue.
    let idle = std::time::Instant::now();
    let mut rest = Vec::new();
    tokio::time::timeout(Duration::from_secs(3), conn.read_to_end(&mut rest))
        .await
        .expect("an idle connection is closed")
        .unwrap();
    assert!(
        idle.elapsed() >= Duration::from_millis(150),
        "{:?}",
        idle.elapsed()
    );
}

#[tokio::test]
async fn malformed_http_gets_an_error_not_a_crash() {
    let server = TestServer::start("specs/retailers.apib");
    let answer = raw_exchange(&server, b"THIS IS NOT HTTP\r\n\r\n").await;
    assert!(
        answer.is_empty() || answer.starts_with("HTTP/1.1 400"),
        "{answer}"
    );
    let long_uri = format!(
        "GET /{} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
        "a".repeat(64 * 1024)
    );
    let answer = raw_exchange(&server, long_uri.as_bytes()).await;
    assert!(
        answer.is_empty() || answer.starts_with("HTTP/1.1 4"),
        "{}",
        &answer[..answer.len().min(200)]
    );
    assert_eq!(
        reqwest::get(server.url("/retailers/api/v1/agents"))
            .await
            .unwrap()
            .status(),
        200
    );
}

#[tokio::test]
async fn deeply_nested_json_does_not_crash() {
    let server = TestServer::start("specs/retailers.apib");
    let deep = format!("{}{}", "[".repeat(10_000), "]".repeat(10_000));
    let res = reqwest::Client::new()
        .post(server.url(NOTIFY))
        .header("Content-Type", "application/json")
        .body(deep)
        .send()
        .await
        .unwrap();
    // serde_json refuses more than 128 levels: a located 400.
    assert_eq!(res.status(), 400);
    assert_eq!(
        reqwest::get(server.url("/retailers/api/v1/agents"))
            .await
            .unwrap()
            .status(),
        200
    );
}
