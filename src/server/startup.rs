//! The one way a server starts: SPEC arguments → documents → the compiled
//! contract (with its strict-mode rules when asked) → the live contract a
//! server answers from, refusing what cannot be served: a spec with
//! errors, or one that documents routes under the admin API's prefix. The
//! CLI, `MockServer` and the tests all start this way, so they cannot
//! drift apart.

use std::sync::Arc;

use crate::contract::Contract;
use crate::diag::Diagnostic;
use crate::load::{self, LoadError, SpecLimits};
use crate::reload::LiveContract;

/// A contract ready to serve.
#[derive(Debug)]
#[non_exhaustive]
pub struct Startup {
    /// The live contract (reloads may swap it; the admin prefix is
    /// reserved in it).
    pub live: Arc<LiveContract>,
    /// Warnings of the specs and of compiling them.
    pub diagnostics: Vec<Diagnostic>,
    /// The built-in spec was served (no file to watch).
    pub embedded: bool,
}

/// Why a contract cannot be served.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum StartupError {
    /// A spec could not be read.
    #[error(transparent)]
    Load(#[from] LoadError),
    /// The specs have errors; every diagnostic, errors and warnings.
    #[error("the specs have errors")]
    Spec {
        /// All diagnostics, in order.
        diagnostics: Vec<Diagnostic>,
    },
    /// Routes are documented under the admin prefix, which would shadow
    /// them.
    #[error("the spec documents routes under the admin prefix {prefix} ({})", .routes.join(", "))]
    AdminPrefixClash {
        /// The prefix.
        prefix: String,
        /// The documented URI templates under it.
        routes: Vec<String>,
        /// The warnings of the specs.
        diagnostics: Vec<Diagnostic>,
    },
}

impl Startup {
    /// No contract at all (`record` with no SPEC: every request goes to
    /// the backend); nothing to watch.
    #[cfg(feature = "cli")]
    pub(crate) fn empty() -> Startup {
        Startup {
            live: LiveContract::fixed(Arc::new(Contract::default())),
            diagnostics: Vec::new(),
            embedded: true,
        }
    }
}

impl StartupError {
    /// The diagnostics of the specs, to show with the error (none when a
    /// spec could not be read).
    pub fn diagnostics(&self) -> &[Diagnostic] {
        match self {
            StartupError::Load(_) => &[],
            StartupError::Spec { diagnostics }
            | StartupError::AdminPrefixClash { diagnostics, .. } => diagnostics,
        }
    }
}

/// Loads `specs`, compiles them (with strict-mode rules when `strict`)
/// and makes the live contract, with `admin_prefix` reserved.
pub fn prepare(
    specs: &[String],
    strict: bool,
    admin_prefix: Option<&str>,
) -> Result<Startup, StartupError> {
    prepare_with(specs, strict, admin_prefix, SpecLimits::default())
}

/// [`prepare`] reading specs (now and at every reload) within `limits`.
pub fn prepare_with(
    specs: &[String],
    strict: bool,
    admin_prefix: Option<&str>,
    limits: SpecLimits,
) -> Result<Startup, StartupError> {
    let loaded = load::load_with(specs, limits)?;
    let (contract, compile_diagnostics) = Contract::compile_with(&loaded.documents, strict);
    let mut diagnostics = loaded.diagnostics.clone();
    diagnostics.extend(compile_diagnostics);
    if loaded.has_errors() {
        return Err(StartupError::Spec { diagnostics });
    }
    if let Some(prefix) = admin_prefix {
        let routes = contract.templates_under(prefix);
        if !routes.is_empty() {
            return Err(StartupError::AdminPrefixClash {
                prefix: prefix.to_string(),
                routes: routes.into_iter().map(str::to_string).collect(),
                diagnostics,
            });
        }
    }
    let embedded = loaded.files.is_empty();
    let live = LiveContract::new(contract, specs.to_vec(), limits, &loaded);
    if let Some(prefix) = admin_prefix {
        live.reserve_prefix(prefix);
    }
    Ok(Startup {
        live,
        diagnostics,
        embedded,
    })
}
