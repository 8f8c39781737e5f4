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

/// An MSON-heavy blueprint: `structures` named types under `# Data
/// Structures` (inheritance, mixins, nested objects, arrays of named
/// types, enums), and one resource per ten types whose actions describe
/// their bodies with Attributes only.
pub fn generated_mson(structures: usize) -> String {
    let mut s = String::from("FORMAT: 1A\n\n# Generated MSON API\n\n");
    for i in (0..structures).step_by(10) {
        let _ = writeln!(
            s,
            "## Things {i} [/things{i}/{{id}}]\n\n+ Parameters\n    + id: `{i}` (string)\n\n### Read [GET]\n\n+ Response 200 (application/json)\n    + Attributes (Type{i})\n\n### Update [PUT]\n\n+ Request (application/json)\n    + Attributes (Type{})\n\n+ Response 200 (application/json)\n    + Attributes (array[Type{}])\n",
            i + 1,
            i + 2
        );
    }
    s.push_str("# Data Structures\n\n");
    for i in 0..structures {
        let base = if i % 10 == 9 {
            format!("Type{}", i - 1)
        } else {
            "object".to_string()
        };
        let _ = writeln!(s, "## Type{i} ({base})\n");
        let _ = writeln!(s, "+ id: {i} (number, required) - The id of {i}");
        let _ = writeln!(s, "+ name: thing {i} (string)");
        let _ = writeln!(s, "+ tags: a, b, c (array[string])");
        let _ = writeln!(
            s,
            "+ status (enum[string])\n    + Members\n        + active\n        + archived"
        );
        let _ = writeln!(
            s,
            "+ meta (object)\n    + created: `2015-01-01` (string)\n    + score: 4.5 (number)"
        );
        if i % 10 != 0 {
            let _ = writeln!(s, "+ previous (array[Type{}])", i - 1);
        }
        if i % 5 == 1 {
            let _ = writeln!(s, "+ Include Mixin");
        }
        s.push('\n');
    }
    s.push_str("## Mixin\n+ shared: yes\n+ flag: true (boolean)\n");
    s
}
