//! The rendered diagnostics of every invalid fixture, and the routes of
//! every valid one, as reviewed snapshots (`cargo insta review` after a
//! deliberate change).

use crate::support::{run, stdout};

/// Paths in the output are made relative so snapshots do not depend on
/// where the project is checked out.
fn relative(text: &str) -> String {
    let root = format!("{}/", crate::support::root().display());
    text.replace(&root, "")
}

#[test]
fn invalid_fixtures_render_their_diagnostics() {
    insta::glob!("../../fixtures/invalid", "*.apib", |path| {
        let out = run(&["check", &path.display().to_string()]);
        insta::assert_snapshot!(relative(&stdout(&out)));
    });
}

#[test]
fn valid_fixtures_list_their_routes() {
    insta::glob!("../../fixtures/valid", "*.apib", |path| {
        let out = run(&["routes", &path.display().to_string()]);
        assert_eq!(out.status.code(), Some(0));
        insta::assert_snapshot!(relative(&stdout(&out)));
    });
}
