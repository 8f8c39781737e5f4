//! What `verify` sends and expects, one case per documented
//! request/response pair.

use crate::blueprint::{Message, Transaction};
use crate::load::Document;

/// One documented transaction to try against a server.
#[derive(Debug, Clone)]
pub struct Case {
    /// `Group > Resource > Action > Example N` (N counts the action's
    /// transactions from 1, in document order): stable across runs.
    pub name: String,
    /// The method.
    pub method: String,
    /// Path and query: the request's own example URI (rspec-style), else
    /// the template expanded with the parameters' examples and defaults.
    pub uri: String,
    /// The headers to send.
    pub headers: Vec<(String, String)>,
    /// The body to send, if documented.
    pub body: Option<String>,
    /// What the answer must look like.
    pub expect: Expectation,
    /// `file:line` of the request (or response).
    pub source: String,
}

/// What the documented response says.
#[derive(Debug, Clone)]
pub struct Expectation {
    /// The documented status.
    pub status: u16,
    /// The documented headers.
    pub headers: Vec<(String, String)>,
    /// The documented body, if any.
    pub body: Option<String>,
    /// A `+ Schema`, or the one generated from MSON Attributes.
    pub schema: Option<String>,
}

/// Every case of `documents`, in document order. Transactions that cannot
/// be sent (no response, a path variable without a value) are returned
/// apart with the reason.
pub fn cases(documents: &[Document]) -> (Vec<Case>, Vec<(String, String)>) {
    let mut cases = Vec::new();
    let mut skipped = Vec::new();
    for doc in documents {
        let mut previous: Option<*const crate::blueprint::Action> = None;
        let mut number = 0;
        for tx in doc.blueprint.transactions() {
            if previous != Some(std::ptr::from_ref(tx.action)) {
                previous = Some(std::ptr::from_ref(tx.action));
                number = 0;
            }
            number += 1;
            let name = format!("{} > Example {number}", action_label(&tx));
            let at = tx
                .request
                .map(|r| r.message.span.start)
                .or(tx.response.map(|r| r.message.span.start))
                .unwrap_or(tx.action.span.start);
            let location = doc.source.location(at);
            let source = format!("{}:{}", location.file, location.line);
            let Some(response) = tx.response else {
                skipped.push((name, "the request has no documented response".into()));
                continue;
            };
            let Some(uri) = tx.example_uri() else {
                skipped.push((
                    name,
                    "a path variable has no example or default value".into(),
                ));
                continue;
            };
            let request = tx.request.map(|r| &r.message);
            cases.push(Case {
                name,
                method: tx.action.method.clone(),
                uri,
                headers: request.map(|m| m.headers.clone()).unwrap_or_default(),
                body: request.and_then(body_text),
                expect: Expectation {
                    status: response.status,
                    headers: response.message.headers.clone(),
                    body: body_text(&response.message),
                    schema: response.message.schema.as_ref().map(|s| s.text.clone()),
                },
                source,
            });
        }
    }
    (cases, skipped)
}

fn body_text(m: &Message) -> Option<String> {
    m.body
        .as_ref()
        .filter(|b| !b.text.trim().is_empty())
        .map(|b| b.text.clone())
}

/// `Group > Resource > Action` (the parts the document names).
fn action_label(tx: &Transaction<'_>) -> String {
    let mut parts: Vec<String> = [tx.group, tx.resource.name.as_deref()]
        .into_iter()
        .flatten()
        .map(str::to_string)
        .collect();
    parts.push(
        tx.action
            .name
            .clone()
            .unwrap_or_else(|| format!("{} {}", tx.action.method, tx.uri_template())),
    );
    parts.join(" > ")
}
