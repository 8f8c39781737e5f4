//! One line per request, written off the request path.
//!
//! Writing to stdout from each request costs a `write` syscall per request;
//! sending each line to a writer task costs a wake-up per request. Both
//! showed up in the load benchmark (the log took 20% of throughput). Instead
//! a request appends its line to a shared buffer (a short, uncontended
//! lock) and one task writes the buffer out every few milliseconds, so a
//! person watching still sees each line at once.

use std::io::Write as _;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde::Serialize;

/// How request lines are written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, clap::ValueEnum)]
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

/// How often buffered lines are written out.
const FLUSH_EVERY: Duration = Duration::from_millis(10);

/// Buffers request lines for the writer task.
#[derive(Debug, Clone)]
pub(crate) struct RequestLog {
    format: LogFormat,
    buffer: Option<Arc<Mutex<String>>>,
}

impl RequestLog {
    /// Starts the writer task (on the current runtime) unless `format` is
    /// `Off`. The task ends, after a last write, once every `RequestLog`
    /// clone is dropped.
    pub(crate) fn start(format: LogFormat) -> Self {
        if format == LogFormat::Off {
            return Self {
                format,
                buffer: None,
            };
        }
        let buffer = Arc::new(Mutex::new(String::with_capacity(64 * 1024)));
        let shared = Arc::downgrade(&buffer);
        tokio::spawn(async move {
            let mut ticker = tokio::time::interval(FLUSH_EVERY);
            ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            let mut out = String::with_capacity(64 * 1024);
            loop {
                ticker.tick().await;
                let Some(buffer) = shared.upgrade() else {
                    break;
                };
                if let Ok(mut pending) = buffer.lock() {
                    std::mem::swap(&mut *pending, &mut out);
                }
                drop(buffer);
                if !out.is_empty() {
                    let mut stdout = std::io::stdout().lock();
                    let _ = stdout.write_all(out.as_bytes());
                    let _ = stdout.flush();
                    out.clear();
                }
            }
        });
        Self {
            format,
            buffer: Some(buffer),
        }
    }

    /// Logs one request.
    pub(crate) fn write(&self, line: &RequestLine<'_>) {
        let Some(buffer) = &self.buffer else {
            return;
        };
        let Ok(mut out) = buffer.lock() else {
            return;
        };
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
                push_decimal(&mut out, u64::from(line.status));
                out.push(' ');
                out.push_str(line.transaction);
                out.push(' ');
                push_decimal(&mut out, line.micros);
                out.push_str("µs\n");
            }
        }
    }

    /// Writes out whatever is buffered (at shutdown).
    pub(crate) fn flush(&self) {
        if let Some(buffer) = &self.buffer
            && let Ok(mut pending) = buffer.lock()
        {
            let mut stdout = std::io::stdout().lock();
            let _ = stdout.write_all(pending.as_bytes());
            let _ = stdout.flush();
            pending.clear();
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
    fn decimals_are_written_like_display() {
        for n in [0, 7, 10, 99, 100, 12345, u64::MAX] {
            let mut out = String::new();
            push_decimal(&mut out, n);
            assert_eq!(out, n.to_string());
        }
    }
}
