//! The mock's own API, under a prefix (`/__mock` unless `--admin-prefix`
//! says otherwise; `--no-admin` turns it off). JSON everywhere:
//!
//! - `GET  {prefix}/status`: files, counts, reloads, last error;
//! - `GET  {prefix}/requests[?unmatched=true&method=GET&path=/x&limit=100&after=ID]`:
//!   the journal, a page at a time, credentials redacted;
//! - `DELETE {prefix}/requests`: empties it;
//! - `GET  {prefix}/coverage`: each documented transaction with how often
//!   it answered, and the ones never exercised;
//! - `GET  {prefix}/routes`: the endpoints and their transactions.
//!
//! The prefix never shadows a documented route: a contract with routes
//! under it is refused at load.
//!
//! The journal holds what the app sent, credentials included, so the admin
//! API answers this machine's own tools only ([`refusal`]): no CORS (a web
//! page cannot read it, a preflight is refused), a `Host` that names this
//! machine (a page on a rebound DNS name is refused), and a bearer token
//! when one is set (always when the server listens beyond loopback).

use bytes::Bytes;
use http_body_util::Full;
use hyper::header::{self, HeaderMap, HeaderValue};
use hyper::{Method, Response, StatusCode};
use serde_json::{Value, json};

use super::journal::Filter;
use super::problem::Problem;
use super::service::State;
use crate::contract::Contract;

/// The default prefix.
pub const DEFAULT_PREFIX: &str = "/__mock";

/// Why a request may not use the admin API: the refusal to send, or
/// `None` when it may.
pub(crate) fn refusal(token: Option<&str>, headers: &HeaderMap) -> Option<Response<Full<Bytes>>> {
    let host = headers
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .unwrap_or("");
    if let Some(token) = token {
        let given = headers
            .get(header::AUTHORIZATION)
            .and_then(|h| h.to_str().ok())
            .and_then(|h| h.strip_prefix("Bearer "))
            .map(str::trim);
        if !given.is_some_and(|given| same_secret(given, token)) {
            return Some(
                Problem::AdminUnauthorized.response(
                    "send the admin token as `Authorization: Bearer TOKEN` (printed by `serve` \
                 at start, or set with --admin-token)"
                        .into(),
                    json!({}),
                ),
            );
        }
    } else if !host.is_empty() && !names_this_machine(host) {
        return Some(Problem::AdminForbidden.response(
            format!(
                "Host `{host}` does not name this machine: the admin API answers requests \
                 to localhost or an IP address only (a DNS rebinding page is refused); \
                 set --admin-token to use it under another name"
            ),
            json!({}),
        ));
    }
    if let Some(origin) = headers.get(header::ORIGIN) {
        let same = origin.to_str().ok().is_some_and(|o| {
            o.strip_prefix("http://")
                .or_else(|| o.strip_prefix("https://"))
                .is_some_and(|o| o.eq_ignore_ascii_case(host))
        });
        if !same {
            return Some(Problem::AdminForbidden.response(
                format!(
                    "a request from the web page at `{}` may not use the admin API \
                     (it is same-origin only: the journal holds credentials)",
                    String::from_utf8_lossy(origin.as_bytes())
                ),
                json!({}),
            ));
        }
    }
    let fetched_cross_site = headers
        .get("sec-fetch-site")
        .is_some_and(|v| !matches!(v.as_bytes(), b"same-origin" | b"none"));
    if fetched_cross_site {
        return Some(Problem::AdminForbidden.response(
            "a cross-site request may not use the admin API".into(),
            json!({}),
        ));
    }
    None
}

/// `localhost`, `*.localhost` or an IP address, with or without a port: a
/// name no DNS rebinding can take (a browser sends the name of the page's
/// site, and an IP address is its own site).
pub(crate) fn names_this_machine(host: &str) -> bool {
    let name = match host.strip_prefix('[') {
        Some(v6) => {
            return v6
                .split(']')
                .next()
                .is_some_and(|ip| ip.parse::<std::net::Ipv6Addr>().is_ok());
        }
        None => match host.rsplit_once(':') {
            Some((name, port)) if port.bytes().all(|b| b.is_ascii_digit()) => name,
            _ => host,
        },
    };
    let name = name.trim_end_matches('.');
    name.eq_ignore_ascii_case("localhost")
        || name
            .len()
            .checked_sub(".localhost".len())
            .is_some_and(|cut| {
                name.is_char_boundary(cut) && name[cut..].eq_ignore_ascii_case(".localhost")
            })
        || name.parse::<std::net::Ipv4Addr>().is_ok()
}

/// Compares in time that does not depend on where the texts differ.
fn same_secret(given: &str, token: &str) -> bool {
    given.len() == token.len()
        && given
            .bytes()
            .zip(token.bytes())
            .fold(0u8, |acc, (a, b)| acc | (a ^ b))
            == 0
}

/// Answers an admin request (`rest` is the path after the prefix).
pub(crate) fn answer(
    state: &State,
    contract: &Contract,
    method: &Method,
    rest: &str,
    query: Option<&str>,
    sent: &[u8],
) -> Response<Full<Bytes>> {
    let get = matches!(*method, Method::GET | Method::HEAD);
    // `/__mock` → `/__mock/`: the page's files are relative to it.
    if rest.is_empty() && get {
        let prefix = state
            .config
            .admin_prefix
            .as_deref()
            .unwrap_or(DEFAULT_PREFIX);
        let mut res = Response::new(Full::new(Bytes::new()));
        *res.status_mut() = StatusCode::PERMANENT_REDIRECT;
        if let Ok(to) = HeaderValue::from_str(&format!("{prefix}/")) {
            res.headers_mut().insert(header::LOCATION, to);
        }
        return res;
    }
    match (rest.trim_end_matches('/'), get, method) {
        ("/status", true, _) => json_response(StatusCode::OK, state.live.status_json()),
        ("/requests", true, _) => {
            let filter = filter(query, state.config.journal_secrets);
            let list = state.journal.list(&filter);
            json_response(StatusCode::OK, to_vec(&list))
        }
        ("/requests", false, &Method::DELETE) => {
            state.journal.clear();
            let mut res = Response::new(Full::new(Bytes::new()));
            *res.status_mut() = StatusCode::NO_CONTENT;
            res
        }
        ("/coverage", true, _) => json_response(StatusCode::OK, to_vec(&super::Coverage::of(contract))),
        ("/routes", true, _) => json_response(StatusCode::OK, to_vec(&routes(contract))),
        ("/settings", true, _) => json_response(StatusCode::OK, to_vec(&state.network.settings())),
        ("/settings", false, &Method::PUT) => match super::network::settings_from_json(sent) {
            Ok(settings) => {
                state.network.set(settings);
                json_response(StatusCode::OK, to_vec(&state.network.settings()))
            }
            Err(why) => Problem::BadRequest.response(
                format!("the settings cannot be used: {why}"),
                json!({"example": {"delay": ["200ms", "POST /customers=uniform:1s..2s"], "chaos": "5%", "seed": 42}}),
            ),
        },
        ("/state", _, &Method::GET | &Method::DELETE) => sandbox_state(state, contract, method, query),
        ("" | "/index.html", true, _) => page(PAGE_HTML, "text/html; charset=utf-8"),
        ("/app.js", true, _) => page(PAGE_JS, "text/javascript; charset=utf-8"),
        ("/app.css", true, _) => page(PAGE_CSS, "text/css; charset=utf-8"),
        ("/events", true, _) => events(state),
        (rest, true, _) if rest.starts_with("/requests/") => {
            match rest["/requests/".len()..].parse::<u64>() {
                Ok(id) => request_detail(state, contract, id),
                Err(_) => Problem::NoRoute.response(
                    format!("`{rest}`: a journal entry is /requests/ID (a number)"),
                    json!({}),
                ),
            }
        }
        _ => Problem::NoRoute.response(
            format!("{method} {rest} is not part of the mock's admin API"),
            json!({ "admin": ["GET status", "GET requests", "DELETE requests", "GET coverage", "GET routes", "GET settings", "PUT settings", "GET state", "DELETE state", "GET / (the dashboard)", "GET events", "GET requests/ID"] }),
        ),
    }
}

/// The dashboard: one page, its script and its style, embedded.
const PAGE_HTML: &str = include_str!("dashboard/index.html");
const PAGE_JS: &str = include_str!("dashboard/app.js");
const PAGE_CSS: &str = include_str!("dashboard/app.css");

/// What the page may do: its own script and style, requests to its own
/// origin, nothing inline, no frames. Request content it shows is text.
const PAGE_POLICY: &str = "default-src 'none'; script-src 'self'; style-src 'self'; \
     connect-src 'self'; img-src 'self' data:; base-uri 'none'; form-action 'none'; \
     frame-ancestors 'none'";

/// The dashboard's files hold no data (everything comes from the admin
/// API), so they are served without the admin token; the page takes the
/// token from its URL fragment (`/__mock/#token=...`) for its requests.
pub(crate) fn is_page(rest: &str) -> bool {
    matches!(
        rest.trim_end_matches('/'),
        "" | "/index.html" | "/app.js" | "/app.css"
    )
}

/// `EventSource` cannot send headers: the event stream takes the admin
/// token as `?token=` too.
pub(crate) fn token_in_query<'q>(
    rest: &str,
    query: Option<&'q str>,
) -> Option<std::borrow::Cow<'q, str>> {
    if rest.trim_end_matches('/') != "/events" {
        return None;
    }
    form_urlencoded::parse(query?.as_bytes())
        .find(|(k, _)| k == "token")
        .map(|(_, v)| v)
}

/// Whether a browser `Origin` is a page of this machine
/// (`http://localhost:5173`, `https://127.0.0.1:3000`): a dev server, not a
/// site on the internet.
pub(crate) fn local_origin(origin: &HeaderValue) -> bool {
    origin.to_str().ok().is_some_and(|o| {
        o.strip_prefix("http://")
            .or_else(|| o.strip_prefix("https://"))
            .is_some_and(names_this_machine)
    })
}

/// Whether `given` is the admin token (compared in constant time).
pub(crate) fn is_token(given: &str, token: &str) -> bool {
    same_secret(given.trim(), token)
}

/// An answer of the admin API: `body` of `media_type`, never cached.
fn typed(body: Bytes, media_type: &'static str) -> Response<Full<Bytes>> {
    let mut res = Response::new(Full::new(body));
    let h = res.headers_mut();
    h.insert(header::CONTENT_TYPE, HeaderValue::from_static(media_type));
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    res
}

fn page(text: &'static str, media_type: &'static str) -> Response<Full<Bytes>> {
    let mut res = typed(Bytes::from_static(text.as_bytes()), media_type);
    let h = res.headers_mut();
    h.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(PAGE_POLICY),
    );
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    h.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    );
    res
}

/// `GET /events`: server-sent events (see `server::events`).
fn events(state: &State) -> Response<Full<Bytes>> {
    let mut res = typed(Bytes::new(), "text/event-stream");
    super::body::replace(
        &mut res,
        super::body::AnswerBody::Events(state.events.subscribe()),
    );
    res
}

/// `GET /requests/ID`: one journal entry, and why it got its answer: the
/// candidate transactions with what matched and what differed, or for a
/// miss the closest documented routes and the methods the path allows.
fn request_detail(state: &State, contract: &Contract, id: u64) -> Response<Full<Bytes>> {
    let Some((entry, received)) = state.journal.entry(id, state.config.journal_secrets) else {
        return Problem::NoRoute.response(
            format!("the journal holds no request {id} (it keeps the last ones only)"),
            json!({}),
        );
    };
    let mut headers = HeaderMap::new();
    for (name, value) in &received.headers {
        if let (Ok(n), Ok(v)) = (
            header::HeaderName::from_bytes(name.as_bytes()),
            HeaderValue::from_str(value),
        ) {
            headers.append(n, v);
        }
    }
    let (path, query) = match received.target.split_once('?') {
        Some((p, q)) => (p, Some(q)),
        None => (received.target.as_str(), None),
    };
    let found = crate::matching::RequestHeaders::new(&headers);
    let request = crate::matching::RecordedRequest::read(
        &received.method,
        path,
        query,
        found,
        &received.body,
        crate::matching::BodyAs::Declared,
    )
    .or_else(|_| {
        crate::matching::RecordedRequest::read(
            &received.method,
            path,
            query,
            found,
            &received.body,
            crate::matching::BodyAs::Text,
        )
    });
    let candidates = request
        .as_ref()
        .map(|r| crate::matching::explain(contract, r))
        .unwrap_or_default();
    let closest = if candidates.is_empty() {
        super::problem::closest(contract, path)
    } else {
        Vec::new()
    };
    let allow: Vec<String> = match &request {
        Ok(r) if candidates.is_empty() => {
            crate::matching::allowed_methods(contract, &r.segments.segments())
                .iter()
                .map(ToString::to_string)
                .collect()
        }
        _ => Vec::new(),
    };
    json_response(
        StatusCode::OK,
        to_vec(&json!({
            "request": entry,
            "body_cut": received.body_cut,
            "candidates": candidates,
            "closest": closest,
            "allow": allow,
        })),
    )
}

/// `GET /state` (the sandbox's entities; `?session=NAME` for one session)
/// and `DELETE /state` (back to the documented entities: one session with
/// `?session=`, else all).
fn sandbox_state(
    state: &State,
    contract: &Contract,
    method: &Method,
    query: Option<&str>,
) -> Response<Full<Bytes>> {
    let Some(sandbox) = &state.sandbox else {
        return Problem::NoRoute.response(
            "the sandbox is off: start the server with --sandbox".into(),
            json!({}),
        );
    };
    let session = query.and_then(|q| {
        form_urlencoded::parse(q.as_bytes())
            .find(|(k, _)| k == "session")
            .map(|(_, v)| v.into_owned())
    });
    if method == Method::DELETE {
        let reset = sandbox.reset(session.as_deref());
        return json_response(StatusCode::OK, to_vec(&json!({ "reset_sessions": reset })));
    }
    json_response(
        StatusCode::OK,
        to_vec(&sandbox.state_json(contract, session.as_deref())),
    )
}

fn to_vec(v: &impl serde::Serialize) -> Vec<u8> {
    serde_json::to_vec_pretty(v).unwrap_or_default()
}

fn json_response(status: StatusCode, body: Vec<u8>) -> Response<Full<Bytes>> {
    let mut res = typed(Bytes::from(body), "application/json");
    *res.status_mut() = status;
    res
}

fn filter(query: Option<&str>, secrets: bool) -> Filter {
    let mut f = Filter {
        secrets,
        ..Filter::default()
    };
    for (k, v) in form_urlencoded::parse(query.unwrap_or("").as_bytes()) {
        match k.as_ref() {
            "unmatched" => f.unmatched = Some(v != "false"),
            "method" => f.method = Some(v.into_owned()),
            "path" => f.path = Some(v.into_owned()),
            "after" => f.after = v.parse().ok(),
            "limit" => {
                if let Ok(n) = v.parse() {
                    f.limit = Filter::page(n);
                }
            }
            _ => {}
        }
    }
    f
}

/// What a path segment cannot hold as it is.
const SEGMENT: &percent_encoding::AsciiSet = &percent_encoding::CONTROLS
    .add(b' ')
    .add(b'/')
    .add(b'?')
    .add(b'#')
    .add(b'%');

/// A transaction's own example URI: its endpoint's, with the path values
/// and query of the transaction's example.
fn example_uri(
    endpoint: &crate::contract::Endpoint,
    tx: &crate::contract::CompiledTransaction,
) -> Option<String> {
    let uri = endpoint.example_uri.as_deref()?;
    let path = uri.split('?').next().unwrap_or(uri);
    let mut segments: Vec<String> = path
        .split('/')
        .filter(|s| !s.is_empty())
        .map(str::to_string)
        .collect();
    for (i, value) in &tx.request.path {
        if let Some(s) = segments.get_mut(*i) {
            *s = percent_encoding::utf8_percent_encode(value, SEGMENT).to_string();
        }
    }
    let mut out = format!("/{}", segments.join("/"));
    if !tx.request.query.is_empty() {
        let query: String = form_urlencoded::Serializer::new(String::new())
            .extend_pairs(&tx.request.query)
            .finish();
        out.push('?');
        out.push_str(&query);
    }
    Some(out)
}

fn routes(contract: &Contract) -> Value {
    let endpoints: Vec<Value> = contract
        .endpoints()
        .iter()
        .map(|e| {
            let txs: Vec<Value> = e
                .transactions
                .iter()
                .map(|&id| {
                    let tx = contract.transaction(id);
                    let mut headers: Vec<(&str, &str)> = tx
                        .request
                        .headers
                        .iter()
                        .map(|h| (h.name.as_str(), h.value.as_str()))
                        .collect();
                    if let Some(ct) = &tx.request.content_type {
                        headers.insert(0, ("content-type", ct.as_str()));
                    }
                    let body = match &tx.request.body {
                        crate::contract::ExpectedBody::None => None,
                        crate::contract::ExpectedBody::Json { value, .. } => {
                            serde_json::to_string_pretty(value).ok()
                        }
                        crate::contract::ExpectedBody::Text(text) => Some(text.clone()),
                    };
                    json!({
                        "transaction": tx.label,
                        "request": tx.request_name,
                        "status": tx.response.status.as_u16(),
                        "example_uri": example_uri(e, tx),
                        "request_headers": headers,
                        "request_body": body,
                    })
                })
                .collect();
            json!({
                "method": e.method.as_str(),
                "uri_template": e.template,
                "name": e.label,
                "example_uri": e.example_uri,
                "transactions": txs,
            })
        })
        .collect();
    Value::Array(endpoints)
}
