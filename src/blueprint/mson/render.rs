//! MSON → a JSON body, choosing values as the reference does:
//!
//! - a primitive shows its inline value, else its first sample, else its
//!   default, else the empty value of its type (`""`, `0`, `false`), or
//!   `null` when it is `nullable`;
//! - an object shows its inherited members, then its own, a later member
//!   replacing an earlier one of the same name; `Include` mixes a type's
//!   members in place; `One Of` shows its first option;
//! - an array shows its inline values (`a, b`), else its items, else its
//!   first sample; `array[Type]` of a named type with nothing else shows
//!   one `Type`;
//! - an enum shows its value, sample or default, else its first member.
//!
//! A named type met again while it is being expanded renders empty (`{}`,
//! `[]`), which is how the reference ends recursive structures.

use super::json::Json;
use super::syntax::{Element, Literal, Sample, TypeName, ValueElement};
use super::types::{Base, Expands, Expansion, TypeTable};

/// The JSON body an Attributes section (or named type) describes.
pub fn body(table: &TypeTable, el: &ValueElement) -> Json {
    Renderer {
        expansion: Expansion::new(table),
    }
    .value(el, None, Role::Member, 0)
}

/// A primitive value from its MSON text; `None` when it does not fit.
pub fn primitive(base: Base, text: &str) -> Option<Json> {
    match base {
        Base::String | Base::Enum => Some(Json::str(text)),
        Base::Number => Json::number(text),
        Base::Boolean => match text.trim() {
            "true" => Some(Json::Bool(true)),
            "false" => Some(Json::Bool(false)),
            _ => None,
        },
        Base::Object | Base::Array => None,
    }
}

/// Whether an element's identifier is a name (object member, type) or a
/// value (array item, enum member).
#[derive(Clone, Copy, PartialEq, Eq)]
pub(super) enum Role {
    Member,
    Item,
}

/// The literal an element itself gives: its inline value, or for an item
/// its identifier.
pub(super) fn own_literal(el: &ValueElement, role: Role) -> Option<&Literal> {
    match role {
        Role::Member => el.value.as_ref(),
        Role::Item => el.value.as_ref().or(el.identifier.as_ref()),
    }
}

/// The first sample's (else the last default's) text: a later `Default`
/// replaces an earlier one.
pub(super) fn sample_text(el: &ValueElement) -> Option<&Literal> {
    first_text(&el.samples).or_else(|| {
        el.defaults.iter().rev().find_map(|s| match s {
            Sample::Text(l) => Some(l),
            Sample::Elements(_) => None,
        })
    })
}

fn first_text(samples: &[Sample]) -> Option<&Literal> {
    samples.iter().find_map(|s| match s {
        Sample::Text(l) => Some(l),
        Sample::Elements(_) => None,
    })
}

fn first_elements(samples: &[Sample]) -> Option<&[Element]> {
    samples.iter().find_map(|s| match s {
        Sample::Elements(e) => Some(e.as_slice()),
        Sample::Text(_) => None,
    })
}

/// The single nested type of `array[T]`/`enum[T]`.
pub(super) fn item_type(el: &ValueElement) -> Option<&TypeName> {
    match el.type_spec.nested.as_slice() {
        [one] => Some(one),
        _ => None,
    }
}

/// `a, b, c` → its parts; a backticked literal is one value.
pub(super) fn split_values(lit: &Literal) -> Vec<&str> {
    if lit.quoted {
        return vec![lit.text.as_str()];
    }
    lit.text
        .split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .collect()
}

struct Renderer<'t> {
    expansion: Expansion<'t>,
}

impl<'t> Expands<'t> for Renderer<'t> {
    fn expansion(&mut self) -> &mut Expansion<'t> {
        &mut self.expansion
    }
}

impl<'t> Renderer<'t> {
    fn value(
        &mut self,
        el: &'t ValueElement,
        inherited: Option<&'t TypeName>,
        role: Role,
        depth: usize,
    ) -> Json {
        if !self.expansion.within_bounds(depth) {
            return Json::Null;
        }
        let base = self.expansion.table.base_of(el, inherited);
        let named = el
            .type_spec
            .name
            .as_ref()
            .or(inherited)
            .filter(|t| Base::primitive(&t.name).is_none());
        // A nullable value shows null unless it has a plain value: its
        // samples and defaults are alternatives, not the value. A named
        // type still shows its members.
        let attrs = el.type_spec.attrs;
        if attrs.nullable
            && named.is_none()
            && (own_literal(el, role).is_none() || attrs.sample || attrs.default)
            && el.children.is_empty()
        {
            return Json::Null;
        }
        match base {
            Base::Object => {
                if el.type_spec.attrs.nullable && el.children.is_empty() && named.is_none() {
                    return Json::Null;
                }
                let mut pairs = Vec::new();
                if let Some(t) = named {
                    self.with_named(t, |r, def| r.object_members(def, &mut pairs, depth));
                }
                match first_elements(&el.samples) {
                    Some(sample) if el.children.is_empty() => {
                        self.members(sample, &mut pairs, depth)
                    }
                    _ => self.members(&el.children, &mut pairs, depth),
                }
                Json::Object(pairs)
            }
            Base::Array => {
                let mut items = Vec::new();
                if let Some(t) = named {
                    self.with_named(t, |r, def| {
                        r.array_items(def, &mut items, Role::Member, depth)
                    });
                }
                let inherited_any = !items.is_empty();
                self.array_items(el, &mut items, role, depth);
                // `array[A, B]` with no items shows one instance of each
                // named type, as the reference does (primitives show none).
                if items.is_empty() && !inherited_any {
                    for t in self.effective_item_types(el) {
                        if Base::primitive(&t.name).is_none()
                            && let Some(v) = self.instance(t, depth)
                        {
                            items.push(v);
                        }
                    }
                }
                if items.is_empty() && el.type_spec.attrs.nullable {
                    return Json::Null;
                }
                Json::Array(items)
            }
            Base::Enum => self.enumeration(el, named, role, depth),
            primitive_base => {
                let text = own_literal(el, role)
                    .or_else(|| sample_text(el))
                    .map(|l| l.text.as_str());
                // `null (string, nullable)` is null (the reference renders the
                // string "null": a bug, not followed).
                if attrs.nullable && text == Some("null") {
                    return Json::Null;
                }
                let text = match (text, named) {
                    (Some(t), _) => Some(t.to_string()),
                    (None, Some(t)) => self.named_literal(t),
                    (None, None) => None,
                };
                match text {
                    Some(t) => {
                        primitive(primitive_base, &t).unwrap_or_else(|| empty(primitive_base))
                    }
                    None if el.type_spec.attrs.nullable => Json::Null,
                    None => empty(primitive_base),
                }
            }
        }
    }

    /// The `A, B` of `array[A, B]`, written here or on the named type this
    /// one inherits from.
    fn effective_item_types(&self, el: &'t ValueElement) -> &'t [TypeName] {
        self.expansion
            .table
            .lineage(el)
            .map(|e| e.type_spec.nested.as_slice())
            .find(|nested| !nested.is_empty())
            .unwrap_or(&[])
    }

    /// An item like `(string)`: a primitive with no value anywhere.
    fn is_empty_primitive(&self, v: &ValueElement, inner: Option<&TypeName>, role: Role) -> bool {
        let base = self.expansion.table.base_of(v, inner);
        let named = v.type_spec.name.as_ref().or(inner);
        matches!(base, Base::String | Base::Number | Base::Boolean)
            && own_literal(v, role).is_none()
            && sample_text(v).is_none()
            && named.is_none_or(|t| Base::primitive(&t.name).is_some())
    }

    /// One instance of a named type (the item of `array[Type]`).
    /// Met again inside itself, it is the empty value of its type.
    fn instance(&mut self, t: &'t TypeName, depth: usize) -> Option<Json> {
        if self.expansion.is_open(&t.name) {
            return self.expansion.table.base_of_name(&t.name).map(empty);
        }
        self.with_named(t, |r, def| r.value(def, None, Role::Member, depth + 1))
    }

    /// The value a named primitive type gives (`## Email (string)` with a
    /// sample).
    fn named_literal(&mut self, t: &'t TypeName) -> Option<String> {
        self.with_named(t, |r, def| {
            match def.value.as_ref().or_else(|| sample_text(def)) {
                Some(l) => Some(l.text.clone()),
                None => def.type_spec.name.as_ref().and_then(|b| r.named_literal(b)),
            }
        })
        .flatten()
    }

    /// A type's members, inherited ones first.
    fn object_members(
        &mut self,
        def: &'t ValueElement,
        pairs: &mut Vec<(String, Json)>,
        depth: usize,
    ) {
        if let Some(base) = def
            .type_spec
            .name
            .as_ref()
            .filter(|t| Base::primitive(&t.name).is_none())
        {
            self.with_named(base, |r, parent| r.object_members(parent, pairs, depth));
        }
        match first_elements(&def.samples) {
            Some(sample) if def.children.is_empty() => self.members(sample, pairs, depth),
            _ => self.members(&def.children, pairs, depth),
        }
    }

    fn members(&mut self, children: &'t [Element], pairs: &mut Vec<(String, Json)>, depth: usize) {
        for child in children {
            match child {
                Element::Value(v) => {
                    let Some(name) = v.identifier_text() else {
                        continue;
                    };
                    // An optional member with nothing to show is left out.
                    if v.type_spec.attrs.optional
                        && !v.type_spec.attrs.nullable
                        && self.is_empty_primitive(v, None, Role::Member)
                    {
                        continue;
                    }
                    let value = self.value(v, None, Role::Member, depth + 1);
                    Json::set(pairs, name.to_string(), value);
                }
                Element::Include(t) => {
                    self.with_named(t, |r, def| r.object_members(def, pairs, depth));
                }
                Element::OneOf(options) => {
                    if let Some(first) = options.first() {
                        self.members(std::slice::from_ref(first), pairs, depth);
                    }
                }
                Element::Group(group) => self.members(group, pairs, depth),
            }
        }
    }

    /// An array's own items: inline values, nested items, else a sample or
    /// default.
    fn array_items(
        &mut self,
        el: &'t ValueElement,
        items: &mut Vec<Json>,
        role: Role,
        depth: usize,
    ) {
        let inner = item_type(el);
        let before = items.len();
        if let Some(lit) = own_literal(el, role) {
            self.literal_items(lit, inner, items);
        }
        self.item_elements(&el.children, inner, items, depth);
        if items.len() > before {
            return;
        }
        // The reference shows `[]` for `array[T]` whose only values are
        // samples (the checklist's known quirk; matched, since a sample is
        // an alternative, not the value).
        let samples: &[Sample] = if inner.is_some() { &[] } else { &el.samples };
        for samples in [samples, &el.defaults] {
            match samples.first() {
                Some(Sample::Text(lit)) => self.literal_items(lit, inner, items),
                Some(Sample::Elements(children)) => {
                    self.item_elements(children, inner, items, depth)
                }
                None => continue,
            }
            return;
        }
    }

    fn literal_items(&mut self, lit: &Literal, inner: Option<&TypeName>, items: &mut Vec<Json>) {
        let base = inner
            .and_then(|t| self.expansion.table.base_of_name(&t.name))
            .unwrap_or(Base::String);
        let base = match base {
            Base::Object | Base::Array => Base::String,
            b => b,
        };
        items.extend(
            split_values(lit)
                .into_iter()
                .filter_map(|v| primitive(base, v)),
        );
    }

    fn item_elements(
        &mut self,
        children: &'t [Element],
        inner: Option<&'t TypeName>,
        items: &mut Vec<Json>,
        depth: usize,
    ) {
        for child in children {
            match child {
                // A typed item without any value shows nothing.
                Element::Value(v) if self.is_empty_primitive(v, inner, Role::Item) => {}
                Element::Value(v) => items.push(self.value(v, inner, Role::Item, depth + 1)),
                Element::Include(t) => {
                    self.with_named(t, |r, def| r.array_items(def, items, Role::Member, depth));
                }
                Element::OneOf(options) | Element::Group(options) => {
                    if let Some(first) = options.first() {
                        self.item_elements(std::slice::from_ref(first), inner, items, depth);
                    }
                }
            }
        }
    }

    fn enumeration(
        &mut self,
        el: &'t ValueElement,
        named: Option<&'t TypeName>,
        role: Role,
        depth: usize,
    ) -> Json {
        let inner = item_type(el);
        let base = inner
            .and_then(|t| self.expansion.table.base_of_name(&t.name))
            .filter(|b| !matches!(b, Base::Object | Base::Array | Base::Enum))
            .unwrap_or(Base::String);
        // An enum's inline values are its members (`a, b (enum)`); a
        // sample or default picks one, else the first shows.
        let sampled_member = || match first_elements(&el.samples)?.first()? {
            Element::Value(v) => own_literal(v, Role::Item),
            _ => None,
        };
        let chosen = sample_text(el)
            .map(|l| l.text.as_str())
            .or_else(|| sampled_member().map(|l| l.text.as_str()))
            .or_else(|| own_literal(el, role).and_then(|l| split_values(l).first().copied()));
        if let Some(text) = chosen {
            return primitive(base, text).unwrap_or_else(|| empty(base));
        }
        for child in &el.children {
            if let Element::Value(v) = child {
                return self.value(v, inner, Role::Item, depth + 1);
            }
        }
        if let Some(t) = named
            && let Some(v) =
                self.with_named(t, |r, def| r.enumeration(def, None, Role::Member, depth))
        {
            return v;
        }
        if el.type_spec.attrs.nullable {
            Json::Null
        } else {
            Json::str("")
        }
    }
}

/// The value a type shows when nothing gives one.
pub(super) fn empty(base: Base) -> Json {
    match base {
        Base::String | Base::Enum => Json::str(""),
        Base::Number => Json::Number("0".into()),
        Base::Boolean => Json::Bool(false),
        Base::Object => Json::Object(Vec::new()),
        Base::Array => Json::Array(Vec::new()),
    }
}
