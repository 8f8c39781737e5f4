//! The accept loop: one hyper HTTP/1.1 connection task per client, a
//! header read timeout against slow clients, graceful shutdown.
//!
//! The server never binds: it takes a bound `std::net::TcpListener`, so the
//! CLI decides the address and tests bind `127.0.0.1:0`.

use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::Duration;

use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper_util::rt::TokioIo;
use hyper_util::server::graceful::GracefulShutdown;
use tokio::net::TcpListener;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

use super::body::AnswerBody;
use super::deadline::{GuardedIo, HeadDeadline};
use super::service::{ServeConfig, State, handle};
use crate::contract::Contract;
use crate::reload::LiveContract;

/// How long in-flight requests get to finish after a shutdown signal.
const DRAIN_TIMEOUT: Duration = Duration::from_secs(5);

/// How long the server must have had no connection, after the last one
/// closed, before `ServeConfig::on_idle` runs.
const IDLE_AFTER: Duration = Duration::from_secs(2);

/// Serves `live` on `listener` until `shutdown` completes, then lets
/// open connections finish (up to a few seconds).
#[cfg(feature = "cli")]
pub async fn serve(
    listener: std::net::TcpListener,
    live: Arc<LiveContract>,
    config: ServeConfig,
    shutdown: impl Future<Output = ()>,
) -> std::io::Result<()> {
    let tls = acceptor(&config)?;
    serve_state(listener, State::new(live, config), tls, shutdown).await
}

/// [`serve`] with the state built by the caller (who keeps a handle on
/// the journal).
pub(crate) async fn serve_state(
    listener: std::net::TcpListener,
    state: Arc<State>,
    tls: Option<Acceptor>,
    shutdown: impl Future<Output = ()>,
) -> std::io::Result<()> {
    listener.set_nonblocking(true)?;
    let listener = TcpListener::from_std(listener)?;
    let mut http = http1::Builder::new();
    // The header timeout is `deadline`'s, not hyper's (see there).
    http.keep_alive(true)
        .header_read_timeout(None::<Duration>)
        // No `max_headers`: hyper's default limit of 100 headers is parsed
        // into stack arrays; any explicit limit (even a larger one) makes
        // it allocate ~10 KB per request for them (~3% of throughput).
        // A `Date` on every answer, as RFC 9110 §6.6.1 asks of an origin
        // server with a clock: hyper formats it once a second and caches
        // it, and leaves a documented `Date` alone.
        .auto_date_header(true)
        // One contiguous write per answer (hyper copies the documented body
        // after the head) instead of a two-part `writev`: +3% requests/s on
        // GET and POST in interleaved A/B runs (14 rounds). Documented
        // bodies are small; the copy costs less than the vectored path.
        .writev(false);
    let graceful = GracefulShutdown::new();
    // The connection limit: a connection holds a permit for its life; at
    // the limit, new ones wait in the listen queue (not accepted, so they
    // take no file descriptor).
    let max_connections = state.config.max_connections.max(1);
    let slots = Arc::new(tokio::sync::Semaphore::new(max_connections));
    let idle = Idle::start(state.config.on_idle, slots.clone(), max_connections);
    let mut accept_errors = AcceptErrors::default();
    // Each reload attempt is an event for the dashboard.
    let reloads = {
        let state = state.clone();
        let mut attempts = state.live.subscribe();
        tokio::spawn(async move {
            while attempts.changed().await.is_ok() {
                state.events.publish("reload", &serde_json::json!({}));
            }
        })
    };
    tokio::pin!(shutdown);
    loop {
        let permit = tokio::select! {
            permit = slots.clone().acquire_owned() => match permit {
                Ok(permit) => permit,
                Err(_) => break,
            },
            () = &mut shutdown => break,
        };
        tokio::select! {
            accepted = listener.accept() => {
                let (stream, _) = match accepted {
                    Ok(pair) => pair,
                    Err(e) => {
                        // Out of file descriptors and the like: keep going,
                        // without spinning.
                        accept_errors.report(&e);
                        tokio::time::sleep(Duration::from_millis(50)).await;
                        continue;
                    }
                };
                let _ = stream.set_nodelay(true);
                let idle = idle.clone();
                idle.accepted();
                state.connections.fetch_add(1, Ordering::Relaxed);
                let open = state.clone();
                let conn_state = Arc::new(Connection {
                    state: state.clone(),
                    deadline: HeadDeadline::new(state.head_timeout()),
                });
                let done = Closed {
                    open,
                    permit: Some(permit),
                    idle,
                };
                // Client resets and timeouts end the connection; they are
                // not server errors. Plain and TLS connections are separate
                // tasks: a plain one's future holds nothing of TLS.
                match &tls {
                    None => {
                        let conn = graceful.watch(serve_io(&http, stream, conn_state));
                        tokio::spawn(async move {
                            let _ = conn.await;
                            drop(done);
                        });
                    }
                    #[cfg(not(feature = "tls"))]
                    Some(never) => match *never {},
                    #[cfg(feature = "tls")]
                    Some(acceptor) => {
                        let acceptor = acceptor.clone();
                        let http = http.clone();
                        let watcher = graceful.watcher();
                        tokio::spawn(async move {
                            // The handshake is due like a request head.
                            let due = conn_state.state.head_timeout();
                            let handshake =
                                tokio::time::timeout(due, acceptor.accept(stream)).await;
                            if let Ok(Ok(stream)) = handshake {
                                let _ = watcher.watch(serve_io(&http, stream, conn_state)).await;
                            }
                            drop(done);
                        });
                    }
                }
            }
            () = &mut shutdown => break,
        }
    }
    drop(listener);
    // Event streams never end by themselves: ended first, so the graceful
    // shutdown does not wait out its timeout on an open dashboard.
    state.events.close();
    tokio::select! {
        () = graceful.shutdown() => {}
        () = tokio::time::sleep(DRAIN_TIMEOUT) => {}
    }
    idle.stop();
    reloads.abort();
    state.log.flush();
    if let Some(sandbox) = &state.sandbox {
        sandbox.flush();
    }
    Ok(())
}

/// Runs `ServeConfig::on_idle` once the server has had no connection for
/// [`IDLE_AFTER`] after the last one closed: one timer per quiet spell,
/// none while the server sits idle.
#[derive(Clone)]
struct Idle(Option<Arc<IdleShared>>);

struct IdleShared {
    /// The last connection closed.
    quiet: tokio::sync::Notify,
    /// Connections accepted so far (one came during the wait: not idle).
    accepted: AtomicU64,
    /// The connection slots; with none open, the accept loop holds one
    /// (for the connection it waits for).
    slots: Arc<tokio::sync::Semaphore>,
    max: usize,
    /// The server has stopped: the task ends.
    stopped: AtomicBool,
}

impl Idle {
    fn start(hook: Option<fn()>, slots: Arc<tokio::sync::Semaphore>, max: usize) -> Self {
        let Some(hook) = hook else {
            return Self(None);
        };
        let shared = Arc::new(IdleShared {
            quiet: tokio::sync::Notify::new(),
            accepted: AtomicU64::new(0),
            slots,
            max,
            stopped: AtomicBool::new(false),
        });
        let task = shared.clone();
        tokio::spawn(async move {
            loop {
                task.quiet.notified().await;
                if task.stopped.load(Ordering::Relaxed) {
                    return;
                }
                let before = task.accepted.load(Ordering::Relaxed);
                tokio::time::sleep(IDLE_AFTER).await;
                if task.stopped.load(Ordering::Relaxed) {
                    return;
                }
                let quiet = task.accepted.load(Ordering::Relaxed) == before
                    && task.slots.available_permits() + 1 >= task.max;
                if quiet {
                    let _ = tokio::task::spawn_blocking(hook).await;
                }
            }
        });
        Self(Some(shared))
    }

    /// The server stopped: the task ends.
    fn stop(&self) {
        if let Some(shared) = &self.0 {
            shared.stopped.store(true, Ordering::Relaxed);
            shared.quiet.notify_one();
        }
    }

    fn accepted(&self) {
        if let Some(shared) = &self.0 {
            shared.accepted.fetch_add(1, Ordering::Relaxed);
        }
    }

    fn closed(&self) {
        if let Some(shared) = &self.0
            && shared.slots.available_permits() + 1 >= shared.max
        {
            shared.quiet.notify_one();
        }
    }
}

/// Failed accepts (out of file descriptors, mostly), said on stderr at
/// most once a second with how many there were, so a flood of them cannot
/// flood the terminal.
#[derive(Default)]
struct AcceptErrors {
    last: Option<std::time::Instant>,
    unsaid: u64,
}

impl AcceptErrors {
    fn report(&mut self, e: &std::io::Error) {
        self.unsaid += 1;
        let now = std::time::Instant::now();
        if self
            .last
            .is_none_or(|last| now.duration_since(last) >= Duration::from_secs(1))
        {
            eprintln!(
                "apib-mock: {} connection{} not accepted: {e}",
                self.unsaid,
                if self.unsaid == 1 { "" } else { "s" }
            );
            self.last = Some(now);
            self.unsaid = 0;
        }
    }
}

/// One connection's requests on `stream` (plain, or TLS after the
/// handshake), served until it ends or the server shuts down.
fn serve_io<S>(
    http: &http1::Builder,
    stream: S,
    conn_state: Arc<Connection>,
) -> impl hyper_util::server::graceful::GracefulConnection + use<S>
where
    S: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin + Send + 'static,
{
    let io = GuardedIo::new(TokioIo::new(stream), conn_state.clone());
    let service = service_fn(move |req| {
        conn_state.deadline.answering();
        let conn = conn_state.clone();
        async move {
            let (res, done) = handle(&conn.state, req).await;
            conn.deadline.answered(done, conn.state.head_timeout());
            // A simulated reset: hyper drops the connection unanswered.
            if res.extensions().get::<super::network::Reset>().is_some() {
                return Err(super::network::Reset);
            }
            let mut res = res;
            Ok(match super::body::take(&mut res) {
                Some(body) => res.map(|_| body),
                None => res.map(AnswerBody::Whole),
            })
        }
    });
    http.serve_connection(io, service)
}

/// A connection's end: its slot goes back, the open count goes down, and
/// the idle watch hears of it (on drop, however the task ends).
struct Closed {
    open: Arc<State>,
    permit: Option<tokio::sync::OwnedSemaphorePermit>,
    idle: Idle,
}

impl Drop for Closed {
    fn drop(&mut self) {
        self.open.connections.fetch_sub(1, Ordering::Relaxed);
        // The slot goes back before the idle watch counts free slots.
        drop(self.permit.take());
        self.idle.closed();
    }
}

/// The TLS acceptor, when the server speaks HTTPS.
#[cfg(feature = "tls")]
pub(crate) type Acceptor = tokio_rustls::TlsAcceptor;
/// Without the `tls` feature there is none.
#[cfg(not(feature = "tls"))]
pub(crate) enum Acceptor {}

/// The acceptor `config` asks for (its files read now, so a bad
/// certificate is an error at start).
pub(crate) fn acceptor(config: &ServeConfig) -> std::io::Result<Option<Acceptor>> {
    #[cfg(feature = "tls")]
    if let Some(identity) = &config.tls {
        return super::tls::acceptor(identity).map(Some);
    }
    let _ = config;
    Ok(None)
}

/// What one connection's requests share: the server's state and the
/// connection's request head deadline.
struct Connection {
    state: Arc<State>,
    deadline: HeadDeadline,
}

impl AsRef<HeadDeadline> for Connection {
    fn as_ref(&self) -> &HeadDeadline {
        &self.deadline
    }
}

/// A server running on the current tokio runtime; it stops when dropped.
#[derive(Debug)]
pub struct RunningServer {
    addr: SocketAddr,
    /// `http`, or `https` with a TLS identity.
    scheme: &'static str,
    state: Arc<State>,
    stop: Option<oneshot::Sender<()>>,
    task: Option<JoinHandle<std::io::Result<()>>>,
}

impl RunningServer {
    /// Starts serving a fixed `contract` on `listener` in a background
    /// task.
    pub fn start(
        listener: std::net::TcpListener,
        contract: Arc<Contract>,
        config: ServeConfig,
    ) -> std::io::Result<Self> {
        Self::start_live(listener, LiveContract::fixed(contract), config)
    }

    /// Starts serving `live` (which reloads may swap) in a background
    /// task.
    pub fn start_live(
        listener: std::net::TcpListener,
        live: Arc<LiveContract>,
        config: ServeConfig,
    ) -> std::io::Result<Self> {
        let addr = listener.local_addr()?;
        let tls = acceptor(&config)?;
        let scheme = if tls.is_some() { "https" } else { "http" };
        let (stop, stopped) = oneshot::channel::<()>();
        let state = State::new(live, config);
        let task = tokio::spawn(serve_state(listener, state.clone(), tls, async {
            let _ = stopped.await;
        }));
        Ok(Self {
            addr,
            scheme,
            state,
            stop: Some(stop),
            task: Some(task),
        })
    }

    /// The state requests share (journal, live contract).
    pub(crate) fn state(&self) -> &Arc<State> {
        &self.state
    }

    /// The bound address.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// `http://ADDR` (or `https://`) + `path`.
    pub fn url(&self, path: &str) -> String {
        format!("{}://{}{}", self.scheme, self.addr, path)
    }

    /// Stops accepting, waits for open requests to finish.
    pub async fn shutdown(mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(task) = self.task.take() {
            let _ = task.await;
        }
    }
}

impl Drop for RunningServer {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
    }
}
