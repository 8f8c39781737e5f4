//! Blocks → [`Blueprint`], collecting diagnostics on the way.
//!
//! The walk keeps a cursor (overview, group, resource, action, data
//! structures) and reads each top-level block against it: headings move the
//! cursor (nesting follows keyword order, not heading level), lists hold the
//! sections of whatever the cursor points at, everything else is
//! description. Problems are recorded and parsing goes on: a spec with one
//! broken action still serves all the others.

use std::collections::HashMap;
use std::sync::LazyLock;

use regex::Regex;

use super::markdown::{self, Block, BlockKind, Item};
use super::model::{
    Action, Asset, Attributes, Blueprint, DataStructure, Example, Group, Message, Parameter,
    Request, Resource, Response,
};
use super::parameters;
use super::signature::{self, HeadingKind, ItemKind};
use super::uri_template::UriTemplate;
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
        mson_warned: false,
    };
    let blocks = markdown::blocks(source.text());
    for (i, block) in blocks.iter().enumerate() {
        parser.block(i, block);
    }
    parser.finish();
    (parser.bp, parser.diags)
}

/// Where the walk is: what new description and sections belong to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Cursor {
    Overview,
    Group,
    Resource,
    Action,
    DataStructures,
}

struct Parser<'a> {
    source: &'a SourceFile,
    text: &'a str,
    bp: Blueprint,
    diags: Vec<Diagnostic>,
    cursor: Cursor,
    /// A heading that is not a section, met inside an action: requests and
    /// responses after it still go to that action, which is worth a warning.
    stray_heading: Option<(Span, String)>,
    /// The current resource came from a `## Name [METHOD URI]` endpoint.
    in_endpoint: bool,
    mson_warned: bool,
}

/// `[Name][]` alone in a message: a model reference.
static MODEL_REF: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"^\[([^\[\]]+)\]\[\]$").expect("static regex"));

/// rspec_api_documentation writes each request's concrete URI as
/// `**GET**&nbsp;&nbsp;`/path?query`` in its description.
static RSPEC_URI: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"\*\*([A-Za-z]+)\*\*(?:&nbsp;|\s)*`([^`]+)`").expect("static regex")
});

impl<'a> Parser<'a> {
    fn slice(&self, span: Span) -> &'a str {
        self.text.get(span.start..span.end).unwrap_or("")
    }

    fn warn(&mut self, at: usize, message: impl Into<String>) {
        let d = Diagnostic::warning(self.source.location(at), message);
        self.diags.push(d);
    }

    fn error(&mut self, at: usize, message: impl Into<String>) {
        let d = Diagnostic::error(self.source.location(at), message);
        self.diags.push(d);
    }

    fn block(&mut self, index: usize, block: &Block) {
        match &block.kind {
            BlockKind::Heading => self.heading(block.span),
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
    fn metadata(&mut self, span: Span) -> bool {
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

    fn heading(&mut self, span: Span) {
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
                self.warn_mson(at, "Data Structures");
                self.cursor = Cursor::DataStructures;
            }
            HeadingKind::Resource { name, uri, uri_at } => {
                if self.cursor == Cursor::DataStructures {
                    // `### Name (type)` never contains `[`, but a bare URI
                    // heading does end the section.
                }
                if let Some(uri) = self.template(uri, at + uri_at) {
                    self.push_resource(name, uri, Span::new(at, span.end));
                } else {
                    self.cursor = Cursor::Group;
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
                    self.cursor = Cursor::Group;
                }
            }
            HeadingKind::Action { name, method, uri } => {
                let uri = match uri {
                    Some((uri, uri_at)) => match self.template(uri, at + uri_at) {
                        Some(t) => Some(t),
                        None => return self.describe(span),
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
                    (_, None) => self.error(
                        at,
                        format!(
                            "action `{text}` is not inside a resource; add a resource heading \
                             such as `## Name [/path]` above it, or give the action a URI: \
                             `[{method} /path]`"
                        ),
                    ),
                }
            }
            HeadingKind::Other => self.other_heading(text, at, span),
        }
    }

    fn other_heading(&mut self, text: &str, at: usize, span: Span) {
        match self.cursor {
            Cursor::Overview if self.bp.name.is_none() && self.bp.groups.is_empty() => {
                self.bp.name = Some(text.to_string());
            }
            Cursor::DataStructures => {
                let (name, base) = match text.rfind('(') {
                    Some(open) if text.ends_with(')') => (
                        text[..open].trim(),
                        Some(text[open + 1..text.len() - 1].trim().to_string()),
                    ),
                    _ => (text, None),
                };
                self.bp.data_structures.push(DataStructure {
                    name: name.to_string(),
                    base,
                    text: String::new(),
                    span: Span::new(at, span.end),
                });
            }
            Cursor::Action => {
                self.stray_heading = Some((Span::new(at, span.end), text.to_string()));
                self.describe(span);
            }
            _ => self.describe(span),
        }
    }

    fn template(&mut self, uri: &str, at: usize) -> Option<UriTemplate> {
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

    fn push_resource(&mut self, name: Option<&str>, uri: UriTemplate, span: Span) {
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

    fn push_action(
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
                examples: Vec::new(),
                span,
            });
            self.cursor = Cursor::Action;
            self.stray_heading = None;
        }
    }

    fn resource_mut(&mut self) -> Option<&mut Resource> {
        self.bp.groups.last_mut()?.resources.last_mut()
    }

    fn action_mut(&mut self) -> Option<&mut Action> {
        self.resource_mut()?.actions.last_mut()
    }

    // ----- description ----------------------------------------------------

    fn describe(&mut self, span: Span) {
        let text = self.slice(span).trim_end().to_string();
        let target = match self.cursor {
            Cursor::Overview => Some(&mut self.bp.description),
            Cursor::Group => self.bp.groups.last_mut().map(|g| &mut g.description),
            Cursor::Resource => self.resource_mut().map(|r| &mut r.description),
            Cursor::Action => self.action_mut().map(|a| &mut a.description),
            Cursor::DataStructures => self.bp.data_structures.last_mut().map(|d| &mut d.text),
        };
        if let Some(target) = target {
            append_paragraph(target, &text);
        }
    }

    // ----- list sections --------------------------------------------------

    /// The first line of an item and where it starts.
    fn signature_line(&self, item: &Item) -> (String, usize) {
        match item.children.first() {
            Some(Block {
                kind: BlockKind::Paragraph,
                span,
            }) => {
                let text = self.slice(*span);
                let line = text.lines().next().unwrap_or("");
                (line.trim().to_string(), span.start)
            }
            _ => (String::new(), item.span.start),
        }
    }

    fn top_item(&mut self, item: &Item) {
        let (line, at) = self.signature_line(item);
        let kind = signature::item(&line);
        match (self.cursor, kind) {
            (Cursor::DataStructures, _) => self.describe(item.span),
            (Cursor::Action, ItemKind::Request { name, media_type }) => {
                self.note_stray_heading(at);
                let message = self.message(item, media_type);
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
                let message = self.message(item, media_type);
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
            (Cursor::Resource, ItemKind::Request { .. } | ItemKind::Response { .. }) => {
                self.warn(
                    at,
                    "request or response outside an action; add an action heading such as \
                     `### Name [GET]` above it",
                );
                self.describe(item.span);
            }
            (Cursor::Action, ItemKind::Headers | ItemKind::Body | ItemKind::Schema) => {
                self.warn(
                    at,
                    format!(
                        "`{line}` must be nested inside a `+ Request` or `+ Response` \
                         (indent it by 4 spaces); ignored"
                    ),
                );
            }
            (Cursor::Action, ItemKind::Other) => {
                self.maybe_misspelled(&line, at, item);
                self.describe(item.span);
            }
            _ => self.describe(item.span),
        }
    }

    fn note_stray_heading(&mut self, at: usize) {
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
    fn maybe_misspelled(&mut self, line: &str, at: usize, item: &Item) {
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

    fn status(&mut self, text: &str, at: usize) -> Option<u16> {
        if text.is_empty() {
            return Some(200);
        }
        match text.parse::<u16>() {
            Ok(s) if (100..=599).contains(&s) && text.len() == 3 => Some(s),
            _ => {
                self.error(
                    at,
                    format!("response status `{text}` is not a 3-digit HTTP status code (100-599)"),
                );
                None
            }
        }
    }

    /// The concrete URI rspec_api_documentation writes into a request's
    /// description.
    fn example_uri(&mut self, message: &Message) -> Option<String> {
        let caps = RSPEC_URI.captures(&message.description)?;
        let method = caps.get(1)?.as_str();
        let uri = caps.get(2)?.as_str().trim();
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

    // ----- messages (request, response, model) ----------------------------

    fn message(&mut self, item: &Item, media_type: Option<&str>) -> Message {
        let mut msg = Message {
            media_type: media_type.map(str::to_string),
            span: item
                .children
                .first()
                .map_or(item.span, |b| Span::new(b.span.start, b.span.start)),
            ..Message::default()
        };
        let mut body_lines: Vec<usize> = Vec::new();
        let mut schema_lines: Vec<usize> = Vec::new();
        let mut has_sections = false;
        for (i, block) in item.children.iter().enumerate() {
            match &block.kind {
                BlockKind::Paragraph if i == 0 => {
                    let text = self.slice(block.span).trim_end();
                    if let Some((_, rest)) = text.split_once('\n') {
                        append_paragraph(&mut msg.description, &dedent_lines(rest));
                    }
                }
                BlockKind::Paragraph => {
                    let text = self.slice(block.span).trim();
                    if let Some(caps) = MODEL_REF.captures(text) {
                        msg.model_ref = caps.get(1).map(|m| m.as_str().trim().to_string());
                        msg.span = block.span;
                    } else {
                        let text = text.to_string();
                        append_paragraph(&mut msg.description, &text);
                    }
                }
                BlockKind::Code(code) => {
                    let (text, offsets) = code.dedented();
                    if has_sections || msg.body.is_some() {
                        self.warn(
                            block.span.start,
                            "asset outside a `+ Body` section; put it under `+ Body` \
                             (ignored)",
                        );
                        continue;
                    }
                    if let Some(caps) = MODEL_REF.captures(text.trim()) {
                        let name = caps.get(1).map_or("", |m| m.as_str());
                        self.warn(
                            block.span.start,
                            format!(
                                "found a possible `{name}` model reference, but it is indented \
                                 as a body (8 spaces); a reference sits directly in the message, \
                                 indented by 4 spaces. Served as a literal body"
                            ),
                        );
                    }
                    msg.body = Some(asset(text, block.span, &offsets));
                    body_lines = offsets;
                }
                BlockKind::List(items) => {
                    has_sections = true;
                    if msg.body.is_some() {
                        self.warn(
                            block.span.start,
                            "sections after an abbreviated body; the body above is kept and a \
                             `+ Body` section below replaces it",
                        );
                    }
                    for sub in items {
                        self.message_section(sub, &mut msg, &mut body_lines, &mut schema_lines);
                    }
                }
                _ => {
                    let text = self.slice(block.span).trim_end().to_string();
                    append_paragraph(&mut msg.description, &text);
                }
            }
        }
        if let Some(media) = &msg.media_type
            && msg.content_type().is_none()
        {
            msg.headers
                .insert(0, ("Content-Type".to_string(), media.clone()));
        }
        self.check_json_assets(&msg, &body_lines, &schema_lines);
        msg
    }

    fn message_section(
        &mut self,
        item: &Item,
        msg: &mut Message,
        body_lines: &mut Vec<usize>,
        schema_lines: &mut Vec<usize>,
    ) {
        let (line, at) = self.signature_line(item);
        match signature::item(&line) {
            ItemKind::Headers => {
                if let Some((text, offsets)) = self.asset_text(item, "Headers") {
                    self.headers(&text, &offsets, msg);
                }
            }
            ItemKind::Body => {
                if let Some((text, offsets)) = self.asset_text(item, "Body") {
                    msg.body = Some(asset(text, item.span, &offsets));
                    *body_lines = offsets;
                }
            }
            ItemKind::Schema => {
                if let Some((text, offsets)) = self.asset_text(item, "Schema") {
                    msg.schema = Some(asset(text, item.span, &offsets));
                    *schema_lines = offsets;
                }
            }
            ItemKind::Attributes { type_spec } => {
                msg.attributes = Some(self.attributes(item, type_spec));
            }
            ItemKind::Parameters => self.warn(
                at,
                "parameters belong to the action or the resource, not to a request; ignored",
            ),
            _ => {
                let hint = signature::near_keyword(signature::split_word(&line).0)
                    .map(|k| format!(", did you mean `{k}`?"))
                    .unwrap_or_else(|| ". Expected Headers, Body, Schema or Attributes".into());
                self.warn(
                    at,
                    format!("unknown section `{line}`{hint} Treated as description"),
                );
                let text = self.slice(item.span).trim_end().to_string();
                append_paragraph(&mut msg.description, &text);
            }
        }
    }

    /// The content of a `+ Headers` / `+ Body` / `+ Schema` section, with
    /// the source offset of each line. Content that is not a code block is
    /// still used, with a warning, so nothing is lost silently.
    fn asset_text(&mut self, item: &Item, what: &str) -> Option<(String, Vec<usize>)> {
        let mut text = String::new();
        let mut offsets = Vec::new();
        let mut misindented: Option<usize> = None;
        for (i, block) in item.children.iter().enumerate() {
            match &block.kind {
                BlockKind::Code(code) => {
                    let (t, o) = code.dedented();
                    if !text.is_empty() {
                        text.push('\n');
                        offsets.push(block.span.start);
                    }
                    text.push_str(&t);
                    offsets.extend(o);
                }
                BlockKind::Paragraph => {
                    let raw = self.slice(block.span).trim_end();
                    let (skip, raw_at) = if i == 0 {
                        match raw.find('\n') {
                            Some(nl) => (&raw[nl + 1..], block.span.start + nl + 1),
                            None => continue,
                        }
                    } else {
                        (raw, block.span.start)
                    };
                    misindented.get_or_insert(raw_at);
                    for (line, at) in lines_with_offsets(skip, raw_at) {
                        let trimmed = line.trim_start();
                        offsets.push(at + (line.len() - trimmed.len()));
                        text.push_str(trimmed);
                        text.push('\n');
                    }
                }
                _ => {
                    misindented.get_or_insert(block.span.start);
                    let raw = self.slice(block.span).to_string();
                    for (line, at) in lines_with_offsets(&raw, block.span.start) {
                        offsets.push(at);
                        text.push_str(line);
                        text.push('\n');
                    }
                }
            }
        }
        if let Some(at) = misindented {
            self.warn(
                at,
                format!(
                    "`+ {what}` content is not a code block: indent it 4 spaces more than the \
                     `+ {what}` line (8 under a top-level item, 12 under a nested one) or fence \
                     it with ```; used as written"
                ),
            );
        }
        if text.is_empty() {
            if what != "Body" {
                self.warn(item.span.start, format!("empty `+ {what}` section"));
            }
            return (what == "Body").then(|| (String::new(), Vec::new()));
        }
        Some((text, offsets))
    }

    fn headers(&mut self, text: &str, offsets: &[usize], msg: &mut Message) {
        for (i, line) in text.lines().enumerate() {
            if line.trim().is_empty() {
                continue;
            }
            match line.split_once(':') {
                Some((name, value))
                    if !name.trim().is_empty() && !name.trim().contains(char::is_whitespace) =>
                {
                    msg.headers
                        .push((name.trim().to_string(), value.trim().to_string()));
                }
                _ => {
                    let at = offsets.get(i).copied().unwrap_or(0);
                    self.warn(
                        at,
                        format!(
                            "header line `{}` is not `Name: value`; ignored",
                            line.trim()
                        ),
                    );
                }
            }
        }
    }

    fn check_json_assets(&mut self, msg: &Message, body_lines: &[usize], schema_lines: &[usize]) {
        let json_body = msg.content_type().is_some_and(is_json_media_type);
        if let Some(body) = msg.body.as_ref().filter(|_| json_body) {
            self.check_json(&body.text, body_lines, "JSON body");
        }
        if let Some(schema) = &msg.schema {
            self.check_json(&schema.text, schema_lines, "JSON Schema");
        }
    }

    fn check_json(&mut self, text: &str, line_offsets: &[usize], what: &str) {
        if text.trim().is_empty() {
            return;
        }
        if let Err(e) = serde_json::from_str::<serde_json::Value>(text) {
            let line = e.line().max(1);
            let line_start = line_offsets.get(line - 1).copied();
            let at = match line_start {
                // serde_json columns are 1-based bytes.
                Some(start) => start + e.column().saturating_sub(1),
                None => line_offsets.last().copied().unwrap_or(0),
            };
            let message = e.to_string();
            let message = message.split(" at line ").next().unwrap_or(&message);
            self.warn(at, format!("invalid {what}: {message}; served as text"));
        }
    }

    fn attributes(&mut self, item: &Item, type_spec: Option<&str>) -> Attributes {
        let at = item.span.start;
        self.warn_mson(at, "Attributes");
        Attributes {
            type_spec: type_spec.map(str::to_string),
            text: self.slice(item.span).trim_end().to_string(),
            span: item.span,
        }
    }

    fn warn_mson(&mut self, at: usize, what: &str) {
        if !self.mson_warned {
            self.mson_warned = true;
            self.warn(
                at,
                format!(
                    "MSON {what} are kept but not yet turned into bodies or schemas; messages \
                     that rely on them have no body (this warning is shown once per file)"
                ),
            );
        }
    }

    // ----- parameters -----------------------------------------------------

    fn parameters(&mut self, item: &Item) -> Vec<Parameter> {
        let mut params = Vec::new();
        for block in item.children.iter().skip(1) {
            let BlockKind::List(entries) = &block.kind else {
                continue;
            };
            for entry in entries {
                if let Some(p) = self.parameter(entry) {
                    params.push(p);
                }
            }
        }
        if params.is_empty() {
            self.warn(item.span.start, "`+ Parameters` lists no parameter");
        }
        params
    }

    fn parameter(&mut self, entry: &Item) -> Option<Parameter> {
        let (line, at) = self.signature_line(entry);
        let Some(sig) = parameters::parse(&line) else {
            self.warn(at, format!("parameter `{line}` has no name; ignored"));
            return None;
        };
        let mut p = Parameter {
            name: sig.name.to_string(),
            example: sig.example.map(str::to_string),
            default: sig.default.map(str::to_string),
            type_name: sig.type_name.map(str::to_string),
            required: sig.required.unwrap_or(true),
            description: sig.description.to_string(),
            span: entry.span,
            ..Parameter::default()
        };
        for block in &entry.children[1.min(entry.children.len())..] {
            match &block.kind {
                BlockKind::List(items) => {
                    for sub in items {
                        self.parameter_section(sub, &mut p);
                    }
                }
                _ => {
                    let text = self.slice(block.span).trim().to_string();
                    append_paragraph(&mut p.description, &text);
                }
            }
        }
        if let (Some(example), false) = (&p.example, p.members.is_empty())
            && !p.members.contains(example)
        {
            self.warn(
                at,
                format!(
                    "example `{example}` of parameter `{}` is not one of its members",
                    p.name
                ),
            );
        }
        Some(p)
    }

    fn parameter_section(&mut self, sub: &Item, p: &mut Parameter) {
        let (line, at) = self.signature_line(sub);
        let lower = line.to_ascii_lowercase();
        if lower.starts_with("default:") {
            p.default = Some(parameters::plain_value(&line["default:".len()..]).to_string());
        } else if lower.starts_with("sample:") || lower.starts_with("example:") {
            let (_, value) = line.split_once(':').unwrap_or(("", ""));
            p.example = Some(parameters::plain_value(value).to_string());
        } else if lower == "members" || lower == "values" {
            if lower == "values" {
                self.warn(at, "`+ Values` is the old form of `+ Members`; accepted");
            }
            for block in &sub.children {
                if let BlockKind::List(values) = &block.kind {
                    for v in values {
                        let (value, _) = self.signature_line(v);
                        p.members.push(parameters::plain_value(&value).to_string());
                    }
                }
            }
        } else {
            let text = self.slice(sub.span).trim().to_string();
            append_paragraph(&mut p.description, &text);
        }
    }

    // ----- whole-document checks -----------------------------------------

    fn finish(&mut self) {
        self.resolve_models();
        self.check_parameters();
        self.check_duplicates();
    }

    /// Fills `[Name][]` references from the resource models.
    fn resolve_models(&mut self) {
        let models: HashMap<String, Message> = self
            .bp
            .groups
            .iter()
            .flat_map(|g| &g.resources)
            .filter_map(|r| Some((r.name.clone()?, r.model.clone()?)))
            .collect();
        let mut undefined = Vec::new();
        for action in self
            .bp
            .groups
            .iter_mut()
            .flat_map(|g| &mut g.resources)
            .flat_map(|r| &mut r.actions)
        {
            for example in &mut action.examples {
                let messages = example
                    .requests
                    .iter_mut()
                    .map(|r| &mut r.message)
                    .chain(example.responses.iter_mut().map(|r| &mut r.message));
                for msg in messages {
                    let Some(name) = msg.model_ref.clone() else {
                        continue;
                    };
                    match models.get(&name) {
                        Some(model) => fill_from_model(msg, model),
                        None => undefined.push((msg.span.start, name)),
                    }
                }
            }
        }
        for (at, name) in undefined {
            let known: Vec<&str> = models.keys().map(String::as_str).collect();
            let hint = if known.is_empty() {
                "no resource in this file defines a `+ Model`".to_string()
            } else {
                format!("models defined: {}", known.join(", "))
            };
            self.error(
                at,
                format!("undefined model reference `[{name}][]`; {hint}"),
            );
        }
    }

    /// Template variables without a description, and described
    /// parameters that no template uses.
    fn check_parameters(&mut self) {
        let mut warnings = Vec::new();
        for resource in self.bp.groups.iter().flat_map(|g| &g.resources) {
            for action in &resource.actions {
                let uri = action.uri.as_ref().unwrap_or(&resource.uri);
                let vars = uri.variables();
                for var in &vars {
                    let described = action
                        .parameters
                        .iter()
                        .chain(&resource.parameters)
                        .any(|p| p.name == *var);
                    if !described {
                        warnings.push((
                            action.span.start,
                            format!(
                                "URI variable `{var}` of `{uri}` is not described in \
                                 `+ Parameters`"
                            ),
                        ));
                    }
                }
                for p in &action.parameters {
                    if !vars.contains(&p.name.as_str()) {
                        warnings.push((
                            p.span.start,
                            format!("parameter `{}` is not in the URI template `{uri}`", p.name),
                        ));
                    }
                }
            }
            for p in &resource.parameters {
                let used = resource.uri.variables().contains(&p.name.as_str())
                    || resource.actions.iter().any(|a| {
                        a.uri
                            .as_ref()
                            .is_some_and(|u| u.variables().contains(&p.name.as_str()))
                    });
                if !used {
                    warnings.push((
                        p.span.start,
                        format!(
                            "parameter `{}` is not in the URI template `{}` or any of its \
                             actions' templates",
                            p.name, resource.uri
                        ),
                    ));
                }
            }
        }
        for (at, message) in warnings {
            self.warn(at, message);
        }
    }

    fn check_duplicates(&mut self) {
        let mut seen: HashMap<(String, String), usize> = HashMap::new();
        let mut found = Vec::new();
        for resource in self.bp.groups.iter().flat_map(|g| &g.resources) {
            for action in &resource.actions {
                let uri = action.uri.as_ref().unwrap_or(&resource.uri);
                let key = (action.method.clone(), uri.route_key());
                if let Some(&first) = seen.get(&key) {
                    found.push((action.span.start, first, key));
                } else {
                    seen.insert(key, action.span.start);
                }
            }
        }
        for (at, first, (method, uri)) in found {
            let d = Diagnostic::warning(
                self.source.location(at),
                format!("duplicate action {method} {uri}: requests will go to the first one"),
            )
            .with_related(self.source.location(first), "first defined here");
            self.diags.push(d);
        }
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

fn fill_from_model(msg: &mut Message, model: &Message) {
    if msg.media_type.is_none() {
        msg.media_type = model.media_type.clone();
    }
    for (name, value) in &model.headers {
        if msg.header(name).is_none() {
            msg.headers.push((name.clone(), value.clone()));
        }
    }
    if msg.body.is_none() {
        msg.body = model.body.clone();
    }
    if msg.schema.is_none() {
        msg.schema = model.schema.clone();
    }
    if msg.attributes.is_none() {
        msg.attributes = model.attributes.clone();
    }
}

fn asset(text: String, span: Span, offsets: &[usize]) -> Asset {
    let start = offsets.first().copied().unwrap_or(span.start);
    Asset {
        text,
        span: Span::new(start, span.end),
    }
}

/// `application/json`, `application/hal+json`, `...; charset=utf-8`.
pub fn is_json_media_type(media: &str) -> bool {
    let essence = media
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase();
    essence == "application/json" || essence.ends_with("+json")
}

fn append_paragraph(target: &mut String, text: &str) {
    if text.is_empty() {
        return;
    }
    if !target.is_empty() {
        target.push_str("\n\n");
    }
    target.push_str(text);
}

fn dedent_lines(text: &str) -> String {
    text.lines().map(str::trim).collect::<Vec<_>>().join("\n")
}

fn lines_with_offsets(text: &str, start: usize) -> impl Iterator<Item = (&str, usize)> {
    let mut at = start;
    text.split_inclusive('\n').map(move |line| {
        let here = at;
        at += line.len();
        (line.trim_end_matches('\n'), here)
    })
}
