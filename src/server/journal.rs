//! The request journal: the last N requests, what answered them or why
//! nothing did, and their contract violations. Bounded (oldest dropped
//! first) and cheap to write: an entry keeps the request's own shared
//! buffers (URI, header map, body bytes) and the transaction's label
//! header, so recording copies no text.

use std::collections::VecDeque;
use std::sync::Mutex;
use std::time::SystemTime;

use bytes::Bytes;
use hyper::header::{HeaderMap, HeaderValue};
use hyper::{Method, Uri};
use serde::Serialize;
use serde_json::Value;

use crate::validate::Violation;

/// Bodies longer than this are cut in journal listings.
const BODY_SHOWN: usize = 4096;

/// One journaled request.
#[derive(Debug)]
pub(crate) struct Entry {
    pub at: SystemTime,
    pub method: Method,
    pub uri: Uri,
    pub headers: HeaderMap,
    pub body: Bytes,
    pub status: u16,
    /// The transaction that answered (its label).
    pub transaction: Option<HeaderValue>,
    /// Otherwise the rule that missed.
    pub problem: &'static str,
    pub violations: Vec<Violation>,
    pub micros: u64,
}

/// The bounded journal.
#[derive(Debug)]
pub(crate) struct Journal {
    capacity: usize,
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
                    && filter.path.as_ref().is_none_or(|p| p == e.uri.path())
            })
            .map(|(id, e)| entry_json(*id, e))
            .collect();
        serde_json::json!({
            "count": entries.len(),
            "capacity": self.capacity,
            "requests": entries,
        })
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
    headers: Vec<(&'a str, String)>,
    body: Option<String>,
    body_bytes: usize,
    status: u16,
    matched: bool,
    transaction: Option<String>,
    problem: Option<&'a str>,
    violations: &'a [Violation],
    micros: u64,
}

fn entry_json(id: u64, e: &Entry) -> Value {
    let body = (!e.body.is_empty()).then(|| {
        let shown = &e.body[..e.body.len().min(BODY_SHOWN)];
        String::from_utf8_lossy(shown).into_owned()
    });
    let json = EntryJson {
        id,
        at: humantime::format_rfc3339_millis(e.at).to_string(),
        method: e.method.as_str(),
        path: e.uri.path(),
        query: e.uri.query(),
        headers: e
            .headers
            .iter()
            .map(|(n, v)| {
                (
                    n.as_str(),
                    String::from_utf8_lossy(v.as_bytes()).into_owned(),
                )
            })
            .collect(),
        body,
        body_bytes: e.body.len(),
        status: e.status,
        matched: e.transaction.is_some(),
        transaction: e
            .transaction
            .as_ref()
            .map(|t| String::from_utf8_lossy(t.as_bytes()).into_owned()),
        problem: (e.transaction.is_none() || !e.violations.is_empty()).then_some(e.problem),
        violations: &e.violations,
        micros: e.micros,
    };
    serde_json::to_value(json).unwrap_or(Value::Null)
}
