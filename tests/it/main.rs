//! The one integration-test binary: it runs the real `apib-mock` binary.

mod cli;
mod conformance;
mod cors;
mod robustness;
mod serve;
mod serve_binary;
mod snapshots_diag;
mod support;
