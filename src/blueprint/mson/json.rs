//! An ordered JSON value for generated bodies and schemas.
//!
//! serde_json's map sorts keys unless `preserve_order` is on, and that
//! feature would slow every request body the server parses. MSON output
//! must keep the order the document gives, so generation builds this small
//! tree and prints it the way the reference does (`JSON.stringify(v, null,
//! 2)`).

use std::fmt::Write;

/// A JSON value whose objects keep insertion order.
#[derive(Clone, Debug, PartialEq)]
pub enum Json {
    /// `null`.
    Null,
    /// `true` or `false`.
    Bool(bool),
    /// Kept as its JSON text, already normalised (`1.50` → `1.5`).
    Number(String),
    /// A string.
    String(String),
    /// An array, in order.
    Array(Vec<Json>),
    /// An object, members in document order.
    Object(Vec<(String, Json)>),
}

impl Json {
    /// A string value.
    pub fn str(s: impl Into<String>) -> Json {
        Json::String(s.into())
    }

    /// A number from MSON text, normalised as JavaScript prints it; `None`
    /// when the text is not a number.
    pub fn number(text: &str) -> Option<Json> {
        let t = text.trim();
        // JSON's grammar, not Rust's: no `inf`, `nan`, `+1` or `.5`.
        serde_json::from_str::<serde_json::Number>(t).ok()?;
        let n: f64 = t.parse().ok()?;
        if !n.is_finite() {
            return None;
        }
        let printed = if n.fract() == 0.0 && n.abs() < 1e21 {
            if t.bytes().all(|b| b.is_ascii_digit() || b == b'-') {
                // Exact for integers beyond f64's 53 bits, as written.
                t.trim_start_matches('+').to_string()
            } else {
                format!("{n:.0}")
            }
        } else {
            format!("{n}")
        };
        Some(Json::Number(printed))
    }

    /// Inserts or replaces `key` (a later member overrides an inherited
    /// one in place, as the reference does).
    pub fn set(pairs: &mut Vec<(String, Json)>, key: String, value: Json) {
        match pairs.iter_mut().find(|(k, _)| *k == key) {
            Some(slot) => slot.1 = value,
            None => pairs.push((key, value)),
        }
    }

    /// `JSON.stringify(self, null, 2)`.
    pub fn pretty(&self) -> String {
        let mut out = String::new();
        self.write(&mut out, 0);
        out
    }

    fn write(&self, out: &mut String, indent: usize) {
        match self {
            Json::Null => out.push_str("null"),
            Json::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
            Json::Number(n) => out.push_str(n),
            Json::String(s) => write_string(out, s),
            Json::Array(items) if items.is_empty() => out.push_str("[]"),
            Json::Object(pairs) if pairs.is_empty() => out.push_str("{}"),
            Json::Array(items) => {
                out.push('[');
                for (i, item) in items.iter().enumerate() {
                    if i > 0 {
                        out.push(',');
                    }
                    newline(out, indent + 1);
                    item.write(out, indent + 1);
                }
                newline(out, indent);
                out.push(']');
            }
            Json::Object(pairs) => {
                out.push('{');
                for (i, (key, value)) in pairs.iter().enumerate() {
                    if i > 0 {
                        out.push(',');
                    }
                    newline(out, indent + 1);
                    write_string(out, key);
                    out.push_str(": ");
                    value.write(out, indent + 1);
                }
                newline(out, indent);
                out.push('}');
            }
        }
    }
}

fn newline(out: &mut String, indent: usize) {
    out.push('\n');
    for _ in 0..indent {
        out.push_str("  ");
    }
}

fn write_string(out: &mut String, s: &str) {
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\u{8}' => out.push_str("\\b"),
            '\u{c}' => out.push_str("\\f"),
            c if (c as u32) < 0x20 => {
                let _ = write!(out, "\\u{:04x}", c as u32);
            }
            c => out.push(c),
        }
    }
    out.push('"');
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prints_like_json_stringify_with_two_spaces() {
        let v = Json::Object(vec![
            ("a".into(), Json::number("1.50").unwrap()),
            (
                "b".into(),
                Json::Array(vec![Json::str("x\"y"), Json::Null, Json::Bool(true)]),
            ),
            ("c".into(), Json::Object(vec![])),
            ("d".into(), Json::Array(vec![])),
        ]);
        assert_eq!(
            v.pretty(),
            "{\n  \"a\": 1.5,\n  \"b\": [\n    \"x\\\"y\",\n    null,\n    true\n  ],\n  \"c\": {},\n  \"d\": []\n}"
        );
    }

    #[test]
    fn numbers_follow_javascript() {
        let n = |t| Json::number(t).map(|j| j.pretty());
        assert_eq!(n("1415203908").as_deref(), Some("1415203908"));
        assert_eq!(n("1e3").as_deref(), Some("1000"));
        assert_eq!(n("-0.25").as_deref(), Some("-0.25"));
        assert_eq!(n("abc"), None);
        assert_eq!(n("+1"), None);
        assert_eq!(n(".5"), None);
    }
}
