//! One line per request, written off the request path.
//!
//! Writing to stdout from each request would take the stdout lock and a
//! syscall per request (measurable at tens of thousands of requests a
//! second). Lines go through a channel to one task that buffers them and
//! flushes whenever the channel runs dry: batched under load, immediate
//! when idle.

use std::io::Write;

use serde::Serialize;
use tokio::sync::mpsc;

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
    pub micros: u128,
}

/// Sends request lines to the writer task.
#[derive(Debug, Clone)]
pub(crate) struct RequestLog {
    format: LogFormat,
    tx: Option<mpsc::UnboundedSender<String>>,
}

impl RequestLog {
    /// Starts the writer task (on the current runtime) unless `format` is
    /// `Off`.
    pub(crate) fn start(format: LogFormat) -> Self {
        if format == LogFormat::Off {
            return Self { format, tx: None };
        }
        let (tx, mut rx) = mpsc::unbounded_channel::<String>();
        tokio::spawn(async move {
            let mut out = std::io::BufWriter::with_capacity(64 * 1024, std::io::stdout());
            while let Some(line) = rx.recv().await {
                let _ = out.write_all(line.as_bytes());
                while let Ok(line) = rx.try_recv() {
                    let _ = out.write_all(line.as_bytes());
                }
                let _ = out.flush();
            }
        });
        Self {
            format,
            tx: Some(tx),
        }
    }

    /// Logs one request.
    pub(crate) fn write(&self, line: &RequestLine<'_>) {
        let Some(tx) = &self.tx else {
            return;
        };
        let text = match self.format {
            LogFormat::Json => {
                let mut s = serde_json::to_string(line).unwrap_or_default();
                s.push('\n');
                s
            }
            _ => format!(
                "{} {} {} {} {}µs\n",
                line.method, line.path, line.status, line.transaction, line.micros
            ),
        };
        let _ = tx.send(text);
    }
}
