//! Helpers: run the binary, find fixtures and the shared corpus.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// The project root.
pub fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// A file under `fixtures/`.
pub fn fixture(name: &str) -> String {
    root().join("fixtures").join(name).display().to_string()
}

/// Runs `apib-mock ARGS` in the project root.
pub fn run(args: &[&str]) -> Output {
    run_in(root(), args)
}

/// Runs `apib-mock ARGS` in `dir`.
pub fn run_in(dir: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_apib-mock"))
        .args(args)
        .current_dir(dir)
        .output()
        .expect("the apib-mock binary runs")
}

/// stdout as text.
pub fn stdout(out: &Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// stderr as text.
pub fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// `routes --json` output, parsed.
pub fn routes_json(spec: &str) -> Vec<serde_json::Value> {
    let out = run(&["routes", spec, "--json"]);
    serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("routes --json for {spec} is JSON: {e}\n{}", stderr(&out)))
}

/// `../shared` (or `$APIB_MOCK_SHARED`), when it is there. Tests that need
/// it print why they skip and pass, so a clone elsewhere still passes.
pub fn shared() -> Option<PathBuf> {
    let dir = std::env::var_os("APIB_MOCK_SHARED")
        .map(PathBuf::from)
        .unwrap_or_else(|| root().join("../shared"));
    if dir.join("corpus").is_dir() {
        Some(dir)
    } else {
        eprintln!(
            "SKIP: {} not found (set APIB_MOCK_SHARED to the shared material); \
             the corpus conformance checks did not run",
            dir.display()
        );
        None
    }
}

/// A mock server started in-process on `127.0.0.1:0`; stops when dropped.
pub struct TestServer {
    server: apib_mock::RunningServer,
}

impl TestServer {
    /// Serves `spec` (relative to the project root) with default settings.
    pub fn start(spec: &str) -> Self {
        Self::with_config(spec, apib_mock::ServeConfig::default())
    }

    /// Serves `spec` strictly (the contract compiled with its rules).
    pub fn strict(spec: &str) -> Self {
        Self::serve(spec, apib_mock::ServeConfig::default(), true)
    }

    /// Serves `spec` with `config`.
    pub fn with_config(spec: &str, config: apib_mock::ServeConfig) -> Self {
        Self::serve(spec, config, false)
    }

    /// Serves `spec` strictly with `config`.
    pub fn strict_with(spec: &str, config: apib_mock::ServeConfig) -> Self {
        Self::serve(spec, config, true)
    }

    /// The one startup path (`server::prepare`), as the CLI and
    /// `MockServer` take it.
    fn serve(spec: &str, config: apib_mock::ServeConfig, strict: bool) -> Self {
        let path = root().join(spec).display().to_string();
        let prefix = config.admin_prefix.clone();
        let startup = apib_mock::prepare(&[path], strict, prefix.as_deref())
            .unwrap_or_else(|e| panic!("{spec} serves: {e:?}"));
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
        let server = apib_mock::RunningServer::start_live(listener, startup.live, config)
            .expect("server starts");
        Self { server }
    }

    /// `http://127.0.0.1:PORT` + `path`.
    pub fn url(&self, path: &str) -> String {
        self.server.url(path)
    }

    /// The bound address.
    pub fn addr(&self) -> std::net::SocketAddr {
        self.server.addr()
    }
}

/// The response's `Apib-Mock-Transaction` header.
pub fn transaction(res: &reqwest::Response) -> String {
    res.headers()
        .get("apib-mock-transaction")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("<none>")
        .to_string()
}

/// Asserts `res` is a mock miss of problem `kind` and returns its document.
pub async fn problem(res: reqwest::Response, status: u16, kind: &str) -> serde_json::Value {
    assert_eq!(res.status().as_u16(), status);
    assert_eq!(res.headers()["apib-mock-match"], "none");
    assert_eq!(res.headers()["content-type"], "application/problem+json");
    let doc: serde_json::Value = res.json().await.expect("problem+json body");
    assert_eq!(doc["type"], format!("urn:apib-mock:problem:{kind}"));
    doc
}

/// Runs `apib-mock verify ARGS` off the async runtime (the server under
/// test runs on it).
pub async fn verify(args: Vec<String>) -> Output {
    tokio::task::spawn_blocking(move || {
        Command::new(env!("CARGO_BIN_EXE_apib-mock"))
            .arg("verify")
            .args(&args)
            .current_dir(root())
            .output()
            .expect("verify runs")
    })
    .await
    .expect("joined")
}
