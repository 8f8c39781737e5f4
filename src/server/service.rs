//! The request handler: hyper request → `RecordedRequest` → matching →
//! documented response (or a problem). Callable without a socket.

use std::future::Future as _;
use std::pin::Pin;
use std::sync::Arc;
use std::task::Poll;
use std::time::{Duration, Instant};

use bytes::Bytes;
use http_body_util::Full;
use hyper::body::Body;
use hyper::header::{self, HeaderName, HeaderValue};
use hyper::{Method, Request, Response};
use serde_json::json;

use super::admin;
use super::cors;
use super::journal::{Journal, Record, Seen};
use super::limits::{BodyBudget, Held};
use super::log::{RequestLine, RequestLog};
use super::network::{Asked, Fault, Network, Reset};
use super::problem::Problem;
use crate::contract::{Contract, ExpectedBody};
use crate::matching::{
    BodyAs, MatchOutcome, RecordedRequest, RequestError, RequestHeaders, allowed_methods, select,
};
use crate::reload::LiveContract;
use crate::validate::Violation;

const PREFERENCE_APPLIED: HeaderName = HeaderName::from_static("preference-applied");

/// Server settings that affect answers.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct ServeConfig {
    /// Add CORS headers and answer preflights (default on).
    pub cors: bool,
    /// Largest request body accepted, in bytes (413 above).
    pub max_body: usize,
    /// How long a client may take to send its request headers.
    pub header_read_timeout: std::time::Duration,
    /// Request log format.
    pub log: super::log::LogFormat,
    /// Where the admin API lives (`None`: no admin API).
    pub admin_prefix: Option<String>,
    /// Requests the journal keeps (0: no journal).
    pub journal_size: usize,
    /// Bytes the journal keeps, all entries together (the oldest go
    /// first); each entry's headers, target and body are cut as well.
    pub journal_bytes: usize,
    /// Show credentials (`Authorization`, `Cookie`, `*-Key`, `*-Token`,
    /// `*Secret*` headers) in the admin API's journal instead of
    /// `[redacted]`.
    pub journal_secrets: bool,
    /// The admin API answers only requests with `Authorization: Bearer`
    /// this token (needed when the server listens beyond loopback).
    pub admin_token: Option<String>,
    /// Connections served at once; more wait in the listen queue.
    pub max_connections: usize,
    /// Bytes of request bodies held in memory at once, all requests
    /// together; a body past it is answered `503` with `Retry-After`.
    pub body_budget: usize,
    /// Time a client may take to send a request body once its headers
    /// are in (plus one second per MiB declared); `408` after it.
    pub body_timeout: std::time::Duration,
    /// Called (on a blocking thread) once the server has had no
    /// connection for a couple of seconds after some traffic: the binary
    /// gives its allocator's free memory back to the system there.
    pub on_idle: Option<fn()>,
    /// Simulated network: delays, chaos (default: none).
    pub network: super::network::NetworkConfig,
    /// Serve HTTPS with this certificate and key (PEM).
    #[cfg(feature = "tls")]
    pub tls: Option<super::tls::TlsIdentity>,
    /// Keep state for the contract's collections (`serve --sandbox`);
    /// `None`: every answer is a documented example (the default).
    pub sandbox: Option<super::sandbox::SandboxConfig>,
    /// Send what the contract does not document (or everything) to a real
    /// backend (`serve --proxy`).
    pub proxy: Option<super::proxy::ProxyConfig>,
}

impl Default for ServeConfig {
    fn default() -> Self {
        Self {
            cors: true,
            max_body: 10 * 1024 * 1024,
            header_read_timeout: std::time::Duration::from_secs(10),
            log: super::log::LogFormat::Off,
            admin_prefix: Some(super::admin::DEFAULT_PREFIX.to_string()),
            journal_size: 1000,
            journal_bytes: 32 << 20,
            journal_secrets: false,
            admin_token: None,
            max_connections: super::limits::default_max_connections(),
            body_budget: 256 << 20,
            body_timeout: std::time::Duration::from_secs(10),
            on_idle: None,
            network: super::network::NetworkConfig::default(),
            #[cfg(feature = "tls")]
            tls: None,
            sandbox: None,
            proxy: None,
        }
    }
}

/// What every request needs: the contract and the settings.
#[derive(Debug)]
pub(crate) struct State {
    /// The contract, swapped by reloads; each request answers from the
    /// snapshot it took when it started.
    pub live: Arc<LiveContract>,
    pub config: ServeConfig,
    pub log: RequestLog,
    /// The last requests, for the admin API; survives reloads.
    pub journal: Journal,
    /// The bytes of request bodies held now, against `body_budget`.
    pub budget: BodyBudget,
    /// Connections open now.
    pub connections: std::sync::atomic::AtomicUsize,
    /// The simulated network's live settings.
    pub network: Network,
    /// The sandbox's state, with `--sandbox`.
    pub sandbox: Option<Arc<super::sandbox::Sandbox>>,
    /// Server-sent events for the dashboard.
    pub events: super::events::Events,
    /// The backend, with `--proxy`.
    pub proxy: Option<super::proxy::Proxy>,
}

impl State {
    pub(crate) fn new(live: Arc<LiveContract>, config: ServeConfig) -> Arc<Self> {
        let sandbox = config.sandbox.clone().map(|c| {
            let sandbox = Arc::new(super::sandbox::Sandbox::new(c));
            // Reloads re-seed the collections whose shape they change, and
            // say so on the reload line.
            // The state file's entities, checked against the contract now.
            for note in sandbox.reloaded(&live.contract()) {
                eprintln!("apib-mock: {note}");
            }
            let weak = Arc::downgrade(&sandbox);
            live.observe(Box::new(move |contract| {
                weak.upgrade()
                    .map(|s| s.reloaded(contract))
                    .unwrap_or_default()
            }));
            sandbox
        });
        Arc::new(State {
            sandbox,
            events: super::events::Events::new(),
            // Checked by the caller (`serve` reads the certificate before
            // it starts); one that cannot be read now means no proxy, said.
            proxy: config.proxy.clone().and_then(|p| {
                super::proxy::Proxy::new(p)
                    .map_err(|e| eprintln!("apib-mock: the proxy cannot start: {e}"))
                    .ok()
            }),
            live,
            log: RequestLog::start(config.log),
            journal: Journal::new(config.journal_size, config.journal_bytes),
            budget: BodyBudget::new(config.body_budget),
            connections: std::sync::atomic::AtomicUsize::new(0),
            network: Network::new(config.network.clone()),
            config,
        })
    }
}

/// The header and body timeouts while the server is pressed for
/// connections (see [`State::pressed`]).
const PRESSED_TIMEOUT: Duration = Duration::from_secs(1);

impl State {
    /// More than three quarters of `max_connections` are open: the
    /// connection table is filling up (slow clients holding connections,
    /// most likely), so a client gets a second for a head, and a body must
    /// keep coming at a MiB a second after its first second, until
    /// connections are back under the mark. Slow attackers are then cut
    /// within seconds and their slots go to other clients.
    pub(crate) fn pressed(&self) -> bool {
        self.connections.load(std::sync::atomic::Ordering::Relaxed) * 4
            > self.config.max_connections * 3
    }

    /// The time a connection gets for its next request head.
    pub(crate) fn head_timeout(&self) -> Duration {
        if self.pressed() {
            self.config.header_read_timeout.min(PRESSED_TIMEOUT)
        } else {
            self.config.header_read_timeout
        }
    }
}

/// Handles one request. Never fails: every problem becomes a response.
/// Also returns when the answer was made (the clock read the log's
/// duration took, which the connection's next head deadline counts from).
///
/// The body is read first (the only wait); everything after runs without
/// yielding, on a contract snapshot that costs no reference count
/// (`arc_swap` guard). The journal copies the request once the answer is
/// made.
pub(crate) async fn handle<B>(state: &State, req: Request<B>) -> (Response<Full<Bytes>>, Instant)
where
    B: Body<Data = Bytes> + Send + 'static,
    B::Error: Into<Box<dyn std::error::Error + Send + Sync>>,
{
    let started = Instant::now();
    let (parts, body) = req.into_parts();
    let hyper::http::request::Parts {
        method,
        uri,
        headers,
        ..
    } = parts;
    let found = RequestHeaders::new(&headers);
    let head = Head {
        method: &method,
        uri: &uri,
        // Cloned (a reference count) only when a browser sent one.
        origin: found.origin.filter(|_| state.config.cors).cloned(),
    };

    // The mock's own API, under a prefix no documented route uses.
    if let Some(prefix) = &state.config.admin_prefix
        && let Some(rest) = uri.path().strip_prefix(prefix.as_str())
        && (rest.is_empty() || rest.starts_with('/'))
    {
        let contract = state.live.contract();
        // Only `PUT settings` has a body worth reading.
        let sent = if method == Method::PUT {
            read_body(state, body, started)
                .await
                .map(|(bytes, _)| bytes)
                .unwrap_or_default()
        } else {
            Bytes::new()
        };
        // The page's own files hold no data; the event stream may carry
        // the token in its query (`EventSource` sends no headers).
        let token = state
            .config
            .admin_token
            .as_deref()
            .filter(|_| !admin::is_page(rest))
            .filter(|t| {
                !admin::token_in_query(rest, uri.query()).is_some_and(|q| admin::is_token(&q, t))
            });
        let res = admin::refusal(token, &headers)
            .unwrap_or_else(|| admin::answer(state, &contract, &method, rest, uri.query(), &sent));
        return finish(state, &contract, (res, Answer::Admin), &head, started, None);
    }

    // `--proxy` and a request the contract has no route for: its body
    // goes to the backend as it comes (unless recording, which keeps it).
    if let Some(proxy) = &state.proxy {
        // A preflight from a page of this machine (the dev server) for a
        // route the backend serves: the mock allows what is asked, so a
        // backend without CORS still works behind it. Other sites' go to
        // the backend, which decides.
        if state.config.cors
            && method == Method::OPTIONS
            && found.origin.is_some_and(admin::local_origin)
            && let Some(asked) = headers
                .get(header::ACCESS_CONTROL_REQUEST_METHOD)
                .and_then(|m| Method::from_bytes(m.as_bytes()).ok())
            && !has_route(&state.live.guard(), &Method::OPTIONS, uri.path())
        {
            let res = cors::preflight(
                found.origin,
                &[asked],
                headers.get(header::ACCESS_CONTROL_REQUEST_HEADERS),
            );
            let contract = state.live.guard();
            return finish(
                state,
                &contract,
                (res, Answer::Preflight),
                &head,
                started,
                None,
            );
        }
        let asked = Asked::of(found.prefer);
        let (res, done) =
            if proxy.recorder.is_none() && !has_route(&state.live.guard(), &method, uri.path()) {
                Box::pin(stream_to_backend(
                    state, proxy, headers, body, &head, started,
                ))
                .await
            } else {
                let body = read_body(state, body, started).await;
                Box::pin(through_proxy(state, proxy, headers, body, &head, started)).await
            };
        // The simulated network applies to the backend's answers too
        // (chaos aside: it picks among documented answers).
        let shaping = state.network.shape(asked, &method, uri.path(), None);
        if shaping.is_nothing() {
            return (res, done);
        }
        let mut res = res;
        if shaping.fault.is_some() || shaping.throttle.is_some() {
            super::proxy::gather(&mut res, state.config.max_body).await;
        }
        return Box::pin(simulate(res, done, shaping)).await;
    }
    let body = read_body(state, body, started).await;
    // Nothing simulated (the default): the plain path, with no trace of
    // the network's machinery.
    if found.prefer.is_none() && !state.network.is_active() {
        let contract = state.live.guard();
        let (answered, bytes) = respond(state, &contract, &method, &uri, found, body);
        let seen = state.journal.enabled().then(|| Seen {
            headers,
            body: bytes,
        });
        return finish(state, &contract, answered, &head, started, seen);
    }
    let asked = Asked::of(found.prefer);
    let (res, done, shaping) = {
        let contract = state.live.guard();
        let (answered, bytes) = respond(state, &contract, &method, &uri, found, body);
        let seen = state.journal.enabled().then(|| Seen {
            headers,
            body: bytes,
        });
        let template = answered.1.transaction().map(|id| {
            contract.endpoints()[contract.transaction(id).endpoint]
                .template
                .as_str()
        });
        let shaping = state.network.shape(asked, &method, uri.path(), template);
        let answered = if shaping.chaos {
            chaos(state, &contract, answered, method == Method::HEAD)
        } else {
            answered
        };
        let (res, done) = finish(state, &contract, answered, &head, started, seen);
        (res, done, shaping)
    };
    if shaping.is_nothing() {
        return (res, done);
    }
    // Boxed: the request future stays its size when nothing is simulated.
    Box::pin(simulate(res, done, shaping)).await
}

/// The answer to a request whose body was read (or refused), and the
/// body for the journal.
fn respond(
    state: &State,
    contract: &Contract,
    method: &Method,
    uri: &hyper::Uri,
    found: RequestHeaders<'_>,
    body: Result<(Bytes, Held<'_>), BodyRefused>,
) -> ((Response<Full<Bytes>>, Answer), Bytes) {
    match body {
        Ok((bytes, _held)) => (answer(state, contract, method, uri, found, &bytes), bytes),
        Err(refused) => (refused.answer(state), Bytes::new()),
    }
}

/// Whether the contract documents `method` on `path` (`HEAD` where it
/// documents `GET`); a path that cannot be decoded counts as documented
/// (the mock answers its `400`).
fn has_route(contract: &Contract, method: &Method, path: &str) -> bool {
    let Some(decoded) = crate::contract::path_pattern::DecodedPath::new(path) else {
        return true;
    };
    let allowed = allowed_methods(contract, &decoded.segments());
    allowed.contains(method) || (*method == Method::HEAD && allowed.contains(&Method::GET))
}

/// A request with no documented route, straight to the backend: its body
/// streams there as it arrives (cut past `--max-body`; a declared length
/// past it is refused at once), the answer streams back. The journal
/// keeps its head and the first bytes of its body that passed.
async fn stream_to_backend<B>(
    state: &State,
    proxy: &super::proxy::Proxy,
    headers: hyper::HeaderMap,
    body: B,
    head: &Head<'_>,
    started: Instant,
) -> (Response<Full<Bytes>>, Instant)
where
    B: Body<Data = Bytes> + Send + 'static,
    B::Error: Into<Box<dyn std::error::Error + Send + Sync>>,
{
    let contract = state.live.contract();
    if body
        .size_hint()
        .exact()
        .is_some_and(|n| n > state.config.max_body as u64)
    {
        let seen = Some(Seen {
            headers,
            body: Bytes::new(),
        });
        return finish(state, &contract, too_large(state), head, started, seen);
    }
    let target = head.uri.path_and_query().map_or("/", |p| p.as_str());
    let (body, kept) = super::proxy::streamed(body, state.config.max_body);
    let forwarded = proxy.forward(head.method, target, &headers, body).await;
    // The first bytes of the body, as far as it was sent by now (a
    // backend answers once it has read it, mostly).
    let kept = kept
        .lock()
        .map(|k| Bytes::from(k.clone()))
        .unwrap_or_default();
    let seen = Some(Seen {
        headers,
        body: kept,
    });
    let answer = match forwarded {
        Ok(res) => (
            super::proxy::answer(super::proxy::Backend::Streamed(res)),
            Answer::Proxied {
                violations: Vec::new(),
            },
        ),
        Err(failure) => proxy_failure(proxy, failure),
    };
    finish(state, &contract, answer, head, started, seen)
}

/// The problem a backend's failure is answered with.
fn proxy_failure(
    proxy: &super::proxy::Proxy,
    failure: super::proxy::Failure,
) -> (Response<Full<Bytes>>, Answer) {
    match failure {
        super::proxy::Failure::TimedOut => miss(
            Problem::ProxyTimeout,
            format!("{} did not answer in time", proxy.config.target),
            json!({ "backend": proxy.config.target }),
        ),
        super::proxy::Failure::Unreachable(why) => miss(
            Problem::ProxyFailed,
            format!("{} gave no answer: {why}", proxy.config.target),
            json!({ "backend": proxy.config.target }),
        ),
    }
}

/// `--proxy`: what the contract does not document (a path or method it
/// has no route for), or with `--proxy-all` every documented request,
/// goes to the backend; the rest is answered as always. With `--strict`
/// the backend's answers to documented requests are checked.
async fn through_proxy(
    state: &State,
    proxy: &super::proxy::Proxy,
    headers: hyper::HeaderMap,
    body: Result<(Bytes, Held<'_>), BodyRefused>,
    head: &Head<'_>,
    started: Instant,
) -> (Response<Full<Bytes>>, Instant) {
    use super::proxy::Backend;
    let contract = state.live.contract();
    let (answered, bytes) = respond(
        state,
        &contract,
        head.method,
        head.uri,
        RequestHeaders::new(&headers),
        body,
    );
    let documented = match &answered.1 {
        Answer::Problem(Problem::NoRoute | Problem::MethodNotAllowed) => None,
        Answer::Documented(id) if proxy.config.all => Some(*id),
        _ => {
            let seen = state.journal.enabled().then(|| Seen {
                headers,
                body: bytes,
            });
            return finish(state, &contract, answered, head, started, seen);
        }
    };
    let target = head.uri.path_and_query().map_or("/", |p| p.as_str());
    let forwarded = proxy
        .forward(
            head.method,
            target,
            &headers,
            super::proxy::whole(bytes.clone()),
        )
        .await;
    // Kept for the recorder too (`finish` drops it without a journal).
    let seen = Some(Seen {
        headers,
        body: bytes,
    });
    let res = match forwarded {
        Err(failure) => {
            let answer = proxy_failure(proxy, failure);
            return finish(state, &contract, answer, head, started, seen);
        }
        Ok(res) => res,
    };
    // A documented request's answer is checked against the contract in
    // strict mode: read whole (bounded), then sent.
    let (backend, violations) = match documented {
        Some(id) if contract.is_strict() => {
            let endpoint = contract.transaction(id).endpoint;
            let status = res.status().as_u16();
            let content_type = res
                .headers()
                .get(header::CONTENT_TYPE)
                .and_then(|v| v.to_str().ok())
                .map(str::to_string);
            match super::proxy::read_whole(res, state.config.max_body).await {
                Ok((parts, body)) => {
                    let found = crate::validate::check_response(
                        &contract,
                        endpoint,
                        status,
                        content_type.as_deref(),
                        &body,
                    );
                    (Backend::Whole(parts, body), found)
                }
                Err(why) => {
                    let answer = miss(Problem::ProxyFailed, why, json!({}));
                    return finish(state, &contract, answer, head, started, seen);
                }
            }
        }
        // Recording: the answer is kept (read whole, bounded) and sent.
        None if proxy.recorder.is_some() => {
            match super::proxy::read_whole(res, state.config.max_body).await {
                Ok((parts, body)) => {
                    if let (Some(recorder), Some(seen)) = (&proxy.recorder, &seen) {
                        recorder.record(
                            head.method,
                            target,
                            &seen.headers,
                            &seen.body,
                            &parts,
                            &body,
                        );
                    }
                    (Backend::Whole(parts, body), Vec::new())
                }
                Err(why) => {
                    let answer = miss(Problem::ProxyFailed, why, json!({}));
                    return finish(state, &contract, answer, head, started, seen);
                }
            }
        }
        _ => (Backend::Streamed(res), Vec::new()),
    };
    let mut res = super::proxy::answer(backend);
    if !violations.is_empty()
        && let Some(v) = violations_header(&violations)
    {
        res.headers_mut().insert(VIOLATIONS_HEADER, v);
    }
    let answer = Answer::Proxied { violations };
    finish(state, &contract, (res, answer), head, started, seen)
}

/// Chaos picked this request: one of its action's documented error
/// answers (4xx/5xx) when it has some, else a reset.
fn chaos(
    state: &State,
    contract: &Contract,
    (mut res, answer): (Response<Full<Bytes>>, Answer),
    head: bool,
) -> (Response<Full<Bytes>>, Answer) {
    if let Some(id) = answer.transaction() {
        let endpoint = &contract.endpoints()[contract.transaction(id).endpoint];
        let errors: Vec<usize> = endpoint
            .transactions
            .iter()
            .copied()
            .filter(|&t| contract.transaction(t).response.status.as_u16() >= 400)
            .collect();
        if !errors.is_empty() {
            let pick = errors[state.network.pick(errors.len())];
            let tx = contract.transaction(pick);
            return (
                documented_response(tx, head, None),
                Answer::Documented(pick),
            );
        }
    }
    res.extensions_mut().insert(Reset);
    (res, answer)
}

/// The longest a `timeout` fault holds a connection before dropping it.
const FAULT_TIMEOUT: Duration = Duration::from_secs(60);

/// A delay (a timer on this request's task), then the fault asked for.
async fn simulate(
    mut res: Response<Full<Bytes>>,
    done: Instant,
    shaping: super::network::Shaping,
) -> (Response<Full<Bytes>>, Instant) {
    if let Some(delay) = shaping.delay {
        tokio::time::sleep(delay).await;
    }
    match shaping.fault {
        None => {}
        Some(Fault::Reset) => {
            res.extensions_mut().insert(Reset);
        }
        Some(Fault::Timeout) => {
            tokio::time::sleep(FAULT_TIMEOUT).await;
            res.extensions_mut().insert(Reset);
        }
        Some(Fault::Empty) => {
            *res.body_mut() = Full::new(Bytes::new());
        }
        Some(Fault::Malformed) => {
            let body = res.body().clone();
            let whole = http_body_util::BodyExt::collect(body)
                .await
                .map(|c| c.to_bytes())
                .unwrap_or_default();
            *res.body_mut() = Full::new(whole.slice(..whole.len() / 2));
        }
    }
    // The connection sends the body in slices (see `network::Dribble`).
    if let Some(rate) = shaping.throttle {
        let body = std::mem::take(res.body_mut());
        let body = http_body_util::BodyExt::collect(body)
            .await
            .map(|c| c.to_bytes())
            .unwrap_or_default();
        if !body.is_empty() {
            super::body::replace(
                &mut res,
                super::body::AnswerBody::Dribbled(super::network::Dribble::new(body, rate)),
            );
        }
    }
    (res, done)
}

/// Why a request body was not read whole.
#[derive(Debug)]
enum BodyRefused {
    /// Past `--max-body`.
    TooLarge,
    /// The budget for bodies held in memory is spent.
    Overloaded,
    /// Not all there by the body deadline.
    TimedOut,
    /// Broken framing (a malformed chunk), or the client went away.
    Malformed(String),
}

impl BodyRefused {
    fn answer(&self, state: &State) -> (Response<Full<Bytes>>, Answer) {
        match self {
            BodyRefused::TooLarge => too_large(state),
            BodyRefused::Overloaded => miss(
                Problem::Overloaded,
                format!(
                    "{} bytes of request bodies are held already (--body-budget)",
                    state.config.body_budget
                ),
                json!({ "budget": state.config.body_budget }),
            ),
            BodyRefused::TimedOut => miss(
                Problem::BodyTimeout,
                format!(
                    "the body did not arrive within {:?} (--body-timeout, plus a second per MiB)",
                    state.config.body_timeout
                ),
                json!({}),
            ),
            BodyRefused::Malformed(why) => miss(
                Problem::BadRequest,
                format!("the request body cannot be read: {why}"),
                json!({}),
            ),
        }
    }
}

/// The time a body may take past `--body-timeout`: a second per MiB.
fn body_allowance(bytes: u64) -> Duration {
    Duration::from_secs(bytes >> 20)
}

/// The whole body, held against the body budget (the `Held` gives its
/// bytes back when dropped), or why not.
///
/// A body of known length (`Content-Length`) is refused before it is read
/// when too large; every body is taken from the budget as its bytes come. The deadline
/// costs a timer only when the body is not already there: most bodies
/// come in the same read as the head, and their first poll returns them.
/// Most bodies are one frame (or none): those are returned as they are,
/// without joining frames.
async fn read_body<B>(
    state: &State,
    body: B,
    started: Instant,
) -> Result<(Bytes, Held<'_>), BodyRefused>
where
    B: Body<Data = Bytes>,
    B::Error: Into<Box<dyn std::error::Error + Send + Sync>>,
{
    let mut held = state.budget.hold();
    if body.is_end_stream() {
        return Ok((Bytes::new(), held));
    }
    let max = state.config.max_body;
    let declared = body.size_hint().exact();
    if declared.is_some_and(|n| n > max as u64) {
        return Err(BodyRefused::TooLarge);
    }
    // Pressed for connections: a short timeout, and time allowed for the
    // bytes that came rather than for those declared (a minimum rate).
    let (timeout, by_declared) = if state.pressed() {
        (state.config.body_timeout.min(PRESSED_TIMEOUT), false)
    } else {
        (state.config.body_timeout, declared.is_some())
    };
    let mut deadline =
        started + timeout + body_allowance(declared.filter(|_| by_declared).unwrap_or(0));
    let mut body = std::pin::pin!(body);
    let mut sleep: Option<Pin<Box<tokio::time::Sleep>>> = None;
    let mut whole = Bytes::new();
    let mut more: Option<bytes::BytesMut> = None;
    let mut total = 0usize;
    loop {
        let frame = std::future::poll_fn(|cx| match body.as_mut().poll_frame(cx) {
            Poll::Ready(frame) => Poll::Ready(Ok(frame)),
            Poll::Pending => {
                let timer = sleep
                    .get_or_insert_with(|| Box::pin(tokio::time::sleep_until(deadline.into())));
                match timer.as_mut().poll(cx) {
                    Poll::Ready(()) => Poll::Ready(Err(BodyRefused::TimedOut)),
                    Poll::Pending => Poll::Pending,
                }
            }
        })
        .await?;
        let Some(frame) = frame else {
            break;
        };
        let frame = frame.map_err(|e| BodyRefused::Malformed(e.into().to_string()))?;
        let Ok(data) = frame.into_data() else {
            continue; // trailers
        };
        total = total.saturating_add(data.len());
        if total > max {
            return Err(BodyRefused::TooLarge);
        }
        // The bytes held, as they come: a client that declares a body and
        // sends nothing holds none of the budget.
        if !state.budget.grow(&mut held, data.len()) {
            return Err(BodyRefused::Overloaded);
        }
        if !by_declared {
            deadline = started + timeout + body_allowance(total as u64);
            if let Some(timer) = &mut sleep {
                timer.as_mut().reset(deadline.into());
            }
        }
        match &mut more {
            None if whole.is_empty() => whole = data,
            None => {
                let mut joined = bytes::BytesMut::with_capacity(whole.len() + data.len());
                joined.extend_from_slice(&whole);
                joined.extend_from_slice(&data);
                more = Some(joined);
            }
            Some(joined) => joined.extend_from_slice(&data),
        }
        // A body of known length is over with its last byte: asking for
        // its end would poll hyper's body channel once more (and wait for
        // hyper to close it, if it has not yet).
        if body.is_end_stream() {
            break;
        }
    }
    Ok((more.map_or(whole, bytes::BytesMut::freeze), held))
}

/// What the log, CORS and the journal need of a request once it is
/// answered.
struct Head<'r> {
    method: &'r Method,
    uri: &'r hyper::Uri,
    origin: Option<HeaderValue>,
}

/// CORS headers, coverage count, log line and journal entry of an answer;
/// the answer and when it was made.
fn finish(
    state: &State,
    contract: &Contract,
    (mut res, answer): (Response<Full<Bytes>>, Answer),
    head: &Head<'_>,
    started: Instant,
    seen: Option<Seen>,
) -> (Response<Full<Bytes>>, Instant) {
    let documented = answer.transaction().map(|id| contract.transaction(id));
    if let Some(tx) = documented {
        tx.add_served(1);
    }
    // A backend's answer (`--proxy`) is real data, maybe behind the
    // user's cookies: only pages of this machine (the dev server) get the
    // mock's CORS for it; any other site gets what the backend allows.
    if let Some(origin) = &head.origin
        && !matches!(answer, Answer::Admin)
        && (!matches!(answer, Answer::Proxied { .. }) || admin::local_origin(origin))
        && !res
            .headers()
            .contains_key(header::ACCESS_CONTROL_ALLOW_ORIGIN)
    {
        let expose = documented.and_then(|tx| tx.response.expose_headers.as_ref());
        cors::decorate(res.headers_mut(), origin, expose);
    }
    let done = Instant::now();
    let micros =
        u64::try_from(done.saturating_duration_since(started).as_micros()).unwrap_or(u64::MAX);
    let uri = head.uri;
    let target = uri.path_and_query().map_or(uri.path(), |p| p.as_str());
    state.log.write(&RequestLine {
        method: head.method.as_str(),
        // The admin API's query may hold its token (`events?token=`).
        path: if matches!(answer, Answer::Admin) {
            uri.path()
        } else {
            target
        },
        status: res.status().as_u16(),
        transaction: documented.map_or(answer.slug(), |tx| tx.label.as_str()),
        micros,
    });
    if state.journal.enabled() && !matches!(answer, Answer::Admin) {
        let problem = answer.slug();
        let sandbox = state
            .sandbox
            .as_ref()
            .and_then(|_| res.headers().get(super::sandbox::STATE_HEADER))
            .and_then(|v| v.to_str().ok());
        let violations = match answer {
            Answer::Violation { violations, .. } | Answer::Proxied { violations } => violations,
            _ => Vec::new(),
        };
        let id = state.journal.record(Record {
            at: started,
            method: head.method,
            target,
            seen,
            status: res.status().as_u16(),
            transaction: documented.map(|tx| tx.label.as_str()),
            problem,
            violations,
            micros,
            sandbox,
        });
        if state.events.listening() {
            state.events.publish(
                "request",
                &json!({
                    "id": id,
                    "method": head.method.as_str(),
                    "target": target,
                    "status": res.status().as_u16(),
                    "micros": micros,
                    "transaction": documented.map(|tx| tx.label.as_str()),
                    "problem": (!problem.is_empty()).then_some(problem),
                    "sandbox": sandbox,
                }),
            );
        }
    }
    (res, done)
}

/// What answered a request: one closed set that the log, the journal and
/// coverage all read.
#[derive(Debug)]
enum Answer {
    /// A documented transaction (its id).
    Documented(usize),
    /// Strict mode found the request breaking the contract: answered by
    /// the action's documented 400/422 transaction when it has one, else
    /// by a problem.
    Violation {
        violations: Vec<Violation>,
        documented: Option<usize>,
    },
    /// A mock miss, as a problem document.
    Problem(Problem),
    /// The admin API.
    Admin,
    /// A CORS preflight the mock answered itself.
    Preflight,
    /// The backend answered (`--proxy`); with `--proxy-all --strict`,
    /// how its answer breaks the contract.
    Proxied { violations: Vec<Violation> },
}

impl Answer {
    /// The documented transaction whose answer was sent, if any.
    fn transaction(&self) -> Option<usize> {
        match self {
            Answer::Documented(id) => Some(*id),
            Answer::Violation { documented, .. } => *documented,
            _ => None,
        }
    }

    /// How the log and the journal name what answered when it was not a
    /// transaction alone (empty for a documented answer).
    fn slug(&self) -> &'static str {
        match self {
            Answer::Documented(_) => "",
            Answer::Violation { .. } => Problem::ContractViolation.slug(),
            Answer::Problem(p) => p.slug(),
            Answer::Admin => "admin",
            Answer::Preflight => "cors-preflight",
            Answer::Proxied { .. } => "proxied",
        }
    }
}

/// A body declared JSON that does not parse, read as text, when the
/// contract has a documented request with exactly that body (a
/// pseudo-JSON example with comments or `...`): its own example must be
/// answered, strict or not.
fn documented_text_body<'r>(
    contract: &Contract,
    method: &'r Method,
    uri: &hyper::Uri,
    headers: RequestHeaders<'r>,
    body: &'r [u8],
) -> Option<(RecordedRequest<'r>, MatchOutcome)> {
    let request =
        RecordedRequest::read(method, uri.path(), uri.query(), headers, body, BodyAs::Text).ok()?;
    let outcome = select(contract, &request);
    let MatchOutcome::Matched { transaction, .. } = outcome else {
        return None;
    };
    match &contract.transaction(transaction).request.body {
        ExpectedBody::Text(doc) if doc.trim_end() == request.body_text().trim_end() => {
            Some((request, outcome))
        }
        _ => None,
    }
}

fn answer(
    state: &State,
    contract: &Contract,
    method: &Method,
    uri: &hyper::Uri,
    headers: RequestHeaders<'_>,
    body: &[u8],
) -> (Response<Full<Bytes>>, Answer) {
    let path = uri.path();

    // CORS preflight for a documented path, unless the spec documents
    // OPTIONS there itself.
    if state.config.cors
        && method == Method::OPTIONS
        && headers
            .all
            .contains_key(header::ACCESS_CONTROL_REQUEST_METHOD)
    {
        let segments = crate::contract::path_pattern::split_path(path);
        let methods = allowed_methods(contract, &segments);
        if !methods.is_empty() && !methods.contains(&Method::OPTIONS) {
            let res = cors::preflight(
                headers.origin,
                &methods,
                headers.all.get(header::ACCESS_CONTROL_REQUEST_HEADERS),
            );
            return (res, Answer::Preflight);
        }
    }

    let head = method == Method::HEAD;
    // The request and what matched it (selected once, also on the
    // pseudo-JSON path, which has to select to know).
    // A body declared JSON that is, word for word, a documented request's
    // non-JSON example is that documented request, in strict mode too: its
    // body is not held to the JSON schema.
    let mut documented_text = false;
    let (request, outcome) = match RecordedRequest::new(method, path, uri.query(), headers, body) {
        Ok(r) => {
            let outcome = select(contract, &r);
            (r, outcome)
        }
        Err(RequestError::BadPercentEncoding) => {
            return miss(
                Problem::BadPercentEncoding,
                format!("`{uri}` has a `%` that is not followed by two hex digits"),
                json!({}),
            );
        }
        Err(RequestError::InvalidJson { message }) => {
            match documented_text_body(contract, method, uri, headers, body) {
                Some(matched) => {
                    documented_text = true;
                    matched
                }
                None => {
                    return miss(
                        Problem::InvalidJson,
                        format!("the body is not valid JSON: {message}"),
                        json!({}),
                    );
                }
            }
        }
    };

    match outcome {
        MatchOutcome::Matched {
            transaction,
            preference_applied,
        } => {
            let tx = contract.transaction(transaction);
            // Strict mode is a contract compiled with its rules: one
            // source of truth, which a reload keeps.
            let mut violations = match &contract.endpoints()[tx.endpoint].rules {
                Some(rules) => rules.check(&request),
                None => Vec::new(),
            };
            if documented_text {
                violations.retain(|v| v.place != "body");
            }
            if violations.is_empty() {
                if let Some(sandbox) = &state.sandbox
                    && tx.response.status.is_success()
                    && let Some(reply) = sandbox.answer(contract, transaction, &request, head)
                {
                    return sandboxed(reply);
                }
                let res = documented_response(tx, head, preference_applied);
                (res, Answer::Documented(transaction))
            } else {
                violation(contract, tx.endpoint, violations, head)
            }
        }
        MatchOutcome::NoRoute => {
            let closest = super::problem::closest(contract, uri.path());
            miss(
                Problem::NoRoute,
                format!(
                    "{} {} matches no URI template of the contract",
                    request.method,
                    uri.path()
                ),
                json!({ "closest": closest }),
            )
        }
        MatchOutcome::MethodNotAllowed { allow } => {
            let list: Vec<&str> = allow.iter().map(Method::as_str).collect();
            let (mut res, answer) = miss(
                Problem::MethodNotAllowed,
                format!(
                    "{} is documented for {}, not {}",
                    uri.path(),
                    list.join(", "),
                    request.method
                ),
                json!({ "allow": list }),
            );
            if let Ok(v) = HeaderValue::from_str(&list.join(", ")) {
                res.headers_mut().insert(header::ALLOW, v);
            }
            (res, answer)
        }
        MatchOutcome::PreferenceUnsatisfied {
            preference,
            available,
        } => {
            let offered: Vec<_> = available
                .iter()
                .map(|(n, name, status)| json!({"example": format!("#{n}"), "name": name, "status": status}))
                .collect();
            miss(
                Problem::PreferenceUnsatisfied,
                format!(
                    "Prefer: {} matches none of the documented examples",
                    preference.applied()
                ),
                json!({ "available": offered }),
            )
        }
    }
}

/// The documented response of `tx`, exactly as written.
pub(super) fn documented_response(
    tx: &crate::contract::CompiledTransaction,
    head: bool,
    preference_applied: Option<String>,
) -> Response<Full<Bytes>> {
    let documented = &tx.response;
    let body = if head {
        Bytes::new()
    } else {
        documented.body.clone()
    };
    let mut res = Response::new(Full::new(body));
    *res.status_mut() = documented.status;
    let h = res.headers_mut();
    *h = tx.answer_headers.clone();
    if head && !documented.body.is_empty() {
        h.insert(
            header::CONTENT_LENGTH,
            HeaderValue::from(documented.body.len()),
        );
    }
    if let Some(applied) = preference_applied.and_then(|p| HeaderValue::from_str(&p).ok()) {
        h.insert(PREFERENCE_APPLIED, applied);
    }
    res
}

/// A sandbox answer, as the log and the journal see it.
fn sandboxed(reply: super::sandbox::Reply) -> (Response<Full<Bytes>>, Answer) {
    match reply {
        super::sandbox::Reply::Documented(res, tx) => (res, Answer::Documented(tx)),
        super::sandbox::Reply::Problem {
            problem,
            detail,
            extra,
            state,
        } => {
            let (mut res, answer) = miss(problem, detail, extra);
            if let Ok(v) = HeaderValue::from_str(&state) {
                res.headers_mut().insert(super::sandbox::STATE_HEADER, v);
            }
            (res, answer)
        }
    }
}

fn too_large(state: &State) -> (Response<Full<Bytes>>, Answer) {
    miss(
        Problem::BodyTooLarge,
        format!("the limit is {} bytes (--max-body)", state.config.max_body),
        json!({ "limit": state.config.max_body }),
    )
}

/// Names what strict mode found wrong, on a documented error response.
const VIOLATIONS_HEADER: HeaderName = HeaderName::from_static("apib-mock-violations");

/// `--strict` and the request breaks the contract: the action's own
/// documented 400/422 response when it has one (the violations in a
/// header), else a 422 problem listing them.
fn violation(
    contract: &Contract,
    endpoint: usize,
    violations: Vec<Violation>,
    head: bool,
) -> (Response<Full<Bytes>>, Answer) {
    let documented_error = contract.endpoints()[endpoint]
        .transactions
        .iter()
        .copied()
        .find(|&id| matches!(contract.transaction(id).response.status.as_u16(), 400 | 422));
    let Some(id) = documented_error else {
        let count = violations.len();
        let (res, _) = miss(
            Problem::ContractViolation,
            format!(
                "{count} violation{} of {}",
                if count == 1 { "" } else { "s" },
                contract.endpoints()[endpoint].label
            ),
            json!({ "violations": violations }),
        );
        let answer = Answer::Violation {
            violations,
            documented: None,
        };
        return (res, answer);
    };
    let mut res = documented_response(contract.transaction(id), head, None);
    let h = res.headers_mut();
    h.insert(
        super::problem::MATCH_HEADER,
        HeaderValue::from_static("violation"),
    );
    if let Some(v) = violations_header(&violations) {
        h.insert(VIOLATIONS_HEADER, v);
    }
    let answer = Answer::Violation {
        violations,
        documented: Some(id),
    };
    (res, answer)
}

/// Violations as an `Apib-Mock-Violations` value: ASCII-only JSON
/// (non-ASCII escaped), which fits in a header.
fn violations_header(violations: &[Violation]) -> Option<HeaderValue> {
    let text = serde_json::to_string(violations).unwrap_or_default();
    let ascii: String = text
        .chars()
        .flat_map(|c| {
            if c.is_ascii() && !c.is_ascii_control() {
                vec![c]
            } else {
                format!("\\u{:04x}", c as u32).chars().collect()
            }
        })
        .collect();
    HeaderValue::from_str(&ascii).ok()
}

fn miss(
    problem: Problem,
    detail: String,
    extra: serde_json::Value,
) -> (Response<Full<Bytes>>, Answer) {
    (problem.response(detail, extra), Answer::Problem(problem))
}

/// The handler on its own, without a socket: a request in, an answer out.
#[cfg(test)]
mod tests {
    use super::*;
    use crate::reload::LiveContract;
    use crate::server::LogFormat;
    use http_body_util::BodyExt;
    use hyper::HeaderMap;

    const SPEC: &str = "# T\n## Notes [/notes/{id}]\n### Read [GET]\n+ Response 200 (application/json)\n\n        {\"id\": 1}\n\n### Change [PUT]\n+ Request (application/json)\n\n        {\"text\": \"a\"}\n\n+ Response 204\n";

    fn state(config: ServeConfig) -> Arc<State> {
        let (doc, _) = crate::load::parse_bytes("t.apib", SPEC.as_bytes());
        let (contract, _) = Contract::compile_with(std::slice::from_ref(&doc), false);
        State::new(LiveContract::fixed(Arc::new(contract)), config)
    }

    fn quiet() -> ServeConfig {
        ServeConfig {
            log: LogFormat::Off,
            ..ServeConfig::default()
        }
    }

    async fn call(state: &State, request: Request<Full<Bytes>>) -> (u16, HeaderMap, Bytes) {
        let (res, _) = handle(state, request).await;
        let (parts, body) = res.into_parts();
        let body = body
            .collect()
            .await
            .map(|b| b.to_bytes())
            .unwrap_or_default();
        (parts.status.as_u16(), parts.headers, body)
    }

    fn request(method: &str, uri: &str, body: &str) -> Request<Full<Bytes>> {
        Request::builder()
            .method(method)
            .uri(uri)
            .header("content-type", "application/json")
            .body(Full::new(Bytes::from(body.to_string())))
            .expect("a valid request")
    }

    #[tokio::test]
    async fn a_documented_request_gets_its_answer_and_is_journaled() {
        let state = state(quiet());
        let (status, headers, body) = call(&state, request("GET", "/notes/7", "")).await;
        assert_eq!(status, 200);
        assert_eq!(body, "{\"id\": 1}\n");
        assert_eq!(
            headers[crate::contract::TRANSACTION_HEADER],
            "Notes > Read > #1"
        );
        let journal = state.journal.received();
        assert_eq!(journal.len(), 1);
        assert_eq!(journal[0].transaction.as_deref(), Some("Notes > Read > #1"));
        assert_eq!(journal[0].problem, None);
    }

    #[tokio::test]
    async fn each_kind_of_miss_is_its_problem_in_the_answer_and_the_journal() {
        let state = state(quiet());
        for (method, uri, body, status, slug) in [
            ("GET", "/nowhere", "", 404, "no-route"),
            ("DELETE", "/notes/7", "", 405, "method-not-allowed"),
            ("PUT", "/notes/7", "{\"text\": ", 400, "invalid-json"),
            ("GET", "/notes/%zz", "", 400, "bad-percent-encoding"),
        ] {
            let (got, headers, _) = call(&state, request(method, uri, body)).await;
            assert_eq!(got, status, "{method} {uri}");
            assert_eq!(headers["apib-mock-match"], "none", "{method} {uri}");
            let last = state.journal.received().pop().expect("journaled");
            assert_eq!(last.problem.as_deref(), Some(slug), "{method} {uri}");
        }
    }

    #[tokio::test]
    async fn the_admin_api_answers_without_being_journaled() {
        let state = state(quiet());
        let (status, _, body) = call(&state, request("GET", "/__mock/routes", "")).await;
        assert_eq!(status, 200);
        assert!(String::from_utf8_lossy(&body).contains("/notes/{id}"));
        assert!(state.journal.received().is_empty());
    }
}
