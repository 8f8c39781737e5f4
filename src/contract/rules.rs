//! An action's [`Rules`] for strict mode, gathered from the blueprint:
//! its URI parameters with where their values sit, the headers all its
//! requests send, and its body schema. What the rules are lives here, with
//! the contract; checking a request against them is `validate`'s.

use std::sync::{Arc, OnceLock};

use hyper::header::HeaderName;
use serde::Serialize;
use serde_json::Value;

use crate::blueprint::uri_template::{Operator, Part, UriTemplate};
use crate::blueprint::{Asset, Message, Transaction};
use crate::diag::{SourceFile, Span};

/// Where a rule is written: file and line.
pub type Source = (Arc<str>, usize);

/// What the contract says an endpoint's requests look like.
#[derive(Debug, Default)]
pub struct Rules {
    /// The URI parameters the action declares.
    pub params: Vec<ParamRule>,
    /// Headers every documented request of the action carries.
    pub headers: Vec<(HeaderName, Source)>,
    /// The body schema, when the action has one.
    pub body: Option<BodyRule>,
}

/// One URI parameter.
#[derive(Debug, Clone)]
pub struct ParamRule {
    /// The parameter name.
    pub name: String,
    /// Where its value is.
    pub place: ParamPlace,
    /// What values it takes.
    pub kind: ParamKind,
    /// Whether a request must send it.
    pub required: bool,
    /// Where it is declared.
    pub source: Source,
}

/// Where a parameter's value is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ParamPlace {
    /// The whole path segment at this index.
    Path(usize),
    /// The query string.
    Query,
}

/// What values a parameter takes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ParamKind {
    /// Any value.
    Any,
    /// A number.
    Number,
    /// `true` or `false`.
    Boolean,
    /// One of these members.
    Enum(Vec<String>),
}

impl ParamKind {
    /// From the declared type (`number`, `enum[string]`...) and members.
    pub fn new(type_name: Option<&str>, members: &[String]) -> Self {
        if !members.is_empty() {
            return ParamKind::Enum(members.to_vec());
        }
        match type_name.map(str::to_ascii_lowercase).as_deref() {
            Some("number" | "integer") => ParamKind::Number,
            Some("boolean") => ParamKind::Boolean,
            _ => ParamKind::Any,
        }
    }

    pub(crate) fn accepts(&self, value: &str) -> bool {
        match self {
            ParamKind::Any => true,
            ParamKind::Number => value.trim().parse::<f64>().is_ok_and(f64::is_finite),
            ParamKind::Boolean => matches!(value, "true" | "false"),
            ParamKind::Enum(members) => members.iter().any(|m| m == value),
        }
    }

    pub(crate) fn describe(&self) -> String {
        match self {
            ParamKind::Any => "any value".into(),
            ParamKind::Number => "a number".into(),
            ParamKind::Boolean => "true or false".into(),
            ParamKind::Enum(members) => format!("one of {}", members.join(", ")),
        }
    }
}

/// The action's body schema and where it comes from.
#[derive(Debug)]
pub struct BodyRule {
    /// The JSON Schema (draft 4).
    pub schema: Value,
    /// Which section gave it.
    pub origin: SchemaOrigin,
    /// Where it is written.
    pub source: Source,
    /// Every documented request has a body: one must be sent.
    pub required: bool,
    /// Media types (lower-case essence) of the action's documented
    /// requests whose body is not JSON (`text/plain` beside a JSON
    /// request): a request declaring one of them is that documented
    /// alternative, not a JSON body that failed.
    pub text_media_types: Vec<String>,
    /// Built on first use; `None` when the schema does not compile (the
    /// body is then not checked).
    validator: OnceLock<Option<jsonschema::Validator>>,
}

/// Which rule gave the body schema.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum SchemaOrigin {
    /// A `+ Schema` section.
    Schema,
    /// Generated from MSON Attributes.
    Attributes,
    /// Inferred from the documented example bodies.
    Examples,
}

impl BodyRule {
    /// A body rule; the validator is built on first use.
    pub fn new(schema: Value, origin: SchemaOrigin, source: Source, required: bool) -> Self {
        Self {
            schema,
            origin,
            source,
            required,
            text_media_types: Vec::new(),
            validator: OnceLock::new(),
        }
    }

    pub(crate) fn validator(&self) -> Option<&jsonschema::Validator> {
        self.validator
            .get_or_init(|| jsonschema::validator_for(&self.schema).ok())
            .as_ref()
    }
}

/// Whether a request header is part of the contract: not the framing of
/// one message, nor `Host` (set by every client for its own server).
fn is_contract_header(lower: &str) -> bool {
    lower != "host" && !super::FRAMING_HEADERS.contains(&lower)
}

pub(super) fn rules(tx: &Transaction<'_>, source: &SourceFile) -> Rules {
    let at = |span: Span| {
        let l = source.location(span.start);
        (l.file, l.line)
    };
    let template = tx.uri_template();
    let path_vars = whole_segment_variables(template);
    let query_vars = query_variables(template);
    let params = tx
        .parameters()
        .filter_map(|p| {
            let place = match path_vars.iter().find(|(name, _)| *name == p.name) {
                Some((_, index)) => ParamPlace::Path(*index),
                None if query_vars.contains(&p.name.as_str()) => ParamPlace::Query,
                None => return None,
            };
            Some(ParamRule {
                name: p.name.clone(),
                place,
                kind: ParamKind::new(p.type_name.as_deref(), &p.members),
                required: p.required,
                source: at(p.span),
            })
        })
        .collect();
    let requests: Vec<&Message> = tx
        .action
        .examples
        .iter()
        .flat_map(|e| &e.requests)
        .map(|r| &r.message)
        .collect();
    let body = body_rule(&requests, tx.action.attributes_schema.as_ref(), &at);
    Rules {
        params,
        headers: common_headers(&requests, &at),
        body,
    }
}

/// Header names every request sends (none without requests).
fn common_headers(
    requests: &[&Message],
    at: &impl Fn(Span) -> Source,
) -> Vec<(HeaderName, Source)> {
    let Some(first) = requests.first() else {
        return Vec::new();
    };
    let mut out: Vec<(HeaderName, Source)> = Vec::new();
    for (name, _) in &first.headers {
        let lower = name.to_ascii_lowercase();
        if !is_contract_header(&lower) || out.iter().any(|(n, _)| n.as_str() == lower) {
            continue;
        }
        if requests.iter().all(|r| r.header(name).is_some())
            && let Ok(header) = HeaderName::from_bytes(lower.as_bytes())
        {
            out.push((header, at(first.span)));
        }
    }
    out
}

/// The action's body schema: written, generated from MSON (the request's
/// Attributes, else the action's), or inferred from the examples.
fn body_rule(
    requests: &[&Message],
    action_schema: Option<&Asset>,
    at: &impl Fn(Span) -> Source,
) -> Option<BodyRule> {
    let with_body = |m: &&&Message| m.body.as_ref().is_some_and(|b| !b.text.trim().is_empty());
    let required = !requests.is_empty() && requests.iter().all(|m| with_body(&m));
    let mut text_media_types: Vec<String> = Vec::new();
    for m in requests.iter().filter(with_body) {
        if let Some(media) = m.header("content-type")
            && !crate::blueprint::is_json_media_type(media)
        {
            let essence = super::essence(media);
            if !text_media_types.contains(&essence) {
                text_media_types.push(essence);
            }
        }
    }
    let rule = |schema, origin, source| {
        let mut rule = BodyRule::new(schema, origin, source, required);
        rule.text_media_types = text_media_types.clone();
        Some(rule)
    };
    for m in requests {
        if let Some(schema) = &m.schema
            && let Ok(value) = serde_json::from_str::<Value>(&schema.text)
        {
            let origin = if schema.generated {
                SchemaOrigin::Attributes
            } else {
                SchemaOrigin::Schema
            };
            return rule(value, origin, at(schema.span));
        }
    }
    if let Some(schema) = action_schema
        && let Ok(value) = serde_json::from_str::<Value>(&schema.text)
    {
        return rule(value, SchemaOrigin::Attributes, at(schema.span));
    }
    let bodies: Vec<(Value, Span)> = requests
        .iter()
        .filter(with_body)
        .filter_map(|m| {
            let body = m.body.as_ref()?;
            Some((serde_json::from_str(&body.text).ok()?, body.span))
        })
        .collect();
    let values: Vec<&Value> = bodies.iter().map(|(v, _)| v).collect();
    let schema = super::infer::infer(&values)?;
    rule(schema, SchemaOrigin::Examples, at(bodies[0].1))
}

/// Variables that make up a whole path segment (`/{id}`, `/:id`), with
/// the segment's index: their value is that decoded segment.
fn whole_segment_variables(template: &UriTemplate) -> Vec<(String, usize)> {
    #[derive(PartialEq)]
    enum Piece {
        Text,
        Var(String),
    }
    let mut segments: Vec<Vec<Piece>> = vec![Vec::new()];
    'parts: for part in template.parts() {
        match part {
            Part::Literal(text) => {
                let path = text.split(['?', '#']).next().unwrap_or("");
                for (i, chunk) in path.split('/').enumerate() {
                    if i > 0 {
                        segments.push(Vec::new());
                    }
                    if !chunk.is_empty()
                        && let Some(s) = segments.last_mut()
                    {
                        s.push(Piece::Text);
                    }
                }
                if path.len() < text.len() {
                    break 'parts;
                }
            }
            Part::Rails(name) => {
                if let Some(s) = segments.last_mut() {
                    s.push(Piece::Var(name.clone()));
                }
            }
            Part::Expression(e) => match e.operator {
                Operator::Simple if e.variables.len() == 1 => {
                    if let Some(s) = segments.last_mut() {
                        s.push(Piece::Var(e.variables[0].name.clone()));
                    }
                }
                Operator::Query | Operator::QueryContinuation | Operator::Fragment => break 'parts,
                // Anything else spans or shapes segments: not checked.
                _ => {
                    if let Some(s) = segments.last_mut() {
                        s.push(Piece::Text);
                    }
                }
            },
        }
    }
    segments
        .into_iter()
        .filter(|s| !s.is_empty())
        .enumerate()
        .filter_map(|(i, s)| match s.as_slice() {
            [Piece::Var(name)] => Some((name.clone(), i)),
            _ => None,
        })
        .collect()
}

fn query_variables(template: &UriTemplate) -> Vec<&str> {
    template
        .parts()
        .iter()
        .filter_map(|p| match p {
            Part::Expression(e)
                if matches!(e.operator, Operator::Query | Operator::QueryContinuation) =>
            {
                Some(e.variables.iter().map(|v| v.name.as_str()))
            }
            _ => None,
        })
        .flatten()
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn path_variables_are_whole_segments_only() {
        let t = UriTemplate::parse("/users/{id}/files/{name}.json/:rails{?page,sort}{&x}").unwrap();
        assert_eq!(
            whole_segment_variables(&t),
            [("id".to_string(), 1), ("rails".to_string(), 4)]
        );
        assert_eq!(query_variables(&t), ["page", "sort", "x"]);
    }
}
