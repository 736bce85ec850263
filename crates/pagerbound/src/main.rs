//! `pagerbound`: the server and its command line.

mod cli;
mod commands;
mod logging;
mod output;

use clap::Parser;
use std::process::ExitCode;

// Ingest allocates and frees many small objects on several threads;
// mimalloc does that with far less contention and fragmentation than the
// system allocator (measured: a third of ingest CPU went to glibc malloc).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> ExitCode {
    let cli = cli::Cli::parse();
    logging::init(cli.log_format);
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(error) => {
            eprintln!("error: cannot start the async runtime: {error}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(commands::run(cli.command)) {
        Ok(code) => code,
        Err(error) => {
            eprintln!("error: {error:#}");
            ExitCode::FAILURE
        }
    }
}
