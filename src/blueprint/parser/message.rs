//! Requests, responses and models: their signature, description, model
//! reference, and the Headers / Body / Schema / Attributes sections with
//! their assets.

use std::sync::LazyLock;

use regex::Regex;

use super::walk::{Parser, append_paragraph};
use crate::blueprint::markdown::{BlockKind, CodeBlock, Item};
use crate::blueprint::model::{Asset, Message};
use crate::blueprint::signature::{self, ItemKind};
use crate::diag::Span;

/// A list item's signature line, where it starts, and what it declares.
type Signature<'a> = (&'a str, usize, ItemKind<'a>);

/// `[Name][]` alone in a message: a model reference.
static MODEL_REF: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"^\[([^\[\]]+)\]\[\]$").expect("static regex"));

impl<'a> Parser<'a> {
    pub(super) fn message(&mut self, item: &Item, media_type: Option<&str>) -> Message {
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
        // Without a Headers, Body, Schema or Attributes section the message
        // is abbreviated: everything in it is its body (or a `[Model][]`
        // reference), as in the reference. Otherwise text is description
        // and an asset outside `+ Body` is not used.
        let sections: Vec<Vec<Signature>> = item
            .children
            .iter()
            .map(|b| match &b.kind {
                BlockKind::List(items) => items
                    .iter()
                    .map(|i| {
                        let (line, at) = self.signature_line(i);
                        (line, at, signature::item(line))
                    })
                    .collect(),
                _ => Vec::new(),
            })
            .collect();
        let abbreviated = !sections.iter().flatten().any(|(_, _, kind)| {
            matches!(
                kind,
                ItemKind::Headers | ItemKind::Body | ItemKind::Schema | ItemKind::Attributes { .. }
            )
        });
        let mut content: Vec<Content> = Vec::new();
        let keyword = signature::split_word(self.signature_line(item).0).0;
        let mut after_body = false;
        for (i, block) in item.children.iter().enumerate() {
            match &block.kind {
                BlockKind::Paragraph if i == 0 => {
                    let text = self.slice(block.span).trim_end();
                    let Some((_, rest)) = text.split_once('\n') else {
                        continue;
                    };
                    let rest_at = block.span.start + text.len() - rest.trim_start().len();
                    if !abbreviated {
                        if MODEL_REF.is_match(rest.trim()) {
                            self.warn(rest_at, unused_model_reference(rest.trim()));
                        }
                        append_trimmed_lines(&mut msg.description, rest);
                    } else if let Some(caps) = MODEL_REF.captures(rest.trim()) {
                        msg.model_ref = caps.get(1).map(|m| m.as_str().trim().to_string());
                        msg.span = Span::new(rest_at, block.span.end);
                    } else if !rest.trim().is_empty() {
                        content.push(Content::Rest(Span::new(rest_at, block.span.end)));
                    }
                }
                BlockKind::Paragraph => {
                    let text = self.slice(block.span).trim();
                    let model_ref = MODEL_REF.captures(text).filter(|_| content.is_empty());
                    if let Some(caps) = model_ref.as_ref().filter(|_| abbreviated) {
                        msg.model_ref = caps.get(1).map(|m| m.as_str().trim().to_string());
                        msg.span = block.span;
                    } else if model_ref.is_some() {
                        self.warn(block.span.start, unused_model_reference(text));
                        let text = text.to_string();
                        append_paragraph(&mut msg.description, &text);
                    } else if abbreviated {
                        content.push(Content::Text(block.span));
                    } else {
                        let text = text.to_string();
                        append_paragraph(&mut msg.description, &text);
                    }
                }
                BlockKind::Code(code) if !abbreviated && after_body => {
                    // A dangling asset right after `+ Body` (a fence at
                    // the `+ Body` line's own indentation): the body's, as
                    // in the reference.
                    let (text, offsets) = code.dedented();
                    self.warn(
                        block.span.start,
                        "asset after `+ Body` but not inside it: indent it 4 spaces more than \
                         the `+ Body` line; used as its content",
                    );
                    let body = msg
                        .body
                        .get_or_insert_with(|| asset(String::new(), block.span, &offsets));
                    body.text.push_str(&text);
                    body_lines.extend(offsets);
                }
                BlockKind::Code(code) => {
                    if !abbreviated {
                        self.warn(
                            block.span.start,
                            "asset outside a `+ Body` section of a message that has \
                             sections; put it under `+ Body` (ignored)",
                        );
                        continue;
                    }
                    // Only a block that opens with `[` and closes with `][]`
                    // can be a reference: others are not dedented twice.
                    let reference_shaped = code.edge_lines().is_some_and(|(first, last)| {
                        first.starts_with('[') && last.ends_with("][]")
                    });
                    let text = if reference_shaped {
                        code.dedented().0
                    } else {
                        String::new()
                    };
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
                    content.push(Content::Code(block.span, code));
                }
                // A list of no known section in an abbreviated message is
                // part of its body, as written (the reference's reading).
                BlockKind::List(_)
                    if abbreviated && sections[i].iter().all(|(_, _, k)| *k == ItemKind::Other) =>
                {
                    content.push(Content::Text(block.span));
                }
                BlockKind::List(items) => {
                    for (sub, signature) in items.iter().zip(&sections[i]) {
                        self.message_section(
                            sub,
                            signature,
                            &mut msg,
                            &mut body_lines,
                            &mut schema_lines,
                        );
                    }
                    after_body = matches!(sections[i].last(), Some((_, _, ItemKind::Body)));
                }
                _ if abbreviated => content.push(Content::Text(block.span)),
                _ => {
                    let text = self.slice(block.span).trim_end().to_string();
                    append_paragraph(&mut msg.description, &text);
                }
            }
        }
        if !content.is_empty() {
            if msg.model_ref.is_some() {
                self.warn(
                    content[0].span().start,
                    "content after a `[Model][]` reference; the reference is used and this \
                     content ignored",
                );
            } else if let Some((text, offsets, first)) = self.content_text(&content, keyword, 1) {
                msg.body = Some(asset(text, first, &offsets));
                body_lines = offsets;
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

    /// The text of an asset's content blocks and each line's source offset,
    /// and where it starts. One code block (the format's way) is its code;
    /// anything else is taken as written, as the reference takes it: each
    /// line without what the list nesting strips (and without the code
    /// indentation in a code block), blank lines kept. Content that is not
    /// a code block is warned about at its first line. `None` when there is
    /// only white space.
    fn content_text(
        &mut self,
        content: &[Content],
        what: &str,
        depth: usize,
    ) -> Option<(String, Vec<usize>, Span)> {
        let first = content.first()?.span();
        let last = content.last()?.span();
        let span = Span::new(first.start, last.end);
        let (text, offsets) = match content {
            [Content::Code(_, code)] if code.fenced => code.dedented(),
            // An indented code block loses exactly what the reference takes
            // from it (the nesting and 4 columns): a body indented deeper
            // than the format asks keeps the extra, as written.
            [Content::Code(span, code)] => match self.reference_cut(code, depth) {
                Some(cut) => code.dedented_by(cut),
                None => {
                    let (mut text, mut offsets) = (String::new(), Vec::new());
                    self.as_written(*span, depth, 4, &mut text, &mut offsets);
                    (text, offsets)
                }
            },
            _ => {
                let mut text = String::new();
                let mut offsets = Vec::new();
                let mut previous_end: Option<usize> = None;
                for piece in content {
                    let span = piece.span();
                    // Blank lines after the text right under a signature
                    // line do not stay (the reference joins the two).
                    if let Some(end) = previous_end.filter(|_| !matches!(piece, Content::Rest(_))) {
                        // Blank lines between two blocks stay.
                        let gap = self.text.get(end..span.start).unwrap_or("");
                        let ended = self.text[..end].ends_with('\n');
                        let blank =
                            gap.matches('\n').count() - usize::from(!ended && gap.contains('\n'));
                        for _ in 0..blank {
                            offsets.push(end);
                            text.push('\n');
                        }
                    }
                    previous_end = (!matches!(piece, Content::Rest(_))).then_some(span.end);
                    match piece {
                        Content::Code(_, code) if code.fenced => {
                            let (t, o) = code.dedented();
                            text.push_str(&t);
                            offsets.extend(o);
                        }
                        Content::Code(span, _) => {
                            self.as_written(*span, depth, 4, &mut text, &mut offsets)
                        }
                        Content::Text(span) | Content::Rest(span) => {
                            self.as_written(*span, depth, 0, &mut text, &mut offsets)
                        }
                    }
                }
                if !content.iter().all(|c| matches!(c, Content::Code(..))) {
                    let at = content
                        .iter()
                        .find(|c| matches!(c, Content::Text(_) | Content::Rest(_)))
                        .map_or(first.start, |c| c.span().start);
                    self.warn(
                        at,
                        format!(
                            "`+ {what}` content is not a code block: indent it 4 spaces more \
                             than the `+ {what}` line (8 under a top-level item, 12 under a \
                             nested one) or fence it with ```; used as written"
                        ),
                    );
                }
                (text, offsets)
            }
        };
        if text.trim().is_empty() {
            return None;
        }
        Some((text, offsets, span))
    }

    /// How many more leading spaces the reference takes from the lines of
    /// an indented code block than CommonMark took (the nesting and 4
    /// columns, counted on its first line), when that can be told from the
    /// block alone: not where the document was re-indented for CommonMark
    /// or the line holds a tab. `as_written` does the same line by line.
    fn reference_cut(&self, code: &CodeBlock, depth: usize) -> Option<usize> {
        if self.reindented {
            return None;
        }
        let offset = code.first_offset()?;
        let bytes = self.text.as_bytes();
        let line_start = memchr::memrchr(b'\n', bytes.get(..offset)?).map_or(0, |n| n + 1);
        let taken = &bytes[line_start..offset];
        if taken.iter().any(|&b| b != b' ') {
            return None;
        }
        let reference = 4 * depth + 4;
        Some(reference.saturating_sub(taken.len()))
    }

    /// Appends the source lines of `span`, inside an item `depth` levels
    /// deep, each without the `4 × depth` columns the reference's list
    /// nesting takes and `code` more, with their offsets.
    fn as_written(
        &self,
        span: Span,
        depth: usize,
        code: usize,
        text: &mut String,
        offsets: &mut Vec<usize>,
    ) {
        let bytes = self.text.as_bytes();
        let end = span.end.min(bytes.len());
        let start = memchr::memrchr(b'\n', &bytes[..span.start.min(end)]).map_or(0, |n| n + 1);
        text.reserve(end - start);
        let strip = 4 * depth + code;
        let mut at = start;
        while at < end {
            let line_end = memchr::memchr(b'\n', &bytes[at..end]).map_or(end, |n| at + n + 1);
            let line = &self.text[at..line_end];
            let mut cols = 0;
            let cut = line
                .bytes()
                .take_while(|&b| {
                    let next = match b {
                        b' ' => cols + 1,
                        b'\t' => (cols / 4 + 1) * 4,
                        _ => return false,
                    };
                    if next > strip {
                        return false;
                    }
                    cols = next;
                    true
                })
                .count();
            let kept = line[cut..].trim_end_matches(['\n', '\r']);
            // A blank line is empty, whatever white space it holds.
            if !kept.bytes().all(|b| b == b' ' || b == b'\t') {
                text.push_str(kept);
            }
            text.push('\n');
            offsets.push(at + cut);
            at = line_end;
        }
    }

    pub(super) fn message_section(
        &mut self,
        item: &Item,
        &(line, at, ref kind): &Signature,
        msg: &mut Message,
        body_lines: &mut Vec<usize>,
        schema_lines: &mut Vec<usize>,
    ) {
        match *kind {
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
                let hint = signature::near_keyword(signature::split_word(line).0)
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
    /// still used as written, with a warning, so nothing is lost silently.
    /// `None` when the section holds only white space (the reference has
    /// no asset then).
    pub(super) fn asset_text(&mut self, item: &Item, what: &str) -> Option<(String, Vec<usize>)> {
        let mut content = Vec::new();
        for (i, block) in item.children.iter().enumerate() {
            match &block.kind {
                BlockKind::Code(code) => content.push(Content::Code(block.span, code)),
                BlockKind::Paragraph if i == 0 => {
                    // The keyword's line; lines right under it (no blank
                    // line) are content.
                    let raw = self.slice(block.span).trim_end();
                    if let Some(nl) = raw.find('\n') {
                        let at = block.span.start + nl + 1;
                        content.push(Content::Rest(Span::new(at, block.span.end)));
                    }
                }
                BlockKind::List(_) => self.warn(
                    block.span.start,
                    format!("a list inside `+ {what}` is not part of its content; ignored"),
                ),
                _ => content.push(Content::Text(block.span)),
            }
        }
        match self.content_text(&content, what, 2) {
            Some((text, offsets, _)) => Some((text, offsets)),
            None => {
                if what != "Body" {
                    self.warn(item.span.start, format!("empty `+ {what}` section"));
                }
                None
            }
        }
    }

    pub(super) fn headers(&mut self, text: &str, offsets: &[usize], msg: &mut Message) {
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

    pub(super) fn check_json_assets(
        &mut self,
        msg: &Message,
        body_lines: &[usize],
        schema_lines: &[usize],
    ) {
        let json_body = msg.content_type().is_some_and(is_json_media_type);
        if let Some(body) = msg.body.as_ref().filter(|_| json_body) {
            self.check_json(&body.text, body_lines, "JSON body");
        }
        if let Some(schema) = &msg.schema {
            self.check_json(&schema.text, schema_lines, "JSON Schema");
        }
    }

    pub(super) fn check_json(&mut self, text: &str, line_offsets: &[usize], what: &str) {
        if text.trim().is_empty() {
            return;
        }
        // Validate without building a value; on failure, parse again into
        // a `Value`, whose error messages are the more precise ones
        // ("trailing comma" rather than "key must be a string").
        if serde_json::from_str::<serde::de::IgnoredAny>(text).is_err()
            && let Err(e) = serde_json::from_str::<serde_json::Value>(text)
        {
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
}

/// Why `[Name][]` beside sections is not used (the reference reads it as
/// description, silently).
fn unused_model_reference(reference: &str) -> String {
    format!(
        "`{reference}` is not used: a model reference stands alone in its request or response, \
         without `+ Headers`, `+ Body`, `+ Schema` or `+ Attributes` sections (the reference \
         reads it as description)"
    )
}

/// A block of a message's or section's content, on its way to an asset.
enum Content<'b, 'a> {
    Code(Span, &'b CodeBlock<'a>),
    /// A block that is not a code block.
    Text(Span),
    /// The lines right under a signature line (`+ Body` then text with no
    /// blank line between).
    Rest(Span),
}

impl Content<'_, '_> {
    fn span(&self) -> Span {
        match self {
            Content::Code(span, _) | Content::Text(span) | Content::Rest(span) => *span,
        }
    }
}

fn asset(text: String, span: Span, offsets: &[usize]) -> Asset {
    let start = offsets.first().copied().unwrap_or(span.start);
    Asset {
        text,
        span: Span::new(start, span.end),
        generated: false,
    }
}

/// `application/json`, `application/hal+json`, `...; charset=utf-8`.
pub fn is_json_media_type(media: &str) -> bool {
    // Checked for every request body: the usual value first.
    if media.eq_ignore_ascii_case("application/json") {
        return true;
    }
    let essence = media.split(';').next().unwrap_or("").trim();
    let tail = essence.len().saturating_sub(5);
    essence.eq_ignore_ascii_case("application/json")
        || essence
            .get(tail..)
            .is_some_and(|t| t.eq_ignore_ascii_case("+json"))
}

/// Appends `text` as a paragraph with each line trimmed (a request's
/// description continues its signature line, indented or not).
fn append_trimmed_lines(target: &mut String, text: &str) {
    let mut lines = text
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .peekable();
    if lines.peek().is_none() {
        return;
    }
    if !target.is_empty() {
        target.push_str("\n\n");
    }
    for (i, line) in lines.enumerate() {
        if i > 0 {
            target.push('\n');
        }
        target.push_str(line);
    }
}
