//! Any text as MSON: under `# Data Structures` and as a response's
//! Attributes, so named types, bodies and schemas are all generated.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let indented: String = text.lines().map(|l| format!("        {l}\n")).collect();
    let doc = format!(
        "# API\n## R [/r]\n### G [GET]\n+ Response 200 (application/json)\n    + Attributes (T)\n{indented}\n# Data Structures\n## T\n{text}\n"
    );
    let (doc, _) = apib_mock::__private::parse_bytes("fuzz.apib", doc.as_bytes());
    for tx in doc.blueprint.transactions() {
        if let Some(body) = tx.response.and_then(|r| r.message.body.as_ref()) {
            // Generated bodies are always JSON.
            if body.generated {
                assert!(serde_json::from_str::<serde_json::Value>(&body.text).is_ok(), "{}", body.text);
            }
        }
    }
});
