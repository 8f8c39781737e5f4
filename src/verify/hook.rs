//! `--hook-cmd`: a command run before each transaction, as Dredd's hooks
//! are used (log in first, inject a token, create the record a GET needs,
//! skip what cannot run here), without a runtime to embed.
//!
//! The command runs under `sh -c` with `APIB_MOCK_TRANSACTION` set to the
//! transaction's name and, on stdin, the planned request as JSON:
//! `{"name", "request": {"method", "uri", "headers": [[name, value]...],
//! "body"}}`. What it prints on stdout changes the request: nothing
//! leaves it as planned; a JSON object may set `"skip"` (`true` or a
//! reason), `"method"`, `"uri"`, `"body"` (a string, or `null` for none)
//! and `"headers"` (an object: each name set to its value, or removed
//! with `null`). A non-zero exit, or output that is not such an object,
//! fails the transaction with what the hook said.

use std::process::Stdio;
use std::time::Duration;

use serde_json::{Value, json};
use tokio::io::AsyncWriteExt as _;

use super::plan::Case;

/// What the hook made of a case.
#[derive(Debug)]
pub(crate) enum Hooked {
    /// Send it (as changed).
    Send,
    /// Skip it, for this reason.
    Skip(String),
    /// The hook failed: the transaction fails with this.
    Failed(String),
}

/// Runs `command` for `case`, applying what it says to the case.
pub(crate) async fn run(command: &str, case: &mut Case, timeout: Duration) -> Hooked {
    let input = json!({
        "name": case.name,
        "request": {
            "method": case.method,
            "uri": case.uri,
            "headers": case.headers,
            "body": case.body,
        }
    });
    let child = tokio::process::Command::new("sh")
        .arg("-c")
        .arg(command)
        .env("APIB_MOCK_TRANSACTION", &case.name)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true)
        .spawn();
    let mut child = match child {
        Ok(child) => child,
        Err(e) => return Hooked::Failed(format!("hook: cannot run `{command}`: {e}")),
    };
    if let Some(mut stdin) = child.stdin.take() {
        // A hook that does not read its input is fine.
        let _ = stdin.write_all(input.to_string().as_bytes()).await;
    }
    let output = match tokio::time::timeout(timeout, child.wait_with_output()).await {
        Ok(Ok(output)) => output,
        Ok(Err(e)) => return Hooked::Failed(format!("hook: {e}")),
        Err(_) => {
            return Hooked::Failed(format!(
                "hook: no answer within {} s (--timeout)",
                timeout.as_secs_f64()
            ));
        }
    };
    if !output.status.success() {
        return Hooked::Failed(format!(
            "hook exited with {}: {}",
            output.status,
            String::from_utf8_lossy(&output.stderr).trim()
        ));
    }
    let said = String::from_utf8_lossy(&output.stdout);
    if said.trim().is_empty() {
        return Hooked::Send;
    }
    match serde_json::from_str::<Value>(&said) {
        Ok(Value::Object(changes)) => apply(&changes, case),
        _ => Hooked::Failed(format!(
            "hook: stdout is not a JSON object: {:?}",
            said.chars().take(200).collect::<String>()
        )),
    }
}

fn apply(changes: &serde_json::Map<String, Value>, case: &mut Case) -> Hooked {
    match changes.get("skip") {
        Some(Value::Bool(true)) => return Hooked::Skip("the hook skipped it".into()),
        Some(Value::String(why)) => return Hooked::Skip(format!("the hook skipped it: {why}")),
        _ => {}
    }
    if let Some(method) = changes.get("method").and_then(Value::as_str) {
        case.method = method.to_string();
    }
    if let Some(uri) = changes.get("uri").and_then(Value::as_str) {
        case.uri = uri.to_string();
    }
    match changes.get("body") {
        Some(Value::Null) => case.body = None,
        Some(Value::String(body)) => case.body = Some(body.clone()),
        _ => {}
    }
    if let Some(Value::Object(headers)) = changes.get("headers") {
        for (name, value) in headers {
            case.headers.retain(|(n, _)| !n.eq_ignore_ascii_case(name));
            if let Some(value) = value.as_str() {
                case.headers.push((name.clone(), value.to_string()));
            }
        }
    }
    Hooked::Send
}
