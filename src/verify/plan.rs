//! What `verify` sends and expects, one case per documented
//! request/response pair.

use crate::blueprint::Message;
use crate::load::Document;

/// One documented transaction to try against a server.
#[derive(Debug, Clone)]
pub struct Case {
    /// `Group > Resource > Action > #N` (N counts the action's
    /// transactions that have a response from 1, in document order): the
    /// name the mock gives it in `Apib-Mock-Transaction`, the journal and
    /// coverage; stable across runs.
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

/// Every case of `documents`, in document order, with `params` (from
/// `--param name=value`) giving URI variables their values first.
/// Transactions that cannot be sent (no response, a path variable or a
/// required query parameter without a value) are returned apart with the
/// reason.
///
/// When an action documents responses of more than one media type and a
/// request sends no `Accept`, the request asks for its response's media
/// type: a server that negotiates answers each one as documented.
pub fn cases(
    documents: &[Document],
    params: &[(String, String)],
) -> (Vec<Case>, Vec<(String, String)>) {
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
            if tx.response.is_some() {
                number += 1;
            }
            let name = match tx.response {
                Some(_) => format!("{} > #{number}", tx.action_label()),
                None => format!("{} > a request without a response", tx.action_label()),
            };
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
            let written = tx.request.and_then(|r| r.example_uri.clone());
            let given = |name: &str| {
                params
                    .iter()
                    .find(|(n, _)| n == name)
                    .map(|(_, v)| v.clone())
            };
            let documented = |name: &str| {
                tx.parameters()
                    .find(|p| p.name == name)
                    .and_then(|p| p.example.clone().or_else(|| p.default.clone()))
            };
            if written.is_none() {
                let missing: Vec<&str> = tx
                    .uri_template()
                    .query_variables()
                    .into_iter()
                    .filter(|v| {
                        tx.parameters().any(|p| p.name == *v && p.required)
                            && given(v).is_none()
                            && documented(v).is_none()
                    })
                    .collect();
                if let Some(first) = missing.first() {
                    skipped.push((
                        name,
                        format!(
                            "the required query parameter `{}` has no example or default value \
                             (give one with --param {first}=VALUE)",
                            missing.join("`, `")
                        ),
                    ));
                    continue;
                }
            }
            let expanded = written.or_else(|| {
                tx.uri_template()
                    .expand(|name| given(name).or_else(|| documented(name)))
            });
            let Some(uri) = expanded else {
                skipped.push((
                    name,
                    "a path variable has no example or default value (give one with --param \
                     NAME=VALUE)"
                        .into(),
                ));
                continue;
            };
            let request = tx.request.map(|r| &r.message);
            let mut headers = request.map(|m| m.headers.clone()).unwrap_or_default();
            if let Some(accept) = negotiated(&tx, &response.message, &headers) {
                headers.push(("Accept".into(), accept));
            }
            cases.push(Case {
                name,
                method: tx.action.method.clone(),
                uri,
                headers,
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

/// The `Accept` to send: the response's media type, when the request
/// sends none and the action's responses come in more than one.
fn negotiated(
    tx: &crate::blueprint::Transaction<'_>,
    response: &Message,
    request_headers: &[(String, String)],
) -> Option<String> {
    if request_headers
        .iter()
        .any(|(n, _)| n.eq_ignore_ascii_case("accept"))
    {
        return None;
    }
    let media = |m: &Message| {
        m.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case("content-type"))
            .map(|(_, v)| crate::contract::essence(v))
    };
    let own = media(response)?;
    let differs = tx
        .action
        .examples
        .iter()
        .flat_map(|e| &e.responses)
        .filter_map(|r| media(&r.message))
        .any(|m| m != own);
    differs.then_some(own)
}

fn body_text(m: &Message) -> Option<String> {
    m.body
        .as_ref()
        .filter(|b| !b.text.trim().is_empty())
        .map(|b| b.text.clone())
}
