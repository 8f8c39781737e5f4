//! Property tests (proptest): random and mutated blueprints never make the
//! parser panic or hang, and every diagnostic points inside its input;
//! random requests never break the server.

use std::time::{Duration, Instant};

use proptest::prelude::*;

use crate::support::TestServer;

/// Characters that make blueprint structure: list markers, headings,
/// brackets, URI template and MSON punctuation, indentation.
const ALPHABET: &[u8] = b"+-*#[](){}`:,;/\\\"'?&=%._ \n\n\n    \tabcXYZ0129";

fn blueprint_like() -> impl Strategy<Value = String> {
    prop::collection::vec(prop::sample::select(ALPHABET.to_vec()), 0..600)
        .prop_map(|bytes| String::from_utf8_lossy(&bytes).into_owned())
}

/// A fixture with a few random byte edits.
fn mutated(base: &'static str) -> impl Strategy<Value = Vec<u8>> {
    let len = base.len();
    prop::collection::vec((0..len, any::<u8>(), 0u8..3), 1..16).prop_map(move |edits| {
        let mut bytes = base.as_bytes().to_vec();
        for (at, byte, op) in edits {
            let at = at.min(bytes.len().saturating_sub(1));
            match op {
                0 if !bytes.is_empty() => bytes[at] = byte,
                1 if !bytes.is_empty() => {
                    bytes.remove(at);
                }
                _ => bytes.insert(at, byte),
            }
        }
        bytes
    })
}

/// Parses `bytes` and checks what must always hold.
fn check_parse(bytes: &[u8]) -> Result<(), TestCaseError> {
    let started = Instant::now();
    let (doc, diagnostics) = apib_mock::__private::parse_bytes("fuzz.apib", bytes);
    // Everything built from the model must work too.
    for tx in doc.blueprint.transactions() {
        let _ = tx.example_uri();
    }
    let (_contract, _) = apib_mock::__private::Contract::compile(std::slice::from_ref(&doc));
    // A hang detector, not a benchmark: inputs here are < 10 KB.
    prop_assert!(
        started.elapsed() < Duration::from_secs(5),
        "took {:?}",
        started.elapsed()
    );
    // Lone CRs end lines too (the loader normalises them); the first
    // fuzzing run tripped on this in the harness, not in the parser.
    let lines =
        apib_mock::__private::normalise_line_ends(String::from_utf8_lossy(bytes).into_owned())
            .lines()
            .count()
            + 1;
    for d in diagnostics {
        prop_assert!(
            d.location.line >= 1 && d.location.line <= lines && d.location.column >= 1,
            "{d} is outside the {lines}-line input"
        );
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 300, ..ProptestConfig::default() })]

    #[test]
    fn random_blueprint_text_never_panics(text in blueprint_like()) {
        check_parse(format!("# API\n## R [/r/{{id}}]\n### G [GET]\n{text}").as_bytes())?;
        check_parse(format!("# API\n# Data Structures\n## T\n{text}").as_bytes())?;
    }

    #[test]
    fn mutated_fixtures_never_panic(
        seed in mutated(include_str!("../../specs/retailers.apib")),
        mson in mutated(include_str!("../../fixtures/mson/structures.apib")),
        strict in mutated(include_str!("../../fixtures/strict/shop.apib")),
    ) {
        check_parse(&seed)?;
        check_parse(&mson)?;
        check_parse(&strict)?;
    }

    #[test]
    fn uri_templates_never_panic(text in "[{}?&#+/:a-z0-9*,.;=%-]{0,40}") {
        if let Ok(t) = apib_mock::__private::UriTemplate::parse(&text) {
            let _ = t.variables();
            let _ = t.expand(|_| Some("x".to_string()));
        }
    }
}

#[test]
fn lone_carriage_returns_end_lines_in_diagnostics() {
    // From the first fuzzing run (fuzz/artifacts/parse/crash-cb264f9c...):
    // old Mac line ends; the error is on the sixth line as a person sees it.
    let text = b"# Group E\r\r\r## R [/r]\r### A [GET]\r+ Response 2x\r";
    let (_, diagnostics) = apib_mock::__private::parse_bytes("cr.apib", text);
    assert_eq!(diagnostics[0].location.line, 6, "{:?}", diagnostics);
    check_parse(text).expect("properties hold");
}

/// Random methods, paths, queries, headers and bodies: every request gets
/// an answer, and the server keeps answering documented ones.
#[tokio::test]
async fn random_requests_always_get_an_answer() {
    let server = TestServer::strict("specs/retailers.apib");
    let client = reqwest::Client::new();
    let mut runner = proptest::test_runner::TestRunner::deterministic();
    let strategy = (
        prop::sample::select(vec![
            "GET", "POST", "PUT", "DELETE", "PATCH", "HEAD", "OPTIONS", "BREW",
        ]),
        "(/[a-z0-9_%.~-]{0,12}){0,6}",
        "([a-z%]{0,6}=[a-z0-9%+]{0,6}&?){0,4}",
        prop::collection::vec(("[A-Za-z-]{1,12}", "[ -~]{0,40}"), 0..6),
        prop::collection::vec(any::<u8>(), 0..300),
    );
    use proptest::strategy::ValueTree;
    for _ in 0..200 {
        let (method, path, query, headers, body) = strategy
            .new_tree(&mut runner)
            .expect("generation")
            .current();
        let url = server.url(&format!("/retailers/api/v1{path}?{query}"));
        let mut req = client.request(reqwest::Method::from_bytes(method.as_bytes()).unwrap(), url);
        for (name, value) in &headers {
            req = req.header(name.as_str(), value.as_str());
        }
        let res = req.body(body).send().await.expect("the server answers");
        assert!(res.status().as_u16() >= 200, "{method} {path}");
    }
    let ok = client
        .get(server.url("/retailers/api/v1/agents"))
        .header("Slug", "s")
        .header("Api-Key", "k")
        .send()
        .await
        .unwrap();
    assert_eq!(ok.status(), 200);
}
