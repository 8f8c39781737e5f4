//! Blueprints as teams write them (`fixtures/compat/`): each kind of input
//! the reference parser (drafter.js 2.6.7) tolerates is read the way it
//! reads it, and whatever is not a clean code block is still used, with a
//! located warning. Expected values below were checked against the
//! reference's output for these fixtures.

use serde_json::{Value, json};

use crate::support::{TestServer, fixture, problem, routes_json, run, stdout, transaction};

/// `check --format json` of a compat fixture.
fn check(name: &str) -> Value {
    let out = run(&[
        "check",
        &fixture(&format!("compat/{name}")),
        "--format",
        "json",
    ]);
    serde_json::from_slice(&out.stdout).expect("check --format json is JSON")
}

/// The warnings of `report` whose message contains `text`, as
/// (line, column).
fn located(report: &Value, text: &str) -> Vec<(u64, u64)> {
    report["diagnostics"]
        .as_array()
        .expect("diagnostics")
        .iter()
        .filter(|d| d["message"].as_str().is_some_and(|m| m.contains(text)))
        .map(|d| {
            (
                d["line"].as_u64().unwrap_or(0),
                d["column"].as_u64().unwrap_or(0),
            )
        })
        .collect()
}

fn json_of(text: &Value) -> Value {
    serde_json::from_str(text.as_str().expect("a body")).expect("a JSON body")
}

fn names(routes: &[Value]) -> Vec<(String, String, String)> {
    routes
        .iter()
        .map(|r| {
            (
                r["group"].as_str().unwrap_or("-").to_string(),
                r["resource"].as_str().unwrap_or("-").to_string(),
                r["action"].as_str().unwrap_or("-").to_string(),
            )
        })
        .collect()
}

#[test]
fn headings_without_a_space_after_the_hashes_are_sections() {
    let routes = routes_json(&fixture("compat/headings.apib"));
    let triple = |g: &str, r: &str, a: &str| (g.to_string(), r.to_string(), a.to_string());
    assert_eq!(
        names(&routes),
        [
            triple("Billing", "Invoices", "List invoices"),
            triple("Billing", "Invoices", "Create an invoice"),
            triple("Billing", "Group Association", "Get an association"),
            triple("Billing", "Items", "List items"),
        ]
    );
    assert_eq!(routes[1]["method"], "POST");
    assert_eq!(routes[2]["uri_template"], "/group-associations/{id}");
    assert_eq!(
        routes[3]["uri_template"],
        "/items{?page[number],page[size]}"
    );
    assert_eq!(check("headings.apib")["errors"], 0);
}

#[tokio::test]
async fn a_query_template_with_brackets_is_served() {
    let server = TestServer::start("fixtures/compat/headings.apib");
    let res = reqwest::get(server.url("/items?page[number]=2&page[size]=10"))
        .await
        .expect("request");
    assert_eq!(res.status(), 200);
    assert_eq!(res.text().await.expect("body"), "items\n");
}

#[test]
fn abbreviated_bodies_are_used_as_written_with_a_warning() {
    let routes = routes_json(&fixture("compat/bodies.apib"));
    assert_eq!(routes.len(), 6);
    // A body right under `+ Response`, indented 4, no `+ Body`.
    assert_eq!(
        json_of(&routes[0]["response"]["body"]),
        json!({"count": 2, "results": []})
    );
    // A body right under `+ Request`, no blank line: its own indentation
    // beyond the nesting is kept.
    assert_eq!(
        routes[1]["request"]["body"],
        "    {\"title\":\n      \"new\"}\n"
    );
    assert_eq!(routes[1]["response"]["body"], "  created\n    at once\n");
    let report = check("bodies.apib");
    assert_eq!(
        located(&report, "content is not a code block"),
        [(12, 5), (19, 9), (23, 7), (57, 7), (73, 9)]
    );
}

#[test]
fn a_model_reference_under_the_signature_brings_its_headers_and_body() {
    let routes = routes_json(&fixture("compat/bodies.apib"));
    let read = &routes[2];
    assert_eq!(read["action"], "Read a topic");
    // `+ Header` (singular), indented 6: the request's headers.
    assert_eq!(
        read["request"]["headers"],
        json!([["Authorization", "Bearer JWT"]])
    );
    assert_eq!(
        read["response"]["headers"],
        json!([["Content-Type", "application/json"], ["ETag", "\"v1\""]])
    );
    assert_eq!(
        json_of(&read["response"]["body"]),
        json!({"id": 1, "title": "first"})
    );
}

#[test]
fn attributes_fill_an_empty_body_and_an_empty_attributes_gives_nothing() {
    let routes = routes_json(&fixture("compat/bodies.apib"));
    let (replace, patch) = (&routes[3], &routes[4]);
    assert_eq!(
        json_of(&replace["request"]["body"]),
        json!({"title": "renamed"})
    );
    // The closing brace indented less than its block is kept: valid JSON.
    assert_eq!(json_of(&replace["response"]["body"]), json!({"id": 1}));
    assert_eq!(patch["request"]["body"], Value::Null);
    assert_eq!(patch["request"]["schema"], Value::Null);
}

#[test]
fn sections_indented_oddly_nest_as_the_reference_nests_them() {
    let routes = routes_json(&fixture("compat/bodies.apib"));
    let delete = &routes[5];
    // `+ Headers` indented 7 and `+ Body` indented 4 are both sections of
    // the request; the body, not a code block, keeps its inner indentation.
    assert_eq!(
        delete["request"]["headers"],
        json!([["X-Reason", "cleanup"]])
    );
    assert_eq!(
        delete["request"]["body"],
        "not a code block\n  but indented\n"
    );
    let report = check("bodies.apib");
    assert_eq!(
        located(&report, "`+ Body` content is not a code block"),
        [(73, 9)]
    );
}

#[test]
fn mson_as_real_documents_write_it() {
    let routes = routes_json(&fixture("compat/mson.apib"));
    assert_eq!(
        json_of(&routes[0]["response"]["body"]),
        json!({
            "roles": [{"admin": true}, {"repository": "api"}],
            "currency": "",
            "owner": {"name": "Ana", "status": "active"}
        })
    );
    // The sample is one of the members: listed once (`enum` items are
    // unique in JSON Schema, and the reference lists it once too).
    let schema = json_of(&routes[0]["response"]["schema"]);
    assert_eq!(
        schema["properties"]["owner"]["properties"]["status"]["enum"],
        json!(["active", "inactive"])
    );
    let report = check("mson.apib");
    assert_eq!(report["errors"], 0, "{report:#}");
}

#[test]
fn a_named_type_defined_twice_is_a_located_error() {
    let report = check("duplicate-type.apib");
    assert_eq!(report["errors"], 1, "{report:#}");
    let error = &report["diagnostics"][0];
    assert_eq!(
        (error["line"].as_u64(), error["severity"].as_str()),
        (Some(16), Some("error"))
    );
    assert!(
        error["message"]
            .as_str()
            .is_some_and(|m| m.contains("`Thing` is defined more than once")),
        "{error:#}"
    );
    assert_eq!(error["related"]["line"], 13);
}

#[test]
fn resources_told_apart_by_query_template_are_not_duplicates() {
    let report = check("query-routing.apib");
    assert!(located(&report, "duplicate").is_empty(), "{report:#}");
    let out = run(&["check", &fixture("compat/query-routing.apib")]);
    assert!(!stdout(&out).contains("duplicate"));
}

#[tokio::test]
async fn requests_go_to_the_resource_whose_query_variables_they_send() {
    let server = TestServer::start("fixtures/compat/query-routing.apib");
    for (query, expected) in [
        ("", "All > Search everything > #1"),
        ("?name=ana", "By name > Search by name > #1"),
        ("?city=porto", "By city > Search by city > #1"),
        ("?city=x&name=y", "Both > Search by name and city > #1"),
        ("?name=ana&page=2", "By name > Search by name > #1"),
        ("?page=2", "All > Search everything > #1"),
    ] {
        let res = reqwest::get(server.url(&format!("/search{query}")))
            .await
            .expect("request");
        assert_eq!(transaction(&res), expected, "{query}");
    }
}

#[tokio::test]
async fn a_documented_pseudo_json_body_is_answered_in_lenient_mode() {
    let server = TestServer::start("fixtures/compat/pseudo-json.apib");
    let routes = routes_json(&fixture("compat/pseudo-json.apib"));
    let documented = routes[0]["request"]["body"]
        .as_str()
        .expect("documented body");
    let client = reqwest::Client::new();
    let send = |body: String| {
        client
            .post(server.url("/orders"))
            .header("content-type", "application/json")
            .body(body)
            .send()
    };
    let res = send(documented.to_string()).await.expect("request");
    assert_eq!(res.status(), 201);
    assert_eq!(transaction(&res), "Orders > Create an order > #1");
    // Invalid JSON that is not a documented example is still a 400.
    let res = send("{\"item\": ".to_string()).await.expect("request");
    problem(res, 400, "invalid-json").await;
    // Valid JSON still chooses by its value.
    let res = send("{\"item\": \"pen\"}".to_string())
        .await
        .expect("request");
    assert_eq!(transaction(&res), "Orders > Create an order > #2");
}

#[tokio::test]
async fn strict_mode_answers_a_documented_pseudo_json_body_and_refuses_others() {
    let server = TestServer::strict("fixtures/compat/pseudo-json.apib");
    let routes = routes_json(&fixture("compat/pseudo-json.apib"));
    let documented = routes[0]["request"]["body"]
        .as_str()
        .expect("documented body");
    let send = |body: String| {
        reqwest::Client::new()
            .post(server.url("/orders"))
            .header("content-type", "application/json")
            .body(body)
            .send()
    };
    // Word for word the documented request: it is that request.
    let res = send(documented.to_string()).await.expect("request");
    assert_eq!(
        res.status().as_u16(),
        routes[0]["response"]["status"].as_u64().unwrap() as u16
    );
    assert!(res.headers().get("apib-mock-violations").is_none());
    // Any other body that is not JSON is refused.
    let res = send(documented.replace("//", "#")).await.expect("request");
    problem(res, 400, "invalid-json").await;
}

#[test]
fn a_fence_after_body_and_action_level_headers_are_used() {
    let routes = routes_json(&fixture("compat/sections.apib"));
    assert_eq!(json_of(&routes[0]["response"]["body"]), json!({"total": 3}));
    let create = &routes[1];
    assert_eq!(
        create["request"]["headers"],
        json!([["Content-Type", "application/json"], ["X-Tenant", "acme"]])
    );
    assert_eq!(
        create["response"]["headers"],
        json!([["Content-Type", "application/json"], ["X-Tenant", "acme"]])
    );
    // `404 Not Found`: the code the author meant, media type kept.
    let remove = &routes[2];
    assert_eq!(remove["response"]["status"], 404);
    assert_eq!(
        remove["response"]["headers"],
        json!([["Content-Type", "application/json"]])
    );
    // Indented 12 under a top-level item, 4 more than the format asks: the
    // extra is the body's, as the reference keeps it.
    assert_eq!(routes[3]["response"]["body"], "    id,total\n    1,3\n");
    let report = check("sections.apib");
    assert_eq!(located(&report, "after the status code"), [(29, 12)]);
    assert_eq!(located(&report, "asset after `+ Body`"), [(11, 5)]);
    assert_eq!(located(&report, "deprecated"), [(16, 3)]);
}

#[test]
fn where_the_reference_is_wrong_the_author_is_followed() {
    let routes = routes_json(&fixture("compat/reference-bugs.apib"));
    // The reference renders no body for a lower-case `content-type`, and
    // cuts `2017-02-23T13:54:33Z` at its first hyphen.
    assert_eq!(
        json_of(&routes[0]["response"]["body"]),
        json!({"at": "2017-02-23T13:54:33Z", "n": 1})
    );
    // The reference refuses the whole document for a tab.
    assert_eq!(json_of(&routes[1]["request"]["body"]), json!({"at": "now"}));
    assert_eq!(check("reference-bugs.apib")["errors"], 0);
}

#[test]
fn a_model_reference_beside_sections_is_not_used_and_says_so() {
    let routes = routes_json(&fixture("compat/model-references.apib"));
    // With `+ Headers` beside it, the reference reads `[Note][]` as
    // description: only the headers are the response's.
    assert_eq!(routes[0]["response"]["headers"], json!([["X", "1"]]));
    assert_eq!(routes[0]["response"]["body"], Value::Null);
    assert_eq!(routes[1]["response"]["headers"], json!([["Y", "1"]]));
    // Alone, it is the model; text after it is ignored.
    assert_eq!(json_of(&routes[2]["response"]["body"]), json!({"m": 1}));
    let report = check("model-references.apib");
    assert_eq!(
        located(&report, "is not used: a model reference"),
        [(13, 5), (21, 5)]
    );
    assert_eq!(located(&report, "content after a `[Model][]`"), [(32, 5)]);
}
