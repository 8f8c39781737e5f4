//! The crate's one-way flow, checked on its source: every `crate::MODULE`
//! reference of a top-level module of `src/` names a module of a lower
//! layer, and the library has no `unsafe` (only the binary's allocator,
//! `src/main.rs` and `src/main/`, may).
//!
//! diag → blueprint → load → contract → matching → {validate, reload} →
//! {server, verify, routes} → mock_server → cli.

use std::collections::BTreeSet;
use std::path::Path;

use crate::support;

/// Top-level modules by layer: a module may use only lower layers.
const LAYERS: &[&[&str]] = &[
    &["diag"],
    &["blueprint"],
    &["load"],
    &["contract"],
    &["matching"],
    &["validate", "reload"],
    &["server", "verify", "routes"],
    &["mock_server"],
    &["cli"],
    &["lib", "main"],
];

fn layer(module: &str) -> Option<usize> {
    LAYERS.iter().position(|l| l.contains(&module))
}

/// Source without comments and without its `#[cfg(test)]` part.
fn code(text: &str) -> String {
    let text = text.split("#[cfg(test)]").next().unwrap_or("");
    text.lines()
        .map(|l| l.split("//").next().unwrap_or(""))
        .collect::<Vec<_>>()
        .join("\n")
}

/// The top-level modules a piece of code names with `crate::`.
fn used_modules(code: &str) -> BTreeSet<String> {
    let mut used = BTreeSet::new();
    for (at, _) in code.match_indices("crate::") {
        let rest = &code[at + "crate::".len()..];
        if let Some(group) = rest.strip_prefix('{') {
            // `crate::{a, b::c, d::{e}}`: the head of each item.
            let mut depth = 0;
            let mut item = String::new();
            for c in group.chars() {
                match c {
                    '{' => depth += 1,
                    '}' if depth == 0 => break,
                    '}' => depth -= 1,
                    ',' if depth == 0 => {
                        used.insert(head(&item));
                        item.clear();
                        continue;
                    }
                    _ => {}
                }
                item.push(c);
            }
            used.insert(head(&item));
        } else {
            used.insert(head(rest));
        }
    }
    used.remove("");
    used
}

/// An `unsafe` block, function, impl, trait or extern block (not the word
/// in `forbid(unsafe_code)`).
fn has_unsafe(code: &str) -> bool {
    code.match_indices("unsafe").any(|(at, _)| {
        let before = code[..at].chars().next_back();
        let rest = code[at + "unsafe".len()..].trim_start();
        before.is_none_or(|c| !(c.is_alphanumeric() || c == '_'))
            && (rest.starts_with('{')
                || ["fn ", "impl", "trait ", "extern "]
                    .iter()
                    .any(|k| rest.starts_with(k)))
    })
}

fn head(path: &str) -> String {
    path.trim_start()
        .chars()
        .take_while(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || *c == '_')
        .collect()
}

fn rust_files(dir: &Path, out: &mut Vec<std::path::PathBuf>) {
    for entry in std::fs::read_dir(dir).expect("src is readable").flatten() {
        let path = entry.path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

#[test]
fn modules_use_only_lower_layers_and_the_library_has_no_unsafe() {
    let src = support::root().join("src");
    let mut files = Vec::new();
    rust_files(&src, &mut files);
    files.sort();
    let mut problems = Vec::new();
    for file in &files {
        let rel = file.strip_prefix(&src).expect("under src");
        let first = rel.components().next().expect("a component");
        let module = first
            .as_os_str()
            .to_string_lossy()
            .trim_end_matches(".rs")
            .to_string();
        let text = code(&std::fs::read_to_string(file).expect("readable"));
        if module != "main" && has_unsafe(&text) {
            problems.push(format!("{}: unsafe in the library", rel.display()));
        }
        let Some(own) = layer(&module) else {
            problems.push(format!("{}: module `{module}` has no layer", rel.display()));
            continue;
        };
        for used in used_modules(&text) {
            if used == module {
                continue;
            }
            match layer(&used) {
                Some(l) if l < own => {}
                Some(_) => problems.push(format!(
                    "{}: `{module}` uses `{used}`, which is not below it",
                    rel.display()
                )),
                None => problems.push(format!(
                    "{}: `{module}` uses `{used}`, which has no layer",
                    rel.display()
                )),
            }
        }
    }
    assert!(files.len() > 40, "only {} source files found", files.len());
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

#[test]
fn the_checker_tells_unsafe_code_from_the_word() {
    assert!(has_unsafe("unsafe { f() }"));
    assert!(has_unsafe("unsafe impl GlobalAlloc for A {}"));
    assert!(!has_unsafe("#![forbid(unsafe_code)]"));
}

#[test]
fn the_checker_sees_grouped_and_nested_uses() {
    let used =
        used_modules("use crate::{diag::Span, blueprint::{a, b}};\nlet x = crate::load::f();");
    assert_eq!(
        used.into_iter().collect::<Vec<_>>(),
        ["blueprint", "diag", "load"]
    );
}
