//! CORS: on by default for browsers in development, off with --no-cors.

use apib_mock::ServeConfig;

use crate::support::TestServer;

const ORIGIN: &str = "http://localhost:5173";

#[tokio::test]
async fn responses_echo_the_origin_and_expose_documented_headers() {
    let server = TestServer::start("fixtures/valid/negotiation.apib");
    let res = reqwest::Client::new()
        .get(server.url("/message"))
        .header("Origin", ORIGIN)
        .header("Accept", "application/json")
        .send()
        .await
        .unwrap();
    let h = res.headers();
    assert_eq!(h["access-control-allow-origin"], ORIGIN);
    assert_eq!(h["vary"], "Origin");
    assert_eq!(h["access-control-allow-credentials"], "true");
    let exposed = h["access-control-expose-headers"].to_str().unwrap();
    assert!(
        exposed.contains("X-Kind") && exposed.contains("Apib-Mock-Transaction"),
        "{exposed}"
    );
}

#[tokio::test]
async fn misses_carry_cors_headers_too() {
    let server = TestServer::start("specs/retailers.apib");
    let res = reqwest::Client::new()
        .get(server.url("/nowhere"))
        .header("Origin", ORIGIN)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 404);
    assert_eq!(res.headers()["access-control-allow-origin"], ORIGIN);
}

#[tokio::test]
async fn preflight_answers_with_documented_methods_and_requested_headers() {
    let server = TestServer::start("specs/retailers.apib");
    let res = reqwest::Client::new()
        .request(
            reqwest::Method::OPTIONS,
            server.url("/retailers/api/v1/customers/abc"),
        )
        .header("Origin", ORIGIN)
        .header("Access-Control-Request-Method", "PUT")
        .header(
            "Access-Control-Request-Headers",
            "api-key, slug, content-type",
        )
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 204);
    let h = res.headers();
    assert_eq!(h["access-control-allow-methods"], "GET, PUT, HEAD");
    assert_eq!(
        h["access-control-allow-headers"],
        "api-key, slug, content-type"
    );
    assert_eq!(h["access-control-allow-origin"], ORIGIN);
    assert_eq!(h["access-control-allow-credentials"], "true");
}

#[tokio::test]
async fn preflight_for_an_unknown_path_is_a_404_problem() {
    let server = TestServer::start("specs/retailers.apib");
    let res = reqwest::Client::new()
        .request(reqwest::Method::OPTIONS, server.url("/nowhere"))
        .header("Origin", ORIGIN)
        .header("Access-Control-Request-Method", "GET")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 404);
}

#[tokio::test]
async fn no_cors_turns_it_all_off() {
    let mut config = ServeConfig::default();
    config.cors = false;
    let server = TestServer::with_config("specs/retailers.apib", config);
    let res = reqwest::Client::new()
        .get(server.url("/retailers/api/v1/agents"))
        .header("Origin", ORIGIN)
        .send()
        .await
        .unwrap();
    assert!(res.headers().get("access-control-allow-origin").is_none());
    let res = reqwest::Client::new()
        .request(
            reqwest::Method::OPTIONS,
            server.url("/retailers/api/v1/agents"),
        )
        .header("Origin", ORIGIN)
        .header("Access-Control-Request-Method", "GET")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 405);
}
