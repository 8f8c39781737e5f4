//! `+ Parameters` sections: each entry's signature, `+ Default`,
//! `+ Members` (or the old `+ Values`) and description.

use super::walk::{Parser, append_paragraph};
use crate::blueprint::markdown::{BlockKind, Item};
use crate::blueprint::model::Parameter;
use crate::blueprint::parameters;
use crate::diag::Span;

impl Parser<'_> {
    pub(super) fn parameters(&mut self, item: &Item) -> Vec<Parameter> {
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

    pub(super) fn parameter(&mut self, entry: &Item) -> Option<Parameter> {
        let (line, at) = self.signature_line(entry);
        let Some(sig) = parameters::parse(line) else {
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
            span: Span::new(at, entry.span.end),
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

    pub(super) fn parameter_section(&mut self, sub: &Item, p: &mut Parameter) {
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
                        p.members.push(parameters::plain_value(value).to_string());
                    }
                }
            }
        } else {
            let text = self.slice(sub.span).trim().to_string();
            append_paragraph(&mut p.description, &text);
        }
    }
}
