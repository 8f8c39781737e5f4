//! Request × contract → the transaction that answers it.
//!
//! `request` reads a request into a [`RecordedRequest`], a view of its
//! borrowed parts with what matching needs decoded (path and query, the
//! headers it reads by name, the JSON body's structure); `select` finds
//! the candidates through the route index and scores them, using
//! `negotiate` (`Accept`, `Prefer`); bodies are compared by the contract's
//! JSON fingerprint (`contract::json_shape`).
//! Nothing here knows about sockets.

mod closest;
mod explain;
mod negotiate;
mod request;
mod select;

pub use closest::closest_routes;
pub use explain::explain;
pub use request::{BodyAs, RecordedRequest, RequestError, RequestHeaders};
pub use select::{MatchOutcome, allowed_methods, select};
