//! `apib-mock`: arguments → library → exit code.

use std::process::ExitCode;

use clap::Parser;

// The binary's own: the library has no unsafe code.
#[path = "main/alloc.rs"]
mod alloc;

/// mimalloc (see `main/alloc.rs`).
#[global_allocator]
static GLOBAL: alloc::Mimalloc = alloc::Mimalloc;

fn main() -> ExitCode {
    let cli = apib_mock::cli::Cli::parse();
    // Once idle after a burst, the server gives mimalloc's free memory
    // back to the system.
    match apib_mock::cli::run(cli, Some(alloc::release_free_memory)) {
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
