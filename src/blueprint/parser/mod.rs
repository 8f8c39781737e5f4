//! The blueprint parser: blocks → [`Blueprint`](super::Blueprint) plus
//! diagnostics.
//!
//! `walk` holds the cursor and reads headings and top-level lists;
//! `message` reads requests, responses and models; `params` reads
//! `+ Parameters`; `checks` runs the whole-document checks once everything
//! is read. They share one `Parser` state, each adding its methods.

mod checks;
mod message;
mod mson;
mod params;
mod walk;

pub use message::is_json_media_type;
pub use walk::parse;

#[cfg(test)]
mod tests;
