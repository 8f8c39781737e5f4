//! `check` and `routes` driven through the real binary.

use serde_json::Value;

use crate::support::{self, fixture, run, stderr, stdout};

#[test]
fn check_accepts_the_seed_without_any_warning() {
    // Act
    let out = run(&["check", "specs/retailers.apib"]);
    // Assert
    assert_eq!(out.status.code(), Some(0), "{}", stdout(&out));
    assert_eq!(
        stdout(&out).trim(),
        "specs/retailers.apib: 20 transactions, 0 errors, 0 warnings"
    );
}

#[test]
fn routes_json_lists_the_twenty_seed_transactions_with_their_example_uris() {
    // Act
    let routes = support::routes_json("specs/retailers.apib");
    // Assert
    assert_eq!(routes.len(), 20);
    let uris: Vec<&str> = routes
        .iter()
        .filter_map(|r| r["example_uri"].as_str())
        .collect();
    assert_eq!(uris.len(), 20, "every seed request carries an example URI");
    assert!(uris.contains(
        &"/retailers/api/v1/messenger_conversations?page=1&results_per_page=100&unassigned=true"
    ));
    assert!(uris.contains(&"/retailers/api/v1/customers/4881ljusi3874"));
    let notify: Vec<&Value> = routes
        .iter()
        .filter(|r| r["action"] == "Send a notification by ID")
        .collect();
    assert_eq!(notify.len(), 7);
    let statuses: Vec<u64> = notify
        .iter()
        .filter_map(|r| r["response"]["status"].as_u64())
        .collect();
    assert_eq!(statuses, [400, 404, 400, 200, 200, 200, 200]);
}

#[test]
fn routes_json_has_the_documented_shape() {
    // Act
    let routes = support::routes_json(&fixture("valid/notes.apib"));
    // Assert
    let first = &routes[0];
    for key in [
        "group",
        "resource",
        "action",
        "method",
        "uri_template",
        "example_uri",
        "request",
        "response",
        "source",
    ] {
        assert!(first.get(key).is_some(), "missing {key}: {first}");
    }
    for key in ["name", "headers", "body", "schema"] {
        assert!(first["request"].get(key).is_some(), "request.{key}");
    }
    for key in ["status", "headers", "body", "schema"] {
        assert!(first["response"].get(key).is_some(), "response.{key}");
    }
    assert!(
        first["source"]["file"]
            .as_str()
            .unwrap()
            .ends_with("notes.apib")
    );
    assert!(first["source"]["line"].as_u64().unwrap() > 1);
    assert_eq!(
        first["response"]["headers"][0],
        serde_json::json!(["Content-Type", "application/json"])
    );
}

#[test]
fn routes_without_json_prints_one_line_per_transaction() {
    let out = run(&["routes", "specs/retailers.apib"]);
    assert_eq!(out.status.code(), Some(0));
    let text = stdout(&out);
    assert_eq!(text.lines().count(), 20);
    assert!(
        text.lines()
            .next()
            .unwrap()
            .starts_with("GET   /retailers/api/v1/agents")
    );
}

#[test]
fn check_without_spec_uses_the_specs_directory() {
    let out = run(&["check"]);
    assert_eq!(out.status.code(), Some(0));
    assert!(
        stdout(&out).contains("specs/retailers.apib: 20 transactions"),
        "{}",
        stdout(&out)
    );
}

#[test]
fn check_without_spec_outside_the_project_uses_the_embedded_spec() {
    let dir = std::env::temp_dir();
    let out = support::run_in(&dir, &["check"]);
    assert_eq!(out.status.code(), Some(0), "{}", stdout(&out));
    assert!(stdout(&out).contains("<embedded>/retailers.apib: 20 transactions"));
}

#[test]
fn check_reports_located_errors_and_exits_1() {
    // Act
    let out = run(&["check", &fixture("invalid/broken.apib")]);
    // Assert
    assert_eq!(out.status.code(), Some(1), "{}", stdout(&out));
    let text = stdout(&out);
    assert!(
        text.contains("broken.apib:5:17: error: invalid URI template `/notes/{id`"),
        "{text}"
    );
    assert!(text.contains("error: response status `20x`"), "{text}");
    assert!(
        text.contains("error: undefined model reference `[Missing][]`"),
        "{text}"
    );
    assert!(!text.contains("panicked"));
}

#[test]
fn check_json_format_is_machine_readable() {
    let out = run(&["check", &fixture("invalid/broken.apib"), "--format", "json"]);
    assert_eq!(out.status.code(), Some(1));
    let report: Value = serde_json::from_slice(&out.stdout).expect("JSON report");
    assert!(report["errors"].as_u64().unwrap() >= 3);
    let first = &report["diagnostics"][0];
    for key in ["severity", "file", "line", "column", "message"] {
        assert!(first.get(key).is_some(), "diagnostic has {key}: {first}");
    }
}

#[test]
fn warnings_alone_exit_0() {
    let out = run(&["check", &fixture("invalid/warnings-only.apib")]);
    assert_eq!(out.status.code(), Some(0), "{}", stdout(&out));
    let text = stdout(&out);
    assert!(
        text.contains(
            "warning: unknown section `Reponse 200 (application/json)`, did you mean `Response`?"
        ),
        "{text}"
    );
    assert!(text.contains("warning: invalid JSON body"), "{text}");
    assert!(
        text.contains("warning: duplicate action GET /notes/{}"),
        "{text}"
    );
    assert!(text.contains("note: first defined here"), "{text}");
}

#[test]
fn a_directory_spec_loads_every_blueprint_and_reports_cross_file_duplicates() {
    let out = run(&["check", &fixture("multi")]);
    let text = stdout(&out);
    assert_eq!(out.status.code(), Some(0), "{text}");
    assert!(text.contains("a.apib") && text.contains("b.md"), "{text}");
    assert!(
        text.contains("another spec file already documents it"),
        "{text}"
    );
}

#[test]
fn a_glob_spec_selects_matching_files() {
    let pattern = format!(
        "{}/multi/*.apib",
        support::root().join("fixtures").display()
    );
    let out = run(&["routes", &pattern, "--json"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let routes: Vec<Value> = serde_json::from_slice(&out.stdout).unwrap();
    assert!(
        routes
            .iter()
            .all(|r| r["source"]["file"].as_str().unwrap().ends_with("a.apib"))
    );
    assert!(!routes.is_empty());
}

#[test]
fn a_missing_spec_is_an_operational_error() {
    let out = run(&["check", "no/such/file.apib"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("no/such/file.apib: no such file or directory"));
}

#[test]
fn non_utf8_input_is_one_located_error() {
    let dir = std::env::temp_dir().join(format!("apib-mock-utf8-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("latin1.apib");
    std::fs::write(&file, b"# API\n\n## Caf\xe9 [/x]\n").unwrap();
    let out = run(&["check", &file.display().to_string()]);
    std::fs::remove_dir_all(&dir).ok();
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stdout(&out).contains("latin1.apib:3:7: error: the file is not valid UTF-8"),
        "{}",
        stdout(&out)
    );
}

#[test]
fn timeouts_take_seconds_or_durations_and_refuse_nonsense_with_a_usage_error() {
    for bad in ["inf", "0", "NaN", "100000", "soon"] {
        let out = run(&[
            "verify",
            "specs/retailers.apib",
            "--server",
            "http://127.0.0.1:9",
            "--timeout",
            bad,
        ]);
        // A usage error (2), never a panic (101) nor a silent clamp.
        assert_eq!(out.status.code(), Some(2), "{bad}: {}", stderr(&out));
        assert!(
            stderr(&out).contains("is not a timeout"),
            "{bad}: {}",
            stderr(&out)
        );
    }
    for good in ["1.5", "500ms", "1m 30s"] {
        let out = run(&["serve", "--header-timeout", good, "--help"]);
        assert_eq!(out.status.code(), Some(0), "{good}: {}", stderr(&out));
    }
}

#[test]
fn routes_format_json_is_the_json_listing_and_json_stays_its_alias() {
    let by_format = run(&["routes", "specs/retailers.apib", "--format", "json"]);
    let by_alias = run(&["routes", "specs/retailers.apib", "--json"]);
    assert_eq!(by_format.status.code(), Some(0));
    assert_eq!(stdout(&by_format), stdout(&by_alias));
    let routes: Value = serde_json::from_slice(&by_format.stdout).expect("JSON");
    assert_eq!(routes.as_array().map(Vec::len), Some(20));
}

#[test]
fn every_command_shows_examples_and_completions_are_generated() {
    for command in ["check", "serve", "verify", "routes", "completions"] {
        let out = run(&[command, "--help"]);
        assert_eq!(out.status.code(), Some(0), "{command}");
        assert!(
            stdout(&out).contains("Examples:"),
            "{command}: {}",
            stdout(&out)
        );
    }
    for (shell, marker) in [
        ("bash", "_apib__mock()"),
        ("zsh", "#compdef apib-mock"),
        ("fish", "complete -c apib-mock"),
    ] {
        let out = run(&["completions", shell]);
        assert_eq!(out.status.code(), Some(0), "{shell}");
        let script = stdout(&out);
        assert!(
            script.contains(marker),
            "{shell}: {}",
            &script[..script.len().min(200)]
        );
        assert!(
            script.contains("serve"),
            "{shell} completes the subcommands"
        );
    }
}

#[test]
fn short_flags_for_the_common_options() {
    let out = run(&["serve", "-p", "0", "-H", "127.0.0.1", "--help"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let help = stdout(&run(&["verify", "--help"]));
    assert!(help.contains("-s, --server"), "{help}");
    assert!(help.contains("-H, --header"), "{help}");
}
