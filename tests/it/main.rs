//! The one integration-test binary: it runs the real `apib-mock` binary.

mod admin;
mod cli;
mod compat;
mod conformance;
mod cors;
mod dashboard;
mod hardening;
mod layers;
mod library;
mod mson;
mod mson_fixtures;
mod network;
mod properties;
mod proxy;
mod reload;
mod robustness;
mod sandbox;
mod security;
mod serve;
mod serve_binary;
mod snapshots_diag;
mod strict;
mod support;
mod tls;
mod verify;
