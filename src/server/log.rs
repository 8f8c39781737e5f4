//! One line per request, written off the request path.
//!
//! Writing to stdout from each request costs a `write` syscall per request;
//! sending each line to a writer costs a wake-up per request. Both showed
//! up in the load benchmark (the log took 20% of throughput). Instead a
//! request appends its line to a shared buffer (a short, uncontended lock),
//! and a writer thread, woken by the first line of a batch, waits a few
//! milliseconds for the rest and writes them out together: a person
//! watching still sees each line at once. The writer is a thread of its
//! own, not a tokio task, so a stdout that blocks (a full pipe, a paused
//! terminal) blocks only it, never a worker that answers requests. An idle
//! server's writer sleeps until a line comes (no periodic wake-up), and
//! lines past a bound are dropped (and counted on stderr) rather than held
//! without limit when stdout does not keep up.
//!
//! Not `tracing`: a request line is the hot path, and formatting it
//! through `fmt::Arguments` and a subscriber's layers cost ten times the
//! instructions of pushing its pieces (callgrind); the properties asked of
//! a log writer (bounded, non-blocking, its own thread, JSON lines, no idle
//! wake-ups) are kept here in a hundred lines.

use std::io::Write as _;
use std::sync::{Arc, Condvar, Mutex};
use std::time::Duration;

use serde::Serialize;

/// How request lines are written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[cfg_attr(feature = "cli", derive(clap::ValueEnum))]
#[non_exhaustive]
pub enum LogFormat {
    /// `GET /path 200 Label > #1 87µs`
    #[default]
    Human,
    /// One JSON object per line.
    Json,
    /// No request log.
    Off,
}

/// One served request.
#[derive(Debug, Serialize)]
pub(crate) struct RequestLine<'a> {
    pub method: &'a str,
    pub path: &'a str,
    pub status: u16,
    /// The transaction label, or the problem slug for a miss.
    pub transaction: &'a str,
    pub micros: u64,
}

/// How long the writer waits after the first line of a batch for the
/// others.
const BATCH_WINDOW: Duration = Duration::from_millis(10);

/// The most text held for the writer; past it lines are dropped (and
/// counted) until stdout catches up.
const MAX_PENDING: usize = 4 << 20;

/// Buffers request lines for the writer thread.
#[derive(Debug, Clone)]
pub(crate) struct RequestLog {
    format: LogFormat,
    writer: Option<Arc<Writer>>,
}

/// What the requests and the writer thread share.
#[derive(Debug, Default)]
struct Shared {
    pending: Mutex<Pending>,
    /// Signalled by the first line of a batch, and at the end.
    ready: Condvar,
}

#[derive(Debug, Default)]
struct Pending {
    text: String,
    /// Lines dropped since the last write: stdout was not keeping up.
    dropped: u64,
    /// Every `RequestLog` is gone: write what is left and stop.
    closed: bool,
}

/// The handle the `RequestLog` clones share: dropping the last one tells
/// the writer thread to finish.
#[derive(Debug)]
struct Writer(Arc<Shared>);

impl Drop for Writer {
    fn drop(&mut self) {
        if let Ok(mut pending) = self.0.pending.lock() {
            pending.closed = true;
        }
        self.0.ready.notify_one();
    }
}

impl RequestLog {
    /// Starts the writer thread unless `format` is `Off`. The thread ends,
    /// after a last write, once every `RequestLog` clone is dropped.
    pub(crate) fn start(format: LogFormat) -> Self {
        if format == LogFormat::Off {
            return Self {
                format,
                writer: None,
            };
        }
        let shared = Arc::new(Shared::default());
        let thread_shared = shared.clone();
        let spawned = std::thread::Builder::new()
            .name("apib-mock-log".into())
            .spawn(move || write_batches(&thread_shared));
        if let Err(e) = spawned {
            eprintln!("apib-mock: no request log: cannot start its writer thread: {e}");
            return Self {
                format: LogFormat::Off,
                writer: None,
            };
        }
        Self {
            format,
            writer: Some(Arc::new(Writer(shared))),
        }
    }

    /// Logs one request.
    pub(crate) fn write(&self, line: &RequestLine<'_>) {
        let Some(writer) = &self.writer else {
            return;
        };
        let Ok(mut pending) = writer.0.pending.lock() else {
            return;
        };
        if pending.text.len() >= MAX_PENDING {
            pending.dropped += 1;
            return;
        }
        let first = pending.text.is_empty();
        let out = &mut pending.text;
        match self.format {
            LogFormat::Json => {
                if let Ok(json) = serde_json::to_string(line) {
                    out.push_str(&json);
                    out.push('\n');
                }
            }
            _ => {
                // Pushed piece by piece: `format_args!` machinery cost
                // ~1,000 instructions a line (callgrind), this a tenth.
                out.push_str(line.method);
                out.push(' ');
                out.push_str(line.path);
                out.push(' ');
                push_decimal(out, u64::from(line.status));
                out.push(' ');
                out.push_str(line.transaction);
                out.push(' ');
                push_decimal(out, line.micros);
                out.push_str("µs\n");
            }
        }
        drop(pending);
        // The first line of a batch wakes the writer (one wake-up per
        // batch, not per line).
        if first {
            writer.0.ready.notify_one();
        }
    }

    /// Writes out whatever is buffered (at shutdown).
    pub(crate) fn flush(&self) {
        if let Some(writer) = &self.writer {
            let mut text = String::new();
            let dropped = take(&writer.0, &mut text);
            write_out(&text, dropped);
        }
    }
}

/// Swaps the buffered text into `out` (an empty buffer that keeps its
/// capacity, so neither side grows again every batch) and returns the
/// count of dropped lines, leaving it 0.
fn take(shared: &Shared, out: &mut String) -> u64 {
    match shared.pending.lock() {
        Ok(mut pending) => {
            std::mem::swap(&mut pending.text, out);
            std::mem::take(&mut pending.dropped)
        }
        Err(_) => 0,
    }
}

fn write_out(text: &str, dropped: u64) {
    if !text.is_empty() {
        let mut stdout = std::io::stdout().lock();
        let _ = stdout.write_all(text.as_bytes());
        let _ = stdout.flush();
    }
    if dropped > 0 {
        eprintln!("apib-mock: {dropped} request log lines dropped: stdout is not keeping up");
    }
}

/// The writer thread: sleeps until a line comes (an idle server never
/// wakes it), gives the batch a few milliseconds to fill, writes it, and
/// stops once every `RequestLog` is gone (after a last write).
fn write_batches(shared: &Shared) {
    let mut out = String::with_capacity(64 * 1024);
    loop {
        let closed = {
            let Ok(mut pending) = shared.pending.lock() else {
                return;
            };
            // The check and the wait hold the lock together: a line
            // appended in between cannot be missed.
            while pending.text.is_empty() && pending.dropped == 0 && !pending.closed {
                pending = match shared.ready.wait(pending) {
                    Ok(p) => p,
                    Err(_) => return,
                };
            }
            pending.closed
        };
        if !closed {
            std::thread::sleep(BATCH_WINDOW);
        }
        let dropped = take(shared, &mut out);
        write_out(&out, dropped);
        out.clear();
        if closed {
            return;
        }
    }
}

/// Appends `n` in decimal (`itoa`: two digits per step, one copy).
fn push_decimal(out: &mut String, n: u64) {
    out.push_str(itoa::Buffer::new().format(n));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_past_the_bound_are_dropped_and_counted_not_held() {
        // No writer thread: nothing drains the buffer.
        let shared = Arc::new(Shared::default());
        let log = RequestLog {
            format: LogFormat::Human,
            writer: Some(Arc::new(Writer(shared.clone()))),
        };
        let path = "/x".repeat(500);
        let line = RequestLine {
            method: "GET",
            path: &path,
            status: 200,
            transaction: "T > #1",
            micros: 7,
        };
        let fits = MAX_PENDING / (path.len() + 20) + 1;
        for _ in 0..fits + 100 {
            log.write(&line);
        }
        let mut text = String::new();
        let dropped = take(&shared, &mut text);
        assert!(text.len() >= MAX_PENDING && text.len() < MAX_PENDING + 1100);
        assert!(dropped >= 100, "{dropped}");
        assert!(text.starts_with("GET /x/x"));
        // Dropping the last handle tells the writer to finish.
        drop(log);
        assert!(shared.pending.lock().map(|p| p.closed).unwrap_or(false));
    }

    #[test]
    fn decimals_are_written_like_display() {
        for n in [0, 7, 10, 99, 100, 12345, u64::MAX] {
            let mut out = String::new();
            push_decimal(&mut out, n);
            assert_eq!(out, n.to_string());
        }
    }
}
