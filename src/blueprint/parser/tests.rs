//! One test per item of `docs/apib-checklist.md` (shared), parsing from
//! strings.

use crate::blueprint::{Blueprint, parse};
use crate::diag::{Diagnostic, Severity, SourceFile};

fn parse_str(src: &str) -> (Blueprint, Vec<Diagnostic>) {
    parse(&SourceFile::new("t.apib", src.to_string()))
}

fn clean(src: &str) -> Blueprint {
    let (bp, diags) = parse_str(src);
    assert!(diags.is_empty(), "unexpected diagnostics: {diags:#?}");
    bp
}

/// The body text of transaction `i`'s response.
fn response_body(bp: &Blueprint, i: usize) -> String {
    let txs = bp.transactions();
    let body = txs[i].response.and_then(|r| r.message.body.as_ref());
    body.map(|b| b.text.clone()).unwrap_or_default()
}

fn messages(diags: &[Diagnostic]) -> Vec<String> {
    diags.iter().map(|d| d.to_string()).collect()
}

// ----- document ------------------------------------------------------------

#[test]
fn metadata_name_and_overview_are_read() {
    let bp = clean("FORMAT: 1A\nHOST: https://api.example.com/v1/\n\n# My API\nSome *overview*.\n");
    assert_eq!(bp.metadata("format"), Some("1A"));
    assert_eq!(bp.base_path(), Some("/v1"));
    assert_eq!(bp.name.as_deref(), Some("My API"));
    assert_eq!(bp.description, "Some *overview*.");
}

#[test]
fn a_document_without_a_name_is_valid() {
    let bp = clean("# Group Things\n\n## Things [/things]\n\n### List [GET]\n\n+ Response 204\n");
    assert_eq!(bp.name, None);
    assert_eq!(bp.transactions().len(), 1);
}

#[test]
fn host_without_a_path_has_no_base_path() {
    let bp = clean("HOST: https://api.example.com\n\n# A\n");
    assert_eq!(bp.base_path(), None);
}

// ----- section headers -----------------------------------------------------

#[test]
fn groups_hold_the_resources_that_follow_them() {
    let bp = clean(
        "# API\n## /ungrouped\n### GET\n+ Response 204\n\n# Group A\nAbout A.\n## /a\n### GET\n+ Response 204\n\n# Group B\n## /b\n### GET\n+ Response 204\n",
    );
    let names: Vec<Option<&str>> = bp.groups.iter().map(|g| g.name.as_deref()).collect();
    assert_eq!(names, [None, Some("A"), Some("B")]);
    assert_eq!(bp.groups[1].description, "About A.");
    assert_eq!(bp.groups[2].resources[0].uri.as_str(), "/b");
}

#[test]
fn every_resource_header_form_is_read() {
    let bp = clean(
        "# API\n## Notes [/notes]\n### GET\n+ Response 204\n\n## /plain\n### GET\n+ Response 204\n\n## DELETE /short/{id}\n+ Parameters\n    + id: `1`\n\n+ Response 204\n",
    );
    let r = &bp.groups[0].resources;
    assert_eq!(r[0].name.as_deref(), Some("Notes"));
    assert_eq!((r[1].name.as_deref(), r[1].uri.as_str()), (None, "/plain"));
    assert_eq!(r[2].actions[0].method, "DELETE");
    assert_eq!(r[2].uri.as_str(), "/short/{id}");
}

#[test]
fn every_action_header_form_is_read_and_any_method_token_works() {
    let bp = clean(
        "# API\n## R [/r]\n### Named [GET]\n+ Response 204\n\n### Other URI [POST /elsewhere]\n+ Response 204\n\n### LINK\n+ Response 204\n",
    );
    let a = &bp.groups[0].resources[0].actions;
    assert_eq!(
        (a[0].name.as_deref(), a[0].method.as_str()),
        (Some("Named"), "GET")
    );
    assert_eq!(a[1].uri.as_ref().map(|u| u.as_str()), Some("/elsewhere"));
    let txs = bp.transactions();
    assert_eq!(txs[1].uri_template().as_str(), "/elsewhere");
    assert_eq!(txs[0].uri_template().as_str(), "/r");
    assert_eq!((a[2].name.as_deref(), a[2].method.as_str()), (None, "LINK"));
}

#[test]
fn nesting_follows_keyword_order_not_heading_level() {
    // A resource at level 1 and its action at level 2 (example 12).
    let bp = clean("# API\n# Tasks [/tasks]\n## List [GET]\n+ Response 204\n");
    assert_eq!(
        bp.groups[0].resources[0].actions[0].name.as_deref(),
        Some("List")
    );
}

#[test]
fn endpoints_outside_a_resource_become_resources_of_their_own() {
    let bp = clean(
        "# API\n# Group G\n## Create message [POST /messages]\n+ Response 201\n\n## Create task [POST /tasks]\n+ Response 201\n",
    );
    let r = &bp.groups[0].resources;
    assert_eq!(r.len(), 2);
    assert_eq!(r[1].name.as_deref(), Some("Create task"));
    assert_eq!(r[1].uri.as_str(), "/tasks");
}

#[test]
fn data_structures_are_named_types_with_their_members() {
    let bp = clean("# API\n# Data Structures\n## Note (object)\nA note.\n\n+ id: 1 (number)\n");
    assert_eq!(bp.data_structures.len(), 1);
    let ds = &bp.data_structures[0];
    assert_eq!(ds.name, "Note");
    assert_eq!(ds.base.as_deref(), Some("object"));
    assert_eq!(ds.text, "A note.");
    assert_eq!(ds.element.children.len(), 1);
}

#[test]
fn unknown_headings_inside_a_section_are_description() {
    let bp = clean("# API\n## R [/r]\n### Notes on usage\nText.\n### GET\n+ Response 204\n");
    assert!(
        bp.groups[0].resources[0]
            .description
            .contains("### Notes on usage")
    );
}

// ----- list sections -------------------------------------------------------

const ACTION: &str = "# API\n## R [/r]\n### Do [POST]\n";

#[test]
fn request_name_and_media_type_set_content_type_first() {
    let bp = clean(&format!(
        "{ACTION}+ Request Create it (application/json)\n\n    + Headers\n\n            X-A: 1\n\n    + Body\n\n            {{}}\n\n+ Response 201\n"
    ));
    let req = bp.transactions()[0].request.unwrap();
    assert_eq!(req.name.as_deref(), Some("Create it"));
    let h: Vec<(&str, &str)> = req
        .message
        .headers
        .iter()
        .map(|(a, b)| (a.as_str(), b.as_str()))
        .collect();
    assert_eq!(h, [("Content-Type", "application/json"), ("X-A", "1")]);
}

#[test]
fn a_content_type_header_beats_the_media_type() {
    let bp = clean(&format!(
        "{ACTION}+ Response 200 (application/json)\n\n    + Headers\n\n            Content-Type: application/json; charset=utf-8\n"
    ));
    let resp = bp.transactions()[0].response.unwrap();
    assert_eq!(resp.message.headers.len(), 1);
    assert_eq!(
        resp.message.content_type(),
        Some("application/json; charset=utf-8")
    );
}

#[test]
fn response_status_and_media_type_are_read() {
    let bp = clean(&format!(
        "{ACTION}+ Response 404 (text/plain)\n\n        gone\n"
    ));
    let resp = bp.transactions()[0].response.unwrap();
    assert_eq!(resp.status, 404);
    assert_eq!(resp.message.media_type.as_deref(), Some("text/plain"));
    assert_eq!(resp.message.body.as_ref().unwrap().text, "gone\n");
}

#[test]
fn a_status_that_is_not_a_number_is_a_located_error() {
    let (bp, diags) = parse_str(&format!("{ACTION}+ Response 2OO\n\n+ Response 200\n"));
    assert_eq!(
        messages(&diags),
        ["t.apib:4:12: error: response status `2OO` is not a 3-digit HTTP status code (100-599)"]
    );
    // The well-formed response is kept.
    assert_eq!(bp.transactions().len(), 1);
}

#[test]
fn schema_is_kept_as_written() {
    let bp = clean(&format!(
        "{ACTION}+ Request (application/json)\n\n    + Schema\n\n            {{ \"type\": \"object\" }}\n\n+ Response 204\n"
    ));
    let req = bp.transactions()[0].request.unwrap();
    assert_eq!(
        req.message.schema.as_ref().unwrap().text,
        "{ \"type\": \"object\" }\n"
    );
}

#[test]
fn attributes_are_kept_with_their_type_and_location() {
    let (bp, diags) = parse_str(&format!(
        "{ACTION}+ Attributes (Note)\n\n+ Response 200 (application/json)\n    + Attributes\n        + id: 1 (number)\n"
    ));
    let action = &bp.groups[0].resources[0].actions[0];
    assert_eq!(
        action.attributes.as_ref().unwrap().type_spec.as_deref(),
        Some("Note")
    );
    let resp = bp.transactions()[0].response.unwrap();
    assert!(
        resp.message
            .attributes
            .as_ref()
            .unwrap()
            .text
            .contains("+ id: 1 (number)")
    );
    assert_eq!(diags.len(), 1, "the unknown type is reported: {diags:?}");
    assert_eq!(diags[0].severity, Severity::Error);
    assert!(diags[0].message.contains("unknown type `Note`"));
}

#[test]
fn parameters_carry_type_requirement_example_default_and_members() {
    let bp = clean(
        "# API\n## R [/r/{id}{?sort}]\n+ Parameters\n    + id: `42` (number) - The id.\n    + sort: `name` (enum[string], optional)\n        + Default: `date`\n        + Members\n            + `name`\n            + `date`\n\n### GET\n+ Response 204\n",
    );
    let p = &bp.groups[0].resources[0].parameters;
    assert_eq!(p[0].name, "id");
    assert!(
        p[0].required,
        "API Blueprint parameters are required by default"
    );
    assert_eq!(p[0].example.as_deref(), Some("42"));
    assert_eq!(p[0].type_name.as_deref(), Some("number"));
    assert_eq!(p[0].description, "The id.");
    assert!(!p[1].required);
    assert_eq!(p[1].default.as_deref(), Some("date"));
    assert_eq!(p[1].members, ["name", "date"]);
    assert_eq!(
        bp.transactions()[0].example_uri().as_deref(),
        Some("/r/42?sort=name")
    );
}

#[test]
fn action_parameters_override_resource_parameters_by_name() {
    let bp = clean(
        "# API\n## R [/r/{id}]\n+ Parameters\n    + id: `1`\n\n### GET\n+ Parameters\n    + id: `2`\n\n+ Response 204\n",
    );
    assert_eq!(bp.transactions()[0].example_uri().as_deref(), Some("/r/2"));
}

#[test]
fn old_style_values_are_accepted_with_a_warning() {
    let (bp, diags) = parse_str(
        "# API\n## R [/r/{kind}]\n+ Parameters\n    + kind = `a` (optional, string, `b`) ... Kind.\n        + Values\n            + `a`\n            + `b`\n\n### GET\n+ Response 204\n",
    );
    let p = &bp.groups[0].resources[0].parameters[0];
    assert_eq!(
        (p.default.as_deref(), p.example.as_deref()),
        (Some("a"), Some("b"))
    );
    assert_eq!(p.members, ["a", "b"]);
    assert_eq!(
        messages(&diags),
        ["t.apib:5:11: warning: `+ Values` is the old form of `+ Members`; accepted"]
    );
}

#[test]
fn undescribed_variables_and_unused_parameters_warn() {
    let (_, diags) = parse_str(
        "# API\n## R [/r/{id}]\n### GET\n+ Parameters\n    + other: `1`\n\n+ Response 204\n",
    );
    let m = messages(&diags);
    assert!(
        m.iter()
            .any(|d| d.contains("URI variable `id` of `/r/{id}` is not described")),
        "{m:?}"
    );
    assert!(
        m.iter().any(
            |d| d.contains("t.apib:5:7: warning: parameter `other` is not in the URI template")
        ),
        "{m:?}"
    );
}

#[test]
fn a_model_is_used_where_it_is_referenced() {
    let bp = clean(
        "# API\n## Note [/note]\n+ Model (application/json)\n\n    + Headers\n\n            ETag: x\n\n    + Body\n\n            {\"a\": 1}\n\n### GET\n+ Response 200\n\n    [Note][]\n",
    );
    let resp = bp.transactions()[0].response.unwrap();
    assert_eq!(resp.message.model_ref.as_deref(), Some("Note"));
    assert_eq!(resp.message.content_type(), Some("application/json"));
    assert_eq!(resp.message.header("etag"), Some("x"));
    assert_eq!(resp.message.body.as_ref().unwrap().text, "{\"a\": 1}\n");
}

#[test]
fn an_undefined_model_reference_is_a_located_error() {
    let (_, diags) = parse_str("# API\n## R [/r]\n### GET\n+ Response 200\n\n    [Nope][]\n");
    assert_eq!(diags.len(), 1);
    assert!(diags[0].is_error());
    assert_eq!((diags[0].location.line, diags[0].location.column), (6, 5));
}

#[test]
fn relation_is_read() {
    let bp = clean(&format!("{ACTION}+ Relation: create\n+ Response 204\n"));
    assert_eq!(
        bp.groups[0].resources[0].actions[0].relation.as_deref(),
        Some("create")
    );
}

#[test]
fn other_list_items_are_description() {
    let bp =
        clean("# API\n## R [/r]\nAttributes:\n\n+ token\n+ scopes\n\n### GET\n+ Response 204\n");
    assert!(bp.groups[0].resources[0].description.contains("+ token"));
}

// ----- assets and indentation ----------------------------------------------

#[test]
fn assets_nested_twelve_spaces_and_fenced_blocks_are_bodies() {
    let bp = clean(&format!(
        "{ACTION}+ Response 200\n\n    + Body\n\n            line 1\n              indented\n\n+ Response 201\n\n    ```\n    fenced\n    ```\n"
    ));
    assert_eq!(response_body(&bp, 0), "line 1\n  indented\n");
    assert_eq!(response_body(&bp, 1), "fenced\n");
}

#[test]
fn blank_line_runs_inside_bodies_are_kept() {
    let bp = clean(&format!(
        "{ACTION}+ Response 200 (text/plain)\n\n        a\n\n\n        b\n"
    ));
    assert_eq!(response_body(&bp, 0), "a\n\n\nb\n");
}

#[test]
fn a_misindented_body_is_used_with_a_located_warning() {
    let (bp, diags) = parse_str(&format!(
        "{ACTION}+ Response 200 (text/plain)\n    + Body\n\n        hello\n"
    ));
    assert_eq!(response_body(&bp, 0), "hello\n");
    assert_eq!(diags.len(), 1);
    assert_eq!(diags[0].location.line, 7);
    assert!(diags[0].message.contains("not a code block"));
}

#[test]
fn tabs_indent_assets_like_four_spaces() {
    let bp = clean(&format!(
        "{ACTION}+ Response 200 (text/plain)\n\n\t\tfrom tabs\n"
    ));
    assert_eq!(response_body(&bp, 0), "from tabs\n");
}

// ----- transactions --------------------------------------------------------

#[test]
fn requests_and_responses_pair_into_transactions_as_the_format_defines() {
    let (bp, diags) = parse_str(&format!(
        "{ACTION}+ Response 500\n\n+ Request A\n\n+ Response 200\n\n+ Response 201\n\n+ Request B\n\n+ Request C\n\n+ Response 202\n\n+ Request D\n"
    ));
    // The request without a response is kept, and reported.
    assert_eq!(
        messages(&diags),
        [
            "t.apib:18:3: warning: request has no response, so the mock cannot answer it; add a `+ Response` after it"
        ]
    );
    let pairs: Vec<(Option<&str>, Option<u16>)> = bp
        .transactions()
        .iter()
        .map(|t| {
            (
                t.request.and_then(|r| r.name.as_deref()),
                t.response.map(|r| r.status),
            )
        })
        .collect();
    assert_eq!(
        pairs,
        [
            (None, Some(500)),
            (Some("A"), Some(200)),
            (Some("A"), Some(201)),
            (Some("B"), Some(202)),
            (Some("C"), Some(202)),
            (Some("D"), None),
        ]
    );
}

// ----- generator conventions (rspec_api_documentation) -----------------------

#[test]
fn rspec_example_uri_and_api_key_are_read_from_the_request() {
    let bp = clean(
        "# API\n## C [/customers/:id]\n### List [GET /customers]\n\n+ Request lists\n**GET**&nbsp;&nbsp;`/customers?page=1&unassigned=true`\n\n    + Headers\n\n            Api-Key: 123abc\n\n+ Response 200\n",
    );
    let tx = &bp.transactions()[0];
    assert_eq!(
        tx.example_uri().as_deref(),
        Some("/customers?page=1&unassigned=true")
    );
    assert_eq!(
        tx.request.unwrap().message.header("api-key"),
        Some("123abc")
    );
}

#[test]
fn rails_ids_in_a_resource_uri_are_variables() {
    let bp = clean(
        "# API\n## C [/customers/:id]\n+ Parameters\n    + id: `7`\n\n### GET\n+ Response 200\n",
    );
    assert_eq!(
        bp.transactions()[0].example_uri().as_deref(),
        Some("/customers/7")
    );
}

// ----- deliberate differences from the reference -----------------------------

#[test]
fn keywords_are_accepted_in_any_case() {
    let bp = clean(&format!("{ACTION}+ REQUEST x\n\n+ RESPONSE 204\n"));
    assert_eq!(bp.transactions()[0].response.unwrap().status, 204);
}

#[test]
fn a_misspelled_section_is_located() {
    let (_, diags) = parse_str(&format!("{ACTION}+ Respnse 200\n"));
    assert_eq!(
        messages(&diags),
        [
            "t.apib:4:3: warning: unknown section `Respnse 200`, did you mean `Response`? Treated as description"
        ]
    );
}

#[test]
fn responses_after_a_stray_heading_warn_and_stay_with_the_previous_action() {
    let (bp, diags) = parse_str(&format!(
        "{ACTION}+ Response 200\n\n### Delete it [DELTE /x y]\n\n+ Response 204\n"
    ));
    assert_eq!(bp.transactions().len(), 2);
    assert_eq!(diags.len(), 1);
    assert!(
        diags[0]
            .message
            .contains("heading `Delete it [DELTE /x y]` is not an API Blueprint section")
    );
    assert_eq!(diags[0].related.as_ref().unwrap().location.line, 8);
}

#[test]
fn an_error_keeps_every_other_transaction() {
    let (bp, diags) = parse_str(
        "# API\n## Bad [/bad/{id]\n### GET\n+ Response 200\n\n## Good [/good]\n### GET\n+ Response 200\n",
    );
    assert_eq!(diags.iter().filter(|d| d.is_error()).count(), 1);
    let uris: Vec<&str> = bp
        .transactions()
        .iter()
        .map(|t| t.uri_template().as_str())
        .collect();
    assert_eq!(uris, ["/good"]);
}

// ----- diagnostics ----------------------------------------------------------

#[test]
fn malformed_uri_templates_are_located_errors() {
    let (_, diags) = parse_str("# API\n## R [/r/{}]\n");
    assert_eq!(
        messages(&diags),
        [
            "t.apib:2:10: error: invalid URI template `/r/{}`: empty expression `{}` in URI template; name a variable, e.g. `{id}`"
        ]
    );
}

#[test]
fn invalid_json_in_a_json_body_is_located_at_the_bad_character() {
    let (_, diags) = parse_str(&format!(
        "{ACTION}+ Response 200 (application/json)\n\n        {{\n          \"a\": 1,\n        }}\n"
    ));
    assert_eq!(
        messages(&diags),
        ["t.apib:8:9: warning: invalid JSON body: trailing comma; served as text"]
    );
}

#[test]
fn duplicate_actions_warn_with_both_locations() {
    let (_, diags) = parse_str(
        "# API\n## A [/a/{id}]\n### GET\n+ Response 200\n\n## B [/a/{x}]\n### GET\n+ Response 200\n\n## C [/a/:y]\n### GET\n+ Response 200\n",
    );
    let dups: Vec<&Diagnostic> = diags
        .iter()
        .filter(|d| d.message.contains("duplicate"))
        .collect();
    assert_eq!(dups.len(), 2, "{diags:#?}");
    assert_eq!(dups[0].related.as_ref().unwrap().location.line, 3);
}

#[test]
fn resources_told_apart_by_their_query_template_are_not_duplicates() {
    let (_, diags) = parse_str(
        "# API\n## All [/s]\n### GET\n+ Response 200\n\n## N [/s{?name}]\n### GET\n+ Response 200\n\n## B [/s{?city,name}]\n### GET\n+ Response 200\n\n## Again [/s{?name,city}]\n### GET\n+ Response 200\n",
    );
    let dups: Vec<&Diagnostic> = diags
        .iter()
        .filter(|d| d.message.contains("duplicate"))
        .collect();
    // Only the last: the same query names as B, in another order.
    assert_eq!(dups.len(), 1, "{diags:#?}");
    assert_eq!(dups[0].location.line, 15);
}

#[test]
fn malformed_input_never_panics_and_diagnostics_stay_inside_it() {
    // Deterministic mutations of blueprints that use every construct.
    for base in [
        include_str!("../../../fixtures/valid/notes.apib"),
        include_str!("../../../fixtures/mson/structures.apib"),
        include_str!("../../../fixtures/mson/enums-arrays.apib"),
    ] {
        mutate_and_parse(base.as_bytes());
    }
}

#[test]
fn hostile_mson_is_bounded() {
    // 2,000 nested members: no stack overflow, a warning at the limit.
    let mut deep = String::from("# API\n# Data Structures\n## Deep\n");
    for level in 0..2_000 {
        deep.push_str(&" ".repeat(level * 2));
        deep.push_str("+ a\n");
    }
    let (_, diags) = parse_str(&deep);
    assert!(
        diags
            .iter()
            .any(|d| d.message.contains("nested too deeply")),
        "{diags:?}"
    );

    // Types that use each other ten times per level: 10^12 values if
    // expanded naively; the body is cut off instead.
    let mut wide = String::from(
        "# API\n## R [/r]\n### GET\n+ Response 200 (application/json)\n    + Attributes (T0)\n\n# Data Structures\n",
    );
    for level in 0..12 {
        wide.push_str(&format!("## T{level}\n"));
        for member in 0..10 {
            wide.push_str(&format!("+ m{member} (T{})\n", level + 1));
        }
    }
    wide.push_str("## T12\n+ leaf: 1 (number)\n");
    let (bp, _) = parse_str(&wide);
    let body = bp.transactions()[0]
        .response
        .unwrap()
        .message
        .body
        .as_ref()
        .unwrap();
    assert!(body.text.len() < 20_000_000, "{} bytes", body.text.len());
}

fn mutate_and_parse(base: &[u8]) {
    let base = base.to_vec();
    let mut seed = 0x2545_f491_4f6c_dd1d_u64;
    let mut next = || {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        seed
    };
    let alphabet = b"+-*#[](){}`:\n\t \r>|~!&?=,;/\\\"'0123456789abcXYZ";
    for _ in 0..400 {
        let mut bytes = base.clone();
        for _ in 0..(next() % 12 + 1) {
            let at = (next() as usize) % bytes.len();
            match next() % 3 {
                0 => bytes[at] = alphabet[(next() as usize) % alphabet.len()],
                1 => {
                    bytes.remove(at);
                }
                _ => bytes.insert(at, alphabet[(next() as usize) % alphabet.len()]),
            }
        }
        let text = String::from_utf8_lossy(&bytes).into_owned();
        let lines = text.lines().count() + 1;
        let (bp, diags) = parse_str(&text);
        for t in bp.transactions() {
            let _ = t.example_uri();
        }
        for d in diags {
            assert!(
                d.location.line >= 1 && d.location.line <= lines,
                "{d} outside the input"
            );
        }
    }
}

#[test]
fn mson_quirks_of_the_reference_that_we_match_and_the_two_we_fix() {
    let bp = clean(
        "# API\n## R [/r]\n### G [GET]\n+ Response 200 (application/json)\n    + Attributes\n        + neg: -3 (number)\n        + nul: null (string, nullable)\n        + opt (string, optional)\n        + tags (array[string])\n            + Sample: a, b\n        + untyped (array)\n            + Sample: x, y\n",
    );
    let body = &bp.transactions()[0].response.unwrap().message.body;
    let body: serde_json::Value = serde_json::from_str(&body.as_ref().unwrap().text).unwrap();
    // Differences, deliberate: drafter.js 2.6.7 renders `""` and `"null"`.
    assert_eq!(body["neg"], -3);
    assert_eq!(body["nul"], serde_json::Value::Null);
    // Matched: an optional member without a value is left out, and
    // `array[T]` with only a sample shows `[]` (an untyped array shows it).
    assert!(body.get("opt").is_none());
    assert_eq!(body["tags"], serde_json::json!([]));
    assert_eq!(body["untyped"], serde_json::json!(["x", "y"]));
}

#[test]
fn sections_where_they_do_not_belong_are_never_dropped_silently() {
    let (_, diags) = parse_str(
        "# API\n# Group G\n+ Response 200\n\n## R [/r]\n+ Body\n\n        x\n\n### Do [GET]\n+ Response 204\n",
    );
    assert_eq!(
        messages(&diags),
        [
            "t.apib:3:3: warning: request or response outside an action; add an action heading \
             such as `### Name [GET]` above it",
            "t.apib:6:3: warning: `Body` does not belong here (it goes under an action, a request \
             or a response); treated as description",
        ]
    );
}

#[test]
fn a_model_reference_indented_as_a_body_is_served_as_written_with_a_warning() {
    let (bp, diags) = parse_str(&format!(
        "{ACTION}+ Response 200 (text/plain)\n\n        [Note][]\n"
    ));
    assert_eq!(response_body(&bp, 0), "[Note][]\n");
    assert_eq!(diags.len(), 1, "{diags:#?}");
    assert!(diags[0].message.contains("possible `Note` model reference"));
    // A body that only looks like one at its start is not warned about.
    let (_, diags) = parse_str(&format!(
        "{ACTION}+ Response 200 (application/json)\n\n        [1,\n         2]\n"
    ));
    assert!(diags.is_empty(), "{diags:#?}");
}
