//! `apib-mock`: arguments → library → exit code.

use std::process::ExitCode;

use clap::Parser;

/// mimalloc: the parser and the server make many small allocations, and
/// glibc's malloc spent a quarter of parse time on them (perf, 2,000-action
/// benchmark).
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> ExitCode {
    let cli = apib_mock::cli::Cli::parse();
    match apib_mock::cli::run(cli) {
        Ok(code) => code,
        Err(e) => {
            // A closed pipe (`routes | head`) is not an error worth a message.
            if e.downcast_ref::<std::io::Error>()
                .is_some_and(|io| io.kind() == std::io::ErrorKind::BrokenPipe)
            {
                return ExitCode::SUCCESS;
            }
            eprintln!("apib-mock: error: {e:#}");
            ExitCode::from(2)
        }
    }
}
