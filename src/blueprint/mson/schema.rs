//! MSON → a JSON Schema (draft 4), shaped as the reference emits it:
//!
//! - objects list `properties` in order, `required` members (every member
//!   under `fixed`), `additionalProperties: false` under `fixed`, and
//!   `oneOf` for `One Of` alternatives;
//! - primitives give their `type` (`[type, "null"]` when `nullable`), their
//!   value as a one-value `enum` under `fixed`, and any `default`;
//! - enums list their members; arrays give `items` only under `fixed`
//!   (a tuple of the items) or `fixed-type` (the item type);
//! - members keep their description.
//!
//! One deliberate difference: each `oneOf` alternative requires its own
//! members, so that the generated body validates against the schema.

use super::json::Json;
use super::render::{self, Role, item_type, own_literal, split_values};
use super::syntax::{Element, Sample, TypeName, ValueElement};
use super::types::{Base, Expands, Expansion, TypeTable};

const DRAFT_4: &str = "http://json-schema.org/draft-04/schema#";

/// The schema of an Attributes section.
pub fn schema(table: &TypeTable, el: &ValueElement) -> Json {
    let mut s = Schemer {
        expansion: Expansion::new(table),
    };
    let mut pairs = vec![("$schema".to_string(), Json::str(DRAFT_4))];
    pairs.extend(s.value(el, None, Role::Member, false, 0));
    Json::Object(pairs)
}

/// What an object's members add up to.
#[derive(Default)]
struct Members {
    /// Every member required, no others allowed.
    closed: bool,
    properties: Vec<(String, Json)>,
    required: Vec<String>,
    one_of: Vec<Json>,
}

struct Schemer<'t> {
    expansion: Expansion<'t>,
}

impl<'t> Expands<'t> for Schemer<'t> {
    fn expansion(&mut self) -> &mut Expansion<'t> {
        &mut self.expansion
    }
}

impl<'t> Schemer<'t> {
    fn value(
        &mut self,
        el: &'t ValueElement,
        inherited: Option<&'t TypeName>,
        role: Role,
        fixed: bool,
        depth: usize,
    ) -> Vec<(String, Json)> {
        if !self.expansion.within_bounds(depth) {
            return Vec::new();
        }
        let base = self.expansion.table.base_of(el, inherited);
        let named = el
            .type_spec
            .name
            .as_ref()
            .or(inherited)
            .filter(|t| Base::primitive(&t.name).is_none());
        let fixed = fixed || el.type_spec.attrs.fixed || named.is_some_and(|t| self.named_fixed(t));
        let nullable = el.type_spec.attrs.nullable;
        let mut out = Vec::new();
        match base {
            Base::Object => {
                out.push(type_entry("object", nullable));
                let mut m = Members {
                    // `fixed-type` closes this object but leaves its
                    // members' values free.
                    closed: fixed || el.type_spec.attrs.fixed_type,
                    ..Members::default()
                };
                if let Some(t) = named {
                    self.with_named(t, |s, def| s.object_members(def, &mut m, fixed, depth));
                }
                self.members(&el.children, &mut m, fixed, depth);
                out.push(("properties".into(), Json::Object(m.properties)));
                if !m.required.is_empty() {
                    let names = m.required.into_iter().map(Json::String).collect();
                    out.push(("required".into(), Json::Array(names)));
                }
                if m.closed {
                    out.push(("additionalProperties".into(), Json::Bool(false)));
                }
                if !m.one_of.is_empty() {
                    out.push(("oneOf".into(), Json::Array(m.one_of)));
                }
            }
            Base::Array => {
                out.push(type_entry("array", nullable));
                if fixed {
                    let items = self.tuple_items(el, role, fixed, depth);
                    if !items.is_empty() {
                        out.push(("items".into(), Json::Array(items)));
                    }
                } else if el.type_spec.attrs.fixed_type
                    && let Some(t) = item_type(el)
                {
                    let item = self.type_schema(t, depth);
                    out.push(("items".into(), Json::Object(item)));
                }
            }
            Base::Enum => {
                let mut values = self.enum_values(el, named, role);
                if nullable && !values.is_empty() {
                    values.push(Json::Null);
                }
                if !values.is_empty() {
                    let member_base = item_type(el)
                        .and_then(|t| self.expansion.table.base_of_name(&t.name))
                        .unwrap_or(Base::String);
                    out.push(type_entry(member_base.json_name(), nullable));
                    out.push(("enum".into(), Json::Array(values)));
                }
            }
            primitive => {
                out.push(type_entry(primitive.json_name(), nullable));
                // Under `fixed` the value is the only one allowed, the
                // empty value when none is written (as the reference has it).
                if fixed {
                    let v = own_literal(el, role)
                        .and_then(|lit| render::primitive(primitive, &lit.text))
                        .unwrap_or_else(|| render::empty(primitive));
                    out.push(("enum".into(), Json::Array(vec![v])));
                }
            }
        }
        if role == Role::Member && depth > 0 && !el.description.is_empty() {
            out.push(("description".into(), Json::str(el.description.clone())));
        }
        if let Some(default) = self.default_value(el, base, role) {
            out.push(("default".into(), default));
        }
        out
    }

    /// The schema of a type named in `array[T]` under `fixed-type`.
    fn type_schema(&mut self, t: &'t TypeName, depth: usize) -> Vec<(String, Json)> {
        match Base::primitive(&t.name) {
            Some(b) => vec![type_entry(b.json_name(), false)],
            None => self
                .with_named(t, |s, def| {
                    s.value(def, None, Role::Member, false, depth + 1)
                })
                .unwrap_or_default(),
        }
    }

    /// Is a named type (or one it inherits from) declared `fixed`?
    fn named_fixed(&self, t: &TypeName) -> bool {
        self.expansion.table.get(&t.name).is_some_and(|def| {
            self.expansion
                .table
                .lineage(def)
                .any(|d| d.type_spec.attrs.fixed)
        })
    }

    fn object_members(
        &mut self,
        def: &'t ValueElement,
        m: &mut Members,
        fixed: bool,
        depth: usize,
    ) {
        let fixed = fixed || def.type_spec.attrs.fixed;
        if let Some(base) = def
            .type_spec
            .name
            .as_ref()
            .filter(|t| Base::primitive(&t.name).is_none())
        {
            self.with_named(base, |s, parent| s.object_members(parent, m, fixed, depth));
        }
        self.members(&def.children, m, fixed, depth);
    }

    fn members(&mut self, children: &'t [Element], m: &mut Members, fixed: bool, depth: usize) {
        for child in children {
            match child {
                Element::Value(v) => {
                    let Some(name) = v.identifier_text().filter(|_| !v.variable) else {
                        continue;
                    };
                    let schema = self.value(v, None, Role::Member, fixed, depth + 1);
                    Json::set(&mut m.properties, name.to_string(), Json::Object(schema));
                    let attrs = v.type_spec.attrs;
                    if (attrs.required || attrs.fixed || fixed || m.closed)
                        && !attrs.optional
                        && !m.required.iter().any(|r| r == name)
                    {
                        m.required.push(name.to_string());
                    }
                }
                Element::Include(t) => {
                    self.with_named(t, |s, def| s.object_members(def, m, fixed, depth));
                }
                Element::OneOf(options) => {
                    for option in options {
                        let mut alt = Members {
                            closed: m.closed,
                            ..Members::default()
                        };
                        self.members(std::slice::from_ref(option), &mut alt, fixed, depth);
                        // Unlike the reference, an alternative requires its
                        // own members: with `properties` alone every object
                        // matches every alternative, and `oneOf` then
                        // rejects the very body generated from it.
                        let names: Vec<Json> = alt
                            .properties
                            .iter()
                            .map(|(name, _)| Json::str(name.clone()))
                            .collect();
                        let mut pairs =
                            vec![("properties".to_string(), Json::Object(alt.properties))];
                        if !names.is_empty() {
                            pairs.push(("required".into(), Json::Array(names)));
                        }
                        m.one_of.push(Json::Object(pairs));
                    }
                }
                Element::Group(group) => self.members(group, m, fixed, depth),
            }
        }
    }

    /// Under `fixed`, every item of an array is a position of a tuple.
    fn tuple_items(
        &mut self,
        el: &'t ValueElement,
        role: Role,
        fixed: bool,
        depth: usize,
    ) -> Vec<Json> {
        let inner = item_type(el);
        let mut items = Vec::new();
        if let Some(lit) = own_literal(el, role) {
            let base = inner
                .and_then(|t| self.expansion.table.base_of_name(&t.name))
                .unwrap_or(Base::String);
            for v in split_values(lit) {
                if let Some(value) = render::primitive(base, v) {
                    items.push(Json::Object(vec![
                        type_entry(base.json_name(), false),
                        ("enum".into(), Json::Array(vec![value])),
                    ]));
                }
            }
        }
        for child in &el.children {
            if let Element::Value(v) = child {
                items.push(Json::Object(self.value(
                    v,
                    inner,
                    Role::Item,
                    fixed,
                    depth + 1,
                )));
            }
        }
        items
    }

    fn enum_values(
        &mut self,
        el: &'t ValueElement,
        named: Option<&'t TypeName>,
        role: Role,
    ) -> Vec<Json> {
        let base = item_type(el)
            .and_then(|t| self.expansion.table.base_of_name(&t.name))
            .unwrap_or(Base::String);
        let inline = own_literal(el, role).map(split_values).unwrap_or_default();
        let members = el.children.iter().filter_map(|c| match c {
            Element::Value(v) => own_literal(v, Role::Item).map(|l| l.text.as_str()),
            _ => None,
        });
        // Each value once: JSON Schema wants `enum` items unique, and the
        // sample is usually one of the members (`status: active` with
        // `+ active`, `+ inactive`), which the reference then lists once.
        let mut values: Vec<Json> = Vec::new();
        for value in inline
            .into_iter()
            .chain(members)
            .filter_map(|t| render::primitive(base, t))
        {
            if !values.contains(&value) {
                values.push(value);
            }
        }
        // Without members, the value shown is the only one documented.
        if values.is_empty()
            && let Some(l) = render::sample_text(el)
            && let Some(v) = render::primitive(base, &l.text)
        {
            values.push(v);
        }
        if values.is_empty()
            && let Some(t) = named
        {
            values = self
                .with_named(t, |s, def| s.enum_values(def, None, role))
                .unwrap_or_default();
        }
        values
    }

    fn default_value(&self, el: &ValueElement, base: Base, role: Role) -> Option<Json> {
        let lit = match el.defaults.last() {
            Some(Sample::Text(l)) => l,
            Some(Sample::Elements(children)) if base != Base::Object => match children.first() {
                Some(Element::Value(v)) => own_literal(v, Role::Item)?,
                _ => return None,
            },
            Some(Sample::Elements(_)) => return None,
            None if el.type_spec.attrs.default => own_literal(el, role)?,
            None => return None,
        };
        match base {
            Base::Array => Some(Json::Array(
                split_values(lit).into_iter().map(Json::str).collect(),
            )),
            Base::Object => None,
            b => render::primitive(b, &lit.text),
        }
    }
}

fn type_entry(name: &str, nullable: bool) -> (String, Json) {
    let value = if nullable {
        Json::Array(vec![Json::str(name), Json::str("null")])
    } else {
        Json::str(name)
    };
    ("type".to_string(), value)
}
