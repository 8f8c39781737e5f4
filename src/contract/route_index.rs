//! The route index: a trie over path segments, so a lookup costs the
//! request's depth, not the number of routes.
//!
//! At each segment a literal child is tried first, then mixed patterns,
//! then a variable, then a catch-all: a literal segment beats a variable
//! one. Every segment of a template must be consumed, so a longer template
//! is never swallowed by a shorter one. The walk backtracks, so
//! `/notes/latest` (literal, GET only) does not hide `/notes/{id}` from a
//! DELETE.
//!
//! Templates made only of literal segments (most of a typical spec) also
//! sit in a hash table keyed by their `/`-joined path: such a template is
//! always the first the walk would reach (literal first at every level),
//! so the table is consulted first and the trie holds only the rest. A
//! request for a literal path then costs one hash of its path.

use regex::Regex;
use rustc_hash::FxHashMap;

use super::path_pattern::{DecodedPath, SegmentPattern};

/// Endpoint ids (indexes into the contract's endpoints) by path.
#[derive(Debug, Default)]
pub(crate) struct RouteIndex {
    /// Endpoints of all-literal templates by `/`-joined path.
    literal_paths: FxHashMap<String, Vec<usize>>,
    /// Every other template.
    root: Node,
}

#[derive(Debug, Default)]
struct Node {
    /// FxHash: segment strings are short and not attacker-chosen keys of
    /// a long-lived table that matters (the table is the spec's); SipHash
    /// showed in request profiles.
    literal: FxHashMap<String, Node>,
    mixed: Vec<(Regex, Node)>,
    var: Option<Box<Node>>,
    catch_all: Option<Box<Node>>,
    /// Endpoints whose template ends here, in document order.
    endpoints: Vec<usize>,
}

impl RouteIndex {
    /// Adds endpoint `id` under `segments`.
    pub(crate) fn insert(&mut self, segments: &[SegmentPattern], id: usize) {
        if let Some(key) = joined_literals(segments) {
            self.literal_paths.entry(key).or_default().push(id);
            return;
        }
        let mut node = &mut self.root;
        for segment in segments {
            node = match segment {
                SegmentPattern::Literal(text) => node.literal.entry(text.clone()).or_default(),
                SegmentPattern::Var => node.var.get_or_insert_with(Box::default),
                SegmentPattern::CatchAll => node.catch_all.get_or_insert_with(Box::default),
                SegmentPattern::Mixed(re) => {
                    let at = match node
                        .mixed
                        .iter()
                        .position(|(r, _)| r.as_str() == re.as_str())
                    {
                        Some(at) => at,
                        None => {
                            node.mixed.push((re.clone(), Node::default()));
                            node.mixed.len() - 1
                        }
                    };
                    &mut node.mixed[at].1
                }
            };
        }
        node.endpoints.push(id);
    }

    /// Visits the endpoint lists of every node matching `path`, most
    /// specific first, until `visit` returns true. Returns whether it did.
    pub(crate) fn find<S: AsRef<str>>(
        &self,
        path: &[S],
        visit: &mut impl FnMut(&[usize]) -> bool,
    ) -> bool {
        let key = path
            .iter()
            .all(|s| !s.as_ref().contains('/'))
            .then(|| join(path.iter().map(AsRef::as_ref)));
        self.visit_literal(key.as_deref(), visit) || walk(&self.root, path, visit)
    }

    /// [`find`](Self::find) for a request's path: a literal path costs one
    /// lookup, without splitting the path into slices.
    pub(crate) fn find_path(
        &self,
        path: &DecodedPath,
        visit: &mut impl FnMut(&[usize]) -> bool,
    ) -> bool {
        self.visit_literal(path.joined(), visit) || walk(&self.root, &path.segments(), visit)
    }

    fn visit_literal(&self, key: Option<&str>, visit: &mut impl FnMut(&[usize]) -> bool) -> bool {
        key.and_then(|k| self.literal_paths.get(k))
            .is_some_and(|ids| visit(ids))
    }
}

/// The `/`-joined path of a template made only of literal segments (none
/// holding a `/` of its own, which would make the key ambiguous).
fn joined_literals(segments: &[SegmentPattern]) -> Option<String> {
    let mut texts = Vec::with_capacity(segments.len());
    for segment in segments {
        match segment {
            SegmentPattern::Literal(text) if !text.contains('/') => texts.push(text.as_str()),
            _ => return None,
        }
    }
    Some(join(texts.into_iter()))
}

fn join<'a>(mut parts: impl Iterator<Item = &'a str>) -> String {
    let mut key = parts.next().unwrap_or_default().to_string();
    for part in parts {
        key.push('/');
        key.push_str(part);
    }
    key
}

fn walk<S: AsRef<str>>(node: &Node, path: &[S], visit: &mut impl FnMut(&[usize]) -> bool) -> bool {
    let Some((first, rest)) = path.split_first() else {
        if !node.endpoints.is_empty() && visit(&node.endpoints) {
            return true;
        }
        // A catch-all also matches nothing.
        return node
            .catch_all
            .as_ref()
            .is_some_and(|c| walk(c, path, visit));
    };
    let segment = first.as_ref();
    if let Some(child) = node.literal.get(segment)
        && walk(child, rest, visit)
    {
        return true;
    }
    for (re, child) in &node.mixed {
        if re.is_match(segment) && walk(child, rest, visit) {
            return true;
        }
    }
    if let Some(child) = &node.var
        && walk(child, rest, visit)
    {
        return true;
    }
    if let Some(child) = &node.catch_all {
        // Consume as many segments as possible first (the longest match).
        for skip in (1..=path.len()).rev() {
            if walk(child, &path[skip..], visit) {
                return true;
            }
        }
    }
    false
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::blueprint::UriTemplate;
    use crate::contract::path_pattern::{segments, split_path};

    fn index(templates: &[&str]) -> RouteIndex {
        let mut idx = RouteIndex::default();
        for (i, t) in templates.iter().enumerate() {
            idx.insert(&segments(&UriTemplate::parse(t).unwrap()), i);
        }
        idx
    }

    fn first(idx: &RouteIndex, path: &str) -> Option<usize> {
        let mut found = None;
        idx.find(&split_path(path), &mut |ids| {
            found = ids.first().copied();
            true
        });
        found
    }

    #[test]
    fn literal_beats_variable_whatever_the_order() {
        let idx = index(&["/notes/{id}", "/notes/latest"]);
        assert_eq!(first(&idx, "/notes/latest"), Some(1));
        assert_eq!(first(&idx, "/notes/7"), Some(0));
    }

    #[test]
    fn a_longer_template_is_not_swallowed_by_a_shorter_one() {
        let idx = index(&["/notes/{id}", "/notes/{id}/star"]);
        assert_eq!(first(&idx, "/notes/1/star"), Some(1));
        assert_eq!(first(&idx, "/notes/1"), Some(0));
        assert_eq!(first(&idx, "/notes/1/star/x"), None);
    }

    #[test]
    fn query_expressions_and_trailing_slashes_do_not_block() {
        let idx = index(&["/notes{?page,limit}", "/"]);
        assert_eq!(first(&idx, "/notes/"), Some(0));
        assert_eq!(first(&idx, "/"), Some(1));
    }

    #[test]
    fn catch_all_and_mixed_segments_match() {
        let idx = index(&["/files/{+path}", "/n/{id}.json"]);
        assert_eq!(first(&idx, "/files/a/b/c.txt"), Some(0));
        assert_eq!(first(&idx, "/files"), Some(0));
        assert_eq!(first(&idx, "/n/4.json"), Some(1));
        assert_eq!(first(&idx, "/n/4.xml"), None);
    }

    #[test]
    fn the_walk_backtracks_to_less_specific_nodes() {
        let idx = index(&["/notes/latest", "/notes/{id}"]);
        let mut seen = Vec::new();
        idx.find(&split_path("/notes/latest"), &mut |ids| {
            seen.extend_from_slice(ids);
            false
        });
        assert_eq!(seen, [0, 1]);
    }
}
