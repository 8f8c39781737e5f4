//! Conformance with the reference compiler (drafter.js 2.6.7): for every
//! example blueprint, `routes --json` must list the same transactions as
//! `../shared/corpus/expected/`, MSON-generated bodies and schemas
//! included.
//!
//! Known, deliberate differences (see docs in the checklist):
//! - runs of blank lines inside a non-JSON body: the reference collapses
//!   them, we keep the body as written; text bodies are compared with blank
//!   runs collapsed on both sides.
//! - JSON bodies and schemas are compared as JSON values when both sides
//!   parse (whitespace is not part of the contract).
//! - headers are compared by name case-insensitively; the reference keeps
//!   them in an object, we keep every `[name, value]` pair in order.

use std::path::Path;

use serde_json::Value;

use crate::support;

fn collapse_blank_runs(text: &str) -> String {
    let mut out = Vec::new();
    for line in text.lines() {
        let blank = line.trim().is_empty();
        if blank && out.last().is_some_and(|l: &&str| l.trim().is_empty()) {
            continue;
        }
        out.push(line);
    }
    out.join("\n").trim_end().to_string()
}

fn same_asset(ours: &Value, theirs: &Value) -> bool {
    match (ours.as_str(), theirs.as_str()) {
        (None, None) => true,
        // An empty asset and no asset are the same contract.
        (Some(""), None) | (None, Some("")) => true,
        (Some(a), Some(b)) => {
            match (
                serde_json::from_str::<Value>(a),
                serde_json::from_str::<Value>(b),
            ) {
                (Ok(x), Ok(y)) => x == y,
                _ => collapse_blank_runs(a) == collapse_blank_runs(b),
            }
        }
        _ => false,
    }
}

fn headers_map(v: &Value) -> Vec<(String, String)> {
    let mut pairs: Vec<(String, String)> = match v {
        Value::Array(pairs) => pairs
            .iter()
            .filter_map(|p| {
                Some((
                    p[0].as_str()?.to_ascii_lowercase(),
                    p[1].as_str()?.to_string(),
                ))
            })
            .collect(),
        Value::Object(map) => map
            .iter()
            .map(|(k, v)| (k.to_ascii_lowercase(), v.as_str().unwrap_or("").to_string()))
            .collect(),
        _ => Vec::new(),
    };
    pairs.sort();
    pairs.dedup_by(|a, b| a.0 == b.0);
    pairs
}

/// Every difference between our transactions and the reference's.
fn differences(ours: &[Value], expected: &[Value]) -> Vec<String> {
    let mut diffs = Vec::new();
    if ours.len() != expected.len() {
        diffs.push(format!(
            "{} transactions, reference has {}",
            ours.len(),
            expected.len()
        ));
    }
    for (i, (o, e)) in ours.iter().zip(expected).enumerate() {
        let mut check = |what: &str, same: bool, a: &Value, b: &Value| {
            if !same {
                diffs.push(format!("#{i} {what}: ours {a} reference {b}"));
            }
        };
        for key in ["group", "resource", "action", "method", "uri_template"] {
            check(key, o[key] == e[key], &o[key], &e[key]);
        }
        check(
            "request name",
            o["request"]["name"] == e["request_name"],
            &o["request"]["name"],
            &e["request_name"],
        );
        for half in ["request", "response"] {
            let (oh, eh) = (&o[half], &e[half]);
            check(
                &format!("{half} headers"),
                headers_map(&oh["headers"]) == headers_map(&eh["headers"]),
                &oh["headers"],
                &eh["headers"],
            );
            for asset in ["body", "schema"] {
                check(
                    &format!("{half} {asset}"),
                    same_asset(&oh[asset], &eh[asset]),
                    &oh[asset],
                    &eh[asset],
                );
            }
        }
        let status = &o["response"]["status"];
        let expected_status = &e["response"]["status"];
        check("status", status == expected_status, status, expected_status);
    }
    diffs
}

fn compare(apib: &Path, expected: &Path) -> Vec<String> {
    let ours = support::routes_json(&apib.display().to_string());
    let expected: Value =
        serde_json::from_str(&std::fs::read_to_string(expected).expect("expected file"))
            .expect("expected is JSON");
    let expected = expected["transactions"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    differences(&ours, &expected)
}

#[test]
fn corpus_examples_match_the_reference_transactions() {
    let Some(shared) = support::shared() else {
        return;
    };
    let examples = shared.join("corpus/api-blueprint-examples");
    let mut checked = 0;
    let mut failures = Vec::new();
    let mut entries: Vec<_> = std::fs::read_dir(&examples)
        .expect("corpus dir")
        .flatten()
        .collect();
    entries.sort_by_key(|e| e.path());
    for entry in entries {
        let path = entry.path();
        if path.extension().is_none_or(|e| e != "apib") {
            continue;
        }
        let stem = path
            .file_stem()
            .and_then(|s| s.to_str())
            .unwrap_or_default();
        let expected = shared.join(format!("corpus/expected/{stem}.json"));
        checked += 1;
        for d in compare(&path, &expected) {
            failures.push(format!("{stem}: {d}"));
        }
    }
    assert!(checked >= 20, "only {checked} corpus examples found");
    assert!(
        failures.is_empty(),
        "differences from the reference:\n{}",
        failures.join("\n")
    );
}

#[test]
fn the_seed_matches_the_reference_transactions() {
    let Some(shared) = support::shared() else {
        return;
    };
    let diffs = compare(
        &support::root().join("specs/retailers.apib"),
        &shared.join("seed/retailers-api.expected.json"),
    );
    assert!(
        diffs.is_empty(),
        "differences from the reference:\n{}",
        diffs.join("\n")
    );
}

#[test]
fn the_project_spec_is_the_users_seed_unchanged() {
    let Some(shared) = support::shared() else {
        return;
    };
    let seed = std::fs::read(shared.join("seed/retailers-api.apib")).expect("seed");
    let ours = std::fs::read(support::root().join("specs/retailers.apib")).expect("spec");
    assert!(
        seed == ours,
        "specs/retailers.apib differs from the user's seed"
    );
}
