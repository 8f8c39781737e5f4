//! Simulating the network: delays (`--delay`, per route, distributions,
//! `Prefer: delay=`), faults (`Prefer: fault=`), chaos with a seed, and
//! `PUT /__mock/settings`. Timing assertions are lower bounds, with
//! generous upper bounds only where a bound is the point.

use std::time::{Duration, Instant};

use apib_mock::{DelayRule, NetworkConfig, ServeConfig};
use reqwest::Client;
use serde_json::Value;

use crate::support::TestServer;

const SPEC: &str = "fixtures/network.apib";

fn serve(network: NetworkConfig) -> TestServer {
    let mut config = ServeConfig::default();
    config.network = network;
    TestServer::with_config(SPEC, config)
}

fn rules(texts: &[&str]) -> Vec<DelayRule> {
    texts.iter().map(|t| DelayRule::parse(t).unwrap()).collect()
}

async fn timed_get(client: &Client, url: String, prefer: Option<&str>) -> (u16, String, Duration) {
    let started = Instant::now();
    let mut req = client.get(url);
    if let Some(p) = prefer {
        req = req.header("Prefer", p);
    }
    let res = req.send().await.expect("answered");
    let status = res.status().as_u16();
    let body = res.text().await.unwrap_or_default();
    (status, body, started.elapsed())
}

#[tokio::test]
async fn delays_apply_to_all_or_one_route_and_never_hold_up_other_requests() {
    let server = serve(NetworkConfig::new(
        rules(&["GET /things=1s", "uniform:150ms..200ms"]),
        0.0,
        None,
    ));
    let client = Client::new();
    let (slow, fast) = tokio::join!(
        timed_get(&client, server.url("/things"), None),
        timed_get(&client, server.url("/plain"), None),
    );
    assert_eq!(slow.0, 200);
    assert!(slow.2 >= Duration::from_secs(1), "{:?}", slow.2);
    // The other rule, for everything else: 150-200 ms, and not behind the
    // one-second request on its own task.
    assert!(fast.2 >= Duration::from_millis(150), "{:?}", fast.2);
    assert!(fast.2 < slow.2, "{:?} vs {:?}", fast.2, slow.2);
}

#[tokio::test]
async fn a_request_can_ask_for_a_delay() {
    let server = serve(NetworkConfig::default());
    let client = Client::new();
    let (status, _, took) = timed_get(&client, server.url("/plain"), Some("delay=300ms")).await;
    assert_eq!(status, 200);
    assert!(took >= Duration::from_millis(300), "{took:?}");
    let (_, _, took) = timed_get(&client, server.url("/plain"), Some("delay=250")).await;
    assert!(
        took >= Duration::from_millis(250),
        "milliseconds by default: {took:?}"
    );
}

#[tokio::test]
async fn each_fault_a_request_asks_for() {
    let server = serve(NetworkConfig::default());
    let client = Client::new();
    let ask = |fault: &'static str| {
        client
            .get(server.url("/things"))
            .header("Prefer", format!("fault={fault}"))
            .send()
    };
    assert!(
        ask("reset").await.is_err(),
        "the connection is dropped unanswered"
    );
    let empty = ask("empty").await.unwrap();
    assert_eq!(empty.status(), 200);
    assert_eq!(empty.text().await.unwrap(), "");
    let malformed = ask("malformed").await.unwrap();
    let text = malformed.text().await.unwrap();
    assert!(
        !text.is_empty() && "{\"things\": [1, 2, 3]}\n".starts_with(&text),
        "{text:?}"
    );
    assert!(serde_json::from_str::<Value>(&text).is_err());
    let patient = Client::builder()
        .timeout(Duration::from_millis(400))
        .build()
        .unwrap();
    let timeout = patient
        .get(server.url("/things"))
        .header("Prefer", "fault=timeout")
        .send()
        .await;
    assert!(timeout.is_err_and(|e| e.is_timeout()));
}

/// The statuses of `n` requests in a row (0: the connection was dropped).
async fn statuses(server: &TestServer, path: &str, n: usize) -> Vec<u16> {
    let client = Client::new();
    let mut out = Vec::new();
    for _ in 0..n {
        out.push(match client.get(server.url(path)).send().await {
            Ok(res) => res.status().as_u16(),
            Err(_) => 0,
        });
    }
    out
}

#[tokio::test]
async fn chaos_answers_documented_errors_or_drops_and_a_seed_repeats_it() {
    let first = statuses(
        &serve(NetworkConfig::new(vec![], 0.5, Some(7))),
        "/things",
        40,
    )
    .await;
    let again = statuses(
        &serve(NetworkConfig::new(vec![], 0.5, Some(7))),
        "/things",
        40,
    )
    .await;
    assert_eq!(first, again, "the same seed, the same choices");
    let faults = first.iter().filter(|&&s| s != 200).count();
    assert!((5..=35).contains(&faults), "about half: {first:?}");
    assert!(
        first.iter().all(|s| [200, 404, 503].contains(s)),
        "documented errors: {first:?}"
    );
    assert!(first.contains(&404) && first.contains(&503), "{first:?}");
    // No documented error: the connection is dropped.
    let plain = statuses(
        &serve(NetworkConfig::new(vec![], 1.0, Some(1))),
        "/plain",
        3,
    )
    .await;
    assert_eq!(plain, [0, 0, 0]);
}

#[tokio::test]
async fn settings_change_at_run_time() {
    let server = serve(NetworkConfig::default());
    let client = Client::new();
    let put = |body: &'static str| {
        client
            .put(server.url("/__mock/settings"))
            .header("content-type", "application/json")
            .body(body)
            .send()
    };
    let res = put(r#"{"delay": ["/plain=300ms"], "chaos": "0%", "seed": 3}"#)
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let settings: Value = res.json().await.unwrap();
    assert_eq!(settings["delays"][0]["path"], "/plain");
    assert_eq!(settings["seed"], 3);
    let (_, _, took) = timed_get(&client, server.url("/plain"), None).await;
    assert!(took >= Duration::from_millis(300), "{took:?}");
    let shown: Value = client
        .get(server.url("/__mock/settings"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(shown, settings);
    let bad = put(r#"{"delay": "fast"}"#).await.unwrap();
    assert_eq!(bad.status(), 400);
    let cleared = put("{}").await.unwrap();
    assert_eq!(cleared.status(), 200);
    let (_, _, took) = timed_get(&client, server.url("/plain"), None).await;
    assert!(took < Duration::from_millis(300), "cleared: {took:?}");
}

/// The report's body: 7 lines of 144 characters and their line ends.
const REPORT_BYTES: usize = 7 * 145;

#[tokio::test]
async fn a_throttle_dribbles_the_body_after_prompt_headers() {
    // 2,000 bytes a second: the 1,015-byte report takes about half a
    // second, in slices of 200 bytes (the first at once).
    let server = serve(NetworkConfig::default().with_throttle(Some(2_000)));
    let client = Client::new();
    let started = Instant::now();
    let res = client
        .get(server.url("/report"))
        .send()
        .await
        .expect("answered");
    let headers_after = started.elapsed();
    assert_eq!(res.status(), 200);
    assert_eq!(res.headers()["content-length"], REPORT_BYTES.to_string());
    let body = res.text().await.expect("the whole body");
    let took = started.elapsed();
    assert_eq!(body.len(), REPORT_BYTES);
    assert!(body.ends_with("xyz\n"), "intact");
    // Four slices wait 100 ms each at least.
    assert!(took >= Duration::from_millis(400), "{took:?}");
    assert!(headers_after < took, "{headers_after:?} vs {took:?}");
}

#[tokio::test]
async fn a_request_can_ask_for_a_throttle_and_settings_set_one() {
    let server = serve(NetworkConfig::default());
    let client = Client::new();
    let started = Instant::now();
    let res = client
        .get(server.url("/report"))
        .header("Prefer", "throttle=1KiB/s")
        .send()
        .await
        .expect("answered");
    assert_eq!(res.text().await.expect("body").len(), REPORT_BYTES);
    // 1,024 bytes a second, slices of 102: nine waits of ~100 ms.
    let took = started.elapsed();
    assert!(took >= Duration::from_millis(850), "{took:?}");

    let res = client
        .put(server.url("/__mock/settings"))
        .body(r#"{"throttle": "4KB/s"}"#)
        .send()
        .await
        .expect("answered");
    let settings: Value = res.json().await.expect("JSON");
    assert_eq!(settings["throttle"], 4000);
    let started = Instant::now();
    let body = client
        .get(server.url("/report"))
        .send()
        .await
        .expect("answered")
        .text()
        .await
        .expect("body");
    assert_eq!(body.len(), REPORT_BYTES);
    // 4,000 bytes a second, slices of 400: two waits of 100 ms.
    assert!(started.elapsed() >= Duration::from_millis(190));
    let res = client
        .put(server.url("/__mock/settings"))
        .body(r#"{"throttle": "0/s"}"#)
        .send()
        .await
        .expect("answered");
    assert_eq!(res.status(), 400);
}
