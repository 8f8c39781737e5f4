//! Why a request got the answer it got, for people (the dashboard's
//! request detail): every transaction of the actions its path and method
//! reach, with the signals `select` compares, each as a plain statement.
//!
//! A plain recomputation from the contract's public data, beside the
//! scorer rather than inside it, so the request path stays as fast as it
//! is; which candidate answered is the journal's to say (the page marks
//! it), not this module's.

use serde::Serialize;
use serde_json::Value;

use super::request::RecordedRequest;
use crate::contract::{Contract, ExpectedBody, essence};

/// One candidate transaction and how the request compares with it.
#[derive(Debug, Serialize)]
pub struct Candidate {
    /// `Group > Resource > Action > #N`.
    pub transaction: String,
    /// The documented status.
    pub status: u16,
    /// What the request has of it, strongest signal first.
    pub matches: Vec<String>,
    /// What it documents that the request does not match.
    pub differs: Vec<String>,
}

/// Every candidate transaction for `request` (empty when no documented
/// route takes its path and method).
pub fn explain(contract: &Contract, request: &RecordedRequest<'_>) -> Vec<Candidate> {
    let mut endpoints = Vec::new();
    contract.find_path_routes(&request.segments, &mut |ids: &[usize]| {
        let same_method: Vec<usize> = ids
            .iter()
            .copied()
            .filter(|&e| {
                let m = &contract.endpoints()[e].method;
                m == request.method
                    || (request.method == hyper::Method::HEAD && m == hyper::Method::GET)
            })
            .collect();
        if same_method.is_empty() {
            return false;
        }
        endpoints = same_method;
        true
    });
    let sent_type = request
        .headers
        .content_type
        .and_then(|v| v.to_str().ok())
        .map(essence);
    let accept = request
        .headers
        .accept
        .and_then(|v| v.to_str().ok())
        .map(str::to_ascii_lowercase);
    let body = request.json();
    let mut out = Vec::new();
    for e in endpoints {
        for &id in &contract.endpoints()[e].transactions {
            let tx = contract.transaction(id);
            let expected = &tx.request;
            let mut f = Findings::default();
            if let (Some(accept), Some(media)) = (&accept, &tx.response.media_type) {
                let ok = accept.contains(media.as_str()) || accept.contains("*/*");
                f.say(
                    ok,
                    format!("`Accept` takes its {media}"),
                    format!("`Accept` does not take its {media}"),
                );
            }
            if let Some(documented) = &expected.content_type {
                f.say(
                    sent_type.as_deref() == Some(documented.as_str()),
                    format!("`Content-Type` is its {documented}"),
                    format!(
                        "`Content-Type` is {} (it documents {documented})",
                        sent_type.as_deref().unwrap_or("absent")
                    ),
                );
            }
            let sent = |name: &str| request.query.iter().find(|(k, _)| k == name);
            for (name, value) in &expected.query {
                match sent(name) {
                    Some((_, v)) if v == value => {
                        f.matches
                            .push(format!("query `{name}={value}` as documented"));
                    }
                    Some((_, v)) => {
                        f.matches.push(format!("query `{name}` sent"));
                        f.differs
                            .push(format!("query `{name}` is `{v}`, its example `{value}`"));
                    }
                    None => f.differs.push(format!("query `{name}` not sent")),
                }
            }
            for name in &expected.query_names {
                if sent(name).is_some() {
                    f.matches
                        .push(format!("query `{name}` sent (its template declares it)"));
                }
            }
            for (i, value) in &expected.path {
                let got = request.segments.get(*i).unwrap_or("");
                f.say(
                    got == value,
                    format!("path segment `{value}` as in its example URI"),
                    format!("path segment `{got}`, its example URI has `{value}`"),
                );
            }
            match (&expected.body, body) {
                (ExpectedBody::Json { value, .. }, Some(sent)) => {
                    let (ok, what) = compare_json(value, sent);
                    f.say(ok, what.clone(), what);
                }
                (ExpectedBody::Json { .. }, None) => {
                    f.differs
                        .push("it documents a JSON body; the request's is not JSON".into());
                }
                (ExpectedBody::Text(text), _) => f.say(
                    text.trim_end() == request.body_text().trim_end(),
                    "the body is its example, word for word".into(),
                    "the body is not its example".into(),
                ),
                (ExpectedBody::None, _) => {}
            }
            for header in &expected.headers {
                let name = header.name.as_str();
                match request.header(name) {
                    Some(v) if v == header.value => {
                        f.matches.push(format!("header `{name}` as documented"));
                    }
                    Some(_) => f
                        .matches
                        .push(format!("header `{name}` sent (another value)")),
                    None => f.differs.push(format!("header `{name}` not sent")),
                }
            }
            out.push(Candidate {
                transaction: tx.label.clone(),
                status: tx.response.status.as_u16(),
                matches: f.matches,
                differs: f.differs,
            });
        }
    }
    out
}

/// What a request has of a candidate, and what it lacks.
#[derive(Default)]
struct Findings {
    matches: Vec<String>,
    differs: Vec<String>,
}

impl Findings {
    /// `yes` when `ok`, else `no`.
    fn say(&mut self, ok: bool, yes: String, no: String) {
        if ok {
            self.matches.push(yes);
        } else {
            self.differs.push(no);
        }
    }
}

/// Whether a sent JSON body is the documented one, or has its members,
/// and a sentence that says which.
fn compare_json(documented: &Value, sent: &Value) -> (bool, String) {
    if documented == sent {
        return (true, "the JSON body equals its example".into());
    }
    match (documented.as_object(), sent.as_object()) {
        (Some(d), Some(s)) => {
            let missing: Vec<&str> = d
                .keys()
                .filter(|k| !s.contains_key(*k))
                .map(String::as_str)
                .collect();
            let extra: Vec<&str> = s
                .keys()
                .filter(|k| !d.contains_key(*k))
                .map(String::as_str)
                .collect();
            if missing.is_empty() && extra.is_empty() {
                (
                    true,
                    "the JSON body has its example's members (other values)".into(),
                )
            } else {
                let mut parts = Vec::new();
                if !missing.is_empty() {
                    parts.push(format!("lacks `{}`", missing.join("`, `")));
                }
                if !extra.is_empty() {
                    parts.push(format!("adds `{}`", extra.join("`, `")));
                }
                (
                    false,
                    format!("the JSON body {} of its example", parts.join(" and ")),
                )
            }
        }
        _ => (false, "the JSON body is not shaped like its example".into()),
    }
}
