//! `apib-mock verify`: send every documented request to a real server and
//! check its answers against the documented responses (what Dredd does,
//! and more: each request's own example URI, every request/response pair,
//! stable names, `--body exact`).
//!
//! - `plan` turns the documents into cases;
//! - `check` compares one answer with its documented response;
//! - `report` prints progress and writes JUnit / JSON reports.

pub mod check;
mod hook;
pub mod plan;
pub mod report;
mod tls;

use std::time::{Duration, Instant};

use bytes::Bytes;
use http_body_util::{BodyExt, Full, Limited};
use hyper::Request;
use hyper_util::client::legacy::Client;
use hyper_util::rt::TokioExecutor;

pub use check::{BodyMode, Observed};
pub use plan::{Case, cases};
pub use tls::ClientTls;

/// Responses larger than this are cut off (and fail to parse).
const MAX_RESPONSE: usize = 64 * 1024 * 1024;

/// How a run is set up.
#[derive(Debug, Clone)]
pub struct Options {
    /// `http://host:port[/base]`.
    pub server: String,
    /// Headers added to (or replacing those of) every request.
    pub headers: Vec<(String, String)>,
    /// How long to wait for each answer.
    pub timeout: Duration,
    /// How bodies are compared.
    pub body: BodyMode,
    /// Stop after the first failure.
    pub fail_fast: bool,
    /// How an https:// server is trusted.
    pub tls: ClientTls,
    /// `--hook-cmd`: run before each transaction (see `hook`).
    pub hook: Option<String>,
}

/// What a run did with one case, as it goes.
#[derive(Debug)]
pub enum Step<'a> {
    /// Sent and checked.
    Checked(&'a Outcome),
    /// Not sent: the hook skipped it (its name, why).
    Skipped(&'a str, &'a str),
}

/// What a run did: the cases checked, and those the hook skipped.
#[derive(Debug, Default)]
pub struct Run {
    /// Sent and checked, in order.
    pub outcomes: Vec<Outcome>,
    /// Skipped by the hook: (name, why).
    pub skipped: Vec<(String, String)>,
}

/// The result of one case.
#[derive(Debug, Clone)]
pub struct Outcome {
    /// The documented pair checked.
    pub case: Case,
    /// Empty: it passed.
    pub failures: Vec<String>,
    /// The status the server answered, if it answered.
    pub status: Option<u16>,
    /// How long the exchange took.
    pub elapsed: Duration,
}

impl Outcome {
    /// No finding: the answer follows the contract.
    pub fn passed(&self) -> bool {
        self.failures.is_empty()
    }
}

/// Why a run cannot start.
#[derive(Debug, thiserror::Error)]
pub enum VerifyError {
    #[error("--server `{0}` is not an http:// or https:// URL")]
    /// The `--server` value is not an `http://` or `https://` URL.
    BadServer(String),
    /// The TLS settings cannot be used (a certificate file, say).
    #[error("{0}")]
    Tls(String),
    /// Not one request reached the server: nothing listens there.
    #[error("cannot reach {server}: {why}")]
    Unreachable {
        /// The `--server` value.
        server: String,
        /// The connection error.
        why: String,
    },
}

/// Runs every case in order, calling `progress` after each.
pub async fn run(
    cases: Vec<Case>,
    options: &Options,
    mut progress: impl FnMut(Step<'_>),
) -> Result<Run, VerifyError> {
    let base = options.server.trim_end_matches('/');
    let authority_ok = base
        .strip_prefix("http://")
        .or_else(|| base.strip_prefix("https://"))
        .is_some_and(|rest| !rest.is_empty());
    if !authority_ok || base.parse::<hyper::Uri>().is_err() {
        return Err(VerifyError::BadServer(options.server.clone()));
    }
    if options.tls.insecure && base.starts_with("https://") {
        eprintln!(
            "apib-mock: warning: --insecure: the server's certificate is not checked \
             (anyone between here and {base} could answer)"
        );
    }
    let config = tls::client_config(&options.tls).map_err(VerifyError::Tls)?;
    let connector = hyper_rustls::HttpsConnectorBuilder::new()
        .with_tls_config(config)
        .https_or_http()
        .enable_http1()
        .build();
    let client: HttpClient = Client::builder(TokioExecutor::new()).build(connector);
    let mut outcomes = Vec::with_capacity(cases.len());
    let mut hook_skipped = Vec::new();
    let mut reached = false;
    for mut case in cases {
        let started = Instant::now();
        let hooked = match &options.hook {
            Some(command) => hook::run(command, &mut case, options.timeout).await,
            None => hook::Hooked::Send,
        };
        let outcome = match hooked {
            hook::Hooked::Skip(why) => {
                progress(Step::Skipped(&case.name, &why));
                hook_skipped.push((case.name, why));
                continue;
            }
            // The hook failed: so does the transaction, unsent.
            hook::Hooked::Failed(why) => Outcome {
                failures: vec![why],
                status: None,
                elapsed: started.elapsed(),
                case,
            },
            hook::Hooked::Send => exchange(&client, base, case, options, reached).await?,
        };
        reached |= outcome.status.is_some();
        progress(Step::Checked(&outcome));
        let stop = options.fail_fast && !outcome.passed();
        outcomes.push(outcome);
        if stop {
            break;
        }
    }
    Ok(Run {
        outcomes,
        skipped: hook_skipped,
    })
}

/// Why a request got no answer.
#[derive(Debug)]
struct SendError {
    message: String,
    /// The connection could not be made.
    connect: bool,
}

impl<E: Into<Box<dyn std::error::Error + Send + Sync>>> From<E> for SendError {
    fn from(e: E) -> Self {
        let e: Box<dyn std::error::Error + Send + Sync> = e.into();
        let connect = e
            .downcast_ref::<hyper_util::client::legacy::Error>()
            .is_some_and(hyper_util::client::legacy::Error::is_connect);
        // The cause says what happened (refused, unresolvable).
        let mut message = e.to_string();
        let mut source = e.source();
        while let Some(cause) = source {
            message = format!("{message}: {cause}");
            source = cause.source();
        }
        SendError { message, connect }
    }
}

/// Sends `case` and checks the answer. Err only when the server cannot be
/// reached at all and nothing has reached it yet (`reached`): one clear
/// error, not one failure per transaction.
async fn exchange(
    client: &HttpClient,
    base: &str,
    case: Case,
    options: &Options,
    reached: bool,
) -> Result<Outcome, VerifyError> {
    let started = Instant::now();
    let result = tokio::time::timeout(options.timeout, send(client, base, &case, options)).await;
    Ok(match result {
        Err(_) => Outcome {
            failures: vec![format!(
                "no answer within {} s (--timeout)",
                options.timeout.as_secs_f64()
            )],
            status: None,
            elapsed: started.elapsed(),
            case,
        },
        Ok(Err(e)) if !reached && e.connect => {
            return Err(VerifyError::Unreachable {
                server: options.server.clone(),
                why: e.message,
            });
        }
        Ok(Err(e)) => Outcome {
            failures: vec![format!("request failed: {}", e.message)],
            status: None,
            elapsed: started.elapsed(),
            case,
        },
        Ok(Ok(observed)) => Outcome {
            failures: check::check(&case.expect, &observed, options.body),
            status: Some(observed.status),
            elapsed: started.elapsed(),
            case,
        },
    })
}

type HttpClient = Client<
    hyper_rustls::HttpsConnector<hyper_util::client::legacy::connect::HttpConnector>,
    Full<Bytes>,
>;

async fn send(
    client: &HttpClient,
    base: &str,
    case: &Case,
    options: &Options,
) -> Result<Observed, SendError> {
    let uri = format!("{base}{}", case.uri);
    let mut req = Request::builder().method(case.method.as_str()).uri(uri);
    for (name, value) in &case.headers {
        let overridden = options
            .headers
            .iter()
            .any(|(n, _)| n.eq_ignore_ascii_case(name));
        if !overridden && !name.eq_ignore_ascii_case("content-length") {
            req = req.header(name.as_str(), value.as_str());
        }
    }
    for (name, value) in &options.headers {
        req = req.header(name.as_str(), value.as_str());
    }
    let body = case.body.clone().map(Bytes::from).unwrap_or_default();
    let res = client.request(req.body(Full::new(body))?).await?;
    let status = res.status().as_u16();
    let headers = res
        .headers()
        .iter()
        .map(|(n, v)| {
            (
                n.as_str().to_string(),
                String::from_utf8_lossy(v.as_bytes()).into_owned(),
            )
        })
        .collect();
    let body = Limited::new(res.into_body(), MAX_RESPONSE)
        .collect()
        .await?
        .to_bytes()
        .to_vec();
    Ok(Observed {
        status,
        headers,
        body,
    })
}

/// `K: V` → (`K`, `V`).
pub fn parse_header(text: &str) -> Result<(String, String), String> {
    let (name, value) = text
        .split_once(':')
        .ok_or_else(|| format!("`{text}` is not a header; write `Name: value`"))?;
    let name = name.trim();
    if name.is_empty() || hyper::header::HeaderName::from_bytes(name.as_bytes()).is_err() {
        return Err(format!("`{name}` is not a valid header name"));
    }
    Ok((name.to_string(), value.trim().to_string()))
}
