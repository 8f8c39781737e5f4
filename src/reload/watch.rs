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
//! The debounce is ours rather than a ticking debouncer's: the reload
//! thread sleeps until an event comes, so an idle server has no thread
//! waking up beside its requests (notify-debouncer-full's 5 ms tick
//! preempted a loaded worker: 686 involuntary context switches in 3 s of
//! load against 141 without it).

use std::collections::BTreeSet;
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

/// The watcher and the directories it watches.
struct Watched {
    watcher: RecommendedWatcher,
    dirs: BTreeSet<PathBuf>,
}

impl Watched {
    /// Watches the directories `files` need that are not watched yet (a
    /// reload may bring new includes).
    fn cover(&mut self, specs: &[String], files: &[PathBuf]) -> notify::Result<()> {
        for (dir, mode) in roots(specs, files) {
            if !self.dirs.contains(&dir) {
                self.watcher.watch(&dir, mode)?;
                self.dirs.insert(dir);
            }
        }
        Ok(())
    }
}

/// Where reload messages go (the CLI prints them; tests collect them).
pub type Report = Box<dyn Fn(&Outcome) + Send + 'static>;

/// Watches what `live` was loaded from and reloads it on every change.
pub fn watch(specs: &[String], live: Arc<LiveContract>, report: Report) -> notify::Result<Watcher> {
    let (tx, rx) = mpsc::channel::<()>();
    let watcher = notify::recommended_watcher(move |event: notify::Result<notify::Event>| {
        let relevant = match event {
            Ok(event) => is_change(&event.kind),
            // A lost event (queue overflow) may have been a change.
            Err(_) => true,
        };
        if relevant {
            let _ = tx.send(());
        }
    })?;
    let mut watched = Watched {
        watcher,
        dirs: BTreeSet::new(),
    };
    watched.cover(specs, &live.files())?;
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
                let outcome = live.reload();
                if matches!(outcome, Outcome::Reloaded { .. })
                    && let Some(watched) = shared.upgrade()
                    && let Ok(mut watched) = watched.lock()
                {
                    let _ = watched.cover(&specs, &live.files());
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
/// fixed prefix non-recursively.
fn roots(specs: &[String], files: &[PathBuf]) -> Vec<(PathBuf, RecursiveMode)> {
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
