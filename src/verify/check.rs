//! A real response against the documented one: status, documented
//! headers, and the JSON body against its schema (written, generated from
//! MSON, or inferred from the example: keys and types), or with `--body
//! exact` against the example's values.

use serde_json::Value;

use super::plan::Expectation;
use crate::contract::essence;

/// How bodies are compared.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "cli", derive(clap::ValueEnum))]
pub enum BodyMode {
    /// Valid against the schema (keys and types, not values).
    Schema,
    /// Equal to the documented example (JSON compared as JSON).
    Exact,
}

/// What the server answered.
#[derive(Debug, Clone)]
pub struct Observed {
    /// The status.
    pub status: u16,
    /// The headers, in order.
    pub headers: Vec<(String, String)>,
    /// The body.
    pub body: Vec<u8>,
}

/// Whether a documented response header is checked: not the framing of
/// one message, nor `Date`/`Keep-Alive`, which a real server sets itself.
fn is_contract_header(lower: &str) -> bool {
    !matches!(lower, "date" | "keep-alive") && !crate::contract::FRAMING_HEADERS.contains(&lower)
}

/// Every way `observed` differs from `expect`, as readable lines (empty:
/// it passes).
pub fn check(expect: &Expectation, observed: &Observed, mode: BodyMode) -> Vec<String> {
    let mut failures = Vec::new();
    if expect.status != observed.status {
        failures.push(format!(
            "status: expected {}, got {}",
            expect.status, observed.status
        ));
    }
    let got = |name: &str| {
        observed
            .headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    };
    for (name, value) in &expect.headers {
        let lower = name.to_ascii_lowercase();
        if !is_contract_header(&lower) {
            continue;
        }
        match got(name) {
            None => failures.push(format!("header {name}: missing (documented: {value})")),
            Some(actual) if lower == "content-type" && essence(actual) != essence(value) => {
                failures.push(format!(
                    "header Content-Type: expected {}, got {}",
                    essence(value),
                    essence(actual)
                ));
            }
            Some(_) => {}
        }
    }
    check_body(expect, observed, mode, &mut failures);
    failures
}

/// The text without its whitespace.
fn squeezed(text: &str) -> String {
    text.split_whitespace().collect()
}

fn check_body(expect: &Expectation, observed: &Observed, mode: BodyMode, out: &mut Vec<String>) {
    let documented_json = expect
        .body
        .as_deref()
        .and_then(|b| serde_json::from_str::<Value>(b).ok());
    let schema = expect
        .schema
        .as_deref()
        .and_then(|s| serde_json::from_str::<Value>(s).ok());
    // One rule for a documented body that is not JSON (text, or JSON
    // with comments and `...`): compared as text, schema or not, exactly
    // with `--body exact`, else whitespace aside.
    if documented_json.is_none()
        && let Some(text) = &expect.body
    {
        let actual = String::from_utf8_lossy(&observed.body);
        let same = match mode {
            BodyMode::Exact => actual.trim_end() == text.trim_end(),
            BodyMode::Schema => squeezed(&actual) == squeezed(text),
        };
        if !same {
            out.push(format!(
                "body (documented as text, not JSON: compared as text{}): expected {:?}, got {:?}",
                if mode == BodyMode::Schema {
                    ", whitespace aside"
                } else {
                    ""
                },
                clip(text),
                clip(&actual)
            ));
        }
        return;
    }
    if documented_json.is_none() && schema.is_none() {
        return;
    }
    let actual: Value = match serde_json::from_slice(&observed.body) {
        Ok(v) => v,
        Err(e) => {
            out.push(format!(
                "body: expected JSON, got {} ({e})",
                if observed.body.is_empty() {
                    "no body".to_string()
                } else {
                    format!("{:?}", clip(&String::from_utf8_lossy(&observed.body)))
                }
            ));
            return;
        }
    };
    if mode == BodyMode::Exact
        && let Some(expected) = &documented_json
    {
        let mut diffs = Vec::new();
        json_diff(expected, &actual, &mut String::new(), &mut diffs);
        let shown = diffs.len().min(10);
        out.extend(diffs.drain(..shown).map(|d| format!("body {d}")));
        if !diffs.is_empty() {
            out.push(format!("body: {} more differences", diffs.len()));
        }
        return;
    }
    let (schema, what) = match (schema, &documented_json) {
        (Some(s), _) => (s, "schema"),
        (None, Some(example)) => match crate::contract::infer::infer(&[example]) {
            Some(s) => (s, "the example's keys and types"),
            None => return,
        },
        (None, None) => return,
    };
    let Ok(validator) = jsonschema::validator_for(&schema) else {
        out.push("body: the documented schema does not compile; not checked".into());
        return;
    };
    for error in validator.iter_errors(&actual).take(10) {
        let pointer = error.instance_path().to_string();
        out.push(format!(
            "body {}: {} ({what}); got {}",
            if pointer.is_empty() { "/" } else { &pointer },
            error.masked_with("the value"),
            clip(&error.instance().to_string())
        ));
    }
}

/// Differences between two JSON values, as `pointer: expected X, got Y`.
fn json_diff(expected: &Value, actual: &Value, pointer: &mut String, out: &mut Vec<String>) {
    match (expected, actual) {
        (Value::Object(e), Value::Object(a)) => {
            for (k, ev) in e {
                let len = pointer.len();
                pointer.push('/');
                pointer.push_str(&k.replace('~', "~0").replace('/', "~1"));
                match a.get(k) {
                    Some(av) => json_diff(ev, av, pointer, out),
                    None => out.push(format!(
                        "{pointer}: missing (expected {})",
                        clip(&ev.to_string())
                    )),
                }
                pointer.truncate(len);
            }
            for k in a.keys().filter(|k| !e.contains_key(*k)) {
                out.push(format!("{pointer}/{k}: not documented"));
            }
        }
        (Value::Array(e), Value::Array(a)) if e.len() == a.len() => {
            for (i, (ev, av)) in e.iter().zip(a).enumerate() {
                let len = pointer.len();
                pointer.push_str(&format!("/{i}"));
                json_diff(ev, av, pointer, out);
                pointer.truncate(len);
            }
        }
        (e, a) if e != a => out.push(format!(
            "{}: expected {}, got {}",
            if pointer.is_empty() { "/" } else { pointer },
            clip(&e.to_string()),
            clip(&a.to_string())
        )),
        _ => {}
    }
}

fn clip(text: &str) -> String {
    if text.chars().count() <= 120 {
        return text.to_string();
    }
    let cut: String = text.chars().take(117).collect();
    format!("{cut}...")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn expect(status: u16, body: Option<&str>) -> Expectation {
        Expectation {
            status,
            headers: vec![("Content-Type".into(), "application/json".into())],
            body: body.map(str::to_string),
            schema: None,
        }
    }

    fn observed(status: u16, ct: &str, body: &str) -> Observed {
        Observed {
            status,
            headers: vec![("content-type".into(), ct.into())],
            body: body.as_bytes().to_vec(),
        }
    }

    #[test]
    fn a_documented_body_that_is_not_json_is_compared_as_text_schema_or_not() {
        let text = "{\n  \"id\": \"abc123\", // the note's id\n}";
        let mut e = expect(200, Some(text));
        let same = observed(200, "application/json", text);
        assert!(check(&e, &same, BodyMode::Schema).is_empty());
        assert!(check(&e, &same, BodyMode::Exact).is_empty());
        // A schema does not turn it into a JSON comparison.
        e.schema = Some(r#"{"type": "object"}"#.into());
        assert!(check(&e, &same, BodyMode::Schema).is_empty());
        let spaced = observed(
            200,
            "application/json",
            "{ \"id\": \"abc123\", // the note's id }",
        );
        assert!(
            check(&e, &spaced, BodyMode::Schema).is_empty(),
            "whitespace aside"
        );
        assert_eq!(check(&e, &spaced, BodyMode::Exact).len(), 1);
        let other = observed(200, "application/json", r#"{"id": "zzz"}"#);
        let failures = check(&e, &other, BodyMode::Schema);
        assert!(
            failures[0].starts_with(
                "body (documented as text, not JSON: compared as text, whitespace aside)"
            ),
            "{failures:?}"
        );
    }

    #[test]
    fn keys_and_types_pass_whatever_the_values() {
        let e = expect(200, Some(r#"{"id": 1, "tags": ["a"]}"#));
        let o = observed(
            200,
            "application/json; charset=utf-8",
            r#"{"id": 7, "tags": [], "x": 1}"#,
        );
        assert!(check(&e, &o, BodyMode::Schema).is_empty());
        let exact = check(&e, &o, BodyMode::Exact);
        assert_eq!(
            exact,
            [
                "body /id: expected 1, got 7",
                "body /tags: expected [\"a\"], got []",
                "body /x: not documented"
            ]
        );
    }

    #[test]
    fn status_headers_and_types_are_reported() {
        let e = expect(201, Some(r#"{"id": 1}"#));
        let o = observed(200, "text/html", r#"{"id": "1"}"#);
        let failures = check(&e, &o, BodyMode::Schema);
        assert_eq!(failures[0], "status: expected 201, got 200");
        assert_eq!(
            failures[1],
            "header Content-Type: expected application/json, got text/html"
        );
        assert!(
            failures[2].starts_with("body /id: the value is not of type"),
            "{failures:?}"
        );
        let missing = check(
            &e,
            &observed(201, "application/json", "{}"),
            BodyMode::Schema,
        );
        assert!(
            missing[0].contains("\"id\" is a required property"),
            "{missing:?}"
        );
        let not_json = check(
            &e,
            &observed(201, "application/json", "oops"),
            BodyMode::Schema,
        );
        assert!(
            not_json[0].starts_with("body: expected JSON"),
            "{not_json:?}"
        );
    }
}
