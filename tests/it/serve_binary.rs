//! `apib-mock serve` as a process: the printed address, the request log,
//! load-time collision reports, graceful shutdown on SIGTERM.

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};

use crate::support::root;

/// A running `apib-mock serve` and the address it printed.
struct ServeProcess {
    child: Child,
    base: String,
    lines: std::io::Lines<BufReader<std::process::ChildStdout>>,
}

impl ServeProcess {
    fn start(args: &[&str], env: &[(&str, &str)]) -> Self {
        let mut child = Command::new(env!("CARGO_BIN_EXE_apib-mock"))
            .arg("serve")
            .args(args)
            .envs(env.iter().copied())
            .current_dir(root())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("serve starts");
        let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
        let first = lines.next().expect("a first line").expect("text");
        // Human (`apib-mock: listening on URL`) or JSON (`{"event":
        // "listening", "url": URL, ...}`).
        let base = match serde_json::from_str::<serde_json::Value>(&first) {
            Ok(event) => event["url"].as_str().map(str::to_string),
            Err(_) => first
                .strip_prefix("apib-mock: listening on ")
                .map(str::to_string),
        }
        .unwrap_or_else(|| panic!("unexpected first line: {first}"));
        Self { child, base, lines }
    }

    /// Reads the table printed on start, up to and including the line
    /// that says whether it watches the files.
    fn startup_lines(&mut self) -> Vec<String> {
        let mut lines = Vec::new();
        for line in self.lines.by_ref() {
            let line = line.expect("text");
            let last = line.starts_with("apib-mock: watching")
                || line.contains("not watching")
                || line.contains("\"event\":\"watching\"");
            lines.push(line);
            if last {
                break;
            }
        }
        lines
    }

    /// The next stdout line.
    fn next_line(&mut self) -> String {
        self.lines.next().expect("a line").expect("text")
    }

    /// Sends SIGTERM and returns the exit status and stderr.
    fn terminate(mut self) -> (std::process::ExitStatus, String) {
        let pid = self.child.id().to_string();
        let killed = Command::new("kill")
            .args(["-TERM", &pid])
            .status()
            .expect("kill runs");
        assert!(killed.success());
        let status = self.child.wait().expect("exits");
        let mut err = String::new();
        if let Some(mut stderr) = self.child.stderr.take() {
            std::io::Read::read_to_string(&mut stderr, &mut err).ok();
        }
        (status, err)
    }
}

impl Drop for ServeProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[tokio::test]
async fn serve_prints_its_address_routes_and_one_log_line_per_request() {
    // Arrange: the port comes from the environment.
    let mut server = ServeProcess::start(&["specs/retailers.apib"], &[("APIB_MOCK_PORT", "0")]);
    assert!(server.base.starts_with("http://127.0.0.1:"));
    let table = server.startup_lines();
    assert!(
        table[0].contains("20 transactions on 9 routes"),
        "{table:?}"
    );
    assert_eq!(table.len(), 11, "{table:?}");
    // Act
    let res = reqwest::get(format!("{}/retailers/api/v1/agents", server.base))
        .await
        .unwrap();
    // Assert
    assert_eq!(res.status(), 200);
    let log = server.next_line();
    assert!(
        log.starts_with("GET /retailers/api/v1/agents 200 Agents > Agents > Get agents > #1 "),
        "{log}"
    );
    assert!(log.ends_with("µs"), "{log}");
    let (status, _) = server.terminate();
    assert!(status.success(), "graceful exit on SIGTERM: {status:?}");
}

#[tokio::test]
async fn json_log_lines_are_machine_readable() {
    let mut server = ServeProcess::start(
        &[
            "specs/retailers.apib",
            "--port",
            "0",
            "--log-format",
            "json",
        ],
        &[],
    );
    // Every stdout line is one JSON object: the contract, each route,
    // whether it watches (the listening line was read by `start`).
    let events: Vec<serde_json::Value> = server
        .startup_lines()
        .iter()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{l}: {e}")))
        .collect();
    assert_eq!(events.len(), 11);
    assert_eq!(events[0]["event"], "contract");
    assert_eq!(events[0]["transactions"], 20);
    assert_eq!(events[1]["event"], "route");
    assert_eq!(events[1]["uri_template"], "/retailers/api/v1/agents");
    assert_eq!(events[10]["event"], "watching");
    reqwest::get(format!("{}/nowhere", server.base))
        .await
        .unwrap();
    let log: serde_json::Value = serde_json::from_str(&server.next_line()).unwrap();
    assert_eq!(log["status"], 404);
    assert_eq!(log["transaction"], "no-route");
    assert_eq!(log["path"], "/nowhere");
}

#[tokio::test]
async fn colliding_routes_in_two_files_are_reported_with_both_locations() {
    let server = ServeProcess::start(&["fixtures/multi", "--port", "0"], &[]);
    // One request first: once it is answered, the SIGTERM handler is in place.
    let res = reqwest::get(format!("{}/things", server.base))
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let (status, stderr) = server.terminate();
    assert!(status.success());
    assert!(
        stderr.contains("fixtures/multi/b.md:5:5: warning: duplicate action GET /things"),
        "{stderr}"
    );
    assert!(
        stderr.contains("fixtures/multi/a.apib:5:5: note: first defined here"),
        "{stderr}"
    );
}

#[test]
fn serve_refuses_a_spec_with_errors() {
    let out = Command::new(env!("CARGO_BIN_EXE_apib-mock"))
        .args(["serve", "fixtures/invalid/broken.apib", "--port", "0"])
        .current_dir(root())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("broken.apib:5:17: error"), "{stderr}");
}

/// A one-route spec whose answer is `body`.
fn things(body: &str) -> String {
    format!(
        "# API\n## Things [/things]\n### List [GET]\n+ Response 200 (text/plain)\n\n        {body}\n"
    )
}

#[tokio::test]
async fn serve_reloads_a_changed_file_and_says_what_changed() {
    let dir = tempfile::tempdir().expect("temp dir");
    let spec = dir.path().join("api.apib");
    std::fs::write(&spec, things("before")).expect("write");
    let mut server = ServeProcess::start(
        &[
            spec.to_str().expect("utf-8 path"),
            "--port",
            "0",
            "--log-format",
            "off",
        ],
        &[],
    );
    let table = server.startup_lines();
    assert!(
        table
            .last()
            .is_some_and(|l| l.contains("watching 1 spec file")),
        "{table:?}"
    );
    std::fs::write(&spec, things("after")).expect("write");
    // The reload line is the event to wait for.
    let reloaded = server.next_line();
    assert!(
        reloaded.starts_with("apib-mock: reloaded in "),
        "{reloaded}"
    );
    assert!(
        reloaded.ends_with("1 transactions; 0 added, 0 removed, 1 changed"),
        "{reloaded}"
    );
    assert_eq!(
        server.next_line(),
        "  changed: GET /things (Things > List > #1)"
    );
    let body = reqwest::get(format!("{}/things", server.base))
        .await
        .expect("GET")
        .text()
        .await
        .expect("body");
    assert_eq!(body, "after\n");
}

#[test]
fn no_watch_serves_without_watching() {
    let mut server =
        ServeProcess::start(&["specs/retailers.apib", "--port", "0", "--no-watch"], &[]);
    let table = server.startup_lines();
    assert!(
        table.last().is_some_and(|l| l.contains("not watching")),
        "{table:?}"
    );
}

#[tokio::test]
async fn strict_flag_validates_requests() {
    let mut server = ServeProcess::start(
        &[
            "fixtures/strict/shop.apib",
            "--port",
            "0",
            "--strict",
            "--no-watch",
        ],
        &[],
    );
    server.startup_lines();
    let res = reqwest::get(format!("{}/items/lamp", server.base))
        .await
        .unwrap();
    assert_eq!(res.status(), 422);
    assert_eq!(res.headers()["apib-mock-match"], "violation");
}

#[tokio::test]
async fn json_logs_say_a_reload_in_json_too() {
    let dir = tempfile::tempdir().expect("temp dir");
    let spec = dir.path().join("api.apib");
    std::fs::write(&spec, things("before")).expect("write");
    let path = spec.to_str().expect("utf-8 path");
    let mut server = ServeProcess::start(&[path, "--port", "0", "--log-format", "json"], &[]);
    server.startup_lines();
    std::fs::write(&spec, things("after")).expect("write");
    let line = server.next_line();
    let event: serde_json::Value =
        serde_json::from_str(&line).unwrap_or_else(|e| panic!("{line}: {e}"));
    assert_eq!(event["event"], "reloaded");
    assert_eq!(event["transactions"], 1);
    assert_eq!(
        event["changed"],
        serde_json::json!(["GET /things (Things > List > #1)"])
    );
}

#[tokio::test]
async fn an_admin_token_from_the_environment_guards_the_admin_api() {
    let mut server = ServeProcess::start(
        &["specs/retailers.apib", "--port", "0", "--no-watch"],
        &[("APIB_MOCK_ADMIN_TOKEN", "s3cret-token")],
    );
    let client = reqwest::Client::new();
    let status = format!("{}/__mock/status", server.base);
    let without = client.get(&status).send().await.unwrap();
    assert_eq!(without.status(), 401);
    let with = client
        .get(&status)
        .bearer_auth("s3cret-token")
        .send()
        .await
        .unwrap();
    assert_eq!(with.status(), 200);
    let documented = client
        .get(format!("{}/retailers/api/v1/agents", server.base))
        .send()
        .await
        .unwrap();
    assert_eq!(documented.status(), 200);
    // The dashboard's event stream takes the token in its query: the
    // request log never shows it.
    let events = client
        .get(format!("{}/__mock/events?token=s3cret-token", server.base))
        .send()
        .await
        .unwrap();
    assert_eq!(events.status(), 200);
    let logged = loop {
        let line = server.next_line();
        if line.contains("/__mock/events") {
            break line;
        }
    };
    assert!(!logged.contains("s3cret"), "{logged}");
    drop(events);
}

fn notes(members: &str) -> String {
    format!(
        "# API\n## Notes [/notes]\n### List [GET]\n+ Response 200 (application/json)\n\n        [{{\"id\": 1{members}}}]\n\n### Create [POST]\n+ Response 201 (application/json)\n\n        {{\"id\": 2{members}}}\n\n## Note [/notes/{{id}}]\n### Read [GET]\n+ Response 200 (application/json)\n\n        {{\"id\": 1{members}}}\n"
    )
}

#[tokio::test]
async fn the_sandbox_banner_the_reload_line_and_the_state_file_on_stop() {
    let dir = tempfile::tempdir().expect("temp dir");
    let spec = dir.path().join("api.apib");
    let state = dir.path().join("state.json");
    std::fs::write(&spec, notes(", \"text\": \"a\"")).expect("write");
    let mut server = ServeProcess::start(
        &[
            spec.to_str().expect("utf-8 path"),
            "--port",
            "0",
            "--log-format",
            "off",
            "--sandbox",
            "--state-file",
            state.to_str().expect("utf-8 path"),
        ],
        &[],
    );
    let banner = server.startup_lines();
    assert!(
        banner
            .iter()
            .any(|l| l == "sandbox: 1 collection keeps state"),
        "{banner:?}"
    );
    assert!(
        banner
            .iter()
            .any(|l| l.starts_with("  notes /notes: list, create, read; id `id` (integer)")),
        "{banner:?}"
    );
    let client = reqwest::Client::new();
    let created = client
        .post(format!("{}/notes", server.base))
        .json(&serde_json::json!({"text": "stored"}))
        .send()
        .await
        .expect("POST");
    assert_eq!(created.headers()["apib-mock-state"], "created notes/3");
    // A new member changes the entities' shape: re-seeded, and said.
    std::fs::write(&spec, notes(", \"text\": \"a\", \"done\": false")).expect("write");
    let mut lines = Vec::new();
    while !lines.iter().any(|l: &String| l.contains("re-seeded")) {
        lines.push(server.next_line());
    }
    assert!(
        lines.contains(&"  sandbox: notes re-seeded (its entities' shape changed)".to_string()),
        "{lines:?}"
    );
    let created = client
        .post(format!("{}/notes", server.base))
        .json(&serde_json::json!({"text": "after"}))
        .send()
        .await
        .expect("POST");
    assert_eq!(created.headers()["apib-mock-state"], "created notes/3");
    let (status, err) = server.terminate();
    assert!(status.success(), "{err}");
    let saved: serde_json::Value =
        serde_json::from_slice(&std::fs::read(&state).expect("written on stop")).expect("JSON");
    let stored = &saved["sessions"]["default"]["notes"]["entities"];
    assert_eq!(stored.as_array().map(Vec::len), Some(3), "{saved}");
    assert_eq!(stored[2]["entity"]["text"], "after");
}
