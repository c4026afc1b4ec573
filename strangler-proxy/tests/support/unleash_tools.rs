//! Where the npm-installed Unleash tools live, and a loud failure when they
//! are missing: these tests must not skip silently. The one home of both is
//! `stack::unleash` (the local stack starts the same server).

use std::path::PathBuf;

/// `node_modules/<package>` under tools/unleash; panics with what to run if absent.
pub fn npm_package(package: &str) -> PathBuf {
    stack::unleash::npm_package(package).unwrap_or_else(|e| panic!("{e}"))
}
