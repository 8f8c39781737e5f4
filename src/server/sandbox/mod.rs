//! The sandbox (`serve --sandbox`): the contract's collections hold state.
//!
//! `contract::collections` reads the collections off the contract (routes,
//! entity shape, envelopes, id style, first entities); this module keeps
//! their entities per session and answers list, create, read, update and
//! delete from them, inside the documented answers' envelopes. A request
//! reaches it only after matching and strict mode chose a successful
//! documented transaction of a collection route: everything else is
//! answered as documented.
//!
//! State is one map behind one lock: a sandbox serves one team's tests,
//! and every operation is a few map lookups and one JSON serialisation.
//! It is bounded (`max_sessions`, `max_bytes`) and moves forward with
//! reloads only: a collection whose shape a reload changed is re-seeded,
//! and the reload line says so.

mod ids;
mod persist;

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::path::PathBuf;
use std::sync::{Arc, Mutex, MutexGuard};

use bytes::Bytes;
use http_body_util::Full;
use hyper::Response;
use hyper::header::{self, HeaderName, HeaderValue};
use serde_json::{Map, Value, json};

use super::problem::Problem;
use crate::contract::collections::{self, Answer, Collection, Collections, Role, Step};
use crate::contract::{CompiledTransaction, Contract};
use crate::matching::RecordedRequest;
pub(crate) use persist::write_atomically;

/// Says what the sandbox did, on each of its answers.
pub(crate) const STATE_HEADER: HeaderName = HeaderName::from_static("apib-mock-state");
/// The session a request belongs to (header, or cookie of that name).
const SESSION_HEADER: &str = "apib-mock-session";
/// The session of requests that name none.
pub(crate) const DEFAULT_SESSION: &str = "default";
/// The longest session name accepted.
const MAX_SESSION_NAME: usize = 128;

/// The sandbox's settings.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct SandboxConfig {
    /// Keep the state in this file across restarts (written atomically,
    /// a moment after each change and when the server stops).
    pub state_file: Option<PathBuf>,
    /// Sessions kept at once (`Apib-Mock-Session`); a new one past it is
    /// refused with `507` until some are deleted.
    pub max_sessions: usize,
    /// Bytes of entities kept, all sessions together (their JSON size);
    /// a change past it is refused with `507`.
    pub max_bytes: usize,
    /// Seed for the new ids of non-integer styles (random otherwise).
    pub seed: Option<u64>,
}

impl Default for SandboxConfig {
    fn default() -> Self {
        SandboxConfig {
            state_file: None,
            max_sessions: 1000,
            max_bytes: 64 << 20,
            seed: None,
        }
    }
}

/// What the sandbox answered.
pub(crate) enum Reply {
    /// An answer made from the documented transaction `.1` (coverage
    /// counts it).
    Documented(Response<Full<Bytes>>, usize),
    /// A problem document, with what the sandbox did for the state
    /// header.
    Problem {
        problem: Problem,
        detail: String,
        extra: Value,
        state: String,
    },
}

/// The sandbox of a server.
#[derive(Debug)]
pub(crate) struct Sandbox {
    /// Shared with the state file's writer thread.
    store: Arc<Mutex<Store>>,
    config: SandboxConfig,
    writer: Option<persist::Writer>,
}

#[derive(Debug)]
struct Store {
    /// The contract generation the buckets were checked against.
    generation: Option<u64>,
    sessions: HashMap<String, Session>,
    /// JSON bytes of every stored entity.
    bytes: usize,
    rng: crate::server::random::Rng,
    /// What the last check against a new contract did, for the reload
    /// line.
    notes: Vec<String>,
}

#[derive(Debug, Default)]
struct Session {
    /// By the collection's concrete path (`retailers/api/v1/customers`;
    /// a nested collection has one per parent).
    buckets: HashMap<String, Bucket>,
}

/// One collection's entities in one session, in the order they came.
#[derive(Debug)]
struct Bucket {
    /// The collection's documented path ([`Collection::path`]).
    collection: String,
    /// [`Collection::shape`] when the entities were stored.
    shape: u64,
    entities: BTreeMap<u64, Stored>,
    by_id: HashMap<String, u64>,
    next: u64,
    /// The largest integer id ever stored: the next integer id follows it
    /// (a deleted id is not given again, as databases do).
    largest: Option<u64>,
    /// The last list answer, until the entities change.
    listed: Option<Listed>,
}

/// A list answer's body, kept until the bucket changes: a UI polling a
/// list costs one serialisation per change, not one per request.
#[derive(Debug)]
struct Listed {
    /// Which documented answer of which contract it was made from, and
    /// the page.
    key: (u64, usize, usize, Option<usize>),
    body: Bytes,
    count: usize,
}

#[derive(Debug)]
struct Stored {
    id: String,
    value: Value,
    bytes: usize,
}

impl Bucket {
    /// No entities, for the collection at `collection` of shape `shape`.
    fn empty(collection: String, shape: u64) -> Bucket {
        Bucket {
            collection,
            shape,
            entities: BTreeMap::new(),
            by_id: HashMap::new(),
            next: 0,
            largest: None,
            listed: None,
        }
    }

    fn seeded(collection: &Collection) -> Bucket {
        let mut bucket = Bucket::empty(collection.path.clone(), collection.shape);
        for entity in &collection.seed {
            if let Some(id) = collection.id_of(entity) {
                bucket.insert(id, entity.clone());
            }
        }
        bucket
    }

    /// Stores `value` as `id` (a new one, or in place of the old one),
    /// returning the bytes it adds (or frees, negative).
    fn insert(&mut self, id: String, value: Value) -> isize {
        let bytes = json_size(&value);
        self.insert_sized(id, value, bytes)
    }

    /// [`insert`](Self::insert) of a value whose JSON size is known.
    fn insert_sized(&mut self, id: String, value: Value, bytes: usize) -> isize {
        self.listed = None;
        if let Some(n) = ids::as_integer(&id) {
            self.largest = self.largest.max(Some(n));
        }
        if let Some(&seq) = self.by_id.get(&id)
            && let Some(old) = self.entities.get_mut(&seq)
        {
            let delta = bytes as isize - old.bytes as isize;
            *old = Stored { id, value, bytes };
            return delta;
        }
        let seq = self.next;
        self.next += 1;
        self.by_id.insert(id.clone(), seq);
        self.entities.insert(seq, Stored { id, value, bytes });
        bytes as isize
    }

    fn get(&self, id: &str) -> Option<&Stored> {
        self.entities.get(self.by_id.get(id)?)
    }

    fn remove(&mut self, id: &str) -> Option<Stored> {
        let seq = self.by_id.remove(id)?;
        self.listed = None;
        self.entities.remove(&seq)
    }

    fn bytes(&self) -> usize {
        self.entities.values().map(|s| s.bytes).sum()
    }

    fn values(&self) -> impl Iterator<Item = &Value> {
        self.entities.values().map(|s| &s.value)
    }
}

fn json_size(value: &Value) -> usize {
    serde_json::to_vec(value).map_or(0, |v| v.len())
}

/// The request's session: its `Apib-Mock-Session` header, else its
/// `apib-mock-session` cookie, else the default one.
fn session_of(request: &RecordedRequest<'_>) -> Result<String, String> {
    let all = request.headers.all;
    let named = all
        .get(SESSION_HEADER)
        .and_then(|v| v.to_str().ok())
        .map(str::to_string)
        .or_else(|| {
            all.get_all(header::COOKIE)
                .iter()
                .filter_map(|v| v.to_str().ok())
                .flat_map(|v| v.split(';'))
                .find_map(|pair| {
                    let (name, value) = pair.trim().split_once('=')?;
                    (name == SESSION_HEADER).then(|| value.trim().to_string())
                })
        });
    match named.as_deref().map(str::trim) {
        None => Ok(DEFAULT_SESSION.to_string()),
        Some(name) if name.is_empty() || name.len() > MAX_SESSION_NAME => Err(format!(
            "a session name is 1 to {MAX_SESSION_NAME} characters ({SESSION_HEADER})"
        )),
        Some(name) => Ok(name.to_string()),
    }
}

impl Sandbox {
    /// A sandbox with `config`, holding the state its file kept, if any
    /// (a file that cannot be read is said on stderr and left as it is:
    /// the sandbox then starts from the documented entities and does not
    /// write over it).
    pub(crate) fn new(config: SandboxConfig) -> Sandbox {
        let mut store = Store {
            generation: None,
            sessions: HashMap::new(),
            bytes: 0,
            rng: crate::server::random::Rng::new(config.seed),
            notes: Vec::new(),
        };
        let mut writable = true;
        if let Some(path) = &config.state_file {
            match persist::read(path) {
                Ok(Some(saved)) => persist::restore(saved, &mut store),
                Ok(None) => {}
                Err(why) => {
                    eprintln!(
                        "apib-mock: the sandbox state in {} cannot be used ({why}); \
                         it is left as it is and not written",
                        path.display()
                    );
                    writable = false;
                }
            }
        }
        let store = Arc::new(Mutex::new(store));
        let writer = config
            .state_file
            .clone()
            .filter(|_| writable)
            .map(|path| persist::Writer::start(path, store.clone()));
        Sandbox {
            store,
            config,
            writer,
        }
    }

    fn lock(&self) -> MutexGuard<'_, Store> {
        // Every change leaves the maps whole: a panic elsewhere while
        // holding the lock does not make them unusable.
        self.store.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn changed(&self) {
        if let Some(writer) = &self.writer {
            writer.changed();
        }
    }

    /// Writes the state file now, if the state changed since the last
    /// write, and stops the writer: the server is stopping.
    pub(crate) fn flush(&self) {
        if let Some(writer) = &self.writer {
            writer.stop();
        }
    }

    /// A reload served `contract`: collections whose shape changed are
    /// re-seeded. Returns what was done, for the reload line.
    pub(crate) fn reloaded(&self, contract: &Contract) -> Vec<String> {
        let collections = contract.collections().clone();
        let mut store = self.lock();
        sync(&mut store, &collections, contract.generation());
        let notes = std::mem::take(&mut store.notes);
        drop(store);
        if !notes.is_empty() {
            self.changed();
        }
        notes
    }

    /// The answer to a request that matched the successful documented
    /// transaction `tx`, if `tx` belongs to a collection; `None` to answer
    /// as documented.
    pub(crate) fn answer(
        &self,
        contract: &Contract,
        tx: usize,
        request: &RecordedRequest<'_>,
        head: bool,
    ) -> Option<Reply> {
        let collections = contract.collections();
        let documented = contract.transaction(tx);
        let (collection, role) = collections.role_of(documented.endpoint)?;
        let shape = collection.answers.get(&tx)?;
        let depth = collection.pattern.len();
        let key = (0..depth)
            .filter_map(|i| request.segments.get(i))
            .collect::<Vec<_>>()
            .join("/");
        let id = role
            .is_item()
            .then(|| request.segments.get(depth).map(str::to_string))
            .flatten();
        if role.is_item() && id.is_none() {
            return None;
        }
        let session = match session_of(request) {
            Ok(s) => s,
            Err(detail) => {
                return Some(Reply::Problem {
                    problem: Problem::BadRequest,
                    detail,
                    extra: json!({}),
                    state: "refused".into(),
                });
            }
        };
        let mut store = self.lock();
        if !sync(&mut store, collections, contract.generation()) {
            // A request finishing on a contract a reload replaced.
            return None;
        }
        let op = Op {
            contract,
            collection,
            tx: documented,
            tx_id: tx,
            shape,
            head,
            id,
            key,
            session,
            max_bytes: self.config.max_bytes,
            max_sessions: self.config.max_sessions,
        };
        let (reply, changed) = op.run(&mut store, role, request);
        drop(store);
        if changed {
            self.changed();
        }
        Some(reply)
    }

    /// `GET /__mock/state`: each session's entities by collection (the
    /// documented ones where a session changed nothing yet), and the
    /// collections found; one session's only with `session`.
    pub(crate) fn state_json(&self, contract: &Contract, session: Option<&str>) -> Value {
        let collections = contract.collections();
        let store = self.lock();
        let mut names: BTreeSet<&str> = store.sessions.keys().map(String::as_str).collect();
        names.insert(DEFAULT_SESSION);
        if let Some(only) = session {
            names = [only].into();
        }
        let mut sessions = Map::new();
        for name in names {
            let stored = store.sessions.get(name);
            let mut by_collection = Map::new();
            for c in &collections.found {
                let buckets: Vec<(&String, &Bucket)> = stored
                    .map(|s| {
                        s.buckets
                            .iter()
                            .filter(|(_, b)| b.collection == c.path)
                            .collect()
                    })
                    .unwrap_or_default();
                if buckets.is_empty() {
                    let path = c.path.trim_start_matches('/').to_string();
                    by_collection.insert(path, Value::Array(c.seed.clone()));
                }
                for (key, bucket) in buckets {
                    by_collection.insert(key.clone(), bucket.values().cloned().collect());
                }
            }
            sessions.insert(name.to_string(), Value::Object(by_collection));
        }
        json!({
            "collections": collections.found.iter().map(Collection::summary).collect::<Vec<_>>(),
            "sessions": sessions,
            "bytes": store.bytes,
            "max_bytes": self.config.max_bytes,
            "state_file": self.config.state_file.as_ref().map(|p| p.display().to_string()),
        })
    }

    /// `DELETE /__mock/state`: back to the documented entities, for one
    /// session or all. Returns how many sessions were reset.
    pub(crate) fn reset(&self, session: Option<&str>) -> usize {
        let mut store = self.lock();
        let removed: Vec<Session> = match session {
            Some(name) => store.sessions.remove(name).into_iter().collect(),
            None => store.sessions.drain().map(|(_, s)| s).collect(),
        };
        let freed: usize = removed
            .iter()
            .flat_map(|s| s.buckets.values())
            .map(Bucket::bytes)
            .sum();
        store.bytes = store.bytes.saturating_sub(freed);
        drop(store);
        self.changed();
        removed.len()
    }
}

/// Brings the buckets to `generation`'s collections: kept where the
/// collection's shape is unchanged, dropped (re-seeded on next use)
/// otherwise. False for an older generation (its request is answered as
/// documented).
fn sync(store: &mut Store, collections: &Collections, generation: u64) -> bool {
    match store.generation {
        Some(g) if generation < g => return false,
        Some(g) if generation == g => return true,
        _ => {}
    }
    let mut notes = BTreeSet::new();
    let mut freed = 0;
    for session in store.sessions.values_mut() {
        session.buckets.retain(|_, bucket| {
            let keep = match collections
                .found
                .iter()
                .find(|c| c.path == bucket.collection)
            {
                Some(c) if c.shape == bucket.shape => true,
                Some(c) => {
                    notes.insert(format!(
                        "sandbox: {} re-seeded (its entities' shape changed)",
                        c.name
                    ));
                    false
                }
                None => {
                    notes.insert(format!(
                        "sandbox: {} is no longer a collection; its entities were dropped",
                        bucket.collection
                    ));
                    false
                }
            };
            if !keep {
                freed += bucket.bytes();
            }
            keep
        });
    }
    store.bytes = store.bytes.saturating_sub(freed);
    store.generation = Some(generation);
    store.notes.extend(notes);
    true
}

/// One sandbox operation: what it works on.
struct Op<'a> {
    contract: &'a Contract,
    collection: &'a Collection,
    tx: &'a CompiledTransaction,
    tx_id: usize,
    shape: &'a Answer,
    head: bool,
    id: Option<String>,
    key: String,
    session: String,
    max_bytes: usize,
    max_sessions: usize,
}

impl Op<'_> {
    /// Runs it; also says whether the state changed.
    fn run(&self, store: &mut Store, role: Role, request: &RecordedRequest<'_>) -> (Reply, bool) {
        if !store.sessions.contains_key(&self.session) && store.sessions.len() >= self.max_sessions
        {
            return (
                self.full(format!(
                    "{} sessions are kept already (--max-sessions); DELETE the admin API's \
                     /state to free them",
                    self.max_sessions
                )),
                false,
            );
        }
        let Store {
            sessions,
            bytes,
            rng,
            ..
        } = store;
        let session = sessions.entry(self.session.clone()).or_default();
        let bucket = session.buckets.entry(self.key.clone()).or_insert_with(|| {
            let bucket = Bucket::seeded(self.collection);
            *bytes += bucket.bytes();
            bucket
        });
        let name = &self.collection.name;
        match role {
            Role::List => (self.list(bucket, request), false),
            Role::Create => {
                let Some(sent) = self.sent(request) else {
                    return (self.not_an_object(), false);
                };
                let mut entity = self.over_blank(sent);
                let id_value = ids::new_id(&self.collection.ids, rng, bucket.largest, |id| {
                    bucket.by_id.contains_key(id)
                });
                let id = collections::id_text(&id_value).unwrap_or_default();
                entity.insert(self.collection.id_field.clone(), id_value);
                let entity = Value::Object(entity);
                let size = json_size(&entity);
                if *bytes + size > self.max_bytes {
                    return (self.over_budget(), false);
                }
                *bytes += size;
                bucket.insert_sized(id.clone(), entity.clone(), size);
                let mut res = self.entity_answer(Some(&entity));
                self.relocate(&mut res, &id);
                (self.done(res, format!("created {name}/{id}")), true)
            }
            Role::Read | Role::Replace | Role::Merge | Role::Delete => {
                let id = self.id.clone().unwrap_or_default();
                let Some(stored) = bucket.get(&id) else {
                    return (self.not_found(&id), false);
                };
                match role {
                    Role::Read => {
                        let res = self.entity_answer(Some(&stored.value));
                        (self.done(res, format!("read {name}/{id}")), false)
                    }
                    Role::Delete => {
                        if let Some(gone) = bucket.remove(&id) {
                            *bytes = bytes.saturating_sub(gone.bytes);
                        }
                        let res = self.entity_answer(None);
                        (self.done(res, format!("deleted {name}/{id}")), true)
                    }
                    _ => {
                        let Some(sent) = self.sent(request) else {
                            return (self.not_an_object(), false);
                        };
                        let stored_bytes = stored.bytes;
                        let id_value = stored
                            .value
                            .get(&self.collection.id_field)
                            .cloned()
                            .unwrap_or_else(|| Value::String(id.clone()));
                        let (mut entity, verb) = if role == Role::Merge {
                            let mut merged = stored.value.clone();
                            merge_patch(&mut merged, &Value::Object(sent));
                            (merged, "updated")
                        } else {
                            // What was sent, over the documented entity's
                            // members: the old values go, the documented
                            // shape stays (a client reading `tags` after a
                            // PUT without them finds the documented ones).
                            (Value::Object(self.over_blank(sent)), "replaced")
                        };
                        if let Value::Object(fields) = &mut entity {
                            fields.insert(self.collection.id_field.clone(), id_value);
                        }
                        let size = json_size(&entity);
                        let grows = size.saturating_sub(stored_bytes);
                        if grows > 0 && *bytes + grows > self.max_bytes {
                            return (self.over_budget(), false);
                        }
                        let delta = bucket.insert_sized(id.clone(), entity.clone(), size);
                        *bytes = bytes.saturating_add_signed(delta);
                        let res = self.entity_answer(Some(&entity));
                        (self.done(res, format!("{verb} {name}/{id}")), true)
                    }
                }
            }
        }
    }

    /// The entity's fields the request sent: its JSON object, unwrapped
    /// from the documented envelope (`{"customer": {...}}`). No body is no
    /// field; a body that is not an object is refused.
    fn sent(&self, request: &RecordedRequest<'_>) -> Option<Map<String, Value>> {
        if request.body.iter().all(u8::is_ascii_whitespace) {
            return Some(Map::new());
        }
        request
            .json()
            .and_then(|body| self.collection.entity_in(body))
            .cloned()
    }

    /// `sent` over the documented example entity's members (create and
    /// replace start from it).
    fn over_blank(&self, sent: Map<String, Value>) -> Map<String, Value> {
        let mut entity = match &self.collection.blank {
            Value::Object(blank) => blank.clone(),
            _ => Map::new(),
        };
        entity.extend(sent);
        entity
    }

    /// The answer to a body [`sent`](Self::sent) cannot store.
    fn not_an_object(&self) -> Reply {
        Reply::Problem {
            problem: Problem::BadRequest,
            detail: format!(
                "the sandbox stores JSON objects: send the {} as one (as documented)",
                self.collection.name
            ),
            extra: json!({}),
            state: "refused".into(),
        }
    }

    /// The documented answer with `entity` where the documented one is
    /// (as documented when there is none).
    fn entity_answer(&self, entity: Option<&Value>) -> Response<Full<Bytes>> {
        let body = match (self.shape, entity) {
            (Answer::Entity { body, at }, Some(entity)) => {
                let mut body = body.clone();
                put(&mut body, at, entity.clone());
                Some(body)
            }
            _ => None,
        };
        self.respond(body)
    }

    fn list(&self, bucket: &mut Bucket, request: &RecordedRequest<'_>) -> Reply {
        let Answer::List {
            body,
            at,
            counts,
            pages,
        } = self.shape
        else {
            return self.done(
                self.respond(None),
                format!("listed {}", self.collection.name),
            );
        };
        let paging = &self.collection.paging;
        let param = |name: &Option<String>| {
            let name = name.as_deref()?;
            request
                .query
                .iter()
                .find(|(k, _)| k == name)
                .and_then(|(_, v)| v.parse::<usize>().ok())
        };
        let total = bucket.entities.len();
        let size = paging
            .size_of(&request.query)
            .and_then(|v| v.parse::<usize>().ok())
            .filter(|&n| n > 0);
        let start = match (param(&paging.offset), param(&paging.page), size) {
            (Some(offset), _, _) => offset,
            (None, Some(page), Some(size)) => page.saturating_sub(1).saturating_mul(size),
            (None, Some(page), None) if page > 1 => total,
            _ => 0,
        };
        let key = (self.contract.generation(), self.tx_id, start, size);
        let listed = match bucket.listed.take() {
            Some(listed) if listed.key == key => listed,
            _ => {
                let shown: Vec<Value> = bucket
                    .values()
                    .skip(start)
                    .take(size.unwrap_or(usize::MAX))
                    .cloned()
                    .collect();
                let count = shown.len();
                let mut body = body.clone();
                put(&mut body, at, Value::Array(shown));
                for path in counts {
                    put(&mut body, path, Value::from(total));
                }
                let page_count = size.map_or(1, |s| total.div_ceil(s).max(1));
                for path in pages {
                    put(&mut body, path, Value::from(page_count));
                }
                Listed {
                    key,
                    body: Bytes::from(self.collection.render(&body)),
                    count,
                }
            }
        };
        let res = self.respond_bytes(Some(listed.body.clone()));
        let state = format!(
            "listed {} ({} of {total})",
            self.collection.name, listed.count
        );
        bucket.listed = Some(listed);
        self.done(res, state)
    }

    /// The documented answer, with `body` instead of the documented one.
    fn respond(&self, body: Option<Value>) -> Response<Full<Bytes>> {
        self.respond_bytes(body.map(|b| Bytes::from(self.collection.render(&b))))
    }

    /// The documented answer, with these bytes as its body.
    fn respond_bytes(&self, body: Option<Bytes>) -> Response<Full<Bytes>> {
        let mut res = super::service::documented_response(self.tx, self.head, None);
        if let Some(bytes) = body {
            if self.head {
                res.headers_mut()
                    .insert(header::CONTENT_LENGTH, HeaderValue::from(bytes.len()));
            } else {
                res.headers_mut().remove(header::CONTENT_LENGTH);
                *res.body_mut() = Full::new(bytes);
            }
        }
        res
    }

    /// A documented `Location` naming the documented entity names the
    /// new one instead.
    fn relocate(&self, res: &mut Response<Full<Bytes>>, id: &str) {
        let Some(old) = self.collection.id_of(&self.collection.blank) else {
            return;
        };
        let Some(location) = res
            .headers()
            .get(header::LOCATION)
            .and_then(|v| v.to_str().ok())
        else {
            return;
        };
        let (path, query) = location.split_once('?').unwrap_or((location, ""));
        if !path.split('/').any(|s| s == old) {
            return;
        }
        let new: Vec<&str> = path
            .split('/')
            .map(|s| if s == old { id } else { s })
            .collect();
        let joined = new.join("/");
        let value = if query.is_empty() {
            joined
        } else {
            format!("{joined}?{query}")
        };
        if let Ok(v) = HeaderValue::from_str(&value) {
            res.headers_mut().insert(header::LOCATION, v);
        }
    }

    fn done(&self, mut res: Response<Full<Bytes>>, state: String) -> Reply {
        if let Ok(v) = HeaderValue::from_str(&state) {
            res.headers_mut().insert(STATE_HEADER, v);
        }
        Reply::Documented(res, self.tx_id)
    }

    /// The action's documented 404, else a problem.
    fn not_found(&self, id: &str) -> Reply {
        let name = &self.collection.name;
        let state = format!("not-found {name}/{id}");
        if let Some(&tx) = self.collection.not_found.get(&self.tx.endpoint) {
            let mut res =
                super::service::documented_response(self.contract.transaction(tx), self.head, None);
            if let Ok(v) = HeaderValue::from_str(&state) {
                res.headers_mut().insert(STATE_HEADER, v);
            }
            return Reply::Documented(res, tx);
        }
        Reply::Problem {
            problem: Problem::UnknownEntity,
            detail: format!(
                "session `{}` has no {} with id `{id}`",
                self.session, self.collection.name
            ),
            extra: json!({"collection": name, "id": id, "session": self.session}),
            state,
        }
    }

    fn over_budget(&self) -> Reply {
        self.full(format!(
            "the sandbox holds {} bytes of entities at most (--state-bytes); DELETE the admin \
             API's /state to free them",
            self.max_bytes
        ))
    }

    fn full(&self, detail: String) -> Reply {
        Reply::Problem {
            problem: Problem::SandboxFull,
            detail,
            extra: json!({}),
            state: "refused".into(),
        }
    }
}

/// Sets the value at `path` (the whole document for an empty path).
fn put(doc: &mut Value, path: &[Step], value: Value) {
    if let Some(slot) = collections::get_mut(doc, path) {
        *slot = value;
    }
}

/// RFC 7396 JSON merge patch: members of `patch` replace those of
/// `target`, objects merge member by member, `null` removes.
fn merge_patch(target: &mut Value, patch: &Value) {
    let Value::Object(fields) = patch else {
        *target = patch.clone();
        return;
    };
    if !target.is_object() {
        *target = Value::Object(Map::new());
    }
    let Value::Object(into) = target else {
        return;
    };
    for (k, v) in fields {
        if v.is_null() {
            into.remove(k);
        } else {
            merge_patch(into.entry(k.clone()).or_insert(Value::Null), v);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn merge_patch_follows_rfc_7396() {
        let mut target = json!({"a": "b", "c": {"d": "e", "f": "g"}});
        merge_patch(&mut target, &json!({"a": "z", "c": {"f": null}}));
        assert_eq!(target, json!({"a": "z", "c": {"d": "e"}}));
        let mut scalar = json!({"a": 1});
        merge_patch(&mut scalar, &json!({"a": [1, 2]}));
        assert_eq!(scalar, json!({"a": [1, 2]}));
    }
}
