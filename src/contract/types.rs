//! The contract's types: endpoints, transactions, and the lookups the
//! server uses.

use std::sync::Arc;

use bytes::Bytes;
use hyper::header::{HeaderMap, HeaderName, HeaderValue};
use hyper::{Method, StatusCode};
use serde_json::Value;

use super::route_index::RouteIndex;

/// Every servable transaction of a set of documents, indexed by route.
#[derive(Debug, Default)]
pub struct Contract {
    pub(crate) endpoints: Vec<Endpoint>,
    pub(crate) transactions: Vec<CompiledTransaction>,
    pub(crate) index: RouteIndex,
    pub(crate) files: Vec<Arc<str>>,
    /// Compiled with the rules strict mode checks (see
    /// [`Contract::compile_strict`]).
    pub(crate) strict: bool,
    /// Counts the contracts a server has served: a reload's is one more
    /// than the one it replaces (the sandbox moves its state forward only).
    pub(crate) generation: u64,
    /// The sandbox's reading of the contract, made on first use.
    pub(crate) collections: std::sync::OnceLock<Arc<super::collections::Collections>>,
}

/// One action: a method on a URI template, and its transactions.
#[derive(Debug)]
pub struct Endpoint {
    /// The documented method.
    pub method: Method,
    /// The URI template as written.
    pub template: String,
    /// `Group > Resource > Action`.
    pub label: String,
    /// Transaction ids in document order.
    pub transactions: Vec<usize>,
    /// An example URI to show in suggestions.
    pub example_uri: Option<String>,
    /// What strict mode checks requests against; `None` in a contract
    /// compiled without them (lenient serving never reads them).
    pub rules: Option<super::Rules>,
    /// What scoring its transactions needs, worked out once.
    pub scoring: Scoring,
}

/// What scoring an endpoint's transactions against a request needs, worked
/// out at compile so that a request pays for it once, not once per
/// candidate (an action may document many examples).
#[derive(Debug, Default)]
pub struct Scoring {
    /// The distinct header names its transactions document
    /// ([`ExpectedHeader::slot`] indexes it): a request's headers are
    /// looked up once per name.
    pub header_names: Vec<HeaderName>,
    /// Every transaction answers with the same media type (or none does):
    /// `Accept` cannot tell them apart and is not parsed.
    pub one_media_type: bool,
}

/// One documented request/response pair, ready to match and to answer.
#[derive(Debug)]
pub struct CompiledTransaction {
    /// `Group > Resource > Action > #N` (N counts within the action, from 1).
    pub label: String,
    /// The endpoint (action) it belongs to.
    pub endpoint: usize,
    /// The documented request's name.
    pub request_name: Option<String>,
    /// What the request is expected to look like.
    pub request: ExpectedRequest,
    /// What is sent back.
    pub response: DocumentedResponse,
    /// The documented headers and the label header as one map, built
    /// once: an answer clones it instead of hashing every name again.
    pub(crate) answer_headers: HeaderMap,
    /// Where it is written: file and line.
    pub source: (Arc<str>, usize),
    /// How many requests it answered (coverage): a handle on the counter
    /// of the live contract's coverage table, which the same transaction
    /// of every later contract shares (so an answer finishing on an old
    /// snapshot still counts).
    /// Set on first use when the contract is served without a table
    /// (`LiveContract::fixed`), so compiling allocates no counter.
    pub(crate) served_count: std::sync::OnceLock<Arc<std::sync::atomic::AtomicU64>>,
}

/// The documented request, in the shapes the scorer compares.
#[derive(Debug, Default)]
pub struct ExpectedRequest {
    /// Query pairs of the example URI (and of a literal query in the
    /// template).
    pub query: Vec<(String, String)>,
    /// Query parameter names the template declares (`{?name,city}`) that
    /// the example URI does not hold: a request sending them is meant for
    /// this transaction even when no example value is documented.
    pub query_names: Vec<String>,
    /// Decoded segments of the example URI at the template's variable
    /// positions (segment index, value): literal segments are equal for
    /// every candidate and not worth comparing.
    pub path: Vec<(usize, String)>,
    /// The documented `Content-Type`, lower-cased essence
    /// (`application/json`).
    pub content_type: Option<String>,
    /// Other documented headers, for the weakest signal.
    pub headers: Vec<ExpectedHeader>,
    /// The documented body.
    pub body: ExpectedBody,
}

/// True when every transaction of `endpoints` answers with the same media
/// type (or none does): then `Accept` cannot tell them apart. Worked out
/// per endpoint at compile ([`Scoring::one_media_type`]); across several
/// endpoints (rare: one route, one method, two actions) per request.
pub(crate) fn one_media_type(
    endpoints: &[Endpoint],
    transactions: &[CompiledTransaction],
    of: &[usize],
) -> bool {
    let mut media = of
        .iter()
        .flat_map(|&e| &endpoints[e].transactions)
        .map(|&id| transactions[id].response.media_type.as_deref());
    let first = media.next().flatten();
    media.all(|m| m == first)
}

/// A documented request header (not `Content-Type` or `Accept`, which
/// have signals of their own).
#[derive(Debug)]
pub struct ExpectedHeader {
    /// The name.
    pub name: HeaderName,
    /// The documented value.
    pub value: String,
    /// Where `name` is in the endpoint's [`Scoring::header_names`].
    pub slot: usize,
}

/// A documented request body.
#[derive(Debug, Default, Clone, PartialEq)]
pub enum ExpectedBody {
    /// No body documented.
    #[default]
    None,
    /// A JSON body, parsed, with its structure fingerprint.
    Json {
        /// The documented value.
        value: Value,
        /// `matching::json_shape::shape_hash` of it.
        shape: u64,
    },
    /// Any other body, as text.
    Text(String),
}

/// The documented response, precomputed.
#[derive(Debug, Clone)]
pub struct DocumentedResponse {
    /// Status code.
    pub status: StatusCode,
    /// Headers as documented (values verbatim).
    pub headers: Vec<(HeaderName, HeaderValue)>,
    /// The body bytes.
    pub body: Bytes,
    /// Lower-cased media type essence of `Content-Type`, for `Accept`.
    pub media_type: Option<String>,
    /// The documented header names, comma-separated, for CORS
    /// `Access-Control-Expose-Headers`.
    pub expose_headers: Option<HeaderValue>,
}

impl CompiledTransaction {
    /// How many requests it answered so far (coverage).
    pub fn served(&self) -> u64 {
        self.served_count
            .get()
            .map_or(0, |c| c.load(std::sync::atomic::Ordering::Relaxed))
    }

    /// What identifies the transaction across reloads: method, URI
    /// template and label (`Group > Resource > Action > #N`).
    pub fn coverage_key(&self, endpoint: &Endpoint) -> u64 {
        use std::hash::{Hash, Hasher};
        // FxHash: the keys are the spec's own (no adversary), and a reload
        // of 20,000 transactions hashes them all before it is served.
        let mut h = rustc_hash::FxHasher::default();
        (endpoint.method.as_str(), &endpoint.template, &self.label).hash(&mut h);
        h.finish()
    }

    /// Counts `n` more answers.
    pub(crate) fn add_served(&self, n: u64) {
        self.served_count
            .get_or_init(Default::default)
            .fetch_add(n, std::sync::atomic::Ordering::Relaxed);
    }

    /// A hash of everything that decides how this transaction matches and
    /// answers: equal before and after a reload means unchanged.
    pub fn fingerprint(&self) -> u64 {
        use std::hash::{Hash, Hasher};
        let mut h = rustc_hash::FxHasher::default();
        let r = &self.request;
        (&self.request_name, &r.query, &r.path, &r.content_type).hash(&mut h);
        for header in &r.headers {
            (header.name.as_str(), &header.value).hash(&mut h);
        }
        match &r.body {
            ExpectedBody::None => 0u8.hash(&mut h),
            ExpectedBody::Json { value, .. } => {
                1u8.hash(&mut h);
                hash_json(value, &mut h);
            }
            ExpectedBody::Text(t) => (2u8, t).hash(&mut h),
        }
        let s = &self.response;
        (s.status.as_u16(), &s.body, &s.media_type).hash(&mut h);
        for (name, value) in &s.headers {
            (name.as_str(), value.as_bytes()).hash(&mut h);
        }
        h.finish()
    }
}

fn hash_json(value: &Value, h: &mut impl std::hash::Hasher) {
    use std::hash::Hash;
    match value {
        Value::Null => 0u8.hash(h),
        Value::Bool(b) => (1u8, b).hash(h),
        Value::Number(n) => (2u8, n.to_string()).hash(h),
        Value::String(s) => (3u8, s).hash(h),
        Value::Array(items) => {
            (4u8, items.len()).hash(h);
            items.iter().for_each(|i| hash_json(i, h));
        }
        Value::Object(map) => {
            (5u8, map.len()).hash(h);
            for (k, v) in map {
                k.hash(h);
                hash_json(v, h);
            }
        }
    }
}

impl Contract {
    /// Gives each transaction the coverage counter `counters` holds for
    /// its key (the one an earlier contract's same transaction counted
    /// on), registering new ones: called before the contract is served.
    pub(crate) fn share_counters(
        &mut self,
        counters: &mut rustc_hash::FxHashMap<u64, Arc<std::sync::atomic::AtomicU64>>,
    ) {
        for tx in &mut self.transactions {
            let key = tx.coverage_key(&self.endpoints[tx.endpoint]);
            let counter = counters.entry(key).or_default().clone();
            tx.served_count = std::sync::OnceLock::from(counter);
        }
    }

    /// The URI templates of documented routes under `prefix` (`/__mock`):
    /// what an admin API mounted there would shadow.
    pub fn templates_under(&self, prefix: &str) -> Vec<&str> {
        let prefix = prefix.trim_end_matches('/');
        self.endpoints
            .iter()
            .map(|e| e.template.as_str())
            .filter(|t| {
                t.strip_prefix(prefix)
                    .is_some_and(|rest| rest.is_empty() || rest.starts_with(['/', '{', '?']))
            })
            .collect()
    }

    /// The collections the sandbox finds in the contract (worked out on
    /// first use).
    pub fn collections(&self) -> &Arc<super::collections::Collections> {
        self.collections
            .get_or_init(|| Arc::new(super::collections::Collections::of(self)))
    }

    /// Which contract of a server's reloads this is (0: the first).
    pub fn generation(&self) -> u64 {
        self.generation
    }

    /// Whether the contract carries strict mode's rules.
    pub fn is_strict(&self) -> bool {
        self.strict
    }

    /// The transaction with id `id`.
    pub fn transaction(&self, id: usize) -> &CompiledTransaction {
        &self.transactions[id]
    }

    /// All transactions, in document order.
    pub fn transactions(&self) -> &[CompiledTransaction] {
        &self.transactions
    }

    /// All endpoints, in document order.
    pub fn endpoints(&self) -> &[Endpoint] {
        &self.endpoints
    }

    /// The files the contract was compiled from.
    pub fn files(&self) -> &[Arc<str>] {
        &self.files
    }

    /// Visits the endpoint ids of every route matching the decoded
    /// `segments`, most specific first, until `visit` returns true.
    pub fn find_routes<S: AsRef<str>>(
        &self,
        segments: &[S],
        visit: &mut impl FnMut(&[usize]) -> bool,
    ) -> bool {
        self.index.find(segments, visit)
    }

    /// [`find_routes`](Self::find_routes) for a request's decoded path
    /// (a literal path is one hash lookup).
    pub fn find_path_routes(
        &self,
        path: &crate::contract::path_pattern::DecodedPath,
        visit: &mut impl FnMut(&[usize]) -> bool,
    ) -> bool {
        self.index.find_path(path, visit)
    }
}
