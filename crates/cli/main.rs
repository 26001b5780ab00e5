//! `beian`: the binary edge. Parses flags and dispatches to one module per command; each
//! turns its flags into settings, calls the libraries, shows progress and prints what they
//! return. The only place that knows clap, indicatif and anyhow.

// The binary edge: the one place that writes to the terminal.
#![allow(clippy::print_stdout, clippy::print_stderr)]

mod args;
mod audit;
mod demo;
mod evidence;
mod extract;
mod finalize;
mod fleet;
mod hints;
mod limits;
mod mirror;
mod report;
mod reporter;
mod rules;
mod run;
mod settings;
mod summary;

// jemalloc rather than glibc's malloc: the audit allocates and frees per request (TLS
// records, bodies, rows), and glibc's malloc and free were ~15% of its CPU. A/B on the
// 10,000-domain fleet, three runs each: audit CPU 16.9–19.0 s against 19.4–22.0 s, peak RSS
// unchanged (110–115 MiB); at 100,000 domains 120 MiB (BENCHMARKS.md). mimalloc was also
// faster but held 175 MiB.
#[cfg(not(target_env = "msvc"))]
#[global_allocator]
static GLOBAL: tikv_jemallocator::Jemalloc = tikv_jemallocator::Jemalloc;

use std::process::ExitCode;

use anyhow::Result;
use clap::Parser;

use args::{Cli, Command, FleetCommand};

fn main() -> ExitCode {
    let cli = Cli::parse();
    // Extraction runs on the blocking pool: CPU-bound, so a few threads per core are enough,
    // and each thread's stack and buffers count against the memory budget.
    let cores = std::thread::available_parallelism().map_or(2, std::num::NonZero::get);
    let rt = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .max_blocking_threads(cores * 4)
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("beian: cannot start the runtime: {e}");
            return ExitCode::from(2);
        }
    };
    match rt.block_on(dispatch(cli)) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("beian: {e:#}");
            if let Some(h) = hints::hint(&e) {
                eprintln!("hint: {h}");
            }
            ExitCode::from(2)
        }
    }
}

async fn dispatch(cli: Cli) -> Result<ExitCode> {
    match cli.command {
        Command::Audit(a) => audit::audit_cmd(*a).await,
        Command::Extract(a) => extract::extract_cmd(&a),
        Command::Fleet {
            command: FleetCommand::Serve(a),
        } => fleet::fleet_serve(a).await,
        Command::Demo(a) => demo::demo(a).await,
        Command::Report(a) => report::report_cmd(&a).await,
        Command::Finalize { run, input } => finalize::finalize_cmd(&run, input.as_deref()).await,
        Command::Evidence(a) => evidence::evidence_cmd(&a).await,
        Command::Rules { markdown, markers } => rules::rules_cmd(markdown, markers),
    }
}
