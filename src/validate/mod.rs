//! Strict mode: is a request what the contract of the route it hit allows?
//!
//! The rules of an endpoint (an action) are gathered when the contract is
//! compiled, cheaply, as plain data ([`Rules`]); the JSON Schema validator
//! is built the first time a strict request needs it, so lenient serving
//! and reloads never pay for it.
//!
//! - URI parameters: path values and query values against their declared
//!   type (`number`, `boolean`) and `enum` members; query parameters not
//!   marked `optional` must be present (API Blueprint makes parameters
//!   required by default).
//! - Headers documented in every request of the action (`Api-Key`,
//!   `Content-Type`...) must be present; their values are examples.
//! - The JSON body against the action's schema: a `+ Schema`, else the one
//!   generated from MSON Attributes, else one inferred from the documented
//!   example bodies ([`infer`]).

pub mod infer;

use std::sync::{Arc, OnceLock};

use hyper::header::HeaderName;
use serde::Serialize;
use serde_json::Value;

use crate::matching::RecordedRequest;

/// Where a rule is written: file and line.
pub type Source = (Arc<str>, usize);

/// What the contract says an endpoint's requests look like.
#[derive(Debug, Default)]
pub struct Rules {
    pub params: Vec<ParamRule>,
    /// Headers every documented request of the action carries.
    pub headers: Vec<(HeaderName, Source)>,
    pub body: Option<BodyRule>,
}

/// One URI parameter.
#[derive(Debug, Clone)]
pub struct ParamRule {
    pub name: String,
    pub place: ParamPlace,
    pub kind: ParamKind,
    pub required: bool,
    pub source: Source,
}

/// Where a parameter's value is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ParamPlace {
    /// The whole path segment at this index.
    Path(usize),
    Query,
}

/// What values a parameter takes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ParamKind {
    Any,
    Number,
    Boolean,
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

    fn accepts(&self, value: &str) -> bool {
        match self {
            ParamKind::Any => true,
            ParamKind::Number => value.trim().parse::<f64>().is_ok_and(f64::is_finite),
            ParamKind::Boolean => matches!(value, "true" | "false"),
            ParamKind::Enum(members) => members.iter().any(|m| m == value),
        }
    }

    fn describe(&self) -> String {
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
    pub schema: Value,
    pub origin: SchemaOrigin,
    pub source: Source,
    /// Every documented request has a body: one must be sent.
    pub required: bool,
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
    pub fn new(schema: Value, origin: SchemaOrigin, source: Source, required: bool) -> Self {
        Self {
            schema,
            origin,
            source,
            required,
            validator: OnceLock::new(),
        }
    }

    fn validator(&self) -> Option<&jsonschema::Validator> {
        self.validator
            .get_or_init(|| jsonschema::validator_for(&self.schema).ok())
            .as_ref()
    }
}

/// One way a request breaks the contract.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Violation {
    /// `path`, `query`, `header` or `body`.
    #[serde(rename = "in")]
    pub place: &'static str,
    /// The parameter or header name, or the body's JSON Pointer.
    pub at: String,
    pub expected: String,
    pub actual: String,
    /// The blueprint `file:line` of the rule.
    pub rule: String,
}

fn rule_text(source: &Source) -> String {
    format!("{}:{}", source.0, source.1)
}

impl Rules {
    /// Every violation of these rules by `req` (empty when it complies).
    pub fn check(&self, req: &RecordedRequest) -> Vec<Violation> {
        let mut out = Vec::new();
        for p in &self.params {
            let value = match p.place {
                ParamPlace::Path(i) => req.segments.get(i).map(str::to_string),
                ParamPlace::Query => req
                    .query
                    .iter()
                    .find(|(k, _)| *k == p.name)
                    .map(|(_, v)| v.clone()),
            };
            let place = match p.place {
                ParamPlace::Path(_) => "path",
                ParamPlace::Query => "query",
            };
            match value {
                None if p.required && p.place == ParamPlace::Query => out.push(Violation {
                    place,
                    at: p.name.clone(),
                    expected: format!("required, {}", p.kind.describe()),
                    actual: "missing".into(),
                    rule: rule_text(&p.source),
                }),
                Some(v) if !p.kind.accepts(&v) => out.push(Violation {
                    place,
                    at: p.name.clone(),
                    expected: p.kind.describe(),
                    actual: format!("{v:?}"),
                    rule: rule_text(&p.source),
                }),
                _ => {}
            }
        }
        for (name, source) in &self.headers {
            if !req.headers.all.contains_key(name) {
                out.push(Violation {
                    place: "header",
                    at: name.as_str().to_string(),
                    expected: "present (every documented request sends it)".into(),
                    actual: "missing".into(),
                    rule: rule_text(source),
                });
            }
        }
        if let Some(rule) = &self.body {
            self.check_body(rule, req, &mut out);
        }
        out
    }

    fn check_body(&self, rule: &BodyRule, req: &RecordedRequest, out: &mut Vec<Violation>) {
        let Some(validator) = rule.validator() else {
            return;
        };
        let what = match rule.origin {
            SchemaOrigin::Schema => "the action's + Schema",
            SchemaOrigin::Attributes => "the action's Attributes",
            SchemaOrigin::Examples => "the documented examples",
        };
        let Some(body) = req.json() else {
            if req.body.is_empty() && !rule.required {
                return;
            }
            let actual = if req.body.is_empty() {
                "no body".to_string()
            } else {
                "a body that is not JSON".to_string()
            };
            out.push(Violation {
                place: "body",
                at: String::new(),
                expected: format!("a JSON body ({what})"),
                actual,
                rule: rule_text(&rule.source),
            });
            return;
        };
        for error in validator.iter_errors(body) {
            let pointer = error.instance_path().to_string();
            out.push(Violation {
                place: "body",
                at: pointer,
                expected: format!("{} ({what})", error.masked_with("the value")),
                actual: summarize(error.instance()),
                rule: rule_text(&rule.source),
            });
        }
    }
}

/// A short rendering of a JSON value for a violation report.
fn summarize(v: &Value) -> String {
    let text = v.to_string();
    if text.len() <= 80 {
        text
    } else {
        let cut = (0..=77)
            .rev()
            .find(|&i| text.is_char_boundary(i))
            .unwrap_or(0);
        format!("{}...", &text[..cut])
    }
}
