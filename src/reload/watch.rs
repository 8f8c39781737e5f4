//! Watching the spec files: notify's events, debounced → reloads.
//!
//! Directories are watched rather than files, so every way an editor
//! saves is seen: in-place writes, write-then-rename (vim, VS Code,
//! JetBrains), delete-then-create. A directory given as SPEC is watched
//! recursively (new files join, removed files leave); for files, their
//! directories are watched, and included files' directories too. Any
//! burst of events becomes one reload, which does nothing when the bytes
//! did not change (reading a file is an event too).
//!
//! A watched directory that is deleted takes its watch with it, and a new
//! directory of the same name is another one: the parent of every root is
//! watched too (so its return is seen), and before each reload every
//! watch is checked against the directory now at its path (a different
//! one, or none, is unwatched) and what is missing is watched again.
//! While a root cannot be watched, `/__mock/status` says `watching: false`.
//!
//! The debounce is ours rather than a ticking debouncer's: the reload
//! thread sleeps until an event comes, so an idle server has no thread
//! waking up beside its requests (notify-debouncer-full's 5 ms tick
//! preempted a loaded worker: 686 involuntary context switches in 3 s of
//! load against 141 without it).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, mpsc};
use std::time::{Duration, Instant};

use notify::event::{AccessKind, AccessMode, EventKind};
use notify::{RecommendedWatcher, RecursiveMode, Watcher as _};

use super::live::{LiveContract, Outcome};

/// Quiet time after the last event before a reload: long enough to
/// gather an editor's write-rename-chmod burst, short enough to feel
/// instant.
pub const DEBOUNCE: Duration = Duration::from_millis(30);

/// A burst that never goes quiet (a tool writing into the watched
/// directory all the time) still reloads this often.
const LONGEST_WAIT: Duration = Duration::from_millis(300);

/// Keeps the watch going; dropping it stops watching (the watcher's end
/// closes the channel, which ends the reload thread).
pub struct Watcher {
    _watched: Arc<Mutex<Watched>>,
}

impl std::fmt::Debug for Watcher {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Watcher")
    }
}

/// The watcher and the directories it watches, each with the identity of
/// the directory that was at its path when the watch began.
struct Watched {
    watcher: RecommendedWatcher,
    dirs: BTreeMap<PathBuf, Option<DirId>>,
    /// The needed roots, shared with the event handler: an event in a
    /// parent directory matters only when it is about one of them.
    needed: Arc<Mutex<Vec<PathBuf>>>,
}

/// Which directory a path names (device and inode on Unix).
type DirId = (u64, u64);

fn dir_id(path: &Path) -> Option<DirId> {
    let meta = std::fs::metadata(path).ok()?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::MetadataExt as _;
        Some((meta.dev(), meta.ino()))
    }
    #[cfg(not(unix))]
    {
        meta.is_dir().then_some((0, 0))
    }
}

impl Watched {
    /// Drops the watches whose directory is gone or replaced, then watches
    /// what `files` need and is not watched (a reload may bring new
    /// includes; a deleted directory may be back). True when every root
    /// is watched.
    fn cover(&mut self, specs: &[String], files: &[PathBuf]) -> bool {
        let stale: Vec<PathBuf> = self
            .dirs
            .iter()
            .filter(|(dir, id)| dir_id(dir) != **id)
            .map(|(dir, _)| dir.clone())
            .collect();
        for dir in stale {
            let _ = self.watcher.unwatch(&dir);
            self.dirs.remove(&dir);
        }
        let mut all = true;
        let roots = roots(specs, files);
        if let Ok(mut needed) = self.needed.lock() {
            *needed = roots
                .iter()
                .filter(|(_, _, needed)| *needed)
                .map(|(d, _, _)| d.clone())
                .collect();
        }
        for (dir, mode, needed) in roots {
            if self.dirs.contains_key(&dir) {
                continue;
            }
            let id = dir_id(&dir);
            match self.watcher.watch(&dir, mode) {
                Ok(()) => {
                    self.dirs.insert(dir, id);
                }
                Err(_) => all &= !needed,
            }
        }
        all
    }
}

/// Where reload messages go (the CLI prints them; tests collect them).
pub type Report = Box<dyn Fn(&Outcome) + Send + 'static>;

/// Watches what `live` was loaded from and reloads it on every change.
pub fn watch(specs: &[String], live: Arc<LiveContract>, report: Report) -> notify::Result<Watcher> {
    let (tx, rx) = mpsc::channel::<()>();
    let initial = roots(specs, &live.files());
    let needed = Arc::new(Mutex::new(
        initial
            .iter()
            .filter(|(_, _, needed)| *needed)
            .map(|(d, _, _)| d.clone())
            .collect::<Vec<_>>(),
    ));
    let needed_by_events = needed.clone();
    let watcher = notify::recommended_watcher(move |event: notify::Result<notify::Event>| {
        let relevant = match event {
            Ok(event) => {
                is_change(&event.kind)
                    && needed_by_events
                        .lock()
                        .map_or(true, |needed| concerns(&event.paths, &needed))
            }
            // A lost event (queue overflow) may have been a change.
            Err(_) => true,
        };
        if relevant {
            let _ = tx.send(());
        }
    })?;
    let mut watched = Watched {
        watcher,
        dirs: BTreeMap::new(),
        needed,
    };
    // The roots exist now (they were just loaded): not watching one is
    // an error to report.
    for (dir, mode, needed) in initial {
        let id = dir_id(&dir);
        match watched.watcher.watch(&dir, mode) {
            Ok(()) => {
                watched.dirs.insert(dir, id);
            }
            Err(e) if needed => return Err(e),
            Err(_) => {}
        }
    }
    let watched = Arc::new(Mutex::new(watched));
    let shared = Arc::downgrade(&watched);
    let specs = specs.to_vec();
    live.set_watching(true);
    std::thread::Builder::new()
        .name("apib-mock reload".into())
        .spawn(move || {
            while rx.recv().is_ok() {
                if !quiet(&rx) {
                    return;
                }
                // Watches first: a file written after this is seen, one
                // written before is read by the reload.
                let recover = |live: &LiveContract| {
                    if let Some(watched) = shared.upgrade()
                        && let Ok(mut watched) = watched.lock()
                    {
                        live.set_watching(watched.cover(&specs, &live.files()));
                    }
                };
                recover(&live);
                let outcome = live.reload();
                if matches!(outcome, Outcome::Reloaded { .. }) {
                    recover(&live);
                }
                report(&outcome);
            }
        })
        .map_err(|e| notify::Error::generic(&e.to_string()))?;
    Ok(Watcher { _watched: watched })
}

/// Waits until no event came for [`DEBOUNCE`] (or [`LONGEST_WAIT`] has
/// passed), so one burst makes one reload. False when the watcher is
/// gone.
fn quiet(events: &mpsc::Receiver<()>) -> bool {
    let started = Instant::now();
    loop {
        match events.recv_timeout(DEBOUNCE) {
            Ok(()) if started.elapsed() < LONGEST_WAIT => {}
            Ok(()) | Err(mpsc::RecvTimeoutError::Timeout) => return true,
            Err(mpsc::RecvTimeoutError::Disconnected) => return false,
        }
    }
}

/// Whether an event about `paths` may concern the specs: a path inside a
/// needed directory, or one of those directories itself (or a directory
/// above one, deleted or created). An event in a parent directory about
/// another file (a log written beside the specs' directory) does not.
fn concerns(paths: &[PathBuf], needed: &[PathBuf]) -> bool {
    paths.is_empty()
        || paths.iter().any(|p| {
            let p = std::path::absolute(p).unwrap_or_else(|_| p.clone());
            needed
                .iter()
                .any(|dir| p.starts_with(dir) || dir.starts_with(&p))
        })
}

/// Events that may change a file's bytes; opening and reading do not.
fn is_change(kind: &EventKind) -> bool {
    match kind {
        EventKind::Access(AccessKind::Close(AccessMode::Write)) => true,
        EventKind::Access(_) => false,
        _ => true,
    }
}

/// The directories to watch: SPEC directories recursively, the
/// directory of every file read (specs and includes) and of every glob's
/// fixed prefix non-recursively; and, not needed but watched when they
/// exist, the parents of those (where a deleted directory comes back).
/// Each with whether it is needed.
fn roots(specs: &[String], files: &[PathBuf]) -> Vec<(PathBuf, RecursiveMode, bool)> {
    // Absolute, so that the events' paths (the watched path joined with a
    // name) compare with them.
    let needed: Vec<(PathBuf, RecursiveMode)> = needed_roots(specs, files)
        .into_iter()
        .map(|(d, m)| (std::path::absolute(&d).unwrap_or(d), m))
        .collect();
    let mut out: Vec<(PathBuf, RecursiveMode, bool)> =
        needed.iter().map(|(d, m)| (d.clone(), *m, true)).collect();
    for (dir, _) in &needed {
        let Some(parent) = dir.parent() else {
            continue;
        };
        let parent = if parent.as_os_str().is_empty() {
            PathBuf::from(".")
        } else {
            parent.to_path_buf()
        };
        if parent.is_dir()
            && !out.iter().any(|(d, m, _)| {
                *d == parent || (*m == RecursiveMode::Recursive && parent.starts_with(d))
            })
        {
            out.push((parent, RecursiveMode::NonRecursive, false));
        }
    }
    out
}

fn needed_roots(specs: &[String], files: &[PathBuf]) -> Vec<(PathBuf, RecursiveMode)> {
    let mut out = Vec::new();
    for spec in specs {
        let path = Path::new(spec);
        if path.is_dir() {
            out.push((path.to_path_buf(), RecursiveMode::Recursive));
        } else if spec.contains(['*', '?', '[']) {
            let fixed: PathBuf = path
                .components()
                .take_while(|c| !c.as_os_str().to_string_lossy().contains(['*', '?', '[']))
                .collect();
            let dir = if fixed.as_os_str().is_empty() {
                PathBuf::from(".")
            } else {
                fixed
            };
            out.push((dir, RecursiveMode::Recursive));
        }
    }
    if specs.is_empty() && Path::new("specs").is_dir() {
        out.push((PathBuf::from("specs"), RecursiveMode::Recursive));
    }
    for file in files {
        let dir = match file.parent() {
            Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
            _ => PathBuf::from("."),
        };
        if !out
            .iter()
            .any(|(d, m)| *m == RecursiveMode::Recursive && dir.starts_with(d))
        {
            out.push((dir, RecursiveMode::NonRecursive));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_event_beside_the_specs_directory_does_not_concern_it() {
        let needed = vec![PathBuf::from("/work/specs")];
        let at = |p: &str| vec![PathBuf::from(p)];
        assert!(concerns(&at("/work/specs/a.apib"), &needed));
        assert!(
            concerns(&at("/work/specs"), &needed),
            "the directory itself"
        );
        assert!(concerns(&at("/work"), &needed), "a directory above it");
        assert!(!concerns(&at("/work/server.log"), &needed));
        assert!(!concerns(&at("/work/specs-old/a.apib"), &needed));
        assert!(concerns(&[], &needed), "no path: maybe");
    }
}
