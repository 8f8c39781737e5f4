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
