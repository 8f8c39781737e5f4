//! The request journal: the last N requests, what answered them or why
//! nothing did, and their contract violations. Bounded in entries and in
//! bytes (oldest dropped first); each entry keeps at most the first
//! [`TARGET_SHOWN`], [`HEADERS_SHOWN`] and [`BODY_SHOWN`] bytes of its
//! request and says what it cut. Listings come a page at a time.
//!
//! An entry copies the request into one compact buffer rather than keeping
//! hyper's header map, URI and body: those are slices of the connection's
//! read buffer, and holding them would stop hyper from reusing it (a fresh
//! buffer per request cost more than the copy).

use std::collections::VecDeque;
use std::sync::Mutex;
use std::time::{Instant, SystemTime};

use bytes::Bytes;
use hyper::Method;
use hyper::header::HeaderMap;
use serde::Serialize;
use serde_json::Value;

use crate::validate::Violation;

/// Bodies longer than this are cut in journal listings.
pub(crate) const BODY_SHOWN: usize = 4096;

/// Request targets (`path?query`) longer than this are cut.
const TARGET_SHOWN: usize = 8 * 1024;

/// Header text (`name: value` lines) past this is left out.
const HEADERS_SHOWN: usize = 16 * 1024;

/// What an entry costs besides its buffer (its fields, the ring's slot).
const ENTRY_OVERHEAD: usize = 160;

/// Entries a listing returns by default, and at most.
const PAGE: usize = 100;
const MAX_PAGE: usize = 1000;

/// What the admin API shows instead of a credential.
const REDACTED: &str = "[redacted]";

/// What the journal copies of a request, held (not copied) until the
/// answer is done: the copy is made once, under the journal's lock, into
/// the buffer of the entry it evicts.
#[derive(Debug, Default)]
pub(crate) struct Seen {
    pub headers: HeaderMap,
    pub body: Bytes,
}

/// One answered request, as [`Journal::record`] takes it.
#[derive(Debug)]
pub(crate) struct Record<'a> {
    /// When the request arrived (monotonic; shown as wall-clock time
    /// through the journal's start, which saves a clock read per request).
    pub at: Instant,
    pub method: &'a Method,
    /// `path?query` as received.
    pub target: &'a str,
    pub seen: Option<Seen>,
    pub status: u16,
    /// The label of the transaction that answered.
    pub transaction: Option<&'a str>,
    /// Otherwise the rule that missed.
    pub problem: &'static str,
    pub violations: Vec<Violation>,
    pub micros: u64,
    /// What the sandbox did (`Apib-Mock-State`), with `--sandbox`.
    pub sandbox: Option<&'a str>,
}

/// A request's target, headers, (the start of its) body and the label of
/// the transaction that answered, copied into one buffer: `path?query`,
/// then `name: value\n` lines, then the body, then the label.
#[derive(Debug, Default)]
struct Snapshot {
    buf: Vec<u8>,
    path_end: usize,
    headers_end: usize,
    body_end: usize,
    body_bytes: usize,
    /// Bytes of the target and of the header lines left out.
    target_cut: usize,
    headers_cut: usize,
}

/// A recycled buffer larger than this is let go rather than kept in the
/// ring for every later entry.
const KEPT_BUFFER: usize = 16 * 1024;

impl Snapshot {
    /// Fills `buf` (emptied first).
    fn fill(mut buf: Vec<u8>, target: &str, seen: Option<&Seen>, label: Option<&str>) -> Self {
        buf.clear();
        let headers = seen.map(|s| &s.headers);
        let body = seen.map_or(&[][..], |s| &s.body[..]);
        let shown = &body[..body.len().min(BODY_SHOWN)];
        let mut target_end = target.len().min(TARGET_SHOWN);
        while !target.is_char_boundary(target_end) {
            target_end -= 1;
        }
        buf.extend_from_slice(&target.as_bytes()[..target_end]);
        let path_end = buf.len();
        let mut headers_cut = 0;
        for (name, value) in headers.into_iter().flatten() {
            let line = name.as_str().len() + 2 + value.len() + 1;
            if buf.len() - path_end + line > HEADERS_SHOWN {
                headers_cut += line;
                continue;
            }
            buf.extend_from_slice(name.as_str().as_bytes());
            buf.extend_from_slice(b": ");
            buf.extend_from_slice(value.as_bytes());
            buf.push(b'\n');
        }
        let headers_end = buf.len();
        buf.extend_from_slice(shown);
        let body_end = buf.len();
        buf.extend_from_slice(label.unwrap_or_default().as_bytes());
        Self {
            buf,
            path_end,
            headers_end,
            body_end,
            body_bytes: body.len(),
            target_cut: target.len() - target_end,
            headers_cut,
        }
    }

    /// What the entry holds, for the journal's byte bound.
    fn cost(&self) -> usize {
        self.buf.capacity() + ENTRY_OVERHEAD
    }

    /// `path` and `query` of the request target.
    fn target(&self) -> (&str, Option<&str>) {
        let target = std::str::from_utf8(&self.buf[..self.path_end]).unwrap_or("");
        match target.split_once('?') {
            Some((path, query)) => (path, Some(query)),
            None => (target, None),
        }
    }

    fn headers(&self) -> impl Iterator<Item = (String, String)> + '_ {
        self.buf[self.path_end..self.headers_end]
            .split(|&b| b == b'\n')
            .filter(|l| !l.is_empty())
            .map(|line| {
                let text = String::from_utf8_lossy(line);
                let (n, v) = text.split_once(": ").unwrap_or((&text, ""));
                (n.to_string(), v.to_string())
            })
    }

    fn body(&self) -> &[u8] {
        &self.buf[self.headers_end..self.body_end]
    }

    fn label(&self) -> String {
        String::from_utf8_lossy(&self.buf[self.body_end..]).into_owned()
    }
}

/// One journaled request.
#[derive(Debug)]
struct Entry {
    id: u64,
    at: Instant,
    method: Method,
    request: Snapshot,
    status: u16,
    /// A documented transaction answered (its label is in `request`).
    matched: bool,
    problem: &'static str,
    violations: Vec<Violation>,
    micros: u64,
    sandbox: Option<Box<str>>,
}

impl Entry {
    fn transaction_label(&self) -> Option<String> {
        self.matched.then(|| self.request.label())
    }

    /// The rule that missed, or `contract-violation` when a documented
    /// error response answered a violation; `None` for a plain match.
    fn problem_shown(&self) -> Option<&'static str> {
        (!self.matched || !self.violations.is_empty()).then_some(self.problem)
    }
}

/// The bounded journal.
#[derive(Debug)]
pub(crate) struct Journal {
    capacity: usize,
    max_bytes: usize,
    /// Wall-clock and monotonic time at creation, to date entries.
    epoch: (SystemTime, Instant),
    inner: Mutex<Inner>,
}

#[derive(Debug, Default)]
struct Inner {
    entries: VecDeque<Entry>,
    next_id: u64,
    /// What the entries cost together (see [`Snapshot::cost`]).
    bytes: usize,
}

/// `GET /__mock/requests` filters.
#[derive(Debug)]
pub(crate) struct Filter {
    pub unmatched: Option<bool>,
    pub method: Option<String>,
    pub path: Option<String>,
    /// Only entries with a larger id (the page after the one that ended
    /// there).
    pub after: Option<u64>,
    /// Entries in one page.
    pub limit: usize,
    /// Show credentials as sent rather than redacted.
    pub secrets: bool,
}

impl Default for Filter {
    fn default() -> Self {
        Self {
            unmatched: None,
            method: None,
            path: None,
            after: None,
            limit: PAGE,
            secrets: false,
        }
    }
}

impl Filter {
    /// Clamps a requested page size to what a listing returns at most.
    pub fn page(limit: usize) -> usize {
        limit.clamp(1, MAX_PAGE)
    }

    fn keeps(&self, e: &Entry) -> bool {
        self.after.is_none_or(|after| e.id > after)
            && self.unmatched.is_none_or(|u| u != e.matched)
            && self
                .method
                .as_ref()
                .is_none_or(|m| m.eq_ignore_ascii_case(e.method.as_str()))
            && self.path.as_ref().is_none_or(|p| p == e.request.target().0)
    }
}

/// A header whose value is a credential: `Authorization`, `Cookie` and
/// the like, and headers named like `*-Key`, `*-Token`, `*Secret*`.
pub(crate) fn is_secret(name: &str) -> bool {
    let name = name.to_ascii_lowercase();
    matches!(
        name.as_str(),
        "authorization" | "proxy-authorization" | "cookie" | "set-cookie"
    ) || name.ends_with("key")
        || name.ends_with("token")
        || name.contains("secret")
        || name.contains("password")
}

impl Journal {
    /// Keeps at most `capacity` entries costing at most `max_bytes`.
    pub fn new(capacity: usize, max_bytes: usize) -> Self {
        Self {
            capacity,
            max_bytes,
            epoch: (SystemTime::now(), Instant::now()),
            inner: Mutex::new(Inner::default()),
        }
    }

    /// False with `--journal-size 0`: nothing is recorded.
    pub fn enabled(&self) -> bool {
        self.capacity > 0
    }

    /// Keeps `record`, evicting the oldest entry when full (and reusing
    /// its buffer: no allocation per request once the ring is full).
    /// Returns the entry's id.
    pub fn record(&self, record: Record<'_>) -> Option<u64> {
        if self.capacity == 0 {
            return None;
        }
        let Record {
            at,
            method,
            target,
            seen,
            status,
            transaction,
            problem,
            violations,
            micros,
            sandbox,
        } = record;
        let mut inner = self.lock();
        let buf = if inner.entries.len() >= self.capacity {
            inner
                .pop_oldest()
                .map(|old| old.request.buf)
                .filter(|b| b.capacity() <= KEPT_BUFFER)
                .unwrap_or_default()
        } else {
            Vec::new()
        };
        let id = inner.next_id;
        inner.next_id += 1;
        let request = Snapshot::fill(buf, target, seen.as_ref(), transaction);
        inner.bytes += request.cost();
        inner.entries.push_back(Entry {
            id,
            at,
            method: method.clone(),
            request,
            status,
            matched: transaction.is_some(),
            problem,
            violations,
            micros,
            sandbox: sandbox.map(Box::from),
        });
        // The byte bound: the oldest go until the rest fit (the newest
        // always stays).
        while inner.bytes > self.max_bytes && inner.entries.len() > 1 {
            inner.pop_oldest();
        }
        drop(inner);
        // The request's header map and body go back to hyper outside the
        // lock.
        drop(seen);
        Some(id)
    }

    /// Entry `id` as the listing shows it (credentials redacted unless
    /// `secrets`), and the request as it was received (to explain its
    /// answer): method, target, headers, body (its first 4 KiB) and
    /// whether the body was cut.
    pub fn entry(&self, id: u64, secrets: bool) -> Option<(Value, Received)> {
        let inner = self.lock();
        let e = inner.entries.iter().find(|e| e.id == id)?;
        let at = self.wall_clock(e.at);
        let (path, query) = e.request.target();
        let received = Received {
            method: e.method.clone(),
            target: match query {
                Some(q) => format!("{path}?{q}"),
                None => path.to_string(),
            },
            headers: e.request.headers().collect(),
            body: e.request.body().to_vec(),
            body_cut: e.request.body_bytes > e.request.body().len(),
        };
        Some((entry_json(e, at, secrets), received))
    }

    pub fn clear(&self) {
        let mut inner = self.lock();
        inner.entries.clear();
        inner.bytes = 0;
    }

    /// One page of the entries that pass `filter`, oldest first, as JSON:
    /// at most `filter.limit` entries, and where the next page starts
    /// (`next_after`, `null` on the last page).
    pub fn list(&self, filter: &Filter) -> Value {
        let inner = self.lock();
        let mut kept = inner.entries.iter().filter(|e| filter.keeps(e));
        let entries: Vec<Value> = kept
            .by_ref()
            .take(filter.limit)
            .map(|e| entry_json(e, self.wall_clock(e.at), filter.secrets))
            .collect();
        let more = kept.next().is_some();
        let last = entries.last().and_then(|e| e["id"].as_u64());
        serde_json::json!({
            "count": entries.len(),
            "capacity": self.capacity,
            "bytes": inner.bytes,
            "max_bytes": self.max_bytes,
            "next_after": if more { last } else { None },
            "requests": entries,
        })
    }

    fn wall_clock(&self, at: Instant) -> SystemTime {
        self.epoch.0 + at.saturating_duration_since(self.epoch.1)
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(|p| p.into_inner())
    }
}

impl Inner {
    fn pop_oldest(&mut self) -> Option<Entry> {
        let old = self.entries.pop_front()?;
        self.bytes = self.bytes.saturating_sub(old.request.cost());
        Some(old)
    }
}

#[derive(Serialize)]
struct EntryJson<'a> {
    id: u64,
    at: String,
    method: &'a str,
    path: &'a str,
    query: Option<&'a str>,
    headers: Vec<(String, String)>,
    /// Bytes of the target and of header lines left out of the entry.
    #[serde(skip_serializing_if = "is_zero")]
    target_cut: usize,
    #[serde(skip_serializing_if = "is_zero")]
    headers_cut: usize,
    body: Option<String>,
    body_bytes: usize,
    status: u16,
    matched: bool,
    transaction: Option<String>,
    problem: Option<&'a str>,
    violations: &'a [Violation],
    micros: u64,
    #[serde(skip_serializing_if = "Option::is_none")]
    sandbox: Option<&'a str>,
}

fn is_zero(n: &usize) -> bool {
    *n == 0
}

fn entry_json(e: &Entry, at: SystemTime, secrets: bool) -> Value {
    let body = e.request.body();
    let body = (!body.is_empty()).then(|| String::from_utf8_lossy(body).into_owned());
    let (path, query) = e.request.target();
    let json = EntryJson {
        id: e.id,
        at: humantime::format_rfc3339_millis(at).to_string(),
        method: e.method.as_str(),
        path,
        query,
        headers: e
            .request
            .headers()
            .map(|(name, value)| {
                if !secrets && is_secret(&name) {
                    (name, REDACTED.to_string())
                } else {
                    (name, value)
                }
            })
            .collect(),
        target_cut: e.request.target_cut,
        headers_cut: e.request.headers_cut,
        body,
        body_bytes: e.request.body_bytes,
        status: e.status,
        matched: e.matched,
        transaction: e.transaction_label(),
        problem: e.problem_shown(),
        violations: &e.violations,
        micros: e.micros,
        sandbox: e.sandbox.as_deref(),
    };
    serde_json::to_value(json).unwrap_or(Value::Null)
}

/// A journaled request as it came (for the dashboard's explanation).
#[derive(Debug)]
pub(crate) struct Received {
    pub method: Method,
    pub target: String,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
    pub body_cut: bool,
}

/// A request the mock received, as the library API hands it out.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct ReceivedRequest {
    /// The method.
    pub method: String,
    /// The path, as sent.
    pub path: String,
    /// The query string, if any.
    pub query: Option<String>,
    /// Header names are lower-case, in the order received.
    pub headers: Vec<(String, String)>,
    /// The body (its first 4 KiB).
    pub body: Vec<u8>,
    /// The status answered.
    pub status: u16,
    /// The documented transaction that answered, `None` for a miss.
    pub transaction: Option<String>,
    /// Why nothing (or a violation) answered: `no-route`,
    /// `contract-violation`...
    pub problem: Option<String>,
    /// What strict mode found wrong (empty when lenient or none).
    pub violations: Vec<Violation>,
}

impl ReceivedRequest {
    /// The first header called `name` (case-insensitive).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

impl Journal {
    /// Every kept request, oldest first.
    pub(crate) fn received(&self) -> Vec<ReceivedRequest> {
        self.lock()
            .entries
            .iter()
            .map(|e| {
                let (path, query) = e.request.target();
                ReceivedRequest {
                    method: e.method.to_string(),
                    path: path.to_string(),
                    query: query.map(str::to_string),
                    headers: e.request.headers().collect(),
                    body: e.request.body().to_vec(),
                    status: e.status,
                    transaction: e.transaction_label(),
                    problem: e.problem_shown().map(str::to_string),
                    violations: e.violations.clone(),
                }
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record(journal: &Journal, target: &str, seen: Option<Seen>, label: Option<&str>) {
        journal.record(Record {
            at: Instant::now(),
            method: &Method::POST,
            target,
            seen,
            status: if label.is_some() { 200 } else { 404 },
            transaction: label,
            problem: "no-route",
            violations: Vec::new(),
            micros: 1,
            sandbox: None,
        });
    }

    #[test]
    fn a_recycled_entry_keeps_nothing_of_the_evicted_one() {
        let journal = Journal::new(1, 1 << 20);
        let mut headers = HeaderMap::new();
        headers.insert("x-long", "v".repeat(300).parse().unwrap());
        let seen = Seen {
            headers,
            body: Bytes::from(vec![b'b'; 500]),
        };
        record(&journal, "/first?q=1", Some(seen), Some("A > B > #1"));
        let first = journal.received();
        assert_eq!(first[0].transaction.as_deref(), Some("A > B > #1"));
        assert_eq!((first[0].body.len(), first[0].headers.len()), (500, 1));

        record(&journal, "/second", None, None);
        let second = journal.received();
        assert_eq!(second.len(), 1);
        let r = &second[0];
        assert_eq!((r.path.as_str(), r.query.as_deref()), ("/second", None));
        assert!(r.headers.is_empty() && r.body.is_empty());
        assert_eq!(r.transaction, None);
        assert_eq!(r.problem.as_deref(), Some("no-route"));
        assert_eq!(journal.list(&Filter::default())["requests"][0]["id"], 1);
    }
}
