//! `strangler`: the proxy and its operator commands.

use clap::Parser;
use std::process::ExitCode;

fn main() -> ExitCode {
    strangler_proxy::cli::main(strangler_proxy::cli::Cli::parse())
}
