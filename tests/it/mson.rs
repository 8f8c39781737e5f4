//! MSON end to end: the bodies and schemas generated from our own fixtures
//! (`fixtures/mson/`, checked against drafter.js 2.6.7 with
//! `scripts/mson-vs-drafter.sh`), each body valid against its schema, and
//! the generated bodies served over HTTP.

use serde_json::{Value, json};

use crate::support::{self, TestServer, run, stdout};

/// One line per transaction, then its generated assets.
fn assets(spec: &str) -> String {
    let mut out = String::new();
    for t in support::routes_json(spec) {
        out.push_str(&format!(
            "### {} {} ({})\n",
            t["method"].as_str().unwrap_or(""),
            t["uri_template"].as_str().unwrap_or(""),
            t["response"]["status"]
        ));
        for half in ["request", "response"] {
            for asset in ["body", "schema"] {
                if let Some(text) = t[half][asset].as_str() {
                    out.push_str(&format!("{half} {asset}:\n{text}\n"));
                }
            }
        }
        out.push('\n');
    }
    out
}

#[test]
fn fixtures_generate_the_reference_bodies_and_schemas() {
    insta::glob!("../../fixtures/mson", "*.apib", |path| {
        let spec = path.display().to_string();
        let check = run(&["check", &spec]);
        assert_eq!(check.status.code(), Some(0), "{}", stdout(&check));
        insta::assert_snapshot!(assets(&spec));
    });
}

#[test]
fn every_generated_body_satisfies_its_generated_schema() {
    let mut checked = 0;
    for name in ["primitives", "structures", "enums-arrays", "recursive"] {
        let spec = support::fixture(&format!("mson/{name}.apib"));
        for t in support::routes_json(&spec) {
            for half in ["request", "response"] {
                let (Some(body), Some(schema)) =
                    (t[half]["body"].as_str(), t[half]["schema"].as_str())
                else {
                    continue;
                };
                let body: Value = serde_json::from_str(body).expect("generated body is JSON");
                let schema: Value = serde_json::from_str(schema).expect("generated schema is JSON");
                let validator = jsonschema::validator_for(&schema)
                    .unwrap_or_else(|e| panic!("{name}: schema compiles: {e}\n{schema:#}"));
                let errors: Vec<String> = validator
                    .iter_errors(&body)
                    .map(|e| e.to_string())
                    .collect();
                assert!(
                    errors.is_empty(),
                    "{name} {half}: {errors:?}\n{body:#}\n{schema:#}"
                );
                checked += 1;
            }
        }
    }
    assert!(checked >= 8, "only {checked} body/schema pairs");
}

#[test]
fn a_schema_rejects_what_the_attributes_forbid() {
    let spec = support::fixture("mson/enums-arrays.apib");
    let routes = support::routes_json(&spec);
    let schema: Value =
        serde_json::from_str(routes[0]["response"]["schema"].as_str().expect("schema"))
            .expect("JSON");
    let validator = jsonschema::validator_for(&schema).expect("compiles");
    // `fixed`: the values are the only ones allowed, no extra members.
    let good = json!({"total": 2, "results": ["shoe", "boot"], "page": {"number": 1, "size": 0}});
    assert!(validator.is_valid(&good));
    let other_value =
        json!({"total": 3, "results": ["shoe", "boot"], "page": {"number": 1, "size": 0}});
    assert!(!validator.is_valid(&other_value));
    let extra =
        json!({"total": 2, "results": ["shoe", "boot"], "page": {"number": 1, "size": 0}, "x": 1});
    assert!(!validator.is_valid(&extra));
    let missing = json!({"total": 2, "results": ["shoe", "boot"]});
    assert!(!validator.is_valid(&missing));
}

#[tokio::test]
async fn generated_bodies_are_served() {
    let server = TestServer::start("fixtures/mson/structures.apib");
    let client = reqwest::Client::new();

    let order = client
        .get(server.url("/orders/7"))
        .send()
        .await
        .expect("GET");
    assert_eq!(order.status(), 200);
    assert_eq!(
        order.headers()["content-type"],
        "application/json; charset=utf-8"
    );
    let order: Value = order.json().await.expect("JSON body");
    assert_eq!(order["created_at"], "2015-01-01T00:00:00Z", "mixin first");
    assert_eq!(order["shipping"]["city"], "Prague", "named type expanded");
    assert_eq!(order["lines"][0]["quantity"], 2, "array of a named type");
    assert_eq!(order["coupon"]["percent_off"], 25, "inherited member");
    assert_eq!(order["coupon"]["id"], "250FF");

    let list: Value = client
        .get(server.url("/coupons"))
        .send()
        .await
        .expect("GET")
        .json()
        .await
        .expect("JSON");
    assert_eq!(list.as_array().map(Vec::len), Some(1));
    assert_eq!(list[0]["created"], 1415203908);

    // The request body generated from the action's Attributes is what a
    // documented request looks like: sending it gets the documented 201.
    let created = client
        .post(server.url("/coupons"))
        .json(&json!({"percent_off": 25, "redeem_by": 0}))
        .send()
        .await
        .expect("POST");
    assert_eq!(created.status(), 201);
    let created: Value = created.json().await.expect("JSON");
    assert_eq!(created["id"], "250FF");
}

#[test]
fn check_locates_mson_errors() {
    let out = run(&[
        "check",
        &support::fixture("invalid/mson-errors.apib"),
        "--format",
        "json",
    ]);
    assert_eq!(out.status.code(), Some(1));
    let report: Value = serde_json::from_slice(&out.stdout).expect("JSON report");
    let diags = report["diagnostics"]
        .as_array()
        .cloned()
        .or_else(|| report.as_array().cloned())
        .expect("diagnostics array");
    let find = |needle: &str| {
        diags
            .iter()
            .find(|d| d["message"].as_str().is_some_and(|m| m.contains(needle)))
            .unwrap_or_else(|| panic!("no diagnostic mentions {needle}: {diags:#?}"))
            .clone()
    };
    let unknown = find("unknown type `strng`");
    assert_eq!(
        (unknown["line"].as_u64(), unknown["column"].as_u64()),
        (Some(21), Some(17))
    );
    assert_eq!(unknown["severity"], "error");
    assert!(
        unknown["message"]
            .as_str()
            .unwrap_or("")
            .contains("did you mean `string`")
    );
    let circular = find("type `Loop` circularly");
    assert_eq!(circular["line"].as_u64(), Some(31));
    let sample = find("`forty` is not a valid number");
    assert_eq!(sample["severity"], "warning");
    assert_eq!(sample["line"].as_u64(), Some(18));
}
