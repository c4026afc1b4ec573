//! Link options of the `strangler` binary.

use std::env;
use std::path::Path;

fn main() {
    // Relative relocations packed (DT_RELR, glibc 2.36+): the loader reads a
    // few KiB instead of a megabyte-sized table at start, and that table no
    // longer stays resident for the life of the proxy.
    if env::var("CARGO_CFG_TARGET_OS").as_deref() == Ok("linux")
        && env::var("CARGO_CFG_TARGET_ENV").as_deref() == Ok("gnu")
    {
        println!("cargo:rustc-link-arg-bins=-Wl,-z,pack-relative-relocs");
    }
    link_order();
}

/// Release builds lay out the functions the proxy runs (start-up and
/// requests, `link-order.txt`, written by `bench/link-order`) first in the
/// code. The kernel maps code 64 KiB around each page a process first runs:
/// the 3 MB of functions a start runs, spread over a 12 MB `.text`, left
/// 8 MiB resident; packed together they leave under 4.
///
/// Only with the linker Rust uses by default on x86-64 Linux (rust-lld;
/// GNU ld has no such option): not when a linker is configured, or linker
/// flags are set. `STRANGLER_LINK_ORDER=off` leaves it out. Names the
/// binary lacks (the file is older than the code) are skipped.
fn link_order() {
    println!("cargo:rerun-if-changed=link-order.txt");
    println!("cargo:rerun-if-env-changed=STRANGLER_LINK_ORDER");
    let default_linker = env::var("TARGET").as_deref() == Ok("x86_64-unknown-linux-gnu")
        && env::var_os("RUSTC_LINKER").is_none()
        && !env::var("CARGO_ENCODED_RUSTFLAGS")
            .unwrap_or_default()
            .contains("link");
    let wanted = env::var("PROFILE").as_deref() == Ok("release")
        && env::var("STRANGLER_LINK_ORDER").as_deref() != Ok("off");
    let file =
        Path::new(&env::var("CARGO_MANIFEST_DIR").unwrap_or_default()).join("link-order.txt");
    if default_linker && wanted && file.is_file() {
        for arg in [
            format!("--symbol-ordering-file={}", file.display()),
            "--no-warn-symbol-ordering".to_owned(),
        ] {
            println!("cargo:rustc-link-arg-bin=strangler=-Wl,{arg}");
        }
    }
}
