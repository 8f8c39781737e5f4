//! Choosing the documented transaction that answers a request.
//!
//! The route index gives the candidate endpoints (same method, matching
//! template); every transaction of those is scored against the request and
//! the best one answers. The score compares signals strongest first
//! (lexicographically), and document order breaks ties, so the same request
//! always gets the same answer whatever else happened before.
//!
//! Because the order is lexicographic, a weaker signal can only decide
//! among candidates tied on every stronger one. The costly ones are
//! therefore computed only there: the body as a value (pass 2) and the
//! documented headers (pass 3); the common request never needs either.

use hyper::Method;
use hyper::header::HeaderValue;
use smallvec::SmallVec;

use super::negotiate::{Accept, Preference};
use super::request::RecordedRequest;
use crate::contract::json_shape::similarity;
use crate::contract::{CompiledTransaction, Contract, ExpectedBody};

/// The result of matching one request.
#[derive(Debug)]
pub enum MatchOutcome {
    /// Answer with transaction `transaction`.
    Matched {
        /// Transaction id.
        transaction: usize,
        /// `Preference-Applied` value when `Prefer` chose it.
        preference_applied: Option<String>,
    },
    /// No documented path matches.
    NoRoute,
    /// The path is documented, but not for this method.
    MethodNotAllowed {
        /// Documented methods on the path.
        allow: Vec<Method>,
    },
    /// `Prefer` asked for something the action does not document.
    PreferenceUnsatisfied {
        /// What was asked.
        preference: Preference,
        /// What the action offers: (number within action, name, status).
        available: Vec<(usize, Option<String>, u16)>,
    },
}

/// Signals, strongest first; the derived order compares them in field
/// order, and ([`Score::before_body`], [`Score::after_body`]) is that
/// order packed into two integers.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
struct Score {
    accept: u32,
    content_type: bool,
    query_names: u32,
    /// 255 less the documented query names the request leaves out: of two
    /// resources told apart by their query template, the one whose names
    /// the request sends all of wins (`?name=a` goes to `{?name}`, not to
    /// `{?name,city}`).
    query_complete: u32,
    query_values: u32,
    path_values: u32,
    body_exact: bool,
    body_structure: bool,
    body_similarity: i64,
    headers_present: u32,
    headers_equal: u32,
}

/// A transaction being scored for one request.
#[derive(Debug, Clone, Copy)]
struct Candidate {
    score: Score,
    /// `score.before_body()`, once pass 1 is done.
    before: u64,
    /// `score.after_body()`, once the body (and, for candidates still tied,
    /// the headers) are scored.
    after: u64,
    /// Transaction id.
    id: usize,
}

impl Candidate {
    fn rank(&self) -> (u64, u64) {
        (self.before, self.after)
    }
}

/// `n` in `bits` bits, saturated: counts of documented query parameters or
/// headers never come near the bound, so the order is kept.
fn field(n: u32, bits: u32) -> u64 {
    u64::from(n).min((1 << bits) - 1)
}

impl Score {
    /// The signals before the body, packed: comparing the integers
    /// compares the fields in order (`accept`'s q × 4000 fits 16 bits).
    fn before_body(&self) -> u64 {
        field(self.accept, 16) << 48
            | u64::from(self.content_type) << 47
            | field(self.query_names, 15) << 32
            | field(self.query_complete, 8) << 24
            | field(self.query_values, 8) << 16
            | field(self.path_values, 16)
    }

    /// The body and header signals, packed like [`Score::before_body`]:
    /// (before, after) ranks candidates by two integer comparisons instead
    /// of ten field by field (scores are compared a few times per
    /// candidate per request).
    fn after_body(&self) -> u64 {
        // i32 range, shifted to unsigned so that the order is kept; the
        // i64::MIN/MAX markers stay at the ends.
        let similarity = self
            .body_similarity
            .clamp(i64::from(i32::MIN), i64::from(i32::MAX))
            - i64::from(i32::MIN);
        u64::from(self.body_exact) << 63
            | u64::from(self.body_structure) << 62
            | (similarity as u64) << 30
            | field(self.headers_present, 15) << 15
            | field(self.headers_equal, 15)
    }
}

/// Matches `req` against `contract`.
pub fn select(contract: &Contract, req: &RecordedRequest) -> MatchOutcome {
    let (candidates, allow) = candidates(contract, req);
    if candidates.is_empty() {
        return if allow.is_empty() {
            MatchOutcome::NoRoute
        } else {
            MatchOutcome::MethodNotAllowed { allow }
        };
    }
    let preference = req
        .headers
        .prefer
        .and_then(|v| v.to_str().ok())
        .and_then(Preference::parse);
    // When every candidate answers with one media type, `Accept` scores
    // them all alike: not worth parsing.
    let negotiation = Negotiation::new(req, !one_media_type(contract, &candidates));
    // Pass 1: every cheap signal of every candidate Prefer allows; on the
    // way, the best signals before the body and how many candidates with
    // them share the request body's structure.
    let mut scored: SmallVec<[Candidate; 8]> = SmallVec::new();
    let mut available = Vec::new();
    let single =
        candidates.len() == 1 && contract.endpoints()[candidates[0]].transactions.len() == 1;
    let mut top: Option<u64> = None;
    let mut structured = 0usize;
    for &endpoint in &candidates {
        let endpoint = &contract.endpoints()[endpoint];
        for (i, &id) in endpoint.transactions.iter().enumerate() {
            let tx = contract.transaction(id);
            if let Some(p) = &preference {
                let status = tx.response.status.as_u16();
                if !p.accepts(i + 1, tx.request_name.as_deref(), status) {
                    available.push((i + 1, tx.request_name.clone(), status));
                    continue;
                }
            }
            // One candidate and nothing to choose by: skip the scoring.
            let score = if single {
                Score::default()
            } else {
                score(tx, req, &negotiation)
            };
            let before = score.before_body();
            match top {
                Some(t) if before < t => {}
                Some(t) if before == t => structured += usize::from(score.body_structure),
                _ => {
                    top = Some(before);
                    structured = usize::from(score.body_structure);
                }
            }
            scored.push(Candidate {
                score,
                before,
                after: 0,
                id,
            });
        }
    }
    // Pass 2: the JSON signals that need the request body as a value, only
    // where they can decide. Among the candidates tied on every signal
    // before the body: exact equality matters only if two or more of them
    // share the request's structure (exact implies structure); similarity
    // matters only if none does. In the common case (one does) neither is
    // needed and the body is never parsed into a value.
    if let Some(top) = top
        && req.json_shape.is_some()
        && structured != 1
    {
        for c in &mut scored {
            let ExpectedBody::Json { value, .. } = &contract.transaction(c.id).request.body else {
                continue;
            };
            if c.before != top {
                continue;
            }
            match (c.score.body_structure, structured) {
                (true, 2..) => c.score.body_exact = req.json() == Some(value),
                (false, 0) => {
                    c.score.body_similarity =
                        req.json().map_or(i64::MIN, |got| similarity(value, got));
                }
                _ => {}
            }
        }
    }
    // The best rank, the first in document order among equals, and how
    // many share it.
    let mut best: Option<&Candidate> = None;
    let mut tied = 0;
    for c in &mut scored {
        c.after = c.score.after_body();
    }
    for c in &scored {
        match best.map(|b| c.rank().cmp(&b.rank())) {
            Some(std::cmp::Ordering::Less) => {}
            Some(std::cmp::Ordering::Equal) => tied += 1,
            _ => {
                best = Some(c);
                tied = 1;
            }
        }
    }
    // Pass 3: the documented headers, the weakest signal, only among the
    // candidates still tied at the top (a request told apart by its body
    // never has its headers looked at). Headers only add to the lowest
    // bits of a rank: the others stay below.
    let mut best = best.map(|c| (c.rank(), c.id));
    if tied > 1
        && let Some((top, _)) = best
    {
        best = None;
        // Each documented header name looked up once for all candidates
        // of an endpoint (endpoint id, values).
        let mut found: SmallVec<[(usize, FoundHeaders<'_>); 1]> = SmallVec::new();
        for c in &mut scored {
            if c.rank() != top {
                continue;
            }
            let tx = contract.transaction(c.id);
            let at = match found.iter().position(|(e, _)| *e == tx.endpoint) {
                Some(at) => at,
                None => {
                    let names = &contract.endpoints()[tx.endpoint].scoring.header_names;
                    let values = names.iter().map(|name| req.headers.all.get(name)).collect();
                    found.push((tx.endpoint, values));
                    found.len() - 1
                }
            };
            score_headers(&mut c.score, tx, &found[at].1);
            c.after = c.score.after_body();
            if best.is_none_or(|(b, _)| c.rank() > b) {
                best = Some((c.rank(), c.id));
            }
        }
    }
    match (best.map(|(_, id)| id), preference) {
        (Some(transaction), preference) => MatchOutcome::Matched {
            transaction,
            preference_applied: preference.map(|p| p.applied()),
        },
        (None, Some(preference)) => MatchOutcome::PreferenceUnsatisfied {
            preference,
            available,
        },
        (None, None) => MatchOutcome::NoRoute,
    }
}

/// True when every transaction of `endpoints` answers with the same media
/// type (or none does): the flag from compile for one endpoint.
fn one_media_type(contract: &Contract, endpoints: &[usize]) -> bool {
    match endpoints {
        [endpoint] => contract.endpoints()[*endpoint].scoring.one_media_type,
        _ => crate::contract::one_media_type(
            contract.endpoints(),
            contract.transactions(),
            endpoints,
        ),
    }
}

/// Endpoint ids of the most specific route documenting the request's
/// method (GET standing in for HEAD), and, only when there is none, every
/// method documented on routes matching the path (for `Allow`).
fn candidates(contract: &Contract, req: &RecordedRequest) -> (SmallVec<[usize; 4]>, Vec<Method>) {
    let endpoints = contract.endpoints();
    let mut found: SmallVec<[usize; 4]> = SmallVec::new();
    contract.find_path_routes(&req.segments, &mut |ids| {
        // A HEAD documented as such beats GET standing in for it.
        found.extend(
            ids.iter()
                .copied()
                .filter(|&e| endpoints[e].method == *req.method),
        );
        if found.is_empty() && *req.method == Method::HEAD {
            found.extend(
                ids.iter()
                    .copied()
                    .filter(|&e| endpoints[e].method == Method::GET),
            );
        }
        !found.is_empty()
    });
    if found.is_empty() {
        return (found, allowed_methods(contract, &req.segments.segments()));
    }
    (found, Vec::new())
}

/// Every method documented on the routes matching `segments`, in document
/// order (for CORS preflight and `Allow`).
pub fn allowed_methods<S: AsRef<str>>(contract: &Contract, segments: &[S]) -> Vec<Method> {
    let mut allow: Vec<Method> = Vec::new();
    contract.find_routes(segments, &mut |ids| {
        for &e in ids {
            let m = &contract.endpoints()[e].method;
            if !allow.contains(m) {
                allow.push(m.clone());
            }
        }
        false
    });
    allow
}

/// The request's values of an endpoint's documented header names
/// (`Scoring::header_names`, same order).
type FoundHeaders<'r> = SmallVec<[Option<&'r HeaderValue>; 8]>;

/// What every candidate compares against, looked up once per request.
struct Negotiation<'r> {
    accept_header: Option<&'r str>,
    /// `accept_header` parsed, on first use (a lone candidate never is).
    accept: std::cell::OnceCell<Accept<'r>>,
    /// The last (media type, score): candidates of one action mostly share
    /// their media type.
    last_accept: std::cell::RefCell<Option<(&'r str, u32)>>,
    /// Media type essence, as sent, and whether it is lower case already
    /// (documented essences are: then plain equality decides).
    content_type: Option<(&'r str, bool)>,
}

impl<'r> Negotiation<'r> {
    /// What negotiation reads of `req`; `Accept` only when `accept` (it
    /// cannot tell candidates of one media type apart).
    fn new(req: &'r RecordedRequest, accept: bool) -> Self {
        Negotiation {
            accept_header: accept
                .then_some(req.headers.accept)
                .flatten()
                .and_then(|v| v.to_str().ok()),
            accept: std::cell::OnceCell::new(),
            last_accept: Default::default(),
            content_type: req
                .headers
                .content_type
                .and_then(|v| v.to_str().ok())
                .map(|ct| ct[..memchr::memchr(b';', ct.as_bytes()).unwrap_or(ct.len())].trim())
                .map(|essence| (essence, !essence.bytes().any(|b| b.is_ascii_uppercase()))),
        }
    }

    fn accept_score(&self, accept: &Accept<'_>, media: &'r str) -> u32 {
        let mut last = self.last_accept.borrow_mut();
        if let Some((m, score)) = *last
            && m == media
        {
            return score;
        }
        let score = accept.score(media);
        *last = Some((media, score));
        score
    }
}

/// Scores `tx` on every signal but the body's exactness or similarity
/// and the headers (see `select`).
fn score<'r>(
    tx: &'r CompiledTransaction,
    req: &'r RecordedRequest,
    negotiation: &Negotiation<'r>,
) -> Score {
    let expected = &tx.request;
    let mut s = Score::default();
    if let (Some(header), Some(media)) = (negotiation.accept_header, &tx.response.media_type) {
        let accept = negotiation.accept.get_or_init(|| Accept::parse(header));
        s.accept = negotiation.accept_score(accept, media);
    }
    if let (Some((essence, lower)), Some(documented)) =
        (negotiation.content_type, &expected.content_type)
    {
        s.content_type = if lower {
            essence == documented
        } else {
            essence.eq_ignore_ascii_case(documented)
        };
    }
    for (name, value) in &expected.query {
        let mut present = false;
        for (n, v) in &req.query {
            if n == name {
                present = true;
                if v == value {
                    s.query_values += 1;
                    break;
                }
            }
        }
        s.query_names += u32::from(present);
    }
    for name in &expected.query_names {
        s.query_names += u32::from(req.query.iter().any(|(n, _)| n == name));
    }
    let documented = (expected.query.len() + expected.query_names.len()) as u32;
    s.query_complete = 255u32.saturating_sub(documented - s.query_names);
    s.path_values = expected
        .path
        .iter()
        .filter(|(i, value)| req.segments.get(*i) == Some(value.as_str()))
        .count() as u32;
    match (&expected.body, req.json_shape) {
        (ExpectedBody::Json { shape, .. }, Some(got)) => {
            // One integer comparison; exactness and similarity, which need
            // the values, are left to `select`'s second pass.
            s.body_structure = got == *shape;
            s.body_similarity = if s.body_structure { i64::MAX } else { i64::MIN };
        }
        (ExpectedBody::Text(doc), _) if !req.body.is_empty() => {
            s.body_exact = doc.trim_end() == req.body_text().trim_end();
            s.body_structure = s.body_exact;
        }
        (ExpectedBody::None, _) if req.body.is_empty() => {
            s.body_exact = true;
            s.body_structure = true;
        }
        _ => s.body_similarity = -1,
    }
    s
}

/// Adds the header signals of `tx` to `s`; `found` holds the request's
/// values of the endpoint's documented header names.
fn score_headers(s: &mut Score, tx: &CompiledTransaction, found: &FoundHeaders<'_>) {
    for header in &tx.request.headers {
        if let Some(Some(got)) = found.get(header.slot) {
            s.headers_present += 1;
            s.headers_equal += u32::from(got.as_bytes() == header.value.as_bytes());
        }
    }
}

/// The selection rules written plainly, as the reference `select` must
/// agree with: every signal of every candidate (the body's exactness and
/// similarity, the documented headers, `Accept` even when it cannot
/// decide), compared by `Score`'s derived order, the first in document
/// order among equals. Only the candidate routes and the cheap signals are
/// `select`'s own code; the passes, the packed ranks and what they skip are
/// not used here.
#[cfg(test)]
fn select_reference(contract: &Contract, req: &RecordedRequest) -> Option<usize> {
    let (candidates, _) = candidates(contract, req);
    let preference = req
        .headers
        .prefer
        .and_then(|v| v.to_str().ok())
        .and_then(Preference::parse);
    let negotiation = Negotiation::new(req, true);
    let mut best: Option<(Score, usize)> = None;
    for &endpoint in &candidates {
        for (i, &id) in contract.endpoints()[endpoint]
            .transactions
            .iter()
            .enumerate()
        {
            let tx = contract.transaction(id);
            if preference.as_ref().is_some_and(|p| {
                !p.accepts(
                    i + 1,
                    tx.request_name.as_deref(),
                    tx.response.status.as_u16(),
                )
            }) {
                continue;
            }
            let mut s = score(tx, req, &negotiation);
            if let (ExpectedBody::Json { value, .. }, Some(got)) = (&tx.request.body, req.json()) {
                s.body_exact = got == value;
                if !s.body_structure {
                    s.body_similarity = similarity(value, got);
                }
            }
            for header in &tx.request.headers {
                if let Some(got) = req.headers.all.get(&header.name) {
                    s.headers_present += 1;
                    s.headers_equal += u32::from(got.as_bytes() == header.value.as_bytes());
                }
            }
            if best.as_ref().is_none_or(|(b, _)| s > *b) {
                best = Some((s, id));
            }
        }
    }
    best.map(|(_, id)| id)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Scores with small fields (where packing must be exact) and the
    /// markers and extremes the scorer uses.
    fn scores() -> Vec<Score> {
        let mut state = 0x9e37_79b9_7f4a_7c15u64;
        let mut next = move |bound: u64| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state % bound
        };
        let similarities = [i64::MIN, -40, -1, 0, 1, 3, 40, i64::MAX];
        (0..3000)
            .map(|_| Score {
                accept: [0, 1, 4001, 4003][next(4) as usize],
                content_type: next(2) == 1,
                query_names: next(3) as u32,
                query_complete: 253 + next(3) as u32,
                query_values: next(3) as u32,
                path_values: next(3) as u32,
                body_exact: next(2) == 1,
                body_structure: next(2) == 1,
                body_similarity: similarities[next(8) as usize],
                headers_present: next(3) as u32,
                headers_equal: next(3) as u32,
            })
            .collect()
    }

    #[test]
    fn packed_ranks_order_scores_like_their_fields() {
        let scores = scores();
        for pair in scores.windows(2) {
            let (a, b) = (&pair[0], &pair[1]);
            let rank = |s: &Score| (s.before_body(), s.after_body());
            assert_eq!(rank(a).cmp(&rank(b)), a.cmp(b), "{a:?} {b:?}");
            let fields = |s: &Score| {
                (
                    s.accept,
                    s.content_type,
                    s.query_names,
                    s.query_complete,
                    s.query_values,
                    s.path_values,
                )
            };
            assert_eq!(
                a.before_body().cmp(&b.before_body()),
                fields(a).cmp(&fields(b)),
                "{a:?} {b:?}"
            );
        }
    }

    /// The label of the transaction `select` picks in `spec` for a
    /// request.
    fn pick(spec: &str, method: &str, uri: &str, headers: &[(&str, &str)], body: &str) -> String {
        let (doc, _) = crate::load::parse_bytes("t.apib", spec.as_bytes());
        let (contract, _) = Contract::compile(std::slice::from_ref(&doc));
        let mut map = hyper::HeaderMap::new();
        for (name, value) in headers {
            map.insert(
                hyper::header::HeaderName::from_bytes(name.as_bytes()).expect("name"),
                hyper::header::HeaderValue::from_str(value).expect("value"),
            );
        }
        let method = Method::from_bytes(method.as_bytes()).expect("method");
        let (path, query) = uri
            .split_once('?')
            .map_or((uri, None), |(p, q)| (p, Some(q)));
        let req = RecordedRequest::new(
            &method,
            path,
            query,
            crate::matching::RequestHeaders::new(&map),
            body.as_bytes(),
        )
        .expect("readable");
        match select(&contract, &req) {
            MatchOutcome::Matched { transaction, .. } => {
                contract.transaction(transaction).label.clone()
            }
            other => format!("{other:?}"),
        }
    }

    const EXAMPLES: &str = "# T\n## Things [/things]\n### Make [POST]\n\
        + Request A (application/json)\n\n        {\"kind\": \"a\", \"n\": 1}\n\n+ Response 201\n\n\
        + Request B (application/json)\n    + Headers\n\n            X-Mode: fast\n\n    + Body\n\n            {\"kind\": \"b\"}\n\n+ Response 202\n\n\
        + Request C (text/plain)\n\n        hello\n\n+ Response 200\n";

    #[test]
    fn content_type_outranks_the_body() {
        // The body is example A's, but only C is documented as text.
        let got = pick(
            EXAMPLES,
            "POST",
            "/things",
            &[("content-type", "text/plain")],
            "{\"kind\": \"a\", \"n\": 1}",
        );
        assert_eq!(got, "Things > Make > #3");
    }

    #[test]
    fn the_same_structure_beats_a_partial_overlap_and_equality_beats_structure() {
        let json = [("content-type", "application/json")];
        assert_eq!(
            pick(EXAMPLES, "POST", "/things", &json, "{\"kind\": \"z\"}"),
            "Things > Make > #2"
        );
        assert_eq!(
            pick(
                EXAMPLES,
                "POST",
                "/things",
                &json,
                "{\"kind\": \"z\", \"n\": 5}"
            ),
            "Things > Make > #1"
        );
        assert_eq!(
            pick(EXAMPLES, "POST", "/things", &json, "{\"kind\": \"b\"}"),
            "Things > Make > #2"
        );
    }

    #[test]
    fn headers_decide_only_among_the_otherwise_tied_and_ties_go_to_document_order() {
        let json = ("content-type", "application/json");
        // No body signal tells A from B: the documented header decides.
        assert_eq!(
            pick(
                EXAMPLES,
                "POST",
                "/things",
                &[json, ("x-mode", "fast")],
                "[]"
            ),
            "Things > Make > #2"
        );
        assert_eq!(
            pick(EXAMPLES, "POST", "/things", &[json], "[]"),
            "Things > Make > #1"
        );
    }

    mod agreement {
        use hyper::header::{HeaderMap, HeaderName, HeaderValue};
        use proptest::prelude::*;

        use super::*;
        use crate::matching::{RecordedRequest, RequestHeaders};

        /// The seed and the fixtures whose actions have several examples,
        /// compiled once.
        fn contracts() -> &'static [Contract] {
            static CONTRACTS: std::sync::LazyLock<Vec<Contract>> =
                std::sync::LazyLock::new(compile_all);
            &CONTRACTS
        }

        fn compile_all() -> Vec<Contract> {
            [
                include_str!("../../specs/retailers.apib"),
                include_str!("../../fixtures/valid/negotiation.apib"),
                include_str!("../../fixtures/valid/headers.apib"),
                include_str!("../../fixtures/compat/query-routing.apib"),
                include_str!("../../fixtures/strict/shop.apib"),
            ]
            .iter()
            .map(|text| {
                let (doc, _) = crate::load::parse_bytes("t.apib", text.as_bytes());
                Contract::compile(std::slice::from_ref(&doc)).0
            })
            .collect()
        }

        /// A request built from a documented one, then changed: query pairs
        /// dropped or added, headers dropped or given other values, the body
        /// swapped for another example's or altered, `Accept` and `Prefer`
        /// added.
        #[derive(Debug, Clone)]
        struct Recipe {
            contract: usize,
            base: usize,
            body_from: usize,
            drop_query: u8,
            extra_query: Option<(u8, u8)>,
            drop_headers: u8,
            header_value: Option<u8>,
            body: u8,
            accept: u8,
            prefer: u8,
        }

        prop_compose! {
            fn recipe()(
                contract in 0usize..5,
                base in any::<usize>(),
                body_from in any::<usize>(),
                drop_query in any::<u8>(),
                extra_query in proptest::option::of((0u8..4, 0u8..4)),
                drop_headers in any::<u8>(),
                header_value in proptest::option::of(any::<u8>()),
                body in 0u8..5,
                accept in 0u8..5,
                prefer in 0u8..6,
            ) -> Recipe {
                Recipe {
                    contract,
                    base,
                    body_from,
                    drop_query,
                    extra_query,
                    drop_headers,
                    header_value,
                    body,
                    accept,
                    prefer,
                }
            }
        }

        const NAMES: [&str; 4] = ["page", "unassigned", "name", "city"];
        const ACCEPTS: [&str; 5] = [
            "",
            "application/json",
            "text/plain",
            "*/*",
            "text/plain;q=0.5, application/json",
        ];
        const PREFERS: [&str; 6] = [
            "",
            "status=200",
            "status=404",
            "code=400",
            "example=#2",
            "example=\"nothing\"",
        ];

        /// (method, path, query, headers, body) of the request `r` says.
        fn build(contract: &Contract, r: &Recipe) -> (Method, String, String, HeaderMap, Vec<u8>) {
            let txs = contract.transactions();
            let tx = &txs[r.base % txs.len()];
            let endpoint = &contract.endpoints()[tx.endpoint];
            let uri = endpoint
                .example_uri
                .clone()
                .unwrap_or_else(|| endpoint.template.clone());
            let path = uri.split(['?', '{']).next().unwrap_or("/").to_string();
            let mut pairs: Vec<(String, String)> = tx
                .request
                .query
                .iter()
                .enumerate()
                .filter(|(i, _)| r.drop_query & (1 << (i % 8)) == 0)
                .map(|(_, p)| p.clone())
                .collect();
            if let Some((n, v)) = r.extra_query {
                pairs.push((
                    NAMES[n as usize].to_string(),
                    ["1", "true", "ana", "x"][v as usize].to_string(),
                ));
            }
            let query = form_urlencoded::Serializer::new(String::new())
                .extend_pairs(&pairs)
                .finish();
            let mut headers = HeaderMap::new();
            for (i, h) in tx.request.headers.iter().enumerate() {
                if r.drop_headers & (1 << (i % 8)) != 0 {
                    continue;
                }
                let value = match r.header_value {
                    Some(v) if v % 2 == 0 => {
                        HeaderValue::from_str(&format!("other-{v}")).expect("ascii")
                    }
                    _ => HeaderValue::from_str(&h.value).unwrap_or(HeaderValue::from_static("x")),
                };
                headers.insert(h.name.clone(), value);
            }
            let donor = &txs[r.body_from % txs.len()].request;
            let documented = |req: &crate::contract::ExpectedRequest| match &req.body {
                ExpectedBody::Json { value, .. } => value.to_string().into_bytes(),
                ExpectedBody::Text(t) => t.clone().into_bytes(),
                ExpectedBody::None => Vec::new(),
            };
            let body = match r.body {
                0 => documented(&tx.request),
                1 => documented(donor),
                2 => Vec::new(),
                3 => match &tx.request.body {
                    // The same keys, other values: same structure, not equal.
                    ExpectedBody::Json {
                        value: serde_json::Value::Object(map),
                        ..
                    } => {
                        let changed: serde_json::Map<_, _> = map
                            .iter()
                            .map(|(k, v)| {
                                (
                                    k.clone(),
                                    match v {
                                        serde_json::Value::String(_) => {
                                            serde_json::json!("changed")
                                        }
                                        serde_json::Value::Number(_) => serde_json::json!(99),
                                        other => other.clone(),
                                    },
                                )
                            })
                            .collect();
                        serde_json::Value::Object(changed).to_string().into_bytes()
                    }
                    _ => documented(&tx.request),
                },
                _ => b"{\"unknown\": [1, 2]}".to_vec(),
            };
            if let Some(ct) = tx
                .request
                .content_type
                .as_deref()
                .or(donor.content_type.as_deref())
            {
                headers.insert(
                    hyper::header::CONTENT_TYPE,
                    HeaderValue::from_str(ct).expect("ascii"),
                );
            }
            for (name, value) in [
                ("accept", ACCEPTS[r.accept as usize]),
                ("prefer", PREFERS[r.prefer as usize]),
            ] {
                if !value.is_empty() {
                    headers.insert(
                        HeaderName::from_static(name),
                        HeaderValue::from_static(value),
                    );
                }
            }
            (endpoint.method.clone(), path, query, headers, body)
        }

        proptest! {
            #![proptest_config(ProptestConfig::with_cases(2000))]
            #[test]
            fn the_fast_selection_agrees_with_the_plain_rules(r in recipe()) {
                let contracts = contracts();
                let contract = &contracts[r.contract];
                let (method, path, query, headers, body) = build(contract, &r);
                let query = (!query.is_empty()).then_some(query.as_str());
                let Ok(req) = RecordedRequest::read(&method, &path, query, RequestHeaders::new(&headers), &body, crate::matching::BodyAs::Declared) else {
                    return Ok(());
                };
                let fast = match select(contract, &req) {
                    MatchOutcome::Matched { transaction, .. } => Some(transaction),
                    _ => None,
                };
                prop_assert_eq!(fast, select_reference(contract, &req), "{} {}?{:?}", method, path, query);
            }
        }
    }
}
