//! The library API for Rust test suites (`apib_mock::MockServer`), used
//! the way a downstream crate would.

use apib_mock::{MockServer, StartError};

use crate::support::fixture;

#[tokio::test]
async fn a_test_suite_starts_a_mock_reads_its_journal_and_checks_coverage() {
    // Arrange
    let server = MockServer::builder(fixture("strict/shop.apib"))
        .strict(true)
        .start()
        .await
        .expect("starts");
    let client = reqwest::Client::new();
    // Act
    let ok = client
        .get(format!("{}/items/42", server.uri()))
        .header("Api-Key", "k")
        .send()
        .await
        .unwrap();
    // Assert
    assert_eq!(ok.status(), 200);
    let received = server.received_requests();
    assert_eq!(received.len(), 1);
    assert_eq!(received[0].path, "/items/42");
    assert_eq!(received[0].header("API-KEY"), Some("k"));
    assert_eq!(
        received[0].transaction.as_deref(),
        Some("Item > Read an item > #1")
    );
    server.assert_no_unmatched_requests();
    let coverage = server.coverage();
    assert_eq!((coverage.total, coverage.exercised), (6, 1));
    assert!(
        coverage
            .never_exercised
            .iter()
            .any(|t| t.transaction == "Refunds > Request a refund > #1")
    );

    // A broken request is journaled with its violations; reset forgets it.
    client
        .get(format!("{}/items/x", server.uri()))
        .send()
        .await
        .unwrap();
    let last = server.received_requests().pop().unwrap();
    assert_eq!(last.problem.as_deref(), Some("contract-violation"));
    assert_eq!(last.violations.len(), 2, "{:?}", last.violations);
    server.reset();
    assert!(server.received_requests().is_empty());
}

#[tokio::test]
#[should_panic(expected = "1 request(s) did not match the contract:\nGET /nowhere → 404 no-route")]
async fn unmatched_requests_fail_the_test() {
    let server = MockServer::start(fixture("valid/notes.apib"))
        .await
        .unwrap();
    reqwest::get(format!("{}/nowhere", server.uri()))
        .await
        .unwrap();
    server.assert_no_unmatched_requests();
}

#[tokio::test]
#[should_panic(expected = "documented transactions were never exercised")]
async fn unexercised_transactions_fail_the_test() {
    let server = MockServer::start(fixture("valid/notes.apib"))
        .await
        .unwrap();
    server.assert_all_exercised();
}

#[tokio::test]
async fn a_broken_spec_is_a_located_start_error() {
    let err = MockServer::start(fixture("invalid/broken.apib"))
        .await
        .unwrap_err();
    let StartError::Spec(diags) = &err else {
        panic!("expected spec errors, got {err}");
    };
    assert!(!diags.is_empty());
    assert!(err.to_string().contains("broken.apib:5:17: error"), "{err}");
    assert!(matches!(
        MockServer::start("/no/such/spec.apib").await,
        Err(StartError::Load(_))
    ));
}

#[tokio::test]
async fn a_spec_documenting_routes_under_the_admin_prefix_is_refused_as_serve_refuses_it() {
    let dir = tempfile::tempdir().expect("temp dir");
    let spec = dir.path().join("admin.apib");
    std::fs::write(
        &spec,
        "# A\n## Status [/__mock/status]\n### Get [GET]\n+ Response 200 (text/plain)\n\n        mine\n",
    )
    .expect("spec written");
    match MockServer::start(&spec).await {
        Err(StartError::AdminPrefixClash { prefix, routes }) => {
            assert_eq!(prefix, "/__mock");
            assert_eq!(routes, ["/__mock/status"]);
        }
        other => panic!("expected an admin prefix clash, got {other:?}"),
    }
    // Moved elsewhere, or off, the documented route is served.
    let server = MockServer::builder(&spec)
        .admin_prefix(Some("/_admin"))
        .start()
        .await
        .expect("starts");
    let body = reqwest::get(format!("{}/__mock/status", server.uri()))
        .await
        .expect("request")
        .text()
        .await
        .expect("body");
    assert_eq!(body, "mine\n");
}

#[tokio::test]
async fn a_sandboxed_mock_keeps_what_a_test_creates_until_reset() {
    let server = MockServer::builder(fixture("sandbox/notes.apib"))
        .sandbox(true)
        .start()
        .await
        .expect("starts");
    let client = reqwest::Client::new();
    let created: serde_json::Value = client
        .post(format!("{}/notes", server.uri()))
        .json(&serde_json::json!({"title": "from a Rust test"}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(created["id"], 4);
    let read = client
        .get(format!("{}/notes/4", server.uri()))
        .send()
        .await
        .unwrap();
    assert_eq!(read.status(), 200);
    server.reset();
    let gone = client
        .get(format!("{}/notes/4", server.uri()))
        .send()
        .await
        .unwrap();
    assert_eq!(gone.status(), 404);
    assert!(
        server.received_requests().len() == 1,
        "reset empties the journal too"
    );
}
