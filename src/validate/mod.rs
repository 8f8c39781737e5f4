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
//!   example bodies.
//!
//! The rules are the contract's ([`crate::contract::Rules`]); this module
//! only checks requests against them.

use serde::Serialize;
use serde_json::Value;

mod response;
pub use response::check_response;

use crate::contract::{BodyRule, ParamPlace, Rules, SchemaOrigin, Source};
use crate::matching::RecordedRequest;

/// One way a request breaks the contract.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Violation {
    /// `path`, `query`, `header` or `body` (a request); `status`,
    /// `response-header` or `response-body` (a proxied answer).
    #[serde(rename = "in")]
    pub place: &'static str,
    /// The parameter or header name, or the body's JSON Pointer.
    pub at: String,
    /// What the contract expects there.
    pub expected: String,
    /// What came (summarised).
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
        // A request declaring a documented non-JSON alternative is judged
        // as that request: its text is not held to the JSON schema.
        if !rule.text_media_types.is_empty()
            && let Some(media) = req.header("content-type")
        {
            let essence = media.split(';').next().unwrap_or("").trim();
            if rule
                .text_media_types
                .iter()
                .any(|t| t.eq_ignore_ascii_case(essence))
            {
                return;
            }
        }
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
