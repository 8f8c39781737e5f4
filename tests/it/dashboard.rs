//! The dashboard (`GET /__mock/`) in a real browser: headless Chromium
//! driven through ChromeDriver's WebDriver API (`.ci/run` installs
//! Debian's `chromium` and `chromium-driver`; without them the test says
//! SKIP). Every wait is for something the page shows, polled, with a
//! deadline. With `APIB_MOCK_SCREENSHOTS=DIR` it saves a screenshot of
//! each view there (the README's come from `docs/`).

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use apib_mock::{LiveContract, RunningServer, ServeConfig};
use serde_json::{Value, json};

use crate::support::root;

const CHROMEDRIVER: &str = "/usr/bin/chromedriver";
const CHROMIUM: &str = "/usr/bin/chromium";

/// A ChromeDriver process and one browser session; both end when dropped.
struct Browser {
    driver: Child,
    /// The browser's profile: its processes are found by it and stopped
    /// when the test ends, however it ends.
    profile: tempfile::TempDir,
    base: String,
    session: String,
    http: reqwest::Client,
}

impl Browser {
    async fn start() -> Option<Browser> {
        if !Path::new(CHROMEDRIVER).exists() || !Path::new(CHROMIUM).exists() {
            eprintln!(
                "SKIP: {CHROMEDRIVER} or {CHROMIUM} not found (apt-get install chromium \
                 chromium-driver; .ci/run does): the dashboard's browser test did not run"
            );
            return None;
        }
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .expect("a free port")
            .port();
        let driver = Command::new(CHROMEDRIVER)
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("chromedriver starts");
        let base = format!("http://127.0.0.1:{port}");
        let http = reqwest::Client::new();
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            let ready = http.get(format!("{base}/status")).send().await;
            if let Ok(res) = ready
                && let Ok(v) = res.json::<Value>().await
                && v["value"]["ready"] == true
            {
                break;
            }
            assert!(Instant::now() < deadline, "chromedriver did not get ready");
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        let profile = tempfile::tempdir().expect("a profile directory");
        let caps = json!({"capabilities": {"alwaysMatch": {
            "browserName": "chrome",
            "goog:chromeOptions": {
                "binary": CHROMIUM,
                "args": ["--headless=new", "--no-sandbox", "--disable-gpu",
                         "--disable-dev-shm-usage", "--window-size=1280,800",
                         format!("--user-data-dir={}", profile.path().display())]
            }
        }}});
        let res: Value = http
            .post(format!("{base}/session"))
            .json(&caps)
            .send()
            .await
            .expect("a session")
            .json()
            .await
            .expect("JSON");
        let session = res["value"]["sessionId"]
            .as_str()
            .unwrap_or_else(|| panic!("no session: {res}"))
            .to_string();
        Some(Browser {
            driver,
            profile,
            base,
            session,
            http,
        })
    }

    async fn command(&self, method: reqwest::Method, path: &str, body: Value) -> Value {
        let url = format!("{}/session/{}{path}", self.base, self.session);
        let mut req = self.http.request(method, url);
        if !body.is_null() {
            req = req.json(&body);
        }
        let res: Value = req
            .send()
            .await
            .expect("webdriver answers")
            .json()
            .await
            .expect("JSON");
        res["value"].clone()
    }

    async fn open(&self, url: &str) {
        self.command(reqwest::Method::POST, "/url", json!({ "url": url }))
            .await;
    }

    /// Runs `script` (a function body) in the page and returns its value.
    async fn eval(&self, script: &str) -> Value {
        self.command(
            reqwest::Method::POST,
            "/execute/sync",
            json!({"script": script, "args": []}),
        )
        .await
    }

    /// Waits (at most `within`) until `script` returns something truthy;
    /// returns it and how long it took.
    async fn until(&self, script: &str, within: Duration) -> (Value, Duration) {
        let started = Instant::now();
        loop {
            let v = self.eval(script).await;
            let truthy = !matches!(&v, Value::Null | Value::Bool(false))
                && v.as_str() != Some("")
                && !v.get("error").is_some_and(|e| e.is_string());
            if truthy {
                return (v, started.elapsed());
            }
            assert!(
                started.elapsed() < within,
                "the page never showed `{script}` (last: {v})"
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    async fn screenshot(&self, name: &str) {
        let Some(dir) = std::env::var_os("APIB_MOCK_SCREENSHOTS") else {
            return;
        };
        let data = self
            .command(reqwest::Method::GET, "/screenshot", Value::Null)
            .await;
        let png = base64_decode(data.as_str().unwrap_or_default());
        assert!(png.starts_with(b"\x89PNG"), "a PNG screenshot: {data:.200}");
        std::fs::write(PathBuf::from(dir).join(name), png).expect("screenshot written");
    }
}

impl Drop for Browser {
    fn drop(&mut self) {
        // The browser outlives a killed driver: its processes go first.
        let _ = Command::new("pkill")
            .arg("-f")
            .arg(self.profile.path())
            .status();
        let _ = self.driver.kill();
        let _ = self.driver.wait();
    }
}

/// Standard base64 (the screenshot's encoding).
fn base64_decode(text: &str) -> Vec<u8> {
    let value = |c: u8| match c {
        b'A'..=b'Z' => Some(c - b'A'),
        b'a'..=b'z' => Some(c - b'a' + 26),
        b'0'..=b'9' => Some(c - b'0' + 52),
        b'+' => Some(62),
        b'/' => Some(63),
        _ => None,
    };
    let mut out = Vec::with_capacity(text.len() * 3 / 4);
    let (mut acc, mut bits) = (0u32, 0);
    for v in text.bytes().filter_map(value) {
        acc = (acc << 6) | u32::from(v);
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push((acc >> bits) as u8);
        }
    }
    out
}

/// The seed, served from a temp copy that the test edits, watched.
struct Mock {
    server: RunningServer,
    _live: Arc<LiveContract>,
    _watcher: apib_mock::__private::Watcher,
    spec: PathBuf,
    _dir: tempfile::TempDir,
}

fn mock() -> Mock {
    let dir = tempfile::tempdir().expect("temp dir");
    let spec = dir.path().join("retailers.apib");
    std::fs::copy(root().join("specs/retailers.apib"), &spec).expect("copied");
    let specs = vec![spec.display().to_string()];
    let live = apib_mock::prepare(&specs, false, Some("/__mock"))
        .expect("serves")
        .live;
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let server =
        RunningServer::start_live(listener, live.clone(), ServeConfig::default()).expect("starts");
    let watcher = apib_mock::__private::watch(
        &specs,
        live.clone(),
        Box::new(|_: &apib_mock::ReloadOutcome| {}),
    )
    .expect("watching");
    Mock {
        server,
        _live: live,
        _watcher: watcher,
        spec,
        _dir: dir,
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_dashboard_in_a_browser() {
    let Some(browser) = Browser::start().await else {
        return;
    };
    let mock = mock();
    let client = reqwest::Client::new();
    browser.open(&mock.server.url("/__mock/")).await;
    browser
        .until(
            "return document.getElementById('live').textContent.includes('live')",
            Duration::from_secs(10),
        )
        .await;

    // Routes: the seed's 9 routes and 20 transactions.
    browser
        .eval("document.getElementById('tab-routes').click()")
        .await;
    let (count, _) = browser
        .until(
            "const c = document.getElementById('route-count'); return c && c.textContent",
            Duration::from_secs(5),
        )
        .await;
    assert_eq!(count, "9 routes, 20 transactions");
    // The send button issues the documented request and shows the answer.
    browser
        .eval("document.querySelector('[aria-label=\"send Agents > Agents > Get agents > #1\"]').click()")
        .await;
    let (answer, _) = browser
        .until(
            "const p = document.querySelector('.tx-block pre:not([hidden])'); return p && p.textContent",
            Duration::from_secs(5),
        )
        .await;
    assert!(
        answer.as_str().is_some_and(
            |a| a.starts_with("200") && a.contains("Agents > Agents > Get agents > #1")
        ),
        "{answer}"
    );
    browser.screenshot("dashboard-routes.png").await;

    // A request sent with curl shows up live, with what answered it.
    browser
        .eval("document.getElementById('tab-requests').click()")
        .await;
    let sent = Instant::now();
    client
        .get(mock.server.url("/retailers/api/v1/customers/4881ljusi3874"))
        .send()
        .await
        .expect("answered");
    let (row, _) = browser
        .until(
            "const r = [...document.querySelectorAll('#request-table tbody tr')].find(r => r.textContent.includes('/customers/4881ljusi3874')); return r && r.textContent",
            Duration::from_secs(5),
        )
        .await;
    let shown_after = sent.elapsed();
    assert!(
        shown_after < Duration::from_secs(1),
        "shown after {shown_after:?}"
    );
    assert!(
        row.as_str()
            .is_some_and(|r| r.contains("Customers > Customers > Get a customer > #1")),
        "{row}"
    );

    // A miss shows its closest routes.
    client
        .get(mock.server.url("/retailers/api/v1/agentz"))
        .send()
        .await
        .expect("answered");
    browser
        .until(
            "const r = [...document.querySelectorAll('#request-table tbody tr')].find(r => r.textContent.includes('/agentz')); if (r) r.click(); return !!r",
            Duration::from_secs(5),
        )
        .await;
    let (closest, _) = browser
        .until(
            "const c = document.querySelector('#request-detail .closest'); return c && c.textContent",
            Duration::from_secs(5),
        )
        .await;
    assert!(
        closest
            .as_str()
            .is_some_and(|c| c.contains("/retailers/api/v1/agents")),
        "{closest}"
    );

    // A body with markup is shown as text, never run or rendered.
    let hostile = "<script>window.pwned = 1</script><b id=\"bold\">bold</b><img src=x onerror=\"window.pwned=2\">";
    client
        .post(mock.server.url("/nowhere"))
        .header("Content-Type", "text/html")
        .body(hostile)
        .send()
        .await
        .expect("answered");
    browser
        .until(
            "const r = [...document.querySelectorAll('#request-table tbody tr')].find(r => r.textContent.includes('/nowhere')); if (r) r.click(); return !!r",
            Duration::from_secs(5),
        )
        .await;
    let (shown, _) = browser
        .until(
            "const b = document.querySelector('#request-detail .request-body'); return b && b.textContent",
            Duration::from_secs(5),
        )
        .await;
    assert_eq!(shown, hostile);
    let rendered = browser
        .eval("return [window.pwned === undefined, document.getElementById('bold') === null, document.querySelectorAll('#request-detail img').length]")
        .await;
    assert_eq!(rendered, json!([true, true, 0]));
    browser.screenshot("dashboard-requests.png").await;

    // A broken save shows its diagnostic; the fixed save clears it.
    let original = std::fs::read_to_string(&mock.spec).expect("spec");
    browser
        .eval("document.getElementById('tab-spec').click()")
        .await;
    std::fs::write(
        &mock.spec,
        original.replace(
            "## Agents [/retailers/api/v1/agents]",
            "## Agents [/retailers/api/v1/{agents]",
        ),
    )
    .expect("broken save");
    let (diagnostic, _) = browser
        .until(
            "const d = document.querySelector('#spec-error .diagnostics'); return d && d.textContent",
            Duration::from_secs(10),
        )
        .await;
    assert!(
        diagnostic
            .as_str()
            .is_some_and(|d| d.contains("retailers.apib:6:")),
        "{diagnostic}"
    );
    browser.screenshot("dashboard-spec.png").await;
    std::fs::write(&mock.spec, &original).expect("fixed save");
    browser
        .until(
            "return document.getElementById('spec-error').children.length === 0 && document.getElementById('health').className.includes('ok')",
            Duration::from_secs(10),
        )
        .await;

    // Coverage.
    browser
        .eval("document.getElementById('tab-coverage').click()")
        .await;
    let (summary, _) = browser
        .until(
            "return document.getElementById('coverage-summary').textContent",
            Duration::from_secs(5),
        )
        .await;
    assert!(
        summary
            .as_str()
            .is_some_and(|s| s.ends_with("of 20 documented transactions served")),
        "{summary}"
    );
    browser.screenshot("dashboard-coverage.png").await;

    // A narrow window: the views stack, nothing runs off to the side.
    browser
        .command(
            reqwest::Method::POST,
            "/window/rect",
            json!({"width": 480, "height": 800}),
        )
        .await;
    browser
        .eval("document.getElementById('tab-requests').click()")
        .await;
    let (fits, _) = browser
        .until(
            "return window.innerWidth < 600 && document.documentElement.scrollWidth <= window.innerWidth",
            Duration::from_secs(5),
        )
        .await;
    assert_eq!(fits, true);
    browser.screenshot("dashboard-narrow.png").await;

    // The page's own requests (a favicon included) are never misses.
    let misses: Value = client
        .get(mock.server.url("/__mock/requests?unmatched=true"))
        .send()
        .await
        .expect("journal")
        .json()
        .await
        .expect("JSON");
    let paths: Vec<&str> = misses["requests"]
        .as_array()
        .map(|r| r.iter().filter_map(|e| e["path"].as_str()).collect())
        .unwrap_or_default();
    assert_eq!(paths, ["/retailers/api/v1/agentz", "/nowhere"]);

    browser
        .command(reqwest::Method::DELETE, "", Value::Null)
        .await;
}

/// The page's files and API without a browser (these run everywhere).
#[tokio::test]
async fn the_page_is_served_with_a_strict_policy_and_explains_answers() {
    let server = crate::support::TestServer::start("specs/retailers.apib");
    let client = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("client");
    let res = client
        .get(server.url("/__mock"))
        .send()
        .await
        .expect("answered");
    assert_eq!(res.status(), 308);
    assert_eq!(res.headers()["location"], "/__mock/");
    let res = client
        .get(server.url("/__mock/"))
        .send()
        .await
        .expect("answered");
    assert_eq!(res.status(), 200);
    let policy = res.headers()["content-security-policy"]
        .to_str()
        .expect("text")
        .to_string();
    assert!(policy.contains("script-src 'self'"), "{policy}");
    assert!(!policy.contains("unsafe-inline"), "{policy}");
    let html = res.text().await.expect("html");
    assert!(html.contains("<script src=\"app.js\" defer></script>"));
    assert!(
        html.contains("rel=\"icon\" href=\"data:,\""),
        "no favicon request"
    );
    for (file, media) in [("app.js", "text/javascript"), ("app.css", "text/css")] {
        let res = client
            .get(server.url(&format!("/__mock/{file}")))
            .send()
            .await
            .expect("answered");
        assert!(
            res.headers()["content-type"]
                .to_str()
                .is_ok_and(|t| t.starts_with(media))
        );
    }

    // Why a request got its answer: the candidates, with what matched.
    client
        .post(server.url("/retailers/api/v1/whatsapp/send_notification_by_id"))
        .json(
            &json!({"phone_number": "+1", "internal_id": "x", "template_params": ["a", "b", "c"]}),
        )
        .send()
        .await
        .expect("answered");
    let list: Value = client
        .get(server.url("/__mock/requests"))
        .send()
        .await
        .expect("journal")
        .json()
        .await
        .expect("JSON");
    let id = list["requests"][0]["id"].as_u64().expect("an id");
    let detail: Value = client
        .get(server.url(&format!("/__mock/requests/{id}")))
        .send()
        .await
        .expect("detail")
        .json()
        .await
        .expect("JSON");
    let answered = detail["request"]["transaction"].as_str().expect("answered");
    let candidates = detail["candidates"].as_array().expect("candidates");
    assert_eq!(candidates.len(), 7, "every example of the action");
    let chosen = candidates
        .iter()
        .find(|c| c["transaction"] == answered)
        .expect("the answering one is a candidate");
    assert!(
        chosen["matches"].as_array().is_some_and(|m| m
            .iter()
            .any(|s| s.as_str().is_some_and(|s| s.contains("JSON body")))),
        "{chosen}"
    );
    let res = client
        .get(server.url("/__mock/requests/999999"))
        .send()
        .await
        .expect("answered");
    assert_eq!(res.status(), 404);
}

#[tokio::test]
async fn the_event_stream_carries_each_request() {
    let server = crate::support::TestServer::start("specs/retailers.apib");
    let client = reqwest::Client::new();
    let mut events = client
        .get(server.url("/__mock/events"))
        .send()
        .await
        .expect("a stream");
    assert_eq!(events.headers()["content-type"], "text/event-stream");
    let mut seen = String::new();
    // The stream says hello first: the server knows the page listens.
    while !seen.contains("event: hello") {
        let chunk = events.chunk().await.expect("readable").expect("more");
        seen.push_str(&String::from_utf8_lossy(&chunk));
    }
    client
        .get(server.url("/retailers/api/v1/agents"))
        .send()
        .await
        .expect("answered");
    while !seen.contains("event: request") {
        let chunk = events.chunk().await.expect("readable").expect("more");
        seen.push_str(&String::from_utf8_lossy(&chunk));
    }
    let data = seen
        .split("event: request\ndata: ")
        .nth(1)
        .and_then(|d| d.lines().next())
        .expect("a data line");
    let event: Value = serde_json::from_str(data).expect("JSON");
    assert_eq!(event["target"], "/retailers/api/v1/agents");
    assert_eq!(event["transaction"], "Agents > Agents > Get agents > #1");
}

#[tokio::test]
async fn with_a_token_the_page_loads_and_its_stream_takes_the_token_in_its_query() {
    let mut config = ServeConfig::default();
    config.admin_token = Some("s3cret".into());
    let server = crate::support::TestServer::with_config("specs/retailers.apib", config);
    let client = reqwest::Client::new();
    let status = |path: &'static str| {
        let request = client.get(server.url(path)).send();
        async move { request.await.expect("answered").status().as_u16() }
    };
    assert_eq!(status("/__mock/").await, 200, "the page holds no data");
    assert_eq!(status("/__mock/status").await, 401);
    assert_eq!(status("/__mock/events?token=wrong").await, 401);
    assert_eq!(status("/__mock/events?token=s3cret").await, 200);
    assert_eq!(
        status("/__mock/status?token=s3cret").await,
        401,
        "only the stream takes it in its query"
    );
}

#[tokio::test]
async fn the_status_lists_the_served_specs_warnings() {
    let dir = tempfile::tempdir().expect("temp dir");
    let spec = dir.path().join("api.apib");
    std::fs::write(
        &spec,
        "# API\n## Things [/things{?since}]\n### List [GET]\n+ Response 200 (text/plain)\n\n        ok\n",
    )
    .expect("written");
    let startup =
        apib_mock::prepare(&[spec.display().to_string()], false, Some("/__mock")).expect("serves");
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let server =
        RunningServer::start_live(listener, startup.live, ServeConfig::default()).expect("starts");
    let status: Value = reqwest::get(server.url("/__mock/status"))
        .await
        .expect("answered")
        .json()
        .await
        .expect("JSON");
    let warnings = status["warnings"].as_array().expect("a list");
    assert_eq!(warnings.len(), 1, "{status}");
    assert_eq!(warnings[0]["line"], 3, "{status}");
    assert!(
        warnings[0]["message"]
            .as_str()
            .is_some_and(|m| m.contains("since")),
        "{status}"
    );
}
