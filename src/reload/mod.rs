//! Hot reload: the served contract is swapped whole when a spec file
//! changes (`live`), on file events from notify (`watch`). A reload that
//! fails keeps the last good contract.

mod live;
#[cfg(feature = "cli")]
mod watch;

pub use live::{Diff, ErrorRecord, LiveContract, Outcome, ReloadRecord};
#[cfg(feature = "cli")]
pub use watch::{DEBOUNCE, Watcher, watch};
