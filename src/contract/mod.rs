//! The compiled contract: what the server answers from.
//!
//! `Contract::compile` turns parsed documents into everything a request
//! needs, once, at load time: the route index (`route_index`, built from
//! `path_pattern`), each transaction's expected request (query, path values,
//! headers, parsed JSON body) and its ready-to-send response (status, header
//! values, body bytes). Nothing is parsed or allocated per request that
//! could have been prepared here.

pub mod collections;
mod compile;
pub(crate) use compile::{FRAMING_HEADERS, essence};
pub(crate) mod infer;
pub mod json_shape;
pub(crate) mod path_pattern;
mod route_index;
mod rules;
mod types;

/// Names the transaction that answered (on every documented answer).
pub(crate) const TRANSACTION_HEADER: hyper::header::HeaderName =
    hyper::header::HeaderName::from_static("apib-mock-transaction");

pub use rules::{BodyRule, ParamPlace, Rules, SchemaOrigin, Source};
#[cfg(test)]
pub(crate) use types::ExpectedRequest;
pub(crate) use types::one_media_type;
pub use types::{CompiledTransaction, Contract, Endpoint, ExpectedBody};
