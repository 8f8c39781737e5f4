//! The collections a contract describes, for the sandbox (`serve
//! --sandbox`): worked out from the routes and the examples alone.
//!
//! A collection is a family of routes: a collection path (`/customers`,
//! whose last segment is literal) and an item path one variable longer
//! (`/customers/{id}`, Rails `:id` too), with whichever of list, create,
//! read, replace, merge and delete the contract documents. The examples
//! say the rest: which field is the id (the item example URI's id is a
//! field of the documented entity), where the entity sits in each answer
//! (`{"customer": {...}}`, `{"results": 1, "customers": [...]}`, a bare
//! array), where it sits in request bodies, the style of the ids, and the
//! entities the sandbox starts with.
//!
//! Computed on first use per contract (only the sandbox asks), off the
//! hot path of a server that does not use it.

use std::hash::{Hash, Hasher};

use hyper::Method;
use rustc_hash::FxHashMap;
use serde::Serialize;
use serde_json::{Map, Value};

use super::path_pattern::{SegmentPattern, segments};
use super::types::{Contract, ExpectedBody};
use crate::blueprint::UriTemplate;

/// What the sandbox found in a contract.
#[derive(Debug, Default)]
pub struct Collections {
    /// The collections, in document order.
    pub found: Vec<Collection>,
    /// Routes that stay plain documented examples, and why.
    pub plain: Vec<PlainRoute>,
}

/// A route the sandbox leaves to its documented examples.
#[derive(Debug, Serialize)]
pub struct PlainRoute {
    /// `METHOD template`.
    pub route: String,
    /// Why it is not part of a collection.
    pub why: String,
}

/// One step into a JSON document.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Step {
    /// An object's member.
    Key(String),
    /// An array's element.
    Index(usize),
}

/// A path into a JSON document (empty: the document itself).
pub type JsonPath = Vec<Step>;

/// What an operation of the collection does.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    /// `GET` on the collection path.
    List,
    /// `POST` on the collection path.
    Create,
    /// `GET` on the item path.
    Read,
    /// `PUT` on the item path: the sent entity replaces the stored one.
    Replace,
    /// `PATCH` on the item path: the sent fields are merged (RFC 7396).
    Merge,
    /// `DELETE` on the item path.
    Delete,
}

impl Role {
    fn of(method: &Method, item: bool) -> Option<Role> {
        Some(match (method.as_str(), item) {
            ("GET", false) => Role::List,
            ("POST", false) => Role::Create,
            ("GET", true) => Role::Read,
            ("PUT", true) => Role::Replace,
            ("PATCH", true) => Role::Merge,
            ("DELETE", true) => Role::Delete,
            _ => return None,
        })
    }

    /// Works on one entity (its id is the item path's last segment).
    pub fn is_item(self) -> bool {
        !matches!(self, Role::List | Role::Create)
    }
}

/// Where a documented answer holds what the sandbox fills in.
#[derive(Debug, Clone)]
pub enum Answer {
    /// One entity at `at` in `body`.
    Entity {
        /// The documented body, parsed.
        body: Value,
        /// Where the entity is.
        at: JsonPath,
    },
    /// The entities as an array at `at` in `body`.
    List {
        /// The documented body, parsed.
        body: Value,
        /// Where the array is.
        at: JsonPath,
        /// Integer members equal to the documented array's length (a
        /// count of results): they get the number of entities.
        counts: Vec<JsonPath>,
        /// Members that count pages (`total_pages`).
        pages: Vec<JsonPath>,
    },
    /// Nothing to fill in (`{"message": "updated"}`, a 204): sent as
    /// documented.
    AsDocumented,
}

/// How new ids look: like the documented ones.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum IdStyle {
    /// Integers: the next one after the largest. `text`: written as JSON
    /// strings (`"42"`).
    Integer {
        /// Ids are JSON strings of digits.
        text: bool,
    },
    /// RFC 4122 UUIDs.
    Uuid,
    /// The same length and alphabet as this documented id, position by
    /// position (digits where it has digits, lower-case letters where it
    /// has those, other characters kept): `4881ljusi3874` →
    /// `5302xkqoa9127`.
    Like(String),
}

impl Paging {
    /// The page size a request asks for: the documented parameter, else
    /// any usual one it sends (when the list pages at all).
    pub fn size_of<'q>(&self, query: &'q [(String, String)]) -> Option<&'q str> {
        let named = |name: &str| {
            query
                .iter()
                .find(|(k, _)| k == name)
                .map(|(_, v)| v.as_str())
        };
        let documented = self.size.as_deref().and_then(named);
        documented.or_else(|| {
            (self.page.is_some() || self.offset.is_some())
                .then(|| SIZE_NAMES.iter().find_map(|n| named(n)))
                .flatten()
        })
    }
}

/// Paging parameters the list's examples document.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Paging {
    /// The page number parameter (`page`), counted from 1.
    pub page: Option<String>,
    /// The page size parameter (`per_page`, `results_per_page`, `limit`).
    pub size: Option<String>,
    /// An offset parameter (`offset`, `skip`).
    pub offset: Option<String>,
}

/// One collection: its routes, its entities' shape, its first entities.
#[derive(Debug)]
pub struct Collection {
    /// The last literal segment of the collection path (`customers`).
    pub name: String,
    /// The collection path as documented (`/retailers/api/v1/customers`).
    pub path: String,
    /// The collection path's segments: literal text, or `None` for a
    /// variable (a nested collection, `/users/{id}/posts`).
    pub pattern: Vec<Option<String>>,
    /// The entity member that holds the id.
    pub id_field: String,
    /// How new ids look.
    pub ids: IdStyle,
    /// The entities the examples document, in document order.
    pub seed: Vec<Value>,
    /// The documented entity a created one starts from.
    pub blank: Value,
    /// Where the entity sits in request bodies (`["customer"]`).
    pub request_at: JsonPath,
    /// What each documented action does, by endpoint id.
    pub roles: FxHashMap<usize, Role>,
    /// Where each of the actions' successful (2xx) transactions holds the
    /// entity, by transaction id.
    pub answers: FxHashMap<usize, Answer>,
    /// A documented 404 per action, by endpoint id.
    pub not_found: FxHashMap<usize, usize>,
    /// Paging the list documents.
    pub paging: Paging,
    /// What stored entities depend on: equal across a reload, the stored
    /// entities are kept.
    pub shape: u64,
    /// Each member name's rank in the documented bodies (first seen,
    /// first): answers list members in the documented order, not
    /// alphabetically (`serde_json::Value` sorts them).
    pub key_order: FxHashMap<String, u32>,
}

impl Collection {
    /// The documented operations, in a fixed order, for people.
    pub fn operations(&self) -> Vec<Role> {
        let mut roles: Vec<Role> = self.roles.values().copied().collect();
        roles.sort_by_key(|r| *r as u8);
        roles.dedup();
        roles
    }

    /// What the sandbox made of it, for `/__mock/state` and `routes
    /// --sandbox --json`.
    pub fn summary(&self) -> Value {
        let envelope: Vec<String> = self
            .request_at
            .iter()
            .map(|s| match s {
                Step::Key(k) => k.clone(),
                Step::Index(i) => i.to_string(),
            })
            .collect();
        serde_json::json!({
            "name": self.name,
            "path": self.path,
            "operations": self.operations(),
            "id": self.id_field,
            "id_style": match &self.ids {
                IdStyle::Integer { text: false } => "integer".to_string(),
                IdStyle::Integer { text: true } => "integer as text".to_string(),
                IdStyle::Uuid => "uuid".to_string(),
                IdStyle::Like(like) => format!("like {like}"),
            },
            "entities": self.seed.len(),
            "request_envelope": envelope,
            "paging": self.paging,
        })
    }

    /// The entity inside a request body sent to this collection, if the
    /// body is (or wraps, as documented) a JSON object.
    pub fn entity_in<'v>(&self, body: &'v Value) -> Option<&'v Map<String, Value>> {
        get(body, &self.request_at)
            .and_then(Value::as_object)
            .or_else(|| body.as_object())
    }

    /// `value` as pretty JSON, members in the documented order (those the
    /// documents never show last, alphabetically).
    pub fn render(&self, value: &Value) -> Vec<u8> {
        serde_json::to_vec_pretty(&Ordered {
            value,
            order: &self.key_order,
        })
        .unwrap_or_default()
    }

    /// The id of `entity`, as the path segment that names it.
    pub fn id_of(&self, entity: &Value) -> Option<String> {
        id_text(entity.get(&self.id_field)?)
    }
}

/// A JSON id as a path segment: strings as they are, integers in decimal.
pub fn id_text(value: &Value) -> Option<String> {
    match value {
        Value::String(s) if !s.is_empty() => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

/// The value at `path` in `value`.
pub fn get<'v>(value: &'v Value, path: &[Step]) -> Option<&'v Value> {
    path.iter().try_fold(value, |v, step| match step {
        Step::Key(k) => v.get(k),
        Step::Index(i) => v.get(i),
    })
}

/// The value at `path` in `value`, to change.
pub fn get_mut<'v>(value: &'v mut Value, path: &[Step]) -> Option<&'v mut Value> {
    path.iter().try_fold(value, |v, step| match step {
        Step::Key(k) => v.get_mut(k),
        Step::Index(i) => v.get_mut(i),
    })
}

/// Id member names tried, in order, when no example says which it is.
const ID_NAMES: [&str; 4] = ["id", "_id", "uuid", "ID"];
/// Page number parameters.
const PAGE_NAMES: [&str; 3] = ["page", "page_number", "pageNumber"];
/// Page size parameters.
const SIZE_NAMES: [&str; 7] = [
    "per_page",
    "results_per_page",
    "page_size",
    "pageSize",
    "perPage",
    "limit",
    "size",
];
/// Offset parameters.
const OFFSET_NAMES: [&str; 2] = ["offset", "skip"];
/// How deep the search for an entity in a documented body goes.
const DEPTH: usize = 4;

/// A route family: the collection path's endpoints and the item path's.
struct Family {
    pattern: Vec<Option<String>>,
    path: String,
    id_param: Option<String>,
    endpoints: Vec<(usize, Role)>,
}

impl Collections {
    /// Finds the collections of `contract`.
    pub fn of(contract: &Contract) -> Collections {
        let mut families: Vec<Family> = Vec::new();
        let mut plain = Vec::new();
        for (id, endpoint) in contract.endpoints().iter().enumerate() {
            let route = format!("{} {}", endpoint.method, endpoint.template);
            let Some((pattern, item, param)) = shape_of_path(&endpoint.template) else {
                plain.push(PlainRoute {
                    route,
                    why: "its path is not a collection (`/things`) or an item (`/things/{id}`)"
                        .into(),
                });
                continue;
            };
            let Some(role) = Role::of(&endpoint.method, item) else {
                plain.push(PlainRoute {
                    route,
                    why: format!(
                        "{} on {} is not list, create, read, update or delete",
                        endpoint.method,
                        if item { "an item" } else { "a collection" }
                    ),
                });
                continue;
            };
            let family = match families.iter_mut().position(|f| f.pattern == pattern) {
                Some(i) => &mut families[i],
                None => {
                    families.push(Family {
                        path: display_path(&pattern),
                        pattern,
                        id_param: None,
                        endpoints: Vec::new(),
                    });
                    families.last_mut().expect("just pushed")
                }
            };
            if item && family.id_param.is_none() {
                family.id_param = param;
            }
            family.endpoints.push((id, role));
        }
        let mut found = Vec::new();
        for family in families {
            match collection(contract, &family) {
                Ok(c) => found.push(c),
                Err(why) => plain.extend(family.endpoints.iter().map(|&(e, _)| {
                    let endpoint = &contract.endpoints()[e];
                    PlainRoute {
                        route: format!("{} {}", endpoint.method, endpoint.template),
                        why: why.clone(),
                    }
                })),
            }
        }
        Collections { found, plain }
    }

    /// What was found (each collection's [`Collection::summary`]) and the
    /// plain routes with why, as JSON: `{"collections": [...], "plain":
    /// [...]}` (`routes --sandbox --json`, `serve`'s `sandbox` event).
    pub fn summary(&self) -> Value {
        serde_json::json!({
            "collections": self.found.iter().map(Collection::summary).collect::<Vec<_>>(),
            "plain": self.plain,
        })
    }

    /// What was found and why, for people (the `serve --sandbox` banner,
    /// `routes --sandbox`).
    pub fn report(&self) -> String {
        use std::fmt::Write as _;
        let mut out = String::new();
        let n = self.found.len();
        let _ = writeln!(
            out,
            "sandbox: {n} collection{} state",
            if n == 1 { " keeps" } else { "s keep" }
        );
        for c in &self.found {
            let ops: Vec<String> = c
                .operations()
                .iter()
                .map(|r| {
                    serde_json::to_value(r)
                        .ok()
                        .and_then(|v| v.as_str().map(str::to_string))
                        .unwrap_or_default()
                })
                .collect();
            let summary = c.summary();
            let envelope = if c.request_at.is_empty() {
                String::new()
            } else {
                format!(
                    "; requests wrap it in `{}`",
                    summary["request_envelope"][0].as_str().unwrap_or_default()
                )
            };
            let _ = writeln!(
                out,
                "  {} {}: {}; id `{}` ({}); {} documented entit{}{envelope}",
                c.name,
                c.path,
                ops.join(", "),
                c.id_field,
                summary["id_style"].as_str().unwrap_or_default(),
                c.seed.len(),
                if c.seed.len() == 1 { "y" } else { "ies" },
            );
        }
        if !self.plain.is_empty() {
            let _ = writeln!(out, "  plain examples:");
            for p in &self.plain {
                let _ = writeln!(out, "    {}: {}", p.route, p.why);
            }
        }
        out
    }

    /// The collection endpoint `endpoint` belongs to, and what it does.
    pub fn role_of(&self, endpoint: usize) -> Option<(&Collection, Role)> {
        self.found
            .iter()
            .find_map(|c| c.roles.get(&endpoint).map(|&r| (c, r)))
    }
}

/// The collection pattern of a template, whether it is the item path,
/// and the item's id parameter; `None` for any other path.
fn shape_of_path(template: &str) -> Option<(Vec<Option<String>>, bool, Option<String>)> {
    let parsed = UriTemplate::parse(template).ok()?;
    let mut pattern: Vec<Option<String>> = Vec::new();
    for segment in segments(&parsed) {
        pattern.push(match segment {
            SegmentPattern::Literal(text) => Some(text),
            SegmentPattern::Var => None,
            SegmentPattern::Mixed(_) | SegmentPattern::CatchAll => return None,
        });
    }
    match pattern.as_slice() {
        [.., Some(_)] => Some((pattern, false, None)),
        [.., Some(_), None] => {
            pattern.pop();
            let query = parsed.query_variables();
            let param = parsed
                .variables()
                .into_iter()
                .rfind(|v| !query.contains(v))
                .map(str::to_string);
            Some((pattern, true, param))
        }
        _ => None,
    }
}

fn display_path(pattern: &[Option<String>]) -> String {
    let mut path = String::new();
    for segment in pattern {
        path.push('/');
        path.push_str(segment.as_deref().unwrap_or("{}"));
    }
    path
}

/// The parsed JSON body of a documented response, if it is JSON.
fn response_json(contract: &Contract, tx: usize) -> Option<Value> {
    let body = &contract.transaction(tx).response.body;
    if body.is_empty() {
        return None;
    }
    serde_json::from_slice(body).ok()
}

fn collection(contract: &Contract, family: &Family) -> Result<Collection, String> {
    let name = family
        .pattern
        .iter()
        .rev()
        .find_map(|s| s.clone())
        .unwrap_or_default();
    let depth = family.pattern.len();
    // Successful transactions of each action, their bodies parsed, and the
    // id each item example names in its URI.
    let mut examples: Vec<(usize, Role, Option<Value>, Option<String>)> = Vec::new();
    let mut not_found = FxHashMap::default();
    for &(e, role) in &family.endpoints {
        for &tx in &contract.endpoints()[e].transactions {
            let t = contract.transaction(tx);
            let status = t.response.status.as_u16();
            if status == 404 {
                not_found.entry(e).or_insert(tx);
            }
            if !(200..300).contains(&status) {
                continue;
            }
            let example_id = role
                .is_item()
                .then(|| {
                    t.request
                        .path
                        .iter()
                        .find(|(i, _)| *i == depth)
                        .map(|(_, v)| v.clone())
                })
                .flatten();
            examples.push((tx, role, response_json(contract, tx), example_id));
        }
    }
    let roles: FxHashMap<usize, Role> = family.endpoints.iter().copied().collect();
    let reads = roles.values().any(|r| matches!(r, Role::List | Role::Read));
    let writes = roles
        .values()
        .any(|r| matches!(r, Role::Create | Role::Replace | Role::Merge | Role::Delete));
    if !reads || !writes {
        return Err(if writes {
            "nothing documented reads it back (no list or read)".into()
        } else {
            "nothing documented changes it (no create, update or delete)".into()
        });
    }
    let id_field = id_field(&examples, family.id_param.as_deref())
        .ok_or("no documented entity has an id member (an item example URI's id, or `id`)")?;

    let mut answers = FxHashMap::default();
    let mut seed: Vec<Value> = Vec::new();
    let mut blank: Option<(Role, Value)> = None;
    let mut example_ids: Vec<Value> = Vec::new();
    for (tx, role, body, example_id) in &examples {
        if let Some(id) = example_id {
            example_ids.push(Value::String(id.clone()));
        }
        let answer = match (role, body) {
            (_, None) | (Role::Delete, _) => Answer::AsDocumented,
            (Role::List, Some(body)) => match find_list(body, &id_field, &name) {
                Some((at, counts, pages)) => {
                    if let Some(Value::Array(items)) = get(body, &at) {
                        for item in items {
                            add_seed(&mut seed, item, &id_field);
                        }
                    }
                    Answer::List {
                        body: body.clone(),
                        at,
                        counts,
                        pages,
                    }
                }
                None => Answer::AsDocumented,
            },
            (_, Some(body)) => match find_entity(body, &id_field, example_id.as_deref()) {
                Some(at) => {
                    if let Some(entity) = get(body, &at) {
                        add_seed(&mut seed, entity, &id_field);
                        let better = match &blank {
                            None => true,
                            Some((Role::Create, _)) => false,
                            Some(_) => *role == Role::Create,
                        };
                        if better {
                            blank = Some((*role, entity.clone()));
                        }
                    }
                    Answer::Entity {
                        body: body.clone(),
                        at,
                    }
                }
                None => Answer::AsDocumented,
            },
        };
        answers.insert(*tx, answer);
    }
    if seed.is_empty() && answers.values().all(|a| matches!(a, Answer::AsDocumented)) {
        return Err(format!(
            "no documented answer holds an entity with `{id_field}`"
        ));
    }
    let blank = blank
        .map(|(_, b)| b)
        .or_else(|| seed.first().cloned())
        .unwrap_or_else(|| Value::Object(Map::new()));
    // The entities' own ids say whether ids are numbers or text; the
    // example URIs' only when no entity has one.
    let entity_ids: Vec<Value> = seed
        .iter()
        .filter_map(|e| e.get(&id_field).cloned())
        .collect();
    let ids = id_style(if entity_ids.is_empty() {
        &example_ids
    } else {
        &entity_ids
    });
    let request_at = request_envelope(contract, family, &blank);
    let paging = paging(contract, family);

    let key_order = key_order(contract, family);
    let mut h = rustc_hash::FxHasher::default();
    (&family.path, &id_field, &ids, &request_at).hash(&mut h);
    // The members the documented entities have, all together.
    let members: std::collections::BTreeSet<&String> = std::iter::once(&blank)
        .chain(&seed)
        .filter_map(Value::as_object)
        .flat_map(|fields| fields.keys())
        .collect();
    members.hash(&mut h);
    Ok(Collection {
        name,
        path: family.path.clone(),
        pattern: family.pattern.clone(),
        id_field,
        ids,
        seed,
        blank,
        request_at,
        roles,
        answers,
        not_found,
        paging,
        shape: h.finish(),
        key_order,
    })
}

/// The id member: the one whose value is an item example URI's id, else
/// the id parameter's name or a usual id name found in an entity.
fn id_field(
    examples: &[(usize, Role, Option<Value>, Option<String>)],
    param: Option<&str>,
) -> Option<String> {
    for (_, _, body, id) in examples {
        if let (Some(body), Some(id)) = (body, id)
            && let Some(field) = member_with_value(body, id, 0)
        {
            return Some(field);
        }
    }
    let names = param.into_iter().chain(ID_NAMES);
    for name in names {
        let present = examples
            .iter()
            .any(|(_, _, body, _)| body.as_ref().is_some_and(|b| has_object_with(b, name, 0)));
        if present {
            return Some(name.to_string());
        }
    }
    None
}

/// The name of a member of an object within `value` whose value is `id`
/// (an id member name preferred).
fn member_with_value(value: &Value, id: &str, depth: usize) -> Option<String> {
    if depth > DEPTH {
        return None;
    }
    match value {
        Value::Object(map) => {
            let matching: Vec<&String> = map
                .iter()
                .filter(|(_, v)| id_text(v).as_deref() == Some(id))
                .map(|(k, _)| k)
                .collect();
            let preferred = matching
                .iter()
                .find(|k| ID_NAMES.contains(&k.as_str()))
                .or(matching.first());
            if let Some(k) = preferred {
                return Some((*k).clone());
            }
            map.values()
                .find_map(|v| member_with_value(v, id, depth + 1))
        }
        _ => None,
    }
}

fn has_object_with(value: &Value, name: &str, depth: usize) -> bool {
    if depth > DEPTH {
        return false;
    }
    match value {
        Value::Object(map) => {
            map.get(name).and_then(id_text).is_some()
                || map.values().any(|v| has_object_with(v, name, depth + 1))
        }
        Value::Array(items) => items.iter().any(|v| has_object_with(v, name, depth + 1)),
        _ => false,
    }
}

/// Where the one entity of an answer is: the object holding `example_id`
/// in its id member when the example names one, else the first object
/// (breadth first, not inside arrays) with an id member.
fn find_entity(body: &Value, id_field: &str, example_id: Option<&str>) -> Option<JsonPath> {
    let mut first = None;
    for (path, value) in breadth_first(body) {
        if let Some(id) = value.get(id_field).and_then(id_text) {
            if example_id.is_none_or(|e| e == id) {
                return Some(path);
            }
            first.get_or_insert(path);
        }
    }
    first
}

/// Every value of `body` reached through object members (arrays are not
/// entered), with its path, nearest first, down to [`DEPTH`] members.
fn breadth_first(body: &Value) -> Vec<(JsonPath, &Value)> {
    let mut seen: Vec<(JsonPath, &Value)> = vec![(Vec::new(), body)];
    let mut next = 0;
    while let Some((path, value)) = seen.get(next) {
        next += 1;
        if let Value::Object(map) = value
            && path.len() < DEPTH
        {
            let path = path.clone();
            for (k, v) in map {
                let mut member = path.clone();
                member.push(Step::Key(k.clone()));
                seen.push((member, v));
            }
        }
    }
    seen
}

type ListAt = (JsonPath, Vec<JsonPath>, Vec<JsonPath>);

/// Where the entities of a list answer are (an array of objects with an
/// id member, or an empty array named after the collection, or the whole
/// body as an array), and its count and page-count members.
fn find_list(body: &Value, id_field: &str, name: &str) -> Option<ListAt> {
    let found = breadth_first(body).into_iter().find_map(|(path, value)| {
        let items = value.as_array()?;
        let entities = items
            .iter()
            .any(|i| i.get(id_field).and_then(id_text).is_some());
        let named = matches!(path.last(), Some(Step::Key(k)) if k == name);
        (entities || (items.is_empty() && (named || path.is_empty()))).then_some(path)
    });
    let at = found?;
    let len = get(body, &at).and_then(Value::as_array).map_or(0, Vec::len) as u64;
    // Count members: integers equal to the array's length, in the objects
    // on the way to the array.
    let (mut counts, mut pages) = (Vec::new(), Vec::new());
    for depth in 0..at.len() {
        let Some(Value::Object(map)) = get(body, &at[..depth]) else {
            continue;
        };
        for (k, v) in map {
            let lower = k.to_ascii_lowercase();
            let mut path = at[..depth].to_vec();
            path.push(Step::Key(k.clone()));
            if lower.contains("page") {
                if lower.contains("total") || lower.contains("count") || lower == "pages" {
                    pages.push(path);
                }
            } else if v.as_u64() == Some(len) {
                counts.push(path);
            }
        }
    }
    Some((at, counts, pages))
}

/// Adds `entity` to the seed when it has an id, filling in the members an
/// entity with the same id documented elsewhere lacks.
fn add_seed(seed: &mut Vec<Value>, entity: &Value, id_field: &str) {
    let Some(id) = entity.get(id_field).and_then(id_text) else {
        return;
    };
    let Some(fields) = entity.as_object() else {
        return;
    };
    match seed
        .iter_mut()
        .find(|e| e.get(id_field).and_then(id_text).as_deref() == Some(id.as_str()))
    {
        Some(Value::Object(known)) => {
            for (k, v) in fields {
                known.entry(k.clone()).or_insert_with(|| v.clone());
            }
        }
        _ => seed.push(entity.clone()),
    }
}

/// Decides how new ids look from the documented ones.
fn id_style(ids: &[Value]) -> IdStyle {
    let texts: Vec<String> = ids.iter().filter_map(id_text).collect();
    if texts.is_empty() || ids.iter().all(|v| v.is_u64() || v.is_i64()) {
        return IdStyle::Integer { text: false };
    }
    let digits = |s: &str| s.len() < 16 && s.bytes().all(|b| b.is_ascii_digit());
    let uuid = |s: &str| {
        s.len() == 36
            && s.char_indices().all(|(i, c)| {
                if [8, 13, 18, 23].contains(&i) {
                    c == '-'
                } else {
                    c.is_ascii_hexdigit()
                }
            })
    };
    if texts.iter().all(|t| digits(t)) {
        // Numbers written as strings, or strings that look like numbers.
        let text = ids.iter().any(Value::is_string);
        return IdStyle::Integer { text };
    }
    if texts.iter().all(|t| uuid(t)) {
        return IdStyle::Uuid;
    }
    let like = texts
        .iter()
        .find(|t| !digits(t))
        .cloned()
        .unwrap_or_default();
    IdStyle::Like(like)
}

/// Where the entity sits in the documented request bodies of create and
/// update: the object (the body, or one member of it) whose members the
/// entity shares most (`{"customer": {...}}` → `["customer"]`).
fn request_envelope(contract: &Contract, family: &Family, blank: &Value) -> JsonPath {
    let Some(fields) = blank.as_object() else {
        return Vec::new();
    };
    let overlap = |v: &Value| {
        v.as_object()
            .map_or(0, |m| m.keys().filter(|k| fields.contains_key(*k)).count())
    };
    for &(e, role) in &family.endpoints {
        if !matches!(role, Role::Create | Role::Replace | Role::Merge) {
            continue;
        }
        for &tx in &contract.endpoints()[e].transactions {
            let ExpectedBody::Json { value, .. } = &contract.transaction(tx).request.body else {
                continue;
            };
            let Some(map) = value.as_object() else {
                continue;
            };
            let root = overlap(value);
            let best = map
                .iter()
                .filter(|(_, v)| v.is_object())
                .map(|(k, v)| (overlap(v), k))
                .max_by_key(|(n, _)| *n);
            if let Some((n, key)) = best
                && n > root
            {
                return vec![Step::Key(key.clone())];
            }
            return Vec::new();
        }
    }
    Vec::new()
}

/// The page size parameter any route of the contract documents.
fn contract_size_name(contract: &Contract) -> Option<&'static str> {
    let documented = |name: &str| {
        contract.endpoints().iter().any(|e| {
            let in_template = e.template.contains(name)
                && UriTemplate::parse(&e.template)
                    .is_ok_and(|t| t.query_variables().contains(&name));
            in_template
                || e.transactions.iter().any(|&tx| {
                    let r = &contract.transaction(tx).request;
                    r.query.iter().any(|(k, _)| k == name)
                        || r.query_names.iter().any(|k| k == name)
                })
        })
    };
    SIZE_NAMES.into_iter().find(|n| documented(n))
}

/// The paging parameters the list documents (in its URI template or its
/// example URIs).
fn paging(contract: &Contract, family: &Family) -> Paging {
    let mut names: Vec<String> = Vec::new();
    for &(e, role) in &family.endpoints {
        if role != Role::List {
            continue;
        }
        let endpoint = &contract.endpoints()[e];
        if let Ok(t) = UriTemplate::parse(&endpoint.template) {
            names.extend(t.query_variables().into_iter().map(str::to_string));
        }
        for &tx in &endpoint.transactions {
            let request = &contract.transaction(tx).request;
            names.extend(request.query.iter().map(|(k, _)| k.clone()));
            names.extend(request.query_names.iter().cloned());
        }
    }
    let pick = |list: &[&str]| {
        list.iter()
            .find(|n| names.iter().any(|m| m == *n))
            .map(|n| n.to_string())
    };
    let page = pick(&PAGE_NAMES);
    let offset = pick(&OFFSET_NAMES);
    // A documented page number honours a size parameter even when the
    // list's examples show none: the one other routes of the contract use
    // (the seed's `results_per_page`), else the first usual name (a
    // request may send any usual name, see `Paging::size_of`).
    let size = pick(&SIZE_NAMES).or_else(|| {
        (page.is_some() || offset.is_some()).then(|| {
            contract_size_name(contract)
                .unwrap_or(SIZE_NAMES[0])
                .to_string()
        })
    });
    Paging { page, size, offset }
}

/// The rank of each member name in the family's documented bodies, in
/// document order.
fn key_order(contract: &Contract, family: &Family) -> FxHashMap<String, u32> {
    let mut names = Vec::new();
    for &(e, _) in &family.endpoints {
        for &tx in &contract.endpoints()[e].transactions {
            let body = &contract.transaction(tx).response.body;
            let mut de = serde_json::Deserializer::from_slice(body);
            // Not JSON: no names (those read before the error are kept).
            let _ = serde::de::DeserializeSeed::deserialize(KeyNames(&mut names), &mut de);
        }
    }
    let mut order = FxHashMap::default();
    for name in names {
        let next = order.len() as u32;
        order.entry(name).or_insert(next);
    }
    order
}

/// Collects the member names of a JSON document in the order written.
struct KeyNames<'a>(&'a mut Vec<String>);

impl<'de> serde::de::DeserializeSeed<'de> for KeyNames<'_> {
    type Value = ();

    fn deserialize<D: serde::Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> serde::de::Visitor<'de> for KeyNames<'_> {
    type Value = ();

    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("JSON")
    }

    fn visit_map<A: serde::de::MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        while let Some(key) = map.next_key::<String>()? {
            self.0.push(key);
            map.next_value_seed(KeyNames(&mut *self.0))?;
        }
        Ok(())
    }

    fn visit_seq<A: serde::de::SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        while seq.next_element_seed(KeyNames(&mut *self.0))?.is_some() {}
        Ok(())
    }

    fn visit_bool<E>(self, _: bool) -> Result<(), E> {
        Ok(())
    }
    fn visit_i64<E>(self, _: i64) -> Result<(), E> {
        Ok(())
    }
    fn visit_u64<E>(self, _: u64) -> Result<(), E> {
        Ok(())
    }
    fn visit_f64<E>(self, _: f64) -> Result<(), E> {
        Ok(())
    }
    fn visit_str<E>(self, _: &str) -> Result<(), E> {
        Ok(())
    }
    fn visit_unit<E>(self) -> Result<(), E> {
        Ok(())
    }
}

/// A JSON value serialised with its members in a given order.
struct Ordered<'a> {
    value: &'a Value,
    order: &'a FxHashMap<String, u32>,
}

impl Serialize for Ordered<'_> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::{SerializeMap, SerializeSeq};
        match self.value {
            Value::Object(map) => {
                let mut members: Vec<(&String, &Value)> = map.iter().collect();
                members.sort_by_key(|(k, _)| (self.order.get(*k).copied().unwrap_or(u32::MAX), *k));
                let mut out = s.serialize_map(Some(members.len()))?;
                for (k, v) in members {
                    out.serialize_entry(
                        k,
                        &Ordered {
                            value: v,
                            order: self.order,
                        },
                    )?;
                }
                out.end()
            }
            Value::Array(items) => {
                let mut out = s.serialize_seq(Some(items.len()))?;
                for v in items {
                    out.serialize_element(&Ordered {
                        value: v,
                        order: self.order,
                    })?;
                }
                out.end()
            }
            other => other.serialize(s),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn collections(spec: &str) -> Collections {
        let (doc, _) = crate::load::parse_bytes("t.apib", spec.as_bytes());
        let (contract, _) = Contract::compile_with(std::slice::from_ref(&doc), false);
        Collections::of(&contract)
    }

    #[test]
    fn the_seed_customers_are_a_collection_with_their_envelopes() {
        let spec =
            std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/specs/retailers.apib"))
                .expect("the seed spec");
        let found = collections(&spec);
        let customers = found
            .found
            .iter()
            .find(|c| c.name == "customers")
            .expect("customers found");
        assert_eq!(customers.id_field, "id");
        assert_eq!(customers.request_at, vec![Step::Key("customer".into())]);
        assert_eq!(customers.ids, IdStyle::Like("4880vesdc3873".into()));
        let ids: Vec<String> = customers
            .seed
            .iter()
            .filter_map(|e| customers.id_of(e))
            .collect();
        assert_eq!(ids, ["4880vesdc3873", "4881ljusi3874", "4882chfxj3875"]);
        assert_eq!(
            customers.operations(),
            [Role::List, Role::Create, Role::Read, Role::Replace]
        );
        assert_eq!(customers.paging.page.as_deref(), Some("page"));
        let list = customers
            .answers
            .values()
            .find_map(|a| match a {
                Answer::List {
                    at, counts, pages, ..
                } => Some((at, counts, pages)),
                _ => None,
            })
            .expect("a list answer");
        assert_eq!(list.0, &vec![Step::Key("customers".into())]);
        assert_eq!(list.1, &vec![vec![Step::Key("results".into())]]);
        assert_eq!(list.2, &vec![vec![Step::Key("total_pages".into())]]);
        // Agents are a list without an item route: no id member to find.
        assert!(found.plain.iter().any(|p| p.route.contains("agents")));
    }

    #[test]
    fn integer_ids_and_bare_arrays() {
        let found = collections(
            "# A\n## Notes [/notes]\n### List [GET]\n+ Response 200 (application/json)\n\n        [{\"id\": 1, \"text\": \"a\"}, {\"id\": 2, \"text\": \"b\"}]\n\n### Create [POST]\n+ Request (application/json)\n\n        {\"text\": \"c\"}\n\n+ Response 201 (application/json)\n\n        {\"id\": 3, \"text\": \"c\"}\n\n## Note [/notes/{id}]\n### Delete [DELETE]\n+ Response 204\n",
        );
        let notes = &found.found[0];
        assert_eq!(notes.ids, IdStyle::Integer { text: false });
        assert_eq!(notes.seed.len(), 3);
        assert!(notes.request_at.is_empty());
        assert_eq!(notes.operations(), [Role::List, Role::Create, Role::Delete]);
    }

    #[test]
    fn id_styles_follow_the_documented_ids() {
        assert_eq!(
            id_style(&[Value::from("12"), Value::from("7")]),
            IdStyle::Integer { text: true }
        );
        assert_eq!(
            id_style(&[Value::from("6f1c2b8e-2d3a-4c5b-9e7f-0a1b2c3d4e5f")]),
            IdStyle::Uuid
        );
        assert_eq!(id_style(&[]), IdStyle::Integer { text: false });
    }
}
