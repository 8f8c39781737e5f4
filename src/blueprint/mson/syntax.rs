//! The MSON syntax tree and the reading of one signature line.
//!
//! MSON is a markdown list; each item's first line is a *signature*:
//!
//! ```text
//! + name: value (type[nested], attribute, ...) - description
//! ```
//!
//! What the identifier means depends on where the item sits: in an object
//! it is a property name, in an array or enum it is a value. The syntax
//! tree keeps it as written and `render`/`schema` decide.

use crate::diag::Span;

/// One list item of an MSON section.
#[derive(Clone, Debug, serde::Serialize)]
pub enum Element {
    /// A property, array item or enum member.
    Value(Box<ValueElement>),
    /// `+ Include Type`: the members of `Type`, mixed in here.
    Include(TypeName),
    /// `+ One Of`: alternatives, of which a body shows the first.
    OneOf(Vec<Element>),
    /// `+ Properties` directly inside `+ One Of`: one alternative made of
    /// several properties.
    Group(Vec<Element>),
}

/// A value definition: a member, an item, or a whole type (an Attributes
/// section or a named data structure, whose identifier is its name).
#[derive(Clone, Debug, Default, serde::Serialize)]
pub struct ValueElement {
    /// The name (in an object) or the value (in an array or enum).
    pub identifier: Option<Literal>,
    /// `*name*`: a variable property name (the name is a sample).
    pub variable: bool,
    /// What follows `:`.
    pub value: Option<Literal>,
    /// What the parentheses say.
    pub type_spec: TypeSpec,
    /// After ` - `, then any paragraphs below the signature.
    pub description: String,
    /// Nested members, items, includes and one-ofs, in order.
    pub children: Vec<Element>,
    /// `+ Sample` sections.
    pub samples: Vec<Sample>,
    /// `+ Default` sections.
    pub defaults: Vec<Sample>,
    /// The item (or heading).
    pub span: Span,
}

impl ValueElement {
    /// The property name or item value as written.
    pub fn identifier_text(&self) -> Option<&str> {
        self.identifier.as_ref().map(|l| l.text.as_str())
    }
}

/// The content of a `+ Sample` or `+ Default` section.
#[derive(Clone, Debug, serde::Serialize)]
pub enum Sample {
    /// `+ Sample: text`, or text below `+ Sample`.
    Text(Literal),
    /// Nested members or items below `+ Sample`.
    Elements(Vec<Element>),
}

/// A literal as written, without surrounding backticks.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct Literal {
    /// The text, without backticks or emphasis.
    pub text: String,
    /// Written in backticks: taken verbatim, commas and all.
    pub quoted: bool,
}

/// `(array[Coupon], required, fixed)`.
#[derive(Clone, Debug, Default, serde::Serialize)]
pub struct TypeSpec {
    /// The base type: a primitive (`string`, `object`...) or a named type.
    pub name: Option<TypeName>,
    /// The types between brackets, for arrays and enums.
    pub nested: Vec<TypeName>,
    /// The type attributes (`required`, `fixed`...).
    pub attrs: TypeAttrs,
}

/// A type name and where it is written, for diagnostics.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct TypeName {
    /// The type name as written.
    pub name: String,
    /// Its byte offset in the source.
    pub at: usize,
}

/// Type attributes; the ones MSON defines and the reference honours.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, serde::Serialize)]
pub struct TypeAttrs {
    /// `required`.
    pub required: bool,
    /// `optional`.
    pub optional: bool,
    /// `fixed`: values are the only ones allowed.
    pub fixed: bool,
    /// `fixed-type`: the type is fixed, not the values.
    pub fixed_type: bool,
    /// `nullable`.
    pub nullable: bool,
    /// The inline value is a sample (`: x (sample)`).
    pub sample: bool,
    /// The inline value is a default (`: x (default)`).
    pub default: bool,
}

/// A section keyword that can open an MSON list item.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Keyword<'a> {
    /// `Members`, `Items`, `Properties`: their children belong to the
    /// enclosing element.
    Group,
    /// `Sample`, with an inline value after `:` if any.
    Sample(Option<&'a str>),
    /// `Default`, likewise.
    Default(Option<&'a str>),
    /// `Include Type` and the offset of `Type` in the line.
    Include(&'a str, usize),
    OneOf,
}

/// Recognises a section keyword line (`+ Sample: 1`, `+ Include Base`).
pub fn keyword(line: &str) -> Option<Keyword<'_>> {
    let t = line.trim();
    let word_end = t
        .find(|c: char| !(c.is_ascii_alphabetic() || c == ' '))
        .unwrap_or(t.len());
    let word = t[..word_end].trim_end();
    let rest = &t[word.len()..];
    let inline = || {
        let r = rest.trim_start();
        r.strip_prefix(':').map(str::trim)
    };
    match word.to_ascii_lowercase().as_str() {
        "members" | "items" | "properties" if rest.trim().is_empty() => Some(Keyword::Group),
        "sample" if rest.trim().is_empty() => Some(Keyword::Sample(None)),
        "sample" => inline().map(|v| Keyword::Sample(Some(v))),
        "default" if rest.trim().is_empty() => Some(Keyword::Default(None)),
        "default" => inline().map(|v| Keyword::Default(Some(v))),
        "one of" if rest.trim().is_empty() => Some(Keyword::OneOf),
        _ => {
            let lower = t.get(..8)?.to_ascii_lowercase();
            if lower != "include " {
                return None;
            }
            let name = t[8..].trim();
            let name = name
                .strip_prefix('(')
                .and_then(|n| n.strip_suffix(')'))
                .unwrap_or(name)
                .trim();
            let name = name.trim_matches('`').trim();
            (!name.is_empty()).then(|| {
                let at = line.find(name).unwrap_or(0);
                Keyword::Include(name, at)
            })
        }
    }
}

/// A signature line split into its parts. Offsets are into the line.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Signature {
    pub identifier: Option<Literal>,
    pub variable: bool,
    pub value: Option<Literal>,
    /// The text inside the parentheses and its offset.
    pub attributes: Option<(String, usize)>,
    pub description: Option<String>,
}

/// Splits `name: value (attrs) - description`.
pub fn signature(line: &str) -> Signature {
    let mut sig = Signature::default();
    let bytes = line.as_bytes();
    let mut i = skip_ws(bytes, 0);
    // Identifier: backticked, `*variable*`, or up to `:`, `(` or ` - `.
    if i < bytes.len() && bytes[i] != b'(' && bytes[i] != b':' {
        if bytes[i] == b'`' {
            let (lit, end) = backticked(line, i);
            sig.identifier = Some(lit);
            i = end;
        } else if bytes[i] == b'*' && line[i + 1..].contains('*') {
            let close = i + 1 + line[i + 1..].find('*').unwrap_or(0);
            let mut inner = line[i + 1..close].trim_matches('_').trim();
            // `*name (type)*`: the type is written inside the emphasis.
            if inner.ends_with(')')
                && let Some(open) = inner.rfind('(')
            {
                sig.attributes = Some((inner[open + 1..inner.len() - 1].to_string(), {
                    let start = inner.as_ptr() as usize - line.as_ptr() as usize;
                    start + open + 1
                }));
                inner = inner[..open].trim();
            }
            let (text, quoted) = match inner.strip_prefix('`').and_then(|s| s.strip_suffix('`')) {
                Some(s) => (s, true),
                None => (inner, false),
            };
            sig.identifier = Some(Literal {
                text: text.to_string(),
                quoted,
            });
            sig.variable = true;
            i = close + 1;
        } else {
            let end = plain_end(line, i, true);
            let text = line[i..end].trim();
            if !text.is_empty() {
                sig.identifier = Some(Literal {
                    text: text.to_string(),
                    quoted: false,
                });
            }
            i = end;
        }
    }
    i = skip_ws(bytes, i);
    if i < bytes.len() && bytes[i] == b':' {
        i = skip_ws(bytes, i + 1);
        if i < bytes.len() && bytes[i] == b'`' && !line[i..].starts_with("``") {
            let start = i;
            let (lit, end) = backticked(line, i);
            sig.value = Some(lit);
            i = end;
            // `a`, `b` as array values: each part loses its backticks.
            let more = plain_end(line, i, false);
            if line[i..more].trim_start().starts_with(',') {
                let parts: Vec<&str> = line[start..more]
                    .split(',')
                    .map(|p| p.trim().trim_matches('`').trim())
                    .collect();
                sig.value = Some(Literal {
                    text: parts.join(", "),
                    quoted: false,
                });
                i = more;
            }
        } else {
            let end = plain_end(line, i, false);
            let text = line[i..end].trim();
            if !text.is_empty() {
                sig.value = Some(unemphasized(text));
            }
            i = end;
        }
    }
    i = skip_ws(bytes, i);
    if i < bytes.len() && bytes[i] == b'(' && sig.attributes.is_none() {
        let close = matching_paren(bytes, i);
        sig.attributes = Some((line[i + 1..close].to_string(), i + 1));
        i = (close + 1).min(bytes.len());
    }
    let rest = line[i..].trim();
    if let Some(desc) = rest.strip_prefix('-') {
        sig.description = Some(desc.trim().to_string());
    }
    sig
}

/// Reads `(array[A, B], required, fixed)` into a type specification.
/// Returns the words it did not understand.
pub fn type_spec(text: &str, at: usize) -> (TypeSpec, Vec<(String, usize)>) {
    let mut spec = TypeSpec::default();
    let mut unknown = Vec::new();
    let mut depth = 0usize;
    let mut start = 0;
    let mut parts = Vec::new();
    for (i, c) in text.char_indices() {
        match c {
            '[' => depth += 1,
            ']' => depth = depth.saturating_sub(1),
            ',' if depth == 0 => {
                parts.push((start, &text[start..i]));
                start = i + 1;
            }
            _ => {}
        }
    }
    parts.push((start, &text[start..]));
    for (offset, part) in parts {
        let word = part.trim();
        let word_at = at + offset + (part.len() - part.trim_start().len());
        let a = &mut spec.attrs;
        match word.to_ascii_lowercase().as_str() {
            "" => {}
            "required" => a.required = true,
            "optional" => a.optional = true,
            "fixed" => a.fixed = true,
            "fixed-type" => a.fixed_type = true,
            "nullable" => a.nullable = true,
            "sample" => a.sample = true,
            "default" => a.default = true,
            _ if spec.name.is_none() => {
                let (base, nested) = match word.find('[') {
                    Some(open) if word.ends_with(']') => (
                        word[..open].trim(),
                        Some((open, &word[open + 1..word.len() - 1])),
                    ),
                    _ => (word, None),
                };
                let base = base.trim_matches('`').trim();
                spec.name = Some(TypeName {
                    name: base.to_string(),
                    at: word_at,
                });
                if let Some((open, inner)) = nested {
                    let mut inner_at = word_at + open + 1;
                    for n in inner.split(',') {
                        let lead = n.len() - n.trim_start().len();
                        let name = n.trim().trim_matches('`').trim();
                        if !name.is_empty() {
                            spec.nested.push(TypeName {
                                name: name.to_string(),
                                at: inner_at + lead,
                            });
                        }
                        inner_at += n.len() + 1;
                    }
                }
            }
            _ => unknown.push((word.to_string(), word_at)),
        }
    }
    (spec, unknown)
}

/// A value in markdown emphasis (`*pavan*`, `_x_`) stands for the value
/// itself, as the reference reads it.
fn unemphasized(text: &str) -> Literal {
    for mark in ['*', '_'] {
        if let Some(inner) = text
            .strip_prefix(mark)
            .and_then(|t| t.strip_suffix(mark))
            .filter(|t| !t.is_empty() && !t.contains(mark))
        {
            return Literal {
                text: inner.to_string(),
                quoted: false,
            };
        }
    }
    Literal {
        text: text.to_string(),
        quoted: false,
    }
}

fn skip_ws(bytes: &[u8], mut i: usize) -> usize {
    while i < bytes.len() && (bytes[i] == b' ' || bytes[i] == b'\t') {
        i += 1;
    }
    i
}

/// A backticked literal starting at `i` (any run of backticks opens it and
/// the same run closes it); returns it and the offset after it.
fn backticked(line: &str, i: usize) -> (Literal, usize) {
    let run = line[i..].bytes().take_while(|&b| b == b'`').count();
    let fence = &line[i..i + run];
    let body = i + run;
    match line[body..].find(fence) {
        Some(close) => (
            Literal {
                text: line[body..body + close].trim().to_string(),
                quoted: true,
            },
            body + close + run,
        ),
        None => (
            Literal {
                text: line[i..].trim().to_string(),
                quoted: false,
            },
            line.len(),
        ),
    }
}

/// Where plain (unquoted) text ends: at `(`, at ` - `, at end of line, and
/// for an identifier also at `:`. Backticked runs inside are skipped.
fn plain_end(line: &str, from: usize, identifier: bool) -> usize {
    let bytes = line.as_bytes();
    let mut i = from;
    while i < bytes.len() {
        match bytes[i] {
            b'`' => {
                let run = line[i..].bytes().take_while(|&b| b == b'`').count();
                match line[i + run..].find(&line[i..i + run]) {
                    Some(close) => i += run + close + run,
                    None => i += run,
                }
                continue;
            }
            b':' if identifier => return i,
            b'(' => return i,
            b'-' if i > from
                && bytes[i - 1] == b' '
                && bytes.get(i + 1).is_none_or(|&b| b == b' ') =>
            {
                return i - 1;
            }
            _ => {}
        }
        i += 1;
    }
    bytes.len()
}

fn matching_paren(bytes: &[u8], open: usize) -> usize {
    let mut depth = 0usize;
    for (i, &b) in bytes.iter().enumerate().skip(open) {
        match b {
            b'(' => depth += 1,
            b')' => {
                depth -= 1;
                if depth == 0 {
                    return i;
                }
            }
            _ => {}
        }
    }
    bytes.len()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lit(s: &str) -> Option<Literal> {
        Some(Literal {
            text: s.into(),
            quoted: false,
        })
    }

    #[test]
    fn full_signature() {
        let s = signature("id: 250FF (string, required) - The ID");
        assert_eq!(s.identifier, lit("id"));
        assert_eq!(s.value, lit("250FF"));
        assert_eq!(
            s.attributes.as_ref().map(|a| a.0.as_str()),
            Some("string, required")
        );
        assert_eq!(s.description.as_deref(), Some("The ID"));
    }

    #[test]
    fn name_only_type_only_and_value_items() {
        assert_eq!(signature("redeem_by").identifier, lit("redeem_by"));
        let s = signature("(object)");
        assert_eq!(s.identifier, None);
        assert_eq!(s.attributes.map(|a| a.0), Some("object".into()));
        let s = signature("5 (number)");
        assert_eq!(s.identifier, lit("5"));
    }

    #[test]
    fn backticks_protect_commas_colons_and_parentheses() {
        let s = signature("`a:b`: `x (y), z` (string)");
        assert_eq!(s.identifier.map(|l| l.text), Some("a:b".into()));
        assert_eq!(s.value.map(|l| l.text), Some("x (y), z".into()));
        let s = signature("tags: `a`, `b` (array)");
        assert_eq!(s.value.map(|l| l.text), Some("a, b".into()));
    }

    #[test]
    fn variable_names_and_dashes_inside_values() {
        let s = signature("*rel*: self (string)");
        assert!(s.variable);
        assert_eq!(s.identifier, lit("rel"));
        let s = signature("date: 2015-01-01 - when");
        assert_eq!(s.value, lit("2015-01-01"));
        assert_eq!(s.description.as_deref(), Some("when"));
    }

    #[test]
    fn type_specs() {
        let (t, unknown) = type_spec("array[Coupon, string], required, fixed-type", 10);
        assert_eq!(t.name.as_ref().map(|n| n.name.as_str()), Some("array"));
        let nested: Vec<_> = t.nested.iter().map(|n| (n.name.as_str(), n.at)).collect();
        assert_eq!(nested, [("Coupon", 16), ("string", 24)]);
        assert!(t.attrs.required && t.attrs.fixed_type);
        assert!(unknown.is_empty());
        let (_, unknown) = type_spec("string, wat", 0);
        assert_eq!(unknown, [("wat".to_string(), 8)]);
    }

    #[test]
    fn keywords() {
        assert_eq!(keyword("Members"), Some(Keyword::Group));
        assert_eq!(keyword("Sample: 1, 2"), Some(Keyword::Sample(Some("1, 2"))));
        assert_eq!(keyword("Default"), Some(Keyword::Default(None)));
        assert_eq!(
            keyword("Include Coupon Base"),
            Some(Keyword::Include("Coupon Base", 8))
        );
        assert_eq!(keyword("One Of"), Some(Keyword::OneOf));
        assert_eq!(keyword("sample (string)"), None);
        assert_eq!(keyword("members: 1"), None);
    }
}
