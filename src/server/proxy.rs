//! `serve --proxy URL`: requests the contract does not document go to a
//! real backend, and its answers come back unchanged (with
//! `Apib-Mock-Match: proxied`). `--proxy-all` sends documented requests
//! too; with `--strict` the backend's answers are checked against the
//! contract (`validate::check_response`), which makes the mock a
//! validation proxy in front of a real server.
//!
//! A request with no documented route streams to the backend as it
//! arrives (cut past `--max-body`); a documented one (`--proxy-all`) was
//! read whole to be matched, bounded like every body. The backend's answer
//! streams back as it comes, holding nothing, unless strict mode must read
//! it whole to check it or `record` keeps it (then bounded by `--max-body`
//! too). Hop-by-hop headers are not forwarded; `Host` names the backend.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use bytes::Bytes;
use http_body_util::combinators::UnsyncBoxBody;
use http_body_util::{BodyExt, Full, Limited};
use hyper::body::Incoming;
use hyper::header::{self, HeaderMap, HeaderName, HeaderValue};
use hyper::{Method, Request, Response, Uri};
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioExecutor;

/// Where `serve --proxy` sends what it does not answer itself.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct ProxyConfig {
    /// The backend: `http://host:port` or `https://...`, optionally with
    /// a base path.
    pub target: String,
    /// Send documented requests to the backend too (`--proxy-all`).
    pub all: bool,
    /// Write what the contract does not document to this file as an API
    /// Blueprint draft (`apib-mock record --out`).
    pub record: Option<std::path::PathBuf>,
    /// For an `https://` backend: trust this PEM file's certificates too
    /// (the system's roots are always trusted).
    pub ca_cert: Option<std::path::PathBuf>,
}

impl ProxyConfig {
    /// A proxy to `target` (`http://host:port[/base]`), for undocumented
    /// requests, or for all with `all`.
    pub fn new(target: &str, all: bool) -> Result<Self, String> {
        let uri: Uri = target
            .parse()
            .map_err(|e| format!("`{target}` is not a URL: {e}"))?;
        match uri.scheme_str() {
            Some("http") => {}
            #[cfg(feature = "tls")]
            Some("https") => {}
            Some(other) => {
                return Err(format!(
                    "`{target}`: the backend is http:// or https://, not {other}://"
                ));
            }
            None => return Err(format!("`{target}`: give http://host:port")),
        }
        if uri.authority().is_none() {
            return Err(format!("`{target}`: give http://host:port"));
        }
        Ok(ProxyConfig {
            target: target.trim_end_matches('/').to_string(),
            all,
            record: None,
            ca_cert: None,
        })
    }
}

/// Whether `config`'s certificate file can be trusted, for the command
/// line to say before it starts.
#[cfg(feature = "cli")]
pub(crate) fn check(config: &ProxyConfig) -> Result<(), String> {
    // The system's roots are read once, when the server builds its proxy.
    super::tls::trusted(config.ca_cert.as_deref()).map(drop)
}

/// How long the backend may take to start answering.
const BACKEND_TIMEOUT: Duration = Duration::from_secs(30);

/// Marks an answer that came from the backend.
pub(crate) const PROXIED: HeaderValue = HeaderValue::from_static("proxied");

/// A request body on its way to the backend: a body read whole, or one
/// streamed as it comes.
pub(crate) type ProxyBody = UnsyncBoxBody<Bytes, Box<dyn std::error::Error + Send + Sync>>;

/// A body read whole, to send.
pub(crate) fn whole(bytes: Bytes) -> ProxyBody {
    Full::new(bytes)
        .map_err(|never| match never {})
        .boxed_unsync()
}

/// A body sent to the backend as it arrives, cut (the request fails) past
/// `max` bytes; its first bytes (what the journal shows) are kept in the
/// returned buffer as they pass.
pub(crate) fn streamed<B>(body: B, max: usize) -> (ProxyBody, Arc<Mutex<Vec<u8>>>)
where
    B: hyper::body::Body<Data = Bytes> + Send + 'static,
    B::Error: Into<Box<dyn std::error::Error + Send + Sync>>,
{
    let kept = Arc::new(Mutex::new(Vec::new()));
    let teed = Teed {
        inner: Box::pin(body),
        kept: kept.clone(),
    };
    (Limited::new(teed, max).boxed_unsync(), kept)
}

/// A body passed on unchanged, its first [`BODY_SHOWN`] bytes copied.
struct Teed<B> {
    inner: std::pin::Pin<Box<B>>,
    kept: Arc<Mutex<Vec<u8>>>,
}

/// What the journal shows of a body.
const BODY_SHOWN: usize = super::journal::BODY_SHOWN;

impl<B: hyper::body::Body<Data = Bytes>> hyper::body::Body for Teed<B> {
    type Data = Bytes;
    type Error = B::Error;

    fn poll_frame(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Option<Result<hyper::body::Frame<Bytes>, B::Error>>> {
        let polled = self.inner.as_mut().poll_frame(cx);
        if let std::task::Poll::Ready(Some(Ok(frame))) = &polled
            && let Some(data) = frame.data_ref()
            && let Ok(mut kept) = self.kept.lock()
            && kept.len() < BODY_SHOWN
        {
            let room = BODY_SHOWN - kept.len();
            kept.extend_from_slice(&data[..data.len().min(room)]);
        }
        polled
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }

    fn size_hint(&self) -> hyper::body::SizeHint {
        self.inner.size_hint()
    }
}

/// What the proxy connects with: TLS when built with it.
#[cfg(feature = "tls")]
type Connector = hyper_rustls::HttpsConnector<HttpConnector>;
#[cfg(not(feature = "tls"))]
type Connector = HttpConnector;

/// The proxy of a server: the backend and a pooled client.
#[derive(Debug)]
pub(crate) struct Proxy {
    pub config: ProxyConfig,
    client: Client<Connector, ProxyBody>,
    /// With `record`: the draft being recorded.
    pub recorder: Option<super::recorder::Recorder>,
}

/// Why the backend gave no answer.
pub(crate) enum Failure {
    /// It could not be reached, or broke off.
    Unreachable(String),
    /// It did not start answering within [`BACKEND_TIMEOUT`].
    TimedOut,
}

/// Headers that belong to one connection, not to the message.
fn hop_by_hop(name: &HeaderName) -> bool {
    matches!(
        name.as_str(),
        "connection"
            | "keep-alive"
            | "proxy-connection"
            | "proxy-authenticate"
            | "proxy-authorization"
            | "te"
            | "trailer"
            | "transfer-encoding"
            | "upgrade"
            | "host"
            | "content-length"
    )
}

impl Proxy {
    /// The proxy of `config`; an error names a certificate that cannot be
    /// used.
    pub(crate) fn new(config: ProxyConfig) -> Result<Self, String> {
        #[cfg(feature = "tls")]
        let connector = super::tls::connector(config.ca_cert.as_deref())?;
        #[cfg(not(feature = "tls"))]
        let connector = HttpConnector::new();
        Ok(Proxy {
            recorder: config.record.clone().map(super::recorder::Recorder::new),
            config,
            client: Client::builder(TokioExecutor::new()).build(connector),
        })
    }

    /// Sends the request to the backend; its answer's head, with the body
    /// to stream.
    pub(crate) async fn forward(
        &self,
        method: &Method,
        target: &str,
        headers: &HeaderMap,
        body: ProxyBody,
    ) -> Result<Response<Incoming>, Failure> {
        let uri = format!("{}{target}", self.config.target);
        let mut req = Request::builder().method(method.clone()).uri(&uri);
        if let Some(h) = req.headers_mut() {
            for (name, value) in headers {
                if !hop_by_hop(name) {
                    h.append(name.clone(), value.clone());
                }
            }
            h.insert(header::VIA, HeaderValue::from_static("1.1 apib-mock"));
        }
        let req = req
            .body(body)
            .map_err(|e| Failure::Unreachable(e.to_string()))?;
        match tokio::time::timeout(BACKEND_TIMEOUT, self.client.request(req)).await {
            Err(_) => Err(Failure::TimedOut),
            Ok(Err(e)) => Err(Failure::Unreachable(
                std::error::Error::source(&e).map_or_else(|| e.to_string(), |s| s.to_string()),
            )),
            Ok(Ok(res)) => Ok(res),
        }
    }
}

/// The backend's answer: streamed, or read whole (to be checked).
pub(crate) enum Backend {
    Streamed(Response<Incoming>),
    Whole(hyper::http::response::Parts, Bytes),
}

/// The backend's answer as the mock sends it: its status and headers
/// (without hop-by-hop ones) and `Apib-Mock-Match: proxied`; a streamed
/// body goes to the connection (`body::replace`).
pub(crate) fn answer(backend: Backend) -> Response<Full<Bytes>> {
    let (parts, body, incoming) = match backend {
        Backend::Streamed(res) => {
            let (parts, incoming) = res.into_parts();
            (parts, Bytes::new(), Some(incoming))
        }
        Backend::Whole(parts, bytes) => (parts, bytes, None),
    };
    let mut out = Response::new(Full::new(body));
    *out.status_mut() = parts.status;
    let h = out.headers_mut();
    for (name, value) in &parts.headers {
        // A streamed body keeps the backend's length; a whole one gets its own.
        if !hop_by_hop(name) || (name == header::CONTENT_LENGTH && incoming.is_some()) {
            h.append(name.clone(), value.clone());
        }
    }
    h.insert(super::problem::MATCH_HEADER, PROXIED);
    if let Some(incoming) = incoming {
        super::body::replace(&mut out, super::body::AnswerBody::Proxied(incoming));
    }
    out
}

/// Reads the backend's body whole, up to `max` bytes (strict mode checks
/// it).
pub(crate) async fn read_whole(
    res: Response<Incoming>,
    max: usize,
) -> Result<(hyper::http::response::Parts, Bytes), String> {
    let (parts, body) = res.into_parts();
    let bytes = Limited::new(body, max)
        .collect()
        .await
        .map_err(|e| format!("the backend's body cannot be read whole: {e}"))?
        .to_bytes();
    Ok((parts, bytes))
}

/// A streamed backend answer read into the response itself (bounded by
/// `max`), for the simulated network to cut or throttle it; a body that
/// cannot be read whole leaves the answer as it is.
pub(crate) async fn gather(res: &mut Response<Full<Bytes>>, max: usize) {
    let incoming = match super::body::take(res) {
        Some(super::body::AnswerBody::Proxied(incoming)) => incoming,
        Some(other) => return super::body::replace(res, other),
        None => return,
    };
    match Limited::new(incoming, max).collect().await {
        Ok(collected) => {
            res.headers_mut().remove(header::CONTENT_LENGTH);
            *res.body_mut() = Full::new(collected.to_bytes());
        }
        Err(e) => {
            eprintln!("apib-mock: a proxied answer could not be read to simulate the network: {e}");
        }
    }
}
