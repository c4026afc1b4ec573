//! Link options of the `strangler` binary.

fn main() {
    // Relative relocations packed (DT_RELR, glibc 2.36+): the loader reads a
    // few KiB instead of a megabyte-sized table at start, and that table no
    // longer stays resident for the life of the proxy.
    if std::env::var("CARGO_CFG_TARGET_OS").as_deref() == Ok("linux")
        && std::env::var("CARGO_CFG_TARGET_ENV").as_deref() == Ok("gnu")
    {
        println!("cargo:rustc-link-arg-bins=-Wl,-z,pack-relative-relocs");
    }
}
