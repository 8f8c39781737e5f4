//! The one-line signatures that make a heading or a list item an API
//! Blueprint section: `## Notes [/notes]`, `+ Response 200 (text/plain)`.
//!
//! Keywords are matched case-insensitively (the reference accepts
//! `response` but not `RESPONSE`; we accept both).

/// What a heading declares.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum HeadingKind<'a> {
    /// `# Group NAME`
    Group(&'a str),
    /// `# Data Structures`
    DataStructures,
    /// `## NAME [URI]` or `## URI`; `uri_at` is the URI's byte offset in
    /// the heading text.
    Resource {
        name: Option<&'a str>,
        uri: &'a str,
        uri_at: usize,
    },
    /// `## METHOD URI`: a resource and its one action.
    ResourceAction {
        method: &'a str,
        uri: &'a str,
        uri_at: usize,
    },
    /// `### NAME [METHOD]`, `### NAME [METHOD URI]`, `### METHOD`.
    Action {
        name: Option<&'a str>,
        method: &'a str,
        uri: Option<(&'a str, usize)>,
    },
    /// Anything else: a name, or description text.
    Other,
}

/// Classifies the text of a heading (without the `#` marks).
pub(crate) fn heading(text: &str) -> HeadingKind<'_> {
    // `## Group Association [/group-associations/{id}]` names a resource:
    // a URI in brackets wins over the Group keyword, as in the reference.
    let bracket = trailing_bracket(text);
    let bracketed_uri =
        bracket.is_some_and(|open| looks_like_uri(text[open + 1..text.len() - 1].trim()));
    if let Some(name) = strip_keyword(text, "Group").filter(|_| !bracketed_uri) {
        return HeadingKind::Group(name);
    }
    // The reference also takes the singular, in any case.
    if text.eq_ignore_ascii_case("Data Structures") || text.eq_ignore_ascii_case("Data Structure") {
        return HeadingKind::DataStructures;
    }
    if let Some(open) = bracket {
        let inside = text[open + 1..text.len() - 1].trim();
        let inside_at = open + 1 + (text[open + 1..].len() - text[open + 1..].trim_start().len());
        let name = Some(text[..open].trim()).filter(|n| !n.is_empty());
        if looks_like_uri(inside) || looks_like_relative_path(inside) {
            return HeadingKind::Resource {
                name,
                uri: inside,
                uri_at: inside_at,
            };
        }
        let (method, uri) = split_word(inside);
        if is_method(method) {
            let uri = (!uri.is_empty()).then(|| (uri, inside_at + inside.len() - uri.len()));
            if uri.is_none_or(|(u, _)| looks_like_uri(u)) {
                return HeadingKind::Action { name, method, uri };
            }
        }
        return HeadingKind::Other;
    }
    if looks_like_uri(text) {
        return HeadingKind::Resource {
            name: None,
            uri: text,
            uri_at: 0,
        };
    }
    let (method, uri) = split_word(text);
    if is_method(method) {
        // A bare upper-case word (`# API`, `## FAQ`) is a name unless it is
        // a well-known method; inside brackets any token is a method.
        if uri.is_empty() && KNOWN_METHODS.contains(&method) {
            return HeadingKind::Action {
                name: None,
                method,
                uri: None,
            };
        }
        if looks_like_uri(uri) {
            return HeadingKind::ResourceAction {
                method,
                uri,
                uri_at: text.len() - uri.len(),
            };
        }
    }
    HeadingKind::Other
}

/// What a list item's first line declares.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum ItemKind<'a> {
    /// `+ Request [NAME] [(MEDIA)]`
    Request {
        name: Option<&'a str>,
        media_type: Option<&'a str>,
    },
    /// `+ Response [STATUS] [(MEDIA)]`; the status text is checked by the
    /// parser so it can locate the error.
    Response {
        status: &'a str,
        media_type: Option<&'a str>,
    },
    /// `+ Model [(MEDIA)]`
    Model { media_type: Option<&'a str> },
    /// `+ Headers`
    Headers,
    /// `+ Body`
    Body,
    /// `+ Schema`
    Schema,
    /// `+ Attributes [(TYPE)]`
    Attributes { type_spec: Option<&'a str> },
    /// `+ Parameters`
    Parameters,
    /// `+ Relation: NAME`
    Relation(&'a str),
    /// Anything else: description.
    Other,
}

/// Classifies a list item's first line.
pub(crate) fn item(line: &str) -> ItemKind<'_> {
    let line = line.trim();
    let (word, rest) = split_word(line);
    let word_is = |k: &str| word.eq_ignore_ascii_case(k);
    if let Some(name) = strip_keyword(line, "Relation:") {
        return ItemKind::Relation(name);
    }
    if word_is("Request") {
        let (name, media_type) = split_media_type(rest);
        return ItemKind::Request {
            name: (!name.is_empty()).then_some(name),
            media_type,
        };
    }
    if word_is("Response") {
        let (status, media_type) = split_media_type(rest);
        return ItemKind::Response { status, media_type };
    }
    if word_is("Model") {
        let (rest, media_type) = split_media_type(rest);
        if rest.is_empty() {
            return ItemKind::Model { media_type };
        }
        return ItemKind::Other;
    }
    // The reference also takes the singular.
    if word_is("Attributes") || word_is("Attribute") {
        let (rest, type_spec) = split_media_type(rest);
        if rest.is_empty() {
            return ItemKind::Attributes { type_spec };
        }
        return ItemKind::Other;
    }
    if !rest.is_empty() {
        return ItemKind::Other;
    }
    // The reference's keywords take an optional plural `s`.
    if word_is("Headers") || word_is("Header") {
        ItemKind::Headers
    } else if word_is("Body") {
        ItemKind::Body
    } else if word_is("Schema") {
        ItemKind::Schema
    } else if word_is("Parameters") || word_is("Parameter") {
        ItemKind::Parameters
    } else {
        ItemKind::Other
    }
}

/// The keywords of list sections, for "did you mean" hints.
pub(crate) const ITEM_KEYWORDS: [&str; 9] = [
    "Request",
    "Response",
    "Model",
    "Headers",
    "Body",
    "Schema",
    "Attributes",
    "Parameters",
    "Relation",
];

/// The keyword `word` is probably a misspelling of (one edit away, or a
/// transposition), if any.
pub(crate) fn near_keyword(word: &str) -> Option<&'static str> {
    let word = word.trim_end_matches(':').to_ascii_lowercase();
    ITEM_KEYWORDS.into_iter().find(|k| {
        let k = k.to_ascii_lowercase();
        k != word && word.len() >= 4 && edit_distance(&word, &k) <= 2
    })
}

/// Levenshtein distance, in characters.
pub(crate) fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut prev = row[0];
        row[0] = i + 1;
        for (j, &cb) in b.iter().enumerate() {
            let cur = row[j + 1];
            row[j + 1] = (prev + usize::from(ca != cb)).min(row[j] + 1).min(cur + 1);
            prev = cur;
        }
    }
    row[b.len()]
}

/// `text` without its leading `keyword` and the space after it.
fn strip_keyword<'a>(text: &'a str, keyword: &str) -> Option<&'a str> {
    let head = text.get(..keyword.len())?;
    if !head.eq_ignore_ascii_case(keyword) {
        return None;
    }
    let rest = &text[keyword.len()..];
    if keyword.ends_with(':') {
        return Some(rest.trim());
    }
    rest.starts_with(char::is_whitespace).then(|| rest.trim())
}

/// The first whitespace-separated word and the trimmed rest.
pub(crate) fn split_word(text: &str) -> (&str, &str) {
    let text = text.trim();
    // `Attributes(Type)`: the reference reads a parenthesis as the end of
    // the keyword too.
    match text.find(|c: char| c.is_whitespace() || c == '(') {
        Some(i) => (&text[..i], text[i..].trim()),
        None => (text, ""),
    }
}

/// `NAME (media/type)` → (`NAME`, `media/type`).
fn split_media_type(text: &str) -> (&str, Option<&str>) {
    let text = text.trim();
    if text.ends_with(')')
        && let Some(open) = text.rfind('(')
    {
        let media = text[open + 1..text.len() - 1].trim();
        return (text[..open].trim(), (!media.is_empty()).then_some(media));
    }
    (text, None)
}

/// Methods recognised in a bare `### METHOD` heading.
const KNOWN_METHODS: [&str; 20] = [
    "GET",
    "HEAD",
    "POST",
    "PUT",
    "DELETE",
    "CONNECT",
    "OPTIONS",
    "TRACE",
    "PATCH",
    "LINK",
    "UNLINK",
    "QUERY",
    "PROPFIND",
    "PROPPATCH",
    "MKCOL",
    "COPY",
    "MOVE",
    "LOCK",
    "UNLOCK",
    "SEARCH",
];

/// HTTP method tokens are upper-case letters (GET, LINK, PROPFIND...).
pub(crate) fn is_method(word: &str) -> bool {
    !word.is_empty() && word.len() <= 20 && word.bytes().all(|b| b.is_ascii_uppercase())
}

/// The offset of the `[` that opens the bracket closing `text`, counting
/// nested brackets: `/items{?page[number]}` inside `[...]` is one URI.
fn trailing_bracket(text: &str) -> Option<usize> {
    if !text.ends_with(']') {
        return None;
    }
    let mut depth = 0usize;
    for (i, b) in text.bytes().enumerate().rev() {
        match b {
            b']' => depth += 1,
            b'[' => {
                depth -= 1;
                if depth == 0 {
                    return Some(i);
                }
            }
            _ => {}
        }
    }
    None
}

/// `api/v1/users`: a path written without its leading `/` (the parser
/// reads it with one, and says so).
pub(crate) fn looks_like_relative_path(text: &str) -> bool {
    text.contains('/')
        && !text.contains(char::is_whitespace)
        && text.starts_with(|c: char| c.is_ascii_alphanumeric())
        && !text.contains("://")
}

fn looks_like_uri(text: &str) -> bool {
    !text.contains(char::is_whitespace)
        && (text.starts_with('/') || text.starts_with('{') || text.contains("://"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_resource_and_action_heading_form_is_recognised() {
        assert_eq!(heading("Group Notes"), HeadingKind::Group("Notes"));
        assert_eq!(heading("data structures"), HeadingKind::DataStructures);
        assert_eq!(heading("Data structure"), HeadingKind::DataStructures);
        assert_eq!(
            heading("Group Association [/group-associations/{id}]"),
            HeadingKind::Resource {
                name: Some("Group Association"),
                uri: "/group-associations/{id}",
                uri_at: 19
            }
        );
        assert_eq!(
            heading("Items [/items{?page[number],page[size]}]"),
            HeadingKind::Resource {
                name: Some("Items"),
                uri: "/items{?page[number],page[size]}",
                uri_at: 7
            }
        );
        assert_eq!(
            heading("Customers [/retailers/api/v1/customers/:id]"),
            HeadingKind::Resource {
                name: Some("Customers"),
                uri: "/retailers/api/v1/customers/:id",
                uri_at: 11
            }
        );
        assert_eq!(
            heading("/notes"),
            HeadingKind::Resource {
                name: None,
                uri: "/notes",
                uri_at: 0
            }
        );
        assert_eq!(
            heading("GET /notes/{id}"),
            HeadingKind::ResourceAction {
                method: "GET",
                uri: "/notes/{id}",
                uri_at: 4
            }
        );
        assert_eq!(
            heading("Get a note [GET]"),
            HeadingKind::Action {
                name: Some("Get a note"),
                method: "GET",
                uri: None
            }
        );
        assert_eq!(
            heading("Get [GET /retailers/api/v1/agents]"),
            HeadingKind::Action {
                name: Some("Get"),
                method: "GET",
                uri: Some(("/retailers/api/v1/agents", 9))
            }
        );
        assert_eq!(
            heading("DELETE"),
            HeadingKind::Action {
                name: None,
                method: "DELETE",
                uri: None
            }
        );
        assert_eq!(heading("API Blueprint"), HeadingKind::Other);
        assert_eq!(heading("API"), HeadingKind::Other);
        assert_eq!(
            heading("Sub [SUBSCRIBE]"),
            HeadingKind::Action {
                name: Some("Sub"),
                method: "SUBSCRIBE",
                uri: None
            }
        );
        assert_eq!(heading("Notes [see below]"), HeadingKind::Other);
    }

    #[test]
    fn list_item_signatures_are_recognised_in_any_case() {
        assert_eq!(
            item("Request returns all customers"),
            ItemKind::Request {
                name: Some("returns all customers"),
                media_type: None
            }
        );
        assert_eq!(
            item("RESPONSE 200 (application/json)"),
            ItemKind::Response {
                status: "200",
                media_type: Some("application/json")
            }
        );
        assert_eq!(
            item("Model (text/plain)"),
            ItemKind::Model {
                media_type: Some("text/plain")
            }
        );
        assert_eq!(
            item("Attributes (Note)"),
            ItemKind::Attributes {
                type_spec: Some("Note")
            }
        );
        assert_eq!(item("Relation: next"), ItemKind::Relation("next"));
        assert_eq!(item("headers"), ItemKind::Headers);
        assert_eq!(item("Body"), ItemKind::Body);
        assert_eq!(item("Body of work"), ItemKind::Other);
        assert_eq!(item("token"), ItemKind::Other);
    }

    #[test]
    fn misspelled_keywords_are_noticed() {
        assert_eq!(near_keyword("Reponse"), Some("Response"));
        assert_eq!(near_keyword("Hedaers"), Some("Headers"));
        assert_eq!(near_keyword("token"), None);
        assert_eq!(near_keyword("Response"), None);
    }
}
