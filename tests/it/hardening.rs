//! Hostile HTTP and unsafe specs: header and request-line limits, huge
//! bodies and arrays that must not stall other clients, bytes that are not
//! UTF-8 in headers, includes that try to leave the spec's directory, and
//! an admin prefix that would shadow documented routes.

use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use crate::support::{TestServer, root, run, stderr, stdout};

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

/// Files that include the next level `fan` times each, `levels` deep: a
/// few KB on disk, fan^levels copies once spliced.
fn include_bomb(dir: &std::path::Path, levels: usize, fan: usize) -> std::path::PathBuf {
    for level in 0..levels {
        let text = if level + 1 == levels {
            format!("{}\n", "x".repeat(1000))
        } else {
            format!("<!-- include(l{}.md) -->\n", level + 1).repeat(fan)
        };
        std::fs::write(dir.join(format!("l{level}.md")), text).unwrap();
    }
    let root = dir.join("api.apib");
    std::fs::write(
        &root,
        "# API\n## R [/r]\n### G [GET]\n+ Response 200 (text/plain)\n\n<!-- include(l0.md) -->\n",
    )
    .unwrap();
    root
}

#[test]
fn an_include_bomb_is_a_located_error_not_a_memory_blowup() {
    let dir = tempfile::tempdir().unwrap();
    // 100^4 KB = 100 GB once spliced.
    let root = include_bomb(dir.path(), 5, 100);
    let started = std::time::Instant::now();
    let out = run(&["check", root.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let text = stdout(&out);
    assert!(
        text.contains("error: the spec grows past 33554432 bytes with its includes")
            || text.contains("error: more than 10000 includes in one spec"),
        "{text}"
    );
    assert!(
        text.contains("include chain: api.apib → l0.md → l1.md"),
        "{text}"
    );
    let located = text
        .lines()
        .any(|l| l.contains(".md:") && l.contains(": error: "));
    assert!(located, "located in the include: {text}");
    // Not a benchmark: a bound on a run that would otherwise never end.
    assert!(started.elapsed() < std::time::Duration::from_secs(60));
    // A smaller limit is a flag away.
    let small_dir = tempfile::tempdir().unwrap();
    let small = include_bomb(small_dir.path(), 2, 3);
    let served = std::process::Command::new(env!("CARGO_BIN_EXE_apib-mock"))
        .args([
            "serve",
            small.to_str().unwrap(),
            "--port",
            "0",
            "--max-spec-size",
            "1KiB",
        ])
        .output()
        .unwrap();
    assert_eq!(served.status.code(), Some(1));
    assert!(
        stderr(&served).contains("grows past 1024 bytes"),
        "{}",
        stderr(&served)
    );
}

/// Makes a FIFO with the system's `mkfifo` (`false` where there is none).
fn mkfifo(path: &std::path::Path) -> bool {
    std::process::Command::new("mkfifo")
        .arg(path)
        .status()
        .is_ok_and(|s| s.success())
}

#[test]
fn a_fifo_among_the_specs_is_an_error_never_a_hang() {
    let dir = tempfile::tempdir().unwrap();
    let specs = dir.path().join("specs");
    std::fs::create_dir(&specs).unwrap();
    std::fs::write(
        specs.join("a.apib"),
        "# API\n<!-- include(pipe.md) -->\n## R [/r]\n### G [GET]\n+ Response 204\n",
    )
    .unwrap();
    if !mkfifo(&specs.join("pipe.md")) {
        eprintln!("SKIP: no mkfifo on this machine");
        return;
    }
    // Included: a located error.
    let out = run(&["check", specs.join("a.apib").to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stdout(&out).contains(
            "a.apib:2:1: error: cannot include `pipe.md`: it is a named pipe (FIFO), not a regular file"
        ),
        "{}",
        stdout(&out)
    );
    // Found in a spec directory, or named: an error naming it.
    assert!(mkfifo(&specs.join("b.apib")));
    let out = run(&["check", specs.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("b.apib: it is a named pipe (FIFO), not a regular file"),
        "{}",
        stderr(&out)
    );
    let out = run(&["check", specs.join("b.apib").to_str().unwrap()]);
    assert!(
        stderr(&out).contains("b.apib: it is a named pipe (FIFO)"),
        "{}",
        stderr(&out)
    );
}
