//! The HTTP side: hyper lives here and nowhere else.
//!
//! `listener` accepts connections and runs hyper; `service` turns each
//! request into a `RecordedRequest`, asks `matching`, and builds the
//! documented response, or a `problem` response for a miss; `cors` adds
//! the browser headers; `log` writes one line per request off the request
//! path; `deadline` cuts off clients too slow to send a request head.

mod admin;
mod body;
mod cors;
mod coverage;
mod deadline;
mod events;
mod journal;
mod limits;
mod listener;
mod log;
mod network;
mod problem;
mod proxy;
mod random;
mod recorder;
mod sandbox;
mod service;
mod startup;
#[cfg(feature = "tls")]
mod tls;

pub use admin::DEFAULT_PREFIX;
pub use coverage::{Coverage, CoveredTransaction};
pub use journal::ReceivedRequest;
#[cfg(feature = "cli")]
pub(crate) use limits::{default_max_connections, parse_size};
pub use listener::RunningServer;
#[cfg(feature = "cli")]
pub use listener::serve;
pub use log::LogFormat;
pub use network::{Delay, DelayRule, NetworkConfig};
#[cfg(feature = "cli")]
pub(crate) use network::{parse_rate, parse_share};
pub use proxy::ProxyConfig;
#[cfg(feature = "cli")]
pub(crate) use proxy::check as check_proxy;
pub use sandbox::SandboxConfig;
pub use service::ServeConfig;
pub use startup::{Startup, StartupError, prepare, prepare_with};
#[cfg(feature = "tls")]
pub use tls::TlsIdentity;
#[cfg(feature = "cli")]
pub(crate) use tls::check as check_tls;
