//! Requests, responses and models: their signature, description, model
//! reference, and the Headers / Body / Schema / Attributes sections with
//! their assets.

use std::sync::LazyLock;

use regex::Regex;

use super::walk::{Parser, append_paragraph};
use crate::blueprint::markdown::{BlockKind, Item};
use crate::blueprint::model::{Asset, Message};
use crate::blueprint::signature::{self, ItemKind};
use crate::diag::Span;

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
        let mut has_sections = false;
        for (i, block) in item.children.iter().enumerate() {
            match &block.kind {
                BlockKind::Paragraph if i == 0 => {
                    let text = self.slice(block.span).trim_end();
                    if let Some((_, rest)) = text.split_once('\n') {
                        append_trimmed_lines(&mut msg.description, rest);
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

    pub(super) fn message_section(
        &mut self,
        item: &Item,
        msg: &mut Message,
        body_lines: &mut Vec<usize>,
        schema_lines: &mut Vec<usize>,
    ) {
        let (line, at) = self.signature_line(item);
        match signature::item(line) {
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
    /// still used, with a warning, so nothing is lost silently.
    pub(super) fn asset_text(&mut self, item: &Item, what: &str) -> Option<(String, Vec<usize>)> {
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

fn lines_with_offsets(text: &str, start: usize) -> impl Iterator<Item = (&str, usize)> {
    let mut at = start;
    text.split_inclusive('\n').map(move |line| {
        let here = at;
        at += line.len();
        (line.trim_end_matches('\n'), here)
    })
}
