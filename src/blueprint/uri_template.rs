//! URI templates as API Blueprint uses them: RFC 6570 expressions plus
//! Rails-style `:id` path segments.
//!
//! The parser validates a template once and keeps it as parts, so later
//! stages (route indexing, example URIs, duplicate detection) never look at
//! braces again.

use std::fmt;

use serde::{Serialize, Serializer};

/// A parsed URI template. Construct with [`UriTemplate::parse`]; the raw
/// text is kept verbatim for display.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UriTemplate {
    raw: String,
    parts: Vec<Part>,
}

/// One piece of a template.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Part {
    /// Literal text, copied as is.
    Literal(String),
    /// A `{...}` expression.
    Expression(Expression),
    /// A Rails-style `:name` path segment (this project's extension).
    Rails(String),
}

/// A `{op var,var}` expression.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Expression {
    /// The operator character's meaning.
    pub operator: Operator,
    /// The variables, in order.
    pub variables: Vec<VarSpec>,
}

/// RFC 6570 operators.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Operator {
    /// `{var}`
    Simple,
    /// `{+var}`
    Reserved,
    /// `{#var}`
    Fragment,
    /// `{.var}`
    Label,
    /// `{/var}`
    PathSegment,
    /// `{;var}`
    PathParameter,
    /// `{?var}`
    Query,
    /// `{&var}`
    QueryContinuation,
}

impl Operator {
    fn from_char(c: char) -> Option<Self> {
        Some(match c {
            '+' => Self::Reserved,
            '#' => Self::Fragment,
            '.' => Self::Label,
            '/' => Self::PathSegment,
            ';' => Self::PathParameter,
            '?' => Self::Query,
            '&' => Self::QueryContinuation,
            _ => return None,
        })
    }

    /// True for `?` and `&`: these never take part in path matching.
    pub fn is_query(self) -> bool {
        matches!(self, Self::Query | Self::QueryContinuation)
    }
}

/// One variable of an expression.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct VarSpec {
    /// The variable name.
    pub name: String,
    /// `*` modifier.
    pub explode: bool,
    /// `:N` prefix modifier.
    pub prefix: Option<u16>,
}

/// Why a template was rejected, and where (byte offset in the template).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TemplateError {
    /// Byte offset inside the template text.
    pub offset: usize,
    /// What is wrong.
    pub message: String,
}

impl UriTemplate {
    /// Parses and validates `raw`.
    pub fn parse(raw: &str) -> Result<Self, TemplateError> {
        let mut parts = Vec::new();
        let mut literal_start = 0;
        let mut query_started = false;
        let mut rest = raw.char_indices().peekable();
        while let Some((i, c)) = rest.next() {
            match c {
                '{' => {
                    let literal = &raw[literal_start..i];
                    push_literal(&mut parts, literal, query_started);
                    query_started |= literal.contains(['?', '#']);
                    let close = raw[i..]
                        .find('}')
                        .map(|n| i + n)
                        .ok_or_else(|| TemplateError {
                            offset: i,
                            message: "unclosed `{` in URI template".into(),
                        })?;
                    let body = &raw[i + 1..close];
                    if let Some(nested) = body.find('{') {
                        return Err(TemplateError {
                            offset: i + 1 + nested,
                            message: "`{` inside an expression; expressions cannot nest".into(),
                        });
                    }
                    let expression = parse_expression(body, i + 1)?;
                    query_started |=
                        expression.operator.is_query() || expression.operator == Operator::Fragment;
                    parts.push(Part::Expression(expression));
                    while rest.peek().is_some_and(|&(j, _)| j <= close) {
                        rest.next();
                    }
                    literal_start = close + 1;
                }
                '}' => {
                    return Err(TemplateError {
                        offset: i,
                        message: "`}` without a matching `{` in URI template".into(),
                    });
                }
                c if c.is_whitespace() => {
                    return Err(TemplateError {
                        offset: i,
                        message: "whitespace in URI template; percent-encode it as %20".into(),
                    });
                }
                _ => {}
            }
        }
        push_literal(&mut parts, &raw[literal_start..], query_started);
        Ok(Self {
            raw: raw.to_string(),
            parts,
        })
    }

    /// The template as written.
    pub fn as_str(&self) -> &str {
        &self.raw
    }

    /// The parts, in order.
    pub fn parts(&self) -> &[Part] {
        &self.parts
    }

    /// Every variable name, in order of appearance (duplicates kept once).
    pub fn variables(&self) -> Vec<&str> {
        let mut names: Vec<&str> = Vec::new();
        for part in &self.parts {
            let found: Vec<&str> = match part {
                Part::Literal(_) => Vec::new(),
                Part::Rails(name) => vec![name.as_str()],
                Part::Expression(e) => e.variables.iter().map(|v| v.name.as_str()).collect(),
            };
            for name in found {
                if !names.contains(&name) {
                    names.push(name);
                }
            }
        }
        names
    }

    /// The names of the query variables (`{?a,b}`, `{&c}`), in order.
    pub fn query_variables(&self) -> Vec<&str> {
        self.parts
            .iter()
            .filter_map(|p| match p {
                Part::Expression(e) if e.operator.is_query() => Some(e),
                _ => None,
            })
            .flat_map(|e| e.variables.iter().map(|v| v.name.as_str()))
            .collect()
    }

    /// The path part in a canonical form where every variable reads `{}`
    /// and query expressions and literal queries are dropped: two
    /// templates with the same key route the same requests.
    pub fn path_key(&self) -> String {
        let mut key = String::new();
        for part in &self.parts {
            match part {
                Part::Literal(text) => {
                    if let Some(q) = text.find(['?', '#']) {
                        key.push_str(&text[..q]);
                        break;
                    }
                    key.push_str(text);
                }
                Part::Rails(_) => key.push_str("{}"),
                Part::Expression(e) if e.operator.is_query() => break,
                Part::Expression(e) if e.operator == Operator::Fragment => break,
                Part::Expression(_) => key.push_str("{}"),
            }
        }
        key
    }

    /// [`path_key`](Self::path_key) plus any literal query text: two
    /// actions with the same method and route key are duplicates, while
    /// `/things?type=a` and `/things?type=b` are not.
    pub fn route_key(&self) -> String {
        let mut key = self.path_key();
        let literal_query = self.parts.iter().find_map(|p| match p {
            Part::Literal(t) => t.find('?').map(|q| &t[q..]),
            _ => None,
        });
        if let Some(q) = literal_query {
            key.push_str(q);
        }
        // `/search{?name}` and `/search{?city}` route by the query
        // parameters a request sends: not duplicates.
        let mut names = self.query_variables();
        if !names.is_empty() {
            names.sort_unstable();
            names.dedup();
            key.push_str("{?");
            key.push_str(&names.join(","));
            key.push('}');
        }
        key
    }

    /// Expands the template with `value(name)`: variables without a value
    /// are left out (a query variable) or make the expansion fail (a path
    /// variable), as a client building a request would do.
    pub fn expand(&self, value: impl Fn(&str) -> Option<String>) -> Option<String> {
        let mut out = String::new();
        let mut query_started = false;
        for part in &self.parts {
            match part {
                Part::Literal(text) => {
                    query_started |= text.contains('?');
                    out.push_str(text);
                }
                Part::Rails(name) => out.push_str(&encode(&value(name)?, false)),
                Part::Expression(e) => {
                    let values: Vec<(&str, String)> = e
                        .variables
                        .iter()
                        .filter_map(|v| value(&v.name).map(|x| (v.name.as_str(), x)))
                        .collect();
                    if values.is_empty() {
                        if e.operator.is_query() || e.operator == Operator::Fragment {
                            continue;
                        }
                        return None;
                    }
                    expand_expression(&mut out, e.operator, &values, &mut query_started);
                }
            }
        }
        Some(out)
    }
}

fn expand_expression(
    out: &mut String,
    operator: Operator,
    values: &[(&str, String)],
    query_started: &mut bool,
) {
    let reserved = matches!(operator, Operator::Reserved | Operator::Fragment);
    let (first, sep) = match operator {
        Operator::Simple | Operator::Reserved => ("", ","),
        Operator::Fragment => ("#", ","),
        Operator::Label => (".", "."),
        Operator::PathSegment => ("/", "/"),
        Operator::PathParameter => (";", ";"),
        Operator::Query | Operator::QueryContinuation => {
            let lead = if *query_started { "&" } else { "?" };
            *query_started = true;
            (lead, "&")
        }
    };
    out.push_str(first);
    for (i, (name, value)) in values.iter().enumerate() {
        if i > 0 {
            out.push_str(sep);
        }
        if matches!(
            operator,
            Operator::Query | Operator::QueryContinuation | Operator::PathParameter
        ) {
            out.push_str(name);
            out.push('=');
        }
        out.push_str(&encode(value, reserved));
    }
}

/// Percent-encodes what RFC 3986 does not allow unencoded in a value.
fn encode(value: &str, reserved: bool) -> String {
    let mut out = String::with_capacity(value.len());
    for b in value.bytes() {
        let keep = b.is_ascii_alphanumeric()
            || matches!(b, b'-' | b'.' | b'_' | b'~')
            || (reserved && b"!#$&'()*+,/:;=?@[]".contains(&b));
        if keep {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// Splits literal text at Rails `:name` path segments.
fn push_literal(parts: &mut Vec<Part>, text: &str, in_query: bool) {
    // Only the path part can hold Rails segments; after a `?` a colon is
    // data.
    if text.is_empty() {
        return;
    }
    let path_end = if in_query {
        0
    } else {
        text.find(['?', '#']).unwrap_or(text.len())
    };
    let mut literal = String::new();
    let mut first = true;
    for segment in text[..path_end].split('/') {
        let after_slash = !first || parts_end_with_slash(parts);
        if !first {
            literal.push('/');
        }
        first = false;
        let name = segment.strip_prefix(':').filter(|n| {
            after_slash
                && n.chars()
                    .next()
                    .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
                && n.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
        });
        match name {
            Some(name) => {
                if !literal.is_empty() {
                    parts.push(Part::Literal(std::mem::take(&mut literal)));
                }
                parts.push(Part::Rails(name.to_string()));
            }
            None => literal.push_str(segment),
        }
    }
    literal.push_str(&text[path_end..]);
    if !literal.is_empty() {
        parts.push(Part::Literal(literal));
    }
}

fn parts_end_with_slash(parts: &[Part]) -> bool {
    matches!(parts.last(), Some(Part::Literal(t)) if t.ends_with('/'))
}

fn parse_expression(body: &str, offset: usize) -> Result<Expression, TemplateError> {
    let mut chars = body.chars();
    let (operator, list, list_offset) = match chars.next().and_then(Operator::from_char) {
        Some(op) => (op, &body[1..], offset + 1),
        None => (Operator::Simple, body, offset),
    };
    if list.is_empty() {
        return Err(TemplateError {
            offset: offset.saturating_sub(1),
            message: "empty expression `{}` in URI template; name a variable, e.g. `{id}`".into(),
        });
    }
    let mut variables = Vec::new();
    let mut at = list_offset;
    for spec in list.split(',') {
        variables.push(parse_varspec(spec, at)?);
        at += spec.len() + 1;
    }
    Ok(Expression {
        operator,
        variables,
    })
}

fn parse_varspec(spec: &str, offset: usize) -> Result<VarSpec, TemplateError> {
    let (name, explode, prefix) = if let Some(name) = spec.strip_suffix('*') {
        (name, true, None)
    } else if let Some((name, len)) = spec.split_once(':') {
        let prefix = len.parse::<u16>().ok().filter(|&n| n > 0 && n < 10_000);
        if prefix.is_none() {
            return Err(TemplateError {
                offset: offset + name.len() + 1,
                message: format!("prefix `:{len}` must be a number from 1 to 9999"),
            });
        }
        (name, false, prefix)
    } else {
        (spec, false, None)
    };
    if name.is_empty() {
        return Err(TemplateError {
            offset,
            message: "empty variable name in URI template expression".into(),
        });
    }
    if let Some((i, c)) = name
        .char_indices()
        // Brackets: JSON:API names such as `page[number]`, which the
        // reference accepts (with a warning) and clients send as written.
        .find(|&(_, c)| {
            !(c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '%' | '-' | '[' | ']'))
        })
    {
        return Err(TemplateError {
            offset: offset + i,
            message: format!("`{c}` is not allowed in URI template variable `{name}`"),
        });
    }
    Ok(VarSpec {
        name: name.to_string(),
        explode,
        prefix,
    })
}

impl fmt::Display for UriTemplate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.raw)
    }
}

impl Serialize for UriTemplate {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.raw)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn vars(t: &str) -> Vec<String> {
        UriTemplate::parse(t)
            .unwrap()
            .variables()
            .into_iter()
            .map(String::from)
            .collect()
    }

    #[test]
    fn every_rfc6570_operator_used_by_api_blueprint_parses() {
        assert_eq!(vars("/notes/{id}"), ["id"]);
        assert_eq!(vars("/files/{+path}"), ["path"]);
        assert_eq!(vars("/page{#section}"), ["section"]);
        assert_eq!(vars("/notes{?limit,page}"), ["limit", "page"]);
        assert_eq!(vars("/things?param1=1{&param2}"), ["param2"]);
        assert_eq!(vars("/notes{?tags*}"), ["tags"]);
        assert_eq!(vars("/a/%20b/{x:3}"), ["x"]);
    }

    #[test]
    fn rails_segments_are_path_variables() {
        let t = UriTemplate::parse("/retailers/api/v1/customers/:id").unwrap();
        assert_eq!(t.variables(), ["id"]);
        assert_eq!(t.path_key(), "/retailers/api/v1/customers/{}");
    }

    #[test]
    fn colons_that_are_not_whole_segments_stay_literal() {
        assert!(vars("/a:b/c").is_empty());
        assert!(vars("/a?x=:y").is_empty());
        assert_eq!(vars("/a?x=1{b}/:id"), ["b"]);
        assert_eq!(vars("/a{?q}/:id"), ["q"]);
        assert!(vars("/a/:1").is_empty());
    }

    #[test]
    fn malformed_templates_are_rejected_with_an_offset() {
        for (t, at) in [
            ("/notes/{id", 7),
            ("/notes/{}", 7),
            ("/notes/id}", 9),
            ("/a/{b{c}}", 5),
            ("/a/{?x,}", 7),
            ("/a b", 2),
            ("/a/{x:0}", 6),
            ("/a/{x y}", 5),
        ] {
            let err = UriTemplate::parse(t).unwrap_err();
            assert_eq!(err.offset, at, "{t}: {}", err.message);
        }
    }

    #[test]
    fn path_key_ignores_names_and_queries() {
        let a = UriTemplate::parse("/notes/{id}{?page}").unwrap();
        let b = UriTemplate::parse("/notes/:note_id?x=1").unwrap();
        assert_eq!(a.path_key(), b.path_key());
    }

    #[test]
    fn expand_fills_path_and_leaves_out_missing_query_values() {
        let t = UriTemplate::parse("/notes/{id}{?page,limit}").unwrap();
        let value = |n: &str| (n == "id" || n == "limit").then(|| format!("{n} 1"));
        assert_eq!(t.expand(value).unwrap(), "/notes/id%201?limit=limit%201");
        let t = UriTemplate::parse("/x?a=1{&b}").unwrap();
        assert_eq!(t.expand(|_| Some("2".into())).unwrap(), "/x?a=1&b=2");
        assert_eq!(t.expand(|_| None).unwrap(), "/x?a=1");
        let t = UriTemplate::parse("/x/{id}").unwrap();
        assert_eq!(t.expand(|_| None), None);
    }
}
