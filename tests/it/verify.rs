//! `apib-mock verify` against real servers: the mock of the same document
//! passes every transaction; a drifted server (served from another
//! blueprint) fails with readable differences; filters, extra headers,
//! reports, exact bodies and timeouts.

use serde_json::Value;

use crate::support::{TestServer, fixture, root, stderr, stdout, verify};

fn base(server: &TestServer) -> String {
    server.url("")
}

#[tokio::test]
async fn the_seed_verifies_against_its_own_mock_end_to_end() {
    let server = TestServer::start("specs/retailers.apib");
    let out = verify(vec![
        "specs/retailers.apib".into(),
        "--server".into(),
        base(&server),
    ])
    .await;
    let text = stdout(&out);
    assert_eq!(out.status.code(), Some(0), "{text}\n{}", stderr(&out));
    assert!(
        text.contains("20 passed, 0 failed, 0 skipped (20 transactions)"),
        "{text}"
    );
    // Each request's own example URI is sent (rspec style), not the template.
    assert!(
        text.contains("messenger_conversations?page=1&results_per_page=100&unassigned=true"),
        "{text}"
    );
    assert!(
        text.contains("pass Notifications > Notifications > Send a notification by ID > #3"),
        "{text}"
    );
}

#[tokio::test]
async fn a_drifted_server_fails_with_readable_differences() {
    let server = TestServer::start("fixtures/verify/drifted.apib");
    let dir = tempfile::tempdir().expect("temp dir");
    let junit = dir.path().join("junit.xml");
    let json = dir.path().join("report.json");
    let out = verify(vec![
        fixture("verify/contract.apib"),
        "--server".into(),
        base(&server),
        "--report".into(),
        format!("junit:{}", junit.display()),
        "--report".into(),
        format!("json:{}", json.display()),
    ])
    .await;
    let text = stdout(&out);
    assert_eq!(out.status.code(), Some(1), "{text}");
    assert!(
        text.contains("FAIL User > Read a user > #1 GET /users/1 → 200"),
        "{text}"
    );
    assert!(text.contains("body /id: the value is not of type \"number\" (the example's keys and types); got \"1\""), "{text}");
    assert!(text.contains("status: expected 201, got 200"), "{text}");
    assert!(
        text.contains("header Location: missing (documented: /users/2)"),
        "{text}"
    );
    assert!(
        text.contains("at "),
        "the failing transaction's blueprint line: {text}"
    );
    assert!(
        text.contains("pass Users > List users > #1"),
        "values differ, keys and types agree: {text}"
    );
    assert!(
        text.contains("2 passed, 2 failed, 0 skipped (4 transactions)"),
        "{text}"
    );

    let report: Value = serde_json::from_str(&std::fs::read_to_string(&json).unwrap()).unwrap();
    assert_eq!(
        (report["passed"].clone(), report["failed"].clone()),
        (2.into(), 2.into())
    );
    assert_eq!(report["cases"][0]["name"], "User > Read a user > #1");
    assert_eq!(report["cases"][0]["result"], "fail");
    let xml = std::fs::read_to_string(&junit).unwrap();
    assert!(
        xml.contains("<testsuite name=\"apib-mock verify\" tests=\"4\" failures=\"2\""),
        "{xml}"
    );
    assert!(
        xml.contains("<testcase classname=\"User &gt; Read a user\" name=\"#1\""),
        "{xml}"
    );
    assert!(
        xml.contains("<failure message=\"body /id: the value is not of type &quot;number&quot;"),
        "{xml}"
    );
}

#[tokio::test]
async fn exact_bodies_only_filters_and_added_headers() {
    let server = TestServer::start("fixtures/verify/drifted.apib");
    let out = verify(vec![
        fixture("verify/contract.apib"),
        "--server".into(),
        base(&server),
        "--only".into(),
        "list users".into(),
        "--body".into(),
        "exact".into(),
        "--header".into(),
        "Api-Key: s3cret".into(),
    ])
    .await;
    let text = stdout(&out);
    assert_eq!(out.status.code(), Some(1), "{text}");
    assert!(text.contains("verifying 1 transactions"), "{text}");
    assert!(text.contains("body /0/id: expected 1, got 7"), "{text}");
    assert!(
        text.contains("body /0/name: expected \"Ada\", got \"Linus\""),
        "{text}"
    );
    // The server saw the added header (a credential: redacted in the
    // journal's listing).
    let journal: Value = reqwest::get(server.url("/__mock/requests"))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let headers = journal["requests"][0]["headers"].as_array().unwrap();
    assert!(
        headers
            .iter()
            .any(|h| h[0] == "api-key" && h[1] == "[redacted]"),
        "{journal}"
    );
}

#[tokio::test]
async fn a_server_that_never_answers_times_out() {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let hold = tokio::spawn(async move {
        let mut open = Vec::new();
        while let Ok((socket, _)) = listener.accept().await {
            open.push(socket);
        }
    });
    let out = verify(vec![
        fixture("verify/contract.apib"),
        "--server".into(),
        url,
        "--timeout".into(),
        "0.2".into(),
        "--only".into(),
        "delete".into(),
    ])
    .await;
    hold.abort();
    let text = stdout(&out);
    assert_eq!(out.status.code(), Some(1), "{text}");
    assert!(
        text.contains("no answer within 0.2 s (--timeout)"),
        "{text}"
    );
}

#[tokio::test]
async fn bad_arguments_exit_2() {
    let out = verify(vec![
        fixture("verify/contract.apib"),
        "--server".into(),
        "ftp://example.com".into(),
    ])
    .await;
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("is not an http:// or https:// URL"),
        "{}",
        stderr(&out)
    );
    let out = verify(vec![
        fixture("verify/contract.apib"),
        "--server".into(),
        "http://127.0.0.1:1".into(),
        "--header".into(),
        "no colon".into(),
    ])
    .await;
    assert_eq!(out.status.code(), Some(2));
}

#[tokio::test]
async fn each_response_media_type_is_asked_for_and_parameters_can_be_given() {
    let server = TestServer::start("fixtures/verify/negotiation.apib");
    let spec = fixture("verify/negotiation.apib");
    let out = verify(vec![spec.clone(), "--server".into(), base(&server)]).await;
    let text = stdout(&out);
    // The JSON response is asked for with its media type, and answered.
    assert!(
        text.contains("pass Message > Retrieve a message > #1"),
        "{text}"
    );
    assert!(
        text.contains("pass Message > Retrieve a message > #2"),
        "{text}"
    );
    // A required query parameter without an example is a reasoned skip.
    assert!(
        text.contains("skip Search > Search > #1: the required query parameter `q` has no example or default value (give one with --param q=VALUE)"),
        "{text}"
    );
    assert_eq!(out.status.code(), Some(0), "{text}");
    let out = verify(vec![
        spec,
        "--server".into(),
        base(&server),
        "--param".into(),
        "q=ada".into(),
    ])
    .await;
    let text = stdout(&out);
    assert!(
        text.contains("pass Search > Search > #1 GET /search?q=ada&page=1"),
        "{text}"
    );
    assert!(text.contains("3 passed, 0 failed, 0 skipped"), "{text}");
}

#[tokio::test]
async fn a_run_that_tests_nothing_or_reaches_nothing_does_not_pass() {
    let server = TestServer::start("fixtures/verify/contract.apib");
    let spec = fixture("verify/contract.apib");
    let nothing = verify(vec![
        spec.clone(),
        "--server".into(),
        base(&server),
        "--only".into(),
        "no such transaction".into(),
    ])
    .await;
    assert_eq!(nothing.status.code(), Some(1));
    assert!(
        stderr(&nothing).contains("nothing was tested"),
        "{}",
        stderr(&nothing)
    );
    let allowed = verify(vec![
        spec.clone(),
        "--server".into(),
        base(&server),
        "--only".into(),
        "no such transaction".into(),
        "--allow-empty".into(),
    ])
    .await;
    assert_eq!(allowed.status.code(), Some(0));
    // Nothing listening: one message, exit 2.
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = closed.local_addr().unwrap().port();
    drop(closed);
    let unreachable = verify(vec![
        spec.clone(),
        "--server".into(),
        format!("http://127.0.0.1:{port}"),
    ])
    .await;
    assert_eq!(
        unreachable.status.code(),
        Some(2),
        "{}",
        stdout(&unreachable)
    );
    let err = stderr(&unreachable);
    assert!(
        err.contains(&format!("cannot reach http://127.0.0.1:{port}")),
        "{err}"
    );
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(!stdout(&unreachable).contains("FAIL"));
    // --names lists what would be tested; --fail-fast stops at the first failure.
    let names = verify(vec![
        spec.clone(),
        "--server".into(),
        base(&server),
        "--names".into(),
    ])
    .await;
    assert_eq!(stdout(&names).lines().count(), 4, "{}", stdout(&names));
    assert!(stdout(&names).contains("Users > Create a user > #1"));
    let drifted = TestServer::start("fixtures/verify/drifted.apib");
    let fast = verify(vec![
        spec,
        "--server".into(),
        base(&drifted),
        "--fail-fast".into(),
    ])
    .await;
    assert_eq!(fast.status.code(), Some(1));
    assert_eq!(
        stdout(&fast).matches("FAIL ").count(),
        1,
        "{}",
        stdout(&fast)
    );
}

#[tokio::test]
async fn every_corpus_example_verifies_against_its_own_mock_lenient_and_strict() {
    let Some(shared) = crate::support::shared() else {
        return;
    };
    let dir = shared.join("corpus/api-blueprint-examples");
    let mut specs: Vec<_> = std::fs::read_dir(&dir)
        .expect("corpus dir")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|e| e == "apib"))
        .collect();
    specs.sort();
    specs.push(root().join("specs/retailers.apib"));
    let mut passed = 0;
    for spec in &specs {
        let spec = spec.display().to_string();
        for strict in [false, true] {
            let server = if strict {
                TestServer::strict(&spec)
            } else {
                TestServer::start(&spec)
            };
            let out = verify(vec![
                spec.clone(),
                "--server".into(),
                base(&server),
                "--allow-empty".into(),
            ])
            .await;
            let text = stdout(&out);
            assert_eq!(
                out.status.code(),
                Some(0),
                "{spec} (strict: {strict}):\n{text}\n{}",
                stderr(&out)
            );
            let summary = text.lines().last().unwrap_or("");
            assert!(summary.contains(" passed, 0 failed"), "{spec}: {summary}");
            passed += summary
                .split(' ')
                .next()
                .and_then(|n| n.parse::<usize>().ok())
                .unwrap_or(0);
        }
    }
    assert!(
        specs.len() >= 21 && passed > 100,
        "{} specs, {passed} passed",
        specs.len()
    );
}

#[tokio::test]
async fn a_hook_can_add_headers_and_skip_transactions() {
    let server = TestServer::start("fixtures/verify/contract.apib");
    let hook = r#"cat > /dev/null; case "$APIB_MOCK_TRANSACTION" in
        *Delete*) echo '{"skip": "no deletes on staging"}' ;;
        *) echo '{"headers": {"X-Hooked": "yes"}}' ;;
    esac"#;
    let out = verify(vec![
        fixture("verify/contract.apib"),
        "--server".into(),
        base(&server),
        "--hook-cmd".into(),
        hook.into(),
    ])
    .await;
    let text = stdout(&out);
    assert_eq!(out.status.code(), Some(0), "{text}\n{}", stderr(&out));
    assert!(
        text.contains("skip User > Delete a user > #1: the hook skipped it: no deletes on staging"),
        "{text}"
    );
    assert!(text.contains("3 passed, 0 failed, 1 skipped"), "{text}");
    let journal: Value = reqwest::get(server.url("/__mock/requests"))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let requests = journal["requests"].as_array().unwrap();
    assert_eq!(requests.len(), 3);
    for r in requests {
        assert_ne!(r["method"], "DELETE");
        assert!(
            r["headers"]
                .as_array()
                .unwrap()
                .iter()
                .any(|h| h[0] == "x-hooked" && h[1] == "yes"),
            "{r}"
        );
    }
    // A hook that fails fails its transaction, with what it said.
    let out = verify(vec![
        fixture("verify/contract.apib"),
        "--server".into(),
        base(&server),
        "--hook-cmd".into(),
        "echo 'no token for you' >&2; exit 3".into(),
    ])
    .await;
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stdout(&out).contains("no token for you"),
        "{}",
        stdout(&out)
    );
}
