//! The mock server over real HTTP: every seed transaction, the selection
//! rules, Prefer, misses, HEAD and bodiless statuses.

use serde_json::{Value, json};

use crate::support::{TestServer, problem, routes_json, transaction};

const NOTIFY: &str = "/retailers/api/v1/whatsapp/send_notification_by_id";

fn client() -> reqwest::Client {
    reqwest::Client::new()
}

/// Sends the documented request of `route` (a `routes --json` element).
async fn send_documented(server: &TestServer, route: &Value) -> reqwest::Response {
    let method = reqwest::Method::from_bytes(route["method"].as_str().unwrap().as_bytes()).unwrap();
    let uri = route["example_uri"].as_str().unwrap();
    let mut req = client().request(method, server.url(uri));
    for pair in route["request"]["headers"].as_array().unwrap() {
        req = req.header(pair[0].as_str().unwrap(), pair[1].as_str().unwrap());
    }
    if let Some(body) = route["request"]["body"].as_str() {
        req = req.body(body.to_string());
    }
    req.send().await.expect("request")
}

#[tokio::test]
async fn every_seed_transaction_answers_its_documented_response() {
    // Arrange
    let server = TestServer::start("specs/retailers.apib");
    let routes = routes_json("specs/retailers.apib");
    let mut per_action: std::collections::HashMap<String, usize> = Default::default();
    assert_eq!(routes.len(), 20);
    for route in &routes {
        let action = format!(
            "{} > {} > {}",
            route["group"].as_str().unwrap(),
            route["resource"].as_str().unwrap(),
            route["action"].as_str().unwrap()
        );
        let n = per_action.entry(action.clone()).or_default();
        *n += 1;
        // Act
        let res = send_documented(&server, route).await;
        // Assert
        assert_eq!(
            transaction(&res),
            format!("{action} > #{n}"),
            "{}",
            route["example_uri"]
        );
        assert_eq!(
            res.status().as_u16() as u64,
            route["response"]["status"].as_u64().unwrap()
        );
        for pair in route["response"]["headers"].as_array().unwrap() {
            let got = res
                .headers()
                .get(pair[0].as_str().unwrap())
                .map(|v| v.to_str().unwrap().to_string());
            assert_eq!(got.as_deref(), pair[1].as_str(), "header {}", pair[0]);
        }
        let body = res.text().await.unwrap();
        assert_eq!(Some(body.as_str()), route["response"]["body"].as_str());
    }
}

async fn notify(server: &TestServer, body: Value) -> (u16, String, Value) {
    let res = client()
        .post(server.url(NOTIFY))
        .json(&body)
        .send()
        .await
        .unwrap();
    let (status, tx) = (res.status().as_u16(), transaction(&res));
    (status, tx, res.json().await.unwrap())
}

#[tokio::test]
async fn notification_bodies_select_their_documented_examples() {
    let server = TestServer::start("specs/retailers.apib");
    let label = "Notifications > Notifications > Send a notification by ID";

    let (status, tx, _) = notify(&server, json!({"phone_number": "+15550000000"})).await;
    assert_eq!((status, tx.as_str()), (400, &*format!("{label} > #1")));

    let (status, tx, _) = notify(
        &server,
        json!({"phone_number": "+1", "internal_id": "unknown"}),
    )
    .await;
    assert_eq!((status, tx.as_str()), (404, &*format!("{label} > #2")));

    let two = json!({"phone_number": "+1", "internal_id": "x", "template_params": ["p", "q"]});
    let (status, tx, body) = notify(&server, two).await;
    assert_eq!((status, tx.as_str()), (400, &*format!("{label} > #3")));
    assert_eq!(
        body["message"],
        "Error: Parameters mismatch. Required 3, but 2 sent."
    );

    let three =
        json!({"phone_number": "+1", "internal_id": "x", "template_params": ["p", "q", "r"]});
    let (status, tx, body) = notify(&server, three).await;
    assert_eq!((status, tx.as_str()), (200, &*format!("{label} > #4")));
    assert_eq!(body["message"], "Ok");
}

#[tokio::test]
async fn query_values_select_the_unassigned_conversations() {
    let server = TestServer::start("specs/retailers.apib");
    for (query, n) in [
        ("?page=1&results_per_page=100&unassigned=true", 2),
        ("?unassigned=true&page=3", 2),
        ("?page=1&results_per_page=100", 1),
        ("?page=1&results_per_page=100&foo=bar", 1),
        ("", 1),
    ] {
        let res = client()
            .get(server.url(&format!("/retailers/api/v1/messenger_conversations{query}")))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 200);
        assert!(
            transaction(&res).ends_with(&format!("#{n}")),
            "{query}: {}",
            transaction(&res)
        );
    }
}

#[tokio::test]
async fn path_values_select_among_examples_and_other_values_still_match() {
    let server = TestServer::start("specs/retailers.apib");
    let res = client()
        .put(server.url("/retailers/api/v1/customers/4885lezrn3878"))
        .json(&json!({}))
        .send()
        .await
        .unwrap();
    assert!(
        transaction(&res).ends_with("Update a customer > #3"),
        "{}",
        transaction(&res)
    );
    let res = client()
        .get(server.url("/retailers/api/v1/customers/anything"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    assert!(transaction(&res).ends_with("Get a customer > #1"));
}

#[tokio::test]
async fn the_same_request_always_gets_the_same_answer() {
    let server = TestServer::start("specs/retailers.apib");
    let body =
        json!({"phone_number": "+1", "internal_id": "x", "template_params": ["a", "b", "c"]});
    let mut seen = std::collections::BTreeSet::new();
    let requests = (0..40).map(|_| client().post(server.url(NOTIFY)).json(&body).send());
    for res in futures_join(requests).await {
        seen.insert(transaction(&res.unwrap()));
    }
    assert_eq!(seen.len(), 1, "{seen:?}");
}

async fn futures_join<F: std::future::Future + Send + 'static>(
    futures: impl Iterator<Item = F>,
) -> Vec<F::Output>
where
    F::Output: Send + 'static,
{
    let handles: Vec<_> = futures.map(tokio::spawn).collect();
    let mut out = Vec::new();
    for h in handles {
        out.push(h.await.unwrap());
    }
    out
}

#[tokio::test]
async fn api_key_values_never_block_a_match() {
    let server = TestServer::start("specs/retailers.apib");
    let res = client()
        .get(server.url("/retailers/api/v1/agents"))
        .header("Api-Key", "a-key-nobody-documented")
        .header("Slug", "other")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
}

#[tokio::test]
async fn prefer_selects_by_status_or_example_and_says_so() {
    let server = TestServer::start("specs/retailers.apib");
    let body = json!({"phone_number": "+1"});
    let res = client()
        .post(server.url(NOTIFY))
        .header("Prefer", "status=404")
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 404);
    assert_eq!(res.headers()["preference-applied"], "status=404");

    let res = client()
        .post(server.url(NOTIFY))
        .header(
            "Prefer",
            "code=200, example=\"sends the notification and include tags\"",
        )
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    assert!(transaction(&res).ends_with("#6"), "{}", transaction(&res));

    let res = client()
        .post(server.url(NOTIFY))
        .header("Prefer", "status=418")
        .json(&body)
        .send()
        .await
        .unwrap();
    let problem = problem(res, 422, "preference-unsatisfied").await;
    assert_eq!(problem["available"].as_array().unwrap().len(), 7);
}

#[tokio::test]
async fn accept_and_content_type_negotiate_between_examples() {
    let server = TestServer::start("fixtures/valid/negotiation.apib");
    let res = client()
        .get(server.url("/message"))
        .header("Accept", "application/json")
        .send()
        .await
        .unwrap();
    assert_eq!(res.headers()["x-kind"], "json");
    let res = client()
        .get(server.url("/message"))
        .header("Accept", "text/plain")
        .send()
        .await
        .unwrap();
    assert_eq!(res.headers()["x-kind"], "plain");
    assert_eq!(res.headers()["content-type"], "text/plain");
    let res = client()
        .put(server.url("/message"))
        .header("Content-Type", "application/json")
        .body("{}")
        .send()
        .await
        .unwrap();
    assert!(transaction(&res).ends_with("#2"), "{}", transaction(&res));
    assert_eq!(res.status(), 204);
    assert_eq!(res.text().await.unwrap(), "");
}

#[tokio::test]
async fn json_bodies_rank_exact_then_structure_and_text_compares_as_text() {
    let server = TestServer::start("fixtures/valid/negotiation.apib");
    let search = |body: &'static str, ct: &'static str| {
        let req = client()
            .post(server.url("/search"))
            .header("Content-Type", ct)
            .body(body);
        async move { req.send().await.unwrap().text().await.unwrap() }
    };
    assert_eq!(
        search("{\"q\":\"milk\",\"limit\":10}", "application/json").await,
        "[\"exact\"]\n"
    );
    assert_eq!(
        search("{\"q\":\"anything\"}", "application/json").await,
        "[\"shape\"]\n"
    );
    assert_eq!(search("milk", "text/plain").await, "text\n");
    // Two documented bodies with the same structure: exact values decide,
    // then document order.
    assert_eq!(
        search("{\"limit\":5,\"q\":\"bread\"}", "application/json").await,
        "[\"same shape, other values\"]\n"
    );
    assert_eq!(
        search("{\"q\":\"x\",\"limit\":1}", "application/json").await,
        "[\"exact\"]\n"
    );
}

#[tokio::test]
async fn literal_segments_beat_variables() {
    let server = TestServer::start("fixtures/valid/negotiation.apib");
    let res = client()
        .get(server.url("/notes/latest"))
        .send()
        .await
        .unwrap();
    assert!(
        transaction(&res).starts_with("Latest note"),
        "{}",
        transaction(&res)
    );
    let res = client()
        .get(server.url("/notes/7?verbose=false"))
        .send()
        .await
        .unwrap();
    assert!(
        transaction(&res).starts_with("Notes > Get a note"),
        "{}",
        transaction(&res)
    );
    // DELETE is documented only on the variable route: the walk falls back.
    let res = client()
        .delete(server.url("/notes/latest"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 204);
}

#[tokio::test]
async fn unknown_paths_get_a_problem_naming_the_closest_routes() {
    let server = TestServer::start("specs/retailers.apib");
    let res = client()
        .get(server.url("/retailers/api/v1/agent"))
        .send()
        .await
        .unwrap();
    let problem = problem(res, 404, "no-route").await;
    assert_eq!(
        problem["closest"][0]["uri_template"],
        "/retailers/api/v1/agents"
    );
}

#[tokio::test]
async fn a_known_path_with_another_method_is_405_with_allow() {
    let server = TestServer::start("specs/retailers.apib");
    let res = client()
        .delete(server.url("/retailers/api/v1/customers"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 405);
    assert_eq!(res.headers()["allow"], "GET, POST");
    problem(res, 405, "method-not-allowed").await;
}

#[tokio::test]
async fn head_has_no_body_but_the_get_length() {
    let server = TestServer::start("specs/retailers.apib");
    let get = client()
        .get(server.url("/retailers/api/v1/agents"))
        .send()
        .await
        .unwrap();
    let len = get.text().await.unwrap().len();
    let head = client()
        .head(server.url("/retailers/api/v1/agents"))
        .send()
        .await
        .unwrap();
    assert_eq!(head.status(), 200);
    assert_eq!(head.headers()["content-length"], len.to_string().as_str());
    assert_eq!(head.bytes().await.unwrap().len(), 0);
}

#[tokio::test]
async fn documented_content_type_is_verbatim_without_framework_headers() {
    let server = TestServer::start("specs/retailers.apib");
    let res = client()
        .get(server.url("/retailers/api/v1/agents"))
        .send()
        .await
        .unwrap();
    assert_eq!(
        res.headers()["content-type"],
        "application/json; charset=utf-8"
    );
    for absent in ["etag", "server", "x-powered-by"] {
        assert!(
            res.headers().get(absent).is_none(),
            "{absent} should not be sent"
        );
    }
    // RFC 9110 §6.6.1: an origin server with a clock sends `Date`, an
    // IMF-fixdate such as `Sun, 06 Dec 2026 16:40:00 GMT`.
    let date = res.headers()["date"].to_str().expect("date is text");
    assert_eq!(date.len(), 29, "{date}");
    assert!(date.ends_with(" GMT"), "{date}");
}

#[tokio::test]
async fn a_documented_options_is_served_as_written() {
    let server = TestServer::start("fixtures/valid/negotiation.apib");
    let res = client()
        .request(reqwest::Method::OPTIONS, server.url("/message"))
        .header("Origin", "http://localhost:5173")
        .header("Access-Control-Request-Method", "PUT")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    assert_eq!(res.headers()["allow"], "GET, PUT, OPTIONS");
}

#[tokio::test]
async fn documented_headers_decide_only_among_otherwise_equal_requests() {
    let server = TestServer::start("fixtures/valid/headers.apib");
    let reports = |headers: &'static [(&'static str, &'static str)]| {
        let mut req = client().get(server.url("/reports"));
        for (name, value) in headers {
            req = req.header(*name, *value);
        }
        async move { req.send().await.unwrap().text().await.unwrap() }
    };
    // Equal values beat present ones; present beats absent.
    assert_eq!(reports(&[("Api-Version", "2")]).await, "[\"v2\"]\n");
    assert_eq!(
        reports(&[("Api-Version", "1"), ("Api-Key", "another")]).await,
        "[\"v1\"]\n"
    );
    assert_eq!(
        reports(&[("Api-Version", "3"), ("Api-Key", "second-key")]).await,
        "[\"v2\"]\n"
    );
    assert_eq!(reports(&[("X-Tenant", "other")]).await, "[\"tenant\"]\n");
    // Nothing to tell them apart: document order.
    assert_eq!(reports(&[("Api-Version", "3")]).await, "[\"v1\"]\n");
    assert_eq!(reports(&[]).await, "[\"v1\"]\n");
}

#[tokio::test]
async fn a_documented_date_is_sent_as_written_and_only_once() {
    let dir = tempfile::tempdir().expect("temp dir");
    let spec = dir.path().join("date.apib");
    std::fs::write(
        &spec,
        "FORMAT: 1A\n\n# D\n\n## R [/r]\n### A [GET]\n+ Response 200 (text/plain)\n    + Headers\n\n            Date: Tue, 01 Jan 2030 00:00:00 GMT\n\n    + Body\n\n            x\n",
    )
    .expect("spec written");
    let server = TestServer::start(&spec.display().to_string());
    let res = client().get(server.url("/r")).send().await.unwrap();
    let dates: Vec<_> = res.headers().get_all("date").iter().collect();
    assert_eq!(dates, ["Tue, 01 Jan 2030 00:00:00 GMT"]);
}
