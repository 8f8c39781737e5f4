//! The blueprint layer: API Blueprint text → [`Blueprint`] plus
//! diagnostics. Nothing here knows about HTTP serving.
//!
//! - `markdown` folds pulldown-cmark events into blocks with spans;
//! - `signature` and `parameters` read one-line section signatures;
//! - `uri_template` parses RFC 6570 (+ Rails `:id`) templates;
//! - `rspec` reads the example URIs rspec_api_documentation writes;
//! - `parser` walks the blocks into the model (`model`);
//! - `transaction` pairs requests and responses as the format defines.

mod list_layout;
mod markdown;
mod model;
pub(crate) mod mson;
mod parameters;
mod parser;
mod rspec;
mod signature;
mod transaction;
pub(crate) mod uri_template;

pub use model::{
    Action, Asset, Attributes, Blueprint, DataStructure, Example, Group, Message, Parameter,
    Request, Resource, Response,
};
pub use parser::is_json_media_type;
pub use parser::parse;
pub(crate) use signature::edit_distance;
pub use transaction::Transaction;
pub use uri_template::UriTemplate;
