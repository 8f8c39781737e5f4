//! apib-mock: a contract mock server driven by API Blueprint documents.
//!
//! The crate is layered, each layer using only those before it (checked
//! by `tests/it/layers.rs`):
//!
//! - [`diag`]: spans, line/column resolution and diagnostics;
//! - [`blueprint`]: markdown → [`Blueprint`] (plain data with spans);
//! - [`load`]: SPEC arguments (files, directories, globs) → documents;
//! - [`contract`]: documents → the compiled contract the server answers
//!   from (route index, expected requests, strict-mode rules, the JSON body
//!   fingerprint);
//! - [`matching`]: request × contract → the transaction that answers;
//! - [`validate`], [`reload`]: strict checks of a request against the
//!   rules; the live contract and the file watcher;
//! - [`server`], [`verify`], [`routes`]: hyper serving; checking a real
//!   server against the contract; the transaction listing;
//! - [`MockServer`]: the library API for Rust test suites;
//! - `cli`: the command line.
//!
//! ```
//! use apib_mock::{blueprint, diag::SourceFile};
//!
//! let src = SourceFile::new("notes.apib", "# Notes\n## Note [/notes/{id}]\n+ Parameters\n    + id: `1`\n### Get [GET]\n+ Response 200 (text/plain)\n\n        hello\n".into());
//! let (bp, diagnostics) = blueprint::parse(&src);
//! assert!(diagnostics.is_empty());
//! let tx = &bp.transactions()[0];
//! assert_eq!(tx.example_uri().as_deref(), Some("/notes/1"));
//! assert_eq!(tx.response.unwrap().message.body.as_ref().unwrap().text, "hello\n");
//! ```
//!
//! The library has no `unsafe` code; the binary's allocator (mimalloc,
//! `src/main/alloc.rs`) is the only unsafe code of the project.

#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub mod blueprint;
pub mod cli;
pub mod contract;
pub mod diag;
pub mod load;
pub mod matching;
mod mock_server;
pub mod reload;
pub mod routes;
pub mod server;
pub mod validate;
pub mod verify;

pub use blueprint::{Blueprint, Transaction};
pub use diag::{Diagnostic, Severity};
pub use mock_server::{Coverage, CoveredTransaction, MockServer, MockServerBuilder, StartError};
pub use server::ReceivedRequest;
