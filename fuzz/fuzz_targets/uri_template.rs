//! Any text as a URI template: parsing, expanding and routing on it.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    if let Ok(template) = apib_mock::__private::UriTemplate::parse(text) {
        let _ = template.variables();
        let _ = template.path_key();
        let _ = template.expand(|name| Some(format!("{name}/x?y")));
    }
});
