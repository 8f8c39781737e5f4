//! The contract being served, swapped whole on reload.
//!
//! Requests take a snapshot (`Arc<Contract>`) when they start and finish
//! on it; a reload builds the next contract off the request path and
//! stores it with one atomic swap, so no request waits on a lock or sees
//! half a contract. What is not the contract (reload history, counters)
//! lives here and survives every reload.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::atomic::AtomicU64;
use std::sync::{Arc, Mutex, MutexGuard, mpsc};
use std::time::{Duration, Instant, SystemTime};

use arc_swap::ArcSwap;
use serde::Serialize;
use tokio::sync::watch;

use crate::contract::{CompiledTransaction, Contract};
use crate::diag::Diagnostic;
use crate::load::{self, Loaded};

/// A save held back as possibly half-written is read again once its files
/// have kept their size and modification time this long.
pub const SETTLE: Duration = Duration::from_millis(400);

/// A held-back save is read again after this long at most, however often
/// its files still change.
pub const LONGEST_HOLD: Duration = Duration::from_secs(3);

/// Reading the specs may take this long; past it the reload is refused
/// (the reading thread is left to finish alone), so a file system that
/// hangs cannot wedge reloading.
const READ_TIMEOUT: Duration = Duration::from_secs(10);

/// The served contract and the history of its reloads.
#[derive(Debug)]
pub struct LiveContract {
    current: ArcSwap<Contract>,
    state: Mutex<State>,
    /// Bumped after every reload attempt that found a change (served or
    /// refused), for whoever waits on reloads.
    attempts: watch::Sender<u64>,
    /// Told of each contract a reload serves; what they say goes on the
    /// reload's record.
    observers: Observers,
}

/// The reload observers (a closure has no `Debug`).
#[derive(Default)]
struct Observers(Mutex<Vec<Observer>>);

impl std::fmt::Debug for Observers {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let n = self.0.lock().map_or(0, |o| o.len());
        write!(f, "Observers({n})")
    }
}

/// Told of each contract a reload serves, right after it is swapped in;
/// returns notes for the reload line (the sandbox's re-seeded collections).
pub(crate) type Observer = Box<dyn Fn(&Contract) -> Vec<String> + Send + Sync>;

/// What `/__mock/status` shows, and what the next reload compares with.
#[derive(Debug)]
struct State {
    specs: Vec<String>,
    /// What a reload may read.
    limits: load::SpecLimits,
    /// Warnings of the specs served: a save with more is held back.
    warnings: usize,
    /// The warnings themselves (the first [`SHOWN_WARNINGS`]), for
    /// `/__mock/status`.
    warning_list: Vec<Diagnostic>,
    files: Vec<PathBuf>,
    fingerprint: u64,
    loaded_at: SystemTime,
    reloads: u64,
    failed_reloads: u64,
    last_reload: Option<ReloadRecord>,
    last_error: Option<ErrorRecord>,
    /// The fingerprint of the files a refused reload read: the same bytes
    /// are not refused (and reported) twice.
    refused: Option<u64>,
    watching: bool,
    /// The admin API's prefix: a contract with routes under it is refused.
    reserved: Option<String>,
    /// The coverage table: one answer counter per transaction key (method,
    /// URI template, label), shared by that transaction in every contract
    /// served, so counts survive reloads and none is lost to a request
    /// finishing on an older snapshot.
    counters: rustc_hash::FxHashMap<u64, Arc<AtomicU64>>,
}

impl State {
    fn fresh(specs: Vec<String>, files: Vec<PathBuf>, fingerprint: u64) -> Self {
        State {
            specs,
            limits: load::SpecLimits::default(),
            warnings: 0,
            warning_list: Vec::new(),
            files,
            fingerprint,
            loaded_at: SystemTime::now(),
            reloads: 0,
            failed_reloads: 0,
            last_reload: None,
            last_error: None,
            refused: None,
            watching: false,
            reserved: None,
            counters: Default::default(),
        }
    }
}

/// A reload that was served.
#[derive(Clone, Debug, Serialize)]
#[non_exhaustive]
pub struct ReloadRecord {
    /// When it was swapped in (RFC 3339).
    pub at: String,
    /// Reading, parsing and compiling, in milliseconds.
    pub millis: f64,
    /// What changed.
    #[serde(flatten)]
    pub diff: Diff,
    /// What else the reload did (the sandbox re-seeding a collection).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub notes: Vec<String>,
}

/// A reload that was refused, and why.
#[derive(Clone, Debug, Serialize)]
#[non_exhaustive]
pub struct ErrorRecord {
    /// When it was refused (RFC 3339).
    pub at: String,
    /// Why, in one line.
    pub message: String,
    /// The diagnostics that made it fail.
    pub diagnostics: Vec<Diagnostic>,
}

/// Transactions added, removed and changed by a reload, by label.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct Diff {
    /// Transactions the new contract adds (`METHOD template (label)`).
    pub added: Vec<String>,
    /// Transactions it no longer has.
    pub removed: Vec<String>,
    /// Transactions whose request or answer changed.
    pub changed: Vec<String>,
}

impl Diff {
    /// Nothing added, removed or changed.
    pub fn is_empty(&self) -> bool {
        self.added.is_empty() && self.removed.is_empty() && self.changed.is_empty()
    }
}

/// What a reload did.
#[derive(Debug)]
#[non_exhaustive]
pub enum Outcome {
    /// The files are as they were: nothing to do.
    Unchanged,
    /// The new contract is served; warnings, if any, came with it.
    Reloaded {
        /// What the reload did.
        record: ReloadRecord,
        /// Transactions now served.
        transactions: usize,
        /// Warnings of the new specs (they never block a reload).
        warnings: Vec<Diagnostic>,
    },
    /// The last good contract is still served.
    Refused(ErrorRecord),
    /// The files are back to the contract served (a broken save undone):
    /// the last reload error is cleared.
    Restored,
}

impl LiveContract {
    /// Serves `contract`, loaded from `specs` (what reloads read again).
    pub(crate) fn new(
        mut contract: Contract,
        specs: Vec<String>,
        limits: load::SpecLimits,
        loaded: &Loaded,
    ) -> Arc<Self> {
        let mut state = State::fresh(specs, loaded.files.clone(), loaded.fingerprint);
        state.limits = limits;
        state.warnings = warning_count(loaded);
        state.warning_list = shown_warnings(&loaded.diagnostics);
        contract.share_counters(&mut state.counters);
        Self::with_state(Arc::new(contract), state)
    }

    /// Serves a fixed contract (no files behind it).
    pub(crate) fn fixed(contract: Arc<Contract>) -> Arc<Self> {
        Self::with_state(contract, State::fresh(Vec::new(), Vec::new(), 0))
    }

    fn with_state(contract: Arc<Contract>, state: State) -> Arc<Self> {
        Arc::new(Self {
            current: ArcSwap::new(contract),
            state: Mutex::new(state),
            attempts: watch::channel(0).0,
            observers: Observers::default(),
        })
    }

    /// Tells `observer` of every contract a reload serves from now on.
    pub(crate) fn observe(&self, observer: Observer) {
        self.observers
            .0
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .push(observer);
    }

    /// Refuses reloads that document routes under `prefix` (the admin
    /// API's).
    pub(crate) fn reserve_prefix(&self, prefix: &str) {
        self.lock().reserved = Some(prefix.to_string());
    }

    /// The contract to answer one request with, without touching its
    /// reference count: for a request's synchronous part only (arc-swap
    /// guards are meant to be short-lived).
    pub(crate) fn guard(&self) -> arc_swap::Guard<Arc<Contract>> {
        self.current.load()
    }

    /// The contract to answer one request with.
    pub(crate) fn contract(&self) -> Arc<Contract> {
        self.current.load_full()
    }

    /// Waits on reload attempts: the value counts them.
    pub fn subscribe(&self) -> watch::Receiver<u64> {
        self.attempts.subscribe()
    }

    /// How many transactions the contract being served has.
    pub fn transaction_count(&self) -> usize {
        self.current.load().transactions().len()
    }

    /// The files the contract was read from.
    pub fn files(&self) -> Vec<PathBuf> {
        self.lock().files.clone()
    }

    #[cfg(feature = "cli")]
    pub(crate) fn set_watching(&self, watching: bool) {
        self.lock().watching = watching;
    }

    /// Reads the specs again and, if they changed and still make a good
    /// contract, serves the new one. Blocking: run it off the request
    /// path.
    ///
    /// A save that makes the spec worse than the one served (errors, more
    /// warnings such as a body that stopped being JSON, fewer routes or
    /// transactions, an empty file) may be a file still being written: it
    /// is held back until the files stop changing (size and modification
    /// time the same across `SETTLE` (400 ms), for at most `LONGEST_HOLD` (3 s)),
    /// then read again and served or refused. A clean save is served at
    /// once.
    pub fn reload(&self) -> Outcome {
        let started = Instant::now();
        let outcome = match self.attempt(started, false) {
            Attempt::Held(files) => {
                wait_until_stable(&files);
                match self.attempt(started, true) {
                    Attempt::Done(outcome) => outcome,
                    // Not held when settled.
                    Attempt::Held(_) => Outcome::Unchanged,
                }
            }
            Attempt::Done(outcome) => outcome,
        };
        if !matches!(outcome, Outcome::Unchanged) {
            self.attempts.send_modify(|n| *n += 1);
        }
        outcome
    }

    /// One read of the specs: served, refused, unchanged, or held back
    /// (unless `settled`) as a possibly half-written save.
    fn attempt(&self, started: Instant, settled: bool) -> Attempt {
        let (specs, limits, files, fingerprint, refused) = {
            let state = self.lock();
            (
                state.specs.clone(),
                state.limits,
                state.files.clone(),
                state.fingerprint,
                state.refused,
            )
        };
        let read = read_in_time(specs, limits, files.clone(), fingerprint);
        let outcome = match read {
            Read::Unchanged => return Attempt::Done(self.unchanged()),
            Read::TimedOut => Err(refusal(
                &format!(
                    "reading the specs took longer than {} s (a file system that hangs?); \
                     the last good contract is still served",
                    READ_TIMEOUT.as_secs()
                ),
                Vec::new(),
            )),
            Read::Failed(e) => Err(refusal(&e, Vec::new())),
            Read::Loaded(loaded) if loaded.fingerprint == fingerprint && loaded.files == files => {
                return Attempt::Done(self.unchanged());
            }
            Read::Loaded(loaded) if refused == Some(loaded.fingerprint) => {
                return Attempt::Done(Outcome::Unchanged);
            }
            Read::Loaded(loaded) => {
                let print = loaded.fingerprint;
                match self.build(*loaded, started, settled) {
                    Built::Held(mut read) => {
                        read.extend(files);
                        return Attempt::Held(read);
                    }
                    Built::Served(outcome) => Ok(outcome),
                    Built::Refused(record) => {
                        self.lock().refused = Some(print);
                        Err(record)
                    }
                }
            }
        };
        Attempt::Done(match outcome {
            Ok(outcome) => outcome,
            Err(record) => {
                let mut state = self.lock();
                state.failed_reloads += 1;
                state.last_error = Some(record.clone());
                Outcome::Refused(record)
            }
        })
    }

    /// The files hold what is served: nothing to reload, and a refusal
    /// of an earlier save no longer applies (an undo after a broken save
    /// clears the error).
    fn unchanged(&self) -> Outcome {
        let mut state = self.lock();
        if state.last_error.is_none() {
            return Outcome::Unchanged;
        }
        state.last_error = None;
        state.refused = None;
        Outcome::Restored
    }

    fn build(&self, loaded: Loaded, started: Instant, settled: bool) -> Built {
        let empty = loaded
            .documents
            .iter()
            .find(|d| d.source.text().trim().is_empty());
        let warnings = warning_count(&loaded);
        let worse = loaded.has_errors() || empty.is_some() || warnings > self.lock().warnings;
        if worse && !settled {
            return Built::Held(loaded.files);
        }
        if loaded.has_errors() {
            return Built::Refused(refusal("the specs have errors", loaded.diagnostics.clone()));
        }
        if let Some(empty) = empty {
            return Built::Refused(refusal(
                &format!("{} is empty (a save in progress?)", empty.source.name()),
                Vec::new(),
            ));
        }
        // The new contract is compiled the way the served one was.
        let served = self.contract();
        let (mut contract, compile_warnings) =
            Contract::compile_with(&loaded.documents, served.is_strict());
        let fewer = contract.endpoints().len() < served.endpoints().len()
            || contract.transactions().len() < served.transactions().len();
        if fewer && !settled {
            return Built::Held(loaded.files);
        }
        if contract.transactions().is_empty() {
            return Built::Refused(refusal(
                "the specs document no transaction",
                loaded.diagnostics.clone(),
            ));
        }
        let reserved = self.lock().reserved.clone();
        if let Some(prefix) = reserved {
            let clashes = contract.templates_under(&prefix);
            if !clashes.is_empty() {
                return Built::Refused(refusal(
                    &format!(
                        "routes under the admin prefix {prefix}: {} (see --admin-prefix)",
                        clashes.join(", ")
                    ),
                    Vec::new(),
                ));
            }
        }
        let transactions = contract.transactions().len();
        contract.generation = served.generation() + 1;
        // Before it is served: its transactions count on the table's
        // counters from their first answer.
        contract.share_counters(&mut self.lock().counters);
        let contract = Arc::new(contract);
        drop(served);
        let previous = self.current.swap(contract.clone());
        let notes: Vec<String> = self
            .observers
            .0
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .iter()
            .flat_map(|observe| observe(&contract))
            .collect();
        let millis = started.elapsed().as_secs_f64() * 1000.0;
        // Served from here on; the comparison is only for the report.
        let record = ReloadRecord {
            at: now(),
            millis,
            diff: diff(&previous, &contract),
            notes,
        };
        // Freeing a large contract takes tens of milliseconds: not on the
        // thread the next reload runs on.
        let _ = std::thread::Builder::new()
            .name("apib-mock free".into())
            .spawn(move || drop((previous, loaded.documents)));
        let mut state = self.lock();
        state.files = loaded.files;
        state.fingerprint = loaded.fingerprint;
        state.loaded_at = SystemTime::now();
        state.reloads += 1;
        state.refused = None;
        state.warnings = warnings;
        state.last_reload = Some(record.clone());
        let mut warnings = loaded.diagnostics;
        warnings.extend(compile_warnings);
        state.warning_list = shown_warnings(&warnings);
        Built::Served(Outcome::Reloaded {
            record,
            transactions,
            warnings,
        })
    }

    /// `GET /__mock/status`.
    pub(crate) fn status_json(&self) -> Vec<u8> {
        let contract = self.contract();
        let state = self.lock();
        let status = Status {
            files: contract.files().iter().map(|f| f.as_ref()).collect(),
            watched_files: state
                .files
                .iter()
                .map(|f| f.display().to_string())
                .collect(),
            transactions: contract.transactions().len(),
            endpoints: contract.endpoints().len(),
            loaded_at: humantime::format_rfc3339_millis(state.loaded_at).to_string(),
            watching: state.watching,
            reloads: state.reloads,
            failed_reloads: state.failed_reloads,
            last_reload: state.last_reload.as_ref(),
            last_error: state.last_error.as_ref(),
            warnings: &state.warning_list,
        };
        serde_json::to_vec_pretty(&status).unwrap_or_default()
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        // A panic while holding it cannot leave the state half-written
        // (every update is a few assignments): keep using it.
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }
}

#[derive(Serialize)]
struct Status<'a> {
    files: Vec<&'a str>,
    watched_files: Vec<String>,
    transactions: usize,
    endpoints: usize,
    loaded_at: String,
    watching: bool,
    reloads: u64,
    failed_reloads: u64,
    last_reload: Option<&'a ReloadRecord>,
    last_error: Option<&'a ErrorRecord>,
    /// The served specs' warnings (the first [`SHOWN_WARNINGS`]).
    warnings: &'a [Diagnostic],
}

/// Warnings `/__mock/status` lists at most.
const SHOWN_WARNINGS: usize = 200;

fn shown_warnings(diagnostics: &[Diagnostic]) -> Vec<Diagnostic> {
    diagnostics
        .iter()
        .filter(|d| !d.is_error())
        .take(SHOWN_WARNINGS)
        .cloned()
        .collect()
}

fn refusal(message: &str, diagnostics: Vec<Diagnostic>) -> ErrorRecord {
    ErrorRecord {
        at: now(),
        message: message.to_string(),
        diagnostics: diagnostics
            .into_iter()
            .filter(Diagnostic::is_error)
            .collect(),
    }
}

fn now() -> String {
    humantime::format_rfc3339_millis(SystemTime::now()).to_string()
}

/// Compares two contracts transaction by transaction, keyed by method,
/// URI template and label.
pub fn diff(old: &Contract, new: &Contract) -> Diff {
    let mut before: HashMap<String, &CompiledTransaction> = keyed(old).collect();
    let mut diff = Diff::default();
    for (key, tx) in keyed(new) {
        match before.remove(&key) {
            None => diff.added.push(key),
            Some(was) => {
                if was.fingerprint() != tx.fingerprint() {
                    diff.changed.push(key);
                }
            }
        }
    }
    diff.removed = before.into_keys().collect();
    diff.added.sort();
    diff.removed.sort();
    diff.changed.sort();
    diff
}

/// Each transaction with its key: `METHOD template (label)`.
fn keyed(contract: &Contract) -> impl Iterator<Item = (String, &CompiledTransaction)> {
    contract.endpoints().iter().flat_map(move |e| {
        e.transactions.iter().map(move |&id| {
            let tx = contract.transaction(id);
            (format!("{} {} ({})", e.method, e.template, tx.label), tx)
        })
    })
}

/// One read of the specs.
enum Attempt {
    Done(Outcome),
    /// Possibly half-written: these files are to settle first.
    Held(Vec<PathBuf>),
}

/// What became of a loaded spec.
enum Built {
    Served(Outcome),
    Refused(ErrorRecord),
    /// Worse than the one served: to be read again once its files settle.
    Held(Vec<PathBuf>),
}

/// What reading the specs found.
enum Read {
    /// The files read last time have the same bytes.
    Unchanged,
    Loaded(Box<Loaded>),
    Failed(String),
    TimedOut,
}

fn warning_count(loaded: &Loaded) -> usize {
    loaded
        .diagnostics
        .iter()
        .filter(|d| d.severity == crate::diag::Severity::Warning)
        .count()
}

/// Reads the specs on a thread of its own, waiting at most
/// [`READ_TIMEOUT`]: a read that hangs is left behind, not waited on.
fn read_in_time(
    specs: Vec<String>,
    limits: load::SpecLimits,
    files: Vec<PathBuf>,
    fingerprint: u64,
) -> Read {
    let (tx, rx) = mpsc::sync_channel(1);
    let spawned = std::thread::Builder::new()
        .name("apib-mock read".into())
        .spawn(move || {
            let unchanged_roots = load::resolve(&specs)
                .ok()
                .is_some_and(|source| match source {
                    load::SpecSource::Files(roots) => roots.iter().all(|r| files.contains(r)),
                    load::SpecSource::Embedded => false,
                });
            let read =
                if unchanged_roots && load::current_fingerprint(&files, limits) == fingerprint {
                    Read::Unchanged
                } else {
                    match load::load_with(&specs, limits) {
                        Ok(loaded) => Read::Loaded(Box::new(loaded)),
                        Err(e) => Read::Failed(e.to_string()),
                    }
                };
            let _ = tx.send(read);
        });
    if let Err(e) = spawned {
        return Read::Failed(format!("cannot start a thread to read the specs: {e}"));
    }
    rx.recv_timeout(READ_TIMEOUT).unwrap_or(Read::TimedOut)
}

/// Waits until `files` keep their size and modification time across
/// [`SETTLE`] (or [`LONGEST_HOLD`] has passed).
fn wait_until_stable(files: &[PathBuf]) {
    let stamps = || -> Vec<Option<(u64, Option<SystemTime>)>> {
        files
            .iter()
            .map(|f| {
                std::fs::metadata(f)
                    .ok()
                    .map(|m| (m.len(), m.modified().ok()))
            })
            .collect()
    };
    let started = Instant::now();
    let mut last = stamps();
    loop {
        std::thread::sleep(SETTLE);
        let now = stamps();
        if now == last || started.elapsed() >= LONGEST_HOLD {
            return;
        }
        last = now;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_answer_finishing_on_an_old_snapshot_still_counts_after_a_reload() {
        let dir = tempfile::tempdir().expect("temp dir");
        let spec = dir.path().join("api.apib");
        let doc = |body: &str| {
            format!(
                "# A\n## Things [/things]\n### List [GET]\n+ Response 200 (text/plain)\n\n        {body}\n"
            )
        };
        std::fs::write(&spec, doc("before")).expect("write");
        let specs = vec![spec.display().to_string()];
        let loaded = crate::load::load(&specs).expect("loads");
        let (contract, _) = Contract::compile(&loaded.documents);
        let live = LiveContract::new(contract, specs, load::SpecLimits::default(), &loaded);
        let old = live.contract();
        old.transaction(0).add_served(1);
        std::fs::write(&spec, doc("after")).expect("write");
        assert!(matches!(live.reload(), Outcome::Reloaded { .. }));
        // A request that started before the swap answers after it.
        old.transaction(0).add_served(1);
        let new = live.contract();
        assert!(!Arc::ptr_eq(&old, &new));
        assert_eq!(new.transaction(0).served(), 2);
    }
}
