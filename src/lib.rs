//! apib-mock: a contract mock server driven by API Blueprint documents.
//!
//! The public API is small:
//!
//! - [`MockServer`]: a mock of a documented API for Rust test suites, with
//!   its request journal ([`ReceivedRequest`]) and [`Coverage`];
//! - [`prepare`] → [`Startup`] → [`RunningServer`] with a [`ServeConfig`]:
//!   what `apib-mock serve` does, for programs that embed the server (the
//!   [`LiveContract`] reloads when asked), with the sandbox
//!   ([`SandboxConfig`]), the simulated network ([`NetworkConfig`]) and a
//!   backend for what the contract does not document ([`ProxyConfig`]);
//! - [`blueprint::parse`]: an API Blueprint document → [`Blueprint`], plain
//!   data with source spans, and the [`diag`] types that locate problems.
//!
//! Inside, the crate is layered, each layer using only those before it
//! (checked by `tests/it/layers.rs`): `diag` → `blueprint` → `load` →
//! `contract` → `matching` → `validate`, `reload` → `server`, `verify`,
//! `routes` → `mock_server` → `cli`. `docs/architecture.md` says what each
//! owns. The command line (`cli`, with clap, notify and the binary's
//! allocator) is the default `cli` feature; a library user may turn it off.
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
#[cfg(feature = "cli")]
#[doc(hidden)]
pub mod cli;
mod contract;
pub mod diag;
mod load;
mod matching;
mod mock_server;
mod reload;
#[cfg(feature = "cli")]
mod routes;
mod server;
mod validate;
#[cfg(feature = "cli")]
mod verify;

pub use blueprint::{Blueprint, Transaction};
pub use diag::{Diagnostic, Severity, SourceFile};
pub use load::{LoadError, SpecLimits};
pub use mock_server::{MockServer, MockServerBuilder, StartError};
pub use reload::{Diff, ErrorRecord, LiveContract, Outcome as ReloadOutcome, ReloadRecord};
#[cfg(feature = "tls")]
pub use server::TlsIdentity;
pub use server::{
    Coverage, CoveredTransaction, DEFAULT_PREFIX as DEFAULT_ADMIN_PREFIX, Delay, DelayRule,
    LogFormat, NetworkConfig, ProxyConfig, ReceivedRequest, RunningServer, SandboxConfig,
    ServeConfig, Startup, StartupError, prepare, prepare_with,
};

/// Internals for the project's own benches, fuzz targets and tests: not a
/// stable API, and not part of the documentation.
#[doc(hidden)]
pub mod __private {
    pub use crate::blueprint::UriTemplate;
    pub use crate::contract::Contract;
    pub use crate::contract::json_shape::{reference_shape_of, shape_of};
    pub use crate::load::{normalise_line_ends, parse_bytes};
    pub use crate::matching::{RecordedRequest, RequestHeaders, select};
    #[cfg(feature = "cli")]
    pub use crate::reload::{DEBOUNCE, Watcher, watch};
}
