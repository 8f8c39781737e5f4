//! The request journal: the last N requests, what answered them or why
//! nothing did, and their contract violations. Bounded (oldest dropped
//! first).
//!
//! An entry copies the request into one compact buffer rather than keeping
//! hyper's header map, URI and body: those are slices of the connection's
//! read buffer, and holding them would stop hyper from reusing it (a fresh
//! buffer per request cost more than the copy).

use std::collections::VecDeque;
use std::sync::Mutex;
use std::time::{Instant, SystemTime};

use hyper::header::{HeaderMap, HeaderValue};
use hyper::{Method, Uri};
use serde::Serialize;
use serde_json::Value;

use crate::validate::Violation;

/// Bodies longer than this are cut in journal listings.
const BODY_SHOWN: usize = 4096;

/// A request's path, headers and (the start of its) body, copied into one
/// buffer: `path?query`, then `name: value\n` lines, then the body.
#[derive(Debug, Default)]
pub(crate) struct Snapshot {
    buf: Vec<u8>,
    path_end: usize,
    headers_end: usize,
    body_bytes: usize,
}

impl Snapshot {
    pub fn capture(uri: &Uri, headers: Option<&HeaderMap>, body: &[u8]) -> Self {
        let target = uri.path_and_query().map_or(uri.path(), |p| p.as_str());
        let shown = &body[..body.len().min(BODY_SHOWN)];
        let header_len: usize = headers
            .into_iter()
            .flatten()
            .map(|(n, v)| n.as_str().len() + v.len() + 3)
            .sum();
        let mut buf = Vec::with_capacity(target.len() + header_len + shown.len());
        buf.extend_from_slice(target.as_bytes());
        let path_end = buf.len();
        for (name, value) in headers.into_iter().flatten() {
            buf.extend_from_slice(name.as_str().as_bytes());
            buf.extend_from_slice(b": ");
            buf.extend_from_slice(value.as_bytes());
            buf.push(b'\n');
        }
        let headers_end = buf.len();
        buf.extend_from_slice(shown);
        Self {
            buf,
            path_end,
            headers_end,
            body_bytes: body.len(),
        }
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
        &self.buf[self.headers_end..]
    }
}

/// One journaled request.
#[derive(Debug)]
pub(crate) struct Entry {
    /// When the request arrived (monotonic; shown as wall-clock time
    /// through the journal's start, which saves a clock read per request).
    pub at: Instant,
    pub method: Method,
    pub request: Snapshot,
    pub status: u16,
    /// The transaction that answered (its label).
    pub transaction: Option<HeaderValue>,
    /// Otherwise the rule that missed.
    pub problem: &'static str,
    pub violations: Vec<Violation>,
    pub micros: u64,
}

impl Entry {
    fn transaction_label(&self) -> Option<String> {
        self.transaction
            .as_ref()
            .map(|t| String::from_utf8_lossy(t.as_bytes()).into_owned())
    }

    /// The rule that missed, or `contract-violation` when a documented
    /// error response answered a violation; `None` for a plain match.
    fn problem_shown(&self) -> Option<&'static str> {
        (self.transaction.is_none() || !self.violations.is_empty()).then_some(self.problem)
    }
}

/// The bounded journal.
#[derive(Debug)]
pub(crate) struct Journal {
    capacity: usize,
    /// Wall-clock and monotonic time at creation, to date entries.
    epoch: (SystemTime, Instant),
    inner: Mutex<Inner>,
}

#[derive(Debug, Default)]
struct Inner {
    entries: VecDeque<(u64, Entry)>,
    next_id: u64,
}

/// `GET /__mock/requests` filters.
#[derive(Debug, Default)]
pub(crate) struct Filter {
    pub unmatched: Option<bool>,
    pub method: Option<String>,
    pub path: Option<String>,
}

impl Journal {
    pub fn new(capacity: usize) -> Self {
        Self {
            capacity,
            epoch: (SystemTime::now(), Instant::now()),
            inner: Mutex::new(Inner::default()),
        }
    }

    /// False with `--journal-size 0`: nothing is recorded.
    pub fn enabled(&self) -> bool {
        self.capacity > 0
    }

    pub fn record(&self, entry: Entry) {
        if self.capacity == 0 {
            return;
        }
        let mut inner = self.lock();
        if inner.entries.len() == self.capacity {
            inner.entries.pop_front();
        }
        let id = inner.next_id;
        inner.next_id += 1;
        inner.entries.push_back((id, entry));
    }

    pub fn clear(&self) {
        self.lock().entries.clear();
    }

    /// The entries that pass `filter`, oldest first, as JSON.
    pub fn list(&self, filter: &Filter) -> Value {
        let inner = self.lock();
        let entries: Vec<Value> = inner
            .entries
            .iter()
            .filter(|(_, e)| {
                filter
                    .unmatched
                    .is_none_or(|u| u == e.transaction.is_none())
                    && filter
                        .method
                        .as_ref()
                        .is_none_or(|m| m.eq_ignore_ascii_case(e.method.as_str()))
                    && filter
                        .path
                        .as_ref()
                        .is_none_or(|p| p == e.request.target().0)
            })
            .map(|(id, e)| entry_json(*id, e, self.wall_clock(e.at)))
            .collect();
        serde_json::json!({
            "count": entries.len(),
            "capacity": self.capacity,
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

#[derive(Serialize)]
struct EntryJson<'a> {
    id: u64,
    at: String,
    method: &'a str,
    path: &'a str,
    query: Option<&'a str>,
    headers: Vec<(String, String)>,
    body: Option<String>,
    body_bytes: usize,
    status: u16,
    matched: bool,
    transaction: Option<String>,
    problem: Option<&'a str>,
    violations: &'a [Violation],
    micros: u64,
}

fn entry_json(id: u64, e: &Entry, at: SystemTime) -> Value {
    let body = e.request.body();
    let body = (!body.is_empty()).then(|| String::from_utf8_lossy(body).into_owned());
    let (path, query) = e.request.target();
    let json = EntryJson {
        id,
        at: humantime::format_rfc3339_millis(at).to_string(),
        method: e.method.as_str(),
        path,
        query,
        headers: e.request.headers().collect(),
        body,
        body_bytes: e.request.body_bytes,
        status: e.status,
        matched: e.transaction.is_some(),
        transaction: e.transaction_label(),
        problem: e.problem_shown(),
        violations: &e.violations,
        micros: e.micros,
    };
    serde_json::to_value(json).unwrap_or(Value::Null)
}

/// A request the mock received, as the library API hands it out.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReceivedRequest {
    pub method: String,
    pub path: String,
    pub query: Option<String>,
    /// Header names are lower-case, in the order received.
    pub headers: Vec<(String, String)>,
    /// The body (its first 4 KiB).
    pub body: Vec<u8>,
    pub status: u16,
    /// The documented transaction that answered, `None` for a miss.
    pub transaction: Option<String>,
    /// Why nothing (or a violation) answered: `no-route`,
    /// `contract-violation`...
    pub problem: Option<String>,
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
            .map(|(_, e)| {
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
