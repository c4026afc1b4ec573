//! `strangler`: the proxy and its operator commands.

use clap::Parser;
use std::process::ExitCode;

/// Every request allocates (headers, buffers, the ACL's documents); mimalloc
/// serves those small blocks from per-thread pages in far fewer instructions
/// than glibc's malloc and free (`docs/performance.md`). It is built without
/// transparent huge pages (`.cargo/config.toml`), which would double the
/// proxy's resident memory.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> ExitCode {
    strangler_proxy::cli::main(strangler_proxy::cli::Cli::parse())
}
