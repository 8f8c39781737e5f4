//! `--state-file`: the sandbox's state on disk, written whole and
//! atomically (a temporary file beside it, synced, then renamed over it),
//! so a crash leaves the last complete state or the one before, never
//! half of one. A writer thread does it a moment after changes (many
//! changes, one write), and once more when the server stops.

use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Condvar, Mutex};
use std::thread::JoinHandle;
use std::time::Duration;

use serde_json::{Map, Value, json};

use super::{Bucket, Session, Store};

/// What the file says it is, and its format's version.
const FORMAT: &str = "apib-mock sandbox state";
const VERSION: u64 = 1;
/// The least time between two writes.
const SPACING: Duration = Duration::from_millis(100);

/// The state as the file holds it.
pub(super) struct Saved(Value);

/// Reads the state file: `None` when there is none yet.
pub(super) fn read(path: &Path) -> Result<Option<Saved>, String> {
    let bytes = match std::fs::read(path) {
        Ok(bytes) => bytes,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(e.to_string()),
    };
    let value: Value = serde_json::from_slice(&bytes).map_err(|e| format!("not JSON: {e}"))?;
    if value.get("format").and_then(Value::as_str) != Some(FORMAT)
        || value.get("version").and_then(Value::as_u64) != Some(VERSION)
    {
        return Err(format!(
            "not an apib-mock sandbox state (version {VERSION})"
        ));
    }
    Ok(Some(Saved(value)))
}

/// Puts the saved sessions into `store` (checked against the contract on
/// first use, like after a reload).
pub(super) fn restore(saved: Saved, store: &mut Store) {
    let Some(sessions) = saved.0.get("sessions").and_then(Value::as_object) else {
        return;
    };
    for (name, buckets) in sessions {
        let Some(buckets) = buckets.as_object() else {
            continue;
        };
        let mut session = Session::default();
        for (key, saved) in buckets {
            let (Some(collection), Some(shape), Some(entities)) = (
                saved.get("collection").and_then(Value::as_str),
                saved
                    .get("shape")
                    .and_then(Value::as_str)
                    .and_then(|s| u64::from_str_radix(s, 16).ok()),
                saved.get("entities").and_then(Value::as_array),
            ) else {
                continue;
            };
            let mut bucket = Bucket::empty(collection.to_string(), shape);
            for pair in entities {
                if let (Some(id), Some(entity)) =
                    (pair.get("id").and_then(Value::as_str), pair.get("entity"))
                {
                    bucket.insert(id.to_string(), entity.clone());
                }
            }
            store.bytes += bucket.bytes();
            session.buckets.insert(key.clone(), bucket);
        }
        store.sessions.insert(name.clone(), session);
    }
}

/// The file's contents for `store`.
pub(super) fn render(store: &Store) -> Vec<u8> {
    let mut sessions = Map::new();
    for (name, session) in &store.sessions {
        let mut buckets = Map::new();
        for (key, bucket) in &session.buckets {
            let entities: Vec<Value> = bucket
                .entities
                .values()
                .map(|s| json!({"id": s.id, "entity": s.value}))
                .collect();
            buckets.insert(
                key.clone(),
                json!({
                    "collection": bucket.collection,
                    "shape": format!("{:016x}", bucket.shape),
                    "entities": entities,
                }),
            );
        }
        sessions.insert(name.clone(), Value::Object(buckets));
    }
    serde_json::to_vec_pretty(&json!({
        "format": FORMAT,
        "version": VERSION,
        "sessions": sessions,
    }))
    .unwrap_or_default()
}

/// Writes `bytes` to `path` atomically.
pub(crate) fn write_atomically(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let mut name = path.file_name().unwrap_or_default().to_os_string();
    name.push(".tmp");
    let temporary = path.with_file_name(name);
    let mut file = std::fs::File::create(&temporary)?;
    file.write_all(bytes)?;
    file.sync_all()?;
    drop(file);
    std::fs::rename(&temporary, path)?;
    // The rename itself survives a crash once the directory is synced.
    let dir = path.parent().filter(|p| !p.as_os_str().is_empty());
    if let Ok(dir) = std::fs::File::open(dir.unwrap_or(Path::new("."))) {
        let _ = dir.sync_all();
    }
    Ok(())
}

#[derive(Debug, Default)]
struct Flags {
    dirty: bool,
    stop: bool,
}

/// The thread that writes the state file.
#[derive(Debug)]
pub(super) struct Writer {
    path: PathBuf,
    flags: Arc<(Mutex<Flags>, Condvar)>,
    thread: Mutex<Option<JoinHandle<()>>>,
}

impl Writer {
    /// Starts the writer of `path`, rendering `store` when it changes.
    pub(super) fn start(path: PathBuf, store: Arc<Mutex<Store>>) -> Writer {
        let flags: Arc<(Mutex<Flags>, Condvar)> = Arc::default();
        let shared = flags.clone();
        let target = path.clone();
        let thread = std::thread::Builder::new()
            .name("apib-mock state".into())
            .spawn(move || run(&target, &shared, &store))
            .ok();
        Writer {
            path,
            flags,
            thread: Mutex::new(thread),
        }
    }

    /// The state changed: write it soon.
    pub(super) fn changed(&self) {
        let (lock, wake) = &*self.flags;
        lock.lock().unwrap_or_else(|p| p.into_inner()).dirty = true;
        wake.notify_one();
    }

    /// Writes what is pending and stops the thread.
    pub(super) fn stop(&self) {
        let (lock, wake) = &*self.flags;
        lock.lock().unwrap_or_else(|p| p.into_inner()).stop = true;
        wake.notify_one();
        let thread = self.thread.lock().unwrap_or_else(|p| p.into_inner()).take();
        if let Some(thread) = thread
            && thread.join().is_err()
        {
            eprintln!(
                "apib-mock: the sandbox state writer of {} stopped abnormally",
                self.path.display()
            );
        }
    }
}

fn run(path: &Path, flags: &(Mutex<Flags>, Condvar), store: &Mutex<Store>) {
    let (lock, wake) = flags;
    loop {
        let stop = {
            let mut f = lock.lock().unwrap_or_else(|p| p.into_inner());
            while !f.dirty && !f.stop {
                f = wake.wait(f).unwrap_or_else(|p| p.into_inner());
            }
            let stop = f.stop;
            if !f.dirty {
                return;
            }
            f.dirty = false;
            stop
        };
        let began = std::time::Instant::now();
        let bytes = render(&store.lock().unwrap_or_else(|p| p.into_inner()));
        if let Err(e) = write_atomically(path, &bytes) {
            eprintln!(
                "apib-mock: the sandbox state cannot be written to {}: {e}",
                path.display()
            );
        }
        if stop {
            // One last look: a change may have come during the write.
            if !lock.lock().unwrap_or_else(|p| p.into_inner()).dirty {
                return;
            }
            continue;
        }
        // Many changes in a burst make one write, not one each; a large
        // state (rendered under the store's lock) is written at most a
        // tenth of the time, so requests are not held up behind it.
        let pause = SPACING.max(began.elapsed() * 10);
        let f = lock.lock().unwrap_or_else(|p| p.into_inner());
        let _ = wake.wait_timeout_while(f, pause, |f| !f.stop);
    }
}
