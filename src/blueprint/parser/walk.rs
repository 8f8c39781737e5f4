//! Blocks → [`Blueprint`], collecting diagnostics on the way.
//!
//! The walk keeps a cursor (overview, group, resource, action, data
//! structures) and reads each top-level block against it: headings move the
//! cursor (nesting follows keyword order, not heading level), lists hold the
//! sections of whatever the cursor points at, everything else is
//! description. Problems are recorded and parsing goes on: a spec with one
//! broken action still serves all the others.

use super::mson::DsSection;
use crate::blueprint::markdown::{self, Block, BlockKind, Item};
use crate::blueprint::model::{
    Action, Blueprint, Example, Group, Message, Request, Resource, Response,
};
use crate::blueprint::rspec;
use crate::blueprint::signature::{self, HeadingKind, ItemKind};
use crate::blueprint::uri_template::UriTemplate;
use crate::diag::{Diagnostic, SourceFile, Span};

/// Parses one source file. Never fails: problems are diagnostics, and the
/// blueprint holds everything that could still be built.
pub fn parse(source: &SourceFile) -> (Blueprint, Vec<Diagnostic>) {
    let mut parser = Parser {
        source,
        text: source.text(),
        bp: Blueprint {
            file: source.name().clone(),
            ..Blueprint::default()
        },
        diags: Vec::new(),
        cursor: Cursor::Overview,
        stray_heading: None,
        in_endpoint: false,
        ds_section: DsSection::default(),
        mson_depth: 0,
        mson_too_deep: false,
        reindented: false,
        action_headers: Vec::new(),
    };
    let (blocks, reindented) = markdown::blocks(source.text());
    parser.reindented = reindented;
    for (i, block) in blocks.iter().enumerate() {
        parser.block(i, block);
    }
    parser.finish();
    // Whole-document checks run last; people read diagnostics top down.
    parser
        .diags
        .sort_by_key(|d| (d.location.line, d.location.column));
    (parser.bp, parser.diags)
}

/// Where the walk is: what new description and sections belong to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Cursor {
    Overview,
    Group,
    Resource,
    Action,
    DataStructures,
    /// Under a resource or action whose heading could not be built: its
    /// sections are dropped (the heading's error says why) rather than
    /// attached to the previous action.
    Skipped,
}

pub(super) struct Parser<'a> {
    pub(super) source: &'a SourceFile,
    pub(super) text: &'a str,
    pub(super) bp: Blueprint,
    pub(super) diags: Vec<Diagnostic>,
    pub(super) cursor: Cursor,
    /// A heading that is not a section, met inside an action: requests and
    /// responses after it still go to that action, which is worth a warning.
    pub(super) stray_heading: Option<(Span, String)>,
    /// The current resource came from a `## Name [METHOD URI]` endpoint.
    pub(super) in_endpoint: bool,
    pub(super) ds_section: DsSection,
    /// How deep the MSON list being read is, and whether that was already
    /// reported as too deep.
    pub(super) mson_depth: usize,
    pub(super) mson_too_deep: bool,
    /// List lines were re-indented for CommonMark to nest them as the
    /// reference does: code blocks then come from the edited copy.
    pub(super) reindented: bool,
    /// `+ Headers` written directly under the current action.
    pub(super) action_headers: Vec<(String, String)>,
}

impl<'a> Parser<'a> {
    pub(super) fn slice(&self, span: Span) -> &'a str {
        self.text.get(span.start..span.end).unwrap_or("")
    }

    pub(super) fn warn(&mut self, at: usize, message: impl Into<String>) {
        let d = Diagnostic::warning(self.source.location(at), message);
        self.diags.push(d);
    }

    pub(super) fn error(&mut self, at: usize, message: impl Into<String>) {
        let d = Diagnostic::error(self.source.location(at), message);
        self.diags.push(d);
    }

    pub(super) fn block(&mut self, index: usize, block: &Block) {
        match &block.kind {
            BlockKind::Heading => self.heading(block.span),
            _ if self.cursor == Cursor::DataStructures => self.data_structure_block(block),
            BlockKind::Paragraph if index == 0 && self.metadata(block.span) => {}
            BlockKind::List(items) => {
                for item in items {
                    self.top_item(item);
                }
            }
            _ => self.describe(block.span),
        }
    }

    /// A first paragraph of `Key: value` lines is the metadata block.
    pub(super) fn metadata(&mut self, span: Span) -> bool {
        let text = self.slice(span);
        let pairs: Option<Vec<(String, String)>> = text
            .lines()
            .map(|line| {
                let (k, v) = line.split_once(':')?;
                let k = k.trim();
                (!k.is_empty() && !k.contains(char::is_whitespace))
                    .then(|| (k.to_string(), v.trim().to_string()))
            })
            .collect();
        match pairs {
            Some(pairs) if !pairs.is_empty() => {
                self.bp.metadata = pairs;
                true
            }
            _ => false,
        }
    }

    // ----- headings -------------------------------------------------------

    pub(super) fn heading(&mut self, span: Span) {
        let raw = self.slice(span);
        let (text, at) = heading_text(raw);
        let at = span.start + at;
        match signature::heading(text) {
            HeadingKind::Group(name) => {
                self.in_endpoint = false;
                self.bp.groups.push(Group {
                    name: Some(name.to_string()),
                    ..Group::default()
                });
                self.cursor = Cursor::Group;
            }
            HeadingKind::DataStructures => {
                self.cursor = Cursor::DataStructures;
            }
            HeadingKind::Resource { name, uri, uri_at } => {
                let absolute;
                let uri = if signature::looks_like_relative_path(uri) {
                    absolute = format!("/{uri}");
                    self.warn(
                        at + uri_at,
                        format!(
                            "resource URI `{uri}` does not start with `/`; read as `{absolute}` \
                             (the reference parser drops this resource and its actions)"
                        ),
                    );
                    absolute.as_str()
                } else {
                    uri
                };
                if let Some(uri) = self.template(uri, at + uri_at) {
                    self.push_resource(name, uri, Span::new(at, span.end));
                } else {
                    self.cursor = Cursor::Skipped;
                }
            }
            HeadingKind::ResourceAction {
                method,
                uri,
                uri_at,
            } => {
                if let Some(uri) = self.template(uri, at + uri_at) {
                    let span = Span::new(at, span.end);
                    self.push_resource(None, uri, span);
                    self.push_action(None, method, None, span);
                } else {
                    self.cursor = Cursor::Skipped;
                }
            }
            HeadingKind::Action { name, method, uri } => {
                let uri = match uri {
                    Some((uri, uri_at)) => match self.template(uri, at + uri_at) {
                        Some(t) => Some(t),
                        None => {
                            self.cursor = Cursor::Skipped;
                            return;
                        }
                    },
                    None => None,
                };
                let span = Span::new(at, span.end);
                match (self.cursor, uri) {
                    // After an endpoint, another `[METHOD URI]` heading is
                    // the next endpoint, as the reference reads it.
                    (Cursor::Resource | Cursor::Action, uri)
                        if !(self.in_endpoint && uri.is_some()) =>
                    {
                        self.push_action(name, method, uri, span)
                    }
                    // `## Name [POST /x]` outside a resource: an endpoint,
                    // a resource of its own named after the action.
                    (_, Some(uri)) => {
                        self.push_resource(name, uri, span);
                        self.push_action(name, method, None, span);
                        self.in_endpoint = true;
                    }
                    // The resource above could not be built; its error
                    // already says why.
                    (Cursor::Skipped, None) => {}
                    (_, None) => {
                        self.error(
                            at,
                            format!(
                                "action `{text}` is not inside a resource; add a resource \
                                 heading such as `## Name [/path]` above it, or give the action \
                                 a URI: `[{method} /path]`"
                            ),
                        );
                        // Its sections go with it; the error says why.
                        self.cursor = Cursor::Skipped;
                    }
                }
            }
            HeadingKind::Other => self.other_heading(text, at, span),
        }
    }

    pub(super) fn other_heading(&mut self, text: &str, at: usize, span: Span) {
        match self.cursor {
            Cursor::Overview if self.bp.name.is_none() && self.bp.groups.is_empty() => {
                self.bp.name = Some(text.to_string());
            }
            Cursor::DataStructures => {
                if !self.data_structure_section(text) {
                    self.data_structure(text, at, span);
                }
            }
            Cursor::Action => {
                self.stray_heading = Some((Span::new(at, span.end), text.to_string()));
                self.describe(span);
            }
            _ => self.describe(span),
        }
    }

    pub(super) fn template(&mut self, uri: &str, at: usize) -> Option<UriTemplate> {
        match UriTemplate::parse(uri) {
            Ok(t) => Some(t),
            Err(e) => {
                self.error(
                    at + e.offset,
                    format!("invalid URI template `{uri}`: {}", e.message),
                );
                None
            }
        }
    }

    pub(super) fn push_resource(&mut self, name: Option<&str>, uri: UriTemplate, span: Span) {
        if self.bp.groups.is_empty() {
            self.bp.groups.push(Group::default());
        }
        let group = self.bp.groups.last_mut().expect("pushed above");
        group.resources.push(Resource {
            name: name.map(str::to_string),
            uri,
            description: String::new(),
            parameters: Vec::new(),
            model: None,
            attributes: None,
            actions: Vec::new(),
            span,
        });
        self.cursor = Cursor::Resource;
        self.stray_heading = None;
        self.in_endpoint = false;
    }

    pub(super) fn push_action(
        &mut self,
        name: Option<&str>,
        method: &str,
        uri: Option<UriTemplate>,
        span: Span,
    ) {
        if let Some(resource) = self.resource_mut() {
            resource.actions.push(Action {
                name: name.map(str::to_string),
                method: method.to_string(),
                uri,
                description: String::new(),
                parameters: Vec::new(),
                attributes: None,
                relation: None,
                attributes_schema: None,
                examples: Vec::new(),
                span,
            });
            self.cursor = Cursor::Action;
            self.stray_heading = None;
            self.action_headers.clear();
        }
    }

    pub(super) fn resource_mut(&mut self) -> Option<&mut Resource> {
        self.bp.groups.last_mut()?.resources.last_mut()
    }

    pub(super) fn action_mut(&mut self) -> Option<&mut Action> {
        self.resource_mut()?.actions.last_mut()
    }

    // ----- description ----------------------------------------------------

    pub(super) fn describe(&mut self, span: Span) {
        let text = self.slice(span).trim_end().to_string();
        let target = match self.cursor {
            Cursor::Overview => Some(&mut self.bp.description),
            Cursor::Group => self.bp.groups.last_mut().map(|g| &mut g.description),
            Cursor::Resource => self.resource_mut().map(|r| &mut r.description),
            Cursor::Action => self.action_mut().map(|a| &mut a.description),
            Cursor::DataStructures => self.bp.data_structures.last_mut().map(|d| &mut d.text),
            Cursor::Skipped => None,
        };
        if let Some(target) = target {
            append_paragraph(target, &text);
        }
    }

    // ----- list sections --------------------------------------------------

    /// The first line of an item and where it starts.
    pub(super) fn signature_line(&self, item: &Item) -> (&'a str, usize) {
        match item.children.first() {
            Some(Block {
                kind: BlockKind::Paragraph,
                span,
            }) => {
                let text = self.slice(*span);
                // memchr: `split('\n')` verifies each hit with a memcmp
                // call, which showed in parse profiles.
                let line = &text[..memchr::memchr(b'\n', text.as_bytes()).unwrap_or(text.len())];
                (line.trim(), span.start)
            }
            _ => ("", item.span.start),
        }
    }

    pub(super) fn top_item(&mut self, item: &Item) {
        let (line, at) = self.signature_line(item);
        let kind = signature::item(line);
        match (self.cursor, kind) {
            (Cursor::DataStructures, _) => self.describe(item.span),
            (Cursor::Action, ItemKind::Request { name, media_type }) => {
                self.note_stray_heading(at);
                let mut message = self.message(item, media_type);
                self.add_action_headers(&mut message);
                let example_uri = self.example_uri(&message);
                let request = Request {
                    name: name.map(str::to_string),
                    example_uri,
                    message,
                };
                if let Some(action) = self.action_mut() {
                    match action.examples.last_mut() {
                        Some(ex) if ex.responses.is_empty() => ex.requests.push(request),
                        _ => action.examples.push(Example {
                            requests: vec![request],
                            responses: Vec::new(),
                        }),
                    }
                }
            }
            (Cursor::Action, ItemKind::Response { status, media_type }) => {
                self.note_stray_heading(at);
                let status_at = at + line.find(status).unwrap_or(0);
                let status = self.status(status, status_at);
                let mut message = self.message(item, media_type);
                self.add_action_headers(&mut message);
                if let (Some(status), Some(action)) = (status, self.action_mut()) {
                    let response = Response { status, message };
                    match action.examples.last_mut() {
                        Some(ex) => ex.responses.push(response),
                        None => action.examples.push(Example {
                            requests: Vec::new(),
                            responses: vec![response],
                        }),
                    }
                }
            }
            (Cursor::Action | Cursor::Resource, ItemKind::Parameters) => {
                let params = self.parameters(item);
                if self.cursor == Cursor::Action {
                    if let Some(a) = self.action_mut() {
                        a.parameters.extend(params);
                    }
                } else if let Some(r) = self.resource_mut() {
                    r.parameters.extend(params);
                }
            }
            (Cursor::Action | Cursor::Resource, ItemKind::Attributes { type_spec }) => {
                let attributes = self.attributes(item, type_spec);
                if self.cursor == Cursor::Action {
                    if let Some(a) = self.action_mut() {
                        a.attributes = Some(attributes);
                    }
                } else if let Some(r) = self.resource_mut() {
                    r.attributes = Some(attributes);
                }
            }
            (Cursor::Action, ItemKind::Relation(name)) => {
                let name = name.to_string();
                if let Some(a) = self.action_mut() {
                    a.relation = Some(name);
                }
            }
            (Cursor::Resource, ItemKind::Model { media_type }) => {
                let model = self.message(item, media_type);
                if let Some(r) = self.resource_mut() {
                    if r.model.is_some() {
                        self.warn(
                            at,
                            "a resource has one model; this second `+ Model` replaces the first",
                        );
                    }
                    if let Some(r) = self.resource_mut() {
                        r.model = Some(model);
                    }
                }
            }
            (
                Cursor::Resource | Cursor::Group | Cursor::Overview,
                ItemKind::Request { .. } | ItemKind::Response { .. },
            ) => {
                self.warn(
                    at,
                    "request or response outside an action; add an action heading such as \
                     `### Name [GET]` above it",
                );
                self.describe(item.span);
            }
            // The reference's deprecated action-level headers: every
            // request and response after them carries them.
            (Cursor::Action, ItemKind::Headers) => {
                let mut holder = Message::default();
                if let Some((text, offsets)) = self.asset_text(item, "Headers") {
                    self.headers(&text, &offsets, &mut holder);
                }
                self.warn(
                    at,
                    "`+ Headers` directly under an action is deprecated; they are added to \
                     every request and response below it. Nest them in each `+ Request` or \
                     `+ Response` instead",
                );
                self.action_headers = holder.headers;
            }
            (Cursor::Action, ItemKind::Body | ItemKind::Schema) => {
                self.warn(
                    at,
                    format!(
                        "`{line}` must be nested inside a `+ Request` or `+ Response` \
                         (indent it by 4 spaces); ignored"
                    ),
                );
            }
            (Cursor::Action, ItemKind::Other) => {
                self.maybe_misspelled(line, at, item);
                self.describe(item.span);
            }
            // A section keyword where it has no meaning (`+ Body` under a
            // resource, `+ Parameters` under a group): kept as description,
            // but never silently.
            (Cursor::Resource | Cursor::Group | Cursor::Overview, kind)
                if kind != ItemKind::Other =>
            {
                self.warn(
                    at,
                    format!(
                        "`{line}` does not belong here (it goes under an action, a request or a \
                         response); treated as description"
                    ),
                );
                self.describe(item.span);
            }
            _ => self.describe(item.span),
        }
    }

    /// The action-level `+ Headers` met so far, after the message's own.
    fn add_action_headers(&self, message: &mut Message) {
        for (name, value) in &self.action_headers {
            if message.header(name).is_none() {
                message.headers.push((name.clone(), value.clone()));
            }
        }
    }

    pub(super) fn note_stray_heading(&mut self, at: usize) {
        if let Some((span, text)) = self.stray_heading.take() {
            let heading = self.source.location(span.start);
            self.diags.push(
                Diagnostic::warning(
                    heading.clone(),
                    format!(
                        "heading `{text}` is not an API Blueprint section (an action needs \
                         `[METHOD]`); the requests and responses below it are added to the \
                         previous action"
                    ),
                )
                .with_related(self.source.location(at), "first of them"),
            );
        }
    }

    /// Warns about an unknown list item that looks like a section.
    pub(super) fn maybe_misspelled(&mut self, line: &str, at: usize, item: &Item) {
        let (word, _) = signature::split_word(line);
        if let Some(keyword) = signature::near_keyword(word) {
            self.warn(
                at,
                format!(
                    "unknown section `{line}`, did you mean `{keyword}`? Treated as description"
                ),
            );
        } else if item
            .children
            .iter()
            .any(|b| matches!(b.kind, BlockKind::Code(_) | BlockKind::List(_)))
        {
            self.warn(
                at,
                format!(
                    "unknown section `{line}` holds nested sections or an asset; expected \
                     Request, Response, Parameters, Attributes or Relation. Treated as description"
                ),
            );
        }
    }

    pub(super) fn status(&mut self, text: &str, at: usize) -> Option<u16> {
        if text.is_empty() {
            return Some(200);
        }
        let code = |t: &str| {
            t.parse::<u16>()
                .ok()
                .filter(|s| (100..=599).contains(s) && t.len() == 3)
        };
        if let Some(s) = code(text) {
            return Some(s);
        }
        // `200 OK`, `404 Not Found`: the code is what the author meant
        // (the reference assumes 200 and drops the media type).
        if let Some((head, reason)) = text.split_once(char::is_whitespace)
            && let Some(s) = code(head)
        {
            self.warn(
                at,
                format!(
                    "`{}` after the status code is not part of the format; read as `Response {s}`",
                    reason.trim()
                ),
            );
            return Some(s);
        }
        self.error(
            at,
            format!("response status `{text}` is not a 3-digit HTTP status code (100-599)"),
        );
        None
    }

    /// The concrete URI rspec_api_documentation writes into a request's
    /// description.
    pub(super) fn example_uri(&mut self, message: &Message) -> Option<String> {
        let (method, uri) = rspec::example_uri(&message.description)?;
        let action_method = self.action_mut().map(|a| a.method.clone())?;
        if !method.eq_ignore_ascii_case(&action_method) {
            self.warn(
                message.span.start,
                format!(
                    "the request's example URI is written for {method} but the action is \
                     {action_method}; the example URI is still used"
                ),
            );
        }
        if !uri.starts_with('/') {
            self.warn(
                message.span.start,
                format!("example URI `{uri}` does not start with `/`; ignored"),
            );
            return None;
        }
        Some(uri.to_string())
    }
}

/// A heading's text without `#` marks, and its offset in the raw heading.
fn heading_text(raw: &str) -> (&str, usize) {
    let first = raw.lines().next().unwrap_or("");
    let body = first.trim_start().trim_start_matches('#');
    let body = body.trim_end();
    // ATX closing sequence: ` ##` at the end.
    let body = match body.trim_end_matches('#') {
        b if b.len() < body.len() && (b.is_empty() || b.ends_with(' ')) => b.trim_end(),
        _ => body,
    };
    let trimmed = body.trim_start();
    let at = trimmed.as_ptr() as usize - raw.as_ptr() as usize;
    (trimmed, at)
}

pub(super) fn append_paragraph(target: &mut String, text: &str) {
    if text.is_empty() {
        return;
    }
    if !target.is_empty() {
        target.push_str("\n\n");
    }
    target.push_str(text);
}
