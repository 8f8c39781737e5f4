//! Server-sent events for the dashboard (`GET {prefix}/events`): one
//! `request` event per answered request (its journal id, method, target,
//! status, time, what answered) and one `reload` event per reload attempt,
//! so the page updates itself without polling.
//!
//! Nothing is formatted unless a page listens: a request checks one
//! atomic count. Each listener has its own small task between the
//! broadcast channel and its connection's body; a listener that falls
//! behind is told how many events it missed (`lagged`) instead of holding
//! memory, and every listener ends when the server stops.

use std::time::Duration;

use bytes::Bytes;
use serde_json::{Value, json};
use tokio::sync::{broadcast, mpsc, watch};

/// Events kept for a listener that is behind.
const BACKLOG: usize = 1024;
/// A comment line this often keeps proxies and browsers from closing an
/// idle stream.
const KEEPALIVE: Duration = Duration::from_secs(15);

/// The server's event channel.
#[derive(Debug)]
pub(crate) struct Events {
    sender: broadcast::Sender<Bytes>,
    stop: watch::Sender<bool>,
}

impl Events {
    pub(crate) fn new() -> Self {
        Events {
            sender: broadcast::channel(BACKLOG).0,
            stop: watch::channel(false).0,
        }
    }

    /// Whether a page listens (the only cost of events when none does).
    pub(crate) fn listening(&self) -> bool {
        self.sender.receiver_count() > 0
    }

    /// Sends `data` as an event named `kind` to every listener.
    pub(crate) fn publish(&self, kind: &str, data: &Value) {
        if !self.listening() {
            return;
        }
        let text = format!("event: {kind}\ndata: {data}\n\n");
        let _ = self.sender.send(Bytes::from(text));
    }

    /// A new listener: its stream (an answer's body,
    /// `body::AnswerBody::Events`) starts with a `hello` event.
    pub(crate) fn subscribe(&self) -> mpsc::Receiver<Bytes> {
        let mut from = self.sender.subscribe();
        let mut stop = self.stop.subscribe();
        let (to, stream) = mpsc::channel::<Bytes>(64);
        tokio::spawn(async move {
            let hello = format!("retry: 1000\nevent: hello\ndata: {}\n\n", json!({}));
            if to.send(Bytes::from(hello)).await.is_err() {
                return;
            }
            loop {
                let next = tokio::select! {
                    got = from.recv() => got,
                    _ = stop.changed() => return,
                    () = tokio::time::sleep(KEEPALIVE) => Ok(Bytes::from_static(b": keepalive\n\n")),
                };
                let bytes = match next {
                    Ok(bytes) => bytes,
                    Err(broadcast::error::RecvError::Lagged(missed)) => Bytes::from(format!(
                        "event: lagged\ndata: {}\n\n",
                        json!({ "missed": missed })
                    )),
                    Err(broadcast::error::RecvError::Closed) => return,
                };
                // The page went away: its body (and this channel) is gone.
                if to.send(bytes).await.is_err() {
                    return;
                }
            }
        });
        stream
    }

    /// The server stops: every stream ends.
    pub(crate) fn close(&self) {
        let _ = self.stop.send(true);
    }
}
