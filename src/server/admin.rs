//! The mock's own API, under a prefix (`/__mock` unless `--admin-prefix`
//! says otherwise; `--no-admin` turns it off). JSON everywhere:
//!
//! - `GET  {prefix}/status`: files, counts, reloads, last error;
//! - `GET  {prefix}/requests[?unmatched=true&method=GET&path=/x]`: the journal;
//! - `DELETE {prefix}/requests`: empties it;
//! - `GET  {prefix}/coverage`: each documented transaction with how often
//!   it answered, and the ones never exercised;
//! - `GET  {prefix}/routes`: the endpoints and their transactions.
//!
//! The prefix never shadows a documented route: a contract with routes
//! under it is refused at load (see [`clashes`]).

use bytes::Bytes;
use http_body_util::Full;
use hyper::header::{self, HeaderValue};
use hyper::{Method, Response, StatusCode};
use serde_json::{Value, json};

use super::journal::Filter;
use super::problem::Problem;
use super::service::State;
use crate::contract::Contract;

/// The default prefix.
pub const DEFAULT_PREFIX: &str = "/__mock";

/// Answers an admin request (`rest` is the path after the prefix).
pub(crate) fn answer(
    state: &State,
    contract: &Contract,
    method: &Method,
    rest: &str,
    query: Option<&str>,
) -> Response<Full<Bytes>> {
    let get = matches!(*method, Method::GET | Method::HEAD);
    match (rest.trim_end_matches('/'), get, method) {
        ("/status", true, _) => json_response(StatusCode::OK, state.live.status_json()),
        ("/requests", true, _) => {
            let filter = filter(query);
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
        _ => Problem::NoRoute.response(
            format!("{method} {rest} is not part of the mock's admin API"),
            json!({ "admin": ["GET status", "GET requests", "DELETE requests", "GET coverage", "GET routes"] }),
        ),
    }
}

fn to_vec(v: &impl serde::Serialize) -> Vec<u8> {
    serde_json::to_vec_pretty(v).unwrap_or_default()
}

fn json_response(status: StatusCode, body: Vec<u8>) -> Response<Full<Bytes>> {
    let mut res = Response::new(Full::new(Bytes::from(body)));
    *res.status_mut() = status;
    let h = res.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    res
}

fn filter(query: Option<&str>) -> Filter {
    let mut f = Filter::default();
    for (k, v) in form_urlencoded::parse(query.unwrap_or("").as_bytes()) {
        match k.as_ref() {
            "unmatched" => f.unmatched = Some(v != "false"),
            "method" => f.method = Some(v.into_owned()),
            "path" => f.path = Some(v.into_owned()),
            _ => {}
        }
    }
    f
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
                    json!({
                        "transaction": tx.label,
                        "request": tx.request_name,
                        "status": tx.response.status.as_u16(),
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
