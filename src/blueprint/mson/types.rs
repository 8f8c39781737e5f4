//! Named types and what every element resolves to.
//!
//! A named type comes from a `# Data Structures` heading or from a named
//! resource's `+ Attributes` (the resource name is the type name). Members
//! may refer to types recursively (`+ parent (Node)`): rendering stops at
//! the second visit. Inheritance (`## B (A)`) and mixins (`+ Include A`)
//! that lead back to the type itself describe an infinite structure and
//! are errors, as in the reference.

use std::collections::HashMap;

use super::syntax::{Element, Sample, TypeName, ValueElement};
use super::{render, schema};

/// The base type every MSON value ends up as.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Base {
    String,
    Number,
    Boolean,
    Object,
    Array,
    Enum,
}

impl Base {
    /// A primitive type name (`string`, `object`...). Case matters: the
    /// reference reads `Array` as a named type.
    pub fn primitive(name: &str) -> Option<Base> {
        Some(match name {
            "string" => Base::String,
            "number" => Base::Number,
            "boolean" => Base::Boolean,
            "object" => Base::Object,
            "array" => Base::Array,
            "enum" => Base::Enum,
            _ => return None,
        })
    }

    pub fn json_name(self) -> &'static str {
        match self {
            Base::String | Base::Enum => "string",
            Base::Number => "number",
            Base::Boolean => "boolean",
            Base::Object => "object",
            Base::Array => "array",
        }
    }
}

/// A problem found in MSON, located at a source offset.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Problem {
    pub at: usize,
    pub error: bool,
    pub message: String,
    /// A second place that explains this one (the first definition).
    pub related: Option<(usize, &'static str)>,
}

/// The body and schema generated from one Attributes section.
#[derive(Clone, Debug)]
pub struct Generated {
    /// The generated JSON body, pretty-printed as the reference prints it.
    pub body: String,
    /// The generated draft-4 JSON Schema.
    pub schema: String,
}

/// The named types of a blueprint.
#[derive(Debug, Default)]
pub struct TypeTable {
    types: HashMap<String, ValueElement>,
}

impl TypeTable {
    /// Builds the table; a second definition of a name is an error, as in
    /// the reference (the first one is kept for what can still be built).
    pub fn new(definitions: impl IntoIterator<Item = ValueElement>) -> (TypeTable, Vec<Problem>) {
        let mut table = TypeTable::default();
        let mut problems = Vec::new();
        for def in definitions {
            let Some(name) = def.identifier_text().map(str::to_string) else {
                continue;
            };
            if Base::primitive(&name).is_some() {
                problems.push(Problem {
                    at: def.span.start,
                    error: true,
                    message: format!("`{name}` is a base type name and cannot name a type"),
                    related: None,
                });
                continue;
            }
            if table.types.contains_key(&name) {
                if def.type_spec.name.as_ref().is_some_and(|t| t.name == name) {
                    problems.push(Problem {
                        at: def.span.start,
                        error: true,
                        message: format!("type `{name}` circularly references itself"),
                        related: None,
                    });
                }
                // An error, as in the reference: which of the two a
                // reference to the name means cannot be told.
                let first = table.types.get(&name).map_or(0, |t| t.span.start);
                problems.push(Problem {
                    at: def.span.start,
                    error: true,
                    message: format!(
                        "named type `{name}` is defined more than once; rename one of them \
                         (the first definition is used)"
                    ),
                    related: Some((first, "first defined here")),
                });
                continue;
            }
            table.types.insert(name, def);
        }
        (table, problems)
    }

    /// The named type `name`, if the blueprint defines it.
    pub fn get(&self, name: &str) -> Option<&ValueElement> {
        self.types.get(name)
    }

    /// `el`, then the named type it inherits from, and so on up the chain
    /// (ending at a primitive base, an unknown name, or a cycle).
    pub fn lineage<'s>(&'s self, el: &'s ValueElement) -> impl Iterator<Item = &'s ValueElement> {
        let mut next = Some(el);
        std::iter::from_fn(move || {
            let current = next?;
            next = current
                .type_spec
                .name
                .as_ref()
                .and_then(|t| self.types.get(&t.name));
            Some(current)
        })
        // A cycle is reported elsewhere; here it only has to end.
        .take(self.types.len() + 1)
    }

    /// The base type a type name stands for, following inheritance; `None`
    /// for unknown names and cycles.
    pub fn base_of_name(&self, name: &str) -> Option<Base> {
        if let Some(base) = Base::primitive(name) {
            return Some(base);
        }
        for def in self.lineage(self.types.get(name)?) {
            match &def.type_spec.name {
                None => return Some(implicit_base(def)),
                Some(t) => {
                    if let Some(base) = Base::primitive(&t.name) {
                        return Some(base);
                    }
                }
            }
        }
        None
    }

    /// The base type of an element; `item_type` is the type an enclosing
    /// `array[T]`/`enum[T]` gives items that name none.
    pub fn base_of(&self, el: &ValueElement, item_type: Option<&TypeName>) -> Base {
        let named = el.type_spec.name.as_ref().or(item_type);
        match named.and_then(|t| self.base_of_name(&t.name)) {
            Some(base) => base,
            None => implicit_base(el),
        }
    }

    /// Body and schema for an Attributes section.
    pub fn generate(&self, el: &ValueElement) -> Generated {
        Generated {
            body: render::body(self, el).pretty(),
            schema: schema::schema(self, el).pretty(),
        }
    }

    /// Located problems in the named types themselves: inheritance or
    /// mixins that lead back to the type. A member whose type leads back
    /// is fine (a tree of nodes); a cycle through a base type or an
    /// `Include` would be an infinite structure.
    pub fn check_definitions(&self) -> Vec<Problem> {
        let mut names: Vec<&String> = self.types.keys().collect();
        names.sort_by_key(|n| self.types[*n].span.start);
        let mut problems = Vec::new();
        for name in names {
            let def = &self.types[name];
            let mut edges = Vec::new();
            type_edges(def, true, &mut edges);
            let circular = edges
                .iter()
                .filter(|(_, structural)| *structural)
                .any(|(target, _)| *target == name.as_str() || self.reaches(target, name));
            if circular {
                problems.push(Problem {
                    at: def.span.start,
                    error: true,
                    message: format!(
                        "type `{name}` circularly references itself through its base type or \
                         an `Include`; it would never end"
                    ),
                    related: None,
                });
            }
        }
        problems
    }

    /// Does type `from` refer, through any chain of references, to `to`?
    fn reaches(&self, from: &str, to: &str) -> bool {
        let mut seen: Vec<&str> = vec![from];
        let mut queue: Vec<&str> = vec![from];
        while let Some(current) = queue.pop() {
            let Some(def) = self.types.get(current) else {
                continue;
            };
            let mut edges = Vec::new();
            type_edges(def, true, &mut edges);
            for (next, _) in edges {
                if next == to {
                    return true;
                }
                if !seen.contains(&next) {
                    seen.push(next);
                    queue.push(next);
                }
            }
        }
        false
    }

    /// Located problems in one element tree: unknown types, values that
    /// do not fit their type, nested types where none belong.
    pub fn check_element(&self, el: &ValueElement, problems: &mut Vec<Problem>) {
        self.check_value(el, None, 0, problems);
    }

    fn check_value(
        &self,
        el: &ValueElement,
        item_type: Option<&TypeName>,
        depth: usize,
        problems: &mut Vec<Problem>,
    ) {
        if depth > MAX_DEPTH {
            return;
        }
        if let Some(t) = &el.type_spec.name {
            self.check_name(t, true, problems);
        }
        // The reference only warns about an unknown nested type (its
        // items are then left out).
        for t in &el.type_spec.nested {
            self.check_name(t, false, problems);
        }
        let base = self.base_of(el, item_type);
        if !el.type_spec.nested.is_empty() && !matches!(base, Base::Array | Base::Enum) {
            problems.push(Problem {
                at: el.type_spec.nested[0].at,
                error: false,
                message: format!(
                    "a {} type has no nested types; `[...]` belongs to array and enum",
                    base.json_name()
                ),
                related: None,
            });
        }
        if matches!(base, Base::Number | Base::Boolean) {
            let texts = el
                .value
                .iter()
                .chain(
                    el.samples
                        .iter()
                        .chain(&el.defaults)
                        .filter_map(|s| match s {
                            Sample::Text(l) => Some(l),
                            Sample::Elements(_) => None,
                        }),
                );
            for lit in texts {
                if render::primitive(base, &lit.text).is_none() {
                    let what = el.identifier_text().unwrap_or("value");
                    problems.push(Problem {
                        at: el.span.start,
                        error: false,
                        message: format!(
                            "`{}` is not a valid {} for `{what}`; the body shows {}",
                            lit.text,
                            base.json_name(),
                            if base == Base::Number { "0" } else { "false" }
                        ),
                        related: None,
                    });
                }
            }
        }
        let inner = if matches!(base, Base::Array | Base::Enum) && el.type_spec.nested.len() == 1 {
            el.type_spec.nested.first()
        } else {
            None
        };
        self.check_children(&el.children, inner, depth, problems);
        for sample in el.samples.iter().chain(&el.defaults) {
            if let Sample::Elements(children) = sample {
                self.check_children(children, inner, depth, problems);
            }
        }
    }

    fn check_children(
        &self,
        children: &[Element],
        item_type: Option<&TypeName>,
        depth: usize,
        problems: &mut Vec<Problem>,
    ) {
        for child in children {
            match child {
                Element::Value(v) => self.check_value(v, item_type, depth + 1, problems),
                Element::Include(t) => self.check_name(t, true, problems),
                Element::OneOf(options) | Element::Group(options) => {
                    self.check_children(options, item_type, depth + 1, problems)
                }
            }
        }
    }

    fn check_name(&self, t: &TypeName, error: bool, problems: &mut Vec<Problem>) {
        if Base::primitive(&t.name).is_some() || self.types.contains_key(&t.name) {
            return;
        }
        let mut known: Vec<&str> = self.types.keys().map(String::as_str).collect();
        known.sort_unstable();
        known.extend(["string", "number", "boolean", "object", "array", "enum"]);
        let close = known
            .iter()
            .filter(|k| {
                crate::blueprint::edit_distance(&k.to_lowercase(), &t.name.to_lowercase()) <= 2
            })
            .map(|k| format!("`{k}`"))
            .collect::<Vec<_>>();
        let hint = if !close.is_empty() {
            format!("; did you mean {}?", close.join(" or "))
        } else if self.types.is_empty() {
            "; define it under `# Data Structures`".to_string()
        } else {
            String::new()
        };
        problems.push(Problem {
            at: t.at,
            error,
            message: format!(
                "unknown type `{}`: not a base type (string, number, boolean, object, array, \
                 enum) nor a named type of this document{hint}",
                t.name
            ),
            related: None,
        });
    }
}

/// The named types being expanded while a body or schema is built,
/// innermost last: a type met again inside itself is not expanded again,
/// which is where recursive structures end.
///
/// It also bounds the work: nesting deeper than [`MAX_DEPTH`] or more
/// than [`MAX_NODES`] values per body or schema is not built (hostile
/// input; named types used many times in many types grow exponentially).
#[derive(Debug)]
pub(super) struct Expansion<'t> {
    pub table: &'t TypeTable,
    open: Vec<&'t str>,
    nodes: usize,
}

/// Nesting beyond this is not built.
pub const MAX_DEPTH: usize = 64;
/// Values built for one body or schema at most.
pub const MAX_NODES: usize = 100_000;

impl<'t> Expansion<'t> {
    pub fn new(table: &'t TypeTable) -> Self {
        Self {
            table,
            open: Vec::new(),
            nodes: 0,
        }
    }

    /// Counts one more value at `depth`; false once past the bounds.
    pub fn within_bounds(&mut self, depth: usize) -> bool {
        self.nodes += 1;
        depth <= MAX_DEPTH && self.nodes <= MAX_NODES
    }

    /// Is `name` being expanded?
    pub fn is_open(&self, name: &str) -> bool {
        self.open.contains(&name)
    }

    /// Opens named type `t` and returns its definition; `None` when it is
    /// already open or unknown. Every `Some` must be closed with `close`.
    pub fn open(&mut self, t: &'t TypeName) -> Option<&'t ValueElement> {
        let name = t.name.as_str();
        if self.is_open(name) {
            return None;
        }
        let def = self.table.get(name)?;
        self.open.push(name);
        Some(def)
    }

    pub fn close(&mut self) {
        self.open.pop();
    }
}

/// A builder (of bodies, of schemas) that expands named types.
pub(super) trait Expands<'t>: Sized {
    fn expansion(&mut self) -> &mut Expansion<'t>;

    /// Runs `f` on the definition of named type `t`, unless `t` is
    /// already being expanded (recursion ends there) or unknown.
    fn with_named<R>(
        &mut self,
        t: &'t TypeName,
        f: impl FnOnce(&mut Self, &'t ValueElement) -> R,
    ) -> Option<R> {
        let def = self.expansion().open(t)?;
        let out = f(self, def);
        self.expansion().close();
        Some(out)
    }
}

/// The base of an element that names no type: an object when it has
/// members, an array when its value is a list (`a, b`), else a string.
fn implicit_base(el: &ValueElement) -> Base {
    if el
        .value
        .as_ref()
        .is_some_and(|v| !v.quoted && v.text.contains(','))
    {
        return Base::Array;
    }
    let has_members = !el.children.is_empty()
        || el
            .samples
            .iter()
            .chain(&el.defaults)
            .any(|s| matches!(s, Sample::Elements(_)));
    if has_members {
        Base::Object
    } else {
        Base::String
    }
}

/// The named types an element refers to, each with whether the
/// reference is structural (base type or `Include`) rather than a
/// member's type. `top` marks the definition itself, whose type is its
/// base.
fn type_edges<'s>(el: &'s ValueElement, top: bool, out: &mut Vec<(&'s str, bool)>) {
    if let Some(t) = &el.type_spec.name {
        out.push((&t.name, top));
    }
    for t in &el.type_spec.nested {
        out.push((&t.name, false));
    }
    children_edges(&el.children, out);
}

fn children_edges<'s>(children: &'s [Element], out: &mut Vec<(&'s str, bool)>) {
    for child in children {
        match child {
            Element::Include(t) => out.push((&t.name, true)),
            Element::OneOf(options) | Element::Group(options) => children_edges(options, out),
            Element::Value(v) => type_edges(v, false, out),
        }
    }
}
