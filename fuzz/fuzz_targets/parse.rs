//! Any bytes as a blueprint: parsing, example URIs and compiling the
//! contract must never panic, and diagnostics stay inside the input.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let (doc, diagnostics) = apib_mock::__private::parse_bytes("fuzz.apib", data);
    for tx in doc.blueprint.transactions() {
        let _ = tx.example_uri();
    }
    let _ = apib_mock::__private::Contract::compile(std::slice::from_ref(&doc));
    // Lone CRs end lines too (the loader normalises them).
    let lines = apib_mock::__private::normalise_line_ends(String::from_utf8_lossy(data).into_owned())
        .lines()
        .count()
        + 1;
    for d in diagnostics {
        assert!(d.location.line >= 1 && d.location.line <= lines, "{d}");
    }
});
