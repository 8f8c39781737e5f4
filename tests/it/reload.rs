//! Hot reload over real files in a temp dir and a real server: every way
//! an editor saves is picked up, a broken or empty save keeps the last
//! good contract, and requests in flight during reloads all succeed.
//!
//! Waiting is event-driven: after each write the test waits on the live
//! contract's reload notifications (bounded), never on a fixed sleep.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use apib_mock::__private::{Watcher, watch};
use apib_mock::LiveContract;
use apib_mock::ReloadOutcome as Outcome;
use apib_mock::{RunningServer, ServeConfig};
use serde_json::Value;
use tokio::sync::watch;

/// A server on a temp dir of specs, reloading on changes.
struct Reloading {
    dir: tempfile::TempDir,
    live: Arc<LiveContract>,
    server: RunningServer,
    reloads: watch::Receiver<u64>,
    _watcher: Watcher,
    client: reqwest::Client,
}

fn note(title: &str, body: &str) -> String {
    format!(
        "FORMAT: 1A\n# Notes\n\n## {title} [/{}]\n### Read [GET]\n+ Response 200 (application/json)\n\n        {body}\n",
        title.to_lowercase()
    )
}

impl Reloading {
    /// Serves `files` (name, text) written into a fresh temp dir; the dir
    /// is the SPEC.
    fn start(files: &[(&str, &str)]) -> Self {
        let dir = tempfile::tempdir().expect("temp dir");
        for (name, text) in files {
            let path = dir.path().join(name);
            if let Some(parent) = path.parent() {
                std::fs::create_dir_all(parent).expect("mkdir");
            }
            std::fs::write(path, text).expect("write");
        }
        Self::serve(dir, None)
    }

    /// Serves `spec` (relative to the temp dir) instead of the dir.
    fn serve(dir: tempfile::TempDir, spec: Option<&str>) -> Self {
        Self::serve_with(dir, spec, false)
    }

    /// [`Reloading::serve`], strict or not.
    fn serve_with(dir: tempfile::TempDir, spec: Option<&str>, strict: bool) -> Self {
        let spec = match spec {
            Some(s) => dir.path().join(s),
            None => dir.path().to_path_buf(),
        };
        let specs = vec![spec.display().to_string()];
        let live = apib_mock::prepare(&specs, strict, Some(apib_mock::DEFAULT_ADMIN_PREFIX))
            .expect("the spec serves")
            .live;
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
        let server = RunningServer::start_live(listener, live.clone(), ServeConfig::default())
            .expect("server starts");
        let watcher = watch(&specs, live.clone(), Box::new(|_: &Outcome| {})).expect("watching");
        Self {
            reloads: live.subscribe(),
            dir,
            live,
            server,
            _watcher: watcher,
            client: reqwest::Client::new(),
        }
    }

    fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    async fn get(&self, path: &str) -> (u16, String) {
        let res = self
            .client
            .get(self.server.url(path))
            .send()
            .await
            .expect("request");
        let status = res.status().as_u16();
        (status, res.text().await.expect("body"))
    }

    async fn status(&self) -> Value {
        let (code, body) = self.get("/__mock/status").await;
        assert_eq!(code, 200);
        serde_json::from_str(&body).expect("status is JSON")
    }

    /// Waits (at most 10 s) until `path` answers `status` with a body
    /// containing `needle`, re-checking after every reload attempt.
    async fn until(&mut self, path: &str, status: u16, needle: &str) {
        let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
        loop {
            let (code, body) = self.get(path).await;
            if code == status && body.contains(needle) {
                return;
            }
            let left = deadline.saturating_duration_since(tokio::time::Instant::now());
            if tokio::time::timeout(left, self.reloads.changed())
                .await
                .is_err()
            {
                panic!("{path} still answers {code} {body:?}, waited for {status} with {needle:?}");
            }
        }
    }

    /// Waits (at most 10 s) for the next reload attempt.
    async fn next_attempt(&mut self) {
        tokio::time::timeout(Duration::from_secs(10), self.reloads.changed())
            .await
            .expect("a reload attempt")
            .expect("live contract alive");
    }
}

/// Writes `text` to `path` atomically: a temp file, then a rename (how
/// vim, VS Code and JetBrains save).
fn write_renamed(path: &Path, text: &str) {
    let tmp = path.with_extension("apib.tmp~");
    std::fs::write(&tmp, text).expect("write temp");
    std::fs::rename(&tmp, path).expect("rename");
}

#[tokio::test]
async fn an_in_place_edit_is_served() {
    let mut s = Reloading::start(&[("notes.apib", &note("Notes", "{\"v\": 1}"))]);
    s.until("/notes", 200, "\"v\": 1").await;
    std::fs::write(s.path("notes.apib"), note("Notes", "{\"v\": 2}")).expect("write");
    s.until("/notes", 200, "\"v\": 2").await;
    let status = s.status().await;
    assert!(status["reloads"].as_u64() >= Some(1), "{status}");
    let changed = &status["last_reload"]["changed"];
    assert_eq!(changed[0], "GET /notes (Notes > Read > #1)", "{status}");
}

#[tokio::test]
async fn an_atomic_rename_is_served() {
    let mut s = Reloading::start(&[("notes.apib", &note("Notes", "{\"v\": 1}"))]);
    write_renamed(
        &s.path("notes.apib"),
        &note("Notes", "{\"v\": \"renamed\"}"),
    );
    s.until("/notes", 200, "renamed").await;
}

#[tokio::test]
async fn delete_then_create_is_served() {
    let mut s = Reloading::start(&[("notes.apib", &note("Notes", "{\"v\": 1}"))]);
    std::fs::remove_file(s.path("notes.apib")).expect("delete");
    std::fs::write(
        s.path("notes.apib"),
        note("Notes", "{\"v\": \"recreated\"}"),
    )
    .expect("create");
    s.until("/notes", 200, "recreated").await;
}

#[tokio::test]
async fn new_files_join_and_removed_files_leave() {
    let mut s = Reloading::start(&[("notes.apib", &note("Notes", "{}"))]);
    std::fs::create_dir_all(s.path("more")).expect("mkdir");
    std::fs::write(s.path("more/tags.md"), note("Tags", "{\"tags\": []}")).expect("write");
    s.until("/tags", 200, "tags").await;
    assert_eq!(s.get("/notes").await.0, 200, "the first file still serves");
    std::fs::remove_file(s.path("notes.apib")).expect("delete");
    s.until("/notes", 404, "no-route").await;
    assert_eq!(s.get("/tags").await.0, 200);
}

#[tokio::test]
async fn a_broken_save_keeps_the_last_good_contract_until_fixed() {
    let mut s = Reloading::start(&[("notes.apib", &note("Notes", "{\"v\": 1}"))]);
    std::fs::write(
        s.path("notes.apib"),
        "# Notes\n## Notes [/notes/{broken]\n### Read [GET]\n+ Response 200\n",
    )
    .expect("write");
    loop {
        s.next_attempt().await;
        let status = s.status().await;
        if !status["last_error"].is_null() {
            let diag = &status["last_error"]["diagnostics"][0];
            assert_eq!(diag["line"], 2, "{status}");
            assert_eq!(diag["column"], 18, "{status}");
            assert!(diag["file"].as_str().unwrap_or("").ends_with("notes.apib"));
            break;
        }
    }
    assert_eq!(s.get("/notes").await, (200, "{\"v\": 1}\n".to_string()));
    std::fs::write(s.path("notes.apib"), note("Notes", "{\"v\": \"fixed\"}")).expect("write");
    s.until("/notes", 200, "fixed").await;
    let status = s.status().await;
    assert!(status["failed_reloads"].as_u64() >= Some(1));
}

#[tokio::test]
async fn undoing_a_broken_save_clears_the_error() {
    let original = note("Notes", "{\"v\": 1}");
    let mut s = Reloading::start(&[("notes.apib", &original)]);
    std::fs::write(
        s.path("notes.apib"),
        "# Notes\n## Notes [/notes/{broken]\n### Read [GET]\n+ Response 200\n",
    )
    .expect("write");
    while s.status().await["last_error"].is_null() {
        s.next_attempt().await;
    }
    // The same bytes as served: nothing to reload, but the error is gone.
    std::fs::write(s.path("notes.apib"), &original).expect("write");
    while !s.status().await["last_error"].is_null() {
        s.next_attempt().await;
    }
    assert_eq!(s.get("/notes").await, (200, "{\"v\": 1}\n".to_string()));
}

#[tokio::test]
async fn a_file_truncated_to_empty_keeps_the_old_contract() {
    let mut s = Reloading::start(&[("notes.apib", &note("Notes", "{\"v\": 1}"))]);
    std::fs::write(s.path("notes.apib"), "").expect("truncate");
    loop {
        s.next_attempt().await;
        let status = s.status().await;
        if status["last_error"]["message"]
            .as_str()
            .is_some_and(|m| m.contains("empty"))
        {
            break;
        }
    }
    assert_eq!(s.get("/notes").await.0, 200);
    assert_eq!(s.status().await["transactions"], 1);
}

#[tokio::test]
async fn an_included_file_is_watched_and_located() {
    let dir = tempfile::tempdir().expect("temp dir");
    std::fs::create_dir_all(dir.path().join("parts")).expect("mkdir");
    std::fs::write(
        dir.path().join("api.apib"),
        "FORMAT: 1A\n# API\n\n<!-- include(parts/users.apib) -->\n",
    )
    .expect("write");
    let users = |body: &str| {
        format!(
            "## Users [/users]\n### List [GET]\n+ Response 200 (application/json)\n\n        {body}\n"
        )
    };
    std::fs::write(dir.path().join("parts/users.apib"), users("[1]")).expect("write");
    let mut s = Reloading::serve(dir, Some("api.apib"));
    s.until("/users", 200, "[1]").await;
    std::fs::write(s.path("parts/users.apib"), users("[1, 2]")).expect("write");
    s.until("/users", 200, "[1, 2]").await;
    // A mistake in the included file is reported with its own name and
    // line.
    std::fs::write(
        s.path("parts/users.apib"),
        "## Users [/users/{x]\n### List [GET]\n+ Response 200\n",
    )
    .expect("write");
    loop {
        s.next_attempt().await;
        let status = s.status().await;
        if let Some(diag) = status["last_error"]["diagnostics"].get(0) {
            assert!(
                diag["file"]
                    .as_str()
                    .unwrap_or("")
                    .ends_with("parts/users.apib"),
                "{diag}"
            );
            assert_eq!(diag["line"], 1);
            break;
        }
    }
    assert_eq!(s.get("/users").await.1, "[1, 2]\n");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reloads_under_load_lose_no_request() {
    let mut s = Reloading::start(&[("notes.apib", &note("Notes", "{\"v\": 0}"))]);
    let url = s.server.url("/notes");
    let failures = Arc::new(AtomicUsize::new(0));
    let served = Arc::new(AtomicUsize::new(0));
    let stop = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let mut clients = Vec::new();
    for _ in 0..4 {
        let (url, failures, served, stop) =
            (url.clone(), failures.clone(), served.clone(), stop.clone());
        clients.push(tokio::spawn(async move {
            let client = reqwest::Client::new();
            while !stop.load(Ordering::Relaxed) {
                match client.get(&url).send().await {
                    Ok(res) if res.status() == 200 => {
                        let body = res.text().await.unwrap_or_default();
                        if body.starts_with("{\"v\": ") {
                            served.fetch_add(1, Ordering::Relaxed);
                        } else {
                            failures.fetch_add(1, Ordering::Relaxed);
                        }
                    }
                    _ => {
                        failures.fetch_add(1, Ordering::Relaxed);
                    }
                }
            }
        }));
    }
    for round in 1..=10 {
        write_renamed(
            &s.path("notes.apib"),
            &note("Notes", &format!("{{\"v\": {round}}}")),
        );
        s.until("/notes", 200, &format!("\"v\": {round}}}")).await;
    }
    stop.store(true, Ordering::Relaxed);
    for c in clients {
        c.await.expect("client task");
    }
    assert_eq!(failures.load(Ordering::Relaxed), 0);
    assert!(served.load(Ordering::Relaxed) > 10, "the clients did run");
    assert!(s.status().await["reloads"].as_u64() >= Some(10));
    drop(s.live);
}

#[tokio::test]
async fn coverage_and_the_journal_survive_a_reload() {
    let two = |body: &str| {
        format!(
            "{}\n## Tags [/tags]\n### List [GET]\n+ Response 200 (application/json)\n\n        {body}\n",
            note("Notes", "{\"v\": 1}")
        )
    };
    let mut s = Reloading::start(&[("notes.apib", &two("[]"))]);
    for _ in 0..3 {
        assert_eq!(s.get("/notes").await.0, 200);
    }
    // Change the other route only.
    std::fs::write(s.path("notes.apib"), two("[\"new\"]")).expect("write");
    s.until("/tags", 200, "new").await;
    let (_, body) = s.get("/__mock/coverage").await;
    let coverage: Value = serde_json::from_str(&body).expect("JSON");
    let notes = coverage["transactions"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["transaction"] == "Notes > Read > #1")
        .expect("notes transaction")
        .clone();
    assert_eq!(notes["served"], 3, "{coverage}");
    let (_, journal) = s.get("/__mock/requests?path=/notes").await;
    let journal: Value = serde_json::from_str(&journal).expect("JSON");
    assert_eq!(journal["count"], 3, "{journal}");
}

#[tokio::test]
async fn a_strict_server_stays_strict_across_reloads() {
    let typed = |kind: &str| {
        format!(
            "# API\n## Item [/items/{{id}}]\n+ Parameters\n    + id: `1` ({kind})\n### Read [GET]\n+ Response 200 (text/plain)\n\n        {kind}\n"
        )
    };
    let dir = tempfile::tempdir().expect("temp dir");
    std::fs::write(dir.path().join("api.apib"), typed("number")).expect("write");
    let mut s = Reloading::serve_with(dir, None, true);
    assert_eq!(s.get("/items/x").await.0, 422, "not a number");
    std::fs::write(s.path("api.apib"), typed("string")).expect("write");
    s.until("/items/x", 200, "string").await;
    std::fs::write(s.path("api.apib"), typed("number")).expect("write");
    s.until("/items/x", 422, "contract-violation").await;
}

/// Two resources with JSON bodies; `v` marks the version.
fn two_notes(v: &str) -> String {
    format!(
        "FORMAT: 1A\n# Notes\n\n## A [/a]\n### Read [GET]\n+ Response 200 (application/json)\n\n        {{\"a\": \"{v}\", \"pad\": \"{pad}\"}}\n\n## B [/b]\n### Read [GET]\n+ Response 200 (application/json)\n\n        {{\"b\": \"{v}\"}}\n",
        pad = "p".repeat(200)
    )
}

#[tokio::test]
async fn a_save_written_in_pieces_is_never_served_half_written() {
    let s = Reloading::start(&[("notes.apib", &two_notes("1"))]);
    let path = s.path("notes.apib");
    let next = two_notes("2");
    // An editor writing in place, in pieces, with pauses: the first piece
    // cuts route A's body in the middle and drops route B.
    let cut = next.find("pad").expect("pad") + 50;
    let (first, rest) = next.split_at(cut);
    let writer = {
        let (path, first, rest) = (path.clone(), first.to_string(), rest.to_string());
        std::thread::spawn(move || {
            use std::io::Write as _;
            let mut f = std::fs::File::create(&path).expect("open");
            f.write_all(first.as_bytes()).expect("piece 1");
            f.flush().expect("flush");
            // The pause between pieces is the scenario itself.
            std::thread::sleep(Duration::from_millis(150));
            f.write_all(rest.as_bytes()).expect("piece 2");
        })
    };
    // Every answer meanwhile is a whole one: the old version or the new.
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    loop {
        let (a_code, a) = s.get("/a").await;
        let (b_code, b) = s.get("/b").await;
        assert_eq!(
            (a_code, b_code),
            (200, 200),
            "a route went missing: {a} {b}"
        );
        let a: Value = serde_json::from_str(&a).expect("a whole JSON body");
        let b: Value = serde_json::from_str(&b).expect("a whole JSON body");
        if a["a"] == "2" && b["b"] == "2" {
            break;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "never served: {a} {b}"
        );
        tokio::task::yield_now().await;
    }
    writer.join().expect("writer");
    let status = s.status().await;
    assert_eq!(status["failed_reloads"], 0, "{status}");
    assert_eq!(
        status["last_reload"]["removed"],
        serde_json::json!([]),
        "{status}"
    );
    assert_eq!(
        status["reloads"], 1,
        "one reload, of the whole save: {status}"
    );
}

#[tokio::test]
async fn watching_survives_the_spec_directory_being_deleted_and_recreated() {
    let dir = tempfile::tempdir().expect("temp dir");
    let specs = dir.path().join("specs");
    std::fs::create_dir(&specs).expect("mkdir");
    std::fs::write(specs.join("notes.apib"), note("Notes", "{\"v\": 1}")).expect("write");
    let mut s = Reloading::serve(dir, Some("specs"));
    assert_eq!(s.get("/notes").await.0, 200);
    std::fs::remove_dir_all(&specs).expect("delete the directory");
    // The deletion is a reload attempt that fails and keeps the contract.
    s.next_attempt().await;
    assert_eq!(s.get("/notes").await.0, 200);
    std::fs::create_dir(&specs).expect("recreate");
    std::fs::write(specs.join("notes.apib"), note("Notes", "{\"v\": \"back\"}")).expect("write");
    s.until("/notes", 200, "back").await;
    assert_eq!(s.status().await["watching"], true);
    // And the new directory is watched: a later edit is served too.
    std::fs::write(
        specs.join("notes.apib"),
        note("Notes", "{\"v\": \"again\"}"),
    )
    .expect("write");
    s.until("/notes", 200, "again").await;
}
