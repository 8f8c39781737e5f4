//! Generated blueprints of any size, shared by the parse benchmark and
//! `cargo run --release --example gen_blueprint -- N` (used to time the
//! reference parser on the same input).

use std::fmt::Write;

/// A blueprint shaped like the seed: groups of resources, each action with
/// parameters, a named request with headers and a JSON body, and two
/// responses.
pub fn generated(actions: usize) -> String {
    let mut s = String::from("FORMAT: 1A\nHOST: https://api.example.com\n\n# Generated API\n\n");
    for i in 0..actions {
        if i % 50 == 0 {
            let _ = writeln!(s, "# Group Group {}\n", i / 50);
        }
        if i % 2 == 0 {
            let _ = writeln!(s, "## Resource {i} [/resources{i}/{{id}}{{?page,limit}}]\n");
            let _ = writeln!(
                s,
                "+ Parameters\n    + id: `{i}` (string, required) - The id.\n    + page: `1` (number, optional)\n        + Default: `1`\n    + limit (number, optional)\n"
            );
        }
        let method = if i % 2 == 0 { "GET" } else { "POST" };
        let _ = writeln!(s, "### Action {i} [{method}]\n");
        let _ = writeln!(
            s,
            "+ Request example {i} (application/json)\n**{method}**&nbsp;&nbsp;`/resources{i}/abc?page=2`\n\n    + Headers\n\n            Api-Key: key{i}\n            Slug: test\n\n    + Body\n\n            {{\n              \"name\": \"item {i}\",\n              \"tags\": [\"a\", \"b\"],\n              \"count\": {i}\n            }}\n"
        );
        let _ = writeln!(
            s,
            "+ Response 200 (application/json; charset=utf-8)\n\n    + Headers\n\n            X-Request-Id: {i}\n\n    + Body\n\n            {{\n              \"id\": {i},\n              \"message\": \"ok\"\n            }}\n"
        );
        let _ = writeln!(
            s,
            "+ Response 404 (application/json)\n\n        {{ \"error\": \"not found\" }}\n"
        );
    }
    s
}
