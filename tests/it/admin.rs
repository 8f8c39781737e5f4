//! The admin API over HTTP: the request journal (filters, clearing,
//! bounds), coverage, routes, a configurable prefix, and no admin at all.

use reqwest::Client;
use serde_json::{Value, json};

use crate::support::TestServer;

fn config(f: impl FnOnce(&mut apib_mock::ServeConfig)) -> apib_mock::ServeConfig {
    let mut c = apib_mock::ServeConfig::default();
    f(&mut c);
    c
}

async fn get_json(client: &Client, url: String) -> Value {
    let res = client.get(url).send().await.expect("request");
    assert_eq!(res.status(), 200);
    assert_eq!(res.headers()["content-type"], "application/json");
    res.json().await.expect("JSON")
}

#[tokio::test]
async fn the_journal_records_matches_misses_and_violations() {
    let server = TestServer::strict("fixtures/strict/shop.apib");
    let client = Client::new();
    client
        .get(server.url("/items/42?page=1"))
        .header("Api-Key", "k")
        .send()
        .await
        .unwrap();
    client.get(server.url("/nowhere")).send().await.unwrap();
    client
        .post(server.url("/orders"))
        .json(&json!({"item": "x"}))
        .send()
        .await
        .unwrap();

    let all = get_json(&client, server.url("/__mock/requests")).await;
    assert_eq!(all["count"], 3, "{all:#}");
    let first = &all["requests"][0];
    assert_eq!(first["method"], "GET");
    assert_eq!(first["path"], "/items/42");
    assert_eq!(first["query"], "page=1");
    assert_eq!(first["status"], 200);
    assert_eq!(first["matched"], true);
    assert_eq!(first["transaction"], "Item > Read an item > #1");
    assert!(
        first["headers"]
            .as_array()
            .unwrap()
            .iter()
            .any(|h| h[0] == "api-key" && h[1] == "[redacted]")
    );
    let miss = &all["requests"][1];
    assert_eq!(
        (miss["matched"].clone(), miss["problem"].clone()),
        (json!(false), json!("no-route"))
    );
    let broken = &all["requests"][2];
    assert_eq!(broken["status"], 422);
    assert_eq!(broken["body"], "{\"item\":\"x\"}");
    assert_eq!(broken["problem"], "contract-violation");
    assert!(
        broken["violations"]
            .as_array()
            .is_some_and(|v| !v.is_empty())
    );

    let unmatched = get_json(&client, server.url("/__mock/requests?unmatched=true")).await;
    assert_eq!(
        unmatched["count"], 2,
        "the miss and the violation: {unmatched:#}"
    );
    let posts = get_json(&client, server.url("/__mock/requests?method=post")).await;
    assert_eq!(posts["count"], 1);
    let by_path = get_json(&client, server.url("/__mock/requests?path=/nowhere")).await;
    assert_eq!(by_path["count"], 1);

    let cleared = client
        .delete(server.url("/__mock/requests"))
        .send()
        .await
        .unwrap();
    assert_eq!(cleared.status(), 204);
    let empty = get_json(&client, server.url("/__mock/requests")).await;
    assert_eq!(empty["count"], 0, "admin requests are not journaled");
}

#[tokio::test]
async fn an_unreadable_request_is_journaled_with_its_headers_and_body() {
    // `--journal-secrets`: credentials shown as sent.
    let server =
        TestServer::with_config("specs/retailers.apib", config(|c| c.journal_secrets = true));
    let client = Client::new();
    let res = client
        .post(server.url("/retailers/api/v1/whatsapp/send_notification_by_id"))
        .header("content-type", "application/json")
        .header("api-key", "seen")
        .body("{\"phone_number\":")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 400);
    let all = get_json(&client, server.url("/__mock/requests")).await;
    let entry = &all["requests"][0];
    assert_eq!(entry["problem"], "invalid-json", "{all:#}");
    assert_eq!(entry["body"], "{\"phone_number\":");
    assert!(
        entry["headers"]
            .as_array()
            .unwrap()
            .iter()
            .any(|h| h[0] == "api-key" && h[1] == "seen"),
        "{entry:#}"
    );
}

#[tokio::test]
async fn the_journal_is_bounded() {
    let server = TestServer::with_config("specs/retailers.apib", config(|c| c.journal_size = 2));
    let client = Client::new();
    for path in ["/a", "/b", "/c"] {
        client.get(server.url(path)).send().await.unwrap();
    }
    let all = get_json(&client, server.url("/__mock/requests")).await;
    assert_eq!(all["capacity"], 2);
    let paths: Vec<&str> = all["requests"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["path"].as_str().unwrap())
        .collect();
    assert_eq!(paths, ["/b", "/c"], "the oldest go first");
}

#[tokio::test]
async fn coverage_counts_each_transaction_and_lists_the_unexercised() {
    let server = TestServer::start("specs/retailers.apib");
    let client = Client::new();
    for _ in 0..2 {
        client
            .get(server.url("/retailers/api/v1/agents"))
            .send()
            .await
            .unwrap();
    }
    let coverage = get_json(&client, server.url("/__mock/coverage")).await;
    assert_eq!(coverage["total"], 20);
    assert_eq!(coverage["exercised"], 1);
    let agents = coverage["transactions"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["transaction"] == "Agents > Agents > Get agents > #1")
        .expect("agents transaction");
    assert_eq!(agents["served"], 2);
    assert_eq!(agents["status"], 200);
    assert!(
        agents["source"]
            .as_str()
            .unwrap()
            .contains("retailers.apib:")
    );
    assert_eq!(
        coverage["never_exercised"].as_array().map(Vec::len),
        Some(19)
    );

    let routes = get_json(&client, server.url("/__mock/routes")).await;
    assert_eq!(routes.as_array().map(Vec::len), Some(9));
    assert_eq!(routes[0]["method"], "GET");
}

#[tokio::test]
async fn the_prefix_moves_and_the_admin_api_can_be_turned_off() {
    let moved = TestServer::with_config(
        "specs/retailers.apib",
        config(|c| c.admin_prefix = Some("/_admin".into())),
    );
    let client = Client::new();
    let status = get_json(&client, moved.url("/_admin/status")).await;
    assert_eq!(status["transactions"], 20);
    let old = client
        .get(moved.url("/__mock/status"))
        .send()
        .await
        .unwrap();
    assert_eq!(old.status(), 404);
    assert_eq!(old.headers()["apib-mock-match"], "none");

    let off = TestServer::with_config("specs/retailers.apib", config(|c| c.admin_prefix = None));
    let res = client
        .get(off.url("/__mock/requests"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 404);
    let unknown = client
        .get(moved.url("/_admin/nothing"))
        .send()
        .await
        .unwrap();
    assert_eq!(unknown.status(), 404);
    let body: Value = unknown.json().await.unwrap();
    assert!(body["admin"].is_array());
}
