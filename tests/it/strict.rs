//! `serve --strict` over HTTP: documented requests pass, and a client that
//! breaks the contract (missing header, wrong types, missing required key)
//! gets a precise 422 (or the action's own documented 400/422) naming
//! every violation and the blueprint line of its rule.

use reqwest::Client;
use serde_json::{Value, json};

use crate::support::{self, TestServer};

fn strict(spec: &str) -> TestServer {
    TestServer::strict(spec)
}

async fn problem(res: reqwest::Response) -> (u16, Value) {
    let status = res.status().as_u16();
    assert_eq!(res.headers()["apib-mock-match"], "violation");
    assert_eq!(res.headers()["content-type"], "application/problem+json");
    (status, res.json().await.expect("problem JSON"))
}

/// The documented request of a `routes --format json` entry, to `uri`
/// on `server`.
fn documented(
    client: &Client,
    server: &TestServer,
    t: &Value,
    uri: &str,
) -> reqwest::RequestBuilder {
    let method = reqwest::Method::from_bytes(t["method"].as_str().unwrap().as_bytes()).unwrap();
    let mut req = client.request(method, server.url(uri));
    for pair in t["request"]["headers"].as_array().into_iter().flatten() {
        req = req.header(pair[0].as_str().unwrap(), pair[1].as_str().unwrap());
    }
    if let Some(body) = t["request"]["body"].as_str() {
        req = req.body(body.to_string());
    }
    req
}

#[tokio::test]
async fn every_documented_request_of_the_seed_passes_strict_mode() {
    let server = strict("specs/retailers.apib");
    let client = Client::new();
    let routes = support::routes_json("specs/retailers.apib");
    for t in &routes {
        let uri = t["example_uri"].as_str().expect("example URI");
        let res = documented(&client, &server, t, uri)
            .send()
            .await
            .expect("request");
        assert_eq!(
            res.status().as_u16(),
            t["response"]["status"].as_u64().unwrap() as u16,
            "{uri}: {:?}",
            res.headers().get("apib-mock-violations")
        );
        assert!(res.headers().get("apib-mock-violations").is_none(), "{uri}");
    }
    assert_eq!(routes.len(), 20);
}

/// Sends every documented request of `spec` (as `routes --format json`
/// lists them) to a strict mock of it: none may be a violation. The
/// number of requests sent.
async fn every_documented_request_passes(spec: &str) -> usize {
    let server = strict(spec);
    let client = Client::new();
    let routes = support::routes_json(spec);
    for t in &routes {
        let Some(uri) = t["example_uri"].as_str() else {
            continue; // not sendable: a path variable without a value
        };
        let res = documented(&client, &server, t, uri)
            .send()
            .await
            .expect("request");
        let violation = res
            .headers()
            .get("apib-mock-match")
            .is_some_and(|v| v == "violation");
        assert!(
            !violation,
            "{spec}: {} {uri}: {:?}",
            t["method"],
            res.text().await
        );
    }
    routes.len()
}

#[tokio::test]
async fn a_documented_text_request_beside_a_json_one_passes_strict_mode() {
    let sent = every_documented_request_passes("fixtures/strict/alternatives.apib").await;
    assert_eq!(sent, 2);
    // Text under an undocumented media type is still not the JSON request.
    let server = strict("fixtures/strict/alternatives.apib");
    let res = Client::new()
        .put(server.url("/message"))
        .header("content-type", "text/html")
        .body("<p>hi</p>")
        .send()
        .await
        .unwrap();
    let (status, body) = problem(res).await;
    assert_eq!(status, 422);
    assert_eq!(body["violations"][0]["in"], "body", "{body}");
}

#[tokio::test]
async fn a_missing_header_is_named_with_its_rule() {
    let server = strict("fixtures/strict/shop.apib");
    let res = Client::new()
        .get(server.url("/items/42"))
        .send()
        .await
        .unwrap();
    let (status, body) = problem(res).await;
    assert_eq!(status, 422);
    assert_eq!(body["type"], "urn:apib-mock:problem:contract-violation");
    let v = &body["violations"][0];
    assert_eq!(v["in"], "header");
    assert_eq!(v["at"], "api-key");
    assert_eq!(v["actual"], "missing");
    assert!(v["rule"].as_str().unwrap().ends_with("shop.apib:21"), "{v}");
    assert_eq!(body["violations"].as_array().map(Vec::len), Some(1));
}

#[tokio::test]
async fn wrong_parameter_types_and_members_are_each_reported() {
    let server = strict("fixtures/strict/shop.apib");
    let res = Client::new()
        .get(server.url("/items/lamp?page=two&sort=price"))
        .header("Api-Key", "x")
        .send()
        .await
        .unwrap();
    let (status, body) = problem(res).await;
    assert_eq!(status, 422);
    let violations = body["violations"].as_array().unwrap();
    let found = |place: &str, at: &str| {
        violations
            .iter()
            .find(|v| v["in"] == place && v["at"] == at)
            .unwrap_or_else(|| panic!("no {place} {at}: {violations:#?}"))
            .clone()
    };
    assert_eq!(found("path", "id")["expected"], "a number");
    assert_eq!(found("path", "id")["actual"], "\"lamp\"");
    assert_eq!(found("query", "page")["expected"], "a number");
    assert_eq!(found("query", "sort")["expected"], "one of name, date");
    assert!(
        found("query", "sort")["rule"]
            .as_str()
            .unwrap()
            .ends_with("shop.apib:14")
    );
    assert_eq!(violations.len(), 3);
    // The same request with good values is served.
    let ok = Client::new()
        .get(server.url("/items/42?page=2&sort=date"))
        .header("Api-Key", "x")
        .send()
        .await
        .unwrap();
    assert_eq!(ok.status(), 200);
}

#[tokio::test]
async fn a_body_against_mson_attributes_gets_the_documented_422_with_violations() {
    let server = strict("fixtures/strict/shop.apib");
    let client = Client::new();
    let res = client
        .post(server.url("/items"))
        .header("Api-Key", "x")
        .json(&json!({"name": 7, "tags": ["a"]}))
        .send()
        .await
        .unwrap();
    // The action documents a 422: that is the answer, violations in a
    // header.
    assert_eq!(res.status(), 422);
    assert_eq!(res.headers()["apib-mock-match"], "violation");
    let violations: Value =
        serde_json::from_str(res.headers()["apib-mock-violations"].to_str().unwrap()).unwrap();
    let pointers: Vec<&str> = violations
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v["at"].as_str().unwrap())
        .collect();
    assert!(pointers.contains(&"/name"), "{violations}");
    assert!(pointers.contains(&""), "price is required: {violations}");
    assert!(
        violations[0]["expected"]
            .as_str()
            .unwrap()
            .contains("Attributes")
    );
    assert_eq!(res.text().await.unwrap(), "{\"error\": \"invalid item\"}\n");
    // A valid body gets the 201.
    let ok = client
        .post(server.url("/items"))
        .header("Api-Key", "x")
        .json(&json!({"name": "Desk", "price": 99}))
        .send()
        .await
        .unwrap();
    assert_eq!(ok.status(), 201);
}

#[tokio::test]
async fn bodies_are_checked_against_a_written_schema_and_inferred_ones() {
    let server = strict("fixtures/strict/shop.apib");
    let client = Client::new();
    // `+ Schema`: enum and integer.
    let res = client
        .post(server.url("/refunds"))
        .json(&json!({"order": "1", "reason": "bored"}))
        .send()
        .await
        .unwrap();
    let (status, body) = problem(res).await;
    assert_eq!(status, 422);
    assert_eq!(
        body["violations"].as_array().map(Vec::len),
        Some(2),
        "{body}"
    );
    assert!(
        body["violations"][0]["expected"]
            .as_str()
            .unwrap()
            .contains("+ Schema")
    );
    // Inferred from the two examples: item and quantity required, numbers.
    let res = client
        .post(server.url("/orders"))
        .json(&json!({"item": 42, "notes": "gift"}))
        .send()
        .await
        .unwrap();
    let (_, body) = problem(res).await;
    let text = body["violations"].to_string();
    assert!(text.contains("quantity"), "{text}");
    assert!(text.contains("/notes"), "{text}");
    assert!(text.contains("documented examples"), "{text}");
    // Values never matter to an inferred schema.
    let ok = client
        .post(server.url("/orders"))
        .json(&json!({"item": 1000, "quantity": 9, "extra": true}))
        .send()
        .await
        .unwrap();
    assert_eq!(ok.status(), 201);
    // No body where every example has one.
    let res = client.post(server.url("/orders")).send().await.unwrap();
    let (_, body) = problem(res).await;
    let violations = body["violations"].as_array().unwrap();
    assert!(
        violations
            .iter()
            .any(|v| v["in"] == "body" && v["actual"] == "no body"),
        "{body}"
    );
    assert!(
        violations
            .iter()
            .any(|v| v["in"] == "header" && v["at"] == "content-type"),
        "{body}"
    );
}

#[tokio::test]
async fn lenient_mode_still_answers_a_broken_client() {
    let server = TestServer::start("fixtures/strict/shop.apib");
    let res = Client::new()
        .get(server.url("/items/lamp"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
}

#[tokio::test]
async fn action_attributes_give_request_bodies_their_schema() {
    // `Create a Coupon` describes its request with the action's
    // `+ Attributes (Coupon Base)` only.
    let server = strict("fixtures/mson/structures.apib");
    let client = Client::new();
    let ok = client
        .post(server.url("/coupons"))
        .json(&json!({"percent_off": 10, "redeem_by": 0}))
        .send()
        .await
        .unwrap();
    assert_eq!(ok.status(), 201);
    let res = client
        .post(server.url("/coupons"))
        .json(&json!({"percent_off": "ten"}))
        .send()
        .await
        .unwrap();
    let (status, body) = problem(res).await;
    assert_eq!(status, 422);
    let v = &body["violations"][0];
    assert_eq!(v["at"], "/percent_off");
    assert!(
        v["expected"]
            .as_str()
            .unwrap()
            .contains("(the action's Attributes)"),
        "{v}"
    );
}
