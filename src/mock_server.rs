//! A mock server for Rust test suites, in the spirit of the wiremock
//! crate: start one from a blueprint inside a `#[tokio::test]`, point the
//! code under test at its URI, then read what it received and assert the
//! contract was covered.
//!
//! ```
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() {
//! use apib_mock::MockServer;
//!
//! // Arrange: the user's spec, strict, on a free port.
//! let spec = concat!(env!("CARGO_MANIFEST_DIR"), "/specs/retailers.apib");
//! let server = MockServer::builder(spec).strict(true).start().await.unwrap();
//!
//! // Act: the code under test calls the API.
//! let res = reqwest::Client::new()
//!     .get(format!("{}/retailers/api/v1/agents", server.uri()))
//!     .header("Slug", "test-connection")
//!     .header("Api-Key", "any")
//!     .send()
//!     .await
//!     .unwrap();
//!
//! // Assert: the documented answer, and what the mock saw.
//! assert_eq!(res.status(), 200);
//! let received = server.received_requests();
//! assert_eq!(received.len(), 1);
//! assert_eq!(received[0].transaction.as_deref(), Some("Agents > Agents > Get agents > #1"));
//! server.assert_no_unmatched_requests();
//! assert_eq!(server.coverage().exercised, 1);
//! # }
//! ```

use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use crate::diag::Diagnostic;
pub use crate::server::Coverage;
use crate::server::{ReceivedRequest, RunningServer, ServeConfig, StartupError};

/// Why a mock server could not start.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum StartError {
    /// The spec could not be read.
    #[error(transparent)]
    Load(#[from] crate::load::LoadError),
    /// The spec has errors (each one located).
    #[error("the spec has errors:\n{}", .0.iter().map(ToString::to_string).collect::<Vec<_>>().join("\n"))]
    Spec(Vec<Diagnostic>),
    /// No loopback port could be bound.
    #[error("cannot listen on 127.0.0.1: {0}")]
    Bind(#[from] std::io::Error),
    /// The spec documents routes under the admin API's prefix, which would
    /// shadow them (as `apib-mock serve` refuses too).
    #[error(
        "the spec documents routes under the admin prefix {prefix} ({}); choose another \
         prefix with `admin_prefix`, or none",
        .routes.join(", ")
    )]
    AdminPrefixClash {
        /// The admin prefix.
        prefix: String,
        /// The documented URI templates under it.
        routes: Vec<String>,
    },
}

/// A mock server serving a blueprint on `127.0.0.1`, on a free port. It
/// stops when dropped.
#[derive(Debug)]
pub struct MockServer {
    server: RunningServer,
}

/// Options for [`MockServer`]: strict mode, CORS, journal size.
#[derive(Debug)]
pub struct MockServerBuilder {
    spec: PathBuf,
    strict: bool,
    config: ServeConfig,
}

impl MockServer {
    /// Serves `spec` (a file, a directory or a glob) with default options.
    pub async fn start(spec: impl AsRef<Path>) -> Result<MockServer, StartError> {
        Self::builder(spec).start().await
    }

    /// Options before starting.
    pub fn builder(spec: impl AsRef<Path>) -> MockServerBuilder {
        MockServerBuilder {
            spec: spec.as_ref().to_path_buf(),
            strict: false,
            config: ServeConfig::default(),
        }
    }

    /// `http://127.0.0.1:PORT`, to point the code under test at.
    pub fn uri(&self) -> String {
        format!("http://{}", self.server.addr())
    }

    /// The bound address.
    pub fn address(&self) -> SocketAddr {
        self.server.addr()
    }

    /// The requests received so far (the journal's last 1,000 unless
    /// [`MockServerBuilder::journal_size`] says otherwise), oldest first.
    pub fn received_requests(&self) -> Vec<ReceivedRequest> {
        self.server.state().journal.received()
    }

    /// Forgets the requests received so far, and (with
    /// [`MockServerBuilder::sandbox`]) puts every sandbox session back to
    /// the documented entities.
    pub fn reset(&self) {
        let state = self.server.state();
        state.journal.clear();
        if let Some(sandbox) = &state.sandbox {
            sandbox.reset(None);
        }
    }

    /// How often each documented transaction answered.
    pub fn coverage(&self) -> Coverage {
        Coverage::of(&self.server.state().live.contract())
    }

    /// Panics, listing them, if some requests matched no documented
    /// transaction or broke the contract (`strict`). A test helper: it
    /// panics on purpose, as assertions do.
    #[track_caller]
    pub fn assert_no_unmatched_requests(&self) {
        let bad: Vec<String> = self
            .received_requests()
            .into_iter()
            .filter(|r| r.problem.is_some())
            .map(|r| {
                format!(
                    "{} {}{} → {} {}",
                    r.method,
                    r.path,
                    r.query.map(|q| format!("?{q}")).unwrap_or_default(),
                    r.status,
                    r.problem.unwrap_or_default()
                )
            })
            .collect();
        assert!(
            bad.is_empty(),
            "{} request(s) did not match the contract:\n{}",
            bad.len(),
            bad.join("\n")
        );
    }

    /// Panics, listing them, unless every documented transaction answered
    /// at least once.
    #[track_caller]
    pub fn assert_all_exercised(&self) {
        let coverage = self.coverage();
        assert!(
            coverage.never_exercised.is_empty(),
            "{} of {} documented transactions were never exercised:\n{}",
            coverage.never_exercised.len(),
            coverage.total,
            coverage
                .never_exercised
                .iter()
                .map(|t| t.transaction.as_str())
                .collect::<Vec<_>>()
                .join("\n")
        );
    }
}

impl MockServerBuilder {
    /// Validate requests against the contract (`serve --strict`).
    pub fn strict(mut self, strict: bool) -> Self {
        self.strict = strict;
        self
    }

    /// Add CORS headers and answer preflights (on by default).
    pub fn cors(mut self, cors: bool) -> Self {
        self.config.cors = cors;
        self
    }

    /// Keep state for the contract's collections (`serve --sandbox`):
    /// created entities are listed and read back, updates stick, deletes
    /// delete.
    pub fn sandbox(mut self, sandbox: bool) -> Self {
        self.config.sandbox = sandbox.then(crate::server::SandboxConfig::default);
        self
    }

    /// Requests the journal keeps (default 1,000).
    pub fn journal_size(mut self, size: usize) -> Self {
        self.config.journal_size = size;
        self
    }

    /// Where the admin API lives (`/__mock` by default); `None` turns it
    /// off. A spec that documents routes under it is refused, so the admin
    /// API never shadows the contract.
    pub fn admin_prefix(mut self, prefix: Option<&str>) -> Self {
        self.config.admin_prefix = prefix.map(|p| format!("/{}", p.trim_matches('/')));
        self
    }

    /// Loads the spec and starts serving it on a free loopback port, on
    /// the current tokio runtime.
    pub async fn start(self) -> Result<MockServer, StartError> {
        let specs = vec![self.spec.display().to_string()];
        let prefix = self.config.admin_prefix.as_deref();
        let startup = match crate::server::prepare(&specs, self.strict, prefix) {
            Ok(startup) => startup,
            Err(StartupError::Load(e)) => return Err(StartError::Load(e)),
            Err(StartupError::Spec { diagnostics }) => {
                let errors = diagnostics
                    .into_iter()
                    .filter(Diagnostic::is_error)
                    .collect();
                return Err(StartError::Spec(errors));
            }
            Err(StartupError::AdminPrefixClash { prefix, routes, .. }) => {
                return Err(StartError::AdminPrefixClash { prefix, routes });
            }
        };
        let listener = std::net::TcpListener::bind("127.0.0.1:0")?;
        let server = RunningServer::start_live(listener, startup.live, self.config)?;
        Ok(MockServer { server })
    }
}
