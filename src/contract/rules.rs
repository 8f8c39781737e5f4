//! An action's [`Rules`] for strict mode, gathered from the blueprint:
//! its URI parameters with where their values sit, the headers all its
//! requests send, and its body schema.

use hyper::header::HeaderName;
use serde_json::Value;

use crate::blueprint::uri_template::{Operator, Part, UriTemplate};
use crate::blueprint::{Asset, Message, Transaction};
use crate::diag::{SourceFile, Span};
use crate::validate::{BodyRule, ParamKind, ParamPlace, ParamRule, Rules, SchemaOrigin, Source};

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
    for m in requests {
        if let Some(schema) = &m.schema
            && let Ok(value) = serde_json::from_str::<Value>(&schema.text)
        {
            let origin = if schema.generated {
                SchemaOrigin::Attributes
            } else {
                SchemaOrigin::Schema
            };
            return Some(BodyRule::new(value, origin, at(schema.span), required));
        }
    }
    if let Some(schema) = action_schema
        && let Ok(value) = serde_json::from_str::<Value>(&schema.text)
    {
        return Some(BodyRule::new(
            value,
            SchemaOrigin::Attributes,
            at(schema.span),
            required,
        ));
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
    let schema = crate::validate::infer::infer(&values)?;
    Some(BodyRule::new(
        schema,
        SchemaOrigin::Examples,
        at(bodies[0].1),
        required,
    ))
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
