//! vouchsafe: parse the command line, start logging, run, map the outcome to an exit
//! code (0 clean, 1 a policy result, 2 an error).

mod ai;
mod attest;
mod cli;
mod commands;
mod demo;
mod git;
mod hooks;
mod incident;
mod install;
mod policy;
mod report;
mod scan;

use std::process::ExitCode;

use clap::Parser;

/// What a command concluded, as distinct from failing to run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    /// Clean, verified, done.
    Ok,
    /// A policy result: a secret found, a commit blocked, a verification failed.
    Blocked,
}

fn main() -> ExitCode {
    let cli = cli::Cli::parse();
    init_logging();
    match commands::run(cli) {
        Ok(Status::Ok) => ExitCode::SUCCESS,
        Ok(Status::Blocked) => ExitCode::from(1),
        Err(e) => {
            if is_broken_pipe(&e) {
                return ExitCode::SUCCESS;
            }
            eprintln!("vouchsafe: error: {e}");
            for cause in e.chain().skip(1) {
                eprintln!("  caused by: {cause}");
            }
            ExitCode::from(2)
        }
    }
}

/// Logging is off unless `VOUCHSAFE_LOG` is set (`debug`, `vouchsafe=trace`, ...);
/// a hook must print nothing it was not asked for.
fn init_logging() {
    let Some(spec) = std::env::var_os("VOUCHSAFE_LOG") else {
        return;
    };
    let filter = tracing_subscriber::EnvFilter::try_new(spec.to_string_lossy())
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_target(false)
        .try_init();
}

fn is_broken_pipe(e: &anyhow::Error) -> bool {
    e.chain().any(|c| {
        c.downcast_ref::<std::io::Error>()
            .is_some_and(|io| io.kind() == std::io::ErrorKind::BrokenPipe)
    })
}
