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

/// Where apib-mock knowingly reads a real-world document otherwise than the
/// reference: (file, the fields that differ, why). A listed difference
/// that disappears fails the test, so the list only shrinks.
const REAL_WORLD_DIFFERENCES: &[(&str, &[&str], &str)] = &[
    (
        "010_AdStage_api-docs_apiary",
        &["request schema"],
        "MSON member descriptions: the reference keeps trailing spaces and a fenced code block \
         in a description, and drops the type of a last member followed by a line of spaces \
         (`dimensions (array)` loses `\"type\": \"array\"`); descriptions never change what is \
         served or validated",
    ),
    (
        "059_hubcash_docs_api",
        &[
            "request body",
            "request schema",
            "response body",
            "response schema",
        ],
        "the reference cuts an MSON value at a hyphen: `223.112.333.112-22 (string)` becomes \
         `223.112.333.112` and `22 (required) - ...` its description; we keep the value the \
         author wrote",
    ),
    (
        "091_Bornholm_yasp_api",
        &["status"],
        "a request documented without any response: our status is null (nothing documented, \
         nothing served), the reference says 0",
    ),
    (
        "099_rootstrap_rails_api_base_index",
        &["transactions"],
        "resource URIs written without a leading `/` (`[api/v1/user]`): the reference drops \
         those resources and their 7 transactions without a word; we read them with a `/` and \
         warn",
    ),
];

/// Real-world files the reference rejects outright (no transactions), and
/// why we do not, where we do not.
const REJECTED_BY_THE_REFERENCE: &[(&str, Option<&str>)] = &[
    ("024_NCKU-CCS_energy-trading-platform_apiary", None),
    (
        "071_lingxi_lingxiapi-docs_api",
        Some("tab characters: the reference refuses any tab, we read tabs as indentation"),
    ),
];

/// The field a difference from [`differences`] is about.
fn field_of(diff: &str) -> &str {
    if diff.contains(" transactions, reference has ") {
        return "transactions";
    }
    let after_index = diff.split_once(' ').map_or(diff, |(_, rest)| rest);
    after_index.split(':').next().unwrap_or("")
}

#[test]
fn real_world_blueprints_match_the_reference_but_for_listed_differences() {
    let Some(shared) = support::shared() else {
        return;
    };
    let dir = shared.join("corpus/real-world");
    if !dir.is_dir() {
        eprintln!("SKIP: {} not found", dir.display());
        return;
    }
    let mut specs: Vec<_> = std::fs::read_dir(dir.join("specs"))
        .expect("real-world specs")
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|e| e == "apib"))
        .collect();
    specs.sort();
    let (mut total, mut equal, mut files, mut files_equal) = (0, 0, 0, 0);
    let mut failures = Vec::new();
    let mut unused: Vec<&str> = REAL_WORLD_DIFFERENCES.iter().map(|d| d.0).collect();
    for spec in &specs {
        let stem = spec
            .file_stem()
            .and_then(|s| s.to_str())
            .unwrap_or_default();
        let expected = dir.join(format!("expected/{stem}.json"));
        if !expected.exists() {
            let known = REJECTED_BY_THE_REFERENCE.iter().find(|(f, _)| *f == stem);
            let out = support::run(&["check", &spec.display().to_string()]);
            match known {
                Some((_, None)) if out.status.code() != Some(1) => failures.push(format!(
                    "{stem}: the reference rejects it and so should we (check has no error)"
                )),
                None => failures.push(format!(
                    "{stem}: the reference rejects it; list it in REJECTED_BY_THE_REFERENCE"
                )),
                _ => {}
            }
            continue;
        }
        files += 1;
        let reference: Value =
            serde_json::from_str(&std::fs::read_to_string(&expected).expect("expected file"))
                .expect("expected is JSON");
        let reference = reference["transactions"]
            .as_array()
            .cloned()
            .unwrap_or_default();
        let ours = support::routes_json(&spec.display().to_string());
        total += reference.len();
        let diffs = differences(&ours, &reference);
        let differing: std::collections::BTreeSet<&str> = diffs
            .iter()
            .map(|d| d.split_once(' ').map_or("", |(i, _)| i))
            .collect();
        if ours.len() == reference.len() {
            equal += reference.len() - differing.len();
        }
        files_equal += usize::from(diffs.is_empty());
        let allowed = REAL_WORLD_DIFFERENCES.iter().find(|(f, ..)| *f == stem);
        if allowed.is_some() && !diffs.is_empty() {
            unused.retain(|f| *f != stem);
        }
        for d in diffs {
            if !allowed.is_some_and(|(_, fields, _)| fields.contains(&field_of(&d))) {
                failures.push(format!("{stem}: {d}"));
            }
        }
    }
    eprintln!(
        "real-world corpus: {equal}/{total} transactions and {files_equal}/{files} files equal \
         to the reference"
    );
    assert!(
        files >= 20,
        "only {files} real-world files with expectations"
    );
    for stem in unused {
        failures.push(format!(
            "{stem}: listed in REAL_WORLD_DIFFERENCES but now equal to the reference; remove it"
        ));
    }
    assert!(
        failures.is_empty(),
        "differences from the reference:\n{}",
        failures.join("\n")
    );
}
