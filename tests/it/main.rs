//! The one integration-test binary: it runs the real `apib-mock` binary.

mod cli;
mod conformance;
mod serve;
mod support;
