//! Hostile HTTP and unsafe specs: header and request-line limits, huge
//! bodies and arrays that must not stall other clients, bytes that are not
//! UTF-8 in headers, includes that try to leave the spec's directory, and
//! an admin prefix that would shadow documented routes.

use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use crate::support::{TestServer, root, run, stdout};

const AGENTS: &str = "/retailers/api/v1/agents";
const NOTIFY: &str = "/retailers/api/v1/whatsapp/send_notification_by_id";

/// Sends `raw` and returns the first line of the answer (bounded wait).
async fn status_line(server: &TestServer, raw: &[u8]) -> String {
    let mut stream = TcpStream::connect(server.addr()).await.unwrap();
    // The server may answer and close before everything is written.
    let _ = stream.write_all(raw).await;
    let mut out = vec![0; 256];
    let n = tokio::time::timeout(Duration::from_secs(10), stream.read(&mut out))
        .await
        .expect("an answer or a close, not a hang")
        .unwrap_or(0);
    String::from_utf8_lossy(&out[..n])
        .lines()
        .next()
        .unwrap_or("")
        .to_string()
}

async fn still_serving(server: &TestServer) {
    let res = reqwest::get(server.url(AGENTS)).await.unwrap();
    assert_eq!(res.status(), 200);
}

#[tokio::test]
async fn too_many_or_too_large_headers_are_refused() {
    let server = TestServer::start("specs/retailers.apib");
    let many: String = (0..300).map(|i| format!("X-H{i}: v\r\n")).collect();
    let line = status_line(
        &server,
        format!("GET {AGENTS} HTTP/1.1\r\nHost: x\r\n{many}\r\n").as_bytes(),
    )
    .await;
    assert!(
        line.starts_with("HTTP/1.1 431") || line.is_empty(),
        "{line}"
    );
    let huge = format!(
        "GET {AGENTS} HTTP/1.1\r\nHost: x\r\nX-Big: {}\r\n\r\n",
        "a".repeat(1024 * 1024)
    );
    let line = status_line(&server, huge.as_bytes()).await;
    assert!(
        line.starts_with("HTTP/1.1 431") || line.is_empty(),
        "{line}"
    );
    still_serving(&server).await;
}

#[tokio::test]
async fn header_bytes_that_are_not_utf8_are_served() {
    let server = TestServer::start("specs/retailers.apib");
    let mut raw = format!("GET {AGENTS} HTTP/1.1\r\nHost: x\r\nX-Name: ").into_bytes();
    raw.extend_from_slice(&[0xff, 0xfe, 0x80]);
    raw.extend_from_slice(b"\r\nApi-Key: \xc3\x28\r\nConnection: close\r\n\r\n");
    let line = status_line(&server, &raw).await;
    assert_eq!(line, "HTTP/1.1 200 OK");
}

#[tokio::test]
async fn a_huge_array_does_not_stall_other_clients() {
    let server = TestServer::start("specs/retailers.apib");
    // 1,000,000 items, under the 10 MiB limit.
    let mut body = String::with_capacity(5_000_000);
    body.push_str("{\"phone_number\": \"1\", \"template_params\": [");
    for i in 0..1_000_000 {
        if i > 0 {
            body.push(',');
        }
        body.push('1');
    }
    body.push_str("]}");
    let client = reqwest::Client::new();
    let big = client
        .post(server.url(NOTIFY))
        .header("Content-Type", "application/json")
        .body(body)
        .send();
    let small = async {
        tokio::time::sleep(Duration::from_millis(1)).await;
        client.get(server.url(AGENTS)).send().await
    };
    let (big, small) = tokio::join!(big, small);
    assert_eq!(small.unwrap().status(), 200);
    let status = big.unwrap().status().as_u16();
    assert!(status < 500, "{status}");
}

#[test]
fn includes_cannot_leave_the_spec_directory() {
    let dir = tempfile::tempdir().unwrap();
    let inner = dir.path().join("specs");
    std::fs::create_dir(&inner).unwrap();
    std::fs::write(dir.path().join("secret.apib"), "## Secret [/secret]\n").unwrap();
    std::fs::write(
        inner.join("api.apib"),
        "# API\n<!-- include(../secret.apib) -->\n## R [/r]\n### G [GET]\n+ Response 204\n",
    )
    .unwrap();
    let out = run(&["check", inner.join("api.apib").to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1));
    let text = stdout(&out);
    assert!(
        text.contains("api.apib:2:1: error: `../secret.apib` is outside the spec's directory"),
        "{text}"
    );
    let routes = run(&["routes", inner.join("api.apib").to_str().unwrap()]);
    assert!(!stdout(&routes).contains("/secret"));
}

#[test]
fn an_admin_prefix_over_documented_routes_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let spec = dir.path().join("api.apib");
    std::fs::write(
        &spec,
        "# API\n## Mock [/__mock/status]\n### G [GET]\n+ Response 204\n",
    )
    .unwrap();
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_apib-mock"))
        .args(["serve", spec.to_str().unwrap(), "--port", "0"])
        .current_dir(root())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("documents routes under the admin prefix /__mock (/__mock/status)"),
        "{err}"
    );
}
