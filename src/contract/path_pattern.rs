//! A URI template's path as segment patterns, for the route index.
//!
//! Matching works on decoded path segments. Each template segment is a
//! literal, one variable, a pattern mixing both (`{id}.json`), or a
//! catch-all (`{+path}`, `{/parts*}`) that spans segments. Query and
//! fragment expressions never take part: they must not block a match.

use regex::Regex;

use crate::blueprint::uri_template::{Operator, Part, UriTemplate};

/// One segment of a template path.
#[derive(Debug, Clone)]
pub(crate) enum SegmentPattern {
    /// Must equal this (decoded) text.
    Literal(String),
    /// Any one segment.
    Var,
    /// Literal text and variables within one segment.
    Mixed(Regex),
    /// Any number of segments, including none.
    CatchAll,
}

/// Segments of `template`'s path, leading and trailing `/` removed.
pub(crate) fn segments(template: &UriTemplate) -> Vec<SegmentPattern> {
    let mut out = Vec::new();
    let mut current: Vec<Piece> = Vec::new();
    'parts: for part in template.parts() {
        match part {
            Part::Literal(text) => {
                let (path, stop) = match text.find(['?', '#']) {
                    Some(i) => (&text[..i], true),
                    None => (text.as_str(), false),
                };
                let mut first = true;
                for chunk in path.split('/') {
                    if !first {
                        finish(&mut out, &mut current);
                    }
                    first = false;
                    if !chunk.is_empty() {
                        current.push(Piece::Literal(decode(chunk)));
                    }
                }
                if stop {
                    break 'parts;
                }
            }
            Part::Rails(_) => current.push(Piece::Var),
            Part::Expression(e) => match e.operator {
                Operator::Query | Operator::QueryContinuation | Operator::Fragment => break 'parts,
                Operator::Simple => current.push(Piece::Var),
                Operator::Reserved => current.push(Piece::Rest),
                Operator::PathSegment => {
                    finish(&mut out, &mut current);
                    let explode = e.variables.iter().any(|v| v.explode) || e.variables.len() > 1;
                    current.push(if explode { Piece::Rest } else { Piece::Var });
                }
                Operator::Label => current.push(Piece::Optional(r"(?:\.[^/]*)?")),
                Operator::PathParameter => current.push(Piece::Optional(r"(?:;[^/]*)*")),
            },
        }
    }
    finish(&mut out, &mut current);
    out
}

enum Piece {
    Literal(String),
    Var,
    Rest,
    Optional(&'static str),
}

fn finish(out: &mut Vec<SegmentPattern>, current: &mut Vec<Piece>) {
    let pieces = std::mem::take(current);
    let segment = match pieces.as_slice() {
        [] => return,
        [Piece::Literal(text)] => SegmentPattern::Literal(text.clone()),
        [Piece::Var] => SegmentPattern::Var,
        [Piece::Rest] => SegmentPattern::CatchAll,
        _ => {
            let mut re = String::from("^");
            for piece in &pieces {
                match piece {
                    Piece::Literal(text) => re.push_str(&regex::escape(text)),
                    Piece::Var | Piece::Rest => re.push_str("(.*?)"),
                    Piece::Optional(p) => re.push_str(p),
                }
            }
            re.push('$');
            match Regex::new(&re) {
                Ok(re) => SegmentPattern::Mixed(re),
                // Escaped literals and fixed fragments always compile; keep
                // a safe fallback rather than a panic.
                Err(_) => SegmentPattern::Var,
            }
        }
    };
    out.push(segment);
}

/// Percent-decodes one path segment (lossy on invalid UTF-8).
pub(crate) fn decode(segment: &str) -> String {
    if !segment.contains('%') {
        return segment.to_string();
    }
    percent_encoding::percent_decode_str(segment)
        .decode_utf8_lossy()
        .into_owned()
}

/// True when every `%` in `raw` starts a valid `%XX` escape.
pub(crate) fn valid_percent_encoding(raw: &str) -> bool {
    memchr::memchr(b'%', raw.as_bytes()).is_none() || valid_escapes(raw)
}

/// [`valid_percent_encoding`] once a `%` is known to be there.
fn valid_escapes(raw: &str) -> bool {
    let bytes = raw.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let ok = bytes.get(i + 1).is_some_and(u8::is_ascii_hexdigit)
                && bytes.get(i + 2).is_some_and(u8::is_ascii_hexdigit);
            if !ok {
                return false;
            }
            i += 3;
        } else {
            i += 1;
        }
    }
    true
}

/// A request path as decoded segments (leading/trailing `/` ignored).
pub(crate) fn split_path(path: &str) -> Vec<String> {
    path.split('/')
        .filter(|s| !s.is_empty())
        .map(decode)
        .collect()
}

/// A request path decoded once into one string, with its segments as
/// ranges: two allocations per request however deep the path.
///
/// The text joins the decoded segments with `/`, so when no segment
/// decoded to a `/` of its own, the text itself is the key of the route
/// index's table of literal paths (one hash lookup instead of a walk).
#[derive(Debug, Clone, Default)]
pub struct DecodedPath {
    text: String,
    bounds: smallvec::SmallVec<[(u32, u32); 8]>,
    /// No segment holds a decoded `/` (`%2F`).
    joinable: bool,
}

impl DecodedPath {
    /// Splits and decodes `raw` (percent-decoding each segment); `None`
    /// when a `%` does not start a valid `%XX` escape. One search for `%`
    /// serves both the check and the decoding.
    pub fn new(raw: &str) -> Option<Self> {
        let escaped = memchr::memchr(b'%', raw.as_bytes()).is_some();
        if escaped && !valid_escapes(raw) {
            return None;
        }
        let mut path = DecodedPath {
            text: String::with_capacity(raw.len()),
            bounds: Default::default(),
            joinable: true,
        };
        // Most paths have no escape: one search says so for all segments.
        // Segments are short: a plain loop finds each `/` for less than a
        // call into a SIMD search costs.
        let bytes = raw.as_bytes();
        let mut from = 0;
        while from <= bytes.len() {
            let to = bytes[from..]
                .iter()
                .position(|&b| b == b'/')
                .map_or(bytes.len(), |at| from + at);
            // `/` is ASCII: `from..to` lies on character boundaries.
            let segment = &raw[from..to];
            from = to + 1;
            if segment.is_empty() {
                continue;
            }
            if !path.bounds.is_empty() {
                path.text.push('/');
            }
            let start = path.text.len();
            if escaped && segment.contains('%') {
                let decoded = percent_encoding::percent_decode_str(segment).decode_utf8_lossy();
                path.joinable &= !decoded.contains('/');
                path.text.push_str(&decoded);
            } else {
                path.text.push_str(segment);
            }
            path.bounds.push((start as u32, path.text.len() as u32));
        }
        Some(path)
    }

    /// The decoded segments joined by `/`, unless a segment holds a `/`
    /// itself (then the joined text would be ambiguous).
    pub fn joined(&self) -> Option<&str> {
        self.joinable.then_some(self.text.as_str())
    }

    /// Segment `i`, decoded.
    pub fn get(&self, i: usize) -> Option<&str> {
        let &(a, b) = self.bounds.get(i)?;
        self.text.get(a as usize..b as usize)
    }

    /// Number of segments.
    pub fn len(&self) -> usize {
        self.bounds.len()
    }

    /// True for `/`.
    pub fn is_empty(&self) -> bool {
        self.bounds.is_empty()
    }

    /// The segments as string slices.
    pub fn segments(&self) -> smallvec::SmallVec<[&str; 8]> {
        (0..self.len()).filter_map(|i| self.get(i)).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kinds(t: &str) -> Vec<String> {
        segments(&UriTemplate::parse(t).unwrap())
            .iter()
            .map(|s| match s {
                SegmentPattern::Literal(l) => format!("L:{l}"),
                SegmentPattern::Var => "V".into(),
                SegmentPattern::Mixed(re) => format!("M:{}", re.as_str()),
                SegmentPattern::CatchAll => "*".into(),
            })
            .collect()
    }

    #[test]
    fn templates_become_segment_patterns() {
        assert_eq!(kinds("/notes/{id}{?page}"), ["L:notes", "V"]);
        assert_eq!(kinds("/customers/:id"), ["L:customers", "V"]);
        assert_eq!(kinds("/files/{+path}"), ["L:files", "*"]);
        assert_eq!(kinds("/a{/b}"), ["L:a", "V"]);
        assert_eq!(kinds("/a{/b*}"), ["L:a", "*"]);
        assert_eq!(kinds("/n/{id}.json"), ["L:n", "M:^(.*?)\\.json$"]);
        assert_eq!(kinds("/my%20notes?x=1{&y}"), ["L:my notes"]);
        assert_eq!(kinds("/"), Vec::<String>::new());
        assert_eq!(kinds("/page{#section}"), ["L:page"]);
    }

    #[test]
    fn percent_encoding_is_checked_and_decoded() {
        assert!(valid_percent_encoding("/a%20b"));
        assert!(!valid_percent_encoding("/a%2"));
        assert!(!valid_percent_encoding("/a%zz"));
        assert_eq!(split_path("/a%20b//c/"), ["a b", "c"]);
        assert!(DecodedPath::new("/a%2").is_none());
        let p = DecodedPath::new("/a%20b//c/").unwrap();
        assert_eq!(p.segments().as_slice(), ["a b", "c"]);
        assert_eq!((p.len(), p.get(1), p.get(2)), (2, Some("c"), None));
        assert_eq!(p.joined(), Some("a b/c"));
        assert_eq!(DecodedPath::new("/").unwrap().joined(), Some(""));
        // A decoded `/` inside a segment makes the joined text ambiguous.
        let slash = DecodedPath::new("/a%2Fb/c").unwrap();
        assert_eq!(slash.segments().as_slice(), ["a/b", "c"]);
        assert_eq!(slash.joined(), None);
    }
}
