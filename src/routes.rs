//! The `routes` listing: every transaction, for people and for CI tools.
//!
//! The JSON form is a stable interface (documented in the README): an
//! array with one object per transaction, in document order. Fields are
//! only ever added, never renamed or removed.

use serde::Serialize;

use crate::blueprint::Transaction;
use crate::load::Document;

/// One transaction as `routes --json` prints it.
#[derive(Debug, Serialize)]
pub struct RouteEntry {
    /// `# Group` name.
    pub group: Option<String>,
    /// Resource name.
    pub resource: Option<String>,
    /// Action name.
    pub action: Option<String>,
    /// HTTP method.
    pub method: String,
    /// The action's URI template, else the resource's.
    pub uri_template: String,
    /// A concrete URI for this request (see `Transaction::example_uri`).
    pub example_uri: Option<String>,
    /// The documented request.
    pub request: RequestEntry,
    /// The documented response.
    pub response: ResponseEntry,
    /// Where the transaction is written.
    pub source: SourceEntry,
}

/// The request half.
#[derive(Debug, Serialize)]
pub struct RequestEntry {
    /// `+ Request NAME`.
    pub name: Option<String>,
    /// `[name, value]` pairs in document order.
    pub headers: Vec<(String, String)>,
    /// The body as documented.
    pub body: Option<String>,
    /// The schema as documented.
    pub schema: Option<String>,
}

/// The response half.
#[derive(Debug, Serialize)]
pub struct ResponseEntry {
    /// Status code; `null` for a request documented without a response.
    pub status: Option<u16>,
    /// `[name, value]` pairs in document order.
    pub headers: Vec<(String, String)>,
    /// The body as documented.
    pub body: Option<String>,
    /// The schema as documented.
    pub schema: Option<String>,
}

/// File and 1-based line of the request (or of the response when the
/// request is implicit).
#[derive(Debug, Serialize)]
pub struct SourceEntry {
    /// The file as named on the command line.
    pub file: String,
    /// 1-based line.
    pub line: usize,
}

impl RouteEntry {
    /// Builds the entry for `tx` of `doc`.
    pub fn new(doc: &Document, tx: &Transaction<'_>) -> Self {
        let request = tx.request.map(|r| &r.message);
        let response = tx.response.map(|r| &r.message);
        let at = request
            .or(response)
            .map_or(tx.action.span.start, |m| m.span.start);
        Self {
            group: tx.group.map(str::to_string),
            resource: tx.resource.name.clone(),
            action: tx.action.name.clone(),
            method: tx.action.method.clone(),
            uri_template: tx.uri_template().to_string(),
            example_uri: tx.example_uri(),
            request: RequestEntry {
                name: tx.request.and_then(|r| r.name.clone()),
                headers: request.map(|m| m.headers.clone()).unwrap_or_default(),
                body: request
                    .and_then(|m| m.body.as_ref())
                    .map(|a| a.text.clone()),
                schema: request
                    .and_then(|m| m.schema.as_ref())
                    .map(|a| a.text.clone()),
            },
            response: ResponseEntry {
                status: tx.response.map(|r| r.status),
                headers: response.map(|m| m.headers.clone()).unwrap_or_default(),
                body: response
                    .and_then(|m| m.body.as_ref())
                    .map(|a| a.text.clone()),
                schema: response
                    .and_then(|m| m.schema.as_ref())
                    .map(|a| a.text.clone()),
            },
            source: {
                // An included part names its own file and line.
                let location = doc.source.location(at);
                SourceEntry {
                    file: location.file.to_string(),
                    line: location.line,
                }
            },
        }
    }
}

/// Every transaction of every document, in order.
pub fn entries(documents: &[Document]) -> Vec<RouteEntry> {
    documents
        .iter()
        .flat_map(|doc| {
            doc.blueprint
                .transactions()
                .into_iter()
                .map(move |tx| RouteEntry::new(doc, &tx))
        })
        .collect()
}

/// One line per transaction, aligned, for people.
pub fn render_table(entries: &[RouteEntry]) -> String {
    let width = |f: &dyn Fn(&RouteEntry) -> usize| entries.iter().map(f).max().unwrap_or(0);
    let method_w = width(&|e| e.method.len());
    let uri_w = width(&|e| e.example_uri.as_ref().unwrap_or(&e.uri_template).len());
    let mut out = String::new();
    for e in entries {
        let uri = e.example_uri.as_ref().unwrap_or(&e.uri_template);
        let status = e
            .response
            .status
            .map_or("---".to_string(), |s| s.to_string());
        let name: Vec<&str> = [&e.group, &e.resource, &e.action]
            .into_iter()
            .filter_map(|s| s.as_deref())
            .collect();
        let mut label = name.join(" > ");
        if let Some(req) = &e.request.name {
            label.push_str(&format!(" [{req}]"));
        }
        out.push_str(&format!(
            "{:<method_w$}  {:<uri_w$}  {}  {}  ({}:{})\n",
            e.method, uri, status, label, e.source.file, e.source.line
        ));
    }
    out
}
