//! Where the npm-installed Unleash tools live (tools/unleash/node_modules), and a
//! loud failure when they are missing: these tests must not skip silently.

#![allow(dead_code)] // each test crate uses a different subset

use std::path::PathBuf;

/// tools/unleash in this checkout.
pub fn tools_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../tools/unleash")
}

/// `node_modules/<package>` under tools/unleash; panics with what to run if absent.
pub fn npm_package(package: &str) -> PathBuf {
    let dir = tools_dir().join("node_modules").join(package);
    if !dir.join("package.json").is_file() {
        panic!(
            "{} is not installed ({} missing): run scripts/setup-unleash first \
             (it runs `npm ci` in tools/unleash; needs node 20 and npm)",
            package,
            dir.display()
        );
    }
    dir
}
