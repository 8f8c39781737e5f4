//! The command line: clap arguments → commands → exit codes.
//!
//! Exit codes are part of the interface: 0 success (warnings allowed),
//! 1 the spec has errors, 2 the command could not run (unreadable file,
//! bad arguments).

use std::io::Write;
use std::process::ExitCode;

use anyhow::Context;
use clap::{Parser, Subcommand, ValueEnum};
use serde::Serialize;

use crate::diag::{Diagnostic, Severity};
use crate::load::{self, Loaded};
use crate::routes;

/// A spec-driven contract mock server for API Blueprint.
#[derive(Debug, Parser)]
#[command(name = "apib-mock", version, about)]
pub struct Cli {
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Parse the specs and print diagnostics (exit 1 on errors).
    Check {
        /// Spec files, directories (all *.apib and *.md, recursively) or
        /// globs. Default: ./specs, else the built-in retailer spec.
        specs: Vec<String>,
        /// Output format.
        #[arg(long, value_enum, default_value_t = Format::Human)]
        format: Format,
    },
    /// List every transaction (request/response pair) in document order.
    Routes {
        /// Spec files, directories or globs (as for `check`).
        specs: Vec<String>,
        /// Print a JSON array (stable interface, see README).
        #[arg(long)]
        json: bool,
    },
}

/// Diagnostic output formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Format {
    /// `file:line:col: severity: message`, one per line.
    Human,
    /// One JSON object with every diagnostic.
    Json,
}

/// Runs the parsed command line and returns the process exit code.
pub fn run(cli: Cli) -> anyhow::Result<ExitCode> {
    match cli.command {
        Command::Check { specs, format } => check(&specs, format),
        Command::Routes { specs, json } => list_routes(&specs, json),
    }
}

#[derive(Serialize)]
struct CheckReport<'a> {
    files: Vec<&'a str>,
    transactions: usize,
    errors: usize,
    warnings: usize,
    diagnostics: &'a [Diagnostic],
}

fn check(specs: &[String], format: Format) -> anyhow::Result<ExitCode> {
    let loaded = load::load(specs)?;
    let count = |s| {
        loaded
            .diagnostics
            .iter()
            .filter(|d| d.severity == s)
            .count()
    };
    let report = CheckReport {
        files: loaded
            .documents
            .iter()
            .map(|d| &**d.source.name())
            .collect(),
        transactions: loaded
            .documents
            .iter()
            .map(|d| d.blueprint.transactions().len())
            .sum(),
        errors: count(Severity::Error),
        warnings: count(Severity::Warning),
        diagnostics: &loaded.diagnostics,
    };
    let mut out = std::io::stdout().lock();
    match format {
        Format::Json => {
            serde_json::to_writer_pretty(&mut out, &report)?;
            writeln!(out)?;
        }
        Format::Human => {
            for d in &loaded.diagnostics {
                writeln!(out, "{d}")?;
            }
            writeln!(
                out,
                "{}: {} transactions, {} errors, {} warnings",
                report.files.join(", "),
                report.transactions,
                report.errors,
                report.warnings
            )?;
        }
    }
    Ok(exit_for(&loaded))
}

fn list_routes(specs: &[String], json: bool) -> anyhow::Result<ExitCode> {
    let loaded = load::load(specs)?;
    let mut err = std::io::stderr().lock();
    for d in &loaded.diagnostics {
        writeln!(err, "{d}")?;
    }
    let entries = routes::entries(&loaded.documents);
    let mut out = std::io::stdout().lock();
    if json {
        serde_json::to_writer_pretty(&mut out, &entries).context("writing routes")?;
        writeln!(out)?;
    } else {
        out.write_all(routes::render_table(&entries).as_bytes())?;
    }
    Ok(exit_for(&loaded))
}

fn exit_for(loaded: &Loaded) -> ExitCode {
    if loaded.has_errors() {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    }
}
