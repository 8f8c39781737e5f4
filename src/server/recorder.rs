//! `apib-mock record --proxy URL --out draft.apib`: the traffic the
//! contract does not document, written as an API Blueprint draft.
//!
//! Each proxied exchange is kept (its answer read whole, up to
//! `--max-body`), grouped by a URI template inferred from its path
//! (segments that look like ids, such as `42`, a UUID or
//! `4881ljusi3874`, become variables), one request/response example per
//! method, template and status. The draft is written again (whole,
//! atomically) after every new example, so it is there however the
//! recording ends; `apib-mock check` accepts it and `serve` answers the
//! recorded examples.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::PathBuf;
use std::sync::Mutex;

use bytes::Bytes;
use hyper::HeaderMap;
use hyper::http::response::Parts;

/// Examples kept at most (distinct method, template and status).
const MAX_EXAMPLES: usize = 1000;

/// Request headers worth documenting: not the connection's, not
/// credentials (a draft is shared: the journal's rule), not what every
/// client sends.
fn documented_request_header(name: &str) -> bool {
    !matches!(
        name,
        "host"
            | "content-length"
            | "connection"
            | "keep-alive"
            | "user-agent"
            | "accept-encoding"
            | "accept-language"
            | "via"
            | "te"
            | "transfer-encoding"
            | "upgrade"
            | "origin"
            | "referer"
    ) && !name.starts_with("sec-")
        && !super::journal::is_secret(name)
}

/// Response headers worth documenting.
fn documented_response_header(name: &str) -> bool {
    !matches!(
        name,
        "date"
            | "content-length"
            | "connection"
            | "keep-alive"
            | "transfer-encoding"
            | "server"
            | "via"
            | "etag"
            | "last-modified"
    ) && !name.starts_with("apib-mock-")
        && !super::journal::is_secret(name)
}

/// One recorded exchange.
#[derive(Debug, Clone)]
struct Example {
    method: String,
    path: String,
    query: Option<String>,
    request_headers: Vec<(String, String)>,
    request_body: Bytes,
    status: u16,
    response_headers: Vec<(String, String)>,
    response_body: Bytes,
}

/// What was seen.
#[derive(Debug, Default)]
struct Recording {
    /// By (template, method, status): the first exchange seen.
    examples: BTreeMap<(String, String, u16), Example>,
    /// By template: each query parameter seen, with its first value.
    queries: BTreeMap<String, BTreeMap<String, String>>,
}

/// The recording.
#[derive(Debug)]
pub(crate) struct Recorder {
    out: PathBuf,
    examples: Mutex<Recording>,
    /// One write at a time, in order.
    writing: Mutex<()>,
}

impl Recorder {
    pub(crate) fn new(out: PathBuf) -> Self {
        Recorder {
            out,
            examples: Mutex::new(Recording::default()),
            writing: Mutex::new(()),
        }
    }

    /// Keeps an exchange (the first of its method, template and status),
    /// and writes the draft again when it is new.
    pub(crate) fn record(
        &self,
        method: &hyper::Method,
        target: &str,
        headers: &HeaderMap,
        body: &Bytes,
        answer: &Parts,
        answer_body: &Bytes,
    ) {
        let (path, query) = match target.split_once('?') {
            Some((p, q)) => (p.to_string(), Some(q.to_string())),
            None => (target.to_string(), None),
        };
        let pairs = |headers: &HeaderMap, keep: fn(&str) -> bool| {
            headers
                .iter()
                .filter(|(n, v)| keep(n.as_str()) && !(*n == hyper::header::ACCEPT && *v == "*/*"))
                .filter_map(|(n, v)| Some((n.as_str().to_string(), v.to_str().ok()?.to_string())))
                .collect::<Vec<_>>()
        };
        let key = (
            template_of(&path).0,
            method.as_str().to_string(),
            answer.status.as_u16(),
        );
        let example = Example {
            method: method.as_str().to_string(),
            path,
            query,
            request_headers: pairs(headers, documented_request_header),
            request_body: body.clone(),
            status: answer.status.as_u16(),
            response_headers: pairs(&answer.headers, documented_response_header),
            response_body: answer_body.clone(),
        };
        let draft = {
            let mut seen = self.examples.lock().unwrap_or_else(|p| p.into_inner());
            let mut new_query = false;
            if let Some(q) = &example.query {
                let known = seen.queries.entry(key.0.clone()).or_default();
                for (k, v) in form_urlencoded::parse(q.as_bytes()) {
                    if !known.contains_key(k.as_ref()) && known.len() < 64 {
                        known.insert(k.into_owned(), v.into_owned());
                        new_query = true;
                    }
                }
            }
            let new_example =
                !seen.examples.contains_key(&key) && seen.examples.len() < MAX_EXAMPLES;
            if new_example {
                seen.examples.insert(key, example);
            }
            if !new_example && !new_query {
                return;
            }
            render(&seen)
        };
        let _one = self.writing.lock().unwrap_or_else(|p| p.into_inner());
        if let Err(e) = super::sandbox::write_atomically(&self.out, draft.as_bytes()) {
            eprintln!(
                "apib-mock: the draft cannot be written to {}: {e}",
                self.out.display()
            );
        }
    }
}

/// Whether a path segment looks like an id: digits, a UUID, a long hex
/// string, or letters mixed with digits (`4881ljusi3874`, `a1b2c3`).
fn looks_like_id(segment: &str) -> bool {
    let digits = segment.bytes().filter(u8::is_ascii_digit).count();
    let alnum = segment
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
    !segment.is_empty()
        && alnum
        && (digits == segment.len()
            || (segment.len() >= 6 && digits > 0)
            || (segment.len() == 36 && segment.matches('-').count() == 4))
}

/// A plural resource name made singular, roughly (`customers` →
/// `customer`), for a variable's name.
fn singular(word: &str) -> String {
    let word = word.replace('-', "_");
    if word.ends_with("ss") {
        return word;
    }
    if let Some(stem) = word.strip_suffix("ies") {
        format!("{stem}y")
    } else if let Some(stem) = word.strip_suffix('s') {
        stem.to_string()
    } else {
        word
    }
}

/// The URI template of a path (ids as variables: the last one `{id}`,
/// those before named after the segment before them), and each
/// variable's value.
fn template_of(path: &str) -> (String, Vec<(String, String)>) {
    let segments: Vec<&str> = path.split('/').filter(|s| !s.is_empty()).collect();
    let last_id = segments.iter().rposition(|s| looks_like_id(s));
    let mut template = String::new();
    let mut values = Vec::new();
    for (i, segment) in segments.iter().enumerate() {
        template.push('/');
        if looks_like_id(segment) {
            let name = if Some(i) == last_id {
                "id".to_string()
            } else {
                format!(
                    "{}_id",
                    segments
                        .get(i.wrapping_sub(1))
                        .map_or("parent".to_string(), |s| singular(s))
                )
            };
            template.push_str(&format!("{{{name}}}"));
            values.push((name, segment.to_string()));
        } else {
            template.push_str(segment);
        }
    }
    if template.is_empty() {
        template.push('/');
    }
    (template, values)
}

/// A resource's name from its template: `/users/{user_id}/posts` →
/// `Users Posts`, and an item (`/users/{user_id}/posts/{id}`) singular:
/// `Users Post`.
fn title_of(template: &str) -> String {
    let plural = plural_title(template);
    if template.ends_with('}') {
        singular(&plural)
    } else {
        plural
    }
}

fn plural_title(template: &str) -> String {
    let words: Vec<String> = template
        .split('/')
        .filter(|s| !s.is_empty() && !s.starts_with('{'))
        .map(|s| {
            let mut c = s.chars();
            c.next()
                .map(|f| f.to_uppercase().collect::<String>() + c.as_str())
                .unwrap_or_default()
        })
        .collect();
    if words.is_empty() {
        "Root".into()
    } else {
        words.join(" ")
    }
}

/// JSON text re-indented (two spaces), its members in the order they
/// came: `serde_json::Value` would sort them.
fn pretty_json(text: &str) -> String {
    let mut out = String::with_capacity(text.len() * 2);
    let mut depth = 0usize;
    let mut chars = text.chars().peekable();
    let newline = |out: &mut String, depth: usize| {
        out.push('\n');
        out.push_str(&"  ".repeat(depth));
    };
    while let Some(c) = chars.next() {
        match c {
            '"' => {
                out.push('"');
                while let Some(c) = chars.next() {
                    out.push(c);
                    match c {
                        '\\' => out.extend(chars.next()),
                        '"' => break,
                        _ => {}
                    }
                }
            }
            '{' | '[' => {
                out.push(c);
                while chars.peek().is_some_and(|c| c.is_whitespace()) {
                    chars.next();
                }
                if matches!(chars.peek(), Some('}' | ']')) {
                    out.extend(chars.next());
                } else {
                    depth += 1;
                    newline(&mut out, depth);
                }
            }
            '}' | ']' => {
                depth = depth.saturating_sub(1);
                newline(&mut out, depth);
                out.push(c);
            }
            ',' => {
                out.push(',');
                newline(&mut out, depth);
            }
            ':' => out.push_str(": "),
            c if c.is_whitespace() => {}
            c => out.push(c),
        }
    }
    out
}

/// A body for the draft: JSON pretty-printed (in its own member order),
/// text as it is, anything else left out (and said).
fn body_text(bytes: &[u8]) -> Option<String> {
    if bytes.is_empty() {
        return None;
    }
    if serde_json::from_slice::<serde::de::IgnoredAny>(bytes).is_ok()
        && let Ok(text) = std::str::from_utf8(bytes)
    {
        return Some(pretty_json(text));
    }
    std::str::from_utf8(bytes)
        .ok()
        .filter(|t| !t.trim().is_empty())
        .map(str::to_string)
}

fn media_type(headers: &[(String, String)]) -> Option<&str> {
    headers
        .iter()
        .find(|(n, _)| n == "content-type")
        .map(|(_, v)| v.as_str())
}

/// Writes a `+ Headers` / `+ Body` payload at the indentation of a
/// request or response section.
fn payload(out: &mut String, headers: &[(String, String)], body: &[u8]) {
    let shown: Vec<&(String, String)> = headers
        .iter()
        .filter(|(n, _)| n != "content-type")
        .collect();
    if !shown.is_empty() {
        out.push_str("    + Headers\n\n");
        for (n, v) in shown {
            let _ = writeln!(out, "            {n}: {v}");
        }
        out.push('\n');
    }
    match body_text(body) {
        Some(text) => {
            out.push_str("    + Body\n\n");
            for line in text.lines() {
                if line.is_empty() {
                    out.push('\n');
                } else {
                    let _ = writeln!(out, "            {line}");
                }
            }
            out.push('\n');
        }
        None if !body.is_empty() => {
            let _ = writeln!(
                out,
                "    (a body of {} bytes that is not text was left out)\n",
                body.len()
            );
        }
        None => {}
    }
}

/// The draft: one resource per template, one action per method, one
/// example per status.
fn render(seen: &Recording) -> String {
    let examples = &seen.examples;
    let mut out = String::from(
        "FORMAT: 1A\n\n# Recorded API\n\nRecorded by `apib-mock record`: one example of each \
         method, URI and status seen. Edit the names and descriptions, then serve it.\n\n",
    );
    let mut by_template: BTreeMap<&str, Vec<&Example>> = BTreeMap::new();
    for ((template, _, _), example) in examples {
        by_template
            .entry(template.as_str())
            .or_default()
            .push(example);
    }
    for (template, list) in by_template {
        let queries = seen.queries.get(template);
        let query_names: Vec<String> = queries
            .map(|q| q.keys().cloned().collect())
            .unwrap_or_default();
        let query = if query_names.is_empty() {
            String::new()
        } else {
            format!("{{?{}}}", query_names.join(","))
        };
        let _ = writeln!(out, "## {} [{template}{query}]\n", title_of(template));
        // Parameters: each variable with the first value seen.
        let mut params: Vec<(String, String)> = Vec::new();
        for e in &list {
            for (name, value) in template_of(&e.path).1 {
                if !params.iter().any(|(n, _)| *n == name) {
                    params.push((name, value));
                }
            }
        }
        for (name, value) in queries.into_iter().flatten() {
            if !params.iter().any(|(n, _)| n == name) {
                params.push((name.clone(), value.clone()));
            }
        }
        if !params.is_empty() {
            out.push_str("+ Parameters\n");
            for (name, value) in &params {
                let optional = if query_names.contains(name) {
                    "optional"
                } else {
                    "required"
                };
                let _ = writeln!(out, "    + {name}: `{value}` (string, {optional})");
            }
            out.push('\n');
        }
        let mut methods: Vec<&str> = list.iter().map(|e| e.method.as_str()).collect();
        methods.dedup();
        for method in methods {
            let _ = writeln!(
                out,
                "### {method} {} [{method}]\n",
                title_of(template).to_lowercase()
            );
            for e in list.iter().filter(|e| e.method == method) {
                let request_type = media_type(&e.request_headers)
                    .map(|m| format!(" ({m})"))
                    .unwrap_or_default();
                let shows_request = !e.request_body.is_empty()
                    || e.request_headers.iter().any(|(n, _)| n != "content-type");
                if shows_request {
                    let _ = writeln!(out, "+ Request{request_type}\n");
                    payload(&mut out, &e.request_headers, &e.request_body);
                }
                let response_type = media_type(&e.response_headers)
                    .map(|m| format!(" ({m})"))
                    .unwrap_or_default();
                let _ = writeln!(out, "+ Response {}{response_type}\n", e.status);
                payload(&mut out, &e.response_headers, &e.response_body);
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_become_variables_named_after_their_resource() {
        assert_eq!(
            template_of("/users/42/posts/4881ljusi3874"),
            (
                "/users/{user_id}/posts/{id}".to_string(),
                vec![
                    ("user_id".to_string(), "42".to_string()),
                    ("id".to_string(), "4881ljusi3874".to_string())
                ]
            )
        );
        assert_eq!(template_of("/health").0, "/health");
        assert_eq!(template_of("/").0, "/");
        assert_eq!(
            template_of("/files/6f1c2b8e-2d3a-4c5b-9e7f-0a1b2c3d4e5f").0,
            "/files/{id}"
        );
        assert!(!looks_like_id("v1"), "short versions stay literal");
        assert!(!looks_like_id("customers"));
        assert_eq!(singular("categories"), "category");
        assert_eq!(title_of("/users/{user_id}/posts/{id}"), "Users Post");
    }

    #[test]
    fn json_is_reindented_in_its_own_member_order() {
        assert_eq!(
            pretty_json(r#"{"z":1,"a":[1, {"k":"v, \"x\""}],"e":{},"f":[]}"#),
            "{\n  \"z\": 1,\n  \"a\": [\n    1,\n    {\n      \"k\": \"v, \\\"x\\\"\"\n    }\n  ],\n  \"e\": {},\n  \"f\": []\n}"
        );
    }
}
