//! `stack`: the whole local stack, supervised (see the crate docs).

use clap::Parser;
use std::process::ExitCode;

fn main() -> ExitCode {
    stack::run(stack::cli::Args::parse())
}
