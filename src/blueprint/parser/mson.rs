//! MSON sections (`+ Attributes`, `# Data Structures`) read from the block
//! tree into [`mson::ValueElement`]s. Signatures are split by
//! `mson::syntax`; this file only knows which block holds what.

use super::message::is_json_media_type;
use super::walk::{Parser, append_paragraph};
use crate::blueprint::markdown::{Block, BlockKind, Item};
use crate::blueprint::model::{Asset, Attributes, DataStructure, Message};
use crate::blueprint::mson::syntax::{self, Keyword, Sample};
use crate::blueprint::mson::{Element, Literal, TypeName, TypeSpec, TypeTable, ValueElement};
use crate::diag::{Diagnostic, Span};

/// Nesting levels of MSON read; deeper input (hostile or broken) is cut
/// off with a warning rather than overflowing the stack.
const MAX_NESTING: usize = 48;

/// Which part of a data structure the next list items fill, after a
/// `### Sample`-style heading.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(super) enum DsSection {
    #[default]
    Members,
    Sample,
    Default,
}

impl<'a> Parser<'a> {
    /// `+ Attributes [(TYPE)]` of a resource, action or message.
    pub(super) fn attributes(&mut self, item: &Item, type_spec: Option<&str>) -> Attributes {
        let (line, at) = self.signature_line(item);
        let mut element = ValueElement {
            span: item.span,
            ..ValueElement::default()
        };
        if let Some(spec) = type_spec {
            let spec_at = at + line.find(spec).unwrap_or(0);
            element.type_spec = self.type_spec(spec, spec_at);
        }
        self.element_content(&item.children, &mut element, true);
        Attributes {
            type_spec: type_spec.map(str::to_string),
            text: self.slice(item.span).trim_end().to_string(),
            span: item.span,
            element,
        }
    }

    /// `## Name (Base)` under `# Data Structures`.
    pub(super) fn data_structure(&mut self, text: &str, at: usize, span: Span) {
        let (name, base) = match text.rfind('(') {
            Some(open) if text.ends_with(')') => (
                text[..open].trim().to_string(),
                Some((&text[open + 1..text.len() - 1], at + open + 1)),
            ),
            // `#### currency (string) - `USD``: a signature with a value or
            // a description, which the reference accepts (and does not
            // render: a named type's value comes from its members or
            // samples).
            _ => match syntax::signature(text) {
                syntax::Signature {
                    identifier: Some(id),
                    attributes: Some((attrs, attrs_at)),
                    ..
                } => (
                    id.text,
                    text.get(attrs_at..attrs_at + attrs.len())
                        .map(|spec| (spec, at + attrs_at)),
                ),
                _ => (text.trim().to_string(), None),
            },
        };
        let name = name.trim_matches('`').trim();
        let mut element = ValueElement {
            identifier: Some(Literal {
                text: name.to_string(),
                quoted: false,
            }),
            span: Span::new(at, span.end),
            ..ValueElement::default()
        };
        if let Some((spec, spec_at)) = base {
            element.type_spec = self.type_spec(spec, spec_at);
        }
        self.ds_section = DsSection::Members;
        self.bp.data_structures.push(DataStructure {
            name: name.to_string(),
            base: base.map(|(b, _)| b.trim().to_string()),
            text: String::new(),
            span: Span::new(at, span.end),
            element,
        });
    }

    /// A `### Sample`/`### Properties` heading inside a data structure;
    /// false when the heading is not one.
    pub(super) fn data_structure_section(&mut self, text: &str) -> bool {
        if self.bp.data_structures.is_empty() {
            return false;
        }
        self.ds_section = match syntax::keyword(text) {
            Some(Keyword::Group) => DsSection::Members,
            Some(Keyword::Sample(None)) => DsSection::Sample,
            Some(Keyword::Default(None)) => DsSection::Default,
            _ => return false,
        };
        true
    }

    /// A block directly under a data structure heading.
    pub(super) fn data_structure_block(&mut self, block: &Block) {
        let Some(mut ds) = self.bp.data_structures.pop() else {
            return;
        };
        match (self.ds_section, &block.kind) {
            (DsSection::Members, BlockKind::List(items)) => {
                for item in items {
                    self.mson_item(item, &mut ds.element, false);
                }
            }
            (DsSection::Members, BlockKind::Paragraph) => {
                let text = self.slice(block.span).trim().to_string();
                append_paragraph(&mut ds.element.description, &text);
                append_paragraph(&mut ds.text, &text);
            }
            (section, _) => {
                let sample = self.sample_content(std::slice::from_ref(block), None);
                if let Some(sample) = sample {
                    match section {
                        DsSection::Default => ds.element.defaults.push(sample),
                        _ => ds.element.samples.push(sample),
                    }
                }
            }
        }
        self.bp.data_structures.push(ds);
    }

    /// Reads a type specification, warning about attributes MSON does not
    /// define.
    fn type_spec(&mut self, text: &str, at: usize) -> TypeSpec {
        let (spec, unknown) = syntax::type_spec(text, at);
        for (word, word_at) in unknown {
            self.warn(
                word_at,
                format!(
                    "unknown type attribute `{word}`; expected required, optional, fixed, \
                     fixed-type, nullable, sample or default (ignored)"
                ),
            );
        }
        if spec.attrs.required && spec.attrs.optional {
            self.warn(at, "cannot use `required` and `optional` together");
        }
        if spec.attrs.sample && spec.attrs.default {
            self.warn(at, "cannot use `sample` and `default` together");
        }
        spec
    }

    /// The blocks of an item after its signature: description, nested
    /// members and type sections.
    fn element_content(&mut self, blocks: &[Block], el: &mut ValueElement, skip_signature: bool) {
        for (i, block) in blocks.iter().enumerate() {
            match &block.kind {
                BlockKind::Paragraph if i == 0 && skip_signature => {
                    let text = self.slice(block.span).trim_end();
                    if let Some((_, rest)) = text.split_once('\n') {
                        append_description(&mut el.description, rest);
                    }
                }
                BlockKind::Paragraph => {
                    let text = self.slice(block.span);
                    append_description(&mut el.description, text);
                }
                BlockKind::List(items) => {
                    for item in items {
                        self.mson_item(item, el, false);
                    }
                }
                _ => {}
            }
        }
    }

    /// One nested list item: a type section or a member/item.
    fn mson_item(&mut self, item: &Item, parent: &mut ValueElement, in_one_of: bool) {
        let (line, at) = self.signature_line(item);
        if self.mson_depth >= MAX_NESTING {
            if !self.mson_too_deep {
                self.mson_too_deep = true;
                self.warn(
                    at,
                    format!(
                        "MSON nested too deeply (over {MAX_NESTING} levels); the rest is ignored"
                    ),
                );
            }
            return;
        }
        self.mson_depth += 1;
        self.mson_item_at_depth(item, parent, in_one_of, line, at);
        self.mson_depth -= 1;
    }

    fn mson_item_at_depth(
        &mut self,
        item: &Item,
        parent: &mut ValueElement,
        in_one_of: bool,
        line: &str,
        at: usize,
    ) {
        match syntax::keyword(line) {
            Some(Keyword::Group) if in_one_of => {
                let mut group = ValueElement::default();
                self.element_content(&item.children, &mut group, true);
                parent.children.push(Element::Group(group.children));
            }
            Some(Keyword::Group) => self.element_content(&item.children, parent, true),
            Some(Keyword::Sample(inline)) => {
                if let Some(sample) = self.section_value(item, inline, at, "Sample") {
                    parent.samples.push(sample);
                }
            }
            Some(Keyword::Default(inline)) => {
                // Without a value the reference shows an empty one.
                let default = self.section_value(item, inline, at, "Default");
                parent
                    .defaults
                    .push(default.unwrap_or_else(|| Sample::Text(literal(""))));
            }
            Some(Keyword::Include(name, offset)) => {
                parent.children.push(Element::Include(TypeName {
                    name: name.to_string(),
                    at: at + offset,
                }));
            }
            Some(Keyword::OneOf) => {
                let mut options = ValueElement::default();
                for block in item.children.iter().skip(1) {
                    if let BlockKind::List(items) = &block.kind {
                        for child in items {
                            self.mson_item(child, &mut options, true);
                        }
                    }
                }
                parent.children.push(Element::OneOf(options.children));
            }
            None => {
                let el = self.value_element(item, line, at);
                parent.children.push(Element::Value(Box::new(el)));
            }
        }
    }

    /// `name: value (type) - description` and what is nested below it.
    fn value_element(&mut self, item: &Item, line: &str, at: usize) -> ValueElement {
        let sig = syntax::signature(line);
        let mut el = ValueElement {
            identifier: sig.identifier,
            variable: sig.variable,
            value: sig.value,
            description: sig.description.unwrap_or_default(),
            span: Span::new(at, item.span.end),
            ..ValueElement::default()
        };
        if let Some((attrs, offset)) = sig.attributes {
            el.type_spec = self.type_spec(&attrs, at + offset);
        }
        if el.identifier.is_none() && el.type_spec.name.is_none() && el.value.is_none() {
            self.warn(at, "MSON item without a name, value or type; ignored");
        }
        self.element_content(&item.children, &mut el, true);
        el
    }

    /// The value of a `+ Sample`/`+ Default` item (`what`): inline, on the
    /// next line, nested members or text below; warns when there is none.
    fn section_value(
        &mut self,
        item: &Item,
        inline: Option<&str>,
        at: usize,
        what: &str,
    ) -> Option<Sample> {
        let inline = inline.or_else(|| self.continuation(item));
        let value = self.sample_content(item.children.get(1..).unwrap_or(&[]), inline);
        if value.is_none() {
            self.warn(
                at,
                format!("`{what}` without a value; add `: value` or nested members"),
            );
        }
        value
    }

    /// The lines after an item's first one in the same paragraph (`+ Sample`
    /// followed by its value on the next line).
    fn continuation(&self, item: &Item) -> Option<&'a str> {
        let first = item.children.first()?;
        if !matches!(first.kind, BlockKind::Paragraph) {
            return None;
        }
        let (_, rest) = self.slice(first.span).split_once('\n')?;
        let rest = rest.trim();
        (!rest.is_empty()).then_some(rest)
    }

    /// The content of `+ Sample`/`+ Default`: the inline value, nested
    /// members, or the text below.
    fn sample_content(&mut self, blocks: &[Block], inline: Option<&str>) -> Option<Sample> {
        if let Some(text) = inline.filter(|t| !t.is_empty()) {
            return Some(Sample::Text(literal(text)));
        }
        let mut members = ValueElement::default();
        let mut text = String::new();
        for block in blocks {
            match &block.kind {
                BlockKind::List(items) => {
                    for item in items {
                        self.mson_item(item, &mut members, false);
                    }
                }
                BlockKind::Paragraph => append_paragraph(&mut text, self.slice(block.span).trim()),
                BlockKind::Code(code) => append_paragraph(&mut text, code.dedented().0.trim()),
                _ => {}
            }
        }
        if !members.children.is_empty() {
            Some(Sample::Elements(members.children))
        } else if !text.is_empty() {
            Some(Sample::Text(literal(&text)))
        } else {
            None
        }
    }
}

/// A sample's text, backticks removed.
fn literal(text: &str) -> Literal {
    let t = text.trim();
    match t.strip_prefix('`').and_then(|s| s.strip_suffix('`')) {
        Some(inner) if !inner.contains('`') => Literal {
            text: inner.to_string(),
            quoted: true,
        },
        _ => Literal {
            text: t.to_string(),
            quoted: false,
        },
    }
}

/// Appends a description paragraph, each line trimmed (descriptions are
/// indented under their item).
fn append_description(target: &mut String, text: &str) {
    let joined: Vec<&str> = text
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .collect();
    if joined.is_empty() {
        return;
    }
    if !target.is_empty() {
        target.push_str("\n\n");
    }
    target.push_str(&joined.join("\n"));
}

impl Parser<'_> {
    /// Builds the named types, reports MSON problems, and fills every JSON
    /// message that has Attributes but no Body (or no Schema) with the
    /// generated one. Runs once the whole document is read, after models
    /// are resolved (a model's Attributes travel with it).
    pub(super) fn resolve_mson(&mut self) {
        let resources = self.bp.groups.iter().flat_map(|g| &g.resources);
        let any_attributes = !self.bp.data_structures.is_empty()
            || resources.clone().any(|r| {
                r.attributes.is_some()
                    || r.actions.iter().any(|a| {
                        a.attributes.is_some()
                            || a.examples.iter().any(|e| {
                                e.requests.iter().any(|q| q.message.attributes.is_some())
                                    || e.responses.iter().any(|s| s.message.attributes.is_some())
                            })
                    })
            });
        if !any_attributes {
            return;
        }
        let mut definitions: Vec<ValueElement> = self
            .bp
            .data_structures
            .iter()
            .map(|d| d.element.clone())
            .collect();
        for r in resources {
            if let (Some(name), Some(attrs)) = (&r.name, &r.attributes) {
                let mut el = attrs.element.clone();
                el.identifier = Some(Literal {
                    text: name.clone(),
                    quoted: false,
                });
                definitions.push(el);
            }
        }
        let (table, mut problems) = TypeTable::new(definitions);
        problems.extend(table.check_definitions());
        for d in &self.bp.data_structures {
            table.check_element(&d.element, &mut problems);
        }
        for r in self.bp.groups.iter().flat_map(|g| &g.resources) {
            let messages = r.actions.iter().flat_map(|a| {
                a.examples.iter().flat_map(|e| {
                    e.requests
                        .iter()
                        .map(|q| &q.message)
                        .chain(e.responses.iter().map(|s| &s.message))
                })
            });
            let sections = r
                .attributes
                .iter()
                .chain(r.actions.iter().filter_map(|a| a.attributes.as_ref()))
                .chain(messages.filter_map(|m| m.attributes.as_ref()));
            for attrs in sections {
                table.check_element(&attrs.element, &mut problems);
            }
        }
        problems.sort_by(|a, b| (a.at, &a.message).cmp(&(b.at, &b.message)));
        problems.dedup();
        for p in problems {
            let location = self.source.location(p.at);
            let d = if p.error {
                Diagnostic::error(location, p.message)
            } else {
                Diagnostic::warning(location, p.message)
            };
            let d = match p.related {
                Some((at, why)) => d.with_related(self.source.location(at), why),
                None => d,
            };
            self.diags.push(d);
        }
        for action in self.bp.actions_mut() {
            let action_attrs = action.attributes.clone();
            if let Some(attrs) = &action_attrs {
                action.attributes_schema = Some(Asset {
                    text: table.generate(&attrs.element).schema,
                    span: attrs.span,
                    generated: true,
                });
            }
            for example in &mut action.examples {
                for request in &mut example.requests {
                    match request.message.attributes.clone() {
                        Some(own) => fill_generated(&table, &mut request.message, &own, true),
                        // The reference derives only the body from the
                        // action's Attributes, no schema.
                        None => {
                            if let Some(attrs) = &action_attrs {
                                fill_generated(&table, &mut request.message, attrs, false);
                            }
                        }
                    }
                }
                for response in &mut example.responses {
                    if let Some(own) = response.message.attributes.clone() {
                        fill_generated(&table, &mut response.message, &own, true);
                    }
                }
            }
        }
    }
}

/// Gives a JSON message without Body or Schema the ones its Attributes
/// describe, as the reference does (other media types get none).
fn fill_generated(table: &TypeTable, msg: &mut Message, attrs: &Attributes, with_schema: bool) {
    let json = msg.content_type().is_some_and(is_json_media_type);
    // An empty `+ Attributes` (no type, no member) describes nothing: the
    // reference generates no body from it.
    let empty = attrs.type_spec.is_none() && attrs.element.children.is_empty();
    if !json || empty || (msg.body.is_some() && msg.schema.is_some()) {
        return;
    }
    let generated = table.generate(&attrs.element);
    let asset = |text| Asset {
        text,
        span: attrs.span,
        generated: true,
    };
    if msg.body.is_none() {
        msg.body = Some(asset(generated.body));
    }
    if msg.schema.is_none() && with_schema {
        msg.schema = Some(asset(generated.schema));
    }
}
