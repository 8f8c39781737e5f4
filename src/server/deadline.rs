//! The slow-client guard: a connection must finish each request head
//! within the header timeout, counted from the previous answer (or from
//! the connection's start).
//!
//! hyper can enforce this itself (`header_read_timeout`), but it creates,
//! registers and drops a tokio sleep for every request of a keep-alive
//! connection: ~7% of GET throughput in the load benchmark. Here each
//! connection keeps one sleep for its whole life. The deadline moves with
//! two stores per request (the service marks the start and the end of each
//! answer); the sleep stays armed at an earlier deadline and, when it
//! fires, re-arms itself for the current one, so a connection touches
//! tokio's timer wheel about once per timeout period. The IO wrapper fails
//! the connection's reads once the deadline has passed, which makes hyper
//! close it.
//!
//! The clock starts when the service returns its answer, not when hyper
//! has finished writing it: a client reading an answer slower than the
//! whole timeout may be cut off (documented bodies are small; hyper's own
//! timer starts on the next read instead).

use std::future::Future;
use std::io;
use std::pin::Pin;
use std::sync::atomic::{AtomicU64, Ordering};
use std::task::{Context, Poll, Waker};
use std::time::{Duration, Instant};

use hyper::rt::{Read, ReadBufCursor, Write};

/// While a request is being answered, no head is due.
const ANSWERING: u64 = u64::MAX;

/// When a connection's next request head is due; shared by its IO and its
/// service (one task, hence relaxed atomics: plain loads and stores).
#[derive(Debug)]
pub(crate) struct HeadDeadline {
    epoch: Instant,
    /// Nanoseconds after `epoch`, or [`ANSWERING`].
    due: AtomicU64,
}

impl HeadDeadline {
    /// The first head is due `timeout` after now.
    pub(crate) fn new(timeout: Duration) -> Self {
        Self {
            epoch: Instant::now(),
            due: AtomicU64::new(nanos(timeout)),
        }
    }

    /// A head has arrived: nothing is due while it is answered (a slowly
    /// sent body is not timed, as with hyper's own header timeout).
    pub(crate) fn answering(&self) {
        self.due.store(ANSWERING, Ordering::Relaxed);
    }

    /// The answer was made at `at` (now, as the service last read the
    /// clock): the next head is due `timeout` from then (the server's
    /// header timeout, or a shorter one when it is pressed for
    /// connections).
    pub(crate) fn answered(&self, at: Instant, timeout: Duration) {
        let due = nanos(at.saturating_duration_since(self.epoch) + timeout);
        self.due.store(due, Ordering::Relaxed);
    }

    fn due(&self) -> Option<Instant> {
        match self.due.load(Ordering::Relaxed) {
            ANSWERING => None,
            n => Some(self.epoch + Duration::from_nanos(n)),
        }
    }
}

fn nanos(d: Duration) -> u64 {
    u64::try_from(d.as_nanos()).unwrap_or(ANSWERING - 1)
}

/// A connection's IO whose reads fail once a request head is overdue.
pub(crate) struct GuardedIo<T, D> {
    io: T,
    /// Whatever holds the deadline (shared with the service).
    deadline: std::sync::Arc<D>,
    sleep: Pin<Box<tokio::time::Sleep>>,
    /// The waker `sleep` was last polled with: polling again with the same
    /// one before it fires changes nothing.
    registered: Option<Waker>,
}

impl<T, D: AsRef<HeadDeadline>> GuardedIo<T, D> {
    pub(crate) fn new(io: T, deadline: std::sync::Arc<D>) -> Self {
        let first = (*deadline).as_ref().due().unwrap_or_else(Instant::now);
        Self {
            io,
            deadline,
            sleep: Box::pin(tokio::time::sleep_until(first.into())),
            registered: None,
        }
    }

    /// True once the head due at `due` is late. Otherwise the task is
    /// woken when the armed sleep fires.
    fn overdue(&mut self, due: Instant, cx: &mut Context<'_>) -> bool {
        if due < self.sleep.deadline().into_std() {
            self.rearm(due);
        }
        loop {
            if self
                .registered
                .as_ref()
                .is_some_and(|w| w.will_wake(cx.waker()))
                && !self.sleep.is_elapsed()
            {
                return false;
            }
            // Outside tokio's cooperative budget: a budget-exhausted poll
            // returns Pending without registering the waker, and the
            // shortcut above would then wait forever.
            let mut sleep = tokio::task::unconstrained(self.sleep.as_mut());
            if Pin::new(&mut sleep).poll(cx).is_pending() {
                self.registered = Some(cx.waker().clone());
                return false;
            }
            if Instant::now() >= due {
                return true;
            }
            // Fired for a deadline that has moved on since.
            self.rearm(due);
        }
    }

    fn rearm(&mut self, due: Instant) {
        self.sleep.as_mut().reset(due.into());
        self.registered = None;
    }
}

impl<T: Read + Unpin, D: AsRef<HeadDeadline>> Read for GuardedIo<T, D> {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: ReadBufCursor<'_>,
    ) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        if let Some(due) = (*this.deadline).as_ref().due()
            && this.overdue(due, cx)
        {
            return Poll::Ready(Err(io::Error::new(
                io::ErrorKind::TimedOut,
                "request head not received within the header timeout",
            )));
        }
        Pin::new(&mut this.io).poll_read(cx, buf)
    }
}

impl<T: Write + Unpin, D> Write for GuardedIo<T, D> {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.get_mut().io).poll_write(cx, buf)
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.get_mut().io).poll_write_vectored(cx, bufs)
    }

    fn is_write_vectored(&self) -> bool {
        self.io.is_write_vectored()
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().io).poll_flush(cx)
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().io).poll_shutdown(cx)
    }
}
