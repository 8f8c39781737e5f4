//! Documents → [`Contract`]: the expensive, fallible work done once.

use bytes::Bytes;
use hyper::header::{HeaderMap, HeaderName, HeaderValue};
use hyper::{Method, StatusCode};

use super::path_pattern::{SegmentPattern, segments, split_path};
use super::types::{
    CompiledTransaction, Contract, DocumentedResponse, Endpoint, ExpectedBody, ExpectedHeader,
    ExpectedRequest,
};
use crate::blueprint::{Message, Transaction};
use crate::diag::{Diagnostic, SourceFile};
use crate::load::Document;

/// Headers that describe the framing of one particular message, not the
/// contract: hyper computes them from the body it sends.
pub(crate) const FRAMING_HEADERS: [&str; 3] = ["content-length", "transfer-encoding", "connection"];

impl Contract {
    /// Compiles every servable transaction of `documents`. Problems that
    /// only show up here (a header value HTTP cannot carry, a request with
    /// no response) are warnings: the rest is still served.
    pub fn compile(documents: &[Document]) -> (Contract, Vec<Diagnostic>) {
        Self::compile_with(documents, false)
    }

    /// [`Contract::compile`], plus each action's rules for strict mode
    /// (parameter types, common headers, body schemas). Built only when
    /// asked: inferring and parsing schemas for every action tripled the
    /// reload time of a 10,000-action spec for servers that never use them.
    pub fn compile_strict(documents: &[Document]) -> (Contract, Vec<Diagnostic>) {
        Self::compile_with(documents, true)
    }

    /// `strict`: with the rules, as the contract it replaces had them.
    pub fn compile_with(documents: &[Document], strict: bool) -> (Contract, Vec<Diagnostic>) {
        let mut contract = Contract {
            strict,
            ..Contract::default()
        };
        let mut diags = Vec::new();
        for doc in documents {
            contract.files.push(doc.source.name().clone());
            // Transactions arrive grouped by action: one endpoint each.
            let mut current: Option<(&crate::blueprint::Action, usize)> = None;
            for tx in doc.blueprint.transactions() {
                // The parser warned about requests without a response.
                let Some(response) = tx.response else {
                    continue;
                };
                let endpoint = match current {
                    Some((action, id)) if std::ptr::eq(action, tx.action) => id,
                    _ => {
                        let id = contract.add_endpoint(&tx, &doc.source);
                        current = Some((tx.action, id));
                        id
                    }
                };
                let number = contract.endpoints[endpoint].transactions.len() + 1;
                let label = format!("{} > #{number}", contract.endpoints[endpoint].label);
                let documented = documented_response(
                    &doc.source,
                    response.status,
                    &response.message,
                    &mut diags,
                );
                let mut request = expected_request(&tx);
                let names = &mut contract.endpoints[endpoint].scoring.header_names;
                for header in &mut request.headers {
                    header.slot = slot_of(names, &header.name);
                }
                let compiled = CompiledTransaction {
                    answer_headers: answer_headers(&documented, &label),
                    label,
                    endpoint,
                    request_name: tx.request.and_then(|r| r.name.clone()),
                    request,
                    response: documented,
                    source: {
                        let at = tx
                            .request
                            .map_or(response.message.span.start, |r| r.message.span.start);
                        let location = doc.source.location(at);
                        (location.file, location.line)
                    },
                    served_count: Default::default(),
                };
                let id = contract.transactions.len();
                contract.transactions.push(compiled);
                contract.endpoints[endpoint].transactions.push(id);
            }
        }
        for e in 0..contract.endpoints.len() {
            let one =
                super::types::one_media_type(&contract.endpoints, &contract.transactions, &[e]);
            contract.endpoints[e].scoring.one_media_type = one;
        }
        (contract, diags)
    }

    /// Adds (and indexes) the endpoint of `tx`'s action.
    fn add_endpoint(&mut self, tx: &Transaction<'_>, source: &SourceFile) -> usize {
        let method = Method::from_bytes(tx.action.method.as_bytes()).unwrap_or(Method::GET);
        let template = tx.uri_template();
        let id = self.endpoints.len();
        self.endpoints.push(Endpoint {
            method,
            template: template.to_string(),
            label: tx.action_label(),
            transactions: Vec::new(),
            example_uri: tx.example_uri(),
            rules: self.strict.then(|| super::rules::rules(tx, source)),
            scoring: Default::default(),
        });
        self.index.insert(&segments(template), id);
        id
    }
}

/// The index of `name` in `names`, added if new.
fn slot_of(names: &mut Vec<HeaderName>, name: &HeaderName) -> usize {
    names.iter().position(|n| n == name).unwrap_or_else(|| {
        names.push(name.clone());
        names.len() - 1
    })
}

fn expected_request(tx: &Transaction<'_>) -> ExpectedRequest {
    let mut expected = ExpectedRequest::default();
    if let Some(uri) = tx.example_uri() {
        let (path, query) = uri.split_once('?').unwrap_or((&uri, ""));
        let literal: Vec<Option<String>> = segments(tx.uri_template())
            .into_iter()
            .map(|s| match s {
                SegmentPattern::Literal(text) => Some(text),
                _ => None,
            })
            .collect();
        expected.path = split_path(path.split('#').next().unwrap_or(path))
            .into_iter()
            .enumerate()
            .filter(|(i, value)| literal.get(*i).and_then(Option::as_ref) != Some(value))
            .collect();
        expected.query = form_urlencoded::parse(query.as_bytes())
            .map(|(k, v)| (k.into_owned(), v.into_owned()))
            .collect();
    }
    for name in tx.uri_template().query_variables() {
        if !expected.query.iter().any(|(n, _)| n == name)
            && !expected.query_names.iter().any(|n| n == name)
        {
            expected.query_names.push(name.to_string());
        }
    }
    let Some(request) = tx.request else {
        return expected;
    };
    let message = &request.message;
    expected.content_type = message.content_type().map(essence);
    for (name, value) in &message.headers {
        let lower = name.to_ascii_lowercase();
        if lower == "content-type" || lower == "accept" || FRAMING_HEADERS.contains(&lower.as_str())
        {
            continue;
        }
        if let Ok(name) = HeaderName::from_bytes(lower.as_bytes()) {
            expected.headers.push(ExpectedHeader {
                name,
                value: value.clone(),
                slot: 0, // set when the transaction joins its endpoint
            });
        }
    }
    expected.body = match &message.body {
        Some(body) if !body.text.trim().is_empty() => {
            // A body that parses as JSON compares as JSON even without a
            // JSON media type; one that does not compares as text, even
            // when it claims to be JSON (the parser warned about it).
            match serde_json::from_str(&body.text) {
                Ok(value) => ExpectedBody::Json {
                    shape: super::json_shape::shape_hash(&value),
                    value,
                },
                Err(_) => ExpectedBody::Text(body.text.clone()),
            }
        }
        _ => ExpectedBody::None,
    };
    expected
}

fn documented_response(
    source: &SourceFile,
    status: u16,
    message: &Message,
    diags: &mut Vec<Diagnostic>,
) -> DocumentedResponse {
    let status = StatusCode::from_u16(status).unwrap_or(StatusCode::OK);
    let mut headers = Vec::with_capacity(message.headers.len());
    let mut names = Vec::new();
    for (name, value) in &message.headers {
        let lower = name.to_ascii_lowercase();
        if FRAMING_HEADERS.contains(&lower.as_str()) {
            continue;
        }
        match (
            HeaderName::from_bytes(lower.as_bytes()),
            HeaderValue::from_bytes(value.as_bytes()),
        ) {
            (Ok(n), Ok(v)) => {
                names.push(name.clone());
                headers.push((n, v));
            }
            _ => diags.push(Diagnostic::warning(
                source.location(message.span.start),
                format!("header `{name}: {value}` cannot be sent over HTTP; left out"),
            )),
        }
    }
    // 1xx, 204 and 304 never carry a body.
    let bodiless = status.is_informational()
        || status == StatusCode::NO_CONTENT
        || status == StatusCode::NOT_MODIFIED;
    let body = match &message.body {
        Some(b) if !bodiless => Bytes::from(b.text.clone()),
        _ => Bytes::new(),
    };
    DocumentedResponse {
        status,
        media_type: message.content_type().map(essence),
        expose_headers: (!names.is_empty()).then(|| header_value(&names.join(", "))),
        headers,
        body,
    }
}

/// The headers of every answer from a transaction: the documented ones,
/// then the label.
fn answer_headers(response: &DocumentedResponse, label: &str) -> HeaderMap {
    let mut map = HeaderMap::with_capacity(response.headers.len() + 1);
    for (name, value) in &response.headers {
        map.append(name.clone(), value.clone());
    }
    map.insert(super::TRANSACTION_HEADER, header_value(label));
    map
}

/// `Application/JSON; charset=utf-8` → `application/json`.
pub(crate) fn essence(media_type: &str) -> String {
    media_type
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase()
}

/// A header value from any text: invalid bytes (control characters) are
/// replaced so the label always fits in a header.
fn header_value(text: &str) -> HeaderValue {
    HeaderValue::from_bytes(text.as_bytes()).unwrap_or_else(|_| {
        let clean: String = text
            .chars()
            .map(|c| if c.is_control() { ' ' } else { c })
            .collect();
        HeaderValue::from_bytes(clean.as_bytes()).unwrap_or(HeaderValue::from_static("transaction"))
    })
}
